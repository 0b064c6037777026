/* benchmarks/eval/eval_planning.c: structured planning (PAN's +23.4
 * analogue): the planners of agents/c/planner.h act in the TRUE world on
 * "structured: random" goals; the model planners imagine in the subject
 * (its imaginer, eval_subject.h: an in-process env of the checkpoint or a
 * session on its server, re-started from the true current frame before
 * every decision), the
 * oracle imagines in the true world; success is the goal predicate in the
 * true world within the goal's budget (eval.h, docs/eval.md "Planning"). */
#include "benchmarks/eval/eval_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/c/planner.h"
#include "agents/c/planner_sim_vec.h"
#include "env/env.h"

/* pan-eval's planner settings: cheaper than pan-planner's defaults (CEM 100
 * x 3 x horizon 2) so that a full run fits its time budget; the model
 * planners imagine in latent mode with the goal-latent cost. */
#define EVAL_PICK_K 8
#define EVAL_CEM_SAMPLES 32
#define EVAL_CEM_TOPK 6
#define EVAL_CEM_ITERS 2
#define EVAL_CEM_HORIZON 2

const char *pan_eval_planner_name(int planner) {
    static const char *const names[PAN_EVAL_PLANNERS] = {
        "random", "no-model", "propose-k-simulate-pick", "CEM", "oracle (CEM in the true world)"};
    return planner >= 0 && planner < PAN_EVAL_PLANNERS ? names[planner] : "?";
}

typedef struct plan_ctx {
    const pan_eval_config *cfg;
    pan_world_config wc;
    pan_vec_env *truth;        /* the true world, one env */
    pan_eval_imaginer *imagine; /* the subject's model, latent mode, or NULL */
    pan_world *budget_world;
    uint8_t *chunk;            /* (K, H, W, 3) */
    float *latent;             /* the true env's (Q, D) */
    uint8_t *frame;            /* (H, W, 3): the true current frame */
} plan_ctx;

static pan_planner_config planner_config(const plan_ctx *c, int which, uint64_t seed) {
    pan_planner_config pc = pan_planner_config_default(c->cfg->world);
    pc.world_config = c->wc;
    pc.seed = seed;
    pc.cost = PAN_PLANNER_COST_LATENT;
    pc.k = EVAL_PICK_K;
    pc.samples = EVAL_CEM_SAMPLES;
    pc.topk = EVAL_CEM_TOPK;
    pc.iters = EVAL_CEM_ITERS;
    pc.horizon = EVAL_CEM_HORIZON;
    pc.kind = which == PAN_EVAL_PLAN_RANDOM    ? PAN_PLANNER_RANDOM
              : which == PAN_EVAL_PLAN_NOMODEL ? PAN_PLANNER_NOMODEL
              : which == PAN_EVAL_PLAN_PICK    ? PAN_PLANNER_PICK
                                               : PAN_PLANNER_CEM;
    return pc;
}

/* Restarts the imagination env from the true current frame with the
 * goal-latent task of `goal_text`. */
static pan_status resync(plan_ctx *c, uint64_t seed, const char *goal_text) {
    char task[PAN_ENV_TASK_TEXT_MAX + 16];
    snprintf(task, sizeof task, "latent: %s", goal_text);
    return pan_eval_imaginer_resync(c->imagine, c->frame, seed, task);
}

/* One task with one planner: *used actions, *success in the true world. */
static pan_status play(plan_ctx *c, pan_planner *p, int which, int index, int *used,
                       bool *success) {
    uint64_t seed = eval_case_seed(c->cfg, EVAL_METRIC_PLANNING, 0, index, 0);
    size_t fb = (size_t)c->wc.height * c->wc.width * 3;
    pan_reset_options opt = {.task = "structured: random"};
    pan_obs_batch obs = {.frames = c->chunk, .latent = c->latent};
    pan_env_info info;
    pan_status st = pan_vec_env_reset(c->truth, &seed, &opt, &obs, &info);
    if (st != PAN_OK) return st;
    memcpy(c->frame, c->chunk + (c->wc.frames_per_step - 1) * fb, fb);
    char goal_text[PAN_ENV_TASK_TEXT_MAX];
    snprintf(goal_text, sizeof goal_text, "%s", info.task);
    pan_goal goal, planner_goal;
    if ((st = pan_task_parse_goal(c->cfg->world, goal_text, &goal)) != PAN_OK) return st;
    planner_goal = goal;
    bool in_model = (which == PAN_EVAL_PLAN_PICK || which == PAN_EVAL_PLAN_CEM) && c->imagine;
    if (in_model) {
        char lt[PAN_ENV_TASK_TEXT_MAX + 16];
        snprintf(lt, sizeof lt, "latent: %s", goal_text);
        if ((st = pan_task_parse_goal(c->cfg->world, lt, &planner_goal)) != PAN_OK) return st;
    }
    pan_world_state start, now;
    int budget = 0;
    if ((st = pan_vec_env_true_state(c->truth, 0, &start)) != PAN_OK ||
        (st = pan_world_set_state(c->budget_world, &start)) != PAN_OK ||
        (st = pan_task_budget(&goal, c->budget_world, &budget)) != PAN_OK ||
        (st = pan_planner_begin(p, &planner_goal, seed)) != PAN_OK)
        return st;
    pan_planner_sim truth_sim;
    const pan_planner_sim *sim = NULL;
    bool has_truth_sim = false;
    if (which == PAN_EVAL_PLAN_ORACLE || (which >= PAN_EVAL_PLAN_PICK && !c->imagine)) {
        if ((st = pan_planner_sim_vec_create(c->truth, 0, false, &truth_sim)) != PAN_OK)
            return st;
        has_truth_sim = true;
        sim = &truth_sim;
    } else if (in_model) {
        sim = pan_eval_imaginer_sim(c->imagine);
    }
    *used = 0;
    *success = false;
    while (*used < budget && !*success) {
        if (in_model && (st = resync(c, seed, goal_text)) != PAN_OK) break;
        if ((st = pan_planner_observe_frame(p, c->frame, &now)) != PAN_OK) break;
        char action[PAN_PLANNER_ACTION_MAX];
        if ((st = pan_planner_decide(p, sim, &now, action, sizeof action)) != PAN_OK)
            break;
        const char *acts[1] = {action};
        float reward;
        bool term, trunc;
        if ((st = pan_vec_env_step(c->truth, acts, &obs, &reward, &term, &trunc, &info, NULL,
                                   NULL, NULL)) != PAN_OK)
            break;
        memcpy(c->frame, c->chunk + (c->wc.frames_per_step - 1) * fb, fb);
        (*used)++;
        *success = term;
    }
    if (has_truth_sim) pan_planner_sim_vec_destroy(&truth_sim);
    return st;
}

static void destroy_ctx(plan_ctx *c) {
    pan_vec_env_destroy(c->truth);
    pan_eval_imaginer_destroy(c->imagine);
    pan_world_destroy(c->budget_world);
    free(c->chunk);
    free(c->latent);
    free(c->frame);
}

pan_status eval_planning(const pan_eval_config *cfg, pan_eval_subject *s,
                         pan_eval_planning *res) {
    memset(res, 0, sizeof *res);
    pan_eval_subject_kind kind = pan_eval_subject_get_kind(s);
    if (cfg->planning_tasks < 0) {
        snprintf(res->why_not, sizeof res->why_not, "planning was turned off");
        return PAN_OK;
    }
    if (kind == PAN_EVAL_SUBJECT_FROZEN) {
        snprintf(res->why_not, sizeof res->why_not, "the frozen model cannot imagine");
        return PAN_OK;
    }
    if (kind == PAN_EVAL_SUBJECT_SERVER && strcmp(cfg->world, "tabletop")) {
        /* MAKE takes no world next to a model: served model sessions run
         * tabletop tasks only, so rooms goals cannot be imagined there */
        snprintf(res->why_not, sizeof res->why_not,
                 "served model sessions are tabletop-only; use --model FILE for rooms");
        return PAN_OK;
    }
    plan_ctx c = {.cfg = cfg, .wc = pan_eval_subject_world_config(s)};
    pan_env_config ec = pan_env_config_default();
    ec.world = cfg->world;
    ec.world_config = c.wc;
    ec.num_envs = 1;
    ec.autoreset_mode = PAN_AUTORESET_DISABLED;
    ec.max_episode_steps = 0;
    pan_status st;
    if ((st = pan_vec_env_create(&ec, &c.truth)) != PAN_OK ||
        (st = pan_world_create(cfg->world, &c.wc, &c.budget_world)) != PAN_OK) {
        destroy_ctx(&c);
        return st;
    }
    if (kind != PAN_EVAL_SUBJECT_WORLD && (st = pan_eval_imaginer_create(s, &c.imagine)) != PAN_OK) {
        destroy_ctx(&c);
        return st;
    }
    pan_env_spaces sp;
    pan_vec_env_spaces(c.truth, &sp);
    size_t fb = (size_t)c.wc.height * c.wc.width * 3;
    c.chunk = malloc(fb * c.wc.frames_per_step);
    c.frame = malloc(fb);
    c.latent = malloc((size_t)(sp.latent.shape[0] * sp.latent.shape[1]) * sizeof(float));
    if (!c.chunk || !c.frame || !c.latent) {
        destroy_ctx(&c);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "eval planning: out of memory");
    }
    int N = cfg->planning_tasks;
    res->tasks = N;
    eval_progress prog;
    eval_progress_begin(&prog, cfg->progress, "structured planning",
                        (int64_t)N * PAN_EVAL_PLANNERS);
    prog.unit = "tasks";
    for (int which = 0; which < PAN_EVAL_PLANNERS && st == PAN_OK; which++) {
        pan_planner_config pc = planner_config(&c, which, cfg->seed_base);
        pan_planner *p = NULL;
        if ((st = pan_planner_create(&pc, &p)) != PAN_OK) break;
        pan_eval_acc acc;
        pan_eval_acc_init(&acc);
        int64_t actions = 0;
        for (int i = 0; i < N && st == PAN_OK; i++) {
            int used = 0;
            bool ok = false;
            if ((st = play(&c, p, which, i, &used, &ok)) != PAN_OK) break;
            if ((st = pan_eval_acc_add(&acc, i, ok)) != PAN_OK) break;
            actions += used;
            eval_progress_add(&prog, 1);
        }
        if (st == PAN_OK) {
            pan_planner_stats ps = pan_planner_get_stats(p);
            res->success[which] = pan_eval_acc_stat(&acc);
            res->mean_actions[which] = N ? (double)actions / N : 0;
            res->decisions_per_s[which] = ps.seconds > 0 ? ps.decisions / ps.seconds : 0;
            res->imagined_steps_per_s[which] =
                ps.seconds > 0 ? ps.imagined_steps / ps.seconds : 0;
        }
        pan_eval_acc_free(&acc);
        pan_planner_destroy(p);
    }
    eval_progress_end(&prog);
    destroy_ctx(&c);
    if (st != PAN_OK) return st;
    res->measured = true;
    res->pan_minus_nomodel =
        100 * (res->success[PAN_EVAL_PLAN_CEM].mean - res->success[PAN_EVAL_PLAN_NOMODEL].mean);
    res->oracle_minus_pan =
        100 * (res->success[PAN_EVAL_PLAN_ORACLE].mean - res->success[PAN_EVAL_PLAN_CEM].mean);
    return PAN_OK;
}
