/* benchmarks/bench_server_thread.c: a pan_server in a thread (see
 * bench_server_thread.h). */
#define _POSIX_C_SOURCE 200809L
#include "benchmarks/bench_server_thread.h"

#include <pthread.h>
#include <stdlib.h>

#include "env/server.h"

struct bench_server_thread {
    pan_server *server;
    pthread_t thread;
};

static void *serve(void *arg) {
    pan_server_run(arg);
    return NULL;
}

bench_server_thread *bench_server_thread_start(void) {
    bench_server_thread *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    pan_server_options so = pan_server_options_default();
    so.bind = "tcp://127.0.0.1:*";
    so.quiet = true;
    if (pan_server_create(&so, &t->server) != PAN_OK) {
        free(t);
        return NULL;
    }
    if (pthread_create(&t->thread, NULL, serve, t->server) != 0) {
        pan_error_set(PAN_ERR_INTERNAL, "pthread_create failed for the server thread");
        pan_server_destroy(t->server);
        free(t);
        return NULL;
    }
    return t;
}

const char *bench_server_thread_endpoint(const bench_server_thread *t) {
    return pan_server_endpoint(t->server);
}

void bench_server_thread_stop(bench_server_thread *t) {
    if (!t) return;
    pan_server_stop(t->server);
    pthread_join(t->thread, NULL);
    pan_server_destroy(t->server);
    free(t);
}
