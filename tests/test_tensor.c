/* tests/test_tensor.c: tensor views (core/tensor.h): init, numel,
 * contiguity, reshape/slice/transpose and their errors (label "unit").
 * A failing function must set a message and leave its output untouched. */
#include <string.h>

#include "core/tensor.h"
#include "tests/test_util.h"

static float storage[2 * 3 * 4 * 5];

/* A pan_tensor filled with a byte pattern, to see whether a call wrote it. */
static pan_tensor poisoned(void) {
    pan_tensor t;
    memset(&t, 0x5A, sizeof t);
    return t;
}

static int is_poisoned(const pan_tensor *t) {
    pan_tensor p = poisoned();
    return memcmp(t, &p, sizeof p) == 0;
}

/* The call must fail with INVALID_ARGUMENT and a message, writing nothing. */
#define EXPECT_REJECTED(call, out)                                             \
    do {                                                                       \
        (out) = poisoned();                                                    \
        pan_error_clear();                                                     \
        CHECK_STATUS(call, PAN_ERR_INVALID_ARGUMENT);                          \
        CHECK(pan_error_message()[0] != '\0');                                 \
        CHECK(is_poisoned(&(out)));                                            \
    } while (0)

static void test_dtypes(void) {
    CHECK(pan_dtype_size(PAN_DTYPE_F32) == 4);
    CHECK(pan_dtype_size(PAN_DTYPE_BF16) == 2);
    CHECK(pan_dtype_size(PAN_DTYPE_U8) == 1);
    CHECK(pan_dtype_size(PAN_DTYPE_I32) == 4);
    CHECK(pan_dtype_size(PAN_DTYPE_COUNT) == 0);
    CHECK(pan_dtype_size((pan_dtype)-1) == 0);
    CHECK(strcmp(pan_dtype_name(PAN_DTYPE_F32), "f32") == 0);
    CHECK(strcmp(pan_dtype_name(PAN_DTYPE_BF16), "bf16") == 0);
    CHECK(strcmp(pan_dtype_name(PAN_DTYPE_U8), "u8") == 0);
    CHECK(strcmp(pan_dtype_name(PAN_DTYPE_I32), "i32") == 0);
    CHECK(pan_dtype_name(PAN_DTYPE_COUNT) != NULL);
}

static void test_init(void) {
    pan_tensor t;
    CHECK_STATUS(pan_tensor_init(&t, storage, PAN_DTYPE_F32, 3,
                                 PAN_SHAPE(2, 3, 4)),
                 PAN_OK);
    CHECK(t.data == storage && t.dtype == PAN_DTYPE_F32 && t.ndim == 3);
    CHECK(t.shape[0] == 2 && t.shape[1] == 3 && t.shape[2] == 4);
    CHECK(t.stride[0] == 12 && t.stride[1] == 4 && t.stride[2] == 1);
    CHECK(t.name == NULL);
    CHECK(pan_tensor_numel(&t) == 24);
    CHECK(pan_tensor_nbytes(&t) == 96);
    CHECK(pan_tensor_is_contiguous(&t));

    CHECK_STATUS(pan_tensor_init(&t, storage, PAN_DTYPE_U8, 4,
                                 PAN_SHAPE(2, 3, 4, 5)),
                 PAN_OK);
    CHECK(pan_tensor_numel(&t) == 120 && pan_tensor_nbytes(&t) == 120);
    CHECK(t.stride[0] == 60 && t.stride[3] == 1);

    /* a scalar has one element */
    CHECK_STATUS(pan_tensor_init(&t, storage, PAN_DTYPE_I32, 0, NULL), PAN_OK);
    CHECK(t.ndim == 0 && pan_tensor_numel(&t) == 1 && pan_tensor_nbytes(&t) == 4);
    CHECK(pan_tensor_is_contiguous(&t));

    /* a zero dimension is allowed and has no elements */
    CHECK_STATUS(pan_tensor_init(&t, NULL, PAN_DTYPE_F32, 2, PAN_SHAPE(0, 7)),
                 PAN_OK);
    CHECK(pan_tensor_numel(&t) == 0 && pan_tensor_nbytes(&t) == 0);

    EXPECT_REJECTED(pan_tensor_init(&t, storage, PAN_DTYPE_F32, 5,
                                    PAN_SHAPE(1, 1, 1, 1, 1)),
                    t);
    EXPECT_REJECTED(pan_tensor_init(&t, storage, PAN_DTYPE_F32, -1, NULL), t);
    EXPECT_REJECTED(pan_tensor_init(&t, storage, PAN_DTYPE_F32, 2,
                                    PAN_SHAPE(3, -2)),
                    t);
    EXPECT_REJECTED(pan_tensor_init(&t, storage, PAN_DTYPE_COUNT, 1,
                                    PAN_SHAPE(3)),
                    t);
    EXPECT_REJECTED(pan_tensor_init(&t, storage, PAN_DTYPE_F32, 4,
                                    PAN_SHAPE(INT64_C(1) << 20, INT64_C(1) << 20,
                                              INT64_C(1) << 20, 2)),
                    t);
}

static void test_shape_helpers(void) {
    pan_tensor a, b, c;
    pan_tensor_init(&a, storage, PAN_DTYPE_F32, 3, PAN_SHAPE(2, 3, 4));
    pan_tensor_init(&b, NULL, PAN_DTYPE_I32, 3, PAN_SHAPE(2, 3, 4));
    pan_tensor_init(&c, storage, PAN_DTYPE_F32, 2, PAN_SHAPE(6, 4));
    CHECK(pan_tensor_same_shape(&a, &b)); /* dtype and data do not matter */
    CHECK(!pan_tensor_same_shape(&a, &c));
    pan_tensor_init(&c, storage, PAN_DTYPE_F32, 3, PAN_SHAPE(2, 4, 3));
    CHECK(!pan_tensor_same_shape(&a, &c));

    char buf[32];
    CHECK(strcmp(pan_tensor_shape_str(&a, buf, sizeof buf), "[2,3,4]") == 0);
    pan_tensor_init(&c, storage, PAN_DTYPE_F32, 0, NULL);
    CHECK(strcmp(pan_tensor_shape_str(&c, buf, sizeof buf), "[]") == 0);
    memset(buf, 'x', sizeof buf);
    pan_tensor_shape_str(&a, buf, 4); /* truncated, still terminated */
    CHECK(memchr(buf, '\0', 4) != NULL && strncmp(buf, "[2,", 3) == 0);
    CHECK(buf[4] == 'x');
    memset(buf, 'x', sizeof buf);
    pan_tensor_shape_str(&a, buf, 0); /* writes nothing */
    CHECK(buf[0] == 'x');
}

static void test_reshape(void) {
    pan_tensor a, r;
    pan_tensor_init(&a, storage, PAN_DTYPE_F32, 3, PAN_SHAPE(2, 3, 4));
    a.name = "acts";
    CHECK_STATUS(pan_tensor_reshape(&a, 2, PAN_SHAPE(6, 4), &r), PAN_OK);
    CHECK(r.ndim == 2 && r.shape[0] == 6 && r.shape[1] == 4);
    CHECK(r.stride[0] == 4 && r.stride[1] == 1 && r.data == storage);
    CHECK(r.name == a.name && r.dtype == PAN_DTYPE_F32);
    CHECK_STATUS(pan_tensor_reshape(&a, 1, PAN_SHAPE(24), &r), PAN_OK);
    CHECK_STATUS(pan_tensor_reshape(&a, 4, PAN_SHAPE(1, 24, 1, 1), &r), PAN_OK);

    EXPECT_REJECTED(pan_tensor_reshape(&a, 2, PAN_SHAPE(5, 5), &r), r);
    CHECK(strstr(pan_error_message(), "acts") != NULL);
    EXPECT_REJECTED(pan_tensor_reshape(&a, 2, PAN_SHAPE(-6, -4), &r), r);
    EXPECT_REJECTED(pan_tensor_reshape(&a, 5, PAN_SHAPE(1, 2, 3, 4, 1), &r), r);

    pan_tensor t;
    pan_tensor_transpose(&a, 1, 2, &t);
    EXPECT_REJECTED(pan_tensor_reshape(&t, 1, PAN_SHAPE(24), &r), r);
    CHECK(strstr(pan_error_message(), "contiguous") != NULL);
}

static void test_slice(void) {
    pan_tensor a, s;
    pan_tensor_init(&a, storage, PAN_DTYPE_F32, 3, PAN_SHAPE(2, 3, 4));
    CHECK_STATUS(pan_tensor_slice(&a, 1, 1, 2, &s), PAN_OK);
    CHECK(s.ndim == 3 && s.shape[0] == 2 && s.shape[1] == 2 && s.shape[2] == 4);
    CHECK(s.stride[0] == 12 && s.stride[1] == 4 && s.stride[2] == 1);
    CHECK((float *)s.data == storage + 4);
    CHECK(!pan_tensor_is_contiguous(&s)); /* rows 1-2 of each of 2 blocks */
    CHECK((float *)pan_tensor_at(&s, PAN_SHAPE(1, 1, 3)) ==
          storage + 12 + 2 * 4 + 3);

    CHECK_STATUS(pan_tensor_slice(&a, 0, 1, 1, &s), PAN_OK);
    CHECK(pan_tensor_is_contiguous(&s) && (float *)s.data == storage + 12);
    CHECK_STATUS(pan_tensor_slice(&a, 2, 4, 0, &s), PAN_OK); /* empty, at end */
    CHECK(pan_tensor_numel(&s) == 0);
    CHECK_STATUS(pan_tensor_slice(&a, 2, 0, 4, &s), PAN_OK); /* everything */
    CHECK(pan_tensor_same_shape(&s, &a) && pan_tensor_is_contiguous(&s));

    pan_tensor_init(&a, storage, PAN_DTYPE_U8, 2, PAN_SHAPE(4, 5));
    CHECK_STATUS(pan_tensor_slice(&a, 0, 2, 2, &s), PAN_OK);
    CHECK((unsigned char *)s.data == (unsigned char *)storage + 10);

    EXPECT_REJECTED(pan_tensor_slice(&a, 2, 0, 1, &s), s);  /* no dim 2 */
    EXPECT_REJECTED(pan_tensor_slice(&a, -1, 0, 1, &s), s);
    EXPECT_REJECTED(pan_tensor_slice(&a, 0, -1, 2, &s), s);
    EXPECT_REJECTED(pan_tensor_slice(&a, 0, 3, 2, &s), s);  /* past the end */
    EXPECT_REJECTED(pan_tensor_slice(&a, 1, 0, -1, &s), s);
    EXPECT_REJECTED(pan_tensor_slice(&a, 1, INT64_MAX, 2, &s), s);
}

static void test_transpose(void) {
    pan_tensor a, t;
    pan_tensor_init(&a, storage, PAN_DTYPE_F32, 3, PAN_SHAPE(2, 3, 4));
    CHECK_STATUS(pan_tensor_transpose(&a, 0, 2, &t), PAN_OK);
    CHECK(t.shape[0] == 4 && t.shape[1] == 3 && t.shape[2] == 2);
    CHECK(t.stride[0] == 1 && t.stride[1] == 4 && t.stride[2] == 12);
    CHECK(!pan_tensor_is_contiguous(&t));
    for (int64_t i = 0; i < 2; i++)
        for (int64_t j = 0; j < 3; j++)
            for (int64_t k = 0; k < 4; k++)
                CHECK(pan_tensor_at(&t, PAN_SHAPE(k, j, i)) ==
                      pan_tensor_at(&a, PAN_SHAPE(i, j, k)));
    pan_tensor back;
    CHECK_STATUS(pan_tensor_transpose(&t, 2, 0, &back), PAN_OK);
    CHECK(pan_tensor_same_shape(&back, &a) && pan_tensor_is_contiguous(&back));
    CHECK_STATUS(pan_tensor_transpose(&a, 1, 1, &t), PAN_OK); /* identity */
    CHECK(pan_tensor_is_contiguous(&t));

    /* dimensions of size 1 never break contiguity, whatever their stride */
    pan_tensor_init(&a, storage, PAN_DTYPE_F32, 3, PAN_SHAPE(1, 5, 1));
    CHECK_STATUS(pan_tensor_transpose(&a, 0, 2, &t), PAN_OK);
    CHECK(pan_tensor_is_contiguous(&t));

    EXPECT_REJECTED(pan_tensor_transpose(&a, 0, 3, &t), t);
    EXPECT_REJECTED(pan_tensor_transpose(&a, -1, 0, &t), t);
}

int main(void) {
    test_dtypes();
    test_init();
    test_shape_helpers();
    test_reshape();
    test_slice();
    test_transpose();
    return test_exit_code("test_tensor");
}
