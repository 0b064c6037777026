/* core/train/window_loss.c: the flow-matching loss of a batch of training
 * windows and its backward (contract in window_loss.h). */
#include "core/train/window_loss.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/model/decoder/decoder_train.h"

#define TRY(expr)                                                              \
    do {                                                                       \
        pan_status s_ = (expr);                                                \
        if (s_ != PAN_OK) return s_;                                           \
    } while (0)

struct pan_window_loss {
    pan_model_config cfg;
    int max_batch;
    pan_decoder_train *dec;
    pan_arena arena;
    float *sigma;   /* (B, n) */
    float *xs;      /* (B, n, F) x_sigma */
    float *v;       /* (B, n, F) velocity */
    float *pred;    /* (B, n-1, F) */
    float *target;  /* (B, n-1, F) */
    float *dpred;   /* (B, n-1, F) */
    float *dout;    /* (B, n, F) */
    float *w;       /* (B) weights * weight_scale */
};

int pan_window_frames(const pan_model_config *cfg, pan_window_kind kind) {
    return (kind == PAN_WINDOW_PAIR ? 2 : 1) * cfg->frame.chunk_frames + 1;
}

int pan_window_conds(pan_window_kind kind) {
    return kind == PAN_WINDOW_PAIR ? 2 : 1;
}

static int64_t frame_floats(const pan_model_config *cfg) {
    return (int64_t)cfg->vae.latent_channels * pan_latent_height(cfg) *
           pan_latent_width(cfg);
}

static void carve(void *ctx, pan_arena_carver *cv) {
    pan_window_loss *wl = ctx;
    size_t b = (size_t)wl->max_batch, f = sizeof(float);
    size_t n = (size_t)pan_window_frames(&wl->cfg, PAN_WINDOW_PAIR);
    size_t ff = (size_t)frame_floats(&wl->cfg);
    pan_arena_take(cv, (void **)&wl->sigma, b * n * f);
    pan_arena_take(cv, (void **)&wl->xs, b * n * ff * f);
    pan_arena_take(cv, (void **)&wl->v, b * n * ff * f);
    pan_arena_take(cv, (void **)&wl->pred, b * (n - 1) * ff * f);
    pan_arena_take(cv, (void **)&wl->target, b * (n - 1) * ff * f);
    pan_arena_take(cv, (void **)&wl->dpred, b * (n - 1) * ff * f);
    pan_arena_take(cv, (void **)&wl->dout, b * n * ff * f);
    pan_arena_take(cv, (void **)&wl->w, b * f);
}

pan_status pan_window_loss_create(pan_window_loss **out,
                                  const pan_model_config *cfg, int max_batch) {
    pan_window_loss *wl = calloc(1, sizeof *wl);
    if (!wl)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "window loss: out of memory");
    wl->cfg = *cfg;
    wl->max_batch = max_batch;
    pan_status st = pan_decoder_train_create(&wl->dec, cfg, max_batch);
    if (st == PAN_OK)
        st = pan_arena_carve(&wl->arena, "window loss buffers", carve, wl,
                             NULL);
    if (st != PAN_OK) {
        pan_window_loss_destroy(wl);
        return st;
    }
    *out = wl;
    return PAN_OK;
}

void pan_window_loss_destroy(pan_window_loss *wl) {
    if (!wl) return;
    pan_decoder_train_destroy(wl->dec);
    pan_arena_free(&wl->arena);
    free(wl);
}

pan_status pan_window_loss_check(const pan_window_loss *wl,
                                 pan_window_kind kind, int batch,
                                 const float *k, const char *where) {
    if (kind != PAN_WINDOW_FIRST && kind != PAN_WINDOW_PAIR)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: window kind %d, expected first (0) or pair "
                             "(1)", where, (int)kind);
    if (batch < 1 || batch > wl->max_batch)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: batch %d, expected 1..%d", where, batch,
                             wl->max_batch);
    if (!k)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: the noise levels k are NULL", where);
    float top = kind == PAN_WINDOW_PAIR ? 0.5f : 1.0f;
    for (int b = 0; b < batch; b++)
        if (!(k[b] >= 0.0f && k[b] <= top))
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "%s: item %d noise level k = %g, expected a "
                                 "value in [0, %g] for a %s window", where, b,
                                 (double)k[b], (double)top,
                                 kind == PAN_WINDOW_PAIR ? "pair" : "first");
    return PAN_OK;
}

/* The window's frames (slot, block, cond) of docs/training.md. */
static void layout(const pan_model_config *cfg, pan_window_kind kind,
                   pan_decoder_frame *frames) {
    int K = cfg->frame.chunk_frames;
    frames[0] = (pan_decoder_frame){.slot = 0, .block = 0, .cond = -1};
    for (int j = 0; j < K; j++) {
        if (kind == PAN_WINDOW_PAIR) {
            frames[1 + j] = (pan_decoder_frame){.slot = 1 + j, .block = 1, .cond = 0};
            frames[1 + K + j] = (pan_decoder_frame){.slot = K + 1 + j, .block = 2, .cond = 1};
        } else {
            frames[1 + j] = (pan_decoder_frame){.slot = K + 1 + j, .block = 2, .cond = 0};
        }
    }
}

pan_status pan_window_loss_run(pan_compute *c, const pan_model *m,
                               pan_window_loss *wl, pan_window_kind kind,
                               int batch, const float *x1, const float *x0,
                               const float *k,
                               const pan_decoder_condition *conds,
                               const float *weights, float weight_scale,
                               pan_model_weights *grads, float *dstates,
                               double *loss) {
    static const char *fn = "window loss";
    TRY(pan_window_loss_check(wl, kind, batch, k, fn));
    if (!x1 || !x0 || !conds || !loss)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: x1, x0, conditions and loss must not be "
                             "NULL", fn);
    const pan_model_config *cfg = &wl->cfg;
    const int n = pan_window_frames(cfg, kind), K = cfg->frame.chunk_frames;
    const int n_conds = pan_window_conds(kind);
    const int64_t ff = frame_floats(cfg);
    pan_decoder_frame frames[2 * 256 + 1];
    layout(cfg, kind, frames);
    for (int b = 0; b < batch; b++)
        for (int j = 0; j < n; j++) {
            float s = j == 0 ? cfg->decoder.cond_noise
                     : j <= K ? k[b]
                              : k[b] + 0.5f;
            wl->sigma[b * n + j] = s;
            const float *a = x1 + ((int64_t)b * n + j) * ff;
            const float *e = x0 + ((int64_t)b * n + j) * ff;
            float *o = wl->xs + ((int64_t)b * n + j) * ff;
            for (int64_t i = 0; i < ff; i++) o[i] = (1.0f - s) * a[i] + s * e[i];
        }
    TRY(pan_decoder_train_forward(c, m, wl->dec, batch, n, frames, wl->sigma,
                                  wl->xs, conds, n_conds, wl->v));
    const int64_t per = (int64_t)(n - 1) * ff;
    for (int b = 0; b < batch; b++) {
        memcpy(wl->pred + b * per, wl->v + ((int64_t)b * n + 1) * ff,
               (size_t)per * sizeof(float));
        const float *a = x1 + ((int64_t)b * n + 1) * ff;
        const float *e = x0 + ((int64_t)b * n + 1) * ff;
        float *t = wl->target + b * per;
        for (int64_t i = 0; i < per; i++) t[i] = a[i] - e[i];
        wl->w[b] = (weights ? weights[b] : 1.0f) * weight_scale;
    }
    pan_tensor pred, target, w, l, dp;
    float value = 0.0f;
    pan_tensor_init(&pred, wl->pred, PAN_DTYPE_F32, 2, PAN_SHAPE(batch, per));
    pan_tensor_init(&target, wl->target, PAN_DTYPE_F32, 2, PAN_SHAPE(batch,
                                                                     per));
    pan_tensor_init(&w, wl->w, PAN_DTYPE_F32, 1, PAN_SHAPE(batch));
    pan_tensor_init(&l, &value, PAN_DTYPE_F32, 1, PAN_SHAPE(1));
    pan_tensor_init(&dp, wl->dpred, PAN_DTYPE_F32, 2, PAN_SHAPE(batch, per));
    if (grads) memset(wl->dpred, 0, (size_t)(batch * per) * sizeof(float));
    TRY(pan_compute_mse_loss(c, &pred, &target, &w, 1.0f, &l,
                             grads ? &dp : NULL));
    *loss += value;
    if (!grads) return PAN_OK;
    memset(wl->dout, 0, (size_t)(batch * n * ff) * sizeof(float));
    for (int b = 0; b < batch; b++)
        memcpy(wl->dout + ((int64_t)b * n + 1) * ff, wl->dpred + b * per,
               (size_t)per * sizeof(float));
    return pan_decoder_train_backward(c, m, wl->dec, wl->dout, grads, dstates,
                                      NULL);
}
