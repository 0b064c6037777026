/* tests/env/test_env_seeds.c: determinism and the seed streams: two vector
 * envs with the same seeds and actions give identical bytes (obs, rewards,
 * flags, infos, sampled actions), the no-seed stream is reproducible and
 * documented (k-th splitmix64 output from env i, or from the last explicit
 * seed), the latent is the true-state vector, and the spaces and mode
 * names are as declared. */
#include <stdio.h>
#include <string.h>

#include "tests/env/env_test_util.h"

static pan_vec_env *make_mode(const char *world, int N, pan_obs_mode obs_mode,
                              pan_autoreset_mode mode) {
    pan_env_config c = pan_env_config_default();
    c.autoreset_mode = mode;
    c.world = world;
    c.num_envs = N;
    c.obs_mode = obs_mode;
    c.max_episode_steps = 6;
    pan_vec_env *env = NULL;
    CHECK_STATUS(pan_vec_env_create(&c, &env), PAN_OK);
    return env;
}

static pan_vec_env *make(const char *world, int N, pan_obs_mode obs_mode) {
    return make_mode(world, N, obs_mode, PAN_AUTORESET_NEXT_STEP);
}

static bool same_outputs(const env_bufs *a, const env_bufs *b) {
    size_t N = (size_t)a->N;
    if (a->frames && memcmp(a->frames, b->frames, N * a->F) != 0) return false;
    if (memcmp(a->latent, b->latent, N * a->L * sizeof(float)) != 0)
        return false;
    for (int i = 0; i < a->N; i++)
        if (!env_info_equal(&a->infos[i], &b->infos[i])) return false;
    return true;
}

/* Runs twin envs side by side with sampled actions; every output agrees. */
static void test_twins(const char *world, const char *task,
                       pan_autoreset_mode mode, pan_obs_mode obs_mode) {
    enum { N = 4, STEPS = 40 };
    pan_vec_env *a = make_mode(world, N, obs_mode, mode);
    pan_vec_env *b = make_mode(world, N, obs_mode, mode);
    if (!a || !b) return;
    env_bufs ba, bb;
    env_bufs_init(&ba, a);
    env_bufs_init(&bb, b);
    uint64_t seeds[N] = {10, 11, 12, 13};
    CHECK_STATUS(env_reset(a, &ba, seeds, task, NULL), PAN_OK);
    CHECK_STATUS(env_reset(b, &bb, seeds, task, NULL), PAN_OK);
    CHECK(same_outputs(&ba, &bb));
    char text_a[N][PAN_ENV_ACTION_MAX + 1], text_b[N][PAN_ENV_ACTION_MAX + 1];
    char *pa[N], *pb[N];
    for (int i = 0; i < N; i++)
        pa[i] = text_a[i], pb[i] = text_b[i];
    int ended = 0, understood = 0;
    for (int t = 0; t < STEPS; t++) {
        CHECK_STATUS(pan_vec_env_sample_actions(a, PAN_SPLIT_TRAIN, pa,
                                                sizeof text_a[0]),
                     PAN_OK);
        CHECK_STATUS(pan_vec_env_sample_actions(b, PAN_SPLIT_TRAIN, pb,
                                                sizeof text_b[0]),
                     PAN_OK);
        for (int i = 0; i < N; i++)
            CHECK(strcmp(pa[i], pb[i]) == 0);
        CHECK_STATUS(env_step(a, &ba, (const char *const *)pa), PAN_OK);
        CHECK_STATUS(env_step(b, &bb, (const char *const *)pb), PAN_OK);
        CHECK(same_outputs(&ba, &bb));
        CHECK(memcmp(ba.rewards, bb.rewards, sizeof(float) * N) == 0);
        CHECK(memcmp(ba.terminated, bb.terminated, sizeof(bool) * N) == 0);
        CHECK(memcmp(ba.truncated, bb.truncated, sizeof(bool) * N) == 0);
        for (int i = 0; i < N; i++) {
            ended += ba.terminated[i] || ba.truncated[i];
            understood += ba.infos[i].action.understood;
        }
    }
    CHECK(ended > 0);                  /* autoresets happened on the way */
    CHECK(understood > STEPS * N / 2); /* sampled actions are understood */
    /* a different seed gives a different episode */
    uint64_t other[N] = {10, 11, 12, 14};
    CHECK_STATUS(env_reset(a, &ba, seeds, NULL, NULL), PAN_OK);
    CHECK_STATUS(env_reset(b, &bb, other, NULL, NULL), PAN_OK);
    CHECK(memcmp(env_latent(&ba, 3), env_latent(&bb, 3),
                 ba.L * sizeof(float)) != 0 ||
          (ba.frames &&
           memcmp(env_frames(&ba, 3), env_frames(&bb, 3), ba.F) != 0));
    CHECK(memcmp(env_latent(&ba, 0), env_latent(&bb, 0),
                 ba.L * sizeof(float)) == 0);
    env_bufs_free(&ba);
    env_bufs_free(&bb);
    pan_vec_env_destroy(a);
    pan_vec_env_destroy(b);
}

static void test_streams(void) {
    enum { N = 3 };
    pan_vec_env *a = make("tabletop", N, PAN_OBS_LATENT);
    pan_vec_env *b = make("tabletop", N, PAN_OBS_LATENT);
    if (!a || !b) return;
    env_bufs ba, bb;
    env_bufs_init(&ba, a);
    env_bufs_init(&bb, b);
    /* no seeds at creation: env i draws from a stream started at i */
    CHECK_STATUS(env_reset(a, &ba, NULL, NULL, NULL), PAN_OK);
    CHECK_STATUS(env_reset(b, &bb, NULL, NULL, NULL), PAN_OK);
    CHECK(same_outputs(&ba, &bb));
    for (int i = 0; i < N; i++)
        CHECK(ba.infos[i].seed == env_stream_seed((uint64_t)i, 1));
    CHECK(ba.infos[0].seed != ba.infos[1].seed);
    CHECK_STATUS(env_reset(a, &ba, NULL, NULL, NULL), PAN_OK);
    for (int i = 0; i < N; i++)
        CHECK(ba.infos[i].seed == env_stream_seed((uint64_t)i, 2));
    /* an explicit seed restarts the stream from it */
    uint64_t seeds[N] = {500, 600, 700};
    CHECK_STATUS(env_reset(a, &ba, seeds, NULL, NULL), PAN_OK);
    for (int i = 0; i < N; i++)
        CHECK(ba.infos[i].seed == seeds[i]);
    CHECK_STATUS(env_reset(a, &ba, NULL, NULL, NULL), PAN_OK);
    for (int i = 0; i < N; i++)
        CHECK(ba.infos[i].seed == env_stream_seed(seeds[i], 1));
    /* the seeds of envs outside the mask are ignored, their streams kept */
    bool mask[N] = {false, true, false};
    uint64_t masked[N] = {1, 2, 3};
    CHECK_STATUS(env_reset(a, &ba, masked, NULL, mask), PAN_OK);
    CHECK(ba.infos[1].seed == 2 && ba.infos[0].seed == 0);
    CHECK_STATUS(env_reset(a, &ba, NULL, NULL, NULL), PAN_OK);
    CHECK(ba.infos[0].seed == env_stream_seed(500, 2));
    CHECK(ba.infos[1].seed == env_stream_seed(2, 1));
    /* the reset with seed s equals the reset the stream gave s */
    uint64_t replay[N] = {env_stream_seed(0, 1), 0, 0};
    CHECK_STATUS(env_reset(b, &bb, NULL, NULL, NULL), PAN_OK); /* stream 2 */
    CHECK_STATUS(env_reset(b, &bb, replay, NULL, NULL), PAN_OK);
    CHECK(bb.infos[0].seed == replay[0]);

    /* the sampler stream restarts with the episode seed */
    char buf[N][PAN_ENV_ACTION_MAX + 1], first[N][PAN_ENV_ACTION_MAX + 1];
    char *p[N];
    for (int i = 0; i < N; i++)
        p[i] = buf[i];
    CHECK_STATUS(env_reset(a, &ba, seeds, NULL, NULL), PAN_OK);
    CHECK_STATUS(pan_vec_env_sample_actions(a, PAN_SPLIT_ANY, p, sizeof buf[0]),
                 PAN_OK);
    memcpy(first, buf, sizeof buf);
    CHECK_STATUS(pan_vec_env_sample_actions(a, PAN_SPLIT_ANY, p, sizeof buf[0]),
                 PAN_OK);
    int differ = 0;
    for (int i = 0; i < N; i++)
        differ += strcmp(first[i], buf[i]) != 0;
    CHECK(differ > 0); /* the stream advances */
    CHECK_STATUS(env_reset(a, &ba, seeds, NULL, NULL), PAN_OK);
    CHECK_STATUS(pan_vec_env_sample_actions(a, PAN_SPLIT_ANY, p, sizeof buf[0]),
                 PAN_OK);
    for (int i = 0; i < N; i++)
        CHECK(strcmp(first[i], buf[i]) == 0);
    env_bufs_free(&ba);
    env_bufs_free(&bb);
    pan_vec_env_destroy(a);
    pan_vec_env_destroy(b);
}

/* The latent of a world is its true-state vector; reset frames repeat. */
static void test_latent(const char *world, int D) {
    pan_vec_env *env = make(world, 2, PAN_OBS_FULL);
    if (!env) return;
    env_bufs b;
    env_bufs_init(&b, env);
    pan_world *w = NULL;
    CHECK_STATUS(pan_world_create(world, NULL, &w), PAN_OK);
    CHECK(pan_world_state_vector(w, NULL, NULL) == D);
    CHECK(b.L == (size_t)D);
    uint64_t seeds[2] = {3, 4};
    CHECK_STATUS(env_reset(env, &b, seeds, NULL, NULL), PAN_OK);
    size_t frame = b.F / 4;
    for (int i = 0; i < 2; i++)
        for (int k = 1; k < 4; k++)
            CHECK(memcmp(env_frames(&b, i), env_frames(&b, i) + k * frame,
                         frame) == 0);
    const char *actions[2] = {"go north 2", "move the red circle left"};
    if (strcmp(world, "tabletop") == 0) actions[0] = "turn off the lights";
    for (int t = 0; t < 3; t++) {
        CHECK_STATUS(env_step(env, &b, actions), PAN_OK);
        for (int i = 0; i < 2; i++) {
            pan_world_state s;
            CHECK_STATUS(pan_vec_env_true_state(env, i, &s), PAN_OK);
            float v[128];
            CHECK(pan_world_state_vector(w, &s, v) == D);
            CHECK(memcmp(v, env_latent(&b, i), (size_t)D * sizeof(float)) == 0);
            /* render = the last frame of the last obs */
            uint8_t *current = malloc(frame);
            CHECK_STATUS(pan_vec_env_render(env, i, current), PAN_OK);
            CHECK(memcmp(current, env_frames(&b, i) + 3 * frame, frame) == 0);
            free(current);
        }
    }
    pan_world_destroy(w);
    env_bufs_free(&b);
    pan_vec_env_destroy(env);
}

static void test_spaces_and_names(void) {
    pan_env_config d = pan_env_config_default();
    CHECK(strcmp(d.world, "tabletop") == 0 && d.num_envs == 1);
    CHECK(d.world_config.width == 64 && d.world_config.height == 64 &&
          d.world_config.frames_per_step == 4);
    CHECK(d.obs_mode == PAN_OBS_FULL &&
          d.autoreset_mode == PAN_AUTORESET_NEXT_STEP);
    CHECK(d.max_episode_steps == 50 && d.max_snapshots == 4096);

    pan_env_config c = d;
    c.num_envs = 5;
    c.world_config.width = 96;
    c.world_config.height = 48;
    c.world_config.frames_per_step = 2;
    char name[16] = "tabletop";
    c.world = name;
    pan_vec_env *env = NULL;
    CHECK_STATUS(pan_vec_env_create(&c, &env), PAN_OK);
    if (!env) return;
    name[0] = 'X'; /* the env keeps its own copy */
    pan_env_config got = pan_vec_env_config(env);
    CHECK(strcmp(got.world, "tabletop") == 0 && got.num_envs == 5);
    pan_env_spaces sp;
    pan_vec_env_spaces(env, &sp);
    CHECK(sp.action.min_length == 0 && sp.action.max_length == 256);
    CHECK(strlen(sp.action.charset) == 95);
    CHECK(strchr(sp.action.charset, ' ') && strchr(sp.action.charset, '.') &&
          strchr(sp.action.charset, '~') && strchr(sp.action.charset, 'Z'));
    CHECK(sp.has_frames && sp.frames.dtype == PAN_SPACE_U8 &&
          sp.frames.rank == 4);
    CHECK(sp.frames.shape[0] == 2 && sp.frames.shape[1] == 48 &&
          sp.frames.shape[2] == 96 && sp.frames.shape[3] == 3);
    CHECK(sp.frames.low == 0.0 && sp.frames.high == 255.0);
    CHECK(sp.latent.dtype == PAN_SPACE_F32 && sp.latent.rank == 2 &&
          sp.latent.shape[0] == 1 && sp.latent.shape[1] == 73);
    CHECK(sp.latent.low < -1e300 && sp.latent.high > 1e300);
    pan_vec_env_destroy(env);
    c.obs_mode = PAN_OBS_LATENT;
    c.world = "rooms";
    CHECK_STATUS(pan_vec_env_create(&c, &env), PAN_OK);
    if (env) {
        pan_vec_env_spaces(env, &sp);
        CHECK(!sp.has_frames && sp.latent.shape[1] == 103);
        pan_vec_env_destroy(env);
    }

    const char *obs_names[] = {"full", "latent"};
    for (int m = 0; m < 2; m++) {
        pan_obs_mode mode = (pan_obs_mode)7;
        CHECK(strcmp(pan_obs_mode_name((pan_obs_mode)m), obs_names[m]) == 0);
        CHECK_STATUS(pan_obs_mode_parse(obs_names[m], &mode), PAN_OK);
        CHECK((int)mode == m);
    }
    const char *reset_names[] = {"next_step", "same_step", "disabled"};
    for (int m = 0; m < 3; m++) {
        pan_autoreset_mode mode = (pan_autoreset_mode)7;
        CHECK(strcmp(pan_autoreset_mode_name((pan_autoreset_mode)m),
                     reset_names[m]) == 0);
        CHECK_STATUS(pan_autoreset_mode_parse(reset_names[m], &mode), PAN_OK);
        CHECK((int)mode == m);
    }
    pan_obs_mode om = PAN_OBS_LATENT;
    CHECK_STATUS(pan_obs_mode_parse("Full", &om), PAN_ERR_INVALID_ARGUMENT);
    CHECK(om == PAN_OBS_LATENT);
    CHECK(strstr(pan_error_message(), "full or latent") != NULL);
    CHECK_STATUS(pan_obs_mode_parse(NULL, &om), PAN_ERR_INVALID_ARGUMENT);
    pan_autoreset_mode am = PAN_AUTORESET_DISABLED;
    CHECK_STATUS(pan_autoreset_mode_parse("auto", &am),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(am == PAN_AUTORESET_DISABLED);
    CHECK(strstr(pan_error_message(), "next_step, same_step or disabled") !=
          NULL);
    CHECK(strcmp(pan_obs_mode_name((pan_obs_mode)9), "unknown") == 0);
}

int main(void) {
    test_twins("tabletop", "random", PAN_AUTORESET_NEXT_STEP, PAN_OBS_FULL);
    test_twins("tabletop", ENV_GOAL, PAN_AUTORESET_NEXT_STEP, PAN_OBS_LATENT);
    test_twins("tabletop", "random", PAN_AUTORESET_SAME_STEP, PAN_OBS_FULL);
    test_twins("rooms", NULL, PAN_AUTORESET_NEXT_STEP, PAN_OBS_FULL);
    test_streams();
    test_latent("tabletop", 73);
    test_latent("rooms", 103);
    test_spaces_and_names();
    return test_exit_code("test_env_seeds");
}
