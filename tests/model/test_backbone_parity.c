/* tests/model/test_backbone_parity.c: the backbone f with its KV cache
 * against the PyTorch twin's FULL recomputation
 * (tests/reference/model_reference.py, config max_rounds = 4).
 *
 * Usage: test_backbone_parity MODEL.safetensors model_reference.bin
 *
 * For every backend of pan_backend_names():
 *  (a) all envs stepped together round by round (envs that ran out of
 *      rounds drop out of the batch): every predicted state within nMSE
 *      1e-10 of the twin (env 0 runs 7 rounds, so it sees evictions);
 *  (b) env by env (batch 1): within 1e-10 of (a) and of the twin;
 *  (c) caches with the smallest capacity the rounds allow (compactions
 *      in every env that evicts): within 1e-10 of the twin;
 *  (d) fork: env 0's slot copied after round 3 into another slot of the
 *      same cache and into another cache; all three continue with the
 *      same rounds and match the twin.
 * Prints the worst nMSE of each part per backend; exits non-zero on any
 * mismatch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/compute.h"
#include "core/model/backbone/backbone.h"
#include "core/model/model.h"
#include "tests/fixture.h"
#include "tests/test_util.h"

#define MAX_ENVS 8
#define MAX_ROUNDS 32
/* Observed (2026-12-07, AMD EPYC, every backend): 1.5e-11; a wrong norm
 * eps or RoPE base moves nmse far above this. */
#define BOUND 1e-10

typedef struct ref_round {
    const float *state;     /* (n, d) */
    int n_state;
    const uint8_t *action;  /* (m) */
    size_t action_len;
    const double *expected; /* (Q, d) */
} ref_round;

typedef struct ref_env {
    int rounds;
    ref_round r[MAX_ROUNDS];
} ref_env;

typedef struct parity {
    pan_model *model;
    int d, q;
    int envs;
    ref_env env[MAX_ENVS];
    float *got_a;           /* (envs, MAX_ROUNDS, Q, d) outputs of (a) */
} parity;

static const fixture_record *need_record(const fixture *fx, const char *name,
                                         fixture_dtype dtype) {
    const fixture_record *rec = fixture_need(fx, dtype, "%s", name);
    CHECK(rec != NULL);
    return rec;
}

static int load_rounds(parity *p, const fixture *fx) {
    char name[FIXTURE_NAME_MAX];
    const fixture_record *rec = need_record(fx, "backbone/envs", FIXTURE_I32);
    if (!rec) return -1;
    p->envs = *(const int32_t *)rec->data;
    if (p->envs < 1 || p->envs > MAX_ENVS) return -1;
    for (int e = 0; e < p->envs; e++) {
        snprintf(name, sizeof name, "backbone/%d/rounds", e);
        if (!(rec = need_record(fx, name, FIXTURE_I32))) return -1;
        ref_env *env = &p->env[e];
        env->rounds = *(const int32_t *)rec->data;
        if (env->rounds < 1 || env->rounds > MAX_ROUNDS) return -1;
        for (int r = 0; r < env->rounds; r++) {
            ref_round *rr = &env->r[r];
            snprintf(name, sizeof name, "backbone/%d/%d/state", e, r);
            if (!(rec = need_record(fx, name, FIXTURE_F32))) return -1;
            if (rec->ndim != 2 || rec->shape[1] != p->d) return -1;
            rr->state = rec->data;
            rr->n_state = (int)rec->shape[0];
            snprintf(name, sizeof name, "backbone/%d/%d/action", e, r);
            if (!(rec = need_record(fx, name, FIXTURE_U8))) return -1;
            rr->action = rec->data;
            rr->action_len = (size_t)rec->count;
            snprintf(name, sizeof name, "backbone/%d/%d/expected", e, r);
            if (!(rec = need_record(fx, name, FIXTURE_F64))) return -1;
            if (rec->count != (int64_t)p->q * p->d) return -1;
            rr->expected = rec->data;
        }
    }
    return 0;
}

static pan_backbone_round make_round(const parity *p, int e, int r, int slot) {
    const ref_round *rr = &p->env[e].r[r];
    return (pan_backbone_round){.slot = slot, .state = rr->state,
                                .n_state = rr->n_state, .action = rr->action,
                                .action_len = rr->action_len};
}

static int64_t round_len(const parity *p, int e, int r) {
    const ref_round *rr = &p->env[e].r[r];
    return rr->n_state + (int64_t)rr->action_len + p->q + 5;
}

/* Compares one output with the twin; returns its nMSE (checked). */
static double compare(const parity *p, const char *part, const char *backend,
                      int e, int r, const float *got) {
    int64_t n = (int64_t)p->q * p->d;
    double err = fixture_nmse(p->env[e].r[r].expected, got, n);
    if (test_first_nonfinite(got, n) >= 0 || !(err <= BOUND)) {
        fprintf(stderr, "%s (%s): env %d round %d: nMSE %.3g > %g\n", part,
                backend, e, r, err, BOUND);
        CHECK(!"backbone output matches the twin");
    }
    return err;
}

static float *out_a(const parity *p, int e, int r) {
    size_t index = (size_t)e * MAX_ROUNDS + (size_t)r;
    return p->got_a + index * (size_t)(p->q * p->d);
}

static double max2(double a, double b) { return a > b ? a : b; }

/* Rounds of all envs stepped together, each env in slot `e`; `keep` saves
 * the outputs for (b). Returns the worst nMSE. */
static double run_batched(parity *p, pan_compute *c, pan_kv_cache *cache,
                          const char *part, const char *backend, bool keep) {
    pan_backbone_workspace *ws = NULL;
    CHECK_STATUS(pan_backbone_workspace_create(&ws, &p->model->config, p->envs),
                 PAN_OK);
    if (!ws) return INFINITY;
    float *out = malloc(sizeof(float) * (size_t)(p->envs * p->q * p->d));
    double worst = 0.0;
    int max_rounds = 0;
    for (int e = 0; e < p->envs; e++)
        if (p->env[e].rounds > max_rounds) max_rounds = p->env[e].rounds;
    for (int r = 0; out && r < max_rounds; r++) {
        pan_backbone_round rounds[MAX_ENVS];
        int who[MAX_ENVS], n = 0;
        for (int e = 0; e < p->envs; e++)
            if (r < p->env[e].rounds) {
                who[n] = e;
                rounds[n++] = make_round(p, e, r, e);
            }
        pan_status st =
            pan_backbone_step(c, p->model, ws, cache, rounds, n, out);
        CHECK_STATUS(st, PAN_OK);
        if (st != PAN_OK) break;
        for (int i = 0; i < n; i++) {
            const float *got = out + (size_t)i * (size_t)(p->q * p->d);
            worst = max2(worst, compare(p, part, backend, who[i], r, got));
            if (keep)
                memcpy(out_a(p, who[i], r), got,
                       sizeof(float) * (size_t)(p->q * p->d));
        }
    }
    free(out);
    pan_backbone_workspace_destroy(ws);
    return worst;
}

/* (b): env by env, batch 1; against (a) and the twin. */
static double run_single(parity *p, pan_compute *c, const char *backend,
                         double *vs_a) {
    pan_kv_cache *cache = NULL;
    pan_backbone_workspace *ws = NULL;
    CHECK_STATUS(pan_kv_cache_create(&cache, &p->model->config, 1, 0), PAN_OK);
    CHECK_STATUS(pan_backbone_workspace_create(&ws, &p->model->config, 1),
                 PAN_OK);
    float *out = malloc(sizeof(float) * (size_t)(p->q * p->d));
    double worst = 0.0;
    *vs_a = 0.0;
    for (int e = 0; cache && ws && out && e < p->envs; e++) {
        pan_kv_cache_reset(cache, 0);
        for (int r = 0; r < p->env[e].rounds; r++) {
            pan_backbone_round round = make_round(p, e, r, 0);
            pan_status st = pan_backbone_step(c, p->model, ws, cache, &round, 1,
                                              out);
            CHECK_STATUS(st, PAN_OK);
            if (st != PAN_OK) break;
            worst = max2(worst, compare(p, "(b) batch 1", backend, e, r, out));
            double d = test_nmse(out_a(p, e, r), out, (int64_t)p->q * p->d);
            if (!(d <= BOUND)) {
                fprintf(stderr, "(b) %s: env %d round %d: batch 1 vs batched "
                        "nMSE %.3g\n", backend, e, r, d);
                CHECK(!"batch 1 equals batched");
            }
            *vs_a = max2(*vs_a, d);
        }
    }
    free(out);
    pan_backbone_workspace_destroy(ws);
    pan_kv_cache_destroy(cache);
    return worst;
}

/* The smallest capacity every round of every env fits in (after
 * eviction): the cache then compacts whenever a round does not fit at the
 * end. */
static int64_t tight_capacity(const parity *p) {
    int n = p->model->config.backbone.max_rounds;
    int64_t need = 0;
    for (int e = 0; e < p->envs; e++)
        for (int r = 0; r < p->env[e].rounds; r++) {
            int64_t live = round_len(p, e, 0); /* round 0, always kept */
            int first = r - n + 2 > 1 ? r - n + 2 : 1;
            for (int i = first; i <= r; i++) live += round_len(p, e, i);
            if (live > need) need = live;
        }
    return need;
}

/* (d): env 0 forked after round 3 into slot 1 and into another cache. */
static double run_fork(parity *p, pan_compute *c, const char *backend) {
    const int fork_after = 3;
    if (p->env[0].rounds <= fork_after + 1) {
        CHECK(!"env 0 has enough rounds to fork after round 3");
        return INFINITY;
    }
    pan_kv_cache *cache = NULL, *other = NULL;
    pan_backbone_workspace *ws = NULL;
    CHECK_STATUS(pan_kv_cache_create(&cache, &p->model->config, 2, 0), PAN_OK);
    CHECK_STATUS(pan_kv_cache_create(&other, &p->model->config, 1, 0), PAN_OK);
    CHECK_STATUS(pan_backbone_workspace_create(&ws, &p->model->config, 2),
                 PAN_OK);
    float *out = malloc(sizeof(float) * (size_t)(2 * p->q * p->d));
    double worst = 0.0;
    if (!cache || !other || !ws || !out) goto done;
    for (int r = 0; r <= fork_after; r++) {
        pan_backbone_round round = make_round(p, 0, r, 0);
        CHECK_STATUS(pan_backbone_step(c, p->model, ws, cache, &round, 1, out),
                     PAN_OK);
    }
    CHECK_STATUS(pan_kv_cache_copy(cache, 1, cache, 0), PAN_OK);
    CHECK_STATUS(pan_kv_cache_copy(other, 0, cache, 0), PAN_OK);
    for (int r = fork_after + 1; r < p->env[0].rounds; r++) {
        pan_backbone_round two[2] = {make_round(p, 0, r, 0),
                                     make_round(p, 0, r, 1)};
        CHECK_STATUS(pan_backbone_step(c, p->model, ws, cache, two, 2, out),
                     PAN_OK);
        worst = max2(worst, compare(p, "(d) original", backend, 0, r, out));
        worst = max2(worst, compare(p, "(d) fork, same cache", backend, 0, r,
                                    out + p->q * p->d));
        CHECK_STATUS(pan_backbone_step(c, p->model, ws, other, &two[0], 1, out),
                     PAN_OK);
        worst = max2(worst, compare(p, "(d) fork, other cache", backend, 0, r,
                                    out));
    }
done:
    free(out);
    pan_backbone_workspace_destroy(ws);
    pan_kv_cache_destroy(other);
    pan_kv_cache_destroy(cache);
    return worst;
}

static void run_backend(parity *p, const char *backend) {
    pan_compute *c = NULL;
    pan_compute_options opts = {.backend = backend, .n_threads = 2};
    CHECK_STATUS(pan_compute_create(&c, &opts), PAN_OK);
    if (!c) return;
    pan_kv_cache *cache = NULL;
    CHECK_STATUS(pan_kv_cache_create(&cache, &p->model->config, p->envs, 0),
                 PAN_OK);
    double a = cache ? run_batched(p, c, cache, "(a) batched", backend, true)
                     : INFINITY;
    pan_kv_cache_destroy(cache);
    double vs_a = INFINITY;
    double b = run_single(p, c, backend, &vs_a);
    int64_t tight = tight_capacity(p);
    cache = NULL;
    CHECK_STATUS(pan_kv_cache_create(&cache, &p->model->config, p->envs, tight),
                 PAN_OK);
    double cc = cache ? run_batched(p, c, cache, "(c) small cache", backend,
                                    false)
                      : INFINITY;
    pan_kv_cache_destroy(cache);
    double d = run_fork(p, c, backend);
    printf("%-9s (a) batched %.3g  (b) batch 1 %.3g (vs a %.3g)  "
           "(c) capacity %lld %.3g  (d) fork %.3g\n",
           backend, a, b, vs_a, (long long)tight, cc, d);
    pan_compute_destroy(c);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s MODEL.safetensors model_reference.bin\n",
                argv[0]);
        return 2;
    }
    parity p = {0};
    fixture fx = {0};
    CHECK_STATUS(pan_model_load(&p.model, argv[1]), PAN_OK);
    CHECK_STATUS(fixture_load(&fx, argv[2]), PAN_OK);
    if (p.model && fx.records) {
        p.d = p.model->config.backbone.dim;
        p.q = p.model->config.backbone.queries;
        if (load_rounds(&p, &fx) != 0) {
            CHECK(!"backbone records of the fixture are complete");
        } else {
            printf("fixture: %d envs, rounds", p.envs);
            for (int e = 0; e < p.envs; e++) printf(" %d", p.env[e].rounds);
            printf(", max_rounds %d\n", p.model->config.backbone.max_rounds);
            p.got_a = calloc((size_t)p.envs * MAX_ROUNDS,
                             sizeof(float) * (size_t)(p.q * p.d));
            for (const char *const *name = pan_backend_names();
                 p.got_a && *name; name++)
                run_backend(&p, *name);
            free(p.got_a);
        }
    }
    fixture_free(&fx);
    pan_model_destroy(p.model);
    return test_exit_code("test_backbone_parity");
}
