/* env/server/stats.c: request counters and a window of recent server-side
 * latencies for STATS (server_internal.h). Timings live here only. */
#include <stdlib.h>
#include <string.h>

#include "env/server/server_internal.h"

void pan_stats_init(pan_server_stats *st) {
    memset(st, 0, sizeof *st);
    pthread_mutex_init(&st->lock, NULL);
}

void pan_stats_destroy(pan_server_stats *st) {
    pthread_mutex_destroy(&st->lock);
}

void pan_stats_record(pan_server_stats *st, pan_proto_op op, bool error,
                      double seconds) {
    double us = seconds * 1e6;
    uint32_t v = us <= 0 ? 0 : us >= 4e9 ? UINT32_MAX : (uint32_t)(us + 0.5);
    pthread_mutex_lock(&st->lock);
    st->requests++;
    if (error) st->errors++;
    if ((int)op >= 0 && op < PAN_PROTO_OP_COUNT) st->ops[op]++;
    st->latency_us[st->latency_next] = v;
    st->latency_next = (st->latency_next + 1) % PAN_SERVER_LATENCY_WINDOW;
    if (st->latency_count < PAN_SERVER_LATENCY_WINDOW) st->latency_count++;
    pthread_mutex_unlock(&st->lock);
}

void pan_stats_dropped(pan_server_stats *st) {
    pthread_mutex_lock(&st->lock);
    st->dropped++;
    pthread_mutex_unlock(&st->lock);
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

void pan_stats_latency(pan_server_stats *st, double *p50, double *p99) {
    static _Thread_local uint32_t sorted[PAN_SERVER_LATENCY_WINDOW];
    pthread_mutex_lock(&st->lock);
    int n = st->latency_count;
    memcpy(sorted, st->latency_us, (size_t)n * sizeof *sorted);
    pthread_mutex_unlock(&st->lock);
    *p50 = *p99 = 0;
    if (n == 0) return;
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_u32);
    *p50 = sorted[(n - 1) / 2];
    *p99 = sorted[(size_t)((double)(n - 1) * 0.99)];
}
