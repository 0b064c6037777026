/* agents/c/client_transport.c: one request/reply exchange: the request
 * builder (header map + blob frames), sending, waiting for the reply with
 * the same id within the timeout (busy-polling first, dropping stale
 * replies, reconnecting after a timeout), the reply envelope's checks (size
 * pre-scan, v, id, ok, error), and access to the reply's fields and blobs. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <sched.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agents/c/client_internal.h"
#include "env/msgpack_bounds.h"

/* The protocol's codes and the pan_status each maps to. */
static const struct {
    const char *code;
    pan_status status;
} server_codes[] = {
    {"INVALID_ARGUMENT", PAN_ERR_INVALID_ARGUMENT},
    {"FAILED_PRECONDITION", PAN_ERR_FAILED_PRECONDITION},
    {"NOT_FOUND", PAN_ERR_NOT_FOUND},
    {"RESOURCE_EXHAUSTED", PAN_ERR_RESOURCE_EXHAUSTED},
    {"UNIMPLEMENTED", PAN_ERR_UNIMPLEMENTED},
    {"VERSION_MISMATCH", PAN_ERR_UNIMPLEMENTED},
    {"UNAVAILABLE", PAN_ERR_IO},
    {"INTERNAL", PAN_ERR_INTERNAL},
};

/* ---- the request builder ------------------------------------------------------ */

void client_pack_str(msgpack_packer *pk, const char *s) {
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

msgpack_packer *pan_client_request_begin(pan_client *c, const char *op,
                                         uint32_t n_fields) {
    if (!c) return NULL;
    if (!op || !*op) {
        client_arg(c, "pan_client_request_begin: op is %s", op ? "empty" : "NULL");
        return NULL;
    }
    msgpack_sbuffer_clear(&c->req);
    c->req_open = true;
    c->req_id = c->next_id++;
    c->req_op = op;
    c->n_req_blobs = 0;
    msgpack_pack_map(&c->pk, 3 + n_fields);
    client_pack_str(&c->pk, "v");
    msgpack_pack_array(&c->pk, 2);
    msgpack_pack_uint32(&c->pk, c->v_major);
    msgpack_pack_uint32(&c->pk, c->v_minor);
    client_pack_str(&c->pk, "id");
    msgpack_pack_uint64(&c->pk, c->req_id);
    client_pack_str(&c->pk, "op");
    client_pack_str(&c->pk, op);
    return &c->pk;
}

int pan_client_request_blob(pan_client *c, const void *data, size_t size) {
    if (!c || !c->req_open) return -1;
    if (c->n_req_blobs >= CLIENT_MAX_REQUEST_BLOBS) {
        client_arg(c, "%s: more than %d blobs in one request", c->req_op,
                   CLIENT_MAX_REQUEST_BLOBS);
        return -1;
    }
    c->req_blob[c->n_req_blobs] = data;
    c->req_blob_size[c->n_req_blobs] = size;
    return ++c->n_req_blobs;
}

pan_status pan_client_request_tensor(pan_client *c, pan_client_dtype dtype,
                                     int rank, const int64_t *shape,
                                     const void *data) {
    if (!c || !c->req_open) return pan_error_set(PAN_ERR_FAILED_PRECONDITION, "pan_client_request_tensor: no request begun");
    if ((unsigned)dtype >= PAN_CLIENT_DTYPE_COUNT || rank < 0 ||
        rank > PAN_CLIENT_MAX_RANK || (rank > 0 && !shape))
        return client_arg(c, "%s: bad tensor (dtype %d, rank %d)", c->req_op,
                          (int)dtype, rank);
    size_t bytes = pan_client_dtype_size(dtype);
    for (int i = 0; i < rank; i++) {
        if (shape[i] < 0) return client_arg(c, "%s: tensor dim %d is negative", c->req_op, i);
        bytes *= (size_t)shape[i];
    }
    int frame = pan_client_request_blob(c, data, bytes);
    if (frame < 0) return PAN_ERR_INVALID_ARGUMENT;
    msgpack_pack_map(&c->pk, 3);
    client_pack_str(&c->pk, "dtype");
    client_pack_str(&c->pk, pan_client_dtype_name(dtype));
    client_pack_str(&c->pk, "shape");
    msgpack_pack_array(&c->pk, (size_t)rank);
    for (int i = 0; i < rank; i++) msgpack_pack_uint64(&c->pk, (uint64_t)shape[i]);
    client_pack_str(&c->pk, "frame");
    msgpack_pack_int(&c->pk, frame);
    return PAN_OK;
}

/* ---- send and receive ------------------------------------------------------------ */

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static pan_status client_timeout(pan_client *c, const char *when) {
    client_fail(c, PAN_ERR_IO, "TIMEOUT", "%s: no reply from %s within %d ms "
                "(%s); the client reconnected and can be used again",
                c->req_op, c->endpoint, c->timeout_ms, when);
    client_reconnect(c);
    return PAN_ERR_IO;
}

static pan_status client_send(pan_client *c) {
    int n = 1 + c->n_req_blobs;
    for (int i = 0; i < n; i++) {
        const void *data = i == 0 ? c->req.data : c->req_blob[i - 1];
        size_t size = i == 0 ? c->req.size : c->req_blob_size[i - 1];
        if (!data && size > 0)
            return client_arg(c, "%s: blob %d is NULL", c->req_op, i);
        int flags = i + 1 < n ? ZMQ_SNDMORE : 0;
        if (zmq_send(c->sock, data ? data : "", size, flags) < 0) {
            if (errno == EAGAIN) return client_timeout(c, "sending");
            client_fail(c, PAN_ERR_IO, "TRANSPORT", "%s: zmq_send failed: %s",
                        c->req_op, zmq_strerror(errno));
            client_reconnect(c);
            return PAN_ERR_IO;
        }
    }
    return PAN_OK;
}

/* Receives one whole multipart message into c->frames. */
static pan_status client_recv_message(pan_client *c) {
    client_drop_reply(c);
    for (;;) {
        if (c->n_frames == c->cap_frames) {
            int cap = c->cap_frames ? 2 * c->cap_frames : 16;
            zmq_msg_t *f = realloc(c->frames, (size_t)cap * sizeof *f);
            if (!f) return client_fail(c, PAN_ERR_RESOURCE_EXHAUSTED, "CLIENT_MEMORY",
                                       "out of memory receiving a reply");
            c->frames = f;
            c->cap_frames = cap;
        }
        zmq_msg_t *m = &c->frames[c->n_frames];
        zmq_msg_init(m);
        if (zmq_msg_recv(m, c->sock, 0) < 0) {
            zmq_msg_close(m);
            client_fail(c, PAN_ERR_IO, "TRANSPORT", "%s: zmq_msg_recv failed: %s",
                        c->req_op, zmq_strerror(errno));
            client_reconnect(c);
            return PAN_ERR_IO;
        }
        c->n_frames++;
        if (!zmq_msg_more(m)) return PAN_OK;
        if (c->n_frames >= CLIENT_MAX_REPLY_FRAMES) {
            /* drain the rest of the message, then refuse it */
            while (zmq_msg_more(m)) {
                zmq_msg_t extra;
                zmq_msg_init(&extra);
                int r = zmq_msg_recv(&extra, c->sock, 0);
                int more = r >= 0 && zmq_msg_more(&extra);
                zmq_msg_close(&extra);
                if (!more) break;
            }
            return client_bad(c, "more than %d frames", CLIENT_MAX_REPLY_FRAMES);
        }
    }
}

/* The envelope: a map with v [1, x], id, ok. *stale: the id is another
 * request's. */
static pan_status client_read_envelope(pan_client *c, bool *stale) {
    *stale = false;
    const uint8_t *hdr = zmq_msg_data(&c->frames[0]);
    size_t len = zmq_msg_size(&c->frames[0]);
    char err[200];
    if (len == 0) return client_bad(c, "empty header frame");
    if (!pan_msgpack_check_bounds(hdr, len, 32, err, sizeof err))
        return client_bad(c, "header is not one well-formed msgpack object: %s", err);
    msgpack_unpacked_init(&c->unpacked);
    c->have_unpacked = true;
    size_t off = 0;
    if (msgpack_unpack_next(&c->unpacked, (const char *)hdr, len, &off) !=
            MSGPACK_UNPACK_SUCCESS || off != len)
        return client_bad(c, "msgpack-c could not unpack the header");
    const msgpack_object *h = &c->unpacked.data;
    if (h->type != MSGPACK_OBJECT_MAP)
        return client_bad(c, "header must be a map, found %s", client_type_name(h));
    c->reply = h;
    const msgpack_object *v = client_map_get(h, "v");
    if (!v || v->type != MSGPACK_OBJECT_ARRAY || v->via.array.size != 2 ||
        v->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return client_bad(c, "field 'v' must be [major, minor]");
    if (v->via.array.ptr[0].via.u64 != 1)
        return client_bad(c, "protocol major version %" PRIu64 ", expected 1",
                          v->via.array.ptr[0].via.u64);
    const msgpack_object *id = client_map_get(h, "id");
    const msgpack_object *ok = client_map_get(h, "ok");
    if (!ok || ok->type != MSGPACK_OBJECT_BOOLEAN)
        return client_bad(c, "field 'ok' must be a bool, found %s",
                          ok ? client_type_name(ok) : "nothing");
    if (!id) return client_bad(c, "field 'id' is missing");
    if (id->type == MSGPACK_OBJECT_NIL) {
        /* the server could not read our id: only an error reply can say so,
         * and with one request in flight it is ours */
        if (ok->via.boolean) return client_bad(c, "field 'id' is nil in a success reply");
    } else if (id->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
        return client_bad(c, "field 'id' must be a uint, found %s", client_type_name(id));
    } else if (id->via.u64 != c->req_id) {
        *stale = true;
        return PAN_OK;
    }
    if (ok->via.boolean) return PAN_OK;

    const msgpack_object *e = client_map_get(h, "error");
    const msgpack_object *code = e && e->type == MSGPACK_OBJECT_MAP
                                     ? client_map_get(e, "code") : NULL;
    const msgpack_object *msg = e && e->type == MSGPACK_OBJECT_MAP
                                    ? client_map_get(e, "message") : NULL;
    if (!code || code->type != MSGPACK_OBJECT_STR || !msg ||
        msg->type != MSGPACK_OBJECT_STR)
        return client_bad(c, "an error reply must carry error: {code: str, message: str}");
    char code_s[CLIENT_CODE_MAX];
    size_t n = code->via.str.size < sizeof code_s - 1 ? code->via.str.size
                                                       : sizeof code_s - 1;
    memcpy(code_s, code->via.str.ptr, n);
    code_s[n] = '\0';
    pan_status status = PAN_ERR_INTERNAL;
    for (size_t i = 0; i < sizeof server_codes / sizeof server_codes[0]; i++)
        if (strcmp(code_s, server_codes[i].code) == 0) status = server_codes[i].status;
    client_fail(c, status, code_s, "%s: server error %s: %.*s", c->req_op, code_s,
                (int)(msg->via.str.size > 400 ? 400 : msg->via.str.size),
                msg->via.str.ptr);
    c->from_server = true;
    return status;
}

pan_status pan_client_request_send(pan_client *c) {
    if (!c) return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "pan_client_request_send: client is NULL");
    if (!c->req_open)
        return client_fail(c, PAN_ERR_FAILED_PRECONDITION, "CLIENT_ARGUMENT",
                           "pan_client_request_send: no request begun");
    c->req_open = false;
    client_clear_error(c);
    client_drop_reply(c);
    if (!c->sock) {
        pan_status s = client_open_socket(c);
        if (s != PAN_OK) return s;
    }
    pan_status s = client_send(c);
    if (s != PAN_OK) return s;
    double deadline = now_ms() + c->timeout_ms;
    for (;;) {
        double left = deadline - now_ms();
        if (left <= 0) return client_timeout(c, "waiting");
        zmq_pollitem_t item = {.socket = c->sock, .events = ZMQ_POLLIN};
        int r = 0;
        /* Busy-poll for a short while first: waking a thread blocked in
         * poll costs tens of microseconds on a VM, more than a fast reply. */
        double spin_end = now_ms() + c->spin_us * 1e-3;
        while (c->spin_us > 0 && (r = zmq_poll(&item, 1, 0)) == 0 && now_ms() < spin_end)
            sched_yield(); /* let a runnable server thread have this core */
        if (r == 0) r = zmq_poll(&item, 1, (long)left + 1);
        if (r < 0) {
            if (errno == EINTR) continue;
            client_fail(c, PAN_ERR_IO, "TRANSPORT", "%s: zmq_poll failed: %s",
                        c->req_op, zmq_strerror(errno));
            client_reconnect(c);
            return PAN_ERR_IO;
        }
        if (r == 0) continue; /* the deadline check above decides */
        s = client_recv_message(c);
        if (s != PAN_OK) return s;
        bool stale = false;
        s = client_read_envelope(c, &stale);
        if (s != PAN_OK) return s;
        if (!stale) return PAN_OK;
        client_drop_reply(c); /* another request's late reply */
    }
}

/* ---- reply access --------------------------------------------------------------- */

const msgpack_object *pan_client_reply(const pan_client *c) {
    return c ? c->reply : NULL;
}

const msgpack_object *pan_client_reply_get(const pan_client *c, const char *key) {
    return c && c->reply && key ? client_map_get(c->reply, key) : NULL;
}

int pan_client_reply_blob_count(const pan_client *c) {
    return c && c->n_frames > 0 ? c->n_frames - 1 : 0;
}

pan_status client_blob(pan_client *c, int frame, size_t itemsize,
                       const void **data, size_t *size) {
    if (frame < 1 || frame >= c->n_frames) return PAN_ERR_NOT_FOUND;
    zmq_msg_t *m = &c->frames[frame];
    const void *p = zmq_msg_data(m);
    *size = zmq_msg_size(m);
    if (*size > 0 && ((uintptr_t)p % itemsize) != 0) {
        /* misaligned for its dtype: one aligned copy, freed with the reply */
        if (c->n_copies == c->cap_copies) {
            int cap = c->cap_copies ? 2 * c->cap_copies : 8;
            void **cp = realloc(c->copies, (size_t)cap * sizeof *cp);
            if (!cp) return PAN_ERR_RESOURCE_EXHAUSTED;
            c->copies = cp;
            c->cap_copies = cap;
        }
        void *copy = malloc(*size);
        if (!copy) return PAN_ERR_RESOURCE_EXHAUSTED;
        memcpy(copy, p, *size);
        c->copies[c->n_copies++] = copy;
        p = copy;
    }
    *data = p;
    return PAN_OK;
}
