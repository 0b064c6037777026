/* benchmarks/bench_server_thread.h: a pan_server (env/server.h) running in
 * a thread of the benchmark's process, behind an opaque handle, so the
 * timing code does not include the server's headers.
 *
 * Contract: bench_server_thread_start binds tcp://127.0.0.1:* (one worker,
 * quiet), starts pan_server_run in a new thread and returns the handle
 * (NULL with pan_error_message() on failure); bench_server_thread_endpoint
 * is the bound endpoint; bench_server_thread_stop stops the server, joins
 * the thread and frees everything. One thread uses a handle at a time. */
#ifndef PAN_BENCHMARKS_BENCH_SERVER_THREAD_H
#define PAN_BENCHMARKS_BENCH_SERVER_THREAD_H

typedef struct bench_server_thread bench_server_thread;

bench_server_thread *bench_server_thread_start(void);
const char *bench_server_thread_endpoint(const bench_server_thread *t);
void bench_server_thread_stop(bench_server_thread *t);

#endif
