/* core/model/glp/glp_step.c: one GLP env step for a batch of slots (contract
 * in glp.h; docs/swin_dpm.md, "The GLP step loop"). */
#include <string.h>

#include "core/model/glp/glp_internal.h"

#define BAD(...) pan_error_set(PAN_ERR_INVALID_ARGUMENT, __VA_ARGS__)

static pan_status validate(pan_glp *g, int n, const pan_glp_action *items) {
    if (!items) return BAD("glp step: items must not be NULL");
    if (n < 1 || n > g->max_batch)
        return BAD("glp step: n must be 1..%d, got %d", g->max_batch, n);
    size_t max_len = (size_t)g->m->config.tokenizer.max_action_bytes;
    for (int i = 0; i < n; i++) {
        if (items[i].len > max_len)
            return BAD("glp step: item %d: action of %zu bytes, at most %zu",
                       i, items[i].len, max_len);
        if (items[i].len > 0 && !items[i].text)
            return BAD("glp step: item %d: action text is NULL", i);
        g->ids[i] = items[i].slot;
    }
    return glp_check_slots(g, n, g->ids, true, "glp step");
}

/* The backbone appends each item's round; ŝ_{t+1} into g->predicted. */
static pan_status predict(pan_glp *g, pan_compute *c, int n,
                          const pan_glp_action *items) {
    size_t pend = (size_t)(g->Q + g->S) * (size_t)g->d;
    for (int i = 0; i < n; i++) {
        int s = items[i].slot;
        g->rounds[i] = (pan_backbone_round){
            .slot = s,
            .state = g->pending + (size_t)s * pend,
            .n_state = g->slot[s].n_pending,
            .action = items[i].text,
            .action_len = items[i].len};
    }
    return pan_backbone_step(c, g->m, g->bws, g->kv, g->rounds, n,
                             g->predicted);
}

/* Decoder, VAE decode and re-encoding of every item's last frame. */
static pan_status render(pan_glp *g, pan_compute *c, int n,
                         const pan_glp_action *items) {
    size_t q = (size_t)g->Q * (size_t)g->d;
    for (int i = 0; i < n; i++)
        g->items[i] = (pan_swin_item){.slot = items[i].slot,
                                      .state = g->predicted + (size_t)i * q,
                                      .action = items[i].text,
                                      .action_len = (int)items[i].len};
    pan_status st = PAN_OK;
    int sub = pan_swin_max_batch(g->swin);
    for (int at = 0; at < n && st == PAN_OK; at += sub)
        st = pan_swin_step(c, g->m, g->swin, n - at < sub ? n - at : sub,
                           g->items + at,
                           g->chunks + (size_t)at * (size_t)g->K * (size_t)g->F);
    if (st == PAN_OK)
        st = glp_decode_latents(g, c, n * g->K, g->chunks, g->frames);
    if (st != PAN_OK) return st;
    const uint8_t *last[1024];
    for (int i = 0; i < n; i++)
        last[i] = g->frames + ((size_t)i * (size_t)g->K + (size_t)g->K - 1) *
                                  g->frame_bytes;
    return glp_encode_frames(g, c, n, last, g->latent, g->tokens);
}

pan_status pan_glp_step(pan_glp *g, pan_compute *c, int n,
                        const pan_glp_action *items, bool with_frames,
                        uint8_t *const *frames, float *const *latents) {
    if (!g || !c) return BAD("glp step: g and c must not be NULL");
    pan_status st = validate(g, n, items);
    if (st == PAN_OK) st = predict(g, c, n, items);
    if (st == PAN_OK && with_frames) st = render(g, c, n, items);
    if (st != PAN_OK) return st;
    size_t q = (size_t)g->Q * (size_t)g->d, sd = (size_t)g->S * (size_t)g->d;
    size_t pend = q + sd, chunk = (size_t)g->K * g->frame_bytes;
    for (int i = 0; i < n; i++) {
        int s = items[i].slot;
        float *next = g->pending + (size_t)s * pend;
        memcpy(next, g->predicted + (size_t)i * q, sizeof(float) * q);
        g->slot[s].n_pending = g->Q;
        if (with_frames) {
            memcpy(next + q, g->tokens + (size_t)i * sd, sizeof(float) * sd);
            g->slot[s].n_pending = g->Q + g->S;
            memcpy(g->last_frame + (size_t)s * g->frame_bytes,
                   g->frames + (size_t)i * chunk + chunk - g->frame_bytes,
                   g->frame_bytes);
            if (frames && frames[i])
                memcpy(frames[i], g->frames + (size_t)i * chunk, chunk);
        }
        if (latents && latents[i])
            memcpy(latents[i], g->predicted + (size_t)i * q, sizeof(float) * q);
    }
    return PAN_OK;
}
