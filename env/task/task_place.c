/* env/task/task_place.c: the tabletop place task: "put the <colour> <shape>
 * in the <place>".
 *
 * - Parsing goes through the tabletop parser itself: the text is parsed
 *   against 18 one-object tables (one per (colour, shape) pair); it is a
 *   goal when exactly one of them understands it as a place action
 *   (templates 13-16, docs/worlds.md).
 * - Success (env/task.h): the object is visible and its bounding square is
 *   within PAN_TASK_TOLERANCE_PX of every wall the place names; for the
 *   centre, its centre is within that distance of the table's centre.
 * - begin (docs/env.md): a "random" goal picks a visible object and a place
 *   from an RNG seeded by the episode seed. An absent object is added with
 *   the world's own action "add a <c> <s> at the <place>" (the place
 *   opposite the goal first, then the others in pan_place order), else
 *   "add a <c> <s>" (anywhere), else at the first free spot of a raster
 *   scan. An object already at its goal is moved away with "move the <c>
 *   <s> to the <place>" in the same order, else by the raster scan. Then
 *   the world's step counter is set back to 0 and its RNG to what it was,
 *   so begin leaves the world's own random stream alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/tabletop/tabletop.h"
#include "env/task/task_internal.h"

const char *const task_place_names[PAN_PLACE_COUNT] = {
    "top left corner",     "top right corner", "bottom left corner",
    "bottom right corner", "top edge",         "bottom edge",
    "left edge",           "right edge",       "centre"};

/* tt_place -> pan_place */
static const int from_tt_place[TT_PLACES] = {
    [TT_PLACE_TOP_LEFT] = PAN_PLACE_TOP_LEFT,
    [TT_PLACE_TOP_RIGHT] = PAN_PLACE_TOP_RIGHT,
    [TT_PLACE_BOTTOM_LEFT] = PAN_PLACE_BOTTOM_LEFT,
    [TT_PLACE_BOTTOM_RIGHT] = PAN_PLACE_BOTTOM_RIGHT,
    [TT_PLACE_CENTRE] = PAN_PLACE_CENTRE,
    [TT_PLACE_TOP_EDGE] = PAN_PLACE_TOP,
    [TT_PLACE_BOTTOM_EDGE] = PAN_PLACE_BOTTOM,
    [TT_PLACE_LEFT_EDGE] = PAN_PLACE_LEFT,
    [TT_PLACE_RIGHT_EDGE] = PAN_PLACE_RIGHT};

static const int opposite_place[PAN_PLACE_COUNT] = {
    [PAN_PLACE_TOP_LEFT] = PAN_PLACE_BOTTOM_RIGHT,
    [PAN_PLACE_TOP_RIGHT] = PAN_PLACE_BOTTOM_LEFT,
    [PAN_PLACE_BOTTOM_LEFT] = PAN_PLACE_TOP_RIGHT,
    [PAN_PLACE_BOTTOM_RIGHT] = PAN_PLACE_TOP_LEFT,
    [PAN_PLACE_TOP] = PAN_PLACE_BOTTOM,
    [PAN_PLACE_BOTTOM] = PAN_PLACE_TOP,
    [PAN_PLACE_LEFT] = PAN_PLACE_RIGHT,
    [PAN_PLACE_RIGHT] = PAN_PLACE_LEFT,
    [PAN_PLACE_CENTRE] = PAN_PLACE_TOP_LEFT};

#define TASK_EXPECTED                                                          \
    "expected none, random, or a place goal \"put the <colour> <shape> in "    \
    "the <place>\" with <place> one of: top left corner, top right corner, "   \
    "bottom left corner, bottom right corner, top edge, bottom edge, left "    \
    "edge, right edge, centre"

void task_place_goal_text(pan_goal *goal) {
    snprintf(goal->text, sizeof goal->text, "put the %s %s in the %s",
             tt_colour_names[goal->colour], tt_shape_names[goal->shape],
             task_place_names[goal->place]);
}

pan_status task_place_check_goal(const pan_goal *goal, const char *where) {
    if (goal->colour < 0 || goal->colour >= PAN_COLOUR_COUNT ||
        goal->shape < 0 || goal->shape >= PAN_SHAPE_COUNT || goal->place < 0 ||
        goal->place >= PAN_PLACE_COUNT)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: place goal with colour %d, shape %d, place "
                             "%d, expected 0..%d, 0..%d, 0..%d",
                             where, (int)goal->colour, (int)goal->shape,
                             (int)goal->place, PAN_COLOUR_COUNT - 1,
                             PAN_SHAPE_COUNT - 1, PAN_PLACE_COUNT - 1);
    return PAN_OK;
}

static const tt_template *template_of(int id) {
    for (int t = 0; t < tt_template_count; t++)
        if (tt_templates[t].id == id) return &tt_templates[t];
    return NULL;
}

pan_status task_place_parse(const char *text, pan_goal *goal) {
    tt_world tt;
    memset(&tt, 0, sizeof tt);
    tt.geo = tt_geometry_of(64, 64);
    tt.frames_per_step = 1;
    int matches = 0;
    pan_goal found = {0};
    char other[96] = "", why[128] = "";
    for (int c = 0; c < PAN_COLOUR_COUNT; c++)
        for (int s = 0; s < PAN_SHAPE_COUNT; s++) {
            memset(&tt.state, 0, sizeof tt.state);
            tt.state.n_objects = 1;
            tt.state.brightness = 1.0f;
            tt.state.objects[0] = (pan_object_state){.colour = c,
                                                     .shape = s,
                                                     .x = 32.0f,
                                                     .y = 32.0f,
                                                     .size = tt.geo.size,
                                                     .visible = true};
            pan_action_result r;
            memset(&r, 0, sizeof r);
            r.template_id = -1;
            tt_action a;
            memset(&a, 0, sizeof a);
            tt_parse(&tt, text, &r, &a);
            const tt_template *tp =
                r.understood ? template_of(r.template_id) : NULL;
            if (!tp) {
                if (!why[0]) snprintf(why, sizeof why, "%s", r.message);
                continue;
            }
            if (tp->sem != TT_SEM_PLACE || a.place < 0 ||
                a.place >= TT_PLACES) {
                snprintf(other, sizeof other, "%s", r.canonical);
                continue;
            }
            matches++;
            found = (pan_goal){.kind = PAN_TASK_PLACE,
                               .colour = c,
                               .shape = s,
                               .place = from_tt_place[a.place]};
        }
    if (matches > 1)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "task '%.64s': the goal fits %d objects; name "
                             "the object by colour and shape; " TASK_EXPECTED,
                             text, matches);
    if (matches == 0 && other[0])
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "task '%.64s' is the action \"%s\", not a place "
                             "goal; " TASK_EXPECTED,
                             text, other);
    if (matches == 0)
        return pan_error_set(
            PAN_ERR_INVALID_ARGUMENT,
            "task '%.64s' is not understood (%.80s); " TASK_EXPECTED, text,
            why);
    task_place_goal_text(&found);
    *goal = found;
    return PAN_OK;
}

/* ---- success ----------------------------------------------------------------
 */

static bool holds_at(const tt_geometry *g, int place, float x, float y,
                     float size) {
    const float tol = PAN_TASK_TOLERANCE_PX;
    bool left = (x - size) - g->x0 <= tol, right = g->x1 - (x + size) <= tol;
    bool top = (y - size) - g->y0 <= tol, bottom = g->y1 - (y + size) <= tol;
    switch (place) {
    case PAN_PLACE_TOP_LEFT:
        return top && left;
    case PAN_PLACE_TOP_RIGHT:
        return top && right;
    case PAN_PLACE_BOTTOM_LEFT:
        return bottom && left;
    case PAN_PLACE_BOTTOM_RIGHT:
        return bottom && right;
    case PAN_PLACE_TOP:
        return top;
    case PAN_PLACE_BOTTOM:
        return bottom;
    case PAN_PLACE_LEFT:
        return left;
    case PAN_PLACE_RIGHT:
        return right;
    default: {
        float dx = x - (g->x0 + g->x1) * 0.5f, dy = y - (g->y0 + g->y1) * 0.5f;
        return dx * dx + dy * dy <= tol * tol;
    }
    }
}

/* Slot of the visible (colour, shape) object, or -1. */
static int find_goal_object(const pan_world_state *s, const pan_goal *goal) {
    int n = s->n_objects < 0                       ? 0
            : s->n_objects > PAN_WORLD_MAX_OBJECTS ? PAN_WORLD_MAX_OBJECTS
                                                   : s->n_objects;
    for (int i = 0; i < n; i++) {
        const pan_object_state *o = &s->objects[i];
        if (o->visible && o->colour == goal->colour && o->shape == goal->shape)
            return i;
    }
    return -1;
}

bool task_place_holds(const pan_goal *goal, const pan_world_config *config,
                      const pan_world_state *state) {
    int i = find_goal_object(state, goal);
    if (i < 0) return false;
    tt_geometry g = tt_geometry_of(config->width, config->height);
    const pan_object_state *o = &state->objects[i];
    return holds_at(&g, goal->place, o->x, o->y, o->size);
}

pan_status pan_task_place_target(const pan_goal *goal,
                                 const pan_world_config *config,
                                 const pan_object_state *object, float *x,
                                 float *y) {
    if (!goal || !config || !object || !x || !y)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "task place target: arguments must not be NULL");
    if (goal->kind != PAN_TASK_PLACE)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "task place target: goal kind %d, expected a "
                             "place goal (1)",
                             (int)goal->kind);
    pan_status status = task_place_check_goal(goal, "task place target");
    if (status != PAN_OK) return status;
    tt_geometry g = tt_geometry_of(config->width, config->height);
    float size = object->size;
    float left = g.x0 + size, right = g.x1 - size;
    float top = g.y0 + size, bottom = g.y1 - size;
    float px = object->x, py = object->y;
    switch (goal->place) {
    case PAN_PLACE_TOP_LEFT:
        px = left, py = top;
        break;
    case PAN_PLACE_TOP_RIGHT:
        px = right, py = top;
        break;
    case PAN_PLACE_BOTTOM_LEFT:
        px = left, py = bottom;
        break;
    case PAN_PLACE_BOTTOM_RIGHT:
        px = right, py = bottom;
        break;
    case PAN_PLACE_TOP:
        py = top;
        break;
    case PAN_PLACE_BOTTOM:
        py = bottom;
        break;
    case PAN_PLACE_LEFT:
        px = left;
        break;
    case PAN_PLACE_RIGHT:
        px = right;
        break;
    default:
        px = (g.x0 + g.x1) * 0.5f, py = (g.y0 + g.y1) * 0.5f;
        break;
    }
    *x = px;
    *y = py;
    return PAN_OK;
}

/* ---- begin
 * ------------------------------------------------------------------- */

typedef struct begin_ctx {
    pan_world *world;
    tt_geometry geo;
    const pan_goal *goal;
    uint8_t *frames; /* (K, H, W, 3) scratch for world steps */
} begin_ctx;

static pan_status world_state(const begin_ctx *ctx, pan_world_state *s) {
    return pan_world_get_state(ctx->world, s);
}

/* Is the goal object visible, and does the goal hold? */
static pan_status look(const begin_ctx *ctx, bool *present, bool *holds) {
    pan_world_state s;
    pan_status status = world_state(ctx, &s);
    if (status != PAN_OK) return status;
    int i = find_goal_object(&s, ctx->goal);
    *present = i >= 0;
    *holds = i >= 0 && holds_at(&ctx->geo, ctx->goal->place, s.objects[i].x,
                                s.objects[i].y, s.objects[i].size);
    return PAN_OK;
}

/* The places to try, opposite of the goal first, the goal's own last. */
static void place_order(int goal_place, int order[PAN_PLACE_COUNT]) {
    int n = 0;
    order[n++] = opposite_place[goal_place];
    for (int p = 0; p < PAN_PLACE_COUNT; p++)
        if (p != goal_place && p != order[0]) order[n++] = p;
    order[n] = goal_place;
}

static pan_status act(const begin_ctx *ctx, const char *text) {
    return pan_world_step(ctx->world, text, ctx->frames, NULL);
}

/* Puts the goal object at the first free integer spot of a raster scan
 * where the goal does not hold, adding it when absent; hides other objects
 * (last first) when no spot is free. Acts through set_state. */
static pan_status scan_place(const begin_ctx *ctx) {
    pan_world_state s;
    pan_status status = world_state(ctx, &s);
    if (status != PAN_OK) return status;
    const pan_goal *goal = ctx->goal;
    int slot = find_goal_object(&s, goal);
    float size = slot >= 0 ? s.objects[slot].size : ctx->geo.size;
    if (slot < 0) {
        for (int i = 0; i < s.n_objects && slot < 0; i++)
            if (!s.objects[i].visible && s.objects[i].colour == goal->colour &&
                s.objects[i].shape == goal->shape)
                slot = i;
        for (int i = 0; i < s.n_objects && slot < 0; i++)
            if (!s.objects[i].visible) slot = i;
        if (slot < 0 && s.n_objects < PAN_WORLD_MAX_OBJECTS)
            slot = s.n_objects++;
        if (slot < 0) slot = s.n_objects - 1; /* 16 visible: take the last */
    }
    for (;;) {
        for (int y = 0; y < ctx->geo.height; y++)
            for (int x = 0; x < ctx->geo.width; x++) {
                float fx = (float)x, fy = (float)y;
                if (!tt_inside_table(&ctx->geo, fx, fy, size) ||
                    !tt_is_free(&s, fx, fy, size, slot) ||
                    holds_at(&ctx->geo, goal->place, fx, fy, size))
                    continue;
                s.objects[slot] = (pan_object_state){.colour = goal->colour,
                                                     .shape = goal->shape,
                                                     .x = fx,
                                                     .y = fy,
                                                     .size = size,
                                                     .visible = true};
                return pan_world_set_state(ctx->world, &s);
            }
        int hide = -1;
        for (int i = 0; i < s.n_objects; i++)
            if (i != slot && s.objects[i].visible) hide = i;
        if (hide < 0)
            return pan_error_set(PAN_ERR_INTERNAL,
                                 "task begin: no spot on the table for the "
                                 "goal object");
        s.objects[hide].visible = false;
    }
}

static pan_status make_reachable(const begin_ctx *ctx) {
    const pan_goal *goal = ctx->goal;
    const char *c = tt_colour_names[goal->colour];
    const char *sh = tt_shape_names[goal->shape];
    int order[PAN_PLACE_COUNT];
    place_order(goal->place, order);
    char text[PAN_WORLD_ACTION_MAX + 1];
    bool present, holds;
    pan_status status = look(ctx, &present, &holds);
    for (int k = 0; status == PAN_OK && !present && k < PAN_PLACE_COUNT; k++) {
        snprintf(text, sizeof text, "add a %s %s at the %s", c, sh,
                 task_place_names[order[k]]);
        status = act(ctx, text);
        if (status == PAN_OK) status = look(ctx, &present, &holds);
    }
    if (status == PAN_OK && !present) {
        snprintf(text, sizeof text, "add a %s %s", c, sh);
        status = act(ctx, text);
        if (status == PAN_OK) status = look(ctx, &present, &holds);
    }
    if (status == PAN_OK && !present) {
        status = scan_place(ctx);
        if (status == PAN_OK) status = look(ctx, &present, &holds);
    }
    for (int k = 0; status == PAN_OK && holds && k < PAN_PLACE_COUNT - 1; k++) {
        snprintf(text, sizeof text, "move the %s %s to the %s", c, sh,
                 task_place_names[order[k]]);
        status = act(ctx, text);
        if (status == PAN_OK) status = look(ctx, &present, &holds);
    }
    if (status == PAN_OK && holds) status = scan_place(ctx);
    return status;
}

pan_status task_place_begin(const pan_task *task, pan_world *world,
                            uint64_t seed, uint8_t *frames, pan_goal *goal) {
    pan_world_state start;
    pan_status status = pan_world_get_state(world, &start);
    if (status != PAN_OK) return status;
    pan_world_config config = pan_world_get_config(world);
    pan_goal chosen = task->goal;
    if (task->mode == TASK_MODE_RANDOM) {
        uint64_t rng = seed ^ 0x5441534B5F524E47ull; /* "TASK_RNG" */
        int visible[PAN_WORLD_MAX_OBJECTS], n = 0;
        for (int i = 0; i < start.n_objects; i++)
            if (start.objects[i].visible) visible[n++] = i;
        chosen = (pan_goal){.kind = PAN_TASK_PLACE};
        if (n > 0) {
            const pan_object_state *o =
                &start.objects[visible[tt_rng_below(&rng, (uint32_t)n)]];
            chosen.colour = o->colour;
            chosen.shape = o->shape;
        } else {
            chosen.colour = (int32_t)tt_rng_below(&rng, PAN_COLOUR_COUNT);
            chosen.shape = (int32_t)tt_rng_below(&rng, PAN_SHAPE_COUNT);
        }
        chosen.place = (int32_t)tt_rng_below(&rng, PAN_PLACE_COUNT);
        task_place_goal_text(&chosen);
    }
    begin_ctx ctx = {.world = world,
                     .geo = tt_geometry_of(config.width, config.height),
                     .goal = &chosen};
    bool present, holds;
    status = look(&ctx, &present, &holds);
    if (status != PAN_OK) return status;
    if (!present || holds) {
        ctx.frames = frames;
        if (!frames) {
            ctx.frames =
                malloc((size_t)config.frames_per_step * (size_t)config.width *
                       (size_t)config.height * 3);
            if (!ctx.frames)
                return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                                     "task begin: out of memory for frames");
        }
        status = make_reachable(&ctx);
        if (!frames) free(ctx.frames);
        if (status != PAN_OK) return status;
    }
    pan_world_state s;
    status = pan_world_get_state(world, &s);
    if (status != PAN_OK) return status;
    s.steps = 0;
    s.rng = start.rng; /* the world's own stream, untouched */
    status = pan_world_set_state(world, &s);
    if (status != PAN_OK) return status;
    *goal = chosen;
    return PAN_OK;
}
