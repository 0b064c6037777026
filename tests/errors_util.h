/* tests/errors_util.h: the machinery of the op error-path tests
 * (test_compute_errors.c, test_compute_errors_backward.c).
 *
 * Contract
 * - Inputs come from a static pool (take, F, I, U8); outputs live in the
 *   watched `outbuf` (O, O_AT), which prepare() fills with a byte pattern
 *   before every call.
 * - EXPECT_INVALID(op, call) checks that `call` returns INVALID_ARGUMENT
 *   with a non-empty message naming `op` and left `outbuf` untouched;
 *   EXPECT_OK(call) that it succeeds. Failures are counted by
 *   tests/test_util.h.
 * - Variants of a valid tensor with one defect: dtype_of, reshaped,
 *   no_data, strided. P(t) is a pointer to a temporary copy of t.
 * - Include it in one translation unit per executable (static state).
 */
#ifndef PAN_TESTS_ERRORS_UTIL_H
#define PAN_TESTS_ERRORS_UTIL_H

#include <string.h>

#include "core/compute.h"
#include "tests/test_util.h"


#define S PAN_SHAPE
/* Pointer to a temporary copy of a pan_tensor value (lives to block end). */
#define P(t) ((pan_tensor[]){t})

/* ---- memory: inputs come from `pool`; outputs from the watched `outbuf` */

#define OUT_FLOATS 8192
static _Alignas(64) float outbuf[OUT_FLOATS];
static _Alignas(64) unsigned char pool[1 << 20];
static size_t pool_used;

static inline void *take(size_t bytes) {
    void *p = pool + pool_used;
    pool_used += (bytes + 63) & ~(size_t)63;
    if (pool_used > sizeof pool) {
        fprintf(stderr, "test pool too small\n");
        exit(2);
    }
    return p;
}

static inline pan_tensor make(void *data, pan_dtype dtype, int ndim,
                       const int64_t *shape) {
    pan_tensor t = {0};
    if (pan_tensor_init(&t, data, dtype, ndim, shape) != PAN_OK) {
        fprintf(stderr, "bad test shape: %s\n", pan_error_message());
        exit(2);
    }
    return t;
}

/* f32 input filled with 0.25 */
static inline pan_tensor F(int ndim, const int64_t *shape) {
    pan_tensor t = make(NULL, PAN_DTYPE_F32, ndim, shape);
    float *x = take(pan_tensor_nbytes(&t));
    for (int64_t i = 0; i < pan_tensor_numel(&t); i++) x[i] = 0.25f;
    t.data = x;
    return t;
}

/* i32 input filled with `value` */
static inline pan_tensor I(int ndim, const int64_t *shape, int32_t value) {
    pan_tensor t = make(NULL, PAN_DTYPE_I32, ndim, shape);
    int32_t *x = take(pan_tensor_nbytes(&t));
    for (int64_t i = 0; i < pan_tensor_numel(&t); i++) x[i] = value;
    t.data = x;
    return t;
}

/* u8 input filled with 1 */
static inline pan_tensor U8(int ndim, const int64_t *shape) {
    pan_tensor t = make(NULL, PAN_DTYPE_U8, ndim, shape);
    t.data = take(pan_tensor_nbytes(&t));
    memset(t.data, 1, pan_tensor_nbytes(&t));
    return t;
}

/* f32 output view at outbuf + offset floats */
static inline pan_tensor O_AT(int64_t offset, int ndim, const int64_t *shape) {
    return make(outbuf + offset, PAN_DTYPE_F32, ndim, shape);
}
static inline pan_tensor O(int ndim, const int64_t *shape) {
    return O_AT(0, ndim, shape);
}

/* Variants of a valid tensor with one defect each. */
static inline pan_tensor dtype_of(pan_tensor t, pan_dtype dtype) {
    t.dtype = dtype;
    return t;
}
static inline pan_tensor reshaped(pan_tensor t, int ndim, const int64_t *shape) {
    pan_tensor r = make(t.data, t.dtype, ndim, shape);
    return r;
}
static inline pan_tensor no_data(pan_tensor t) {
    t.data = NULL;
    return t;
}
/* Same shape, last dimension with stride 2: not contiguous. Memory comes
 * from outbuf when t is an output (so writes are caught), else the pool. */
static inline pan_tensor strided(pan_tensor t) {
    bool is_out = (float *)t.data >= outbuf && (float *)t.data < outbuf + OUT_FLOATS;
    int64_t stride = 2;
    for (int d = t.ndim - 1; d >= 0; d--) {
        t.stride[d] = stride;
        stride *= t.shape[d];
    }
    t.data = is_out ? (void *)outbuf : take((size_t)stride * 4);
    return t;
}

/* ---- the checks ---- */

static int checks;

static inline void prepare(void) {
    memset(outbuf, 0xA5, sizeof outbuf);
    pan_error_clear();
}

static inline bool outbuf_untouched(void) {
    const unsigned char *b = (const unsigned char *)outbuf;
    for (size_t i = 0; i < sizeof outbuf; i++)
        if (b[i] != 0xA5) return false;
    return true;
}

static inline void expect_at(const char *file, int line, const char *call,
                      pan_status want, const char *op, pan_status got) {
    checks++;
    const char *msg = pan_error_message();
    const char *problem = NULL;
    if (got != want) problem = "wrong status";
    else if (want != PAN_OK && msg[0] == '\0') problem = "empty message";
    else if (want != PAN_OK && op && !strstr(msg, op))
        problem = "message does not name the op";
    else if (want != PAN_OK && !outbuf_untouched())
        problem = "output written on failure";
    if (!problem) return;
    fprintf(stderr, "%s:%d: %s: got %s, expected %s; message \"%s\"\n  %s\n",
            file, line, problem, pan_status_name(got), pan_status_name(want),
            msg, call);
    ++*test_failure_count();
}

/* `call` is evaluated after prepare() (comma operator sequencing). */
#define EXPECT_INVALID(op, call)                                               \
    expect_at(__FILE__, __LINE__, #call, PAN_ERR_INVALID_ARGUMENT, op,         \
              (prepare(), (call)))
#define EXPECT_OK(call)                                                        \
    expect_at(__FILE__, __LINE__, #call, PAN_OK, NULL, (prepare(), (call)))

static const pan_dtype I32 = PAN_DTYPE_I32, F32 = PAN_DTYPE_F32,
                       U8_T = PAN_DTYPE_U8;


#endif
