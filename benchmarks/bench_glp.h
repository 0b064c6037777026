/* benchmarks/bench_glp.h: the cases of pan-bench-glp (bench_glp.c).
 *
 * Contract
 * - glp_bench_run times every C case on `c` with model `m` and fills
 *   rows[0..*n) (name and batch match glp_torch.py's "case name=... batch=
 *   (or forks=)" lines), printing the decoder's GFLOP/s against the sgemm
 *   peak of `c` and the memory per env as it goes. It fails only on a
 *   pan error (returned, message set). The figures it prints beside the
 *   rows (decoder GFLOP/s, sgemm peak, memory) also go to o->csv.
 */
#ifndef PAN_BENCHMARKS_BENCH_GLP_H
#define PAN_BENCHMARKS_BENCH_GLP_H

#include <stdbool.h>

#include "benchmarks/bench.h"
#include "core/compute.h"
#include "core/model/model.h"

typedef struct glp_bench_options {
    const char *checkpoint, *backend;
    int threads, reps, warmup;
    bool torch;
    bench_peers peers; /* the PyTorch peers (bench.h) */
    bench_csv *csv;    /* --csv rows (bench.h), or NULL */
} glp_bench_options;

typedef struct glp_row {
    const char *name;   /* env_step, latent_step, rollout, decoder */
    int batch;          /* envs (forks for rollout) */
    double c_us;
    const char *target;
    /* per peer (index into glp_bench_options.peers): */
    bool have[BENCH_MAX_PEERS];
    double torch_us[BENCH_MAX_PEERS];  /* median */
    double warmup_ms[BENCH_MAX_PEERS]; /* untimed set-up and warm-up reps */
} glp_row;

pan_status glp_bench_run(const glp_bench_options *o, pan_compute *c,
                         const pan_model *m, glp_row *rows, int *n);

#endif
