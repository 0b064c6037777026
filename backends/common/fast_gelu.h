/* backends/common/fast_gelu.h: GELU's tanh-approximation backward in f32,
 * vectorisable, for the openblas and onednn backends (ref's is the double
 * oracle, backends/ref/ref_elementwise_backward.c).
 *
 * Contract
 * - pan_fast_gelu_tanh_backward(be, args): args as GELU_BACKWARD's
 *   (backends/backward_args.h) with gelu_mode PAN_GELU_TANH: dx += dout *
 *   gelu_tanh'(x), with gelu_tanh'(x) = 0.5 (1 + t) + 0.5 x (1 - t^2) k
 *   (1 + 3 c x^2), t = tanh(k (x + c x^3)), k = sqrt(2/pi), c = 0.044715;
 *   tanh as 1 - 2 / (exp(2u) + 1) with pan_fast_expf (backends/common/
 *   fast_exp.h), in blocks of 256 elements split over the backend's pool.
 *   Every element is independent: the result does not depend on the thread
 *   count. |u| is clamped at 20 (tanh is +-1 to f32 beyond 9).
 * - pan_fast_gelu_backward_supported(args): true for the tanh mode only
 *   (the erf mode stays on ref).
 * - Thread safety: as the backend that calls it.
 */
#ifndef PAN_BACKENDS_COMMON_FAST_GELU_H
#define PAN_BACKENDS_COMMON_FAST_GELU_H

#include <stdbool.h>

#include "backends/backend.h"

bool pan_fast_gelu_backward_supported(const pan_unary_backward_args *args);
pan_status pan_fast_gelu_tanh_backward(pan_backend *be,
                                       const pan_unary_backward_args *args);

#endif
