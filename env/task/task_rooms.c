/* env/task/task_rooms.c: the rooms landmark family (docs/env.md
 * "Structured goal families"): "the camera is at the <colour> <shape>".
 *
 * - Holds when the camera's room is the landmark's room (room of a
 *   coordinate v in cells: floor(v / 16)) and the landmark's centre is
 *   within PAN_TASK_LANDMARK_CELLS (2) cells of the camera on both axes:
 *   the landmark is then fully visible within 8 px of the frame centre at
 *   every frame size. The landmark is the state's object of that (colour,
 *   shape), visible or not (a true state lists every landmark).
 * - Cost: the length, in cells, of the shortest 4-connected path through
 *   passable cells (floor and doors) of the map of state->seed from the
 *   camera's cell to a cell whose centre satisfies the predicate. A
 *   landmark the map does not have, or a camera off the floor or with no
 *   path, costs PAN_TASK_ROOMS_COST_MISSING. A per-thread cache keeps the
 *   last map and the last distance field.
 * - Solve: breadth-first over "go <north|east|south|west> <1..10>" (the
 *   camera stops at walls, so a move ends on any free cell of its run):
 *   the shortest plan in actions. Its final state is the world's state
 *   after the plan: the camera on the goal cell, heading the last move's
 *   direction, steps + length, and the landmarks' visible flags for the
 *   frames of `config` (as get_state sets them), so it renders as the
 *   world does there (the goal image of "latent: ..." landmark goals).
 * - Begin: a sampled goal is a landmark whose shortest plan has 1..
 *   PAN_TASK_SOLVE_MAX actions, drawn uniformly (map order) from an RNG
 *   seeded by seed ^ "TASK_RMS" (if there is none, the nearest landmark
 *   with budget PAN_TASK_BUDGET_MAX). A fixed goal that already holds is
 *   walked away from ("go <north|east|south|west> 5" in that order until
 *   it does not); a fixed landmark the map lacks cannot succeed (budget
 *   PAN_TASK_BUDGET_MAX). The step counter is set back to 0. */
#include <stdio.h>
#include <string.h>

#include "env/rooms/rooms.h"
#include "env/task/task_internal.h"

#define FAR 32000
#define MIN_COST 1e-6f

static const int step_x[4] = {0, 1, 0, -1}, step_y[4] = {-1, 0, 1, 0};

typedef struct rooms_cache {
    bool has_map, has_field;
    uint64_t seed;
    rooms_map map;
    int colour, shape;
    int16_t field[ROOMS_MAP_CELLS][ROOMS_MAP_CELLS];
} rooms_cache;

static _Thread_local rooms_cache cache;

static const rooms_map *map_of(uint64_t seed) {
    if (!cache.has_map || cache.seed != seed) {
        rooms_map_generate(seed, &cache.map);
        cache.seed = seed;
        cache.has_map = true;
        cache.has_field = false;
    }
    return &cache.map;
}

static int landmark_index(const rooms_map *m, int colour, int shape) {
    for (int i = 0; i < m->n_landmarks; i++)
        if (m->landmarks[i].colour == colour && m->landmarks[i].shape == shape)
            return i;
    return -1;
}

static int room_of(float v) { return v < 0.0f ? -1 : (int)(v / 16.0f); }

static float absf(float v) { return v < 0.0f ? -v : v; }

/* The predicate for a camera at (cx, cy) and a landmark centred (lx, ly). */
static bool near_landmark(float cx, float cy, float lx, float ly) {
    return room_of(cx) == room_of(lx) && room_of(cy) == room_of(ly) &&
           absf(lx - cx) <= PAN_TASK_LANDMARK_CELLS &&
           absf(ly - cy) <= PAN_TASK_LANDMARK_CELLS;
}

static int state_landmark(const pan_world_state *s, int colour, int shape) {
    int n = s->n_objects < 0                       ? 0
            : s->n_objects > PAN_WORLD_MAX_OBJECTS ? PAN_WORLD_MAX_OBJECTS
                                                   : s->n_objects;
    for (int i = 0; i < n; i++)
        if (s->objects[i].colour == colour && s->objects[i].shape == shape)
            return i;
    return -1;
}

bool task_rooms_holds(const pan_goal *g, const pan_world_state *s) {
    int i = state_landmark(s, g->colour, g->shape);
    if (i < 0 || s->camera_x < 0.0f || s->camera_y < 0.0f) return false;
    return near_landmark(s->camera_x, s->camera_y, s->objects[i].x,
                         s->objects[i].y);
}

/* Cells whose centre satisfies the goal for landmark l. */
static bool goal_cell(const rooms_landmark *l, int x, int y) {
    float half = ROOMS_LANDMARK_CELLS / 2.0f;
    return near_landmark((float)x + 0.5f, (float)y + 0.5f,
                         (float)l->x0 + half, (float)l->y0 + half);
}

/* The 4-connected distance field to the goal cells of landmark li. */
static void build_field(const rooms_map *m, int li) {
    static _Thread_local int queue[ROOMS_MAP_CELLS * ROOMS_MAP_CELLS];
    int head = 0, tail = 0;
    const rooms_landmark *l = &m->landmarks[li];
    for (int y = 0; y < ROOMS_MAP_CELLS; y++)
        for (int x = 0; x < ROOMS_MAP_CELLS; x++) {
            bool start = rooms_map_passable(m, x, y) && goal_cell(l, x, y);
            cache.field[y][x] = start ? 0 : -1;
            if (start) queue[tail++] = y * ROOMS_MAP_CELLS + x;
        }
    while (head < tail) {
        int c = queue[head++], x = c % ROOMS_MAP_CELLS, y = c / ROOMS_MAP_CELLS;
        for (int d = 0; d < 4; d++) {
            int nx = x + step_x[d], ny = y + step_y[d];
            if (!rooms_map_passable(m, nx, ny) || cache.field[ny][nx] >= 0)
                continue;
            cache.field[ny][nx] = (int16_t)(cache.field[y][x] + 1);
            queue[tail++] = ny * ROOMS_MAP_CELLS + nx;
        }
    }
}

float task_rooms_cost(const pan_goal *g, const pan_world_state *s) {
    if (task_rooms_holds(g, s)) return 0.0f;
    const rooms_map *m = map_of(s->seed);
    int li = landmark_index(m, g->colour, g->shape);
    if (li < 0 || state_landmark(s, g->colour, g->shape) < 0 ||
        !(s->camera_x >= 0.0f && s->camera_y >= 0.0f))
        return PAN_TASK_ROOMS_COST_MISSING;
    int cx = (int)s->camera_x, cy = (int)s->camera_y;
    if (!rooms_map_passable(m, cx, cy)) return PAN_TASK_ROOMS_COST_MISSING;
    if (!cache.has_field || cache.colour != g->colour ||
        cache.shape != g->shape) {
        build_field(m, li);
        cache.has_field = true;
        cache.colour = g->colour;
        cache.shape = g->shape;
    }
    int d = cache.field[cy][cx];
    if (d < 0) return PAN_TASK_ROOMS_COST_MISSING;
    return d == 0 ? MIN_COST : (float)d;
}

/* ---- shortest plans in actions ------------------------------------------ */

typedef struct action_bfs {
    int16_t dist[ROOMS_MAP_CELLS][ROOMS_MAP_CELLS];   /* actions, -1 unseen */
    int16_t parent[ROOMS_MAP_CELLS][ROOMS_MAP_CELLS]; /* cell index */
    int8_t dir[ROOMS_MAP_CELLS][ROOMS_MAP_CELLS], cells[ROOMS_MAP_CELLS]
                                                       [ROOMS_MAP_CELLS];
} action_bfs;

static void run_action_bfs(const rooms_map *m, int sx, int sy,
                           action_bfs *b) {
    static _Thread_local int queue[ROOMS_MAP_CELLS * ROOMS_MAP_CELLS];
    memset(b->dist, 0xff, sizeof b->dist);
    int head = 0, tail = 0;
    b->dist[sy][sx] = 0;
    b->parent[sy][sx] = -1;
    queue[tail++] = sy * ROOMS_MAP_CELLS + sx;
    while (head < tail) {
        int c = queue[head++], x = c % ROOMS_MAP_CELLS, y = c / ROOMS_MAP_CELLS;
        for (int d = 0; d < 4; d++)
            for (int n = 1; n <= ROOMS_MAX_DISTANCE; n++) {
                int nx = x + step_x[d] * n, ny = y + step_y[d] * n;
                if (!rooms_map_passable(m, nx, ny)) break;
                if (b->dist[ny][nx] >= 0) continue;
                b->dist[ny][nx] = (int16_t)(b->dist[y][x] + 1);
                b->parent[ny][nx] = (int16_t)c;
                b->dir[ny][nx] = (int8_t)d;
                b->cells[ny][nx] = (int8_t)n;
                queue[tail++] = ny * ROOMS_MAP_CELLS + nx;
            }
    }
}

/* The goal cell reached in the fewest actions (raster order breaks ties),
 * or -1. */
static int best_goal_cell(const rooms_map *m, const action_bfs *b, int li) {
    int best = -1, best_d = FAR;
    for (int y = 0; y < ROOMS_MAP_CELLS; y++)
        for (int x = 0; x < ROOMS_MAP_CELLS; x++)
            if (b->dist[y][x] >= 0 && b->dist[y][x] < best_d &&
                goal_cell(&m->landmarks[li], x, y))
                best = y * ROOMS_MAP_CELLS + x, best_d = b->dist[y][x];
    return best;
}

static bool camera_cell(const pan_world_state *s, const rooms_map *m, int *x,
                        int *y) {
    if (!(s->camera_x >= 0.0f && s->camera_y >= 0.0f)) return false;
    *x = (int)s->camera_x, *y = (int)s->camera_y;
    return rooms_map_passable(m, *x, *y);
}

/* The visible flags of s's landmarks for its camera in frames of
 * width x height, exactly as the world's get_state computes them. */
static void set_visibility(pan_world_state *s, int width, int height) {
    if (!(s->camera_x >= 0.0f && s->camera_y >= 0.0f)) return;
    int ox = rooms_view_origin((int)s->camera_x, width);
    int oy = rooms_view_origin((int)s->camera_y, height);
    float half = ROOMS_LANDMARK_CELLS / 2.0f;
    int n = s->n_objects < 0                       ? 0
            : s->n_objects > PAN_WORLD_MAX_OBJECTS ? PAN_WORLD_MAX_OBJECTS
                                                   : s->n_objects;
    for (int i = 0; i < n; i++) {
        pan_object_state *o = &s->objects[i];
        rooms_landmark l = {.colour = o->colour, .shape = o->shape,
                            .x0 = (int)(o->x - half), .y0 = (int)(o->y - half)};
        o->visible = rooms_landmark_visible(&l, width, height, ox, oy);
    }
}

pan_status task_rooms_solve(const pan_goal *g, const pan_world_config *config,
                            const pan_world_state *s, pan_task_plan *plan) {
    static _Thread_local action_bfs b;
    memset(plan, 0, sizeof *plan);
    plan->final_state = *s;
    if (task_rooms_holds(g, s)) return PAN_OK;
    const rooms_map *m = map_of(s->seed);
    int li = landmark_index(m, g->colour, g->shape), sx, sy;
    if (li < 0 || !camera_cell(s, m, &sx, &sy))
        return pan_error_set(PAN_ERR_NOT_FOUND,
                             "task solve: '%.100s' cannot be reached: the map "
                             "of seed %llu has no such landmark or the camera "
                             "is not on its floor",
                             g->text, (unsigned long long)s->seed);
    run_action_bfs(m, sx, sy, &b);
    int goal = best_goal_cell(m, &b, li);
    int len = goal < 0 ? FAR
                       : b.dist[goal / ROOMS_MAP_CELLS][goal % ROOMS_MAP_CELLS];
    if (len > PAN_TASK_SOLVE_MAX)
        return pan_error_set(PAN_ERR_NOT_FOUND,
                             "task solve: '%.100s' needs more than %d actions "
                             "from the camera at (%g, %g)",
                             g->text, PAN_TASK_SOLVE_MAX, (double)s->camera_x,
                             (double)s->camera_y);
    plan->length = len;
    for (int c = goal, k = len - 1; k >= 0; k--) {
        int x = c % ROOMS_MAP_CELLS, y = c / ROOMS_MAP_CELLS;
        snprintf(plan->actions[k], sizeof plan->actions[k], "go %s %d",
                 rooms_dir_names[b.dir[y][x]], (int)b.cells[y][x]);
        if (k == len - 1) plan->final_state.heading = b.dir[y][x];
        c = b.parent[y][x];
    }
    plan->final_state.camera_x = (float)(goal % ROOMS_MAP_CELLS) + 0.5f;
    plan->final_state.camera_y = (float)(goal / ROOMS_MAP_CELLS) + 0.5f;
    plan->final_state.steps = s->steps + len;
    set_visibility(&plan->final_state, config->width, config->height);
    return PAN_OK;
}

/* ---- begin --------------------------------------------------------------- */

static pan_status walk_away(pan_world *world, const pan_goal *g,
                            uint8_t *frames) {
    static const char *const moves[4] = {"go north 5", "go east 5",
                                         "go south 5", "go west 5"};
    pan_world_state s;
    pan_status st = pan_world_get_state(world, &s);
    for (int k = 0; st == PAN_OK && task_rooms_holds(g, &s) && k < 4; k++) {
        st = pan_world_step(world, moves[k], frames, NULL);
        if (st == PAN_OK) st = pan_world_get_state(world, &s);
    }
    return st;
}

pan_status task_rooms_begin(const pan_task *task, pan_world *world,
                            uint64_t seed, uint8_t *frames, pan_goal *goal) {
    static _Thread_local action_bfs b;
    pan_world_state s;
    pan_status st = pan_world_get_state(world, &s);
    if (st != PAN_OK) return st;
    const rooms_map *m = map_of(s.seed);
    pan_goal chosen = task->goal;
    if (task->mode == TASK_MODE_STRUCTURED) {
        int sx, sy;
        if (!camera_cell(&s, m, &sx, &sy))
            return pan_error_set(PAN_ERR_INTERNAL,
                                 "task begin: the camera is not on the floor");
        run_action_bfs(m, sx, sy, &b);
        int cand[ROOMS_MAX_LANDMARKS], n = 0, nearest = -1, nearest_len = FAR;
        for (int i = 0; i < m->n_landmarks; i++) {
            int c = best_goal_cell(m, &b, i);
            int len = c < 0 ? FAR
                            : b.dist[c / ROOMS_MAP_CELLS][c % ROOMS_MAP_CELLS];
            if (len >= 1 && len <= PAN_TASK_SOLVE_MAX) cand[n++] = i;
            if (len >= 1 && len < nearest_len) nearest = i, nearest_len = len;
        }
        uint64_t rng = seed ^ 0x5441534B5F524D53ull; /* "TASK_RMS" */
        int li = n > 0 ? cand[rooms_rng_below(&rng, n)] : nearest;
        if (li < 0)
            return pan_error_set(PAN_ERR_INTERNAL,
                                 "task begin: no landmark of seed %llu can be "
                                 "reached", (unsigned long long)s.seed);
        chosen = (pan_goal){.kind = PAN_TASK_LANDMARK,
                            .colour = m->landmarks[li].colour,
                            .shape = m->landmarks[li].shape,
                            .place = -1, .relation = -1, .colour2 = -1,
                            .shape2 = -1, .colour3 = -1, .shape3 = -1};
        task_family_text(&chosen);
    } else {
        st = walk_away(world, &chosen, frames);
        if (st != PAN_OK) return st;
    }
    st = pan_world_get_state(world, &s);
    if (st != PAN_OK) return st;
    s.steps = 0;
    st = pan_world_set_state(world, &s);
    if (st != PAN_OK) return st;
    pan_task_plan plan;
    pan_world_config config = pan_world_get_config(world);
    chosen.budget = task_rooms_solve(&chosen, &config, &s, &plan) == PAN_OK
                        ? pan_task_budget_of(plan.length)
                        : PAN_TASK_BUDGET_MAX;
    pan_error_clear();
    *goal = chosen;
    return PAN_OK;
}
