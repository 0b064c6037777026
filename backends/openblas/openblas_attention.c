/* backends/openblas/openblas_attention.c: attention on OpenBLAS: the tiled
 * algorithm of backends/common/tiled_attention.h with cblas_sgemm, tiles on
 * the pan pool with single-threaded sgemm (measured faster than threading
 * each small sgemm: see docs/benchmarks.md). The tiling never depends on
 * the thread count, so results are identical for every thread count.
 */
#include <cblas.h>

#include "backends/common/tiled_attention.h"
#include "backends/openblas/openblas_internal.h"

static void blas_sgemm(bool trans_b, int m, int n, int k, float alpha,
                       const float *a, int lda, const float *b, int ldb,
                       float *c, int ldc) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda,
                b, ldb, 0.0f, c, ldc);
}

typedef struct tiles_ctx {
    pan_tiled_attention plan;
    float *scratch; /* slots x plan.slot_floats */
} tiles_ctx;

static void attention_tile(void *ctx, int64_t tile, int slot) {
    const tiles_ctx *t = ctx;
    pan_tiled_attention_tile(&t->plan, tile,
                             t->scratch + (size_t)slot * t->plan.slot_floats);
}

pan_status pan_openblas_attention(pan_backend *be,
                                  const pan_attention_args *args) {
    tiles_ctx t;
    int64_t tiles = pan_tiled_attention_plan(&t.plan, args, blas_sgemm);
    if (tiles == 0) return PAN_OK;
    int slots = pan_openblas_slots(be, tiles);
    t.scratch = pan_openblas_scratch(be, t.plan.slot_floats * (size_t)slots,
                                     "attention");
    if (!t.scratch) return PAN_ERR_RESOURCE_EXHAUSTED;
    pan_openblas_parallel(be, tiles, attention_tile, &t);
    return PAN_OK;
}
