/* benchmarks/bench_train.h: the pieces of pan-bench-train (bench_train.c):
 * training forward + backward in C against PyTorch autograd
 * (docs/benchmarks.md, "Training against PyTorch autograd").
 *
 * Contract
 * - train_bench_run (bench_train_cases.c) times every C case on `c` with
 *   model `m` (its adaLN-zero tensors already made non-zero by the
 *   caller), fills rows[0..*n) and writes each case's inputs, C's loss (or
 *   output) and a few of C's gradients through `io` for the PyTorch peers
 *   (benchmarks/train_torch.py reads them). Fails only on a pan error
 *   (returned, message set).
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
    const char *what;   /* "stage vae, 16 images", ... */
    int samples;        /* the batch, in the unit of `what` */
    bool split;         /* C times forward and backward apart */
    bench_stats total, fwd, bwd; /* C, microseconds */
    double flops_fwd, flops_bwd;
    double act_bytes;   /* activation arenas for the case (C) */
    const char *act_note;
    /* per peer */
    bool have[BENCH_MAX_PEERS];
    double torch_us[BENCH_MAX_PEERS], torch_fwd_us[BENCH_MAX_PEERS],
        torch_bwd_us[BENCH_MAX_PEERS], warmup_ms[BENCH_MAX_PEERS];
} train_row;

pan_status train_bench_run(const train_bench_options *o, pan_compute *c,
                           const pan_model *m, train_io *io, train_row *rows,
                           int *n);
/* GFLOP/s of a 1024^3 matmul (x W^T) on c: the sgemm peak of this run. */
pan_status train_sgemm_peak(const train_bench_options *o, pan_compute *c,
                            double *gflops);

#endif
