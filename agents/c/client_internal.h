/* agents/c/client_internal.h: what the pan_client source files share
 * (internal): the client struct, the error helper, the reply field readers
 * and the typed-result decoders.
 *
 * Contract
 * - client_fail records the code and message in the client and in pan's
 *   thread-local error (pan_error_set) and returns the status.
 * - Readers (rd_*) never trust the reply: a missing field or a wrong type
 *   is BAD_REPLY naming the op, the field and what was found. `what`
 *   strings are "STEP reply: field 'reward'"-like prefixes.
 * - Scratch buffers (infos, flags, ids, strings) grow with the largest
 *   reply seen and are reused; they back the views a typed call returns.
 */
#ifndef PAN_AGENTS_C_CLIENT_INTERNAL_H
#define PAN_AGENTS_C_CLIENT_INTERNAL_H

#include <zmq.h>

#include "agents/c/pan_client.h"

#define CLIENT_MAX_REQUEST_BLOBS 64
#define CLIENT_MAX_REPLY_FRAMES 8192
#define CLIENT_CODE_MAX 48
#define CLIENT_DEFAULT_MAX_FRAME (1ll << 30)
#define CLIENT_ACTION_MAX 1024 /* bytes of one sampled action, with NUL */

/* What MAKE or DESCRIBE told the client about one session. */
typedef struct client_known {
    bool valid;
    uint64_t session;
    int n;                 /* num_envs */
    bool has_frames;
    int k, h, w, q, d;
} client_known;

struct pan_client {
    void *ctx, *sock;
    char endpoint[256];
    int timeout_ms;
    int spin_us;              /* busy-poll before blocking, microseconds */
    int64_t max_frame_bytes;
    uint32_t v_major, v_minor;
    uint64_t next_id;

    /* the request being built */
    msgpack_sbuffer req;
    msgpack_packer pk;
    bool req_open;
    uint64_t req_id;
    const char *req_op;       /* static op name, for messages */
    int n_req_blobs;
    const void *req_blob[CLIENT_MAX_REQUEST_BLOBS];
    size_t req_blob_size[CLIENT_MAX_REQUEST_BLOBS];

    /* the last reply: frames[0] the header, frames[1..] the blobs */
    zmq_msg_t *frames;
    int n_frames, cap_frames;
    msgpack_unpacked unpacked;
    bool have_unpacked;
    const msgpack_object *reply;  /* the header map */
    void **copies;            /* aligned copies of misaligned blobs */
    int n_copies, cap_copies;

    /* the last error */
    char code[CLIENT_CODE_MAX];
    char message[PAN_ERROR_MESSAGE_MAX];
    bool from_server;

    client_known known;
    uint64_t cur_session;     /* the session of the call being decoded */
    bool cur_has_session;

    /* scratch for typed results */
    int cap_n;
    pan_client_info *infos, *final_infos;   /* (cap_n) each */
    float *reward;                          /* (cap_n) */
    bool *terminated, *truncated;           /* (cap_n) */
    char *action_text;                      /* (cap_n, CLIENT_ACTION_MAX) */
    const char **action_ptrs;               /* (cap_n) */
    int cap_ids;
    uint64_t *ids;                          /* (cap_ids) */
};

pan_status client_fail(pan_client *c, pan_status status, const char *code,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* BAD_REPLY with "<OP> reply: " before the message. */
pan_status client_bad(pan_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* CLIENT_ARGUMENT (INVALID_ARGUMENT), nothing sent. */
pan_status client_arg(pan_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void client_clear_error(pan_client *c);
/* Grows the per-env scratch to n entries (n <= PAN_CLIENT max by caller). */
pan_status client_reserve(pan_client *c, int n);
pan_status client_reserve_ids(pan_client *c, int n);
/* The socket (client_core.c): open a DEALER connected to the endpoint;
 * replace it with a fresh one keeping the current error (after a timeout
 * or a transport failure); drop the last reply's frames and copies. */
pan_status client_open_socket(pan_client *c);
void client_reconnect(pan_client *c);
void client_drop_reply(pan_client *c);
/* Blob `frame` (1-based) of the reply, aligned for itemsize (copied once
 * when the frame is not); NOT_FOUND out of range. */
pan_status client_blob(pan_client *c, int frame, size_t itemsize,
                       const void **data, size_t *size);
/* Packs a str (NUL-terminated). */
void client_pack_str(msgpack_packer *pk, const char *s);

/* ---- reply readers (client_reply.c) ---- */

const msgpack_object *client_map_get(const msgpack_object *map, const char *key);
/* A required field of the reply header; BAD_REPLY when absent. */
pan_status rd_field(pan_client *c, const msgpack_object *map, const char *key,
                    const msgpack_object **out);
const char *client_type_name(const msgpack_object *o);
pan_status rd_u64(pan_client *c, const msgpack_object *o, const char *what,
                  uint64_t *out);
pan_status rd_i64(pan_client *c, const msgpack_object *o, const char *what,
                  int64_t *out);
/* An int in [lo, hi]. */
pan_status rd_int(pan_client *c, const msgpack_object *o, const char *what,
                  int64_t lo, int64_t hi, int *out);
pan_status rd_bool(pan_client *c, const msgpack_object *o, const char *what,
                   bool *out);
pan_status rd_double(pan_client *c, const msgpack_object *o, const char *what,
                     double *out);
/* Copies a str into buf (truncated to size - 1 bytes, NUL-terminated). */
pan_status rd_str(pan_client *c, const msgpack_object *o, const char *what,
                  char *buf, size_t size);
/* An array; len >= 0 requires that length. */
pan_status rd_array(pan_client *c, const msgpack_object *o, const char *what,
                    int64_t len, const msgpack_object_array **out);
/* A tensor with an expected dtype and rank; shape entries >= 0 in `want`
 * must match (want may be NULL). */
pan_status rd_tensor(pan_client *c, const msgpack_object *o, const char *what,
                     pan_client_dtype dtype, int rank, const int64_t *want,
                     pan_client_tensor *out);

/* ---- typed decoders (client_decode.c) ---- */

/* An obs map of n envs (n >= 0 required, -1 learnt from the latent). */
pan_status client_read_obs(pan_client *c, const msgpack_object *o,
                           const char *what, int n, pan_client_obs *out);
/* infos: an array of n info maps (nil entries allowed when allow_nil);
 * same_step extras (final_obs/final_info) checked against obs. */
pan_status client_read_infos(pan_client *c, const msgpack_object *o,
                             const char *what, int n, bool allow_nil,
                             const pan_client_obs *obs);
/* spaces + metadata of DESCRIBE / MAKE. */
pan_status client_read_spaces(pan_client *c, pan_client_spaces *out);
/* An array of n bools/floats into the scratch arrays. */
pan_status client_read_bools(pan_client *c, const msgpack_object *o,
                             const char *what, int n, bool *out);
pan_status client_read_floats(pan_client *c, const msgpack_object *o,
                              const char *what, int n, float *out);
/* Remembers a session's spaces for later shape checks. */
void client_remember(pan_client *c, uint64_t session,
                     const pan_client_spaces *s);

#endif
