/* tests/planner/test_planner_core.c: the planning core (agents/c/
 * planner.h) in-process, over the pan_vec_env backend
 * (agents/c/planner_sim_vec.h).
 *
 * - every action the grammar writes is understood by the world and is its
 *   own canonical form (tabletop, rooms);
 * - the oracle (CEM imagining in the true world's vec env) solves sampled
 *   structured tasks within their budgets far more often than the random
 *   planner (bounds near the rates observed, printed);
 * - imagining never changes the live env: its true state and snapshot
 *   count are identical before and after every decision;
 * - a run is reproducible from its seed (the same actions twice), and
 *   another seed gives other actions;
 * - argument and precondition errors.
 * Usage: test_planner_core [tasks] (default 40). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/c/planner.h"
#include "agents/c/planner_sim_vec.h"
#include "env/env.h"
#include "tests/test_util.h"

static uint8_t frames[4 * 64 * 64 * 3];
static float latent[128];

typedef struct outcome {
    int tasks, successes, actions, live_changes;
    uint64_t trace;
} outcome;

static uint64_t fnv(uint64_t h, const char *s) {
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return (h ^ ';') * 0x100000001b3ull;
}

/* Plays `tasks` tasks of `spec` with the planner; the vec env is both the
 * true world and (for the oracle) the simulator. */
static void play(const char *world, const char *spec, pan_planner_kind kind,
                 pan_planner_cost_kind cost, int tasks, uint64_t seed,
                 outcome *out) {
    memset(out, 0, sizeof *out);
    out->trace = 0xcbf29ce484222325ull;
    pan_env_config c = pan_env_config_default();
    c.world = world;
    c.autoreset_mode = PAN_AUTORESET_DISABLED;
    c.max_episode_steps = 0;
    pan_vec_env *env = NULL;
    CHECK_STATUS(pan_vec_env_create(&c, &env), PAN_OK);
    pan_planner_config pc = pan_planner_config_default(world);
    pc.kind = kind;
    pc.cost = cost;
    pc.seed = seed;
    pan_planner *p = NULL;
    CHECK_STATUS(pan_planner_create(&pc, &p), PAN_OK);
    pan_planner_sim sim;
    CHECK_STATUS(pan_planner_sim_vec_create(env, 0, false, &sim), PAN_OK);
    pan_world *w = NULL;
    CHECK_STATUS(pan_world_create(world, &c.world_config, &w), PAN_OK);
    if (!env || !p || !w) return;
    pan_obs_batch obs = {frames, latent};
    for (int i = 0; i < tasks; i++) {
        uint64_t s = seed + (uint64_t)i;
        pan_reset_options o = {.task = spec};
        pan_env_info info;
        CHECK_STATUS(pan_vec_env_reset(env, &s, &o, &obs, &info), PAN_OK);
        pan_goal goal;
        CHECK_STATUS(pan_task_parse_goal(world, info.task, &goal), PAN_OK);
        pan_world_state truth, before, after, now;
        CHECK_STATUS(pan_vec_env_true_state(env, 0, &truth), PAN_OK);
        CHECK_STATUS(pan_world_set_state(w, &truth), PAN_OK);
        int budget = 0;
        CHECK_STATUS(pan_task_budget(&goal, w, &budget), PAN_OK);
        CHECK_STATUS(pan_planner_begin(p, &goal, s), PAN_OK);
        bool done = false;
        for (int a = 0; a < budget && !done; a++) {
            const uint8_t *frame = frames + (size_t)3 * 64 * 64 * 3;
            CHECK_STATUS(pan_planner_observe_frame(p, frame, &now), PAN_OK);
            CHECK_STATUS(pan_vec_env_true_state(env, 0, &before), PAN_OK);
            char action[PAN_PLANNER_ACTION_MAX];
            CHECK_STATUS(pan_planner_decide(p, &sim, &now, action, sizeof action),
                         PAN_OK);
            CHECK_STATUS(pan_vec_env_true_state(env, 0, &after), PAN_OK);
            out->live_changes += memcmp(&before, &after, sizeof before) != 0 ||
                                 pan_vec_env_snapshot_count(env) != 0;
            const char *acts[1] = {action};
            float r;
            bool term, trunc;
            CHECK_STATUS(pan_vec_env_step(env, acts, &obs, &r, &term, &trunc,
                                          &info, NULL, NULL, NULL), PAN_OK);
            CHECK(info.action.understood);
            out->trace = fnv(out->trace, action);
            out->actions++;
            done = term;
        }
        out->tasks++;
        out->successes += done;
    }
    pan_planner_stats st = pan_planner_get_stats(p);
    printf("%-8s %-22s %-7s %-8s: success %2d/%d, %.2f actions per task, "
           "%.0f decisions/s, %.0f imagined env steps/s\n",
           world, spec, pan_planner_kind_name(kind), pan_planner_cost_name(cost),
           out->successes, out->tasks, (double)out->actions / out->tasks,
           st.seconds > 0 ? (double)st.decisions / st.seconds : 0.0,
           st.seconds > 0 ? (double)st.imagined_steps / st.seconds : 0.0);
    pan_world_destroy(w);
    pan_planner_sim_vec_destroy(&sim);
    pan_planner_destroy(p);
    pan_vec_env_destroy(env);
}

static void test_grammar_texts(const char *world) {
    pan_world_config cfg = pan_world_config_default();
    pan_world *w = NULL;
    CHECK_STATUS(pan_world_create(world, &cfg, &w), PAN_OK);
    pan_planner_config pc = pan_planner_config_default(world);
    pc.kind = PAN_PLANNER_RANDOM;
    pan_planner *p = NULL;
    CHECK_STATUS(pan_planner_create(&pc, &p), PAN_OK);
    if (!w || !p) return;
    int ok = 0, total = 0;
    for (uint64_t seed = 0; seed < 20; seed++) {
        pan_task *t = NULL;
        CHECK_STATUS(pan_task_create(world, "structured: random", &t), PAN_OK);
        CHECK_STATUS(pan_world_reset(w, seed, frames), PAN_OK);
        pan_goal g;
        CHECK_STATUS(pan_task_begin(t, w, seed, &g), PAN_OK);
        pan_task_destroy(t);
        CHECK_STATUS(pan_planner_begin(p, &g, seed), PAN_OK);
        pan_world_state now;
        CHECK_STATUS(pan_world_get_state(w, &now), PAN_OK);
        for (int k = 0; k < 100; k++) {
            char a[PAN_PLANNER_ACTION_MAX];
            CHECK_STATUS(pan_planner_decide(p, NULL, &now, a, sizeof a), PAN_OK);
            pan_action_result r;
            CHECK_STATUS(pan_world_parse(w, a, &r), PAN_OK);
            bool good = r.understood && !strcmp(r.canonical, a);
            if (!good) fprintf(stderr, "'%s' -> '%s' (%s)\n", a, r.canonical, r.message);
            ok += good;
            total++;
        }
    }
    printf("%s grammar: %d of %d actions understood as their own canonical "
           "form\n", world, ok, total);
    CHECK(ok == total);
    pan_planner_destroy(p);
    pan_world_destroy(w);
}

static void test_errors(void) {
    pan_planner_config pc = pan_planner_config_default("tabletop");
    pan_planner *p = NULL;
    pc.topk = 200;
    CHECK_STATUS(pan_planner_create(&pc, &p), PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "topk") != NULL && p == NULL);
    pc = pan_planner_config_default("castle");
    CHECK_STATUS(pan_planner_create(&pc, &p), PAN_ERR_INVALID_ARGUMENT);
    pc = pan_planner_config_default("tabletop");
    pc.horizon = 0;
    CHECK_STATUS(pan_planner_create(&pc, &p), PAN_ERR_INVALID_ARGUMENT);
    pc = pan_planner_config_default("tabletop");
    CHECK_STATUS(pan_planner_create(&pc, &p), PAN_OK);
    pan_world_state now;
    memset(&now, 0, sizeof now);
    char a[PAN_PLANNER_ACTION_MAX];
    CHECK_STATUS(pan_planner_decide(p, NULL, &now, a, sizeof a),
                 PAN_ERR_FAILED_PRECONDITION);
    pan_goal g;
    CHECK_STATUS(pan_task_parse_goal("tabletop", "all the red objects are "
                                     "together", &g), PAN_OK);
    CHECK_STATUS(pan_planner_begin(p, &g, 1), PAN_OK);
    CHECK_STATUS(pan_planner_decide(p, NULL, &now, a, sizeof a),
                 PAN_ERR_INVALID_ARGUMENT); /* CEM needs a simulator */
    CHECK(strstr(pan_error_message(), "simulator") != NULL);
    CHECK_STATUS(pan_planner_decide(p, NULL, &now, a, 8),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_task_parse_goal("rooms", "the camera is at the red "
                                     "circle", &g), PAN_OK);
    CHECK_STATUS(pan_planner_begin(p, &g, 1), PAN_ERR_INVALID_ARGUMENT);
    pan_planner_kind k;
    pan_planner_cost_kind c;
    CHECK_STATUS(pan_planner_kind_parse("mcts", &k), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_planner_cost_parse("reward", &c), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_planner_kind_parse("pick", &k), PAN_OK);
    CHECK(k == PAN_PLANNER_PICK);
    pan_planner_destroy(p);
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 40;
    test_errors();
    test_grammar_texts("tabletop");
    test_grammar_texts("rooms");
    outcome cem, cem_det, rnd, nomodel, pick, again, other, rooms, rooms_rnd;
    play("tabletop", "structured: random", PAN_PLANNER_CEM,
         PAN_PLANNER_COST_LATENT, n, 0, &cem);
    play("tabletop", "structured: random", PAN_PLANNER_CEM,
         PAN_PLANNER_COST_DETECTOR, n / 2, 0, &cem_det);
    play("tabletop", "structured: random", PAN_PLANNER_RANDOM,
         PAN_PLANNER_COST_LATENT, n, 0, &rnd);
    play("tabletop", "structured: random", PAN_PLANNER_NOMODEL,
         PAN_PLANNER_COST_LATENT, n, 0, &nomodel);
    play("tabletop", "structured: random", PAN_PLANNER_PICK,
         PAN_PLANNER_COST_LATENT, n, 0, &pick);
    play("tabletop", "structured: random", PAN_PLANNER_CEM,
         PAN_PLANNER_COST_LATENT, n / 2, 0, &again);
    play("tabletop", "structured: random", PAN_PLANNER_CEM,
         PAN_PLANNER_COST_LATENT, n / 2, 7, &other);
    play("rooms", "structured: landmark", PAN_PLANNER_CEM,
         PAN_PLANNER_COST_LATENT, n / 2, 0, &rooms);
    play("rooms", "structured: landmark", PAN_PLANNER_RANDOM,
         PAN_PLANNER_COST_LATENT, n / 2, 0, &rooms_rnd);
    /* observed (40 tasks, seeds 0..39): CEM latent 39/40, CEM detector
     * 19/20, random 2/40, nomodel 6/40, pick 15/40; rooms CEM 20/20,
     * random 0/20 */
    CHECK(cem.successes >= (int)(0.9 * n));
    CHECK(cem_det.successes >= (int)(0.85 * (n / 2)));
    CHECK(rnd.successes <= (int)(0.15 * n));
    CHECK(nomodel.successes <= (int)(0.3 * n));
    CHECK(cem.successes - rnd.successes >= (int)(0.6 * n));
    CHECK(pick.successes > rnd.successes && cem.successes > pick.successes);
    CHECK(rooms.successes >= (int)(0.9 * (n / 2)));
    CHECK(rooms_rnd.successes <= (int)(0.1 * (n / 2)));
    outcome all[] = {cem, cem_det, rnd, nomodel, pick, again, other, rooms,
                     rooms_rnd};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        CHECK(all[i].live_changes == 0);
    /* reproducible: the first n/2 tasks of the first run, replayed */
    outcome first_half;
    play("tabletop", "structured: random", PAN_PLANNER_CEM,
         PAN_PLANNER_COST_LATENT, n / 2, 0, &first_half);
    CHECK(first_half.trace == again.trace && first_half.actions == again.actions);
    CHECK(other.trace != again.trace);
    return test_exit_code("test_planner_core");
}
