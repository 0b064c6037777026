/* env/vec/sim.h: the simulator a vector env drives (internal): a fixed set
 * of integer "slots", each holding one environment's simulation state, with
 * batched reset and step.
 *
 * Contract
 * - A sim is created with `slots` slots (the vector env asks for N live
 *   slots plus scratch slots for rollouts). Slot numbers are 0..slots-1;
 *   the vector env owns their meaning.
 * - reset and step act on a batch of n distinct slots in ONE call, so a
 *   world model can run one forward pass for the batch; they write each
 *   slot's observation through per-item pointers: frames[j] (K, H, W, 3)
 *   uint8 (may be NULL: not wanted) and latents[j] (Q, D) float32. A reset
 *   observation is the first frame repeated K times.
 * - reset also begins the slot's task (env/task.h): tasks[j] may edit the
 *   freshly reset simulation (pan_task_begin) before the observation is
 *   taken; goals[j] receives the episode's goal.
 * - snapshot_size / save / load: an opaque blob of the whole simulation
 *   state of one slot (a world: its pan_world_state; the model: its live
 *   KV history, decoder window, RNG and pending state), whose size may
 *   depend on the slot's current state. load of a blob saved by the same
 *   sim restores the slot exactly; a blob that does not fit is DATA_LOSS
 *   and changes nothing. copy(dst, src) = save + load without a blob.
 * - task_state: the state a task scores (the true state for a world, the
 *   detector's reading of the predicted frame for a model). true_state is
 *   optional (UNIMPLEMENTED for a model).
 * - Errors: negative pan_status with pan_error_set; the caller (the vector
 *   env) validates its arguments first, so a sim only sees slots in range,
 *   distinct slots per batch and checked action text. A failing batch call
 *   may have changed earlier slots of the batch; the vector env only sends
 *   batches it has fully validated, and treats a failure as INTERNAL.
 * - Thread safety: one thread at a time per sim.
 */
#ifndef PAN_ENV_VEC_SIM_H
#define PAN_ENV_VEC_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "env/task.h"
#include "env/world.h"

typedef struct pan_sim_spaces {
    int K, H, W; /* frames per step, height, width */
    int Q, D;    /* latent (Q, D) */
} pan_sim_spaces;

typedef struct pan_sim pan_sim;

typedef struct pan_sim_vtable {
    const char *kind; /* "world" or "model" */
    void (*destroy)(pan_sim *sim);

    /* Starts an episode in each slots[j] from seeds[j], begins tasks[j]
     * (NULL = no task; goal kind NONE) and writes the reset observation.
     * initial (NULL, or per item NULL = the world's): the first frame
     * (H, W, 3) to start from; only the model sim accepts them. */
    pan_status (*reset)(pan_sim *sim, int n, const int *slots,
                        const uint64_t *seeds, const pan_task *const *tasks,
                        pan_goal *goals, const uint8_t *const *initial,
                        uint8_t *const *frames, float *const *latents);
    /* One step of each slots[j] with actions[j]; results[j] says what the
     * action did. frames[j] may be NULL. */
    pan_status (*step)(pan_sim *sim, int n, const int *slots,
                       const char *const *actions, pan_action_result *results,
                       uint8_t *const *frames, float *const *latents);

    size_t (*snapshot_size)(const pan_sim *sim, int slot);
    pan_status (*save)(const pan_sim *sim, int slot, void *blob);
    pan_status (*load)(pan_sim *sim, int slot, const void *blob, size_t bytes);
    pan_status (*copy)(pan_sim *sim, int dst, int src);

    /* The current frame (H, W, 3) of a slot. */
    pan_status (*render)(const pan_sim *sim, int slot, uint8_t *frame);
    pan_status (*true_state)(const pan_sim *sim, int slot,
                             pan_world_state *state);
    pan_status (*task_state)(const pan_sim *sim, int slot,
                             pan_world_state *state);
    /* The goal latent (Q, D) of the slot's episode for goal-latent tasks,
     * NULL if none; the vtable entry is NULL for sims without them. */
    const float *(*goal_latent)(const pan_sim *sim, int slot);
    /* A random action for the slot's current state, from *rng. */
    pan_status (*sample_action)(const pan_sim *sim, int slot, uint64_t *rng,
                                pan_split split, char *buf, size_t size);
} pan_sim_vtable;

struct pan_sim {
    const pan_sim_vtable *vtable;
    int slots;
    pan_sim_spaces spaces;
    pan_world_config world_config; /* frame geometry tasks score against */
    void *impl;
};

/* The ground-truth world simulator (env/vec/sim_world.c): one pan_world per
 * slot; Q = 1, D = the world's state-vector length. NOT_FOUND for an
 * unknown world, INVALID_ARGUMENT for a bad config. */
pan_status pan_sim_world_create(const char *world,
                                const pan_world_config *config, int slots,
                                pan_sim **out);

/* The world-model simulator (env/vec/sim_model.c): one GLP env per slot
 * (core/model/glp/glp.h) of the borrowed `model` (it must outlive the sim),
 * with its own compute (backend, threads: core/compute.h). The ground-
 * truth `world` supplies each episode's first frame from its seed (and
 * the task's edits), parses actions for results, samples actions and
 * detects objects in predicted frames for task_state. with_frames false
 * is latent obs mode (no decoder). Q = queries, D = backbone dim.
 * INVALID_ARGUMENT when the world's frame geometry (H, W, K) is not the
 * model's (naming both). */
struct pan_model;
pan_status pan_sim_model_create(const struct pan_model *model,
                                const char *world,
                                const pan_world_config *config,
                                bool with_frames, const char *backend,
                                int threads, int slots, pan_sim **out);

void pan_sim_destroy(pan_sim *sim);

#endif
