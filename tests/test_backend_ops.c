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
 * Bounds: OP_NMSE_BOUND (1e-7) for every op. It is far above f32 rounding
 * for these sizes (K <= 300) and far below any real mistake (a wrong index
 * or convention gives nmse ~ 1). No op needs a looser bound today; if one
 * does, set op_case.bound in its case file and say why there.
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
