/* tests/model/test_checkpoint_errors.c: table-driven corrupt, truncated
 * and mismatched checkpoints. A valid tiny checkpoint is saved, each case
 * damages a copy (raw bytes, one header edit, or a hand-written variant)
 * and pan_model_load must fail with the right code and a message naming
 * the file, the tensor and the field -- and leave *out untouched. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/model/ckpt_mutate.h"
#include "core/model/model.h"
#include "tests/test_util.h"

/* ---- raw byte mutations: base -> out (malloc'd) ---- */

static uint64_t header_len(const ckpt_bytes *b) {
    uint64_t hl;
    memcpy(&hl, b->data, 8);
    return hl;
}

static int copy_prefix(const ckpt_bytes *b, ckpt_bytes *out, size_t size) {
    out->data = malloc(size + 64);
    out->size = size;
    if (!out->data) return -1;
    memcpy(out->data, b->data, size < b->size ? size : b->size);
    if (size > b->size) memset(out->data + b->size, 0, size - b->size);
    return 0;
}

static int trunc_0(const ckpt_bytes *b, ckpt_bytes *o) { return copy_prefix(b, o, 0); }
static int trunc_5(const ckpt_bytes *b, ckpt_bytes *o) { return copy_prefix(b, o, 5); }
static int trunc_mid_header(const ckpt_bytes *b, ckpt_bytes *o) {
    return copy_prefix(b, o, 8 + header_len(b) / 2);
}
static int trunc_no_data(const ckpt_bytes *b, ckpt_bytes *o) {
    return copy_prefix(b, o, 8 + header_len(b));
}
static int trunc_last_100(const ckpt_bytes *b, ckpt_bytes *o) {
    return copy_prefix(b, o, b->size - 100);
}
static int append_64(const ckpt_bytes *b, ckpt_bytes *o) {
    return copy_prefix(b, o, b->size + 64);
}

static int set_header_len(const ckpt_bytes *b, ckpt_bytes *o, uint64_t hl) {
    if (copy_prefix(b, o, b->size)) return -1;
    memcpy(o->data, &hl, 8);
    return 0;
}
static int hl_0(const ckpt_bytes *b, ckpt_bytes *o) { return set_header_len(b, o, 0); }
static int hl_1(const ckpt_bytes *b, ckpt_bytes *o) { return set_header_len(b, o, 1); }
static int hl_huge(const ckpt_bytes *b, ckpt_bytes *o) {
    return set_header_len(b, o, (uint64_t)1 << 40);
}
static int hl_past_eof(const ckpt_bytes *b, ckpt_bytes *o) {
    return set_header_len(b, o, b->size - 7);
}

/* Header text replaced by `text`, data kept. */
static int with_header_text(const ckpt_bytes *b, ckpt_bytes *o, const char *text) {
    uint64_t old = header_len(b), hl = strlen(text);
    size_t data = b->size - 8 - old;
    o->size = 8 + hl + data;
    o->data = malloc(o->size);
    if (!o->data) return -1;
    memcpy(o->data, &hl, 8);
    memcpy(o->data + 8, text, hl);
    memcpy(o->data + 8 + hl, b->data + 8 + old, data);
    return 0;
}

static int json_syntax(const ckpt_bytes *b, ckpt_bytes *o) {
    if (copy_prefix(b, o, b->size)) return -1;
    char *colon = memchr(o->data + 8, ':', header_len(b));
    if (colon) *colon = ' ';
    return 0;
}

static int not_object(const ckpt_bytes *b, ckpt_bytes *o) {
    return with_header_text(b, o, "[1, 2, 3]");
}

/* The entry of model.norm.weight written twice. */
static int duplicate_key(const ckpt_bytes *b, ckpt_bytes *o) {
    json_t *h;
    const unsigned char *data;
    size_t data_size;
    if (ckpt_split(b, &h, &data, &data_size)) return -1;
    char *entry = json_dumps(json_object_get(h, "model.norm.weight"), JSON_COMPACT);
    char *all = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER);
    size_t n = strlen(entry) + strlen(all) + 64;
    char *text = malloc(n);
    snprintf(text, n, "{\"model.norm.weight\":%s,%s", entry, all + 1);
    int rc = with_header_text(b, o, text);
    free(text);
    free(all);
    free(entry);
    json_decref(h);
    return rc;
}

/* ---- header edits ---- */

/* data_offsets edits: "@shift=N", "@end=N" (end moved by N), "@reverse". */
static void edit_offsets(json_t *offsets, const char *how) {
    json_int_t b = json_integer_value(json_array_get(offsets, 0));
    json_int_t e = json_integer_value(json_array_get(offsets, 1));
    if (!strncmp(how, "@shift=", 7)) {
        b += atoll(how + 7);
        e += atoll(how + 7);
    } else if (!strncmp(how, "@end=", 5)) {
        e += atoll(how + 5);
    } else if (!strcmp(how, "@reverse")) {
        json_int_t t = b;
        b = e;
        e = t;
    }
    json_array_set_new(offsets, 0, json_integer(b));
    json_array_set_new(offsets, 1, json_integer(e));
}

/* pan.config edit "@config:section.key=JSON". */
static void edit_config(json_t *meta, const char *how) {
    const char *text = json_string_value(json_object_get(meta, "pan.config"));
    json_t *cfg = json_loads(text, 0, NULL);
    char section[64], key[64];
    const char *eq = strchr(how, '='), *dot = strchr(how, '.');
    snprintf(section, sizeof section, "%.*s", (int)(dot - how - 8), how + 8);
    snprintf(key, sizeof key, "%.*s", (int)(eq - dot - 1), dot + 1);
    json_object_set_new(json_object_get(cfg, section), key,
                        json_loads(eq + 1, JSON_DECODE_ANY, NULL));
    char *dumped = json_dumps(cfg, JSON_PRESERVE_ORDER);
    json_object_set_new(meta, "pan.config", json_string(dumped));
    free(dumped);
    json_decref(cfg);
}

/* header[key][field] = value (JSON text or an @edit); NULL value deletes;
 * NULL field edits header[key] itself. */
static int edit_header(const ckpt_bytes *b, const char *path, const char *key,
                       const char *field, const char *value) {
    json_t *h;
    const unsigned char *data;
    size_t data_size;
    if (ckpt_split(b, &h, &data, &data_size)) return -1;
    json_t *target = field ? json_object_get(h, key) : h;
    const char *name = field ? field : key;
    if (!value)
        json_object_del(target, name);
    else if (!strncmp(value, "@config:", 8))
        edit_config(target, value);
    else if (value[0] == '@')
        edit_offsets(json_object_get(target, name), value);
    else
        json_object_set_new(target, name, json_loads(value, JSON_DECODE_ANY, NULL));
    int rc = ckpt_join(path, h, data, data_size);
    json_decref(h);
    return rc;
}

/* ---- the table ---- */

typedef struct err_case {
    const char *name;
    int (*raw)(const ckpt_bytes *base, ckpt_bytes *out); /* or NULL */
    const char *key, *field, *value;  /* a header edit when key != NULL */
    const ckpt_custom *custom;        /* a hand-written variant */
    pan_status want;
    const char *expect[3];            /* substrings of the message */
} err_case;

#define DL PAN_ERR_DATA_LOSS
#define NORM "model.norm.weight"
#define META "__metadata__"

static const ckpt_custom drop_norm = {.drop = NORM};
static const ckpt_custom extra_lm_head = {.extra = "lm_head.weight"};
static const ckpt_custom flat_up = {.reshape = "model.layers.0.mlp.up_proj.weight",
                                    .new_ndim = 1, .new_shape = {1024}};

static const err_case cases[] = {
    /* truncation and header length */
    {"trunc0", trunc_0, .want = DL, .expect = {"0 bytes", "at least 8"}},
    {"trunc5", trunc_5, .want = DL, .expect = {"5 bytes", "at least 8"}},
    {"trunc_header", trunc_mid_header, .want = DL,
     .expect = {"header length", "past the end of the file"}},
    {"trunc_no_data", trunc_no_data, .want = DL,
     .expect = {"'vae.encoder.conv_in.weight'", "'data_offsets'", "past the data region"}},
    {"trunc_data", trunc_last_100, .want = DL,
     .expect = {"'decoder.final.linear.weight'", "'data_offsets'", "past the data region"}},
    {"hl0", hl_0, .want = DL, .expect = {"header length 0", "expected 2..100000000"}},
    {"hl1", hl_1, .want = DL, .expect = {"header length 1", "expected 2.."}},
    {"hl_huge", hl_huge, .want = DL, .expect = {"header length 1099511627776"}},
    {"hl_past_eof", hl_past_eof, .want = DL, .expect = {"past the end of the file"}},
    {"leftover", append_64, .want = DL,
     .expect = {"'data_offsets'", "64 bytes unaccounted"}},
    /* JSON */
    {"syntax", json_syntax, .want = DL, .expect = {"header JSON", "line 1"}},
    {"duplicate", duplicate_key, .want = DL, .expect = {"header JSON", "duplicate"}},
    {"not_object", not_object, .want = DL, .expect = {"expected a JSON object", "[1,2,3]"}},
    /* entries */
    {"entry_number", NULL, NORM, NULL, "3", .want = DL,
     .expect = {"'" NORM "'", "expected an object"}},
    {"no_dtype", NULL, NORM, "dtype", NULL, .want = DL,
     .expect = {"'" NORM "'", "'dtype'", "missing"}},
    {"no_shape", NULL, NORM, "shape", NULL, .want = DL,
     .expect = {"'" NORM "'", "'shape'", "missing"}},
    {"no_offsets", NULL, NORM, "data_offsets", NULL, .want = DL,
     .expect = {"'" NORM "'", "'data_offsets'", "missing"}},
    {"extra_field", NULL, NORM, "scale", "1.5", .want = DL,
     .expect = {"'" NORM "'", "'scale'", "unexpected field"}},
    {"dtype_i64", NULL, NORM, "dtype", "\"I64\"", .want = PAN_ERR_UNIMPLEMENTED,
     .expect = {"'" NORM "'", "'dtype'", "I64"}},
    {"dtype_f99", NULL, NORM, "dtype", "\"F99\"", .want = DL,
     .expect = {"'" NORM "'", "'dtype'", "\"F99\""}},
    {"dtype_number", NULL, NORM, "dtype", "32", .want = DL,
     .expect = {"'" NORM "'", "'dtype'", "expected a string"}},
    {"shape_negative", NULL, NORM, "shape", "[-32]", .want = DL,
     .expect = {"'" NORM "'", "'shape'", "-32"}},
    {"shape_float", NULL, NORM, "shape", "[32.0]", .want = DL,
     .expect = {"'" NORM "'", "'shape'", "non-negative integer"}},
    {"shape_5d", NULL, NORM, "shape", "[1, 1, 1, 1, 32]", .want = DL,
     .expect = {"'" NORM "'", "'shape'", "at most 4"}},
    {"offsets_3", NULL, NORM, "data_offsets", "[0, 4, 8]", .want = DL,
     .expect = {"'" NORM "'", "'data_offsets'", "[begin, end]"}},
    {"offsets_reversed", NULL, NORM, "data_offsets", "@reverse", .want = DL,
     .expect = {"'" NORM "'", "'data_offsets'", "is after end"}},
    {"offsets_overlap", NULL, NORM, "data_offsets", "@shift=-4", .want = DL,
     .expect = {"'" NORM "'", "'data_offsets'", "overlaps tensor"}},
    {"offsets_hole", NULL, NORM, "data_offsets", "@shift=4", .want = DL,
     .expect = {"'" NORM "'", "'data_offsets'", "hole of 4 bytes"}},
    {"offsets_past_end", NULL, "decoder.final.linear.bias", "data_offsets", "@shift=4096",
     .want = DL, .expect = {"'decoder.final.linear.bias'", "'data_offsets'", "past the data region"}},
    {"offsets_size", NULL, NORM, "data_offsets", "@end=-4", .want = DL,
     .expect = {"'" NORM "'", "'data_offsets'", "expected 128"}},
    /* metadata and config */
    {"no_metadata", NULL, META, NULL, NULL, .want = DL,
     .expect = {"'__metadata__'", "'pan.config'"}},
    {"no_config", NULL, META, "pan.config", NULL, .want = DL,
     .expect = {"'__metadata__'", "'pan.config'"}},
    {"metadata_number", NULL, META, "pan.note", "7", .want = DL,
     .expect = {"'__metadata__'", "'pan.note'", "expected a string"}},
    {"config_syntax", NULL, META, "pan.config", "\"{\"", .want = DL,
     .expect = {"'pan.config'", "invalid JSON"}},
    {"config_invalid", NULL, META, "pan.config", "@config:backbone.heads=3", .want = DL,
     .expect = {"'pan.config'", "backbone.heads"}},
    {"config_type", NULL, META, "pan.config", "@config:backbone.layers=\"1\"", .want = DL,
     .expect = {"'pan.config'", "backbone.layers", "expected an integer"}},
    {"config_shapes", NULL, META, "pan.config", "@config:backbone.intermediate=48",
     .want = DL,
     .expect = {"'model.layers.0.mlp.gate_proj.weight'", "'shape'",
                "has shape [32,32], config says [48,32]"}},
    {"trained_bad", NULL, META, "pan.trained", "\"maybe\"", .want = DL,
     .expect = {"'pan.trained'", "\"maybe\""}},
    /* tensors vs the config */
    {"missing_tensor", .custom = &drop_norm, .want = DL,
     .expect = {"'" NORM "'", "is missing", "[32]"}},
    {"extra_tensor", .custom = &extra_lm_head, .want = DL,
     .expect = {"'lm_head.weight'", "not a parameter"}},
    {"wrong_shape", .custom = &flat_up, .want = DL,
     .expect = {"'model.layers.0.mlp.up_proj.weight'", "has shape [1024], config says [32,32]"}},
};

static void run_case(const err_case *c, const ckpt_bytes *base,
                     const pan_model *model, const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s.safetensors", dir, c->name);
    int rc = 0;
    if (c->raw) {
        ckpt_bytes out = {0};
        rc = c->raw(base, &out);
        if (rc == 0) rc = ckpt_write_file(path, out.data, out.size);
        ckpt_bytes_free(&out);
    } else if (c->custom) {
        rc = ckpt_write_custom(path, model, c->custom);
    } else {
        rc = edit_header(base, path, c->key, c->field, c->value);
    }
    if (rc != 0) {
        fprintf(stderr, "case %s: could not build the file\n", c->name);
        CHECK(rc == 0);
        return;
    }
    pan_model *sentinel = (pan_model *)(uintptr_t)0x5EAu, *m = sentinel;
    pan_error_clear();
    pan_status st = pan_model_load(&m, path);
    const char *msg = pan_error_message();
    int ok = st == c->want && m == sentinel && strstr(msg, path) != NULL;
    for (int i = 0; i < 3 && c->expect[i]; i++)
        if (!strstr(msg, c->expect[i])) ok = 0;
    printf("%-18s %-16s %s\n", c->name, pan_status_name(st), msg);
    if (!ok) {
        fprintf(stderr, "case %s: want %s with [%s] [%s] [%s] and the path\n",
                c->name, pan_status_name(c->want), c->expect[0],
                c->expect[1] ? c->expect[1] : "", c->expect[2] ? c->expect[2] : "");
        CHECK(ok);
    }
    if (st == PAN_OK && m != sentinel) pan_model_destroy(m);
    unlink(path);
}

/* Truncation anywhere is DATA_LOSS; random header bytes flipped never
 * crash and give OK, DATA_LOSS or UNIMPLEMENTED. */
static void check_truncations_and_flips(const ckpt_bytes *base, const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/cut.safetensors", dir);
    int all_data_loss = 1;
    for (size_t size = 0; size < base->size; size += 1 + size / 3) {
        if (ckpt_write_file(path, base->data, size) != 0) break;
        pan_model *m = NULL;
        pan_status st = pan_model_load(&m, path);
        if (st != PAN_ERR_DATA_LOSS || !strstr(pan_error_message(), path)) {
            fprintf(stderr, "truncated to %zu: %s %s\n", size,
                    pan_status_name(st), pan_error_message());
            all_data_loss = 0;
        }
        pan_model_destroy(m);
    }
    CHECK(all_data_loss);

    test_rng rng = {99};
    uint64_t hl = header_len(base);
    ckpt_bytes copy = {0};
    int bad_status = 0, failures = 0;
    for (int i = 0; i < 300 && copy_prefix(base, &copy, base->size) == 0; i++) {
        for (int k = 0; k < 1 + i % 3; k++) {
            size_t at = 8 + (size_t)(test_rng_next(&rng) % hl);
            copy.data[at] = (unsigned char)test_rng_next(&rng);
        }
        if (ckpt_write_file(path, copy.data, copy.size) != 0) break;
        ckpt_bytes_free(&copy);
        pan_model *m = NULL;
        pan_status st = pan_model_load(&m, path);
        if (st != PAN_OK) failures++;
        if (st != PAN_OK && st != PAN_ERR_DATA_LOSS && st != PAN_ERR_UNIMPLEMENTED)
            bad_status = 1;
        pan_model_destroy(m);
    }
    ckpt_bytes_free(&copy);
    CHECK(!bad_status);
    CHECK(failures > 150); /* most flips in a JSON header break it */
    printf("header flips: %d of 300 rejected\n", failures);
    unlink(path);
}

int main(void) {
    char dir[] = "/tmp/pan_ckpt_errors_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    pan_model_config cfg;
    ckpt_tiny_config(&cfg);
    pan_model *model = NULL;
    CHECK_STATUS(pan_model_create_random(&model, &cfg, 7), PAN_OK);
    if (!model) return test_exit_code("test_checkpoint_errors");
    char base_path[512];
    snprintf(base_path, sizeof base_path, "%s/base.safetensors", dir);
    CHECK_STATUS(pan_model_save(model, base_path, "base"), PAN_OK);
    ckpt_bytes base = {0};
    CHECK(ckpt_read_file(base_path, &base) == 0);

    /* The unmodified file and an unpadded hand-written copy both load. */
    pan_model *m = NULL;
    CHECK_STATUS(pan_model_load(&m, base_path), PAN_OK);
    pan_model_destroy(m);
    char plain[512];
    snprintf(plain, sizeof plain, "%s/plain.safetensors", dir);
    CHECK(ckpt_write_custom(plain, model, &(ckpt_custom){0}) == 0);
    m = NULL;
    CHECK_STATUS(pan_model_load(&m, plain), PAN_OK);
    pan_model_destroy(m);
    unlink(plain);

    for (size_t i = 0; base.data && i < sizeof cases / sizeof *cases; i++)
        run_case(&cases[i], &base, model, dir);

    if (base.data) check_truncations_and_flips(&base, dir);

    /* A file that does not exist. */
    char missing[512];
    snprintf(missing, sizeof missing, "%s/none.safetensors", dir);
    m = (pan_model *)(uintptr_t)0x5EAu;
    CHECK_STATUS(pan_model_load(&m, missing), PAN_ERR_NOT_FOUND);
    CHECK(strstr(pan_error_message(), "none.safetensors") != NULL);
    CHECK(m == (pan_model *)(uintptr_t)0x5EAu);
    /* A directory is not a checkpoint. */
    CHECK_STATUS(pan_model_load(&m, dir), PAN_ERR_IO);

    ckpt_bytes_free(&base);
    pan_model_destroy(model);
    unlink(base_path);
    rmdir(dir);
    return test_exit_code("test_checkpoint_errors");
}
