/* tests/test_grad_vs_torch.c: the ref backend's backward passes and losses
 * against PyTorch float64 autograd (label "parity").
 *
 * Usage: test_grad_vs_torch FIXTURE.bin
 * The fixture comes from tests/reference/ops_backward_reference.py (a
 * ctest fixture runs it first): inputs, attributes, dout and the autograd
 * gradient of every input, named "<op>/<case>/grad_<input>" (format:
 * tests/fixture.h). Each case runs on ref (strict, 2 threads) with every
 * gradient in its own guarded buffer starting at zero; then, per gradient
 * (and the loss, and attention's lse): guards, NaN/Inf, then nmse against
 * the float64 result under the op's bound. Exits non-zero on any mismatch,
 * on a fixture it cannot read, or when a training op has no case.
 *
 * Bounds: ref rounds every gradient to f32 once after double sums, so
 * f32 against f64 gives nmse ~1e-16..1e-14 (relative error ~ f32 epsilon).
 * Observed worst per op (2026-12-07) in brackets; each bound 1-2 orders
 * above it:
 *   1e-14  upsample_nearest, patchify, unpatchify, embedding: sums of a few
 *          f32 values [<= 8e-16]
 *   1e-13  matmul (composed), conv2d, the norms, softmax, silu, gelu,
 *          swiglu, modulate, gate_add, the losses [<= 7.6e-15]; attention's
 *          forward outputs out and lse, every mask kind incl. ROUNDS
 *          [out <= 1.3e-14, lse <= 7e-15]
 *   1e-12  rope: f32 angles as in the forward [7.8e-14]; attention: f32 lse
 *          and out feed p and D [4.1e-14]
 * A wrong sign, factor, index or mask gives nmse ~1e-3..1.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/compute.h"
#include "tests/fixture.h"
#include "tests/test_util.h"

#define MAX_GRADS 5

typedef struct grad_slot {
    const char *name;            /* the input's name */
    const fixture_record *want;  /* f64 expected */
    test_guarded buf;
    pan_tensor t;
} grad_slot;

typedef struct tcase {
    const fixture *fx;
    char prefix[FIXTURE_NAME_MAX]; /* "<op>/<case>" */
    char op[FIXTURE_NAME_MAX];
    char problem[256];
    grad_slot grads[MAX_GRADS];
    int n_grads;
    pan_tensor views[12];
    int n_views;
} tcase;

static const fixture_record *field(tcase *tc, const char *name) {
    char full[FIXTURE_NAME_MAX + 32];
    snprintf(full, sizeof full, "%s/%s", tc->prefix, name);
    return fixture_find(tc->fx, full);
}

static void problem(tcase *tc, const char *what, const char *name) {
    if (!tc->problem[0])
        snprintf(tc->problem, sizeof tc->problem, "fixture field '%s' %s",
                 name, what);
}

static const pan_tensor *input(tcase *tc, const char *name, bool required) {
    const fixture_record *r = field(tc, name);
    if (!r) {
        if (required) problem(tc, "is missing", name);
        return NULL;
    }
    static const pan_dtype dtypes[] = {
        [FIXTURE_F32] = PAN_DTYPE_F32, [FIXTURE_F64] = PAN_DTYPE_COUNT,
        [FIXTURE_I32] = PAN_DTYPE_I32, [FIXTURE_U8] = PAN_DTYPE_U8};
    pan_tensor *t = &tc->views[tc->n_views++];
    if (dtypes[r->dtype] == PAN_DTYPE_COUNT ||
        pan_tensor_init(t, r->data, dtypes[r->dtype], r->ndim, r->shape) !=
            PAN_OK) {
        problem(tc, "has an unusable dtype or shape", name);
        return NULL;
    }
    return t;
}

static double attr(tcase *tc, const char *name) {
    const fixture_record *r = field(tc, name);
    if (!r || r->dtype != FIXTURE_F64 || r->ndim != 0) {
        problem(tc, "is missing or not a 0-D f64 scalar", name);
        return 0.0;
    }
    return *(const double *)r->data;
}

/* A zeroed, guarded output shaped like record `name` (f64 expected). */
static pan_tensor *output(tcase *tc, const char *name, const char *label) {
    const fixture_record *r = field(tc, name);
    if (!r) return NULL; /* this gradient is not part of the case */
    grad_slot *g = &tc->grads[tc->n_grads];
    if (tc->n_grads == MAX_GRADS || r->dtype != FIXTURE_F64 ||
        test_guarded_alloc(&g->buf, r->count) != 0 ||
        pan_tensor_init(&g->t, g->buf.data, PAN_DTYPE_F32, r->ndim,
                        r->shape) != PAN_OK) {
        problem(tc, "cannot be used as an expected output", name);
        return NULL;
    }
    memset(g->buf.data, 0, (size_t)r->count * sizeof(float));
    g->name = label;
    g->want = r;
    tc->n_grads++;
    return &g->t;
}

static pan_tensor *grad(tcase *tc, const char *input_name) {
    char name[64];
    snprintf(name, sizeof name, "grad_%s", input_name);
    return output(tc, name, input_name);
}

static pan_attention_extra attention_extra(tcase *tc) {
    pan_attention_extra e = {
        .kv_len = input(tc, "kv_len", false),
        .q_block = input(tc, "q_block", false),
        .k_block = input(tc, "k_block", false),
        .key_mask = input(tc, "key_mask", false),
        .q_round = input(tc, "q_round", false),
        .k_round = input(tc, "k_round", false),
        .round_window = (int)attr(tc, "round_window")};
    return e;
}

static bool is(const tcase *tc, const char *name) {
    return strcmp(tc->op, name) == 0;
}

/* Runs the case; outputs land in tc->grads. */
static pan_status run_case(pan_compute *c, tcase *tc, pan_op *op) {
    const pan_tensor *dout = input(tc, "dout", false);
    if (is(tc, "matmul_backward")) {
        *op = PAN_OP_SUM_ROWS; /* counted with sum_rows, which it uses */
        return pan_compute_matmul_backward(
            c, dout, input(tc, "a", true), input(tc, "b", true),
            attr(tc, "trans_a") != 0, attr(tc, "trans_b") != 0,
            (float)attr(tc, "alpha"), grad(tc, "a"), grad(tc, "b"),
            grad(tc, "bias"));
    }
    for (int o = PAN_OP_FIRST_TRAINING; o < PAN_OP_COUNT; o++)
        if (is(tc, pan_op_name((pan_op)o))) *op = (pan_op)o;
    switch (*op) {
    case PAN_OP_CONV2D_BACKWARD:
        return pan_compute_conv2d_backward(
            c, input(tc, "x", true), input(tc, "weight", true), dout,
            (int)attr(tc, "stride"), (int)attr(tc, "pad"), grad(tc, "x"),
            grad(tc, "weight"), grad(tc, "bias"));
    case PAN_OP_UPSAMPLE_NEAREST_BACKWARD:
        return pan_compute_upsample_nearest_backward(
            c, dout, (int)attr(tc, "factor"), grad(tc, "x"));
    case PAN_OP_GROUP_NORM_BACKWARD:
        return pan_compute_group_norm_backward(
            c, input(tc, "x", true), input(tc, "gamma", true), dout,
            (int)attr(tc, "groups"), (float)attr(tc, "eps"), grad(tc, "x"),
            grad(tc, "gamma"), grad(tc, "beta"));
    case PAN_OP_LAYER_NORM_BACKWARD:
        return pan_compute_layer_norm_backward(
            c, input(tc, "x", true), input(tc, "gamma", true), dout,
            (float)attr(tc, "eps"), grad(tc, "x"), grad(tc, "gamma"),
            grad(tc, "beta"));
    case PAN_OP_RMS_NORM_BACKWARD:
        return pan_compute_rms_norm_backward(
            c, input(tc, "x", true), input(tc, "gamma", true), dout,
            (float)attr(tc, "eps"), grad(tc, "x"), grad(tc, "gamma"));
    case PAN_OP_SOFTMAX_BACKWARD: { /* y from the ref forward */
        const pan_tensor *x = input(tc, "x", true);
        if (!x) return PAN_ERR_INVALID_ARGUMENT;
        test_guarded y = {0};
        pan_tensor yt;
        if (test_guarded_alloc(&y, pan_tensor_numel(x)) != 0 ||
            pan_tensor_init(&yt, y.data, PAN_DTYPE_F32, x->ndim, x->shape) !=
                PAN_OK)
            return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "no memory");
        pan_status s = pan_compute_softmax(c, &yt, x);
        if (s == PAN_OK)
            s = pan_compute_softmax_backward(c, &yt, dout, grad(tc, "x"));
        test_guarded_free(&y);
        return s;
    }
    case PAN_OP_SILU_BACKWARD:
        return pan_compute_silu_backward(c, input(tc, "x", true), dout,
                                         grad(tc, "x"));
    case PAN_OP_GELU_BACKWARD:
        return pan_compute_gelu_backward(
            c, input(tc, "x", true), dout,
            attr(tc, "mode") != 0 ? PAN_GELU_TANH : PAN_GELU_ERF,
            grad(tc, "x"));
    case PAN_OP_SWIGLU_BACKWARD:
        return pan_compute_swiglu_backward(c, input(tc, "gate", true),
                                           input(tc, "up", true), dout,
                                           grad(tc, "gate"), grad(tc, "up"));
    case PAN_OP_ROPE_BACKWARD:
        return pan_compute_rope_backward(c, dout, input(tc, "positions", true),
                                         (int)attr(tc, "dims"),
                                         (float)attr(tc, "theta"),
                                         grad(tc, "x"));
    case PAN_OP_MODULATE_BACKWARD:
        return pan_compute_modulate_backward(
            c, input(tc, "x", true), input(tc, "scale", true), dout,
            grad(tc, "x"), grad(tc, "shift"), grad(tc, "scale"));
    case PAN_OP_GATE_ADD_BACKWARD:
        return pan_compute_gate_add_backward(
            c, input(tc, "y", true), input(tc, "gate", true), dout,
            grad(tc, "residual"), grad(tc, "y"), grad(tc, "gate"));
    case PAN_OP_EMBEDDING_BACKWARD:
        return pan_compute_embedding_backward(c, input(tc, "ids", true), dout,
                                              grad(tc, "table"));
    case PAN_OP_PATCHIFY_BACKWARD:
        return pan_compute_patchify_backward(c, dout, (int)attr(tc, "patch"),
                                             grad(tc, "image"));
    case PAN_OP_UNPATCHIFY_BACKWARD:
        return pan_compute_unpatchify_backward(c, dout, (int)attr(tc, "patch"),
                                               grad(tc, "tokens"));
    case PAN_OP_ATTENTION_BACKWARD: {
        const pan_tensor *q = input(tc, "q", true), *k = input(tc, "k", true);
        const pan_tensor *v = input(tc, "v", true);
        pan_attention_mask mask = (pan_attention_mask)attr(tc, "mask");
        float scale = (float)attr(tc, "scale");
        pan_attention_extra e = attention_extra(tc);
        if (!q || !dout) return PAN_ERR_INVALID_ARGUMENT;
        pan_tensor *out = output(tc, "out", "out"); /* forward, compared */
        e.lse = output(tc, "lse", "lse");
        pan_status s = pan_compute_attention(c, out, q, k, v, mask, scale, &e);
        if (s == PAN_OK)
            s = pan_compute_attention_backward(c, q, k, v, out, dout, e.lse,
                                               mask, scale, &e, grad(tc, "q"),
                                               grad(tc, "k"), grad(tc, "v"));
        return s;
    }
    case PAN_OP_MSE_LOSS:
    case PAN_OP_L1_LOSS: {
        pan_tensor *loss = output(tc, "loss", "loss");
        const pan_tensor *pred = input(tc, "pred", true);
        const pan_tensor *target = input(tc, "target", true);
        const pan_tensor *w = input(tc, "weights", false);
        float gs = (float)attr(tc, "grad_scale");
        pan_tensor *dpred = grad(tc, "pred");
        if (*op == PAN_OP_MSE_LOSS)
            return pan_compute_mse_loss(c, pred, target, w, gs, loss, dpred);
        return pan_compute_l1_loss(c, pred, target, w, gs, loss, dpred);
    }
    case PAN_OP_KL_LOSS: {
        pan_tensor *loss = output(tc, "loss", "loss");
        return pan_compute_kl_loss(c, input(tc, "mean", true),
                                   input(tc, "logvar", true),
                                   (float)attr(tc, "grad_scale"), loss,
                                   grad(tc, "mean"), grad(tc, "logvar"));
    }
    default: break;
    }
    return pan_error_set(PAN_ERR_INTERNAL, "no runner for '%s'", tc->op);
}

#define LSE_BOUND 1e-13

static double op_bound(pan_op op) {
    switch (op) {
    case PAN_OP_UPSAMPLE_NEAREST_BACKWARD:
    case PAN_OP_PATCHIFY_BACKWARD:
    case PAN_OP_UNPATCHIFY_BACKWARD:
    case PAN_OP_EMBEDDING_BACKWARD: return 1e-14;
    case PAN_OP_ROPE_BACKWARD:
    case PAN_OP_ATTENTION_BACKWARD: return 1e-12;
    default: return 1e-13;
    }
}

/* nmse over the finite entries of want; -inf entries must match exactly. */
static double compare(const grad_slot *g, char *why, size_t size) {
    const double *want = g->want->data;
    const float *got = g->buf.data;
    double num = 0.0, den = 0.0;
    if (!test_guard_intact(&g->buf)) {
        snprintf(why, size, "%s: wrote outside the output", g->name);
        return -1;
    }
    for (int64_t i = 0; i < g->want->count; i++) {
        if (isinf(want[i]) && want[i] < 0) {
            if (!(isinf(got[i]) && got[i] < 0)) {
                snprintf(why, size, "%s[%lld] = %g, expected -inf", g->name,
                         (long long)i, (double)got[i]);
                return -1;
            }
            continue;
        }
        if (!isfinite(got[i])) {
            snprintf(why, size, "%s[%lld] = %g (NaN/Inf)", g->name,
                     (long long)i, (double)got[i]);
            return -1;
        }
        num += (want[i] - got[i]) * (want[i] - got[i]);
        den += want[i] * want[i];
    }
    return den == 0.0 ? (num == 0.0 ? 0.0 : INFINITY) : num / den;
}

static double worst[PAN_OP_COUNT];

/* Runs one case; returns 1 if it failed. */
static int check_case(pan_compute *c, const fixture *fx,
                      const fixture_record *marker, int *per_op) {
    tcase tc = {.fx = fx};
    size_t len = strlen(marker->name) - strlen("/case");
    memcpy(tc.prefix, marker->name, len);
    tc.prefix[len] = '\0';
    const char *slash = strchr(tc.prefix, '/');
    memcpy(tc.op, tc.prefix, (size_t)(slash - tc.prefix));
    tc.op[slash - tc.prefix] = '\0';
    pan_op op = PAN_OP_COUNT;
    char why[PAN_ERROR_MESSAGE_MAX + 64] = "";
    pan_error_clear();
    pan_status status = run_case(c, &tc, &op);
    double case_worst = 0.0;
    if (tc.problem[0]) snprintf(why, sizeof why, "%s", tc.problem);
    else if (status != PAN_OK)
        snprintf(why, sizeof why, "returned %s: %s", pan_status_name(status),
                 pan_error_message());
    else if (tc.n_grads == 0)
        snprintf(why, sizeof why, "no expected gradient in the fixture");
    char detail[256] = "";
    size_t used = 0;
    double bound = op == PAN_OP_COUNT ? 0 : op_bound(op);
    for (int i = 0; i < tc.n_grads && !why[0]; i++) {
        bool fwd = strcmp(tc.grads[i].name, "lse") == 0 ||
                   strcmp(tc.grads[i].name, "out") == 0;
        double b = fwd ? LSE_BOUND : bound;
        double nmse = compare(&tc.grads[i], why, sizeof why);
        if (why[0]) break;
        used += (size_t)snprintf(detail + used, sizeof detail - used,
                                 " %s=%.2g", tc.grads[i].name, nmse);
        if (!(nmse <= b))
            snprintf(why, sizeof why, "%s: nmse above bound %.0e",
                     tc.grads[i].name, b);
        if (nmse > case_worst) case_worst = nmse;
    }
    if (op != PAN_OP_COUNT) {
        per_op[op]++;
        if (case_worst > worst[op]) worst[op] = case_worst;
    }
    printf("%-30s%-60s %s%s%s\n", tc.prefix, detail, why[0] ? "FAIL" : "PASS",
           why[0] ? "  " : "", why);
    for (int i = 0; i < tc.n_grads; i++) test_guarded_free(&tc.grads[i].buf);
    return why[0] ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURE.bin (written by "
                        "tests/reference/ops_backward_reference.py)\n",
                argv[0]);
        return 1;
    }
    fixture fx;
    if (fixture_load(&fx, argv[1]) != PAN_OK) {
        printf("FAIL: %s\n(run tests/reference/ops_backward_reference.py %s "
               "with /usr/bin/python3 and python3-torch first; ctest does "
               "it)\n",
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
    for (int i = 0; i < fx.count; i++) {
        const char *name = fx.records[i].name;
        size_t len = strlen(name);
        if (len <= 5 || strcmp(name + len - 5, "/case") != 0) continue;
        failed += check_case(c, &fx, &fx.records[i], per_op);
        cases++;
    }
    printf("\nworst nmse per op:\n");
    for (int op = PAN_OP_FIRST_TRAINING; op < PAN_OP_COUNT; op++) {
        printf("  %-26s %.3g (bound %.0e)%s\n", pan_op_name((pan_op)op),
               worst[op], op_bound((pan_op)op),
               op == PAN_OP_SUM_ROWS ? " matmul_backward" : "");
        if (per_op[op] == 0) {
            printf("FAIL: the fixture has no case for %s\n",
                   pan_op_name((pan_op)op));
            failed++;
        }
    }
    printf("%d cases, %d failed\n", cases, failed);
    pan_compute_destroy(c);
    fixture_free(&fx);
    return failed ? 1 : 0;
}
