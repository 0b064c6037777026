/* env/rooms/rooms_parse.c: free text -> rooms_action, and the held-out
 * split rules.
 *
 * The text is split into lower-case words (env/action_text.h), politeness
 * is stripped ("please", "could you", "thank you", ...), and the words are
 * matched against the pattern table below, in order; the first pattern
 * that matches ALL the words wins. Pattern tokens:
 *   word|word   one of these literal words
 *   [ ... ]     optional group (may nest)
 *   {dir}       north/south/east/west (+ -ward, -wards), up (= north),
 *               down (= south)
 *   {n}         a number, digits or words (0..999, zero..twenty), or
 *               once / twice / thrice
 *   {a}         a number or "a"/"an" (= 1)
 *   {unit}      step(s), cell(s), square(s), tile(s), space(s), ...
 *   {mverb}     go, move, walk, head, travel, proceed, run, march, stroll
 *   {fverb}     {mverb} or step
 *   {lr}        left or right
 *   {rel}       forward words (+1) or back words (-1)
 * Distances must be 1..ROOMS_MAX_DISTANCE cells; a missing number is 1.
 * The movement verb of an action is the first verb word of the text.
 */
#include <stdio.h>
#include <string.h>

#include "env/rooms/rooms.h"

const char *const rooms_dir_names[4] = {"north", "east", "south", "west"};

const char *const rooms_verb_names[ROOMS_VERB_COUNT] = {
    "go", "move", "walk", "head", "travel", "proceed", "run", "march",
    "stroll", "step", "take", "advance", "reverse", "back", "turn", "rotate",
    "spin", "pivot", "face", "look"};

typedef struct pattern {
    int template_id;
    const char *text;
} pattern;

static const pattern patterns[] = {
    {ROOMS_T_GO_DIR, "{mverb} {dir} [[by|for] {n} [{unit}]]"},
    {ROOMS_T_GO_N_DIR, "{mverb} {n} [{unit}] [to|towards|toward] [the] {dir}"},
    {ROOMS_T_GO_TO_THE,
     "{mverb} to|towards|toward [the] {dir} [[by|for] {n} [{unit}]]"},
    {ROOMS_T_STEP_DIR,
     "step [to|towards|toward] [the] {dir} [[by|for] {n} [{unit}]]"},
    {ROOMS_T_STEP_DIR, "step {n} [{unit}] [to|towards|toward] [the] {dir}"},
    {ROOMS_T_TAKE_STEPS, "take {a} {unit} [to|towards|toward] [the] {dir}"},
    {ROOMS_T_FORWARD,
     "{fverb} forward|forwards|ahead|onward|onwards [[by|for] {n} [{unit}]]"},
    {ROOMS_T_FORWARD, "{fverb} straight [ahead] [[by|for] {n} [{unit}]]"},
    {ROOMS_T_FORWARD, "{fverb} {n} [{unit}] forward|forwards|ahead"},
    {ROOMS_T_FORWARD, "advance [[by] {n} [{unit}]]"},
    {ROOMS_T_BACK,
     "{fverb} back|backward|backwards [[by|for] {n} [{unit}]]"},
    {ROOMS_T_BACK, "{fverb} {n} [{unit}] back|backward|backwards"},
    {ROOMS_T_BACK, "back up [[by] {n} [{unit}]]"},
    {ROOMS_T_BACK, "reverse|retreat [[by] {n} [{unit}]]"},
    {ROOMS_T_TURN_LR, "turn|rotate|spin|pivot|swing [to] [the|your] {lr} "
                      "[90 [degrees]]"},
    {ROOMS_T_TURN_LR, "turn|rotate 90 [degrees] [to] [the|your] {lr}"},
    {ROOMS_T_TURN_LR, "make|take|hang a {lr} [turn]"},
    {ROOMS_T_TURN_LR, "{lr} turn"},
    {ROOMS_T_TURN_AROUND,
     "turn|spin|swing|wheel|rotate [yourself] [all] around|round|about"},
    {ROOMS_T_TURN_AROUND, "turn|rotate|spin 180 [degrees]"},
    {ROOMS_T_TURN_AROUND, "turn back"},
    {ROOMS_T_TURN_AROUND, "about face|turn"},
    {ROOMS_T_TURN_AROUND, "[make|do] [a] u turn"},
    {ROOMS_T_TURN_AROUND, "do a 180"},
    {ROOMS_T_TURN_AROUND, "face|turn the other way"},
    {ROOMS_T_STAY, "stay|remain [put|here|still|there]"},
    {ROOMS_T_STAY, "stay|remain|wait in place"},
    {ROOMS_T_STAY, "stay|remain|wait where you are"},
    {ROOMS_T_STAY, "wait [here|there]"},
    {ROOMS_T_STAY, "wait [for] a bit|moment|second|while|minute"},
    {ROOMS_T_STAY, "do nothing"},
    {ROOMS_T_STAY, "stand still|there|here"},
    {ROOMS_T_STAY, "hold [your|the] position|still"},
    {ROOMS_T_STAY, "hold on"},
    {ROOMS_T_STAY, "don t|dont move"},
    {ROOMS_T_STAY, "pause|idle|rest|stop"},
    {ROOMS_T_FACE, "face|look|rotate [to|towards|toward] [the] {dir}"},
    {ROOMS_T_FACE, "turn [to|towards|toward] [the] {dir}"},
    {ROOMS_T_FACE, "turn to face [the] {dir}"},
    {ROOMS_T_FACE, "orient [yourself] [to|towards|toward] [the] {dir}"},
    {ROOMS_T_BARE_DIR, "{dir} [[by|for] {n} [{unit}]]"},
    {ROOMS_T_BARE_DIR, "{n} [{unit}] [to|towards|toward] [the] {dir}"},
    {ROOMS_T_DIR_FIRST, "[to|towards|toward] [the] {dir} {mverb} "
                        "[[by|for] {n} [{unit}]]"},
    {ROOMS_T_TAKE_REL, "take {a} {unit} [{rel}]"},
};
#define PATTERN_COUNT ((int)(sizeof patterns / sizeof patterns[0]))

/* Held-out (direction, distance) pairs: compass moves, then forward/back. */
static const int heldout_dir_distance[][2] = {
    {ROOMS_NORTH, 7}, {ROOMS_EAST, 5}, {ROOMS_SOUTH, 2}, {ROOMS_WEST, 4}};
static const int heldout_rel_distance[][2] = {{+1, 6}, {-1, 3}};
/* Held-out (verb, compass direction) pairs for compass moves. */
static const int heldout_verb_dir[][2] = {{ROOMS_VERB_WALK, ROOMS_WEST},
                                          {ROOMS_VERB_HEAD, ROOMS_SOUTH},
                                          {ROOMS_VERB_RUN, ROOMS_EAST},
                                          {ROOMS_VERB_STEP, ROOMS_NORTH}};
#define COUNT(a) ((int)(sizeof a / sizeof a[0]))

bool rooms_action_heldout(const rooms_action *a) {
    if (a->template_id == ROOMS_T_BARE_DIR ||
        a->template_id == ROOMS_T_DIR_FIRST)
        return true;
    if (a->kind == ROOMS_ACT_MOVE) {
        for (int i = 0; i < COUNT(heldout_dir_distance); i++)
            if (a->dir == heldout_dir_distance[i][0] &&
                a->distance == heldout_dir_distance[i][1])
                return true;
        for (int i = 0; i < COUNT(heldout_verb_dir); i++)
            if (a->verb == heldout_verb_dir[i][0] &&
                a->dir == heldout_verb_dir[i][1])
                return true;
    }
    if (a->kind == ROOMS_ACT_MOVE_REL) {
        for (int i = 0; i < COUNT(heldout_rel_distance); i++)
            if (a->sign == heldout_rel_distance[i][0] &&
                a->distance == heldout_rel_distance[i][1])
                return true;
        if (a->sign < 0 && a->verb == ROOMS_VERB_WALK) return true;
    }
    if (a->kind == ROOMS_ACT_TURN && a->verb == ROOMS_VERB_ROTATE &&
        a->turn == 1)
        return true;
    if (a->kind == ROOMS_ACT_FACE && a->verb == ROOMS_VERB_LOOK &&
        a->dir == ROOMS_EAST)
        return true;
    return false;
}

void rooms_action_canonical(const rooms_action *a, char *buf, size_t size) {
    static const char *const turns[4] = {"", "right", "around", "left"};
    switch (a->kind) {
    case ROOMS_ACT_MOVE:
        snprintf(buf, size, "go %s %d", rooms_dir_names[a->dir & 3],
                 a->distance);
        break;
    case ROOMS_ACT_MOVE_REL:
        snprintf(buf, size, "move %s %d", a->sign > 0 ? "forward" : "back",
                 a->distance);
        break;
    case ROOMS_ACT_TURN: snprintf(buf, size, "turn %s", turns[a->turn & 3]); break;
    case ROOMS_ACT_FACE:
        snprintf(buf, size, "face %s", rooms_dir_names[a->dir & 3]);
        break;
    default: snprintf(buf, size, "wait"); break;
    }
}

/* ---- word classes ---- */

static bool in_list(const char *word, const char *const *list) {
    for (int i = 0; list[i]; i++)
        if (strcmp(word, list[i]) == 0) return true;
    return false;
}

static int direction_of(const char *word) {
    static const char *const names[4][4] = {
        {"north", "northward", "northwards", "up"},
        {"east", "eastward", "eastwards", NULL},
        {"south", "southward", "southwards", "down"},
        {"west", "westward", "westwards", NULL}};
    for (int d = 0; d < 4; d++)
        for (int i = 0; i < 4; i++)
            if (names[d][i] && strcmp(word, names[d][i]) == 0) return d;
    return -1;
}

static const char *const unit_words[] = {
    "step", "steps", "cell", "cells", "square", "squares", "tile", "tiles",
    "space", "spaces", "pace", "paces", "unit", "units", "block", "blocks",
    "time", "times", NULL};
static const char *const move_verbs[] = {"go", "move", "walk", "head",
                                         "travel", "proceed", "run", "march",
                                         "stroll", NULL};
static const char *const forward_words[] = {"forward", "forwards", "ahead",
                                            "onward", "onwards", NULL};
static const char *const back_words[] = {"back", "backward", "backwards",
                                         NULL};

/* ---- the matcher ---- */

typedef struct captures {
    int dir, n, turn, sign;
} captures;

typedef struct token {
    const char *text;
    int length;
} token;

#define MAX_TOKENS 24

static int tokenize(const char *text, token *tokens) {
    int count = 0;
    for (const char *p = text; *p;) {
        while (*p == ' ') p++;
        if (!*p) break;
        const char *start = p;
        if (*p == '[' || *p == ']')
            p++;
        else
            while (*p && *p != ' ' && *p != '[' && *p != ']') p++;
        if (count < MAX_TOKENS)
            tokens[count++] = (token){start, (int)(p - start)};
    }
    return count;
}

static bool token_is(const token *t, const char *s) {
    return (int)strlen(s) == t->length && memcmp(t->text, s, (size_t)t->length) == 0;
}

/* True if word equals one of the '|'-separated alternatives of t. */
static bool literal_matches(const token *t, const char *word) {
    const char *p = t->text, *end = t->text + t->length;
    size_t length = strlen(word);
    while (p < end) {
        const char *bar = p;
        while (bar < end && *bar != '|') bar++;
        if ((size_t)(bar - p) == length && memcmp(p, word, length) == 0)
            return true;
        p = bar + 1;
    }
    return false;
}

/* Index of the ']' closing the '[' at open. */
static int closing(const token *tokens, int count, int open) {
    int depth = 0;
    for (int i = open; i < count; i++) {
        if (token_is(&tokens[i], "[")) depth++;
        if (token_is(&tokens[i], "]") && --depth == 0) return i;
    }
    return count;
}

/* pan_words_number plus once / twice / thrice. */
static int number_of(const char *word) {
    static const char *const times[] = {"once", "twice", "thrice"};
    for (int i = 0; i < 3; i++)
        if (strcmp(word, times[i]) == 0) return i + 1;
    return pan_words_number(word);
}

/* Matches one slot or literal token against one word; may set captures. */
static bool match_word(const token *t, const char *word, captures *c) {
    if (token_is(t, "{dir}")) {
        c->dir = direction_of(word);
        return c->dir >= 0;
    }
    if (token_is(t, "{n}")) {
        c->n = number_of(word);
        return c->n >= 0;
    }
    if (token_is(t, "{a}")) {
        c->n = (strcmp(word, "a") == 0 || strcmp(word, "an") == 0)
                   ? 1
                   : pan_words_number(word);
        return c->n >= 0;
    }
    if (token_is(t, "{unit}")) return in_list(word, unit_words);
    if (token_is(t, "{mverb}")) return in_list(word, move_verbs);
    if (token_is(t, "{fverb}"))
        return in_list(word, move_verbs) || strcmp(word, "step") == 0;
    if (token_is(t, "{lr}")) {
        c->turn = strcmp(word, "left") == 0 ? 3 : strcmp(word, "right") == 0 ? 1 : 0;
        return c->turn != 0;
    }
    if (token_is(t, "{rel}")) {
        c->sign = in_list(word, forward_words) ? 1
                  : in_list(word, back_words)  ? -1
                                               : 0;
        return c->sign != 0;
    }
    return literal_matches(t, word);
}

/* True if tokens[ti..] match words[wi..] exactly (backtracking over
 * optional groups); captures are only changed on success. */
static bool match_from(const token *tokens, int count, int ti,
                       const pan_words *w, int wi, captures *c) {
    if (ti == count) return wi == w->count;
    const token *t = &tokens[ti];
    if (token_is(t, "]")) return match_from(tokens, count, ti + 1, w, wi, c);
    if (token_is(t, "[")) {
        captures saved = *c;
        if (match_from(tokens, count, ti + 1, w, wi, c)) return true;
        *c = saved;
        return match_from(tokens, count, closing(tokens, count, ti) + 1, w,
                          wi, c);
    }
    if (wi >= w->count) return false;
    captures saved = *c;
    if (match_word(t, w->word[wi], c) &&
        match_from(tokens, count, ti + 1, w, wi + 1, c))
        return true;
    *c = saved;
    return false;
}

/* ---- politeness ---- */

static bool starts_with(const pan_words *w, const char *const *seq) {
    int i = 0;
    for (; seq[i]; i++)
        if (!pan_words_is(w, i, seq[i])) return false;
    return i < w->count; /* something must remain */
}

static void strip_politeness(pan_words *w) {
    static const char *const filler[] = {"please", "pls", "plz", "kindly",
                                         "just", "now", "thanks", NULL};
    for (int i = 0; i < w->count;)
        if (in_list(w->word[i], filler))
            pan_words_remove(w, i);
        else
            i++;
    static const char *const prefixes[][6] = {
        {"could", "you", NULL}, {"can", "you", NULL}, {"would", "you", NULL},
        {"will", "you", NULL}, {"i", "want", "you", "to", NULL},
        {"i", "d", "like", "you", "to", NULL},
        {"i", "would", "like", "you", "to", NULL}, {"you", "should", NULL},
        {"let", "s", NULL}, {"lets", NULL}, {"go", "ahead", "and", NULL},
        {"ok", NULL}, {"okay", NULL}, {"hey", NULL}, {"alright", NULL}};
    for (bool again = true; again;) {
        again = false;
        for (int p = 0; p < COUNT(prefixes); p++)
            if (starts_with(w, prefixes[p])) {
                for (int i = 0; prefixes[p][i]; i++) pan_words_remove(w, 0);
                again = true;
            }
    }
    if (w->count >= 3 && pan_words_is(w, w->count - 2, "thank") &&
        pan_words_is(w, w->count - 1, "you"))
        w->count -= 2;
    if (w->count >= 3 && pan_words_is(w, w->count - 2, "for") &&
        pan_words_is(w, w->count - 1, "me"))
        w->count -= 2;
}

/* ---- parse ---- */

static const char *const hint =
    "expected e.g. 'go north 3', 'move forward', 'turn left' or 'wait'";

static int first_verb(const pan_words *w) {
    for (int i = 0; i < w->count; i++)
        for (int v = 0; v < ROOMS_VERB_COUNT; v++)
            if (strcmp(w->word[i], rooms_verb_names[v]) == 0) return v;
    return ROOMS_VERB_NONE;
}

/* Marks result as not understood; the caller writes the message. */
static void not_understood(pan_action_result *result) {
    result->understood = false;
    result->kind = PAN_ACTION_NONE;
    result->heldout = false;
    result->template_id = -1;
    result->canonical[0] = '\0';
}

void rooms_parse_text(const char *text, pan_action_result *result,
                      rooms_action *action) {
    pan_words w;
    pan_words_split(text, &w);
    if (w.overflow) {
        not_understood(result);
        snprintf(result->message, sizeof result->message,
                 "not understood: too many or too long words; %s", hint);
        return;
    }
    strip_politeness(&w);
    if (w.count == 0) {
        not_understood(result);
        snprintf(result->message, sizeof result->message,
                 "not understood: empty action; %s", hint);
        return;
    }
    for (int p = 0; p < PATTERN_COUNT; p++) {
        token tokens[MAX_TOKENS];
        int count = tokenize(patterns[p].text, tokens);
        captures c = {.dir = -1, .n = -1, .turn = 0, .sign = 0};
        if (!match_from(tokens, count, 0, &w, 0, &c)) continue;
        rooms_action a = {.template_id = patterns[p].template_id,
                          .verb = first_verb(&w),
                          .dir = c.dir < 0 ? 0 : c.dir,
                          .distance = c.n < 0 ? 1 : c.n};
        switch (a.template_id) {
        case ROOMS_T_FORWARD: a.kind = ROOMS_ACT_MOVE_REL; a.sign = 1; break;
        case ROOMS_T_BACK: a.kind = ROOMS_ACT_MOVE_REL; a.sign = -1; break;
        case ROOMS_T_TAKE_REL:
            a.kind = ROOMS_ACT_MOVE_REL;
            a.sign = c.sign < 0 ? -1 : 1;
            break;
        case ROOMS_T_TURN_LR: a.kind = ROOMS_ACT_TURN; a.turn = c.turn; break;
        case ROOMS_T_TURN_AROUND: a.kind = ROOMS_ACT_TURN; a.turn = 2; break;
        case ROOMS_T_FACE: a.kind = ROOMS_ACT_FACE; break;
        case ROOMS_T_STAY: a.kind = ROOMS_ACT_STAY; break;
        default: a.kind = ROOMS_ACT_MOVE; break;
        }
        bool moves = a.kind == ROOMS_ACT_MOVE || a.kind == ROOMS_ACT_MOVE_REL;
        if (!moves) a.distance = 0;
        if (moves && (a.distance < 1 || a.distance > ROOMS_MAX_DISTANCE)) {
            not_understood(result);
            snprintf(result->message, sizeof result->message,
                     "not understood: distance %d is out of range 1..%d "
                     "cells",
                     a.distance, ROOMS_MAX_DISTANCE);
            return;
        }
        *action = a;
        result->understood = true;
        result->kind = a.kind == ROOMS_ACT_STAY ? PAN_ACTION_ENVIRONMENT
                                                : PAN_ACTION_AGENT;
        result->heldout = rooms_action_heldout(&a);
        result->template_id = a.template_id;
        rooms_action_canonical(&a, result->canonical,
                               sizeof result->canonical);
        result->message[0] = '\0';
        return;
    }
    bool sideways = false;
    for (int i = 0; i < w.count; i++)
        if (in_list(w.word[i], move_verbs) &&
            (pan_words_find(&w, i, "left") >= 0 ||
             pan_words_find(&w, i, "right") >= 0))
            sideways = true;
    not_understood(result);
    if (sideways)
        snprintf(result->message, sizeof result->message,
                 "not understood: the camera does not move sideways; turn "
                 "left/right, then move forward");
    else
        snprintf(result->message, sizeof result->message,
                 "not understood: %s", hint);
}
