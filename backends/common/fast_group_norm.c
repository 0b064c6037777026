/* backends/common/fast_group_norm.c: group norm backward in f32 (contract
 * in fast_group_norm.h). */
#include "backends/common/fast_group_norm.h"

#include <math.h>
#include <stdlib.h>

#include "core/threadpool.h"

#define LANES 16
#define BLOCK 256
/* Sums over fewer elements run in double: for small groups dx is a
 * difference of near-equal terms (exactly 0 for two elements, eps aside). */
#define SMALL 64

typedef struct job {
    const pan_norm_backward_args *a;
    double *partial; /* (n, channels, 2): sum dout * xhat, sum dout */
} job;

/* sum of x[i] - shift over [0, n) */
static double sum_shifted(const float *x, int64_t n, float shift) {
    double total = 0.0;
    if (n < SMALL) {
        for (int64_t i = 0; i < n; i++) total += (double)x[i] - shift;
        return total;
    }
    for (int64_t b = 0; b < n; b += BLOCK) {
        int64_t m = n - b < BLOCK ? n - b : BLOCK, i = 0;
        float acc[LANES] = {0};
        for (; i + LANES <= m; i += LANES)
            for (int k = 0; k < LANES; k++) acc[k] += x[b + i + k] - shift;
        for (; i < m; i++) acc[0] += x[b + i] - shift;
        for (int k = 0; k < LANES; k++) total += acc[k];
    }
    return total;
}

/* sum of (x[i] - mean)^2 over [0, n) */
static double sum_squares(const float *x, int64_t n, float mean) {
    double total = 0.0;
    if (n < SMALL) {
        for (int64_t i = 0; i < n; i++)
            total += ((double)x[i] - mean) * ((double)x[i] - mean);
        return total;
    }
    for (int64_t b = 0; b < n; b += BLOCK) {
        int64_t m = n - b < BLOCK ? n - b : BLOCK, i = 0;
        float acc[LANES] = {0};
        for (; i + LANES <= m; i += LANES)
            for (int k = 0; k < LANES; k++) {
                float d = x[b + i + k] - mean;
                acc[k] += d * d;
            }
        for (; i < m; i++) acc[0] += (x[b + i] - mean) * (x[b + i] - mean);
        for (int k = 0; k < LANES; k++) total += acc[k];
    }
    return total;
}

/* sum of dout and of dout * (x - mean) over [0, n) */
static void sum_dout(const float *x, const float *dout, int64_t n, float mean,
                     double *sd, double *sdx) {
    double t0 = 0.0, t1 = 0.0;
    if (n < SMALL) {
        for (int64_t i = 0; i < n; i++) {
            t0 += dout[i];
            t1 += (double)dout[i] * ((double)x[i] - mean);
        }
        *sd = t0;
        *sdx = t1;
        return;
    }
    for (int64_t b = 0; b < n; b += BLOCK) {
        int64_t m = n - b < BLOCK ? n - b : BLOCK, i = 0;
        float a0[LANES] = {0}, a1[LANES] = {0};
        for (; i + LANES <= m; i += LANES)
            for (int k = 0; k < LANES; k++) {
                float d = dout[b + i + k];
                a0[k] += d;
                a1[k] += d * (x[b + i + k] - mean);
            }
        for (; i < m; i++) {
            a0[0] += dout[b + i];
            a1[0] += dout[b + i] * (x[b + i] - mean);
        }
        for (int k = 0; k < LANES; k++) {
            t0 += a0[k];
            t1 += a1[k];
        }
    }
    *sd = t0;
    *sdx = t1;
}

/* The mean of x[0, n) and 1 / sqrt(var + eps), from the lane sums: a
 * rough mean first, then the sums around its f32 rounding `*mf`, shifted
 * back to the exact mean (*dm = mean - mf). */
static double row_stats(const float *x, int64_t n, float eps, float *mf,
                        double *dm, double *rstd) {
    double mean = n ? sum_shifted(x, n, 0.0f) / (double)n : 0.0;
    mean += n ? sum_shifted(x, n, (float)mean) / (double)n : 0.0;
    *mf = (float)mean;
    *dm = mean - (double)*mf;
    double var = n ? sum_squares(x, n, *mf) / (double)n - *dm * *dm : 0.0;
    *rstd = 1.0 / sqrt((var < 0.0 ? 0.0 : var) + (double)eps);
    return mean;
}

static void forward_rows(void *ctx, int64_t begin, int64_t end) {
    const pan_norm_args *a = ctx;
    int64_t n = a->cols, cg = a->channels / a->groups, L = a->spatial;
    const float *gamma = a->gamma ? a->gamma->data : NULL;
    const float *beta = a->beta ? a->beta->data : NULL;
    for (int64_t r = begin; r < end; r++) {
        const float *x = (const float *)a->x->data + r * n;
        float *out = (float *)a->out->data + r * n;
        float mf;
        double dm, rstd, mean = row_stats(x, n, a->eps, &mf, &dm, &rstd);
        int64_t ch0 = (r % a->groups) * cg;
        for (int64_t c = 0; c < cg; c++) {
            float scale = (float)rstd * (gamma ? gamma[ch0 + c] : 1.0f);
            float shift = beta ? beta[ch0 + c] : 0.0f;
            const float *xc = x + c * L;
            float *oc = out + c * L;
            for (int64_t i = 0; i < L; i++)
                oc[i] = (float)((double)xc[i] - mean) * scale + shift;
        }
    }
}

pan_status pan_fast_group_norm(pan_backend *be, const pan_norm_args *args) {
    pan_threadpool_for(be->pool, args->rows, 1, forward_rows, (void *)args);
    return PAN_OK;
}

/* Rows [begin, end): one group of one image each. */
static void rows(void *ctx, int64_t begin, int64_t end) {
    const job *j = ctx;
    const pan_norm_backward_args *a = j->a;
    int64_t n = a->cols, cg = a->channels / a->groups, L = a->spatial;
    const float *gamma = a->gamma ? a->gamma->data : NULL;
    for (int64_t r = begin; r < end; r++) {
        const float *x = (const float *)a->x->data + r * n;
        const float *dout = (const float *)a->dout->data + r * n;
        float mf;
        double dm, rstd, mean = row_stats(x, n, a->eps, &mf, &dm, &rstd);
        int64_t img = r / a->groups, ch0 = (r % a->groups) * cg;
        double sum_g = 0.0, sum_gx = 0.0;
        for (int64_t c = 0; c < cg; c++) {
            double sd, sdx;
            sum_dout(x + c * L, dout + c * L, L, mf, &sd, &sdx);
            sdx -= dm * sd;
            double gm = gamma ? gamma[ch0 + c] : 1.0;
            sum_g += gm * sd;
            sum_gx += gm * sdx * rstd;
            double *p = j->partial + ((img * a->channels) + ch0 + c) * 2;
            p[0] = sdx * rstd;
            p[1] = sd;
        }
        if (!a->dx) continue;
        float *dx = (float *)a->dx->data + r * n;
        double mg = n ? sum_g / (double)n : 0.0;
        double mgx = n ? sum_gx / (double)n : 0.0;
        for (int64_t c = 0; c < cg; c++) {
            double gm = gamma ? gamma[ch0 + c] : 1.0;
            const float *xc = x + c * L, *dc = dout + c * L;
            float *dxc = dx + c * L;
            for (int64_t i = 0; i < L; i++) {
                double xh = ((double)xc[i] - mean) * rstd;
                dxc[i] += (float)(rstd * (gm * dc[i] - mg - xh * mgx));
            }
        }
    }
}

pan_status pan_fast_group_norm_backward(pan_backend *be,
                                        const pan_norm_backward_args *a) {
    size_t count = (size_t)(a->n * a->channels);
    job j = {.a = a, .partial = malloc((count ? count : 1) * 2 * sizeof(double))};
    if (!j.partial)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "group_norm_backward: cannot allocate %zu "
                             "partial sums", count * 2);
    pan_threadpool_for(be->pool, a->rows, 1, rows, &j);
    for (int64_t ch = 0; ch < a->channels; ch++) {
        double dg = 0.0, db = 0.0;
        for (int64_t img = 0; img < a->n; img++) {
            dg += j.partial[(img * a->channels + ch) * 2];
            db += j.partial[(img * a->channels + ch) * 2 + 1];
        }
        if (a->dgamma) ((float *)a->dgamma->data)[ch] += (float)dg;
        if (a->dbeta) ((float *)a->dbeta->data)[ch] += (float)db;
    }
    free(j.partial);
    return PAN_OK;
}
