/* core/model/glp/glp_internal.h: the pan_glp's insides, shared by glp.c
 * (pool, reset, snapshots, frame coding) and glp_step.c (the step).
 *
 * Contract
 * - Slot i: glp_slot bookkeeping, pending state tokens (Q + S, d) at
 *   pending + i * (Q + S) * d (n_pending of them valid), last frame
 *   (H, W, 3) at last_frame + i * H * W * 3; its KV history is slot i of
 *   kv and its decoder window slot i of swin.
 * - The VAE and ViT run in sub-batches of at most GLP_VISION_BATCH images
 *   and the decoder in sub-batches of GLP_DECODER_BATCH envs, so their
 *   activations stay small whatever max_batch is (the backbone, cheap per
 *   env, takes the whole batch at once: latent rollouts of many forks).
 */
#ifndef PAN_CORE_MODEL_GLP_GLP_INTERNAL_H
#define PAN_CORE_MODEL_GLP_GLP_INTERNAL_H

#include "core/arena.h"
#include "core/model/backbone/backbone.h"
#include "core/model/glp/glp.h"
#include "core/model/backbone/kv_cache.h"
#include "core/model/decoder/swin_dpm.h"

#define GLP_VISION_BATCH 16
#define GLP_DECODER_BATCH 16

typedef struct glp_slot {
    int32_t ready;     /* reset at least once */
    int32_t n_pending; /* state tokens of the next round: S, Q or Q + S */
} glp_slot;

struct pan_glp {
    const pan_model *m;
    int slots, max_batch;
    int K, H, W, Q, S, d, F; /* F = latent floats per frame */
    size_t frame_bytes;      /* H * W * 3 */
    pan_kv_cache *kv;
    pan_swin *swin;
    pan_backbone_workspace *bws;
    glp_slot *slot;          /* (slots) */
    float *pending;          /* (slots, Q + S, d) */
    uint8_t *last_frame;     /* (slots, H, W, 3) */
    unsigned char *seen;     /* (slots) distinct check, zero between calls */
    /* call scratch */
    pan_arena scratch;       /* VAE / ViT intermediates */
    float *images;           /* (GLP_VISION_BATCH, 3, H, W) */
    float *latent;           /* (max_batch, F) encoded frames */
    float *tokens;           /* (max_batch, S, d) h(frame) */
    float *predicted;        /* (max_batch, Q, d) */
    float *chunks;           /* (max_batch, K, F) */
    uint8_t *frames;         /* (max_batch, K, H, W, 3) */
    pan_backbone_round *rounds; /* (max_batch) */
    pan_swin_item *items;    /* (max_batch) */
    int *ids;                /* (max_batch) slots of a step's items */
};

/* latent (n, F) and tokens (n, S, d) of n u8 frames (H, W, 3). */
pan_status glp_encode_frames(pan_glp *g, pan_compute *c, int n,
                             const uint8_t *const *frames, float *latent,
                             float *tokens);
/* n latent frames (n, F) -> u8 frames (n, H, W, 3). */
pan_status glp_decode_latents(pan_glp *g, pan_compute *c, int n,
                              const float *latents, uint8_t *frames);
/* INVALID_ARGUMENT unless slots[0..n) are in range, distinct and (when
 * need_ready) reset; `where` and the field name the item. */
pan_status glp_check_slots(pan_glp *g, int n, const int *slots,
                           bool need_ready, const char *where);

#endif
