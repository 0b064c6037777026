/* core/compute_validate_backward.c: the public backward-pass functions
 * (core/compute.h, semantics in backends/backward_args.h). Each checks
 * every input as its forward does, every gradient output (f32, contiguous,
 * the shape of the tensor it is the gradient of), that no gradient
 * overlaps an input or another gradient, fills the op's args struct and
 * dispatches it. A failed check writes nothing. */
#include <math.h>
#include <stdio.h>

#include "core/compute.h"
#include "core/compute_internal.h"

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* A gradient output: NULL, or f32 with exactly the shape of `like`. */
static pan_status grad(const char *op, const char *what, const pan_tensor *g,
                       const char *like_name, const pan_tensor *like) {
    if (!g) return PAN_OK;
    TRY(pan_need(op, what, g, PAN_DTYPE_F32, 0, 4));
    return pan_need_same_shape(op, what, g, like_name, like);
}

/* At least one gradient requested; a call computing nothing is a bug. */
static pan_status some_grad(const char *op, const pan_named_tensor *outs,
                            int n) {
    for (int i = 0; i < n; i++)
        if (outs[i].t) return PAN_OK;
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                         "%s: every gradient output is NULL (nothing to "
                         "compute)",
                         op);
}

static pan_status disjoint(const char *op, const pan_named_tensor *outs,
                           int n_outs, const pan_named_tensor *ins,
                           int n_ins) {
    TRY(some_grad(op, outs, n_outs));
    return pan_need_disjoint(op, outs, n_outs, ins, n_ins);
}

pan_status pan_compute_conv2d_backward(pan_compute *c, const pan_tensor *x,
                                       const pan_tensor *weight,
                                       const pan_tensor *dout, int stride,
                                       int pad, pan_tensor *dx,
                                       pan_tensor *dweight, pan_tensor *dbias) {
    const char *op = "conv2d_backward";
    TRY(pan_need(op, "x", x, PAN_DTYPE_F32, 4, 4));
    TRY(pan_need(op, "weight", weight, PAN_DTYPE_F32, 4, 4));
    TRY(pan_need(op, "dout", dout, PAN_DTYPE_F32, 4, 4));
    TRY(pan_need_int_range(op, "stride", stride, 1, 64));
    TRY(pan_need_int_range(op, "pad", pad, 0, 64));
    pan_conv2d_backward_args args = {
        .x = x, .weight = weight, .dout = dout, .dx = dx, .dweight = dweight,
        .dbias = dbias, .stride_h = stride, .stride_w = stride, .pad_h = pad,
        .pad_w = pad, .n = x->shape[0], .c = x->shape[1], .h = x->shape[2],
        .w = x->shape[3], .oc = weight->shape[0], .kh = weight->shape[2],
        .kw = weight->shape[3]};
    char sx[SHAPE_STR_MAX], sw[SHAPE_STR_MAX];
    if (weight->shape[1] != args.c)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: weight %s expects %lld input channels, x %s "
                             "has %lld",
                             op, pan_shape_str(weight, sw),
                             (long long)weight->shape[1], pan_shape_str(x, sx),
                             (long long)args.c);
    if (args.kh < 1 || args.kw < 1 || args.h + 2 * pad < args.kh ||
        args.w + 2 * pad < args.kw)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: kernel of weight %s does not fit x %s with "
                             "padding %d",
                             op, pan_shape_str(weight, sw), pan_shape_str(x, sx),
                             pad);
    args.oh = (args.h + 2 * pad - args.kh) / stride + 1;
    args.ow = (args.w + 2 * pad - args.kw) / stride + 1;
    TRY(pan_need_shape(op, "dout", dout, 4,
                       PAN_SHAPE(args.n, args.oc, args.oh, args.ow)));
    TRY(grad(op, "dx", dx, "x", x));
    TRY(grad(op, "dweight", dweight, "weight", weight));
    if (dbias) {
        TRY(pan_need(op, "dbias", dbias, PAN_DTYPE_F32, 1, 1));
        TRY(pan_need_shape(op, "dbias", dbias, 1, PAN_SHAPE(args.oc)));
    }
    pan_named_tensor outs[] = {{"dx", dx}, {"dweight", dweight},
                               {"dbias", dbias}};
    pan_named_tensor ins[] = {{"x", x}, {"weight", weight}, {"dout", dout}};
    TRY(disjoint(op, outs, COUNT(outs), ins, COUNT(ins)));
    return pan_compute_dispatch(c, PAN_OP_CONV2D_BACKWARD, &args);
}

pan_status pan_compute_upsample_nearest_backward(pan_compute *c,
                                                 const pan_tensor *dout,
                                                 int factor, pan_tensor *dx) {
    const char *op = "upsample_nearest_backward";
    TRY(pan_need(op, "dout", dout, PAN_DTYPE_F32, 4, 4));
    TRY(pan_need(op, "dx", dx, PAN_DTYPE_F32, 4, 4));
    TRY(pan_need_int_range(op, "factor", factor, 1, 16));
    pan_upsample_backward_args args = {
        .dout = dout, .dx = dx, .factor = factor, .n = dx->shape[0],
        .c = dx->shape[1], .h = dx->shape[2], .w = dx->shape[3]};
    TRY(pan_need_shape(op, "dout", dout, 4,
                       PAN_SHAPE(args.n, args.c, args.h * factor,
                                 args.w * factor)));
    pan_named_tensor outs[] = {{"dx", dx}};
    pan_named_tensor ins[] = {{"dout", dout}};
    TRY(disjoint(op, outs, 1, ins, 1));
    return pan_compute_dispatch(c, PAN_OP_UPSAMPLE_NEAREST_BACKWARD, &args);
}

static pan_status check_eps(const char *op, float eps) {
    if (isfinite(eps) && eps >= 0.0f) return PAN_OK;
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                         "%s: eps must be finite and >= 0, got %g", op,
                         (double)eps);
}

/* x, gamma, dout and the gradients of a normalisation; `width` is the
 * size of gamma/beta. */
static pan_status norm_common(const char *op, const pan_tensor *x,
                              const pan_tensor *gamma, const pan_tensor *dout,
                              float eps, int64_t width, pan_tensor *dx,
                              pan_tensor *dgamma, pan_tensor *dbeta) {
    TRY(pan_need(op, "dout", dout, PAN_DTYPE_F32, 1, 4));
    TRY(pan_need_same_shape(op, "dout", dout, "x", x));
    TRY(check_eps(op, eps));
    if (gamma) {
        TRY(pan_need(op, "gamma", gamma, PAN_DTYPE_F32, 1, 1));
        TRY(pan_need_shape(op, "gamma", gamma, 1, PAN_SHAPE(width)));
    } else if (dgamma) {
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: 'dgamma' given but the forward had no "
                             "'gamma'",
                             op);
    }
    TRY(grad(op, "dx", dx, "x", x));
    const pan_tensor *pair[2] = {dgamma, dbeta};
    const char *names[2] = {"dgamma", "dbeta"};
    for (int i = 0; i < 2; i++)
        if (pair[i]) {
            TRY(pan_need(op, names[i], pair[i], PAN_DTYPE_F32, 1, 1));
            TRY(pan_need_shape(op, names[i], pair[i], 1, PAN_SHAPE(width)));
        }
    pan_named_tensor outs[] = {{"dx", dx}, {"dgamma", dgamma},
                               {"dbeta", dbeta}};
    pan_named_tensor ins[] = {{"x", x}, {"gamma", gamma}, {"dout", dout}};
    return disjoint(op, outs, COUNT(outs), ins, COUNT(ins));
}

pan_status pan_compute_group_norm_backward(pan_compute *c, const pan_tensor *x,
                                           const pan_tensor *gamma,
                                           const pan_tensor *dout, int groups,
                                           float eps, pan_tensor *dx,
                                           pan_tensor *dgamma,
                                           pan_tensor *dbeta) {
    const char *op = "group_norm_backward";
    TRY(pan_need(op, "x", x, PAN_DTYPE_F32, 2, 4));
    int64_t channels = x->shape[1];
    if (groups < 1 || channels % groups != 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: groups must divide the %lld channels, got %d",
                             op, (long long)channels, groups);
    TRY(norm_common(op, x, gamma, dout, eps, channels, dx, dgamma, dbeta));
    pan_norm_backward_args args = {
        .x = x, .gamma = gamma, .dout = dout, .dx = dx, .dgamma = dgamma,
        .dbeta = dbeta, .eps = eps, .groups = groups, .n = x->shape[0],
        .channels = channels};
    args.spatial = x->shape[0] * channels == 0
                       ? 0
                       : pan_tensor_numel(x) / (x->shape[0] * channels);
    args.rows = args.n * groups;
    args.cols = channels / groups * args.spatial;
    return pan_compute_dispatch(c, PAN_OP_GROUP_NORM_BACKWARD, &args);
}

static pan_status row_norm_backward(pan_compute *c, pan_op kind,
                                    const char *op, const pan_tensor *x,
                                    const pan_tensor *gamma,
                                    const pan_tensor *dout, float eps,
                                    pan_tensor *dx, pan_tensor *dgamma,
                                    pan_tensor *dbeta) {
    TRY(pan_need(op, "x", x, PAN_DTYPE_F32, 1, 4));
    int64_t cols = x->shape[x->ndim - 1];
    if (cols < 1)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: last dimension of x must be >= 1", op);
    if (kind == PAN_OP_RMS_NORM_BACKWARD && !gamma)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: 'gamma' is required", op);
    TRY(norm_common(op, x, gamma, dout, eps, cols, dx, dgamma, dbeta));
    pan_norm_backward_args args = {
        .x = x, .gamma = gamma, .dout = dout, .dx = dx, .dgamma = dgamma,
        .dbeta = dbeta, .eps = eps, .cols = cols,
        .rows = pan_tensor_numel(x) / cols};
    return pan_compute_dispatch(c, kind, &args);
}

pan_status pan_compute_layer_norm_backward(pan_compute *c, const pan_tensor *x,
                                           const pan_tensor *gamma,
                                           const pan_tensor *dout, float eps,
                                           pan_tensor *dx, pan_tensor *dgamma,
                                           pan_tensor *dbeta) {
    return row_norm_backward(c, PAN_OP_LAYER_NORM_BACKWARD,
                             "layer_norm_backward", x, gamma, dout, eps, dx,
                             dgamma, dbeta);
}

pan_status pan_compute_rms_norm_backward(pan_compute *c, const pan_tensor *x,
                                         const pan_tensor *gamma,
                                         const pan_tensor *dout, float eps,
                                         pan_tensor *dx, pan_tensor *dgamma) {
    return row_norm_backward(c, PAN_OP_RMS_NORM_BACKWARD, "rms_norm_backward",
                             x, gamma, dout, eps, dx, dgamma, NULL);
}

pan_status pan_compute_softmax_backward(pan_compute *c, const pan_tensor *y,
                                        const pan_tensor *dy, pan_tensor *dx) {
    const char *op = "softmax_backward";
    TRY(pan_need(op, "y", y, PAN_DTYPE_F32, 1, 4));
    TRY(pan_need(op, "dy", dy, PAN_DTYPE_F32, 1, 4));
    TRY(pan_need(op, "dx", dx, PAN_DTYPE_F32, 1, 4));
    TRY(pan_need_same_shape(op, "dy", dy, "y", y));
    TRY(pan_need_same_shape(op, "dx", dx, "y", y));
    int64_t cols = y->shape[y->ndim - 1];
    if (cols < 1)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: last dimension of y must be >= 1", op);
    pan_named_tensor outs[] = {{"dx", dx}};
    pan_named_tensor ins[] = {{"y", y}, {"dy", dy}};
    TRY(disjoint(op, outs, 1, ins, 2));
    pan_softmax_backward_args args = {.y = y, .dy = dy, .dx = dx,
                                      .cols = cols,
                                      .rows = pan_tensor_numel(y) / cols};
    return pan_compute_dispatch(c, PAN_OP_SOFTMAX_BACKWARD, &args);
}

static pan_status unary_backward(pan_compute *c, pan_op kind, const char *op,
                                 const pan_tensor *x, const pan_tensor *dout,
                                 pan_gelu_mode mode, pan_tensor *dx) {
    TRY(pan_need(op, "x", x, PAN_DTYPE_F32, 0, 4));
    TRY(pan_need(op, "dout", dout, PAN_DTYPE_F32, 0, 4));
    TRY(pan_need(op, "dx", dx, PAN_DTYPE_F32, 0, 4));
    TRY(pan_need_same_shape(op, "dout", dout, "x", x));
    TRY(pan_need_same_shape(op, "dx", dx, "x", x));
    pan_named_tensor outs[] = {{"dx", dx}};
    pan_named_tensor ins[] = {{"x", x}, {"dout", dout}};
    TRY(disjoint(op, outs, 1, ins, 2));
    pan_unary_backward_args args = {.x = x, .dout = dout, .dx = dx,
                                    .gelu_mode = mode,
                                    .count = pan_tensor_numel(x)};
    return pan_compute_dispatch(c, kind, &args);
}

pan_status pan_compute_silu_backward(pan_compute *c, const pan_tensor *x,
                                     const pan_tensor *dout, pan_tensor *dx) {
    return unary_backward(c, PAN_OP_SILU_BACKWARD, "silu_backward", x, dout,
                          PAN_GELU_ERF, dx);
}

pan_status pan_compute_gelu_backward(pan_compute *c, const pan_tensor *x,
                                     const pan_tensor *dout,
                                     pan_gelu_mode mode, pan_tensor *dx) {
    if (mode != PAN_GELU_ERF && mode != PAN_GELU_TANH)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "gelu_backward: mode must be PAN_GELU_ERF or "
                             "PAN_GELU_TANH, got %d",
                             (int)mode);
    return unary_backward(c, PAN_OP_GELU_BACKWARD, "gelu_backward", x, dout,
                          mode, dx);
}

pan_status pan_compute_swiglu_backward(pan_compute *c, const pan_tensor *gate,
                                       const pan_tensor *up,
                                       const pan_tensor *dout,
                                       pan_tensor *dgate, pan_tensor *dup) {
    const char *op = "swiglu_backward";
    TRY(pan_need(op, "gate", gate, PAN_DTYPE_F32, 0, 4));
    TRY(pan_need(op, "up", up, PAN_DTYPE_F32, 0, 4));
    TRY(pan_need(op, "dout", dout, PAN_DTYPE_F32, 0, 4));
    TRY(pan_need_same_shape(op, "up", up, "gate", gate));
    TRY(pan_need_same_shape(op, "dout", dout, "gate", gate));
    TRY(grad(op, "dgate", dgate, "gate", gate));
    TRY(grad(op, "dup", dup, "up", up));
    pan_named_tensor outs[] = {{"dgate", dgate}, {"dup", dup}};
    pan_named_tensor ins[] = {{"gate", gate}, {"up", up}, {"dout", dout}};
    TRY(disjoint(op, outs, 2, ins, 3));
    pan_swiglu_backward_args args = {.gate = gate, .up = up, .dout = dout,
                                     .dgate = dgate, .dup = dup,
                                     .count = pan_tensor_numel(gate)};
    return pan_compute_dispatch(c, PAN_OP_SWIGLU_BACKWARD, &args);
}

pan_status pan_compute_rope_backward(pan_compute *c, const pan_tensor *dout,
                                     const pan_tensor *positions, int dims,
                                     float theta, pan_tensor *dx) {
    const char *op = "rope_backward";
    TRY(pan_need(op, "dout", dout, PAN_DTYPE_F32, 4, 4));
    TRY(pan_need(op, "dx", dx, PAN_DTYPE_F32, 4, 4));
    TRY(pan_need_same_shape(op, "dx", dx, "dout", dout));
    TRY(pan_need_int_range(op, "dims", dims, 1, 2));
    if (!(isfinite(theta) && theta > 1.0f))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: theta must be finite and > 1, got %g", op,
                             (double)theta);
    pan_rope_backward_args args = {
        .dout = dout, .positions = positions, .dx = dx, .theta = theta,
        .dims = dims, .batch = dout->shape[0], .tokens = dout->shape[1],
        .heads = dout->shape[2], .head_dim = dout->shape[3]};
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
    pan_named_tensor outs[] = {{"dx", dx}};
    pan_named_tensor ins[] = {{"dout", dout}, {"positions", positions}};
    TRY(disjoint(op, outs, 1, ins, 2));
    return pan_compute_dispatch(c, PAN_OP_ROPE_BACKWARD, &args);
}

/* x or y (B, T, C) and a per-batch vector (B, C). */
static pan_status adaln_shapes(const char *op, const char *x_name,
                               const pan_tensor *x, const char *v_name,
                               const pan_tensor *v, const pan_tensor *dout) {
    TRY(pan_need(op, x_name, x, PAN_DTYPE_F32, 3, 3));
    TRY(pan_need(op, v_name, v, PAN_DTYPE_F32, 2, 2));
    TRY(pan_need(op, "dout", dout, PAN_DTYPE_F32, 3, 3));
    TRY(pan_need_same_shape(op, "dout", dout, x_name, x));
    return pan_need_shape(op, v_name, v, 2, PAN_SHAPE(x->shape[0], x->shape[2]));
}

pan_status pan_compute_modulate_backward(pan_compute *c, const pan_tensor *x,
                                         const pan_tensor *scale,
                                         const pan_tensor *dout,
                                         pan_tensor *dx, pan_tensor *dshift,
                                         pan_tensor *dscale) {
    const char *op = "modulate_backward";
    TRY(adaln_shapes(op, "x", x, "scale", scale, dout));
    TRY(grad(op, "dx", dx, "x", x));
    TRY(grad(op, "dshift", dshift, "scale", scale));
    TRY(grad(op, "dscale", dscale, "scale", scale));
    pan_named_tensor outs[] = {{"dx", dx}, {"dshift", dshift},
                               {"dscale", dscale}};
    pan_named_tensor ins[] = {{"x", x}, {"scale", scale}, {"dout", dout}};
    TRY(disjoint(op, outs, 3, ins, 3));
    pan_modulate_backward_args args = {
        .x = x, .scale = scale, .dout = dout, .dx = dx, .dshift = dshift,
        .dscale = dscale, .batch = x->shape[0], .tokens = x->shape[1],
        .channels = x->shape[2]};
    return pan_compute_dispatch(c, PAN_OP_MODULATE_BACKWARD, &args);
}

pan_status pan_compute_gate_add_backward(pan_compute *c, const pan_tensor *y,
                                         const pan_tensor *gate,
                                         const pan_tensor *dout,
                                         pan_tensor *dresidual, pan_tensor *dy,
                                         pan_tensor *dgate) {
    const char *op = "gate_add_backward";
    TRY(adaln_shapes(op, "y", y, "gate", gate, dout));
    TRY(grad(op, "dresidual", dresidual, "y", y));
    TRY(grad(op, "dy", dy, "y", y));
    TRY(grad(op, "dgate", dgate, "gate", gate));
    pan_named_tensor outs[] = {{"dresidual", dresidual}, {"dy", dy},
                               {"dgate", dgate}};
    pan_named_tensor ins[] = {{"y", y}, {"gate", gate}, {"dout", dout}};
    TRY(disjoint(op, outs, 3, ins, 3));
    pan_gate_add_backward_args args = {
        .y = y, .gate = gate, .dout = dout, .dresidual = dresidual, .dy = dy,
        .dgate = dgate, .batch = y->shape[0], .tokens = y->shape[1],
        .channels = y->shape[2]};
    return pan_compute_dispatch(c, PAN_OP_GATE_ADD_BACKWARD, &args);
}

pan_status pan_compute_embedding_backward(pan_compute *c,
                                          const pan_tensor *ids,
                                          const pan_tensor *dout,
                                          pan_tensor *dtable) {
    const char *op = "embedding_backward";
    TRY(pan_need(op, "ids", ids, PAN_DTYPE_I32, 1, 3));
    TRY(pan_need(op, "dout", dout, PAN_DTYPE_F32, 2, 4));
    TRY(pan_need(op, "dtable", dtable, PAN_DTYPE_F32, 2, 2));
    pan_embedding_backward_args args = {
        .ids = ids, .dout = dout, .dtable = dtable,
        .count = pan_tensor_numel(ids), .vocab = dtable->shape[0],
        .dim = dtable->shape[1]};
    int64_t want[PAN_TENSOR_MAX_DIMS];
    for (int d = 0; d < ids->ndim; d++) want[d] = ids->shape[d];
    want[ids->ndim] = args.dim;
    TRY(pan_need_shape(op, "dout", dout, ids->ndim + 1, want));
    pan_named_tensor outs[] = {{"dtable", dtable}};
    pan_named_tensor ins[] = {{"ids", ids}, {"dout", dout}};
    TRY(disjoint(op, outs, 1, ins, 2));
    const int32_t *id = ids->data;
    for (int64_t i = 0; i < args.count; i++)
        if (id[i] < 0 || id[i] >= args.vocab)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "%s: ids[%lld] = %d is outside the vocabulary "
                                 "[0, %lld)",
                                 op, (long long)i, (int)id[i],
                                 (long long)args.vocab);
    return pan_compute_dispatch(c, PAN_OP_EMBEDDING_BACKWARD, &args);
}

/* image (N, C, H, W) and its tokens (N, (H/p)*(W/p), C*p*p). */
static pan_status patch_backward(pan_compute *c, pan_op kind, const char *op,
                                 const char *image_name,
                                 const pan_tensor *image,
                                 const char *tokens_name,
                                 const pan_tensor *tokens, int patch,
                                 const pan_tensor *dout, pan_tensor *din) {
    TRY(pan_need(op, image_name, image, PAN_DTYPE_F32, 4, 4));
    TRY(pan_need(op, tokens_name, tokens, PAN_DTYPE_F32, 3, 3));
    TRY(pan_need_int_range(op, "patch", patch, 1, 64));
    char s[SHAPE_STR_MAX];
    if (image->shape[2] % patch != 0 || image->shape[3] % patch != 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: '%s' %s: height and width must be multiples "
                             "of the patch size %d",
                             op, image_name, pan_shape_str(image, s), patch);
    pan_patch_backward_args args = {
        .dout = dout, .din = din, .patch = patch, .n = image->shape[0],
        .c = image->shape[1], .h = image->shape[2], .w = image->shape[3]};
    int64_t p = patch;
    TRY(pan_need_shape(op, tokens_name, tokens, 3,
                       PAN_SHAPE(args.n, (args.h / p) * (args.w / p),
                                 args.c * p * p)));
    pan_named_tensor outs[] = {{"din", din}};
    pan_named_tensor ins[] = {{"dout", dout}};
    outs[0].name = din == image ? image_name : tokens_name;
    ins[0].name = dout == image ? image_name : tokens_name;
    TRY(disjoint(op, outs, 1, ins, 1));
    return pan_compute_dispatch(c, kind, &args);
}

pan_status pan_compute_patchify_backward(pan_compute *c,
                                         const pan_tensor *dtokens, int patch,
                                         pan_tensor *dimage) {
    return patch_backward(c, PAN_OP_PATCHIFY_BACKWARD, "patchify_backward",
                          "dimage", dimage, "dtokens", dtokens, patch,
                          dtokens, dimage);
}

pan_status pan_compute_unpatchify_backward(pan_compute *c,
                                           const pan_tensor *dimage, int patch,
                                           pan_tensor *dtokens) {
    return patch_backward(c, PAN_OP_UNPATCHIFY_BACKWARD, "unpatchify_backward",
                          "dimage", dimage, "dtokens", dtokens, patch, dimage,
                          dtokens);
}

pan_status pan_compute_attention_backward(
    pan_compute *c, const pan_tensor *q, const pan_tensor *k,
    const pan_tensor *v, const pan_tensor *out, const pan_tensor *dout,
    const pan_tensor *lse, pan_attention_mask mask, float scale,
    const pan_attention_extra *extra, pan_tensor *dq, pan_tensor *dk,
    pan_tensor *dv) {
    const char *op = "attention_backward";
    TRY(pan_need(op, "q", q, PAN_DTYPE_F32, 4, 4));
    TRY(pan_need(op, "k", k, PAN_DTYPE_F32, 4, 4));
    TRY(pan_need(op, "v", v, PAN_DTYPE_F32, 4, 4));
    TRY(pan_need(op, "out", out, PAN_DTYPE_F32, 4, 4));
    TRY(pan_need(op, "dout", dout, PAN_DTYPE_F32, 4, 4));
    TRY(pan_need(op, "lse", lse, PAN_DTYPE_F32, 3, 3));
    TRY(pan_need_same_shape(op, "v", v, "k", k));
    TRY(pan_need_same_shape(op, "out", out, "q", q));
    TRY(pan_need_same_shape(op, "dout", dout, "q", q));
    TRY(pan_need_finite(op, "scale", scale));
    TRY(pan_need_int_range(op, "mask", (long long)mask,
                           PAN_ATTENTION_MASK_NONE, PAN_ATTENTION_MASK_ROUNDS));
    pan_attention_extra none = {0};
    if (!extra) extra = &none;
    pan_attention_backward_args args = {
        .fwd = {.q = q, .k = k, .v = v, .kv_len = extra->kv_len,
                .q_block = extra->q_block, .k_block = extra->k_block,
                .key_mask = extra->key_mask, .q_round = extra->q_round,
                .k_round = extra->k_round,
                .round_window = extra->round_window, .mask = mask,
                .scale = scale, .batch = q->shape[0], .q_len = q->shape[1],
                .kv_capacity = k->shape[1], .q_heads = q->shape[2],
                .kv_heads = k->shape[2], .head_dim = q->shape[3]},
        .out = out, .dout = dout, .lse = lse, .dq = dq, .dk = dk, .dv = dv};
    const pan_attention_args *f = &args.fwd;
    char sq[SHAPE_STR_MAX], sk[SHAPE_STR_MAX];
    if (k->shape[0] != f->batch || k->shape[3] != f->head_dim)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: k %s must match q %s in batch and head "
                             "dimension",
                             op, pan_shape_str(k, sk), pan_shape_str(q, sq));
    if (f->kv_heads < 1 || f->q_heads % f->kv_heads != 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: q has %lld heads, k has %lld: the query "
                             "heads must be a multiple of the key heads",
                             op, (long long)f->q_heads,
                             (long long)f->kv_heads);
    TRY(pan_need_shape(op, "lse", lse, 3,
                       PAN_SHAPE(f->batch, f->q_heads, f->q_len)));
    TRY(pan_check_attention_extra(op, f, NULL));
    TRY(grad(op, "dq", dq, "q", q));
    TRY(grad(op, "dk", dk, "k", k));
    TRY(grad(op, "dv", dv, "v", v));
    pan_named_tensor outs[] = {{"dq", dq}, {"dk", dk}, {"dv", dv}};
    pan_named_tensor ins[] = {
        {"q", q}, {"k", k}, {"v", v}, {"out", out}, {"dout", dout},
        {"lse", lse}, {"kv_len", f->kv_len}, {"q_block", f->q_block},
        {"k_block", f->k_block}, {"key_mask", f->key_mask},
        {"q_round", f->q_round}, {"k_round", f->k_round}};
    TRY(disjoint(op, outs, COUNT(outs), ins, COUNT(ins)));
    return pan_compute_dispatch(c, PAN_OP_ATTENTION_BACKWARD, &args);
}
