/* tests/model/train_case_stages.c: the three stage losses of
 * docs/training.md (core/train/stages.h) against the twin: "vae/0",
 * "decoder/{0,1}" (a first and a pair window batch, dropped conditions,
 * per-item weights) and "glp/0" (R = 5 rounds past max_rounds 3, dropped
 * window conditions): the loss and every parameter's gradient; the loss
 * without gradients is the same; bad arguments are refused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/train/stages.h"
#include "tests/model/train_parity.h"
#include "tests/test_util.h"

/* Observed 2026-12-07 (AMD EPYC; onednn, openblas, ref): loss relative
 * error 1.6e-7 (the ops write f32 losses), gradients 5.7e-12. */
#define LOSS_BOUND 1e-6
#define GRAD_BOUND 1e-10
#define MAX_ITEMS 64

static int check_loss(const fixture *fx, const char *rec, double got,
                      const char *backend, double *worst) {
    const fixture_record *r = fixture_need(fx, FIXTURE_F64, "%s", rec);
    if (!r) return 1;
    double want = *(const double *)r->data;
    double rel = fabs(got - want) / fmax(fabs(want), 1e-300);
    if (rel > *worst) *worst = rel;
    if (rel <= LOSS_BOUND) return 0;
    fprintf(stderr, "%s: %s = %.10g, the twin's %.10g (relative %.3g)\n",
            backend, rec, got, want, rel);
    return 1;
}

static const float *f32(const fixture *fx, const char *fmt, int a, int b) {
    char name[FIXTURE_NAME_MAX];
    snprintf(name, sizeof name, fmt, a, b);
    const fixture_record *r = fixture_need(fx, FIXTURE_F32, "%s", name);
    return r ? r->data : NULL;
}

static int stage_vae(pan_compute *c, const pan_model *m, const fixture *fx,
                     const char *backend, double *wl, double *wg) {
    const fixture_record *img = fixture_need(fx, FIXTURE_F32, "vae/0/images");
    const float *eps = f32(fx, "vae/0/eps", 0, 0);
    const float *klw = f32(fx, "vae/0/kl_weight", 0, 0);
    const float *w = f32(fx, "vae/0/weights", 0, 0);
    if (!img || !eps || !klw || !w) return 1;
    int failed = 0, n = (int)img->shape[0];
    pan_vae_stage *s = NULL;
    pan_grads *g = NULL;
    CHECK_STATUS(pan_vae_stage_create(&s, &m->config, n), PAN_OK);
    CHECK_STATUS(pan_grads_create(&g, m), PAN_OK);
    double loss = 0.0, plain = 0.0;
    if (!s || !g) failed++;
    else {
        CHECK_STATUS(pan_vae_stage_loss(c, m, s, n, img->data, eps, *klw, w,
                                        &g->w, &loss), PAN_OK);
        failed += check_loss(fx, "vae/0/loss", loss, backend, wl);
        failed += train_compare_grads(fx, "vae/0", m, g, GRAD_BOUND, wg, backend);
        CHECK_STATUS(pan_vae_stage_loss(c, m, s, n, img->data, eps, *klw, w,
                                        NULL, &plain), PAN_OK);
        if (plain != loss) failed++;
        CHECK_STATUS(pan_vae_stage_loss(c, m, s, n + 1, img->data, eps, *klw,
                                        w, NULL, &plain), PAN_ERR_INVALID_ARGUMENT);
        CHECK_STATUS(pan_vae_stage_loss(c, m, s, n, img->data, eps, -1.0f, w,
                                        NULL, &plain), PAN_ERR_INVALID_ARGUMENT);
    }
    pan_grads_destroy(g);
    pan_vae_stage_destroy(s);
    return failed;
}

static int stage_decoder(pan_compute *c, const pan_model *m, const fixture *fx,
                         int e, const char *backend, double *wl, double *wg) {
    char p[32];
    snprintf(p, sizeof p, "decoder/%d", e);
    const fixture_record *kind = fixture_need(fx, FIXTURE_I32, "%s/kind", p);
    const fixture_record *x1 = fixture_need(fx, FIXTURE_F32, "%s/x1", p);
    const fixture_record *drp = fixture_need(fx, FIXTURE_I32, "%s/dropped", p);
    const float *x0 = f32(fx, "decoder/%d/x0", e, 0);
    const float *k = f32(fx, "decoder/%d/k", e, 0);
    const float *sl = f32(fx, "decoder/%d/state_latents", e, 0);
    const float *w = f32(fx, "decoder/%d/weights", e, 0);
    if (!kind || !x1 || !drp || !x0 || !k || !sl || !w) return 1;
    int batch = (int)drp->shape[0], nc = (int)drp->shape[1];
    if (batch * nc > MAX_ITEMS) return 1;
    pan_train_action act[MAX_ITEMS];
    for (int b = 0; b < batch; b++)
        for (int ci = 0; ci < nc; ci++) {
            const fixture_record *a = fixture_need(fx, FIXTURE_U8, "%s/action/%d/%d", p, b, ci);
            if (!a) return 1;
            act[b * nc + ci] = (pan_train_action){
                .bytes = a->data, .len = (int)a->count,
                .dropped = ((const int32_t *)drp->data)[b * nc + ci] != 0};
        }
    int failed = 0;
    pan_decoder_stage *s = NULL;
    pan_grads *g = NULL;
    CHECK_STATUS(pan_decoder_stage_create(&s, &m->config, batch), PAN_OK);
    CHECK_STATUS(pan_grads_create(&g, m), PAN_OK);
    double loss = 0.0;
    pan_window_kind kd = *(const int32_t *)kind->data ? PAN_WINDOW_PAIR : PAN_WINDOW_FIRST;
    if (!s || !g) failed++;
    else {
        CHECK_STATUS(pan_decoder_stage_loss(c, m, s, kd, batch, x1->data, x0, k,
                                            act, sl, w, &g->w, &loss), PAN_OK);
        char rec[64];
        snprintf(rec, sizeof rec, "%s/loss", p);
        failed += check_loss(fx, rec, loss, backend, wl);
        failed += train_compare_grads(fx, p, m, g, GRAD_BOUND, wg, backend);
        float bad[MAX_ITEMS];
        memcpy(bad, k, sizeof(float) * (size_t)batch);
        bad[batch - 1] = kd == PAN_WINDOW_PAIR ? 0.75f : 1.5f;
        CHECK_STATUS(pan_decoder_stage_loss(c, m, s, kd, batch, x1->data, x0,
                                            bad, act, sl, w, NULL, &loss),
                     PAN_ERR_INVALID_ARGUMENT);
    }
    pan_grads_destroy(g);
    pan_decoder_stage_destroy(s);
    return failed;
}

static int stage_glp(pan_compute *c, const pan_model *m, const fixture *fx,
                     const char *backend, double *wl, double *wg) {
    const fixture_record *rr = fixture_need(fx, FIXTURE_I32, "glp/0/rounds");
    const fixture_record *z0 = fixture_need(fx, FIXTURE_F32, "glp/0/z0");
    const float *chunks = f32(fx, "glp/0/chunks", 0, 0);
    const float *prev = f32(fx, "glp/0/prev", 0, 0);
    const float *w = f32(fx, "glp/0/weights", 0, 0);
    if (!rr || !z0 || !chunks || !prev || !w) return 1;
    int rounds = *(const int32_t *)rr->data, batch = (int)z0->shape[0];
    if (batch * rounds > MAX_ITEMS || rounds > 16) return 1;
    pan_train_action act[MAX_ITEMS];
    for (int b = 0; b < batch; b++)
        for (int r = 0; r < rounds; r++) {
            const fixture_record *a = fixture_need(fx, FIXTURE_U8, "glp/0/action/%d/%d", b, r);
            if (!a) return 1;
            act[b * rounds + r] = (pan_train_action){.bytes = a->data,
                                                     .len = (int)a->count};
        }
    pan_glp_window_noise win[16];
    bool dropped[16][MAX_ITEMS];
    for (int r = 0; r < rounds; r++) {
        const fixture_record *d = fixture_need(fx, FIXTURE_I32, "glp/0/window/%d/dropped", r);
        win[r].x0 = f32(fx, "glp/0/window/%d/x0", r, 0);
        win[r].k = f32(fx, "glp/0/window/%d/k", r, 0);
        if (!d || !win[r].x0 || !win[r].k || d->count > MAX_ITEMS) return 1;
        for (int64_t i = 0; i < d->count; i++)
            dropped[r][i] = ((const int32_t *)d->data)[i] != 0;
        win[r].dropped = dropped[r];
    }
    int failed = 0;
    pan_glp_stage *s = NULL;
    pan_grads *g = NULL;
    CHECK_STATUS(pan_glp_stage_create(&s, &m->config, batch, rounds), PAN_OK);
    CHECK_STATUS(pan_grads_create(&g, m), PAN_OK);
    double loss = 0.0, plain = 0.0;
    if (!s || !g) failed++;
    else {
        CHECK_STATUS(pan_glp_stage_loss(c, m, s, batch, rounds, z0->data, chunks,
                                        act, prev, win, w, &g->w, &loss), PAN_OK);
        failed += check_loss(fx, "glp/0/loss", loss, backend, wl);
        failed += train_compare_grads(fx, "glp/0", m, g, GRAD_BOUND, wg, backend);
        CHECK_STATUS(pan_glp_stage_loss(c, m, s, batch, rounds, z0->data, chunks,
                                        act, prev, win, w, NULL, &plain), PAN_OK);
        if (plain != loss) failed++;
        CHECK_STATUS(pan_glp_stage_loss(c, m, s, batch, rounds + 1, z0->data,
                                        chunks, act, prev, win, w, NULL, &plain),
                     PAN_ERR_INVALID_ARGUMENT);
    }
    pan_grads_destroy(g);
    pan_glp_stage_destroy(s);
    return failed;
}

int train_case_stages(pan_compute *c, const pan_model *vae,
                      const pan_model *dec, const pan_model *glp,
                      const fixture *fx, const char *backend) {
    double wl = 0.0, wg = 0.0;
    int failed = stage_vae(c, vae, fx, backend, &wl, &wg);
    for (int e = 0; e < 2; e++) failed += stage_decoder(c, dec, fx, e, backend, &wl, &wg);
    failed += stage_glp(c, glp, fx, backend, &wl, &wg);
    printf("train stages   %-8s loss relative error %.3g, gradients worst nmse "
           "%.3g %s\n", backend, wl, wg, failed ? "FAIL" : "PASS");
    return failed;
}
