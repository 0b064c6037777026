/* core/train/window_loss.h: the decoder's flow-matching loss on one batch
 * of Causal Swin-DPM training windows (docs/training.md, "Stage decoder"),
 * shared by stages decoder and glp. Internal to core/train.
 *
 * Contract
 * - pan_window_loss_create(cfg, max_batch): the decoder's training state
 *   and every buffer for max_batch windows of the largest kind.
 * - pan_window_loss_run(c, m, wl, kind, batch, x1, x0, k, conds, weights,
 *   weight_scale, grads, dstates, loss): sigma per item and frame
 *   (cond_noise; k_b; pair: fl32(k_b + 0.5)), x_sigma = (1 - sigma) x1 +
 *   sigma x0, the decoder's velocity v of every frame, and
 *   loss = weight_scale * (1/B) sum_b w_b mean over frames 1..n-1 of
 *   (v - (x1 - x0))^2, added to *loss. With grads: the backward, ADDING
 *   into grads and (when given) each condition's state gradient into
 *   dstates (B, C, Q, d). conds (B, C) as pan_decoder_forward's (state
 *   pointers may be anything for null conditions).
 * - Validation: batch 1..max_batch; k finite in [0, 1] (pair: [0, 0.5]);
 *   the rest as pan_decoder_forward_items. INVALID_ARGUMENT names the
 *   item; nothing is written then.
 */
#ifndef PAN_CORE_TRAIN_WINDOW_LOSS_H
#define PAN_CORE_TRAIN_WINDOW_LOSS_H

#include "core/compute.h"
#include "core/model/decoder/decoder.h"
#include "core/model/model.h"
#include "core/train/stages.h"

typedef struct pan_window_loss pan_window_loss;

pan_status pan_window_loss_create(pan_window_loss **out,
                                  const pan_model_config *cfg, int max_batch);
void pan_window_loss_destroy(pan_window_loss *wl);
int pan_window_frames(const pan_model_config *cfg, pan_window_kind kind);
int pan_window_conds(pan_window_kind kind);
pan_status pan_window_loss_check(const pan_window_loss *wl,
                                 pan_window_kind kind, int batch,
                                 const float *k, const char *where);
pan_status pan_window_loss_run(pan_compute *c, const pan_model *m,
                               pan_window_loss *wl, pan_window_kind kind,
                               int batch, const float *x1, const float *x0,
                               const float *k,
                               const pan_decoder_condition *conds,
                               const float *weights, float weight_scale,
                               pan_model_weights *grads, float *dstates,
                               double *loss);

#endif
