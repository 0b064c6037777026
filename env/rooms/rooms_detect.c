/* env/rooms/rooms_detect.c: reads the visible landmarks back from a frame
 * (rendered, or predicted: noisy, blurred, colour-shifted).
 *
 * Rules (docs/worlds.md):
 * - A pixel belongs to landmark colour c when c is its nearest palette
 *   colour and the squared RGB distance is below DETECT_MAX_DIST2 (floors,
 *   walls, doors and the black outside are all far from the palette).
 * - Blobs are 4-connected components of one colour. Blobs smaller than
 *   DETECT_MIN_AREA pixels are noise. Landmarks never overlap (one per
 *   room).
 * - Each blob is fitted with a landmark footprint: the shape (square,
 *   circle, triangle: rooms_shape_covers) and 12x12 top-left pixel, within
 *   1 px of the one centring it on the blob's bounding box, whose mask
 *   differs from the blob in the fewest pixels of the footprint grown by 1
 *   px (ties: that order of shapes, the centred corner, then left, right,
 *   up, down, diagonals). A blur or speckle that frays the blob's edge
 *   moves neither its shape nor its centre.
 * - A fitted footprint that does not lie inside the frame with a 1-pixel
 *   margin is partially visible and not reported (the true state's
 *   `visible` means exactly that, so both sides agree).
 * - Centre = the footprint's centre in continuous frame pixels (pixel j
 *   spans [j, j+1)); size = half the larger bounding-box side.
 * - Camera estimate: each reported blob whose (colour, shape) is a landmark
 *   of the world's current map gives camera = landmark centre - (centre -
 *   W/2) / ROOMS_CELL_PX per axis; the mean is reported in camera_x/y
 *   (cells), or -1 when no blob matched. heading is -1 (not visible);
 *   brightness is 1 (rooms have no lighting).
 * Raster order, integer arithmetic: deterministic. Uses the world's scratch
 * buffers (no allocation).
 */
#include <string.h>

#include "env/rooms/rooms.h"

#define DETECT_MAX_DIST2 3600 /* 60^2 */
#define DETECT_MIN_AREA 16
#define FIT_SIDE (ROOMS_LANDMARK_PX + 2) /* the footprint grown by 1 px */

_Static_assert(FIT_SIDE <= 16, "a fitted row must fit 16 bits");

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
} blob;

/* Marks the blob of pixel `start` with `mark` (<= -2: visited). */
static void flood(int32_t *labels, int32_t *stack, int width, int height,
                  int start, int32_t mark, blob *b) {
    int colour = labels[start];
    int top = 0;
    stack[top++] = start;
    labels[start] = mark;
    *b = (blob){colour, 0, width, height, -1, -1};
    while (top > 0) {
        int i = stack[--top];
        int x = i % width, y = i / width;
        b->area++;
        if (x < b->x0) b->x0 = x;
        if (x > b->x1) b->x1 = x;
        if (y < b->y0) b->y0 = y;
        if (y > b->y1) b->y1 = y;
        int neighbours[4] = {x > 0 ? i - 1 : -1, x < width - 1 ? i + 1 : -1,
                             y > 0 ? i - width : -1,
                             y < height - 1 ? i + width : -1};
        for (int k = 0; k < 4; k++) {
            int n = neighbours[k];
            if (n >= 0 && labels[n] == colour) {
                labels[n] = mark;
                stack[top++] = n; /* each pixel is pushed at most once */
            }
        }
    }
}

static int bits_set(uint32_t v) {
    int n = 0;
    for (; v; v &= v - 1) n++;
    return n;
}

/* Fits blob b (pixels marked `mark`): writes the footprint's top-left
 * pixel and returns its shape. masks[s][j]: row j of shape s, bit i =
 * column i. */
static int fit_footprint(const int32_t *labels, int width, int height,
                         int32_t mark, const blob *b,
                         const uint16_t masks[PAN_SHAPE_COUNT][ROOMS_LANDMARK_PX],
                         int *left, int *top) {
    const int n = ROOMS_LANDMARK_PX;
    /* the centred corner: 2 * left = x0 + x1 + 1 - n, rounded down */
    const int l0 = (b->x0 + b->x1 + 1 - n) >> 1, t0 = (b->y0 + b->y1 + 1 - n) >> 1;
    /* the blob over [l0 - 2, l0 + n + 1] x [t0 - 2, t0 + n + 1], bit i of
     * row j = pixel (l0 - 2 + i, t0 - 2 + j) */
    uint32_t rows[FIT_SIDE + 2];
    for (int j = 0; j < FIT_SIDE + 2; j++) {
        rows[j] = 0;
        int y = t0 - 2 + j;
        if (y < 0 || y >= height) continue;
        for (int i = 0; i < FIT_SIDE + 2; i++) {
            int x = l0 - 2 + i;
            if (x >= 0 && x < width && labels[y * width + x] == mark) rows[j] |= 1u << i;
        }
    }
    static const int order[9][2] = {{0, 0}, {-1, 0}, {1, 0}, {0, -1}, {0, 1},
                                    {-1, -1}, {1, -1}, {-1, 1}, {1, 1}};
    int best = -1, best_shape = PAN_SHAPE_SQUARE;
    *left = l0, *top = t0;
    for (int k = 0; k < 9; k++) {
        /* footprint at (l0 + ox, t0 + oy): grown window starts at bit / row
         * 1 + ox / 1 + oy of `rows` */
        int ox = order[k][0], oy = order[k][1];
        for (int s = 0; s < PAN_SHAPE_COUNT; s++) {
            int miss = 0;
            for (int j = 0; j < FIT_SIDE; j++) {
                uint32_t blob_row = (rows[1 + oy + j] >> (1 + ox)) & ((1u << FIT_SIDE) - 1);
                uint32_t mask_row = j >= 1 && j <= n ? (uint32_t)masks[s][j - 1] << 1 : 0;
                miss += bits_set(blob_row ^ mask_row);
            }
            if (best < 0 || miss < best)
                best = miss, best_shape = s, *left = l0 + ox, *top = t0 + oy;
        }
    }
    return best_shape;
}

void rooms_detect(const pan_world *w, const uint8_t *frame,
                  pan_world_state *detected) {
    const rooms_world *rw = w->impl;
    int width = w->config.width, height = w->config.height;
    int32_t *labels = rw->labels; /* (H, W) colour id, -1 none, <= -2 done */
    int32_t *stack = rw->stack;   /* (H * W) */
    int pixels = width * height;
    for (int i = 0; i < pixels; i++) labels[i] = classify(frame + 3 * i);
    uint16_t masks[PAN_SHAPE_COUNT][ROOMS_LANDMARK_PX];
    for (int s = 0; s < PAN_SHAPE_COUNT; s++)
        for (int j = 0; j < ROOMS_LANDMARK_PX; j++) {
            masks[s][j] = 0;
            for (int i = 0; i < ROOMS_LANDMARK_PX; i++)
                if (rooms_shape_covers(s, i, j)) masks[s][j] |= (uint16_t)(1u << i);
        }

    double cam_x = 0.0, cam_y = 0.0;
    int matched = 0, n = 0;
    int32_t mark = -2;
    for (int i = 0; i < pixels; i++) {
        if (labels[i] < 0) continue;
        blob b;
        flood(labels, stack, width, height, i, mark, &b);
        int32_t this_mark = mark--;
        if (b.area < DETECT_MIN_AREA || n == PAN_WORLD_MAX_OBJECTS) continue;
        int left, top;
        int shape = fit_footprint(labels, width, height, this_mark, &b,
                                  (const uint16_t(*)[ROOMS_LANDMARK_PX])masks,
                                  &left, &top);
        if (left < 1 || top < 1 || left + ROOMS_LANDMARK_PX > width - 1 ||
            top + ROOMS_LANDMARK_PX > height - 1)
            continue; /* partially visible */
        int bw = b.x1 - b.x0 + 1, bh = b.y1 - b.y0 + 1;
        pan_object_state *o = &detected->objects[n++];
        o->colour = b.colour;
        o->shape = shape;
        o->x = (float)left + ROOMS_LANDMARK_PX * 0.5f;
        o->y = (float)top + ROOMS_LANDMARK_PX * 0.5f;
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
