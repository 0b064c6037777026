/* tests/model/test_pan_init.c: the pan-init tool (path in argv[1]) --
 * writes a checkpoint equal to pan_model_create_random(config, seed),
 * marked untrained with its seed in pan.note; --set and --config change
 * the config; --print-config prints loadable JSON; bad arguments exit 2
 * with a message naming the problem, failures exit 1. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/model/model.h"
#include "tests/model/ckpt_mutate.h"
#include "tests/test_util.h"

static const char *tool;
static char dir[] = "/tmp/pan_init_test_XXXXXX";
static char output[600]; /* the tool's stdout + stderr */

/* Runs tool with args (NULL-terminated); returns its exit code, -1 if it
 * did not exit normally. Output goes to `output`. */
static int run(const char *const *args) {
    char *argv[32];
    int n = 0;
    argv[n++] = (char *)tool;
    for (; args[n - 1] && n < 31; n++) argv[n] = (char *)args[n - 1];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(output, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) _exit(126);
        dup2(fd, 1);
        dup2(fd, 2);
        execv(tool, argv);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
    return WEXITSTATUS(status);
}

static int output_has(const char *text) {
    ckpt_bytes b = {0};
    if (ckpt_read_file(output, &b) != 0) return 0;
    char *s = malloc(b.size + 1);
    memcpy(s, b.data, b.size);
    s[b.size] = '\0';
    int found = strstr(s, text) != NULL;
    if (!found) fprintf(stderr, "tool output lacks '%s':\n%s\n", text, s);
    free(s);
    ckpt_bytes_free(&b);
    return found;
}

static void check_written(const char *path, const pan_model_config *cfg,
                          uint64_t seed) {
    pan_model *got = NULL, *want = NULL;
    CHECK_STATUS(pan_model_load(&got, path), PAN_OK);
    CHECK_STATUS(pan_model_create_random(&want, cfg, seed), PAN_OK);
    if (got && want) {
        CHECK(memcmp(&got->config, cfg, sizeof *cfg) == 0);
        CHECK(!got->trained);
        char note[128];
        snprintf(note, sizeof note,
                 "untrained: random initialisation by pan-init, seed %llu",
                 (unsigned long long)seed);
        CHECK(strcmp(got->note, note) == 0);
        CHECK(got->params.total_floats == want->params.total_floats &&
              memcmp(got->block, want->block,
                     (size_t)want->params.total_floats * 4) == 0);
    }
    pan_model_destroy(got);
    pan_model_destroy(want);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: test_pan_init PATH_TO_PAN_INIT\n");
        return 2;
    }
    tool = argv[1];
    if (!mkdtemp(dir)) return 1;
    snprintf(output, sizeof output, "%s/output.txt", dir);
    char out[600], cfg_path[600];
    snprintf(out, sizeof out, "%s/init.safetensors", dir);
    snprintf(cfg_path, sizeof cfg_path, "%s/config.json", dir);

    /* Defaults, seed 3. */
    pan_model_config cfg;
    pan_model_config_default(&cfg);
    CHECK(run((const char *[]){"--out", out, "--seed", "3", NULL}) == 0);
    CHECK(output_has("12062779 parameters") && output_has("UNTRAINED") &&
          output_has("seed 3"));
    check_written(out, &cfg, 3);

    /* --set, default seed 1. */
    CHECK(run((const char *[]){"--out", out, "--set", "backbone.layers=2",
                               "--set", "vae.channel_mult=[1, 2]", NULL}) == 0);
    cfg.backbone.layers = 2;
    cfg.vae.channel_mult[0] = 1;
    cfg.vae.channel_mult[1] = 2;
    cfg.vae.channel_mult[2] = 0;
    cfg.vae.levels = 2;
    check_written(out, &cfg, 1);

    /* --print-config output is a config file --config accepts. */
    CHECK(run((const char *[]){"--print-config", "--set", "encoder.layers=1",
                               NULL}) == 0);
    CHECK(output_has("\"format\": \"pan-glp\"") && output_has("\"layers\": 1,"));
    ckpt_bytes text = {0};
    CHECK(ckpt_read_file(output, &text) == 0);
    CHECK(ckpt_write_file(cfg_path, text.data, text.size) == 0);
    ckpt_bytes_free(&text);
    CHECK(run((const char *[]){"--config", cfg_path, "--out", out, "--seed",
                               "0x10", NULL}) == 0);
    pan_model_config_default(&cfg);
    cfg.encoder.layers = 1;
    check_written(out, &cfg, 16);

    /* Usage errors: exit 2 with the reason. */
    CHECK(run((const char *[]){NULL}) == 2 && output_has("--out FILE is required"));
    CHECK(run((const char *[]){"--out", out, "--seed", "-1", NULL}) == 2 &&
          output_has("--seed -1"));
    CHECK(run((const char *[]){"--out", out, "--seed", "12x", NULL}) == 2);
    CHECK(run((const char *[]){"--out", out, "--bogus", NULL}) == 2 &&
          output_has("unknown option --bogus"));
    CHECK(run((const char *[]){"--out", NULL}) == 2 && output_has("missing its value"));
    CHECK(run((const char *[]){"--out", out, "extra", NULL}) == 2 &&
          output_has("unexpected argument extra"));
    CHECK(run((const char *[]){"--out", out, "--set", "backbone.layer=2", NULL}) == 2 &&
          output_has("no field 'backbone.layer'"));
    CHECK(run((const char *[]){"--out", out, "--set", "backbone.heads=3", NULL}) == 2 &&
          output_has("backbone.heads: expected a divisor"));
    CHECK(run((const char *[]){"--out", out, "--set", "backbone.heads=\"8\"", NULL}) == 2 &&
          output_has("backbone.heads: expected an integer, found \"8\""));
    CHECK(run((const char *[]){"--out", out, "--set", "novalue", NULL}) == 2);
    /* Failures: exit 1, the previous checkpoint intact. */
    char missing[600];
    snprintf(missing, sizeof missing, "%s/none/x.safetensors", dir);
    CHECK(run((const char *[]){"--out", missing, NULL}) == 1 &&
          output_has("none/x.safetensors"));
    CHECK(run((const char *[]){"--config", missing, "--out", out, NULL}) == 1 &&
          output_has("config file: cannot open"));
    CHECK(ckpt_write_file(cfg_path, "{\"format\": 1}", 13) == 0);
    CHECK(run((const char *[]){"--config", cfg_path, "--out", out, NULL}) == 1 &&
          output_has("config.json: config format: expected \"pan-glp\""));
    check_written(out, &cfg, 16);
    CHECK(run((const char *[]){"--help", NULL}) == 0 && output_has("usage: pan-init"));

    unlink(out);
    unlink(cfg_path);
    unlink(output);
    rmdir(dir);
    return test_exit_code("test_pan_init");
}
