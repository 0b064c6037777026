/* core/compute_check.c: the argument checks every public op shares
 * (contract: core/compute_internal.h). */
#include <math.h>
#include <stdio.h>

#include "core/compute_internal.h"

const char *pan_shape_str(const pan_tensor *t, char buf[SHAPE_STR_MAX]) {
    return pan_tensor_shape_str(t, buf, SHAPE_STR_MAX);
}

/* "what" must be non-NULL, of `dtype`, with ndim in [min_ndim, max_ndim],
 * contiguous, and with data when it has elements. */
pan_status pan_need(const char *op, const char *what, const pan_tensor *t,
                       pan_dtype dtype, int min_ndim, int max_ndim) {
    char have[SHAPE_STR_MAX];
    if (!t)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "%s: '%s' is NULL", op,
                             what);
    if (t->dtype != dtype)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: '%s' has dtype %s, expected %s", op, what,
                             pan_dtype_name(t->dtype), pan_dtype_name(dtype));
    if (t->ndim < min_ndim || t->ndim > max_ndim)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: '%s' has shape %s (%d-D), expected %d-D to "
                             "%d-D",
                             op, what, pan_shape_str(t, have), t->ndim, min_ndim,
                             max_ndim);
    if (!pan_tensor_is_contiguous(t))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: '%s' with shape %s is not contiguous", op,
                             what, pan_shape_str(t, have));
    if (!t->data && pan_tensor_numel(t) > 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: '%s' has no data", op, what);
    return PAN_OK;
}

/* `t` must have exactly the shape `ndim`/`dims`. */
pan_status pan_need_shape(const char *op, const char *what,
                             const pan_tensor *t, int ndim,
                             const int64_t *dims) {
    pan_tensor want = {.ndim = ndim};
    for (int d = 0; d < ndim; d++) want.shape[d] = dims[d];
    if (pan_tensor_same_shape(t, &want)) return PAN_OK;
    char have[SHAPE_STR_MAX], expect[SHAPE_STR_MAX];
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                         "%s: '%s' has shape %s, expected %s", op, what,
                         pan_shape_str(t, have), pan_shape_str(&want, expect));
}

pan_status pan_need_same_shape(const char *op, const char *what,
                                  const pan_tensor *t, const char *ref_name,
                                  const pan_tensor *ref) {
    if (pan_tensor_same_shape(t, ref)) return PAN_OK;
    char have[SHAPE_STR_MAX], expect[SHAPE_STR_MAX];
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                         "%s: '%s' has shape %s, expected %s (the shape of "
                         "'%s')",
                         op, what, pan_shape_str(t, have), pan_shape_str(ref, expect),
                         ref_name);
}

bool pan_overlaps(const pan_tensor *a, const pan_tensor *b) {
    if (!a || !b || !a->data || !b->data) return false;
    const char *a0 = a->data, *a1 = a0 + pan_tensor_nbytes(a);
    const char *b0 = b->data, *b1 = b0 + pan_tensor_nbytes(b);
    return a0 < b1 && b0 < a1;
}

pan_status pan_need_no_alias(const char *op, const pan_tensor *out,
                                const char *what, const pan_tensor *in) {
    if (!pan_overlaps(out, in)) return PAN_OK;
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                         "%s: 'out' overlaps '%s' in memory; this op cannot "
                         "run in place",
                         op, what);
}

/* In-place ops accept out == in exactly, but not a partial overlap. */
pan_status pan_need_same_or_disjoint(const char *op, const pan_tensor *out,
                                        const char *what, const pan_tensor *in) {
    if (!pan_overlaps(out, in) || out->data == in->data) return PAN_OK;
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                         "%s: 'out' partially overlaps '%s' in memory", op,
                         what);
}

pan_status pan_need_int_range(const char *op, const char *what, long long v,
                                 long long lo, long long hi) {
    if (v >= lo && v <= hi) return PAN_OK;
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                         "%s: %s must be in [%lld, %lld], got %lld", op, what,
                         lo, hi, v);
}

pan_status pan_need_finite(const char *op, const char *what, float v) {
    if (isfinite(v)) return PAN_OK;
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                         "%s: %s must be finite, got %g", op, what, (double)v);
}


pan_status pan_need_disjoint(const char *op, const pan_named_tensor *outs,
                             int n_outs, const pan_named_tensor *ins,
                             int n_ins) {
    for (int o = 0; o < n_outs; o++) {
        if (!outs[o].t) continue;
        for (int i = 0; i < n_ins; i++)
            if (pan_overlaps(outs[o].t, ins[i].t))
                return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                     "%s: gradient '%s' overlaps input '%s' "
                                     "in memory",
                                     op, outs[o].name, ins[i].name);
        for (int p = o + 1; p < n_outs; p++)
            if (pan_overlaps(outs[o].t, outs[p].t))
                return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                     "%s: gradients '%s' and '%s' overlap in "
                                     "memory",
                                     op, outs[o].name, outs[p].name);
    }
    return PAN_OK;
}
