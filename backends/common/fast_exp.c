/* backends/common/fast_exp.c: exp(x) by range reduction and a Cephes
 * polynomial, written with GCC vector extensions (16 floats per vector) so
 * that every target_clones variant is vectorised whatever the -O level.
 *
 *   exp(x) = 2^n * exp(r),  n = round(x / ln2),  r = x - n*ln2 in
 *   [-ln2/2, ln2/2]; ln2 is split in a 9-bit head (n*ln2_hi is exact) and a
 *   tail. exp(r) is a degree-7 polynomial (Cephes expf, ~1 ulp). 2^n is
 *   applied as two factors 2^(n>>1) * 2^(n - (n>>1)), both normal floats,
 *   so results that overflow become inf and subnormal results are rounded
 *   once instead of being flushed. Input is clamped to [-104, 89] first
 *   (exp(-104) rounds to 0, exp(89) to inf); NaN passes through the clamps.
 * The AVX-512 path below does the same with FMA, roundscale and vscalefps.
 * Measured over every float with a normal result: max error 0.98 ulp
 * (portable), 1.01 ulp (AVX-512).
 */
#include "backends/common/fast_exp.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#define LANES 16

/* 64-byte vectors cross function boundaries here only inside this file
 * (static inline helpers): GCC's warnings and notes about the AVX-512 call
 * ABI of such vectors do not apply. They are silenced by the pragma (vector
 * returns), 16-byte alignment of the types (loads and stores go through
 * memcpy anyway) and by passing vectors through pointers or a macro. */
#pragma GCC diagnostic ignored "-Wpsabi"
/* ...which holds only if they are really inlined: an unoptimised (Debug)
 * build would otherwise call them across the clones' different vector
 * ABIs and pass garbage. */
#define VEC_INLINE static inline __attribute__((always_inline))

#define VEC_ATTR __attribute__((vector_size(LANES * 4), aligned(16)))
typedef float vfloat VEC_ATTR;
typedef int32_t vint VEC_ATTR;
typedef uint32_t vuint VEC_ATTR;

/* Portable kernels: one source, compiled for AVX-512, AVX2 and baseline
 * x86-64 by target_clones (not under sanitizers, whose runtimes dislike
 * ifuncs). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) &&        \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define PAN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define PAN_CLONES
#endif

/* The AVX-512 kernels (intrinsics, chosen at run time with
 * __builtin_cpu_supports). -DPAN_FAST_EXP_PORTABLE leaves them out. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(PAN_FAST_EXP_PORTABLE)
#define USE_AVX512 1
#include <immintrin.h>
#else
#define USE_AVX512 0
#endif

/* mask ? a : b, lane by lane (mask lanes are 0 or -1). */
#define SELECT(mask, a, b)                                                     \
    ((vfloat)(((vint)(a) & (mask)) | ((vint)(b) & ~(mask))))

VEC_INLINE vfloat splat(float v) {
    return (vfloat){v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v};
}

/* *v = exp(*v). */
VEC_INLINE void exp_vec(vfloat *v) {
    vfloat x = *v;
    const float log2e = 1.44269504088896341f;
    const float ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f;
    const float magic = 12582912.0f; /* 1.5 * 2^23: adds round to integer */
    vfloat lo = splat(-104.0f), hi = splat(89.0f);
    x = SELECT(x < lo, lo, x); /* NaN compares false and stays NaN */
    x = SELECT(x > hi, hi, x);
    vfloat t = x * log2e + magic;
    vfloat nf = t - magic;
    vint n = (vint)t - (vint)splat(magic);
    vfloat r = (x - nf * ln2_hi) - nf * ln2_lo;
    vfloat p = splat(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    vint n1 = n >> 1; /* arithmetic shift: floor(n / 2) */
    vint n2 = n - n1;
    vfloat s1 = (vfloat)((vuint)(n1 + 127) << 23);
    vfloat s2 = (vfloat)((vuint)(n2 + 127) << 23);
    *v = (p * s1) * s2;
}

VEC_INLINE vfloat load(const float *x) {
    vfloat v;
    memcpy(&v, x, sizeof v);
    return v;
}

VEC_INLINE void store(float *y, const vfloat *v) {
    memcpy(y, v, sizeof *v);
}

/* The last n % LANES values as one vector, padded with `pad`. */
VEC_INLINE vfloat load_tail(const float *x, int64_t n, float pad) {
    float buf[LANES];
    for (int l = 0; l < LANES; l++) buf[l] = pad;
    memcpy(buf, x, (size_t)n * sizeof *buf);
    return load(buf);
}

VEC_INLINE void store_tail(float *y, const vfloat *v, int64_t n) {
    float buf[LANES];
    store(buf, v);
    memcpy(y, buf, (size_t)n * sizeof *buf);
}

VEC_INLINE float lanes_sum(const vfloat *v) {
    float sum = 0.0f;
    for (int l = 0; l < LANES; l++) sum += (*v)[l];
    return sum;
}

PAN_CLONES
static void exp_portable(float *y, const float *x, int64_t n) {
    int64_t i = 0;
    for (; i + LANES <= n; i += LANES) {
        vfloat v = load(x + i);
        exp_vec(&v);
        store(y + i, &v);
    }
    if (i < n) {
        vfloat v = load_tail(x + i, n - i, 0.0f);
        exp_vec(&v);
        store_tail(y + i, &v, n - i);
    }
}

PAN_CLONES
static float exp_shift_sum_portable(float *x, int64_t n, float shift) {
    vfloat acc = splat(0.0f);
    int64_t i = 0;
    for (; i + LANES <= n; i += LANES) {
        vfloat e = load(x + i) - shift;
        exp_vec(&e);
        store(x + i, &e);
        acc += e;
    }
    if (i < n) { /* padding -inf adds exp(-inf) = 0 */
        vfloat e = load_tail(x + i, n - i, -INFINITY) - shift;
        exp_vec(&e);
        store_tail(x + i, &e, n - i);
        acc += e;
    }
    return lanes_sum(&acc);
}

#if USE_AVX512
/* The same method in AVX-512F intrinsics: min/max clamps (NaN-preserving
 * operand order), FMA, roundscale for n and vscalefps for p * 2^n, which
 * rounds once and handles overflow and subnormal results by itself. */
__attribute__((target("avx512f"))) static inline __m512 exp512(__m512 x) {
    x = _mm512_max_ps(_mm512_set1_ps(-104.0f), x); /* NaN x: returns x */
    x = _mm512_min_ps(_mm512_set1_ps(89.0f), x);
    __m512 nf = _mm512_roundscale_ps(
        _mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(nf, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(nf, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r);
    p = _mm512_add_ps(p, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, nf);
}

__attribute__((target("avx512f"))) static void
exp_avx512(float *y, const float *x, int64_t n) {
    int64_t i = 0;
    for (; i + LANES <= n; i += LANES)
        _mm512_storeu_ps(y + i, exp512(_mm512_loadu_ps(x + i)));
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(y + i, m,
                              exp512(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

__attribute__((target("avx512f"))) static float
exp_shift_sum_avx512(float *x, int64_t n, float shift) {
    __m512 s = _mm512_set1_ps(shift), acc = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + LANES <= n; i += LANES) {
        __m512 e = exp512(_mm512_sub_ps(_mm512_loadu_ps(x + i), s));
        _mm512_storeu_ps(x + i, e);
        acc = _mm512_add_ps(acc, e);
    }
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        __m512 e = exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), s));
        _mm512_mask_storeu_ps(x + i, m, e);
        acc = _mm512_mask_add_ps(acc, m, acc, e);
    }
    float lanes[LANES];
    _mm512_storeu_ps(lanes, acc);
    float sum = 0.0f;
    for (int l = 0; l < LANES; l++) sum += lanes[l];
    return sum;
}

static bool have_avx512(void) { return __builtin_cpu_supports("avx512f"); }
#endif

void pan_fast_exp(float *y, const float *x, int64_t n) {
#if USE_AVX512
    if (have_avx512()) {
        exp_avx512(y, x, n);
        return;
    }
#endif
    exp_portable(y, x, n);
}

float pan_fast_expf(float x) {
    float y;
    pan_fast_exp(&y, &x, 1);
    return y;
}

float pan_fast_exp_shift_sum(float *x, int64_t n, float shift) {
#if USE_AVX512
    if (have_avx512()) return exp_shift_sum_avx512(x, n, shift);
#endif
    return exp_shift_sum_portable(x, n, shift);
}

PAN_CLONES
float pan_fast_max(const float *x, int64_t n) {
    vfloat m = splat(-INFINITY);
    int64_t i = 0;
    for (; i + LANES <= n; i += LANES) {
        vfloat v = load(x + i);
        m = SELECT(v > m, v, m); /* NaN compares false: ignored */
    }
    if (i < n) {
        vfloat v = load_tail(x + i, n - i, -INFINITY);
        m = SELECT(v > m, v, m);
    }
    float best = -INFINITY;
    for (int l = 0; l < LANES; l++) best = m[l] > best ? m[l] : best;
    return best;
}
