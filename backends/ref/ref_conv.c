/* backends/ref/ref_conv.c: direct 2-D convolution and nearest upsampling.
 * Convolution is parallel over (image, output channel) planes; each output
 * starts at its bias and accumulates over (c, ky, kx) in order. */
#include <string.h>

#include "backends/ref/ref_ops.h"
#include "core/threadpool.h"

static void conv_planes(void *ctx, int64_t begin, int64_t end) {
    const pan_conv2d_args *p = ctx;
    const float *x = p->x->data;          /* (N, C, H, W) */
    const float *w = p->weight->data;     /* (OC, C, KH, KW) */
    const float *bias = p->bias ? p->bias->data : NULL; /* (OC) */
    float *out = p->out->data;            /* (N, OC, OH, OW) */
    for (int64_t plane = begin; plane < end; plane++) {
        int64_t img = plane / p->oc, oc = plane % p->oc;
        float *o = out + plane * p->oh * p->ow;
        float start = bias ? bias[oc] : 0.0f;
        for (int64_t i = 0; i < p->oh * p->ow; i++) o[i] = start;
        for (int64_t c = 0; c < p->c; c++) {
            const float *xc = x + (img * p->c + c) * p->h * p->w;
            for (int64_t ky = 0; ky < p->kh; ky++) {
                for (int64_t kx = 0; kx < p->kw; kx++) {
                    float wv = w[((oc * p->c + c) * p->kh + ky) * p->kw + kx];
                    for (int64_t oy = 0; oy < p->oh; oy++) {
                        int64_t iy = oy * p->stride_h - p->pad_h + ky;
                        if (iy < 0 || iy >= p->h) continue;
                        for (int64_t ox = 0; ox < p->ow; ox++) {
                            int64_t ix = ox * p->stride_w - p->pad_w + kx;
                            if (ix < 0 || ix >= p->w) continue;
                            o[oy * p->ow + ox] += wv * xc[iy * p->w + ix];
                        }
                    }
                }
            }
        }
    }
}

pan_status pan_ref_conv2d(pan_backend *be, const pan_conv2d_args *args) {
    pan_threadpool_for(be->pool, args->n * args->oc, 1, conv_planes,
                       (void *)args);
    return PAN_OK;
}

static void upsample_planes(void *ctx, int64_t begin, int64_t end) {
    const pan_upsample_args *p = ctx;
    int64_t f = p->factor, ow = p->w * f;
    for (int64_t plane = begin; plane < end; plane++) {
        const float *x = (const float *)p->x->data + plane * p->h * p->w;
        float *o = (float *)p->out->data + plane * p->h * f * ow;
        for (int64_t oy = 0; oy < p->h * f; oy++)
            for (int64_t ox = 0; ox < ow; ox++)
                o[oy * ow + ox] = x[(oy / f) * p->w + ox / f];
    }
}

pan_status pan_ref_upsample_nearest(pan_backend *be,
                                    const pan_upsample_args *args) {
    int64_t grain = PAN_REF_GRAIN_ELEMENTS / (args->h * args->w + 1) + 1;
    pan_threadpool_for(be->pool, args->n * args->c, grain, upsample_planes,
                       (void *)args);
    return PAN_OK;
}
