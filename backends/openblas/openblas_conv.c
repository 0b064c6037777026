/* backends/openblas/openblas_conv.c: conv2d as im2col + cblas_sgemm.
 *
 * For image n and a band of output rows [oy0, oy1):
 *   col (C*KH*KW, band) = im2col(x[n]) over the band   (band = rows * OW)
 *   out[n][:, band]     = weight (OC, C*KH*KW) @ col    (ldc = OH*OW)
 * The (image, band) items run on the pan pool, each with its own slice of
 * the backend's scratch and a single-threaded sgemm; bands are sized for
 * OpenBLAS's fast paths and so that a col block stays in L2. A 1x1,
 * stride 1, pad 0 convolution needs no im2col: x[n] (C, H*W) is already
 * the col matrix. The scratch grows only when a larger shape arrives.
 */
#include <cblas.h>
#include <string.h>

#include "backends/openblas/openblas_internal.h"

/* Band sizing (see band_rows_max). */
#define SMALL_GEMM_MACS ((int64_t)1000000) /* OpenBLAS's small-kernel limit */
#define BAND_COL_FLOATS ((int64_t)1 << 17)  /* 512 KiB of col per band */
#define BAND_MIN_COLS ((int64_t)256)

typedef struct conv_plan {
    const pan_conv2d_args *args;
    const float *x;      /* (N, C, H, W) */
    const float *weight; /* (OC, C*KH*KW) */
    const float *bias;   /* (OC) or NULL */
    float *out;          /* (N, OC, OH, OW) */
    float *scratch;      /* slots x slot_floats */
    size_t slot_floats;
    int64_t band_rows, n_bands, ckk; /* band_rows: the largest band */
    bool direct;         /* 1x1, stride 1, pad 0: no im2col */
} conv_plan;

/* col (ckk, rows*OW) for output rows [oy0, oy0 + rows) of image x_n. */
static void im2col_band(const pan_conv2d_args *a, const float *x_n,
                        int64_t oy0, int64_t rows, float *col) {
    int64_t cols = rows * a->ow;
    for (int64_t c = 0; c < a->c; c++)
        for (int64_t ky = 0; ky < a->kh; ky++)
            for (int64_t kx = 0; kx < a->kw; kx++) {
                float *dst = col + ((c * a->kh + ky) * a->kw + kx) * cols;
                const float *src_c = x_n + c * a->h * a->w;
                /* valid ox: 0 <= ox*stride - pad + kx < W */
                int64_t lo = 0, hi = a->ow;
                while (lo < hi && lo * a->stride_w - a->pad_w + kx < 0) lo++;
                while (hi > lo &&
                       (hi - 1) * a->stride_w - a->pad_w + kx >= a->w)
                    hi--;
                for (int64_t r = 0; r < rows; r++, dst += a->ow) {
                    int64_t iy = (oy0 + r) * a->stride_h - a->pad_h + ky;
                    if (iy < 0 || iy >= a->h) {
                        memset(dst, 0, (size_t)a->ow * sizeof *dst);
                        continue;
                    }
                    const float *src = src_c + iy * a->w - a->pad_w + kx;
                    for (int64_t ox = 0; ox < lo; ox++) dst[ox] = 0.0f;
                    if (a->stride_w == 1)
                        memcpy(dst + lo, src + lo,
                               (size_t)(hi - lo) * sizeof *dst);
                    else
                        for (int64_t ox = lo; ox < hi; ox++)
                            dst[ox] = src[ox * a->stride_w];
                    for (int64_t ox = hi; ox < a->ow; ox++) dst[ox] = 0.0f;
                }
            }
}

/* Output rows per band, measured with OpenBLAS 0.3.21 on the VAE shapes
 * (docs/benchmarks.md): when the product of one band stays within
 * SMALL_GEMM_MACS, OpenBLAS takes its unpacked small-matrix kernel, which
 * is fastest here; otherwise bands of at least BAND_MIN_COLS columns whose
 * col block stays under BAND_COL_FLOATS. */
static int64_t band_rows_max(int64_t oc, int64_t ckk, int64_t ow,
                             int64_t oh) {
    int64_t row_macs = oc * ckk * ow; /* multiply-adds per output row */
    int64_t rows;
    if (row_macs > 0 && row_macs <= SMALL_GEMM_MACS) {
        rows = SMALL_GEMM_MACS / row_macs;
    } else {
        int64_t col_row = ckk * ow; /* col floats per output row */
        rows = col_row > 0 ? BAND_COL_FLOATS / col_row : oh;
        int64_t min_rows = (BAND_MIN_COLS + ow - 1) / ow;
        if (rows < min_rows) rows = min_rows;
    }
    if (rows < 1) rows = 1;
    return rows < oh ? rows : oh;
}

static void conv_item(void *ctx, int64_t item, int slot) {
    const conv_plan *p = ctx;
    const pan_conv2d_args *a = p->args;
    int64_t n = item / p->n_bands, band = item % p->n_bands;
    int64_t oy0 = band * a->oh / p->n_bands;
    int64_t rows = (band + 1) * a->oh / p->n_bands - oy0;
    int64_t plane = a->oh * a->ow, col0 = oy0 * a->ow, cols = rows * a->ow;
    const float *x_n = p->x + n * a->c * a->h * a->w;
    float *out = p->out + n * a->oc * plane + col0; /* (OC, cols), ld plane */
    float beta = 0.0f;
    if (p->bias) {
        for (int64_t o = 0; o < a->oc; o++)
            for (int64_t j = 0; j < cols; j++) out[o * plane + j] = p->bias[o];
        beta = 1.0f;
    }
    if (p->ckk == 0) {
        if (!p->bias)
            for (int64_t o = 0; o < a->oc; o++)
                memset(out + o * plane, 0, (size_t)cols * sizeof *out);
        return;
    }
    const float *col;
    int64_t ldb;
    if (p->direct) {
        col = x_n + col0; /* (C, H*W): the band is a column range */
        ldb = plane;
    } else {
        float *buf = p->scratch + (size_t)slot * p->slot_floats;
        im2col_band(a, x_n, oy0, rows, buf);
        col = buf;
        ldb = cols;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)a->oc,
                (int)cols, (int)p->ckk, 1.0f, p->weight, (int)p->ckk, col,
                (int)ldb, beta, out, (int)plane);
}

pan_status pan_openblas_conv2d(pan_backend *be, const pan_conv2d_args *args) {
    const pan_conv2d_args *a = args;
    int64_t plane = a->oh * a->ow;
    if (a->n == 0 || a->oc == 0 || plane == 0) return PAN_OK;
    conv_plan p = {.args = a, .x = a->x->data, .weight = a->weight->data,
                   .bias = a->bias ? a->bias->data : NULL,
                   .out = a->out->data, .ckk = a->c * a->kh * a->kw};
    p.direct = a->kh == 1 && a->kw == 1 && a->stride_h == 1 &&
               a->stride_w == 1 && a->pad_h == 0 && a->pad_w == 0;
    int64_t max_rows = band_rows_max(a->oc, p.ckk, a->ow, a->oh);
    p.n_bands = (a->oh + max_rows - 1) / max_rows; /* even split of OH */
    p.band_rows = (a->oh + p.n_bands - 1) / p.n_bands; /* the largest band */
    int64_t items = a->n * p.n_bands;
    if (!p.direct && p.ckk > 0) {
        p.slot_floats = pan_openblas_slot_floats(
            (size_t)(p.ckk * p.band_rows * a->ow));
        int slots = pan_openblas_slots(be, items);
        p.scratch = pan_openblas_scratch(be, p.slot_floats * (size_t)slots,
                                         "conv2d");
        if (!p.scratch) return PAN_ERR_RESOURCE_EXHAUSTED;
    }
    pan_openblas_parallel(be, items, conv_item, &p);
    return PAN_OK;
}
