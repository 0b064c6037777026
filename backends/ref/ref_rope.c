/* backends/ref/ref_rope.c: rotary position embedding, "rotate half".
 * Frequencies are computed in f32 exactly as Hugging Face does
 * (inv_freq = 1 / theta^(2i/dim); angle = pos * inv_freq), so the PyTorch
 * twin matches bit for bit in the angles. The angles of a token are the
 * same for every head: each task computes inv_freq once and cos/sin once
 * per token (and per rotated half with dims 2), then rotates every head.
 * The values are bit-identical to computing them per element. */
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
