/* tests/server/test_server_malformed.c: 1,000 malformed requests from a
 * fixed seed against a real pan-server process: truncated msgpack, random
 * bytes, non-map headers, wrong types for every field of every op, huge
 * declared lengths, deep nesting, missing v/id/op, other major versions,
 * unknown ops, bad session ids, oversized and non-UTF-8 text, envs / batch
 * / horizon / header / reply-size limits, wrong tensor dtypes, shapes,
 * frames and sizes, too many blobs. Each gets an error reply with the
 * code of its category (and its id when the id was readable). Meanwhile a
 * second session steps through a fixed action list and must give
 * byte-identical observations, rewards and infos to a clean reference run
 * of the same seed; and the session the bad requests aimed at is unchanged
 * afterwards (its next step equals a fresh session's).
 * usage: test_server_malformed PATH/TO/pan-server */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/server/malformed_cases.h"
#include "tests/server/server_harness.h"
#include "tests/test_util.h"

#define N_MALFORMED 1000
#define STEP_EVERY 10
#define N_STEPS (N_MALFORMED / STEP_EVERY)

static const char *const action_list[] = {
    "move the red circle left", "push the blue square up by 2", "wait",
    "turn off the lights", "slide the green triangle right",
    "put the yellow circle in the top left corner", "remove the purple square",
    "add a blue circle", "lights on", "move the orange triangle down 3",
};
#define N_ACTIONS (int)(sizeof action_list / sizeof action_list[0])

/* ---- a step's result: observation bytes and a hash of the rest ----------- */

typedef struct step_record {
    uint8_t *obs;                 /* frames (2, 4, 64, 64, 3) + latent (2, 1, 73) */
    size_t size;
    uint64_t rest;                /* reward, terminated, truncated, infos */
} step_record;

static uint64_t hash_object(const msgpack_object *o, uint64_t h) {
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    if (o) msgpack_pack_object(&pk, *o);
    else msgpack_pack_nil(&pk);
    h = test_hash(sb.data, sb.size, h);
    msgpack_sbuffer_destroy(&sb);
    return h;
}

static int record_reply(const test_reply *r, step_record *rec) {
    if (!test_reply_ok(r)) {
        fprintf(stderr, "step failed: %s %s\n", test_reply_code(r),
                test_reply_message(r));
        return -1;
    }
    const msgpack_object *obs = test_get(r->root, "obs");
    size_t fs = 0, ls = 0;
    const uint8_t *frames = test_tensor(r, obs, "frames", &fs);
    const uint8_t *latent = test_tensor(r, obs, "latent", &ls);
    if (!frames || !latent) return -1;
    rec->size = fs + ls;
    rec->obs = malloc(rec->size);
    memcpy(rec->obs, frames, fs);
    memcpy(rec->obs + fs, latent, ls);
    uint64_t h = 0;
    const char *keys[] = {"reward", "terminated", "truncated", "infos"};
    for (int i = 0; i < 4; i++) h = hash_object(test_get(r->root, keys[i]), h);
    rec->rest = h;
    return 0;
}

static int step(test_client *c, uint64_t session, int k, step_record *rec) {
    test_req q;
    test_req_begin(&q, "STEP", c->next_id++, session, 1);
    test_pack_str(&q.pk, "actions");
    msgpack_pack_array(&q.pk, 2);
    test_pack_str(&q.pk, action_list[k % N_ACTIONS]);
    test_pack_str(&q.pk, action_list[(k * 3 + 1) % N_ACTIONS]);
    test_reply r;
    int rc = test_call(c, &q, NULL, 0, &r);
    if (rc == 0) rc = record_reply(&r, rec);
    test_reply_free(&r);
    return rc;
}

static int reset(test_client *c, uint64_t session, uint64_t seed) {
    test_req q;
    test_req_begin(&q, "RESET", c->next_id++, session, 1);
    test_pack_str(&q.pk, "seed");
    msgpack_pack_uint64(&q.pk, seed);
    test_reply r;
    int rc = test_call(c, &q, NULL, 0, &r) == 0 && test_reply_ok(&r) ? 0 : -1;
    test_reply_free(&r);
    return rc;
}

/* ---- the run ------------------------------------------------------------------ */

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s PATH/TO/pan-server\n", argv[0]);
        return 2;
    }
    const char *args[] = {"--max-envs", "8", "--max-batch", "8",
                          "--max-horizon", "8", "--max-sessions", "8",
                          "--max-header-bytes", "65536",
                          "--max-reply-bytes", "2000000", NULL};
    test_server srv;
    if (test_server_start(&srv, argv[1], args) != 0) return 1;
    test_client c, bad_client;
    CHECK(test_client_open(&c, srv.endpoint, ZMQ_DEALER) == 0);
    CHECK(test_client_open(&bad_client, srv.endpoint, ZMQ_DEALER) == 0);

    /* The clean reference run. */
    step_record ref[N_STEPS], got;
    uint64_t r_session = 0;
    CHECK(test_make(&c, "tabletop", 2, NULL, &r_session) == 0);
    CHECK(reset(&c, r_session, 11) == 0);
    for (int k = 0; k < N_STEPS; k++) CHECK(step(&c, r_session, k, &ref[k]) == 0);
    test_reply r;
    test_req q;
    test_req_begin(&q, "CLOSE", c.next_id++, r_session, 0);
    CHECK(test_call(&c, &q, NULL, 0, &r) == 0 && test_reply_ok(&r));
    test_reply_free(&r);

    /* A: the interleaved session; B: the target; D: never reset. */
    ids id = {0};
    uint64_t a = 0;
    CHECK(test_make(&c, "tabletop", 2, NULL, &a) == 0);
    CHECK(reset(&c, a, 11) == 0);
    CHECK(test_make(&c, "tabletop", 2, NULL, &id.target) == 0);
    CHECK(reset(&c, id.target, 5) == 0);
    CHECK(test_make(&c, "tabletop", 1, NULL, &id.unreset) == 0);
    test_req_begin(&q, "FORK", c.next_id++, id.target, 1);
    test_pack_str(&q.pk, "envs");
    malformed_pack_env0(&q.pk, &id);
    CHECK(test_call(&c, &q, NULL, 0, &r) == 0 && test_reply_ok(&r));
    const msgpack_object *sids = test_get(r.root, "state_ids");
    if (sids && sids->type == MSGPACK_OBJECT_ARRAY && sids->via.array.size == 1)
        id.snapshot = sids->via.array.ptr[0].via.u64;
    test_reply_free(&r);
    CHECK(id.snapshot != 0);
    id.live[0] = a;
    id.live[1] = id.target;
    id.live[2] = id.unreset;
    id.live[3] = r_session;

    test_rng rng = {20240611};
    int counts[C_COUNT] = {0};
    int wrong = 0, k = 0;
    for (int i = 0; i < N_MALFORMED; i++) {
        mcase m;
        m.id = 1000000 + (uint64_t)i;
        malformed_build(&m, &rng, &id, counts);
        CHECK(test_call_raw(&bad_client, m.sb.data, m.sb.size, m.blobs,
                            m.n_blobs, &r) == 0);
        const msgpack_object *rid = test_get(r.root, "id");
        bool id_ok = m.id_readable
                         ? (rid && rid->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
                            rid->via.u64 == m.id)
                         : (rid && rid->type == MSGPACK_OBJECT_NIL);
        bool ok = !test_reply_ok(&r) && strcmp(test_reply_code(&r), m.code) == 0 &&
                  id_ok && test_reply_message(&r)[0] != '\0';
        if (!ok && wrong++ < 10)
            fprintf(stderr, "case %d (%s): expected %s, got %s%s: %s\n", i,
                    m.what, m.code, test_reply_ok(&r) ? "ok" : test_reply_code(&r),
                    id_ok ? "" : " (wrong id)", test_reply_message(&r));
        CHECK(ok);
        test_reply_free(&r);
        msgpack_sbuffer_destroy(&m.sb);
        CHECK(test_server_alive(&srv));
        if ((i + 1) % STEP_EVERY == 0) { /* the interleaved session */
            CHECK(step(&c, a, k, &got) == 0);
            bool same = got.size == ref[k].size && got.rest == ref[k].rest &&
                        memcmp(got.obs, ref[k].obs, got.size) == 0;
            if (!same) fprintf(stderr, "interleaved step %d differs from the "
                               "reference run\n", k);
            CHECK(same);
            free(got.obs);
            k++;
        }
    }
    printf("malformed: %d requests, %d with an unexpected reply; per category:",
           N_MALFORMED, wrong);
    for (int i = 0; i < C_COUNT; i++) printf(" %d", counts[i]);
    printf("\n");
    for (int i = 0; i < C_COUNT; i++) CHECK(counts[i] > 0);

    /* The target is as it was after its reset: its next step equals that of
     * a fresh session reset with the same seed. */
    uint64_t fresh = 0;
    step_record b_rec, f_rec;
    CHECK(test_make(&c, "tabletop", 2, NULL, &fresh) == 0);
    CHECK(reset(&c, fresh, 5) == 0);
    CHECK(step(&c, fresh, 3, &f_rec) == 0);
    CHECK(step(&c, id.target, 3, &b_rec) == 0);
    CHECK(b_rec.size == f_rec.size && b_rec.rest == f_rec.rest &&
          memcmp(b_rec.obs, f_rec.obs, b_rec.size) == 0);
    free(b_rec.obs);
    free(f_rec.obs);

    /* Still serving; the errors were counted. */
    CHECK(test_op(&c, "STATS", 0, &r) == 0);
    CHECK(test_get_u64(r.root, "errors") >= N_MALFORMED);
    test_reply_free(&r);
    for (int i = 0; i < N_STEPS; i++) free(ref[i].obs);
    test_client_close(&bad_client);
    test_client_close(&c);
    CHECK(test_server_stop(&srv, SIGTERM) == 0);
    return test_exit_code("test_server_malformed");
}
