/* tests/env/test_task_goal_image.c: every goal image a goal-latent task
 * asks for is a state the world accepts and shows the goal met: over 200
 * episodes each of "latent: random" and "latent: structured: random" on
 * tabletop, pan_task_goal_state's state passes pan_world_set_state and
 * scores the goal's predicate (cost 0). Regression: a place target on top
 * of another object used to give an overlapping state that set_state
 * refused (the model env's reset then failed). */
#include <stdio.h>

#include "env/task.h"
#include "tests/test_util.h"

static void check_spec(const char *spec) {
    pan_world_config wc = pan_world_config_default();
    pan_world *w = NULL;
    pan_task *task = NULL;
    CHECK_STATUS(pan_world_create("tabletop", &wc, &w), PAN_OK);
    CHECK_STATUS(pan_task_create("tabletop", spec, &task), PAN_OK);
    uint8_t frame[64 * 64 * 3];
    int checked = 0;
    for (uint64_t seed = 1; seed <= 200; seed++) {
        pan_goal goal;
        CHECK_STATUS(pan_world_reset(w, seed, frame), PAN_OK);
        if (pan_task_begin(task, w, seed, &goal) != PAN_OK) continue; /* no goal for this seed */
        pan_world_state s;
        pan_status st = pan_task_goal_state(&goal, w, &s);
        if (st == PAN_ERR_NOT_FOUND) continue; /* documented: no plan */
        CHECK_STATUS(st, PAN_OK);
        if (st != PAN_OK) continue;
        pan_status set = pan_world_set_state(w, &s);
        if (set != PAN_OK) fprintf(stderr, "seed %llu '%s': %s\n", (unsigned long long)seed,
                                   goal.text, pan_error_message());
        CHECK(set == PAN_OK);
        /* the goal holds in its image: the base goal's cost is 0 */
        pan_goal base;
        CHECK_STATUS(pan_task_parse_goal("tabletop", goal.text + 8 /* "latent: " */, &base),
                     PAN_OK);
        float cost = -1;
        CHECK_STATUS(pan_task_cost(&base, &wc, &s, &cost), PAN_OK);
        CHECK(cost == 0.0f);
        checked++;
    }
    printf("%s: %d goal images checked\n", spec, checked);
    CHECK(checked >= 150);
    pan_task_destroy(task);
    pan_world_destroy(w);
}

int main(void) {
    check_spec("latent: random");
    check_spec("latent: structured: random");
    return test_exit_code("test_task_goal_image");
}
