/* core/tools/train_episodes.c: an episode directory as a clip source
 * (contract in train_episodes.h). */
#define _POSIX_C_SOURCE 200809L
#include "core/tools/train_episodes.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/dataset/dataset.h"

#define PATH_MAX_LEN 1280
#define REDRAWS 256

typedef struct entry {
    char path[PATH_MAX_LEN];
    int64_t steps;
} entry;

struct pan_episode_set {
    char dir[PATH_MAX_LEN];
    entry *entries; /* usable episodes, sorted by name */
    int64_t count, too_short;
    int rounds, K;
    int64_t frame_bytes; /* one frame */
};

int64_t pan_episode_set_count(const pan_episode_set *set) { return set->count; }
int64_t pan_episode_set_short(const pan_episode_set *set) { return set->too_short; }

void pan_episode_set_close(pan_episode_set *set) {
    if (!set) return;
    free(set->entries);
    free(set);
}

static bool episode_name(const char *name) {
    size_t n = strlen(name);
    return name[0] != '.' && n > 4 && strcmp(name + n - 4, ".pan") == 0;
}

static int by_path(const void *a, const void *b) {
    return strcmp(((const entry *)a)->path, ((const entry *)b)->path);
}

/* The names of dir's episode files, sorted, in *out (count in *n). */
static pan_status list(const char *dir, entry **out, int64_t *n) {
    DIR *d = opendir(dir);
    if (!d)
        return pan_error_set(errno == ENOENT ? PAN_ERR_NOT_FOUND : PAN_ERR_IO,
                             "episode directory %s: %s", dir, strerror(errno));
    entry *e = NULL;
    int64_t count = 0, cap = 0;
    struct dirent *de;
    pan_status st = PAN_OK;
    while (st == PAN_OK && (de = readdir(d)) != NULL) {
        if (!episode_name(de->d_name)) continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            entry *grown = realloc(e, (size_t)cap * sizeof *e);
            if (!grown) {
                st = pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                                   "episode directory %s: out of memory", dir);
                break;
            }
            e = grown;
        }
        if ((size_t)snprintf(e[count].path, sizeof e[count].path, "%s/%s", dir,
                             de->d_name) >= sizeof e[count].path)
            st = pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                               "episode directory %s: path of %s too long", dir,
                               de->d_name);
        count++;
    }
    closedir(d);
    if (st != PAN_OK) {
        free(e);
        return st;
    }
    if (count) qsort(e, (size_t)count, sizeof *e, by_path);
    *out = e;
    *n = count;
    return PAN_OK;
}

pan_status pan_episode_set_open(pan_episode_set **out, const char *dir,
                                const pan_model_config *cfg, int rounds) {
    if (!out || !dir || !cfg || rounds < 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "episode set: expected a directory, a model "
                             "configuration and rounds >= 0");
    entry *all = NULL;
    int64_t n = 0;
    pan_status st = list(dir, &all, &n);
    if (st != PAN_OK) return st;
    pan_episode_set *set = calloc(1, sizeof *set);
    if (!set) {
        free(all);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "episode set: out of memory");
    }
    set->entries = all;
    snprintf(set->dir, sizeof set->dir, "%s", dir);
    set->rounds = rounds;
    set->K = cfg->frame.chunk_frames;
    set->frame_bytes = (int64_t)cfg->frame.height * cfg->frame.width * 3;
    for (int64_t i = 0; i < n && st == PAN_OK; i++) {
        pan_episode_meta meta;
        st = pan_episode_check(all[i].path, &meta, NULL);
        if (st != PAN_OK) break;
        if (meta.config.height != cfg->frame.height ||
            meta.config.width != cfg->frame.width ||
            meta.config.frames_per_step != cfg->frame.chunk_frames) {
            st = pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                               "episode %s: frames %dx%d with %d per step, the "
                               "model takes %dx%d with %d (frame.height, "
                               "frame.width, frame.chunk_frames)",
                               all[i].path, meta.config.height, meta.config.width,
                               meta.config.frames_per_step, cfg->frame.height,
                               cfg->frame.width, cfg->frame.chunk_frames);
            break;
        }
        if (meta.steps < rounds || meta.steps < 1) {
            set->too_short++;
            continue;
        }
        all[set->count] = all[i];
        all[set->count++].steps = meta.steps;
    }
    if (st == PAN_OK && set->count == 0)
        st = pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                           "episode directory %s: no usable episode (%" PRId64
                           " *.pan files, %" PRId64 " shorter than the %d steps "
                           "a clip needs)", dir, n, set->too_short, rounds);
    if (st != PAN_OK) {
        pan_episode_set_close(set);
        return st;
    }
    *out = set;
    return PAN_OK;
}

static uint64_t below(pan_rng *rng, uint64_t n) {
    return n ? pan_rng_next_u64(rng) % n : 0;
}

/* A clip's actions are all usable: no parse (an external recording), or
 * each understood and not held out. */
static bool train_clip(const pan_episode *ep, int64_t start, int rounds) {
    if (!ep->results) return true;
    for (int r = 0; r < rounds; r++) {
        const pan_action_result *res = &ep->results[start + r];
        if (res->heldout || !res->understood) return false;
    }
    return true;
}

static pan_status fill(void *ctx, pan_rng *rng, int batch, int rounds,
                       uint8_t *frames, char (*texts)[PAN_TRAIN_TEXT_MAX],
                       bool *heldout) {
    pan_episode_set *set = ctx;
    const int64_t K = set->K, fb = set->frame_bytes;
    const int64_t per = 1 + (int64_t)rounds * K;
    for (int b = 0; b < batch; b++) {
        pan_episode ep = {0};
        int64_t start = -1;
        for (int tries = 0; tries < REDRAWS && start < 0; tries++) {
            const entry *e = &set->entries[below(rng, (uint64_t)set->count)];
            uint64_t s = rounds ? below(rng, (uint64_t)(e->steps - rounds + 1))
                                : below(rng, (uint64_t)(e->steps * K + 1));
            pan_episode_free(&ep);
            pan_status st = pan_episode_read(e->path, &ep);
            if (st != PAN_OK) return st;
            if (ep.meta.steps != e->steps)
                return pan_error_set(PAN_ERR_DATA_LOSS,
                                     "episode %s changed while training (%" PRId64
                                     " steps, %" PRId64 " when opened)", e->path,
                                     ep.meta.steps, e->steps);
            if (rounds == 0 || train_clip(&ep, (int64_t)s, rounds)) start = (int64_t)s;
        }
        if (start < 0) {
            pan_episode_free(&ep);
            return pan_error_set(PAN_ERR_FAILED_PRECONDITION,
                                 "episode directory %s: no train-split clip of %d "
                                 "steps in %d draws (its episodes' actions are "
                                 "held out or not understood)", set->dir, rounds,
                                 REDRAWS);
        }
        int64_t first = rounds ? start * K : start; /* frame index */
        memcpy(frames + (int64_t)b * per * fb, ep.frames + first * fb,
               (size_t)(per * fb));
        for (int r = 0; r < rounds; r++) {
            snprintf(texts[b * rounds + r], PAN_TRAIN_TEXT_MAX, "%s",
                     ep.actions[start + r]);
            heldout[b * rounds + r] = false;
        }
        pan_episode_free(&ep);
    }
    return PAN_OK;
}

pan_train_frames pan_episode_set_frames(pan_episode_set *set) {
    return (pan_train_frames){.fill = fill, .ctx = set};
}
