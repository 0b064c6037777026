/* backends/common/fast_group_norm.h: group normalisation forward and
 * backward with vectorisable sums, for the openblas and onednn backends (ref's is the double
 * oracle, backends/ref/ref_norm_backward.c).
 *
 * Contract
 * - pan_fast_group_norm(be, args): args as GROUP_NORM's (backends/
 *   backend.h; out == x allowed): out = (x - mean) * rstd * gamma + beta per
 *   group of one image, the statistics from the sums below, the
 *   elementwise part in f32 as ref's.
 * - pan_fast_group_norm_backward(be, args): args as GROUP_NORM_BACKWARD's
 *   (backends/backward_args.h), the same formulas as ref's: with xhat =
 *   (x - mean) * rstd and g = dout * gamma, dx += rstd * (g - mean(g) -
 *   xhat * mean(g * xhat)) over one group of one image; dgamma += sum of
 *   dout * xhat and dbeta += sum of dout over images and positions.
 * - Arithmetic: dx's formula in double; every sum runs in 16 fixed f32
 *   lanes over blocks of 256 elements, each block's lanes added in order
 *   into a double (sums over fewer than 64 elements entirely in double:
 *   there dx is a difference of near-equal terms). Rows (image, group) are split over the backend's pool;
 *   the per-(image, channel) partial sums of dgamma and dbeta are added
 *   over images in order afterwards. So the result depends only on the
 *   inputs, never on the thread count.
 * - Errors: PAN_ERR_RESOURCE_EXHAUSTED when the statistics' scratch cannot
 *   be allocated (outputs untouched).
 * - Thread safety: as the backend that calls it.
 */
#ifndef PAN_BACKENDS_COMMON_FAST_GROUP_NORM_H
#define PAN_BACKENDS_COMMON_FAST_GROUP_NORM_H

#include "backends/backend.h"

pan_status pan_fast_group_norm(pan_backend *be, const pan_norm_args *args);
pan_status pan_fast_group_norm_backward(pan_backend *be,
                                        const pan_norm_backward_args *args);

#endif
