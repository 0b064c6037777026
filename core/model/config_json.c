/* core/model/config_json.c: pan_model_config <-> JSON (docs/model.md,
 * "Configuration"). Strict reading with jansson: every key required, no
 * unknown keys, duplicate keys rejected, integers must be JSON integers;
 * errors name the JSON path ("backbone.heads"). Writing is by hand so that
 * floats come out in their shortest exact form ("1e-06", not
 * "9.9999999747524271e-07"). */
#include "core/json_excerpt.h"
#include "core/model/config.h"

#include <float.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading ---- */

typedef struct cfg_reader {
    const char *where; /* message prefix, may be NULL */
} cfg_reader;

/* Sets "[where: ]config <path>: <message>" and returns INVALID_ARGUMENT. */
static pan_status fail(const cfg_reader *r, const char *path, const char *fmt,
                       ...) __attribute__((format(printf, 3, 4)));
static pan_status fail(const cfg_reader *r, const char *path, const char *fmt,
                       ...) {
    char text[PAN_ERROR_MESSAGE_MAX];
    va_list args;
    va_start(args, fmt);
    vsnprintf(text, sizeof text, fmt, args);
    va_end(args);
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "%s%sconfig%s%s: %s",
                         r->where ? r->where : "", r->where ? ": " : "",
                         path[0] ? " " : "", path, text);
}

static void join_path(char *out, size_t size, const char *path,
                      const char *key) {
    snprintf(out, size, "%s%s%s", path, path[0] ? "." : "", key);
}

/* `obj` must be an object holding exactly `keys`. */
static pan_status check_object(const cfg_reader *r, const json_t *obj,
                               const char *path, const char *const *keys,
                               int nkeys) {
    char found[80];
    if (!json_is_object(obj))
        return fail(r, path, "expected an object, found %s",
                    pan_json_excerpt(obj, found, sizeof found));
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)obj, key, value) {
        int known = 0;
        for (int i = 0; i < nkeys && !known; i++) known = !strcmp(key, keys[i]);
        if (!known) {
            char list[256] = "", sub[128];
            for (int i = 0; i < nkeys; i++) {
                size_t used = strlen(list);
                snprintf(list + used, sizeof list - used, "%s%s",
                         i ? ", " : "", keys[i]);
            }
            join_path(sub, sizeof sub, path, key);
            return fail(r, sub, "unknown key (expected only: %s)", list);
        }
    }
    for (int i = 0; i < nkeys; i++) {
        if (!json_object_get(obj, keys[i])) {
            char sub[128];
            join_path(sub, sizeof sub, path, keys[i]);
            return fail(r, sub, "missing (every key is required)");
        }
    }
    return PAN_OK;
}

static pan_status get_int(const cfg_reader *r, const json_t *obj,
                          const char *path, const char *key, int *out) {
    char sub[128], found[80];
    join_path(sub, sizeof sub, path, key);
    const json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v))
        return fail(r, sub, "expected an integer, found %s",
                    pan_json_excerpt(v, found, sizeof found));
    json_int_t x = json_integer_value(v);
    if (x < INT_MIN || x > INT_MAX)
        return fail(r, sub, "expected a 32-bit integer, found %lld",
                    (long long)x);
    *out = (int)x;
    return PAN_OK;
}

static pan_status get_float(const cfg_reader *r, const json_t *obj,
                            const char *path, const char *key, float *out) {
    char sub[128], found[80];
    join_path(sub, sizeof sub, path, key);
    const json_t *v = json_object_get(obj, key);
    if (!json_is_number(v))
        return fail(r, sub, "expected a number, found %s",
                    pan_json_excerpt(v, found, sizeof found));
    double x = json_number_value(v);
    if (!(fabs(x) <= FLT_MAX))
        return fail(r, sub, "expected a number in float range, found %s",
                    pan_json_excerpt(v, found, sizeof found));
    *out = (float)x;
    return PAN_OK;
}

#define TRY(expr)                                                              \
    do {                                                                       \
        pan_status st_ = (expr);                                               \
        if (st_ != PAN_OK) return st_;                                         \
    } while (0)
#define NKEYS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static pan_status read_frame(const cfg_reader *r, const json_t *o,
                             pan_frame_config *f) {
    static const char *const keys[] = {"height", "width", "channels",
                                       "chunk_frames"};
    TRY(check_object(r, o, "frame", keys, NKEYS(keys)));
    TRY(get_int(r, o, "frame", "height", &f->height));
    TRY(get_int(r, o, "frame", "width", &f->width));
    TRY(get_int(r, o, "frame", "channels", &f->channels));
    return get_int(r, o, "frame", "chunk_frames", &f->chunk_frames);
}

static pan_status read_tokenizer(const cfg_reader *r, const json_t *o,
                                 pan_tokenizer_config *t) {
    static const char *const keys[] = {"vocab_size", "max_action_bytes"};
    TRY(check_object(r, o, "tokenizer", keys, NKEYS(keys)));
    TRY(get_int(r, o, "tokenizer", "vocab_size", &t->vocab_size));
    return get_int(r, o, "tokenizer", "max_action_bytes", &t->max_action_bytes);
}

static pan_status read_channel_mult(const cfg_reader *r, const json_t *a,
                                    pan_vae_config *v) {
    char found[80];
    if (!json_is_array(a) || json_array_size(a) < 1 ||
        json_array_size(a) > PAN_VAE_MAX_LEVELS)
        return fail(r, "vae.channel_mult",
                    "expected an array of 1..%d integers, found %s",
                    PAN_VAE_MAX_LEVELS, pan_json_excerpt(a, found, sizeof found));
    v->levels = (int)json_array_size(a);
    for (int i = 0; i < v->levels; i++) {
        const json_t *x = json_array_get(a, (size_t)i);
        char sub[40];
        snprintf(sub, sizeof sub, "vae.channel_mult[%d]", i);
        if (!json_is_integer(x) || json_integer_value(x) < INT_MIN ||
            json_integer_value(x) > INT_MAX)
            return fail(r, sub, "expected an integer, found %s",
                        pan_json_excerpt(x, found, sizeof found));
        v->channel_mult[i] = (int)json_integer_value(x);
    }
    return PAN_OK;
}

static pan_status read_vae(const cfg_reader *r, const json_t *o,
                           pan_vae_config *v) {
    static const char *const keys[] = {
        "base_channels", "channel_mult", "res_blocks",     "latent_channels",
        "norm_groups",   "norm_eps",     "scaling_factor"};
    TRY(check_object(r, o, "vae", keys, NKEYS(keys)));
    TRY(get_int(r, o, "vae", "base_channels", &v->base_channels));
    TRY(read_channel_mult(r, json_object_get(o, "channel_mult"), v));
    TRY(get_int(r, o, "vae", "res_blocks", &v->res_blocks));
    TRY(get_int(r, o, "vae", "latent_channels", &v->latent_channels));
    TRY(get_int(r, o, "vae", "norm_groups", &v->norm_groups));
    TRY(get_float(r, o, "vae", "norm_eps", &v->norm_eps));
    return get_float(r, o, "vae", "scaling_factor", &v->scaling_factor);
}

static pan_status read_encoder(const cfg_reader *r, const json_t *o,
                               pan_encoder_config *e) {
    static const char *const keys[] = {"patch",   "dim",   "layers",
                                       "heads",   "mlp_dim", "merge",
                                       "rope_theta", "norm_eps"};
    TRY(check_object(r, o, "encoder", keys, NKEYS(keys)));
    TRY(get_int(r, o, "encoder", "patch", &e->patch));
    TRY(get_int(r, o, "encoder", "dim", &e->dim));
    TRY(get_int(r, o, "encoder", "layers", &e->layers));
    TRY(get_int(r, o, "encoder", "heads", &e->heads));
    TRY(get_int(r, o, "encoder", "mlp_dim", &e->mlp_dim));
    TRY(get_int(r, o, "encoder", "merge", &e->merge));
    TRY(get_float(r, o, "encoder", "rope_theta", &e->rope_theta));
    return get_float(r, o, "encoder", "norm_eps", &e->norm_eps);
}

static pan_status read_backbone(const cfg_reader *r, const json_t *o,
                                pan_backbone_config *b) {
    static const char *const keys[] = {
        "dim",        "layers",   "heads",   "kv_heads",  "intermediate",
        "rope_theta", "norm_eps", "queries", "max_rounds"};
    TRY(check_object(r, o, "backbone", keys, NKEYS(keys)));
    TRY(get_int(r, o, "backbone", "dim", &b->dim));
    TRY(get_int(r, o, "backbone", "layers", &b->layers));
    TRY(get_int(r, o, "backbone", "heads", &b->heads));
    TRY(get_int(r, o, "backbone", "kv_heads", &b->kv_heads));
    TRY(get_int(r, o, "backbone", "intermediate", &b->intermediate));
    TRY(get_float(r, o, "backbone", "rope_theta", &b->rope_theta));
    TRY(get_float(r, o, "backbone", "norm_eps", &b->norm_eps));
    TRY(get_int(r, o, "backbone", "queries", &b->queries));
    return get_int(r, o, "backbone", "max_rounds", &b->max_rounds);
}

static pan_status read_decoder(const cfg_reader *r, const json_t *o,
                               pan_decoder_config *g) {
    static const char *const keys[] = {
        "patch",    "dim",   "layers", "heads",     "mlp_dim",   "freq_dim",
        "norm_eps", "steps", "shift",  "cfg_scale", "cond_noise"};
    TRY(check_object(r, o, "decoder", keys, NKEYS(keys)));
    TRY(get_int(r, o, "decoder", "patch", &g->patch));
    TRY(get_int(r, o, "decoder", "dim", &g->dim));
    TRY(get_int(r, o, "decoder", "layers", &g->layers));
    TRY(get_int(r, o, "decoder", "heads", &g->heads));
    TRY(get_int(r, o, "decoder", "mlp_dim", &g->mlp_dim));
    TRY(get_int(r, o, "decoder", "freq_dim", &g->freq_dim));
    TRY(get_float(r, o, "decoder", "norm_eps", &g->norm_eps));
    TRY(get_int(r, o, "decoder", "steps", &g->steps));
    TRY(get_float(r, o, "decoder", "shift", &g->shift));
    TRY(get_float(r, o, "decoder", "cfg_scale", &g->cfg_scale));
    return get_float(r, o, "decoder", "cond_noise", &g->cond_noise);
}

static pan_status read_root(const cfg_reader *r, const json_t *root,
                            pan_model_config *c) {
    static const char *const keys[] = {"format",  "version", "frame",
                                       "tokenizer", "vae",   "encoder",
                                       "backbone", "decoder"};
    char found[80];
    /* Format and version first: a file of another kind says so. */
    const json_t *format = json_object_get(root, "format");
    if (json_is_object(root) && format &&
        (!json_is_string(format) ||
         strcmp(json_string_value(format), PAN_MODEL_FORMAT) != 0))
        return fail(r, "format", "expected \"%s\", found %s", PAN_MODEL_FORMAT,
                    pan_json_excerpt(format, found, sizeof found));
    int version = PAN_MODEL_FORMAT_VERSION;
    if (json_is_object(root) && json_object_get(root, "version"))
        TRY(get_int(r, root, "", "version", &version));
    if (version != PAN_MODEL_FORMAT_VERSION)
        return fail(r, "version", "expected %d, found %d",
                    PAN_MODEL_FORMAT_VERSION, version);
    TRY(check_object(r, root, "", keys, NKEYS(keys)));
    TRY(read_frame(r, json_object_get(root, "frame"), &c->frame));
    TRY(read_tokenizer(r, json_object_get(root, "tokenizer"), &c->tokenizer));
    TRY(read_vae(r, json_object_get(root, "vae"), &c->vae));
    TRY(read_encoder(r, json_object_get(root, "encoder"), &c->encoder));
    TRY(read_backbone(r, json_object_get(root, "backbone"), &c->backbone));
    return read_decoder(r, json_object_get(root, "decoder"), &c->decoder);
}

pan_status pan_model_config_from_json(pan_model_config *out, const char *json,
                                      size_t length, const char *where) {
    cfg_reader r = {.where = where};
    if (!out || (!json && length))
        return fail(&r, "", "expected JSON text and an output, found NULL");
    json_error_t err;
    json_t *root = json_loadb(json ? json : "", length, JSON_REJECT_DUPLICATES,
                              &err);
    if (!root)
        return fail(&r, "", "invalid JSON at line %d column %d: %s", err.line,
                    err.column, err.text);
    pan_model_config cfg = {0};
    pan_status st = read_root(&r, root, &cfg);
    json_decref(root);
    if (st != PAN_OK) return st;
    st = pan_model_config_validate(&cfg);
    if (st != PAN_OK) {
        if (where) {
            char inner[PAN_ERROR_MESSAGE_MAX];
            snprintf(inner, sizeof inner, "%s", pan_error_message());
            pan_error_set(st, "%s: %s", where, inner);
        }
        return st;
    }
    *out = cfg;
    return PAN_OK;
}

/* ---- writing ---- */

/* Shortest "%.*g" text that reads back as the same float (also through a
 * double, as jansson parses), always with a '.' or an exponent. */
static void format_float(char *buf, size_t size, float value) {
    if (!isfinite(value)) {
        snprintf(buf, size, "null"); /* not valid: from_json rejects it */
        return;
    }
    if (value == floorf(value) && fabsf(value) < 1e15f) {
        snprintf(buf, size, "%.1f", (double)value); /* 10000.0, exact */
        return;
    }
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(buf, size, "%.*g", digits, (double)value);
        if ((float)strtod(buf, NULL) == value) break;
    }
    if (!strpbrk(buf, ".e")) {
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, ".0");
    }
}

typedef struct text_buf {
    char *data;
    size_t used, size;
    int failed;
} text_buf;

static void put(text_buf *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void put(text_buf *t, const char *fmt, ...) {
    if (t->failed) return;
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(t->data + t->used, t->size - t->used, fmt, args);
    va_end(args);
    if (n < 0 || (size_t)n >= t->size - t->used)
        t->failed = 1;
    else
        t->used += (size_t)n;
}

char *pan_model_config_to_json(const pan_model_config *c) {
    text_buf t = {.data = malloc(4096), .size = 4096};
    if (!t.data) {
        pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                      "config to JSON: out of memory (4096 bytes)");
        return NULL;
    }
    char f1[32], f2[32], f3[32], f4[32], f5[32], f6[32];
    put(&t, "{\n  \"format\": \"%s\", \"version\": %d,\n", PAN_MODEL_FORMAT,
        PAN_MODEL_FORMAT_VERSION);
    put(&t,
        "  \"frame\": {\"height\": %d, \"width\": %d, \"channels\": %d, "
        "\"chunk_frames\": %d},\n",
        c->frame.height, c->frame.width, c->frame.channels,
        c->frame.chunk_frames);
    put(&t, "  \"tokenizer\": {\"vocab_size\": %d, \"max_action_bytes\": %d},\n",
        c->tokenizer.vocab_size, c->tokenizer.max_action_bytes);
    put(&t, "  \"vae\": {\"base_channels\": %d, \"channel_mult\": [",
        c->vae.base_channels);
    for (int i = 0; i < c->vae.levels && i < PAN_VAE_MAX_LEVELS; i++)
        put(&t, "%s%d", i ? ", " : "", c->vae.channel_mult[i]);
    format_float(f1, sizeof f1, c->vae.norm_eps);
    format_float(f2, sizeof f2, c->vae.scaling_factor);
    put(&t,
        "], \"res_blocks\": %d,\n          \"latent_channels\": %d, "
        "\"norm_groups\": %d, \"norm_eps\": %s,\n          "
        "\"scaling_factor\": %s},\n",
        c->vae.res_blocks, c->vae.latent_channels, c->vae.norm_groups, f1, f2);
    format_float(f3, sizeof f3, c->encoder.rope_theta);
    format_float(f4, sizeof f4, c->encoder.norm_eps);
    put(&t,
        "  \"encoder\": {\"patch\": %d, \"dim\": %d, \"layers\": %d, "
        "\"heads\": %d,\n              \"mlp_dim\": %d, \"merge\": %d, "
        "\"rope_theta\": %s,\n              \"norm_eps\": %s},\n",
        c->encoder.patch, c->encoder.dim, c->encoder.layers, c->encoder.heads,
        c->encoder.mlp_dim, c->encoder.merge, f3, f4);
    format_float(f5, sizeof f5, c->backbone.rope_theta);
    format_float(f6, sizeof f6, c->backbone.norm_eps);
    put(&t,
        "  \"backbone\": {\"dim\": %d, \"layers\": %d, \"heads\": %d, "
        "\"kv_heads\": %d,\n               \"intermediate\": %d, "
        "\"rope_theta\": %s,\n               \"norm_eps\": %s, "
        "\"queries\": %d, \"max_rounds\": %d},\n",
        c->backbone.dim, c->backbone.layers, c->backbone.heads,
        c->backbone.kv_heads, c->backbone.intermediate, f5, f6,
        c->backbone.queries, c->backbone.max_rounds);
    const pan_decoder_config *g = &c->decoder;
    char g1[32], g2[32], g3[32], g4[32];
    format_float(g1, sizeof g1, g->norm_eps);
    format_float(g2, sizeof g2, g->shift);
    format_float(g3, sizeof g3, g->cfg_scale);
    format_float(g4, sizeof g4, g->cond_noise);
    put(&t,
        "  \"decoder\": {\"patch\": %d, \"dim\": %d, \"layers\": %d, "
        "\"heads\": %d,\n              \"mlp_dim\": %d, \"freq_dim\": %d, "
        "\"norm_eps\": %s,\n              \"steps\": %d, \"shift\": %s, "
        "\"cfg_scale\": %s, \"cond_noise\": %s}\n}\n",
        g->patch, g->dim, g->layers, g->heads, g->mlp_dim, g->freq_dim, g1,
        g->steps, g2, g3, g4);
    if (t.failed) {
        free(t.data);
        pan_error_set(PAN_ERR_INTERNAL, "config to JSON: text longer than "
                                        "%zu bytes", t.size);
        return NULL;
    }
    return t.data;
}
