/* tests/model/parity_main.h: the main() the model parity suites share.
 *
 * Contract
 * - parity_main(argc, argv, name, setup, run, ctx): argv is "MODEL.
 *   safetensors MODEL_REFERENCE.bin" (else usage, exit code 2); loads both,
 *   calls setup(model, fixture, ctx) once (non-zero: "cannot set up", a
 *   failure), then run(model, fixture, ctx, backend) for every backend,
 *   summing the mismatches it returns; frees everything and returns the
 *   exit code (1 on any mismatch or failed CHECK, else 0).
 * - The fixture and model live until parity_main returns, so ctx may point
 *   into them.
 */
#ifndef PAN_TESTS_MODEL_PARITY_MAIN_H
#define PAN_TESTS_MODEL_PARITY_MAIN_H

#include "core/model/model.h"
#include "tests/fixture.h"

typedef int (*parity_setup_fn)(const pan_model *m, const fixture *fx,
                               void *ctx);
typedef int (*parity_run_fn)(const pan_model *m, const fixture *fx, void *ctx,
                             const char *backend);

int parity_main(int argc, char **argv, const char *name, parity_setup_fn setup,
                parity_run_fn run, void *ctx);

#endif
