/* core/model/vae/vae.c: VAE encode and decode (docs/model.md, "VAE"). The
 * ResBlock and the activation planner live in vae_resblock.c. */
#include "core/model/vae/vae.h"

#include <stdio.h>

#include "core/model/vae/vae_internal.h"

#define TRY(expr)                                                              \
    do {                                                                       \
        pan_status s_ = (expr);                                                \
        if (s_ != PAN_OK) return s_;                                           \
    } while (0)

#define TRY_REWIND(expr)                                                       \
    do {                                                                       \
        pan_status s_ = (expr);                                                \
        if (s_ != PAN_OK) {                                                    \
            pan_arena_rewind(scratch, mark);                                   \
            return s_;                                                         \
        }                                                                      \
    } while (0)

static size_t round64(size_t bytes) {
    return (bytes + PAN_ARENA_ALIGN - 1) & ~(size_t)(PAN_ARENA_ALIGN - 1);
}

static size_t latent_floats(const pan_model_config *cfg, int64_t n) {
    return (size_t)(n * cfg->vae.latent_channels * pan_latent_height(cfg) *
                    pan_latent_width(cfg));
}

size_t pan_vae_scratch_bytes(const pan_model_config *cfg, int n) {
    if (!cfg || n <= 0) return 0;
    size_t bytes = 3 * round64((size_t)pan_vae_max_activation(cfg, n) * sizeof(float));
    if (cfg->vae.scaling_factor != 1.0f) /* decode: latent / scaling_factor */
        bytes += round64(latent_floats(cfg, n) * sizeof(float));
    return bytes + PAN_ARENA_ALIGN; /* the arena's mark may be unaligned */
}

/* ---- shape checks ---- */

static pan_status check_tensor(const char *where, const char *what,
                               const pan_tensor *t, const int64_t *want) {
    char got[64], exp[64];
    pan_tensor expected;
    pan_tensor_init(&expected, NULL, PAN_DTYPE_F32, 4, want);
    if (!t || t->dtype != PAN_DTYPE_F32 || t->ndim != 4 ||
        !pan_tensor_same_shape(t, &expected) || !pan_tensor_is_contiguous(t) ||
        (!t->data && pan_tensor_numel(t) > 0)) {
        const char *dtype = t ? pan_dtype_name(t->dtype) : "none";
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: %s has shape %s (%s%s), expected %s (f32, "
                             "contiguous; from the model config)",
                             where, what,
                             t ? pan_tensor_shape_str(t, got, sizeof got) : "none",
                             dtype ? dtype : "?",
                             t && !pan_tensor_is_contiguous(t) ? ", strided" : "",
                             pan_tensor_shape_str(&expected, exp, sizeof exp));
    }
    return PAN_OK;
}

/* images (N, C, H, W) and latent (N, z, h, w) for the same N >= 1; the
 * batch N is taken from `lead` (images for encode, latent for decode). */
static pan_status check_pair(const char *where, const pan_model_config *cfg,
                             const pan_tensor *images, const pan_tensor *latent,
                             bool lead_is_images, int64_t *n_out) {
    const pan_tensor *lead = lead_is_images ? images : latent;
    if (!lead || lead->ndim != 4 || lead->shape[0] < 1) {
        char got[64];
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: %s has shape %s, expected 4 dimensions with a "
                             "batch of at least 1",
                             where, lead_is_images ? "images" : "latent",
                             lead ? pan_tensor_shape_str(lead, got, sizeof got)
                                  : "none");
    }
    int64_t n = lead->shape[0];
    int64_t img[4] = {n, cfg->frame.channels, cfg->frame.height, cfg->frame.width};
    int64_t lat[4] = {n, cfg->vae.latent_channels, pan_latent_height(cfg),
                      pan_latent_width(cfg)};
    TRY(check_tensor(where, "images", images, img));
    TRY(check_tensor(where, "latent", latent, lat));
    *n_out = n;
    return PAN_OK;
}

static pan_status take_bufs(pan_arena *scratch, const pan_model_config *cfg,
                            int64_t n, pan_vae_bufs *bufs) {
    bufs->cap = pan_vae_max_activation(cfg, n);
    size_t bytes = (size_t)bufs->cap * sizeof(float);
    float **slots[3] = {&bufs->x, &bufs->t1, &bufs->t2};
    for (int i = 0; i < 3; i++) {
        *slots[i] = pan_arena_alloc(scratch, bytes, PAN_ARENA_ALIGN);
        if (!*slots[i]) return PAN_ERR_RESOURCE_EXHAUSTED; /* message set */
    }
    return PAN_OK;
}

static void swap(float **a, float **b) {
    float *t = *a;
    *a = *b;
    *b = t;
}

/* ---- encode ---- */

static pan_status encode(pan_compute *c, const pan_model *m, pan_vae_bufs *b,
                         const pan_tensor *images, pan_tensor *latent,
                         int64_t n) {
    const pan_model_config *cfg = &m->config;
    const pan_vae_config *vc = &cfg->vae;
    const pan_vae_weights *w = &m->w.vae;
    const int levels = vc->levels;
    int64_t h = cfg->frame.height, wd = cfg->frame.width;
    int64_t ch = pan_vae_level_channels(cfg, 0);

    pan_tensor x; /* (n, ch, h, wd) */
    TRY(pan_tensor_init(&x, b->x, PAN_DTYPE_F32, 4, PAN_SHAPE(n, ch, h, wd)));
    TRY(pan_compute_conv2d(c, &x, images, &w->enc_conv_in_w, &w->enc_conv_in_b,
                           1, 1));
    for (int i = 0; i < levels; i++) {
        int64_t cout = pan_vae_level_channels(cfg, i);
        for (int j = 0; j < vc->res_blocks; j++) {
            TRY(pan_vae_resblock(c, vc, &w->down[i].blocks[j], b, n, ch, cout,
                                 h, wd));
            ch = cout;
        }
        if (i < levels - 1) {
            pan_tensor in, out; /* (n, ch, h, wd) -> (n, ch, h/2, wd/2) */
            TRY(pan_tensor_init(&in, b->x, PAN_DTYPE_F32, 4,
                                PAN_SHAPE(n, ch, h, wd)));
            TRY(pan_tensor_init(&out, b->t1, PAN_DTYPE_F32, 4,
                                PAN_SHAPE(n, ch, h / 2, wd / 2)));
            TRY(pan_compute_conv2d(c, &out, &in, &w->down[i].resample_w,
                                   &w->down[i].resample_b, 2, 1));
            swap(&b->x, &b->t1);
            h /= 2;
            wd /= 2;
        }
    }
    TRY(pan_vae_resblock(c, vc, &w->enc_mid, b, n, ch, ch, h, wd));
    TRY(pan_vae_norm_silu(c, vc, b->t1, b->x, &w->enc_norm_out_w,
                          &w->enc_norm_out_b, n, ch, h, wd));
    /* conv_out's first z output channels are the mean: convolve with that
     * row slice of the weight straight into latent (n, z, h, wd). */
    const int64_t z = vc->latent_channels;
    pan_tensor in, mean_w, mean_b;
    TRY(pan_tensor_init(&in, b->t1, PAN_DTYPE_F32, 4, PAN_SHAPE(n, ch, h, wd)));
    TRY(pan_tensor_slice(&w->enc_conv_out_w, 0, 0, z, &mean_w));
    TRY(pan_tensor_slice(&w->enc_conv_out_b, 0, 0, z, &mean_b));
    TRY(pan_compute_conv2d(c, latent, &in, &mean_w, &mean_b, 1, 1));
    if (vc->scaling_factor != 1.0f) {
        float *lat = latent->data; /* (n, z, h, wd) */
        int64_t count = pan_tensor_numel(latent);
        for (int64_t i = 0; i < count; i++) lat[i] *= vc->scaling_factor;
    }
    return PAN_OK;
}

pan_status pan_vae_encode(pan_compute *c, const pan_model *m,
                          pan_arena *scratch, const pan_tensor *images,
                          pan_tensor *latent) {
    if (!c || !m || !scratch)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "vae_encode: compute, model and scratch are required");
    int64_t n = 0;
    TRY(check_pair("vae_encode", &m->config, images, latent, true, &n));
    size_t mark = pan_arena_mark(scratch);
    pan_vae_bufs bufs;
    TRY_REWIND(take_bufs(scratch, &m->config, n, &bufs));
    TRY_REWIND(encode(c, m, &bufs, images, latent, n));
    pan_arena_rewind(scratch, mark);
    return PAN_OK;
}

/* ---- decode ---- */

static pan_status decode(pan_compute *c, const pan_model *m, pan_vae_bufs *b,
                         const pan_tensor *z_in, pan_tensor *images, int64_t n) {
    const pan_model_config *cfg = &m->config;
    const pan_vae_config *vc = &cfg->vae;
    const pan_vae_weights *w = &m->w.vae;
    const int levels = vc->levels;
    int64_t h = pan_latent_height(cfg), wd = pan_latent_width(cfg);
    int64_t ch = pan_vae_level_channels(cfg, levels - 1);

    pan_tensor x; /* (n, ch, h, wd) */
    TRY(pan_tensor_init(&x, b->x, PAN_DTYPE_F32, 4, PAN_SHAPE(n, ch, h, wd)));
    TRY(pan_compute_conv2d(c, &x, z_in, &w->dec_conv_in_w, &w->dec_conv_in_b,
                           1, 1));
    TRY(pan_vae_resblock(c, vc, &w->dec_mid, b, n, ch, ch, h, wd));
    for (int i = levels - 1; i >= 0; i--) {
        int64_t cout = pan_vae_level_channels(cfg, i);
        for (int j = 0; j < vc->res_blocks; j++) {
            TRY(pan_vae_resblock(c, vc, &w->up[i].blocks[j], b, n, ch, cout,
                                 h, wd));
            ch = cout;
        }
        if (i > 0) {
            pan_tensor in, big, out; /* (n,ch,h,wd) -> (n,ch,2h,2wd) twice */
            TRY(pan_tensor_init(&in, b->x, PAN_DTYPE_F32, 4,
                                PAN_SHAPE(n, ch, h, wd)));
            TRY(pan_tensor_init(&big, b->t1, PAN_DTYPE_F32, 4,
                                PAN_SHAPE(n, ch, 2 * h, 2 * wd)));
            TRY(pan_tensor_init(&out, b->x, PAN_DTYPE_F32, 4,
                                PAN_SHAPE(n, ch, 2 * h, 2 * wd)));
            TRY(pan_compute_upsample_nearest(c, &big, &in, 2));
            TRY(pan_compute_conv2d(c, &out, &big, &w->up[i].resample_w,
                                   &w->up[i].resample_b, 1, 1));
            h *= 2;
            wd *= 2;
        }
    }
    TRY(pan_vae_norm_silu(c, vc, b->t1, b->x, &w->dec_norm_out_w,
                          &w->dec_norm_out_b, n, ch, h, wd));
    pan_tensor in; /* (n, ch0, H, W) */
    TRY(pan_tensor_init(&in, b->t1, PAN_DTYPE_F32, 4, PAN_SHAPE(n, ch, h, wd)));
    return pan_compute_conv2d(c, images, &in, &w->dec_conv_out_w,
                              &w->dec_conv_out_b, 1, 1);
}

pan_status pan_vae_decode(pan_compute *c, const pan_model *m,
                          pan_arena *scratch, const pan_tensor *latent,
                          pan_tensor *images) {
    if (!c || !m || !scratch)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "vae_decode: compute, model and scratch are required");
    int64_t n = 0;
    TRY(check_pair("vae_decode", &m->config, images, latent, false, &n));
    const float s = m->config.vae.scaling_factor;
    size_t mark = pan_arena_mark(scratch);
    pan_vae_bufs bufs;
    TRY_REWIND(take_bufs(scratch, &m->config, n, &bufs));
    pan_tensor z_in = *latent; /* (n, z, h, w) */
    if (s != 1.0f) {
        int64_t count = pan_tensor_numel(latent);
        float *scaled = pan_arena_alloc(scratch, (size_t)count * sizeof(float),
                                        PAN_ARENA_ALIGN); /* (n, z, h, w) */
        if (!scaled) {
            pan_arena_rewind(scratch, mark);
            return PAN_ERR_RESOURCE_EXHAUSTED;
        }
        const float *src = latent->data;
        for (int64_t i = 0; i < count; i++) scaled[i] = src[i] / s;
        z_in.data = scaled;
    }
    TRY_REWIND(decode(c, m, &bufs, &z_in, images, n));
    pan_arena_rewind(scratch, mark);
    return PAN_OK;
}
