/* tests/op_cases_backward.c: parity cases for SUM_ROWS, the composed
 * matmul backward and every backward op and loss except attention's
 * (op_cases_attention_backward.c). Gradients are packed one after another
 * in the case's output (op_case.parts), start from a random init and are
 * compared on what the op added (op_case.delta), so overwriting instead of
 * accumulating fails; some cases leave a gradient NULL. */
#include <stdio.h>
#include <string.h>

#include "tests/op_harness.h"

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define MAX_G 4

typedef struct bw_params {
    pan_op op;
    const char *label;   /* matmul_backward: not an op of its own */
    pan_tensor t[8];     /* inputs */
    pan_tensor g[MAX_G]; /* gradient templates: shape only */
    bool skip[MAX_G];    /* gradient left NULL */
    int n_g;
    int ia[3];
    float fa[2];
} bw_params;

/* Views of the requested gradients, packed in `out`; NULL for skipped. */
static void grads(const bw_params *p, float *out, pan_tensor *views,
                  pan_tensor **ptrs) {
    int64_t at = 0;
    for (int i = 0; i < MAX_G; i++) {
        ptrs[i] = NULL;
        if (i >= p->n_g || p->skip[i]) continue;
        views[i] = p->g[i];
        views[i].data = out + at;
        ptrs[i] = &views[i];
        at += pan_tensor_numel(&p->g[i]);
    }
}

static pan_status run_backward(pan_compute *c, const void *params,
                               float *out) {
    const bw_params *p = params;
    pan_tensor v[MAX_G], *g[MAX_G];
    grads(p, out, v, g);
    const pan_tensor *t = p->t;
    switch (p->op) {
    case PAN_OP_SUM_ROWS: return pan_compute_sum_rows(c, &t[0], g[0]);
    case PAN_OP_MATMUL:
        return pan_compute_matmul_backward(c, &t[2], &t[0], &t[1], p->ia[0],
                                           p->ia[1], p->fa[0], g[0], g[1],
                                           g[2]);
    case PAN_OP_CONV2D_BACKWARD:
        return pan_compute_conv2d_backward(c, &t[0], &t[1], &t[2], p->ia[0],
                                           p->ia[1], g[0], g[1], g[2]);
    case PAN_OP_UPSAMPLE_NEAREST_BACKWARD:
        return pan_compute_upsample_nearest_backward(c, &t[0], p->ia[0], g[0]);
    case PAN_OP_GROUP_NORM_BACKWARD:
        return pan_compute_group_norm_backward(
            c, &t[0], p->ia[1] ? &t[1] : NULL, &t[2], p->ia[0], p->fa[0], g[0],
            g[1], g[2]);
    case PAN_OP_LAYER_NORM_BACKWARD:
        return pan_compute_layer_norm_backward(c, &t[0],
                                               p->ia[1] ? &t[1] : NULL, &t[2],
                                               p->fa[0], g[0], g[1], g[2]);
    case PAN_OP_RMS_NORM_BACKWARD:
        return pan_compute_rms_norm_backward(c, &t[0], &t[1], &t[2], p->fa[0],
                                             g[0], g[1]);
    case PAN_OP_SOFTMAX_BACKWARD:
        return pan_compute_softmax_backward(c, &t[0], &t[1], g[0]);
    case PAN_OP_SILU_BACKWARD:
        return pan_compute_silu_backward(c, &t[0], &t[1], g[0]);
    case PAN_OP_GELU_BACKWARD:
        return pan_compute_gelu_backward(c, &t[0], &t[1],
                                         (pan_gelu_mode)p->ia[0], g[0]);
    case PAN_OP_SWIGLU_BACKWARD:
        return pan_compute_swiglu_backward(c, &t[0], &t[1], &t[2], g[0], g[1]);
    case PAN_OP_ROPE_BACKWARD:
        return pan_compute_rope_backward(c, &t[0], &t[1], p->ia[0], p->fa[0],
                                         g[0]);
    case PAN_OP_MODULATE_BACKWARD:
        return pan_compute_modulate_backward(c, &t[0], &t[1], &t[2], g[0],
                                             g[1], g[2]);
    case PAN_OP_GATE_ADD_BACKWARD:
        return pan_compute_gate_add_backward(c, &t[0], &t[1], &t[2], g[0],
                                             g[1], g[2]);
    case PAN_OP_EMBEDDING_BACKWARD:
        return pan_compute_embedding_backward(c, &t[0], &t[1], g[0]);
    case PAN_OP_PATCHIFY_BACKWARD:
        return pan_compute_patchify_backward(c, &t[0], p->ia[0], g[0]);
    case PAN_OP_UNPATCHIFY_BACKWARD:
        return pan_compute_unpatchify_backward(c, &t[0], p->ia[0], g[0]);
    case PAN_OP_MSE_LOSS:
        return pan_compute_mse_loss(c, &t[0], &t[1], p->ia[0] ? &t[2] : NULL,
                                    p->fa[0], g[0], g[1]);
    case PAN_OP_L1_LOSS:
        return pan_compute_l1_loss(c, &t[0], &t[1], p->ia[0] ? &t[2] : NULL,
                                   p->fa[0], g[0], g[1]);
    case PAN_OP_KL_LOSS:
        return pan_compute_kl_loss(c, &t[0], &t[1], p->fa[0], g[0], g[1],
                                   g[2]);
    default:
        return pan_error_set(PAN_ERR_INTERNAL, "no runner for op %d",
                             (int)p->op);
    }
}

/* Fills the case's output description from p and runs it. */
static void run(op_harness *h, bw_params *p, const char *what) {
    op_case tc = {.op = p->op, .run = run_backward, .params = p,
                  .delta = true, .label = p->label};
    for (int i = 0; i < p->n_g; i++) {
        if (p->skip[i]) continue;
        tc.parts[tc.n_parts++] = pan_tensor_numel(&p->g[i]);
        tc.out_count += pan_tensor_numel(&p->g[i]);
    }
    tc.init = op_input_f32(h, tc.out_count, 1, 0);
    snprintf(tc.shape, sizeof tc.shape, "%s", what);
    op_harness_run_case(h, &tc);
}

static pan_tensor shape_of(int ndim, const int64_t *shape) {
    return op_view(NULL, PAN_DTYPE_F32, ndim, shape);
}

static void grad_of(bw_params *p, const pan_tensor *t) {
    p->g[p->n_g++] = shape_of(t->ndim, t->shape);
}

/* ---- sum_rows and matmul ---- */

static void sum_rows_cases(op_harness *h) {
    static const int64_t specs[][3] = {
        {0, 1, 1}, {0, 7, 13}, {0, 300, 65}, {0, 1, 257}, {4, 9, 33}, {0, 0, 5}};
    for (int i = 0; i < COUNT(specs); i++) {
        bw_params p = {.op = PAN_OP_SUM_ROWS};
        const int64_t *s = specs[i];
        p.t[0] = s[0] ? op_rand(h, 3, PAN_SHAPE(s[0], s[1], s[2]), 1, 0)
                      : op_rand(h, 2, PAN_SHAPE(s[1], s[2]), 1, 0);
        p.g[p.n_g++] = shape_of(1, PAN_SHAPE(s[2]));
        char sx[48], what[96];
        snprintf(what, sizeof what, "x%s",
                 pan_tensor_shape_str(&p.t[0], sx, sizeof sx));
        run(h, &p, what);
    }
}

static void matmul_backward_cases(op_harness *h) {
    static const struct {
        int64_t batch_a, batch_b, m, k, n;
        bool ta, tb, skip_a, skip_b, skip_bias;
    } specs[] = {
        {0, 0, 17, 33, 19, false, false, false, false, false},
        {0, 0, 37, 129, 70, false, true, false, false, false},
        {0, 0, 23, 18, 31, true, false, false, false, true},
        {0, 0, 9, 40, 13, true, true, false, false, false},
        {3, 3, 7, 9, 11, false, true, false, false, false},
        {2, 2, 12, 8, 20, true, false, false, true, false},
        {3, 0, 5, 24, 33, false, true, false, false, false}, /* weights */
        {4, 1, 6, 17, 10, false, false, false, false, false},
        {2, 0, 12, 8, 20, true, true, false, false, false},
        {2, 0, 12, 8, 20, true, false, true, false, true},
        {4, 0, 64, 96, 128, false, true, false, false, false},
        {1, 1, 1, 16, 16, false, true, false, false, false},
    };
    for (int i = 0; i < COUNT(specs); i++) {
        bw_params p = {.op = PAN_OP_MATMUL, .label = "matmul_backward",
                       .ia = {specs[i].ta, specs[i].tb}, .fa = {0.75f}};
        int64_t m = specs[i].m, k = specs[i].k, n = specs[i].n;
        int64_t ar = specs[i].ta ? k : m, ac = specs[i].ta ? m : k;
        int64_t br = specs[i].tb ? n : k, bc = specs[i].tb ? k : n;
        int64_t ba = specs[i].batch_a, bb = specs[i].batch_b;
        p.t[0] = ba ? op_rand(h, 3, PAN_SHAPE(ba, ar, ac), 1, 0)
                    : op_rand(h, 2, PAN_SHAPE(ar, ac), 1, 0);
        p.t[1] = bb ? op_rand(h, 3, PAN_SHAPE(bb, br, bc), 1, 0)
                    : op_rand(h, 2, PAN_SHAPE(br, bc), 1, 0);
        p.t[2] = ba ? op_rand(h, 3, PAN_SHAPE(ba, m, n), 1, 0)
                    : op_rand(h, 2, PAN_SHAPE(m, n), 1, 0);
        grad_of(&p, &p.t[0]);
        grad_of(&p, &p.t[1]);
        p.g[p.n_g++] = shape_of(1, PAN_SHAPE(n));
        p.skip[0] = specs[i].skip_a;
        p.skip[1] = specs[i].skip_b;
        p.skip[2] = specs[i].skip_bias;
        char sa[48], sb[48], what[160];
        snprintf(what, sizeof what, "a%s%s b%s%s%s%s%s",
                 pan_tensor_shape_str(&p.t[0], sa, sizeof sa),
                 specs[i].ta ? "^T" : "",
                 pan_tensor_shape_str(&p.t[1], sb, sizeof sb),
                 specs[i].tb ? "^T" : "", p.skip[0] ? " no-da" : "",
                 p.skip[1] ? " no-db" : "", p.skip[2] ? " no-dbias" : "");
        run(h, &p, what);
    }
}

/* ---- conv2d, upsample ---- */

static void conv_backward_cases(op_harness *h) {
    static const struct {
        int64_t n, c, h, w, oc, kh, kw;
        int stride, pad;
        bool skip_dx, skip_dw, skip_db;
    } specs[] = {
        {1, 3, 8, 8, 4, 3, 3, 1, 1, false, false, false},
        {2, 5, 7, 9, 6, 3, 3, 2, 1, false, false, false},
        {1, 4, 16, 16, 8, 1, 1, 1, 0, false, false, false},
        {2, 3, 11, 13, 17, 4, 4, 2, 1, false, false, false},
        {1, 2, 9, 6, 3, 3, 1, 1, 1, false, true, false},
        {1, 1, 1, 1, 1, 1, 1, 1, 0, false, false, false},
        {1, 32, 16, 16, 32, 3, 3, 1, 1, false, false, false},
        {3, 8, 10, 10, 5, 5, 5, 1, 2, true, false, false},
        {1, 6, 12, 12, 4, 3, 3, 3, 0, false, false, true},
        {2, 16, 8, 8, 16, 3, 3, 1, 0, false, false, false},
        {1, 2, 4, 4, 3, 3, 3, 1, 3, false, false, false},
        {1, 17, 5, 19, 3, 2, 3, 2, 0, false, false, false},
        {2, 64, 16, 16, 32, 3, 3, 1, 1, false, false, false},
        /* blocked layouts on onednn with some gradients skipped */
        {2, 32, 9, 11, 16, 3, 3, 2, 1, false, true, false},
        {1, 16, 8, 8, 24, 3, 3, 1, 1, true, false, true},
    };
    for (int i = 0; i < COUNT(specs); i++) {
        bw_params p = {.op = PAN_OP_CONV2D_BACKWARD,
                       .ia = {specs[i].stride, specs[i].pad}};
        int64_t oh = (specs[i].h + 2 * specs[i].pad - specs[i].kh) / specs[i].stride + 1;
        int64_t ow = (specs[i].w + 2 * specs[i].pad - specs[i].kw) / specs[i].stride + 1;
        p.t[0] = op_rand(h, 4, PAN_SHAPE(specs[i].n, specs[i].c, specs[i].h,
                                         specs[i].w), 1, 0);
        p.t[1] = op_rand(h, 4, PAN_SHAPE(specs[i].oc, specs[i].c, specs[i].kh,
                                         specs[i].kw), 0.5f, 0);
        p.t[2] = op_rand(h, 4, PAN_SHAPE(specs[i].n, specs[i].oc, oh, ow), 1, 0);
        grad_of(&p, &p.t[0]);
        grad_of(&p, &p.t[1]);
        p.g[p.n_g++] = shape_of(1, PAN_SHAPE(specs[i].oc));
        p.skip[0] = specs[i].skip_dx;
        p.skip[1] = specs[i].skip_dw;
        p.skip[2] = specs[i].skip_db;
        char sx[48], sw[48], what[160];
        snprintf(what, sizeof what, "x%s w%s stride=%d pad=%d%s%s%s",
                 pan_tensor_shape_str(&p.t[0], sx, sizeof sx),
                 pan_tensor_shape_str(&p.t[1], sw, sizeof sw), p.ia[0],
                 p.ia[1], p.skip[0] ? " no-dx" : "", p.skip[1] ? " no-dw" : "",
                 p.skip[2] ? " no-dbias" : "");
        run(h, &p, what);
    }
    static const int64_t up[][5] = {
        {1, 1, 1, 1, 2}, {2, 3, 5, 7, 2}, {1, 4, 8, 8, 3}, {1, 2, 3, 3, 1},
        {1, 32, 32, 32, 2}};
    for (int i = 0; i < COUNT(up); i++) {
        const int64_t *s = up[i];
        bw_params p = {.op = PAN_OP_UPSAMPLE_NEAREST_BACKWARD, .ia = {(int)s[4]}};
        p.t[0] = op_rand(h, 4, PAN_SHAPE(s[0], s[1], s[2] * s[4], s[3] * s[4]),
                         1, 0);
        p.g[p.n_g++] = shape_of(4, PAN_SHAPE(s[0], s[1], s[2], s[3]));
        char sx[48], what[96];
        snprintf(what, sizeof what, "dout%s factor=%d",
                 pan_tensor_shape_str(&p.t[0], sx, sizeof sx), p.ia[0]);
        run(h, &p, what);
    }
}

/* ---- norms ---- */

static void norm_backward_cases(op_harness *h) {
    static const struct {
        pan_op op;
        int ndim;
        int64_t shape[4];
        int groups;
        bool gamma, skip_dx, skip_dgamma, skip_dbeta;
        float offset;
    } specs[] = {
        {PAN_OP_GROUP_NORM_BACKWARD, 4, {2, 32, 8, 8}, 8, true, false, false, false, 0},
        {PAN_OP_GROUP_NORM_BACKWARD, 4, {1, 6, 5, 3}, 3, false, false, true, false, 0},
        {PAN_OP_GROUP_NORM_BACKWARD, 2, {3, 4}, 2, true, false, false, false, 0},
        {PAN_OP_GROUP_NORM_BACKWARD, 4, {2, 12, 3, 5}, 4, true, false, false, true, 3},
        {PAN_OP_GROUP_NORM_BACKWARD, 4, {1, 64, 16, 16}, 32, true, false, false, false, 0},
        {PAN_OP_LAYER_NORM_BACKWARD, 1, {7}, 0, true, false, false, false, 0},
        {PAN_OP_LAYER_NORM_BACKWARD, 3, {3, 5, 64}, 0, true, false, false, false, 0},
        {PAN_OP_LAYER_NORM_BACKWARD, 3, {2, 17, 33}, 0, false, false, true, false, 0},
        {PAN_OP_LAYER_NORM_BACKWARD, 2, {8, 96}, 0, true, true, false, false, 3},
        {PAN_OP_LAYER_NORM_BACKWARD, 3, {2, 96, 256}, 0, true, false, false, false, 0},
        {PAN_OP_RMS_NORM_BACKWARD, 2, {1, 7}, 0, true, false, false, true, 0},
        {PAN_OP_RMS_NORM_BACKWARD, 3, {3, 5, 64}, 0, true, false, false, true, 0},
        {PAN_OP_RMS_NORM_BACKWARD, 2, {17, 257}, 0, true, false, true, true, 0},
        {PAN_OP_RMS_NORM_BACKWARD, 3, {4, 93, 256}, 0, true, false, false, true, 0},
    };
    for (int i = 0; i < COUNT(specs); i++) {
        bw_params p = {.op = specs[i].op,
                       .ia = {specs[i].groups, specs[i].gamma}, .fa = {1e-5f}};
        int nd = specs[i].ndim;
        int64_t width = specs[i].op == PAN_OP_GROUP_NORM_BACKWARD
                            ? specs[i].shape[1]
                            : specs[i].shape[nd - 1];
        p.t[0] = op_rand(h, nd, specs[i].shape, 1, specs[i].offset);
        p.t[1] = op_rand(h, 1, PAN_SHAPE(width), 0.5f, 1);
        p.t[2] = op_rand(h, nd, specs[i].shape, 1, 0);
        grad_of(&p, &p.t[0]);
        p.g[p.n_g++] = shape_of(1, PAN_SHAPE(width));
        p.g[p.n_g++] = shape_of(1, PAN_SHAPE(width));
        p.skip[0] = specs[i].skip_dx;
        p.skip[1] = specs[i].skip_dgamma || !specs[i].gamma;
        p.skip[2] = specs[i].skip_dbeta;
        if (specs[i].op == PAN_OP_RMS_NORM_BACKWARD) p.n_g = 2;
        char sx[48], what[160];
        snprintf(what, sizeof what, "x%s%s%s%s%s%s",
                 pan_tensor_shape_str(&p.t[0], sx, sizeof sx),
                 specs[i].groups ? " groups" : "",
                 specs[i].gamma ? " +gamma" : "", p.skip[0] ? " no-dx" : "",
                 p.skip[1] ? " no-dgamma" : "",
                 p.skip[2] && p.n_g == 3 ? " no-dbeta" : "");
        run(h, &p, what);
    }
}

/* ---- softmax, silu, gelu, swiglu ---- */

static void pointwise_backward_cases(op_harness *h) {
    static const struct {
        pan_op op;
        int mode, ndim;
        int64_t shape[4];
        float scale;
    } specs[] = {
        {PAN_OP_SOFTMAX_BACKWARD, 0, 1, {1}, 1},
        {PAN_OP_SOFTMAX_BACKWARD, 0, 2, {3, 7}, 3},
        {PAN_OP_SOFTMAX_BACKWARD, 0, 3, {2, 5, 333}, 3},
        {PAN_OP_SILU_BACKWARD, 0, 0, {0}, 3},
        {PAN_OP_SILU_BACKWARD, 0, 2, {3, 17}, 3},
        {PAN_OP_SILU_BACKWARD, 0, 3, {4, 64, 129}, 5},
        {PAN_OP_GELU_BACKWARD, PAN_GELU_ERF, 2, {3, 17}, 3},
        {PAN_OP_GELU_BACKWARD, PAN_GELU_ERF, 3, {4, 64, 129}, 5},
        {PAN_OP_GELU_BACKWARD, PAN_GELU_TANH, 2, {3, 17}, 3},
        {PAN_OP_GELU_BACKWARD, PAN_GELU_TANH, 3, {4, 64, 129}, 5},
        {PAN_OP_GELU_BACKWARD, PAN_GELU_TANH, 2, {7, 300}, 40}, /* saturated tanh */
        {PAN_OP_SWIGLU_BACKWARD, 0, 1, {5}, 3},
        {PAN_OP_SWIGLU_BACKWARD, 0, 4, {2, 4, 4, 17}, 3},
        {PAN_OP_SWIGLU_BACKWARD, 0, 3, {2, 93, 512}, 3},
    };
    for (int i = 0; i < COUNT(specs); i++) {
        bw_params p = {.op = specs[i].op, .ia = {specs[i].mode}};
        int nd = specs[i].ndim;
        const int64_t *sh = specs[i].shape;
        if (specs[i].op == PAN_OP_SOFTMAX_BACKWARD) {
            /* y: a softmax output (positive rows summing to 1) */
            p.t[0] = op_rand(h, nd, sh, 0.5f, 0.5f);
            float *y = p.t[0].data;
            int64_t cols = sh[nd - 1], n = pan_tensor_numel(&p.t[0]);
            for (int64_t r = 0; r < n / cols; r++) {
                double sum = 0;
                for (int64_t j = 0; j < cols; j++) sum += y[r * cols + j];
                for (int64_t j = 0; j < cols; j++) y[r * cols + j] /= (float)sum;
            }
        } else {
            p.t[0] = op_rand(h, nd, sh, specs[i].scale, 0);
        }
        p.t[1] = op_rand(h, nd, sh, 1, 0);
        grad_of(&p, &p.t[0]);
        if (specs[i].op == PAN_OP_SWIGLU_BACKWARD) {
            p.t[2] = op_rand(h, nd, sh, 1, 0);
            grad_of(&p, &p.t[1]);
        }
        char sx[48], what[96];
        snprintf(what, sizeof what, "x%s%s",
                 pan_tensor_shape_str(&p.t[0], sx, sizeof sx),
                 specs[i].op == PAN_OP_GELU_BACKWARD
                     ? (specs[i].mode ? " tanh" : " erf")
                     : "");
        run(h, &p, what);
    }
    /* swiglu with only one of the two gradients */
    for (int skip = 0; skip < 2; skip++) {
        bw_params p = {.op = PAN_OP_SWIGLU_BACKWARD};
        p.t[0] = op_rand(h, 2, PAN_SHAPE(7, 33), 3, 0);
        p.t[1] = op_rand(h, 2, PAN_SHAPE(7, 33), 1, 0);
        p.t[2] = op_rand(h, 2, PAN_SHAPE(7, 33), 1, 0);
        grad_of(&p, &p.t[0]);
        grad_of(&p, &p.t[1]);
        p.skip[skip] = true;
        run(h, &p, skip ? "x[7,33] no-dup" : "x[7,33] no-dgate");
    }
}

/* ---- rope, modulate, gate_add ---- */

static void token_backward_cases(op_harness *h) {
    static const struct {
        int64_t b, t, heads, d;
        int dims;
        int32_t max_pos;
    } rope[] = {{1, 1, 1, 2, 1, 0},   {2, 5, 3, 64, 1, 512},
                {1, 7, 2, 6, 1, 100}, {2, 6, 2, 8, 2, 15},
                {1, 5, 3, 12, 2, 31}, {2, 64, 2, 16, 2, 7}};
    for (int i = 0; i < COUNT(rope); i++) {
        bw_params p = {.op = PAN_OP_ROPE_BACKWARD, .ia = {rope[i].dims},
                       .fa = {10000.0f}};
        p.t[0] = op_rand(h, 4, PAN_SHAPE(rope[i].b, rope[i].t, rope[i].heads,
                                         rope[i].d), 1, 0);
        p.t[1] = rope[i].dims == 1
                     ? op_view(NULL, PAN_DTYPE_I32, 2, PAN_SHAPE(rope[i].b, rope[i].t))
                     : op_view(NULL, PAN_DTYPE_I32, 3,
                               PAN_SHAPE(rope[i].b, rope[i].t, 2));
        p.t[1].data = op_input_i32(h, pan_tensor_numel(&p.t[1]), 0,
                                   rope[i].max_pos);
        grad_of(&p, &p.t[0]);
        char sx[48], what[96];
        snprintf(what, sizeof what, "dout%s %d-D pos<=%d",
                 pan_tensor_shape_str(&p.t[0], sx, sizeof sx), rope[i].dims,
                 (int)rope[i].max_pos);
        run(h, &p, what);
    }
    static const int64_t adaln[][3] = {{1, 1, 1}, {2, 5, 33}, {3, 16, 64},
                                       {2, 93, 256}};
    for (int which = 0; which < 2; which++)
        for (int i = 0; i < COUNT(adaln); i++) {
            const int64_t *s = adaln[i];
            bw_params p = {.op = which ? PAN_OP_GATE_ADD_BACKWARD
                                       : PAN_OP_MODULATE_BACKWARD};
            p.t[0] = op_rand(h, 3, PAN_SHAPE(s[0], s[1], s[2]), 1, 0);
            p.t[1] = op_rand(h, 2, PAN_SHAPE(s[0], s[2]), 1, 0);
            p.t[2] = op_rand(h, 3, PAN_SHAPE(s[0], s[1], s[2]), 1, 0);
            grad_of(&p, &p.t[0]);              /* dx | dresidual */
            grad_of(&p, which ? &p.t[0] : &p.t[1]); /* dshift | dy */
            grad_of(&p, &p.t[1]);              /* dscale | dgate */
            p.skip[i % 3] = i == 3; /* the last case drops one gradient */
            char sx[48], what[96];
            snprintf(what, sizeof what, "x%s%s",
                     pan_tensor_shape_str(&p.t[0], sx, sizeof sx),
                     i == 3 ? " one gradient NULL" : "");
            run(h, &p, what);
        }
}

/* ---- embedding, patchify, unpatchify ---- */

static void layout_backward_cases(op_harness *h) {
    static const struct {
        int64_t vocab, dim;
        int ndim;
        int64_t shape[3];
        int32_t max_id; /* small: many repeated ids */
    } emb[] = {{10, 7, 1, {5}, 9},          {300, 64, 2, {2, 9}, 299},
               {1, 1, 1, {1}, 0},           {50, 33, 3, {2, 3, 4}, 3},
               {256, 256, 2, {4, 93}, 40},  {8, 5, 1, {0}, 7}};
    for (int i = 0; i < COUNT(emb); i++) {
        bw_params p = {.op = PAN_OP_EMBEDDING_BACKWARD};
        p.t[0] = op_view(NULL, PAN_DTYPE_I32, emb[i].ndim, emb[i].shape);
        p.t[0].data = op_input_i32(h, pan_tensor_numel(&p.t[0]), 0,
                                   emb[i].max_id);
        int64_t shape[4];
        memcpy(shape, emb[i].shape, sizeof emb[i].shape);
        shape[emb[i].ndim] = emb[i].dim;
        p.t[1] = op_rand(h, emb[i].ndim + 1, shape, 1, 0);
        p.g[p.n_g++] = shape_of(2, PAN_SHAPE(emb[i].vocab, emb[i].dim));
        char si[48], what[96];
        snprintf(what, sizeof what, "table[%lld,%lld] ids%s ids<=%d",
                 (long long)emb[i].vocab, (long long)emb[i].dim,
                 pan_tensor_shape_str(&p.t[0], si, sizeof si),
                 (int)emb[i].max_id);
        run(h, &p, what);
    }
    static const int64_t patch[][5] = {{1, 1, 2, 2, 2}, {2, 3, 8, 12, 2},
                                       {1, 4, 16, 16, 4}, {2, 5, 6, 9, 3}};
    for (int i = 0; i < COUNT(patch); i++) {
        const int64_t *s = patch[i];
        pan_tensor image = shape_of(4, PAN_SHAPE(s[0], s[1], s[2], s[3]));
        pan_tensor seq = shape_of(3, PAN_SHAPE(s[0], (s[2] / s[4]) * (s[3] / s[4]),
                                               s[1] * s[4] * s[4]));
        char si[48], what[96];
        pan_tensor_shape_str(&image, si, sizeof si);
        bw_params p = {.op = PAN_OP_PATCHIFY_BACKWARD, .ia = {(int)s[4]}};
        p.t[0] = op_rand(h, 3, seq.shape, 1, 0);
        p.g[p.n_g++] = image;
        snprintf(what, sizeof what, "image%s patch=%d", si, p.ia[0]);
        run(h, &p, what);
        bw_params u = {.op = PAN_OP_UNPATCHIFY_BACKWARD, .ia = {(int)s[4]}};
        u.t[0] = op_rand(h, 4, image.shape, 1, 0);
        u.g[u.n_g++] = seq;
        run(h, &u, what);
    }
}

/* ---- losses ---- */

static void loss_cases(op_harness *h) {
    static const struct {
        pan_op op;
        int ndim;
        int64_t shape[4];
        bool weights, skip_grad;
        float grad_scale;
    } specs[] = {
        {PAN_OP_MSE_LOSS, 1, {1}, false, false, 1},
        {PAN_OP_MSE_LOSS, 4, {4, 4, 16, 16}, true, false, 1},
        {PAN_OP_MSE_LOSS, 2, {3, 33}, true, true, 1},
        {PAN_OP_MSE_LOSS, 3, {2, 5, 7}, false, false, 0.25f},
        {PAN_OP_L1_LOSS, 4, {4, 3, 16, 16}, true, false, 1},
        {PAN_OP_L1_LOSS, 2, {5, 9}, false, false, 2},
        {PAN_OP_KL_LOSS, 4, {4, 4, 8, 8}, false, false, 1},
        {PAN_OP_KL_LOSS, 2, {3, 7}, false, true, 0.5f},
    };
    for (int i = 0; i < COUNT(specs); i++) {
        bw_params p = {.op = specs[i].op, .ia = {specs[i].weights},
                       .fa = {specs[i].grad_scale}};
        int nd = specs[i].ndim;
        p.t[0] = op_rand(h, nd, specs[i].shape, 1, 0);
        p.t[1] = op_rand(h, nd, specs[i].shape, 1, 0);
        if (specs[i].op == PAN_OP_L1_LOSS) /* a few exact ties: gradient 0 */
            memcpy(p.t[1].data, p.t[0].data, 3 * sizeof(float));
        if (specs[i].weights)
            p.t[2] = op_rand(h, 1, PAN_SHAPE(specs[i].shape[0]), 0.5f, 1);
        p.g[p.n_g++] = shape_of(1, PAN_SHAPE(1));
        grad_of(&p, &p.t[0]);
        if (specs[i].op == PAN_OP_KL_LOSS) grad_of(&p, &p.t[1]);
        p.skip[1] = specs[i].skip_grad;
        char sx[48], what[96];
        snprintf(what, sizeof what, "pred%s%s grad_scale=%g%s",
                 pan_tensor_shape_str(&p.t[0], sx, sizeof sx),
                 specs[i].weights ? " +weights" : "",
                 (double)specs[i].grad_scale, p.skip[1] ? " loss only" : "");
        run(h, &p, what);
    }
}

void op_cases_backward(op_harness *h) {
    sum_rows_cases(h);
    matmul_backward_cases(h);
    conv_backward_cases(h);
    norm_backward_cases(h);
    pointwise_backward_cases(h);
    token_backward_cases(h);
    layout_backward_cases(h);
    loss_cases(h);
}
