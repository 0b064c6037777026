/* core/model/params_internal.h: the one declaration walk behind the
 * parameter table (params_declare.c), shared by pan_params_build and
 * pan_params_bind so that both see the same order.
 *
 * Contract
 * - pan_params_declare calls `visit` once per parameter, in docs/model.md
 *   order, with the full name, shape, init rule and the address of the
 *   view in `w` that the parameter binds to. `w->encoder.blocks` and
 *   `w->backbone.layers` must point to arrays of encoder.layers and
 *   backbone.layers entries. The walk stops at the first non-OK status
 *   from `visit` and returns it. `cfg` must be valid.
 * - Internal to core/model; not installed as API.
 */
#ifndef PAN_CORE_MODEL_PARAMS_INTERNAL_H
#define PAN_CORE_MODEL_PARAMS_INTERNAL_H

#include <stdint.h>

#include "core/model/params.h"

typedef pan_status (*pan_param_visit_fn)(void *ctx, const char *name,
                                         int ndim, const int64_t *shape,
                                         pan_param_init init,
                                         pan_tensor *slot);

pan_status pan_params_declare(const pan_model_config *cfg,
                              pan_model_weights *w, pan_param_visit_fn visit,
                              void *ctx);

#endif
