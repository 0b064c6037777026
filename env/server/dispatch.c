/* env/server/dispatch.c: from a decoded request to a finished reply (the
 * op table, the checks every op shares, error replies), and sending a
 * reply as one multipart ZeroMQ message without copying its blobs. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "env/server/server_internal.h"

static const pan_op_fn handlers[PAN_PROTO_OP_COUNT] = {
    [PAN_PROTO_OP_HELLO] = pan_op_hello,       [PAN_PROTO_OP_DESCRIBE] = pan_op_describe,
    [PAN_PROTO_OP_MAKE] = pan_op_make,         [PAN_PROTO_OP_RESET] = pan_op_reset,
    [PAN_PROTO_OP_STEP] = pan_op_step,         [PAN_PROTO_OP_SAMPLE] = pan_op_sample,
    [PAN_PROTO_OP_RENDER] = pan_op_render,     [PAN_PROTO_OP_FORK] = pan_op_fork,
    [PAN_PROTO_OP_RESTORE] = pan_op_restore,   [PAN_PROTO_OP_ROLLOUT] = pan_op_rollout,
    [PAN_PROTO_OP_RELEASE] = pan_op_release,   [PAN_PROTO_OP_CLOSE] = pan_op_close,
    [PAN_PROTO_OP_PING] = pan_op_ping,         [PAN_PROTO_OP_STATS] = pan_op_stats,
};

pan_op_fn pan_server_op(pan_proto_op op) {
    if ((int)op < 0 || op >= PAN_PROTO_OP_COUNT) return NULL;
    return handlers[op];
}

bool pan_server_op_is_cheap(const pan_proto_request *req) {
    return req->op == PAN_PROTO_OP_HELLO ||
           (req->op == PAN_PROTO_OP_PING && !req->has_session) ||
           (req->op == PAN_PROTO_OP_STATS && !req->has_session);
}

bool pan_server_dispatch(pan_server *srv, pan_proto_request *req,
                         pan_session *session, pan_proto_reply *rep) {
    pan_status st = PAN_OK;
    pan_op_fn fn = pan_server_op(req->op);
    if (!fn)
        st = pan_error_set(PAN_ERR_UNIMPLEMENTED, "request: op %d has no "
                           "handler", (int)req->op);
    else if (req->n_blobs > 0 && req->op != PAN_PROTO_OP_RESET)
        st = pan_error_set(PAN_ERR_INVALID_ARGUMENT, "%s: takes no blob "
                           "frames, found %d", req->op_name, req->n_blobs);
    else if (req->has_session && (!session || session->closed || !session->env))
        st = pan_error_set(PAN_ERR_NOT_FOUND, "%s: session %" PRIu64
                           " not found (closed, expired or never made)",
                           req->op_name, req->session);
    if (st == PAN_OK) {
        pan_op_ctx ctx = {.srv = srv, .req = req, .session = session,
                          .rep = rep};
        st = fn(&ctx);
    }
    if (st == PAN_OK) st = pan_proto_reply_finish(rep, req->has_id, req->id);
    if (st == PAN_OK) return false;
    pan_proto_reply_error(rep, req->has_id, req->id,
                          pan_proto_code_from_status(st), pan_error_message());
    return true;
}

static void free_blob(void *data, void *hint) {
    (void)hint;
    free(data);
}

int pan_server_send(void *sock, zmq_msg_t *route, int n_route,
                    pan_proto_reply *rep, int flags) {
    /* Build every part first, so that a failure never leaves half a
     * multipart message on the socket. */
    int n_parts = n_route + 1 + rep->n_blobs;
    zmq_msg_t *parts = malloc((size_t)n_parts * sizeof *parts);
    int built = 0;
    bool ok = parts != NULL;
    while (ok && built < n_parts) {
        zmq_msg_t *m = &parts[built];
        if (built < n_route) {
            zmq_msg_init(m);
            zmq_msg_move(m, &route[built]);
            built++;
            continue;
        }
        void *data;
        size_t size;
        if (built == n_route) {
            size = rep->header.size;
            data = msgpack_sbuffer_release(&rep->header);
        } else {
            int b = built - n_route - 1;
            size = rep->blob_size[b];
            data = pan_proto_reply_take_blob(rep, b);
        }
        if (data && zmq_msg_init_data(m, data, size, free_blob, NULL) == 0) {
            built++;
        } else {
            free(data);
            ok = false;
        }
    }
    for (int i = built; i < n_route; i++) zmq_msg_close(&route[i]);
    int err = ok ? 0 : ENOMEM;
    for (int i = 0; i < built; i++) {
        if (!err) {
            int more = i + 1 < n_parts ? ZMQ_SNDMORE : 0;
            if (zmq_msg_send(&parts[i], sock, more | flags) >= 0) continue;
            err = errno ? errno : EIO;
        }
        zmq_msg_close(&parts[i]);
    }
    free(parts);
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}
