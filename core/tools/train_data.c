/* core/tools/train_data.c: micro-batch `cursor` of a run (contract in
 * train_data.h). */
#include "core/tools/train_data.h"

#include "core/rng.h"

uint64_t pan_train_data_seed(uint64_t seed, uint64_t cursor) {
    pan_rng rng = pan_rng_seed(seed + 0x9E3779B97F4A7C15ull * (cursor + 1));
    return pan_rng_next_u64(&rng);
}

int pan_train_data_clip_steps(const pan_run_config *config) {
    switch (config->stage) {
    case PAN_STAGE_VAE: return 0;
    case PAN_STAGE_DECODER: return config->window == PAN_RUN_WINDOW_FIRST ? 1 : 2;
    default: return config->rounds;
    }
}

pan_status pan_train_data_draw(pan_compute *c, const pan_model *m,
                               const pan_run_config *config,
                               pan_episode_set *episodes, uint64_t cursor,
                               pan_train_batch *out) {
    uint64_t seed = pan_train_data_seed(config->seed, config->fixed_batch ? 0 : cursor);
    pan_window_kind kind = PAN_WINDOW_PAIR;
    if (config->window == PAN_RUN_WINDOW_FIRST ||
        (config->window == PAN_RUN_WINDOW_MIXED && seed % 4 == 0))
        kind = PAN_WINDOW_FIRST;
    if (config->source == PAN_RUN_SOURCE_EPISODES) {
        if (!episodes)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "train data: data.source \"episodes\" needs "
                                 "the opened episode set");
        pan_train_frames src = pan_episode_set_frames(episodes);
        return pan_train_batch_draw_from(c, m, &src, config->stage, seed,
                                         config->batch, config->rounds, kind, out);
    }
    return pan_train_batch_draw(c, m, config->world, config->stage, seed,
                                config->batch, config->rounds, kind, out);
}
