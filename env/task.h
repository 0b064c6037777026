/* env/task.h: tasks and rewards: a goal chosen per episode and a score of
 * a state against it. The world model env reuses the same interface.
 *
 * Contract
 * - A pan_task is a task *spec* shared by the envs of a vector env
 *   ("random", or a goal in words such as "put the red circle in the top
 *   left corner"); a pan_goal is one episode's concrete goal: plain data of
 *   fixed size, so a snapshot copies it with the rest of the env.
 * - pan_task_begin chooses the episode's goal after the world's reset and
 *   may edit the world so the goal is reachable and not already met
 *   (documented per task in docs/env.md); it draws only from `seed`, so it
 *   is deterministic and leaves the world's own RNG stream alone.
 * - pan_task_evaluate scores a state: reward and success. Its input is a
 *   world state: the true state for a ground-truth world, or the state the
 *   world's detector reads from a predicted frame for the model; and the
 *   latent, for tasks defined on latents (goal-latent distance, later).
 * - The tabletop task "place": the goal names one object and one place
 *   (4 corners, 4 edges, the centre) as the world's place actions do
 *   (docs/worlds.md). It holds when that object is visible and its bounding
 *   square is within PAN_TASK_TOLERANCE_PX of every wall the place names
 *   (for the centre: its centre within that distance of the table's
 *   centre). Reward 1 on a step where it holds, else 0; the env terminates
 *   the episode on success.
 * - The goal-latent task ("latent: random" or "latent: <a place goal in
 *   words>"; world-model envs only): the same goal and begin as "place",
 *   but scored on latents: the env renders the goal image (the world with
 *   the object moved to its place target, pan_task_goal_state) and encodes
 *   it as the model encodes observations; reward = -d, d = |latent -
 *   goal_latent|^2 / |goal_latent|^2, success when d <=
 *   PAN_TASK_LATENT_TOLERANCE. Without a goal latent evaluation is
 *   FAILED_PRECONDITION.
 * - Errors: INVALID_ARGUMENT for a goal text the task does not understand
 *   (message says what is accepted), NOT_FOUND for a world without tasks.
 *   Nothing changes on error.
 * - Thread safety: a pan_task is immutable after creation; share it.
 */
#ifndef PAN_ENV_TASK_H
#define PAN_ENV_TASK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "env/world.h"

#define PAN_TASK_TEXT_MAX 128
#define PAN_TASK_TOLERANCE_PX 1.5f

typedef enum pan_task_kind {
    PAN_TASK_NONE = 0,   /* no goal: reward 0, never succeeds */
    PAN_TASK_PLACE,      /* tabletop: put an object at a place */
    PAN_TASK_GOAL_LATENT /* reach the latent of the place goal's image */
} pan_task_kind;

/* A goal-latent task succeeds when the latent's normalised squared
 * distance to the goal latent is at most this. */
#define PAN_TASK_LATENT_TOLERANCE 0.05f

typedef enum pan_place {
    PAN_PLACE_TOP_LEFT = 0, PAN_PLACE_TOP_RIGHT,
    PAN_PLACE_BOTTOM_LEFT, PAN_PLACE_BOTTOM_RIGHT,
    PAN_PLACE_TOP, PAN_PLACE_BOTTOM, PAN_PLACE_LEFT, PAN_PLACE_RIGHT,
    PAN_PLACE_CENTRE,
    PAN_PLACE_COUNT
} pan_place;

/* One episode's goal (plain data). */
typedef struct pan_goal {
    int32_t kind;                 /* pan_task_kind */
    int32_t colour, shape;        /* the object (PLACE) */
    int32_t place;                /* pan_place (PLACE) */
    char text[PAN_TASK_TEXT_MAX]; /* canonical words, "" for NONE */
} pan_goal;

typedef struct pan_task_input {
    const pan_world_state *state; /* true or detected state */
    const float *latent;          /* (Q, D) or NULL */
    int latent_size;              /* Q * D */
    const float *goal_latent;     /* (Q, D): the goal image's latent, or NULL */
} pan_task_input;

typedef struct pan_task pan_task;

/* spec: NULL, "" or "none": the NONE task; "random": a random place goal
 * per episode over the objects on the table; otherwise a goal in words
 * ("put/move/... the <colour> <shape> in/to the <place>"). */
pan_status pan_task_create(const char *world_name, const char *spec,
                           pan_task **out);
void pan_task_destroy(pan_task *task);
/* The normalised spec: "none", "random" or the goal's canonical text. */
const char *pan_task_spec(const pan_task *task);

/* Parses a goal in words (as pan_task_create does) into `goal`, with its
 * canonical text "put the <colour> <shape> in the <place>"; agents use it
 * to read info.task. INVALID_ARGUMENT (goal unchanged) if it is not one. */
pan_status pan_task_parse_goal(const char *world_name, const char *text,
                               pan_goal *goal);

/* Chooses the goal of an episode that `world` has just started (after
 * pan_world_reset). May edit the world: a named object that is not on
 * the table is added with the world's own "add" action; an object already
 * at its place is moved away. Leaves world steps at 0. */
pan_status pan_task_begin(const pan_task *task, pan_world *world,
                          uint64_t seed, pan_goal *goal);

/* Whether episodes of this task need a goal latent from the env. */
bool pan_task_needs_goal_latent(const pan_task *task);

/* The goal image's state for a place or goal-latent goal: the world's
 * current state with the goal's object (the first visible one of its
 * colour and shape) moved to its place target. NOT_FOUND when the object
 * is not on the table. */
pan_status pan_task_goal_state(const pan_goal *goal, const pan_world *world,
                               pan_world_state *state);

/* Scores `in` against `goal`. */
pan_status pan_task_evaluate(const pan_goal *goal, const pan_world_config *config,
                             const pan_task_input *in, float *reward,
                             bool *success);

/* The target of a place goal: where the object's centre ends when it is
 * moved there on an empty table (pixels); for an edge, the coordinate
 * along the edge is the object's current one. Scripted agents use it. */
pan_status pan_task_place_target(const pan_goal *goal,
                                 const pan_world_config *config,
                                 const pan_object_state *object, float *x,
                                 float *y);

#endif
