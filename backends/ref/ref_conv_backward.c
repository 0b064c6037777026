/* backends/ref/ref_conv_backward.c: the backward passes of conv2d and
 * nearest upsampling (contract: backends/backward_args.h). Each gradient
 * element is accumulated in double by one task in a fixed order:
 *   dx       per (image, input channel) plane: a double plane collects
 *            w[oc,c,ky,kx] * dout[n,oc,oy,ox] over (oc, ky, kx, oy, ox)
 *   dweight  per (oc, c): sum over (n, oy, ox) of dout * x, per tap
 *   dbias    per oc: sum over (n, oy, ox) of dout
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "backends/ref/ref_ops.h"
#include "core/threadpool.h"

typedef struct conv_job {
    const pan_conv2d_backward_args *args;
    atomic_int out_of_memory;
} conv_job;

static void dx_planes(void *ctx, int64_t begin, int64_t end) {
    conv_job *job = ctx;
    const pan_conv2d_backward_args *p = job->args;
    const float *w = p->weight->data;  /* (OC, C, KH, KW) */
    const float *dout = p->dout->data; /* (N, OC, OH, OW) */
    float *dx = p->dx->data;           /* (N, C, H, W) */
    double *acc = malloc((size_t)(p->h * p->w) * sizeof *acc + 1);
    if (!acc) {
        atomic_store(&job->out_of_memory, 1);
        return;
    }
    for (int64_t plane = begin; plane < end; plane++) {
        int64_t img = plane / p->c, c = plane % p->c;
        for (int64_t i = 0; i < p->h * p->w; i++) acc[i] = 0.0;
        for (int64_t oc = 0; oc < p->oc; oc++) {
            const float *g = dout + (img * p->oc + oc) * p->oh * p->ow;
            for (int64_t ky = 0; ky < p->kh; ky++)
                for (int64_t kx = 0; kx < p->kw; kx++) {
                    double wv = w[((oc * p->c + c) * p->kh + ky) * p->kw + kx];
                    for (int64_t oy = 0; oy < p->oh; oy++) {
                        int64_t iy = oy * p->stride_h - p->pad_h + ky;
                        if (iy < 0 || iy >= p->h) continue;
                        for (int64_t ox = 0; ox < p->ow; ox++) {
                            int64_t ix = ox * p->stride_w - p->pad_w + kx;
                            if (ix < 0 || ix >= p->w) continue;
                            acc[iy * p->w + ix] += wv * g[oy * p->ow + ox];
                        }
                    }
                }
        }
        float *d = dx + plane * p->h * p->w;
        for (int64_t i = 0; i < p->h * p->w; i++) d[i] += (float)acc[i];
    }
    free(acc);
}

static void dweight_pairs(void *ctx, int64_t begin, int64_t end) {
    const pan_conv2d_backward_args *p = ((conv_job *)ctx)->args;
    const float *x = p->x->data;       /* (N, C, H, W) */
    const float *dout = p->dout->data; /* (N, OC, OH, OW) */
    float *dw = p->dweight->data;      /* (OC, C, KH, KW) */
    for (int64_t pair = begin; pair < end; pair++) {
        int64_t oc = pair / p->c, c = pair % p->c;
        for (int64_t ky = 0; ky < p->kh; ky++)
            for (int64_t kx = 0; kx < p->kw; kx++) {
                double sum = 0.0;
                for (int64_t img = 0; img < p->n; img++) {
                    const float *g = dout + (img * p->oc + oc) * p->oh * p->ow;
                    const float *xc = x + (img * p->c + c) * p->h * p->w;
                    for (int64_t oy = 0; oy < p->oh; oy++) {
                        int64_t iy = oy * p->stride_h - p->pad_h + ky;
                        if (iy < 0 || iy >= p->h) continue;
                        for (int64_t ox = 0; ox < p->ow; ox++) {
                            int64_t ix = ox * p->stride_w - p->pad_w + kx;
                            if (ix < 0 || ix >= p->w) continue;
                            sum += (double)g[oy * p->ow + ox] * xc[iy * p->w + ix];
                        }
                    }
                }
                dw[((oc * p->c + c) * p->kh + ky) * p->kw + kx] += (float)sum;
            }
    }
}

static void dbias_channels(void *ctx, int64_t begin, int64_t end) {
    const pan_conv2d_backward_args *p = ((conv_job *)ctx)->args;
    const float *dout = p->dout->data; /* (N, OC, OH, OW) */
    float *db = p->dbias->data;        /* (OC) */
    for (int64_t oc = begin; oc < end; oc++) {
        double sum = 0.0;
        for (int64_t img = 0; img < p->n; img++) {
            const float *g = dout + (img * p->oc + oc) * p->oh * p->ow;
            for (int64_t i = 0; i < p->oh * p->ow; i++) sum += g[i];
        }
        db[oc] += (float)sum;
    }
}

pan_status pan_ref_conv2d_backward(pan_backend *be,
                                   const pan_conv2d_backward_args *args) {
    conv_job job = {.args = args};
    atomic_init(&job.out_of_memory, 0);
    if (args->dx)
        pan_threadpool_for(be->pool, args->n * args->c, 1, dx_planes, &job);
    if (args->dweight)
        pan_threadpool_for(be->pool, args->oc * args->c, 1, dweight_pairs,
                           &job);
    if (args->dbias)
        pan_threadpool_for(be->pool, args->oc, 1, dbias_channels, &job);
    if (atomic_load(&job.out_of_memory))
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "ref conv2d_backward: cannot allocate a %lldx%lld "
                             "plane",
                             (long long)args->h, (long long)args->w);
    return PAN_OK;
}

static void upsample_back_planes(void *ctx, int64_t begin, int64_t end) {
    const pan_upsample_backward_args *p = ctx;
    int64_t f = p->factor, ow = p->w * f;
    for (int64_t plane = begin; plane < end; plane++) {
        const float *g = (const float *)p->dout->data + plane * p->h * f * ow;
        float *dx = (float *)p->dx->data + plane * p->h * p->w;
        for (int64_t y = 0; y < p->h; y++)
            for (int64_t x = 0; x < p->w; x++) {
                double sum = 0.0;
                for (int64_t dy = 0; dy < f; dy++)
                    for (int64_t dxx = 0; dxx < f; dxx++)
                        sum += g[(y * f + dy) * ow + x * f + dxx];
                dx[y * p->w + x] += (float)sum;
            }
    }
}

pan_status pan_ref_upsample_nearest_backward(
    pan_backend *be, const pan_upsample_backward_args *args) {
    int64_t grain = PAN_REF_GRAIN_ELEMENTS / (args->h * args->w + 1) + 1;
    pan_threadpool_for(be->pool, args->n * args->c, grain,
                       upsample_back_planes, (void *)args);
    return PAN_OK;
}
