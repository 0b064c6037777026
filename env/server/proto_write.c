/* env/server/proto_write.c: encoding replies (env/protocol.h): the op's
 * fields and blob frames, the header {v, id, ok, ...}, error replies,
 * tensors, infos and the limits map. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "env/protocol.h"

/* msgpack_sbuffer_write, remembering a failed growth (out of memory). */
static int body_write(void *data, const char *buf, size_t len) {
    pan_proto_reply *rep = data;
    if (msgpack_sbuffer_write(&rep->body, buf, len) != 0) {
        rep->oom = true;
        return -1;
    }
    return 0;
}

void pan_proto_reply_init(pan_proto_reply *rep) {
    memset(rep, 0, sizeof *rep);
    msgpack_sbuffer_init(&rep->body);
    msgpack_sbuffer_init(&rep->header);
    msgpack_packer_init(&rep->pk, rep, body_write);
}

static void drop_blobs(pan_proto_reply *rep) {
    for (int i = 0; i < rep->n_blobs; i++) free(rep->blob_data[i]);
    free(rep->blob_data);
    free(rep->blob_size);
    rep->blob_data = NULL;
    rep->blob_size = NULL;
    rep->n_blobs = rep->cap_blobs = 0;
}

void pan_proto_reply_free(pan_proto_reply *rep) {
    if (!rep) return;
    drop_blobs(rep);
    msgpack_sbuffer_destroy(&rep->body);
    msgpack_sbuffer_destroy(&rep->header);
    msgpack_sbuffer_init(&rep->body);
    msgpack_sbuffer_init(&rep->header);
    rep->n_fields = 0;
}

void pan_proto_pack_cstr(msgpack_packer *pk, const char *s) {
    msgpack_pack_str_with_body(pk, s, strlen(s));
}

msgpack_packer *pan_proto_reply_field(pan_proto_reply *rep, const char *key) {
    rep->n_fields++;
    pan_proto_pack_cstr(&rep->pk, key);
    return &rep->pk;
}

void *pan_proto_reply_blob(pan_proto_reply *rep, size_t bytes, int *frame) {
    if (rep->n_blobs == rep->cap_blobs) {
        int cap = rep->cap_blobs ? 2 * rep->cap_blobs : 4;
        void **d = realloc(rep->blob_data, (size_t)cap * sizeof *d);
        if (d) rep->blob_data = d;
        size_t *s = d ? realloc(rep->blob_size, (size_t)cap * sizeof *s) : NULL;
        if (s) rep->blob_size = s;
        if (!d || !s) {
            rep->oom = true;
            return NULL;
        }
        rep->cap_blobs = cap;
    }
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        rep->oom = true;
        return NULL;
    }
    rep->blob_data[rep->n_blobs] = p;
    rep->blob_size[rep->n_blobs] = bytes;
    *frame = ++rep->n_blobs;
    return p;
}

void pan_proto_pack_tensor_map(msgpack_packer *pk, pan_proto_dtype dtype,
                               int rank, const uint64_t *shape, int frame) {
    msgpack_pack_map(pk, 3);
    pan_proto_pack_cstr(pk, "dtype");
    pan_proto_pack_cstr(pk, pan_proto_dtype_name(dtype));
    pan_proto_pack_cstr(pk, "shape");
    msgpack_pack_array(pk, (size_t)rank);
    for (int i = 0; i < rank; i++) msgpack_pack_uint64(pk, shape[i]);
    pan_proto_pack_cstr(pk, "frame");
    msgpack_pack_int(pk, frame);
}

void *pan_proto_reply_tensor(pan_proto_reply *rep, pan_proto_dtype dtype,
                             int rank, const uint64_t *shape) {
    size_t bytes = pan_proto_dtype_size(dtype);
    for (int i = 0; i < rank; i++) bytes *= (size_t)shape[i];
    int frame = 0;
    void *p = pan_proto_reply_blob(rep, bytes, &frame);
    if (!p) return NULL;
    pan_proto_pack_tensor_map(&rep->pk, dtype, rank, shape, frame);
    return p;
}

void *pan_proto_reply_take_blob(pan_proto_reply *rep, int i) {
    if (i < 0 || i >= rep->n_blobs) return NULL;
    void *p = rep->blob_data[i];
    rep->blob_data[i] = NULL;
    return p;
}

static void pack_envelope(msgpack_packer *pk, size_t entries, bool has_id,
                          uint64_t id, bool ok) {
    msgpack_pack_map(pk, entries);
    pan_proto_pack_cstr(pk, "v");
    msgpack_pack_array(pk, 2);
    msgpack_pack_int(pk, PAN_PROTO_MAJOR);
    msgpack_pack_int(pk, PAN_PROTO_MINOR);
    pan_proto_pack_cstr(pk, "id");
    if (has_id) msgpack_pack_uint64(pk, id);
    else msgpack_pack_nil(pk);
    pan_proto_pack_cstr(pk, "ok");
    if (ok) msgpack_pack_true(pk);
    else msgpack_pack_false(pk);
}

pan_status pan_proto_reply_finish(pan_proto_reply *rep, bool has_id,
                                  uint64_t id) {
    if (rep->oom)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "reply: out of "
                             "memory while encoding");
    msgpack_sbuffer_clear(&rep->header);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &rep->header, msgpack_sbuffer_write);
    pack_envelope(&pk, 3 + (size_t)rep->n_fields, has_id, id, true);
    if (msgpack_sbuffer_write(&rep->header, rep->body.data, rep->body.size) ||
        !rep->header.data)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "reply: out of "
                             "memory while encoding the header");
    return PAN_OK;
}

pan_status pan_proto_reply_error(pan_proto_reply *rep, bool has_id,
                                 uint64_t id, pan_proto_code code,
                                 const char *message) {
    drop_blobs(rep);
    msgpack_sbuffer_clear(&rep->body);
    rep->n_fields = 0;
    rep->oom = false;
    msgpack_sbuffer_clear(&rep->header);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &rep->header, msgpack_sbuffer_write);
    pack_envelope(&pk, 4, has_id, id, false);
    pan_proto_pack_cstr(&pk, "error");
    msgpack_pack_map(&pk, 2);
    pan_proto_pack_cstr(&pk, "code");
    pan_proto_pack_cstr(&pk, pan_proto_code_name(code));
    pan_proto_pack_cstr(&pk, "message");
    /* Messages are built from printable text, but a truncated one may end
     * inside a UTF-8 character: cut back to a character boundary. */
    size_t n = message ? strlen(message) : 0;
    while (n > 0 && ((uint8_t)message[n - 1] & 0x80)) {
        size_t start = n - 1;
        while (start > 0 && ((uint8_t)message[start] & 0xc0) == 0x80) start--;
        uint8_t lead = (uint8_t)message[start];
        size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
        if (n - start == need) break;
        n = start;
    }
    msgpack_pack_str_with_body(&pk, message ? message : "", n);
    if (!rep->header.data)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "reply: out of "
                             "memory while encoding an error");
    return PAN_OK;
}

static const char *kind_name(pan_action_kind kind) {
    switch (kind) {
    case PAN_ACTION_AGENT: return "agent";
    case PAN_ACTION_ENVIRONMENT: return "environment";
    case PAN_ACTION_NONE: break;
    }
    return "none";
}

static void pack_bool(msgpack_packer *pk, bool b) {
    if (b) msgpack_pack_true(pk);
    else msgpack_pack_false(pk);
}

static void pack_bounded(msgpack_packer *pk, const char *s, size_t cap) {
    size_t n = strnlen(s, cap);
    msgpack_pack_str_with_body(pk, s, n);
}

void pan_proto_pack_info(msgpack_packer *pk, const pan_env_info *info,
                         int extra) {
    msgpack_pack_map(pk, 11 + (size_t)extra);
    pan_proto_pack_cstr(pk, "is_reset");
    pack_bool(pk, info->is_reset);
    pan_proto_pack_cstr(pk, "autoreset");
    pack_bool(pk, info->autoreset);
    pan_proto_pack_cstr(pk, "seed");
    msgpack_pack_uint64(pk, info->seed);
    pan_proto_pack_cstr(pk, "episode_step");
    msgpack_pack_int64(pk, info->episode_step);
    pan_proto_pack_cstr(pk, "understood");
    pack_bool(pk, info->action.understood);
    pan_proto_pack_cstr(pk, "action_kind");
    pan_proto_pack_cstr(pk, kind_name(info->action.kind));
    pan_proto_pack_cstr(pk, "canonical");
    pack_bounded(pk, info->action.canonical, sizeof info->action.canonical);
    pan_proto_pack_cstr(pk, "message");
    pack_bounded(pk, info->action.message, sizeof info->action.message);
    pan_proto_pack_cstr(pk, "heldout");
    pack_bool(pk, info->action.heldout);
    pan_proto_pack_cstr(pk, "task");
    pack_bounded(pk, info->task, sizeof info->task);
    pan_proto_pack_cstr(pk, "success");
    pack_bool(pk, info->success);
}

size_t pan_proto_info_bound(void) {
    pan_env_info info;
    /* keys and fixed values ~ 160 bytes; the three texts with their str
     * headers; an extra margin for the map header. */
    return 192 + sizeof info.action.canonical + sizeof info.action.message +
           sizeof info.task + 3 * 3;
}

void pan_proto_pack_limits(msgpack_packer *pk, const pan_server_limits *l,
                           uint64_t session_ttl_ms) {
    msgpack_pack_map(pk, 11);
    pan_proto_pack_cstr(pk, "max_message_bytes");
    msgpack_pack_uint64(pk, l->max_message_bytes);
    pan_proto_pack_cstr(pk, "max_header_bytes");
    msgpack_pack_uint64(pk, l->max_header_bytes);
    pan_proto_pack_cstr(pk, "max_blobs");
    msgpack_pack_int(pk, l->max_blobs);
    pan_proto_pack_cstr(pk, "max_text_bytes");
    msgpack_pack_int(pk, l->max_text_bytes);
    pan_proto_pack_cstr(pk, "max_sessions");
    msgpack_pack_int(pk, l->max_sessions);
    pan_proto_pack_cstr(pk, "max_envs_per_session");
    msgpack_pack_int(pk, l->max_envs_per_session);
    pan_proto_pack_cstr(pk, "max_batch");
    msgpack_pack_int(pk, l->max_batch);
    pan_proto_pack_cstr(pk, "max_horizon");
    msgpack_pack_int(pk, l->max_horizon);
    pan_proto_pack_cstr(pk, "max_snapshots");
    msgpack_pack_int(pk, l->max_snapshots);
    pan_proto_pack_cstr(pk, "max_reply_bytes");
    msgpack_pack_uint64(pk, l->max_reply_bytes);
    pan_proto_pack_cstr(pk, "session_ttl_ms");
    msgpack_pack_uint64(pk, session_ttl_ms);
}
