/* tests/model/test_frames.c: frames u8 (N, H, W, C) <-> images f32
 * (N, C, H, W): exact values of the mapping, the round trip of every byte,
 * rounding and clamping back, strided views, and shape/dtype errors that
 * leave the output untouched. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/model/glp/frames.h"
#include "tests/test_util.h"

int main(void) {
    /* All 256 byte values in a (1, 16, 16, 1) frame and a (2, 2, 2, 3) one. */
    uint8_t f[256], back[256];
    float img[256];
    for (int i = 0; i < 256; i++) f[i] = (uint8_t)i;
    pan_tensor ft, it, bt;
    pan_tensor_init(&ft, f, PAN_DTYPE_U8, 4, PAN_SHAPE(1, 16, 16, 1));
    pan_tensor_init(&it, img, PAN_DTYPE_F32, 4, PAN_SHAPE(1, 1, 16, 16));
    pan_tensor_init(&bt, back, PAN_DTYPE_U8, 4, PAN_SHAPE(1, 16, 16, 1));
    CHECK_STATUS(pan_frames_to_images(&ft, &it), PAN_OK);
    int exact = 1;
    for (int i = 0; i < 256; i++) exact &= img[i] == (float)i / 127.5f - 1.0f;
    CHECK(exact);
    CHECK(img[0] == -1.0f && img[255] == 1.0f);
    CHECK_STATUS(pan_images_to_frames(&it, &bt), PAN_OK);
    CHECK(memcmp(back, f, 256) == 0);

    /* Layout: HWC -> CHW. */
    uint8_t f2[24];
    float i2[24];
    for (int k = 0; k < 24; k++) f2[k] = (uint8_t)(k * 10);
    pan_tensor_init(&ft, f2, PAN_DTYPE_U8, 4, PAN_SHAPE(2, 2, 2, 3));
    pan_tensor_init(&it, i2, PAN_DTYPE_F32, 4, PAN_SHAPE(2, 3, 2, 2));
    CHECK_STATUS(pan_frames_to_images(&ft, &it), PAN_OK);
    /* image[n=1, c=2, h=1, w=0] is frame[1, 1, 0, 2] = byte 12 + 6 + 2 = 20. */
    CHECK(i2[1 * 12 + 2 * 4 + 1 * 2 + 0] == 200.0f / 127.5f - 1.0f);

    /* Rounding and clamping back; NaN gives 0. */
    float odd[6] = {-2.0f, 3.0f, NAN, 0.0f, -1.0f + 0.5f / 127.5f, 1.0f};
    uint8_t ob[6];
    pan_tensor_init(&it, odd, PAN_DTYPE_F32, 4, PAN_SHAPE(1, 6, 1, 1));
    pan_tensor_init(&bt, ob, PAN_DTYPE_U8, 4, PAN_SHAPE(1, 1, 1, 6));
    CHECK_STATUS(pan_images_to_frames(&it, &bt), PAN_OK);
    CHECK(ob[0] == 0 && ob[1] == 255 && ob[2] == 0 && ob[3] == 128 &&
          ob[4] == 1 && ob[5] == 255);

    /* A strided view: every other column of a wider frame. */
    uint8_t wide[8] = {0, 99, 51, 99, 102, 99, 255, 99};
    float four[4];
    pan_tensor_init(&ft, wide, PAN_DTYPE_U8, 4, PAN_SHAPE(1, 1, 8, 1));
    pan_tensor view;
    CHECK_STATUS(pan_tensor_reshape(&ft, 4, PAN_SHAPE(1, 1, 4, 2), &view), PAN_OK);
    CHECK_STATUS(pan_tensor_slice(&view, 3, 0, 1, &view), PAN_OK);
    pan_tensor_init(&it, four, PAN_DTYPE_F32, 4, PAN_SHAPE(1, 1, 1, 4));
    CHECK_STATUS(pan_frames_to_images(&view, &it), PAN_OK);
    CHECK(four[0] == -1.0f && four[3] == 1.0f && four[1] == 51.0f / 127.5f - 1.0f);

    /* Errors: shapes, dtypes; nothing written. */
    float untouched[24];
    for (int k = 0; k < 24; k++) untouched[k] = 42.0f;
    pan_tensor_init(&ft, f2, PAN_DTYPE_U8, 4, PAN_SHAPE(2, 2, 2, 3));
    pan_tensor_init(&it, untouched, PAN_DTYPE_F32, 4, PAN_SHAPE(2, 2, 2, 3));
    CHECK_STATUS(pan_frames_to_images(&ft, &it), PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "[2,2,2,3]") != NULL);
    pan_tensor_init(&it, untouched, PAN_DTYPE_F32, 3, PAN_SHAPE(3, 2, 4));
    CHECK_STATUS(pan_frames_to_images(&ft, &it), PAN_ERR_INVALID_ARGUMENT);
    pan_tensor_init(&it, untouched, PAN_DTYPE_I32, 4, PAN_SHAPE(2, 3, 2, 2));
    CHECK_STATUS(pan_frames_to_images(&ft, &it), PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "i32") != NULL);
    int same = 1;
    for (int k = 0; k < 24; k++) same &= untouched[k] == 42.0f;
    CHECK(same);
    CHECK_STATUS(pan_images_to_frames(NULL, &ft), PAN_ERR_INVALID_ARGUMENT);
    return test_exit_code("test_frames");
}
