/* backends/common/fast_gelu.c: GELU-tanh backward in f32 (contract in
 * fast_gelu.h). */
#include "backends/common/fast_gelu.h"

#include "backends/common/fast_blocks.h"
#include "backends/common/fast_exp.h"

#define BLOCK PAN_FAST_BLOCK

bool pan_fast_gelu_backward_supported(const pan_unary_backward_args *args) {
    return args->gelu_mode == PAN_GELU_TANH;
}

static void block(const float *x, const float *dout, float *dx, int64_t n) {
    const float k = 0.7978845608028654f, c = 0.044715f;
    float e[BLOCK]; /* exp(2u) */
    for (int64_t i = 0; i < n; i++) {
        float u = k * (x[i] + c * x[i] * x[i] * x[i]);
        u = u > 20.0f ? 20.0f : u < -20.0f ? -20.0f : u;
        e[i] = 2.0f * u;
    }
    /* e[0, n) is written above; GCC cannot see it through the call */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
    pan_fast_exp(e, e, n);
#pragma GCC diagnostic pop
    for (int64_t i = 0; i < n; i++) {
        float t = 1.0f - 2.0f / (e[i] + 1.0f);
        float xi = x[i];
        float g = 0.5f * (1.0f + t) +
                  0.5f * xi * (1.0f - t * t) * k * (1.0f + 3.0f * c * xi * xi);
        dx[i] += dout[i] * g;
    }
}

pan_status pan_fast_gelu_tanh_backward(pan_backend *be,
                                       const pan_unary_backward_args *args) {
    pan_fast_blocks_run(be, args, block);
    return PAN_OK;
}
