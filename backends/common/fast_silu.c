/* backends/common/fast_silu.c: SiLU backward in f32 (contract in
 * fast_silu.h). */
#include "backends/common/fast_silu.h"

#include "backends/common/fast_blocks.h"
#include "backends/common/fast_exp.h"

#define BLOCK PAN_FAST_BLOCK

static void block(const float *x, const float *dout, float *dx, int64_t n) {
    float e[BLOCK]; /* exp(-x) */
    for (int64_t i = 0; i < n; i++) {
        float u = -x[i];
        e[i] = u > 80.0f ? 80.0f : u < -80.0f ? -80.0f : u;
    }
    /* e[0, n) is written above; GCC cannot see it through the call */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
    pan_fast_exp(e, e, n);
#pragma GCC diagnostic pop
    for (int64_t i = 0; i < n; i++) {
        float s = 1.0f / (1.0f + e[i]);
        dx[i] += dout[i] * (s * (1.0f + x[i] * (1.0f - s)));
    }
}

pan_status pan_fast_silu_backward(pan_backend *be,
                                  const pan_unary_backward_args *args) {
    pan_fast_blocks_run(be, args, block);
    return PAN_OK;
}
