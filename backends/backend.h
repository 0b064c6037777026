/* backends/backend.h: the compute backend interface (one small vtable).
 *
 * Contract
 * - A backend is a pan_backend: a vtable of op entry points plus private
 *   state. `ref` (plain C, the oracle) implements every op; `openblas` and
 *   `onednn` implement only what they do faster. A NULL entry point means
 *   "not supported"; `supports_op` may also refuse particular arguments.
 *   Callers never call entry points directly: core/compute.h validates the
 *   arguments, picks a backend and falls back to ref.
 * - Entry points receive arguments that core/compute.c has ALREADY
 *   validated: every tensor is contiguous, f32 unless stated, with the
 *   shapes documented below, and the derived sizes (m, n, k, ...) filled
 *   in. A backend never re-checks shapes; it returns PAN_OK, or an error
 *   (with pan_error_set) only for its own failures (allocation, a library
 *   call failing). It never exits.
 * - Outputs never alias inputs unless an op says "in place allowed".
 * - Training ops (PAN_OP_SUM_ROWS and after: backward passes and losses,
 *   backends/backward_args.h) ACCUMULATE into their gradient outputs.
 * - Memory: buffers come from `buffer_alloc` (64-byte aligned host memory for
 *   all CPU backends) or from any other aligned host memory.
 * - Thread safety: a backend instance is used by one thread at a time.
 *   Different instances may run concurrently.
 * - Determinism: for the same inputs, backend and thread count, an entry
 *   point produces bit-identical outputs.
 * - Reduced precision is opt-in, per backend instance: `bf16_matmul` (set
 *   by core/compute.c from pan_compute_options before the first op) lets
 *   the onednn backend round matmul inputs to bf16 (f32 accumulation and
 *   output; docs/backends.md). Every other backend ignores it.
 *
 * Layout conventions (shapes in elements, row-major):
 *   images  (N, C, H, W)         tokens  (B, T, C)
 *   heads   (B, T, H, D): attention reads q/k/v in the layout the linear
 *           projections produce, so no transposes are needed.
 */
#ifndef PAN_BACKENDS_BACKEND_H
#define PAN_BACKENDS_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "core/tensor.h"

typedef struct pan_threadpool pan_threadpool;

typedef enum pan_op {
    PAN_OP_MATMUL = 0,
    PAN_OP_CONV2D,
    PAN_OP_UPSAMPLE_NEAREST,
    PAN_OP_GROUP_NORM,
    PAN_OP_LAYER_NORM,
    PAN_OP_RMS_NORM,
    PAN_OP_SOFTMAX,
    PAN_OP_SILU,
    PAN_OP_GELU,
    PAN_OP_SWIGLU,
    PAN_OP_ROPE,
    PAN_OP_MODULATE,
    PAN_OP_GATE_ADD,
    PAN_OP_EMBEDDING,
    PAN_OP_PATCHIFY,
    PAN_OP_UNPATCHIFY,
    PAN_OP_ATTENTION,
    PAN_OP_ADD,
    /* training (backends/backward_args.h): from here on every op is a
     * reduction, a backward or a loss */
    PAN_OP_SUM_ROWS,
    PAN_OP_CONV2D_BACKWARD,
    PAN_OP_UPSAMPLE_NEAREST_BACKWARD,
    PAN_OP_GROUP_NORM_BACKWARD,
    PAN_OP_LAYER_NORM_BACKWARD,
    PAN_OP_RMS_NORM_BACKWARD,
    PAN_OP_SOFTMAX_BACKWARD,
    PAN_OP_SILU_BACKWARD,
    PAN_OP_GELU_BACKWARD,
    PAN_OP_SWIGLU_BACKWARD,
    PAN_OP_ROPE_BACKWARD,
    PAN_OP_MODULATE_BACKWARD,
    PAN_OP_GATE_ADD_BACKWARD,
    PAN_OP_EMBEDDING_BACKWARD,
    PAN_OP_PATCHIFY_BACKWARD,
    PAN_OP_UNPATCHIFY_BACKWARD,
    PAN_OP_ATTENTION_BACKWARD,
    PAN_OP_MSE_LOSS,
    PAN_OP_L1_LOSS,
    PAN_OP_KL_LOSS,
    PAN_OP_COUNT
} pan_op;

/* The first op that is not an inference forward (PAN_OP_SUM_ROWS). */
#define PAN_OP_FIRST_TRAINING PAN_OP_SUM_ROWS

/* "matmul", "conv2d", ..., "conv2d_backward", "mse_loss"; NULL for an
 * invalid op. */
const char *pan_op_name(pan_op op);

/* out[b] = alpha * op(a[b]) @ op(b[b]) + bias + beta * out[b]
 *   a    (batch, M, K), or (batch, K, M) when trans_a; batch may be absent
 *   b    (batch_b, K, N), or (batch_b, N, K) when trans_b; batch_b is batch
 *        or 1/absent (broadcast: one weight matrix for every batch)
 *   bias (N) or NULL
 *   out  (batch, M, N)
 *   beta is 0 (overwrite) or 1 (accumulate). */
typedef struct pan_matmul_args {
    const pan_tensor *a, *b, *bias;
    pan_tensor *out;
    bool trans_a, trans_b;
    float alpha, beta;
    /* derived */
    int64_t batch, m, n, k;
    bool b_broadcast; /* one b for every batch */
} pan_matmul_args;

/* 2-D convolution, groups = 1, dilation = 1, zero padding.
 *   x (N, C, H, W), weight (OC, C, KH, KW), bias (OC) or NULL,
 *   out (N, OC, OH, OW), OH = (H + 2*pad_h - KH) / stride_h + 1. */
typedef struct pan_conv2d_args {
    const pan_tensor *x, *weight, *bias;
    pan_tensor *out;
    int stride_h, stride_w, pad_h, pad_w;
    /* derived */
    int64_t n, c, h, w, oc, kh, kw, oh, ow;
} pan_conv2d_args;

/* Nearest-neighbour upsampling by an integer factor.
 *   x (N, C, H, W) -> out (N, C, H*factor, W*factor) */
typedef struct pan_upsample_args {
    const pan_tensor *x;
    pan_tensor *out;
    int factor;
    /* derived */
    int64_t n, c, h, w;
} pan_upsample_args;

/* Normalisations (all statistics in f32, biased variance):
 * GROUP_NORM: x (N, C, ...) viewed as (N, groups, C/groups * L), per-channel
 *             gamma/beta (C) or NULL.                     rows = N*groups
 * LAYER_NORM: x (..., D), gamma/beta (D) or NULL.          rows = numel/D
 * RMS_NORM:   x (..., D), gamma (D) required, beta NULL;
 *             out = x * rsqrt(mean(x^2) + eps) * gamma     rows = numel/D
 * In place allowed (out == x). */
typedef struct pan_norm_args {
    const pan_tensor *x, *gamma, *beta;
    pan_tensor *out;
    float eps;
    int groups; /* GROUP_NORM only */
    /* derived */
    int64_t rows, cols;          /* LAYER/RMS: numel/D x D */
    int64_t n, channels, spatial; /* GROUP: N, C, L */
} pan_norm_args;

/* Softmax over the last dimension: x (rows, cols) flattened; in place
 * allowed. */
typedef struct pan_softmax_args {
    const pan_tensor *x;
    pan_tensor *out;
    /* derived */
    int64_t rows, cols;
} pan_softmax_args;

/* Elementwise unary: SILU x*sigmoid(x); GELU exact (erf) or tanh
 * approximation. Any shape; in place allowed. */
typedef enum pan_gelu_mode { PAN_GELU_ERF = 0, PAN_GELU_TANH } pan_gelu_mode;
typedef struct pan_unary_args {
    const pan_tensor *x;
    pan_tensor *out;
    pan_gelu_mode gelu_mode;
    /* derived */
    int64_t count;
} pan_unary_args;

/* Elementwise binary over equal shapes:
 * ADD:    out = a + b          (residual add; in place allowed)
 * SWIGLU: out = silu(a) * b    (a = gate, b = up; in place allowed) */
typedef struct pan_binary_args {
    const pan_tensor *a, *b;
    pan_tensor *out;
    /* derived */
    int64_t count;
} pan_binary_args;

/* Rotary position embedding, "rotate half" convention (Hugging Face Qwen2):
 * for a vector of D values, pair i with i + D/2 (i < D/2) and rotate by
 * angle pos * theta^(-2i/D).
 *   x, out    (B, T, H, D); in place allowed
 *   positions i32 (B, T) when dims == 1;
 *             i32 (B, T, 2) when dims == 2 (row, column): the first D/2
 *             values rotate by row, the second D/2 by column, each half with
 *             the 1-D rule above applied to D/2 values. D % (2*dims) == 0. */
typedef struct pan_rope_args {
    const pan_tensor *x, *positions;
    pan_tensor *out;
    float theta;
    int dims; /* 1 or 2 */
    /* derived */
    int64_t batch, tokens, heads, head_dim;
} pan_rope_args;

/* adaLN:
 * MODULATE: out = x * (1 + scale) + shift
 *           x, out (B, T, C); shift, scale (B, C)          in place allowed
 * GATE_ADD: out = residual + gate * y
 *           residual, y, out (B, T, C); gate (B, C); out may be residual
 *           or y (elementwise, so either in-place form is safe) */
typedef struct pan_modulate_args {
    const pan_tensor *x, *shift, *scale;
    pan_tensor *out;
    /* derived */
    int64_t batch, tokens, channels;
} pan_modulate_args;

typedef struct pan_gate_add_args {
    const pan_tensor *residual, *y, *gate;
    pan_tensor *out;
    /* derived */
    int64_t batch, tokens, channels;
} pan_gate_add_args;

/* Embedding lookup: table (V, D), ids i32 (any shape, N values, each in
 * [0, V) -- checked by the dispatcher), out (ids shape..., D). */
typedef struct pan_embedding_args {
    const pan_tensor *table, *ids;
    pan_tensor *out;
    /* derived */
    int64_t count, vocab, dim;
} pan_embedding_args;

/* Patches, DiT/ViT order: token index = py * (W/p) + px, value index
 * = c * p*p + dy * p + dx.
 * PATCHIFY:   image (N, C, H, W) -> tokens (N, (H/p)*(W/p), C*p*p)
 * UNPATCHIFY: tokens -> image (the exact inverse); H, W from the image. */
typedef struct pan_patch_args {
    const pan_tensor *in;
    pan_tensor *out;
    int patch;
    /* derived */
    int64_t n, c, h, w;
} pan_patch_args;

/* Scaled dot-product attention with grouped-query heads.
 *   q    (B, Tq, Hq, D)
 *   k, v (B, Tk, Hkv, D); Hq % Hkv == 0; query head h reads kv head
 *        h / (Hq / Hkv)
 *   out  (B, Tq, Hq, D)
 *   kv_len  i32 (B) or NULL: only keys [0, kv_len[b]) exist for batch b
 *           (a KV cache of capacity Tk); NULL means Tk.
 *   mask:
 *     NONE     every existing key (cross-attention)
 *     CAUSAL   query i sits at absolute position kv_len[b] - Tq + i and sees
 *              keys at positions <= its own
 *     BLOCK    query i sees key j iff k_block[j] <= q_block[i]
 *              (chunk-wise causal); q_block i32 (Tq), k_block i32 (Tk)
 *     ROUNDS   the backbone's teacher-forced training mask (docs/model.md,
 *              "History, KV cache and eviction"): query i sees key j iff
 *              it would under CAUSAL and (k_round[b][j] == 0 or
 *              k_round[b][j] >= q_round[b][i] - round_window + 2), i.e. a
 *              token of round r sees round 0, rounds max(1, r-N+2)..r-1
 *              and its own round up to itself; q_round i32 (B, Tq),
 *              k_round i32 (B, Tk), round_window N >= 2
 *   key_mask u8 (B, Tk) or NULL: additionally hides keys whose entry is 0
 *            (padding).
 * A query that sees no key at all gets an output of zeros.
 * scale: multiplies q.k (usually 1/sqrt(D)). */
typedef enum pan_attention_mask {
    PAN_ATTENTION_MASK_NONE = 0,
    PAN_ATTENTION_MASK_CAUSAL,
    PAN_ATTENTION_MASK_BLOCK,
    PAN_ATTENTION_MASK_ROUNDS
} pan_attention_mask;

/*   lse  f32 (B, Hq, Tq) or NULL: optional second output, the natural log
 *        of sum_j exp(scale * q_i.k_j) over the keys query i sees
 *        (-INFINITY when it sees none): what ATTENTION_BACKWARD needs. A
 *        backend that cannot write it refuses the call in supports_op. */
typedef struct pan_attention_args {
    const pan_tensor *q, *k, *v;
    pan_tensor *out;
    pan_tensor *lse;
    const pan_tensor *kv_len, *q_block, *k_block, *key_mask;
    const pan_tensor *q_round, *k_round; /* ROUNDS only */
    int round_window;                    /* ROUNDS only */
    pan_attention_mask mask;
    float scale;
    /* derived */
    int64_t batch, q_len, kv_capacity, q_heads, kv_heads, head_dim;
} pan_attention_args;

#include "backends/backward_args.h"

typedef struct pan_backend pan_backend;

typedef struct pan_backend_vtable {
    const char *name;
    void (*destroy)(pan_backend *be);
    void *(*buffer_alloc)(pan_backend *be, size_t bytes);
    void (*buffer_free)(pan_backend *be, void *ptr);
    /* NULL means: every op with a non-NULL entry point, any arguments.
     * `args` points to the op's args struct (validated, derived filled). */
    bool (*supports_op)(pan_backend *be, pan_op op, const void *args);

    pan_status (*matmul)(pan_backend *be, const pan_matmul_args *args);
    pan_status (*conv2d)(pan_backend *be, const pan_conv2d_args *args);
    pan_status (*upsample_nearest)(pan_backend *be, const pan_upsample_args *args);
    pan_status (*group_norm)(pan_backend *be, const pan_norm_args *args);
    pan_status (*layer_norm)(pan_backend *be, const pan_norm_args *args);
    pan_status (*rms_norm)(pan_backend *be, const pan_norm_args *args);
    pan_status (*softmax)(pan_backend *be, const pan_softmax_args *args);
    pan_status (*silu)(pan_backend *be, const pan_unary_args *args);
    pan_status (*gelu)(pan_backend *be, const pan_unary_args *args);
    pan_status (*swiglu)(pan_backend *be, const pan_binary_args *args);
    pan_status (*rope)(pan_backend *be, const pan_rope_args *args);
    pan_status (*modulate)(pan_backend *be, const pan_modulate_args *args);
    pan_status (*gate_add)(pan_backend *be, const pan_gate_add_args *args);
    pan_status (*embedding)(pan_backend *be, const pan_embedding_args *args);
    pan_status (*patchify)(pan_backend *be, const pan_patch_args *args);
    pan_status (*unpatchify)(pan_backend *be, const pan_patch_args *args);
    pan_status (*attention)(pan_backend *be, const pan_attention_args *args);
    pan_status (*add)(pan_backend *be, const pan_binary_args *args);
    /* training (backends/backward_args.h) */
    pan_status (*sum_rows)(pan_backend *be, const pan_sum_rows_args *args);
    pan_status (*conv2d_backward)(pan_backend *be,
                                  const pan_conv2d_backward_args *args);
    pan_status (*upsample_nearest_backward)(
        pan_backend *be, const pan_upsample_backward_args *args);
    pan_status (*group_norm_backward)(pan_backend *be,
                                      const pan_norm_backward_args *args);
    pan_status (*layer_norm_backward)(pan_backend *be,
                                      const pan_norm_backward_args *args);
    pan_status (*rms_norm_backward)(pan_backend *be,
                                    const pan_norm_backward_args *args);
    pan_status (*softmax_backward)(pan_backend *be,
                                   const pan_softmax_backward_args *args);
    pan_status (*silu_backward)(pan_backend *be,
                                const pan_unary_backward_args *args);
    pan_status (*gelu_backward)(pan_backend *be,
                                const pan_unary_backward_args *args);
    pan_status (*swiglu_backward)(pan_backend *be,
                                  const pan_swiglu_backward_args *args);
    pan_status (*rope_backward)(pan_backend *be,
                                const pan_rope_backward_args *args);
    pan_status (*modulate_backward)(pan_backend *be,
                                    const pan_modulate_backward_args *args);
    pan_status (*gate_add_backward)(pan_backend *be,
                                    const pan_gate_add_backward_args *args);
    pan_status (*embedding_backward)(pan_backend *be,
                                     const pan_embedding_backward_args *args);
    pan_status (*patchify_backward)(pan_backend *be,
                                    const pan_patch_backward_args *args);
    pan_status (*unpatchify_backward)(pan_backend *be,
                                      const pan_patch_backward_args *args);
    pan_status (*attention_backward)(pan_backend *be,
                                     const pan_attention_backward_args *args);
    pan_status (*mse_loss)(pan_backend *be, const pan_loss_args *args);
    pan_status (*l1_loss)(pan_backend *be, const pan_loss_args *args);
    pan_status (*kl_loss)(pan_backend *be, const pan_loss_args *args);
} pan_backend_vtable;

struct pan_backend {
    const pan_backend_vtable *vtable;
    pan_threadpool *pool; /* shared, not owned; may be NULL (serial) */
    int n_threads;        /* threads the backend's library may use */
    bool bf16_matmul;     /* opt-in bf16 matmul inputs (onednn only;
                             false after creation, read at every matmul) */
    void *impl;           /* backend-private state */
};

/* Constructors, one per backend. `pool` may be NULL. A backend that was not
 * compiled in (PAN_WITH_ONEDNN=OFF) returns UNIMPLEMENTED. */
pan_status pan_backend_ref_create(pan_backend **out, pan_threadpool *pool,
                                  int n_threads);
pan_status pan_backend_openblas_create(pan_backend **out, pan_threadpool *pool,
                                       int n_threads);
pan_status pan_backend_onednn_create(pan_backend **out, pan_threadpool *pool,
                                     int n_threads);

/* Creates a backend by name: "ref", "openblas" or "onednn". */
pan_status pan_backend_create(pan_backend **out, const char *name,
                              pan_threadpool *pool, int n_threads);
void pan_backend_destroy(pan_backend *be);

/* True when `be` has an entry point for `op` and accepts these args. */
bool pan_backend_supports(pan_backend *be, pan_op op, const void *args);

/* Calls the entry point for `op`; UNIMPLEMENTED if there is none. */
pan_status pan_backend_run(pan_backend *be, pan_op op, const void *args);

/* Names of the backends compiled into this build, in the order "auto"
 * prefers them; NULL-terminated. */
const char *const *pan_backend_names(void);

#endif
