/* core/model/decoder/decoder_internal.h: the decoder's workspace and the pieces
 * its files share (decoder.c: validation, embeddings, final layer;
 * decoder_block.c: one DiT block; decoder_workspace.c: buffers).
 *
 * Contract
 * - Every activation buffer is carved once, at workspace creation, from
 *   one arena sized for max_batch items of the largest window (2K+1
 *   frames) and PAN_DECODER_MAX_CONDS conditions; a forward only writes
 *   into them. Shapes below use R = batch * n * Tf rows (token rows of the
 *   window), FR = batch * n frame rows, CR = batch * n_conds conditions.
 * - decoder.c fills the per-forward plan (frames, rows, condition key
 *   offsets) before the blocks run.
 */
#ifndef PAN_CORE_MODEL_DECODER_DECODER_INTERNAL_H
#define PAN_CORE_MODEL_DECODER_DECODER_INTERNAL_H

#include "core/arena.h"
#include "core/model/decoder/decoder.h"

struct pan_decoder_workspace {
    pan_model_config cfg;
    int max_batch;
    pan_arena arena;
    /* per-forward plan */
    int batch, n, n_conds, tf;  /* items, frames, conditions, tokens/frame */
    int first_cond_frame;       /* first frame with a condition (n: none) */
    const pan_decoder_frame *frames;
    float *sigma;               /* (FR) noise level of each item's frame */
    int *act_start;             /* (CR) first key row of each action */
    int *act_len;               /* (CR) keys of each action (m + 1, or 1) */
    int32_t *q_block, *k_block; /* (n * Tf) mask blocks of the rows */
    int32_t *ids;               /* (CR * A) token ids of the actions */
    /* activations */
    float *x;          /* (R, D) residual stream */
    float *a;          /* (R, D) normalised / modulated input */
    float *q, *k, *v;  /* (R, D) */
    float *o;          /* (R, D) attention output */
    float *o2;         /* (R, D) second cross stream output */
    float *hidden;     /* (R, M) */
    float *patches;    /* (R, P) */
    float *freq;       /* (FR, F) timestep features */
    float *cvec;       /* (FR, D) silu(t) per frame */
    float *mod;        /* (FR, 6D) adaLN output */
    float *mod_parts;  /* (6, FR, D) shift/scale/gate split */
    float *emb;        /* (CR * A, d) action embeddings (packed) */
    float *states;     /* (CR * Q, d) states (packed) */
    float *ak, *av;    /* (CR * A, D) action keys / values */
    float *sk, *sv;    /* (CR * Q, D) state keys / values */
};

/* One DiT block over the window in ws (x updated in place). */
pan_status pan_decoder_block(pan_compute *c, const pan_model *m,
                             pan_decoder_workspace *ws, int layer);

/* Every check of pan_decoder_forward_items's arguments (decoder.h), for a
 * workspace of `max_batch` items; INVALID_ARGUMENT naming the item, frame
 * and field. Shared with the training forward (decoder_train.c). */
pan_status pan_decoder_validate(const pan_model_config *cfg, int max_batch,
                                int batch, int n,
                                const pan_decoder_frame *frames,
                                const float *sigmas, const float *latents,
                                const pan_decoder_condition *conds,
                                int n_conds, int out_first, int out_count,
                                const float *out);

/* View helpers. */
pan_tensor pan_decoder_mat(float *data, int64_t rows, int64_t cols);

#endif
