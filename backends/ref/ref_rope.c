/* backends/ref/ref_rope.c: rotary position embedding, "rotate half".
 * Frequencies are computed in f32 exactly as Hugging Face does
 * (inv_freq = 1 / theta^(2i/dim); angle = pos * inv_freq), so the PyTorch
 * twin matches bit for bit in the angles. The angles of a token are the
 * same for every head: each task computes inv_freq once and cos/sin once
 * per token (and per rotated half with dims 2), then rotates every head.
 * The values are bit-identical to computing them per element.
 * ROPE_BACKWARD applies the inverse rotation (R^T: the same angles with
 * the sine negated) to dout and adds it into dx. */
#include <math.h>

#include "backends/ref/ref_ops.h"
#include "core/threadpool.h"

/* Longest half-rotation with per-token tables; longer heads compute the
 * angles per element (same values). */
#define ROPE_MAX_HALF 256

/* Rotates `dim` values of x (pairs i, i + dim/2) by the angles cos/sin. */
static void rotate(const float *x, float *out, int64_t half, const float *c,
                   const float *s) {
    for (int64_t i = 0; i < half; i++) {
        float x1 = x[i], x2 = x[i + half];
        out[i] = x1 * c[i] - x2 * s[i];
        out[i + half] = x2 * c[i] + x1 * s[i];
    }
}

/* inv_freq of a rotation over `dim` values (dim/2 entries). */
static void inv_freq(float *f, int64_t dim, float theta) {
    for (int64_t i = 0; i < dim / 2; i++)
        f[i] = 1.0f / powf(theta, (float)(2 * i) / (float)dim);
}

/* Rotation without tables (heads longer than 2 * ROPE_MAX_HALF). */
static void rotate_direct(const float *x, float *out, int64_t dim, int32_t pos,
                          float theta) {
    int64_t half = dim / 2;
    for (int64_t i = 0; i < half; i++) {
        float freq = 1.0f / powf(theta, (float)(2 * i) / (float)dim);
        float angle = (float)pos * freq;
        float c = cosf(angle), s = sinf(angle);
        float x1 = x[i], x2 = x[i + half];
        out[i] = x1 * c - x2 * s;
        out[i + half] = x2 * c + x1 * s;
    }
}

static void angles(const float *f, int64_t half, int32_t pos, float *c,
                   float *s) {
    for (int64_t i = 0; i < half; i++) {
        float angle = (float)pos * f[i];
        c[i] = cosf(angle);
        s[i] = sinf(angle);
    }
}

/* dx += R^T dout for one rotation of 2*half values. */
static void rotate_back(const float *g, float *dx, int64_t half,
                        const float *c, const float *s) {
    for (int64_t i = 0; i < half; i++) {
        float g1 = g[i], g2 = g[i + half];
        dx[i] += g1 * c[i] + g2 * s[i];
        dx[i + half] += g2 * c[i] - g1 * s[i];
    }
}

static void rope_tokens(void *ctx, int64_t begin, int64_t end) {
    const pan_rope_args *p = ctx;
    const int32_t *positions = p->positions->data; /* (B, T) or (B, T, 2) */
    int64_t D = p->head_dim;
    int64_t dim = p->dims == 1 ? D : D / 2; /* values per rotation */
    int64_t half = dim / 2;
    if (half > ROPE_MAX_HALF) {
        for (int64_t bt = begin; bt < end; bt++)
            for (int64_t h = 0; h < p->heads; h++) {
                int64_t offset = (bt * p->heads + h) * D;
                const float *x = (const float *)p->x->data + offset;
                float *out = (float *)p->out->data + offset;
                for (int a = 0; a < p->dims; a++)
                    rotate_direct(x + a * dim, out + a * dim, dim,
                                  positions[p->dims * bt + a], p->theta);
            }
        return;
    }
    float f[ROPE_MAX_HALF], c[2][ROPE_MAX_HALF], s[2][ROPE_MAX_HALF];
    inv_freq(f, dim, p->theta);
    for (int64_t bt = begin; bt < end; bt++) {
        for (int a = 0; a < p->dims; a++)
            angles(f, half, positions[p->dims * bt + a], c[a], s[a]);
        for (int64_t h = 0; h < p->heads; h++) {
            int64_t offset = (bt * p->heads + h) * D;
            const float *x = (const float *)p->x->data + offset;
            float *out = (float *)p->out->data + offset;
            for (int a = 0; a < p->dims; a++)
                rotate(x + a * dim, out + a * dim, half, c[a], s[a]);
        }
    }
}

pan_status pan_ref_rope(pan_backend *be, const pan_rope_args *args) {
    /* the angles dominate: split by token, a few tokens per task */
    pan_threadpool_for(be->pool, args->batch * args->tokens, 8, rope_tokens,
                       (void *)args);
    return PAN_OK;
}

/* Backward: the forward's loop with rotate_back and per-element angles for
 * long heads (same values as the tables). */
static void rope_back_tokens(void *ctx, int64_t begin, int64_t end) {
    const pan_rope_backward_args *p = ctx;
    const int32_t *positions = p->positions->data; /* (B, T) or (B, T, 2) */
    int64_t D = p->head_dim;
    int64_t dim = p->dims == 1 ? D : D / 2;
    int64_t half = dim / 2;
    float f[ROPE_MAX_HALF], c[2][ROPE_MAX_HALF], s[2][ROPE_MAX_HALF];
    bool tables = half <= ROPE_MAX_HALF;
    if (tables) inv_freq(f, dim, p->theta);
    for (int64_t bt = begin; bt < end; bt++) {
        if (tables)
            for (int a = 0; a < p->dims; a++)
                angles(f, half, positions[p->dims * bt + a], c[a], s[a]);
        for (int64_t h = 0; h < p->heads; h++) {
            int64_t offset = (bt * p->heads + h) * D;
            const float *g = (const float *)p->dout->data + offset;
            float *dx = (float *)p->dx->data + offset;
            for (int a = 0; a < p->dims; a++) {
                if (tables) {
                    rotate_back(g + a * dim, dx + a * dim, half, c[a], s[a]);
                    continue;
                }
                for (int64_t i = 0; i < half; i++) {
                    float freq = 1.0f / powf(p->theta, (float)(2 * i) / (float)dim);
                    float angle = (float)positions[p->dims * bt + a] * freq;
                    float ci = cosf(angle), si = sinf(angle);
                    float g1 = g[a * dim + i], g2 = g[a * dim + i + half];
                    dx[a * dim + i] += g1 * ci + g2 * si;
                    dx[a * dim + i + half] += g2 * ci - g1 * si;
                }
            }
        }
    }
}

pan_status pan_ref_rope_backward(pan_backend *be,
                                 const pan_rope_backward_args *args) {
    pan_threadpool_for(be->pool, args->batch * args->tokens, 8,
                       rope_back_tokens, (void *)args);
    return PAN_OK;
}
