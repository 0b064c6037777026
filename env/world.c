/* env/world.c: world creation by name and the argument checks every world
 * shares; the worlds themselves live in env/tabletop and env/rooms. */
#define _POSIX_C_SOURCE 200809L
#include "env/world.h"

#include <stdlib.h>
#include <string.h>

#include "env/world_internal.h"

static const pan_world_vtable *const worlds[] = {&pan_tabletop_vtable,
                                                 &pan_rooms_vtable};
#define WORLD_COUNT (sizeof worlds / sizeof worlds[0])

pan_world_config pan_world_config_default(void) {
    return (pan_world_config){.width = 64, .height = 64, .frames_per_step = 4};
}

const char *const *pan_world_names(void) {
    static const char *const names[] = {"tabletop", "rooms", NULL};
    return names;
}

static pan_status check_config(const pan_world_config *c) {
    if (c->width < PAN_WORLD_MIN_SIZE || c->width > PAN_WORLD_MAX_SIZE ||
        c->height < PAN_WORLD_MIN_SIZE || c->height > PAN_WORLD_MAX_SIZE)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "world config: frame size %dx%d, expected "
                             "%d..%d on each side",
                             c->width, c->height, PAN_WORLD_MIN_SIZE,
                             PAN_WORLD_MAX_SIZE);
    if (c->frames_per_step < 1 ||
        c->frames_per_step > PAN_WORLD_MAX_FRAMES_PER_STEP)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "world config: frames_per_step %d, expected "
                             "1..%d",
                             c->frames_per_step, PAN_WORLD_MAX_FRAMES_PER_STEP);
    return PAN_OK;
}

pan_status pan_world_create(const char *name, const pan_world_config *config,
                            pan_world **out) {
    if (!name || !out)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "world create: name and out must not be NULL");
    const pan_world_vtable *vt = NULL;
    for (size_t i = 0; i < WORLD_COUNT; i++)
        if (strcmp(worlds[i]->name, name) == 0) vt = worlds[i];
    if (!vt)
        return pan_error_set(PAN_ERR_NOT_FOUND,
                             "world create: unknown world '%s' (expected "
                             "tabletop or rooms)",
                             name);
    pan_world_config cfg = config ? *config : pan_world_config_default();
    pan_status status = check_config(&cfg);
    if (status != PAN_OK) return status;
    pan_world *w = calloc(1, sizeof *w);
    if (!w)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "world create: out of memory");
    w->vtable = vt;
    w->config = cfg;
    status = vt->create(w);
    if (status != PAN_OK) {
        free(w);
        return status;
    }
    *out = w;
    return PAN_OK;
}

void pan_world_destroy(pan_world *world) {
    if (!world) return;
    world->vtable->destroy(world);
    free(world);
}

const char *pan_world_name(const pan_world *world) {
    return world->vtable->name;
}

pan_world_config pan_world_get_config(const pan_world *world) {
    return world->config;
}

static pan_status check_ready(const pan_world *w, const char *what) {
    if (!w)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "world %s: world is NULL",
                             what);
    if (!w->was_reset)
        return pan_error_set(PAN_ERR_FAILED_PRECONDITION,
                             "world %s: %s was never reset", what,
                             w->vtable->name);
    return PAN_OK;
}

static pan_status check_text(const char *action, const char *what) {
    if (!action)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "world %s: action is NULL", what);
    size_t length = strnlen(action, PAN_WORLD_ACTION_MAX + 1);
    if (length > PAN_WORLD_ACTION_MAX)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "world %s: action text is longer than %d bytes",
                             what, PAN_WORLD_ACTION_MAX);
    return PAN_OK;
}

pan_status pan_world_reset(pan_world *world, uint64_t seed, uint8_t *frame) {
    if (!world || !frame)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "world reset: world and frame must not be NULL");
    pan_status status = world->vtable->reset(world, seed);
    if (status != PAN_OK) return status;
    world->was_reset = true;
    world->vtable->render(world, frame);
    return PAN_OK;
}

pan_status pan_world_parse(const pan_world *world, const char *action,
                           pan_action_result *result) {
    if (!world || !result)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "world parse: world and result must not be NULL");
    pan_status status = check_text(action, "parse");
    if (status != PAN_OK) return status;
    _Alignas(16) unsigned char parsed[PAN_WORLD_PARSED_MAX];
    memset(result, 0, sizeof *result);
    result->template_id = -1;
    world->vtable->parse(world, action, result, parsed);
    return PAN_OK;
}

pan_status pan_world_step(pan_world *world, const char *action,
                          uint8_t *frames, pan_action_result *result) {
    pan_status status = check_ready(world, "step");
    if (status != PAN_OK) return status;
    status = check_text(action, "step");
    if (status != PAN_OK) return status;
    if (!frames)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "world step: frames must not be NULL");
    pan_action_result local;
    if (!result) result = &local;
    memset(result, 0, sizeof *result);
    result->template_id = -1;
    _Alignas(16) unsigned char parsed[PAN_WORLD_PARSED_MAX];
    world->vtable->parse(world, action, result, parsed);
    return world->vtable->apply(world, result->understood ? parsed : NULL,
                                frames, result);
}

pan_status pan_world_render(const pan_world *world, uint8_t *frame) {
    pan_status status = check_ready(world, "render");
    if (status != PAN_OK) return status;
    if (!frame)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "world render: frame must not be NULL");
    world->vtable->render(world, frame);
    return PAN_OK;
}

pan_status pan_world_get_state(const pan_world *world, pan_world_state *state) {
    pan_status status = check_ready(world, "get_state");
    if (status != PAN_OK) return status;
    if (!state)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "world get_state: state must not be NULL");
    memset(state, 0, sizeof *state);
    world->vtable->get_state(world, state);
    return PAN_OK;
}

pan_status pan_world_set_state(pan_world *world, const pan_world_state *state) {
    if (!world || !state)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "world set_state: world and state must not be NULL");
    pan_status status = world->vtable->set_state(world, state);
    if (status == PAN_OK) world->was_reset = true;
    return status;
}

pan_status pan_world_sample_action(const pan_world *world, uint64_t *rng,
                                   pan_split split, char *buf, size_t size) {
    pan_status status = check_ready(world, "sample_action");
    if (status != PAN_OK) return status;
    if (!rng || !buf || size < PAN_WORLD_ACTION_MAX + 1)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "world sample_action: rng and buf must not be "
                             "NULL and buf must hold %d bytes",
                             PAN_WORLD_ACTION_MAX + 1);
    if (split != PAN_SPLIT_TRAIN && split != PAN_SPLIT_HELDOUT &&
        split != PAN_SPLIT_ANY)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "world sample_action: unknown split %d", (int)split);
    world->vtable->sample_action(world, rng, split, buf, size);
    return PAN_OK;
}

pan_status pan_world_detect(const pan_world *world, const uint8_t *frame,
                            pan_world_state *detected) {
    if (!world || !frame || !detected)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "world detect: arguments must not be NULL");
    memset(detected, 0, sizeof *detected);
    world->vtable->detect(world, frame, detected);
    return PAN_OK;
}

int pan_world_state_vector(const pan_world *world, const pan_world_state *state,
                           float *out) {
    if (!world || (out && !state)) return -1;
    return world->vtable->state_vector(world, state, out);
}
