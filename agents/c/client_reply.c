/* agents/c/client_reply.c: typed readers of reply fields and tensors. None
 * trusts the server: every type, length, dtype, shape and byte count is
 * checked, and a mismatch is BAD_REPLY naming the field. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "agents/c/client_internal.h"

static const char *const dtype_names[PAN_CLIENT_DTYPE_COUNT] = {
    "u1", "b1", "i4", "u4", "i8", "u8", "f4", "f8"};
static const size_t dtype_sizes[PAN_CLIENT_DTYPE_COUNT] = {1, 1, 4, 4, 8, 8, 4, 8};

const char *pan_client_dtype_name(pan_client_dtype dtype) {
    return (unsigned)dtype < PAN_CLIENT_DTYPE_COUNT ? dtype_names[dtype] : "?";
}

size_t pan_client_dtype_size(pan_client_dtype dtype) {
    return (unsigned)dtype < PAN_CLIENT_DTYPE_COUNT ? dtype_sizes[dtype] : 0;
}

const char *client_type_name(const msgpack_object *o) {
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: return "nil";
    case MSGPACK_OBJECT_BOOLEAN: return "a bool";
    case MSGPACK_OBJECT_POSITIVE_INTEGER: return "a uint";
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "a negative int";
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: return "a float";
    case MSGPACK_OBJECT_STR: return "a str";
    case MSGPACK_OBJECT_ARRAY: return "an array";
    case MSGPACK_OBJECT_MAP: return "a map";
    case MSGPACK_OBJECT_BIN: return "a bin";
    default: return "an ext";
    }
}

static bool str_is(const msgpack_object *o, const char *s) {
    size_t n = strlen(s);
    return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
           memcmp(o->via.str.ptr, s, n) == 0;
}

const msgpack_object *client_map_get(const msgpack_object *map, const char *key) {
    if (!map || map->type != MSGPACK_OBJECT_MAP) return NULL;
    for (uint32_t i = 0; i < map->via.map.size; i++)
        if (str_is(&map->via.map.ptr[i].key, key)) return &map->via.map.ptr[i].val;
    return NULL;
}

pan_status rd_field(pan_client *c, const msgpack_object *map, const char *key,
                    const msgpack_object **out) {
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return client_bad(c, "expected a map holding '%s', found %s", key,
                          map ? client_type_name(map) : "nothing");
    *out = client_map_get(map, key);
    if (!*out) return client_bad(c, "field '%s' is missing", key);
    return PAN_OK;
}

pan_status rd_u64(pan_client *c, const msgpack_object *o, const char *what,
                  uint64_t *out) {
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return client_bad(c, "%s must be a uint, found %s", what, client_type_name(o));
    *out = o->via.u64;
    return PAN_OK;
}

pan_status rd_i64(pan_client *c, const msgpack_object *o, const char *what,
                  int64_t *out) {
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *out = o->via.i64;
        return PAN_OK;
    }
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > INT64_MAX)
        return client_bad(c, "%s must be an int64, found %s", what, client_type_name(o));
    *out = (int64_t)o->via.u64;
    return PAN_OK;
}

pan_status rd_int(pan_client *c, const msgpack_object *o, const char *what,
                  int64_t lo, int64_t hi, int *out) {
    int64_t v = 0;
    pan_status s = rd_i64(c, o, what, &v);
    if (s != PAN_OK) return s;
    if (v < lo || v > hi)
        return client_bad(c, "%s must be in [%" PRId64 ", %" PRId64 "], found %" PRId64,
                          what, lo, hi, v);
    *out = (int)v;
    return PAN_OK;
}

pan_status rd_bool(pan_client *c, const msgpack_object *o, const char *what,
                   bool *out) {
    if (o->type != MSGPACK_OBJECT_BOOLEAN)
        return client_bad(c, "%s must be a bool, found %s", what, client_type_name(o));
    *out = o->via.boolean;
    return PAN_OK;
}

pan_status rd_double(pan_client *c, const msgpack_object *o, const char *what,
                     double *out) {
    switch (o->type) {
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: *out = o->via.f64; return PAN_OK;
    case MSGPACK_OBJECT_POSITIVE_INTEGER: *out = (double)o->via.u64; return PAN_OK;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: *out = (double)o->via.i64; return PAN_OK;
    default:
        return client_bad(c, "%s must be a number, found %s", what, client_type_name(o));
    }
}

pan_status rd_str(pan_client *c, const msgpack_object *o, const char *what,
                  char *buf, size_t size) {
    if (o->type != MSGPACK_OBJECT_STR)
        return client_bad(c, "%s must be a str, found %s", what, client_type_name(o));
    size_t n = o->via.str.size < size - 1 ? o->via.str.size : size - 1;
    if (memchr(o->via.str.ptr, '\0', n))
        return client_bad(c, "%s holds a NUL byte", what);
    memcpy(buf, o->via.str.ptr, n);
    buf[n] = '\0';
    return PAN_OK;
}

pan_status rd_array(pan_client *c, const msgpack_object *o, const char *what,
                    int64_t len, const msgpack_object_array **out) {
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return client_bad(c, "%s must be an array, found %s", what, client_type_name(o));
    if (len >= 0 && o->via.array.size != (uint64_t)len)
        return client_bad(c, "%s must be an array of %" PRId64 ", found %u entries",
                          what, len, o->via.array.size);
    *out = &o->via.array;
    return PAN_OK;
}

/* ---- tensors -------------------------------------------------------------------- */

static pan_status decode_tensor(pan_client *c, const msgpack_object *t,
                                const char *what, pan_client_tensor *out) {
    if (t->type != MSGPACK_OBJECT_MAP)
        return client_bad(c, "%s must be a tensor map, found %s", what, client_type_name(t));
    const msgpack_object *dt = client_map_get(t, "dtype");
    const msgpack_object *shape = client_map_get(t, "shape");
    const msgpack_object *frame = client_map_get(t, "frame");
    const msgpack_object *inline_data = client_map_get(t, "data");
    if (!dt || dt->type != MSGPACK_OBJECT_STR)
        return client_bad(c, "%s: 'dtype' must be a str", what);
    int dtype = -1;
    for (int i = 0; i < PAN_CLIENT_DTYPE_COUNT; i++)
        if (str_is(dt, dtype_names[i])) dtype = i;
    if (dtype < 0)
        return client_bad(c, "%s: unknown dtype '%.*s'", what,
                          (int)(dt->via.str.size > 16 ? 16 : dt->via.str.size),
                          dt->via.str.ptr);
    if (!shape || shape->type != MSGPACK_OBJECT_ARRAY ||
        shape->via.array.size > PAN_CLIENT_MAX_RANK)
        return client_bad(c, "%s: 'shape' must be an array of at most %d uints",
                          what, PAN_CLIENT_MAX_RANK);
    out->dtype = (pan_client_dtype)dtype;
    out->rank = (int)shape->via.array.size;
    size_t item = dtype_sizes[dtype];
    uint64_t count = 1;
    for (int i = 0; i < out->rank; i++) {
        const msgpack_object *d = &shape->via.array.ptr[i];
        if (d->type != MSGPACK_OBJECT_POSITIVE_INTEGER || d->via.u64 > (1ull << 40))
            return client_bad(c, "%s: shape[%d] must be a uint below 2^40", what, i);
        out->shape[i] = (int64_t)d->via.u64;
        if (d->via.u64 && count > (UINT64_MAX / item) / d->via.u64)
            return client_bad(c, "%s: shape overflows", what);
        count *= d->via.u64;
    }
    uint64_t want = count * item;
    const void *data = NULL;
    size_t size = 0;
    if (frame && inline_data)
        return client_bad(c, "%s: has both 'frame' and 'data'", what);
    if (frame) {
        if (frame->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
            return client_bad(c, "%s: 'frame' must be a uint", what);
        if (frame->via.u64 < 1 || frame->via.u64 >= (uint64_t)c->n_frames)
            return client_bad(c, "%s: 'frame' %" PRIu64 " but the reply has %d blobs",
                              what, frame->via.u64, c->n_frames - 1);
        pan_status s = client_blob(c, (int)frame->via.u64, item, &data, &size);
        if (s != PAN_OK)
            return client_fail(c, s, "CLIENT_MEMORY", "out of memory aligning %s", what);
    } else if (inline_data) {
        if (inline_data->type != MSGPACK_OBJECT_BIN)
            return client_bad(c, "%s: 'data' must be a bin", what);
        data = inline_data->via.bin.ptr;
        size = inline_data->via.bin.size;
        if (size > 0 && (uintptr_t)data % item != 0)
            return client_bad(c, "%s: inline data misaligned for %s (send it as a "
                              "blob frame)", what, dtype_names[dtype]);
    } else {
        return client_bad(c, "%s: neither 'frame' nor 'data'", what);
    }
    if (size != want)
        return client_bad(c, "%s: %zu bytes, expected %" PRIu64 " for its dtype and shape",
                          what, size, want);
    if (dtype == PAN_CLIENT_B1) {
        const uint8_t *b = data;
        for (size_t i = 0; i < size; i++)
            if (b[i] > 1)
                return client_bad(c, "%s: b1 byte %zu is %u, expected 0 or 1", what,
                                  i, b[i]);
    }
    out->data = size ? data : "";
    out->nbytes = size;
    return PAN_OK;
}

pan_status pan_client_reply_tensor(pan_client *c, const msgpack_object *t,
                                   const char *what, pan_client_tensor *out) {
    if (!c || !t || !out)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "pan_client_reply_tensor: NULL argument");
    return decode_tensor(c, t, what ? what : "tensor", out);
}

pan_status rd_tensor(pan_client *c, const msgpack_object *o, const char *what,
                     pan_client_dtype dtype, int rank, const int64_t *want,
                     pan_client_tensor *out) {
    pan_status s = decode_tensor(c, o, what, out);
    if (s != PAN_OK) return s;
    if (out->dtype != dtype)
        return client_bad(c, "%s: dtype %s, expected %s", what,
                          dtype_names[out->dtype], dtype_names[dtype]);
    if (out->rank != rank)
        return client_bad(c, "%s: rank %d, expected %d", what, out->rank, rank);
    for (int i = 0; want && i < rank; i++)
        if (want[i] >= 0 && out->shape[i] != want[i])
            return client_bad(c, "%s: shape[%d] is %" PRId64 ", expected %" PRId64,
                              what, i, out->shape[i], want[i]);
    return PAN_OK;
}
