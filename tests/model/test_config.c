/* tests/model/test_config.c: the model configuration -- defaults validate,
 * derived sizes, JSON round trip (bit-exact floats), and a table of bad
 * JSON texts and values, each INVALID_ARGUMENT naming the field, with the
 * output left untouched. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/config.h"
#include "tests/test_util.h"

static void check_defaults(void) {
    pan_model_config c;
    pan_model_config_default(&c);
    CHECK_STATUS(pan_model_config_validate(&c), PAN_OK);
    CHECK(c.vae.levels == 3 && c.vae.channel_mult[2] == 2);
    CHECK(pan_vae_level_channels(&c, 0) == 32 && pan_vae_level_channels(&c, 2) == 64);
    CHECK(pan_latent_height(&c) == 16 && pan_latent_width(&c) == 16);
    CHECK(pan_encoder_patches(&c) == 64);
    CHECK(pan_state_tokens(&c) == 16);
    CHECK(pan_backbone_head_dim(&c) == 32);
    CHECK(pan_backbone_max_round_tokens(&c) == 32 + 256 + 16 + 5);
    CHECK_STATUS(pan_model_config_validate(NULL), PAN_ERR_INVALID_ARGUMENT);
}

static void round_trip(const pan_model_config *c) {
    char *json = pan_model_config_to_json(c);
    CHECK(json != NULL);
    if (!json) return;
    pan_model_config back;
    memset(&back, 0, sizeof back);
    CHECK_STATUS(pan_model_config_from_json(&back, json, strlen(json), NULL), PAN_OK);
    CHECK(memcmp(&back, c, sizeof back) == 0);
    free(json);
}

static void check_round_trips(void) {
    pan_model_config c;
    pan_model_config_default(&c);
    round_trip(&c);
    /* Awkward floats and a 4-level VAE. */
    c.vae.channel_mult[0] = 1;
    c.vae.channel_mult[1] = 2;
    c.vae.channel_mult[2] = 4;
    c.vae.channel_mult[3] = 4;
    c.vae.levels = 4;
    c.frame.height = c.frame.width = 128;
    c.vae.norm_eps = 1.2345678e-5f;
    c.vae.scaling_factor = 0.18215f;
    c.encoder.rope_theta = 123456.789f;
    c.encoder.norm_eps = 3e-38f;
    c.backbone.rope_theta = 1e30f;
    c.backbone.norm_eps = 0.1f;
    CHECK_STATUS(pan_model_config_validate(&c), PAN_OK);
    round_trip(&c);
    /* The default text is what docs/model.md shows, modulo float form. */
    pan_model_config_default(&c);
    char *json = pan_model_config_to_json(&c);
    CHECK(json && strstr(json, "\"norm_eps\": 1e-06") && strstr(json, "\"format\": \"pan-glp\""));
    free(json);
}

/* Sets `path` ("a.b") of the default config JSON to `value` (JSON text;
 * NULL deletes the key) and returns the text (malloc'd). */
static char *mutated(const char *path, const char *value) {
    pan_model_config c;
    pan_model_config_default(&c);
    char *text = pan_model_config_to_json(&c);
    json_t *root = json_loads(text, 0, NULL);
    free(text);
    char key[64];
    snprintf(key, sizeof key, "%s", path);
    json_t *obj = root;
    char *dot = strchr(key, '.');
    if (dot) {
        *dot = '\0';
        obj = json_object_get(root, key);
        memmove(key, dot + 1, strlen(dot + 1) + 1);
    }
    if (value)
        json_object_set_new(obj, key, json_loads(value, JSON_DECODE_ANY, NULL));
    else
        json_object_del(obj, key);
    text = json_dumps(root, JSON_PRESERVE_ORDER);
    json_decref(root);
    return text;
}

typedef struct bad_value {
    const char *path, *value; /* value NULL: key deleted */
    const char *expect;       /* substring: the field and what is wrong */
} bad_value;

static const bad_value bad_values[] = {
    {"backbone.heads", "\"8\"", "backbone.heads: expected an integer, found \"8\""},
    {"backbone.heads", "8.0", "backbone.heads: expected an integer, found 8.0"},
    {"backbone.heads", "true", "backbone.heads: expected an integer"},
    {"backbone.heads", "7", "backbone.heads: expected a divisor of backbone.dim"},
    {"backbone.heads", "0", "backbone.heads: expected an integer in 1..16384, found 0"},
    {"backbone.heads", NULL, "backbone.heads: missing"},
    {"backbone.kv_heads", "3", "backbone.kv_heads: expected a divisor of backbone.heads"},
    {"backbone.dim", "99999999999", "backbone.dim: expected a 32-bit integer"},
    {"backbone.dim", "20000", "backbone.dim: expected an integer in 1..16384"},
    {"backbone.layers", "300", "backbone.layers: expected an integer in 1..256"},
    {"backbone.layers", "-1", "backbone.layers"},
    {"backbone.max_rounds", "1", "backbone.max_rounds: expected an integer in 2.."},
    {"backbone.queries", "0", "backbone.queries"},
    {"backbone.intermediate", "null", "backbone.intermediate: expected an integer, found null"},
    {"backbone.rope_theta", "\"1e6\"", "backbone.rope_theta: expected a number"},
    {"backbone.norm_eps", "0", "backbone.norm_eps: expected a finite number > 0"},
    {"backbone.extra", "1", "backbone.extra: unknown key"},
    {"tokenizer.vocab_size", "261", "tokenizer.vocab_size: expected an integer in 262.."},
    {"tokenizer.vocab_size", "2000000", "tokenizer.vocab_size"},
    {"tokenizer.max_action_bytes", "65537", "tokenizer.max_action_bytes"},
    {"tokenizer.max_action_bytes", "0", "tokenizer.max_action_bytes"},
    {"frame.height", "60", "frame.height: expected a multiple of"},
    {"frame.width", "0", "frame.width"},
    {"frame.channels", "[3]", "frame.channels: expected an integer, found [3]"},
    {"frame.chunk_frames", "0", "frame.chunk_frames"},
    {"vae.channel_mult", "[]", "vae.channel_mult: expected an array of 1..4"},
    {"vae.channel_mult", "[1, 2, 2, 2, 2]", "vae.channel_mult: expected an array of 1..4"},
    {"vae.channel_mult", "[1, \"2\"]", "vae.channel_mult[1]: expected an integer"},
    {"vae.channel_mult", "[1, 0]", "vae.channel_mult[1]: expected an integer in 1..64"},
    {"vae.channel_mult", "2", "vae.channel_mult: expected an array"},
    {"vae.norm_groups", "5", "vae.norm_groups: expected a divisor"},
    {"vae.norm_eps", "-1e-6", "vae.norm_eps"},
    {"vae.scaling_factor", "\"1\"", "vae.scaling_factor: expected a number"},
    {"vae.res_blocks", "5", "vae.res_blocks"},
    {"vae.base_channels", "10000", "vae.channel_mult[1]: expected base_channels"},
    {"encoder.heads", "3", "encoder.heads: expected a divisor of encoder.dim"},
    {"encoder.heads", "64", "encoder.heads"}, /* head dim 2: not a multiple of 4 */
    {"encoder.patch", "3", "frame.height: expected a multiple of"},
    {"encoder.dim", "0", "encoder.dim"},
    {"encoder.rope_theta", "1e39", "encoder.rope_theta: expected a number in float range"},
    {"encoder.merge", NULL, "encoder.merge: missing"},
    {"encoder", "3", "config encoder: expected an object, found 3"},
    {"backbone", NULL, "config backbone: missing"},
    {"format", "\"pan-xyz\"", "config format: expected \"pan-glp\", found \"pan-xyz\""},
    {"version", "2", "config version: expected 1, found 2"},
    {"version", "\"1\"", "config version: expected an integer"},
    {"comment", "\"hi\"", "config comment: unknown key"},
};

static void check_bad(const char *text, size_t length, const char *expect,
                      const char *label) {
    pan_model_config out;
    memset(&out, 0xAB, sizeof out);
    pan_model_config before = out;
    pan_error_clear();
    pan_status st = pan_model_config_from_json(&out, text, length, "ckpt.st");
    const char *msg = pan_error_message();
    int ok = st == PAN_ERR_INVALID_ARGUMENT && strstr(msg, expect) != NULL &&
             strncmp(msg, "ckpt.st: ", 9) == 0 &&
             memcmp(&out, &before, sizeof out) == 0;
    printf("%-28s %s\n", label, msg);
    if (!ok) {
        fprintf(stderr, "case %s: got %s '%s', expected INVALID_ARGUMENT with "
                        "'%s'\n", label, pan_status_name(st), msg, expect);
        CHECK(ok);
    }
}

static void check_bad_values(void) {
    for (size_t i = 0; i < sizeof bad_values / sizeof *bad_values; i++) {
        const bad_value *b = &bad_values[i];
        char *text = mutated(b->path, b->value);
        char label[96];
        snprintf(label, sizeof label, "%s=%s", b->path, b->value ? b->value : "(deleted)");
        check_bad(text, strlen(text), b->expect, label);
        free(text);
    }
}

static void check_bad_texts(void) {
    pan_model_config c;
    pan_model_config_default(&c);
    char *good = pan_model_config_to_json(&c);
    size_t n = strlen(good);
    check_bad("", 0, "config: invalid JSON", "empty");
    check_bad("not json", 8, "config: invalid JSON at line 1", "words");
    check_bad("[1, 2]", 6, "config: expected an object, found [1,2]", "array");
    check_bad(good, n / 2, "config: invalid JSON", "truncated");
    /* A duplicate key. */
    char *dup = malloc(n + 64);
    snprintf(dup, n + 64, "{\"version\": 1, %s", good + 1);
    check_bad(dup, strlen(dup), "duplicate", "duplicate key");
    /* The explicit length is honoured: trailing garbage past it is unseen. */
    char *padded = malloc(n + 16);
    memcpy(padded, good, n);
    memcpy(padded + n, "garbage", 8);
    pan_model_config out;
    CHECK_STATUS(pan_model_config_from_json(&out, padded, n, NULL), PAN_OK);
    CHECK_STATUS(pan_model_config_from_json(&out, padded, n + 7, NULL),
                 PAN_ERR_INVALID_ARGUMENT);
    /* No `where`: the message starts with "config". */
    CHECK(strncmp(pan_error_message(), "config", 6) == 0);
    free(padded);
    free(dup);
    free(good);
}

static void check_validate_direct(void) {
    pan_model_config c;
    pan_model_config_default(&c);
    c.backbone.kv_heads = 0;
    CHECK_STATUS(pan_model_config_validate(&c), PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "backbone.kv_heads") != NULL);
    pan_model_config_default(&c);
    c.vae.levels = 5;
    CHECK_STATUS(pan_model_config_validate(&c), PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "vae.channel_mult") != NULL);
    pan_model_config_default(&c);
    c.encoder.norm_eps = NAN;
    CHECK_STATUS(pan_model_config_validate(&c), PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "encoder.norm_eps") != NULL);
}

int main(void) {
    check_defaults();
    check_round_trips();
    check_bad_values();
    check_bad_texts();
    check_validate_direct();
    return test_exit_code("test_config");
}
