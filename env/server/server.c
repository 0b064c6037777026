/* env/server/server.c: pan_server (env/server.h): creation and binding,
 * the I/O loop (ROUTER requests in, checks before parsing, cheap ops
 * answered at once, the rest queued for the workers; worker replies
 * forwarded with ZMQ_DONTWAIT; TTL reaping on the poll timeout) and the
 * orderly shutdown. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "env/server/server_internal.h"

#define POLL_MS 100           /* reaping granularity */
#define BURST 64              /* requests or replies handled per poll */

double pan_server_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

pan_server_options pan_server_options_default(void) {
    return (pan_server_options){.bind = PAN_SERVER_DEFAULT_BIND,
                                .workers = 1,
                                .session_ttl_s = 600.0,
                                .limits = pan_server_limits_default(),
                                .quiet = false};
}

static pan_status check_options(const pan_server_options *o) {
    if (!o)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "server options: NULL");
    if (!o->bind || !o->bind[0] || strlen(o->bind) > 200)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "server options: bind "
                             "must be a ZeroMQ endpoint of 1..200 bytes");
    if (o->workers < 1 || o->workers > PAN_SERVER_MAX_WORKERS)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "server options: "
                             "workers must be in [1, %d], found %d",
                             PAN_SERVER_MAX_WORKERS, o->workers);
    if (!(o->session_ttl_s > 0) || o->session_ttl_s > 1e9)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "server options: "
                             "session_ttl_s must be in (0, 1e9] seconds, "
                             "found %g", o->session_ttl_s);
    if (o->n_models < 0 || o->n_models > PAN_SERVER_MAX_MODELS)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "server options: "
                             "n_models must be in [0, %d], found %d",
                             PAN_SERVER_MAX_MODELS, o->n_models);
    for (int i = 0; i < o->n_models; i++) {
        const pan_server_model *m = &o->models[i];
        if (!m->model || !m->name || !m->name[0] ||
            strlen(m->name) >= PAN_SERVER_MODEL_NAME_MAX)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "server options: "
                                 "models[%d] needs a model and a name of "
                                 "1..%d bytes", i, PAN_SERVER_MODEL_NAME_MAX - 1);
        for (int j = 0; j < i; j++)
            if (!strcmp(o->models[j].name, m->name))
                return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "server "
                                     "options: two models are named '%s'",
                                     m->name);
    }
    if (o->model_threads < 0 || o->model_threads > 256)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "server options: "
                             "model_threads must be in [0, 256], found %d",
                             o->model_threads);
    return pan_server_limits_check(&o->limits);
}

static pan_status zmq_fail(const char *what) {
    return pan_error_set(PAN_ERR_INTERNAL, "server: %s: %s", what,
                         zmq_strerror(zmq_errno()));
}

pan_status pan_server_create(const pan_server_options *options,
                             pan_server **out) {
    if (!out)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "server create: NULL "
                             "out");
    *out = NULL;
    pan_status st = check_options(options);
    if (st != PAN_OK) return st;
    pan_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "server: out of "
                             "memory");
    srv->opt = *options;
    srv->wake[0] = srv->wake[1] = -1;
    srv->bind = strdup(options->bind);
    srv->opt.bind = srv->bind;
    pthread_mutex_init(&srv->lock, NULL);
    pthread_cond_init(&srv->cond, NULL);
    pan_stats_init(&srv->stats);
    atomic_init(&srv->stop_requested, 0);
    srv->t_start = pan_server_now();
    if (!srv->bind) {
        st = pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "server: out of memory");
        goto fail;
    }
    st = pan_session_table_init(&srv->sessions, options->limits.max_sessions);
    if (st != PAN_OK) goto fail;
    if (pipe2(srv->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        st = pan_error_set(PAN_ERR_INTERNAL, "server: pipe2: %s",
                           strerror(errno));
        goto fail;
    }
    srv->ctx = zmq_ctx_new();
    if (!srv->ctx) {
        st = zmq_fail("zmq_ctx_new");
        goto fail;
    }
    srv->router = zmq_socket(srv->ctx, ZMQ_ROUTER);
    if (!srv->router) {
        st = zmq_fail("ROUTER socket");
        goto fail;
    }
    int one = 1, linger = 200, zero = 0;
    int64_t maxmsg = (int64_t)options->limits.max_message_bytes;
    /* MANDATORY: a reply to a vanished peer fails (EHOSTUNREACH) instead of
     * vanishing silently, so it is counted. */
    if (zmq_setsockopt(srv->router, ZMQ_ROUTER_MANDATORY, &one, sizeof one) ||
        zmq_setsockopt(srv->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) ||
        zmq_setsockopt(srv->router, ZMQ_LINGER, &linger, sizeof linger)) {
        st = zmq_fail("ROUTER options");
        goto fail;
    }
    if (zmq_bind(srv->router, srv->bind) != 0) {
        int e = zmq_errno();
        st = pan_error_set(e == EINVAL || e == EPROTONOSUPPORT || e == ENOCOMPATPROTO
                               ? PAN_ERR_INVALID_ARGUMENT
                               : PAN_ERR_INTERNAL,
                           "server: cannot bind '%s': %s", srv->bind,
                           zmq_strerror(e));
        goto fail;
    }
    size_t len = sizeof srv->endpoint;
    if (zmq_getsockopt(srv->router, ZMQ_LAST_ENDPOINT, srv->endpoint, &len)) {
        st = zmq_fail("ZMQ_LAST_ENDPOINT");
        goto fail;
    }
    snprintf(srv->inproc, sizeof srv->inproc, "inproc://pan-server-%p",
             (void *)srv);
    srv->pull = zmq_socket(srv->ctx, ZMQ_PULL);
    if (!srv->pull ||
        zmq_setsockopt(srv->pull, ZMQ_RCVHWM, &zero, sizeof zero) ||
        zmq_setsockopt(srv->pull, ZMQ_LINGER, &zero, sizeof zero) ||
        zmq_bind(srv->pull, srv->inproc) != 0) {
        st = zmq_fail("inproc reply socket");
        goto fail;
    }
    *out = srv;
    return PAN_OK;
fail:
    pan_server_destroy(srv);
    return st;
}

const char *pan_server_endpoint(const pan_server *srv) {
    return srv ? srv->endpoint : "";
}

void pan_server_stop(pan_server *srv) {
    if (!srv) return;
    int saved = errno; /* async-signal-safe: an atomic store and write(2) */
    atomic_store(&srv->stop_requested, 1);
    char b = 1;
    ssize_t rc = write(srv->wake[1], &b, 1);
    (void)rc; /* a full pipe already wakes the loop */
    errno = saved;
}

void pan_server_destroy(pan_server *srv) {
    if (!srv) return;
    pthread_mutex_lock(&srv->lock);
    pan_job *job;
    while ((job = pan_queue_pop_any(&srv->queue))) {
        pan_session_unref(job->session);
        pan_job_free(job);
    }
    pthread_mutex_unlock(&srv->lock);
    pan_session_table_free(&srv->sessions);
    if (srv->pull) zmq_close(srv->pull);
    if (srv->router) zmq_close(srv->router);
    if (srv->ctx) zmq_ctx_term(srv->ctx);
    if (srv->wake[0] >= 0) close(srv->wake[0]);
    if (srv->wake[1] >= 0) close(srv->wake[1]);
    pan_stats_destroy(&srv->stats);
    pthread_cond_destroy(&srv->cond);
    pthread_mutex_destroy(&srv->lock);
    free(srv->workers);
    free(srv->bind);
    free(srv);
}

/* ---- the I/O thread ------------------------------------------------------ */

/* An immediate reply from the I/O thread (errors and cheap ops). */
static void reply_now(pan_server *srv, zmq_msg_t *route, int n_route,
                      pan_proto_reply *rep, pan_proto_op op, bool error,
                      double t0) {
    pan_stats_record(&srv->stats, op, error, pan_server_now() - t0);
    if (pan_server_send(srv->router, route, n_route, rep, ZMQ_DONTWAIT) != 0)
        pan_stats_dropped(&srv->stats);
}

static void reply_error_now(pan_server *srv, zmq_msg_t *route, int n_route,
                            const pan_proto_request *req, pan_proto_code code,
                            double t0) {
    pan_proto_reply rep;
    pan_proto_reply_init(&rep);
    pan_proto_reply_error(&rep, req->has_id, req->id, code, pan_error_message());
    reply_now(srv, route, n_route, &rep, req->op, true, t0);
    pan_proto_reply_free(&rep);
}

/* Queues a decoded request (its frames move into the job). Returns the
 * code to reply with instead when it cannot be queued. */
static pan_proto_code enqueue(pan_server *srv, const pan_proto_request *req,
                              zmq_msg_t *frames, int n_frames, int n_route,
                              double t0) {
    pan_job *job = calloc(1, sizeof *job);
    zmq_msg_t *mine = calloc((size_t)n_frames, sizeof *mine);
    if (!job || !mine) {
        free(job);
        free(mine);
        pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "%s: server out of memory",
                      req->op_name);
        return PAN_PROTO_RESOURCE_EXHAUSTED;
    }
    pthread_mutex_lock(&srv->lock);
    pan_session *s = NULL;
    pan_proto_code code = PAN_PROTO_OK;
    if (req->has_session) {
        s = pan_session_find(&srv->sessions, req->session);
        if (!s) {
            pan_error_set(PAN_ERR_NOT_FOUND, "%s: session %" PRIu64 " not "
                          "found (closed, expired or never made)",
                          req->op_name, req->session);
            code = PAN_PROTO_NOT_FOUND;
        }
    }
    if (code == PAN_PROTO_OK && srv->queue.count >= PAN_SERVER_MAX_QUEUED) {
        pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "%s: %d requests are "
                      "waiting already; try again later", req->op_name,
                      srv->queue.count);
        code = PAN_PROTO_RESOURCE_EXHAUSTED;
    }
    if (code != PAN_PROTO_OK) {
        pthread_mutex_unlock(&srv->lock);
        free(job);
        free(mine);
        return code;
    }
    for (int i = 0; i < n_frames; i++) {
        zmq_msg_init(&mine[i]);
        zmq_msg_move(&mine[i], &frames[i]);
        job->bytes += zmq_msg_size(&mine[i]);
    }
    job->frames = mine;
    job->n_frames = n_frames;
    job->n_route = n_route;
    job->op = req->op;
    job->has_id = req->has_id;
    job->id = req->id;
    job->t_arrival = t0;
    if (s) {
        s->refs++;
        s->queued++;
        s->requests++;
        s->last_seen = t0;
        job->session = s;
    }
    pan_queue_push(&srv->queue, job);
    atomic_fetch_add(&srv->wakeups, 1u);
    pthread_cond_signal(&srv->cond);
    pthread_mutex_unlock(&srv->lock);
    return PAN_PROTO_OK;
}

/* Reads one multipart request from the ROUTER and answers or queues it.
 * Returns false when no message was waiting. */
static bool handle_request(pan_server *srv) {
    const pan_server_limits *lim = &srv->opt.limits;
    enum { MAX_FRAMES = PAN_SERVER_MAX_ROUTE + 1 + PAN_PROTO_BLOBS_LIMIT + 1 };
    zmq_msg_t frames[MAX_FRAMES];
    int n = 0, extra = 0;
    bool more = true;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, srv->router, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            if (n == 0) return false;
            break; /* cannot happen: parts of a message arrive together */
        }
        more = zmq_msg_more(&m);
        /* Keep what the checks need; count and drop the rest unparsed. */
        if (n < MAX_FRAMES) {
            zmq_msg_init(&frames[n]);
            zmq_msg_move(&frames[n++], &m);
        } else {
            extra++;
        }
        zmq_msg_close(&m);
    }
    double t0 = pan_server_now();
    /* [identity][empty delimiter if REQ][header][blobs...] */
    int n_route = (n >= 3 && zmq_msg_size(&frames[1]) == 0) ? 2 : 1;
    int n_blobs = n - n_route - 1 + extra;
    pan_proto_request req;
    pan_proto_code code;
    if (n - n_route < 1) {
        memset(&req, 0, sizeof req);
        msgpack_unpacked_init(&req.unpacked);
        req.op = PAN_PROTO_OP_COUNT;
        pan_error_set(PAN_ERR_INVALID_ARGUMENT, "request: the message has no "
                      "header frame");
        code = PAN_PROTO_INVALID_ARGUMENT;
        n_route = n;
    } else if (n_blobs > lim->max_blobs) {
        memset(&req, 0, sizeof req);
        msgpack_unpacked_init(&req.unpacked);
        req.op = PAN_PROTO_OP_COUNT;
        pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "request: %d blob frames "
                      "after the header, max_blobs is %d", n_blobs,
                      lim->max_blobs);
        code = PAN_PROTO_RESOURCE_EXHAUSTED;
    } else {
        pan_proto_blob blobs[PAN_PROTO_BLOBS_LIMIT];
        for (int i = 0; i < n_blobs; i++)
            blobs[i] = (pan_proto_blob){zmq_msg_data(&frames[n_route + 1 + i]),
                                        zmq_msg_size(&frames[n_route + 1 + i])};
        zmq_msg_t *h = &frames[n_route];
        code = pan_proto_request_decode(lim, zmq_msg_data(h), zmq_msg_size(h),
                                        blobs, n_blobs, &req);
    }
    if (code != PAN_PROTO_OK) {
        reply_error_now(srv, frames, n_route, &req, code, t0);
    } else if (pan_server_op_is_cheap(&req)) {
        pan_proto_reply rep;
        pan_proto_reply_init(&rep);
        bool error = pan_server_dispatch(srv, &req, NULL, &rep);
        reply_now(srv, frames, n_route, &rep, req.op, error, t0);
        pan_proto_reply_free(&rep);
    } else {
        /* The workers decode again from the frames: free ours first (it
         * points into frames that are about to move). */
        pan_proto_request head = req;
        pan_proto_request_free(&req);
        code = enqueue(srv, &head, frames, n, n_route, t0);
        if (code == PAN_PROTO_OK) return true; /* frames moved to the job */
        head.header = NULL;
        reply_error_now(srv, frames, n_route, &head, code, t0);
        for (int i = n_route; i < n; i++) zmq_msg_close(&frames[i]);
        return true;
    }
    pan_proto_request_free(&req);
    for (int i = n_route; i < n; i++) zmq_msg_close(&frames[i]);
    return true;
}

/* Forwards one reply of a worker (PULL) to its peer on the ROUTER; a reply
 * the ROUTER refuses (peer gone, or its queue full) is dropped and
 * counted. Returns false when none was waiting. */
static bool forward_reply(pan_server *srv) {
    bool more = true, first = true, failed = false;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, srv->pull, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            if (first) return false;
            break;
        }
        more = zmq_msg_more(&m);
        if (!failed &&
            zmq_msg_send(&m, srv->router, (more ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) >= 0) {
            first = false;
            continue;
        }
        if (!failed) pan_stats_dropped(&srv->stats);
        failed = true;
        first = false;
        zmq_msg_close(&m);
    }
    return true;
}

static void reap(pan_server *srv, double now) {
    pan_session *dead[64];
    pthread_mutex_lock(&srv->lock);
    int n = pan_session_reap(&srv->sessions, now, srv->opt.session_ttl_s, dead,
                             64);
    pthread_mutex_unlock(&srv->lock);
    /* Out of the table, idle, no job holds them: ours to free. */
    for (int i = 0; i < n; i++) {
        if (!srv->opt.quiet)
            fprintf(stderr, "pan-server: session %" PRIu64 " expired after "
                    "%.0f s idle\n", dead[i]->id, srv->opt.session_ttl_s);
        pthread_mutex_lock(&srv->lock);
        pan_session_unref(dead[i]);
        pthread_mutex_unlock(&srv->lock);
    }
}

static void shutdown_workers(pan_server *srv) {
    pthread_mutex_lock(&srv->lock);
    srv->stopping = true;
    atomic_fetch_add(&srv->wakeups, 1u);
    pthread_cond_broadcast(&srv->cond);
    pan_job *job;
    while ((job = pan_queue_pop_any(&srv->queue))) {
        pan_session *s = job->session;
        job->session = NULL;
        pthread_mutex_unlock(&srv->lock);
        pan_proto_request req = {.has_id = job->has_id, .id = job->id,
                                 .op = job->op};
        pan_error_set(PAN_ERR_FAILED_PRECONDITION, "%s: the server is "
                      "shutting down", pan_proto_op_name(job->op));
        reply_error_now(srv, job->frames, job->n_route, &req,
                        PAN_PROTO_UNAVAILABLE, job->t_arrival);
        pthread_mutex_lock(&srv->lock);
        pan_session_unref(s);
        pan_job_free(job);
    }
    pthread_mutex_unlock(&srv->lock);
    /* Running jobs finish and push their replies (never blocking: no
     * high-water mark on the inproc pipe). */
    for (int i = 0; i < srv->workers_started; i++)
        pthread_join(srv->workers[i], NULL);
    srv->workers_started = 0;
    while (forward_reply(srv)) {
    }
}

pan_status pan_server_run(pan_server *srv) {
    if (!srv)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "server run: NULL");
    if (srv->ran)
        return pan_error_set(PAN_ERR_FAILED_PRECONDITION, "server run: this "
                             "server has run already");
    srv->ran = true;
    srv->workers = calloc((size_t)srv->opt.workers, sizeof *srv->workers);
    if (!srv->workers)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "server: out of "
                             "memory");
    /* Workers take no asynchronous signals: SIGINT/SIGTERM go to the I/O
     * thread, whose zmq_poll they interrupt. */
    sigset_t async, old;
    sigemptyset(&async);
    int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGALRM,
                  SIGUSR1, SIGUSR2, SIGCHLD};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaddset(&async, sigs[i]);
    pthread_sigmask(SIG_BLOCK, &async, &old);
    for (int i = 0; i < srv->opt.workers; i++) {
        if (pthread_create(&srv->workers[i], NULL, pan_server_worker_main, srv))
            break;
        srv->workers_started++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (srv->workers_started == 0) {
        return pan_error_set(PAN_ERR_INTERNAL, "server: cannot start a "
                             "worker thread");
    }
    double last_reap = pan_server_now();
    while (!atomic_load(&srv->stop_requested)) {
        zmq_pollitem_t items[3] = {
            {.socket = srv->router, .events = ZMQ_POLLIN},
            {.socket = srv->pull, .events = ZMQ_POLLIN},
            {.fd = srv->wake[0], .events = ZMQ_POLLIN},
        };
        int rc = zmq_poll(items, 3, POLL_MS);
        if (rc < 0 && zmq_errno() != EINTR) {
            fprintf(stderr, "pan-server: zmq_poll: %s; stopping\n",
                    zmq_strerror(zmq_errno()));
            break;
        }
        if (rc > 0 && (items[2].revents & ZMQ_POLLIN)) {
            char buf[64];
            while (read(srv->wake[0], buf, sizeof buf) > 0) {
            }
        }
        if (atomic_load(&srv->stop_requested)) break;
        /* Replies first: they free workers' sessions for queued jobs. */
        for (int i = 0; i < BURST && forward_reply(srv); i++) {
        }
        for (int i = 0; i < BURST && handle_request(srv); i++) {
        }
        double now = pan_server_now();
        if (now - last_reap >= POLL_MS * 1e-3) {
            reap(srv, now);
            last_reap = now;
        }
    }
    shutdown_workers(srv);
    return PAN_OK;
}
