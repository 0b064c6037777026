/* agents/c/planner_sim_vec.c: the planners' in-process simulator over a
 * pan_vec_env (planner_sim_vec.h). */
#include <stdlib.h>
#include <string.h>

#include "agents/c/planner_sim_vec.h"

typedef struct vec_ctx {
    pan_vec_env *env;
    int index;
    uint8_t *frames;      /* (B, T, K, H, W, 3) scratch */
    size_t cap;
    bool *truncated;      /* (B, T) scratch */
    size_t cap_rows;
} vec_ctx;

static pan_status vec_fork(void *ctx, uint64_t *id) {
    vec_ctx *v = ctx;
    return pan_vec_env_fork(v->env, 1, &v->index, id);
}

static pan_status vec_release(void *ctx, int n, const uint64_t *ids) {
    return pan_vec_env_release(((vec_ctx *)ctx)->env, n, ids);
}

static pan_status vec_rollout(void *ctx, int B, const uint64_t *ids, int T,
                              const char *const *actions,
                              pan_planner_rollout *out) {
    vec_ctx *v = ctx;
    pan_env_spaces sp;
    pan_vec_env_spaces(v->env, &sp);
    pan_env_config cfg = pan_vec_env_config(v->env);
    size_t rows = (size_t)B * (size_t)T;
    size_t K = (size_t)cfg.world_config.frames_per_step;
    size_t frame = (size_t)cfg.world_config.width *
                   (size_t)cfg.world_config.height * 3;
    if (rows > v->cap_rows) {
        bool *t = realloc(v->truncated, rows);
        if (!t)
            return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                                 "planner sim: out of memory for %zu rows",
                                 rows);
        v->truncated = t, v->cap_rows = rows;
    }
    if (out->frames && rows * K * frame > v->cap) {
        uint8_t *f = realloc(v->frames, rows * K * frame);
        if (!f)
            return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                                 "planner sim: out of memory for %zu frames",
                                 rows * K);
        v->frames = f, v->cap = rows * K * frame;
    }
    pan_rollout_out r = {.rewards = out->rewards, .terminated = out->terminated,
                         .truncated = v->truncated, .latents = out->latents,
                         .frames = out->frames ? v->frames : NULL};
    pan_status st = pan_vec_env_rollout(v->env, B, ids, T, actions, &r);
    if (st != PAN_OK || !out->frames) return st;
    for (size_t i = 0; i < rows; i++)
        memcpy(out->frames + i * frame, v->frames + (i * K + K - 1) * frame,
               frame);
    return PAN_OK;
}

static const pan_planner_sim_vtable vec_vtable = {
    .fork = vec_fork, .rollout = vec_rollout, .release = vec_release};

pan_status pan_planner_sim_vec_create(pan_vec_env *env, int env_index,
                                      bool goal_latent, pan_planner_sim *sim) {
    if (!env || !sim)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "planner sim vec: env and sim must not be NULL");
    pan_env_config cfg = pan_vec_env_config(env);
    if (env_index < 0 || env_index >= cfg.num_envs)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "planner sim vec: env index %d, expected 0..%d",
                             env_index, cfg.num_envs - 1);
    vec_ctx *v = calloc(1, sizeof *v);
    if (!v)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "planner sim vec: out of memory");
    v->env = env;
    v->index = env_index;
    pan_env_spaces sp;
    pan_vec_env_spaces(env, &sp);
    *sim = (pan_planner_sim){
        .vtable = &vec_vtable, .ctx = v,
        .K = cfg.world_config.frames_per_step, .H = cfg.world_config.height,
        .W = cfg.world_config.width, .Q = (int)sp.latent.shape[0],
        .D = (int)sp.latent.shape[1], .latent_is_state = cfg.model == NULL,
        .has_goal_latent = goal_latent,
        .has_frames = cfg.model == NULL || cfg.obs_mode == PAN_OBS_FULL,
        .max_batch = PAN_ENV_MAX_ENVS};
    return PAN_OK;
}

void pan_planner_sim_vec_destroy(pan_planner_sim *sim) {
    if (!sim || !sim->ctx) return;
    vec_ctx *v = sim->ctx;
    free(v->frames);
    free(v->truncated);
    free(v);
    sim->ctx = NULL;
}
