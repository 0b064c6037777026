/* tests/planner/test_task_families.c: the structured goal families of
 * env/task.h (docs/env.md "Structured goal families").
 *
 * - texts: every family's canonical text parses back to the same goal;
 *   specs "structured: <family>" normalise; bad texts and specs are
 *   INVALID_ARGUMENT naming what is accepted;
 * - predicates on hand-built states at their tolerance boundaries (holds
 *   on the boundary, fails just beyond), and pan_task_cost == 0 exactly
 *   when pan_task_evaluate says success over random states;
 * - the sampler: over many seeds per family, the begun goal does not hold
 *   at the start, its budget is 5..10, begin is deterministic, the
 *   reference plan (pan_task_solve) replayed through the real world
 *   reaches the goal within the budget (N of N, printed), and
 *   pan_task_budget recomputes the budget from the state decoded from the
 *   reset latent;
 * - env episodes with "structured: ..." tasks: reward 1 and termination on
 *   the step that reaches the goal; fixed goals; the goal-latent variant's
 *   goal state.
 * Usage: test_task_families [seeds per family] (default 150). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "env/env.h"
#include "env/task.h"
#include "tests/test_util.h"

static const pan_world_config CFG = {64, 64, 4};
static uint8_t frames[16 * 256 * 256 * 3];

static pan_object_state obj(int colour, int shape, float x, float y) {
    return (pan_object_state){.colour = colour, .shape = shape, .x = x, .y = y,
                              .size = 6.0f, .visible = true};
}

static pan_world_state table(int n, const pan_object_state *objects) {
    pan_world_state s;
    memset(&s, 0, sizeof s);
    s.n_objects = n;
    for (int i = 0; i < n; i++) s.objects[i] = objects[i];
    s.brightness = 1.0f;
    return s;
}

static bool holds(const pan_goal *g, const pan_world_state *s) {
    pan_task_input in = {.state = s};
    float reward = -1.0f;
    bool ok = false;
    CHECK_STATUS(pan_task_evaluate(g, &CFG, &in, &reward, &ok), PAN_OK);
    CHECK(reward == (ok ? 1.0f : 0.0f));
    float cost = -1.0f;
    CHECK_STATUS(pan_task_cost(g, &CFG, s, &cost), PAN_OK);
    CHECK(cost >= 0.0f);
    CHECK((cost == 0.0f) == ok);
    return ok;
}

static float cost_of(const pan_goal *g, const pan_world_state *s) {
    float cost = -1.0f;
    CHECK_STATUS(pan_task_cost(g, &CFG, s, &cost), PAN_OK);
    return cost;
}

static pan_goal parse(const char *world, const char *text) {
    pan_goal g;
    memset(&g, 0, sizeof g);
    CHECK_STATUS(pan_task_parse_goal(world, text, &g), PAN_OK);
    return g;
}

/* ---- texts ---------------------------------------------------------------- */

static void test_texts(void) {
    static const char *const canon[] = {
        "the red circle is next to the green triangle",
        "the red circle is to the left of the green triangle",
        "the red circle is to the right of the green triangle",
        "the blue square is above the orange circle",
        "the blue square is below the orange circle",
        "all the purple objects are together",
        "the red circle, the green triangle and the blue square are in a row",
        "the red circle, the green triangle and the blue square are in a column",
    };
    for (size_t k = 0; k < sizeof canon / sizeof canon[0]; k++) {
        pan_goal g = parse("tabletop", canon[k]);
        CHECK(!strcmp(g.text, canon[k]));
        CHECK(g.budget == 0);
        pan_task *t = NULL;
        CHECK_STATUS(pan_task_create("tabletop", canon[k], &t), PAN_OK);
        CHECK(t && !strcmp(pan_task_spec(t), canon[k]));
        pan_task_destroy(t);
    }
    pan_goal g = parse("tabletop", "  The RED circle is LEFT of the green "
                                   "triangle.  ");
    CHECK(g.kind == PAN_TASK_RELATION && g.relation == PAN_RELATION_LEFT_OF &&
          g.colour == PAN_COLOUR_RED && g.shape2 == PAN_SHAPE_TRIANGLE);
    CHECK(!strcmp(g.text, "the red circle is to the left of the green triangle"));
    g = parse("tabletop", canon[6]);
    CHECK(g.kind == PAN_TASK_LINE && g.relation == PAN_LINE_ROW &&
          g.colour3 == PAN_COLOUR_BLUE && g.shape3 == PAN_SHAPE_SQUARE);
    g = parse("tabletop", canon[5]);
    CHECK(g.kind == PAN_TASK_GROUP && g.colour == PAN_COLOUR_PURPLE);
    g = parse("rooms", "the camera is at the yellow triangle");
    CHECK(g.kind == PAN_TASK_LANDMARK && g.colour == PAN_COLOUR_YELLOW &&
          g.shape == PAN_SHAPE_TRIANGLE);
    /* the imperative relation stays a world action, not a task */
    pan_task *t = NULL;
    CHECK_STATUS(pan_task_create("tabletop", "put the red circle next to the "
                                 "blue square", &t), PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "structured") != NULL);
    static const char *const bad[] = {
        "the red circle is next to the red circle",
        "the red circle, the red circle and the blue square are in a row",
        "the red circle is near the green triangle",
        "all the pink objects are together"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        pan_goal out = {.kind = 77};
        CHECK_STATUS(pan_task_parse_goal("tabletop", bad[k], &out),
                     PAN_ERR_INVALID_ARGUMENT);
        CHECK(out.kind == 77);
    }
    CHECK_STATUS(pan_task_create("rooms", "the red circle is next to the green "
                                 "triangle", &t), PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "the camera is at") != NULL);
    /* specs */
    static const struct { const char *world, *spec, *norm; } specs[] = {
        {"tabletop", "structured: random", "structured: random"},
        {"tabletop", "  Structured:   RELATION ", "structured: relation"},
        {"tabletop", "structured: place", "structured: place"},
        {"tabletop", "structured: group", "structured: group"},
        {"tabletop", "structured: line", "structured: line"},
        {"tabletop", "latent: structured: line", "latent: structured: line"},
        {"rooms", "structured: random", "structured: random"},
        {"rooms", "structured: landmark", "structured: landmark"},
        {"rooms", "the camera is at the red circle",
         "the camera is at the red circle"}};
    for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
        t = NULL;
        CHECK_STATUS(pan_task_create(specs[k].world, specs[k].spec, &t), PAN_OK);
        CHECK(t && !strcmp(pan_task_spec(t), specs[k].norm));
        pan_task_destroy(t);
    }
    CHECK_STATUS(pan_task_create("tabletop", "structured: landmark", &t),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "relation") != NULL);
    CHECK_STATUS(pan_task_create("rooms", "structured: line", &t),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "landmark") != NULL);
    CHECK(!strcmp(pan_task_kind_name(PAN_TASK_LINE), "line"));
    CHECK(pan_task_budget_of(0) == 5 && pan_task_budget_of(1) == 5 &&
          pan_task_budget_of(2) == 7 && pan_task_budget_of(3) == 9 &&
          pan_task_budget_of(4) == 10 && pan_task_budget_of(6) == 10);
}

/* ---- predicates at their boundaries -------------------------------------- */

static void test_relation_boundaries(void) {
    /* B at (40, 32), both half-extent 6: S = 12, contact at 13 px apart */
    pan_goal g = parse("tabletop", "the red circle is to the left of the "
                                   "green triangle");
    pan_object_state o[2] = {obj(0, 1, 27.0f, 32.0f), obj(1, 2, 40.0f, 32.0f)};
    pan_world_state s = table(2, o);
    CHECK(holds(&g, &s));                       /* exactly in contact */
    s.objects[0].x = 25.5f; CHECK(holds(&g, &s));  /* gap 2.5 = 1 + 1.5 */
    s.objects[0].x = 25.4f; CHECK(!holds(&g, &s));
    s.objects[0].x = 28.5f; CHECK(holds(&g, &s));  /* gap -0.5 */
    s.objects[0].x = 28.6f; CHECK(!holds(&g, &s));
    s.objects[0].x = 27.0f;
    s.objects[0].y = 36.0f; CHECK(holds(&g, &s));  /* aligned within 4 px */
    s.objects[0].y = 36.25f; CHECK(!holds(&g, &s));
    s.objects[0].y = 28.0f; CHECK(holds(&g, &s));
    s.objects[0].x = 20.0f, s.objects[0].y = 32.0f;
    CHECK(cost_of(&g, &s) == 5.5f);                /* 25.5 - 20 */
    s.objects[0].x = 20.0f, s.objects[0].y = 40.0f;
    float c = cost_of(&g, &s);                     /* (5.5, 4) away */
    CHECK(c > 6.80f && c < 6.81f);
    s.objects[0].x = 54.0f, s.objects[0].y = 32.0f; /* right of B */
    CHECK(!holds(&g, &s) && cost_of(&g, &s) == 25.5f);
    pan_goal r = parse("tabletop", "the red circle is to the right of the "
                                   "green triangle");
    s.objects[0].x = 53.0f; CHECK(holds(&r, &s));
    s.objects[0].x = 54.5f; CHECK(holds(&r, &s));
    s.objects[0].x = 54.6f; CHECK(!holds(&r, &s));
    pan_goal a = parse("tabletop", "the red circle is above the green "
                                   "triangle");
    s.objects[0].x = 40.0f, s.objects[0].y = 19.0f; CHECK(holds(&a, &s));
    s.objects[0].y = 17.5f; CHECK(holds(&a, &s));
    s.objects[0].y = 17.4f; CHECK(!holds(&a, &s));
    s.objects[0].x = 44.0f, s.objects[0].y = 19.0f; CHECK(holds(&a, &s));
    s.objects[0].x = 44.5f; CHECK(!holds(&a, &s));
    pan_goal b = parse("tabletop", "the red circle is below the green "
                                   "triangle");
    s.objects[0].x = 40.0f, s.objects[0].y = 45.0f; CHECK(holds(&b, &s));
    s.objects[0].y = 46.6f; CHECK(!holds(&b, &s));
    CHECK(!holds(&a, &s));
    /* next to: any side, aligned within S / 2 = 6 px */
    pan_goal n = parse("tabletop", "the red circle is next to the green "
                                   "triangle");
    s.objects[0].y = 45.0f;
    CHECK(holds(&n, &s));                          /* below */
    s.objects[0].x = 46.0f; CHECK(holds(&n, &s));
    s.objects[0].x = 46.5f; CHECK(!holds(&n, &s));
    s.objects[0].x = 27.0f, s.objects[0].y = 26.0f; CHECK(holds(&n, &s));
    s.objects[0].y = 25.5f; CHECK(!holds(&n, &s));
    s.objects[0].x = 10.0f, s.objects[0].y = 32.0f;
    CHECK(cost_of(&n, &s) == 15.5f);               /* 25.5 - 10 */
    /* a missing object costs W + H */
    s.objects[1].visible = false;
    CHECK(!holds(&n, &s) && cost_of(&n, &s) == 128.0f);
}

static void test_group_line_boundaries(void) {
    pan_goal g = parse("tabletop", "all the red objects are together");
    /* two red objects: gap = |dx| - 12 <= 8 */
    pan_object_state o[4] = {obj(0, 0, 20.0f, 20.0f), obj(0, 1, 40.0f, 20.0f),
                             obj(1, 0, 50.0f, 50.0f), obj(0, 2, 20.0f, 40.0f)};
    pan_world_state s = table(2, o);
    CHECK(holds(&g, &s));                          /* gap exactly 8 */
    s.objects[1].x = 40.5f;
    CHECK(!holds(&g, &s) && cost_of(&g, &s) == 0.5f);
    s.objects[1].x = 30.0f, s.objects[1].y = 40.0f; /* Chebyshev: gy = 8 */
    CHECK(holds(&g, &s));
    s.objects[1].y = 41.0f; CHECK(!holds(&g, &s) && cost_of(&g, &s) == 1.0f);
    s = table(4, o);                              /* three red, one green */
    s.objects[1].x = 40.0f, s.objects[1].y = 20.0f;
    CHECK(holds(&g, &s));                          /* pairs 8, 8, gx 8 gy 8 */
    s.objects[3].y = 41.0f;
    CHECK(!holds(&g, &s) && cost_of(&g, &s) == 2.0f); /* two pairs 1 px off */
    pan_world_state one = table(1, o);
    CHECK(!holds(&g, &one) && cost_of(&g, &one) == 128.0f);

    pan_goal row = parse("tabletop", "the red circle, the green triangle and "
                                     "the blue square are in a row");
    pan_goal col = parse("tabletop", "the red circle, the green triangle and "
                                     "the blue square are in a column");
    pan_object_state l[3] = {obj(0, 1, 12.0f, 30.0f), obj(1, 2, 30.0f, 34.0f),
                             obj(2, 0, 50.0f, 31.0f)};
    s = table(3, l);
    CHECK(holds(&row, &s));                        /* spread 4 */
    CHECK(!holds(&col, &s) && cost_of(&col, &s) == 34.0f); /* 38 - 4 */
    s.objects[1].y = 34.5f;
    CHECK(!holds(&row, &s) && cost_of(&row, &s) == 0.5f);
    s.objects[2].visible = false;
    CHECK(!holds(&row, &s) && cost_of(&row, &s) == 128.0f);
}

/* cost == 0 exactly when evaluate says success, over random states */
static void test_cost_exact(void) {
    test_rng rng = {99};
    static const char *const goals[] = {
        "put the red circle in the top left corner",
        "put the red circle in the centre", "put the red circle in the left edge",
        "the red circle is next to the green triangle",
        "the red circle is to the left of the green triangle",
        "the red circle is below the green triangle",
        "all the red objects are together",
        "the red circle, the green triangle and the red square are in a row"};
    int agree = 0, total = 0, hits = 0;
    for (size_t k = 0; k < sizeof goals / sizeof goals[0]; k++) {
        pan_goal g = parse("tabletop", goals[k]);
        for (int i = 0; i < 4000; i++) {
            pan_object_state o[3] = {obj(0, 1, 0, 0), obj(1, 2, 0, 0),
                                     obj(0, 0, 0, 0)};
            pan_world_state s = table(3, o);
            for (int j = 0; j < 3; j++) {
                /* quarter-pixel grid near the boundaries */
                s.objects[j].x = 8.0f + 0.25f * (float)(test_rng_next(&rng) % 192);
                s.objects[j].y = 8.0f + 0.25f * (float)(test_rng_next(&rng) % 192);
            }
            if (i % 2) { /* put the first near a contact with the second */
                float d = 11.0f + 0.25f * (float)(test_rng_next(&rng) % 16);
                s.objects[0].x = s.objects[1].x - d;
                s.objects[0].y = s.objects[1].y +
                                 0.25f * (float)(test_rng_next(&rng) % 40) - 5.0f;
            }
            pan_task_input in = {.state = &s};
            float reward, cost;
            bool ok;
            CHECK_STATUS(pan_task_evaluate(&g, &CFG, &in, &reward, &ok), PAN_OK);
            CHECK_STATUS(pan_task_cost(&g, &CFG, &s, &cost), PAN_OK);
            agree += (cost == 0.0f) == ok && cost >= 0.0f;
            hits += ok;
            total++;
        }
    }
    printf("cost == 0 <=> success: %d of %d random states (%d successes)\n",
           agree, total, hits);
    CHECK(agree == total && hits > 100);
}

static void test_landmark_boundaries(void) {
    pan_world *w = NULL;
    CHECK_STATUS(pan_world_create("rooms", &CFG, &w), PAN_OK);
    if (!w) return;
    CHECK_STATUS(pan_world_reset(w, 3, frames), PAN_OK);
    pan_world_state s;
    CHECK_STATUS(pan_world_get_state(w, &s), PAN_OK);
    const pan_object_state *l = &s.objects[0];
    char text[64];
    snprintf(text, sizeof text, "the camera is at the %s %s",
             (const char *[]){"red", "green", "blue", "yellow", "purple",
                              "orange"}[l->colour],
             (const char *[]){"square", "circle", "triangle"}[l->shape]);
    pan_goal g = parse("rooms", text);
    pan_world_state at = s;
    at.camera_x = l->x, at.camera_y = l->y; /* landmark centres are x.5 */
    CHECK(holds(&g, &at));
    at.camera_x = l->x + 2.0f; CHECK(holds(&g, &at));
    at.camera_y = l->y - 2.0f; CHECK(holds(&g, &at));
    at.camera_x = l->x + 3.0f;
    CHECK(!holds(&g, &at) && cost_of(&g, &at) == 1.0f); /* one cell back */
    /* 5 cells towards the room's centre: 3 cells of floor to walk */
    float room_x = l->x - (float)((int)(l->x / 16.0f) * 16);
    at.camera_x = l->x + (room_x < 8.0f ? 5.0f : -5.0f), at.camera_y = l->y;
    CHECK(cost_of(&g, &at) == 3.0f);
    at.camera_x = -1.0f; /* a detector without a camera estimate */
    CHECK(!holds(&g, &at) && cost_of(&g, &at) == PAN_TASK_ROOMS_COST_MISSING);
    pan_world_destroy(w);
}

/* ---- sampler --------------------------------------------------------------- */

/* The world's state as a client reads it: decoded from the reset latent. */
static void decode_latent(const char *world, const float *v, uint64_t seed,
                          pan_world_state *s) {
    memset(s, 0, sizeof *s);
    if (!strcmp(world, "tabletop")) {
        for (int p = 0; p < 18; p++) {
            if (v[4 * p] < 0.5f) continue;
            pan_object_state *o = &s->objects[s->n_objects++];
            *o = (pan_object_state){.colour = p / 3, .shape = p % 3,
                                    .x = v[4 * p + 1] * 64.0f,
                                    .y = v[4 * p + 2] * 64.0f,
                                    .size = v[4 * p + 3] * 8.0f, .visible = true};
        }
        s->brightness = v[72];
        return;
    }
    s->camera_x = v[0], s->camera_y = v[1];
    for (int h = 0; h < 4; h++)
        if (v[2 + h] > 0.5f) s->heading = h;
    s->n_objects = (int)v[6];
    for (int i = 0; i < s->n_objects; i++) {
        const float *o = v + 7 + 6 * i;
        s->objects[i] = (pan_object_state){.colour = (int)o[2], .shape = (int)o[3],
                                           .x = o[4], .y = o[5], .size = 1.5f,
                                           .visible = o[1] > 0.5f};
    }
    s->brightness = 1.0f;
    s->seed = seed;
}

static bool task_holds_quiet(const pan_goal *g, const pan_world_state *s) {
    pan_task_input in = {.state = s};
    float reward;
    bool ok = false;
    return pan_task_evaluate(g, &CFG, &in, &reward, &ok) == PAN_OK && ok;
}

typedef struct family_stats {
    int episodes, solved, within_budget, budget_sum, length_sum, kinds[8];
    double seconds;
} family_stats;

static void sample_family(const char *world, const char *spec, int seeds,
                          family_stats *st) {
    memset(st, 0, sizeof *st);
    pan_task *task = NULL;
    CHECK_STATUS(pan_task_create(world, spec, &task), PAN_OK);
    pan_world *w = NULL, *twin = NULL;
    CHECK_STATUS(pan_world_create(world, &CFG, &w), PAN_OK);
    CHECK_STATUS(pan_world_create(world, &CFG, &twin), PAN_OK);
    if (!task || !w || !twin) return;
    float latent[128];
    for (int seed = 0; seed < seeds; seed++) {
        pan_goal g, again;
        CHECK_STATUS(pan_world_reset(w, (uint64_t)seed, frames), PAN_OK);
        clock_t t0 = clock();
        CHECK_STATUS(pan_task_begin(task, w, (uint64_t)seed, &g), PAN_OK);
        st->seconds += (double)(clock() - t0) / CLOCKS_PER_SEC;
        pan_world_state s0, s1;
        CHECK_STATUS(pan_world_get_state(w, &s0), PAN_OK);
        /* deterministic */
        CHECK_STATUS(pan_world_reset(twin, (uint64_t)seed, frames), PAN_OK);
        CHECK_STATUS(pan_task_begin(task, twin, (uint64_t)seed, &again), PAN_OK);
        CHECK_STATUS(pan_world_get_state(twin, &s1), PAN_OK);
        CHECK(!memcmp(&g, &again, sizeof g) && !memcmp(&s0, &s1, sizeof s0));
        CHECK(s0.steps == 0);
        st->episodes++;
        st->kinds[g.kind]++;
        CHECK(!holds(&g, &s0)); /* never satisfied at the start */
        CHECK(g.budget >= PAN_TASK_BUDGET_MIN && g.budget <= PAN_TASK_BUDGET_MAX);
        st->budget_sum += g.budget;
        pan_goal parsed = parse(world, g.text);
        CHECK(parsed.kind == g.kind && !strcmp(parsed.text, g.text));
        /* the budget a client recomputes from the reset latent */
        pan_world_state_vector(w, &s0, latent);
        pan_world_state decoded;
        decode_latent(world, latent, (uint64_t)seed, &decoded);
        if (!strcmp(world, "rooms")) decoded.seed = s0.seed;
        CHECK_STATUS(pan_world_set_state(twin, &decoded), PAN_OK);
        int budget = 0;
        CHECK_STATUS(pan_task_budget(&parsed, twin, &budget), PAN_OK);
        CHECK(budget == g.budget);
        /* the reference plan, replayed through the real world */
        pan_task_plan plan;
        pan_status ps = pan_task_solve(&g, w, &plan);
        CHECK_STATUS(ps, PAN_OK);
        if (ps != PAN_OK) continue;
        CHECK(plan.length >= 1 && plan.length <= PAN_TASK_SOLVE_MAX);
        st->length_sum += plan.length;
        CHECK(pan_task_budget_of(plan.length) == g.budget);
        int used = 0;
        pan_world_state s = s0;
        for (int k = 0; k < plan.length && !task_holds_quiet(&g, &s); k++) {
            pan_action_result r;
            CHECK_STATUS(pan_world_step(w, plan.actions[k], frames, &r), PAN_OK);
            if (!r.understood)
                fprintf(stderr, "not understood: '%s': %s\n", plan.actions[k],
                        r.message);
            CHECK(r.understood && !strcmp(r.canonical, plan.actions[k]));
            CHECK_STATUS(pan_world_get_state(w, &s), PAN_OK);
            used++;
        }
        bool reached = task_holds_quiet(&g, &s);
        st->solved += reached;
        st->within_budget += reached && used <= g.budget;
        if (!reached)
            fprintf(stderr, "seed %d: '%s' not reached by its plan\n", seed,
                    g.text);
        /* the plan's final state is the world's */
        CHECK(s.camera_x == plan.final_state.camera_x &&
              s.camera_y == plan.final_state.camera_y);
        for (int i = 0; i < s.n_objects; i++)
            CHECK(s.objects[i].x == plan.final_state.objects[i].x &&
                  s.objects[i].y == plan.final_state.objects[i].y);
    }
    pan_world_destroy(w);
    pan_world_destroy(twin);
    pan_task_destroy(task);
}

static void test_sampler(int seeds) {
    static const struct { const char *world, *spec; } cases[] = {
        {"tabletop", "structured: random"}, {"tabletop", "structured: place"},
        {"tabletop", "structured: relation"}, {"tabletop", "structured: group"},
        {"tabletop", "structured: line"}, {"rooms", "structured: landmark"}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        family_stats st;
        sample_family(cases[k].world, cases[k].spec, seeds, &st);
        int n = st.episodes ? st.episodes : 1;
        printf("%-8s %-22s: reference plan reaches the goal within its budget "
               "in %d of %d; mean plan %.2f actions, mean budget %.2f; begin "
               "%.2f ms; families place %d relation %d group %d line %d "
               "landmark %d\n",
               cases[k].world, cases[k].spec, st.within_budget, st.episodes,
               (double)st.length_sum / n, (double)st.budget_sum / n,
               1e3 * st.seconds / n, st.kinds[PAN_TASK_PLACE],
               st.kinds[PAN_TASK_RELATION], st.kinds[PAN_TASK_GROUP],
               st.kinds[PAN_TASK_LINE], st.kinds[PAN_TASK_LANDMARK]);
        CHECK(st.episodes == seeds && st.within_budget == seeds);
    }
}

/* Env episodes: the plan's steps give reward 0 until the last, then 1 and
 * terminated; info.task parses back. */
static void test_env(const char *world, const char *spec, int episodes) {
    pan_env_config c = pan_env_config_default();
    c.world = world;
    c.num_envs = 1;
    c.autoreset_mode = PAN_AUTORESET_DISABLED;
    pan_vec_env *env = NULL;
    CHECK_STATUS(pan_vec_env_create(&c, &env), PAN_OK);
    if (!env) return;
    pan_world *w = NULL;
    CHECK_STATUS(pan_world_create(world, &CFG, &w), PAN_OK);
    static float latent[128];
    pan_obs_batch obs = {frames, latent};
    int ok = 0;
    for (int e = 0; e < episodes; e++) {
        uint64_t seed = 1000 + (uint64_t)e;
        pan_reset_options o = {.task = spec};
        pan_env_info info;
        CHECK_STATUS(pan_vec_env_reset(env, &seed, &o, &obs, &info), PAN_OK);
        pan_goal g = parse(world, info.task);
        pan_world_state s;
        CHECK_STATUS(pan_vec_env_true_state(env, 0, &s), PAN_OK);
        CHECK_STATUS(pan_world_set_state(w, &s), PAN_OK);
        CHECK(!info.success);
        pan_task_plan plan;
        CHECK_STATUS(pan_task_solve(&g, w, &plan), PAN_OK);
        bool done = false;
        for (int k = 0; k < plan.length && !done; k++) {
            const char *a[1] = {plan.actions[k]};
            float r;
            bool term, trunc;
            CHECK_STATUS(pan_vec_env_step(env, a, &obs, &r, &term, &trunc, &info,
                                          NULL, NULL, NULL), PAN_OK);
            done = term;
            CHECK(r == (term ? 1.0f : 0.0f) && info.success == term);
            if (term) ok += k == plan.length - 1;
        }
    }
    printf("env %s '%s': %d of %d episodes end with reward 1 on the plan's "
           "last step\n", world, spec, ok, episodes);
    CHECK(ok == episodes);
    pan_world_destroy(w);
    pan_vec_env_destroy(env);
}

/* Fixed goals: missing objects are added, a goal met at the start undone. */
static void test_fixed_goals(void) {
    static const char *const specs[] = {
        "the purple triangle is above the orange square",
        "all the yellow objects are together",
        "the red square, the green circle and the blue triangle are in a "
        "column"};
    for (size_t k = 0; k < 3; k++) {
        pan_task *t = NULL;
        CHECK_STATUS(pan_task_create("tabletop", specs[k], &t), PAN_OK);
        pan_world *w = NULL;
        CHECK_STATUS(pan_world_create("tabletop", &CFG, &w), PAN_OK);
        if (!t || !w) continue;
        for (int seed = 0; seed < 20; seed++) {
            CHECK_STATUS(pan_world_reset(w, (uint64_t)seed, frames), PAN_OK);
            pan_goal g;
            CHECK_STATUS(pan_task_begin(t, w, (uint64_t)seed, &g), PAN_OK);
            CHECK(!strcmp(g.text, specs[k]));
            pan_world_state s;
            CHECK_STATUS(pan_world_get_state(w, &s), PAN_OK);
            CHECK(!task_holds_quiet(&g, &s));
            CHECK(g.budget >= 5 && g.budget <= 10);
        }
        pan_world_destroy(w);
        pan_task_destroy(t);
    }
    /* a goal met at the start is undone: build one and begin on it */
    pan_task *t = NULL;
    CHECK_STATUS(pan_task_create("tabletop", "the red circle is to the left "
                                 "of the green triangle", &t), PAN_OK);
    pan_world *w = NULL;
    CHECK_STATUS(pan_world_create("tabletop", &CFG, &w), PAN_OK);
    CHECK_STATUS(pan_world_reset(w, 1, frames), PAN_OK);
    pan_object_state o[2] = {obj(0, 1, 27.0f, 32.0f), obj(1, 2, 40.0f, 32.0f)};
    pan_world_state met = table(2, o);
    CHECK_STATUS(pan_world_set_state(w, &met), PAN_OK);
    pan_goal g;
    CHECK_STATUS(pan_task_begin(t, w, 1, &g), PAN_OK);
    pan_world_state s;
    CHECK_STATUS(pan_world_get_state(w, &s), PAN_OK);
    CHECK(!task_holds_quiet(&g, &s) && s.steps == 0);
    pan_world_destroy(w);
    pan_task_destroy(t);
}

/* "latent: structured: ..." begins like the family; its goal image's state
 * satisfies the family's predicate. */
static void test_goal_latent(void) {
    pan_task *t = NULL;
    CHECK_STATUS(pan_task_create("tabletop", "latent: structured: random", &t),
                 PAN_OK);
    CHECK(pan_task_needs_goal_latent(t));
    pan_world *w = NULL;
    CHECK_STATUS(pan_world_create("tabletop", &CFG, &w), PAN_OK);
    if (!t || !w) return;
    for (int seed = 0; seed < 20; seed++) {
        CHECK_STATUS(pan_world_reset(w, (uint64_t)seed, frames), PAN_OK);
        pan_goal g;
        CHECK_STATUS(pan_task_begin(t, w, (uint64_t)seed, &g), PAN_OK);
        CHECK(g.kind == PAN_TASK_GOAL_LATENT && !strncmp(g.text, "latent: ", 8));
        pan_goal base = parse("tabletop", g.text + 8);
        CHECK(base.kind == (g.family ? g.family : PAN_TASK_PLACE));
        pan_world_state target;
        CHECK_STATUS(pan_task_goal_state(&g, w, &target), PAN_OK);
        CHECK(task_holds_quiet(&base, &target));
        pan_goal again = parse("tabletop", g.text);
        CHECK(again.kind == PAN_TASK_GOAL_LATENT && again.family == g.family);
    }
    pan_world_destroy(w);
    pan_task_destroy(t);
}

int main(int argc, char **argv) {
    int seeds = argc > 1 ? atoi(argv[1]) : 150;
    test_texts();
    test_relation_boundaries();
    test_group_line_boundaries();
    test_cost_exact();
    test_landmark_boundaries();
    test_sampler(seeds);
    test_env("tabletop", "structured: random", 40);
    test_env("rooms", "structured: landmark", 20);
    test_fixed_goals();
    test_goal_latent();
    return test_exit_code("test_task_families");
}
