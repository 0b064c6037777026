/* core/threadpool.h: a persistent pool of worker threads for data-parallel
 * loops (the ref kernels, data generation).
 *
 * Contract
 * - The pool is OpenMP's persistent thread team (threadpool_openmp.c), the
 *   same threads oneDNN and OpenBLAS (OpenMP variant) run on, so pan's own
 *   loops never compete with a second pool for the cores. ThreadSanitizer
 *   builds use an equivalent pthread pool (threadpool_pthread.c). Either
 *   way the calling thread takes part in every loop.
 * - pan_threadpool_for(pool, n, grain, fn, ctx) splits [0, n) into at most
 *   pool-size contiguous ranges of at least `grain` items, calls
 *   fn(ctx, begin, end) once per range and returns when all are done. The
 *   split depends only on n, grain and the pool size, so a kernel that
 *   writes each output from one range is deterministic for a given thread
 *   count (and, if each output's arithmetic does not depend on the range,
 *   for every thread count).
 * - Calls from inside a running loop, or while another thread owns the
 *   pool, run serially on the calling thread: nesting never deadlocks.
 * - A NULL pool runs everything serially.
 * - Thread safety: any thread may call pan_threadpool_for; create and
 *   destroy must not race with it.
 */
#ifndef PAN_CORE_THREADPOOL_H
#define PAN_CORE_THREADPOOL_H

#include <stdint.h>

#include "core/status.h"

typedef struct pan_threadpool pan_threadpool;

typedef void (*pan_range_fn)(void *ctx, int64_t begin, int64_t end);

/* n_threads >= 1 (1 means no workers). Up to PAN_THREADPOOL_MAX_THREADS. */
#define PAN_THREADPOOL_MAX_THREADS 256
pan_status pan_threadpool_create(pan_threadpool **out, int n_threads);
void pan_threadpool_destroy(pan_threadpool *pool);
int pan_threadpool_size(const pan_threadpool *pool);

void pan_threadpool_for(pan_threadpool *pool, int64_t n, int64_t grain,
                        pan_range_fn fn, void *ctx);

/* Default thread count: PAN_NUM_THREADS if set and valid, else the number
 * of online CPUs. */
int pan_threadpool_default_threads(void);

#endif
