/* tests/client/conformance_snapshots.c: RENDER, FORK, ROLLOUT, RESTORE,
 * RELEASE and STATS through the client, against the in-process env. */
#define _POSIX_C_SOURCE 200809L
#include "tests/client/conformance.h"

void conf_test_render(pan_client *c, uint64_t session, local_env *l) {
    size_t fb = (size_t)l->h * (size_t)l->w * 3;
    uint8_t *frame = malloc(fb); /* (H, W, 3) */
    pan_client_tensor t;
    CHECK_STATUS(pan_client_render(c, session, -1, &t), PAN_OK);
    CHECK(t.dtype == PAN_CLIENT_U1 && t.rank == 4 && t.shape[0] == l->n &&
          t.shape[1] == l->h && t.shape[2] == l->w && t.shape[3] == 3);
    for (int i = 0; i < l->n && t.rank == 4; i++) {
        CHECK_STATUS(pan_vec_env_render(l->env, i, frame), PAN_OK);
        CHECK(memcmp((const uint8_t *)t.data + (size_t)i * fb, frame, fb) == 0);
        /* the current frame is the last frame of the last obs */
        CHECK(memcmp(frame, l->frames + (size_t)i * l->frame_bytes + l->frame_bytes - fb, fb) == 0);
    }
    CHECK_STATUS(pan_client_render(c, session, 1, &t), PAN_OK);
    CHECK(t.rank == 3 && t.shape[0] == l->h && t.shape[1] == l->w && t.shape[2] == 3);
    CHECK_STATUS(pan_vec_env_render(l->env, 1, frame), PAN_OK);
    CHECK(t.rank == 3 && memcmp(t.data, frame, fb) == 0);
    CHECK_STATUS(pan_client_render(c, session, l->n, &t), PAN_ERR_INVALID_ARGUMENT);
    CHECK(!strcmp(pan_client_error_code(c), "INVALID_ARGUMENT"));
    free(frame);
}

#define T_STEPS 4
static const char *const row_texts[] = {
    "move the red circle right by 3", "push the blue square down", "wait",
    "move the green triangle up by 2", "turn off the lights", "remove the yellow circle",
    "slide the orange square left 4", "nonsense words here", "move the purple circle down by 1",
    "add a blue circle", "lights on", "move the red square to the centre"};

static int64_t session_snapshots(pan_client *c, uint64_t session) {
    pan_client_stats_result st;
    CHECK_STATUS(pan_client_stats(c, &session, &st), PAN_OK);
    CHECK(st.has_session && st.num_envs == 3);
    return st.snapshots;
}

void conf_test_snapshots(pan_client *c, uint64_t session, local_env *l) {
    int B = l->n, D = l->d;
    size_t fb = (size_t)l->h * (size_t)l->w * 3;
    const char *actions[3 * T_STEPS]; /* (B, T) */
    for (int i = 0; i < B * T_STEPS; i++) actions[i] = row_texts[i % 12];

    int n_ids = 0;
    const uint64_t *ids_view = NULL;
    CHECK_STATUS(pan_client_fork(c, session, 0, NULL, &n_ids, &ids_view), PAN_OK);
    CHECK(n_ids == B);
    uint64_t rid[3], lid[3];
    for (int i = 0; i < B && i < n_ids; i++) rid[i] = ids_view[i];
    int all[3] = {0, 1, 2};
    CHECK_STATUS(pan_vec_env_fork(l->env, B, all, lid), PAN_OK);
    CHECK(session_snapshots(c, session) == 3);

    pan_client_tensor t;
    uint8_t *before = malloc((size_t)B * fb); /* (N, H, W, 3) */
    CHECK_STATUS(pan_client_render(c, session, -1, &t), PAN_OK);
    memcpy(before, t.data, (size_t)B * fb);

    /* ROLLOUT with frames, against the in-process rollout */
    size_t nbt = (size_t)B * T_STEPS;
    float *lrew = malloc(nbt * sizeof(float));                 /* (B, T) */
    bool *lterm = malloc(nbt), *ltrunc = malloc(nbt);          /* (B, T) */
    float *llat = malloc(nbt * (size_t)D * sizeof(float));     /* (B, T, 1, D) */
    uint8_t *lfr = malloc(nbt * l->frame_bytes);               /* (B, T, K, H, W, 3) */
    pan_rollout_out lo = {lrew, lterm, ltrunc, llat, lfr};
    CHECK_STATUS(pan_vec_env_rollout(l->env, B, lid, T_STEPS, actions, &lo), PAN_OK);
    pan_client_rollout_result ro;
    CHECK_STATUS(pan_client_rollout(c, session, B, rid, T_STEPS, actions, true, &ro), PAN_OK);
    CHECK(ro.b == B && ro.t == T_STEPS && ro.q == 1 && ro.d == D && ro.frames &&
          ro.k == l->k && ro.h == l->h && ro.w == l->w);
    CHECK(memcmp(ro.reward, lrew, nbt * sizeof(float)) == 0);
    CHECK(memcmp(ro.terminated, lterm, nbt) == 0 && memcmp(ro.truncated, ltrunc, nbt) == 0);
    CHECK(memcmp(ro.latent, llat, nbt * (size_t)D * sizeof(float)) == 0);
    CHECK(ro.frames && memcmp(ro.frames, lfr, nbt * l->frame_bytes) == 0);
    /* again without frames: same numbers (the snapshots were not touched) */
    CHECK_STATUS(pan_client_rollout(c, session, B, rid, T_STEPS, actions, false, &ro), PAN_OK);
    CHECK(ro.frames == NULL && memcmp(ro.latent, llat, nbt * (size_t)D * sizeof(float)) == 0);
    CHECK(memcmp(ro.reward, lrew, nbt * sizeof(float)) == 0);
    /* the live envs were not touched */
    CHECK_STATUS(pan_client_render(c, session, -1, &t), PAN_OK);
    CHECK(memcmp(t.data, before, (size_t)B * fb) == 0);
    const char *live[3] = {"wait", "move the red circle left by 1", "lights off"};
    conf_step_both(c, session, l, live, "step after rollout");

    /* FORK of some envs; RESTORE all from the first snapshots */
    int some[2] = {2, 0};
    CHECK_STATUS(pan_client_fork(c, session, 2, some, &n_ids, &ids_view), PAN_OK);
    CHECK(n_ids == 2);
    uint64_t extra[2] = {n_ids > 0 ? ids_view[0] : 0, n_ids > 1 ? ids_view[1] : 0};
    CHECK(session_snapshots(c, session) == 5);
    pan_client_obs_result rr;
    CHECK_STATUS(pan_client_restore(c, session, B, all, rid, &rr), PAN_OK);
    pan_obs_batch lobs = {l->frames, l->latent};
    CHECK_STATUS(pan_vec_env_restore(l->env, B, all, lid, &lobs, l->infos), PAN_OK);
    CHECK(conf_same_obs(&rr.obs, l));
    for (int i = 0; i < B; i++) CHECK(conf_same_info(&rr.infos[i], &l->infos[i]));
    /* RESTORE + STEP equals the ROLLOUT rows, step by step until a row ends */
    bool ended[3] = {false, false, false};
    for (int s = 0; s < T_STEPS; s++) {
        const char *acts[3];
        for (int b = 0; b < B; b++) acts[b] = actions[b * T_STEPS + s];
        pan_client_step_result st;
        CHECK_STATUS(pan_client_step(c, session, B, acts, &st), PAN_OK);
        CHECK_STATUS(local_step(l, acts), PAN_OK);
        for (int b = 0; b < B; b++) {
            if (ended[b]) continue;
            size_t k = (size_t)b * T_STEPS + (size_t)s;
            CHECK(memcmp(st.obs.latent + (size_t)b * (size_t)D, llat + k * (size_t)D,
                         (size_t)D * sizeof(float)) == 0);
            CHECK(memcmp(st.obs.frames + (size_t)b * l->frame_bytes, lfr + k * l->frame_bytes,
                         l->frame_bytes) == 0);
            CHECK(st.reward[b] == lrew[k] && st.terminated[b] == lterm[k] &&
                  st.truncated[b] == ltrunc[k]);
            ended[b] = lterm[k] || ltrunc[k];
        }
    }
    /* RELEASE: all or nothing */
    int64_t released = -1;
    uint64_t mixed[2] = {rid[0], 0xdeadbeefull};
    CHECK_STATUS(pan_client_release(c, session, 2, mixed, &released), PAN_ERR_NOT_FOUND);
    CHECK(!strcmp(pan_client_error_code(c), "NOT_FOUND"));
    CHECK(session_snapshots(c, session) == 5);
    CHECK_STATUS(pan_client_release(c, session, 3, rid, &released), PAN_OK);
    CHECK(released == 3);
    CHECK_STATUS(pan_client_release(c, session, 2, extra, &released), PAN_OK);
    CHECK(released == 2 && session_snapshots(c, session) == 0);
    CHECK_STATUS(pan_vec_env_release(l->env, B, lid), PAN_OK);
    CHECK_STATUS(pan_client_rollout(c, session, 1, rid, 1, actions, false, &ro),
                 PAN_ERR_NOT_FOUND);
    uint64_t one = session;
    CHECK_STATUS(pan_client_ping(c, &one), PAN_OK);
    free(before); free(lrew); free(lterm); free(ltrunc); free(llat); free(lfr);
}
