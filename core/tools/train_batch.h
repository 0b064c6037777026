/* core/tools/train_batch.h: a deterministic training batch of one stage
 * drawn from the ground-truth worlds (train split only) and a seed -- what
 * `pan-train loss` evaluates (docs/training.md, "The proof").
 *
 * Contract
 * - pan_train_batch_draw(c, m, world, stage, seed, batch, rounds, window,
 *   out): B episodes, item b reset with the b-th u64 of a SplitMix64
 *   stream seeded with `seed` and stepped with `rounds` train-split
 *   actions sampled from the same stream; the frames encoded to latents by
 *   the model's own VAE (mean * scaling_factor, frozen); every noise (eps,
 *   x0, noise levels k uniform in [0, 1) (first) or [0, 0.5) (pair),
 *   condition dropout with probability 0.1) drawn from the stream after
 *   the episodes. Stage glp also computes the previous predictions p_r
 *   without gradients, round by round on the KV-cache path, as a trainer
 *   does. The world renders at the model's frame size and chunk length
 *   (so both must be what a world accepts: 32..256 pixels).
 * - Same seed, model, backend and threads: the same batch, bit for bit.
 * - pan_train_batch_free releases every buffer of a batch.
 * - Errors: INVALID_ARGUMENT for an unknown stage or world, sizes out of
 *   range, a model whose frame a world cannot render; what the world, the
 *   VAE or the backbone return otherwise.
 */
#ifndef PAN_CORE_TOOLS_TRAIN_BATCH_H
#define PAN_CORE_TOOLS_TRAIN_BATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compute.h"
#include "core/model/model.h"
#include "core/rng.h"
#include "core/train/stages.h"

#define PAN_TRAIN_BATCH_MAX_ROUNDS 64
#define PAN_TRAIN_TEXT_MAX 257 /* PAN_WORLD_ACTION_MAX + 1 */

typedef enum pan_train_stage {
    PAN_STAGE_VAE = 0,
    PAN_STAGE_DECODER,
    PAN_STAGE_GLP,
} pan_train_stage;

typedef struct pan_train_batch {
    pan_train_stage stage;
    int batch, rounds;
    pan_window_kind kind;       /* stage decoder */
    float kl_weight;            /* stage vae */
    float *images, *eps;        /* vae: (B, C, H, W), (B, z, h, w) */
    float *x1, *x0, *k;         /* decoder: (B, n, z, h, w) x2, (B) */
    float *state_latents;       /* decoder: (B, C_w, z, h, w) */
    float *z0, *chunks, *prev;  /* glp: (B, z, h, w), (B, R, K, ...), (B, R-1, Q, d) */
    float *win_x0[PAN_TRAIN_BATCH_MAX_ROUNDS];   /* glp: (B, n_r, z, h, w) */
    float *win_k[PAN_TRAIN_BATCH_MAX_ROUNDS];    /* glp: (B) */
    bool *win_dropped[PAN_TRAIN_BATCH_MAX_ROUNDS]; /* glp: (B, C_r) */
    pan_glp_window_noise windows[PAN_TRAIN_BATCH_MAX_ROUNDS];
    pan_train_action *actions;  /* decoder (B, C_w); glp (B, R) */
    char (*texts)[PAN_TRAIN_TEXT_MAX]; /* the action texts behind `actions` */
    bool *heldout; /* (B, R): the world's parse of each action, in its scene,
                      said held out or not understood (never, for the train
                      split: docs/training.md, "Data") */
} pan_train_batch;

pan_status pan_train_batch_draw(pan_compute *c, const pan_model *m,
                                const char *world, pan_train_stage stage,
                                uint64_t seed, int batch, int rounds,
                                pan_window_kind window, pan_train_batch *out);

/* Where a batch's frames come from: fill(ctx, rng, B, R, frames, texts,
 * heldout) writes B clips of R steps -- frames (B, 1 + R*K, H, W, 3) u8 at
 * the model's frame size and chunk length, the R action texts of each and
 * whether each is held out -- drawing only from rng. The world source is
 * pan_train_batch_draw's; core/tools/train_episodes.h has the episode
 * directory's. */
typedef struct pan_train_frames {
    pan_status (*fill)(void *ctx, pan_rng *rng, int batch, int rounds,
                       uint8_t *frames, char (*texts)[PAN_TRAIN_TEXT_MAX],
                       bool *heldout);
    void *ctx;
} pan_train_frames;

/* pan_train_batch_draw with the frames of `src` instead of a world's. */
pan_status pan_train_batch_draw_from(pan_compute *c, const pan_model *m,
                                     const pan_train_frames *src,
                                     pan_train_stage stage, uint64_t seed,
                                     int batch, int rounds,
                                     pan_window_kind window,
                                     pan_train_batch *out);
void pan_train_batch_free(pan_train_batch *b);

#endif
