/* env/server/worker.c: a worker thread: takes the oldest runnable job from
 * the queue (its session becomes busy), decodes and runs it without any
 * lock held, and hands the reply to the I/O thread over its own inproc
 * PUSH socket (only the I/O thread touches the ROUTER). */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "env/server/server_internal.h"

/* Decodes, runs and answers one job; records it in the statistics. */
static void run_job(pan_server *srv, void *push, pan_job *job) {
    int n_blobs = job->n_frames - job->n_route - 1;
    pan_proto_blob blobs[PAN_PROTO_BLOBS_LIMIT];
    for (int i = 0; i < n_blobs && i < PAN_PROTO_BLOBS_LIMIT; i++) {
        zmq_msg_t *m = &job->frames[job->n_route + 1 + i];
        blobs[i] = (pan_proto_blob){zmq_msg_data(m), zmq_msg_size(m)};
    }
    zmq_msg_t *h = &job->frames[job->n_route];
    pan_proto_request req;
    pan_proto_code code = pan_proto_request_decode(
        &srv->opt.limits, zmq_msg_data(h), zmq_msg_size(h), blobs, n_blobs,
        &req);
    pan_proto_reply rep;
    pan_proto_reply_init(&rep);
    bool error;
    if (code != PAN_PROTO_OK) { /* the I/O thread decoded it already */
        pan_proto_reply_error(&rep, req.has_id, req.id, code,
                              pan_error_message());
        error = true;
    } else {
        error = pan_server_dispatch(srv, &req, job->session, &rep);
    }
    pan_proto_request_free(&req);
    /* Counted before the reply leaves: a client that has its reply and asks
     * STATS next (on any lane) sees this request counted. */
    pan_stats_record(&srv->stats, job->op, error,
                     pan_server_now() - job->t_arrival);
    /* Blocking send to our inproc PUSH (no high-water mark): the I/O thread
     * forwards it with ZMQ_DONTWAIT. */
    if (pan_server_send(push, job->frames, job->n_route, &rep, 0) != 0)
        pan_stats_dropped(&srv->stats);
    pan_proto_reply_free(&rep);
}

/* Releases a finished job: frees its session for the next job. */
static void finish_job(pan_server *srv, pan_job *job) {
    pan_session *s = job->session;
    if (s) {
        double now = pan_server_now();
        s->busy = false;
        s->last_seen = s->last_done = now;
        pan_session_unref(s);
        job->session = NULL;
    }
}

/* Called with srv->lock held and nothing runnable: waits up to
 * WORKER_SPIN_US for a wake-up (a job queued, a session freed, stopping),
 * yielding the CPU between looks, before the caller sleeps on the condition
 * variable. A request that arrives while the worker spins starts without a
 * futex wake (about 30-100 us on these machines); an idle server sleeps.
 * Returns true (lock held again) when anything was signalled meanwhile,
 * including between the last look and re-locking, so no wake-up is lost:
 * signals are sent under the lock. */
#define WORKER_SPIN_US 100.0
static bool spin_for_push(pan_server *srv) {
    unsigned seen = atomic_load(&srv->wakeups);
    pthread_mutex_unlock(&srv->lock);
    double until = pan_server_now() + WORKER_SPIN_US * 1e-6;
    bool pushed = false;
    while (!pushed && pan_server_now() < until) {
        sched_yield();
        pushed = atomic_load(&srv->wakeups) != seen;
    }
    pthread_mutex_lock(&srv->lock);
    return pushed || atomic_load(&srv->wakeups) != seen;
}

void *pan_server_worker_main(void *arg) {
    pan_server *srv = arg;
    void *push = zmq_socket(srv->ctx, ZMQ_PUSH);
    int zero = 0;
    if (push) {
        zmq_setsockopt(push, ZMQ_SNDHWM, &zero, sizeof zero);
        if (zmq_connect(push, srv->inproc) != 0) {
            zmq_close(push);
            push = NULL;
        }
    }
    if (!push)
        fprintf(stderr, "pan-server: worker cannot connect its reply socket "
                "(%s); it takes no jobs\n", zmq_strerror(zmq_errno()));
    pthread_mutex_lock(&srv->lock);
    while (push) {
        pan_job *job = NULL;
        while (!srv->stopping && pan_queue_pop_group(&srv->queue, 1, &job) == 0) {
            if (spin_for_push(srv)) continue;
            pthread_cond_wait(&srv->cond, &srv->lock);
        }
        if (!job) break; /* stopping */
        pthread_mutex_unlock(&srv->lock);
        run_job(srv, push, job);
        pthread_mutex_lock(&srv->lock);
        finish_job(srv, job);
        /* Its session's next job, if any, is runnable now. */
        atomic_fetch_add(&srv->wakeups, 1u);
        pthread_cond_broadcast(&srv->cond);
        pthread_mutex_unlock(&srv->lock);
        pan_job_free(job);
        pthread_mutex_lock(&srv->lock);
    }
    pthread_mutex_unlock(&srv->lock);
    if (push) zmq_close(push);
    return NULL;
}
