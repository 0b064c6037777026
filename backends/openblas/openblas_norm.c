/* backends/openblas/openblas_norm.c: RMS normalisation in f32 with
 * vectorisable sums (the ref backend sums each row serially in double, the
 * oracle's choice, which costs ~5x at the backbone's row sizes).
 *
 *   out[r, i] = x[r, i] * rsqrt(mean_i(x[r, :]^2) + eps) * gamma[i]
 *
 * Each row's sum of squares runs over PARTIALS interleaved f32 partial
 * sums added in a fixed order, so a row's result depends on neither the
 * thread count nor which thread runs it. Rows are split over the pan pool.
 */
#include <math.h>

#include "backends/openblas/openblas_internal.h"
#include "core/threadpool.h"

#define PARTIALS 16     /* one AVX-512 register of f32 partial sums */
#define GRAIN_ELEMENTS 16384

static float sum_squares(const float *x, int64_t n) {
    float part[PARTIALS] = {0};
    int64_t i = 0;
    for (; i + PARTIALS <= n; i += PARTIALS)
        for (int j = 0; j < PARTIALS; j++) part[j] += x[i + j] * x[i + j];
    for (int j = 0; i < n; i++, j++) part[j] += x[i] * x[i];
    for (int w = PARTIALS / 2; w > 0; w /= 2) /* pairwise, fixed order */
        for (int j = 0; j < w; j++) part[j] += part[j + w];
    return part[0];
}

static void rms_norm_rows(void *ctx, int64_t begin, int64_t end) {
    const pan_norm_args *p = ctx;
    const float *gamma = p->gamma->data; /* (D) */
    int64_t cols = p->cols;
    for (int64_t r = begin; r < end; r++) {
        const float *x = (const float *)p->x->data + r * cols;
        float *out = (float *)p->out->data + r * cols;
        float rstd = 1.0f / sqrtf(sum_squares(x, cols) / (float)cols + p->eps);
        for (int64_t i = 0; i < cols; i++) out[i] = x[i] * rstd * gamma[i];
    }
}

pan_status pan_openblas_rms_norm(pan_backend *be, const pan_norm_args *args) {
    int64_t grain = GRAIN_ELEMENTS / (args->cols ? args->cols : 1) + 1;
    pan_threadpool_for(be->pool, args->rows, grain, rms_norm_rows,
                       (void *)args);
    return PAN_OK;
}
