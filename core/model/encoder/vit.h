/* core/model/encoder/vit.h: the vision encoder h (docs/model.md, "Vision encoder").
 *
 * Contract
 * - pan_vit_forward: latent f32 (N, latent_channels, h, w) -> state tokens
 *   f32 (N, S, d), S = pan_state_tokens(cfg), d = backbone.dim.
 * - Patches are gathered in merge-group-major order with their (row, col)
 *   2-D RoPE positions; attention is unmasked; the merger MLP maps groups
 *   of merge*merge tokens to the backbone width.
 * - Intermediates from `scratch` (rewound before returning);
 *   pan_vit_scratch_bytes(cfg, n) suffices for n images.
 * - Errors and thread safety as core/model/vae/vae.h.
 */
#ifndef PAN_CORE_MODEL_ENCODER_VIT_H
#define PAN_CORE_MODEL_ENCODER_VIT_H

#include <stddef.h>

#include "core/arena.h"
#include "core/compute.h"
#include "core/model/model.h"

size_t pan_vit_scratch_bytes(const pan_model_config *cfg, int n);
pan_status pan_vit_forward(pan_compute *c, const pan_model *m,
                           pan_arena *scratch, const pan_tensor *latent,
                           pan_tensor *tokens);

#endif
