/* benchmarks/eval/eval_subject_model.c: the MODEL subject: a checkpoint
 * loaded in-process and run as env.h's world-model env, every env reset
 * from the true frame (initial_frames) and stepped with the case's text
 * (eval_subject.h). The ec.world's world supplies nothing but the noise
 * seeding and the (unused) task: the first frames are the caller's. */
#include "benchmarks/eval/eval_subject_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/model.h"
#include "agents/c/planner_sim_vec.h"
#include "env/env.h"

typedef struct model_impl {
    pan_model *model;
    pan_env_config ec;   /* num_envs = the live env's */
    pan_vec_env *env;    /* made for the n of the last reset */
    uint8_t *chunks;     /* (capacity, K, H, W, 3) */
    float *latent;       /* (capacity, Q, D) */
    pan_env_info *infos; /* (capacity) */
    float *rewards;
    bool *terminated, *truncated;
} model_impl;

static void model_destroy(pan_eval_subject *s) {
    model_impl *m = s->impl;
    if (!m) return;
    pan_vec_env_destroy(m->env);
    pan_model_destroy(m->model);
    free(m->chunks);
    free(m->latent);
    free(m->infos);
    free(m->rewards);
    free(m->terminated);
    free(m->truncated);
    free(m);
}

static size_t frame_bytes(const pan_eval_subject *s) {
    return (size_t)s->wc.height * s->wc.width * 3;
}

/* A batch of n envs runs on a vector env of exactly n (made again when n
 * changes), so no env is computed for nothing. */
static pan_status model_reset(pan_eval_subject *s, int n, const uint64_t *seeds,
                              const pan_world_state *states, const uint8_t *frames) {
    (void)states;
    model_impl *m = s->impl;
    if (!m->env || m->ec.num_envs != n) {
        pan_vec_env_destroy(m->env);
        m->env = NULL;
        m->ec.num_envs = n;
        pan_status st = pan_vec_env_create(&m->ec, &m->env);
        if (st != PAN_OK) return st;
    }
    pan_reset_options opt = {.task = "none", .initial_frames = frames};
    pan_obs_batch obs = {.frames = m->chunks, .latent = m->latent};
    return pan_vec_env_reset(m->env, seeds, &opt, &obs, m->infos);
}

static pan_status model_step(pan_eval_subject *s, int n, const char *const *actions,
                             uint8_t *chunks) {
    model_impl *m = s->impl;
    pan_obs_batch obs = {.frames = m->chunks, .latent = m->latent};
    pan_status st = pan_vec_env_step(m->env, actions, &obs, m->rewards, m->terminated,
                                     m->truncated, m->infos, NULL, NULL, NULL);
    if (st != PAN_OK) return st;
    memcpy(chunks, m->chunks, (size_t)n * s->wc.frames_per_step * frame_bytes(s));
    return PAN_OK;
}

static const pan_eval_subject_ops model_ops = {model_destroy, model_reset, model_step};

pan_status pan_eval_subject_init_model(pan_eval_subject *s,
                                       const pan_eval_subject_config *cfg) {
    if (!cfg->model_path)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "eval subject: MODEL needs model_path");
    model_impl *m = calloc(1, sizeof *m);
    s->ops = &model_ops;
    s->impl = m;
    if (!m) return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "eval subject: out of memory");
    char hash[96];
    pan_status st = pan_eval_file_crc32(cfg->model_path, hash, sizeof hash);
    if (st != PAN_OK) return st;
    if ((st = pan_model_load(&m->model, cfg->model_path)) != PAN_OK) return st;
    const pan_model_config *mc = &m->model->config;
    s->wc = pan_world_config_default();
    s->wc.width = mc->frame.width;
    s->wc.height = mc->frame.height;
    s->wc.frames_per_step = mc->frame.chunk_frames;
    pan_env_config ec = pan_env_config_default();
    ec.world = cfg->world;
    ec.world_config = s->wc;
    ec.model = m->model;
    ec.model_backend = cfg->backend;
    ec.model_threads = cfg->threads;
    ec.num_envs = 1;
    ec.autoreset_mode = PAN_AUTORESET_DISABLED;
    ec.max_episode_steps = 0;
    /* a first env of one checks the config now rather than at the first reset */
    if ((st = pan_vec_env_create(&ec, &m->env)) != PAN_OK) return st;
    m->ec = ec;
    pan_env_spaces sp;
    pan_vec_env_spaces(m->env, &sp);
    size_t c = (size_t)s->capacity, fb = frame_bytes(s);
    size_t q = (size_t)(sp.latent.shape[0] * sp.latent.shape[1]);
    m->chunks = malloc(c * fb * (size_t)s->wc.frames_per_step);
    m->latent = malloc(c * q * sizeof *m->latent);
    m->infos = malloc(c * sizeof *m->infos);
    m->rewards = malloc(c * sizeof *m->rewards);
    m->terminated = malloc(c * sizeof *m->terminated);
    m->truncated = malloc(c * sizeof *m->truncated);
    if (!m->chunks || !m->latent || !m->infos || !m->rewards || !m->terminated || !m->truncated)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "eval subject: out of memory");
    s->config_json = pan_model_config_to_json(mc);
    snprintf(s->describe, sizeof s->describe, "model %s (%s, %s)", cfg->model_path, hash,
             m->model->trained ? "trained" : "UNTRAINED: random weights");
    return PAN_OK;
}

/* ---- the imaginer: a latent-mode env of one of the same model ---------- */

typedef struct model_imaginer {
    pan_vec_env *env;
    float *latent;      /* (Q, D) */
} model_imaginer;

static pan_status imaginer_resync(pan_eval_imaginer *im, const uint8_t *frame, uint64_t seed,
                                  const char *task) {
    model_imaginer *mi = im->impl;
    pan_reset_options opt = {.task = task, .initial_frames = frame};
    pan_obs_batch obs = {.frames = NULL, .latent = mi->latent};
    pan_env_info info;
    return pan_vec_env_reset(mi->env, &seed, &opt, &obs, &info);
}

static void imaginer_destroy(pan_eval_imaginer *im) {
    model_imaginer *mi = im->impl;
    if (im->has_sim) pan_planner_sim_vec_destroy(&im->sim);
    if (mi) {
        pan_vec_env_destroy(mi->env);
        free(mi->latent);
        free(mi);
    }
}

pan_status pan_eval_imaginer_init_model(pan_eval_subject *s, pan_eval_imaginer *im) {
    const model_impl *m = s->impl;
    model_imaginer *mi = calloc(1, sizeof *mi);
    im->impl = mi;
    im->resync = imaginer_resync;
    im->destroy = imaginer_destroy;
    if (!mi) return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "eval imaginer: out of memory");
    pan_env_config ec = m->ec;
    ec.num_envs = 1;
    ec.obs_mode = PAN_OBS_LATENT;
    pan_status st = pan_vec_env_create(&ec, &mi->env);
    if (st != PAN_OK) return st;
    pan_env_spaces sp;
    pan_vec_env_spaces(mi->env, &sp);
    mi->latent = malloc((size_t)(sp.latent.shape[0] * sp.latent.shape[1]) * sizeof(float));
    if (!mi->latent) return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "eval imaginer: out of memory");
    if ((st = pan_planner_sim_vec_create(mi->env, 0, true, &im->sim)) != PAN_OK) return st;
    im->has_sim = true;
    return PAN_OK;
}
