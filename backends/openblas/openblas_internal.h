/* backends/openblas/openblas_internal.h: state and helpers shared by the
 * openblas backend's files. Internal to backends/openblas/.
 *
 * Contract
 * - pan_openblas is the backend's private state (pan_backend.impl): one
 *   scratch buffer, grown only when a larger shape arrives, never freed
 *   between calls. An instance is used by one thread at a time
 *   (backends/backend.h), so the scratch needs no lock.
 * - Threads: plain ops let OpenBLAS thread inside sgemm with n_threads.
 *   pan_openblas_parallel instead runs independent work items on the pan
 *   thread pool, one single-threaded OpenBLAS call per item. With the
 *   OpenMP build of OpenBLAS (what CMake links) that is automatic: OpenBLAS
 *   runs serially inside the pool's OpenMP parallel region. With the
 *   pthread build, OpenBLAS is set to one thread for the duration; that
 *   setting is process-global, so another pan_compute running sgemm on
 *   another thread at that moment may run single-threaded for the window
 *   (same results, only slower).
 * - Determinism: work items depend only on the shapes, never on the thread
 *   count, and each item writes its own outputs, so results are the same
 *   for every thread count (OpenBLAS splits M and N among its threads, never
 *   K, so its sums do not depend on its thread count either).
 */
#ifndef PAN_BACKENDS_OPENBLAS_INTERNAL_H
#define PAN_BACKENDS_OPENBLAS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "backends/backend.h"

typedef struct pan_openblas {
    float *scratch;        /* 64-byte aligned, scratch_cap floats */
    size_t scratch_cap;
    int n_slots;           /* pool size: parallel workers incl. the caller */
} pan_openblas;

/* The largest dimension or leading dimension cblas (32-bit int) takes. */
#define PAN_OPENBLAS_MAX_DIM ((int64_t)2147483647)

/* Scratch of at least `floats` floats; grows (and keeps) the buffer when
 * needed. Returns NULL with RESOURCE_EXHAUSTED set on failure. The pointer
 * stays valid until the next call. */
float *pan_openblas_scratch(pan_backend *be, size_t floats, const char *op);

/* Floats per parallel slot rounded up to a 64-byte multiple. */
size_t pan_openblas_slot_floats(size_t floats);

/* Makes OpenBLAS use the backend's thread count (another instance may have
 * changed the process-global setting). */
void pan_openblas_use_threads(pan_backend *be);

/* fn(ctx, item, slot) for every item in [0, n_items): slot < n_slots
 * identifies the worker (its scratch). Items are handed out in increasing
 * order, so put the most expensive first. With a pool of more than one
 * thread and n_items > 1 the items run on the pool with OpenBLAS
 * single-threaded; otherwise serially on slot 0. */
typedef void (*pan_openblas_item_fn)(void *ctx, int64_t item, int slot);
void pan_openblas_parallel(pan_backend *be, int64_t n_items,
                           pan_openblas_item_fn fn, void *ctx);

/* Number of slots pan_openblas_parallel may use for n_items. */
int pan_openblas_slots(pan_backend *be, int64_t n_items);

pan_status pan_openblas_matmul(pan_backend *be, const pan_matmul_args *args);
pan_status pan_openblas_conv2d(pan_backend *be, const pan_conv2d_args *args);
pan_status pan_openblas_attention(pan_backend *be,
                                  const pan_attention_args *args);
pan_status pan_openblas_rms_norm(pan_backend *be, const pan_norm_args *args);
pan_status pan_openblas_attention_backward(
    pan_backend *be, const pan_attention_backward_args *args);
pan_status pan_openblas_sum_rows(pan_backend *be,
                                 const pan_sum_rows_args *args);

#endif
