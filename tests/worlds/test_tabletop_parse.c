/* tests/worlds/test_tabletop_parse.c: the tabletop paraphrase table (every
 * template, held-out ones included, to its expected action), references,
 * not-understood text, canonical forms that parse back to themselves, and
 * every pattern of every template generated and parsed back (label
 * "unit"). */
#include <stdio.h>
#include <string.h>

#include "tests/worlds/test_tabletop_util.h"

/* Seven objects; "red", "circle", "square" and "triangle" alone are
 * ambiguous, "green", "blue", "yellow", "purple", "orange" are not. */
static pan_world_state base_state(void) {
    pan_world_state s = tt_test_empty();
    tt_test_put(&s, PAN_COLOUR_RED, PAN_SHAPE_CIRCLE, 14, 14, 6);
    tt_test_put(&s, PAN_COLOUR_YELLOW, PAN_SHAPE_SQUARE, 32, 14, 6);
    tt_test_put(&s, PAN_COLOUR_GREEN, PAN_SHAPE_TRIANGLE, 50, 14, 6);
    tt_test_put(&s, PAN_COLOUR_RED, PAN_SHAPE_SQUARE, 14, 32, 6);
    tt_test_put(&s, PAN_COLOUR_ORANGE, PAN_SHAPE_CIRCLE, 32, 32, 6);
    tt_test_put(&s, PAN_COLOUR_BLUE, PAN_SHAPE_SQUARE, 14, 50, 6);
    tt_test_put(&s, PAN_COLOUR_PURPLE, PAN_SHAPE_TRIANGLE, 50, 50, 6);
    return s;
}

typedef struct row {
    const char *text;
    int template_id; /* -1: not understood */
    const char *expect; /* canonical, or a piece of the message */
    int heldout;
} row;

static const row rows[] = {
    /* 0: verb object direction */
    {"move the green triangle left", 0, "move green triangle left 2", 0},
    {"Push the blue square up.", 0, "move blue square up 2", 0},
    {"nudge the orange circle right", 0, "move orange circle right 1", 0},
    {"drag the yellow one down", 0, "move yellow square down 2", 0},
    {"PLEASE SLIDE THE BLUE SQUARE TO THE LEFT!!", 0, "move blue square left 2", 0},
    {"could you shift the green triangle upwards?", 0, "move green triangle up 2", 0},
    {"Scoot that purple object towards the right", 0, "move purple triangle right 2", 0},
    {"pull the blue box downward", 0, "move blue square down 2", 0},
    {"move the purple triangle left", 0, "move purple triangle left 2", 1},
    {"push the orange circle up", 0, "move orange circle up 2", 1},
    {"push the red square up", 0, "move red square up 2", 1},
    {"push the red square down", 0, "move red square down 2", 0},
    /* 1: ... by N */
    {"move the red circle left by 3", 1, "move red circle left 3", 0},
    {"slide the green triangle down by three cells", 1, "move green triangle down 3", 0},
    {"push the blue square to the right by 2 spaces please", 1, "move blue square right 2", 0},
    {"move red circle left 3", 1, "move red circle left 3", 0},
    {"Move the Red Circle Right, by Twenty squares", 1, "move red circle right 20", 0},
    {"i want you to move the orange ball rightwards by 1 step", 1, "move orange circle right 1", 0},
    /* 2: ... N units direction */
    {"move the orange circle 4 cells right", 2, "move orange circle right 4", 0},
    {"shift the yellow square two steps down", 2, "move yellow square down 2", 0},
    {"move the blue one 1 square up", 2, "move blue square up 1", 0},
    {"slide the green triangle 5 to the left", 2, "move green triangle left 5", 0},
    /* 3 (held out): direction first */
    {"left, move the red circle", 3, "move red circle left 2", 1},
    {"To the right by 3, push the yellow square", 3, "move yellow square right 3", 1},
    {"down two cells: nudge the green triangle", 3, "move green triangle down 2", 1},
    /* 4: should go */
    {"the red circle should go left", 4, "move red circle left 2", 0},
    {"The blue square must move up by 2 cells.", 4, "move blue square up 2", 0},
    {"the green triangle needs to go down", 4, "move green triangle down 2", 0},
    {"the orange one has to move right by four", 4, "move orange circle right 4", 0},
    {"the yellow square could go to the left", 4, "move yellow square left 2", 0},
    /* 5: make ... go */
    {"make the red circle go left", 5, "move red circle left 2", 0},
    {"let the yellow square slide right by 1", 5, "move yellow square right 1", 0},
    {"have the purple triangle move up", 5, "move purple triangle up 2", 0},
    {"Let's make the blue square go down 3 cells", 5, "move blue square down 3", 0},
    /* 6: a bit */
    {"nudge the red circle a bit left", 6, "move red circle left 1", 0},
    {"move the blue square left a little", 6, "move blue square left 1", 0},
    {"push the green triangle slightly up", 6, "move green triangle up 1", 0},
    {"shift the yellow square downwards slightly", 6, "move yellow square down 1", 0},
    /* 7: all the way */
    {"push the red circle all the way left", 7, "move red circle all the way left", 0},
    {"slide the blue square down all the way", 7, "move blue square all the way down", 0},
    /* 8: as far as it goes */
    {"slide the red circle left as far as it can go", 8, "move red circle all the way left", 0},
    {"push the yellow square up until it hits the wall", 8, "move yellow square all the way up", 0},
    {"move the green triangle right as far as possible", 8, "move green triangle all the way right", 0},
    {"drag the orange circle down until it stops", 8, "move orange circle all the way down", 0},
    {"move the blue square up until it hits something", 8, "move blue square all the way up", 0},
    /* 9 (held out): give it a push */
    {"give the red circle a push to the left", 9, "move red circle left 2", 1},
    {"Give the blue square a little nudge upwards", 9, "move blue square up 1", 1},
    {"give the green triangle a shove down", 9, "move green triangle down 2", 1},
    /* 10: terse */
    {"red circle left 3", 10, "move red circle left 3", 0},
    {"the blue square up", 10, "move blue square up 2", 0},
    {"green triangle, down two cells", 10, "move green triangle down 2", 0},
    {"Purple triangle: left", 10, "move purple triangle left 2", 1},
    /* 11: N times */
    {"move the red circle left twice", 11, "move red circle left 2", 0},
    {"push the blue square up 3 times", 11, "move blue square up 3", 0},
    {"nudge the orange circle right once", 11, "move orange circle right 1", 0},
    {"move the yellow square down thrice", 11, "move yellow square down 3", 0},
    /* 12: descriptive */
    {"the red circle moves left", 12, "move red circle left 2", 0},
    {"the yellow square slides down by 2", 12, "move yellow square down 2", 0},
    {"The blue square goes right.", 12, "move blue square right 2", 0},
    /* 13: to a place */
    {"move the red circle to the top left corner", 13, "move red circle to top left corner", 0},
    {"bring the blue square to the centre of the table", 13, "move blue square to centre", 0},
    {"slide the green triangle towards the bottom right", 13, "move green triangle to bottom right corner", 0},
    {"move the orange circle to the top", 13, "move orange circle to top edge", 0},
    {"push the yellow square into the upper right corner", 13, "move yellow square to top right corner", 0},
    {"take the purple triangle to the left side", 13, "move purple triangle to left edge", 0},
    {"move the blue one to the middle", 13, "move blue square to centre", 0},
    {"Move the red circle to the lower-left corner.", 13, "move red circle to bottom left corner", 0},
    {"drag the red square to the right wall", 13, "move red square to right edge", 0},
    {"move red circle to top left corner", 13, "move red circle to top left corner", 0},
    /* 14: put ... in a place */
    {"put the red circle in the centre", 14, "move red circle to centre", 0},
    {"place the green triangle at the bottom left corner", 14, "move green triangle to bottom left corner", 0},
    {"set the orange circle on the right edge", 14, "move orange circle to right edge", 0},
    {"position the blue square in the center", 14, "move blue square to centre", 0},
    /* 15: should go to a place */
    {"the red circle should go to the top edge", 15, "move red circle to top edge", 0},
    {"the blue square must be in the middle", 15, "move blue square to centre", 0},
    {"the yellow square has to move to the bottom", 15, "move yellow square to bottom edge", 0},
    /* 16: terse place */
    {"red circle to the bottom right", 16, "move red circle to bottom right corner", 0},
    {"the purple triangle to the centre", 16, "move purple triangle to centre", 0},
    /* 17: next to */
    {"move the red circle next to the green triangle", 17, "move red circle next to green triangle", 0},
    {"push the blue square beside the orange circle", 17, "move blue square next to orange circle", 0},
    {"bring the yellow square close to the purple triangle", 17, "move yellow square next to purple triangle", 0},
    {"move red circle next to green triangle", 17, "move red circle next to green triangle", 0},
    /* 18: left of / above ... */
    {"slide the red circle to the left of the green triangle", 18, "move red circle left of green triangle", 0},
    {"move the blue square above the orange one", 18, "move blue square above orange circle", 0},
    {"drag the yellow square under the purple triangle", 18, "move yellow square below purple triangle", 0},
    {"move the green triangle right of the blue square", 18, "move green triangle right of blue square", 0},
    /* 19: put next to */
    {"put the red circle beside the green triangle", 19, "move red circle next to green triangle", 0},
    {"place the blue square next to the yellow square", 19, "move blue square next to yellow square", 0},
    /* 20: put left of / above ... */
    {"place the red circle above the green triangle", 20, "move red circle above green triangle", 0},
    {"put the orange circle to the right of the blue square", 20, "move orange circle right of blue square", 0},
    {"set the purple triangle beneath the yellow square", 20, "move purple triangle below yellow square", 0},
    /* 21 (held out): should be next to */
    {"the red circle should be next to the green triangle", 21, "move red circle next to green triangle", 1},
    {"the blue square must go below the orange circle", 21, "move blue square below orange circle", 1},
    /* 22-26: lights */
    {"turn off the lights", 22, "lights off", 0},
    {"Switch the lights off.", 22, "lights off", 0},
    {"switch off the lamp", 22, "lights off", 0},
    {"switch the lights on", 23, "lights on", 0},
    {"turn on the light", 23, "lights on", 0},
    {"lights off", 24, "lights off", 0},
    {"the lights go out", 24, "lights off", 0},
    {"lights dim", 24, "lights dim", 0},
    {"the lights are on", 24, "lights on", 0},
    {"dim the lights", 25, "lights dim", 0},
    {"lower the lighting", 25, "lights dim", 0},
    {"turn the lamps down", 25, "lights dim", 0},
    {"it gets dark", 26, "lights off", 1},
    {"the room becomes brighter", 26, "lights on", 1},
    {"make it dimmer", 26, "lights dim", 1},
    /* 27-29: an object appears */
    {"a blue circle appears in the middle", 27, "add blue circle at centre", 0},
    {"A green square appears", 27, "add green square", 0},
    {"an orange triangle pops up at the top right corner", 27, "add orange triangle at top right corner", 0},
    {"a yellow circle appears next to the red circle", 27, "add yellow circle next to red circle", 0},
    {"a purple square appears left of the blue square", 27, "add purple square left of blue square", 0},
    {"add a blue circle to the top left corner", 28, "add blue circle at top left corner", 0},
    {"spawn a green square", 28, "add green square", 0},
    {"add blue circle at centre", 28, "add blue circle at centre", 0},
    {"create a new yellow triangle below the green triangle", 28, "add yellow triangle below green triangle", 0},
    {"put a new blue circle next to the red circle", 29, "add blue circle next to red circle", 0},
    {"place an orange square in the centre", 29, "add orange square at centre", 0},
    /* 30-31: removal */
    {"remove the green triangle", 30, "remove green triangle", 0},
    {"take away the blue square", 30, "remove blue square", 0},
    {"get rid of the orange one", 30, "remove orange circle", 0},
    {"delete the purple triangle from the table", 30, "remove purple triangle", 0},
    {"take the yellow square away", 30, "remove yellow square", 0},
    {"the green triangle disappears", 31, "remove green triangle", 0},
    {"the yellow square vanishes", 31, "remove yellow square", 0},
    {"make the blue square disappear", 31, "remove blue square", 0},
    /* 32-33: time passes */
    {"wait", 32, "wait", 0},
    {"Wait a moment.", 32, "wait", 0},
    {"please wait for a bit", 32, "wait", 0},
    {"hold on", 32, "wait", 0},
    {"do nothing", 33, "wait", 0},
    {"nothing happens", 33, "wait", 0},
    {"stay still", 33, "wait", 0},
    {"let time pass", 33, "wait", 0},
    /* not understood */
    {"", -1, "no words", 0},
    {"?!  ...", -1, "no words", 0},
    {"please", -1, "no tabletop action", 0},
    {"dance the tango", -1, "no tabletop action", 0},
    {"move the red circle sideways", -1, "no tabletop action", 0},
    {"remove the pink square", -1, "no tabletop action", 0},
    {"move the r\xc3\xab" "d circle left", -1, "no tabletop action", 0},
    {"move the red one left", -1, "ambiguous", 0},
    {"move the circle left", -1, "ambiguous", 0},
    {"remove the triangle", -1, "ambiguous", 0},
    {"move the blue circle left", -1, "no blue circle", 0},
    {"remove the green square", -1, "no green square", 0},
    {"a red circle appears next to the blue circle", -1, "no blue circle", 0},
    {"move the red circle left by 0", -1, "out of range", 0},
    {"move the red circle left by 25 cells", -1, "out of range", 0},
    {"move the red circle next to the red circle", -1, "itself", 0},
};

static void test_table(pan_world *w) {
    int per_template[64] = {0};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const row *r = &rows[i];
        pan_action_result res;
        CHECK_STATUS(pan_world_parse(w, r->text, &res), PAN_OK);
        int ok;
        if (r->template_id < 0) {
            ok = !res.understood && res.kind == PAN_ACTION_NONE &&
                 res.template_id == -1 && strstr(res.message, r->expect);
        } else {
            ok = res.understood && res.template_id == r->template_id &&
                 strcmp(res.canonical, r->expect) == 0 &&
                 res.heldout == (r->heldout != 0) &&
                 res.kind == tt_templates[r->template_id].kind;
            per_template[r->template_id]++;
        }
        if (!ok) {
            fprintf(stderr, "row %zu \"%s\": got understood=%d template=%d "
                    "heldout=%d canonical=\"%s\" message=\"%s\"; expected "
                    "template %d \"%s\" heldout=%d\n", i, r->text,
                    res.understood, res.template_id, res.heldout, res.canonical,
                    res.message, r->template_id, r->expect, r->heldout);
            CHECK(ok);
        }
    }
    /* the table covers every template, at least twice */
    CHECK(tt_template_count >= 34);
    int agent = 0, env = 0, held_agent = 0, held_env = 0;
    for (int t = 0; t < tt_template_count; t++) {
        if (per_template[t] < 2) {
            fprintf(stderr, "template %d has %d rows\n", t, per_template[t]);
            CHECK(per_template[t] >= 2);
        }
        CHECK(tt_templates[t].id == t);
        bool is_agent = tt_templates[t].kind == PAN_ACTION_AGENT;
        agent += is_agent, env += !is_agent;
        held_agent += is_agent && tt_templates[t].heldout;
        held_env += !is_agent && tt_templates[t].heldout;
    }
    CHECK(agent >= 20 && env >= 8);
    CHECK(held_agent == 3 && held_env == 1);
}

/* Every canonical form parses back to itself. */
static void test_canonical_round_trip(pan_world *w) {
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (rows[i].template_id < 0) continue;
        pan_action_result a, b;
        CHECK_STATUS(pan_world_parse(w, rows[i].text, &a), PAN_OK);
        CHECK_STATUS(pan_world_parse(w, a.canonical, &b), PAN_OK);
        if (!b.understood || strcmp(a.canonical, b.canonical) != 0) {
            fprintf(stderr, "canonical \"%s\" parsed as \"%s\" (%s)\n",
                    a.canonical, b.canonical, b.message);
            CHECK(0);
        }
    }
}

/* Generates every pattern of every template many times with random slot
 * values and checks the parser finds that template and that action. */
static void test_generated(pan_world *w) {
    pan_world_state s;
    CHECK_STATUS(pan_world_get_state(w, &s), PAN_OK);
    uint64_t rng = 12345;
    int failures = 0;
    for (int t = 0; t < tt_template_count; t++) {
        const tt_template *tp = &tt_templates[t];
        for (int p = 0; p < TT_MAX_PATTERNS && tp->patterns[p]; p++) {
            for (int rep = 0; rep < 200; rep++) {
                tt_slots sl;
                tt_slots_clear(&sl);
                int a = (int)tt_rng_below(&rng, (uint32_t)s.n_objects);
                int b = (a + 1 + (int)tt_rng_below(&rng, (uint32_t)s.n_objects - 1)) %
                        s.n_objects;
                sl.colour = s.objects[a].colour, sl.shape = s.objects[a].shape;
                sl.colour2 = s.objects[b].colour, sl.shape2 = s.objects[b].shape;
                sl.new_colour = PAN_COLOUR_BLUE, sl.new_shape = PAN_SHAPE_CIRCLE;
                sl.direction = (int)tt_rng_below(&rng, TT_DIRECTIONS);
                sl.number = 1 + (int)tt_rng_below(&rng, 3);
                sl.place = (int)tt_rng_below(&rng, TT_PLACES);
                sl.relation = TT_REL_LEFT_OF + (int)tt_rng_below(&rng, 4);
                sl.level = (int)tt_rng_below(&rng, TT_LIGHT_LEVELS);
                char text[PAN_WORLD_ACTION_MAX + 1];
                tt_generate(tp, p, &sl, &rng, text, sizeof text);
                pan_action_result res;
                CHECK_STATUS(pan_world_parse(w, text, &res), PAN_OK);
                bool combo = (tp->sem == TT_SEM_DIR || tp->sem == TT_SEM_DIR_BIT ||
                              tp->sem == TT_SEM_DIR_WALL) &&
                             tt_combo_is_heldout(sl.colour, sl.shape, sl.direction);
                bool ok = res.understood && res.template_id == t &&
                          res.heldout == (tp->heldout || combo);
                if (ok && strstr(tp->patterns[p], "$DIR"))
                    ok = strstr(res.canonical, tt_direction_names[sl.direction]) != NULL;
                if (ok && tp->sem == TT_SEM_PLACE)
                    ok = strstr(res.canonical, tt_place_names[sl.place]) != NULL;
                if (!ok && failures++ < 10) {
                    fprintf(stderr, "template %d pattern %d: \"%s\" -> "
                            "understood=%d template=%d heldout=%d \"%s\" %s\n",
                            t, p, text, res.understood, res.template_id,
                            res.heldout, res.canonical, res.message);
                }
            }
        }
    }
    CHECK(failures == 0);
}

/* Parsing never changes the world. */
static void test_parse_is_pure(pan_world *w) {
    pan_world_state before, after;
    CHECK_STATUS(pan_world_get_state(w, &before), PAN_OK);
    pan_action_result res;
    CHECK_STATUS(pan_world_parse(w, "remove the green triangle", &res), PAN_OK);
    CHECK_STATUS(pan_world_parse(w, "a blue circle appears", &res), PAN_OK);
    CHECK_STATUS(pan_world_get_state(w, &after), PAN_OK);
    CHECK(tt_test_same_state(&before, &after));
}

int main(void) {
    pan_world *w = tt_test_world(64, 64, 4);
    if (!w) return test_exit_code("test_tabletop_parse");
    pan_world_state s = base_state();
    CHECK_STATUS(pan_world_set_state(w, &s), PAN_OK);
    test_table(w);
    test_canonical_round_trip(w);
    test_generated(w);
    test_parse_is_pure(w);
    pan_world_destroy(w);
    return test_exit_code("test_tabletop_parse");
}
