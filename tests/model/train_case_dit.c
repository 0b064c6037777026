/* tests/model/train_case_dit.c: the decoder g's training forward and
 * backward against the twin ("dit/0": a pair window, two items with their
 * own noise levels, item 1's second condition null; loss = sum(proj *
 * velocity)): the velocity of every frame, every parameter's gradient
 * (model.embed_tokens' action rows included) and the states' gradient; the
 * training forward equals the inference forward; a backward without a
 * forward is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/decoder/decoder.h"
#include "core/model/decoder/decoder_train.h"
#include "tests/model/train_parity.h"
#include "tests/test_util.h"

/* Observed 2026-12-07 (AMD EPYC; onednn, openblas, ref): out 2.6e-14,
 * gradients 3.1e-13. */
#define OUT_BOUND 1e-12
#define GRAD_BOUND 5e-12
#define MAX_N 64

int train_case_dit(pan_compute *c, const pan_model *m, const fixture *fx,
                   const char *backend) {
    const fixture_record *lat = fixture_need(fx, FIXTURE_F32, "dit/0/latents");
    const fixture_record *sig = fixture_need(fx, FIXTURE_F32, "dit/0/sigma");
    const fixture_record *slot = fixture_need(fx, FIXTURE_I32, "dit/0/slot");
    const fixture_record *blk = fixture_need(fx, FIXTURE_I32, "dit/0/block");
    const fixture_record *cnd = fixture_need(fx, FIXTURE_I32, "dit/0/cond");
    const fixture_record *sts = fixture_need(fx, FIXTURE_F32, "dit/0/states");
    const fixture_record *drp = fixture_need(fx, FIXTURE_I32, "dit/0/dropped");
    const fixture_record *proj = fixture_need(fx, FIXTURE_F32, "dit/0/proj");
    if (!lat || !sig || !slot || !blk || !cnd || !sts || !drp || !proj) return 1;
    int batch = (int)lat->shape[0], n = (int)lat->shape[1];
    int n_conds = (int)drp->shape[1];
    if (n > MAX_N || n_conds > PAN_DECODER_MAX_CONDS || batch > 8) return 1;
    pan_decoder_frame frames[MAX_N];
    for (int j = 0; j < n; j++)
        frames[j] = (pan_decoder_frame){.sigma = 0.0f,
                                        .slot = ((const int32_t *)slot->data)[j],
                                        .block = ((const int32_t *)blk->data)[j],
                                        .cond = ((const int32_t *)cnd->data)[j]};
    int64_t qd = (int64_t)m->config.backbone.queries * m->config.backbone.dim;
    pan_decoder_condition conds[8 * PAN_DECODER_MAX_CONDS];
    for (int b = 0; b < batch; b++)
        for (int k = 0; k < n_conds; k++) {
            const fixture_record *ac = fixture_need(fx, FIXTURE_U8, "dit/0/action/%d/%d", b, k);
            if (!ac) return 1;
            int i = b * n_conds + k;
            conds[i] = (pan_decoder_condition){
                .null = ((const int32_t *)drp->data)[i] != 0,
                .state = (const float *)sts->data + i * qd,
                .action = ac->data, .action_len = (int)ac->count};
        }
    int failed = 0;
    pan_decoder_train *t = NULL;
    pan_decoder_workspace *ws = NULL;
    pan_grads *g = NULL;
    float *out = calloc((size_t)lat->count, sizeof(float));
    float *inf = calloc((size_t)lat->count, sizeof(float));
    float *dstates = calloc((size_t)sts->count, sizeof(float));
    CHECK_STATUS(pan_decoder_train_create(&t, &m->config, batch), PAN_OK);
    CHECK_STATUS(pan_decoder_workspace_create(&ws, &m->config, batch), PAN_OK);
    CHECK_STATUS(pan_grads_create(&g, m), PAN_OK);
    if (!t || !ws || !g || !out || !inf || !dstates) {
        failed++;
        goto done;
    }
    CHECK_STATUS(pan_decoder_train_backward(c, m, t, proj->data, &g->w, NULL,
                                            NULL), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_decoder_train_forward(c, m, t, batch, n, frames, sig->data,
                                           lat->data, conds, n_conds, out),
                 PAN_OK);
    double worst_out = 0.0, worst_grad = 0.0;
    failed += train_compare(fx, "dit/0/out", out, lat->count, OUT_BOUND,
                            &worst_out, backend);
    CHECK_STATUS(pan_decoder_forward_items(c, m, ws, batch, n, frames, sig->data,
                                           lat->data, conds, n_conds, 0, n, inf),
                 PAN_OK);
    double e_inf = train_nmse_f32(inf, out, lat->count);
    if (!(e_inf <= 1e-12)) {
        fprintf(stderr, "%s: decoder training forward vs inference nmse %.3g\n",
                backend, e_inf);
        failed++;
    }
    CHECK_STATUS(pan_decoder_train_backward(c, m, t, proj->data, &g->w, dstates,
                                            NULL), PAN_OK);
    failed += train_compare_grads(fx, "dit/0", m, g, GRAD_BOUND, &worst_grad,
                                  backend);
    failed += train_compare(fx, "dit/0/dstate", dstates, sts->count, GRAD_BOUND,
                            &worst_grad, backend);
    printf("train decoder  %-8s out nmse %.3g (vs inference %.3g), gradients "
           "worst nmse %.3g %s\n", backend, worst_out, e_inf, worst_grad,
           failed ? "FAIL" : "PASS");
done:
    free(out);
    free(inf);
    free(dstates);
    pan_grads_destroy(g);
    pan_decoder_workspace_destroy(ws);
    pan_decoder_train_destroy(t);
    return failed;
}
