/* tests/test_util.h: the few helpers every test executable shares.
 *
 * Contract
 * - CHECK(cond) / CHECK_STATUS(expr, want) print file:line and the failed
 *   expression on stderr and count a failure; the test goes on, and
 *   test_exit_code() at the end of main returns 1 if anything failed (and
 *   prints a one-line summary), so a failing check always fails the test.
 * - test_rng: a fixed-seed SplitMix64 generator; the same seed gives the
 *   same numbers on every machine.
 * - test_nmse: sum (a-b)^2 / sum a^2 in double; `a` is the reference. When
 *   sum a^2 is 0 it returns 0 only if b is exactly 0 too, else +inf.
 * - Guarded buffers: `count` floats with TEST_GUARD floats before and after
 *   holding a sentinel pattern; test_guard_intact says whether any guard
 *   word changed (an out-of-bounds write).
 * Everything is static inline so each test takes only what it uses.
 */
#ifndef PAN_TESTS_TEST_UTIL_H
#define PAN_TESTS_TEST_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"

static inline int *test_failure_count(void) {
    static int failures;
    return &failures;
}

static inline void test_fail_at(const char *file, int line, const char *what) {
    fprintf(stderr, "%s:%d: CHECK FAILED: %s\n", file, line, what);
    ++*test_failure_count();
}

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) test_fail_at(__FILE__, __LINE__, #cond);                  \
    } while (0)

#define CHECK_STATUS(expr, want)                                               \
    do {                                                                       \
        pan_status got_ = (expr);                                              \
        if (got_ != (want)) {                                                  \
            fprintf(stderr, "%s:%d: got %s, expected %s (message: %s)\n",      \
                    __FILE__, __LINE__, pan_status_name(got_),                 \
                    pan_status_name(want), pan_error_message());               \
            test_fail_at(__FILE__, __LINE__, #expr);                           \
        }                                                                      \
    } while (0)

/* Call at the end of main: `return test_exit_code("test_tensor");` */
static inline int test_exit_code(const char *suite) {
    int failures = *test_failure_count();
    printf("%s: %s (%d failed checks)\n", suite, failures ? "FAILED" : "OK",
           failures);
    return failures ? 1 : 0;
}

/* ---- deterministic random numbers (SplitMix64) ---- */

typedef struct test_rng {
    uint64_t state;
} test_rng;

static inline uint64_t test_rng_next(test_rng *r) {
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [-1, 1). */
static inline float test_rng_uniform(test_rng *r) {
    return (float)((double)(test_rng_next(r) >> 11) * 0x1.0p-53 * 2.0 - 1.0);
}

/* Uniform integer in [lo, hi]. */
static inline int32_t test_rng_int(test_rng *r, int32_t lo, int32_t hi) {
    return lo + (int32_t)(test_rng_next(r) % (uint64_t)(hi - lo + 1));
}

static inline void test_fill_uniform(test_rng *r, float *x, int64_t n,
                                     float scale, float offset) {
    for (int64_t i = 0; i < n; i++) x[i] = offset + scale * test_rng_uniform(r);
}

/* ---- comparison ---- */

static inline double test_nmse(const float *ref, const float *got, int64_t n) {
    double num = 0.0, den = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double d = (double)ref[i] - (double)got[i];
        num += d * d;
        den += (double)ref[i] * (double)ref[i];
    }
    if (den == 0.0) return num == 0.0 ? 0.0 : INFINITY;
    return num / den;
}

/* Index of the first NaN or Inf, or -1. */
static inline int64_t test_first_nonfinite(const float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return i;
    return -1;
}

/* ---- guarded buffers ---- */

#define TEST_GUARD 64

typedef struct test_guarded {
    float *base;  /* (TEST_GUARD + count + TEST_GUARD) */
    float *data;  /* (count) = base + TEST_GUARD */
    int64_t count;
} test_guarded;

static inline uint32_t test_guard_word(int64_t i) {
    return 0x7FA5C3E1u ^ (uint32_t)(i * 2654435761u); /* mostly NaN bits */
}

static inline void test_guard_fill(test_guarded *g) {
    uint32_t *before = (uint32_t *)g->base;
    uint32_t *after = (uint32_t *)(g->data + g->count);
    for (int64_t i = 0; i < TEST_GUARD; i++) {
        before[i] = test_guard_word(i);
        after[i] = test_guard_word(i + TEST_GUARD);
    }
}

/* Returns 0 and sets g->data on success (count may be 0). */
static inline int test_guarded_alloc(test_guarded *g, int64_t count) {
    g->count = count;
    g->base = malloc((size_t)(count + 2 * TEST_GUARD) * sizeof(float));
    if (!g->base) return -1;
    g->data = g->base + TEST_GUARD;
    test_guard_fill(g);
    return 0;
}

static inline int test_guard_intact(const test_guarded *g) {
    const uint32_t *before = (const uint32_t *)g->base;
    const uint32_t *after = (const uint32_t *)(g->data + g->count);
    for (int64_t i = 0; i < TEST_GUARD; i++)
        if (before[i] != test_guard_word(i) ||
            after[i] != test_guard_word(i + TEST_GUARD))
            return 0;
    return 1;
}

static inline void test_guarded_free(test_guarded *g) {
    free(g->base);
    g->base = g->data = NULL;
}

/* Fills `n` floats with a quiet-NaN pattern: an output element an op forgets
 * to write stays NaN and fails the finiteness check. */
static inline void test_fill_nan(float *x, int64_t n) {
    uint32_t bits = 0x7FC0BEEFu;
    for (int64_t i = 0; i < n; i++) memcpy(&x[i], &bits, sizeof bits);
}

#endif
