/* tests/server/test_server_lifecycle.c: a real pan-server process over its
 * life: SIGTERM and SIGINT with sessions open exit 0 (under ASan a leak
 * would make the exit non-zero), a signal during a running request, TTL
 * expiry with PING keeping a session alive, max_sessions, CLOSE then
 * NOT_FOUND, a REQ client, a frame over max_message_bytes, and the command line (bad flags exit 2, --help
 * 0, an endpoint in use 1).
 * usage: test_server_lifecycle PATH/TO/pan-server */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/server/server_harness.h"
#include "tests/test_util.h"

static const char *exe;

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* RESET seed 1 on a session; 0 when ok. */
static int reset(test_client *c, uint64_t session) {
    test_req q;
    test_req_begin(&q, "RESET", c->next_id++, session, 1);
    test_pack_str(&q.pk, "seed");
    msgpack_pack_int(&q.pk, 1);
    test_reply r;
    int rc = test_call(c, &q, NULL, 0, &r) == 0 && test_reply_ok(&r) ? 0 : -1;
    test_reply_free(&r);
    return rc;
}

/* The error code of `op` on `session` ("" when ok, "?" on no reply). */
static const char *code_of(test_client *c, const char *op, uint64_t session) {
    static char code[64];
    test_reply r;
    test_req q;
    test_req_begin(&q, op, c->next_id++, session, 0);
    if (test_call(c, &q, NULL, 0, &r) != 0) snprintf(code, sizeof code, "?");
    else snprintf(code, sizeof code, "%s", test_reply_code(&r));
    test_reply_free(&r);
    return code;
}

/* Stops with `sig` while sessions (with snapshots) are open. */
static void test_signal_with_sessions(int sig) {
    test_server srv;
    CHECK(test_server_start(&srv, exe, NULL) == 0);
    test_client c;
    CHECK(test_client_open(&c, srv.endpoint, ZMQ_DEALER) == 0);
    uint64_t s1 = 0, s2 = 0;
    CHECK(test_make(&c, "tabletop", 4, NULL, &s1) == 0);
    CHECK(test_make(&c, "rooms", 2, "same_step", &s2) == 0);
    CHECK(reset(&c, s1) == 0 && reset(&c, s2) == 0);
    test_reply r;
    CHECK(test_op(&c, "FORK", s1, &r) == 0); /* 4 snapshots stay open */
    test_reply_free(&r);
    test_client_close(&c);
    CHECK(test_server_stop(&srv, sig) == 0);
}

/* A signal while a long request runs: the request finishes (its reply is
 * sent or dropped), queued ones are answered UNAVAILABLE, exit 0. */
static void test_signal_during_request(void) {
    test_server srv;
    CHECK(test_server_start(&srv, exe, NULL) == 0);
    test_client c;
    CHECK(test_client_open(&c, srv.endpoint, ZMQ_DEALER) == 0);
    uint64_t s = 0;
    CHECK(test_make(&c, "tabletop", 8, NULL, &s) == 0);
    CHECK(reset(&c, s) == 0);
    test_reply r;
    CHECK(test_op(&c, "FORK", s, &r) == 0);
    const msgpack_object *ids = test_get(r.root, "state_ids");
    /* ROLLOUT 32 rows x 32 steps with frames, then two cheap requests. */
    test_req q;
    test_req_begin(&q, "ROLLOUT", 1000, s, 3);
    test_pack_str(&q.pk, "state_ids");
    msgpack_pack_array(&q.pk, 32);
    for (int b = 0; b < 32; b++)
        msgpack_pack_uint64(&q.pk, ids ? ids->via.array.ptr[b % 8].via.u64 : 0);
    test_pack_str(&q.pk, "actions");
    msgpack_pack_array(&q.pk, 32);
    for (int b = 0; b < 32; b++) {
        msgpack_pack_array(&q.pk, 32);
        for (int t = 0; t < 32; t++)
            test_pack_str(&q.pk, t % 2 ? "move the red circle left" : "wait");
    }
    test_pack_str(&q.pk, "frames");
    msgpack_pack_true(&q.pk);
    test_reply_free(&r);
    CHECK(test_send_raw(&c, q.buf.data, q.buf.size, NULL, 0) == 0);
    test_req_free(&q);
    for (int i = 0; i < 2; i++) {
        test_req_begin(&q, "PING", 1001 + (uint64_t)i, s, 0);
        CHECK(test_send_raw(&c, q.buf.data, q.buf.size, NULL, 0) == 0);
        test_req_free(&q);
    }
    sleep_ms(20);
    kill(srv.pid, SIGTERM);
    /* Every reply that arrives is ok or UNAVAILABLE. */
    int replies = 0;
    while (replies < 3) {
        if (test_recv(&c, &r, 3000) != 0) {
            test_reply_free(&r);
            break;
        }
        const char *code = test_reply_code(&r);
        CHECK(test_reply_ok(&r) || strcmp(code, "UNAVAILABLE") == 0);
        printf("  reply to %llu: %s\n",
               (unsigned long long)test_get_u64(r.root, "id"),
               test_reply_ok(&r) ? "ok" : code);
        test_reply_free(&r);
        replies++;
    }
    printf("signal during a request: %d of 3 replies arrived\n", replies);
    test_client_close(&c);
    CHECK(test_server_stop(&srv, SIGTERM) == 0);
}

/* A frame over max_message_bytes: ZeroMQ drops that connection, nothing
 * is answered, the server and the same (reconnecting) client go on. */
static void test_message_limit(void) {
    const char *args[] = {"--max-message-bytes", "4096", NULL};
    test_server srv;
    CHECK(test_server_start(&srv, exe, args) == 0);
    test_client c;
    CHECK(test_client_open(&c, srv.endpoint, ZMQ_DEALER) == 0);
    test_reply r;
    CHECK(test_op(&c, "HELLO", 0, &r) == 0);
    const msgpack_object *lim = test_get(r.root, "limits");
    CHECK(test_get_u64(lim, "max_message_bytes") == 4096);
    CHECK(test_get_u64(lim, "max_header_bytes") == 4096);
    test_reply_free(&r);
    static uint8_t big[5000];
    test_blob blob = {big, sizeof big};
    test_req q;
    test_req_begin(&q, "PING", 500, 0, 0);
    CHECK(test_send_raw(&c, q.buf.data, q.buf.size, &blob, 1) == 0);
    test_req_free(&q);
    CHECK(test_recv(&c, &r, 500) != 0); /* no reply to a dropped message */
    test_reply_free(&r);
    CHECK(test_server_alive(&srv));
    CHECK(test_op(&c, "HELLO", 0, &r) == 0);
    test_reply_free(&r);
    test_client_close(&c);
    CHECK(test_server_stop(&srv, SIGTERM) == 0);
}

static void test_ttl(void) {
    const char *args[] = {"--session-ttl", "1", NULL};
    test_server srv;
    CHECK(test_server_start(&srv, exe, args) == 0);
    test_client c;
    CHECK(test_client_open(&c, srv.endpoint, ZMQ_DEALER) == 0);
    uint64_t idle = 0, pinged = 0;
    CHECK(test_make(&c, "tabletop", 1, NULL, &idle) == 0);
    CHECK(test_make(&c, "tabletop", 1, NULL, &pinged) == 0);
    CHECK(strcmp(code_of(&c, "PING", idle), "") == 0);
    /* 2.4 s: `pinged` gets a PING every 200 ms, `idle` nothing. */
    for (int i = 0; i < 12; i++) {
        sleep_ms(200);
        CHECK(strcmp(code_of(&c, "PING", pinged), "") == 0);
    }
    CHECK(strcmp(code_of(&c, "PING", idle), "NOT_FOUND") == 0);
    CHECK(strcmp(code_of(&c, "STEP", idle), "NOT_FOUND") == 0);
    CHECK(reset(&c, pinged) == 0);
    test_reply r;
    CHECK(test_op(&c, "STATS", 0, &r) == 0);
    CHECK(test_get_u64(r.root, "sessions") == 1);
    test_reply_free(&r);
    test_client_close(&c);
    CHECK(test_server_stop(&srv, SIGTERM) == 0);
}

static void test_sessions_and_close(void) {
    const char *args[] = {"--max-sessions", "2", NULL};
    test_server srv;
    CHECK(test_server_start(&srv, exe, args) == 0);
    test_client c;
    CHECK(test_client_open(&c, srv.endpoint, ZMQ_DEALER) == 0);
    uint64_t a = 0, b = 0, d = 0;
    CHECK(test_make(&c, "tabletop", 1, NULL, &a) == 0);
    CHECK(test_make(&c, "rooms", 1, NULL, &b) == 0);
    CHECK(a != b && a != 0 && b != 0);
    test_req q;
    test_req_begin(&q, "MAKE", c.next_id++, 0, 1);
    test_pack_str(&q.pk, "world");
    test_pack_str(&q.pk, "tabletop");
    test_reply r;
    CHECK(test_call(&c, &q, NULL, 0, &r) == 0);
    CHECK(strcmp(test_reply_code(&r), "RESOURCE_EXHAUSTED") == 0);
    CHECK(strstr(test_reply_message(&r), "max_sessions is 2") != NULL);
    test_reply_free(&r);
    /* CLOSE: ok, then everything on it is NOT_FOUND, CLOSE included. */
    CHECK(strcmp(code_of(&c, "CLOSE", a), "") == 0);
    CHECK(strcmp(code_of(&c, "STEP", a), "NOT_FOUND") == 0);
    CHECK(strcmp(code_of(&c, "RENDER", a), "NOT_FOUND") == 0);
    CHECK(strcmp(code_of(&c, "CLOSE", a), "NOT_FOUND") == 0);
    CHECK(strcmp(code_of(&c, "PING", a), "NOT_FOUND") == 0);
    /* A place is free again. */
    CHECK(test_make(&c, "tabletop", 1, NULL, &d) == 0);
    CHECK(d != a);
    CHECK(reset(&c, b) == 0);
    test_client_close(&c);

    /* A REQ client: the empty delimiter is kept and returned. */
    test_client req;
    CHECK(test_client_open(&req, srv.endpoint, ZMQ_REQ) == 0);
    test_req_begin(&q, "HELLO", 77, 0, 0);
    CHECK(test_call(&req, &q, NULL, 0, &r) == 0);
    CHECK(test_reply_ok(&r) && test_get_u64(r.root, "id") == 77);
    test_reply_free(&r);
    test_req_begin(&q, "STEP", 78, 12345, 0);
    CHECK(test_call(&req, &q, NULL, 0, &r) == 0);
    CHECK(strcmp(test_reply_code(&r), "NOT_FOUND") == 0);
    test_reply_free(&r);
    test_client_close(&req);
    CHECK(test_server_stop(&srv, SIGINT) == 0);
}

/* Runs pan-server with args and returns its exit status (-1: signal). */
static int run_tool(const char *const *args, int quiet_stderr) {
    const char *argv[16];
    int n = 0;
    argv[n++] = exe;
    for (int i = 0; args[i] && n < 15; i++) argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        if (quiet_stderr) {
            FILE *f = freopen("/dev/null", "w", stderr);
            (void)f;
            f = freopen("/dev/null", "w", stdout);
            (void)f;
        }
        execv(exe, (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_command_line(void) {
    const char *bogus[] = {"--bogus", NULL};
    const char *zero[] = {"--workers", "0", NULL};
    const char *ttl[] = {"--session-ttl", "-1", NULL};
    const char *noval[] = {"--bind", NULL};
    const char *blobs[] = {"--max-blobs=65", NULL};
    const char *help[] = {"--help", NULL};
    const char *version[] = {"--version", NULL};
    const char *badbind[] = {"--bind", "nonsense://x", NULL};
    CHECK(run_tool(bogus, 1) == 2);
    CHECK(run_tool(zero, 1) == 2);
    CHECK(run_tool(ttl, 1) == 2);
    CHECK(run_tool(noval, 1) == 2);
    CHECK(run_tool(blobs, 1) == 2);
    CHECK(run_tool(help, 1) == 0);
    CHECK(run_tool(version, 1) == 0);
    CHECK(run_tool(badbind, 1) == 1);
    /* An endpoint in use: exit 1 (the running server is unaffected). */
    test_server srv;
    CHECK(test_server_start(&srv, exe, NULL) == 0);
    const char *taken[] = {"--bind", srv.endpoint, NULL};
    CHECK(run_tool(taken, 1) == 1);
    CHECK(test_server_alive(&srv));
    CHECK(test_server_stop(&srv, SIGTERM) == 0);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s PATH/TO/pan-server\n", argv[0]);
        return 2;
    }
    exe = argv[1];
    test_command_line();
    test_signal_with_sessions(SIGTERM);
    test_signal_with_sessions(SIGINT);
    test_sessions_and_close();
    test_signal_during_request();
    test_message_limit();
    test_ttl();
    return test_exit_code("test_server_lifecycle");
}
