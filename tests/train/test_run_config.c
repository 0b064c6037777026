/* tests/train/test_run_config.c: the run configuration of pan-train run
 * (core/tools/train_config.h): defaults, a partial file over them, --set,
 * the canonical text read back to the same values, and every kind of bad
 * input refused with a message naming the key. */
#include <string.h>

#include "core/tools/train_config.h"
#include "tests/test_util.h"

static bool message_has(const char *part) {
    bool ok = strstr(pan_error_message(), part) != NULL;
    if (!ok) fprintf(stderr, "  message '%s' lacks '%s'\n", pan_error_message(), part);
    return ok;
}

static void test_defaults_and_overlay(void) {
    pan_run_config c;
    char *canon = NULL;
    char *sets[] = {"model.checkpoint=init.safetensors"};
    CHECK_STATUS(pan_run_config_build(NULL, "defaults", sets, 1, &c, &canon), PAN_OK);
    CHECK(c.stage == PAN_STAGE_DECODER && c.batch == 4 && c.accumulate == 1);
    CHECK(c.steps == 1000 && c.window == PAN_RUN_WINDOW_MIXED);
    CHECK(c.lr == 0.0003 && c.min_lr == 0.00003 && c.warmup == 100);
    CHECK(c.beta1 == 0.9f && c.beta2 == 0.999f && c.eps == 1e-8f);
    CHECK(c.ema == 0.999f && c.clip == 1.0f && c.log_every == 10);
    CHECK(c.checkpoint_every == 100 && c.eval_every == 0);
    CHECK(!strcmp(c.checkpoint, "init.safetensors") && !strcmp(c.world, "tabletop"));
    CHECK(c.source == PAN_RUN_SOURCE_WORLD && !c.fixed_batch);

    /* the canonical text reads back to the same configuration */
    pan_run_config again;
    CHECK_STATUS(pan_run_config_parse(canon, "canonical", &again), PAN_OK);
    CHECK(memcmp(&c, &again, sizeof c) == 0);
    free(canon);

    /* a partial file overrides only what it names; --set comes after it;
     * an integer is accepted where the default is a real number */
    const char *file = "{\"stage\": \"glp\", \"model\": {\"checkpoint\": \"a\"},"
                       " \"optimizer\": {\"lr\": 1, \"warmup\": 7},"
                       " \"data\": {\"world\": \"rooms\", \"fixed_batch\": true}}";
    char *over[] = {"optimizer.lr=0.002", "batch=16", "window=pair"};
    CHECK_STATUS(pan_run_config_build(file, "f.json", over, 3, &c, NULL), PAN_OK);
    CHECK(c.stage == PAN_STAGE_GLP && c.lr == 0.002 && c.warmup == 7);
    CHECK(c.batch == 16 && c.window == PAN_RUN_WINDOW_PAIR);
    CHECK(!strcmp(c.world, "rooms") && c.fixed_batch && c.min_lr == 0.00003);
    char *ints[] = {"optimizer.lr=1"};
    CHECK_STATUS(pan_run_config_build(file, "f.json", ints, 1, &c, NULL), PAN_OK);
    CHECK(c.lr == 1.0);

    char *text = pan_run_config_default_json();
    CHECK(text && strstr(text, "\"checkpoint\"") && strstr(text, "\"every\""));
    free(text);
}

typedef struct bad_case {
    const char *file;
    const char *set;
    const char *names; /* a part of the message */
} bad_case;

static void test_refused(void) {
    static const bad_case cases[] = {
        {"{\"stage\": \"vea\"}", NULL, "stage: expected vae | decoder | glp"},
        {"{\"stages\": \"vae\"}", NULL, "stages: unknown key (known here: stage,"},
        {"{\"optimizer\": {\"lrr\": 1}}", NULL, "optimizer.lrr: unknown key"},
        {"{\"optimizer\": {\"lr\": -1}}", NULL, "optimizer.lr: expected a number in"},
        {"{\"optimizer\": {\"lr\": \"fast\"}}", NULL, "optimizer.lr: expected a number"},
        {"{\"optimizer\": {\"beta1\": 1.0}}", NULL, "optimizer.beta1"},
        {"{\"optimizer\": {\"min_lr\": 0.1}}", NULL, "optimizer.min_lr"},
        {"{\"batch\": 0}", NULL, "batch: expected an integer in 1..4096"},
        {"{\"batch\": 2.5}", NULL, "batch: expected an integer, found 2.5"},
        {"{\"steps\": true}", NULL, "steps: expected an integer"},
        {"{\"data\": 3}", NULL, "data: expected an object"},
        {"{\"data\": {\"source\": \"episodes\"}}", NULL, "data.dir: required"},
        {"{\"data\": {\"world\": \"moon\"}}", NULL, "data.world: expected tabletop | rooms"},
        {"{\"window\": \"both\"}", NULL, "window: expected first | pair | mixed"},
        {"{\"seed\": -1}", NULL, "seed: expected an integer in 0.."},
        {"{\"every\": {\"log\": 0}}", NULL, "every.log"},
        {"{\"every\": {\"checkpoint\": 100, \"eval\": 150}}", NULL,
         "every.eval: expected 0 (no evaluations) or a multiple of every.checkpoint"},
        {"{\"stage\": \"vae\", \"stage\": \"glp\"}", NULL, "duplicate"},
        {"[1, 2]", NULL, "expected a JSON object"},
        {"{\"stage\": ", NULL, "invalid JSON at line 1"},
        {NULL, "batch", "expected --set KEY=VALUE"},
        {NULL, "optimizer.nope=1", "optimizer.nope: unknown key"},
        {NULL, "optimizer=3", "optimizer: expected an object"},
        {NULL, "batch=lots", "batch: expected an integer, found \"lots\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pan_run_config c;
        memset(&c, 0x5a, sizeof c);
        pan_run_config before = c;
        char *canon = (char *)"untouched";
        char *sets[2] = {"model.checkpoint=x", (char *)cases[i].set};
        pan_status st = pan_run_config_build(cases[i].file, "bad.json", sets,
                                             cases[i].set ? 2 : 1, &c, &canon);
        CHECK(st == PAN_ERR_INVALID_ARGUMENT);
        CHECK(message_has(cases[i].names));
        CHECK(memcmp(&c, &before, sizeof c) == 0);
        CHECK(!strcmp(canon, "untouched"));
    }
    /* no starting checkpoint */
    pan_run_config c;
    CHECK_STATUS(pan_run_config_build(NULL, "none", NULL, 0, &c, NULL),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(message_has("model.checkpoint: required"));
    /* a canonical text must be complete */
    CHECK_STATUS(pan_run_config_parse("{\"stage\": \"vae\"}", "state", &c),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(message_has("state: model: missing"));
}

int main(void) {
    test_defaults_and_overlay();
    test_refused();
    return test_exit_code("test_run_config");
}
