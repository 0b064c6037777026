/* tests/model/train_case_vae.c: the VAE's training encoder and decoder
 * against the twin: "vae_encoder/0" (the moments, mean and log-variance,
 * and every encoder parameter's gradient of sum(proj_mean * mean) +
 * sum(proj_logvar * logvar)) and "vae_decoder/0" (the images, every
 * decoder parameter's gradient of sum(proj * images) and the latent's);
 * the training decode equals pan_vae_decode; bad calls are refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/model/vae/vae.h"
#include "core/model/vae/vae_train.h"
#include "tests/model/train_parity.h"
#include "tests/test_util.h"

/* Observed 2026-12-07 (AMD EPYC; onednn, openblas, ref): out 1.5e-13,
 * gradients 1.3e-12. */
#define OUT_BOUND 2e-12
#define GRAD_BOUND 2e-11

static int encoder(pan_compute *c, const pan_model *m, const fixture *fx,
                   pan_vae_train *t, const char *backend, double *wo,
                   double *wg) {
    const fixture_record *img = fixture_need(fx, FIXTURE_F32, "vae_encoder/0/images");
    const fixture_record *pm = fixture_need(fx, FIXTURE_F32, "vae_encoder/0/proj_mean");
    const fixture_record *pl = fixture_need(fx, FIXTURE_F32, "vae_encoder/0/proj_logvar");
    if (!img || !pm || !pl) return 1;
    int failed = 0, n = (int)img->shape[0];
    int64_t z = pm->shape[1], hw = pm->shape[2] * pm->shape[3];
    int64_t per = z * hw; /* one item's mean (or log-variance) */
    float *mom = calloc((size_t)(2 * pm->count), sizeof(float));
    float *dmom = calloc((size_t)(2 * pm->count), sizeof(float));
    float *part = calloc((size_t)pm->count, sizeof(float));
    pan_grads *g = NULL;
    CHECK_STATUS(pan_grads_create(&g, m), PAN_OK);
    if (!mom || !dmom || !part || !g) {
        failed++;
        goto done;
    }
    for (int b = 0; b < n; b++) { /* dmoments = [proj_mean, proj_logvar] */
        memcpy(dmom + (2 * b) * per, (const float *)pm->data + b * per, per * 4);
        memcpy(dmom + (2 * b + 1) * per, (const float *)pl->data + b * per, per * 4);
    }
    pan_tensor images = train_view(img), moments, dmoments;
    pan_tensor_init(&moments, mom, PAN_DTYPE_F32, 4,
                    PAN_SHAPE(n, 2 * z, pm->shape[2], pm->shape[3]));
    pan_tensor_init(&dmoments, dmom, PAN_DTYPE_F32, 4,
                    PAN_SHAPE(n, 2 * z, pm->shape[2], pm->shape[3]));
    CHECK_STATUS(pan_vae_train_encode_backward(c, m, t, &dmoments, &g->w),
                 PAN_ERR_INVALID_ARGUMENT); /* no encode yet */
    CHECK_STATUS(pan_vae_train_encode(c, m, t, &images, &moments), PAN_OK);
    for (int half = 0; half < 2; half++) {
        for (int b = 0; b < n; b++)
            memcpy(part + b * per, mom + (2 * b + half) * per, per * 4);
        failed += train_compare(fx, half ? "vae_encoder/0/logvar"
                                         : "vae_encoder/0/mean",
                                part, pm->count, OUT_BOUND, wo, backend);
    }
    CHECK_STATUS(pan_vae_train_encode_backward(c, m, t, &dmoments, &g->w), PAN_OK);
    failed += train_compare_grads(fx, "vae_encoder/0", m, g, GRAD_BOUND, wg,
                                  backend);
done:
    free(mom);
    free(dmom);
    free(part);
    pan_grads_destroy(g);
    return failed;
}

static int decoder(pan_compute *c, const pan_model *m, const fixture *fx,
                   pan_vae_train *t, const char *backend, double *wo,
                   double *wg) {
    const fixture_record *lat = fixture_need(fx, FIXTURE_F32, "vae_decoder/0/latent");
    const fixture_record *pj = fixture_need(fx, FIXTURE_F32, "vae_decoder/0/proj");
    if (!lat || !pj) return 1;
    int failed = 0, n = (int)lat->shape[0];
    float *img = calloc((size_t)pj->count, sizeof(float));
    float *inf = calloc((size_t)pj->count, sizeof(float));
    float *dl = calloc((size_t)lat->count, sizeof(float));
    pan_grads *g = NULL;
    pan_arena scratch = {0};
    CHECK_STATUS(pan_grads_create(&g, m), PAN_OK);
    CHECK_STATUS(pan_arena_init(&scratch, "vae scratch",
                                pan_vae_scratch_bytes(&m->config, n)), PAN_OK);
    if (!img || !inf || !dl || !g) {
        failed++;
        goto done;
    }
    pan_tensor latent = train_view(lat), dimages = train_view(pj), images, ti, tdl;
    pan_tensor_init(&images, img, PAN_DTYPE_F32, 4, pj->shape);
    pan_tensor_init(&ti, inf, PAN_DTYPE_F32, 4, pj->shape);
    pan_tensor_init(&tdl, dl, PAN_DTYPE_F32, 4, lat->shape);
    CHECK_STATUS(pan_vae_train_decode(c, m, t, &latent, &images), PAN_OK);
    failed += train_compare(fx, "vae_decoder/0/out", img, pj->count, OUT_BOUND,
                            wo, backend);
    CHECK_STATUS(pan_vae_decode(c, m, &scratch, &latent, &ti), PAN_OK);
    if (memcmp(img, inf, sizeof(float) * (size_t)pj->count) != 0) {
        fprintf(stderr, "%s: vae training decode differs from pan_vae_decode\n",
                backend);
        failed++;
    }
    CHECK_STATUS(pan_vae_train_decode_backward(c, m, t, &dimages, &g->w, &tdl),
                 PAN_OK);
    failed += train_compare_grads(fx, "vae_decoder/0", m, g, GRAD_BOUND, wg,
                                  backend);
    failed += train_compare(fx, "vae_decoder/0/dlatent", dl, lat->count,
                            GRAD_BOUND, wg, backend);
done:
    free(img);
    free(inf);
    free(dl);
    pan_arena_free(&scratch);
    pan_grads_destroy(g);
    return failed;
}

int train_case_vae(pan_compute *c, const pan_model *m, const fixture *fx,
                   const char *backend) {
    pan_vae_train *t = NULL;
    CHECK_STATUS(pan_vae_train_create(&t, &m->config, 2), PAN_OK);
    if (!t) return 1;
    double wo = 0.0, wg = 0.0;
    int failed = encoder(c, m, fx, t, backend, &wo, &wg);
    failed += decoder(c, m, fx, t, backend, &wo, &wg);
    printf("train vae      %-8s out nmse %.3g, gradients worst nmse %.3g %s\n",
           backend, wo, wg, failed ? "FAIL" : "PASS");
    pan_vae_train_destroy(t);
    return failed;
}
