/* env/rooms/rooms_sample.c: random action texts for the rooms world.
 *
 * rooms_sample_template writes one paraphrase of a template: random verb
 * and direction synonyms, distance 1..10 as digits or words (or none),
 * optional unit, then optional politeness, end punctuation and casing.
 * rooms_sample_action picks a template, samples it and parses the result
 * with the world's own parser, redrawing until the text belongs to the
 * requested split (PAN_SPLIT_TRAIN: nothing held out; PAN_SPLIT_HELDOUT:
 * the template or a combination is held out; PAN_SPLIT_ANY: anything), so
 * the sampler and the parser can never disagree about the split.
 * Every draw comes from *rng (splitmix64): same rng, same texts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "env/rooms/rooms.h"

#define PICK(rng, list) list[rooms_rng_below(rng, (int)(sizeof list / sizeof list[0]))]

static const char *const number_words[] = {"zero", "one", "two",   "three",
                                           "four", "five", "six",  "seven",
                                           "eight", "nine", "ten"};
static const char *const move_verbs[] = {"go",      "move", "walk",
                                         "head",    "travel", "proceed",
                                         "run",     "march", "stroll"};
static const char *const units_plural[] = {"steps", "cells", "squares",
                                           "tiles", "spaces", "paces",
                                           "blocks", "units"};
static const char *const units_single[] = {"step", "cell", "square",
                                           "tile", "space", "pace",
                                           "block", "unit"};
static const char *const toward[] = {"to the", "towards the", "toward the",
                                     "to", "towards"};

typedef struct text {
    char *buf;
    size_t size, length;
} text;

static void add(text *t, const char *fmt, ...) {
    if (t->length + 1 >= t->size) return;
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(t->buf + t->length, t->size - t->length, fmt, args);
    va_end(args);
    if (n > 0) {
        t->length += (size_t)n;
        if (t->length >= t->size) t->length = t->size - 1;
    }
}

static const char *dir_word(uint64_t *rng, int dir) {
    static const char *const plain[4] = {"north", "east", "south", "west"};
    static const char *const ward[4] = {"northward", "eastward", "southward",
                                        "westward"};
    static const char *const wards[4] = {"northwards", "eastwards",
                                         "southwards", "westwards"};
    int r = rooms_rng_below(rng, 20);
    if (r < 14) return plain[dir];
    if (r < 16) return ward[dir];
    if (r < 18) return wards[dir];
    if (dir == ROOMS_NORTH) return "up";
    if (dir == ROOMS_SOUTH) return "down";
    return plain[dir];
}

static void add_number(text *t, uint64_t *rng, int n) {
    if (rooms_rng_below(rng, 2))
        add(t, " %d", n);
    else
        add(t, " %s", number_words[n]);
}

static void add_unit(text *t, uint64_t *rng, int n) {
    int i = rooms_rng_below(rng, (int)(sizeof units_plural / sizeof units_plural[0]));
    add(t, " %s", n == 1 ? units_single[i] : units_plural[i]);
}

/* " [n [unit]]" with n drawn in 1..10. */
static void add_optional_distance(text *t, uint64_t *rng) {
    if (rooms_rng_below(rng, 10) < 3) return;
    int n = 1 + rooms_rng_below(rng, ROOMS_MAX_DISTANCE);
    add_number(t, rng, n);
    if (rooms_rng_below(rng, 2)) add_unit(t, rng, n);
}

/* "a step" / "one step" / "3 steps" for the take templates. */
static void add_count_unit(text *t, uint64_t *rng) {
    int n = 1 + rooms_rng_below(rng, ROOMS_MAX_DISTANCE);
    if (n == 1 && rooms_rng_below(rng, 2))
        add(t, " a");
    else
        add_number(t, rng, n);
    add_unit(t, rng, n);
}

static void sample_body(int template_id, uint64_t *rng, text *t) {
    int dir = rooms_rng_below(rng, 4);
    int form = rooms_rng_below(rng, 100);
    switch (template_id) {
    case ROOMS_T_GO_DIR:
        add(t, "%s %s", PICK(rng, move_verbs), dir_word(rng, dir));
        if (form < 15) {
            int n = 1 + rooms_rng_below(rng, ROOMS_MAX_DISTANCE);
            add(t, " for");
            add_number(t, rng, n);
            add_unit(t, rng, n);
        } else {
            add_optional_distance(t, rng);
        }
        break;
    case ROOMS_T_GO_N_DIR: {
        int n = 1 + rooms_rng_below(rng, ROOMS_MAX_DISTANCE);
        add(t, "%s", PICK(rng, move_verbs));
        add_number(t, rng, n);
        if (form < 70) add_unit(t, rng, n);
        if (rooms_rng_below(rng, 2)) add(t, " %s", PICK(rng, toward));
        add(t, " %s", dir_word(rng, dir));
        break;
    }
    case ROOMS_T_GO_TO_THE: {
        static const char *const to[] = {"to the", "towards the",
                                         "toward the", "towards", "to"};
        add(t, "%s %s %s", PICK(rng, move_verbs), PICK(rng, to),
            dir_word(rng, dir));
        if (rooms_rng_below(rng, 2)) {
            int n = 1 + rooms_rng_below(rng, ROOMS_MAX_DISTANCE);
            if (rooms_rng_below(rng, 2)) add(t, " for");
            add_number(t, rng, n);
            if (rooms_rng_below(rng, 2)) add_unit(t, rng, n);
        }
        break;
    }
    case ROOMS_T_STEP_DIR:
        if (form < 60) {
            add(t, "step%s %s", rooms_rng_below(rng, 3) ? "" : " to the",
                dir_word(rng, dir));
            if (form < 20) {
                int n = 1 + rooms_rng_below(rng, ROOMS_MAX_DISTANCE);
                add_number(t, rng, n);
                add(t, " %s", n == 1 ? "time" : "times");
            }
        } else {
            int n = 1 + rooms_rng_below(rng, ROOMS_MAX_DISTANCE);
            add(t, "step");
            add_number(t, rng, n);
            add_unit(t, rng, n);
            add(t, " %s", dir_word(rng, dir));
        }
        break;
    case ROOMS_T_TAKE_STEPS:
        add(t, "take");
        add_count_unit(t, rng);
        if (rooms_rng_below(rng, 3) == 0) add(t, " %s", PICK(rng, toward));
        add(t, " %s", dir_word(rng, dir));
        break;
    case ROOMS_T_FORWARD: {
        static const char *const verbs[] = {"go", "move", "walk", "step",
                                            "head", "proceed", "run",
                                            "march", "stroll", "travel"};
        static const char *const words[] = {"forward", "forwards", "ahead",
                                            "onward", "onwards"};
        if (form < 55) {
            add(t, "%s %s", PICK(rng, verbs), PICK(rng, words));
            add_optional_distance(t, rng);
        } else if (form < 70) {
            add(t, "%s straight%s", PICK(rng, verbs),
                rooms_rng_below(rng, 2) ? " ahead" : "");
            add_optional_distance(t, rng);
        } else if (form < 85) {
            int n = 1 + rooms_rng_below(rng, ROOMS_MAX_DISTANCE);
            add(t, "%s", PICK(rng, verbs));
            add_number(t, rng, n);
            add_unit(t, rng, n);
            add(t, " %s", rooms_rng_below(rng, 2) ? "forward" : "ahead");
        } else {
            add(t, "advance");
            add_optional_distance(t, rng);
        }
        break;
    }
    case ROOMS_T_BACK: {
        static const char *const verbs[] = {"go", "move", "walk", "step",
                                            "head", "run", "travel"};
        static const char *const words[] = {"back", "backward", "backwards"};
        if (form < 55) {
            add(t, "%s %s", PICK(rng, verbs), PICK(rng, words));
            add_optional_distance(t, rng);
        } else if (form < 70) {
            int n = 1 + rooms_rng_below(rng, ROOMS_MAX_DISTANCE);
            add(t, "%s", PICK(rng, verbs));
            add_number(t, rng, n);
            add_unit(t, rng, n);
            add(t, " %s", PICK(rng, words));
        } else if (form < 85) {
            add(t, "back up");
            add_optional_distance(t, rng);
        } else {
            add(t, "%s", rooms_rng_below(rng, 2) ? "reverse" : "retreat");
            add_optional_distance(t, rng);
        }
        break;
    }
    case ROOMS_T_TURN_LR: {
        static const char *const verbs[] = {"turn", "rotate", "spin", "pivot",
                                            "swing"};
        static const char *const to[] = {"", " to the", " to your", " to"};
        const char *lr = rooms_rng_below(rng, 2) ? "left" : "right";
        if (form < 70)
            add(t, "%s%s %s%s", PICK(rng, verbs), PICK(rng, to), lr,
                rooms_rng_below(rng, 5) ? "" : " 90 degrees");
        else if (form < 80)
            add(t, "%s 90 degrees %s", rooms_rng_below(rng, 2) ? "turn" : "rotate",
                lr);
        else if (form < 92)
            add(t, "%s a %s%s",
                rooms_rng_below(rng, 2) ? "make" : rooms_rng_below(rng, 2) ? "take" : "hang",
                lr, rooms_rng_below(rng, 2) ? " turn" : "");
        else
            add(t, "%s turn", lr);
        break;
    }
    case ROOMS_T_TURN_AROUND: {
        static const char *const phrases[] = {
            "turn around", "turn round",   "spin around",   "swing around",
            "wheel around", "rotate around", "turn yourself around",
            "about face",  "about turn",   "u-turn",        "make a u-turn",
            "do a u turn", "turn 180 degrees", "rotate 180", "do a 180",
            "turn back",   "face the other way", "turn the other way"};
        add(t, "%s", PICK(rng, phrases));
        break;
    }
    case ROOMS_T_STAY: {
        static const char *const phrases[] = {
            "stay",          "wait",           "stay put",
            "stay here",     "stay still",     "remain here",
            "remain in place", "stay where you are", "wait here",
            "wait a moment", "wait for a bit", "wait a second",
            "do nothing",    "stand still",    "hold position",
            "hold your position", "hold still", "don't move",
            "pause",         "idle",           "rest",
            "stop"};
        add(t, "%s", PICK(rng, phrases));
        break;
    }
    case ROOMS_T_FACE: {
        static const char *const verbs[] = {"face", "look", "turn",
                                            "turn to face", "rotate",
                                            "orient yourself"};
        static const char *const to[] = {"", " to the", " towards the",
                                         " towards"};
        const char *verb = PICK(rng, verbs);
        const char *prep = PICK(rng, to);
        if (strcmp(verb, "turn to face") == 0)
            prep = rooms_rng_below(rng, 2) ? " the" : "";
        /* "up"/"down" read oddly after face/look: plain names only. */
        static const char *const plain[4] = {"north", "east", "south", "west"};
        add(t, "%s%s %s", verb, prep, plain[dir]);
        break;
    }
    case ROOMS_T_BARE_DIR:
        if (form < 60) {
            add(t, "%s", dir_word(rng, dir));
            add_optional_distance(t, rng);
        } else {
            int n = 1 + rooms_rng_below(rng, ROOMS_MAX_DISTANCE);
            add(t, "%d", n);
            if (rooms_rng_below(rng, 2)) add_unit(t, rng, n);
            if (rooms_rng_below(rng, 3) == 0) add(t, " to the");
            add(t, " %s", dir_word(rng, dir));
        }
        break;
    case ROOMS_T_DIR_FIRST: {
        static const char *const lead[] = {"", "to the ", "towards the ",
                                           "toward the "};
        add(t, "%s%s, %s", PICK(rng, lead), dir_word(rng, dir),
            PICK(rng, move_verbs));
        add_optional_distance(t, rng);
        break;
    }
    case ROOMS_T_TAKE_REL: {
        static const char *const rel[] = {"", " forward", " forwards",
                                          " ahead", " back", " backward",
                                          " backwards"};
        add(t, "take");
        add_count_unit(t, rng);
        add(t, "%s", PICK(rng, rel));
        break;
    }
    default: add(t, "wait"); break;
    }
}

/* Politeness, punctuation and casing around a body. */
static void decorate(uint64_t *rng, const char *body, char *buf,
                     size_t size) {
    static const char *const prefixes[] = {"please ", "kindly ",
                                           "could you ", "can you ",
                                           "let's ", "ok, ", "now ",
                                           "would you please ",
                                           "i want you to "};
    static const char *const suffixes[] = {", please", " please",
                                           " now", ", thanks",
                                           " thank you", " for me"};
    static const char *const ends[] = {"", "", "", ".", "!", "..."};
    text t = {buf, size, 0};
    buf[0] = '\0';
    int polite = rooms_rng_below(rng, 100);
    const char *prefix = "", *suffix = "", *end = PICK(rng, ends);
    if (polite < 15)
        prefix = PICK(rng, prefixes);
    else if (polite < 25)
        suffix = PICK(rng, suffixes);
    if (strncmp(prefix, "could", 5) == 0 || strncmp(prefix, "can", 3) == 0 ||
        strncmp(prefix, "would", 5) == 0)
        end = "?";
    add(&t, "%s%s%s%s", prefix, body, suffix, end);
    int casing = rooms_rng_below(rng, 100);
    if (casing < 70) return;
    for (size_t i = 0; buf[i]; i++) {
        char c = buf[i];
        bool lower = c >= 'a' && c <= 'z';
        bool word_start = i == 0 || buf[i - 1] == ' ';
        if (lower && (casing >= 88 || (casing >= 80 && word_start) ||
                      (casing < 80 && i == 0)))
            buf[i] = (char)(c - 'a' + 'A');
    }
}

void rooms_sample_template(int template_id, uint64_t *rng, char *buf,
                           size_t size) {
    char body[PAN_WORLD_ACTION_MAX + 1];
    text t = {body, sizeof body, 0};
    body[0] = '\0';
    sample_body(template_id, rng, &t);
    decorate(rng, body, buf, size);
}

void rooms_sample_action(const pan_world *w, uint64_t *rng, pan_split split,
                         char *buf, size_t size) {
    for (int attempt = 0; attempt < 1000; attempt++) {
        int template_id = rooms_rng_below(rng, ROOMS_TEMPLATE_COUNT);
        /* Held-out draws favour the held-out templates half of the time. */
        if (split == PAN_SPLIT_HELDOUT && rooms_rng_below(rng, 2))
            template_id = rooms_rng_below(rng, 2) ? ROOMS_T_BARE_DIR
                                                  : ROOMS_T_DIR_FIRST;
        rooms_sample_template(template_id, rng, buf, size);
        pan_action_result result;
        rooms_action action;
        memset(&result, 0, sizeof result);
        rooms_parse_text(buf, &result, &action);
        if (!result.understood) continue;
        if (split == PAN_SPLIT_TRAIN && result.heldout) continue;
        if (split == PAN_SPLIT_HELDOUT && !result.heldout) continue;
        return;
    }
    /* Unreachable in practice (the test samples 10k of each split). */
    snprintf(buf, size, "%s", split == PAN_SPLIT_HELDOUT ? "north 7" : "wait");
}
