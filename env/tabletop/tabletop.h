/* env/tabletop/tabletop.h: the tabletop world (internal): a table seen from
 * above with 2-5 coloured shapes that language actions move, add, remove and
 * light.
 *
 * Contract
 * - Geometry (tt_geometry_of): a frame of W x H pixels; pixel (i, j) covers
 *   [i, i+1) x [j, j+1) and its centre is (i + 0.5, j + 0.5). A grid cell
 *   (the unit of "move left by 3") is min(W, H) / 8 pixels. The table's
 *   interior is [rim, W - rim) x [rim, H - rim) with rim = max(1,
 *   floor(cell / 4)); the rim is drawn in a dark wood colour. An object is
 *   centred at (x, y) with half-extent `size` (default max(4, floor(3/4
 *   cell))); its bounding square is [x - size, x + size) x [y - size, y +
 *   size) and must lie inside the interior.
 * - Objects never overlap: the bounding squares of two visible objects are
 *   always at least TT_GAP (1) pixel apart, so a row or column of table shows
 *   between them and the detector never merges them. A moving object stops
 *   when its bounding square comes to exactly TT_GAP pixel from a blocker's
 *   (it "touches" it) or touches a wall.
 * - The state is a pan_world_state kept inside tt_world; everything that
 *   changes it is deterministic (splitmix64 RNG in state.rng, only + - * /
 *   on floats, no libm).
 * - A parsed action is a tt_action carried in world.c's opaque buffer.
 * - Thread safety: as env/world.h. The detector uses scratch buffers owned by
 *   the world instance, so one detect at a time per instance.
 */
#ifndef PAN_ENV_TABLETOP_TABLETOP_H
#define PAN_ENV_TABLETOP_TABLETOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "env/action_text.h"
#include "env/world.h"
#include "env/world_internal.h"

#define TT_GAP 1.0f            /* px between bounding squares at contact */
#define TT_EPS 1e-3f           /* tolerance of the separation checks */
#define TT_MIN_OBJECTS 2       /* at reset */
#define TT_MAX_RESET_OBJECTS 5 /* at reset */
#define TT_MIN_CELLS 1         /* distances of "move ... by N" */
#define TT_MAX_CELLS 20
#define TT_MIN_SIZE 4.0f       /* smallest half-extent set_state accepts */
#define TT_PAIRS (PAN_COLOUR_COUNT * PAN_SHAPE_COUNT) /* 18 */
#define TT_STATE_VECTOR_LENGTH (TT_PAIRS * 4 + 1)     /* 73 */

/* Brightness levels of the three light actions. Detection is guaranteed
 * down to TT_DETECT_GUARANTEED; below TT_DETECT_MIN nothing is detected. */
#define TT_BRIGHTNESS_ON 1.0f
#define TT_BRIGHTNESS_DIM 0.55f
#define TT_BRIGHTNESS_OFF 0.25f
#define TT_DETECT_GUARANTEED 0.2f
#define TT_DETECT_MIN 0.05f

enum { TT_LEFT = 0, TT_RIGHT, TT_UP, TT_DOWN, TT_DIRECTIONS };

typedef enum tt_place {
    TT_PLACE_TOP_LEFT = 0,
    TT_PLACE_TOP_RIGHT,
    TT_PLACE_BOTTOM_LEFT,
    TT_PLACE_BOTTOM_RIGHT,
    TT_PLACE_CENTRE,
    TT_PLACE_TOP_EDGE,
    TT_PLACE_BOTTOM_EDGE,
    TT_PLACE_LEFT_EDGE,
    TT_PLACE_RIGHT_EDGE,
    TT_PLACES
} tt_place;

typedef enum tt_relation {
    TT_REL_NEXT_TO = 0,
    TT_REL_LEFT_OF,
    TT_REL_RIGHT_OF,
    TT_REL_ABOVE,
    TT_REL_BELOW,
    TT_RELATIONS
} tt_relation;

enum { TT_LIGHTS_OFF = 0, TT_LIGHTS_ON, TT_LIGHTS_DIM, TT_LIGHT_LEVELS };

/* What a template means once its slots are filled. */
typedef enum tt_sem {
    TT_SEM_DIR = 0,  /* direction, distance N or the verb's default */
    TT_SEM_DIR_BIT,  /* direction, 1 cell */
    TT_SEM_DIR_WALL, /* direction, as far as it goes */
    TT_SEM_PLACE,    /* to a named place */
    TT_SEM_RELATION, /* next to / left of ... another object */
    TT_SEM_LIGHTS,   /* level fixed by the template or from a slot */
    TT_SEM_APPEAR,   /* a new object at a place / by an object / anywhere */
    TT_SEM_REMOVE,
    TT_SEM_WAIT
} tt_sem;

/* The action kinds apply() knows. */
typedef enum tt_kind {
    TT_ACT_MOVE = 0, /* to (tx, ty) computed by tt_target */
    TT_ACT_LIGHTS,
    TT_ACT_APPEAR,
    TT_ACT_REMOVE,
    TT_ACT_WAIT
} tt_kind;

typedef struct tt_action {
    int32_t kind;      /* tt_kind */
    int32_t object;    /* slot of the object moved / removed */
    int32_t direction; /* TT_LEFT..., -1 if the move is not directional */
    int32_t cells;     /* distance in cells; 0 = as far as it goes */
    int32_t place;     /* tt_place, -1 if none */
    int32_t relation;  /* tt_relation, -1 if none */
    int32_t other;     /* slot of the reference object, -1 if none */
    int32_t colour, shape; /* appear */
    int32_t level;     /* TT_LIGHTS_* */
} tt_action;

_Static_assert(sizeof(tt_action) <= PAN_WORLD_PARSED_MAX,
               "tt_action must fit in the parsed-action buffer");

typedef struct tt_geometry {
    int width, height;
    float cell;           /* px per grid cell */
    float rim;            /* px of the table's border */
    float size;           /* default half-extent of an object */
    float x0, y0, x1, y1; /* interior [x0, x1) x [y0, y1) */
} tt_geometry;

typedef struct tt_world {
    pan_world_state state;
    tt_geometry geo;
    int frames_per_step;
    /* detector scratch, (H * W) each */
    uint8_t *classes;
    int32_t *labels;
    int32_t *stack;
} tt_world;

/* ---- templates (tabletop_templates.c) ---- */

#define TT_MAX_PATTERNS 8

/* A pattern is a space-separated token list:
 *   word|word2   one word among the alternatives (never carries meaning)
 *   $SLOT        a slot (tabletop_parse.c lists them)
 *   [token]      the token is optional
 *   ,            a comma the sampler writes; matching ignores it */
typedef struct tt_template {
    int id;
    pan_action_kind kind;
    tt_sem sem;
    bool heldout;
    bool polite;       /* imperative: the sampler may add "please" */
    int level;         /* TT_SEM_LIGHTS: fixed level, -1 = from a slot */
    const char *example;
    const char *patterns[TT_MAX_PATTERNS]; /* NULL-terminated */
} tt_template;

extern const tt_template tt_templates[];
extern const int tt_template_count;

typedef struct tt_combo {
    int colour, shape, direction;
} tt_combo;

extern const tt_combo tt_heldout_combos[];
extern const int tt_heldout_combo_count;

bool tt_combo_is_heldout(int colour, int shape, int direction);

/* ---- vocabulary (tabletop_templates.c) ---- */

extern const char *const tt_colour_names[PAN_COLOUR_COUNT];
extern const char *const tt_shape_names[PAN_SHAPE_COUNT];
extern const char *const tt_direction_names[TT_DIRECTIONS];
extern const char *const tt_place_names[TT_PLACES];
extern const char *const tt_relation_names[TT_RELATIONS];
extern const char *const tt_level_names[TT_LIGHT_LEVELS];
extern const float tt_level_brightness[TT_LIGHT_LEVELS];

typedef struct tt_word_value {
    const char *word;
    int value;
} tt_word_value;

extern const tt_word_value tt_colour_words[]; /* NULL-terminated */
extern const tt_word_value tt_shape_words[];
extern const tt_word_value tt_verb_words[];   /* value: default cells */

/* ---- slot values of a match (tabletop_parse.c, tabletop_sample.c) ---- */

typedef struct tt_slots {
    int colour, shape;        /* $OBJ, -1 if not named */
    int colour2, shape2;      /* $OBJ2 */
    int new_colour, new_shape;/* $CS */
    int direction;            /* $DIR */
    int number;               /* $N or $TIMES, -1 if absent */
    int place;                /* $PLACE */
    int relation;             /* $NEAR / $REL */
    int level;                /* $LEVEL / $DARK */
    int default_cells;        /* from $VERB / $PUSHN, 2 if none */
} tt_slots;

void tt_slots_clear(tt_slots *s);

/* ---- world pieces ---- */

tt_geometry tt_geometry_of(int width, int height);

/* splitmix64 */
uint64_t tt_rng_next(uint64_t *state);
/* Uniform integer in [0, n), n > 0. */
uint32_t tt_rng_below(uint64_t *state, uint32_t n);

/* tabletop_parse.c: fills result and, when understood, *action. */
void tt_parse(const tt_world *tt, const char *text, pan_action_result *result,
              tt_action *action);
/* Index of the unique visible object matching (colour, shape) (-1 = any),
 * or -1 (none) / -2 (ambiguous). */
int tt_find_object(const pan_world_state *s, int colour, int shape);

/* tabletop_physics.c */
bool tt_inside_table(const tt_geometry *g, float x, float y, float size);
/* True if an object of half-extent `size` at (x, y) keeps TT_GAP from every
 * visible object except slot `skip`. */
bool tt_is_free(const pan_world_state *s, float x, float y, float size,
                int skip);
/* The point a move action aims at (before walls and collisions). */
void tt_move_target(const tt_geometry *g, const pan_world_state *s,
                    const tt_action *a, float *tx, float *ty);
/* Moves object `mover` from its position towards (tx, ty): clamps to the
 * walls, stops at the first blocker. Writes the end point, the blocker slot
 * (-1 none) and whether a wall stopped it. */
void tt_sweep(const tt_geometry *g, const pan_world_state *s, int mover,
              float tx, float ty, float *ex, float *ey, int *blocker,
              bool *walled);
/* Where an appearing object of half-extent size goes: false if no room. */
bool tt_appear_position(const tt_geometry *g, pan_world_state *s,
                        const tt_action *a, float size, float *x, float *y);
/* Easing of frame k of K (1..K): 0 < e <= 1, e(K) = 1. */
float tt_ease(int k, int frames);

/* tabletop_render.c */
void tt_render_state(const tt_geometry *g, const pan_world_state *s,
                     uint8_t *frame);
/* Base palette: 6 object colours, then table, then rim. */
#define TT_PALETTE_TABLE PAN_COLOUR_COUNT
#define TT_PALETTE_RIM (PAN_COLOUR_COUNT + 1)
extern const uint8_t tt_palette[PAN_COLOUR_COUNT + 2][3];
/* Is the pixel centre (dx, dy) from an object's centre inside its shape? */
bool tt_shape_contains(int shape, float size, float dx, float dy);

/* tabletop_sample.c */
void tt_sample_action(const tt_world *tt, uint64_t *rng, pan_split split,
                      char *buf, size_t size);
/* Writes text for template t's pattern p with the slot values in *s
 * (object references as given: colour/shape -1 are left unsaid). */
void tt_generate(const tt_template *t, int pattern, const tt_slots *s,
                 uint64_t *rng, char *buf, size_t size);

/* tabletop_detect.c */
void tt_detect(const tt_world *tt, const uint8_t *frame,
               pan_world_state *detected);

#endif
