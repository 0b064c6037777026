/* agents/c/client_ops_env.c: the typed calls that act on a session's
 * environments: RESET, STEP, SAMPLE, RENDER. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "agents/c/client_internal.h"

static void begin_session(pan_client *c, msgpack_packer *pk, uint64_t session) {
    client_pack_str(pk, "session");
    msgpack_pack_uint64(pk, session);
    c->cur_has_session = true;
    c->cur_session = session;
}

pan_status pan_client_reset(pan_client *c, uint64_t session,
                            const pan_client_reset_args *args,
                            pan_client_obs_result *out) {
    if (!c || !out) return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "pan_client_reset: NULL argument");
    pan_client_reset_args none = {0};
    if (!args) args = &none;
    if (args->seed_kind == PAN_CLIENT_SEED_EACH && (!args->seeds || args->n_seeds < 0))
        return client_arg(c, "RESET: SEED_EACH needs seeds and n_seeds >= 0");
    if (args->mask && args->n_mask < 0)
        return client_arg(c, "RESET: n_mask must be >= 0");
    if (args->initial_frames &&
        (args->n_initial < 1 || args->initial_height < 1 ||
         args->initial_width < 1))
        return client_arg(c, "RESET: initial_frames needs n_initial, "
                          "initial_height and initial_width >= 1, found %d, "
                          "%d, %d", args->n_initial, args->initial_height,
                          args->initial_width);
    bool has_options = args->task || args->mask || args->initial_frames;
    msgpack_packer *pk = pan_client_request_begin(
        c, "RESET", 1 + (args->seed_kind != PAN_CLIENT_SEED_NONE) + has_options);
    begin_session(c, pk, session);
    if (args->seed_kind != PAN_CLIENT_SEED_NONE) {
        client_pack_str(pk, "seed");
        if (args->seed_kind == PAN_CLIENT_SEED_NIL) {
            msgpack_pack_nil(pk);
        } else if (args->seed_kind == PAN_CLIENT_SEED_ONE) {
            msgpack_pack_uint64(pk, args->seed);
        } else {
            msgpack_pack_array(pk, (size_t)args->n_seeds);
            for (int i = 0; i < args->n_seeds; i++) msgpack_pack_uint64(pk, args->seeds[i]);
        }
    }
    if (has_options) {
        client_pack_str(pk, "options");
        msgpack_pack_map(pk, (args->task != NULL) + (args->mask != NULL) +
                                 (args->initial_frames != NULL));
        if (args->task) {
            client_pack_str(pk, "task");
            client_pack_str(pk, args->task);
        }
        if (args->mask) {
            client_pack_str(pk, "reset_mask");
            if (args->mask_as_tensor) {
                int64_t shape[1] = {args->n_mask};
                pan_status s = pan_client_request_tensor(c, PAN_CLIENT_B1, 1, shape, args->mask);
                if (s != PAN_OK) return s;
            } else {
                msgpack_pack_array(pk, (size_t)args->n_mask);
                for (int i = 0; i < args->n_mask; i++) {
                    if (args->mask[i]) msgpack_pack_true(pk);
                    else msgpack_pack_false(pk);
                }
            }
        }
        if (args->initial_frames) {
            client_pack_str(pk, "initial_frames");
            int64_t shape[4] = {args->n_initial, args->initial_height,
                                args->initial_width, 3};
            pan_status s = pan_client_request_tensor(c, PAN_CLIENT_U1, 4, shape,
                                                     args->initial_frames);
            if (s != PAN_OK) return s;
        }
    }
    pan_status s = pan_client_request_send(c);
    if (s != PAN_OK) return s;
    int n = args->mask ? args->n_mask
                       : args->seed_kind == PAN_CLIENT_SEED_EACH ? args->n_seeds : -1;
    const msgpack_object *v;
    if ((s = rd_field(c, c->reply, "obs", &v)) != PAN_OK ||
        (s = client_read_obs(c, v, "obs", n, &out->obs)) != PAN_OK)
        return s;
    if ((s = rd_field(c, c->reply, "infos", &v)) != PAN_OK ||
        (s = client_read_infos(c, v, "infos", out->obs.n, args->mask != NULL,
                               &out->obs)) != PAN_OK)
        return s;
    for (int i = 0; i < out->obs.n; i++) {
        bool reset = !args->mask || args->mask[i];
        if (c->infos[i].present != reset)
            return client_bad(c, "infos[%d] is %s but env %d was %sreset", i,
                              c->infos[i].present ? "an info" : "nil", i,
                              reset ? "" : "not ");
        if (reset && (!c->infos[i].is_reset || c->infos[i].has_final))
            return client_bad(c, "infos[%d] of a reset must have is_reset true and "
                              "no final_obs", i);
    }
    out->infos = c->infos;
    return PAN_OK;
}

pan_status pan_client_step(pan_client *c, uint64_t session, int n,
                           const char *const *actions,
                           pan_client_step_result *out) {
    if (!c || !out || (n > 0 && !actions) || n < 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "pan_client_step: bad argument");
    for (int i = 0; i < n; i++)
        if (!actions[i]) return client_arg(c, "STEP: actions[%d] is NULL", i);
    msgpack_packer *pk = pan_client_request_begin(c, "STEP", 2);
    begin_session(c, pk, session);
    client_pack_str(pk, "actions");
    msgpack_pack_array(pk, (size_t)n);
    for (int i = 0; i < n; i++) client_pack_str(pk, actions[i]);
    pan_status s = pan_client_request_send(c);
    if (s != PAN_OK) return s;
    const msgpack_object *v;
    if ((s = rd_field(c, c->reply, "obs", &v)) != PAN_OK ||
        (s = client_read_obs(c, v, "obs", n, &out->obs)) != PAN_OK)
        return s;
    if ((s = client_reserve(c, n)) != PAN_OK) return s;
    if ((s = rd_field(c, c->reply, "reward", &v)) != PAN_OK ||
        (s = client_read_floats(c, v, "reward", n, c->reward)) != PAN_OK)
        return s;
    if ((s = rd_field(c, c->reply, "terminated", &v)) != PAN_OK ||
        (s = client_read_bools(c, v, "terminated", n, c->terminated)) != PAN_OK)
        return s;
    if ((s = rd_field(c, c->reply, "truncated", &v)) != PAN_OK ||
        (s = client_read_bools(c, v, "truncated", n, c->truncated)) != PAN_OK)
        return s;
    if ((s = rd_field(c, c->reply, "infos", &v)) != PAN_OK ||
        (s = client_read_infos(c, v, "infos", n, false, &out->obs)) != PAN_OK)
        return s;
    out->reward = c->reward;
    out->terminated = c->terminated;
    out->truncated = c->truncated;
    out->infos = c->infos;
    return PAN_OK;
}

pan_status pan_client_sample(pan_client *c, uint64_t session,
                             const char *split, int *n,
                             const char *const **actions) {
    if (!c || !n || !actions)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "pan_client_sample: NULL argument");
    msgpack_packer *pk = pan_client_request_begin(c, "SAMPLE", 1 + (split != NULL));
    begin_session(c, pk, session);
    if (split) {
        client_pack_str(pk, "split");
        client_pack_str(pk, split);
    }
    pan_status s = pan_client_request_send(c);
    if (s != PAN_OK) return s;
    const msgpack_object *v;
    const msgpack_object_array *a;
    int want = c->known.valid && c->known.session == session ? c->known.n : -1;
    if ((s = rd_field(c, c->reply, "actions", &v)) != PAN_OK ||
        (s = rd_array(c, v, "actions", want, &a)) != PAN_OK)
        return s;
    if (a->size < 1 || a->size > (1u << 20))
        return client_bad(c, "actions must hold one string per env, found %u", a->size);
    int count = (int)a->size;
    if ((s = client_reserve(c, count)) != PAN_OK) return s;
    for (int i = 0; i < count; i++) {
        const msgpack_object *e = &a->ptr[i];
        if (e->type != MSGPACK_OBJECT_STR || e->via.str.size >= CLIENT_ACTION_MAX)
            return client_bad(c, "actions[%d] must be a str under %d bytes", i,
                              CLIENT_ACTION_MAX);
        char *dst = c->action_text + (size_t)i * CLIENT_ACTION_MAX;
        char name[32];
        snprintf(name, sizeof name, "actions[%d]", i);
        if ((s = rd_str(c, e, name, dst, CLIENT_ACTION_MAX)) != PAN_OK) return s;
        c->action_ptrs[i] = dst;
    }
    *n = count;
    *actions = c->action_ptrs;
    return PAN_OK;
}

pan_status pan_client_render(pan_client *c, uint64_t session, int env,
                             pan_client_tensor *frames) {
    if (!c || !frames)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "pan_client_render: NULL argument");
    msgpack_packer *pk = pan_client_request_begin(c, "RENDER", 1 + (env >= 0));
    begin_session(c, pk, session);
    if (env >= 0) {
        client_pack_str(pk, "env");
        msgpack_pack_int(pk, env);
    }
    pan_status s = pan_client_request_send(c);
    if (s != PAN_OK) return s;
    const msgpack_object *v;
    if ((s = rd_field(c, c->reply, "frames", &v)) != PAN_OK) return s;
    const client_known *k = c->known.valid && c->known.session == session ? &c->known : NULL;
    int64_t h = k ? k->h : -1, w = k ? k->w : -1;
    if (env >= 0) {
        int64_t want[3] = {h, w, 3};
        return rd_tensor(c, v, "frames", PAN_CLIENT_U1, 3, want, frames);
    }
    int64_t want[4] = {k ? k->n : -1, h, w, 3};
    return rd_tensor(c, v, "frames", PAN_CLIENT_U1, 4, want, frames);
}
