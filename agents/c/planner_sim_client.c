/* agents/c/planner_sim_client.c: the planners' simulator over a pan-server
 * session (planner_sim_client.h). */
#include <stdlib.h>
#include <string.h>

#include "agents/c/planner_sim_client.h"

typedef struct client_ctx {
    pan_client *c;
    uint64_t session;
    int index;
} client_ctx;

static pan_status cl_fork(void *ctx, uint64_t *id) {
    client_ctx *k = ctx;
    int n = 0;
    const uint64_t *ids = NULL;
    pan_status st = pan_client_fork(k->c, k->session, 1, &k->index, &n, &ids);
    if (st != PAN_OK) return st;
    if (n != 1)
        return pan_error_set(PAN_ERR_DATA_LOSS,
                             "planner sim: FORK of one env returned %d ids", n);
    *id = ids[0];
    return PAN_OK;
}

static pan_status cl_release(void *ctx, int n, const uint64_t *ids) {
    client_ctx *k = ctx;
    int64_t released = 0;
    return pan_client_release(k->c, k->session, n, ids, &released);
}

static pan_status cl_rollout(void *ctx, int B, const uint64_t *ids, int T,
                             const char *const *actions,
                             pan_planner_rollout *out) {
    client_ctx *k = ctx;
    pan_client_rollout_result r;
    pan_status st = pan_client_rollout(k->c, k->session, B, ids, T, actions,
                                       out->frames != NULL, &r);
    if (st != PAN_OK) return st;
    size_t rows = (size_t)B * (size_t)T;
    memcpy(out->rewards, r.reward, rows * sizeof(float));
    memcpy(out->terminated, r.terminated, rows * sizeof(bool));
    memcpy(out->latents, r.latent, rows * (size_t)r.q * (size_t)r.d *
                                       sizeof(float));
    if (out->frames) {
        if (!r.frames)
            return pan_error_set(PAN_ERR_DATA_LOSS,
                                 "planner sim: ROLLOUT with frames: true "
                                 "returned no frames");
        size_t frame = (size_t)r.h * (size_t)r.w * 3, K = (size_t)r.k;
        for (size_t i = 0; i < rows; i++)
            memcpy(out->frames + i * frame, r.frames + (i * K + K - 1) * frame,
                   frame);
    }
    return PAN_OK;
}

static const pan_planner_sim_vtable client_vtable = {
    .fork = cl_fork, .rollout = cl_rollout, .release = cl_release};

pan_status pan_planner_sim_client_create(pan_client *client, uint64_t session,
                                         const pan_client_spaces *spaces,
                                         int env_index, bool is_model,
                                         bool goal_latent, int max_batch,
                                         pan_planner_sim *sim) {
    if (!client || !spaces || !sim)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "planner sim client: client, spaces and sim "
                             "must not be NULL");
    if (env_index < 0 || (spaces->has_session && env_index >= spaces->num_envs))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "planner sim client: env index %d, expected "
                             "0..%d", env_index, spaces->num_envs - 1);
    client_ctx *k = calloc(1, sizeof *k);
    if (!k)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "planner sim client: out of memory");
    *k = (client_ctx){.c = client, .session = session, .index = env_index};
    *sim = (pan_planner_sim){
        .vtable = &client_vtable, .ctx = k, .K = spaces->frames_per_step,
        .H = spaces->height, .W = spaces->width,
        .Q = (int)spaces->latent_shape[0], .D = (int)spaces->latent_shape[1],
        .latent_is_state = !is_model, .has_goal_latent = goal_latent,
        .has_frames = !is_model || spaces->has_frames,
        .max_batch = max_batch > 0 ? max_batch : 256};
    return PAN_OK;
}

void pan_planner_sim_client_destroy(pan_planner_sim *sim) {
    if (!sim) return;
    free(sim->ctx);
    sim->ctx = NULL;
}
