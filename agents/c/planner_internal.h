/* agents/c/planner_internal.h: the planner's insides (internal to
 * agents/c/planner*.c): the templated action grammar with one categorical
 * distribution per slot, the cost of imagined steps, and the planner
 * struct.
 *
 * Contract
 * - Grammar (planner_grammar.c). Slots: TEMPLATE, then per world:
 *   tabletop MOVE "move <c> <s> <left|right|up|down> <1..max_cells>"
 *   (OBJECT, DIR, DIST), PLACE "move <c> <s> to <place>" (OBJECT, PLACE:
 *   the 9 places), RELATION "move <c> <s> <next to|left of|right of|
 *   above|below> <c2> <s2>" (OBJECT, REL, OTHER != OBJECT); rooms GO "go
 *   <north|east|south|west> <1..10>" (DIR, DIST), TURN "turn <left|right|
 *   around>" (TURN). Objects are the visible objects of the state the
 *   grammar is built from, in (colour, shape) order. All texts are the
 *   worlds' canonical forms (they parse back to themselves).
 * - A pg_dist holds one step's distributions; pg_sample draws the
 *   template, then every slot it uses (OTHER renormalised without the
 *   drawn OBJECT); pg_refit is CEM's update. A table without objects has
 *   no tabletop action: pg_sample then gives template -1 ("wait").
 * - Pure functions of their arguments and the caller's RNG state.
 */
#ifndef PAN_AGENTS_C_PLANNER_INTERNAL_H
#define PAN_AGENTS_C_PLANNER_INTERNAL_H

#include "agents/c/planner.h"

enum {
    PG_TEMPLATE = 0, PG_OBJECT, PG_DIR, PG_DIST, PG_PLACE, PG_REL, PG_OTHER,
    PG_TURN, PG_SLOTS
};
enum { PG_T_MOVE = 0, PG_T_PLACE, PG_T_RELATION };       /* tabletop */
enum { PG_T_GO = 0, PG_T_TURN };                         /* rooms */
#define PG_MAX_VALUES 24
#define PG_MAX_TEMPLATES 3

typedef struct pg_grammar {
    bool rooms;
    int size[PG_SLOTS];                       /* values per slot (0 unused) */
    int n_templates;
    bool uses[PG_MAX_TEMPLATES][PG_SLOTS];
    int colour[PAN_WORLD_MAX_OBJECTS], shape[PAN_WORLD_MAX_OBJECTS];
} pg_grammar;

typedef struct pg_action {
    int8_t v[PG_SLOTS];                       /* -1 = unused */
} pg_action;

typedef struct pg_dist {
    float p[PG_SLOTS][PG_MAX_VALUES];
} pg_dist;

uint64_t pg_rng_next(uint64_t *state);
float pg_rng_unit(uint64_t *state);           /* [0, 1) */

/* The grammar of `world` ("tabletop"/"rooms") over the visible objects of
 * `now` (tabletop), for frames of `config`. */
void pg_grammar_init(pg_grammar *g, bool rooms, const pan_world_config *config,
                     const pan_world_state *now);
/* Uniform over the grammar. */
void pg_dist_uniform(const pg_grammar *g, pg_dist *d);
/* The goal-relevant proposal: uniform, but the OBJECT slot only on the
 * goal's objects that are visible (all objects when none is); rooms: GO
 * only (turns do not move the camera). */
void pg_dist_goal(const pg_grammar *g, const pan_goal *goal, pg_dist *d);
void pg_sample(const pg_grammar *g, const pg_dist *d, uint64_t *rng,
               pg_action *a);
void pg_text(const pg_grammar *g, const pg_action *a, char *buf, size_t size);
/* d <- (1 - smoothing) * elite frequencies + smoothing * d, per slot, over
 * the n elites that use the slot (slots no elite uses keep d). */
void pg_refit(const pg_grammar *g, pg_dist *d, const pg_action *elites,
              int n, int stride, float smoothing);

/* ---- cost (planner_cost.c) ---- */

struct pan_planner {
    pan_planner_config cfg;
    char world_name[16];
    bool rooms;
    pan_world *world;             /* local: detector, rooms map */
    pan_goal goal;
    bool has_goal;
    uint64_t episode_seed;
    uint64_t rng;
    pan_planner_stats stats;
    /* decision buffers, (samples x horizon) */
    pg_action *seqs;
    char (*texts)[PAN_PLANNER_ACTION_MAX];
    const char **ptrs;
    float *scores;
    int *order;
    uint64_t *ids;
    /* rollout outputs, grown to the largest call */
    float *rewards, *latents, *costs;
    bool *terminated;
    uint8_t *frames;
    size_t cap_rows, cap_latent, cap_frame;
};

/* Costs (B, T) of rollout rows 0..B-1 from the outputs in p's buffers
 * (rewards, terminated, latents and, for the detector, frames). */
pan_status pc_costs(pan_planner *p, const pan_planner_sim *sim, int B, int T,
                    float *costs);
/* Decodes a true-state vector into a state (rooms: seed = episode seed). */
pan_status pc_decode_latent(const pan_planner *p, const float *latent,
                            int size, pan_world_state *state);
/* The detector's reading of a frame as a state the goal can score. */
pan_status pc_detect(pan_planner *p, const uint8_t *frame,
                     pan_world_state *state);

#endif
