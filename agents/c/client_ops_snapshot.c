/* agents/c/client_ops_snapshot.c: the typed calls on snapshots: FORK,
 * RESTORE, ROLLOUT, RELEASE. */
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

static void pack_ids(msgpack_packer *pk, const char *key, int n, const uint64_t *ids) {
    client_pack_str(pk, key);
    msgpack_pack_array(pk, (size_t)n);
    for (int i = 0; i < n; i++) msgpack_pack_uint64(pk, ids[i]);
}

static void pack_envs(msgpack_packer *pk, int n, const int *envs) {
    client_pack_str(pk, "envs");
    msgpack_pack_array(pk, (size_t)n);
    for (int i = 0; i < n; i++) msgpack_pack_int(pk, envs[i]);
}

pan_status pan_client_fork(pan_client *c, uint64_t session, int n_envs,
                           const int *envs, int *n_ids, const uint64_t **ids) {
    if (!c || !n_ids || !ids || (envs && n_envs < 0))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "pan_client_fork: bad argument");
    msgpack_packer *pk = pan_client_request_begin(c, "FORK", 1 + (envs != NULL));
    begin_session(c, pk, session);
    if (envs) pack_envs(pk, n_envs, envs);
    pan_status s = pan_client_request_send(c);
    if (s != PAN_OK) return s;
    int want = envs ? n_envs
                    : c->known.valid && c->known.session == session ? c->known.n : -1;
    const msgpack_object *v;
    const msgpack_object_array *a;
    if ((s = rd_field(c, c->reply, "state_ids", &v)) != PAN_OK ||
        (s = rd_array(c, v, "state_ids", want, &a)) != PAN_OK)
        return s;
    if ((s = client_reserve_ids(c, (int)a->size)) != PAN_OK) return s;
    char name[32];
    for (uint32_t i = 0; i < a->size; i++) {
        snprintf(name, sizeof name, "state_ids[%u]", i);
        if ((s = rd_u64(c, &a->ptr[i], name, &c->ids[i])) != PAN_OK) return s;
    }
    *n_ids = (int)a->size;
    *ids = c->ids;
    return PAN_OK;
}

pan_status pan_client_restore(pan_client *c, uint64_t session, int n,
                              const int *envs, const uint64_t *ids,
                              pan_client_obs_result *out) {
    if (!c || !out || n < 0 || (n > 0 && (!envs || !ids)))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "pan_client_restore: bad argument");
    msgpack_packer *pk = pan_client_request_begin(c, "RESTORE", 3);
    begin_session(c, pk, session);
    pack_envs(pk, n, envs);
    pack_ids(pk, "state_ids", n, ids);
    pan_status s = pan_client_request_send(c);
    if (s != PAN_OK) return s;
    const msgpack_object *v;
    if ((s = rd_field(c, c->reply, "obs", &v)) != PAN_OK ||
        (s = client_read_obs(c, v, "obs", -1, &out->obs)) != PAN_OK)
        return s;
    if ((s = rd_field(c, c->reply, "infos", &v)) != PAN_OK ||
        (s = client_read_infos(c, v, "infos", out->obs.n, true, &out->obs)) != PAN_OK)
        return s;
    for (int i = 0; i < out->obs.n; i++) {
        bool restored = false;
        for (int j = 0; j < n; j++) restored |= envs[j] == i;
        if (c->infos[i].present != restored)
            return client_bad(c, "infos[%d] is %s but env %d was %srestored", i,
                              c->infos[i].present ? "an info" : "nil", i,
                              restored ? "" : "not ");
    }
    out->infos = c->infos;
    return PAN_OK;
}

pan_status pan_client_rollout(pan_client *c, uint64_t session, int b,
                              const uint64_t *ids, int t,
                              const char *const *actions, bool frames,
                              pan_client_rollout_result *out) {
    if (!c || !out || b < 0 || t < 0 || (b > 0 && !ids) || (b > 0 && t > 0 && !actions))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "pan_client_rollout: bad argument");
    if ((int64_t)b * t > (1 << 24))
        return client_arg(c, "ROLLOUT: %d x %d actions is too many", b, t);
    for (int i = 0; i < b * t; i++)
        if (!actions[i]) return client_arg(c, "ROLLOUT: actions[%d] is NULL", i);
    msgpack_packer *pk = pan_client_request_begin(c, "ROLLOUT", 3 + (frames ? 1 : 0));
    begin_session(c, pk, session);
    pack_ids(pk, "state_ids", b, ids);
    client_pack_str(pk, "actions");
    msgpack_pack_array(pk, (size_t)b);
    for (int r = 0; r < b; r++) {
        msgpack_pack_array(pk, (size_t)t);
        for (int s = 0; s < t; s++) client_pack_str(pk, actions[r * t + s]);
    }
    if (frames) {
        client_pack_str(pk, "frames");
        msgpack_pack_true(pk);
    }
    pan_status s = pan_client_request_send(c);
    if (s != PAN_OK) return s;
    const client_known *k = c->known.valid && c->known.session == session ? &c->known : NULL;
    memset(out, 0, sizeof *out);
    out->b = b;
    out->t = t;
    const msgpack_object *v;
    pan_client_tensor ten;
    int64_t bt[2] = {b, t};
    if ((s = rd_field(c, c->reply, "reward", &v)) != PAN_OK ||
        (s = rd_tensor(c, v, "reward", PAN_CLIENT_F4, 2, bt, &ten)) != PAN_OK)
        return s;
    out->reward = ten.data;
    if ((s = rd_field(c, c->reply, "terminated", &v)) != PAN_OK ||
        (s = rd_tensor(c, v, "terminated", PAN_CLIENT_B1, 2, bt, &ten)) != PAN_OK)
        return s;
    out->terminated = ten.data;
    if ((s = rd_field(c, c->reply, "truncated", &v)) != PAN_OK ||
        (s = rd_tensor(c, v, "truncated", PAN_CLIENT_B1, 2, bt, &ten)) != PAN_OK)
        return s;
    out->truncated = ten.data;
    int64_t wl[4] = {b, t, k ? k->q : -1, k ? k->d : -1};
    if ((s = rd_field(c, c->reply, "latent", &v)) != PAN_OK ||
        (s = rd_tensor(c, v, "latent", PAN_CLIENT_F4, 4, wl, &ten)) != PAN_OK)
        return s;
    if (ten.shape[2] > (1 << 24) || ten.shape[3] > (1 << 24))
        return client_bad(c, "latent: shape beyond 2^24");
    out->latent = ten.data;
    out->q = (int)ten.shape[2];
    out->d = (int)ten.shape[3];
    v = client_map_get(c->reply, "frames");
    if (!frames && v) return client_bad(c, "frames sent but not asked for");
    if (frames) {
        if (!v) return client_bad(c, "field 'frames' is missing (asked for)");
        int64_t wf[6] = {b, t, k ? k->k : -1, k ? k->h : -1, k ? k->w : -1, 3};
        if ((s = rd_tensor(c, v, "frames", PAN_CLIENT_U1, 6, wf, &ten)) != PAN_OK) return s;
        for (int i = 2; i < 5; i++)
            if (ten.shape[i] > (1 << 24)) return client_bad(c, "frames: shape beyond 2^24");
        out->frames = ten.data;
        out->k = (int)ten.shape[2];
        out->h = (int)ten.shape[3];
        out->w = (int)ten.shape[4];
    }
    return PAN_OK;
}

pan_status pan_client_release(pan_client *c, uint64_t session, int n,
                              const uint64_t *ids, int64_t *released) {
    if (!c || !released || n < 0 || (n > 0 && !ids))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "pan_client_release: bad argument");
    msgpack_packer *pk = pan_client_request_begin(c, "RELEASE", 2);
    begin_session(c, pk, session);
    pack_ids(pk, "state_ids", n, ids);
    pan_status s = pan_client_request_send(c);
    if (s != PAN_OK) return s;
    const msgpack_object *v;
    if ((s = rd_field(c, c->reply, "released", &v)) != PAN_OK) return s;
    return rd_i64(c, v, "released", released);
}
