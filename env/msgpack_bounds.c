/* env/msgpack_bounds.c: the declared-length pre-scan of a msgpack object
 * (contract in env/msgpack_bounds.h). msgpack-c trusts the counts it reads
 * and allocates for them before checking that the elements exist; this
 * walk checks every declared length against the bytes present first. */
#include "env/msgpack_bounds.h"

#include <stdio.h>

static uint64_t read_be(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v = (v << 8) | p[i];
    return v;
}

/* One item's layout: header bytes, a big-endian length field (0 if none)
 * that is a payload size (kind 'p') or an element count (kind 'a' array,
 * 'm' map), and a fixed payload. */
typedef struct item {
    size_t head;      /* type byte and length field */
    int len_bytes;    /* size of the length field inside head, 0 if none */
    uint64_t fixed;   /* payload size not given by a length field */
    char kind;        /* 'p' payload length, 'a' array, 'm' map, 0 scalar */
    uint64_t count;   /* for fix types: the count or length in the byte */
} item;

static bool describe(uint8_t b, item *it) {
    *it = (item){.head = 1};
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
        return true; /* fixint, nil, bool */
    if (b >= 0x80 && b <= 0x8f) { it->kind = 'm'; it->count = b & 0x0f; return true; }
    if (b >= 0x90 && b <= 0x9f) { it->kind = 'a'; it->count = b & 0x0f; return true; }
    if (b >= 0xa0 && b <= 0xbf) { it->fixed = b & 0x1f; return true; }
    switch (b) {
    case 0xc4: case 0xd9: it->len_bytes = 1; it->kind = 'p'; break; /* bin8 str8 */
    case 0xc5: case 0xda: it->len_bytes = 2; it->kind = 'p'; break;
    case 0xc6: case 0xdb: it->len_bytes = 4; it->kind = 'p'; break;
    case 0xc7: it->len_bytes = 1; it->kind = 'p'; it->fixed = 1; break; /* ext + type */
    case 0xc8: it->len_bytes = 2; it->kind = 'p'; it->fixed = 1; break;
    case 0xc9: it->len_bytes = 4; it->kind = 'p'; it->fixed = 1; break;
    case 0xca: it->fixed = 4; break; /* float32 */
    case 0xcb: it->fixed = 8; break; /* float64 */
    case 0xcc: case 0xd0: it->fixed = 1; break;
    case 0xcd: case 0xd1: it->fixed = 2; break;
    case 0xce: case 0xd2: it->fixed = 4; break;
    case 0xcf: case 0xd3: it->fixed = 8; break;
    case 0xd4: it->fixed = 2; break; /* fixext: type + data */
    case 0xd5: it->fixed = 3; break;
    case 0xd6: it->fixed = 5; break;
    case 0xd7: it->fixed = 9; break;
    case 0xd8: it->fixed = 17; break;
    case 0xdc: it->len_bytes = 2; it->kind = 'a'; break;
    case 0xdd: it->len_bytes = 4; it->kind = 'a'; break;
    case 0xde: it->len_bytes = 2; it->kind = 'm'; break;
    case 0xdf: it->len_bytes = 4; it->kind = 'm'; break;
    default: return false; /* 0xc1 is never used */
    }
    it->head += (size_t)it->len_bytes;
    return true;
}

bool pan_msgpack_check_bounds(const uint8_t *data, size_t len, int max_depth,
                              char *err, size_t err_size) {
    if (max_depth < 1 || max_depth > PAN_MSGPACK_DEPTH_LIMIT)
        max_depth = PAN_MSGPACK_DEPTH_LIMIT;
    if (err_size > 0) err[0] = '\0';
    uint64_t pending[PAN_MSGPACK_DEPTH_LIMIT + 1]; /* items left per level */
    int depth = 1;
    pending[0] = 1; /* the root object */
    size_t pos = 0;
    while (depth > 0) {
        if (pending[depth - 1] == 0) {
            depth--;
            continue;
        }
        pending[depth - 1]--;
        if (pos >= len) {
            snprintf(err, err_size, "at byte %zu: an element is missing (the "
                     "body ends early)", pos);
            return false;
        }
        item it;
        if (!describe(data[pos], &it)) {
            snprintf(err, err_size, "at byte %zu: invalid type byte 0x%02x",
                     pos, data[pos]);
            return false;
        }
        if (it.head > len - pos) {
            snprintf(err, err_size, "at byte %zu: header of %zu bytes, only "
                     "%zu left", pos, it.head, len - pos);
            return false;
        }
        uint64_t n = it.len_bytes ? read_be(data + pos + 1, it.len_bytes)
                                  : it.count;
        size_t at = pos;
        pos += it.head;
        size_t left = len - pos;
        uint64_t payload = it.fixed + (it.kind == 'p' ? n : 0);
        if (payload > left) {
            snprintf(err, err_size, "at byte %zu: declares %llu bytes of "
                     "data, only %zu left", at, (unsigned long long)payload,
                     left);
            return false;
        }
        pos += (size_t)payload;
        if (it.kind == 'a' || it.kind == 'm') {
            uint64_t elements = it.kind == 'm' ? 2 * n : n;
            if (elements > left) {
                snprintf(err, err_size, "at byte %zu: declares %llu "
                         "elements, only %zu bytes left", at,
                         (unsigned long long)elements, left);
                return false;
            }
            if (elements > 0) {
                if (depth > max_depth) {
                    snprintf(err, err_size, "at byte %zu: containers nested "
                             "deeper than %d", at, max_depth);
                    return false;
                }
                pending[depth++] = elements;
            }
        }
    }
    if (pos != len) {
        snprintf(err, err_size, "at byte %zu: %zu trailing bytes after the "
                 "body's object", pos, len - pos);
        return false;
    }
    return true;
}
