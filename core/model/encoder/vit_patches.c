/* core/model/encoder/vit_patches.c: merge-group-major patch gather with the 2-D
 * RoPE positions, and its adjoint for the backward pass (contract in
 * vit_patches.h). */
#include "core/model/encoder/vit_patches.h"

void pan_vit_gather_patches(const float *latent, int64_t n, int64_t z,
                            int64_t h, int64_t w, int patch, int merge,
                            float *patches, int32_t *positions) {
    const int64_t p = patch, m = merge;
    const int64_t gh = h / p, gw = w / p; /* grid rows, columns */
    const int64_t gm = gw / m;            /* merge groups per grid row */
    const int64_t tokens = gh * gw;
    const int64_t pdim = z * p * p;       /* values per patch */
    for (int64_t b = 0; b < n; b++) {
        const float *img = latent + b * z * h * w;    /* (z, h, w) */
        float *pb = patches + b * tokens * pdim;      /* (T, pdim) */
        int32_t *pos = positions + b * tokens * 2;    /* (T, 2) */
        for (int64_t r = 0; r < gh; r++) {
            for (int64_t c = 0; c < gw; c++) {
                int64_t gy = r / m, dy = r % m, gx = c / m, dx = c % m;
                int64_t t = (gy * gm + gx) * m * m + dy * m + dx;
                float *dst = pb + t * pdim; /* (z, p, p) */
                for (int64_t ch = 0; ch < z; ch++)
                    for (int64_t ty = 0; ty < p; ty++)
                        for (int64_t tx = 0; tx < p; tx++)
                            dst[(ch * p + ty) * p + tx] =
                                img[(ch * h + r * p + ty) * w + c * p + tx];
                pos[t * 2 + 0] = (int32_t)r;
                pos[t * 2 + 1] = (int32_t)c;
            }
        }
    }
}

void pan_vit_scatter_patches_add(const float *dpatches, int64_t n, int64_t z,
                                 int64_t h, int64_t w, int patch, int merge,
                                 float *dlatent) {
    const int64_t p = patch, m = merge;
    const int64_t gh = h / p, gw = w / p, gm = gw / m;
    const int64_t tokens = gh * gw, pdim = z * p * p;
    for (int64_t b = 0; b < n; b++) {
        float *img = dlatent + b * z * h * w;               /* (z, h, w) */
        const float *pb = dpatches + b * tokens * pdim;     /* (T, pdim) */
        for (int64_t r = 0; r < gh; r++)
            for (int64_t c = 0; c < gw; c++) {
                int64_t gy = r / m, dy = r % m, gx = c / m, dx = c % m;
                int64_t t = (gy * gm + gx) * m * m + dy * m + dx;
                const float *src = pb + t * pdim; /* (z, p, p) */
                for (int64_t ch = 0; ch < z; ch++)
                    for (int64_t ty = 0; ty < p; ty++)
                        for (int64_t tx = 0; tx < p; tx++)
                            img[(ch * h + r * p + ty) * w + c * p + tx] +=
                                src[(ch * p + ty) * p + tx];
            }
    }
}
