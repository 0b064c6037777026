/* core/model/vae/vae_train.h: the VAE for training -- encoder and decoder
 * forwards that keep every activation, and their backwards (docs/model.md
 * "VAE"; docs/training.md, stage vae).
 *
 * Contract
 * - pan_vae_train_create(cfg, max_n): one arena (the lifetime class
 *   "activations of one training step") for up to max_n images through the
 *   encoder and the decoder: every activation of both and a gradient
 *   buffer for each; pan_vae_train_bytes(cfg, max_n) is its size.
 * - pan_vae_train_encode(c, m, t, images, moments): images f32 (N, C, H,
 *   W), N in 1..max_n -> moments f32 (N, 2z, h, w), conv_out's output:
 *   channels [0, z) the mean, [z, 2z) the log-variance (unscaled; the
 *   inference encoder's latent is mean * scaling_factor).
 * - pan_vae_train_encode_backward(c, m, t, dmoments, grads): after an
 *   encode, dmoments of the moments' shape: ADDS every vae.encoder
 *   parameter's gradient into grads.
 * - pan_vae_train_decode(c, m, t, latent, images): latent f32 (N, z, h, w),
 *   the inference decoder's argument (scaling_factor * z), -> images f32
 *   (N, C, H, W), the same ops as pan_vae_decode.
 * - pan_vae_train_decode_backward(c, m, t, dimages, grads, dlatent): after
 *   a decode: ADDS every vae.decoder parameter's gradient into grads and,
 *   when dlatent (N, z, h, w) is given, the latent's gradient into it.
 * - Encode and decode keep separate activations: both may run before
 *   either backward (the stage vae loss does).
 * - Errors: INVALID_ARGUMENT for shapes (naming both), N outside 1..max_n,
 *   a model of another config, a backward without its forward; nothing is
 *   written then. Thread safety: one t per thread; the model read only.
 */
#ifndef PAN_CORE_MODEL_VAE_VAE_TRAIN_H
#define PAN_CORE_MODEL_VAE_VAE_TRAIN_H

#include <stddef.h>

#include "core/compute.h"
#include "core/model/model.h"

typedef struct pan_vae_train pan_vae_train;

size_t pan_vae_train_bytes(const pan_model_config *cfg, int max_n);
pan_status pan_vae_train_create(pan_vae_train **out,
                                const pan_model_config *cfg, int max_n);
void pan_vae_train_destroy(pan_vae_train *t);

pan_status pan_vae_train_encode(pan_compute *c, const pan_model *m,
                                pan_vae_train *t, const pan_tensor *images,
                                pan_tensor *moments);
pan_status pan_vae_train_encode_backward(pan_compute *c, const pan_model *m,
                                         pan_vae_train *t,
                                         const pan_tensor *dmoments,
                                         pan_model_weights *grads);
pan_status pan_vae_train_decode(pan_compute *c, const pan_model *m,
                                pan_vae_train *t, const pan_tensor *latent,
                                pan_tensor *images);
pan_status pan_vae_train_decode_backward(pan_compute *c, const pan_model *m,
                                         pan_vae_train *t,
                                         const pan_tensor *dimages,
                                         pan_model_weights *grads,
                                         pan_tensor *dlatent);

#endif
