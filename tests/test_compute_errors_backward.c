/* tests/test_compute_errors_backward.c: the error paths of the training
 * ops (core/compute.h: SUM_ROWS, the backward passes, the losses, and the
 * attention additions lse and ROUNDS), label "unit".
 *
 * As test_compute_errors.c (machinery in tests/errors_util.h): for every op
 * a valid call first, then one defect per call -- dtype, rank, shape, NULL
 * required tensors, every gradient NULL, a gradient overlapping an input
 * or another gradient, non-contiguous views, the op's attribute checks --
 * each of which must return INVALID_ARGUMENT with a message naming the op
 * and leave every output (all in `outbuf`) untouched.
 */
#include <string.h>

#include "core/compute.h"
#include "tests/errors_util.h"

static void sum_rows_matmul_errors(pan_compute *c) {
    const char *op = "sum_rows";
    pan_tensor x = F(2, S(3, 5)), out = O(1, S(5));
    EXPECT_OK(pan_compute_sum_rows(c, &x, &out));
    EXPECT_OK(pan_compute_sum_rows(c, P(F(3, S(2, 3, 5))), &out));
    EXPECT_INVALID(op, pan_compute_sum_rows(c, P(dtype_of(x, I32)), &out));
    EXPECT_INVALID(op, pan_compute_sum_rows(c, &x, P(O(1, S(3)))));
    EXPECT_INVALID(op, pan_compute_sum_rows(c, &x, P(O(2, S(1, 5)))));
    EXPECT_INVALID(op, pan_compute_sum_rows(c, &x, NULL));
    EXPECT_INVALID(op, pan_compute_sum_rows(c, NULL, &out));
    EXPECT_INVALID(op, pan_compute_sum_rows(c, P(strided(x)), &out));
    EXPECT_INVALID(op, pan_compute_sum_rows(c, P(O_AT(2, 2, S(3, 5))), &out));

    op = "matmul_backward";
    pan_tensor a = F(2, S(3, 4)), b = F(2, S(4, 5)), g = F(2, S(3, 5));
    pan_tensor da = O_AT(0, 2, S(3, 4)), db = O_AT(100, 2, S(4, 5));
    pan_tensor dbias = O_AT(200, 1, S(5));
    EXPECT_OK(pan_compute_matmul_backward(c, &g, &a, &b, false, false, 1, &da, &db, &dbias));
    EXPECT_OK(pan_compute_matmul_backward(c, &g, P(F(2, S(4, 3))), &b, true, false, 1, P(O(2, S(4, 3))), NULL, NULL));
    EXPECT_INVALID(op, pan_compute_matmul_backward(c, &g, &a, &b, false, false, 1, NULL, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_matmul_backward(c, P(dtype_of(g, I32)), &a, &b, false, false, 1, &da, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_matmul_backward(c, P(F(2, S(3, 6))), &a, &b, false, false, 1, &da, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_matmul_backward(c, &g, &a, &b, false, true, 1, &da, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_matmul_backward(c, &g, &a, &b, false, false, NAN, &da, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_matmul_backward(c, &g, &a, &b, false, false, 1, P(O(2, S(4, 3))), NULL, NULL));
    EXPECT_INVALID(op, pan_compute_matmul_backward(c, &g, &a, &b, false, false, 1, NULL, P(O(2, S(5, 4))), NULL));
    EXPECT_INVALID(op, pan_compute_matmul_backward(c, &g, &a, &b, false, false, 1, NULL, NULL, P(O(1, S(4)))));
    EXPECT_INVALID(op, pan_compute_matmul_backward(c, &g, &a, &b, false, false, 1, P(dtype_of(da, I32)), NULL, NULL));
    EXPECT_INVALID(op, pan_compute_matmul_backward(c, &g, &a, &b, false, false, 1, P(strided(da)), NULL, NULL));
    /* a 3-D b needs a 3-D a; batch mismatch */
    EXPECT_INVALID(op, pan_compute_matmul_backward(c, &g, &a, P(F(3, S(1, 4, 5))), false, false, 1, &da, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_matmul_backward(c, P(F(3, S(2, 3, 5))), P(F(3, S(2, 3, 4))), P(F(3, S(3, 4, 5))), false, false, 1, NULL, NULL, &dbias));
    /* aliasing: gradients vs inputs and each other */
    pan_tensor a_out = O_AT(0, 2, S(3, 4));
    EXPECT_INVALID(op, pan_compute_matmul_backward(c, &g, &a_out, &b, false, false, 1, &da, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_matmul_backward(c, &g, &a, &b, false, false, 1, &da, P(O_AT(5, 2, S(4, 5))), NULL));
    EXPECT_INVALID(op, pan_compute_matmul_backward(c, P(O_AT(300, 2, S(3, 5))), &a, &b, false, false, 1, NULL, NULL, P(O_AT(310, 1, S(5)))));
}

static void conv_upsample_errors(pan_compute *c) {
    const char *op = "conv2d_backward";
    pan_tensor x = F(4, S(1, 3, 6, 6)), w = F(4, S(4, 3, 3, 3));
    pan_tensor g = F(4, S(1, 4, 6, 6));
    pan_tensor dx = O_AT(0, 4, S(1, 3, 6, 6)), dw = O_AT(200, 4, S(4, 3, 3, 3));
    pan_tensor db = O_AT(400, 1, S(4));
    EXPECT_OK(pan_compute_conv2d_backward(c, &x, &w, &g, 1, 1, &dx, &dw, &db));
    EXPECT_OK(pan_compute_conv2d_backward(c, &x, &w, &g, 1, 1, NULL, NULL, &db));
    EXPECT_INVALID(op, pan_compute_conv2d_backward(c, &x, &w, &g, 1, 1, NULL, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_conv2d_backward(c, P(dtype_of(x, U8_T)), &w, &g, 1, 1, &dx, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_conv2d_backward(c, &x, P(F(4, S(4, 2, 3, 3))), &g, 1, 1, &dx, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_conv2d_backward(c, &x, &w, P(F(4, S(1, 4, 5, 6))), 1, 1, &dx, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_conv2d_backward(c, &x, &w, &g, 2, 1, &dx, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_conv2d_backward(c, &x, &w, &g, 0, 1, &dx, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_conv2d_backward(c, &x, &w, &g, 1, -1, &dx, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_conv2d_backward(c, &x, P(F(4, S(4, 3, 9, 9))), &g, 1, 1, &dx, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_conv2d_backward(c, &x, &w, &g, 1, 1, P(O(4, S(1, 3, 6, 5))), NULL, NULL));
    EXPECT_INVALID(op, pan_compute_conv2d_backward(c, &x, &w, &g, 1, 1, NULL, P(O(4, S(4, 3, 3, 2))), NULL));
    EXPECT_INVALID(op, pan_compute_conv2d_backward(c, &x, &w, &g, 1, 1, NULL, NULL, P(O(1, S(3)))));
    EXPECT_INVALID(op, pan_compute_conv2d_backward(c, &x, &w, &g, 1, 1, P(strided(dx)), NULL, NULL));
    EXPECT_INVALID(op, pan_compute_conv2d_backward(c, NULL, &w, &g, 1, 1, &dx, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_conv2d_backward(c, &x, &w, NULL, 1, 1, &dx, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_conv2d_backward(c, P(O_AT(50, 4, S(1, 3, 6, 6))), &w, &g, 1, 1, &dx, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_conv2d_backward(c, &x, &w, &g, 1, 1, &dx, P(O_AT(100, 4, S(4, 3, 3, 3))), NULL));

    op = "upsample_nearest_backward";
    pan_tensor gu = F(4, S(1, 2, 6, 8)), dxu = O(4, S(1, 2, 3, 4));
    EXPECT_OK(pan_compute_upsample_nearest_backward(c, &gu, 2, &dxu));
    EXPECT_INVALID(op, pan_compute_upsample_nearest_backward(c, &gu, 3, &dxu));
    EXPECT_INVALID(op, pan_compute_upsample_nearest_backward(c, &gu, 0, &dxu));
    EXPECT_INVALID(op, pan_compute_upsample_nearest_backward(c, P(dtype_of(gu, I32)), 2, &dxu));
    EXPECT_INVALID(op, pan_compute_upsample_nearest_backward(c, &gu, 2, NULL));
    EXPECT_INVALID(op, pan_compute_upsample_nearest_backward(c, &gu, 2, P(O(3, S(2, 3, 4)))));
    EXPECT_INVALID(op, pan_compute_upsample_nearest_backward(c, P(O_AT(4, 4, S(1, 2, 6, 8))), 2, &dxu));
}

static void norm_errors(pan_compute *c) {
    const char *op = "group_norm_backward";
    pan_tensor x = F(4, S(2, 4, 3, 3)), gm = F(1, S(4)), g = F(4, S(2, 4, 3, 3));
    pan_tensor dx = O_AT(0, 4, S(2, 4, 3, 3)), dg = O_AT(100, 1, S(4));
    pan_tensor dbt = O_AT(120, 1, S(4));
    EXPECT_OK(pan_compute_group_norm_backward(c, &x, &gm, &g, 2, 1e-5f, &dx, &dg, &dbt));
    EXPECT_OK(pan_compute_group_norm_backward(c, &x, NULL, &g, 2, 1e-5f, &dx, NULL, &dbt));
    EXPECT_INVALID(op, pan_compute_group_norm_backward(c, &x, NULL, &g, 2, 1e-5f, NULL, &dg, NULL));
    EXPECT_INVALID(op, pan_compute_group_norm_backward(c, &x, &gm, &g, 3, 1e-5f, &dx, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_group_norm_backward(c, &x, &gm, &g, 2, -1.0f, &dx, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_group_norm_backward(c, &x, &gm, P(F(4, S(2, 4, 3, 4))), 2, 1e-5f, &dx, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_group_norm_backward(c, &x, P(F(1, S(3))), &g, 2, 1e-5f, &dx, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_group_norm_backward(c, &x, &gm, &g, 2, 1e-5f, NULL, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_group_norm_backward(c, &x, &gm, &g, 2, 1e-5f, NULL, P(O(1, S(5))), NULL));
    EXPECT_INVALID(op, pan_compute_group_norm_backward(c, &x, &gm, &g, 2, 1e-5f, &dx, &dg, P(O_AT(102, 1, S(4)))));
    EXPECT_INVALID(op, pan_compute_group_norm_backward(c, P(O_AT(10, 4, S(2, 4, 3, 3))), &gm, &g, 2, 1e-5f, &dx, NULL, NULL));

    op = "layer_norm_backward";
    pan_tensor y = F(3, S(2, 3, 8)), gy = F(1, S(8)), go = F(3, S(2, 3, 8));
    pan_tensor dy = O_AT(0, 3, S(2, 3, 8)), dgy = O_AT(100, 1, S(8));
    EXPECT_OK(pan_compute_layer_norm_backward(c, &y, &gy, &go, 1e-5f, &dy, &dgy, NULL));
    EXPECT_INVALID(op, pan_compute_layer_norm_backward(c, &y, &gy, &go, NAN, &dy, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_layer_norm_backward(c, &y, P(F(1, S(7))), &go, 1e-5f, &dy, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_layer_norm_backward(c, &y, &gy, P(dtype_of(go, I32)), 1e-5f, &dy, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_layer_norm_backward(c, &y, &gy, &go, 1e-5f, NULL, NULL, P(O(1, S(7)))));
    EXPECT_INVALID(op, pan_compute_layer_norm_backward(c, P(F(2, S(3, 0))), NULL, P(F(2, S(3, 0))), 1e-5f, P(O(2, S(3, 0))), NULL, NULL));
    EXPECT_INVALID(op, pan_compute_layer_norm_backward(c, &y, &gy, P(O_AT(40, 3, S(2, 3, 8))), 1e-5f, &dy, NULL, NULL));

    op = "rms_norm_backward";
    EXPECT_OK(pan_compute_rms_norm_backward(c, &y, &gy, &go, 1e-6f, &dy, &dgy));
    EXPECT_INVALID(op, pan_compute_rms_norm_backward(c, &y, NULL, &go, 1e-6f, &dy, NULL));
    EXPECT_INVALID(op, pan_compute_rms_norm_backward(c, &y, &gy, &go, 1e-6f, P(O(3, S(2, 3, 7))), NULL));
    EXPECT_INVALID(op, pan_compute_rms_norm_backward(c, &y, &gy, &go, 1e-6f, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_rms_norm_backward(c, &y, &gy, &go, 1e-6f, &dy, P(O_AT(47, 1, S(8)))));
}

static void pointwise_errors(pan_compute *c) {
    pan_tensor x = F(2, S(3, 7)), g = F(2, S(3, 7)), dx = O(2, S(3, 7));
    const char *op = "softmax_backward";
    EXPECT_OK(pan_compute_softmax_backward(c, &x, &g, &dx));
    EXPECT_INVALID(op, pan_compute_softmax_backward(c, &x, P(F(2, S(3, 6))), &dx));
    EXPECT_INVALID(op, pan_compute_softmax_backward(c, &x, &g, P(O(2, S(7, 3)))));
    EXPECT_INVALID(op, pan_compute_softmax_backward(c, P(F(2, S(3, 0))), P(F(2, S(3, 0))), P(O(2, S(3, 0)))));
    EXPECT_INVALID(op, pan_compute_softmax_backward(c, &x, &g, NULL));
    EXPECT_INVALID(op, pan_compute_softmax_backward(c, &x, &dx, &dx));
    static const char *const names[] = {"silu_backward", "gelu_backward"};
    for (int which = 0; which < 2; which++) {
        op = names[which];
#define UNARY(i, d, o) (which == 0 ? pan_compute_silu_backward(c, i, d, o)    \
                                   : pan_compute_gelu_backward(c, i, d, PAN_GELU_ERF, o))
        EXPECT_OK(UNARY(&x, &g, &dx));
        EXPECT_INVALID(op, UNARY(P(dtype_of(x, PAN_DTYPE_BF16)), &g, &dx));
        EXPECT_INVALID(op, UNARY(&x, P(F(1, S(21))), &dx));
        EXPECT_INVALID(op, UNARY(&x, &g, P(O(2, S(7, 3)))));
        EXPECT_INVALID(op, UNARY(&x, &g, P(strided(dx))));
        EXPECT_INVALID(op, UNARY(&x, &g, NULL));
        EXPECT_INVALID(op, UNARY(&x, NULL, &dx));
        EXPECT_INVALID(op, UNARY(P(O_AT(3, 2, S(3, 7))), &g, &dx)); /* dx overlaps x */
        EXPECT_INVALID(op, UNARY(&x, &dx, &dx));
#undef UNARY
    }
    EXPECT_INVALID("gelu_backward", pan_compute_gelu_backward(c, &x, &g, (pan_gelu_mode)5, &dx));

    op = "swiglu_backward";
    pan_tensor up = F(2, S(3, 7)), dgate = O_AT(0, 2, S(3, 7)), dup = O_AT(64, 2, S(3, 7));
    EXPECT_OK(pan_compute_swiglu_backward(c, &x, &up, &g, &dgate, &dup));
    EXPECT_OK(pan_compute_swiglu_backward(c, &x, &up, &g, NULL, &dup));
    EXPECT_INVALID(op, pan_compute_swiglu_backward(c, &x, &up, &g, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_swiglu_backward(c, &x, P(F(2, S(3, 6))), &g, &dgate, NULL));
    EXPECT_INVALID(op, pan_compute_swiglu_backward(c, &x, &up, &g, &dgate, P(O_AT(10, 2, S(3, 7)))));
    EXPECT_INVALID(op, pan_compute_swiglu_backward(c, &x, &up, &g, P(O(2, S(3, 6))), NULL));
}

static void rope_adaln_errors(pan_compute *c) {
    const char *op = "rope_backward";
    pan_tensor g = F(4, S(2, 3, 2, 8)), pos = I(2, S(2, 3), 1), pos2 = I(3, S(2, 3, 2), 1);
    pan_tensor dx = O(4, S(2, 3, 2, 8));
    EXPECT_OK(pan_compute_rope_backward(c, &g, &pos, 1, 10000, &dx));
    EXPECT_OK(pan_compute_rope_backward(c, &g, &pos2, 2, 10000, &dx));
    EXPECT_INVALID(op, pan_compute_rope_backward(c, &g, &pos2, 1, 10000, &dx));
    EXPECT_INVALID(op, pan_compute_rope_backward(c, &g, P(dtype_of(pos, F32)), 1, 10000, &dx));
    EXPECT_INVALID(op, pan_compute_rope_backward(c, &g, &pos, 3, 10000, &dx));
    EXPECT_INVALID(op, pan_compute_rope_backward(c, &g, &pos, 1, 0.5f, &dx));
    EXPECT_INVALID(op, pan_compute_rope_backward(c, P(F(4, S(2, 3, 2, 6))), &pos2, 2, 10000, P(O(4, S(2, 3, 2, 6)))));
    EXPECT_INVALID(op, pan_compute_rope_backward(c, &g, &pos, 1, 10000, P(O(4, S(2, 3, 1, 16)))));
    EXPECT_INVALID(op, pan_compute_rope_backward(c, &g, NULL, 1, 10000, &dx));
    EXPECT_INVALID(op, pan_compute_rope_backward(c, P(O_AT(8, 4, S(2, 3, 2, 8))), &pos, 1, 10000, &dx));

    op = "modulate_backward";
    pan_tensor x = F(3, S(2, 4, 6)), scale = F(2, S(2, 6)), gm = F(3, S(2, 4, 6));
    pan_tensor dxm = O_AT(0, 3, S(2, 4, 6)), dsh = O_AT(100, 2, S(2, 6));
    pan_tensor dsc = O_AT(200, 2, S(2, 6));
    EXPECT_OK(pan_compute_modulate_backward(c, &x, &scale, &gm, &dxm, &dsh, &dsc));
    EXPECT_OK(pan_compute_modulate_backward(c, &x, &scale, &gm, NULL, &dsh, NULL));
    EXPECT_INVALID(op, pan_compute_modulate_backward(c, &x, &scale, &gm, NULL, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_modulate_backward(c, &x, P(F(2, S(1, 6))), &gm, &dxm, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_modulate_backward(c, &x, &scale, P(F(3, S(2, 4, 5))), &dxm, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_modulate_backward(c, &x, &scale, &gm, NULL, P(O(2, S(2, 5))), NULL));
    EXPECT_INVALID(op, pan_compute_modulate_backward(c, &x, &scale, &gm, NULL, &dsh, P(O_AT(105, 2, S(2, 6)))));
    EXPECT_INVALID(op, pan_compute_modulate_backward(c, &x, &scale, &gm, P(reshaped(dxm, 2, S(8, 6))), NULL, NULL));

    op = "gate_add_backward";
    pan_tensor yv = F(3, S(2, 4, 6)), gate = F(2, S(2, 6));
    EXPECT_OK(pan_compute_gate_add_backward(c, &yv, &gate, &gm, &dxm, P(O_AT(300, 3, S(2, 4, 6))), &dsc));
    EXPECT_INVALID(op, pan_compute_gate_add_backward(c, &yv, &gate, &gm, NULL, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_gate_add_backward(c, &yv, P(dtype_of(gate, I32)), &gm, &dxm, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_gate_add_backward(c, &yv, &gate, &gm, &dxm, P(O_AT(10, 3, S(2, 4, 6))), NULL));
    EXPECT_INVALID(op, pan_compute_gate_add_backward(c, &yv, &gate, &gm, NULL, NULL, P(O(2, S(6, 2)))));
    EXPECT_INVALID(op, pan_compute_gate_add_backward(c, P(O_AT(0, 3, S(2, 4, 6))), &gate, &gm, &dxm, NULL, NULL));
}

static void layout_errors(pan_compute *c) {
    const char *op = "embedding_backward";
    pan_tensor ids = I(2, S(2, 3), 9), g = F(3, S(2, 3, 4)), dt = O(2, S(10, 4));
    EXPECT_OK(pan_compute_embedding_backward(c, &ids, &g, &dt));
    EXPECT_INVALID(op, pan_compute_embedding_backward(c, P(I(2, S(2, 3), 10)), &g, &dt));
    EXPECT_INVALID(op, pan_compute_embedding_backward(c, P(I(2, S(2, 3), -1)), &g, &dt));
    EXPECT_INVALID(op, pan_compute_embedding_backward(c, P(dtype_of(ids, F32)), &g, &dt));
    EXPECT_INVALID(op, pan_compute_embedding_backward(c, &ids, P(F(3, S(2, 3, 5))), &dt));
    EXPECT_INVALID(op, pan_compute_embedding_backward(c, &ids, P(F(2, S(6, 4))), &dt));
    EXPECT_INVALID(op, pan_compute_embedding_backward(c, &ids, &g, NULL));
    EXPECT_INVALID(op, pan_compute_embedding_backward(c, &ids, &g, P(O(3, S(1, 10, 4)))));
    EXPECT_INVALID(op, pan_compute_embedding_backward(c, &ids, P(O_AT(20, 3, S(2, 3, 4))), &dt));

    op = "patchify_backward";
    pan_tensor tok = F(3, S(2, 6, 12)), img = F(4, S(2, 3, 4, 6));
    pan_tensor dimg = O(4, S(2, 3, 4, 6)), dtok = O(3, S(2, 6, 12));
    EXPECT_OK(pan_compute_patchify_backward(c, &tok, 2, &dimg));
    EXPECT_INVALID(op, pan_compute_patchify_backward(c, &tok, 3, &dimg));
    EXPECT_INVALID(op, pan_compute_patchify_backward(c, P(F(3, S(2, 6, 13))), 2, &dimg));
    EXPECT_INVALID(op, pan_compute_patchify_backward(c, &tok, 2, NULL));
    EXPECT_INVALID(op, pan_compute_patchify_backward(c, P(O_AT(7, 3, S(2, 6, 12))), 2, &dimg));
    op = "unpatchify_backward";
    EXPECT_OK(pan_compute_unpatchify_backward(c, &img, 2, &dtok));
    EXPECT_INVALID(op, pan_compute_unpatchify_backward(c, &img, 0, &dtok));
    EXPECT_INVALID(op, pan_compute_unpatchify_backward(c, P(dtype_of(img, I32)), 2, &dtok));
    EXPECT_INVALID(op, pan_compute_unpatchify_backward(c, &img, 2, P(O(3, S(2, 12, 6)))));
    EXPECT_INVALID(op, pan_compute_unpatchify_backward(c, &img, 2, P(strided(dtok))));
}

static void attention_errors(pan_compute *c) {
    const char *op = "attention";
    const pan_attention_mask NONE = PAN_ATTENTION_MASK_NONE,
                             ROUNDS = PAN_ATTENTION_MASK_ROUNDS;
    pan_tensor q = F(4, S(2, 3, 4, 8)), k = F(4, S(2, 5, 2, 8)),
               v = F(4, S(2, 5, 2, 8)), out = O_AT(0, 4, S(2, 3, 4, 8));
    pan_tensor lse = O_AT(400, 3, S(2, 4, 3));
    pan_tensor qr = I(2, S(2, 3), 2), kr = I(2, S(2, 5), 1);
    const float sc = 0.35f;
    /* the forward's lse output and the ROUNDS mask */
    pan_attention_extra e = {.lse = &lse};
    EXPECT_OK(pan_compute_attention(c, &out, &q, &k, &v, NONE, sc, &e));
    e = (pan_attention_extra){.lse = &lse, .q_round = &qr, .k_round = &kr,
                              .round_window = 2};
    EXPECT_OK(pan_compute_attention(c, &out, &q, &k, &v, ROUNDS, sc, &e));
    e = (pan_attention_extra){.lse = P(O_AT(400, 3, S(2, 3, 4)))};
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, NONE, sc, &e));
    e = (pan_attention_extra){.lse = P(dtype_of(lse, I32))};
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, NONE, sc, &e));
    e = (pan_attention_extra){.lse = P(O_AT(10, 3, S(2, 4, 3)))}; /* in out */
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, NONE, sc, &e));
    e = (pan_attention_extra){.q_round = &qr, .round_window = 2};
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, ROUNDS, sc, &e));
    e = (pan_attention_extra){.q_round = &qr, .k_round = &kr, .round_window = 1};
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, ROUNDS, sc, &e));
    e = (pan_attention_extra){.q_round = &kr, .k_round = &kr, .round_window = 2};
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, ROUNDS, sc, &e));
    e = (pan_attention_extra){.q_round = &qr, .k_round = P(dtype_of(kr, F32)), .round_window = 2};
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, ROUNDS, sc, &e));
    e = (pan_attention_extra){.q_round = &qr, .k_round = &kr, .round_window = 2,
                              .kv_len = P(I(1, S(2), 2))}; /* causal: >= Tq */
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, ROUNDS, sc, &e));
    EXPECT_INVALID(op, pan_compute_attention(c, &out, &q, &k, &v, (pan_attention_mask)4, sc, NULL));

    op = "attention_backward";
    pan_tensor o = F(4, S(2, 3, 4, 8)), g = F(4, S(2, 3, 4, 8)), l = F(3, S(2, 4, 3));
    pan_tensor dq = O_AT(0, 4, S(2, 3, 4, 8)), dk = O_AT(200, 4, S(2, 5, 2, 8));
    pan_tensor dv = O_AT(400, 4, S(2, 5, 2, 8));
    pan_attention_extra r = {.q_round = &qr, .k_round = &kr, .round_window = 2};
    EXPECT_OK(pan_compute_attention_backward(c, &q, &k, &v, &o, &g, &l, NONE, sc, NULL, &dq, &dk, &dv));
    EXPECT_OK(pan_compute_attention_backward(c, &q, &k, &v, &o, &g, &l, ROUNDS, sc, &r, NULL, &dk, NULL));
    EXPECT_INVALID(op, pan_compute_attention_backward(c, &q, &k, &v, &o, &g, &l, NONE, sc, NULL, NULL, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_attention_backward(c, &q, &k, &v, &o, &g, NULL, NONE, sc, NULL, &dq, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_attention_backward(c, &q, &k, &v, &o, &g, P(F(3, S(2, 3, 4))), NONE, sc, NULL, &dq, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_attention_backward(c, &q, &k, &v, P(F(4, S(2, 3, 2, 8))), &g, &l, NONE, sc, NULL, &dq, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_attention_backward(c, &q, &k, &v, &o, P(F(4, S(2, 3, 4, 7))), &l, NONE, sc, NULL, &dq, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_attention_backward(c, &q, &k, P(F(4, S(2, 6, 2, 8))), &o, &g, &l, NONE, sc, NULL, &dq, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_attention_backward(c, &q, &k, &v, &o, &g, &l, NONE, INFINITY, NULL, &dq, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_attention_backward(c, &q, &k, &v, &o, &g, &l, ROUNDS, sc, NULL, &dq, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_attention_backward(c, &q, &k, &v, &o, &g, &l, PAN_ATTENTION_MASK_BLOCK, sc, NULL, &dq, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_attention_backward(c, &q, &k, &v, &o, &g, &l, NONE, sc, NULL, P(O(4, S(2, 3, 4, 7))), NULL, NULL));
    EXPECT_INVALID(op, pan_compute_attention_backward(c, &q, &k, &v, &o, &g, &l, NONE, sc, NULL, NULL, P(O(4, S(2, 5, 4, 8))), NULL));
    EXPECT_INVALID(op, pan_compute_attention_backward(c, &q, &k, &v, &o, &g, &l, NONE, sc, NULL, NULL, &dk, P(O_AT(300, 4, S(2, 5, 2, 8)))));
    EXPECT_INVALID(op, pan_compute_attention_backward(c, P(O_AT(100, 4, S(2, 3, 4, 8))), &k, &v, &o, &g, &l, NONE, sc, NULL, &dq, NULL, NULL));
    EXPECT_INVALID(op, pan_compute_attention_backward(c, &q, &k, &v, &o, &g, P(O_AT(500, 3, S(2, 4, 3))), NONE, sc, NULL, NULL, NULL, &dv));
    pan_attention_extra km = {.key_mask = P(U8(2, S(2, 4)))};
    EXPECT_INVALID(op, pan_compute_attention_backward(c, &q, &k, &v, &o, &g, &l, NONE, sc, &km, &dq, NULL, NULL));
    pan_attention_extra kl = {.kv_len = P(I(1, S(2), 6))};
    EXPECT_INVALID(op, pan_compute_attention_backward(c, &q, &k, &v, &o, &g, &l, NONE, sc, &kl, &dq, NULL, NULL));
}

static void loss_errors(pan_compute *c) {
    pan_tensor p = F(3, S(2, 3, 4)), t = F(3, S(2, 3, 4)), w = F(1, S(2));
    pan_tensor loss = O_AT(0, 1, S(1)), dp = O_AT(64, 3, S(2, 3, 4));
    static const char *const names[] = {"mse_loss", "l1_loss"};
    for (int which = 0; which < 2; which++) {
        const char *op = names[which];
#define LOSS(a, b, wt, gs, l, d)                                               \
    (which == 0 ? pan_compute_mse_loss(c, a, b, wt, gs, l, d)                  \
                : pan_compute_l1_loss(c, a, b, wt, gs, l, d))
        EXPECT_OK(LOSS(&p, &t, &w, 1.0f, &loss, &dp));
        EXPECT_OK(LOSS(&p, &t, NULL, 1.0f, &loss, NULL));
        EXPECT_INVALID(op, LOSS(&p, P(F(3, S(2, 3, 5))), NULL, 1.0f, &loss, NULL));
        EXPECT_INVALID(op, LOSS(&p, &t, P(F(1, S(3))), 1.0f, &loss, NULL));
        EXPECT_INVALID(op, LOSS(&p, &t, P(F(2, S(2, 1))), 1.0f, &loss, NULL));
        EXPECT_INVALID(op, LOSS(&p, &t, NULL, NAN, &loss, NULL));
        EXPECT_INVALID(op, LOSS(&p, &t, NULL, 1.0f, NULL, NULL));
        EXPECT_INVALID(op, LOSS(&p, &t, NULL, 1.0f, P(O(1, S(2))), NULL));
        EXPECT_INVALID(op, LOSS(&p, &t, NULL, 1.0f, P(O(0, NULL)), NULL));
        EXPECT_INVALID(op, LOSS(&p, &t, NULL, 1.0f, &loss, P(O_AT(64, 3, S(2, 3, 5)))));
        EXPECT_INVALID(op, LOSS(&p, &t, NULL, 1.0f, &loss, P(O_AT(0, 3, S(2, 3, 4)))));
        EXPECT_INVALID(op, LOSS(P(F(2, S(0, 3))), P(F(2, S(0, 3))), NULL, 1.0f, &loss, NULL));
        EXPECT_INVALID(op, LOSS(P(dtype_of(p, I32)), &t, NULL, 1.0f, &loss, NULL));
        EXPECT_INVALID(op, LOSS(P(O_AT(64, 3, S(2, 3, 4))), &t, NULL, 1.0f, &loss, &dp));
#undef LOSS
    }
    const char *op = "kl_loss";
    pan_tensor dlv = O_AT(200, 3, S(2, 3, 4));
    EXPECT_OK(pan_compute_kl_loss(c, &p, &t, 1.0f, &loss, &dp, &dlv));
    EXPECT_INVALID(op, pan_compute_kl_loss(c, &p, P(F(3, S(2, 4, 3))), 1.0f, &loss, &dp, NULL));
    EXPECT_INVALID(op, pan_compute_kl_loss(c, &p, &t, 1.0f, &loss, &dp, P(O_AT(70, 3, S(2, 3, 4)))));
    EXPECT_INVALID(op, pan_compute_kl_loss(c, &p, &t, 1.0f, &loss, NULL, P(O(3, S(2, 3, 3)))));
    EXPECT_INVALID(op, pan_compute_kl_loss(c, &p, &t, INFINITY, &loss, NULL, NULL));
}

int main(void) {
    pan_compute *c = NULL;
    pan_compute_options opts = {.backend = "auto", .n_threads = 2};
    CHECK_STATUS(pan_compute_create(&c, &opts), PAN_OK);
    if (!c) return test_exit_code("test_compute_errors_backward");
    sum_rows_matmul_errors(c);
    conv_upsample_errors(c);
    norm_errors(c);
    pointwise_errors(c);
    rope_adaln_errors(c);
    layout_errors(c);
    attention_errors(c);
    loss_errors(c);
    pan_compute_destroy(c);
    printf("%d op calls checked\n", checks);
    return test_exit_code("test_compute_errors_backward");
}
