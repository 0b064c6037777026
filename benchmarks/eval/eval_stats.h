/* benchmarks/eval/eval_stats.h: the statistics pan-eval reports: n, mean
 * and a 95% bootstrap interval over clusters (cases).
 *
 * Contract
 * - A pan_eval_acc collects values in clusters: pan_eval_acc_add(acc,
 *   cluster, v) adds v to the cluster with that id (clusters are appended
 *   in order of first appearance; ids are any int64). The statistic is the
 *   pooled mean sum(values) / count(values); its interval resamples whole
 *   clusters with replacement (PAN_EVAL_BOOTSTRAP resamples, percentiles
 *   2.5 and 97.5) from a fixed seed, so the same values give the same
 *   interval. A cluster with no values still counts as a cluster.
 * - pan_eval_acc_stat: n = number of values; with n = 0 the mean and
 *   interval are NaN (reports print "-").
 * - Memory: the accumulator grows as needed (malloc); add returns
 *   RESOURCE_EXHAUSTED when it cannot, and the accumulator is unchanged.
 * - Thread safety: one thread per accumulator.
 */
#ifndef PAN_BENCHMARKS_EVAL_EVAL_STATS_H
#define PAN_BENCHMARKS_EVAL_EVAL_STATS_H

#include <stdint.h>

#include "core/status.h"

#define PAN_EVAL_BOOTSTRAP 1000

typedef struct pan_eval_stat {
    int64_t n;            /* values */
    int64_t clusters;     /* cases */
    double mean, lo, hi;  /* NaN when n = 0 */
} pan_eval_stat;

typedef struct pan_eval_acc {
    int64_t n_clusters, capacity;
    int64_t *ids;         /* (capacity) */
    double *sums;         /* (capacity) */
    int64_t *counts;      /* (capacity) */
} pan_eval_acc;

void pan_eval_acc_init(pan_eval_acc *acc);
void pan_eval_acc_free(pan_eval_acc *acc);
pan_status pan_eval_acc_add(pan_eval_acc *acc, int64_t cluster, double value);
/* Opens a cluster with no values (so it is resampled as an empty case). */
pan_status pan_eval_acc_touch(pan_eval_acc *acc, int64_t cluster);
pan_eval_stat pan_eval_acc_stat(const pan_eval_acc *acc);

/* Median of n values (sorted in place); NaN for n = 0. */
double pan_eval_median(double *values, int64_t n);

#endif
