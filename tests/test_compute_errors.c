/* tests/test_compute_errors.c: the error paths of the op API
 * (core/compute.h), label "unit".
 *
 * For every op: a valid call first (so each rejection below is caused by
 * its one defect), then bad dtype, wrong rank, mismatched shapes,
 * non-contiguous views, NULL tensors, missing data, partial aliasing and the
 * op's own attribute checks (ids out of range, bad kv_len, ...). Each must
 * return INVALID_ARGUMENT with a non-empty message naming the op, and leave
 * the output buffer untouched: every output lives in `outbuf`, which is
 * filled with a byte pattern before each call and compared after it.
 * Also: bad backend names and thread counts for pan_compute_create.
 */
#include <string.h>

#include "core/compute.h"
#include "core/threadpool.h"
#include "tests/errors_util.h"

/* ---- one function per op ---- */

static void matmul_errors(pan_compute *c) {
    const char *op = "matmul";
    pan_tensor a = F(2, S(3, 4)), b = F(2, S(4, 5)), bias = F(1, S(5));
    pan_tensor out = O(2, S(3, 5));
    EXPECT_OK(pan_compute_matmul(c, &out, &a, &b, &bias, false, false, 1, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, &out, P(dtype_of(a, I32)), &b, NULL, false, false, 1, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, &out, &a, P(dtype_of(b, PAN_DTYPE_BF16)), NULL, false, false, 1, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, P(dtype_of(out, I32)), &a, &b, NULL, false, false, 1, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, &out, &a, &b, P(dtype_of(bias, I32)), false, false, 1, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, &out, P(reshaped(a, 1, S(12))), &b, NULL, false, false, 1, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, &out, P(reshaped(a, 4, S(1, 1, 3, 4))), &b, NULL, false, false, 1, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, P(O(1, S(15))), &a, &b, NULL, false, false, 1, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, &out, &a, &b, P(reshaped(bias, 2, S(1, 5))), false, false, 1, 0));
    /* shapes */
    EXPECT_INVALID(op, pan_compute_matmul(c, &out, &a, &b, NULL, false, true, 1, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, &out, &a, &b, NULL, true, false, 1, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, &out, &a, P(F(2, S(5, 5))), NULL, false, false, 1, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, P(O(2, S(3, 6))), &a, &b, NULL, false, false, 1, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, P(O(3, S(1, 3, 5))), &a, &b, NULL, false, false, 1, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, &out, &a, &b, P(F(1, S(4))), false, false, 1, 0));
    pan_tensor a3 = F(3, S(3, 3, 4)), out3 = O(3, S(3, 3, 5));
    EXPECT_OK(pan_compute_matmul(c, &out3, &a3, P(F(3, S(1, 4, 5))), NULL, false, false, 1, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, &out3, &a3, P(F(3, S(2, 4, 5))), NULL, false, false, 1, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, P(O(3, S(2, 3, 5))), &a3, &b, NULL, false, false, 1, 0));
    /* layout, NULLs, attributes */
    EXPECT_INVALID(op, pan_compute_matmul(c, &out, P(strided(a)), &b, NULL, false, false, 1, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, &out, &a, P(strided(b)), NULL, false, false, 1, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, P(strided(out)), &a, &b, NULL, false, false, 1, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, &out, &a, &b, P(strided(bias)), false, false, 1, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, &out, NULL, &b, NULL, false, false, 1, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, &out, &a, NULL, NULL, false, false, 1, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, NULL, &a, &b, NULL, false, false, 1, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, &out, P(no_data(a)), &b, NULL, false, false, 1, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, &out, &a, &b, NULL, false, false, 1, 0.5f));
    EXPECT_INVALID(op, pan_compute_matmul(c, &out, &a, &b, NULL, false, false, NAN, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, &out, &a, &b, NULL, false, false, INFINITY, 1));
    /* aliasing: matmul never runs in place */
    pan_tensor sq = O(2, S(4, 4)), sq_in = O_AT(1, 2, S(4, 4));
    pan_tensor w = F(2, S(4, 4));
    EXPECT_INVALID(op, pan_compute_matmul(c, &sq, &sq, &w, NULL, false, false, 1, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, &sq, &sq_in, &w, NULL, false, false, 1, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, &sq, &w, &sq_in, NULL, false, false, 1, 0));
    EXPECT_INVALID(op, pan_compute_matmul(c, &sq, &w, &w, P(O_AT(15, 1, S(4))), false, false, 1, 0));
}

static void conv_errors(pan_compute *c) {
    const char *op = "conv2d";
    pan_tensor x = F(4, S(1, 3, 6, 6)), w = F(4, S(4, 3, 3, 3)), bias = F(1, S(4));
    pan_tensor out = O(4, S(1, 4, 6, 6));
    EXPECT_OK(pan_compute_conv2d(c, &out, &x, &w, &bias, 1, 1));
    EXPECT_INVALID(op, pan_compute_conv2d(c, &out, P(dtype_of(x, U8_T)), &w, &bias, 1, 1));
    EXPECT_INVALID(op, pan_compute_conv2d(c, &out, &x, P(dtype_of(w, I32)), &bias, 1, 1));
    EXPECT_INVALID(op, pan_compute_conv2d(c, &out, &x, &w, P(dtype_of(bias, I32)), 1, 1));
    EXPECT_INVALID(op, pan_compute_conv2d(c, &out, P(reshaped(x, 3, S(3, 6, 6))), &w, &bias, 1, 1));
    EXPECT_INVALID(op, pan_compute_conv2d(c, &out, &x, P(reshaped(w, 2, S(4, 27))), &bias, 1, 1));
    EXPECT_INVALID(op, pan_compute_conv2d(c, P(reshaped(out, 3, S(4, 6, 6))), &x, &w, &bias, 1, 1));
    EXPECT_INVALID(op, pan_compute_conv2d(c, &out, &x, P(F(4, S(4, 2, 3, 3))), &bias, 1, 1));
    EXPECT_INVALID(op, pan_compute_conv2d(c, P(O(4, S(1, 4, 5, 6))), &x, &w, &bias, 1, 1));
    EXPECT_INVALID(op, pan_compute_conv2d(c, &out, &x, &w, P(F(1, S(3))), 1, 1));
    EXPECT_INVALID(op, pan_compute_conv2d(c, &out, &x, P(F(4, S(4, 3, 9, 9))), &bias, 1, 1));
    EXPECT_INVALID(op, pan_compute_conv2d(c, &out, &x, &w, &bias, 0, 1));
    EXPECT_INVALID(op, pan_compute_conv2d(c, &out, &x, &w, &bias, -2, 1));
    EXPECT_INVALID(op, pan_compute_conv2d(c, &out, &x, &w, &bias, 1, -1));
    EXPECT_INVALID(op, pan_compute_conv2d(c, &out, P(strided(x)), &w, &bias, 1, 1));
    EXPECT_INVALID(op, pan_compute_conv2d(c, P(strided(out)), &x, &w, &bias, 1, 1));
    EXPECT_INVALID(op, pan_compute_conv2d(c, &out, NULL, &w, &bias, 1, 1));
    EXPECT_INVALID(op, pan_compute_conv2d(c, &out, &x, NULL, &bias, 1, 1));
    EXPECT_INVALID(op, pan_compute_conv2d(c, NULL, &x, &w, &bias, 1, 1));
    pan_tensor xin = O_AT(100, 4, S(1, 3, 6, 6));
    EXPECT_INVALID(op, pan_compute_conv2d(c, &out, &xin, &w, &bias, 1, 1));
}

static void upsample_errors(pan_compute *c) {
    const char *op = "upsample_nearest";
    pan_tensor x = F(4, S(1, 2, 3, 4)), out = O(4, S(1, 2, 6, 8));
    EXPECT_OK(pan_compute_upsample_nearest(c, &out, &x, 2));
    EXPECT_INVALID(op, pan_compute_upsample_nearest(c, &out, P(dtype_of(x, I32)), 2));
    EXPECT_INVALID(op, pan_compute_upsample_nearest(c, &out, P(reshaped(x, 3, S(2, 3, 4))), 2));
    EXPECT_INVALID(op, pan_compute_upsample_nearest(c, &out, &x, 3));
    EXPECT_INVALID(op, pan_compute_upsample_nearest(c, &out, &x, 0));
    EXPECT_INVALID(op, pan_compute_upsample_nearest(c, &out, &x, 17));
    EXPECT_INVALID(op, pan_compute_upsample_nearest(c, P(O(4, S(1, 2, 6, 9))), &x, 2));
    EXPECT_INVALID(op, pan_compute_upsample_nearest(c, P(strided(out)), &x, 2));
    EXPECT_INVALID(op, pan_compute_upsample_nearest(c, &out, NULL, 2));
    EXPECT_INVALID(op, pan_compute_upsample_nearest(c, NULL, &x, 2));
    EXPECT_INVALID(op, pan_compute_upsample_nearest(c, &out, P(O_AT(3, 4, S(1, 2, 3, 4))), 2));
}

static void norm_errors(pan_compute *c) {
    pan_tensor x = F(4, S(2, 4, 3, 3)), g = F(1, S(4)), b = F(1, S(4));
    pan_tensor out = O(4, S(2, 4, 3, 3));
    const char *op = "group_norm";
    EXPECT_OK(pan_compute_group_norm(c, &out, &x, &g, &b, 2, 1e-5f));
    EXPECT_INVALID(op, pan_compute_group_norm(c, &out, P(dtype_of(x, I32)), &g, &b, 2, 1e-5f));
    EXPECT_INVALID(op, pan_compute_group_norm(c, &out, &x, P(dtype_of(g, I32)), &b, 2, 1e-5f));
    EXPECT_INVALID(op, pan_compute_group_norm(c, &out, P(reshaped(x, 1, S(72))), &g, &b, 2, 1e-5f));
    EXPECT_INVALID(op, pan_compute_group_norm(c, P(O(4, S(2, 4, 3, 4))), &x, &g, &b, 2, 1e-5f));
    EXPECT_INVALID(op, pan_compute_group_norm(c, &out, &x, P(F(1, S(3))), &b, 2, 1e-5f));
    EXPECT_INVALID(op, pan_compute_group_norm(c, &out, &x, &g, P(F(2, S(1, 4))), 2, 1e-5f));
    EXPECT_INVALID(op, pan_compute_group_norm(c, &out, &x, &g, &b, 3, 1e-5f));
    EXPECT_INVALID(op, pan_compute_group_norm(c, &out, &x, &g, &b, 0, 1e-5f));
    EXPECT_INVALID(op, pan_compute_group_norm(c, &out, &x, &g, &b, 2, -1e-5f));
    EXPECT_INVALID(op, pan_compute_group_norm(c, &out, &x, &g, &b, 2, NAN));
    EXPECT_INVALID(op, pan_compute_group_norm(c, &out, P(strided(x)), &g, &b, 2, 1e-5f));
    EXPECT_INVALID(op, pan_compute_group_norm(c, &out, NULL, &g, &b, 2, 1e-5f));
    EXPECT_INVALID(op, pan_compute_group_norm(c, NULL, &x, &g, &b, 2, 1e-5f));
    EXPECT_INVALID(op, pan_compute_group_norm(c, &out, P(O_AT(1, 4, S(2, 4, 3, 3))), &g, &b, 2, 1e-5f));
    EXPECT_INVALID(op, pan_compute_group_norm(c, &out, &x, P(O_AT(70, 1, S(4))), &b, 2, 1e-5f));

    pan_tensor y = F(3, S(2, 3, 8)), gy = F(1, S(8)), by = F(1, S(8));
    pan_tensor outy = O(3, S(2, 3, 8));
    op = "layer_norm";
    EXPECT_OK(pan_compute_layer_norm(c, &outy, &y, &gy, &by, 1e-5f));
    EXPECT_OK(pan_compute_layer_norm(c, &outy, &y, NULL, NULL, 1e-5f));
    EXPECT_INVALID(op, pan_compute_layer_norm(c, &outy, P(dtype_of(y, U8_T)), &gy, &by, 1e-5f));
    EXPECT_INVALID(op, pan_compute_layer_norm(c, &outy, P(F(0, NULL)), NULL, NULL, 1e-5f));
    EXPECT_INVALID(op, pan_compute_layer_norm(c, P(O(3, S(2, 3, 7))), &y, &gy, &by, 1e-5f));
    EXPECT_INVALID(op, pan_compute_layer_norm(c, &outy, &y, P(F(1, S(7))), &by, 1e-5f));
    EXPECT_INVALID(op, pan_compute_layer_norm(c, &outy, &y, &gy, P(dtype_of(by, I32)), 1e-5f));
    EXPECT_INVALID(op, pan_compute_layer_norm(c, &outy, &y, &gy, &by, INFINITY));
    EXPECT_INVALID(op, pan_compute_layer_norm(c, P(O(2, S(3, 0))), P(F(2, S(3, 0))), NULL, NULL, 1e-5f));
    EXPECT_INVALID(op, pan_compute_layer_norm(c, &outy, P(strided(y)), &gy, &by, 1e-5f));
    EXPECT_INVALID(op, pan_compute_layer_norm(c, P(strided(outy)), &y, &gy, &by, 1e-5f));
    EXPECT_INVALID(op, pan_compute_layer_norm(c, &outy, NULL, &gy, &by, 1e-5f));
    EXPECT_INVALID(op, pan_compute_layer_norm(c, &outy, P(O_AT(8, 3, S(2, 3, 8))), &gy, &by, 1e-5f));
    EXPECT_INVALID(op, pan_compute_layer_norm(c, &outy, &y, &gy, P(O_AT(47, 1, S(8))), 1e-5f));

    op = "rms_norm";
    EXPECT_OK(pan_compute_rms_norm(c, &outy, &y, &gy, 1e-6f));
    EXPECT_INVALID(op, pan_compute_rms_norm(c, &outy, &y, NULL, 1e-6f));
    EXPECT_INVALID(op, pan_compute_rms_norm(c, &outy, P(dtype_of(y, I32)), &gy, 1e-6f));
    EXPECT_INVALID(op, pan_compute_rms_norm(c, &outy, &y, P(F(1, S(9))), 1e-6f));
    EXPECT_INVALID(op, pan_compute_rms_norm(c, &outy, &y, P(reshaped(gy, 2, S(2, 4))), 1e-6f));
    EXPECT_INVALID(op, pan_compute_rms_norm(c, P(O(3, S(2, 4, 8))), &y, &gy, 1e-6f));
    EXPECT_INVALID(op, pan_compute_rms_norm(c, &outy, &y, &gy, -1.0f));
    EXPECT_INVALID(op, pan_compute_rms_norm(c, &outy, P(strided(y)), &gy, 1e-6f));
    EXPECT_INVALID(op, pan_compute_rms_norm(c, NULL, &y, &gy, 1e-6f));
    EXPECT_INVALID(op, pan_compute_rms_norm(c, &outy, P(O_AT(5, 3, S(2, 3, 8))), &gy, 1e-6f));
}

static void softmax_unary_errors(pan_compute *c) {
    pan_tensor x = F(2, S(3, 7)), out = O(2, S(3, 7));
    const char *op = "softmax";
    EXPECT_OK(pan_compute_softmax(c, &out, &x));
    EXPECT_INVALID(op, pan_compute_softmax(c, &out, P(dtype_of(x, I32))));
    EXPECT_INVALID(op, pan_compute_softmax(c, P(O(0, NULL)), P(F(0, NULL))));
    EXPECT_INVALID(op, pan_compute_softmax(c, P(O(2, S(3, 6))), &x));
    EXPECT_INVALID(op, pan_compute_softmax(c, P(O(2, S(4, 0))), P(F(2, S(4, 0)))));
    EXPECT_INVALID(op, pan_compute_softmax(c, &out, P(strided(x))));
    EXPECT_INVALID(op, pan_compute_softmax(c, &out, NULL));
    EXPECT_INVALID(op, pan_compute_softmax(c, &out, P(O_AT(2, 2, S(3, 7)))));

    static const char *const names[] = {"silu", "gelu"};
    for (int which = 0; which < 2; which++) {
        op = names[which];
#define UNARY(o, i) (which == 0 ? pan_compute_silu(c, o, i)                    \
                                : pan_compute_gelu(c, o, i, PAN_GELU_TANH))
        EXPECT_OK(UNARY(&out, &x));
        EXPECT_OK(UNARY(&out, P(reshaped(out, 2, S(3, 7))))); /* in place */
        EXPECT_INVALID(op, UNARY(&out, P(dtype_of(x, PAN_DTYPE_BF16))));
        EXPECT_INVALID(op, UNARY(P(dtype_of(out, I32)), &x));
        EXPECT_INVALID(op, UNARY(P(O(2, S(7, 3))), &x));
        EXPECT_INVALID(op, UNARY(P(O(1, S(21))), &x));
        EXPECT_INVALID(op, UNARY(P(strided(out)), &x));
        EXPECT_INVALID(op, UNARY(&out, P(strided(x))));
        EXPECT_INVALID(op, UNARY(&out, NULL));
        EXPECT_INVALID(op, UNARY(NULL, &x));
        EXPECT_INVALID(op, UNARY(&out, P(no_data(x))));
        EXPECT_INVALID(op, UNARY(&out, P(O_AT(1, 2, S(3, 7)))));
#undef UNARY
    }
    op = "gelu";
    EXPECT_INVALID(op, pan_compute_gelu(c, &out, &x, (pan_gelu_mode)7));
}

static void binary_errors(pan_compute *c) {
    pan_tensor a = F(3, S(2, 3, 5)), b = F(3, S(2, 3, 5)), out = O(3, S(2, 3, 5));
    static const char *const names[] = {"add", "swiglu"};
    for (int which = 0; which < 2; which++) {
        const char *op = names[which];
#define BINARY(o, x, y) (which == 0 ? pan_compute_add(c, o, x, y)              \
                                    : pan_compute_swiglu(c, o, x, y))
        EXPECT_OK(BINARY(&out, &a, &b));
        EXPECT_OK(BINARY(&out, &out, &b)); /* in place over either input */
        EXPECT_OK(BINARY(&out, &a, &out));
        EXPECT_INVALID(op, BINARY(&out, P(dtype_of(a, I32)), &b));
        EXPECT_INVALID(op, BINARY(&out, &a, P(dtype_of(b, I32))));
        EXPECT_INVALID(op, BINARY(&out, &a, P(F(3, S(2, 3, 4)))));
        EXPECT_INVALID(op, BINARY(&out, &a, P(reshaped(b, 2, S(6, 5)))));
        EXPECT_INVALID(op, BINARY(P(O(3, S(2, 3, 6))), &a, &b));
        EXPECT_INVALID(op, BINARY(&out, P(strided(a)), &b));
        EXPECT_INVALID(op, BINARY(&out, &a, P(strided(b))));
        EXPECT_INVALID(op, BINARY(&out, NULL, &b));
        EXPECT_INVALID(op, BINARY(&out, &a, NULL));
        EXPECT_INVALID(op, BINARY(NULL, &a, &b));
        EXPECT_INVALID(op, BINARY(&out, P(O_AT(4, 3, S(2, 3, 5))), &b));
        EXPECT_INVALID(op, BINARY(&out, &a, P(O_AT(29, 3, S(2, 3, 5)))));
#undef BINARY
    }
}

static void rope_errors(pan_compute *c) {
    const char *op = "rope";
    pan_tensor x = F(4, S(2, 3, 2, 8)), out = O(4, S(2, 3, 2, 8));
    pan_tensor pos = I(2, S(2, 3), 1), pos2 = I(3, S(2, 3, 2), 1);
    EXPECT_OK(pan_compute_rope(c, &out, &x, &pos, 1, 10000));
    EXPECT_OK(pan_compute_rope(c, &out, &x, &pos2, 2, 10000));
    EXPECT_OK(pan_compute_rope(c, &out, &out, &pos, 1, 10000)); /* in place */
    EXPECT_INVALID(op, pan_compute_rope(c, &out, P(dtype_of(x, I32)), &pos, 1, 10000));
    EXPECT_INVALID(op, pan_compute_rope(c, &out, &x, P(dtype_of(pos, F32)), 1, 10000));
    EXPECT_INVALID(op, pan_compute_rope(c, &out, P(reshaped(x, 3, S(6, 2, 8))), &pos, 1, 10000));
    EXPECT_INVALID(op, pan_compute_rope(c, P(O(4, S(2, 3, 2, 6))), &x, &pos, 1, 10000));
    EXPECT_INVALID(op, pan_compute_rope(c, &out, &x, &pos2, 1, 10000));
    EXPECT_INVALID(op, pan_compute_rope(c, &out, &x, &pos, 2, 10000));
    EXPECT_INVALID(op, pan_compute_rope(c, &out, &x, P(I(2, S(2, 4), 0)), 1, 10000));
    EXPECT_INVALID(op, pan_compute_rope(c, &out, &x, P(I(1, S(6), 0)), 1, 10000));
    EXPECT_INVALID(op, pan_compute_rope(c, &out, &x, NULL, 1, 10000));
    EXPECT_INVALID(op, pan_compute_rope(c, &out, &x, &pos, 0, 10000));
    EXPECT_INVALID(op, pan_compute_rope(c, &out, &x, &pos, 3, 10000));
    EXPECT_INVALID(op, pan_compute_rope(c, &out, &x, &pos, 1, 1.0f));
    EXPECT_INVALID(op, pan_compute_rope(c, &out, &x, &pos, 1, NAN));
    pan_tensor x6 = F(4, S(2, 3, 2, 6)), out6 = O(4, S(2, 3, 2, 6));
    EXPECT_OK(pan_compute_rope(c, &out6, &x6, &pos, 1, 10000));
    EXPECT_INVALID(op, pan_compute_rope(c, &out6, &x6, &pos2, 2, 10000)); /* 6 % 4 */
    EXPECT_INVALID(op, pan_compute_rope(c, &out, P(strided(x)), &pos, 1, 10000));
    EXPECT_INVALID(op, pan_compute_rope(c, &out, &x, P(strided(pos)), 1, 10000));
    EXPECT_INVALID(op, pan_compute_rope(c, NULL, &x, &pos, 1, 10000));
    EXPECT_INVALID(op, pan_compute_rope(c, &out, P(O_AT(8, 4, S(2, 3, 2, 8))), &pos, 1, 10000));
}

static void adaln_errors(pan_compute *c) {
    pan_tensor x = F(3, S(2, 4, 6)), shift = F(2, S(2, 6)), scale = F(2, S(2, 6));
    pan_tensor out = O(3, S(2, 4, 6));
    const char *op = "modulate";
    EXPECT_OK(pan_compute_modulate(c, &out, &x, &shift, &scale));
    EXPECT_OK(pan_compute_modulate(c, &out, &out, &shift, &scale));
    EXPECT_INVALID(op, pan_compute_modulate(c, &out, P(dtype_of(x, I32)), &shift, &scale));
    EXPECT_INVALID(op, pan_compute_modulate(c, &out, &x, &shift, P(dtype_of(scale, U8_T))));
    EXPECT_INVALID(op, pan_compute_modulate(c, &out, P(reshaped(x, 2, S(8, 6))), &shift, &scale));
    EXPECT_INVALID(op, pan_compute_modulate(c, &out, &x, P(reshaped(shift, 1, S(12))), &scale));
    EXPECT_INVALID(op, pan_compute_modulate(c, &out, &x, P(F(2, S(1, 6))), &scale));
    EXPECT_INVALID(op, pan_compute_modulate(c, &out, &x, &shift, P(F(2, S(2, 5)))));
    EXPECT_INVALID(op, pan_compute_modulate(c, P(O(3, S(2, 4, 5))), &x, &shift, &scale));
    EXPECT_INVALID(op, pan_compute_modulate(c, &out, P(strided(x)), &shift, &scale));
    EXPECT_INVALID(op, pan_compute_modulate(c, &out, &x, NULL, &scale));
    EXPECT_INVALID(op, pan_compute_modulate(c, &out, &x, &shift, NULL));
    EXPECT_INVALID(op, pan_compute_modulate(c, &out, P(O_AT(6, 3, S(2, 4, 6))), &shift, &scale));
    EXPECT_INVALID(op, pan_compute_modulate(c, &out, &x, P(O_AT(40, 2, S(2, 6))), &scale));

    pan_tensor res = F(3, S(2, 4, 6)), y = F(3, S(2, 4, 6)), gate = F(2, S(2, 6));
    op = "gate_add";
    EXPECT_OK(pan_compute_gate_add(c, &out, &res, &y, &gate));
    EXPECT_OK(pan_compute_gate_add(c, &out, &out, &y, &gate));
    EXPECT_INVALID(op, pan_compute_gate_add(c, &out, P(dtype_of(res, I32)), &y, &gate));
    EXPECT_INVALID(op, pan_compute_gate_add(c, &out, &res, &y, P(dtype_of(gate, I32))));
    EXPECT_INVALID(op, pan_compute_gate_add(c, &out, &res, P(F(3, S(2, 4, 5))), &gate));
    EXPECT_INVALID(op, pan_compute_gate_add(c, &out, &res, &y, P(F(2, S(2, 5)))));
    EXPECT_INVALID(op, pan_compute_gate_add(c, &out, &res, &y, P(F(3, S(2, 1, 6)))));
    EXPECT_INVALID(op, pan_compute_gate_add(c, P(O(3, S(1, 4, 6))), &res, &y, &gate));
    EXPECT_INVALID(op, pan_compute_gate_add(c, &out, &res, P(strided(y)), &gate));
    EXPECT_INVALID(op, pan_compute_gate_add(c, &out, &res, &y, NULL));
    EXPECT_INVALID(op, pan_compute_gate_add(c, &out, NULL, &y, &gate));
    EXPECT_INVALID(op, pan_compute_gate_add(c, &out, P(O_AT(1, 3, S(2, 4, 6))), &y, &gate));
    EXPECT_INVALID(op, pan_compute_gate_add(c, &out, &res, &y, P(O_AT(0, 2, S(2, 6)))));
}

static void embedding_errors(pan_compute *c) {
    const char *op = "embedding";
    pan_tensor table = F(2, S(10, 4)), ids = I(2, S(2, 3), 9);
    pan_tensor out = O(3, S(2, 3, 4));
    EXPECT_OK(pan_compute_embedding(c, &out, &table, &ids));
    EXPECT_INVALID(op, pan_compute_embedding(c, &out, &table, P(I(2, S(2, 3), 10))));
    EXPECT_INVALID(op, pan_compute_embedding(c, &out, &table, P(I(2, S(2, 3), -1))));
    pan_tensor one_bad = I(2, S(2, 3), 3);
    ((int32_t *)one_bad.data)[5] = 1 << 30;
    EXPECT_INVALID(op, pan_compute_embedding(c, &out, &table, &one_bad));
    EXPECT_INVALID(op, pan_compute_embedding(c, &out, &table, P(dtype_of(ids, F32))));
    EXPECT_INVALID(op, pan_compute_embedding(c, &out, P(dtype_of(table, I32)), &ids));
    EXPECT_INVALID(op, pan_compute_embedding(c, &out, P(reshaped(table, 3, S(1, 10, 4))), &ids));
    EXPECT_INVALID(op, pan_compute_embedding(c, P(O(2, S(6, 4))), &table, &ids));
    EXPECT_INVALID(op, pan_compute_embedding(c, P(O(3, S(2, 3, 5))), &table, &ids));
    EXPECT_INVALID(op, pan_compute_embedding(c, P(O(4, S(1, 2, 3, 4))), &table, P(I(3, S(1, 2, 3), 20))));
    EXPECT_INVALID(op, pan_compute_embedding(c, &out, &table, P(strided(ids))));
    EXPECT_INVALID(op, pan_compute_embedding(c, &out, NULL, &ids));
    EXPECT_INVALID(op, pan_compute_embedding(c, &out, &table, NULL));
    EXPECT_INVALID(op, pan_compute_embedding(c, NULL, &table, &ids));
    EXPECT_INVALID(op, pan_compute_embedding(c, &out, P(O_AT(20, 2, S(10, 4))), &ids));
}

static void patch_errors(pan_compute *c) {
    pan_tensor img = F(4, S(2, 3, 4, 6)), tok = F(3, S(2, 6, 12));
    pan_tensor out_tok = O(3, S(2, 6, 12)), out_img = O(4, S(2, 3, 4, 6));
    const char *op = "patchify";
    EXPECT_OK(pan_compute_patchify(c, &out_tok, &img, 2));
    EXPECT_INVALID(op, pan_compute_patchify(c, &out_tok, P(dtype_of(img, U8_T)), 2));
    EXPECT_INVALID(op, pan_compute_patchify(c, &out_tok, P(reshaped(img, 3, S(6, 4, 6))), 2));
    EXPECT_INVALID(op, pan_compute_patchify(c, &out_tok, &img, 3)); /* 4 % 3 */
    EXPECT_INVALID(op, pan_compute_patchify(c, &out_tok, &img, 0));
    EXPECT_INVALID(op, pan_compute_patchify(c, &out_tok, &img, 65));
    EXPECT_INVALID(op, pan_compute_patchify(c, P(O(3, S(2, 12, 6))), &img, 2));
    EXPECT_INVALID(op, pan_compute_patchify(c, P(strided(out_tok)), &img, 2));
    EXPECT_INVALID(op, pan_compute_patchify(c, &out_tok, NULL, 2));
    EXPECT_INVALID(op, pan_compute_patchify(c, &out_tok, P(O_AT(7, 4, S(2, 3, 4, 6))), 2));
    op = "unpatchify";
    EXPECT_OK(pan_compute_unpatchify(c, &out_img, &tok, 2));
    EXPECT_INVALID(op, pan_compute_unpatchify(c, &out_img, P(dtype_of(tok, I32)), 2));
    EXPECT_INVALID(op, pan_compute_unpatchify(c, &out_img, P(reshaped(tok, 2, S(12, 12))), 2));
    EXPECT_INVALID(op, pan_compute_unpatchify(c, &out_img, P(F(3, S(2, 6, 13))), 2));
    EXPECT_INVALID(op, pan_compute_unpatchify(c, &out_img, &tok, 4)); /* 6 % 4 */
    EXPECT_INVALID(op, pan_compute_unpatchify(c, P(O(4, S(2, 3, 4, 8))), &tok, 2));
    EXPECT_INVALID(op, pan_compute_unpatchify(c, P(strided(out_img)), &tok, 2));
    EXPECT_INVALID(op, pan_compute_unpatchify(c, &out_img, NULL, 2));
    EXPECT_INVALID(op, pan_compute_unpatchify(c, NULL, &tok, 2));
    EXPECT_INVALID(op, pan_compute_unpatchify(c, &out_img, P(O_AT(100, 3, S(2, 6, 12))), 2));
}

static void attention_errors(pan_compute *c) {
    const char *op = "attention";
    const pan_attention_mask NONE = PAN_ATTENTION_MASK_NONE,
                             CAUSAL = PAN_ATTENTION_MASK_CAUSAL,
                             BLOCK = PAN_ATTENTION_MASK_BLOCK;
    pan_tensor q = F(4, S(2, 3, 4, 8)), k = F(4, S(2, 5, 2, 8)),
               v = F(4, S(2, 5, 2, 8)), out = O(4, S(2, 3, 4, 8));
    pan_tensor len = I(1, S(2), 4), qb = I(1, S(3), 0), kb = I(1, S(5), 0);
    pan_tensor keep = U8(2, S(2, 5));
    pan_attention_extra all = {.kv_len = &len, .q_block = &qb, .k_block = &kb,
                               .key_mask = &keep};
    const float sc = 0.35f;
    EXPECT_OK(pan_compute_attention(c, &out, &q, &k, &v, NONE, sc, NULL));
    EXPECT_OK(pan_compute_attention(c, &out, &q, &k, &v, CAUSAL, sc, &all));
    EXPECT_OK(pan_compute_attention(c, &out, &q, &k, &v, BLOCK, sc, &all));
    /* dtypes, ranks, shapes */
    EXPECT_INVALID(op, pan_compute_attention(c, &out, P(dtype_of(q, I32)), &k, &v, NONE, sc, NULL));
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, P(dtype_of(k, I32)), &v, NONE, sc, NULL));
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, P(dtype_of(v, PAN_DTYPE_BF16)), NONE, sc, NULL));
    EXPECT_INVALID(op, pan_compute_attention(c, &out, P(reshaped(q, 3, S(6, 4, 8))), &k, &v, NONE, sc, NULL));
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, P(F(4, S(1, 5, 2, 8))), P(F(4, S(1, 5, 2, 8))), NONE, sc, NULL));
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, P(F(4, S(2, 5, 2, 6))), P(F(4, S(2, 5, 2, 6))), NONE, sc, NULL));
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, P(F(4, S(2, 5, 3, 8))), P(F(4, S(2, 5, 3, 8))), NONE, sc, NULL));
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, P(F(4, S(2, 6, 2, 8))), NONE, sc, NULL));
    EXPECT_INVALID(op, pan_compute_attention(c, P(O(4, S(2, 3, 2, 8))), &q, &k, &v, NONE, sc, NULL));
    EXPECT_INVALID(op, pan_compute_attention(c, &out, P(strided(q)), &k, &v, NONE, sc, NULL));
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, P(strided(v)), NONE, sc, NULL));
    EXPECT_INVALID(op, pan_compute_attention(c, &out, NULL, &k, &v, NONE, sc, NULL));
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, NULL, &v, NONE, sc, NULL));
    EXPECT_INVALID(op, pan_compute_attention(c, NULL, &q, &k, &v, NONE, sc, NULL));
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, NONE, NAN, NULL));
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, (pan_attention_mask)7, sc, NULL));
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, (pan_attention_mask)-1, sc, NULL));
    /* kv_len: values, dtype, shape */
    pan_attention_extra e = {0};
    e.kv_len = P(I(1, S(2), 6)); /* > capacity 5 */
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, NONE, sc, &e));
    e.kv_len = P(I(1, S(2), -1));
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, NONE, sc, &e));
    e.kv_len = P(I(1, S(2), 2)); /* causal queries must be in the cache */
    EXPECT_OK(pan_compute_attention(c, &out, &q, &k, &v, NONE, sc, &e));
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, CAUSAL, sc, &e));
    e.kv_len = P(dtype_of(len, F32));
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, NONE, sc, &e));
    e.kv_len = P(I(1, S(3), 4));
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, NONE, sc, &e));
    e.kv_len = P(I(2, S(2, 1), 4));
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, NONE, sc, &e));
    e.kv_len = P(dtype_of(O_AT(100, 1, S(2)), I32)); /* inside out */
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, NONE, sc, &e));
    /* causal without kv_len needs Tk >= Tq */
    pan_tensor k2 = F(4, S(2, 2, 2, 8)), v2 = F(4, S(2, 2, 2, 8));
    EXPECT_OK(pan_compute_attention(c, &out, &q, &k2, &v2, NONE, sc, NULL));
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k2, &v2, CAUSAL, sc, NULL));
    /* block mask */
    e = (pan_attention_extra){.q_block = &qb};
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, BLOCK, sc, &e));
    e = (pan_attention_extra){.k_block = &kb};
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, BLOCK, sc, NULL));
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, BLOCK, sc, &e));
    e = (pan_attention_extra){.q_block = &kb, .k_block = &kb};
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, BLOCK, sc, &e));
    e = (pan_attention_extra){.q_block = &qb, .k_block = &qb};
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, BLOCK, sc, &e));
    e = (pan_attention_extra){.q_block = P(dtype_of(qb, F32)), .k_block = &kb};
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, BLOCK, sc, &e));
    /* key_mask */
    e = (pan_attention_extra){.key_mask = P(dtype_of(keep, I32))};
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, NONE, sc, &e));
    e = (pan_attention_extra){.key_mask = P(U8(2, S(2, 4)))};
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, NONE, sc, &e));
    e = (pan_attention_extra){.key_mask = P(U8(1, S(10)))};
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, NONE, sc, &e));
    /* aliasing: attention never runs in place */
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &out, &k, &v, NONE, sc, NULL));
    pan_tensor kin = O_AT(10, 4, S(2, 5, 2, 8));
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &kin, &v, NONE, sc, NULL));
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &kin, NONE, sc, NULL));
}

static void create_errors(void) {
    pan_compute *sentinel = (pan_compute *)&sentinel;
    static const char *const bad_names[] = {"bogus", "REF", "ref ", "openblas2"};
    for (size_t i = 0; i < sizeof bad_names / sizeof *bad_names; i++) {
        pan_compute *c = sentinel;
        pan_compute_options o = {.backend = bad_names[i], .n_threads = 1};
        pan_error_clear();
        CHECK_STATUS(pan_compute_create(&c, &o), PAN_ERR_INVALID_ARGUMENT);
        CHECK(strstr(pan_error_message(), bad_names[i]) != NULL);
        CHECK(c == sentinel);
    }
    static const int bad_threads[] = {-1, PAN_THREADPOOL_MAX_THREADS + 1, -1000};
    for (size_t i = 0; i < sizeof bad_threads / sizeof *bad_threads; i++) {
        pan_compute *c = sentinel;
        pan_compute_options o = {.backend = "ref", .n_threads = bad_threads[i]};
        pan_error_clear();
        CHECK_STATUS(pan_compute_create(&c, &o), PAN_ERR_INVALID_ARGUMENT);
        CHECK(pan_error_message()[0] != '\0');
        CHECK(c == sentinel);
    }
    pan_backend *be = (pan_backend *)&sentinel;
    pan_error_clear();
    CHECK_STATUS(pan_backend_create(&be, "bogus", NULL, 1), PAN_ERR_NOT_FOUND);
    CHECK(strstr(pan_error_message(), "bogus") != NULL);
    CHECK(be == (pan_backend *)&sentinel);
    CHECK_STATUS(pan_backend_create(&be, NULL, NULL, 1),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(pan_op_name(PAN_OP_COUNT) == NULL);
    CHECK(pan_op_name((pan_op)-1) == NULL);
}

int main(void) {
    create_errors();
    pan_compute *c = NULL;
    pan_compute_options opts = {.backend = "auto", .n_threads = 2};
    CHECK_STATUS(pan_compute_create(&c, &opts), PAN_OK);
    if (!c) return test_exit_code("test_compute_errors");
    CHECK(strcmp(pan_compute_last_backend(c), "") == 0);
    CHECK(strcmp(pan_compute_backend_name(c), "auto") == 0);
    CHECK(pan_compute_threads(c) == 2);
    matmul_errors(c);
    conv_errors(c);
    upsample_errors(c);
    norm_errors(c);
    softmax_unary_errors(c);
    binary_errors(c);
    rope_errors(c);
    adaln_errors(c);
    embedding_errors(c);
    patch_errors(c);
    attention_errors(c);
    pan_compute_destroy(c);
    printf("%d op calls checked\n", checks);
    return test_exit_code("test_compute_errors");
}
