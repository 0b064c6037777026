/* env/rooms/rooms_world.c: the rooms world's vtable: create, reset, step
 * (camera movement with smooth interpolation over the K frames), true state
 * get/set and the state vector. Map generation, rendering, parsing,
 * sampling and detection live in the sibling files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/rooms/rooms.h"

static const int step_dx[4] = {0, 1, 0, -1}; /* north, east, south, west */
static const int step_dy[4] = {-1, 0, 1, 0};

static const char *const colour_names[PAN_COLOUR_COUNT] = {
    "red", "green", "blue", "yellow", "purple", "orange"};
static const char *const shape_names[PAN_SHAPE_COUNT] = {"square", "circle",
                                                         "triangle"};

static rooms_world *impl(const pan_world *w) { return w->impl; }

static pan_status rooms_create(pan_world *w) {
    rooms_world *rw = calloc(1, sizeof *rw);
    size_t pixels = (size_t)w->config.width * (size_t)w->config.height;
    if (rw) {
        rw->image = malloc((size_t)ROOMS_MAP_PX * ROOMS_MAP_PX * 3);
        rw->labels = malloc(pixels * sizeof *rw->labels);
        rw->stack = malloc(pixels * sizeof *rw->stack);
    }
    if (!rw || !rw->image || !rw->labels || !rw->stack) {
        if (rw) {
            free(rw->image);
            free(rw->labels);
            free(rw->stack);
        }
        free(rw);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "rooms create: out of memory for a %dx%d world",
                             w->config.width, w->config.height);
    }
    w->impl = rw;
    return PAN_OK;
}

static void rooms_destroy(pan_world *w) {
    rooms_world *rw = impl(w);
    if (!rw) return;
    free(rw->image);
    free(rw->labels);
    free(rw->stack);
    free(rw);
    w->impl = NULL;
}

static pan_status rooms_reset(pan_world *w, uint64_t seed) {
    rooms_world *rw = impl(w);
    rooms_map_generate(seed, &rw->map);
    rooms_map_paint(&rw->map, rw->image);
    rw->cam_x = rw->map.start_x;
    rw->cam_y = rw->map.start_y;
    rw->heading = rw->map.start_heading;
    rw->steps = 0;
    return PAN_OK;
}

static void rooms_parse(const pan_world *w, const char *text,
                        pan_action_result *result, void *parsed) {
    rooms_action action;
    memset(&action, 0, sizeof action);
    rooms_parse_text(text, result, &action);
    memcpy(parsed, &action, sizeof action); /* parsed may be unaligned */
}

static void rooms_render(const pan_world *w, uint8_t *frame) {
    const rooms_world *rw = impl(w);
    int width = w->config.width, height = w->config.height;
    rooms_render_window(rw, width, height, rooms_view_origin(rw->cam_x, width),
                        rooms_view_origin(rw->cam_y, height), frame);
}

/* Moves the camera up to `distance` cells towards `dir`, stopping in front
 * of the first wall; returns the cells moved. */
static int walk(rooms_world *rw, int dir, int distance) {
    int moved = 0;
    while (moved < distance &&
           rooms_map_passable(&rw->map, rw->cam_x + step_dx[dir],
                              rw->cam_y + step_dy[dir])) {
        rw->cam_x += step_dx[dir];
        rw->cam_y += step_dy[dir];
        moved++;
    }
    return moved;
}

static pan_status rooms_apply(pan_world *w, const void *parsed,
                              uint8_t *frames, pan_action_result *result) {
    rooms_world *rw = impl(w);
    int width = w->config.width, height = w->config.height;
    int k_frames = w->config.frames_per_step;
    size_t frame_bytes = (size_t)width * (size_t)height * 3;
    int ox0 = rooms_view_origin(rw->cam_x, width);
    int oy0 = rooms_view_origin(rw->cam_y, height);
    rw->steps++;
    if (!parsed) {
        rooms_render_window(rw, width, height, ox0, oy0, frames);
        for (int k = 1; k < k_frames; k++)
            memcpy(frames + (size_t)k * frame_bytes, frames, frame_bytes);
        return PAN_OK;
    }
    rooms_action a;
    memcpy(&a, parsed, sizeof a);
    static const char *const turn_names[4] = {"", "right", "around", "left"};
    switch (a.kind) {
    case ROOMS_ACT_MOVE:
    case ROOMS_ACT_MOVE_REL: {
        int dir = a.kind == ROOMS_ACT_MOVE
                      ? a.dir
                      : (a.sign > 0 ? rw->heading : (rw->heading + 2) % 4);
        if (a.kind == ROOMS_ACT_MOVE) rw->heading = a.dir;
        int moved = walk(rw, dir, a.distance);
        if (moved == a.distance)
            snprintf(result->message, sizeof result->message,
                     "moved %s %d cell%s", rooms_dir_names[dir], moved,
                     moved == 1 ? "" : "s");
        else if (moved == 0)
            snprintf(result->message, sizeof result->message,
                     "blocked by a wall to the %s: did not move",
                     rooms_dir_names[dir]);
        else
            snprintf(result->message, sizeof result->message,
                     "moved %s %d of %d cells, then stopped at a wall",
                     rooms_dir_names[dir], moved, a.distance);
        break;
    }
    case ROOMS_ACT_TURN:
        rw->heading = (rw->heading + a.turn) % 4;
        snprintf(result->message, sizeof result->message,
                 "turned %s, now facing %s", turn_names[a.turn & 3],
                 rooms_dir_names[rw->heading]);
        break;
    case ROOMS_ACT_FACE:
        rw->heading = a.dir;
        snprintf(result->message, sizeof result->message, "now facing %s",
                 rooms_dir_names[rw->heading]);
        break;
    default:
        snprintf(result->message, sizeof result->message, "waited");
        break;
    }
    int ox1 = rooms_view_origin(rw->cam_x, width);
    int oy1 = rooms_view_origin(rw->cam_y, height);
    for (int k = 1; k <= k_frames; k++) {
        /* Integer interpolation: frame k shows k/K of the way. */
        int ox = ox0 + (ox1 - ox0) * k / k_frames;
        int oy = oy0 + (oy1 - oy0) * k / k_frames;
        rooms_render_window(rw, width, height, ox, oy,
                            frames + (size_t)(k - 1) * frame_bytes);
    }
    return PAN_OK;
}

static void rooms_get_state(const pan_world *w, pan_world_state *state) {
    const rooms_world *rw = impl(w);
    int width = w->config.width, height = w->config.height;
    int ox = rooms_view_origin(rw->cam_x, width);
    int oy = rooms_view_origin(rw->cam_y, height);
    float half = ROOMS_LANDMARK_CELLS / 2.0f;
    state->n_objects = rw->map.n_landmarks;
    for (int i = 0; i < rw->map.n_landmarks; i++) {
        const rooms_landmark *l = &rw->map.landmarks[i];
        pan_object_state *o = &state->objects[i];
        o->colour = l->colour;
        o->shape = l->shape;
        o->x = (float)l->x0 + half;
        o->y = (float)l->y0 + half;
        o->size = half;
        o->visible = rooms_landmark_visible(l, width, height, ox, oy);
    }
    state->brightness = 1.0f;
    state->camera_x = (float)rw->cam_x + 0.5f;
    state->camera_y = (float)rw->cam_y + 0.5f;
    state->heading = rw->heading;
    state->seed = rw->map.seed;
    state->rng = 0;
    state->steps = rw->steps;
}

/* Reads a camera coordinate: must be (integer cell) + 0.5 inside the map. */
static bool camera_cell(float value, int *cell) {
    float v = value - 0.5f;
    if (!(v >= 0.0f && v <= (float)(ROOMS_MAP_CELLS - 1))) return false;
    int c = (int)v;
    if ((float)c != v) return false;
    *cell = c;
    return true;
}

static pan_status rooms_set_state(pan_world *w, const pan_world_state *s) {
    rooms_world *rw = impl(w);
    if (s->heading < 0 || s->heading > 3)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "rooms set_state: heading %d, expected 0..3 "
                             "(north, east, south, west)",
                             (int)s->heading);
    int cx, cy;
    if (!camera_cell(s->camera_x, &cx) || !camera_cell(s->camera_y, &cy))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "rooms set_state: camera (%g, %g), expected a "
                             "cell centre (integer + 0.5) inside the %dx%d "
                             "map",
                             (double)s->camera_x, (double)s->camera_y,
                             ROOMS_MAP_CELLS, ROOMS_MAP_CELLS);
    if (s->brightness != 1.0f)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "rooms set_state: brightness %g, expected 1 "
                             "(rooms have no lighting)",
                             (double)s->brightness);
    if (s->rng != 0 || s->steps < 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "rooms set_state: rng %llu and steps %lld, "
                             "expected rng 0 (rooms use no RNG after reset) "
                             "and steps >= 0",
                             (unsigned long long)s->rng, (long long)s->steps);
    const rooms_map *map = &rw->map;
    bool new_map = !w->was_reset || s->seed != rw->map.seed;
    if (new_map) {
        rooms_map_generate(s->seed, &rw->scratch);
        map = &rw->scratch;
    }
    if (!rooms_map_passable(map, cx, cy))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "rooms set_state: camera cell (%d, %d) is a "
                             "wall in the map of seed %llu",
                             cx, cy, (unsigned long long)s->seed);
    if (s->n_objects != map->n_landmarks)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "rooms set_state: %d objects, the map of seed "
                             "%llu has %d landmarks",
                             (int)s->n_objects, (unsigned long long)s->seed,
                             map->n_landmarks);
    float half = ROOMS_LANDMARK_CELLS / 2.0f;
    for (int i = 0; i < map->n_landmarks; i++) {
        const rooms_landmark *l = &map->landmarks[i];
        const pan_object_state *o = &s->objects[i];
        if (o->colour != l->colour || o->shape != l->shape ||
            o->x != (float)l->x0 + half || o->y != (float)l->y0 + half ||
            o->size != half)
            return pan_error_set(
                PAN_ERR_INVALID_ARGUMENT,
                "rooms set_state: objects[%d] is colour %d shape %d at (%g, "
                "%g) size %g; the map of seed %llu has a %s %s at (%g, %g) "
                "size %g",
                i, (int)o->colour, (int)o->shape, (double)o->x, (double)o->y,
                (double)o->size, (unsigned long long)s->seed,
                colour_names[l->colour], shape_names[l->shape],
                (double)((float)l->x0 + half), (double)((float)l->y0 + half),
                (double)half);
    }
    if (new_map) {
        rw->map = rw->scratch;
        rooms_map_paint(&rw->map, rw->image);
    }
    rw->cam_x = cx;
    rw->cam_y = cy;
    rw->heading = (int)s->heading;
    rw->steps = s->steps;
    return PAN_OK;
}

/* Layout (docs/worlds.md): [0] camera_x, [1] camera_y (cells), [2..5]
 * heading one-hot (N, E, S, W), [6] n_objects, then per landmark slot
 * i < 16 at 7 + 6 i: present, visible, colour id, shape id, x, y (cells). */
static int rooms_state_vector(const pan_world *w, const pan_world_state *s,
                              float *out) {
    if (!out) return ROOMS_STATE_VECTOR_LENGTH;
    if (!s) return -1;
    memset(out, 0, ROOMS_STATE_VECTOR_LENGTH * sizeof *out);
    out[0] = s->camera_x;
    out[1] = s->camera_y;
    if (s->heading >= 0 && s->heading < 4) out[2 + s->heading] = 1.0f;
    int n = s->n_objects < 0 ? 0
            : s->n_objects > ROOMS_MAX_LANDMARKS ? ROOMS_MAX_LANDMARKS
                                                 : (int)s->n_objects;
    out[6] = (float)n;
    for (int i = 0; i < n; i++) {
        float *slot = out + 7 + 6 * i;
        const pan_object_state *o = &s->objects[i];
        slot[0] = 1.0f;
        slot[1] = o->visible ? 1.0f : 0.0f;
        slot[2] = (float)o->colour;
        slot[3] = (float)o->shape;
        slot[4] = o->x;
        slot[5] = o->y;
    }
    return ROOMS_STATE_VECTOR_LENGTH;
}

const pan_world_vtable pan_rooms_vtable = {
    .name = "rooms",
    .create = rooms_create,
    .destroy = rooms_destroy,
    .reset = rooms_reset,
    .parse = rooms_parse,
    .apply = rooms_apply,
    .render = rooms_render,
    .get_state = rooms_get_state,
    .set_state = rooms_set_state,
    .sample_action = rooms_sample_action,
    .detect = rooms_detect,
    .state_vector = rooms_state_vector,
};
