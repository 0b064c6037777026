/* benchmarks/eval/eval_subject.c: the subject interface and its two
 * model-free kinds, the true world and the frozen model (eval_subject.h). */
#include "benchmarks/eval/eval_subject_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#define DEFAULT_CAPACITY 16

/* ---- the true world: one pan_world per env, started from the state ---- */

typedef struct world_impl {
    pan_world **worlds; /* (capacity) */
} world_impl;

static void world_destroy(pan_eval_subject *s) {
    world_impl *w = s->impl;
    if (!w) return;
    for (int i = 0; i < s->capacity; i++) pan_world_destroy(w->worlds[i]);
    free(w->worlds);
    free(w);
}

static pan_status world_reset(pan_eval_subject *s, int n, const uint64_t *seeds,
                              const pan_world_state *states, const uint8_t *frames) {
    (void)seeds;
    (void)frames;
    world_impl *w = s->impl;
    for (int i = 0; i < n; i++) {
        pan_status st = pan_world_set_state(w->worlds[i], &states[i]);
        if (st != PAN_OK) return st;
    }
    return PAN_OK;
}

static pan_status world_step(pan_eval_subject *s, int n, const char *const *actions,
                             uint8_t *chunks) {
    world_impl *w = s->impl;
    size_t chunk = (size_t)s->wc.frames_per_step * s->wc.height * s->wc.width * 3;
    for (int i = 0; i < n; i++) {
        pan_status st = pan_world_step(w->worlds[i], actions[i], chunks + i * chunk, NULL);
        if (st != PAN_OK) return st;
    }
    return PAN_OK;
}

static const pan_eval_subject_ops world_ops = {world_destroy, world_reset, world_step};

static pan_status init_world(pan_eval_subject *s, const pan_eval_subject_config *cfg) {
    world_impl *w = calloc(1, sizeof *w);
    if (w) w->worlds = calloc((size_t)s->capacity, sizeof *w->worlds);
    s->ops = &world_ops;
    s->impl = w;
    if (!w || !w->worlds)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "eval subject: out of memory");
    for (int i = 0; i < s->capacity; i++) {
        pan_status st = pan_world_create(cfg->world, &s->wc, &w->worlds[i]);
        if (st != PAN_OK) return st;
    }
    snprintf(s->describe, sizeof s->describe, "true world (%s)", cfg->world);
    return PAN_OK;
}

/* ---- frozen: repeats its start frame ---------------------------------- */

typedef struct frozen_impl {
    uint8_t *frames; /* (capacity, H, W, 3) */
} frozen_impl;

static void frozen_destroy(pan_eval_subject *s) {
    frozen_impl *f = s->impl;
    if (f) free(f->frames);
    free(f);
}

static pan_status frozen_reset(pan_eval_subject *s, int n, const uint64_t *seeds,
                               const pan_world_state *states, const uint8_t *frames) {
    (void)seeds;
    (void)states;
    frozen_impl *f = s->impl;
    memcpy(f->frames, frames, (size_t)n * s->wc.height * s->wc.width * 3);
    return PAN_OK;
}

static pan_status frozen_step(pan_eval_subject *s, int n, const char *const *actions,
                              uint8_t *chunks) {
    (void)actions;
    frozen_impl *f = s->impl;
    size_t frame = (size_t)s->wc.height * s->wc.width * 3;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < s->wc.frames_per_step; k++)
            memcpy(chunks + ((size_t)i * s->wc.frames_per_step + k) * frame,
                   f->frames + i * frame, frame);
    return PAN_OK;
}

static const pan_eval_subject_ops frozen_ops = {frozen_destroy, frozen_reset, frozen_step};

static pan_status init_frozen(pan_eval_subject *s) {
    frozen_impl *f = calloc(1, sizeof *f);
    if (f) f->frames = malloc((size_t)s->capacity * s->wc.height * s->wc.width * 3);
    s->ops = &frozen_ops;
    s->impl = f;
    if (!f || !f->frames)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "eval subject: out of memory");
    snprintf(s->describe, sizeof s->describe, "frozen (repeats its first frame)");
    return PAN_OK;
}

/* ---- the interface ------------------------------------------------------ */

pan_status pan_eval_file_crc32(const char *path, char *buf, size_t size) {
    FILE *f = fopen(path, "rb");
    if (!f) return pan_error_set(PAN_ERR_IO, "%s: cannot open", path);
    unsigned char block[1 << 16];
    uLong crc = crc32(0L, Z_NULL, 0);
    long long bytes = 0;
    size_t got;
    while ((got = fread(block, 1, sizeof block, f)) > 0) {
        crc = crc32(crc, block, (uInt)got);
        bytes += (long long)got;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) return pan_error_set(PAN_ERR_IO, "%s: read error", path);
    snprintf(buf, size, "crc32 %08lx, %lld bytes", (unsigned long)crc, bytes);
    return PAN_OK;
}

pan_status pan_eval_subject_create(const pan_eval_subject_config *cfg,
                                   pan_eval_subject **out) {
    if (!cfg || !out || !cfg->world)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "eval subject: NULL argument");
    *out = NULL;
    if (cfg->capacity < 0 || cfg->capacity > 1024)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "eval subject: capacity must be 0..1024, got %d",
                             cfg->capacity);
    pan_eval_subject *s = calloc(1, sizeof *s);
    if (!s) return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "eval subject: out of memory");
    s->kind = cfg->kind;
    s->wc = cfg->world_config;
    s->capacity = cfg->capacity ? cfg->capacity : DEFAULT_CAPACITY;
    pan_status st;
    switch (cfg->kind) {
    case PAN_EVAL_SUBJECT_WORLD: st = init_world(s, cfg); break;
    case PAN_EVAL_SUBJECT_FROZEN: st = init_frozen(s); break;
    case PAN_EVAL_SUBJECT_MODEL: st = pan_eval_subject_init_model(s, cfg); break;
    case PAN_EVAL_SUBJECT_SERVER: st = pan_eval_subject_init_server(s, cfg); break;
    default:
        st = pan_error_set(PAN_ERR_INVALID_ARGUMENT, "eval subject: unknown kind %d",
                           (int)cfg->kind);
    }
    if (st != PAN_OK) {
        pan_eval_subject_destroy(s);
        return st;
    }
    *out = s;
    return PAN_OK;
}

void pan_eval_subject_destroy(pan_eval_subject *s) {
    if (!s) return;
    if (s->ops) s->ops->destroy(s);
    free(s->config_json);
    free(s);
}

pan_eval_subject_kind pan_eval_subject_get_kind(const pan_eval_subject *s) { return s->kind; }

pan_status pan_eval_imaginer_create(pan_eval_subject *s, pan_eval_imaginer **out) {
    if (!s || !out)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "eval imaginer: NULL argument");
    *out = NULL;
    if (s->kind != PAN_EVAL_SUBJECT_MODEL && s->kind != PAN_EVAL_SUBJECT_SERVER)
        return pan_error_set(PAN_ERR_UNIMPLEMENTED, "eval imaginer: %s cannot imagine",
                             s->describe);
    pan_eval_imaginer *im = calloc(1, sizeof *im);
    if (!im) return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "eval imaginer: out of memory");
    pan_status st = s->kind == PAN_EVAL_SUBJECT_MODEL ? pan_eval_imaginer_init_model(s, im)
                                                      : pan_eval_imaginer_init_server(s, im);
    if (st != PAN_OK) {
        pan_eval_imaginer_destroy(im);
        return st;
    }
    *out = im;
    return PAN_OK;
}

pan_status pan_eval_imaginer_resync(pan_eval_imaginer *im, const uint8_t *frame,
                                    uint64_t seed, const char *task) {
    if (!im || !frame || !task)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "eval imaginer: NULL argument");
    return im->resync(im, frame, seed, task);
}

const struct pan_planner_sim *pan_eval_imaginer_sim(const pan_eval_imaginer *im) {
    return im && im->has_sim ? &im->sim : NULL;
}

void pan_eval_imaginer_destroy(pan_eval_imaginer *im) {
    if (!im) return;
    if (im->destroy) im->destroy(im);
    free(im);
}

const char *pan_eval_subject_describe(const pan_eval_subject *s) { return s->describe; }
const char *pan_eval_subject_config_json(const pan_eval_subject *s) { return s->config_json; }
int pan_eval_subject_capacity(const pan_eval_subject *s) { return s->capacity; }
pan_world_config pan_eval_subject_world_config(const pan_eval_subject *s) { return s->wc; }
int64_t pan_eval_subject_steps(const pan_eval_subject *s) { return s->steps; }

pan_status pan_eval_subject_reset(pan_eval_subject *s, int n, const uint64_t *seeds,
                                  const pan_world_state *states, const uint8_t *frames) {
    if (!s || !seeds || !states || !frames)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "eval subject reset: NULL argument");
    if (n < 1 || n > s->capacity)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "eval subject reset: n must be 1..%d, got %d", s->capacity, n);
    s->n_reset = 0;
    pan_status st = s->ops->reset(s, n, seeds, states, frames);
    if (st == PAN_OK) s->n_reset = n;
    return st;
}

pan_status pan_eval_subject_step(pan_eval_subject *s, int n, const char *const *actions,
                                 uint8_t *chunks) {
    if (!s || !actions || !chunks)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "eval subject step: NULL argument");
    if (!s->n_reset || n != s->n_reset)
        return pan_error_set(PAN_ERR_FAILED_PRECONDITION,
                             "eval subject step: %d envs, but the last reset started %d",
                             n, s->n_reset);
    for (int i = 0; i < n; i++)
        if (!actions[i])
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "eval subject step: actions[%d] is NULL", i);
    pan_status st = s->ops->step(s, n, actions, chunks);
    if (st != PAN_OK) {
        s->n_reset = 0;
        return st;
    }
    s->steps += n;
    return PAN_OK;
}
