/* backends/common/fast_exp.h: a vectorisable expf for softmax rows.
 *
 * Contract
 * - pan_fast_expf(x) is exp(x) in f32 to within 1.01 ulp over the whole
 *   float range (checked on all 2^32 inputs), subnormal results included:
 *   x <= -104 (and -inf) gives +0, x >= 88.73 (and +inf) gives +inf, NaN
 *   gives NaN. No libm.
 * - Two code paths, chosen at run time: AVX-512F intrinsics (FMA and
 *   vscalefps) when the CPU has them, else portable code (GCC vector
 *   extensions, IEEE add/mul only) compiled for AVX2 and baseline x86-64
 *   with target_clones. No global -march flag is needed. The paths may
 *   differ in the last bit; a given machine always takes the same one, and
 *   the scalar and array functions share it.
 * - Sums are accumulated in 16 fixed lanes and then added lane 0..15, so a
 *   result depends only on the inputs, never on the calling thread.
 * - Thread safety: pure functions.
 */
#ifndef PAN_BACKENDS_COMMON_FAST_EXP_H
#define PAN_BACKENDS_COMMON_FAST_EXP_H

#include <stdint.h>

float pan_fast_expf(float x);

/* y[i] = exp(x[i]) for i < n; y == x allowed. */
void pan_fast_exp(float *y, const float *x, int64_t n);

/* x[i] = exp(x[i] - shift) for i < n, in place; returns the sum of the new
 * values. shift must be finite. */
float pan_fast_exp_shift_sum(float *x, int64_t n, float shift);

/* Largest of x[0..n) ignoring NaN (n >= 0); -inf for n == 0 or when every
 * value is -inf or NaN. */
float pan_fast_max(const float *x, int64_t n);

#endif
