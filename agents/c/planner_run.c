/* agents/c/planner_run.c: pan-planner's acting loop (planner_run.h). */
#include "agents/c/planner_run.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/c/pan_client.h"
#include "agents/c/planner_sim_client.h"

typedef struct run {
    const planner_run_config *cfg;
    pan_client *c;
    uint64_t world_session, model_session;
    bool has_world, has_model;
    pan_client_spaces ws, ms;
    pan_planner *p;
    pan_planner_sim sim;
    bool has_sim;
    pan_world *budget_world;
    uint8_t *frame, *before;    /* (H, W, 3): the true current frame */
    float *latent;              /* (Q, D) of the world session */
    size_t frame_bytes, latent_floats;
    char spec[64];
} run;

static int fail(run *r, const char *what) {
    if (r->c && pan_client_error_code(r->c)[0])
        fprintf(stderr, "pan-planner: %s failed: [%s] %s\n", what,
                pan_client_error_code(r->c), pan_client_error_message(r->c));
    else
        fprintf(stderr, "pan-planner: %s failed: %s\n", what,
                pan_error_message());
    return 1;
}

/* Keeps the last frame and the latent of a one-env observation. */
static void keep_obs(run *r, const pan_client_obs *o) {
    memcpy(r->frame, o->frames + (size_t)(o->k - 1) * r->frame_bytes,
           r->frame_bytes);
    memcpy(r->latent, o->latent, r->latent_floats * sizeof(float));
}

static pan_status make_session(run *r, const char *world, const char *model,
                               const char *obs_mode, uint64_t *session,
                               pan_client_spaces *sp) {
    pan_client_make_args ma = pan_client_make_args_default(world);
    ma.world = model ? NULL : world;
    ma.model = model;
    ma.num_envs = 1;
    ma.obs_mode = obs_mode;
    ma.autoreset_mode = "disabled";
    ma.max_episode_steps = 0;
    return pan_client_make(r->c, &ma, session, sp);
}

static pan_status snapshots_of(run *r, uint64_t session, int64_t *n) {
    pan_client_stats_result st;
    pan_status s = pan_client_stats(r->c, &session, &st);
    if (s == PAN_OK) *n = st.snapshots;
    return s;
}

/* The model session restarted from the true current frame. */
static int resync_model(run *r, uint64_t seed, const char *goal_text) {
    char task[160];
    bool latent = r->cfg->planner.cost == PAN_PLANNER_COST_LATENT;
    snprintf(task, sizeof task, "%s%s", latent ? "latent: " : "",
             latent ? r->spec : "none");
    pan_client_reset_args ra = {.seed_kind = PAN_CLIENT_SEED_ONE, .seed = seed,
                                .task = task, .initial_frames = r->frame,
                                .n_initial = 1, .initial_height = r->ws.height,
                                .initial_width = r->ws.width};
    pan_client_obs_result o;
    if (pan_client_reset(r->c, r->model_session, &ra, &o) != PAN_OK)
        return fail(r, "RESET of the model session");
    char want[300];
    snprintf(want, sizeof want, "latent: %s", goal_text);
    if (latent && strcmp(o.infos[0].task, want) != 0) {
        fprintf(stderr, "pan-planner: the model session's goal '%s' is not "
                "the world's '%s'\n", o.infos[0].task, want);
        return 1;
    }
    return 0;
}

static void append(char *trace, size_t size, const char *action) {
    size_t used = strlen(trace);
    snprintf(trace + used, size - used, "%s%s", used ? "; " : "", action);
}

/* One task; *used and *success its result. */
static int play(run *r, int index, int *used, bool *success) {
    const planner_run_config *cfg = r->cfg;
    uint64_t seed = cfg->seed + (uint64_t)index;
    pan_client_reset_args ra = {.seed_kind = PAN_CLIENT_SEED_ONE, .seed = seed,
                                .task = r->spec};
    pan_client_obs_result o;
    if (pan_client_reset(r->c, r->world_session, &ra, &o) != PAN_OK)
        return fail(r, "RESET");
    keep_obs(r, &o.obs);
    char goal_text[sizeof o.infos[0].task];
    snprintf(goal_text, sizeof goal_text, "%s", o.infos[0].task);
    pan_goal goal, planner_goal;
    if (pan_task_parse_goal(cfg->world, goal_text, &goal) != PAN_OK)
        return fail(r, "reading the goal");
    planner_goal = goal;
    if (r->has_model && cfg->planner.cost == PAN_PLANNER_COST_LATENT) {
        char lt[sizeof goal_text + 8];
        snprintf(lt, sizeof lt, "latent: %s", goal_text);
        if (pan_task_parse_goal(cfg->world, lt, &planner_goal) != PAN_OK)
            return fail(r, "reading the goal-latent goal");
    }
    if (pan_planner_begin(r->p, &planner_goal, seed) != PAN_OK)
        return fail(r, "planner begin");
    pan_world_state start, now;
    int budget = cfg->budget;
    if (pan_planner_observe_latent(r->p, r->latent, (int)r->latent_floats,
                                   &start) != PAN_OK ||
        pan_world_set_state(r->budget_world, &start) != PAN_OK)
        return fail(r, "reading the first state");
    if (budget <= 0 && pan_task_budget(&goal, r->budget_world, &budget) != PAN_OK)
        return fail(r, "the goal's budget");
    char trace[2048] = "";
    *used = 0;
    *success = false;
    while (*used < budget && !*success) {
        if (r->has_model && resync_model(r, seed, goal_text)) return 1;
        if (pan_planner_observe_frame(r->p, r->frame, &now) != PAN_OK)
            return fail(r, "observing the frame");
        int64_t snaps_before = 0, snaps_after = 0;
        if (cfg->check_live) {
            pan_client_tensor t; /* a view: valid until the next call */
            if (pan_client_render(r->c, r->world_session, 0, &t) != PAN_OK)
                return fail(r, "RENDER before the decision");
            memcpy(r->before, t.data, r->frame_bytes);
            if (snapshots_of(r, r->world_session, &snaps_before) != PAN_OK)
                return fail(r, "STATS before the decision");
        }
        char action[PAN_PLANNER_ACTION_MAX];
        if (pan_planner_decide(r->p, r->has_sim ? &r->sim : NULL, &now, action,
                               sizeof action) != PAN_OK)
            return fail(r, "planner decide");
        if (cfg->check_live) {
            pan_client_tensor t;
            if (pan_client_render(r->c, r->world_session, 0, &t) != PAN_OK)
                return fail(r, "RENDER after the decision");
            bool same = !memcmp(r->before, t.data, r->frame_bytes);
            if (snapshots_of(r, r->world_session, &snaps_after) != PAN_OK)
                return fail(r, "STATS after the decision");
            same = same && snaps_after == snaps_before;
            if (!same)
                fprintf(stderr, "pan-planner: task %d: the live env changed "
                        "while imagining (snapshots %" PRId64 " -> %" PRId64
                        ")\n", index, snaps_before, snaps_after);
            if (!same) return 2;
        }
        const char *acts[1] = {action};
        pan_client_step_result s;
        if (pan_client_step(r->c, r->world_session, 1, acts, &s) != PAN_OK)
            return fail(r, "STEP");
        keep_obs(r, &s.obs);
        (*used)++;
        *success = s.terminated[0];
        append(trace, sizeof trace, action);
    }
    if (!cfg->quiet)
        printf("task %3d seed %" PRIu64 " %-8s budget %2d used %2d success %s "
               "goal \"%s\" actions: %s\n",
               index, seed, pan_task_kind_name(goal.kind), budget, *used,
               *success ? "yes" : "no ", goal_text, trace);
    return 0;
}

static void wilson(int k, int n, double *lo, double *hi) {
    double z = 1.96, p = n ? (double)k / n : 0.0, z2 = z * z / (n ? n : 1);
    double centre = (p + z2 / 2.0) / (1.0 + z2);
    double half = z * sqrt(p * (1.0 - p) / (n ? n : 1) + z2 / (4.0 * (n ? n : 1))) /
                  (1.0 + z2);
    *lo = centre - half < 0.0 ? 0.0 : centre - half;
    *hi = centre + half > 1.0 ? 1.0 : centre + half;
}

static int run_tasks(run *r, planner_run_summary *sum) {
    const planner_run_config *cfg = r->cfg;
    int total_used = 0, live = 0;
    for (int i = 0; i < cfg->tasks; i++) {
        int used = 0;
        bool success = false;
        int rc = play(r, i, &used, &success);
        if (rc == 2) {
            sum->live_mismatches++;
            return 1;
        }
        if (rc) return rc;
        sum->tasks++;
        sum->successes += success;
        total_used += used;
        live += cfg->check_live ? used : 0;
    }
    sum->live_checks = live;
    sum->mean_actions = sum->tasks ? (double)total_used / sum->tasks : 0.0;
    sum->stats = pan_planner_get_stats(r->p);
    double lo, hi;
    wilson(sum->successes, sum->tasks, &lo, &hi);
    const pan_planner_stats *st = &sum->stats;
    double secs = st->seconds > 0.0 ? st->seconds : 1e-9;
    printf("summary: %s planner, %s cost, imagining in %s%s, %s structured: "
           "%s: success %d/%d = %.1f%% (95%% CI %.1f-%.1f%%), mean actions "
           "%.2f, %" PRId64 " decisions, %.1f decisions/s, %.0f imagined env "
           "steps/s%s\n",
           pan_planner_kind_name(cfg->planner.kind),
           pan_planner_cost_name(cfg->planner.cost),
           cfg->model ? "the model " : "the true world (oracle)",
           cfg->model ? cfg->model : "", cfg->world, cfg->family,
           sum->successes, sum->tasks,
           sum->tasks ? 100.0 * sum->successes / sum->tasks : 0.0, 100.0 * lo,
           100.0 * hi, sum->mean_actions, st->decisions,
           (double)st->decisions / secs, (double)st->imagined_steps / secs,
           cfg->check_live ? "; live env unchanged by every decision" : "");
    return 0;
}

int planner_run(const planner_run_config *cfg, planner_run_summary *sum) {
    memset(sum, 0, sizeof *sum);
    run r = {.cfg = cfg};
    int rc = 1;
    snprintf(r.spec, sizeof r.spec, "structured: %s", cfg->family);
    if (pan_client_connect(cfg->endpoint, cfg->timeout_ms, &r.c) != PAN_OK)
        return fail(&r, "connect");
    pan_client_hello_result hello;
    if (pan_client_hello(r.c, "pan-planner", &hello) != PAN_OK) {
        fail(&r, "HELLO");
        goto done;
    }
    if (make_session(&r, cfg->world, NULL, "full", &r.world_session, &r.ws) !=
        PAN_OK) {
        fail(&r, "MAKE of the world session");
        goto done;
    }
    r.has_world = true;
    bool latent_cost = cfg->planner.cost == PAN_PLANNER_COST_LATENT;
    if (cfg->model) {
        if (make_session(&r, cfg->world, cfg->model,
                         latent_cost ? "latent" : "full", &r.model_session,
                         &r.ms) != PAN_OK) {
            fail(&r, "MAKE of the model session");
            goto done;
        }
        r.has_model = true;
        if (r.ms.width != r.ws.width || r.ms.height != r.ws.height) {
            fprintf(stderr, "pan-planner: the model's frames are %dx%d, the "
                    "world's %dx%d\n", r.ms.width, r.ms.height, r.ws.width,
                    r.ws.height);
            goto done;
        }
    }
    pan_planner_config pc = cfg->planner;
    pc.world = cfg->world;
    pc.world_config = (pan_world_config){r.ws.width, r.ws.height,
                                         r.ws.frames_per_step};
    r.frame_bytes = (size_t)r.ws.width * (size_t)r.ws.height * 3;
    r.latent_floats = (size_t)r.ws.latent_shape[0] * (size_t)r.ws.latent_shape[1];
    r.frame = malloc(r.frame_bytes);
    r.before = malloc(r.frame_bytes);
    r.latent = malloc(r.latent_floats * sizeof(float));
    if (!r.frame || !r.before || !r.latent) {
        fprintf(stderr, "pan-planner: out of memory\n");
        goto done;
    }
    if (pan_planner_create(&pc, &r.p) != PAN_OK ||
        pan_world_create(cfg->world, &pc.world_config, &r.budget_world) !=
            PAN_OK) {
        fail(&r, "planner create");
        goto done;
    }
    int max_batch = (int)hello.limits.max_batch;
    pan_status st =
        cfg->model
            ? pan_planner_sim_client_create(r.c, r.model_session, &r.ms, 0, true,
                                            latent_cost, max_batch, &r.sim)
            : pan_planner_sim_client_create(r.c, r.world_session, &r.ws, 0,
                                            false, false, max_batch, &r.sim);
    if (st != PAN_OK) {
        fail(&r, "simulator");
        goto done;
    }
    r.has_sim = true;
    rc = run_tasks(&r, sum);
done:
    if (r.has_sim) pan_planner_sim_client_destroy(&r.sim);
    if (r.has_model) pan_client_close(r.c, r.model_session);
    if (r.has_world) pan_client_close(r.c, r.world_session);
    pan_planner_destroy(r.p);
    pan_world_destroy(r.budget_world);
    pan_client_destroy(r.c);
    free(r.frame);
    free(r.before);
    free(r.latent);
    return rc;
}
