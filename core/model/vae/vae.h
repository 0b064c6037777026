/* core/model/vae/vae.h: the convolutional VAE (docs/model.md, "VAE").
 *
 * Contract
 * - pan_vae_encode: images f32 (N, channels, H, W) in [-1, 1] -> latent f32
 *   (N, latent_channels, H/2^(L-1), W/2^(L-1)) = mean * scaling_factor.
 * - pan_vae_decode: latent -> images f32 (N, channels, H, W), unclamped.
 * - Every op goes through pan_compute (convolutions run on oneDNN with the
 *   onednn or auto backend). Intermediates come from `scratch`, which is
 *   rewound before returning; pan_vae_scratch_bytes(cfg, n) is enough for
 *   a batch of n (either direction).
 * - Errors: INVALID_ARGUMENT for shapes that do not match the config
 *   (naming both), RESOURCE_EXHAUSTED when scratch is too small; outputs
 *   are untouched by a failed shape check. Thread safety: one call per
 *   pan_compute at a time; weights are read only.
 */
#ifndef PAN_CORE_MODEL_VAE_VAE_H
#define PAN_CORE_MODEL_VAE_VAE_H

#include <stddef.h>

#include "core/arena.h"
#include "core/compute.h"
#include "core/model/model.h"

size_t pan_vae_scratch_bytes(const pan_model_config *cfg, int n);
pan_status pan_vae_encode(pan_compute *c, const pan_model *m,
                          pan_arena *scratch, const pan_tensor *images,
                          pan_tensor *latent);
pan_status pan_vae_decode(pan_compute *c, const pan_model *m,
                          pan_arena *scratch, const pan_tensor *latent,
                          pan_tensor *images);

#endif
