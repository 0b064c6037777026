/* env/tabletop/tabletop_world.c: the tabletop vtable: create, reset, apply
 * (motion over the K frames), true state get/set and the state vector. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/tabletop/tabletop.h"

static tt_world *impl(const pan_world *w) { return (tt_world *)w->impl; }

static pan_status tt_create(pan_world *w) {
    tt_world *tt = calloc(1, sizeof *tt);
    size_t pixels = (size_t)w->config.width * (size_t)w->config.height;
    if (tt) {
        tt->classes = malloc(pixels);
        tt->labels = malloc(pixels * sizeof *tt->labels);
        tt->stack = malloc(pixels * sizeof *tt->stack);
    }
    if (!tt || !tt->classes || !tt->labels || !tt->stack) {
        if (tt) free(tt->classes), free(tt->labels), free(tt->stack);
        free(tt);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "tabletop create: out of memory for %dx%d",
                             w->config.width, w->config.height);
    }
    tt->geo = tt_geometry_of(w->config.width, w->config.height);
    tt->frames_per_step = w->config.frames_per_step;
    w->impl = tt;
    return PAN_OK;
}

static void tt_destroy(pan_world *w) {
    tt_world *tt = impl(w);
    if (!tt) return;
    free(tt->classes);
    free(tt->labels);
    free(tt->stack);
    free(tt);
    w->impl = NULL;
}

/* 2-5 objects of distinct (colour, shape) at integer centres, at least half
 * a cell apart (bounding squares), all inside the table. */
static pan_status tt_reset(pan_world *w, uint64_t seed) {
    tt_world *tt = impl(w);
    const tt_geometry *g = &tt->geo;
    pan_world_state *s = &tt->state;
    memset(s, 0, sizeof *s);
    s->seed = seed;
    s->rng = seed ^ 0x7AB1E70Bull;
    s->brightness = TT_BRIGHTNESS_ON;
    int pairs[TT_PAIRS];
    for (int i = 0; i < TT_PAIRS; i++) pairs[i] = i;
    for (int i = TT_PAIRS - 1; i > 0; i--) {
        int j = (int)tt_rng_below(&s->rng, (uint32_t)(i + 1));
        int t = pairs[i];
        pairs[i] = pairs[j], pairs[j] = t;
    }
    int want = TT_MIN_OBJECTS +
               (int)tt_rng_below(&s->rng, TT_MAX_RESET_OBJECTS - TT_MIN_OBJECTS + 1);
    float size = g->size, spacing = g->cell * 0.5f;
    int lo_x = (int)(g->x0 + size + 0.999f), hi_x = (int)(g->x1 - size);
    int lo_y = (int)(g->y0 + size + 0.999f), hi_y = (int)(g->y1 - size);
    for (int k = 0; k < want; k++) {
        for (int tries = 0; tries < 1000; tries++) {
            float x = (float)(lo_x + (int)tt_rng_below(&s->rng, (uint32_t)(hi_x - lo_x + 1)));
            float y = (float)(lo_y + (int)tt_rng_below(&s->rng, (uint32_t)(hi_y - lo_y + 1)));
            if (!tt_is_free(s, x, y, size + spacing, -1)) continue;
            pan_object_state *o = &s->objects[s->n_objects++];
            o->colour = pairs[k] / PAN_SHAPE_COUNT;
            o->shape = pairs[k] % PAN_SHAPE_COUNT;
            o->x = x, o->y = y, o->size = size;
            o->visible = true;
            break;
        }
    }
    return PAN_OK;
}

static void tt_parse_vt(const pan_world *w, const char *text,
                        pan_action_result *result, void *parsed) {
    tt_action action;
    tt_parse(impl(w), text, result, &action);
    if (result->understood) memcpy(parsed, &action, sizeof action);
}

static void tt_render_vt(const pan_world *w, uint8_t *frame) {
    tt_render_state(&impl(w)->geo, &impl(w)->state, frame);
}

static void repeat_frame(uint8_t *frames, size_t bytes, int count) {
    for (int k = 1; k < count; k++) memcpy(frames + (size_t)k * bytes, frames, bytes);
}

/* printf into result->message (truncated to fit). */
__attribute__((format(printf, 2, 3)))
static void say(pan_action_result *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
}

static void object_name(const pan_object_state *o, char *buf, size_t size) {
    snprintf(buf, size, "%s %s", tt_colour_names[o->colour],
             tt_shape_names[o->shape]);
}

static void apply_move(tt_world *tt, const tt_action *a, uint8_t *frames,
                       size_t bytes, pan_action_result *r) {
    pan_world_state *s = &tt->state;
    pan_object_state *o = &s->objects[a->object];
    float tx, ty, ex, ey;
    int blocker;
    bool walled;
    tt_move_target(&tt->geo, s, a, &tx, &ty);
    tt_sweep(&tt->geo, s, a->object, tx, ty, &ex, &ey, &blocker, &walled);
    float x0 = o->x, y0 = o->y;
    pan_world_state view = *s;
    pan_object_state *v = &view.objects[a->object];
    for (int k = 1; k <= tt->frames_per_step; k++) {
        float e = tt_ease(k, tt->frames_per_step);
        v->x = k == tt->frames_per_step ? ex : x0 + (ex - x0) * e;
        v->y = k == tt->frames_per_step ? ey : y0 + (ey - y0) * e;
        tt_render_state(&tt->geo, &view, frames + (size_t)(k - 1) * bytes);
    }
    o->x = ex, o->y = ey;
    char name[32], other[64] = "";
    object_name(o, name, sizeof name);
    if (blocker >= 0) {
        char b[32];
        object_name(&s->objects[blocker], b, sizeof b);
        snprintf(other, sizeof other, "; stopped by the %s", b);
    } else if (walled) {
        snprintf(other, sizeof other, "; stopped at the wall");
    }
    if (ex == x0 && ey == y0)
        say(r, "the %s did not move%s", name,
                 other);
    else
        say(r, "the %s moved from (%.1f, %.1f) to (%.1f, %.1f)%s", name,
                 (double)x0, (double)y0, (double)ex, (double)ey, other);
}

static void apply_appear(tt_world *tt, const tt_action *a,
                         pan_action_result *r) {
    pan_world_state *s = &tt->state;
    char name[32];
    snprintf(name, sizeof name, "%s %s", tt_colour_names[a->colour],
             tt_shape_names[a->shape]);
    if (tt_find_object(s, a->colour, a->shape) >= 0) {
        say(r, "there is already a %s on the table; nothing was added", name);
        return;
    }
    /* slot: the same pair's old slot, else any hidden slot, else a new one */
    int slot = -1;
    for (int i = 0; i < s->n_objects && slot < 0; i++)
        if (!s->objects[i].visible && s->objects[i].colour == a->colour &&
            s->objects[i].shape == a->shape)
            slot = i;
    for (int i = 0; i < s->n_objects && slot < 0; i++)
        if (!s->objects[i].visible) slot = i;
    if (slot < 0 && s->n_objects < PAN_WORLD_MAX_OBJECTS) slot = s->n_objects;
    if (slot < 0) {
        say(r, "could not place the %s: the table holds %d objects already",
                 name, PAN_WORLD_MAX_OBJECTS);
        return;
    }
    float x, y;
    if (!tt_appear_position(&tt->geo, s, a, tt->geo.size, &x, &y)) {
        say(r, "could not place the %s: no room there; nothing changed", name);
        return;
    }
    if (slot == s->n_objects) s->n_objects++;
    s->objects[slot] = (pan_object_state){.colour = a->colour, .shape = a->shape,
                                          .x = x, .y = y, .size = tt->geo.size,
                                          .visible = true};
    say(r, "a %s appeared at (%.1f, %.1f)",
             name, (double)x, (double)y);
}

static pan_status tt_apply(pan_world *w, const void *parsed, uint8_t *frames,
                           pan_action_result *r) {
    tt_world *tt = impl(w);
    pan_world_state *s = &tt->state;
    const size_t bytes = (size_t)tt->geo.width * (size_t)tt->geo.height * 3;
    s->steps++;
    if (!parsed) {
        tt_render_state(&tt->geo, s, frames);
        repeat_frame(frames, bytes, tt->frames_per_step);
        return PAN_OK;
    }
    tt_action a;
    memcpy(&a, parsed, sizeof a);
    char name[32];
    switch (a.kind) {
    case TT_ACT_MOVE:
        apply_move(tt, &a, frames, bytes, r);
        return PAN_OK;
    case TT_ACT_LIGHTS: {
        float level = tt_level_brightness[a.level];
        if (s->brightness == level)
            say(r, "the lights are already %s",
                     tt_level_names[a.level]);
        else
            say(r, "the lights are now %s",
                     tt_level_names[a.level]);
        s->brightness = level;
        break;
    }
    case TT_ACT_APPEAR:
        apply_appear(tt, &a, r);
        break;
    case TT_ACT_REMOVE:
        s->objects[a.object].visible = false;
        object_name(&s->objects[a.object], name, sizeof name);
        say(r, "the %s was removed", name);
        break;
    default:
        say(r, "time passed; nothing moved");
        break;
    }
    tt_render_state(&tt->geo, s, frames);
    repeat_frame(frames, bytes, tt->frames_per_step);
    return PAN_OK;
}

static void tt_get_state(const pan_world *w, pan_world_state *state) {
    *state = impl(w)->state;
}

static bool finite_in(float v, float lo, float hi) {
    return v == v && v >= lo && v <= hi; /* NaN fails v == v */
}

static pan_status bad(int i, const char *field, double value,
                      const char *expected) {
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                         "tabletop set_state: objects[%d].%s = %g, expected %s",
                         i, field, value, expected);
}

static pan_status tt_set_state(pan_world *w, const pan_world_state *in) {
    tt_world *tt = impl(w);
    const tt_geometry *g = &tt->geo;
    if (in->n_objects < 0 || in->n_objects > PAN_WORLD_MAX_OBJECTS)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "tabletop set_state: n_objects = %d, expected "
                             "0..%d", (int)in->n_objects, PAN_WORLD_MAX_OBJECTS);
    if (!finite_in(in->brightness, 0.0f, 1.0f))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "tabletop set_state: brightness = %g, expected "
                             "0..1", (double)in->brightness);
    if (in->steps < 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "tabletop set_state: steps = %lld, expected >= 0",
                             (long long)in->steps);
    char range[128];
    for (int i = 0; i < in->n_objects; i++) {
        const pan_object_state *o = &in->objects[i];
        if (o->colour < 0 || o->colour >= PAN_COLOUR_COUNT)
            return bad(i, "colour", o->colour, "0..5 (pan_colour)");
        if (o->shape < 0 || o->shape >= PAN_SHAPE_COUNT)
            return bad(i, "shape", o->shape, "0..2 (pan_shape_kind)");
        snprintf(range, sizeof range, "%g..%g px", (double)TT_MIN_SIZE,
                 (double)(2.0f * g->size));
        if (!finite_in(o->size, TT_MIN_SIZE, 2.0f * g->size))
            return bad(i, "size", o->size, range);
        if (!finite_in(o->x, 0.0f, (float)g->width))
            return bad(i, "x", o->x, "a finite pixel coordinate in the frame");
        if (!finite_in(o->y, 0.0f, (float)g->height))
            return bad(i, "y", o->y, "a finite pixel coordinate in the frame");
        if (!o->visible) continue;
        if (!tt_inside_table(g, o->x, o->y, o->size)) {
            snprintf(range, sizeof range, "its bounding square inside the "
                     "table [%g, %g) x [%g, %g)", (double)g->x0, (double)g->x1,
                     (double)g->y0, (double)g->y1);
            return bad(i, "x/y", o->x, range);
        }
        for (int j = 0; j < i; j++) {
            const pan_object_state *p = &in->objects[j];
            if (!p->visible) continue;
            if (p->colour == o->colour && p->shape == o->shape)
                return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                     "tabletop set_state: objects[%d] and "
                                     "objects[%d] are both a visible %s %s, "
                                     "expected distinct (colour, shape)",
                                     j, i, tt_colour_names[o->colour],
                                     tt_shape_names[o->shape]);
            float e = o->size + p->size + TT_GAP - TT_EPS;
            float dx = o->x - p->x, dy = o->y - p->y;
            if (dx < e && -dx < e && dy < e && -dy < e)
                return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                     "tabletop set_state: objects[%d] and "
                                     "objects[%d] overlap, expected their "
                                     "bounding squares %g px apart",
                                     j, i, (double)TT_GAP);
        }
    }
    pan_world_state s = *in;
    for (int i = s.n_objects; i < PAN_WORLD_MAX_OBJECTS; i++)
        memset(&s.objects[i], 0, sizeof s.objects[i]);
    s.camera_x = s.camera_y = 0.0f;
    s.heading = 0;
    tt->state = s;
    return PAN_OK;
}

static void tt_sample_vt(const pan_world *w, uint64_t *rng, pan_split split,
                         char *buf, size_t size) {
    tt_sample_action(impl(w), rng, split, buf, size);
}

static void tt_detect_vt(const pan_world *w, const uint8_t *frame,
                         pan_world_state *detected) {
    tt_detect(impl(w), frame, detected);
}

/* Layout (docs/worlds.md): for each (colour, shape) pair p = colour * 3 +
 * shape, 4 floats at 4p: visible (0/1), x / W, y / H, size / cell; then the
 * brightness at index 72. Hidden objects give four zeros. */
static int tt_state_vector(const pan_world *w, const pan_world_state *s,
                           float *out) {
    if (!out) return TT_STATE_VECTOR_LENGTH;
    if (!w || !s) return -1;
    const tt_geometry *g = &impl(w)->geo;
    for (int i = 0; i < TT_STATE_VECTOR_LENGTH; i++) out[i] = 0.0f;
    int n = s->n_objects < 0 ? 0
            : s->n_objects > PAN_WORLD_MAX_OBJECTS ? PAN_WORLD_MAX_OBJECTS
                                                   : s->n_objects;
    for (int i = 0; i < n; i++) {
        const pan_object_state *o = &s->objects[i];
        if (!o->visible || o->colour < 0 || o->colour >= PAN_COLOUR_COUNT ||
            o->shape < 0 || o->shape >= PAN_SHAPE_COUNT)
            continue;
        float *v = out + 4 * (o->colour * PAN_SHAPE_COUNT + o->shape);
        v[0] = 1.0f;
        v[1] = o->x / (float)g->width;
        v[2] = o->y / (float)g->height;
        v[3] = o->size / g->cell;
    }
    out[TT_PAIRS * 4] = s->brightness;
    return TT_STATE_VECTOR_LENGTH;
}

const pan_world_vtable pan_tabletop_vtable = {
    .name = "tabletop",
    .create = tt_create,
    .destroy = tt_destroy,
    .reset = tt_reset,
    .parse = tt_parse_vt,
    .apply = tt_apply,
    .render = tt_render_vt,
    .get_state = tt_get_state,
    .set_state = tt_set_state,
    .sample_action = tt_sample_vt,
    .detect = tt_detect_vt,
    .state_vector = tt_state_vector,
};
