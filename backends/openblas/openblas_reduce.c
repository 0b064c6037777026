/* backends/openblas/openblas_reduce.c: SUM_ROWS (a linear layer's bias
 * gradient, out (N) += sum over rows of x (rows, N)) as one sgemv,
 * out = x^T @ ones + out, the ones vector kept in the backend's scratch.
 * OpenBLAS threads a transposed sgemv over the output columns, each column
 * one dot product over the rows, so the result does not depend on the
 * thread count's split of the work. */
#include <cblas.h>

#include "backends/openblas/openblas_internal.h"

pan_status pan_openblas_sum_rows(pan_backend *be,
                                 const pan_sum_rows_args *args) {
    if (args->rows == 0 || args->cols == 0) return PAN_OK;
    float *ones = pan_openblas_scratch(be, (size_t)args->rows, "sum_rows");
    if (!ones) return PAN_ERR_RESOURCE_EXHAUSTED;
    for (int64_t r = 0; r < args->rows; r++) ones[r] = 1.0f;
    pan_openblas_use_threads(be);
    cblas_sgemv(CblasRowMajor, CblasTrans, (int)args->rows, (int)args->cols,
                1.0f, args->x->data, (int)args->cols, ones, 1, 1.0f,
                args->out->data, 1);
    return PAN_OK;
}
