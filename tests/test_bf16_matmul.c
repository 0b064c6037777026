/* tests/test_bf16_matmul.c: the onednn backend's opt-in bf16 matmul
 * (pan_compute_options.bf16_matmul, core/compute.h) against ref (label
 * "parity").
 *
 * - Forward: matmuls of every layout the backend plans (2-D, transposes,
 *   batched, broadcast b, bias native and as a post-op with alpha != 1,
 *   beta = 1) and the model's linear shapes at reduced M, run on
 *   onednn strict with bf16 on, against ref: NaN/Inf check, guard floats,
 *   nmse under BF16_NMSE_BOUND, a second run bit-identical.
 * - The bf16 path must really run: on a CPU whose oneDNN ISA has
 *   AVX512-BF16, every case with more than 8 rows (the few-rows path stays
 *   f32 in dnnl_sgemm) must differ from onednn f32 by at least
 *   BF16_NMSE_FLOOR (bf16 rounding of K-long sums cannot be that close to
 *   f32); a case with at most 8 rows, and every case on a CPU without
 *   AVX512-BF16, must give exactly onednn f32's bits.
 * - Backward: pan_compute_matmul_backward of a linear layer (composed of
 *   matmuls, so bf16 too): da, db, dbias against ref under the same bound.
 * - Cache key: one onednn backend, bf16_matmul toggled between calls of the
 *   same shape: off, on, off, on must give f32 bits, bf16 bits, the same f32
 *   bits, the same bf16 bits (the mode is in the primitive cache key).
 * - The option: pan_compute_options.bf16_matmul = 0 reads PAN_BF16_MATMUL
 *   ("1" on; unset, "" or "0" off; anything else INVALID_ARGUMENT).
 * - With bf16 off the results are test_backend_ops's business.
 *
 * Measured (AMD EPYC with AVX512-BF16, oneDNN 2.6.3, inputs uniform in
 * [-1, 1), K from 8 to 1024): nmse vs ref 3.4e-6 .. 4.9e-6 forward, up to
 * 4.4e-6 for dx/dw (dbias is a f32 sum_rows: 4e-14); each engaged case
 * differs from onednn f32 by about as much (3.4e-6 at least). Bound 1e-5,
 * floor 1e-6.
 */
#define _POSIX_C_SOURCE 200809L /* setenv */

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <oneapi/dnnl/dnnl.h>

#include "core/compute.h"
#include "tests/test_util.h"

/* Normalised MSE bound with bf16 inputs (measured worst: see the header). */
#define BF16_NMSE_BOUND 1e-5
/* An engaged bf16 case differs from f32 by at least this much. */
#define BF16_NMSE_FLOOR 1e-6
/* The f32 few-rows path: test_backend_ops's matmul bound. */
#define F32_NMSE_BOUND 1e-11
#define SMALL_ROWS 8 /* backends/onednn/onednn_matmul.c ONEDNN_SMALL_ROWS */

static test_rng rng = {20270105u};
static double worst_fwd, worst_bwd, least_engaged = INFINITY;

static bool cpu_has_bf16(void) {
    unsigned isa = (unsigned)dnnl_get_effective_cpu_isa();
    unsigned want = (unsigned)dnnl_cpu_isa_avx512_core_bf16;
    return (isa & want) == want;
}

static pan_compute *make(const char *backend, int bf16) {
    pan_compute *c = NULL;
    pan_compute_options o = {.backend = backend, .n_threads = 2,
                             .strict = true, .bf16_matmul = bf16};
    pan_status s = pan_compute_create(&c, &o);
    if (s != PAN_OK)
        fprintf(stderr, "cannot create compute '%s' bf16=%d: %s\n", backend,
                bf16, pan_error_message());
    return c;
}

static float *rand_buf(int64_t n) {
    float *x = malloc((size_t)(n ? n : 1) * sizeof *x);
    if (!x) abort(); /* a bug in the test machine, not in pan */
    test_fill_uniform(&rng, x, n, 1.0f, 0.0f);
    return x;
}

static pan_tensor view(float *data, int ndim, const int64_t *shape) {
    pan_tensor t = {0};
    if (pan_tensor_init(&t, data, PAN_DTYPE_F32, ndim, shape) != PAN_OK)
        abort(); /* a bug in the test itself */
    return t;
}

typedef struct spec {
    int64_t batch_a, batch_b; /* 0: 2-D operand */
    int64_t m, k, n;
    bool trans_a, trans_b, bias;
    float alpha, beta;
} spec;

/* out = the op on compute c, from `init` (beta = 1) or NaN. */
static pan_status run(pan_compute *c, const spec *s, const pan_tensor *a,
                      const pan_tensor *b, const pan_tensor *bias,
                      const float *init, test_guarded *g, int out_ndim,
                      const int64_t *out_shape) {
    if (init)
        memcpy(g->data, init, (size_t)g->count * sizeof(float));
    else
        test_fill_nan(g->data, g->count);
    pan_tensor out = view(g->data, out_ndim, out_shape);
    return pan_compute_matmul(c, &out, a, b, s->bias ? bias : NULL,
                              s->trans_a, s->trans_b, s->alpha, s->beta);
}

static void forward_case(pan_compute *ref, pan_compute *f32,
                         pan_compute *bf16, const spec *s, bool has_bf16) {
    int64_t batch = s->batch_a ? s->batch_a : 1;
    int64_t ar = s->trans_a ? s->k : s->m, ac = s->trans_a ? s->m : s->k;
    int64_t br = s->trans_b ? s->n : s->k, bc = s->trans_b ? s->k : s->n;
    int64_t bb = s->batch_b ? s->batch_b : 1;
    float *da = rand_buf(batch * ar * ac), *db = rand_buf(bb * br * bc);
    float *dbias = rand_buf(s->n);
    int64_t count = batch * s->m * s->n;
    float *init = s->beta != 0.0f ? rand_buf(count) : NULL;
    pan_tensor a = s->batch_a ? view(da, 3, PAN_SHAPE(s->batch_a, ar, ac))
                              : view(da, 2, PAN_SHAPE(ar, ac));
    pan_tensor b = s->batch_b ? view(db, 3, PAN_SHAPE(s->batch_b, br, bc))
                              : view(db, 2, PAN_SHAPE(br, bc));
    pan_tensor bias = view(dbias, 1, PAN_SHAPE(s->n));
    int out_ndim = s->batch_a ? 3 : 2;
    const int64_t *out_shape = s->batch_a ? PAN_SHAPE(batch, s->m, s->n)
                                          : PAN_SHAPE(s->m, s->n);
    test_guarded want, base, got;
    if (test_guarded_alloc(&want, count) || test_guarded_alloc(&base, count) ||
        test_guarded_alloc(&got, count))
        abort();
    CHECK_STATUS(run(ref, s, &a, &b, &bias, init, &want, out_ndim, out_shape),
                 PAN_OK);
    CHECK_STATUS(run(f32, s, &a, &b, &bias, init, &base, out_ndim, out_shape),
                 PAN_OK);
    CHECK_STATUS(run(bf16, s, &a, &b, &bias, init, &got, out_ndim, out_shape),
                 PAN_OK);
    CHECK(strcmp(pan_compute_last_backend(bf16), "onednn") == 0);
    float *again = malloc((size_t)count * sizeof *again);
    if (!again) abort();
    memcpy(again, got.data, (size_t)count * sizeof *again);
    CHECK_STATUS(run(bf16, s, &a, &b, &bias, init, &got, out_ndim, out_shape),
                 PAN_OK);
    CHECK(memcmp(again, got.data, (size_t)count * sizeof *again) == 0);
    CHECK(test_first_nonfinite(got.data, count) < 0);
    CHECK(test_guard_intact(&got));
    bool same_bits = memcmp(got.data, base.data,
                            (size_t)count * sizeof(float)) == 0;

    /* compare what the op added (beta = 1 starts from init) */
    if (init)
        for (int64_t i = 0; i < count; i++) {
            want.data[i] -= init[i];
            base.data[i] -= init[i];
            got.data[i] -= init[i];
        }
    bool few_rows = (batch == 1 || (s->batch_b <= 1 && !s->trans_a)) &&
                    batch * s->m <= SMALL_ROWS;
    bool engaged = has_bf16 && !few_rows;
    double nmse = test_nmse(want.data, got.data, count);
    double vs_f32 = test_nmse(base.data, got.data, count);
    double bound = engaged ? BF16_NMSE_BOUND : F32_NMSE_BOUND;
    bool ok = nmse <= bound &&
              (engaged ? vs_f32 >= BF16_NMSE_FLOOR : same_bits);
    printf("%-8s a%s(%lld,%lld,%lld)%s b%s(%lld,%lld,%lld)%s%s alpha=%g "
           "beta=%g: nmse %.2e, vs f32 %.2e, %s: %s\n",
           "forward", s->batch_a ? "" : "2d", (long long)batch, (long long)ar,
           (long long)ac, s->trans_a ? "^T" : "", s->batch_b ? "" : "2d",
           (long long)bb, (long long)br, (long long)bc,
           s->trans_b ? "^T" : "", s->bias ? " +bias" : "", (double)s->alpha,
           (double)s->beta, nmse, vs_f32, engaged ? "bf16" : "f32",
           ok ? "PASS" : "FAIL");
    CHECK(ok);
    if (engaged && nmse > worst_fwd) worst_fwd = nmse;
    if (engaged && vs_f32 < least_engaged) least_engaged = vs_f32;
    free(again);
    test_guarded_free(&want);
    test_guarded_free(&base);
    test_guarded_free(&got);
    free(da);
    free(db);
    free(dbias);
    free(init);
}

/* The linear layer's backward: x (M, K), w (N, K), out = x @ w^T + bias. */
static void backward_case(pan_compute *ref, pan_compute *bf16, int64_t m,
                          int64_t k, int64_t n) {
    float *x = rand_buf(m * k), *w = rand_buf(n * k), *g = rand_buf(m * n);
    float *dx0 = rand_buf(m * k), *dw0 = rand_buf(n * k), *db0 = rand_buf(n);
    pan_tensor tx = view(x, 2, PAN_SHAPE(m, k)), tw = view(w, 2, PAN_SHAPE(n, k));
    pan_tensor tg = view(g, 2, PAN_SHAPE(m, n));
    int64_t counts[3] = {m * k, n * k, n};
    const float *init[3] = {dx0, dw0, db0};
    test_guarded want[3], got[3];
    pan_compute *cs[2] = {ref, bf16};
    test_guarded *outs[2] = {want, got};
    for (int r = 0; r < 2; r++) {
        for (int i = 0; i < 3; i++) {
            if (test_guarded_alloc(&outs[r][i], counts[i])) abort();
            memcpy(outs[r][i].data, init[i], (size_t)counts[i] * sizeof(float));
        }
        pan_tensor da = view(outs[r][0].data, 2, PAN_SHAPE(m, k));
        pan_tensor dw = view(outs[r][1].data, 2, PAN_SHAPE(n, k));
        pan_tensor dbias = view(outs[r][2].data, 1, PAN_SHAPE(n));
        CHECK_STATUS(pan_compute_matmul_backward(cs[r], &tg, &tx, &tw, false,
                                                 true, 1.0f, &da, &dw, &dbias),
                     PAN_OK);
    }
    static const char *const names[3] = {"dx", "dw", "dbias"};
    for (int i = 0; i < 3; i++) {
        CHECK(test_guard_intact(&got[i]));
        CHECK(test_first_nonfinite(got[i].data, counts[i]) < 0);
        for (int64_t j = 0; j < counts[i]; j++) { /* what was accumulated */
            want[i].data[j] -= init[i][j];
            got[i].data[j] -= init[i][j];
        }
        double nmse = test_nmse(want[i].data, got[i].data, counts[i]);
        bool ok = nmse <= BF16_NMSE_BOUND;
        printf("%-8s x(%lld,%lld) w(%lld,%lld) %-5s: nmse %.2e: %s\n",
               "backward", (long long)m, (long long)k, (long long)n,
               (long long)k, names[i], nmse, ok ? "PASS" : "FAIL");
        CHECK(ok);
        if (nmse > worst_bwd) worst_bwd = nmse;
        test_guarded_free(&want[i]);
        test_guarded_free(&got[i]);
    }
    free(x);
    free(w);
    free(g);
    free(dx0);
    free(dw0);
    free(db0);
}

/* bf16_matmul = 0 defers to PAN_BF16_MATMUL. */
static void env_case(void) {
    static const struct {
        const char *value; /* NULL: unset */
        pan_status status;
        bool on;
    } cases[] = {{NULL, PAN_OK, false}, {"", PAN_OK, false},
                 {"0", PAN_OK, false},  {"1", PAN_OK, true},
                 {"yes", PAN_ERR_INVALID_ARGUMENT, false}};
    const char *saved = getenv("PAN_BF16_MATMUL");
    char *keep = saved ? strdup(saved) : NULL;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].value)
            setenv("PAN_BF16_MATMUL", cases[i].value, 1);
        else
            unsetenv("PAN_BF16_MATMUL");
        pan_compute *c = NULL;
        pan_compute_options o = {.backend = "onednn", .n_threads = 1};
        CHECK_STATUS(pan_compute_create(&c, &o), cases[i].status);
        if (c) CHECK(pan_compute_bf16_matmul(c) == cases[i].on);
        pan_compute_destroy(c);
        /* the option wins over the variable */
        o.bf16_matmul = -1;
        CHECK_STATUS(pan_compute_create(&c, &o), PAN_OK);
        if (c) CHECK(!pan_compute_bf16_matmul(c));
        pan_compute_destroy(c);
    }
    pan_compute *c = NULL;
    pan_compute_options bad = {.backend = "onednn", .bf16_matmul = 2};
    CHECK_STATUS(pan_compute_create(&c, &bad), PAN_ERR_INVALID_ARGUMENT);
    if (keep)
        setenv("PAN_BF16_MATMUL", keep, 1);
    else
        unsetenv("PAN_BF16_MATMUL");
    free(keep);
    printf("PAN_BF16_MATMUL: unset/\"\"/0 off, 1 on, other refused; "
           "option -1 wins\n");
}

/* Toggles bf16_matmul on one onednn backend: the mode must be in the key. */
static void cache_key_case(bool has_bf16) {
    pan_backend *be = NULL;
    CHECK_STATUS(pan_backend_create(&be, "onednn", NULL, 2), PAN_OK);
    if (!be) return;
    const int64_t m = 64, k = 96, n = 48;
    float *a = rand_buf(m * k), *b = rand_buf(k * n);
    float *out[4];
    pan_tensor ta = view(a, 2, PAN_SHAPE(m, k)), tb = view(b, 2, PAN_SHAPE(k, n));
    for (int r = 0; r < 4; r++) {
        out[r] = malloc((size_t)(m * n) * sizeof(float));
        if (!out[r]) abort();
        pan_tensor to = view(out[r], 2, PAN_SHAPE(m, n));
        pan_matmul_args args = {.a = &ta, .b = &tb, .out = &to, .alpha = 1.0f,
                                .batch = 1, .m = m, .n = n, .k = k};
        be->bf16_matmul = r % 2 == 1;
        CHECK_STATUS(pan_backend_run(be, PAN_OP_MATMUL, &args), PAN_OK);
    }
    size_t bytes = (size_t)(m * n) * sizeof(float);
    bool same_f32 = memcmp(out[0], out[2], bytes) == 0;
    bool same_bf16 = memcmp(out[1], out[3], bytes) == 0;
    bool differ = memcmp(out[0], out[1], bytes) != 0;
    bool ok = same_f32 && same_bf16 && differ == has_bf16;
    printf("cache key: off/on/off/on on one backend: f32 runs equal %d, bf16 "
           "runs equal %d, f32 != bf16 %d: %s\n",
           same_f32, same_bf16, differ, ok ? "PASS" : "FAIL");
    CHECK(ok);
    for (int r = 0; r < 4; r++) free(out[r]);
    free(a);
    free(b);
    pan_backend_destroy(be);
}

int main(void) {
    bool has_bf16 = cpu_has_bf16();
    printf("oneDNN ISA %s AVX512-BF16: bf16 cases %s\n",
           has_bf16 ? "has" : "lacks",
           has_bf16 ? "must differ from f32" : "must equal f32 bits");
    pan_compute *ref = make("ref", -1), *f32 = make("onednn", -1),
                *bf16 = make("onednn", 1);
    CHECK(ref && f32 && bf16);
    if (!ref || !f32 || !bf16) return test_exit_code("test_bf16_matmul");
    CHECK(pan_compute_bf16_matmul(bf16) && !pan_compute_bf16_matmul(f32));

    static const spec specs[] = {
        {0, 0, 1, 7, 5, false, false, false, 1, 0},    /* few rows: f32 */
        {0, 0, 8, 64, 32, false, true, true, 1, 0},    /* few rows: f32 */
        {0, 0, 17, 33, 19, false, false, true, 1, 0},  /* odd sizes */
        {0, 0, 37, 129, 70, false, true, true, 1, 0},  /* weight layout */
        {0, 0, 23, 18, 31, true, false, false, 1, 0},
        {0, 0, 9, 40, 13, true, true, true, 0.5f, 0},  /* bias post-op */
        {0, 0, 15, 31, 47, false, false, true, 1, 1},  /* accumulate */
        {3, 3, 7, 9, 11, false, true, true, 1, 0},
        {3, 0, 5, 24, 33, false, true, true, 1, 0},    /* broadcast 2-D b */
        {4, 1, 6, 17, 10, false, false, false, 1, 0},  /* broadcast 3-D b */
        {2, 2, 12, 8, 20, true, false, false, 2, 1},
        {2, 0, 12, 8, 20, true, true, true, 1, 0},
        /* the model's linear layers (x @ w^T + b), M reduced for ref */
        {0, 0, 256, 512, 512, false, true, true, 1, 0},
        {0, 0, 512, 128, 384, false, true, true, 1, 0},
        {0, 0, 128, 1024, 1024, false, true, true, 1, 0},
        /* their weight gradients: x^T @ g accumulated */
        {0, 0, 512, 256, 512, true, false, false, 1, 1},
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        forward_case(ref, f32, bf16, &specs[i], has_bf16);
    backward_case(ref, bf16, 64, 96, 80);
    backward_case(ref, bf16, 256, 512, 512);
    cache_key_case(has_bf16);
    env_case();
    printf("worst nmse vs ref with bf16: forward %.2e, backward %.2e (bound "
           "%.0e); least engaged difference from f32 %.2e (floor %.0e)\n",
           worst_fwd, worst_bwd, BF16_NMSE_BOUND, least_engaged,
           BF16_NMSE_FLOOR);
    pan_compute_destroy(ref);
    pan_compute_destroy(f32);
    pan_compute_destroy(bf16);
    return test_exit_code("test_bf16_matmul");
}
