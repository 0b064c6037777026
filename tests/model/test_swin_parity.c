/* tests/model/test_swin_parity.c: Causal Swin-DPM sampling (pan's cycle)
 * against the PyTorch twin (tests/reference/model_reference.py,
 * "swin/{case}": case 0 without guidance, case 1 with cfg_scale 2.5).
 *
 * Usage: test_swin_parity MODEL.safetensors model_reference.bin
 *
 * On every backend, for each case:
 * - sequential: one env reset from the fixture's first latent and seed,
 *   then every chunk, each within nMSE 1e-12 of the twin's (float64, the
 *   same noise);
 * - batched: two envs in different phases in one step (one at its first
 *   chunk, [cond, B], the other at its second, [cond, A, B]), each chunk
 *   within the bound;
 * - forks: save/load and copy give a slot that produces bit-identical
 *   chunks to the original;
 * - errors (ref only): bad batches are INVALID_ARGUMENT and leave every
 *   slot byte-identical.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/compute.h"
#include "core/model/model.h"
#include "core/model/decoder/swin_dpm.h"
#include "tests/fixture.h"
#include "tests/model/parity_main.h"
#include "tests/test_util.h"

/* Observed (2026-12-07, AMD EPYC, every backend): 6.3e-14. */
#define BOUND 1e-12
#define MAX_STEPS 8

typedef struct swin_case {
    float cfg_scale;
    uint64_t seed;
    const float *first;
    int steps;
    pan_swin_item item[MAX_STEPS]; /* slot set by the caller */
    const double *expected[MAX_STEPS];
    int64_t chunk; /* floats per chunk */
} swin_case;

static int load_case(const fixture *fx, int k, swin_case *sc) {
    const fixture_record *scale = fixture_need(fx, FIXTURE_F32, "swin/%d/cfg_scale", k);
    const fixture_record *seed = fixture_need(fx, FIXTURE_I32, "swin/%d/seed", k);
    const fixture_record *first = fixture_need(fx, FIXTURE_F32, "swin/%d/first", k);
    const fixture_record *steps = fixture_need(fx, FIXTURE_I32, "swin/%d/steps", k);
    if (!scale || !seed || !first || !steps) return -1;
    sc->cfg_scale = *(const float *)scale->data;
    sc->seed = (uint64_t)*(const int32_t *)seed->data;
    sc->first = first->data;
    sc->steps = *(const int32_t *)steps->data;
    if (sc->steps < 3 || sc->steps > MAX_STEPS) return -1;
    for (int t = 0; t < sc->steps; t++) {
        const fixture_record *st = fixture_need(fx, FIXTURE_F32, "swin/%d/%d/state", k, t);
        const fixture_record *ac = fixture_need(fx, FIXTURE_U8, "swin/%d/%d/action", k, t);
        const fixture_record *ex = fixture_need(fx, FIXTURE_F64, "swin/%d/%d/expected", k, t);
        if (!st || !ac || !ex) return -1;
        sc->item[t] = (pan_swin_item){.state = st->data,
                                      .action = ac->data,
                                      .action_len = (int)ac->count};
        sc->expected[t] = ex->data;
        sc->chunk = ex->count;
    }
    return 0;
}

static pan_swin_item item_at(const swin_case *sc, int t, int slot) {
    pan_swin_item it = sc->item[t];
    it.slot = slot;
    return it;
}

/* Counts a failure when chunk `got` of step t is off the twin's. */
static int check_chunk(const swin_case *sc, int t, const float *got,
                       const char *what, const char *backend, int k) {
    double e = fixture_nmse(sc->expected[t], got, sc->chunk);
    printf("swin case %d %-8s %-10s chunk %d nmse %.3g %s\n", k, backend,
           what, t, e, e <= BOUND ? "PASS" : "FAIL");
    return e <= BOUND ? 0 : 1;
}

static int sequential(pan_compute *c, const pan_model *m, pan_swin *s,
                      const swin_case *sc, float *out, const char *be, int k) {
    int failed = 0;
    CHECK_STATUS(pan_swin_reset(s, 0, sc->first, sc->seed), PAN_OK);
    for (int t = 0; t < sc->steps; t++) {
        pan_swin_item it = item_at(sc, t, 0);
        CHECK_STATUS(pan_swin_step(c, m, s, 1, &it, out), PAN_OK);
        failed += check_chunk(sc, t, out, "sequential", be, k);
    }
    return failed;
}

/* Slots 1 and 2 start together; 1 runs one chunk ahead of 2, both in one
 * batch (two window layouts in one step). */
static int batched(pan_compute *c, const pan_model *m, pan_swin *s,
                   const swin_case *sc, float *out, const char *be, int k) {
    int failed = 0;
    CHECK_STATUS(pan_swin_reset(s, 1, sc->first, sc->seed), PAN_OK);
    CHECK_STATUS(pan_swin_reset(s, 2, sc->first, sc->seed), PAN_OK);
    pan_swin_item it = item_at(sc, 0, 1);
    CHECK_STATUS(pan_swin_step(c, m, s, 1, &it, out), PAN_OK);
    for (int t = 1; t < sc->steps; t++) {
        pan_swin_item two[2] = {item_at(sc, t - 1, 2), item_at(sc, t, 1)};
        CHECK_STATUS(pan_swin_step(c, m, s, 2, two, out), PAN_OK);
        failed += check_chunk(sc, t - 1, out, "batch lag", be, k);
        failed += check_chunk(sc, t, out + sc->chunk, "batch lead", be, k);
    }
    return failed;
}

/* After one chunk in slot 0: a saved blob loaded into slot 1 and a copy
 * into slot 2 continue exactly like slot 0. */
static int forks(pan_compute *c, const pan_model *m, pan_swin *s,
                 const swin_case *sc, float *out) {
    int failed = 0;
    size_t bytes = pan_swin_slot_bytes(s);
    void *blob = malloc(bytes);
    float *fork = malloc(sizeof(float) * (size_t)sc->chunk);
    if (!blob || !fork) abort();
    CHECK_STATUS(pan_swin_reset(s, 0, sc->first, sc->seed), PAN_OK);
    pan_swin_item it = item_at(sc, 0, 0);
    CHECK_STATUS(pan_swin_step(c, m, s, 1, &it, out), PAN_OK);
    CHECK_STATUS(pan_swin_save(s, 0, blob), PAN_OK);
    CHECK_STATUS(pan_swin_load(s, 1, blob), PAN_OK);
    CHECK_STATUS(pan_swin_copy(s, 2, 0), PAN_OK);
    it = item_at(sc, 1, 0);
    CHECK_STATUS(pan_swin_step(c, m, s, 1, &it, out), PAN_OK);
    for (int slot = 1; slot <= 2; slot++) {
        it = item_at(sc, 1, slot);
        CHECK_STATUS(pan_swin_step(c, m, s, 1, &it, fork), PAN_OK);
        if (memcmp(fork, out, sizeof(float) * (size_t)sc->chunk) != 0) {
            fprintf(stderr, "fork into slot %d differs from its original\n",
                    slot);
            failed++;
        }
    }
    free(blob);
    free(fork);
    return failed;
}

/* Every rejected batch leaves all slots as they were. */
static void errors(pan_compute *c, const pan_model *m, pan_swin *s,
                   const swin_case *sc, float *out) {
    size_t bytes = pan_swin_slot_bytes(s) * 4;
    unsigned char *before = malloc(bytes), *after = malloc(bytes);
    if (!before || !after) abort();
    CHECK_STATUS(pan_swin_reset(s, 0, sc->first, sc->seed), PAN_OK);
    CHECK_STATUS(pan_swin_reset(s, 1, sc->first, sc->seed), PAN_OK);
    CHECK_STATUS(pan_swin_reset(s, 2, sc->first, sc->seed), PAN_OK);
    pan_swin *fresh = NULL;
    CHECK_STATUS(pan_swin_create(&fresh, &m->config, 4, 2, 1.0f), PAN_OK);
    for (int slot = 0; slot < 4; slot++)
        CHECK_STATUS(pan_swin_save(s, slot, before + slot * bytes / 4), PAN_OK);
    pan_swin_item dup[2] = {item_at(sc, 0, 1), item_at(sc, 0, 1)};
    CHECK_STATUS(pan_swin_step(c, m, s, 2, dup, out), PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "twice") != NULL);
    pan_swin_item bad = item_at(sc, 0, 3);
    CHECK_STATUS(pan_swin_step(c, m, s, 1, &bad, out), PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "never reset") != NULL);
    bad = item_at(sc, 0, 0);
    bad.action_len = m->config.tokenizer.max_action_bytes + 1;
    CHECK_STATUS(pan_swin_step(c, m, s, 1, &bad, out), PAN_ERR_INVALID_ARGUMENT);
    bad = item_at(sc, 0, 4);
    CHECK_STATUS(pan_swin_step(c, m, s, 1, &bad, out), PAN_ERR_INVALID_ARGUMENT);
    bad = item_at(sc, 0, 0);
    bad.state = NULL;
    CHECK_STATUS(pan_swin_step(c, m, s, 1, &bad, out), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_swin_step(c, m, s, 3, dup, out), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_swin_step(c, m, s, 0, dup, out), PAN_ERR_INVALID_ARGUMENT);
    pan_swin_item ok = item_at(sc, 0, 0);
    CHECK_STATUS(pan_swin_step(c, m, fresh, 1, &ok, out),
                 PAN_ERR_INVALID_ARGUMENT); /* never reset */
    for (int slot = 0; slot < 4; slot++)
        CHECK_STATUS(pan_swin_save(s, slot, after + slot * bytes / 4), PAN_OK);
    CHECK(memcmp(before, after, bytes) == 0);
    /* the first duplicate check must not leave a mark: slot 1 still steps */
    pan_swin_item one = item_at(sc, 0, 1);
    CHECK_STATUS(pan_swin_step(c, m, s, 1, &one, out), PAN_OK);
    pan_swin_destroy(fresh);
    free(before);
    free(after);
}

static int run_backend(const pan_model *m, const fixture *fx, void *ctx,
                       const char *be) {
    (void)fx;
    const swin_case *cases = ctx;
    int failed = 0;
    pan_compute *c = NULL;
    CHECK_STATUS(pan_compute_create(&c, &(pan_compute_options){
                                            .backend = be, .n_threads = 2}),
                 PAN_OK);
    float *out = malloc(sizeof(float) * 2 * (size_t)cases[0].chunk);
    if (!c || !out) abort();
    for (int k = 0; k < 2; k++) {
        pan_swin *s = NULL;
        CHECK_STATUS(pan_swin_create(&s, &m->config, 4, 2, cases[k].cfg_scale),
                     PAN_OK);
        if (!s) continue;
        failed += sequential(c, m, s, &cases[k], out, be, k);
        failed += batched(c, m, s, &cases[k], out, be, k);
        failed += forks(c, m, s, &cases[k], out);
        if (!strcmp(be, "ref") && k == 0) errors(c, m, s, &cases[k], out);
        pan_swin_destroy(s);
    }
    free(out);
    pan_compute_destroy(c);
    return failed;
}

static int setup(const pan_model *m, const fixture *fx, void *ctx) {
    (void)m;
    swin_case *cases = ctx;
    return load_case(fx, 0, &cases[0]) || load_case(fx, 1, &cases[1]);
}

int main(int argc, char **argv) {
    swin_case cases[2];
    return parity_main(argc, argv, "test_swin_parity", setup, run_backend,
                       cases);
}
