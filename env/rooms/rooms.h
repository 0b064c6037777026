/* env/rooms/rooms.h: the rooms world (internal): a camera window over a
 * procedural map of rooms, walls, doors and coloured landmarks.
 *
 * Contract
 * - Units. The map is ROOMS_MAP_CELLS x ROOMS_MAP_CELLS cells; a cell is
 *   ROOMS_CELL_PX x ROOMS_CELL_PX pixels at every frame size (bigger frames
 *   show more of the map). World coordinates are continuous cells: cell i
 *   spans [i, i+1). The camera always rests on a cell centre (cam + 0.5).
 *   A frame of W x H pixels shows world pixels [ox, ox+W) x [oy, oy+H) with
 *   ox = ROOMS_CELL_PX * cam_x + ROOMS_CELL_PX/2 - W/2 (integer division), so
 *   a world point x (cells) is at frame pixel u = (x - camera_x) * 4 + W/2
 *   (continuous pixel coordinates: pixel j spans [j, j+1)).
 * - The map (cells, landmarks, floor colours, start pose) and its painted
 *   image are pure functions of the seed: rooms_map_generate never reads
 *   anything else, and rendering only copies from the painted image, so a
 *   place always looks the same (the revisit-consistency property).
 * - Everything after reset is integer arithmetic; no RNG is used after the
 *   map is generated.
 * - rooms_action travels in the world's opaque parsed buffer
 *   (PAN_WORLD_PARSED_MAX bytes, checked by a static_assert).
 * - Thread safety: as env/world.h (one thread per world instance); the
 *   parser, the split rules and the map generator are pure functions.
 */
#ifndef PAN_ENV_ROOMS_ROOMS_H
#define PAN_ENV_ROOMS_ROOMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "env/action_text.h"
#include "env/world.h"
#include "env/world_internal.h"

#define ROOMS_CELL_PX 4             /* pixels per cell side */
#define ROOMS_GRID 4                /* rooms per map side */
#define ROOMS_ROOM_CELLS 16         /* cells per room side, walls included */
#define ROOMS_MAP_CELLS (ROOMS_GRID * ROOMS_ROOM_CELLS + 1) /* 65 */
#define ROOMS_MAP_PX (ROOMS_MAP_CELLS * ROOMS_CELL_PX)      /* 260 */
#define ROOMS_COUNT (ROOMS_GRID * ROOMS_GRID)               /* 16 */
#define ROOMS_LANDMARK_CELLS 3      /* a landmark covers 3x3 cells */
#define ROOMS_LANDMARK_PX (ROOMS_LANDMARK_CELLS * ROOMS_CELL_PX) /* 12 */
#define ROOMS_MIN_LANDMARKS 10
#define ROOMS_MAX_LANDMARKS 16      /* at most one per room */
#define ROOMS_MAX_DISTANCE 10       /* cells per move action */
#define ROOMS_STATE_VECTOR_LENGTH (7 + ROOMS_MAX_LANDMARKS * 6)

_Static_assert(ROOMS_MAX_LANDMARKS <= PAN_WORLD_MAX_OBJECTS,
               "landmarks must fit in pan_world_state.objects");

typedef enum rooms_cell {
    ROOMS_CELL_FLOOR = 0,
    ROOMS_CELL_WALL,
    ROOMS_CELL_DOOR /* a gap in a wall: passable */
} rooms_cell;

/* Headings and compass directions share one numbering (world.h). */
enum { ROOMS_NORTH = 0, ROOMS_EAST, ROOMS_SOUTH, ROOMS_WEST };

typedef struct rooms_landmark {
    int colour; /* pan_colour */
    int shape;  /* pan_shape_kind */
    int x0, y0; /* top-left cell of its 3x3 footprint */
} rooms_landmark;

typedef struct rooms_map {
    uint64_t seed;
    uint8_t cell[ROOMS_MAP_CELLS][ROOMS_MAP_CELLS]; /* [y][x] rooms_cell */
    int n_landmarks;
    rooms_landmark landmarks[ROOMS_MAX_LANDMARKS];
    uint8_t floor_rgb[ROOMS_COUNT][3]; /* base floor colour per room */
    int start_x, start_y, start_heading;
} rooms_map;

typedef struct rooms_world {
    rooms_map map;
    rooms_map scratch;  /* set_state validates a new seed's map here */
    uint8_t *image;     /* (ROOMS_MAP_PX, ROOMS_MAP_PX, 3) painted map */
    int32_t *labels;    /* (H, W) detector scratch */
    int32_t *stack;     /* (H * W) detector flood-fill stack */
    int cam_x, cam_y;   /* camera cell; its centre is (cam + 0.5) cells */
    int heading;        /* ROOMS_NORTH.. ROOMS_WEST */
    int64_t steps;
} rooms_world;

/* ---- parsed actions ---- */

typedef enum rooms_action_kind {
    ROOMS_ACT_MOVE = 0, /* absolute compass direction */
    ROOMS_ACT_MOVE_REL, /* forward (+1) or back (-1) along the heading */
    ROOMS_ACT_TURN,     /* heading += turn (1 right, 2 around, 3 left) */
    ROOMS_ACT_FACE,     /* heading = dir */
    ROOMS_ACT_STAY
} rooms_action_kind;

/* Templates (ids are stable: docs/worlds.md lists them). */
enum {
    ROOMS_T_GO_DIR = 0,   /* "go north 3" */
    ROOMS_T_GO_N_DIR,     /* "walk 3 steps north" */
    ROOMS_T_GO_TO_THE,    /* "head to the north" */
    ROOMS_T_STEP_DIR,     /* "step west" */
    ROOMS_T_TAKE_STEPS,   /* "take 2 steps south" */
    ROOMS_T_FORWARD,      /* "move forward two" */
    ROOMS_T_BACK,         /* "go back" */
    ROOMS_T_TURN_LR,      /* "turn left" */
    ROOMS_T_TURN_AROUND,  /* "turn around" */
    ROOMS_T_STAY,         /* "wait" */
    ROOMS_T_FACE,         /* "face north" */
    ROOMS_T_BARE_DIR,     /* "north 3" (held out) */
    ROOMS_T_DIR_FIRST,    /* "to the north, walk 3" (held out) */
    ROOMS_T_TAKE_REL,     /* "take a step back" */
    ROOMS_TEMPLATE_COUNT
};

/* Movement verbs, captured so (verb, direction) pairs can be held out. */
enum {
    ROOMS_VERB_NONE = -1,
    ROOMS_VERB_GO = 0, ROOMS_VERB_MOVE, ROOMS_VERB_WALK, ROOMS_VERB_HEAD,
    ROOMS_VERB_TRAVEL, ROOMS_VERB_PROCEED, ROOMS_VERB_RUN, ROOMS_VERB_MARCH,
    ROOMS_VERB_STROLL, ROOMS_VERB_STEP, ROOMS_VERB_TAKE, ROOMS_VERB_ADVANCE,
    ROOMS_VERB_REVERSE, ROOMS_VERB_BACK, ROOMS_VERB_TURN, ROOMS_VERB_ROTATE,
    ROOMS_VERB_SPIN, ROOMS_VERB_PIVOT, ROOMS_VERB_FACE, ROOMS_VERB_LOOK,
    ROOMS_VERB_COUNT
};

typedef struct rooms_action {
    int kind;     /* rooms_action_kind */
    int dir;      /* MOVE, FACE: compass direction */
    int sign;     /* MOVE_REL: +1 forward, -1 back */
    int turn;     /* TURN: 1 right, 2 around, 3 left */
    int distance; /* MOVE, MOVE_REL: cells, 1..ROOMS_MAX_DISTANCE */
    int template_id;
    int verb;     /* ROOMS_VERB_*, or ROOMS_VERB_NONE */
} rooms_action;

_Static_assert(sizeof(rooms_action) <= PAN_WORLD_PARSED_MAX,
               "rooms_action must fit the parsed buffer");

/* ---- rooms_map.c ---- */

/* The six landmark colours (RGB), indexed by pan_colour. */
extern const uint8_t rooms_palette[PAN_COLOUR_COUNT][3];

/* Fills *map from seed; pure function of seed. */
void rooms_map_generate(uint64_t seed, rooms_map *map);
/* Paints the map at pixel resolution: (ROOMS_MAP_PX, ROOMS_MAP_PX, 3). */
void rooms_map_paint(const rooms_map *map, uint8_t *image);
/* True if (x, y) is inside the map and not a wall. */
bool rooms_map_passable(const rooms_map *map, int x, int y);
/* True if pixel (i, j) of a 12x12 landmark footprint is inside the shape
 * (i column, j row, both 0..ROOMS_LANDMARK_PX-1). */
bool rooms_shape_covers(int shape, int i, int j);

/* ---- rooms_render.c ---- */

/* World-pixel origin (left or top) of a frame of `frame_size` pixels when
 * the camera rests on cell `cam`: ROOMS_CELL_PX * cam + ROOMS_CELL_PX / 2 -
 * frame_size / 2. */
int rooms_view_origin(int cam, int frame_size);
/* Copies world pixels [ox, ox+W) x [oy, oy+H) into frame (H, W, 3); pixels
 * outside the map are black. */
void rooms_render_window(const rooms_world *rw, int width, int height, int ox,
                         int oy, uint8_t *frame);
/* True if landmark l lies fully inside the frame with a 1-pixel margin. */
bool rooms_landmark_visible(const rooms_landmark *l, int width, int height,
                            int ox, int oy);

/* ---- rooms_parse.c ---- */

/* Parses text; fills result (understood, kind, heldout, template_id,
 * canonical, message) and, when understood, *action. */
void rooms_parse_text(const char *text, pan_action_result *result,
                      rooms_action *action);
/* True if the action's template or one of its combinations is held out. */
bool rooms_action_heldout(const rooms_action *action);
/* Canonical text of an action ("go north 3", "turn left", "wait"). */
void rooms_action_canonical(const rooms_action *action, char *buf,
                            size_t size);
/* Words for directions and verbs (for the sampler and messages). */
extern const char *const rooms_dir_names[4];
extern const char *const rooms_verb_names[ROOMS_VERB_COUNT];

/* ---- rooms_sample.c ---- */

/* Writes one random action text of `template_id` into buf (at least
 * PAN_WORLD_ACTION_MAX + 1 bytes), drawing from *rng. */
void rooms_sample_template(int template_id, uint64_t *rng, char *buf,
                           size_t size);
void rooms_sample_action(const pan_world *w, uint64_t *rng, pan_split split,
                         char *buf, size_t size);

/* ---- rooms_detect.c ---- */

void rooms_detect(const pan_world *w, const uint8_t *frame,
                  pan_world_state *detected);

/* ---- shared RNG (splitmix64) ---- */

static inline uint64_t rooms_rng_next(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform integer in [0, n), n > 0. */
static inline int rooms_rng_below(uint64_t *state, int n) {
    return (int)(rooms_rng_next(state) % (uint64_t)n);
}

#endif
