/* core/safetensors.c: the safetensors reader -- mmap, whole-header
 * validation (core/safetensors.h, docs/model.md "Checkpoint files"),
 * lookup and f32 reads. The writer is in safetensors_write.c.
 * Every message starts "checkpoint <path>:" and names the tensor and field. */
#define _POSIX_C_SOURCE 200809L
#include "core/safetensors.h"

#include "core/json_excerpt.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "pan's safetensors reader assumes a little-endian host"
#endif

typedef struct st_impl {
    void *map;              /* (map_size) bytes, read-only */
    size_t map_size;
    json_t *root;           /* owns tensor names and metadata strings */
    pan_st_tensor *tensors; /* (count) */
    pan_st_meta *meta;      /* (meta_count) */
} st_impl;

/* Sets "checkpoint <path>: <message>" and returns `status`. */
static pan_status st_fail(const char *path, pan_status status, const char *fmt,
                          ...) __attribute__((format(printf, 3, 4)));
static pan_status st_fail(const char *path, pan_status status, const char *fmt,
                          ...) {
    char text[PAN_ERROR_MESSAGE_MAX];
    va_list args;
    va_start(args, fmt);
    vsnprintf(text, sizeof text, fmt, args);
    va_end(args);
    return pan_error_set(status, "checkpoint %s: %s", path, text);
}

void pan_safetensors_close(pan_safetensors *st) {
    if (!st) return;
    st_impl *impl = st->impl;
    if (impl) {
        if (impl->map) munmap(impl->map, impl->map_size);
        json_decref(impl->root);
        free(impl->tensors);
        free(impl->meta);
        free(impl);
    }
    free(st->path);
    free(st);
}

/* ---- one header entry ---- */

/* The dtypes safetensors defines; pan reads only F32 and BF16. */
static const char *const known_dtypes[] = {
    "BOOL", "U8",  "I8",  "I16", "U16", "F16",     "I32",     "U32",
    "F64",  "I64", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3",
    "F6_E3M2", "C64"};

static pan_status parse_dtype(const char *path, const char *name,
                              const json_t *v, pan_st_tensor *t) {
    char found[64];
    if (!json_is_string(v))
        return st_fail(path, PAN_ERR_DATA_LOSS,
                       "tensor '%s' field 'dtype': expected a string, found %s",
                       name, pan_json_excerpt(v, found, sizeof found));
    const char *s = json_string_value(v);
    if (!strcmp(s, "F32")) {
        t->dtype = PAN_DTYPE_F32;
        return PAN_OK;
    }
    if (!strcmp(s, "BF16")) {
        t->dtype = PAN_DTYPE_BF16;
        return PAN_OK;
    }
    for (size_t i = 0; i < sizeof known_dtypes / sizeof *known_dtypes; i++)
        if (!strcmp(s, known_dtypes[i]))
            return st_fail(path, PAN_ERR_UNIMPLEMENTED,
                           "tensor '%s' field 'dtype': dtype %s is not "
                           "supported (expected F32 or BF16)", name, s);
    return st_fail(path, PAN_ERR_DATA_LOSS,
                   "tensor '%s' field 'dtype': unknown dtype %s (expected F32 "
                   "or BF16)", name, pan_json_excerpt(v, found, sizeof found));
}

static pan_status parse_shape(const char *path, const char *name,
                              const json_t *v, size_t esize, pan_st_tensor *t) {
    char found[64];
    if (!json_is_array(v) || json_array_size(v) > PAN_TENSOR_MAX_DIMS)
        return st_fail(path, PAN_ERR_DATA_LOSS,
                       "tensor '%s' field 'shape': expected an array of at "
                       "most %d non-negative integers, found %s", name,
                       PAN_TENSOR_MAX_DIMS, pan_json_excerpt(v, found, sizeof found));
    t->ndim = (int)json_array_size(v);
    t->numel = 1;
    for (int d = 0; d < t->ndim; d++) {
        const json_t *x = json_array_get(v, (size_t)d);
        if (!json_is_integer(x) || json_integer_value(x) < 0)
            return st_fail(path, PAN_ERR_DATA_LOSS,
                           "tensor '%s' field 'shape': dimension %d expected "
                           "a non-negative integer, found %s", name, d,
                           pan_json_excerpt(x, found, sizeof found));
        int64_t n = json_integer_value(x);
        if (n && t->numel > (int64_t)(INT64_MAX / (int64_t)esize) / n)
            return st_fail(path, PAN_ERR_DATA_LOSS,
                           "tensor '%s' field 'shape': %s is too large",
                           name, pan_json_excerpt(v, found, sizeof found));
        t->shape[d] = n;
        t->numel *= n;
    }
    return PAN_OK;
}

static pan_status parse_offsets(const char *path, const char *name,
                                const json_t *v, size_t esize,
                                uint64_t data_size, pan_st_tensor *t) {
    char found[64];
    const json_t *b = json_array_get(v, 0), *e = json_array_get(v, 1);
    if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_integer(b) ||
        !json_is_integer(e) || json_integer_value(b) < 0 ||
        json_integer_value(e) < 0)
        return st_fail(path, PAN_ERR_DATA_LOSS,
                       "tensor '%s' field 'data_offsets': expected [begin, "
                       "end] (two non-negative integers), found %s", name,
                       pan_json_excerpt(v, found, sizeof found));
    t->begin = (uint64_t)json_integer_value(b);
    t->end = (uint64_t)json_integer_value(e);
    if (t->begin > t->end)
        return st_fail(path, PAN_ERR_DATA_LOSS,
                       "tensor '%s' field 'data_offsets': begin %llu is after "
                       "end %llu", name, (unsigned long long)t->begin,
                       (unsigned long long)t->end);
    uint64_t want = (uint64_t)t->numel * esize;
    if (t->end - t->begin != want)
        return st_fail(path, PAN_ERR_DATA_LOSS,
                       "tensor '%s' field 'data_offsets': [%llu, %llu] holds "
                       "%llu bytes, expected %llu (%lld elements of %zu "
                       "bytes)", name, (unsigned long long)t->begin,
                       (unsigned long long)t->end,
                       (unsigned long long)(t->end - t->begin),
                       (unsigned long long)want, (long long)t->numel, esize);
    if (t->end > data_size)
        return st_fail(path, PAN_ERR_DATA_LOSS,
                       "tensor '%s' field 'data_offsets': end %llu is past "
                       "the data region (%llu bytes)", name,
                       (unsigned long long)t->end,
                       (unsigned long long)data_size);
    return PAN_OK;
}

static pan_status parse_entry(const char *path, const char *name,
                              const json_t *v, uint64_t data_size,
                              pan_st_tensor *t) {
    static const char *const fields[] = {"dtype", "shape", "data_offsets"};
    char found[64];
    if (!json_is_object(v))
        return st_fail(path, PAN_ERR_DATA_LOSS,
                       "tensor '%s': expected an object {dtype, shape, "
                       "data_offsets}, found %s", name,
                       pan_json_excerpt(v, found, sizeof found));
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)v, key, value) {
        if (strcmp(key, fields[0]) && strcmp(key, fields[1]) &&
            strcmp(key, fields[2]))
            return st_fail(path, PAN_ERR_DATA_LOSS,
                           "tensor '%s' field '%s': unexpected field "
                           "(expected only dtype, shape, data_offsets)",
                           name, key);
    }
    for (int i = 0; i < 3; i++)
        if (!json_object_get(v, fields[i]))
            return st_fail(path, PAN_ERR_DATA_LOSS,
                           "tensor '%s' field '%s': missing (expected dtype, "
                           "shape and data_offsets)", name, fields[i]);
    memset(t, 0, sizeof *t);
    t->name = name;
    pan_status st = parse_dtype(path, name, json_object_get(v, "dtype"), t);
    size_t esize = pan_dtype_size(t->dtype);
    if (st == PAN_OK)
        st = parse_shape(path, name, json_object_get(v, "shape"), esize, t);
    if (st == PAN_OK)
        st = parse_offsets(path, name, json_object_get(v, "data_offsets"),
                           esize, data_size, t);
    return st;
}

static pan_status parse_metadata(const char *path, const json_t *v,
                                 st_impl *impl, int *count) {
    char found[64];
    if (!json_is_object(v))
        return st_fail(path, PAN_ERR_DATA_LOSS,
                       "field '__metadata__': expected an object of strings, "
                       "found %s", pan_json_excerpt(v, found, sizeof found));
    impl->meta = calloc(json_object_size(v) + 1, sizeof *impl->meta);
    if (!impl->meta)
        return st_fail(path, PAN_ERR_RESOURCE_EXHAUSTED,
                       "out of memory for %zu metadata entries",
                       json_object_size(v));
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)v, key, value) {
        if (!json_is_string(value))
            return st_fail(path, PAN_ERR_DATA_LOSS,
                           "field '__metadata__' key '%s': expected a string, "
                           "found %s", key, pan_json_excerpt(value, found, sizeof found));
        impl->meta[*count].key = key;
        impl->meta[*count].value = json_string_value(value);
        ++*count;
    }
    return PAN_OK;
}

/* ---- the whole header ---- */

static int by_offsets(const void *a, const void *b) {
    const pan_st_tensor *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* The tensors must tile [0, data_size) exactly. */
static pan_status check_tiling(const char *path, const pan_st_tensor *t,
                               int count, uint64_t data_size) {
    uint64_t pos = 0;
    for (int i = 0; i < count; i++) {
        if (t[i].begin > pos)
            return st_fail(path, PAN_ERR_DATA_LOSS,
                           "tensor '%s' field 'data_offsets': begins at %llu, "
                           "expected %llu (a hole of %llu bytes%s%s%s)",
                           t[i].name, (unsigned long long)t[i].begin,
                           (unsigned long long)pos,
                           (unsigned long long)(t[i].begin - pos),
                           i ? " after tensor '" : " at the data start",
                           i ? t[i - 1].name : "", i ? "'" : "");
        if (t[i].begin < pos)
            return st_fail(path, PAN_ERR_DATA_LOSS,
                           "tensor '%s' field 'data_offsets': begins at %llu, "
                           "expected %llu (overlaps tensor '%s')", t[i].name,
                           (unsigned long long)t[i].begin,
                           (unsigned long long)pos, t[i - 1].name);
        pos = t[i].end;
    }
    if (pos != data_size)
        return st_fail(path, PAN_ERR_DATA_LOSS,
                       "field 'data_offsets': the tensors end at %llu, "
                       "expected the end of the data region (%llu bytes): "
                       "%llu bytes unaccounted for",
                       (unsigned long long)pos, (unsigned long long)data_size,
                       (unsigned long long)(data_size - pos));
    return PAN_OK;
}

static pan_status parse_header(pan_safetensors *st, st_impl *impl) {
    const char *path = st->path;
    const unsigned char *bytes = impl->map;
    uint64_t header_len = 0;
    memcpy(&header_len, bytes, 8);
    if (header_len < 2 || header_len > PAN_SAFETENSORS_MAX_HEADER)
        return st_fail(path, PAN_ERR_DATA_LOSS,
                       "header length %llu, expected 2..%u",
                       (unsigned long long)header_len,
                       PAN_SAFETENSORS_MAX_HEADER);
    if (header_len > impl->map_size - 8)
        return st_fail(path, PAN_ERR_DATA_LOSS,
                       "header length %llu runs past the end of the file "
                       "(%zu bytes: at most %zu after the length field)",
                       (unsigned long long)header_len, impl->map_size,
                       impl->map_size - 8);
    uint64_t data_size = impl->map_size - 8 - header_len;
    const unsigned char *data = bytes + 8 + header_len;

    json_error_t err;
    impl->root = json_loadb((const char *)bytes + 8, (size_t)header_len,
                            JSON_REJECT_DUPLICATES, &err);
    if (!impl->root)
        return st_fail(path, PAN_ERR_DATA_LOSS,
                       "header JSON: %s (line %d, column %d)", err.text,
                       err.line, err.column);
    char found[64];
    if (!json_is_object(impl->root))
        return st_fail(path, PAN_ERR_DATA_LOSS,
                       "header: expected a JSON object, found %s",
                       pan_json_excerpt(impl->root, found, sizeof found));

    size_t n = json_object_size(impl->root);
    impl->tensors = calloc(n + 1, sizeof *impl->tensors);
    if (!impl->tensors)
        return st_fail(path, PAN_ERR_RESOURCE_EXHAUSTED,
                       "out of memory for %zu tensors", n);
    int count = 0, meta_count = 0;
    const char *key;
    json_t *value;
    json_object_foreach(impl->root, key, value) {
        pan_status s;
        if (!strcmp(key, "__metadata__")) {
            s = parse_metadata(path, value, impl, &meta_count);
        } else {
            s = parse_entry(path, key, value, data_size, &impl->tensors[count]);
            if (s == PAN_OK) {
                impl->tensors[count].data = data + impl->tensors[count].begin;
                count++;
            }
        }
        if (s != PAN_OK) return s;
    }
    qsort(impl->tensors, (size_t)count, sizeof *impl->tensors, by_offsets);
    pan_status s = check_tiling(path, impl->tensors, count, data_size);
    if (s != PAN_OK) return s;
    st->tensors = impl->tensors;
    st->count = count;
    st->meta = impl->meta;
    st->meta_count = meta_count;
    return PAN_OK;
}

static pan_status map_file(pan_safetensors *st, st_impl *impl) {
    const char *path = st->path;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return st_fail(path, errno == ENOENT ? PAN_ERR_NOT_FOUND : PAN_ERR_IO,
                       "cannot open: %s", strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return st_fail(path, PAN_ERR_IO, "cannot stat: %s", strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return st_fail(path, PAN_ERR_IO, "cannot read: not a regular file");
    }
    st->file_size = (size_t)sb.st_size;
    if (sb.st_size < 8) {
        close(fd);
        return st_fail(path, PAN_ERR_DATA_LOSS,
                       "file is %lld bytes, expected at least 8 (the header "
                       "length)", (long long)sb.st_size);
    }
    void *map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (map == MAP_FAILED)
        return st_fail(path, PAN_ERR_IO, "cannot mmap %lld bytes: %s",
                       (long long)sb.st_size, strerror(e));
    impl->map = map;
    impl->map_size = (size_t)sb.st_size;
    return PAN_OK;
}

pan_status pan_safetensors_open(pan_safetensors **out, const char *path) {
    if (!out || !path)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "safetensors open: expected a path and an output, "
                             "found NULL");
    pan_safetensors *st = calloc(1, sizeof *st);
    st_impl *impl = calloc(1, sizeof *impl);
    char *copy = strdup(path);
    if (!st || !impl || !copy) {
        free(st);
        free(impl);
        free(copy);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "checkpoint %s: out of memory", path);
    }
    st->path = copy;
    st->impl = impl;
    pan_status s = map_file(st, impl);
    if (s == PAN_OK) s = parse_header(st, impl);
    if (s != PAN_OK) {
        pan_safetensors_close(st);
        return s;
    }
    *out = st;
    return PAN_OK;
}

const pan_st_tensor *pan_safetensors_find(const pan_safetensors *st,
                                          const char *name) {
    if (!st || !name) return NULL;
    for (int i = 0; i < st->count; i++)
        if (!strcmp(st->tensors[i].name, name)) return &st->tensors[i];
    return NULL;
}

const char *pan_safetensors_meta(const pan_safetensors *st, const char *key) {
    if (!st || !key) return NULL;
    for (int i = 0; i < st->meta_count; i++)
        if (!strcmp(st->meta[i].key, key)) return st->meta[i].value;
    return NULL;
}

void pan_safetensors_read_f32(const pan_st_tensor *t, float *dst) {
    if (t->dtype == PAN_DTYPE_F32) {
        memcpy(dst, t->data, (size_t)t->numel * sizeof(float));
        return;
    }
    const unsigned char *src = t->data; /* (numel, 2) bytes, little endian */
    for (int64_t i = 0; i < t->numel; i++) {
        uint32_t bits = (uint32_t)src[2 * i] << 16 | (uint32_t)src[2 * i + 1] << 24;
        memcpy(&dst[i], &bits, sizeof bits);
    }
}
