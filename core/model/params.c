/* core/model/params.c: the parameter table -- build (names, shapes, init
 * rules, 64-byte aligned offsets into one f32 block), find, bind, free.
 * The order comes from params_declare.c. */
#include "core/model/params.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/params_internal.h"

#define PAN_PARAM_ALIGN_FLOATS 16 /* 64 bytes */

typedef struct build_ctx {
    pan_param_table *table; /* entries NULL on the counting pass */
    int count;
    int64_t total_floats;
    int64_t total_params;
} build_ctx;

static pan_status build_visit(void *ctx, const char *name, int ndim,
                              const int64_t *shape, pan_param_init init,
                              pan_tensor *slot) {
    build_ctx *b = ctx;
    int64_t numel = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0 || (shape[d] && numel > INT64_MAX / 64 / shape[d]))
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "parameter table: '%s' is too large "
                                 "(dimension %d is %lld)", name, d,
                                 (long long)shape[d]);
        numel *= shape[d];
    }
    if (b->table->entries) {
        pan_param_entry *e = &b->table->entries[b->count];
        memset(e, 0, sizeof *e);
        strcpy(e->name, name); /* fits: params_declare checks the length */
        e->ndim = ndim;
        for (int d = 0; d < ndim; d++) e->shape[d] = shape[d];
        e->numel = numel;
        e->offset = b->total_floats;
        e->init = init;
    }
    int64_t padded = (numel + PAN_PARAM_ALIGN_FLOATS - 1) /
                     PAN_PARAM_ALIGN_FLOATS * PAN_PARAM_ALIGN_FLOATS;
    if (b->total_floats > INT64_MAX / 8 - padded)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "parameter table: total size overflows at '%s'",
                             name);
    b->total_floats += padded;
    b->total_params += numel;
    b->count++;
    return PAN_OK;
}

/* Fresh zeroed per-layer arrays for `w` (its only heap memory). */
static pan_status alloc_layers(const pan_model_config *cfg,
                               pan_model_weights *w, const char *where) {
    w->encoder.blocks = calloc((size_t)cfg->encoder.layers,
                               sizeof *w->encoder.blocks);
    w->backbone.layers = calloc((size_t)cfg->backbone.layers,
                                sizeof *w->backbone.layers);
    w->decoder.blocks = calloc((size_t)cfg->decoder.layers,
                               sizeof *w->decoder.blocks);
    if (!w->encoder.blocks || !w->backbone.layers || !w->decoder.blocks) {
        pan_params_unbind(w);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "%s: out of memory for %d + %d + %d layer "
                             "structs", where, cfg->encoder.layers,
                             cfg->backbone.layers, cfg->decoder.layers);
    }
    return PAN_OK;
}

pan_status pan_params_build(const pan_model_config *cfg, pan_param_table *table) {
    if (!table)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "parameter table: expected a table, found NULL");
    pan_status st = pan_model_config_validate(cfg);
    if (st != PAN_OK) return st;

    pan_param_table t = {0};
    /* The walk writes nothing into the weights it is given; scratch
     * per-layer arrays keep every slot address valid. */
    pan_model_weights scratch = {0};
    st = alloc_layers(cfg, &scratch, "parameter table");
    if (st != PAN_OK) return st;

    build_ctx count = {.table = &t};
    st = pan_params_declare(cfg, &scratch, build_visit, &count);
    if (st == PAN_OK) {
        t.entries = calloc((size_t)count.count, sizeof *t.entries);
        if (!t.entries)
            st = pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                               "parameter table: out of memory for %d entries",
                               count.count);
    }
    build_ctx fill = {.table = &t};
    if (st == PAN_OK) st = pan_params_declare(cfg, &scratch, build_visit, &fill);
    pan_params_unbind(&scratch);
    if (st != PAN_OK) {
        pan_params_free(&t);
        return st;
    }
    t.config = *cfg;
    t.count = fill.count;
    t.total_floats = fill.total_floats;
    t.total_params = fill.total_params;
    *table = t;
    return PAN_OK;
}

void pan_params_free(pan_param_table *table) {
    if (!table) return;
    free(table->entries);
    memset(table, 0, sizeof *table);
}

const pan_param_entry *pan_params_find(const pan_param_table *table,
                                       const char *name) {
    if (!table || !name) return NULL;
    for (int i = 0; i < table->count; i++)
        if (strcmp(table->entries[i].name, name) == 0) return &table->entries[i];
    return NULL;
}

typedef struct bind_ctx {
    const pan_param_table *table;
    float *block;
    int index;
} bind_ctx;

static pan_status bind_visit(void *ctx, const char *name, int ndim,
                             const int64_t *shape, pan_param_init init,
                             pan_tensor *slot) {
    bind_ctx *b = ctx;
    if (b->index >= b->table->count ||
        strcmp(b->table->entries[b->index].name, name) != 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "parameter bind: expected parameter %d to be "
                             "'%s', found '%s' (table of another config?)",
                             b->index, name,
                             b->index < b->table->count
                                 ? b->table->entries[b->index].name
                                 : "(end of table)");
    const pan_param_entry *e = &b->table->entries[b->index++];
    pan_status st = pan_tensor_init(slot, b->block + e->offset, PAN_DTYPE_F32,
                                    e->ndim, e->shape);
    if (st != PAN_OK) return st;
    slot->name = e->name;
    return PAN_OK;
}

pan_status pan_params_bind(const pan_param_table *table, float *block,
                           pan_model_weights *weights) {
    if (!table || !table->entries || !block || !weights)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "parameter bind: expected a built table, a block "
                             "and weights, found NULL");
    if (((uintptr_t)block & 63) != 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "parameter bind: expected a 64-byte aligned "
                             "block, found address %p", (void *)block);
    pan_model_weights w = {0}; /* absent optional views stay NULL */
    pan_status st = alloc_layers(&table->config, &w, "parameter bind");
    if (st != PAN_OK) return st;
    bind_ctx ctx = {.table = table, .block = block};
    st = pan_params_declare(&table->config, &w, bind_visit, &ctx);
    if (st == PAN_OK && ctx.index != table->count)
        st = pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                           "parameter bind: table has %d entries, the walk "
                           "declared %d", table->count, ctx.index);
    if (st != PAN_OK) {
        pan_params_unbind(&w);
        return st;
    }
    *weights = w;
    return PAN_OK;
}

void pan_params_unbind(pan_model_weights *weights) {
    if (!weights) return;
    free(weights->encoder.blocks);
    free(weights->backbone.layers);
    free(weights->decoder.blocks);
    memset(weights, 0, sizeof *weights);
}
