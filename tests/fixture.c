/* tests/fixture.c: the PANFIX01 reader (format in tests/fixture.h). */
#include "tests/fixture.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIXTURE_MAX_RECORDS 100000

typedef struct reader {
    const char *path;
    FILE *file;
} reader;

static pan_status read_exact(reader *r, void *dst, size_t bytes,
                             const char *what) {
    if (bytes == 0 || fread(dst, 1, bytes, r->file) == bytes) return PAN_OK;
    return pan_error_set(PAN_ERR_DATA_LOSS,
                         "fixture %s: truncated while reading %s (%zu bytes)",
                         r->path, what, bytes);
}

static pan_status read_u32(reader *r, uint32_t *v, const char *what) {
    unsigned char b[4];
    pan_status status = read_exact(r, b, 4, what);
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
         (uint32_t)b[3] << 24;
    return status;
}

static pan_status read_i64(reader *r, int64_t *v, const char *what) {
    unsigned char b[8];
    pan_status status = read_exact(r, b, 8, what);
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--) u = u << 8 | b[i];
    memcpy(v, &u, sizeof u);
    return status;
}

static size_t dtype_size(uint32_t dtype) {
    switch (dtype) {
    case FIXTURE_F32: return 4;
    case FIXTURE_F64: return 8;
    case FIXTURE_I32: return 4;
    case FIXTURE_U8: return 1;
    default: return 0;
    }
}

static pan_status read_record(reader *r, fixture_record *rec, int index) {
    uint32_t name_len, dtype, ndim;
    pan_status status = read_u32(r, &name_len, "a name length");
    if (status != PAN_OK) return status;
    if (name_len == 0 || name_len >= FIXTURE_NAME_MAX)
        return pan_error_set(PAN_ERR_DATA_LOSS,
                             "fixture %s: record %d has a name of %u bytes, "
                             "expected 1..%d",
                             r->path, index, name_len, FIXTURE_NAME_MAX - 1);
    status = read_exact(r, rec->name, name_len, "a name");
    if (status != PAN_OK) return status;
    rec->name[name_len] = '\0';
    if ((status = read_u32(r, &dtype, "a dtype")) != PAN_OK ||
        (status = read_u32(r, &ndim, "a rank")) != PAN_OK)
        return status;
    if (dtype_size(dtype) == 0 || ndim > FIXTURE_MAX_DIMS)
        return pan_error_set(PAN_ERR_DATA_LOSS,
                             "fixture %s: record '%s' has dtype %u and rank "
                             "%u, expected dtype 0..3 and rank 0..%d",
                             r->path, rec->name, dtype, ndim,
                             FIXTURE_MAX_DIMS);
    rec->dtype = (fixture_dtype)dtype;
    rec->ndim = (int)ndim;
    rec->count = 1;
    for (int d = 0; d < rec->ndim; d++) {
        if ((status = read_i64(r, &rec->shape[d], "a shape")) != PAN_OK)
            return status;
        if (rec->shape[d] < 0 || rec->shape[d] > (INT64_C(1) << 32) ||
            rec->count > (INT64_C(1) << 32))
            return pan_error_set(PAN_ERR_DATA_LOSS,
                                 "fixture %s: record '%s' has dimension %d of "
                                 "size %lld",
                                 r->path, rec->name, d,
                                 (long long)rec->shape[d]);
        rec->count *= rec->shape[d];
    }
    size_t bytes = (size_t)rec->count * dtype_size(dtype);
    size_t rounded = (bytes + 63) & ~(size_t)63;
    rec->data = aligned_alloc(64, rounded ? rounded : 64);
    if (!rec->data)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "fixture %s: cannot allocate %zu bytes for '%s'",
                             r->path, bytes, rec->name);
    return read_exact(r, rec->data, bytes, rec->name);
}

pan_status fixture_load(fixture *fx, const char *path) {
    const uint16_t probe = 1;
    if (*(const unsigned char *)&probe != 1)
        return pan_error_set(PAN_ERR_UNIMPLEMENTED,
                             "fixture %s: this reader needs a little-endian "
                             "host",
                             path);
    reader r = {.path = path, .file = fopen(path, "rb")};
    if (!r.file)
        return pan_error_set(PAN_ERR_IO, "fixture %s: cannot open", path);
    fixture made = {0};
    char magic[8];
    uint32_t version = 0, count = 0;
    pan_status status = read_exact(&r, magic, 8, "the magic");
    if (status == PAN_OK && memcmp(magic, "PANFIX01", 8) != 0)
        status = pan_error_set(PAN_ERR_DATA_LOSS,
                               "fixture %s: not a PANFIX01 file", path);
    if (status == PAN_OK) status = read_u32(&r, &version, "the version");
    if (status == PAN_OK && version != 1)
        status = pan_error_set(PAN_ERR_DATA_LOSS,
                               "fixture %s: version %u, expected 1", path,
                               version);
    if (status == PAN_OK) status = read_u32(&r, &count, "the record count");
    if (status == PAN_OK && count > FIXTURE_MAX_RECORDS)
        status = pan_error_set(PAN_ERR_DATA_LOSS,
                               "fixture %s: %u records, at most %d expected",
                               path, count, FIXTURE_MAX_RECORDS);
    if (status == PAN_OK && count > 0) {
        made.records = calloc(count, sizeof *made.records);
        if (!made.records)
            status = pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                                   "fixture %s: out of memory", path);
    }
    for (uint32_t i = 0; status == PAN_OK && i < count; i++) {
        made.count = (int)i + 1; /* so that fixture_free frees this one */
        status = read_record(&r, &made.records[i], (int)i);
    }
    if (status == PAN_OK && fgetc(r.file) != EOF)
        status = pan_error_set(PAN_ERR_DATA_LOSS,
                               "fixture %s: bytes after the last record", path);
    fclose(r.file);
    if (status != PAN_OK) {
        fixture_free(&made);
        return status;
    }
    *fx = made;
    return PAN_OK;
}

void fixture_free(fixture *fx) {
    for (int i = 0; i < fx->count; i++) free(fx->records[i].data);
    free(fx->records);
    fx->records = NULL;
    fx->count = 0;
}

const fixture_record *fixture_find(const fixture *fx, const char *name) {
    for (int i = 0; i < fx->count; i++)
        if (strcmp(fx->records[i].name, name) == 0) return &fx->records[i];
    return NULL;
}

const fixture_record *fixture_need(const fixture *fx, fixture_dtype dtype,
                                   const char *fmt, ...) {
    char name[FIXTURE_NAME_MAX];
    va_list args;
    va_start(args, fmt);
    vsnprintf(name, sizeof name, fmt, args);
    va_end(args);
    const fixture_record *rec = fixture_find(fx, name);
    if (!rec || rec->dtype != dtype) {
        fprintf(stderr, "fixture: record '%s' %s\n", name,
                rec ? "has the wrong dtype" : "is missing");
        return NULL;
    }
    return rec;
}

double fixture_nmse(const double *ref, const float *got, int64_t n) {
    double num = 0.0, den = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double diff = ref[i] - (double)got[i];
        num += diff * diff;
        den += ref[i] * ref[i];
    }
    return den == 0.0 ? (num == 0.0 ? 0.0 : INFINITY) : num / den;
}
