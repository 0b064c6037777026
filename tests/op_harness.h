/* tests/op_harness.h: runs one op case on every backend and compares it with
 * the ref backend (the engine of test_backend_ops).
 *
 * Contract
 * - A case is a run function plus its parameters: run(c, params, out) calls
 *   one pan_compute_* op on compute `c`, writing its result into `out`
 *   (out_count floats). Before each run the harness fills `out` with
 *   `init` (accumulate and in-place variants: the run function then passes
 *   `out` as the input) or, without init, with NaN.
 * - Inputs come from op_input_* / op_rand: the harness owns them, checks
 *   that no run modified them (against a copy taken when the case starts;
 *   a modified input is restored before the next run) and frees them when
 *   the case ends.
 * - op_harness_run_case runs the case on the oracle (ref, strict), then on
 *   every backend of pan_backend_names() with {.strict = true,
 *   .n_threads = 2}, non-strict with the same name, and on "auto", and
 *   prints one line per run:  op  backend  shape  nmse  PASS|FAIL|SKIPPED.
 *   Every output sits between guard floats (tests/test_util.h) and starts as
 *   NaN, so unwritten elements and out-of-bounds writes both fail.
 * - A strict backend that answers UNIMPLEMENTED is SKIPPED, never passed.
 * - Several outputs (the gradients of a backward op) share `out`, one after
 *   the other: `parts` lists their lengths and the nmse is the worst over
 *   the parts, so a small gradient (a bias) is not drowned by a large one.
 * - Accumulating outputs start from a random `init` and set `delta`: the
 *   nmse then compares out - init (what the op added), so an op that
 *   overwrote instead of accumulating fails, and the init does not dilute
 *   the comparison.
 * - Not thread safe; one harness per process.
 */
#ifndef PAN_TESTS_OP_HARNESS_H
#define PAN_TESTS_OP_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compute.h"
#include "tests/test_util.h"

/* Default bound on the normalised MSE against ref for f32 outputs; ops
 * whose fast paths round differently get op_default_bound's larger one
 * (measured: tests/test_backend_ops.c). */
#define OP_NMSE_BOUND 1e-12

/* OP_NMSE_BOUND, or 1e-11 for matmul (and matmul_backward), sum_rows,
 * conv2d, attention (each with its backward) and gelu. */
double op_default_bound(pan_op op);

typedef pan_status (*op_run_fn)(pan_compute *c, const void *params,
                                float *out);

typedef struct op_case {
    pan_op op;
    char shape[192];   /* what the case is, printed on its line */
    int64_t out_count; /* floats written by run */
    double bound;      /* nmse bound; 0 means op_default_bound(op) */
    op_run_fn run;
    const void *params;
    const float *init; /* (out_count) out before each run, or NULL: NaN */
    bool delta;        /* compare out - init (accumulating outputs) */
    int n_parts;       /* 0: one output of out_count floats */
    int64_t parts[6];  /* lengths of the outputs packed in out */
    const char *label; /* printed instead of the op's name, or NULL */
} op_case;

typedef struct op_harness op_harness;

/* Creates the oracle and every backend's computes; NULL on failure (the
 * reason is printed). */
op_harness *op_harness_create(void);
void op_harness_destroy(op_harness *h);

test_rng *op_harness_rng(op_harness *h);

/* Harness-owned inputs for the current case. */
float *op_input_f32(op_harness *h, int64_t n, float scale, float offset);
int32_t *op_input_i32(op_harness *h, int64_t n, int32_t lo, int32_t hi);
uint8_t *op_input_u8(op_harness *h, int64_t n); /* caller fills */

/* A contiguous f32 tensor with uniform values in offset +- scale. */
pan_tensor op_rand(op_harness *h, int ndim, const int64_t *shape, float scale,
                   float offset);
/* A contiguous view of `data` (NULL for an output template). */
pan_tensor op_view(void *data, pan_dtype dtype, int ndim,
                   const int64_t *shape);

/* Runs the case everywhere, prints its lines and frees its inputs. */
void op_harness_run_case(op_harness *h, const op_case *tc);

/* Prints "N passed, N failed, N skipped"; returns the number failed. */
int op_harness_summary(const op_harness *h);

/* The case lists, one per file. */
void op_cases_linear(op_harness *h);    /* matmul, conv2d, upsample, layout */
void op_cases_pointwise(op_harness *h); /* norms, softmax, unary, binary... */
void op_cases_attention(op_harness *h); /* attention, rope */
void op_cases_backward(op_harness *h);  /* sum_rows, matmul/conv/norm/... */
void op_cases_attention_backward(op_harness *h); /* lse, rounds, backward */

#endif
