/* core/model/backbone/backbone_workspace.c: the backbone's activation buffers, one
 * arena sized at creation for max_batch rounds of the longest length. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/model/backbone/backbone_internal.h"

/* One buffer of the plan: its address slot and byte size. */
typedef struct ws_buffer {
    void **ptr;
    size_t bytes;
} ws_buffer;

static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

pan_status pan_backbone_workspace_create(pan_backbone_workspace **out,
                                         const pan_model_config *cfg,
                                         int max_batch) {
    if (!out || !cfg)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "backbone workspace: 'out' and 'cfg' must not "
                             "be NULL");
    pan_status st = pan_model_config_validate(cfg);
    if (st != PAN_OK) return st;
    if (max_batch < 1 || max_batch > 65536)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "backbone workspace: max_batch must be 1..65536, "
                             "got %d",
                             max_batch);
    pan_backbone_workspace *ws = calloc(1, sizeof *ws);
    if (!ws)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "backbone workspace: out of memory");
    ws->cfg = *cfg;
    ws->max_batch = max_batch;
    size_t t = (size_t)max_batch * (size_t)pan_backbone_max_round_tokens(cfg);
    ws->max_tokens = (int64_t)t;
    size_t d = (size_t)cfg->backbone.dim;
    size_t kvd = (size_t)cfg->backbone.kv_heads * pan_backbone_head_dim(cfg);
    size_t inter = (size_t)cfg->backbone.intermediate;
    size_t q = (size_t)cfg->backbone.queries;
    size_t f = sizeof(float);
    ws_buffer plan[] = {
        {(void **)&ws->ids, t * sizeof(int32_t)},
        {(void **)&ws->positions, t * sizeof(int32_t)},
        {(void **)&ws->x, t * d * f},
        {(void **)&ws->a, t * d * f},
        {(void **)&ws->q, t * d * f},
        {(void **)&ws->k, t * kvd * f},
        {(void **)&ws->v, t * kvd * f},
        {(void **)&ws->gate, t * inter * f},
        {(void **)&ws->up, t * inter * f},
        {(void **)&ws->head, (size_t)max_batch * q * d * f},
        {(void **)&ws->env, (size_t)max_batch * sizeof(pan_backbone_env)},
    };
    size_t n_plan = sizeof plan / sizeof plan[0];
    size_t total = 0;
    for (size_t i = 0; i < n_plan; i++) total += align64(plan[i].bytes);
    st = pan_arena_init(&ws->arena, "backbone workspace", total);
    for (size_t i = 0; st == PAN_OK && i < n_plan; i++) {
        *plan[i].ptr = pan_arena_alloc(&ws->arena, plan[i].bytes, 64);
        if (!*plan[i].ptr) st = PAN_ERR_RESOURCE_EXHAUSTED;
    }
    if (st != PAN_OK) {
        pan_backbone_workspace_destroy(ws);
        return st;
    }
    *out = ws;
    return PAN_OK;
}

void pan_backbone_workspace_destroy(pan_backbone_workspace *ws) {
    if (!ws) return;
    pan_arena_free(&ws->arena);
    free(ws);
}

size_t pan_backbone_workspace_bytes(const pan_backbone_workspace *ws) {
    return ws->arena.capacity + sizeof *ws;
}
