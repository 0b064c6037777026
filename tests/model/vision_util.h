/* tests/model/vision_util.h: helpers of test_vision_parity (fixture
 * records, f64 comparison, frame rounding check, timings, error paths).
 *
 * Contract
 * - vision_record: finds fixture record `name`, checks its dtype and shape
 *   (prints what is wrong and returns 0 otherwise) and gives a pan_tensor
 *   view (`t`, for f32/u8 records) or the f64 data (`f64`). Either may be
 *   NULL.
 * - vision_nmse: sum (e-g)^2 / sum e^2 with the f64 expectation `e`.
 * - vision_check_frames: pan_images_to_frames of `images` (N, C, H, W) into
 *   a guarded u8 buffer; returns the largest |u8 - clamp(round((e+1)*127.5))|
 *   over all pixels, or -1 (after a failed CHECK) if the call failed or
 *   wrote out of bounds.
 * - vision_print_timings: median wall time of encode and decode of 4
 *   frames and the ViT of 4 latents (two fixture items each, twice);
 *   printed, never asserted.
 * - vision_check_errors: bad shapes -> INVALID_ARGUMENT with outputs and
 *   scratch untouched; scratch below *_scratch_bytes -> RESOURCE_EXHAUSTED.
 * - vision_check_configs: configs beyond the fixture on random models
 *   (exact scratch from an unaligned mark, auto vs ref, scaling_factor);
 *   see vision_configs.c.
 * Failures are counted through CHECK (tests/test_util.h).
 */
#ifndef PAN_TESTS_MODEL_VISION_UTIL_H
#define PAN_TESTS_MODEL_VISION_UTIL_H

#include <stdint.h>

#include "core/compute.h"
#include "core/model/model.h"
#include "tests/fixture.h"

int vision_record(const fixture *fx, const char *name, fixture_dtype dtype,
                  int ndim, const int64_t *shape, pan_tensor *t,
                  const double **f64);
int64_t vision_numel(int ndim, const int64_t *shape);
double vision_nmse(const double *expected, const float *got, int64_t n);
int64_t vision_check_frames(const pan_tensor *images, const double *expected);
void vision_print_timings(pan_compute *c, const pan_model *m,
                          const float *images2, const float *latent2);
void vision_check_errors(const pan_model *m, const pan_tensor *images,
                         const pan_tensor *latent);
void vision_check_configs(void);

#endif
