/* benchmarks/eval/eval_subject_server.c: the SERVER subject: a model served
 * by pan-server, driven over ZeroMQ with the C client: MAKE model NAME,
 * RESET with options.initial_frames (the true frames), STEP
 * (eval_subject.h). */
#include "benchmarks/eval/eval_subject_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/c/pan_client.h"
#include "agents/c/planner_sim_client.h"

#define DEFAULT_TIMEOUT_MS 600000

typedef struct server_impl {
    pan_client *client;
    const char *model_name;
    uint64_t session;
    bool has_session;
    int n;                /* num_envs of the session */
} server_impl;

static void server_destroy(pan_eval_subject *s) {
    server_impl *r = s->impl;
    if (!r) return;
    if (r->has_session) (void)pan_client_close(r->client, r->session);
    pan_client_destroy(r->client);
    free(r);
}

static pan_status server_error(const server_impl *r, const char *op) {
    return pan_error_set(PAN_ERR_INTERNAL, "eval subject (server %s): %s failed: [%s] %s",
                         pan_client_endpoint(r->client), op,
                         pan_client_error_code(r->client),
                         pan_client_error_message(r->client));
}

/* A session of n envs, made again when n changes (the old one closed). */
static pan_status make_session(server_impl *r, int n, pan_client_spaces *sp) {
    if (r->has_session) {
        (void)pan_client_close(r->client, r->session);
        r->has_session = false;
    }
    pan_client_make_args args = pan_client_make_args_default(NULL);
    args.model = r->model_name;
    args.num_envs = n;
    args.autoreset_mode = "disabled";
    args.max_episode_steps = 0;
    if (pan_client_make(r->client, &args, &r->session, sp) != PAN_OK)
        return server_error(r, "MAKE");
    r->has_session = true;
    r->n = n;
    return PAN_OK;
}

static pan_status server_reset(pan_eval_subject *s, int n, const uint64_t *seeds,
                               const pan_world_state *states, const uint8_t *frames) {
    (void)states;
    server_impl *r = s->impl;
    pan_client_spaces sp;
    pan_status st;
    if (r->n != n && (st = make_session(r, n, &sp)) != PAN_OK) return st;
    pan_client_reset_args ra = {.seed_kind = PAN_CLIENT_SEED_EACH, .seeds = seeds,
                                .n_seeds = n, .task = "none", .initial_frames = frames,
                                .n_initial = n, .initial_height = s->wc.height,
                                .initial_width = s->wc.width};
    pan_client_obs_result o;
    if (pan_client_reset(r->client, r->session, &ra, &o) != PAN_OK)
        return server_error(r, "RESET");
    return PAN_OK;
}

static pan_status server_step(pan_eval_subject *s, int n, const char *const *actions,
                              uint8_t *chunks) {
    server_impl *r = s->impl;
    pan_client_step_result res;
    if (pan_client_step(r->client, r->session, n, actions, &res) != PAN_OK)
        return server_error(r, "STEP");
    if (!res.obs.frames || res.obs.k != s->wc.frames_per_step ||
        res.obs.h != s->wc.height || res.obs.w != s->wc.width)
        return pan_error_set(PAN_ERR_DATA_LOSS,
                             "eval subject (server): STEP returned frames (%d, %d, %d), "
                             "expected (%d, %d, %d)", res.obs.k, res.obs.h, res.obs.w,
                             s->wc.frames_per_step, s->wc.height, s->wc.width);
    memcpy(chunks, res.obs.frames,
           (size_t)n * s->wc.frames_per_step * s->wc.height * s->wc.width * 3);
    return PAN_OK;
}

static const pan_eval_subject_ops server_ops = {server_destroy, server_reset, server_step};

pan_status pan_eval_subject_init_server(pan_eval_subject *s,
                                        const pan_eval_subject_config *cfg) {
    if (!cfg->endpoint || !cfg->model_name)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "eval subject: SERVER needs endpoint and model_name");
    server_impl *r = calloc(1, sizeof *r);
    s->ops = &server_ops;
    s->impl = r;
    if (!r) return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "eval subject: out of memory");
    int timeout = cfg->timeout_ms > 0 ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
    pan_status st = pan_client_connect(cfg->endpoint, timeout, &r->client);
    if (st != PAN_OK) return st;
    r->model_name = cfg->model_name;
    pan_client_spaces sp;
    if ((st = make_session(r, 1, &sp)) != PAN_OK) return st;
    if (!sp.has_frames)
        return pan_error_set(PAN_ERR_FAILED_PRECONDITION,
                             "eval subject (server): the session has no frames");
    s->wc = pan_world_config_default();
    s->wc.frames_per_step = (int)sp.frames_shape[0];
    s->wc.height = (int)sp.frames_shape[1];
    s->wc.width = (int)sp.frames_shape[2];
    snprintf(s->describe, sizeof s->describe, "server %s model %s (%.120s)", cfg->endpoint,
             cfg->model_name, sp.latent);
    return PAN_OK;
}

/* ---- the imaginer: a latent-mode session of the same served model ------- */

typedef struct server_imaginer {
    server_impl *r;          /* the subject's client (borrowed) */
    uint64_t session;
    bool has_session;
    int height, width;
} server_imaginer;

static pan_status imaginer_resync(pan_eval_imaginer *im, const uint8_t *frame, uint64_t seed,
                                  const char *task) {
    server_imaginer *si = im->impl;
    pan_client_reset_args ra = {.seed_kind = PAN_CLIENT_SEED_ONE, .seed = seed, .task = task,
                                .initial_frames = frame, .n_initial = 1,
                                .initial_height = si->height, .initial_width = si->width};
    pan_client_obs_result o;
    if (pan_client_reset(si->r->client, si->session, &ra, &o) != PAN_OK)
        return server_error(si->r, "RESET of the imagination session");
    return PAN_OK;
}

static void imaginer_destroy(pan_eval_imaginer *im) {
    server_imaginer *si = im->impl;
    if (im->has_sim) pan_planner_sim_client_destroy(&im->sim);
    if (si && si->has_session) (void)pan_client_close(si->r->client, si->session);
    free(si);
}

pan_status pan_eval_imaginer_init_server(pan_eval_subject *s, pan_eval_imaginer *im) {
    server_impl *r = s->impl;
    server_imaginer *si = calloc(1, sizeof *si);
    im->impl = si;
    im->resync = imaginer_resync;
    im->destroy = imaginer_destroy;
    if (!si) return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "eval imaginer: out of memory");
    si->r = r;
    si->height = s->wc.height;
    si->width = s->wc.width;
    pan_client_make_args args = pan_client_make_args_default(NULL);
    args.model = r->model_name;
    args.num_envs = 1;
    args.obs_mode = "latent";
    args.autoreset_mode = "disabled";
    args.max_episode_steps = 0;
    pan_client_spaces sp;
    if (pan_client_make(r->client, &args, &si->session, &sp) != PAN_OK)
        return server_error(r, "MAKE of the imagination session");
    si->has_session = true;
    pan_client_hello_result h;
    if (pan_client_hello(r->client, "pan-eval", &h) != PAN_OK) return server_error(r, "HELLO");
    int max_batch = h.limits.max_batch > 0 ? (int)h.limits.max_batch : 64;
    pan_status st = pan_planner_sim_client_create(r->client, si->session, &sp, 0, true, true,
                                                  max_batch, &im->sim);
    if (st != PAN_OK) return st;
    im->has_sim = true;
    return PAN_OK;
}
