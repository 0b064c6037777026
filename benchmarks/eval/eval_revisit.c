/* benchmarks/eval/eval_revisit.c: rooms revisit consistency: "wait" (the
 * departure view), three compass moves out, the same moves back in reverse;
 * the return view must show the departure cell and look like the departure
 * view (eval.h, docs/eval.md "Revisit"). */
#include "benchmarks/eval/eval_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACT (PAN_WORLD_ACTION_MAX + 1)
#define OUT_MOVES 3
#define STEPS (1 + 2 * OUT_MOVES)
#define ATTEMPTS 64
#define PASS_PSNR 22.0

static const char *const compass[4] = {"north", "east", "south", "west"};

typedef struct rv_case {
    pan_world_state start;
    char actions[STEPS][ACT];
} rv_case;

/* A path out and back that the true world walks and that returns to the
 * start (no wall shortened a move). */
static pan_status make_case(const pan_eval_config *cfg, pan_world *w, int index,
                            uint64_t *seed, rv_case *c, uint8_t *frame, uint8_t *chunk,
                            bool *ok) {
    *ok = false;
    for (int attempt = 0; attempt < ATTEMPTS && !*ok; attempt++) {
        uint64_t rng;
        pan_status st = eval_case_start(cfg, w, EVAL_METRIC_REVISIT, 0, index, attempt,
                                        UINT64_C(0xbf58476d1ce4e5b9), seed, &rng, &c->start,
                                        frame, chunk);
        if (st != PAN_OK) return st;
        int dir[OUT_MOVES], len[OUT_MOVES];
        snprintf(c->actions[0], ACT, "wait");
        for (int j = 0; j < OUT_MOVES; j++) {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            dir[j] = (int)((rng >> 33) % 4);
            len[j] = 1 + (int)((rng >> 40) % 4);
            snprintf(c->actions[1 + j], ACT, "go %s %d", compass[dir[j]], len[j]);
            snprintf(c->actions[STEPS - 1 - j], ACT, "go %s %d", compass[(dir[j] + 2) % 4],
                     len[j]);
        }
        pan_world_state s;
        bool moved = false;
        for (int t = 0; t < STEPS; t++) {
            if ((st = pan_world_step(w, c->actions[t], chunk, NULL)) != PAN_OK ||
                (st = pan_world_get_state(w, &s)) != PAN_OK)
                return st;
            if (s.camera_x != c->start.camera_x || s.camera_y != c->start.camera_y) moved = true;
        }
        *ok = moved && s.camera_x == c->start.camera_x && s.camera_y == c->start.camera_y;
    }
    return PAN_OK;
}

pan_status eval_revisit(const pan_eval_config *cfg, pan_eval_subject *s,
                        pan_eval_revisit *res) {
    memset(res, 0, sizeof *res);
    pan_world_config wc = pan_eval_subject_world_config(s);
    int cap = pan_eval_subject_capacity(s), N = cfg->revisit_cases;
    size_t fb = (size_t)wc.height * wc.width * 3, cb = fb * wc.frames_per_step;
    pan_world *w = NULL, *judge = NULL;
    pan_eval_acc pass, pdep, ptruth;
    pan_eval_acc_init(&pass);
    pan_eval_acc_init(&pdep);
    pan_eval_acc_init(&ptruth);
    rv_case *cases = calloc((size_t)cap, sizeof *cases);
    uint8_t *frames = malloc(cap * fb), *chunks = malloc(cap * cb), *dep = malloc(cap * fb);
    uint64_t *seeds = malloc(cap * sizeof *seeds);
    pan_world_state *states = malloc(cap * sizeof *states);
    const char **acts = malloc(cap * sizeof *acts);
    pan_status st = PAN_OK;
    if (!cases || !frames || !chunks || !dep || !seeds || !states || !acts) {
        st = pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "eval revisit: out of memory");
        goto done;
    }
    if ((st = pan_world_create(cfg->world, &wc, &w)) != PAN_OK ||
        (st = pan_world_create(cfg->world, &wc, &judge)) != PAN_OK)
        goto done;
    eval_progress prog;
    eval_progress_begin(&prog, cfg->progress, "revisit", (int64_t)N * STEPS);
    for (int b0 = 0; b0 < N; b0 += cap) {
        int n = N - b0 < cap ? N - b0 : cap;
        for (int i = 0; i < n; i++) {
            bool ok;
            if ((st = make_case(cfg, w, b0 + i, &seeds[i], &cases[i], frames + i * fb, chunks,
                                &ok)) != PAN_OK)
                goto done;
            if (!ok) {
                st = pan_error_set(PAN_ERR_INTERNAL, "eval revisit: case %d found no path "
                                   "out and back in %d attempts", b0 + i, ATTEMPTS);
                goto done;
            }
            states[i] = cases[i].start;
        }
        if ((st = pan_eval_subject_reset(s, n, seeds, states, frames)) != PAN_OK) goto done;
        for (int t = 0; t < STEPS; t++) {
            for (int i = 0; i < n; i++) acts[i] = cases[i].actions[t];
            if ((st = pan_eval_subject_step(s, n, acts, chunks)) != PAN_OK) goto done;
            if (t == 0)
                for (int i = 0; i < n; i++)
                    memcpy(dep + i * fb, chunks + i * cb + cb - fb, fb);
            eval_progress_add(&prog, n);
        }
        for (int i = 0; i < n; i++) {
            const uint8_t *ret = chunks + i * cb + cb - fb;
            bool fd, fr;
            int dx, dy, rx, ry;
            double rms;
            if ((st = pan_eval_register(judge, dep + i * fb, &cases[i].start, &fd, &dx, &dy,
                                        &rms)) != PAN_OK ||
                (st = pan_eval_register(judge, ret, &cases[i].start, &fr, &rx, &ry, &rms)) !=
                    PAN_OK)
                goto done;
            int cx = (int)cases[i].start.camera_x, cy = (int)cases[i].start.camera_y;
            double p_dep = pan_eval_psnr(ret, dep + i * fb, wc.height, wc.width);
            double p_truth = pan_eval_psnr(ret, frames + i * fb, wc.height, wc.width);
            bool ok = fd && fr && dx == cx && dy == cy && rx == cx && ry == cy &&
                      p_dep >= PASS_PSNR;
            if ((st = pan_eval_acc_add(&pass, b0 + i, ok)) != PAN_OK ||
                (st = pan_eval_acc_add(&pdep, b0 + i, p_dep)) != PAN_OK ||
                (st = pan_eval_acc_add(&ptruth, b0 + i, p_truth)) != PAN_OK)
                goto done;
        }
    }
    eval_progress_end(&prog);
    res->pass = pan_eval_acc_stat(&pass);
    res->psnr_departure = pan_eval_acc_stat(&pdep);
    res->psnr_truth = pan_eval_acc_stat(&ptruth);
done:
    pan_eval_acc_free(&pass);
    pan_eval_acc_free(&pdep);
    pan_eval_acc_free(&ptruth);
    pan_world_destroy(w);
    pan_world_destroy(judge);
    free(cases);
    free(frames);
    free(chunks);
    free(dep);
    free(seeds);
    free(states);
    free(acts);
    return st;
}
