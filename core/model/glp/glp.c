/* core/model/glp/glp.c: the GLP env pool -- creation, reset, frame coding and
 * snapshots (contract in glp.h; the step is glp_step.c). */
#include <stdlib.h>
#include <string.h>

#include "core/model/glp/frames.h"
#include "core/model/glp/glp_internal.h"
#include "core/model/vae/vae.h"
#include "core/model/encoder/vit.h"

#define BAD(...) pan_error_set(PAN_ERR_INVALID_ARGUMENT, __VA_ARGS__)
#define GLP_BLOB_MAGIC 0x50414e474c503031ull /* "PANGLP01" */

typedef struct glp_blob_header {
    uint64_t magic;
    glp_slot slot;
    uint64_t swin_bytes, kv_bytes;
} glp_blob_header;

static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

static pan_status alloc_buffers(pan_glp *g) {
    size_t B = (size_t)g->max_batch, d = (size_t)g->d, f = sizeof(float);
    size_t pend = (size_t)(g->Q + g->S) * d;
    g->slot = calloc((size_t)g->slots, sizeof *g->slot);
    g->pending = calloc((size_t)g->slots * pend, f);
    g->last_frame = calloc((size_t)g->slots, g->frame_bytes);
    g->seen = calloc((size_t)g->slots, 1);
    g->images = malloc(GLP_VISION_BATCH * g->frame_bytes * f);
    g->latent = malloc(B * (size_t)g->F * f);
    g->tokens = malloc(B * (size_t)g->S * d * f);
    g->predicted = malloc(B * (size_t)g->Q * d * f);
    g->chunks = malloc(B * (size_t)g->K * (size_t)g->F * f);
    g->frames = malloc(B * (size_t)g->K * g->frame_bytes);
    g->rounds = malloc(B * sizeof *g->rounds);
    g->items = malloc(B * sizeof *g->items);
    g->ids = malloc(B * sizeof *g->ids);
    if (!g->slot || !g->pending || !g->last_frame || !g->seen || !g->images ||
        !g->latent || !g->tokens || !g->predicted || !g->chunks ||
        !g->frames || !g->rounds || !g->items || !g->ids)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "glp: out of memory for %d slots, batch %d",
                             g->slots, g->max_batch);
    const pan_model_config *cfg = &g->m->config;
    size_t scratch = max_size(pan_vae_scratch_bytes(cfg, GLP_VISION_BATCH),
                              pan_vit_scratch_bytes(cfg, GLP_VISION_BATCH));
    return pan_arena_init(&g->scratch, "glp vision scratch", scratch);
}

pan_status pan_glp_create(pan_glp **out, const pan_model *m, int slots,
                          int max_batch) {
    if (!out || !m) return BAD("glp: 'out' and 'm' must not be NULL");
    if (slots < 1 || slots > 1 << 16)
        return BAD("glp: slots must be 1..%d, got %d", 1 << 16, slots);
    if (max_batch < 1 || max_batch > 1024)
        return BAD("glp: max_batch must be 1..1024, got %d", max_batch);
    const pan_model_config *cfg = &m->config;
    if (pan_state_tokens(cfg) != cfg->backbone.queries)
        return BAD("glp: the env needs S = Q (state tokens %d, queries %d)",
                   pan_state_tokens(cfg), cfg->backbone.queries);
    pan_glp *g = calloc(1, sizeof *g);
    if (!g) return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "glp: out of memory");
    g->m = m;
    g->slots = slots;
    g->max_batch = max_batch;
    g->K = cfg->frame.chunk_frames;
    g->H = cfg->frame.height;
    g->W = cfg->frame.width;
    g->Q = cfg->backbone.queries;
    g->S = pan_state_tokens(cfg);
    g->d = cfg->backbone.dim;
    g->F = cfg->vae.latent_channels * pan_latent_height(cfg) *
           pan_latent_width(cfg);
    g->frame_bytes = (size_t)g->H * (size_t)g->W * (size_t)cfg->frame.channels;
    pan_status st = alloc_buffers(g);
    if (st == PAN_OK) st = pan_kv_cache_create(&g->kv, cfg, slots, 0);
    if (st == PAN_OK)
        st = pan_swin_create(&g->swin, cfg, slots,
                             max_batch < GLP_DECODER_BATCH ? max_batch
                                                           : GLP_DECODER_BATCH,
                             cfg->decoder.cfg_scale);
    if (st == PAN_OK)
        st = pan_backbone_workspace_create(&g->bws, cfg, max_batch);
    if (st != PAN_OK) {
        pan_glp_destroy(g);
        return st;
    }
    *out = g;
    return PAN_OK;
}

void pan_glp_destroy(pan_glp *g) {
    if (!g) return;
    pan_kv_cache_destroy(g->kv);
    pan_swin_destroy(g->swin);
    pan_backbone_workspace_destroy(g->bws);
    pan_arena_free(&g->scratch);
    free(g->slot);
    free(g->pending);
    free(g->last_frame);
    free(g->seen);
    free(g->images);
    free(g->latent);
    free(g->tokens);
    free(g->predicted);
    free(g->chunks);
    free(g->frames);
    free(g->rounds);
    free(g->items);
    free(g->ids);
    free(g);
}

int pan_glp_max_batch(const pan_glp *g) { return g->max_batch; }

size_t pan_glp_bytes_per_slot(const pan_glp *g) {
    return pan_kv_cache_bytes_per_slot(g->kv) + pan_swin_slot_bytes(g->swin) +
           sizeof(glp_slot) + g->frame_bytes +
           sizeof(float) * (size_t)(g->Q + g->S) * (size_t)g->d;
}

size_t pan_glp_total_bytes(const pan_glp *g) {
    size_t B = (size_t)g->max_batch, f = sizeof(float);
    size_t call = GLP_VISION_BATCH * g->frame_bytes * f +
                  B * f * ((size_t)g->F * (1 + (size_t)g->K) +
                           (size_t)(g->S + g->Q) * (size_t)g->d) +
                  B * (size_t)g->K * g->frame_bytes + g->scratch.capacity;
    return pan_kv_cache_total_bytes(g->kv) + pan_swin_total_bytes(g->swin) +
           pan_backbone_workspace_bytes(g->bws) + call +
           (size_t)g->slots * (sizeof(glp_slot) + g->frame_bytes +
                               f * (size_t)(g->Q + g->S) * (size_t)g->d);
}

pan_status glp_check_slots(pan_glp *g, int n, const int *slots,
                           bool need_ready, const char *where) {
    if (n < 1 || n > g->max_batch)
        return BAD("%s: n must be 1..%d, got %d", where, g->max_batch, n);
    pan_status st = PAN_OK;
    int i = 0;
    for (; i < n && st == PAN_OK; i++) {
        int s = slots[i];
        if (s < 0 || s >= g->slots)
            st = BAD("%s: item %d: slot %d out of range 0..%d", where, i, s,
                     g->slots - 1);
        else if (g->seen[s])
            st = BAD("%s: item %d: slot %d appears twice", where, i, s);
        else if (need_ready && !g->slot[s].ready)
            st = BAD("%s: item %d: slot %d was never reset", where, i, s);
        if (st == PAN_OK) g->seen[s] = 1;
    }
    for (int j = 0; j < i; j++)
        if (slots[j] >= 0 && slots[j] < g->slots) g->seen[slots[j]] = 0;
    return st;
}

/* ---- frames <-> latents ------------------------------------------------- */

pan_status glp_encode_frames(pan_glp *g, pan_compute *c, int n,
                             const uint8_t *const *frames, float *latent,
                             float *tokens) {
    const pan_model_config *cfg = &g->m->config;
    int z = cfg->vae.latent_channels, lh = pan_latent_height(cfg),
        lw = pan_latent_width(cfg), C = cfg->frame.channels;
    for (int at = 0; at < n; at += GLP_VISION_BATCH) {
        int b = n - at < GLP_VISION_BATCH ? n - at : GLP_VISION_BATCH;
        pan_tensor fr, im, lat, tok;
        pan_status st = PAN_OK;
        for (int j = 0; j < b && st == PAN_OK; j++) {
            pan_tensor_init(&fr, (void *)frames[at + j], PAN_DTYPE_U8, 4,
                            PAN_SHAPE(1, g->H, g->W, C));
            pan_tensor_init(&im, g->images + (size_t)j * g->frame_bytes,
                            PAN_DTYPE_F32, 4, PAN_SHAPE(1, C, g->H, g->W));
            st = pan_frames_to_images(&fr, &im);
        }
        pan_tensor_init(&im, g->images, PAN_DTYPE_F32, 4,
                        PAN_SHAPE(b, C, g->H, g->W));
        pan_tensor_init(&lat, latent + (size_t)at * (size_t)g->F,
                        PAN_DTYPE_F32, 4, PAN_SHAPE(b, z, lh, lw));
        pan_tensor_init(&tok, tokens + (size_t)at * (size_t)g->S * (size_t)g->d,
                        PAN_DTYPE_F32, 3, PAN_SHAPE(b, g->S, g->d));
        if (st == PAN_OK) st = pan_vae_encode(c, g->m, &g->scratch, &im, &lat);
        if (st == PAN_OK) st = pan_vit_forward(c, g->m, &g->scratch, &lat, &tok);
        if (st != PAN_OK) return st;
    }
    return PAN_OK;
}

pan_status glp_decode_latents(pan_glp *g, pan_compute *c, int n,
                              const float *latents, uint8_t *frames) {
    const pan_model_config *cfg = &g->m->config;
    int z = cfg->vae.latent_channels, lh = pan_latent_height(cfg),
        lw = pan_latent_width(cfg), C = cfg->frame.channels;
    for (int at = 0; at < n; at += GLP_VISION_BATCH) {
        int b = n - at < GLP_VISION_BATCH ? n - at : GLP_VISION_BATCH;
        pan_tensor lat, im, fr;
        pan_tensor_init(&lat, (void *)(latents + (size_t)at * (size_t)g->F),
                        PAN_DTYPE_F32, 4, PAN_SHAPE(b, z, lh, lw));
        pan_tensor_init(&im, g->images, PAN_DTYPE_F32, 4,
                        PAN_SHAPE(b, C, g->H, g->W));
        pan_tensor_init(&fr, frames + (size_t)at * g->frame_bytes, PAN_DTYPE_U8,
                        4, PAN_SHAPE(b, g->H, g->W, C));
        pan_status st = pan_vae_decode(c, g->m, &g->scratch, &lat, &im);
        if (st == PAN_OK) st = pan_images_to_frames(&im, &fr);
        if (st != PAN_OK) return st;
    }
    return PAN_OK;
}

/* ---- reset ---------------------------------------------------------------- */

pan_status pan_glp_reset(pan_glp *g, pan_compute *c, int n, const int *slots,
                         const uint8_t *const *frames, const uint64_t *seeds,
                         float *const *states) {
    if (!g || !c || !slots || !frames || !seeds)
        return BAD("glp reset: g, c, slots, frames and seeds must not be NULL");
    pan_status st = glp_check_slots(g, n, slots, false, "glp reset");
    for (int j = 0; j < n && st == PAN_OK; j++)
        if (!frames[j]) st = BAD("glp reset: item %d: frame is NULL", j);
    if (st == PAN_OK)
        st = glp_encode_frames(g, c, n, frames, g->latent, g->tokens);
    if (st != PAN_OK) return st;
    size_t pend = (size_t)(g->Q + g->S) * (size_t)g->d;
    size_t tok = (size_t)g->S * (size_t)g->d;
    for (int j = 0; j < n; j++) {
        int s = slots[j];
        pan_kv_cache_reset(g->kv, s);
        pan_swin_reset(g->swin, s, g->latent + (size_t)j * (size_t)g->F,
                       seeds[j]);
        memcpy(g->pending + (size_t)s * pend, g->tokens + (size_t)j * tok,
               sizeof(float) * tok);
        memcpy(g->last_frame + (size_t)s * g->frame_bytes, frames[j],
               g->frame_bytes);
        g->slot[s] = (glp_slot){.ready = 1, .n_pending = g->S};
        if (states && states[j])
            memcpy(states[j], g->tokens + (size_t)j * tok, sizeof(float) * tok);
    }
    return PAN_OK;
}

pan_status pan_glp_encode(pan_glp *g, pan_compute *c, int n,
                          const uint8_t *const *frames, float *const *tokens) {
    if (!g || !c || !frames || !tokens)
        return BAD("glp encode: arguments must not be NULL");
    if (n < 1 || n > g->max_batch)
        return BAD("glp encode: n must be 1..%d, got %d", g->max_batch, n);
    for (int j = 0; j < n; j++)
        if (!frames[j] || !tokens[j])
            return BAD("glp encode: item %d: frame or tokens is NULL", j);
    pan_status st = glp_encode_frames(g, c, n, frames, g->latent, g->tokens);
    size_t tok = (size_t)g->S * (size_t)g->d;
    for (int j = 0; st == PAN_OK && j < n; j++)
        memcpy(tokens[j], g->tokens + (size_t)j * tok, sizeof(float) * tok);
    return st;
}

pan_status pan_glp_last_frame(const pan_glp *g, int slot, uint8_t *frame) {
    if (!g || !frame) return BAD("glp last frame: g and frame must not be NULL");
    if (slot < 0 || slot >= g->slots)
        return BAD("glp last frame: slot %d out of range 0..%d", slot,
                   g->slots - 1);
    memcpy(frame, g->last_frame + (size_t)slot * g->frame_bytes,
           g->frame_bytes);
    return PAN_OK;
}

/* ---- snapshots: header, pending tokens, last frame, window, KV ---------- */

static size_t fixed_bytes(const pan_glp *g) {
    return sizeof(glp_blob_header) +
           sizeof(float) * (size_t)(g->Q + g->S) * (size_t)g->d +
           g->frame_bytes + pan_swin_slot_bytes(g->swin);
}

size_t pan_glp_snapshot_bytes(const pan_glp *g, int slot) {
    if (!g || slot < 0 || slot >= g->slots) return 0;
    return fixed_bytes(g) + pan_kv_cache_save_bytes(g->kv, slot);
}

pan_status pan_glp_save(const pan_glp *g, int slot, void *blob) {
    if (!g || !blob) return BAD("glp save: g and blob must not be NULL");
    if (slot < 0 || slot >= g->slots)
        return BAD("glp save: slot %d out of range 0..%d", slot, g->slots - 1);
    size_t pend = sizeof(float) * (size_t)(g->Q + g->S) * (size_t)g->d;
    glp_blob_header h = {GLP_BLOB_MAGIC, g->slot[slot],
                         pan_swin_slot_bytes(g->swin),
                         pan_kv_cache_save_bytes(g->kv, slot)};
    unsigned char *p = blob;
    memcpy(p, &h, sizeof h);
    p += sizeof h;
    memcpy(p, (const unsigned char *)g->pending + (size_t)slot * pend, pend);
    p += pend;
    memcpy(p, g->last_frame + (size_t)slot * g->frame_bytes, g->frame_bytes);
    p += g->frame_bytes;
    pan_status st = pan_swin_save(g->swin, slot, p);
    if (st == PAN_OK) st = pan_kv_cache_save(g->kv, slot, p + h.swin_bytes);
    return st;
}

pan_status pan_glp_load(pan_glp *g, int slot, const void *blob, size_t bytes) {
    if (!g || !blob) return BAD("glp load: g and blob must not be NULL");
    if (slot < 0 || slot >= g->slots)
        return BAD("glp load: slot %d out of range 0..%d", slot, g->slots - 1);
    glp_blob_header h;
    if (bytes < fixed_bytes(g))
        return pan_error_set(PAN_ERR_DATA_LOSS,
                             "glp load: snapshot of %zu bytes is too short "
                             "for this model (%zu)", bytes, fixed_bytes(g));
    memcpy(&h, blob, sizeof h);
    int np = h.slot.n_pending;
    if (h.magic != GLP_BLOB_MAGIC || h.swin_bytes != pan_swin_slot_bytes(g->swin) ||
        h.kv_bytes != bytes - fixed_bytes(g) || (h.slot.ready != 0 && h.slot.ready != 1) ||
        (h.slot.ready && np != g->S && np != g->Q && np != g->Q + g->S))
        return pan_error_set(PAN_ERR_DATA_LOSS,
                             "glp load: not a snapshot of this model (header)");
    size_t pend = sizeof(float) * (size_t)(g->Q + g->S) * (size_t)g->d;
    const unsigned char *p = (const unsigned char *)blob + sizeof h;
    const unsigned char *window = p + pend + g->frame_bytes;
    pan_status st = pan_swin_check_blob(g->swin, window);
    if (st == PAN_OK)
        st = pan_kv_cache_load(g->kv, slot, window + h.swin_bytes, h.kv_bytes);
    if (st != PAN_OK) return st;
    pan_swin_load(g->swin, slot, window); /* checked above */
    memcpy((unsigned char *)g->pending + (size_t)slot * pend, p, pend);
    memcpy(g->last_frame + (size_t)slot * g->frame_bytes, p + pend,
           g->frame_bytes);
    g->slot[slot] = h.slot;
    return PAN_OK;
}

pan_status pan_glp_copy(pan_glp *g, int dst, int src) {
    if (!g) return BAD("glp copy: g must not be NULL");
    if (dst < 0 || dst >= g->slots || src < 0 || src >= g->slots)
        return BAD("glp copy: slots %d <- %d out of range 0..%d", dst, src,
                   g->slots - 1);
    if (dst == src) return PAN_OK;
    pan_status st = pan_kv_cache_copy(g->kv, dst, g->kv, src);
    if (st == PAN_OK) st = pan_swin_copy(g->swin, dst, src);
    if (st != PAN_OK) return st;
    size_t pend = (size_t)(g->Q + g->S) * (size_t)g->d;
    memcpy(g->pending + (size_t)dst * pend, g->pending + (size_t)src * pend,
           sizeof(float) * pend);
    memcpy(g->last_frame + (size_t)dst * g->frame_bytes,
           g->last_frame + (size_t)src * g->frame_bytes, g->frame_bytes);
    g->slot[dst] = g->slot[src];
    return PAN_OK;
}
