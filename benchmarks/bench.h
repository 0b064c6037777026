/* benchmarks/bench.h: the pieces of pan-bench-ops (docs/benchmarks.md).
 *
 * Contract
 * - A bench_case is one op at one shape: it owns its tensors (random
 *   inputs from a fixed seed, filled once), knows its FLOP count (0 for
 *   memory-bound ops) and runs the op on any pan_compute through `run`.
 *   Running never changes the inputs; `reset` restores the output's
 *   starting contents (zeros, or the accumulator for beta = 1) so that a
 *   check run is comparable across backends.
 * - bench_cases_create builds every case of the table in bench_cases.c;
 *   bench_cases_destroy frees them.
 * - bench_now_us / bench_stats (bench_stats.c): the clock and the order
 *   statistics of a set of timings or rates; shared by every benchmark
 *   executable (pan-bench-ops, pan-bench-worlds).
 * - bench_csv (bench_csv.c): the machine-readable rows a benchmark writes
 *   with `--csv FILE` (read by benchmarks/harness); the human output on
 *   stdout stays as it is.
 * - Benchmarks report; nothing here fails on a slow result.
 */
#ifndef PAN_BENCHMARKS_BENCH_H
#define PAN_BENCHMARKS_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compute.h"

#define BENCH_MAX_TENSORS 8

typedef struct bench_case bench_case;
typedef pan_status (*bench_run_fn)(pan_compute *c, const bench_case *bc);

struct bench_case {
    pan_op op;
    char shape[96];          /* human-readable shape and attributes */
    const char *target;      /* target id (TARGETS section) or NULL */
    double flops;            /* per run; 0: not a FLOP-heavy op */
    bench_run_fn run;
    pan_tensor t[BENCH_MAX_TENSORS]; /* op-specific roles, see bench_cases.c */
    int n_tensors;
    int out;                 /* index of the output tensor in t */
    float *out_init;         /* starting contents of the output, or NULL
                                for zeros */
    /* op attributes */
    bool trans_a, trans_b, has_bias, has_kv_len;
    float alpha, beta, eps, scale, theta;
    int stride, pad, groups, factor, patch, dims;
    pan_attention_mask mask;
    pan_gelu_mode gelu_mode;
};

/* Every case; *count set. NULL (message printed) on allocation failure. */
bench_case *bench_cases_create(int *count);
void bench_cases_destroy(bench_case *cases, int count);

/* Output element count and pointer of a case. */
int64_t bench_case_out_count(const bench_case *bc);
float *bench_case_out(const bench_case *bc);
/* Restores the output's starting contents. */
void bench_case_reset(const bench_case *bc);

/* Monotonic clock in microseconds. */
double bench_now_us(void);

typedef struct bench_stats {
    double median, p10, p90, min, max; /* microseconds */
} bench_stats;

/* Sorts `us` (n >= 1 values) in place and fills the statistics. */
bench_stats bench_stats_of(double *us, int n);

/* Machine-readable rows, one CSV file per run:
 *   case,metric,value,unit,peer_value,note
 * (RFC 4180 quoting; a NaN value or peer is written as an empty field;
 * peer_value is the PyTorch twin's figure for the same case, if any).
 * Every function accepts csv == NULL and then does nothing, so a benchmark
 * calls them unconditionally. */
typedef struct bench_csv bench_csv;

/* Opens `path` (NULL: returns NULL, nothing to write) and writes the
 * header line. NULL with a message on stderr when the file cannot be
 * created; *failed is then set. */
bench_csv *bench_csv_open(const char *path, bool *failed);
void bench_csv_row(bench_csv *csv, const char *case_name, const char *metric,
                   double value, const char *unit, double peer_value,
                   const char *note);
/* Closes the file; false (message on stderr) when a write failed. */
bool bench_csv_close(bench_csv *csv);

#endif
