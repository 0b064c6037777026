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
} pan_compute_options;

pan_status pan_compute_create(pan_compute **out,
                              const pan_compute_options *options);
void pan_compute_destroy(pan_compute *c);

/* The name given at creation ("auto" resolved stays "auto"). */
const char *pan_compute_backend_name(const pan_compute *c);
int pan_compute_threads(const pan_compute *c);
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
} pan_attention_extra;

pan_status pan_compute_attention(pan_compute *c, pan_tensor *out,
                                 const pan_tensor *q, const pan_tensor *k,
                                 const pan_tensor *v, pan_attention_mask mask,
                                 float scale, const pan_attention_extra *extra);
pan_status pan_compute_add(pan_compute *c, pan_tensor *out,
                           const pan_tensor *a, const pan_tensor *b);

#endif
