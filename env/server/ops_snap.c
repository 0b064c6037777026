/* env/server/ops_snap.c: the ops on snapshots: FORK, RESTORE, ROLLOUT,
 * RELEASE (docs/protocol.md). ROLLOUT checks its reply size (with frames:
 * B x T chunks) before it runs anything and writes the env's outputs
 * straight into the reply's blob frames. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/server/server_internal.h"

/* The env writes bool flags straight into b1 blobs. */
_Static_assert(sizeof(bool) == 1, "b1 blobs hold C bools");

static pan_status oom(const pan_op_ctx *ctx) {
    return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "%s: out of memory",
                         ctx->req->op_name);
}

static void pack_ids(msgpack_packer *pk, int n, const uint64_t *ids) {
    msgpack_pack_array(pk, (size_t)n);
    for (int i = 0; i < n; i++) msgpack_pack_uint64(pk, ids[i]);
}

pan_status pan_op_fork(pan_op_ctx *ctx) {
    pan_vec_env *env = ctx->session->env;
    int N = pan_vec_env_config(env).num_envs;
    int *idx = NULL, n = 0;
    pan_status st = pan_read_env_indices(ctx, "envs", N, false, &idx, &n);
    if (st != PAN_OK) return st;
    if (!idx) { /* all envs */
        if (N > ctx->srv->opt.limits.max_batch)
            return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "FORK: forking "
                                 "all %d envs, max_batch is %d (give 'envs')",
                                 N, ctx->srv->opt.limits.max_batch);
        n = N;
        idx = malloc((size_t)n * sizeof *idx);
        if (!idx) return oom(ctx);
        for (int i = 0; i < n; i++) idx[i] = i;
    }
    uint64_t *ids = calloc((size_t)n, sizeof *ids); /* (n) */
    st = ids ? PAN_OK : oom(ctx);
    if (st == PAN_OK) st = pan_vec_env_fork(env, n, idx, ids);
    if (st == PAN_OK) pack_ids(pan_proto_reply_field(ctx->rep, "state_ids"), n, ids);
    free(idx);
    free(ids);
    return st;
}

pan_status pan_op_restore(pan_op_ctx *ctx) {
    pan_vec_env *env = ctx->session->env;
    int N = pan_vec_env_config(env).num_envs;
    pan_env_spaces sp;
    pan_vec_env_spaces(env, &sp);
    int *idx = NULL, n = 0, n_ids = 0; /* idx (n) */
    uint64_t *ids = NULL;              /* (n) */
    pan_env_info *infos = NULL;       /* (N) */
    bool *restored = NULL;             /* (N) */
    pan_status st = pan_read_env_indices(ctx, "envs", N, true, &idx, &n);
    if (st == PAN_OK) st = pan_read_state_ids(ctx, "state_ids", n, &ids, &n_ids);
    if (st == PAN_OK)
        st = pan_reply_check_size(ctx, (uint64_t)N * (pan_obs_bytes(&sp) +
                                                      pan_proto_info_bound()) +
                                           4096);
    if (st == PAN_OK) {
        infos = calloc((size_t)N, sizeof *infos);
        restored = calloc((size_t)N, sizeof *restored);
        if (!infos || !restored) st = oom(ctx);
    }
    pan_obs_batch obs;
    if (st == PAN_OK) st = pan_reply_obs(ctx, "obs", N, &sp, &obs);
    if (st == PAN_OK) st = pan_vec_env_restore(env, n, idx, ids, &obs, infos);
    if (st == PAN_OK) {
        for (int j = 0; j < n; j++) restored[idx[j]] = true;
        msgpack_packer *pk = pan_proto_reply_field(ctx->rep, "infos");
        msgpack_pack_array(pk, (size_t)N);
        for (int i = 0; i < N; i++) {
            if (restored[i]) pan_proto_pack_info(pk, &infos[i], 0);
            else msgpack_pack_nil(pk);
        }
    }
    free(idx);
    free(ids);
    free(infos);
    free(restored);
    return st;
}

pan_status pan_op_release(pan_op_ctx *ctx) {
    uint64_t *ids = NULL; /* (n) */
    int n = 0;
    pan_status st = pan_read_state_ids(ctx, "state_ids", 0, &ids, &n);
    if (st == PAN_OK) st = pan_vec_env_release(ctx->session->env, n, ids);
    if (st == PAN_OK)
        msgpack_pack_int(pan_proto_reply_field(ctx->rep, "released"), n);
    free(ids);
    return st;
}

/* actions: B rows of T strings, the same T >= 1 for every row. */
static pan_status read_rows(pan_op_ctx *ctx, int B, int *T_out,
                            char **buf_out, const char ***actions_out) {
    const pan_server_limits *lim = &ctx->srv->opt.limits;
    const msgpack_object *o, *rows;
    pan_status st = pan_proto_field(ctx->req, "actions", true, &o);
    if (st != PAN_OK) return st;
    st = pan_proto_obj_array(ctx->req, "actions", o, B, B, &rows, NULL);
    if (st != PAN_OK) return st;
    if (rows[0].type != MSGPACK_OBJECT_ARRAY || rows[0].via.array.size < 1) {
        char found[64];
        pan_proto_describe(&rows[0], found, sizeof found);
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "ROLLOUT: field "
                             "'actions[0]' must be an array of T >= 1 "
                             "strings, found %s", found);
    }
    int64_t T = rows[0].via.array.size;
    if (T > lim->max_horizon)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "ROLLOUT: rows of "
                             "%" PRId64 " steps, max_horizon is %d", T,
                             lim->max_horizon);
    size_t cap = (size_t)(lim->max_text_bytes < PAN_ENV_ACTION_MAX
                              ? lim->max_text_bytes
                              : PAN_ENV_ACTION_MAX);
    size_t count = (size_t)B * (size_t)T;
    pan_proto_str *texts = calloc(count, sizeof *texts); /* (B, T) */
    char *buf = calloc(count, cap + 1);            /* (B, T, cap + 1) */
    const char **actions = calloc(count, sizeof *actions); /* (B, T) */
    st = texts && buf && actions ? PAN_OK : oom(ctx);
    for (int b = 0; st == PAN_OK && b < B; b++) {
        char name[32];
        snprintf(name, sizeof name, "actions[%d]", b);
        st = pan_proto_obj_str_array(ctx->req, name, &rows[b], T, cap,
                                     texts + (size_t)b * (size_t)T);
    }
    for (size_t i = 0; st == PAN_OK && i < count; i++) {
        pan_proto_str_copy(texts[i], buf + i * (cap + 1), cap + 1);
        actions[i] = buf + i * (cap + 1);
    }
    free(texts);
    if (st != PAN_OK) {
        free(buf);
        free(actions);
        return st;
    }
    *T_out = (int)T;
    *buf_out = buf;
    *actions_out = actions;
    return PAN_OK;
}

pan_status pan_op_rollout(pan_op_ctx *ctx) {
    pan_vec_env *env = ctx->session->env;
    pan_env_config cfg = pan_vec_env_config(env);
    pan_env_spaces sp;
    pan_vec_env_spaces(env, &sp);
    uint64_t *ids = NULL; /* (B) */
    int B = 0, T = 0;
    char *buf = NULL;
    const char **actions = NULL;
    bool with_frames = false;
    pan_status st = pan_read_state_ids(ctx, "state_ids", 0, &ids, &B);
    if (st == PAN_OK) st = read_rows(ctx, B, &T, &buf, &actions);
    if (st == PAN_OK) st = pan_proto_get_bool(ctx->req, "frames", false, &with_frames);
    uint64_t Q = (uint64_t)sp.latent.shape[0], D = (uint64_t)sp.latent.shape[1];
    uint64_t K = (uint64_t)cfg.world_config.frames_per_step;
    uint64_t H = (uint64_t)cfg.world_config.height;
    uint64_t W = (uint64_t)cfg.world_config.width;
    uint64_t BT = (uint64_t)B * (uint64_t)T;
    if (st == PAN_OK)
        st = pan_reply_check_size(ctx, BT * (4 + 1 + 1 + Q * D * 4 +
                                             (with_frames ? K * H * W * 3 : 0)) +
                                           4096);
    pan_rollout_out out = {0};
    if (st == PAN_OK) {
        pan_proto_reply *rep = ctx->rep;
        uint64_t s2[2] = {(uint64_t)B, (uint64_t)T};
        uint64_t s4[4] = {(uint64_t)B, (uint64_t)T, Q, D};
        uint64_t s6[6] = {(uint64_t)B, (uint64_t)T, K, H, W, 3};
        pan_proto_reply_field(rep, "reward");
        out.rewards = pan_proto_reply_tensor(rep, PAN_PROTO_F4, 2, s2);
        pan_proto_reply_field(rep, "terminated");
        out.terminated = pan_proto_reply_tensor(rep, PAN_PROTO_B1, 2, s2);
        pan_proto_reply_field(rep, "truncated");
        out.truncated = pan_proto_reply_tensor(rep, PAN_PROTO_B1, 2, s2);
        pan_proto_reply_field(rep, "latent");
        out.latents = pan_proto_reply_tensor(rep, PAN_PROTO_F4, 4, s4);
        if (with_frames) {
            pan_proto_reply_field(rep, "frames");
            out.frames = pan_proto_reply_tensor(rep, PAN_PROTO_U1, 6, s6);
        }
        if (rep->oom) st = oom(ctx);
    }
    if (st == PAN_OK) st = pan_vec_env_rollout(env, B, ids, T, actions, &out);
    free(ids);
    free(buf);
    free(actions);
    return st;
}
