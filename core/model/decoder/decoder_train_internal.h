/* core/model/decoder/decoder_train_internal.h: the decoder's training state,
 * shared by decoder_train_state.c (sizes, creation) and decoder_train.c
 * (the forward and the backward). Internal to core/model/decoder.
 *
 * Contract: one arena carved at creation holds every buffer below for
 * max_batch items of the largest window; R = B * n * Tf token rows, FR =
 * B * n frame rows, CR = B * n_conds conditions, A = max_action_bytes + 1.
 */
#ifndef PAN_CORE_MODEL_DECODER_DECODER_TRAIN_INTERNAL_H
#define PAN_CORE_MODEL_DECODER_DECODER_TRAIN_INTERNAL_H

#include "core/arena.h"
#include "core/model/decoder/decoder_train.h"

typedef struct dit_layer_acts {
    float *mp;                            /* (6, FR, D) modulation parts */
    float *x_in, *ln1, *a1, *q, *k, *v;   /* (R, D) */
    float *o, *y1, *x1, *cn, *cq;         /* (R, D) */
    float *oa, *os, *x2, *ln2, *a2, *y2;  /* (R, D) */
    float *hp, *hg;                       /* (R, M) */
    float *lse, *lse_a, *lse_s;           /* (H * R) each */
    float *ak, *av;                       /* (CR * A, D) */
    float *sk, *sv;                       /* (CR * Q, D) */
} dit_layer_acts;

struct pan_decoder_train {
    pan_model_config cfg;
    int max_batch;
    /* the plan of the last forward (batch 0: none) */
    int batch, n, n_conds, tf, first_cond_frame;
    pan_decoder_frame frames[2 * 256 + 1];
    pan_arena arena;
    float *sigma;            /* (FR) */
    int *act_start, *act_len;/* (CR) */
    int *null_cond;          /* (CR) 1: the null condition */
    int32_t *act_ids;        /* (CR * A) token id of each action key row */
    int32_t *q_block;        /* (n * Tf) */
    float *patches_in;       /* (R, P) */
    float *freq;             /* (FR, F) */
    float *t1, *s1, *t2, *cvec; /* (FR, D) time MLP */
    float *emb;              /* (CR * A, dm) action keys' embeddings */
    float *states;           /* (CR * Q, dm) */
    dit_layer_acts *layers;
    float *x_fin, *lnf, *af; /* (R, D) */
    float *mpf;              /* (2, FR, D) */
    float *mod;              /* (FR, 6D) scratch */
    /* backward scratch */
    float *dx, *da, *dq, *dk, *dv, *dy, *dcq, *doa, *dos; /* (R, D) */
    float *dh1, *dh2;        /* (R, M) */
    float *dpatches;         /* (R, P) */
    float *dmp;              /* (6, FR, D) */
    float *dcvec, *dt;       /* (FR, D) */
    float *dak, *dav;        /* (CR * A, D) */
    float *dsk, *dsv;        /* (CR * Q, D) */
    float *demb;             /* (CR * A, dm) */
    float *dstw;             /* (CR * Q, dm) */
};

typedef struct dit_sizes {
    int64_t D, M, H, hd, F, P, tf, z, lh, lw, dm, Q, A, layers, patch;
} dit_sizes;

static inline dit_sizes pan_dit_sizes_of(const pan_model_config *cfg) {
    const pan_decoder_config *g = &cfg->decoder;
    dit_sizes s = {.D = g->dim, .M = g->mlp_dim, .H = g->heads,
                   .hd = g->dim / g->heads, .F = g->freq_dim,
                   .tf = pan_decoder_frame_tokens(cfg),
                   .z = cfg->vae.latent_channels, .lh = pan_latent_height(cfg),
                   .lw = pan_latent_width(cfg), .dm = cfg->backbone.dim,
                   .Q = cfg->backbone.queries,
                   .A = cfg->tokenizer.max_action_bytes + 1,
                   .layers = g->layers, .patch = g->patch};
    s.P = s.z * s.patch * s.patch;
    return s;
}


#endif
