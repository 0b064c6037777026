/* core/tools/train_episodes.h: a pan-data episode directory as a source
 * of training clips (docs/training.md, "Data"; the file format:
 * docs/dataset.md). This is how a user trains on their own recordings.
 *
 * Contract
 * - pan_episode_set_open(dir, cfg, rounds): every "*.pan" file of dir (not
 *   hidden ones: pan-data's temporaries), sorted by name, checked whole
 *   (pan_episode_check) before training starts: a damaged file is an error
 *   naming it, never skipped. Each must have the model's frame size
 *   (height, width) and chunk length (frames_per_step = chunk_frames);
 *   episodes with fewer than `rounds` steps are left out (counted in
 *   pan_episode_set_short). No usable episode: INVALID_ARGUMENT.
 * - pan_episode_set_frames(set): the pan_train_frames of the set. Its
 *   fill draws, per item, an episode uniformly, then a start step
 *   uniformly among those that leave `rounds` steps (rounds 0: any one
 *   frame), and copies the clip's frames and actions. Episodes that carry
 *   the world's parse (tabletop and rooms recordings) honour the held-out
 *   split: a clip with a held-out or not understood action is redrawn
 *   (at most 256 times per item, then FAILED_PRECONDITION: a directory of
 *   held-out episodes cannot train). External recordings have no parse:
 *   every clip is used. The episode is read from disk per item.
 * - Same directory, rounds and RNG state: the same clips.
 * - Errors: NOT_FOUND / IO / DATA_LOSS / INVALID_ARGUMENT from the reader
 *   naming the file; INVALID_ARGUMENT for a size mismatch (naming the file
 *   and both sizes); RESOURCE_EXHAUSTED.
 * - Thread safety: a set is read only after open; fill may run on one
 *   thread at a time per set.
 */
#ifndef PAN_CORE_TOOLS_TRAIN_EPISODES_H
#define PAN_CORE_TOOLS_TRAIN_EPISODES_H

#include <stdint.h>

#include "core/model/config.h"
#include "core/tools/train_batch.h"

typedef struct pan_episode_set pan_episode_set;

pan_status pan_episode_set_open(pan_episode_set **out, const char *dir,
                                const pan_model_config *cfg, int rounds);
void pan_episode_set_close(pan_episode_set *set);
int64_t pan_episode_set_count(const pan_episode_set *set);
int64_t pan_episode_set_short(const pan_episode_set *set);
pan_train_frames pan_episode_set_frames(pan_episode_set *set);

#endif
