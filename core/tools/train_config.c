/* core/tools/train_config.c: the run configuration of pan-train run
 * (contract in train_config.h). The defaults' JSON is the schema: a key
 * is known when the defaults have it, and its value must have the
 * defaults' type (a real default takes any number). */
#include "core/tools/train_config.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_excerpt.h"

static const char defaults_text[] =
    "{\"stage\": \"decoder\","
    " \"model\": {\"checkpoint\": \"\"},"
    " \"data\": {\"source\": \"world\", \"world\": \"tabletop\", \"dir\": \"\","
    " \"fixed_batch\": false},"
    " \"seed\": 1, \"steps\": 1000, \"batch\": 4, \"accumulate\": 1,"
    " \"rounds\": 3, \"window\": \"mixed\", \"kl_weight\": 0.001,"
    " \"optimizer\": {\"lr\": 0.0003, \"min_lr\": 0.00003, \"warmup\": 100,"
    " \"beta1\": 0.9, \"beta2\": 0.999, \"eps\": 1e-08, \"weight_decay\": 0.01,"
    " \"clip\": 1.0, \"ema\": 0.999},"
    " \"every\": {\"log\": 10, \"checkpoint\": 100, \"eval\": 0}}";

#define TRY(expr)                                                              \
    do {                                                                       \
        pan_status st_ = (expr);                                               \
        if (st_ != PAN_OK) return st_;                                         \
    } while (0)

static pan_status fail(const char *where, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static pan_status fail(const char *where, const char *path, const char *fmt, ...) {
    char text[PAN_ERROR_MESSAGE_MAX];
    va_list args;
    va_start(args, fmt);
    vsnprintf(text, sizeof text, fmt, args);
    va_end(args);
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "%s: %s%s%s", where, path,
                         path[0] ? ": " : "", text);
}

const char *pan_train_stage_name(pan_train_stage stage) {
    static const char *const names[] = {"vae", "decoder", "glp"};
    return stage >= PAN_STAGE_VAE && stage <= PAN_STAGE_GLP ? names[stage] : "?";
}

const char *const *pan_train_stage_prefixes(pan_train_stage stage, int *n) {
    static const char *const vae[] = {"vae."};
    /* the decoder embeds the action text with the backbone's table */
    static const char *const decoder[] = {"decoder.", "encoder.",
                                          "model.embed_tokens."};
    static const char *const glp[] = {"model.", "glp.", "decoder.", "encoder."};
    switch (stage) {
    case PAN_STAGE_VAE: *n = 1; return vae;
    case PAN_STAGE_DECODER: *n = 3; return decoder;
    default: *n = 4; return glp;
    }
}

char *pan_run_config_default_json(void) {
    json_t *root = json_loads(defaults_text, JSON_REJECT_DUPLICATES, NULL);
    char *text = root ? json_dumps(root, JSON_PRESERVE_ORDER | JSON_INDENT(2) |
                                             JSON_REAL_PRECISION(15))
                      : NULL;
    json_decref(root);
    return text;
}

static const char *type_name(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "true or false";
    default: return "null";
    }
}

static bool same_kind(const json_t *want, const json_t *got) {
    if (json_is_real(want)) return json_is_number(got);
    if (json_is_boolean(want)) return json_is_boolean(got);
    return json_typeof(want) == json_typeof(got);
}

static void join(char *out, size_t size, const char *path, const char *key) {
    snprintf(out, size, "%s%s%s", path, path[0] ? "." : "", key);
}

static pan_status unknown_key(const char *where, const json_t *schema,
                              const char *path) {
    char list[512] = "";
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)schema, key, value) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", key);
    }
    return fail(where, path, "unknown key (known here: %s)", list);
}

/* Copies every key of `user` into `into` (the defaults), recursively,
 * refusing keys the defaults lack and values of another type. */
static pan_status overlay(const char *where, json_t *into, const json_t *user,
                          const char *path) {
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)user, key, value) {
        char sub[256], found[80];
        join(sub, sizeof sub, path, key);
        json_t *want = json_object_get(into, key);
        if (!want) return unknown_key(where, into, sub);
        if (!same_kind(want, value))
            return fail(where, sub, "expected %s, found %s", type_name(want),
                        pan_json_excerpt(value, found, sizeof found));
        if (json_is_object(want)) {
            TRY(overlay(where, want, value, sub));
        } else {
            json_t *copy = json_is_real(want) && json_is_integer(value)
                               ? json_real((double)json_integer_value(value))
                               : json_deep_copy(value);
            if (!copy || json_object_set_new(into, key, copy))
                return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                                     "%s: out of memory", where);
        }
    }
    return PAN_OK;
}

/* Applies "a.b=VALUE" to `root` (VALUE JSON, or a bare word: a string). */
static pan_status apply_set(const char *where, json_t *root, const char *set) {
    const char *eq = strchr(set, '=');
    if (!eq || eq == set) return fail(where, set, "expected --set KEY=VALUE");
    char path[256];
    snprintf(path, sizeof path, "%.*s", (int)(eq - set), set);
    json_t *value = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
    if (!value) value = json_string(eq + 1);
    if (!value) return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "%s: out of memory", where);
    /* build {"a": {"b": VALUE}} and overlay it, so --set obeys the file's rules */
    json_t *user = value;
    char *dot;
    while ((dot = strrchr(path, '.')) != NULL) {
        json_t *wrap = json_object();
        if (!wrap || json_object_set_new(wrap, dot + 1, user)) {
            json_decref(wrap);
            return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "%s: out of memory", where);
        }
        user = wrap;
        *dot = '\0';
    }
    json_t *top = json_object();
    pan_status st = top && !json_object_set_new(top, path, user)
                        ? overlay(where, root, top, "")
                        : pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "%s: out of memory", where);
    json_decref(top);
    return st;
}

/* ---- reading the merged configuration ---- */

static const json_t *at(const json_t *root, const char *path) {
    char copy[256];
    snprintf(copy, sizeof copy, "%s", path);
    const json_t *v = root;
    char *save = NULL;
    for (char *part = strtok_r(copy, ".", &save); part && v;
         part = strtok_r(NULL, ".", &save))
        v = json_object_get(v, part);
    return v;
}

static pan_status get_string(const char *where, const json_t *root,
                             const char *path, char *out, size_t size) {
    const json_t *v = at(root, path);
    if (!json_is_string(v)) return fail(where, path, "expected a string");
    if (json_string_length(v) >= size)
        return fail(where, path, "longer than %zu bytes", size - 1);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return fail(where, path, "contains a NUL byte");
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return PAN_OK;
}

static pan_status get_choice(const char *where, const json_t *root,
                             const char *path, const char *const *names, int n,
                             int *out) {
    char text[PAN_RUN_NAME_MAX];
    TRY(get_string(where, root, path, text, sizeof text));
    for (int i = 0; i < n; i++)
        if (!strcmp(text, names[i])) {
            *out = i;
            return PAN_OK;
        }
    char list[128] = "";
    for (int i = 0; i < n; i++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", i ? " | " : "", names[i]);
    }
    return fail(where, path, "expected %s, found \"%s\"", list, text);
}

static pan_status get_int(const char *where, const json_t *root,
                          const char *path, int64_t lo, int64_t hi, int64_t *out) {
    const json_t *v = at(root, path);
    char found[80];
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return fail(where, path, "expected an integer in %lld..%lld, found %s",
                    (long long)lo, (long long)hi,
                    pan_json_excerpt(v, found, sizeof found));
    *out = (int64_t)json_integer_value(v);
    return PAN_OK;
}

/* A finite number in [lo, hi] (hi_open: [lo, hi)). */
static pan_status get_real(const char *where, const json_t *root,
                           const char *path, double lo, double hi,
                           bool hi_open, double *out) {
    const json_t *v = at(root, path);
    char found[80];
    double x = json_is_number(v) ? json_number_value(v) : NAN;
    if (!(x >= lo && (hi_open ? x < hi : x <= hi)))
        return fail(where, path, "expected a number in [%g, %g%s, found %s", lo,
                    hi, hi_open ? ")" : "]",
                    pan_json_excerpt(v, found, sizeof found));
    *out = x;
    return PAN_OK;
}

static pan_status get_f32(const char *where, const json_t *root,
                          const char *path, double lo, double hi, bool hi_open,
                          float *out) {
    double x;
    TRY(get_real(where, root, path, lo, hi, hi_open, &x));
    *out = (float)x;
    return PAN_OK;
}

static pan_status read_config(const char *where, const json_t *root,
                              pan_run_config *c) {
    static const char *const stages[] = {"vae", "decoder", "glp"};
    static const char *const sources[] = {"world", "episodes"};
    static const char *const worlds[] = {"tabletop", "rooms"};
    static const char *const windows[] = {"first", "pair", "mixed"};
    int choice;
    int64_t v;
    TRY(get_choice(where, root, "stage", stages, 3, &choice));
    c->stage = (pan_train_stage)choice;
    TRY(get_string(where, root, "model.checkpoint", c->checkpoint, sizeof c->checkpoint));
    if (!c->checkpoint[0])
        return fail(where, "model.checkpoint",
                    "required: the checkpoint to start from (pan-init's, or a "
                    "previous stage's model.safetensors)");
    TRY(get_choice(where, root, "data.source", sources, 2, &choice));
    c->source = (pan_run_source)choice;
    TRY(get_choice(where, root, "data.world", worlds, 2, &choice));
    snprintf(c->world, sizeof c->world, "%s", worlds[choice]);
    TRY(get_string(where, root, "data.dir", c->episodes, sizeof c->episodes));
    if (c->source == PAN_RUN_SOURCE_EPISODES && !c->episodes[0])
        return fail(where, "data.dir", "required when data.source is \"episodes\"");
    c->fixed_batch = json_is_true(at(root, "data.fixed_batch"));
    TRY(get_int(where, root, "seed", 0, INT64_MAX, &v));
    c->seed = (uint64_t)v;
    TRY(get_int(where, root, "steps", 1, 1000000000, &c->steps));
    TRY(get_int(where, root, "batch", 1, 4096, &v));
    c->batch = (int)v;
    TRY(get_int(where, root, "accumulate", 1, 4096, &v));
    c->accumulate = (int)v;
    TRY(get_int(where, root, "rounds", 1, PAN_TRAIN_BATCH_MAX_ROUNDS, &v));
    c->rounds = (int)v;
    TRY(get_choice(where, root, "window", windows, 3, &choice));
    c->window = (pan_run_window)choice;
    TRY(get_f32(where, root, "kl_weight", 0.0, 1e6, false, &c->kl_weight));
    TRY(get_real(where, root, "optimizer.lr", 1e-12, 10.0, false, &c->lr));
    TRY(get_real(where, root, "optimizer.min_lr", 0.0, c->lr, false, &c->min_lr));
    TRY(get_int(where, root, "optimizer.warmup", 0, 1000000000, &c->warmup));
    TRY(get_f32(where, root, "optimizer.beta1", 0.0, 1.0, true, &c->beta1));
    TRY(get_f32(where, root, "optimizer.beta2", 0.0, 1.0, true, &c->beta2));
    TRY(get_f32(where, root, "optimizer.eps", 1e-30, 1.0, false, &c->eps));
    TRY(get_f32(where, root, "optimizer.weight_decay", 0.0, 10.0, false, &c->weight_decay));
    TRY(get_f32(where, root, "optimizer.clip", 0.0, 1e30, false, &c->clip));
    TRY(get_f32(where, root, "optimizer.ema", 0.0, 1.0, false, &c->ema));
    TRY(get_int(where, root, "every.log", 1, 1000000000, &c->log_every));
    TRY(get_int(where, root, "every.checkpoint", 1, 1000000000, &c->checkpoint_every));
    TRY(get_int(where, root, "every.eval", 0, 1000000000, &c->eval_every));
    if (c->eval_every % c->checkpoint_every != 0)
        return fail(where, "every.eval",
                    "expected 0 (no evaluations) or a multiple of every.checkpoint "
                    "(%lld): an evaluation reads the checkpoint of its step",
                    (long long)c->checkpoint_every);
    return PAN_OK;
}

/* Checks that `root` holds exactly the defaults' keys, of their types. */
static pan_status check_complete(const char *where, const json_t *schema,
                                 const json_t *root, const char *path) {
    const char *key;
    json_t *want;
    json_object_foreach((json_t *)schema, key, want) {
        char sub[256];
        join(sub, sizeof sub, path, key);
        json_t *got = json_object_get(root, key);
        if (!got) return fail(where, sub, "missing");
        if (!same_kind(want, got))
            return fail(where, sub, "expected %s", type_name(want));
        if (json_is_object(want)) TRY(check_complete(where, want, got, sub));
    }
    json_t *value;
    json_object_foreach((json_t *)root, key, value) {
        char sub[256];
        join(sub, sizeof sub, path, key);
        if (!json_object_get(schema, key)) return unknown_key(where, schema, sub);
    }
    return PAN_OK;
}

static pan_status load_object(const char *where, const char *text, json_t **out) {
    json_error_t err;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    if (!root)
        return fail(where, "", "invalid JSON at line %d column %d: %s", err.line,
                    err.column, err.text);
    if (!json_is_object(root)) {
        json_decref(root);
        return fail(where, "", "expected a JSON object");
    }
    *out = root;
    return PAN_OK;
}

pan_status pan_run_config_parse(const char *json, const char *where,
                                pan_run_config *out) {
    json_t *schema = NULL, *root = NULL;
    TRY(load_object("run configuration defaults", defaults_text, &schema));
    pan_status st = load_object(where, json, &root);
    if (st == PAN_OK) st = check_complete(where, schema, root, "");
    pan_run_config c;
    memset(&c, 0, sizeof c);
    if (st == PAN_OK) st = read_config(where, root, &c);
    if (st == PAN_OK) *out = c;
    json_decref(root);
    json_decref(schema);
    return st;
}

pan_status pan_run_config_build(const char *file_text, const char *where,
                                char *const *sets, int nsets,
                                pan_run_config *out, char **canonical) {
    json_t *root = NULL, *user = NULL;
    TRY(load_object("run configuration defaults", defaults_text, &root));
    pan_status st = PAN_OK;
    if (file_text) {
        st = load_object(where, file_text, &user);
        if (st == PAN_OK) st = overlay(where, root, user, "");
    }
    for (int i = 0; st == PAN_OK && i < nsets; i++) {
        char set_where[PAN_RUN_PATH_MAX + 16];
        snprintf(set_where, sizeof set_where, "--set %s", sets[i]);
        st = apply_set(set_where, root, sets[i]);
    }
    /* The run uses what the canonical text says, so that a resumed run reads
     * the very numbers the first one did. */
    char *text = st == PAN_OK ? json_dumps(root, JSON_PRESERVE_ORDER | JSON_INDENT(2) |
                                                     JSON_REAL_PRECISION(17))
                              : NULL;
    if (st == PAN_OK && !text)
        st = pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "%s: out of memory", where);
    if (st == PAN_OK) st = pan_run_config_parse(text, where, out);
    if (st == PAN_OK && canonical) {
        *canonical = text;
        text = NULL;
    }
    free(text);
    json_decref(user);
    json_decref(root);
    return st;
}
