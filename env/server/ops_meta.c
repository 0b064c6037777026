/* env/server/ops_meta.c: the ops about the server and sessions: HELLO,
 * DESCRIBE, MAKE, CLOSE, PING, STATS (docs/protocol.md). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/server/server_internal.h"

#ifndef PAN_VERSION
#define PAN_VERSION "unknown"
#endif

/* Spaces as a client sees them: the action text is also bounded by the
 * server's max_text_bytes. */
static void session_spaces(const pan_op_ctx *ctx, const pan_vec_env *env,
                           pan_env_spaces *sp) {
    pan_vec_env_spaces(env, sp);
    int max_text = ctx->srv->opt.limits.max_text_bytes;
    if (sp->action.max_length > max_text) sp->action.max_length = max_text;
}

pan_status pan_op_hello(pan_op_ctx *ctx) {
    pan_proto_str client;
    pan_status st = pan_proto_get_str(ctx->req, "client", false, 256, &client,
                                      NULL);
    if (st != PAN_OK) return st;
    pan_proto_reply *rep = ctx->rep;
    msgpack_packer *pk = pan_proto_reply_field(rep, "server");
    pan_proto_pack_cstr(pk, "pan-server " PAN_VERSION);
    pk = pan_proto_reply_field(rep, "protocol");
    msgpack_pack_array(pk, 2);
    msgpack_pack_int(pk, PAN_PROTO_MAJOR);
    msgpack_pack_int(pk, PAN_PROTO_MINOR);
    pk = pan_proto_reply_field(rep, "limits");
    pan_proto_pack_limits(pk, &ctx->srv->opt.limits,
                          (uint64_t)(ctx->srv->opt.session_ttl_s * 1000.0 + 0.5));
    const char *const *worlds = pan_world_names();
    size_t n = 0;
    while (worlds[n]) n++;
    pk = pan_proto_reply_field(rep, "worlds");
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++) pan_proto_pack_cstr(pk, worlds[i]);
    pk = pan_proto_reply_field(rep, "models");
    msgpack_pack_array(pk, (size_t)ctx->srv->opt.n_models);
    for (int i = 0; i < ctx->srv->opt.n_models; i++)
        pan_proto_pack_cstr(pk, ctx->srv->opt.models[i].name);
    pk = pan_proto_reply_field(rep, "ops");
    msgpack_pack_array(pk, PAN_PROTO_OP_COUNT);
    for (int i = 0; i < PAN_PROTO_OP_COUNT; i++)
        pan_proto_pack_cstr(pk, pan_proto_op_name((pan_proto_op)i));
    return PAN_OK;
}

static void pack_description(pan_op_ctx *ctx, const pan_vec_env *env,
                             bool with_session) {
    pan_env_spaces sp;
    session_spaces(ctx, env, &sp);
    pan_env_config cfg = pan_vec_env_config(env);
    pan_pack_spaces(pan_proto_reply_field(ctx->rep, "spaces"), &sp);
    pan_pack_metadata(pan_proto_reply_field(ctx->rep, "metadata"), &cfg, &sp,
                      with_session, pan_server_model_name(ctx->srv, cfg.model));
}

pan_status pan_op_describe(pan_op_ctx *ctx) {
    if (ctx->session) {
        pack_description(ctx, ctx->session->env, true);
        return PAN_OK;
    }
    pan_env_config cfg;
    char world[32];
    pan_status st = pan_read_env_config(ctx, &cfg, world, sizeof world);
    if (st != PAN_OK) return st;
    cfg.num_envs = 1;
    pan_vec_env *env = NULL;
    st = pan_vec_env_create(&cfg, &env);
    if (st != PAN_OK) return st;
    pack_description(ctx, env, false);
    pan_vec_env_destroy(env);
    return PAN_OK;
}

pan_status pan_op_make(pan_op_ctx *ctx) {
    pan_server *srv = ctx->srv;
    pan_env_config cfg;
    char world[32];
    pan_status st = pan_read_env_config(ctx, &cfg, world, sizeof world);
    if (st != PAN_OK) return st;

    /* Reserve a place first, so that the env is not built for nothing. */
    pthread_mutex_lock(&srv->lock);
    int live = srv->sessions.count + srv->sessions.making;
    bool room = live < srv->opt.limits.max_sessions;
    if (room) srv->sessions.making++;
    pthread_mutex_unlock(&srv->lock);
    if (!room)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "MAKE: %d sessions "
                             "live, max_sessions is %d (CLOSE one, or wait "
                             "for idle ones to expire)", live,
                             srv->opt.limits.max_sessions);

    pan_session *s = calloc(1, sizeof *s);
    if (!s) st = pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "MAKE: out of memory");
    if (st == PAN_OK) st = pan_vec_env_create(&cfg, &s->env);
    pthread_mutex_lock(&srv->lock);
    srv->sessions.making--;
    if (st == PAN_OK) st = pan_session_new_id(&srv->sessions, &s->id);
    if (st == PAN_OK) {
        s->last_seen = s->last_done = pan_server_now();
        s->requests = 1;
        s->busy = true; /* ours until the reply is packed: not reapable */
        st = pan_session_insert(&srv->sessions, s);
    }
    pthread_mutex_unlock(&srv->lock);
    if (st != PAN_OK) {
        if (s) pan_vec_env_destroy(s->env);
        free(s);
        return st;
    }
    msgpack_packer *pk = pan_proto_reply_field(ctx->rep, "session");
    msgpack_pack_uint64(pk, s->id);
    pk = pan_proto_reply_field(ctx->rep, "num_envs");
    msgpack_pack_int(pk, cfg.num_envs);
    pack_description(ctx, s->env, true);
    pthread_mutex_lock(&srv->lock);
    s->busy = false;
    pthread_mutex_unlock(&srv->lock);
    if (!srv->opt.quiet)
        fprintf(stderr, "pan-server: session %" PRIu64 " made: %s%s x%d\n",
                s->id, cfg.model ? "model " : "",
                cfg.model ? pan_server_model_name(srv, cfg.model) : world,
                cfg.num_envs);
    return PAN_OK;
}

pan_status pan_op_close(pan_op_ctx *ctx) {
    pan_server *srv = ctx->srv;
    pan_session *s = ctx->session;
    pthread_mutex_lock(&srv->lock);
    pan_session_remove(&srv->sessions, s);
    pthread_mutex_unlock(&srv->lock);
    /* Exclusive (busy): nobody else touches the env. */
    pan_vec_env_destroy(s->env);
    s->env = NULL;
    pthread_mutex_lock(&srv->lock);
    pan_session_unref(s); /* the table's reference */
    pthread_mutex_unlock(&srv->lock);
    if (!srv->opt.quiet)
        fprintf(stderr, "pan-server: session %" PRIu64 " closed\n", s->id);
    return PAN_OK;
}

pan_status pan_op_ping(pan_op_ctx *ctx) {
    (void)ctx; /* with a session, finishing the request refreshes its TTL */
    return PAN_OK;
}

pan_status pan_op_stats(pan_op_ctx *ctx) {
    pan_server *srv = ctx->srv;
    pan_proto_reply *rep = ctx->rep;
    double now = pan_server_now();
    pthread_mutex_lock(&srv->lock);
    int sessions = srv->sessions.count;
    pthread_mutex_unlock(&srv->lock);
    double p50, p99;
    pan_stats_latency(&srv->stats, &p50, &p99);
    pthread_mutex_lock(&srv->stats.lock);
    uint64_t requests = srv->stats.requests, errors = srv->stats.errors;
    uint64_t dropped = srv->stats.dropped;
    uint64_t ops[PAN_PROTO_OP_COUNT];
    memcpy(ops, srv->stats.ops, sizeof ops);
    pthread_mutex_unlock(&srv->stats.lock);

    msgpack_packer *pk = pan_proto_reply_field(rep, "uptime_s");
    msgpack_pack_double(pk, now - srv->t_start);
    msgpack_pack_uint64(pan_proto_reply_field(rep, "sessions"), (uint64_t)sessions);
    msgpack_pack_uint64(pan_proto_reply_field(rep, "requests"), requests);
    msgpack_pack_uint64(pan_proto_reply_field(rep, "errors"), errors);
    msgpack_pack_uint64(pan_proto_reply_field(rep, "dropped_replies"), dropped);
    pk = pan_proto_reply_field(rep, "ops");
    msgpack_pack_map(pk, PAN_PROTO_OP_COUNT);
    for (int i = 0; i < PAN_PROTO_OP_COUNT; i++) {
        pan_proto_pack_cstr(pk, pan_proto_op_name((pan_proto_op)i));
        msgpack_pack_uint64(pk, ops[i]);
    }
    pk = pan_proto_reply_field(rep, "latency_us");
    msgpack_pack_map(pk, 2);
    pan_proto_pack_cstr(pk, "p50");
    msgpack_pack_double(pk, p50);
    pan_proto_pack_cstr(pk, "p99");
    msgpack_pack_double(pk, p99);
    pan_session *s = ctx->session;
    if (!s) return PAN_OK;
    pan_env_config cfg = pan_vec_env_config(s->env);
    pthread_mutex_lock(&srv->lock);
    uint64_t s_requests = s->requests;
    double idle = now - s->last_done;
    pthread_mutex_unlock(&srv->lock);
    pk = pan_proto_reply_field(rep, "session");
    msgpack_pack_map(pk, 4);
    pan_proto_pack_cstr(pk, "num_envs");
    msgpack_pack_int(pk, cfg.num_envs);
    pan_proto_pack_cstr(pk, "snapshots");
    msgpack_pack_int(pk, pan_vec_env_snapshot_count(s->env));
    pan_proto_pack_cstr(pk, "requests");
    msgpack_pack_uint64(pk, s_requests);
    pan_proto_pack_cstr(pk, "idle_ms");
    msgpack_pack_uint64(pk, (uint64_t)(idle > 0 ? idle * 1000.0 : 0));
    return PAN_OK;
}
