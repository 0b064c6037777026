/* benchmarks/bench_train_io.c: the input file pan-bench-train writes for
 * its PyTorch peers (contract in bench_train.h).
 *
 * DIR/inputs.bin: every tensor's f32 values, little endian, one after the
 * other. DIR/inputs.json:
 *   {"format": "pan-bench-train-inputs 1", "bin": "inputs.bin",
 *    "cases": {NAME: [ENTRY, ...], ...}}
 *   ENTRY = {"kind": "tensor"|"grad", "name": N, "offset": FLOATS,
 *            "shape": [..]}
 *         | {"kind": "number", "name": N, "value": V}
 *         | {"kind": "actions", "name": N, "value": [[byte, ..], ..]}
 *         | {"kind": "flags", "name": N, "value": [0|1, ..]}
 *         | {"kind": "strings", "name": N, "value": ["..", ..]}
 * (benchmarks/train_torch.py's load_inputs reads it.) */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchmarks/bench_train.h"

struct train_io {
    FILE *bin;
    char *json, *path;
    size_t len, cap;
    int64_t offset;  /* floats written */
    int cases, entries;
    bool failed;
};

static void put(train_io *io, const char *fmt, ...) {
    if (io->failed) return;
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(io->json + io->len, io->cap - io->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            io->failed = true;
            return;
        }
        if ((size_t)n < io->cap - io->len) {
            io->len += (size_t)n;
            return;
        }
        size_t cap = io->cap * 2 + (size_t)n;
        char *grown = realloc(io->json, cap);
        if (!grown) {
            io->failed = true;
            return;
        }
        io->json = grown;
        io->cap = cap;
    }
}

train_io *train_io_open(const char *dir) {
    train_io *io = calloc(1, sizeof *io);
    size_t plen = strlen(dir) + 32;
    if (io) {
        io->cap = 1 << 16;
        io->json = malloc(io->cap);
        io->path = malloc(plen);
    }
    if (!io || !io->json || !io->path) {
        fprintf(stderr, "pan-bench-train: out of memory for the inputs file\n");
        if (io) free(io->json), free(io->path);
        free(io);
        return NULL;
    }
    snprintf(io->path, plen, "%s/inputs.bin", dir);
    io->bin = fopen(io->path, "wb");
    if (!io->bin) {
        fprintf(stderr, "pan-bench-train: cannot create %s\n", io->path);
        free(io->json);
        free(io->path);
        free(io);
        return NULL;
    }
    snprintf(io->path, plen, "%s/inputs.json", dir);
    io->json[0] = '\0';
    put(io, "{\"format\": \"pan-bench-train-inputs 1\", \"bin\": \"inputs.bin\", "
            "\"cases\": {");
    return io;
}

void train_io_case(train_io *io, const char *name) {
    if (!io) return;
    put(io, "%s\n\"%s\": [", io->cases ? "]," : "", name);
    io->cases++;
    io->entries = 0;
}

static void entry(train_io *io, const char *kind, const char *name) {
    put(io, "%s\n  {\"kind\": \"%s\", \"name\": \"%s\"", io->entries ? "," : "", kind,
        name);
    io->entries++;
}

void train_io_tensor(train_io *io, const char *field, bool grad,
                     const float *data, int ndim, const int64_t *shape) {
    if (!io || io->failed) return;
    int64_t count = 1;
    for (int i = 0; i < ndim; i++) count *= shape[i];
    entry(io, grad ? "grad" : "tensor", field);
    put(io, ", \"offset\": %lld, \"shape\": [", (long long)io->offset);
    for (int i = 0; i < ndim; i++) put(io, "%s%lld", i ? ", " : "", (long long)shape[i]);
    put(io, "]}");
    if (fwrite(data, sizeof(float), (size_t)count, io->bin) != (size_t)count)
        io->failed = true;
    io->offset += count;
}

void train_io_number(train_io *io, const char *key, double value) {
    if (!io) return;
    entry(io, "number", key);
    if (isfinite(value)) put(io, ", \"value\": %.17g}", value);
    else put(io, ", \"value\": null}");
}

void train_io_actions(train_io *io, const char *key, const uint8_t *const *bytes,
                      const int *lens, int n) {
    if (!io) return;
    entry(io, "actions", key);
    put(io, ", \"value\": [");
    for (int i = 0; i < n; i++) {
        put(io, "%s[", i ? ", " : "");
        for (int j = 0; j < lens[i]; j++) put(io, "%s%d", j ? "," : "", bytes[i][j]);
        put(io, "]");
    }
    put(io, "]}");
}

void train_io_flags(train_io *io, const char *key, const bool *flags, int n) {
    if (!io) return;
    entry(io, "flags", key);
    put(io, ", \"value\": [");
    for (int i = 0; i < n; i++) put(io, "%s%d", i ? ", " : "", flags[i] ? 1 : 0);
    put(io, "]}");
}

void train_io_strings(train_io *io, const char *key, const char *const *s, int n) {
    if (!io) return;
    entry(io, "strings", key);
    put(io, ", \"value\": [");
    for (int i = 0; i < n; i++) {
        put(io, "%s\"", i ? ", " : "");
        for (const char *c = s[i]; *c; c++) {
            if (*c < 0x20 || *c > 0x7e) io->failed = true; /* printable ASCII only */
            else put(io, *c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
        }
        put(io, "\"");
    }
    put(io, "]}");
}

bool train_io_close(train_io *io) {
    if (!io) return false;
    put(io, "%s}}\n", io->cases ? "]" : "");
    bool ok = !io->failed;
    if (fclose(io->bin) != 0) ok = false;
    if (ok) {
        FILE *f = fopen(io->path, "w");
        if (!f || fwrite(io->json, 1, io->len, f) != io->len) ok = false;
        if (f && fclose(f) != 0) ok = false;
    }
    if (!ok) fprintf(stderr, "pan-bench-train: error writing the inputs %s\n", io->path);
    free(io->json);
    free(io->path);
    free(io);
    return ok;
}
