/* backends/common/fast_blocks.c: the blocked loop of the f32 elementwise
 * backwards (contract in fast_blocks.h). */
#include "backends/common/fast_blocks.h"

#include "core/threadpool.h"

typedef struct job {
    const pan_unary_backward_args *a;
    pan_fast_block_fn block;
} job;

static void range(void *ctx, int64_t begin, int64_t end) {
    const job *j = ctx;
    const float *x = j->a->x->data, *dout = j->a->dout->data;
    float *dx = j->a->dx->data;
    for (int64_t i = begin; i < end; i += PAN_FAST_BLOCK) {
        int64_t n = end - i < PAN_FAST_BLOCK ? end - i : PAN_FAST_BLOCK;
        j->block(x + i, dout + i, dx + i, n);
    }
}

void pan_fast_blocks_run(pan_backend *be, const pan_unary_backward_args *args,
                         pan_fast_block_fn block) {
    job j = {.a = args, .block = block};
    pan_threadpool_for(be->pool, args->count, PAN_FAST_GRAIN, range, &j);
}
