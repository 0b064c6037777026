/* backends/backward_args.h: argument structs of the backward ops, the
 * SUM_ROWS reduction and the training losses (included by
 * backends/backend.h; read its contract first).
 *
 * Contract
 * - Every backward op ACCUMULATES (+=) into each gradient output it is
 *   given; a NULL gradient output is not computed. One zero-fill per step
 *   starts the gradients (llm.c's rule), and a tensor read by several ops
 *   collects every contribution.
 * - Gradient outputs never alias an input or each other (checked by core/).
 * - Inputs are what the forward read, plus the forward's output where that
 *   is what the backward needs (softmax's y, attention's out and lse).
 * - Shapes are the forward's (backends/backend.h); every gradient has the
 *   shape of the tensor it is the gradient of. Derived sizes are filled in
 *   by core/ exactly as for the forward.
 * - Determinism as for the forwards: reductions (over rows, batch, tokens,
 *   ids, queries) run in a fixed order, so the same inputs, backend and
 *   thread count give bit-identical gradients.
 * - Losses write one f32 value into a (1)-shaped tensor (overwrite: a loss
 *   is not a gradient) and accumulate grad_scale * d loss / d input into the
 *   optional gradients.
 * - add needs no backward op: d a += d out is pan_compute_add(c, da, da,
 *   dout) (and the same for d b). matmul's backward is composed in core/
 *   from forward matmuls with beta = 1 and SUM_ROWS (core/compute.h).
 */
#ifndef PAN_BACKENDS_BACKWARD_ARGS_H
#define PAN_BACKENDS_BACKWARD_ARGS_H

/* SUM_ROWS: out (N) += sum over rows of x (rows, N); rows may be 0.
 * The bias gradient of a linear layer. */
typedef struct pan_sum_rows_args {
    const pan_tensor *x;
    pan_tensor *out;
    /* derived */
    int64_t rows, cols;
} pan_sum_rows_args;

/* CONV2D_BACKWARD: from x (N,C,H,W), weight (OC,C,KH,KW) and dout
 * (N,OC,OH,OW): dx (N,C,H,W), dweight (OC,C,KH,KW), dbias (OC), each
 * optional. Attributes as the forward's. */
typedef struct pan_conv2d_backward_args {
    const pan_tensor *x, *weight, *dout;
    pan_tensor *dx, *dweight, *dbias;
    int stride_h, stride_w, pad_h, pad_w;
    /* derived */
    int64_t n, c, h, w, oc, kh, kw, oh, ow;
} pan_conv2d_backward_args;

/* UPSAMPLE_NEAREST_BACKWARD: dx (N,C,H,W) += the sum of each factor x
 * factor block of dout (N,C,H*f,W*f). */
typedef struct pan_upsample_backward_args {
    const pan_tensor *dout;
    pan_tensor *dx;
    int factor;
    /* derived */
    int64_t n, c, h, w;
} pan_upsample_backward_args;

/* GROUP_NORM / LAYER_NORM / RMS_NORM _BACKWARD: from x, gamma (or NULL
 * when the forward had none) and dout: dx, dgamma (needs gamma), dbeta
 * (not for RMS_NORM). The statistics are recomputed from x with the
 * forward's eps. Sizes as pan_norm_args. */
typedef struct pan_norm_backward_args {
    const pan_tensor *x, *gamma, *dout;
    pan_tensor *dx, *dgamma, *dbeta;
    float eps;
    int groups;
    /* derived */
    int64_t rows, cols, n, channels, spatial;
} pan_norm_backward_args;

/* SOFTMAX_BACKWARD: dx += y * (dy - sum(dy * y)) per row, from the
 * forward's output y and dy (rows, cols). */
typedef struct pan_softmax_backward_args {
    const pan_tensor *y, *dy;
    pan_tensor *dx;
    /* derived */
    int64_t rows, cols;
} pan_softmax_backward_args;

/* SILU_BACKWARD, GELU_BACKWARD: dx += dout * f'(x) (GELU in the forward's
 * mode). */
typedef struct pan_unary_backward_args {
    const pan_tensor *x, *dout;
    pan_tensor *dx;
    pan_gelu_mode gelu_mode;
    /* derived */
    int64_t count;
} pan_unary_backward_args;

/* SWIGLU_BACKWARD: out = silu(gate) * up:
 *   dgate += dout * up * silu'(gate), dup += dout * silu(gate). */
typedef struct pan_swiglu_backward_args {
    const pan_tensor *gate, *up, *dout;
    pan_tensor *dgate, *dup;
    /* derived */
    int64_t count;
} pan_swiglu_backward_args;

/* ROPE_BACKWARD: dx += R^T dout, the inverse rotation (angle -pos*freq) of
 * the forward's convention, positions and dims. */
typedef struct pan_rope_backward_args {
    const pan_tensor *dout, *positions;
    pan_tensor *dx;
    float theta;
    int dims;
    /* derived */
    int64_t batch, tokens, heads, head_dim;
} pan_rope_backward_args;

/* MODULATE_BACKWARD: out = x * (1 + scale) + shift:
 *   dx += dout * (1 + scale), dshift += sum_t dout, dscale += sum_t dout*x */
typedef struct pan_modulate_backward_args {
    const pan_tensor *x, *scale, *dout;
    pan_tensor *dx, *dshift, *dscale;
    /* derived */
    int64_t batch, tokens, channels;
} pan_modulate_backward_args;

/* GATE_ADD_BACKWARD: out = residual + gate * y:
 *   dresidual += dout, dy += gate * dout, dgate += sum_t dout * y */
typedef struct pan_gate_add_backward_args {
    const pan_tensor *y, *gate, *dout;
    pan_tensor *dresidual, *dy, *dgate;
    /* derived */
    int64_t batch, tokens, channels;
} pan_gate_add_backward_args;

/* EMBEDDING_BACKWARD: dtable[ids[i]] += dout[i] (ids validated as in the
 * forward); rows that several ids hit sum them in id order. */
typedef struct pan_embedding_backward_args {
    const pan_tensor *ids, *dout;
    pan_tensor *dtable;
    /* derived */
    int64_t count, vocab, dim;
} pan_embedding_backward_args;

/* PATCHIFY_BACKWARD: dimage (N,C,H,W) += unpatchify(dtokens);
 * UNPATCHIFY_BACKWARD: dtokens += patchify(dimage). `dout` is the
 * forward's output gradient, `din` the gradient of its input; sizes are
 * the image's. */
typedef struct pan_patch_backward_args {
    const pan_tensor *dout;
    pan_tensor *din;
    int patch;
    /* derived */
    int64_t n, c, h, w;
} pan_patch_backward_args;

/* ATTENTION_BACKWARD, flash style: with p_ij = exp(scale * q_i.k_j -
 * lse_i) over the keys query i sees and D_i = dout_i . out_i:
 *   dv_j += sum_i p_ij dout_i
 *   ds_ij = p_ij (dout_i . v_j - D_i)
 *   dq_i += scale sum_j ds_ij k_j,   dk_j += scale sum_i ds_ij q_i
 * GQA: dk, dv of a key/value head sum over the query heads that read it.
 * `fwd` carries q, k, v, the mask inputs, scale and the sizes exactly as
 * the forward saw them (fwd.out and fwd.lse are NULL); out, dout (B, Tq,
 * Hq, D) and lse (B, Hq, Tq) come from the forward. A query with lse =
 * -inf (it saw no key) contributes nothing. */
typedef struct pan_attention_backward_args {
    pan_attention_args fwd;
    const pan_tensor *out, *dout, *lse;
    pan_tensor *dq, *dk, *dv;
} pan_attention_backward_args;

/* MSE_LOSS, L1_LOSS: pred, target (B, ...), weights (B) or NULL (all 1):
 *   MSE  loss = (1/B) sum_b w_b * mean_e (pred - target)^2
 *   L1   loss = (1/B) sum_b w_b * mean_e |pred - target|
 * dpred += grad_scale * d loss / d pred (L1: sign, 0 where pred == target).
 * KL_LOSS: mean, logvar (B, ...) of a diagonal Gaussian against N(0, 1):
 *   loss = (1/B) sum_b sum_e -0.5 (1 + logvar - mean^2 - exp(logvar))
 * dmean += grad_scale * mean / B,
 * dlogvar += grad_scale * 0.5 (exp(logvar) - 1) / B.
 * For KL the struct's pred is mean, target is logvar, dpred is dmean and
 * dtarget is dlogvar; MSE and L1 have no dtarget (it is -dpred). */
typedef struct pan_loss_args {
    const pan_tensor *pred, *target, *weights;
    pan_tensor *loss;           /* (1) */
    pan_tensor *dpred, *dtarget;
    float grad_scale;
    /* derived */
    int64_t batch, per_item; /* B, elements per item */
} pan_loss_args;

#endif
