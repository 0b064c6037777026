/* backends/common/fast_silu.h: SiLU's backward in f32, vectorisable, for
 * the openblas and onednn backends (ref's is the double oracle,
 * backends/ref/ref_elementwise_backward.c).
 *
 * Contract
 * - pan_fast_silu_backward(be, args): args as SILU_BACKWARD's
 *   (backends/backward_args.h): dx += dout * s (1 + x (1 - s)), s =
 *   1 / (1 + exp(-x)) with pan_fast_expf (backends/common/fast_exp.h), in
 *   blocks of 256 elements split over the backend's pool. Every element is
 *   independent: the result does not depend on the thread count. x is
 *   clamped to [-80, 80] inside exp (s is 0 or 1 to f32 beyond 17).
 * - Thread safety: as the backend that calls it.
 */
#ifndef PAN_BACKENDS_COMMON_FAST_SILU_H
#define PAN_BACKENDS_COMMON_FAST_SILU_H

#include "backends/backend.h"

pan_status pan_fast_silu_backward(pan_backend *be,
                                  const pan_unary_backward_args *args);

#endif
