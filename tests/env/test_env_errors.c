/* tests/env/test_env_errors.c: every error path of the vector env returns
 * the right code with a message and leaves everything byte-identical: the
 * envs (current frames, true states), the snapshots, the caller's output
 * buffers, and the hidden streams (after all the failures the env still
 * steps and samples exactly like a twin that never saw them). */
#include <stdio.h>
#include <string.h>

#include "tests/env/env_test_util.h"

enum { N = 3 };

static pan_vec_env *env, *twin;
static env_bufs b;
static env_fingerprint before;
static size_t frame_bytes;
static unsigned char *sentinel; /* a copy of b's buffers, filled with 0x5A */

static void fill_outputs(void) {
    memset(b.frames, 0x5A, N * b.F);
    memset(b.latent, 0x5A, N * b.L * sizeof(float));
    memset(b.final_frames, 0x5A, N * b.F);
    memset(b.final_latent, 0x5A, N * b.L * sizeof(float));
    memset(b.rewards, 0x5A, N * sizeof(float));
    memset(b.terminated, 0x5A, N);
    memset(b.truncated, 0x5A, N);
    memset(b.has_final, 0x5A, N);
    memset(b.infos, 0x5A, N * sizeof(pan_env_info));
    memset(b.final_infos, 0x5A, N * sizeof(pan_env_info));
}

static bool outputs_untouched(void) {
    size_t sizes[] = {N * b.F, N * b.L * sizeof(float), N * sizeof(float), N,
                      N * sizeof(pan_env_info)};
    const void *bufs[][2] = {{b.frames, b.final_frames},
                             {b.latent, b.final_latent},
                             {b.rewards, b.rewards},
                             {b.terminated, b.truncated},
                             {b.infos, b.final_infos}};
    for (int k = 0; k < 5; k++)
        for (int j = 0; j < 2; j++)
            if (memcmp(bufs[k][j], sentinel, sizes[k]) != 0) return false;
    return memcmp(b.has_final, sentinel, N) == 0;
}

/* The failed call `expr` must return `want`, set a message and change
 * nothing. */
#define EXPECT_NOTHING_CHANGED(expr, want)                                     \
    do {                                                                       \
        fill_outputs();                                                        \
        pan_error_clear();                                                     \
        CHECK_STATUS(expr, want);                                              \
        CHECK(pan_error_message()[0] != '\0');                                 \
        env_fingerprint after_;                                                \
        env_fingerprint_take(env, &after_);                                    \
        if (!env_fingerprint_same(&before, &after_, frame_bytes))              \
            test_fail_at(__FILE__, __LINE__, "env changed: " #expr);           \
        if (!outputs_untouched())                                              \
            test_fail_at(__FILE__, __LINE__, "outputs written: " #expr);       \
        env_fingerprint_free(&after_);                                         \
    } while (0)

static pan_vec_env *make(int max_snapshots) {
    pan_env_config c = pan_env_config_default();
    c.num_envs = N;
    c.max_episode_steps = 5;
    c.max_snapshots = max_snapshots;
    pan_vec_env *e = NULL;
    CHECK_STATUS(pan_vec_env_create(&c, &e), PAN_OK);
    return e;
}

static void test_create_errors(void) {
    pan_vec_env *e = (pan_vec_env *)&e;
    pan_vec_env *const sentinel_env = e;
    pan_env_config c = pan_env_config_default();
    typedef struct create_case {
        const char *what;
        pan_env_config c;
        pan_status want;
    } create_case;
    create_case cases[8];
    int n = 0;
    cases[n] = (create_case){"num_envs 0", c, PAN_ERR_INVALID_ARGUMENT};
    cases[n++].c.num_envs = 0;
    cases[n] = (create_case){"num_envs 1025", c, PAN_ERR_INVALID_ARGUMENT};
    cases[n++].c.num_envs = PAN_ENV_MAX_ENVS + 1;
    cases[n] = (create_case){"world castle", c, PAN_ERR_NOT_FOUND};
    cases[n++].c.world = "castle";
    cases[n] = (create_case){"world NULL", c, PAN_ERR_INVALID_ARGUMENT};
    cases[n++].c.world = NULL;
    cases[n] = (create_case){"width 10", c, PAN_ERR_INVALID_ARGUMENT};
    cases[n++].c.world_config.width = 10;
    cases[n] = (create_case){"steps -1", c, PAN_ERR_INVALID_ARGUMENT};
    cases[n++].c.max_episode_steps = -1;
    cases[n] = (create_case){"obs mode 7", c, PAN_ERR_INVALID_ARGUMENT};
    cases[n++].c.obs_mode = (pan_obs_mode)7;
    cases[n] = (create_case){"autoreset 5", c, PAN_ERR_INVALID_ARGUMENT};
    cases[n++].c.autoreset_mode = (pan_autoreset_mode)5;
    for (int k = 0; k < n; k++) {
        pan_error_clear();
        pan_status got = pan_vec_env_create(&cases[k].c, &e);
        if (got != cases[k].want)
            fprintf(stderr, "create %s: got %s\n", cases[k].what,
                    pan_status_name(got));
        CHECK(got == cases[k].want);
        CHECK(e == sentinel_env && pan_error_message()[0]);
    }
    CHECK_STATUS(pan_vec_env_create(NULL, &e), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_vec_env_create(&c, NULL), PAN_ERR_INVALID_ARGUMENT);
}

static void test_before_reset(void) {
    pan_vec_env *e = make(8);
    if (!e) return;
    pan_vec_env *saved = env;
    env = e; /* the macro checks `env` */
    env_fingerprint_take(env, &before);
    const char *acts[N] = {"wait", "wait", "wait"};
    EXPECT_NOTHING_CHANGED(env_step(env, &b, acts),
                           PAN_ERR_FAILED_PRECONDITION);
    uint8_t frame[64 * 64 * 3];
    EXPECT_NOTHING_CHANGED(pan_vec_env_render(env, 0, frame),
                           PAN_ERR_FAILED_PRECONDITION);
    int idx[1] = {0};
    uint64_t id = 0;
    EXPECT_NOTHING_CHANGED(pan_vec_env_fork(env, 1, idx, &id),
                           PAN_ERR_FAILED_PRECONDITION);
    char buf[N][PAN_ENV_ACTION_MAX + 1];
    char *p[N] = {buf[0], buf[1], buf[2]};
    EXPECT_NOTHING_CHANGED(
        pan_vec_env_sample_actions(env, PAN_SPLIT_TRAIN, p, sizeof buf[0]),
        PAN_ERR_FAILED_PRECONDITION);
    pan_world_state st;
    EXPECT_NOTHING_CHANGED(pan_vec_env_true_state(env, 1, &st),
                           PAN_ERR_FAILED_PRECONDITION);
    env_fingerprint_free(&before);
    env = saved;
    pan_vec_env_destroy(e);
}

static void test_step_errors(void) {
    const char *ok[N] = {"wait", "move the red circle left", "wait"};
    char too_long[PAN_ENV_ACTION_MAX + 2];
    memset(too_long, 'a', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    const char *bad_texts[] = {
        too_long,           "caf\xc3", /* truncated sequence */
        "\xff wait",                   /* not UTF-8 */
        "\xc0\xaf",                    /* overlong '/' */
        "\xed\xa0\x80",                /* a surrogate */
        "\xf4\x90\x80\x80",            /* over U+10FFFF */
        "wait \x80",                   /* a lone continuation byte */
    };
    for (size_t k = 0; k < sizeof bad_texts / sizeof bad_texts[0]; k++) {
        const char *acts[N] = {"wait", "wait", bad_texts[k]};
        EXPECT_NOTHING_CHANGED(env_step(env, &b, acts),
                               PAN_ERR_INVALID_ARGUMENT);
        CHECK(strstr(pan_error_message(), "actions[2]") != NULL);
    }
    const char *null_one[N] = {"wait", NULL, "wait"};
    EXPECT_NOTHING_CHANGED(env_step(env, &b, null_one),
                           PAN_ERR_INVALID_ARGUMENT);
    EXPECT_NOTHING_CHANGED(env_step(env, &b, NULL), PAN_ERR_INVALID_ARGUMENT);
    EXPECT_NOTHING_CHANGED(pan_vec_env_step(env, ok, NULL, b.rewards,
                                            b.terminated, b.truncated, b.infos,
                                            NULL, NULL, NULL),
                           PAN_ERR_INVALID_ARGUMENT);
    pan_obs_batch no_frames = {.frames = NULL, .latent = b.latent};
    EXPECT_NOTHING_CHANGED(pan_vec_env_step(env, ok, &no_frames, b.rewards,
                                            b.terminated, b.truncated, b.infos,
                                            NULL, NULL, NULL),
                           PAN_ERR_INVALID_ARGUMENT);
    pan_obs_batch no_latent = {.frames = b.frames, .latent = NULL};
    EXPECT_NOTHING_CHANGED(pan_vec_env_step(env, ok, &no_latent, b.rewards,
                                            b.terminated, b.truncated, b.infos,
                                            NULL, NULL, NULL),
                           PAN_ERR_INVALID_ARGUMENT);
    EXPECT_NOTHING_CHANGED(pan_vec_env_step(env, ok, &b.obs, NULL, b.terminated,
                                            b.truncated, b.infos, NULL, NULL,
                                            NULL),
                           PAN_ERR_INVALID_ARGUMENT);
    EXPECT_NOTHING_CHANGED(pan_vec_env_step(env, ok, &b.obs, b.rewards,
                                            b.terminated, b.truncated, NULL,
                                            NULL, NULL, NULL),
                           PAN_ERR_INVALID_ARGUMENT);
    /* valid multi-byte UTF-8 is fine: not understood, not an error */
    const char *utf8[N] = {"bewege den roten Kreis nach links \xe2\x80\x94 "
                           "bitte \xf0\x9f\x99\x82",
                           "wait", "d\xc3\xa9placer"};
    env_bufs tb;
    env_bufs_init(&tb, twin);
    CHECK_STATUS(env_step(env, &b, utf8), PAN_OK);
    CHECK_STATUS(env_step(twin, &tb, utf8), PAN_OK);
    CHECK(!b.infos[0].action.understood && b.infos[1].action.understood);
    CHECK(memcmp(b.frames, tb.frames, N * b.F) == 0);
    env_bufs_free(&tb);
}

static void test_reset_errors(void) {
    bool none[N] = {false, false, false};
    EXPECT_NOTHING_CHANGED(env_reset(env, &b, NULL, NULL, none),
                           PAN_ERR_INVALID_ARGUMENT);
    EXPECT_NOTHING_CHANGED(
        env_reset(env, &b, NULL, "move red circle left", NULL),
        PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "top left corner") != NULL);
    EXPECT_NOTHING_CHANGED(env_reset(env, &b, NULL,
                                     "put the red one in the "
                                     "centre",
                                     NULL),
                           PAN_ERR_INVALID_ARGUMENT);
    EXPECT_NOTHING_CHANGED(pan_vec_env_reset(env, NULL, NULL, NULL, b.infos),
                           PAN_ERR_INVALID_ARGUMENT);
    EXPECT_NOTHING_CHANGED(pan_vec_env_reset(env, NULL, NULL, &b.obs, NULL),
                           PAN_ERR_INVALID_ARGUMENT);
    EXPECT_NOTHING_CHANGED(pan_vec_env_reset(NULL, NULL, NULL, &b.obs, b.infos),
                           PAN_ERR_INVALID_ARGUMENT);
}

static void test_query_errors(void) {
    uint8_t frame[64 * 64 * 3];
    EXPECT_NOTHING_CHANGED(pan_vec_env_render(env, -1, frame),
                           PAN_ERR_INVALID_ARGUMENT);
    EXPECT_NOTHING_CHANGED(pan_vec_env_render(env, N, frame),
                           PAN_ERR_INVALID_ARGUMENT);
    EXPECT_NOTHING_CHANGED(pan_vec_env_render(env, 0, NULL),
                           PAN_ERR_INVALID_ARGUMENT);
    pan_world_state st;
    EXPECT_NOTHING_CHANGED(pan_vec_env_true_state(env, N, &st),
                           PAN_ERR_INVALID_ARGUMENT);
    EXPECT_NOTHING_CHANGED(pan_vec_env_true_state(env, 0, NULL),
                           PAN_ERR_INVALID_ARGUMENT);
    char buf[N][PAN_ENV_ACTION_MAX + 1];
    char *p[N] = {buf[0], buf[1], buf[2]};
    EXPECT_NOTHING_CHANGED(
        pan_vec_env_sample_actions(env, PAN_SPLIT_TRAIN, p, PAN_ENV_ACTION_MAX),
        PAN_ERR_INVALID_ARGUMENT);
    EXPECT_NOTHING_CHANGED(
        pan_vec_env_sample_actions(env, (pan_split)9, p, sizeof buf[0]),
        PAN_ERR_INVALID_ARGUMENT);
    char *p_null[N] = {buf[0], NULL, buf[2]};
    EXPECT_NOTHING_CHANGED(
        pan_vec_env_sample_actions(env, PAN_SPLIT_TRAIN, p_null, sizeof buf[0]),
        PAN_ERR_INVALID_ARGUMENT);
}

static void test_snapshot_errors(uint64_t live_id) {
    int idx[4] = {0, 1, 2, 0};
    uint64_t ids[4] = {0};
    int bad_idx[2] = {0, N};
    EXPECT_NOTHING_CHANGED(pan_vec_env_fork(env, 2, bad_idx, ids),
                           PAN_ERR_INVALID_ARGUMENT);
    EXPECT_NOTHING_CHANGED(pan_vec_env_fork(env, 0, idx, ids),
                           PAN_ERR_INVALID_ARGUMENT);
    EXPECT_NOTHING_CHANGED(pan_vec_env_fork(env, 1, NULL, ids),
                           PAN_ERR_INVALID_ARGUMENT);
    /* max_snapshots = 2 and one is live: two more do not fit */
    EXPECT_NOTHING_CHANGED(pan_vec_env_fork(env, 2, idx, ids),
                           PAN_ERR_RESOURCE_EXHAUSTED);
    CHECK(ids[0] == 0 && ids[1] == 0);

    uint64_t unknown[2] = {live_id, 999};
    int two[2] = {0, 1};
    EXPECT_NOTHING_CHANGED(
        pan_vec_env_restore(env, 2, two, unknown, &b.obs, b.infos),
        PAN_ERR_NOT_FOUND);
    uint64_t same[2] = {live_id, live_id};
    int dup[2] = {1, 1};
    EXPECT_NOTHING_CHANGED(
        pan_vec_env_restore(env, 2, dup, same, &b.obs, b.infos),
        PAN_ERR_INVALID_ARGUMENT);
    int out_of_range[1] = {-1};
    EXPECT_NOTHING_CHANGED(
        pan_vec_env_restore(env, 1, out_of_range, same, &b.obs, b.infos),
        PAN_ERR_INVALID_ARGUMENT);
    pan_obs_batch no_frames = {.frames = NULL, .latent = b.latent};
    EXPECT_NOTHING_CHANGED(
        pan_vec_env_restore(env, 1, two, same, &no_frames, b.infos),
        PAN_ERR_INVALID_ARGUMENT);
    EXPECT_NOTHING_CHANGED(pan_vec_env_release(env, 2, unknown),
                           PAN_ERR_NOT_FOUND);
    EXPECT_NOTHING_CHANGED(pan_vec_env_release(env, 2, same),
                           PAN_ERR_INVALID_ARGUMENT);
    EXPECT_NOTHING_CHANGED(pan_vec_env_release(env, 0, same),
                           PAN_ERR_INVALID_ARGUMENT);
    CHECK(pan_vec_env_snapshot_count(env) == 1);

    /* rollout */
    enum { T = 2 };
    float rewards[2 * T], latents[2 * T * 128];
    bool term[2 * T], trunc[2 * T];
    pan_rollout_out out = {rewards, term, trunc, latents, NULL};
    const char *acts[2 * T] = {"wait", "wait", "wait", "wait"};
    EXPECT_NOTHING_CHANGED(pan_vec_env_rollout(env, 2, unknown, T, acts, &out),
                           PAN_ERR_NOT_FOUND);
    EXPECT_NOTHING_CHANGED(pan_vec_env_rollout(env, 0, same, T, acts, &out),
                           PAN_ERR_INVALID_ARGUMENT);
    EXPECT_NOTHING_CHANGED(pan_vec_env_rollout(env, 2, same, 0, acts, &out),
                           PAN_ERR_INVALID_ARGUMENT);
    EXPECT_NOTHING_CHANGED(
        pan_vec_env_rollout(env, PAN_ENV_MAX_ENVS + 1, same, T, acts, &out),
        PAN_ERR_INVALID_ARGUMENT);
    const char *bad_acts[2 * T] = {"wait", "wait", "wait", "\xff"};
    EXPECT_NOTHING_CHANGED(pan_vec_env_rollout(env, 2, same, T, bad_acts, &out),
                           PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "actions[3]") != NULL);
    pan_rollout_out no_latents = out;
    no_latents.latents = NULL;
    EXPECT_NOTHING_CHANGED(
        pan_vec_env_rollout(env, 2, same, T, acts, &no_latents),
        PAN_ERR_INVALID_ARGUMENT);
    EXPECT_NOTHING_CHANGED(pan_vec_env_rollout(env, 2, same, T, NULL, &out),
                           PAN_ERR_INVALID_ARGUMENT);
}

/* After all the failures the env matches a twin that never saw them. */
static void test_streams_untouched(void) {
    env_bufs tb;
    env_bufs_init(&tb, twin);
    char ba[N][PAN_ENV_ACTION_MAX + 1], bt[N][PAN_ENV_ACTION_MAX + 1];
    char *pa[N] = {ba[0], ba[1], ba[2]}, *pt[N] = {bt[0], bt[1], bt[2]};
    for (int t = 0; t < 12; t++) {
        CHECK_STATUS(
            pan_vec_env_sample_actions(env, PAN_SPLIT_ANY, pa, sizeof ba[0]),
            PAN_OK);
        CHECK_STATUS(
            pan_vec_env_sample_actions(twin, PAN_SPLIT_ANY, pt, sizeof bt[0]),
            PAN_OK);
        for (int i = 0; i < N; i++)
            CHECK(strcmp(ba[i], bt[i]) == 0);
        CHECK_STATUS(env_step(env, &b, (const char *const *)pa), PAN_OK);
        CHECK_STATUS(env_step(twin, &tb, (const char *const *)pt), PAN_OK);
        CHECK(memcmp(b.frames, tb.frames, N * b.F) == 0);
        CHECK(memcmp(b.latent, tb.latent, N * b.L * sizeof(float)) == 0);
        for (int i = 0; i < N; i++)
            CHECK(env_info_equal(&b.infos[i], &tb.infos[i]));
    }
    /* the failed reset with a bad task kept the old task */
    CHECK(strcmp(b.infos[0].task, ENV_GOAL) == 0);
    env_bufs_free(&tb);
}

int main(void) {
    test_create_errors();
    env = make(2);
    twin = make(2);
    if (!env || !twin) return test_exit_code("test_env_errors");
    env_bufs_init(&b, env);
    frame_bytes = b.F / 4;
    sentinel = malloc(N * b.F);
    memset(sentinel, 0x5A, N * b.F);
    test_before_reset();

    uint64_t seeds[N] = {1, 2, 3};
    env_bufs tb;
    env_bufs_init(&tb, twin);
    CHECK_STATUS(env_reset(env, &b, seeds, ENV_GOAL, NULL), PAN_OK);
    CHECK_STATUS(env_reset(twin, &tb, seeds, ENV_GOAL, NULL), PAN_OK);
    const char *acts[N] = {"move the red circle up", "wait", "lights off"};
    CHECK_STATUS(env_step(env, &b, acts), PAN_OK);
    CHECK_STATUS(env_step(twin, &tb, acts), PAN_OK);
    int zero = 0;
    uint64_t id = 0;
    CHECK_STATUS(pan_vec_env_fork(env, 1, &zero, &id), PAN_OK);
    CHECK(id == 1);
    env_bufs_free(&tb);

    env_fingerprint_take(env, &before);
    test_step_errors(); /* ends with one successful step on both */
    env_fingerprint_free(&before);
    env_fingerprint_take(env, &before);
    test_reset_errors();
    test_query_errors();
    test_snapshot_errors(id);
    env_fingerprint_free(&before);
    test_streams_untouched();

    free(sentinel);
    env_bufs_free(&b);
    pan_vec_env_destroy(env);
    pan_vec_env_destroy(twin);
    return test_exit_code("test_env_errors");
}
