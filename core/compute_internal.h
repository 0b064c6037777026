/* core/compute_internal.h: the step between validation and backends, and
 * the argument checks the op files share. Internal to core/compute*.c.
 *
 * Contract
 * - pan_compute_dispatch runs `op` with already-validated `args` on the
 *   backend pan_compute_pick chooses; it records the backend's name for
 *   pan_compute_last_backend.
 * - Every pan_need* check returns PAN_OK or INVALID_ARGUMENT with a
 *   message naming the op (`op`), the tensor (`what`), what was expected
 *   and what was found. Checks never write anything.
 * - TRY(expr) returns from the calling function on the first failure.
 */
#ifndef PAN_CORE_COMPUTE_INTERNAL_H
#define PAN_CORE_COMPUTE_INTERNAL_H

#include "core/compute.h"

pan_status pan_compute_dispatch(pan_compute *c, pan_op op, const void *args);

#define SHAPE_STR_MAX 64

#define TRY(expr)                                                              \
    do {                                                                       \
        pan_status try_status_ = (expr);                                       \
        if (try_status_ != PAN_OK) return try_status_;                         \
    } while (0)

/* "[2,3,4]" */
const char *pan_shape_str(const pan_tensor *t, char buf[SHAPE_STR_MAX]);

/* Non-NULL, `dtype`, rank in [min_ndim, max_ndim], contiguous, with data
 * when it has elements. */
pan_status pan_need(const char *op, const char *what, const pan_tensor *t,
                    pan_dtype dtype, int min_ndim, int max_ndim);
/* Exactly the shape (ndim, dims). */
pan_status pan_need_shape(const char *op, const char *what,
                          const pan_tensor *t, int ndim, const int64_t *dims);
/* The shape of `ref` (named ref_name in the message). */
pan_status pan_need_same_shape(const char *op, const char *what,
                               const pan_tensor *t, const char *ref_name,
                               const pan_tensor *ref);
/* Whether the byte ranges of a and b intersect (false if either is NULL). */
bool pan_overlaps(const pan_tensor *a, const pan_tensor *b);
/* `out` (named 'out') and `in` do not overlap. */
pan_status pan_need_no_alias(const char *op, const pan_tensor *out,
                             const char *what, const pan_tensor *in);
/* out == in exactly, or no overlap. */
pan_status pan_need_same_or_disjoint(const char *op, const pan_tensor *out,
                                     const char *what, const pan_tensor *in);
pan_status pan_need_int_range(const char *op, const char *what, long long v,
                              long long lo, long long hi);
pan_status pan_need_finite(const char *op, const char *what, float v);

/* Gradient outputs and inputs of a backward op: NULL entries are skipped;
 * every output must be disjoint from every input and from every other
 * output. */
typedef struct pan_named_tensor {
    const char *name;
    const pan_tensor *t;
} pan_named_tensor;
pan_status pan_need_disjoint(const char *op, const pan_named_tensor *outs,
                             int n_outs, const pan_named_tensor *ins,
                             int n_ins);

/* The attention mask inputs of `args` (kv_len, blocks, rounds, key_mask;
 * sizes filled in), checked for the forward and the backward alike;
 * `out` must not alias any of them. */
pan_status pan_check_attention_extra(const char *op,
                                     const pan_attention_args *args,
                                     const pan_tensor *out);

#endif
