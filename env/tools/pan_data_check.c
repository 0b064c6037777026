/* env/tools/pan_data_check.c: `pan-data check` (validate files and report)
 * and `pan-data info` (describe one episode, as text or JSON). Episodes of
 * a ground-truth world (format version 1) and external recordings
 * (version 2: no parse results, no true states) alike. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "env/dataset/dataset.h"
#include "env/tools/pan_data.h"

static const char check_help[] =
    "usage: pan-data check DIR|FILE... [--quiet]\n"
    "\n"
    "Validates every episode file (*.pan) of the directories and the files\n"
    "given: size, magic, checksum, version and every field. Prints each\n"
    "invalid file with the reason, then a summary (episodes of a ground-truth\n"
    "world and external recordings, which hold no truth). Exit code 0 if\n"
    "every file is valid (and there is at least one), 1 otherwise.\n"
    "  --quiet   only the invalid files and the summary line\n";

static const char info_help[] =
    "usage: pan-data info FILE [--json]\n"
    "\n"
    "Validates one episode file and describes it: world, seed, split, frame\n"
    "shape, each action with what the parser made of it, and the first and\n"
    "last true states (an external recording has only its actions). --json\n"
    "prints everything but the pixels (frames are given by shape and CRC32)\n"
    "as one JSON object; \"truth\" false and results and states null for an\n"
    "external recording.\n";

typedef struct check_totals {
    long files, valid, invalid, temporaries;
    long external;            /* valid files without truth (version 2) */
    uint64_t bytes, frames;
    pan_episode_meta first;
    int64_t min_steps, max_steps;
    bool mixed;               /* worlds, truth, frame sizes or splits differ */
    int64_t *indices; /* episode-<n>.pan numbers seen */
    size_t n_indices, cap_indices;
} check_totals;

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int compare_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static bool same_kind(const pan_episode_meta *a, const pan_episode_meta *b) {
    return strcmp(a->world, b->world) == 0 && a->split == b->split &&
           a->truth == b->truth && a->config.height == b->config.height &&
           a->config.width == b->config.width &&
           a->config.frames_per_step == b->config.frames_per_step;
}

static void note_index(check_totals *t, const char *name) {
    long long n;
    char tail[8];
    if (sscanf(name, "episode-%lld%7s", &n, tail) != 2 ||
        strcmp(tail, ".pan") != 0 || n < 0)
        return;
    if (t->n_indices == t->cap_indices) {
        size_t cap = t->cap_indices ? 2 * t->cap_indices : 256;
        int64_t *p = realloc(t->indices, cap * sizeof *p);
        if (!p) return;
        t->indices = p;
        t->cap_indices = cap;
    }
    t->indices[t->n_indices++] = n;
}

static void check_file(check_totals *t, const char *path, bool quiet) {
    pan_episode_meta meta;
    uint64_t bytes = 0;
    t->files++;
    if (pan_episode_check(path, &meta, &bytes) != PAN_OK) {
        t->invalid++;
        printf("INVALID %s\n", pan_error_message());
        return;
    }
    t->valid++;
    t->bytes += bytes;
    t->frames += (uint64_t)pan_episode_frame_count(&meta);
    t->external += !meta.truth;
    if (t->valid == 1) {
        t->first = meta;
        t->min_steps = t->max_steps = meta.steps;
    } else if (!same_kind(&t->first, &meta)) {
        t->mixed = true;
    }
    if (meta.steps < t->min_steps) t->min_steps = meta.steps;
    if (meta.steps > t->max_steps) t->max_steps = meta.steps;
    if (!quiet) printf("ok      %s\n", path);
}

static bool check_directory(check_totals *t, const char *dir, bool quiet) {
    DIR *d = opendir(dir);
    if (!d) {
        printf("INVALID %s: cannot open directory: %s\n", dir, strerror(errno));
        t->invalid++;
        return false;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.') {
            if (pan_episode_is_temporary_name(e->d_name)) t->temporaries++;
            continue;
        }
        if (len < 5 || strcmp(e->d_name + len - 4, ".pan") != 0) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            char **p = realloc(names, cap * sizeof *p);
            if (!p) break;
            names = p;
        }
        if (!(names[n] = strdup(e->d_name))) break;
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, compare_names);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        note_index(t, names[i]);
        check_file(t, path, quiet);
        free(names[i]);
    }
    free(names);
    return true;
}

static void print_missing(check_totals *t) {
    if (t->n_indices == 0) return;
    qsort(t->indices, t->n_indices, sizeof *t->indices, compare_i64);
    int64_t last = t->indices[t->n_indices - 1];
    long long missing = last + 1 - (long long)t->n_indices;
    printf("  episode numbers 0..%" PRId64 ", %lld missing", last, missing);
    int shown = 0;
    int64_t want = 0;
    for (size_t i = 0; i < t->n_indices && shown < 10; i++) {
        for (; want < t->indices[i] && shown < 10; want++, shown++)
            printf("%s%" PRId64, shown ? ", " : ": ", want);
        want = t->indices[i] + 1;
    }
    printf("%s\n", missing > shown ? ", ..." : "");
}

int pan_data_check(int argc, char **argv) {
    static const struct option longs[] = {{"quiet", no_argument, NULL, 'q'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    bool quiet = false;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        if (c == 'q') quiet = true;
        else if (c == 'h') { fputs(check_help, stdout); return PAN_DATA_EXIT_OK; }
        else return pan_data_usage_error("check", "unknown option '%s'",
                                         argv[optind - 1]);
    }
    if (optind >= argc)
        return pan_data_usage_error("check", "expected a directory or file");
    check_totals t = {0};
    for (int i = optind; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
            check_directory(&t, argv[i], quiet);
        } else {
            const char *base = strrchr(argv[i], '/');
            note_index(&t, base ? base + 1 : argv[i]);
            check_file(&t, argv[i], quiet);
        }
    }
    printf("pan-data check: %ld episode files, %ld valid, %ld invalid\n",
           t.files, t.valid, t.invalid);
    if (t.valid)
        printf("  %" PRIu64 " frames, %.1f MB\n", t.frames,
               (double)t.bytes / 1e6);
    char steps[64];
    if (t.min_steps == t.max_steps)
        snprintf(steps, sizeof steps, "%" PRId64 " steps", t.min_steps);
    else
        snprintf(steps, sizeof steps, "%" PRId64 "..%" PRId64 " steps",
                 t.min_steps, t.max_steps);
    if (t.mixed)
        printf("  mixed worlds, frame sizes or splits; %s; %ld external "
               "recording(s) without ground truth, %ld episode(s) with it\n",
               steps, t.external, t.valid - t.external);
    else if (t.valid && !t.first.truth)
        printf("  %s %dx%d K=%d, %s, external recording (format version %d: "
               "frames and actions, no ground truth)\n", t.first.world,
               t.first.config.height, t.first.config.width,
               t.first.config.frames_per_step, steps,
               PAN_EPISODE_VERSION_EXTERNAL);
    else if (t.valid)
        printf("  %s %dx%d K=%d, %s, split %s\n", t.first.world,
               t.first.config.height, t.first.config.width,
               t.first.config.frames_per_step, steps,
               pan_episode_split_name(t.first.split));
    print_missing(&t);
    if (t.temporaries)
        printf("  %ld temporary file(s) of an interrupted writer (pan-data gen "
               "removes them)\n", t.temporaries);
    free(t.indices);
    return t.files > 0 && t.invalid == 0 ? PAN_DATA_EXIT_OK
                                         : PAN_DATA_EXIT_FAILED;
}

/* ---- info ---- */

static void json_string(const char *s) {
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') printf("\\%c", *p);
        else if (*p < 0x20) printf("\\u%04x", *p);
        else putchar(*p);
    }
    putchar('"');
}

static void json_state(const pan_world_state *s) {
    printf("{\"objects\": [");
    for (int i = 0; i < s->n_objects; i++) {
        const pan_object_state *o = &s->objects[i];
        printf("%s{\"colour\": %d, \"shape\": %d, \"x\": %.9g, \"y\": %.9g, "
               "\"size\": %.9g, \"visible\": %s}", i ? ", " : "",
               (int)o->colour, (int)o->shape, (double)o->x, (double)o->y,
               (double)o->size, o->visible ? "true" : "false");
    }
    printf("], \"brightness\": %.9g, \"camera_x\": %.9g, \"camera_y\": %.9g, "
           "\"heading\": %d, \"seed\": %" PRIu64 ", \"rng\": %" PRIu64 ", "
           "\"steps\": %" PRId64 "}", (double)s->brightness,
           (double)s->camera_x, (double)s->camera_y, (int)s->heading, s->seed,
           s->rng, s->steps);
}

static void info_json(const pan_episode *ep, uint64_t bytes) {
    static const char *const kinds[] = {"none", "agent", "environment"};
    const pan_episode_meta *m = &ep->meta;
    uint32_t crc = (uint32_t)crc32_z(crc32_z(0L, Z_NULL, 0), ep->frames,
                                     pan_episode_frame_bytes(m));
    printf("{\"version\": %u, \"truth\": %s, \"file_bytes\": %" PRIu64
           ", \"world\": ", (unsigned)pan_episode_version(m),
           m->truth ? "true" : "false", bytes);
    json_string(m->world);
    printf(", \"seed\": %" PRIu64 ", \"split\": \"%s\", \"config\": "
           "{\"height\": %d, \"width\": %d, \"frames_per_step\": %d}, "
           "\"steps\": %" PRId64 ",\n \"frames\": {\"shape\": [%" PRId64
           ", %d, %d, 3], \"crc32\": %u},\n \"actions\": [", m->seed,
           pan_episode_split_name(m->split), m->config.height, m->config.width,
           m->config.frames_per_step, m->steps, pan_episode_frame_count(m),
           m->config.height, m->config.width, crc);
    for (int64_t t = 0; t < m->steps; t++) {
        printf(t ? ", " : "");
        json_string(ep->actions[t]);
    }
    if (!m->truth) {
        printf("],\n \"results\": null,\n \"states\": null}\n");
        return;
    }
    printf("],\n \"results\": [");
    for (int64_t t = 0; t < m->steps; t++) {
        const pan_action_result *r = &ep->results[t];
        printf("%s{\"understood\": %s, \"kind\": \"%s\", \"heldout\": %s, "
               "\"template_id\": %d, \"canonical\": ", t ? ",\n  " : "",
               r->understood ? "true" : "false", kinds[r->kind],
               r->heldout ? "true" : "false", r->template_id);
        json_string(r->canonical);
        printf(", \"message\": ");
        json_string(r->message);
        putchar('}');
    }
    printf("],\n \"states\": [");
    for (int64_t t = 0; t <= m->steps; t++) {
        printf(t ? ",\n  " : "");
        json_state(&ep->states[t]);
    }
    printf("]}\n");
}

static void text_state(const char *label, const pan_world_state *s) {
    static const char *const colours[] = {"red", "green", "blue", "yellow",
                                          "purple", "orange"};
    static const char *const shapes[] = {"square", "circle", "triangle"};
    printf("%s: %d objects, brightness %.2f, camera (%.1f, %.1f) heading %d, "
           "%" PRId64 " steps\n", label, (int)s->n_objects,
           (double)s->brightness, (double)s->camera_x, (double)s->camera_y,
           (int)s->heading, s->steps);
    for (int i = 0; i < s->n_objects; i++) {
        const pan_object_state *o = &s->objects[i];
        printf("    %-6s %-8s at (%.1f, %.1f) size %.1f%s\n",
               colours[o->colour], shapes[o->shape], (double)o->x,
               (double)o->y, (double)o->size, o->visible ? "" : " (not visible)");
    }
}

/* An external recording: its meta and actions (there is no truth). */
static void info_text_external(const char *path, const pan_episode *ep,
                               uint64_t bytes) {
    const pan_episode_meta *m = &ep->meta;
    printf("file     %s (%" PRIu64 " bytes, format version %u, checksum ok)\n",
           path, bytes, (unsigned)pan_episode_version(m));
    printf("world    %s: external recording (no parse results, no true "
           "states), frames %dx%d, K=%d frames per step\n", m->world,
           m->config.height, m->config.width, m->config.frames_per_step);
    printf("seed     %" PRIu64 " (0x%016" PRIx64 "), split %s\n", m->seed,
           m->seed, pan_episode_split_name(m->split));
    printf("steps    %" PRId64 ", frames uint8 [%" PRId64 ", %d, %d, 3]\n",
           m->steps, pan_episode_frame_count(m), m->config.height,
           m->config.width);
    for (int64_t t = 0; t < m->steps; t++)
        printf("  %4" PRId64 "  %s\n", t, ep->actions[t]);
}

static void info_text(const char *path, const pan_episode *ep, uint64_t bytes) {
    const pan_episode_meta *m = &ep->meta;
    if (!m->truth) {
        info_text_external(path, ep, bytes);
        return;
    }
    long understood = 0, heldout = 0, agent = 0, environment = 0;
    for (int64_t t = 0; t < m->steps; t++) {
        understood += ep->results[t].understood;
        heldout += ep->results[t].heldout;
        agent += ep->results[t].kind == PAN_ACTION_AGENT;
        environment += ep->results[t].kind == PAN_ACTION_ENVIRONMENT;
    }
    printf("file     %s (%" PRIu64 " bytes, format version %u, checksum ok)\n",
           path, bytes, (unsigned)pan_episode_version(m));
    printf("world    %s, frames %dx%d, K=%d frames per step\n", m->world,
           m->config.height, m->config.width, m->config.frames_per_step);
    printf("seed     %" PRIu64 " (0x%016" PRIx64 "), split %s\n", m->seed,
           m->seed, pan_episode_split_name(m->split));
    printf("steps    %" PRId64 ", frames uint8 [%" PRId64 ", %d, %d, 3]\n",
           m->steps, pan_episode_frame_count(m), m->config.height,
           m->config.width);
    printf("actions  %ld understood of %" PRId64 " (%ld agent, %ld "
           "environment), %ld held out\n", understood, m->steps, agent,
           environment, heldout);
    for (int64_t t = 0; t < m->steps; t++) {
        const pan_action_result *r = &ep->results[t];
        printf("  %4" PRId64 "  %-44s ", t, ep->actions[t]);
        if (r->understood)
            printf("-> %s #%d%s: %s\n", r->kind == PAN_ACTION_AGENT ? "agent"
                   : "env", r->template_id, r->heldout ? " heldout" : "",
                   r->canonical);
        else
            printf("-> not understood: %s\n", r->message);
    }
    text_state("state 0", &ep->states[0]);
    char label[48];
    snprintf(label, sizeof label, "state %" PRId64, m->steps);
    if (m->steps > 0) text_state(label, &ep->states[m->steps]);
}

int pan_data_info(int argc, char **argv) {
    static const struct option longs[] = {{"json", no_argument, NULL, 'j'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    bool json = false;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        if (c == 'j') json = true;
        else if (c == 'h') { fputs(info_help, stdout); return PAN_DATA_EXIT_OK; }
        else return pan_data_usage_error("info", "unknown option '%s'",
                                         argv[optind - 1]);
    }
    if (optind != argc - 1)
        return pan_data_usage_error("info", "expected exactly one FILE");
    const char *path = argv[optind];
    pan_episode ep;
    struct stat sb;
    if (pan_episode_read(path, &ep) != PAN_OK) {
        fprintf(stderr, "pan-data info: %s\n", pan_error_message());
        return PAN_DATA_EXIT_FAILED;
    }
    uint64_t bytes = stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
    if (json) info_json(&ep, bytes);
    else info_text(path, &ep, bytes);
    pan_episode_free(&ep);
    return PAN_DATA_EXIT_OK;
}
