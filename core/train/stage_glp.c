/* core/train/stage_glp.c: stage glp (docs/training.md): per item one
 * teacher-forced backbone pass over R rounds (round 0: h(z0); round r:
 * [p_r, h(last frame of chunk r-1)], p_r a constant), then R decoder
 * windows conditioned on the backbone's predictions; L_b = (1/R) sum of
 * the window losses. The gradient runs window by window into the
 * predictions, through the backbone into the state tokens, and through
 * the h(.) rows into the encoder h (contract in stages.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/model/backbone/backbone_train.h"
#include "core/model/encoder/vit_train.h"
#include "core/train/stages.h"
#include "core/train/window_loss.h"

#define TRY(expr)                                                              \
    do {                                                                       \
        pan_status s_ = (expr);                                                \
        if (s_ != PAN_OK) return s_;                                           \
    } while (0)

struct pan_glp_stage {
    pan_model_config cfg;
    int max_batch, max_rounds;
    pan_vit_train *vit;
    pan_backbone_train *bb;
    pan_window_loss *wl;
    pan_arena arena;
    float *lat;          /* (B*R, z, h, w) the latents h sees */
    float *h, *dh;       /* (B*R, S, d) */
    float *rs, *drs;     /* (B*R, Q+S, d) round states, packed */
    float *shat, *dshat; /* (B*R, Q, d) */
    float *x1;           /* (B, 2K+1, z, h, w) one window */
    float *dst;          /* (B, 2, Q, d) one window's state gradients */
    pan_decoder_condition *conds;  /* (B, 2) */
    pan_backbone_round *rounds;    /* (B*R) */
    pan_backbone_sequence *seqs;   /* (B) */
};

static void carve(void *ctx, pan_arena_carver *cv) {
    pan_glp_stage *s = ctx;
    const pan_model_config *cfg = &s->cfg;
    size_t br = (size_t)s->max_batch * (size_t)s->max_rounds, f = sizeof(float);
    size_t ff = (size_t)cfg->vae.latent_channels *
                (size_t)(pan_latent_height(cfg) * pan_latent_width(cfg));
    size_t d = (size_t)cfg->backbone.dim, q = (size_t)cfg->backbone.queries;
    size_t st = (size_t)pan_state_tokens(cfg);
    size_t n = 2 * (size_t)cfg->frame.chunk_frames + 1;
    pan_arena_take(cv, (void **)&s->lat, br * ff * f);
    pan_arena_take(cv, (void **)&s->h, br * st * d * f);
    pan_arena_take(cv, (void **)&s->dh, br * st * d * f);
    pan_arena_take(cv, (void **)&s->rs, br * (q + st) * d * f);
    pan_arena_take(cv, (void **)&s->drs, br * (q + st) * d * f);
    pan_arena_take(cv, (void **)&s->shat, br * q * d * f);
    pan_arena_take(cv, (void **)&s->dshat, br * q * d * f);
    pan_arena_take(cv, (void **)&s->x1, (size_t)s->max_batch * n * ff * f);
    pan_arena_take(cv, (void **)&s->dst, (size_t)s->max_batch * 2 * q * d * f);
    pan_arena_take(cv, (void **)&s->conds,
                   (size_t)s->max_batch * 2 * sizeof *s->conds);
    pan_arena_take(cv, (void **)&s->rounds, br * sizeof *s->rounds);
    pan_arena_take(cv, (void **)&s->seqs,
                   (size_t)s->max_batch * sizeof *s->seqs);
}

pan_status pan_glp_stage_create(pan_glp_stage **out,
                                const pan_model_config *cfg, int max_batch,
                                int max_rounds) {
    if (!out || !cfg)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "glp stage: expected a config and an output");
    TRY(pan_model_config_validate(cfg));
    if (pan_state_tokens(cfg) != cfg->backbone.queries)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "glp stage: the encoder's state tokens S = %d "
                             "must equal backbone.queries Q = %d",
                             pan_state_tokens(cfg), cfg->backbone.queries);
    if (max_batch < 1 || max_batch > 4096 || max_rounds < 1 || max_rounds > 4096)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "glp stage: max_batch %d and max_rounds %d must "
                             "be 1..4096", max_batch, max_rounds);
    pan_glp_stage *s = calloc(1, sizeof *s);
    if (!s)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "glp stage: out of memory");
    s->cfg = *cfg;
    s->max_batch = max_batch;
    s->max_rounds = max_rounds;
    int64_t tokens = (int64_t)max_batch * max_rounds *
                     pan_backbone_max_round_tokens(cfg);
    pan_status st = pan_vit_train_create(&s->vit, cfg, max_batch * max_rounds);
    if (st == PAN_OK) st = pan_backbone_train_create(&s->bb, cfg, max_batch,
                                                     tokens);
    if (st == PAN_OK) st = pan_window_loss_create(&s->wl, cfg, max_batch);
    if (st == PAN_OK)
        st = pan_arena_carve(&s->arena, "glp stage buffers", carve, s, NULL);
    if (st != PAN_OK) {
        pan_glp_stage_destroy(s);
        return st;
    }
    *out = s;
    return PAN_OK;
}

void pan_glp_stage_destroy(pan_glp_stage *s) {
    if (!s) return;
    pan_vit_train_destroy(s->vit);
    pan_backbone_train_destroy(s->bb);
    pan_window_loss_destroy(s->wl);
    pan_arena_free(&s->arena);
    free(s);
}

static pan_status validate(const pan_glp_stage *s, int batch, int rounds,
                           const float *z0, const float *chunks,
                           const pan_train_action *actions, const float *prev,
                           const pan_glp_window_noise *windows) {
    static const char *fn = "glp stage loss";
    if (batch < 1 || batch > s->max_batch || rounds < 1 || rounds > s->max_rounds)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: batch %d of %d rounds, expected 1..%d and "
                             "1..%d", fn, batch, rounds, s->max_batch,
                             s->max_rounds);
    if (!z0 || !chunks || !actions || !windows || (rounds > 1 && !prev))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: z0, chunks, actions, windows (and prev when "
                             "rounds > 1) are required", fn);
    for (int i = 0; i < batch * rounds; i++)
        if (actions[i].len < 0 ||
            actions[i].len > s->cfg.tokenizer.max_action_bytes ||
            (actions[i].len > 0 && !actions[i].bytes))
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "%s: item %d round %d: action of %d bytes, "
                                 "expected 0..%d", fn, i / rounds, i % rounds,
                                 actions[i].len,
                                 s->cfg.tokenizer.max_action_bytes);
    for (int r = 0; r < rounds; r++) {
        if (!windows[r].x0 || !windows[r].dropped)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "%s: window %d needs its noise x0 and its "
                                 "dropout flags", fn, r);
        TRY(pan_window_loss_check(s->wl,
                                  r == 0 ? PAN_WINDOW_FIRST : PAN_WINDOW_PAIR,
                                  batch, windows[r].k, fn));
    }
    return PAN_OK;
}

/* Window r's clean frames of every item: first [z0, C_0]; pair [z0 or the
 * last frame of C_{r-2}, C_{r-1}, C_r]. */
static void window_frames(const pan_glp_stage *s, int batch, int rounds, int r,
                          const float *z0, const float *chunks) {
    const pan_model_config *cfg = &s->cfg;
    const int64_t K = cfg->frame.chunk_frames;
    const int64_t ff = (int64_t)cfg->vae.latent_channels *
                       pan_latent_height(cfg) * pan_latent_width(cfg);
    const int n = pan_window_frames(cfg,
                                    r == 0 ? PAN_WINDOW_FIRST : PAN_WINDOW_PAIR);
    const size_t fb = (size_t)ff * sizeof(float);
    for (int b = 0; b < batch; b++) {
        float *x = s->x1 + (int64_t)b * n * ff;
        const float *item = chunks + (int64_t)b * rounds * K * ff; /* (R, K, F) */
        const float *cond = r <= 1 ? z0 + b * ff : item + ((r - 2) * K + K - 1) * ff;
        memcpy(x, cond, fb);
        if (r == 0) {
            memcpy(x + ff, item, (size_t)K * fb);
        } else {
            memcpy(x + ff, item + (r - 1) * K * ff, (size_t)K * fb);
            memcpy(x + (1 + K) * ff, item + r * K * ff, (size_t)K * fb);
        }
    }
}

pan_status pan_glp_stage_loss(pan_compute *c, const pan_model *m,
                              pan_glp_stage *s, int batch, int rounds,
                              const float *z0, const float *chunks,
                              const pan_train_action *actions,
                              const float *prev,
                              const pan_glp_window_noise *windows,
                              const float *weights, pan_model_weights *grads,
                              double *loss) {
    if (!c || !m || !s || !loss)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "glp stage loss: compute, model, stage and loss "
                             "are required");
    TRY(validate(s, batch, rounds, z0, chunks, actions, prev, windows));
    const pan_model_config *cfg = &s->cfg;
    const int64_t K = cfg->frame.chunk_frames, d = cfg->backbone.dim;
    const int64_t Q = cfg->backbone.queries, S = pan_state_tokens(cfg);
    const int64_t ff = (int64_t)cfg->vae.latent_channels *
                       pan_latent_height(cfg) * pan_latent_width(cfg);
    const int br = batch * rounds;
    /* h of z0 and of every chunk's last frame but the last chunk's */
    for (int b = 0; b < batch; b++)
        for (int r = 0; r < rounds; r++) {
            const float *src = r == 0 ? z0 + b * ff
                                      : chunks + (((int64_t)b * rounds + r - 1) * K + K - 1) * ff;
            memcpy(s->lat + ((int64_t)b * rounds + r) * ff, src,
                   (size_t)ff * sizeof(float));
        }
    pan_tensor lat, tok;
    pan_tensor_init(&lat, s->lat, PAN_DTYPE_F32, 4,
                    PAN_SHAPE(br, cfg->vae.latent_channels,
                              pan_latent_height(cfg), pan_latent_width(cfg)));
    pan_tensor_init(&tok, s->h, PAN_DTYPE_F32, 3, PAN_SHAPE(br, S, d));
    TRY(pan_vit_train_forward(c, m, s->vit, &lat, &tok));
    /* the rounds: state tokens packed in s->rs, in backbone order */
    int64_t row = 0;
    for (int b = 0; b < batch; b++) {
        for (int r = 0; r < rounds; r++) {
            int i = b * rounds + r;
            float *st = s->rs + row * d;
            int64_t n_state = r == 0 ? S : Q + S;
            if (r > 0)
                memcpy(st, prev + ((int64_t)b * (rounds - 1) + r - 1) * Q * d,
                       (size_t)(Q * d) * sizeof(float));
            memcpy(st + (r == 0 ? 0 : Q * d), s->h + (int64_t)i * S * d,
                   (size_t)(S * d) * sizeof(float));
            s->rounds[i] = (pan_backbone_round){.state = st, .n_state = (int)n_state,
                                                .action = actions[i].bytes,
                                                .action_len = (size_t)actions[i].len};
            row += n_state;
        }
        s->seqs[b] = (pan_backbone_sequence){.rounds = s->rounds + b * rounds,
                                             .n_rounds = rounds};
    }
    TRY(pan_backbone_train_forward(c, m, s->bb, s->seqs, batch, s->shat));
    /* the windows, each forward and (with grads) backward at once */
    if (grads) memset(s->dshat, 0, (size_t)(br * Q * d) * sizeof(float));
    *loss = 0.0;
    for (int r = 0; r < rounds; r++) {
        pan_window_kind kind = r == 0 ? PAN_WINDOW_FIRST : PAN_WINDOW_PAIR;
        int nc = pan_window_conds(kind);
        window_frames(s, batch, rounds, r, z0, chunks);
        for (int b = 0; b < batch; b++)
            for (int k = 0; k < nc; k++) {
                int rr = r - (nc - 1) + k; /* the round whose ŝ conditions it */
                int i = b * rounds + rr;
                s->conds[b * nc + k] = (pan_decoder_condition){
                    .null = windows[r].dropped[b * nc + k],
                    .state = s->shat + (int64_t)i * Q * d,
                    .action = actions[i].bytes, .action_len = actions[i].len};
            }
        if (grads) memset(s->dst, 0,
                          (size_t)(batch * nc * Q * d) * sizeof(float));
        TRY(pan_window_loss_run(c, m, s->wl, kind, batch, s->x1, windows[r].x0,
                                windows[r].k, s->conds, weights,
                                1.0f / (float)rounds, grads,
                                grads ? s->dst : NULL, loss));
        for (int b = 0; grads && b < batch; b++)
            for (int k = 0; k < nc; k++) {
                int i = b * rounds + r - (nc - 1) + k;
                float *to = s->dshat + (int64_t)i * Q * d;
                const float *from = s->dst + (int64_t)(b * nc + k) * Q * d;
                for (int64_t x = 0; x < Q * d; x++) to[x] += from[x];
            }
    }
    if (!grads) return PAN_OK;
    memset(s->drs, 0, (size_t)(row * d) * sizeof(float));
    TRY(pan_backbone_train_backward(c, m, s->bb, s->dshat, grads, s->drs));
    row = 0; /* the h(.) rows' gradient; the p_r rows' is dropped */
    for (int b = 0; b < batch; b++)
        for (int r = 0; r < rounds; r++) {
            int64_t off = r == 0 ? 0 : Q;
            memcpy(s->dh + ((int64_t)b * rounds + r) * S * d,
                   s->drs + (row + off) * d, (size_t)(S * d) * sizeof(float));
            row += off + S;
        }
    pan_tensor dtok;
    pan_tensor_init(&dtok, s->dh, PAN_DTYPE_F32, 3, PAN_SHAPE(br, S, d));
    return pan_vit_train_backward(c, m, s->vit, &dtok, grads, NULL);
}
