/* agents/c/planner.c: the planners of planner.h: configuration, begin,
 * and one decision of RANDOM, NOMODEL, PICK (propose k, simulate, pick)
 * and CEM (per-slot categorical cross-entropy method, MPC). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agents/c/planner_internal.h"

#define STEP_PENALTY 0.01f /* score = min_t (cost_t + STEP_PENALTY * t) */

static const char *const kind_names[PAN_PLANNER_KIND_COUNT] = {
    "random", "nomodel", "pick", "cem"};

const char *pan_planner_kind_name(pan_planner_kind kind) {
    return kind >= 0 && kind < PAN_PLANNER_KIND_COUNT ? kind_names[kind] : "?";
}

pan_status pan_planner_kind_parse(const char *name, pan_planner_kind *kind) {
    for (int k = 0; name && k < PAN_PLANNER_KIND_COUNT; k++)
        if (!strcmp(name, kind_names[k])) {
            *kind = (pan_planner_kind)k;
            return PAN_OK;
        }
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                         "planner '%.32s': expected random, nomodel, pick or "
                         "cem", name ? name : "(null)");
}

const char *pan_planner_cost_name(pan_planner_cost_kind cost) {
    return cost == PAN_PLANNER_COST_LATENT ? "latent" : "detector";
}

pan_status pan_planner_cost_parse(const char *name,
                                  pan_planner_cost_kind *cost) {
    if (name && !strcmp(name, "detector")) *cost = PAN_PLANNER_COST_DETECTOR;
    else if (name && !strcmp(name, "latent")) *cost = PAN_PLANNER_COST_LATENT;
    else
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "cost '%.32s': expected detector or latent",
                             name ? name : "(null)");
    return PAN_OK;
}

pan_planner_config pan_planner_config_default(const char *world) {
    return (pan_planner_config){.kind = PAN_PLANNER_CEM,
                                .cost = PAN_PLANNER_COST_DETECTOR,
                                .world = world,
                                .world_config = pan_world_config_default(),
                                .samples = 100, .topk = 10, .iters = 3,
                                .horizon = 2, .smoothing = 0.15f, .k = 8,
                                .seed = 0};
}

pan_status pan_planner_create(const pan_planner_config *c, pan_planner **out) {
    if (!c || !out)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "planner create: config and out must not be "
                             "NULL");
    if (!c->world || (strcmp(c->world, "tabletop") && strcmp(c->world, "rooms")))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "planner create: world '%.32s', expected "
                             "tabletop or rooms",
                             c->world ? c->world : "(null)");
    if (c->kind < 0 || c->kind >= PAN_PLANNER_KIND_COUNT ||
        (c->cost != PAN_PLANNER_COST_DETECTOR &&
         c->cost != PAN_PLANNER_COST_LATENT))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "planner create: kind %d and cost %d, expected "
                             "0..%d and 0..1",
                             (int)c->kind, (int)c->cost,
                             PAN_PLANNER_KIND_COUNT - 1);
    if (c->samples < 1 || c->samples > PAN_PLANNER_MAX_SAMPLES ||
        c->topk < 1 || c->topk > c->samples || c->iters < 1 ||
        c->horizon < 1 || c->horizon > PAN_PLANNER_MAX_HORIZON ||
        !(c->smoothing >= 0.0f && c->smoothing < 1.0f) || c->k < 1 ||
        c->k > PAN_PLANNER_MAX_SAMPLES)
        return pan_error_set(
            PAN_ERR_INVALID_ARGUMENT,
            "planner create: samples %d, topk %d, iters %d, horizon %d, "
            "smoothing %g, k %d; expected samples 1..%d, topk 1..samples, "
            "iters >= 1, horizon 1..%d, smoothing in [0, 1), k 1..%d",
            c->samples, c->topk, c->iters, c->horizon, (double)c->smoothing,
            c->k, PAN_PLANNER_MAX_SAMPLES, PAN_PLANNER_MAX_HORIZON,
            PAN_PLANNER_MAX_SAMPLES);
    pan_planner *p = calloc(1, sizeof *p);
    if (!p)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "planner create: out of memory");
    p->cfg = *c;
    snprintf(p->world_name, sizeof p->world_name, "%s", c->world);
    p->cfg.world = p->world_name;
    p->rooms = !strcmp(c->world, "rooms");
    pan_status st = pan_world_create(c->world, &c->world_config, &p->world);
    size_t rows = (size_t)(c->samples > c->k ? c->samples : c->k) *
                  (size_t)c->horizon;
    p->seqs = calloc(rows, sizeof *p->seqs);
    p->texts = calloc(rows, sizeof *p->texts);
    p->ptrs = calloc(rows, sizeof *p->ptrs);
    p->scores = calloc(rows, sizeof *p->scores);
    p->order = calloc(rows, sizeof *p->order);
    p->ids = calloc(rows, sizeof *p->ids);
    if (st == PAN_OK && (!p->seqs || !p->texts || !p->ptrs || !p->scores ||
                         !p->order || !p->ids))
        st = pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                           "planner create: out of memory for %zu rows", rows);
    if (st != PAN_OK) {
        pan_planner_destroy(p);
        return st;
    }
    for (size_t r = 0; r < rows; r++) p->ptrs[r] = p->texts[r];
    *out = p;
    return PAN_OK;
}

void pan_planner_destroy(pan_planner *p) {
    if (!p) return;
    pan_world_destroy(p->world);
    free(p->seqs);
    free(p->texts);
    free(p->ptrs);
    free(p->scores);
    free(p->order);
    free(p->ids);
    free(p->rewards);
    free(p->latents);
    free(p->costs);
    free(p->terminated);
    free(p->frames);
    free(p);
}

pan_status pan_planner_begin(pan_planner *p, const pan_goal *goal,
                             uint64_t episode_seed) {
    if (!p || !goal)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "planner begin: planner and goal must not be "
                             "NULL");
    pan_goal base = *goal;
    if (base.kind == PAN_TASK_GOAL_LATENT)
        base.kind = base.family ? base.family : PAN_TASK_PLACE;
    pan_world_state probe;
    memset(&probe, 0, sizeof probe);
    float cost;
    pan_status st = pan_task_cost(&base, &p->cfg.world_config, &probe, &cost);
    if (st != PAN_OK) return st;
    if ((base.kind == PAN_TASK_LANDMARK) != p->rooms)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "planner begin: a %s goal for a %s planner",
                             pan_task_kind_name(base.kind), p->world_name);
    /* the local world: the detector's geometry and, for rooms, the map */
    const pan_world_config *wc = &p->cfg.world_config;
    uint8_t *scratch = malloc((size_t)wc->width * (size_t)wc->height * 3);
    if (!scratch)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "planner begin: out of memory for a frame");
    st = pan_world_reset(p->world, episode_seed, scratch);
    free(scratch);
    if (st != PAN_OK) return st;
    p->goal = *goal;
    p->has_goal = true;
    p->episode_seed = episode_seed;
    uint64_t mix = episode_seed ^ 0x504C414E4E455221ull; /* "PLANNER!" */
    p->rng = p->cfg.seed ^ pg_rng_next(&mix);
    return PAN_OK;
}

pan_status pan_planner_observe_frame(pan_planner *p, const uint8_t *frame,
                                     pan_world_state *state) {
    if (!p || !frame || !state)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "planner observe: NULL argument");
    return pc_detect(p, frame, state);
}

pan_status pan_planner_observe_latent(pan_planner *p, const float *latent,
                                      int size, pan_world_state *state) {
    if (!p || !latent || !state)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "planner observe: NULL argument");
    return pc_decode_latent(p, latent, size, state);
}

pan_status pan_planner_state_cost(pan_planner *p, const pan_world_state *state,
                                  float *cost) {
    if (!p || !p->has_goal)
        return pan_error_set(PAN_ERR_FAILED_PRECONDITION,
                             "planner state cost: no goal (call "
                             "pan_planner_begin first)");
    pan_goal base = p->goal;
    if (base.kind == PAN_TASK_GOAL_LATENT)
        base.kind = base.family ? base.family : PAN_TASK_PLACE;
    return pan_task_cost(&base, &p->cfg.world_config, state, cost);
}

pan_planner_stats pan_planner_get_stats(const pan_planner *p) {
    pan_planner_stats none = {0};
    return p ? p->stats : none;
}

void pan_planner_reset_stats(pan_planner *p) {
    if (p) memset(&p->stats, 0, sizeof p->stats);
}

/* ---- imagining ------------------------------------------------------------ */

static pan_status grow(void **buf, size_t *cap, size_t need, size_t item) {
    if (need <= *cap) return PAN_OK;
    void *b = realloc(*buf, need * item);
    if (!b)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "planner: out of memory for %zu rollout items",
                             need);
    *buf = b;
    *cap = need;
    return PAN_OK;
}

/* Rolls B rows of T steps (texts in p->ptrs, every row from snapshot id)
 * and scores them into p->costs (B, T). */
static pan_status imagine(pan_planner *p, const pan_planner_sim *sim,
                          uint64_t id, int B, int T) {
    size_t rows = (size_t)B * (size_t)T;
    size_t latent = (size_t)sim->Q * (size_t)sim->D;
    size_t frame = (size_t)sim->H * (size_t)sim->W * 3;
    bool want_frames = p->cfg.cost == PAN_PLANNER_COST_DETECTOR;
    size_t cap = p->cap_rows, capl = p->cap_latent, capf = p->cap_frame;
    pan_status st = grow((void **)&p->rewards, &cap, rows, sizeof(float));
    cap = p->cap_rows;
    if (st == PAN_OK) st = grow((void **)&p->costs, &cap, rows, sizeof(float));
    cap = p->cap_rows;
    if (st == PAN_OK)
        st = grow((void **)&p->terminated, &cap, rows, sizeof(bool));
    if (st == PAN_OK) p->cap_rows = cap;
    if (st == PAN_OK)
        st = grow((void **)&p->latents, &capl, rows * latent, sizeof(float));
    if (st == PAN_OK) p->cap_latent = capl;
    if (st == PAN_OK && want_frames)
        st = grow((void **)&p->frames, &capf, rows * frame, 1);
    if (st == PAN_OK) p->cap_frame = capf;
    if (st != PAN_OK) return st;
    for (int b = 0; b < B; b++) p->ids[b] = id;
    int chunk = sim->max_batch > 0 ? sim->max_batch : B;
    for (int at = 0; at < B; at += chunk) {
        int n = B - at < chunk ? B - at : chunk;
        size_t r0 = (size_t)at * (size_t)T;
        pan_planner_rollout out = {
            .rewards = p->rewards + r0, .terminated = p->terminated + r0,
            .latents = p->latents + r0 * latent,
            .frames = want_frames ? p->frames + r0 * frame : NULL};
        st = sim->vtable->rollout(sim->ctx, n, p->ids + at, T,
                                  p->ptrs + r0, &out);
        if (st != PAN_OK) return st;
        p->stats.rollout_calls++;
    }
    p->stats.imagined_steps += (int64_t)rows;
    return pc_costs(p, sim, B, T, p->costs);
}

static float row_score(const float *costs, int T) {
    float best = 0.0f;
    for (int t = 0; t < T; t++) {
        float s = costs[t] + STEP_PENALTY * (float)t;
        if (t == 0 || s < best) best = s;
    }
    return best;
}

/* Sorts p->order[0..n) by score (stable on index). */
static void sort_by_score(pan_planner *p, int n) {
    for (int i = 0; i < n; i++) p->order[i] = i;
    for (int i = 1; i < n; i++) { /* insertion: n <= 1024, stable */
        int v = p->order[i], j = i;
        while (j > 0 && p->scores[p->order[j - 1]] > p->scores[v]) {
            p->order[j] = p->order[j - 1];
            j--;
        }
        p->order[j] = v;
    }
}

static pan_status pick(pan_planner *p, const pan_planner_sim *sim,
                       const pg_grammar *g, uint64_t id, char *action,
                       size_t size) {
    pg_dist d;
    pg_dist_goal(g, &p->goal, &d);
    int k = p->cfg.k;
    for (int i = 0; i < k; i++) {
        pg_sample(g, &d, &p->rng, &p->seqs[i]);
        pg_text(g, &p->seqs[i], p->texts[i], PAN_PLANNER_ACTION_MAX);
    }
    pan_status st = imagine(p, sim, id, k, 1);
    if (st != PAN_OK) return st;
    int best = 0;
    for (int i = 1; i < k; i++)
        if (p->costs[i] < p->costs[best]) best = i;
    snprintf(action, size, "%s", p->texts[best]);
    return PAN_OK;
}

static pan_status cem(pan_planner *p, const pan_planner_sim *sim,
                      const pg_grammar *g, uint64_t id, char *action,
                      size_t size) {
    const int N = p->cfg.samples, H = p->cfg.horizon, E = p->cfg.topk;
    pg_dist dist[PAN_PLANNER_MAX_HORIZON];
    for (int h = 0; h < H; h++) pg_dist_uniform(g, &dist[h]);
    pg_action elites[PAN_PLANNER_MAX_SAMPLES];
    char best_text[PAN_PLANNER_ACTION_MAX] = "wait";
    float best_score = 0.0f;
    bool have_best = false;
    for (int it = 0; it < p->cfg.iters; it++) {
        for (int i = 0; i < N; i++)
            for (int h = 0; h < H; h++) {
                size_t r = (size_t)i * (size_t)H + (size_t)h;
                pg_sample(g, &dist[h], &p->rng, &p->seqs[r]);
                pg_text(g, &p->seqs[r], p->texts[r], PAN_PLANNER_ACTION_MAX);
            }
        pan_status st = imagine(p, sim, id, N, H);
        if (st != PAN_OK) return st;
        for (int i = 0; i < N; i++)
            p->scores[i] = row_score(p->costs + (size_t)i * (size_t)H, H);
        sort_by_score(p, N);
        int top = p->order[0];
        if (!have_best || p->scores[top] < best_score) {
            best_score = p->scores[top];
            snprintf(best_text, sizeof best_text, "%s",
                     p->texts[(size_t)top * (size_t)H]);
            have_best = true;
        }
        if (best_score == 0.0f || it == p->cfg.iters - 1) break;
        for (int h = 0; h < H; h++) {
            for (int e = 0; e < E; e++)
                elites[e] = p->seqs[(size_t)p->order[e] * (size_t)H + (size_t)h];
            pg_refit(g, &dist[h], elites, E, 1, p->cfg.smoothing);
        }
    }
    snprintf(action, size, "%s", best_text);
    return PAN_OK;
}

static double seconds_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

pan_status pan_planner_decide(pan_planner *p, const pan_planner_sim *sim,
                              const pan_world_state *now, char *action,
                              size_t size) {
    if (!p || !now || !action || size < PAN_PLANNER_ACTION_MAX)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "planner decide: planner, now and an action "
                             "buffer of >= %d bytes are required",
                             PAN_PLANNER_ACTION_MAX);
    if (!p->has_goal)
        return pan_error_set(PAN_ERR_FAILED_PRECONDITION,
                             "planner decide: no goal (call "
                             "pan_planner_begin first)");
    bool simulates = p->cfg.kind == PAN_PLANNER_PICK ||
                     p->cfg.kind == PAN_PLANNER_CEM;
    if (simulates) {
        if (!sim || !sim->vtable || !sim->vtable->fork ||
            !sim->vtable->rollout || !sim->vtable->release)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "planner decide: the %s planner needs a "
                                 "simulator with fork, rollout and release",
                                 pan_planner_kind_name(p->cfg.kind));
        if (sim->H != p->cfg.world_config.height ||
            sim->W != p->cfg.world_config.width || sim->Q < 1 || sim->D < 1)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "planner decide: simulator frames %dx%d and "
                                 "latent (%d, %d); the planner expects "
                                 "%dx%d frames and a latent",
                                 sim->W, sim->H, sim->Q, sim->D,
                                 p->cfg.world_config.width,
                                 p->cfg.world_config.height);
        if (p->cfg.cost == PAN_PLANNER_COST_DETECTOR && !sim->has_frames)
            return pan_error_set(PAN_ERR_FAILED_PRECONDITION,
                                 "planner decide: the detector cost needs "
                                 "frames, and the simulator has none (latent "
                                 "obs mode of a model?); use the latent cost");
        if (p->cfg.cost == PAN_PLANNER_COST_LATENT && !sim->latent_is_state &&
            !sim->has_goal_latent)
            return pan_error_set(PAN_ERR_FAILED_PRECONDITION,
                                 "planner decide: the latent cost on a model "
                                 "needs its session to run the goal-latent "
                                 "task (\"latent: <goal>\")");
    }
    double t0 = seconds_now();
    pg_grammar g;
    pg_grammar_init(&g, p->rooms, &p->cfg.world_config, now);
    pan_status st = PAN_OK;
    if (!simulates) {
        pg_dist d;
        if (p->cfg.kind == PAN_PLANNER_RANDOM) pg_dist_uniform(&g, &d);
        else pg_dist_goal(&g, &p->goal, &d);
        pg_action a;
        pg_sample(&g, &d, &p->rng, &a);
        pg_text(&g, &a, action, size);
    } else {
        uint64_t id = 0;
        st = sim->vtable->fork(sim->ctx, &id);
        if (st == PAN_OK) {
            st = p->cfg.kind == PAN_PLANNER_PICK
                     ? pick(p, sim, &g, id, action, size)
                     : cem(p, sim, &g, id, action, size);
            char keep[PAN_ERROR_MESSAGE_MAX];
            snprintf(keep, sizeof keep, "%s", pan_error_message());
            pan_status rs = sim->vtable->release(sim->ctx, 1, &id);
            if (st == PAN_OK) st = rs;
            else pan_error_set(st, "%s", keep);
        }
    }
    p->stats.decisions += st == PAN_OK;
    p->stats.seconds += seconds_now() - t0;
    return st;
}
