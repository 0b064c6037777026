/* core/train/stage_decoder.c: stage decoder (docs/training.md): the
 * decoder's flow-matching loss on training windows conditioned on the true
 * next state h(zs) and the action, back-propagated into the decoder and
 * through h(zs) into the encoder h (contract in stages.h). */
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/model/encoder/vit_train.h"
#include "core/train/stages.h"
#include "core/train/window_loss.h"

#define TRY(expr)                                                              \
    do {                                                                       \
        pan_status s_ = (expr);                                                \
        if (s_ != PAN_OK) return s_;                                           \
    } while (0)

struct pan_decoder_stage {
    pan_model_config cfg;
    int max_batch;
    pan_vit_train *vit;
    pan_window_loss *wl;
    pan_arena arena;
    float *states, *dstates;       /* (B, C, Q, d) */
    pan_decoder_condition *conds;  /* (B, C) */
};

static pan_status need_s_equals_q(const pan_model_config *cfg, const char *fn) {
    if (pan_state_tokens(cfg) != cfg->backbone.queries)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: the encoder's state tokens S = %d must equal "
                             "backbone.queries Q = %d (h(.) stands for the "
                             "predicted state)", fn, pan_state_tokens(cfg),
                             cfg->backbone.queries);
    return PAN_OK;
}

static void carve(void *ctx, pan_arena_carver *cv) {
    pan_decoder_stage *s = ctx;
    size_t cr = (size_t)s->max_batch * 2;
    size_t qd = (size_t)s->cfg.backbone.queries * (size_t)s->cfg.backbone.dim;
    pan_arena_take(cv, (void **)&s->states, cr * qd * sizeof(float));
    pan_arena_take(cv, (void **)&s->dstates, cr * qd * sizeof(float));
    pan_arena_take(cv, (void **)&s->conds, cr * sizeof *s->conds);
}

pan_status pan_decoder_stage_create(pan_decoder_stage **out,
                                    const pan_model_config *cfg,
                                    int max_batch) {
    if (!out || !cfg)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "decoder stage: expected a config and an output");
    TRY(pan_model_config_validate(cfg));
    TRY(need_s_equals_q(cfg, "decoder stage"));
    if (max_batch < 1 || max_batch > 4096)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "decoder stage: max_batch must be 1..4096, got %d",
                             max_batch);
    pan_decoder_stage *s = calloc(1, sizeof *s);
    if (!s)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "decoder stage: out of memory");
    s->cfg = *cfg;
    s->max_batch = max_batch;
    pan_status st = pan_vit_train_create(&s->vit, cfg, 2 * max_batch);
    if (st == PAN_OK) st = pan_window_loss_create(&s->wl, cfg, max_batch);
    if (st == PAN_OK)
        st = pan_arena_carve(&s->arena, "decoder stage buffers", carve, s,
                             NULL);
    if (st != PAN_OK) {
        pan_decoder_stage_destroy(s);
        return st;
    }
    *out = s;
    return PAN_OK;
}

void pan_decoder_stage_destroy(pan_decoder_stage *s) {
    if (!s) return;
    pan_vit_train_destroy(s->vit);
    pan_window_loss_destroy(s->wl);
    pan_arena_free(&s->arena);
    free(s);
}

pan_status pan_decoder_stage_loss(pan_compute *c, const pan_model *m,
                                  pan_decoder_stage *s, pan_window_kind kind,
                                  int batch, const float *x1, const float *x0,
                                  const float *k,
                                  const pan_train_action *actions,
                                  const float *state_latents,
                                  const float *weights,
                                  pan_model_weights *grads, double *loss) {
    static const char *fn = "decoder stage loss";
    if (!c || !m || !s || !x1 || !x0 || !actions || !state_latents || !loss)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: compute, model, stage, x1, x0, actions, "
                             "state_latents and loss are required", fn);
    TRY(pan_window_loss_check(s->wl, kind, batch, k, fn));
    const pan_model_config *cfg = &s->cfg;
    const int n_conds = pan_window_conds(kind);
    for (int i = 0; i < batch * n_conds; i++)
        if (!actions[i].dropped &&
            (actions[i].len < 0 || actions[i].len > cfg->tokenizer.max_action_bytes ||
             (actions[i].len > 0 && !actions[i].bytes)))
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "%s: item %d condition %d: action of %d bytes "
                                 "(%s), expected 0..%d", fn, i / n_conds,
                                 i % n_conds, actions[i].len,
                                 actions[i].bytes ? "given" : "NULL",
                                 cfg->tokenizer.max_action_bytes);
    const int64_t qd = (int64_t)cfg->backbone.queries * cfg->backbone.dim;
    const int cr = batch * n_conds;
    pan_tensor lat, tok;
    pan_tensor_init(&lat, (void *)state_latents, PAN_DTYPE_F32, 4,
                    PAN_SHAPE(cr, cfg->vae.latent_channels,
                              pan_latent_height(cfg), pan_latent_width(cfg)));
    pan_tensor_init(&tok, s->states, PAN_DTYPE_F32, 3,
                    PAN_SHAPE(cr, pan_state_tokens(cfg), cfg->backbone.dim));
    TRY(pan_vit_train_forward(c, m, s->vit, &lat, &tok));
    for (int i = 0; i < cr; i++)
        s->conds[i] = (pan_decoder_condition){.null = actions[i].dropped,
                                              .state = s->states + i * qd,
                                              .action = actions[i].bytes,
                                              .action_len = actions[i].len};
    if (grads) memset(s->dstates, 0, (size_t)(cr * qd) * sizeof(float));
    *loss = 0.0;
    TRY(pan_window_loss_run(c, m, s->wl, kind, batch, x1, x0, k, s->conds,
                            weights, 1.0f, grads, grads ? s->dstates : NULL,
                            loss));
    if (!grads) return PAN_OK;
    pan_tensor dtok;
    pan_tensor_init(&dtok, s->dstates, PAN_DTYPE_F32, 3,
                    PAN_SHAPE(cr, pan_state_tokens(cfg), cfg->backbone.dim));
    return pan_vit_train_backward(c, m, s->vit, &dtok, grads, NULL);
}
