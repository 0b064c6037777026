/* tests/op_cases_attention_backward.c: parity cases for attention's lse
 * output and ROUNDS mask (forward), and for the attention backward (every
 * mask kind, GQA, kv_len, key_mask, queries that see no key). Backward
 * inputs out and lse come from a ref forward on the same q, k, v; dq, dk
 * and dv start from a random init (accumulation) and are compared part by
 * part. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tests/op_harness.h"

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define NO_LSE (-1.0e4f) /* -inf lse (no key seen) in the compared output */

typedef struct spec {
    int64_t b, tq, tk, hq, hkv, d;
    pan_attention_mask mask;
    int32_t kv_len[3]; /* used when kv_len[0] >= 0 */
    bool key_mask;     /* about a quarter of the keys hidden, key 0 kept */
    bool blind_query;  /* BLOCK: query 0 sees no key; else batch 1 none */
    int window;        /* ROUNDS: N; rounds of 3 after 2 round-0 tokens */
    float magnitude;
} spec;

typedef struct params {
    pan_tensor q, k, v, out, dout, lse;
    pan_tensor kv_len, q_block, k_block, key_mask, q_round, k_round;
    bool has_kv_len, has_key_mask;
    pan_attention_mask mask;
    int window;
    float scale;
} params;

static pan_attention_extra extra_of(const params *p) {
    pan_attention_extra e = {.round_window = p->window};
    if (p->has_kv_len) e.kv_len = &p->kv_len;
    if (p->has_key_mask) e.key_mask = &p->key_mask;
    if (p->mask == PAN_ATTENTION_MASK_BLOCK) {
        e.q_block = &p->q_block;
        e.k_block = &p->k_block;
    }
    if (p->mask == PAN_ATTENTION_MASK_ROUNDS) {
        e.q_round = &p->q_round;
        e.k_round = &p->k_round;
    }
    return e;
}

/* out | lse */
static pan_status run_forward(pan_compute *c, const void *vp, float *out) {
    const params *p = vp;
    pan_tensor o = p->out, lse = p->lse;
    o.data = out;
    lse.data = out + pan_tensor_numel(&p->out);
    pan_attention_extra e = extra_of(p);
    e.lse = &lse;
    pan_status s = pan_compute_attention(c, &o, &p->q, &p->k, &p->v, p->mask,
                                         p->scale, &e);
    if (s == PAN_OK) { /* -inf is right for a blind query; make it finite */
        float *l = lse.data;
        for (int64_t i = 0; i < pan_tensor_numel(&lse); i++)
            if (l[i] == -INFINITY) l[i] = NO_LSE;
    }
    return s;
}

/* dq | dk | dv */
static pan_status run_backward(pan_compute *c, const void *vp, float *out) {
    const params *p = vp;
    pan_tensor dq = p->q, dk = p->k, dv = p->v;
    dq.data = out;
    dk.data = out + pan_tensor_numel(&p->q);
    dv.data = (float *)dk.data + pan_tensor_numel(&p->k);
    pan_attention_extra e = extra_of(p);
    return pan_compute_attention_backward(c, &p->q, &p->k, &p->v, &p->out,
                                          &p->dout, &p->lse, p->mask, p->scale,
                                          &e, &dq, &dk, &dv);
}

static const char *mask_name(pan_attention_mask mask) {
    static const char *const names[] = {"none", "causal", "block", "rounds"};
    return names[mask];
}

/* Inputs of one spec (harness-owned); describes them in `what`. */
static void setup(op_harness *h, const spec *s, params *p, char *what,
                  size_t size) {
    test_rng *rng = op_harness_rng(h);
    float mag = s->magnitude != 0.0f ? s->magnitude : 1.0f;
    *p = (params){.mask = s->mask, .window = s->window,
                  .scale = 1.0f / sqrtf((float)s->d)};
    p->q = op_rand(h, 4, PAN_SHAPE(s->b, s->tq, s->hq, s->d), mag, 0);
    p->k = op_rand(h, 4, PAN_SHAPE(s->b, s->tk, s->hkv, s->d), mag, 0);
    p->v = op_rand(h, 4, PAN_SHAPE(s->b, s->tk, s->hkv, s->d), 1, 0);
    p->out = op_view(NULL, PAN_DTYPE_F32, 4, p->q.shape);
    p->lse = op_view(NULL, PAN_DTYPE_F32, 3, PAN_SHAPE(s->b, s->hq, s->tq));
    size_t used = (size_t)snprintf(what, size, "q[%lld,%lld,%lld,%lld] "
                                   "kv[%lld,%lld] %s",
                                   (long long)s->b, (long long)s->tq,
                                   (long long)s->hq, (long long)s->d,
                                   (long long)s->tk, (long long)s->hkv,
                                   mask_name(s->mask));
    int32_t len[3];
    for (int64_t b = 0; b < s->b; b++)
        len[b] = s->kv_len[0] >= 0 ? s->kv_len[b] : (int32_t)s->tk;
    if (s->kv_len[0] >= 0) {
        p->has_kv_len = true;
        p->kv_len = op_view(NULL, PAN_DTYPE_I32, 1, PAN_SHAPE(s->b));
        p->kv_len.data = op_input_i32(h, s->b, 0, 0);
        memcpy(p->kv_len.data, len, (size_t)s->b * sizeof *len);
        used += (size_t)snprintf(what + used, size - used, " kv_len");
    }
    if (s->key_mask) {
        p->has_key_mask = true;
        p->key_mask = op_view(NULL, PAN_DTYPE_U8, 2, PAN_SHAPE(s->b, s->tk));
        uint8_t *keep = op_input_u8(h, s->b * s->tk);
        for (int64_t e = 0; e < s->b * s->tk; e++)
            keep[e] = e % s->tk == 0 || test_rng_int(rng, 0, 3) != 0;
        if (s->blind_query && s->mask != PAN_ATTENTION_MASK_BLOCK && s->b > 1)
            memset(keep + s->tk, 0, (size_t)s->tk);
        p->key_mask.data = keep;
        used += (size_t)snprintf(what + used, size - used, " key_mask%s",
                                 s->blind_query ? "(b1 empty)" : "");
    }
    if (s->mask == PAN_ATTENTION_MASK_BLOCK) {
        p->q_block = op_view(NULL, PAN_DTYPE_I32, 1, PAN_SHAPE(s->tq));
        p->k_block = op_view(NULL, PAN_DTYPE_I32, 1, PAN_SHAPE(s->tk));
        int32_t *qb = op_input_i32(h, s->tq, 0, 0);
        int32_t *kb = op_input_i32(h, s->tk, 0, 0);
        int64_t first = (s->tk - s->tq) / 4; /* the last query chunks */
        for (int64_t i = 0; i < s->tq; i++) qb[i] = (int32_t)(first + i / 4);
        for (int64_t j = 0; j < s->tk; j++) kb[j] = (int32_t)(j / 4);
        if (s->blind_query) qb[0] = -1;
        p->q_block.data = qb;
        p->k_block.data = kb;
        used += (size_t)snprintf(what + used, size - used, " chunk=4%s",
                                 s->blind_query ? " q0-blind" : "");
    }
    if (s->mask == PAN_ATTENTION_MASK_ROUNDS) {
        p->q_round = op_view(NULL, PAN_DTYPE_I32, 2, PAN_SHAPE(s->b, s->tq));
        p->k_round = op_view(NULL, PAN_DTYPE_I32, 2, PAN_SHAPE(s->b, s->tk));
        int32_t *qr = op_input_i32(h, s->b * s->tq, 0, 0);
        int32_t *kr = op_input_i32(h, s->b * s->tk, 0, 0);
        for (int64_t b = 0; b < s->b; b++) {
            for (int64_t j = 0; j < s->tk; j++)
                kr[b * s->tk + j] = j < 2 ? 0 : (int32_t)(1 + (j - 2) / 3);
            for (int64_t i = 0; i < s->tq; i++)
                qr[b * s->tq + i] = kr[b * s->tk + len[b] - s->tq + i];
        }
        p->q_round.data = qr;
        p->k_round.data = kr;
        used += (size_t)snprintf(what + used, size - used, " N=%d", s->window);
    }
}

static const spec specs[] = {
    {1, 1, 1, 1, 1, 8, PAN_ATTENTION_MASK_NONE, {-1}, false, false, 0, 0},
    {2, 7, 13, 4, 4, 16, PAN_ATTENTION_MASK_NONE, {-1}, false, false, 0, 0},
    {2, 9, 9, 8, 2, 32, PAN_ATTENTION_MASK_CAUSAL, {-1}, false, false, 0, 0},
    {2, 4, 20, 4, 1, 24, PAN_ATTENTION_MASK_CAUSAL, {10, 4}, false, false, 0, 0},
    {2, 3, 8, 2, 2, 20, PAN_ATTENTION_MASK_NONE, {0, 5}, false, false, 0, 0},
    {1, 12, 12, 4, 2, 16, PAN_ATTENTION_MASK_BLOCK, {-1}, false, true, 0, 0},
    {2, 4, 16, 4, 2, 16, PAN_ATTENTION_MASK_BLOCK, {12, 16}, true, false, 0, 0},
    {2, 5, 10, 2, 2, 16, PAN_ATTENTION_MASK_NONE, {-1}, true, true, 0, 0},
    {2, 5, 10, 4, 2, 16, PAN_ATTENTION_MASK_CAUSAL, {-1}, true, false, 0, 0},
    {1, 16, 16, 2, 2, 16, PAN_ATTENTION_MASK_NONE, {-1}, false, false, 0, 8},
    {2, 17, 17, 4, 2, 8, PAN_ATTENTION_MASK_ROUNDS, {-1}, false, false, 2, 0},
    {2, 17, 17, 4, 1, 8, PAN_ATTENTION_MASK_ROUNDS, {-1}, false, false, 3, 0},
    {2, 6, 20, 2, 2, 16, PAN_ATTENTION_MASK_ROUNDS, {20, 14}, true, false, 4, 0},
    {3, 8, 33, 2, 1, 40, PAN_ATTENTION_MASK_ROUNDS, {33, 8, 17}, false, false, 2, 0},
    {1, 150, 150, 4, 2, 32, PAN_ATTENTION_MASK_ROUNDS, {-1}, false, false, 4, 0},
    {1, 200, 200, 2, 1, 64, PAN_ATTENTION_MASK_NONE, {-1}, false, false, 0, 0},
    {2, 150, 300, 4, 2, 16, PAN_ATTENTION_MASK_CAUSAL, {200, 300}, true, false, 0, 0},
};

void op_cases_attention_backward(op_harness *h) {
    pan_compute *ref = NULL;
    pan_compute_options opts = {.backend = "ref", .strict = true,
                                .n_threads = 2};
    if (pan_compute_create(&ref, &opts) != PAN_OK) {
        printf("FAIL: cannot create a ref compute for attention inputs\n");
        return;
    }
    char what[160];
    for (int i = 0; i < COUNT(specs); i++) { /* forward: out | lse */
        params p;
        setup(h, &specs[i], &p, what, sizeof what);
        op_case tc = {.op = PAN_OP_ATTENTION,
                      .out_count = pan_tensor_numel(&p.out) +
                                   pan_tensor_numel(&p.lse),
                      .run = run_forward, .params = &p, .n_parts = 2,
                      .parts = {pan_tensor_numel(&p.out),
                                pan_tensor_numel(&p.lse)}};
        snprintf(tc.shape, sizeof tc.shape, "%s +lse", what);
        op_harness_run_case(h, &tc);
    }
    /* backward: dq | dk | dv. Not the first spec: with a single key dq and
     * dk are exactly 0 in ref's double arithmetic and ~1e-9 in f32, an nmse
     * of inf against zero. */
    for (int i = 1; i < COUNT(specs); i++) {
        params p;
        setup(h, &specs[i], &p, what, sizeof what);
        p.dout = op_rand(h, 4, p.q.shape, 1, 0);
        p.out.data = op_input_f32(h, pan_tensor_numel(&p.out), 0, 0);
        p.lse.data = op_input_f32(h, pan_tensor_numel(&p.lse), 0, 0);
        pan_attention_extra e = extra_of(&p);
        e.lse = &p.lse;
        if (pan_compute_attention(ref, &p.out, &p.q, &p.k, &p.v, p.mask,
                                  p.scale, &e) != PAN_OK) {
            printf("FAIL: ref forward for '%s': %s\n", what,
                   pan_error_message());
            continue;
        }
        int64_t nq = pan_tensor_numel(&p.q), nk = pan_tensor_numel(&p.k);
        op_case tc = {.op = PAN_OP_ATTENTION_BACKWARD,
                      .out_count = nq + 2 * nk, .run = run_backward,
                      .params = &p, .delta = true, .n_parts = 3,
                      .parts = {nq, nk, nk}};
        tc.init = op_input_f32(h, tc.out_count, 1, 0);
        /* scores in the hundreds: f32 scores against ref's double ones
         * move p by ~1e-5 relative (observed 9.6e-12) */
        if (specs[i].magnitude > 1) tc.bound = 1e-10;
        snprintf(tc.shape, sizeof tc.shape, "%s", what);
        op_harness_run_case(h, &tc);
    }
    pan_compute_destroy(ref);
}
