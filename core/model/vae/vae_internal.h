/* core/model/vae/vae_internal.h: pieces shared by the VAE encoder and decoder
 * (core/model/vae/vae.c, vae_resblock.c). Not a public header.
 *
 * Contract
 * - pan_vae_bufs: three scratch buffers of `cap` floats each, taken from
 *   the caller's arena once per call and rotated (ping-pong) through every
 *   layer; pan_vae_max_activation gives the `cap` that the largest
 *   intermediate of either direction needs, so pan_vae_scratch_bytes and
 *   the forward passes agree by construction.
 * - pan_vae_resblock: ResBlock(cin -> cout) of docs/model.md on bufs->x
 *   (N, cin, h, w); the result is left in bufs->x (N, cout, h, w) and the
 *   other two buffers are clobbered. Every op goes through pan_compute.
 * - pan_vae_norm_silu: out = silu(gn(x; gamma, beta)), out may equal x.
 * Errors: whatever pan_compute returns (already formatted).
 */
#ifndef PAN_CORE_MODEL_VAE_VAE_INTERNAL_H
#define PAN_CORE_MODEL_VAE_VAE_INTERNAL_H

#include <stdint.h>

#include "core/compute.h"
#include "core/model/config.h"
#include "core/model/weights.h"

typedef struct pan_vae_bufs {
    float *x;    /* (cap) current activation */
    float *t1;   /* (cap) */
    float *t2;   /* (cap) */
    int64_t cap; /* floats in each buffer */
} pan_vae_bufs;

/* Largest activation (in floats) held in one pan_vae_bufs buffer by encode
 * or decode of a batch of n. */
int64_t pan_vae_max_activation(const pan_model_config *cfg, int64_t n);

pan_status pan_vae_norm_silu(pan_compute *c, const pan_vae_config *vc,
                             float *out, const float *x, const pan_tensor *gamma,
                             const pan_tensor *beta, int64_t n, int64_t ch,
                             int64_t h, int64_t w);

pan_status pan_vae_resblock(pan_compute *c, const pan_vae_config *vc,
                            const pan_resblock_weights *rb, pan_vae_bufs *bufs,
                            int64_t n, int64_t cin, int64_t cout, int64_t h,
                            int64_t w);

#endif
