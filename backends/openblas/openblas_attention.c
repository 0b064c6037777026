/* backends/openblas/openblas_attention.c: attention on OpenBLAS: the tiled
 * algorithm of backends/common/tiled_attention.h with cblas_sgemm, tiles on
 * the pan pool with single-threaded sgemm (measured faster than threading
 * each small sgemm: see docs/benchmarks.md). The tiling never depends on
 * the thread count, so results are identical for every thread count.
 * The backward runs tiled_attention_backward.h's (batch, key/value head)
 * items the same way, with cblas_sgemm as its gemm.
 */
#include <cblas.h>

#include "backends/common/tiled_attention.h"
#include "backends/common/tiled_attention_backward.h"
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

/* ---- backward: tiled_attention_backward.h's items on the pool ---- */

static void blas_gemm(bool trans_a, bool trans_b, int m, int n, int k,
                      float alpha, const float *a, int lda, const float *b,
                      int ldb, float beta, float *c, int ldc) {
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda,
                b, ldb, beta, c, ldc);
}

typedef struct backward_ctx {
    pan_tiled_attention_backward plan;
    float *scratch; /* slots x plan.slot_floats */
} backward_ctx;

static void backward_item(void *ctx, int64_t item, int slot) {
    const backward_ctx *t = ctx;
    pan_tiled_attention_backward_item(
        &t->plan, item, t->scratch + (size_t)slot * t->plan.slot_floats);
}

pan_status pan_openblas_attention_backward(
    pan_backend *be, const pan_attention_backward_args *args) {
    backward_ctx t;
    int64_t items = pan_tiled_attention_backward_plan(&t.plan, args, blas_gemm);
    if (items == 0) return PAN_OK;
    int slots = pan_openblas_slots(be, items);
    t.scratch = pan_openblas_scratch(be, t.plan.slot_floats * (size_t)slots,
                                     "attention_backward");
    if (!t.scratch) return PAN_ERR_RESOURCE_EXHAUSTED;
    pan_openblas_parallel(be, items, backward_item, &t);
    return PAN_OK;
}
