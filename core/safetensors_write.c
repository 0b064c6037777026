/* core/safetensors_write.c: the atomic safetensors writer (f32 only):
 * header JSON (jansson, insertion order, __metadata__ first) padded with
 * spaces so the data starts at a multiple of 64 bytes; written to
 * PATH.tmp.<pid>, fsynced, renamed over PATH, directory fsynced. */
#define _POSIX_C_SOURCE 200809L
#include "core/safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "pan's safetensors writer assumes a little-endian host"
#endif

#define PAN_ST_DATA_ALIGN 64

static pan_status check_tensor(const char *path, const pan_st_write_tensor *t,
                               int index, int64_t *numel) {
    if (!t->name || !t->name[0] || !strcmp(t->name, "__metadata__"))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "checkpoint %s: tensor %d: expected a non-empty "
                             "name other than __metadata__, found %s%s%s",
                             path, index, t->name ? "'" : "",
                             t->name ? t->name : "NULL", t->name ? "'" : "");
    if (t->ndim < 0 || t->ndim > PAN_TENSOR_MAX_DIMS || (t->ndim && !t->shape))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "checkpoint %s: tensor '%s': expected 0..%d "
                             "dimensions, found %d", path, t->name,
                             PAN_TENSOR_MAX_DIMS, t->ndim);
    *numel = 1;
    for (int d = 0; d < t->ndim; d++) {
        if (t->shape[d] < 0 ||
            (t->shape[d] && *numel > INT64_MAX / 8 / t->shape[d]))
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "checkpoint %s: tensor '%s': dimension %d "
                                 "is %lld, expected a non-negative size",
                                 path, t->name, d, (long long)t->shape[d]);
        *numel *= t->shape[d];
    }
    if (*numel > 0 && !t->data)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "checkpoint %s: tensor '%s': expected data for "
                             "%lld floats, found NULL", path, t->name,
                             (long long)*numel);
    return PAN_OK;
}

static json_t *shape_array(const pan_st_write_tensor *t) {
    json_t *a = json_array();
    for (int d = 0; a && d < t->ndim; d++)
        if (json_array_append_new(a, json_integer(t->shape[d])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* The header JSON (unpadded) in *out, malloc'd. */
static pan_status build_header(const char *path,
                               const pan_st_write_tensor *tensors, int count,
                               const pan_st_meta *meta, int meta_count,
                               char **out, uint64_t *data_size) {
    json_t *root = json_object();
    pan_status st = root ? PAN_OK : PAN_ERR_RESOURCE_EXHAUSTED;
    if (st == PAN_OK && meta_count > 0) {
        json_t *m = json_object();
        if (!m || json_object_set_new(root, "__metadata__", m) != 0)
            st = PAN_ERR_RESOURCE_EXHAUSTED;
        for (int i = 0; st == PAN_OK && i < meta_count; i++) {
            json_t *v = meta[i].key && meta[i].value ? json_string(meta[i].value)
                                                     : NULL;
            if (!v || json_object_set_new(m, meta[i].key, v) != 0)
                st = pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                   "checkpoint %s: metadata %d: expected a "
                                   "UTF-8 key and value, found %s", path, i,
                                   meta[i].key ? meta[i].key : "NULL");
        }
    }
    uint64_t offset = 0;
    for (int i = 0; st == PAN_OK && i < count; i++) {
        const pan_st_write_tensor *t = &tensors[i];
        int64_t numel = 0;
        st = check_tensor(path, t, i, &numel);
        if (st != PAN_OK) break;
        if (json_object_get(root, t->name)) {
            st = pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                               "checkpoint %s: tensor '%s' given twice", path,
                               t->name);
            break;
        }
        uint64_t end = offset + (uint64_t)numel * sizeof(float);
        json_t *entry = json_pack("{s:s, s:o, s:[I, I]}", "dtype", "F32",
                                  "shape", shape_array(t), "data_offsets",
                                  (json_int_t)offset, (json_int_t)end);
        if (!entry || json_object_set_new(root, t->name, entry) != 0)
            st = pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                               "checkpoint %s: tensor '%s': cannot encode "
                               "(expected a UTF-8 name)", path, t->name);
        offset = end;
    }
    char *text = NULL;
    if (st == PAN_OK) {
        text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (!text) st = PAN_ERR_RESOURCE_EXHAUSTED;
    }
    json_decref(root);
    if (st == PAN_ERR_RESOURCE_EXHAUSTED)
        pan_error_set(st, "checkpoint %s: out of memory building the header",
                      path);
    *data_size = offset;
    *out = text;
    return st;
}

static int write_all(int fd, const void *buf, size_t size) {
    const char *p = buf;
    while (size > 0) {
        size_t chunk = size < ((size_t)1 << 30) ? size : ((size_t)1 << 30);
        ssize_t n = write(fd, p, chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n;
        size -= (size_t)n;
    }
    return 0;
}

static pan_status write_file(int fd, const char *header, uint64_t header_len,
                             const pan_st_write_tensor *tensors, int count) {
    char spaces[PAN_ST_DATA_ALIGN];
    memset(spaces, ' ', sizeof spaces);
    size_t text_len = strlen(header);
    if (write_all(fd, &header_len, 8) != 0 ||
        write_all(fd, header, text_len) != 0 ||
        write_all(fd, spaces, (size_t)header_len - text_len) != 0)
        return PAN_ERR_IO;
    for (int i = 0; i < count; i++) {
        int64_t numel = 1;
        for (int d = 0; d < tensors[i].ndim; d++) numel *= tensors[i].shape[d];
        if (numel && write_all(fd, tensors[i].data,
                               (size_t)numel * sizeof(float)) != 0)
            return PAN_ERR_IO;
    }
    return fsync(fd) == 0 ? PAN_OK : PAN_ERR_IO;
}

/* fsync of the directory holding `path`, so the rename is durable. */
static int sync_parent_dir(const char *path) {
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    if (rc != 0 && (errno == EINVAL || errno == EROFS)) rc = 0; /* unsupported */
    close(fd);
    return rc;
}

pan_status pan_safetensors_write(const char *path,
                                 const pan_st_write_tensor *tensors, int count,
                                 const pan_st_meta *meta, int meta_count) {
    if (!path || count < 0 || (count && !tensors) || meta_count < 0 ||
        (meta_count && !meta))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "safetensors write: expected a path, tensors "
                             "and metadata, found NULL or a negative count");
    uint64_t data_size = 0;
    char *header = NULL;
    pan_status built = build_header(path, tensors, count, meta, meta_count,
                                    &header, &data_size);
    if (built != PAN_OK) return built;
    uint64_t header_len = strlen(header);
    header_len += (PAN_ST_DATA_ALIGN - (8 + header_len) % PAN_ST_DATA_ALIGN) %
                  PAN_ST_DATA_ALIGN;

    size_t tmp_size = strlen(path) + 32;
    char *tmp = malloc(tmp_size);
    if (!tmp) {
        free(header);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "checkpoint %s: out of memory", path);
    }
    snprintf(tmp, tmp_size, "%s.tmp.%ld", path, (long)getpid());
    pan_status st = PAN_OK;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        st = pan_error_set(PAN_ERR_IO, "checkpoint %s: cannot create %s: %s",
                           path, tmp, strerror(errno));
    } else {
        st = write_file(fd, header, header_len, tensors, count);
        int e = errno;
        if (close(fd) != 0 && st == PAN_OK) {
            st = PAN_ERR_IO;
            e = errno;
        }
        if (st != PAN_OK)
            pan_error_set(st, "checkpoint %s: cannot write %s (%llu bytes): %s",
                          path, tmp,
                          (unsigned long long)(8 + header_len + data_size),
                          strerror(e));
        else if (rename(tmp, path) != 0)
            st = pan_error_set(PAN_ERR_IO,
                               "checkpoint %s: cannot rename %s over it: %s",
                               path, tmp, strerror(errno));
        if (st != PAN_OK) unlink(tmp);
    }
    if (st == PAN_OK && sync_parent_dir(path) != 0)
        st = pan_error_set(PAN_ERR_IO,
                           "checkpoint %s: written, but syncing its directory "
                           "failed: %s", path, strerror(errno));
    free(tmp);
    free(header);
    return st;
}
