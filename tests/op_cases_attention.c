/* tests/op_cases_attention.c: parity cases for attention (every mask kind,
 * kv_len, key_mask, GQA, queries that see no key) and rope (1-D and 2-D). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tests/op_harness.h"

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- attention ---- */

typedef struct attention_params {
    pan_tensor q, k, v, out;
    pan_tensor kv_len, q_block, k_block, key_mask;
    bool has_kv_len, has_key_mask;
    pan_attention_mask mask;
    float scale;
} attention_params;

static pan_status run_attention(pan_compute *c, const void *params,
                                float *out) {
    const attention_params *p = params;
    pan_tensor o = p->out;
    o.data = out;
    pan_attention_extra extra = {0};
    if (p->has_kv_len) extra.kv_len = &p->kv_len;
    if (p->has_key_mask) extra.key_mask = &p->key_mask;
    if (p->mask == PAN_ATTENTION_MASK_BLOCK) {
        extra.q_block = &p->q_block;
        extra.k_block = &p->k_block;
    }
    return pan_compute_attention(c, &o, &p->q, &p->k, &p->v, p->mask, p->scale,
                                 &extra);
}

typedef enum key_mask_kind {
    KEYS_ALL = 0,      /* no key_mask tensor */
    KEYS_RANDOM,       /* about a quarter hidden, key 0 always visible */
    KEYS_RANDOM_EMPTY, /* as RANDOM, but batch 1 hides every key */
} key_mask_kind;

typedef struct attention_spec {
    int64_t b, tq, tk, hq, hkv, d;
    pan_attention_mask mask;
    int32_t kv_len[3]; /* used when kv_len[0] >= 0 */
    key_mask_kind keys;
    int chunk;         /* BLOCK: k_block[j] = j / chunk */
    int q_first_block; /* BLOCK: q_block[i] = q_first_block + i / chunk */
    bool blind_query;  /* BLOCK: query 0 gets block -1 and sees no key */
    float magnitude;   /* inputs uniform in +-magnitude */
    float scale;       /* 0: 1/sqrt(D) */
} attention_spec;

#define NO_KV_LEN {-1, 0, 0}

static const char *mask_name(pan_attention_mask mask) {
    return mask == PAN_ATTENTION_MASK_CAUSAL  ? "causal"
           : mask == PAN_ATTENTION_MASK_BLOCK ? "block"
                                              : "none";
}

/* Keys at or beyond kv_len[b] do not exist; give them loud values so that a
 * kernel reading them changes the result. */
static void poison_missing_keys(const attention_spec *s, attention_params *p) {
    if (s->kv_len[0] < 0) return;
    float *k = p->k.data, *v = p->v.data; /* (B, Tk, Hkv, D) */
    int64_t row = s->hkv * s->d;
    for (int64_t b = 0; b < s->b; b++)
        for (int64_t j = s->kv_len[b]; j < s->tk; j++)
            for (int64_t e = 0; e < row; e++) {
                k[(b * s->tk + j) * row + e] = 1000.0f + (float)e;
                v[(b * s->tk + j) * row + e] = -5000.0f;
            }
}

static void attention_case(op_harness *h, const attention_spec *s) {
    test_rng *rng = op_harness_rng(h);
    attention_params p = {.mask = s->mask,
                          .scale = s->scale != 0.0f
                                       ? s->scale
                                       : 1.0f / sqrtf((float)s->d)};
    float mag = s->magnitude != 0.0f ? s->magnitude : 1.0f;
    p.q = op_rand(h, 4, PAN_SHAPE(s->b, s->tq, s->hq, s->d), mag, 0);
    p.k = op_rand(h, 4, PAN_SHAPE(s->b, s->tk, s->hkv, s->d), mag, 0);
    p.v = op_rand(h, 4, PAN_SHAPE(s->b, s->tk, s->hkv, s->d), 1, 0);
    p.out = op_view(NULL, PAN_DTYPE_F32, 4, p.q.shape);
    char extra[96] = "";
    size_t used = 0;
    if (s->kv_len[0] >= 0) {
        p.has_kv_len = true;
        p.kv_len = op_view(NULL, PAN_DTYPE_I32, 1, PAN_SHAPE(s->b));
        int32_t *len = op_input_i32(h, s->b, 0, 0);
        memcpy(len, s->kv_len, (size_t)s->b * sizeof *len);
        p.kv_len.data = len;
        poison_missing_keys(s, &p);
        used += (size_t)snprintf(extra + used, sizeof extra - used, " kv_len=");
        for (int64_t b = 0; b < s->b; b++)
            used += (size_t)snprintf(extra + used, sizeof extra - used,
                                     b ? ",%d" : "%d", (int)len[b]);
    }
    if (s->keys != KEYS_ALL) {
        p.has_key_mask = true;
        p.key_mask = op_view(NULL, PAN_DTYPE_U8, 2, PAN_SHAPE(s->b, s->tk));
        uint8_t *keep = op_input_u8(h, s->b * s->tk);
        for (int64_t b = 0; b < s->b; b++)
            for (int64_t j = 0; j < s->tk; j++)
                keep[b * s->tk + j] =
                    j == 0 || test_rng_int(rng, 0, 3) != 0 ? 1 : 0;
        if (s->keys == KEYS_RANDOM_EMPTY)
            memset(keep + s->tk, 0, (size_t)s->tk); /* batch 1: no key */
        p.key_mask.data = keep;
        used += (size_t)snprintf(extra + used, sizeof extra - used, " %s",
                                 s->keys == KEYS_RANDOM ? "key_mask"
                                                        : "key_mask(b1 empty)");
    }
    if (s->mask == PAN_ATTENTION_MASK_BLOCK) {
        p.q_block = op_view(NULL, PAN_DTYPE_I32, 1, PAN_SHAPE(s->tq));
        p.k_block = op_view(NULL, PAN_DTYPE_I32, 1, PAN_SHAPE(s->tk));
        int32_t *qb = op_input_i32(h, s->tq, 0, 0);
        int32_t *kb = op_input_i32(h, s->tk, 0, 0);
        for (int64_t i = 0; i < s->tq; i++)
            qb[i] = s->q_first_block + (int32_t)(i / s->chunk);
        for (int64_t j = 0; j < s->tk; j++) kb[j] = (int32_t)(j / s->chunk);
        if (s->blind_query) qb[0] = -1;
        p.q_block.data = qb;
        p.k_block.data = kb;
        used += (size_t)snprintf(extra + used, sizeof extra - used,
                                 " chunk=%d q_first=%d%s", s->chunk,
                                 s->q_first_block,
                                 s->blind_query ? " q0-blind" : "");
    }
    char sq[48], sk[48];
    op_case tc = {.op = PAN_OP_ATTENTION, .out_count = pan_tensor_numel(&p.q),
                  .run = run_attention, .params = &p};
    snprintf(tc.shape, sizeof tc.shape, "q%s kv%s %s%s scale=%.3g",
             pan_tensor_shape_str(&p.q, sq, sizeof sq),
             pan_tensor_shape_str(&p.k, sk, sizeof sk), mask_name(s->mask),
             extra, (double)p.scale);
    op_harness_run_case(h, &tc);
}

static void attention_cases(op_harness *h) {
    const pan_attention_mask NONE = PAN_ATTENTION_MASK_NONE,
                             CAUSAL = PAN_ATTENTION_MASK_CAUSAL,
                             BLOCK = PAN_ATTENTION_MASK_BLOCK;
    const attention_spec specs[] = {
        {1, 1, 1, 1, 1, 8, NONE, NO_KV_LEN, KEYS_ALL, 0, 0, false, 0, 0},
        {2, 7, 13, 4, 4, 16, NONE, NO_KV_LEN, KEYS_ALL, 0, 0, false, 0, 0},
        {1, 10, 3, 2, 2, 8, NONE, NO_KV_LEN, KEYS_ALL, 0, 0, false, 0, 0},
        {2, 9, 9, 8, 2, 32, CAUSAL, NO_KV_LEN, KEYS_ALL, 0, 0, false, 0, 0},
        {1, 4, 10, 2, 2, 16, CAUSAL, NO_KV_LEN, KEYS_ALL, 0, 0, false, 0, 0},
        /* a KV cache: queries are the last tokens of kv_len */
        {2, 4, 20, 4, 1, 24, CAUSAL, {10, 4}, KEYS_ALL, 0, 0, false, 0, 0},
        {2, 1, 17, 4, 2, 16, CAUSAL, {1, 17}, KEYS_ALL, 0, 0, false, 0, 0},
        /* batch 0 has no key at all: zeros */
        {2, 3, 8, 2, 2, 20, NONE, {0, 5}, KEYS_ALL, 0, 0, false, 0, 0},
        /* chunk-wise causal */
        {1, 12, 12, 4, 2, 16, BLOCK, NO_KV_LEN, KEYS_ALL, 4, 0, false, 0, 0},
        {2, 4, 12, 4, 4, 8, BLOCK, NO_KV_LEN, KEYS_ALL, 4, 2, false, 0, 0},
        {1, 6, 6, 2, 1, 12, BLOCK, NO_KV_LEN, KEYS_ALL, 2, 0, true, 0, 0},
        {2, 5, 10, 2, 2, 16, NONE, NO_KV_LEN, KEYS_RANDOM_EMPTY, 0, 0, false,
         0, 0},
        {2, 5, 10, 4, 2, 16, CAUSAL, NO_KV_LEN, KEYS_RANDOM, 0, 0, false, 0, 0},
        {2, 4, 16, 4, 2, 16, BLOCK, {12, 16}, KEYS_RANDOM, 4, 2, false, 0, 0},
        {2, 3, 9, 6, 3, 48, CAUSAL, {5, 9}, KEYS_RANDOM, 0, 0, false, 0, 0},
        {2, 64, 64, 8, 2, 64, CAUSAL, NO_KV_LEN, KEYS_ALL, 0, 0, false, 0, 0},
        /* peaked softmax: scores in the hundreds */
        {1, 16, 16, 2, 2, 16, NONE, NO_KV_LEN, KEYS_ALL, 0, 0, false, 8, 0},
        {1, 5, 7, 3, 1, 10, NONE, NO_KV_LEN, KEYS_ALL, 0, 0, false, 1, 0.3f},
        {3, 2, 33, 2, 1, 40, NONE, {33, 1, 17}, KEYS_ALL, 0, 0, false, 0, 0},
        /* long enough that openblas tiles the queries (128 / 64 row blocks) */
        {1, 200, 200, 2, 1, 64, NONE, NO_KV_LEN, KEYS_ALL, 0, 0, false, 0, 0},
        {1, 192, 192, 4, 2, 32, BLOCK, NO_KV_LEN, KEYS_ALL, 64, 0, false, 0, 0},
        {2, 150, 300, 4, 2, 16, CAUSAL, {200, 300}, KEYS_RANDOM, 0, 0, false,
         0, 0},
    };
    for (int i = 0; i < COUNT(specs); i++) attention_case(h, &specs[i]);
}

/* ---- rope ---- */

typedef struct rope_params {
    pan_tensor x, positions;
    int dims;
    float theta;
    bool in_place;
} rope_params;

static pan_status run_rope(pan_compute *c, const void *params, float *out) {
    const rope_params *p = params;
    pan_tensor o = p->x;
    o.data = out;
    pan_tensor x = p->x;
    if (p->in_place) x.data = out; /* holds x: op_case.init */
    return pan_compute_rope(c, &o, &x, &p->positions, p->dims, p->theta);
}

static void rope_cases(op_harness *h) {
    static const struct {
        int64_t b, t, heads, d;
        int dims;
        float theta;
        int32_t max_pos;
        bool in_place;
    } specs[] = {
        {1, 1, 1, 2, 1, 10000, 0, false},
        {2, 5, 3, 64, 1, 10000, 512, false},
        {1, 7, 2, 6, 1, 10000, 100, false},
        {2, 9, 4, 32, 1, 1e6f, 512, true},
        {1, 16, 8, 128, 1, 10000, 512, false},
        {2, 6, 2, 8, 2, 10000, 15, false},
        {1, 16, 4, 32, 2, 10000, 15, true},
        {1, 5, 3, 12, 2, 100, 31, false},
        {2, 64, 2, 16, 2, 10000, 7, false},
    };
    for (int i = 0; i < COUNT(specs); i++) {
        rope_params p = {.dims = specs[i].dims, .theta = specs[i].theta,
                         .in_place = specs[i].in_place};
        p.x = op_rand(h, 4, PAN_SHAPE(specs[i].b, specs[i].t, specs[i].heads,
                                      specs[i].d), 1, 0);
        p.positions = p.dims == 1
                          ? op_view(NULL, PAN_DTYPE_I32, 2,
                                    PAN_SHAPE(specs[i].b, specs[i].t))
                          : op_view(NULL, PAN_DTYPE_I32, 3,
                                    PAN_SHAPE(specs[i].b, specs[i].t, 2));
        p.positions.data = op_input_i32(h, pan_tensor_numel(&p.positions), 0,
                                        specs[i].max_pos);
        char sx[48];
        op_case tc = {.op = PAN_OP_ROPE, .out_count = pan_tensor_numel(&p.x),
                      .run = run_rope, .params = &p,
                      .init = p.in_place ? p.x.data : NULL};
        snprintf(tc.shape, sizeof tc.shape, "x%s %d-D theta=%g pos<=%d%s",
                 pan_tensor_shape_str(&p.x, sx, sizeof sx), p.dims,
                 (double)p.theta, (int)specs[i].max_pos,
                 p.in_place ? " in-place" : "");
        op_harness_run_case(h, &tc);
    }
}

void op_cases_attention(op_harness *h) {
    attention_cases(h);
    rope_cases(h);
}
