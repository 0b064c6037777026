/* agents/c/planner.h: planners over imagined rollouts (docs/agents.md
 * "Planners"): given a goal (env/task.h) and a simulator to imagine in,
 * choose the next language action for the true world.
 *
 * Contract
 * - A simulator (pan_planner_sim) is a small vtable over some env that can
 *   fork its live state into a snapshot id, roll B snapshot ids forward
 *   through T action texts each (latents, rewards, terminated flags and,
 *   when asked, the last of each step's K frames) and release ids.
 *   Backends: pan_client FORK/ROLLOUT/RELEASE over ZeroMQ
 *   (planner_sim_client.h) and pan_vec_env_fork/rollout/release in-process
 *   (planner_sim_vec.h); anything else can implement it. The planner only
 *   forks, rolls out and releases: it never steps, resets or restores the
 *   env it imagines in, so the live env is never touched while imagining.
 *   Every id a decision forks is released before it returns (also on
 *   error).
 * - Planners (pan_planner_kind):
 *   RANDOM   a uniformly random action of the world's action grammar
 *            (goal-unaware, no simulation);
 *   NOMODEL  one action drawn from the goal-relevant proposal (the
 *            grammar with the object slot restricted to the goal's
 *            objects), executed without simulating;
 *   PICK     k actions drawn from that proposal, each simulated one step,
 *            the one of lowest goal cost executed (ties: first drawn);
 *   CEM      the cross-entropy method over action sequences of `horizon`
 *            steps: one categorical distribution per slot and step
 *            (template; tabletop object, direction, distance, place,
 *            relation, other object; rooms direction, distance, turn),
 *            `samples` sequences per iteration, the `topk` of lowest score
 *            refit the distributions (p = (1 - smoothing) * elite
 *            frequency + smoothing * p, per slot used by an elite),
 *            `iters` iterations; the first action of the best sequence
 *            seen is executed (MPC: the next decision plans again).
 *   A sequence's score is min over its steps t of (cost_t + 0.01 t): the
 *   lowest goal cost it reaches, earlier preferred.
 * - Cost of an imagined step (pan_planner_cost_kind):
 *   DETECTOR  the world's detector (a local pan_world) reads the step's
 *             last frame; pan_task_cost scores what it reads (rooms: the
 *             camera estimate placed in the episode's map; no landmark in
 *             view = PAN_TASK_ROOMS_COST_MISSING);
 *   LATENT    for a ground-truth world sim the latent is the true-state
 *             vector: it is decoded and scored exactly by pan_task_cost;
 *             for a model sim whose session runs the goal-latent task
 *             ("latent: <goal>", sim->has_goal_latent) the cost is the
 *             normalised latent distance d = -reward of each step (the
 *             step where a row ended keeps its d).
 * - Determinism: a planner's random stream is reset by pan_planner_begin
 *   from (config.seed, episode seed), so the same seeds, goal and
 *   simulator outputs give the same actions.
 * - Ownership: the planner owns its buffers and its local world; the sim
 *   and its context are the caller's and must outlive the calls using
 *   them. Strings returned in `action` are copied into the caller's
 *   buffer.
 * - Errors: negative pan_status with a message (pan_error_message) saying
 *   what was expected, what was found and where; configuration errors at
 *   create; a failing simulator call ends the decision with its status
 *   (its message kept). Never exit()/abort().
 * - Thread safety: one thread at a time per planner.
 */
#ifndef PAN_AGENTS_C_PLANNER_H
#define PAN_AGENTS_C_PLANNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "env/task.h"
#include "env/world.h"

#define PAN_PLANNER_ACTION_MAX 96   /* bytes of an action, with the NUL */
#define PAN_PLANNER_MAX_SAMPLES 1024
#define PAN_PLANNER_MAX_HORIZON 16

/* ---- the simulator interface ------------------------------------------ */

typedef struct pan_planner_rollout {
    float *rewards;     /* (B, T) */
    bool *terminated;   /* (B, T) */
    float *latents;     /* (B, T, Q, D) */
    uint8_t *frames;    /* (B, T, H, W, 3): the LAST of each step's K
                           frames; NULL = not wanted */
} pan_planner_rollout;

typedef struct pan_planner_sim_vtable {
    /* Snapshots the sim's live env (its current state) into *id. */
    pan_status (*fork)(void *ctx, uint64_t *id);
    /* Row b runs from ids[b] through actions[b * T + t] on scratch copies
     * (the live env and the snapshots are not touched); fills `out`. */
    pan_status (*rollout)(void *ctx, int B, const uint64_t *ids, int T,
                          const char *const *actions,
                          pan_planner_rollout *out);
    /* Frees snapshots. */
    pan_status (*release)(void *ctx, int n, const uint64_t *ids);
} pan_planner_sim_vtable;

typedef struct pan_planner_sim {
    const pan_planner_sim_vtable *vtable;
    void *ctx;
    int K, H, W;            /* frames per step, frame size */
    int Q, D;               /* latent (Q, D) */
    bool latent_is_state;   /* a ground-truth world: latent = true state */
    bool has_goal_latent;   /* rewards are -d of a goal-latent task */
    bool has_frames;        /* rollout can return frames */
    int max_batch;          /* rows per rollout call, >= 1 */
} pan_planner_sim;

/* ---- configuration ------------------------------------------------------ */

typedef enum pan_planner_kind {
    PAN_PLANNER_RANDOM = 0, PAN_PLANNER_NOMODEL, PAN_PLANNER_PICK,
    PAN_PLANNER_CEM, PAN_PLANNER_KIND_COUNT
} pan_planner_kind;

typedef enum pan_planner_cost_kind {
    PAN_PLANNER_COST_DETECTOR = 0, PAN_PLANNER_COST_LATENT
} pan_planner_cost_kind;

typedef struct pan_planner_config {
    pan_planner_kind kind;
    pan_planner_cost_kind cost;
    const char *world;             /* "tabletop" | "rooms" (copied) */
    pan_world_config world_config; /* the frames the sim renders */
    int samples;                   /* CEM: sequences per iteration (100) */
    int topk;                      /* CEM: elites (10) */
    int iters;                     /* CEM: iterations (3) */
    int horizon;                   /* CEM: steps per sequence (2) */
    float smoothing;               /* CEM: weight of the old p (0.15) */
    int k;                         /* PICK: candidates (8) */
    uint64_t seed;
} pan_planner_config;

/* CEM, detector cost, the defaults above, 64x64 K = 4, seed 0. */
pan_planner_config pan_planner_config_default(const char *world);
/* "random" | "nomodel" | "pick" | "cem"; "detector" | "latent". */
const char *pan_planner_kind_name(pan_planner_kind kind);
pan_status pan_planner_kind_parse(const char *name, pan_planner_kind *kind);
const char *pan_planner_cost_name(pan_planner_cost_kind cost);
pan_status pan_planner_cost_parse(const char *name,
                                  pan_planner_cost_kind *cost);

/* ---- the planner --------------------------------------------------------- */

typedef struct pan_planner pan_planner;

typedef struct pan_planner_stats {
    int64_t decisions;
    int64_t imagined_steps;  /* rollout rows x steps */
    int64_t rollout_calls;
    double seconds;          /* wall time inside pan_planner_decide */
} pan_planner_stats;

/* INVALID_ARGUMENT for a config out of range (samples 1..1024, topk
 * 1..samples, iters >= 1, horizon 1..16, smoothing in [0, 1), k
 * 1..1024, an unknown world). */
pan_status pan_planner_create(const pan_planner_config *config,
                              pan_planner **out);
void pan_planner_destroy(pan_planner *p);

/* Starts a task: the goal (a place or structured goal; goal-latent goals
 * also for the LATENT cost on a model) and the episode's seed (rooms: the
 * map's seed, for the detector). Resets the random stream. */
pan_status pan_planner_begin(pan_planner *p, const pan_goal *goal,
                             uint64_t episode_seed);

/* One decision. `now`: the state the grammar names objects from (the
 * current true state, or what the detector reads from the current frame:
 * pan_planner_observe_frame / _latent). sim: where to imagine; may be
 * NULL for RANDOM and NOMODEL. Writes the action text (size >=
 * PAN_PLANNER_ACTION_MAX). */
pan_status pan_planner_decide(pan_planner *p, const pan_planner_sim *sim,
                              const pan_world_state *now, char *action,
                              size_t size);

/* What the planner sees: the detector's reading of a frame (H, W, 3) of
 * the true world (rooms: landmarks in world cells, the camera estimate),
 * or the state decoded from a ground-truth latent (the true-state vector,
 * docs/worlds.md). */
pan_status pan_planner_observe_frame(pan_planner *p, const uint8_t *frame,
                                     pan_world_state *state);
pan_status pan_planner_observe_latent(pan_planner *p, const float *latent,
                                      int size, pan_world_state *state);

/* The goal's cost of a state (pan_task_cost on the planner's goal). */
pan_status pan_planner_state_cost(pan_planner *p, const pan_world_state *state,
                                  float *cost);

pan_planner_stats pan_planner_get_stats(const pan_planner *p);
void pan_planner_reset_stats(pan_planner *p);

#endif
