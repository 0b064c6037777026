/* core/model/glp/frames.c: frames u8 (N, H, W, C) <-> images f32 (N, C, H, W)
 * (docs/model.md, "Frames"). Any strides; shapes and dtypes checked first. */
#include "core/model/glp/frames.h"

#include <math.h>

/* frames (N, H, W, C) u8 and images (N, C, H, W) f32 must agree. */
static pan_status check_pair(const char *op, const pan_tensor *frames,
                             const pan_tensor *images) {
    char fs[64], is[64];
    if (!frames || !images || !frames->data || !images->data)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: expected frames and images tensors with "
                             "data, found NULL", op);
    pan_tensor_shape_str(frames, fs, sizeof fs);
    pan_tensor_shape_str(images, is, sizeof is);
    if (frames->dtype != PAN_DTYPE_U8 || images->dtype != PAN_DTYPE_F32)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: expected frames u8 and images f32, found "
                             "frames %s and images %s", op,
                             pan_dtype_name(frames->dtype),
                             pan_dtype_name(images->dtype));
    if (frames->ndim != 4 || images->ndim != 4 ||
        frames->shape[0] != images->shape[0] ||
        frames->shape[1] != images->shape[2] ||
        frames->shape[2] != images->shape[3] ||
        frames->shape[3] != images->shape[1])
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: expected frames (N, H, W, C) and images "
                             "(N, C, H, W) of the same N, H, W, C, found "
                             "frames %s and images %s", op, fs, is);
    return PAN_OK;
}

pan_status pan_frames_to_images(const pan_tensor *frames, pan_tensor *images) {
    pan_status st = check_pair("frames to images", frames, images);
    if (st != PAN_OK) return st;
    const int64_t N = frames->shape[0], H = frames->shape[1],
                  W = frames->shape[2], C = frames->shape[3];
    const int64_t *fs = frames->stride, *is = images->stride;
    const uint8_t *src = frames->data; /* (N, H, W, C) */
    float *dst = images->data;         /* (N, C, H, W) */
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t h = 0; h < H; h++)
                for (int64_t w = 0; w < W; w++)
                    dst[n * is[0] + c * is[1] + h * is[2] + w * is[3]] =
                        (float)src[n * fs[0] + h * fs[1] + w * fs[2] + c * fs[3]] /
                            127.5f - 1.0f;
    return PAN_OK;
}

static uint8_t to_byte(float x) {
    float v = floorf((x + 1.0f) * 127.5f + 0.5f);
    if (!(v > 0.0f)) return 0; /* also NaN */
    if (v >= 255.0f) return 255;
    return (uint8_t)v;
}

pan_status pan_images_to_frames(const pan_tensor *images, pan_tensor *frames) {
    pan_status st = check_pair("images to frames", frames, images);
    if (st != PAN_OK) return st;
    const int64_t N = frames->shape[0], H = frames->shape[1],
                  W = frames->shape[2], C = frames->shape[3];
    const int64_t *fs = frames->stride, *is = images->stride;
    const float *src = images->data; /* (N, C, H, W) */
    uint8_t *dst = frames->data;     /* (N, H, W, C) */
    for (int64_t n = 0; n < N; n++)
        for (int64_t h = 0; h < H; h++)
            for (int64_t w = 0; w < W; w++)
                for (int64_t c = 0; c < C; c++)
                    dst[n * fs[0] + h * fs[1] + w * fs[2] + c * fs[3]] =
                        to_byte(src[n * is[0] + c * is[1] + h * is[2] + w * is[3]]);
    return PAN_OK;
}
