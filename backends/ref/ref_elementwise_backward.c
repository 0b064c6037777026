/* backends/ref/ref_elementwise_backward.c: backward passes of SiLU, GELU,
 * SwiGLU, modulate and gate_add (contract: backends/backward_args.h).
 * Derivatives are evaluated in double. The per-(batch, channel) sums of
 * modulate and gate_add (dshift, dscale, dgate) run one task per
 * (batch, channel), tokens in order. */
#include <math.h>

#include "backends/ref/ref_ops.h"
#include "core/threadpool.h"

static inline double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

/* d silu / dx = s (1 + x (1 - s)) */
static inline double silu_grad(double x) {
    double s = sigmoid(x);
    return s * (1.0 + x * (1.0 - s));
}

static void silu_back_range(void *ctx, int64_t begin, int64_t end) {
    const pan_unary_backward_args *p = ctx;
    const float *x = p->x->data, *dout = p->dout->data;
    float *dx = p->dx->data;
    for (int64_t i = begin; i < end; i++)
        dx[i] += (float)(dout[i] * silu_grad(x[i]));
}

pan_status pan_ref_silu_backward(pan_backend *be,
                                 const pan_unary_backward_args *args) {
    pan_threadpool_for(be->pool, args->count, PAN_REF_GRAIN_ELEMENTS,
                       silu_back_range, (void *)args);
    return PAN_OK;
}

static inline double gelu_grad(double x, pan_gelu_mode mode) {
    if (mode == PAN_GELU_TANH) {
        const double k = 0.7978845608028654, c = 0.044715; /* sqrt(2/pi) */
        double t = tanh(k * (x + c * x * x * x));
        return 0.5 * (1.0 + t) +
               0.5 * x * (1.0 - t * t) * k * (1.0 + 3.0 * c * x * x);
    }
    /* Phi(x) + x phi(x) */
    return 0.5 * (1.0 + erf(x * 0.7071067811865476)) +
           x * exp(-0.5 * x * x) * 0.3989422804014327;
}

static void gelu_back_range(void *ctx, int64_t begin, int64_t end) {
    const pan_unary_backward_args *p = ctx;
    const float *x = p->x->data, *dout = p->dout->data;
    float *dx = p->dx->data;
    for (int64_t i = begin; i < end; i++)
        dx[i] += (float)(dout[i] * gelu_grad(x[i], p->gelu_mode));
}

pan_status pan_ref_gelu_backward(pan_backend *be,
                                 const pan_unary_backward_args *args) {
    pan_threadpool_for(be->pool, args->count, PAN_REF_GRAIN_ELEMENTS,
                       gelu_back_range, (void *)args);
    return PAN_OK;
}

static void swiglu_back_range(void *ctx, int64_t begin, int64_t end) {
    const pan_swiglu_backward_args *p = ctx;
    const float *gate = p->gate->data, *up = p->up->data;
    const float *dout = p->dout->data;
    float *dgate = p->dgate ? p->dgate->data : NULL;
    float *dup = p->dup ? p->dup->data : NULL;
    for (int64_t i = begin; i < end; i++) {
        double g = gate[i];
        if (dgate) dgate[i] += (float)((double)dout[i] * up[i] * silu_grad(g));
        if (dup) dup[i] += (float)((double)dout[i] * g * sigmoid(g));
    }
}

pan_status pan_ref_swiglu_backward(pan_backend *be,
                                   const pan_swiglu_backward_args *args) {
    pan_threadpool_for(be->pool, args->count, PAN_REF_GRAIN_ELEMENTS,
                       swiglu_back_range, (void *)args);
    return PAN_OK;
}

/* ---- modulate: out = x * (1 + scale) + shift ---- */

static void modulate_dx_rows(void *ctx, int64_t begin, int64_t end) {
    const pan_modulate_backward_args *p = ctx;
    int64_t C = p->channels;
    for (int64_t r = begin; r < end; r++) {
        const float *g = (const float *)p->dout->data + r * C;
        const float *scale = (const float *)p->scale->data + (r / p->tokens) * C;
        float *dx = (float *)p->dx->data + r * C;
        for (int64_t i = 0; i < C; i++)
            dx[i] += (float)((double)g[i] * (1.0 + (double)scale[i]));
    }
}

static void modulate_sums(void *ctx, int64_t begin, int64_t end) {
    const pan_modulate_backward_args *p = ctx;
    int64_t C = p->channels, T = p->tokens;
    for (int64_t bc = begin; bc < end; bc++) {
        int64_t b = bc / C, i = bc % C;
        const float *g = (const float *)p->dout->data + b * T * C + i;
        const float *x = (const float *)p->x->data + b * T * C + i;
        double dshift = 0.0, dscale = 0.0;
        for (int64_t t = 0; t < T; t++) {
            dshift += g[t * C];
            dscale += (double)g[t * C] * x[t * C];
        }
        if (p->dshift) ((float *)p->dshift->data)[bc] += (float)dshift;
        if (p->dscale) ((float *)p->dscale->data)[bc] += (float)dscale;
    }
}

pan_status pan_ref_modulate_backward(pan_backend *be,
                                     const pan_modulate_backward_args *args) {
    int64_t grain = PAN_REF_GRAIN_ELEMENTS / (args->channels + 1) + 1;
    if (args->dx)
        pan_threadpool_for(be->pool, args->batch * args->tokens, grain,
                           modulate_dx_rows, (void *)args);
    if (args->dshift || args->dscale)
        pan_threadpool_for(be->pool, args->batch * args->channels,
                           PAN_REF_GRAIN_ELEMENTS / (args->tokens + 1) + 1,
                           modulate_sums, (void *)args);
    return PAN_OK;
}

/* ---- gate_add: out = residual + gate * y ---- */

static void gate_add_rows(void *ctx, int64_t begin, int64_t end) {
    const pan_gate_add_backward_args *p = ctx;
    int64_t C = p->channels;
    for (int64_t r = begin; r < end; r++) {
        const float *g = (const float *)p->dout->data + r * C;
        const float *gate = (const float *)p->gate->data + (r / p->tokens) * C;
        if (p->dresidual) {
            float *dres = (float *)p->dresidual->data + r * C;
            for (int64_t i = 0; i < C; i++) dres[i] += g[i];
        }
        if (p->dy) {
            float *dy = (float *)p->dy->data + r * C;
            for (int64_t i = 0; i < C; i++)
                dy[i] += (float)((double)gate[i] * g[i]);
        }
    }
}

static void gate_sums(void *ctx, int64_t begin, int64_t end) {
    const pan_gate_add_backward_args *p = ctx;
    int64_t C = p->channels, T = p->tokens;
    for (int64_t bc = begin; bc < end; bc++) {
        int64_t b = bc / C, i = bc % C;
        const float *g = (const float *)p->dout->data + b * T * C + i;
        const float *y = (const float *)p->y->data + b * T * C + i;
        double sum = 0.0;
        for (int64_t t = 0; t < T; t++) sum += (double)g[t * C] * y[t * C];
        ((float *)p->dgate->data)[bc] += (float)sum;
    }
}

pan_status pan_ref_gate_add_backward(pan_backend *be,
                                     const pan_gate_add_backward_args *args) {
    int64_t grain = PAN_REF_GRAIN_ELEMENTS / (args->channels + 1) + 1;
    if (args->dresidual || args->dy)
        pan_threadpool_for(be->pool, args->batch * args->tokens, grain,
                           gate_add_rows, (void *)args);
    if (args->dgate)
        pan_threadpool_for(be->pool, args->batch * args->channels,
                           PAN_REF_GRAIN_ELEMENTS / (args->tokens + 1) + 1,
                           gate_sums, (void *)args);
    return PAN_OK;
}
