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
 *   words>"; "latent: structured: <family>" or "latent: <a structured
 *   goal>", tabletop; "latent: structured: landmark|random" or "latent:
 *   the camera is at the <colour> <shape>", rooms; world-model envs only):
 *   the same goal and begin as without the prefix, but scored on latents:
 *   the env renders the goal image (pan_task_goal_state: the world with
 *   the object moved to its place target, or the reference plan's final
 *   state, for rooms the camera where it ends) and encodes it as the
 *   model encodes observations; reward = -d, d = |latent -
 *   goal_latent|^2 / |goal_latent|^2, success when d <=
 *   PAN_TASK_LATENT_TOLERANCE. Without a goal latent evaluation is
 *   FAILED_PRECONDITION. info.task reads "latent: <the goal's text>".
 * - Structured goal families (docs/env.md "Structured goal families"):
 *   tabletop place, relation (next to / left of / right of / above /
 *   below another object), group (all objects of one colour together),
 *   line (three objects in a row or a column); rooms landmark (the camera
 *   at a landmark). Each is plain data in pan_goal, has a canonical text
 *   that parses back (pan_task_parse_goal), an exact predicate on a
 *   pan_world_state (pan_task_evaluate) and a dense non-negative cost
 *   (pan_task_cost: 0 exactly when the predicate holds). Specs
 *   "structured: random|place|relation|group|line|landmark" sample a goal
 *   per episode that is reachable, not already met, and solved by the
 *   reference search (pan_task_solve) within its budget; goal.budget =
 *   pan_task_budget_of(plan length), 5..10 actions.
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
    PAN_TASK_NONE = 0,    /* no goal: reward 0, never succeeds */
    PAN_TASK_PLACE,       /* tabletop: put an object at a place */
    PAN_TASK_GOAL_LATENT, /* reach the latent of a goal's image */
    PAN_TASK_RELATION,    /* tabletop: an object beside another */
    PAN_TASK_GROUP,       /* tabletop: the objects of one colour together */
    PAN_TASK_LINE,        /* tabletop: three objects in a row or column */
    PAN_TASK_LANDMARK,    /* rooms: the camera at a landmark */
    PAN_TASK_KIND_COUNT
} pan_task_kind;

/* The relations of PAN_TASK_RELATION ("put the red circle <relation> the
 * green triangle"). */
typedef enum pan_relation {
    PAN_RELATION_NEXT_TO = 0, PAN_RELATION_LEFT_OF, PAN_RELATION_RIGHT_OF,
    PAN_RELATION_ABOVE, PAN_RELATION_BELOW,
    PAN_RELATION_COUNT
} pan_relation;

/* The axis of PAN_TASK_LINE: a row (equal y) or a column (equal x). */
typedef enum pan_line_axis {
    PAN_LINE_ROW = 0, PAN_LINE_COLUMN, PAN_LINE_AXIS_COUNT
} pan_line_axis;

/* Tolerances of the structured families (docs/env.md): the world's contact
 * gap is 1 px; facing edges must be that gap within PAN_TASK_TOLERANCE_PX;
 * alignments are within half a cell; a group's pairs within one cell of
 * touching; a landmark within 2 cells of the camera. */
#define PAN_TASK_CONTACT_PX 1.0f
#define PAN_TASK_ALIGN_CELLS 0.5f
#define PAN_TASK_GROUP_CELLS 1.0f
#define PAN_TASK_LANDMARK_CELLS 2.0f

/* Budgets: pan_task_budget_of(L) = clamp(2 L + 3, MIN, MAX) for a
 * reference plan of L actions; samplers accept plans of at most
 * PAN_TASK_SOLVE_MAX actions. */
#define PAN_TASK_BUDGET_MIN 5
#define PAN_TASK_BUDGET_MAX 10
#define PAN_TASK_SOLVE_MAX 6
#define PAN_TASK_PLAN_ACTION_MAX 96 /* bytes of a plan action, with NUL */
#define PAN_TASK_ROOMS_COST_MISSING 1000.0f

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

/* One episode's goal (plain data, fixed size). */
typedef struct pan_goal {
    int32_t kind;                 /* pan_task_kind */
    int32_t colour, shape;        /* the object: PLACE, RELATION (the one
                                     that moves), LINE (first), LANDMARK;
                                     GROUP: the colour (shape -1) */
    int32_t place;                /* pan_place (PLACE) */
    int32_t relation;             /* pan_relation (RELATION), pan_line_axis
                                     (LINE) */
    int32_t colour2, shape2;      /* RELATION: the reference; LINE: second */
    int32_t colour3, shape3;      /* LINE: third */
    int32_t family;               /* GOAL_LATENT: the kind whose goal image
                                     it reaches (0 = PLACE) */
    int32_t budget;               /* actions allowed (structured goals,
                                     5..10); 0 = not set */
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
 * per episode over the objects on the table; "structured: <family>" (any
 * casing): a sampled structured goal per episode (<family>: random,
 * place, relation, group, line for tabletop; random, landmark for rooms);
 * otherwise a goal in words ("put/move/... the <colour> <shape> in/to the
 * <place>", or a structured goal's canonical text, docs/env.md). Any of
 * the world's specs but none after "latent: " is a goal-latent task. */
pan_status pan_task_create(const char *world_name, const char *spec,
                           pan_task **out);
void pan_task_destroy(pan_task *task);
/* The normalised spec: "none", "random" or the goal's canonical text. */
const char *pan_task_spec(const pan_task *task);

/* Parses a goal in words (as pan_task_create does) into `goal`, with its
 * canonical text ("put the <colour> <shape> in the <place>", or a
 * structured goal's, docs/env.md); agents use it to read info.task.
 * goal->budget is 0 (the text does not carry it: pan_task_budget).
 * INVALID_ARGUMENT (goal unchanged) if it is not one. */
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
 * colour and shape) moved to its place target, or, when that target
 * overlaps another object, the final state of pan_task_solve's plan (a
 * state the world accepts either way). NOT_FOUND when the object is not on
 * the table. For the structured families (and goal-latent goals
 * of them, tabletop or rooms): the final state of pan_task_solve's plan
 * from the world's current state (NOT_FOUND when it finds none). */
pan_status pan_task_goal_state(const pan_goal *goal, const pan_world *world,
                               pan_world_state *state);

/* Scores `in` against `goal`. */
pan_status pan_task_evaluate(const pan_goal *goal, const pan_world_config *config,
                             const pan_task_input *in, float *reward,
                             bool *success);

/* The dense cost of `state` for a place or structured goal (pixels for
 * tabletop, cells for rooms; docs/env.md gives every formula): >= 0, and
 * 0 exactly when pan_task_evaluate says success. A goal object that is not
 * visible costs W + H px (tabletop) or PAN_TASK_ROOMS_COST_MISSING cells
 * (rooms; also a camera off the map's floor). Rooms costs are path lengths through the map of state->seed (a
 * per-thread cache keeps the last map's distance field). INVALID_ARGUMENT
 * for NONE and goal-latent goals (their cost is the latent distance) and
 * for bad arguments. */
pan_status pan_task_cost(const pan_goal *goal, const pan_world_config *config,
                         const pan_world_state *state, float *cost);

/* A reference plan: actions in the world's canonical words, and the state
 * they lead to (where the goal holds). */
typedef struct pan_task_plan {
    int length;
    char actions[PAN_TASK_SOLVE_MAX][PAN_TASK_PLAN_ACTION_MAX];
    pan_world_state final_state;
} pan_task_plan;

/* Searches the world's own moves from the world's current state (the
 * world is not changed) for a plan of at most PAN_TASK_SOLVE_MAX actions
 * reaching the goal: tabletop, a beam search over every visible object's
 * moves (4 directions x 1..8 cells, the 9 places, the 5 relations to each
 * other object) with the world's physics; rooms, a breadth-first search
 * over "go <direction> <1..10>" (shortest). length 0 when the goal holds.
 * NOT_FOUND when none is found; INVALID_ARGUMENT for a goal that is not
 * place or structured, or a world of the other kind. Deterministic: the
 * same goal and state (whatever the order of the objects) give the same
 * plan. */
pan_status pan_task_solve(const pan_goal *goal, const pan_world *world,
                          pan_task_plan *plan);

/* clamp(2 * length + 3, PAN_TASK_BUDGET_MIN, PAN_TASK_BUDGET_MAX). */
int pan_task_budget_of(int length);

/* The budget of `goal` from the world's current state, as begin sets it:
 * pan_task_budget_of(the solve plan's length), PAN_TASK_BUDGET_MAX when no
 * plan is found. Clients call it on the episode's first state (the reset
 * latent of a world env is that state) to learn the budget. */
pan_status pan_task_budget(const pan_goal *goal, const pan_world *world,
                           int *budget);

/* The family's name: "none", "place", "goal latent", "relation", "group",
 * "line", "landmark" ("?" out of range). */
const char *pan_task_kind_name(int kind);

/* The target of a place goal: where the object's centre ends when it is
 * moved there on an empty table (pixels); for an edge, the coordinate
 * along the edge is the object's current one. Scripted agents use it. */
pan_status pan_task_place_target(const pan_goal *goal,
                                 const pan_world_config *config,
                                 const pan_object_state *object, float *x,
                                 float *y);

#endif
