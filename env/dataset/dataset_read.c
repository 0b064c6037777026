/* env/dataset/dataset_read.c: reading an episode file (format version 1,
 * with truth, or 2, an external recording), trusting nothing.
 *
 * Order: size and magic -> declared body length against the file size ->
 * CRC32 -> version and flags -> declared msgpack lengths (pre-scan) ->
 * msgpack-c unpack (str/bin point into our buffer) -> each field's
 * presence, type and shape (version 2: results and states absent) ->
 * pan_episode_validate for the values. The
 * whole file is read into memory with read(2) (no mmap: a file truncated
 * underneath an mmap would fault). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <msgpack.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "env/dataset/dataset_internal.h"

/* The file being read and the field being looked at ("states[3].x"). */
typedef struct reader {
    const char *path;
    char field[160];
    size_t field_len;
} reader;

static size_t field_push(reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static size_t field_push(reader *r, const char *fmt, ...) {
    size_t mark = r->field_len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->field + mark, sizeof r->field - mark, fmt, ap);
    va_end(ap);
    if (n > 0) r->field_len = mark + (size_t)n;
    if (r->field_len >= sizeof r->field) r->field_len = sizeof r->field - 1;
    return mark;
}

static void field_pop(reader *r, size_t mark) {
    r->field_len = mark;
    r->field[mark] = '\0';
}

/* The field for a message: the body itself when at the root. */
static const char *field_name(const reader *r) {
    return r->field_len ? r->field : "body";
}

static const char *type_name(msgpack_object_type t) {
    switch (t) {
    case MSGPACK_OBJECT_NIL: return "nil";
    case MSGPACK_OBJECT_BOOLEAN: return "a boolean";
    case MSGPACK_OBJECT_POSITIVE_INTEGER: return "an unsigned integer";
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "a negative integer";
    case MSGPACK_OBJECT_FLOAT32: return "a float32";
    case MSGPACK_OBJECT_FLOAT64: return "a float64";
    case MSGPACK_OBJECT_STR: return "a string";
    case MSGPACK_OBJECT_ARRAY: return "an array";
    case MSGPACK_OBJECT_MAP: return "a map";
    case MSGPACK_OBJECT_BIN: return "a bin";
    case MSGPACK_OBJECT_EXT: return "an ext";
    }
    return "an unknown type";
}

static pan_status bad_type(reader *r, const char *expected,
                           const msgpack_object *o) {
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                         "episode %s: field '%s': expected %s, found %s",
                         r->path, field_name(r), expected, type_name(o->type));
}

/* Copies a key for a message: printable ASCII, at most 40 bytes. */
static void printable(const char *s, size_t n, char *out, size_t size) {
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < size && i < 40; i++)
        out[k++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    out[k] = '\0';
}

/* Matches a map's keys to `names`: every key a string, known, once; every
 * name present. vals[i] receives the value of names[i]. */
static pan_status map_fields(reader *r, const msgpack_object *o,
                             const char *const *names, int n,
                             const msgpack_object **vals) {
    if (o->type != MSGPACK_OBJECT_MAP) return bad_type(r, "a map", o);
    for (int i = 0; i < n; i++) vals[i] = NULL;
    for (uint32_t k = 0; k < o->via.map.size; k++) {
        const msgpack_object *key = &o->via.map.ptr[k].key;
        if (key->type != MSGPACK_OBJECT_STR)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "episode %s: field '%s': expected string "
                                 "keys, found %s", r->path, field_name(r),
                                 type_name(key->type));
        int found = -1;
        for (int i = 0; i < n; i++)
            if (strlen(names[i]) == key->via.str.size &&
                memcmp(names[i], key->via.str.ptr, key->via.str.size) == 0)
                found = i;
        char text[48];
        printable(key->via.str.ptr, key->via.str.size, text, sizeof text);
        if (found < 0)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "episode %s: field '%s': unknown key '%s'",
                                 r->path, field_name(r), text);
        if (vals[found])
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "episode %s: field '%s': key '%s' appears "
                                 "twice", r->path, field_name(r), text);
        vals[found] = &o->via.map.ptr[k].val;
    }
    for (int i = 0; i < n; i++)
        if (!vals[i])
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "episode %s: field '%s%s%s' is missing",
                                 r->path, r->field, r->field_len ? "." : "",
                                 names[i]);
    return PAN_OK;
}

static pan_status get_int(reader *r, const msgpack_object *o, int64_t lo,
                          int64_t hi, int64_t *out) {
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (o->via.u64 > (uint64_t)INT64_MAX || (int64_t)o->via.u64 > hi)
            goto range;
        *out = (int64_t)o->via.u64;
    } else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *out = o->via.i64;
    } else {
        return bad_type(r, "an integer", o);
    }
    if (*out >= lo && *out <= hi) return PAN_OK;
range:
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                         "episode %s: field '%s': expected an integer in "
                         "%lld..%lld, found %s%llu", r->path, field_name(r),
                         (long long)lo, (long long)hi,
                         o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ? "-" : "",
                         o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER
                             ? 0ull - (unsigned long long)o->via.i64
                             : (unsigned long long)o->via.u64);
}

static pan_status get_i32(reader *r, const msgpack_object *o, int32_t *out) {
    int64_t v;
    pan_status st = get_int(r, o, INT32_MIN, INT32_MAX, &v);
    if (st == PAN_OK) *out = (int32_t)v;
    return st;
}

static pan_status get_u64(reader *r, const msgpack_object *o, uint64_t *out) {
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return bad_type(r, "an unsigned integer", o);
    *out = o->via.u64;
    return PAN_OK;
}

static pan_status get_bool(reader *r, const msgpack_object *o, bool *out) {
    if (o->type != MSGPACK_OBJECT_BOOLEAN) return bad_type(r, "a boolean", o);
    *out = o->via.boolean;
    return PAN_OK;
}

/* float32 (as written) or a float64 that a float32 holds exactly. */
static pan_status get_float(reader *r, const msgpack_object *o, float *out) {
    if (o->type != MSGPACK_OBJECT_FLOAT32 && o->type != MSGPACK_OBJECT_FLOAT64)
        return bad_type(r, "a float", o);
    float v = (float)o->via.f64;
    if (o->type == MSGPACK_OBJECT_FLOAT64 && !isnan(o->via.f64) &&
        (double)v != o->via.f64)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "episode %s: field '%s': expected a float32 "
                             "value, found float64 %.17g", r->path, field_name(r),
                             o->via.f64);
    *out = v;
    return PAN_OK;
}

/* A string of at most size-1 bytes without NUL bytes, copied with its NUL. */
static pan_status get_str(reader *r, const msgpack_object *o, char *out,
                          size_t size) {
    if (o->type != MSGPACK_OBJECT_STR) return bad_type(r, "a string", o);
    uint32_t n = o->via.str.size;
    if (n >= size)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "episode %s: field '%s': expected at most %zu "
                             "bytes of text, found %u", r->path, field_name(r),
                             size - 1, n);
    if (n && memchr(o->via.str.ptr, '\0', n))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "episode %s: field '%s': text contains a NUL "
                             "byte", r->path, field_name(r));
    memcpy(out, o->via.str.ptr, n);
    out[n] = '\0';
    return PAN_OK;
}

static pan_status get_array(reader *r, const msgpack_object *o, uint64_t lo,
                            uint64_t hi) {
    if (o->type != MSGPACK_OBJECT_ARRAY) return bad_type(r, "an array", o);
    if (o->via.array.size < lo || o->via.array.size > hi) {
        if (lo == hi)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "episode %s: field '%s': expected %llu "
                                 "elements, found %u", r->path, field_name(r),
                                 (unsigned long long)lo, o->via.array.size);
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "episode %s: field '%s': expected %llu..%llu "
                             "elements, found %u", r->path, field_name(r),
                             (unsigned long long)lo, (unsigned long long)hi,
                             o->via.array.size);
    }
    return PAN_OK;
}

/* One call per field: pushes ".name" (or "name" at the root), runs, pops. */
#define FIELD(r, name, expr)                                                  \
    do {                                                                      \
        size_t mark_ = field_push((r), "%s%s", (r)->field_len ? "." : "",     \
                                  (name));                                    \
        pan_status st_ = (expr);                                              \
        if (st_ != PAN_OK) return st_;                                        \
        field_pop((r), mark_);                                                \
    } while (0)

static const char *const object_keys[] = {"colour", "shape", "x", "y", "size",
                                          "visible"};
static const char *const state_keys[] = {"objects", "brightness", "camera_x",
                                         "camera_y", "heading", "seed", "rng",
                                         "steps"};
static const char *const result_keys[] = {"understood", "kind", "heldout",
                                          "template_id", "canonical", "message"};
static const char *const config_keys[] = {"height", "width", "frames_per_step"};
/* The keys of a body: version 2 has the first B_COUNT_EXTERNAL, version 1
 * all B_COUNT (matching ignores the order; the writer's order is in
 * dataset_write.c). */
static const char *const body_keys[] = {"world", "seed", "split", "config",
                                        "steps", "actions", "frames",
                                        "results", "states"};
enum { B_WORLD, B_SEED, B_SPLIT, B_CONFIG, B_STEPS, B_ACTIONS, B_FRAMES,
       B_COUNT_EXTERNAL, B_RESULTS = B_COUNT_EXTERNAL, B_STATES, B_COUNT };

static pan_status read_object(reader *r, const msgpack_object *o,
                              pan_object_state *out) {
    const msgpack_object *v[6];
    pan_status st = map_fields(r, o, object_keys, 6, v);
    if (st != PAN_OK) return st;
    FIELD(r, "colour", get_i32(r, v[0], &out->colour));
    FIELD(r, "shape", get_i32(r, v[1], &out->shape));
    FIELD(r, "x", get_float(r, v[2], &out->x));
    FIELD(r, "y", get_float(r, v[3], &out->y));
    FIELD(r, "size", get_float(r, v[4], &out->size));
    FIELD(r, "visible", get_bool(r, v[5], &out->visible));
    return PAN_OK;
}

static pan_status read_objects(reader *r, const msgpack_object *o,
                               pan_world_state *out) {
    pan_status st = get_array(r, o, 0, PAN_WORLD_MAX_OBJECTS);
    if (st != PAN_OK) return st;
    out->n_objects = (int32_t)o->via.array.size;
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        size_t mark = field_push(r, "[%u]", i);
        if ((st = read_object(r, &o->via.array.ptr[i], &out->objects[i])))
            return st;
        field_pop(r, mark);
    }
    return PAN_OK;
}

static pan_status read_state(reader *r, const msgpack_object *o,
                             pan_world_state *out) {
    const msgpack_object *v[8];
    pan_status st = map_fields(r, o, state_keys, 8, v);
    if (st != PAN_OK) return st;
    int64_t steps = 0;
    FIELD(r, "objects", read_objects(r, v[0], out));
    FIELD(r, "brightness", get_float(r, v[1], &out->brightness));
    FIELD(r, "camera_x", get_float(r, v[2], &out->camera_x));
    FIELD(r, "camera_y", get_float(r, v[3], &out->camera_y));
    FIELD(r, "heading", get_i32(r, v[4], &out->heading));
    FIELD(r, "seed", get_u64(r, v[5], &out->seed));
    FIELD(r, "rng", get_u64(r, v[6], &out->rng));
    FIELD(r, "steps", get_int(r, v[7], INT64_MIN, INT64_MAX, &steps));
    out->steps = steps;
    return PAN_OK;
}

static pan_status get_kind(reader *r, const msgpack_object *o,
                           pan_action_kind *out) {
    char text[16];
    pan_status st = get_str(r, o, text, sizeof text);
    for (int k = 0; st == PAN_OK && k < 3; k++)
        if (strcmp(text, pan_episode_kind_names[k]) == 0) {
            *out = (pan_action_kind)k;
            return PAN_OK;
        }
    if (st != PAN_OK && o->type != MSGPACK_OBJECT_STR) return st;
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                         "episode %s: field '%s': expected none, agent or "
                         "environment", r->path, field_name(r));
}

static pan_status read_result(reader *r, const msgpack_object *o,
                              pan_action_result *out) {
    const msgpack_object *v[6];
    pan_status st = map_fields(r, o, result_keys, 6, v);
    if (st != PAN_OK) return st;
    FIELD(r, "understood", get_bool(r, v[0], &out->understood));
    FIELD(r, "kind", get_kind(r, v[1], &out->kind));
    FIELD(r, "heldout", get_bool(r, v[2], &out->heldout));
    FIELD(r, "template_id", get_i32(r, v[3], &out->template_id));
    FIELD(r, "canonical", get_str(r, v[4], out->canonical,
                                  sizeof out->canonical));
    FIELD(r, "message", get_str(r, v[5], out->message, sizeof out->message));
    return PAN_OK;
}

static pan_status get_split(reader *r, const msgpack_object *o, pan_split *out) {
    char text[16];
    pan_status st = get_str(r, o, text, sizeof text);
    if (st == PAN_OK && pan_episode_split_parse(text, out) == PAN_OK)
        return PAN_OK;
    if (st != PAN_OK && o->type != MSGPACK_OBJECT_STR) return st;
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                         "episode %s: field '%s': expected train, heldout or "
                         "any", r->path, field_name(r));
}

static pan_status read_config(reader *r, const msgpack_object *o,
                              pan_world_config *out) {
    const msgpack_object *v[3];
    pan_status st = map_fields(r, o, config_keys, 3, v);
    if (st != PAN_OK) return st;
    int64_t h, w, k;
    FIELD(r, "height", get_int(r, v[0], PAN_WORLD_MIN_SIZE, PAN_WORLD_MAX_SIZE, &h));
    FIELD(r, "width", get_int(r, v[1], PAN_WORLD_MIN_SIZE, PAN_WORLD_MAX_SIZE, &w));
    FIELD(r, "frames_per_step",
          get_int(r, v[2], 1, PAN_WORLD_MAX_FRAMES_PER_STEP, &k));
    *out = (pan_world_config){.width = (int)w, .height = (int)h,
                              .frames_per_step = (int)k};
    return PAN_OK;
}

/* Version 2: the truth's keys must be absent (a clearer message than
 * "unknown key"). */
static pan_status refuse_truth_keys(reader *r, const msgpack_object *o) {
    if (o->type != MSGPACK_OBJECT_MAP) return PAN_OK; /* map_fields says */
    for (uint32_t k = 0; k < o->via.map.size; k++) {
        const msgpack_object *key = &o->via.map.ptr[k].key;
        if (key->type != MSGPACK_OBJECT_STR) continue;
        for (int i = B_RESULTS; i < B_COUNT; i++)
            if (strlen(body_keys[i]) == key->via.str.size &&
                memcmp(body_keys[i], key->via.str.ptr, key->via.str.size) == 0)
                return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                     "episode %s: field '%s': present in a "
                                     "format version %d file (an external "
                                     "recording has no ground truth; an "
                                     "episode with truth is version %d)",
                                     r->path, body_keys[i],
                                     PAN_EPISODE_VERSION_EXTERNAL,
                                     PAN_EPISODE_VERSION);
    }
    return PAN_OK;
}

static pan_status read_meta(reader *r, const msgpack_object **v, bool truth,
                            pan_episode_meta *m) {
    memset(m, 0, sizeof *m);
    m->truth = truth;
    FIELD(r, "world", get_str(r, v[B_WORLD], m->world, sizeof m->world));
    FIELD(r, "seed", get_u64(r, v[B_SEED], &m->seed));
    FIELD(r, "split", get_split(r, v[B_SPLIT], &m->split));
    FIELD(r, "config", read_config(r, v[B_CONFIG], &m->config));
    FIELD(r, "steps", get_int(r, v[B_STEPS], truth ? 0 : 1,
                              PAN_EPISODE_MAX_STEPS, &m->steps));
    return pan_episode_meta_validate(m, r->path);
}

static pan_status read_frames(reader *r, const msgpack_object *o,
                              pan_episode *ep) {
    if (o->type != MSGPACK_OBJECT_BIN) return bad_type(r, "a bin", o);
    size_t want = pan_episode_frame_bytes(&ep->meta);
    if (o->via.bin.size != want)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "episode %s: field 'frames': expected %zu bytes "
                             "((T*K+1)*H*W*3 with T=%lld K=%d H=%d W=%d), "
                             "found %u", r->path, want,
                             (long long)ep->meta.steps,
                             ep->meta.config.frames_per_step,
                             ep->meta.config.height, ep->meta.config.width,
                             o->via.bin.size);
    if (ep->frames) memcpy(ep->frames, o->via.bin.ptr, want);
    return PAN_OK;
}

static pan_status read_arrays(reader *r, const msgpack_object **v,
                              pan_episode *ep) {
    uint64_t T = (uint64_t)ep->meta.steps;
    pan_status st;
    FIELD(r, "frames", read_frames(r, v[B_FRAMES], ep));
    FIELD(r, "actions", get_array(r, v[B_ACTIONS], T, T));
    for (uint64_t t = 0; t < T; t++) {
        size_t mark = field_push(r, "actions[%llu]", (unsigned long long)t);
        if ((st = get_str(r, &v[B_ACTIONS]->via.array.ptr[t], ep->actions[t],
                          sizeof ep->actions[t])))
            return st;
        field_pop(r, mark);
    }
    if (!ep->meta.truth) return PAN_OK;
    FIELD(r, "results", get_array(r, v[B_RESULTS], T, T));
    for (uint64_t t = 0; t < T; t++) {
        size_t mark = field_push(r, "results[%llu]", (unsigned long long)t);
        if ((st = read_result(r, &v[B_RESULTS]->via.array.ptr[t],
                              &ep->results[t])))
            return st;
        field_pop(r, mark);
    }
    FIELD(r, "states", get_array(r, v[B_STATES], T + 1, T + 1));
    for (uint64_t t = 0; t <= T; t++) {
        size_t mark = field_push(r, "states[%llu]", (unsigned long long)t);
        if ((st = read_state(r, &v[B_STATES]->via.array.ptr[t],
                             &ep->states[t])))
            return st;
        field_pop(r, mark);
    }
    return PAN_OK;
}

/* Reads the whole file after checking its size; DATA_LOSS if it changes
 * size while being read. */
static pan_status load_file(const char *path, uint8_t **out, size_t *size) {
    int fd = open(path, O_RDONLY | O_NONBLOCK); /* a FIFO must not block */
    if (fd < 0)
        return pan_error_set(errno == ENOENT ? PAN_ERR_NOT_FOUND : PAN_ERR_IO,
                             "episode %s: cannot open: %s", path,
                             strerror(errno));
    struct stat sb;
    pan_status st = PAN_OK;
    if (fstat(fd, &sb) != 0) {
        st = pan_error_set(PAN_ERR_IO, "episode %s: stat: %s", path,
                           strerror(errno));
    } else if (!S_ISREG(sb.st_mode)) {
        st = pan_error_set(PAN_ERR_IO, "episode %s: not a regular file", path);
    } else if (sb.st_size < PAN_EPISODE_HEADER_SIZE + PAN_EPISODE_TRAILER_SIZE) {
        st = pan_error_set(PAN_ERR_DATA_LOSS, "episode %s: file is %lld bytes, "
                           "expected at least %d (header and checksum): "
                           "truncated", path, (long long)sb.st_size,
                           PAN_EPISODE_HEADER_SIZE + PAN_EPISODE_TRAILER_SIZE);
    } else if ((uint64_t)sb.st_size > PAN_EPISODE_MAX_FILE_BYTES) {
        st = pan_error_set(PAN_ERR_DATA_LOSS, "episode %s: file is %lld bytes, "
                           "over the format's limit of %llu", path,
                           (long long)sb.st_size,
                           (unsigned long long)PAN_EPISODE_MAX_FILE_BYTES);
    }
    uint8_t *buf = NULL;
    size_t n = st == PAN_OK ? (size_t)sb.st_size : 0;
    if (st == PAN_OK && !(buf = malloc(n)))
        st = pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "episode %s: out of "
                           "memory for %zu bytes", path, n);
    size_t got = 0;
    while (st == PAN_OK && got < n) {
        ssize_t k = read(fd, buf + got, n - got);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0)
            st = pan_error_set(PAN_ERR_IO, "episode %s: read: %s", path,
                               strerror(errno));
        else if (k == 0)
            st = pan_error_set(PAN_ERR_DATA_LOSS, "episode %s: file shrank to "
                               "%zu bytes while being read", path, got);
        else
            got += (size_t)k;
    }
    close(fd);
    if (st != PAN_OK) {
        free(buf);
        return st;
    }
    *out = buf;
    *size = n;
    return PAN_OK;
}

/* Header, size, checksum and version (1 or 2, into *version); on success
 * the body is buf[HEADER_SIZE, HEADER_SIZE + *body). */
static pan_status check_envelope(const char *path, const uint8_t *buf,
                                 size_t size, size_t *body,
                                 uint32_t *version_out) {
    if (memcmp(buf, PAN_EPISODE_MAGIC, PAN_EPISODE_MAGIC_SIZE) != 0)
        return pan_error_set(PAN_ERR_DATA_LOSS, "episode %s: field 'magic': "
                             "not a pan episode file (bad magic bytes)", path);
    uint64_t declared = pan_get_u64le(buf + 16);
    uint64_t expected = size - PAN_EPISODE_HEADER_SIZE - PAN_EPISODE_TRAILER_SIZE;
    if (declared != expected)
        return pan_error_set(PAN_ERR_DATA_LOSS, "episode %s: field "
                             "'body_length': header declares %llu body bytes, "
                             "the file holds %llu (file of %zu bytes): "
                             "truncated or corrupt", path,
                             (unsigned long long)declared,
                             (unsigned long long)expected, size);
    uint32_t stored = pan_get_u32le(buf + size - PAN_EPISODE_TRAILER_SIZE);
    uint32_t computed = (uint32_t)crc32_z(crc32_z(0L, Z_NULL, 0), buf,
                                          size - PAN_EPISODE_TRAILER_SIZE);
    if (stored != computed)
        return pan_error_set(PAN_ERR_DATA_LOSS, "episode %s: field 'crc32': "
                             "stored 0x%08x, computed 0x%08x: corrupt", path,
                             stored, computed);
    uint32_t version = pan_get_u32le(buf + 8);
    if (version != PAN_EPISODE_VERSION &&
        version != PAN_EPISODE_VERSION_EXTERNAL)
        return pan_error_set(PAN_ERR_UNIMPLEMENTED, "episode %s: field "
                             "'version': format version %u, this reader reads "
                             "versions %d and %d", path, version,
                             PAN_EPISODE_VERSION, PAN_EPISODE_VERSION_EXTERNAL);
    uint32_t flags = pan_get_u32le(buf + 12);
    if (flags != 0)
        return pan_error_set(PAN_ERR_UNIMPLEMENTED, "episode %s: field "
                             "'flags': 0x%08x, version %u defines none (0)",
                             path, flags, version);
    *body = (size_t)declared;
    *version_out = version;
    return PAN_OK;
}

static pan_status read_episode(const char *path, pan_episode *ep,
                               bool with_frames, uint64_t *file_bytes) {
    memset(ep, 0, sizeof *ep);
    uint8_t *buf = NULL;
    size_t size = 0, body = 0;
    uint32_t version = 0;
    pan_status st = load_file(path, &buf, &size);
    if (st != PAN_OK) return st;
    if ((st = check_envelope(path, buf, size, &body, &version))) goto done;
    const uint8_t *data = buf + PAN_EPISODE_HEADER_SIZE;
    char err[160];
    if (!pan_msgpack_check_bounds(data, body, PAN_EPISODE_MAX_DEPTH, err,
                                  sizeof err)) {
        st = pan_error_set(PAN_ERR_DATA_LOSS, "episode %s: field 'body': "
                           "malformed msgpack %s", path, err);
        goto done;
    }
    msgpack_unpacked root;
    msgpack_unpacked_init(&root);
    size_t off = 0;
    msgpack_unpack_return ur = msgpack_unpack_next(&root, (const char *)data,
                                                   body, &off);
    if (ur != MSGPACK_UNPACK_SUCCESS || off != body) {
        st = pan_error_set(ur == MSGPACK_UNPACK_NOMEM_ERROR
                               ? PAN_ERR_RESOURCE_EXHAUSTED
                               : PAN_ERR_DATA_LOSS,
                           "episode %s: field 'body': msgpack-c could not "
                           "unpack it (code %d, %zu of %zu bytes)", path,
                           (int)ur, off, body);
    } else {
        reader r = {.path = path};
        const msgpack_object *v[B_COUNT] = {0};
        pan_episode_meta meta;
        bool truth = version == PAN_EPISODE_VERSION;
        st = truth ? PAN_OK : refuse_truth_keys(&r, &root.data);
        if (st == PAN_OK)
            st = map_fields(&r, &root.data, body_keys,
                            truth ? B_COUNT : B_COUNT_EXTERNAL, v);
        if (st == PAN_OK) st = read_meta(&r, v, truth, &meta);
        if (st == PAN_OK) st = pan_episode_alloc_parts(ep, &meta, with_frames);
        if (st == PAN_OK) st = read_arrays(&r, v, ep);
        if (st == PAN_OK) st = pan_episode_validate(ep, path);
    }
    msgpack_unpacked_destroy(&root);
done:
    free(buf);
    if (st != PAN_OK) pan_episode_free(ep);
    else if (file_bytes) *file_bytes = size;
    return st;
}

pan_status pan_episode_read(const char *path, pan_episode *ep) {
    if (!path || !ep)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "episode read: path and ep must not be NULL");
    return read_episode(path, ep, true, NULL);
}

pan_status pan_episode_check(const char *path, pan_episode_meta *meta,
                             uint64_t *file_bytes) {
    if (!path)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "episode check: path must not be NULL");
    pan_episode ep;
    pan_status st = read_episode(path, &ep, false, file_bytes);
    if (st == PAN_OK && meta) *meta = ep.meta;
    pan_episode_free(&ep);
    return st;
}
