/* core/compute.h: the op API every model part calls.
 *
 * Contract
 * - A pan_compute owns a thread pool and the backends chosen at creation:
 *   `backend` = "ref", "openblas", "onednn" or "auto" (NULL: the
 *   PAN_BACKEND environment variable, else "auto"). With a named backend
 *   each op runs there when the backend supports it and falls back to ref
 *   otherwise (unless `strict`, which makes the op fail with UNIMPLEMENTED).
 *   "auto" takes, per op, the first backend that supports it in the order
 *   of pan_backend_names() (fastest first, as measured by
 *   benchmarks/bench_ops; see docs/backends.md).
 * - Thread counts are set explicitly: `n_threads` (0: PAN_NUM_THREADS, else
 *   the online CPUs) for the pool, OpenBLAS and oneDNN alike, so the
 *   libraries never oversubscribe the cores.
 * - bf16 matmuls are opt-in: `bf16_matmul` = 1 (or 0 with the environment
 *   variable PAN_BF16_MATMUL=1) lets the onednn backend round the two
 *   inputs of its matmuls (all but those of at most 8 rows) to bf16 for
 *   the oneDNN primitive, with f32 accumulation and f32 output; tensors
 *   stay f32 (so do master weights).
 *   matmul_backward is made of matmuls, so it gets bf16 inputs too. Only
 *   the onednn backend reads it, and only on a CPU with AVX512-BF16;
 *   ref and openblas ignore it. Default off. Accuracy and speed:
 *   docs/backends.md.
 * - Every op validates its arguments before touching memory: dtype, rank,
 *   shapes, contiguity, attribute ranges, token ids. A bad call returns
 *   INVALID_ARGUMENT with a message naming the op, the tensor and both
 *   shapes, and writes nothing.
 * - Thread safety: one pan_compute per thread (per env worker). Ops on
 *   different pan_compute objects may run concurrently.
 * - Shapes and semantics of every op: backends/backend.h.
 */
#ifndef PAN_CORE_COMPUTE_H
#define PAN_CORE_COMPUTE_H

#include <stdbool.h>

#include "backends/backend.h"
#include "core/status.h"
#include "core/tensor.h"

typedef struct pan_compute pan_compute;

typedef struct pan_compute_options {
    const char *backend; /* "ref" | "openblas" | "onednn" | "auto" | NULL */
    int n_threads;       /* 0: default */
    bool strict;         /* no fallback to ref */
    int bf16_matmul;     /* 1: on, -1: off, 0: PAN_BF16_MATMUL (unset: off) */
} pan_compute_options;

pan_status pan_compute_create(pan_compute **out,
                              const pan_compute_options *options);
void pan_compute_destroy(pan_compute *c);

/* The name given at creation ("auto" resolved stays "auto"). */
const char *pan_compute_backend_name(const pan_compute *c);
int pan_compute_threads(const pan_compute *c);
/* Whether bf16 matmuls were asked for (resolved option; the onednn backend
 * still runs f32 on a CPU without AVX512-BF16). */
bool pan_compute_bf16_matmul(const pan_compute *c);
pan_threadpool *pan_compute_pool(pan_compute *c);

/* Name of the backend that ran the last successful op ("" before any). */
const char *pan_compute_last_backend(const pan_compute *c);

/* The backend that would run `op` with these (validated) args. */
pan_backend *pan_compute_pick(pan_compute *c, pan_op op, const void *args);

pan_status pan_compute_matmul(pan_compute *c, pan_tensor *out,
                              const pan_tensor *a, const pan_tensor *b,
                              const pan_tensor *bias, bool trans_a,
                              bool trans_b, float alpha, float beta);
pan_status pan_compute_conv2d(pan_compute *c, pan_tensor *out,
                              const pan_tensor *x, const pan_tensor *weight,
                              const pan_tensor *bias, int stride, int pad);
pan_status pan_compute_upsample_nearest(pan_compute *c, pan_tensor *out,
                                        const pan_tensor *x, int factor);
pan_status pan_compute_group_norm(pan_compute *c, pan_tensor *out,
                                  const pan_tensor *x, const pan_tensor *gamma,
                                  const pan_tensor *beta, int groups,
                                  float eps);
pan_status pan_compute_layer_norm(pan_compute *c, pan_tensor *out,
                                  const pan_tensor *x, const pan_tensor *gamma,
                                  const pan_tensor *beta, float eps);
pan_status pan_compute_rms_norm(pan_compute *c, pan_tensor *out,
                                const pan_tensor *x, const pan_tensor *gamma,
                                float eps);
pan_status pan_compute_softmax(pan_compute *c, pan_tensor *out,
                               const pan_tensor *x);
pan_status pan_compute_silu(pan_compute *c, pan_tensor *out,
                            const pan_tensor *x);
pan_status pan_compute_gelu(pan_compute *c, pan_tensor *out,
                            const pan_tensor *x, pan_gelu_mode mode);
pan_status pan_compute_swiglu(pan_compute *c, pan_tensor *out,
                              const pan_tensor *gate, const pan_tensor *up);
pan_status pan_compute_rope(pan_compute *c, pan_tensor *out,
                            const pan_tensor *x, const pan_tensor *positions,
                            int dims, float theta);
pan_status pan_compute_modulate(pan_compute *c, pan_tensor *out,
                                const pan_tensor *x, const pan_tensor *shift,
                                const pan_tensor *scale);
pan_status pan_compute_gate_add(pan_compute *c, pan_tensor *out,
                                const pan_tensor *residual, const pan_tensor *y,
                                const pan_tensor *gate);
pan_status pan_compute_embedding(pan_compute *c, pan_tensor *out,
                                 const pan_tensor *table,
                                 const pan_tensor *ids);
pan_status pan_compute_patchify(pan_compute *c, pan_tensor *out,
                                const pan_tensor *image, int patch);
pan_status pan_compute_unpatchify(pan_compute *c, pan_tensor *out,
                                  const pan_tensor *tokens, int patch);

/* Optional attention inputs; zero-initialise and set what is needed. */
typedef struct pan_attention_extra {
    const pan_tensor *kv_len;   /* i32 (B) */
    const pan_tensor *q_block;  /* i32 (Tq), with PAN_ATTENTION_MASK_BLOCK */
    const pan_tensor *k_block;  /* i32 (Tk), with PAN_ATTENTION_MASK_BLOCK */
    const pan_tensor *key_mask; /* u8 (B, Tk) */
    const pan_tensor *q_round;  /* i32 (B, Tq), with PAN_ATTENTION_MASK_ROUNDS */
    const pan_tensor *k_round;  /* i32 (B, Tk), with PAN_ATTENTION_MASK_ROUNDS */
    int round_window;           /* N >= 2, with PAN_ATTENTION_MASK_ROUNDS */
    /* forward only, optional second output: f32 (B, Hq, Tq) log-sum-exp of
     * each query's scores (what pan_compute_attention_backward needs);
     * ignored by the backward */
    pan_tensor *lse;
} pan_attention_extra;

pan_status pan_compute_attention(pan_compute *c, pan_tensor *out,
                                 const pan_tensor *q, const pan_tensor *k,
                                 const pan_tensor *v, pan_attention_mask mask,
                                 float scale, const pan_attention_extra *extra);
pan_status pan_compute_add(pan_compute *c, pan_tensor *out,
                           const pan_tensor *a, const pan_tensor *b);

/* ---- training: reductions, backward passes, losses ----
 * Semantics: backends/backward_args.h. Arguments run inputs, attributes,
 * then outputs. Every gradient output is optional (NULL: not computed),
 * has the shape of the tensor it is the gradient of, and is ACCUMULATED
 * into (+=); gradients never overlap an input or each other. Validation
 * is as strict as the forwards' (INVALID_ARGUMENT naming the op, the
 * tensor and both shapes; nothing written).
 * add's backward is no op of its own: da += dout is
 * pan_compute_add(c, da, da, dout). */

/* out (N) += sum over rows of x, x of any rank 1..4 viewed as (rows, N). */
pan_status pan_compute_sum_rows(pan_compute *c, const pan_tensor *x,
                                pan_tensor *out);

/* The gradients of pan_compute_matmul(out, a, b, bias, trans_a, trans_b,
 * alpha, beta) (beta does not matter): da (a's shape), db (b's shape; a
 * broadcast b sums over the batch), dbias (N). Composed from forward
 * matmuls with beta = 1 and SUM_ROWS, so every backend's matmul serves
 * it. */
pan_status pan_compute_matmul_backward(pan_compute *c, const pan_tensor *dout,
                                       const pan_tensor *a,
                                       const pan_tensor *b, bool trans_a,
                                       bool trans_b, float alpha,
                                       pan_tensor *da, pan_tensor *db,
                                       pan_tensor *dbias);
pan_status pan_compute_conv2d_backward(pan_compute *c, const pan_tensor *x,
                                       const pan_tensor *weight,
                                       const pan_tensor *dout, int stride,
                                       int pad, pan_tensor *dx,
                                       pan_tensor *dweight, pan_tensor *dbias);
pan_status pan_compute_upsample_nearest_backward(pan_compute *c,
                                                 const pan_tensor *dout,
                                                 int factor, pan_tensor *dx);
/* gamma is the forward's (NULL if it had none; then dgamma must be NULL). */
pan_status pan_compute_group_norm_backward(pan_compute *c, const pan_tensor *x,
                                           const pan_tensor *gamma,
                                           const pan_tensor *dout, int groups,
                                           float eps, pan_tensor *dx,
                                           pan_tensor *dgamma,
                                           pan_tensor *dbeta);
pan_status pan_compute_layer_norm_backward(pan_compute *c, const pan_tensor *x,
                                           const pan_tensor *gamma,
                                           const pan_tensor *dout, float eps,
                                           pan_tensor *dx, pan_tensor *dgamma,
                                           pan_tensor *dbeta);
pan_status pan_compute_rms_norm_backward(pan_compute *c, const pan_tensor *x,
                                         const pan_tensor *gamma,
                                         const pan_tensor *dout, float eps,
                                         pan_tensor *dx, pan_tensor *dgamma);
/* y is the forward's output. */
pan_status pan_compute_softmax_backward(pan_compute *c, const pan_tensor *y,
                                        const pan_tensor *dy, pan_tensor *dx);
pan_status pan_compute_silu_backward(pan_compute *c, const pan_tensor *x,
                                     const pan_tensor *dout, pan_tensor *dx);
pan_status pan_compute_gelu_backward(pan_compute *c, const pan_tensor *x,
                                     const pan_tensor *dout,
                                     pan_gelu_mode mode, pan_tensor *dx);
pan_status pan_compute_swiglu_backward(pan_compute *c, const pan_tensor *gate,
                                       const pan_tensor *up,
                                       const pan_tensor *dout,
                                       pan_tensor *dgate, pan_tensor *dup);
pan_status pan_compute_rope_backward(pan_compute *c, const pan_tensor *dout,
                                     const pan_tensor *positions, int dims,
                                     float theta, pan_tensor *dx);
pan_status pan_compute_modulate_backward(pan_compute *c, const pan_tensor *x,
                                         const pan_tensor *scale,
                                         const pan_tensor *dout,
                                         pan_tensor *dx, pan_tensor *dshift,
                                         pan_tensor *dscale);
pan_status pan_compute_gate_add_backward(pan_compute *c, const pan_tensor *y,
                                         const pan_tensor *gate,
                                         const pan_tensor *dout,
                                         pan_tensor *dresidual, pan_tensor *dy,
                                         pan_tensor *dgate);
pan_status pan_compute_embedding_backward(pan_compute *c,
                                          const pan_tensor *ids,
                                          const pan_tensor *dout,
                                          pan_tensor *dtable);
/* dtokens is the gradient of patchify's output, dimage of its input. */
pan_status pan_compute_patchify_backward(pan_compute *c,
                                         const pan_tensor *dtokens, int patch,
                                         pan_tensor *dimage);
pan_status pan_compute_unpatchify_backward(pan_compute *c,
                                           const pan_tensor *dimage, int patch,
                                           pan_tensor *dtokens);
/* out and lse from the forward (extra->lse there); the mask arguments as
 * the forward's (extra->lse is ignored here). */
pan_status pan_compute_attention_backward(
    pan_compute *c, const pan_tensor *q, const pan_tensor *k,
    const pan_tensor *v, const pan_tensor *out, const pan_tensor *dout,
    const pan_tensor *lse, pan_attention_mask mask, float scale,
    const pan_attention_extra *extra, pan_tensor *dq, pan_tensor *dk,
    pan_tensor *dv);
/* loss (1) is written; dpred (pred's shape) += grad_scale * d loss/d pred.
 * pred, target (B, ...); weights (B) or NULL. */
pan_status pan_compute_mse_loss(pan_compute *c, const pan_tensor *pred,
                                const pan_tensor *target,
                                const pan_tensor *weights, float grad_scale,
                                pan_tensor *loss, pan_tensor *dpred);
pan_status pan_compute_l1_loss(pan_compute *c, const pan_tensor *pred,
                               const pan_tensor *target,
                               const pan_tensor *weights, float grad_scale,
                               pan_tensor *loss, pan_tensor *dpred);
/* KL(N(mean, exp(logvar)) || N(0, 1)) averaged over the batch. */
pan_status pan_compute_kl_loss(pan_compute *c, const pan_tensor *mean,
                               const pan_tensor *logvar, float grad_scale,
                               pan_tensor *loss, pan_tensor *dmean,
                               pan_tensor *dlogvar);

#endif
