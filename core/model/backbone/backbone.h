/* core/model/backbone/backbone.h: the backbone f -- one round per env, batched.
 *
 * Contract (docs/model.md, "Backbone f: one round")
 * - pan_backbone_step appends one round to each of `n` envs' histories
 *   (rounds[i].slot of `cache`; slots distinct) and writes the predicted
 *   next state of each, out f32 (n, Q, d). The envs may have histories of
 *   different lengths and rounds of different lengths: tokens of all
 *   rounds are packed into one (sum T_r, d) activation for every linear
 *   layer; attention runs per env against its own cache.
 * - Inputs are validated before anything changes: n in 1..max_batch (of
 *   the workspace), slots in range and distinct, n_state in 0..Q+S, state
 *   non-NULL when n_state > 0, action_len <= max_action_bytes. Errors are
 *   INVALID_ARGUMENT naming the env index and the field. A failure later
 *   (compute error, a cache full with a non-default capacity) leaves every
 *   cache slot as it was.
 * - A pan_backbone_workspace holds the activation arena for up to
 *   max_batch rounds of the longest length; it is reused by every step
 *   (nothing allocated in the step). One workspace per thread.
 */
#ifndef PAN_CORE_MODEL_BACKBONE_BACKBONE_H
#define PAN_CORE_MODEL_BACKBONE_BACKBONE_H

#include <stddef.h>
#include <stdint.h>

#include "core/compute.h"
#include "core/model/backbone/kv_cache.h"
#include "core/model/model.h"

typedef struct pan_backbone_round {
    int slot;             /* cache slot of this env */
    const float *state;   /* (n_state, d) state tokens */
    int n_state;          /* S for round 0; Q + S later; 0..Q+S */
    const void *action;   /* action text bytes */
    size_t action_len;    /* <= max_action_bytes */
} pan_backbone_round;

typedef struct pan_backbone_workspace pan_backbone_workspace;

pan_status pan_backbone_workspace_create(pan_backbone_workspace **out,
                                         const pan_model_config *cfg,
                                         int max_batch);
void pan_backbone_workspace_destroy(pan_backbone_workspace *ws);
size_t pan_backbone_workspace_bytes(const pan_backbone_workspace *ws);

pan_status pan_backbone_step(pan_compute *c, const pan_model *m,
                             pan_backbone_workspace *ws, pan_kv_cache *cache,
                             const pan_backbone_round *rounds, int n,
                             float *out);

#endif
