/* tests/test_backend_ops.c: every op x every backend x several shapes,
 * against the ref backend on identical inputs (label "parity").
 *
 * For each case (tests/op_cases_*.c) the harness (tests/op_harness.c) runs:
 *   - the oracle: backend "ref", strict;
 *   - every backend of pan_backend_names(), strict, 2 threads: SKIPPED if it
 *     answers UNIMPLEMENTED (and then it must not have written anything),
 *     else NaN/Inf check, normalised MSE against the oracle under the op's
 *     bound, guard floats intact, inputs unchanged, and a second run
 *     bit-identical (backends are deterministic for a thread count);
 *   - for a backend that skipped: the same backend non-strict, which must
 *     fall back and report pan_compute_last_backend() == "ref";
 *   - "auto" (non-strict), which must run on the first backend in
 *     pan_backend_names() order that supports the case.
 *
 * Bounds (tests/op_harness.h): measured worst nmse against ref over every
 * case and fast backend on 2026-12-07: attention 1.6e-13 (with lse:
 * 1.5e-13; the tiled kernels' fast exp), conv2d 1.5e-13, gelu 7.3e-14
 * (onednn), conv2d_backward 7.7e-14 (onednn), attention_backward 1.4e-12
 * (openblas/onednn tiles in f32 against ref's double; 9.6e-12 with scores
 * in the hundreds, that case's own bound 1e-10), matmul 6.5e-14 and
 * matmul_backward 5.0e-14, sum_rows 5.3e-14: bound 1e-11
 * (op_default_bound); softmax 1.7e-14, layer_norm 9.0e-15,
 * rms_norm 4.2e-15, swiglu 3.1e-15, silu 3.0e-15: OP_NMSE_BOUND 1e-12.
 * Ops only ref implements (every backward but conv2d's, attention's,
 * sum_rows and the composed matmul; adaLN, rope, layout) compare ref with itself (exactly 0) and
 * keep 1e-12 for a fast path that may come. A wrong index or convention
 * gives nmse ~1; an op that overwrote an accumulating output ~1 too.
 *
 * Exit status: 0 only when no run failed and every op had a case.
 */
#include <stdio.h>

#include "tests/op_harness.h"

int main(void) {
    op_harness *h = op_harness_create();
    if (!h) {
        printf("FAIL: cannot create the computes\n");
        return 1;
    }
    printf("%-26s %-18s %-60s %-15s %s\n", "op", "backend", "case", "nmse",
           "result");
    op_cases_linear(h);
    op_cases_pointwise(h);
    op_cases_attention(h);
    op_cases_backward(h);
    op_cases_attention_backward(h);
    int failed = op_harness_summary(h);
    op_harness_destroy(h);
    return failed ? 1 : 0;
}
