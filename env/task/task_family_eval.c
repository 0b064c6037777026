/* env/task/task_family_eval.c: the exact predicates and dense costs of the
 * tabletop goal families (docs/env.md "Structured goal families"), and the
 * dispatch of pan_task_cost / task_goal_holds over every family.
 *
 * Units: pixels. cell = min(W, H) / 8, t = PAN_TASK_TOLERANCE_PX (1.5),
 * c = PAN_TASK_CONTACT_PX (1, the world's contact gap), a = cell *
 * PAN_TASK_ALIGN_CELLS (4 px at 64x64). Objects: the first visible one of
 * the goal's (colour, shape); S = sum of the two half-extents.
 * - Relation: A's centre must lie in a closed box fixed by B: "to the left
 *   of" x in [xb - S - c - t, xb - S - c + t], |y - yb| <= a (A's right
 *   edge is the contact gap, within t, from B's left edge, and the centres
 *   are aligned within a); right of, above, below likewise; "next to" is
 *   any of the four boxes with the alignment relaxed to S / 2. Cost: the
 *   Euclidean distance from A's centre to the (nearest) box.
 * - Group: at least two visible objects of the colour, and for every pair
 *   max(gx, gy) <= cell, with gx = |xa - xb| - S (the gap between their
 *   bounding squares along x; negative when they overlap along x). Cost:
 *   the sum over pairs of max(0, max(gx, gy) - cell).
 * - Line: the three centres' spread along the other axis (row: max y -
 *   min y; column: x) is at most a. Cost: max(0, spread - a).
 * - Place cost: the distance of the bounding square to the named walls
 *   beyond t (corners: the Euclidean norm of both), or for the centre the
 *   centre's distance to the table's centre beyond t.
 * A needed object that is not visible costs W + H. Every cost is forced to
 * be at least 1e-6 when the predicate fails and is 0 when it holds, so
 * "cost == 0" and "holds" never disagree under rounding. */
#include <math.h>

#include "env/tabletop/tabletop.h"
#include "env/task/task_internal.h"

#define MIN_COST 1e-6f

typedef struct box {
    float x0, x1, y0, y1;
} box;

static bool in_box(const box *b, float x, float y) {
    return x >= b->x0 && x <= b->x1 && y >= b->y0 && y <= b->y1;
}

static float box_distance(const box *b, float x, float y) {
    float ex = x < b->x0 ? b->x0 - x : x > b->x1 ? x - b->x1 : 0.0f;
    float ey = y < b->y0 ? b->y0 - y : y > b->y1 ? y - b->y1 : 0.0f;
    if (ex == 0.0f && ey == 0.0f) return 0.0f;
    return sqrtf(ex * ex + ey * ey);
}

static int find(const pan_world_state *s, int colour, int shape) {
    int n = s->n_objects < 0                       ? 0
            : s->n_objects > PAN_WORLD_MAX_OBJECTS ? PAN_WORLD_MAX_OBJECTS
                                                   : s->n_objects;
    for (int i = 0; i < n; i++)
        if (s->objects[i].visible && s->objects[i].colour == colour &&
            s->objects[i].shape == shape)
            return i;
    return -1;
}

static float cell_of(const pan_world_config *config) {
    return tt_geometry_of(config->width, config->height).cell;
}

/* The box of A's centre for relation `rel` (not next to) of B. */
static box relation_box(const pan_object_state *a, const pan_object_state *b,
                        int rel, float align) {
    const float c = PAN_TASK_CONTACT_PX, t = PAN_TASK_TOLERANCE_PX;
    float s = a->size + b->size;
    box r = {b->x - align, b->x + align, b->y - align, b->y + align};
    switch (rel) {
    case PAN_RELATION_LEFT_OF:
        r.x0 = b->x - s - c - t, r.x1 = b->x - s - c + t;
        break;
    case PAN_RELATION_RIGHT_OF:
        r.x0 = b->x + s + c - t, r.x1 = b->x + s + c + t;
        break;
    case PAN_RELATION_ABOVE:
        r.y0 = b->y - s - c - t, r.y1 = b->y - s - c + t;
        break;
    default: /* below */
        r.y0 = b->y + s + c - t, r.y1 = b->y + s + c + t;
        break;
    }
    return r;
}

/* Relation: whether it holds and the distance of A's centre to it. */
static bool relation_eval(const pan_goal *g, const pan_world_config *config,
                          const pan_world_state *s, float *cost) {
    int i = find(s, g->colour, g->shape), j = find(s, g->colour2, g->shape2);
    if (i < 0 || j < 0) {
        *cost = (float)(config->width + config->height);
        return false;
    }
    const pan_object_state *a = &s->objects[i], *b = &s->objects[j];
    if (g->relation != PAN_RELATION_NEXT_TO) {
        box r = relation_box(a, b, g->relation,
                             cell_of(config) * PAN_TASK_ALIGN_CELLS);
        *cost = box_distance(&r, a->x, a->y);
        return in_box(&r, a->x, a->y);
    }
    float align = (a->size + b->size) * 0.5f, best = -1.0f;
    bool holds = false;
    for (int rel = PAN_RELATION_LEFT_OF; rel <= PAN_RELATION_BELOW; rel++) {
        box r = relation_box(a, b, rel, align);
        float d = box_distance(&r, a->x, a->y);
        holds = holds || in_box(&r, a->x, a->y);
        if (best < 0.0f || d < best) best = d;
    }
    *cost = best;
    return holds;
}

static float absf(float v) { return v < 0.0f ? -v : v; }

static bool group_eval(const pan_goal *g, const pan_world_config *config,
                       const pan_world_state *s, float *cost) {
    int idx[PAN_WORLD_MAX_OBJECTS], n = 0;
    int total = s->n_objects < 0                       ? 0
                : s->n_objects > PAN_WORLD_MAX_OBJECTS ? PAN_WORLD_MAX_OBJECTS
                                                       : s->n_objects;
    for (int i = 0; i < total; i++)
        if (s->objects[i].visible && s->objects[i].colour == g->colour)
            idx[n++] = i;
    if (n < 2) {
        *cost = (float)(config->width + config->height);
        return false;
    }
    float limit = cell_of(config) * PAN_TASK_GROUP_CELLS, sum = 0.0f;
    bool holds = true;
    for (int p = 0; p < n; p++)
        for (int q = p + 1; q < n; q++) {
            const pan_object_state *a = &s->objects[idx[p]],
                                   *b = &s->objects[idx[q]];
            float e = a->size + b->size;
            float gx = absf(a->x - b->x) - e, gy = absf(a->y - b->y) - e;
            float gap = gx > gy ? gx : gy;
            if (gap > limit) {
                holds = false;
                sum += gap - limit;
            }
        }
    *cost = sum;
    return holds;
}

static bool line_eval(const pan_goal *g, const pan_world_config *config,
                      const pan_world_state *s, float *cost) {
    int k[3] = {find(s, g->colour, g->shape), find(s, g->colour2, g->shape2),
                find(s, g->colour3, g->shape3)};
    if (k[0] < 0 || k[1] < 0 || k[2] < 0) {
        *cost = (float)(config->width + config->height);
        return false;
    }
    float lo = 0.0f, hi = 0.0f;
    for (int i = 0; i < 3; i++) {
        const pan_object_state *o = &s->objects[k[i]];
        float v = g->relation == PAN_LINE_ROW ? o->y : o->x;
        if (i == 0 || v < lo) lo = v;
        if (i == 0 || v > hi) hi = v;
    }
    float spread = hi - lo, align = cell_of(config) * PAN_TASK_ALIGN_CELLS;
    *cost = spread > align ? spread - align : 0.0f;
    return spread <= align;
}

float task_place_cost(const pan_goal *g, const pan_world_config *config,
                      const pan_world_state *s) {
    int i = find(s, g->colour, g->shape);
    if (i < 0) return (float)(config->width + config->height);
    tt_geometry geo = tt_geometry_of(config->width, config->height);
    const pan_object_state *o = &s->objects[i];
    const float t = PAN_TASK_TOLERANCE_PX;
    float left = (o->x - o->size) - geo.x0, right = geo.x1 - (o->x + o->size);
    float top = (o->y - o->size) - geo.y0, bottom = geo.y1 - (o->y + o->size);
    float ex = 0.0f, ey = 0.0f;
    switch (g->place) {
    case PAN_PLACE_TOP_LEFT: ex = left, ey = top; break;
    case PAN_PLACE_TOP_RIGHT: ex = right, ey = top; break;
    case PAN_PLACE_BOTTOM_LEFT: ex = left, ey = bottom; break;
    case PAN_PLACE_BOTTOM_RIGHT: ex = right, ey = bottom; break;
    case PAN_PLACE_TOP: ey = top, ex = t; break;
    case PAN_PLACE_BOTTOM: ey = bottom, ex = t; break;
    case PAN_PLACE_LEFT: ex = left, ey = t; break;
    case PAN_PLACE_RIGHT: ex = right, ey = t; break;
    default: {
        float dx = o->x - (geo.x0 + geo.x1) * 0.5f;
        float dy = o->y - (geo.y0 + geo.y1) * 0.5f;
        float d2 = dx * dx + dy * dy;
        return d2 <= t * t ? 0.0f : sqrtf(d2) - t;
    }
    }
    ex = ex > t ? ex - t : 0.0f;
    ey = ey > t ? ey - t : 0.0f;
    return ex == 0.0f && ey == 0.0f ? 0.0f : sqrtf(ex * ex + ey * ey);
}

static bool family_eval(const pan_goal *g, const pan_world_config *config,
                        const pan_world_state *s, float *cost) {
    switch (g->kind) {
    case PAN_TASK_RELATION: return relation_eval(g, config, s, cost);
    case PAN_TASK_GROUP: return group_eval(g, config, s, cost);
    default: return line_eval(g, config, s, cost);
    }
}

bool task_family_holds(const pan_goal *g, const pan_world_config *config,
                       const pan_world_state *s) {
    float cost;
    return family_eval(g, config, s, &cost);
}

float task_family_cost(const pan_goal *g, const pan_world_config *config,
                       const pan_world_state *s) {
    float cost;
    bool holds = family_eval(g, config, s, &cost);
    return holds ? 0.0f : cost < MIN_COST ? MIN_COST : cost;
}

bool task_goal_holds(const pan_goal *g, const pan_world_config *config,
                     const pan_world_state *s) {
    switch (g->kind) {
    case PAN_TASK_PLACE: return task_place_holds(g, config, s);
    case PAN_TASK_LANDMARK: return task_rooms_holds(g, s);
    case PAN_TASK_RELATION:
    case PAN_TASK_GROUP:
    case PAN_TASK_LINE: return task_family_holds(g, config, s);
    default: return false;
    }
}

pan_status pan_task_cost(const pan_goal *goal, const pan_world_config *config,
                         const pan_world_state *state, float *cost) {
    if (!goal || !config || !state || !cost)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "task cost: goal, config, state and cost must "
                             "not be NULL");
    pan_status st = goal->kind == PAN_TASK_PLACE
                        ? task_place_check_goal(goal, "task cost")
                        : task_family_check(goal, "task cost");
    if (st != PAN_OK) return st;
    float c;
    if (goal->kind == PAN_TASK_PLACE) {
        bool holds = task_place_holds(goal, config, state);
        c = task_place_cost(goal, config, state);
        c = holds ? 0.0f : c < MIN_COST ? MIN_COST : c;
    } else if (goal->kind == PAN_TASK_LANDMARK) {
        c = task_rooms_cost(goal, state);
    } else {
        c = task_family_cost(goal, config, state);
    }
    *cost = c;
    return PAN_OK;
}
