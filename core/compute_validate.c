/* core/compute_validate.c: the public op functions. Each checks every
 * argument (dtype, rank, shape, contiguity, aliasing, attribute ranges),
 * fills the op's args struct with derived sizes and dispatches it. A failed
 * check writes nothing and returns INVALID_ARGUMENT with a message that
 * names the op, the tensor, what was expected and what was found. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "core/compute.h"
#include "core/compute_internal.h"

pan_status pan_compute_matmul(pan_compute *c, pan_tensor *out,
                              const pan_tensor *a, const pan_tensor *b,
                              const pan_tensor *bias, bool trans_a,
                              bool trans_b, float alpha, float beta) {
    const char *op = "matmul";
    TRY(pan_need(op, "a", a, PAN_DTYPE_F32, 2, 3));
    TRY(pan_need(op, "b", b, PAN_DTYPE_F32, 2, 3));
    TRY(pan_need(op, "out", out, PAN_DTYPE_F32, 2, 3));
    TRY(pan_need_finite(op, "alpha", alpha));
    if (beta != 0.0f && beta != 1.0f)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: beta must be 0 or 1, got %g", op,
                             (double)beta);
    pan_matmul_args args = {.a = a, .b = b, .bias = bias, .out = out,
                            .trans_a = trans_a, .trans_b = trans_b,
                            .alpha = alpha, .beta = beta};
    int ra = a->ndim, rb = b->ndim;
    args.batch = ra == 3 ? a->shape[0] : 1;
    args.m = trans_a ? a->shape[ra - 1] : a->shape[ra - 2];
    args.k = trans_a ? a->shape[ra - 2] : a->shape[ra - 1];
    int64_t kb = trans_b ? b->shape[rb - 1] : b->shape[rb - 2];
    args.n = trans_b ? b->shape[rb - 2] : b->shape[rb - 1];
    int64_t batch_b = rb == 3 ? b->shape[0] : 1;
    char sa[SHAPE_STR_MAX], sb[SHAPE_STR_MAX];
    if (kb != args.k)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: inner dimensions differ: a %s%s gives K=%lld, "
                             "b %s%s gives K=%lld",
                             op, pan_shape_str(a, sa), trans_a ? " (transposed)" : "",
                             (long long)args.k, pan_shape_str(b, sb),
                             trans_b ? " (transposed)" : "", (long long)kb);
    if (batch_b != args.batch && batch_b != 1)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: b %s has batch %lld, expected 1 or %lld (the "
                             "batch of a %s)",
                             op, pan_shape_str(b, sb), (long long)batch_b,
                             (long long)args.batch, pan_shape_str(a, sa));
    args.b_broadcast = batch_b == 1 && args.batch > 1;
    if (ra == 3)
        TRY(pan_need_shape(op, "out", out, 3,
                       PAN_SHAPE(args.batch, args.m, args.n)));
    else
        TRY(pan_need_shape(op, "out", out, 2, PAN_SHAPE(args.m, args.n)));
    if (bias) {
        TRY(pan_need(op, "bias", bias, PAN_DTYPE_F32, 1, 1));
        TRY(pan_need_shape(op, "bias", bias, 1, PAN_SHAPE(args.n)));
        TRY(pan_need_no_alias(op, out, "bias", bias));
    }
    TRY(pan_need_no_alias(op, out, "a", a));
    TRY(pan_need_no_alias(op, out, "b", b));
    return pan_compute_dispatch(c, PAN_OP_MATMUL, &args);
}

pan_status pan_compute_conv2d(pan_compute *c, pan_tensor *out,
                              const pan_tensor *x, const pan_tensor *weight,
                              const pan_tensor *bias, int stride, int pad) {
    const char *op = "conv2d";
    TRY(pan_need(op, "x", x, PAN_DTYPE_F32, 4, 4));
    TRY(pan_need(op, "weight", weight, PAN_DTYPE_F32, 4, 4));
    TRY(pan_need(op, "out", out, PAN_DTYPE_F32, 4, 4));
    TRY(pan_need_int_range(op, "stride", stride, 1, 64));
    TRY(pan_need_int_range(op, "pad", pad, 0, 64));
    pan_conv2d_args args = {.x = x, .weight = weight, .bias = bias, .out = out,
                            .stride_h = stride, .stride_w = stride,
                            .pad_h = pad, .pad_w = pad};
    args.n = x->shape[0];
    args.c = x->shape[1];
    args.h = x->shape[2];
    args.w = x->shape[3];
    args.oc = weight->shape[0];
    args.kh = weight->shape[2];
    args.kw = weight->shape[3];
    if (weight->shape[1] != args.c) {
        char sx[SHAPE_STR_MAX], sw[SHAPE_STR_MAX];
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: weight %s expects %lld input channels, x %s "
                             "has %lld",
                             op, pan_shape_str(weight, sw),
                             (long long)weight->shape[1], pan_shape_str(x, sx),
                             (long long)args.c);
    }
    if (args.kh < 1 || args.kw < 1 || args.h + 2 * pad < args.kh ||
        args.w + 2 * pad < args.kw) {
        char sx[SHAPE_STR_MAX], sw[SHAPE_STR_MAX];
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: kernel of weight %s does not fit x %s with "
                             "padding %d",
                             op, pan_shape_str(weight, sw), pan_shape_str(x, sx), pad);
    }
    args.oh = (args.h + 2 * pad - args.kh) / stride + 1;
    args.ow = (args.w + 2 * pad - args.kw) / stride + 1;
    TRY(pan_need_shape(op, "out", out, 4,
                   PAN_SHAPE(args.n, args.oc, args.oh, args.ow)));
    if (bias) {
        TRY(pan_need(op, "bias", bias, PAN_DTYPE_F32, 1, 1));
        TRY(pan_need_shape(op, "bias", bias, 1, PAN_SHAPE(args.oc)));
        TRY(pan_need_no_alias(op, out, "bias", bias));
    }
    TRY(pan_need_no_alias(op, out, "x", x));
    TRY(pan_need_no_alias(op, out, "weight", weight));
    return pan_compute_dispatch(c, PAN_OP_CONV2D, &args);
}

pan_status pan_compute_upsample_nearest(pan_compute *c, pan_tensor *out,
                                        const pan_tensor *x, int factor) {
    const char *op = "upsample_nearest";
    TRY(pan_need(op, "x", x, PAN_DTYPE_F32, 4, 4));
    TRY(pan_need(op, "out", out, PAN_DTYPE_F32, 4, 4));
    TRY(pan_need_int_range(op, "factor", factor, 1, 16));
    pan_upsample_args args = {.x = x, .out = out, .factor = factor,
                              .n = x->shape[0], .c = x->shape[1],
                              .h = x->shape[2], .w = x->shape[3]};
    TRY(pan_need_shape(op, "out", out, 4,
                   PAN_SHAPE(args.n, args.c, args.h * factor,
                             args.w * factor)));
    TRY(pan_need_no_alias(op, out, "x", x));
    return pan_compute_dispatch(c, PAN_OP_UPSAMPLE_NEAREST, &args);
}

static pan_status check_affine(const char *op, const char *what,
                               const pan_tensor *t, int64_t size,
                               const pan_tensor *out) {
    if (!t) return PAN_OK;
    TRY(pan_need(op, what, t, PAN_DTYPE_F32, 1, 1));
    TRY(pan_need_shape(op, what, t, 1, PAN_SHAPE(size)));
    return pan_need_no_alias(op, out, what, t);
}

static pan_status check_eps(const char *op, float eps) {
    if (isfinite(eps) && eps >= 0.0f) return PAN_OK;
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                         "%s: eps must be finite and >= 0, got %g", op,
                         (double)eps);
}

pan_status pan_compute_group_norm(pan_compute *c, pan_tensor *out,
                                  const pan_tensor *x, const pan_tensor *gamma,
                                  const pan_tensor *beta, int groups,
                                  float eps) {
    const char *op = "group_norm";
    TRY(pan_need(op, "x", x, PAN_DTYPE_F32, 2, 4));
    TRY(pan_need(op, "out", out, PAN_DTYPE_F32, 2, 4));
    TRY(pan_need_same_shape(op, "out", out, "x", x));
    TRY(pan_need_same_or_disjoint(op, out, "x", x));
    TRY(check_eps(op, eps));
    int64_t channels = x->shape[1];
    if (groups < 1 || channels % groups != 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: groups must divide the %lld channels, got %d",
                             op, (long long)channels, groups);
    TRY(check_affine(op, "gamma", gamma, channels, out));
    TRY(check_affine(op, "beta", beta, channels, out));
    pan_norm_args args = {.x = x, .gamma = gamma, .beta = beta, .out = out,
                          .eps = eps, .groups = groups, .n = x->shape[0],
                          .channels = channels};
    args.spatial = x->shape[0] * channels == 0
                       ? 0
                       : pan_tensor_numel(x) / (x->shape[0] * channels);
    args.rows = args.n * groups;
    args.cols = channels / groups * args.spatial;
    return pan_compute_dispatch(c, PAN_OP_GROUP_NORM, &args);
}

static pan_status row_norm(pan_compute *c, pan_op kind, const char *op,
                           pan_tensor *out, const pan_tensor *x,
                           const pan_tensor *gamma, const pan_tensor *beta,
                           float eps) {
    TRY(pan_need(op, "x", x, PAN_DTYPE_F32, 1, 4));
    TRY(pan_need(op, "out", out, PAN_DTYPE_F32, 1, 4));
    TRY(pan_need_same_shape(op, "out", out, "x", x));
    TRY(pan_need_same_or_disjoint(op, out, "x", x));
    TRY(check_eps(op, eps));
    int64_t cols = x->shape[x->ndim - 1];
    if (cols < 1)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: last dimension of x must be >= 1", op);
    if (kind == PAN_OP_RMS_NORM && !gamma)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: 'gamma' is required", op);
    TRY(check_affine(op, "gamma", gamma, cols, out));
    TRY(check_affine(op, "beta", beta, cols, out));
    pan_norm_args args = {.x = x, .gamma = gamma, .beta = beta, .out = out,
                          .eps = eps, .cols = cols,
                          .rows = pan_tensor_numel(x) / cols};
    return pan_compute_dispatch(c, kind, &args);
}

pan_status pan_compute_layer_norm(pan_compute *c, pan_tensor *out,
                                  const pan_tensor *x, const pan_tensor *gamma,
                                  const pan_tensor *beta, float eps) {
    return row_norm(c, PAN_OP_LAYER_NORM, "layer_norm", out, x, gamma, beta,
                    eps);
}

pan_status pan_compute_rms_norm(pan_compute *c, pan_tensor *out,
                                const pan_tensor *x, const pan_tensor *gamma,
                                float eps) {
    return row_norm(c, PAN_OP_RMS_NORM, "rms_norm", out, x, gamma, NULL, eps);
}

pan_status pan_compute_softmax(pan_compute *c, pan_tensor *out,
                               const pan_tensor *x) {
    const char *op = "softmax";
    TRY(pan_need(op, "x", x, PAN_DTYPE_F32, 1, 4));
    TRY(pan_need(op, "out", out, PAN_DTYPE_F32, 1, 4));
    TRY(pan_need_same_shape(op, "out", out, "x", x));
    TRY(pan_need_same_or_disjoint(op, out, "x", x));
    int64_t cols = x->shape[x->ndim - 1];
    if (cols < 1)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: last dimension of x must be >= 1", op);
    pan_softmax_args args = {.x = x, .out = out, .cols = cols,
                             .rows = pan_tensor_numel(x) / cols};
    return pan_compute_dispatch(c, PAN_OP_SOFTMAX, &args);
}

static pan_status unary(pan_compute *c, pan_op kind, const char *op,
                        pan_tensor *out, const pan_tensor *x,
                        pan_gelu_mode mode) {
    TRY(pan_need(op, "x", x, PAN_DTYPE_F32, 0, 4));
    TRY(pan_need(op, "out", out, PAN_DTYPE_F32, 0, 4));
    TRY(pan_need_same_shape(op, "out", out, "x", x));
    TRY(pan_need_same_or_disjoint(op, out, "x", x));
    pan_unary_args args = {.x = x, .out = out, .gelu_mode = mode,
                           .count = pan_tensor_numel(x)};
    return pan_compute_dispatch(c, kind, &args);
}

pan_status pan_compute_silu(pan_compute *c, pan_tensor *out,
                            const pan_tensor *x) {
    return unary(c, PAN_OP_SILU, "silu", out, x, PAN_GELU_ERF);
}

pan_status pan_compute_gelu(pan_compute *c, pan_tensor *out,
                            const pan_tensor *x, pan_gelu_mode mode) {
    if (mode != PAN_GELU_ERF && mode != PAN_GELU_TANH)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "gelu: mode must be PAN_GELU_ERF or "
                             "PAN_GELU_TANH, got %d",
                             (int)mode);
    return unary(c, PAN_OP_GELU, "gelu", out, x, mode);
}

static pan_status binary(pan_compute *c, pan_op kind, const char *op,
                         const char *a_name, const char *b_name,
                         pan_tensor *out, const pan_tensor *a,
                         const pan_tensor *b) {
    TRY(pan_need(op, a_name, a, PAN_DTYPE_F32, 0, 4));
    TRY(pan_need(op, b_name, b, PAN_DTYPE_F32, 0, 4));
    TRY(pan_need(op, "out", out, PAN_DTYPE_F32, 0, 4));
    TRY(pan_need_same_shape(op, b_name, b, a_name, a));
    TRY(pan_need_same_shape(op, "out", out, a_name, a));
    TRY(pan_need_same_or_disjoint(op, out, a_name, a));
    TRY(pan_need_same_or_disjoint(op, out, b_name, b));
    pan_binary_args args = {.a = a, .b = b, .out = out,
                            .count = pan_tensor_numel(a)};
    return pan_compute_dispatch(c, kind, &args);
}

pan_status pan_compute_swiglu(pan_compute *c, pan_tensor *out,
                              const pan_tensor *gate, const pan_tensor *up) {
    return binary(c, PAN_OP_SWIGLU, "swiglu", "gate", "up", out, gate, up);
}

pan_status pan_compute_add(pan_compute *c, pan_tensor *out,
                           const pan_tensor *a, const pan_tensor *b) {
    return binary(c, PAN_OP_ADD, "add", "a", "b", out, a, b);
}

pan_status pan_compute_rope(pan_compute *c, pan_tensor *out,
                            const pan_tensor *x, const pan_tensor *positions,
                            int dims, float theta) {
    const char *op = "rope";
    TRY(pan_need(op, "x", x, PAN_DTYPE_F32, 4, 4));
    TRY(pan_need(op, "out", out, PAN_DTYPE_F32, 4, 4));
    TRY(pan_need_same_shape(op, "out", out, "x", x));
    TRY(pan_need_same_or_disjoint(op, out, "x", x));
    TRY(pan_need_int_range(op, "dims", dims, 1, 2));
    if (!(isfinite(theta) && theta > 1.0f))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: theta must be finite and > 1, got %g", op,
                             (double)theta);
    pan_rope_args args = {.x = x, .positions = positions, .out = out,
                          .theta = theta, .dims = dims, .batch = x->shape[0],
                          .tokens = x->shape[1], .heads = x->shape[2],
                          .head_dim = x->shape[3]};
    if (args.head_dim % (2 * dims) != 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: head dimension %lld must be a multiple of "
                             "%d for %d-D rope",
                             op, (long long)args.head_dim, 2 * dims, dims);
    TRY(pan_need(op, "positions", positions, PAN_DTYPE_I32, 2, 3));
    if (dims == 1)
        TRY(pan_need_shape(op, "positions", positions, 2,
                       PAN_SHAPE(args.batch, args.tokens)));
    else
        TRY(pan_need_shape(op, "positions", positions, 3,
                       PAN_SHAPE(args.batch, args.tokens, 2)));
    TRY(pan_need_no_alias(op, out, "positions", positions));
    return pan_compute_dispatch(c, PAN_OP_ROPE, &args);
}

pan_status pan_compute_modulate(pan_compute *c, pan_tensor *out,
                                const pan_tensor *x, const pan_tensor *shift,
                                const pan_tensor *scale) {
    const char *op = "modulate";
    TRY(pan_need(op, "x", x, PAN_DTYPE_F32, 3, 3));
    TRY(pan_need(op, "shift", shift, PAN_DTYPE_F32, 2, 2));
    TRY(pan_need(op, "scale", scale, PAN_DTYPE_F32, 2, 2));
    TRY(pan_need(op, "out", out, PAN_DTYPE_F32, 3, 3));
    TRY(pan_need_same_shape(op, "out", out, "x", x));
    TRY(pan_need_same_or_disjoint(op, out, "x", x));
    pan_modulate_args args = {.x = x, .shift = shift, .scale = scale,
                              .out = out, .batch = x->shape[0],
                              .tokens = x->shape[1], .channels = x->shape[2]};
    TRY(pan_need_shape(op, "shift", shift, 2, PAN_SHAPE(args.batch, args.channels)));
    TRY(pan_need_shape(op, "scale", scale, 2, PAN_SHAPE(args.batch, args.channels)));
    TRY(pan_need_no_alias(op, out, "shift", shift));
    TRY(pan_need_no_alias(op, out, "scale", scale));
    return pan_compute_dispatch(c, PAN_OP_MODULATE, &args);
}

pan_status pan_compute_gate_add(pan_compute *c, pan_tensor *out,
                                const pan_tensor *residual, const pan_tensor *y,
                                const pan_tensor *gate) {
    const char *op = "gate_add";
    TRY(pan_need(op, "residual", residual, PAN_DTYPE_F32, 3, 3));
    TRY(pan_need(op, "y", y, PAN_DTYPE_F32, 3, 3));
    TRY(pan_need(op, "gate", gate, PAN_DTYPE_F32, 2, 2));
    TRY(pan_need(op, "out", out, PAN_DTYPE_F32, 3, 3));
    TRY(pan_need_same_shape(op, "y", y, "residual", residual));
    TRY(pan_need_same_shape(op, "out", out, "residual", residual));
    TRY(pan_need_same_or_disjoint(op, out, "residual", residual));
    TRY(pan_need_same_or_disjoint(op, out, "y", y));
    pan_gate_add_args args = {.residual = residual, .y = y, .gate = gate,
                              .out = out, .batch = residual->shape[0],
                              .tokens = residual->shape[1],
                              .channels = residual->shape[2]};
    TRY(pan_need_shape(op, "gate", gate, 2, PAN_SHAPE(args.batch, args.channels)));
    TRY(pan_need_no_alias(op, out, "gate", gate));
    return pan_compute_dispatch(c, PAN_OP_GATE_ADD, &args);
}

pan_status pan_compute_embedding(pan_compute *c, pan_tensor *out,
                                 const pan_tensor *table,
                                 const pan_tensor *ids) {
    const char *op = "embedding";
    TRY(pan_need(op, "table", table, PAN_DTYPE_F32, 2, 2));
    TRY(pan_need(op, "ids", ids, PAN_DTYPE_I32, 1, 3));
    TRY(pan_need(op, "out", out, PAN_DTYPE_F32, 2, 4));
    pan_embedding_args args = {.table = table, .ids = ids, .out = out,
                               .count = pan_tensor_numel(ids),
                               .vocab = table->shape[0],
                               .dim = table->shape[1]};
    int64_t want[PAN_TENSOR_MAX_DIMS];
    for (int d = 0; d < ids->ndim; d++) want[d] = ids->shape[d];
    want[ids->ndim] = args.dim;
    TRY(pan_need_shape(op, "out", out, ids->ndim + 1, want));
    TRY(pan_need_no_alias(op, out, "table", table));
    TRY(pan_need_no_alias(op, out, "ids", ids));
    const int32_t *id = ids->data;
    for (int64_t i = 0; i < args.count; i++)
        if (id[i] < 0 || id[i] >= args.vocab)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "%s: ids[%lld] = %d is outside the vocabulary "
                                 "[0, %lld)",
                                 op, (long long)i, (int)id[i],
                                 (long long)args.vocab);
    return pan_compute_dispatch(c, PAN_OP_EMBEDDING, &args);
}

static pan_status check_patch_grid(const char *op, const char *what,
                                   const pan_tensor *image, int patch) {
    TRY(pan_need_int_range(op, "patch", patch, 1, 64));
    if (image->shape[2] % patch == 0 && image->shape[3] % patch == 0)
        return PAN_OK;
    char s[SHAPE_STR_MAX];
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                         "%s: '%s' %s: height and width must be multiples of "
                         "the patch size %d",
                         op, what, pan_shape_str(image, s), patch);
}

pan_status pan_compute_patchify(pan_compute *c, pan_tensor *out,
                                const pan_tensor *image, int patch) {
    const char *op = "patchify";
    TRY(pan_need(op, "image", image, PAN_DTYPE_F32, 4, 4));
    TRY(pan_need(op, "out", out, PAN_DTYPE_F32, 3, 3));
    TRY(check_patch_grid(op, "image", image, patch));
    pan_patch_args args = {.in = image, .out = out, .patch = patch,
                           .n = image->shape[0], .c = image->shape[1],
                           .h = image->shape[2], .w = image->shape[3]};
    int64_t p = patch;
    TRY(pan_need_shape(op, "out", out, 3,
                   PAN_SHAPE(args.n, (args.h / p) * (args.w / p),
                             args.c * p * p)));
    TRY(pan_need_no_alias(op, out, "image", image));
    return pan_compute_dispatch(c, PAN_OP_PATCHIFY, &args);
}

pan_status pan_compute_unpatchify(pan_compute *c, pan_tensor *out,
                                  const pan_tensor *tokens, int patch) {
    const char *op = "unpatchify";
    TRY(pan_need(op, "tokens", tokens, PAN_DTYPE_F32, 3, 3));
    TRY(pan_need(op, "out", out, PAN_DTYPE_F32, 4, 4));
    TRY(check_patch_grid(op, "out", out, patch));
    pan_patch_args args = {.in = tokens, .out = out, .patch = patch,
                           .n = out->shape[0], .c = out->shape[1],
                           .h = out->shape[2], .w = out->shape[3]};
    int64_t p = patch;
    TRY(pan_need_shape(op, "tokens", tokens, 3,
                   PAN_SHAPE(args.n, (args.h / p) * (args.w / p),
                             args.c * p * p)));
    TRY(pan_need_no_alias(op, out, "tokens", tokens));
    return pan_compute_dispatch(c, PAN_OP_UNPATCHIFY, &args);
}

pan_status pan_check_attention_extra(const char *op,
                                     const pan_attention_args *args,
                                     const pan_tensor *out) {
    bool causal = args->mask == PAN_ATTENTION_MASK_CAUSAL ||
                  args->mask == PAN_ATTENTION_MASK_ROUNDS;
    if (args->kv_len) {
        TRY(pan_need(op, "kv_len", args->kv_len, PAN_DTYPE_I32, 1, 1));
        TRY(pan_need_shape(op, "kv_len", args->kv_len, 1, PAN_SHAPE(args->batch)));
        TRY(pan_need_no_alias(op, out, "kv_len", args->kv_len));
        const int32_t *len = args->kv_len->data;
        int64_t lo = causal ? args->q_len : 0;
        for (int64_t b = 0; b < args->batch; b++)
            if (len[b] < lo || len[b] > args->kv_capacity)
                return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                     "%s: kv_len[%lld] = %d, expected %lld..%lld "
                                     "(%s)",
                                     op, (long long)b, (int)len[b],
                                     (long long)lo,
                                     (long long)args->kv_capacity,
                                     lo ? "causal queries must be in the cache"
                                        : "the key capacity");
    } else if (causal && args->kv_capacity < args->q_len) {
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: causal attention needs at least as many keys "
                             "(%lld) as queries (%lld)",
                             op, (long long)args->kv_capacity,
                             (long long)args->q_len);
    }
    if (args->mask == PAN_ATTENTION_MASK_BLOCK) {
        if (!args->q_block || !args->k_block)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "%s: block mask needs 'q_block' and 'k_block'",
                                 op);
        TRY(pan_need(op, "q_block", args->q_block, PAN_DTYPE_I32, 1, 1));
        TRY(pan_need(op, "k_block", args->k_block, PAN_DTYPE_I32, 1, 1));
        TRY(pan_need_shape(op, "q_block", args->q_block, 1, PAN_SHAPE(args->q_len)));
        TRY(pan_need_shape(op, "k_block", args->k_block, 1,
                       PAN_SHAPE(args->kv_capacity)));
        TRY(pan_need_no_alias(op, out, "q_block", args->q_block));
        TRY(pan_need_no_alias(op, out, "k_block", args->k_block));
    }
    if (args->mask == PAN_ATTENTION_MASK_ROUNDS) {
        if (!args->q_round || !args->k_round)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "%s: rounds mask needs 'q_round' and "
                                 "'k_round'",
                                 op);
        TRY(pan_need(op, "q_round", args->q_round, PAN_DTYPE_I32, 2, 2));
        TRY(pan_need(op, "k_round", args->k_round, PAN_DTYPE_I32, 2, 2));
        TRY(pan_need_shape(op, "q_round", args->q_round, 2,
                           PAN_SHAPE(args->batch, args->q_len)));
        TRY(pan_need_shape(op, "k_round", args->k_round, 2,
                           PAN_SHAPE(args->batch, args->kv_capacity)));
        TRY(pan_need_int_range(op, "round_window", args->round_window, 2,
                               1 << 30));
        TRY(pan_need_no_alias(op, out, "q_round", args->q_round));
        TRY(pan_need_no_alias(op, out, "k_round", args->k_round));
    }
    if (args->key_mask) {
        TRY(pan_need(op, "key_mask", args->key_mask, PAN_DTYPE_U8, 2, 2));
        TRY(pan_need_shape(op, "key_mask", args->key_mask, 2,
                       PAN_SHAPE(args->batch, args->kv_capacity)));
        TRY(pan_need_no_alias(op, out, "key_mask", args->key_mask));
    }
    return PAN_OK;
}

pan_status pan_compute_attention(pan_compute *c, pan_tensor *out,
                                 const pan_tensor *q, const pan_tensor *k,
                                 const pan_tensor *v, pan_attention_mask mask,
                                 float scale, const pan_attention_extra *extra) {
    const char *op = "attention";
    TRY(pan_need(op, "q", q, PAN_DTYPE_F32, 4, 4));
    TRY(pan_need(op, "k", k, PAN_DTYPE_F32, 4, 4));
    TRY(pan_need(op, "v", v, PAN_DTYPE_F32, 4, 4));
    TRY(pan_need(op, "out", out, PAN_DTYPE_F32, 4, 4));
    TRY(pan_need_same_shape(op, "v", v, "k", k));
    TRY(pan_need_same_shape(op, "out", out, "q", q));
    TRY(pan_need_finite(op, "scale", scale));
    TRY(pan_need_int_range(op, "mask", (long long)mask, PAN_ATTENTION_MASK_NONE,
                       PAN_ATTENTION_MASK_ROUNDS));
    pan_attention_extra none = {0};
    if (!extra) extra = &none;
    pan_attention_args args = {.q = q, .k = k, .v = v, .out = out,
                               .kv_len = extra->kv_len,
                               .q_block = extra->q_block,
                               .k_block = extra->k_block,
                               .key_mask = extra->key_mask,
                               .q_round = extra->q_round,
                               .k_round = extra->k_round,
                               .round_window = extra->round_window,
                               .lse = extra->lse, .mask = mask,
                               .scale = scale, .batch = q->shape[0],
                               .q_len = q->shape[1],
                               .kv_capacity = k->shape[1],
                               .q_heads = q->shape[2], .kv_heads = k->shape[2],
                               .head_dim = q->shape[3]};
    char sq[SHAPE_STR_MAX], sk[SHAPE_STR_MAX];
    if (k->shape[0] != args.batch || k->shape[3] != args.head_dim)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: k %s must match q %s in batch and head "
                             "dimension",
                             op, pan_shape_str(k, sk), pan_shape_str(q, sq));
    if (args.kv_heads < 1 || args.q_heads % args.kv_heads != 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: q has %lld heads, k has %lld: the query "
                             "heads must be a multiple of the key heads",
                             op, (long long)args.q_heads,
                             (long long)args.kv_heads);
    TRY(pan_need_no_alias(op, out, "q", q));
    TRY(pan_need_no_alias(op, out, "k", k));
    TRY(pan_need_no_alias(op, out, "v", v));
    TRY(pan_check_attention_extra(op, &args, out));
    if (args.lse) {
        TRY(pan_need(op, "lse", args.lse, PAN_DTYPE_F32, 3, 3));
        TRY(pan_need_shape(op, "lse", args.lse, 3,
                           PAN_SHAPE(args.batch, args.q_heads, args.q_len)));
        pan_named_tensor outs[] = {{"out", out}, {"lse", args.lse}};
        pan_named_tensor ins[] = {
            {"q", q}, {"k", k}, {"v", v}, {"kv_len", args.kv_len},
            {"q_block", args.q_block}, {"k_block", args.k_block},
            {"key_mask", args.key_mask}, {"q_round", args.q_round},
            {"k_round", args.k_round}};
        TRY(pan_need_disjoint(op, outs, 2, ins, 9));
    }
    return pan_compute_dispatch(c, PAN_OP_ATTENTION, &args);
}
