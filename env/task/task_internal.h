/* env/task/task_internal.h: the task spec's insides and the tabletop place
 * task's entry points (internal to env/task).
 *
 * Contract
 * - A pan_task is immutable after pan_task_create: its world, its mode
 *   (none, random, a fixed goal) and its normalised spec text.
 * - task_place_* work on the tabletop world only; pan_task_* (task.c) check
 *   the arguments and the world before calling them.
 * - Thread safety: pure functions of their arguments (begin edits only the
 *   world it is given).
 */
#ifndef PAN_ENV_TASK_TASK_INTERNAL_H
#define PAN_ENV_TASK_TASK_INTERNAL_H

#include "env/task.h"

typedef enum task_world {
    TASK_WORLD_TABLETOP = 0,
    TASK_WORLD_ROOMS
} task_world;

typedef enum task_mode {
    TASK_MODE_NONE = 0, /* no goal */
    TASK_MODE_RANDOM,   /* a random place goal per episode */
    TASK_MODE_GOAL,     /* the fixed goal in `goal` */
    TASK_MODE_STRUCTURED /* a sampled goal of `family` per episode */
} task_mode;

struct pan_task {
    task_world world;
    task_mode mode;
    int family;                   /* STRUCTURED: a pan_task_kind, or
                                     PAN_TASK_NONE for any family */
    bool latent;                  /* "latent: ...": a goal-latent task */
    pan_goal goal;                /* TASK_MODE_GOAL */
    char spec[PAN_TASK_TEXT_MAX]; /* "none", "random" or the goal's text */
};

/* The canonical place words, in pan_place order ("top left corner"...). */
extern const char *const task_place_names[PAN_PLACE_COUNT];

/* Parses a goal in words through the tabletop parser (templates 13-16). */
pan_status task_place_parse(const char *text, pan_goal *goal);
/* Writes goal->text: "put the <colour> <shape> in the <place>". */
void task_place_goal_text(pan_goal *goal);
/* Checks colour, shape and place of a PLACE goal ("where" names the call). */
pan_status task_place_check_goal(const pan_goal *goal, const char *where);
/* Begins an episode on a freshly reset tabletop world (docs/env.md).
 * frames: (K, H, W, 3) scratch for the world's edit actions, or NULL to
 * allocate one when an edit is needed. */
pan_status task_place_begin(const pan_task *task, pan_world *world,
                            uint64_t seed, uint8_t *frames, pan_goal *goal);

/* pan_task_begin with a caller's scratch (K, H, W, 3) for the world's
 * frames (NULL: allocated when needed); the vector env passes its own so
 * that nothing is allocated per episode. */
pan_status task_begin_with_frames(const pan_task *task, pan_world *world,
                                  uint64_t seed, uint8_t *frames,
                                  pan_goal *goal);
/* "latent:" prefix of a spec or goal text: the rest after it, or NULL. */
const char *task_latent_rest(const char *text);
/* Makes a begun place, structured or landmark goal a goal-latent one
 * (kind, family and text). */
void task_latent_goal(pan_goal *goal);
/* Reward and success of a goal-latent goal. */
pan_status task_latent_evaluate(const pan_goal *goal, const pan_task_input *in,
                                float *reward, bool *success);

/* Does the goal hold in `state` for frames of `config`? */
bool task_place_holds(const pan_goal *goal, const pan_world_config *config,
                      const pan_world_state *state);

/* ---- structured families (task_family_*.c, task_rooms.c, task_solve.c,
 * task_structured.c) ---- */

/* Is the kind a structured family of that world (place counts)? */
bool task_family_of_world(int kind, task_world world);
/* "structured: <family>" (any casing and spacing): *family gets the kind
 * (PAN_TASK_NONE for "random") and true is returned; false when the text
 * does not start with "structured:". INVALID_ARGUMENT (via *status) for
 * an unknown family name. */
bool task_structured_spec(const char *text, task_world world, int *family,
                          pan_status *status);
/* Parses the canonical text of a relation, group, line or landmark goal
 * (any casing, spacing, punctuation): PAN_OK, or INVALID_ARGUMENT saying
 * what is accepted. */
pan_status task_family_parse(const char *text, task_world world,
                             pan_goal *goal);
/* Writes goal->text, the canonical words of a structured goal. */
void task_family_text(pan_goal *goal);
/* Checks the fields of a structured goal ("where" names the call). */
pan_status task_family_check(const pan_goal *goal, const char *where);
/* Predicate and cost of a relation, group or line goal on a tabletop
 * state; place costs too (place holds: task_place_holds). */
bool task_family_holds(const pan_goal *goal, const pan_world_config *config,
                       const pan_world_state *state);
float task_family_cost(const pan_goal *goal, const pan_world_config *config,
                       const pan_world_state *state);
float task_place_cost(const pan_goal *goal, const pan_world_config *config,
                      const pan_world_state *state);

/* Rooms landmark goals (task_rooms.c). */
bool task_rooms_holds(const pan_goal *goal, const pan_world_state *state);
float task_rooms_cost(const pan_goal *goal, const pan_world_state *state);
/* pan_task_solve on rooms from `state`; the final state's visible flags
 * are those of frames of `config`. */
pan_status task_rooms_solve(const pan_goal *goal, const pan_world_config *config,
                            const pan_world_state *state, pan_task_plan *plan);
pan_status task_rooms_begin(const pan_task *task, pan_world *world,
                            uint64_t seed, uint8_t *frames, pan_goal *goal);

/* Tabletop reference search (task_solve.c): from `start` in a world of
 * `config`; the same contract as pan_task_solve. */
pan_status task_tabletop_solve(const pan_goal *goal,
                               const pan_world_config *config,
                               const pan_world_state *start,
                               pan_task_plan *plan);

/* Tabletop structured begin (task_structured.c): a sampled goal of
 * task->family (STRUCTURED) or the fixed relation/group/line goal (GOAL),
 * made reachable and not met, with its budget. */
pan_status task_structured_begin(const pan_task *task, pan_world *world,
                                 uint64_t seed, uint8_t *frames,
                                 pan_goal *goal);
/* Holds for any place or structured goal (the dispatch of evaluate). */
bool task_goal_holds(const pan_goal *goal, const pan_world_config *config,
                     const pan_world_state *state);

#endif
