/* core/train/train_state.c: the training state file (contract in
 * train_state.h) on the safetensors reader and atomic writer. */
#define _POSIX_C_SOURCE 200809L
#include "core/train/train_state.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/safetensors.h"

#define FORMAT "pan-train-state"
#define VERSION "1"

static const char *const kinds[4] = {"param", "adam.m", "adam.v", "ema"};

/* The four blocks in kinds[] order. */
static void blocks_of(const pan_model *m, const pan_adamw *opt,
                      const float *ema, const float *out[4]) {
    out[0] = m->block;
    out[1] = opt->m;
    out[2] = opt->v;
    out[3] = ema;
}

static void rng_text(const pan_rng *rng, char *buf, size_t size) {
    uint64_t spare;
    memcpy(&spare, &rng->spare, sizeof spare);
    snprintf(buf, size, "%016" PRIx64 ":%016" PRIx64 ":%d", rng->state, spare,
             (int)rng->has_spare);
}

static bool rng_parse(const char *text, pan_rng *rng) {
    uint64_t state, spare;
    int has, used = 0;
    if (!text || sscanf(text, "%16" SCNx64 ":%16" SCNx64 ":%d%n", &state, &spare,
                        &has, &used) != 3 ||
        text[used] != '\0' || strlen(text) != 35 || (has != 0 && has != 1))
        return false;
    rng->state = state;
    memcpy(&rng->spare, &spare, sizeof spare);
    rng->has_spare = has;
    return true;
}

pan_status pan_train_state_save(const char *path, const pan_model *m,
                                const pan_adamw *opt, const float *ema,
                                const pan_train_state_info *info) {
    if (!path || !m || !opt || !ema || !info)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "train state save: path, model, optimizer, EMA "
                             "and info are required");
    if (opt->table->total_floats != m->params.total_floats ||
        opt->table->count != m->params.count)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "train state save %s: the optimizer belongs to "
                             "another parameter table", path);
    const pan_param_table *t = &m->params;
    const int count = 4 * t->count;
    pan_st_write_tensor *tensors = calloc((size_t)count, sizeof *tensors);
    char (*names)[PAN_PARAM_NAME_MAX + 16] = calloc((size_t)count, sizeof *names);
    char *config = pan_model_config_to_json(&m->config);
    if (!tensors || !names || !config) {
        free(tensors);
        free(names);
        free(config);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "train state save %s: out of memory", path);
    }
    const float *blocks[4];
    blocks_of(m, opt, ema, blocks);
    uLong crc = crc32_z(0L, Z_NULL, 0);
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < t->count; i++) {
            const pan_param_entry *e = &t->entries[i];
            int j = k * t->count + i;
            snprintf(names[j], sizeof names[j], "%s/%s", kinds[k], e->name);
            tensors[j] = (pan_st_write_tensor){.name = names[j], .ndim = e->ndim,
                                               .shape = e->shape,
                                               .data = blocks[k] + e->offset};
            crc = crc32_z(crc, (const Bytef *)(blocks[k] + e->offset),
                          (size_t)e->numel * sizeof(float));
        }
    char step[32], cursor[32], rng[48], crc_text[16];
    snprintf(step, sizeof step, "%" PRId64, opt->step);
    snprintf(cursor, sizeof cursor, "%" PRIu64, info->cursor);
    rng_text(&info->rng, rng, sizeof rng);
    snprintf(crc_text, sizeof crc_text, "%08lx", (unsigned long)crc);
    pan_st_meta meta[] = {{"pan.format", FORMAT},
                          {"pan.version", VERSION},
                          {"pan.config", config},
                          {"pan.step", step},
                          {"pan.cursor", cursor},
                          {"pan.rng", rng},
                          {"pan.run", info->run ? info->run : ""},
                          {"pan.log", info->log ? info->log : ""},
                          {"pan.crc32", crc_text}};
    pan_status st = pan_safetensors_write(path, tensors, count, meta,
                                          (int)(sizeof meta / sizeof meta[0]));
    free(tensors);
    free(names);
    free(config);
    return st;
}

static pan_status bad(const char *path, const char *field, const char *what) {
    return pan_error_set(PAN_ERR_DATA_LOSS, "train state %s: field '%s': %s",
                         path, field, what);
}

static pan_status need_meta(const pan_safetensors *f, const char *key,
                            const char **out) {
    *out = pan_safetensors_meta(f, key);
    return *out ? PAN_OK : bad(f->path, key, "missing");
}

static bool parse_u64(const char *s, uint64_t *out) {
    char *end = NULL;
    if (!s || !*s || *s == '-' || *s == '+') return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (!end || *end) return false;
    *out = (uint64_t)v;
    return true;
}

/* Every check, nothing changed: the metadata into *step, *cursor, rng. */
static pan_status check(const pan_safetensors *f, const pan_model *m,
                        int64_t *step, uint64_t *cursor, pan_rng *rng) {
    const char *v = NULL, *path = f->path;
    pan_status st = need_meta(f, "pan.format", &v);
    if (st == PAN_OK && strcmp(v, FORMAT) != 0)
        st = bad(path, "pan.format", "not \"" FORMAT "\" (not a training state)");
    if (st == PAN_OK) st = need_meta(f, "pan.version", &v);
    if (st == PAN_OK && strcmp(v, VERSION) != 0)
        st = bad(path, "pan.version", "expected \"" VERSION "\"");
    if (st == PAN_OK) st = need_meta(f, "pan.config", &v);
    if (st == PAN_OK) {
        /* compared as the canonical JSON of each: the struct's padding and
         * unused array entries are no part of a configuration */
        pan_model_config cfg;
        char *theirs = NULL, *ours = pan_model_config_to_json(&m->config);
        if (pan_model_config_from_json(&cfg, v, strlen(v), path) == PAN_OK)
            theirs = pan_model_config_to_json(&cfg);
        if (!theirs || !ours || strcmp(theirs, ours) != 0)
            st = bad(path, "pan.config",
                     "another model configuration than the run's");
        free(theirs);
        free(ours);
    }
    uint64_t u = 0;
    if (st == PAN_OK) st = need_meta(f, "pan.step", &v);
    if (st == PAN_OK && (!parse_u64(v, &u) || u > (uint64_t)INT64_MAX))
        st = bad(path, "pan.step", "expected a non-negative integer");
    *step = (int64_t)u;
    if (st == PAN_OK) st = need_meta(f, "pan.cursor", &v);
    if (st == PAN_OK && !parse_u64(v, cursor))
        st = bad(path, "pan.cursor", "expected a non-negative integer");
    if (st == PAN_OK) st = need_meta(f, "pan.rng", &v);
    if (st == PAN_OK && !rng_parse(v, rng))
        st = bad(path, "pan.rng", "expected STATE:SPARE:HAS (16 hex digits, "
                 "16 hex digits, 0 or 1)");
    if (st == PAN_OK) st = need_meta(f, "pan.run", &v);
    if (st == PAN_OK) st = need_meta(f, "pan.log", &v);
    if (st != PAN_OK) return st;
    /* tensors: exactly the four kinds of every parameter, f32 */
    const pan_param_table *t = &m->params;
    if (f->count != 4 * t->count) {
        char what[96];
        snprintf(what, sizeof what, "%d tensors, expected %d (4 per parameter)",
                 f->count, 4 * t->count);
        return bad(path, "tensors", what);
    }
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < t->count; i++) {
            const pan_param_entry *e = &t->entries[i];
            char name[PAN_PARAM_NAME_MAX + 16];
            snprintf(name, sizeof name, "%s/%s", kinds[k], e->name);
            const pan_st_tensor *x = pan_safetensors_find(f, name);
            bool same = x && x->dtype == PAN_DTYPE_F32 && x->ndim == e->ndim;
            for (int d = 0; same && d < e->ndim; d++)
                same = x->shape[d] == e->shape[d];
            if (!same)
                return bad(path, name, x ? "another dtype or shape than the "
                                           "parameter's" : "missing");
        }
    uLong crc = crc32_z(0L, Z_NULL, 0);
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < t->count; i++) {
            char name[PAN_PARAM_NAME_MAX + 16];
            snprintf(name, sizeof name, "%s/%s", kinds[k], t->entries[i].name);
            const pan_st_tensor *x = pan_safetensors_find(f, name);
            crc = crc32_z(crc, (const Bytef *)x->data,
                          (size_t)x->numel * sizeof(float));
        }
    char crc_text[16];
    snprintf(crc_text, sizeof crc_text, "%08lx", (unsigned long)crc);
    st = need_meta(f, "pan.crc32", &v);
    if (st == PAN_OK && strcmp(v, crc_text) != 0) {
        char what[96];
        snprintf(what, sizeof what, "the data's crc32 is %s, the file says %.8s",
                 crc_text, v);
        st = bad(path, "pan.crc32", what);
    }
    return st;
}

pan_status pan_train_state_load(const char *path, pan_model *m,
                                pan_adamw *opt, float *ema,
                                pan_train_state_info *info) {
    if (!path || !m || !opt || !ema || !info)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "train state load: path, model, optimizer, EMA "
                             "and info are required");
    if (opt->table->total_floats != m->params.total_floats ||
        opt->table->count != m->params.count)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "train state load %s: the optimizer belongs to "
                             "another parameter table", path);
    pan_safetensors *f = NULL;
    pan_status st = pan_safetensors_open(&f, path);
    if (st != PAN_OK) return st;
    int64_t step = 0;
    uint64_t cursor = 0;
    pan_rng rng = {0};
    st = check(f, m, &step, &cursor, &rng);
    char *run = NULL, *log = NULL;
    if (st == PAN_OK) {
        run = strdup(pan_safetensors_meta(f, "pan.run"));
        log = strdup(pan_safetensors_meta(f, "pan.log"));
        if (!run || !log)
            st = pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                               "train state %s: out of memory", path);
    }
    if (st == PAN_OK) {
        float *blocks[4] = {m->block, opt->m, opt->v, ema};
        const pan_param_table *t = &m->params;
        for (int k = 0; k < 4; k++)
            for (int i = 0; i < t->count; i++) {
                const pan_param_entry *e = &t->entries[i];
                char name[PAN_PARAM_NAME_MAX + 16];
                snprintf(name, sizeof name, "%s/%s", kinds[k], e->name);
                pan_safetensors_read_f32(pan_safetensors_find(f, name),
                                         blocks[k] + e->offset);
            }
        opt->step = step;
        info->cursor = cursor;
        info->rng = rng;
        info->run = run;
        info->log = log;
    } else {
        free(run);
        free(log);
    }
    pan_safetensors_close(f);
    return st;
}

void pan_train_state_info_free(pan_train_state_info *info) {
    if (!info) return;
    free(info->run);
    free(info->log);
    info->run = info->log = NULL;
}
