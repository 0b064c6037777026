/* core/model/decoder/decoder.h: the decoder g -- one DiT forward over a window of
 * latent frames, batched (docs/model.md, "Decoder g: one forward over a
 * window").
 *
 * Contract
 * - A window is `n` frames described once (pan_decoder_frame: noise level,
 *   frame_embed slot, mask block, condition index) and shared by every item
 *   of the batch; each item brings its own latents and its own conditions
 *   (a predicted state and an action, or the null condition).
 * - Frames without a condition (cond = -1) must come first: the
 *   conditioned frames of a window are one run at its end (every Swin-DPM
 *   window has this shape). Blocks must not decrease along the window.
 * - pan_decoder_forward writes the velocity of frames
 *   [out_first, out_first + out_count) of every item:
 *   out f32 (batch, out_count, z, h, w).
 * - pan_decoder_forward_items is the same with a noise level per item and
 *   frame: sigmas f32 (batch, n) replaces frames[j].sigma for item b by
 *   sigmas[b * n + j] (training draws one per item); NULL: the frames'.
 * - Everything is validated before any work: batch in 1..max_batch of the
 *   workspace, n in 1..2K+1, every slot in 0..2K, blocks 0..2 and
 *   non-decreasing, finite sigmas in [0, 1] (the frames' and the items'), cond in -1..n_conds-1 with the
 *   layout rule above, n_conds in 0..PAN_DECODER_MAX_CONDS, every
 *   condition's action_len <= max_action_bytes, out range inside the
 *   window. Errors are INVALID_ARGUMENT naming the item/frame and field.
 * - The workspace holds every activation for up to max_batch items of the
 *   largest window (2K+1 frames) and PAN_DECODER_MAX_CONDS conditions
 *   each; nothing is allocated per forward. One workspace per thread.
 * - Deterministic for the same inputs, backend and thread count.
 */
#ifndef PAN_CORE_MODEL_DECODER_DECODER_H
#define PAN_CORE_MODEL_DECODER_DECODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/compute.h"
#include "core/model/model.h"

#define PAN_DECODER_MAX_CONDS 2

typedef struct pan_decoder_frame {
    float sigma; /* noise level in [0, 1] (0 = clean) */
    int slot;    /* decoder.frame_embed row: 0 cond, 1..K, K+1..2K */
    int block;   /* 0 conditioning frame, 1 earlier chunk, 2 later chunk */
    int cond;    /* -1: no cross-attention; else a condition index */
} pan_decoder_frame;

typedef struct pan_decoder_condition {
    bool null;             /* the learned null condition (CFG) */
    const float *state;    /* (Q, d) predicted state; unused when null */
    const uint8_t *action; /* (action_len) bytes; unused when null */
    int action_len;        /* 0..max_action_bytes */
} pan_decoder_condition;

typedef struct pan_decoder_workspace pan_decoder_workspace;

pan_status pan_decoder_workspace_create(pan_decoder_workspace **out,
                                        const pan_model_config *cfg,
                                        int max_batch);
void pan_decoder_workspace_destroy(pan_decoder_workspace *ws);
size_t pan_decoder_workspace_bytes(const pan_decoder_workspace *ws);
int pan_decoder_workspace_max_batch(const pan_decoder_workspace *ws);

/* latents f32 (batch, n, z, h, w); conds (batch, n_conds) row-major. */
pan_status pan_decoder_forward(pan_compute *c, const pan_model *m,
                               pan_decoder_workspace *ws, int batch, int n,
                               const pan_decoder_frame *frames,
                               const float *latents,
                               const pan_decoder_condition *conds, int n_conds,
                               int out_first, int out_count, float *out);
pan_status pan_decoder_forward_items(pan_compute *c, const pan_model *m,
                                     pan_decoder_workspace *ws, int batch,
                                     int n, const pan_decoder_frame *frames,
                                     const float *sigmas, const float *latents,
                                     const pan_decoder_condition *conds,
                                     int n_conds, int out_first, int out_count,
                                     float *out);

#endif
