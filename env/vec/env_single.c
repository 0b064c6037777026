/* env/vec/env_single.c: the single env (gymnasium.Env rules): a vector env
 * of one with autoreset disabled, so stepping after the end is
 * FAILED_PRECONDITION until the next reset. */
#include <stdlib.h>

#include "env/env.h"

struct pan_env {
    pan_vec_env *vec;
};

pan_status pan_env_create(const pan_env_config *config, pan_env **out) {
    if (!config || !out)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "env create: config and out must not be NULL");
    if (config->num_envs != 0 && config->num_envs != 1)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "env create: num_envs = %d, expected 1 (or 0) for "
                             "a single env; use pan_vec_env_create for more",
                             config->num_envs);
    pan_env_config c = *config;
    c.num_envs = 1;
    c.autoreset_mode = PAN_AUTORESET_DISABLED;
    pan_env *env = calloc(1, sizeof *env);
    if (!env)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "env create: out of memory");
    pan_status status = pan_vec_env_create(&c, &env->vec);
    if (status != PAN_OK) {
        free(env);
        return status;
    }
    *out = env;
    return PAN_OK;
}

void pan_env_destroy(pan_env *env) {
    if (!env) return;
    pan_vec_env_destroy(env->vec);
    free(env);
}

pan_vec_env *pan_env_vec(pan_env *env) {
    return env ? env->vec : NULL;
}

pan_status pan_env_reset(pan_env *env, const uint64_t *seed, const char *task,
                         pan_obs_batch *obs, pan_env_info *info) {
    if (!env)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "env reset: env must not be NULL");
    pan_reset_options options = {.task = task, .mask = NULL};
    return pan_vec_env_reset(env->vec, seed, &options, obs, info);
}

pan_status pan_env_step(pan_env *env, const char *action, pan_obs_batch *obs,
                        float *reward, bool *terminated, bool *truncated,
                        pan_env_info *info) {
    if (!env)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "env step: env must not be NULL");
    const char *actions[1] = {action};
    return pan_vec_env_step(env->vec, actions, obs, reward, terminated,
                            truncated, info, NULL, NULL, NULL);
}

pan_status pan_env_render(const pan_env *env, uint8_t *frame) {
    if (!env)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "env render: env must not be NULL");
    return pan_vec_env_render(env->vec, 0, frame);
}
