/* core/model/encoder/vit_train.h: the vision encoder h for training -- a
 * forward that keeps what the backward reads, and the backward
 * (docs/model.md "Vision encoder h"; docs/training.md).
 *
 * Contract
 * - pan_vit_train_create(cfg, max_n): one arena, the lifetime class
 *   "activations of one training step", for up to max_n images: every
 *   layer's kept activations and the backward's gradient scratch, sized up
 *   front; nothing is allocated per step. pan_vit_train_bytes(cfg, n) is
 *   its size for n images (linear in n: the bytes per image are
 *   pan_vit_train_bytes(cfg, 1) minus the rounding slack).
 * - pan_vit_train_forward(c, m, t, latent, tokens): latent f32 (N, z, h,
 *   w), tokens f32 (N, S, d), N in 1..max_n: the same ops in the same order
 *   as pan_vit_forward (so the same result on the same backend and
 *   threads), keeping the activations in t.
 * - pan_vit_train_backward(c, m, t, dtokens, grads, dlatent): after a
 *   forward on t, with dtokens (N, S, d) of that forward's N: ADDS the
 *   gradient of every encoder parameter into grads (a binding of a
 *   gradient block by the model's table: core/train/grads.h) and, when
 *   dlatent (N, z, h, w) is not NULL, the latent's gradient into it.
 *   dtokens is read only; the activations stay valid (a second backward
 *   adds the same gradients again).
 * - Errors: INVALID_ARGUMENT for a shape that does not match the config
 *   (naming both), N outside 1..max_n, a model of another config, a
 *   backward without a forward or with another N; nothing is written then.
 *   An op failing midway (RESOURCE_EXHAUSTED from a backend) can leave
 *   partial sums in grads and dlatent.
 * - Thread safety: one t per thread; the model is read only.
 */
#ifndef PAN_CORE_MODEL_ENCODER_VIT_TRAIN_H
#define PAN_CORE_MODEL_ENCODER_VIT_TRAIN_H

#include <stddef.h>

#include "core/compute.h"
#include "core/model/model.h"

typedef struct pan_vit_train pan_vit_train;

size_t pan_vit_train_bytes(const pan_model_config *cfg, int n);
pan_status pan_vit_train_create(pan_vit_train **out,
                                const pan_model_config *cfg, int max_n);
void pan_vit_train_destroy(pan_vit_train *t);

pan_status pan_vit_train_forward(pan_compute *c, const pan_model *m,
                                 pan_vit_train *t, const pan_tensor *latent,
                                 pan_tensor *tokens);
pan_status pan_vit_train_backward(pan_compute *c, const pan_model *m,
                                  pan_vit_train *t, const pan_tensor *dtokens,
                                  pan_model_weights *grads,
                                  pan_tensor *dlatent);

#endif
