/* core/threadpool_common.c: what both pool implementations share. */
#include <stdlib.h>
#include <unistd.h>

#include "core/threadpool.h"
#include "core/threadpool_internal.h"

int pan_threadpool_default_threads(void) {
    const char *env = getenv("PAN_NUM_THREADS");
    if (env && *env) {
        char *end = NULL;
        long value = strtol(env, &end, 10);
        if (*end == '\0' && value >= 1 && value <= PAN_THREADPOOL_MAX_THREADS)
            return (int)value;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1) cpus = 1;
    if (cpus > PAN_THREADPOOL_MAX_THREADS) cpus = PAN_THREADPOOL_MAX_THREADS;
    return (int)cpus;
}

pan_status pan_threadpool_check_threads(int n_threads) {
    if (n_threads >= 1 && n_threads <= PAN_THREADPOOL_MAX_THREADS) return PAN_OK;
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                         "threadpool: n_threads must be 1..%d, got %d",
                         PAN_THREADPOOL_MAX_THREADS, n_threads);
}
