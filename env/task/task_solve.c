/* env/task/task_solve.c: the tabletop reference search (pan_task_solve,
 * env/task.h): a plan of the world's own moves reaching a place or
 * structured goal, used by the samplers to set budgets and by tests as the
 * brute-force oracle.
 *
 * - Moves of every visible object: 4 directions x 1..max cells (a longer
 *   move that ends where a shorter one did is skipped: clamped or
 *   blocked), the 9 places, the 5 relations to each other visible object;
 *   a move that does not change the table is skipped. Each is simulated
 *   with the world's own physics (tt_move_target + tt_sweep: walls clamp,
 *   the mover stops 1 px before the first blocker), exactly as the
 *   world's step does, without rendering.
 * - Beam search: depth 1 is exhaustive; every layer keeps the SOLVE_BEAM
 *   successors of lowest goal cost (pan_task_cost; ties in generation
 *   order) that no earlier layer reached; the first successor in
 *   generation order that satisfies the goal ends the search. Up to
 *   PAN_TASK_SOLVE_MAX layers. Not guaranteed shortest beyond depth 2.
 * - Objects are visited in (colour, shape) order, so the plan does not
 *   depend on the order of the objects in the state.
 * - Plans are written in the world's canonical words ("move red circle
 *   left 3", "move red circle to top left corner", "move red circle left
 *   of green triangle"), which parse back to the same moves. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "env/tabletop/tabletop.h"
#include "env/task/task_internal.h"

#define SOLVE_BEAM 128

enum { MOVE_DIR = 0, MOVE_PLACE, MOVE_RELATION };

typedef struct move {
    int8_t obj, kind, a, b; /* a: direction / tt_place / relation;
                               b: cells / - / other slot */
} move;

typedef struct succ {
    int32_t parent;   /* index in the previous kept layer */
    move m;
    float cost;
    uint64_t hash;
    int32_t order;    /* generation order */
} succ;

typedef struct kept {
    int32_t parent;
    move m;
} kept;

typedef struct search {
    tt_geometry geo;
    pan_world_config config;
    const pan_goal *goal;
    int ord[PAN_WORLD_MAX_OBJECTS], n_ord;
    int max_cells;
    succ *succ;
    int n_succ, cap_succ;
    uint64_t *seen;          /* open addressing, 0 = empty */
    size_t seen_mask;
} search;

static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t state_hash(const search *sr, const pan_world_state *s) {
    uint64_t h = 0x243F6A8885A308D3ull;
    for (int k = 0; k < sr->n_ord; k++) {
        const pan_object_state *o = &s->objects[sr->ord[k]];
        uint32_t xb, yb;
        memcpy(&xb, &o->x, 4);
        memcpy(&yb, &o->y, 4);
        h = mix(h ^ (((uint64_t)xb << 32) | yb));
    }
    return h ? h : 1;
}

/* true if newly inserted */
static bool seen_insert(search *sr, uint64_t h) {
    size_t i = (size_t)h & sr->seen_mask;
    while (sr->seen[i]) {
        if (sr->seen[i] == h) return false;
        i = (i + 1) & sr->seen_mask;
    }
    sr->seen[i] = h;
    return true;
}

/* Applies m to s with the world's physics; false if nothing moved. */
static bool apply(const search *sr, pan_world_state *s, move m) {
    tt_action a = {.kind = TT_ACT_MOVE, .object = m.obj, .direction = -1,
                   .cells = 0, .place = -1, .relation = -1, .other = -1,
                   .colour = -1, .shape = -1, .level = -1};
    if (m.kind == MOVE_DIR) a.direction = m.a, a.cells = m.b;
    else if (m.kind == MOVE_PLACE) a.place = m.a;
    else a.relation = m.a, a.other = m.b;
    float tx, ty, ex, ey;
    int blocker;
    bool walled;
    tt_move_target(&sr->geo, s, &a, &tx, &ty);
    tt_sweep(&sr->geo, s, m.obj, tx, ty, &ex, &ey, &blocker, &walled);
    pan_object_state *o = &s->objects[m.obj];
    bool moved = ex != o->x || ey != o->y;
    o->x = ex, o->y = ey;
    s->steps++;
    return moved;
}

static void move_text(const pan_world_state *s, move m, char *buf,
                      size_t size) {
    const pan_object_state *o = &s->objects[m.obj];
    const char *c = tt_colour_names[o->colour], *sh = tt_shape_names[o->shape];
    if (m.kind == MOVE_DIR) {
        snprintf(buf, size, "move %s %s %s %d", c, sh,
                 tt_direction_names[m.a], (int)m.b);
    } else if (m.kind == MOVE_PLACE) {
        snprintf(buf, size, "move %s %s to %s", c, sh, tt_place_names[m.a]);
    } else {
        const pan_object_state *b = &s->objects[m.b];
        snprintf(buf, size, "move %s %s %s %s %s", c, sh,
                 tt_relation_names[m.a], tt_colour_names[b->colour],
                 tt_shape_names[b->shape]);
    }
}

static float goal_cost(const search *sr, const pan_world_state *s) {
    float c = 0.0f;
    (void)pan_task_cost(sr->goal, &sr->config, s, &c);
    return c;
}

/* Records successor `after` (m applied to kept state `parent`); returns 1
 * when it satisfies the goal. */
static int push(search *sr, int parent, move m, const pan_world_state *after) {
    if (sr->n_succ == sr->cap_succ) return 0; /* capacity: drop (rare) */
    succ *e = &sr->succ[sr->n_succ];
    *e = (succ){.parent = parent, .m = m, .cost = goal_cost(sr, after),
                .hash = state_hash(sr, after), .order = sr->n_succ};
    sr->n_succ++;
    return e->cost == 0.0f;
}

/* Expands state s (kept index `parent`); returns the index in succ of the
 * first successor satisfying the goal, or -1. */
static int expand(search *sr, int parent, const pan_world_state *s) {
    pan_world_state t;
    for (int k = 0; k < sr->n_ord; k++) {
        int obj = sr->ord[k];
        for (int d = 0; d < TT_DIRECTIONS; d++) {
            float lx = s->objects[obj].x, ly = s->objects[obj].y;
            for (int n = 1; n <= sr->max_cells; n++) {
                move m = {(int8_t)obj, MOVE_DIR, (int8_t)d, (int8_t)n};
                t = *s;
                if (!apply(sr, &t, m)) break;
                if (t.objects[obj].x == lx && t.objects[obj].y == ly) break;
                lx = t.objects[obj].x, ly = t.objects[obj].y;
                if (push(sr, parent, m, &t)) return sr->n_succ - 1;
            }
        }
        for (int p = 0; p < TT_PLACES; p++) {
            move m = {(int8_t)obj, MOVE_PLACE, (int8_t)p, 0};
            t = *s;
            if (apply(sr, &t, m) && push(sr, parent, m, &t))
                return sr->n_succ - 1;
        }
        for (int r = 0; r < TT_RELATIONS; r++)
            for (int q = 0; q < sr->n_ord; q++) {
                if (q == k) continue;
                move m = {(int8_t)obj, MOVE_RELATION, (int8_t)r,
                          (int8_t)sr->ord[q]};
                t = *s;
                if (apply(sr, &t, m) && push(sr, parent, m, &t))
                    return sr->n_succ - 1;
            }
    }
    return -1;
}

static int by_cost(const void *pa, const void *pb) {
    const succ *a = pa, *b = pb;
    if (a->cost != b->cost) return a->cost < b->cost ? -1 : 1;
    return a->order - b->order;
}

static pan_status finish(const search *sr, kept *const *layers, int depth,
                         const succ *hit, const pan_world_state *start,
                         pan_task_plan *plan) {
    move path[PAN_TASK_SOLVE_MAX];
    path[depth - 1] = hit->m;
    int idx = hit->parent;
    for (int d = depth - 2; d >= 0; d--) {
        path[d] = layers[d][idx].m;
        idx = layers[d][idx].parent;
    }
    pan_world_state s = *start;
    plan->length = depth;
    for (int d = 0; d < depth; d++) {
        move_text(&s, path[d], plan->actions[d], sizeof plan->actions[d]);
        apply(sr, &s, path[d]);
    }
    plan->final_state = s;
    return PAN_OK;
}

static int pair_of(const pan_object_state *o) {
    return o->colour * PAN_SHAPE_COUNT + o->shape;
}

pan_status task_tabletop_solve(const pan_goal *goal,
                               const pan_world_config *config,
                               const pan_world_state *start,
                               pan_task_plan *plan) {
    memset(plan, 0, sizeof *plan);
    plan->final_state = *start;
    search sr = {.geo = tt_geometry_of(config->width, config->height),
                 .config = *config, .goal = goal};
    float extent = (float)(config->width > config->height ? config->width
                                                          : config->height);
    sr.max_cells = (int)(extent / sr.geo.cell + 0.999f);
    if (sr.max_cells > TT_MAX_CELLS) sr.max_cells = TT_MAX_CELLS;
    int n = start->n_objects < 0 ? 0 : start->n_objects;
    if (n > PAN_WORLD_MAX_OBJECTS) n = PAN_WORLD_MAX_OBJECTS;
    for (int i = 0; i < n; i++) {
        if (!start->objects[i].visible) continue;
        int j = sr.n_ord++;
        while (j > 0 && pair_of(&start->objects[sr.ord[j - 1]]) >
                            pair_of(&start->objects[i])) {
            sr.ord[j] = sr.ord[j - 1];
            j--;
        }
        sr.ord[j] = i;
    }
    if (goal_cost(&sr, start) == 0.0f) return PAN_OK;
    int per_state = sr.n_ord * (TT_DIRECTIONS * sr.max_cells + TT_PLACES +
                                TT_RELATIONS * (sr.n_ord > 0 ? sr.n_ord - 1 : 0));
    sr.cap_succ = per_state * SOLVE_BEAM + 1;
    sr.seen_mask = 1;
    while (sr.seen_mask < (size_t)SOLVE_BEAM * PAN_TASK_SOLVE_MAX * 4)
        sr.seen_mask <<= 1;
    sr.succ = malloc((size_t)sr.cap_succ * sizeof *sr.succ);
    sr.seen = calloc(sr.seen_mask, sizeof *sr.seen);
    sr.seen_mask -= 1;
    kept *layers[PAN_TASK_SOLVE_MAX] = {0};
    pan_world_state *states = malloc(SOLVE_BEAM * sizeof *states);
    pan_world_state *next = malloc(SOLVE_BEAM * sizeof *next);
    pan_status status = PAN_ERR_NOT_FOUND;
    bool oom = !sr.succ || !sr.seen || !states || !next;
    for (int d = 0; d < PAN_TASK_SOLVE_MAX && !oom; d++)
        if (!(layers[d] = malloc(SOLVE_BEAM * sizeof *layers[d]))) oom = true;
    if (oom) {
        status = pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                               "task solve: out of memory for the search");
        goto done;
    }
    seen_insert(&sr, state_hash(&sr, start));
    states[0] = *start;
    int n_states = 1;
    for (int depth = 1; depth <= PAN_TASK_SOLVE_MAX; depth++) {
        sr.n_succ = 0;
        int hit = -1;
        for (int i = 0; i < n_states && hit < 0; i++)
            hit = expand(&sr, i, &states[i]);
        if (hit >= 0) {
            status = finish(&sr, layers, depth, &sr.succ[hit], start, plan);
            goto done;
        }
        if (depth == PAN_TASK_SOLVE_MAX) break;
        qsort(sr.succ, (size_t)sr.n_succ, sizeof *sr.succ, by_cost);
        int kept_n = 0;
        for (int i = 0; i < sr.n_succ && kept_n < SOLVE_BEAM; i++) {
            if (!seen_insert(&sr, sr.succ[i].hash)) continue;
            layers[depth - 1][kept_n] =
                (kept){.parent = sr.succ[i].parent, .m = sr.succ[i].m};
            next[kept_n] = states[sr.succ[i].parent];
            apply(&sr, &next[kept_n], sr.succ[i].m);
            kept_n++;
        }
        if (kept_n == 0) break;
        pan_world_state *swap = states;
        states = next, next = swap;
        n_states = kept_n;
    }
    status = pan_error_set(PAN_ERR_NOT_FOUND,
                           "task solve: no plan of at most %d moves reaches "
                           "'%.100s'", PAN_TASK_SOLVE_MAX, goal->text);
done:
    for (int d = 0; d < PAN_TASK_SOLVE_MAX; d++) free(layers[d]);
    free(states);
    free(next);
    free(sr.succ);
    free(sr.seen);
    return status;
}
