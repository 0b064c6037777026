/* env/server/queue.c: the request queue (server_internal.h): jobs in
 * arrival order; a pop takes the oldest job whose session is free, so one
 * session's requests run in order while other sessions' requests pass it.
 * The caller holds srv->lock. */
#include <stdlib.h>

#include "env/server/server_internal.h"

void pan_queue_push(pan_queue *q, pan_job *job) {
    job->next = NULL;
    if (q->tail) q->tail->next = job;
    else q->head = job;
    q->tail = job;
    q->count++;
    q->bytes += job->bytes;
}

/* Unlinks `job` whose predecessor is `prev` (NULL at the head). */
static void unlink_job(pan_queue *q, pan_job *prev, pan_job *job) {
    if (prev) prev->next = job->next;
    else q->head = job->next;
    if (q->tail == job) q->tail = prev;
    job->next = NULL;
    q->count--;
    q->bytes -= job->bytes;
}

static bool runnable(const pan_job *job) {
    return !job->session || !job->session->busy;
}

static void take(pan_job *job) {
    if (!job->session) return;
    job->session->busy = true;
    job->session->queued--;
}

int pan_queue_pop_group(pan_queue *q, int max, pan_job **out) {
    pan_job *prev = NULL, *job = q->head;
    while (job && !runnable(job)) {
        prev = job;
        job = job->next;
    }
    if (!job || max < 1) return 0;
    unlink_job(q, prev, job);
    take(job);
    out[0] = job;
    int n = 1;
    if (max == 1 || job->op != PAN_PROTO_OP_STEP || !job->session) return n;
    /* A group: later STEPs of other free sessions, each the oldest queued
     * job of its session (a STEP behind its session's RESET must wait for
     * it). `scan_mark` flags sessions seen on the way; cleared after. */
    prev = NULL;
    for (pan_job *j = q->head; j && n < max;) {
        pan_job *next = j->next;
        pan_session *s = j->session;
        if (j->op == PAN_PROTO_OP_STEP && s && runnable(j) && !s->scan_mark) {
            unlink_job(q, prev, j);
            take(j);
            out[n++] = j;
        } else {
            if (s) s->scan_mark = true;
            prev = j;
        }
        j = next;
    }
    for (pan_job *j = q->head; j; j = j->next)
        if (j->session) j->session->scan_mark = false;
    return n;
}

pan_job *pan_queue_pop_any(pan_queue *q) {
    pan_job *job = q->head;
    if (!job) return NULL;
    unlink_job(q, NULL, job);
    if (job->session) job->session->queued--;
    return job;
}

void pan_job_free(pan_job *job) {
    if (!job) return;
    for (int i = 0; i < job->n_frames; i++) zmq_msg_close(&job->frames[i]);
    free(job->frames);
    free(job);
}
