/* core/train/grads.c: the gradient block (contract in grads.h). */
#include "core/train/grads.h"

#include <stdlib.h>
#include <string.h>

pan_status pan_grads_create(pan_grads **out, const pan_model *model) {
    if (!out || !model)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "grads: expected a model and an output, found "
                             "NULL");
    pan_grads *g = calloc(1, sizeof *g);
    size_t bytes = (size_t)model->params.total_floats * sizeof(float);
    bytes = (bytes + 63) / 64 * 64;
    if (g) g->block = aligned_alloc(64, bytes ? bytes : 64);
    if (!g || !g->block) {
        free(g);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "grads: out of memory for a %zu-byte gradient "
                             "block", bytes);
    }
    g->table = &model->params;
    memset(g->block, 0, bytes);
    pan_status st = pan_params_bind(g->table, g->block, &g->w);
    if (st != PAN_OK) {
        free(g->block);
        free(g);
        return st;
    }
    *out = g;
    return PAN_OK;
}

void pan_grads_zero(pan_grads *g) {
    if (g)
        memset(g->block, 0, (size_t)g->table->total_floats * sizeof(float));
}

void pan_grads_destroy(pan_grads *g) {
    if (!g) return;
    pan_params_unbind(&g->w);
    free(g->block);
    free(g);
}

float *pan_grads_find(pan_grads *g, const char *name) {
    const pan_param_entry *e = g ? pan_params_find(g->table, name) : NULL;
    return e ? g->block + e->offset : NULL;
}
