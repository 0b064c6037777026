/* benchmarks/bench_cases.c: the benchmark table, shapes from docs/model.md
 * "Configuration" (d = 256 transformer at 256 tokens, 16 query tokens against a
 * KV cache, DiT over 16x16x4 latents with patch 2 = 64 tokens per frame,
 * K = 4 frames, VAE convolutions at 64x64) plus the target shapes.
 *
 * Tensor roles in bench_case.t, per op:
 *   matmul     a, b, out, [bias]          conv2d   x, weight, out, [bias]
 *   attention  q, k, v, out, [kv_len]     rope     x, positions, out
 *   layer/group_norm  x, out, gamma, beta rms_norm x, out, gamma
 *   softmax, silu, gelu, upsample, patchify, unpatchify   in, out
 *   swiglu, add  a, b, out                modulate x, shift, scale, out
 *   gate_add   residual, y, gate, out     embedding table, ids, out
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchmarks/bench.h"

/* ---- tensors ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng_next(void) { /* SplitMix64: same numbers everywhere */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static float rng_uniform(void) { /* [-1, 1) */
    return (float)((double)(rng_next() >> 40) / (double)(1ull << 24)) * 2.0f -
           1.0f;
}

static void *alloc_aligned(size_t bytes) {
    size_t rounded = (bytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, rounded ? rounded : 64);
    if (p) memset(p, 0, rounded ? rounded : 64);
    return p;
}

/* Appends a tensor of `dtype`; f32 values uniform in offset +- scale, i32
 * values in [0, (int)scale), u8 all 1. Returns its index or -1. */
static int add_tensor(bench_case *bc, pan_dtype dtype, int ndim,
                      const int64_t *shape, float scale, float offset) {
    if (bc->n_tensors >= BENCH_MAX_TENSORS) return -1;
    pan_tensor *t = &bc->t[bc->n_tensors];
    if (pan_tensor_init(t, NULL, dtype, ndim, shape) != PAN_OK) return -1;
    t->data = alloc_aligned(pan_tensor_nbytes(t));
    if (!t->data) return -1;
    int64_t n = pan_tensor_numel(t);
    if (dtype == PAN_DTYPE_F32) {
        float *f = t->data;
        for (int64_t i = 0; i < n; i++) f[i] = offset + scale * rng_uniform();
    } else if (dtype == PAN_DTYPE_I32) {
        int32_t *v = t->data;
        for (int64_t i = 0; i < n; i++)
            v[i] = (int32_t)(rng_next() % (uint64_t)(scale > 1 ? scale : 1));
    } else {
        memset(t->data, 1, pan_tensor_nbytes(t));
    }
    return bc->n_tensors++;
}

static int add_f32(bench_case *bc, int ndim, const int64_t *shape) {
    return add_tensor(bc, PAN_DTYPE_F32, ndim, shape, 1.0f, 0.0f);
}

static int add_out(bench_case *bc, int ndim, const int64_t *shape) {
    int i = add_tensor(bc, PAN_DTYPE_F32, ndim, shape, 0.0f, 0.0f);
    bc->out = i;
    return i;
}

/* ---- run functions ---- */

static pan_status run_matmul(pan_compute *c, const bench_case *bc) {
    pan_tensor out = bc->t[2];
    return pan_compute_matmul(c, &out, &bc->t[0], &bc->t[1],
                              bc->has_bias ? &bc->t[3] : NULL, bc->trans_a,
                              bc->trans_b, bc->alpha, bc->beta);
}

static pan_status run_conv2d(pan_compute *c, const bench_case *bc) {
    pan_tensor out = bc->t[2];
    return pan_compute_conv2d(c, &out, &bc->t[0], &bc->t[1],
                              bc->has_bias ? &bc->t[3] : NULL, bc->stride,
                              bc->pad);
}

static pan_status run_attention(pan_compute *c, const bench_case *bc) {
    pan_tensor out = bc->t[3];
    pan_attention_extra extra = {0};
    if (bc->has_kv_len) extra.kv_len = &bc->t[4];
    return pan_compute_attention(c, &out, &bc->t[0], &bc->t[1], &bc->t[2],
                                 bc->mask, bc->scale, &extra);
}

static pan_status run_norm(pan_compute *c, const bench_case *bc) {
    pan_tensor out = bc->t[1];
    switch (bc->op) {
    case PAN_OP_LAYER_NORM:
        return pan_compute_layer_norm(c, &out, &bc->t[0], &bc->t[2],
                                      &bc->t[3], bc->eps);
    case PAN_OP_GROUP_NORM:
        return pan_compute_group_norm(c, &out, &bc->t[0], &bc->t[2],
                                      &bc->t[3], bc->groups, bc->eps);
    default:
        return pan_compute_rms_norm(c, &out, &bc->t[0], &bc->t[2], bc->eps);
    }
}

static pan_status run_unary(pan_compute *c, const bench_case *bc) {
    pan_tensor out = bc->t[1];
    const pan_tensor *x = &bc->t[0];
    switch (bc->op) {
    case PAN_OP_SOFTMAX: return pan_compute_softmax(c, &out, x);
    case PAN_OP_SILU: return pan_compute_silu(c, &out, x);
    case PAN_OP_GELU: return pan_compute_gelu(c, &out, x, bc->gelu_mode);
    case PAN_OP_UPSAMPLE_NEAREST:
        return pan_compute_upsample_nearest(c, &out, x, bc->factor);
    case PAN_OP_PATCHIFY: return pan_compute_patchify(c, &out, x, bc->patch);
    default: return pan_compute_unpatchify(c, &out, x, bc->patch);
    }
}

static pan_status run_binary(pan_compute *c, const bench_case *bc) {
    pan_tensor out = bc->t[2];
    switch (bc->op) {
    case PAN_OP_SWIGLU:
        return pan_compute_swiglu(c, &out, &bc->t[0], &bc->t[1]);
    case PAN_OP_EMBEDDING:
        return pan_compute_embedding(c, &out, &bc->t[0], &bc->t[1]);
    case PAN_OP_ROPE:
        return pan_compute_rope(c, &out, &bc->t[0], &bc->t[1], bc->dims,
                                bc->theta);
    default: return pan_compute_add(c, &out, &bc->t[0], &bc->t[1]);
    }
}

static pan_status run_ternary(pan_compute *c, const bench_case *bc) {
    pan_tensor out = bc->t[3];
    if (bc->op == PAN_OP_MODULATE)
        return pan_compute_modulate(c, &out, &bc->t[0], &bc->t[1], &bc->t[2]);
    return pan_compute_gate_add(c, &out, &bc->t[0], &bc->t[1], &bc->t[2]);
}

/* ---- case builders; each returns false on allocation failure ---- */

static bench_case *next_case(bench_case *cases, int *n, int cap, pan_op op) {
    if (*n >= cap) return NULL;
    bench_case *bc = &cases[(*n)++];
    memset(bc, 0, sizeof *bc);
    bc->op = op;
    bc->out = -1;
    return bc;
}

static bool matmul_case(bench_case *bc, int64_t batch, int64_t m, int64_t k,
                        int64_t n, bool trans_b, bool bias, float beta,
                        const char *what, const char *target) {
    bool batched = batch > 0;
    int64_t bs = batched ? batch : 1;
    bool ok = (batched ? add_f32(bc, 3, PAN_SHAPE(bs, m, k))
                       : add_f32(bc, 2, PAN_SHAPE(m, k))) >= 0;
    ok = ok && (trans_b ? add_f32(bc, 2, PAN_SHAPE(n, k))
                        : add_f32(bc, 2, PAN_SHAPE(k, n))) >= 0;
    ok = ok && (batched ? add_out(bc, 3, PAN_SHAPE(bs, m, n))
                        : add_out(bc, 2, PAN_SHAPE(m, n))) >= 0;
    if (bias) ok = ok && add_f32(bc, 1, PAN_SHAPE(n)) >= 0;
    if (!ok) return false;
    bc->run = run_matmul;
    bc->trans_b = trans_b;
    bc->has_bias = bias;
    bc->alpha = 1.0f;
    bc->beta = beta;
    bc->target = target;
    bc->flops = 2.0 * (double)(bs * m * n * k);
    if (beta != 0.0f) {
        int64_t count = bs * m * n;
        bc->out_init = malloc((size_t)count * sizeof(float));
        if (!bc->out_init) return false;
        for (int64_t i = 0; i < count; i++) bc->out_init[i] = rng_uniform();
    }
    char a_dims[48];
    pan_tensor_shape_str(&bc->t[0], a_dims, sizeof a_dims);
    snprintf(bc->shape, sizeof bc->shape, "%s %sx[%lld,%lld]%s%s%s", what,
             a_dims, (long long)k, (long long)n, trans_b ? " (W^T)" : "",
             bias ? " +bias" : "", beta != 0.0f ? " beta=1" : "");
    return true;
}

static bool conv_case(bench_case *bc, int64_t n, int64_t c, int64_t h,
                      int64_t w, int64_t oc, int64_t kk, int stride, int pad,
                      const char *what, const char *target) {
    int64_t oh = (h + 2 * pad - kk) / stride + 1;
    int64_t ow = (w + 2 * pad - kk) / stride + 1;
    bool ok = add_f32(bc, 4, PAN_SHAPE(n, c, h, w)) >= 0 &&
              add_tensor(bc, PAN_DTYPE_F32, 4, PAN_SHAPE(oc, c, kk, kk),
                         0.2f, 0.0f) >= 0 &&
              add_out(bc, 4, PAN_SHAPE(n, oc, oh, ow)) >= 0 &&
              add_f32(bc, 1, PAN_SHAPE(oc)) >= 0;
    if (!ok) return false;
    bc->run = run_conv2d;
    bc->has_bias = true;
    bc->stride = stride;
    bc->pad = pad;
    bc->target = target;
    bc->flops = 2.0 * (double)(n * oc * oh * ow * c * kk * kk);
    snprintf(bc->shape, sizeof bc->shape,
             "%s x[%lld,%lld,%lld,%lld] %lldx%lld %lld->%lld s%d p%d +bias",
             what, (long long)n, (long long)c, (long long)h, (long long)w,
             (long long)kk, (long long)kk, (long long)c, (long long)oc, stride,
             pad);
    return true;
}

static bool attention_case(bench_case *bc, int64_t b, int64_t tq, int64_t tk,
                           int64_t hq, int64_t hkv, int64_t d,
                           pan_attention_mask mask, int32_t kv_len,
                           const char *what, const char *target) {
    bool ok = add_f32(bc, 4, PAN_SHAPE(b, tq, hq, d)) >= 0 &&
              add_f32(bc, 4, PAN_SHAPE(b, tk, hkv, d)) >= 0 &&
              add_f32(bc, 4, PAN_SHAPE(b, tk, hkv, d)) >= 0 &&
              add_out(bc, 4, PAN_SHAPE(b, tq, hq, d)) >= 0;
    if (ok && kv_len > 0) {
        int i = add_tensor(bc, PAN_DTYPE_I32, 1, PAN_SHAPE(b), 1.0f, 0.0f);
        ok = i >= 0;
        if (ok)
            for (int64_t j = 0; j < b; j++)
                ((int32_t *)bc->t[i].data)[j] = kv_len;
    }
    if (!ok) return false;
    bc->run = run_attention;
    bc->has_kv_len = kv_len > 0;
    bc->mask = mask;
    bc->scale = 1.0f / sqrtf((float)d);
    bc->target = target;
    /* FLOPs of the visible (query, key) pairs: 2*D for q.k, 2*D for p*v */
    int64_t len = kv_len > 0 ? kv_len : tk, pairs = 0;
    for (int64_t i = 0; i < tq; i++)
        pairs += mask == PAN_ATTENTION_MASK_CAUSAL ? len - tq + i + 1 : len;
    bc->flops = 4.0 * (double)(b * hq * d) * (double)pairs;
    snprintf(bc->shape, sizeof bc->shape,
             "%s q[%lld,%lld,%lld,%lld] kv[%lld,%lld,%lld,%lld] %s%s", what,
             (long long)b, (long long)tq, (long long)hq, (long long)d,
             (long long)b, (long long)tk, (long long)hkv, (long long)d,
             mask == PAN_ATTENTION_MASK_CAUSAL ? "causal" : "none",
             kv_len > 0 ? " kv_len" : "");
    return true;
}

/* A memory-bound op: x of `shape` (and the extra tensors its run needs). */
static bool simple_case(bench_case *bc, int ndim, const int64_t *shape,
                        const char *what) {
    const pan_tensor *x;
    int64_t last = shape[ndim - 1];
    bool ok = add_f32(bc, ndim, shape) >= 0;
    if (!ok) return false;
    x = &bc->t[0];
    switch (bc->op) {
    case PAN_OP_LAYER_NORM:
    case PAN_OP_RMS_NORM:
        ok = add_out(bc, ndim, shape) >= 0 && add_f32(bc, 1, &last) >= 0 &&
             (bc->op == PAN_OP_RMS_NORM || add_f32(bc, 1, &last) >= 0);
        bc->run = run_norm;
        bc->eps = 1e-5f;
        break;
    case PAN_OP_GROUP_NORM:
        ok = add_out(bc, ndim, shape) >= 0 &&
             add_f32(bc, 1, &shape[1]) >= 0 && add_f32(bc, 1, &shape[1]) >= 0;
        bc->run = run_norm;
        bc->eps = 1e-5f;
        bc->groups = 8;
        break;
    case PAN_OP_SOFTMAX:
    case PAN_OP_SILU:
    case PAN_OP_GELU:
        ok = add_out(bc, ndim, shape) >= 0;
        bc->run = run_unary;
        break;
    case PAN_OP_UPSAMPLE_NEAREST:
        bc->factor = 2;
        ok = add_out(bc, 4, PAN_SHAPE(x->shape[0], x->shape[1],
                                      x->shape[2] * 2, x->shape[3] * 2)) >= 0;
        bc->run = run_unary;
        break;
    case PAN_OP_PATCHIFY: /* image (N, C, H, W), patch 2 */
        bc->patch = 2;
        ok = add_out(bc, 3, PAN_SHAPE(x->shape[0],
                                      x->shape[2] / 2 * (x->shape[3] / 2),
                                      x->shape[1] * 4)) >= 0;
        bc->run = run_unary;
        break;
    case PAN_OP_UNPATCHIFY: /* tokens (N, 64, 16) -> image (N, 4, 16, 16) */
        bc->patch = 2;
        ok = add_out(bc, 4, PAN_SHAPE(x->shape[0], 4, 16, 16)) >= 0;
        bc->run = run_unary;
        break;
    case PAN_OP_SWIGLU:
    case PAN_OP_ADD:
        ok = add_f32(bc, ndim, shape) >= 0 && add_out(bc, ndim, shape) >= 0;
        bc->run = run_binary;
        break;
    case PAN_OP_ROPE: { /* x (B, T, H, D); positions (B, T[, 2]) */
        bc->dims = bc->dims ? bc->dims : 1;
        bc->theta = 10000.0f;
        int64_t pos[3] = {shape[0], shape[1], 2};
        ok = add_tensor(bc, PAN_DTYPE_I32, bc->dims == 2 ? 3 : 2, pos,
                        bc->dims == 2 ? 8.0f : 512.0f, 0.0f) >= 0 &&
             add_out(bc, ndim, shape) >= 0;
        bc->run = run_binary;
        break;
    }
    case PAN_OP_EMBEDDING: /* x is the table (V, D); ids (256) */
        ok = add_tensor(bc, PAN_DTYPE_I32, 1, PAN_SHAPE(256),
                        (float)shape[0], 0.0f) >= 0 &&
             add_out(bc, 2, PAN_SHAPE(256, last)) >= 0;
        bc->run = run_binary;
        break;
    case PAN_OP_MODULATE:
    case PAN_OP_GATE_ADD: /* x (B, T, C); two (B, C) vectors */
        if (bc->op == PAN_OP_MODULATE) {
            ok = add_f32(bc, 2, PAN_SHAPE(shape[0], last)) >= 0 &&
                 add_f32(bc, 2, PAN_SHAPE(shape[0], last)) >= 0;
        } else {
            ok = add_f32(bc, ndim, shape) >= 0 &&
                 add_f32(bc, 2, PAN_SHAPE(shape[0], last)) >= 0;
        }
        ok = ok && add_out(bc, ndim, shape) >= 0;
        bc->run = run_ternary;
        break;
    default:
        return false;
    }
    char dims[48];
    pan_tensor_shape_str(&bc->t[0], dims, sizeof dims);
    snprintf(bc->shape, sizeof bc->shape, "%s %s", what, dims);
    return ok;
}

int64_t bench_case_out_count(const bench_case *bc) {
    return pan_tensor_numel(&bc->t[bc->out]);
}

float *bench_case_out(const bench_case *bc) { return bc->t[bc->out].data; }

void bench_case_reset(const bench_case *bc) {
    size_t bytes = pan_tensor_nbytes(&bc->t[bc->out]);
    if (bc->out_init)
        memcpy(bench_case_out(bc), bc->out_init, bytes);
    else
        memset(bench_case_out(bc), 0, bytes);
}

#define MAX_CASES 64

bench_case *bench_cases_create(int *count) {
    bench_case *cases = calloc(MAX_CASES, sizeof *cases);
    if (!cases) return NULL;
    int n = 0;
    bool ok = true;
    bench_case *bc;
#define CASE(op) ((bc = next_case(cases, &n, MAX_CASES, (op))) != NULL)
    const pan_attention_mask NONE = PAN_ATTENTION_MASK_NONE,
                             CAUSAL = PAN_ATTENTION_MASK_CAUSAL;
    /* matmul: target, then the d = 256 transformer's linears */
    ok = ok && CASE(PAN_OP_MATMUL) &&
         matmul_case(bc, 0, 1024, 1024, 1024, false, false, 0.0f, "square",
                     "matmul1024");
    ok = ok && CASE(PAN_OP_MATMUL) &&
         matmul_case(bc, 0, 256, 256, 768, true, true, 0.0f, "qkv 256 tok",
                     NULL);
    ok = ok && CASE(PAN_OP_MATMUL) &&
         matmul_case(bc, 0, 256, 256, 1536, true, false, 0.0f,
                     "swiglu up 256 tok", NULL);
    ok = ok && CASE(PAN_OP_MATMUL) &&
         matmul_case(bc, 0, 256, 768, 256, true, true, 1.0f,
                     "mlp down 256 tok", NULL);
    ok = ok && CASE(PAN_OP_MATMUL) &&
         matmul_case(bc, 0, 16, 256, 768, true, true, 0.0f, "qkv 16 tok",
                     NULL);
    ok = ok && CASE(PAN_OP_MATMUL) &&
         matmul_case(bc, 4, 64, 256, 256, true, true, 0.0f,
                     "dit 4x64 tok", NULL);
    /* conv2d: the VAE at 64x64 */
    ok = ok && CASE(PAN_OP_CONV2D) &&
         conv_case(bc, 1, 32, 64, 64, 32, 3, 1, 1, "vae", "conv3x3");
    ok = ok && CASE(PAN_OP_CONV2D) &&
         conv_case(bc, 1, 3, 64, 64, 32, 3, 1, 1, "vae in", NULL);
    ok = ok && CASE(PAN_OP_CONV2D) &&
         conv_case(bc, 4, 32, 64, 64, 32, 3, 1, 1, "vae K=4", NULL);
    ok = ok && CASE(PAN_OP_CONV2D) &&
         conv_case(bc, 1, 32, 64, 64, 64, 3, 2, 1, "vae down", NULL);
    ok = ok && CASE(PAN_OP_CONV2D) &&
         conv_case(bc, 1, 64, 32, 32, 64, 3, 1, 1, "vae", NULL);
    ok = ok && CASE(PAN_OP_CONV2D) &&
         conv_case(bc, 1, 128, 16, 16, 8, 1, 1, 0, "vae 1x1", NULL);
    /* attention: targets (B=1, T=256, D=64), decode against a KV cache,
     * DiT self- and cross-attention over 4 frames of 64 tokens */
    ok = ok && CASE(PAN_OP_ATTENTION) &&
         attention_case(bc, 1, 256, 256, 4, 4, 64, NONE, 0, "self",
                        "attention");
    ok = ok && CASE(PAN_OP_ATTENTION) &&
         attention_case(bc, 1, 256, 256, 4, 4, 64, CAUSAL, 0, "self",
                        "attention");
    ok = ok && CASE(PAN_OP_ATTENTION) &&
         attention_case(bc, 1, 256, 256, 8, 8, 64, NONE, 0, "self",
                        "attention");
    ok = ok && CASE(PAN_OP_ATTENTION) &&
         attention_case(bc, 1, 256, 256, 8, 8, 64, CAUSAL, 0, "self",
                        "attention");
    ok = ok && CASE(PAN_OP_ATTENTION) &&
         attention_case(bc, 1, 16, 512, 4, 2, 64, CAUSAL, 400, "decode gqa",
                        NULL);
    ok = ok && CASE(PAN_OP_ATTENTION) &&
         attention_case(bc, 4, 64, 64, 4, 4, 64, NONE, 0, "dit", NULL);
    ok = ok && CASE(PAN_OP_ATTENTION) &&
         attention_case(bc, 4, 64, 16, 4, 4, 64, NONE, 0, "dit cross", NULL);
    /* memory-bound ops at the same sizes */
    ok = ok && CASE(PAN_OP_LAYER_NORM) &&
         simple_case(bc, 2, PAN_SHAPE(256, 256), "tokens");
    ok = ok && CASE(PAN_OP_RMS_NORM) &&
         simple_case(bc, 2, PAN_SHAPE(256, 256), "tokens");
    ok = ok && CASE(PAN_OP_GROUP_NORM) &&
         simple_case(bc, 4, PAN_SHAPE(1, 32, 64, 64), "vae g=8");
    ok = ok && CASE(PAN_OP_SOFTMAX) &&
         simple_case(bc, 2, PAN_SHAPE(1024, 256), "scores");
    ok = ok && CASE(PAN_OP_SILU) &&
         simple_case(bc, 4, PAN_SHAPE(1, 32, 64, 64), "vae");
    ok = ok && CASE(PAN_OP_GELU) &&
         simple_case(bc, 2, PAN_SHAPE(256, 1024), "mlp tanh");
    if (ok) bc->gelu_mode = PAN_GELU_TANH;
    ok = ok && CASE(PAN_OP_GELU) &&
         simple_case(bc, 2, PAN_SHAPE(256, 1024), "mlp erf");
    ok = ok && CASE(PAN_OP_SWIGLU) &&
         simple_case(bc, 2, PAN_SHAPE(256, 768), "mlp");
    ok = ok && CASE(PAN_OP_ROPE) &&
         simple_case(bc, 4, PAN_SHAPE(1, 256, 4, 64), "1-D");
    ok = ok && CASE(PAN_OP_ROPE);
    if (ok) bc->dims = 2;
    ok = ok && simple_case(bc, 4, PAN_SHAPE(4, 64, 4, 64), "2-D");
    ok = ok && CASE(PAN_OP_MODULATE) &&
         simple_case(bc, 3, PAN_SHAPE(4, 64, 256), "dit");
    ok = ok && CASE(PAN_OP_GATE_ADD) &&
         simple_case(bc, 3, PAN_SHAPE(4, 64, 256), "dit");
    ok = ok && CASE(PAN_OP_EMBEDDING) &&
         simple_case(bc, 2, PAN_SHAPE(260, 256), "bytes V=260");
    ok = ok && CASE(PAN_OP_PATCHIFY) &&
         simple_case(bc, 4, PAN_SHAPE(4, 4, 16, 16), "latents p=2");
    ok = ok && CASE(PAN_OP_UNPATCHIFY) &&
         simple_case(bc, 3, PAN_SHAPE(4, 64, 16), "latents p=2");
    ok = ok && CASE(PAN_OP_UPSAMPLE_NEAREST) &&
         simple_case(bc, 4, PAN_SHAPE(1, 64, 32, 32), "vae x2");
    ok = ok && CASE(PAN_OP_ADD) &&
         simple_case(bc, 3, PAN_SHAPE(4, 64, 256), "residual");
#undef CASE
    if (!ok) {
        fprintf(stderr, "pan-bench-ops: out of memory building the cases\n");
        bench_cases_destroy(cases, n);
        return NULL;
    }
    *count = n;
    return cases;
}

void bench_cases_destroy(bench_case *cases, int count) {
    if (!cases) return;
    for (int i = 0; i < count; i++) {
        for (int j = 0; j < cases[i].n_tensors; j++) free(cases[i].t[j].data);
        free(cases[i].out_init);
    }
    free(cases);
}
