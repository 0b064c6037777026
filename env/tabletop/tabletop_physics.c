/* env/tabletop/tabletop_physics.c: geometry, move targets, walls and
 * collisions, where appearing objects go, and the easing of motion.
 *
 * Collision model (docs/worlds.md): every object collides as its bounding
 * square (the shape inside does not matter). A move is a straight line from
 * the object's centre to its target; the target is first clamped so the
 * bounding square stays inside the table (the walls); then the object stops
 * at the first other visible object whose bounding square it would come
 * closer to than TT_GAP pixel, exactly at TT_GAP (it touches the blocker).
 * Blockers never move. Only + - * / on floats: deterministic everywhere. */
#include "env/tabletop/tabletop.h"

tt_geometry tt_geometry_of(int width, int height) {
    tt_geometry g;
    g.width = width;
    g.height = height;
    g.cell = (float)(width < height ? width : height) / 8.0f;
    int rim = (int)(g.cell / 4.0f);
    g.rim = (float)(rim < 1 ? 1 : rim);
    int size = (int)(g.cell * 0.75f);
    g.size = (float)(size < (int)TT_MIN_SIZE ? (int)TT_MIN_SIZE : size);
    g.x0 = g.rim;
    g.y0 = g.rim;
    g.x1 = (float)width - g.rim;
    g.y1 = (float)height - g.rim;
    return g;
}

uint64_t tt_rng_next(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint32_t tt_rng_below(uint64_t *state, uint32_t n) {
    return (uint32_t)((tt_rng_next(state) >> 32) % n);
}

bool tt_inside_table(const tt_geometry *g, float x, float y, float size) {
    return x - size >= g->x0 - TT_EPS && x + size <= g->x1 + TT_EPS &&
           y - size >= g->y0 - TT_EPS && y + size <= g->y1 + TT_EPS;
}

static float absf(float v) { return v < 0.0f ? -v : v; }

bool tt_is_free(const pan_world_state *s, float x, float y, float size,
                int skip) {
    for (int j = 0; j < s->n_objects; j++) {
        const pan_object_state *o = &s->objects[j];
        if (j == skip || !o->visible) continue;
        float e = size + o->size + TT_GAP - TT_EPS;
        if (absf(x - o->x) < e && absf(y - o->y) < e) return false;
    }
    return true;
}

/* Centre of an object of half-extent `size` at a named place; edges keep
 * (px, py)'s other coordinate. */
static void place_point(const tt_geometry *g, int place, float size, float px,
                        float py, float *x, float *y) {
    float left = g->x0 + size, right = g->x1 - size;
    float top = g->y0 + size, bottom = g->y1 - size;
    float cx = (g->x0 + g->x1) * 0.5f, cy = (g->y0 + g->y1) * 0.5f;
    switch (place) {
    case TT_PLACE_TOP_LEFT: *x = left, *y = top; break;
    case TT_PLACE_TOP_RIGHT: *x = right, *y = top; break;
    case TT_PLACE_BOTTOM_LEFT: *x = left, *y = bottom; break;
    case TT_PLACE_BOTTOM_RIGHT: *x = right, *y = bottom; break;
    case TT_PLACE_TOP_EDGE: *x = px, *y = top; break;
    case TT_PLACE_BOTTOM_EDGE: *x = px, *y = bottom; break;
    case TT_PLACE_LEFT_EDGE: *x = left, *y = py; break;
    case TT_PLACE_RIGHT_EDGE: *x = right, *y = py; break;
    default: *x = cx, *y = cy; break;
    }
}

/* Centre of an object of half-extent size placed `relation` (not NEXT_TO)
 * of object b, touching it. */
static void relation_point(const pan_object_state *b, int relation, float size,
                           float *x, float *y) {
    float e = size + b->size + TT_GAP;
    *x = b->x, *y = b->y;
    switch (relation) {
    case TT_REL_LEFT_OF: *x = b->x - e; break;
    case TT_REL_RIGHT_OF: *x = b->x + e; break;
    case TT_REL_ABOVE: *y = b->y - e; break;
    default: *y = b->y + e; break;
    }
}

void tt_move_target(const tt_geometry *g, const pan_world_state *s,
                    const tt_action *a, float *tx, float *ty) {
    const pan_object_state *o = &s->objects[a->object];
    *tx = o->x, *ty = o->y;
    if (a->direction >= 0) {
        float far = (float)(g->width + g->height); /* beyond any wall */
        float d = a->cells == 0 ? far : (float)a->cells * g->cell;
        switch (a->direction) {
        case TT_LEFT: *tx = o->x - d; break;
        case TT_RIGHT: *tx = o->x + d; break;
        case TT_UP: *ty = o->y - d; break;
        default: *ty = o->y + d; break;
        }
    } else if (a->place >= 0) {
        place_point(g, a->place, o->size, o->x, o->y, tx, ty);
    } else if (a->relation >= 0) {
        const pan_object_state *b = &s->objects[a->other];
        if (a->relation != TT_REL_NEXT_TO) {
            relation_point(b, a->relation, o->size, tx, ty);
            return;
        }
        /* next to: the side facing the mover first, then the others by
         * distance; the first side that fits inside the table wins. */
        int facing;
        float dx = o->x - b->x, dy = o->y - b->y;
        if (absf(dx) >= absf(dy)) facing = dx < 0 ? TT_REL_LEFT_OF : TT_REL_RIGHT_OF;
        else facing = dy < 0 ? TT_REL_ABOVE : TT_REL_BELOW;
        relation_point(b, facing, o->size, tx, ty);
        if (tt_inside_table(g, *tx, *ty, o->size)) return;
        float best = -1.0f;
        for (int r = TT_REL_LEFT_OF; r <= TT_REL_BELOW; r++) {
            float x, y;
            relation_point(b, r, o->size, &x, &y);
            if (!tt_inside_table(g, x, y, o->size)) continue;
            float d2 = (x - o->x) * (x - o->x) + (y - o->y) * (y - o->y);
            if (best < 0.0f || d2 < best) best = d2, *tx = x, *ty = y;
        }
        if (best < 0.0f) relation_point(b, facing, o->size, tx, ty);
    }
}

static float clampf(float v, float lo, float hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

void tt_sweep(const tt_geometry *g, const pan_world_state *s, int mover,
              float tx, float ty, float *ex, float *ey, int *blocker,
              bool *walled) {
    const pan_object_state *o = &s->objects[mover];
    float cx = clampf(tx, g->x0 + o->size, g->x1 - o->size);
    float cy = clampf(ty, g->y0 + o->size, g->y1 - o->size);
    *walled = cx != tx || cy != ty;
    float dx = cx - o->x, dy = cy - o->y;
    const float inf = 1e30f;
    float best = 1.0f;
    int hit = -1;
    bool hit_x = false;
    for (int j = 0; j < s->n_objects; j++) {
        const pan_object_state *b = &s->objects[j];
        if (j == mover || !b->visible) continue;
        float e = o->size + b->size + TT_GAP; /* contact distance */
        float ep = e - TT_EPS;                /* deeper than this = hit */
        float in_x, out_x, in_y, out_y, stop_x, stop_y;
        if (dx == 0.0f) {
            if (absf(o->x - b->x) >= ep) continue;
            in_x = -inf, out_x = inf, stop_x = -inf;
        } else {
            float t1 = (b->x - ep - o->x) / dx, t2 = (b->x + ep - o->x) / dx;
            in_x = t1 < t2 ? t1 : t2;
            out_x = t1 < t2 ? t2 : t1;
            stop_x = (b->x - (dx > 0.0f ? e : -e) - o->x) / dx;
        }
        if (dy == 0.0f) {
            if (absf(o->y - b->y) >= ep) continue;
            in_y = -inf, out_y = inf, stop_y = -inf;
        } else {
            float t1 = (b->y - ep - o->y) / dy, t2 = (b->y + ep - o->y) / dy;
            in_y = t1 < t2 ? t1 : t2;
            out_y = t1 < t2 ? t2 : t1;
            stop_y = (b->y - (dy > 0.0f ? e : -e) - o->y) / dy;
        }
        float t_in = in_x > in_y ? in_x : in_y;
        float t_out = out_x < out_y ? out_x : out_y;
        if (!(t_in < t_out && t_out > 0.0f && t_in < 1.0f)) continue;
        float stop = stop_x > stop_y ? stop_x : stop_y;
        stop = clampf(stop, 0.0f, 1.0f);
        if (hit < 0 || stop < best) {
            best = stop;
            hit = j;
            hit_x = stop_x >= stop_y;
        }
    }
    if (hit < 0) {
        *ex = cx, *ey = cy;
    } else if (best <= 0.0f) {
        *ex = o->x, *ey = o->y; /* already touching: no motion */
    } else {
        const pan_object_state *b = &s->objects[hit];
        float e = o->size + b->size + TT_GAP;
        *ex = o->x + dx * best;
        *ey = o->y + dy * best;
        if (hit_x) *ex = dx > 0.0f ? b->x - e : b->x + e;
        else *ey = dy > 0.0f ? b->y - e : b->y + e;
    }
    *blocker = hit;
    if (hit >= 0) *walled = false;
}

bool tt_appear_position(const tt_geometry *g, pan_world_state *s,
                        const tt_action *a, float size, float *x, float *y) {
    if (a->relation >= 0) {
        const pan_object_state *b = &s->objects[a->other];
        static const int order[] = {TT_REL_RIGHT_OF, TT_REL_LEFT_OF,
                                    TT_REL_BELOW, TT_REL_ABOVE};
        for (int k = 0; k < 4; k++) {
            int r = a->relation == TT_REL_NEXT_TO ? order[k] : a->relation;
            relation_point(b, r, size, x, y);
            if (tt_inside_table(g, *x, *y, size) &&
                tt_is_free(s, *x, *y, size, -1))
                return true;
            if (a->relation != TT_REL_NEXT_TO) return false;
        }
        return false;
    }
    if (a->place >= 0) {
        float cx = (g->x0 + g->x1) * 0.5f, cy = (g->y0 + g->y1) * 0.5f;
        place_point(g, a->place, size, cx, cy, x, y);
        return tt_inside_table(g, *x, *y, size) &&
               tt_is_free(s, *x, *y, size, -1);
    }
    /* anywhere: integer centres drawn from the world's RNG */
    int lo_x = (int)(g->x0 + size + 0.999f), hi_x = (int)(g->x1 - size);
    int lo_y = (int)(g->y0 + size + 0.999f), hi_y = (int)(g->y1 - size);
    if (hi_x < lo_x || hi_y < lo_y) return false;
    for (int tries = 0; tries < 200; tries++) {
        *x = (float)(lo_x + (int)tt_rng_below(&s->rng, (uint32_t)(hi_x - lo_x + 1)));
        *y = (float)(lo_y + (int)tt_rng_below(&s->rng, (uint32_t)(hi_y - lo_y + 1)));
        if (tt_is_free(s, *x, *y, size, -1)) return true;
    }
    return false;
}

float tt_ease(int k, int frames) {
    if (k >= frames) return 1.0f;
    float t = (float)k / (float)frames;
    return t * t * (3.0f - 2.0f * t); /* smoothstep */
}
