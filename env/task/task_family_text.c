/* env/task/task_family_text.c: the words of the structured goal families
 * (env/task.h, docs/env.md "Structured goal families"): canonical texts,
 * their parser, the "structured: <family>" specs and the field checks.
 *
 * Canonical texts state the goal (parsed back in any casing, spacing and
 * punctuation; the imperative "put the red circle next to ..." stays what
 * it was, a world action and not a task):
 *   relation  "the red circle is next to the green triangle"
 *             (next to | to the left of | to the right of | above | below;
 *             "left of" / "right of" without "to the" are accepted)
 *   group     "all the red objects are together"
 *   line      "the red circle, the green triangle and the blue square are
 *             in a row" (row | column)
 *   landmark  "the camera is at the red circle" (rooms)
 * The place family keeps its own parser and words (task_place.c). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "env/tabletop/tabletop.h"
#include "env/task/task_internal.h"

#define MAX_WORDS 24
#define WORD_MAX 16

static const char *const relation_words[PAN_RELATION_COUNT] = {
    "next to", "to the left of", "to the right of", "above", "below"};
static const char *const axis_words[PAN_LINE_AXIS_COUNT] = {"row", "column"};

static const char *const family_names[PAN_TASK_KIND_COUNT] = {
    "none", "place", "goal latent", "relation", "group", "line", "landmark"};

const char *pan_task_kind_name(int kind) {
    return kind >= 0 && kind < PAN_TASK_KIND_COUNT ? family_names[kind] : "?";
}

bool task_family_of_world(int kind, task_world world) {
    if (world == TASK_WORLD_ROOMS) return kind == PAN_TASK_LANDMARK;
    return kind == PAN_TASK_PLACE || kind == PAN_TASK_RELATION ||
           kind == PAN_TASK_GROUP || kind == PAN_TASK_LINE;
}

void task_family_text(pan_goal *g) {
    const char *const *cn = tt_colour_names, *const *sn = tt_shape_names;
    switch (g->kind) {
    case PAN_TASK_RELATION:
        snprintf(g->text, sizeof g->text, "the %s %s is %s the %s %s",
                 cn[g->colour], sn[g->shape], relation_words[g->relation],
                 cn[g->colour2], sn[g->shape2]);
        break;
    case PAN_TASK_GROUP:
        snprintf(g->text, sizeof g->text, "all the %s objects are together",
                 cn[g->colour]);
        break;
    case PAN_TASK_LINE:
        snprintf(g->text, sizeof g->text,
                 "the %s %s, the %s %s and the %s %s are in a %s",
                 cn[g->colour], sn[g->shape], cn[g->colour2], sn[g->shape2],
                 cn[g->colour3], sn[g->shape3], axis_words[g->relation]);
        break;
    case PAN_TASK_LANDMARK:
        snprintf(g->text, sizeof g->text, "the camera is at the %s %s",
                 cn[g->colour],
                 sn[g->shape]);
        break;
    default:
        break;
    }
}

static bool bad_pair(int colour, int shape) {
    return colour < 0 || colour >= PAN_COLOUR_COUNT || shape < 0 ||
           shape >= PAN_SHAPE_COUNT;
}

pan_status task_family_check(const pan_goal *g, const char *where) {
    bool bad = false;
    switch (g->kind) {
    case PAN_TASK_RELATION:
        bad = bad_pair(g->colour, g->shape) || bad_pair(g->colour2, g->shape2) ||
              g->relation < 0 || g->relation >= PAN_RELATION_COUNT ||
              (g->colour == g->colour2 && g->shape == g->shape2);
        break;
    case PAN_TASK_GROUP:
        bad = g->colour < 0 || g->colour >= PAN_COLOUR_COUNT;
        break;
    case PAN_TASK_LINE:
        bad = bad_pair(g->colour, g->shape) || bad_pair(g->colour2, g->shape2) ||
              bad_pair(g->colour3, g->shape3) || g->relation < 0 ||
              g->relation >= PAN_LINE_AXIS_COUNT ||
              (g->colour == g->colour2 && g->shape == g->shape2) ||
              (g->colour == g->colour3 && g->shape == g->shape3) ||
              (g->colour2 == g->colour3 && g->shape2 == g->shape3);
        break;
    case PAN_TASK_LANDMARK:
        bad = bad_pair(g->colour, g->shape);
        break;
    default:
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: goal kind %d is not a structured family "
                             "(relation %d, group %d, line %d, landmark %d)",
                             where, (int)g->kind, PAN_TASK_RELATION,
                             PAN_TASK_GROUP, PAN_TASK_LINE, PAN_TASK_LANDMARK);
    }
    if (bad)
        return pan_error_set(
            PAN_ERR_INVALID_ARGUMENT,
            "%s: %s goal with objects (%d, %d), (%d, %d), (%d, %d) and "
            "relation/axis %d: expected colours 0..%d and shapes 0..%d of "
            "distinct objects, relation 0..%d or axis 0..%d",
            where, pan_task_kind_name(g->kind), (int)g->colour, (int)g->shape,
            (int)g->colour2, (int)g->shape2, (int)g->colour3, (int)g->shape3,
            (int)g->relation, PAN_COLOUR_COUNT - 1, PAN_SHAPE_COUNT - 1,
            PAN_RELATION_COUNT - 1, PAN_LINE_AXIS_COUNT - 1);
    return PAN_OK;
}

/* ---- words ------------------------------------------------------------- */

typedef struct words {
    int n;
    char w[MAX_WORDS][WORD_MAX];
    int at; /* cursor of the matcher */
} words;

/* Lower-case letter runs of text; false when there are too many or one is
 * too long. */
static bool split_words(const char *text, words *out) {
    out->n = out->at = 0;
    for (const char *p = text; *p;) {
        if (!isalpha((unsigned char)*p)) {
            p++;
            continue;
        }
        if (out->n == MAX_WORDS) return false;
        int len = 0;
        while (isalpha((unsigned char)*p)) {
            if (len == WORD_MAX - 1) return false;
            out->w[out->n][len++] = (char)tolower((unsigned char)*p++);
        }
        out->w[out->n++][len] = '\0';
    }
    return true;
}

/* Consumes the space-separated words of `phrase` if they come next. */
static bool take(words *ws, const char *phrase) {
    int at = ws->at;
    char buf[64];
    snprintf(buf, sizeof buf, "%s", phrase);
    for (char *tok = strtok(buf, " "); tok; tok = strtok(NULL, " ")) {
        if (at >= ws->n || strcmp(ws->w[at], tok) != 0) return false;
        at++;
    }
    ws->at = at;
    return true;
}

static int take_index(words *ws, const char *const *names, int count) {
    if (ws->at >= ws->n) return -1;
    for (int i = 0; i < count; i++)
        if (strcmp(ws->w[ws->at], names[i]) == 0) {
            ws->at++;
            return i;
        }
    return -1;
}

/* "the <colour> <shape>" */
static bool take_object(words *ws, int32_t *colour, int32_t *shape) {
    if (!take(ws, "the")) return false;
    int c = take_index(ws, tt_colour_names, PAN_COLOUR_COUNT);
    int s = c < 0 ? -1 : take_index(ws, tt_shape_names, PAN_SHAPE_COUNT);
    if (s < 0) return false;
    *colour = c, *shape = s;
    return true;
}

static bool parse_relation(words *ws, pan_goal *g) {
    ws->at = 0;
    if (!take_object(ws, &g->colour, &g->shape) || !take(ws, "is"))
        return false;
    static const struct { const char *words; int rel; } forms[] = {
        {"next to", PAN_RELATION_NEXT_TO},
        {"to the left of", PAN_RELATION_LEFT_OF},
        {"left of", PAN_RELATION_LEFT_OF},
        {"to the right of", PAN_RELATION_RIGHT_OF},
        {"right of", PAN_RELATION_RIGHT_OF},
        {"above", PAN_RELATION_ABOVE},
        {"below", PAN_RELATION_BELOW}};
    g->relation = -1;
    for (size_t i = 0; i < sizeof forms / sizeof forms[0] && g->relation < 0;
         i++)
        if (take(ws, forms[i].words)) g->relation = forms[i].rel;
    if (g->relation < 0 || !take_object(ws, &g->colour2, &g->shape2))
        return false;
    g->kind = PAN_TASK_RELATION;
    return ws->at == ws->n;
}

static bool parse_group(words *ws, pan_goal *g) {
    ws->at = 0;
    (void)take(ws, "all");
    if (!take(ws, "the")) return false;
    g->colour = take_index(ws, tt_colour_names, PAN_COLOUR_COUNT);
    if (g->colour < 0 || !take(ws, "objects are together")) return false;
    g->shape = -1;
    g->kind = PAN_TASK_GROUP;
    return ws->at == ws->n;
}

static bool parse_line(words *ws, pan_goal *g) {
    ws->at = 0;
    if (!take_object(ws, &g->colour, &g->shape) ||
        !take_object(ws, &g->colour2, &g->shape2) || !take(ws, "and") ||
        !take_object(ws, &g->colour3, &g->shape3) || !take(ws, "are in a"))
        return false;
    g->relation = take_index(ws, axis_words, PAN_LINE_AXIS_COUNT);
    g->kind = PAN_TASK_LINE;
    return g->relation >= 0 && ws->at == ws->n;
}

static bool parse_landmark(words *ws, pan_goal *g) {
    ws->at = 0;
    if (!take(ws, "the camera is at") ||
        !take_object(ws, &g->colour, &g->shape))
        return false;
    g->kind = PAN_TASK_LANDMARK;
    return ws->at == ws->n;
}

#define TABLETOP_ACCEPTED                                                      \
    "\"the <colour> <shape> is next to / to the left of / to the right of / " \
    "above / below the <colour> <shape>\", \"all the <colour> objects are "   \
    "together\", \"the <colour> <shape>, the <colour> <shape> and the "       \
    "<colour> <shape> are in a row/column\""
#define ROOMS_ACCEPTED "\"the camera is at the <colour> <shape>\""

pan_status task_family_parse(const char *text, task_world world,
                             pan_goal *goal) {
    words ws;
    const pan_goal blank = {.kind = PAN_TASK_NONE, .place = -1, .relation = -1,
                            .colour2 = -1, .shape2 = -1, .colour3 = -1,
                            .shape3 = -1};
    pan_goal g = blank;
    bool (*const parsers[])(words *, pan_goal *) = {
        parse_relation, parse_group, parse_line, parse_landmark};
    bool ok = false;
    if (split_words(text, &ws))
        for (int i = 0; i < 4 && !ok; i++) {
            if ((world == TASK_WORLD_ROOMS) != (i == 3)) continue;
            g = blank;
            ok = parsers[i](&ws, &g);
        }
    if (!ok)
        return pan_error_set(
            PAN_ERR_INVALID_ARGUMENT,
            "task '%.64s' is not a structured %s goal; expected %s "
            "(colour: red green blue yellow purple orange; shape: square "
            "circle triangle)",
            text, world == TASK_WORLD_ROOMS ? "rooms" : "tabletop",
            world == TASK_WORLD_ROOMS ? ROOMS_ACCEPTED : TABLETOP_ACCEPTED);
    pan_status st = task_family_check(&g, "task");
    if (st != PAN_OK)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "task '%.64s': a %s goal must name distinct "
                             "objects", text, pan_task_kind_name(g.kind));
    task_family_text(&g);
    *goal = g;
    return PAN_OK;
}

bool task_structured_spec(const char *text, task_world world, int *family,
                          pan_status *status) {
    *status = PAN_OK;
    while (*text && isspace((unsigned char)*text)) text++;
    static const char prefix[] = "structured:";
    for (size_t i = 0; i < sizeof prefix - 1; i++)
        if (tolower((unsigned char)text[i]) != prefix[i]) return false;
    words ws;
    if (split_words(text + sizeof prefix - 1, &ws) && ws.n == 1) {
        if (strcmp(ws.w[0], "random") == 0) {
            *family = PAN_TASK_NONE;
            return true;
        }
        for (int k = PAN_TASK_PLACE; k < PAN_TASK_KIND_COUNT; k++)
            if (task_family_of_world(k, world) &&
                strcmp(ws.w[0], family_names[k]) == 0) {
                *family = k;
                return true;
            }
    }
    *status = pan_error_set(
        PAN_ERR_INVALID_ARGUMENT,
        "task '%.64s': expected \"structured: <family>\" with <family> one "
        "of %s", text,
        world == TASK_WORLD_ROOMS ? "random, landmark (rooms)"
                                  : "random, place, relation, group, line "
                                    "(tabletop)");
    return true;
}
