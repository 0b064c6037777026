/* agents/c/client_ops_session.c: the typed calls that manage the server
 * and sessions: HELLO, DESCRIBE, MAKE, CLOSE, PING, STATS. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "agents/c/client_internal.h"

static void no_session(pan_client *c) { c->cur_has_session = false; }

static void with_session(pan_client *c, uint64_t session) {
    c->cur_has_session = true;
    c->cur_session = session;
}

/* An array of strings into rows of `width` bytes; keeps the first `max`. */
static pan_status read_names(pan_client *c, const char *key, char *rows,
                             size_t width, int max, int *n) {
    const msgpack_object *v;
    const msgpack_object_array *a;
    pan_status s;
    if ((s = rd_field(c, c->reply, key, &v)) != PAN_OK) return s;
    if ((s = rd_array(c, v, key, -1, &a)) != PAN_OK) return s;
    *n = a->size < (uint32_t)max ? (int)a->size : max;
    char name[64];
    for (int i = 0; i < *n; i++) {
        snprintf(name, sizeof name, "%s[%d]", key, i);
        if ((s = rd_str(c, &a->ptr[i], name, rows + (size_t)i * width, width)) != PAN_OK)
            return s;
    }
    return PAN_OK;
}

pan_status pan_client_hello(pan_client *c, const char *client_name,
                            pan_client_hello_result *out) {
    if (!c || !out) return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "pan_client_hello: NULL argument");
    msgpack_packer *pk = pan_client_request_begin(c, "HELLO", client_name ? 1 : 0);
    if (client_name) {
        client_pack_str(pk, "client");
        client_pack_str(pk, client_name);
    }
    no_session(c);
    pan_status s = pan_client_request_send(c);
    if (s != PAN_OK) return s;
    memset(out, 0, sizeof *out);
    const msgpack_object *v, *lim;
    const msgpack_object_array *a;
    if ((s = rd_field(c, c->reply, "server", &v)) != PAN_OK ||
        (s = rd_str(c, v, "server", out->server, sizeof out->server)) != PAN_OK)
        return s;
    if ((s = rd_field(c, c->reply, "protocol", &v)) != PAN_OK ||
        (s = rd_array(c, v, "protocol", 2, &a)) != PAN_OK)
        return s;
    for (int i = 0; i < 2; i++) {
        uint64_t p;
        if ((s = rd_u64(c, &a->ptr[i], "protocol", &p)) != PAN_OK) return s;
        out->protocol[i] = (uint32_t)p;
    }
    if (out->protocol[0] != 1)
        return client_bad(c, "protocol [%u, %u], expected major 1", out->protocol[0],
                          out->protocol[1]);
    if ((s = rd_field(c, c->reply, "limits", &lim)) != PAN_OK) return s;
    pan_client_limits *l = &out->limits;
    struct { const char *key; int64_t *dst; } limits[] = {
        {"max_message_bytes", &l->max_message_bytes},
        {"max_header_bytes", &l->max_header_bytes},
        {"max_blobs", &l->max_blobs},
        {"max_text_bytes", &l->max_text_bytes},
        {"max_sessions", &l->max_sessions},
        {"max_envs_per_session", &l->max_envs_per_session},
        {"max_batch", &l->max_batch},
        {"max_horizon", &l->max_horizon},
        {"max_snapshots", &l->max_snapshots},
        {"max_reply_bytes", &l->max_reply_bytes},
        {"session_ttl_ms", &l->session_ttl_ms}};
    char name[64];
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        snprintf(name, sizeof name, "limits.%s", limits[i].key);
        if ((s = rd_field(c, lim, limits[i].key, &v)) != PAN_OK ||
            (s = rd_i64(c, v, name, limits[i].dst)) != PAN_OK)
            return s;
    }
    if ((s = read_names(c, "worlds", &out->worlds[0][0], sizeof out->worlds[0],
                        PAN_CLIENT_MAX_NAMES, &out->n_worlds)) != PAN_OK)
        return s;
    if ((s = read_names(c, "models", &out->models[0][0], sizeof out->models[0],
                        PAN_CLIENT_MAX_NAMES, &out->n_models)) != PAN_OK)
        return s;
    return read_names(c, "ops", &out->ops[0][0], sizeof out->ops[0],
                      PAN_CLIENT_MAX_NAMES, &out->n_ops);
}

pan_status pan_client_describe_world(pan_client *c, const char *world,
                                     int width, int height,
                                     int frames_per_step, const char *obs_mode,
                                     pan_client_spaces *out) {
    if (!c || !world || !out)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "pan_client_describe_world: NULL argument");
    uint32_t n = 1 + (width > 0) + (height > 0) + (frames_per_step > 0) + (obs_mode != NULL);
    msgpack_packer *pk = pan_client_request_begin(c, "DESCRIBE", n);
    client_pack_str(pk, "world");
    client_pack_str(pk, world);
    if (width > 0) { client_pack_str(pk, "width"); msgpack_pack_int(pk, width); }
    if (height > 0) { client_pack_str(pk, "height"); msgpack_pack_int(pk, height); }
    if (frames_per_step > 0) {
        client_pack_str(pk, "frames_per_step");
        msgpack_pack_int(pk, frames_per_step);
    }
    if (obs_mode) { client_pack_str(pk, "obs_mode"); client_pack_str(pk, obs_mode); }
    no_session(c);
    pan_status s = pan_client_request_send(c);
    if (s != PAN_OK) return s;
    return client_read_spaces(c, out);
}

pan_status pan_client_describe_session(pan_client *c, uint64_t session,
                                       pan_client_spaces *out) {
    if (!c || !out)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "pan_client_describe_session: NULL argument");
    msgpack_packer *pk = pan_client_request_begin(c, "DESCRIBE", 1);
    client_pack_str(pk, "session");
    msgpack_pack_uint64(pk, session);
    with_session(c, session);
    pan_status s = pan_client_request_send(c);
    if (s == PAN_OK) s = client_read_spaces(c, out);
    if (s == PAN_OK && !out->has_session)
        s = client_bad(c, "a session's metadata must carry num_envs, "
                       "autoreset_mode and max_episode_steps");
    if (s == PAN_OK) client_remember(c, session, out);
    return s;
}

pan_client_make_args pan_client_make_args_default(const char *world) {
    return (pan_client_make_args){.world = world, .max_episode_steps = -1};
}

pan_status pan_client_make(pan_client *c, const pan_client_make_args *args,
                           uint64_t *session, pan_client_spaces *spaces) {
    if (!c || !args || !session || !spaces)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "pan_client_make: NULL argument");
    if (!args->world && !args->model)
        return client_arg(c, "MAKE: give a world or a model");
    uint32_t n = (args->world != NULL) + (args->model != NULL) +
                 (args->num_envs > 0) + (args->obs_mode != NULL) +
                 (args->autoreset_mode != NULL) + (args->max_episode_steps >= 0) +
                 (args->width > 0) + (args->height > 0) + (args->frames_per_step > 0);
    msgpack_packer *pk = pan_client_request_begin(c, "MAKE", n);
    if (args->world) { client_pack_str(pk, "world"); client_pack_str(pk, args->world); }
    if (args->model) { client_pack_str(pk, "model"); client_pack_str(pk, args->model); }
    if (args->num_envs > 0) {
        client_pack_str(pk, "num_envs");
        msgpack_pack_int(pk, args->num_envs);
    }
    if (args->obs_mode) {
        client_pack_str(pk, "obs_mode");
        client_pack_str(pk, args->obs_mode);
    }
    if (args->autoreset_mode) {
        client_pack_str(pk, "autoreset_mode");
        client_pack_str(pk, args->autoreset_mode);
    }
    if (args->max_episode_steps >= 0) {
        client_pack_str(pk, "max_episode_steps");
        msgpack_pack_int(pk, args->max_episode_steps);
    }
    if (args->width > 0) { client_pack_str(pk, "width"); msgpack_pack_int(pk, args->width); }
    if (args->height > 0) { client_pack_str(pk, "height"); msgpack_pack_int(pk, args->height); }
    if (args->frames_per_step > 0) {
        client_pack_str(pk, "frames_per_step");
        msgpack_pack_int(pk, args->frames_per_step);
    }
    no_session(c);
    pan_status s = pan_client_request_send(c);
    if (s != PAN_OK) return s;
    const msgpack_object *v;
    uint64_t id;
    int num_envs;
    if ((s = rd_field(c, c->reply, "session", &v)) != PAN_OK ||
        (s = rd_u64(c, v, "session", &id)) != PAN_OK)
        return s;
    if ((s = rd_field(c, c->reply, "num_envs", &v)) != PAN_OK ||
        (s = rd_int(c, v, "num_envs", 1, 1 << 24, &num_envs)) != PAN_OK)
        return s;
    if ((s = client_read_spaces(c, spaces)) != PAN_OK) return s;
    if (!spaces->has_session || spaces->num_envs != num_envs)
        return client_bad(c, "metadata.num_envs must be sent and equal num_envs %d", num_envs);
    if (args->num_envs > 0 && num_envs != args->num_envs)
        return client_bad(c, "num_envs %d, requested %d", num_envs, args->num_envs);
    client_remember(c, id, spaces);
    *session = id;
    return PAN_OK;
}

pan_status pan_client_close(pan_client *c, uint64_t session) {
    if (!c) return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "pan_client_close: NULL client");
    msgpack_packer *pk = pan_client_request_begin(c, "CLOSE", 1);
    client_pack_str(pk, "session");
    msgpack_pack_uint64(pk, session);
    with_session(c, session);
    pan_status s = pan_client_request_send(c);
    if (s == PAN_OK && c->known.valid && c->known.session == session)
        c->known.valid = false;
    return s;
}

pan_status pan_client_ping(pan_client *c, const uint64_t *session) {
    if (!c) return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "pan_client_ping: NULL client");
    msgpack_packer *pk = pan_client_request_begin(c, "PING", session ? 1 : 0);
    if (session) {
        client_pack_str(pk, "session");
        msgpack_pack_uint64(pk, *session);
    }
    no_session(c);
    return pan_client_request_send(c);
}

pan_status pan_client_stats(pan_client *c, const uint64_t *session,
                            pan_client_stats_result *out) {
    if (!c || !out) return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "pan_client_stats: NULL argument");
    msgpack_packer *pk = pan_client_request_begin(c, "STATS", session ? 1 : 0);
    if (session) {
        client_pack_str(pk, "session");
        msgpack_pack_uint64(pk, *session);
    }
    no_session(c);
    pan_status s = pan_client_request_send(c);
    if (s != PAN_OK) return s;
    memset(out, 0, sizeof *out);
    const msgpack_object *v, *m;
    if ((s = rd_field(c, c->reply, "uptime_s", &v)) != PAN_OK ||
        (s = rd_double(c, v, "uptime_s", &out->uptime_s)) != PAN_OK)
        return s;
    struct { const char *key; int64_t *dst; } ints[] = {
        {"sessions", &out->sessions}, {"requests", &out->requests},
        {"errors", &out->errors}};
    for (size_t i = 0; i < 3; i++)
        if ((s = rd_field(c, c->reply, ints[i].key, &v)) != PAN_OK ||
            (s = rd_i64(c, v, ints[i].key, ints[i].dst)) != PAN_OK)
            return s;
    if ((s = rd_field(c, c->reply, "latency_us", &m)) != PAN_OK) return s;
    if ((s = rd_field(c, m, "p50", &v)) != PAN_OK ||
        (s = rd_double(c, v, "latency_us.p50", &out->latency_p50_us)) != PAN_OK)
        return s;
    if ((s = rd_field(c, m, "p99", &v)) != PAN_OK ||
        (s = rd_double(c, v, "latency_us.p99", &out->latency_p99_us)) != PAN_OK)
        return s;
    if ((s = rd_field(c, c->reply, "ops", &m)) != PAN_OK) return s;
    if (m->type != MSGPACK_OBJECT_MAP)
        return client_bad(c, "ops must be a map, found %s", client_type_name(m));
    for (uint32_t i = 0; i < m->via.map.size && out->n_ops < PAN_CLIENT_MAX_NAMES; i++) {
        int k = out->n_ops;
        if ((s = rd_str(c, &m->via.map.ptr[i].key, "ops key", out->op_names[k],
                        sizeof out->op_names[k])) != PAN_OK ||
            (s = rd_i64(c, &m->via.map.ptr[i].val, "ops count", &out->op_counts[k])) != PAN_OK)
            return s;
        out->n_ops++;
    }
    m = client_map_get(c->reply, "session");
    if (session && !m) return client_bad(c, "field 'session' is missing");
    if (m) {
        out->has_session = true;
        struct { const char *key; int64_t *dst; } sf[] = {
            {"num_envs", &out->num_envs}, {"snapshots", &out->snapshots},
            {"requests", &out->session_requests}, {"idle_ms", &out->idle_ms}};
        char name[64];
        for (size_t i = 0; i < 4; i++) {
            snprintf(name, sizeof name, "session.%s", sf[i].key);
            if ((s = rd_field(c, m, sf[i].key, &v)) != PAN_OK ||
                (s = rd_i64(c, v, name, sf[i].dst)) != PAN_OK)
                return s;
        }
    }
    return PAN_OK;
}
