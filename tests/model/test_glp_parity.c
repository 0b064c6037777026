/* tests/model/test_glp_parity.c: the full GLP env step (backbone, Swin-DPM
 * decoder, VAE decode, re-encoding) against the PyTorch twin
 * (tests/reference/model_reference.py, "env/0").
 *
 * Usage: test_glp_parity MODEL.safetensors model_reference.bin
 *
 * On every backend:
 * - one env reset from the fixture's frame and seed, then every step with
 *   frames: s_1 within nMSE 1e-10 and each ŝ_{t+1} within 1e-7 of the
 *   twin (float64; later steps see re-encoded u8 frames);
 *   frames within 1 of the twin's u8 values, at most OFF_BY_ONE_PERCENT
 *   of the bytes per step off by one (rounding of values at .5 in f32
 *   against f64);
 * - two envs reset and stepped as one batch give the same results;
 * - forks: save/load and copy continue bit-identically to the original;
 * - a latent-only step predicts what the frames step predicts at round 0.
 * On ref: bad calls are INVALID_ARGUMENT, bad snapshots DATA_LOSS, and
 * neither changes any slot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/compute.h"
#include "core/model/glp/glp.h"
#include "core/model/model.h"
#include "tests/fixture.h"
#include "tests/model/parity_main.h"
#include "tests/test_util.h"

/* Observed (2026-12-07, AMD EPYC, every backend): reset and step 0 latents
 * 2.8e-12; later steps up to 1.3e-8, because each step re-encodes a u8
 * frame in which f32 and f64 round a few bytes differently. */
#define RESET_BOUND 1e-10
#define BOUND 1e-7
#define MAX_STEPS 8
/* Rounding flips at .5 grow a little each step, since every step
 * re-encodes a frame: about 0.2% of the bytes by step 2; 1% is allowed. */
#define OFF_BY_ONE_PERCENT 1

typedef struct env_case {
    uint64_t seed;
    const uint8_t *frame;
    int steps;
    const double *reset_latent;
    pan_glp_action action[MAX_STEPS]; /* slot set by the caller */
    const double *latent[MAX_STEPS];
    const uint8_t *frames[MAX_STEPS];
    int64_t latent_floats, reset_floats, frames_bytes;
} env_case;

static int load_case(const fixture *fx, env_case *ec) {
    const fixture_record *seed = fixture_need(fx, FIXTURE_I32, "env/0/seed");
    const fixture_record *frame = fixture_need(fx, FIXTURE_U8, "env/0/frame");
    const fixture_record *steps = fixture_need(fx, FIXTURE_I32, "env/0/steps");
    const fixture_record *reset = fixture_need(fx, FIXTURE_F64, "env/0/reset_latent");
    if (!seed || !frame || !steps || !reset) return -1;
    ec->seed = (uint64_t)*(const int32_t *)seed->data;
    ec->frame = frame->data;
    ec->steps = *(const int32_t *)steps->data;
    ec->reset_latent = reset->data;
    ec->reset_floats = reset->count;
    if (ec->steps < 2 || ec->steps > MAX_STEPS) return -1;
    for (int t = 0; t < ec->steps; t++) {
        const fixture_record *ac = fixture_need(fx, FIXTURE_U8, "env/0/%d/action", t);
        const fixture_record *la = fixture_need(fx, FIXTURE_F64, "env/0/%d/latent", t);
        const fixture_record *fr = fixture_need(fx, FIXTURE_U8, "env/0/%d/frames", t);
        if (!ac || !la || !fr) return -1;
        ec->action[t] = (pan_glp_action){.text = ac->data, .len = (size_t)ac->count};
        ec->latent[t] = la->data;
        ec->frames[t] = fr->data;
        ec->latent_floats = la->count;
        ec->frames_bytes = fr->count;
    }
    return 0;
}

static pan_glp_action action_at(const env_case *ec, int t, int slot) {
    pan_glp_action a = ec->action[t];
    a.slot = slot;
    return a;
}

/* Failures of step t's outputs against the twin. */
static int check_step(const env_case *ec, int t, const float *latent,
                      const uint8_t *frames, const char *what, const char *be) {
    double e = fixture_nmse(ec->latent[t], latent, ec->latent_floats);
    int off1 = 0, worse = 0;
    for (int64_t i = 0; i < ec->frames_bytes; i++) {
        int diff = abs((int)frames[i] - (int)ec->frames[t][i]);
        off1 += diff == 1;
        worse += diff > 1;
    }
    double bound = t == 0 ? RESET_BOUND : BOUND; /* step 0 sees no re-encoded frame */
    bool ok = e <= bound && worse == 0 && off1 * 100 <= OFF_BY_ONE_PERCENT * ec->frames_bytes;
    printf("glp %-8s %-10s step %d latent nmse %.3g, frame bytes off by 1: "
           "%d, by more: %d %s\n", be, what, t, e, off1, worse,
           ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}

typedef struct bufs {
    float *state, *latent, *latent2;
    uint8_t *frames, *frames2;
} bufs;

static int sequential(pan_compute *c, pan_glp *g, const env_case *ec, bufs *b,
                      const char *be) {
    int failed = 0, slot = 0;
    const uint8_t *fr = ec->frame;
    CHECK_STATUS(pan_glp_reset(g, c, 1, &slot, &fr, &ec->seed, &b->state), PAN_OK);
    double e = fixture_nmse(ec->reset_latent, b->state, ec->reset_floats);
    printf("glp %-8s reset latent nmse %.3g %s\n", be, e, e <= RESET_BOUND ? "PASS" : "FAIL");
    failed += !(e <= RESET_BOUND);
    for (int t = 0; t < ec->steps; t++) {
        pan_glp_action a = action_at(ec, t, 0);
        CHECK_STATUS(pan_glp_step(g, c, 1, &a, true, &b->frames, &b->latent), PAN_OK);
        failed += check_step(ec, t, b->latent, b->frames, "sequential", be);
    }
    return failed;
}

static int batched(pan_compute *c, pan_glp *g, const env_case *ec, bufs *b,
                   const char *be) {
    int failed = 0, slots[2] = {1, 2};
    const uint8_t *fr[2] = {ec->frame, ec->frame};
    uint64_t seeds[2] = {ec->seed, ec->seed};
    CHECK_STATUS(pan_glp_reset(g, c, 2, slots, fr, seeds, NULL), PAN_OK);
    for (int t = 0; t < ec->steps; t++) {
        pan_glp_action a[2] = {action_at(ec, t, 1), action_at(ec, t, 2)};
        uint8_t *frames[2] = {b->frames, b->frames2};
        float *latents[2] = {b->latent, b->latent2};
        CHECK_STATUS(pan_glp_step(g, c, 2, a, true, frames, latents), PAN_OK);
        failed += check_step(ec, t, b->latent, b->frames, "batch [0]", be);
        failed += check_step(ec, t, b->latent2, b->frames2, "batch [1]", be);
    }
    return failed;
}

/* After step 0 in slot 0: slot 1 loads its snapshot, slot 2 copies it;
 * all three continue identically. Then a latent step from a fresh reset
 * predicts round 0 exactly as the frames step did. */
static int forks(pan_compute *c, pan_glp *g, const env_case *ec, bufs *b) {
    int failed = 0, slot = 0;
    const uint8_t *fr = ec->frame;
    CHECK_STATUS(pan_glp_reset(g, c, 1, &slot, &fr, &ec->seed, NULL), PAN_OK);
    pan_glp_action a = action_at(ec, 0, 0);
    CHECK_STATUS(pan_glp_step(g, c, 1, &a, true, NULL, &b->latent2), PAN_OK);
    size_t bytes = pan_glp_snapshot_bytes(g, 0);
    void *blob = malloc(bytes);
    if (!blob) abort();
    CHECK_STATUS(pan_glp_save(g, 0, blob), PAN_OK);
    CHECK_STATUS(pan_glp_load(g, 1, blob, bytes), PAN_OK);
    CHECK_STATUS(pan_glp_copy(g, 2, 0), PAN_OK);
    free(blob);
    for (int t = 1; t < ec->steps; t++) {
        a = action_at(ec, t, 0);
        CHECK_STATUS(pan_glp_step(g, c, 1, &a, true, &b->frames, &b->latent), PAN_OK);
        for (int s = 1; s <= 2; s++) {
            a = action_at(ec, t, s);
            CHECK_STATUS(pan_glp_step(g, c, 1, &a, true, &b->frames2, &b->latent2),
                         PAN_OK);
            if (memcmp(b->frames, b->frames2, (size_t)ec->frames_bytes) ||
                memcmp(b->latent, b->latent2, sizeof(float) * (size_t)ec->latent_floats)) {
                fprintf(stderr, "fork in slot %d differs at step %d\n", s, t);
                failed++;
            }
        }
    }
    CHECK_STATUS(pan_glp_reset(g, c, 1, &slot, &fr, &ec->seed, NULL), PAN_OK);
    a = action_at(ec, 0, 0);
    CHECK_STATUS(pan_glp_step(g, c, 1, &a, false, NULL, &b->latent), PAN_OK);
    if (fixture_nmse(ec->latent[0], b->latent, ec->latent_floats) > BOUND) {
        fprintf(stderr, "latent step 0 differs from the frames step\n");
        failed++;
    }
    return failed;
}

/* Snapshots of slots 0..2 before and after must match. */
static void errors(pan_compute *c, pan_glp *g, const env_case *ec, bufs *b) {
    size_t bytes[3];
    unsigned char *before[3], *after[3];
    for (int s = 0; s < 3; s++) {
        bytes[s] = pan_glp_snapshot_bytes(g, s);
        before[s] = malloc(bytes[s] + 1);
        after[s] = malloc(bytes[s] + 1);
        if (!before[s] || !after[s]) abort();
        CHECK_STATUS(pan_glp_save(g, s, before[s]), PAN_OK);
    }
    pan_glp_action dup[2] = {action_at(ec, 1, 1), action_at(ec, 1, 1)};
    CHECK_STATUS(pan_glp_step(g, c, 2, dup, true, NULL, NULL), PAN_ERR_INVALID_ARGUMENT);
    pan_glp_action bad = action_at(ec, 1, 0);
    bad.len = 100000;
    CHECK_STATUS(pan_glp_step(g, c, 1, &bad, true, NULL, NULL), PAN_ERR_INVALID_ARGUMENT);
    bad = action_at(ec, 1, 9);
    CHECK_STATUS(pan_glp_step(g, c, 1, &bad, false, NULL, NULL), PAN_ERR_INVALID_ARGUMENT);
    bad = action_at(ec, 1, 3); /* never reset */
    CHECK_STATUS(pan_glp_step(g, c, 1, &bad, false, NULL, NULL), PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "never reset") != NULL);
    int slot = 0;
    const uint8_t *none = NULL;
    CHECK_STATUS(pan_glp_reset(g, c, 1, &slot, &none, &ec->seed, NULL),
                 PAN_ERR_INVALID_ARGUMENT);
    /* snapshots: truncated, padded, wrong magic */
    CHECK_STATUS(pan_glp_load(g, 0, before[1], bytes[1] - 1), PAN_ERR_DATA_LOSS);
    CHECK_STATUS(pan_glp_load(g, 0, before[1], bytes[1] + 1), PAN_ERR_DATA_LOSS);
    before[1][0] ^= 1;
    CHECK_STATUS(pan_glp_load(g, 0, before[1], bytes[1]), PAN_ERR_DATA_LOSS);
    before[1][0] ^= 1;
    for (size_t at = bytes[1] / 2; at < bytes[1]; at += bytes[1] / 7) {
        /* a damaged byte anywhere is either caught or loads as data */
        before[1][at] ^= 0x5a;
        pan_status st = pan_glp_load(g, 2, before[1], bytes[1]);
        CHECK(st == PAN_OK || st == PAN_ERR_DATA_LOSS);
        before[1][at] ^= 0x5a;
        if (st == PAN_OK) CHECK_STATUS(pan_glp_load(g, 2, before[2], bytes[2]), PAN_OK);
    }
    for (int s = 0; s < 3; s++) {
        CHECK(pan_glp_snapshot_bytes(g, s) == bytes[s]);
        CHECK_STATUS(pan_glp_save(g, s, after[s]), PAN_OK);
        CHECK(memcmp(before[s], after[s], bytes[s]) == 0);
        free(before[s]);
        free(after[s]);
    }
    (void)b;
}

static int run_backend(const pan_model *m, const fixture *fx, void *ctx,
                       const char *be) {
    (void)fx;
    const env_case *ec = ctx;
    int failed = 0;
    pan_compute *c = NULL;
    pan_glp *g = NULL;
    CHECK_STATUS(pan_compute_create(&c, &(pan_compute_options){
                                            .backend = be, .n_threads = 2}),
                 PAN_OK);
    CHECK_STATUS(pan_glp_create(&g, m, 4, 2), PAN_OK);
    bufs b = {malloc(sizeof(float) * (size_t)ec->reset_floats),
              malloc(sizeof(float) * (size_t)ec->latent_floats),
              malloc(sizeof(float) * (size_t)ec->latent_floats),
              malloc((size_t)ec->frames_bytes), malloc((size_t)ec->frames_bytes)};
    if (!c || !g || !b.state || !b.latent || !b.latent2 || !b.frames || !b.frames2)
        abort();
    failed += sequential(c, g, ec, &b, be);
    failed += batched(c, g, ec, &b, be);
    failed += forks(c, g, ec, &b);
    if (!strcmp(be, "ref")) errors(c, g, ec, &b);
    free(b.state);
    free(b.latent);
    free(b.latent2);
    free(b.frames);
    free(b.frames2);
    pan_glp_destroy(g);
    pan_compute_destroy(c);
    return failed;
}

static int setup(const pan_model *m, const fixture *fx, void *ctx) {
    (void)m;
    return load_case(fx, ctx);
}

int main(int argc, char **argv) {
    env_case ec;
    return parity_main(argc, argv, "test_glp_parity", setup, run_backend, &ec);
}
