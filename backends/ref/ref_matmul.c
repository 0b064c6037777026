/* backends/ref/ref_matmul.c: out = alpha * op(a) @ op(b) + bias + beta*out.
 * Parallel over output rows; each output is one dot product over k in
 * order, accumulated in a small block of partial sums. */
#include "backends/ref/ref_ops.h"
#include "core/threadpool.h"

#define COLUMN_BLOCK 256

typedef struct matmul_job {
    const pan_matmul_args *args;
} matmul_job;

/* Element (row, col) of op(a) for batch `bt`: a is (batch, M, K) or
 * (batch, K, M) when transposed. */
static inline float a_at(const pan_matmul_args *p, const float *a, int64_t row,
                         int64_t kk) {
    return p->trans_a ? a[kk * p->m + row] : a[row * p->k + kk];
}

static void matmul_rows(void *ctx, int64_t begin, int64_t end) {
    const pan_matmul_args *p = ((matmul_job *)ctx)->args;
    const float *a_all = p->a->data;   /* (batch, M, K) or (batch, K, M) */
    const float *b_all = p->b->data;   /* (batch_b, K, N) or (batch_b, N, K) */
    const float *bias = p->bias ? p->bias->data : NULL; /* (N) */
    float *out_all = p->out->data;     /* (batch, M, N) */
    float acc[COLUMN_BLOCK];
    for (int64_t r = begin; r < end; r++) {
        int64_t bt = r / p->m, row = r % p->m;
        const float *a = a_all + bt * p->m * p->k;
        const float *b = b_all + (p->b_broadcast ? 0 : bt * p->k * p->n);
        float *out = out_all + r * p->n;
        for (int64_t n0 = 0; n0 < p->n; n0 += COLUMN_BLOCK) {
            int64_t width = p->n - n0 < COLUMN_BLOCK ? p->n - n0 : COLUMN_BLOCK;
            for (int64_t j = 0; j < width; j++) acc[j] = 0.0f;
            if (p->trans_b) { /* b (N, K): row j of b is column j of op(b) */
                for (int64_t j = 0; j < width; j++) {
                    const float *bj = b + (n0 + j) * p->k;
                    float sum = 0.0f;
                    for (int64_t kk = 0; kk < p->k; kk++)
                        sum += a_at(p, a, row, kk) * bj[kk];
                    acc[j] = sum;
                }
            } else {          /* b (K, N) */
                for (int64_t kk = 0; kk < p->k; kk++) {
                    float aik = a_at(p, a, row, kk);
                    const float *bk = b + kk * p->n + n0;
                    for (int64_t j = 0; j < width; j++) acc[j] += aik * bk[j];
                }
            }
            for (int64_t j = 0; j < width; j++) {
                float value = p->alpha * acc[j];
                if (bias) value += bias[n0 + j];
                if (p->beta != 0.0f) value += out[n0 + j];
                out[n0 + j] = value;
            }
        }
    }
}

pan_status pan_ref_matmul(pan_backend *be, const pan_matmul_args *args) {
    matmul_job job = {args};
    int64_t work_per_row = args->n * args->k + 1;
    int64_t grain = PAN_REF_GRAIN_ELEMENTS / work_per_row + 1;
    pan_threadpool_for(be->pool, args->batch * args->m, grain, matmul_rows,
                       &job);
    return PAN_OK;
}
