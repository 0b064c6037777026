/* tests/model/train_case_vit.c: the vision encoder h's training forward and
 * backward against the twin ("vit/0": loss = sum(proj * h(latent))): the
 * tokens, every parameter's gradient and the latent's gradient; the
 * training forward equals the inference forward bit for bit; a second
 * backward adds the same gradients again; bad calls are refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/model/encoder/vit.h"
#include "core/model/encoder/vit_train.h"
#include "tests/model/train_parity.h"
#include "tests/test_util.h"

/* Observed 2026-12-07 (AMD EPYC; onednn, openblas, ref): out 6.9e-14,
 * gradients 5.2e-13. */
#define OUT_BOUND 1e-12
#define GRAD_BOUND 1e-11

int train_case_vit(pan_compute *c, const pan_model *m, const fixture *fx,
                   const char *backend) {
    const fixture_record *lat = fixture_need(fx, FIXTURE_F32, "vit/0/latent");
    const fixture_record *proj = fixture_need(fx, FIXTURE_F32, "vit/0/proj");
    if (!lat || !proj) return 1;
    int failed = 0, n = (int)lat->shape[0];
    pan_tensor latent = train_view(lat), dtokens = train_view(proj);
    pan_vit_train *t = NULL;
    pan_grads *g = NULL;
    float *tokens = calloc((size_t)proj->count, sizeof(float));
    float *again = calloc((size_t)proj->count, sizeof(float));
    float *dlat = calloc((size_t)lat->count, sizeof(float));
    float *once = malloc(sizeof(float) * (size_t)m->params.total_floats);
    CHECK_STATUS(pan_vit_train_create(&t, &m->config, n), PAN_OK);
    CHECK_STATUS(pan_grads_create(&g, m), PAN_OK);
    if (!t || !g || !tokens || !again || !dlat || !once) {
        failed++;
        goto done;
    }
    pan_tensor out, dl;
    pan_tensor_init(&out, tokens, PAN_DTYPE_F32, 3, proj->shape);
    pan_tensor_init(&dl, dlat, PAN_DTYPE_F32, 4, lat->shape);
    /* a backward before any forward is refused */
    CHECK_STATUS(pan_vit_train_backward(c, m, t, &dtokens, &g->w, &dl),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_vit_train_forward(c, m, t, &latent, &out), PAN_OK);
    double worst_out = 0.0, worst_grad = 0.0;
    failed += train_compare(fx, "vit/0/out", tokens, proj->count, OUT_BOUND,
                            &worst_out, backend);
    /* the inference forward gives the same bits */
    pan_arena scratch;
    CHECK_STATUS(pan_arena_init(&scratch, "vit scratch",
                                pan_vit_scratch_bytes(&m->config, n)), PAN_OK);
    pan_tensor inf;
    pan_tensor_init(&inf, again, PAN_DTYPE_F32, 3, proj->shape);
    CHECK_STATUS(pan_vit_forward(c, m, &scratch, &latent, &inf), PAN_OK);
    pan_arena_free(&scratch);
    if (memcmp(tokens, again, sizeof(float) * (size_t)proj->count) != 0) {
        fprintf(stderr, "%s: vit training forward differs from the inference "
                "forward\n", backend);
        failed++;
    }
    CHECK_STATUS(pan_vit_train_backward(c, m, t, &dtokens, &g->w, &dl), PAN_OK);
    failed += train_compare_grads(fx, "vit/0", m, g, GRAD_BOUND, &worst_grad,
                                  backend);
    failed += train_compare(fx, "vit/0/dlatent", dlat, lat->count, GRAD_BOUND,
                            &worst_grad, backend);
    /* a second backward adds the same gradients again */
    memcpy(once, g->block, sizeof(float) * (size_t)m->params.total_floats);
    CHECK_STATUS(pan_vit_train_backward(c, m, t, &dtokens, &g->w, NULL), PAN_OK);
    for (int64_t i = 0; i < m->params.total_floats; i++) once[i] *= 2.0f;
    double twice = train_nmse_f32(once, g->block, m->params.total_floats);
    if (!(twice <= 1e-12)) {
        fprintf(stderr, "%s: a second vit backward does not add the same "
                "gradients (nmse %.3g against twice the first)\n", backend,
                twice);
        failed++;
    }
    /* wrong shapes are refused and write nothing */
    memcpy(once, g->block, sizeof(float) * (size_t)m->params.total_floats);
    pan_tensor bad;
    pan_tensor_init(&bad, (void *)proj->data, PAN_DTYPE_F32, 3,
                    PAN_SHAPE(n, proj->shape[1] - 1, proj->shape[2]));
    CHECK_STATUS(pan_vit_train_backward(c, m, t, &bad, &g->w, NULL),
                 PAN_ERR_INVALID_ARGUMENT);
    if (memcmp(once, g->block, sizeof(float) * (size_t)m->params.total_floats))
        failed++;
    printf("train vit      %-8s out nmse %.3g, gradients worst nmse %.3g %s\n",
           backend, worst_out, worst_grad, failed ? "FAIL" : "PASS");
done:
    free(tokens);
    free(again);
    free(dlat);
    free(once);
    pan_grads_destroy(g);
    pan_vit_train_destroy(t);
    return failed;
}
