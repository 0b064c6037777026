/* core/model/decoder/decoder_workspace.c: the decoder's activation buffers, one
 * arena sized at creation (contract in decoder_internal.h). */
#include <stdlib.h>

#include "core/model/decoder/decoder_internal.h"

typedef struct ws_buffer {
    void **ptr;
    size_t bytes;
} ws_buffer;

static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

pan_status pan_decoder_workspace_create(pan_decoder_workspace **out,
                                        const pan_model_config *cfg,
                                        int max_batch) {
    if (!out || !cfg)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "decoder workspace: 'out' and 'cfg' must not be "
                             "NULL");
    pan_status st = pan_model_config_validate(cfg);
    if (st != PAN_OK) return st;
    if (max_batch < 1 || max_batch > 4096)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "decoder workspace: max_batch must be 1..4096, "
                             "got %d", max_batch);
    pan_decoder_workspace *ws = calloc(1, sizeof *ws);
    if (!ws)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "decoder workspace: out of memory");
    ws->cfg = *cfg;
    ws->max_batch = max_batch;
    const pan_decoder_config *g = &cfg->decoder;
    size_t f = sizeof(float), D = (size_t)g->dim, M = (size_t)g->mlp_dim;
    size_t tf = (size_t)pan_decoder_frame_tokens(cfg);
    size_t frames = 2 * (size_t)cfg->frame.chunk_frames + 1;
    size_t fr = (size_t)max_batch * frames, r = fr * tf;
    size_t P = (size_t)cfg->vae.latent_channels * (size_t)(g->patch * g->patch);
    size_t cr = (size_t)max_batch * PAN_DECODER_MAX_CONDS;
    size_t A = (size_t)cfg->tokenizer.max_action_bytes + 1;
    size_t Q = (size_t)cfg->backbone.queries, d = (size_t)cfg->backbone.dim;
    ws_buffer plan[] = {
        {(void **)&ws->sigma, fr * f},
        {(void **)&ws->act_start, cr * sizeof(int)},
        {(void **)&ws->act_len, cr * sizeof(int)},
        {(void **)&ws->q_block, frames * tf * sizeof(int32_t)},
        {(void **)&ws->k_block, frames * tf * sizeof(int32_t)},
        {(void **)&ws->ids, cr * A * sizeof(int32_t)},
        {(void **)&ws->x, r * D * f},
        {(void **)&ws->a, r * D * f},
        {(void **)&ws->q, r * D * f},
        {(void **)&ws->k, r * D * f},
        {(void **)&ws->v, r * D * f},
        {(void **)&ws->o, r * D * f},
        {(void **)&ws->o2, r * D * f},
        {(void **)&ws->hidden, r * M * f},
        {(void **)&ws->patches, r * P * f},
        {(void **)&ws->freq, fr * (size_t)g->freq_dim * f},
        {(void **)&ws->cvec, fr * D * f},
        {(void **)&ws->mod, fr * 6 * D * f},
        {(void **)&ws->mod_parts, 6 * fr * D * f},
        {(void **)&ws->emb, cr * A * d * f},
        {(void **)&ws->states, cr * Q * d * f},
        {(void **)&ws->ak, cr * A * D * f},
        {(void **)&ws->av, cr * A * D * f},
        {(void **)&ws->sk, cr * Q * D * f},
        {(void **)&ws->sv, cr * Q * D * f},
    };
    size_t n_plan = sizeof plan / sizeof plan[0], total = 0;
    for (size_t i = 0; i < n_plan; i++) total += align64(plan[i].bytes);
    st = pan_arena_init(&ws->arena, "decoder workspace", total);
    for (size_t i = 0; st == PAN_OK && i < n_plan; i++) {
        *plan[i].ptr = pan_arena_alloc(&ws->arena, plan[i].bytes, 64);
        if (!*plan[i].ptr) st = PAN_ERR_RESOURCE_EXHAUSTED;
    }
    if (st != PAN_OK) {
        pan_decoder_workspace_destroy(ws);
        return st;
    }
    *out = ws;
    return PAN_OK;
}

void pan_decoder_workspace_destroy(pan_decoder_workspace *ws) {
    if (!ws) return;
    pan_arena_free(&ws->arena);
    free(ws);
}

size_t pan_decoder_workspace_bytes(const pan_decoder_workspace *ws) {
    return ws->arena.capacity + sizeof *ws;
}

int pan_decoder_workspace_max_batch(const pan_decoder_workspace *ws) {
    return ws->max_batch;
}
