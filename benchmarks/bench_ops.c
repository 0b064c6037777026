/* benchmarks/bench_ops.c: pan-bench-ops, per-op timings of every backend.
 *
 *   pan-bench-ops [--reps N] [--threads N] [--op NAME] [--backend NAME]
 *                 [--quick] [--csv FILE]
 *
 * 1. Measures the machine's cblas_sgemm peak (1024^3, median of several
 *    runs) with the same thread count.
 * 2. For every case of bench_cases.c and every backend (ref, openblas,
 *    onednn; each a strict pan_compute, so an op a backend lacks is
 *    reported "unsupported" and never silently run on ref): one check run
 *    compared with ref (normalised MSE), warm-up runs, timed repetitions;
 *    prints median / p10 / p90 in microseconds and, for FLOP-heavy ops,
 *    GFLOP/s and % of the sgemm peak.
 * 3. Prints the TARGETS section (PASS/MISS). The exit status is 0 whatever
 *    the timings: benchmarks report, they do not fail.
 * 4. With --csv FILE, also writes every figure as a machine-readable row
 *    (bench.h, bench_csv) for benchmarks/harness; stdout is unchanged.
 * docs/benchmarks.md explains the columns.
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchmarks/bench.h"
#include "core/threadpool.h"

#define N_BACKENDS 3
static const char *const backend_names[N_BACKENDS] = {"ref", "openblas",
                                                      "onednn"};

typedef struct options {
    int reps;           /* 0: adaptive */
    int threads;
    const char *op;     /* NULL: every op */
    const char *backend;/* NULL: every backend */
    bool quick;
    const char *csv;    /* --csv FILE, or NULL */
} options;

static bench_csv *csv_out; /* the --csv rows, or NULL */

typedef struct run_plan {
    int warmup, min_reps, max_reps;
    double budget_us; /* adaptive reps: about this much time per row */
} run_plan;

/* Best GFLOP/s per target id and backend (0: not measured). */
typedef struct target_result {
    const char *id;
    char shape[96];
    double gflops[N_BACKENDS];
    bool ran;
} target_result;

#define MAX_TARGET_ROWS 16

static void usage(void) {
    printf("usage: pan-bench-ops [--reps N] [--threads N] [--op NAME] "
           "[--backend NAME] [--quick] [--csv FILE]\n"
           "  --reps N      timed repetitions per row (default: adaptive,\n"
           "                about 0.4 s per row, 5..200 reps)\n"
           "  --threads N   threads for the pool, OpenBLAS and oneDNN "
           "(default:\n"
           "                PAN_NUM_THREADS, else the online CPUs)\n"
           "  --op NAME     only this op (matmul, conv2d, attention, ...)\n"
           "  --backend B   only this backend (ref, openblas, onednn); ref\n"
           "                still runs once per case as the oracle\n"
           "  --quick       1 warm-up, 3..20 reps, about 0.05 s per row\n"
           "  --csv FILE    also write every figure as a CSV row to FILE\n");
}

static bool parse_int(const char *s, int lo, int hi, int *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) return false;
    *out = (int)v;
    return true;
}

static int parse_options(int argc, char **argv, options *o) {
    *o = (options){.threads = pan_threadpool_default_threads()};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage();
            return 1;
        } else if (strcmp(a, "--quick") == 0) {
            o->quick = true;
        } else if (strcmp(a, "--reps") == 0 && v &&
                   parse_int(v, 1, 100000, &o->reps)) {
            i++;
        } else if (strcmp(a, "--threads") == 0 && v &&
                   parse_int(v, 1, PAN_THREADPOOL_MAX_THREADS, &o->threads)) {
            i++;
        } else if (strcmp(a, "--op") == 0 && v) {
            o->op = v;
            i++;
        } else if (strcmp(a, "--backend") == 0 && v) {
            o->backend = v;
            i++;
        } else if (strcmp(a, "--csv") == 0 && v) {
            o->csv = v;
            i++;
        } else {
            fprintf(stderr, "pan-bench-ops: bad argument '%s'%s\n", a,
                    v ? "" : " (missing value?)");
            usage();
            return 2;
        }
    }
    return 0;
}

/* cblas_sgemm 1024^3 with the benchmark's thread count: median GFLOP/s. */
static double measure_sgemm_peak(int threads, bool quick, const char *when) {
    const int n = 1024, warmup = quick ? 2 : 3, reps = quick ? 5 : 11;
    size_t bytes = (size_t)n * n * sizeof(float);
    float *a = aligned_alloc(64, bytes), *b = aligned_alloc(64, bytes),
          *c = aligned_alloc(64, bytes);
    double us[11], gflops = 0.0;
    if (a && b && c) {
        for (size_t i = 0; i < (size_t)n * n; i++) {
            a[i] = (float)(i % 7) * 0.25f - 0.75f;
            b[i] = (float)(i % 5) * 0.25f - 0.5f;
        }
        openblas_set_num_threads(threads);
        for (int r = 0; r < warmup + reps; r++) {
            double t0 = bench_now_us();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n,
                        1.0f, a, n, b, n, 0.0f, c, n);
            if (r >= warmup) us[r - warmup] = bench_now_us() - t0;
        }
        bench_stats s = bench_stats_of(us, reps);
        gflops = 2.0 * n * n * (double)n / s.median * 1e-3;
        printf("sgemm peak (%s): cblas_sgemm 1024x1024x1024, %d warm-up, "
               "median of %d: %.1f GFLOP/s (p10 %.0f us, p90 %.0f us)\n",
               when, warmup, reps, gflops, s.p10, s.p90);
        char what[64], note[96];
        snprintf(what, sizeof what, "sgemm peak (%s)", when);
        snprintf(note, sizeof note, "cblas_sgemm 1024^3, median of %d", reps);
        bench_csv_row(csv_out, what, "gflops", gflops, "GFLOP/s", NAN, note);
    }
    free(a);
    free(b);
    free(c);
    return gflops;
}

static double nmse(const float *ref, const float *got, int64_t n) {
    double num = 0.0, den = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double d = (double)got[i] - (double)ref[i];
        num += d * d;
        den += (double)ref[i] * (double)ref[i];
    }
    if (den == 0.0) return num == 0.0 ? 0.0 : INFINITY;
    return num / den;
}

/* Times `bc` on `c`; the caller has done one successful run. */
static bench_stats time_case(pan_compute *c, const bench_case *bc,
                             const options *o, const run_plan *plan,
                             int *warmup_out, int *reps_out) {
    double t0 = bench_now_us();
    bc->run(c, bc);
    double first = bench_now_us() - t0; /* the first warm-up run, timed to
                                           choose the repetitions */
    int warmup = 1;
    for (; warmup < plan->warmup && first <= plan->budget_us / 4; warmup++)
        bc->run(c, bc);
    int reps = o->reps;
    if (!reps) {
        double want = plan->budget_us / (first > 1.0 ? first : 1.0);
        reps = want < plan->min_reps   ? plan->min_reps
               : want > plan->max_reps ? plan->max_reps
                                       : (int)want;
    }
    double *us = malloc((size_t)reps * sizeof *us);
    bench_stats s = {0};
    if (!us) return s;
    for (int r = 0; r < reps; r++) {
        double t = bench_now_us();
        bc->run(c, bc);
        us[r] = bench_now_us() - t;
    }
    s = bench_stats_of(us, reps);
    free(us);
    *warmup_out = warmup;
    *reps_out = reps;
    return s;
}

static target_result *target_row(target_result *rows, int *n,
                                 const bench_case *bc) {
    for (int i = 0; i < *n; i++)
        if (strcmp(rows[i].id, bc->target) == 0 &&
            strcmp(rows[i].shape, bc->shape) == 0)
            return &rows[i];
    if (*n >= MAX_TARGET_ROWS) return NULL;
    target_result *t = &rows[(*n)++];
    memset(t, 0, sizeof *t);
    t->id = bc->target;
    snprintf(t->shape, sizeof t->shape, "%s", bc->shape);
    return t;
}

static void print_header(void) {
    printf("\n%-16s %-9s %4s %5s %11s %11s %11s %8s %6s %9s  %s\n", "op",
           "backend", "warm", "reps", "median_us", "p10_us", "p90_us",
           "GFLOP/s", "%peak", "nmse", "case");
}

static void run_case(pan_compute *const computes[N_BACKENDS],
                     const bench_case *bc, const options *o,
                     const run_plan *plan, double peak, target_result *tr) {
    const char *op = pan_op_name(bc->op);
    int64_t count = bench_case_out_count(bc);
    float *ref = malloc((size_t)(count > 0 ? count : 1) * sizeof *ref);
    if (!ref) {
        printf("%-16s out of memory for the reference output\n", op);
        return;
    }
    bench_case_reset(bc);
    pan_status st = bc->run(computes[0], bc);
    memcpy(ref, bench_case_out(bc), (size_t)count * sizeof *ref);
    for (int b = 0; b < N_BACKENDS; b++) {
        if (o->backend && strcmp(o->backend, backend_names[b]) != 0) continue;
        char row[160];
        snprintf(row, sizeof row, "%s %s: %s", op, backend_names[b], bc->shape);
        printf("%-16s %-9s ", op, backend_names[b]);
        if (!computes[b]) {
            printf("%-56s  %s\n", "unavailable (not built)", bc->shape);
            bench_csv_row(csv_out, row, "median_us", NAN, "us", NAN,
                          "unavailable (not built)");
            continue;
        }
        bench_case_reset(bc);
        if (b > 0 || st != PAN_OK) st = bc->run(computes[b], bc);
        if (st == PAN_ERR_UNIMPLEMENTED) {
            printf("%-56s  %s\n", "unsupported", bc->shape);
            bench_csv_row(csv_out, row, "median_us", NAN, "us", NAN, "unsupported");
            continue;
        }
        if (st != PAN_OK) {
            printf("error %s: %s  %s\n", pan_status_name(st),
                   pan_error_message(), bc->shape);
            bench_csv_row(csv_out, row, "median_us", NAN, "us", NAN,
                          pan_status_name(st));
            continue;
        }
        double err = b == 0 ? 0.0 : nmse(ref, bench_case_out(bc), count);
        int warmup = 0, reps = 0;
        bench_stats s = time_case(computes[b], bc, o, plan, &warmup, &reps);
        printf("%4d %5d %11.1f %11.1f %11.1f ", warmup, reps, s.median, s.p10,
               s.p90);
        char note[96];
        snprintf(note, sizeof note, "p10 %.1f, p90 %.1f; %d reps after %d warm-up",
                 s.p10, s.p90, reps, warmup);
        bench_csv_row(csv_out, row, "median_us", s.median, "us", NAN, note);
        if (bc->flops > 0 && s.median > 0) {
            double gflops = bc->flops / s.median * 1e-3;
            double pct = peak > 0 ? 100 * gflops / peak : 0;
            printf("%8.1f %5.1f%% ", gflops, pct);
            if (tr) tr->gflops[b] = gflops;
            snprintf(note, sizeof note, "%.1f%% of the sgemm peak", pct);
            bench_csv_row(csv_out, row, "gflops", gflops, "GFLOP/s", NAN, note);
        } else {
            printf("%8s %6s ", "-", "-");
        }
        if (b == 0)
            printf("%9s  %s\n", "oracle", bc->shape);
        else
            printf("%9.2g%s %s\n", err, err > 1e-7 ? "!" : " ", bc->shape);
        if (b > 0)
            bench_csv_row(csv_out, row, "nmse_vs_ref", err, "", NAN,
                          err > 1e-7 ? "above 1e-7" : "");
    }
    if (tr) tr->ran = true;
    free(ref);
}

static void print_target(const char *what, const char *backend, double gflops,
                         double peak, double need_pct, bool ran) {
    char row[200], note[96];
    snprintf(row, sizeof row, "target: %s (>= %.0f%% of peak)", what, need_pct);
    if (!ran) {
        printf("  %-58s >= %2.0f%%  not run (filtered out)\n", what, need_pct);
        bench_csv_row(csv_out, row, "pct_peak", NAN, "%", NAN,
                      "not run (filtered out)");
        return;
    }
    double pct = peak > 0 ? 100.0 * gflops / peak : 0.0;
    const char *verdict = gflops > 0 && pct >= need_pct ? "PASS" : "MISS";
    printf("  %-58s >= %2.0f%%  %-9s %7.1f GFLOP/s %5.1f%%  %s\n", what,
           need_pct, backend, gflops, pct, verdict);
    snprintf(note, sizeof note, "%s; %s %.1f GFLOP/s", verdict, backend, gflops);
    bench_csv_row(csv_out, row, "pct_peak", pct, "%", NAN, note);
}

static void print_targets(const target_result *rows, int n, double peak) {
    printf("\nTARGETS (%% of the sgemm peak %.1f GFLOP/s, the larger of the "
           "two measurements)\n",
           peak);
    bool seen_matmul = false, seen_conv = false, seen_attn = false;
    for (int i = 0; i < n; i++) {
        const target_result *t = &rows[i];
        char what[160];
        if (strcmp(t->id, "matmul1024") == 0) {
            seen_matmul = true;
            for (int b = 1; b < N_BACKENDS; b++) {
                snprintf(what, sizeof what, "matmul 1024^3, %s",
                         backend_names[b]);
                print_target(what, backend_names[b], t->gflops[b], peak, 70,
                             t->ran);
            }
        } else if (strcmp(t->id, "conv3x3") == 0) {
            seen_conv = true;
            print_target("conv 3x3 32->32 on 1x32x64x64, onednn", "onednn",
                         t->gflops[2], peak, 40, t->ran);
        } else if (strcmp(t->id, "attention") == 0) {
            seen_attn = true;
            int best = 1;
            for (int b = 2; b < N_BACKENDS; b++)
                if (t->gflops[b] > t->gflops[best]) best = b;
            snprintf(what, sizeof what, "attention %s, best backend",
                     t->shape + strlen("self "));
            print_target(what, backend_names[best], t->gflops[best], peak, 30,
                         t->ran);
        }
    }
    if (!seen_matmul)
        print_target("matmul 1024^3 (openblas, onednn)", "-", 0, peak, 70,
                     false);
    if (!seen_conv)
        print_target("conv 3x3 32->32 on 1x32x64x64, onednn", "-", 0, peak, 40,
                     false);
    if (!seen_attn)
        print_target("attention 256 tokens, head dim 64, best backend", "-", 0,
                     peak, 30, false);
}

int main(int argc, char **argv) {
    options o;
    int rc = parse_options(argc, argv, &o);
    if (rc) return rc == 1 ? 0 : rc;
    bool csv_failed = false;
    csv_out = bench_csv_open(o.csv, &csv_failed);
    if (csv_failed) return 2;
    run_plan plan = o.quick
                        ? (run_plan){.warmup = 1, .min_reps = 3,
                                     .max_reps = 20, .budget_us = 5e4}
                        : (run_plan){.warmup = 3, .min_reps = 5,
                                     .max_reps = 200, .budget_us = 4e5};
    printf("pan-bench-ops: %d threads, %s; %s\n", o.threads,
           openblas_get_config(),
           o.reps ? "fixed reps" : "adaptive reps");
    double peak = measure_sgemm_peak(o.threads, o.quick, "start");

    pan_compute *computes[N_BACKENDS] = {0};
    for (int b = 0; b < N_BACKENDS; b++) {
        pan_compute_options co = {.backend = backend_names[b],
                                  .n_threads = o.threads, .strict = true};
        pan_status st = pan_compute_create(&computes[b], &co);
        if (st != PAN_OK) {
            computes[b] = NULL;
            printf("backend %s: unavailable (%s: %s)\n", backend_names[b],
                   pan_status_name(st), pan_error_message());
            if (b == 0) return 1; /* no oracle, nothing to compare */
        }
    }
    int n_cases = 0;
    bench_case *cases = bench_cases_create(&n_cases);
    if (!cases) return 1;

    target_result targets[MAX_TARGET_ROWS];
    int n_targets = 0;
    print_header();
    for (int i = 0; i < n_cases; i++) {
        const bench_case *bc = &cases[i];
        if (o.op && strcmp(o.op, pan_op_name(bc->op)) != 0) continue;
        target_result *tr =
            bc->target ? target_row(targets, &n_targets, bc) : NULL;
        run_case(computes, bc, &o, &plan, peak, tr);
    }
    /* Measured again: a busy machine shows as two different peaks; the
     * targets use the larger, so a disturbed first measurement cannot make
     * them pass. */
    printf("\n");
    double peak_end = measure_sgemm_peak(o.threads, o.quick, "end");
    if (peak_end > 1.1 * peak || peak_end < peak / 1.1) {
        printf("warning: the two peak measurements differ by more than 10%%: "
               "the machine was busy, re-run when it is quiet\n");
        bench_csv_row(csv_out, "sgemm peak (start vs end)", "peak_end_over_start",
                      peak > 0 ? peak_end / peak : NAN, "", NAN,
                      "differ by more than 10%: the machine was busy");
    }
    print_targets(targets, n_targets, peak_end > peak ? peak_end : peak);
    printf("(benchmarks report; a MISS does not fail anything. nmse marked "
           "'!' exceeds 1e-7 against ref.)\n");

    bench_cases_destroy(cases, n_cases);
    for (int b = 0; b < N_BACKENDS; b++) pan_compute_destroy(computes[b]);
    return bench_csv_close(csv_out) ? 0 : 1;
}
