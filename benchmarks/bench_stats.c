/* benchmarks/bench_stats.c: the clock and the order statistics. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <time.h>

#include "benchmarks/bench.h"

double bench_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Linear interpolation between the closest ranks of sorted data. */
static double quantile(const double *sorted, int n, double q) {
    double pos = q * (double)(n - 1);
    int lo = (int)pos;
    if (lo >= n - 1) return sorted[n - 1];
    double frac = pos - (double)lo;
    return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

bench_stats bench_stats_of(double *us, int n) {
    qsort(us, (size_t)n, sizeof *us, cmp_double);
    return (bench_stats){.median = quantile(us, n, 0.5),
                         .p10 = quantile(us, n, 0.1),
                         .p90 = quantile(us, n, 0.9),
                         .min = us[0],
                         .max = us[n - 1]};
}
