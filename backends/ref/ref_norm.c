/* backends/ref/ref_norm.c: group, layer and RMS normalisation and softmax.
 * Statistics are accumulated in double (the oracle should be the most
 * accurate of the backends); each row is one task. */
#include <math.h>

#include "backends/ref/ref_ops.h"
#include "core/threadpool.h"

static void group_norm_rows(void *ctx, int64_t begin, int64_t end) {
    const pan_norm_args *p = ctx;
    int64_t group_channels = p->channels / p->groups;
    for (int64_t r = begin; r < end; r++) {
        /* row r = (image n, group g): channels [g*Cg, (g+1)*Cg) x spatial */
        int64_t g = r % p->groups;
        const float *x = (const float *)p->x->data + r * p->cols;
        float *out = (float *)p->out->data + r * p->cols;
        double sum = 0.0, sq = 0.0;
        for (int64_t i = 0; i < p->cols; i++) sum += x[i];
        double mean = p->cols ? sum / (double)p->cols : 0.0;
        for (int64_t i = 0; i < p->cols; i++)
            sq += ((double)x[i] - mean) * ((double)x[i] - mean);
        double var = p->cols ? sq / (double)p->cols : 0.0;
        float rstd = (float)(1.0 / sqrt(var + (double)p->eps));
        for (int64_t cc = 0; cc < group_channels; cc++) {
            int64_t channel = g * group_channels + cc;
            float gamma = p->gamma ? ((const float *)p->gamma->data)[channel] : 1.0f;
            float beta = p->beta ? ((const float *)p->beta->data)[channel] : 0.0f;
            for (int64_t s = 0; s < p->spatial; s++) {
                int64_t i = cc * p->spatial + s;
                out[i] = (float)((double)x[i] - mean) * rstd * gamma + beta;
            }
        }
    }
}

pan_status pan_ref_group_norm(pan_backend *be, const pan_norm_args *args) {
    pan_threadpool_for(be->pool, args->rows, 1, group_norm_rows, (void *)args);
    return PAN_OK;
}

static void layer_norm_rows(void *ctx, int64_t begin, int64_t end) {
    const pan_norm_args *p = ctx;
    const float *gamma = p->gamma ? p->gamma->data : NULL; /* (D) */
    const float *beta = p->beta ? p->beta->data : NULL;    /* (D) */
    for (int64_t r = begin; r < end; r++) {
        const float *x = (const float *)p->x->data + r * p->cols;
        float *out = (float *)p->out->data + r * p->cols;
        double sum = 0.0, sq = 0.0;
        for (int64_t i = 0; i < p->cols; i++) sum += x[i];
        double mean = sum / (double)p->cols;
        for (int64_t i = 0; i < p->cols; i++)
            sq += ((double)x[i] - mean) * ((double)x[i] - mean);
        float rstd = (float)(1.0 / sqrt(sq / (double)p->cols + (double)p->eps));
        for (int64_t i = 0; i < p->cols; i++) {
            float value = (float)((double)x[i] - mean) * rstd;
            if (gamma) value *= gamma[i];
            if (beta) value += beta[i];
            out[i] = value;
        }
    }
}

pan_status pan_ref_layer_norm(pan_backend *be, const pan_norm_args *args) {
    int64_t grain = PAN_REF_GRAIN_ELEMENTS / args->cols + 1;
    pan_threadpool_for(be->pool, args->rows, grain, layer_norm_rows,
                       (void *)args);
    return PAN_OK;
}

static void rms_norm_rows(void *ctx, int64_t begin, int64_t end) {
    const pan_norm_args *p = ctx;
    const float *gamma = p->gamma->data; /* (D) */
    for (int64_t r = begin; r < end; r++) {
        const float *x = (const float *)p->x->data + r * p->cols;
        float *out = (float *)p->out->data + r * p->cols;
        double sq = 0.0;
        for (int64_t i = 0; i < p->cols; i++) sq += (double)x[i] * x[i];
        float rstd = (float)(1.0 / sqrt(sq / (double)p->cols + (double)p->eps));
        for (int64_t i = 0; i < p->cols; i++) out[i] = x[i] * rstd * gamma[i];
    }
}

pan_status pan_ref_rms_norm(pan_backend *be, const pan_norm_args *args) {
    int64_t grain = PAN_REF_GRAIN_ELEMENTS / args->cols + 1;
    pan_threadpool_for(be->pool, args->rows, grain, rms_norm_rows,
                       (void *)args);
    return PAN_OK;
}

static void softmax_rows(void *ctx, int64_t begin, int64_t end) {
    const pan_softmax_args *p = ctx;
    for (int64_t r = begin; r < end; r++) {
        const float *x = (const float *)p->x->data + r * p->cols;
        float *out = (float *)p->out->data + r * p->cols;
        float max = -INFINITY;
        for (int64_t i = 0; i < p->cols; i++)
            if (x[i] > max) max = x[i];
        if (max == -INFINITY) { /* nothing to attend to: all zeros */
            for (int64_t i = 0; i < p->cols; i++) out[i] = 0.0f;
            continue;
        }
        double sum = 0.0;
        for (int64_t i = 0; i < p->cols; i++) {
            out[i] = expf(x[i] - max);
            sum += out[i];
        }
        float inv = (float)(1.0 / sum);
        for (int64_t i = 0; i < p->cols; i++) out[i] *= inv;
    }
}

pan_status pan_ref_softmax(pan_backend *be, const pan_softmax_args *args) {
    int64_t grain = PAN_REF_GRAIN_ELEMENTS / args->cols + 1;
    pan_threadpool_for(be->pool, args->rows, grain, softmax_rows,
                       (void *)args);
    return PAN_OK;
}
