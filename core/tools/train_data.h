/* core/tools/train_data.h: the data order of a run -- which batch a
 * micro-batch gets -- as a pure function of the run's seed and the data
 * cursor (docs/training.md, "Data").
 *
 * Contract
 * - pan_train_data_seed(seed, cursor): the batch seed of micro-batch
 *   `cursor` (SplitMix64 of seed + golden ratio * (cursor + 1)).
 * - pan_train_data_draw(c, m, config, cursor, out): micro-batch `cursor`
 *   (0 always with data.fixed_batch) of config's stage: from the world
 *   (pan_train_batch_draw with the batch seed: train-split actions only)
 *   or from the episode directory `episodes` (opened by the caller with
 *   pan_train_data_clip_steps; NULL for the world). Stage decoder with window "mixed" takes
 *   a first-chunk window when the batch seed is 0 mod 4, else a pair.
 * - Errors: as pan_train_batch_draw's.
 */
#ifndef PAN_CORE_TOOLS_TRAIN_DATA_H
#define PAN_CORE_TOOLS_TRAIN_DATA_H

#include <stdint.h>

#include "core/tools/train_batch.h"
#include "core/tools/train_config.h"
#include "core/tools/train_episodes.h"

uint64_t pan_train_data_seed(uint64_t seed, uint64_t cursor);
pan_status pan_train_data_draw(pan_compute *c, const pan_model *m,
                               const pan_run_config *config,
                               pan_episode_set *episodes, uint64_t cursor,
                               pan_train_batch *out);

/* The steps a clip of config's stage needs (vae 0, decoder 1 or 2, glp
 * rounds): what pan_episode_set_open is given. */
int pan_train_data_clip_steps(const pan_run_config *config);

#endif
