/* env/tabletop/tabletop_detect.c: reads tabletop objects back from a frame
 * (a rendered one or a model's prediction, noisy, blurred, colour-shifted)
 * by colour segmentation and template fitting (docs/worlds.md, Detector).
 *
 * 1. Table: the mean colour of the fullest bin of a 16-level-per-channel
 *    histogram of the interior, refined twice as the mean of the interior
 *    pixels within TABLE_WINDOW levels of it (every channel); brightness =
 *    its sum over the base table colour's sum; the variance of those pixels
 *    is the frame's noise. Below TT_DETECT_MIN nothing is detected.
 * 2. Colours: each object colour is its base colour scaled per channel by
 *    table / base table. A colour t is explained as a mix table + a (C -
 *    table); its share of C is a. A pixel's colour is the pixel itself when
 *    it is unambiguous (nearer one base colour than half the distance to
 *    any other), else the per-channel median of it and its 4 neighbours,
 *    else (for segmentation only) the mean of its 3x3 neighbourhood (both
 *    inside the interior).
 * 3. Segmentation: an unambiguous colour takes its base colour's class;
 *    otherwise a pixel takes object colour C when its share of C is at
 *    least 1/2 and the rest of its colour is within half of C's contrast to
 *    the table (the best such C), else it is table. 4-connected components
 *    of one colour under size^2 / 2 pixels are noise.
 * 4. Gaps: same-colour objects 1 px apart merge once the gap is blurred; a
 *    component is cut along a column (or row) whose raw shares, over the
 *    rows where the component lies 2 px to both sides, average below
 *    GAP_MID and at least GAP_DEPTH (and GAP_Z noise standard errors, or
 *    GAP_Z_SINGLE when the component is no larger than 1.1 default-size
 *    squares) below the shares 2-3 px to either side, leaving two parts of
 *    at least size^2 pixels. Parts are cut again the same way.
 * 5. Description, over the component's bounding box (end rows and columns
 *    holding one pixel dropped): the shares of its colour (pixels of other
 *    objects' components count 0); centre = their centroid; shape = the
 *    square, circle or triangle (apex up) template about that centroid, of
 *    the shares' area or of the default size, nearest the shares in squared
 *    error; a triangle's centre is s / 3 above the centroid (s = its
 *    half-extent). size = a quarter of the box's width + height (a
 *    triangle: half its width).
 * At most PAN_WORLD_MAX_OBJECTS objects (the largest), in raster order of
 * their first pixel. Clean frames give exact palette colours, so every
 * pixel is unambiguous and every share 0 or 1. Float arithmetic in a fixed
 * order, no libm: deterministic. Uses the world's scratch buffers. */
#include <string.h>

#include "env/tabletop/tabletop.h"

#define MAX_COMPONENTS 64
#define MAX_REGIONS 96
#define TABLE_WINDOW 16   /* levels around the table colour estimate */
#define MIN_SHARE 0.5f    /* a pixel's share of its object colour */
#define MAX_REST 0.25f    /* rest of its colour, over the contrast squared */
#define GAP_MID 0.7f      /* a gap's mean share is below this */
#define GAP_DEPTH 0.25f   /* ... and below both sides' by this */
#define GAP_Z 2.5f        /* ... and by this many standard errors */
#define GAP_Z_SINGLE 5.0f /* ... when the component may be one object */
#define PAIR_AREA 1.1f    /* default-size squares a single object may fill */

typedef struct tt_colours {
    float table[3];
    float dir[PAN_COLOUR_COUNT][3]; /* object colour - table */
    float len2[PAN_COLOUR_COUNT];   /* |dir|^2 */
    float inv2[PAN_COLOUR_COUNT];   /* 1 / |dir|^2 */
    float clear2;  /* |t|^2 below this: unambiguously table */
    float noise2;  /* per-channel noise variance */
} tt_colours;

typedef struct tt_box {
    int xa, xb, ya, yb; /* the interior [xa, xb) x [ya, yb) */
} tt_box;

/* A component, or a part of one cut along gaps: the pixels labelled
 * `label` inside [x0, x1] x [y0, y1]. */
typedef struct tt_region {
    int label, colour;
    int x0, x1, y0, y1;
} tt_region;

typedef struct tt_blob {
    int colour, area, first;
    int min_x, max_x, min_y, max_y; /* box without single-pixel ends */
    int64_t sum_x, sum_y;
} tt_blob;

static int hist_key(const uint8_t *p) {
    return (p[0] >> 4) << 8 | (p[1] >> 4) << 4 | p[2] >> 4;
}

/* Step 1: writes the table colour m and the per-channel noise variance;
 * returns the brightness (0 for an empty interior). */
static float estimate_table(const tt_geometry *g, const uint8_t *frame,
                            const tt_box *bx, float m[3], float *noise2) {
    int hist[16 * 16 * 16];
    memset(hist, 0, sizeof hist);
    const size_t row = (size_t)g->width * 3;
    int best = 0; /* the fullest bin, the first in raster order on ties */
    for (int y = bx->ya; y < bx->yb; y++) {
        const uint8_t *p = frame + (size_t)y * row;
        for (int x = bx->xa; x < bx->xb; x++) {
            int key = hist_key(p + 3 * x);
            if (++hist[key] > hist[best] || (hist[key] == hist[best] && key < best))
                best = key;
        }
    }
    int64_t sum[3] = {0, 0, 0}, sq = 0, count = 0;
    for (int y = bx->ya; y < bx->yb; y++) {
        const uint8_t *p = frame + (size_t)y * row;
        for (int x = bx->xa; x < bx->xb; x++) {
            const uint8_t *q = p + 3 * x;
            if (hist_key(q) != best) continue;
            sum[0] += q[0], sum[1] += q[1], sum[2] += q[2];
            sq += q[0] * q[0] + q[1] * q[1] + q[2] * q[2];
            count++;
        }
    }
    if (count == 0) return 0.0f;
    int64_t spread = sq * count - sum[0] * sum[0] - sum[1] * sum[1] - sum[2] * sum[2];
    for (int iter = 0; iter < 2 && spread != 0; iter++) {
        int centre[3];
        for (int c = 0; c < 3; c++) centre[c] = (int)((sum[c] + count / 2) / count);
        int64_t s[3] = {0, 0, 0}, s2 = 0, n = 0;
        for (int y = bx->ya; y < bx->yb; y++) {
            const uint8_t *p = frame + (size_t)y * row;
            for (int x = bx->xa; x < bx->xb; x++) {
                const uint8_t *q = p + 3 * x;
                int d0 = q[0] - centre[0], d1 = q[1] - centre[1], d2 = q[2] - centre[2];
                if (d0 > TABLE_WINDOW || d0 < -TABLE_WINDOW || d1 > TABLE_WINDOW ||
                    d1 < -TABLE_WINDOW || d2 > TABLE_WINDOW || d2 < -TABLE_WINDOW)
                    continue;
                s[0] += q[0], s[1] += q[1], s[2] += q[2], n++;
                s2 += q[0] * q[0] + q[1] * q[1] + q[2] * q[2];
            }
        }
        if (n == 0) break;
        for (int c = 0; c < 3; c++) sum[c] = s[c];
        sq = s2, count = n;
    }
    double var = (double)sq / (double)count;
    for (int c = 0; c < 3; c++) {
        m[c] = (float)sum[c] / (float)count;
        var -= (double)m[c] * (double)m[c];
    }
    *noise2 = var > 0.0 ? (float)(var / 3.0) : 0.0f;
    const uint8_t *t = tt_palette[TT_PALETTE_TABLE];
    return (m[0] + m[1] + m[2]) / (float)(t[0] + t[1] + t[2]);
}

static void make_colours(const float m[3], float noise2, tt_colours *k) {
    float min2 = 3.0e38f;
    for (int c = 0; c < 3; c++) k->table[c] = m[c];
    for (int i = 0; i < PAN_COLOUR_COUNT; i++) {
        float len2 = 0.0f;
        for (int c = 0; c < 3; c++) {
            float scale = m[c] / (float)tt_palette[TT_PALETTE_TABLE][c];
            k->dir[i][c] = (float)tt_palette[i][c] * scale - m[c];
            len2 += k->dir[i][c] * k->dir[i][c];
        }
        k->len2[i] = len2;
        k->inv2[i] = len2 > 0.0f ? 1.0f / len2 : 0.0f;
        if (len2 < min2) min2 = len2;
    }
    /* |t| < min |dir| / 3 is nearer the table than half of any other */
    k->clear2 = min2 * (1.0f / 9.0f);
    k->noise2 = noise2;
}

/* The class (0 table, 1 + object colour) of table-relative colour t when
 * it is nearer that base colour than half its distance to any other; -1
 * when it is ambiguous. */
static int unambiguous(const tt_colours *k, const float t[3]) {
    float d1 = t[0] * t[0] + t[1] * t[1] + t[2] * t[2];
    if (d1 < k->clear2) return 0;
    float d2 = 3.0e38f;
    int nearest = 0;
    const float t2 = d1;
    for (int i = 0; i < PAN_COLOUR_COUNT; i++) {
        const float *e = k->dir[i];
        float d = t2 + k->len2[i] - 2.0f * (t[0] * e[0] + t[1] * e[1] + t[2] * e[2]);
        if (d < d1) d2 = d1, d1 = d, nearest = 1 + i;
        else if (d < d2) d2 = d;
    }
    return 4.0f * d1 < d2 ? nearest : -1;
}

static int median5(int a, int b, int c, int d, int e) {
    int t;
#define SORT2(x, y) if (x > y) t = x, x = y, y = t
    SORT2(a, b); SORT2(d, e); SORT2(a, c); SORT2(b, c); SORT2(a, d);
    SORT2(c, d); SORT2(b, e); SORT2(b, c);
#undef SORT2
    return c;
}

/* Step 2: the table-relative colour of pixel (x, y); `strong` allows the
 * 3x3 mean. Returns its class when it is unambiguous, else -1. */
static int colour_at(const uint8_t *frame, int w, const tt_colours *k,
                     const tt_box *bx, int x, int y, bool strong, float t[3]) {
    const uint8_t *p = frame + ((size_t)y * w + x) * 3;
    for (int c = 0; c < 3; c++) t[c] = (float)p[c] - k->table[c];
    int cls = unambiguous(k, t);
    if (cls >= 0) return cls;
    const uint8_t *l = x > bx->xa ? p - 3 : p, *r = x < bx->xb - 1 ? p + 3 : p;
    const uint8_t *u = y > bx->ya ? p - 3 * w : p, *d = y < bx->yb - 1 ? p + 3 * w : p;
    for (int c = 0; c < 3; c++)
        t[c] = (float)median5(p[c], l[c], r[c], u[c], d[c]) - k->table[c];
    cls = unambiguous(k, t);
    if (!strong || cls >= 0) return cls;
    int s[3] = {0, 0, 0}, n = 0;
    for (int yy = y - 1; yy <= y + 1; yy++)
        for (int xx = x - 1; xx <= x + 1; xx++) {
            if (xx < bx->xa || xx >= bx->xb || yy < bx->ya || yy >= bx->yb) continue;
            const uint8_t *q = frame + ((size_t)yy * w + xx) * 3;
            s[0] += q[0], s[1] += q[1], s[2] += q[2], n++;
        }
    for (int c = 0; c < 3; c++) t[c] = (float)s[c] / (float)n - k->table[c];
    return -1;
}

static float share_of(const tt_colours *k, int i, const float t[3]) {
    const float *d = k->dir[i];
    return (t[0] * d[0] + t[1] * d[1] + t[2] * d[2]) * k->inv2[i];
}

/* Step 3: 1 + the object colour of table-relative colour t, or 0. */
static int classify_one(const tt_colours *k, const float t[3]) {
    int best = 0;
    float best_rest = 0.0f;
    for (int i = 0; i < PAN_COLOUR_COUNT; i++) {
        float a = share_of(k, i, t);
        if (a < MIN_SHARE) continue;
        if (a > 1.0f) a = 1.0f;
        const float *d = k->dir[i];
        float r0 = t[0] - a * d[0], r1 = t[1] - a * d[1], r2 = t[2] - a * d[2];
        float rest = (r0 * r0 + r1 * r1 + r2 * r2) * k->inv2[i];
        if (rest > MAX_REST) continue;
        if (!best || rest < best_rest) best = 1 + i, best_rest = rest;
    }
    return best;
}

static void classify(const tt_world *tt, const uint8_t *frame, const tt_colours *k,
                     const tt_box *bx) {
    const int w = tt->geo.width;
    memset(tt->classes, 0, (size_t)w * (size_t)tt->geo.height);
    for (int y = bx->ya; y < bx->yb; y++)
        for (int x = bx->xa; x < bx->xb; x++) {
            float t[3];
            int cls = colour_at(frame, w, k, bx, x, y, true, t);
            tt->classes[(size_t)y * w + x] = (uint8_t)(cls >= 0 ? cls : classify_one(k, t));
        }
}

/* Flood-fills the component of pixel `start` with `label`; writes its box
 * into r and returns its area. */
static int fill(const tt_world *tt, int start, int label, tt_region *r) {
    const int w = tt->geo.width, h = tt->geo.height;
    const uint8_t cls = tt->classes[start];
    int top = 0, area = 0;
    tt->stack[top++] = start;
    tt->labels[start] = label;
    *r = (tt_region){.label = label, .colour = cls - 1, .x0 = w, .x1 = -1,
                     .y0 = h, .y1 = -1};
    while (top > 0) {
        int i = tt->stack[--top];
        int x = i % w, y = i / w;
        area++;
        if (x < r->x0) r->x0 = x;
        if (x > r->x1) r->x1 = x;
        if (y < r->y0) r->y0 = y;
        if (y > r->y1) r->y1 = y;
        int next[4] = {x > 0 ? i - 1 : -1, x < w - 1 ? i + 1 : -1,
                       y > 0 ? i - w : -1, y < h - 1 ? i + w : -1};
        for (int n = 0; n < 4; n++) {
            int j = next[n];
            if (j < 0 || tt->labels[j] || tt->classes[j] != cls) continue;
            tt->labels[j] = label;
            tt->stack[top++] = j;
        }
    }
    return area;
}

/* Area, centroid sums, first pixel and box of region r. */
static tt_blob measure(const tt_world *tt, const tt_region *r) {
    const int w = tt->geo.width;
    int rows[PAN_WORLD_MAX_SIZE], cols[PAN_WORLD_MAX_SIZE];
    memset(rows, 0, sizeof rows);
    memset(cols, 0, sizeof cols);
    tt_blob b = {.colour = r->colour, .first = -1};
    for (int y = r->y0; y <= r->y1; y++)
        for (int x = r->x0; x <= r->x1; x++) {
            if (tt->labels[y * w + x] != r->label) continue;
            if (b.first < 0) b.first = y * w + x;
            b.area++;
            b.sum_x += x, b.sum_y += y;
            rows[y]++, cols[x]++;
        }
    b.min_x = r->x0, b.max_x = r->x1, b.min_y = r->y0, b.max_y = r->y1;
    while (b.min_x < b.max_x && cols[b.min_x] == 0) b.min_x++;
    while (b.max_x > b.min_x && cols[b.max_x] == 0) b.max_x--;
    while (b.min_y < b.max_y && rows[b.min_y] == 0) b.min_y++;
    while (b.max_y > b.min_y && rows[b.max_y] == 0) b.max_y--;
    if (b.max_x - b.min_x >= 4) {
        if (cols[b.min_x] <= 1) b.min_x++;
        if (cols[b.max_x] <= 1) b.max_x--;
    }
    if (b.max_y - b.min_y >= 4) {
        if (rows[b.min_y] <= 1) b.min_y++;
        if (rows[b.max_y] <= 1) b.max_y--;
    }
    return b;
}

/* The raw share of colour i at (x, y). */
static float raw_share(const uint8_t *frame, int w, const tt_colours *k, int i, int x,
                       int y) {
    const uint8_t *p = frame + ((size_t)y * w + x) * 3;
    float t[3] = {(float)p[0] - k->table[0], (float)p[1] - k->table[1],
                  (float)p[2] - k->table[2]};
    return share_of(k, i, t);
}

/* Pixels of region r before / after coordinate a (x if vertical, else y). */
static void part_areas(const tt_world *tt, const tt_region *r, bool vertical, int a,
                       int *lo, int *hi) {
    const int w = tt->geo.width;
    *lo = *hi = 0;
    for (int y = r->y0; y <= r->y1; y++)
        for (int x = r->x0; x <= r->x1; x++) {
            if (tt->labels[y * w + x] != r->label) continue;
            int c = vertical ? x : y;
            if (c < a) ++*lo;
            else if (c > a) ++*hi;
        }
}

/* Step 4: the gap column (vertical) or row of region r deepest below its
 * sides, or -1; *depth is its depth. z: standard errors required. */
static int find_gap(const tt_world *tt, const uint8_t *frame, const tt_colours *k,
                    const tt_region *r, bool vertical, int min_part, float z,
                    float *depth) {
    const int w = tt->geo.width;
    const int a0 = vertical ? r->x0 : r->y0, a1 = vertical ? r->x1 : r->y1;
    const int b0 = vertical ? r->y0 : r->x0, b1 = vertical ? r->y1 : r->x1;
    const int dx = vertical ? 1 : 0, dy = vertical ? 0 : 1;
    int best = -1;
    *depth = 0.0f;
    for (int a = a0 + 3; a <= a1 - 3; a++) {
        float mid = 0.0f, side[2] = {0.0f, 0.0f};
        int n = 0, ns[2] = {0, 0};
        for (int b = b0; b <= b1; b++) {
            int x = vertical ? a : b, y = vertical ? b : a;
            if (tt->labels[(y - 2 * dy) * w + x - 2 * dx] != r->label ||
                tt->labels[(y + 2 * dy) * w + x + 2 * dx] != r->label)
                continue;
            mid += raw_share(frame, w, k, r->colour, x, y);
            n++;
            for (int s = 2; s <= 3; s++)
                for (int j = 0; j < 2; j++) {
                    int xx = x + (j ? s : -s) * dx, yy = y + (j ? s : -s) * dy;
                    if (xx < r->x0 || xx > r->x1 || yy < r->y0 || yy > r->y1 ||
                        tt->labels[yy * w + xx] != r->label)
                        continue;
                    side[j] += raw_share(frame, w, k, r->colour, xx, yy);
                    ns[j]++;
                }
        }
        if (n < 2 || ns[0] == 0 || ns[1] == 0) continue;
        mid /= (float)n, side[0] /= (float)ns[0], side[1] /= (float)ns[1];
        float d = (side[0] < side[1] ? side[0] : side[1]) - mid;
        int nsm = ns[0] < ns[1] ? ns[0] : ns[1];
        float var = k->noise2 * k->inv2[r->colour] * (1.0f / (float)n + 1.0f / (float)nsm);
        if (d <= *depth || d < GAP_DEPTH || mid >= GAP_MID || d * d < z * z * var)
            continue;
        int lo, hi;
        part_areas(tt, r, vertical, a, &lo, &hi);
        if (lo < min_part || hi < min_part) continue;
        *depth = d, best = a;
    }
    return best;
}

/* sqrt(v), v >= 0, by Newton's iteration (+ - * / only). */
static float sqrt_pos(float v) {
    if (v <= 0.0f) return 0.0f;
    float x = v > 1.0f ? v : 1.0f;
    for (int i = 0; i < 64; i++) {
        float next = 0.5f * (x + v / x);
        if (next >= x) break;
        x = next;
    }
    return x;
}

/* Step 5 for blob b of region r. */
static pan_object_state describe(const tt_world *tt, const uint8_t *frame,
                                 const tt_colours *k, const tt_box *bx,
                                 const tt_region *r, const tt_blob *b) {
    const int w = tt->geo.width, bw = b->max_x - b->min_x + 1;
    float *share = (float *)(void *)tt->stack; /* (bw, bh) scratch */
    double sa = 0.0, sx = 0.0, sy = 0.0;
    for (int y = b->min_y; y <= b->max_y; y++)
        for (int x = b->min_x; x <= b->max_x; x++) {
            int i = y * w + x, cls = tt->classes[i];
            float a = 0.0f;
            if (cls == 0 || tt->labels[i] >= 0 || cls == b->colour + 1) {
                float t[3];
                colour_at(frame, w, k, bx, x, y, false, t);
                a = share_of(k, b->colour, t);
                if (a > -1e-3f && a < 1e-3f) a = 0.0f; /* exact on clean frames */
                if (a > 1.0f - 1e-3f && a < 1.0f + 1e-3f) a = 1.0f;
            }
            share[(y - b->min_y) * bw + (x - b->min_x)] = a;
            sa += a, sx += a * ((double)x + 0.5), sy += a * ((double)y + 0.5);
        }
    float area, mx, my;
    if (sa >= 1.0) {
        area = (float)sa, mx = (float)(sx / sa), my = (float)(sy / sa);
    } else {
        area = (float)b->area;
        mx = (float)b->sum_x / area + 0.5f, my = (float)b->sum_y / area + 0.5f;
    }
    /* templates about (mx, my): [0] of the shares' area, [1] default size */
    const float s0 = tt->geo.size;
    const float sq2[2] = {area * 0.25f, s0 * s0};
    const float ci2[2] = {area * (1.0f / 3.14159265f), s0 * s0};
    const float ts[2] = {sqrt_pos(area * 0.5f), s0};
    float e[2][PAN_SHAPE_COUNT] = {{0.0f, 0.0f, 0.0f}, {0.0f, 0.0f, 0.0f}};
    for (int y = b->min_y; y <= b->max_y; y++)
        for (int x = b->min_x; x <= b->max_x; x++) {
            float a = share[(y - b->min_y) * bw + (x - b->min_x)];
            a = a < 0.0f ? 0.0f : a > 1.0f ? 1.0f : a;
            float dx = (float)x + 0.5f - mx, dy = (float)y + 0.5f - my;
            float adx = dx < 0.0f ? -dx : dx;
            for (int v = 0; v < 2; v++) {
                float in_sq = dx * dx < sq2[v] && dy * dy < sq2[v] ? 1.0f : 0.0f;
                float in_ci = dx * dx + dy * dy < ci2[v] ? 1.0f : 0.0f;
                float tdy = dy + ts[v] / 3.0f; /* from the triangle's centre */
                float in_tr = tdy >= -ts[v] && tdy < ts[v] && 2.0f * adx < tdy + ts[v]
                                  ? 1.0f : 0.0f;
                e[v][PAN_SHAPE_SQUARE] += (a - in_sq) * (a - in_sq);
                e[v][PAN_SHAPE_CIRCLE] += (a - in_ci) * (a - in_ci);
                e[v][PAN_SHAPE_TRIANGLE] += (a - in_tr) * (a - in_tr);
            }
        }
    float best[PAN_SHAPE_COUNT], tri_s = ts[0];
    for (int s = 0; s < PAN_SHAPE_COUNT; s++) best[s] = e[0][s] < e[1][s] ? e[0][s] : e[1][s];
    if (e[1][PAN_SHAPE_TRIANGLE] < e[0][PAN_SHAPE_TRIANGLE]) tri_s = ts[1];
    pan_object_state o = {.colour = b->colour, .visible = true, .x = mx, .y = my};
    float width = (float)bw, height = (float)(b->max_y - b->min_y + 1);
    if (best[PAN_SHAPE_TRIANGLE] < best[PAN_SHAPE_SQUARE] &&
        best[PAN_SHAPE_TRIANGLE] < best[PAN_SHAPE_CIRCLE]) {
        o.shape = PAN_SHAPE_TRIANGLE;
        o.y = my - tri_s / 3.0f;
        o.size = width * 0.5f;
    } else {
        o.shape = best[PAN_SHAPE_SQUARE] <= best[PAN_SHAPE_CIRCLE] ? PAN_SHAPE_SQUARE
                                                                   : PAN_SHAPE_CIRCLE;
        o.size = (width + height) * 0.25f;
    }
    return o;
}

/* Steps 3-4: components of object colours (negative labels for those not
 * noise) cut along gaps into regions; writes up to MAX_REGIONS blobs. */
static int segment(const tt_world *tt, const uint8_t *frame, const tt_colours *k,
                   const tt_box *bx, tt_region *regions, tt_blob *blobs) {
    const tt_geometry *g = &tt->geo;
    const int w = g->width;
    const int min_area = (int)(g->size * g->size * 0.5f);
    memset(tt->labels, 0, (size_t)w * (size_t)g->height * sizeof *tt->labels);
    tt_region work[MAX_REGIONS];
    int n_work = 0, label = 0, n = 0;
    for (int y = bx->ya; y < bx->yb; y++)
        for (int x = bx->xa; x < bx->xb; x++) {
            int i = y * w + x;
            if (!tt->classes[i] || tt->labels[i]) continue;
            tt_region r;
            if (fill(tt, i, ++label, &r) < min_area || n_work == MAX_COMPONENTS) continue;
            for (int yy = r.y0; yy <= r.y1; yy++)
                for (int xx = r.x0; xx <= r.x1; xx++)
                    if (tt->labels[yy * w + xx] == label) tt->labels[yy * w + xx] = -label;
            r.label = -label;
            work[n_work++] = r;
        }
    const float single = PAIR_AREA * 4.0f * g->size * g->size;
    while (n_work > 0) {
        tt_region r = work[--n_work];
        tt_blob b = measure(tt, &r);
        if (b.area < min_area) continue;
        float z = (float)b.area > single ? GAP_Z : GAP_Z_SINGLE, dv, dh;
        int gv = find_gap(tt, frame, k, &r, true, 2 * min_area, z, &dv);
        int gh = find_gap(tt, frame, k, &r, false, 2 * min_area, z, &dh);
        if ((gv >= 0 || gh >= 0) && n_work + 2 <= MAX_REGIONS) {
            tt_region lo = r, hi = r;
            if (gv >= 0 && (gh < 0 || dv >= dh)) lo.x1 = gv - 1, hi.x0 = gv + 1;
            else lo.y1 = gh - 1, hi.y0 = gh + 1;
            work[n_work++] = lo;
            work[n_work++] = hi;
            continue;
        }
        if (n < MAX_REGIONS) regions[n] = r, blobs[n++] = b;
    }
    return n;
}

void tt_detect(const tt_world *tt, const uint8_t *frame, pan_world_state *det) {
    const tt_geometry *g = &tt->geo;
    const int rim = (int)g->rim;
    const tt_box bx = {rim, g->width - rim, rim, g->height - rim};
    det->n_objects = 0;
    float m[3], noise2 = 0.0f;
    float b = estimate_table(g, frame, &bx, m, &noise2);
    det->brightness = b;
    if (b < TT_DETECT_MIN) return;
    tt_colours k;
    make_colours(m, noise2, &k);
    classify(tt, frame, &k, &bx);
    tt_region regions[MAX_REGIONS];
    tt_blob blobs[MAX_REGIONS];
    int n = segment(tt, frame, &k, &bx, regions, blobs);
    /* keep the PAN_WORLD_MAX_OBJECTS largest, then raster order */
    while (n > PAN_WORLD_MAX_OBJECTS) {
        int s = 0;
        for (int i = 1; i < n; i++)
            if (blobs[i].area < blobs[s].area) s = i;
        regions[s] = regions[n - 1];
        blobs[s] = blobs[--n];
    }
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && blobs[j].first < blobs[j - 1].first; j--) {
            tt_blob t = blobs[j];
            blobs[j] = blobs[j - 1], blobs[j - 1] = t;
            tt_region r = regions[j];
            regions[j] = regions[j - 1], regions[j - 1] = r;
        }
    for (int i = 0; i < n; i++)
        det->objects[i] = describe(tt, frame, &k, &bx, &regions[i], &blobs[i]);
    det->n_objects = n;
}
