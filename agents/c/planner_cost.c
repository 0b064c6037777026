/* agents/c/planner_cost.c: what an imagined step costs (planner.h, "Cost
 * of an imagined step"): the detector's reading of the step's last frame
 * or the decoded true-state latent, scored by pan_task_cost on the goal's
 * family; or, on a model running the goal-latent task, the latent
 * distance d = -reward. */
#include <string.h>

#include "agents/c/planner_internal.h"

#define TABLETOP_VECTOR 73
#define ROOMS_VECTOR 103

/* The family goal pan_task_cost scores (a goal-latent goal's family). */
static pan_goal base_goal(const pan_goal *g) {
    pan_goal b = *g;
    if (b.kind == PAN_TASK_GOAL_LATENT)
        b.kind = b.family ? b.family : PAN_TASK_PLACE;
    return b;
}

pan_status pc_decode_latent(const pan_planner *p, const float *v, int size,
                            pan_world_state *s) {
    memset(s, 0, sizeof *s);
    s->brightness = 1.0f;
    if (!p->rooms) {
        if (size != TABLETOP_VECTOR)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "planner: a tabletop true-state latent has "
                                 "%d floats, found %d",
                                 TABLETOP_VECTOR, size);
        const pan_world_config *c = &p->cfg.world_config;
        float cell = (float)(c->width < c->height ? c->width : c->height) / 8.0f;
        for (int pair = 0; pair < PAN_COLOUR_COUNT * PAN_SHAPE_COUNT; pair++) {
            const float *o = v + 4 * pair;
            if (o[0] < 0.5f) continue;
            s->objects[s->n_objects++] = (pan_object_state){
                .colour = pair / PAN_SHAPE_COUNT, .shape = pair % PAN_SHAPE_COUNT,
                .x = o[1] * (float)c->width, .y = o[2] * (float)c->height,
                .size = o[3] * cell, .visible = true};
        }
        s->brightness = v[72];
        return PAN_OK;
    }
    if (size != ROOMS_VECTOR)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "planner: a rooms true-state latent has %d "
                             "floats, found %d",
                             ROOMS_VECTOR, size);
    s->camera_x = v[0], s->camera_y = v[1];
    for (int h = 0; h < 4; h++)
        if (v[2 + h] > 0.5f) s->heading = h;
    int n = (int)v[6];
    s->n_objects = n < 0 ? 0 : n > 16 ? 16 : n;
    for (int i = 0; i < s->n_objects; i++) {
        const float *o = v + 7 + 6 * i;
        s->objects[i] = (pan_object_state){
            .colour = (int32_t)o[2], .shape = (int32_t)o[3], .x = o[4],
            .y = o[5], .size = 1.5f, .visible = o[1] > 0.5f};
    }
    s->seed = p->episode_seed;
    return PAN_OK;
}

pan_status pc_detect(pan_planner *p, const uint8_t *frame,
                     pan_world_state *s) {
    pan_world_state det;
    pan_status st = pan_world_detect(p->world, frame, &det);
    if (st != PAN_OK) return st;
    if (!p->rooms) {
        *s = det;
        return PAN_OK;
    }
    /* rooms: the episode's landmarks (world cells) with the camera the
     * detector estimates from the landmarks in view (-1: none in view) */
    if ((st = pan_world_get_state(p->world, s)) != PAN_OK) return st;
    s->camera_x = det.camera_x;
    s->camera_y = det.camera_y;
    return PAN_OK;
}

pan_status pc_costs(pan_planner *p, const pan_planner_sim *sim, int B, int T,
                    float *costs) {
    pan_goal goal = base_goal(&p->goal);
    const pan_world_config *cfg = &p->cfg.world_config;
    size_t latent = (size_t)sim->Q * (size_t)sim->D;
    size_t frame = (size_t)sim->H * (size_t)sim->W * 3;
    for (int b = 0; b < B; b++) {
        float prev = 0.0f;
        for (int t = 0; t < T; t++) {
            size_t r = (size_t)b * (size_t)T + (size_t)t;
            float c = 0.0f;
            pan_world_state s;
            pan_status st = PAN_OK;
            if (p->cfg.cost == PAN_PLANNER_COST_DETECTOR) {
                st = pc_detect(p, p->frames + r * frame, &s);
                if (st == PAN_OK) st = pan_task_cost(&goal, cfg, &s, &c);
            } else if (sim->latent_is_state) {
                st = pc_decode_latent(p, p->latents + r * latent, (int)latent,
                                      &s);
                if (st == PAN_OK) st = pan_task_cost(&goal, cfg, &s, &c);
            } else {
                bool ended_before = t > 0 && p->terminated[r - 1];
                c = ended_before ? prev : -p->rewards[r];
                if (c < 0.0f) c = 0.0f;
            }
            if (st != PAN_OK) return st;
            costs[r] = c;
            prev = c;
        }
    }
    return PAN_OK;
}
