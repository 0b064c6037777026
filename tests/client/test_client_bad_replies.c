/* tests/client/test_client_bad_replies.c: the client against a peer that
 * breaks the protocol. A ROUTER socket in a thread of this process answers
 * each request with the reply a scenario prescribes (not a mock of the
 * server: the real server never sends these; this is the adversary the
 * client must survive). Every broken reply must give PAN_ERR_DATA_LOSS
 * with code BAD_REPLY (or the documented outcome), never a crash, and the
 * client must stay usable: a well-formed reply right after is accepted.
 * Stale replies (another id) are dropped; a timeout reconnects. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "agents/c/pan_client.h"
#include "tests/test_util.h"

typedef enum scenario {
    GOOD_PING, NOT_MSGPACK, NOT_A_MAP, TRUNCATED, HUGE_STR, BAD_VERSION, NO_OK,
    STALE_ONLY, STALE_THEN_GOOD, ERROR_NO_CODE, ERROR_UNKNOWN_CODE, GOOD_STEP,
    STEP_LATENT_U1, STEP_LATENT_SIZE, STEP_FRAME_INDEX, STEP_REWARD_LEN, STEP_NO_SUCCESS,
    STEP_NO_OBS, ROLLOUT_B1_TWO, GOOD_ROLLOUT, HELLO_NO_LIMITS, DONE
} scenario;

static _Atomic int current = GOOD_PING;
static void *ctx;
static char endpoint[256];

static void pk_str(msgpack_packer *pk, const char *s) {
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}

static void pk_tensor(msgpack_packer *pk, const char *dtype, int rank, const int *shape, int frame) {
    msgpack_pack_map(pk, 3);
    pk_str(pk, "dtype"); pk_str(pk, dtype);
    pk_str(pk, "shape"); msgpack_pack_array(pk, (size_t)rank);
    for (int i = 0; i < rank; i++) msgpack_pack_int(pk, shape[i]);
    pk_str(pk, "frame"); msgpack_pack_int(pk, frame);
}

static void pk_info(msgpack_packer *pk, bool with_success) {
    msgpack_pack_map(pk, with_success ? 11 : 10);
    pk_str(pk, "is_reset"); msgpack_pack_false(pk);
    pk_str(pk, "autoreset"); msgpack_pack_false(pk);
    pk_str(pk, "seed"); msgpack_pack_uint64(pk, 3);
    pk_str(pk, "episode_step"); msgpack_pack_int(pk, 1);
    pk_str(pk, "understood"); msgpack_pack_true(pk);
    pk_str(pk, "action_kind"); pk_str(pk, "environment");
    pk_str(pk, "canonical"); pk_str(pk, "wait");
    pk_str(pk, "message"); pk_str(pk, "waited");
    pk_str(pk, "heldout"); msgpack_pack_false(pk);
    pk_str(pk, "task"); pk_str(pk, "");
    if (with_success) { pk_str(pk, "success"); msgpack_pack_false(pk); }
}

/* Header start: {v, id, ok: true, + extra entries}. */
static void pk_head(msgpack_packer *pk, uint64_t id, int extra) {
    msgpack_pack_map(pk, 3 + (size_t)extra);
    pk_str(pk, "v"); msgpack_pack_array(pk, 2); msgpack_pack_int(pk, 1); msgpack_pack_int(pk, 0);
    pk_str(pk, "id"); msgpack_pack_uint64(pk, id);
    pk_str(pk, "ok"); msgpack_pack_true(pk);
}

static float latent_blob[2] = {0.25f, 0.5f};     /* (1, 1, 2) */
static uint8_t b1_blob[2] = {0, 2};              /* (1, 2) with a 2 */

/* A STEP reply for N = 1, Q = 1, D = 2, latent mode, broken as asked. */
static int pk_step(msgpack_packer *pk, uint64_t id, scenario s, size_t *blob_size) {
    int shape[3] = {1, 1, 2};
    pk_head(pk, id, s == STEP_NO_OBS ? 4 : 5);
    if (s != STEP_NO_OBS) {
        pk_str(pk, "obs"); msgpack_pack_map(pk, 1); pk_str(pk, "latent");
        pk_tensor(pk, s == STEP_LATENT_U1 ? "u1" : "f4", 3, shape, s == STEP_FRAME_INDEX ? 5 : 1);
    }
    pk_str(pk, "reward"); msgpack_pack_array(pk, s == STEP_REWARD_LEN ? 2 : 1);
    msgpack_pack_float(pk, 0.0f);
    if (s == STEP_REWARD_LEN) msgpack_pack_float(pk, 1.0f);
    pk_str(pk, "terminated"); msgpack_pack_array(pk, 1); msgpack_pack_false(pk);
    pk_str(pk, "truncated"); msgpack_pack_array(pk, 1); msgpack_pack_false(pk);
    pk_str(pk, "infos"); msgpack_pack_array(pk, 1); pk_info(pk, s != STEP_NO_SUCCESS);
    *blob_size = s == STEP_LATENT_SIZE ? 4 : s == STEP_LATENT_U1 ? 2 : 8;
    return 1;
}

static void *peer(void *arg) {
    void *sock = arg;
    for (;;) {
        zmq_msg_t part[8];
        int n = 0;
        do {
            zmq_msg_init(&part[n]);
            if (zmq_msg_recv(&part[n], sock, 0) < 0) return NULL;
            n++;
        } while (zmq_msg_more(&part[n - 1]) && n < 8);
        msgpack_unpacked up;
        msgpack_unpacked_init(&up);
        uint64_t id = 0;
        if (msgpack_unpack_next(&up, zmq_msg_data(&part[1]), zmq_msg_size(&part[1]), NULL) ==
            MSGPACK_UNPACK_SUCCESS) {
            const msgpack_object *h = &up.data;
            for (uint32_t i = 0; h->type == MSGPACK_OBJECT_MAP && i < h->via.map.size; i++)
                if (h->via.map.ptr[i].key.via.str.size == 2 &&
                    !memcmp(h->via.map.ptr[i].key.via.str.ptr, "id", 2))
                    id = h->via.map.ptr[i].val.via.u64;
        }
        msgpack_unpacked_destroy(&up);
        scenario s = (scenario)atomic_load(&current);
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        const void *blob = NULL;
        size_t blob_size = 0;
        switch (s) {
        case NOT_MSGPACK: msgpack_sbuffer_write(&sb, "\xc1\xc1", 2); break;
        case NOT_A_MAP: msgpack_pack_array(&pk, 0); break;
        case TRUNCATED: msgpack_sbuffer_write(&sb, "\xde\x00\x05\xa1v", 5); break;
        case HUGE_STR: msgpack_sbuffer_write(&sb, "\x81\xdb\xff\xff\xff\xf0xy", 8); break;
        case BAD_VERSION:
            msgpack_pack_map(&pk, 3);
            pk_str(&pk, "v"); msgpack_pack_array(&pk, 2); msgpack_pack_int(&pk, 2); msgpack_pack_int(&pk, 0);
            pk_str(&pk, "id"); msgpack_pack_uint64(&pk, id);
            pk_str(&pk, "ok"); msgpack_pack_true(&pk);
            break;
        case NO_OK:
            msgpack_pack_map(&pk, 2);
            pk_str(&pk, "v"); msgpack_pack_array(&pk, 2); msgpack_pack_int(&pk, 1); msgpack_pack_int(&pk, 0);
            pk_str(&pk, "id"); msgpack_pack_uint64(&pk, id);
            break;
        case STALE_ONLY: pk_head(&pk, id + 1000, 0); break;
        case STALE_THEN_GOOD: {
            pk_head(&pk, id - 1, 0);
            zmq_send(sock, zmq_msg_data(&part[0]), zmq_msg_size(&part[0]), ZMQ_SNDMORE);
            zmq_send(sock, sb.data, sb.size, 0);
            msgpack_sbuffer_clear(&sb);
            pk_head(&pk, id, 0);
            break;
        }
        case ERROR_NO_CODE:
        case ERROR_UNKNOWN_CODE:
            msgpack_pack_map(&pk, 4);
            pk_str(&pk, "v"); msgpack_pack_array(&pk, 2); msgpack_pack_int(&pk, 1); msgpack_pack_int(&pk, 0);
            pk_str(&pk, "id"); msgpack_pack_uint64(&pk, id);
            pk_str(&pk, "ok"); msgpack_pack_false(&pk);
            pk_str(&pk, "error"); msgpack_pack_map(&pk, s == ERROR_NO_CODE ? 1 : 2);
            if (s == ERROR_UNKNOWN_CODE) { pk_str(&pk, "code"); pk_str(&pk, "WEIRD"); }
            pk_str(&pk, "message"); pk_str(&pk, "something odd");
            break;
        case GOOD_STEP: case STEP_LATENT_U1: case STEP_LATENT_SIZE: case STEP_FRAME_INDEX:
        case STEP_REWARD_LEN: case STEP_NO_SUCCESS: case STEP_NO_OBS:
            pk_step(&pk, id, s, &blob_size);
            blob = latent_blob;
            break;
        case ROLLOUT_B1_TWO: case GOOD_ROLLOUT: { /* B = 1, T = 2, Q = 1, D = 1 */
            int bt[2] = {1, 2}, btqd[4] = {1, 2, 1, 1};
            pk_head(&pk, id, 4);
            pk_str(&pk, "reward"); pk_tensor(&pk, "f4", 2, bt, 1);
            pk_str(&pk, "terminated"); pk_tensor(&pk, "b1", 2, bt, 2);
            pk_str(&pk, "truncated"); pk_tensor(&pk, "b1", 2, bt, 2);
            pk_str(&pk, "latent"); pk_tensor(&pk, "f4", 4, btqd, 1);
            if (s == GOOD_ROLLOUT) b1_blob[1] = 1;
            blob = latent_blob;
            blob_size = 8;
            break;
        }
        case HELLO_NO_LIMITS:
            pk_head(&pk, id, 1);
            pk_str(&pk, "server"); pk_str(&pk, "junk");
            break;
        default: pk_head(&pk, id, 0); break;
        }
        bool b1 = s == ROLLOUT_B1_TWO || s == GOOD_ROLLOUT;
        zmq_send(sock, zmq_msg_data(&part[0]), zmq_msg_size(&part[0]), ZMQ_SNDMORE);
        zmq_send(sock, sb.data, sb.size, blob ? ZMQ_SNDMORE : 0);
        if (blob) zmq_send(sock, blob, blob_size, b1 ? ZMQ_SNDMORE : 0);
        if (b1) zmq_send(sock, b1_blob, 2, 0);
        msgpack_sbuffer_destroy(&sb);
        for (int i = 0; i < n; i++) zmq_msg_close(&part[i]);
        if (s == DONE) return NULL;
    }
}

static void expect_bad(pan_client *c, pan_status got, const char *what) {
    if (got != PAN_ERR_DATA_LOSS || strcmp(pan_client_error_code(c), "BAD_REPLY") != 0) {
        fprintf(stderr, "%s: got %s [%s] %s, expected DATA_LOSS [BAD_REPLY]\n", what,
                pan_status_name(got), pan_client_error_code(c), pan_client_error_message(c));
        CHECK(0);
        return;
    }
    printf("  %-36s -> %s\n", what, pan_client_error_message(c));
}

int main(void) {
    ctx = zmq_ctx_new();
    void *router = zmq_socket(ctx, ZMQ_ROUTER);
    int linger = 0;
    zmq_setsockopt(router, ZMQ_LINGER, &linger, sizeof linger);
    CHECK(zmq_bind(router, "tcp://127.0.0.1:*") == 0);
    size_t len = sizeof endpoint;
    zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, endpoint, &len);
    pthread_t th;
    pthread_create(&th, NULL, peer, router);

    pan_client *c = NULL;
    CHECK_STATUS(pan_client_connect(endpoint, 2000, &c), PAN_OK);
    if (!c) return test_exit_code("test_client_bad_replies");
    CHECK_STATUS(pan_client_ping(c, NULL), PAN_OK);
    static const struct { scenario s; const char *what; } header_cases[] = {
        {NOT_MSGPACK, "header 0xc1"}, {NOT_A_MAP, "header is an array"},
        {TRUNCATED, "map16 of 5 with one key"}, {HUGE_STR, "str32 of 4 GB in 8 bytes"},
        {BAD_VERSION, "v [2, 0]"}, {NO_OK, "no ok"}, {ERROR_NO_CODE, "error without code"}};
    for (size_t i = 0; i < sizeof header_cases / sizeof header_cases[0]; i++) {
        atomic_store(&current, header_cases[i].s);
        expect_bad(c, pan_client_ping(c, NULL), header_cases[i].what);
        atomic_store(&current, GOOD_PING);
        CHECK_STATUS(pan_client_ping(c, NULL), PAN_OK);
    }
    atomic_store(&current, ERROR_UNKNOWN_CODE);
    CHECK_STATUS(pan_client_ping(c, NULL), PAN_ERR_INTERNAL);
    CHECK(!strcmp(pan_client_error_code(c), "WEIRD") && pan_client_error_from_server(c));
    /* a stale reply alone: dropped, so the call times out and reconnects */
    atomic_store(&current, STALE_ONLY);
    CHECK_STATUS(pan_client_set_timeout(c, 300), PAN_OK);
    CHECK_STATUS(pan_client_ping(c, NULL), PAN_ERR_IO);
    CHECK(!strcmp(pan_client_error_code(c), "TIMEOUT"));
    CHECK_STATUS(pan_client_set_timeout(c, 2000), PAN_OK);
    atomic_store(&current, STALE_THEN_GOOD);
    CHECK_STATUS(pan_client_ping(c, NULL), PAN_OK);

    const char *wait[1] = {"wait"};
    pan_client_step_result st;
    atomic_store(&current, GOOD_STEP);
    CHECK_STATUS(pan_client_step(c, 1, 1, wait, &st), PAN_OK);
    CHECK(st.obs.n == 1 && st.obs.q == 1 && st.obs.d == 2 && st.obs.latent[1] == 0.5f &&
          st.obs.frames == NULL && !strcmp(st.infos[0].message, "waited"));
    static const struct { scenario s; const char *what; } step_cases[] = {
        {STEP_LATENT_U1, "latent u1"}, {STEP_LATENT_SIZE, "latent blob of 4 bytes"},
        {STEP_FRAME_INDEX, "latent frame 5 of 1"}, {STEP_REWARD_LEN, "2 rewards for 1 env"},
        {STEP_NO_SUCCESS, "info without success"}, {STEP_NO_OBS, "no obs"}};
    for (size_t i = 0; i < sizeof step_cases / sizeof step_cases[0]; i++) {
        atomic_store(&current, step_cases[i].s);
        expect_bad(c, pan_client_step(c, 1, 1, wait, &st), step_cases[i].what);
    }
    pan_client_rollout_result ro;
    uint64_t id = 1;
    const char *two[2] = {"wait", "wait"};
    atomic_store(&current, ROLLOUT_B1_TWO);
    expect_bad(c, pan_client_rollout(c, 1, 1, &id, 2, two, false, &ro), "b1 byte 2");
    atomic_store(&current, GOOD_ROLLOUT);
    CHECK_STATUS(pan_client_rollout(c, 1, 1, &id, 2, two, false, &ro), PAN_OK);
    CHECK(ro.b == 1 && ro.t == 2 && ro.q == 1 && ro.d == 1 && ro.terminated[1]);
    pan_client_hello_result h;
    atomic_store(&current, HELLO_NO_LIMITS);
    expect_bad(c, pan_client_hello(c, NULL, &h), "HELLO without protocol and limits");
    /* an unreachable endpoint: a timeout, not a hang */
    pan_client *dead = NULL;
    CHECK_STATUS(pan_client_connect("tcp://127.0.0.1:1", 200, &dead), PAN_OK);
    if (dead) {
        CHECK_STATUS(pan_client_ping(dead, NULL), PAN_ERR_IO);
        CHECK(!strcmp(pan_client_error_code(dead), "TIMEOUT"));
        pan_client_destroy(dead);
    }
    CHECK_STATUS(pan_client_connect("", 200, &dead), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_client_connect("tcp://127.0.0.1:1", 0, &dead), PAN_ERR_INVALID_ARGUMENT);

    atomic_store(&current, DONE);
    CHECK_STATUS(pan_client_ping(c, NULL), PAN_OK); /* the peer stops after this one */
    pthread_join(th, NULL);
    pan_client_destroy(c);
    zmq_close(router);
    zmq_ctx_term(ctx);
    return test_exit_code("test_client_bad_replies");
}
