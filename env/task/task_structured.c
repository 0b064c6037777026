/* env/task/task_structured.c: begin for the tabletop structured families
 * (docs/env.md "Structured goal families", "The sampler"): a sampled goal
 * of a family ("structured: <family>") or a fixed relation, group or line
 * goal, made reachable and not met, with its budget.
 *
 * Sampled ("structured: ..."), from an RNG seeded by seed ^ "TASK_STR",
 * up to SAMPLE_ATTEMPTS draws, each from the world's post-reset state:
 * - the family: the spec's, or uniform over place, relation, group, line;
 * - place: a visible object and a place, uniform, begun as the place task
 *   begins a fixed goal (task_place.c: added or moved away if needed);
 * - relation: two distinct visible objects and a relation, uniform;
 * - group: the colour of a uniformly drawn visible object; when it is the
 *   only one of its colour, or its objects are already together and a
 *   shape of it is missing, another shape of that colour (uniform among
 *   those not on the table) is added;
 * - line: three distinct visible objects and an axis, uniform, after
 *   adding random (colour, shape) pairs while fewer than three are
 *   visible;
 * - sampled objects are added with "add a <colour> <shape> at the
 *   <place>", the places from a uniformly drawn one on, then "add a
 *   <colour> <shape>" (anywhere);
 * a draw is kept when its goal does not hold and pan_task_solve finds a
 * plan (of at most PAN_TASK_SOLVE_MAX moves); budget = pan_task_budget_of
 * (plan length). If no draw is kept, a random place goal is begun with
 * budget PAN_TASK_BUDGET_MAX unless a plan is found.
 * Fixed goals: missing objects are added ("add a <colour> <shape>", else
 * at each place in turn); a group gets the missing shapes of its colour
 * (square, circle, triangle order) until it has two; a goal that holds is
 * undone by moving its objects ("move the <colour> <shape> to the <place>",
 * places in pan_place order) until it does not; budget from the plan, or
 * PAN_TASK_BUDGET_MAX when none is found.
 * Finally the world's step counter is set back to 0 and its RNG to its
 * post-reset value (the world's own stream is not disturbed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/tabletop/tabletop.h"
#include "env/task/task_internal.h"

#define SAMPLE_ATTEMPTS 16

typedef struct ctx {
    pan_world *world;
    pan_world_config config;
    uint8_t *frames;
} ctx;

static pan_status act(const ctx *c, const char *text) {
    return pan_world_step(c->world, text, c->frames, NULL);
}

static int find(const pan_world_state *s, int colour, int shape) {
    for (int i = 0; i < s->n_objects; i++)
        if (s->objects[i].visible && s->objects[i].colour == colour &&
            s->objects[i].shape == shape)
            return i;
    return -1;
}

static int visible_list(const pan_world_state *s, int *out) {
    int n = 0;
    for (int i = 0; i < s->n_objects; i++)
        if (s->objects[i].visible) out[n++] = i;
    return n;
}

/* Adds (colour, shape) if it is not visible; true if it is afterwards.
 * Without rng: "add a <c> <s>" (anywhere), then at each place in order.
 * With rng: at the places from a uniformly drawn one on (wrapping), then
 * anywhere, so repeated draws do not all land on the world's one spot. */
static pan_status ensure(const ctx *c, uint64_t *rng, int colour, int shape,
                         bool *ok) {
    char text[PAN_WORLD_ACTION_MAX + 1];
    pan_world_state s;
    pan_status st = pan_world_get_state(c->world, &s);
    int first = rng ? (int)tt_rng_below(rng, PAN_PLACE_COUNT) : 0;
    for (int k = -1; st == PAN_OK && find(&s, colour, shape) < 0 &&
                     k < PAN_PLACE_COUNT;
         k++) {
        bool anywhere = rng ? k == PAN_PLACE_COUNT - 1 : k < 0;
        int place = rng ? (first + k + 1) % PAN_PLACE_COUNT : k;
        if (anywhere)
            snprintf(text, sizeof text, "add a %s %s", tt_colour_names[colour],
                     tt_shape_names[shape]);
        else
            snprintf(text, sizeof text, "add a %s %s at the %s",
                     tt_colour_names[colour], tt_shape_names[shape],
                     task_place_names[place]);
        st = act(c, text);
        if (st == PAN_OK) st = pan_world_get_state(c->world, &s);
    }
    *ok = st == PAN_OK && find(&s, colour, shape) >= 0;
    return st;
}

static pan_status holds_now(const ctx *c, const pan_goal *g, bool *holds) {
    pan_world_state s;
    pan_status st = pan_world_get_state(c->world, &s);
    if (st == PAN_OK) *holds = task_goal_holds(g, &c->config, &s);
    return st;
}

/* ---- sampled goals ------------------------------------------------------- */

static pan_goal blank_goal(int kind) {
    return (pan_goal){.kind = kind, .place = -1, .relation = -1,
                      .colour2 = -1, .shape2 = -1, .colour3 = -1,
                      .shape3 = -1};
}

/* Draws k distinct entries of list[0..n) into out (partial shuffle). */
static void draw_distinct(uint64_t *rng, int *list, int n, int k, int *out) {
    for (int i = 0; i < k; i++) {
        int j = i + (int)tt_rng_below(rng, (uint32_t)(n - i));
        int t = list[i];
        list[i] = list[j], list[j] = t;
        out[i] = list[i];
    }
}

static pan_status draw_place(const ctx *c, uint64_t *rng, pan_goal *g) {
    pan_world_state s;
    pan_status st = pan_world_get_state(c->world, &s);
    if (st != PAN_OK) return st;
    int vis[PAN_WORLD_MAX_OBJECTS], n = visible_list(&s, vis);
    *g = blank_goal(PAN_TASK_PLACE);
    if (n > 0) {
        const pan_object_state *o = &s.objects[vis[tt_rng_below(rng, (uint32_t)n)]];
        g->colour = o->colour, g->shape = o->shape;
    } else {
        g->colour = (int32_t)tt_rng_below(rng, PAN_COLOUR_COUNT);
        g->shape = (int32_t)tt_rng_below(rng, PAN_SHAPE_COUNT);
    }
    g->place = (int32_t)tt_rng_below(rng, PAN_PLACE_COUNT);
    task_place_goal_text(g);
    pan_task fixed = {.world = TASK_WORLD_TABLETOP, .mode = TASK_MODE_GOAL,
                      .goal = *g};
    pan_goal begun;
    st = task_place_begin(&fixed, c->world, 0, c->frames, &begun);
    if (st == PAN_OK) *g = begun;
    return st;
}

/* Fills g for family `kind`; *usable false when the table cannot support
 * the draw. May add objects. */
static pan_status draw_goal(const ctx *c, int kind, uint64_t *rng,
                            pan_goal *g, bool *usable) {
    *usable = true;
    if (kind == PAN_TASK_PLACE) return draw_place(c, rng, g);
    pan_world_state s;
    pan_status st = pan_world_get_state(c->world, &s);
    if (st != PAN_OK) return st;
    int vis[PAN_WORLD_MAX_OBJECTS], n = visible_list(&s, vis), pick[3];
    *g = blank_goal(kind);
    if (kind == PAN_TASK_RELATION) {
        if (n < 2) return *usable = false, PAN_OK;
        draw_distinct(rng, vis, n, 2, pick);
        g->colour = s.objects[pick[0]].colour, g->shape = s.objects[pick[0]].shape;
        g->colour2 = s.objects[pick[1]].colour;
        g->shape2 = s.objects[pick[1]].shape;
        g->relation = (int32_t)tt_rng_below(rng, PAN_RELATION_COUNT);
    } else if (kind == PAN_TASK_GROUP) {
        if (n < 1) return *usable = false, PAN_OK;
        g->colour = s.objects[vis[tt_rng_below(rng, (uint32_t)n)]].colour;
        g->shape = -1;
        int same = 0, missing[PAN_SHAPE_COUNT], n_missing = 0;
        for (int sh = 0; sh < PAN_SHAPE_COUNT; sh++) {
            if (find(&s, g->colour, sh) >= 0) same++;
            else missing[n_missing++] = sh;
        }
        bool met = false;
        if (same >= 2 && n_missing > 0) {
            pan_goal probe = *g;
            task_family_text(&probe);
            if ((st = holds_now(c, &probe, &met)) != PAN_OK) return st;
        }
        if (same < 2 || met) { /* one more of the colour, somewhere */
            int sh = missing[tt_rng_below(rng, (uint32_t)n_missing)];
            bool ok;
            st = ensure(c, rng, g->colour, sh, &ok);
            if (st != PAN_OK) return st;
            *usable = ok;
        }
    } else {
        while (n < 3) {
            int free_pairs[PAN_COLOUR_COUNT * PAN_SHAPE_COUNT], m = 0;
            for (int p = 0; p < PAN_COLOUR_COUNT * PAN_SHAPE_COUNT; p++)
                if (find(&s, p / PAN_SHAPE_COUNT, p % PAN_SHAPE_COUNT) < 0)
                    free_pairs[m++] = p;
            int p = free_pairs[tt_rng_below(rng, (uint32_t)m)];
            bool ok;
            st = ensure(c, rng, p / PAN_SHAPE_COUNT, p % PAN_SHAPE_COUNT, &ok);
            if (st != PAN_OK) return st;
            if (!ok) return *usable = false, PAN_OK;
            if ((st = pan_world_get_state(c->world, &s)) != PAN_OK) return st;
            n = visible_list(&s, vis);
        }
        draw_distinct(rng, vis, n, 3, pick);
        g->colour = s.objects[pick[0]].colour, g->shape = s.objects[pick[0]].shape;
        g->colour2 = s.objects[pick[1]].colour;
        g->shape2 = s.objects[pick[1]].shape;
        g->colour3 = s.objects[pick[2]].colour;
        g->shape3 = s.objects[pick[2]].shape;
        g->relation = (int32_t)tt_rng_below(rng, PAN_LINE_AXIS_COUNT);
    }
    task_family_text(g);
    return PAN_OK;
}

/* Keeps g when it does not hold and a plan exists: sets its budget. */
static pan_status judge(const ctx *c, pan_goal *g, bool *keep) {
    bool holds;
    pan_status st = holds_now(c, g, &holds);
    *keep = false;
    if (st != PAN_OK || holds) return st;
    pan_world_state s;
    if ((st = pan_world_get_state(c->world, &s)) != PAN_OK) return st;
    pan_task_plan plan;
    st = task_tabletop_solve(g, &c->config, &s, &plan);
    if (st == PAN_ERR_NOT_FOUND) return pan_error_clear(), PAN_OK;
    if (st != PAN_OK) return st;
    g->budget = pan_task_budget_of(plan.length);
    *keep = true;
    return PAN_OK;
}

static pan_status sample(const pan_task *task, const ctx *c, uint64_t seed,
                         const pan_world_state *start, pan_goal *goal) {
    static const int families[4] = {PAN_TASK_PLACE, PAN_TASK_RELATION,
                                    PAN_TASK_GROUP, PAN_TASK_LINE};
    uint64_t rng = seed ^ 0x5441534B5F535452ull; /* "TASK_STR" */
    pan_status st = PAN_OK;
    for (int attempt = 0; attempt < SAMPLE_ATTEMPTS; attempt++) {
        if (attempt > 0 && (st = pan_world_set_state(c->world, start)) != PAN_OK)
            return st;
        int kind = task->family != PAN_TASK_NONE
                       ? task->family
                       : families[tt_rng_below(&rng, 4)];
        pan_goal g;
        bool usable, keep = false;
        st = draw_goal(c, kind, &rng, &g, &usable);
        if (st == PAN_OK && usable) st = judge(c, &g, &keep);
        if (st != PAN_OK) return st;
        if (keep) {
            *goal = g;
            return PAN_OK;
        }
    }
    /* fallback: a place goal, not met by construction */
    if ((st = pan_world_set_state(c->world, start)) != PAN_OK) return st;
    pan_goal g;
    bool keep;
    st = draw_place(c, &rng, &g);
    if (st == PAN_OK) st = judge(c, &g, &keep);
    if (st != PAN_OK) return st;
    if (!keep) g.budget = PAN_TASK_BUDGET_MAX;
    *goal = g;
    return PAN_OK;
}

/* ---- fixed goals ----------------------------------------------------------- */

static pan_status fixed_goal(const pan_task *task, const ctx *c,
                             pan_goal *goal) {
    pan_goal g = task->goal;
    pan_status st = PAN_OK;
    bool ok;
    int objs[3][2] = {{g.colour, g.shape}, {g.colour2, g.shape2},
                      {g.colour3, g.shape3}}, n_objs = 0;
    if (g.kind == PAN_TASK_RELATION) n_objs = 2;
    if (g.kind == PAN_TASK_LINE) n_objs = 3;
    for (int i = 0; i < n_objs && st == PAN_OK; i++)
        st = ensure(c, NULL, objs[i][0], objs[i][1], &ok);
    if (g.kind == PAN_TASK_GROUP) {
        pan_world_state s;
        for (int sh = 0; st == PAN_OK && sh < PAN_SHAPE_COUNT; sh++) {
            if ((st = pan_world_get_state(c->world, &s)) != PAN_OK) break;
            int same = 0;
            for (int k = 0; k < PAN_SHAPE_COUNT; k++) same += find(&s, g.colour, k) >= 0;
            if (same >= 2) break;
            st = ensure(c, NULL, g.colour, sh, &ok);
        }
        objs[0][0] = objs[1][0] = objs[2][0] = g.colour;
        objs[0][1] = 0, objs[1][1] = 1, objs[2][1] = 2;
        n_objs = 3;
    }
    bool holds = false;
    if (st == PAN_OK) st = holds_now(c, &g, &holds);
    char text[PAN_WORLD_ACTION_MAX + 1];
    for (int i = 0; st == PAN_OK && holds && i < n_objs; i++)
        for (int p = 0; st == PAN_OK && holds && p < PAN_PLACE_COUNT; p++) {
            snprintf(text, sizeof text, "move the %s %s to the %s",
                     tt_colour_names[objs[i][0]], tt_shape_names[objs[i][1]],
                     task_place_names[p]);
            st = act(c, text);
            if (st == PAN_OK) st = holds_now(c, &g, &holds);
        }
    if (st != PAN_OK) return st;
    pan_world_state s;
    if ((st = pan_world_get_state(c->world, &s)) != PAN_OK) return st;
    pan_task_plan plan;
    st = task_tabletop_solve(&g, &c->config, &s, &plan);
    g.budget = st == PAN_OK ? pan_task_budget_of(plan.length)
                            : PAN_TASK_BUDGET_MAX;
    if (st != PAN_OK && st != PAN_ERR_NOT_FOUND) return st;
    pan_error_clear();
    *goal = g;
    return PAN_OK;
}

pan_status task_structured_begin(const pan_task *task, pan_world *world,
                                 uint64_t seed, uint8_t *frames,
                                 pan_goal *goal) {
    pan_world_state start;
    pan_status st = pan_world_get_state(world, &start);
    if (st != PAN_OK) return st;
    ctx c = {.world = world, .config = pan_world_get_config(world),
             .frames = frames};
    pan_goal g;
    st = task->mode == TASK_MODE_STRUCTURED ? sample(task, &c, seed, &start, &g)
                                            : fixed_goal(task, &c, &g);
    if (st != PAN_OK) return st;
    pan_world_state s;
    if ((st = pan_world_get_state(world, &s)) != PAN_OK) return st;
    s.steps = 0;
    s.rng = start.rng;
    if ((st = pan_world_set_state(world, &s)) != PAN_OK) return st;
    *goal = g;
    return PAN_OK;
}
