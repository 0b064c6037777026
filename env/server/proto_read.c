/* env/server/proto_read.c: decoding a request (env/protocol.h): the
 * checks before parsing, the envelope (id, v, op, session), typed field
 * getters with messages that name the op and the field, and tensors. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "env/msgpack_bounds.h"
#include "env/protocol.h"

/* ---- describing what was found ------------------------------------------ */

void pan_proto_describe(const msgpack_object *o, char *buf, size_t size) {
    if (!o) {
        snprintf(buf, size, "nothing");
        return;
    }
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: snprintf(buf, size, "nil"); return;
    case MSGPACK_OBJECT_BOOLEAN:
        snprintf(buf, size, "a boolean (%s)", o->via.boolean ? "true" : "false");
        return;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        snprintf(buf, size, "the integer %" PRIu64, o->via.u64);
        return;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        snprintf(buf, size, "the integer %" PRId64, o->via.i64);
        return;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        snprintf(buf, size, "a float (%g)", o->via.f64);
        return;
    case MSGPACK_OBJECT_STR:
        snprintf(buf, size, "a string of %" PRIu32 " bytes", o->via.str.size);
        return;
    case MSGPACK_OBJECT_BIN:
        snprintf(buf, size, "a bin of %" PRIu32 " bytes", o->via.bin.size);
        return;
    case MSGPACK_OBJECT_ARRAY:
        snprintf(buf, size, "an array of %" PRIu32, o->via.array.size);
        return;
    case MSGPACK_OBJECT_MAP:
        snprintf(buf, size, "a map of %" PRIu32 " entries", o->via.map.size);
        return;
    case MSGPACK_OBJECT_EXT: snprintf(buf, size, "an ext"); return;
    }
    snprintf(buf, size, "an unknown type");
}

static pan_status bad(const pan_proto_request *req, const char *field,
                      const char *expected, const msgpack_object *o) {
    char found[64];
    pan_proto_describe(o, found, sizeof found);
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                         "%s: field '%s' must be %s, found %s", req->op_name,
                         field, expected, found);
}

/* ---- UTF-8 -------------------------------------------------------------- */

/* Well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF)
 * without NUL bytes. Returns the offset of the first bad byte, or len. */
static size_t utf8_check(const uint8_t *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        if (c == 0) return i;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0) { n = 1; cp = c & 0x1f; min = 0x80; }
        else if ((c & 0xf0) == 0xe0) { n = 2; cp = c & 0x0f; min = 0x800; }
        else if ((c & 0xf8) == 0xf0) { n = 3; cp = c & 0x07; min = 0x10000; }
        else return i;
        if (n > len - i - 1) return i;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return i;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return i;
        i += n + 1;
    }
    return len;
}

/* ---- the envelope -------------------------------------------------------- */

const msgpack_object *pan_proto_map_find(const msgpack_object *map,
                                         const char *key, bool *duplicate) {
    if (duplicate) *duplicate = false;
    if (!map || map->type != MSGPACK_OBJECT_MAP) return NULL;
    size_t n = strlen(key);
    const msgpack_object *found = NULL;
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if (k->type != MSGPACK_OBJECT_STR || k->via.str.size != n ||
            memcmp(k->via.str.ptr, key, n) != 0)
            continue;
        if (found) {
            if (duplicate) *duplicate = true;
            return found;
        }
        found = &map->via.map.ptr[i].val;
    }
    return found;
}

/* Records the message (pan_error_set) and returns the protocol code. */
static pan_proto_code fail(pan_proto_code code, pan_status status,
                           const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static pan_proto_code fail(pan_proto_code code, pan_status status,
                           const char *fmt, ...) {
    char msg[PAN_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pan_error_set(status, "%s", msg);
    return code;
}

static pan_proto_code decode_envelope(pan_proto_request *req) {
    const msgpack_object *h = req->header;
    char found[64];
    bool dup = false;
    /* id first, so that every later error can echo it. */
    const msgpack_object *id = pan_proto_map_find(h, "id", &dup);
    if (id && id->type == MSGPACK_OBJECT_POSITIVE_INTEGER && !dup) {
        req->has_id = true;
        req->id = id->via.u64;
    }
    const msgpack_object *v = pan_proto_map_find(h, "v", &dup);
    if (!v || v->type == MSGPACK_OBJECT_NIL)
        return fail(PAN_PROTO_VERSION_MISMATCH, PAN_ERR_INVALID_ARGUMENT,
                    "request: field 'v' is missing: this server speaks "
                    "protocol [%d, %d]", PAN_PROTO_MAJOR, PAN_PROTO_MINOR);
    if (dup || v->type != MSGPACK_OBJECT_ARRAY || v->via.array.size != 2 ||
        v->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        v->via.array.ptr[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
        pan_proto_describe(v, found, sizeof found);
        return fail(PAN_PROTO_INVALID_ARGUMENT, PAN_ERR_INVALID_ARGUMENT,
                    "request: field 'v' must be an array [major, minor] of "
                    "unsigned integers, found %s%s", found,
                    dup ? " (given twice)" : "");
    }
    if (v->via.array.ptr[0].via.u64 != PAN_PROTO_MAJOR) {
        snprintf(found, sizeof found, "%" PRIu64 ".%" PRIu64,
                 v->via.array.ptr[0].via.u64, v->via.array.ptr[1].via.u64);
        return fail(PAN_PROTO_VERSION_MISMATCH, PAN_ERR_INVALID_ARGUMENT,
                    "request: protocol version %s is not supported: this "
                    "server speaks %d.%d", found, PAN_PROTO_MAJOR,
                    PAN_PROTO_MINOR);
    }
    if (!req->has_id) {
        if (id && !dup) pan_proto_describe(id, found, sizeof found);
        else snprintf(found, sizeof found, dup ? "it twice" : "nothing");
        return fail(PAN_PROTO_INVALID_ARGUMENT, PAN_ERR_INVALID_ARGUMENT,
                    "request: field 'id' must be an unsigned integer (uint64)"
                    ", found %s", found);
    }
    const msgpack_object *op = pan_proto_map_find(h, "op", &dup);
    if (!op || dup || op->type != MSGPACK_OBJECT_STR) {
        if (op && !dup) pan_proto_describe(op, found, sizeof found);
        else snprintf(found, sizeof found, dup ? "it twice" : "nothing");
        return fail(PAN_PROTO_INVALID_ARGUMENT, PAN_ERR_INVALID_ARGUMENT,
                    "request: field 'op' must be a string (the op name), "
                    "found %s", found);
    }
    req->op = pan_proto_op_parse(op->via.str.ptr, op->via.str.size);
    if (req->op == PAN_PROTO_OP_COUNT) {
        char name[40];
        size_t n = op->via.str.size < 32 ? op->via.str.size : 32;
        for (size_t i = 0; i < n; i++) {
            char c = op->via.str.ptr[i];
            name[i] = (c >= 0x20 && c < 0x7f) ? c : '?';
        }
        name[n] = '\0';
        return fail(PAN_PROTO_UNIMPLEMENTED, PAN_ERR_UNIMPLEMENTED,
                    "request: unknown op '%s%s': the ops are HELLO DESCRIBE "
                    "MAKE RESET STEP SAMPLE RENDER FORK RESTORE ROLLOUT "
                    "RELEASE CLOSE PING STATS",
                    name, op->via.str.size > 32 ? "..." : "");
    }
    req->op_name = pan_proto_op_name(req->op);
    pan_proto_session_use use = pan_proto_op_session(req->op);
    if (use == PAN_SESSION_NONE) return PAN_PROTO_OK;
    const msgpack_object *s = pan_proto_map_find(h, "session", &dup);
    if (s && s->type == MSGPACK_OBJECT_NIL && !dup) s = NULL;
    if (!s && use == PAN_SESSION_OPTIONAL) return PAN_PROTO_OK;
    if (!s || dup || s->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (s && !dup) pan_proto_describe(s, found, sizeof found);
        else snprintf(found, sizeof found, dup ? "it twice" : "nothing");
        return fail(PAN_PROTO_INVALID_ARGUMENT, PAN_ERR_INVALID_ARGUMENT,
                    "%s: field 'session' must be a session id (uint64 from "
                    "MAKE), found %s", req->op_name, found);
    }
    req->has_session = true;
    req->session = s->via.u64;
    return PAN_PROTO_OK;
}

pan_proto_code pan_proto_request_decode(const pan_server_limits *limits,
                                        const uint8_t *header,
                                        size_t header_size,
                                        const pan_proto_blob *blobs,
                                        int n_blobs, pan_proto_request *req) {
    memset(req, 0, sizeof *req);
    msgpack_unpacked_init(&req->unpacked);
    req->op = PAN_PROTO_OP_COUNT;
    req->op_name = "request";
    req->blobs = blobs;
    req->n_blobs = n_blobs;
    req->limits = limits;
    char err[160];
    if (!limits || (!header && header_size) || (!blobs && n_blobs) ||
        n_blobs < 0) {
        pan_error_set(PAN_ERR_INVALID_ARGUMENT, "request decode: NULL "
                      "limits, header or blobs");
        return PAN_PROTO_INTERNAL;
    }
    if (n_blobs > limits->max_blobs) {
        pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "request: %d blob frames "
                      "after the header, max_blobs is %d", n_blobs,
                      limits->max_blobs);
        return PAN_PROTO_RESOURCE_EXHAUSTED;
    }
    if (header_size > limits->max_header_bytes) {
        pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "request: header of %zu "
                      "bytes, max_header_bytes is %llu", header_size,
                      (unsigned long long)limits->max_header_bytes);
        return PAN_PROTO_RESOURCE_EXHAUSTED;
    }
    if (header_size == 0) {
        pan_error_set(PAN_ERR_INVALID_ARGUMENT, "request: the header frame "
                      "is empty (expected a msgpack map)");
        return PAN_PROTO_INVALID_ARGUMENT;
    }
    if (!pan_msgpack_check_bounds(header, header_size, PAN_PROTO_MAX_DEPTH,
                                  err, sizeof err)) {
        pan_error_set(PAN_ERR_INVALID_ARGUMENT, "request: the header is not "
                      "valid msgpack: %s", err);
        return PAN_PROTO_INVALID_ARGUMENT;
    }
    size_t off = 0;
    msgpack_unpack_return ur = msgpack_unpack_next(
        &req->unpacked, (const char *)header, header_size, &off);
    if (ur != MSGPACK_UNPACK_SUCCESS || off != header_size) {
        pan_error_set(ur == MSGPACK_UNPACK_NOMEM_ERROR
                          ? PAN_ERR_RESOURCE_EXHAUSTED
                          : PAN_ERR_INVALID_ARGUMENT,
                      "request: msgpack-c could not unpack the header (code "
                      "%d, %zu of %zu bytes)", (int)ur, off, header_size);
        return ur == MSGPACK_UNPACK_NOMEM_ERROR ? PAN_PROTO_RESOURCE_EXHAUSTED
                                                : PAN_PROTO_INVALID_ARGUMENT;
    }
    if (req->unpacked.data.type != MSGPACK_OBJECT_MAP) {
        char found[64];
        pan_proto_describe(&req->unpacked.data, found, sizeof found);
        pan_error_set(PAN_ERR_INVALID_ARGUMENT, "request: the header must be "
                      "a msgpack map, found %s", found);
        return PAN_PROTO_INVALID_ARGUMENT;
    }
    req->header = &req->unpacked.data;
    return decode_envelope(req);
}

void pan_proto_request_free(pan_proto_request *req) {
    if (!req) return;
    msgpack_unpacked_destroy(&req->unpacked);
    msgpack_unpacked_init(&req->unpacked);
    req->header = NULL;
}

pan_status pan_proto_request_check_blobs(const pan_proto_request *req) {
    for (int i = 0; i < req->n_blobs; i++)
        if (!(req->blobs_used >> i & 1))
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "%s: blob frame %d is not referenced by any "
                                 "tensor field", req->op_name, i + 1);
    return PAN_OK;
}

/* ---- field getters ------------------------------------------------------- */

pan_status pan_proto_field(const pan_proto_request *req, const char *key,
                           bool required, const msgpack_object **out) {
    bool dup = false;
    const msgpack_object *o = pan_proto_map_find(req->header, key, &dup);
    if (dup)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "%s: field '%s' is "
                             "given twice", req->op_name, key);
    if (o && o->type == MSGPACK_OBJECT_NIL) o = NULL;
    if (!o && required)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "%s: field '%s' is "
                             "missing", req->op_name, key);
    *out = o;
    return PAN_OK;
}

pan_status pan_proto_obj_int(const pan_proto_request *req, const char *field,
                             const msgpack_object *o, int64_t lo, int64_t hi,
                             int64_t *out) {
    char expected[96];
    snprintf(expected, sizeof expected, "an integer in [%" PRId64 ", %" PRId64
             "]", lo, hi);
    int64_t v;
    if (o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (o->via.u64 > (uint64_t)INT64_MAX) return bad(req, field, expected, o);
        v = (int64_t)o->via.u64;
    } else if (o && o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        v = o->via.i64;
    } else {
        return bad(req, field, expected, o);
    }
    if (v < lo || v > hi) return bad(req, field, expected, o);
    *out = v;
    return PAN_OK;
}

pan_status pan_proto_obj_u64(const pan_proto_request *req, const char *field,
                             const msgpack_object *o, uint64_t *out) {
    if (!o || o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return bad(req, field, "an unsigned integer (uint64)", o);
    *out = o->via.u64;
    return PAN_OK;
}

pan_status pan_proto_obj_bool(const pan_proto_request *req, const char *field,
                              const msgpack_object *o, bool *out) {
    if (!o || o->type != MSGPACK_OBJECT_BOOLEAN)
        return bad(req, field, "a boolean", o);
    *out = o->via.boolean;
    return PAN_OK;
}

pan_status pan_proto_obj_str(const pan_proto_request *req, const char *field,
                             const msgpack_object *o, size_t max_bytes,
                             pan_proto_str *out) {
    char expected[64];
    snprintf(expected, sizeof expected, "a string of at most %zu bytes",
             max_bytes);
    if (!o || o->type != MSGPACK_OBJECT_STR || o->via.str.size > max_bytes)
        return bad(req, field, expected, o);
    size_t at = utf8_check((const uint8_t *)o->via.str.ptr, o->via.str.size);
    if (at != o->via.str.size)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "%s: field '%s' must "
                             "be UTF-8 text without NUL bytes, found byte "
                             "0x%02x at offset %zu", req->op_name, field,
                             (uint8_t)o->via.str.ptr[at], at);
    out->ptr = o->via.str.ptr;
    out->len = o->via.str.size;
    return PAN_OK;
}

pan_status pan_proto_obj_array(const pan_proto_request *req, const char *field,
                               const msgpack_object *o, int64_t n,
                               int64_t max_n, const msgpack_object **items,
                               int64_t *count) {
    char expected[96];
    if (n >= 0) snprintf(expected, sizeof expected, "an array of %" PRId64, n);
    else snprintf(expected, sizeof expected, "an array of 1 to %" PRId64
                  " elements", max_n);
    if (!o || o->type != MSGPACK_OBJECT_ARRAY) return bad(req, field, expected, o);
    int64_t size = o->via.array.size;
    if (n >= 0 ? size != n : (size < 1 || size > max_n))
        return bad(req, field, expected, o);
    *items = o->via.array.ptr;
    if (count) *count = size;
    return PAN_OK;
}

pan_status pan_proto_obj_str_array(const pan_proto_request *req,
                                   const char *field, const msgpack_object *o,
                                   int64_t n, size_t max_bytes,
                                   pan_proto_str *out) {
    if (!o || o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != n) {
        char expected[64];
        snprintf(expected, sizeof expected, "an array of %" PRId64 " strings",
                 n);
        return bad(req, field, expected, o);
    }
    for (int64_t i = 0; i < n; i++) {
        char name[96];
        snprintf(name, sizeof name, "%s[%" PRId64 "]", field, i);
        pan_status st = pan_proto_obj_str(req, name, &o->via.array.ptr[i],
                                          max_bytes, &out[i]);
        if (st != PAN_OK) return st;
    }
    return PAN_OK;
}

pan_status pan_proto_get_int(const pan_proto_request *req, const char *key,
                             bool required, int64_t lo, int64_t hi,
                             int64_t *out) {
    const msgpack_object *o;
    pan_status st = pan_proto_field(req, key, required, &o);
    if (st != PAN_OK || !o) return st;
    return pan_proto_obj_int(req, key, o, lo, hi, out);
}

pan_status pan_proto_get_u64(const pan_proto_request *req, const char *key,
                             bool required, uint64_t *out) {
    const msgpack_object *o;
    pan_status st = pan_proto_field(req, key, required, &o);
    if (st != PAN_OK || !o) return st;
    return pan_proto_obj_u64(req, key, o, out);
}

pan_status pan_proto_get_bool(const pan_proto_request *req, const char *key,
                              bool required, bool *out) {
    const msgpack_object *o;
    pan_status st = pan_proto_field(req, key, required, &o);
    if (st != PAN_OK || !o) return st;
    return pan_proto_obj_bool(req, key, o, out);
}

pan_status pan_proto_get_str(const pan_proto_request *req, const char *key,
                             bool required, size_t max_bytes,
                             pan_proto_str *out, bool *present) {
    const msgpack_object *o;
    if (present) *present = false;
    pan_status st = pan_proto_field(req, key, required, &o);
    if (st != PAN_OK || !o) return st;
    st = pan_proto_obj_str(req, key, o, max_bytes, out);
    if (st == PAN_OK && present) *present = true;
    return st;
}

void pan_proto_str_copy(pan_proto_str s, char *buf, size_t size) {
    if (size == 0) return;
    size_t n = s.len < size - 1 ? s.len : size - 1;
    if (n) memcpy(buf, s.ptr, n);
    buf[n] = '\0';
}

bool pan_proto_str_eq(pan_proto_str s, const char *text) {
    return strlen(text) == s.len && memcmp(s.ptr, text, s.len) == 0;
}

/* ---- tensors ------------------------------------------------------------- */

pan_status pan_proto_obj_tensor(pan_proto_request *req, const char *field,
                                const msgpack_object *o, pan_proto_tensor *t) {
    if (!o || o->type != MSGPACK_OBJECT_MAP)
        return bad(req, field, "a tensor map {dtype, shape, frame|data}", o);
    pan_proto_tensor r = {.dtype = PAN_PROTO_DTYPE_COUNT};
    char name[112];
    bool dup_d, dup_s, dup_f, dup_b;
    const msgpack_object *d = pan_proto_map_find(o, "dtype", &dup_d);
    const msgpack_object *s = pan_proto_map_find(o, "shape", &dup_s);
    const msgpack_object *f = pan_proto_map_find(o, "frame", &dup_f);
    const msgpack_object *b = pan_proto_map_find(o, "data", &dup_b);
    if (dup_d || dup_s || dup_f || dup_b)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "%s: field '%s': a "
                             "tensor key is given twice", req->op_name, field);
    snprintf(name, sizeof name, "%s.dtype", field);
    if (!d || d->type != MSGPACK_OBJECT_STR)
        return bad(req, name, "a dtype string (u1 b1 i4 u4 i8 u8 f4 f8)", d);
    r.dtype = pan_proto_dtype_parse(d->via.str.ptr, d->via.str.size);
    if (r.dtype == PAN_PROTO_DTYPE_COUNT) {
        char text[16];
        pan_proto_str_copy((pan_proto_str){d->via.str.ptr, d->via.str.size},
                           text, sizeof text);
        for (char *c = text; *c; c++)
            if (*c < 0x20 || *c >= 0x7f) *c = '?';
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "%s: field '%s' has "
                             "unknown dtype '%s' (expected u1 b1 i4 u4 i8 u8 "
                             "f4 f8)", req->op_name, name, text);
    }
    snprintf(name, sizeof name, "%s.shape", field);
    if (!s || s->type != MSGPACK_OBJECT_ARRAY ||
        s->via.array.size > PAN_PROTO_MAX_RANK)
        return bad(req, name, "an array of at most 8 unsigned integers", s);
    r.rank = (int)s->via.array.size;
    uint64_t count = 1;
    bool overflow = false;
    for (int i = 0; i < r.rank; i++) {
        const msgpack_object *e = &s->via.array.ptr[i];
        if (e->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
            return bad(req, name, "an array of at most 8 unsigned integers", s);
        r.shape[i] = e->via.u64;
        if (r.shape[i] && count > UINT64_MAX / r.shape[i]) overflow = true;
        else count *= r.shape[i];
    }
    size_t item = pan_proto_dtype_size(r.dtype);
    if (overflow || count > SIZE_MAX / item)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "%s: field '%s': the "
                             "shape's element count overflows", req->op_name,
                             name);
    uint64_t want = count * item;
    if ((f != NULL) == (b != NULL))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "%s: field '%s' must "
                             "have exactly one of 'frame' and 'data', found "
                             "%s", req->op_name, field, f ? "both" : "neither");
    if (f) {
        snprintf(name, sizeof name, "%s.frame", field);
        if (f->type != MSGPACK_OBJECT_POSITIVE_INTEGER || f->via.u64 < 1 ||
            f->via.u64 > (uint64_t)req->n_blobs) {
            char expected[64];
            snprintf(expected, sizeof expected, "a blob frame number in [1, "
                     "%d]", req->n_blobs);
            return bad(req, name, expected, f);
        }
        r.frame = (int)f->via.u64;
        r.data = req->blobs[r.frame - 1].data;
        r.bytes = req->blobs[r.frame - 1].size;
    } else {
        snprintf(name, sizeof name, "%s.data", field);
        if (b->type != MSGPACK_OBJECT_BIN)
            return bad(req, name, "a bin of the tensor's bytes", b);
        r.data = (const uint8_t *)b->via.bin.ptr;
        r.bytes = b->via.bin.size;
    }
    if (r.bytes != want)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "%s: field '%s' holds "
                             "%zu bytes, its dtype %s and shape need %llu",
                             req->op_name, field, r.bytes,
                             pan_proto_dtype_name(r.dtype),
                             (unsigned long long)want);
    if (r.frame) req->blobs_used |= 1ull << (r.frame - 1);
    *t = r;
    return PAN_OK;
}

static void shape_text(int rank, const uint64_t *shape, char *buf,
                       size_t size) {
    size_t k = (size_t)snprintf(buf, size, "(");
    for (int i = 0; i < rank && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, "%s%llu", i ? ", " : "",
                              (unsigned long long)shape[i]);
    if (k < size) snprintf(buf + k, size - k, ")");
}

pan_status pan_proto_tensor_expect(const pan_proto_request *req,
                                   const char *field,
                                   const pan_proto_tensor *t,
                                   pan_proto_dtype dtype, int rank,
                                   const uint64_t *shape) {
    bool ok = t->dtype == dtype && t->rank == rank;
    for (int i = 0; ok && i < rank; i++) ok = t->shape[i] == shape[i];
    if (!ok) {
        char want[128], got[128];
        shape_text(rank, shape, want, sizeof want);
        shape_text(t->rank, t->shape, got, sizeof got);
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "%s: field '%s' must "
                             "be a tensor %s %s, found %s %s", req->op_name,
                             field, pan_proto_dtype_name(dtype), want,
                             pan_proto_dtype_name(t->dtype), got);
    }
    if (dtype == PAN_PROTO_B1)
        for (size_t i = 0; i < t->bytes; i++)
            if (t->data[i] > 1)
                return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "%s: field "
                                     "'%s': b1 element %zu is %u, expected 0 "
                                     "or 1", req->op_name, field, i,
                                     t->data[i]);
    return PAN_OK;
}
