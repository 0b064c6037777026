/* core/train/optim.h: the optimizer side of training -- AdamW with
 * decoupled weight decay on matrices only, global-norm gradient clipping,
 * an exponential moving average of the weights, and the learning-rate
 * schedule (linear warm-up, then cosine).
 *
 * Contract
 * - pan_adamw_create(table, cfg): two moment blocks (m, v) of
 *   table->total_floats floats each, zeroed, step 0. Weight decay applies
 *   to the parameters of 2 or more dimensions (linear and convolution
 *   weights, embedding tables); biases, norm weights and other vectors get
 *   none.
 * - pan_adamw_step(opt, params, grads, lr): one step of PyTorch's AdamW
 *   (torch.optim.AdamW, amsgrad off) over every parameter of the table:
 *   t += 1; p -= lr * wd * p (decayed ones); m = b1 m + (1 - b1) g;
 *   v = b2 v + (1 - b2) g^2; p -= lr * (m / (1 - b1^t)) /
 *   (sqrt(v / (1 - b2^t)) + eps). f32 storage, the bias corrections in
 *   double. Padding between parameters is left alone.
 * - pan_adamw_freeze(opt, prefixes, n): from now on only the parameters
 *   whose names start with one of the prefixes train; a step leaves the
 *   others, and their moments, exactly as they are (no weight decay
 *   either). The stages of docs/training.md train parts of the model.
 * - pan_grads_global_norm(table, grads): sqrt of the sum of squares of
 *   every gradient, accumulated in double in the table's order.
 *   pan_grads_clip(table, grads, max_norm): when the norm exceeds max_norm
 *   (> 0), scales every gradient by max_norm / norm; returns the norm
 *   before clipping.
 * - pan_ema_update(table, ema, params, decay): ema = decay * ema +
 *   (1 - decay) * params, parameter by parameter.
 * - pan_lr_at(sched, step): the learning rate of step `step` (0-based) of
 *   sched->total: base * (step + 1) / warmup during the warm-up, then
 *   min + (base - min) * (1 + cos(pi * progress)) / 2 with progress from 0
 *   to 1 over the remaining steps; min after total.
 * - Deterministic: the same inputs give the same bits on any thread count
 *   (every update is elementwise; the norm's sum runs in one order).
 * - Errors: INVALID_ARGUMENT for NULLs and out-of-range settings (lr,
 *   betas in [0, 1), eps > 0, weight decay >= 0, decay in [0, 1]).
 * - Thread safety: an optimizer belongs to one thread.
 */
#ifndef PAN_CORE_TRAIN_OPTIM_H
#define PAN_CORE_TRAIN_OPTIM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/model/params.h"
#include "core/status.h"

typedef struct pan_adamw_config {
    float beta1, beta2, eps, weight_decay;
} pan_adamw_config;

typedef struct pan_adamw {
    const pan_param_table *table;
    pan_adamw_config cfg;
    float *m, *v;   /* (table->total_floats) each, 64-byte aligned */
    int64_t step;   /* steps taken */
    bool *frozen;   /* (table->count) or NULL: every parameter trains */
} pan_adamw;

pan_status pan_adamw_create(pan_adamw **out, const pan_param_table *table,
                            const pan_adamw_config *cfg);
void pan_adamw_destroy(pan_adamw *opt);
pan_status pan_adamw_freeze(pan_adamw *opt, const char *const *prefixes,
                            int n_prefixes);
pan_status pan_adamw_step(pan_adamw *opt, float *params, const float *grads,
                          float lr);

double pan_grads_global_norm(const pan_param_table *table, const float *grads);
double pan_grads_clip(const pan_param_table *table, float *grads,
                      double max_norm);
pan_status pan_ema_update(const pan_param_table *table, float *ema,
                          const float *params, float decay);

typedef struct pan_lr_schedule {
    double base, min;     /* peak and final learning rates */
    int64_t warmup, total; /* steps */
} pan_lr_schedule;

double pan_lr_at(const pan_lr_schedule *sched, int64_t step);

#endif
