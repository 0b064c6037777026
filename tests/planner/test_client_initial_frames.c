/* tests/planner/test_client_initial_frames.c: the C client's RESET
 * options.initial_frames (pan_client_reset_args.initial_frames) against a
 * real pan-server serving an untrained pan-init model:
 * - a model session reset with initial frames shows each env's own frame
 *   K times in its reset observation;
 * - a frame equal to the world's first frame of the seed gives exactly the
 *   seed's episode (the same latent and the same step afterwards);
 * - errors: bad sizes are CLIENT_ARGUMENT (nothing sent), a frame count
 *   other than N and initial frames for a world session are the server's
 *   INVALID_ARGUMENT.
 * Usage: test_client_initial_frames PAN_SERVER PAN_INIT */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/c/pan_client.h"
#include "tests/client/client_test_util.h"
#include "tests/test_util.h"

#define HW (64 * 64 * 3)

static const char *const tiny_model[] = {
    "--set", "decoder.dim=96", "--set", "decoder.layers=2", "--set",
    "decoder.heads=4", "--set", "decoder.mlp_dim=256", "--set",
    "decoder.freq_dim=64", "--set", "backbone.layers=2", "--set",
    "encoder.layers=2", "--set", "decoder.steps=2"};

/* Writes a tiny untrained checkpoint into dir; 1 on success. */
static int make_model(const char *pan_init, const char *dir, char *path,
                      size_t size) {
    snprintf(path, size, "%s/tiny.safetensors", dir);
    const char *argv[32] = {pan_init, "--out", path, "--seed", "3"};
    int argc = 5;
    for (size_t i = 0; i < sizeof tiny_model / sizeof tiny_model[0]; i++)
        argv[argc++] = tiny_model[i];
    argv[argc] = NULL;
    char *out = NULL, *err = NULL;
    int rc = run_capture(dir, argv, NULL, &out, &err);
    if (rc != 0) fprintf(stderr, "pan-init exited %d: %s\n", rc, err ? err : "");
    free(out);
    free(err);
    return rc == 0;
}

static void test_model_session(pan_client *c) {
    pan_client_make_args ma = pan_client_make_args_default(NULL);
    ma.world = NULL;
    ma.model = "tiny";
    ma.num_envs = 2;
    uint64_t session;
    pan_client_spaces sp;
    CHECK_STATUS(pan_client_make(c, &ma, &session, &sp), PAN_OK);
    /* the world's own first frames for seeds 5 and 6, from a plain reset */
    pan_client_reset_args plain = {.seed_kind = PAN_CLIENT_SEED_ONE, .seed = 5,
                                   .task = "none"};
    pan_client_obs_result r;
    CHECK_STATUS(pan_client_reset(c, session, &plain, &r), PAN_OK);
    int K = r.obs.k;
    static uint8_t world_frames[2 * HW], mine[2 * HW];
    static float world_latent[2 * 16 * 256];
    size_t nl = (size_t)r.obs.n * (size_t)r.obs.q * (size_t)r.obs.d;
    CHECK(nl <= sizeof world_latent / sizeof world_latent[0]);
    for (int i = 0; i < 2; i++)
        memcpy(world_frames + i * HW, r.obs.frames + (size_t)i * K * HW, HW);
    memcpy(world_latent, r.obs.latent, nl * sizeof(float));
    /* 1. own frames: env 0 gets env 1's world frame, env 1 a gradient */
    memcpy(mine, world_frames + HW, HW);
    for (int j = 0; j < HW; j++) mine[HW + j] = (uint8_t)(j * 7 % 251);
    pan_client_reset_args ra = plain;
    ra.initial_frames = mine;
    ra.n_initial = 2, ra.initial_height = 64, ra.initial_width = 64;
    CHECK_STATUS(pan_client_reset(c, session, &ra, &r), PAN_OK);
    int shown = 0;
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < K; k++)
            shown += !memcmp(r.obs.frames + ((size_t)i * K + k) * HW,
                             mine + (size_t)i * HW, HW);
    CHECK(shown == 2 * K);
    CHECK(memcmp(r.obs.latent, world_latent, nl * sizeof(float)) != 0);
    /* 2. the world's own frames: exactly the seed's episode */
    ra.initial_frames = world_frames;
    CHECK_STATUS(pan_client_reset(c, session, &ra, &r), PAN_OK);
    CHECK(!memcmp(r.obs.latent, world_latent, nl * sizeof(float)));
    const char *acts[2] = {"wait", "move the red circle left"};
    pan_client_step_result s;
    static float after_a[2 * 16 * 256];
    CHECK_STATUS(pan_client_step(c, session, 2, acts, &s), PAN_OK);
    memcpy(after_a, s.obs.latent, nl * sizeof(float));
    CHECK_STATUS(pan_client_reset(c, session, &plain, &r), PAN_OK);
    CHECK_STATUS(pan_client_step(c, session, 2, acts, &s), PAN_OK);
    CHECK(!memcmp(after_a, s.obs.latent, nl * sizeof(float)));
    printf("initial_frames: reset obs shows the given frames (%d of %d), "
           "world frames replay the seed's episode\n", shown, 2 * K);
    /* 3. errors */
    ra.n_initial = 0;
    CHECK_STATUS(pan_client_reset(c, session, &ra, &r), PAN_ERR_INVALID_ARGUMENT);
    CHECK(!strcmp(pan_client_error_code(c), "CLIENT_ARGUMENT"));
    ra.n_initial = 1; /* N is 2 */
    pan_status st = pan_client_reset(c, session, &ra, &r);
    CHECK(st == PAN_ERR_INVALID_ARGUMENT && pan_client_error_from_server(c));
    CHECK(strstr(pan_client_error_message(c), "initial_frames") != NULL);
    CHECK_STATUS(pan_client_close(c, session), PAN_OK);

    pan_client_make_args wa = pan_client_make_args_default("tabletop");
    CHECK_STATUS(pan_client_make(c, &wa, &session, &sp), PAN_OK);
    ra.n_initial = 1;
    st = pan_client_reset(c, session, &ra, &r);
    CHECK(st == PAN_ERR_INVALID_ARGUMENT && pan_client_error_from_server(c));
    CHECK_STATUS(pan_client_close(c, session), PAN_OK);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s PAN_SERVER PAN_INIT\n", argv[0]);
        return 2;
    }
    char dir[] = "/tmp/pan-client-test.XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char model[320], spec[400];
    CHECK(make_model(argv[2], dir, model, sizeof model));
    snprintf(spec, sizeof spec, "tiny=%s", model);
    const char *extra[] = {"--model", spec, "--model-threads", "1", NULL};
    test_server srv;
    if (!server_start(argv[1], extra, &srv)) {
        test_remove_dir(dir);
        return 1;
    }
    pan_client *c = NULL;
    CHECK_STATUS(pan_client_connect(srv.endpoint, 60000, &c), PAN_OK);
    if (c) test_model_session(c);
    pan_client_destroy(c);
    CHECK(server_stop(&srv));
    test_remove_dir(dir);
    return test_exit_code("test_client_initial_frames");
}
