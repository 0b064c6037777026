/* core/model/backbone/backbone_internal.h: the backbone's workspace and the pieces
 * of one step, shared by backbone.c (validation, packing, output),
 * backbone_layer.c (one Qwen2 layer over the packed rows) and
 * backbone_workspace.c (sizes and buffers).
 *
 * Contract
 * - A workspace holds every activation buffer of one step for up to
 *   max_batch rounds of pan_backbone_max_round_tokens tokens each, carved
 *   from one arena at creation; a step only writes into them.
 * - Packed layout: env i's round occupies rows [env[i].row, env[i].row +
 *   env[i].tokens) of every (tokens, ...) buffer, envs in call order.
 * - Not thread safe: one workspace per thread.
 */
#ifndef PAN_CORE_MODEL_BACKBONE_BACKBONE_INTERNAL_H
#define PAN_CORE_MODEL_BACKBONE_BACKBONE_INTERNAL_H

#include "core/arena.h"
#include "core/model/backbone/backbone.h"

typedef struct pan_backbone_env {
    int slot;
    int64_t row;            /* first packed row of this env's round */
    int64_t tokens;         /* T_r = n + m + Q + 5 */
    int64_t query_row;      /* first query row (packed index) */
    pan_kv_reservation res; /* where the round sits in the cache */
    int32_t kv_len;         /* res.kv_len, the attention's kv_len (1) */
} pan_backbone_env;

struct pan_backbone_workspace {
    pan_model_config cfg;
    int max_batch;
    int64_t max_tokens;    /* max_batch * pan_backbone_max_round_tokens */
    int64_t tokens;        /* rows of the current step */
    int n_env;             /* envs of the current step */
    pan_arena arena;       /* the one block every buffer below lives in */
    int32_t *ids;          /* (max_tokens) token ids; state/query rows: PAD */
    int32_t *positions;    /* (max_tokens) absolute positions */
    float *x;              /* (max_tokens, d) residual stream */
    float *a;              /* (max_tokens, d) normed input; attention output */
    float *q;              /* (max_tokens, H*hd) queries (after RoPE) */
    float *k, *v;          /* (max_tokens, Hkv*hd) new keys (RoPE) / values */
    float *gate, *up;      /* (max_tokens, I) MLP */
    float *head;           /* (max_batch*Q, d) query rows for the head */
    pan_backbone_env *env; /* (max_batch) */
};

/* Layer `layer` over ws->tokens packed rows of ws->x, K/V written into the
 * cache at each env's reservation. When `last`, everything after the
 * attention runs on the query rows only, which end up gathered in ws->head
 * (n_env*Q, d) as the layer's output. */
pan_status pan_backbone_layer(pan_compute *c, const pan_model *m,
                              pan_backbone_workspace *ws, pan_kv_cache *cache,
                              int layer, bool last);

#endif
