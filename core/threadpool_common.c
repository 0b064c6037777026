/* core/threadpool_common.c: what both pool implementations share. */
#include <stdlib.h>
#include <unistd.h>

#include "core/threadpool.h"

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
