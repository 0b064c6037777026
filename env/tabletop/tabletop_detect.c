/* env/tabletop/tabletop_detect.c: reads tabletop objects back from a frame
 * (a rendered one or a model's prediction) by colour segmentation.
 *
 * 1. Brightness: the most common colour of the table's interior (a 16-level
 *    per channel histogram; its fullest bin is the table) divided by the
 *    table's base colour. Below TT_DETECT_MIN nothing is detected.
 * 2. Every interior pixel takes the nearest of the 7 base colours (table and
 *    the 6 object colours) scaled by that brightness.
 * 3. 4-connected components of each object colour; components smaller than
 *    half a default object's half-extent squared are noise.
 * 4. Shape: a triangle's centroid lies below its bounding-box centre (by
 *    1/6 of the height); otherwise a square fills its bounding box's corner
 *    pixels and a circle does not (fill ratio breaks a 2-2 tie).
 * 5. Centre: the centroid (a triangle's centroid is s/3 below its centre);
 *    size: half the bounding box (a triangle: half its base).
 * Overlaps (never in the true world, possible in predictions): different
 *    colours are segmented separately, so a partly hidden object is
 *    reported from its visible part; touching or overlapping objects of one
 *    colour form one component and are reported as ONE object at the
 *    centroid of their union. At most PAN_WORLD_MAX_OBJECTS objects are
 *    reported (the largest), in raster order of their first pixel. */
#include <string.h>

#include "env/tabletop/tabletop.h"

#define TT_MAX_COMPONENTS 64

typedef struct tt_blob {
    int colour, area, first;
    int min_x, max_x, min_y, max_y;
    int64_t sum_x, sum_y;
    int corners;
} tt_blob;

static float estimate_brightness(const tt_geometry *g, const uint8_t *frame,
                                 int xa, int xb, int ya, int yb) {
    static const int bins = 16 * 16 * 16;
    int hist[16 * 16 * 16];
    memset(hist, 0, sizeof hist);
    const size_t row = (size_t)g->width * 3;
    for (int y = ya; y < yb; y++) {
        const uint8_t *p = frame + (size_t)y * row;
        for (int x = xa; x < xb; x++)
            hist[(p[3 * x] >> 4) << 8 | (p[3 * x + 1] >> 4) << 4 | p[3 * x + 2] >> 4]++;
    }
    int best = 0;
    for (int k = 1; k < bins; k++)
        if (hist[k] > hist[best]) best = k;
    int64_t sum = 0, count = 0;
    for (int y = ya; y < yb; y++) {
        const uint8_t *p = frame + (size_t)y * row;
        for (int x = xa; x < xb; x++) {
            int k = (p[3 * x] >> 4) << 8 | (p[3 * x + 1] >> 4) << 4 | p[3 * x + 2] >> 4;
            if (k != best) continue;
            sum += p[3 * x] + p[3 * x + 1] + p[3 * x + 2];
            count++;
        }
    }
    const uint8_t *t = tt_palette[TT_PALETTE_TABLE];
    if (count == 0) return 0.0f;
    return (float)sum / ((float)count * (float)(t[0] + t[1] + t[2]));
}

static void classify(const tt_geometry *g, const uint8_t *frame, float b,
                     uint8_t *classes, int xa, int xb, int ya, int yb) {
    /* class 0: table (and rim), 1 + c: object colour c */
    int pal[1 + PAN_COLOUR_COUNT][3];
    for (int ch = 0; ch < 3; ch++) {
        pal[0][ch] = (int)((float)tt_palette[TT_PALETTE_TABLE][ch] * b + 0.5f);
        for (int c = 0; c < PAN_COLOUR_COUNT; c++)
            pal[1 + c][ch] = (int)((float)tt_palette[c][ch] * b + 0.5f);
    }
    const int w = g->width;
    memset(classes, 0, (size_t)w * (size_t)g->height);
    for (int y = ya; y < yb; y++) {
        const uint8_t *p = frame + (size_t)y * (size_t)w * 3;
        for (int x = xa; x < xb; x++) {
            int best = 0, best_d = -1;
            for (int c = 0; c <= PAN_COLOUR_COUNT; c++) {
                int d0 = p[3 * x] - pal[c][0], d1 = p[3 * x + 1] - pal[c][1],
                    d2 = p[3 * x + 2] - pal[c][2];
                int d = d0 * d0 + d1 * d1 + d2 * d2;
                if (best_d < 0 || d < best_d) best_d = d, best = c;
            }
            classes[(size_t)y * (size_t)w + (size_t)x] = (uint8_t)best;
        }
    }
}

/* Flood-fills the component of pixel `start` with label `label`. */
static void fill(const tt_world *tt, int start, int label, tt_blob *blob) {
    const int w = tt->geo.width, h = tt->geo.height;
    const uint8_t cls = tt->classes[start];
    int top = 0;
    tt->stack[top++] = start;
    tt->labels[start] = label;
    *blob = (tt_blob){.colour = cls - 1, .first = start, .min_x = w,
                      .max_x = -1, .min_y = h, .max_y = -1};
    while (top > 0) {
        int i = tt->stack[--top];
        int x = i % w, y = i / w;
        blob->area++;
        blob->sum_x += x;
        blob->sum_y += y;
        if (x < blob->min_x) blob->min_x = x;
        if (x > blob->max_x) blob->max_x = x;
        if (y < blob->min_y) blob->min_y = y;
        if (y > blob->max_y) blob->max_y = y;
        int next[4] = {x > 0 ? i - 1 : -1, x < w - 1 ? i + 1 : -1,
                       y > 0 ? i - w : -1, y < h - 1 ? i + w : -1};
        for (int k = 0; k < 4; k++) {
            int j = next[k];
            if (j < 0 || tt->labels[j] || tt->classes[j] != cls) continue;
            tt->labels[j] = label;
            tt->stack[top++] = j;
        }
    }
    int corners[4][2] = {{blob->min_x, blob->min_y}, {blob->max_x, blob->min_y},
                         {blob->min_x, blob->max_y}, {blob->max_x, blob->max_y}};
    for (int k = 0; k < 4; k++)
        blob->corners += tt->labels[corners[k][1] * w + corners[k][0]] == label;
}

static pan_object_state describe(const tt_blob *b) {
    float area = (float)b->area;
    float w = (float)(b->max_x - b->min_x + 1), h = (float)(b->max_y - b->min_y + 1);
    float mx = (float)b->sum_x / area + 0.5f, my = (float)b->sum_y / area + 0.5f;
    float box_cy = (float)(b->min_y + b->max_y + 1) * 0.5f;
    float asym = (my - box_cy) / h;
    pan_object_state o = {.colour = b->colour, .visible = true};
    if (asym > 0.06f) {
        o.shape = PAN_SHAPE_TRIANGLE;
        o.size = w * 0.5f;
        o.x = mx;
        o.y = my - o.size / 3.0f;
        return o;
    }
    if (b->corners >= 3) o.shape = PAN_SHAPE_SQUARE;
    else if (b->corners <= 1) o.shape = PAN_SHAPE_CIRCLE;
    else o.shape = area / (w * h) >= 0.9f ? PAN_SHAPE_SQUARE : PAN_SHAPE_CIRCLE;
    o.size = (w + h) * 0.25f;
    o.x = mx;
    o.y = my;
    return o;
}

void tt_detect(const tt_world *tt, const uint8_t *frame, pan_world_state *det) {
    const tt_geometry *g = &tt->geo;
    const int w = g->width, h = g->height, rim = (int)g->rim;
    const int xa = rim, xb = w - rim, ya = rim, yb = h - rim;
    det->n_objects = 0;
    float b = estimate_brightness(g, frame, xa, xb, ya, yb);
    det->brightness = b;
    if (b < TT_DETECT_MIN) return;
    classify(g, frame, b, tt->classes, xa, xb, ya, yb);
    memset(tt->labels, 0, (size_t)w * (size_t)h * sizeof *tt->labels);
    tt_blob blobs[TT_MAX_COMPONENTS];
    int n = 0, label = 0;
    const int min_area = (int)(g->size * g->size * 0.5f);
    for (int y = ya; y < yb; y++)
        for (int x = xa; x < xb; x++) {
            int i = y * w + x;
            if (!tt->classes[i] || tt->labels[i]) continue;
            tt_blob blob;
            fill(tt, i, ++label, &blob);
            if (blob.area < min_area) continue;
            if (n < TT_MAX_COMPONENTS) {
                blobs[n++] = blob;
            } else { /* replace the smallest kept one if this is larger */
                int s = 0;
                for (int k = 1; k < n; k++)
                    if (blobs[k].area < blobs[s].area) s = k;
                if (blob.area > blobs[s].area) blobs[s] = blob;
            }
        }
    /* keep the PAN_WORLD_MAX_OBJECTS largest, then raster order */
    while (n > PAN_WORLD_MAX_OBJECTS) {
        int s = 0;
        for (int k = 1; k < n; k++)
            if (blobs[k].area < blobs[s].area) s = k;
        blobs[s] = blobs[--n];
    }
    for (int i = 1; i < n; i++)
        for (int k = i; k > 0 && blobs[k].first < blobs[k - 1].first; k--) {
            tt_blob t = blobs[k];
            blobs[k] = blobs[k - 1], blobs[k - 1] = t;
        }
    for (int i = 0; i < n; i++) det->objects[i] = describe(&blobs[i]);
    det->n_objects = n;
}
