/* env/rooms/rooms_map.c: the procedural map (a pure function of the seed)
 * and its painted image.
 *
 * Layout: a 4x4 grid of rooms of 16 cells; the cells on every line x or y
 * = 0, 16, 32, 48, 64 are walls, so each room has a 15x15 interior and the
 * map is 65x65 cells. Doors (2-4 cells wide, never at a corner) join
 * adjacent rooms: a random spanning tree of the room grid (so every room is
 * reachable) plus each remaining adjacency with probability 1/3. Each of
 * 10-16 distinct rooms holds one landmark (3x3 cells, at least one floor
 * cell from the walls) with a (colour, shape) pair unique in the map. Floors
 * have a per-room base colour (a beige-grey +-10 per channel) and a per-cell
 * brightness jitter of +-4, so every place looks a little different.
 */
#include <string.h>

#include "env/rooms/rooms.h"

const uint8_t rooms_palette[PAN_COLOUR_COUNT][3] = {
    {220, 40, 40},   /* red */
    {40, 180, 70},   /* green */
    {50, 90, 225},   /* blue */
    {235, 215, 50},  /* yellow */
    {155, 65, 200},  /* purple */
    {245, 140, 30},  /* orange */
};

static const uint8_t wall_rgb[3] = {58, 58, 66};
static const uint8_t door_rgb[3] = {118, 82, 48};
static const uint8_t floor_base[3] = {150, 140, 120};

#define EDGE_COUNT (2 * ROOMS_GRID * (ROOMS_GRID - 1)) /* 24 */

static int uf_find(int *parent, int i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
}

/* Opens a door across the wall between room a and its east (horizontal
 * edge) or south neighbour. */
static void open_door(rooms_map *map, int room, bool horizontal,
                      uint64_t *rng) {
    int rx = room % ROOMS_GRID, ry = room / ROOMS_GRID;
    int width = 2 + rooms_rng_below(rng, 3);
    int interior = ROOMS_ROOM_CELLS - 1; /* 15 */
    int start = 2 + rooms_rng_below(rng, interior - width - 1);
    for (int k = 0; k < width; k++) {
        if (horizontal) {
            int x = ROOMS_ROOM_CELLS * (rx + 1);
            int y = ROOMS_ROOM_CELLS * ry + start + k;
            map->cell[y][x] = ROOMS_CELL_DOOR;
        } else {
            int x = ROOMS_ROOM_CELLS * rx + start + k;
            int y = ROOMS_ROOM_CELLS * (ry + 1);
            map->cell[y][x] = ROOMS_CELL_DOOR;
        }
    }
}

static void shuffle(int *items, int n, uint64_t *rng) {
    for (int i = n - 1; i > 0; i--) {
        int j = rooms_rng_below(rng, i + 1);
        int t = items[i];
        items[i] = items[j];
        items[j] = t;
    }
}

void rooms_map_generate(uint64_t seed, rooms_map *map) {
    memset(map, 0, sizeof *map);
    map->seed = seed;
    uint64_t rng = seed ^ 0x526F6F6D734D6170ull; /* "RoomsMap" */

    for (int y = 0; y < ROOMS_MAP_CELLS; y++)
        for (int x = 0; x < ROOMS_MAP_CELLS; x++)
            map->cell[y][x] = (x % ROOMS_ROOM_CELLS == 0 ||
                               y % ROOMS_ROOM_CELLS == 0)
                                  ? ROOMS_CELL_WALL
                                  : ROOMS_CELL_FLOOR;

    /* Edges 0..11 join a room to its east neighbour, 12..23 to its south. */
    int edges[EDGE_COUNT], parent[ROOMS_COUNT];
    for (int i = 0; i < EDGE_COUNT; i++) edges[i] = i;
    for (int i = 0; i < ROOMS_COUNT; i++) parent[i] = i;
    shuffle(edges, EDGE_COUNT, &rng);
    int half = EDGE_COUNT / 2;
    for (int e = 0; e < EDGE_COUNT; e++) {
        int id = edges[e];
        bool horizontal = id < half;
        int k = horizontal ? id : id - half;
        int a, b;
        if (horizontal) {
            int row = k / (ROOMS_GRID - 1), col = k % (ROOMS_GRID - 1);
            a = row * ROOMS_GRID + col;
            b = a + 1;
        } else {
            a = k;
            b = k + ROOMS_GRID;
        }
        int ra = uf_find(parent, a), rb = uf_find(parent, b);
        bool tree = ra != rb;
        if (tree) parent[ra] = rb;
        if (tree || rooms_rng_below(&rng, 3) == 0)
            open_door(map, a, horizontal, &rng);
    }

    for (int r = 0; r < ROOMS_COUNT; r++)
        for (int c = 0; c < 3; c++)
            map->floor_rgb[r][c] =
                (uint8_t)(floor_base[c] + rooms_rng_below(&rng, 21) - 10);

    int rooms[ROOMS_COUNT], combos[PAN_COLOUR_COUNT * PAN_SHAPE_COUNT];
    for (int i = 0; i < ROOMS_COUNT; i++) rooms[i] = i;
    for (int i = 0; i < PAN_COLOUR_COUNT * PAN_SHAPE_COUNT; i++) combos[i] = i;
    shuffle(rooms, ROOMS_COUNT, &rng);
    shuffle(combos, PAN_COLOUR_COUNT * PAN_SHAPE_COUNT, &rng);
    map->n_landmarks =
        ROOMS_MIN_LANDMARKS +
        rooms_rng_below(&rng, ROOMS_MAX_LANDMARKS - ROOMS_MIN_LANDMARKS + 1);
    /* Footprint x0..x0+2 inside 16*rx+2 .. 16*rx+13: one free cell to the
     * west wall, two to the east wall. */
    int span = ROOMS_ROOM_CELLS - 1 - ROOMS_LANDMARK_CELLS - 2; /* 10 */
    for (int i = 0; i < map->n_landmarks; i++) {
        rooms_landmark *l = &map->landmarks[i];
        int room = rooms[i];
        l->colour = combos[i] % PAN_COLOUR_COUNT;
        l->shape = combos[i] / PAN_COLOUR_COUNT;
        l->x0 = ROOMS_ROOM_CELLS * (room % ROOMS_GRID) + 2 +
                rooms_rng_below(&rng, span);
        l->y0 = ROOMS_ROOM_CELLS * (room / ROOMS_GRID) + 2 +
                rooms_rng_below(&rng, span);
    }

    int start_room = rooms_rng_below(&rng, ROOMS_COUNT);
    map->start_x = ROOMS_ROOM_CELLS * (start_room % ROOMS_GRID) +
                   ROOMS_ROOM_CELLS / 2;
    map->start_y = ROOMS_ROOM_CELLS * (start_room / ROOMS_GRID) +
                   ROOMS_ROOM_CELLS / 2;
    map->start_heading = rooms_rng_below(&rng, 4);
}

bool rooms_map_passable(const rooms_map *map, int x, int y) {
    return x >= 0 && y >= 0 && x < ROOMS_MAP_CELLS && y < ROOMS_MAP_CELLS &&
           map->cell[y][x] != ROOMS_CELL_WALL;
}

bool rooms_shape_covers(int shape, int i, int j) {
    int n = ROOMS_LANDMARK_PX;   /* 12 */
    int dx = 2 * i + 1 - n;      /* twice the offset of the pixel centre */
    int dy = 2 * j + 1 - n;
    switch (shape) {
    case PAN_SHAPE_SQUARE: return true;
    case PAN_SHAPE_CIRCLE: return dx * dx + dy * dy <= n * n;
    case PAN_SHAPE_TRIANGLE: /* apex up: row j is 2*ceil((j+1)/2) wide */
        return (dx < 0 ? -dx : dx) <= j + 1;
    }
    return false;
}

/* Per-cell brightness jitter in -4..4, a pure function of (seed, x, y). */
static int cell_jitter(uint64_t seed, int x, int y) {
    uint64_t h = seed ^ (0x9E3779B97F4A7C15ull *
                         (uint64_t)(y * ROOMS_MAP_CELLS + x + 1));
    return (int)(rooms_rng_next(&h) % 9) - 4;
}

static void fill_cell(uint8_t *image, int x, int y, const uint8_t rgb[3]) {
    for (int j = 0; j < ROOMS_CELL_PX; j++) {
        uint8_t *row = image + ((size_t)(y * ROOMS_CELL_PX + j) * ROOMS_MAP_PX +
                                (size_t)x * ROOMS_CELL_PX) * 3;
        for (int i = 0; i < ROOMS_CELL_PX; i++) memcpy(row + 3 * i, rgb, 3);
    }
}

void rooms_map_paint(const rooms_map *map, uint8_t *image) {
    for (int y = 0; y < ROOMS_MAP_CELLS; y++)
        for (int x = 0; x < ROOMS_MAP_CELLS; x++) {
            uint8_t rgb[3];
            switch (map->cell[y][x]) {
            case ROOMS_CELL_WALL: memcpy(rgb, wall_rgb, 3); break;
            case ROOMS_CELL_DOOR: memcpy(rgb, door_rgb, 3); break;
            default: {
                int room = (y / ROOMS_ROOM_CELLS) * ROOMS_GRID +
                           x / ROOMS_ROOM_CELLS;
                int jitter = cell_jitter(map->seed, x, y);
                for (int c = 0; c < 3; c++)
                    rgb[c] = (uint8_t)(map->floor_rgb[room][c] + jitter);
            }
            }
            fill_cell(image, x, y, rgb);
        }
    for (int k = 0; k < map->n_landmarks; k++) {
        const rooms_landmark *l = &map->landmarks[k];
        for (int j = 0; j < ROOMS_LANDMARK_PX; j++)
            for (int i = 0; i < ROOMS_LANDMARK_PX; i++) {
                if (!rooms_shape_covers(l->shape, i, j)) continue;
                size_t px = (size_t)(l->x0 * ROOMS_CELL_PX + i);
                size_t py = (size_t)(l->y0 * ROOMS_CELL_PX + j);
                memcpy(image + (py * ROOMS_MAP_PX + px) * 3,
                       rooms_palette[l->colour], 3);
            }
    }
}
