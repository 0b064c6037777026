/* env/vec/vec_env_rollout.c: imagined rollouts of B snapshots x T actions
 * on the simulator's scratch slots. Rows run in chunks of S (the scratch
 * slot count); within a chunk every time step is one batched sim step of
 * the rows still running. The live envs (slots 0..N-1) and the snapshots
 * are only read. No autoreset: a row that ends stops being simulated and
 * repeats its ending obs with reward 0 and its flags kept. */
#include <limits.h>
#include <string.h>

#include "env/vec/vec_env_internal.h"

static pan_status check_rollout(const pan_vec_env *env, int B,
                                const uint64_t *ids, int T,
                                const char *const *actions,
                                const pan_rollout_out *out) {
    if (!env || !ids || !actions || !out || !out->rewards || !out->terminated ||
        !out->truncated || !out->latents)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "rollout: env, state ids, actions, rewards, "
                             "terminated, truncated and latents must not be "
                             "NULL");
    if (B < 1 || B > PAN_ENV_MAX_ENVS)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "rollout: B = %d rows, expected 1..%d", B,
                             PAN_ENV_MAX_ENVS);
    if (T < 1 || T > INT_MAX / B)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "rollout: T = %d steps, expected 1..%d", T,
                             INT_MAX / B);
    if (out->frames && env->config.obs_mode == PAN_OBS_LATENT &&
        env->config.model)
        return pan_error_set(PAN_ERR_UNIMPLEMENTED,
                             "rollout: frames from a world-model env in latent "
                             "obs mode: the decoder does not run in latent "
                             "mode (make the env with obs_mode full)");
    for (int b = 0; b < B; b++)
        if (!vec_env_find_snapshot(env, ids[b]))
            return pan_error_set(PAN_ERR_NOT_FOUND,
                                 "rollout: state_ids[%d] = %llu is not a live "
                                 "snapshot of this env",
                                 b, (unsigned long long)ids[b]);
    for (int k = 0; k < B * T; k++) {
        pan_status status = vec_env_check_action(actions[k], "rollout", k);
        if (status != PAN_OK) return status;
    }
    return PAN_OK;
}

/* Row b ended before step t: repeat the previous obs (or the snapshot's). */
static pan_status repeat_row(pan_vec_env *env, const vec_snapshot *snap,
                             int slot, int b, int t, int T,
                             const vec_env_state *row, pan_rollout_out *out) {
    size_t at = (size_t)b * (size_t)T + (size_t)t;
    out->rewards[at] = 0.0f;
    out->terminated[at] = row->terminated;
    out->truncated[at] = row->truncated;
    float *latent = out->latents + at * env->obs_latent; /* (Q, D) */
    const float *prev_latent =                           /* (Q, D) */
        t > 0 ? latent - env->obs_latent : snap->latent;
    memcpy(latent, prev_latent, env->obs_latent * sizeof(float));
    if (!out->frames) return PAN_OK;
    uint8_t *frames = out->frames + at * env->obs_frames; /* (K, H, W, 3) */
    if (t > 0) {
        memcpy(frames, frames - env->obs_frames, env->obs_frames);
    } else if (snap->frames) {
        memcpy(frames, snap->frames, env->obs_frames);
    } else {
        /* latent obs mode keeps no frames: show the current frame K times */
        pan_status status = env->sim->vtable->render(env->sim, slot, frames);
        if (status != PAN_OK) return status;
        size_t frame = env->obs_frames / (size_t)env->sp.K;
        for (int k = 1; k < env->sp.K; k++)
            memcpy(frames + (size_t)k * frame, frames, frame);
    }
    return PAN_OK;
}

static pan_status run_chunk(pan_vec_env *env, int b0, int nb,
                            const uint64_t *ids, int T,
                            const char *const *actions, pan_rollout_out *out) {
    const int N = env->N;
    const int max_steps = env->config.max_episode_steps;
    for (int r = 0; r < nb; r++) {
        const vec_snapshot *snap = vec_env_find_snapshot(env, ids[b0 + r]);
        pan_status status = env->sim->vtable->load(env->sim, N + r, snap->blob,
                                                     snap->blob_bytes);
        if (status != PAN_OK) return status;
        env->rows[r] = snap->state; /* a copy: holds no task reference */
    }
    for (int t = 0; t < T; t++) {
        int n = 0;
        for (int r = 0; r < nb; r++) {
            int b = b0 + r;
            const vec_env_state *row = &env->rows[r];
            if (row->terminated || row->truncated) {
                pan_status status =
                    repeat_row(env, vec_env_find_snapshot(env, ids[b]), N + r,
                               b, t, T, row, out);
                if (status != PAN_OK) return status;
                continue;
            }
            size_t at = (size_t)b * (size_t)T + (size_t)t;
            env->slots[n] = N + r;
            env->actions[n] = actions[at];
            env->frame_ptrs[n] =
                out->frames ? out->frames + at * env->obs_frames : NULL;
            env->latent_ptrs[n] = out->latents + at * env->obs_latent;
            n++;
        }
        if (n == 0) continue;
        pan_status status = env->sim->vtable->step(
            env->sim, n, env->slots, env->actions, env->results,
            env->frame_ptrs, env->latent_ptrs);
        if (status != PAN_OK) return status;
        for (int j = 0; j < n; j++) {
            int r = env->slots[j] - N;
            size_t at = (size_t)(b0 + r) * (size_t)T + (size_t)t;
            vec_env_state *row = &env->rows[r];
            row->episode_step++;
            bool success;
            status = vec_env_evaluate(env, env->slots[j], &row->goal,
                                      env->latent_ptrs[j], &out->rewards[at],
                                      &success);
            if (status != PAN_OK) return status;
            row->terminated = success;
            row->truncated =
                !success && max_steps > 0 && row->episode_step >= max_steps;
            out->terminated[at] = row->terminated;
            out->truncated[at] = row->truncated;
        }
    }
    return PAN_OK;
}

pan_status pan_vec_env_rollout(pan_vec_env *env, int B, const uint64_t *ids,
                               int T, const char *const *actions,
                               pan_rollout_out *out) {
    pan_status status = check_rollout(env, B, ids, T, actions, out);
    if (status != PAN_OK) return status;
    for (int b0 = 0; b0 < B; b0 += env->scratch_slots) {
        int nb = B - b0 < env->scratch_slots ? B - b0 : env->scratch_slots;
        status = run_chunk(env, b0, nb, ids, T, actions, out);
        if (status != PAN_OK) return status;
    }
    return PAN_OK;
}
