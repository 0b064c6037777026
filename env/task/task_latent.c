/* env/task/task_latent.c: the goal-latent task (env/task.h): a goal of
 * either world (tabletop place or structured, rooms landmark) scored by
 * the distance of the env's latent to the latent of the goal's image.
 * The goal image's state (pan_task_goal_state) is the place target for
 * place goals, else the final state of the reference plan (pan_task_solve:
 * for rooms, the camera where the shortest plan ends). */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "env/task/task_internal.h"

#define LATENT_PREFIX "latent:"

const char *task_latent_rest(const char *text) {
    while (*text && isspace((unsigned char)*text)) text++;
    size_t n = strlen(LATENT_PREFIX);
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)text[i]) != LATENT_PREFIX[i]) return NULL;
    text += n;
    while (*text && isspace((unsigned char)*text)) text++;
    return text;
}

void task_latent_goal(pan_goal *goal) {
    char text[PAN_TASK_TEXT_MAX];
    snprintf(text, sizeof text, "%s", goal->text);
    goal->family = goal->kind == PAN_TASK_PLACE ? PAN_TASK_NONE : goal->kind;
    goal->kind = PAN_TASK_GOAL_LATENT;
    snprintf(goal->text, sizeof goal->text, "latent: %.110s", text);
}

/* Whether object i's bounding square comes closer than the worlds' 1 px
 * gap to another visible object's (what tabletop set_state refuses). */
static bool overlaps_other(const pan_world_state *s, int i) {
    const pan_object_state *o = &s->objects[i];
    for (int j = 0; j < s->n_objects; j++) {
        const pan_object_state *p = &s->objects[j];
        if (j == i || !p->visible) continue;
        float e = o->size + p->size + 1.0f - 1e-3f;
        float dx = o->x - p->x, dy = o->y - p->y;
        if (dx < e && -dx < e && dy < e && -dy < e) return true;
    }
    return false;
}

pan_status pan_task_goal_state(const pan_goal *goal, const pan_world *world,
                               pan_world_state *state) {
    if (!goal || !world || !state)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "task goal state: arguments must not be NULL");
    int family = goal->kind == PAN_TASK_GOAL_LATENT ? goal->family
                                                    : goal->kind;
    if (goal->kind == PAN_TASK_GOAL_LATENT && family == PAN_TASK_NONE)
        family = PAN_TASK_PLACE;
    if (family < PAN_TASK_PLACE || family >= PAN_TASK_KIND_COUNT ||
        family == PAN_TASK_GOAL_LATENT)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "task goal state: goal kind %d has no goal image",
                             (int)goal->kind);
    if (family != PAN_TASK_PLACE) {
        pan_task_plan plan;
        pan_status st = pan_task_solve(goal, world, &plan);
        if (st == PAN_OK) *state = plan.final_state;
        return st;
    }
    pan_status st = task_place_check_goal(goal, "task goal state");
    if (st != PAN_OK) return st;
    pan_world_state s;
    st = pan_world_get_state(world, &s);
    if (st != PAN_OK) return st;
    pan_goal place = *goal;
    place.kind = PAN_TASK_PLACE;
    pan_world_config config = pan_world_get_config(world);
    for (int i = 0; i < s.n_objects; i++) {
        pan_object_state *o = &s.objects[i];
        if (!o->visible || o->colour != goal->colour || o->shape != goal->shape)
            continue;
        st = pan_task_place_target(&place, &config, o, &o->x, &o->y);
        if (st != PAN_OK) return st;
        /* The target on an empty table may sit on another object; then the
         * goal image is where the world's own moves put it (the reference
         * plan), which is always a valid state. */
        if (overlaps_other(&s, i)) {
            pan_task_plan plan;
            st = pan_task_solve(&place, world, &plan);
            if (st == PAN_OK) *state = plan.final_state;
            return st;
        }
        *state = s;
        return PAN_OK;
    }
    return pan_error_set(PAN_ERR_NOT_FOUND,
                         "task goal state: no visible object for the goal "
                         "'%.100s'", goal->text);
}

pan_status task_latent_evaluate(const pan_goal *goal, const pan_task_input *in,
                                float *reward, bool *success) {
    pan_goal base = *goal;
    base.kind = goal->family == PAN_TASK_NONE ? PAN_TASK_PLACE : goal->family;
    pan_status st = base.kind == PAN_TASK_PLACE
                        ? task_place_check_goal(goal, "task evaluate")
                        : task_family_check(&base, "task evaluate");
    if (st != PAN_OK) return st;
    if (!in || !in->latent || !in->goal_latent || in->latent_size < 1)
        return pan_error_set(PAN_ERR_FAILED_PRECONDITION,
                             "task evaluate: the goal-latent task '%.100s' "
                             "needs the latent and a goal latent (world-model "
                             "envs only)", goal->text);
    double num = 0.0, den = 0.0;
    for (int i = 0; i < in->latent_size; i++) {
        double diff = (double)in->latent[i] - (double)in->goal_latent[i];
        num += diff * diff;
        den += (double)in->goal_latent[i] * (double)in->goal_latent[i];
    }
    double d = den > 0.0 ? num / den : num;
    *reward = (float)-d;
    *success = d <= PAN_TASK_LATENT_TOLERANCE;
    return PAN_OK;
}
