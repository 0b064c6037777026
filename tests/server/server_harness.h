/* tests/server/server_harness.h: what the server suites share: starting a
 * real pan-server process and stopping it with a signal, a raw ZeroMQ
 * client (DEALER or REQ) that sends msgpack headers and blob frames and
 * reads multipart replies, and msgpack helpers. No client library: the
 * tests speak docs/protocol.md directly.
 *
 * Contract
 * - test_server_start runs `exe --bind tcp://127.0.0.1:* --ready-file F
 *   --quiet [extra...]` and waits (up to 20 s) for the ready file; the
 *   endpoint is read from it. test_server_stop sends `sig` and waits (up to
 *   20 s) for the exit; it returns the exit status, or -1 when the process
 *   died of a signal or did not exit (then it is SIGKILLed).
 * - test_call sends one request and waits for its reply (5 s by default):
 *   the reply's header is unpacked into r->root, its blobs kept in
 *   r->blobs. Returns 0, or -1 on timeout or a malformed reply (with a
 *   message on stderr).
 * - Everything is single-threaded; each helper reports failures through
 *   return codes, the suites CHECK them.
 */
#ifndef PAN_TESTS_SERVER_HARNESS_H
#define PAN_TESTS_SERVER_HARNESS_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <zmq.h>

typedef struct test_server {
    pid_t pid;
    char dir[64];                 /* scratch directory of the ready file */
    char ready[128];
    char endpoint[256];
} test_server;

/* extra: NULL-terminated extra arguments (may be NULL). */
int test_server_start(test_server *s, const char *exe, const char *const *extra);
int test_server_stop(test_server *s, int sig);
/* True while the process runs (not exited). */
bool test_server_alive(test_server *s);

typedef struct test_client {
    void *ctx, *sock;
    int type;                     /* ZMQ_DEALER or ZMQ_REQ */
    uint64_t next_id;
} test_client;

int test_client_open(test_client *c, const char *endpoint, int type);
void test_client_close(test_client *c);

typedef struct test_blob {
    const void *data;
    size_t size;
} test_blob;

#define TEST_MAX_PARTS 64

typedef struct test_reply {
    zmq_msg_t parts[TEST_MAX_PARTS]; /* header, blobs */
    int n_parts;
    msgpack_unpacked unpacked;
    const msgpack_object *root;   /* the header map */
    const uint8_t *blob[TEST_MAX_PARTS]; /* blob[i] = frame i + 1 */
    size_t blob_size[TEST_MAX_PARTS];
    int n_blobs;
} test_reply;

/* Sends raw header bytes and blobs (no reply read). */
int test_send_raw(test_client *c, const void *header, size_t size,
                  const test_blob *blobs, int n_blobs);
/* Reads one reply; timeout_ms <= 0 means 5000. */
int test_recv(test_client *c, test_reply *r, int timeout_ms);
void test_reply_free(test_reply *r);
/* test_send_raw + test_recv. */
int test_call_raw(test_client *c, const void *header, size_t size,
                  const test_blob *blobs, int n_blobs, test_reply *r);

/* ---- building requests --------------------------------------------------- */

typedef struct test_req {
    msgpack_sbuffer buf;
    msgpack_packer pk;
} test_req;

/* Starts a request map of 3 + (session != 0) + n_fields entries: v, id, op
 * (and session); pack the n_fields key/values next. */
void test_req_begin(test_req *q, const char *op, uint64_t id, uint64_t session,
                    int n_fields);
void test_req_free(test_req *q);
void test_pack_str(msgpack_packer *pk, const char *s);
/* test_req_begin + fields + test_call_raw; id = c->next_id++. */
int test_call(test_client *c, test_req *q, const test_blob *blobs, int n_blobs,
              test_reply *r);

/* ---- reading replies ---------------------------------------------------- */

const msgpack_object *test_get(const msgpack_object *map, const char *key);
bool test_reply_ok(const test_reply *r);
/* The error code ("" for ok replies), copied into a static buffer. */
const char *test_reply_code(const test_reply *r);
const char *test_reply_message(const test_reply *r);
uint64_t test_get_u64(const msgpack_object *map, const char *key);
/* A tensor field: its blob and byte size (NULL when absent or bad). */
const uint8_t *test_tensor(const test_reply *r, const msgpack_object *map,
                           const char *key, size_t *size);

/* Simple ops on one session; return 0 on an ok reply (r filled), -1 else. */
int test_make(test_client *c, const char *world, int num_envs,
              const char *autoreset, uint64_t *session);
int test_op(test_client *c, const char *op, uint64_t session, test_reply *r);

/* FNV-1a 64 of bytes. */
uint64_t test_hash(const void *data, size_t size, uint64_t h);

#endif
