/* tests/server/test_server_queue.c: the server's request queue and session
 * table (env/server/server_internal.h) without sockets: per-session order,
 * other sessions passing a busy one, group pops of STEPs, the hash table
 * under collisions and deletions, and TTL reaping that never takes a busy
 * session or one with queued jobs. */
#include <stdlib.h>
#include <string.h>

#include "env/server/server_internal.h"
#include "tests/test_util.h"

static pan_job *job(pan_proto_op op, pan_session *s, uint64_t id) {
    pan_job *j = calloc(1, sizeof *j);
    j->op = op;
    j->session = s;
    j->id = id;
    j->bytes = 10;
    if (s) s->queued++;
    return j;
}

static void test_queue_order(void) {
    pan_session a = {.id = 1}, b = {.id = 2};
    pan_queue q = {0};
    pan_queue_push(&q, job(PAN_PROTO_OP_STEP, &a, 1));
    pan_queue_push(&q, job(PAN_PROTO_OP_STEP, &a, 2));
    pan_queue_push(&q, job(PAN_PROTO_OP_RESET, &b, 3));
    pan_queue_push(&q, job(PAN_PROTO_OP_HELLO, NULL, 4));
    pan_queue_push(&q, job(PAN_PROTO_OP_STEP, &b, 5));
    CHECK(q.count == 5 && q.bytes == 50);

    pan_job *out[4];
    /* a's first job; a is now busy, so its second waits. */
    CHECK(pan_queue_pop_group(&q, 1, out) == 1 && out[0]->id == 1);
    CHECK(a.busy && a.queued == 1);
    pan_job *a1 = out[0];
    CHECK(pan_queue_pop_group(&q, 1, out) == 1 && out[0]->id == 3);
    pan_job *b1 = out[0];
    CHECK(b.busy);
    /* Both sessions busy: the sessionless job passes them. */
    CHECK(pan_queue_pop_group(&q, 1, out) == 1 && out[0]->id == 4);
    free(out[0]);
    CHECK(pan_queue_pop_group(&q, 1, out) == 0);
    /* b finishes: its STEP (5) runs before a's second (a still busy). */
    b.busy = false;
    free(b1);
    CHECK(pan_queue_pop_group(&q, 1, out) == 1 && out[0]->id == 5);
    free(out[0]);
    CHECK(pan_queue_pop_group(&q, 1, out) == 0);
    a.busy = false;
    free(a1);
    CHECK(pan_queue_pop_group(&q, 1, out) == 1 && out[0]->id == 2);
    free(out[0]);
    CHECK(q.count == 0 && q.head == NULL && q.tail == NULL && q.bytes == 0);
    CHECK(a.queued == 0 && b.queued == 0);
}

static void test_queue_group(void) {
    pan_session s[4] = {{.id = 1}, {.id = 2}, {.id = 3}, {.id = 4}};
    pan_queue q = {0};
    pan_queue_push(&q, job(PAN_PROTO_OP_STEP, &s[0], 1));
    pan_queue_push(&q, job(PAN_PROTO_OP_STEP, &s[0], 2)); /* same session: not grouped */
    pan_queue_push(&q, job(PAN_PROTO_OP_RESET, &s[1], 3));
    pan_queue_push(&q, job(PAN_PROTO_OP_STEP, &s[2], 4));
    pan_queue_push(&q, job(PAN_PROTO_OP_STEP, &s[1], 5)); /* after s1's RESET: waits */
    pan_queue_push(&q, job(PAN_PROTO_OP_STEP, &s[3], 6));
    pan_job *out[8];
    int n = pan_queue_pop_group(&q, 8, out);
    /* 1 (s0), then STEPs of other free sessions: 4 (s2), 6 (s3); 5 must
     * not pass s1's earlier RESET... */
    CHECK(n == 3);
    CHECK(n == 3 && out[0]->id == 1 && out[1]->id == 4 && out[2]->id == 6);
    for (int i = 0; i < n; i++) free(out[i]);
    /* ...which is next, alone (it is not a STEP). */
    CHECK(pan_queue_pop_group(&q, 8, out) == 1 && out[0]->id == 3);
    free(out[0]);
    CHECK(q.count == 2);
    pan_job *j;
    while ((j = pan_queue_pop_any(&q))) free(j);
}

static void test_session_table(void) {
    pan_session_table t;
    CHECK_STATUS(pan_session_table_init(&t, 8), PAN_OK);
    /* Ids that collide on purpose: same home slot via a multiple of the
     * table's mask would be fragile, so insert many and delete some. */
    pan_session *s[8];
    for (int i = 0; i < 8; i++) {
        s[i] = calloc(1, sizeof *s[i]);
        CHECK_STATUS(pan_session_new_id(&t, &s[i]->id), PAN_OK);
        CHECK(s[i]->id != 0);
        CHECK_STATUS(pan_session_insert(&t, s[i]), PAN_OK);
        CHECK(s[i]->refs == 1);
    }
    pan_session extra = {.id = 12345};
    CHECK_STATUS(pan_session_insert(&t, &extra), PAN_ERR_RESOURCE_EXHAUSTED);
    for (int i = 0; i < 8; i++) CHECK(pan_session_find(&t, s[i]->id) == s[i]);
    CHECK(pan_session_find(&t, 0) == NULL);
    pan_session_remove(&t, s[3]);
    pan_session_remove(&t, s[5]);
    CHECK(s[3]->closed && t.count == 6);
    CHECK(pan_session_find(&t, s[3]->id) == NULL);
    for (int i = 0; i < 8; i++)
        if (i != 3 && i != 5) CHECK(pan_session_find(&t, s[i]->id) == s[i]);
    CHECK(pan_session_unref(s[3]) && pan_session_unref(s[5]));

    /* Reaping: only idle, not busy, nothing queued. */
    for (int i = 0; i < 8; i++)
        if (i != 3 && i != 5) s[i]->last_seen = 100.0;
    s[0]->busy = true;
    s[1]->queued = 1;
    s[2]->last_seen = 109.5; /* recent */
    pan_session *dead[8];
    int n = pan_session_reap(&t, 110.0, 1.0, dead, 8);
    CHECK(n == 3); /* 4, 6, 7 */
    for (int i = 0; i < n; i++) {
        CHECK(dead[i] == s[4] || dead[i] == s[6] || dead[i] == s[7]);
        CHECK(dead[i]->closed);
        pan_session_unref(dead[i]);
    }
    CHECK(t.count == 3);
    CHECK(pan_session_find(&t, s[0]->id) == s[0]);
    CHECK(pan_session_find(&t, s[1]->id) == s[1]);
    CHECK(pan_session_find(&t, s[2]->id) == s[2]);
    pan_session_table_free(&t); /* frees s[0..2] */
}

int main(void) {
    test_queue_order();
    test_queue_group();
    test_session_table();
    return test_exit_code("test_server_queue");
}
