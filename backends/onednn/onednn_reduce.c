/* backends/onednn/onednn_reduce.c: SUM_ROWS (a linear layer's bias
 * gradient, out (N) += sum over rows of x (rows, N)) as one dnnl_sgemm,
 * out (1, N) = ones (1, rows) @ x + out, the ones vector kept by the
 * backend (grown, never shrunk, so the steady state allocates nothing). */
#include <omp.h>
#include <stdlib.h>

#include "backends/onednn/onednn_internal.h"

pan_status onednn_sum_rows(pan_backend *be, const pan_sum_rows_args *args) {
    onednn_state *st = onednn_state_of(be);
    if (args->rows == 0 || args->cols == 0) return PAN_OK;
    size_t rows = (size_t)args->rows;
    if (rows > st->ones_count) {
        void *p = NULL;
        pan_status s = onednn_buf_alloc(&p, rows * sizeof(float), "sum_rows");
        if (s != PAN_OK) return s;
        free(st->ones);
        st->ones = p;
        for (size_t r = 0; r < rows; r++) st->ones[r] = 1.0f;
        st->ones_count = rows;
    }
    omp_set_num_threads(st->n_threads);
    return onednn_check(dnnl_sgemm('N', 'N', 1, args->cols, args->rows, 1.0f,
                                   st->ones, args->rows, args->x->data,
                                   args->cols, 1.0f, args->out->data,
                                   args->cols),
                        "sum_rows", "dnnl_sgemm");
}
