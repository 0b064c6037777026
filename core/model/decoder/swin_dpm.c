/* core/model/decoder/swin_dpm.c: the per-env sampler pool, reset and snapshots
 * (contract in swin_dpm.h; the step is in swin_dpm_step.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/decoder/swin_dpm_internal.h"

#define BAD(...) pan_error_set(PAN_ERR_INVALID_ARGUMENT, __VA_ARGS__)

static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

static pan_status alloc_all(pan_swin *s) {
    size_t F = (size_t)s->frame_floats, K = (size_t)s->K;
    size_t items = (size_t)s->max_batch * (s->guided ? 2 : 1);
    size_t window = 2 * K + 1;
    s->block = aligned_alloc(64, s->slot_bytes * (size_t)s->slots);
    s->sigmas = malloc(sizeof(float) * (size_t)(s->steps + 1));
    s->x = malloc(sizeof(float) * (size_t)s->max_batch * K * F);
    s->traj = malloc(sizeof(float) * (size_t)s->max_batch * (size_t)s->half *
                     K * F);
    s->window = malloc(sizeof(float) * items * window * F);
    s->v = malloc(sizeof(float) * items * K * F);
    s->rngs = malloc(sizeof(pan_rng) * (size_t)s->max_batch);
    s->conds = malloc(sizeof(pan_decoder_condition) * items *
                      PAN_DECODER_MAX_CONDS);
    s->group = malloc(sizeof(int) * (size_t)s->max_batch);
    s->seen = calloc((size_t)s->slots, 1);
    if (!s->block || !s->sigmas || !s->x || !s->traj || !s->window || !s->v ||
        !s->rngs || !s->conds || !s->group || !s->seen)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "swin: out of memory for %d slots and batch %d",
                             s->slots, s->max_batch);
    memset(s->block, 0, s->slot_bytes * (size_t)s->slots);
    return pan_decoder_workspace_create(&s->ws, &s->cfg, (int)items);
}

/* docs/swin_dpm.md: σ_i = s u / (1 + (s - 1) u), u = 1 - i/N, in double,
 * rounded once. */
static void fill_schedule(pan_swin *s) {
    double shift = s->cfg.decoder.shift;
    for (int i = 0; i <= s->steps; i++) {
        double u = 1.0 - (double)i / s->steps;
        s->sigmas[i] = (float)(shift * u / (1.0 + (shift - 1.0) * u));
    }
}

pan_status pan_swin_create(pan_swin **out, const pan_model_config *cfg,
                           int slots, int max_batch, float cfg_scale) {
    if (!out || !cfg) return BAD("swin: 'out' and 'cfg' must not be NULL");
    pan_status st = pan_model_config_validate(cfg);
    if (st != PAN_OK) return st;
    if (slots < 1 || slots > 1 << 20)
        return BAD("swin: slots must be 1..%d, got %d", 1 << 20, slots);
    if (max_batch < 1 || max_batch > 2048)
        return BAD("swin: max_batch must be 1..2048, got %d", max_batch);
    if (!isfinite(cfg_scale))
        return BAD("swin: cfg_scale must be finite, got %g", cfg_scale);
    pan_swin *s = calloc(1, sizeof *s);
    if (!s) return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "swin: out of memory");
    s->cfg = *cfg;
    s->slots = slots;
    s->max_batch = max_batch;
    s->cfg_scale = cfg_scale;
    s->guided = cfg_scale != 1.0f;
    s->K = cfg->frame.chunk_frames;
    s->steps = cfg->decoder.steps;
    s->half = s->steps / 2;
    s->frame_floats = cfg->vae.latent_channels * pan_latent_height(cfg) *
                      pan_latent_width(cfg);
    s->state_floats = cfg->backbone.queries * cfg->backbone.dim;
    s->action_max = cfg->tokenizer.max_action_bytes;
    size_t F = (size_t)s->frame_floats * sizeof(float);
    s->off_cond1 = align64(sizeof(swin_slot_header));
    s->off_cond2 = s->off_cond1 + align64(F);
    s->off_traj = s->off_cond2 + align64(F);
    s->off_state = s->off_traj + align64(F * (size_t)(s->half * s->K));
    s->off_action =
        s->off_state + align64(sizeof(float) * (size_t)s->state_floats);
    s->slot_bytes = s->off_action + align64((size_t)s->action_max);
    st = alloc_all(s);
    if (st != PAN_OK) {
        pan_swin_destroy(s);
        return st;
    }
    fill_schedule(s);
    *out = s;
    return PAN_OK;
}

void pan_swin_destroy(pan_swin *s) {
    if (!s) return;
    free(s->block);
    free(s->sigmas);
    free(s->x);
    free(s->traj);
    free(s->window);
    free(s->v);
    free(s->rngs);
    free(s->conds);
    free(s->group);
    free(s->seen);
    pan_decoder_workspace_destroy(s->ws);
    free(s);
}

int pan_swin_slots(const pan_swin *s) { return s->slots; }
int pan_swin_max_batch(const pan_swin *s) { return s->max_batch; }
size_t pan_swin_slot_bytes(const pan_swin *s) { return s->slot_bytes; }

size_t pan_swin_total_bytes(const pan_swin *s) {
    size_t F = (size_t)s->frame_floats, K = (size_t)s->K;
    size_t items = (size_t)s->max_batch * (s->guided ? 2 : 1);
    size_t floats = (size_t)s->max_batch * K * F * (1 + (size_t)s->half) +
                    items * F * (2 * K + 1) + items * K * F;
    return s->slot_bytes * (size_t)s->slots + sizeof(float) * floats +
           pan_decoder_workspace_bytes(s->ws);
}

unsigned char *swin_slot(const pan_swin *s, int slot) {
    return s->block + s->slot_bytes * (size_t)slot;
}

static pan_status check_slot(const pan_swin *s, int slot, const char *what) {
    if (slot < 0 || slot >= s->slots)
        return BAD("swin %s: slot %d out of range 0..%d", what, slot,
                   s->slots - 1);
    return PAN_OK;
}

void swin_noised_cond(const pan_swin *s, const float *clean, const float *eps,
                      float *out) {
    float cn = s->cfg.decoder.cond_noise;
    for (int i = 0; i < s->frame_floats; i++)
        out[i] = (1.0f - cn) * clean[i] + cn * eps[i];
}

pan_status pan_swin_reset(pan_swin *s, int slot, const float *first,
                          uint64_t seed) {
    if (!s || !first) return BAD("swin reset: 'swin' and 'first' must not be NULL");
    pan_status st = check_slot(s, slot, "reset");
    if (st != PAN_OK) return st;
    unsigned char *p = swin_slot(s, slot);
    swin_slot_header *h = (swin_slot_header *)p;
    float *cond1 = (float *)(p + s->off_cond1);
    float *cond2 = (float *)(p + s->off_cond2);
    memset(p, 0, s->slot_bytes);
    h->rng = pan_rng_seed(seed);
    /* cond2 holds ε for a moment: first's noise is drawn into it */
    pan_rng_fill_normal(&h->rng, cond2, (size_t)s->frame_floats);
    swin_noised_cond(s, first, cond2, cond1);
    memcpy(cond2, cond1, sizeof(float) * (size_t)s->frame_floats);
    h->ready = 1;
    return PAN_OK;
}

pan_status pan_swin_save(const pan_swin *s, int slot, void *blob) {
    if (!s || !blob) return BAD("swin save: 'swin' and 'blob' must not be NULL");
    pan_status st = check_slot(s, slot, "save");
    if (st == PAN_OK) memcpy(blob, swin_slot(s, slot), s->slot_bytes);
    return st;
}

pan_status pan_swin_check_blob(const pan_swin *s, const void *blob) {
    if (!s || !blob) return BAD("swin load: 'swin' and 'blob' must not be NULL");
    swin_slot_header h;
    memcpy(&h, blob, sizeof h);
    if ((h.ready != 0 && h.ready != 1) || (h.has_prev != 0 && h.has_prev != 1) ||
        h.prev_action_len < 0 || h.prev_action_len > s->action_max ||
        (h.has_prev && !h.ready))
        return pan_error_set(PAN_ERR_DATA_LOSS,
                             "swin load: blob header is not a sampler slot "
                             "of this model");
    return PAN_OK;
}

pan_status pan_swin_load(pan_swin *s, int slot, const void *blob) {
    pan_status st = pan_swin_check_blob(s, blob);
    if (st != PAN_OK) return st;
    st = check_slot(s, slot, "load");
    if (st != PAN_OK) return st;
    memcpy(swin_slot(s, slot), blob, s->slot_bytes);
    return PAN_OK;
}

pan_status pan_swin_copy(pan_swin *s, int dst, int src) {
    if (!s) return BAD("swin copy: 'swin' must not be NULL");
    pan_status st = check_slot(s, dst, "copy (dst)");
    if (st == PAN_OK) st = check_slot(s, src, "copy (src)");
    if (st == PAN_OK && dst != src)
        memcpy(swin_slot(s, dst), swin_slot(s, src), s->slot_bytes);
    return st;
}
