/* core/model/glp/frames.h: frames (u8, HWC) <-> model images (f32, CHW).
 *
 * Contract (docs/model.md, "Frames")
 * - pan_frames_to_images: frames u8 (N, H, W, C) -> images f32 (N, C, H, W)
 *   with x = u8 / 127.5 - 1.
 * - pan_images_to_frames: images -> frames with
 *   u8 = clamp(floor((x + 1) * 127.5 + 0.5), 0, 255); NaN gives 0.
 * - Shapes are checked (INVALID_ARGUMENT naming both shapes); nothing is
 *   written on failure. Thread safety: pure.
 */
#ifndef PAN_CORE_MODEL_GLP_FRAMES_H
#define PAN_CORE_MODEL_GLP_FRAMES_H

#include "core/status.h"
#include "core/tensor.h"

pan_status pan_frames_to_images(const pan_tensor *frames, pan_tensor *images);
pan_status pan_images_to_frames(const pan_tensor *images, pan_tensor *frames);

#endif
