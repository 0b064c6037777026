/* benchmarks/eval/eval_degrade.c: the degradation model of predicted frames
 * and the detector's agreement on degraded true and wrong frames (contract
 * in eval_degrade.h). */
#define _POSIX_C_SOURCE 200809L
#include "benchmarks/eval/eval_degrade.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/rng.h"
#include "env/rooms/rooms.h"
#include "env/tabletop/tabletop.h"
#include "env/world.h"
#include "env/world_internal.h"

/* ---- presets ---- */

typedef struct preset {
    const char *name;
    pan_degrade d;
} preset;

static const preset presets[] = {
    {"none", {PAN_NOISE_GAUSSIAN, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f}},
    {"mild", {PAN_NOISE_GAUSSIAN, 4.0f, 0.4f, 0.15f, 0.02f, 2.0f}},
    {"moderate", {PAN_NOISE_GAUSSIAN, 8.0f, 0.7f, 0.3f, 0.03f, 3.0f}},
    {"strong", {PAN_NOISE_GAUSSIAN, 16.0f, 1.0f, 0.5f, 0.06f, 6.0f}},
    {"uniform8", {PAN_NOISE_UNIFORM, 8.0f, 0.0f, 0.0f, 0.0f, 0.0f}},
    {"uniform16", {PAN_NOISE_UNIFORM, 16.0f, 0.0f, 0.0f, 0.0f, 0.0f}},
};
#define PRESETS ((int)(sizeof presets / sizeof presets[0]))

const char *const *pan_degrade_preset_names(void) {
    static const char *const names[] = {"none", "mild", "moderate", "strong",
                                        "uniform8", "uniform16", NULL};
    return names;
}

pan_status pan_degrade_preset(const char *name, pan_degrade *out) {
    if (!name || !out)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "degrade preset: name and out must not be NULL");
    for (int i = 0; i < PRESETS; i++)
        if (strcmp(presets[i].name, name) == 0) {
            *out = presets[i].d;
            return PAN_OK;
        }
    return pan_error_set(PAN_ERR_NOT_FOUND,
                         "degrade preset: expected none, mild, moderate, "
                         "strong, uniform8 or uniform16, found \"%s\"", name);
}

static pan_status check_range(const char *field, float v, float hi) {
    if (v >= 0.0f && v <= hi) return PAN_OK; /* false for NaN */
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                         "degrade: %s expected in [0, %g], found %g", field,
                         (double)hi, (double)v);
}

pan_status pan_degrade_check(const pan_degrade *d) {
    if (!d)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "degrade: the pan_degrade must not be NULL");
    if (d->noise_kind != PAN_NOISE_GAUSSIAN && d->noise_kind != PAN_NOISE_UNIFORM)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "degrade: noise_kind expected %d (gaussian) or "
                             "%d (uniform), found %d", PAN_NOISE_GAUSSIAN,
                             PAN_NOISE_UNIFORM, d->noise_kind);
    pan_status st = check_range("noise", d->noise, 64.0f);
    if (st == PAN_OK) st = check_range("blur", d->blur, 3.0f);
    if (st == PAN_OK) st = check_range("shift", d->shift, 1.0f);
    if (st == PAN_OK) st = check_range("gain", d->gain, 0.5f);
    if (st == PAN_OK) st = check_range("offset", d->offset, 64.0f);
    return st;
}

/* ---- the degradation ---- */

/* Uniform in [-1, 1). */
static float uniform_pm1(pan_rng *r) {
    return (float)((double)(pan_rng_next_u64(r) >> 11) * 0x1.0p-53 * 2.0 - 1.0);
}

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Separable Gaussian blur of buf (h, w, 3) through tmp. */
static void blur_frame(float *buf, float *tmp, int w, int h, float sigma) {
    int radius = (int)ceilf(3.0f * sigma);
    if (radius > 9) radius = 9;
    float k[19];
    double sum = 0.0;
    for (int i = -radius; i <= radius; i++)
        sum += exp(-(double)(i * i) / (2.0 * (double)sigma * (double)sigma));
    for (int i = -radius; i <= radius; i++)
        k[i + radius] = (float)(exp(-(double)(i * i) /
                                    (2.0 * (double)sigma * (double)sigma)) / sum);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                float s = 0.0f;
                for (int i = -radius; i <= radius; i++)
                    s += k[i + radius] * buf[((size_t)y * w + clampi(x + i, 0, w - 1)) * 3 + c];
                tmp[((size_t)y * w + x) * 3 + c] = s;
            }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                float s = 0.0f;
                for (int i = -radius; i <= radius; i++)
                    s += k[i + radius] * tmp[((size_t)clampi(y + i, 0, h - 1) * w + x) * 3 + c];
                buf[((size_t)y * w + x) * 3 + c] = s;
            }
}

/* out(x, y) = in(x - dx, y - dy), bilinear, edges clamped. */
static void shift_frame(const float *in, float *out, int w, int h, float dx,
                        float dy) {
    for (int y = 0; y < h; y++) {
        float sy = (float)y - dy;
        int y0 = (int)floorf(sy);
        float fy = sy - (float)y0;
        int ya = clampi(y0, 0, h - 1), yb = clampi(y0 + 1, 0, h - 1);
        for (int x = 0; x < w; x++) {
            float sx = (float)x - dx;
            int x0 = (int)floorf(sx);
            float fx = sx - (float)x0;
            int xa = clampi(x0, 0, w - 1), xb = clampi(x0 + 1, 0, w - 1);
            for (int c = 0; c < 3; c++) {
                float top = in[((size_t)ya * w + xa) * 3 + c] * (1.0f - fx) +
                            in[((size_t)ya * w + xb) * 3 + c] * fx;
                float bot = in[((size_t)yb * w + xa) * 3 + c] * (1.0f - fx) +
                            in[((size_t)yb * w + xb) * 3 + c] * fx;
                out[((size_t)y * w + x) * 3 + c] = top * (1.0f - fy) + bot * fy;
            }
        }
    }
}

pan_status pan_degrade_frame(const pan_degrade *d, uint64_t *state, int width,
                             int height, uint8_t *frame) {
    pan_status st = pan_degrade_check(d);
    if (st != PAN_OK) return st;
    if (!state || !frame)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "degrade frame: rng and frame must not be NULL");
    if (width < 1 || width > 4096 || height < 1 || height > 4096)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "degrade frame: size expected 1..4096 per side, "
                             "found %dx%d", width, height);
    if (d->noise == 0.0f && d->blur == 0.0f && d->shift == 0.0f &&
        d->gain == 0.0f && d->offset == 0.0f)
        return PAN_OK;
    size_t n = (size_t)width * (size_t)height * 3;
    float *buf = malloc(2 * n * sizeof *buf);
    if (!buf)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "degrade frame: out of memory for %dx%d",
                             width, height);
    float *tmp = buf + n;
    for (size_t i = 0; i < n; i++) buf[i] = (float)frame[i];
    if (d->blur > 0.0f) blur_frame(buf, tmp, width, height, d->blur);
    pan_rng r = pan_rng_seed(*state);
    if (d->shift > 0.0f) {
        float dx = d->shift * uniform_pm1(&r), dy = d->shift * uniform_pm1(&r);
        shift_frame(buf, tmp, width, height, dx, dy);
        memcpy(buf, tmp, n * sizeof *buf);
    }
    float gain[3] = {1.0f, 1.0f, 1.0f}, offset[3] = {0.0f, 0.0f, 0.0f};
    if (d->gain > 0.0f)
        for (int c = 0; c < 3; c++) gain[c] = 1.0f + d->gain * uniform_pm1(&r);
    if (d->offset > 0.0f)
        for (int c = 0; c < 3; c++) offset[c] = d->offset * uniform_pm1(&r);
    for (size_t i = 0; i < n; i++) {
        float v = buf[i] * gain[i % 3] + offset[i % 3];
        if (d->noise > 0.0f)
            v += d->noise_kind == PAN_NOISE_UNIFORM
                     ? d->noise * uniform_pm1(&r)
                     : d->noise * (float)pan_rng_normal(&r);
        v = v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v;
        frame[i] = (uint8_t)(v + 0.5f);
    }
    *state = r.state;
    free(buf);
    return PAN_OK;
}

/* ---- scenes and scoring ---- */

typedef struct scene_object {
    int colour, shape;
    float x, y; /* frame pixels */
} scene_object;

/* What a frame should read as. */
typedef struct scene {
    int n;
    scene_object o[PAN_WORLD_MAX_OBJECTS + 1];
    bool check_brightness, check_camera;
    float brightness, camera_x, camera_y;
} scene;

static float absf(float v) { return v < 0.0f ? -v : v; }

/* Scores a detection against a scene; true when entirely correct. */
static bool score(const scene *t, const pan_world_state *det,
                  pan_detector_tally *tl) {
    bool used[PAN_WORLD_MAX_OBJECTS] = {false}, ok = true;
    for (int i = 0; i < t->n; i++) {
        int best = -1;
        float best_d2 = 4.0f; /* 2 px */
        for (int j = 0; j < det->n_objects; j++) {
            const pan_object_state *p = &det->objects[j];
            if (used[j] || p->colour != t->o[i].colour || p->shape != t->o[i].shape)
                continue;
            float dx = p->x - t->o[i].x, dy = p->y - t->o[i].y;
            if (dx * dx + dy * dy <= best_d2) best_d2 = dx * dx + dy * dy, best = j;
        }
        tl->objects++;
        if (best < 0) {
            ok = false;
            continue;
        }
        used[best] = true;
        tl->found_2px++;
        if (best_d2 <= 1.0f) tl->found_1px++;
        else ok = false;
    }
    for (int j = 0; j < det->n_objects; j++)
        if (!used[j]) tl->false_detections++, ok = false;
    if (t->check_brightness) {
        tl->brightness_checked++;
        if (absf(det->brightness - t->brightness) <= PAN_EVAL_BRIGHTNESS_TOL)
            tl->brightness_ok++;
        else ok = false;
    }
    if (t->check_camera) {
        tl->camera_checked++;
        if (absf(det->camera_x - t->camera_x) <= PAN_EVAL_CAMERA_TOL &&
            absf(det->camera_y - t->camera_y) <= PAN_EVAL_CAMERA_TOL)
            tl->camera_ok++;
        else ok = false;
    }
    tl->frames++;
    tl->frames_correct += ok;
    return ok;
}

static void tally_add(pan_detector_tally *a, const pan_detector_tally *b) {
    a->frames += b->frames;
    a->frames_correct += b->frames_correct;
    a->objects += b->objects;
    a->found_1px += b->found_1px;
    a->found_2px += b->found_2px;
    a->false_detections += b->false_detections;
    a->brightness_checked += b->brightness_checked;
    a->brightness_ok += b->brightness_ok;
    a->camera_checked += b->camera_checked;
    a->camera_ok += b->camera_ok;
}

static scene tt_scene(const pan_world_state *s) {
    scene sc = {.check_brightness = true, .brightness = s->brightness};
    for (int i = 0; i < s->n_objects; i++) {
        const pan_object_state *o = &s->objects[i];
        if (!o->visible) continue;
        sc.o[sc.n++] = (scene_object){o->colour, o->shape, o->x, o->y};
    }
    return sc;
}

/* Rooms: the landmarks fully visible in the window at (ox, oy). */
static scene rooms_scene(const pan_world *w, int ox, int oy) {
    const rooms_world *rw = w->impl;
    int width = w->config.width, height = w->config.height;
    scene sc = {0};
    for (int k = 0; k < rw->map.n_landmarks; k++) {
        const rooms_landmark *l = &rw->map.landmarks[k];
        if (!rooms_landmark_visible(l, width, height, ox, oy)) continue;
        float half = ROOMS_LANDMARK_PX / 2;
        sc.o[sc.n++] = (scene_object){l->colour, l->shape,
                                      (float)(l->x0 * ROOMS_CELL_PX - ox) + half,
                                      (float)(l->y0 * ROOMS_CELL_PX - oy) + half};
    }
    sc.check_camera = sc.n > 0;
    sc.camera_x = (float)(ox + width / 2) / (float)ROOMS_CELL_PX;
    sc.camera_y = (float)(oy + height / 2) / (float)ROOMS_CELL_PX;
    return sc;
}

static int level_of(float b) {
    float dd = absf(b - TT_BRIGHTNESS_DIM), doff = absf(b - TT_BRIGHTNESS_OFF);
    float don = absf(b - TT_BRIGHTNESS_ON);
    return don <= dd && don <= doff ? 0 : dd <= doff ? 1 : 2;
}

/* ---- true frames of random episodes ---- */

typedef struct truth_frame {
    const uint8_t *frame;
    scene sc;
    pan_world_state state; /* tabletop: the state drawn (eased positions) */
    int ox, oy;            /* rooms: the window origin */
    int level;             /* tabletop light level; rooms 0 */
} truth_frame;

typedef pan_status (*frame_fn)(void *ctx, pan_world *w, const truth_frame *t);

#define EPISODE_STEPS 8

/* A seed for stream k of a measurement seeded with `seed`. */
static uint64_t mix(uint64_t seed, uint64_t k) {
    pan_rng g = pan_rng_seed(seed ^ (k * 0xD1B54A32D192ED03ull));
    return pan_rng_next_u64(&g);
}

static const float tt_levels[PAN_EVAL_LEVELS] = {
    TT_BRIGHTNESS_ON, TT_BRIGHTNESS_DIM, TT_BRIGHTNESS_OFF};

static pan_status walk_tabletop(pan_world *w, uint8_t *frames, int n_frames,
                                uint64_t seed, frame_fn fn, void *ctx) {
    const int k_frames = w->config.frames_per_step;
    const size_t bytes = (size_t)w->config.width * (size_t)w->config.height * 3;
    uint64_t act_rng = mix(seed, 0xAC7);
    int count = 0;
    pan_status st = PAN_OK;
    for (uint64_t e = 0; count < n_frames && st == PAN_OK; e++) {
        truth_frame t = {.frame = frames};
        pan_world_state prev, next;
        st = pan_world_reset(w, mix(seed, e + 1), frames);
        if (st == PAN_OK) st = pan_world_get_state(w, &prev);
        prev.brightness = tt_levels[e % PAN_EVAL_LEVELS];
        if (st == PAN_OK) st = pan_world_set_state(w, &prev);
        if (st == PAN_OK) st = pan_world_render(w, frames);
        if (st != PAN_OK) break;
        t.state = prev, t.sc = tt_scene(&prev), t.level = level_of(prev.brightness);
        st = fn(ctx, w, &t);
        count++;
        for (int step = 0; step < EPISODE_STEPS && count < n_frames && st == PAN_OK; step++) {
            char text[PAN_WORLD_ACTION_MAX + 1];
            st = pan_world_sample_action(w, &act_rng, PAN_SPLIT_ANY, text, sizeof text);
            if (st == PAN_OK) st = pan_world_step(w, text, frames, NULL);
            if (st == PAN_OK) st = pan_world_get_state(w, &next);
            for (int f = 0; f < k_frames && count < n_frames && st == PAN_OK; f++) {
                pan_world_state at = next;
                float ease = tt_ease(f + 1, k_frames);
                for (int i = 0; i < prev.n_objects && f < k_frames - 1; i++) {
                    pan_object_state *o = &at.objects[i];
                    const pan_object_state *p = &prev.objects[i];
                    if (!p->visible || !o->visible) continue;
                    o->x = p->x + (o->x - p->x) * ease;
                    o->y = p->y + (o->y - p->y) * ease;
                }
                t.frame = frames + (size_t)f * bytes;
                t.state = at, t.sc = tt_scene(&at), t.level = level_of(at.brightness);
                st = fn(ctx, w, &t);
                count++;
            }
            prev = next;
        }
    }
    return st;
}

static pan_status walk_rooms(pan_world *w, uint8_t *frames, int n_frames,
                             uint64_t seed, frame_fn fn, void *ctx) {
    const int k_frames = w->config.frames_per_step;
    const int width = w->config.width, height = w->config.height;
    const size_t bytes = (size_t)width * (size_t)height * 3;
    uint64_t act_rng = mix(seed, 0xAC7);
    int count = 0;
    pan_status st = PAN_OK;
    for (uint64_t e = 0; count < n_frames && st == PAN_OK; e++) {
        pan_world_state s;
        st = pan_world_reset(w, mix(seed, e + 1), frames);
        if (st == PAN_OK) st = pan_world_get_state(w, &s);
        if (st != PAN_OK) break;
        int ox0 = rooms_view_origin((int)s.camera_x, width);
        int oy0 = rooms_view_origin((int)s.camera_y, height);
        truth_frame t = {.frame = frames, .state = s, .ox = ox0, .oy = oy0};
        t.sc = rooms_scene(w, ox0, oy0);
        st = fn(ctx, w, &t);
        count++;
        for (int step = 0; step < EPISODE_STEPS && count < n_frames && st == PAN_OK; step++) {
            char text[PAN_WORLD_ACTION_MAX + 1];
            st = pan_world_sample_action(w, &act_rng, PAN_SPLIT_ANY, text, sizeof text);
            if (st == PAN_OK) st = pan_world_step(w, text, frames, NULL);
            if (st == PAN_OK) st = pan_world_get_state(w, &s);
            int ox1 = rooms_view_origin((int)s.camera_x, width);
            int oy1 = rooms_view_origin((int)s.camera_y, height);
            for (int k = 1; k <= k_frames && count < n_frames && st == PAN_OK; k++) {
                t.frame = frames + (size_t)(k - 1) * bytes;
                t.ox = ox0 + (ox1 - ox0) * k / k_frames;
                t.oy = oy0 + (oy1 - oy0) * k / k_frames;
                t.state = s;
                t.sc = rooms_scene(w, t.ox, t.oy);
                st = fn(ctx, w, &t);
                count++;
            }
            ox0 = ox1, oy0 = oy1;
        }
    }
    return st;
}

/* The world, its frame buffers and the walker of one measurement. */
typedef struct eval_setup {
    pan_world *w, *aux; /* aux: renders wrong tabletop states */
    bool rooms;
    uint8_t *frames;    /* (K, H, W, 3) */
    uint8_t *work;      /* (H, W, 3) the frame degraded */
    size_t bytes;
} eval_setup;

static void setup_free(eval_setup *s) {
    pan_world_destroy(s->w);
    pan_world_destroy(s->aux);
    free(s->frames);
    free(s->work);
}

static pan_status setup_make(const char *world_name, const pan_degrade *d,
                             int n_frames, void *out, size_t out_size,
                             eval_setup *s) {
    memset(s, 0, sizeof *s);
    if (out) memset(out, 0, out_size);
    if (!world_name || !out)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "eval detector: world_name and out must not be NULL");
    pan_status st = pan_degrade_check(d);
    if (st != PAN_OK) return st;
    if (n_frames < 1 || n_frames > PAN_EVAL_MAX_FRAMES)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "eval detector: n_frames expected 1..%d, found %d",
                             PAN_EVAL_MAX_FRAMES, n_frames);
    pan_world_config c = pan_world_config_default();
    st = pan_world_create(world_name, &c, &s->w);
    if (st == PAN_OK) st = pan_world_create(world_name, &c, &s->aux);
    if (st != PAN_OK) {
        setup_free(s);
        return st;
    }
    s->rooms = strcmp(world_name, "rooms") == 0;
    s->bytes = (size_t)c.width * (size_t)c.height * 3;
    s->frames = malloc((size_t)c.frames_per_step * s->bytes);
    s->work = malloc(s->bytes);
    if (!s->frames || !s->work) {
        setup_free(s);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "eval detector: out of memory for the frames");
    }
    return PAN_OK;
}

static pan_status setup_walk(eval_setup *s, int n_frames, uint64_t seed,
                             frame_fn fn, void *ctx) {
    return s->rooms ? walk_rooms(s->w, s->frames, n_frames, seed, fn, ctx)
                    : walk_tabletop(s->w, s->frames, n_frames, seed, fn, ctx);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Degrades s->work and reads it. */
static pan_status degrade_detect(eval_setup *s, pan_world *w,
                                 const pan_degrade *d, uint64_t *rng,
                                 pan_world_state *det, double *seconds) {
    pan_status st = pan_degrade_frame(d, rng, w->config.width,
                                      w->config.height, s->work);
    double t0 = now_s();
    if (st == PAN_OK) st = pan_world_detect(w, s->work, det);
    if (seconds) *seconds += now_s() - t0;
    return st;
}

/* ---- agreement ---- */

typedef struct agree_ctx {
    eval_setup *s;
    const pan_degrade *d;
    uint64_t rng;
    pan_detector_agreement *out;
} agree_ctx;

static pan_status agree_frame(void *ctx, pan_world *w, const truth_frame *t) {
    agree_ctx *a = ctx;
    pan_world_state det;
    memcpy(a->s->work, t->frame, a->s->bytes);
    pan_status st = degrade_detect(a->s, w, a->d, &a->rng, &det,
                                   &a->out->detect_seconds);
    if (st != PAN_OK) return st;
    score(&t->sc, &det, &a->out->by_level[t->level]);
    if (t->sc.n > 0) score(&t->sc, &det, &a->out->with_objects);
    return PAN_OK;
}

pan_status pan_eval_detector_agreement(const char *world_name,
                                       const pan_degrade *d, int n_frames,
                                       uint64_t seed,
                                       pan_detector_agreement *out) {
    eval_setup s;
    pan_status st = setup_make(world_name, d, n_frames, out, sizeof *out, &s);
    if (st != PAN_OK) return st;
    agree_ctx a = {&s, d, mix(seed, 0xDE6), out};
    st = setup_walk(&s, n_frames, seed, agree_frame, &a);
    for (int l = 0; l < PAN_EVAL_LEVELS; l++) tally_add(&out->all, &out->by_level[l]);
    out->agreement = out->all.frames ? (double)out->all.frames_correct / (double)out->all.frames : 0.0;
    setup_free(&s);
    if (st != PAN_OK) memset(out, 0, sizeof *out);
    return st;
}

/* ---- wrong frames ---- */

const char *pan_wrong_kind_name(int kind) {
    static const char *const names[PAN_WRONG_KINDS] = {
        "shift", "missing", "extra", "colour", "lights", "camera"};
    return kind >= 0 && kind < PAN_WRONG_KINDS ? names[kind] : "?";
}

typedef struct wrong_ctx {
    eval_setup *s;
    const pan_degrade *d;
    uint64_t rng, pick;
    pan_detector_wrong *out;
} wrong_ctx;

/* Uniform integer in [0, n), n > 0, from the SplitMix64 state *r. */
static int pick_below(uint64_t *r, int n) {
    pan_rng g = pan_rng_seed(*r);
    int v = (int)(pan_rng_next_u64(&g) % (uint64_t)n);
    *r = g.state;
    return v;
}

/* Tabletop: the wrong state of `kind` from the truth t; false if none. */
static bool tt_wrong_state(pan_world *aux, const truth_frame *t, int kind,
                           uint64_t *pick, pan_world_state *s) {
    const pan_world_state *truth = &t->state;
    int vis[PAN_WORLD_MAX_OBJECTS], nv = 0;
    for (int i = 0; i < truth->n_objects; i++)
        if (truth->objects[i].visible) vis[nv++] = i;
    if (nv == 0) return false;
    int first = pick_below(pick, nv);
    tt_geometry g = tt_geometry_of(aux->config.width, aux->config.height);
    switch (kind) {
    case PAN_WRONG_SHIFT:
        for (int k = 0; k < 4 * nv; k++) {
            *s = *truth;
            pan_object_state *o = &s->objects[vis[(first + k / 4) % nv]];
            int dir = (k + first) % 4;
            o->x += dir == 0 ? 3.0f : dir == 1 ? -3.0f : 0.0f;
            o->y += dir == 2 ? 3.0f : dir == 3 ? -3.0f : 0.0f;
            if (pan_world_set_state(aux, s) == PAN_OK) return true;
        }
        return false;
    case PAN_WRONG_MISSING:
        *s = *truth;
        s->objects[vis[first]].visible = false;
        return pan_world_set_state(aux, s) == PAN_OK;
    case PAN_WRONG_EXTRA:
        for (int k = 0; k < 64; k++) {
            *s = *truth;
            int pair = pick_below(pick, TT_PAIRS), slot = -1;
            for (int i = 0; i < s->n_objects; i++)
                if (s->objects[i].colour == pair / PAN_SHAPE_COUNT &&
                    s->objects[i].shape == pair % PAN_SHAPE_COUNT)
                    slot = i;
            if (slot >= 0 && s->objects[slot].visible) continue;
            if (slot < 0) {
                if (s->n_objects == PAN_WORLD_MAX_OBJECTS) return false;
                slot = s->n_objects++;
            }
            int span_x = (int)(g.x1 - g.x0 - 2 * g.size), span_y = (int)(g.y1 - g.y0 - 2 * g.size);
            s->objects[slot] = (pan_object_state){
                .colour = pair / PAN_SHAPE_COUNT, .shape = pair % PAN_SHAPE_COUNT,
                .x = g.x0 + g.size + (float)pick_below(pick, span_x + 1),
                .y = g.y0 + g.size + (float)pick_below(pick, span_y + 1),
                .size = g.size, .visible = true};
            if (pan_world_set_state(aux, s) == PAN_OK) return true;
        }
        return false;
    case PAN_WRONG_COLOUR:
        for (int k = 1; k < PAN_COLOUR_COUNT; k++) {
            *s = *truth;
            pan_object_state *o = &s->objects[vis[first]];
            o->colour = (o->colour + k + pick_below(pick, 2)) % PAN_COLOUR_COUNT;
            if (o->colour == truth->objects[vis[first]].colour) continue;
            if (pan_world_set_state(aux, s) == PAN_OK) return true;
        }
        return false;
    case PAN_WRONG_LIGHTS:
        *s = *truth;
        s->brightness = tt_levels[(t->level + 1 + pick_below(pick, 2)) % PAN_EVAL_LEVELS];
        return pan_world_set_state(aux, s) == PAN_OK;
    }
    return false;
}

/* Rooms: paints the mask of a landmark of `shape` with top-left (left,
 * top) in frame pixels; rgb NULL: erases it with the floor of the row
 * above the footprint in `truth`. */
static void rooms_paint(uint8_t *f, const uint8_t *truth, int w, int h,
                        int left, int top, int shape, const uint8_t *rgb) {
    for (int j = 0; j < ROOMS_LANDMARK_PX; j++)
        for (int i = 0; i < ROOMS_LANDMARK_PX; i++) {
            int x = left + i, y = top + j;
            if (x < 0 || y < 0 || x >= w || y >= h || !rooms_shape_covers(shape, i, j))
                continue;
            const uint8_t *src = rgb ? rgb : truth + ((size_t)(top - 1) * w + x) * 3;
            memcpy(f + ((size_t)y * w + x) * 3, src, 3);
        }
}

/* True if the 12x12 footprint at world pixels (wx, wy), with a 2 px
 * margin, lies on floor cells away from every landmark. */
static bool rooms_free_at(const rooms_map *m, int wx, int wy) {
    for (int y = wy - 2; y < wy + ROOMS_LANDMARK_PX + 2; y += 1)
        for (int x = wx - 2; x < wx + ROOMS_LANDMARK_PX + 2; x += 1) {
            if (x < 0 || y < 0 || x >= ROOMS_MAP_PX || y >= ROOMS_MAP_PX) return false;
            if (m->cell[y / ROOMS_CELL_PX][x / ROOMS_CELL_PX] != ROOMS_CELL_FLOOR) return false;
        }
    for (int k = 0; k < m->n_landmarks; k++) {
        int lx = m->landmarks[k].x0 * ROOMS_CELL_PX, ly = m->landmarks[k].y0 * ROOMS_CELL_PX;
        if (lx < wx + ROOMS_LANDMARK_PX + 2 && wx < lx + ROOMS_LANDMARK_PX + 2 &&
            ly < wy + ROOMS_LANDMARK_PX + 2 && wy < ly + ROOMS_LANDMARK_PX + 2)
            return false;
    }
    return true;
}

/* Rooms: writes the wrong frame of `kind` into f and what it shows into
 * drawn; false if none. */
static bool rooms_wrong_frame(pan_world *w, const truth_frame *t, int kind,
                              uint64_t *pick, uint8_t *f, scene *drawn) {
    const rooms_world *rw = w->impl;
    const int width = w->config.width, height = w->config.height;
    const scene *sc = &t->sc;
    if (sc->n == 0) return false;
    memcpy(f, t->frame, (size_t)width * height * 3);
    *drawn = *sc;
    drawn->check_camera = false;
    int which = pick_below(pick, sc->n);
    scene_object *o = &drawn->o[which];
    int left = (int)o->x - ROOMS_LANDMARK_PX / 2, top = (int)o->y - ROOMS_LANDMARK_PX / 2;
    switch (kind) {
    case PAN_WRONG_SHIFT:
        for (int k = 0; k < 4; k++) {
            int dir = (k + which) % 4;
            int dx = dir == 0 ? 3 : dir == 1 ? -3 : 0, dy = dir == 2 ? 3 : dir == 3 ? -3 : 0;
            int nl = left + dx, nt = top + dy;
            if (nl < 1 || nt < 1 || nl + ROOMS_LANDMARK_PX > width - 1 ||
                nt + ROOMS_LANDMARK_PX > height - 1)
                continue;
            rooms_paint(f, t->frame, width, height, left, top, o->shape, NULL);
            rooms_paint(f, t->frame, width, height, nl, nt, o->shape, rooms_palette[o->colour]);
            o->x += (float)dx, o->y += (float)dy;
            return true;
        }
        return false;
    case PAN_WRONG_MISSING:
        rooms_paint(f, t->frame, width, height, left, top, o->shape, NULL);
        *o = drawn->o[--drawn->n];
        return true;
    case PAN_WRONG_EXTRA:
        for (int k = 0; k < 64; k++) {
            int pair = pick_below(pick, PAN_COLOUR_COUNT * PAN_SHAPE_COUNT);
            int colour = pair / PAN_SHAPE_COUNT, shape = pair % PAN_SHAPE_COUNT;
            bool seen = false;
            for (int i = 0; i < sc->n; i++)
                seen |= sc->o[i].colour == colour && sc->o[i].shape == shape;
            int l = 1 + pick_below(pick, width - ROOMS_LANDMARK_PX - 1);
            int tp = 1 + pick_below(pick, height - ROOMS_LANDMARK_PX - 1);
            if (seen || l + ROOMS_LANDMARK_PX > width - 1 || tp + ROOMS_LANDMARK_PX > height - 1 ||
                !rooms_free_at(&rw->map, t->ox + l, t->oy + tp))
                continue;
            rooms_paint(f, t->frame, width, height, l, tp, shape, rooms_palette[colour]);
            drawn->o[drawn->n++] = (scene_object){colour, shape,
                                                  (float)l + ROOMS_LANDMARK_PX / 2,
                                                  (float)tp + ROOMS_LANDMARK_PX / 2};
            return true;
        }
        return false;
    case PAN_WRONG_COLOUR:
        o->colour = (o->colour + 1 + pick_below(pick, PAN_COLOUR_COUNT - 1)) % PAN_COLOUR_COUNT;
        rooms_paint(f, t->frame, width, height, left, top, o->shape, rooms_palette[o->colour]);
        return true;
    case PAN_WRONG_CAMERA: {
        int dir = pick_below(pick, 4);
        int ox = t->ox + (dir == 0 ? 4 : dir == 1 ? -4 : 0);
        int oy = t->oy + (dir == 2 ? 4 : dir == 3 ? -4 : 0);
        rooms_render_window(rw, width, height, ox, oy, f);
        *drawn = rooms_scene(w, ox, oy);
        return true;
    }
    }
    return false;
}

static pan_status wrong_frame(void *ctx, pan_world *w, const truth_frame *t) {
    wrong_ctx *c = ctx;
    eval_setup *s = c->s;
    pan_status st = PAN_OK;
    for (int kind = 0; kind < PAN_WRONG_KINDS && st == PAN_OK; kind++) {
        scene drawn;
        if (s->rooms) {
            if (kind == PAN_WRONG_LIGHTS ||
                !rooms_wrong_frame(w, t, kind, &c->pick, s->work, &drawn))
                continue;
        } else {
            pan_world_state ws;
            if (kind == PAN_WRONG_CAMERA || t->sc.n == 0 ||
                !tt_wrong_state(s->aux, t, kind, &c->pick, &ws))
                continue;
            st = pan_world_render(s->aux, s->work);
            drawn = tt_scene(&ws);
        }
        pan_world_state det;
        if (st == PAN_OK) st = degrade_detect(s, w, c->d, &c->rng, &det, NULL);
        if (st != PAN_OK) break;
        pan_detector_tally ignore = {0};
        c->out->frames[kind]++;
        c->out->passed[kind] += score(&t->sc, &det, &ignore);
        c->out->as_drawn[kind] += score(&drawn, &det, &ignore);
    }
    return st;
}

pan_status pan_eval_detector_wrong(const char *world_name,
                                   const pan_degrade *d, int n_frames,
                                   uint64_t seed, pan_detector_wrong *out) {
    eval_setup s;
    pan_status st = setup_make(world_name, d, n_frames, out, sizeof *out, &s);
    if (st != PAN_OK) return st;
    wrong_ctx c = {&s, d, mix(seed, 0xDE6), mix(seed, 0x91C), out};
    st = setup_walk(&s, n_frames, seed, wrong_frame, &c);
    setup_free(&s);
    if (st != PAN_OK) memset(out, 0, sizeof *out);
    return st;
}
