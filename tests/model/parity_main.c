/* tests/model/parity_main.c: the shared main() of the model parity suites
 * (contract in parity_main.h). */
#include "tests/model/parity_main.h"

#include <stdio.h>

#include "backends/backend.h"
#include "tests/test_util.h"

int parity_main(int argc, char **argv, const char *name, parity_setup_fn setup,
                parity_run_fn run, void *ctx) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s MODEL.safetensors MODEL_REFERENCE.bin\n",
                argv[0]);
        return 2;
    }
    pan_model *m = NULL;
    fixture fx = {0};
    CHECK_STATUS(pan_model_load(&m, argv[1]), PAN_OK);
    CHECK_STATUS(fixture_load(&fx, argv[2]), PAN_OK);
    int failed = 0;
    if (!m || !fx.records || (setup && setup(m, &fx, ctx) != 0)) {
        fprintf(stderr, "%s: cannot set up\n", name);
        failed = 1;
    } else {
        for (const char *const *be = pan_backend_names(); *be; be++)
            failed += run(m, &fx, ctx, *be);
    }
    fixture_free(&fx);
    pan_model_destroy(m);
    if (failed) printf("%s: %d mismatches\n", name, failed);
    return failed ? 1 : test_exit_code(name);
}
