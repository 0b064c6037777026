/* core/tensor.h: a typed, shaped, strided view of memory.
 *
 * Contract
 * - A pan_tensor never owns its data: memory comes from an arena
 *   (core/arena.h), a mapped file or the caller. Copying the struct copies the
 *   view, not the data.
 * - Up to PAN_TENSOR_MAX_DIMS dimensions, row-major (C order). Strides are in
 *   elements. pan_tensor_init makes a contiguous view; the view functions
 *   derive new views (reshape, slice, transpose) without copying.
 * - dtype F32 is what every op computes in today; BF16, U8 and I32 exist for
 *   checkpoints, frames and token ids.
 * - `name` is optional and only used in error messages.
 * - Functions that can fail return pan_status and set the error message
 *   (core/status.h); they never modify their output on failure.
 * - Thread safety: plain data; no shared state.
 */
#ifndef PAN_CORE_TENSOR_H
#define PAN_CORE_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

#define PAN_TENSOR_MAX_DIMS 4

typedef enum pan_dtype {
    PAN_DTYPE_F32 = 0,
    PAN_DTYPE_BF16,
    PAN_DTYPE_U8,
    PAN_DTYPE_I32,
    PAN_DTYPE_COUNT
} pan_dtype;

typedef struct pan_tensor {
    void *data;
    pan_dtype dtype;
    int ndim;                              /* 0..4; 0 is a scalar */
    int64_t shape[PAN_TENSOR_MAX_DIMS];
    int64_t stride[PAN_TENSOR_MAX_DIMS];   /* in elements */
    const char *name;                      /* optional, for messages */
} pan_tensor;

/* A shape literal: pan_tensor_init(&t, p, PAN_DTYPE_F32, 2, PAN_SHAPE(3, 4)) */
#define PAN_SHAPE(...) ((const int64_t[]){__VA_ARGS__})

size_t pan_dtype_size(pan_dtype dtype);        /* 0 for an invalid dtype */
const char *pan_dtype_name(pan_dtype dtype);   /* "f32", "bf16", "u8", "i32" */

/* Contiguous view of `data` with the given shape. Fails on ndim outside
 * 0..4, a negative dimension, an invalid dtype, or a size that overflows. */
pan_status pan_tensor_init(pan_tensor *t, void *data, pan_dtype dtype,
                           int ndim, const int64_t *shape);

int64_t pan_tensor_numel(const pan_tensor *t);
size_t pan_tensor_nbytes(const pan_tensor *t); /* numel * dtype size */
bool pan_tensor_is_contiguous(const pan_tensor *t);
bool pan_tensor_same_shape(const pan_tensor *a, const pan_tensor *b);

/* Writes "[2,3,4]" into buf (always NUL-terminated); returns buf. */
char *pan_tensor_shape_str(const pan_tensor *t, char *buf, size_t size);

/* New view with another shape of the same element count; `t` must be
 * contiguous. */
pan_status pan_tensor_reshape(const pan_tensor *t, int ndim,
                              const int64_t *shape, pan_tensor *out);

/* View of elements [start, start+length) along `dim`. */
pan_status pan_tensor_slice(const pan_tensor *t, int dim, int64_t start,
                            int64_t length, pan_tensor *out);

/* View with dimensions d0 and d1 swapped (not contiguous in general). */
pan_status pan_tensor_transpose(const pan_tensor *t, int d0, int d1,
                                pan_tensor *out);

/* Pointer to element at `index` (ndim entries); no bounds check. */
void *pan_tensor_at(const pan_tensor *t, const int64_t *index);

#endif
