/* env/server/server_internal.h: what the server's files share (internal):
 * sessions and their table, queued jobs and the request queue, statistics,
 * the server object and the op handlers.
 *
 * Contract
 * - Threads: one I/O thread (pan_server_run's caller) owns the ROUTER
 *   socket and the inproc PULL socket; W workers each own one inproc PUSH
 *   socket. Everything else shared lives under srv->lock (a short mutex:
 *   queue and session-table updates only, never held while working) or
 *   srv->stats.lock.
 * - A session is reference counted: the table holds one reference while
 *   the session is live, each queued or running job one. `busy` (under
 *   srv->lock) gives one worker exclusive use of session->env; the env is
 *   touched by nobody else (the reaper only takes sessions that are neither
 *   busy nor have queued jobs). CLOSE and the reaper set `closed`, remove
 *   the session from the table and destroy its env; later jobs that still
 *   hold a reference answer NOT_FOUND.
 * - A job owns its ZeroMQ frames (routing frames, header, blobs) and one
 *   reference to its session (or none). Workers decode the header again
 *   from the frames (the I/O thread's decode is transient), so nothing the
 *   I/O thread allocated for msgpack-c is kept.
 * - All functions here report errors as pan_status with pan_error_set.
 */
#ifndef PAN_ENV_SERVER_INTERNAL_H
#define PAN_ENV_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <zmq.h>

#include "env/env.h"
#include "env/protocol.h"
#include "env/server.h"

#define PAN_SERVER_MAX_ROUTE 2        /* identity + REQ's empty delimiter */
#define PAN_SERVER_MAX_QUEUED 1024    /* jobs waiting for a worker */
#define PAN_SERVER_LATENCY_WINDOW 4096 /* latencies kept for p50 / p99 */

/* ---- sessions (session.c) ---------------------------------------------- */

typedef struct pan_session {
    uint64_t id;
    pan_vec_env *env;             /* owned; NULL once closed */
    int refs;                     /* table + jobs; under srv->lock */
    bool busy;                    /* a worker runs one of its jobs */
    bool closed;                  /* removed from the table */
    int queued;                   /* jobs waiting in the queue */
    bool scan_mark;               /* queue.c's group scan, else false */
    uint64_t requests;            /* requests received for it */
    double last_seen;             /* arrival or end of a request (TTL) */
    double last_done;             /* end of its last request (idle_ms) */
} pan_session;

typedef struct pan_session_table {
    pan_session **slots;          /* (cap) open addressing, NULL = empty */
    size_t cap;                   /* power of two >= 2 * max_sessions */
    int count;                    /* live sessions */
    int making;                   /* MAKEs running (reserved places) */
    int max_sessions;
} pan_session_table;

pan_status pan_session_table_init(pan_session_table *t, int max_sessions);
/* Destroys every session still in the table (their envs too). */
void pan_session_table_free(pan_session_table *t);
pan_session *pan_session_find(const pan_session_table *t, uint64_t id);
/* A fresh random id (getrandom), non-zero and not in the table. */
pan_status pan_session_new_id(const pan_session_table *t, uint64_t *id);
/* Inserts s (its id must be new); the table takes one reference. */
pan_status pan_session_insert(pan_session_table *t, pan_session *s);
/* Removes s, marks it closed; the caller inherits the table's reference. */
void pan_session_remove(pan_session_table *t, pan_session *s);
/* Removes up to `max` sessions idle for more than ttl_s (not busy, no
 * queued job) into out; returns how many. */
int pan_session_reap(pan_session_table *t, double now, double ttl_s,
                     pan_session **out, int max);
/* Drops one reference; frees the session (and its env, if any) at zero.
 * Returns true when freed. Caller holds srv->lock or owns the session. */
bool pan_session_unref(pan_session *s);

/* ---- jobs and the queue (queue.c) --------------------------------------- */

typedef struct pan_job {
    struct pan_job *next;
    zmq_msg_t *frames;            /* (n_frames): route, header, blobs */
    int n_frames;
    int n_route;                  /* frames before the header */
    pan_proto_op op;
    bool has_id;
    uint64_t id;
    pan_session *session;         /* one reference, or NULL */
    double t_arrival;             /* monotonic seconds */
    size_t bytes;                 /* header + blob bytes */
} pan_job;

typedef struct pan_queue {
    pan_job *head, *tail;         /* arrival order */
    int count;
    size_t bytes;
} pan_queue;

void pan_queue_push(pan_queue *q, pan_job *job);
/* Takes up to `max` jobs (max >= 1): the oldest job whose session is not
 * busy and, when max > 1 and that job is a STEP, later STEPs of other
 * not-busy sessions (one group for one batched forward pass later). Marks
 * the sessions busy and decrements their `queued`. Returns the count (0:
 * nothing runnable). Caller holds srv->lock. */
int pan_queue_pop_group(pan_queue *q, int max, pan_job **out);
/* Takes the oldest job regardless of sessions (shutdown drain), or NULL. */
pan_job *pan_queue_pop_any(pan_queue *q);
/* Frees the frames and the struct (not the session reference). */
void pan_job_free(pan_job *job);

/* ---- statistics (stats.c) ----------------------------------------------- */

typedef struct pan_server_stats {
    pthread_mutex_t lock;
    uint64_t requests, errors, dropped;
    uint64_t ops[PAN_PROTO_OP_COUNT];
    uint32_t latency_us[PAN_SERVER_LATENCY_WINDOW]; /* ring */
    int latency_count, latency_next;
} pan_server_stats;

void pan_stats_init(pan_server_stats *st);
void pan_stats_destroy(pan_server_stats *st);
/* One answered request: op may be PAN_PROTO_OP_COUNT (not decoded). */
void pan_stats_record(pan_server_stats *st, pan_proto_op op, bool error,
                      double seconds);
void pan_stats_dropped(pan_server_stats *st);
/* Latency percentiles (microseconds) of the recent window; 0 when empty. */
void pan_stats_latency(pan_server_stats *st, double *p50, double *p99);

/* ---- the server (server.c) --------------------------------------------- */

struct pan_server {
    pan_server_options opt;
    char *bind;                   /* owned copy of opt.bind */
    void *ctx;                    /* ZeroMQ context */
    void *router;                 /* I/O thread only */
    void *pull;                   /* I/O thread only: replies of workers */
    char endpoint[256];           /* ZMQ_LAST_ENDPOINT */
    char inproc[64];              /* the workers' reply endpoint */
    int wake[2];                  /* self-pipe: stop() writes, I/O polls */
    atomic_int stop_requested;
    bool ran;

    pthread_mutex_t lock;         /* queue, sessions, stopping */
    pthread_cond_t cond;          /* jobs runnable, or stopping */
    atomic_uint wakeups;          /* bumped, under lock, at every signal or
                                     broadcast of cond (idle workers spin on it) */
    pan_queue queue;
    pan_session_table sessions;
    bool stopping;
    int workers_started;
    pthread_t *workers;           /* (opt.workers) */

    pan_server_stats stats;
    double t_start;
};

double pan_server_now(void);      /* CLOCK_MONOTONIC seconds */
/* The worker thread body (worker.c). */
void *pan_server_worker_main(void *arg);

/* ---- dispatch (dispatch.c) ---------------------------------------------- */

/* Runs req's op (session: its exclusive session, or NULL) and leaves a
 * finished reply in rep: the op's fields, or an error reply with the code
 * and message. Returns true when the reply is an error. */
bool pan_server_dispatch(pan_server *srv, pan_proto_request *req,
                         pan_session *session, pan_proto_reply *rep);
/* Sends [route frames][header][blobs] on sock: the route frames are moved
 * out of `route`, the header and blobs out of rep (zero-copy). flags:
 * ZMQ_DONTWAIT or 0. Returns 0, or -1 with errno when the message could
 * not be sent (everything is freed then). */
int pan_server_send(void *sock, zmq_msg_t *route, int n_route,
                    pan_proto_reply *rep, int flags);

/* ---- ops (ops_*.c) ------------------------------------------------------ */

typedef struct pan_op_ctx {
    pan_server *srv;
    pan_proto_request *req;
    pan_session *session;         /* exclusive (busy), or NULL */
    pan_proto_reply *rep;
} pan_op_ctx;

typedef pan_status (*pan_op_fn)(pan_op_ctx *ctx);

/* The handler of each op; NULL never (every op of docs/protocol.md). */
pan_op_fn pan_server_op(pan_proto_op op);
/* Ops cheap enough for the I/O thread: HELLO, and PING/STATS without a
 * session. */
bool pan_server_op_is_cheap(const pan_proto_request *req);

pan_status pan_op_hello(pan_op_ctx *ctx);
pan_status pan_op_describe(pan_op_ctx *ctx);
pan_status pan_op_make(pan_op_ctx *ctx);
pan_status pan_op_close(pan_op_ctx *ctx);
pan_status pan_op_ping(pan_op_ctx *ctx);
pan_status pan_op_stats(pan_op_ctx *ctx);
pan_status pan_op_reset(pan_op_ctx *ctx);
pan_status pan_op_step(pan_op_ctx *ctx);
pan_status pan_op_sample(pan_op_ctx *ctx);
pan_status pan_op_render(pan_op_ctx *ctx);
pan_status pan_op_fork(pan_op_ctx *ctx);
pan_status pan_op_restore(pan_op_ctx *ctx);
pan_status pan_op_rollout(pan_op_ctx *ctx);
pan_status pan_op_release(pan_op_ctx *ctx);

/* ---- helpers shared by the ops (ops_common.c) ---------------------------- */

/* Bytes of one env's obs (frames if any + latent). */
size_t pan_obs_bytes(const pan_env_spaces *sp);
/* RESOURCE_EXHAUSTED when `bytes` (the reply's blobs plus its header
 * estimate) exceeds max_reply_bytes. */
pan_status pan_reply_check_size(const pan_op_ctx *ctx, uint64_t bytes);
/* Packs the reply field `key` as an obs map of the whole batch and points
 * obs at its blob buffers (frames NULL in latent mode). */
pan_status pan_reply_obs(pan_op_ctx *ctx, const char *key, int n,
                         const pan_env_spaces *sp, pan_obs_batch *obs);
/* Packs an obs map of one env (final_obs) from the batch buffers, env i. */
pan_status pan_reply_obs_one(pan_op_ctx *ctx, msgpack_packer *pk,
                             const pan_env_spaces *sp,
                             const pan_obs_batch *batch, int i);
/* Packs spaces and metadata (DESCRIBE, MAKE) for a config. */
void pan_pack_spaces(msgpack_packer *pk, const pan_env_spaces *sp);
void pan_pack_metadata(msgpack_packer *pk, const pan_env_config *cfg,
                       const pan_env_spaces *sp, bool with_session,
                       const char *model_name);
/* The name the server serves `model` under, NULL for NULL or unknown. */
const char *pan_server_model_name(const pan_server *srv,
                                  const struct pan_model *model);
/* Reads the MAKE/DESCRIBE env fields into cfg (defaults first). */
pan_status pan_read_env_config(pan_op_ctx *ctx, pan_env_config *cfg,
                               char *world, size_t world_size);
/* Env indices field: an array of 1..max_batch ints in [0, N). */
pan_status pan_read_env_indices(pan_op_ctx *ctx, const char *key, int n_envs,
                                bool required, int **out, int *count);
/* State ids field: an array of 1..max_batch uint64 (exactly `n` if n > 0). */
pan_status pan_read_state_ids(pan_op_ctx *ctx, const char *key, int n,
                              uint64_t **out, int *count);

#endif
