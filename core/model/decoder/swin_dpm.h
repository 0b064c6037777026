/* core/model/decoder/swin_dpm.h: Causal Swin-DPM sampling -- the decoder window of
 * every env and one batched sampling step (docs/swin_dpm.md, "pan's cycle:
 * the same chunks, no lag").
 *
 * Contract
 * - A pan_swin is a pool of `slots` per-env sampler states in one
 *   allocation (the per-env-state lifetime class, like the KV cache): the
 *   conditioning frames cond1 and cond2, the previous chunk's phase-2
 *   trajectory and its condition (predicted state and action bytes), and
 *   the env's RNG (core/rng.h). Each slot is plain data of
 *   pan_swin_slot_bytes: save/load/copy are byte copies, so a fork and its
 *   original produce identical chunks from the same actions.
 * - pan_swin_reset(slot, first, seed): first f32 (z, h, w) is the clean
 *   latent of o_1; the RNG restarts at `seed`, draws ε (z*h*w) and
 *   cond1 = cond2 = (1 - cond_noise) first + cond_noise ε; no previous
 *   chunk.
 * - pan_swin_step runs one env step for n slots at once: each item brings
 *   its predicted state ŝ (Q, d) and its action bytes; out f32 (n, K, z,
 *   h, w) receives the chunk latents. Items whose slot has no previous
 *   chunk (the first step after reset) window [cond1, B]; the others
 *   [cond1, A, B]; each group runs as one decoder batch. With cfg_scale
 *   != 1 every forward also runs the null condition in the same batch.
 *   Draws: x0 (K*z*h*w) then the new cond2's ε (z*h*w) per item.
 * - Validation first (INVALID_ARGUMENT naming the item and field): n in
 *   1..max_batch, slots in range and distinct, state non-NULL, action
 *   non-NULL when action_len > 0, action_len in 0..max_action_bytes, a
 *   slot that was reset. A compute failure later leaves every slot as it
 *   was (the step writes the slots only after the last forward).
 * - cfg_scale is fixed at creation (the config's, or an override for
 *   tests); it must be finite.
 * - Deterministic for the same slots, inputs, backend and thread count.
 *   Thread safety: one thread at a time per pool.
 */
#ifndef PAN_CORE_MODEL_DECODER_SWIN_DPM_H
#define PAN_CORE_MODEL_DECODER_SWIN_DPM_H

#include <stddef.h>
#include <stdint.h>

#include "core/compute.h"
#include "core/model/model.h"

typedef struct pan_swin pan_swin;

/* One item of a step: the chunk's condition. */
typedef struct pan_swin_item {
    int slot;
    const float *state;    /* (Q, d) predicted state ŝ_{t+1} */
    const uint8_t *action; /* action bytes */
    int action_len;        /* 0..max_action_bytes */
} pan_swin_item;

pan_status pan_swin_create(pan_swin **out, const pan_model_config *cfg,
                           int slots, int max_batch, float cfg_scale);
void pan_swin_destroy(pan_swin *swin);

int pan_swin_slots(const pan_swin *swin);
int pan_swin_max_batch(const pan_swin *swin);
size_t pan_swin_slot_bytes(const pan_swin *swin);
/* Slots plus the step's workspace (decoder activations, windows). */
size_t pan_swin_total_bytes(const pan_swin *swin);

pan_status pan_swin_reset(pan_swin *swin, int slot, const float *first,
                          uint64_t seed);
pan_status pan_swin_step(pan_compute *c, const pan_model *m, pan_swin *swin,
                         int n, const pan_swin_item *items, float *out);

/* blob: pan_swin_slot_bytes bytes. load/copy make the slot identical to
 * the saved one; a blob is only meaningful to a pool of the same config. */
pan_status pan_swin_save(const pan_swin *swin, int slot, void *blob);
pan_status pan_swin_load(pan_swin *swin, int slot, const void *blob);
/* What load checks, without loading: PAN_OK or DATA_LOSS. */
pan_status pan_swin_check_blob(const pan_swin *swin, const void *blob);
pan_status pan_swin_copy(pan_swin *swin, int dst, int src);

#endif
