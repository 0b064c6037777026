/* backends/onednn/onednn_internal.h: state and helpers shared by the files
 * of the oneDNN backend (internal; users go through core/compute.h).
 *
 * Contract
 * - One onednn_state per backend instance: a CPU engine, an in-order
 *   stream, the primitive cache (onednn_cache.h) and one scratchpad buffer
 *   that every primitive shares (primitives are created in user-scratchpad
 *   mode and run one at a time, so sharing is safe).
 * - Every helper checks the oneDNN status and turns a failure into
 *   PAN_ERR_INTERNAL with "onednn <op>: <call> failed: <status name>".
 * - oneDNN uses the OpenMP runtime on Debian: onednn_pd_create and
 *   onednn_run set omp_set_num_threads(n_threads) on the calling thread
 *   before the library creates or runs anything, so the thread count is
 *   always the backend's, whatever other code did in between.
 * - Op entry points (onednn_matmul.c, ...) receive validated arguments
 *   (backends/backend.h) and only ever build primitives on a cache miss.
 */
#ifndef PAN_BACKENDS_ONEDNN_INTERNAL_H
#define PAN_BACKENDS_ONEDNN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <oneapi/dnnl/dnnl.h>

#include "backends/backend.h"
#include "backends/onednn/onednn_cache.h"

#define ONEDNN_CACHE_CAPACITY 256

typedef struct onednn_state {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    int n_threads;
    onednn_cache cache;
    void *scratch;        /* (scratch_bytes) shared scratchpad */
    size_t scratch_bytes;
    float *attention_scratch; /* (attention_floats) tiles' scratch */
    size_t attention_floats;
    float *ones;              /* (ones_count) 1.0f: SUM_ROWS's operand */
    size_t ones_count;
} onednn_state;

static inline onednn_state *onednn_state_of(pan_backend *be) {
    return (onednn_state *)be->impl;
}

/* PAN_OK for dnnl_success, else INTERNAL naming op, call and status. */
pan_status onednn_check(dnnl_status_t status, const char *op,
                        const char *call);

/* A plain f32 descriptor; `strides` NULL means row-major contiguous. */
pan_status onednn_md(dnnl_memory_desc_t *md, int ndims, const int64_t *dims,
                     const int64_t *strides, const char *op);

/* A primitive attribute in user-scratchpad mode (caller destroys it). */
pan_status onednn_attr_create(dnnl_primitive_attr_t *attr, const char *op);

/* Primitive descriptor for an op descriptor; `attr` NULL means the default
 * attribute (user scratchpad). */
pan_status onednn_pd_create(onednn_state *st, dnnl_primitive_desc_t *pd,
                            const void *op_desc, dnnl_primitive_attr_t attr,
                            const char *op);

/* The same with the forward primitive descriptor a backward descriptor
 * needs as its hint (NULL for forwards). */
pan_status onednn_pd_create_hinted(onednn_state *st, dnnl_primitive_desc_t *pd,
                                   const void *op_desc,
                                   dnnl_primitive_attr_t attr,
                                   const_dnnl_primitive_desc_t hint,
                                   const char *op);

/* Reorder primitive descriptor from `src` to `dst` layout; with
 * `accumulate` it adds into dst (a sum post-op) instead of overwriting. */
pan_status onednn_reorder_pd_create(onednn_state *st, dnnl_primitive_desc_t *pd,
                                    const dnnl_memory_desc_t *src,
                                    const dnnl_memory_desc_t *dst,
                                    bool accumulate, const char *op);

/* An entry-owned buffer with its memory object e->mem[mem_slot] in the
 * layout `to` (buffer_to) or `from`, and the reorder e->prim[prim_slot]
 * from `from` to `to`: staging an input into a primitive's layout, or an
 * output back into the user's. */
pan_status onednn_buffered_reorder(onednn_state *st, onednn_entry *e,
                                   const dnnl_memory_desc_t *from,
                                   const dnnl_memory_desc_t *to, bool buffer_to,
                                   int mem_slot, int prim_slot, int buf_slot,
                                   const char *op);

/* Creates e->prim[slot] from `pd` (which stays the caller's) and, when the
 * primitive needs a scratchpad, e->scratch[slot], growing the shared
 * scratchpad to fit. */
pan_status onednn_prim_create(onednn_state *st, onednn_entry *e, int slot,
                              const_dnnl_primitive_desc_t pd, const char *op);

/* A memory object for `md`; `handle` NULL creates it without data. */
pan_status onednn_mem_create(onednn_state *st, dnnl_memory_t *mem,
                             const dnnl_memory_desc_t *md, void *handle,
                             const char *op);

/* 64-byte aligned buffer of at least `bytes` (owned by an entry). */
pan_status onednn_buf_alloc(void **buf, size_t bytes, const char *op);

/* Points `mem` at `ptr` (inputs are never written). */
pan_status onednn_set(dnnl_memory_t mem, const void *ptr, const char *op);

/* Runs e->prim[slot] with `args` (room for one more: the scratchpad is
 * appended here) and waits for it. */
pan_status onednn_run(onednn_state *st, onednn_entry *e, int slot, int nargs,
                      dnnl_exec_arg_t *args, const char *op);

/* The cached entry for `key`; on a miss, a new entry filled by
 * build(st, entry, ctx) (dropped again if build fails). */
typedef pan_status (*onednn_build_fn)(onednn_state *st, onednn_entry *e,
                                      const void *ctx);
pan_status onednn_entry_get(onednn_state *st, const onednn_key *key,
                            onednn_build_fn build, const void *ctx,
                            onednn_entry **out);

/* Entry points (validated args, backends/backend.h). */
pan_status onednn_matmul(pan_backend *be, const pan_matmul_args *args);
pan_status onednn_conv2d(pan_backend *be, const pan_conv2d_args *args);
pan_status onednn_silu(pan_backend *be, const pan_unary_args *args);
pan_status onednn_gelu(pan_backend *be, const pan_unary_args *args);
pan_status onednn_softmax(pan_backend *be, const pan_softmax_args *args);
pan_status onednn_add(pan_backend *be, const pan_binary_args *args);
pan_status onednn_swiglu(pan_backend *be, const pan_binary_args *args);
pan_status onednn_upsample_nearest(pan_backend *be,
                                   const pan_upsample_args *args);
pan_status onednn_layer_norm(pan_backend *be, const pan_norm_args *args);
pan_status onednn_attention(pan_backend *be, const pan_attention_args *args);
pan_status onednn_sum_rows(pan_backend *be, const pan_sum_rows_args *args);
pan_status onednn_conv2d_backward(pan_backend *be,
                                  const pan_conv2d_backward_args *args);
pan_status onednn_attention_backward(pan_backend *be,
                                     const pan_attention_backward_args *args);

#endif
