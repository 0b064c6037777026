/* env/task/task.c: task specs (create from text, spec, destroy) and the
 * dispatch of begin, evaluate, solve and budgets to the world's tasks.
 * Tabletop has the place task (task_place.c) and the structured families
 * (task_structured.c); rooms has only the structured landmark family
 * (task_rooms.c) besides "none". Either world's goals may be goal-latent
 * ("latent: ...", task_latent.c): tabletop place and structured goals,
 * rooms landmark goals. */
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

/* A tabletop goal in words: a structured family's canonical text, else a
 * place goal (the world's parser); the place parser's message, extended,
 * when neither fits. */
static pan_status parse_tabletop_goal(const char *text, pan_goal *goal) {
    if (task_family_parse(text, TASK_WORLD_TABLETOP, goal) == PAN_OK)
        return PAN_OK;
    pan_status st = task_place_parse(text, goal);
    if (st == PAN_OK) return st;
    char why[PAN_ERROR_MESSAGE_MAX];
    snprintf(why, sizeof why, "%s", pan_error_message());
    return pan_error_set(st, "%.380s; or \"structured: <family>\", or a "
                         "structured goal such as \"the red circle is next "
                         "to the green triangle\" (docs/env.md)", why);
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
    int family = PAN_TASK_NONE;
    if (rest) {
        if (world == TASK_WORLD_ROOMS &&
            (spec_is(rest, "") || spec_is(rest, "none") ||
             spec_is(rest, "random")))
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "task '%.64s': a goal-latent rooms task needs "
                                 "a landmark goal: \"latent: structured: "
                                 "landmark\", \"latent: structured: random\" "
                                 "or \"latent: the camera is at the <colour> "
                                 "<shape>\"", spec);
        if (spec_is(rest, "") || spec_is(rest, "none"))
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
    } else if (task_structured_spec(spec, world, &family, &status)) {
        if (status != PAN_OK) return status;
        t.mode = TASK_MODE_STRUCTURED;
        t.family = family;
    } else if (world == TASK_WORLD_ROOMS) {
        if (task_family_parse(spec, world, &t.goal) != PAN_OK)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "task '%.64s': rooms has no tasks yet beyond "
                                 "the structured landmark goals, expected "
                                 "none, \"structured: random\", \"structured: "
                                 "landmark\" or \"the camera is at the "
                                 "<colour> <shape>\" (the last three also "
                                 "after \"latent: \")",
                                 spec);
        t.mode = TASK_MODE_GOAL;
    } else if (spec_is(spec, "random")) {
        t.mode = TASK_MODE_RANDOM;
    } else {
        status = parse_tabletop_goal(spec, &t.goal);
        if (status != PAN_OK) return status;
        t.mode = TASK_MODE_GOAL;
    }
    char structured[40];
    snprintf(structured, sizeof structured, "structured: %s",
             family == PAN_TASK_NONE ? "random" : pan_task_kind_name(family));
    snprintf(t.spec, sizeof t.spec, "%s%.110s", t.latent ? "latent: " : "",
             t.mode == TASK_MODE_NONE         ? "none"
             : t.mode == TASK_MODE_RANDOM     ? "random"
             : t.mode == TASK_MODE_STRUCTURED ? structured
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
    if (strnlen(text, PAN_WORLD_ACTION_MAX + 1) > PAN_WORLD_ACTION_MAX)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "task: the goal text is longer than %d bytes",
                             PAN_WORLD_ACTION_MAX);
    pan_goal parsed;
    const char *rest = task_latent_rest(text);
    if (world != TASK_WORLD_TABLETOP) {
        status = task_family_parse(rest ? rest : text, world, &parsed);
        if (status != PAN_OK)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "task goal '%.64s': rooms has no tasks yet "
                                 "beyond \"the camera is at the <colour> "
                                 "<shape>\" (or \"latent: the camera is at "
                                 "the <colour> <shape>\")",
                                 text);
    } else {
        status = parse_tabletop_goal(rest ? rest : text, &parsed);
    }
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
    bool place = task->mode == TASK_MODE_RANDOM ||
                 (task->mode == TASK_MODE_GOAL &&
                  task->goal.kind == PAN_TASK_PLACE);
    if (place) {
        status = task_place_begin(task, world, seed, frames, goal);
    } else {
        uint8_t *scratch = frames;
        if (!scratch) {
            pan_world_config c = pan_world_get_config(world);
            scratch = malloc((size_t)c.frames_per_step * (size_t)c.width *
                             (size_t)c.height * 3);
            if (!scratch)
                return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                                     "task begin: out of memory for frames");
        }
        status = kind == TASK_WORLD_ROOMS
                     ? task_rooms_begin(task, world, seed, scratch, goal)
                     : task_structured_begin(task, world, seed, scratch, goal);
        if (scratch != frames) free(scratch);
    }
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
    if (goal->kind < PAN_TASK_PLACE || goal->kind >= PAN_TASK_KIND_COUNT)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "task evaluate: goal kind %d, expected none (0), "
                             "place (1), goal latent (2) or a structured "
                             "family (3..%d)",
                             (int)goal->kind, PAN_TASK_KIND_COUNT - 1);
    pan_status status = goal->kind == PAN_TASK_PLACE
                            ? task_place_check_goal(goal, "task evaluate")
                            : task_family_check(goal, "task evaluate");
    if (status != PAN_OK) return status;
    if (!config || !in || !in->state)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "task evaluate: a %s goal needs the world "
                             "config and a state",
                             pan_task_kind_name(goal->kind));
    bool holds = task_goal_holds(goal, config, in->state);
    *reward = holds ? 1.0f : 0.0f;
    *success = holds;
    return PAN_OK;
}

int pan_task_budget_of(int length) {
    int b = 2 * length + 3;
    return b < PAN_TASK_BUDGET_MIN   ? PAN_TASK_BUDGET_MIN
           : b > PAN_TASK_BUDGET_MAX ? PAN_TASK_BUDGET_MAX
                                     : b;
}

pan_status pan_task_solve(const pan_goal *goal, const pan_world *world,
                          pan_task_plan *plan) {
    if (!goal || !world || !plan)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "task solve: goal, world and plan must not be "
                             "NULL");
    task_world kind = TASK_WORLD_TABLETOP;
    pan_status st = world_of(pan_world_name(world), &kind, "task solve");
    if (st != PAN_OK) return st;
    pan_goal g = *goal;
    if (g.kind == PAN_TASK_GOAL_LATENT)
        g.kind = g.family == PAN_TASK_NONE ? PAN_TASK_PLACE : g.family;
    if (!task_family_of_world(g.kind, kind))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "task solve: a %s goal has no plan in the %s "
                             "world (expected %s)",
                             pan_task_kind_name(g.kind), pan_world_name(world),
                             kind == TASK_WORLD_ROOMS
                                 ? "landmark"
                                 : "place, relation, group or line");
    st = g.kind == PAN_TASK_PLACE ? task_place_check_goal(&g, "task solve")
                                  : task_family_check(&g, "task solve");
    if (st != PAN_OK) return st;
    pan_world_state s;
    if ((st = pan_world_get_state(world, &s)) != PAN_OK) return st;
    pan_world_config config = pan_world_get_config(world);
    if (kind == TASK_WORLD_ROOMS)
        return task_rooms_solve(&g, &config, &s, plan);
    return task_tabletop_solve(&g, &config, &s, plan);
}

pan_status pan_task_budget(const pan_goal *goal, const pan_world *world,
                           int *budget) {
    if (!budget)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "task budget: budget must not be NULL");
    pan_task_plan plan;
    pan_status st = pan_task_solve(goal, world, &plan);
    if (st == PAN_ERR_NOT_FOUND) {
        pan_error_clear();
        *budget = PAN_TASK_BUDGET_MAX;
        return PAN_OK;
    }
    if (st == PAN_OK) *budget = pan_task_budget_of(plan.length);
    return st;
}
