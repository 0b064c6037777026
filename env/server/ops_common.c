/* env/server/ops_common.c: what several op handlers share: observation
 * blobs, the reply-size check, spaces and metadata, and the env-config,
 * env-index and state-id fields. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/model.h"
#include "env/server/server_internal.h"
#include "env/task.h"

size_t pan_obs_bytes(const pan_env_spaces *sp) {
    size_t latent = (size_t)(sp->latent.shape[0] * sp->latent.shape[1]) * 4;
    if (!sp->has_frames) return latent;
    size_t frames = 1;
    for (int i = 0; i < sp->frames.rank; i++) frames *= (size_t)sp->frames.shape[i];
    return frames + latent;
}

pan_status pan_reply_check_size(const pan_op_ctx *ctx, uint64_t bytes) {
    uint64_t max = ctx->srv->opt.limits.max_reply_bytes;
    if (bytes > max)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "%s: the reply would "
                             "take %llu bytes, max_reply_bytes is %llu (ask "
                             "for fewer envs, rows or steps, or no frames)",
                             ctx->req->op_name, (unsigned long long)bytes,
                             (unsigned long long)max);
    return PAN_OK;
}

static pan_status oom(const pan_op_ctx *ctx) {
    return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "%s: out of memory for "
                         "the reply", ctx->req->op_name);
}

/* Packs {frames?, latent} with a leading dimension `lead` (0: none) and
 * allocates the blobs; returns their buffers. */
static pan_status pack_obs(pan_op_ctx *ctx, msgpack_packer *pk, int lead,
                           const pan_env_spaces *sp,
                           uint8_t **frames, /* ([lead,] K, H, W, 3) */
                           float **latent) { /* ([lead,] Q, D) */
    pan_proto_reply *rep = ctx->rep;
    uint64_t shape[6];
    int r = 0;
    msgpack_pack_map(pk, sp->has_frames ? 2 : 1);
    *frames = NULL;
    if (sp->has_frames) {
        if (lead) shape[r++] = (uint64_t)lead;
        for (int i = 0; i < sp->frames.rank; i++)
            shape[r++] = (uint64_t)sp->frames.shape[i];
        pan_proto_pack_cstr(pk, "frames");
        *frames = pan_proto_reply_tensor(rep, PAN_PROTO_U1, r, shape);
        if (!*frames) return oom(ctx);
    }
    r = 0;
    if (lead) shape[r++] = (uint64_t)lead;
    shape[r++] = (uint64_t)sp->latent.shape[0];
    shape[r++] = (uint64_t)sp->latent.shape[1];
    pan_proto_pack_cstr(pk, "latent");
    *latent = pan_proto_reply_tensor(rep, PAN_PROTO_F4, r, shape);
    if (!*latent) return oom(ctx);
    return PAN_OK;
}

pan_status pan_reply_obs(pan_op_ctx *ctx, const char *key, int n,
                         const pan_env_spaces *sp, pan_obs_batch *obs) {
    msgpack_packer *pk = pan_proto_reply_field(ctx->rep, key);
    return pack_obs(ctx, pk, n, sp, &obs->frames, &obs->latent);
}

pan_status pan_reply_obs_one(pan_op_ctx *ctx, msgpack_packer *pk,
                             const pan_env_spaces *sp,
                             const pan_obs_batch *batch, int i) {
    uint8_t *frames; /* (K, H, W, 3) or NULL */
    float *latent;   /* (Q, D) */
    pan_status st = pack_obs(ctx, pk, 0, sp, &frames, &latent);
    if (st != PAN_OK) return st;
    size_t q = (size_t)(sp->latent.shape[0] * sp->latent.shape[1]);
    memcpy(latent, batch->latent + (size_t)i * q, q * sizeof *latent);
    if (frames) {
        size_t f = pan_obs_bytes(sp) - q * sizeof(float);
        memcpy(frames, batch->frames + (size_t)i * f, f);
    }
    return PAN_OK;
}

/* ---- spaces and metadata ------------------------------------------------- */

static void pack_box(msgpack_packer *pk, const pan_box_space *box) {
    msgpack_pack_map(pk, 5);
    pan_proto_pack_cstr(pk, "type");
    pan_proto_pack_cstr(pk, "box");
    pan_proto_pack_cstr(pk, "dtype");
    pan_proto_pack_cstr(pk, box->dtype == PAN_SPACE_U8 ? "u1" : "f4");
    pan_proto_pack_cstr(pk, "shape");
    msgpack_pack_array(pk, (size_t)box->rank);
    for (int i = 0; i < box->rank; i++) msgpack_pack_int64(pk, box->shape[i]);
    /* Integral finite bounds as integers (0, 255), others as floats. */
    double bounds[2] = {box->low, box->high};
    const char *names[2] = {"low", "high"};
    for (int i = 0; i < 2; i++) {
        pan_proto_pack_cstr(pk, names[i]);
        double b = bounds[i];
        if (isfinite(b) && b == (double)(int64_t)b) msgpack_pack_int64(pk, (int64_t)b);
        else msgpack_pack_double(pk, b);
    }
}

void pan_pack_spaces(msgpack_packer *pk, const pan_env_spaces *sp) {
    msgpack_pack_map(pk, 2);
    pan_proto_pack_cstr(pk, "action");
    msgpack_pack_map(pk, 4);
    pan_proto_pack_cstr(pk, "type");
    pan_proto_pack_cstr(pk, "text");
    pan_proto_pack_cstr(pk, "min_length");
    msgpack_pack_int(pk, sp->action.min_length);
    pan_proto_pack_cstr(pk, "max_length");
    msgpack_pack_int(pk, sp->action.max_length);
    pan_proto_pack_cstr(pk, "charset");
    pan_proto_pack_cstr(pk, sp->action.charset ? sp->action.charset : "");
    pan_proto_pack_cstr(pk, "observation");
    msgpack_pack_map(pk, 2);
    pan_proto_pack_cstr(pk, "type");
    pan_proto_pack_cstr(pk, "dict");
    pan_proto_pack_cstr(pk, "spaces");
    msgpack_pack_map(pk, sp->has_frames ? 2 : 1);
    if (sp->has_frames) {
        pan_proto_pack_cstr(pk, "frames");
        pack_box(pk, &sp->frames);
    }
    pan_proto_pack_cstr(pk, "latent");
    pack_box(pk, &sp->latent);
}

/* What the latent of a ground-truth world is, and which task words the
 * world accepts (a world has tasks when pan_task_create accepts "random"). */
static void world_texts(const char *world, int D, char *latent, size_t lsize,
                        char *tasks, size_t tsize) {
    snprintf(latent, lsize, "the %s world's true-state vector: Q = 1, D = %d "
             "floats (layout in docs/worlds.md)", world, D);
    pan_task *task = NULL;
    if (pan_task_create(world, "random", &task) == PAN_OK) {
        snprintf(tasks, tsize, "none | random | put the <colour> <shape> in "
                 "the <place> (colour: red green blue yellow purple orange; "
                 "shape: square circle triangle; place: top left corner, top "
                 "right corner, bottom left corner, bottom right corner, top "
                 "edge, bottom edge, left edge, right edge, centre)");
        pan_task_destroy(task);
    } else {
        snprintf(tasks, tsize, "none");
    }
}

const char *pan_server_model_name(const pan_server *srv,
                                  const struct pan_model *model) {
    for (int i = 0; model && i < srv->opt.n_models; i++)
        if (srv->opt.models[i].model == model) return srv->opt.models[i].name;
    return NULL;
}

void pan_pack_metadata(msgpack_packer *pk, const pan_env_config *cfg,
                       const pan_env_spaces *sp, bool with_session,
                       const char *model_name) {
    char latent[240], tasks[560];
    const pan_model *m = cfg->model;
    msgpack_pack_map(pk, (with_session ? 11 : 8) + (m ? 3 : 0));
    if (m) {
        pan_proto_pack_cstr(pk, "model");
        pan_proto_pack_cstr(pk, model_name ? model_name : "");
        pan_proto_pack_cstr(pk, "model_trained");
        if (m->trained) msgpack_pack_true(pk);
        else msgpack_pack_false(pk);
        pan_proto_pack_cstr(pk, "model_note");
        pan_proto_pack_cstr(pk, m->note[0] ? m->note
                                : m->trained ? "trained"
                                             : "untrained");
    }
    pan_proto_pack_cstr(pk, "world");
    pan_proto_pack_cstr(pk, cfg->world);
    pan_proto_pack_cstr(pk, "width");
    msgpack_pack_int(pk, cfg->world_config.width);
    pan_proto_pack_cstr(pk, "height");
    msgpack_pack_int(pk, cfg->world_config.height);
    pan_proto_pack_cstr(pk, "frames_per_step");
    msgpack_pack_int(pk, cfg->world_config.frames_per_step);
    pan_proto_pack_cstr(pk, "obs_mode");
    pan_proto_pack_cstr(pk, pan_obs_mode_name(cfg->obs_mode));
    world_texts(cfg->world, (int)sp->latent.shape[1], latent, sizeof latent, tasks, sizeof tasks);
    if (m)
        snprintf(latent, sizeof latent, "the world model's state: s_1 = h(o_1) "
                 "at reset, then the predicted next state; Q = %d, D = %d "
                 "(docs/swin_dpm.md)%s", (int)sp->latent.shape[0],
                 (int)sp->latent.shape[1], m->trained ? "" : "; UNTRAINED model");
    if (m) {
        size_t used = strlen(tasks);
        snprintf(tasks + used, sizeof tasks - used, "; and for the model, "
                 "\"latent: \" before random or a goal: scored by the "
                 "latent's distance to the goal image's latent");
    }
    pan_proto_pack_cstr(pk, "latent");
    pan_proto_pack_cstr(pk, latent);
    pan_proto_pack_cstr(pk, "render_modes");
    msgpack_pack_array(pk, 1);
    pan_proto_pack_cstr(pk, "rgb_array");
    pan_proto_pack_cstr(pk, "tasks");
    pan_proto_pack_cstr(pk, tasks);
    if (!with_session) return;
    pan_proto_pack_cstr(pk, "num_envs");
    msgpack_pack_int(pk, cfg->num_envs);
    pan_proto_pack_cstr(pk, "autoreset_mode");
    pan_proto_pack_cstr(pk, pan_autoreset_mode_name(cfg->autoreset_mode));
    pan_proto_pack_cstr(pk, "max_episode_steps");
    msgpack_pack_int(pk, cfg->max_episode_steps);
}

/* ---- request fields shared by several ops -------------------------------- */

/* 'model': one of the server's models (NOT_FOUND naming the served ones). */
static pan_status read_model(pan_op_ctx *ctx, pan_env_config *cfg) {
    const pan_server_options *o = &ctx->srv->opt;
    pan_proto_str name;
    bool present = false;
    pan_status st = pan_proto_get_str(ctx->req, "model", false,
                                      PAN_SERVER_MODEL_NAME_MAX, &name, &present);
    if (st != PAN_OK || !present) return st;
    const msgpack_object *world = NULL;
    st = pan_proto_field(ctx->req, "world", false, &world);
    if (st != PAN_OK) return st;
    if (world)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "%s: give either "
                             "'world' or 'model', not both",
                             ctx->req->op_name);
    char text[PAN_SERVER_MODEL_NAME_MAX + 1], served[8 * PAN_SERVER_MODEL_NAME_MAX];
    pan_proto_str_copy(name, text, sizeof text);
    size_t used = 0;
    served[0] = 0;
    for (int i = 0; i < o->n_models; i++) {
        if (!strcmp(o->models[i].name, text)) {
            cfg->model = o->models[i].model;
            cfg->model_backend = o->model_backend;
            cfg->model_threads = o->model_threads;
            return PAN_OK;
        }
        used += (size_t)snprintf(served + used, sizeof served - used, "%s%s",
                                 i ? ", " : "", o->models[i].name);
    }
    return pan_error_set(PAN_ERR_NOT_FOUND, "%s: model '%s' not found; this "
                         "server serves %s", ctx->req->op_name, text,
                         o->n_models ? served : "no models (start it with "
                                                "--model FILE)");
}

pan_status pan_read_env_config(pan_op_ctx *ctx, pan_env_config *cfg,
                               char *world, size_t world_size) {
    const pan_proto_request *req = ctx->req;
    const pan_server_limits *lim = &ctx->srv->opt.limits;
    *cfg = pan_env_config_default();
    cfg->max_snapshots = lim->max_snapshots;
    pan_proto_str s;
    bool present = false;
    pan_status st = read_model(ctx, cfg);
    if (st != PAN_OK) return st;
    /* a model env's first frames, tasks and detector: the tabletop world */
    st = pan_proto_get_str(req, "world", !cfg->model, world_size - 1, &s,
                           &present);
    if (st != PAN_OK) return st;
    if (present) pan_proto_str_copy(s, world, world_size);
    else snprintf(world, world_size, "tabletop");
    cfg->world = world;
    int64_t v;
    struct { const char *key; int64_t lo, hi; int *dst; } ints[] = {
        {"width", PAN_WORLD_MIN_SIZE, PAN_WORLD_MAX_SIZE, &cfg->world_config.width},
        {"height", PAN_WORLD_MIN_SIZE, PAN_WORLD_MAX_SIZE, &cfg->world_config.height},
        {"frames_per_step", 1, PAN_WORLD_MAX_FRAMES_PER_STEP,
         &cfg->world_config.frames_per_step},
        {"max_episode_steps", 0, INT32_MAX, &cfg->max_episode_steps},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        v = *ints[i].dst;
        st = pan_proto_get_int(req, ints[i].key, false, ints[i].lo, ints[i].hi, &v);
        if (st != PAN_OK) return st;
        *ints[i].dst = (int)v;
    }
    v = 1;
    st = pan_proto_get_int(req, "num_envs", false, 1, INT32_MAX, &v);
    if (st != PAN_OK) return st;
    if (v > lim->max_envs_per_session)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "%s: field 'num_envs'"
                             " is %" PRId64 ", max_envs_per_session is %d",
                             req->op_name, v, lim->max_envs_per_session);
    cfg->num_envs = (int)v;
    char name[32];
    st = pan_proto_get_str(req, "obs_mode", false, sizeof name - 1, &s, &present);
    if (st != PAN_OK) return st;
    if (present) {
        pan_proto_str_copy(s, name, sizeof name);
        if (pan_obs_mode_parse(name, &cfg->obs_mode) != PAN_OK)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "%s: field "
                                 "'obs_mode' must be \"full\" or \"latent\"",
                                 req->op_name);
    }
    st = pan_proto_get_str(req, "autoreset_mode", false, sizeof name - 1, &s,
                           &present);
    if (st != PAN_OK) return st;
    if (present) {
        pan_proto_str_copy(s, name, sizeof name);
        if (pan_autoreset_mode_parse(name, &cfg->autoreset_mode) != PAN_OK)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "%s: field "
                                 "'autoreset_mode' must be \"next_step\", "
                                 "\"same_step\" or \"disabled\"", req->op_name);
    }
    return PAN_OK;
}

/* An array of 1.. elements; more than max_batch is RESOURCE_EXHAUSTED. */
static pan_status batch_array(pan_op_ctx *ctx, const char *key, bool required,
                              const msgpack_object **items, int *count) {
    const msgpack_object *o;
    *count = 0;
    pan_status st = pan_proto_field(ctx->req, key, required, &o);
    if (st != PAN_OK || !o) return st;
    int64_t n = 0;
    st = pan_proto_obj_array(ctx->req, key, o, -1, INT32_MAX, items, &n);
    if (st != PAN_OK) return st;
    int max = ctx->srv->opt.limits.max_batch;
    if (n > max)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "%s: field '%s' has "
                             "%" PRId64 " elements, max_batch is %d",
                             ctx->req->op_name, key, n, max);
    *count = (int)n;
    return PAN_OK;
}

pan_status pan_read_env_indices(pan_op_ctx *ctx, const char *key, int n_envs,
                                bool required, int **out, int *count) {
    const msgpack_object *items = NULL;
    *out = NULL;
    pan_status st = batch_array(ctx, key, required, &items, count);
    if (st != PAN_OK || *count == 0) return st;
    int *idx = malloc((size_t)*count * sizeof *idx); /* (count) */
    if (!idx) return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "%s: out of "
                                   "memory", ctx->req->op_name);
    for (int i = 0; i < *count; i++) {
        char name[48];
        snprintf(name, sizeof name, "%s[%d]", key, i);
        int64_t v;
        st = pan_proto_obj_int(ctx->req, name, &items[i], 0, n_envs - 1, &v);
        if (st != PAN_OK) {
            free(idx);
            return st;
        }
        idx[i] = (int)v;
    }
    *out = idx;
    return PAN_OK;
}

pan_status pan_read_state_ids(pan_op_ctx *ctx, const char *key, int n,
                              uint64_t **out, int *count) {
    const msgpack_object *items = NULL;
    *out = NULL;
    pan_status st = batch_array(ctx, key, true, &items, count);
    if (st != PAN_OK) return st;
    if (n > 0 && *count != n)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "%s: field '%s' must "
                             "be an array of %d state ids, found an array of "
                             "%d", ctx->req->op_name, key, n, *count);
    uint64_t *ids = malloc((size_t)*count * sizeof *ids); /* (count) */
    if (!ids) return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "%s: out of "
                                   "memory", ctx->req->op_name);
    for (int i = 0; i < *count; i++) {
        char name[48];
        snprintf(name, sizeof name, "%s[%d]", key, i);
        st = pan_proto_obj_u64(ctx->req, name, &items[i], &ids[i]);
        if (st != PAN_OK) {
            free(ids);
            return st;
        }
    }
    *out = ids;
    return PAN_OK;
}
