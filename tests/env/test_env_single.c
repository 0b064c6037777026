/* tests/env/test_env_single.c: the single env (gymnasium.Env rules: no
 * autoreset, step after the end is FAILED_PRECONDITION until reset, seed
 * NULL = the next seed of the stream) and the rooms world through the env
 * API (no tasks, truncation, latent = true-state vector, autoreset). */
#include <stdio.h>
#include <string.h>

#include "tests/env/env_test_util.h"

static void test_single_rules(uint64_t solvable) {
    pan_env_config c = pan_env_config_default();
    c.num_envs = 0;                             /* taken as 1 */
    c.autoreset_mode = PAN_AUTORESET_SAME_STEP; /* ignored */
    c.max_episode_steps = 4;
    pan_env *env = NULL;
    CHECK_STATUS(pan_env_create(&c, &env), PAN_OK);
    if (!env) return;
    CHECK(pan_vec_env_config(pan_env_vec(env)).num_envs == 1);
    CHECK(pan_vec_env_config(pan_env_vec(env)).autoreset_mode ==
          PAN_AUTORESET_DISABLED);
    uint8_t frames[4 * 64 * 64 * 3], frame[64 * 64 * 3];
    float latent[73];
    pan_obs_batch obs = {frames, latent};
    pan_env_info info;
    float reward;
    bool term, trunc;

    CHECK_STATUS(pan_env_step(env, "wait", &obs, &reward, &term, &trunc, &info),
                 PAN_ERR_FAILED_PRECONDITION);
    CHECK_STATUS(pan_env_render(env, frame), PAN_ERR_FAILED_PRECONDITION);

    /* seed NULL: the stream of env 0 */
    CHECK_STATUS(pan_env_reset(env, NULL, NULL, &obs, &info), PAN_OK);
    CHECK(info.is_reset && info.seed == env_stream_seed(0, 1));
    CHECK(info.task[0] == '\0');

    /* solve: terminated, then stepping fails until a reset */
    CHECK_STATUS(pan_env_reset(env, &solvable, ENV_GOAL, &obs, &info), PAN_OK);
    CHECK(info.seed == solvable && strcmp(info.task, ENV_GOAL) == 0);
    CHECK_STATUS(
        pan_env_step(env, ENV_SOLVE, &obs, &reward, &term, &trunc, &info),
        PAN_OK);
    CHECK(term && !trunc && reward == 1.0f && info.success);
    CHECK_STATUS(pan_env_render(env, frame), PAN_OK);
    CHECK(memcmp(frame, frames + 3 * sizeof frame, sizeof frame) == 0);
    CHECK_STATUS(pan_env_step(env, "wait", &obs, &reward, &term, &trunc, &info),
                 PAN_ERR_FAILED_PRECONDITION);
    CHECK(strstr(pan_error_message(), "terminated") != NULL);

    /* reset (no seed): the stream after the explicit seed, task kept */
    CHECK_STATUS(pan_env_reset(env, NULL, NULL, &obs, &info), PAN_OK);
    CHECK(info.seed == env_stream_seed(solvable, 1));
    CHECK(strcmp(info.task, ENV_GOAL) == 0 && !info.success);

    /* truncation at 4 steps, then FAILED_PRECONDITION */
    for (int t = 1; t <= 4; t++) {
        CHECK_STATUS(
            pan_env_step(env, "wait", &obs, &reward, &term, &trunc, &info),
            PAN_OK);
        CHECK(info.episode_step == t && reward == 0.0f && !term);
        CHECK(trunc == (t == 4));
    }
    CHECK_STATUS(pan_env_step(env, "wait", &obs, &reward, &term, &trunc, &info),
                 PAN_ERR_FAILED_PRECONDITION);

    /* fork / rollout through the vector env inside */
    CHECK_STATUS(pan_env_reset(env, &solvable, NULL, &obs, &info), PAN_OK);
    pan_vec_env *vec = pan_env_vec(env);
    int zero = 0;
    uint64_t id;
    CHECK_STATUS(pan_vec_env_fork(vec, 1, &zero, &id), PAN_OK);
    const char *acts[2] = {ENV_SOLVE, "wait"};
    float r[2], lat[2 * 73];
    bool te[2], tr[2];
    pan_rollout_out out = {r, te, tr, lat, NULL};
    CHECK_STATUS(pan_vec_env_rollout(vec, 1, &id, 2, acts, &out), PAN_OK);
    CHECK(r[0] == 1.0f && te[0] && te[1] && r[1] == 0.0f);
    CHECK_STATUS(pan_env_step(env, "wait", &obs, &reward, &term, &trunc, &info),
                 PAN_OK); /* the live env did not move */
    CHECK(info.episode_step == 1 && !term);

    /* create errors */
    pan_env *other = NULL;
    c.num_envs = 2;
    CHECK_STATUS(pan_env_create(&c, &other), PAN_ERR_INVALID_ARGUMENT);
    CHECK(other == NULL);
    CHECK_STATUS(pan_env_create(NULL, &other), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_env_reset(NULL, NULL, NULL, &obs, &info),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(
        pan_env_step(NULL, "wait", &obs, &reward, &term, &trunc, &info),
        PAN_ERR_INVALID_ARGUMENT);
    CHECK(pan_env_vec(NULL) == NULL);
    pan_env_destroy(env);
    pan_env_destroy(NULL);
}

static void test_rooms(void) {
    pan_env_config c = pan_env_config_default();
    c.world = "rooms";
    c.num_envs = 2;
    c.max_episode_steps = 5;
    pan_vec_env *env = NULL;
    CHECK_STATUS(pan_vec_env_create(&c, &env), PAN_OK);
    if (!env) return;
    env_bufs b;
    env_bufs_init(&b, env);
    CHECK(b.L == 103);

    /* rooms has no tasks */
    CHECK_STATUS(env_reset(env, &b, NULL, "random", NULL),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "rooms has no tasks yet") != NULL);
    CHECK_STATUS(env_reset(env, &b, NULL, ENV_GOAL, NULL),
                 PAN_ERR_INVALID_ARGUMENT);
    uint64_t seeds[2] = {5, 6};
    CHECK_STATUS(env_reset(env, &b, seeds, "none", NULL), PAN_OK);
    CHECK(b.infos[0].task[0] == '\0' && b.infos[1].seed == 6);

    const char *acts[2] = {"go north 2", "turn around"};
    pan_world *w = NULL;
    CHECK_STATUS(pan_world_create("rooms", NULL, &w), PAN_OK);
    for (int t = 1; t <= 5; t++) {
        CHECK_STATUS(env_step(env, &b, acts), PAN_OK);
        for (int i = 0; i < 2; i++) {
            CHECK(b.rewards[i] == 0.0f && !b.terminated[i]);
            CHECK(b.truncated[i] == (t == 5));
            CHECK(b.infos[i].action.understood && !b.infos[i].success);
            pan_world_state s;
            CHECK_STATUS(pan_vec_env_true_state(env, i, &s), PAN_OK);
            float v[103];
            pan_world_state_vector(w, &s, v);
            CHECK(memcmp(v, env_latent(&b, i), sizeof v) == 0);
        }
    }
    /* next_step autoreset of both */
    CHECK_STATUS(env_step(env, &b, acts), PAN_OK);
    for (int i = 0; i < 2; i++) {
        CHECK(b.infos[i].autoreset && b.infos[i].is_reset);
        CHECK(b.infos[i].seed == env_stream_seed(seeds[i], 1));
    }
    /* fork + rollout on rooms: revisiting shows the same frame */
    int zero = 0;
    uint64_t id;
    CHECK_STATUS(pan_vec_env_fork(env, 1, &zero, &id), PAN_OK);
    const char *path[2] = {"go east 1", "go west 1"};
    enum { FR = 4 * 64 * 64 * 3 };
    uint8_t *frames = malloc(2 * FR);
    float r[2], lat[2 * 103];
    bool te[2], tr[2];
    pan_rollout_out out = {r, te, tr, lat, frames};
    CHECK_STATUS(pan_vec_env_rollout(env, 1, &id, 2, path, &out), PAN_OK);
    size_t frame = FR / 4;
    /* the last frame after going back equals the reset frame, unless a
     * wall stopped the first move */
    CHECK(memcmp(frames + FR + 3 * frame, env_frames(&b, 0), frame) == 0 ||
          memcmp(lat, env_latent(&b, 0), 2 * sizeof(float)) == 0);
    free(frames);
    pan_world_destroy(w);
    env_bufs_free(&b);
    pan_vec_env_destroy(env);
}

int main(void) {
    uint64_t solvable = env_solvable_seed(300);
    CHECK(solvable != 0);
    if (solvable) test_single_rules(solvable);
    test_rooms();
    return test_exit_code("test_env_single");
}
