/* tests/env/test_task.c: tasks and rewards (env/task.h): the goal parsing
 * table, canonical text round trips, the success rule at its tolerance,
 * place targets, and begin's edits (absent object added, goal already met
 * moved away, random goals, full table), all deterministic and leaving the
 * world's RNG and step counter as the contract says. */
#include <stdio.h>
#include <string.h>

#include "env/task.h"
#include "env/world.h"
#include "tests/test_util.h"

typedef struct parse_case {
    const char *text;
    int colour, shape, place;
    const char *canonical;
} parse_case;

static const parse_case goals[] = {
    {"put the red circle in the top left corner", PAN_COLOUR_RED,
     PAN_SHAPE_CIRCLE, PAN_PLACE_TOP_LEFT,
     "put the red circle in the top left corner"},
    {"Please move the blue square to the bottom right corner.", PAN_COLOUR_BLUE,
     PAN_SHAPE_SQUARE, PAN_PLACE_BOTTOM_RIGHT,
     "put the blue square in the bottom right corner"},
    {"the green triangle should go to the top edge", PAN_COLOUR_GREEN,
     PAN_SHAPE_TRIANGLE, PAN_PLACE_TOP,
     "put the green triangle in the top edge"},
    {"purple circle to the bottom left", PAN_COLOUR_PURPLE, PAN_SHAPE_CIRCLE,
     PAN_PLACE_BOTTOM_LEFT, "put the purple circle in the bottom left corner"},
    {"place the orange box at the centre of the table", PAN_COLOUR_ORANGE,
     PAN_SHAPE_SQUARE, PAN_PLACE_CENTRE, "put the orange square in the centre"},
    {"put the yellow ball on the left side", PAN_COLOUR_YELLOW,
     PAN_SHAPE_CIRCLE, PAN_PLACE_LEFT,
     "put the yellow circle in the left edge"},
    {"move the red circle into the middle", PAN_COLOUR_RED, PAN_SHAPE_CIRCLE,
     PAN_PLACE_CENTRE, "put the red circle in the centre"},
    {"put the violet triangle at the bottom", PAN_COLOUR_PURPLE,
     PAN_SHAPE_TRIANGLE, PAN_PLACE_BOTTOM,
     "put the purple triangle in the bottom edge"},
    {"move the green square to the right wall", PAN_COLOUR_GREEN,
     PAN_SHAPE_SQUARE, PAN_PLACE_RIGHT,
     "put the green square in the right edge"},
    {"red circle should be in the upper right corner", PAN_COLOUR_RED,
     PAN_SHAPE_CIRCLE, PAN_PLACE_TOP_RIGHT,
     "put the red circle in the top right corner"},
};

static const char *const not_goals[] = {
    "move red circle left",                    /* a direction move */
    "put the red one in the top left corner",  /* three red objects fit */
    "put the circle in the centre",            /* six circles fit */
    "add a red circle at the top left corner", /* an appear action */
    "turn off the lights",
    "put the red circle next to the blue square", /* a relation */
    "sing a song",
    "put the red circle",
};

static void test_parse(void) {
    for (size_t k = 0; k < sizeof goals / sizeof goals[0]; k++) {
        const parse_case *c = &goals[k];
        pan_task *task = NULL;
        CHECK_STATUS(pan_task_create("tabletop", c->text, &task), PAN_OK);
        if (!task) continue;
        CHECK(strcmp(pan_task_spec(task), c->canonical) == 0);
        pan_task_destroy(task);
        pan_goal goal;
        memset(&goal, 0, sizeof goal);
        CHECK_STATUS(pan_task_parse_goal("tabletop", c->text, &goal), PAN_OK);
        CHECK(goal.kind == PAN_TASK_PLACE);
        CHECK(goal.colour == c->colour && goal.shape == c->shape);
        CHECK(goal.place == c->place);
        if (strcmp(goal.text, c->canonical) != 0)
            fprintf(stderr, "'%s' -> '%s', expected '%s'\n", c->text, goal.text,
                    c->canonical);
        CHECK(strcmp(goal.text, c->canonical) == 0);
    }
    /* every canonical goal parses back to itself */
    static const char *const colours[] = {"red",    "green",  "blue",
                                          "yellow", "purple", "orange"};
    static const char *const shapes[] = {"square", "circle", "triangle"};
    static const char *const places[] = {
        "top left corner",     "top right corner", "bottom left corner",
        "bottom right corner", "top edge",         "bottom edge",
        "left edge",           "right edge",       "centre"};
    int round_trips = 0;
    for (int c = 0; c < 6; c++)
        for (int s = 0; s < 3; s++)
            for (int p = 0; p < PAN_PLACE_COUNT; p++) {
                char text[128];
                snprintf(text, sizeof text, "put the %s %s in the %s",
                         colours[c], shapes[s], places[p]);
                pan_goal goal;
                if (pan_task_parse_goal("tabletop", text, &goal) != PAN_OK) {
                    fprintf(stderr, "'%s': %s\n", text, pan_error_message());
                    continue;
                }
                round_trips += goal.colour == c && goal.shape == s &&
                               goal.place == p && strcmp(goal.text, text) == 0;
            }
    CHECK(round_trips == 6 * 3 * PAN_PLACE_COUNT);

    /* none and random, in any casing and spacing */
    const char *nones[] = {NULL, "", "none", " None ", "NONE"};
    for (size_t k = 0; k < 5; k++) {
        pan_task *task = NULL;
        CHECK_STATUS(pan_task_create("tabletop", nones[k], &task), PAN_OK);
        CHECK(task && strcmp(pan_task_spec(task), "none") == 0);
        pan_task_destroy(task);
        CHECK_STATUS(pan_task_create("rooms", nones[k], &task), PAN_OK);
        CHECK(task && strcmp(pan_task_spec(task), "none") == 0);
        pan_task_destroy(task);
    }
    pan_task *task = NULL;
    CHECK_STATUS(pan_task_create("tabletop", "Random", &task), PAN_OK);
    CHECK(task && strcmp(pan_task_spec(task), "random") == 0);
    pan_task_destroy(task);

    /* not goals: INVALID_ARGUMENT saying what is accepted; out untouched */
    for (size_t k = 0; k < sizeof not_goals / sizeof not_goals[0]; k++) {
        pan_task *sentinel = (pan_task *)&task;
        pan_task *out = sentinel;
        pan_error_clear();
        CHECK_STATUS(pan_task_create("tabletop", not_goals[k], &out),
                     PAN_ERR_INVALID_ARGUMENT);
        CHECK(out == sentinel);
        CHECK(strstr(pan_error_message(), "top left corner") != NULL);
        CHECK(strstr(pan_error_message(), "random") != NULL);
        pan_goal goal = {.kind = 77};
        CHECK_STATUS(pan_task_parse_goal("tabletop", not_goals[k], &goal),
                     PAN_ERR_INVALID_ARGUMENT);
        CHECK(goal.kind == 77);
    }
    pan_task *out = NULL;
    CHECK_STATUS(pan_task_create("tabletop", "move red circle left", &out),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "not a place goal") != NULL);
    CHECK_STATUS(
        pan_task_create("tabletop", "put the red one in the centre", &out),
        PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "colour and shape") != NULL);
    CHECK_STATUS(pan_task_create("rooms", "random", &out),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "rooms has no tasks yet") != NULL);
    CHECK_STATUS(
        pan_task_create("rooms", "put the red circle in the centre", &out),
        PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_task_create("castle", "none", &out), PAN_ERR_NOT_FOUND);
    CHECK_STATUS(pan_task_create(NULL, "none", &out), PAN_ERR_NOT_FOUND);
    CHECK_STATUS(pan_task_create("tabletop", "none", NULL),
                 PAN_ERR_INVALID_ARGUMENT);
    char long_text[400];
    memset(long_text, 'a', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    CHECK_STATUS(pan_task_create("tabletop", long_text, &out),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(out == NULL);
}

/* ---- success rule and targets
 * ------------------------------------------------ */

static pan_world_state one_object(int colour, int shape, float x, float y) {
    pan_world_state s;
    memset(&s, 0, sizeof s);
    s.n_objects = 1;
    s.brightness = 1.0f;
    s.objects[0] = (pan_object_state){.colour = colour,
                                      .shape = shape,
                                      .x = x,
                                      .y = y,
                                      .size = 6.0f,
                                      .visible = true};
    return s;
}

static bool holds(const pan_goal *goal, float x, float y) {
    pan_world_config config = pan_world_config_default();
    pan_world_state s = one_object(goal->colour, goal->shape, x, y);
    pan_task_input in = {.state = &s};
    float reward = -1.0f;
    bool success = true;
    CHECK_STATUS(pan_task_evaluate(goal, &config, &in, &reward, &success),
                 PAN_OK);
    CHECK(reward == (success ? 1.0f : 0.0f));
    return success;
}

static void test_evaluate(void) {
    /* 64x64: rim 2, table interior [2, 62), size 6: a corner centre is 8 */
    pan_goal goal = {.kind = PAN_TASK_PLACE,
                     .colour = PAN_COLOUR_RED,
                     .shape = PAN_SHAPE_CIRCLE,
                     .place = PAN_PLACE_TOP_LEFT};
    CHECK(holds(&goal, 8.0f, 8.0f));
    CHECK(holds(&goal, 9.5f, 9.5f));   /* 1.5 px from both walls */
    CHECK(!holds(&goal, 9.75f, 8.0f)); /* 1.75 px from the left wall */
    CHECK(!holds(&goal, 8.0f, 9.75f));
    CHECK(!holds(&goal, 56.0f, 8.0f)); /* top right */
    goal.place = PAN_PLACE_BOTTOM_RIGHT;
    CHECK(holds(&goal, 56.0f, 56.0f) && holds(&goal, 54.5f, 54.5f));
    CHECK(!holds(&goal, 54.0f, 56.0f));
    goal.place = PAN_PLACE_TOP;
    CHECK(holds(&goal, 30.0f, 8.0f) && holds(&goal, 56.0f, 9.0f));
    CHECK(!holds(&goal, 30.0f, 10.0f));
    goal.place = PAN_PLACE_BOTTOM;
    CHECK(holds(&goal, 20.0f, 56.0f) && !holds(&goal, 20.0f, 8.0f));
    goal.place = PAN_PLACE_LEFT;
    CHECK(holds(&goal, 8.0f, 40.0f) && !holds(&goal, 56.0f, 40.0f));
    goal.place = PAN_PLACE_RIGHT;
    CHECK(holds(&goal, 56.0f, 40.0f) && !holds(&goal, 54.0f, 40.0f));
    goal.place = PAN_PLACE_CENTRE;
    CHECK(holds(&goal, 32.0f, 32.0f));
    CHECK(holds(&goal, 33.0f, 33.0f));  /* 1.41 px away */
    CHECK(!holds(&goal, 33.2f, 33.0f)); /* 1.56 px away */
    CHECK(!holds(&goal, 32.0f, 33.75f));

    /* another object at the place does not count; hidden objects neither */
    pan_world_config config = pan_world_config_default();
    goal.place = PAN_PLACE_TOP_LEFT;
    pan_world_state s = one_object(PAN_COLOUR_RED, PAN_SHAPE_SQUARE, 8, 8);
    pan_task_input in = {.state = &s};
    float reward;
    bool success;
    CHECK_STATUS(pan_task_evaluate(&goal, &config, &in, &reward, &success),
                 PAN_OK);
    CHECK(!success && reward == 0.0f);
    s = one_object(PAN_COLOUR_RED, PAN_SHAPE_CIRCLE, 8, 8);
    s.objects[0].visible = false;
    CHECK_STATUS(pan_task_evaluate(&goal, &config, &in, &reward, &success),
                 PAN_OK);
    CHECK(!success);
    /* the geometry follows the config: at 128x128 the corner is at 4 + 12 */
    pan_world_config big = {.width = 128, .height = 128, .frames_per_step = 4};
    s = one_object(PAN_COLOUR_RED, PAN_SHAPE_CIRCLE, 16, 16);
    s.objects[0].size = 12.0f;
    CHECK_STATUS(pan_task_evaluate(&goal, &big, &in, &reward, &success),
                 PAN_OK);
    CHECK(success);
    CHECK_STATUS(pan_task_evaluate(&goal, &config, &in, &reward, &success),
                 PAN_OK);
    CHECK(!success);

    /* none */
    pan_goal none = {.kind = PAN_TASK_NONE};
    reward = 5.0f;
    success = true;
    CHECK_STATUS(pan_task_evaluate(&none, NULL, NULL, &reward, &success),
                 PAN_OK);
    CHECK(reward == 0.0f && !success);

    /* errors leave the outputs alone */
    pan_goal bad = goal;
    bad.colour = 9;
    reward = 5.0f;
    CHECK_STATUS(pan_task_evaluate(&bad, &config, &in, &reward, &success),
                 PAN_ERR_INVALID_ARGUMENT);
    bad = goal;
    bad.place = PAN_PLACE_COUNT;
    CHECK_STATUS(pan_task_evaluate(&bad, &config, &in, &reward, &success),
                 PAN_ERR_INVALID_ARGUMENT);
    bad.kind = 42;
    CHECK_STATUS(pan_task_evaluate(&bad, &config, &in, &reward, &success),
                 PAN_ERR_INVALID_ARGUMENT);
    pan_task_input empty = {.state = NULL};
    CHECK_STATUS(pan_task_evaluate(&goal, &config, &empty, &reward, &success),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(reward == 5.0f);

    /* targets */
    pan_object_state o = {.colour = PAN_COLOUR_RED,
                          .shape = PAN_SHAPE_CIRCLE,
                          .x = 20.0f,
                          .y = 40.0f,
                          .size = 6.0f,
                          .visible = true};
    const struct {
        int place;
        float x, y;
    } targets[] = {
        {PAN_PLACE_TOP_LEFT, 8, 8},     {PAN_PLACE_TOP_RIGHT, 56, 8},
        {PAN_PLACE_BOTTOM_LEFT, 8, 56}, {PAN_PLACE_BOTTOM_RIGHT, 56, 56},
        {PAN_PLACE_TOP, 20, 8},         {PAN_PLACE_BOTTOM, 20, 56},
        {PAN_PLACE_LEFT, 8, 40},        {PAN_PLACE_RIGHT, 56, 40},
        {PAN_PLACE_CENTRE, 32, 32}};
    for (int k = 0; k < PAN_PLACE_COUNT; k++) {
        goal.place = targets[k].place;
        float x = -1, y = -1;
        CHECK_STATUS(pan_task_place_target(&goal, &config, &o, &x, &y), PAN_OK);
        CHECK(x == targets[k].x && y == targets[k].y);
        CHECK(holds(&goal, x, y));
    }
    CHECK_STATUS(pan_task_place_target(&none, &config, &o, &reward, &reward),
                 PAN_ERR_INVALID_ARGUMENT);
}

/* ---- begin
 * -------------------------------------------------------------------- */

static int find(const pan_world_state *s, int colour, int shape) {
    for (int i = 0; i < s->n_objects; i++)
        if (s->objects[i].visible && s->objects[i].colour == colour &&
            s->objects[i].shape == shape)
            return i;
    return -1;
}

static bool goal_holds(const pan_goal *goal, const pan_world_state *s) {
    pan_world_config config = pan_world_config_default();
    pan_task_input in = {.state = s};
    float reward;
    bool success = false;
    CHECK_STATUS(pan_task_evaluate(goal, &config, &in, &reward, &success),
                 PAN_OK);
    return success;
}

static void test_begin(void) {
    pan_world *world = NULL, *twin = NULL;
    CHECK_STATUS(pan_world_create("tabletop", NULL, &world), PAN_OK);
    CHECK_STATUS(pan_world_create("tabletop", NULL, &twin), PAN_OK);
    if (!world || !twin) return;
    uint8_t frame[64 * 64 * 3];
    pan_task *fixed = NULL, *random = NULL, *none = NULL;
    CHECK_STATUS(pan_task_create("tabletop",
                                 "put the red circle in the top left corner",
                                 &fixed),
                 PAN_OK);
    CHECK_STATUS(pan_task_create("tabletop", "random", &random), PAN_OK);
    CHECK_STATUS(pan_task_create("tabletop", "none", &none), PAN_OK);
    pan_goal goal;

    /* before any reset: FAILED_PRECONDITION */
    CHECK_STATUS(pan_task_begin(fixed, world, 1, &goal),
                 PAN_ERR_FAILED_PRECONDITION);

    /* absent object: added, not at its goal, other objects untouched,
     * steps 0 and the world's RNG as after the reset */
    int added = 0;
    for (uint64_t seed = 0; seed < 40; seed++) {
        pan_world_state before, after;
        CHECK_STATUS(pan_world_reset(world, seed, frame), PAN_OK);
        CHECK_STATUS(pan_world_get_state(world, &before), PAN_OK);
        bool absent = find(&before, PAN_COLOUR_RED, PAN_SHAPE_CIRCLE) < 0;
        CHECK_STATUS(pan_task_begin(fixed, world, seed, &goal), PAN_OK);
        CHECK_STATUS(pan_world_get_state(world, &after), PAN_OK);
        CHECK(goal.kind == PAN_TASK_PLACE && goal.place == PAN_PLACE_TOP_LEFT);
        CHECK(strcmp(goal.text, "put the red circle in the top left corner") ==
              0);
        CHECK(find(&after, PAN_COLOUR_RED, PAN_SHAPE_CIRCLE) >= 0);
        CHECK(!goal_holds(&goal, &after));
        CHECK(after.steps == 0 && after.rng == before.rng);
        for (int i = 0; i < before.n_objects; i++) {
            const pan_object_state *o = &before.objects[i];
            if (o->colour == PAN_COLOUR_RED && o->shape == PAN_SHAPE_CIRCLE)
                continue;
            CHECK(memcmp(o, &after.objects[i], sizeof *o) == 0);
        }
        added += absent;
        /* the same seed on another world gives the same bytes */
        CHECK_STATUS(pan_world_reset(twin, seed, frame), PAN_OK);
        pan_goal goal2;
        CHECK_STATUS(pan_task_begin(fixed, twin, seed, &goal2), PAN_OK);
        pan_world_state twin_state;
        CHECK_STATUS(pan_world_get_state(twin, &twin_state), PAN_OK);
        CHECK(memcmp(&after, &twin_state, sizeof after) == 0);
        CHECK(memcmp(&goal, &goal2, sizeof goal) == 0);
    }
    CHECK(added > 20); /* most tables have no red circle */

    /* already at the goal: moved away */
    pan_world_state s;
    CHECK_STATUS(pan_world_reset(world, 3, frame), PAN_OK);
    memset(&s, 0, sizeof s);
    s.n_objects = 2;
    s.brightness = 1.0f;
    s.seed = 3;
    s.rng = 12345;
    s.objects[0] =
        (pan_object_state){PAN_COLOUR_RED, PAN_SHAPE_CIRCLE, 8, 8, 6, true};
    s.objects[1] =
        (pan_object_state){PAN_COLOUR_BLUE, PAN_SHAPE_SQUARE, 40, 40, 6, true};
    CHECK_STATUS(pan_world_set_state(world, &s), PAN_OK);
    pan_goal at = {.kind = PAN_TASK_PLACE,
                   .colour = PAN_COLOUR_RED,
                   .shape = PAN_SHAPE_CIRCLE,
                   .place = PAN_PLACE_TOP_LEFT};
    CHECK(goal_holds(&at, &s)); /* met before begin */
    CHECK_STATUS(pan_task_begin(fixed, world, 3, &goal), PAN_OK);
    pan_world_state moved;
    CHECK_STATUS(pan_world_get_state(world, &moved), PAN_OK);
    CHECK(!goal_holds(&goal, &moved));
    CHECK(find(&moved, PAN_COLOUR_RED, PAN_SHAPE_CIRCLE) == 0);
    CHECK(moved.rng == 12345 && moved.steps == 0);
    CHECK(memcmp(&moved.objects[1], &s.objects[1], sizeof s.objects[1]) == 0);

    /* random goals: a visible object, a place, not met; seeded */
    int places[PAN_PLACE_COUNT] = {0};
    for (uint64_t seed = 100; seed < 160; seed++) {
        pan_world_state before, after;
        CHECK_STATUS(pan_world_reset(world, seed, frame), PAN_OK);
        CHECK_STATUS(pan_world_get_state(world, &before), PAN_OK);
        CHECK_STATUS(pan_task_begin(random, world, seed, &goal), PAN_OK);
        CHECK_STATUS(pan_world_get_state(world, &after), PAN_OK);
        CHECK(goal.kind == PAN_TASK_PLACE);
        CHECK(find(&before, goal.colour, goal.shape) >= 0);
        CHECK(!goal_holds(&goal, &after));
        CHECK(after.rng == before.rng && after.steps == 0);
        pan_goal parsed;
        CHECK_STATUS(pan_task_parse_goal("tabletop", goal.text, &parsed),
                     PAN_OK);
        CHECK(memcmp(&parsed, &goal, sizeof goal) == 0);
        if (goal.place >= 0 && goal.place < PAN_PLACE_COUNT)
            places[goal.place]++;
        CHECK_STATUS(pan_world_reset(twin, seed, frame), PAN_OK);
        pan_goal again;
        CHECK_STATUS(pan_task_begin(random, twin, seed, &again), PAN_OK);
        CHECK(memcmp(&again, &goal, sizeof goal) == 0);
    }
    for (int p = 0; p < PAN_PLACE_COUNT; p++)
        CHECK(places[p] > 0);

    /* none: goal NONE, the world untouched */
    pan_world_state before, after;
    CHECK_STATUS(pan_world_reset(world, 7, frame), PAN_OK);
    CHECK_STATUS(pan_world_get_state(world, &before), PAN_OK);
    CHECK_STATUS(pan_task_begin(none, world, 7, &goal), PAN_OK);
    CHECK_STATUS(pan_world_get_state(world, &after), PAN_OK);
    CHECK(goal.kind == PAN_TASK_NONE && goal.text[0] == '\0');
    CHECK(memcmp(&before, &after, sizeof before) == 0);

    /* a full table (16 objects, no red circle): still placed, state valid */
    memset(&s, 0, sizeof s);
    s.brightness = 1.0f;
    int pair = 0;
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++) {
            if (pair == PAN_COLOUR_RED * 3 + PAN_SHAPE_CIRCLE) pair++;
            s.objects[s.n_objects++] =
                (pan_object_state){pair / 3,
                                   pair % 3,
                                   8.0f + 13.0f * (float)c,
                                   8.0f + 13.0f * (float)r,
                                   6.0f,
                                   true};
            pair++;
        }
    CHECK_STATUS(pan_world_set_state(world, &s), PAN_OK);
    pan_task *centre = NULL;
    CHECK_STATUS(pan_task_create("tabletop", "put the red circle in the centre",
                                 &centre),
                 PAN_OK);
    CHECK_STATUS(pan_task_begin(centre, world, 1, &goal), PAN_OK);
    CHECK_STATUS(pan_world_get_state(world, &after), PAN_OK);
    CHECK(find(&after, PAN_COLOUR_RED, PAN_SHAPE_CIRCLE) >= 0);
    CHECK(!goal_holds(&goal, &after));
    CHECK_STATUS(pan_world_set_state(twin, &after), PAN_OK); /* valid */

    /* a tabletop task on a rooms world */
    pan_world *rooms = NULL;
    CHECK_STATUS(pan_world_create("rooms", NULL, &rooms), PAN_OK);
    if (rooms) {
        CHECK_STATUS(pan_world_reset(rooms, 1, frame), PAN_OK);
        CHECK_STATUS(pan_task_begin(fixed, rooms, 1, &goal),
                     PAN_ERR_INVALID_ARGUMENT);
        pan_task *rooms_none = NULL;
        CHECK_STATUS(pan_task_create("rooms", NULL, &rooms_none), PAN_OK);
        CHECK_STATUS(pan_task_begin(rooms_none, rooms, 1, &goal), PAN_OK);
        CHECK(goal.kind == PAN_TASK_NONE);
        pan_task_destroy(rooms_none);
        pan_world_destroy(rooms);
    }
    CHECK_STATUS(pan_task_begin(NULL, world, 1, &goal),
                 PAN_ERR_INVALID_ARGUMENT);

    pan_task_destroy(centre);
    pan_task_destroy(fixed);
    pan_task_destroy(random);
    pan_task_destroy(none);
    pan_world_destroy(world);
    pan_world_destroy(twin);
}

/* The goal-latent task: spec and goal text, begin, the goal image's state,
 * and the latent distance score. */
static void test_goal_latent(void) {
    pan_task *t = NULL;
    CHECK_STATUS(pan_task_create("tabletop", "Latent:  put the red circle in "
                                 "the top left corner", &t), PAN_OK);
    CHECK(t && !strcmp(pan_task_spec(t), "latent: put the red circle in the "
                       "top left corner"));
    CHECK(pan_task_needs_goal_latent(t));
    CHECK_STATUS(pan_task_create("tabletop", "latent: none", &t), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_task_create("rooms", "latent: random", &t), PAN_ERR_INVALID_ARGUMENT);
    pan_task *place = NULL;
    CHECK_STATUS(pan_task_create("tabletop", "random", &place), PAN_OK);
    CHECK(!pan_task_needs_goal_latent(place));
    pan_goal parsed;
    CHECK_STATUS(pan_task_parse_goal("tabletop", "latent: put the red circle "
                                     "in the top left corner", &parsed), PAN_OK);
    CHECK(parsed.kind == PAN_TASK_GOAL_LATENT && parsed.colour == PAN_COLOUR_RED);
    pan_world *w = NULL;
    pan_world_config cfg = pan_world_config_default();
    CHECK_STATUS(pan_world_create("tabletop", &cfg, &w), PAN_OK);
    static uint8_t frame[64 * 64 * 3];
    CHECK_STATUS(pan_world_reset(w, 4, frame), PAN_OK);
    pan_goal goal = {0};
    CHECK_STATUS(pan_task_begin(t, w, 4, &goal), PAN_OK);
    CHECK(goal.kind == PAN_TASK_GOAL_LATENT);
    CHECK(!strcmp(goal.text, "latent: put the red circle in the top left corner"));
    pan_world_state now, target;
    CHECK_STATUS(pan_world_get_state(w, &now), PAN_OK);
    CHECK_STATUS(pan_task_goal_state(&goal, w, &target), PAN_OK);
    pan_goal as_place = goal;
    as_place.kind = PAN_TASK_PLACE;
    pan_task_input in = {.state = &target};
    float reward = 0;
    bool ok = false;
    CHECK_STATUS(pan_task_evaluate(&as_place, &cfg, &in, &reward, &ok), PAN_OK);
    CHECK(ok); /* the goal image shows the goal met */
    in.state = &now;
    CHECK_STATUS(pan_task_evaluate(&as_place, &cfg, &in, &reward, &ok), PAN_OK);
    CHECK(!ok);
    /* scores: -|l - g|^2 / |g|^2, success within the tolerance */
    float g[4] = {1, 2, 3, 4}, l[4] = {1, 2, 3, 4};
    pan_task_input li = {.latent = l, .latent_size = 4};
    CHECK_STATUS(pan_task_evaluate(&goal, &cfg, &li, &reward, &ok),
                 PAN_ERR_FAILED_PRECONDITION);
    li.goal_latent = g;
    CHECK_STATUS(pan_task_evaluate(&goal, &cfg, &li, &reward, &ok), PAN_OK);
    CHECK(reward == 0.0f && ok);
    l[3] = 4 + 1.2f; /* d = 1.44 / 30 = 0.048 */
    CHECK_STATUS(pan_task_evaluate(&goal, &cfg, &li, &reward, &ok), PAN_OK);
    CHECK(ok && reward < -0.047f && reward > -0.049f);
    l[3] = 4 + 1.3f; /* d = 1.69 / 30 = 0.056 */
    CHECK_STATUS(pan_task_evaluate(&goal, &cfg, &li, &reward, &ok), PAN_OK);
    CHECK(!ok);
    pan_goal none_goal = {.kind = PAN_TASK_NONE};
    CHECK_STATUS(pan_task_goal_state(&none_goal, w, &target), PAN_ERR_INVALID_ARGUMENT);
    pan_world_destroy(w);
    pan_task_destroy(t);
    pan_task_destroy(place);
}

int main(void) {
    test_parse();
    test_evaluate();
    test_begin();
    test_goal_latent();
    return test_exit_code("test_task");
}
