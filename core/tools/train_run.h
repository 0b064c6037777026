/* core/tools/train_run.h: one training run of `pan-train run` -- the
 * model, its gradients, AdamW, the EMA and the data cursor, stepped,
 * checkpointed and resumed (docs/training.md, "Running a training").
 *
 * Contract
 * - A run lives in a directory: state-<step>.safetensors (training states,
 *   core/train/train_state.h; the newest two are kept), log.jsonl (one
 *   line per logged step), run.json (the canonical run configuration) and
 *   model.safetensors (the EMA weights as a pan checkpoint, pan.trained
 *   true, written with every state).
 * - pan_trainer_start(c, config, canonical, dir): a new run from
 *   config->checkpoint. The directory is created if needed and must hold no
 *   training state (INVALID_ARGUMENT naming it otherwise: resume instead).
 * - pan_trainer_resume(c, path): `path` is a state file or a run
 *   directory (then its newest state). The state is loaded and checked
 *   whole (train_state.h: DATA_LOSS naming the file and the field); the
 *   run configuration is the state's. A damaged newest state is refused,
 *   never skipped: the message names the previous state to resume from.
 *   log.jsonl is rewritten to the state's log, dropping lines logged after
 *   it.
 * - pan_trainer_step: one optimizer step: `accumulate` micro-batches drawn
 *   at the data cursor (core/tools/train_data.h), the stage's loss and
 *   gradients averaged over them, global-norm clipping, AdamW on the
 *   stage's parameters only (vae: vae.*; decoder: decoder.*, encoder.*
 *   and the token embeddings; glp: backbone, queries, encoder, decoder),
 *   the EMA, the cursor advanced. Fills *report.
 * - Determinism: the same state, backend and thread count give the same
 *   next state, bit for bit. So a run killed at any moment and resumed
 *   from its newest state ends with the weights of an uninterrupted run.
 * - pan_trainer_log_line(t, line): appends a JSONL line to the run's log
 *   (memory and log.jsonl).
 * - pan_trainer_checkpoint: writes state-<step> atomically, then
 *   model.safetensors, then removes older states beyond the newest two.
 * - Errors: what the parts return, with the file named; a failed step
 *   leaves the trainer's weights as they were before it only for argument
 *   errors found before any work -- after a failure mid-step, resume from
 *   the last state.
 * - Thread safety: one trainer per thread.
 */
#ifndef PAN_CORE_TOOLS_TRAIN_RUN_H
#define PAN_CORE_TOOLS_TRAIN_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/compute.h"
#include "core/tools/train_config.h"

typedef struct pan_trainer pan_trainer;

typedef struct pan_train_report {
    int64_t step;      /* steps done after this one */
    int64_t total;     /* the run's steps */
    double loss;       /* mean over the micro-batches */
    double grad_norm;  /* before clipping */
    double lr;         /* the step's learning rate */
    int64_t samples;   /* items in the step */
    uint64_t cursor;   /* the data cursor after the step */
} pan_train_report;

pan_status pan_trainer_start(pan_trainer **out, pan_compute *c,
                             const pan_run_config *config,
                             const char *canonical, const char *dir);
pan_status pan_trainer_resume(pan_trainer **out, pan_compute *c,
                              const char *path);
pan_status pan_trainer_step(pan_trainer *t, pan_train_report *report);
pan_status pan_trainer_checkpoint(pan_trainer *t);
/* model.safetensors alone (the EMA weights now), atomically. */
pan_status pan_trainer_export(pan_trainer *t);
pan_status pan_trainer_log_line(pan_trainer *t, const char *line);
/* Every action of every later micro-batch is written to `sink`, one per
 * line: "0 " or "1 " (the world's parse said held out or not understood)
 * and the text; NULL stops. The held-out test of docs/training.md reads
 * it. */
void pan_trainer_set_action_sink(pan_trainer *t, FILE *sink);
void pan_trainer_destroy(pan_trainer *t);

/* Accessors. */
const pan_run_config *pan_trainer_config(const pan_trainer *t);
pan_compute *pan_trainer_compute(const pan_trainer *t);
int64_t pan_trainer_steps_done(const pan_trainer *t);
const char *pan_trainer_dir(const pan_trainer *t);
/* The state file the run was resumed from ("" for a new run). */
const char *pan_trainer_resumed_from(const pan_trainer *t);
/* The log so far (JSONL). */
const char *pan_trainer_log(const pan_trainer *t);

#endif
