/* env/vec/vec_env_internal.h: the vector env's insides, shared by its files
 * (vec_env.c, vec_env_reset_step.c, vec_env_snapshot.c, vec_env_rollout.c).
 *
 * Contract
 * - Live env i is sim slot i; slots N..N+S-1 are rollout scratch (S =
 *   scratch_slots). Each env keeps its bookkeeping in a vec_env_state (plain
 *   data but for the task reference) and its last observation in
 *   last_frames / last_latent.
 * - Task specs are shared through reference-counted vec_task_ref: an env and
 *   every snapshot of it hold one reference to the spec of its episodes.
 * - Snapshots live in `snapshots`, sorted by id (ids only grow), capacity
 *   max_snapshots, each one allocation (sim blob + last obs).
 * - Every public function validates all arguments before touching anything;
 *   helpers named *_check only read.
 * - Thread safety: as env/env.h (one thread per vector env).
 */
#ifndef PAN_ENV_VEC_VEC_ENV_INTERNAL_H
#define PAN_ENV_VEC_VEC_ENV_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "env/env.h"
#include "env/task.h"
#include "env/vec/sim.h"

#define VEC_ENV_WORLD_NAME_MAX 32
#define VEC_ENV_SCRATCH_MIN 4
#define VEC_ENV_SCRATCH_MAX 64

typedef struct vec_task_ref {
    pan_task *task;
    int refs;
} vec_task_ref;

/* One env's bookkeeping (copied whole into a snapshot). */
typedef struct vec_env_state {
    vec_task_ref *task; /* spec of its episodes; NULL = none */
    pan_goal goal;      /* this episode's goal */
    uint64_t seed;      /* this episode's seed */
    uint64_t stream;    /* seed stream (next implicit seed) */
    uint64_t sampler;   /* action sampler RNG */
    int64_t episode_step;
    bool started;               /* reset at least once */
    bool terminated, truncated; /* the episode ended so */
    pan_env_info info;          /* info of the last observation */
} vec_env_state;

typedef struct vec_snapshot {
    uint64_t id;
    vec_env_state state; /* holds a task reference */
    void *blob;          /* (blob_bytes) sim state */
    size_t blob_bytes;
    uint8_t *frames;     /* (K, H, W, 3), NULL in latent mode */
    float *latent;       /* (Q, D) */
} vec_snapshot;

struct pan_vec_env {
    pan_env_config config;
    char world[VEC_ENV_WORLD_NAME_MAX];
    char model_backend[VEC_ENV_WORLD_NAME_MAX]; /* "" = NULL */
    pan_sim *sim;
    int N, scratch_slots;
    pan_sim_spaces sp;
    size_t obs_frames; /* K * H * W * 3 bytes per env */
    size_t obs_latent; /* Q * D floats per env */

    vec_env_state *envs;  /* (N) */
    uint8_t *last_frames; /* (N, K, H, W, 3), NULL in latent mode */
    float *last_latent;   /* (N, Q, D) */

    /* per-call scratch, sized at create */
    int *slots;                 /* (N + S) */
    uint64_t *seeds;            /* (N + S) */
    const pan_task **tasks;     /* (N + S) */
    pan_goal *goals;            /* (N + S) */
    const char **actions;       /* (N + S) */
    pan_action_result *results; /* (N + S) */
    uint8_t **frame_ptrs;       /* (N + S) */
    const uint8_t **initial_ptrs; /* (N + S) reset's initial frames */
    float **latent_ptrs;        /* (N + S) */
    bool *flags;                /* (N + S) */
    vec_env_state *rows;        /* (S) rollout row bookkeeping */

    vec_snapshot **snapshots; /* (max_snapshots), sorted by id */
    int snapshot_count;
    uint64_t next_id; /* starts at 1 */
};

/* vec_env.c */
vec_task_ref *vec_task_ref_retain(vec_task_ref *ref);
void vec_task_ref_release(vec_task_ref *ref);
/* Checks an action text: non-NULL, <= PAN_ENV_ACTION_MAX bytes, UTF-8.
 * `where` names it in the message ("step: actions[3]"). */
pan_status vec_env_check_action(const char *text, const char *where, int index);
/* Checks obs buffers for this env's obs mode. */
pan_status vec_env_check_obs(const pan_vec_env *env, const pan_obs_batch *obs,
                             const char *where);
uint64_t vec_env_splitmix(uint64_t *state);
/* Starts an episode of env i's bookkeeping with `seed` (goal set later). */
void vec_env_state_begin(vec_env_state *st, uint64_t seed);
/* Fills the info of a reset observation. */
void vec_env_reset_info(const vec_env_state *st, pan_env_info *info);
/* Evaluates the goal of `st` on sim slot `slot` (latent (Q, D)). */
pan_status vec_env_evaluate(const pan_vec_env *env, int slot,
                            const pan_goal *goal, const float *latent,
                            float *reward, bool *success);

/* vec_env_snapshot.c */
vec_snapshot *vec_env_find_snapshot(const pan_vec_env *env, uint64_t id);
void vec_env_free_snapshot(vec_snapshot *snap);

#endif
