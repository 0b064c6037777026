/* core/tensor.c: tensor views. */
#include "core/tensor.h"

#include <stdio.h>
#include <string.h>

size_t pan_dtype_size(pan_dtype dtype) {
    switch (dtype) {
    case PAN_DTYPE_F32: return 4;
    case PAN_DTYPE_BF16: return 2;
    case PAN_DTYPE_U8: return 1;
    case PAN_DTYPE_I32: return 4;
    default: return 0;
    }
}

const char *pan_dtype_name(pan_dtype dtype) {
    switch (dtype) {
    case PAN_DTYPE_F32: return "f32";
    case PAN_DTYPE_BF16: return "bf16";
    case PAN_DTYPE_U8: return "u8";
    case PAN_DTYPE_I32: return "i32";
    default: return "invalid";
    }
}

static void set_contiguous_strides(pan_tensor *t) {
    int64_t stride = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        t->stride[d] = stride;
        stride *= t->shape[d];
    }
}

pan_status pan_tensor_init(pan_tensor *t, void *data, pan_dtype dtype,
                           int ndim, const int64_t *shape) {
    if (pan_dtype_size(dtype) == 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "tensor: invalid dtype %d", (int)dtype);
    if (ndim < 0 || ndim > PAN_TENSOR_MAX_DIMS)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "tensor: ndim must be 0..%d, got %d",
                             PAN_TENSOR_MAX_DIMS, ndim);
    int64_t numel = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "tensor: dimension %d is negative (%lld)", d,
                                 (long long)shape[d]);
        if (shape[d] > 0 && numel > INT64_MAX / 16 / shape[d])
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "tensor: element count overflows at dimension %d",
                                 d);
        numel *= shape[d];
    }
    pan_tensor made = {.data = data, .dtype = dtype, .ndim = ndim};
    for (int d = 0; d < ndim; d++) made.shape[d] = shape[d];
    set_contiguous_strides(&made);
    *t = made;
    return PAN_OK;
}

int64_t pan_tensor_numel(const pan_tensor *t) {
    int64_t numel = 1;
    for (int d = 0; d < t->ndim; d++) numel *= t->shape[d];
    return numel;
}

size_t pan_tensor_nbytes(const pan_tensor *t) {
    return (size_t)pan_tensor_numel(t) * pan_dtype_size(t->dtype);
}

bool pan_tensor_is_contiguous(const pan_tensor *t) {
    int64_t stride = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        if (t->shape[d] != 1 && t->stride[d] != stride) return false;
        stride *= t->shape[d];
    }
    return true;
}

bool pan_tensor_same_shape(const pan_tensor *a, const pan_tensor *b) {
    if (a->ndim != b->ndim) return false;
    for (int d = 0; d < a->ndim; d++)
        if (a->shape[d] != b->shape[d]) return false;
    return true;
}

char *pan_tensor_shape_str(const pan_tensor *t, char *buf, size_t size) {
    size_t used = 0;
    if (size == 0) return buf;
    buf[0] = '\0';
    used += (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < t->ndim && used < size; d++)
        used += (size_t)snprintf(buf + used, size - used, d ? ",%lld" : "%lld",
                                 (long long)t->shape[d]);
    if (used < size) snprintf(buf + used, size - used, "]");
    return buf;
}

pan_status pan_tensor_reshape(const pan_tensor *t, int ndim,
                              const int64_t *shape, pan_tensor *out) {
    char have[64];
    if (!pan_tensor_is_contiguous(t))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "tensor reshape: '%s' %s is not contiguous",
                             t->name ? t->name : "?",
                             pan_tensor_shape_str(t, have, sizeof have));
    pan_tensor made;
    pan_status status = pan_tensor_init(&made, t->data, t->dtype, ndim, shape);
    if (status != PAN_OK) return status;
    if (pan_tensor_numel(&made) != pan_tensor_numel(t)) {
        char want[64];
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "tensor reshape: '%s' %s cannot become %s "
                             "(element counts differ)",
                             t->name ? t->name : "?",
                             pan_tensor_shape_str(t, have, sizeof have),
                             pan_tensor_shape_str(&made, want, sizeof want));
    }
    made.name = t->name;
    *out = made;
    return PAN_OK;
}

pan_status pan_tensor_slice(const pan_tensor *t, int dim, int64_t start,
                            int64_t length, pan_tensor *out) {
    if (dim < 0 || dim >= t->ndim)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "tensor slice: dim %d out of range for %d-D tensor",
                             dim, t->ndim);
    if (start < 0 || length < 0 || start > t->shape[dim] - length)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "tensor slice: start %lld, length %lld is outside "
                             "dimension %d of size %lld",
                             (long long)start, (long long)length, dim,
                             (long long)t->shape[dim]);
    pan_tensor made = *t;
    made.data = (char *)t->data +
                (size_t)(start * t->stride[dim]) * pan_dtype_size(t->dtype);
    made.shape[dim] = length;
    *out = made;
    return PAN_OK;
}

pan_status pan_tensor_transpose(const pan_tensor *t, int d0, int d1,
                                pan_tensor *out) {
    if (d0 < 0 || d0 >= t->ndim || d1 < 0 || d1 >= t->ndim)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "tensor transpose: dims (%d, %d) out of range "
                             "for %d-D tensor",
                             d0, d1, t->ndim);
    pan_tensor made = *t;
    made.shape[d0] = t->shape[d1];
    made.shape[d1] = t->shape[d0];
    made.stride[d0] = t->stride[d1];
    made.stride[d1] = t->stride[d0];
    *out = made;
    return PAN_OK;
}

void *pan_tensor_at(const pan_tensor *t, const int64_t *index) {
    int64_t offset = 0;
    for (int d = 0; d < t->ndim; d++) offset += index[d] * t->stride[d];
    return (char *)t->data + (size_t)offset * pan_dtype_size(t->dtype);
}
