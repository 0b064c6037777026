/* backends/ref/ref_layout_backward.c: backward passes of the data-movement
 * ops -- embedding (a deterministic scatter-add), patchify, unpatchify --
 * and the SUM_ROWS reduction (contract: backends/backward_args.h).
 *
 * Embedding: the positions of the ids are bucketed by vocabulary row with
 * a stable counting sort, then each row (one task) sums the dout rows of
 * its positions in increasing position order, in double. No atomics, and
 * the order of every sum is fixed.
 */
#include <stdlib.h>
#include <string.h>

#include "backends/ref/ref_ops.h"
#include "core/threadpool.h"

typedef struct embedding_job {
    const pan_embedding_backward_args *args;
    const int64_t *start;    /* (V + 1) first position of each row */
    const int64_t *position; /* (count) positions, grouped by row */
} embedding_job;

static void embedding_rows(void *ctx, int64_t begin, int64_t end) {
    const embedding_job *j = ctx;
    const pan_embedding_backward_args *p = j->args;
    const float *dout = p->dout->data; /* (count, D) */
    float *dtable = p->dtable->data;   /* (V, D) */
    for (int64_t v = begin; v < end; v++) {
        if (j->start[v] == j->start[v + 1]) continue;
        float *row = dtable + v * p->dim;
        for (int64_t d = 0; d < p->dim; d++) {
            double sum = 0.0;
            for (int64_t at = j->start[v]; at < j->start[v + 1]; at++)
                sum += dout[j->position[at] * p->dim + d];
            row[d] += (float)sum;
        }
    }
}

pan_status pan_ref_embedding_backward(pan_backend *be,
                                      const pan_embedding_backward_args *args) {
    size_t v = (size_t)args->vocab, n = (size_t)args->count;
    int64_t *start = calloc(v + 1 + n + 1, sizeof *start);
    if (!start)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "ref embedding_backward: cannot allocate the "
                             "index of %zu ids",
                             n);
    int64_t *position = start + v + 1;
    const int32_t *ids = args->ids->data;
    for (size_t i = 0; i < n; i++) start[ids[i] + 1]++;
    for (size_t r = 0; r < v; r++) start[r + 1] += start[r];
    int64_t *fill = malloc((v + 1) * sizeof *fill);
    if (!fill) {
        free(start);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "ref embedding_backward: out of memory");
    }
    memcpy(fill, start, (v + 1) * sizeof *fill);
    for (size_t i = 0; i < n; i++) position[fill[ids[i]]++] = (int64_t)i;
    free(fill);
    embedding_job job = {.args = args, .start = start, .position = position};
    int64_t grain = PAN_REF_GRAIN_ELEMENTS / (args->dim + 1) + 1;
    pan_threadpool_for(be->pool, args->vocab, grain, embedding_rows, &job);
    free(start);
    return PAN_OK;
}

/* PATCHIFY_BACKWARD moves the token gradient back onto the image
 * (unpatchify, accumulated); UNPATCHIFY_BACKWARD the reverse. */
static pan_status patch_back(pan_backend *be, const pan_patch_backward_args *a,
                             bool to_tokens) {
    pan_ref_patch_move move = {a->n, a->c, a->h, a->w, a->patch, to_tokens,
                               true};
    pan_ref_patch_run(be, &move, a->dout->data, a->din->data);
    return PAN_OK;
}

pan_status pan_ref_patchify_backward(pan_backend *be,
                                     const pan_patch_backward_args *args) {
    return patch_back(be, args, false);
}

pan_status pan_ref_unpatchify_backward(pan_backend *be,
                                       const pan_patch_backward_args *args) {
    return patch_back(be, args, true);
}

/* Columns split over tasks; each column sums its rows in order. */
static void sum_rows_columns(void *ctx, int64_t begin, int64_t end) {
    const pan_sum_rows_args *p = ctx;
    const float *x = p->x->data; /* (rows, cols) */
    float *out = p->out->data;   /* (cols) */
    for (int64_t j = begin; j < end; j++) {
        double sum = 0.0;
        for (int64_t r = 0; r < p->rows; r++) sum += x[r * p->cols + j];
        out[j] += (float)sum;
    }
}

pan_status pan_ref_sum_rows(pan_backend *be, const pan_sum_rows_args *args) {
    int64_t grain = PAN_REF_GRAIN_ELEMENTS / (args->rows + 1) + 1;
    pan_threadpool_for(be->pool, args->cols, grain, sum_rows_columns,
                       (void *)args);
    return PAN_OK;
}
