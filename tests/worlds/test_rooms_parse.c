/* tests/worlds/test_rooms_parse.c: the rooms paraphrase table (every
 * template, held-out ones included: text -> template id, canonical form,
 * held-out flag), texts that must not be understood, and parse argument
 * errors. */
#include <stdio.h>
#include <string.h>

#include "env/rooms/rooms.h"
#include "env/world.h"
#include "tests/test_util.h"

typedef struct row {
    const char *text;
    int template_id;
    const char *canonical;
    bool heldout;
} row;

static const row table[] = {
    /* T0 go <dir> [n [unit]] */
    {"go north 3", ROOMS_T_GO_DIR, "go north 3", false},
    {"walk east", ROOMS_T_GO_DIR, "go east 1", false},
    {"Move SOUTH two steps.", ROOMS_T_GO_DIR, "go south 2", true}, /* (S,2) */
    {"please travel westward 6 cells", ROOMS_T_GO_DIR, "go west 6", false},
    {"go up 3", ROOMS_T_GO_DIR, "go north 3", false},
    {"proceed down nine squares!", ROOMS_T_GO_DIR, "go south 9", false},
    {"march east for 3 paces", ROOMS_T_GO_DIR, "go east 3", false},
    {"Could you stroll northwards 10 tiles?", ROOMS_T_GO_DIR, "go north 10",
     false},
    {"walk west", ROOMS_T_GO_DIR, "go west 1", true},   /* (walk, W) */
    {"run east 2", ROOMS_T_GO_DIR, "go east 2", true},  /* (run, E) */
    {"head south", ROOMS_T_GO_DIR, "go south 1", true}, /* (head, S) */
    {"go north 7", ROOMS_T_GO_DIR, "go north 7", true}, /* (N, 7) */
    {"go east 5", ROOMS_T_GO_DIR, "go east 5", true},   /* (E, 5) */
    {"go west 4", ROOMS_T_GO_DIR, "go west 4", true},   /* (W, 4) */
    {"go west 3", ROOMS_T_GO_DIR, "go west 3", false},
    {"go north by 3 cells", ROOMS_T_GO_DIR, "go north 3", false},
    {"go northward twice", ROOMS_T_GO_DIR, "go north 2", false},
    /* T1 go <n> [unit] [to the] <dir> */
    {"walk 3 steps north", ROOMS_T_GO_N_DIR, "go north 3", false},
    {"go two cells to the east", ROOMS_T_GO_N_DIR, "go east 2", false},
    {"MOVE 8 TOWARDS THE SOUTH", ROOMS_T_GO_N_DIR, "go south 8", false},
    {"travel four spaces west", ROOMS_T_GO_N_DIR, "go west 4", true},
    /* T2 head to the <dir> */
    {"head to the north", ROOMS_T_GO_TO_THE, "go north 1", false},
    {"go towards the east for 3 steps", ROOMS_T_GO_TO_THE, "go east 3", false},
    {"Proceed toward south 6", ROOMS_T_GO_TO_THE, "go south 6", false},
    {"head to the south", ROOMS_T_GO_TO_THE, "go south 1", true},
    /* T3 step <dir> */
    {"step west", ROOMS_T_STEP_DIR, "go west 1", false},
    {"step to the east 3 times", ROOMS_T_STEP_DIR, "go east 3", false},
    {"step 2 paces south", ROOMS_T_STEP_DIR, "go south 2", true}, /* (S,2) */
    {"step north", ROOMS_T_STEP_DIR, "go north 1", true}, /* (step, N) */
    /* T4 take <n> steps <dir> */
    {"take 2 steps south", ROOMS_T_TAKE_STEPS, "go south 2", true},
    {"take a step north", ROOMS_T_TAKE_STEPS, "go north 1", false},
    {"Take three steps to the west, please", ROOMS_T_TAKE_STEPS, "go west 3",
     false},
    {"take ten cells eastward", ROOMS_T_TAKE_STEPS, "go east 10", false},
    /* T5 forward */
    {"move forward two", ROOMS_T_FORWARD, "move forward 2", false},
    {"go forward", ROOMS_T_FORWARD, "move forward 1", false},
    {"walk straight ahead 4 steps", ROOMS_T_FORWARD, "move forward 4", false},
    {"step forward", ROOMS_T_FORWARD, "move forward 1", false},
    {"run 5 cells ahead", ROOMS_T_FORWARD, "move forward 5", false},
    {"advance six", ROOMS_T_FORWARD, "move forward 6", true}, /* (fwd, 6) */
    {"move ahead by 2", ROOMS_T_FORWARD, "move forward 2", false},
    {"keep going onward", -1, NULL, false},
    /* T6 back */
    {"go back", ROOMS_T_BACK, "move back 1", false},
    {"move backwards 3", ROOMS_T_BACK, "move back 3", true}, /* (back, 3) */
    {"back up two squares", ROOMS_T_BACK, "move back 2", false},
    {"step back", ROOMS_T_BACK, "move back 1", false},
    {"reverse 4", ROOMS_T_BACK, "move back 4", false},
    {"go 2 steps backward", ROOMS_T_BACK, "move back 2", false},
    {"walk back", ROOMS_T_BACK, "move back 1", true}, /* (walk, back) */
    /* T7 turn left/right */
    {"turn left", ROOMS_T_TURN_LR, "turn left", false},
    {"Turn Right.", ROOMS_T_TURN_LR, "turn right", false},
    {"pivot to your left", ROOMS_T_TURN_LR, "turn left", false},
    {"turn right 90 degrees", ROOMS_T_TURN_LR, "turn right", false},
    {"make a left turn", ROOMS_T_TURN_LR, "turn left", false},
    {"take a right", ROOMS_T_TURN_LR, "turn right", false},
    {"left turn", ROOMS_T_TURN_LR, "turn left", false},
    {"rotate left", ROOMS_T_TURN_LR, "turn left", false},
    {"rotate right", ROOMS_T_TURN_LR, "turn right", true}, /* (rotate, R) */
    /* T8 turn around */
    {"turn around", ROOMS_T_TURN_AROUND, "turn around", false},
    {"spin round", ROOMS_T_TURN_AROUND, "turn around", false},
    {"About face!", ROOMS_T_TURN_AROUND, "turn around", false},
    {"make a U-turn", ROOMS_T_TURN_AROUND, "turn around", false},
    {"turn 180 degrees", ROOMS_T_TURN_AROUND, "turn around", false},
    {"do a 180", ROOMS_T_TURN_AROUND, "turn around", false},
    {"turn back", ROOMS_T_TURN_AROUND, "turn around", false},
    {"face the other way", ROOMS_T_TURN_AROUND, "turn around", false},
    /* T9 stay */
    {"stay", ROOMS_T_STAY, "wait", false},
    {"wait", ROOMS_T_STAY, "wait", false},
    {"Stay put.", ROOMS_T_STAY, "wait", false},
    {"please wait a moment", ROOMS_T_STAY, "wait", false},
    {"do nothing", ROOMS_T_STAY, "wait", false},
    {"hold your position", ROOMS_T_STAY, "wait", false},
    {"don't move!", ROOMS_T_STAY, "wait", false},
    {"stay where you are", ROOMS_T_STAY, "wait", false},
    {"stand still", ROOMS_T_STAY, "wait", false},
    {"hold on", ROOMS_T_STAY, "wait", false},
    /* T10 face <dir> */
    {"face north", ROOMS_T_FACE, "face north", false},
    {"turn to the west", ROOMS_T_FACE, "face west", false},
    {"look towards the south", ROOMS_T_FACE, "face south", false},
    {"turn to face the east", ROOMS_T_FACE, "face east", false},
    {"orient yourself to the north", ROOMS_T_FACE, "face north", false},
    {"look east", ROOMS_T_FACE, "face east", true}, /* (look, E) */
    /* T11 bare direction (held-out template) */
    {"north 3", ROOMS_T_BARE_DIR, "go north 3", true},
    {"East!", ROOMS_T_BARE_DIR, "go east 1", true},
    {"3 steps to the west", ROOMS_T_BARE_DIR, "go west 3", true},
    {"two south", ROOMS_T_BARE_DIR, "go south 2", true},
    /* T12 direction first (held-out template) */
    {"to the north, walk 3", ROOMS_T_DIR_FIRST, "go north 3", true},
    {"Eastward march 4 paces", ROOMS_T_DIR_FIRST, "go east 4", true},
    {"south go", ROOMS_T_DIR_FIRST, "go south 1", true},
    /* T13 take steps forward/back */
    {"take a step back", ROOMS_T_TAKE_REL, "move back 1", false},
    {"take 2 steps forward", ROOMS_T_TAKE_REL, "move forward 2", false},
    {"take three paces", ROOMS_T_TAKE_REL, "move forward 3", false},
    {"take six steps ahead", ROOMS_T_TAKE_REL, "move forward 6", true},
    /* politeness, casing, punctuation around any template */
    {"Could you please go north 3?", ROOMS_T_GO_DIR, "go north 3", false},
    {"I want you to turn left, thank you", ROOMS_T_TURN_LR, "turn left",
     false},
    {"OK, let's GO EAST 2!!!", ROOMS_T_GO_DIR, "go east 2", false},
    {"  kindly   move   forward   3   for me ", ROOMS_T_FORWARD,
     "move forward 3", false},
    {"go ahead and turn around", ROOMS_T_TURN_AROUND, "turn around", false},
    {"go ahead", ROOMS_T_FORWARD, "move forward 1", false},
};

/* Texts that must not be understood. */
static const char *const rejected[] = {
    "",
    "   ...   ",
    "fly to the moon",
    "go north 50",     /* distance out of range */
    "go north zero",   /* distance out of range */
    "go left",         /* sideways */
    "go north east",   /* diagonal */
    "north-east 2",
    "go north 3 then east 2",
    "turn",
    "go",
    "please",
    "take steps north",
    "\xe5\x8c\x97\xe3\x81\xb8",  /* UTF-8 text */
    "go nort 3",
    "move the red circle left",
    "turn around and go north", /* one action per step */
    "go 3",
    "keep going onward",
};

int main(void) {
    pan_world *world = NULL;
    CHECK_STATUS(pan_world_create("rooms", NULL, &world), PAN_OK);
    if (!world) return test_exit_code("test_rooms_parse");

    bool seen[ROOMS_TEMPLATE_COUNT] = {false};
    bool seen_heldout[ROOMS_TEMPLATE_COUNT] = {false};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const row *r = &table[i];
        pan_action_result result;
        CHECK_STATUS(pan_world_parse(world, r->text, &result), PAN_OK);
        bool ok = r->template_id < 0
                      ? !result.understood
                      : result.understood &&
                            result.template_id == r->template_id &&
                            strcmp(result.canonical, r->canonical) == 0 &&
                            result.heldout == r->heldout &&
                            result.kind == (r->template_id == ROOMS_T_STAY
                                                ? PAN_ACTION_ENVIRONMENT
                                                : PAN_ACTION_AGENT);
        if (!ok)
            fprintf(stderr,
                    "row %zu '%s': got understood=%d template=%d "
                    "canonical='%s' heldout=%d kind=%d (%s); expected "
                    "template=%d canonical='%s' heldout=%d\n",
                    i, r->text, result.understood, result.template_id,
                    result.canonical, result.heldout, (int)result.kind,
                    result.message, r->template_id,
                    r->canonical ? r->canonical : "", r->heldout);
        CHECK(ok);
        if (r->template_id >= 0) {
            seen[r->template_id] = true;
            if (r->heldout) seen_heldout[r->template_id] = true;
            /* The canonical form parses to itself. */
            pan_action_result again;
            CHECK_STATUS(pan_world_parse(world, result.canonical, &again),
                         PAN_OK);
            CHECK(again.understood &&
                  strcmp(again.canonical, result.canonical) == 0);
        }
    }
    for (int t = 0; t < ROOMS_TEMPLATE_COUNT; t++) {
        if (!seen[t]) fprintf(stderr, "template %d has no table row\n", t);
        CHECK(seen[t]);
    }
    CHECK(seen_heldout[ROOMS_T_BARE_DIR] && seen_heldout[ROOMS_T_DIR_FIRST]);

    for (size_t i = 0; i < sizeof rejected / sizeof rejected[0]; i++) {
        pan_action_result result;
        CHECK_STATUS(pan_world_parse(world, rejected[i], &result), PAN_OK);
        if (result.understood)
            fprintf(stderr, "'%s' was understood as '%s'\n", rejected[i],
                    result.canonical);
        CHECK(!result.understood);
        CHECK(result.template_id == -1 && result.kind == PAN_ACTION_NONE);
        CHECK(!result.heldout && result.canonical[0] == '\0');
        CHECK(strncmp(result.message, "not understood", 14) == 0);
    }
    pan_action_result result;
    CHECK_STATUS(pan_world_parse(world, "go north 50", &result), PAN_OK);
    CHECK(strstr(result.message, "out of range") != NULL);
    CHECK_STATUS(pan_world_parse(world, "go left", &result), PAN_OK);
    CHECK(strstr(result.message, "sideways") != NULL);

    /* Very long but legal text (under the byte limit) with too many words. */
    char many[PAN_WORLD_ACTION_MAX + 2];
    memset(many, 0, sizeof many);
    for (int i = 0; i < 60; i++) strcat(many, "go ");
    CHECK_STATUS(pan_world_parse(world, many, &result), PAN_OK);
    CHECK(!result.understood);
    /* Over the byte limit: an argument error. */
    memset(many, 'a', PAN_WORLD_ACTION_MAX + 1);
    many[PAN_WORLD_ACTION_MAX + 1] = '\0';
    CHECK_STATUS(pan_world_parse(world, many, &result),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_parse(world, NULL, &result),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_parse(world, "wait", NULL),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_parse(NULL, "wait", &result),
                 PAN_ERR_INVALID_ARGUMENT);

    pan_world_destroy(world);
    return test_exit_code("test_rooms_parse");
}
