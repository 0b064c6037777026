/* agents/c/planner_grammar.c: the planners' templated action grammar and
 * its per-slot categorical distributions (planner_internal.h). */
#include <stdio.h>
#include <string.h>

#include "agents/c/planner_internal.h"

static const char *const colours[PAN_COLOUR_COUNT] = {
    "red", "green", "blue", "yellow", "purple", "orange"};
static const char *const shapes[PAN_SHAPE_COUNT] = {"square", "circle",
                                                    "triangle"};
static const char *const tt_dirs[4] = {"left", "right", "up", "down"};
static const char *const places[9] = {
    "top left corner", "top right corner", "bottom left corner",
    "bottom right corner", "centre", "top edge", "bottom edge", "left edge",
    "right edge"};
static const char *const relations[5] = {"next to", "left of", "right of",
                                         "above", "below"};
static const char *const compass[4] = {"north", "east", "south", "west"};
static const char *const turns[3] = {"left", "right", "around"};

uint64_t pg_rng_next(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

float pg_rng_unit(uint64_t *state) {
    return (float)(pg_rng_next(state) >> 40) * (1.0f / 16777216.0f);
}

void pg_grammar_init(pg_grammar *g, bool rooms, const pan_world_config *config,
                     const pan_world_state *now) {
    memset(g, 0, sizeof *g);
    g->rooms = rooms;
    if (rooms) {
        g->n_templates = 2;
        g->size[PG_TEMPLATE] = 2;
        g->size[PG_DIR] = 4;
        g->size[PG_DIST] = 10;
        g->size[PG_TURN] = 3;
        g->uses[PG_T_GO][PG_DIR] = g->uses[PG_T_GO][PG_DIST] = true;
        g->uses[PG_T_TURN][PG_TURN] = true;
        return;
    }
    int n = 0;
    for (int pair = 0; now && pair < PAN_COLOUR_COUNT * PAN_SHAPE_COUNT; pair++)
        for (int i = 0; i < now->n_objects && i < PAN_WORLD_MAX_OBJECTS; i++) {
            const pan_object_state *o = &now->objects[i];
            if (o->visible && o->colour * PAN_SHAPE_COUNT + o->shape == pair) {
                g->colour[n] = o->colour, g->shape[n] = o->shape;
                n++;
                break;
            }
        }
    int w = config->width, h = config->height;
    float cell = (float)(w < h ? w : h) / 8.0f;
    int cells = (int)((float)(w > h ? w : h) / cell + 0.999f);
    g->n_templates = 3;
    g->size[PG_TEMPLATE] = 3;
    g->size[PG_OBJECT] = n;
    g->size[PG_DIR] = 4;
    g->size[PG_DIST] = cells > 20 ? 20 : cells;
    g->size[PG_PLACE] = 9;
    g->size[PG_REL] = 5;
    g->size[PG_OTHER] = n;
    bool *mv = g->uses[PG_T_MOVE], *pl = g->uses[PG_T_PLACE],
         *rl = g->uses[PG_T_RELATION];
    mv[PG_OBJECT] = mv[PG_DIR] = mv[PG_DIST] = true;
    pl[PG_OBJECT] = pl[PG_PLACE] = true;
    rl[PG_OBJECT] = rl[PG_REL] = rl[PG_OTHER] = true;
}

static void fill_uniform(float *p, int n) {
    for (int i = 0; i < PG_MAX_VALUES; i++) p[i] = i < n ? 1.0f / (float)n : 0.0f;
}

void pg_dist_uniform(const pg_grammar *g, pg_dist *d) {
    memset(d, 0, sizeof *d);
    for (int s = 0; s < PG_SLOTS; s++) fill_uniform(d->p[s], g->size[s]);
    if (!g->rooms && g->size[PG_OBJECT] < 2) { /* no relation possible */
        d->p[PG_TEMPLATE][PG_T_RELATION] = 0.0f;
        d->p[PG_TEMPLATE][PG_T_MOVE] = d->p[PG_TEMPLATE][PG_T_PLACE] = 0.5f;
    }
}

/* Is grammar object i named by the goal? */
static bool goal_names(const pg_grammar *g, const pan_goal *goal, int i) {
    int kind = goal->kind == PAN_TASK_GOAL_LATENT
                   ? (goal->family ? goal->family : PAN_TASK_PLACE)
                   : goal->kind;
    int c = g->colour[i], s = g->shape[i];
    if (kind == PAN_TASK_GROUP) return c == goal->colour;
    return (c == goal->colour && s == goal->shape) ||
           ((kind == PAN_TASK_RELATION || kind == PAN_TASK_LINE) &&
            c == goal->colour2 && s == goal->shape2) ||
           (kind == PAN_TASK_LINE && c == goal->colour3 && s == goal->shape3);
}

void pg_dist_goal(const pg_grammar *g, const pan_goal *goal, pg_dist *d) {
    pg_dist_uniform(g, d);
    if (g->rooms) {
        d->p[PG_TEMPLATE][PG_T_GO] = 1.0f;
        d->p[PG_TEMPLATE][PG_T_TURN] = 0.0f;
        return;
    }
    int named = 0, n = g->size[PG_OBJECT];
    for (int i = 0; i < n; i++) named += goal_names(g, goal, i);
    if (named == 0) return;
    for (int i = 0; i < n; i++)
        d->p[PG_OBJECT][i] = goal_names(g, goal, i) ? 1.0f / (float)named : 0.0f;
}

/* Draws from p[0..n) (weights need not sum to 1); skip: a value to leave
 * out (-1 none). -1 when nothing has weight. */
static int draw(const float *p, int n, int skip, uint64_t *rng) {
    float total = 0.0f;
    for (int i = 0; i < n; i++)
        if (i != skip) total += p[i];
    if (!(total > 0.0f)) {
        int m = n - (skip >= 0 && skip < n);
        if (m <= 0) return -1;
        int k = (int)(pg_rng_unit(rng) * (float)m);
        for (int i = 0; i < n; i++)
            if (i != skip && k-- == 0) return i;
        return -1;
    }
    float u = pg_rng_unit(rng) * total;
    int last = -1;
    for (int i = 0; i < n; i++) {
        if (i == skip || p[i] <= 0.0f) continue;
        last = i;
        if (u < p[i]) return i;
        u -= p[i];
    }
    return last;
}

void pg_sample(const pg_grammar *g, const pg_dist *d, uint64_t *rng,
               pg_action *a) {
    memset(a->v, -1, sizeof a->v);
    if (!g->rooms && g->size[PG_OBJECT] == 0) return; /* nothing to move */
    int t = draw(d->p[PG_TEMPLATE], g->n_templates, -1, rng);
    a->v[PG_TEMPLATE] = (int8_t)t;
    for (int s = 1; s < PG_SLOTS; s++) {
        if (t < 0 || !g->uses[t][s]) continue;
        int skip = s == PG_OTHER ? a->v[PG_OBJECT] : -1;
        a->v[s] = (int8_t)draw(d->p[s], g->size[s], skip, rng);
    }
}

void pg_text(const pg_grammar *g, const pg_action *a, char *buf, size_t size) {
    int t = a->v[PG_TEMPLATE];
    if (t < 0) {
        snprintf(buf, size, "wait");
        return;
    }
    if (g->rooms) {
        if (t == PG_T_GO)
            snprintf(buf, size, "go %s %d", compass[a->v[PG_DIR]],
                     a->v[PG_DIST] + 1);
        else
            snprintf(buf, size, "turn %s", turns[a->v[PG_TURN]]);
        return;
    }
    int o = a->v[PG_OBJECT];
    const char *c = colours[g->colour[o]], *s = shapes[g->shape[o]];
    if (t == PG_T_MOVE) {
        snprintf(buf, size, "move %s %s %s %d", c, s, tt_dirs[a->v[PG_DIR]],
                 a->v[PG_DIST] + 1);
    } else if (t == PG_T_PLACE) {
        snprintf(buf, size, "move %s %s to %s", c, s, places[a->v[PG_PLACE]]);
    } else {
        int q = a->v[PG_OTHER];
        snprintf(buf, size, "move %s %s %s %s %s", c, s,
                 relations[a->v[PG_REL]], colours[g->colour[q]],
                 shapes[g->shape[q]]);
    }
}

void pg_refit(const pg_grammar *g, pg_dist *d, const pg_action *elites,
              int n, int stride, float smoothing) {
    for (int s = 0; s < PG_SLOTS; s++) {
        float count[PG_MAX_VALUES] = {0};
        int used = 0;
        for (int e = 0; e < n; e++) {
            int v = elites[(size_t)e * (size_t)stride].v[s];
            if (v < 0) continue;
            count[v] += 1.0f;
            used++;
        }
        if (used == 0) continue;
        for (int v = 0; v < g->size[s]; v++)
            d->p[s][v] = (1.0f - smoothing) * count[v] / (float)used +
                         smoothing * d->p[s][v];
    }
}
