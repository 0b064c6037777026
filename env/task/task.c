/* env/task/task.c: task specs (create from text, spec, destroy) and the
 * dispatch of begin and evaluate to the world's task. Tabletop has the
 * place task (task_place.c); rooms has no task yet (only "none"). */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/task/task_internal.h"

#define TASK_ACCEPTED                                                          \
    "none, random, or a goal such as \"put the red circle in the top left "    \
    "corner\""

/* Is `spec`, trimmed and in any casing, equal to `word`? */
static bool spec_is(const char *spec, const char *word) {
    while (*spec && isspace((unsigned char)*spec))
        spec++;
    size_t n = strlen(word);
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)spec[i]) != word[i]) return false;
    spec += n;
    while (*spec && isspace((unsigned char)*spec))
        spec++;
    return *spec == '\0';
}

static pan_status world_of(const char *name, task_world *world,
                           const char *where) {
    if (name && strcmp(name, "tabletop") == 0) {
        *world = TASK_WORLD_TABLETOP;
        return PAN_OK;
    }
    if (name && strcmp(name, "rooms") == 0) {
        *world = TASK_WORLD_ROOMS;
        return PAN_OK;
    }
    return pan_error_set(PAN_ERR_NOT_FOUND,
                         "%s: world '%.32s' has no tasks, expected tabletop or "
                         "rooms",
                         where, name ? name : "(null)");
}

pan_status pan_task_create(const char *world_name, const char *spec,
                           pan_task **out) {
    if (!out)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "task create: out must not be NULL");
    task_world world = TASK_WORLD_TABLETOP;
    pan_status status = world_of(world_name, &world, "task create");
    if (status != PAN_OK) return status;
    if (spec && strnlen(spec, PAN_WORLD_ACTION_MAX + 1) > PAN_WORLD_ACTION_MAX)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "task: the task text is longer than %d bytes",
                             PAN_WORLD_ACTION_MAX);
    pan_task t = {.world = world, .mode = TASK_MODE_NONE};
    const char *rest = spec ? task_latent_rest(spec) : NULL;
    if (rest) {
        if (world == TASK_WORLD_ROOMS || spec_is(rest, "") ||
            spec_is(rest, "none"))
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "task '%.64s': a goal-latent task needs a "
                                 "tabletop goal: \"latent: random\" or "
                                 "\"latent: put the red circle in the top "
                                 "left corner\"", spec);
        t.latent = true;
        spec = rest;
    }
    if (!spec || spec_is(spec, "") || spec_is(spec, "none")) {
        t.mode = TASK_MODE_NONE;
    } else if (world == TASK_WORLD_ROOMS) {
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "task '%.64s': rooms has no tasks yet, expected "
                             "none",
                             spec);
    } else if (spec_is(spec, "random")) {
        t.mode = TASK_MODE_RANDOM;
    } else {
        status = task_place_parse(spec, &t.goal);
        if (status != PAN_OK) return status;
        t.mode = TASK_MODE_GOAL;
    }
    snprintf(t.spec, sizeof t.spec, "%s%.110s", t.latent ? "latent: " : "",
             t.mode == TASK_MODE_NONE     ? "none"
             : t.mode == TASK_MODE_RANDOM ? "random"
                                          : t.goal.text);
    pan_task *task = malloc(sizeof *task);
    if (!task)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "task create: out of memory");
    *task = t;
    *out = task;
    return PAN_OK;
}

void pan_task_destroy(pan_task *task) {
    free(task);
}

const char *pan_task_spec(const pan_task *task) {
    return task ? task->spec : "none";
}

pan_status pan_task_parse_goal(const char *world_name, const char *text,
                               pan_goal *goal) {
    if (!text || !goal)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "task parse goal: text and goal must not be NULL");
    task_world world = TASK_WORLD_TABLETOP;
    pan_status status = world_of(world_name, &world, "task parse goal");
    if (status != PAN_OK) return status;
    if (world != TASK_WORLD_TABLETOP)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "task goal '%.64s': rooms has no tasks yet", text);
    if (strnlen(text, PAN_WORLD_ACTION_MAX + 1) > PAN_WORLD_ACTION_MAX)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "task: the goal text is longer than %d bytes",
                             PAN_WORLD_ACTION_MAX);
    pan_goal parsed;
    const char *rest = task_latent_rest(text);
    status = task_place_parse(rest ? rest : text, &parsed);
    if (status == PAN_OK && rest) task_latent_goal(&parsed);
    if (status == PAN_OK) *goal = parsed;
    return status;
}

pan_status pan_task_begin(const pan_task *task, pan_world *world, uint64_t seed,
                          pan_goal *goal) {
    return task_begin_with_frames(task, world, seed, NULL, goal);
}

pan_status task_begin_with_frames(const pan_task *task, pan_world *world,
                                  uint64_t seed, uint8_t *frames,
                                  pan_goal *goal) {
    if (!task || !world || !goal)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "task begin: task, world and goal must not be "
                             "NULL");
    task_world kind = TASK_WORLD_TABLETOP;
    pan_status status = world_of(pan_world_name(world), &kind, "task begin");
    if (status != PAN_OK) return status;
    if (kind != task->world)
        return pan_error_set(
            PAN_ERR_INVALID_ARGUMENT, "task begin: a %s task on a %s world",
            task->world == TASK_WORLD_TABLETOP ? "tabletop" : "rooms",
            pan_world_name(world));
    if (task->mode == TASK_MODE_NONE) {
        pan_world_state state; /* same precondition as the other tasks */
        status = pan_world_get_state(world, &state);
        if (status != PAN_OK) return status;
        memset(goal, 0, sizeof *goal);
        goal->kind = PAN_TASK_NONE;
        return PAN_OK;
    }
    status = task_place_begin(task, world, seed, frames, goal);
    if (status == PAN_OK && task->latent) task_latent_goal(goal);
    return status;
}

bool pan_task_needs_goal_latent(const pan_task *task) {
    return task && task->latent;
}

pan_status pan_task_evaluate(const pan_goal *goal,
                             const pan_world_config *config,
                             const pan_task_input *in, float *reward,
                             bool *success) {
    if (!goal || !reward || !success)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "task evaluate: goal, reward and success must "
                             "not be NULL");
    if (goal->kind == PAN_TASK_NONE) {
        *reward = 0.0f;
        *success = false;
        return PAN_OK;
    }
    if (goal->kind == PAN_TASK_GOAL_LATENT)
        return task_latent_evaluate(goal, in, reward, success);
    if (goal->kind != PAN_TASK_PLACE)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "task evaluate: goal kind %d, expected none (0), "
                             "place (1) or goal latent (2)",
                             (int)goal->kind);
    pan_status status = task_place_check_goal(goal, "task evaluate");
    if (status != PAN_OK) return status;
    if (!config || !in || !in->state)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "task evaluate: a place goal needs the world "
                             "config and a state");
    bool holds = task_place_holds(goal, config, in->state);
    *reward = holds ? 1.0f : 0.0f;
    *success = holds;
    return PAN_OK;
}
