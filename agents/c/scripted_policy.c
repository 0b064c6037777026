/* agents/c/scripted_policy.c: the scripted tabletop policy (see
 * scripted_policy.h): decode the state vector, model directional moves
 * with the documented physics, search for the shortest plan, return its
 * first move. */
#include "agents/c/scripted_policy.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "env/task.h"
#include "env/world.h"

#define SP_PAIRS (PAN_COLOUR_COUNT * PAN_SHAPE_COUNT) /* 18 */
#define SP_EPS 1e-3f       /* separation tolerance, as the world's */
#define SP_GAP 1.0f        /* px between bounding squares at contact */
#define SP_MAX_CELLS 20    /* the grammar's longest move */
#define SP_MAX_NODES 2048  /* positions one search may visit */
#define SP_HASH 4096       /* power of two, > SP_MAX_NODES */
#define SP_MAX_DEPTH 8     /* moves of the goal object in one plan */
#define SP_MAX_WORK 6000000L /* simulated moves per decision (~0.2 s) */

static const char *const colour_names[PAN_COLOUR_COUNT] = {
    "red", "green", "blue", "yellow", "purple", "orange"};
static const char *const shape_names[PAN_SHAPE_COUNT] = {"square", "circle",
                                                          "triangle"};
enum { SP_LEFT = 0, SP_RIGHT, SP_UP, SP_DOWN };
static const char *const dir_names[4] = {"left", "right", "up", "down"};

typedef struct sp_obj {
    float x, y, s;        /* centre and half-extent, pixels */
    int colour, shape;
} sp_obj;

typedef struct sp_world {
    float cell, x0, y0, x1, y1;   /* the table's walls */
    float tol;                    /* success tolerance, px */
    int place;                    /* pan_place */
    int max_cells;                /* longest useful move */
    int n, goal;                  /* visible objects; the goal's index */
    sp_obj o[SP_PAIRS];
} sp_world;

typedef struct sp_move {
    int obj, dir, cells;
} sp_move;

static float absf(float v) { return v < 0.0f ? -v : v; }
static float clampf(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

static bool holds(const sp_world *w, float x, float y) {
    float s = w->o[w->goal].s;
    bool left = (x - s) - w->x0 <= w->tol, right = w->x1 - (x + s) <= w->tol;
    bool top = (y - s) - w->y0 <= w->tol, bottom = w->y1 - (y + s) <= w->tol;
    switch (w->place) {
    case PAN_PLACE_TOP_LEFT: return top && left;
    case PAN_PLACE_TOP_RIGHT: return top && right;
    case PAN_PLACE_BOTTOM_LEFT: return bottom && left;
    case PAN_PLACE_BOTTOM_RIGHT: return bottom && right;
    case PAN_PLACE_TOP: return top;
    case PAN_PLACE_BOTTOM: return bottom;
    case PAN_PLACE_LEFT: return left;
    case PAN_PLACE_RIGHT: return right;
    default: {
        float dx = x - (w->x0 + w->x1) * 0.5f, dy = y - (w->y0 + w->y1) * 0.5f;
        return dx * dx + dy * dy <= w->tol * w->tol;
    }
    }
}

/* Where object i ends when it starts at (x, y) and moves `cells` cells in
 * `dir`, the other objects at o[]: the target clamped by the walls, then
 * stopped SP_GAP px before the first object in its way. */
static void simulate(const sp_world *w, const sp_obj *o, int i, float x, float y,
                     int dir, int cells, float *ex, float *ey) {
    float s = o[i].s, d = (float)cells * w->cell;
    bool horizontal = dir == SP_LEFT || dir == SP_RIGHT;
    float sign = dir == SP_LEFT || dir == SP_UP ? -1.0f : 1.0f;
    float from = horizontal ? x : y, across = horizontal ? y : x;
    float lo = (horizontal ? w->x0 : w->y0) + s, hi = (horizontal ? w->x1 : w->y1) - s;
    float to = clampf(from + sign * d, lo, hi);
    for (int j = 0; j < w->n; j++) {
        if (j == i) continue;
        float bx = horizontal ? o[j].x : o[j].y, by = horizontal ? o[j].y : o[j].x;
        float e = s + o[j].s + SP_GAP, ep = e - SP_EPS;
        if (absf(across - by) >= ep) continue;
        if (sign > 0.0f && bx + ep > from && bx - ep < to) {
            float stop = bx - e;
            to = stop < from ? from : stop;
        } else if (sign < 0.0f && bx - ep < from && bx + ep > to) {
            float stop = bx + e;
            to = stop > from ? from : stop;
        }
    }
    *ex = horizontal ? to : x;
    *ey = horizontal ? y : to;
}

/* ---- breadth-first search over moves of the goal object ---- */

typedef struct sp_node {
    float x, y;
    int depth;
    int parent;           /* node index, -1 for the root */
    sp_move move;         /* the move from the parent */
    sp_move first;        /* the plan's first move */
} sp_node;

typedef struct sp_search {
    long work;              /* simulated moves so far in this decision */
    sp_node nodes[SP_MAX_NODES];
    int16_t hash[SP_HASH];  /* node index + 1, 0 empty */
} sp_search;

static uint32_t key_of(float x, float y) {
    int32_t qx = (int32_t)(x * 64.0f + 0.5f), qy = (int32_t)(y * 64.0f + 0.5f);
    uint32_t h = (uint32_t)qx * 2654435761u ^ (uint32_t)qy * 40503u;
    return h & (SP_HASH - 1);
}

/* Adds (x, y) unless seen; returns the new node or NULL. */
static sp_node *visit(sp_search *S, int *count, float x, float y) {
    uint32_t h = key_of(x, y);
    while (S->hash[h]) {
        const sp_node *n = &S->nodes[S->hash[h] - 1];
        if (absf(n->x - x) < SP_EPS && absf(n->y - y) < SP_EPS) return NULL;
        h = (h + 1) & (SP_HASH - 1);
    }
    if (*count >= SP_MAX_NODES) return NULL;
    S->hash[h] = (int16_t)(*count + 1);
    sp_node *n = &S->nodes[(*count)++];
    n->x = x;
    n->y = y;
    return n;
}

/* Fewest goal-object moves (<= max_depth) to a state where the goal holds,
 * with the first move; -1 if none. *last: the final node (S->nodes). */
static int search_goal_only(sp_search *S, const sp_world *w, const sp_obj *o,
                            int max_depth, sp_move *first, int *last) {
    const sp_obj *g = &o[w->goal];
    *last = -1;
    if (holds(w, g->x, g->y)) return 0;
    memset(S->hash, 0, sizeof S->hash);
    int count = 0, head = 0;
    sp_node *root = visit(S, &count, g->x, g->y);
    root->depth = 0;
    root->parent = -1;
    while (head < count) {
        int at = head;
        sp_node cur = S->nodes[head++];
        if (cur.depth >= max_depth) break;
        for (int dir = 0; dir < 4; dir++) {
            float px = cur.x, py = cur.y;
            for (int cells = 1; cells <= w->max_cells; cells++) {
                float x, y;
                simulate(w, o, w->goal, cur.x, cur.y, dir, cells, &x, &y);
                S->work++;
                if (absf(x - px) < SP_EPS && absf(y - py) < SP_EPS) break; /* stopped */
                px = x, py = y;
                sp_node *n = visit(S, &count, x, y);
                if (!n) continue;
                n->depth = cur.depth + 1;
                n->parent = at;
                n->move = (sp_move){w->goal, dir, cells};
                n->first = cur.depth == 0 ? n->move : cur.first;
                if (holds(w, x, y)) {
                    *first = n->first;
                    *last = (int)(n - S->nodes);
                    return n->depth;
                }
            }
        }
    }
    return -1;
}

static int plan_goal_only(sp_search *S, const sp_world *w, const sp_obj *o,
                          int max_depth, sp_move *first) {
    int last;
    return search_goal_only(S, w, o, max_depth, first, &last);
}

/* ---- whole plans: goal-only, or one or two other objects moved first ---- */

typedef struct sp_plan {
    int cost;             /* moves; -1 none */
    sp_move first;
} sp_plan;

/* Plans after moving other objects first (`depth` such moves left). */
static void plan_with_helpers(sp_search *S, const sp_world *w, const sp_obj *o,
                              int depth, int spent, sp_move first, sp_plan *best) {
    for (int j = 0; j < w->n; j++) {
        if (j == w->goal) continue;
        for (int dir = 0; dir < 4; dir++) {
            float px = o[j].x, py = o[j].y;
            for (int cells = 1; cells <= w->max_cells; cells++) {
                float x, y;
                simulate(w, o, j, o[j].x, o[j].y, dir, cells, &x, &y);
                if (absf(x - px) < SP_EPS && absf(y - py) < SP_EPS) break;
                px = x, py = y;
                int cost = spent + 1;
                int budget = best->cost < 0 ? SP_MAX_DEPTH : best->cost - cost - 1;
                if (budget < 1 || S->work > SP_MAX_WORK) return;
                sp_obj moved[SP_PAIRS];
                memcpy(moved, o, sizeof(sp_obj) * (size_t)w->n);
                moved[j].x = x;
                moved[j].y = y;
                sp_move m = spent == 0 ? (sp_move){j, dir, cells} : first;
                sp_move unused;
                int d = plan_goal_only(S, w, moved, budget, &unused);
                if (d > 0 && (best->cost < 0 || cost + d < best->cost)) {
                    best->cost = cost + d;
                    best->first = m;
                }
                if (depth > 1) plan_with_helpers(S, w, moved, depth - 1, cost, m, best);
            }
        }
    }
}

static sp_plan plan(sp_search *S, const sp_world *w) {
    sp_plan best = {-1, {0, 0, 0}};
    best.cost = plan_goal_only(S, w, w->o, SP_MAX_DEPTH, &best.first);
    if (best.cost >= 0 && best.cost <= 2) return best;
    plan_with_helpers(S, w, w->o, 1, 0, best.first, &best);
    if (best.cost < 0) plan_with_helpers(S, w, w->o, 2, 0, best.first, &best);
    return best;
}

/* The nearest object in the band a mover of half-extent `s` sweeps along
 * `horizontal` at `across`, on the side `sign` of `along`; -1 if none. */
static int nearest_in_band(const sp_world *w, int skip, float s, bool horizontal, float along,
                           float across, float sign) {
    int found = -1;
    float best = 0.0f;
    for (int j = 0; j < w->n; j++) {
        if (j == skip) continue;
        const sp_obj *b = &w->o[j];
        float e = b->s + s + SP_GAP;
        if (absf((horizontal ? b->y : b->x) - across) >= e - SP_EPS) continue;
        float d = ((horizontal ? b->x : b->y) - along) * sign;
        if (d <= 0.0f) continue;
        if (found < 0 || d < best) found = j, best = d;
    }
    return found;
}

/* A move that takes object b out of the band of half-width `need` around
 * `across` (the band a mover sweeps along `horizontal`): perpendicular
 * moves of b, the fewest cells that clear it. When none clears it, b's own
 * stopper on its better side is cleared first (up to `depth` levels), else
 * the move that widens the gap most. Returns false if nothing helps. */
static bool clear_band(const sp_world *w, int b, bool horizontal, float across, float need,
                       int depth, sp_move *out) {
    const sp_obj *o = &w->o[b];
    int dirs[2] = {horizontal ? SP_UP : SP_LEFT, horizontal ? SP_DOWN : SP_RIGHT};
    float gap0 = absf((horizontal ? o->y : o->x) - across);
    sp_move clear = {b, dirs[0], 1}, widen = {b, dirs[0], 1};
    bool cleared = false, can_widen = false;
    float widen_gap = gap0 + SP_EPS;
    for (int k = 0; k < 2; k++) {
        float px = o->x, py = o->y;
        for (int cells = 1; cells <= w->max_cells; cells++) {
            float x, y;
            simulate(w, w->o, b, o->x, o->y, dirs[k], cells, &x, &y);
            if (absf(x - px) < SP_EPS && absf(y - py) < SP_EPS) break;
            px = x, py = y;
            float gap = absf((horizontal ? y : x) - across);
            if (gap >= need) {
                if (!cleared || cells < clear.cells) clear = (sp_move){b, dirs[k], cells};
                cleared = true;
                break;
            }
            if (gap > widen_gap) {
                widen = (sp_move){b, dirs[k], cells};
                widen_gap = gap;
                can_widen = true;
            }
        }
    }
    if (cleared) {
        *out = clear;
        return true;
    }
    if (depth > 0) { /* clear what stops b on the side away from the band */
        float pos = horizontal ? o->y : o->x;
        float sign = pos >= across ? 1.0f : -1.0f;
        int stopper = nearest_in_band(w, b, o->s, !horizontal, pos, horizontal ? o->x : o->y,
                                      sign);
        if (stopper >= 0 &&
            clear_band(w, stopper, !horizontal, horizontal ? o->x : o->y,
                       o->s + w->o[stopper].s + SP_GAP, depth - 1, out))
            return true;
    }
    if (can_widen) *out = widen;
    return can_widen;
}

static bool moves_something(const sp_world *w, sp_move m) {
    float x, y;
    simulate(w, w->o, m.obj, w->o[m.obj].x, w->o[m.obj].y, m.dir, m.cells, &x, &y);
    return absf(x - w->o[m.obj].x) >= SP_EPS || absf(y - w->o[m.obj].y) >= SP_EPS;
}

/* Some move that changes the table, picked by a hash of the state (a
 * deterministic shake when nothing better is known): of `focus` if it can
 * move, else of another object than the goal's, else of the goal's. */
static sp_move shake(const sp_world *w, int focus) {
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (int j = 0; j < w->n; j++) {
        h = (h ^ (uint64_t)(int64_t)(w->o[j].x * 8.0f)) * 0x100000001b3ull;
        h = (h ^ (uint64_t)(int64_t)(w->o[j].y * 8.0f)) * 0x100000001b3ull;
    }
    h ^= h >> 29;
    for (int pass = 0; pass < 3; pass++) {
        for (int k = 0; k < w->n * 12; k++) {
            int i = (int)((h + (uint64_t)k) % (uint64_t)(w->n * 12));
            sp_move m = {i / 12, (i / 3) % 4, 1 + i % 3};
            bool ok = pass == 0 ? m.obj == focus : pass == 1 ? m.obj != w->goal : true;
            if (ok && moves_something(w, m)) return m;
        }
    }
    return (sp_move){w->goal, SP_LEFT, 1}; /* nothing can move at all */
}

/* The clearing move, or the path's first step with *stuck set to the
 * object that cannot be cleared. */
static sp_move fallback_move(sp_search *S, const sp_world *w, int *stuck) {
    sp_world empty = *w;
    empty.n = 1;
    empty.o[0] = w->o[w->goal];
    empty.goal = 0;
    sp_move first;
    int last;
    if (search_goal_only(S, &empty, empty.o, SP_MAX_DEPTH, &first, &last) <= 0 || last < 0)
        return (sp_move){w->goal, SP_LEFT, 1}; /* unreachable on an empty table */
    sp_move path[SP_MAX_DEPTH];
    int len = 0;
    for (int n = last; n > 0 && len < SP_MAX_DEPTH; n = S->nodes[n].parent) {
        path[len] = S->nodes[n].move;
        path[len++].obj = w->goal; /* the move of empty.o[0] */
    }
    float x = w->o[w->goal].x, y = w->o[w->goal].y;
    for (int k = len - 1; k >= 0; k--) {
        sp_move m = path[k];
        float ex, ey, fx, fy;
        simulate(&empty, empty.o, 0, x, y, m.dir, m.cells, &ex, &ey); /* unobstructed */
        simulate(w, w->o, w->goal, x, y, m.dir, m.cells, &fx, &fy);  /* real */
        if (absf(ex - fx) < SP_EPS && absf(ey - fy) < SP_EPS) {
            x = ex, y = ey;
            continue;
        }
        /* the nearest object in the swept band stopped it: clear it */
        bool horizontal = m.dir == SP_LEFT || m.dir == SP_RIGHT;
        float sign = m.dir == SP_LEFT || m.dir == SP_UP ? -1.0f : 1.0f;
        const sp_obj *g = &w->o[w->goal];
        int blocker = nearest_in_band(w, w->goal, g->s, horizontal, horizontal ? fx : fy,
                                      horizontal ? fy : fx, sign);
        sp_move clear;
        if (blocker >= 0 &&
            clear_band(w, blocker, horizontal, horizontal ? fy : fx,
                       g->s + w->o[blocker].s + SP_GAP, 3, &clear))
            return clear;
        *stuck = blocker >= 0 ? blocker : w->goal;
        break;
    }
    return path[len - 1];
}

/* No plan within the search depth: follow the goal object's shortest path
 * on an empty table and clear the first object that would stop it out of
 * its way; when that is not possible, shake the blocker (or the table). */
static sp_move fallback(sp_search *S, const sp_world *w) {
    int blocker = -1;
    sp_move m = fallback_move(S, w, &blocker);
    return blocker < 0 && moves_something(w, m) ? m : shake(w, blocker);
}

pan_status pan_scripted_policy_act(const pan_scripted_view *view,
                                   const float *latent, int latent_size,
                                   const char *goal, char *action, size_t size) {
    if (!view || !latent || !goal || !action)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "scripted policy: NULL argument");
    if (size < PAN_SCRIPTED_ACTION_MAX)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "scripted policy: action buffer "
                             "of %zu bytes, expected >= %d", size, PAN_SCRIPTED_ACTION_MAX);
    if (latent_size != PAN_SCRIPTED_LATENT_SIZE)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "scripted policy: latent of %d "
                             "floats, expected the tabletop state vector (%d)",
                             latent_size, PAN_SCRIPTED_LATENT_SIZE);
    if (view->width < PAN_WORLD_MIN_SIZE || view->width > PAN_WORLD_MAX_SIZE ||
        view->height < PAN_WORLD_MIN_SIZE || view->height > PAN_WORLD_MAX_SIZE)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "scripted policy: frame %dx%d, "
                             "expected %d..%d pixels a side", view->width, view->height,
                             PAN_WORLD_MIN_SIZE, PAN_WORLD_MAX_SIZE);
    pan_goal g;
    pan_status st = pan_task_parse_goal("tabletop", goal, &g);
    if (st != PAN_OK) return st;
    if (g.kind != PAN_TASK_PLACE)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "scripted policy: goal '%.64s' "
                             "is not a place goal", goal);

    /* geometry as docs/worlds.md "Units and geometry" */
    sp_world w;
    memset(&w, 0, sizeof w);
    float W = (float)view->width, H = (float)view->height;
    w.cell = (view->width < view->height ? W : H) / 8.0f;
    int rim = (int)(w.cell / 4.0f);
    w.x0 = w.y0 = (float)(rim < 1 ? 1 : rim);
    w.x1 = W - w.x0;
    w.y1 = H - w.y0;
    w.tol = PAN_TASK_TOLERANCE_PX - 0.05f; /* a margin against rounding */
    w.place = g.place;
    w.max_cells = (int)((W > H ? W : H) / w.cell) + 1;
    if (w.max_cells > SP_MAX_CELLS) w.max_cells = SP_MAX_CELLS;
    w.goal = -1;
    for (int p = 0; p < SP_PAIRS; p++) {
        const float *v = latent + 4 * p;
        if (!(v[0] > 0.5f)) continue;
        sp_obj *o = &w.o[w.n];
        o->colour = p / PAN_SHAPE_COUNT;
        o->shape = p % PAN_SHAPE_COUNT;
        o->x = v[1] * W;
        o->y = v[2] * H;
        o->s = v[3] * w.cell;
        if (!(o->s > 0.0f && o->s < W) || !(o->x >= 0.0f && o->x <= W) ||
            !(o->y >= 0.0f && o->y <= H))
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "scripted policy: latent "
                                 "pair %d (%s %s) is not a tabletop object", p,
                                 colour_names[o->colour], shape_names[o->shape]);
        if (o->colour == g.colour && o->shape == g.shape) w.goal = w.n;
        w.n++;
    }
    if (w.goal < 0)
        return pan_error_set(PAN_ERR_NOT_FOUND, "scripted policy: the goal's %s %s is "
                             "not on the table", colour_names[g.colour],
                             shape_names[g.shape]);
    if (holds(&w, w.o[w.goal].x, w.o[w.goal].y)) {
        snprintf(action, size, "wait");
        return PAN_OK;
    }
    sp_search search; /* scratch of the search (~60 KB) */
    search.work = 0;
    sp_plan p = plan(&search, &w);
    sp_move m = p.cost > 0 ? p.first : fallback(&search, &w);
    const sp_obj *o = &w.o[m.obj];
    snprintf(action, size, "move the %s %s %s by %d", colour_names[o->colour],
             shape_names[o->shape], dir_names[m.dir], m.cells);
    return PAN_OK;
}
