/* backends/ref/ref_norm_backward.c: backward passes of group, layer and
 * RMS normalisation and of softmax (contract: backends/backward_args.h).
 *
 * The statistics are recomputed from x in double, as the forward does.
 * With xhat = (x - mean) * rstd and g = dout * gamma (gamma 1 if absent):
 *   layer / group  dx = rstd * (g - mean(g) - xhat * mean(g * xhat))
 *   rms            dx = rstd * (g - x * rstd^2 * mean(g * x))
 * over a row (layer, rms: the last dimension; group: one group of one
 * image). dgamma and dbeta sum over rows; they are computed in a second
 * pass, one task per column (channel), rows in order, from the per-row
 * statistics of the first pass, so every sum has a fixed order.
 */
#include <math.h>
#include <stdlib.h>

#include "backends/ref/ref_ops.h"
#include "core/threadpool.h"

typedef enum norm_kind { KIND_LAYER, KIND_GROUP, KIND_RMS } norm_kind;

typedef struct norm_job {
    const pan_norm_backward_args *args;
    norm_kind kind;
    double *mean, *rstd; /* (rows) each */
} norm_job;

/* gamma of value i of row r */
static inline double gamma_at(const norm_job *j, int64_t r, int64_t i) {
    const pan_norm_backward_args *p = j->args;
    if (!p->gamma) return 1.0;
    const float *g = p->gamma->data;
    if (j->kind != KIND_GROUP) return g[i];
    int64_t cg = p->channels / p->groups;
    return g[(r % p->groups) * cg + i / p->spatial];
}

static void stats_and_dx(void *ctx, int64_t begin, int64_t end) {
    norm_job *j = ctx;
    const pan_norm_backward_args *p = j->args;
    int64_t n = p->cols;
    for (int64_t r = begin; r < end; r++) {
        const float *x = (const float *)p->x->data + r * n;
        const float *dout = (const float *)p->dout->data + r * n;
        double mean = 0.0, var = 0.0;
        if (j->kind != KIND_RMS) {
            for (int64_t i = 0; i < n; i++) mean += x[i];
            mean = n ? mean / (double)n : 0.0;
        }
        for (int64_t i = 0; i < n; i++)
            var += ((double)x[i] - mean) * ((double)x[i] - mean);
        var = n ? var / (double)n : 0.0;
        double rstd = 1.0 / sqrt(var + (double)p->eps);
        j->mean[r] = mean;
        j->rstd[r] = rstd;
        if (!p->dx) continue;
        double sum_g = 0.0, sum_gx = 0.0;
        for (int64_t i = 0; i < n; i++) {
            double g = dout[i] * gamma_at(j, r, i);
            double xh = ((double)x[i] - mean) * rstd;
            sum_g += g;
            sum_gx += g * xh;
        }
        double mean_g = n ? sum_g / (double)n : 0.0;
        double mean_gx = n ? sum_gx / (double)n : 0.0;
        float *dx = (float *)p->dx->data + r * n;
        for (int64_t i = 0; i < n; i++) {
            double g = dout[i] * gamma_at(j, r, i);
            double xh = ((double)x[i] - mean) * rstd;
            double d = j->kind == KIND_RMS
                           ? rstd * (g - xh * mean_gx)
                           : rstd * (g - mean_g - xh * mean_gx);
            dx[i] += (float)d;
        }
    }
}

/* LAYER / RMS: column i sums over every row. */
static void row_affine_columns(void *ctx, int64_t begin, int64_t end) {
    norm_job *j = ctx;
    const pan_norm_backward_args *p = j->args;
    for (int64_t i = begin; i < end; i++) {
        double dg = 0.0, db = 0.0;
        for (int64_t r = 0; r < p->rows; r++) {
            double x = ((const float *)p->x->data)[r * p->cols + i];
            double g = ((const float *)p->dout->data)[r * p->cols + i];
            dg += g * (x - j->mean[r]) * j->rstd[r];
            db += g;
        }
        if (p->dgamma) ((float *)p->dgamma->data)[i] += (float)dg;
        if (p->dbeta) ((float *)p->dbeta->data)[i] += (float)db;
    }
}

/* GROUP: channel ch sums over images and its spatial positions. */
static void group_affine_channels(void *ctx, int64_t begin, int64_t end) {
    norm_job *j = ctx;
    const pan_norm_backward_args *p = j->args;
    int64_t cg = p->channels / p->groups, L = p->spatial;
    for (int64_t ch = begin; ch < end; ch++) {
        double dg = 0.0, db = 0.0;
        for (int64_t img = 0; img < p->n; img++) {
            int64_t r = img * p->groups + ch / cg;
            int64_t at = r * p->cols + (ch % cg) * L;
            const float *x = (const float *)p->x->data + at;
            const float *g = (const float *)p->dout->data + at;
            for (int64_t s = 0; s < L; s++) {
                dg += (double)g[s] * ((double)x[s] - j->mean[r]) * j->rstd[r];
                db += g[s];
            }
        }
        if (p->dgamma) ((float *)p->dgamma->data)[ch] += (float)dg;
        if (p->dbeta) ((float *)p->dbeta->data)[ch] += (float)db;
    }
}

static pan_status norm_backward(pan_backend *be,
                                const pan_norm_backward_args *args,
                                norm_kind kind, const char *op) {
    norm_job j = {.args = args, .kind = kind};
    size_t rows = (size_t)args->rows;
    j.mean = malloc((rows ? rows : 1) * 2 * sizeof(double));
    if (!j.mean)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "ref %s: cannot allocate statistics for %zu rows",
                             op, rows);
    j.rstd = j.mean + rows;
    int64_t grain = PAN_REF_GRAIN_ELEMENTS / (args->cols + 1) + 1;
    pan_threadpool_for(be->pool, args->rows, grain, stats_and_dx, &j);
    if (args->dgamma || args->dbeta) {
        if (kind == KIND_GROUP)
            pan_threadpool_for(be->pool, args->channels, 1,
                               group_affine_channels, &j);
        else
            pan_threadpool_for(be->pool, args->cols,
                               PAN_REF_GRAIN_ELEMENTS / (args->rows + 1) + 1,
                               row_affine_columns, &j);
    }
    free(j.mean);
    return PAN_OK;
}

pan_status pan_ref_group_norm_backward(pan_backend *be,
                                       const pan_norm_backward_args *args) {
    return norm_backward(be, args, KIND_GROUP, "group_norm_backward");
}

pan_status pan_ref_layer_norm_backward(pan_backend *be,
                                       const pan_norm_backward_args *args) {
    return norm_backward(be, args, KIND_LAYER, "layer_norm_backward");
}

pan_status pan_ref_rms_norm_backward(pan_backend *be,
                                     const pan_norm_backward_args *args) {
    return norm_backward(be, args, KIND_RMS, "rms_norm_backward");
}

static void softmax_back_rows(void *ctx, int64_t begin, int64_t end) {
    const pan_softmax_backward_args *p = ctx;
    for (int64_t r = begin; r < end; r++) {
        const float *y = (const float *)p->y->data + r * p->cols;
        const float *dy = (const float *)p->dy->data + r * p->cols;
        float *dx = (float *)p->dx->data + r * p->cols;
        double dot = 0.0;
        for (int64_t i = 0; i < p->cols; i++) dot += (double)dy[i] * y[i];
        for (int64_t i = 0; i < p->cols; i++)
            dx[i] += (float)((double)y[i] * ((double)dy[i] - dot));
    }
}

pan_status pan_ref_softmax_backward(pan_backend *be,
                                    const pan_softmax_backward_args *args) {
    int64_t grain = PAN_REF_GRAIN_ELEMENTS / (args->cols + 1) + 1;
    pan_threadpool_for(be->pool, args->rows, grain, softmax_back_rows,
                       (void *)args);
    return PAN_OK;
}
