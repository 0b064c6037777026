/* agents/c/client_core.c: the pan_client object: connect and destroy, the
 * socket (re)connection, settings, the error record and the scratch
 * buffers. Sending and receiving are in client_transport.c. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/c/client_internal.h"

/* ---- errors ---------------------------------------------------------------- */

static pan_status client_failv(pan_client *c, pan_status status,
                               const char *code, const char *prefix,
                               const char *fmt, va_list ap) {
    char msg[PAN_ERROR_MESSAGE_MAX];
    int n = snprintf(msg, sizeof msg, "%s", prefix ? prefix : "");
    if (n < 0) n = 0;
    if ((size_t)n < sizeof msg) vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    snprintf(c->code, sizeof c->code, "%s", code);
    snprintf(c->message, sizeof c->message, "%s", msg);
    c->from_server = false;
    return pan_error_set(status, "%s", msg);
}

pan_status client_fail(pan_client *c, pan_status status, const char *code,
                       const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    pan_status s = client_failv(c, status, code, NULL, fmt, ap);
    va_end(ap);
    return s;
}

pan_status client_bad(pan_client *c, const char *fmt, ...) {
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s reply: ", c->req_op ? c->req_op : "?");
    va_list ap;
    va_start(ap, fmt);
    pan_status s = client_failv(c, PAN_ERR_DATA_LOSS, "BAD_REPLY", prefix, fmt, ap);
    va_end(ap);
    return s;
}

pan_status client_arg(pan_client *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    pan_status s = client_failv(c, PAN_ERR_INVALID_ARGUMENT, "CLIENT_ARGUMENT",
                                NULL, fmt, ap);
    va_end(ap);
    return s;
}

void client_clear_error(pan_client *c) {
    c->code[0] = '\0';
    c->message[0] = '\0';
    c->from_server = false;
}

const char *pan_client_error_code(const pan_client *c) { return c ? c->code : ""; }
const char *pan_client_error_message(const pan_client *c) {
    return c ? c->message : "";
}
bool pan_client_error_from_server(const pan_client *c) {
    return c && c->from_server;
}

/* ---- scratch ----------------------------------------------------------------- */

pan_status client_reserve(pan_client *c, int n) {
    if (n <= c->cap_n) return PAN_OK;
    int cap = c->cap_n ? c->cap_n : 16;
    while (cap < n) cap *= 2;
    pan_client_info *infos = realloc(c->infos, (size_t)cap * sizeof *infos);
    if (infos) c->infos = infos;
    pan_client_info *finals = realloc(c->final_infos, (size_t)cap * sizeof *finals);
    if (finals) c->final_infos = finals;
    float *reward = realloc(c->reward, (size_t)cap * sizeof *reward);
    if (reward) c->reward = reward;
    bool *term = realloc(c->terminated, (size_t)cap * sizeof *term);
    if (term) c->terminated = term;
    bool *trunc = realloc(c->truncated, (size_t)cap * sizeof *trunc);
    if (trunc) c->truncated = trunc;
    char *text = realloc(c->action_text, (size_t)cap * CLIENT_ACTION_MAX);
    if (text) c->action_text = text;
    const char **ptrs = realloc(c->action_ptrs, (size_t)cap * sizeof *ptrs);
    if (ptrs) c->action_ptrs = ptrs;
    if (!infos || !finals || !reward || !term || !trunc || !text || !ptrs)
        return client_fail(c, PAN_ERR_RESOURCE_EXHAUSTED, "CLIENT_MEMORY",
                           "out of memory for the results of %d envs", n);
    c->cap_n = cap;
    return PAN_OK;
}

pan_status client_reserve_ids(pan_client *c, int n) {
    if (n <= c->cap_ids) return PAN_OK;
    int cap = c->cap_ids ? c->cap_ids : 16;
    while (cap < n) cap *= 2;
    uint64_t *ids = realloc(c->ids, (size_t)cap * sizeof *ids);
    if (!ids)
        return client_fail(c, PAN_ERR_RESOURCE_EXHAUSTED, "CLIENT_MEMORY",
                           "out of memory for %d ids", n);
    c->ids = ids;
    c->cap_ids = cap;
    return PAN_OK;
}

/* ---- socket -------------------------------------------------------------------- */

pan_status client_open_socket(pan_client *c) {
    c->sock = zmq_socket(c->ctx, ZMQ_DEALER);
    if (!c->sock)
        return client_fail(c, PAN_ERR_INTERNAL, "TRANSPORT",
                           "zmq_socket(DEALER) failed: %s", zmq_strerror(errno));
    int linger = 0;
    int64_t maxmsg = c->max_frame_bytes;
    int sndtimeo = c->timeout_ms;
    if (zmq_setsockopt(c->sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(c->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) != 0 ||
        zmq_setsockopt(c->sock, ZMQ_SNDTIMEO, &sndtimeo, sizeof sndtimeo) != 0) {
        pan_status s = client_fail(c, PAN_ERR_INTERNAL, "TRANSPORT",
                                   "zmq_setsockopt failed: %s", zmq_strerror(errno));
        zmq_close(c->sock);
        c->sock = NULL;
        return s;
    }
    if (zmq_connect(c->sock, c->endpoint) != 0) {
        pan_status s = client_fail(c, PAN_ERR_INVALID_ARGUMENT, "TRANSPORT",
                                   "cannot connect to '%s': %s", c->endpoint,
                                   zmq_strerror(errno));
        zmq_close(c->sock);
        c->sock = NULL;
        return s;
    }
    return PAN_OK;
}

/* A fresh socket: whatever the old one still had queued (a late reply, a
 * half-sent request) goes with it. Keeps the current error. */
void client_reconnect(pan_client *c) {
    if (c->sock) zmq_close(c->sock);
    c->sock = NULL;
    char code[CLIENT_CODE_MAX], msg[PAN_ERROR_MESSAGE_MAX];
    memcpy(code, c->code, sizeof code);
    memcpy(msg, c->message, sizeof msg);
    bool from = c->from_server;
    (void)client_open_socket(c); /* a failure shows on the next call */
    memcpy(c->code, code, sizeof code);
    memcpy(c->message, msg, sizeof msg);
    c->from_server = from;
    pan_error_set(PAN_ERR_IO, "%s", msg);
}

static bool host_is_little_endian(void) {
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

pan_status pan_client_connect(const char *endpoint, int timeout_ms,
                              pan_client **out) {
    if (!out) return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "pan_client_connect: out is NULL");
    *out = NULL;
    if (!endpoint || !*endpoint || strlen(endpoint) >= 256)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "pan_client_connect: "
                             "expected an endpoint like tcp://127.0.0.1:5555 "
                             "(under 256 bytes), found %s", endpoint ? "a bad one" : "NULL");
    if (timeout_ms <= 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "pan_client_connect: "
                             "timeout_ms must be > 0, found %d", timeout_ms);
    if (!host_is_little_endian())
        return pan_error_set(PAN_ERR_UNIMPLEMENTED, "pan_client_connect: the "
                             "protocol's tensors are little-endian and this host is not");
    pan_client *c = calloc(1, sizeof *c);
    if (!c) return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "pan_client_connect: out of memory");
    snprintf(c->endpoint, sizeof c->endpoint, "%s", endpoint);
    c->timeout_ms = timeout_ms;
    c->spin_us = PAN_CLIENT_DEFAULT_SPIN_US;
    c->max_frame_bytes = CLIENT_DEFAULT_MAX_FRAME;
    c->v_major = 1;
    c->v_minor = 0;
    c->next_id = 1;
    msgpack_sbuffer_init(&c->req);
    msgpack_packer_init(&c->pk, &c->req, msgpack_sbuffer_write);
    c->ctx = zmq_ctx_new();
    if (!c->ctx) {
        pan_status s = pan_error_set(PAN_ERR_INTERNAL, "zmq_ctx_new failed: %s",
                                     zmq_strerror(errno));
        pan_client_destroy(c);
        return s;
    }
    pan_status s = client_open_socket(c);
    if (s != PAN_OK) {
        pan_client_destroy(c);
        return s;
    }
    *out = c;
    return PAN_OK;
}

void client_drop_reply(pan_client *c) {
    for (int i = 0; i < c->n_frames; i++) zmq_msg_close(&c->frames[i]);
    c->n_frames = 0;
    if (c->have_unpacked) msgpack_unpacked_destroy(&c->unpacked);
    c->have_unpacked = false;
    c->reply = NULL;
    for (int i = 0; i < c->n_copies; i++) free(c->copies[i]);
    c->n_copies = 0;
}

void pan_client_destroy(pan_client *c) {
    if (!c) return;
    client_drop_reply(c);
    free(c->frames);
    free(c->copies);
    if (c->sock) zmq_close(c->sock);
    if (c->ctx) zmq_ctx_term(c->ctx);
    msgpack_sbuffer_destroy(&c->req);
    free(c->infos);
    free(c->final_infos);
    free(c->reward);
    free(c->terminated);
    free(c->truncated);
    free(c->action_text);
    free(c->action_ptrs);
    free(c->ids);
    free(c);
}

const char *pan_client_endpoint(const pan_client *c) { return c ? c->endpoint : ""; }

pan_status pan_client_set_timeout(pan_client *c, int timeout_ms) {
    if (!c || timeout_ms <= 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "pan_client_set_timeout: "
                             "timeout_ms must be > 0, found %d", timeout_ms);
    c->timeout_ms = timeout_ms;
    if (c->sock) zmq_setsockopt(c->sock, ZMQ_SNDTIMEO, &timeout_ms, sizeof timeout_ms);
    return PAN_OK;
}

pan_status pan_client_set_max_frame_bytes(pan_client *c, int64_t bytes) {
    if (!c || bytes < 1024)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "pan_client_set_max_frame_bytes: "
                             "expected >= 1024 bytes, found %" PRId64, bytes);
    c->max_frame_bytes = bytes;
    if (c->sock) zmq_close(c->sock);
    c->sock = NULL;
    return client_open_socket(c);
}

pan_status pan_client_set_spin_us(pan_client *c, int spin_us) {
    if (!c || spin_us < 0 || spin_us > 1000000)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "pan_client_set_spin_us: expected "
                             "0..1000000 us, found %d", spin_us);
    c->spin_us = spin_us;
    return PAN_OK;
}

void pan_client_set_version(pan_client *c, uint32_t major, uint32_t minor) {
    if (!c) return;
    c->v_major = major;
    c->v_minor = minor;
}

