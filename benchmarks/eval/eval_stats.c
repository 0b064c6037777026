/* benchmarks/eval/eval_stats.c: clustered means and bootstrap intervals
 * (eval_stats.h). */
#include "benchmarks/eval/eval_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"

#define BOOTSTRAP_SEED UINT64_C(0x5eed0fb007)

void pan_eval_acc_init(pan_eval_acc *acc) { memset(acc, 0, sizeof *acc); }

void pan_eval_acc_free(pan_eval_acc *acc) {
    free(acc->ids);
    free(acc->sums);
    free(acc->counts);
    pan_eval_acc_init(acc);
}

static pan_status grow(pan_eval_acc *acc) {
    int64_t cap = acc->capacity ? acc->capacity * 2 : 64;
    int64_t *ids = malloc((size_t)cap * sizeof *ids);
    double *sums = malloc((size_t)cap * sizeof *sums);
    int64_t *counts = malloc((size_t)cap * sizeof *counts);
    if (!ids || !sums || !counts) {
        free(ids);
        free(sums);
        free(counts);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "eval statistics: out of memory for %lld cases",
                             (long long)cap);
    }
    size_t n = (size_t)acc->n_clusters;
    if (n) {
        memcpy(ids, acc->ids, n * sizeof *ids);
        memcpy(sums, acc->sums, n * sizeof *sums);
        memcpy(counts, acc->counts, n * sizeof *counts);
    }
    free(acc->ids);
    free(acc->sums);
    free(acc->counts);
    acc->ids = ids;
    acc->sums = sums;
    acc->counts = counts;
    acc->capacity = cap;
    return PAN_OK;
}

/* The index of cluster `id`, appended if new; -1 when out of memory.
 * Clusters arrive in order, so the last one is checked first. */
static int64_t cluster_index(pan_eval_acc *acc, int64_t id) {
    for (int64_t i = acc->n_clusters - 1; i >= 0 && i >= acc->n_clusters - 4; i--)
        if (acc->ids[i] == id) return i;
    for (int64_t i = acc->n_clusters - 5; i >= 0; i--)
        if (acc->ids[i] == id) return i;
    if (acc->n_clusters == acc->capacity && grow(acc) != PAN_OK) return -1;
    int64_t i = acc->n_clusters++;
    acc->ids[i] = id;
    acc->sums[i] = 0;
    acc->counts[i] = 0;
    return i;
}

pan_status pan_eval_acc_add(pan_eval_acc *acc, int64_t cluster, double value) {
    int64_t i = cluster_index(acc, cluster);
    if (i < 0) return PAN_ERR_RESOURCE_EXHAUSTED;
    acc->sums[i] += value;
    acc->counts[i] += 1;
    return PAN_OK;
}

pan_status pan_eval_acc_touch(pan_eval_acc *acc, int64_t cluster) {
    return cluster_index(acc, cluster) < 0 ? PAN_ERR_RESOURCE_EXHAUSTED : PAN_OK;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double pan_eval_median(double *values, int64_t n) {
    if (n <= 0) return NAN;
    qsort(values, (size_t)n, sizeof *values, cmp_double);
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

pan_eval_stat pan_eval_acc_stat(const pan_eval_acc *acc) {
    pan_eval_stat st = {.clusters = acc->n_clusters, .mean = NAN, .lo = NAN, .hi = NAN};
    double sum = 0;
    for (int64_t i = 0; i < acc->n_clusters; i++) {
        sum += acc->sums[i];
        st.n += acc->counts[i];
    }
    if (st.n == 0) return st;
    st.mean = sum / (double)st.n;
    double *means = malloc(PAN_EVAL_BOOTSTRAP * sizeof *means);
    if (!means) return st; /* interval unknown (NaN) without memory */
    pan_rng rng = pan_rng_seed(BOOTSTRAP_SEED);
    int kept = 0;
    for (int b = 0; b < PAN_EVAL_BOOTSTRAP; b++) {
        double s = 0;
        int64_t c = 0;
        for (int64_t j = 0; j < acc->n_clusters; j++) {
            int64_t i = (int64_t)(pan_rng_next_u64(&rng) % (uint64_t)acc->n_clusters);
            s += acc->sums[i];
            c += acc->counts[i];
        }
        if (c) means[kept++] = s / (double)c;
    }
    qsort(means, (size_t)kept, sizeof *means, cmp_double);
    if (kept) {
        st.lo = means[(int)floor(0.025 * (kept - 1))];
        st.hi = means[(int)ceil(0.975 * (kept - 1))];
    }
    free(means);
    return st;
}
