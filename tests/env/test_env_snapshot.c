/* tests/env/test_env_snapshot.c: fork, restore, release and rollout.
 * - restore gives back the forked obs and info, and the env then runs
 *   exactly as it did after the fork (also in another env slot);
 * - snapshots keep the task spec; ids start at 1 and are never reused;
 * - rollout equals stepping a restored live env with the same actions
 *   (rewards, flags, latents, frames), handles ended rows, truncation,
 *   chunks larger than the scratch slots, frames in latent mode, and
 *   leaves the live envs and the snapshots untouched. */
#include <stdio.h>
#include <string.h>

#include "tests/env/env_test_util.h"

enum { N = 3, T = 5 };

static uint64_t solvable;

static pan_vec_env *make(pan_obs_mode obs_mode, int max_episode_steps) {
    pan_env_config c = pan_env_config_default();
    c.num_envs = N;
    c.obs_mode = obs_mode;
    c.max_episode_steps = max_episode_steps;
    pan_vec_env *env = NULL;
    CHECK_STATUS(pan_vec_env_create(&c, &env), PAN_OK);
    return env;
}

static const char *const ROW_A[T] = {"move the red circle right by 2",
                                     "turn off the lights", ENV_SOLVE,
                                     "move the red circle down", "wait"};
static const char *const ROW_B[T] = {"wait", "add a blue square", "lights on",
                                     "push the red circle all the way left",
                                     "move the red circle up"};

static void test_fork_restore(void) {
    pan_vec_env *env = make(PAN_OBS_FULL, 0);
    if (!env) return;
    env_bufs b, saved, later;
    env_bufs_init(&b, env);
    env_bufs_init(&saved, env);
    env_bufs_init(&later, env);
    uint64_t seeds[N] = {solvable, 21, 22};
    CHECK_STATUS(env_reset(env, &b, seeds, ENV_GOAL, NULL), PAN_OK);
    const char *step1[N] = {"move the red circle down", "wait", "lights dim"};
    CHECK_STATUS(env_step(env, &b, step1), PAN_OK);
    memcpy(saved.frames, b.frames, N * b.F);
    memcpy(saved.latent, b.latent, N * b.L * sizeof(float));
    memcpy(saved.infos, b.infos, N * sizeof(pan_env_info));

    int all[N] = {0, 1, 2};
    uint64_t ids[N] = {0};
    CHECK_STATUS(pan_vec_env_fork(env, N, all, ids), PAN_OK);
    CHECK(ids[0] == 1 && ids[1] == 2 && ids[2] == 3);
    CHECK(pan_vec_env_snapshot_count(env) == 3);

    /* what happens after the fork */
    const char *step2[N] = {"move the red circle left", "wait",
                            "remove the "
                            "red circle"};
    CHECK_STATUS(env_step(env, &b, step2), PAN_OK);
    memcpy(later.frames, b.frames, N * b.F);
    memcpy(later.latent, b.latent, N * b.L * sizeof(float));
    memcpy(later.infos, b.infos, N * sizeof(pan_env_info));
    CHECK_STATUS(env_step(env, &b, step2), PAN_OK); /* move on further */

    /* restore env 0 and 2: obs and infos are the forked ones */
    int two[2] = {0, 2};
    uint64_t back[2] = {ids[0], ids[2]};
    CHECK_STATUS(pan_vec_env_restore(env, 2, two, back, &b.obs, b.infos),
                 PAN_OK);
    CHECK(memcmp(env_frames(&b, 0), env_frames(&saved, 0), b.F) == 0);
    CHECK(memcmp(env_frames(&b, 2), env_frames(&saved, 2), b.F) == 0);
    CHECK(memcmp(env_latent(&b, 0), env_latent(&saved, 0), b.L * 4) == 0);
    CHECK(env_info_equal(&b.infos[0], &saved.infos[0]));
    CHECK(env_info_equal(&b.infos[2], &saved.infos[2]));
    pan_env_info zero;
    memset(&zero, 0, sizeof zero);
    CHECK(memcmp(&b.infos[1], &zero, sizeof zero) == 0); /* not restored */
    /* env 1 shows its current obs (two steps after the fork) */
    CHECK(memcmp(env_latent(&b, 1), env_latent(&saved, 1), b.L * 4) == 0);
    /* ... and replaying gives the same bytes as after the fork */
    CHECK_STATUS(env_step(env, &b, step2), PAN_OK);
    CHECK(memcmp(env_frames(&b, 0), env_frames(&later, 0), b.F) == 0);
    CHECK(memcmp(env_frames(&b, 2), env_frames(&later, 2), b.F) == 0);
    CHECK(env_info_equal(&b.infos[0], &later.infos[0]));
    CHECK(env_info_equal(&b.infos[2], &later.infos[2]));

    /* a snapshot of env 0 restored into env 1 makes env 1 a copy of it */
    int one = 1;
    CHECK_STATUS(pan_vec_env_restore(env, 1, &one, &ids[0], NULL, NULL),
                 PAN_OK);
    CHECK_STATUS(pan_vec_env_restore(env, 1, &two[0], &ids[0], NULL, NULL),
                 PAN_OK); /* the snapshot stays */
    const char *same[N] = {"move the red circle left",
                           "move the red circle "
                           "left",
                           "wait"};
    CHECK_STATUS(env_step(env, &b, same), PAN_OK);
    CHECK(memcmp(env_frames(&b, 0), env_frames(&b, 1), b.F) == 0);
    CHECK(env_info_equal(&b.infos[0], &b.infos[1]));

    /* the snapshot holds the task spec: restore after a reset to "none" and
     * the next episode gets the snapshot's task again */
    bool first[N] = {true, false, false};
    CHECK_STATUS(env_reset(env, &b, NULL, "none", first), PAN_OK);
    CHECK(b.infos[0].task[0] == '\0');
    CHECK_STATUS(pan_vec_env_restore(env, 1, &two[0], &ids[0], NULL, NULL),
                 PAN_OK);
    CHECK_STATUS(env_reset(env, &b, NULL, NULL, first), PAN_OK);
    CHECK(strcmp(b.infos[0].task, ENV_GOAL) == 0);

    /* release: unknown ids afterwards; ids are never reused */
    uint64_t gone[2] = {ids[0], ids[1]};
    CHECK_STATUS(pan_vec_env_release(env, 2, gone), PAN_OK);
    CHECK(pan_vec_env_snapshot_count(env) == 1);
    CHECK_STATUS(pan_vec_env_restore(env, 1, &two[0], &ids[0], NULL, NULL),
                 PAN_ERR_NOT_FOUND);
    CHECK_STATUS(pan_vec_env_restore(env, 1, &two[1], &ids[2], NULL, NULL),
                 PAN_OK);
    uint64_t fresh = 0;
    CHECK_STATUS(pan_vec_env_fork(env, 1, &two[0], &fresh), PAN_OK);
    CHECK(fresh == 4);
    int twice[2] = {1, 1}; /* the same env twice in one fork is fine */
    uint64_t dup[2];
    CHECK_STATUS(pan_vec_env_fork(env, 2, twice, dup), PAN_OK);
    CHECK(dup[0] == 5 && dup[1] == 6);
    CHECK(pan_vec_env_snapshot_count(env) == 4);

    env_bufs_free(&b);
    env_bufs_free(&saved);
    env_bufs_free(&later);
    pan_vec_env_destroy(env);
}

/* Rollout rows vs stepping a restored live env by hand. */
static void compare_rollout(pan_obs_mode obs_mode, int max_steps) {
    pan_vec_env *env = make(obs_mode, max_steps);
    if (!env) return;
    env_bufs b;
    env_bufs_init(&b, env);
    uint64_t seeds[N] = {solvable, 31, 32};
    CHECK_STATUS(env_reset(env, &b, seeds, ENV_GOAL, NULL), PAN_OK);
    const char *first[N] = {"wait", "wait", "wait"};
    CHECK_STATUS(env_step(env, &b, first), PAN_OK);
    int all[N] = {0, 1, 2};
    uint64_t ids[N];
    CHECK_STATUS(pan_vec_env_fork(env, N, all, ids), PAN_OK);

    /* rows: (snapshot 0, A), (snapshot 1, B), (snapshot 0, B) */
    enum { B = 3 };
    uint64_t row_ids[B] = {ids[0], ids[1], ids[0]};
    const char *actions[B * T];
    for (int t = 0; t < T; t++) {
        actions[0 * T + t] = ROW_A[t];
        actions[1 * T + t] = ROW_B[t];
        actions[2 * T + t] = ROW_B[t];
    }
    size_t F = b.F ? b.F : (size_t)4 * 64 * 64 * 3; /* frames even in latent */
    float rewards[B * T];
    bool term[B * T], trunc[B * T];
    float *latents = malloc(sizeof(float) * B * T * b.L);
    uint8_t *frames = malloc(F * B * T);
    pan_rollout_out out = {rewards, term, trunc, latents, frames};

    env_fingerprint before, after;
    env_fingerprint_take(env, &before);
    CHECK_STATUS(pan_vec_env_rollout(env, B, row_ids, T, actions, &out),
                 PAN_OK);
    env_fingerprint_take(env, &after);
    CHECK(env_fingerprint_same(&before, &after, F / 4)); /* live untouched */
    env_fingerprint_free(&before);
    env_fingerprint_free(&after);

    /* the same by hand: restore live env 0 and step it (no autoreset past
     * the end: the reference stops when its row ended) */
    pan_vec_env *ref = make(PAN_OBS_FULL, max_steps);
    env_bufs rb;
    env_bufs_init(&rb, ref);
    CHECK_STATUS(env_reset(ref, &rb, seeds, ENV_GOAL, NULL), PAN_OK);
    CHECK_STATUS(env_step(ref, &rb, first), PAN_OK);
    for (int row = 0; row < B; row++) {
        int src = row == 1 ? 1 : 0;
        /* rebuild the forked state in the reference by replaying */
        CHECK_STATUS(env_reset(ref, &rb, seeds, ENV_GOAL, NULL), PAN_OK);
        CHECK_STATUS(env_step(ref, &rb, first), PAN_OK);
        bool ended = false;
        for (int t = 0; t < T; t++) {
            size_t at = (size_t)row * T + (size_t)t;
            if (!ended) {
                const char *acts[N] = {"wait", "wait", "wait"};
                acts[src] = actions[at];
                CHECK_STATUS(env_step(ref, &rb, acts), PAN_OK);
                CHECK(rewards[at] == rb.rewards[src]);
                CHECK(term[at] == rb.terminated[src]);
                CHECK(trunc[at] == rb.truncated[src]);
                CHECK(memcmp(latents + at * b.L, env_latent(&rb, src),
                             b.L * 4) == 0);
                CHECK(memcmp(frames + at * F, env_frames(&rb, src), F) == 0);
                ended = rb.terminated[src] || rb.truncated[src];
            } else {
                /* after the end: reward 0, flags held, obs repeated */
                CHECK(rewards[at] == 0.0f);
                CHECK(term[at] == term[at - 1] && trunc[at] == trunc[at - 1]);
                CHECK(memcmp(latents + at * b.L, latents + (at - 1) * b.L,
                             b.L * 4) == 0);
                CHECK(memcmp(frames + at * F, frames + (at - 1) * F, F) == 0);
            }
        }
    }
    /* row 0 solves its goal at t = 2 (unless truncation came first) */
    if (max_steps == 0)
        CHECK(term[2] && rewards[2] == 1.0f && term[4]);
    else
        CHECK(trunc[1] && !term[1] && trunc[4]); /* episode_step 1 + 2 = 3 */

    /* the snapshots are unchanged: restoring gives the forked obs, and a
     * second rollout gives the same bytes */
    float *again = malloc(sizeof(float) * B * T * b.L);
    float rewards2[B * T];
    bool term2[B * T], trunc2[B * T];
    pan_rollout_out out2 = {rewards2, term2, trunc2, again, NULL};
    CHECK_STATUS(pan_vec_env_rollout(env, B, row_ids, T, actions, &out2),
                 PAN_OK);
    CHECK(memcmp(again, latents, sizeof(float) * B * T * b.L) == 0);
    CHECK(memcmp(rewards2, rewards, sizeof rewards) == 0);
    CHECK(memcmp(term2, term, sizeof term) == 0);
    CHECK(pan_vec_env_snapshot_count(env) == N);

    /* and the same again by restoring each row's snapshot into live env 2
     * and stepping it: the obs right after the restore is the forked one */
    for (int row = 0; row < B; row++) {
        int live = 2;
        CHECK_STATUS(pan_vec_env_restore(env, 1, &live, &row_ids[row], &b.obs,
                                         b.infos),
                     PAN_OK);
        CHECK(b.infos[2].episode_step == 1 && !b.infos[2].is_reset);
        for (int t = 0; t < T; t++) {
            size_t at = (size_t)row * T + (size_t)t;
            const char *acts[N] = {"wait", "wait", actions[at]};
            CHECK_STATUS(env_step(env, &b, acts), PAN_OK);
            CHECK(rewards[at] == b.rewards[2] && term[at] == b.terminated[2] &&
                  trunc[at] == b.truncated[2]);
            CHECK(memcmp(latents + at * b.L, env_latent(&b, 2), b.L * 4) == 0);
            if (b.frames)
                CHECK(memcmp(frames + at * F, env_frames(&b, 2), F) == 0);
            if (b.terminated[2] || b.truncated[2]) break;
        }
    }

    free(again);
    free(latents);
    free(frames);
    env_bufs_free(&rb);
    pan_vec_env_destroy(ref);
    env_bufs_free(&b);
    pan_vec_env_destroy(env);
}

/* Many rows (more than the scratch slots) and a row forked after its end. */
static void test_rollout_chunks_and_ended(void) {
    pan_vec_env *env = make(PAN_OBS_LATENT, 0);
    if (!env) return;
    env_bufs b;
    env_bufs_init(&b, env);
    uint64_t seeds[N] = {solvable, 41, 42};
    CHECK_STATUS(env_reset(env, &b, seeds, ENV_GOAL, NULL), PAN_OK);
    int all[N] = {0, 1, 2};
    uint64_t ids[N];
    CHECK_STATUS(pan_vec_env_fork(env, N, all, ids), PAN_OK);
    /* env 0 ends: fork it after the end */
    const char *solve[N] = {ENV_SOLVE, "wait", "wait"};
    CHECK_STATUS(env_step(env, &b, solve), PAN_OK);
    CHECK(b.terminated[0]);
    uint64_t ended_id;
    CHECK_STATUS(pan_vec_env_fork(env, 1, all, &ended_id), PAN_OK);

    enum { B = 70, TT = 3 };
    uint64_t row_ids[B];
    const char *actions[B * TT];
    static const char *const pool[4] = {"move the red circle left", "wait",
                                        "lights off", ENV_SOLVE};
    for (int r = 0; r < B; r++) {
        row_ids[r] = r == B - 1 ? ended_id : ids[r % N];
        for (int t = 0; t < TT; t++)
            actions[r * TT + t] = pool[(r / N + t) % 4];
    }
    float rewards[B * TT], *latents = malloc(sizeof(float) * B * TT * b.L);
    bool term[B * TT], trunc[B * TT];
    uint8_t *frames = malloc((size_t)B * TT * 4 * 64 * 64 * 3);
    pan_rollout_out out = {rewards, term, trunc, latents, frames};
    CHECK_STATUS(pan_vec_env_rollout(env, B, row_ids, TT, actions, &out),
                 PAN_OK);
    /* rows with the same snapshot and actions agree across chunks */
    size_t row_f = (size_t)TT * 4 * 64 * 64 * 3;
    for (int r = N * 4; r < B - 1; r++) {
        int twin = r % (N * 4);
        CHECK(memcmp(latents + (size_t)r * TT * b.L,
                     latents + (size_t)twin * TT * b.L,
                     sizeof(float) * TT * b.L) == 0);
        CHECK(memcmp(frames + r * row_f, frames + twin * row_f, row_f) == 0);
        CHECK(memcmp(rewards + r * TT, rewards + twin * TT,
                     sizeof(float) * TT) == 0);
    }
    /* the ended row: all steps repeat the ending obs with reward 0 */
    int last = B - 1;
    for (int t = 0; t < TT; t++) {
        CHECK(rewards[last * TT + t] == 0.0f);
        CHECK(term[last * TT + t] && !trunc[last * TT + t]);
        CHECK(memcmp(latents + ((size_t)last * TT + t) * b.L, env_latent(&b, 0),
                     b.L * 4) == 0);
    }
    /* the latent-mode frames of the ended row show the current frame */
    uint8_t current[64 * 64 * 3];
    CHECK_STATUS(pan_vec_env_render(env, 0, current), PAN_OK);
    for (int k = 0; k < 4 * TT; k++)
        CHECK(memcmp(frames + last * row_f + (size_t)k * sizeof current,
                     current, sizeof current) == 0);
    /* a row that plays ENV_SOLVE first from a fresh episode succeeds */
    int solved = 0;
    for (int r = 0; r < B - 1; r++)
        for (int t = 0; t < TT; t++)
            solved += rewards[r * TT + t] == 1.0f;
    CHECK(solved > 0);
    free(latents);
    free(frames);
    env_bufs_free(&b);
    pan_vec_env_destroy(env);
}

int main(void) {
    solvable = env_solvable_seed(50);
    CHECK(solvable != 0);
    if (!solvable) return test_exit_code("test_env_snapshot");
    test_fork_restore();
    compare_rollout(PAN_OBS_FULL, 0);
    compare_rollout(PAN_OBS_LATENT, 0);
    compare_rollout(PAN_OBS_FULL, 3);
    test_rollout_chunks_and_ended();
    return test_exit_code("test_env_snapshot");
}
