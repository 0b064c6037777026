/* core/model/backbone/backbone_train.c: the backbone's teacher-forced
 * training forward over whole sequences and its backward, side by side
 * (contract in backbone_train.h).
 *
 * Every sequence's tokens are packed into one (T, d) activation (sequences
 * in order, each in its rounds' layout), so every linear layer is one
 * matmul over all rows; attention runs per sequence with the ROUNDS mask.
 * Per layer (rows T; d wide; kv_dim = Hkv*hd; I the MLP width):
 *   a1 = rms(x_in; input_layernorm)
 *   q = rope1(q_proj(a1)), k = rope1(k_proj(a1)), v = v_proj(a1)
 *   att = attention(q, k, v)  per sequence, ROUNDS mask (lse kept)
 *   x_mid = x_in + o_proj(att); a2 = rms(x_mid; post_attention_layernorm)
 *   g = gate_proj(a2); u = up_proj(a2); h = silu(g) * u
 *   x_out = x_mid + down_proj(h)
 * Head, at the query rows only: out = state_head(rms(x_fin; model.norm)).
 * The backward visits the same ops in reverse; the input rows' gradient
 * goes to the state tokens (dstate), glp.query_embeddings and, through the
 * embedding, the special and byte tokens. */
#include "core/model/backbone/backbone_train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/model/train_util.h"
#include "core/model/backbone/tokenizer.h"

#define TRY(expr)                                                              \
    do {                                                                       \
        pan_status s_ = (expr);                                                \
        if (s_ != PAN_OK) return s_;                                           \
    } while (0)

enum { ROUND_SPECIALS = 5 }; /* USER STATE END ASSISTANT QUERY */

typedef struct bb_layer_acts {
    float *x_in, *a1;      /* (T, d) */
    float *q;              /* (T, d) after RoPE */
    float *k, *v;          /* (T, kv_dim); k after RoPE */
    float *att;            /* (T, d) */
    float *lse;            /* (Hq, T) per sequence: sequence s at Hq*row_s */
    float *x_mid, *a2;     /* (T, d) */
    float *g, *u, *h;      /* (T, I) */
} bb_layer_acts;

typedef struct bb_seq {
    int64_t row, tokens; /* packed rows [row, row + tokens) */
} bb_seq;

typedef struct bb_round {
    int64_t state_row;  /* first state row (packed) */
    int64_t query_row;  /* first query row (packed) */
    int n_state;
    int64_t dstate_row; /* first row of its states in dstate */
} bb_round;

struct pan_backbone_train {
    pan_model_config cfg;
    int max_seqs;
    int64_t max_tokens, max_rounds; /* rounds in all (>= tokens / (Q+5)) */
    /* the plan of the last forward (n_seqs 0: none) */
    int n_seqs;
    int64_t tokens, rounds, states;
    bb_seq *seq;          /* (max_seqs) */
    bb_round *round;      /* (max_rounds) */
    pan_arena arena;
    int32_t *ids;         /* (T) token ids; state and query rows PAD */
    int32_t *positions;   /* (T) position in its sequence */
    int32_t *round_of;    /* (T) round index in its sequence */
    bb_layer_acts *layers;
    float *x_fin;         /* (T, d) */
    float *hq;            /* (RQ, d) x_fin at the query rows */
    float *fin;           /* (RQ, d) rms(hq; model.norm) */
    /* backward scratch */
    float *dx, *da, *dq, *dqr, *datt; /* (T, d) */
    float *dk, *dv, *dkr;             /* (T, kv_dim) */
    float *dh, *dg, *du;              /* (T, I) */
    float *dhq, *dfin;                /* (RQ, d) */
};

typedef struct bb_sizes {
    int64_t d, heads, kv_heads, hd, kvd, inter, q, layers;
} bb_sizes;

static bb_sizes sizes_of(const pan_model_config *cfg) {
    const pan_backbone_config *b = &cfg->backbone;
    bb_sizes z = {.d = b->dim, .heads = b->heads, .kv_heads = b->kv_heads,
                  .hd = b->dim / b->heads, .inter = b->intermediate,
                  .q = b->queries, .layers = b->layers};
    z.kvd = z.kv_heads * z.hd;
    return z;
}

static int64_t worst_tokens(const pan_model_config *cfg, int max_seqs) {
    return (int64_t)max_seqs * 2 * cfg->backbone.max_rounds *
           pan_backbone_max_round_tokens(cfg);
}

/* The buffers of t->max_tokens tokens in t->max_rounds rounds (ctx is the
 * pan_backbone_train). */
static void carve(void *ctx, pan_arena_carver *cv) {
    pan_backbone_train *t = ctx;
    const pan_model_config *cfg = &t->cfg;
    const int64_t tokens = t->max_tokens, rounds = t->max_rounds;
    bb_sizes z = sizes_of(cfg);
    size_t f = sizeof(float), n = (size_t)tokens, rq = (size_t)(rounds * z.q);
    size_t fd = n * (size_t)z.d * f, fk = n * (size_t)z.kvd * f;
    size_t fi = n * (size_t)z.inter * f;
    pan_arena_take(cv, (void **)&t->ids, n * sizeof(int32_t));
    pan_arena_take(cv, (void **)&t->positions, n * sizeof(int32_t));
    pan_arena_take(cv, (void **)&t->round_of, n * sizeof(int32_t));
    for (int64_t l = 0; l < z.layers; l++) {
        bb_layer_acts *a = &t->layers[l];
        float **d_bufs[] = {&a->x_in, &a->a1, &a->q, &a->att, &a->x_mid, &a->a2};
        for (size_t i = 0; i < sizeof d_bufs / sizeof d_bufs[0]; i++)
            pan_arena_take(cv, (void **)d_bufs[i], fd);
        pan_arena_take(cv, (void **)&a->k, fk);
        pan_arena_take(cv, (void **)&a->v, fk);
        pan_arena_take(cv, (void **)&a->lse, n * (size_t)z.heads * f);
        pan_arena_take(cv, (void **)&a->g, fi);
        pan_arena_take(cv, (void **)&a->u, fi);
        pan_arena_take(cv, (void **)&a->h, fi);
    }
    float **d_bufs[] = {&t->x_fin, &t->dx, &t->da, &t->dq, &t->dqr, &t->datt};
    for (size_t i = 0; i < sizeof d_bufs / sizeof d_bufs[0]; i++)
        pan_arena_take(cv, (void **)d_bufs[i], fd);
    pan_arena_take(cv, (void **)&t->dk, fk);
    pan_arena_take(cv, (void **)&t->dv, fk);
    pan_arena_take(cv, (void **)&t->dkr, fk);
    pan_arena_take(cv, (void **)&t->dh, fi);
    pan_arena_take(cv, (void **)&t->dg, fi);
    pan_arena_take(cv, (void **)&t->du, fi);
    float **q_bufs[] = {&t->hq, &t->fin, &t->dhq, &t->dfin};
    for (size_t i = 0; i < sizeof q_bufs / sizeof q_bufs[0]; i++)
        pan_arena_take(cv, (void **)q_bufs[i], rq * (size_t)z.d * f);
}

/* The struct and its small arrays, without the arena. */
static pan_backbone_train *alloc_state(const pan_model_config *cfg,
                                       int max_seqs, int64_t max_rounds) {
    pan_backbone_train *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->layers = calloc((size_t)cfg->backbone.layers, sizeof *t->layers);
    t->seq = calloc((size_t)max_seqs, sizeof *t->seq);
    t->round = calloc((size_t)max_rounds, sizeof *t->round);
    if (!t->layers || !t->seq || !t->round) {
        free(t->layers);
        free(t->seq);
        free(t->round);
        free(t);
        return NULL;
    }
    return t;
}

static pan_status check_sizes(const pan_model_config *cfg, int max_seqs,
                              int64_t *max_tokens) {
    TRY(pan_model_config_validate(cfg));
    if (max_seqs < 1 || max_seqs > 65536)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "backbone_train: max_seqs must be 1..65536, got "
                             "%d", max_seqs);
    if (*max_tokens == 0) *max_tokens = worst_tokens(cfg, max_seqs);
    if (*max_tokens < 1 || *max_tokens > ((int64_t)1 << 31) - 1)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "backbone_train: max_tokens must be 1..2^31-1 "
                             "(or 0: the worst case), got %lld",
                             (long long)*max_tokens);
    return PAN_OK;
}

static int64_t rounds_for(const pan_model_config *cfg, int max_seqs,
                          int64_t max_tokens) {
    return max_tokens / (cfg->backbone.queries + ROUND_SPECIALS) + max_seqs;
}

size_t pan_backbone_train_bytes(const pan_model_config *cfg, int max_seqs,
                                int64_t max_tokens) {
    if (!cfg || check_sizes(cfg, max_seqs, &max_tokens) != PAN_OK) return 0;
    int64_t rounds = rounds_for(cfg, max_seqs, max_tokens);
    pan_backbone_train *t = alloc_state(cfg, max_seqs, rounds);
    if (!t) return 0;
    t->cfg = *cfg;
    t->max_tokens = max_tokens;
    t->max_rounds = rounds;
    size_t bytes = 0;
    pan_arena_carve(NULL, NULL, carve, t, &bytes);
    pan_backbone_train_destroy(t);
    return bytes;
}

pan_status pan_backbone_train_create(pan_backbone_train **out,
                                     const pan_model_config *cfg, int max_seqs,
                                     int64_t max_tokens) {
    if (!out || !cfg)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "backbone_train: expected a config and an "
                             "output, found NULL");
    TRY(check_sizes(cfg, max_seqs, &max_tokens));
    int64_t rounds = rounds_for(cfg, max_seqs, max_tokens);
    pan_backbone_train *t = alloc_state(cfg, max_seqs, rounds);
    if (!t)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "backbone_train: out of memory");
    t->cfg = *cfg;
    t->max_seqs = max_seqs;
    t->max_tokens = max_tokens;
    t->max_rounds = rounds;
    pan_status st = pan_arena_carve(&t->arena, "backbone training activations",
                                    carve, t, NULL);
    if (st != PAN_OK) {
        pan_backbone_train_destroy(t);
        return st;
    }
    *out = t;
    return PAN_OK;
}

void pan_backbone_train_destroy(pan_backbone_train *t) {
    if (!t) return;
    pan_arena_free(&t->arena);
    free(t->layers);
    free(t->seq);
    free(t->round);
    free(t);
}

/* ---- helpers ---- */

static pan_tensor heads(const float *data, int64_t tokens, int64_t h,
                        int64_t hd) {
    pan_tensor t;
    pan_tensor_init(&t, (void *)data, PAN_DTYPE_F32, 4,
                    PAN_SHAPE(1, tokens, h, hd));
    return t;
}

static pan_tensor ivec(const int32_t *data, int64_t n) {
    pan_tensor t;
    pan_tensor_init(&t, (void *)data, PAN_DTYPE_I32, 2, PAN_SHAPE(1, n));
    return t;
}

static pan_tensor mat(const float *p, int64_t r, int64_t c) {
    return pan_train_mat(p, r, c);
}

static void zero(float *p, int64_t n) { pan_train_zero(p, n); }

/* ---- validation and layout ---- */

static int64_t round_tokens(const pan_model_config *cfg,
                            const pan_backbone_round *r) {
    return (int64_t)r->n_state + (int64_t)r->action_len +
           cfg->backbone.queries + ROUND_SPECIALS;
}

static pan_status validate(const pan_backbone_train *t,
                           const pan_backbone_sequence *seqs, int n,
                           const float *out) {
    static const char *fn = "backbone_train_forward";
    const pan_model_config *cfg = &t->cfg;
    if (!seqs || !out)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: sequences and out must not be NULL", fn);
    if (n < 1 || n > t->max_seqs)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: %d sequences, expected 1..%d (max_seqs)", fn,
                             n, t->max_seqs);
    int max_state = cfg->backbone.queries + pan_state_tokens(cfg);
    int64_t tokens = 0, rounds = 0;
    for (int s = 0; s < n; s++) {
        if (seqs[s].n_rounds < 1 || !seqs[s].rounds)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "%s: sequence %d has %d rounds (NULL: %s), "
                                 "expected >= 1", fn, s, seqs[s].n_rounds,
                                 seqs[s].rounds ? "no" : "yes");
        for (int r = 0; r < seqs[s].n_rounds; r++) {
            const pan_backbone_round *rd = &seqs[s].rounds[r];
            if (rd->n_state < 0 || rd->n_state > max_state ||
                (rd->n_state > 0 && !rd->state))
                return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                     "%s: sequence %d round %d: n_state = %d "
                                     "(state %s), expected 0..%d (Q + S) with "
                                     "a state", fn, s, r, rd->n_state,
                                     rd->state ? "given" : "NULL", max_state);
            if (rd->action_len > (size_t)cfg->tokenizer.max_action_bytes ||
                (rd->action_len > 0 && !rd->action))
                return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                     "%s: sequence %d round %d: action of %zu "
                                     "bytes (%s), expected at most %d",
                                     fn, s, r, rd->action_len,
                                     rd->action ? "given" : "NULL",
                                     cfg->tokenizer.max_action_bytes);
            tokens += round_tokens(cfg, rd);
            rounds++;
        }
    }
    if (tokens > t->max_tokens || rounds > t->max_rounds)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: %lld tokens in %lld rounds, the training "
                             "state holds %lld tokens and %lld rounds", fn,
                             (long long)tokens, (long long)rounds,
                             (long long)t->max_tokens,
                             (long long)t->max_rounds);
    return PAN_OK;
}

/* ids, positions, round ids, and the sequence and round tables. */
static void lay_out(pan_backbone_train *t, const pan_backbone_sequence *seqs,
                    int n) {
    const int64_t nq = t->cfg.backbone.queries;
    int64_t row = 0, ri = 0, srow = 0;
    for (int s = 0; s < n; s++) {
        t->seq[s].row = row;
        int64_t pos = 0;
        for (int r = 0; r < seqs[s].n_rounds; r++, ri++) {
            const pan_backbone_round *rd = &seqs[s].rounds[r];
            int64_t first = row;
            int32_t *ids = t->ids;
            ids[row++] = PAN_TOKEN_USER;
            ids[row++] = PAN_TOKEN_STATE;
            t->round[ri].state_row = row;
            t->round[ri].n_state = rd->n_state;
            t->round[ri].dstate_row = srow;
            srow += rd->n_state;
            for (int k = 0; k < rd->n_state; k++) ids[row++] = PAN_TOKEN_PAD;
            const uint8_t *bytes = rd->action;
            for (size_t b = 0; b < rd->action_len; b++) ids[row++] = bytes[b];
            ids[row++] = PAN_TOKEN_END;
            ids[row++] = PAN_TOKEN_ASSISTANT;
            ids[row++] = PAN_TOKEN_QUERY;
            t->round[ri].query_row = row;
            for (int64_t k = 0; k < nq; k++) ids[row++] = PAN_TOKEN_PAD;
            for (int64_t j = first; j < row; j++) {
                t->positions[j] = (int32_t)pos++;
                t->round_of[j] = (int32_t)r;
            }
        }
        t->seq[s].tokens = row - t->seq[s].row;
    }
    t->tokens = row;
    t->rounds = ri;
    t->states = srow;
}

/* ---- forward ---- */

static pan_status embed(pan_compute *c, const pan_model *m,
                        pan_backbone_train *t,
                        const pan_backbone_sequence *seqs, int n) {
    const int64_t d = t->cfg.backbone.dim, nq = t->cfg.backbone.queries;
    float *x = t->layers[0].x_in;
    pan_tensor ids, tx = mat(x, t->tokens, d);
    pan_tensor_init(&ids, t->ids, PAN_DTYPE_I32, 1, PAN_SHAPE(t->tokens));
    TRY(pan_compute_embedding(c, &tx, &m->w.backbone.embed_tokens, &ids));
    const float *queries = m->w.backbone.query_embeddings.data; /* (Q, d) */
    int64_t ri = 0;
    for (int s = 0; s < n; s++)
        for (int r = 0; r < seqs[s].n_rounds; r++, ri++) {
            const bb_round *br = &t->round[ri];
            if (br->n_state > 0)
                memcpy(x + br->state_row * d, seqs[s].rounds[r].state,
                       (size_t)br->n_state * (size_t)d * sizeof(float));
            memcpy(x + br->query_row * d, queries,
                   (size_t)(nq * d) * sizeof(float));
        }
    return PAN_OK;
}

/* The ROUNDS-mask extras of sequence s, and its lse view. */
static void seq_extra(const pan_backbone_train *t, int s, const float *lse_base,
                      pan_tensor *q_round, pan_tensor *lse,
                      pan_attention_extra *ex) {
    const bb_seq *sq = &t->seq[s];
    *q_round = ivec(t->round_of + sq->row, sq->tokens);
    pan_tensor_init(lse, (void *)(lse_base + t->cfg.backbone.heads * sq->row),
                    PAN_DTYPE_F32, 3,
                    PAN_SHAPE(1, t->cfg.backbone.heads, sq->tokens));
    *ex = (pan_attention_extra){.q_round = q_round, .k_round = q_round,
                                .round_window = t->cfg.backbone.max_rounds};
}

static pan_status layer_forward(pan_compute *c,
                                const pan_qwen2_layer_weights *w,
                                pan_backbone_train *t, const bb_sizes *z,
                                bb_layer_acts *a, float *x_out) {
    const float eps = t->cfg.backbone.norm_eps;
    const float theta = t->cfg.backbone.rope_theta;
    const int64_t n = t->tokens, d = z->d;
    pan_tensor tx = mat(a->x_in, n, d), ta1 = mat(a->a1, n, d);
    TRY(pan_compute_rms_norm(c, &ta1, &tx, &w->input_norm_w, eps));
    TRY(pan_train_linear(c, a->q, a->a1, n, &w->q_w, &w->q_b, 0.0f));
    TRY(pan_train_linear(c, a->k, a->a1, n, &w->k_w, &w->k_b, 0.0f));
    TRY(pan_train_linear(c, a->v, a->a1, n, &w->v_w, &w->v_b, 0.0f));
    pan_tensor pos = ivec(t->positions, n);
    pan_tensor qh = heads(a->q, n, z->heads, z->hd);
    pan_tensor kh = heads(a->k, n, z->kv_heads, z->hd);
    TRY(pan_compute_rope(c, &qh, &qh, &pos, 1, theta));
    TRY(pan_compute_rope(c, &kh, &kh, &pos, 1, theta));
    const float scale = 1.0f / sqrtf((float)z->hd);
    for (int s = 0; s < t->n_seqs; s++) {
        const bb_seq *sq = &t->seq[s];
        pan_tensor q = heads(a->q + sq->row * d, sq->tokens, z->heads, z->hd);
        pan_tensor k = heads(a->k + sq->row * z->kvd, sq->tokens, z->kv_heads,
                             z->hd);
        pan_tensor v = heads(a->v + sq->row * z->kvd, sq->tokens, z->kv_heads,
                             z->hd);
        pan_tensor o = heads(a->att + sq->row * d, sq->tokens, z->heads, z->hd);
        pan_tensor q_round, lse;
        pan_attention_extra ex;
        seq_extra(t, s, a->lse, &q_round, &lse, &ex);
        ex.lse = &lse;
        TRY(pan_compute_attention(c, &o, &q, &k, &v, PAN_ATTENTION_MASK_ROUNDS,
                                  scale, &ex));
    }
    memcpy(a->x_mid, a->x_in, (size_t)(n * d) * sizeof(float));
    TRY(pan_train_linear(c, a->x_mid, a->att, n, &w->o_w, NULL, 1.0f));
    pan_tensor tm = mat(a->x_mid, n, d), ta2 = mat(a->a2, n, d);
    TRY(pan_compute_rms_norm(c, &ta2, &tm, &w->post_norm_w, eps));
    TRY(pan_train_linear(c, a->g, a->a2, n, &w->gate_w, NULL, 0.0f));
    TRY(pan_train_linear(c, a->u, a->a2, n, &w->up_w, NULL, 0.0f));
    pan_tensor g = mat(a->g, n, z->inter), u = mat(a->u, n, z->inter);
    pan_tensor h = mat(a->h, n, z->inter);
    TRY(pan_compute_swiglu(c, &h, &g, &u));
    memcpy(x_out, a->x_mid, (size_t)(n * d) * sizeof(float));
    return pan_train_linear(c, x_out, a->h, n, &w->down_w, NULL, 1.0f);
}

pan_status pan_backbone_train_forward(pan_compute *c, const pan_model *m,
                                      pan_backbone_train *t,
                                      const pan_backbone_sequence *seqs, int n,
                                      float *out) {
    if (!c || !m || !t)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "backbone_train_forward: compute, model and "
                             "training state are required");
    TRY(pan_train_check_config("backbone_train_forward", &t->cfg, m));
    TRY(validate(t, seqs, n, out));
    bb_sizes z = sizes_of(&m->config);
    const pan_backbone_weights *w = &m->w.backbone;
    t->n_seqs = 0;
    lay_out(t, seqs, n);
    t->n_seqs = n;
    pan_status st = embed(c, m, t, seqs, n);
    for (int64_t l = 0; st == PAN_OK && l < z.layers; l++) {
        float *x_out = l + 1 < z.layers ? t->layers[l + 1].x_in : t->x_fin;
        st = layer_forward(c, &w->layers[l], t, &z, &t->layers[l], x_out);
    }
    if (st == PAN_OK) { /* the head at the query rows */
        for (int64_t r = 0; r < t->rounds; r++)
            memcpy(t->hq + r * z.q * z.d,
                   t->x_fin + t->round[r].query_row * z.d,
                   (size_t)(z.q * z.d) * sizeof(float));
        int64_t rq = t->rounds * z.q;
        pan_tensor hq = mat(t->hq, rq, z.d), fin = mat(t->fin, rq, z.d);
        st = pan_compute_rms_norm(c, &fin, &hq, &w->final_norm_w,
                                  t->cfg.backbone.norm_eps);
        if (st == PAN_OK)
            st = pan_train_linear(c, out, t->fin, rq, &w->state_head_w,
                                  &w->state_head_b,
                        false);
    }
    if (st != PAN_OK) t->n_seqs = 0;
    return st;
}

/* ---- backward ---- */

/* t->dx holds d x_out on entry, d x_in on return. */
static pan_status layer_backward(pan_compute *c,
                                 const pan_qwen2_layer_weights *w,
                                 pan_qwen2_layer_weights *gw,
                                 pan_backbone_train *t, const bb_sizes *z,
                                 const bb_layer_acts *a) {
    const float eps = t->cfg.backbone.norm_eps;
    const float theta = t->cfg.backbone.rope_theta;
    const int64_t n = t->tokens, d = z->d;
    const int64_t nd = n * d, nk = n * z->kvd, ni = n * z->inter;
    zero(t->dh, ni);
    TRY(pan_train_linear_backward(c, t->dx, a->h, n, &w->down_w, t->dh,
                                  &gw->down_w, NULL));
    pan_tensor g = mat(a->g, n, z->inter), u = mat(a->u, n, z->inter);
    pan_tensor dh = mat(t->dh, n, z->inter), dg = mat(t->dg, n, z->inter);
    pan_tensor du = mat(t->du, n, z->inter);
    zero(t->dg, ni);
    zero(t->du, ni);
    TRY(pan_compute_swiglu_backward(c, &g, &u, &dh, &dg, &du));
    zero(t->da, nd);
    TRY(pan_train_linear_backward(c, t->dg, a->a2, n, &w->gate_w, t->da,
                                  &gw->gate_w, NULL));
    TRY(pan_train_linear_backward(c, t->du, a->a2, n, &w->up_w, t->da,
                                  &gw->up_w, NULL));
    pan_tensor xm = mat(a->x_mid, n, d), da = mat(t->da, n, d);
    pan_tensor dx = mat(t->dx, n, d);
    TRY(pan_compute_rms_norm_backward(c, &xm, &w->post_norm_w, &da, eps, &dx,
                                      &gw->post_norm_w));
    zero(t->datt, nd);
    TRY(pan_train_linear_backward(c, t->dx, a->att, n, &w->o_w, t->datt,
                                  &gw->o_w, NULL));
    zero(t->dq, nd);
    zero(t->dk, nk);
    zero(t->dv, nk);
    const float scale = 1.0f / sqrtf((float)z->hd);
    for (int s = 0; s < t->n_seqs; s++) {
        const bb_seq *sq = &t->seq[s];
        int64_t r0 = sq->row, tk = sq->tokens;
        pan_tensor q = heads(a->q + r0 * d, tk, z->heads, z->hd);
        pan_tensor k = heads(a->k + r0 * z->kvd, tk, z->kv_heads, z->hd);
        pan_tensor v = heads(a->v + r0 * z->kvd, tk, z->kv_heads, z->hd);
        pan_tensor o = heads(a->att + r0 * d, tk, z->heads, z->hd);
        pan_tensor dout = heads(t->datt + r0 * d, tk, z->heads, z->hd);
        pan_tensor dq = heads(t->dq + r0 * d, tk, z->heads, z->hd);
        pan_tensor dk = heads(t->dk + r0 * z->kvd, tk, z->kv_heads, z->hd);
        pan_tensor dv = heads(t->dv + r0 * z->kvd, tk, z->kv_heads, z->hd);
        pan_tensor q_round, lse;
        pan_attention_extra ex;
        seq_extra(t, s, a->lse, &q_round, &lse, &ex);
        TRY(pan_compute_attention_backward(c, &q, &k, &v, &o, &dout, &lse,
                                           PAN_ATTENTION_MASK_ROUNDS, scale,
                                           &ex, &dq, &dk, &dv));
    }
    pan_tensor pos = ivec(t->positions, n);
    pan_tensor dqh = heads(t->dq, n, z->heads, z->hd);
    pan_tensor dkh = heads(t->dk, n, z->kv_heads, z->hd);
    pan_tensor dqr = heads(t->dqr, n, z->heads, z->hd);
    pan_tensor dkr = heads(t->dkr, n, z->kv_heads, z->hd);
    zero(t->dqr, nd);
    zero(t->dkr, nk);
    TRY(pan_compute_rope_backward(c, &dqh, &pos, 1, theta, &dqr));
    TRY(pan_compute_rope_backward(c, &dkh, &pos, 1, theta, &dkr));
    zero(t->da, nd);
    TRY(pan_train_linear_backward(c, t->dqr, a->a1, n, &w->q_w, t->da,
                                  &gw->q_w, &gw->q_b));
    TRY(pan_train_linear_backward(c, t->dkr, a->a1, n, &w->k_w, t->da,
                                  &gw->k_w, &gw->k_b));
    TRY(pan_train_linear_backward(c, t->dv, a->a1, n, &w->v_w, t->da, &gw->v_w,
                                  &gw->v_b));
    pan_tensor xi = mat(a->x_in, n, d);
    return pan_compute_rms_norm_backward(c, &xi, &w->input_norm_w, &da, eps,
                                         &dx, &gw->input_norm_w);
}

pan_status pan_backbone_train_backward(pan_compute *c, const pan_model *m,
                                       pan_backbone_train *t,
                                       const float *dout,
                                       pan_model_weights *grads,
                                       float *dstate) {
    static const char *fn = "backbone_train_backward";
    if (!c || !m || !t || !grads || !dout)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: compute, model, training state, dout and "
                             "gradients are required", fn);
    TRY(pan_train_check_config(fn, &t->cfg, m));
    if (t->n_seqs < 1)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: no completed forward to go back through", fn);
    bb_sizes z = sizes_of(&m->config);
    const pan_backbone_weights *w = &m->w.backbone;
    pan_backbone_weights *gw = &grads->backbone;
    const int64_t rq = t->rounds * z.q, d = z.d;
    /* out = state_head(rms(hq; model.norm)) */
    zero(t->dfin, rq * d);
    TRY(pan_train_linear_backward(c, dout, t->fin, rq, &w->state_head_w,
                                  t->dfin,
                        &gw->state_head_w, &gw->state_head_b));
    pan_tensor hq = mat(t->hq, rq, d), dfin = mat(t->dfin, rq, d);
    pan_tensor dhq = mat(t->dhq, rq, d);
    zero(t->dhq, rq * d);
    TRY(pan_compute_rms_norm_backward(c, &hq, &w->final_norm_w, &dfin,
                                      t->cfg.backbone.norm_eps, &dhq,
                                      &gw->final_norm_w));
    zero(t->dx, t->tokens * d);
    for (int64_t r = 0; r < t->rounds; r++)
        memcpy(t->dx + t->round[r].query_row * d, t->dhq + r * z.q * d,
               (size_t)(z.q * d) * sizeof(float));
    for (int64_t l = z.layers - 1; l >= 0; l--)
        TRY(layer_backward(c, &w->layers[l], &gw->layers[l], t, &z,
                           &t->layers[l]));
    /* The input rows: states, queries, then the embedded tokens. */
    float *dquery = gw->query_embeddings.data; /* (Q, d) */
    for (int64_t r = 0; r < t->rounds; r++) {
        const bb_round *br = &t->round[r];
        float *ds = t->dx + br->state_row * d;
        if (dstate && br->n_state > 0) {
            float *to = dstate + br->dstate_row * d;
            for (int64_t i = 0; i < br->n_state * d; i++) to[i] += ds[i];
        }
        zero(ds, br->n_state * d);
        float *dqr = t->dx + br->query_row * d;
        for (int64_t i = 0; i < z.q * d; i++) dquery[i] += dqr[i];
        zero(dqr, z.q * d);
    }
    pan_tensor ids, dx = mat(t->dx, t->tokens, d);
    pan_tensor_init(&ids, t->ids, PAN_DTYPE_I32, 1, PAN_SHAPE(t->tokens));
    return pan_compute_embedding_backward(c, &ids, &dx, &gw->embed_tokens);
}
