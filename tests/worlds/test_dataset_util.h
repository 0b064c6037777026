/* tests/worlds/test_dataset_util.h: helpers the dataset tests share.
 *
 * Contract: scratch directories (made empty at start), whole-file read and
 * write, an "episode file from body bytes" builder that computes the header
 * and CRC32 like the writer (so tests can craft bodies that pass the
 * checksum), and field-by-field episode comparison (floats bit for bit).
 * Everything is static inline; failures go through CHECK (test_util.h).
 * Include it after defining _POSIX_C_SOURCE 200809L.
 */
#ifndef PAN_TESTS_TEST_DATASET_UTIL_H
#define PAN_TESTS_TEST_DATASET_UTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "env/dataset/dataset.h"
#include "tests/test_util.h"

/* Removes path and, for a directory, everything under it. */
static inline void test_remove_tree(const char *path) {
    struct stat sb;
    if (lstat(path, &sb) != 0) return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char child[4096];
            int n = snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            if (n > 0 && (size_t)n < sizeof child) test_remove_tree(child);
        }
        if (d) closedir(d);
    }
    remove(path);
}

/* Removes dir and everything under it, then creates it empty. */
static inline void test_scratch_dir(const char *dir) {
    test_remove_tree(dir);
    if (mkdir(dir, 0755) != 0) {
        fprintf(stderr, "cannot create scratch directory %s\n", dir);
        exit(1);
    }
}

/* Whole file into a malloc'd buffer; NULL if it cannot be read. */
static inline uint8_t *test_read_file(const char *path, size_t *size) {
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

/* Replaces path by a NEW file (unlink first: truncating and rewriting a file
 * makes ext4 flush it at close, which is slow over thousands of cases). */
static inline void test_write_file(const char *path, const void *data,
                                   size_t size) {
    unlink(path);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    CHECK(fwrite(data, 1, size, f) == size);
    fclose(f);
}

static inline bool test_files_equal(const char *a, const char *b) {
    size_t na = 0, nb = 0;
    uint8_t *x = test_read_file(a, &na), *y = test_read_file(b, &nb);
    bool same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

/* Writes header(version, flags) + body + CRC32 of both to path. */
static inline void test_write_sealed(const char *path, uint32_t version,
                                     uint32_t flags, const void *body,
                                     size_t body_len) {
    size_t n = PAN_EPISODE_HEADER_SIZE + body_len + PAN_EPISODE_TRAILER_SIZE;
    uint8_t *buf = malloc(n);
    memcpy(buf, PAN_EPISODE_MAGIC, PAN_EPISODE_MAGIC_SIZE);
    for (int i = 0; i < 4; i++) buf[8 + i] = (uint8_t)(version >> (8 * i));
    for (int i = 0; i < 4; i++) buf[12 + i] = (uint8_t)(flags >> (8 * i));
    for (int i = 0; i < 8; i++)
        buf[16 + i] = (uint8_t)((uint64_t)body_len >> (8 * i));
    if (body_len) memcpy(buf + PAN_EPISODE_HEADER_SIZE, body, body_len);
    uint32_t crc = (uint32_t)crc32_z(crc32_z(0L, Z_NULL, 0), buf,
                                     n - PAN_EPISODE_TRAILER_SIZE);
    for (int i = 0; i < 4; i++)
        buf[n - 4 + i] = (uint8_t)(crc >> (8 * i));
    test_write_file(path, buf, n);
    free(buf);
}

static inline bool test_float_same(float a, float b) {
    return memcmp(&a, &b, sizeof a) == 0;
}

static inline bool test_states_equal(const pan_world_state *a,
                                     const pan_world_state *b) {
    if (a->n_objects != b->n_objects || a->heading != b->heading ||
        a->seed != b->seed || a->rng != b->rng || a->steps != b->steps ||
        !test_float_same(a->brightness, b->brightness) ||
        !test_float_same(a->camera_x, b->camera_x) ||
        !test_float_same(a->camera_y, b->camera_y))
        return false;
    for (int i = 0; i < a->n_objects; i++) {
        const pan_object_state *x = &a->objects[i], *y = &b->objects[i];
        if (x->colour != y->colour || x->shape != y->shape ||
            x->visible != y->visible || !test_float_same(x->x, y->x) ||
            !test_float_same(x->y, y->y) || !test_float_same(x->size, y->size))
            return false;
    }
    return true;
}

static inline bool test_results_equal(const pan_action_result *a,
                                      const pan_action_result *b) {
    return a->understood == b->understood && a->kind == b->kind &&
           a->heldout == b->heldout && a->template_id == b->template_id &&
           strcmp(a->canonical, b->canonical) == 0 &&
           strcmp(a->message, b->message) == 0;
}

/* Everything of two episodes: meta, frames byte for byte, texts, results,
 * states field by field (without truth: both have none). */
static inline bool test_episodes_equal(const pan_episode *a,
                                       const pan_episode *b) {
    const pan_episode_meta *m = &a->meta, *n = &b->meta;
    if (strcmp(m->world, n->world) != 0 || m->seed != n->seed ||
        m->truth != n->truth ||
        m->split != n->split || m->steps != n->steps ||
        m->config.height != n->config.height ||
        m->config.width != n->config.width ||
        m->config.frames_per_step != n->config.frames_per_step)
        return false;
    if (memcmp(a->frames, b->frames, pan_episode_frame_bytes(m)) != 0)
        return false;
    for (int64_t t = 0; t < m->steps; t++)
        if (strcmp(a->actions[t], b->actions[t]) != 0)
            return false;
    if (!m->truth)
        return !a->results && !a->states && !b->results && !b->states;
    for (int64_t t = 0; t < m->steps; t++)
        if (!test_results_equal(&a->results[t], &b->results[t]))
            return false;
    for (int64_t t = 0; t <= m->steps; t++)
        if (!test_states_equal(&a->states[t], &b->states[t])) return false;
    return true;
}

/* Makes an episode of `world` by running the real world. */
static inline pan_status test_make_episode(const char *world, int height,
                                           int width, int k, int64_t steps,
                                           uint64_t seed, pan_split split,
                                           pan_episode *ep) {
    pan_episode_meta meta = {.seed = seed, .split = split, .steps = steps,
                             .config = {.width = width, .height = height,
                                        .frames_per_step = k},
                             .truth = true};
    snprintf(meta.world, sizeof meta.world, "%s", world);
    pan_world *w = NULL;
    pan_status st = pan_world_create(world, &meta.config, &w);
    if (st == PAN_OK) st = pan_episode_alloc(ep, &meta);
    if (st == PAN_OK) st = pan_episode_generate(w, ep);
    pan_world_destroy(w);
    return st;
}

#endif
