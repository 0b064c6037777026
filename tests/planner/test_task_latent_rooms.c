/* tests/planner/test_task_latent_rooms.c: goal-latent tasks on rooms
 * landmark goals (env/task.h; docs/env.md "The goal-latent task").
 *
 * - specs: "latent: structured: landmark|random" and "latent: the camera
 *   is at the <colour> <shape>" create and normalise; the goal text parses
 *   back to the same goal (canonical text, kind GOAL_LATENT, family
 *   LANDMARK); what rooms does not accept after "latent:" is
 *   INVALID_ARGUMENT with a message naming the accepted forms, the goal
 *   unchanged; tabletop's goal-latent specs are as before;
 * - begin and the goal image's state: over many seeds the begun goal is a
 *   goal-latent landmark goal that does not hold, its goal state
 *   (pan_task_goal_state) satisfies the landmark predicate (cost 0), and
 *   it is exactly the world's state after replaying the reference plan
 *   (state vector, heading, steps), which renders the same frame; fixed
 *   "latent: the camera is at ..." goals likewise; evaluation is the
 *   latent distance;
 * - a world-model env on rooms (an untrained in-process model, narrow as
 *   the pan-init test checkpoints): reset with "latent: structured:
 *   landmark" reports "latent: the camera is at the ..." and every step's
 *   reward is finite, negative and equals -|s - g|^2 / |g|^2 with g the
 *   model's encoding of the independently rendered goal image (read back
 *   as the reset latent of an env started from that image); an env
 *   started from the goal image itself succeeds at reset; a fixed
 *   landmark beyond the reference search is NOT_FOUND at reset; the
 *   ground-truth rooms env refuses the task. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/model.h"
#include "env/env.h"
#include "env/task.h"
#include "tests/test_util.h"

#define PREFIX "latent: the camera is at the "

static const pan_world_config CFG = {64, 64, 4};
static uint8_t frames[4 * 128 * 128 * 3];

static pan_goal parse(const char *world, const char *text) {
    pan_goal g;
    memset(&g, 0, sizeof g);
    CHECK_STATUS(pan_task_parse_goal(world, text, &g), PAN_OK);
    return g;
}

/* The landmark goal a goal-latent goal reaches. */
static pan_goal as_landmark(const pan_goal *g) {
    pan_goal base = *g;
    base.kind = g->family;
    return base;
}

static bool landmark_holds(const pan_goal *g, const pan_world_config *cfg,
                           const pan_world_state *s) {
    pan_goal base = as_landmark(g);
    pan_task_input in = {.state = s};
    float reward = -1.0f, cost = -1.0f;
    bool ok = false;
    CHECK_STATUS(pan_task_evaluate(&base, cfg, &in, &reward, &ok), PAN_OK);
    CHECK_STATUS(pan_task_cost(&base, cfg, s, &cost), PAN_OK);
    CHECK((cost == 0.0f) == ok);
    return ok;
}

/* ---- specs and texts ------------------------------------------------------ */

static void test_specs(void) {
    static const struct { const char *spec, *norm; } ok[] = {
        {"latent: structured: landmark", "latent: structured: landmark"},
        {"  Latent:  Structured:  RANDOM ", "latent: structured: random"},
        {"latent: structured: random", "latent: structured: random"},
        {"LATENT: The camera is at the Yellow Circle.",
         "latent: the camera is at the yellow circle"},
        {"latent: the camera is at the red square",
         "latent: the camera is at the red square"}};
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
        pan_task *t = NULL;
        CHECK_STATUS(pan_task_create("rooms", ok[k].spec, &t), PAN_OK);
        CHECK(t && !strcmp(pan_task_spec(t), ok[k].norm));
        CHECK(pan_task_needs_goal_latent(t));
        /* the normalised spec creates the same task */
        pan_task *again = NULL;
        if (t) CHECK_STATUS(pan_task_create("rooms", pan_task_spec(t), &again),
                            PAN_OK);
        CHECK(again && !strcmp(pan_task_spec(again), ok[k].norm));
        pan_task_destroy(again);
        pan_task_destroy(t);
    }
    pan_goal g = parse("rooms", "  latent:the Camera is AT the yellow circle! ");
    CHECK(g.kind == PAN_TASK_GOAL_LATENT && g.family == PAN_TASK_LANDMARK);
    CHECK(g.colour == PAN_COLOUR_YELLOW && g.shape == PAN_SHAPE_CIRCLE);
    CHECK(g.budget == 0);
    CHECK(!strcmp(g.text, "latent: the camera is at the yellow circle"));
    pan_goal back = parse("rooms", g.text); /* round trip */
    CHECK(!memcmp(&back, &g, sizeof g));
    pan_goal plain = parse("rooms", g.text + strlen("latent: "));
    CHECK(plain.kind == PAN_TASK_LANDMARK && plain.colour == g.colour &&
          plain.shape == g.shape);
    for (int c = 0; c < PAN_COLOUR_COUNT; c++)
        for (int s = 0; s < PAN_SHAPE_COUNT; s++) {
            pan_goal l = plain;
            l.colour = c, l.shape = s;
            char text[PAN_TASK_TEXT_MAX];
            static const char *const cn[] = {"red", "green", "blue", "yellow",
                                             "purple", "orange"};
            static const char *const sn[] = {"square", "circle", "triangle"};
            snprintf(text, sizeof text, PREFIX "%s %s", cn[c], sn[s]);
            l = parse("rooms", text);
            CHECK(l.kind == PAN_TASK_GOAL_LATENT && l.colour == c &&
                  l.shape == s && !strcmp(l.text, text));
        }
    /* refused: rooms has no place goals, no random place spec, no none */
    static const char *const bad_specs[] = {
        "latent: random", "latent: none", "latent:", "latent: structured: line",
        "latent: structured: place", "latent: put the red circle in the top "
        "left corner", "latent: the red circle is next to the green triangle",
        "latent: the camera is at the pink circle"};
    for (size_t k = 0; k < sizeof bad_specs / sizeof bad_specs[0]; k++) {
        pan_task *t = (pan_task *)&g; /* must stay untouched */
        CHECK_STATUS(pan_task_create("rooms", bad_specs[k], &t),
                     PAN_ERR_INVALID_ARGUMENT);
        CHECK(t == (pan_task *)&g);
        const char *m = pan_error_message();
        CHECK(strstr(m, "landmark") || strstr(m, "camera is at"));
    }
    static const char *const bad_goals[] = {
        "latent: put the red circle in the top left corner",
        "latent: structured: landmark", "latent: random",
        "latent: the camera is near the red circle"};
    for (size_t k = 0; k < sizeof bad_goals / sizeof bad_goals[0]; k++) {
        pan_goal out = {.kind = 77};
        CHECK_STATUS(pan_task_parse_goal("rooms", bad_goals[k], &out),
                     PAN_ERR_INVALID_ARGUMENT);
        CHECK(out.kind == 77);
        CHECK(strstr(pan_error_message(), "the camera is at") != NULL);
    }
    /* tabletop's goal-latent specs are unchanged; a landmark is not one */
    pan_task *t = NULL;
    CHECK_STATUS(pan_task_create("tabletop", "latent: structured: landmark", &t),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_task_create("tabletop", "latent: the camera is at the red "
                                 "circle", &t), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_task_create("tabletop", "latent: none", &t),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "tabletop goal") != NULL);
    CHECK_STATUS(pan_task_create("tabletop", "latent: random", &t), PAN_OK);
    CHECK(t && !strcmp(pan_task_spec(t), "latent: random"));
    pan_task_destroy(t);
}

/* ---- begin and the goal image's state -------------------------------------- */

/* Replays the plan through `w` from its current state; the state after. */
static void replay(pan_world *w, const pan_task_plan *plan,
                   pan_world_state *after) {
    for (int k = 0; k < plan->length; k++)
        CHECK_STATUS(pan_world_step(w, plan->actions[k], frames, NULL), PAN_OK);
    CHECK_STATUS(pan_world_get_state(w, after), PAN_OK);
}

static bool same_state(const pan_world *w, const pan_world_state *a,
                       const pan_world_state *b) {
    float va[256], vb[256];
    int n = pan_world_state_vector(w, NULL, NULL);
    CHECK(n > 0 && n <= 256);
    if (n <= 0 || n > 256) return false;
    pan_world_state_vector(w, a, va);
    pan_world_state_vector(w, b, vb);
    return !memcmp(va, vb, (size_t)n * sizeof(float)) &&
           a->heading == b->heading && a->steps == b->steps &&
           a->seed == b->seed && a->rng == b->rng &&
           a->brightness == b->brightness;
}

/* One begun goal: not met at the start, its goal state meets it and is the
 * world's state (and frame) after the reference plan. */
static bool check_goal(pan_world *w, const pan_world_config *cfg,
                       const pan_goal *g) {
    CHECK(g->kind == PAN_TASK_GOAL_LATENT && g->family == PAN_TASK_LANDMARK);
    CHECK(!strncmp(g->text, PREFIX, strlen(PREFIX)));
    CHECK(g->budget >= PAN_TASK_BUDGET_MIN && g->budget <= PAN_TASK_BUDGET_MAX);
    pan_goal back = parse("rooms", g->text);
    CHECK(back.kind == g->kind && back.family == g->family &&
          back.colour == g->colour && back.shape == g->shape &&
          !strcmp(back.text, g->text));
    pan_world_state start, target, after;
    CHECK_STATUS(pan_world_get_state(w, &start), PAN_OK);
    CHECK(start.steps == 0);
    CHECK(!landmark_holds(g, cfg, &start));
    CHECK_STATUS(pan_task_goal_state(g, w, &target), PAN_OK);
    bool meets = landmark_holds(g, cfg, &target);
    CHECK(meets);
    pan_task_plan plan;
    CHECK_STATUS(pan_task_solve(g, w, &plan), PAN_OK);
    CHECK(plan.length >= 1 && plan.length <= PAN_TASK_SOLVE_MAX);
    replay(w, &plan, &after);
    bool same = same_state(w, &target, &after);
    CHECK(same);
    static uint8_t walked[128 * 128 * 3], shown[128 * 128 * 3];
    size_t bytes = (size_t)cfg->width * (size_t)cfg->height * 3;
    CHECK_STATUS(pan_world_render(w, walked), PAN_OK);
    CHECK_STATUS(pan_world_set_state(w, &start), PAN_OK);
    CHECK_STATUS(pan_world_set_state(w, &target), PAN_OK);
    CHECK_STATUS(pan_world_render(w, shown), PAN_OK);
    bool drawn = !memcmp(walked, shown, bytes);
    CHECK(drawn);
    CHECK_STATUS(pan_world_set_state(w, &start), PAN_OK);
    return meets && same && drawn;
}

static void test_begin(const pan_world_config *cfg, const char *spec,
                       int seeds) {
    pan_task *t = NULL;
    pan_world *w = NULL;
    CHECK_STATUS(pan_task_create("rooms", spec, &t), PAN_OK);
    CHECK_STATUS(pan_world_create("rooms", cfg, &w), PAN_OK);
    if (!t || !w) return;
    int lengths = 0, good = 0;
    for (int seed = 0; seed < seeds; seed++) {
        CHECK_STATUS(pan_world_reset(w, (uint64_t)seed, frames), PAN_OK);
        pan_goal g, twin;
        CHECK_STATUS(pan_task_begin(t, w, (uint64_t)seed, &g), PAN_OK);
        good += check_goal(w, cfg, &g);
        pan_task_plan plan;
        CHECK_STATUS(pan_task_solve(&g, w, &plan), PAN_OK);
        lengths += plan.length;
        /* deterministic, and the same landmark as without "latent:" */
        CHECK_STATUS(pan_world_reset(w, (uint64_t)seed, frames), PAN_OK);
        CHECK_STATUS(pan_task_begin(t, w, (uint64_t)seed, &twin), PAN_OK);
        CHECK(!memcmp(&g, &twin, sizeof g));
        pan_task *plain = NULL;
        CHECK_STATUS(pan_task_create("rooms", spec + strlen("latent: "), &plain),
                     PAN_OK);
        CHECK_STATUS(pan_world_reset(w, (uint64_t)seed, frames), PAN_OK);
        if (plain)
            CHECK_STATUS(pan_task_begin(plain, w, (uint64_t)seed, &twin),
                         PAN_OK);
        CHECK(twin.kind == PAN_TASK_LANDMARK && twin.colour == g.colour &&
              twin.shape == g.shape && twin.budget == g.budget &&
              !strcmp(twin.text, g.text + strlen("latent: ")));
        pan_task_destroy(plain);
    }
    printf("rooms '%s' %dx%d: %d of %d goal states meet the landmark and "
           "equal the replayed plan's state and frame; mean plan %.2f "
           "actions\n",
           spec, cfg->width, cfg->height, good, seeds,
           (double)lengths / seeds);
    pan_world_destroy(w);
    pan_task_destroy(t);
}

/* Fixed "latent: the camera is at ..." goals: every landmark of a map. */
static void test_fixed(void) {
    pan_world *w = NULL;
    CHECK_STATUS(pan_world_create("rooms", &CFG, &w), PAN_OK);
    if (!w) return;
    CHECK_STATUS(pan_world_reset(w, 5, frames), PAN_OK);
    pan_world_state s;
    CHECK_STATUS(pan_world_get_state(w, &s), PAN_OK);
    static const char *const cn[] = {"red", "green", "blue", "yellow",
                                     "purple", "orange"};
    static const char *const sn[] = {"square", "circle", "triangle"};
    int checked = 0;
    for (int i = 0; i < s.n_objects; i++) {
        char spec[PAN_TASK_TEXT_MAX];
        snprintf(spec, sizeof spec, PREFIX "%s %s", cn[s.objects[i].colour],
                 sn[s.objects[i].shape]);
        pan_task *t = NULL;
        CHECK_STATUS(pan_task_create("rooms", spec, &t), PAN_OK);
        CHECK(t && !strcmp(pan_task_spec(t), spec));
        CHECK_STATUS(pan_world_reset(w, 5, frames), PAN_OK);
        pan_goal g;
        if (t) CHECK_STATUS(pan_task_begin(t, w, 5, &g), PAN_OK);
        CHECK(!strcmp(g.text, spec));
        pan_task_plan plan;
        /* a landmark beyond PAN_TASK_SOLVE_MAX actions has no goal image */
        pan_status st = pan_task_solve(&g, w, &plan);
        CHECK(st == PAN_OK || st == PAN_ERR_NOT_FOUND);
        if (st == PAN_OK) {
            checked += check_goal(w, &CFG, &g);
        } else {
            pan_world_state target;
            CHECK_STATUS(pan_task_goal_state(&g, w, &target), PAN_ERR_NOT_FOUND);
            CHECK(g.budget == PAN_TASK_BUDGET_MAX);
        }
        pan_task_destroy(t);
    }
    CHECK(checked >= 1);
    printf("rooms fixed goal-latent goals on seed 5: %d of %d landmarks have "
           "a goal image\n", checked, s.n_objects);
    /* scoring is the latent distance, as for tabletop */
    pan_goal g = parse("rooms", PREFIX "red circle");
    float gl[4] = {1, 2, 3, 4}, l[4] = {1, 2, 3, 4}, reward = 1.0f;
    bool ok = false;
    pan_task_input in = {.latent = l, .latent_size = 4};
    CHECK_STATUS(pan_task_evaluate(&g, &CFG, &in, &reward, &ok),
                 PAN_ERR_FAILED_PRECONDITION);
    in.goal_latent = gl;
    CHECK_STATUS(pan_task_evaluate(&g, &CFG, &in, &reward, &ok), PAN_OK);
    CHECK(reward == 0.0f && ok);
    l[3] = 4 + 1.3f; /* d = 1.69 / 30 */
    CHECK_STATUS(pan_task_evaluate(&g, &CFG, &in, &reward, &ok), PAN_OK);
    CHECK(!ok && fabsf(reward + 1.69f / 30.0f) < 1e-6f);
    float cost;
    CHECK_STATUS(pan_task_cost(&g, &CFG, &s, &cost), PAN_ERR_INVALID_ARGUMENT);
    pan_world_destroy(w);
}

/* ---- the world-model env on rooms --------------------------------------- */

static pan_status tiny_model(pan_model **m) {
    pan_model_config c;
    pan_model_config_default(&c);
    c.decoder.dim = 96;
    c.decoder.layers = 2;
    c.decoder.heads = 4;
    c.decoder.mlp_dim = 256;
    c.decoder.freq_dim = 64;
    c.decoder.steps = 2;
    c.backbone.layers = 2;
    c.encoder.layers = 2;
    pan_status st = pan_model_config_validate(&c);
    return st == PAN_OK ? pan_model_create_random(m, &c, 3) : st;
}

static pan_vec_env *model_env(const pan_model *m, int n) {
    pan_env_config c = pan_env_config_default();
    c.world = "rooms";
    c.world_config = CFG;
    c.model = m;
    c.num_envs = n;
    c.max_episode_steps = 0;
    pan_vec_env *env = NULL;
    CHECK_STATUS(pan_vec_env_create(&c, &env), PAN_OK);
    return env;
}

/* The goal image of seed's "latent: structured: landmark" episode,
 * rendered by a plain world (not the env's). */
static void goal_image(uint64_t seed, uint8_t *image, pan_goal *goal) {
    pan_world *w = NULL;
    pan_task *t = NULL;
    CHECK_STATUS(pan_world_create("rooms", &CFG, &w), PAN_OK);
    CHECK_STATUS(pan_task_create("rooms", "latent: structured: landmark", &t),
                 PAN_OK);
    if (!w || !t) return;
    CHECK_STATUS(pan_world_reset(w, seed, frames), PAN_OK);
    CHECK_STATUS(pan_task_begin(t, w, seed, goal), PAN_OK);
    pan_world_state target;
    CHECK_STATUS(pan_task_goal_state(goal, w, &target), PAN_OK);
    CHECK_STATUS(pan_world_set_state(w, &target), PAN_OK);
    CHECK_STATUS(pan_world_render(w, image), PAN_OK);
    pan_task_destroy(t);
    pan_world_destroy(w);
}

/* "latent: the camera is at ..." for a landmark of seed's map that the
 * reference search cannot reach from the start ("" if none). */
static void far_landmark(uint64_t seed, char *spec, size_t size) {
    static const char *const cn[] = {"red", "green", "blue", "yellow",
                                     "purple", "orange"};
    static const char *const sn[] = {"square", "circle", "triangle"};
    pan_world *w = NULL;
    CHECK_STATUS(pan_world_create("rooms", &CFG, &w), PAN_OK);
    if (!w) return;
    CHECK_STATUS(pan_world_reset(w, seed, frames), PAN_OK);
    pan_world_state s;
    CHECK_STATUS(pan_world_get_state(w, &s), PAN_OK);
    for (int i = 0; i < s.n_objects && !spec[0]; i++) {
        char text[PAN_TASK_TEXT_MAX];
        snprintf(text, sizeof text, PREFIX "%s %s", cn[s.objects[i].colour],
                 sn[s.objects[i].shape]);
        pan_goal g = parse("rooms", text);
        pan_task_plan plan;
        if (pan_task_solve(&g, w, &plan) == PAN_ERR_NOT_FOUND)
            snprintf(spec, size, "%s", text);
    }
    pan_error_clear();
    pan_world_destroy(w);
}

static double latent_distance(const float *s, const float *g, size_t n) {
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)s[i] - (double)g[i];
        num += d * d;
        den += (double)g[i] * (double)g[i];
    }
    return den > 0.0 ? num / den : num;
}

static void test_model_env(void) {
    pan_model *m = NULL;
    CHECK_STATUS(tiny_model(&m), PAN_OK);
    if (!m) return;
    enum { N = 2, STEPS = 3 };
    const size_t HW3 = 64 * 64 * 3, K = 4;
    size_t QD = (size_t)m->config.backbone.queries * m->config.backbone.dim;
    uint64_t seeds[N] = {11, 12};
    static uint8_t images[N * 64 * 64 * 3];
    pan_goal goals[N];
    for (int i = 0; i < N; i++)
        goal_image(seeds[i], images + (size_t)i * HW3, &goals[i]);
    uint8_t *obs_frames = malloc(N * K * HW3);
    float *lat = malloc(N * QD * sizeof(float));
    float *goal_lat = malloc(N * QD * sizeof(float));
    pan_vec_env *env = model_env(m, N), *ref = model_env(m, N);
    if (!obs_frames || !lat || !goal_lat || !env || !ref) goto done;
    pan_obs_batch obs = {obs_frames, lat};
    pan_env_info infos[N];
    /* g: the model's encoding of each goal image, as a reset latent */
    pan_reset_options from_goal = {.task = "none", .initial_frames = images};
    CHECK_STATUS(pan_vec_env_reset(ref, seeds, &from_goal, &obs, infos), PAN_OK);
    memcpy(goal_lat, lat, N * QD * sizeof(float));
    /* an episode that starts at its own goal image succeeds at reset */
    from_goal.task = "latent: structured: landmark";
    CHECK_STATUS(pan_vec_env_reset(ref, seeds, &from_goal, &obs, infos), PAN_OK);
    for (int i = 0; i < N; i++) {
        CHECK(infos[i].success);
        CHECK(latent_distance(lat + i * QD, goal_lat + i * QD, QD) <= 1e-10);
    }
    /* the episode proper */
    pan_reset_options opt = {.task = "latent: structured: landmark"};
    CHECK_STATUS(pan_vec_env_reset(env, seeds, &opt, &obs, infos), PAN_OK);
    for (int i = 0; i < N; i++) {
        CHECK(!strncmp(infos[i].task, PREFIX, strlen(PREFIX)));
        CHECK(!strcmp(infos[i].task, goals[i].text));
    }
    const char *acts[N] = {"go north 3", "go east 2"};
    float rewards[N];
    bool term[N], trunc[N];
    double worst = 0.0;
    for (int t = 0; t < STEPS; t++) {
        CHECK_STATUS(pan_vec_env_step(env, acts, &obs, rewards, term, trunc,
                                      infos, NULL, NULL, NULL),
                     PAN_OK);
        for (int i = 0; i < N; i++) {
            double d = latent_distance(lat + i * QD, goal_lat + i * QD, QD);
            CHECK(isfinite(rewards[i]) && rewards[i] < 0.0f);
            CHECK(fabs((double)rewards[i] + d) <= 1e-4 * d + 1e-6);
            CHECK(infos[i].success == (d <= PAN_TASK_LATENT_TOLERANCE));
            CHECK(!strcmp(infos[i].task, goals[i].text));
            if (-rewards[i] > worst) worst = -rewards[i];
        }
    }
    printf("model env rooms 'latent: structured: landmark': %d steps x %d "
           "envs, rewards finite and negative (largest d %.3g), = -d(h(goal "
           "image)); an episode started at its goal image succeeds at reset\n",
           STEPS, N, worst);
    /* a fixed landmark beyond the reference search has no goal image */
    char far[PAN_TASK_TEXT_MAX] = "";
    far_landmark(seeds[0], far, sizeof far);
    CHECK(far[0] != '\0');
    if (far[0]) {
        pan_reset_options far_opt = {.task = far};
        CHECK_STATUS(pan_vec_env_reset(env, seeds, &far_opt, &obs, infos),
                     PAN_ERR_NOT_FOUND);
        CHECK(strstr(pan_error_message(), "more than") != NULL);
    }
    /* the ground-truth env refuses goal-latent tasks */
    pan_env_config wc = pan_env_config_default();
    wc.world = "rooms";
    pan_vec_env *world_env = NULL;
    CHECK_STATUS(pan_vec_env_create(&wc, &world_env), PAN_OK);
    if (world_env) {
        static uint8_t wf[4 * 64 * 64 * 3];
        static float wl[512];
        pan_obs_batch wo = {wf, wl};
        pan_env_info wi[1];
        CHECK_STATUS(pan_vec_env_reset(world_env, seeds, &opt, &wo, wi),
                     PAN_ERR_INVALID_ARGUMENT);
        CHECK(strstr(pan_error_message(), "world-model envs only") != NULL);
        pan_vec_env_destroy(world_env);
    }
done:
    pan_vec_env_destroy(env);
    pan_vec_env_destroy(ref);
    free(obs_frames);
    free(lat);
    free(goal_lat);
    pan_model_destroy(m);
}

int main(int argc, char **argv) {
    int seeds = argc > 1 ? atoi(argv[1]) : 100;
    test_specs();
    test_begin(&CFG, "latent: structured: landmark", seeds);
    test_begin(&CFG, "latent: structured: random", seeds);
    test_begin(&(pan_world_config){128, 96, 2}, "latent: structured: landmark",
               seeds / 2);
    test_fixed();
    test_model_env();
    return test_exit_code("test_task_latent_rooms");
}
