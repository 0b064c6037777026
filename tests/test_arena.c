/* tests/test_arena.c: bump arenas (core/arena.h): alignment, zero fill,
 * exhaustion (message names the arena; arena unchanged), mark/rewind, reset,
 * peak, tensors (label "unit"). */
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "tests/test_util.h"

static int is_aligned(const void *p, size_t align) {
    return ((uintptr_t)p & (align - 1)) == 0;
}

static int all_zero(const void *p, size_t bytes) {
    const unsigned char *b = p;
    for (size_t i = 0; i < bytes; i++)
        if (b[i]) return 0;
    return 1;
}

static void test_init_and_alignment(void) {
    pan_arena a;
    CHECK_STATUS(pan_arena_init(&a, "scratch", 1000), PAN_OK);
    CHECK(strcmp(a.name, "scratch") == 0);
    CHECK(a.capacity >= 1000 && a.used == 0 && a.peak == 0);
    CHECK(a.base && is_aligned(a.base, PAN_ARENA_ALIGN));

    void *p = pan_arena_alloc(&a, 1, 0); /* 0: PAN_ARENA_ALIGN */
    CHECK(p && is_aligned(p, PAN_ARENA_ALIGN));
    for (size_t align = 1; align <= PAN_ARENA_ALIGN; align *= 2) {
        unsigned char *odd = pan_arena_alloc(&a, 3, 1); /* misalign `used` */
        void *q = pan_arena_alloc(&a, 5, align);
        CHECK(odd && q && is_aligned(q, align));
        CHECK((unsigned char *)q >= odd + 3); /* no overlap */
    }
    CHECK(a.used <= a.capacity);

    size_t used = a.used;
    pan_error_clear();
    CHECK(pan_arena_alloc(&a, 4, 3) == NULL); /* not a power of two */
    CHECK(pan_error_message()[0] != '\0');
    CHECK(pan_arena_alloc(&a, 4, 2 * PAN_ARENA_ALIGN) == NULL);
    CHECK(a.used == used);
    pan_arena_free(&a);
    CHECK(a.base == NULL && a.capacity == 0 && a.used == 0);
    pan_arena_free(&a); /* twice is harmless */
    pan_arena_free(NULL);

    /* long names are truncated, never overflow */
    char long_name[100];
    memset(long_name, 'n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    CHECK_STATUS(pan_arena_init(&a, long_name, 64), PAN_OK);
    CHECK(strlen(a.name) == PAN_ARENA_NAME_MAX - 1);
    pan_arena_free(&a);
}

static void test_zero_fill_and_rewind(void) {
    pan_arena a;
    CHECK_STATUS(pan_arena_init(&a, "acts", 4096), PAN_OK);
    size_t start = pan_arena_mark(&a);
    CHECK(start == 0);
    unsigned char *p = pan_arena_alloc(&a, 1000, 0);
    CHECK(p && all_zero(p, 1000));
    memset(p, 0xFF, 1000);
    size_t mark = pan_arena_mark(&a);
    unsigned char *q = pan_arena_alloc(&a, 2000, 16);
    CHECK(q && all_zero(q, 2000));
    memset(q, 0xEE, 2000);
    size_t peak = a.peak;
    CHECK(peak == a.used && peak >= 3000);

    pan_arena_rewind(&a, mark);
    CHECK(a.used == mark && a.peak == peak);
    unsigned char *r = pan_arena_alloc(&a, 2000, 16);
    CHECK(r == q && all_zero(r, 2000)); /* reused and zeroed again */
    CHECK(p[999] == 0xFF);              /* earlier memory kept */

    size_t used_now = a.used;
    pan_arena_rewind(&a, used_now + 64); /* a mark from the future: ignored */
    CHECK(a.used == used_now);

    pan_arena_reset(&a);
    CHECK(a.used == 0 && a.peak == peak);
    unsigned char *s = pan_arena_alloc(&a, 500, 0);
    CHECK(s == p && all_zero(s, 500));
    CHECK(a.peak == peak); /* peak is the high-water mark */
    pan_arena_free(&a);
}

static void test_exhaustion(void) {
    pan_arena a;
    CHECK_STATUS(pan_arena_init(&a, "weights", 256), PAN_OK);
    size_t capacity = a.capacity;
    CHECK(pan_arena_alloc(&a, 100, 0) != NULL);
    size_t used = a.used, peak = a.peak;

    pan_error_clear();
    CHECK(pan_arena_alloc(&a, capacity, 0) == NULL);
    const char *msg = pan_error_message();
    CHECK(strstr(msg, "weights") != NULL);
    CHECK(a.used == used && a.peak == peak && a.capacity == capacity);

    pan_error_clear();
    CHECK(pan_arena_alloc(&a, SIZE_MAX, 0) == NULL); /* no overflow */
    CHECK(strstr(pan_error_message(), "weights") != NULL);
    CHECK(a.used == used && a.peak == peak);

    /* exactly what is left still fits */
    size_t left = capacity - ((used + PAN_ARENA_ALIGN - 1) &
                              ~(size_t)(PAN_ARENA_ALIGN - 1));
    CHECK(pan_arena_alloc(&a, left, 0) != NULL);
    CHECK(a.used == capacity);
    pan_error_clear();
    CHECK(pan_arena_alloc(&a, 1, 1) == NULL);
    CHECK(strstr(pan_error_message(), "weights") != NULL);
    pan_arena_free(&a);

    /* capacity 0: every allocation fails */
    CHECK_STATUS(pan_arena_init(&a, "empty", 0), PAN_OK);
    pan_error_clear();
    CHECK(pan_arena_alloc(&a, 1, 0) == NULL);
    CHECK(strstr(pan_error_message(), "empty") != NULL);
    pan_arena_free(&a);
}

static void test_tensors(void) {
    pan_arena a;
    CHECK_STATUS(pan_arena_init(&a, "state", 4096), PAN_OK);
    pan_tensor t;
    CHECK_STATUS(pan_arena_tensor(&a, &t, PAN_DTYPE_F32, 3, PAN_SHAPE(2, 3, 5)),
                 PAN_OK);
    CHECK(t.data && is_aligned(t.data, PAN_ARENA_ALIGN));
    CHECK(t.ndim == 3 && t.shape[2] == 5 && pan_tensor_is_contiguous(&t));
    CHECK(all_zero(t.data, pan_tensor_nbytes(&t)));
    CHECK(a.used >= 120);

    pan_tensor u;
    CHECK_STATUS(pan_arena_tensor(&a, &u, PAN_DTYPE_U8, 1, PAN_SHAPE(7)),
                 PAN_OK);
    CHECK((unsigned char *)u.data >= (unsigned char *)t.data + 120);

    /* failures leave both the tensor and the arena alone */
    pan_tensor before;
    memset(&before, 0x3C, sizeof before);
    t = before;
    size_t used = a.used;
    pan_error_clear();
    CHECK_STATUS(pan_arena_tensor(&a, &t, PAN_DTYPE_F32, 2, PAN_SHAPE(64, 64)),
                 PAN_ERR_RESOURCE_EXHAUSTED);
    CHECK(strstr(pan_error_message(), "state") != NULL);
    CHECK(memcmp(&t, &before, sizeof t) == 0 && a.used == used);
    CHECK_STATUS(pan_arena_tensor(&a, &t, PAN_DTYPE_F32, 2, PAN_SHAPE(-1, 4)),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(memcmp(&t, &before, sizeof t) == 0 && a.used == used);
    CHECK_STATUS(pan_arena_tensor(&a, &t, PAN_DTYPE_F32, 4,
                                  PAN_SHAPE(INT64_C(1) << 40, INT64_C(1) << 40,
                                            1, 1)),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(memcmp(&t, &before, sizeof t) == 0 && a.used == used);
    pan_arena_free(&a);
}

int main(void) {
    test_init_and_alignment();
    test_zero_fill_and_rewind();
    test_exhaustion();
    test_tensors();
    return test_exit_code("test_arena");
}
