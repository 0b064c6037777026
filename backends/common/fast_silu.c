/* backends/common/fast_silu.c: SiLU backward in f32 (contract in
 * fast_silu.h). */
#include "backends/common/fast_silu.h"

#include "backends/common/fast_exp.h"
#include "core/threadpool.h"

#define BLOCK 256
#define GRAIN 16384 /* elements per pool task */

static void block(const float *x, const float *dout, float *dx, int64_t n) {
    float e[BLOCK]; /* exp(-x) */
    for (int64_t i = 0; i < n; i++) {
        float u = -x[i];
        e[i] = u > 80.0f ? 80.0f : u < -80.0f ? -80.0f : u;
    }
    pan_fast_exp(e, e, n);
    for (int64_t i = 0; i < n; i++) {
        float s = 1.0f / (1.0f + e[i]);
        dx[i] += dout[i] * (s * (1.0f + x[i] * (1.0f - s)));
    }
}

static void range(void *ctx, int64_t begin, int64_t end) {
    const pan_unary_backward_args *a = ctx;
    const float *x = a->x->data, *dout = a->dout->data;
    float *dx = a->dx->data;
    for (int64_t i = begin; i < end; i += BLOCK) {
        int64_t n = end - i < BLOCK ? end - i : BLOCK;
        block(x + i, dout + i, dx + i, n);
    }
}

pan_status pan_fast_silu_backward(pan_backend *be,
                                  const pan_unary_backward_args *args) {
    pan_threadpool_for(be->pool, args->count, GRAIN, range, (void *)args);
    return PAN_OK;
}
