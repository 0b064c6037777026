/* core/threadpool_openmp.c: the pool on OpenMP (the default).
 *
 * oneDNN (Debian's build) and OpenBLAS (its OpenMP variant) both run on
 * libgomp's persistent thread team. Running pan's own loops on that same
 * team means one set of threads serves every op: no second pool spins
 * while the first one works, so the libraries never oversubscribe the
 * cores. libgomp keeps its threads alive between parallel regions, which
 * makes the team the persistent pool the contract in threadpool.h asks for.
 */
#include <omp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/threadpool.h"
#include "core/threadpool_internal.h"

struct pan_threadpool {
    int n_threads;
    atomic_flag busy; /* held by the thread running a loop */
};

static _Thread_local bool inside_loop;

pan_status pan_threadpool_create(pan_threadpool **out, int n_threads) {
    pan_status status = pan_threadpool_check_threads(n_threads);
    if (status != PAN_OK) return status;
    pan_threadpool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "threadpool: out of memory");
    pool->n_threads = n_threads;
    atomic_flag_clear(&pool->busy);
    omp_set_num_threads(n_threads);
    *out = pool;
    return PAN_OK;
}

void pan_threadpool_destroy(pan_threadpool *pool) { free(pool); }

int pan_threadpool_size(const pan_threadpool *pool) {
    return pool ? pool->n_threads : 1;
}

void pan_threadpool_for(pan_threadpool *pool, int64_t n, int64_t grain,
                        pan_range_fn fn, void *ctx) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    int64_t max_ranges = n / grain > 0 ? n / grain : 1; /* ranges >= grain */
    if (!pool || pool->n_threads == 1 || max_ranges == 1 || inside_loop ||
        omp_in_parallel() || atomic_flag_test_and_set(&pool->busy)) {
        fn(ctx, 0, n);
        return;
    }
    int n_ranges = max_ranges < pool->n_threads ? (int)max_ranges
                                                : pool->n_threads;
    inside_loop = true;
#pragma omp parallel num_threads(n_ranges)
    {
        /* The split depends only on n and n_ranges; if the runtime gives
         * fewer threads, each takes several ranges. */
        int got = omp_get_num_threads();
        for (int range = omp_get_thread_num(); range < n_ranges; range += got) {
            int64_t begin = n * range / n_ranges;
            int64_t end = n * (range + 1) / n_ranges;
            if (end > begin) fn(ctx, begin, end);
        }
    }
    inside_loop = false;
    atomic_flag_clear(&pool->busy);
}
