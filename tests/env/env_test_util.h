/* tests/env/env_test_util.h: buffers and helpers the env suites share.
 *
 * Contract
 * - env_bufs holds every output of a vector env call for N envs (obs,
 *   rewards, flags, infos, final obs/infos), allocated once; frames are
 *   NULL in latent obs mode. Free with env_bufs_free.
 * - env_fingerprint captures everything observable about a vector env
 *   (each env's current frame, true state, snapshot count) so a test can
 *   check that a failed call changed nothing.
 * - env_solvable_seed finds a tabletop seed whose episode with GOAL is
 *   solved by the single action ACTION (deterministic: the same seed every
 *   run).
 * Everything is static so each suite takes what it uses.
 */
#ifndef PAN_TESTS_ENV_ENV_TEST_UTIL_H
#define PAN_TESTS_ENV_ENV_TEST_UTIL_H

#include <stdlib.h>
#include <string.h>

#include "env/env.h"
#include "tests/test_util.h"

#define ENV_GOAL "put the red circle in the top left corner"
#define ENV_SOLVE "move the red circle to the top left corner"

typedef struct env_bufs {
    int N;
    size_t F, L; /* bytes of frames, floats of latent per env */
    pan_obs_batch obs, final_obs;
    uint8_t *frames;                          /* (N, K, H, W, 3) or NULL */
    float *latent;                            /* (N, Q, D) */
    uint8_t *final_frames;                    /* (N, K, H, W, 3) or NULL */
    float *final_latent;                      /* (N, Q, D) */
    float *rewards;                           /* (N) */
    bool *terminated, *truncated, *has_final; /* (N) */
    pan_env_info *infos, *final_infos;        /* (N) */
} env_bufs;

static inline void env_bufs_init(env_bufs *b, const pan_vec_env *env) {
    pan_env_spaces sp;
    pan_vec_env_spaces(env, &sp);
    pan_env_config c = pan_vec_env_config(env);
    memset(b, 0, sizeof *b);
    b->N = c.num_envs;
    b->F = (size_t)(sp.frames.shape[0] * sp.frames.shape[1] *
                    sp.frames.shape[2] * 3);
    b->L = (size_t)(sp.latent.shape[0] * sp.latent.shape[1]);
    size_t N = (size_t)b->N;
    if (sp.has_frames) {
        b->frames = calloc(N, b->F);
        b->final_frames = calloc(N, b->F);
    }
    b->latent = calloc(N * b->L, sizeof(float));
    b->final_latent = calloc(N * b->L, sizeof(float));
    b->rewards = calloc(N, sizeof(float));
    b->terminated = calloc(N, sizeof(bool));
    b->truncated = calloc(N, sizeof(bool));
    b->has_final = calloc(N, sizeof(bool));
    b->infos = calloc(N, sizeof(pan_env_info));
    b->final_infos = calloc(N, sizeof(pan_env_info));
    b->obs = (pan_obs_batch){.frames = b->frames, .latent = b->latent};
    b->final_obs =
        (pan_obs_batch){.frames = b->final_frames, .latent = b->final_latent};
}

static inline void env_bufs_free(env_bufs *b) {
    free(b->frames);
    free(b->final_frames);
    free(b->latent);
    free(b->final_latent);
    free(b->rewards);
    free(b->terminated);
    free(b->truncated);
    free(b->has_final);
    free(b->infos);
    free(b->final_infos);
}

static inline pan_status env_step(pan_vec_env *env, env_bufs *b,
                                  const char *const *actions) {
    return pan_vec_env_step(env, actions, &b->obs, b->rewards, b->terminated,
                            b->truncated, b->infos, &b->final_obs,
                            b->final_infos, b->has_final);
}

static inline pan_status env_reset(pan_vec_env *env, env_bufs *b,
                                   const uint64_t *seeds, const char *task,
                                   const bool *mask) {
    pan_reset_options options = {.task = task, .mask = mask};
    return pan_vec_env_reset(env, seeds, &options, &b->obs, b->infos);
}

static inline uint8_t *env_frames(const env_bufs *b, int i) {
    return b->frames ? b->frames + (size_t)i * b->F : NULL;
}

static inline float *env_latent(const env_bufs *b, int i) {
    return b->latent + (size_t)i * b->L;
}

/* The k-th (1, 2, ...) seed an env's stream gives after the explicit seed
 * s: the k-th output of splitmix64 started at state s (docs/env.md). */
static inline uint64_t env_stream_seed(uint64_t s, int k) {
    test_rng r = {s};
    uint64_t out = 0;
    for (int i = 0; i < k; i++)
        out = test_rng_next(&r);
    return out;
}

static inline uint64_t env_next_seed(uint64_t s) {
    return env_stream_seed(s, 1);
}

/* Field by field (padding bytes are not compared). */
static inline bool env_info_equal(const pan_env_info *a,
                                  const pan_env_info *b) {
    return a->is_reset == b->is_reset && a->autoreset == b->autoreset &&
           a->seed == b->seed && a->episode_step == b->episode_step &&
           a->action.understood == b->action.understood &&
           a->action.kind == b->action.kind &&
           a->action.heldout == b->action.heldout &&
           a->action.template_id == b->action.template_id &&
           strcmp(a->action.canonical, b->action.canonical) == 0 &&
           strcmp(a->action.message, b->action.message) == 0 &&
           strcmp(a->task, b->task) == 0 && a->success == b->success;
}

/* ---- everything observable about a vector env
 * -------------------------------- */

typedef struct env_fingerprint {
    int N;
    uint8_t *frames;           /* (N, H, W, 3) current frames */
    pan_world_state *states;   /* (N) */
    pan_status *render_status; /* (N) */
    int snapshots;
} env_fingerprint;

static inline void env_fingerprint_take(const pan_vec_env *env,
                                        env_fingerprint *fp) {
    pan_env_config c = pan_vec_env_config(env);
    size_t frame =
        (size_t)c.world_config.width * (size_t)c.world_config.height * 3;
    fp->N = c.num_envs;
    fp->frames = calloc((size_t)fp->N, frame);
    fp->states = calloc((size_t)fp->N, sizeof *fp->states);
    fp->render_status = calloc((size_t)fp->N, sizeof *fp->render_status);
    for (int i = 0; i < fp->N; i++) {
        fp->render_status[i] =
            pan_vec_env_render(env, i, fp->frames + (size_t)i * frame);
        pan_vec_env_true_state(env, i, &fp->states[i]);
    }
    fp->snapshots = pan_vec_env_snapshot_count(env);
}

static inline bool env_fingerprint_same(const env_fingerprint *a,
                                        const env_fingerprint *b,
                                        size_t frame) {
    return a->N == b->N && a->snapshots == b->snapshots &&
           memcmp(a->frames, b->frames, (size_t)a->N * frame) == 0 &&
           memcmp(a->states, b->states, (size_t)a->N * sizeof *a->states) ==
               0 &&
           memcmp(a->render_status, b->render_status,
                  (size_t)a->N * sizeof *a->render_status) == 0;
}

static inline void env_fingerprint_free(env_fingerprint *fp) {
    free(fp->frames);
    free(fp->states);
    free(fp->render_status);
}

/* A seed from `from` on whose episode with ENV_GOAL the action ENV_SOLVE
 * succeeds at once (tabletop, default config). 0 if none in 200 seeds. */
static inline uint64_t env_solvable_seed(uint64_t from) {
    pan_env_config c = pan_env_config_default();
    c.obs_mode = PAN_OBS_LATENT;
    pan_env *env = NULL;
    if (pan_env_create(&c, &env) != PAN_OK) return 0;
    float latent[128];
    pan_obs_batch obs = {.frames = NULL, .latent = latent};
    uint64_t found = 0;
    for (uint64_t seed = from; seed < from + 200 && !found; seed++) {
        pan_env_info info;
        float reward;
        bool term = false, trunc = false;
        if (pan_env_reset(env, &seed, ENV_GOAL, &obs, &info) != PAN_OK) break;
        if (pan_env_step(env, ENV_SOLVE, &obs, &reward, &term, &trunc, &info) !=
            PAN_OK)
            break;
        if (term) found = seed;
    }
    pan_env_destroy(env);
    return found;
}

#endif
