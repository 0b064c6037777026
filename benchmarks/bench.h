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
 * - bench_peers (bench_peer.c): the PyTorch peers of pan-bench-backbone and
 *   pan-bench-glp, each an interpreter running a twin script eagerly or
 *   with torch.compile (benchmarks/torch_peer.py's line protocol).
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
 *   case,metric,value,unit,peer,peer_value,note
 * (RFC 4180 quoting; a NaN value or peer value is written as an empty
 * field). value is C's figure (empty when the row is a peer's alone, e.g.
 * its compile warm-up); peer names whose figure peer_value is (a
 * bench_peer's name, "fastest: NAME", or empty: bench_csv_row).
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
/* The same with the peer column filled (peer NULL: empty). */
void bench_csv_peer_row(bench_csv *csv, const char *case_name, const char *metric,
                        double value, const char *unit, const char *peer,
                        double peer_value, const char *note);
/* Closes the file; false (message on stderr) when a write failed. */
bool bench_csv_close(bench_csv *csv);

/* PyTorch peers. A peer is NAME=PYTHON[:compile]: an interpreter that runs
 * a twin script (benchmarks/backbone_torch.py, glp_torch.py) on the same
 * checkpoint and thread count, with --compile for a torch.compile peer.
 * The script's stdout lines (torch_peer.py):
 *   peer torch=V python=P compile=inductor|off|unavailable omp_wait_policy=W
 *        [inductor_cache=fresh|DIR]
 *   check ...              its parity checks (kept, shown)
 *   fail case=C error=E    a case without a figure (kept; case=check: a
 *                          failed check, which voids all its figures)
 *   anything else          handed to the caller's line function
 * A peer never stops the benchmark: a missing torch, a failed compile or a
 * failed check is recorded in `error` and the other peers still run. */
#define BENCH_MAX_PEERS 8

typedef struct bench_peer {
    char name[32];      /* as given: debian, eager, compile, ... */
    char python[1024];  /* the interpreter */
    bool compile;       /* runs the script with --compile */
    char torch[64];     /* torch.__version__ from the peer line; "" if none */
    char policy[32];    /* OMP_WAIT_POLICY the script ran with */
    char cache[256];    /* compile: inductor's cache ("fresh": a new one) */
    char check[512];    /* its check lines, "; "-joined */
    char error[640];    /* why figures are missing or void (its fail lines
                           and exit status); "" when none */
    bool checks_failed; /* a check failed: its figures are not shown */
    int exit_status;    /* the script's, -1 before it ran */
} bench_peer;

typedef struct bench_peers {
    bench_peer p[BENCH_MAX_PEERS];
    int n;
} bench_peers;

/* Adds "NAME=PYTHON" or "NAME=PYTHON:compile"; -1 with a message on a bad
 * spec, a repeated name or more than BENCH_MAX_PEERS peers. */
int bench_peers_add(bench_peers *peers, const char *spec);
/* The peers when none was given: debian=/usr/bin/python3, and when the
 * project's venv ($PAN_VENV, else SOURCE_DIR/.venv) has bin/python,
 * eager=VENV/bin/python and compile=VENV/bin/python:compile. */
void bench_peers_default(bench_peers *peers, const char *source_dir);
/* Returns true when the line was one of the caller's (else it is echoed to
 * stderr). */
typedef bool (*bench_peer_line_fn)(int peer, const char *line, void *ctx);
/* Runs peer i: PYTHON SOURCE_DIR/benchmarks/SCRIPT ARGS [--compile]; args
 * are appended verbatim (the caller quotes them with bench_shell_quote). */
void bench_peer_run(bench_peers *peers, int i, const char *source_dir,
                    const char *script, const char *args, bench_peer_line_fn on_line,
                    void *ctx);
/* "name (torch V, eager|torch.compile)" into buf. */
const char *bench_peer_label(const bench_peer *peer, char *buf, size_t size);
/* Prints one line per peer: interpreter, torch, mode, wait policy, checks,
 * error. */
void bench_peers_print(const bench_peers *peers);
/* One row per peer: case "peer", metric "ok" (1, or 0 when it failed),
 * peer its name, note its torch, interpreter, mode, checks and error. */
void bench_peers_csv(bench_csv *csv, const bench_peers *peers);
/* Appends s single-quoted for /bin/sh to buf (of size `size`); false when
 * it does not fit. */
bool bench_shell_quote(char *buf, size_t size, const char *s);

#endif
