/* core/train/grads.h: a gradient block -- one f32 block mirroring the
 * model's parameter block, bound by the same parameter table.
 *
 * Contract
 * - pan_grads_create(model): a zero-filled, 64-byte aligned block of
 *   model->params.total_floats floats and `w`, its binding: every view of
 *   `w` is the gradient of the same-named view of model->w (same shape,
 *   same offset into its block). The model's own binding is untouched
 *   (core/model/params.h: each binding owns its per-layer arrays).
 * - Backward passes ADD into `w` (llm.c's rule); pan_grads_zero starts a
 *   step. pan_grads_destroy frees the block and the binding.
 * - The table is the model's and must outlive the gradients.
 * - Errors: RESOURCE_EXHAUSTED when the block cannot be allocated (naming
 *   its size); INVALID_ARGUMENT for NULL arguments. Thread safety: one
 *   owner.
 */
#ifndef PAN_CORE_TRAIN_GRADS_H
#define PAN_CORE_TRAIN_GRADS_H

#include <stdint.h>

#include "core/model/model.h"
#include "core/status.h"

typedef struct pan_grads {
    const pan_param_table *table; /* the model's */
    float *block;                 /* (table->total_floats), 64-byte aligned */
    pan_model_weights w;          /* views into block */
} pan_grads;

pan_status pan_grads_create(pan_grads **out, const pan_model *model);
void pan_grads_zero(pan_grads *g);
void pan_grads_destroy(pan_grads *g);

/* The gradient of the parameter `name`, or NULL (no such parameter). */
float *pan_grads_find(pan_grads *g, const char *name);

#endif
