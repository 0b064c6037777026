/* core/model/backbone/backbone.c: pan_backbone_step -- validation, the packed round
 * layout, the layers, the state head, and the cache transaction.
 *
 * One step: validate every input (nothing changes on an error), check
 * that every env's round fits its cache slot, begin a round in each slot,
 * pack the rounds' tokens
 *     USER STATE s_1..s_n a_1..a_m END ASSISTANT QUERY q_1..q_Q
 * into one (T, d) activation (specials and bytes by embedding, states
 * copied, queries from glp.query_embeddings), run the layers, and write
 * state_head(rms(x; model.norm)) of each round's query rows to out. Every
 * slot commits on success; any failure after the first begin aborts every
 * begun slot (kv_cache.h: the slot behaves as before).
 */
#include <stdbool.h>
#include <string.h>

#include "core/model/backbone/backbone_internal.h"
#include "core/model/backbone/kv_cache_internal.h"
#include "core/model/backbone/tokenizer.h"

enum { ROUND_SPECIALS = 5 }; /* USER STATE END ASSISTANT QUERY */

static int64_t round_tokens(const pan_model_config *cfg,
                            const pan_backbone_round *r) {
    return (int64_t)r->n_state + (int64_t)r->action_len +
           cfg->backbone.queries + ROUND_SPECIALS;
}

static pan_status validate(const pan_model *m, pan_backbone_workspace *ws,
                           pan_kv_cache *cache,
                           const pan_backbone_round *rounds, int n,
                           const float *out) {
    const char *fn = "backbone step";
    if (!m || !ws || !cache || !out || (!rounds && n > 0))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: model, workspace, cache, rounds and out "
                             "must not be NULL",
                             fn);
    const pan_model_config *cfg = &m->config;
    if (!pan_kv_cache_same_config(cfg, &ws->cfg) ||
        !pan_kv_cache_same_config(cfg, pan_kv_cache_config(cache)))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: the model (backbone dim %d, layers %d), the "
                             "workspace (dim %d, layers %d) and the cache "
                             "(dim %d, layers %d) must share one backbone "
                             "configuration",
                             fn, cfg->backbone.dim, cfg->backbone.layers,
                             ws->cfg.backbone.dim, ws->cfg.backbone.layers,
                             pan_kv_cache_config(cache)->backbone.dim,
                             pan_kv_cache_config(cache)->backbone.layers);
    if (n < 1 || n > ws->max_batch)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: n = %d envs, expected 1..%d (the "
                             "workspace's max_batch)",
                             fn, n, ws->max_batch);
    int max_state = cfg->backbone.queries + pan_state_tokens(cfg);
    int slots = pan_kv_cache_slots(cache);
    for (int i = 0; i < n; i++) {
        const pan_backbone_round *r = &rounds[i];
        if (r->slot < 0 || r->slot >= slots)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "%s: env %d: slot %d out of range, expected "
                                 "0..%d",
                                 fn, i, r->slot, slots - 1);
        for (int j = 0; j < i; j++)
            if (rounds[j].slot == r->slot)
                return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                     "%s: env %d: slot %d is also used by env "
                                     "%d; slots must be distinct",
                                     fn, i, r->slot, j);
        if (r->n_state < 0 || r->n_state > max_state)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "%s: env %d: n_state = %d, expected 0..%d "
                                 "(Q + S)",
                                 fn, i, r->n_state, max_state);
        if (r->n_state > 0 && !r->state)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "%s: env %d: state is NULL with n_state = %d",
                                 fn, i, r->n_state);
        if (r->action_len > (size_t)cfg->tokenizer.max_action_bytes)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "%s: env %d: action_len = %zu bytes, expected "
                                 "at most %d (tokenizer.max_action_bytes)",
                                 fn, i, r->action_len,
                                 cfg->tokenizer.max_action_bytes);
        if (r->action_len > 0 && !r->action)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "%s: env %d: action is NULL with action_len "
                                 "= %zu",
                                 fn, i, r->action_len);
    }
    for (int i = 0; i < n; i++) {
        pan_status st = pan_kv_cache_check_round(
            cache, rounds[i].slot, round_tokens(cfg, &rounds[i]), i);
        if (st != PAN_OK) return st;
    }
    return PAN_OK;
}

/* Token ids and positions of env i's round at its packed rows; state and
 * query rows get PAD (their embedding is overwritten). */
static void lay_out_round(pan_backbone_workspace *ws, int i,
                          const pan_backbone_round *r) {
    const pan_backbone_env *e = &ws->env[i];
    int32_t *ids = ws->ids + e->row;       /* (T_r) */
    int32_t *pos = ws->positions + e->row; /* (T_r) */
    int64_t k = 0;
    ids[k++] = PAN_TOKEN_USER;
    ids[k++] = PAN_TOKEN_STATE;
    for (int s = 0; s < r->n_state; s++) ids[k++] = PAN_TOKEN_PAD;
    const uint8_t *bytes = r->action;
    for (size_t b = 0; b < r->action_len; b++) ids[k++] = bytes[b];
    ids[k++] = PAN_TOKEN_END;
    ids[k++] = PAN_TOKEN_ASSISTANT;
    ids[k++] = PAN_TOKEN_QUERY;
    for (int q = 0; q < ws->cfg.backbone.queries; q++) ids[k++] = PAN_TOKEN_PAD;
    for (int64_t j = 0; j < e->tokens; j++)
        pos[j] = (int32_t)(e->res.position + j);
}

/* x = embeddings of every packed row, then the state and query rows. */
static pan_status embed(pan_compute *c, const pan_model *m,
                        pan_backbone_workspace *ws,
                        const pan_backbone_round *rounds) {
    int64_t d = ws->cfg.backbone.dim, nq = ws->cfg.backbone.queries;
    pan_tensor ids, x;
    pan_tensor_init(&ids, ws->ids, PAN_DTYPE_I32, 1, PAN_SHAPE(ws->tokens));
    pan_tensor_init(&x, ws->x, PAN_DTYPE_F32, 2, PAN_SHAPE(ws->tokens, d));
    pan_status st = pan_compute_embedding(c, &x, &m->w.backbone.embed_tokens,
                                          &ids);
    if (st != PAN_OK) return st;
    const float *queries = m->w.backbone.query_embeddings.data; /* (Q, d) */
    for (int i = 0; i < ws->n_env; i++) {
        const pan_backbone_env *e = &ws->env[i];
        const pan_backbone_round *r = &rounds[i];
        if (r->n_state > 0)
            memcpy(ws->x + (e->row + 2) * d, r->state,
                   (size_t)r->n_state * (size_t)d * sizeof(float));
        memcpy(ws->x + e->query_row * d, queries,
               (size_t)(nq * d) * sizeof(float));
    }
    return PAN_OK;
}

/* out (n*Q, d) = state_head(rms(head; model.norm)); the last layer left
 * the query rows in ws->head. */
static pan_status state_head(pan_compute *c, const pan_model *m,
                             pan_backbone_workspace *ws, float *out) {
    const pan_backbone_weights *w = &m->w.backbone;
    int64_t rows = (int64_t)ws->n_env * ws->cfg.backbone.queries;
    int64_t d = ws->cfg.backbone.dim;
    pan_tensor h, a, o; /* (rows, d) each */
    pan_tensor_init(&h, ws->head, PAN_DTYPE_F32, 2, PAN_SHAPE(rows, d));
    pan_tensor_init(&a, ws->a, PAN_DTYPE_F32, 2, PAN_SHAPE(rows, d));
    pan_tensor_init(&o, out, PAN_DTYPE_F32, 2, PAN_SHAPE(rows, d));
    pan_status st = pan_compute_rms_norm(c, &a, &h, &w->final_norm_w,
                                         ws->cfg.backbone.norm_eps);
    if (st == PAN_OK)
        st = pan_compute_matmul(c, &o, &a, &w->state_head_w, &w->state_head_b,
                                false, true, 1.0f, 0.0f);
    return st;
}

pan_status pan_backbone_step(pan_compute *c, const pan_model *m,
                             pan_backbone_workspace *ws, pan_kv_cache *cache,
                             const pan_backbone_round *rounds, int n,
                             float *out) {
    if (!c)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "backbone step: compute must not be NULL");
    pan_status st = validate(m, ws, cache, rounds, n, out);
    if (st != PAN_OK) return st;

    ws->n_env = 0;
    ws->tokens = 0;
    for (int i = 0; i < n; i++) {
        pan_backbone_env *e = &ws->env[i];
        e->slot = rounds[i].slot;
        e->row = ws->tokens;
        e->tokens = round_tokens(&m->config, &rounds[i]);
        e->query_row = e->row + e->tokens - m->config.backbone.queries;
        st = pan_kv_cache_begin_round(cache, e->slot, e->tokens, &e->res);
        if (st != PAN_OK) break;
        ws->n_env = i + 1;
        ws->tokens += e->tokens;
        lay_out_round(ws, i, &rounds[i]);
    }
    if (st == PAN_OK) st = embed(c, m, ws, rounds);
    int layers = m->config.backbone.layers;
    for (int l = 0; st == PAN_OK && l < layers; l++)
        st = pan_backbone_layer(c, m, ws, cache, l, l == layers - 1);
    if (st == PAN_OK) st = state_head(c, m, ws, out);

    for (int i = 0; i < ws->n_env; i++) {
        if (st == PAN_OK)
            pan_kv_cache_commit_round(cache, ws->env[i].slot);
        else
            pan_kv_cache_abort_round(cache, ws->env[i].slot);
    }
    return st;
}
