/* tests/model/test_safetensors.c: the safetensors reader and writer --
 * f32 round trip (0-D, empty and 4-D tensors, metadata), BF16 reading from
 * a file written byte by byte, the 64-byte data alignment and space
 * padding, atomic writes (no temporary left behind; a failed write leaves
 * the old file intact) and argument errors. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/safetensors.h"
#include "tests/model/ckpt_mutate.h"
#include "tests/test_util.h"

static char dir[] = "/tmp/pan_safetensors_XXXXXX";

static void path_in_dir(char *out, size_t size, const char *name) {
    snprintf(out, size, "%s/%s", dir, name);
}

/* Number of directory entries whose name contains ".tmp.". */
static int temp_files(void) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) n++;
    if (d) closedir(d);
    return n;
}

static float a_data[2 * 3 * 4 * 5]; /* (2, 3, 4, 5) */
static float b_data[7];             /* (7) */
static float s_data[1] = {3.5f};    /* () */

static const pan_st_write_tensor tensors[] = {
    {"z.a", 4, (const int64_t[]){2, 3, 4, 5}, a_data},
    {"scalar", 0, NULL, s_data},
    {"empty", 2, (const int64_t[]){0, 3}, NULL},
    {"b", 1, (const int64_t[]){7}, b_data},
};
static const pan_st_meta meta[] = {{"pan.note", "hello"}, {"k", ""}};

static void check_round_trip(void) {
    test_rng rng = {1};
    test_fill_uniform(&rng, a_data, 120, 1.0f, 0.0f);
    test_fill_uniform(&rng, b_data, 7, 100.0f, 0.0f);
    char path[512];
    path_in_dir(path, sizeof path, "rt.safetensors");
    CHECK_STATUS(pan_safetensors_write(path, tensors, 4, meta, 2), PAN_OK);
    CHECK(temp_files() == 0);

    pan_safetensors *st = NULL;
    CHECK_STATUS(pan_safetensors_open(&st, path), PAN_OK);
    if (!st) return;
    CHECK(st->count == 4 && st->meta_count == 2);
    CHECK(strcmp(st->path, path) == 0);
    /* Kept in the order of data offsets: the write order here. */
    for (int i = 0; i < 4 && st->count == 4; i++)
        CHECK(strcmp(st->tensors[i].name, tensors[i].name) == 0);
    const pan_st_tensor *a = pan_safetensors_find(st, "z.a");
    CHECK(a && a->dtype == PAN_DTYPE_F32 && a->ndim == 4 && a->numel == 120 &&
          a->shape[3] == 5 && a->begin == 0 && a->end == 480);
    float back[120];
    if (a) {
        pan_safetensors_read_f32(a, back);
        CHECK(memcmp(back, a_data, sizeof a_data) == 0);
    }
    const pan_st_tensor *s = pan_safetensors_find(st, "scalar");
    CHECK(s && s->ndim == 0 && s->numel == 1);
    if (s) {
        pan_safetensors_read_f32(s, back);
        CHECK(back[0] == 3.5f);
    }
    const pan_st_tensor *e = pan_safetensors_find(st, "empty");
    CHECK(e && e->numel == 0 && e->begin == e->end && e->ndim == 2);
    const pan_st_tensor *b = pan_safetensors_find(st, "b");
    if (b) {
        pan_safetensors_read_f32(b, back);
        CHECK(memcmp(back, b_data, sizeof b_data) == 0);
    }
    CHECK(pan_safetensors_find(st, "nope") == NULL);
    CHECK(pan_safetensors_find(st, "__metadata__") == NULL);
    CHECK(strcmp(pan_safetensors_meta(st, "pan.note"), "hello") == 0);
    CHECK(strcmp(pan_safetensors_meta(st, "k"), "") == 0);
    CHECK(pan_safetensors_meta(st, "pan.config") == NULL);

    /* The data starts at a multiple of 64; the header is padded with spaces. */
    ckpt_bytes raw = {0};
    CHECK(ckpt_read_file(path, &raw) == 0);
    uint64_t hl = 0;
    memcpy(&hl, raw.data, 8);
    CHECK((8 + hl) % 64 == 0);
    CHECK(raw.data[8] == '{' &&
          (raw.data[8 + hl - 1] == ' ' || raw.data[8 + hl - 1] == '}'));
    CHECK(raw.size == 8 + hl + (120 + 1 + 7) * 4);
    CHECK(st->file_size == raw.size);
    if (a && s)
        CHECK((const unsigned char *)s->data - (const unsigned char *)a->data == 480);
    ckpt_bytes_free(&raw);
    pan_safetensors_close(st);
    unlink(path);
}

/* A file written byte by byte: one BF16 tensor, one F32 tensor, no
 * padding, no metadata. */
static void check_bf16(void) {
    const char header[] = "{\"h\":{\"dtype\":\"BF16\",\"shape\":[2,3],"
                          "\"data_offsets\":[0,12]},"
                          "\"f\":{\"dtype\":\"F32\",\"shape\":[1],"
                          "\"data_offsets\":[12,16]}}";
    const uint16_t halves[6] = {0x3F80, 0xC020, 0x3E20, 0x0000, 0x8000, 0x7F80};
    const float want[6] = {1.0f, -2.5f, 0.15625f, 0.0f, -0.0f, INFINITY};
    unsigned char file[256];
    uint64_t hl = sizeof header - 1;
    size_t n = 0;
    memcpy(file, &hl, 8);
    n += 8;
    memcpy(file + n, header, hl);
    n += hl;
    for (int i = 0; i < 6; i++) { /* little endian */
        file[n++] = (unsigned char)(halves[i] & 0xFF);
        file[n++] = (unsigned char)(halves[i] >> 8);
    }
    const float f = -7.25f;
    memcpy(file + n, &f, 4);
    n += 4;
    char path[512];
    path_in_dir(path, sizeof path, "bf16.safetensors");
    CHECK(ckpt_write_file(path, file, n) == 0);

    pan_safetensors *st = NULL;
    CHECK_STATUS(pan_safetensors_open(&st, path), PAN_OK);
    if (!st) return;
    CHECK(st->count == 2 && st->meta_count == 0);
    const pan_st_tensor *h = pan_safetensors_find(st, "h");
    CHECK(h && h->dtype == PAN_DTYPE_BF16 && h->numel == 6);
    float got[6];
    if (h) {
        pan_safetensors_read_f32(h, got);
        CHECK(memcmp(got, want, sizeof want) == 0); /* bit-exact, -0 included */
    }
    const pan_st_tensor *ft = pan_safetensors_find(st, "f");
    if (ft) {
        pan_safetensors_read_f32(ft, got);
        CHECK(got[0] == -7.25f);
    }
    pan_safetensors_close(st);
    unlink(path);
}

static void write_one(const char *path, float value, pan_status want) {
    float x[3] = {value, value, value};
    pan_st_write_tensor t = {"x", 1, (const int64_t[]){3}, x};
    CHECK_STATUS(pan_safetensors_write(path, &t, 1, NULL, 0), want);
}

static float read_one(const char *path) {
    pan_safetensors *st = NULL;
    float x[3] = {-1, -1, -1};
    if (pan_safetensors_open(&st, path) != PAN_OK) return -1;
    const pan_st_tensor *t = pan_safetensors_find(st, "x");
    if (t && t->numel == 3) pan_safetensors_read_f32(t, x);
    pan_safetensors_close(st);
    return x[2];
}

static void check_atomic(void) {
    char path[512], tmp[600], sub[512];
    path_in_dir(path, sizeof path, "atomic.safetensors");
    write_one(path, 1.0f, PAN_OK);
    CHECK(read_one(path) == 1.0f);
    write_one(path, 2.0f, PAN_OK); /* replaced */
    CHECK(read_one(path) == 2.0f);
    CHECK(temp_files() == 0);

    /* The temporary cannot be created (a directory is in its way): IO, old
     * file intact. */
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    CHECK(mkdir(tmp, 0755) == 0);
    write_one(path, 3.0f, PAN_ERR_IO);
    CHECK(strstr(pan_error_message(), "atomic.safetensors") != NULL);
    CHECK(read_one(path) == 2.0f);
    rmdir(tmp);

    /* The rename fails (PATH is a non-empty directory): IO, temporary gone. */
    path_in_dir(sub, sizeof sub, "isdir.safetensors");
    CHECK(mkdir(sub, 0755) == 0);
    char inner[600];
    snprintf(inner, sizeof inner, "%s/keep", sub);
    CHECK(ckpt_write_file(inner, "k", 1) == 0);
    write_one(sub, 4.0f, PAN_ERR_IO);
    CHECK(strstr(pan_error_message(), "rename") != NULL);
    CHECK(temp_files() == 0);
    unlink(inner);
    rmdir(sub);

    /* A missing directory: IO naming the path; nothing created. */
    char missing[600];
    snprintf(missing, sizeof missing, "%s/no/such/dir/x.safetensors", dir);
    write_one(missing, 5.0f, PAN_ERR_IO);
    CHECK(strstr(pan_error_message(), "no/such/dir/x.safetensors") != NULL);

    /* Bad arguments are refused before anything is written. */
    float x[2] = {0};
    pan_st_write_tensor dup[2] = {{"x", 1, (const int64_t[]){2}, x},
                                  {"x", 1, (const int64_t[]){2}, x}};
    CHECK_STATUS(pan_safetensors_write(path, dup, 2, NULL, 0),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "'x' given twice") != NULL);
    pan_st_write_tensor neg = {"n", 1, (const int64_t[]){-2}, x};
    CHECK_STATUS(pan_safetensors_write(path, &neg, 1, NULL, 0),
                 PAN_ERR_INVALID_ARGUMENT);
    pan_st_write_tensor nodata = {"n", 1, (const int64_t[]){2}, NULL};
    CHECK_STATUS(pan_safetensors_write(path, &nodata, 1, NULL, 0),
                 PAN_ERR_INVALID_ARGUMENT);
    pan_st_write_tensor reserved = {"__metadata__", 1, (const int64_t[]){2}, x};
    CHECK_STATUS(pan_safetensors_write(path, &reserved, 1, NULL, 0),
                 PAN_ERR_INVALID_ARGUMENT);
    pan_st_write_tensor fived = {"f", 5, (const int64_t[]){1, 1, 1, 1, 2}, x};
    CHECK_STATUS(pan_safetensors_write(path, &fived, 1, NULL, 0),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_safetensors_write(NULL, &fived, 1, NULL, 0),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(read_one(path) == 2.0f);
    CHECK(temp_files() == 0);
    unlink(path);
}

static void check_open_errors(void) {
    char path[512];
    path_in_dir(path, sizeof path, "absent.safetensors");
    pan_safetensors *st = (pan_safetensors *)(uintptr_t)0x5EA;
    CHECK_STATUS(pan_safetensors_open(&st, path), PAN_ERR_NOT_FOUND);
    CHECK(strstr(pan_error_message(), "absent.safetensors") != NULL);
    CHECK(st == (pan_safetensors *)(uintptr_t)0x5EA);
    CHECK_STATUS(pan_safetensors_open(&st, dir), PAN_ERR_IO);
    CHECK_STATUS(pan_safetensors_open(NULL, path), PAN_ERR_INVALID_ARGUMENT);
    /* An empty model: a header of "{}" and nothing else is valid. */
    unsigned char file[10] = {2, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
    CHECK(ckpt_write_file(path, file, sizeof file) == 0);
    st = NULL;
    CHECK_STATUS(pan_safetensors_open(&st, path), PAN_OK);
    CHECK(st && st->count == 0 && st->meta_count == 0);
    pan_safetensors_close(st);
    unlink(path);
    pan_safetensors_close(NULL);
}

int main(void) {
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    check_round_trip();
    check_bf16();
    check_atomic();
    check_open_errors();
    rmdir(dir);
    return test_exit_code("test_safetensors");
}
