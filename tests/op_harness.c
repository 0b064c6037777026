/* tests/op_harness.c: one case against the oracle on every backend. */
#include "tests/op_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BACKENDS 8
#define MAX_INPUTS 16

typedef struct input_buf {
    void *data;
    void *pristine; /* copy taken when the case starts running */
    size_t bytes;
} input_buf;

typedef struct backend_slot {
    const char *name;
    pan_compute *strict;
    pan_compute *fallback; /* non-strict, same name; NULL for "ref" */
} backend_slot;

struct op_harness {
    test_rng rng;
    pan_compute *oracle; /* ref, strict */
    pan_compute *automatic;
    backend_slot backends[MAX_BACKENDS];
    int n_backends;
    input_buf inputs[MAX_INPUTS];
    int n_inputs;
    int passed, failed, skipped;
    int cases_per_op[PAN_OP_COUNT];
};

static pan_compute *make_compute(const char *name, bool strict) {
    pan_compute *c = NULL;
    /* f32 bounds: bf16 matmuls off even when PAN_BF16_MATMUL=1 is set */
    pan_compute_options opts = {.backend = name, .strict = strict,
                                .n_threads = 2, .bf16_matmul = -1};
    pan_status status = pan_compute_create(&c, &opts);
    if (status != PAN_OK) {
        fprintf(stderr, "cannot create compute '%s' (strict=%d): %s: %s\n",
                name, (int)strict, pan_status_name(status),
                pan_error_message());
        return NULL;
    }
    return c;
}

static void free_inputs(op_harness *h) {
    for (int i = 0; i < h->n_inputs; i++) {
        free(h->inputs[i].data);
        free(h->inputs[i].pristine);
    }
    h->n_inputs = 0;
}

op_harness *op_harness_create(void) {
    op_harness *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->rng.state = 20240611u;
    h->oracle = make_compute("ref", true);
    h->automatic = make_compute("auto", false);
    bool ok = h->oracle && h->automatic;
    for (const char *const *n = pan_backend_names(); ok && *n; n++) {
        if (h->n_backends == MAX_BACKENDS) break;
        backend_slot *s = &h->backends[h->n_backends++];
        s->name = *n;
        s->strict = make_compute(*n, true);
        s->fallback = strcmp(*n, "ref") == 0 ? NULL : make_compute(*n, false);
        ok = s->strict && (s->fallback || strcmp(*n, "ref") == 0);
    }
    if (!ok) {
        op_harness_destroy(h);
        return NULL;
    }
    printf("backends:");
    for (int i = 0; i < h->n_backends; i++)
        printf(" %s", h->backends[i].name);
    printf(" (2 threads each)\n");
    return h;
}

void op_harness_destroy(op_harness *h) {
    if (!h) return;
    for (int i = 0; i < h->n_backends; i++) {
        pan_compute_destroy(h->backends[i].strict);
        pan_compute_destroy(h->backends[i].fallback);
    }
    pan_compute_destroy(h->automatic);
    pan_compute_destroy(h->oracle);
    free_inputs(h);
    free(h);
}

test_rng *op_harness_rng(op_harness *h) { return &h->rng; }

static void *add_input(op_harness *h, size_t bytes) {
    if (h->n_inputs == MAX_INPUTS) {
        fprintf(stderr, "op_harness: more than %d inputs in one case\n",
                MAX_INPUTS);
        abort(); /* a bug in the test itself */
    }
    void *data = malloc(bytes ? bytes : 1);
    if (!data) {
        fprintf(stderr, "op_harness: out of memory (%zu bytes)\n", bytes);
        abort();
    }
    h->inputs[h->n_inputs++] = (input_buf){.data = data, .bytes = bytes};
    return data;
}

float *op_input_f32(op_harness *h, int64_t n, float scale, float offset) {
    float *x = add_input(h, (size_t)n * sizeof(float));
    test_fill_uniform(&h->rng, x, n, scale, offset);
    return x;
}

int32_t *op_input_i32(op_harness *h, int64_t n, int32_t lo, int32_t hi) {
    int32_t *x = add_input(h, (size_t)n * sizeof(int32_t));
    for (int64_t i = 0; i < n; i++) x[i] = test_rng_int(&h->rng, lo, hi);
    return x;
}

uint8_t *op_input_u8(op_harness *h, int64_t n) {
    uint8_t *x = add_input(h, (size_t)n);
    memset(x, 1, (size_t)n);
    return x;
}

pan_tensor op_view(void *data, pan_dtype dtype, int ndim,
                   const int64_t *shape) {
    pan_tensor t = {0};
    pan_status status = pan_tensor_init(&t, data, dtype, ndim, shape);
    if (status != PAN_OK) {
        fprintf(stderr, "op_harness: bad test tensor: %s\n",
                pan_error_message());
        abort(); /* a bug in the test itself */
    }
    return t;
}

pan_tensor op_rand(op_harness *h, int ndim, const int64_t *shape, float scale,
                   float offset) {
    pan_tensor t = op_view(NULL, PAN_DTYPE_F32, ndim, shape);
    t.data = op_input_f32(h, pan_tensor_numel(&t), scale, offset);
    return t;
}

/* Keeps a copy of every input, so a run that writes one is caught and the
 * damage undone before the next run. */
static void snapshot_inputs(op_harness *h) {
    for (int i = 0; i < h->n_inputs; i++) {
        input_buf *in = &h->inputs[i];
        in->pristine = malloc(in->bytes ? in->bytes : 1);
        if (!in->pristine) {
            fprintf(stderr, "op_harness: out of memory\n");
            abort();
        }
        memcpy(in->pristine, in->data, in->bytes);
    }
}

static bool restore_inputs(op_harness *h) {
    bool intact = true;
    for (int i = 0; i < h->n_inputs; i++) {
        input_buf *in = &h->inputs[i];
        if (memcmp(in->data, in->pristine, in->bytes) != 0) {
            memcpy(in->data, in->pristine, in->bytes);
            intact = false;
        }
    }
    return intact;
}

typedef struct run_result {
    pan_status status;
    char message[PAN_ERROR_MESSAGE_MAX];
    const char *backend; /* pan_compute_last_backend after a success */
    bool guards_ok, inputs_ok, untouched;
} run_result;

/* One run into a guarded buffer holding tc->init or NaN. */
static run_result run_once(op_harness *h, pan_compute *c, const op_case *tc,
                           test_guarded *g) {
    run_result r = {0};
    if (tc->init) memcpy(g->data, tc->init, (size_t)g->count * sizeof(float));
    else test_fill_nan(g->data, g->count);
    test_guard_fill(g);
    pan_error_clear();
    r.status = tc->run(c, tc->params, g->data);
    snprintf(r.message, sizeof r.message, "%s", pan_error_message());
    r.backend = pan_compute_last_backend(c);
    r.guards_ok = test_guard_intact(g) != 0;
    r.inputs_ok = restore_inputs(h);
    float nan_pattern;
    test_fill_nan(&nan_pattern, 1);
    r.untouched = true;
    for (int64_t i = 0; i < g->count; i++)
        if (memcmp(&g->data[i], tc->init ? &tc->init[i] : &nan_pattern,
                   sizeof nan_pattern) != 0)
            r.untouched = false;
    return r;
}

static void print_line(op_harness *h, const op_case *tc, const char *backend,
                       double nmse, const char *verdict, const char *why) {
    char nmse_text[32] = "-";
    if (nmse >= 0) snprintf(nmse_text, sizeof nmse_text, "%.3g", nmse);
    printf("%-26s %-18s %-60s nmse=%-10s %s%s%s\n",
           tc->label ? tc->label : pan_op_name(tc->op),
           backend, tc->shape, nmse_text, verdict, why[0] ? "  " : "", why);
    if (strcmp(verdict, "PASS") == 0) h->passed++;
    else if (strcmp(verdict, "SKIPPED") == 0) h->skipped++;
    else h->failed++;
}

double op_default_bound(pan_op op) {
    switch (op) {
    case PAN_OP_MATMUL:
    case PAN_OP_SUM_ROWS:
    case PAN_OP_CONV2D:
    case PAN_OP_CONV2D_BACKWARD:
    case PAN_OP_ATTENTION:
    case PAN_OP_ATTENTION_BACKWARD:
    case PAN_OP_GELU: return 1e-11;
    default: return OP_NMSE_BOUND;
    }
}

/* nmse of one part [at, at + n), on out - init when tc->delta. */
static double part_nmse(const op_case *tc, const float *want, const float *got,
                        int64_t at, int64_t n) {
    if (!tc->delta || !tc->init) return test_nmse(want + at, got + at, n);
    double num = 0.0, den = 0.0;
    for (int64_t i = at; i < at + n; i++) {
        double w = (double)want[i] - tc->init[i];
        double g = (double)got[i] - tc->init[i];
        num += (w - g) * (w - g);
        den += w * w;
    }
    if (den == 0.0) return num == 0.0 ? 0.0 : INFINITY;
    return num / den;
}

/* The worst nmse over the case's parts. */
static double case_nmse(const op_case *tc, const float *want,
                        const float *got) {
    if (tc->n_parts == 0) return part_nmse(tc, want, got, 0, tc->out_count);
    double worst = 0.0;
    int64_t at = 0;
    for (int i = 0; i < tc->n_parts; i++) {
        double nmse = part_nmse(tc, want, got, at, tc->parts[i]);
        if (!(nmse <= worst)) worst = nmse;
        at += tc->parts[i];
    }
    return worst;
}

/* Checks a successful run against the oracle output; returns the nmse (or
 * -1) and fills `why` with the first problem found. */
static double judge(const op_case *tc, const run_result *r,
                    const test_guarded *want, const test_guarded *got,
                    char *why, size_t why_size) {
    why[0] = '\0';
    if (r->status != PAN_OK) {
        snprintf(why, why_size, "returned %s: %s", pan_status_name(r->status),
                 r->message);
        return -1;
    }
    if (!r->guards_ok) {
        snprintf(why, why_size, "wrote outside the output (guard changed)");
        return -1;
    }
    if (!r->inputs_ok) {
        snprintf(why, why_size, "modified an input");
        return -1;
    }
    int64_t bad = test_first_nonfinite(got->data, got->count);
    if (bad >= 0) {
        snprintf(why, why_size, "out[%lld] = %g (NaN/Inf or never written)",
                 (long long)bad, (double)got->data[bad]);
        return -1;
    }
    double nmse = case_nmse(tc, want->data, got->data);
    double bound = tc->bound > 0 ? tc->bound : op_default_bound(tc->op);
    if (!(nmse <= bound))
        snprintf(why, why_size, "nmse above bound %.1g", bound);
    return nmse;
}

static bool same_bits(const test_guarded *a, const test_guarded *b) {
    return memcmp(a->data, b->data, (size_t)a->count * sizeof(float)) == 0;
}

/* A non-strict run must succeed on `expected` and match the oracle. */
static void check_dispatch(op_harness *h, pan_compute *c, const op_case *tc,
                           const char *label, const char *expected,
                           const test_guarded *want, test_guarded *got) {
    char why[PAN_ERROR_MESSAGE_MAX + 64];
    run_result r = run_once(h, c, tc, got);
    double nmse = judge(tc, &r, want, got, why, sizeof why);
    if (!why[0] && strcmp(r.backend, expected) != 0)
        snprintf(why, sizeof why, "ran on '%s', expected '%s'", r.backend,
                 expected);
    print_line(h, tc, label, nmse, why[0] ? "FAIL" : "PASS", why);
}

void op_harness_run_case(op_harness *h, const op_case *tc) {
    test_guarded want = {0}, got = {0}, again = {0};
    char why[PAN_ERROR_MESSAGE_MAX + 64], label[64];
    if (test_guarded_alloc(&want, tc->out_count) ||
        test_guarded_alloc(&got, tc->out_count) ||
        test_guarded_alloc(&again, tc->out_count)) {
        fprintf(stderr, "op_harness: out of memory\n");
        abort();
    }
    if ((int)tc->op >= 0 && tc->op < PAN_OP_COUNT) h->cases_per_op[tc->op]++;
    int64_t packed = 0;
    for (int i = 0; i < tc->n_parts; i++) packed += tc->parts[i];
    if (tc->n_parts && packed != tc->out_count) {
        fprintf(stderr, "op_harness: case '%s' parts sum to %lld, not %lld\n",
                tc->shape, (long long)packed, (long long)tc->out_count);
        abort(); /* a bug in the test itself */
    }
    snapshot_inputs(h);
    run_result r = run_once(h, h->oracle, tc, &want);
    double nmse = judge(tc, &r, &want, &want, why, sizeof why);
    if (why[0]) {
        print_line(h, tc, "ref(oracle)", nmse, "FAIL", why);
        goto done;
    }
    const char *auto_expect = "ref";
    bool auto_found = false;
    for (int i = 0; i < h->n_backends; i++) {
        backend_slot *s = &h->backends[i];
        r = run_once(h, s->strict, tc, &got);
        if (r.status == PAN_ERR_UNIMPLEMENTED) {
            bool clean = r.guards_ok && r.inputs_ok && r.untouched;
            print_line(h, tc, s->name, -1, clean ? "SKIPPED" : "FAIL",
                       clean ? "" : "UNIMPLEMENTED but wrote memory");
            if (s->fallback) {
                snprintf(label, sizeof label, "%s->ref", s->name);
                check_dispatch(h, s->fallback, tc, label, "ref", &want, &got);
            }
            continue;
        }
        if (!auto_found) { /* "auto" takes the first that supports it */
            auto_expect = s->name;
            auto_found = true;
        }
        nmse = judge(tc, &r, &want, &got, why, sizeof why);
        if (!why[0]) {
            run_result r2 = run_once(h, s->strict, tc, &again);
            if (r2.status != PAN_OK || !same_bits(&got, &again))
                snprintf(why, sizeof why,
                         "second run differs (not deterministic)");
        }
        print_line(h, tc, s->name, nmse, why[0] ? "FAIL" : "PASS", why);
    }
    snprintf(label, sizeof label, "auto->%s", auto_expect);
    check_dispatch(h, h->automatic, tc, label, auto_expect, &want, &got);
done:
    test_guarded_free(&want);
    test_guarded_free(&got);
    test_guarded_free(&again);
    free_inputs(h);
}

int op_harness_summary(const op_harness *h) {
    int failed = h->failed;
    for (int op = 0; op < PAN_OP_COUNT; op++)
        if (h->cases_per_op[op] == 0) {
            printf("FAIL: op %s has no test case\n", pan_op_name((pan_op)op));
            failed++;
        }
    if (h->passed == 0) {
        printf("FAIL: no case passed at all\n");
        failed++;
    }
    printf("%d passed, %d failed, %d skipped\n", h->passed, failed,
           h->skipped);
    return failed;
}
