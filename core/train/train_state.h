/* core/train/train_state.h: the training state file -- everything a run
 * needs to continue exactly where it stopped (docs/training.md, "The
 * training state file").
 *
 * Contract
 * - The file is a safetensors file (core/safetensors.h: validated header,
 *   written atomically: temporary file, fsync, rename, fsync of the
 *   directory). Tensors: "param/<name>", "adam.m/<name>", "adam.v/<name>"
 *   and "ema/<name>" for every parameter of the model's table, in table
 *   order. Metadata: pan.format "pan-train-state", pan.version "1",
 *   pan.config (the model configuration JSON), pan.step (optimizer steps
 *   done, = the AdamW step), pan.cursor (the data cursor), pan.rng (the
 *   run's RNG: state, spare as its 16 hex digits, has_spare), pan.run (the
 *   run configuration JSON, opaque here), pan.log (the JSONL log so far,
 *   may be empty) and pan.crc32 (zlib's crc32 of the data region, 8 hex
 *   digits).
 * - pan_train_state_save(path, m, opt, ema, info) writes it.
 * - pan_train_state_load(path, m, opt, ema, info): checks every field
 *   before changing anything: the format and version, the configuration
 *   equal to m's, every tensor present with its parameter's shape and f32,
 *   nothing else, the step a non-negative integer,
 *   the cursor and RNG well-formed, the crc32 of the data. Then it copies
 *   the parameters into m, the moments and step into opt, the EMA into ema,
 *   and fills info (run and log are malloc'd copies the caller frees with
 *   pan_train_state_info_free).
 * - Errors: NOT_FOUND / IO when the file cannot be read; DATA_LOSS naming
 *   the file and the field for anything damaged, truncated or of another
 *   run (another configuration, a missing tensor, a bad checksum); m, opt
 *   and ema are untouched then.
 * - Thread safety: none needed (files are written atomically).
 */
#ifndef PAN_CORE_TRAIN_TRAIN_STATE_H
#define PAN_CORE_TRAIN_TRAIN_STATE_H

#include <stdint.h>

#include "core/model/model.h"
#include "core/rng.h"
#include "core/train/optim.h"

typedef struct pan_train_state_info {
    uint64_t cursor; /* the data cursor */
    pan_rng rng;     /* the run's RNG */
    char *run;       /* the run configuration JSON (load: malloc'd) */
    char *log;       /* the JSONL log so far (load: malloc'd; may be "") */
} pan_train_state_info;

pan_status pan_train_state_save(const char *path, const pan_model *m,
                                const pan_adamw *opt, const float *ema,
                                const pan_train_state_info *info);
pan_status pan_train_state_load(const char *path, pan_model *m,
                                pan_adamw *opt, float *ema,
                                pan_train_state_info *info);
void pan_train_state_info_free(pan_train_state_info *info);

#endif
