/* tests/test_grad_fd.c: every backward op and loss of the ref backend
 * against central finite differences of its own forward (label "unit").
 *
 * For each case: y = forward(inputs) on ref (f32), a random projection
 * L = sum_i r_i y_i accumulated in double, the analytic gradients from the
 * backward op with dout = r (zero-initialised, so the accumulate rule adds
 * into zeros), and for up to FD_SAMPLES sampled elements e of every float
 * input the central difference
 *     (L(x_e + h) - L(x_e - h)) / (fl(x_e + h) - fl(x_e - h))
 * (the denominator is the step the f32 input really took). Per input the
 * error is nmse = sum (fd - g)^2 / sum g^2 over the samples.
 *
 * Step and bound: h = 1e-2 on inputs of magnitude ~1. The f32 forward
 * rounds L by ~1e-7 |L| and truncation adds ~h^2 |f'''|. Observed
 * (2026-12-07, printed per op at the end): linear ops (upsample, patch,
 * embedding) 1e-15 and below; conv2d, matmul, norms, softmax, activations,
 * rope, adaLN, losses 1e-11..2e-9; attention up to 9e-9 (exp makes it the
 * most curved). FD_BOUND = 1e-6 sits two orders above the worst; a wrong
 * sign, factor or index gives nmse ~1e-2..1.
 *
 * Thread counts: ref promises bit-identical results for any thread count
 * (every output summed by one task in a fixed order), so each case's
 * gradients are also computed with 1 thread and must match the 2-thread
 * ones bit for bit.
 *
 * Exit status: 0 only when every input of every case is under the bound,
 * the thread counts agree and every training op has a case.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/compute.h"
#include "tests/test_util.h"

#define FD_STEP 1e-2
#define FD_BOUND 1e-6
#define FD_SAMPLES 24
#define MAX_T 14
#define MAX_ALLOC 64

/* ---- a case: tensors t[], which of them are perturbed inputs, and the
 * forward/backward calls ---- */

typedef struct fd_case fd_case;
typedef pan_status (*fd_forward)(pan_compute *c, fd_case *k, float *y);
typedef pan_status (*fd_backward)(pan_compute *c, fd_case *k,
                                  const pan_tensor *dout);

struct fd_case {
    pan_op op;
    char what[128];
    pan_tensor t[MAX_T];      /* inputs and attribute tensors */
    pan_tensor g[MAX_T];      /* g[i]: gradient of t[i] if wrt[i] */
    bool wrt[MAX_T];
    float *g1[MAX_T];         /* g[i] computed with 1 thread */
    pan_tensor y;             /* forward output template (shape) */
    pan_tensor aux[2];        /* forward outputs the backward reads */
    int ia[4];                /* integer attributes */
    float fa[2];              /* float attributes */
    fd_forward forward;
    fd_backward backward;
};

static test_rng rng = {20261207u};
static void *allocs[MAX_ALLOC];
static int n_allocs;
static double worst[PAN_OP_COUNT];
static int cases_per_op[PAN_OP_COUNT];
static pan_compute *cpu, *cpu1; /* ref with 2 threads, with 1 */

static void *take(size_t bytes) {
    if (n_allocs == MAX_ALLOC) {
        fprintf(stderr, "test_grad_fd: too many buffers\n");
        exit(2);
    }
    void *p = calloc(1, bytes ? bytes : 1);
    if (!p) exit(2);
    return allocs[n_allocs++] = p;
}

static pan_tensor tensor(pan_dtype dtype, int ndim, const int64_t *shape) {
    pan_tensor t = {0};
    if (pan_tensor_init(&t, NULL, dtype, ndim, shape) != PAN_OK) exit(2);
    t.data = take(pan_tensor_nbytes(&t));
    return t;
}

static pan_tensor rnd(int ndim, const int64_t *shape, float scale,
                      float offset) {
    pan_tensor t = tensor(PAN_DTYPE_F32, ndim, shape);
    test_fill_uniform(&rng, t.data, pan_tensor_numel(&t), scale, offset);
    return t;
}

static pan_tensor ints(int ndim, const int64_t *shape, int32_t lo,
                       int32_t hi) {
    pan_tensor t = tensor(PAN_DTYPE_I32, ndim, shape);
    int32_t *v = t.data;
    for (int64_t i = 0; i < pan_tensor_numel(&t); i++)
        v[i] = test_rng_int(&rng, lo, hi);
    return t;
}

/* Marks t[i] as an input the gradient is checked for. */
static void wrt(fd_case *k, int i) {
    k->wrt[i] = true;
    k->g[i] = tensor(PAN_DTYPE_F32, k->t[i].ndim, k->t[i].shape);
}

static double project(const float *y, const float *r, int64_t n) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) sum += (double)r[i] * y[i];
    return sum;
}

static void run_case(fd_case *k) {
    int64_t n_out = pan_tensor_numel(&k->y);
    float *y = take((size_t)n_out * sizeof(float));
    pan_tensor r = rnd(k->y.ndim, k->y.shape, 1, 0);
    double worst_case = 0.0;
    char why[256] = "";
    pan_status s = k->backward(cpu1, k, &r);
    for (int i = 0; i < MAX_T && s == PAN_OK; i++) { /* 1-thread copy */
        if (!k->wrt[i]) continue;
        size_t bytes = pan_tensor_nbytes(&k->g[i]);
        float *one = take(bytes);
        memcpy(one, k->g[i].data, bytes);
        memset(k->g[i].data, 0, bytes);
        k->g1[i] = one;
    }
    if (s == PAN_OK) s = k->forward(cpu, k, y);
    if (s == PAN_OK) s = k->backward(cpu, k, &r);
    if (s != PAN_OK) snprintf(why, sizeof why, "%s", pan_error_message());
    for (int i = 0; i < MAX_T && !why[0]; i++)
        if (k->wrt[i] && memcmp(k->g1[i], k->g[i].data,
                                pan_tensor_nbytes(&k->g[i])) != 0)
            snprintf(why, sizeof why,
                     "gradient of input %d differs between 1 and 2 threads", i);
    for (int i = 0; i < MAX_T && !why[0]; i++) {
        if (!k->wrt[i]) continue;
        float *x = k->t[i].data, *g = k->g[i].data;
        int64_t n = pan_tensor_numel(&k->t[i]);
        int samples = n < FD_SAMPLES ? (int)n : FD_SAMPLES;
        double num = 0.0, den = 0.0;
        for (int sidx = 0; sidx < samples && !why[0]; sidx++) {
            int64_t e = n <= FD_SAMPLES ? sidx
                                        : (int64_t)(test_rng_next(&rng) % (uint64_t)n);
            float x0 = x[e];
            float up = (float)(x0 + FD_STEP), down = (float)(x0 - FD_STEP);
            x[e] = up;
            s = k->forward(cpu, k, y);
            double lp = project(y, r.data, n_out);
            x[e] = down;
            if (s == PAN_OK) s = k->forward(cpu, k, y);
            double lm = project(y, r.data, n_out);
            x[e] = x0;
            if (s != PAN_OK) snprintf(why, sizeof why, "%s", pan_error_message());
            double fd = (lp - lm) / ((double)up - (double)down);
            num += (fd - g[e]) * (fd - g[e]);
            den += (double)g[e] * g[e];
        }
        double nmse = den > 0 ? num / den : (num == 0 ? 0 : INFINITY);
        if (den == 0 && !why[0])
            snprintf(why, sizeof why, "gradient of input %d is all zero", i);
        if (nmse > worst_case || isnan(nmse)) worst_case = nmse;
    }
    bool ok = !why[0] && worst_case <= FD_BOUND;
    if (!why[0] && !ok) snprintf(why, sizeof why, "nmse above %.0e", FD_BOUND);
    printf("%-26s %-58s fd_nmse=%-10.3g %s%s%s\n", pan_op_name(k->op), k->what,
           worst_case, ok ? "PASS" : "FAIL", why[0] ? "  " : "", why);
    if (!ok) ++*test_failure_count();
    if (worst_case > worst[k->op]) worst[k->op] = worst_case;
    cases_per_op[k->op]++;
    for (int i = 0; i < n_allocs; i++) free(allocs[i]);
    n_allocs = 0;
}

static pan_tensor out_view(fd_case *k, float *y) {
    pan_tensor o = k->y;
    o.data = y;
    return o;
}

/* ---- conv2d ---- */

static pan_status conv_fwd(pan_compute *c, fd_case *k, float *y) {
    pan_tensor o = out_view(k, y);
    return pan_compute_conv2d(c, &o, &k->t[0], &k->t[1], &k->t[2], k->ia[0],
                              k->ia[1]);
}
static pan_status conv_bwd(pan_compute *c, fd_case *k, const pan_tensor *d) {
    return pan_compute_conv2d_backward(c, &k->t[0], &k->t[1], d, k->ia[0],
                                       k->ia[1], &k->g[0], &k->g[1], &k->g[2]);
}
static void conv_case(int64_t n, int64_t ch, int64_t h, int64_t w, int64_t oc,
                      int64_t kh, int64_t kw, int stride, int pad) {
    fd_case k = {.op = PAN_OP_CONV2D_BACKWARD, .forward = conv_fwd,
                 .backward = conv_bwd, .ia = {stride, pad}};
    k.t[0] = rnd(4, PAN_SHAPE(n, ch, h, w), 1, 0);
    k.t[1] = rnd(4, PAN_SHAPE(oc, ch, kh, kw), 0.5f, 0);
    k.t[2] = rnd(1, PAN_SHAPE(oc), 1, 0);
    for (int i = 0; i < 3; i++) wrt(&k, i);
    k.y = tensor(PAN_DTYPE_F32, 4,
                 PAN_SHAPE(n, oc, (h + 2 * pad - kh) / stride + 1,
                           (w + 2 * pad - kw) / stride + 1));
    snprintf(k.what, sizeof k.what, "x[%lld,%lld,%lld,%lld] w%lldx%lld->%lld s%d p%d",
             (long long)n, (long long)ch, (long long)h, (long long)w,
             (long long)kh, (long long)kw, (long long)oc, stride, pad);
    run_case(&k);
}

/* ---- matmul (composed backward) and sum_rows ---- */

static pan_status matmul_fwd(pan_compute *c, fd_case *k, float *y) {
    pan_tensor o = out_view(k, y);
    return pan_compute_matmul(c, &o, &k->t[0], &k->t[1], &k->t[2], k->ia[0],
                              k->ia[1], k->fa[0], 0.0f);
}
static pan_status matmul_bwd(pan_compute *c, fd_case *k, const pan_tensor *d) {
    return pan_compute_matmul_backward(c, d, &k->t[0], &k->t[1], k->ia[0],
                                       k->ia[1], k->fa[0], &k->g[0], &k->g[1],
                                       &k->g[2]);
}
static void matmul_case(int64_t batch_a, int64_t batch_b, int64_t m,
                        int64_t kk, int64_t n, bool ta, bool tb) {
    fd_case k = {.op = PAN_OP_SUM_ROWS, .forward = matmul_fwd,
                 .backward = matmul_bwd, .ia = {ta, tb}, .fa = {0.7f}};
    int64_t ar = ta ? kk : m, ac = ta ? m : kk, br = tb ? n : kk, bc = tb ? kk : n;
    k.t[0] = batch_a ? rnd(3, PAN_SHAPE(batch_a, ar, ac), 1, 0)
                     : rnd(2, PAN_SHAPE(ar, ac), 1, 0);
    k.t[1] = batch_b ? rnd(3, PAN_SHAPE(batch_b, br, bc), 1, 0)
                     : rnd(2, PAN_SHAPE(br, bc), 1, 0);
    k.t[2] = rnd(1, PAN_SHAPE(n), 1, 0);
    for (int i = 0; i < 3; i++) wrt(&k, i);
    k.y = batch_a ? tensor(PAN_DTYPE_F32, 3, PAN_SHAPE(batch_a, m, n))
                  : tensor(PAN_DTYPE_F32, 2, PAN_SHAPE(m, n));
    snprintf(k.what, sizeof k.what, "matmul_backward a%s%lld b%s%lld %lldx%lldx%lld",
             ta ? "^T" : "", (long long)batch_a, tb ? "^T" : "",
             (long long)batch_b, (long long)m, (long long)kk, (long long)n);
    run_case(&k);
}

/* ---- upsample, patchify, unpatchify ---- */

static pan_status up_fwd(pan_compute *c, fd_case *k, float *y) {
    pan_tensor o = out_view(k, y);
    return pan_compute_upsample_nearest(c, &o, &k->t[0], k->ia[0]);
}
static pan_status up_bwd(pan_compute *c, fd_case *k, const pan_tensor *d) {
    return pan_compute_upsample_nearest_backward(c, d, k->ia[0], &k->g[0]);
}
static pan_status patch_fwd(pan_compute *c, fd_case *k, float *y) {
    pan_tensor o = out_view(k, y);
    return k->op == PAN_OP_PATCHIFY_BACKWARD
               ? pan_compute_patchify(c, &o, &k->t[0], k->ia[0])
               : pan_compute_unpatchify(c, &o, &k->t[0], k->ia[0]);
}
static pan_status patch_bwd(pan_compute *c, fd_case *k, const pan_tensor *d) {
    return k->op == PAN_OP_PATCHIFY_BACKWARD
               ? pan_compute_patchify_backward(c, d, k->ia[0], &k->g[0])
               : pan_compute_unpatchify_backward(c, d, k->ia[0], &k->g[0]);
}
static void layout_cases(void) {
    fd_case k = {.op = PAN_OP_UPSAMPLE_NEAREST_BACKWARD, .forward = up_fwd,
                 .backward = up_bwd, .ia = {3}};
    k.t[0] = rnd(4, PAN_SHAPE(2, 3, 4, 5), 1, 0);
    wrt(&k, 0);
    k.y = tensor(PAN_DTYPE_F32, 4, PAN_SHAPE(2, 3, 12, 15));
    snprintf(k.what, sizeof k.what, "x[2,3,4,5] factor 3");
    run_case(&k);
    for (int which = 0; which < 2; which++) {
        fd_case p = {.op = which ? PAN_OP_UNPATCHIFY_BACKWARD
                                 : PAN_OP_PATCHIFY_BACKWARD,
                     .forward = patch_fwd, .backward = patch_bwd, .ia = {2}};
        pan_tensor image = tensor(PAN_DTYPE_F32, 4, PAN_SHAPE(2, 3, 4, 6));
        pan_tensor tokens = tensor(PAN_DTYPE_F32, 3, PAN_SHAPE(2, 6, 12));
        p.t[0] = which ? tokens : image;
        test_fill_uniform(&rng, p.t[0].data, pan_tensor_numel(&p.t[0]), 1, 0);
        p.y = which ? image : tokens;
        wrt(&p, 0);
        snprintf(p.what, sizeof p.what, "image[2,3,4,6] patch 2");
        run_case(&p);
    }
}

/* ---- norms ---- */

static pan_status norm_fwd(pan_compute *c, fd_case *k, float *y) {
    pan_tensor o = out_view(k, y);
    switch (k->op) {
    case PAN_OP_GROUP_NORM_BACKWARD:
        return pan_compute_group_norm(c, &o, &k->t[0], &k->t[1], &k->t[2],
                                      k->ia[0], k->fa[0]);
    case PAN_OP_LAYER_NORM_BACKWARD:
        return pan_compute_layer_norm(c, &o, &k->t[0], &k->t[1], &k->t[2],
                                      k->fa[0]);
    default:
        return pan_compute_rms_norm(c, &o, &k->t[0], &k->t[1], k->fa[0]);
    }
}
static pan_status norm_bwd(pan_compute *c, fd_case *k, const pan_tensor *d) {
    switch (k->op) {
    case PAN_OP_GROUP_NORM_BACKWARD:
        return pan_compute_group_norm_backward(c, &k->t[0], &k->t[1], d,
                                               k->ia[0], k->fa[0], &k->g[0],
                                               &k->g[1], &k->g[2]);
    case PAN_OP_LAYER_NORM_BACKWARD:
        return pan_compute_layer_norm_backward(c, &k->t[0], &k->t[1], d,
                                               k->fa[0], &k->g[0], &k->g[1],
                                               &k->g[2]);
    default:
        return pan_compute_rms_norm_backward(c, &k->t[0], &k->t[1], d,
                                             k->fa[0], &k->g[0], &k->g[1]);
    }
}
static void norm_case(pan_op op, int ndim, const int64_t *shape, int groups,
                      float offset) {
    fd_case k = {.op = op, .forward = norm_fwd, .backward = norm_bwd,
                 .ia = {groups}, .fa = {1e-5f}};
    k.t[0] = rnd(ndim, shape, 1, offset);
    int64_t width = op == PAN_OP_GROUP_NORM_BACKWARD ? shape[1] : shape[ndim - 1];
    k.t[1] = rnd(1, PAN_SHAPE(width), 0.5f, 1);
    k.t[2] = rnd(1, PAN_SHAPE(width), 1, 0);
    wrt(&k, 0);
    wrt(&k, 1);
    if (op != PAN_OP_RMS_NORM_BACKWARD) wrt(&k, 2);
    k.y = tensor(PAN_DTYPE_F32, ndim, shape);
    char s[48];
    snprintf(k.what, sizeof k.what, "x%s groups=%d x~%g+-1",
             pan_tensor_shape_str(&k.t[0], s, sizeof s), groups,
             (double)offset);
    run_case(&k);
}

/* ---- softmax, silu, gelu, swiglu ---- */

static pan_status unary_fwd(pan_compute *c, fd_case *k, float *y) {
    pan_tensor o = out_view(k, y);
    switch (k->op) {
    case PAN_OP_SOFTMAX_BACKWARD: {
        pan_status s = pan_compute_softmax(c, &o, &k->t[0]);
        return s;
    }
    case PAN_OP_SILU_BACKWARD: return pan_compute_silu(c, &o, &k->t[0]);
    case PAN_OP_GELU_BACKWARD:
        return pan_compute_gelu(c, &o, &k->t[0], (pan_gelu_mode)k->ia[0]);
    default: return pan_compute_swiglu(c, &o, &k->t[0], &k->t[1]);
    }
}
static pan_status unary_bwd(pan_compute *c, fd_case *k, const pan_tensor *d) {
    switch (k->op) {
    case PAN_OP_SOFTMAX_BACKWARD: { /* needs the forward's output */
        pan_tensor y = tensor(PAN_DTYPE_F32, k->y.ndim, k->y.shape);
        pan_status s = pan_compute_softmax(c, &y, &k->t[0]);
        if (s != PAN_OK) return s;
        return pan_compute_softmax_backward(c, &y, d, &k->g[0]);
    }
    case PAN_OP_SILU_BACKWARD:
        return pan_compute_silu_backward(c, &k->t[0], d, &k->g[0]);
    case PAN_OP_GELU_BACKWARD:
        return pan_compute_gelu_backward(c, &k->t[0], d,
                                         (pan_gelu_mode)k->ia[0], &k->g[0]);
    default:
        return pan_compute_swiglu_backward(c, &k->t[0], &k->t[1], d, &k->g[0],
                                           &k->g[1]);
    }
}
static void unary_case(pan_op op, int mode, int ndim, const int64_t *shape,
                       float scale) {
    fd_case k = {.op = op, .forward = unary_fwd, .backward = unary_bwd,
                 .ia = {mode}};
    k.t[0] = rnd(ndim, shape, scale, 0);
    wrt(&k, 0);
    if (op == PAN_OP_SWIGLU_BACKWARD) {
        k.t[1] = rnd(ndim, shape, 1, 0);
        wrt(&k, 1);
    }
    k.y = tensor(PAN_DTYPE_F32, ndim, shape);
    char s[48];
    snprintf(k.what, sizeof k.what, "x%s +-%g%s",
             pan_tensor_shape_str(&k.t[0], s, sizeof s), (double)scale,
             op == PAN_OP_GELU_BACKWARD ? (mode ? " tanh" : " erf") : "");
    run_case(&k);
}

/* ---- rope ---- */

static pan_status rope_fwd(pan_compute *c, fd_case *k, float *y) {
    pan_tensor o = out_view(k, y);
    return pan_compute_rope(c, &o, &k->t[0], &k->t[1], k->ia[0], k->fa[0]);
}
static pan_status rope_bwd(pan_compute *c, fd_case *k, const pan_tensor *d) {
    return pan_compute_rope_backward(c, d, &k->t[1], k->ia[0], k->fa[0],
                                     &k->g[0]);
}
static void rope_case(int64_t b, int64_t t, int64_t h, int64_t d, int dims,
                      int32_t max_pos) {
    fd_case k = {.op = PAN_OP_ROPE_BACKWARD, .forward = rope_fwd,
                 .backward = rope_bwd, .ia = {dims}, .fa = {10000.0f}};
    k.t[0] = rnd(4, PAN_SHAPE(b, t, h, d), 1, 0);
    k.t[1] = dims == 1 ? ints(2, PAN_SHAPE(b, t), 0, max_pos)
                       : ints(3, PAN_SHAPE(b, t, 2), 0, max_pos);
    wrt(&k, 0);
    k.y = tensor(PAN_DTYPE_F32, 4, k.t[0].shape);
    snprintf(k.what, sizeof k.what, "x[%lld,%lld,%lld,%lld] %d-D pos<=%d",
             (long long)b, (long long)t, (long long)h, (long long)d, dims,
             (int)max_pos);
    run_case(&k);
}

/* ---- modulate, gate_add, embedding ---- */

static pan_status adaln_fwd(pan_compute *c, fd_case *k, float *y) {
    pan_tensor o = out_view(k, y);
    if (k->op == PAN_OP_MODULATE_BACKWARD)
        return pan_compute_modulate(c, &o, &k->t[0], &k->t[1], &k->t[2]);
    return pan_compute_gate_add(c, &o, &k->t[0], &k->t[1], &k->t[2]);
}
static pan_status adaln_bwd(pan_compute *c, fd_case *k, const pan_tensor *d) {
    if (k->op == PAN_OP_MODULATE_BACKWARD) /* t: x, shift, scale */
        return pan_compute_modulate_backward(c, &k->t[0], &k->t[2], d,
                                             &k->g[0], &k->g[1], &k->g[2]);
    /* t: residual, y, gate */
    return pan_compute_gate_add_backward(c, &k->t[1], &k->t[2], d, &k->g[0],
                                         &k->g[1], &k->g[2]);
}
static void adaln_case(pan_op op, int64_t b, int64_t t, int64_t ch) {
    fd_case k = {.op = op, .forward = adaln_fwd, .backward = adaln_bwd};
    if (op == PAN_OP_MODULATE_BACKWARD) {
        k.t[0] = rnd(3, PAN_SHAPE(b, t, ch), 1, 0);
        k.t[1] = rnd(2, PAN_SHAPE(b, ch), 1, 0);
        k.t[2] = rnd(2, PAN_SHAPE(b, ch), 1, 0);
    } else {
        k.t[0] = rnd(3, PAN_SHAPE(b, t, ch), 1, 0);
        k.t[1] = rnd(3, PAN_SHAPE(b, t, ch), 1, 0);
        k.t[2] = rnd(2, PAN_SHAPE(b, ch), 1, 0);
    }
    for (int i = 0; i < 3; i++) wrt(&k, i);
    k.y = tensor(PAN_DTYPE_F32, 3, PAN_SHAPE(b, t, ch));
    snprintf(k.what, sizeof k.what, "x[%lld,%lld,%lld]", (long long)b,
             (long long)t, (long long)ch);
    run_case(&k);
}

static pan_status emb_fwd(pan_compute *c, fd_case *k, float *y) {
    pan_tensor o = out_view(k, y);
    return pan_compute_embedding(c, &o, &k->t[0], &k->t[1]);
}
static pan_status emb_bwd(pan_compute *c, fd_case *k, const pan_tensor *d) {
    return pan_compute_embedding_backward(c, &k->t[1], d, &k->g[0]);
}
static void embedding_case(int64_t vocab, int64_t dim, int64_t n_ids) {
    fd_case k = {.op = PAN_OP_EMBEDDING_BACKWARD, .forward = emb_fwd,
                 .backward = emb_bwd};
    k.t[0] = rnd(2, PAN_SHAPE(vocab, dim), 1, 0);
    k.t[1] = ints(2, PAN_SHAPE(2, n_ids), 0, (int32_t)vocab - 1);
    wrt(&k, 0);
    k.y = tensor(PAN_DTYPE_F32, 3, PAN_SHAPE(2, n_ids, dim));
    snprintf(k.what, sizeof k.what, "table[%lld,%lld] ids[2,%lld] (repeats)",
             (long long)vocab, (long long)dim, (long long)n_ids);
    run_case(&k);
}

/* ---- attention ---- */

typedef struct attn_spec {
    int64_t b, tq, tk, hq, hkv, d;
    pan_attention_mask mask;
    bool kv_len, key_mask;
    int window; /* ROUNDS */
} attn_spec;

/* t: 0 q, 1 k, 2 v, 3 kv_len, 4 q_block, 5 k_block, 6 key_mask,
 *    7 q_round, 8 k_round; aux: 0 out, 1 lse */
static pan_attention_extra attn_extra(fd_case *k) {
    pan_attention_extra e = {0};
    if (k->t[3].data) e.kv_len = &k->t[3];
    if (k->t[4].data) e.q_block = &k->t[4];
    if (k->t[5].data) e.k_block = &k->t[5];
    if (k->t[6].data) e.key_mask = &k->t[6];
    if (k->t[7].data) e.q_round = &k->t[7];
    if (k->t[8].data) e.k_round = &k->t[8];
    e.round_window = k->ia[1];
    return e;
}
static pan_status attn_fwd(pan_compute *c, fd_case *k, float *y) {
    pan_tensor o = out_view(k, y);
    pan_attention_extra e = attn_extra(k);
    return pan_compute_attention(c, &o, &k->t[0], &k->t[1], &k->t[2],
                                 (pan_attention_mask)k->ia[0], k->fa[0], &e);
}
static pan_status attn_bwd(pan_compute *c, fd_case *k, const pan_tensor *d) {
    pan_attention_extra e = attn_extra(k);
    e.lse = &k->aux[1];
    pan_status s = pan_compute_attention(c, &k->aux[0], &k->t[0], &k->t[1],
                                         &k->t[2], (pan_attention_mask)k->ia[0],
                                         k->fa[0], &e);
    if (s != PAN_OK) return s;
    return pan_compute_attention_backward(
        c, &k->t[0], &k->t[1], &k->t[2], &k->aux[0], d, &k->aux[1],
        (pan_attention_mask)k->ia[0], k->fa[0], &e, &k->g[0], &k->g[1],
        &k->g[2]);
}
static void attention_case(const attn_spec *s) {
    fd_case k = {.op = PAN_OP_ATTENTION_BACKWARD, .forward = attn_fwd,
                 .backward = attn_bwd, .ia = {s->mask, s->window},
                 .fa = {1.0f / sqrtf((float)s->d)}};
    k.t[0] = rnd(4, PAN_SHAPE(s->b, s->tq, s->hq, s->d), 1, 0);
    k.t[1] = rnd(4, PAN_SHAPE(s->b, s->tk, s->hkv, s->d), 1, 0);
    k.t[2] = rnd(4, PAN_SHAPE(s->b, s->tk, s->hkv, s->d), 1, 0);
    if (s->kv_len) {
        k.t[3] = tensor(PAN_DTYPE_I32, 1, PAN_SHAPE(s->b));
        int32_t *len = k.t[3].data;
        for (int64_t b = 0; b < s->b; b++)
            len[b] = (int32_t)(s->tk - b % 2 * (s->tk - s->tq) / 2);
    }
    if (s->mask == PAN_ATTENTION_MASK_BLOCK) {
        k.t[4] = tensor(PAN_DTYPE_I32, 1, PAN_SHAPE(s->tq));
        k.t[5] = tensor(PAN_DTYPE_I32, 1, PAN_SHAPE(s->tk));
        for (int64_t i = 0; i < s->tq; i++) ((int32_t *)k.t[4].data)[i] = (int32_t)(i / 3);
        for (int64_t j = 0; j < s->tk; j++) ((int32_t *)k.t[5].data)[j] = (int32_t)(j / 3);
    }
    if (s->key_mask) {
        k.t[6] = tensor(PAN_DTYPE_U8, 2, PAN_SHAPE(s->b, s->tk));
        uint8_t *keep = k.t[6].data;
        for (int64_t e = 0; e < s->b * s->tk; e++)
            keep[e] = e % s->tk == 0 || test_rng_int(&rng, 0, 3) != 0;
    }
    if (s->mask == PAN_ATTENTION_MASK_ROUNDS) {
        /* rounds of 3 tokens after a round-0 prefix of 2 */
        k.t[7] = tensor(PAN_DTYPE_I32, 2, PAN_SHAPE(s->b, s->tq));
        k.t[8] = tensor(PAN_DTYPE_I32, 2, PAN_SHAPE(s->b, s->tk));
        for (int64_t b = 0; b < s->b; b++) {
            int64_t len = s->kv_len ? ((int32_t *)k.t[3].data)[b] : s->tk;
            for (int64_t j = 0; j < s->tk; j++)
                ((int32_t *)k.t[8].data)[b * s->tk + j] =
                    j < 2 ? 0 : (int32_t)(1 + (j - 2) / 3);
            for (int64_t i = 0; i < s->tq; i++)
                ((int32_t *)k.t[7].data)[b * s->tq + i] =
                    ((int32_t *)k.t[8].data)[b * s->tk + len - s->tq + i];
        }
    }
    for (int i = 0; i < 3; i++) wrt(&k, i);
    k.y = tensor(PAN_DTYPE_F32, 4, k.t[0].shape);
    k.aux[0] = tensor(PAN_DTYPE_F32, 4, k.t[0].shape);
    k.aux[1] = tensor(PAN_DTYPE_F32, 3, PAN_SHAPE(s->b, s->hq, s->tq));
    static const char *const names[] = {"none", "causal", "block", "rounds"};
    snprintf(k.what, sizeof k.what, "q[%lld,%lld,%lld,%lld] kv[%lld,%lld] %s%s%s",
             (long long)s->b, (long long)s->tq, (long long)s->hq,
             (long long)s->d, (long long)s->tk, (long long)s->hkv,
             names[s->mask], s->kv_len ? " kv_len" : "",
             s->key_mask ? " key_mask" : "");
    run_case(&k);
}

/* ---- losses ---- */

static pan_status loss_fwd(pan_compute *c, fd_case *k, float *y) {
    pan_tensor o = out_view(k, y);
    const pan_tensor *w = k->t[2].data ? &k->t[2] : NULL;
    switch (k->op) {
    case PAN_OP_MSE_LOSS:
        return pan_compute_mse_loss(c, &k->t[0], &k->t[1], w, 1.0f, &o, NULL);
    case PAN_OP_L1_LOSS:
        return pan_compute_l1_loss(c, &k->t[0], &k->t[1], w, 1.0f, &o, NULL);
    default:
        return pan_compute_kl_loss(c, &k->t[0], &k->t[1], 1.0f, &o, NULL, NULL);
    }
}
static pan_status loss_bwd(pan_compute *c, fd_case *k, const pan_tensor *d) {
    pan_tensor o = tensor(PAN_DTYPE_F32, 1, PAN_SHAPE(1));
    const pan_tensor *w = k->t[2].data ? &k->t[2] : NULL;
    float scale = ((const float *)d->data)[0]; /* dL/dloss */
    switch (k->op) {
    case PAN_OP_MSE_LOSS:
        return pan_compute_mse_loss(c, &k->t[0], &k->t[1], w, scale, &o,
                                    &k->g[0]);
    case PAN_OP_L1_LOSS:
        return pan_compute_l1_loss(c, &k->t[0], &k->t[1], w, scale, &o,
                                   &k->g[0]);
    default:
        return pan_compute_kl_loss(c, &k->t[0], &k->t[1], scale, &o, &k->g[0],
                                   &k->g[1]);
    }
}
static void loss_case(pan_op op, int ndim, const int64_t *shape, bool weights) {
    fd_case k = {.op = op, .forward = loss_fwd, .backward = loss_bwd};
    k.t[0] = rnd(ndim, shape, 1, 0);
    k.t[1] = rnd(ndim, shape, 1, 0);
    if (op == PAN_OP_L1_LOSS) { /* keep |pred - target| >= 0.2 (kink at 0) */
        float *p = k.t[0].data, *t = k.t[1].data;
        for (int64_t i = 0; i < pan_tensor_numel(&k.t[0]); i++)
            t[i] = p[i] + (t[i] >= 0 ? 0.2f + t[i] : -0.2f + t[i]);
    }
    if (weights) k.t[2] = rnd(1, PAN_SHAPE(shape[0]), 0.5f, 1);
    wrt(&k, 0);
    if (op == PAN_OP_KL_LOSS) wrt(&k, 1);
    k.y = tensor(PAN_DTYPE_F32, 1, PAN_SHAPE(1));
    char s[48];
    snprintf(k.what, sizeof k.what, "pred%s%s",
             pan_tensor_shape_str(&k.t[0], s, sizeof s),
             weights ? " +weights" : "");
    run_case(&k);
}

int main(void) {
    pan_compute_options opts = {.backend = "ref", .strict = true,
                                .n_threads = 2};
    pan_compute_options one = {.backend = "ref", .strict = true,
                               .n_threads = 1};
    if (pan_compute_create(&cpu, &opts) != PAN_OK ||
        pan_compute_create(&cpu1, &one) != PAN_OK) {
        printf("FAIL: %s\n", pan_error_message());
        return 1;
    }
    printf("step h = %g, bound %.0e, up to %d samples per input\n", FD_STEP,
           FD_BOUND, FD_SAMPLES);
    conv_case(2, 3, 6, 7, 4, 3, 3, 1, 1);
    conv_case(1, 2, 7, 9, 3, 4, 4, 2, 1);
    conv_case(1, 4, 5, 5, 2, 1, 1, 1, 0);
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            matmul_case(0, 0, 5, 7, 3, ta, tb);
            matmul_case(3, 3, 4, 6, 5, ta, tb);
            matmul_case(3, 0, 4, 6, 5, ta, tb);
        }
    matmul_case(2, 1, 3, 5, 4, false, true);
    layout_cases();
    norm_case(PAN_OP_GROUP_NORM_BACKWARD, 4, PAN_SHAPE(2, 6, 3, 3), 3, 0.5f);
    norm_case(PAN_OP_GROUP_NORM_BACKWARD, 3, PAN_SHAPE(1, 4, 7), 1, 0);
    norm_case(PAN_OP_LAYER_NORM_BACKWARD, 3, PAN_SHAPE(2, 3, 17), 0, 1);
    norm_case(PAN_OP_LAYER_NORM_BACKWARD, 2, PAN_SHAPE(4, 8), 0, 0);
    norm_case(PAN_OP_RMS_NORM_BACKWARD, 3, PAN_SHAPE(2, 3, 16), 0, 0);
    norm_case(PAN_OP_RMS_NORM_BACKWARD, 2, PAN_SHAPE(3, 7), 0, 0.5f);
    unary_case(PAN_OP_SOFTMAX_BACKWARD, 0, 2, PAN_SHAPE(4, 9), 3);
    unary_case(PAN_OP_SILU_BACKWARD, 0, 2, PAN_SHAPE(5, 11), 3);
    unary_case(PAN_OP_GELU_BACKWARD, PAN_GELU_ERF, 2, PAN_SHAPE(5, 11), 3);
    unary_case(PAN_OP_GELU_BACKWARD, PAN_GELU_TANH, 2, PAN_SHAPE(5, 11), 3);
    unary_case(PAN_OP_SWIGLU_BACKWARD, 0, 3, PAN_SHAPE(2, 3, 7), 3);
    rope_case(2, 5, 3, 8, 1, 50);
    rope_case(1, 4, 2, 12, 2, 15);
    adaln_case(PAN_OP_MODULATE_BACKWARD, 2, 5, 7);
    adaln_case(PAN_OP_GATE_ADD_BACKWARD, 2, 5, 7);
    embedding_case(7, 5, 9);
    const attn_spec specs[] = {
        {2, 4, 6, 4, 2, 8, PAN_ATTENTION_MASK_NONE, false, false, 0},
        {1, 5, 5, 2, 1, 8, PAN_ATTENTION_MASK_CAUSAL, false, false, 0},
        {2, 3, 8, 2, 2, 4, PAN_ATTENTION_MASK_CAUSAL, true, true, 0},
        {1, 6, 6, 2, 2, 8, PAN_ATTENTION_MASK_BLOCK, false, true, 0},
        {2, 11, 11, 4, 2, 8, PAN_ATTENTION_MASK_ROUNDS, false, false, 2},
        {2, 5, 14, 2, 1, 8, PAN_ATTENTION_MASK_ROUNDS, true, true, 3},
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        attention_case(&specs[i]);
    loss_case(PAN_OP_MSE_LOSS, 3, PAN_SHAPE(3, 4, 5), true);
    loss_case(PAN_OP_MSE_LOSS, 2, PAN_SHAPE(2, 9), false);
    loss_case(PAN_OP_L1_LOSS, 3, PAN_SHAPE(3, 4, 5), true);
    loss_case(PAN_OP_KL_LOSS, 4, PAN_SHAPE(2, 3, 2, 2), false);
    printf("\nworst fd nmse per op:\n");
    for (int op = PAN_OP_FIRST_TRAINING; op < PAN_OP_COUNT; op++) {
        printf("  %-26s %.3g%s\n", pan_op_name((pan_op)op), worst[op],
               op == PAN_OP_SUM_ROWS ? " (matmul_backward + sum_rows)" : "");
        if (cases_per_op[op] == 0) {
            printf("FAIL: no case for %s\n", pan_op_name((pan_op)op));
            ++*test_failure_count();
        }
    }
    pan_compute_destroy(cpu);
    pan_compute_destroy(cpu1);
    return test_exit_code("test_grad_fd");
}
