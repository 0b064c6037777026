/* core/train/stage_vae.c: stage vae (docs/training.md): the reconstruction
 * L1 plus kl_weight times the KL of the encoder's Gaussian against N(0, 1),
 * through the reparameterised sample zs = mean + exp(logvar / 2) eps and the
 * decoder, and its gradients (contract in stages.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/model/vae/vae_train.h"
#include "core/train/stages.h"

#define TRY(expr)                                                              \
    do {                                                                       \
        pan_status s_ = (expr);                                                \
        if (s_ != PAN_OK) return s_;                                           \
    } while (0)

struct pan_vae_stage {
    pan_model_config cfg;
    int max_batch;
    pan_vae_train *vae;
    pan_arena arena;
    float *moments, *dmoments; /* (B, 2z, h, w) */
    float *mean, *logvar;      /* (B, z, h, w) */
    float *dmean, *dlogvar;    /* (B, z, h, w) */
    float *latent, *dlatent;   /* (B, z, h, w) scaling_factor * zs */
    float *recon, *drecon;     /* (B, C, H, W) */
};

static int64_t latent_floats(const pan_model_config *cfg) {
    return (int64_t)cfg->vae.latent_channels * pan_latent_height(cfg) *
           pan_latent_width(cfg);
}

static int64_t image_floats(const pan_model_config *cfg) {
    return (int64_t)cfg->frame.channels * cfg->frame.height * cfg->frame.width;
}

static void carve(void *ctx, pan_arena_carver *cv) {
    pan_vae_stage *s = ctx;
    size_t b = (size_t)s->max_batch, f = sizeof(float);
    size_t lf = (size_t)latent_floats(&s->cfg), im = (size_t)image_floats(&s->cfg);
    pan_arena_take(cv, (void **)&s->moments, 2 * b * lf * f);
    pan_arena_take(cv, (void **)&s->dmoments, 2 * b * lf * f);
    float **lat[] = {&s->mean, &s->logvar, &s->dmean, &s->dlogvar, &s->latent,
                     &s->dlatent};
    for (size_t i = 0; i < sizeof lat / sizeof lat[0]; i++)
        pan_arena_take(cv, (void **)lat[i], b * lf * f);
    pan_arena_take(cv, (void **)&s->recon, b * im * f);
    pan_arena_take(cv, (void **)&s->drecon, b * im * f);
}

pan_status pan_vae_stage_create(pan_vae_stage **out,
                                const pan_model_config *cfg, int max_batch) {
    if (!out || !cfg)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "vae stage: expected a config and an output");
    pan_vae_stage *s = calloc(1, sizeof *s);
    if (!s)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "vae stage: out of memory");
    s->cfg = *cfg;
    s->max_batch = max_batch;
    pan_status st = pan_vae_train_create(&s->vae, cfg, max_batch);
    if (st == PAN_OK)
        st = pan_arena_carve(&s->arena, "vae stage buffers", carve, s, NULL);
    if (st != PAN_OK) {
        pan_vae_stage_destroy(s);
        return st;
    }
    *out = s;
    return PAN_OK;
}

void pan_vae_stage_destroy(pan_vae_stage *s) {
    if (!s) return;
    pan_vae_train_destroy(s->vae);
    pan_arena_free(&s->arena);
    free(s);
}

static pan_tensor t4(float *data, int64_t n, int64_t c, int64_t h, int64_t w) {
    pan_tensor t;
    pan_tensor_init(&t, data, PAN_DTYPE_F32, 4, PAN_SHAPE(n, c, h, w));
    return t;
}

pan_status pan_vae_stage_loss(pan_compute *c, const pan_model *m,
                              pan_vae_stage *s, int batch, const float *images,
                              const float *eps, float kl_weight,
                              const float *weights, pan_model_weights *grads,
                              double *loss) {
    static const char *fn = "vae stage loss";
    if (!c || !m || !s || !images || !eps || !loss)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: compute, model, stage, images, eps and loss "
                             "are required", fn);
    if (batch < 1 || batch > s->max_batch)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: batch %d, expected 1..%d", fn, batch,
                             s->max_batch);
    if (!(kl_weight >= 0.0f) || !isfinite(kl_weight))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: kl_weight %g, expected a finite value >= 0",
                             fn, (double)kl_weight);
    for (int b = 0; weights && b < batch; b++)
        if (!isfinite(weights[b]))
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "%s: item %d weight is not finite", fn, b);
    const pan_model_config *cfg = &s->cfg;
    const int64_t z = cfg->vae.latent_channels, lh = pan_latent_height(cfg);
    const int64_t lw = pan_latent_width(cfg), lf = latent_floats(cfg);
    const float sf = cfg->vae.scaling_factor;
    pan_tensor img;
    pan_tensor_init(&img, (void *)images, PAN_DTYPE_F32, 4,
                    PAN_SHAPE(batch, cfg->frame.channels, cfg->frame.height,
                              cfg->frame.width));
    pan_tensor mom = t4(s->moments, batch, 2 * z, lh, lw);
    TRY(pan_vae_train_encode(c, m, s->vae, &img, &mom));
    for (int b = 0; b < batch; b++) {
        memcpy(s->mean + b * lf, s->moments + 2 * b * lf,
               (size_t)lf * sizeof(float));
        memcpy(s->logvar + b * lf, s->moments + (2 * b + 1) * lf,
               (size_t)lf * sizeof(float));
    }
    for (int64_t i = 0; i < (int64_t)batch * lf; i++) {
        float zs = s->mean[i] + expf(0.5f * s->logvar[i]) * eps[i];
        s->latent[i] = sf * zs;
    }
    pan_tensor lat = t4(s->latent, batch, z, lh, lw);
    pan_tensor rec = t4(s->recon, batch, cfg->frame.channels, cfg->frame.height,
                        cfg->frame.width);
    TRY(pan_vae_train_decode(c, m, s->vae, &lat, &rec));
    /* L1 over the images with the item weights */
    pan_tensor w, l, drec = t4(s->drecon, batch, cfg->frame.channels,
                               cfg->frame.height, cfg->frame.width);
    float value = 0.0f;
    pan_tensor_init(&w, (void *)weights, PAN_DTYPE_F32, 1, PAN_SHAPE(batch));
    pan_tensor_init(&l, &value, PAN_DTYPE_F32, 1, PAN_SHAPE(1));
    if (grads) {
        memset(s->drecon, 0,
               (size_t)(batch * image_floats(cfg)) * sizeof(float));
        memset(s->dmean, 0, (size_t)(batch * lf) * sizeof(float));
        memset(s->dlogvar, 0, (size_t)(batch * lf) * sizeof(float));
    }
    TRY(pan_compute_l1_loss(c, &rec, &img, weights ? &w : NULL, 1.0f, &l,
                            grads ? &drec : NULL));
    double total = value;
    /* KL item by item: its weight is w_b kl_weight / B */
    for (int b = 0; b < batch && kl_weight > 0.0f; b++) {
        float scale = kl_weight * (weights ? weights[b] : 1.0f) / (float)batch;
        pan_tensor mb = t4(s->mean + b * lf, 1, z, lh, lw);
        pan_tensor vb = t4(s->logvar + b * lf, 1, z, lh, lw);
        pan_tensor dmb = t4(s->dmean + b * lf, 1, z, lh, lw);
        pan_tensor dvb = t4(s->dlogvar + b * lf, 1, z, lh, lw);
        TRY(pan_compute_kl_loss(c, &mb, &vb, scale, &l, grads ? &dmb : NULL,
                                grads ? &dvb : NULL));
        total += (double)scale * (double)value;
    }
    *loss = total;
    if (!grads) return PAN_OK;
    pan_tensor dlat = t4(s->dlatent, batch, z, lh, lw);
    memset(s->dlatent, 0, (size_t)(batch * lf) * sizeof(float));
    TRY(pan_vae_train_decode_backward(c, m, s->vae, &drec, grads, &dlat));
    for (int64_t i = 0; i < (int64_t)batch * lf; i++) {
        float dzs = sf * s->dlatent[i];
        s->dmean[i] += dzs;
        s->dlogvar[i] += dzs * eps[i] * 0.5f * expf(0.5f * s->logvar[i]);
    }
    for (int b = 0; b < batch; b++) {
        memcpy(s->dmoments + 2 * b * lf, s->dmean + b * lf,
               (size_t)lf * sizeof(float));
        memcpy(s->dmoments + (2 * b + 1) * lf, s->dlogvar + b * lf,
               (size_t)lf * sizeof(float));
    }
    pan_tensor dmom = t4(s->dmoments, batch, 2 * z, lh, lw);
    return pan_vae_train_encode_backward(c, m, s->vae, &dmom, grads);
}
