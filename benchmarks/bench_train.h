/* benchmarks/bench_train.h: the pieces of pan-bench-train (bench_train.c):
 * training in C against PyTorch autograd -- a whole optimizer step of each
 * stage, forward + backward of the parts (docs/benchmarks.md, "Training
 * against PyTorch autograd").
 *
 * Contract
 * - train_bench_run (bench_train_cases.c) times every C case on `c` with
 *   model `m` (its adaLN-zero tensors already made non-zero by the
 *   caller), fills rows[0..*n) and writes each case's inputs, C's loss (or
 *   output) and a few of C's gradients through `io` for the PyTorch peers
 *   (benchmarks/train_torch.py reads them); for a stage also the
 *   optimizer's settings, the trained prefixes, the gradient norm before
 *   clipping and the checked parameters after the check run's optimizer
 *   step. The stage cases step m's weights and put them back before they
 *   return (also on failure). Fails only on a pan error (returned,
 *   message set).
 * - train_step (bench_train_step.c): the trainer's optimizer step around
 *   a stage's loss (pan_trainer_step, core/tools/train_run.c): create
 *   copies m's weights (and starts the EMA from them), an AdamW over the
 *   stage's prefixes (make_stage's); update clips the gradient block
 *   (global norm, returned before clipping), steps AdamW and the EMA;
 *   destroy writes the copied weights back into m. train_step_time times
 *   warmup + reps steps: zero the gradient block, loss(ctx) (the loss and
 *   its backward, adding into the block), update; row->total is the step,
 *   row->lossgrad the loss + backward, row->optim the rest.
 * - train_io (bench_train_io.c): the peers' input file, raw little-endian
 *   f32 (DIR/inputs.bin) with a JSON sidecar (DIR/inputs.json) naming each
 *   case's tensors (offset in floats, shape), numbers, action bytes and
 *   dropout flags. Every function accepts a failed io and then does
 *   nothing; train_io_close reports whether everything was written.
 * - bench_train_flops.c: the analytic matmul, convolution and attention
 *   FLOPs of one forward of each part (backward: train_flops_backward).
 * - Benchmarks report; nothing here fails on a slow result.
 */
#ifndef PAN_BENCHMARKS_BENCH_TRAIN_H
#define PAN_BENCHMARKS_BENCH_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "benchmarks/bench.h"
#include "core/compute.h"
#include "core/model/model.h"
#include "core/tools/train_batch.h"
#include "core/train/grads.h"

/* ---- the input file of the peers ---- */
typedef struct train_io train_io;

train_io *train_io_open(const char *dir); /* NULL with a message on failure */
void train_io_case(train_io *io, const char *name);   /* starts a case */
/* A tensor of the current case ("tensors" map, or "grads" when grad). */
void train_io_tensor(train_io *io, const char *field, bool grad,
                     const float *data, int ndim, const int64_t *shape);
void train_io_number(train_io *io, const char *key, double value);
/* An (n) list of byte strings: actions[i] of lens[i] bytes. */
void train_io_actions(train_io *io, const char *key, const uint8_t *const *bytes,
                      const int *lens, int n);
/* An (n) list of 0/1. */
void train_io_flags(train_io *io, const char *key, const bool *flags, int n);
/* An (n) list of strings (printable ASCII). */
void train_io_strings(train_io *io, const char *key, const char *const *s, int n);
bool train_io_close(train_io *io); /* writes the JSON; false on any error */

/* ---- FLOPs (bench_train_flops.c): one forward, matmul + conv + attention.
 * The sequence lengths are given as the round lengths in tokens. ---- */
typedef struct train_flops {
    double linear;    /* matmuls and convolutions */
    double attention; /* q k^T and p v */
} train_flops;

train_flops train_flops_vae_encode(const pan_model_config *cfg, int images);
train_flops train_flops_vae_decode(const pan_model_config *cfg, int images);
train_flops train_flops_vit(const pan_model_config *cfg, int latents);
/* One pair ([cond, A, B]) or first ([cond, B]) window; action_len[b * C +
 * c] the bytes of item b's condition c (a dropped one: -1, the null
 * condition's single token). */
train_flops train_flops_decoder(const pan_model_config *cfg, int batch, bool pair,
                                const int *action_len);
/* Teacher-forced sequences: round_tokens[i] the tokens of round i, the
 * rounds of sequence s at [starts[s], starts[s + 1]). */
train_flops train_flops_backbone(const pan_model_config *cfg, int seqs,
                                 const int *starts, const int *round_tokens);
double train_flops_total(train_flops f);
/* Backward: 2x the matmuls (dX and dW), 2.5x attention (P recomputed,
 * dV, dP, dQ, dK: five products against the forward's two). */
double train_flops_backward(train_flops f);

/* ---- the cases ---- */
typedef struct train_bench_options {
    const char *checkpoint, *backend;
    const char *cases; /* comma-separated case names, NULL: all */
    int threads, reps, warmup;
    bool torch, quick;
    bench_peers peers;
    bench_csv *csv;
} train_bench_options;

#define TRAIN_MAX_ROWS 8

typedef struct train_row {
    const char *name;   /* stage_vae, ..., as train_torch.py's case lines */
    const char *what;   /* "stage vae + AdamW step, 16 images", ... */
    int samples;        /* the batch, in `unit`s */
    const char *unit;   /* "images", "windows", "sequences", "latents" */
    bool split;         /* C times forward and backward apart */
    bool step;          /* a stage: whole optimizer steps (train_step) */
    bench_stats total, fwd, bwd; /* C, microseconds (total: the step) */
    bench_stats lossgrad, optim; /* C, a step's loss + backward and the rest */
    double flops_fwd, flops_bwd;
    double act_bytes;   /* activation arenas for the case (C) */
    const char *act_note;
    /* per peer */
    bool have[BENCH_MAX_PEERS];
    double torch_us[BENCH_MAX_PEERS], torch_fwd_us[BENCH_MAX_PEERS],
        torch_bwd_us[BENCH_MAX_PEERS], warmup_ms[BENCH_MAX_PEERS];
    /* per peer, stage rows: a step's loss + backward and the rest */
    double torch_lossgrad_us[BENCH_MAX_PEERS], torch_optim_us[BENCH_MAX_PEERS];
} train_row;

pan_status train_bench_run(const train_bench_options *o, pan_compute *c,
                           pan_model *m, train_io *io, train_row *rows, int *n);

/* ---- the optimizer step of the stage rows (bench_train_step.c) ---- */
typedef struct train_step_config {
    float lr, beta1, beta2, eps, weight_decay, clip, ema;
} train_step_config;

/* pan-train's defaults: lr 3e-4 (the schedule's peak), betas 0.9/0.999,
 * eps 1e-8, weight decay 0.01 (tensors of >= 2 dims), clip 1.0, EMA 0.999. */
extern const train_step_config train_step_defaults;

typedef struct train_step train_step;
typedef pan_status (*train_loss_fn)(void *ctx); /* loss + backward into the grads */

pan_status train_step_create(train_step **out, pan_model *m, pan_train_stage stage);
pan_status train_step_update(train_step *s, pan_grads *g, double *norm);
/* The check run's step, after its loss and gradients went to `io`: writes
 * the settings ("lr", ..., "ema"), the prefixes ("train_prefixes"), updates
 * (train_step_update), then "grad_norm" (before clipping) and the
 * parameters `names` after the step ("adamw.NAME"). */
pan_status train_step_check(train_step *s, pan_grads *g, train_io *io,
                            pan_train_stage stage, const char *const *names, int n);
void train_step_destroy(train_step *s); /* NULL: nothing; restores m's weights */
pan_status train_step_time(train_step *s, pan_grads *g, int warmup, int reps,
                           train_loss_fn loss, void *ctx, train_row *row);
/* GFLOP/s of a 1024^3 matmul (x W^T) on c: the sgemm peak of this run. */
pan_status train_sgemm_peak(const train_bench_options *o, pan_compute *c,
                            double *gflops);

#endif
