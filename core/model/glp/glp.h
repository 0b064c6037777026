/* core/model/glp/glp.h: the GLP world model's step loop over a pool of env
 * slots (docs/swin_dpm.md, "The GLP step loop").
 *
 * Contract
 * - A pan_glp serves `slots` envs of one model: per slot a KV-cache
 *   history (core/model/backbone/kv_cache.h), a decoder window (core/model/
 *   swin_dpm.h), the next round's state tokens and the last frame. Calls
 *   act on a batch of n <= max_batch distinct slots in one forward per
 *   model part.
 * - pan_glp_reset: frames[j] (H, W, 3) u8 is o_1 of slots[j]; the slot's
 *   history is emptied, its decoder window and RNG start from seeds[j];
 *   states[j] (S, d) receives s_1 = h(o_1) (may be NULL).
 * - pan_glp_step: each item appends one round (the slot's pending state
 *   tokens and the action bytes) and writes ŝ_{t+1} to latents[j] (Q, d)
 *   (may be NULL). with_frames: the decoder renders the next chunk, the
 *   VAE decodes it into frames[j] (K, H, W, 3) u8 (may be NULL: computed
 *   anyway, the history needs them) and the last frame is re-encoded:
 *   the next round's state tokens are [ŝ_{t+1}, h(ô)]. Without frames
 *   (latent mode) they are ŝ_{t+1} alone and the decoder is not advanced.
 * - pan_glp_last_frame: the slot's last frame: o_1 after reset, then the
 *   last frame of the last chunk rendered (a latent step keeps it).
 * - Snapshots: pan_glp_snapshot_bytes(slot) grows with the live history
 *   (only live K/V are kept); load of a blob saved by a pan_glp of the
 *   same model restores the slot exactly (same chunks from the same
 *   actions). A blob that does not fit is DATA_LOSS; nothing changes.
 * - Validation before any work: INVALID_ARGUMENT naming the item and field
 *   (n, slots in range and distinct, slots never reset, NULL pointers,
 *   action bytes > max_action_bytes). A compute failure after the
 *   backbone ran may leave a slot's history one round ahead of its
 *   decoder window; callers treat it as INTERNAL and reset the slot.
 * - Deterministic for the same inputs, backend and thread count. One
 *   thread at a time per pan_glp; the model is shared read-only.
 */
#ifndef PAN_CORE_MODEL_GLP_GLP_H
#define PAN_CORE_MODEL_GLP_GLP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/compute.h"
#include "core/model/model.h"

typedef struct pan_glp pan_glp;

typedef struct pan_glp_action {
    int slot;
    const void *text; /* action bytes (UTF-8 text) */
    size_t len;       /* 0..max_action_bytes */
} pan_glp_action;

/* The model must outlive the pan_glp. */
pan_status pan_glp_create(pan_glp **out, const pan_model *m, int slots,
                          int max_batch);
void pan_glp_destroy(pan_glp *g);
int pan_glp_max_batch(const pan_glp *g);
/* Bytes held per slot (KV cache, window, state) and in total. */
size_t pan_glp_bytes_per_slot(const pan_glp *g);
size_t pan_glp_total_bytes(const pan_glp *g);

pan_status pan_glp_reset(pan_glp *g, pan_compute *c, int n, const int *slots,
                         const uint8_t *const *frames, const uint64_t *seeds,
                         float *const *states);
pan_status pan_glp_step(pan_glp *g, pan_compute *c, int n,
                        const pan_glp_action *items, bool with_frames,
                        uint8_t *const *frames, float *const *latents);

pan_status pan_glp_last_frame(const pan_glp *g, int slot, uint8_t *frame);

/* h(o) = ViT(VAE.encode(o)) of n <= max_batch frames (H, W, 3) u8 into
 * tokens[j] (S, d), as an observed frame is encoded; no slot changes. */
pan_status pan_glp_encode(pan_glp *g, pan_compute *c, int n,
                          const uint8_t *const *frames, float *const *tokens);

size_t pan_glp_snapshot_bytes(const pan_glp *g, int slot);
pan_status pan_glp_save(const pan_glp *g, int slot, void *blob);
pan_status pan_glp_load(pan_glp *g, int slot, const void *blob, size_t bytes);
pan_status pan_glp_copy(pan_glp *g, int dst, int src);

#endif
