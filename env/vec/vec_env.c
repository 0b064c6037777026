/* env/vec/vec_env.c: the vector env's life cycle (create, destroy, config,
 * spaces), mode names, shared checks, render, action sampling and the true
 * state. Reset and step: vec_env_reset_step.c; fork, restore, release:
 * vec_env_snapshot.c; rollout: vec_env_rollout.c. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/vec/vec_env_internal.h"

/* ---- names ----------------------------------------------------------------
 */

static const char *const obs_mode_names[] = {"full", "latent"};
static const char *const autoreset_names[] = {"next_step", "same_step",
                                              "disabled"};

const char *pan_obs_mode_name(pan_obs_mode mode) {
    return (unsigned)mode < 2 ? obs_mode_names[mode] : "unknown";
}

pan_status pan_obs_mode_parse(const char *name, pan_obs_mode *mode) {
    if (!mode)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "obs mode parse: mode must not be NULL");
    for (int i = 0; name && i < 2; i++)
        if (strcmp(name, obs_mode_names[i]) == 0) {
            *mode = (pan_obs_mode)i;
            return PAN_OK;
        }
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                         "obs_mode: got '%.64s', expected full or latent",
                         name ? name : "(null)");
}

const char *pan_autoreset_mode_name(pan_autoreset_mode mode) {
    return (unsigned)mode < 3 ? autoreset_names[mode] : "unknown";
}

pan_status pan_autoreset_mode_parse(const char *name,
                                    pan_autoreset_mode *mode) {
    if (!mode)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "autoreset mode parse: mode must not be NULL");
    for (int i = 0; name && i < 3; i++)
        if (strcmp(name, autoreset_names[i]) == 0) {
            *mode = (pan_autoreset_mode)i;
            return PAN_OK;
        }
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                         "autoreset_mode: got '%.64s', expected next_step, "
                         "same_step or disabled",
                         name ? name : "(null)");
}

/* ---- shared helpers ---------------------------------------------------------
 */

uint64_t vec_env_splitmix(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

vec_task_ref *vec_task_ref_retain(vec_task_ref *ref) {
    if (ref) ref->refs++;
    return ref;
}

void vec_task_ref_release(vec_task_ref *ref) {
    if (ref && --ref->refs == 0) {
        pan_task_destroy(ref->task);
        free(ref);
    }
}

/* Length of the UTF-8 sequence at s (1..4), or 0 if it is not valid
 * (overlong forms, surrogates and code points over U+10FFFF rejected). */
static int utf8_sequence(const unsigned char *s) {
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    int n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    for (int k = 1; k < n; k++) {
        if ((s[k] & 0xC0) != 0x80) return 0; /* also stops at the NUL */
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

pan_status vec_env_check_action(const char *text, const char *where,
                                int index) {
    if (!text)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: actions[%d] is NULL, expected text", where,
                             index);
    size_t length = strnlen(text, PAN_ENV_ACTION_MAX + 1);
    if (length > PAN_ENV_ACTION_MAX)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: actions[%d] is longer than %d bytes", where,
                             index, PAN_ENV_ACTION_MAX);
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < length;) {
        int n = utf8_sequence(s + i);
        if (n == 0)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "%s: actions[%d] is not valid UTF-8 (byte "
                                 "0x%02x at offset %zu)",
                                 where, index, s[i], i);
        i += (size_t)n;
    }
    return PAN_OK;
}

pan_status vec_env_check_obs(const pan_vec_env *env, const pan_obs_batch *obs,
                             const char *where) {
    if (!obs || !obs->latent)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: obs and obs.latent must not be NULL", where);
    if (env->config.obs_mode == PAN_OBS_LATENT && obs->frames)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: obs.frames must be NULL in latent obs mode",
                             where);
    if (env->config.obs_mode == PAN_OBS_FULL && !obs->frames)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: obs.frames is NULL, expected (N, K, H, W, 3) "
                             "in full obs mode",
                             where);
    return PAN_OK;
}

void vec_env_state_begin(vec_env_state *st, uint64_t seed) {
    st->seed = seed;
    uint64_t mix = seed ^ 0x6A09E667F3BCC909ull; /* apart from the world's */
    st->sampler = vec_env_splitmix(&mix);
    st->episode_step = 0;
    st->started = true;
    st->terminated = st->truncated = false;
}

void vec_env_reset_info(const vec_env_state *st, pan_env_info *info) {
    memset(info, 0, sizeof *info);
    info->is_reset = true;
    info->seed = st->seed;
    info->episode_step = 0;
    info->action.template_id = -1;
    snprintf(info->task, sizeof info->task, "%s", st->goal.text);
}

pan_status vec_env_evaluate(const pan_vec_env *env, int slot,
                            const pan_goal *goal, const float *latent,
                            float *reward, bool *success) {
    *reward = 0.0f;
    *success = false;
    if (goal->kind == PAN_TASK_NONE) return PAN_OK;
    pan_world_state state;
    pan_status status = env->sim->vtable->task_state(env->sim, slot, &state);
    if (status != PAN_OK) return status;
    pan_task_input in = {
        .state = &state, .latent = latent, .latent_size = (int)env->obs_latent,
        .goal_latent = env->sim->vtable->goal_latent
                           ? env->sim->vtable->goal_latent(env->sim, slot)
                           : NULL};
    return pan_task_evaluate(goal, &env->sim->world_config, &in, reward,
                             success);
}

/* ---- life cycle -------------------------------------------------------------
 */

pan_env_config pan_env_config_default(void) {
    return (pan_env_config){.world = "tabletop",
                            .world_config = pan_world_config_default(),
                            .num_envs = 1,
                            .obs_mode = PAN_OBS_FULL,
                            .autoreset_mode = PAN_AUTORESET_NEXT_STEP,
                            .max_episode_steps =
                                PAN_ENV_DEFAULT_MAX_EPISODE_STEPS,
                            .max_snapshots = PAN_ENV_DEFAULT_MAX_SNAPSHOTS};
}

static pan_status check_config(const pan_env_config *c) {
    if (!c->world)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "env config: world is NULL, expected tabletop or "
                             "rooms");
    if (strnlen(c->world, VEC_ENV_WORLD_NAME_MAX) >= VEC_ENV_WORLD_NAME_MAX)
        return pan_error_set(PAN_ERR_NOT_FOUND,
                             "env config: world name is too long, expected "
                             "tabletop or rooms");
    if (c->num_envs < 1 || c->num_envs > PAN_ENV_MAX_ENVS)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "env config: num_envs = %d, expected 1..%d",
                             c->num_envs, PAN_ENV_MAX_ENVS);
    if ((unsigned)c->obs_mode > PAN_OBS_LATENT)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "env config: obs_mode = %d, expected full (0) or "
                             "latent (1)",
                             (int)c->obs_mode);
    if ((unsigned)c->autoreset_mode > PAN_AUTORESET_DISABLED)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "env config: autoreset_mode = %d, expected 0..2",
                             (int)c->autoreset_mode);
    if (c->max_episode_steps < 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "env config: max_episode_steps = %d, expected "
                             ">= 0 (0 = never truncate)",
                             c->max_episode_steps);
    if (c->model_threads < 0 || c->model_threads > 256)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "env config: model_threads = %d, expected 0..256 "
                             "(0 = default)",
                             c->model_threads);
    if (c->model_backend &&
        strnlen(c->model_backend, VEC_ENV_WORLD_NAME_MAX) >= VEC_ENV_WORLD_NAME_MAX)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "env config: model_backend name is too long");
    if (c->max_snapshots < 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "env config: max_snapshots = %d, expected >= 0",
                             c->max_snapshots);
    return PAN_OK;
}

void pan_vec_env_destroy(pan_vec_env *env) {
    if (!env) return;
    for (int i = 0; i < env->snapshot_count; i++)
        vec_env_free_snapshot(env->snapshots[i]);
    if (env->envs)
        for (int i = 0; i < env->N; i++)
            vec_task_ref_release(env->envs[i].task);
    pan_sim_destroy(env->sim);
    free(env->envs);
    free(env->last_frames);
    free(env->last_latent);
    free(env->slots);
    free(env->seeds);
    free(env->tasks);
    free(env->goals);
    free(env->actions);
    free(env->results);
    free(env->frame_ptrs);
    free(env->initial_ptrs);
    free(env->latent_ptrs);
    free(env->flags);
    free(env->rows);
    free(env->snapshots);
    free(env);
}

pan_status pan_vec_env_create(const pan_env_config *config, pan_vec_env **out) {
    if (!config || !out)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "vec env create: config and out must not be NULL");
    pan_status status = check_config(config);
    if (status != PAN_OK) return status;
    pan_vec_env *env = calloc(1, sizeof *env);
    if (!env)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "vec env create: out of memory");
    env->config = *config;
    snprintf(env->world, sizeof env->world, "%s", config->world);
    env->config.world = env->world;
    snprintf(env->model_backend, sizeof env->model_backend, "%s",
             config->model_backend ? config->model_backend : "");
    env->config.model_backend =
        config->model_backend ? env->model_backend : NULL;
    env->N = config->num_envs;
    int S = env->N < VEC_ENV_SCRATCH_MIN   ? VEC_ENV_SCRATCH_MIN
            : env->N > VEC_ENV_SCRATCH_MAX ? VEC_ENV_SCRATCH_MAX
                                           : env->N;
    if (config->model) S = VEC_ENV_SCRATCH_MAX; /* rollouts batch 64 forks */
    env->scratch_slots = S;
    if (config->model)
        status = pan_sim_model_create(
            config->model, env->world, &config->world_config,
            config->obs_mode == PAN_OBS_FULL, config->model_backend,
            config->model_threads, env->N + S, &env->sim);
    else
        status = pan_sim_world_create(env->world, &config->world_config,
                                      env->N + S, &env->sim);
    if (status != PAN_OK) {
        free(env);
        return status;
    }
    env->config.world_config = env->sim->world_config;
    env->sp = env->sim->spaces;
    env->obs_frames =
        (size_t)env->sp.K * (size_t)env->sp.H * (size_t)env->sp.W * 3;
    env->obs_latent = (size_t)env->sp.Q * (size_t)env->sp.D;
    size_t N = (size_t)env->N, M = (size_t)(env->N + S);
    env->envs = calloc(N, sizeof *env->envs);
    if (config->obs_mode == PAN_OBS_FULL)
        env->last_frames = calloc(N, env->obs_frames);
    env->last_latent = calloc(N * env->obs_latent, sizeof(float));
    env->slots = calloc(M, sizeof *env->slots);
    env->seeds = calloc(M, sizeof *env->seeds);
    env->tasks = calloc(M, sizeof *env->tasks);
    env->goals = calloc(M, sizeof *env->goals);
    env->actions = calloc(M, sizeof *env->actions);
    env->results = calloc(M, sizeof *env->results);
    env->frame_ptrs = calloc(M, sizeof *env->frame_ptrs);
    env->initial_ptrs = calloc(M, sizeof *env->initial_ptrs);
    env->latent_ptrs = calloc(M, sizeof *env->latent_ptrs);
    env->flags = calloc(M, sizeof *env->flags);
    env->rows = calloc((size_t)S, sizeof *env->rows);
    env->snapshots =
        calloc(config->max_snapshots > 0 ? (size_t)config->max_snapshots : 1,
               sizeof *env->snapshots);
    if (!env->envs || (config->obs_mode == PAN_OBS_FULL && !env->last_frames) ||
        !env->last_latent || !env->slots || !env->seeds || !env->tasks ||
        !env->goals || !env->actions || !env->results || !env->frame_ptrs ||
        !env->latent_ptrs || !env->initial_ptrs || !env->flags || !env->rows || !env->snapshots) {
        pan_vec_env_destroy(env);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "vec env create: out of memory for %d envs",
                             config->num_envs);
    }
    for (int i = 0; i < env->N; i++) {
        env->envs[i].stream = (uint64_t)i;
        env->envs[i].goal.kind = PAN_TASK_NONE;
    }
    env->next_id = 1;
    *out = env;
    return PAN_OK;
}

pan_env_config pan_vec_env_config(const pan_vec_env *env) {
    if (!env) return (pan_env_config){0};
    return env->config;
}

void pan_vec_env_spaces(const pan_vec_env *env, pan_env_spaces *spaces) {
    static const char charset[] =
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
        "abcdefghijklmnopqrstuvwxyz{|}~";
    if (!env || !spaces) return;
    memset(spaces, 0, sizeof *spaces);
    spaces->action = (pan_text_space){
        .min_length = 0, .max_length = PAN_ENV_ACTION_MAX, .charset = charset};
    spaces->has_frames = env->config.obs_mode == PAN_OBS_FULL;
    spaces->frames =
        (pan_box_space){.dtype = PAN_SPACE_U8,
                        .rank = 4,
                        .shape = {env->sp.K, env->sp.H, env->sp.W, 3},
                        .low = 0.0,
                        .high = 255.0};
    spaces->latent = (pan_box_space){.dtype = PAN_SPACE_F32,
                                     .rank = 2,
                                     .shape = {env->sp.Q, env->sp.D},
                                     .low = -HUGE_VAL,
                                     .high = HUGE_VAL};
}

/* ---- per-env queries
 * ---------------------------------------------------------- */

static pan_status check_index(const pan_vec_env *env, int i,
                              const char *where) {
    if (!env)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "%s: env is NULL",
                             where);
    if (i < 0 || i >= env->N)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: env index %d, expected 0..%d", where, i,
                             env->N - 1);
    if (!env->envs[i].started)
        return pan_error_set(PAN_ERR_FAILED_PRECONDITION,
                             "%s: env %d was never reset", where, i);
    return PAN_OK;
}

pan_status pan_vec_env_render(const pan_vec_env *env, int i, uint8_t *frame) {
    pan_status status = check_index(env, i, "render");
    if (status != PAN_OK) return status;
    if (!frame)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "render: frame must not be NULL");
    return env->sim->vtable->render(env->sim, i, frame);
}

pan_status pan_vec_env_true_state(const pan_vec_env *env, int i,
                                  pan_world_state *state) {
    pan_status status = check_index(env, i, "true_state");
    if (status != PAN_OK) return status;
    if (!state)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "true_state: state must not be NULL");
    if (!env->sim->vtable->true_state)
        return pan_error_set(PAN_ERR_UNIMPLEMENTED,
                             "true_state: a %s env has no true state",
                             env->sim->vtable->kind);
    return env->sim->vtable->true_state(env->sim, i, state);
}

pan_status pan_vec_env_sample_actions(pan_vec_env *env, pan_split split,
                                      char *const *actions, size_t size) {
    if (!env || !actions)
        return pan_error_set(
            PAN_ERR_INVALID_ARGUMENT,
            "sample_actions: env and actions must not be NULL");
    if (split != PAN_SPLIT_TRAIN && split != PAN_SPLIT_HELDOUT &&
        split != PAN_SPLIT_ANY)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "sample_actions: split %d, expected train (0), "
                             "heldout (1) or any (2)",
                             (int)split);
    if (size < PAN_ENV_ACTION_MAX + 1)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "sample_actions: buffers of %zu bytes, expected "
                             ">= %d",
                             size, PAN_ENV_ACTION_MAX + 1);
    for (int i = 0; i < env->N; i++) {
        pan_status status = check_index(env, i, "sample_actions");
        if (status != PAN_OK) return status;
        if (!actions[i])
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "sample_actions: actions[%d] is NULL", i);
    }
    /* sample with copies of the streams; commit them when all succeeded */
    uint64_t *rng = env->seeds;
    for (int i = 0; i < env->N; i++) {
        rng[i] = env->envs[i].sampler;
        pan_status status = env->sim->vtable->sample_action(
            env->sim, i, &rng[i], split, actions[i], size);
        if (status != PAN_OK) return status;
    }
    for (int i = 0; i < env->N; i++)
        env->envs[i].sampler = rng[i];
    return PAN_OK;
}
