/* backends/openblas/openblas_matmul.c: matmul as cblas_sgemm.
 *
 * out[b] = alpha * op(a[b]) @ op(b[b]) + bias + beta * out[b]
 * - Bias: out is first set to bias (beta 0) or has bias added (beta 1),
 *   then sgemm accumulates with beta 1.
 * - A broadcast b with an untransposed a is one product with M = batch*M
 *   (a and out are contiguous, so the batch folds into the rows).
 * - A product runs as one sgemm threaded inside OpenBLAS, except a small
 *   product with few rows (decoding: 16 tokens x 256 -> 768), which is cut
 *   into tiles of TILE_COLS columns that run on the pan pool, one
 *   single-threaded sgemm each: there OpenBLAS's threading gains little
 *   and its small-matrix kernel takes the tiles (measured 2x faster, see
 *   docs/benchmarks.md; tiling rows of larger products measured slower).
 *   A batch of separate small products runs one pool item per entry.
 *   Tiles depend only on the shape, so results do not depend on the thread
 *   count.
 */
#include <cblas.h>

#include "backends/openblas/openblas_internal.h"

/* Products with fewer multiply-adds than this may run as pool items. */
#define TILE_MAX_MACS ((int64_t)1 << 26)
/* Column tiles for products with fewer than TILE_MAX_ROWS rows. */
#define TILE_MAX_ROWS 128
#define TILE_COLS 64

typedef struct matmul_plan {
    const float *a;   /* (batch, M, K) or (batch, K, M) */
    const float *b;   /* (batch_b, K, N) or (batch_b, N, K) */
    const float *bias;/* (N) or NULL */
    float *out;       /* (batch, M, N) */
    int64_t m, n, k;  /* m: rows of the whole product (batch*M if folded) */
    int64_t a_step, b_step, out_step; /* elements between batch entries */
    int lda, ldb;
    bool trans_a, trans_b;
    float alpha, beta;
    int64_t tile_cols; /* column tiles of one product (0: none) */
} matmul_plan;

/* out (rows, cols; ld n) = alpha * a @ b + bias + beta * out. */
static void gemm_block(const matmul_plan *p, const float *a, const float *b,
                       const float *bias, float *out, int64_t rows,
                       int64_t cols) {
    float beta = p->beta;
    if (bias) {
        for (int64_t r = 0; r < rows; r++) {
            float *o = out + r * p->n;
            if (beta == 0.0f)
                for (int64_t j = 0; j < cols; j++) o[j] = bias[j];
            else
                for (int64_t j = 0; j < cols; j++) o[j] += bias[j];
        }
        beta = 1.0f;
    }
    if (p->k == 0) { /* nothing to accumulate; cblas rejects lda = 0 */
        if (!bias && beta == 0.0f)
            for (int64_t r = 0; r < rows; r++)
                for (int64_t j = 0; j < cols; j++) out[r * p->n + j] = 0.0f;
        return;
    }
    cblas_sgemm(CblasRowMajor, p->trans_a ? CblasTrans : CblasNoTrans,
                p->trans_b ? CblasTrans : CblasNoTrans, (int)rows, (int)cols,
                (int)p->k, p->alpha, a, p->lda, b, p->ldb, beta, out,
                (int)p->n);
}

/* Item = one column tile of the single product. */
static void tile_item(void *ctx, int64_t item, int slot) {
    (void)slot;
    const matmul_plan *p = ctx;
    int64_t c0 = item * p->tile_cols;
    int64_t cols = p->n - c0 < p->tile_cols ? p->n - c0 : p->tile_cols;
    const float *b = p->trans_b ? p->b + c0 * p->k : p->b + c0;
    gemm_block(p, p->a, b, p->bias ? p->bias + c0 : NULL, p->out + c0, p->m,
               cols);
}

/* Item = one entry of the batch. */
static void batch_item(void *ctx, int64_t item, int slot) {
    (void)slot;
    const matmul_plan *p = ctx;
    gemm_block(p, p->a + item * p->a_step, p->b + item * p->b_step, p->bias,
               p->out + item * p->out_step, p->m, p->n);
}

pan_status pan_openblas_matmul(pan_backend *be, const pan_matmul_args *args) {
    matmul_plan p = {.a = args->a->data, .b = args->b->data,
                     .bias = args->bias ? args->bias->data : NULL,
                     .out = args->out->data, .m = args->m, .n = args->n,
                     .k = args->k, .trans_a = args->trans_a,
                     .trans_b = args->trans_b, .alpha = args->alpha,
                     .beta = args->beta};
    int64_t batch = args->batch;
    if (batch == 0 || p.m == 0 || p.n == 0) return PAN_OK;
    p.a_step = p.m * p.k;
    p.b_step = args->b_broadcast ? 0 : p.k * p.n;
    p.out_step = p.m * p.n;
    p.lda = (int)(p.trans_a ? p.m : p.k);
    p.ldb = (int)(p.trans_b ? p.k : p.n);
    pan_openblas_use_threads(be);
    bool fold = args->b_broadcast && !p.trans_a &&
                batch * p.m <= PAN_OPENBLAS_MAX_DIM;
    if (batch > 1 && !fold) {
        if (p.m * p.n * p.k < TILE_MAX_MACS)
            pan_openblas_parallel(be, batch, batch_item, &p);
        else
            for (int64_t i = 0; i < batch; i++) batch_item(&p, i, 0);
        return PAN_OK;
    }
    p.m *= batch; /* folded, or batch == 1 */
    int64_t items = 1;
    if (p.m * p.n * p.k < TILE_MAX_MACS && p.m < TILE_MAX_ROWS &&
        p.n >= 2 * TILE_COLS) {
        p.tile_cols = TILE_COLS;
        items = (p.n + TILE_COLS - 1) / TILE_COLS;
    }
    if (items > 1) {
        pan_openblas_parallel(be, items, tile_item, &p);
    } else {
        gemm_block(&p, p.a, p.b, p.bias, p.out, p.m, p.n);
    }
    return PAN_OK;
}
