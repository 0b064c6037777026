/* tests/worlds/test_tabletop_util.h: helpers the tabletop suites share:
 * making a world, building states object by object, comparing states.
 * Everything is static inline; include after tests/test_util.h. */
#ifndef PAN_TESTS_WORLDS_TEST_TABLETOP_UTIL_H
#define PAN_TESTS_WORLDS_TEST_TABLETOP_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "env/tabletop/tabletop.h"
#include "env/world.h"
#include "tests/test_util.h"

/* A tabletop world of w x h pixels and K frames per step, reset with seed
 * 1; NULL (and a failed check) if creation fails. */
static inline pan_world *tt_test_world(int w, int h, int k) {
    pan_world_config c = {.width = w, .height = h, .frames_per_step = k};
    pan_world *world = NULL;
    CHECK_STATUS(pan_world_create("tabletop", &c, &world), PAN_OK);
    if (!world) return NULL;
    uint8_t *frame = malloc((size_t)w * (size_t)h * 3);
    CHECK_STATUS(pan_world_reset(world, 1, frame), PAN_OK);
    free(frame);
    return world;
}

/* An empty, fully lit state. */
static inline pan_world_state tt_test_empty(void) {
    pan_world_state s;
    memset(&s, 0, sizeof s);
    s.brightness = 1.0f;
    return s;
}

/* Appends a visible object of half-extent `size`. */
static inline void tt_test_put(pan_world_state *s, int colour, int shape,
                               float x, float y, float size) {
    pan_object_state *o = &s->objects[s->n_objects++];
    memset(o, 0, sizeof *o);
    o->colour = colour;
    o->shape = shape;
    o->x = x;
    o->y = y;
    o->size = size;
    o->visible = true;
}

/* Index of the visible object (colour, shape) in s, or -1. */
static inline int tt_test_find(const pan_world_state *s, int colour,
                               int shape) {
    for (int i = 0; i < s->n_objects; i++)
        if (s->objects[i].visible && s->objects[i].colour == colour &&
            s->objects[i].shape == shape)
            return i;
    return -1;
}

/* Field-by-field equality (padding bytes are ignored). */
static inline int tt_test_same_state(const pan_world_state *a,
                                     const pan_world_state *b) {
    if (a->n_objects != b->n_objects || a->brightness != b->brightness ||
        a->seed != b->seed || a->rng != b->rng || a->steps != b->steps)
        return 0;
    for (int i = 0; i < a->n_objects; i++) {
        const pan_object_state *p = &a->objects[i], *q = &b->objects[i];
        if (p->colour != q->colour || p->shape != q->shape || p->x != q->x ||
            p->y != q->y || p->size != q->size || p->visible != q->visible)
            return 0;
    }
    return 1;
}

/* Bounding squares of all visible objects keep TT_GAP - TT_EPS apart and lie
 * inside the table of geometry g. */
static inline int tt_test_valid_layout(const tt_geometry *g,
                                       const pan_world_state *s) {
    for (int i = 0; i < s->n_objects; i++) {
        const pan_object_state *o = &s->objects[i];
        if (!o->visible) continue;
        if (!tt_inside_table(g, o->x, o->y, o->size)) return 0;
        for (int j = 0; j < i; j++) {
            const pan_object_state *p = &s->objects[j];
            if (!p->visible) continue;
            float e = o->size + p->size + TT_GAP - TT_EPS;
            float dx = o->x - p->x, dy = o->y - p->y;
            if (dx < e && -dx < e && dy < e && -dy < e) return 0;
        }
    }
    return 1;
}

#endif
