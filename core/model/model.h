/* core/model/model.h: a GLP model -- configuration plus one immutable
 * block of weights -- loaded from or saved to a checkpoint.
 *
 * Contract
 * - pan_model_load(path): pan_safetensors_open, then the metadata key
 *   "pan.config" parsed and validated (pan_model_config_from_json), then
 *   the parameter table of that config (core/model/params.h) matched
 *   against the file: every parameter present with its exact shape,
 *   dtype F32 or BF16 (widened), and no tensor the config does not name.
 *   Errors (DATA_LOSS for anything wrong in the file, NOT_FOUND/IO when it
 *   cannot be opened) name the file, the tensor and the field:
 *   "checkpoint m.safetensors: tensor 'model.layers.3.mlp.up_proj.weight'
 *   has shape [688,128], config says [688,256]". The file is unmapped
 *   before returning; the model owns a copy of the weights in one 64-byte
 *   aligned block.
 * - pan_model_create_random: a model from a config with weights from
 *   pan_params_init_random(seed); trained = false.
 * - pan_model_save writes a checkpoint atomically (pan_safetensors_write)
 *   with pan.config, pan.trained and pan.note (NULL note: none).
 *   pan_model_save_block writes another block of the same table (a
 *   trainer's EMA weights) with pan.trained as given and up to 16 extra
 *   metadata entries (pan.stage, pan.steps, ...).
 * - The weights are immutable and shared: any number of threads may read a
 *   model concurrently; per-env state lives elsewhere (KV caches, ...).
 */
#ifndef PAN_CORE_MODEL_MODEL_H
#define PAN_CORE_MODEL_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/model/config.h"
#include "core/model/params.h"
#include "core/model/weights.h"
#include "core/safetensors.h"
#include "core/status.h"

#define PAN_MODEL_NOTE_MAX 256

typedef struct pan_model {
    pan_model_config config;
    pan_param_table params;
    float *block;              /* (params.total_floats), 64-byte aligned */
    pan_model_weights w;       /* views into block */
    bool trained;              /* metadata pan.trained */
    char note[PAN_MODEL_NOTE_MAX]; /* metadata pan.note ("" if none) */
} pan_model;

pan_status pan_model_load(pan_model **out, const char *path);
pan_status pan_model_create_random(pan_model **out, const pan_model_config *cfg,
                                   uint64_t seed);
pan_status pan_model_save(const pan_model *model, const char *path,
                          const char *note);
pan_status pan_model_save_block(const pan_model *model, const float *block,
                                bool trained, const char *path,
                                const char *note, const pan_st_meta *extra,
                                int n_extra);
void pan_model_destroy(pan_model *model);

#endif
