/* core/model/train_util.h: what the model parts' training passes share
 * (vae/vae_train.c, encoder/vit_train.c, backbone/backbone_train.c,
 * decoder/decoder_train.c). Internal to core/model and core/train.
 *
 * Contract
 * - pan_train_mat: a contiguous (rows, cols) f32 view of `data`.
 * - pan_train_linear: out (rows, w.shape[0]) = in (rows, w.shape[1]) @ w^T
 *   + b (b may be NULL), overwriting (beta 0) or adding (beta 1).
 * - pan_train_linear_backward: its gradients, each optional and ADDED:
 *   din += dout @ w, dw += dout^T in, db += the column sums of dout.
 * - pan_train_check_config: INVALID_ARGUMENT "<fn>: the training state was
 *   made for another model configuration" unless m's config is `cfg`.
 * - pan_train_check_f32: INVALID_ARGUMENT naming `fn`, `what`, both shapes,
 *   unless t is a contiguous f32 tensor with data of exactly `want`.
 * Thread safety: pure (the compute object is the caller's).
 */
#ifndef PAN_CORE_MODEL_TRAIN_UTIL_H
#define PAN_CORE_MODEL_TRAIN_UTIL_H

#include <stdint.h>
#include <string.h>

#include "core/compute.h"
#include "core/model/model.h"

pan_tensor pan_train_mat(const float *data, int64_t rows, int64_t cols);

static inline void pan_train_zero(float *p, int64_t count) {
    memset(p, 0, (size_t)count * sizeof(float));
}

pan_status pan_train_linear(pan_compute *c, float *out, const float *in,
                            int64_t rows, const pan_tensor *w,
                            const pan_tensor *b, float beta);
pan_status pan_train_linear_backward(pan_compute *c, const float *dout,
                                     const float *in, int64_t rows,
                                     const pan_tensor *w, float *din,
                                     pan_tensor *dw, pan_tensor *db);
pan_status pan_train_check_config(const char *fn, const pan_model_config *cfg,
                                  const pan_model *m);
pan_status pan_train_check_f32(const char *fn, const char *what,
                               const pan_tensor *t, int ndim,
                               const int64_t *want);

#endif
