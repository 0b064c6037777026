/* agents/c/pan_client.h: the C client of pan's protocol v1 (ZeroMQ DEALER +
 * msgpack; docs/protocol.md is the contract, docs/agents.md the guide).
 *
 * Contract
 * - A pan_client is one DEALER socket connected to one server endpoint. It
 *   sends one request at a time and waits for its reply (no pipelining):
 *   every call is synchronous and bounded by the client's timeout. While
 *   waiting it busy-polls for up to 200 us (pan_client_set_spin_us),
 *   yielding the core between polls, before blocking: that removes a
 *   thread wake-up from fast round trips.
 * - Typed calls exist for every op (HELLO, DESCRIBE, MAKE, RESET, STEP,
 *   SAMPLE, RENDER, FORK, RESTORE, ROLLOUT, RELEASE, CLOSE, PING, STATS);
 *   a raw request builder (pan_client_request_*) packs any other request
 *   with a msgpack_packer, and pan_client_reply_* read any reply field.
 * - Ownership: everything a call returns (tensor views, info arrays,
 *   strings, id arrays) is owned by the client and valid until the next
 *   call on that client (or pan_client_destroy). Tensor data are views
 *   into the received ZeroMQ frames, not copies; only a frame whose start
 *   is not aligned for its dtype is copied once into an aligned buffer.
 *   Pointers passed in (actions, seeds, masks, blobs) are read during the
 *   call only.
 * - Validation: a reply is checked before anything is returned: size, the
 *   msgpack declared lengths against the bytes present (before msgpack-c
 *   allocates anything), `v` major 1, the request's `id`, `ok`, every
 *   field's type, every tensor's dtype, rank, shape (against the request
 *   and, once MAKE or DESCRIBE told the client a session's spaces, against
 *   those), blob index and byte size, and b1 bytes being 0 or 1. A server
 *   sending junk gives PAN_ERR_DATA_LOSS with code "BAD_REPLY"; never a
 *   crash, never exit/abort.
 * - Errors: every fallible call returns a negative pan_status and records
 *   a message (pan_error_message() and pan_client_error_message()) and a
 *   code string (pan_client_error_code()):
 *     the server's own code ("INVALID_ARGUMENT", "FAILED_PRECONDITION",
 *       "NOT_FOUND", "RESOURCE_EXHAUSTED", "UNIMPLEMENTED",
 *       "VERSION_MISMATCH", "UNAVAILABLE", "INTERNAL" or any other string
 *       it sends) when the server answered ok: false; the status is the
 *       matching pan_status (VERSION_MISMATCH -> UNIMPLEMENTED,
 *       UNAVAILABLE -> IO, an unknown code -> INTERNAL);
 *     "TIMEOUT" (PAN_ERR_IO): no reply within the timeout. The client then
 *       closes its socket and connects a fresh one, so it stays usable and
 *       a late reply can never be taken for the answer to a later request
 *       (replies are also matched by id; stale ones are dropped);
 *     "BAD_REPLY" (PAN_ERR_DATA_LOSS): a reply that breaks the protocol;
 *     "CLIENT_ARGUMENT" (PAN_ERR_INVALID_ARGUMENT): the call's own
 *       arguments were wrong; nothing was sent;
 *     "TRANSPORT" (PAN_ERR_IO or INTERNAL): ZeroMQ failed;
 *     "CLIENT_MEMORY" (PAN_ERR_RESOURCE_EXHAUSTED): out of memory.
 *   NULL client or output pointers give INVALID_ARGUMENT with the message
 *   in pan_error_message() only. On error the call's outputs are
 *   unspecified (views are gone).
 * - Thread safety: a client is used by one thread at a time; separate
 *   clients are independent. Little-endian hosts only (connect refuses
 *   others with UNIMPLEMENTED).
 */
#ifndef PAN_AGENTS_C_PAN_CLIENT_H
#define PAN_AGENTS_C_PAN_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "core/status.h"

#define PAN_CLIENT_MAX_RANK 8
#define PAN_CLIENT_DEFAULT_TIMEOUT_MS 10000
#define PAN_CLIENT_DEFAULT_SPIN_US 200
#define PAN_CLIENT_MAX_NAMES 32        /* worlds, models, ops, stats ops */

typedef struct pan_client pan_client;

/* ---- connection and errors ---------------------------------------------- */

/* Connects a DEALER socket to `endpoint` ("tcp://127.0.0.1:5555").
 * timeout_ms: the longest a call waits for its reply (> 0). ZeroMQ
 * connects lazily, so an absent server shows as a TIMEOUT on the first
 * call, not here. */
pan_status pan_client_connect(const char *endpoint, int timeout_ms,
                              pan_client **out);
void pan_client_destroy(pan_client *c);
const char *pan_client_endpoint(const pan_client *c);
/* timeout_ms > 0; INVALID_ARGUMENT otherwise (unchanged). */
pan_status pan_client_set_timeout(pan_client *c, int timeout_ms);
/* Largest reply frame accepted (ZMQ_MAXMSGSIZE; default 1 GiB); takes
 * effect on the next (re)connect of the socket, i.e. now. */
pan_status pan_client_set_max_frame_bytes(pan_client *c, int64_t bytes);
/* Busy-polls the socket (with sched_yield between polls) for up to spin_us
 * microseconds before blocking for the reply (0..1000000; default
 * PAN_CLIENT_DEFAULT_SPIN_US). Cuts a thread wake-up from each fast round
 * trip at the price of up to that much CPU per request
 * (docs/benchmarks.md, "Server benchmark"). */
pan_status pan_client_set_spin_us(pan_client *c, int spin_us);
/* The protocol version put in requests ([1, 0]); tests set another major
 * to see VERSION_MISMATCH. */
void pan_client_set_version(pan_client *c, uint32_t major, uint32_t minor);

/* The last failed call's code ("" after a success) and message. */
const char *pan_client_error_code(const pan_client *c);
const char *pan_client_error_message(const pan_client *c);
/* True when the last error is the server's answer (ok: false). */
bool pan_client_error_from_server(const pan_client *c);

/* ---- tensors ------------------------------------------------------------- */

typedef enum pan_client_dtype {
    PAN_CLIENT_U1 = 0, /* "u1" uint8 */
    PAN_CLIENT_B1,     /* "b1" bool, bytes 0 or 1 */
    PAN_CLIENT_I4,     /* "i4" int32 */
    PAN_CLIENT_U4,     /* "u4" uint32 */
    PAN_CLIENT_I8,     /* "i8" int64 */
    PAN_CLIENT_U8,     /* "u8" uint64 */
    PAN_CLIENT_F4,     /* "f4" float32 */
    PAN_CLIENT_F8,     /* "f8" float64 */
    PAN_CLIENT_DTYPE_COUNT
} pan_client_dtype;

const char *pan_client_dtype_name(pan_client_dtype dtype);
size_t pan_client_dtype_size(pan_client_dtype dtype);

typedef struct pan_client_tensor {
    pan_client_dtype dtype;
    int rank;                          /* 0..PAN_CLIENT_MAX_RANK */
    int64_t shape[PAN_CLIENT_MAX_RANK];
    const void *data;                  /* prod(shape) * itemsize bytes, C
                                          order, little-endian; a view */
    size_t nbytes;
} pan_client_tensor;

/* ---- raw requests and replies ------------------------------------------- */

/* Starts a request: packs the header map with 3 + n_fields entries and its
 * `v`, `id` and `op`; the caller then packs exactly n_fields key/value
 * pairs with the returned packer, may attach blobs, and sends. NULL (with
 * an error) when op is NULL or empty. */
msgpack_packer *pan_client_request_begin(pan_client *c, const char *op,
                                         uint32_t n_fields);
/* Attaches a blob frame (the bytes are read at send time, so keep them
 * alive until then) and returns its frame number (1 = the first blob) for
 * a tensor's "frame" field; -1 (error set) beyond 64 blobs. */
int pan_client_request_blob(pan_client *c, const void *data, size_t size);
/* Packs a tensor map {"dtype","shape","frame"} with its bytes attached as
 * a blob (the value only: pack the key before). */
pan_status pan_client_request_tensor(pan_client *c, pan_client_dtype dtype,
                                     int rank, const int64_t *shape,
                                     const void *data);
/* Sends the request begun last and waits for its reply; checks `v`, `id`
 * and `ok`. ok: false gives the server's code and message (see Errors). */
pan_status pan_client_request_send(pan_client *c);

/* The last reply's header map, and one of its fields (NULL if absent). */
const msgpack_object *pan_client_reply(const pan_client *c);
const msgpack_object *pan_client_reply_get(const pan_client *c,
                                           const char *key);
/* Number of blob frames after the reply's header. */
int pan_client_reply_blob_count(const pan_client *c);
/* Decodes a tensor map of the last reply (`what` names it in errors):
 * known dtype, rank <= 8, blob index in range or inline "data", byte size
 * = prod(shape) * itemsize, b1 bytes 0/1. BAD_REPLY otherwise. */
pan_status pan_client_reply_tensor(pan_client *c, const msgpack_object *t,
                                   const char *what, pan_client_tensor *out);

/* ---- typed results ------------------------------------------------------- */

typedef struct pan_client_limits {
    int64_t max_message_bytes, max_header_bytes, max_blobs, max_text_bytes;
    int64_t max_sessions, max_envs_per_session, max_batch, max_horizon;
    int64_t max_snapshots, max_reply_bytes, session_ttl_ms;
} pan_client_limits;

typedef struct pan_client_hello_result {
    char server[128];
    uint32_t protocol[2];
    pan_client_limits limits;
    int n_worlds, n_models, n_ops;
    char worlds[PAN_CLIENT_MAX_NAMES][32];
    char models[PAN_CLIENT_MAX_NAMES][128];
    char ops[PAN_CLIENT_MAX_NAMES][16];
} pan_client_hello_result;

/* DESCRIBE / MAKE: the spaces of one env and the metadata. */
typedef struct pan_client_spaces {
    int action_min_length, action_max_length;
    char action_charset[128];
    bool has_frames;                  /* false in latent obs mode */
    int64_t frames_shape[4];          /* (K, H, W, 3) */
    int64_t latent_shape[2];          /* (Q, D) */
    char world[64];
    int width, height, frames_per_step;
    char obs_mode[16];
    char latent[256];                 /* what the latent is */
    char tasks[1024];                 /* accepted task words */
    bool has_session;                 /* the fields below were sent */
    int num_envs;
    char autoreset_mode[16];
    int max_episode_steps;
} pan_client_spaces;

/* An observation batch of N envs; views into the reply. */
typedef struct pan_client_obs {
    int n;                            /* N */
    int k, h, w;                      /* 0 without frames */
    int q, d;
    const uint8_t *frames;            /* (N, K, H, W, 3) or NULL */
    const float *latent;              /* (N, Q, D) */
} pan_client_obs;

/* One env's info (docs/protocol.md "Observations and infos"). */
typedef struct pan_client_info {
    bool present;                     /* false: the reply had nil here */
    bool is_reset, autoreset;
    uint64_t seed;
    int64_t episode_step;
    bool understood;
    char action_kind[16];             /* agent | environment | none */
    char canonical[128];
    char message[256];
    bool heldout;
    char task[256];
    bool success;
    /* same_step mode: the env ended in this step and was reset; these are
     * the ending observation (views) and info. */
    bool has_final;
    const uint8_t *final_frames;      /* (K, H, W, 3) or NULL */
    const float *final_latent;        /* (Q, D) */
    const struct pan_client_info *final_info;
} pan_client_info;

/* RESET and RESTORE replies. */
typedef struct pan_client_obs_result {
    pan_client_obs obs;
    const pan_client_info *infos;     /* (N); present = false for envs that
                                         were not reset / restored */
} pan_client_obs_result;

typedef struct pan_client_step_result {
    pan_client_obs obs;
    const float *reward;              /* (N) */
    const bool *terminated;           /* (N) */
    const bool *truncated;            /* (N) */
    const pan_client_info *infos;     /* (N) */
} pan_client_step_result;

typedef struct pan_client_rollout_result {
    int b, t;                         /* B rows x T steps */
    int q, d, k, h, w;                /* k = h = w = 0 without frames */
    const float *reward;              /* (B, T) */
    const bool *terminated;           /* (B, T) */
    const bool *truncated;            /* (B, T) */
    const float *latent;              /* (B, T, Q, D) */
    const uint8_t *frames;            /* (B, T, K, H, W, 3) or NULL */
} pan_client_rollout_result;

typedef struct pan_client_stats_result {
    double uptime_s;
    int64_t sessions, requests, errors;
    double latency_p50_us, latency_p99_us;
    int n_ops;
    char op_names[PAN_CLIENT_MAX_NAMES][16];
    int64_t op_counts[PAN_CLIENT_MAX_NAMES];
    bool has_session;                 /* the session's own figures follow */
    int64_t num_envs, snapshots, session_requests, idle_ms;
} pan_client_stats_result;

/* ---- typed calls --------------------------------------------------------- */

/* client_name may be NULL. */
pan_status pan_client_hello(pan_client *c, const char *client_name,
                            pan_client_hello_result *out);

/* DESCRIBE a world without a session; width/height/frames_per_step 0 and
 * obs_mode NULL leave them to the server. */
pan_status pan_client_describe_world(pan_client *c, const char *world,
                                     int width, int height,
                                     int frames_per_step, const char *obs_mode,
                                     pan_client_spaces *out);
pan_status pan_client_describe_session(pan_client *c, uint64_t session,
                                       pan_client_spaces *out);

/* MAKE: a field left at its "absent" value is not sent (server default). */
typedef struct pan_client_make_args {
    const char *world;                /* or NULL with model */
    const char *model;                /* NULL: absent */
    int num_envs;                     /* 0: absent (1) */
    const char *obs_mode;             /* NULL: absent ("full") */
    const char *autoreset_mode;       /* NULL: absent ("next_step") */
    int max_episode_steps;            /* -1: absent (50); 0 = never */
    int width, height, frames_per_step; /* 0: absent */
} pan_client_make_args;

pan_client_make_args pan_client_make_args_default(const char *world);
pan_status pan_client_make(pan_client *c, const pan_client_make_args *args,
                           uint64_t *session, pan_client_spaces *spaces);

typedef enum pan_client_seed_kind {
    PAN_CLIENT_SEED_NONE = 0,         /* no seed field: each env's stream */
    PAN_CLIENT_SEED_NIL,              /* seed: nil (same meaning) */
    PAN_CLIENT_SEED_ONE,              /* seed: s, env i gets s + i */
    PAN_CLIENT_SEED_EACH              /* seed: [s_0 .. s_N-1] */
} pan_client_seed_kind;

typedef struct pan_client_reset_args {
    pan_client_seed_kind seed_kind;
    uint64_t seed;                    /* SEED_ONE */
    const uint64_t *seeds;            /* SEED_EACH: (n_seeds) */
    int n_seeds;
    const char *task;                 /* NULL: absent (keep each env's) */
    const bool *mask;                 /* NULL: absent (reset all); (n_mask) */
    int n_mask;
    bool mask_as_tensor;              /* send reset_mask as a b1 tensor */
    /* NULL: absent. Else options.initial_frames, a u1 tensor (n_initial,
     * initial_height, initial_width, 3): world-model sessions start env i
     * from frame i instead of the world's first frame for its seed (the
     * server refuses it for worlds: INVALID_ARGUMENT; docs/protocol.md
     * RESET). n_initial is the session's N; read during the call only. */
    const uint8_t *initial_frames;
    int n_initial, initial_height, initial_width;
} pan_client_reset_args;

/* args may be NULL (reset all from their streams, keep tasks). */
pan_status pan_client_reset(pan_client *c, uint64_t session,
                            const pan_client_reset_args *args,
                            pan_client_obs_result *out);
/* n actions, n = the session's num_envs. */
pan_status pan_client_step(pan_client *c, uint64_t session, int n,
                           const char *const *actions,
                           pan_client_step_result *out);
/* split: NULL (absent: train), "train", "heldout" or "any". *actions: (N)
 * strings owned by the client. */
pan_status pan_client_sample(pan_client *c, uint64_t session,
                             const char *split, int *n,
                             const char *const **actions);
/* env < 0: all envs, frames (N, H, W, 3); else env `env`, (H, W, 3). */
pan_status pan_client_render(pan_client *c, uint64_t session, int env,
                             pan_client_tensor *frames);
/* envs NULL: every env (n_envs ignored). *ids: (*n_ids), client-owned. */
pan_status pan_client_fork(pan_client *c, uint64_t session, int n_envs,
                           const int *envs, int *n_ids, const uint64_t **ids);
pan_status pan_client_restore(pan_client *c, uint64_t session, int n,
                              const int *envs, const uint64_t *ids,
                              pan_client_obs_result *out);
/* actions[r * t + s]: row r, step s. */
pan_status pan_client_rollout(pan_client *c, uint64_t session, int b,
                              const uint64_t *ids, int t,
                              const char *const *actions, bool frames,
                              pan_client_rollout_result *out);
pan_status pan_client_release(pan_client *c, uint64_t session, int n,
                              const uint64_t *ids, int64_t *released);
pan_status pan_client_close(pan_client *c, uint64_t session);
/* session NULL: a plain ping; else refreshes that session's TTL. */
pan_status pan_client_ping(pan_client *c, const uint64_t *session);
pan_status pan_client_stats(pan_client *c, const uint64_t *session,
                            pan_client_stats_result *out);

#endif
