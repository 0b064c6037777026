/* core/tools/train_config.h: the run configuration of `pan-train run` --
 * one JSON file naming the stage, the starting model, the data, the
 * optimizer and the schedule (docs/training.md, "Running a training").
 *
 * Contract
 * - pan_run_config_default_json(): the full configuration with every
 *   default, as JSON (malloc'd; NULL when out of memory). Every key the
 *   reader accepts is in it.
 * - pan_run_config_build(file_text, where, sets, nsets, out, canonical):
 *   starts from the defaults, overlays the user's JSON object (file_text
 *   may be NULL: the defaults alone), then each "a.b=VALUE" of sets (VALUE
 *   is JSON; a bare word is a string), then reads the result strictly:
 *   every key known (an unknown key is an error naming it and listing the
 *   known ones), no duplicates, every value of its type and range. On
 *   success fills *out and, when canonical is not NULL, the full merged
 *   configuration as JSON (malloc'd), the text a training state records.
 * - pan_run_config_parse(json, where, out): reads a full configuration (a
 *   canonical text) with the same checks.
 * - Errors: INVALID_ARGUMENT naming `where` and the key path
 *   ("run.json: optimizer.lr: expected a number > 0, found -1");
 *   RESOURCE_EXHAUSTED. *out is untouched on failure.
 * - Thread safety: pure functions.
 */
#ifndef PAN_CORE_TOOLS_TRAIN_CONFIG_H
#define PAN_CORE_TOOLS_TRAIN_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "core/tools/train_batch.h"

#define PAN_RUN_PATH_MAX 1024
#define PAN_RUN_NAME_MAX 32

typedef enum pan_run_window {
    PAN_RUN_WINDOW_FIRST = 0, /* every decoder batch a first-chunk window */
    PAN_RUN_WINDOW_PAIR,      /* every decoder batch a pair window */
    PAN_RUN_WINDOW_MIXED,     /* a quarter of the batches first, the rest pair */
} pan_run_window;

typedef enum pan_run_source {
    PAN_RUN_SOURCE_WORLD = 0, /* episodes generated on the fly, train split */
    PAN_RUN_SOURCE_EPISODES,  /* a pan-data episode directory */
} pan_run_source;

typedef struct pan_run_config {
    pan_train_stage stage;
    char checkpoint[PAN_RUN_PATH_MAX]; /* model.checkpoint: the start */
    pan_run_source source;             /* data.source */
    char world[PAN_RUN_NAME_MAX];      /* data.world */
    char episodes[PAN_RUN_PATH_MAX];   /* data.dir */
    bool fixed_batch;                  /* data.fixed_batch: one batch, always */
    uint64_t seed;
    int64_t steps;                     /* optimizer steps in all */
    int batch, accumulate, rounds;
    pan_run_window window;
    float kl_weight;
    double lr, min_lr;                 /* optimizer.lr, optimizer.min_lr */
    int64_t warmup;                    /* optimizer.warmup (steps) */
    float beta1, beta2, eps, weight_decay, clip, ema;
    int64_t log_every, checkpoint_every; /* every.log, every.checkpoint */
    int64_t eval_every;                /* every.eval: 0 none */
} pan_run_config;

char *pan_run_config_default_json(void);
pan_status pan_run_config_build(const char *file_text, const char *where,
                                char *const *sets, int nsets,
                                pan_run_config *out, char **canonical);
pan_status pan_run_config_parse(const char *json, const char *where,
                                pan_run_config *out);

/* "vae", "decoder", "glp". */
const char *pan_train_stage_name(pan_train_stage stage);

/* The parameter-name prefixes a stage trains (pan_adamw_freeze's list),
 * *n of them: vae: the VAE; decoder: the decoder, the encoder h and the
 * token embeddings the decoder's action conditioning reads; glp: the
 * backbone with its queries, h and the decoder (docs/training.md). */
const char *const *pan_train_stage_prefixes(pan_train_stage stage, int *n);

#endif
