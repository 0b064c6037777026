/* tests/client/conformance_errors.c: protocol errors through the client:
 * each request gets the code docs/protocol.md names, the client reports
 * it as the server's (code string, message, mapped pan_status), and the
 * session is unchanged afterwards (RENDER and the next STEP still equal
 * the in-process env that saw none of these requests). */
#define _POSIX_C_SOURCE 200809L
#include "tests/client/conformance.h"

static void expect(pan_client *c, pan_status got, pan_status want, const char *code,
                   const char *what) {
    if (got != want || strcmp(pan_client_error_code(c), code) != 0 ||
        !pan_client_error_from_server(c) || !pan_client_error_message(c)[0]) {
        fprintf(stderr, "%s: got %s [%s] '%s', expected %s [%s] from the server\n", what,
                pan_status_name(got), pan_client_error_code(c), pan_client_error_message(c),
                pan_status_name(want), code);
        CHECK(0);
    }
}

/* Raw requests the typed calls cannot express. */
static pan_status raw_unknown_op(pan_client *c) {
    pan_client_request_begin(c, "FLY", 0);
    return pan_client_request_send(c);
}

static pan_status raw_step_wrong_type(pan_client *c, uint64_t session) {
    msgpack_packer *pk = pan_client_request_begin(c, "STEP", 2);
    msgpack_pack_str(pk, 7); msgpack_pack_str_body(pk, "session", 7);
    msgpack_pack_uint64(pk, session);
    msgpack_pack_str(pk, 7); msgpack_pack_str_body(pk, "actions", 7);
    msgpack_pack_int(pk, 42);
    return pan_client_request_send(c);
}

static pan_status raw_unreferenced_blob(pan_client *c) {
    pan_client_request_begin(c, "PING", 0);
    pan_client_request_blob(c, "abcd", 4);
    return pan_client_request_send(c);
}

static pan_status raw_mask_dtype(pan_client *c, uint64_t session) {
    msgpack_packer *pk = pan_client_request_begin(c, "RESET", 2);
    msgpack_pack_str(pk, 7); msgpack_pack_str_body(pk, "session", 7);
    msgpack_pack_uint64(pk, session);
    msgpack_pack_str(pk, 7); msgpack_pack_str_body(pk, "options", 7);
    msgpack_pack_map(pk, 1);
    msgpack_pack_str(pk, 10); msgpack_pack_str_body(pk, "reset_mask", 10);
    static const uint8_t mask[3] = {1, 1, 1};
    int64_t shape[1] = {3};
    pan_client_request_tensor(c, PAN_CLIENT_U1, 1, shape, mask); /* must be b1 */
    return pan_client_request_send(c);
}

static void check_unchanged(pan_client *c, uint64_t session, local_env *l, const char *what) {
    size_t fb = (size_t)l->h * (size_t)l->w * 3;
    uint8_t *frame = malloc(fb); /* (H, W, 3) */
    pan_client_tensor t;
    CHECK_STATUS(pan_client_render(c, session, -1, &t), PAN_OK);
    for (int i = 0; i < l->n && t.rank == 4; i++) {
        CHECK_STATUS(pan_vec_env_render(l->env, i, frame), PAN_OK);
        if (memcmp((const uint8_t *)t.data + (size_t)i * fb, frame, fb) != 0) {
            fprintf(stderr, "%s changed env %d\n", what, i);
            CHECK(0);
        }
    }
    free(frame);
}

void conf_test_errors(pan_client *c, uint64_t session, local_env *l) {
    pan_client_step_result sr;
    pan_client_obs_result rr;
    pan_client_rollout_result ro;
    const char *two[2] = {"wait", "wait"};
    expect(c, pan_client_step(c, session, 2, two, &sr), PAN_ERR_INVALID_ARGUMENT,
           "INVALID_ARGUMENT", "STEP with 2 actions for 3 envs");
    char long_text[400];
    memset(long_text, 'a', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    const char *three[3] = {"wait", long_text, "wait"};
    expect(c, pan_client_step(c, session, 3, three, &sr), PAN_ERR_INVALID_ARGUMENT,
           "INVALID_ARGUMENT", "STEP with a 399-byte action");
    const char *bad_utf8[3] = {"wait", "caf\xc3", "wait"};
    expect(c, pan_client_step(c, session, 3, bad_utf8, &sr), PAN_ERR_INVALID_ARGUMENT,
           "INVALID_ARGUMENT", "STEP with invalid UTF-8");
    expect(c, pan_client_step(c, session ^ 0x5555, 3, three, &sr), PAN_ERR_NOT_FOUND,
           "NOT_FOUND", "STEP of an unknown session");
    bool none[3] = {false, false, false};
    pan_client_reset_args ra = {.mask = none, .n_mask = 3};
    expect(c, pan_client_reset(c, session, &ra, &rr), PAN_ERR_INVALID_ARGUMENT,
           "INVALID_ARGUMENT", "RESET with an all-false mask");
    bool short_mask[2] = {true, true};
    ra = (pan_client_reset_args){.mask = short_mask, .n_mask = 2, .mask_as_tensor = true};
    expect(c, pan_client_reset(c, session, &ra, &rr), PAN_ERR_INVALID_ARGUMENT,
           "INVALID_ARGUMENT", "RESET with a mask of 2 for 3 envs");
    ra = (pan_client_reset_args){.task = "move the red circle left"};
    expect(c, pan_client_reset(c, session, &ra, &rr), PAN_ERR_INVALID_ARGUMENT,
           "INVALID_ARGUMENT", "RESET with a task that is an action");
    expect(c, raw_mask_dtype(c, session), PAN_ERR_INVALID_ARGUMENT, "INVALID_ARGUMENT",
           "RESET with a u1 reset_mask tensor");
    int n_ids = 0;
    const uint64_t *ids = NULL;
    int env0[1] = {0};
    CHECK_STATUS(pan_client_fork(c, session, 1, env0, &n_ids, &ids), PAN_OK);
    uint64_t id = n_ids == 1 ? ids[0] : 0;
    const char *acts[65];
    for (int i = 0; i < 65; i++) acts[i] = "wait";
    expect(c, pan_client_rollout(c, session, 1, &id, 65, acts, false, &ro),
           PAN_ERR_RESOURCE_EXHAUSTED, "RESOURCE_EXHAUSTED", "ROLLOUT of 65 steps");
    uint64_t unknown = id + 1000;
    expect(c, pan_client_rollout(c, session, 1, &unknown, 2, acts, false, &ro),
           PAN_ERR_NOT_FOUND, "NOT_FOUND", "ROLLOUT of an unknown state id");
    int dup[2] = {1, 1};
    uint64_t ids2[2] = {id, id};
    expect(c, pan_client_restore(c, session, 2, dup, ids2, &rr), PAN_ERR_INVALID_ARGUMENT,
           "INVALID_ARGUMENT", "RESTORE of one env twice");
    int64_t released;
    CHECK_STATUS(pan_client_release(c, session, 1, &id, &released), PAN_OK);
    int n = 0;
    const char *const *sampled;
    expect(c, pan_client_sample(c, session, "bogus", &n, &sampled), PAN_ERR_INVALID_ARGUMENT,
           "INVALID_ARGUMENT", "SAMPLE of an unknown split");
    expect(c, raw_step_wrong_type(c, session), PAN_ERR_INVALID_ARGUMENT, "INVALID_ARGUMENT",
           "STEP with actions: 42");
    expect(c, raw_unknown_op(c), PAN_ERR_UNIMPLEMENTED, "UNIMPLEMENTED", "op FLY");
    expect(c, raw_unreferenced_blob(c), PAN_ERR_INVALID_ARGUMENT, "INVALID_ARGUMENT",
           "a blob no tensor references");
    pan_client_set_version(c, 2, 0);
    expect(c, pan_client_ping(c, NULL), PAN_ERR_UNIMPLEMENTED, "VERSION_MISMATCH",
           "protocol version 2.0");
    pan_client_set_version(c, 1, 0);
    CHECK_STATUS(pan_client_ping(c, NULL), PAN_OK);

    /* MAKE errors, and preconditions on fresh sessions */
    uint64_t other;
    pan_client_spaces sp;
    pan_client_make_args ma = pan_client_make_args_default("moon");
    expect(c, pan_client_make(c, &ma, &other, &sp), PAN_ERR_NOT_FOUND, "NOT_FOUND",
           "MAKE of an unknown world");
    ma = pan_client_make_args_default("tabletop");
    ma.num_envs = 1000;
    expect(c, pan_client_make(c, &ma, &other, &sp), PAN_ERR_RESOURCE_EXHAUSTED,
           "RESOURCE_EXHAUSTED", "MAKE of 1000 envs");
    ma.num_envs = 1;
    ma.obs_mode = "pixels";
    expect(c, pan_client_make(c, &ma, &other, &sp), PAN_ERR_INVALID_ARGUMENT,
           "INVALID_ARGUMENT", "MAKE with obs_mode pixels");
    ma = pan_client_make_args_default("rooms");
    ma.autoreset_mode = "disabled";
    ma.max_episode_steps = 1;
    CHECK_STATUS(pan_client_make(c, &ma, &other, &sp), PAN_OK);
    const char *north[1] = {"go north"};
    expect(c, pan_client_step(c, other, 1, north, &sr), PAN_ERR_FAILED_PRECONDITION,
           "FAILED_PRECONDITION", "STEP before RESET");
    CHECK_STATUS(pan_client_reset(c, other, NULL, &rr), PAN_OK);
    CHECK_STATUS(pan_client_step(c, other, 1, north, &sr), PAN_OK);
    CHECK(sr.truncated[0] && !sr.terminated[0]);
    expect(c, pan_client_step(c, other, 1, north, &sr), PAN_ERR_FAILED_PRECONDITION,
           "FAILED_PRECONDITION", "STEP of an ended env, autoreset disabled");
    CHECK_STATUS(pan_client_close(c, other), PAN_OK);

    /* the main session saw none of it */
    check_unchanged(c, session, l, "the failed requests");
    const char *acts3[3] = {"move the blue square left by 1", "wait", "lights dim"};
    conf_step_both(c, session, l, acts3, "step after the errors");
}
