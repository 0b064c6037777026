/* core/model/decoder/decoder_train.h: the decoder g for training -- one
 * forward over a window batch that keeps what the backward reads, and the
 * backward (docs/model.md "Decoder g"; docs/training.md, stages decoder
 * and glp).
 *
 * Contract
 * - The window, the per-item noise levels and the conditions are those of
 *   pan_decoder_forward_items (decoder.h), validated the same way.
 * - pan_decoder_train_create(cfg, max_batch): one arena (the lifetime
 *   class "activations of one training step") for up to max_batch items of
 *   the largest window (2K+1 frames) and PAN_DECODER_MAX_CONDS conditions
 *   each, every block's kept activations and the backward's scratch;
 *   pan_decoder_train_bytes(cfg, max_batch) is its size (per item: roughly
 *   (17 D + 2 M) * 4 * layers bytes per token row of the window).
 * - pan_decoder_train_forward(c, m, t, batch, n, frames, sigmas, latents,
 *   conds, n_conds, out): out f32 (batch, n, z, h, w), the velocity of every
 *   frame (the same ops as pan_decoder_forward, the final layer on every
 *   frame). The conditions' states are copied: the caller's buffers need
 *   not outlive the call.
 * - pan_decoder_train_backward(c, m, t, dout, grads, dstates, dlatents):
 *   after a forward on t, with dout of its out's shape: ADDS the gradient
 *   of every decoder parameter reached (and model.embed_tokens' rows of the
 *   action bytes and END of non-null conditions) into grads; when dstates
 *   f32 (batch, n_conds, Q, d) is given, each non-null condition's state
 *   gradient into it (null conditions' go to decoder.null_state); when
 *   dlatents f32 (batch, n, z, h, w) is given, the input latents' gradient.
 * - Errors: INVALID_ARGUMENT as pan_decoder_forward_items, for a model of
 *   another config, a backward without a forward; nothing written then.
 * - Thread safety: one t per thread; the model is read only.
 */
#ifndef PAN_CORE_MODEL_DECODER_DECODER_TRAIN_H
#define PAN_CORE_MODEL_DECODER_DECODER_TRAIN_H

#include <stddef.h>

#include "core/compute.h"
#include "core/model/decoder/decoder.h"
#include "core/model/model.h"

typedef struct pan_decoder_train pan_decoder_train;

size_t pan_decoder_train_bytes(const pan_model_config *cfg, int max_batch);
pan_status pan_decoder_train_create(pan_decoder_train **out,
                                    const pan_model_config *cfg,
                                    int max_batch);
void pan_decoder_train_destroy(pan_decoder_train *t);

pan_status pan_decoder_train_forward(pan_compute *c, const pan_model *m,
                                     pan_decoder_train *t, int batch, int n,
                                     const pan_decoder_frame *frames,
                                     const float *sigmas,
                                     const float *latents,
                                     const pan_decoder_condition *conds,
                                     int n_conds, float *out);
pan_status pan_decoder_train_backward(pan_compute *c, const pan_model *m,
                                      pan_decoder_train *t, const float *dout,
                                      pan_model_weights *grads, float *dstates,
                                      float *dlatents);

#endif
