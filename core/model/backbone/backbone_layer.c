/* core/model/backbone/backbone_layer.c: one Qwen2 decoder layer over the packed
 * rounds of a step (docs/model.md, "Backbone f: one round").
 *
 *   a = rms(x; input_layernorm)
 *   q = rope1(q_proj(a)), k = rope1(k_proj(a)), v = v_proj(a)
 *   k, v -> each env's cache slot at its reservation
 *   x = x + o_proj(attention(q, K_cache, V_cache))   per env: causal over
 *       its kv_len (the cache compacts evicted rounds away before the
 *       round begins, so no key mask is needed)
 *   a = rms(x; post_attention_layernorm)
 *   x = x + down_proj(silu(gate_proj(a)) * up_proj(a))
 *
 * Every linear layer is one matmul over all packed rows (trans_b with the
 * (out, in) weights); residual adds are the matmul's beta = 1. In the last
 * layer only the Q query rows of each round feed the output, so after the
 * keys and values of every row are cached, the rest of the layer runs on
 * the query rows alone (gathered into ws->head).
 */
#include <math.h>
#include <string.h>

#include "core/model/backbone/backbone_internal.h"

/* Contiguous 2-D view (rows, cols) of f32 data. */
static pan_tensor mat(float *data, int64_t rows, int64_t cols) {
    pan_tensor t;
    pan_tensor_init(&t, data, PAN_DTYPE_F32, 2, PAN_SHAPE(rows, cols));
    return t;
}

/* Contiguous 4-D head view (1, tokens, heads, hd). */
static pan_tensor heads(float *data, int64_t tokens, int64_t h, int64_t hd) {
    pan_tensor t;
    pan_tensor_init(&t, data, PAN_DTYPE_F32, 4, PAN_SHAPE(1, tokens, h, hd));
    return t;
}

static pan_tensor ivec(int32_t *data, int ndim, const int64_t *shape) {
    pan_tensor t;
    pan_tensor_init(&t, data, PAN_DTYPE_I32, ndim, shape);
    return t;
}

/* k = rope1(k_proj(a)), v = v_proj(a) for every packed row of ws->a, then
 * each env's rows copied into its cache slot at the reservation. */
static pan_status project_kv(pan_compute *c, const pan_qwen2_layer_weights *w,
                             pan_backbone_workspace *ws, pan_kv_cache *cache,
                             int layer, int64_t hd, float theta) {
    int64_t t = ws->tokens, d = ws->cfg.backbone.dim;
    int64_t hkv = ws->cfg.backbone.kv_heads, kvd = hkv * hd;
    pan_tensor a = mat(ws->a, t, d);           /* (T, d) */
    pan_tensor k = mat(ws->k, t, kvd);         /* (T, Hkv*hd) */
    pan_tensor v = mat(ws->v, t, kvd);         /* (T, Hkv*hd) */
    pan_status st = pan_compute_matmul(c, &k, &a, &w->k_w, &w->k_b, false,
                                       true, 1.0f, 0.0f);
    if (st == PAN_OK)
        st = pan_compute_matmul(c, &v, &a, &w->v_w, &w->v_b, false, true,
                                1.0f, 0.0f);
    pan_tensor kh = heads(ws->k, t, hkv, hd);  /* (1, T, Hkv, hd) */
    pan_tensor pos = ivec(ws->positions, 2, PAN_SHAPE(1, t));
    if (st == PAN_OK) st = pan_compute_rope(c, &kh, &kh, &pos, 1, theta);
    if (st != PAN_OK) return st;
    for (int i = 0; i < ws->n_env; i++) {
        const pan_backbone_env *e = &ws->env[i];
        pan_tensor kc, vc; /* (1, capacity, Hkv, hd) */
        pan_kv_cache_keys(cache, e->slot, layer, &kc);
        pan_kv_cache_values(cache, e->slot, layer, &vc);
        size_t bytes = (size_t)(e->tokens * kvd) * sizeof(float);
        memcpy((float *)kc.data + e->res.start * kvd, ws->k + e->row * kvd,
               bytes);
        memcpy((float *)vc.data + e->res.start * kvd, ws->v + e->row * kvd,
               bytes);
    }
    return PAN_OK;
}

/* Attention of each env's `per_env` query rows (q packed from row 0 when
 * `compact`, else at the env's rows) against its cache; output into
 * ws->a at the same rows. */
static pan_status attend(pan_compute *c, pan_backbone_workspace *ws,
                         pan_kv_cache *cache, int layer, int64_t hd,
                         bool compact) {
    int64_t h = ws->cfg.backbone.heads, d = ws->cfg.backbone.dim;
    int64_t nq = ws->cfg.backbone.queries;
    float scale = 1.0f / sqrtf((float)hd);
    for (int i = 0; i < ws->n_env; i++) {
        pan_backbone_env *e = &ws->env[i];
        int64_t row = compact ? (int64_t)i * nq : e->row;
        int64_t rows = compact ? nq : e->tokens;
        pan_tensor q = heads(ws->q + row * d, rows, h, hd); /* (1,T,H,hd) */
        pan_tensor o = heads(ws->a + row * d, rows, h, hd); /* (1,T,H,hd) */
        pan_tensor kc, vc; /* (1, capacity, Hkv, hd) each */
        pan_kv_cache_keys(cache, e->slot, layer, &kc);
        pan_kv_cache_values(cache, e->slot, layer, &vc);
        e->kv_len = (int32_t)e->res.kv_len;
        pan_tensor len = ivec(&e->kv_len, 1, PAN_SHAPE(1));
        /* slots are compact: every key below kv_len is live, no mask */
        pan_attention_extra extra = {.kv_len = &len};
        pan_status st = pan_compute_attention(c, &o, &q, &kc, &vc,
                                              PAN_ATTENTION_MASK_CAUSAL, scale,
                                              &extra);
        if (st != PAN_OK) return st;
    }
    return PAN_OK;
}

/* x (rows, d) += o_proj(attn); then the MLP block on the same rows. */
static pan_status finish(pan_compute *c, const pan_qwen2_layer_weights *w,
                         pan_backbone_workspace *ws, float *xp, int64_t rows) {
    int64_t d = ws->cfg.backbone.dim, inter = ws->cfg.backbone.intermediate;
    float eps = ws->cfg.backbone.norm_eps;
    pan_tensor x = mat(xp, rows, d);           /* (rows, d) residual */
    pan_tensor a = mat(ws->a, rows, d);        /* (rows, d) */
    pan_tensor g = mat(ws->gate, rows, inter); /* (rows, I) */
    pan_tensor u = mat(ws->up, rows, inter);   /* (rows, I) */
    pan_status st = pan_compute_matmul(c, &x, &a, &w->o_w, NULL, false, true,
                                       1.0f, 1.0f);
    if (st == PAN_OK)
        st = pan_compute_rms_norm(c, &a, &x, &w->post_norm_w, eps);
    if (st == PAN_OK)
        st = pan_compute_matmul(c, &g, &a, &w->gate_w, NULL, false, true, 1.0f,
                                0.0f);
    if (st == PAN_OK)
        st = pan_compute_matmul(c, &u, &a, &w->up_w, NULL, false, true, 1.0f,
                                0.0f);
    if (st == PAN_OK) st = pan_compute_swiglu(c, &g, &g, &u);
    if (st == PAN_OK)
        st = pan_compute_matmul(c, &x, &g, &w->down_w, NULL, false, true, 1.0f,
                                1.0f);
    return st;
}

/* Last layer: moves each env's Q query rows of ws->a and ws->positions to
 * the front (env order) and gathers those rows of ws->x into ws->head. */
static void gather_queries(pan_backbone_workspace *ws) {
    int64_t d = ws->cfg.backbone.dim, nq = ws->cfg.backbone.queries;
    for (int i = 0; i < ws->n_env; i++) {
        const pan_backbone_env *e = &ws->env[i];
        int64_t to = (int64_t)i * nq, from = e->query_row;
        size_t bytes = (size_t)(nq * d) * sizeof(float);
        memcpy(ws->head + to * d, ws->x + from * d, bytes);
        memmove(ws->a + to * d, ws->a + from * d, bytes); /* to <= from */
        memmove(ws->positions + to, ws->positions + from,
                (size_t)nq * sizeof(int32_t));
    }
}

pan_status pan_backbone_layer(pan_compute *c, const pan_model *m,
                              pan_backbone_workspace *ws, pan_kv_cache *cache,
                              int layer, bool last) {
    const pan_qwen2_layer_weights *w = &m->w.backbone.layers[layer];
    const pan_backbone_config *bc = &ws->cfg.backbone;
    int64_t t = ws->tokens, d = bc->dim, hd = d / bc->heads;
    pan_tensor x = mat(ws->x, t, d); /* (T, d) */
    pan_tensor a = mat(ws->a, t, d); /* (T, d) */
    pan_status st = pan_compute_rms_norm(c, &a, &x, &w->input_norm_w,
                                         bc->norm_eps);
    if (st == PAN_OK)
        st = project_kv(c, w, ws, cache, layer, hd, bc->rope_theta);
    if (st != PAN_OK) return st;

    int64_t rows = t;
    float *xp = ws->x;
    if (last) {
        gather_queries(ws);
        rows = (int64_t)ws->n_env * bc->queries;
        xp = ws->head;
    }
    pan_tensor aq = mat(ws->a, rows, d);         /* (rows, d) */
    pan_tensor q = mat(ws->q, rows, d);          /* (rows, H*hd) */
    pan_tensor qh = heads(ws->q, rows, bc->heads, hd);
    pan_tensor pos = ivec(ws->positions, 2, PAN_SHAPE(1, rows));
    st = pan_compute_matmul(c, &q, &aq, &w->q_w, &w->q_b, false, true, 1.0f,
                            0.0f);
    if (st == PAN_OK)
        st = pan_compute_rope(c, &qh, &qh, &pos, 1, bc->rope_theta);
    if (st == PAN_OK) st = attend(c, ws, cache, layer, hd, last);
    if (st == PAN_OK) st = finish(c, w, ws, xp, rows);
    return st;
}
