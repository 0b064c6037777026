/* core/model/decoder/decoder_train_state.c: the decoder's training state --
 * its buffers' sizes, creation and destruction (contract in
 * decoder_train.h; the passes are decoder_train.c). */
#include <stdlib.h>

#include "core/model/decoder/decoder_train_internal.h"

#define TRY(expr)                                                              \
    do {                                                                       \
        pan_status s_ = (expr);                                                \
        if (s_ != PAN_OK) return s_;                                           \
    } while (0)

/* The buffers of t->max_batch items (ctx is the pan_decoder_train). */
static void carve(void *ctx, pan_arena_carver *cv) {
    pan_decoder_train *t = ctx;
    const pan_model_config *cfg = &t->cfg;
    const int max_batch = t->max_batch;
    dit_sizes s = pan_dit_sizes_of(cfg);
    size_t f = sizeof(float), frames = 2 * (size_t)cfg->frame.chunk_frames + 1;
    size_t fr = (size_t)max_batch * frames, r = fr * (size_t)s.tf;
    size_t cr = (size_t)max_batch * PAN_DECODER_MAX_CONDS;
    size_t rd = r * (size_t)s.D * f, rm = r * (size_t)s.M * f;
    size_t frd = fr * (size_t)s.D * f;
    size_t keys = cr * (size_t)s.A, qrows = cr * (size_t)s.Q;
    pan_arena_take(cv, (void **)&t->sigma, fr * f);
    pan_arena_take(cv, (void **)&t->act_start, cr * sizeof(int));
    pan_arena_take(cv, (void **)&t->act_len, cr * sizeof(int));
    pan_arena_take(cv, (void **)&t->null_cond, cr * sizeof(int));
    pan_arena_take(cv, (void **)&t->act_ids, keys * sizeof(int32_t));
    pan_arena_take(cv, (void **)&t->q_block,
                   frames * (size_t)s.tf * sizeof(int32_t));
    pan_arena_take(cv, (void **)&t->patches_in, r * (size_t)s.P * f);
    pan_arena_take(cv, (void **)&t->freq, fr * (size_t)s.F * f);
    float **frb[] = {&t->t1, &t->s1, &t->t2, &t->cvec, &t->dcvec, &t->dt};
    for (size_t i = 0; i < sizeof frb / sizeof frb[0]; i++)
        pan_arena_take(cv, (void **)frb[i], frd);
    pan_arena_take(cv, (void **)&t->emb, keys * (size_t)s.dm * f);
    pan_arena_take(cv, (void **)&t->states, qrows * (size_t)s.dm * f);
    for (int64_t l = 0; l < s.layers; l++) {
        dit_layer_acts *a = &t->layers[l];
        pan_arena_take(cv, (void **)&a->mp, 6 * frd);
        float **rb[] = {&a->x_in, &a->ln1, &a->a1, &a->q, &a->k, &a->v,
                        &a->o, &a->y1, &a->x1, &a->cn, &a->cq, &a->oa,
                        &a->os, &a->x2, &a->ln2, &a->a2, &a->y2};
        for (size_t i = 0; i < sizeof rb / sizeof rb[0]; i++)
            pan_arena_take(cv, (void **)rb[i], rd);
        pan_arena_take(cv, (void **)&a->hp, rm);
        pan_arena_take(cv, (void **)&a->hg, rm);
        pan_arena_take(cv, (void **)&a->lse, r * (size_t)s.H * f);
        pan_arena_take(cv, (void **)&a->lse_a, r * (size_t)s.H * f);
        pan_arena_take(cv, (void **)&a->lse_s, r * (size_t)s.H * f);
        pan_arena_take(cv, (void **)&a->ak, keys * (size_t)s.D * f);
        pan_arena_take(cv, (void **)&a->av, keys * (size_t)s.D * f);
        pan_arena_take(cv, (void **)&a->sk, qrows * (size_t)s.D * f);
        pan_arena_take(cv, (void **)&a->sv, qrows * (size_t)s.D * f);
    }
    float **rb[] = {&t->x_fin, &t->lnf, &t->af, &t->dx, &t->da, &t->dq,
                    &t->dk, &t->dv, &t->dy, &t->dcq, &t->doa, &t->dos};
    for (size_t i = 0; i < sizeof rb / sizeof rb[0]; i++)
        pan_arena_take(cv, (void **)rb[i], rd);
    pan_arena_take(cv, (void **)&t->mpf, 2 * frd);
    pan_arena_take(cv, (void **)&t->mod, 6 * frd);
    pan_arena_take(cv, (void **)&t->dh1, rm);
    pan_arena_take(cv, (void **)&t->dh2, rm);
    pan_arena_take(cv, (void **)&t->dpatches, r * (size_t)s.P * f);
    pan_arena_take(cv, (void **)&t->dmp, 6 * frd);
    pan_arena_take(cv, (void **)&t->dak, keys * (size_t)s.D * f);
    pan_arena_take(cv, (void **)&t->dav, keys * (size_t)s.D * f);
    pan_arena_take(cv, (void **)&t->dsk, qrows * (size_t)s.D * f);
    pan_arena_take(cv, (void **)&t->dsv, qrows * (size_t)s.D * f);
    pan_arena_take(cv, (void **)&t->demb, keys * (size_t)s.dm * f);
    pan_arena_take(cv, (void **)&t->dstw, qrows * (size_t)s.dm * f);
}

static pan_decoder_train *alloc_state(const pan_model_config *cfg) {
    pan_decoder_train *t = calloc(1, sizeof *t);
    if (t) t->layers = calloc((size_t)cfg->decoder.layers, sizeof *t->layers);
    if (t && !t->layers) {
        free(t);
        t = NULL;
    }
    return t;
}

static pan_status check_create(const pan_model_config *cfg, int max_batch) {
    TRY(pan_model_config_validate(cfg));
    if (max_batch < 1 || max_batch > 4096)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "decoder_train: max_batch must be 1..4096, got "
                             "%d", max_batch);
    if (2 * cfg->frame.chunk_frames + 1 > 2 * 256 + 1)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "decoder_train: chunk_frames %d above 256",
                             cfg->frame.chunk_frames);
    return PAN_OK;
}

size_t pan_decoder_train_bytes(const pan_model_config *cfg, int max_batch) {
    if (!cfg || check_create(cfg, max_batch) != PAN_OK) return 0;
    pan_decoder_train *t = alloc_state(cfg);
    if (!t) return 0;
    t->cfg = *cfg;
    t->max_batch = max_batch;
    size_t bytes = 0;
    pan_arena_carve(NULL, NULL, carve, t, &bytes);
    pan_decoder_train_destroy(t);
    return bytes;
}

pan_status pan_decoder_train_create(pan_decoder_train **out,
                                    const pan_model_config *cfg,
                                    int max_batch) {
    if (!out || !cfg)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "decoder_train: expected a config and an output, "
                             "found NULL");
    TRY(check_create(cfg, max_batch));
    pan_decoder_train *t = alloc_state(cfg);
    if (!t)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "decoder_train: out of memory");
    t->cfg = *cfg;
    t->max_batch = max_batch;
    pan_status st = pan_arena_carve(&t->arena, "decoder training activations",
                                    carve, t, NULL);
    if (st != PAN_OK) {
        pan_decoder_train_destroy(t);
        return st;
    }
    *out = t;
    return PAN_OK;
}

void pan_decoder_train_destroy(pan_decoder_train *t) {
    if (!t) return;
    pan_arena_free(&t->arena);
    free(t->layers);
    free(t);
}

