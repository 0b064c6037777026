/* backends/ref/ref_elementwise.c: SiLU, GELU, SwiGLU, add and the adaLN
 * modulate / gated residual. Elementwise, so split by element index. */
#include <math.h>

#include "backends/ref/ref_ops.h"
#include "core/threadpool.h"

static inline float silu(float x) { return x / (1.0f + expf(-x)); }

static void silu_range(void *ctx, int64_t begin, int64_t end) {
    const pan_unary_args *p = ctx;
    const float *x = p->x->data;
    float *out = p->out->data;
    for (int64_t i = begin; i < end; i++) out[i] = silu(x[i]);
}

pan_status pan_ref_silu(pan_backend *be, const pan_unary_args *args) {
    pan_threadpool_for(be->pool, args->count, PAN_REF_GRAIN_ELEMENTS,
                       silu_range, (void *)args);
    return PAN_OK;
}

static void gelu_range(void *ctx, int64_t begin, int64_t end) {
    const pan_unary_args *p = ctx;
    const float *x = p->x->data;
    float *out = p->out->data;
    if (p->gelu_mode == PAN_GELU_TANH) {
        const float k = 0.7978845608028654f; /* sqrt(2/pi) */
        for (int64_t i = begin; i < end; i++) {
            float v = x[i];
            out[i] = 0.5f * v * (1.0f + tanhf(k * (v + 0.044715f * v * v * v)));
        }
    } else {
        for (int64_t i = begin; i < end; i++)
            out[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.7071067811865476f));
    }
}

pan_status pan_ref_gelu(pan_backend *be, const pan_unary_args *args) {
    pan_threadpool_for(be->pool, args->count, PAN_REF_GRAIN_ELEMENTS,
                       gelu_range, (void *)args);
    return PAN_OK;
}

static void swiglu_range(void *ctx, int64_t begin, int64_t end) {
    const pan_binary_args *p = ctx;
    const float *gate = p->a->data, *up = p->b->data;
    float *out = p->out->data;
    for (int64_t i = begin; i < end; i++) out[i] = silu(gate[i]) * up[i];
}

pan_status pan_ref_swiglu(pan_backend *be, const pan_binary_args *args) {
    pan_threadpool_for(be->pool, args->count, PAN_REF_GRAIN_ELEMENTS,
                       swiglu_range, (void *)args);
    return PAN_OK;
}

static void add_range(void *ctx, int64_t begin, int64_t end) {
    const pan_binary_args *p = ctx;
    const float *a = p->a->data, *b = p->b->data;
    float *out = p->out->data;
    for (int64_t i = begin; i < end; i++) out[i] = a[i] + b[i];
}

pan_status pan_ref_add(pan_backend *be, const pan_binary_args *args) {
    pan_threadpool_for(be->pool, args->count, PAN_REF_GRAIN_ELEMENTS,
                       add_range, (void *)args);
    return PAN_OK;
}

/* Rows are (batch, token) pairs; the per-batch vectors are indexed by
 * row / tokens. */
static void modulate_rows(void *ctx, int64_t begin, int64_t end) {
    const pan_modulate_args *p = ctx;
    int64_t C = p->channels;
    for (int64_t r = begin; r < end; r++) {
        const float *x = (const float *)p->x->data + r * C;
        const float *shift = (const float *)p->shift->data + (r / p->tokens) * C;
        const float *scale = (const float *)p->scale->data + (r / p->tokens) * C;
        float *out = (float *)p->out->data + r * C;
        for (int64_t i = 0; i < C; i++)
            out[i] = x[i] * (1.0f + scale[i]) + shift[i];
    }
}

pan_status pan_ref_modulate(pan_backend *be, const pan_modulate_args *args) {
    int64_t grain = PAN_REF_GRAIN_ELEMENTS / (args->channels + 1) + 1;
    pan_threadpool_for(be->pool, args->batch * args->tokens, grain,
                       modulate_rows, (void *)args);
    return PAN_OK;
}

static void gate_add_rows(void *ctx, int64_t begin, int64_t end) {
    const pan_gate_add_args *p = ctx;
    int64_t C = p->channels;
    for (int64_t r = begin; r < end; r++) {
        const float *res = (const float *)p->residual->data + r * C;
        const float *y = (const float *)p->y->data + r * C;
        const float *gate = (const float *)p->gate->data + (r / p->tokens) * C;
        float *out = (float *)p->out->data + r * C;
        for (int64_t i = 0; i < C; i++) out[i] = res[i] + gate[i] * y[i];
    }
}

pan_status pan_ref_gate_add(pan_backend *be, const pan_gate_add_args *args) {
    int64_t grain = PAN_REF_GRAIN_ELEMENTS / (args->channels + 1) + 1;
    pan_threadpool_for(be->pool, args->batch * args->tokens, grain,
                       gate_add_rows, (void *)args);
    return PAN_OK;
}
