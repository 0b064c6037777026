/* env/tabletop/tabletop_sample.c: random valid tabletop actions that respect
 * the held-out split, written from the same patterns the parser matches.
 *
 * PAN_SPLIT_TRAIN   templates not marked held out; directional moves never
 *                   use a held-out (colour, shape, direction) combination.
 * PAN_SPLIT_HELDOUT half the time a held-out combination with an ordinary
 *                   directional template (when a visible object has one),
 *                   otherwise a held-out template.
 * PAN_SPLIT_ANY     every template and combination.
 * Every string it writes is understood by tt_parse in the state it was
 * sampled for (tests/worlds/test_tabletop_sample.c checks 10k of them). */
#include <stdio.h>
#include <string.h>

#include "env/tabletop/tabletop.h"

typedef struct tt_out {
    char *buf;
    size_t size, used;
} tt_out;

static void put_raw(tt_out *o, const char *s) {
    size_t n = strlen(s);
    if (o->used + n >= o->size) n = o->size - 1 - o->used;
    memcpy(o->buf + o->used, s, n);
    o->used += n;
    o->buf[o->used] = '\0';
}

static void put(tt_out *o, const char *word) {
    if (o->used) put_raw(o, " ");
    put_raw(o, word);
}

static const char *pick(uint64_t *rng, const char *const *list, int n) {
    return list[tt_rng_below(rng, (uint32_t)n)];
}

#define PICK(rng, ...)                                                         \
    pick(rng, (const char *const[]){__VA_ARGS__},                              \
         (int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *)))

static const char *shape_word(uint64_t *rng, int shape) {
    if (tt_rng_below(rng, 10) == 0) {
        if (shape == PAN_SHAPE_SQUARE) return "box";
        if (shape == PAN_SHAPE_CIRCLE) return PICK(rng, "ball", "disc");
    }
    return tt_shape_names[shape];
}

static void put_ref(tt_out *o, uint64_t *rng, int colour, int shape) {
    if (tt_rng_below(rng, 5) != 0) put(o, tt_rng_below(rng, 12) ? "the" : "that");
    if (colour >= 0) put(o, tt_colour_names[colour]);
    if (shape >= 0) put(o, shape_word(rng, shape));
    else put(o, PICK(rng, "one", "one", "object", "block"));
}

static const char *const number_words[] = {
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
    "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen",
    "sixteen", "seventeen", "eighteen", "nineteen", "twenty"};

static void put_number(tt_out *o, uint64_t *rng, int n) {
    char digits[16];
    if (n >= 0 && n <= 20 && tt_rng_below(rng, 2)) {
        put(o, number_words[n]);
        return;
    }
    snprintf(digits, sizeof digits, "%d", n);
    put(o, digits);
}

static void put_dir(tt_out *o, uint64_t *rng, int d) {
    static const char *const wards[] = {"leftwards", "rightwards", "upwards",
                                        "downwards"};
    uint32_t r = tt_rng_below(rng, 10);
    if (d <= TT_RIGHT && r < 3) put(o, PICK(rng, "to the", "to the", "towards the"));
    if (r == 9) put(o, wards[d]);
    else put(o, tt_direction_names[d]);
}

static void put_place(tt_out *o, uint64_t *rng, int place) {
    put(o, "the");
    if (place <= TT_PLACE_BOTTOM_RIGHT) {
        bool top = place <= TT_PLACE_TOP_RIGHT;
        put(o, top ? PICK(rng, "top", "top", "upper") : PICK(rng, "bottom", "bottom", "lower"));
        put(o, place % 2 ? "right" : "left");
        if (tt_rng_below(rng, 4)) put(o, "corner");
    } else if (place == TT_PLACE_CENTRE) {
        put(o, PICK(rng, "centre", "center", "middle"));
    } else {
        static const char *const sides[] = {"top", "bottom", "left", "right"};
        put(o, sides[place - TT_PLACE_TOP_EDGE]);
        bool bare_ok = place <= TT_PLACE_BOTTOM_EDGE;
        if (!bare_ok || tt_rng_below(rng, 4))
            put(o, PICK(rng, "edge", "edge", "side", "wall"));
    }
    if (tt_rng_below(rng, 6) == 0) put(o, "of the table");
}

static void put_relation(tt_out *o, uint64_t *rng, int relation) {
    switch (relation) {
    case TT_REL_LEFT_OF: put(o, PICK(rng, "to the left of", "left of", "on the left of")); break;
    case TT_REL_RIGHT_OF: put(o, PICK(rng, "to the right of", "right of", "on the right of")); break;
    case TT_REL_ABOVE: put(o, PICK(rng, "above", "above", "over")); break;
    default: put(o, PICK(rng, "below", "under", "underneath", "beneath")); break;
    }
}

static void put_new(tt_out *o, uint64_t *rng, const tt_slots *s, bool article) {
    if (article || tt_rng_below(rng, 3)) {
        bool fresh = tt_rng_below(rng, 4) == 0;
        put(o, fresh || s->new_colour != PAN_COLOUR_ORANGE ? "a" : "an");
        if (fresh) put(o, "new");
    }
    put(o, tt_colour_names[s->new_colour]);
    put(o, tt_shape_names[s->new_shape]);
}

static void put_level(tt_out *o, uint64_t *rng, int level, bool dark) {
    if (dark) {
        if (level == TT_LIGHTS_OFF) put(o, "dark");
        else if (level == TT_LIGHTS_ON) put(o, PICK(rng, "bright", "brighter", "light"));
        else put(o, PICK(rng, "dim", "darker", "dimmer"));
    } else {
        if (level == TT_LIGHTS_OFF) put(o, PICK(rng, "off", "out"));
        else if (level == TT_LIGHTS_ON) put(o, "on");
        else put(o, PICK(rng, "dim", "dimmed", "low"));
    }
}

static void put_slot(tt_out *o, uint64_t *rng, const char *name, size_t len,
                     const tt_slots *s) {
#define IS(x) (strlen(x) == len && strncmp(name, x, len) == 0)
    if (IS("OBJ")) put_ref(o, rng, s->colour, s->shape);
    else if (IS("OBJ2")) put_ref(o, rng, s->colour2, s->shape2);
    else if (IS("DIR")) put_dir(o, rng, s->direction);
    else if (IS("N")) put_number(o, rng, s->number);
    else if (IS("UNIT"))
        put(o, s->number == 1 ? PICK(rng, "cell", "cell", "space", "step", "square")
                              : PICK(rng, "cells", "cells", "spaces", "steps", "squares"));
    else if (IS("TIMES")) {
        if (s->number <= 3 && tt_rng_below(rng, 3)) {
            static const char *const t[] = {"", "once", "twice", "thrice"};
            put(o, t[s->number]);
        } else {
            put_number(o, rng, s->number);
            put(o, s->number == 1 ? "time" : "times");
        }
    } else if (IS("PLACE")) put_place(o, rng, s->place);
    else if (IS("NEAR"))
        put(o, PICK(rng, "next to", "next to", "beside", "alongside", "near",
                    "close to", "right next to", "by"));
    else if (IS("REL")) put_relation(o, rng, s->relation);
    else if (IS("CS")) put_new(o, rng, s, false);
    else if (IS("CSA")) put_new(o, rng, s, true);
    else if (IS("VERB")) {
        int n = 0;
        while (tt_verb_words[n].word) n++;
        put(o, tt_verb_words[tt_rng_below(rng, (uint32_t)n)].word);
    } else if (IS("PUSHN")) put(o, PICK(rng, "push", "shove", "nudge", "tap"));
    else if (IS("LEVEL")) put_level(o, rng, s->level, false);
    else if (IS("DARK")) put_level(o, rng, s->level, true);
#undef IS
}

void tt_generate(const tt_template *t, int pattern, const tt_slots *s,
                 uint64_t *rng, char *buf, size_t size) {
    tt_out o = {buf, size, 0};
    buf[0] = '\0';
    const char *p = t->patterns[pattern];
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        const char *end = strchr(p, ' ');
        if (!end) end = p + strlen(p);
        bool optional = p[0] == '[';
        const char *tok = optional ? p + 1 : p;
        const char *tok_end = optional ? end - 1 : end;
        p = end;
        if (optional && tt_rng_below(rng, 2)) continue;
        if (tok_end - tok == 1 && tok[0] == ',') {
            put_raw(&o, ",");
        } else if (tok[0] == '$') {
            put_slot(&o, rng, tok + 1, (size_t)(tok_end - tok - 1), s);
        } else {
            /* one alternative, at random */
            int count = 1;
            for (const char *c = tok; c < tok_end; c++) count += *c == '|';
            int want = (int)tt_rng_below(rng, (uint32_t)count);
            const char *a = tok;
            for (int k = 0; k < want; k++) a = memchr(a, '|', (size_t)(tok_end - a)) + 1;
            const char *a_end = memchr(a, '|', (size_t)(tok_end - a));
            if (!a_end) a_end = tok_end;
            char word[32];
            size_t n = (size_t)(a_end - a) < sizeof word - 1 ? (size_t)(a_end - a) : sizeof word - 1;
            memcpy(word, a, n);
            word[n] = '\0';
            put(&o, word);
        }
    }
}

/* ---- choosing what to say ---- */

static bool pattern_has(const tt_template *t, int p, const char *slot) {
    return strstr(t->patterns[p], slot) != NULL;
}

static int visible_objects(const pan_world_state *s, int *list) {
    int n = 0;
    for (int i = 0; i < s->n_objects; i++)
        if (s->objects[i].visible) list[n++] = i;
    return n;
}

/* A reference to object i: full name, or colour / shape alone when that
 * is unambiguous. */
static void choose_ref(const pan_world_state *s, int i, uint64_t *rng,
                       int *colour, int *shape) {
    const pan_object_state *o = &s->objects[i];
    *colour = o->colour, *shape = o->shape;
    uint32_t r = tt_rng_below(rng, 10);
    if (r < 2 && tt_find_object(s, o->colour, -1) == i) *shape = -1;
    else if (r < 4 && tt_find_object(s, -1, o->shape) == i) *colour = -1;
}

static int current_level(const pan_world_state *s) {
    for (int l = 0; l < TT_LIGHT_LEVELS; l++)
        if (s->brightness == tt_level_brightness[l]) return l;
    return -1;
}

/* Templates of a semantic group allowed by the split (heldout: only the
 * held-out ones; train: only the others). */
static int templates_of(const tt_sem *sems, int n_sems, pan_split split,
                        int *ids) {
    int n = 0;
    for (int t = 0; t < tt_template_count; t++) {
        bool in_group = false;
        for (int k = 0; k < n_sems; k++) in_group |= tt_templates[t].sem == sems[k];
        if (!in_group) continue;
        if (split == PAN_SPLIT_TRAIN && tt_templates[t].heldout) continue;
        if (split == PAN_SPLIT_HELDOUT && !tt_templates[t].heldout) continue;
        ids[n++] = t;
    }
    return n;
}

/* Picks a pattern of template t whose object slots the state can fill:
 * $OBJ needs one visible object, $OBJ2 one more (or one, for an appear). */
static int choose_pattern(const tt_template *t, int visible, uint64_t *rng) {
    int ok[TT_MAX_PATTERNS], n = 0;
    for (int p = 0; p < TT_MAX_PATTERNS && t->patterns[p]; p++) {
        int needed = 0;
        for (const char *c = t->patterns[p]; (c = strstr(c, "$OBJ")); c += 4)
            needed++;
        if (visible >= needed) ok[n++] = p;
    }
    return n ? ok[tt_rng_below(rng, (uint32_t)n)] : -1;
}

static void decorate(const tt_template *t, char *text, size_t size,
                     uint64_t *rng) {
    char out[PAN_WORLD_ACTION_MAX + 1];
    const char *prefix = "", *suffix = "";
    bool question = false;
    if (t->polite && tt_rng_below(rng, 10) < 3) {
        static const char *const p[] = {"please", "kindly", "could you",
                                        "can you", "would you please",
                                        "go ahead and", "please could you"};
        int k = (int)tt_rng_below(rng, 7);
        prefix = p[k];
        question = k == 2 || k == 3 || k == 4 || k == 6;
    } else if (t->polite && tt_rng_below(rng, 20) == 0) {
        suffix = ", please";
    }
    const char *end = question ? "?" : PICK(rng, "", "", "", ".", ".", "!");
    tt_out o = {out, sizeof out, 0};
    out[0] = '\0';
    put_raw(&o, prefix);
    if (prefix[0]) put_raw(&o, " ");
    put_raw(&o, text);
    put_raw(&o, suffix);
    put_raw(&o, end);
    uint32_t casing = tt_rng_below(rng, 20);
    if (casing < 10 && out[0] >= 'a' && out[0] <= 'z') out[0] = (char)(out[0] - 32);
    if (casing == 19)
        for (char *c = out; *c; c++)
            if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 32);
    tt_out back = {text, size, 0};
    text[0] = '\0';
    put_raw(&back, out);
}

static const tt_sem dir_sems[] = {TT_SEM_DIR, TT_SEM_DIR_BIT, TT_SEM_DIR_WALL};

/* A direction for object i allowed by the split (train: not held out). */
static int choose_direction(const pan_object_state *o, pan_split split,
                            uint64_t *rng) {
    for (;;) {
        int d = (int)tt_rng_below(rng, TT_DIRECTIONS);
        if (split != PAN_SPLIT_TRAIN || !tt_combo_is_heldout(o->colour, o->shape, d))
            return d;
    }
}

void tt_sample_action(const tt_world *tt, uint64_t *rng, pan_split split,
                      char *buf, size_t size) {
    const pan_world_state *s = &tt->state;
    int vis[PAN_WORLD_MAX_OBJECTS];
    int n_vis = visible_objects(s, vis);
    int ids[64], n_ids = 0;
    tt_slots slots;
    tt_slots_clear(&slots);
    int object = n_vis ? vis[tt_rng_below(rng, (uint32_t)n_vis)] : -1;

    /* held-out split: a held-out combination with an ordinary template */
    if (split == PAN_SPLIT_HELDOUT && tt_rng_below(rng, 2)) {
        int with_combo[PAN_WORLD_MAX_OBJECTS], n = 0;
        for (int k = 0; k < n_vis; k++)
            for (int d = 0; d < TT_DIRECTIONS; d++)
                if (tt_combo_is_heldout(s->objects[vis[k]].colour,
                                        s->objects[vis[k]].shape, d)) {
                    with_combo[n++] = vis[k];
                    break;
                }
        if (n) {
            object = with_combo[tt_rng_below(rng, (uint32_t)n)];
            for (int d = 0; d < TT_DIRECTIONS; d++)
                if (tt_combo_is_heldout(s->objects[object].colour,
                                        s->objects[object].shape, d))
                    slots.direction = d;
            n_ids = templates_of(dir_sems, 3, PAN_SPLIT_TRAIN, ids);
        }
    }

    if (n_ids == 0) {
        /* a group: agent moves (direction / place / relation) or an
         * environment action; weights in percent */
        static const tt_sem place_sem[] = {TT_SEM_PLACE};
        static const tt_sem rel_sem[] = {TT_SEM_RELATION};
        static const tt_sem light_sem[] = {TT_SEM_LIGHTS};
        static const tt_sem appear_sem[] = {TT_SEM_APPEAR};
        static const tt_sem remove_sem[] = {TT_SEM_REMOVE};
        static const tt_sem wait_sem[] = {TT_SEM_WAIT};
        int hidden_slot = s->n_objects < PAN_WORLD_MAX_OBJECTS;
        for (int i = 0; i < s->n_objects; i++) hidden_slot |= !s->objects[i].visible;
        for (int attempt = 0; n_ids == 0 && attempt < 64; attempt++) {
            uint32_t r = tt_rng_below(rng, 100);
            if (r < 40 && n_vis >= 1) n_ids = templates_of(dir_sems, 3, split, ids);
            else if (r < 55 && n_vis >= 1) n_ids = templates_of(place_sem, 1, split, ids);
            else if (r < 70 && n_vis >= 2) n_ids = templates_of(rel_sem, 1, split, ids);
            else if (r >= 70 && r < 78) n_ids = templates_of(light_sem, 1, split, ids);
            else if (r >= 78 && r < 88 && n_vis < 8 && hidden_slot)
                n_ids = templates_of(appear_sem, 1, split, ids);
            else if (r >= 88 && r < 94 && n_vis >= 3)
                n_ids = templates_of(remove_sem, 1, split, ids);
            else if (r >= 94) n_ids = templates_of(wait_sem, 1, split, ids);
        }
        if (n_ids == 0) { /* held-out split with nothing else possible */
            static const tt_sem all_lights[] = {TT_SEM_LIGHTS};
            n_ids = templates_of(all_lights, 1, split, ids);
        }
    }
    const tt_template *t = &tt_templates[ids[tt_rng_below(rng, (uint32_t)n_ids)]];

    int pattern = choose_pattern(t, n_vis, rng);
    if (pattern < 0) pattern = 0;

    /* fill the slots */
    if (object >= 0) choose_ref(s, object, rng, &slots.colour, &slots.shape);
    if (t->sem == TT_SEM_DIR || t->sem == TT_SEM_DIR_BIT || t->sem == TT_SEM_DIR_WALL) {
        if (slots.direction < 0)
            slots.direction = choose_direction(&s->objects[object], split, rng);
        slots.number = 1 + (int)tt_rng_below(rng, pattern_has(t, pattern, "$TIMES") ? 4 : 6);
    }
    slots.place = (int)tt_rng_below(rng, TT_PLACES);
    slots.relation = TT_REL_LEFT_OF + (int)tt_rng_below(rng, 4);
    if (pattern_has(t, pattern, "$OBJ2") && n_vis >= 1) {
        int other = object;
        if (t->sem == TT_SEM_APPEAR) other = vis[tt_rng_below(rng, (uint32_t)n_vis)];
        else
            while (other == object) other = vis[tt_rng_below(rng, (uint32_t)n_vis)];
        choose_ref(s, other, rng, &slots.colour2, &slots.shape2);
    }
    if (t->sem == TT_SEM_APPEAR) {
        int absent[TT_PAIRS], n = 0;
        for (int p = 0; p < TT_PAIRS; p++)
            if (tt_find_object(s, p / PAN_SHAPE_COUNT, p % PAN_SHAPE_COUNT) == -1)
                absent[n++] = p;
        int p = n ? absent[tt_rng_below(rng, (uint32_t)n)] : 0;
        slots.new_colour = p / PAN_SHAPE_COUNT;
        slots.new_shape = p % PAN_SHAPE_COUNT;
    }
    if (t->sem == TT_SEM_LIGHTS) {
        int now = current_level(s);
        do slots.level = (int)tt_rng_below(rng, TT_LIGHT_LEVELS);
        while (slots.level == now);
    }
    char text[PAN_WORLD_ACTION_MAX + 1];
    tt_generate(t, pattern, &slots, rng, text, sizeof text);
    decorate(t, text, sizeof text, rng);
    tt_out o = {buf, size, 0};
    buf[0] = '\0';
    put_raw(&o, text);
}
