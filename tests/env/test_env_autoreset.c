/* tests/env/test_env_autoreset.c: the three autoreset modes step by step
 * against hand-written expectations (gymnasium 1.x semantics, docs/env.md):
 * env 0 solves its goal with one action (terminated), env 1 waits until
 * max_episode_steps = 3 truncates it; plus masked resets. A reference
 * single env gives the bytes each observation must have. */
#include <stdio.h>
#include <string.h>

#include "tests/env/env_test_util.h"

static const char *const SOLVE_WAIT[2] = {ENV_SOLVE, "wait"};
static const char *const WAIT_WAIT[2] = {"wait", "wait"};
static const char *const RIGHT_WAIT[2] = {"move the red circle right", "wait"};

static uint64_t s0, s1; /* env 0 solvable, env 1 anything */

static pan_vec_env *make(pan_autoreset_mode mode, pan_obs_mode obs_mode) {
    pan_env_config c = pan_env_config_default();
    c.num_envs = 2;
    c.autoreset_mode = mode;
    c.obs_mode = obs_mode;
    c.max_episode_steps = 3;
    pan_vec_env *env = NULL;
    CHECK_STATUS(pan_vec_env_create(&c, &env), PAN_OK);
    return env;
}

/* The reset observation of an episode with `seed` and the goal task. */
static void reference_reset(uint64_t seed, pan_obs_mode obs_mode,
                            uint8_t *frames, float *latent,
                            pan_env_info *info) {
    pan_env_config c = pan_env_config_default();
    c.obs_mode = obs_mode;
    pan_env *ref = NULL;
    CHECK_STATUS(pan_env_create(&c, &ref), PAN_OK);
    if (!ref) return;
    pan_obs_batch obs = {.frames = obs_mode == PAN_OBS_FULL ? frames : NULL,
                         .latent = latent};
    CHECK_STATUS(pan_env_reset(ref, &seed, ENV_GOAL, &obs, info), PAN_OK);
    pan_env_destroy(ref);
}

static bool same_obs(const env_bufs *b, int i, const uint8_t *frames,
                     const float *latent) {
    if (b->frames && memcmp(env_frames(b, i), frames, b->F) != 0) return false;
    return memcmp(env_latent(b, i), latent, b->L * sizeof(float)) == 0;
}

static void check_step_info(const pan_env_info *info, uint64_t seed,
                            int64_t episode_step, bool success) {
    CHECK(!info->is_reset && !info->autoreset);
    CHECK(info->seed == seed);
    CHECK(info->episode_step == episode_step);
    CHECK(info->action.understood);
    CHECK(strcmp(info->task, ENV_GOAL) == 0);
    CHECK(info->success == success);
}

static void check_reset_info(const pan_env_info *info, uint64_t seed,
                             bool autoreset) {
    CHECK(info->is_reset);
    CHECK(info->autoreset == autoreset);
    CHECK(info->seed == seed);
    CHECK(info->episode_step == 0);
    CHECK(!info->action.understood && info->action.template_id == -1);
    CHECK(strcmp(info->task, ENV_GOAL) == 0);
    CHECK(!info->success);
}

static void test_next_step(pan_obs_mode obs_mode) {
    pan_vec_env *env = make(PAN_AUTORESET_NEXT_STEP, obs_mode);
    if (!env) return;
    env_bufs b;
    env_bufs_init(&b, env);
    uint8_t *ref_frames = malloc(b.F ? b.F : 1);
    float ref_latent[128];
    pan_env_info ref_info;

    uint64_t seeds[2] = {s0, s1};
    CHECK_STATUS(env_reset(env, &b, seeds, ENV_GOAL, NULL), PAN_OK);
    for (int i = 0; i < 2; i++)
        check_reset_info(&b.infos[i], seeds[i], false);
    reference_reset(s0, obs_mode, ref_frames, ref_latent, &ref_info);
    CHECK(same_obs(&b, 0, ref_frames, ref_latent));
    CHECK(memcmp(&ref_info, &b.infos[0], sizeof ref_info) == 0);

    /* step 1: env 0 succeeds */
    CHECK_STATUS(env_step(env, &b, SOLVE_WAIT), PAN_OK);
    CHECK(b.rewards[0] == 1.0f && b.terminated[0] && !b.truncated[0]);
    CHECK(b.rewards[1] == 0.0f && !b.terminated[1] && !b.truncated[1]);
    check_step_info(&b.infos[0], s0, 1, true);
    check_step_info(&b.infos[1], s1, 1, false);

    /* step 2: env 0 resets instead of acting (its action is ignored) */
    uint64_t s0b = env_next_seed(s0);
    CHECK_STATUS(env_step(env, &b, RIGHT_WAIT), PAN_OK);
    CHECK(b.rewards[0] == 0.0f && !b.terminated[0] && !b.truncated[0]);
    check_reset_info(&b.infos[0], s0b, true);
    reference_reset(s0b, obs_mode, ref_frames, ref_latent, &ref_info);
    CHECK(same_obs(&b, 0, ref_frames, ref_latent));
    check_step_info(&b.infos[1], s1, 2, false);
    CHECK(!b.terminated[1] && !b.truncated[1]);

    /* step 3: env 1 reaches max_episode_steps */
    CHECK_STATUS(env_step(env, &b, WAIT_WAIT), PAN_OK);
    check_step_info(&b.infos[0], s0b, 1, false);
    CHECK(!b.terminated[0] && !b.truncated[0]);
    check_step_info(&b.infos[1], s1, 3, false);
    CHECK(!b.terminated[1] && b.truncated[1] && b.rewards[1] == 0.0f);

    /* step 4: env 1 resets from its stream */
    uint64_t s1b = env_next_seed(s1);
    CHECK_STATUS(env_step(env, &b, WAIT_WAIT), PAN_OK);
    check_step_info(&b.infos[0], s0b, 2, false);
    check_reset_info(&b.infos[1], s1b, true);
    CHECK(!b.terminated[1] && !b.truncated[1]);
    reference_reset(s1b, obs_mode, ref_frames, ref_latent, &ref_info);
    CHECK(same_obs(&b, 1, ref_frames, ref_latent));

    /* step 5: env 0 truncates at 3 steps too; env 1 steps */
    CHECK_STATUS(env_step(env, &b, WAIT_WAIT), PAN_OK);
    CHECK(b.truncated[0] && !b.terminated[0]);
    check_step_info(&b.infos[1], s1b, 1, false);

    /* a masked reset changes only env 1; env 0 keeps its obs and, since it
     * ended, still resets on the next step */
    env_bufs keep;
    env_bufs_init(&keep, env);
    if (b.frames) memcpy(keep.frames, b.frames, 2 * b.F);
    memcpy(keep.latent, b.latent, 2 * b.L * sizeof(float));
    bool mask[2] = {false, true};
    uint64_t masked_seeds[2] = {999, 77};
    CHECK_STATUS(env_reset(env, &b, masked_seeds, NULL, mask), PAN_OK);
    CHECK(same_obs(&b, 0, env_frames(&keep, 0), env_latent(&keep, 0)));
    pan_env_info zero;
    memset(&zero, 0, sizeof zero);
    CHECK(memcmp(&b.infos[0], &zero, sizeof zero) == 0);
    check_reset_info(&b.infos[1], 77, false); /* task kept */
    CHECK_STATUS(env_step(env, &b, WAIT_WAIT), PAN_OK);
    check_reset_info(&b.infos[0], env_stream_seed(s0, 2), true);
    check_step_info(&b.infos[1], 77, 1, false);
    env_bufs_free(&keep);

    free(ref_frames);
    env_bufs_free(&b);
    pan_vec_env_destroy(env);
}

static void test_same_step(pan_obs_mode obs_mode) {
    pan_vec_env *env = make(PAN_AUTORESET_SAME_STEP, obs_mode);
    if (!env) return;
    env_bufs b;
    env_bufs_init(&b, env);
    uint8_t *ref_frames = malloc(b.F ? b.F : 1);
    float ref_latent[128];
    pan_env_info ref_info;

    /* the ending obs of env 0, from a disabled-mode twin */
    pan_vec_env *twin = make(PAN_AUTORESET_DISABLED, obs_mode);
    env_bufs tb;
    env_bufs_init(&tb, twin);
    uint64_t seeds[2] = {s0, s1};
    CHECK_STATUS(env_reset(twin, &tb, seeds, ENV_GOAL, NULL), PAN_OK);
    CHECK_STATUS(env_step(twin, &tb, SOLVE_WAIT), PAN_OK);

    CHECK_STATUS(env_reset(env, &b, seeds, ENV_GOAL, NULL), PAN_OK);
    memset(b.has_final, 1, 2 * sizeof(bool));
    memset(b.final_infos, 0xAB, 2 * sizeof(pan_env_info));
    CHECK_STATUS(env_step(env, &b, SOLVE_WAIT), PAN_OK);
    /* env 0: reward and flags of the ending step, obs and info of the reset */
    CHECK(b.rewards[0] == 1.0f && b.terminated[0] && !b.truncated[0]);
    uint64_t s0b = env_next_seed(s0);
    check_reset_info(&b.infos[0], s0b, false);
    reference_reset(s0b, obs_mode, ref_frames, ref_latent, &ref_info);
    CHECK(same_obs(&b, 0, ref_frames, ref_latent));
    CHECK(b.has_final[0]);
    check_step_info(&b.final_infos[0], s0, 1, true);
    CHECK(memcmp(&b.final_infos[0], &tb.infos[0], sizeof tb.infos[0]) == 0);
    if (b.final_frames) CHECK(memcmp(b.final_frames, tb.frames, b.F) == 0);
    CHECK(memcmp(b.final_latent, tb.latent, b.L * sizeof(float)) == 0);
    /* env 1: no final, its final_infos entry untouched */
    CHECK(!b.has_final[1]);
    unsigned char pattern[sizeof(pan_env_info)];
    memset(pattern, 0xAB, sizeof pattern);
    CHECK(memcmp(&b.final_infos[1], pattern, sizeof pattern) == 0);
    check_step_info(&b.infos[1], s1, 1, false);

    /* step 2: env 0 acts in its new episode (nothing is skipped) */
    CHECK_STATUS(env_step(env, &b, WAIT_WAIT), PAN_OK);
    check_step_info(&b.infos[0], s0b, 1, false);
    CHECK(!b.has_final[0] && !b.has_final[1]);
    /* step 3: env 1 truncates and resets in the same step */
    CHECK_STATUS(env_step(env, &b, WAIT_WAIT), PAN_OK);
    CHECK(b.truncated[1] && !b.terminated[1] && b.has_final[1]);
    check_step_info(&b.final_infos[1], s1, 3, false);
    check_reset_info(&b.infos[1], env_next_seed(s1), false);
    check_step_info(&b.infos[0], s0b, 2, false);
    CHECK(!b.has_final[0]);

    /* same_step needs the final buffers */
    CHECK_STATUS(pan_vec_env_step(env, WAIT_WAIT, &b.obs, b.rewards,
                                  b.terminated, b.truncated, b.infos, NULL,
                                  NULL, NULL),
                 PAN_ERR_INVALID_ARGUMENT);

    env_bufs_free(&tb);
    pan_vec_env_destroy(twin);
    free(ref_frames);
    env_bufs_free(&b);
    pan_vec_env_destroy(env);
}

static void test_disabled(void) {
    pan_vec_env *env = make(PAN_AUTORESET_DISABLED, PAN_OBS_FULL);
    if (!env) return;
    env_bufs b;
    env_bufs_init(&b, env);
    uint64_t seeds[2] = {s0, s1};

    /* step before any reset */
    CHECK_STATUS(env_step(env, &b, WAIT_WAIT), PAN_ERR_FAILED_PRECONDITION);

    CHECK_STATUS(env_reset(env, &b, seeds, ENV_GOAL, NULL), PAN_OK);
    CHECK_STATUS(env_step(env, &b, SOLVE_WAIT), PAN_OK);
    CHECK(b.terminated[0] && b.rewards[0] == 1.0f);

    /* env 0 ended: the whole step fails and nothing changes */
    env_fingerprint before, after;
    env_fingerprint_take(env, &before);
    env_bufs copy;
    env_bufs_init(&copy, env);
    memcpy(copy.frames, b.frames, 2 * b.F);
    memcpy(copy.latent, b.latent, 2 * b.L * sizeof(float));
    memcpy(copy.infos, b.infos, 2 * sizeof(pan_env_info));
    pan_error_clear();
    CHECK_STATUS(env_step(env, &b, WAIT_WAIT), PAN_ERR_FAILED_PRECONDITION);
    CHECK(strstr(pan_error_message(), "env 0") != NULL);
    env_fingerprint_take(env, &after);
    CHECK(env_fingerprint_same(&before, &after, b.F / 4));
    CHECK(memcmp(copy.frames, b.frames, 2 * b.F) == 0);
    CHECK(memcmp(copy.latent, b.latent, 2 * b.L * sizeof(float)) == 0);
    CHECK(memcmp(copy.infos, b.infos, 2 * sizeof(pan_env_info)) == 0);
    env_fingerprint_free(&before);
    env_fingerprint_free(&after);

    /* reset env 0 only; env 1 keeps going from step 1 */
    bool mask[2] = {true, false};
    CHECK_STATUS(env_reset(env, &b, NULL, NULL, mask), PAN_OK);
    check_reset_info(&b.infos[0], env_next_seed(s0), false);
    CHECK(memcmp(env_frames(&b, 1), env_frames(&copy, 1), b.F) == 0);
    CHECK(memcmp(env_latent(&b, 1), env_latent(&copy, 1),
                 b.L * sizeof(float)) == 0);
    CHECK_STATUS(env_step(env, &b, WAIT_WAIT), PAN_OK);
    check_step_info(&b.infos[0], env_next_seed(s0), 1, false);
    check_step_info(&b.infos[1], s1, 2, false);
    CHECK_STATUS(env_step(env, &b, WAIT_WAIT), PAN_OK);
    CHECK(b.truncated[1]);
    CHECK_STATUS(env_step(env, &b, WAIT_WAIT), PAN_ERR_FAILED_PRECONDITION);
    CHECK(strstr(pan_error_message(), "truncated") != NULL);
    /* a mask with no true entry is refused */
    bool none[2] = {false, false};
    CHECK_STATUS(env_reset(env, &b, NULL, NULL, none),
                 PAN_ERR_INVALID_ARGUMENT);
    mask[0] = false;
    mask[1] = true;
    CHECK_STATUS(env_reset(env, &b, NULL, NULL, mask), PAN_OK);
    CHECK_STATUS(env_step(env, &b, WAIT_WAIT), PAN_OK);
    CHECK(b.infos[0].episode_step == 3 && b.truncated[0]);
    CHECK(b.infos[1].episode_step == 1);

    env_bufs_free(&copy);
    env_bufs_free(&b);
    pan_vec_env_destroy(env);
}

/* max_episode_steps = 0 never truncates; success wins over truncation. */
static void test_truncation_edges(void) {
    pan_env_config c = pan_env_config_default();
    c.num_envs = 1;
    c.max_episode_steps = 0;
    c.obs_mode = PAN_OBS_LATENT;
    pan_vec_env *env = NULL;
    CHECK_STATUS(pan_vec_env_create(&c, &env), PAN_OK);
    if (!env) return;
    env_bufs b;
    env_bufs_init(&b, env);
    const char *wait[1] = {"wait"};
    CHECK_STATUS(env_reset(env, &b, &s1, NULL, NULL), PAN_OK);
    for (int t = 0; t < 120; t++) {
        CHECK_STATUS(env_step(env, &b, wait), PAN_OK);
        CHECK(!b.truncated[0] && !b.terminated[0]);
    }
    CHECK(b.infos[0].episode_step == 120);
    pan_vec_env_destroy(env);
    env_bufs_free(&b);

    c.max_episode_steps = 1;
    CHECK_STATUS(pan_vec_env_create(&c, &env), PAN_OK);
    if (!env) return;
    env_bufs_init(&b, env);
    const char *solve[1] = {ENV_SOLVE};
    CHECK_STATUS(env_reset(env, &b, &s0, ENV_GOAL, NULL), PAN_OK);
    CHECK_STATUS(env_step(env, &b, solve), PAN_OK);
    CHECK(b.terminated[0] && !b.truncated[0] && b.rewards[0] == 1.0f);
    pan_vec_env_destroy(env);
    env_bufs_free(&b);
}

int main(void) {
    s0 = env_solvable_seed(1);
    s1 = 12345;
    CHECK(s0 != 0);
    if (s0 == 0) return test_exit_code("test_env_autoreset");
    test_next_step(PAN_OBS_FULL);
    test_next_step(PAN_OBS_LATENT);
    test_same_step(PAN_OBS_FULL);
    test_same_step(PAN_OBS_LATENT);
    test_disabled();
    test_truncation_edges();
    return test_exit_code("test_env_autoreset");
}
