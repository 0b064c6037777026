/* core/model/params.h: the parameter table -- one declaration order for
 * every parameter, shared by loading, saving, random initialisation and
 * (later) gradients and optimizer state.
 *
 * Contract
 * - pan_params_build(cfg, table) walks the model in docs/model.md order
 *   and records each parameter's name, shape, init rule and offset (in
 *   floats, each 64-byte aligned) in one flat f32 block of
 *   table->total_floats. Validates cfg first.
 * - pan_params_bind(table, block, weights) points every view of `weights`
 *   into `block` (f32, table->total_floats, 64-byte aligned). The views'
 *   `name` fields point into the table, which must outlive them. Each
 *   binding gets its own per-layer arrays, so one table binds any number
 *   of blocks (parameters, gradients, optimizer moments) at once, none
 *   disturbing another; pan_params_unbind(weights) frees a binding's
 *   arrays (not the block) and zeroes it. On error `weights` is untouched.
 * - pan_params_find returns the entry with that exact name or NULL.
 * - pan_params_init_random fills `block` by each entry's init rule from a
 *   SplitMix64 stream seeded with `seed` (docs/model.md,
 *   "Initialisation"); the same seed gives the same bits everywhere.
 * - pan_params_free releases the table (the block and the bindings are
 *   the caller's).
 * - Thread safety: a table is read-only after build.
 */
#ifndef PAN_CORE_MODEL_PARAMS_H
#define PAN_CORE_MODEL_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "core/model/config.h"
#include "core/model/weights.h"
#include "core/status.h"
#include "core/tensor.h"

#define PAN_PARAM_NAME_MAX 96

typedef enum pan_param_init {
    PAN_PARAM_INIT_FAN_IN = 0, /* N(0, 1/fan_in): linear and conv weights */
    PAN_PARAM_INIT_EMBEDDING,  /* N(0, 0.02^2) */
    PAN_PARAM_INIT_ZEROS,      /* biases */
    PAN_PARAM_INIT_ONES,       /* norm weights */
} pan_param_init;

typedef struct pan_param_entry {
    char name[PAN_PARAM_NAME_MAX];
    int ndim;
    int64_t shape[PAN_TENSOR_MAX_DIMS];
    int64_t numel;
    int64_t offset; /* in floats into the block; multiple of 16 */
    pan_param_init init;
} pan_param_entry;

typedef struct pan_param_table {
    pan_model_config config;  /* the configuration it was built from */
    pan_param_entry *entries; /* (count), declaration order */
    int count;
    int64_t total_floats;     /* block size, padding included */
    int64_t total_params;     /* sum of numel */
} pan_param_table;

pan_status pan_params_build(const pan_model_config *cfg, pan_param_table *table);
void pan_params_free(pan_param_table *table);

pan_status pan_params_bind(const pan_param_table *table, float *block,
                           pan_model_weights *weights);
void pan_params_unbind(pan_model_weights *weights);
const pan_param_entry *pan_params_find(const pan_param_table *table,
                                       const char *name);
void pan_params_init_random(const pan_param_table *table, float *block,
                            uint64_t seed);

#endif
