/* tests/test_ref_vs_torch.c: the ref backend against PyTorch (label
 * "parity").
 *
 * Usage: test_ref_vs_torch FIXTURE.bin
 * The fixture comes from tests/reference/ops_reference.py (a ctest fixture
 * runs it first): inputs, attributes and the float64 PyTorch result of each
 * case, named "<op>/<case>/<field>" (format: tests/fixture.h). Every case is
 * run on the ref backend (strict, 2 threads) into a guarded, NaN-filled
 * buffer and compared: NaN/Inf, guards, then nmse against the float64
 * result under the op's bound below. The test exits non-zero on any
 * mismatch, on a fixture it cannot read, or when an op has no case.
 *
 * Bounds (ref computes in f32; the expected values are exact to f64).
 * Observed worst per op on 2026-12-07 in brackets; each bound 1-2 orders
 * above it:
 *   0      upsample_nearest, patchify, unpatchify, embedding: pure copies,
 *          must be bit-exact.
 *   1e-13  add, modulate, gate_add, silu, gelu, swiglu, softmax and the
 *          three norms: a few f32 roundings per element, statistics in
 *          double [<= 3.7e-15]
 *   1e-12  matmul, conv2d, attention: f32 sums over up to a few hundred
 *          terms [<= 2.5e-14]
 *   1e-11  rope: f32 angles pos * theta^(-2i/D) as Hugging Face computes
 *          them, pos <= 100 [1.0e-13]
 * A wrong convention (pairing, patch order, mask) gives nmse ~1.
 */
#include <stdio.h>
#include <string.h>

#include "core/compute.h"
#include "tests/fixture.h"
#include "tests/test_util.h"

static double op_bound(pan_op op) {
    switch (op) {
    case PAN_OP_UPSAMPLE_NEAREST:
    case PAN_OP_PATCHIFY:
    case PAN_OP_UNPATCHIFY:
    case PAN_OP_EMBEDDING: return 0.0;
    case PAN_OP_MATMUL:
    case PAN_OP_CONV2D:
    case PAN_OP_ATTENTION: return 1e-12;
    case PAN_OP_ROPE: return 1e-11;
    default: return 1e-13;
    }
}

typedef struct torch_case {
    const fixture *fx;
    char prefix[FIXTURE_NAME_MAX]; /* "<op>/<case>" */
    char problem[256];             /* first problem with the fixture */
} torch_case;

static const fixture_record *field(torch_case *tc, const char *name) {
    char full[FIXTURE_NAME_MAX + 32];
    snprintf(full, sizeof full, "%s/%s", tc->prefix, name);
    return fixture_find(tc->fx, full);
}

static void problem(torch_case *tc, const char *what, const char *name) {
    if (!tc->problem[0])
        snprintf(tc->problem, sizeof tc->problem, "fixture field '%s' %s",
                 name, what);
}

/* A view of an input record; NULL if absent (a problem if `required`). */
static const pan_tensor *input(torch_case *tc, const char *name,
                               bool required, pan_tensor *t) {
    const fixture_record *r = field(tc, name);
    if (!r) {
        if (required) problem(tc, "is missing", name);
        return NULL;
    }
    static const pan_dtype dtypes[] = {
        [FIXTURE_F32] = PAN_DTYPE_F32, [FIXTURE_F64] = PAN_DTYPE_COUNT,
        [FIXTURE_I32] = PAN_DTYPE_I32, [FIXTURE_U8] = PAN_DTYPE_U8};
    if (dtypes[r->dtype] == PAN_DTYPE_COUNT ||
        pan_tensor_init(t, r->data, dtypes[r->dtype], r->ndim, r->shape) !=
            PAN_OK) {
        problem(tc, "has an unusable dtype or shape", name);
        return NULL;
    }
    t->name = name;
    return t;
}

/* A scalar attribute (0-D f64 record). */
static double attr(torch_case *tc, const char *name) {
    const fixture_record *r = field(tc, name);
    if (!r || r->dtype != FIXTURE_F64 || r->ndim != 0) {
        problem(tc, "is missing or not a 0-D f64 scalar", name);
        return 0.0;
    }
    return *(const double *)r->data;
}

/* Runs the case's op on `c` into `out`. Fixture problems are recorded in
 * tc->problem and reported as a failure by the caller. */
static pan_status run_case(pan_compute *c, pan_op op, torch_case *tc,
                           pan_tensor *out) {
    pan_tensor t[8];
    switch (op) {
    case PAN_OP_MATMUL: {
        const pan_tensor *init = input(tc, "out_init", false, &t[3]);
        if (init) memcpy(out->data, init->data, pan_tensor_nbytes(out));
        return pan_compute_matmul(
            c, out, input(tc, "a", true, &t[0]), input(tc, "b", true, &t[1]),
            input(tc, "bias", false, &t[2]), attr(tc, "trans_a") != 0,
            attr(tc, "trans_b") != 0, (float)attr(tc, "alpha"),
            (float)attr(tc, "beta"));
    }
    case PAN_OP_CONV2D:
        return pan_compute_conv2d(c, out, input(tc, "x", true, &t[0]),
                                  input(tc, "weight", true, &t[1]),
                                  input(tc, "bias", false, &t[2]),
                                  (int)attr(tc, "stride"), (int)attr(tc, "pad"));
    case PAN_OP_UPSAMPLE_NEAREST:
        return pan_compute_upsample_nearest(c, out, input(tc, "x", true, &t[0]),
                                            (int)attr(tc, "factor"));
    case PAN_OP_GROUP_NORM:
        return pan_compute_group_norm(
            c, out, input(tc, "x", true, &t[0]), input(tc, "gamma", false, &t[1]),
            input(tc, "beta", false, &t[2]), (int)attr(tc, "groups"),
            (float)attr(tc, "eps"));
    case PAN_OP_LAYER_NORM:
        return pan_compute_layer_norm(
            c, out, input(tc, "x", true, &t[0]), input(tc, "gamma", false, &t[1]),
            input(tc, "beta", false, &t[2]), (float)attr(tc, "eps"));
    case PAN_OP_RMS_NORM:
        return pan_compute_rms_norm(c, out, input(tc, "x", true, &t[0]),
                                    input(tc, "gamma", true, &t[1]),
                                    (float)attr(tc, "eps"));
    case PAN_OP_SOFTMAX:
        return pan_compute_softmax(c, out, input(tc, "x", true, &t[0]));
    case PAN_OP_SILU:
        return pan_compute_silu(c, out, input(tc, "x", true, &t[0]));
    case PAN_OP_GELU:
        return pan_compute_gelu(c, out, input(tc, "x", true, &t[0]),
                                attr(tc, "mode") != 0 ? PAN_GELU_TANH
                                                      : PAN_GELU_ERF);
    case PAN_OP_SWIGLU:
        return pan_compute_swiglu(c, out, input(tc, "gate", true, &t[0]),
                                  input(tc, "up", true, &t[1]));
    case PAN_OP_ADD:
        return pan_compute_add(c, out, input(tc, "a", true, &t[0]),
                               input(tc, "b", true, &t[1]));
    case PAN_OP_ROPE:
        return pan_compute_rope(c, out, input(tc, "x", true, &t[0]),
                                input(tc, "positions", true, &t[1]),
                                (int)attr(tc, "dims"), (float)attr(tc, "theta"));
    case PAN_OP_MODULATE:
        return pan_compute_modulate(c, out, input(tc, "x", true, &t[0]),
                                    input(tc, "shift", true, &t[1]),
                                    input(tc, "scale", true, &t[2]));
    case PAN_OP_GATE_ADD:
        return pan_compute_gate_add(c, out, input(tc, "residual", true, &t[0]),
                                    input(tc, "y", true, &t[1]),
                                    input(tc, "gate", true, &t[2]));
    case PAN_OP_EMBEDDING:
        return pan_compute_embedding(c, out, input(tc, "table", true, &t[0]),
                                     input(tc, "ids", true, &t[1]));
    case PAN_OP_PATCHIFY:
        return pan_compute_patchify(c, out, input(tc, "image", true, &t[0]),
                                    (int)attr(tc, "patch"));
    case PAN_OP_UNPATCHIFY:
        return pan_compute_unpatchify(c, out, input(tc, "tokens", true, &t[0]),
                                      (int)attr(tc, "patch"));
    case PAN_OP_ATTENTION: {
        pan_attention_extra extra = {
            .kv_len = input(tc, "kv_len", false, &t[3]),
            .q_block = input(tc, "q_block", false, &t[4]),
            .k_block = input(tc, "k_block", false, &t[5]),
            .key_mask = input(tc, "key_mask", false, &t[6])};
        return pan_compute_attention(
            c, out, input(tc, "q", true, &t[0]), input(tc, "k", true, &t[1]),
            input(tc, "v", true, &t[2]), (pan_attention_mask)attr(tc, "mask"),
            (float)attr(tc, "scale"), &extra);
    }
    default: break; /* training ops: tests/test_grad_vs_torch.c */
    }
    return pan_error_set(PAN_ERR_INTERNAL, "no runner for this op");
}

static double nmse_f64(const double *want, const float *got, int64_t n) {
    double num = 0.0, den = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double diff = want[i] - (double)got[i];
        num += diff * diff;
        den += want[i] * want[i];
    }
    if (den == 0.0) return num == 0.0 ? 0.0 : INFINITY;
    return num / den;
}

static pan_op op_from_name(const char *name, size_t len) {
    for (int op = 0; op < PAN_OP_COUNT; op++) {
        const char *known = pan_op_name((pan_op)op);
        if (strlen(known) == len && strncmp(known, name, len) == 0)
            return (pan_op)op;
    }
    return PAN_OP_COUNT;
}

/* Runs one case; returns 1 if it failed. */
static int check_case(pan_compute *c, const fixture *fx,
                      const fixture_record *expected) {
    torch_case tc = {.fx = fx};
    size_t prefix_len = strlen(expected->name) - strlen("/expected");
    memcpy(tc.prefix, expected->name, prefix_len);
    tc.prefix[prefix_len] = '\0';
    const char *slash = strchr(tc.prefix, '/');
    pan_op op = op_from_name(tc.prefix, slash ? (size_t)(slash - tc.prefix) : 0);
    char why[PAN_ERROR_MESSAGE_MAX + 64] = "";
    double nmse = -1;
    test_guarded got = {0};
    pan_tensor out;
    if (op == PAN_OP_COUNT) {
        snprintf(why, sizeof why, "unknown op name");
    } else if (expected->dtype != FIXTURE_F64 ||
               test_guarded_alloc(&got, expected->count) != 0 ||
               pan_tensor_init(&out, got.data, PAN_DTYPE_F32, expected->ndim,
                               expected->shape) != PAN_OK) {
        snprintf(why, sizeof why, "bad 'expected' record");
    } else {
        test_fill_nan(got.data, got.count);
        pan_error_clear();
        pan_status status = run_case(c, op, &tc, &out);
        int64_t bad = test_first_nonfinite(got.data, got.count);
        if (tc.problem[0]) snprintf(why, sizeof why, "%s", tc.problem);
        else if (status != PAN_OK)
            snprintf(why, sizeof why, "returned %s: %s",
                     pan_status_name(status), pan_error_message());
        else if (!test_guard_intact(&got))
            snprintf(why, sizeof why, "wrote outside the output");
        else if (bad >= 0)
            snprintf(why, sizeof why, "out[%lld] = %g (NaN/Inf or unwritten)",
                     (long long)bad, (double)got.data[bad]);
        else {
            nmse = nmse_f64(expected->data, got.data, got.count);
            if (!(nmse <= op_bound(op)))
                snprintf(why, sizeof why, "nmse above bound %.0e",
                         op_bound(op));
        }
    }
    char shape[64];
    pan_tensor view = {.ndim = expected->ndim};
    memcpy(view.shape, expected->shape, sizeof view.shape);
    char nmse_text[32] = "-";
    if (nmse >= 0) snprintf(nmse_text, sizeof nmse_text, "%.3g", nmse);
    printf("%-22s out%-16s nmse=%-10s %s%s%s\n", tc.prefix,
           pan_tensor_shape_str(&view, shape, sizeof shape), nmse_text,
           why[0] ? "FAIL" : "PASS", why[0] ? "  " : "", why);
    if (got.base) test_guarded_free(&got);
    return why[0] ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURE.bin (written by "
                        "tests/reference/ops_reference.py)\n", argv[0]);
        return 1;
    }
    fixture fx;
    pan_status status = fixture_load(&fx, argv[1]);
    if (status != PAN_OK) {
        printf("FAIL: %s\n(run tests/reference/ops_reference.py %s with "
               "/usr/bin/python3 and python3-torch first; ctest does it)\n",
               pan_error_message(), argv[1]);
        return 1;
    }
    pan_compute *c = NULL;
    pan_compute_options opts = {.backend = "ref", .strict = true,
                                .n_threads = 2};
    if (pan_compute_create(&c, &opts) != PAN_OK) {
        printf("FAIL: cannot create the ref compute: %s\n",
               pan_error_message());
        fixture_free(&fx);
        return 1;
    }
    int failed = 0, cases = 0, per_op[PAN_OP_COUNT] = {0};
    const char *suffix = "/expected";
    for (int i = 0; i < fx.count; i++) {
        const fixture_record *r = &fx.records[i];
        size_t len = strlen(r->name);
        if (len <= strlen(suffix) ||
            strcmp(r->name + len - strlen(suffix), suffix) != 0)
            continue;
        failed += check_case(c, &fx, r);
        cases++;
        const char *slash = strchr(r->name, '/');
        pan_op op = op_from_name(r->name, (size_t)(slash - r->name));
        if (op != PAN_OP_COUNT) per_op[op]++;
    }
    for (int op = 0; op < PAN_OP_FIRST_TRAINING; op++)
        if (per_op[op] == 0) {
            printf("FAIL: the fixture has no case for %s\n",
                   pan_op_name((pan_op)op));
            failed++;
        }
    printf("%d cases, %d failed\n", cases, failed);
    pan_compute_destroy(c);
    fixture_free(&fx);
    return failed ? 1 : 0;
}
