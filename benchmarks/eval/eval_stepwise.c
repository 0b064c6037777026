/* benchmarks/eval/eval_stepwise.c: step-wise simulation: from a true frame
 * and a directional action, pick the true next chunk among 4 candidates
 * (the truth; the true world's results of the action applied to another
 * object, in another direction, over another distance; rooms: two other
 * directions and another distance). The subject picks the candidate
 * nearest its own predicted chunk in mean squared pixel error; ties are
 * broken at random from the case seed (docs/eval.md, "Step-wise"). */
#include "benchmarks/eval/eval_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CANDIDATES 4
#define ACT (PAN_WORLD_ACTION_MAX + 1)
#define ATTEMPTS 64

static const char *const dir_words[2][4] = {{"left", "right", "up", "down"},
                                            {"north", "east", "south", "west"}};

typedef struct sw_case {
    pan_world_state start;
    char action[ACT];
    int truth;                  /* index of the true candidate */
    uint8_t *cand;              /* (CANDIDATES, K, H, W, 3) */
    uint64_t tie_rng;
} sw_case;

/* Applies `text` from `start` in w and writes its chunk. */
static pan_status outcome(pan_world *w, const pan_world_state *start, const char *text,
                          uint8_t *chunk, bool *understood) {
    pan_action_result r;
    pan_status st = pan_world_set_state(w, start);
    if (st == PAN_OK) st = pan_world_step(w, text, chunk, &r);
    *understood = st == PAN_OK && r.understood;
    return st;
}

/* Whether chunk differs from every one of the first n candidates. */
static bool distinct(const uint8_t *chunk, const uint8_t *cand, int n, size_t cb) {
    for (int j = 0; j < n; j++)
        if (!memcmp(chunk, cand + j * cb, cb)) return false;
    return true;
}

/* Parses "move <colour> <shape> <dir> <n>" / "go <dir> <n>". */
static bool directional(bool rooms, const char *canon, char *obj, int *dir, int *cells) {
    char w[5][24] = {{0}};
    int n = sscanf(canon, "%23s %23s %23s %23s %23s", w[0], w[1], w[2], w[3], w[4]);
    const char *d = rooms ? w[1] : w[3];
    const char *num = rooms ? w[2] : w[4];
    if (rooms ? (n != 3 || strcmp(w[0], "go")) : (n != 5 || strcmp(w[0], "move"))) return false;
    *dir = -1;
    for (int k = 0; k < 4; k++)
        if (!strcmp(d, dir_words[rooms][k])) *dir = k;
    if (*dir < 0 || sscanf(num, "%d", cells) != 1) return false;
    if (!rooms) snprintf(obj, 48, "%s %s", w[1], w[2]);
    return true;
}

enum { OTHER_OBJECT = 0, OTHER_DIRECTION, OTHER_DISTANCE };

static const char *const colour_words[PAN_COLOUR_COUNT] = {"red", "green", "blue",
                                                           "yellow", "purple", "orange"};
static const char *const shape_words[PAN_SHAPE_COUNT] = {"square", "circle", "triangle"};

/* The canonical texts of one distractor kind, in a case-dependent order:
 * up to 16 into texts. */
static int distractor_texts(bool rooms, int kind, const pan_world_state *start,
                            const char *obj, int dir, int cells, uint64_t rot,
                            char texts[16][ACT]) {
    int n = 0;
    if (kind == OTHER_OBJECT) {
        for (int o = 0; o < start->n_objects && n < 16; o++) {
            const pan_object_state *ob = &start->objects[(o + rot) % (uint64_t)start->n_objects];
            char name[48];
            snprintf(name, sizeof name, "%s %s", colour_words[ob->colour], shape_words[ob->shape]);
            if (!ob->visible || !strcmp(name, obj)) continue;
            snprintf(texts[n++], ACT, "move %s %s %d", name, dir_words[0][dir], cells);
        }
    } else if (kind == OTHER_DIRECTION) {
        for (int k = 0; k < 3; k++) {
            int d2 = (dir + 1 + (int)((k + rot) % 3)) % 4;
            if (rooms) snprintf(texts[n++], ACT, "go %s %d", dir_words[1][d2], cells);
            else snprintf(texts[n++], ACT, "move %s %s %d", obj, dir_words[0][d2], cells);
        }
    } else {
        static const int deltas[] = {2, -1, 1, -2, 3, 4, -3, 5};
        int max = rooms ? 10 : 20;
        for (int k = 0; k < 8; k++) {
            int n2 = cells + deltas[k];
            if (n2 < 1 || n2 > max) continue;
            if (rooms) snprintf(texts[n++], ACT, "go %s %d", dir_words[1][dir], n2);
            else snprintf(texts[n++], ACT, "move %s %s %d", obj, dir_words[0][dir], n2);
        }
    }
    return n;
}

/* One attempt at case `index`: *ok false when this seed gives no set of 4
 * distinct candidates (the caller draws again with the next attempt). */
static pan_status try_case(const pan_eval_config *cfg, pan_world *w, int split, int index,
                           int attempt, sw_case *c, uint64_t *seed, uint8_t *frame,
                           uint8_t *scratch, size_t cb, bool *ok) {
    *ok = false;
    bool rooms = pan_eval_world_is_rooms(w);
    uint64_t rng;
    pan_status st = eval_case_start(cfg, w, EVAL_METRIC_STEPWISE, split, index, attempt,
                                    UINT64_C(0xd1b54a32d192ed03), seed, &rng, &c->start, frame,
                                    scratch);
    if (st != PAN_OK) return st;
    pan_action_result r;
    char obj[48] = "";
    int dir = -1, cells = 0;
    bool heading_known = true, found = false;
    pan_split sp = split ? PAN_SPLIT_HELDOUT : PAN_SPLIT_TRAIN;
    for (int tries = 0; tries < 200 && !found; tries++) {
        if ((st = eval_sample_action(w, &rng, sp, &heading_known, c->action, &r)) != PAN_OK)
            return st;
        found = directional(rooms, r.canonical, obj, &dir, &cells);
    }
    if (!found) return PAN_OK;
    bool u;
    if ((st = outcome(w, &c->start, c->action, c->cand, &u)) != PAN_OK) return st;
    size_t fb = cb / (size_t)pan_world_get_config(w).frames_per_step;
    if (!memcmp(c->cand + cb - fb, frame, fb)) return PAN_OK; /* the truth must move */
    const int kinds[2][3] = {{OTHER_OBJECT, OTHER_DIRECTION, OTHER_DISTANCE},
                             {OTHER_DIRECTION, OTHER_DIRECTION, OTHER_DISTANCE}};
    int have = 1;
    char texts[16][ACT];
    for (int j = 0; j < CANDIDATES - 1; j++) {
        int n = distractor_texts(rooms, kinds[rooms][j], &c->start, obj, dir, cells,
                                 rng >> (8 * j), texts);
        bool placed = false;
        for (int k = 0; k < n && !placed; k++) {
            if ((st = outcome(w, &c->start, texts[k], scratch, &u)) != PAN_OK) return st;
            /* every candidate changes the frame: none is a do-nothing */
            if (u && distinct(scratch, c->cand, have, cb) &&
                memcmp(scratch + cb - fb, frame, fb)) {
                memcpy(c->cand + have++ * cb, scratch, cb);
                placed = true;
            }
        }
        if (!placed) return PAN_OK;
    }
    /* the truth goes to a random position */
    int pos = (int)((rng >> 40) % CANDIDATES);
    if (pos) {
        memcpy(scratch, c->cand, cb);
        memcpy(c->cand, c->cand + pos * cb, cb);
        memcpy(c->cand + pos * cb, scratch, cb);
    }
    c->truth = pos;
    c->tie_rng = rng;
    *ok = true;
    return PAN_OK;
}

/* The candidate nearest the prediction; ties at random from *rng. */
static int pick(const uint8_t *pred, const uint8_t *cand, size_t cb, uint64_t *rng) {
    double best = -1;
    int choice = 0, ties = 0;
    for (int j = 0; j < CANDIDATES; j++) {
        double e = pan_eval_mse(pred, cand + j * cb, cb);
        if (best < 0 || e < best) {
            best = e;
            choice = j;
            ties = 1;
        } else if (e == best) {
            /* reservoir choice among equals */
            *rng = *rng * 6364136223846793005ULL + 1442695040888963407ULL;
            if ((*rng >> 33) % (uint64_t)++ties == 0) choice = j;
        }
    }
    return choice;
}

pan_status eval_stepwise(const pan_eval_config *cfg, pan_eval_subject *s, int split,
                         pan_eval_stat *res) {
    pan_world_config wc = pan_eval_subject_world_config(s);
    int cap = pan_eval_subject_capacity(s), N = cfg->stepwise_cases;
    size_t fb = (size_t)wc.height * wc.width * 3, cb = fb * wc.frames_per_step;
    pan_world *w = NULL;
    pan_eval_acc acc;
    pan_eval_acc_init(&acc);
    sw_case *cases = calloc((size_t)cap, sizeof *cases);
    uint8_t *cand = malloc((size_t)cap * CANDIDATES * cb);
    uint8_t *frames = malloc(cap * fb), *chunks = malloc(cap * cb), *scratch = malloc(cb);
    uint64_t *seeds = malloc(cap * sizeof *seeds);
    pan_world_state *states = malloc(cap * sizeof *states);
    const char **acts = malloc(cap * sizeof *acts);
    pan_status st = PAN_OK;
    if (!cases || !cand || !frames || !chunks || !scratch || !seeds || !states || !acts) {
        st = pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "eval step-wise: out of memory");
        goto done;
    }
    if ((st = pan_world_create(cfg->world, &wc, &w)) != PAN_OK) goto done;
    eval_progress prog;
    eval_progress_begin(&prog, cfg->progress, split ? "step-wise (held-out)" : "step-wise (train)",
                        N);
    for (int b0 = 0; b0 < N; b0 += cap) {
        int n = N - b0 < cap ? N - b0 : cap;
        for (int i = 0; i < n; i++) {
            cases[i].cand = cand + (size_t)i * CANDIDATES * cb;
            bool ok = false;
            for (int attempt = 0; attempt < ATTEMPTS && !ok; attempt++)
                if ((st = try_case(cfg, w, split, b0 + i, attempt, &cases[i], &seeds[i],
                                   frames + i * fb, scratch, cb, &ok)) != PAN_OK)
                    goto done;
            if (!ok) {
                st = pan_error_set(PAN_ERR_INTERNAL,
                                   "eval step-wise: case %d has no 4 distinct candidates "
                                   "in %d attempts", b0 + i, ATTEMPTS);
                goto done;
            }
            states[i] = cases[i].start;
            acts[i] = cases[i].action;
        }
        if ((st = pan_eval_subject_reset(s, n, seeds, states, frames)) != PAN_OK ||
            (st = pan_eval_subject_step(s, n, acts, chunks)) != PAN_OK)
            goto done;
        for (int i = 0; i < n; i++) {
            int choice = pick(chunks + i * cb, cases[i].cand, cb, &cases[i].tie_rng);
            if ((st = pan_eval_acc_add(&acc, b0 + i, choice == cases[i].truth)) != PAN_OK)
                goto done;
        }
        eval_progress_add(&prog, n);
    }
    eval_progress_end(&prog);
    *res = pan_eval_acc_stat(&acc);
done:
    pan_eval_acc_free(&acc);
    pan_world_destroy(w);
    free(cases);
    free(cand);
    free(frames);
    free(chunks);
    free(scratch);
    free(seeds);
    free(states);
    free(acts);
    return st;
}
