/* tests/train/test_train_state.c: the training state file
 * (core/train/train_state.h; label unit): a save and a load restore the
 * parameters, both AdamW moments, the step, the EMA, the data cursor, the
 * RNG (its spare normal too), the run configuration and the log, bit for
 * bit; and every damaged, truncated or mismatched file is refused with
 * DATA_LOSS (or NOT_FOUND) naming the file and the field, changing
 * nothing: a truncated file, a flipped data byte (crc32), another model
 * configuration, a model checkpoint instead of a state, a missing tensor.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/train/train_state.h"
#include "tests/test_util.h"

static void small_config(pan_model_config *cfg) {
    pan_model_config_default(cfg);
    cfg->frame.height = cfg->frame.width = 32;
    cfg->vae.base_channels = 8;
    cfg->vae.levels = 2;
    cfg->vae.channel_mult[0] = 1;
    cfg->vae.channel_mult[1] = 2;
    cfg->encoder.dim = 32;
    cfg->encoder.layers = 1;
    cfg->encoder.mlp_dim = 64;
    cfg->backbone.dim = 64;
    cfg->backbone.layers = 1;
    cfg->backbone.intermediate = 96;
    cfg->decoder.dim = 48;
    cfg->decoder.layers = 1;
    cfg->decoder.heads = 2;
    cfg->decoder.mlp_dim = 96;
    cfg->decoder.freq_dim = 32;
}

static size_t file_size(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n > 0 ? (size_t)n : 0;
}

static void copy_damaged(const char *from, const char *to, size_t keep,
                         long flip_at) {
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    for (size_t i = 0; a && b && i < keep; i++) {
        int ch = fgetc(a);
        if (ch == EOF) break;
        if ((long)i == flip_at) ch ^= 0x40;
        fputc(ch, b);
    }
    if (a) fclose(a);
    if (b) fclose(b);
}

/* The load fails with `want` and leaves the model, moments and EMA as
 * they were. */
static int refused(const char *path, pan_model *m, pan_adamw *opt, float *ema,
                   pan_status want, const char *field) {
    size_t bytes = (size_t)m->params.total_floats * sizeof(float);
    float *keep = malloc(4 * bytes);
    memcpy(keep, m->block, bytes);
    memcpy((char *)keep + bytes, opt->m, bytes);
    memcpy((char *)keep + 2 * bytes, opt->v, bytes);
    memcpy((char *)keep + 3 * bytes, ema, bytes);
    int64_t step = opt->step;
    pan_train_state_info info = {0};
    pan_status st = pan_train_state_load(path, m, opt, ema, &info);
    int failed = 0;
    if (st != want) {
        fprintf(stderr, "%s: load gave %s, expected %s (%s)\n", path,
                pan_status_name(st), pan_status_name(want), pan_error_message());
        failed++;
    } else if (field && !strstr(pan_error_message(), field)) {
        fprintf(stderr, "%s: the message '%s' does not name '%s'\n", path,
                pan_error_message(), field);
        failed++;
    }
    if (memcmp(keep, m->block, bytes) || memcmp((char *)keep + bytes, opt->m, bytes) ||
        memcmp((char *)keep + 2 * bytes, opt->v, bytes) ||
        memcmp((char *)keep + 3 * bytes, ema, bytes) || opt->step != step) {
        fprintf(stderr, "%s: a refused load changed the state\n", path);
        failed++;
    }
    pan_train_state_info_free(&info);
    free(keep);
    return failed;
}

int main(void) {
    char dir[] = "/tmp/pan_train_state_XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char path[256], bad[256];
    snprintf(path, sizeof path, "%s/state.safetensors", dir);
    snprintf(bad, sizeof bad, "%s/bad.safetensors", dir);
    int failed = 0;
    pan_model_config cfg;
    small_config(&cfg);
    pan_model *m = NULL, *back = NULL;
    CHECK_STATUS(pan_model_create_random(&m, &cfg, 3), PAN_OK);
    CHECK_STATUS(pan_model_create_random(&back, &cfg, 4), PAN_OK);
    if (!m || !back) return 1;
    const pan_param_table *t = &m->params;
    pan_adamw_config ac = {.beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
                           .weight_decay = 0.01f};
    pan_adamw *opt = NULL, *opt2 = NULL;
    CHECK_STATUS(pan_adamw_create(&opt, t, &ac), PAN_OK);
    CHECK_STATUS(pan_adamw_create(&opt2, &back->params, &ac), PAN_OK);
    float *g = calloc((size_t)t->total_floats, sizeof(float));
    float *ema = calloc((size_t)t->total_floats, sizeof(float));
    float *ema2 = calloc((size_t)t->total_floats, sizeof(float));
    pan_rng rng = pan_rng_seed(99);
    for (int s = 0; s < 2; s++) {
        pan_rng_fill_normal(&rng, g, (size_t)t->total_floats);
        CHECK_STATUS(pan_adamw_step(opt, m->block, g, 1e-3f), PAN_OK);
        CHECK_STATUS(pan_ema_update(t, ema, m->block, 0.5f), PAN_OK);
    }
    (void)pan_rng_normal(&rng); /* leaves a spare normal in the state */
    pan_train_state_info info = {.cursor = 12345, .rng = rng,
                                 .run = "{\"stage\": \"glp\"}",
                                 .log = "{\"step\": 1}\n{\"step\": 2}\n"};
    CHECK_STATUS(pan_train_state_save(path, m, opt, ema, &info), PAN_OK);
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s/state.safetensors.tmp.%d", dir, (int)getpid());
    CHECK(access(tmp, F_OK) != 0); /* no temporary file left */
    pan_train_state_info got = {0};
    CHECK_STATUS(pan_train_state_load(path, back, opt2, ema2, &got), PAN_OK);
    size_t bytes = (size_t)t->total_floats * sizeof(float);
    CHECK(memcmp(m->block, back->block, bytes) == 0);
    CHECK(memcmp(opt->m, opt2->m, bytes) == 0);
    CHECK(memcmp(opt->v, opt2->v, bytes) == 0);
    CHECK(memcmp(ema, ema2, bytes) == 0);
    CHECK(opt2->step == 2 && got.cursor == 12345);
    CHECK(got.rng.state == rng.state && got.rng.has_spare == rng.has_spare &&
          memcmp(&got.rng.spare, &rng.spare, sizeof rng.spare) == 0);
    CHECK(got.run && strcmp(got.run, info.run) == 0);
    CHECK(got.log && strcmp(got.log, info.log) == 0);
    pan_train_state_info_free(&got);

    /* damaged files change nothing */
    size_t n = file_size(path);
    copy_damaged(path, bad, n / 2, -1);
    failed += refused(bad, back, opt2, ema2, PAN_ERR_DATA_LOSS, bad);
    copy_damaged(path, bad, n, (long)n - 100);
    failed += refused(bad, back, opt2, ema2, PAN_ERR_DATA_LOSS, "pan.crc32");
    snprintf(tmp, sizeof tmp, "%s/missing.safetensors", dir);
    failed += refused(tmp, back, opt2, ema2, PAN_ERR_NOT_FOUND, NULL);
    snprintf(tmp, sizeof tmp, "%s/model.safetensors", dir);
    CHECK_STATUS(pan_model_save(m, tmp, NULL), PAN_OK);
    failed += refused(tmp, back, opt2, ema2, PAN_ERR_DATA_LOSS, "pan.format");
    /* another configuration */
    pan_model_config other = cfg;
    other.backbone.intermediate = 128;
    pan_model *o = NULL;
    pan_adamw *oo = NULL;
    float *oe = calloc(1, sizeof(float));
    CHECK_STATUS(pan_model_create_random(&o, &other, 1), PAN_OK);
    CHECK_STATUS(pan_adamw_create(&oo, &o->params, &ac), PAN_OK);
    free(oe);
    oe = calloc((size_t)o->params.total_floats, sizeof(float));
    snprintf(tmp, sizeof tmp, "%s/other.safetensors", dir);
    CHECK_STATUS(pan_train_state_save(tmp, o, oo, oe, &info), PAN_OK);
    failed += refused(tmp, back, opt2, ema2, PAN_ERR_DATA_LOSS, "pan.config");
    /* a state whose optimizer table is not the model's is refused up front */
    CHECK_STATUS(pan_train_state_save(bad, m, oo, ema, &info),
                 PAN_ERR_INVALID_ARGUMENT);
    pan_adamw_destroy(oo);
    pan_model_destroy(o);
    free(oe);

    pan_adamw_destroy(opt);
    pan_adamw_destroy(opt2);
    pan_model_destroy(m);
    pan_model_destroy(back);
    free(g);
    free(ema);
    free(ema2);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) failed++;
    if (failed) printf("test_train_state: %d failures\n", failed);
    return failed ? 1 : test_exit_code("test_train_state");
}
