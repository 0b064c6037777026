/* tests/model/test_kv_cache.c: the KV cache's bookkeeping and the
 * backbone step's transaction rules, on a tiny random model.
 *
 * - eviction: after appending round r the slot holds round 0 and rounds
 *   max(1, r-N+2)..r (at most N rounds), live tokens and positions add
 *   up, positions are absolute (never renumbered);
 * - a round begun and aborted leaves the slot byte-identical (evictions
 *   undone), begin/commit moves the counters;
 * - every validation error of pan_backbone_step leaves the caches
 *   byte-identical; so does a compute failure after begin (strict backend
 *   without the ops) and a round larger than a tiny capacity
 *   (RESOURCE_EXHAUSTED), alone or next to an env that fits;
 * - a small capacity forces compactions and gives the same outputs;
 * - copy: between caches of different configs refused, to a too-small
 *   cache refused, a fork continues exactly like the original;
 * - reset empties a slot.
 */
#include <string.h>

#include "core/compute.h"
#include "core/model/backbone/backbone.h"
#include "core/model/model.h"
#include "tests/model/backbone_test_util.h"
#include "tests/test_util.h"

#define SLOTS 3
#define MAX_BATCH 2

typedef struct fixture_env {
    pan_model_config cfg;
    pan_model *model;
    pan_compute *compute;
    pan_backbone_workspace *ws;
    int d, q, s, n_max; /* dim, queries, state tokens, Q+S */
} fixture_env;

static float g_state[64 * 64];   /* (Q+S, d) random state tokens */
static uint8_t g_action[64];     /* action bytes */

static int64_t round_len(const fixture_env *f, int n_state, size_t m) {
    return n_state + (int64_t)m + f->q + 5;
}

/* Round r of a scripted episode: n_state S for r = 0 else Q+S, action
 * length varying with r (0 included). */
static pan_backbone_round script_round(const fixture_env *f, int slot, int r) {
    pan_backbone_round round = {.slot = slot, .state = g_state,
                                .n_state = r == 0 ? f->s : f->n_max,
                                .action = g_action,
                                .action_len = (size_t)((r * 7) % 20)};
    return round;
}

static void setup(fixture_env *f) {
    backbone_tiny_config(&f->cfg);
    CHECK_STATUS(pan_model_create_random(&f->model, &f->cfg, 7), PAN_OK);
    CHECK_STATUS(pan_compute_create(&f->compute,
                                    &(pan_compute_options){.backend = "auto",
                                                           .n_threads = 2}),
                 PAN_OK);
    CHECK_STATUS(pan_backbone_workspace_create(&f->ws, &f->cfg, MAX_BATCH),
                 PAN_OK);
    f->d = f->cfg.backbone.dim;
    f->q = f->cfg.backbone.queries;
    f->s = pan_state_tokens(&f->cfg);
    f->n_max = f->q + f->s;
    test_rng rng = {42};
    test_fill_uniform(&rng, g_state, (int64_t)f->n_max * f->d, 1.0f, 0.0f);
    for (size_t i = 0; i < sizeof g_action; i++)
        g_action[i] = (uint8_t)test_rng_next(&rng);
}

static void teardown(fixture_env *f) {
    pan_backbone_workspace_destroy(f->ws);
    pan_compute_destroy(f->compute);
    pan_model_destroy(f->model);
}

static pan_status step1(fixture_env *f, pan_kv_cache *c,
                        pan_backbone_round round, float *out) {
    return pan_backbone_step(f->compute, f->model, f->ws, c, &round, 1, out);
}

static int64_t count_visible(pan_kv_cache *c, int slot) {
    pan_tensor mask;
    pan_kv_cache_key_mask(c, slot, &mask);
    int64_t visible = 0;
    for (int64_t j = 0; j < pan_kv_cache_capacity(c); j++)
        visible += ((uint8_t *)mask.data)[j] != 0;
    return visible;
}

/* Eviction bookkeeping over 3N rounds. */
static void test_eviction(fixture_env *f) {
    pan_kv_cache *c = NULL;
    CHECK_STATUS(pan_kv_cache_create(&c, &f->cfg, SLOTS, 0), PAN_OK);
    if (!c) return;
    int n = f->cfg.backbone.max_rounds;
    CHECK(pan_kv_cache_capacity(c) ==
          (int64_t)n * pan_backbone_max_round_tokens(&f->cfg));
    float out[64 * 64];
    int64_t len[64], position = 0;
    for (int r = 0; r < 3 * n; r++) {
        pan_backbone_round round = script_round(f, 1, r);
        len[r] = round_len(f, round.n_state, round.action_len);
        CHECK(pan_kv_cache_next_position(c, 1) == position);
        CHECK_STATUS(step1(f, c, round, out), PAN_OK);
        position += len[r];
        int64_t live = len[0];
        int first = r - n + 2 > 1 ? r - n + 2 : 1;
        for (int i = first; i <= r; i++) live += len[i];
        int want_rounds = r + 1 < n ? r + 1 : n;
        CHECK(pan_kv_cache_rounds(c, 1) == r + 1);
        CHECK(pan_kv_cache_live_rounds(c, 1) == want_rounds);
        CHECK(pan_kv_cache_live_rounds(c, 1) <= n);
        CHECK(pan_kv_cache_live_tokens(c, 1) == live);
        CHECK(pan_kv_cache_next_position(c, 1) == position);
        CHECK(test_first_nonfinite(out, (int64_t)f->q * f->d) < 0);
        /* other slots untouched */
        CHECK(pan_kv_cache_rounds(c, 0) == 0 && pan_kv_cache_rounds(c, 2) == 0);
    }
    /* the key mask shows exactly the live tokens */
    CHECK(count_visible(c, 1) == pan_kv_cache_live_tokens(c, 1));

    pan_kv_cache_reset(c, 1);
    CHECK(pan_kv_cache_rounds(c, 1) == 0);
    CHECK(pan_kv_cache_live_rounds(c, 1) == 0);
    CHECK(pan_kv_cache_live_tokens(c, 1) == 0);
    CHECK(pan_kv_cache_next_position(c, 1) == 0);
    CHECK(count_visible(c, 1) == 0);
    /* after a reset the slot starts again like a new one */
    float again[64 * 64], fresh[64 * 64];
    CHECK_STATUS(step1(f, c, script_round(f, 1, 0), again), PAN_OK);
    CHECK_STATUS(step1(f, c, script_round(f, 2, 0), fresh), PAN_OK);
    CHECK(memcmp(again, fresh, sizeof(float) * (size_t)(f->q * f->d)) == 0);
    pan_kv_cache_destroy(c);
}

/* begin/abort at the cache API. A round that evicts nothing aborts to
 * the same bytes; one that evicts compacts, and after the abort the slot
 * behaves exactly like an untouched fork of it. */
static void test_begin_abort(fixture_env *f) {
    pan_kv_cache *c = NULL;
    CHECK_STATUS(pan_kv_cache_create(&c, &f->cfg, SLOTS, 0), PAN_OK);
    if (!c) return;
    float out[64 * 64], ref[64 * 64];
    int n = f->cfg.backbone.max_rounds;
    for (int r = 0; r < n - 1; r++) /* rounds 0..N-2: round N-1 evicts nothing */
        CHECK_STATUS(step1(f, c, script_round(f, 0, r), out), PAN_OK);
    backbone_snapshot before, after;
    backbone_snapshot_take(c, &f->cfg, &before);
    pan_kv_reservation res;
    int64_t live = pan_kv_cache_live_tokens(c, 0);
    CHECK_STATUS(pan_kv_cache_begin_round(c, 0, 10, &res), PAN_OK);
    CHECK(res.start == live);
    CHECK(res.position == pan_kv_cache_next_position(c, 0));
    CHECK(res.kv_len == live + 10);
    CHECK(count_visible(c, 0) == live + 10);
    CHECK_STATUS(pan_kv_cache_begin_round(c, 0, 10, &res),
                 PAN_ERR_FAILED_PRECONDITION);
    pan_kv_cache_abort_round(c, 0);
    backbone_snapshot_take(c, &f->cfg, &after);
    CHECK(backbone_snapshot_equal(&before, &after));
    backbone_snapshot_free(&after);

    CHECK_STATUS(pan_kv_cache_begin_round(c, 0, 0, &res),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_kv_cache_begin_round(c, SLOTS, 5, &res),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_kv_cache_begin_round(c, -1, 5, &res),
                 PAN_ERR_INVALID_ARGUMENT);
    backbone_snapshot_take(c, &f->cfg, &after);
    CHECK(backbone_snapshot_equal(&before, &after));
    backbone_snapshot_free(&after);
    backbone_snapshot_free(&before);

    /* round N-1 (evicts nothing) through the backbone; round N evicts 1 */
    CHECK_STATUS(step1(f, c, script_round(f, 0, n - 1), out), PAN_OK);
    CHECK(pan_kv_cache_live_rounds(c, 0) == n);
    CHECK_STATUS(pan_kv_cache_copy(c, 2, c, 0), PAN_OK); /* untouched fork */
    int64_t pos = pan_kv_cache_next_position(c, 0);
    pan_backbone_round r1 = script_round(f, 0, 1);
    live = pan_kv_cache_live_tokens(c, 0) -
           round_len(f, r1.n_state, r1.action_len);
    CHECK_STATUS(pan_kv_cache_begin_round(c, 0, 10, &res), PAN_OK);
    CHECK(res.start == live && res.kv_len == live + 10);
    CHECK(count_visible(c, 0) == live + 10);
    pan_kv_cache_abort_round(c, 0);
    CHECK(pan_kv_cache_rounds(c, 0) == n);
    CHECK(pan_kv_cache_next_position(c, 0) == pos);
    CHECK(pan_kv_cache_live_rounds(c, 0) == n - 1); /* round 1 compacted away */
    CHECK(count_visible(c, 0) == live);
    pan_backbone_round next = script_round(f, 0, n);
    CHECK_STATUS(step1(f, c, next, out), PAN_OK);
    next.slot = 2;
    CHECK_STATUS(step1(f, c, next, ref), PAN_OK);
    CHECK(memcmp(out, ref, sizeof(float) * (size_t)(f->q * f->d)) == 0);
    backbone_snapshot_take(c, &f->cfg, &before);
    CHECK(pan_kv_cache_live_rounds(c, 0) == pan_kv_cache_live_rounds(c, 2));
    CHECK(pan_kv_cache_next_position(c, 0) == pan_kv_cache_next_position(c, 2));

    /* begin + commit moves the counters */
    pos = pan_kv_cache_next_position(c, 0);
    CHECK_STATUS(pan_kv_cache_begin_round(c, 0, 10, &res), PAN_OK);
    pan_kv_cache_commit_round(c, 0);
    CHECK(pan_kv_cache_rounds(c, 0) == n + 2);
    CHECK(pan_kv_cache_next_position(c, 0) == pos + 10);
    CHECK(pan_kv_cache_live_rounds(c, 0) == n);
    backbone_snapshot_free(&before);
    pan_kv_cache_destroy(c);
}

/* Every validation error of the step leaves the caches as they were. */
static void test_validation(fixture_env *f) {
    pan_kv_cache *c = NULL;
    CHECK_STATUS(pan_kv_cache_create(&c, &f->cfg, SLOTS, 0), PAN_OK);
    if (!c) return;
    float out[MAX_BATCH * 64 * 64];
    for (int r = 0; r < 4; r++) {
        pan_backbone_round two[2] = {script_round(f, 0, r),
                                     script_round(f, 2, r)};
        CHECK_STATUS(pan_backbone_step(f->compute, f->model, f->ws, c, two, 2,
                                       out),
                     PAN_OK);
    }
    backbone_snapshot before, after;
    backbone_snapshot_take(c, &f->cfg, &before);
    pan_backbone_round ok = script_round(f, 0, 4);
    pan_backbone_round r3[3] = {ok, script_round(f, 1, 0),
                                script_round(f, 2, 4)};
    typedef struct bad_case {
        const char *what;
        pan_backbone_round rounds[2];
        int n;
    } bad_case;
    pan_backbone_round dup = ok;
    pan_backbone_round big_state = ok;
    big_state.n_state = f->n_max + 1;
    pan_backbone_round neg_state = ok;
    neg_state.n_state = -1;
    pan_backbone_round null_state = ok;
    null_state.state = NULL;
    pan_backbone_round long_action = ok;
    long_action.action_len = (size_t)f->cfg.tokenizer.max_action_bytes + 1;
    pan_backbone_round null_action = ok;
    null_action.action = NULL;
    null_action.action_len = 3;
    pan_backbone_round slot_hi = ok;
    slot_hi.slot = SLOTS;
    pan_backbone_round slot_lo = ok;
    slot_lo.slot = -1;
    bad_case cases[] = {
        {"n = 0", {ok}, 0},
        {"duplicate slots", {ok, dup}, 2},
        {"n_state > Q+S", {big_state}, 1},
        {"n_state < 0", {neg_state}, 1},
        {"state NULL", {null_state}, 1},
        {"action too long", {long_action}, 1},
        {"action NULL", {null_action}, 1},
        {"slot out of range (high)", {ok, slot_hi}, 2},
        {"slot out of range (negative)", {slot_lo}, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pan_error_clear();
        pan_status st = pan_backbone_step(f->compute, f->model, f->ws, c,
                                          cases[i].rounds, cases[i].n, out);
        if (st != PAN_ERR_INVALID_ARGUMENT)
            fprintf(stderr, "case '%s': got %s\n", cases[i].what,
                    pan_status_name(st));
        CHECK(st == PAN_ERR_INVALID_ARGUMENT);
        CHECK(pan_error_message()[0] != '\0');
        printf("  %-30s -> %s\n", cases[i].what, pan_error_message());
    }
    CHECK_STATUS(pan_backbone_step(f->compute, f->model, f->ws, c, r3, 3, out),
                 PAN_ERR_INVALID_ARGUMENT); /* n > max_batch */
    CHECK_STATUS(pan_backbone_step(f->compute, f->model, f->ws, c, NULL, 1,
                                   out),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_backbone_step(f->compute, f->model, f->ws, c, &ok, 1,
                                   NULL),
                 PAN_ERR_INVALID_ARGUMENT);
    /* a workspace of another config */
    pan_model_config other = f->cfg;
    other.backbone.layers = 1;
    pan_backbone_workspace *ws2 = NULL;
    CHECK_STATUS(pan_backbone_workspace_create(&ws2, &other, 1), PAN_OK);
    CHECK_STATUS(pan_backbone_step(f->compute, f->model, ws2, c, &ok, 1, out),
                 PAN_ERR_INVALID_ARGUMENT);
    pan_backbone_workspace_destroy(ws2);

    /* a compute failure after begin (a strict backend lacking the ops) */
    pan_compute *strict = NULL;
    pan_compute_options strict_opts = {.backend = "openblas", .n_threads = 1,
                                       .strict = true};
    CHECK_STATUS(pan_compute_create(&strict, &strict_opts), PAN_OK);
    if (strict) {
        /* round 0 of the empty slot 1: begins, fails, aborts */
        pan_backbone_round fresh = script_round(f, 1, 0);
        pan_status st =
            pan_backbone_step(strict, f->model, f->ws, c, &fresh, 1, out);
        CHECK(st == PAN_ERR_UNIMPLEMENTED);
        printf("  strict: %s\n", pan_error_message());
        /* two begun slots with history, both abort to the same bytes */
        pan_kv_cache *c2 = NULL;
        CHECK_STATUS(pan_kv_cache_create(&c2, &f->cfg, 2, 0), PAN_OK);
        if (c2) {
            pan_backbone_round two[2] = {script_round(f, 0, 0),
                                         script_round(f, 1, 0)};
            CHECK_STATUS(pan_backbone_step(f->compute, f->model, f->ws, c2,
                                           two, 2, out),
                         PAN_OK);
            backbone_snapshot b2, a2;
            backbone_snapshot_take(c2, &f->cfg, &b2);
            two[0] = script_round(f, 0, 1);
            two[1] = script_round(f, 1, 1);
            CHECK_STATUS(pan_backbone_step(strict, f->model, f->ws, c2, two, 2,
                                           out),
                         PAN_ERR_UNIMPLEMENTED);
            backbone_snapshot_take(c2, &f->cfg, &a2);
            CHECK(backbone_snapshot_equal(&b2, &a2));
            backbone_snapshot_free(&a2);
            backbone_snapshot_free(&b2);
            pan_kv_cache_destroy(c2);
        }
        pan_compute_destroy(strict);
    }
    backbone_snapshot_take(c, &f->cfg, &after);
    CHECK(backbone_snapshot_equal(&before, &after));
    backbone_snapshot_free(&after);
    backbone_snapshot_free(&before);
    /* and the cache still works: the same step succeeds now */
    CHECK_STATUS(step1(f, c, ok, out), PAN_OK);
    pan_kv_cache_destroy(c);
}

/* A round larger than a tiny capacity: RESOURCE_EXHAUSTED, unchanged. */
static void test_capacity(fixture_env *f) {
    int64_t round0 = round_len(f, f->s, 0);
    pan_kv_cache *c = NULL;
    CHECK_STATUS(pan_kv_cache_create(&c, &f->cfg, 2, round0 + 4), PAN_OK);
    if (!c) return;
    float out[MAX_BATCH * 64 * 64];
    pan_backbone_round r0 = script_round(f, 0, 0);
    CHECK_STATUS(step1(f, c, r0, out), PAN_OK);
    backbone_snapshot before, after;
    backbone_snapshot_take(c, &f->cfg, &before);
    pan_backbone_round big = script_round(f, 0, 1); /* needs more room */
    CHECK_STATUS(step1(f, c, big, out), PAN_ERR_RESOURCE_EXHAUSTED);
    printf("  capacity: %s\n", pan_error_message());
    /* env 1 fits (an empty slot, round 0), env 0 does not: nothing runs */
    pan_backbone_round two[2] = {script_round(f, 1, 0), big};
    CHECK_STATUS(pan_backbone_step(f->compute, f->model, f->ws, c, two, 2, out),
                 PAN_ERR_RESOURCE_EXHAUSTED);
    backbone_snapshot_take(c, &f->cfg, &after);
    CHECK(backbone_snapshot_equal(&before, &after));
    backbone_snapshot_free(&after);
    backbone_snapshot_free(&before);

    /* a round longer than the whole capacity on an empty slot */
    pan_kv_cache *tiny = NULL;
    CHECK_STATUS(pan_kv_cache_create(&tiny, &f->cfg, 1, 8), PAN_OK);
    if (tiny) {
        CHECK_STATUS(step1(f, tiny, script_round(f, 0, 0), out),
                     PAN_ERR_RESOURCE_EXHAUSTED);
        CHECK(pan_kv_cache_rounds(tiny, 0) == 0);
        pan_kv_cache_destroy(tiny);
    }
    CHECK_STATUS(pan_kv_cache_create(&tiny, &f->cfg, 0, 0),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_kv_cache_create(&tiny, &f->cfg, 1, -5),
                 PAN_ERR_INVALID_ARGUMENT);
    pan_kv_cache_destroy(c);
}

/* Small capacity (compactions) and forks give the same outputs as the
 * default cache. */
static void test_compaction_and_copy(fixture_env *f) {
    int n = f->cfg.backbone.max_rounds;
    int64_t cap = (int64_t)(n + 1) * (f->n_max + 20 + f->q + 5);
    pan_kv_cache *big = NULL, *small = NULL, *fork = NULL;
    CHECK_STATUS(pan_kv_cache_create(&big, &f->cfg, SLOTS, 0), PAN_OK);
    CHECK_STATUS(pan_kv_cache_create(&small, &f->cfg, 1, cap), PAN_OK);
    CHECK_STATUS(pan_kv_cache_create(&fork, &f->cfg, 2, 0), PAN_OK);
    if (!big || !small || !fork) return;
    float a[64 * 64], b[64 * 64], cfork[64 * 64], dfork[64 * 64];
    size_t bytes = sizeof(float) * (size_t)(f->q * f->d);
    int rounds = 4 * n;
    for (int r = 0; r < rounds; r++) {
        CHECK_STATUS(step1(f, big, script_round(f, 0, r), a), PAN_OK);
        CHECK_STATUS(step1(f, small, script_round(f, 0, r), b), PAN_OK);
        double e = test_nmse(a, b, (int64_t)f->q * f->d);
        if (e > 1e-10) fprintf(stderr, "round %d: small cache nmse %g\n", r, e);
        CHECK(e <= 1e-10);
        CHECK(pan_kv_cache_live_tokens(big, 0) ==
              pan_kv_cache_live_tokens(small, 0));
        if (r == n) { /* fork: within the cache and into another */
            CHECK_STATUS(pan_kv_cache_copy(big, 1, big, 0), PAN_OK);
            CHECK_STATUS(pan_kv_cache_copy(fork, 1, big, 0), PAN_OK);
            CHECK(pan_kv_cache_next_position(fork, 1) ==
                  pan_kv_cache_next_position(big, 0));
        }
        if (r > n) {
            CHECK_STATUS(step1(f, big, script_round(f, 1, r), cfork), PAN_OK);
            CHECK_STATUS(step1(f, fork, script_round(f, 1, r), dfork), PAN_OK);
            /* same keys, other offsets: sums may group differently */
            CHECK(test_nmse(a, cfork, (int64_t)f->q * f->d) <= 1e-10);
            CHECK(test_nmse(a, dfork, (int64_t)f->q * f->d) <= 1e-10);
            CHECK(memcmp(cfork, dfork, bytes) == 0); /* both compacted */
            CHECK(pan_kv_cache_rounds(fork, 1) == pan_kv_cache_rounds(big, 0));
        }
    }
    /* copies refused: different config, too small, out of range */
    pan_model_config other = f->cfg;
    other.backbone.kv_heads = 1;
    pan_kv_cache *alien = NULL;
    CHECK_STATUS(pan_kv_cache_create(&alien, &other, 1, 0), PAN_OK);
    if (alien) {
        CHECK_STATUS(pan_kv_cache_copy(alien, 0, big, 0),
                     PAN_ERR_INVALID_ARGUMENT);
        printf("  copy: %s\n", pan_error_message());
        pan_kv_cache_destroy(alien);
    }
    other = f->cfg;
    other.backbone.max_rounds = 5;
    CHECK_STATUS(pan_kv_cache_create(&alien, &other, 1, 0), PAN_OK);
    if (alien) {
        CHECK_STATUS(pan_kv_cache_copy(alien, 0, big, 0),
                     PAN_ERR_INVALID_ARGUMENT);
        pan_kv_cache_destroy(alien);
    }
    pan_kv_cache *tiny = NULL;
    CHECK_STATUS(pan_kv_cache_create(&tiny, &f->cfg, 1, 10), PAN_OK);
    if (tiny) {
        CHECK_STATUS(pan_kv_cache_copy(tiny, 0, big, 0),
                     PAN_ERR_RESOURCE_EXHAUSTED);
        CHECK(pan_kv_cache_rounds(tiny, 0) == 0);
        pan_kv_cache_destroy(tiny);
    }
    CHECK_STATUS(pan_kv_cache_copy(big, SLOTS, big, 0),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_kv_cache_copy(big, 0, big, -1), PAN_ERR_INVALID_ARGUMENT);
    pan_kv_cache_destroy(big);
    pan_kv_cache_destroy(small);
    pan_kv_cache_destroy(fork);
}

int main(void) {
    fixture_env f = {0};
    setup(&f);
    if (f.model && f.compute && f.ws) {
        test_eviction(&f);
        test_begin_abort(&f);
        test_validation(&f);
        test_capacity(&f);
        test_compaction_and_copy(&f);
    }
    teardown(&f);
    return test_exit_code("test_kv_cache");
}
