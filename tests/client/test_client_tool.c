/* tests/client/test_client_tool.c: the pan-client tool against a real
 * pan-server: make / reset / step / render on rooms, one command per
 * process (the session passed with --session) and in `shell` mode; the
 * PNG read back with libpng has the frame's size and exactly the bytes of
 * RENDER (through the C client) and of the in-process env after the same
 * seed and actions; errors give exit status 1 with the server's code,
 * usage errors 2.
 * Usage: test_client_tool PATH/TO/pan-server PATH/TO/pan-client */
#define _POSIX_C_SOURCE 200809L
#include <png.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/c/pan_client.h"
#include "env/env.h"
#include "tests/client/client_test_util.h"
#include "tests/test_util.h"

static const char *tool;
static test_server srv;

/* Runs pan-client with up to 12 arguments after --endpoint. */
static int run_tool(const char *input, char **out, char **err, const char *a0, ...) {
    const char *argv[24] = {tool, "--endpoint", srv.endpoint, a0};
    int n = 4;
    va_list ap;
    va_start(ap, a0);
    const char *a;
    while (n < 22 && (a = va_arg(ap, const char *)) != NULL) argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    return run_capture(srv.dir, argv, input, out, err);
}

/* Reads an 8-bit RGB PNG; *pixels (H, W, 3) malloc'd. */
static int read_png(const char *path, int *w, int *h, uint8_t **pixels) {
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, path)) {
        fprintf(stderr, "libpng: %s: %s\n", path, img.message);
        return 0;
    }
    img.format = PNG_FORMAT_RGB;
    *pixels = malloc(PNG_IMAGE_SIZE(img));
    if (!*pixels || !png_image_finish_read(&img, NULL, *pixels, 0, NULL)) {
        fprintf(stderr, "libpng: %s: %s\n", path, img.message);
        png_image_free(&img);
        return 0;
    }
    *w = (int)img.width;
    *h = (int)img.height;
    return 1;
}

/* The current frame (H, W, 3) of env 0 of an in-process rooms env after
 * reset(seed) and the given steps. */
static void local_frame(uint64_t seed, const char *const *steps, int n, uint8_t *frame) {
    pan_env_config cfg = pan_env_config_default();
    cfg.world = "rooms";
    pan_vec_env *env = NULL;
    CHECK_STATUS(pan_vec_env_create(&cfg, &env), PAN_OK);
    if (!env) return;
    uint8_t *frames = malloc(4 * 64 * 64 * 3); /* (1, K, H, W, 3) */
    float latent[103];                         /* (1, 1, 103) */
    pan_obs_batch obs = {frames, latent};
    pan_env_info info;
    float r;
    bool te, tr;
    CHECK_STATUS(pan_vec_env_reset(env, &seed, NULL, &obs, &info), PAN_OK);
    for (int i = 0; i < n; i++)
        CHECK_STATUS(pan_vec_env_step(env, &steps[i], &obs, &r, &te, &tr, &info, NULL, NULL,
                                      NULL),
                     PAN_OK);
    CHECK_STATUS(pan_vec_env_render(env, 0, frame), PAN_OK);
    free(frames);
    pan_vec_env_destroy(env);
}

static void check_png(const char *path, const uint8_t *want, const char *what) {
    int w = 0, h = 0;
    uint8_t *px = NULL;
    CHECK(read_png(path, &w, &h, &px));
    CHECK(w == 64 && h == 64);
    if (px && w == 64 && h == 64 && memcmp(px, want, 64 * 64 * 3) != 0) {
        fprintf(stderr, "%s: the PNG differs from the frame\n", what);
        CHECK(0);
    }
    free(px);
}

static void test_one_shot(void) {
    char *out = NULL, *err = NULL;
    CHECK(run_tool(NULL, &out, &err, "hello", NULL) == 0);
    CHECK(out && strstr(out, "protocol 1.0") && strstr(out, "rooms"));
    free(out); free(err);
    CHECK(run_tool(NULL, &out, &err, "make", "--world", "rooms", NULL) == 0);
    unsigned long long session = 0;
    CHECK(out && sscanf(out, "session %llu", &session) == 1);
    CHECK(out && strstr(out, "num_envs 1") != NULL);
    free(out); free(err);
    char sid[32];
    snprintf(sid, sizeof sid, "%llu", session);
    CHECK(run_tool(NULL, &out, &err, "reset", "--session", sid, "--seed", "3", NULL) == 0);
    CHECK(out && strstr(out, "seed 3 reset"));
    free(out); free(err);
    CHECK(run_tool(NULL, &out, &err, "step", "--session", sid, "go north 3", NULL) == 0);
    CHECK(out && strstr(out, "understood, agent 'go north 3'"));
    free(out); free(err);
    CHECK(run_tool(NULL, &out, &err, "step", "--session", sid, "turn left", NULL) == 0);
    free(out); free(err);
    char png[320];
    snprintf(png, sizeof png, "%s/frame.png", srv.dir);
    CHECK(run_tool(NULL, &out, &err, "render", "--session", sid, "--out", png, NULL) == 0);
    free(out); free(err);

    /* the PNG equals RENDER through the client, and the in-process env */
    uint8_t want[64 * 64 * 3]; /* (H, W, 3) */
    const char *steps[2] = {"go north 3", "turn left"};
    local_frame(3, steps, 2, want);
    check_png(png, want, "render (one shot)");
    pan_client *c = NULL;
    CHECK_STATUS(pan_client_connect(srv.endpoint, 10000, &c), PAN_OK);
    pan_client_tensor t;
    CHECK_STATUS(pan_client_render(c, session, 0, &t), PAN_OK);
    CHECK(t.rank == 3 && t.nbytes == sizeof want && memcmp(t.data, want, sizeof want) == 0);
    pan_client_destroy(c);

    /* errors: the server's code, exit 1; usage, exit 2 */
    CHECK(run_tool(NULL, &out, &err, "step", "--session", sid, "a", "b", NULL) == 1);
    CHECK(err && strstr(err, "INVALID_ARGUMENT"));
    free(out); free(err);
    CHECK(run_tool(NULL, &out, &err, "step", "--session", "12345", "wait", NULL) == 1);
    CHECK(err && strstr(err, "NOT_FOUND"));
    free(out); free(err);
    CHECK(run_tool(NULL, &out, &err, "fly", NULL) == 2);
    free(out); free(err);
    CHECK(run_tool(NULL, &out, &err, "render", "--session", sid, NULL) == 2);
    free(out); free(err);
    CHECK(run_tool(NULL, &out, &err, "make", "--world", "rooms", "--num-envs", "x", NULL) == 2);
    free(out); free(err);
    CHECK(run_tool(NULL, &out, &err, "close", "--session", sid, NULL) == 0);
    free(out); free(err);
}

static void test_shell(void) {
    char png[320], script[2048];
    snprintf(png, sizeof png, "%s/shell.png", srv.dir);
    snprintf(script, sizeof script,
             "# one session across lines\n"
             "make --world rooms --max-episode-steps 20\n"
             "reset --seed 8\n"
             "step \"walk east 2\"\n"
             "step 'take a step north'\n"
             "step \"wait\" \"too many\"\n"
             "render --out %s\n"
             "stats\n"
             "close\n", png);
    char *out = NULL, *err = NULL;
    int rc = run_tool(script, &out, &err, "shell", NULL);
    CHECK(rc == 1); /* the line with two actions failed; the others ran */
    CHECK(err && strstr(err, "INVALID_ARGUMENT"));
    CHECK(out && strstr(out, "understood, agent 'go east 2'") && strstr(out, "closed session"));
    CHECK(out && strstr(out, "1 envs, 0 snapshots"));
    free(out); free(err);
    uint8_t want[64 * 64 * 3]; /* (H, W, 3) */
    const char *steps[2] = {"walk east 2", "take a step north"};
    local_frame(8, steps, 2, want);
    check_png(png, want, "render (shell)");
    CHECK(run_tool("step \"unterminated\n", &out, &err, "shell", NULL) == 1);
    free(out); free(err);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s PATH/TO/pan-server PATH/TO/pan-client\n", argv[0]);
        return 2;
    }
    tool = argv[2];
    if (!server_start(argv[1], NULL, &srv)) {
        CHECK(0);
        return test_exit_code("test_client_tool");
    }
    test_one_shot();
    test_shell();
    CHECK(server_stop(&srv));
    return test_exit_code("test_client_tool");
}
