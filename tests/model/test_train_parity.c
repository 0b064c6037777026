/* tests/model/test_train_parity.c: every model part's training forward and
 * backward, and each stage's loss and gradients, against the PyTorch
 * float64 autograd twin (tests/reference/train_reference.py; label
 * parity), on every backend.
 *
 * Usage: test_train_parity FIXTURE_DIR
 * FIXTURE_DIR holds train_reference.bin and train_{vae,decoder,glp}.
 * safetensors. Each case prints its worst nmse; any mismatch, a missing
 * record or a failed CHECK exits 1. Cases: train_case_*.c.
 */
#include <stdio.h>

#include "backends/backend.h"
#include "tests/model/train_parity.h"
#include "tests/test_util.h"

static int run_backend(const char *dir, const fixture *fx, const char *backend) {
    char path[4096];
    int failed = 0;
    pan_compute *c = NULL;
    pan_model *dec = NULL, *glp = NULL, *vae = NULL;
    CHECK_STATUS(pan_compute_create(&c, &(pan_compute_options){
                                            .backend = backend,
                                            .n_threads = 2}), PAN_OK);
    snprintf(path, sizeof path, "%s/train_decoder.safetensors", dir);
    CHECK_STATUS(pan_model_load(&dec, path), PAN_OK);
    snprintf(path, sizeof path, "%s/train_glp.safetensors", dir);
    CHECK_STATUS(pan_model_load(&glp, path), PAN_OK);
    snprintf(path, sizeof path, "%s/train_vae.safetensors", dir);
    CHECK_STATUS(pan_model_load(&vae, path), PAN_OK);
    if (!c || !dec || !glp || !vae) {
        failed++;
    } else {
        failed += train_case_vae(c, vae, fx, backend);
        failed += train_case_vit(c, dec, fx, backend);
        failed += train_case_dit(c, dec, fx, backend);
        failed += train_case_backbone(c, glp, fx, backend);
        failed += train_case_stages(c, vae, dec, glp, fx, backend);
    }
    pan_model_destroy(dec);
    pan_model_destroy(glp);
    pan_model_destroy(vae);
    pan_compute_destroy(c);
    return failed;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/train_reference.bin", argv[1]);
    fixture fx = {0};
    CHECK_STATUS(fixture_load(&fx, path), PAN_OK);
    int failed = 0;
    if (fx.records)
        for (const char *const *be = pan_backend_names(); *be; be++)
            failed += run_backend(argv[1], &fx, *be);
    fixture_free(&fx);
    if (failed) printf("test_train_parity: %d mismatches\n", failed);
    return failed ? 1 : test_exit_code("test_train_parity");
}
