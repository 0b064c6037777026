/* env/protocol.h: the protocol v1 codec (docs/protocol.md): limits, op
 * names, the protocol's own error codes, request decoding with typed field
 * getters and tensor decoding, and reply encoding.
 *
 * Contract
 * - Decoding trusts nothing. pan_proto_request_decode checks, in this
 *   order and before msgpack-c sees a byte: the blob count (max_blobs),
 *   the header size (max_header_bytes), then every declared msgpack length
 *   against the bytes present and the nesting depth (PAN_PROTO_MAX_DEPTH,
 *   env/msgpack_bounds.h); only then it unpacks, and reads `id`, `v`, `op`
 *   and `session`. The decoded header points into the caller's header
 *   bytes, which must outlive the request.
 * - Field getters (pan_proto_get_* for top-level keys, pan_proto_obj_* for
 *   any value) check type and range and fail with INVALID_ARGUMENT and a
 *   message that names the op and the field ("STEP: field 'actions' must
 *   be an array of 4 strings, found an array of 3"). A missing optional
 *   field (absent or nil) leaves *out untouched and returns PAN_OK. Strings
 *   must be UTF-8 without NUL bytes. Unknown keys are ignored; a known key
 *   given twice is INVALID_ARGUMENT.
 * - Tensors: {"dtype", "shape", "frame"} (bytes in blob `frame`, 1-based)
 *   or {"dtype", "shape", "data": bin}; rank <= PAN_PROTO_MAX_RANK, byte
 *   size exactly prod(shape) * itemsize. Decoding a tensor marks its blob
 *   as referenced; pan_proto_request_check_blobs then refuses a request
 *   with a blob no tensor referenced.
 * - Error codes: pan_proto_code is the protocol's list (VERSION_MISMATCH
 *   and UNAVAILABLE are not pan_status values). pan_proto_code_from_status
 *   maps IO and DATA_LOSS to INTERNAL.
 * - Replies: a pan_proto_reply collects the op's fields (msgpack) and blob
 *   frames (malloc'd, handed to the transport by the server); the header
 *   map {v, id, ok, ...fields} is assembled by pan_proto_reply_finish.
 *   Out-of-memory while packing is reported by finish (RESOURCE_EXHAUSTED).
 * - Ownership: a request borrows its header and blob bytes and owns its
 *   unpacked objects (pan_proto_request_free). A reply owns its buffers
 *   until pan_proto_reply_take_blob moves a blob out.
 * - Thread safety: no global state; separate requests and replies may be
 *   used from separate threads. Error messages go to the calling thread's
 *   pan_error_message().
 */
#ifndef PAN_ENV_PROTOCOL_H
#define PAN_ENV_PROTOCOL_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "env/env.h"

#define PAN_PROTO_MAJOR 1
#define PAN_PROTO_MINOR 0
#define PAN_PROTO_MAX_DEPTH 32   /* header container nesting */
#define PAN_PROTO_MAX_RANK 8     /* tensor rank */
#define PAN_PROTO_BLOBS_LIMIT 64 /* highest max_blobs a server accepts */

/* ---- error codes ------------------------------------------------------- */

typedef enum pan_proto_code {
    PAN_PROTO_OK = 0,
    PAN_PROTO_INVALID_ARGUMENT,
    PAN_PROTO_FAILED_PRECONDITION,
    PAN_PROTO_NOT_FOUND,
    PAN_PROTO_RESOURCE_EXHAUSTED,
    PAN_PROTO_UNIMPLEMENTED,
    PAN_PROTO_VERSION_MISMATCH,
    PAN_PROTO_UNAVAILABLE,
    PAN_PROTO_INTERNAL,
    PAN_PROTO_CODE_COUNT
} pan_proto_code;

/* "INVALID_ARGUMENT", ...; "OK" for PAN_PROTO_OK, "INTERNAL" out of range. */
const char *pan_proto_code_name(pan_proto_code code);
/* PAN_PROTO_CODE_COUNT when the name is not a code. */
pan_proto_code pan_proto_code_parse(const char *name, size_t len);
/* OK -> OK; IO, DATA_LOSS, INTERNAL and unknown values -> INTERNAL. */
pan_proto_code pan_proto_code_from_status(pan_status status);

/* ---- ops ---------------------------------------------------------------- */

typedef enum pan_proto_op {
    PAN_PROTO_OP_HELLO = 0,
    PAN_PROTO_OP_DESCRIBE,
    PAN_PROTO_OP_MAKE,
    PAN_PROTO_OP_RESET,
    PAN_PROTO_OP_STEP,
    PAN_PROTO_OP_SAMPLE,
    PAN_PROTO_OP_RENDER,
    PAN_PROTO_OP_FORK,
    PAN_PROTO_OP_RESTORE,
    PAN_PROTO_OP_ROLLOUT,
    PAN_PROTO_OP_RELEASE,
    PAN_PROTO_OP_CLOSE,
    PAN_PROTO_OP_PING,
    PAN_PROTO_OP_STATS,
    PAN_PROTO_OP_COUNT
} pan_proto_op;

const char *pan_proto_op_name(pan_proto_op op); /* "HELLO"...; "?" otherwise */
/* PAN_PROTO_OP_COUNT for an unknown name (exact, upper case). */
pan_proto_op pan_proto_op_parse(const char *name, size_t len);
/* Whether the op needs `session` (STEP...), may take one (DESCRIBE, PING,
 * STATS) or ignores it (HELLO, MAKE). */
typedef enum pan_proto_session_use {
    PAN_SESSION_NONE = 0, PAN_SESSION_OPTIONAL, PAN_SESSION_REQUIRED
} pan_proto_session_use;
pan_proto_session_use pan_proto_op_session(pan_proto_op op);

/* ---- limits (docs/protocol.md "Limits") --------------------------------- */

typedef struct pan_server_limits {
    uint64_t max_message_bytes;   /* per frame, ZMQ_MAXMSGSIZE (64 MiB) */
    uint64_t max_header_bytes;    /* 1 MiB */
    int max_blobs;                /* 16, at most PAN_PROTO_BLOBS_LIMIT */
    int max_text_bytes;           /* 256, at most PAN_ENV_ACTION_MAX */
    int max_sessions;             /* 64 */
    int max_envs_per_session;     /* 256, at most PAN_ENV_MAX_ENVS */
    int max_batch;                /* 256 */
    int max_horizon;              /* 64 */
    int max_snapshots;            /* 4096 per session */
    uint64_t max_reply_bytes;     /* 256 MiB */
} pan_server_limits;

pan_server_limits pan_server_limits_default(void);
/* INVALID_ARGUMENT naming the first limit out of its range. */
pan_status pan_server_limits_check(const pan_server_limits *limits);

/* ---- requests ----------------------------------------------------------- */

typedef struct pan_proto_blob {
    const uint8_t *data;          /* (size) bytes, borrowed */
    size_t size;
} pan_proto_blob;

typedef struct pan_proto_request {
    msgpack_unpacked unpacked;    /* owns the decoded header's objects */
    const msgpack_object *header; /* the root map, NULL until decoded */
    bool has_id;                  /* id read (else the reply's id is nil) */
    uint64_t id;
    pan_proto_op op;              /* PAN_PROTO_OP_COUNT until read */
    const char *op_name;          /* for messages: the op, or "request" */
    bool has_session;
    uint64_t session;
    const pan_proto_blob *blobs;  /* (n_blobs), blob i is frame i + 1 */
    int n_blobs;
    uint64_t blobs_used;          /* bit i: blob i referenced by a tensor */
    const pan_server_limits *limits; /* borrowed */
} pan_proto_request;

/* Decodes a request (order in the contract above). Always initialises
 * *req (so pan_proto_request_free is safe) and fills has_id/id as far as
 * the header allows, for the error reply. Returns PAN_PROTO_OK, or the code
 * to reply with, the message in pan_error_message(): INVALID_ARGUMENT
 * (malformed msgpack, not a map, bad id/op/session types, session missing
 * for an op that needs one), RESOURCE_EXHAUSTED (too many blobs, header too
 * large), VERSION_MISMATCH (`v` missing or another major), UNIMPLEMENTED
 * (unknown op). The header and blob bytes must outlive *req. */
pan_proto_code pan_proto_request_decode(const pan_server_limits *limits,
                                        const uint8_t *header,
                                        size_t header_size,
                                        const pan_proto_blob *blobs,
                                        int n_blobs, pan_proto_request *req);
void pan_proto_request_free(pan_proto_request *req);

/* INVALID_ARGUMENT if a blob was sent that no decoded tensor referenced. */
pan_status pan_proto_request_check_blobs(const pan_proto_request *req);

/* A string value: UTF-8, no NUL, `len` bytes (not NUL-terminated). */
typedef struct pan_proto_str {
    const char *ptr;
    size_t len;
} pan_proto_str;

/* The value of `key` in a map object, NULL when absent; a key given twice
 * sets *duplicate (may be NULL). Non-string keys are skipped. */
const msgpack_object *pan_proto_map_find(const msgpack_object *map,
                                         const char *key, bool *duplicate);

/* Top-level field of the request. Absent or nil: NULL and PAN_OK, or
 * INVALID_ARGUMENT "OP: field 'key' is missing" when required. */
pan_status pan_proto_field(const pan_proto_request *req, const char *key,
                           bool required, const msgpack_object **out);

/* Value checks; `field` names the value in messages ("options.task",
 * "actions[2]"). Integers must lie in [lo, hi]. */
pan_status pan_proto_obj_int(const pan_proto_request *req, const char *field,
                             const msgpack_object *o, int64_t lo, int64_t hi,
                             int64_t *out);
pan_status pan_proto_obj_u64(const pan_proto_request *req, const char *field,
                             const msgpack_object *o, uint64_t *out);
pan_status pan_proto_obj_bool(const pan_proto_request *req, const char *field,
                              const msgpack_object *o, bool *out);
/* At most max_bytes bytes, UTF-8, no NUL byte. */
pan_status pan_proto_obj_str(const pan_proto_request *req, const char *field,
                             const msgpack_object *o, size_t max_bytes,
                             pan_proto_str *out);
/* An array of exactly `n` elements (n >= 0), or of 1..max_n elements when
 * n < 0 (the count goes to *count). Returns the array's elements. */
pan_status pan_proto_obj_array(const pan_proto_request *req, const char *field,
                               const msgpack_object *o, int64_t n,
                               int64_t max_n, const msgpack_object **items,
                               int64_t *count);
/* An array of exactly n strings (each at most max_bytes), into out (n). */
pan_status pan_proto_obj_str_array(const pan_proto_request *req,
                                   const char *field, const msgpack_object *o,
                                   int64_t n, size_t max_bytes,
                                   pan_proto_str *out);

/* Shorthands on top-level fields: absent/nil and !required -> *out
 * untouched, PAN_OK. */
pan_status pan_proto_get_int(const pan_proto_request *req, const char *key,
                             bool required, int64_t lo, int64_t hi,
                             int64_t *out);
pan_status pan_proto_get_u64(const pan_proto_request *req, const char *key,
                             bool required, uint64_t *out);
pan_status pan_proto_get_bool(const pan_proto_request *req, const char *key,
                              bool required, bool *out);
/* *present says whether the field was given (may be NULL). */
pan_status pan_proto_get_str(const pan_proto_request *req, const char *key,
                             bool required, size_t max_bytes,
                             pan_proto_str *out, bool *present);

/* "a string of 3 bytes", "the integer -1", "an array of 2", ... */
void pan_proto_describe(const msgpack_object *o, char *buf, size_t size);

/* Copies a string into a NUL-terminated buffer of `size` bytes (the
 * getters already bounded its length; truncates defensively). */
void pan_proto_str_copy(pan_proto_str s, char *buf, size_t size);
/* True if the string equals the NUL-terminated `text`. */
bool pan_proto_str_eq(pan_proto_str s, const char *text);

/* ---- tensors ----------------------------------------------------------- */

typedef enum pan_proto_dtype {
    PAN_PROTO_U1 = 0, PAN_PROTO_B1, PAN_PROTO_I4, PAN_PROTO_U4,
    PAN_PROTO_I8, PAN_PROTO_U8, PAN_PROTO_F4, PAN_PROTO_F8,
    PAN_PROTO_DTYPE_COUNT
} pan_proto_dtype;

const char *pan_proto_dtype_name(pan_proto_dtype dtype);  /* "u1", ... */
size_t pan_proto_dtype_size(pan_proto_dtype dtype);       /* itemsize */
pan_proto_dtype pan_proto_dtype_parse(const char *name, size_t len);

typedef struct pan_proto_tensor {
    pan_proto_dtype dtype;
    int rank;
    uint64_t shape[PAN_PROTO_MAX_RANK];
    int frame;                    /* blob frame (1-based), 0 when inline */
    const uint8_t *data;          /* (prod(shape) * itemsize) bytes, C order,
                                     little-endian; may be unaligned */
    size_t bytes;
} pan_proto_tensor;

/* Decodes a tensor map and marks its blob referenced. INVALID_ARGUMENT for
 * a non-map, an unknown dtype, a bad shape (not an array of uints, rank >
 * 8), a frame outside 1..n_blobs, both or neither of frame/data, or bytes
 * that are not exactly prod(shape) * itemsize. */
pan_status pan_proto_obj_tensor(pan_proto_request *req, const char *field,
                                const msgpack_object *o, pan_proto_tensor *t);
/* INVALID_ARGUMENT unless t has this dtype and shape (rank entries). For
 * b1, also every byte must be 0 or 1. */
pan_status pan_proto_tensor_expect(const pan_proto_request *req,
                                   const char *field,
                                   const pan_proto_tensor *t,
                                   pan_proto_dtype dtype, int rank,
                                   const uint64_t *shape);

/* ---- replies ------------------------------------------------------------ */

typedef struct pan_proto_reply {
    msgpack_sbuffer body;         /* the op's fields, packed */
    msgpack_packer pk;            /* writes into body */
    uint32_t n_fields;
    bool oom;                     /* a write failed */
    int n_blobs, cap_blobs;
    void **blob_data;             /* (n_blobs) malloc'd, owned */
    size_t *blob_size;            /* (n_blobs) */
    msgpack_sbuffer header;       /* the whole header, after finish */
} pan_proto_reply;

void pan_proto_reply_init(pan_proto_reply *rep);
void pan_proto_reply_free(pan_proto_reply *rep);
/* Packs `key` and counts a field; pack its value next with rep->pk. */
msgpack_packer *pan_proto_reply_field(pan_proto_reply *rep, const char *key);
/* Allocates a blob frame of `bytes` bytes (uninitialised; at least 1 byte
 * is allocated); *frame is its 1-based frame number. NULL on OOM. */
void *pan_proto_reply_blob(pan_proto_reply *rep, size_t bytes, int *frame);
/* Allocates a blob and packs the tensor map referencing it. NULL on OOM
 * (and rep->oom set). */
void *pan_proto_reply_tensor(pan_proto_reply *rep, pan_proto_dtype dtype,
                             int rank, const uint64_t *shape);
/* Moves blob i (0-based) out: the caller frees it with free(). */
void *pan_proto_reply_take_blob(pan_proto_reply *rep, int i);
/* Builds the header {v, id, ok: true, fields...}. RESOURCE_EXHAUSTED when
 * a buffer could not grow. */
pan_status pan_proto_reply_finish(pan_proto_reply *rep, bool has_id,
                                  uint64_t id);
/* Builds the header of an error reply {v, id, ok: false, error: {code,
 * message}} into rep->header (fields and blobs are dropped). */
pan_status pan_proto_reply_error(pan_proto_reply *rep, bool has_id,
                                 uint64_t id, pan_proto_code code,
                                 const char *message);

/* Packing helpers. */
void pan_proto_pack_cstr(msgpack_packer *pk, const char *s);
void pan_proto_pack_tensor_map(msgpack_packer *pk, pan_proto_dtype dtype,
                               int rank, const uint64_t *shape, int frame);
/* An info map (docs/protocol.md "Observations and infos"): its 11 keys in
 * order, in a map header of 11 + extra entries; the caller packs the
 * `extra` key/value pairs next (final_obs, final_info). */
void pan_proto_pack_info(msgpack_packer *pk, const pan_env_info *info,
                         int extra);
/* The limits map of HELLO (docs/protocol.md "Limits"). */
void pan_proto_pack_limits(msgpack_packer *pk, const pan_server_limits *limits,
                           uint64_t session_ttl_ms);
/* Upper bound of the packed size of one info (without final_*). */
size_t pan_proto_info_bound(void);

#endif
