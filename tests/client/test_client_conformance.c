/* tests/client/test_client_conformance.c: every op of protocol v1 through
 * the C client against a real pan-server process, checked field by field
 * against docs/protocol.md and byte for byte against an in-process
 * pan_vec_env with the same config, seeds and actions:
 * - HELLO, DESCRIBE (worlds, session), MAKE, RESET (seed, seeds, task,
 *   mask as array and as b1 tensor), STEP, SAMPLE, RENDER, FORK, RESTORE,
 *   ROLLOUT (with frames), RELEASE, PING, STATS, CLOSE;
 * - the same seed twice (and in a second session) gives identical bytes;
 * - fork and rollout leave the live envs untouched; RESTORE + STEP equals
 *   the ROLLOUT rows; rollouts are repeatable (snapshots untouched);
 * - same_step autoreset's final_obs/final_info; latent obs mode;
 * - errors carry the right codes and change nothing (test_conformance_errors.c);
 * - a timeout (server stopped with SIGSTOP) leaves the client usable.
 * Usage: test_client_conformance PATH/TO/pan-server */
#define _POSIX_C_SOURCE 200809L
#include "tests/client/conformance.h"

/* ---- comparisons with the in-process env ---- */

static const char *kind_name(pan_action_kind k) {
    return k == PAN_ACTION_AGENT ? "agent" : k == PAN_ACTION_ENVIRONMENT ? "environment" : "none";
}

int conf_same_info(const pan_client_info *r, const pan_env_info *l) {
    return r->present && r->is_reset == l->is_reset && r->autoreset == l->autoreset &&
           r->seed == l->seed && r->episode_step == l->episode_step &&
           r->understood == l->action.understood &&
           strcmp(r->action_kind, kind_name(l->action.kind)) == 0 &&
           strcmp(r->canonical, l->action.canonical) == 0 &&
           strcmp(r->message, l->action.message) == 0 && r->heldout == l->action.heldout &&
           strcmp(r->task, l->task) == 0 && r->success == l->success;
}

int conf_same_obs(const pan_client_obs *r, const local_env *l) {
    size_t nl = (size_t)l->n * (size_t)l->d;
    if (r->n != l->n || r->q != 1 || r->d != l->d) return 0;
    if (memcmp(r->latent, l->latent, nl * sizeof(float)) != 0) return 0;
    if (!l->frames) return r->frames == NULL;
    return r->frames && r->k == l->k && r->h == l->h && r->w == l->w &&
           memcmp(r->frames, l->frames, (size_t)l->n * l->frame_bytes) == 0;
}

pan_status local_create(local_env *l, const char *world, int n, pan_obs_mode mode,
                        pan_autoreset_mode autoreset, int max_steps) {
    memset(l, 0, sizeof *l);
    pan_env_config cfg = pan_env_config_default();
    cfg.world = world;
    cfg.num_envs = n;
    cfg.obs_mode = mode;
    cfg.autoreset_mode = autoreset;
    cfg.max_episode_steps = max_steps;
    pan_status s = pan_vec_env_create(&cfg, &l->env);
    if (s != PAN_OK) return s;
    pan_env_spaces sp;
    pan_vec_env_spaces(l->env, &sp);
    l->n = n;
    l->k = (int)sp.frames.shape[0];
    l->h = (int)sp.frames.shape[1];
    l->w = (int)sp.frames.shape[2];
    l->d = (int)sp.latent.shape[1];
    l->frame_bytes = (size_t)l->k * (size_t)l->h * (size_t)l->w * 3;
    l->latent = calloc((size_t)n * (size_t)l->d, sizeof(float));
    l->frames = mode == PAN_OBS_FULL ? calloc((size_t)n, l->frame_bytes) : NULL;
    l->final_latent = calloc((size_t)n * (size_t)l->d, sizeof(float));
    l->final_frames = mode == PAN_OBS_FULL ? calloc((size_t)n, l->frame_bytes) : NULL;
    l->infos = calloc((size_t)n, sizeof *l->infos);
    l->final_infos = calloc((size_t)n, sizeof *l->final_infos);
    l->has_final = calloc((size_t)n, 1);
    l->rewards = calloc((size_t)n, sizeof(float));
    l->term = calloc((size_t)n, 1);
    l->trunc = calloc((size_t)n, 1);
    return PAN_OK;
}

void local_destroy(local_env *l) {
    pan_vec_env_destroy(l->env);
    free(l->latent); free(l->frames); free(l->final_latent); free(l->final_frames);
    free(l->infos); free(l->final_infos); free(l->has_final); free(l->rewards);
    free(l->term); free(l->trunc);
}

pan_status local_step(local_env *l, const char *const *actions) {
    pan_obs_batch obs = {l->frames, l->latent};
    pan_obs_batch fin = {l->final_frames, l->final_latent};
    memset(l->has_final, 0, (size_t)l->n);
    return pan_vec_env_step(l->env, actions, &obs, l->rewards, l->term, l->trunc, l->infos,
                            &fin, l->final_infos, l->has_final);
}

/* A remote STEP and a local step with the same actions agree in every byte. */
void conf_step_both(pan_client *c, uint64_t session, local_env *l,
                    const char *const *actions, const char *where) {
    pan_client_step_result r;
    CHECK_STATUS(pan_client_step(c, session, l->n, actions, &r), PAN_OK);
    CHECK_STATUS(local_step(l, actions), PAN_OK);
    int ok = conf_same_obs(&r.obs, l);
    for (int i = 0; ok && i < l->n; i++) {
        ok = r.reward[i] == l->rewards[i] && r.terminated[i] == l->term[i] &&
             r.truncated[i] == l->trunc[i] && conf_same_info(&r.infos[i], &l->infos[i]) &&
             r.infos[i].has_final == l->has_final[i];
        if (ok && l->has_final[i]) {
            size_t d = (size_t)l->d;
            ok = memcmp(r.infos[i].final_latent, l->final_latent + i * d, d * 4) == 0 &&
                 conf_same_info(r.infos[i].final_info, &l->final_infos[i]) &&
                 (!l->final_frames ||
                  memcmp(r.infos[i].final_frames, l->final_frames + i * l->frame_bytes,
                         l->frame_bytes) == 0);
        }
    }
    if (!ok) fprintf(stderr, "%s: remote and in-process steps differ\n", where);
    CHECK(ok);
}

/* ---- the suite ---- */

static void test_hello(pan_client *c) {
    pan_client_hello_result h;
    CHECK_STATUS(pan_client_hello(c, "test_client_conformance", &h), PAN_OK);
    CHECK(h.protocol[0] == 1 && h.protocol[1] == 0);
    CHECK(h.server[0] != '\0');
    const pan_client_limits *lim = &h.limits;
    CHECK(lim->max_text_bytes == 256 && lim->max_envs_per_session == 256);
    CHECK(lim->max_batch == 256 && lim->max_horizon == 64 && lim->max_snapshots == 4096);
    CHECK(lim->max_blobs == 16 && lim->max_sessions == 64);
    CHECK(lim->max_message_bytes == 64ll << 20 && lim->max_header_bytes == 1ll << 20);
    CHECK(lim->max_reply_bytes == 256ll << 20 && lim->session_ttl_ms == 600000);
    int worlds = 0;
    for (int i = 0; i < h.n_worlds; i++)
        worlds += !strcmp(h.worlds[i], "tabletop") || !strcmp(h.worlds[i], "rooms");
    CHECK(worlds == 2);
    static const char *const ops[] = {"HELLO", "DESCRIBE", "MAKE", "RESET", "STEP",
                                      "SAMPLE", "RENDER", "FORK", "RESTORE", "ROLLOUT",
                                      "RELEASE", "CLOSE", "PING", "STATS"};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        int found = 0;
        for (int i = 0; i < h.n_ops; i++) found |= !strcmp(h.ops[i], ops[k]);
        if (!found) fprintf(stderr, "HELLO: op %s not listed\n", ops[k]);
        CHECK(found);
    }
}

static void test_describe(pan_client *c) {
    pan_client_spaces s;
    CHECK_STATUS(pan_client_describe_world(c, "tabletop", 0, 0, 0, NULL, &s), PAN_OK);
    CHECK(s.latent_shape[0] == 1 && s.latent_shape[1] == 73);
    CHECK(s.has_frames && s.frames_shape[0] == 4 && s.frames_shape[1] == 64 &&
          s.frames_shape[2] == 64 && s.frames_shape[3] == 3);
    CHECK(s.action_min_length == 0 && s.action_max_length == 256);
    CHECK(strlen(s.action_charset) > 0 && strchr(s.action_charset, ' ') != NULL);
    CHECK(!strcmp(s.world, "tabletop") && !strcmp(s.obs_mode, "full") && !s.has_session);
    CHECK_STATUS(pan_client_describe_world(c, "rooms", 32, 48, 2, "latent", &s), PAN_OK);
    CHECK(s.latent_shape[1] == 103 && !s.has_frames && s.width == 32 && s.height == 48 &&
          s.frames_per_step == 2 && !strcmp(s.obs_mode, "latent"));
    CHECK_STATUS(pan_client_describe_world(c, "moon", 0, 0, 0, NULL, &s), PAN_ERR_NOT_FOUND);
    CHECK(!strcmp(pan_client_error_code(c), "NOT_FOUND") && pan_client_error_from_server(c));
}

/* Fixed texts: understood moves, environment actions and nonsense. */
static const char *const texts[] = {
    "move the red circle left by 2", "wait", "turn off the lights", "fly to the moon",
    "push the blue square up", "add a green triangle", "remove the red circle",
    "move the yellow square to the top left corner", "lights on", "slide the green circle down 3"};
#define N_TEXTS (int)(sizeof texts / sizeof texts[0])

/* Main parity run: 3 tabletop envs, full obs, task random. */
static void test_parity(pan_client *c) {
    pan_client_make_args ma = pan_client_make_args_default("tabletop");
    ma.num_envs = 3;
    uint64_t session, session2;
    pan_client_spaces sp;
    CHECK_STATUS(pan_client_make(c, &ma, &session, &sp), PAN_OK);
    CHECK(sp.has_session && sp.num_envs == 3 && !strcmp(sp.autoreset_mode, "next_step") &&
          sp.max_episode_steps == 50);
    CHECK_STATUS(pan_client_make(c, &ma, &session2, &sp), PAN_OK);
    CHECK(session2 != session);
    pan_client_spaces ds;
    CHECK_STATUS(pan_client_describe_session(c, session, &ds), PAN_OK);
    CHECK(ds.has_session && ds.num_envs == 3 && ds.latent_shape[1] == 73 &&
          !strcmp(ds.world, "tabletop") && ds.max_episode_steps == 50);
    local_env l;
    CHECK_STATUS(local_create(&l, "tabletop", 3, PAN_OBS_FULL, PAN_AUTORESET_NEXT_STEP, 50),
                 PAN_OK);
    /* RESET seed 7: envs get 7, 8, 9 */
    pan_client_reset_args ra = {.seed_kind = PAN_CLIENT_SEED_ONE, .seed = 7, .task = "random"};
    pan_client_obs_result r;
    CHECK_STATUS(pan_client_reset(c, session, &ra, &r), PAN_OK);
    uint64_t seeds[3] = {7, 8, 9};
    pan_reset_options opt = {.task = "random"};
    pan_obs_batch lobs = {l.frames, l.latent};
    CHECK_STATUS(pan_vec_env_reset(l.env, seeds, &opt, &lobs, l.infos), PAN_OK);
    CHECK(conf_same_obs(&r.obs, &l));
    for (int i = 0; i < 3; i++) {
        CHECK(conf_same_info(&r.infos[i], &l.infos[i]));
        CHECK(r.infos[i].is_reset && r.infos[i].seed == 7 + (uint64_t)i &&
              r.infos[i].episode_step == 0 && r.infos[i].task[0] != '\0');
    }
    /* the same seed in another session, as an explicit array: same bytes */
    pan_client_reset_args rb = {.seed_kind = PAN_CLIENT_SEED_EACH, .seeds = seeds,
                                .n_seeds = 3, .task = "random"};
    CHECK_STATUS(pan_client_reset(c, session2, &rb, &r), PAN_OK);
    CHECK(conf_same_obs(&r.obs, &l));
    /* and the same seed twice in one session, after steps */
    const char *noise[3] = {"move the red circle up by 1", "lights off", "wait"};
    pan_client_step_result sr;
    CHECK_STATUS(pan_client_step(c, session2, 3, noise, &sr), PAN_OK);
    CHECK(!conf_same_obs(&sr.obs, &l)); /* "lights off" changed env 1 at least */
    CHECK_STATUS(pan_client_reset(c, session2, &rb, &r), PAN_OK);
    CHECK(conf_same_obs(&r.obs, &l));
    CHECK_STATUS(pan_client_close(c, session2), PAN_OK);

    /* fixed texts, then the sampler, stepped remotely and locally */
    const char *acts[3];
    for (int t = 0; t < 6; t++) {
        for (int i = 0; i < 3; i++) acts[i] = texts[(t * 3 + i) % N_TEXTS];
        conf_step_both(c, session, &l, acts, "fixed texts");
    }
    char lbuf[3][PAN_ENV_ACTION_MAX + 1];
    char *lptr[3] = {lbuf[0], lbuf[1], lbuf[2]};
    for (int t = 0; t < 12; t++) {
        int n = 0;
        const char *const *sampled = NULL;
        CHECK_STATUS(pan_client_sample(c, session, t % 2 ? "any" : NULL, &n, &sampled), PAN_OK);
        CHECK_STATUS(pan_vec_env_sample_actions(l.env, t % 2 ? PAN_SPLIT_ANY : PAN_SPLIT_TRAIN,
                                                lptr, sizeof lbuf[0]),
                     PAN_OK);
        CHECK(n == 3);
        char copy[3][PAN_ENV_ACTION_MAX + 1];
        for (int i = 0; i < 3 && i < n; i++) {
            CHECK(strcmp(sampled[i], lbuf[i]) == 0);
            snprintf(copy[i], sizeof copy[i], "%s", sampled[i]);
            acts[i] = copy[i];
        }
        conf_step_both(c, session, &l, acts, "sampled actions");
    }
    conf_test_render(c, session, &l);
    conf_test_snapshots(c, session, &l);
    conf_test_errors(c, session, &l);
    CHECK_STATUS(pan_client_close(c, session), PAN_OK);
    uint64_t gone = session;
    CHECK_STATUS(pan_client_ping(c, &gone), PAN_ERR_NOT_FOUND);
    local_destroy(&l);
}

/* same_step autoreset with truncation after 2 steps; masks; latent mode. */
static void test_modes(pan_client *c) {
    pan_client_make_args ma = pan_client_make_args_default("rooms");
    ma.num_envs = 2;
    ma.autoreset_mode = "same_step";
    ma.max_episode_steps = 2;
    uint64_t session;
    pan_client_spaces sp;
    CHECK_STATUS(pan_client_make(c, &ma, &session, &sp), PAN_OK);
    local_env l;
    CHECK_STATUS(local_create(&l, "rooms", 2, PAN_OBS_FULL, PAN_AUTORESET_SAME_STEP, 2), PAN_OK);
    uint64_t seeds[2] = {3, 4};
    pan_client_reset_args ra = {.seed_kind = PAN_CLIENT_SEED_EACH, .seeds = seeds, .n_seeds = 2};
    pan_client_obs_result r;
    CHECK_STATUS(pan_client_reset(c, session, &ra, &r), PAN_OK);
    pan_obs_batch lobs = {l.frames, l.latent};
    CHECK_STATUS(pan_vec_env_reset(l.env, seeds, NULL, &lobs, l.infos), PAN_OK);
    CHECK(conf_same_obs(&r.obs, &l));
    const char *acts[2] = {"go north 2", "turn around"};
    conf_step_both(c, session, &l, acts, "same_step 1");
    conf_step_both(c, session, &l, acts, "same_step 2 (truncates)");
    CHECK(l.has_final[0] && l.has_final[1]);
    conf_step_both(c, session, &l, acts, "same_step 3");

    /* reset only env 1, mask as a b1 tensor; env 0 keeps its obs */
    bool mask[2] = {false, true};
    ra = (pan_client_reset_args){.seed_kind = PAN_CLIENT_SEED_ONE, .seed = 11, .mask = mask,
                                 .n_mask = 2, .mask_as_tensor = true};
    CHECK_STATUS(pan_client_reset(c, session, &ra, &r), PAN_OK);
    uint64_t lseeds[2] = {11, 12};
    pan_reset_options opt = {.mask = mask};
    CHECK_STATUS(pan_vec_env_reset(l.env, lseeds, &opt, &lobs, l.infos), PAN_OK);
    CHECK(conf_same_obs(&r.obs, &l));
    CHECK(!r.infos[0].present && r.infos[1].present && r.infos[1].seed == 12);
    /* and as an array of bools */
    mask[0] = true, mask[1] = false;
    ra.mask_as_tensor = false;
    ra.seed_kind = PAN_CLIENT_SEED_NONE;
    CHECK_STATUS(pan_client_reset(c, session, &ra, &r), PAN_OK);
    CHECK_STATUS(pan_vec_env_reset(l.env, NULL, &opt, &lobs, l.infos), PAN_OK);
    CHECK(conf_same_obs(&r.obs, &l));
    CHECK(r.infos[0].present && conf_same_info(&r.infos[0], &l.infos[0]) && !r.infos[1].present);
    CHECK_STATUS(pan_client_close(c, session), PAN_OK);
    local_destroy(&l);

    /* latent obs mode: no frames anywhere */
    ma = pan_client_make_args_default("tabletop");
    ma.obs_mode = "latent";
    CHECK_STATUS(pan_client_make(c, &ma, &session, &sp), PAN_OK);
    CHECK(!sp.has_frames && !strcmp(sp.obs_mode, "latent"));
    CHECK_STATUS(local_create(&l, "tabletop", 1, PAN_OBS_LATENT, PAN_AUTORESET_NEXT_STEP, 50),
                 PAN_OK);
    ra = (pan_client_reset_args){.seed_kind = PAN_CLIENT_SEED_ONE, .seed = 5};
    CHECK_STATUS(pan_client_reset(c, session, &ra, &r), PAN_OK);
    uint64_t s5 = 5;
    lobs = (pan_obs_batch){NULL, l.latent};
    CHECK_STATUS(pan_vec_env_reset(l.env, &s5, NULL, &lobs, l.infos), PAN_OK);
    CHECK(r.obs.frames == NULL && conf_same_obs(&r.obs, &l));
    const char *one[1] = {"move the red circle right by 1"};
    conf_step_both(c, session, &l, one, "latent mode");
    CHECK_STATUS(pan_client_close(c, session), PAN_OK);
    local_destroy(&l);
}

/* The server stopped (SIGSTOP): TIMEOUT; resumed: the client works and
 * the late reply of the timed-out request is never taken for another. */
static void test_timeout(pan_client *c, const test_server *srv) {
    pan_client_make_args ma = pan_client_make_args_default("tabletop");
    uint64_t session;
    pan_client_spaces sp;
    CHECK_STATUS(pan_client_make(c, &ma, &session, &sp), PAN_OK);
    pan_client_reset_args ra = {.seed_kind = PAN_CLIENT_SEED_ONE, .seed = 21};
    pan_client_obs_result r;
    CHECK_STATUS(pan_client_reset(c, session, &ra, &r), PAN_OK);
    local_env l;
    CHECK_STATUS(local_create(&l, "tabletop", 1, PAN_OBS_FULL, PAN_AUTORESET_NEXT_STEP, 50),
                 PAN_OK);
    uint64_t s21 = 21;
    pan_obs_batch lobs = {l.frames, l.latent};
    CHECK_STATUS(pan_vec_env_reset(l.env, &s21, NULL, &lobs, l.infos), PAN_OK);

    kill(srv->pid, SIGSTOP);
    CHECK_STATUS(pan_client_set_timeout(c, 200), PAN_OK);
    pan_client_hello_result h;
    CHECK_STATUS(pan_client_hello(c, NULL, &h), PAN_ERR_IO);
    CHECK(!strcmp(pan_client_error_code(c), "TIMEOUT") && !pan_client_error_from_server(c));
    kill(srv->pid, SIGCONT);
    CHECK_STATUS(pan_client_set_timeout(c, 10000), PAN_OK);
    const char *one[1] = {"move the red circle up by 1"};
    conf_step_both(c, session, &l, one, "after a timeout");
    CHECK_STATUS(pan_client_hello(c, NULL, &h), PAN_OK);
    CHECK(!strcmp(pan_client_error_code(c), ""));
    CHECK_STATUS(pan_client_close(c, session), PAN_OK);
    local_destroy(&l);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s PATH/TO/pan-server\n", argv[0]);
        return 2;
    }
    test_server srv;
    if (!server_start(argv[1], NULL, &srv)) {
        CHECK(0);
        return test_exit_code("test_client_conformance");
    }
    pan_client *c = NULL;
    CHECK_STATUS(pan_client_connect(srv.endpoint, 10000, &c), PAN_OK);
    if (c) {
        test_hello(c);
        test_describe(c);
        test_parity(c);
        test_modes(c);
        test_timeout(c, &srv);
        pan_client_stats_result st;
        CHECK_STATUS(pan_client_stats(c, NULL, &st), PAN_OK);
        CHECK(st.requests > 50 && st.errors > 5 && st.sessions == 0);
        pan_client_destroy(c);
    }
    CHECK(server_stop(&srv));
    return test_exit_code("test_client_conformance");
}
