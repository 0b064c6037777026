/* env/server.h: pan-server in-process: the protocol v1 server
 * (docs/protocol.md) as a library, for the pan-server tool and for
 * benchmarks that run a server in a thread.
 *
 * Contract
 * - pan_server_create validates the options, creates a ZeroMQ context and
 *   binds one ROUTER socket to options->bind (any ZeroMQ endpoint;
 *   "tcp://127.0.0.1:*" picks a free port). pan_server_endpoint gives the
 *   endpoint actually bound (ZMQ_LAST_ENDPOINT), valid until destroy.
 * - pan_server_run serves on the calling thread (the I/O thread) and starts
 *   options->workers worker threads; it blocks until pan_server_stop, then
 *   stops accepting (queued requests are answered UNAVAILABLE), lets the
 *   running requests finish and send their replies, joins the workers and
 *   returns PAN_OK. It may be called once per server.
 * - pan_server_stop is thread-safe and async-signal-safe (an atomic flag
 *   and a write(2) to a pipe): call it from a SIGINT/SIGTERM handler or
 *   another thread, before or during run.
 * - pan_server_destroy frees everything: sessions, envs, snapshots,
 *   sockets, the context. Call it after run has returned (or instead of
 *   run); it must not race with run.
 * - No input from the network ever makes the server exit, abort or block:
 *   malformed requests get error replies, replies to slow or vanished
 *   peers are dropped (counted in STATS), limits are enforced before work.
 * - Errors: create returns INVALID_ARGUMENT for bad options, INTERNAL when
 *   ZeroMQ fails (bind error, endpoint in use) with the ZeroMQ message.
 * - Models: options->models are world models the server serves: MAKE with
 *   'model': name builds envs on it (env/env.h, config.model), each with
 *   its own compute of model_threads threads; names must be distinct.
 * - Ownership: the server copies options->bind; the models (and their
 *   names) are borrowed and must outlive the server.
 */
#ifndef PAN_ENV_SERVER_H
#define PAN_ENV_SERVER_H

#include <stdbool.h>

#include "core/status.h"
#include "env/protocol.h"

#define PAN_SERVER_DEFAULT_BIND "tcp://127.0.0.1:5555"
#define PAN_SERVER_MAX_WORKERS 64
#define PAN_SERVER_MAX_MODELS 8
#define PAN_SERVER_MODEL_NAME_MAX 64

/* A world model the server offers (MAKE 'model': name). Both borrowed:
 * they must outlive the server. */
struct pan_model;
typedef struct pan_server_model {
    const char *name;              /* 1..PAN_SERVER_MODEL_NAME_MAX-1 bytes */
    const struct pan_model *model;
} pan_server_model;

typedef struct pan_server_options {
    const char *bind;             /* default PAN_SERVER_DEFAULT_BIND */
    int workers;                  /* 1..PAN_SERVER_MAX_WORKERS; default 1 */
    double session_ttl_s;         /* > 0; default 600 */
    pan_server_limits limits;     /* pan_server_limits_default() */
    bool quiet;                   /* no log lines on stderr */
    pan_server_model models[PAN_SERVER_MAX_MODELS]; /* HELLO 'models' */
    int n_models;                 /* 0..PAN_SERVER_MAX_MODELS */
    const char *model_backend;    /* compute backend of model envs; NULL auto */
    int model_threads;            /* threads per model env; 0 default */
} pan_server_options;

typedef struct pan_server pan_server;

pan_server_options pan_server_options_default(void);
pan_status pan_server_create(const pan_server_options *options,
                             pan_server **out);
const char *pan_server_endpoint(const pan_server *server);
pan_status pan_server_run(pan_server *server);
void pan_server_stop(pan_server *server);
void pan_server_destroy(pan_server *server);

#endif
