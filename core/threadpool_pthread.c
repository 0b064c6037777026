/* core/threadpool_pthread.c: the pool on plain pthreads (used by
 * ThreadSanitizer builds, which cannot see inside libgomp): persistent
 * workers, generation counter, spin-then-sleep.
 *
 * A loop publishes its job under the mutex and bumps `generation`; workers
 * that see a new generation run their range and count down `remaining`.
 * The caller runs range 0, then waits for `remaining` to reach zero.
 */
#define _GNU_SOURCE
#include "core/threadpool.h"
#include "core/threadpool_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#define SPIN_ITERATIONS 20000

struct pan_threadpool {
    int n_threads;
    pthread_t *workers;                 /* (n_threads - 1) */
    pthread_mutex_t mutex;
    pthread_cond_t wake;                /* workers wait for a new generation */
    pthread_cond_t done;                /* the caller waits for remaining==0 */
    atomic_uint generation;
    atomic_int remaining;
    atomic_flag busy;                   /* held by the thread running a loop */
    bool stop;
    /* the current job, valid while a loop runs */
    pan_range_fn fn;
    void *ctx;
    int64_t n;
    int n_ranges;
};

typedef struct worker_start {
    pan_threadpool *pool;
    int index;
} worker_start;

static _Thread_local bool inside_loop;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

typedef struct job {
    pan_range_fn fn;
    void *ctx;
    int64_t n;
    int n_ranges;
} job;

static void run_range(const job *work, int range) {
    int64_t begin = work->n * range / work->n_ranges;
    int64_t end = work->n * (range + 1) / work->n_ranges;
    if (end > begin) work->fn(work->ctx, begin, end);
}

static unsigned wait_for_generation(pan_threadpool *pool, unsigned seen) {
    for (int i = 0; i < SPIN_ITERATIONS; i++) {
        unsigned now = atomic_load_explicit(&pool->generation,
                                            memory_order_acquire);
        if (now != seen) return now;
        cpu_relax();
    }
    pthread_mutex_lock(&pool->mutex);
    unsigned now;
    while ((now = atomic_load(&pool->generation)) == seen && !pool->stop)
        pthread_cond_wait(&pool->wake, &pool->mutex);
    pthread_mutex_unlock(&pool->mutex);
    return now;
}

static void *worker_main(void *arg) {
    worker_start start = *(worker_start *)arg;
    free(arg);
    pan_threadpool *pool = start.pool;
    inside_loop = true;
    unsigned seen = 0;
    for (;;) {
        wait_for_generation(pool, seen);
        /* Snapshot the job and its generation together, so a worker that
         * wakes late joins the newest loop once and never runs one twice. */
        pthread_mutex_lock(&pool->mutex);
        bool stop = pool->stop;
        seen = atomic_load(&pool->generation);
        job work = {pool->fn, pool->ctx, pool->n, pool->n_ranges};
        pthread_mutex_unlock(&pool->mutex);
        if (stop) return NULL;
        if (start.index < work.n_ranges) {
            run_range(&work, start.index);
            if (atomic_fetch_sub(&pool->remaining, 1) == 1) {
                pthread_mutex_lock(&pool->mutex);
                pthread_cond_signal(&pool->done);
                pthread_mutex_unlock(&pool->mutex);
            }
        }
    }
}

pan_status pan_threadpool_create(pan_threadpool **out, int n_threads) {
    pan_status status = pan_threadpool_check_threads(n_threads);
    if (status != PAN_OK) return status;
    pan_threadpool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "threadpool: out of memory");
    pool->n_threads = n_threads;
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pthread_cond_init(&pool->done, NULL);
    atomic_init(&pool->generation, 0);
    atomic_init(&pool->remaining, 0);
    atomic_flag_clear(&pool->busy);
    pool->workers = calloc((size_t)n_threads, sizeof *pool->workers);
    if (!pool->workers) {
        pan_threadpool_destroy(pool);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "threadpool: out of memory");
    }
    for (int i = 1; i < n_threads; i++) {
        worker_start *start = malloc(sizeof *start);
        int rc = start ? 0 : -1;
        if (start) {
            *start = (worker_start){pool, i};
            rc = pthread_create(&pool->workers[i - 1], NULL, worker_main, start);
            if (rc != 0) free(start);
        }
        if (rc != 0) {
            pool->n_threads = i; /* join only the started ones */
            pan_threadpool_destroy(pool);
            return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                                 "threadpool: cannot start worker %d of %d", i,
                                 n_threads);
        }
    }
    *out = pool;
    return PAN_OK;
}

void pan_threadpool_destroy(pan_threadpool *pool) {
    if (!pool) return;
    pthread_mutex_lock(&pool->mutex);
    pool->stop = true;
    atomic_fetch_add(&pool->generation, 1);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    for (int i = 1; i < pool->n_threads; i++)
        if (pool->workers) pthread_join(pool->workers[i - 1], NULL);
    pthread_cond_destroy(&pool->wake);
    pthread_cond_destroy(&pool->done);
    pthread_mutex_destroy(&pool->mutex);
    free(pool->workers);
    free(pool);
}

int pan_threadpool_size(const pan_threadpool *pool) {
    return pool ? pool->n_threads : 1;
}

void pan_threadpool_for(pan_threadpool *pool, int64_t n, int64_t grain,
                        pan_range_fn fn, void *ctx) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    int64_t max_ranges = n / grain > 0 ? n / grain : 1; /* ranges >= grain */
    if (!pool || pool->n_threads == 1 || max_ranges == 1 || inside_loop ||
        atomic_flag_test_and_set(&pool->busy)) {
        fn(ctx, 0, n);
        return;
    }
    int n_ranges = max_ranges < pool->n_threads ? (int)max_ranges
                                                : pool->n_threads;
    pthread_mutex_lock(&pool->mutex);
    pool->fn = fn;
    pool->ctx = ctx;
    pool->n = n;
    pool->n_ranges = n_ranges;
    atomic_store(&pool->remaining, n_ranges - 1);
    atomic_fetch_add_explicit(&pool->generation, 1, memory_order_release);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);

    job work = {fn, ctx, n, n_ranges};
    inside_loop = true;
    run_range(&work, 0);
    inside_loop = false;

    for (int i = 0; i < SPIN_ITERATIONS && atomic_load(&pool->remaining) > 0;
         i++)
        cpu_relax();
    if (atomic_load(&pool->remaining) > 0) {
        pthread_mutex_lock(&pool->mutex);
        while (atomic_load(&pool->remaining) > 0)
            pthread_cond_wait(&pool->done, &pool->mutex);
        pthread_mutex_unlock(&pool->mutex);
    }
    atomic_flag_clear(&pool->busy);
}
