/* env/tabletop/tabletop_render.c: draws a tabletop state into one frame.
 *
 * A pixel belongs to an object when its centre (i + 0.5, j + 0.5) lies
 * inside the shape (no anti-aliasing, so colours stay exact and the detector
 * can segment them). Shapes, with (dx, dy) the pixel centre minus the
 * object's centre and s its half-extent:
 *   square    -s <= dx < s and -s <= dy < s
 *   circle    dx*dx + dy*dy < s*s
 *   triangle  -s <= dy < s and 2|dx| < dy + s  (apex up, base at the bottom)
 * Brightness scales every colour: channel = (uint8)(c * brightness + 0.5).
 * Objects are drawn in slot order (the true world never overlaps them). */
#include <string.h>

#include "env/tabletop/tabletop.h"

const uint8_t tt_palette[PAN_COLOUR_COUNT + 2][3] = {
    {214, 48, 48},   /* red */
    {48, 168, 72},   /* green */
    {44, 92, 216},   /* blue */
    {236, 208, 40},  /* yellow */
    {148, 64, 184},  /* purple */
    {244, 132, 28},  /* orange */
    {184, 172, 156}, /* table */
    {96, 70, 52},    /* rim */
};

bool tt_shape_contains(int shape, float size, float dx, float dy) {
    switch (shape) {
    case PAN_SHAPE_SQUARE:
        return dx >= -size && dx < size && dy >= -size && dy < size;
    case PAN_SHAPE_CIRCLE:
        return dx * dx + dy * dy < size * size;
    default: {
        float adx = dx < 0.0f ? -dx : dx;
        return dy >= -size && dy < size && 2.0f * adx < dy + size;
    }
    }
}

static int floor_clamp(float v, int lo, int hi) {
    int i = (int)v;
    if ((float)i > v) i--; /* floor for negatives */
    return i < lo ? lo : i > hi ? hi : i;
}

void tt_render_state(const tt_geometry *g, const pan_world_state *s,
                     uint8_t *frame) {
    const int w = g->width, h = g->height, rim = (int)g->rim;
    float b = s->brightness;
    uint8_t pal[PAN_COLOUR_COUNT + 2][3];
    for (int c = 0; c < PAN_COLOUR_COUNT + 2; c++)
        for (int ch = 0; ch < 3; ch++)
            pal[c][ch] = (uint8_t)((float)tt_palette[c][ch] * b + 0.5f);
    const size_t row = (size_t)w * 3;

    /* row 0: all rim; row `rim`: rim | table | rim; copy them down */
    uint8_t *rim_row = frame;
    for (int x = 0; x < w; x++) memcpy(rim_row + 3 * x, pal[TT_PALETTE_RIM], 3);
    uint8_t *table_row = frame + (size_t)rim * row;
    memcpy(table_row, rim_row, row);
    for (int x = rim; x < w - rim; x++)
        memcpy(table_row + 3 * x, pal[TT_PALETTE_TABLE], 3);
    for (int y = 1; y < rim; y++) memcpy(frame + (size_t)y * row, rim_row, row);
    for (int y = rim + 1; y < h - rim; y++)
        memcpy(frame + (size_t)y * row, table_row, row);
    for (int y = h - rim; y < h; y++)
        memcpy(frame + (size_t)y * row, rim_row, row);

    for (int i = 0; i < s->n_objects; i++) {
        const pan_object_state *o = &s->objects[i];
        if (!o->visible) continue;
        const uint8_t *c = pal[o->colour];
        int xa = floor_clamp(o->x - o->size, 0, w);
        int xb = floor_clamp(o->x + o->size, -1, w - 1);
        int ya = floor_clamp(o->y - o->size, 0, h);
        int yb = floor_clamp(o->y + o->size, -1, h - 1);
        for (int y = ya; y <= yb; y++) {
            float dy = (float)y + 0.5f - o->y;
            uint8_t *p = frame + (size_t)y * row;
            for (int x = xa; x <= xb; x++) {
                float dx = (float)x + 0.5f - o->x;
                if (tt_shape_contains(o->shape, o->size, dx, dy)) {
                    p[3 * x] = c[0];
                    p[3 * x + 1] = c[1];
                    p[3 * x + 2] = c[2];
                }
            }
        }
    }
}
