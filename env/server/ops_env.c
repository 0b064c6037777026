/* env/server/ops_env.c: the ops on a session's live envs: RESET, STEP,
 * SAMPLE, RENDER (docs/protocol.md). Each handler validates every field
 * and the reply size before it calls the env; observations are written by
 * the env straight into the reply's blob frames. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/server/server_internal.h"

static pan_status oom(const pan_op_ctx *ctx) {
    return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "%s: out of memory",
                         ctx->req->op_name);
}

static int max_text(const pan_op_ctx *ctx) {
    int m = ctx->srv->opt.limits.max_text_bytes;
    return m < PAN_ENV_ACTION_MAX ? m : PAN_ENV_ACTION_MAX;
}

static void pack_infos(msgpack_packer *pk, int n, const pan_env_info *infos,
                       const bool *present) {
    msgpack_pack_array(pk, (size_t)n);
    for (int i = 0; i < n; i++) {
        if (present && !present[i]) msgpack_pack_nil(pk);
        else pan_proto_pack_info(pk, &infos[i], 0);
    }
}

/* ---- RESET ---------------------------------------------------------------- */

/* seed: nil, a uint64 s (env i gets s + i), or an array of N uint64. */
static pan_status read_seeds(pan_op_ctx *ctx, int n, uint64_t *seeds,
                             bool *given) {
    const msgpack_object *o;
    *given = false;
    pan_status st = pan_proto_field(ctx->req, "seed", false, &o);
    if (st != PAN_OK || !o) return st;
    if (o->type == MSGPACK_OBJECT_ARRAY) {
        const msgpack_object *items;
        st = pan_proto_obj_array(ctx->req, "seed", o, n, n, &items, NULL);
        for (int i = 0; st == PAN_OK && i < n; i++) {
            char name[32];
            snprintf(name, sizeof name, "seed[%d]", i);
            st = pan_proto_obj_u64(ctx->req, name, &items[i], &seeds[i]);
        }
    } else if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        for (int i = 0; i < n; i++) seeds[i] = o->via.u64 + (uint64_t)i;
    } else {
        char found[64];
        pan_proto_describe(o, found, sizeof found);
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "RESET: field 'seed' "
                             "must be nil, a uint64 or an array of %d uint64, "
                             "found %s", n, found);
    }
    *given = st == PAN_OK;
    return st;
}

/* options.reset_mask: an array of N bools or a b1 tensor (N). */
static pan_status read_mask(pan_op_ctx *ctx, const msgpack_object *o, int n,
                            bool *mask) {
    if (o->type == MSGPACK_OBJECT_MAP) {
        pan_proto_tensor t;
        pan_status st = pan_proto_obj_tensor(ctx->req, "options.reset_mask", o, &t);
        uint64_t shape[1] = {(uint64_t)n};
        if (st == PAN_OK)
            st = pan_proto_tensor_expect(ctx->req, "options.reset_mask", &t,
                                         PAN_PROTO_B1, 1, shape);
        if (st != PAN_OK) return st;
        for (int i = 0; i < n; i++) mask[i] = t.data[i] != 0;
    } else {
        const msgpack_object *items;
        if (o->type != MSGPACK_OBJECT_ARRAY ||
            o->via.array.size != (uint32_t)n) {
            char found[64];
            pan_proto_describe(o, found, sizeof found);
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "RESET: field "
                                 "'options.reset_mask' must be an array of %d "
                                 "booleans or a tensor b1 (%d), found %s", n,
                                 n, found);
        }
        items = o->via.array.ptr;
        for (int i = 0; i < n; i++) {
            char name[48];
            snprintf(name, sizeof name, "options.reset_mask[%d]", i);
            pan_status st = pan_proto_obj_bool(ctx->req, name, &items[i], &mask[i]);
            if (st != PAN_OK) return st;
        }
    }
    for (int i = 0; i < n; i++)
        if (mask[i]) return PAN_OK;
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "RESET: field "
                         "'options.reset_mask' must have at least one true "
                         "entry, found none");
}

pan_status pan_op_reset(pan_op_ctx *ctx) {
    pan_vec_env *env = ctx->session->env;
    pan_env_config cfg = pan_vec_env_config(env);
    pan_env_spaces sp;
    pan_vec_env_spaces(env, &sp);
    int n = cfg.num_envs;
    uint64_t *seeds = calloc((size_t)n, sizeof *seeds);      /* (N) */
    bool *mask = calloc((size_t)n, sizeof *mask);            /* (N) */
    pan_env_info *infos = calloc((size_t)n, sizeof *infos);  /* (N) */
    pan_status st = seeds && mask && infos ? PAN_OK : oom(ctx);
    bool seeded = false, masked = false;
    char task[PAN_ENV_TASK_TEXT_MAX];
    bool has_task = false;
    const uint8_t *initial = NULL; /* (N, H, W, 3) in the request */
    if (st == PAN_OK) st = read_seeds(ctx, n, seeds, &seeded);
    const msgpack_object *options = NULL;
    if (st == PAN_OK) st = pan_proto_field(ctx->req, "options", false, &options);
    if (st == PAN_OK && options && options->type != MSGPACK_OBJECT_MAP)
        st = pan_error_set(PAN_ERR_INVALID_ARGUMENT, "RESET: field 'options' "
                           "must be a map (task, reset_mask, "
                           "initial_frames)");
    if (st == PAN_OK && options) {
        bool dup = false;
        const msgpack_object *o = pan_proto_map_find(options, "task", &dup);
        size_t cap = (size_t)max_text(ctx);
        if (cap > sizeof task - 1) cap = sizeof task - 1;
        pan_proto_str s;
        if (dup)
            st = pan_error_set(PAN_ERR_INVALID_ARGUMENT, "RESET: field "
                               "'options.task' is given twice");
        else if (o && o->type != MSGPACK_OBJECT_NIL) {
            st = pan_proto_obj_str(ctx->req, "options.task", o, cap, &s);
            if (st == PAN_OK) pan_proto_str_copy(s, task, sizeof task);
            has_task = st == PAN_OK;
        }
        o = pan_proto_map_find(options, "reset_mask", &dup);
        if (st == PAN_OK && dup)
            st = pan_error_set(PAN_ERR_INVALID_ARGUMENT, "RESET: field "
                               "'options.reset_mask' is given twice");
        else if (st == PAN_OK && o && o->type != MSGPACK_OBJECT_NIL) {
            st = read_mask(ctx, o, n, mask);
            masked = st == PAN_OK;
        }
        o = pan_proto_map_find(options, "initial_frames", &dup);
        if (st == PAN_OK && dup)
            st = pan_error_set(PAN_ERR_INVALID_ARGUMENT, "RESET: field "
                               "'options.initial_frames' is given twice");
        else if (st == PAN_OK && o && o->type != MSGPACK_OBJECT_NIL) {
            pan_proto_tensor t;
            uint64_t shape[4] = {(uint64_t)n, (uint64_t)cfg.world_config.height,
                                 (uint64_t)cfg.world_config.width, 3};
            st = pan_proto_obj_tensor(ctx->req, "options.initial_frames", o, &t);
            if (st == PAN_OK)
                st = pan_proto_tensor_expect(ctx->req, "options.initial_frames",
                                             &t, PAN_PROTO_U1, 4, shape);
            if (st == PAN_OK) initial = t.data;
        }
    }
    if (st == PAN_OK) st = pan_proto_request_check_blobs(ctx->req);
    if (st == PAN_OK)
        st = pan_reply_check_size(ctx, (uint64_t)n * (pan_obs_bytes(&sp) +
                                                      pan_proto_info_bound()) +
                                           4096);
    pan_obs_batch obs;
    if (st == PAN_OK) st = pan_reply_obs(ctx, "obs", n, &sp, &obs);
    if (st == PAN_OK) {
        pan_reset_options opts = {.task = has_task ? task : NULL,
                                  .mask = masked ? mask : NULL,
                                  .initial_frames = initial};
        st = pan_vec_env_reset(env, seeded ? seeds : NULL, &opts, &obs, infos);
    }
    if (st == PAN_OK)
        pack_infos(pan_proto_reply_field(ctx->rep, "infos"), n, infos,
                   masked ? mask : NULL);
    free(seeds);
    free(mask);
    free(infos);
    return st;
}

/* ---- STEP ------------------------------------------------------------------ */

pan_status pan_op_step(pan_op_ctx *ctx) {
    pan_vec_env *env = ctx->session->env;
    pan_env_config cfg = pan_vec_env_config(env);
    pan_env_spaces sp;
    pan_vec_env_spaces(env, &sp);
    int n = cfg.num_envs;
    bool same = cfg.autoreset_mode == PAN_AUTORESET_SAME_STEP;
    size_t cap = (size_t)max_text(ctx);
    size_t obs_bytes = pan_obs_bytes(&sp);

    const msgpack_object *o;
    pan_status st = pan_proto_field(ctx->req, "actions", true, &o);
    if (st != PAN_OK) return st;
    pan_proto_str *texts = calloc((size_t)n, sizeof *texts); /* (N) */
    char *text_buf = calloc((size_t)n, cap + 1);      /* (N, cap + 1) */
    const char **actions = calloc((size_t)n, sizeof *actions); /* (N) */
    float *rewards = calloc((size_t)n, sizeof *rewards);       /* (N) */
    bool *flags = calloc(3 * (size_t)n, sizeof *flags); /* term, trunc, final */
    pan_env_info *infos = calloc(2 * (size_t)n, sizeof *infos); /* + finals */
    /* SAME_STEP final observations: latent (N, Q, D), then frames
     * (N, K, H, W, 3). */
    uint8_t *final_buf = same ? malloc((size_t)n * obs_bytes) : NULL;
    st = texts && text_buf && actions && rewards && flags && infos &&
                 (!same || final_buf)
             ? PAN_OK
             : oom(ctx);
    if (st == PAN_OK) st = pan_proto_obj_str_array(ctx->req, "actions", o, n, cap, texts);
    for (int i = 0; st == PAN_OK && i < n; i++) {
        pan_proto_str_copy(texts[i], text_buf + (size_t)i * (cap + 1), cap + 1);
        actions[i] = text_buf + (size_t)i * (cap + 1);
    }
    uint64_t per_env = obs_bytes + pan_proto_info_bound() + 16;
    if (same) per_env += obs_bytes + pan_proto_info_bound() + 256;
    if (st == PAN_OK) st = pan_reply_check_size(ctx, (uint64_t)n * per_env + 4096);
    pan_obs_batch obs, final_obs = {0};
    if (same && final_buf) {
        size_t q = (size_t)(sp.latent.shape[0] * sp.latent.shape[1]);
        final_obs.latent = (float *)final_buf;                 /* (N, Q, D) */
        final_obs.frames = sp.has_frames
                               ? final_buf + (size_t)n * q * sizeof(float)
                               : NULL;                         /* (N, K, H, W, 3) */
    }
    if (st == PAN_OK) st = pan_reply_obs(ctx, "obs", n, &sp, &obs);
    bool *terminated = flags;     /* (N) */
    bool *truncated = flags + n;  /* (N) */
    bool *has_final = flags + 2 * n; /* (N) */
    if (st == PAN_OK)
        st = pan_vec_env_step(env, actions, &obs, rewards, terminated,
                              truncated, infos, same ? &final_obs : NULL,
                              same ? infos + n : NULL, same ? has_final : NULL);
    if (st == PAN_OK) {
        pan_proto_reply *rep = ctx->rep;
        msgpack_packer *pk = pan_proto_reply_field(rep, "reward");
        msgpack_pack_array(pk, (size_t)n);
        for (int i = 0; i < n; i++) msgpack_pack_float(pk, rewards[i]);
        const char *names[2] = {"terminated", "truncated"};
        for (int f = 0; f < 2; f++) {
            pk = pan_proto_reply_field(rep, names[f]);
            msgpack_pack_array(pk, (size_t)n);
            for (int i = 0; i < n; i++) {
                if (flags[f * n + i]) msgpack_pack_true(pk);
                else msgpack_pack_false(pk);
            }
        }
        pk = pan_proto_reply_field(rep, "infos");
        msgpack_pack_array(pk, (size_t)n);
        for (int i = 0; i < n && st == PAN_OK; i++) {
            bool fin = same && has_final[i];
            pan_proto_pack_info(pk, &infos[i], fin ? 2 : 0);
            if (!fin) continue;
            pan_proto_pack_cstr(pk, "final_obs");
            st = pan_reply_obs_one(ctx, pk, &sp, &final_obs, i);
            pan_proto_pack_cstr(pk, "final_info");
            pan_proto_pack_info(pk, &infos[n + i], 0);
        }
    }
    free(texts);
    free(text_buf);
    free(actions);
    free(rewards);
    free(flags);
    free(infos);
    free(final_buf);
    return st;
}

/* ---- SAMPLE ------------------------------------------------------------------ */

pan_status pan_op_sample(pan_op_ctx *ctx) {
    pan_vec_env *env = ctx->session->env;
    int n = pan_vec_env_config(env).num_envs;
    pan_proto_str s;
    bool present = false;
    pan_status st = pan_proto_get_str(ctx->req, "split", false, 16, &s, &present);
    if (st != PAN_OK) return st;
    pan_split split = PAN_SPLIT_TRAIN;
    if (present) {
        if (pan_proto_str_eq(s, "train")) split = PAN_SPLIT_TRAIN;
        else if (pan_proto_str_eq(s, "heldout")) split = PAN_SPLIT_HELDOUT;
        else if (pan_proto_str_eq(s, "any")) split = PAN_SPLIT_ANY;
        else
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "SAMPLE: field "
                                 "'split' must be \"train\", \"heldout\" or "
                                 "\"any\"");
    }
    size_t size = PAN_ENV_ACTION_MAX + 1;
    char *buf = calloc((size_t)n, size);           /* (N, size) */
    char **actions = calloc((size_t)n, sizeof *actions); /* (N) into buf */
    st = buf && actions ? PAN_OK : oom(ctx);
    for (int i = 0; st == PAN_OK && i < n; i++) actions[i] = buf + (size_t)i * size;
    if (st == PAN_OK)
        st = pan_reply_check_size(ctx, (uint64_t)n * (size + 8) + 1024);
    if (st == PAN_OK)
        st = pan_vec_env_sample_actions(env, split, (char *const *)actions, size);
    if (st == PAN_OK) {
        msgpack_packer *pk = pan_proto_reply_field(ctx->rep, "actions");
        msgpack_pack_array(pk, (size_t)n);
        for (int i = 0; i < n; i++) pan_proto_pack_cstr(pk, actions[i]);
    }
    free(buf);
    free(actions);
    return st;
}

/* ---- RENDER ------------------------------------------------------------------ */

pan_status pan_op_render(pan_op_ctx *ctx) {
    pan_vec_env *env = ctx->session->env;
    pan_env_config cfg = pan_vec_env_config(env);
    int n = cfg.num_envs;
    int64_t which = -1;
    pan_status st = pan_proto_get_int(ctx->req, "env", false, 0, n - 1, &which);
    if (st != PAN_OK) return st;
    uint64_t H = (uint64_t)cfg.world_config.height;
    uint64_t W = (uint64_t)cfg.world_config.width;
    uint64_t frame_bytes = H * W * 3;
    int count = which >= 0 ? 1 : n;
    st = pan_reply_check_size(ctx, (uint64_t)count * frame_bytes + 1024);
    if (st != PAN_OK) return st;
    uint8_t *frames;                               /* (count, H, W, 3) */
    msgpack_packer *pk = pan_proto_reply_field(ctx->rep, "frames");
    (void)pk;
    if (which >= 0) {
        uint64_t shape[3] = {H, W, 3};
        frames = pan_proto_reply_tensor(ctx->rep, PAN_PROTO_U1, 3, shape);
    } else {
        uint64_t shape[4] = {(uint64_t)n, H, W, 3};
        frames = pan_proto_reply_tensor(ctx->rep, PAN_PROTO_U1, 4, shape);
    }
    if (!frames) return oom(ctx);
    for (int i = 0; i < count && st == PAN_OK; i++)
        st = pan_vec_env_render(env, which >= 0 ? (int)which : i,
                                frames + (size_t)i * frame_bytes);
    return st;
}
