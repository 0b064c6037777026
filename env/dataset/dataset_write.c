/* env/dataset/dataset_write.c: packing an episode into the msgpack body and
 * writing header + body + CRC32 atomically (temporary, fsync, rename).
 * An episode with truth is written as format version 1, one without as
 * version 2 (the same body less `results` and `states`).
 *
 * The body is packed twice by the same function: once into a counting sink
 * (the header needs its length first), once into the file, streaming the
 * CRC, so the frames are never copied. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "env/dataset/dataset_internal.h"

typedef struct sink {
    FILE *file;      /* NULL: only count */
    uint64_t bytes;  /* bytes packed so far */
    uLong crc;       /* CRC32 of header + what was written */
    int error;       /* errno of the first failed write, 0 if none */
} sink;

static int sink_write(void *data, const char *buf, size_t len) {
    sink *s = data;
    s->bytes += len;
    if (!s->file || s->error) return 0;
    s->crc = crc32_z(s->crc, (const Bytef *)buf, len);
    if (fwrite(buf, 1, len, s->file) != len) s->error = errno ? errno : EIO;
    return 0;
}

static void pack_str(msgpack_packer *pk, const char *s) {
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

static void pack_key(msgpack_packer *pk, const char *key) { pack_str(pk, key); }

static void pack_object(msgpack_packer *pk, const pan_object_state *o) {
    msgpack_pack_map(pk, 6);
    pack_key(pk, "colour"); msgpack_pack_int32(pk, o->colour);
    pack_key(pk, "shape"); msgpack_pack_int32(pk, o->shape);
    pack_key(pk, "x"); msgpack_pack_float(pk, o->x);
    pack_key(pk, "y"); msgpack_pack_float(pk, o->y);
    pack_key(pk, "size"); msgpack_pack_float(pk, o->size);
    pack_key(pk, "visible");
    if (o->visible) msgpack_pack_true(pk); else msgpack_pack_false(pk);
}

static void pack_state(msgpack_packer *pk, const pan_world_state *s) {
    msgpack_pack_map(pk, 8);
    pack_key(pk, "objects");
    msgpack_pack_array(pk, (size_t)s->n_objects);
    for (int i = 0; i < s->n_objects; i++) pack_object(pk, &s->objects[i]);
    pack_key(pk, "brightness"); msgpack_pack_float(pk, s->brightness);
    pack_key(pk, "camera_x"); msgpack_pack_float(pk, s->camera_x);
    pack_key(pk, "camera_y"); msgpack_pack_float(pk, s->camera_y);
    pack_key(pk, "heading"); msgpack_pack_int32(pk, s->heading);
    pack_key(pk, "seed"); msgpack_pack_uint64(pk, s->seed);
    pack_key(pk, "rng"); msgpack_pack_uint64(pk, s->rng);
    pack_key(pk, "steps"); msgpack_pack_int64(pk, s->steps);
}

static void pack_result(msgpack_packer *pk, const pan_action_result *r) {
    msgpack_pack_map(pk, 6);
    pack_key(pk, "understood");
    if (r->understood) msgpack_pack_true(pk); else msgpack_pack_false(pk);
    pack_key(pk, "kind"); pack_str(pk, pan_episode_kind_names[r->kind]);
    pack_key(pk, "heldout");
    if (r->heldout) msgpack_pack_true(pk); else msgpack_pack_false(pk);
    pack_key(pk, "template_id"); msgpack_pack_int32(pk, r->template_id);
    pack_key(pk, "canonical"); pack_str(pk, r->canonical);
    pack_key(pk, "message"); pack_str(pk, r->message);
}

/* The body: one map, keys in this order (docs/dataset.md); without truth
 * the same order less results and states. */
static void pack_episode(msgpack_packer *pk, const pan_episode *ep) {
    const pan_episode_meta *m = &ep->meta;
    msgpack_pack_map(pk, m->truth ? 9 : 7);
    pack_key(pk, "world"); pack_str(pk, m->world);
    pack_key(pk, "seed"); msgpack_pack_uint64(pk, m->seed);
    pack_key(pk, "split"); pack_str(pk, pan_episode_split_name(m->split));
    pack_key(pk, "config");
    msgpack_pack_map(pk, 3);
    pack_key(pk, "height"); msgpack_pack_int32(pk, m->config.height);
    pack_key(pk, "width"); msgpack_pack_int32(pk, m->config.width);
    pack_key(pk, "frames_per_step");
    msgpack_pack_int32(pk, m->config.frames_per_step);
    pack_key(pk, "steps"); msgpack_pack_int64(pk, m->steps);
    pack_key(pk, "actions");
    msgpack_pack_array(pk, (size_t)m->steps);
    for (int64_t t = 0; t < m->steps; t++) pack_str(pk, ep->actions[t]);
    if (m->truth) {
        pack_key(pk, "results");
        msgpack_pack_array(pk, (size_t)m->steps);
        for (int64_t t = 0; t < m->steps; t++)
            pack_result(pk, &ep->results[t]);
        pack_key(pk, "states");
        msgpack_pack_array(pk, (size_t)m->steps + 1);
        for (int64_t t = 0; t <= m->steps; t++) pack_state(pk, &ep->states[t]);
    }
    pack_key(pk, "frames");
    size_t bytes = pan_episode_frame_bytes(m);
    msgpack_pack_bin(pk, bytes);
    msgpack_pack_bin_body(pk, ep->frames, bytes);
}

/* "dir/name" -> "dir/.name.tmpXXXXXX" (mkstemp template); malloc'd. */
static char *temporary_template(const char *path) {
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
    size_t n = strlen(path) + 1 + 10 + 1;
    char *t = malloc(n);
    if (!t) return NULL;
    snprintf(t, n, "%.*s.%s.tmpXXXXXX", (int)dir_len, path, path + dir_len);
    return t;
}

/* fsync of the directory holding path, so the rename is durable. File
 * systems that cannot sync a directory (EINVAL) are accepted. */
static pan_status sync_directory(const char *path) {
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash) {
        strcpy(dir, ".");
    } else {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        if (n >= sizeof dir) return PAN_OK;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return PAN_OK;
    int rc = fsync(fd);
    int err = errno;
    close(fd);
    if (rc != 0 && err != EINVAL && err != EROFS)
        return pan_error_set(PAN_ERR_IO, "episode %s: fsync of directory %s: "
                             "%s", path, dir, strerror(err));
    return PAN_OK;
}

pan_status pan_episode_write(const pan_episode *ep, const char *path) {
    if (!ep || !path || !ep->frames)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "episode write: ep (with frames) and path must "
                             "not be NULL");
    pan_status status = pan_episode_validate(ep, path);
    if (status != PAN_OK) return status;

    sink count = {0};
    msgpack_packer pk;
    msgpack_packer_init(&pk, &count, sink_write);
    pack_episode(&pk, ep);
    uint64_t body = count.bytes;
    if (body + PAN_EPISODE_HEADER_SIZE + PAN_EPISODE_TRAILER_SIZE >
        PAN_EPISODE_MAX_FILE_BYTES)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "episode %s: body of %llu bytes is over the "
                             "format's file limit of %llu bytes", path,
                             (unsigned long long)body,
                             (unsigned long long)PAN_EPISODE_MAX_FILE_BYTES);

    char *tmp = temporary_template(path);
    if (!tmp)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "episode %s: out of memory", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        status = pan_error_set(PAN_ERR_IO, "episode %s: cannot create "
                               "temporary %s: %s", path, tmp, strerror(errno));
        free(tmp);
        return status;
    }
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        status = pan_error_set(PAN_ERR_IO, "episode %s: fdopen: %s", path,
                               strerror(errno));
        close(fd);
        goto fail;
    }
    uint8_t header[PAN_EPISODE_HEADER_SIZE];
    memcpy(header, PAN_EPISODE_MAGIC, PAN_EPISODE_MAGIC_SIZE);
    pan_put_u32le(header + 8, pan_episode_version(&ep->meta));
    pan_put_u32le(header + 12, 0); /* flags: none defined */
    pan_put_u64le(header + 16, body);

    sink out = {.file = f, .crc = crc32_z(0L, Z_NULL, 0)};
    sink_write(&out, (const char *)header, sizeof header);
    msgpack_packer_init(&pk, &out, sink_write);
    pack_episode(&pk, ep);
    uint8_t trailer[PAN_EPISODE_TRAILER_SIZE];
    pan_put_u32le(trailer, (uint32_t)out.crc);
    if (!out.error && fwrite(trailer, 1, sizeof trailer, f) != sizeof trailer)
        out.error = errno ? errno : EIO;
    if (!out.error && fflush(f) != 0) out.error = errno ? errno : EIO;
    if (!out.error && fchmod(fileno(f), 0644) != 0) out.error = errno;
    if (!out.error && fsync(fileno(f)) != 0) out.error = errno;
    if (fclose(f) != 0 && !out.error) out.error = errno ? errno : EIO;
    if (out.error) {
        status = pan_error_set(PAN_ERR_IO, "episode %s: writing %s: %s", path,
                               tmp, strerror(out.error));
        goto fail;
    }
    if (out.bytes != body + sizeof header) {
        status = pan_error_set(PAN_ERR_INTERNAL, "episode %s: packed %llu "
                               "body bytes, counted %llu", path,
                               (unsigned long long)(out.bytes - sizeof header),
                               (unsigned long long)body);
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        status = pan_error_set(PAN_ERR_IO, "episode %s: rename from %s: %s",
                               path, tmp, strerror(errno));
        goto fail;
    }
    free(tmp);
    return sync_directory(path);
fail:
    unlink(tmp);
    free(tmp);
    return status;
}
