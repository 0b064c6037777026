/* tests/model/test_decoder_parity.c: one decoder window forward against
 * the PyTorch twin (tests/reference/model_reference.py, "decoder/{case}").
 *
 * Usage: test_decoder_parity MODEL.safetensors model_reference.bin
 *
 * Case 0: window [cond, A (K), B (K)], two items, two conditions each
 * (item 1's second one null, one action of 0 bytes, one of the maximum
 * length). Case 1: window [cond, B] with B in slots K+1..2K (block 2), as
 * in the first step after reset. Every frame's velocity must be within
 * nMSE 1e-12 of the twin (float64) on every backend; the output for the
 * frames [1, n) alone must equal the same frames of the full output.
 * Per-item noise levels (pan_decoder_forward_items): each item's output
 * equals a batch of one at its levels (nMSE 1e-12), differs from the
 * shared levels' output, and a level outside [0, 1] is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/compute.h"
#include "core/model/decoder/decoder.h"
#include "core/model/model.h"
#include "tests/fixture.h"
#include "tests/model/parity_main.h"
#include "tests/test_util.h"

/* Observed (2026-12-07, AMD EPYC, every backend): 9.0e-14. */
#define BOUND 1e-12
#define MAX_FRAMES 64

/* sum (a - b)^2 / sum a^2 over n floats. */
static double nmse_f32(const float *a, const float *b, int64_t n) {
    double num = 0.0, den = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double d = (double)a[i] - (double)b[i];
        num += d * d;
        den += (double)a[i] * (double)a[i];
    }
    return den > 0.0 ? num / den : num;
}

/* Per-item noise levels (training): item b's frames at sigma_b must give
 * what a batch of one at those levels gives, differ from the shared levels'
 * output (`shared`, the full output of the window), and a bad level is
 * refused. Returns the number of failed checks. */
static int per_item_sigmas(pan_compute *c, const pan_model *m,
                           pan_decoder_workspace *ws, int batch, int n,
                           const pan_decoder_frame *frames,
                           const float *latents,
                           const pan_decoder_condition *conds, int n_conds,
                           const float *shared, const char *backend, int k) {
    int failed = 0;
    const pan_model_config *cfg = &m->config;
    int64_t per_item = (int64_t)n * cfg->vae.latent_channels *
                       pan_latent_height(cfg) * pan_latent_width(cfg);
    float *sigmas = malloc(sizeof(float) * (size_t)(batch * n));
    float *got = malloc(sizeof(float) * (size_t)(batch * per_item));
    float *one = malloc(sizeof(float) * (size_t)per_item);
    pan_decoder_frame single[MAX_FRAMES];
    if (!sigmas || !got || !one) failed++;
    for (int i = 0; !failed && i < batch * n; i++) /* item b: its own levels */
        sigmas[i] = i % n == 0 ? frames[0].sigma
                               : (float)(0.05 + 0.9 * ((i * 37 + 11) % 97) / 97.0);
    if (!failed)
        CHECK_STATUS(pan_decoder_forward_items(c, m, ws, batch, n, frames,
                                               sigmas, latents, conds, n_conds,
                                               0, n, got), PAN_OK);
    double worst = 0.0, moved = 1.0;
    for (int b = 0; !failed && b < batch; b++) {
        for (int j = 0; j < n; j++) {
            single[j] = frames[j];
            single[j].sigma = sigmas[b * n + j];
        }
        CHECK_STATUS(pan_decoder_forward(c, m, ws, 1, n, single,
                                         latents + b * per_item,
                                         conds + b * n_conds, n_conds, 0, n,
                                         one), PAN_OK);
        double e = nmse_f32(one, got + b * per_item, per_item);
        double d = nmse_f32(shared + b * per_item, got + b * per_item,
                                    per_item);
        if (e > worst) worst = e;
        if (d < moved) moved = d;
    }
    bool ok = !failed && worst <= BOUND && moved > 1e-6;
    printf("decoder case %d %-8s per-item sigmas: vs batch of one nmse %.3g, "
           "vs shared levels %.3g %s\n", k, backend, worst, moved,
           ok ? "PASS" : "FAIL");
    failed += !ok;
    if (sigmas) {
        sigmas[batch * n - 1] = 1.5f; /* the last item's last frame */
        float before = got[0];
        CHECK_STATUS(pan_decoder_forward_items(c, m, ws, batch, n, frames,
                                               sigmas, latents, conds, n_conds,
                                               0, n, got),
                     PAN_ERR_INVALID_ARGUMENT);
        if (got[0] != before) failed++; /* refused before writing anything */
    }
    free(sigmas);
    free(got);
    free(one);
    return failed;
}

/* Runs case `k` on `backend`; returns the number of failed checks. */
static int run_case(const pan_model *m, const fixture *fx, int k,
                    const char *backend) {
    char prefix[64];
    snprintf(prefix, sizeof prefix, "decoder/%d/", k);
    const fixture_record *lat = fixture_need(fx, FIXTURE_F32, "%slatents", prefix);
    const fixture_record *sig = fixture_need(fx, FIXTURE_F32, "%ssigma", prefix);
    const fixture_record *slot = fixture_need(fx, FIXTURE_I32, "%sslot", prefix);
    const fixture_record *blk = fixture_need(fx, FIXTURE_I32, "%sblock", prefix);
    const fixture_record *cnd = fixture_need(fx, FIXTURE_I32, "%scond", prefix);
    const fixture_record *ncr = fixture_need(fx, FIXTURE_I32, "%sconds", prefix);
    const fixture_record *exp = fixture_need(fx, FIXTURE_F64, "%sexpected", prefix);
    if (!lat || !sig || !slot || !blk || !cnd || !ncr || !exp) return 1;
    int batch = (int)lat->shape[0], n = (int)lat->shape[1];
    int n_conds = *(const int32_t *)ncr->data;
    if (n > MAX_FRAMES || n_conds > PAN_DECODER_MAX_CONDS) return 1;
    pan_decoder_frame frames[MAX_FRAMES];
    for (int j = 0; j < n; j++)
        frames[j] = (pan_decoder_frame){
            .sigma = ((const float *)sig->data)[j],
            .slot = ((const int32_t *)slot->data)[j],
            .block = ((const int32_t *)blk->data)[j],
            .cond = ((const int32_t *)cnd->data)[j]};
    pan_decoder_condition conds[16 * PAN_DECODER_MAX_CONDS];
    for (int b = 0; b < batch; b++)
        for (int c = 0; c < n_conds; c++) {
            char field[64];
            snprintf(field, sizeof field, "null/%d/%d", b, c);
            const fixture_record *nul = fixture_need(fx, FIXTURE_I32, "%s%s", prefix, field);
            snprintf(field, sizeof field, "state/%d/%d", b, c);
            const fixture_record *st = fixture_need(fx, FIXTURE_F32, "%s%s", prefix, field);
            snprintf(field, sizeof field, "action/%d/%d", b, c);
            const fixture_record *ac = fixture_need(fx, FIXTURE_U8, "%s%s", prefix, field);
            if (!nul || !st || !ac) return 1;
            conds[b * n_conds + c] = (pan_decoder_condition){
                .null = *(const int32_t *)nul->data != 0,
                .state = st->data,
                .action = ac->data,
                .action_len = (int)ac->count};
        }
    int failed = 0;
    pan_compute *c = NULL;
    pan_decoder_workspace *ws = NULL;
    int64_t per_frame = lat->count / (batch * n);
    float *out = malloc(sizeof(float) * (size_t)lat->count);     /* (B, n, ...) */
    float *part = malloc(sizeof(float) * (size_t)lat->count);    /* (B, n-1, ...) */
    CHECK_STATUS(pan_compute_create(&c, &(pan_compute_options){
                                            .backend = backend,
                                            .n_threads = 2}), PAN_OK);
    CHECK_STATUS(pan_decoder_workspace_create(&ws, &m->config, batch), PAN_OK);
    if (c && ws && out && part) {
        pan_status st = pan_decoder_forward(c, m, ws, batch, n, frames,
                                            lat->data, conds, n_conds, 0, n,
                                            out);
        CHECK_STATUS(st, PAN_OK);
        double e = fixture_nmse(exp->data, out, lat->count);
        printf("decoder case %d %-8s nmse %.3g %s\n", k, backend, e,
               e <= BOUND ? "PASS" : "FAIL");
        if (!(e <= BOUND)) failed++;
        st = pan_decoder_forward(c, m, ws, batch, n, frames, lat->data, conds,
                                 n_conds, 1, n - 1, part);
        CHECK_STATUS(st, PAN_OK);
        for (int b = 0; b < batch; b++)
            if (memcmp(part + (int64_t)b * (n - 1) * per_frame,
                       out + ((int64_t)b * n + 1) * per_frame,
                       sizeof(float) * (size_t)((n - 1) * per_frame)) != 0) {
                fprintf(stderr, "case %d %s item %d: frames [1, n) differ "
                        "from the full output\n", k, backend, b);
                failed++;
            }
    }
    if (c && ws && out && part)
        failed += per_item_sigmas(c, m, ws, batch, n, frames, lat->data, conds,
                                  n_conds, out, backend, k);
    free(out);
    free(part);
    pan_decoder_workspace_destroy(ws);
    pan_compute_destroy(c);
    return failed;
}

static int run_backend(const pan_model *m, const fixture *fx, void *ctx,
                       const char *backend) {
    (void)ctx;
    int failed = 0;
    for (int k = 0; k < 2; k++) failed += run_case(m, fx, k, backend);
    return failed;
}

int main(int argc, char **argv) {
    return parity_main(argc, argv, "test_decoder_parity", NULL, run_backend,
                       NULL);
}
