/* env/env.h: the Gym-style environment API: a vector env of N
 * environments stepped as one batch, and the single env on top of it.
 *
 * Contract
 * - A pan_vec_env holds N live environments of one kind (a ground-truth
 *   world, or the world model: config.model) behind an internal simulator
 *   (env/vec/sim.h). Every call is batched over the N envs; the single env
 *   (pan_env_*) is a vector env of one with autoreset DISABLED and
 *   gymnasium's single-env rules.
 * - Observations: obs.frames (N, K, H, W, 3) uint8 and obs.latent (N, Q, D)
 *   float32, both caller-owned. In PAN_OBS_LATENT mode there are no frames
 *   (obs.frames must be NULL). A reset observation shows the first frame
 *   repeated K times. For a ground-truth world Q = 1 and D is the length of
 *   its true-state vector (pan_world_state_vector, docs/worlds.md); for the
 *   world model (Q, D) = (queries, backbone dim): s_1 = h(o_1) at reset,
 *   then the predicted ŝ_{t+1}.
 * - Rewards come from the episode's task (env/task.h), chosen at reset
 *   through pan_reset_options.task and kept for later episodes of that env
 *   until a reset names another. terminated = the task succeeded;
 *   truncated = max_episode_steps reached (0 = never).
 * - Autoreset (gymnasium 1.x semantics, docs/env.md):
 *   NEXT_STEP: the step after an env ended resets it instead of acting: its
 *     action is ignored, obs and info are the reset's, reward 0, both flags
 *     false (info.autoreset true).
 *   SAME_STEP: an env that ends is reset in the same step: reward and flags
 *     are the ending step's, obs and info the reset's; the ending
 *     observation and info go to final_obs / final_infos.
 *   DISABLED: nothing resets by itself; stepping an env that ended is
 *     FAILED_PRECONDITION (nothing changes); reset it with a mask.
 * - Seeds: an explicit seed s for env i (seeds array) starts that episode
 *   from s; a reset without seeds gives env i the next seed of its own
 *   deterministic seed stream (continuing from its last explicit seed, or
 *   from i at creation). Autoresets draw from that stream too. So the same
 *   seeds and actions give identical observations, rewards and infos.
 * - Fork / restore / rollout: pan_vec_env_fork copies env i's whole state
 *   (simulator, task goal, episode counters, last observation) into a
 *   snapshot with a new id (ids are never reused within a vector env);
 *   restore copies a snapshot back into a live env; release frees
 *   snapshots. Rollout runs B snapshots x T actions on scratch copies and
 *   never touches the live envs or the snapshots.
 * - Errors: every function checks all of its arguments before changing
 *   anything; on failure it returns a negative pan_status with a message
 *   (pan_error_message) and the env, its snapshots and the caller's output
 *   buffers are unchanged. Not understood action text is not an error
 *   (info.action.understood = false).
 * - Thread safety: one thread at a time per vector env; separate vector
 *   envs are independent.
 */
#ifndef PAN_ENV_ENV_H
#define PAN_ENV_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "env/world.h"

#define PAN_ENV_MAX_ENVS 1024        /* N */
#define PAN_ENV_TASK_TEXT_MAX 128    /* bytes with the NUL */
#define PAN_ENV_ACTION_MAX PAN_WORLD_ACTION_MAX /* bytes, without the NUL */
#define PAN_ENV_DEFAULT_MAX_EPISODE_STEPS 50
#define PAN_ENV_DEFAULT_MAX_SNAPSHOTS 4096

typedef enum pan_obs_mode {
    PAN_OBS_FULL = 0,  /* "full": frames and latent */
    PAN_OBS_LATENT     /* "latent": latent only (cheap imagined rollouts) */
} pan_obs_mode;

typedef enum pan_autoreset_mode {
    PAN_AUTORESET_NEXT_STEP = 0, /* "next_step" (gymnasium's default) */
    PAN_AUTORESET_SAME_STEP,     /* "same_step" */
    PAN_AUTORESET_DISABLED       /* "disabled" */
} pan_autoreset_mode;

/* Names used by the protocol and the tools ("full", "next_step", ...);
 * parse functions return INVALID_ARGUMENT naming the accepted values. */
const char *pan_obs_mode_name(pan_obs_mode mode);
pan_status pan_obs_mode_parse(const char *name, pan_obs_mode *mode);
const char *pan_autoreset_mode_name(pan_autoreset_mode mode);
pan_status pan_autoreset_mode_parse(const char *name, pan_autoreset_mode *mode);

struct pan_model;

typedef struct pan_env_config {
    const char *world;            /* "tabletop" | "rooms" (copied) */
    pan_world_config world_config;
    /* NULL: the ground-truth world is the env. Else the world model
     * (core/model/model.h; borrowed, it must outlive the env): each
     * episode starts from the world's first frame for its seed (and its
     * task's edits), then every observation is the model's; the world
     * parses and samples actions and its detector reads predicted frames
     * for tasks. The frame geometry must be the model's. */
    const struct pan_model *model;
    const char *model_backend;    /* compute backend of the model; NULL = auto */
    int model_threads;            /* its threads; 0 = the default */
    int num_envs;                 /* N, 1..PAN_ENV_MAX_ENVS */
    pan_obs_mode obs_mode;
    pan_autoreset_mode autoreset_mode;
    int max_episode_steps;        /* truncation; 0 = never */
    int max_snapshots;            /* live fork snapshots at most */
} pan_env_config;

/* tabletop, 64x64, K = 4, N = 1, full, next_step, 50 steps, 4096. */
pan_env_config pan_env_config_default(void);

/* ---- spaces, as data ---------------------------------------------------- */

typedef enum pan_space_dtype { PAN_SPACE_U8 = 0, PAN_SPACE_F32 } pan_space_dtype;

typedef struct pan_box_space {
    pan_space_dtype dtype;
    int rank;
    int64_t shape[5];
    double low, high;             /* frames 0..255; latent -inf..inf */
} pan_box_space;

typedef struct pan_text_space {
    int min_length, max_length;   /* characters (= bytes: the charset is ASCII) */
    const char *charset;          /* printable ASCII 0x20..0x7e (space and
                                     punctuation included); static */
} pan_text_space;

/* The spaces of ONE env (gymnasium's single_*_space); the vector spaces
 * add a leading N. */
typedef struct pan_env_spaces {
    pan_text_space action;
    bool has_frames;              /* false in PAN_OBS_LATENT mode */
    pan_box_space frames;         /* (K, H, W, 3) uint8 */
    pan_box_space latent;         /* (Q, D) float32 */
} pan_env_spaces;

/* ---- observations, infos, options -------------------------------------- */

typedef struct pan_obs_batch {
    uint8_t *frames;              /* (N, K, H, W, 3); NULL in latent mode */
    float *latent;                /* (N, Q, D) */
} pan_obs_batch;

/* What one env reports for one reset or step. Plain data; deterministic
 * (no timings). */
typedef struct pan_env_info {
    bool is_reset;                /* obs is a reset observation */
    bool autoreset;               /* NEXT_STEP: this step reset the env */
    uint64_t seed;                /* the episode's seed */
    int64_t episode_step;         /* steps since the episode's reset */
    pan_action_result action;     /* the step's action (zeroed on reset) */
    char task[PAN_ENV_TASK_TEXT_MAX]; /* the episode's goal, "" if none */
    bool success;                 /* the task's goal holds now */
} pan_env_info;

typedef struct pan_reset_options {
    /* NULL: keep each env's current task spec. "" or "none": no task
     * (reward 0, never terminated). "random": a random goal per episode.
     * Otherwise a goal in words for the world's task (env/task.h). */
    const char *task;
    /* NULL: reset every env; else reset only env i with mask[i] (at least
     * one true). Envs not reset keep their state and their last obs. */
    const bool *mask;             /* (N) */
    /* NULL: each episode starts from its world's first frame. Else (N, H,
     * W, 3) uint8, world-model envs only (INVALID_ARGUMENT otherwise): env
     * i (of those reset) starts from initial_frames[i] instead; its seed
     * still seeds the model's noise and the world that supplies the task's
     * goal, sampler and detector baseline. */
    const uint8_t *initial_frames;
} pan_reset_options;

/* ---- the vector env ----------------------------------------------------- */

typedef struct pan_vec_env pan_vec_env;

pan_status pan_vec_env_create(const pan_env_config *config, pan_vec_env **out);
void pan_vec_env_destroy(pan_vec_env *env);
pan_env_config pan_vec_env_config(const pan_vec_env *env); /* world points inside env */
void pan_vec_env_spaces(const pan_vec_env *env, pan_env_spaces *spaces);

/* Resets the envs of options->mask (all when options or mask is NULL).
 * seeds: (N) or NULL (see Seeds above); entries of envs not reset are
 * ignored. obs: the whole batch (envs not reset keep their last obs).
 * infos: (N); entries of envs not reset are zeroed. */
pan_status pan_vec_env_reset(pan_vec_env *env, const uint64_t *seeds,
                             const pan_reset_options *options,
                             pan_obs_batch *obs, pan_env_info *infos);

/* Steps all N envs with actions[i] (NUL-terminated UTF-8, at most
 * PAN_ENV_ACTION_MAX bytes). rewards, terminated, truncated, infos: (N).
 * SAME_STEP mode: final_obs / final_infos (N) receive the ending obs and
 * info of the envs that ended (has_final[i] true), others untouched; they
 * may be NULL in other modes. FAILED_PRECONDITION before the first reset. */
pan_status pan_vec_env_step(pan_vec_env *env, const char *const *actions,
                            pan_obs_batch *obs, float *rewards,
                            bool *terminated, bool *truncated,
                            pan_env_info *infos, pan_obs_batch *final_obs,
                            pan_env_info *final_infos, bool *has_final);

/* The current frame of env i (H, W, 3): the last frame of its last obs. */
pan_status pan_vec_env_render(const pan_vec_env *env, int i, uint8_t *frame);

/* Random action text from the world's sampler for each env, from each
 * env's own sampler stream (seeded at reset), so it is reproducible.
 * actions: N buffers of `size` >= PAN_ENV_ACTION_MAX + 1 bytes. */
pan_status pan_vec_env_sample_actions(pan_vec_env *env, pan_split split,
                                      char *const *actions, size_t size);

/* The true world state of env i (ground-truth worlds only; UNIMPLEMENTED
 * for a model env). Agents get the same numbers through the latent. */
pan_status pan_vec_env_true_state(const pan_vec_env *env, int i,
                                  pan_world_state *state);

/* Snapshots env_index[j] for j < n into ids[j]; RESOURCE_EXHAUSTED (none
 * taken) when the store would exceed max_snapshots. */
pan_status pan_vec_env_fork(pan_vec_env *env, int n, const int *env_index,
                            uint64_t *ids);
/* Sets env_index[j] to snapshot ids[j]; NOT_FOUND (nothing changed) for an
 * unknown id. obs (whole batch) and infos (N, restored envs only; others
 * zeroed) may be NULL. The snapshots stay. */
pan_status pan_vec_env_restore(pan_vec_env *env, int n, const int *env_index,
                               const uint64_t *ids, pan_obs_batch *obs,
                               pan_env_info *infos);
/* Frees snapshots; NOT_FOUND (none freed) if any id is unknown. */
pan_status pan_vec_env_release(pan_vec_env *env, int n, const uint64_t *ids);
int pan_vec_env_snapshot_count(const pan_vec_env *env);

/* Rollout of B snapshots x T steps: actions[b * T + t]. No autoreset: once
 * row b ends (terminated or truncated) its later steps are not simulated:
 * reward 0, the flags stay true, latent/frames repeat the ending obs.
 * Outputs: rewards (B, T); terminated, truncated (B, T); latents
 * (B, T, Q, D); frames (B, T, K, H, W, 3) or NULL (allowed in any obs
 * mode; in latent mode frames are rendered from the true state for a
 * world and UNIMPLEMENTED for a model). B <= PAN_ENV_MAX_ENVS. */
typedef struct pan_rollout_out {
    float *rewards;               /* (B, T) */
    bool *terminated;             /* (B, T) */
    bool *truncated;              /* (B, T) */
    float *latents;               /* (B, T, Q, D) */
    uint8_t *frames;              /* (B, T, K, H, W, 3) or NULL */
} pan_rollout_out;
pan_status pan_vec_env_rollout(pan_vec_env *env, int B, const uint64_t *ids,
                               int T, const char *const *actions,
                               pan_rollout_out *out);

/* ---- the single env (gymnasium.Env rules) ------------------------------ */

typedef struct pan_env pan_env;

/* config->num_envs must be 1 (or 0, taken as 1); the autoreset mode is
 * ignored (a single env never autoresets: step after the end is
 * FAILED_PRECONDITION until reset). */
pan_status pan_env_create(const pan_env_config *config, pan_env **out);
void pan_env_destroy(pan_env *env);
/* The vector env of one inside (fork, restore, rollout, spaces...). */
pan_vec_env *pan_env_vec(pan_env *env);
/* seed: NULL for the next seed of the stream. obs: one env's buffers. */
pan_status pan_env_reset(pan_env *env, const uint64_t *seed,
                         const char *task, pan_obs_batch *obs,
                         pan_env_info *info);
pan_status pan_env_step(pan_env *env, const char *action, pan_obs_batch *obs,
                        float *reward, bool *terminated, bool *truncated,
                        pan_env_info *info);
pan_status pan_env_render(const pan_env *env, uint8_t *frame);

#endif
