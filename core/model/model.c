/* core/model/model.c: a model = config + parameter table + one 64-byte
 * aligned f32 weight block; loaded from / saved to a safetensors
 * checkpoint (docs/model.md, "Checkpoint files"), or randomly
 * initialised. */
#define _POSIX_C_SOURCE 200809L
#include "core/model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/safetensors.h"

/* An empty model with its table and (uninitialised) block. */
static pan_status model_alloc(pan_model **out, const pan_model_config *cfg) {
    pan_model *m = calloc(1, sizeof *m);
    if (!m)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "model: out of memory for the model struct");
    pan_status st = pan_params_build(cfg, &m->params);
    if (st != PAN_OK) {
        free(m);
        return st;
    }
    m->config = *cfg;
    size_t bytes = (size_t)m->params.total_floats * sizeof(float);
    bytes = (bytes + 63) / 64 * 64;
    m->block = aligned_alloc(64, bytes ? bytes : 64);
    if (!m->block) {
        long long params = (long long)m->params.total_params;
        pan_params_free(&m->params);
        free(m);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "model: out of memory for %zu bytes of weights "
                             "(%lld parameters)", bytes, params);
    }
    *out = m;
    return PAN_OK;
}

void pan_model_destroy(pan_model *model) {
    if (!model) return;
    pan_params_unbind(&model->w);
    free(model->block);
    pan_params_free(&model->params);
    free(model);
}

pan_status pan_model_create_random(pan_model **out, const pan_model_config *cfg,
                                   uint64_t seed) {
    if (!out || !cfg)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "model create: expected a config and an output, "
                             "found NULL");
    pan_model *m = NULL;
    pan_status st = model_alloc(&m, cfg);
    if (st != PAN_OK) return st;
    pan_params_init_random(&m->params, m->block, seed);
    st = pan_params_bind(&m->params, m->block, &m->w);
    if (st != PAN_OK) {
        pan_model_destroy(m);
        return st;
    }
    m->trained = false;
    m->note[0] = '\0';
    *out = m;
    return PAN_OK;
}

/* ---- loading ---- */

static void shape_text(char *buf, size_t size, int ndim, const int64_t *shape) {
    size_t used = (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < ndim && used < size; d++)
        used += (size_t)snprintf(buf + used, size - used, d ? ",%lld" : "%lld",
                                 (long long)shape[d]);
    if (used < size) snprintf(buf + used, size - used, "]");
}

static pan_status read_config(const pan_safetensors *st, pan_model_config *cfg) {
    const char *text = pan_safetensors_meta(st, "pan.config");
    if (!text)
        return pan_error_set(PAN_ERR_DATA_LOSS,
                             "checkpoint %s: field '__metadata__': no "
                             "'pan.config' entry (expected the model "
                             "configuration JSON)", st->path);
    char where[PAN_ERROR_MESSAGE_MAX / 2];
    snprintf(where, sizeof where, "checkpoint %s: __metadata__ 'pan.config'",
             st->path);
    pan_status s = pan_model_config_from_json(cfg, text, strlen(text), where);
    /* A bad config inside a file is a corrupt file. */
    return s == PAN_ERR_INVALID_ARGUMENT ? PAN_ERR_DATA_LOSS : s;
}

static pan_status read_flags(const pan_safetensors *st, pan_model *m) {
    const char *trained = pan_safetensors_meta(st, "pan.trained");
    if (!trained || !strcmp(trained, "false"))
        m->trained = false;
    else if (!strcmp(trained, "true"))
        m->trained = true;
    else
        return pan_error_set(PAN_ERR_DATA_LOSS,
                             "checkpoint %s: __metadata__ 'pan.trained': "
                             "expected \"true\" or \"false\", found \"%.40s\"",
                             st->path, trained);
    const char *note = pan_safetensors_meta(st, "pan.note");
    snprintf(m->note, sizeof m->note, "%s", note ? note : "");
    return PAN_OK;
}

/* Every parameter present with its shape, and nothing else. */
static pan_status match_tensors(const pan_safetensors *st,
                                const pan_param_table *table) {
    char want[64], have[64];
    for (int i = 0; i < table->count; i++) {
        const pan_param_entry *e = &table->entries[i];
        const pan_st_tensor *t = pan_safetensors_find(st, e->name);
        shape_text(want, sizeof want, e->ndim, e->shape);
        if (!t)
            return pan_error_set(PAN_ERR_DATA_LOSS,
                                 "checkpoint %s: tensor '%s' is missing "
                                 "(config says shape %s)", st->path, e->name,
                                 want);
        int same = t->ndim == e->ndim;
        for (int d = 0; same && d < e->ndim; d++) same = t->shape[d] == e->shape[d];
        if (!same) {
            shape_text(have, sizeof have, t->ndim, t->shape);
            return pan_error_set(PAN_ERR_DATA_LOSS,
                                 "checkpoint %s: tensor '%s' field 'shape': "
                                 "has shape %s, config says %s", st->path,
                                 e->name, have, want);
        }
    }
    for (int i = 0; i < st->count; i++)
        if (!pan_params_find(table, st->tensors[i].name))
            return pan_error_set(PAN_ERR_DATA_LOSS,
                                 "checkpoint %s: tensor '%s' is not a "
                                 "parameter of the configuration in "
                                 "'pan.config' (expected only its %d "
                                 "parameters)", st->path, st->tensors[i].name,
                                 table->count);
    return PAN_OK;
}

pan_status pan_model_load(pan_model **out, const char *path) {
    if (!out || !path)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "model load: expected a path and an output, "
                             "found NULL");
    pan_safetensors *st = NULL;
    pan_status s = pan_safetensors_open(&st, path);
    if (s != PAN_OK) return s;
    pan_model_config cfg;
    pan_param_table table = {0};
    pan_model *m = NULL;
    s = read_config(st, &cfg);
    /* Match against a table first, so that a huge config in a small file
     * fails on the shapes instead of allocating its weights. */
    if (s == PAN_OK) s = pan_params_build(&cfg, &table);
    if (s == PAN_OK) s = match_tensors(st, &table);
    pan_params_free(&table);
    if (s == PAN_OK) s = model_alloc(&m, &cfg);
    if (s == PAN_OK) s = read_flags(st, m);
    if (s == PAN_OK) {
        memset(m->block, 0, (size_t)m->params.total_floats * sizeof(float));
        for (int i = 0; i < m->params.count; i++) {
            const pan_param_entry *e = &m->params.entries[i];
            pan_safetensors_read_f32(pan_safetensors_find(st, e->name),
                                     m->block + e->offset);
        }
        s = pan_params_bind(&m->params, m->block, &m->w);
    }
    pan_safetensors_close(st);
    if (s != PAN_OK) {
        pan_model_destroy(m);
        return s;
    }
    *out = m;
    return PAN_OK;
}

/* ---- saving ---- */

pan_status pan_model_save(const pan_model *model, const char *path,
                          const char *note) {
    if (!model)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "model save: expected a model and a path, found "
                             "NULL");
    return pan_model_save_block(model, model->block, model->trained, path,
                                note, NULL, 0);
}

pan_status pan_model_save_block(const pan_model *model, const float *block,
                                bool trained, const char *path,
                                const char *note, const pan_st_meta *extra,
                                int n_extra) {
    if (!model || !block || !path || n_extra < 0 || (n_extra && !extra) ||
        n_extra > 16)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "model save: expected a model, a block, a path "
                             "and at most 16 extra metadata entries");
    const pan_param_table *table = &model->params;
    pan_st_write_tensor *tensors = calloc((size_t)table->count + 1,
                                          sizeof *tensors);
    char *config = pan_model_config_to_json(&model->config);
    if (!tensors || !config) {
        free(tensors);
        free(config);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "checkpoint %s: out of memory preparing %d "
                             "tensors", path, table->count);
    }
    for (int i = 0; i < table->count; i++) {
        const pan_param_entry *e = &table->entries[i];
        tensors[i] = (pan_st_write_tensor){.name = e->name,
                                           .ndim = e->ndim,
                                           .shape = e->shape,
                                           .data = block + e->offset};
    }
    pan_st_meta meta[19] = {
        {"pan.config", config},
        {"pan.trained", trained ? "true" : "false"},
    };
    int n = 2;
    if (note) meta[n++] = (pan_st_meta){"pan.note", note};
    for (int i = 0; i < n_extra; i++) meta[n++] = extra[i];
    pan_status s = pan_safetensors_write(path, tensors, table->count, meta, n);
    free(tensors);
    free(config);
    return s;
}
