#define _POSIX_C_SOURCE 200809L /* fileno, clock_gettime */
/* benchmarks/eval/eval_case.c: case seeds, action groups, sampling and
 * progress lines shared by the metrics (eval_internal.h). */
#include "benchmarks/eval/eval_internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint64_t eval_case_seed(const pan_eval_config *cfg, int metric, int split, int index,
                        int attempt) {
    /* metric: 2^28 each (5 metrics); split: 2^27; attempt: 2^7 x 2^20;
     * index: 2^20. All below seed_base + 2^31. */
    return cfg->seed_base + ((uint64_t)metric << 28) + ((uint64_t)split << 27) +
           ((uint64_t)(attempt & 127) << 20) + (uint64_t)(index & 0xfffff);
}

static bool starts(const char *s, const char *prefix) {
    return !strncmp(s, prefix, strlen(prefix));
}

pan_eval_group eval_action_group(bool rooms, const pan_action_result *r) {
    const char *c = r->canonical;
    if (starts(c, "wait")) return PAN_EVAL_GROUP_WAIT;
    if (rooms) return starts(c, "turn") || starts(c, "face") ? PAN_EVAL_GROUP_TURN
                                                              : PAN_EVAL_GROUP_MOVE;
    if (starts(c, "lights")) return PAN_EVAL_GROUP_LIGHTS;
    if (starts(c, "add ")) return PAN_EVAL_GROUP_APPEAR;
    if (starts(c, "remove ")) return PAN_EVAL_GROUP_REMOVE;
    /* "move <colour> <shape> <rest>" */
    char w[5][24] = {{0}};
    int n = sscanf(c, "%23s %23s %23s %23s %23s", w[0], w[1], w[2], w[3], w[4]);
    if (n >= 4) {
        if (!strcmp(w[3], "to")) return PAN_EVAL_GROUP_PLACE;
        if (!strcmp(w[3], "next") || !strcmp(w[3], "above") || !strcmp(w[3], "below"))
            return PAN_EVAL_GROUP_RELATION;
        if (n == 5 && !strcmp(w[4], "of")) return PAN_EVAL_GROUP_RELATION;
    }
    return PAN_EVAL_GROUP_DIRECTION;
}

const char *pan_eval_group_name(pan_eval_group g) {
    static const char *const names[PAN_EVAL_GROUP_COUNT] = {
        "direction", "place", "relation", "lights", "appear", "remove", "wait", "move",
        "turn"};
    return (unsigned)g < PAN_EVAL_GROUP_COUNT ? names[g] : "?";
}

pan_status eval_sample_action(pan_world *w, uint64_t *rng, pan_split split,
                              bool *heading_known, char *buf, pan_action_result *r) {
    bool rooms = pan_eval_world_is_rooms(w);
    for (int tries = 0; tries < 1000; tries++) {
        pan_status st = pan_world_sample_action(w, rng, split, buf, PAN_WORLD_ACTION_MAX + 1);
        if (st != PAN_OK) return st;
        if ((st = pan_world_parse(w, buf, r)) != PAN_OK) return st;
        if (!rooms) return PAN_OK;
        const char *c = r->canonical;
        if ((starts(c, "move forward") || starts(c, "move back")) && !*heading_known)
            continue;
        if (starts(c, "go ") || starts(c, "face ")) *heading_known = true;
        return PAN_OK;
    }
    return pan_error_set(PAN_ERR_INTERNAL, "eval: no admissible action in 1000 draws");
}

pan_status eval_warm_up(pan_world *w, uint64_t *rng, uint8_t *chunk) {
    int n = (int)(*rng % 3);
    *rng = *rng * 6364136223846793005ULL + 1442695040888963407ULL;
    bool rooms = pan_eval_world_is_rooms(w);
    char buf[PAN_WORLD_ACTION_MAX + 1];
    pan_action_result r;
    for (int i = 0; i < n; i++) {
        pan_status st;
        for (int tries = 0;; tries++) {
            if ((st = pan_world_sample_action(w, rng, PAN_SPLIT_TRAIN, buf, sizeof buf)) != PAN_OK ||
                (st = pan_world_parse(w, buf, &r)) != PAN_OK)
                return st;
            if (!rooms || starts(r.canonical, "go ") || tries > 1000) break;
        }
        if ((st = pan_world_step(w, buf, chunk, NULL)) != PAN_OK) return st;
    }
    return PAN_OK;
}

pan_status eval_case_start(const pan_eval_config *cfg, pan_world *w, int metric, int split,
                           int index, int attempt, uint64_t salt, uint64_t *seed,
                           uint64_t *rng, pan_world_state *start, uint8_t *frame,
                           uint8_t *chunk) {
    *seed = eval_case_seed(cfg, metric, split, index, attempt);
    *rng = *seed ^ salt;
    pan_status st;
    if ((st = pan_world_reset(w, *seed, frame)) != PAN_OK ||
        (st = eval_warm_up(w, rng, chunk)) != PAN_OK ||
        (st = pan_world_get_state(w, start)) != PAN_OK)
        return st;
    return pan_world_render(w, frame);
}

double eval_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* On a terminal one line is rewritten in place; into a file or pipe a line
 * is appended at most every 20 s (and at the end). */
static void progress_line(eval_progress *p, bool final) {
    double t = eval_now() - p->start;
    double rate = t > 0 ? (double)p->done / t : 0;
    double eta = rate > 0 ? (double)(p->total - p->done) / rate : 0;
    double shown = final ? t : eta;
    fprintf(p->out, "%span-eval: %-22s %6lld/%-6lld %s | %6.1f/s | %s %3dm%02ds%s",
            p->tty ? "\r" : "", p->what, (long long)p->done, (long long)p->total, p->unit, rate,
            final ? "took" : "ETA ", (int)(shown / 60), (int)shown % 60,
            final || !p->tty ? "\n" : "");
    fflush(p->out);
}

void eval_progress_begin(eval_progress *p, FILE *out, const char *what, int64_t total) {
    *p = (eval_progress){.out = out, .what = what, .total = total, .unit = "case steps"};
    p->start = p->last = eval_now();
    p->tty = out && isatty(fileno(out));
    if (out && p->tty) progress_line(p, false);
}

void eval_progress_add(eval_progress *p, int64_t units) {
    p->done += units;
    if (!p->out) return;
    double now = eval_now();
    if (now - p->last >= (p->tty ? 1.0 : 20.0)) {
        p->last = now;
        progress_line(p, false);
    }
}

void eval_progress_end(eval_progress *p) {
    if (p->out) progress_line(p, true);
}
