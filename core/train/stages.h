/* core/train/stages.h: the three training losses of docs/training.md --
 * stage vae, stage decoder and stage glp -- each with its gradients, on
 * the model parts' training forwards and backwards.
 *
 * Contract
 * - Each stage is an object made once for a maximum batch (all activation
 *   memory up front, in the parts' arenas and one buffer arena) and then
 *   evaluated on any batch up to it: pan_*_stage_loss writes the loss
 *   (docs/training.md, exactly; every noise an input) into *loss and, when
 *   grads is not NULL, ADDS d loss / d parameter into grads (a binding of
 *   a gradient block by the model's table: core/train/grads.h). grads NULL
 *   computes the loss alone (no backward).
 * - Shapes (z, h, w the latent; C, H, W the frame; K chunk_frames; Q
 *   queries; d backbone.dim; n the window's frames, K+1 for "first", 2K+1
 *   for "pair"; C_w conditions, 1 or 2):
 *     vae:     images (B, C, H, W), eps (B, z, h, w), weights (B) or NULL.
 *     decoder: x1, x0 (B, n, z, h, w), k (B), actions (B, C_w),
 *              state_latents (B, C_w, z, h, w), weights (B) or NULL; a
 *              dropped condition is an action with `dropped` set.
 *     glp:     z0 (B, z, h, w), chunks (B, R, K, z, h, w), actions (B, R),
 *              prev (B, R-1, Q, d), windows[r] for r = 0..R-1 (x0 (B, n_r,
 *              z, h, w), k (B), dropped (B, C_r)), weights (B) or NULL.
 * - Every argument is validated before any work (INVALID_ARGUMENT naming
 *   the item and field; nothing written then): batch sizes against the
 *   maximum, noise levels k in [0, 1] (pair windows [0, 0.5]), actions no
 *   longer than max_action_bytes, finite kl_weight >= 0. Stages decoder
 *   and glp need S = Q (the true next state h(.) stands for ŝ).
 * - Thread safety: one stage object per thread; the model is read only.
 */
#ifndef PAN_CORE_TRAIN_STAGES_H
#define PAN_CORE_TRAIN_STAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/compute.h"
#include "core/model/model.h"

typedef enum pan_window_kind {
    PAN_WINDOW_FIRST = 0, /* [cond, chunk 0]: the first chunk of a video */
    PAN_WINDOW_PAIR = 1,  /* [cond, chunk r-1, chunk r] */
} pan_window_kind;

typedef struct pan_train_action {
    const uint8_t *bytes;
    int len;      /* 0..max_action_bytes */
    bool dropped; /* the null condition instead (classifier-free guidance) */
} pan_train_action;

/* ---- stage vae ---- */
typedef struct pan_vae_stage pan_vae_stage;
pan_status pan_vae_stage_create(pan_vae_stage **out,
                                const pan_model_config *cfg, int max_batch);
void pan_vae_stage_destroy(pan_vae_stage *s);
pan_status pan_vae_stage_loss(pan_compute *c, const pan_model *m,
                              pan_vae_stage *s, int batch, const float *images,
                              const float *eps, float kl_weight,
                              const float *weights, pan_model_weights *grads,
                              double *loss);

/* ---- stage decoder ---- */
typedef struct pan_decoder_stage pan_decoder_stage;
pan_status pan_decoder_stage_create(pan_decoder_stage **out,
                                    const pan_model_config *cfg,
                                    int max_batch);
void pan_decoder_stage_destroy(pan_decoder_stage *s);
pan_status pan_decoder_stage_loss(pan_compute *c, const pan_model *m,
                                  pan_decoder_stage *s, pan_window_kind kind,
                                  int batch, const float *x1, const float *x0,
                                  const float *k,
                                  const pan_train_action *actions,
                                  const float *state_latents,
                                  const float *weights,
                                  pan_model_weights *grads, double *loss);

/* ---- stage glp ---- */
typedef struct pan_glp_window_noise {
    const float *x0;   /* (B, n_r, z, h, w) */
    const float *k;    /* (B) */
    const bool *dropped; /* (B, C_r) */
} pan_glp_window_noise;

typedef struct pan_glp_stage pan_glp_stage;
pan_status pan_glp_stage_create(pan_glp_stage **out,
                                const pan_model_config *cfg, int max_batch,
                                int max_rounds);
void pan_glp_stage_destroy(pan_glp_stage *s);
pan_status pan_glp_stage_loss(pan_compute *c, const pan_model *m,
                              pan_glp_stage *s, int batch, int rounds,
                              const float *z0, const float *chunks,
                              const pan_train_action *actions,
                              const float *prev,
                              const pan_glp_window_noise *windows,
                              const float *weights, pan_model_weights *grads,
                              double *loss);

#endif
