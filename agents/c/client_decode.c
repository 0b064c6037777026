/* agents/c/client_decode.c: decoders of the protocol's composite reply
 * fields: observation batches, infos (with same_step's final_obs and
 * final_info), spaces + metadata, and arrays of flags and rewards. Shapes
 * are checked against each other and, for a session the client has seen
 * made or described, against its spaces. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "agents/c/client_internal.h"

#define DIM_MAX (1 << 24) /* any one dimension of a sane reply */

void client_remember(pan_client *c, uint64_t session, const pan_client_spaces *s) {
    client_known *k = &c->known;
    k->valid = s->has_session;
    k->session = session;
    k->n = s->num_envs;
    k->has_frames = s->has_frames;
    k->k = s->frames_per_step; /* frames_shape agrees when there are frames */
    k->h = s->height;
    k->w = s->width;
    k->q = (int)s->latent_shape[0];
    k->d = (int)s->latent_shape[1];
}

static const client_known *known_for_call(const pan_client *c) {
    const client_known *k = &c->known;
    return k->valid && c->cur_has_session && k->session == c->cur_session ? k : NULL;
}

pan_status client_read_obs(pan_client *c, const msgpack_object *o,
                           const char *what, int n, pan_client_obs *out) {
    char name[96];
    const msgpack_object *lat;
    if (o->type != MSGPACK_OBJECT_MAP)
        return client_bad(c, "%s must be an obs map, found %s", what, client_type_name(o));
    const client_known *k = known_for_call(c);
    if (k && n < 0) n = k->n;
    if (k && n != k->n)
        return client_bad(c, "%s has %d envs, the session has %d", what, n, k->n);
    snprintf(name, sizeof name, "%s.latent", what);
    lat = client_map_get(o, "latent");
    if (!lat) return client_bad(c, "%s is missing", name);
    int64_t want[5] = {n, k ? k->q : -1, k ? k->d : -1, -1, -1};
    pan_client_tensor t;
    pan_status s = rd_tensor(c, lat, name, PAN_CLIENT_F4, 3, want, &t);
    if (s != PAN_OK) return s;
    if (t.shape[0] > DIM_MAX || t.shape[1] > DIM_MAX || t.shape[2] > DIM_MAX)
        return client_bad(c, "%s: shape beyond %d", name, DIM_MAX);
    *out = (pan_client_obs){.n = (int)t.shape[0], .q = (int)t.shape[1],
                            .d = (int)t.shape[2], .latent = t.data};
    const msgpack_object *fr = client_map_get(o, "frames");
    if (k && !k->has_frames && fr)
        return client_bad(c, "%s has frames in latent obs mode", what);
    if (k && k->has_frames && !fr) return client_bad(c, "%s.frames is missing", what);
    if (fr) {
        snprintf(name, sizeof name, "%s.frames", what);
        int64_t wf[5] = {out->n, k ? k->k : -1, k ? k->h : -1, k ? k->w : -1, 3};
        s = rd_tensor(c, fr, name, PAN_CLIENT_U1, 5, wf, &t);
        if (s != PAN_OK) return s;
        for (int i = 1; i < 4; i++)
            if (t.shape[i] > DIM_MAX) return client_bad(c, "%s: shape beyond %d", name, DIM_MAX);
        out->k = (int)t.shape[1];
        out->h = (int)t.shape[2];
        out->w = (int)t.shape[3];
        out->frames = t.data;
    }
    return PAN_OK;
}

/* One info map (no final_* inside when `final` is NULL). */
static pan_status read_info(pan_client *c, const msgpack_object *o,
                            const char *what, pan_client_info *info,
                            const pan_client_obs *obs, pan_client_info *final) {
    char name[128];
    const msgpack_object *v;
    pan_status s;
    memset(info, 0, sizeof *info);
    if (o->type != MSGPACK_OBJECT_MAP)
        return client_bad(c, "%s must be an info map, found %s", what, client_type_name(o));
    info->present = true;
#define FIELD(key, call)                                                         \
    do {                                                                         \
        snprintf(name, sizeof name, "%s.%s", what, key);                         \
        v = client_map_get(o, key);                                              \
        if (!v) return client_bad(c, "%s is missing", name);                     \
        s = call;                                                                \
        if (s != PAN_OK) return s;                                               \
    } while (0)
    FIELD("is_reset", rd_bool(c, v, name, &info->is_reset));
    FIELD("autoreset", rd_bool(c, v, name, &info->autoreset));
    FIELD("seed", rd_u64(c, v, name, &info->seed));
    FIELD("episode_step", rd_i64(c, v, name, &info->episode_step));
    FIELD("understood", rd_bool(c, v, name, &info->understood));
    FIELD("action_kind", rd_str(c, v, name, info->action_kind, sizeof info->action_kind));
    FIELD("canonical", rd_str(c, v, name, info->canonical, sizeof info->canonical));
    FIELD("message", rd_str(c, v, name, info->message, sizeof info->message));
    FIELD("heldout", rd_bool(c, v, name, &info->heldout));
    FIELD("task", rd_str(c, v, name, info->task, sizeof info->task));
    FIELD("success", rd_bool(c, v, name, &info->success));
#undef FIELD
    const msgpack_object *fo = client_map_get(o, "final_obs");
    const msgpack_object *fi = client_map_get(o, "final_info");
    if (!fo && !fi) return PAN_OK;
    if (!final) return client_bad(c, "%s: a final_info holds final_obs/final_info", what);
    if (!fo || !fi)
        return client_bad(c, "%s: final_obs and final_info come together", what);
    if (fo->type != MSGPACK_OBJECT_MAP)
        return client_bad(c, "%s.final_obs must be a map, found %s", what, client_type_name(fo));
    pan_client_tensor t;
    snprintf(name, sizeof name, "%s.final_obs.latent", what);
    v = client_map_get(fo, "latent");
    if (!v) return client_bad(c, "%s is missing", name);
    int64_t wl[2] = {obs->q, obs->d};
    s = rd_tensor(c, v, name, PAN_CLIENT_F4, 2, wl, &t);
    if (s != PAN_OK) return s;
    info->final_latent = t.data;
    v = client_map_get(fo, "frames");
    if (obs->frames && !v) return client_bad(c, "%s.final_obs.frames is missing", what);
    if (!obs->frames && v)
        return client_bad(c, "%s.final_obs has frames, the obs has none", what);
    if (v) {
        snprintf(name, sizeof name, "%s.final_obs.frames", what);
        int64_t wf[4] = {obs->k, obs->h, obs->w, 3};
        s = rd_tensor(c, v, name, PAN_CLIENT_U1, 4, wf, &t);
        if (s != PAN_OK) return s;
        info->final_frames = t.data;
    }
    snprintf(name, sizeof name, "%s.final_info", what);
    s = read_info(c, fi, name, final, obs, NULL);
    if (s != PAN_OK) return s;
    info->has_final = true;
    info->final_info = final;
    return PAN_OK;
}

pan_status client_read_infos(pan_client *c, const msgpack_object *o,
                             const char *what, int n, bool allow_nil,
                             const pan_client_obs *obs) {
    const msgpack_object_array *a;
    pan_status s = rd_array(c, o, what, n, &a);
    if (s != PAN_OK) return s;
    s = client_reserve(c, n);
    if (s != PAN_OK) return s;
    char name[64];
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%s[%d]", what, i);
        if (a->ptr[i].type == MSGPACK_OBJECT_NIL) {
            if (!allow_nil) return client_bad(c, "%s is nil", name);
            memset(&c->infos[i], 0, sizeof c->infos[i]);
            continue;
        }
        s = read_info(c, &a->ptr[i], name, &c->infos[i], obs, &c->final_infos[i]);
        if (s != PAN_OK) return s;
    }
    return PAN_OK;
}

pan_status client_read_bools(pan_client *c, const msgpack_object *o,
                             const char *what, int n, bool *out) {
    const msgpack_object_array *a;
    pan_status s = rd_array(c, o, what, n, &a);
    for (int i = 0; s == PAN_OK && i < n; i++) {
        if (a->ptr[i].type != MSGPACK_OBJECT_BOOLEAN)
            return client_bad(c, "%s[%d] must be a bool, found %s", what, i,
                              client_type_name(&a->ptr[i]));
        out[i] = a->ptr[i].via.boolean;
    }
    return s;
}

pan_status client_read_floats(pan_client *c, const msgpack_object *o,
                              const char *what, int n, float *out) {
    const msgpack_object_array *a;
    pan_status s = rd_array(c, o, what, n, &a);
    char name[64];
    for (int i = 0; s == PAN_OK && i < n; i++) {
        double v;
        snprintf(name, sizeof name, "%s[%d]", what, i);
        s = rd_double(c, &a->ptr[i], name, &v);
        out[i] = (float)v;
    }
    return s;
}

/* ---- spaces and metadata ---------------------------------------------------------- */

static pan_status read_box(pan_client *c, const msgpack_object *box,
                           const char *what, const char *dtype, int rank,
                           int64_t *shape) {
    const msgpack_object *v;
    pan_status s;
    char name[96];
    if (box->type != MSGPACK_OBJECT_MAP)
        return client_bad(c, "%s must be a box map, found %s", what, client_type_name(box));
    snprintf(name, sizeof name, "%s.dtype", what);
    char got[8];
    if ((v = client_map_get(box, "dtype")) == NULL) return client_bad(c, "%s is missing", name);
    if ((s = rd_str(c, v, name, got, sizeof got)) != PAN_OK) return s;
    if (strcmp(got, dtype) != 0) return client_bad(c, "%s is '%s', expected '%s'", name, got, dtype);
    snprintf(name, sizeof name, "%s.shape", what);
    const msgpack_object_array *a;
    if ((v = client_map_get(box, "shape")) == NULL) return client_bad(c, "%s is missing", name);
    if ((s = rd_array(c, v, name, rank, &a)) != PAN_OK) return s;
    for (int i = 0; i < rank; i++) {
        int d;
        if ((s = rd_int(c, &a->ptr[i], name, 1, DIM_MAX, &d)) != PAN_OK) return s;
        shape[i] = d;
    }
    return PAN_OK;
}

pan_status client_read_spaces(pan_client *c, pan_client_spaces *out) {
    const msgpack_object *sp, *md, *act, *obs, *v;
    pan_status s;
    memset(out, 0, sizeof *out);
    if ((s = rd_field(c, c->reply, "spaces", &sp)) != PAN_OK) return s;
    if ((s = rd_field(c, c->reply, "metadata", &md)) != PAN_OK) return s;
    if ((s = rd_field(c, sp, "action", &act)) != PAN_OK) return s;
    if ((s = rd_field(c, act, "min_length", &v)) != PAN_OK ||
        (s = rd_int(c, v, "spaces.action.min_length", 0, 1 << 20, &out->action_min_length)) != PAN_OK)
        return s;
    if ((s = rd_field(c, act, "max_length", &v)) != PAN_OK ||
        (s = rd_int(c, v, "spaces.action.max_length", 0, 1 << 20, &out->action_max_length)) != PAN_OK)
        return s;
    if ((s = rd_field(c, act, "charset", &v)) != PAN_OK ||
        (s = rd_str(c, v, "spaces.action.charset", out->action_charset,
                    sizeof out->action_charset)) != PAN_OK)
        return s;
    if ((s = rd_field(c, sp, "observation", &obs)) != PAN_OK) return s;
    if ((s = rd_field(c, obs, "spaces", &obs)) != PAN_OK) return s;
    if ((s = rd_field(c, obs, "latent", &v)) != PAN_OK ||
        (s = read_box(c, v, "spaces.observation.latent", "f4", 2, out->latent_shape)) != PAN_OK)
        return s;
    v = client_map_get(obs, "frames");
    out->has_frames = v != NULL;
    if (v && (s = read_box(c, v, "spaces.observation.frames", "u1", 4,
                           out->frames_shape)) != PAN_OK)
        return s;
    if (v && out->frames_shape[3] != 3)
        return client_bad(c, "spaces.observation.frames: last dim %" PRId64 ", expected 3",
                          out->frames_shape[3]);

    struct { const char *key; char *buf; size_t size; } strs[] = {
        {"world", out->world, sizeof out->world},
        {"obs_mode", out->obs_mode, sizeof out->obs_mode},
        {"latent", out->latent, sizeof out->latent},
        {"tasks", out->tasks, sizeof out->tasks}};
    char name[64];
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        snprintf(name, sizeof name, "metadata.%s", strs[i].key);
        if ((s = rd_field(c, md, strs[i].key, &v)) != PAN_OK ||
            (s = rd_str(c, v, name, strs[i].buf, strs[i].size)) != PAN_OK)
            return s;
    }
    struct { const char *key; int *dst; } ints[] = {
        {"width", &out->width}, {"height", &out->height},
        {"frames_per_step", &out->frames_per_step}};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        snprintf(name, sizeof name, "metadata.%s", ints[i].key);
        if ((s = rd_field(c, md, ints[i].key, &v)) != PAN_OK ||
            (s = rd_int(c, v, name, 1, DIM_MAX, ints[i].dst)) != PAN_OK)
            return s;
    }
    v = client_map_get(md, "num_envs");
    if (v) {
        out->has_session = true;
        if ((s = rd_int(c, v, "metadata.num_envs", 1, DIM_MAX, &out->num_envs)) != PAN_OK)
            return s;
        if ((s = rd_field(c, md, "autoreset_mode", &v)) != PAN_OK ||
            (s = rd_str(c, v, "metadata.autoreset_mode", out->autoreset_mode,
                        sizeof out->autoreset_mode)) != PAN_OK)
            return s;
        if ((s = rd_field(c, md, "max_episode_steps", &v)) != PAN_OK ||
            (s = rd_int(c, v, "metadata.max_episode_steps", 0, INT32_MAX,
                        &out->max_episode_steps)) != PAN_OK)
            return s;
    }
    if (out->has_frames && (out->frames_shape[1] != out->height ||
                            out->frames_shape[2] != out->width ||
                            out->frames_shape[0] != out->frames_per_step))
        return client_bad(c, "spaces.observation.frames (%" PRId64 ", %" PRId64 ", %" PRId64
                          ", 3) disagree with metadata (K %d, H %d, W %d)",
                          out->frames_shape[0], out->frames_shape[1],
                          out->frames_shape[2], out->frames_per_step, out->height,
                          out->width);
    return PAN_OK;
}
