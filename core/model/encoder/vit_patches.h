/* core/model/encoder/vit_patches.h: the vision encoder's patch gather
 * (docs/model.md, "Vision encoder h", steps 1-2). Internal to core/model.
 *
 * Contract
 * - pan_vit_gather_patches: latent f32 (N, z, h, w), contiguous ->
 *   patches f32 (N, T, z*p*p) in merge-group-major token order and
 *   positions i32 (N, T, 2) = (row, col) of each patch on the grid,
 *   T = (h/p) * (w/p). The patch at grid (r, c) = (gy*m + dy, gx*m + dx)
 *   is token (gy*Gm + gx)*m*m + dy*m + dx with Gm = (w/p)/m; its value
 *   vector is latent[n, ch, r*p + ty, c*p + tx] at ch*p*p + ty*p + tx.
 * - pan_vit_scatter_patches_add is its adjoint (the backward pass): each
 *   patch value of dpatches (N, T, z*p*p) is added to the latent element
 *   it was gathered from in dlatent (N, z, h, w). Every latent element is
 *   gathered exactly once, so this is a permutation too.
 * - The caller (pan_vit_forward) has validated every shape; this is a pure
 *   index permutation (no arithmetic), so it is plain C, not a compute op.
 * Thread safety: pure.
 */
#ifndef PAN_CORE_MODEL_ENCODER_VIT_PATCHES_H
#define PAN_CORE_MODEL_ENCODER_VIT_PATCHES_H

#include <stdint.h>

void pan_vit_gather_patches(const float *latent, int64_t n, int64_t z,
                            int64_t h, int64_t w, int patch, int merge,
                            float *patches, int32_t *positions);
void pan_vit_scatter_patches_add(const float *dpatches, int64_t n, int64_t z,
                                 int64_t h, int64_t w, int patch, int merge,
                                 float *dlatent);

#endif
