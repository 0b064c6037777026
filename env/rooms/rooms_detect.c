/* env/rooms/rooms_detect.c: reads the visible landmarks back from a frame.
 *
 * Rules (docs/worlds.md):
 * - A pixel belongs to landmark colour c when c is its nearest palette
 *   colour and the squared RGB distance is below DETECT_MAX_DIST2 (floors,
 *   walls, doors and the black outside are all far from the palette).
 * - Blobs are 4-connected components of one colour. Blobs smaller than
 *   DETECT_MIN_AREA pixels are noise; blobs touching the frame edge are
 *   partially visible and not reported (the true state's `visible` means
 *   "the 12x12 footprint lies inside the frame with a 1-pixel margin", so
 *   both sides agree). Landmarks never overlap (one per room).
 * - Centre = centre of the bounding box in continuous frame pixels (pixel j
 *   spans [j, j+1)); size = half the larger bounding-box side; shape from
 *   the fill ratio area / bbox area: >= 0.9 square, >= 0.68 circle, else
 *   triangle (clean values 1.0, 0.78, 0.58).
 * - Camera estimate: each reported blob whose (colour, shape) is a landmark
 *   of the world's current map gives camera = landmark centre - (centre -
 *   W/2) / ROOMS_CELL_PX per axis; the mean is reported in camera_x/y
 *   (cells), or -1 when no blob matched. heading is -1 (not visible);
 *   brightness is 1 (rooms have no lighting).
 * Raster order, fixed arithmetic: deterministic. Uses the world's scratch
 * buffers (no allocation).
 */
#include <string.h>

#include "env/rooms/rooms.h"

#define DETECT_MAX_DIST2 3600 /* 60^2 */
#define DETECT_MIN_AREA 16

static int classify(const uint8_t *p) {
    int best = -1, best_d = DETECT_MAX_DIST2;
    for (int c = 0; c < PAN_COLOUR_COUNT; c++) {
        int dr = p[0] - rooms_palette[c][0];
        int dg = p[1] - rooms_palette[c][1];
        int db = p[2] - rooms_palette[c][2];
        int d = dr * dr + dg * dg + db * db;
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    return best;
}

typedef struct blob {
    int colour, area, x0, y0, x1, y1; /* bbox inclusive */
    bool edge;
} blob;

static void flood(int32_t *labels, int32_t *stack, int width, int height,
                  int start, blob *b) {
    int colour = labels[start];
    int top = 0;
    stack[top++] = start;
    labels[start] = -2; /* visited */
    *b = (blob){colour, 0, width, height, -1, -1, false};
    while (top > 0) {
        int i = stack[--top];
        int x = i % width, y = i / width;
        b->area++;
        if (x < b->x0) b->x0 = x;
        if (x > b->x1) b->x1 = x;
        if (y < b->y0) b->y0 = y;
        if (y > b->y1) b->y1 = y;
        if (x == 0 || y == 0 || x == width - 1 || y == height - 1)
            b->edge = true;
        int neighbours[4] = {x > 0 ? i - 1 : -1, x < width - 1 ? i + 1 : -1,
                             y > 0 ? i - width : -1,
                             y < height - 1 ? i + width : -1};
        for (int k = 0; k < 4; k++) {
            int n = neighbours[k];
            if (n >= 0 && labels[n] == colour) {
                labels[n] = -2;
                stack[top++] = n; /* each pixel is pushed at most once */
            }
        }
    }
}

void rooms_detect(const pan_world *w, const uint8_t *frame,
                  pan_world_state *detected) {
    const rooms_world *rw = w->impl;
    int width = w->config.width, height = w->config.height;
    int32_t *labels = rw->labels; /* (H, W) colour id, -1 none, -2 done */
    int32_t *stack = rw->stack;   /* (H * W) */
    int pixels = width * height;
    for (int i = 0; i < pixels; i++) labels[i] = classify(frame + 3 * i);

    double cam_x = 0.0, cam_y = 0.0;
    int matched = 0, n = 0;
    for (int i = 0; i < pixels; i++) {
        if (labels[i] < 0) continue;
        blob b;
        flood(labels, stack, width, height, i, &b);
        if (b.area < DETECT_MIN_AREA || b.edge ||
            n == PAN_WORLD_MAX_OBJECTS)
            continue;
        int bw = b.x1 - b.x0 + 1, bh = b.y1 - b.y0 + 1;
        int box = bw * bh;
        /* fill >= 0.9 / 0.68 in integers: 100 * area vs 90 / 68 * box */
        int shape = 100 * b.area >= 90 * box   ? PAN_SHAPE_SQUARE
                    : 100 * b.area >= 68 * box ? PAN_SHAPE_CIRCLE
                                               : PAN_SHAPE_TRIANGLE;
        pan_object_state *o = &detected->objects[n++];
        o->colour = b.colour;
        o->shape = shape;
        o->x = (float)(b.x0 + b.x1 + 1) * 0.5f;
        o->y = (float)(b.y0 + b.y1 + 1) * 0.5f;
        o->size = (float)(bw > bh ? bw : bh) * 0.5f;
        o->visible = true;
        for (int k = 0; k < rw->map.n_landmarks; k++) {
            const rooms_landmark *l = &rw->map.landmarks[k];
            if (l->colour != o->colour || l->shape != o->shape) continue;
            double half = ROOMS_LANDMARK_CELLS / 2.0;
            cam_x += l->x0 + half - (o->x - width / 2) / (double)ROOMS_CELL_PX;
            cam_y += l->y0 + half - (o->y - height / 2) / (double)ROOMS_CELL_PX;
            matched++;
        }
    }
    detected->n_objects = n;
    detected->brightness = 1.0f;
    detected->heading = -1;
    detected->camera_x = matched ? (float)(cam_x / matched) : -1.0f;
    detected->camera_y = matched ? (float)(cam_y / matched) : -1.0f;
}
