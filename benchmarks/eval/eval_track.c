/* benchmarks/eval/eval_track.c: object tracks through a clip and PAN's
 * transition smoothness, median speed x exp(-median acceleration)
 * (eval_internal.h, docs/eval.md "Smoothness"). */
#include "benchmarks/eval/eval_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PAIRS (PAN_COLOUR_COUNT * PAN_SHAPE_COUNT)
#define MOVING_PX 0.5

typedef struct track_frame {
    bool present[PAIRS];
    float x[PAIRS], y[PAIRS];
} track_frame;

/* A pair read twice in one frame is ambiguous and counts as absent. */
static pan_status read_frame(pan_world *w, const uint8_t *frame, track_frame *tf) {
    pan_world_state det;
    pan_status st = pan_world_detect(w, frame, &det);
    if (st != PAN_OK) return st;
    int count[PAIRS] = {0};
    memset(tf, 0, sizeof *tf);
    for (int i = 0; i < det.n_objects; i++) {
        int p = det.objects[i].colour * PAN_SHAPE_COUNT + det.objects[i].shape;
        if (p < 0 || p >= PAIRS) continue;
        count[p]++;
        tf->x[p] = det.objects[i].x;
        tf->y[p] = det.objects[i].y;
    }
    for (int p = 0; p < PAIRS; p++) tf->present[p] = count[p] == 1;
    return PAN_OK;
}

static pan_status push(eval_track_samples *t, double speed, double accel) {
    if (t->n == t->capacity) {
        int64_t cap = t->capacity ? 2 * t->capacity : 1024;
        double *s = realloc(t->speed, (size_t)cap * sizeof *s);
        if (!s) return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "eval tracks: out of memory");
        t->speed = s;
        double *a = realloc(t->accel, (size_t)cap * sizeof *a);
        if (!a) return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "eval tracks: out of memory");
        t->accel = a;
        t->capacity = cap;
    }
    t->speed[t->n] = speed;
    t->accel[t->n] = accel;
    t->n++;
    return PAN_OK;
}

pan_status eval_track_clip(pan_world *w, const uint8_t *frames, int n_frames,
                           eval_track_samples *out) {
    pan_world_config wc = pan_world_get_config(w);
    size_t fb = (size_t)wc.height * wc.width * 3;
    track_frame f[3];
    pan_status st;
    for (int k = 0; k < n_frames; k++) {
        if ((st = read_frame(w, frames + k * fb, &f[k % 3])) != PAN_OK) return st;
        if (k < 2) continue;
        const track_frame *a = &f[(k - 2) % 3], *b = &f[(k - 1) % 3], *c = &f[k % 3];
        for (int p = 0; p < PAIRS; p++) {
            if (!a->present[p] || !b->present[p] || !c->present[p]) continue;
            double v1x = b->x[p] - a->x[p], v1y = b->y[p] - a->y[p];
            double v2x = c->x[p] - b->x[p], v2y = c->y[p] - b->y[p];
            double s1 = hypot(v1x, v1y), s2 = hypot(v2x, v2y);
            if (s1 <= MOVING_PX && s2 <= MOVING_PX) continue;
            if ((st = push(out, s2, hypot(v2x - v1x, v2y - v1y))) != PAN_OK) return st;
        }
    }
    return PAN_OK;
}

void eval_track_free(eval_track_samples *t) {
    free(t->speed);
    free(t->accel);
    memset(t, 0, sizeof *t);
}

void eval_smoothness_of(eval_track_samples *t, double *value, double *median_speed,
                        double *median_accel) {
    if (t->n == 0) {
        *value = 0;
        *median_speed = *median_accel = NAN;
        return;
    }
    *median_speed = pan_eval_median(t->speed, t->n);
    *median_accel = pan_eval_median(t->accel, t->n);
    *value = *median_speed * exp(-*median_accel);
}
