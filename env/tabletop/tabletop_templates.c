/* env/tabletop/tabletop_templates.c: the tabletop action templates, the
 * held-out split and the vocabulary shared by the parser and the sampler.
 * docs/worlds.md (## Tabletop) lists the same table; keep them in step. */
#include "env/tabletop/tabletop.h"

#define A PAN_ACTION_AGENT
#define E PAN_ACTION_ENVIRONMENT

/* Order matters: the parser takes the first template (and the first pattern)
 * that matches the whole text. Ids are the indices. */
const tt_template tt_templates[] = {
    /* ---- agent: a direction ---- */
    {0, A, TT_SEM_DIR, false, true, -1, "move the red circle left",
     {"$VERB $OBJ $DIR", NULL}},
    {1, A, TT_SEM_DIR, false, true, -1, "move the red circle left by 3",
     {"$VERB $OBJ $DIR [by] $N [$UNIT]", NULL}},
    {2, A, TT_SEM_DIR, false, true, -1, "slide the red circle 3 cells left",
     {"$VERB $OBJ $N [$UNIT] $DIR", NULL}},
    {3, A, TT_SEM_DIR, true, false, -1, "left, move the red circle",
     {"$DIR , $VERB $OBJ", "$DIR [by] $N [$UNIT] , $VERB $OBJ", NULL}},
    {4, A, TT_SEM_DIR, false, false, -1, "the red circle should go left",
     {"$OBJ should|must|could go|move $DIR",
      "$OBJ should|must|could go|move $DIR [by] $N [$UNIT]",
      "$OBJ needs|has to go|move $DIR",
      "$OBJ needs|has to go|move $DIR [by] $N [$UNIT]", NULL}},
    {5, A, TT_SEM_DIR, false, true, -1, "make the red circle go left",
     {"make|have|let $OBJ go|move|slide $DIR",
      "make|have|let $OBJ go|move|slide $DIR [by] $N [$UNIT]", NULL}},
    {6, A, TT_SEM_DIR_BIT, false, true, -1, "nudge the red circle a bit left",
     {"$VERB $OBJ a bit|little $DIR", "$VERB $OBJ $DIR a bit|little",
      "$VERB $OBJ slightly $DIR", "$VERB $OBJ $DIR slightly", NULL}},
    {7, A, TT_SEM_DIR_WALL, false, true, -1,
     "push the red circle all the way left",
     {"$VERB $OBJ all the way $DIR", "$VERB $OBJ $DIR all the way", NULL}},
    {8, A, TT_SEM_DIR_WALL, false, true, -1,
     "slide the red circle left as far as it can go",
     {"$VERB $OBJ $DIR as far as possible",
      "$VERB $OBJ $DIR as far as it can|will go",
      "$VERB $OBJ $DIR until it stops",
      "$VERB $OBJ $DIR until it hits something",
      "$VERB $OBJ $DIR until it hits the|a wall", NULL}},
    {9, A, TT_SEM_DIR, true, true, -1, "give the red circle a push to the left",
     {"give $OBJ a $PUSHN $DIR", "give $OBJ a small|little|gentle $PUSHN $DIR",
      NULL}},
    {10, A, TT_SEM_DIR, false, false, -1, "red circle left 3",
     {"$OBJ $DIR", "$OBJ $DIR $N [$UNIT]", NULL}},
    {11, A, TT_SEM_DIR, false, true, -1, "move the red circle left twice",
     {"$VERB $OBJ $DIR $TIMES", NULL}},
    {12, A, TT_SEM_DIR, false, false, -1, "the red circle moves left",
     {"$OBJ moves|goes|slides|shifts $DIR",
      "$OBJ moves|goes|slides|shifts $DIR [by] $N [$UNIT]", NULL}},
    /* ---- agent: a place ---- */
    {13, A, TT_SEM_PLACE, false, true, -1,
     "move the red circle to the top left corner",
     {"$VERB $OBJ to|into|towards|toward $PLACE",
      "bring|take|send|carry $OBJ to|into $PLACE", NULL}},
    {14, A, TT_SEM_PLACE, false, true, -1, "put the red circle in the centre",
     {"put|place|set|position $OBJ in|at|into|on $PLACE", NULL}},
    {15, A, TT_SEM_PLACE, false, false, -1,
     "the red circle should go to the top edge",
     {"$OBJ should|must go|move to $PLACE", "$OBJ needs|has to go|move to $PLACE",
      "$OBJ should|must be in|at|on $PLACE", NULL}},
    {16, A, TT_SEM_PLACE, false, false, -1, "red circle to the bottom right",
     {"$OBJ to $PLACE", NULL}},
    /* ---- agent: relative to another object ---- */
    {17, A, TT_SEM_RELATION, false, true, -1,
     "move the red circle next to the green triangle",
     {"$VERB $OBJ $NEAR $OBJ2", "bring|take|send|carry $OBJ $NEAR $OBJ2", NULL}},
    {18, A, TT_SEM_RELATION, false, true, -1,
     "slide the red circle to the left of the green triangle",
     {"$VERB $OBJ $REL $OBJ2", "bring|take|send|carry $OBJ $REL $OBJ2", NULL}},
    {19, A, TT_SEM_RELATION, false, true, -1,
     "put the red circle beside the green triangle",
     {"put|place|set|position $OBJ $NEAR $OBJ2", NULL}},
    {20, A, TT_SEM_RELATION, false, true, -1,
     "place the red circle above the green triangle",
     {"put|place|set|position $OBJ $REL $OBJ2", NULL}},
    {21, A, TT_SEM_RELATION, true, false, -1,
     "the red circle should be next to the green triangle",
     {"$OBJ should|must go|move|be $NEAR $OBJ2",
      "$OBJ should|must go|move|be $REL $OBJ2", NULL}},
    /* ---- environment: lights ---- */
    {22, E, TT_SEM_LIGHTS, false, true, TT_LIGHTS_OFF, "turn off the lights",
     {"turn|switch off [the] lights|light|lamp|lamps",
      "turn|switch [the] lights|light|lamp|lamps off", NULL}},
    {23, E, TT_SEM_LIGHTS, false, true, TT_LIGHTS_ON, "switch the lights on",
     {"turn|switch on [the] lights|light|lamp|lamps",
      "turn|switch [the] lights|light|lamp|lamps on", NULL}},
    {24, E, TT_SEM_LIGHTS, false, false, -1, "lights off",
     {"[the] lights|light $LEVEL",
      "[the] lights|light go|goes|turn|turns|are|is $LEVEL", NULL}},
    {25, E, TT_SEM_LIGHTS, false, true, TT_LIGHTS_DIM, "dim the lights",
     {"dim [the] lights|light|lamp|lamps|room",
      "lower|reduce [the] lights|light|lighting|brightness",
      "turn|switch down [the] lights|light|lamp|lamps",
      "turn [the] lights|light|lamp|lamps down", NULL}},
    {26, E, TT_SEM_LIGHTS, true, false, -1, "it gets dark",
     {"it gets|becomes|goes|turns $DARK",
      "the room|table gets|becomes|goes|turns $DARK",
      "make it|everything $DARK", "make the room|table $DARK", NULL}},
    /* ---- environment: an object appears ---- */
    {27, E, TT_SEM_APPEAR, false, false, -1,
     "a blue square appears in the middle",
     {"$CSA appears|materializes|materialises",
      "$CSA appears|materializes|materialises at|in|on $PLACE",
      "$CSA shows|pops up", "$CSA shows|pops up at|in|on $PLACE",
      "$CSA appears $NEAR $OBJ2", "$CSA appears $REL $OBJ2", NULL}},
    {28, E, TT_SEM_APPEAR, false, true, -1,
     "add a blue square to the top left corner",
     {"add|spawn|create|drop|insert $CS",
      "add|spawn|create|drop|insert $CS at|in|on|to|into $PLACE",
      "add|spawn|create|drop|insert $CS $NEAR $OBJ2",
      "add|spawn|create|drop|insert $CS $REL $OBJ2", NULL}},
    {29, E, TT_SEM_APPEAR, false, true, -1,
     "put a new blue square next to the red circle",
     {"put|place|set $CSA at|in|on|into $PLACE", "put|place|set $CSA $NEAR $OBJ2",
      "put|place|set $CSA $REL $OBJ2", NULL}},
    /* ---- environment: an object is removed ---- */
    {30, E, TT_SEM_REMOVE, false, true, -1, "remove the green triangle",
     {"remove|delete|erase $OBJ", "remove|delete|erase $OBJ from the table",
      "take away $OBJ", "take $OBJ away", "get rid of $OBJ", NULL}},
    {31, E, TT_SEM_REMOVE, false, false, -1, "the green triangle disappears",
     {"$OBJ disappears|vanishes", "$OBJ is removed|gone",
      "make $OBJ disappear|vanish", NULL}},
    /* ---- environment: time passes ---- */
    {32, E, TT_SEM_WAIT, false, true, -1, "wait",
     {"wait", "wait a moment|second|bit|while",
      "wait for a moment|second|bit|while", "hold on", "pause", NULL}},
    {33, E, TT_SEM_WAIT, false, false, -1, "nothing happens",
     {"do nothing", "nothing happens", "stay still|put", "keep still",
      "don t move", "let time pass", "time passes", NULL}},
};

const int tt_template_count = (int)(sizeof tt_templates / sizeof tt_templates[0]);

/* (colour, shape, direction) of directional moves never in PAN_SPLIT_TRAIN;
 * at most one direction per (colour, shape), so the sampler can always
 * pick another. */
const tt_combo tt_heldout_combos[] = {
    {PAN_COLOUR_PURPLE, PAN_SHAPE_TRIANGLE, TT_LEFT},
    {PAN_COLOUR_ORANGE, PAN_SHAPE_CIRCLE, TT_UP},
    {PAN_COLOUR_GREEN, PAN_SHAPE_SQUARE, TT_DOWN},
    {PAN_COLOUR_YELLOW, PAN_SHAPE_TRIANGLE, TT_RIGHT},
    {PAN_COLOUR_BLUE, PAN_SHAPE_CIRCLE, TT_LEFT},
    {PAN_COLOUR_RED, PAN_SHAPE_SQUARE, TT_UP},
};

const int tt_heldout_combo_count =
    (int)(sizeof tt_heldout_combos / sizeof tt_heldout_combos[0]);

bool tt_combo_is_heldout(int colour, int shape, int direction) {
    for (int i = 0; i < tt_heldout_combo_count; i++)
        if (tt_heldout_combos[i].colour == colour &&
            tt_heldout_combos[i].shape == shape &&
            tt_heldout_combos[i].direction == direction)
            return true;
    return false;
}

/* ---- vocabulary ---- */

const char *const tt_colour_names[PAN_COLOUR_COUNT] = {
    "red", "green", "blue", "yellow", "purple", "orange"};
const char *const tt_shape_names[PAN_SHAPE_COUNT] = {"square", "circle",
                                                     "triangle"};
const char *const tt_direction_names[TT_DIRECTIONS] = {"left", "right", "up",
                                                       "down"};
const char *const tt_place_names[TT_PLACES] = {
    "top left corner", "top right corner", "bottom left corner",
    "bottom right corner", "centre", "top edge", "bottom edge", "left edge",
    "right edge"};
const char *const tt_relation_names[TT_RELATIONS] = {
    "next to", "left of", "right of", "above", "below"};
const char *const tt_level_names[TT_LIGHT_LEVELS] = {"off", "on", "dim"};
const float tt_level_brightness[TT_LIGHT_LEVELS] = {
    TT_BRIGHTNESS_OFF, TT_BRIGHTNESS_ON, TT_BRIGHTNESS_DIM};

const tt_word_value tt_colour_words[] = {
    {"red", PAN_COLOUR_RED},       {"green", PAN_COLOUR_GREEN},
    {"blue", PAN_COLOUR_BLUE},     {"yellow", PAN_COLOUR_YELLOW},
    {"purple", PAN_COLOUR_PURPLE}, {"violet", PAN_COLOUR_PURPLE},
    {"orange", PAN_COLOUR_ORANGE}, {NULL, 0}};

const tt_word_value tt_shape_words[] = {
    {"square", PAN_SHAPE_SQUARE},     {"box", PAN_SHAPE_SQUARE},
    {"circle", PAN_SHAPE_CIRCLE},     {"ball", PAN_SHAPE_CIRCLE},
    {"disc", PAN_SHAPE_CIRCLE},       {"disk", PAN_SHAPE_CIRCLE},
    {"triangle", PAN_SHAPE_TRIANGLE}, {NULL, 0}};

/* Movement verbs; the value is the distance in cells when none is given. */
const tt_word_value tt_verb_words[] = {
    {"move", 2},  {"push", 2}, {"slide", 2}, {"shift", 2}, {"nudge", 1},
    {"drag", 2},  {"pull", 2}, {"scoot", 2}, {NULL, 0}};
