/* env/vec/vec_env_reset_step.c: reset (seeds, mask, task) and step with the
 * three autoreset modes (gymnasium 1.x semantics; docs/env.md has the
 * table). Everything is validated first; then the envs to reset go to the
 * simulator as one batch and the envs to step as another. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/vec/vec_env_internal.h"

static uint8_t *frames_of(const pan_vec_env *env, uint8_t *base, int i) {
    return base ? base + (size_t)i * env->obs_frames : NULL;
}

static float *latent_of(const pan_vec_env *env, float *base, int i) {
    return base + (size_t)i * env->obs_latent;
}

/* Keeps env i's obs (from the caller's batch) as its last obs. */
static void keep_obs(pan_vec_env *env, const pan_obs_batch *obs, int i) {
    if (env->last_frames)
        memcpy(frames_of(env, env->last_frames, i),
               frames_of(env, obs->frames, i), env->obs_frames);
    memcpy(latent_of(env, env->last_latent, i), latent_of(env, obs->latent, i),
           env->obs_latent * sizeof(float));
}

/* Resets envs idx[0..n-1] (idx may be env->slots). Seeds: seeds[i] of the
 * caller when given, else each env's stream. Writes the reset obs into the
 * caller's batch and the infos; keeps the obs as each env's last obs. */
static pan_status reset_envs(pan_vec_env *env, int n, const int *idx,
                             const uint64_t *seeds, const uint8_t *initial,
                             const pan_obs_batch *obs, pan_env_info *infos) {
    if (n == 0) return PAN_OK;
    int *slots = env->slots;
    if (idx != slots) memmove(slots, idx, (size_t)n * sizeof *slots);
    for (int j = 0; j < n; j++) {
        int i = slots[j];
        vec_env_state *st = &env->envs[i];
        if (seeds) {
            env->seeds[j] = seeds[i];
            st->stream = seeds[i];
        } else {
            env->seeds[j] = vec_env_splitmix(&st->stream);
        }
        env->tasks[j] = st->task ? st->task->task : NULL;
        env->frame_ptrs[j] = frames_of(env, obs->frames, i);
        env->initial_ptrs[j] =
            initial ? initial + (size_t)i * (env->obs_frames / (size_t)env->sp.K)
                    : NULL;
        env->latent_ptrs[j] = latent_of(env, obs->latent, i);
    }
    pan_status status =
        env->sim->vtable->reset(env->sim, n, slots, env->seeds, env->tasks,
                                env->goals, initial ? env->initial_ptrs : NULL,
                                env->frame_ptrs, env->latent_ptrs);
    if (status != PAN_OK) return status;
    for (int j = 0; j < n; j++) {
        int i = slots[j];
        vec_env_state *st = &env->envs[i];
        vec_env_state_begin(st, env->seeds[j]);
        st->goal = env->goals[j];
        vec_env_reset_info(st, &st->info);
        float reward;
        status = vec_env_evaluate(env, i, &st->goal, env->latent_ptrs[j],
                                  &reward, &st->info.success);
        if (status != PAN_OK) return status;
        infos[i] = st->info;
        keep_obs(env, obs, i);
    }
    return PAN_OK;
}

pan_status pan_vec_env_reset(pan_vec_env *env, const uint64_t *seeds,
                             const pan_reset_options *options,
                             pan_obs_batch *obs, pan_env_info *infos) {
    if (!env || !infos)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "reset: env and infos must not be NULL");
    pan_status status = vec_env_check_obs(env, obs, "reset");
    if (status != PAN_OK) return status;
    const bool *mask = options ? options->mask : NULL;
    if (mask) {
        bool any = false;
        for (int i = 0; i < env->N; i++)
            any |= mask[i];
        if (!any)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "reset: reset_mask has no true entry, "
                                 "expected at least one of %d",
                                 env->N);
    }
    if (options && options->initial_frames && !env->config.model)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "reset: initial_frames are for world-model envs; "
                             "a %s env starts from its world's first frame",
                             env->sim->vtable->kind);
    vec_task_ref *task = NULL;
    if (options && options->task) {
        pan_task *t;
        status = pan_task_create(env->world, options->task, &t);
        if (status != PAN_OK) return status;
        if (pan_task_needs_goal_latent(t) && !env->sim->vtable->goal_latent) {
            pan_task_destroy(t);
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "reset: task '%.64s' scores latents against "
                                 "a goal image's latent: world-model envs "
                                 "only (a %s env has its true state)",
                                 options->task, env->sim->vtable->kind);
        }
        task = calloc(1, sizeof *task);
        if (!task) {
            pan_task_destroy(t);
            return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                                 "reset: out of memory for the task");
        }
        task->task = t;
        task->refs = 1; /* held by this call until the envs take it */
    }
    /* valid: from here on only internal failures remain */
    int n = 0;
    for (int i = 0; i < env->N; i++) {
        if (mask && !mask[i]) continue;
        env->slots[n++] = i;
        if (task) {
            vec_task_ref_release(env->envs[i].task);
            env->envs[i].task = vec_task_ref_retain(task);
        }
    }
    vec_task_ref_release(task);
    status = reset_envs(env, n, env->slots, seeds,
                        options ? options->initial_frames : NULL, obs, infos);
    if (status != PAN_OK) return status;
    for (int i = 0; i < env->N; i++) {
        if (!mask || mask[i]) continue;
        memset(&infos[i], 0, sizeof infos[i]);
        if (obs->frames)
            memcpy(frames_of(env, obs->frames, i),
                   frames_of(env, env->last_frames, i), env->obs_frames);
        memcpy(latent_of(env, obs->latent, i),
               latent_of(env, env->last_latent, i),
               env->obs_latent * sizeof(float));
    }
    return PAN_OK;
}

static pan_status check_step(const pan_vec_env *env, const char *const *actions,
                             const pan_obs_batch *obs, const float *rewards,
                             const bool *terminated, const bool *truncated,
                             const pan_env_info *infos,
                             const pan_obs_batch *final_obs,
                             const pan_env_info *final_infos,
                             const bool *has_final) {
    if (!env || !actions || !rewards || !terminated || !truncated || !infos)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "step: env, actions, rewards, terminated, "
                             "truncated and infos must not be NULL");
    pan_status status = vec_env_check_obs(env, obs, "step");
    if (status != PAN_OK) return status;
    if (env->config.autoreset_mode == PAN_AUTORESET_SAME_STEP) {
        if (!final_infos || !has_final)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "step: same_step mode needs final_obs, "
                                 "final_infos and has_final");
        status = vec_env_check_obs(env, final_obs, "step: final_obs");
        if (status != PAN_OK) return status;
    }
    for (int i = 0; i < env->N; i++) {
        status = vec_env_check_action(actions[i], "step", i);
        if (status != PAN_OK) return status;
    }
    for (int i = 0; i < env->N; i++) {
        const vec_env_state *st = &env->envs[i];
        if (!st->started)
            return pan_error_set(PAN_ERR_FAILED_PRECONDITION,
                                 "step: env %d was never reset; call reset "
                                 "first",
                                 i);
        if (env->config.autoreset_mode == PAN_AUTORESET_DISABLED &&
            (st->terminated || st->truncated))
            return pan_error_set(PAN_ERR_FAILED_PRECONDITION,
                                 "step: env %d has %s and autoreset is "
                                 "disabled; reset it (reset_mask) first",
                                 i,
                                 st->terminated ? "terminated" : "truncated");
    }
    return PAN_OK;
}

/* Steps envs idx[0..n-1] (moved into env->slots) with their actions. */
static pan_status step_envs(pan_vec_env *env, int n, const int *idx,
                            const char *const *actions,
                            const pan_obs_batch *obs, float *rewards,
                            bool *terminated, bool *truncated,
                            pan_env_info *infos) {
    if (n == 0) return PAN_OK;
    int *slots = env->slots;
    if (idx != slots) memmove(slots, idx, (size_t)n * sizeof *slots);
    for (int j = 0; j < n; j++) {
        int i = slots[j];
        env->actions[j] = actions[i];
        env->frame_ptrs[j] = frames_of(env, obs->frames, i);
        env->latent_ptrs[j] = latent_of(env, obs->latent, i);
    }
    pan_status status =
        env->sim->vtable->step(env->sim, n, slots, env->actions, env->results,
                               env->frame_ptrs, env->latent_ptrs);
    if (status != PAN_OK) return status;
    const int max_steps = env->config.max_episode_steps;
    for (int j = 0; j < n; j++) {
        int i = slots[j];
        vec_env_state *st = &env->envs[i];
        st->episode_step++;
        pan_env_info *info = &st->info;
        memset(info, 0, sizeof *info);
        info->seed = st->seed;
        info->episode_step = st->episode_step;
        info->action = env->results[j];
        snprintf(info->task, sizeof info->task, "%s", st->goal.text);
        status = vec_env_evaluate(env, i, &st->goal, env->latent_ptrs[j],
                                  &rewards[i], &info->success);
        if (status != PAN_OK) return status;
        st->terminated = info->success;
        st->truncated =
            !st->terminated && max_steps > 0 && st->episode_step >= max_steps;
        terminated[i] = st->terminated;
        truncated[i] = st->truncated;
        infos[i] = *info;
        keep_obs(env, obs, i);
    }
    return PAN_OK;
}

pan_status pan_vec_env_step(pan_vec_env *env, const char *const *actions,
                            pan_obs_batch *obs, float *rewards,
                            bool *terminated, bool *truncated,
                            pan_env_info *infos, pan_obs_batch *final_obs,
                            pan_env_info *final_infos, bool *has_final) {
    pan_status status =
        check_step(env, actions, obs, rewards, terminated, truncated, infos,
                   final_obs, final_infos, has_final);
    if (status != PAN_OK) return status;
    const int N = env->N;
    int n_step = 0, n_reset = 0;
    bool *resets = env->flags; /* (N) the envs this call resets */
    switch (env->config.autoreset_mode) {
    case PAN_AUTORESET_NEXT_STEP:
        /* the ended envs reset instead of acting (action ignored) */
        for (int i = 0; i < N; i++) {
            resets[i] = env->envs[i].terminated || env->envs[i].truncated;
            if (resets[i]) env->slots[n_reset++] = i;
        }
        status = reset_envs(env, n_reset, env->slots, NULL, NULL, obs, infos);
        if (status != PAN_OK) return status;
        for (int i = 0; i < N; i++)
            if (resets[i]) {
                rewards[i] = 0.0f;
                terminated[i] = truncated[i] = false;
                infos[i].autoreset = true;
                env->envs[i].info.autoreset = true;
            }
        for (int i = 0; i < N; i++)
            if (!resets[i]) env->slots[n_step++] = i;
        return step_envs(env, n_step, env->slots, actions, obs, rewards,
                         terminated, truncated, infos);
    case PAN_AUTORESET_SAME_STEP:
        for (int i = 0; i < N; i++)
            env->slots[i] = i;
        status = step_envs(env, N, env->slots, actions, obs, rewards,
                           terminated, truncated, infos);
        if (status != PAN_OK) return status;
        for (int i = 0; i < N; i++) {
            has_final[i] = terminated[i] || truncated[i];
            if (!has_final[i]) continue;
            if (final_obs->frames)
                memcpy(frames_of(env, final_obs->frames, i),
                       frames_of(env, obs->frames, i), env->obs_frames);
            memcpy(latent_of(env, final_obs->latent, i),
                   latent_of(env, obs->latent, i),
                   env->obs_latent * sizeof(float));
            final_infos[i] = infos[i];
            env->slots[n_reset++] = i;
        }
        return reset_envs(env, n_reset, env->slots, NULL, NULL, obs, infos);
    case PAN_AUTORESET_DISABLED:
    default:
        for (int i = 0; i < N; i++)
            env->slots[i] = i;
        return step_envs(env, N, env->slots, actions, obs, rewards, terminated,
                         truncated, infos);
    }
}
