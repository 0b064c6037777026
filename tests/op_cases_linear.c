/* tests/op_cases_linear.c: parity cases for matmul, conv2d,
 * upsample_nearest, patchify, unpatchify and embedding. */
#include <stdio.h>
#include <string.h>

#include "tests/op_harness.h"

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- matmul ---- */

typedef struct matmul_params {
    pan_tensor a, b, bias; /* see backends/backend.h */
    pan_tensor out;        /* template: shape only */
    bool has_bias, trans_a, trans_b;
    float alpha, beta;
} matmul_params;

static pan_status run_matmul(pan_compute *c, const void *params, float *out) {
    const matmul_params *p = params;
    pan_tensor o = p->out;
    o.data = out;
    return pan_compute_matmul(c, &o, &p->a, &p->b,
                              p->has_bias ? &p->bias : NULL, p->trans_a,
                              p->trans_b, p->alpha, p->beta);
}

typedef struct matmul_spec {
    int64_t batch_a, batch_b; /* 0: the operand is 2-D */
    int64_t m, k, n;
    bool trans_a, trans_b, bias;
    float alpha, beta;
} matmul_spec;

static void matmul_cases(op_harness *h) {
    static const matmul_spec specs[] = {
        {0, 0, 1, 7, 5, false, false, false, 1, 0},    /* a single row */
        {0, 0, 17, 33, 19, false, false, true, 1, 0},  /* odd sizes */
        {0, 0, 37, 129, 70, false, true, true, 1, 0},  /* weight layout */
        {0, 0, 23, 18, 31, true, false, false, 1, 0},
        {0, 0, 9, 40, 13, true, true, true, 0.5f, 0},
        {0, 0, 64, 64, 64, false, false, false, 1, 0},
        {0, 0, 100, 256, 96, false, true, true, 1, 0},
        {0, 0, 3, 1, 1, false, false, true, 1, 0},
        {0, 0, 15, 31, 47, false, false, true, 1, 1},  /* accumulate */
        {0, 0, 1, 300, 1, false, true, false, 1, 0},   /* a dot product */
        {1, 1, 7, 9, 11, false, false, false, 1, 0},   /* batch of 1 */
        {3, 3, 7, 9, 11, false, true, true, 1, 0},
        {3, 0, 5, 24, 33, false, true, true, 1, 0},    /* broadcast 2-D b */
        {4, 1, 6, 17, 10, false, false, false, 1, 0},  /* broadcast 3-D b */
        {2, 2, 12, 8, 20, true, false, false, 2, 1},
        {2, 0, 12, 8, 20, true, true, true, 1, 0},
        {0, 1, 5, 6, 7, false, false, true, 1, 0},     /* 2-D a, 3-D b */
        {2, 2, 1, 16, 16, false, true, false, 1, 0},   /* one row per batch */
        {0, 0, 0, 5, 4, false, false, true, 1, 0},     /* M = 0 */
        {0, 0, 4, 0, 3, false, false, true, 1, 0},     /* K = 0: out = bias */
    };
    for (int i = 0; i < COUNT(specs); i++) {
        const matmul_spec *s = &specs[i];
        int64_t batch = s->batch_a ? s->batch_a : 1;
        int64_t a_rows = s->trans_a ? s->k : s->m, a_cols = s->trans_a ? s->m : s->k;
        int64_t b_rows = s->trans_b ? s->n : s->k, b_cols = s->trans_b ? s->k : s->n;
        matmul_params p = {.has_bias = s->bias, .trans_a = s->trans_a,
                           .trans_b = s->trans_b, .alpha = s->alpha,
                           .beta = s->beta};
        if (s->batch_a) {
            p.a = op_rand(h, 3, PAN_SHAPE(s->batch_a, a_rows, a_cols), 1, 0);
            p.out = op_view(NULL, PAN_DTYPE_F32, 3, PAN_SHAPE(batch, s->m, s->n));
        } else {
            p.a = op_rand(h, 2, PAN_SHAPE(a_rows, a_cols), 1, 0);
            p.out = op_view(NULL, PAN_DTYPE_F32, 2, PAN_SHAPE(s->m, s->n));
        }
        if (s->batch_b)
            p.b = op_rand(h, 3, PAN_SHAPE(s->batch_b, b_rows, b_cols), 1, 0);
        else
            p.b = op_rand(h, 2, PAN_SHAPE(b_rows, b_cols), 1, 0);
        if (s->bias) p.bias = op_rand(h, 1, PAN_SHAPE(s->n), 1, 0);
        int64_t out_count = batch * s->m * s->n;
        char sa[48], sb[48];
        op_case tc = {.op = PAN_OP_MATMUL, .out_count = out_count,
                      .run = run_matmul, .params = &p};
        if (s->beta != 0.0f) tc.init = op_input_f32(h, out_count, 1, 0);
        snprintf(tc.shape, sizeof tc.shape, "a%s%s b%s%s%s alpha=%g beta=%g",
                 pan_tensor_shape_str(&p.a, sa, sizeof sa),
                 s->trans_a ? "^T" : "",
                 pan_tensor_shape_str(&p.b, sb, sizeof sb),
                 s->trans_b ? "^T" : "", s->bias ? " +bias" : "",
                 (double)s->alpha, (double)s->beta);
        op_harness_run_case(h, &tc);
    }
}

/* ---- conv2d ---- */

typedef struct conv_params {
    pan_tensor x, weight, bias, out;
    bool has_bias;
    int stride, pad;
} conv_params;

static pan_status run_conv(pan_compute *c, const void *params, float *out) {
    const conv_params *p = params;
    pan_tensor o = p->out;
    o.data = out;
    return pan_compute_conv2d(c, &o, &p->x, &p->weight,
                              p->has_bias ? &p->bias : NULL, p->stride, p->pad);
}

static void conv_cases(op_harness *h) {
    static const struct {
        int64_t n, c, h, w, oc, kh, kw;
        int stride, pad;
        bool bias;
    } specs[] = {
        {1, 3, 8, 8, 4, 3, 3, 1, 1, true},
        {2, 5, 7, 9, 6, 3, 3, 2, 1, false},
        {1, 4, 16, 16, 8, 1, 1, 1, 0, true},   /* pointwise */
        {2, 3, 11, 13, 17, 4, 4, 2, 1, true},  /* VAE-style downsample */
        {1, 2, 9, 6, 3, 3, 1, 1, 1, true},     /* non-square kernel */
        {1, 1, 1, 1, 1, 1, 1, 1, 0, false},
        {1, 3, 2, 2, 2, 3, 3, 1, 1, true},     /* kernel as big as padded x */
        {1, 32, 16, 16, 32, 3, 3, 1, 1, true},
        {3, 8, 10, 10, 5, 5, 5, 1, 2, false},
        {1, 6, 12, 12, 4, 3, 3, 3, 0, true},   /* stride 3 */
        {2, 16, 8, 8, 16, 3, 3, 1, 0, true},
        {1, 2, 4, 4, 3, 3, 3, 1, 3, true},     /* padding wider than kernel */
        {1, 17, 5, 19, 3, 2, 3, 2, 0, false},
    };
    for (int i = 0; i < COUNT(specs); i++) {
        conv_params p = {.has_bias = specs[i].bias, .stride = specs[i].stride,
                         .pad = specs[i].pad};
        int64_t oh = (specs[i].h + 2 * p.pad - specs[i].kh) / p.stride + 1;
        int64_t ow = (specs[i].w + 2 * p.pad - specs[i].kw) / p.stride + 1;
        p.x = op_rand(h, 4, PAN_SHAPE(specs[i].n, specs[i].c, specs[i].h,
                                      specs[i].w), 1, 0);
        p.weight = op_rand(h, 4, PAN_SHAPE(specs[i].oc, specs[i].c,
                                           specs[i].kh, specs[i].kw), 0.5f, 0);
        if (p.has_bias) p.bias = op_rand(h, 1, PAN_SHAPE(specs[i].oc), 1, 0);
        p.out = op_view(NULL, PAN_DTYPE_F32, 4,
                        PAN_SHAPE(specs[i].n, specs[i].oc, oh, ow));
        char sx[48], sw[48];
        op_case tc = {.op = PAN_OP_CONV2D, .out_count = pan_tensor_numel(&p.out),
                      .run = run_conv, .params = &p};
        snprintf(tc.shape, sizeof tc.shape, "x%s w%s stride=%d pad=%d%s",
                 pan_tensor_shape_str(&p.x, sx, sizeof sx),
                 pan_tensor_shape_str(&p.weight, sw, sizeof sw), p.stride,
                 p.pad, p.has_bias ? " +bias" : "");
        op_harness_run_case(h, &tc);
    }
}

/* ---- upsample_nearest ---- */

typedef struct upsample_params {
    pan_tensor x, out;
    int factor;
} upsample_params;

static pan_status run_upsample(pan_compute *c, const void *params, float *out) {
    const upsample_params *p = params;
    pan_tensor o = p->out;
    o.data = out;
    return pan_compute_upsample_nearest(c, &o, &p->x, p->factor);
}

static void upsample_cases(op_harness *h) {
    static const int64_t specs[][5] = {
        /* n, c, h, w, factor */
        {1, 1, 1, 1, 2}, {2, 3, 5, 7, 2}, {1, 4, 8, 8, 3},
        {1, 2, 3, 3, 1}, {2, 16, 16, 16, 2}, {1, 3, 1, 9, 4},
        {1, 32, 32, 32, 2}, /* the VAE decoder's size */
    };
    for (int i = 0; i < COUNT(specs); i++) {
        const int64_t *s = specs[i];
        upsample_params p = {.factor = (int)s[4]};
        p.x = op_rand(h, 4, PAN_SHAPE(s[0], s[1], s[2], s[3]), 1, 0);
        p.out = op_view(NULL, PAN_DTYPE_F32, 4,
                        PAN_SHAPE(s[0], s[1], s[2] * s[4], s[3] * s[4]));
        char sx[48];
        op_case tc = {.op = PAN_OP_UPSAMPLE_NEAREST,
                      .out_count = pan_tensor_numel(&p.out),
                      .run = run_upsample, .params = &p};
        snprintf(tc.shape, sizeof tc.shape, "x%s factor=%d",
                 pan_tensor_shape_str(&p.x, sx, sizeof sx), p.factor);
        op_harness_run_case(h, &tc);
    }
}

/* ---- patchify / unpatchify ---- */

typedef struct patch_params {
    pan_tensor in, out;
    int patch;
} patch_params;

static pan_status run_patchify(pan_compute *c, const void *params, float *out) {
    const patch_params *p = params;
    pan_tensor o = p->out;
    o.data = out;
    return pan_compute_patchify(c, &o, &p->in, p->patch);
}

static pan_status run_unpatchify(pan_compute *c, const void *params,
                                 float *out) {
    const patch_params *p = params;
    pan_tensor o = p->out;
    o.data = out;
    return pan_compute_unpatchify(c, &o, &p->in, p->patch);
}

static void patch_cases(op_harness *h) {
    static const int64_t specs[][5] = {
        /* n, c, h, w, patch */
        {1, 1, 2, 2, 2}, {2, 3, 8, 12, 2}, {1, 4, 16, 16, 4},
        {2, 5, 6, 9, 3}, {1, 3, 4, 5, 1},  {2, 4, 16, 16, 2},
    };
    for (int i = 0; i < COUNT(specs); i++) {
        const int64_t *s = specs[i];
        int64_t tokens = (s[2] / s[4]) * (s[3] / s[4]), dim = s[1] * s[4] * s[4];
        pan_tensor image = op_view(NULL, PAN_DTYPE_F32, 4,
                                   PAN_SHAPE(s[0], s[1], s[2], s[3]));
        pan_tensor seq = op_view(NULL, PAN_DTYPE_F32, 3,
                                 PAN_SHAPE(s[0], tokens, dim));
        char si[48], st[48];
        pan_tensor_shape_str(&image, si, sizeof si);
        pan_tensor_shape_str(&seq, st, sizeof st);

        patch_params p = {.in = op_rand(h, 4, image.shape, 1, 0), .out = seq,
                          .patch = (int)s[4]};
        op_case tc = {.op = PAN_OP_PATCHIFY, .out_count = pan_tensor_numel(&seq),
                      .run = run_patchify, .params = &p};
        snprintf(tc.shape, sizeof tc.shape, "image%s patch=%d -> %s", si,
                 p.patch, st);
        op_harness_run_case(h, &tc);

        patch_params u = {.in = op_rand(h, 3, seq.shape, 1, 0), .out = image,
                          .patch = (int)s[4]};
        op_case tu = {.op = PAN_OP_UNPATCHIFY,
                      .out_count = pan_tensor_numel(&image),
                      .run = run_unpatchify, .params = &u};
        snprintf(tu.shape, sizeof tu.shape, "tokens%s patch=%d -> %s", st,
                 u.patch, si);
        op_harness_run_case(h, &tu);
    }
}

/* ---- embedding ---- */

typedef struct embedding_params {
    pan_tensor table, ids, out;
} embedding_params;

static pan_status run_embedding(pan_compute *c, const void *params,
                                float *out) {
    const embedding_params *p = params;
    pan_tensor o = p->out;
    o.data = out;
    return pan_compute_embedding(c, &o, &p->table, &p->ids);
}

static void embedding_cases(op_harness *h) {
    static const struct {
        int64_t vocab, dim;
        int ndim;
        int64_t shape[3];
    } specs[] = {
        {10, 7, 1, {5}},      {300, 64, 2, {2, 9}}, {1, 1, 1, {1}},
        {50, 33, 3, {2, 3, 4}}, {256, 256, 2, {1, 17}}, {8, 5, 1, {0}},
    };
    for (int i = 0; i < COUNT(specs); i++) {
        embedding_params p;
        p.table = op_rand(h, 2, PAN_SHAPE(specs[i].vocab, specs[i].dim), 1, 0);
        p.ids = op_view(NULL, PAN_DTYPE_I32, specs[i].ndim, specs[i].shape);
        p.ids.data = op_input_i32(h, pan_tensor_numel(&p.ids), 0,
                                  (int32_t)specs[i].vocab - 1);
        int64_t shape[4];
        memcpy(shape, specs[i].shape, sizeof specs[i].shape);
        shape[specs[i].ndim] = specs[i].dim;
        p.out = op_view(NULL, PAN_DTYPE_F32, specs[i].ndim + 1, shape);
        char st[48], si[48];
        op_case tc = {.op = PAN_OP_EMBEDDING,
                      .out_count = pan_tensor_numel(&p.out),
                      .run = run_embedding, .params = &p};
        snprintf(tc.shape, sizeof tc.shape, "table%s ids%s",
                 pan_tensor_shape_str(&p.table, st, sizeof st),
                 pan_tensor_shape_str(&p.ids, si, sizeof si));
        op_harness_run_case(h, &tc);
    }
}

void op_cases_linear(op_harness *h) {
    matmul_cases(h);
    conv_cases(h);
    upsample_cases(h);
    patch_cases(h);
    embedding_cases(h);
}
