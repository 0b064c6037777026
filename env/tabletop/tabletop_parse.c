/* env/tabletop/tabletop_parse.c: free text -> tabletop action.
 *
 * The text is split into lower-case words (env/action_text.h); politeness
 * ("please", "could you", "thanks" ...) is stripped from both ends; then the
 * templates of tabletop_templates.c are tried in order, each pattern by a
 * small backtracking matcher that must consume every word. The first match
 * is resolved against the current state (object references must name
 * exactly one visible object); a failed resolution is "not understood" with
 * the reason, never a fall-through to another template. */
#include <stdio.h>
#include <string.h>

#include "env/tabletop/tabletop.h"

void tt_slots_clear(tt_slots *s) {
    *s = (tt_slots){.colour = -1, .shape = -1, .colour2 = -1, .shape2 = -1,
                    .new_colour = -1, .new_shape = -1, .direction = -1,
                    .number = -1, .place = -1, .relation = -1, .level = -1,
                    .default_cells = 2};
}

/* ---- word helpers ---- */

static int lookup(const tt_word_value *table, const pan_words *w, int i) {
    if (i < 0 || i >= w->count) return -1;
    for (const tt_word_value *p = table; p->word; p++)
        if (strcmp(p->word, w->word[i]) == 0) return p->value;
    return -1;
}

static bool word_in(const pan_words *w, int i, const char *const *list) {
    if (i < 0 || i >= w->count) return false;
    for (const char *const *p = list; *p; p++)
        if (strcmp(*p, w->word[i]) == 0) return true;
    return false;
}

/* Number of words if `phrase` (space-separated) matches at i, else 0. */
static int phrase_at(const pan_words *w, int i, const char *phrase) {
    int n = 0;
    const char *p = phrase;
    while (*p) {
        const char *end = strchr(p, ' ');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (i + n >= w->count || strlen(w->word[i + n]) != len ||
            strncmp(w->word[i + n], p, len) != 0)
            return 0;
        n++;
        p += len;
        while (*p == ' ') p++;
    }
    return n;
}

/* ---- slots: each lists the ways it can match at word i ---- */

#define TT_MAX_CANDS 32

typedef struct tt_cand {
    int length;
    tt_slots slots;
} tt_cand;

typedef struct tt_cands {
    int count;
    tt_cand c[TT_MAX_CANDS];
} tt_cands;

static void add(tt_cands *out, int length, const tt_slots *s) {
    if (length > 0 && out->count < TT_MAX_CANDS)
        out->c[out->count++] = (tt_cand){length, *s};
}

static const char *const determiners[] = {"the", "that", "this", NULL};
static const char *const nouns[] = {"one", "object", "thing", "piece",
                                    "block", "shape", NULL};

/* $OBJ / $OBJ2: [the] colour [shape|one|...] | [the] shape. Longest first. */
static void slot_ref(const pan_words *w, int i, const tt_slots *in,
                     bool second, tt_cands *out) {
    for (int det = 1; det >= 0; det--) {
        if (det && !word_in(w, i, determiners)) continue;
        int j = i + det;
        int colour = lookup(tt_colour_words, w, j);
        int shape = lookup(tt_shape_words, w, j);
        tt_slots s = *in;
        int *cp = second ? &s.colour2 : &s.colour;
        int *sp = second ? &s.shape2 : &s.shape;
        if (colour >= 0) {
            int shape2 = lookup(tt_shape_words, w, j + 1);
            if (shape2 >= 0) {
                *cp = colour, *sp = shape2;
                add(out, j + 2 - i, &s);
            }
            if (word_in(w, j + 1, nouns)) {
                *cp = colour, *sp = -1;
                add(out, j + 2 - i, &s);
            }
            *cp = colour, *sp = -1;
            add(out, j + 1 - i, &s);
        } else if (shape >= 0) {
            *cp = -1, *sp = shape;
            add(out, j + 1 - i, &s);
        }
    }
}

static const char *const dir_prefixes[] = {
    "to the", "towards the", "toward the", "over to the", "over", "towards",
    "toward", ""};
static const tt_word_value dir_words[] = {
    {"left", TT_LEFT},        {"leftwards", TT_LEFT},  {"leftward", TT_LEFT},
    {"right", TT_RIGHT},      {"rightwards", TT_RIGHT}, {"rightward", TT_RIGHT},
    {"up", TT_UP},            {"upwards", TT_UP},      {"upward", TT_UP},
    {"down", TT_DOWN},        {"downwards", TT_DOWN},  {"downward", TT_DOWN},
    {NULL, 0}};

static void slot_dir(const pan_words *w, int i, const tt_slots *in,
                     tt_cands *out) {
    for (size_t p = 0; p < sizeof dir_prefixes / sizeof *dir_prefixes; p++) {
        int n = dir_prefixes[p][0] ? phrase_at(w, i, dir_prefixes[p]) : 0;
        if (dir_prefixes[p][0] && n == 0) continue;
        int d = lookup(dir_words, w, i + n);
        if (d < 0) continue;
        tt_slots s = *in;
        s.direction = d;
        add(out, n + 1, &s);
    }
}

static void slot_number(const pan_words *w, int i, const tt_slots *in,
                        tt_cands *out) {
    if (i >= w->count) return;
    int n = pan_words_number(w->word[i]);
    if (n < 0) return;
    tt_slots s = *in;
    s.number = n;
    add(out, 1, &s);
}

static const char *const units[] = {"cell",  "cells", "space", "spaces",
                                    "square", "squares", "step", "steps",
                                    "unit",  "units", "tile",  "tiles", NULL};

static void slot_times(const pan_words *w, int i, const tt_slots *in,
                       tt_cands *out) {
    static const tt_word_value times[] = {
        {"once", 1}, {"twice", 2}, {"thrice", 3}, {NULL, 0}};
    tt_slots s = *in;
    int t = lookup(times, w, i);
    if (t >= 0) {
        s.number = t;
        add(out, 1, &s);
        return;
    }
    int n = i < w->count ? pan_words_number(w->word[i]) : -1;
    if (n >= 0 && (pan_words_is(w, i + 1, "times") ||
                   pan_words_is(w, i + 1, "time"))) {
        s.number = n;
        add(out, 2, &s);
    }
}

static const char *const edge_nouns[] = {"edge", "side", "wall", "border",
                                         NULL};

/* $PLACE: [the] (top|upper|bottom|lower) (left|right) [corner]
 *       | [the] (top|upper|bottom|lower|left|right) (edge|side|wall|border)
 *       | [the] top|bottom | [the] centre|center|middle,
 * each with an optional "of the table". */
static void slot_place(const pan_words *w, int i, const tt_slots *in,
                       tt_cands *out) {
    int j = i + (pan_words_is(w, i, "the") ? 1 : 0);
    int vertical = -1, horizontal = -1;
    if (pan_words_is(w, j, "top") || pan_words_is(w, j, "upper")) vertical = 0;
    if (pan_words_is(w, j, "bottom") || pan_words_is(w, j, "lower"))
        vertical = 1;
    if (pan_words_is(w, j, "left")) horizontal = 0;
    if (pan_words_is(w, j, "right")) horizontal = 1;
    int ends[4], places[4], count = 0;
    if (vertical >= 0) {
        int h = pan_words_is(w, j + 1, "left")    ? 0
                : pan_words_is(w, j + 1, "right") ? 1
                                                  : -1;
        if (h >= 0) {
            int corner = vertical * 2 + h; /* TT_PLACE_TOP_LEFT... */
            if (pan_words_is(w, j + 2, "corner"))
                ends[count] = j + 3, places[count++] = corner;
            ends[count] = j + 2, places[count++] = corner;
        }
        int edge = vertical ? TT_PLACE_BOTTOM_EDGE : TT_PLACE_TOP_EDGE;
        if (word_in(w, j + 1, edge_nouns))
            ends[count] = j + 2, places[count++] = edge;
        ends[count] = j + 1, places[count++] = edge;
    } else if (horizontal >= 0) {
        if (word_in(w, j + 1, edge_nouns)) {
            ends[count] = j + 2;
            places[count++] = horizontal ? TT_PLACE_RIGHT_EDGE
                                         : TT_PLACE_LEFT_EDGE;
        }
    } else if (pan_words_is(w, j, "centre") || pan_words_is(w, j, "center") ||
               pan_words_is(w, j, "middle")) {
        ends[count] = j + 1, places[count++] = TT_PLACE_CENTRE;
    }
    for (int k = 0; k < count; k++) {
        tt_slots s = *in;
        s.place = places[k];
        int of = phrase_at(w, ends[k], "of the table");
        if (of) add(out, ends[k] + of - i, &s);
        add(out, ends[k] - i, &s);
    }
}

static const tt_word_value near_phrases[] = {
    {"right next to", 0}, {"next to", 0}, {"beside", 0}, {"alongside", 0},
    {"near", 0},          {"close to", 0}, {"by", 0},     {NULL, 0}};
static const tt_word_value rel_phrases[] = {
    {"to the left of", TT_REL_LEFT_OF},   {"on the left of", TT_REL_LEFT_OF},
    {"left of", TT_REL_LEFT_OF},          {"to the right of", TT_REL_RIGHT_OF},
    {"on the right of", TT_REL_RIGHT_OF}, {"right of", TT_REL_RIGHT_OF},
    {"above", TT_REL_ABOVE},              {"over", TT_REL_ABOVE},
    {"below", TT_REL_BELOW},              {"under", TT_REL_BELOW},
    {"underneath", TT_REL_BELOW},         {"beneath", TT_REL_BELOW},
    {NULL, 0}};

static void slot_phrases(const tt_word_value *table, bool near,
                         const pan_words *w, int i, const tt_slots *in,
                         tt_cands *out) {
    for (const tt_word_value *p = table; p->word; p++) {
        int n = phrase_at(w, i, p->word);
        if (!n) continue;
        tt_slots s = *in;
        s.relation = near ? TT_REL_NEXT_TO : p->value;
        add(out, n, &s);
    }
}

/* $CS: [a|an|another|one] [new] colour shape; $CSA: the article required. */
static void slot_new(const pan_words *w, int i, const tt_slots *in,
                     bool article_required, tt_cands *out) {
    static const char *const articles[] = {"a", "an", "another", "one", NULL};
    for (int art = 1; art >= 0; art--) {
        if (art && !word_in(w, i, articles)) continue;
        if (!art && article_required) continue;
        for (int neu = 1; neu >= 0; neu--) {
            int j = i + art;
            if (neu && !pan_words_is(w, j, "new")) continue;
            j += neu;
            int colour = lookup(tt_colour_words, w, j);
            int shape = lookup(tt_shape_words, w, j + 1);
            if (colour < 0 || shape < 0) continue;
            tt_slots s = *in;
            s.new_colour = colour, s.new_shape = shape;
            add(out, j + 2 - i, &s);
        }
    }
}

static void slot_value(const tt_word_value *table, int field,
                       const pan_words *w, int i, const tt_slots *in,
                       tt_cands *out) {
    int v = lookup(table, w, i);
    if (v < 0) return;
    tt_slots s = *in;
    if (field == 0) s.default_cells = v;
    else s.level = v;
    add(out, 1, &s);
}

static const tt_word_value pushn_words[] = {
    {"push", 2}, {"shove", 2}, {"nudge", 1}, {"tap", 1}, {NULL, 0}};
static const tt_word_value level_words[] = {
    {"off", TT_LIGHTS_OFF}, {"out", TT_LIGHTS_OFF}, {"on", TT_LIGHTS_ON},
    {"dim", TT_LIGHTS_DIM}, {"dimmed", TT_LIGHTS_DIM}, {"low", TT_LIGHTS_DIM},
    {"down", TT_LIGHTS_DIM}, {NULL, 0}};
static const tt_word_value dark_words[] = {
    {"dark", TT_LIGHTS_OFF},    {"black", TT_LIGHTS_OFF},
    {"dim", TT_LIGHTS_DIM},     {"dimmer", TT_LIGHTS_DIM},
    {"darker", TT_LIGHTS_DIM},  {"gloomy", TT_LIGHTS_DIM},
    {"bright", TT_LIGHTS_ON},   {"brighter", TT_LIGHTS_ON},
    {"light", TT_LIGHTS_ON},    {"lit", TT_LIGHTS_ON},
    {NULL, 0}};

static bool slot_is(const char *name, size_t len, const char *want) {
    return strlen(want) == len && strncmp(name, want, len) == 0;
}

/* Returns false for an unknown slot name (a bug in the template table). */
static bool slot_candidates(const char *name, size_t len, const pan_words *w,
                            int i, const tt_slots *in, tt_cands *out) {
    out->count = 0;
    if (slot_is(name, len, "OBJ")) slot_ref(w, i, in, false, out);
    else if (slot_is(name, len, "OBJ2")) slot_ref(w, i, in, true, out);
    else if (slot_is(name, len, "DIR")) slot_dir(w, i, in, out);
    else if (slot_is(name, len, "N")) slot_number(w, i, in, out);
    else if (slot_is(name, len, "UNIT")) {
        if (word_in(w, i, units)) add(out, 1, in);
    } else if (slot_is(name, len, "TIMES")) slot_times(w, i, in, out);
    else if (slot_is(name, len, "PLACE")) slot_place(w, i, in, out);
    else if (slot_is(name, len, "NEAR")) slot_phrases(near_phrases, true, w, i, in, out);
    else if (slot_is(name, len, "REL")) slot_phrases(rel_phrases, false, w, i, in, out);
    else if (slot_is(name, len, "CS")) slot_new(w, i, in, false, out);
    else if (slot_is(name, len, "CSA")) slot_new(w, i, in, true, out);
    else if (slot_is(name, len, "VERB")) slot_value(tt_verb_words, 0, w, i, in, out);
    else if (slot_is(name, len, "PUSHN")) slot_value(pushn_words, 0, w, i, in, out);
    else if (slot_is(name, len, "LEVEL")) slot_value(level_words, 1, w, i, in, out);
    else if (slot_is(name, len, "DARK")) slot_value(dark_words, 1, w, i, in, out);
    else return false;
    return true;
}

/* ---- the pattern matcher ---- */

/* Does word i equal one of the '|'-separated alternatives in [p, end)? */
static bool literal_matches(const char *p, const char *end, const pan_words *w,
                            int i) {
    if (i >= w->count) return false;
    const char *word = w->word[i];
    size_t wl = strlen(word);
    while (p < end) {
        const char *bar = memchr(p, '|', (size_t)(end - p));
        const char *alt_end = bar ? bar : end;
        if ((size_t)(alt_end - p) == wl && strncmp(p, word, wl) == 0)
            return true;
        p = bar ? bar + 1 : end;
    }
    return false;
}

static bool match_from(const char *pat, const pan_words *w, int i,
                       const tt_slots *slots, tt_slots *result) {
    while (*pat == ' ') pat++;
    if (!*pat) {
        if (i != w->count) return false;
        *result = *slots;
        return true;
    }
    const char *end = strchr(pat, ' ');
    if (!end) end = pat + strlen(pat);
    const char *next = end;
    bool optional = pat[0] == '[';
    const char *tok = optional ? pat + 1 : pat;
    const char *tok_end = optional ? end - 1 : end; /* drop ']' */
    if (tok_end - tok == 1 && tok[0] == ',')
        return match_from(next, w, i, slots, result);
    if (tok[0] == '$') {
        tt_cands cands;
        if (!slot_candidates(tok + 1, (size_t)(tok_end - tok - 1), w, i, slots,
                             &cands))
            return false;
        for (int k = 0; k < cands.count; k++)
            if (match_from(next, w, i + cands.c[k].length, &cands.c[k].slots,
                           result))
                return true;
    } else if (literal_matches(tok, tok_end, w, i)) {
        if (match_from(next, w, i + 1, slots, result)) return true;
    }
    return optional && match_from(next, w, i, slots, result);
}

/* ---- politeness ---- */

static const char *const polite_prefixes[] = {
    "please", "kindly", "could you", "can you", "would you", "will you",
    "i want you to", "i would like you to", "i d like you to", "go ahead and",
    "let s", "lets", "let us", "now", "ok", "okay", "hey", "then", "just",
    NULL};
static const char *const polite_suffixes[] = {"please", "thanks", "thank you",
                                              "now", "for me", NULL};

static void strip_politeness(pan_words *w) {
    bool changed = true;
    while (changed) {
        changed = false;
        for (const char *const *p = polite_prefixes; *p; p++) {
            int n = phrase_at(w, 0, *p);
            if (n && n < w->count) {
                for (int k = 0; k < n; k++) pan_words_remove(w, 0);
                changed = true;
            }
        }
        for (const char *const *p = polite_suffixes; *p; p++) {
            int words = 1;
            for (const char *c = *p; *c; c++) words += *c == ' ';
            int at = w->count - words;
            if (at > 0 && phrase_at(w, at, *p) == words) {
                for (int k = 0; k < words; k++) pan_words_remove(w, at);
                changed = true;
            }
        }
    }
}

/* ---- resolution against the state ---- */

int tt_find_object(const pan_world_state *s, int colour, int shape) {
    int found = -1;
    for (int i = 0; i < s->n_objects; i++) {
        const pan_object_state *o = &s->objects[i];
        if (!o->visible) continue;
        if (colour >= 0 && o->colour != colour) continue;
        if (shape >= 0 && o->shape != shape) continue;
        if (found >= 0) return -2;
        found = i;
    }
    return found;
}

static void describe_ref(int colour, int shape, char *buf, size_t size) {
    if (colour >= 0 && shape >= 0)
        snprintf(buf, size, "%s %s", tt_colour_names[colour],
                 tt_shape_names[shape]);
    else if (colour >= 0)
        snprintf(buf, size, "%s object", tt_colour_names[colour]);
    else
        snprintf(buf, size, "%s", tt_shape_names[shape]);
}

static void fail(pan_action_result *r, const char *fmt, const char *a,
                 const char *b) {
    r->understood = false;
    r->kind = PAN_ACTION_NONE;
    r->template_id = -1;
    r->heldout = false;
    r->canonical[0] = '\0';
    snprintf(r->message, sizeof r->message, fmt, a, b);
}

/* Resolves a reference; on failure fills r and returns -1. */
static int resolve_ref(const pan_world_state *s, int colour, int shape,
                       pan_action_result *r) {
    char what[48];
    describe_ref(colour, shape, what, sizeof what);
    int i = tt_find_object(s, colour, shape);
    if (i == -1) {
        fail(r, "not understood: there is no %s on the table%s", what, "");
        return -1;
    }
    if (i == -2) {
        char list[96] = "";
        for (int k = 0; k < s->n_objects; k++) {
            const pan_object_state *o = &s->objects[k];
            if (!o->visible || (colour >= 0 && o->colour != colour) ||
                (shape >= 0 && o->shape != shape))
                continue;
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s%s %s",
                     used ? ", " : "", tt_colour_names[o->colour],
                     tt_shape_names[o->shape]);
        }
        fail(r, "not understood: '%s' is ambiguous (%s)", what, list);
        return -1;
    }
    return i;
}

static const char *name_of(const pan_world_state *s, int slot, char *buf,
                           size_t size) {
    snprintf(buf, size, "%s %s", tt_colour_names[s->objects[slot].colour],
             tt_shape_names[s->objects[slot].shape]);
    return buf;
}

static void resolve(const pan_world_state *st, const tt_template *t,
                    const tt_slots *m, pan_action_result *r, tt_action *a) {
    *a = (tt_action){.kind = TT_ACT_WAIT, .object = -1, .direction = -1,
                     .place = -1, .relation = -1, .other = -1, .colour = -1,
                     .shape = -1, .level = -1};
    char n1[32], n2[32], num[16];
    bool heldout = t->heldout;
    char *canon = r->canonical;
    size_t cs = sizeof r->canonical;
    switch (t->sem) {
    case TT_SEM_DIR:
    case TT_SEM_DIR_BIT:
    case TT_SEM_DIR_WALL: {
        a->kind = TT_ACT_MOVE;
        if ((a->object = resolve_ref(st, m->colour, m->shape, r)) < 0) return;
        a->direction = m->direction;
        a->cells = t->sem == TT_SEM_DIR_BIT    ? 1
                   : t->sem == TT_SEM_DIR_WALL ? 0
                   : m->number >= 0            ? m->number
                                               : m->default_cells;
        if (t->sem == TT_SEM_DIR &&
            (a->cells < TT_MIN_CELLS || a->cells > TT_MAX_CELLS)) {
            snprintf(num, sizeof num, "%d", a->cells);
            fail(r, "not understood: a distance of %s cells is out of range "
                    "(expected 1..20)%s", num, "");
            return;
        }
        const pan_object_state *o = &st->objects[a->object];
        heldout = heldout || tt_combo_is_heldout(o->colour, o->shape,
                                                 a->direction);
        name_of(st, a->object, n1, sizeof n1);
        if (a->cells == 0)
            snprintf(canon, cs, "move %s all the way %s", n1,
                     tt_direction_names[a->direction]);
        else
            snprintf(canon, cs, "move %s %s %d", n1,
                     tt_direction_names[a->direction], a->cells);
        break;
    }
    case TT_SEM_PLACE:
        a->kind = TT_ACT_MOVE;
        if ((a->object = resolve_ref(st, m->colour, m->shape, r)) < 0) return;
        a->place = m->place;
        snprintf(canon, cs, "move %s to %s", name_of(st, a->object, n1, sizeof n1),
                 tt_place_names[a->place]);
        break;
    case TT_SEM_RELATION:
        a->kind = TT_ACT_MOVE;
        if ((a->object = resolve_ref(st, m->colour, m->shape, r)) < 0) return;
        if ((a->other = resolve_ref(st, m->colour2, m->shape2, r)) < 0) return;
        name_of(st, a->object, n1, sizeof n1);
        if (a->other == a->object) {
            fail(r, "not understood: the %s cannot move relative to "
                    "itself%s", n1, "");
            return;
        }
        a->relation = m->relation;
        snprintf(canon, cs, "move %s %s %s", n1, tt_relation_names[a->relation],
                 name_of(st, a->other, n2, sizeof n2));
        break;
    case TT_SEM_LIGHTS:
        a->kind = TT_ACT_LIGHTS;
        a->level = t->level >= 0 ? t->level : m->level;
        snprintf(canon, cs, "lights %s", tt_level_names[a->level]);
        break;
    case TT_SEM_APPEAR:
        a->kind = TT_ACT_APPEAR;
        a->colour = m->new_colour;
        a->shape = m->new_shape;
        a->place = m->place;
        snprintf(n1, sizeof n1, "%s %s", tt_colour_names[a->colour],
                 tt_shape_names[a->shape]);
        if (m->relation >= 0) {
            if ((a->other = resolve_ref(st, m->colour2, m->shape2, r)) < 0)
                return;
            a->relation = m->relation;
            snprintf(canon, cs, "add %s %s %s", n1,
                     tt_relation_names[a->relation],
                     name_of(st, a->other, n2, sizeof n2));
        } else if (a->place >= 0) {
            snprintf(canon, cs, "add %s at %s", n1, tt_place_names[a->place]);
        } else {
            snprintf(canon, cs, "add %s", n1);
        }
        break;
    case TT_SEM_REMOVE:
        a->kind = TT_ACT_REMOVE;
        if ((a->object = resolve_ref(st, m->colour, m->shape, r)) < 0) return;
        snprintf(canon, cs, "remove %s", name_of(st, a->object, n1, sizeof n1));
        break;
    case TT_SEM_WAIT:
        a->kind = TT_ACT_WAIT;
        snprintf(canon, cs, "wait");
        break;
    }
    r->understood = true;
    r->kind = t->kind;
    r->template_id = t->id;
    r->heldout = heldout;
    r->message[0] = '\0';
}

void tt_parse(const tt_world *tt, const char *text, pan_action_result *r,
              tt_action *action) {
    pan_words words;
    pan_words_split(text, &words);
    if (words.overflow) {
        fail(r, "not understood: more than %s words or a word longer than "
                "%s letters", "48", "23");
        return;
    }
    strip_politeness(&words);
    if (words.count == 0) {
        fail(r, "not understood: the action has no words%s%s", "", "");
        return;
    }
    tt_slots empty;
    tt_slots_clear(&empty);
    for (int t = 0; t < tt_template_count; t++) {
        const tt_template *tp = &tt_templates[t];
        for (int p = 0; p < TT_MAX_PATTERNS && tp->patterns[p]; p++) {
            tt_slots found;
            if (match_from(tp->patterns[p], &words, 0, &empty, &found)) {
                resolve(&tt->state, tp, &found, r, action);
                return;
            }
        }
    }
    fail(r, "not understood: no tabletop action matches \"%.70s%s\"", text,
         strlen(text) > 70 ? "..." : "");
}
