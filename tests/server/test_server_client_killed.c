/* tests/server/test_server_client_killed.c: clients that die or stall in
 * the middle of a request do not disturb a real pan-server process:
 * - a child process sends a heavy request (ROLLOUT 32 x 64 with frames,
 *   ~100 MB of reply) and is SIGKILLed before it reads the reply;
 * - a child speaks raw ZMTP 3.0 over TCP, sends the first frames of a
 *   multipart message (and, in a second run, a frame cut short) and is
 *   SIGKILLed;
 * - a client that never reads its replies (a slow peer) keeps sending.
 * Throughout, another client keeps being served, and its observations are
 * byte-identical to a reference run made before; the server exits 0 on
 * SIGTERM at the end.
 * usage: test_server_client_killed PATH/TO/pan-server
 *        (internally: test_server_client_killed --child MODE ENDPOINT) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/server/server_harness.h"
#include "tests/test_util.h"

#define ROWS 32
#define STEPS 64

/* ---- children ------------------------------------------------------------- */

static void announce(void) {
    /* Tell the parent the request is on its way, then wait to be killed. */
    if (write(STDOUT_FILENO, "sent\n", 5) != 5) _exit(3);
    for (;;) pause();
}

static int child_heavy(const char *endpoint) {
    test_client c;
    if (test_client_open(&c, endpoint, ZMQ_DEALER) != 0) return 1;
    uint64_t s = 0;
    if (test_make(&c, "tabletop", 8, NULL, &s) != 0) return 1;
    test_req q;
    test_req_begin(&q, "RESET", c.next_id++, s, 1);
    test_pack_str(&q.pk, "seed");
    msgpack_pack_int(&q.pk, 3);
    test_reply r;
    if (test_call(&c, &q, NULL, 0, &r) != 0 || !test_reply_ok(&r)) return 1;
    test_reply_free(&r);
    if (test_op(&c, "FORK", s, &r) != 0) return 1;
    const msgpack_object *ids = test_get(r.root, "state_ids");
    test_req_begin(&q, "ROLLOUT", c.next_id++, s, 3);
    test_pack_str(&q.pk, "state_ids");
    msgpack_pack_array(&q.pk, ROWS);
    for (int b = 0; b < ROWS; b++)
        msgpack_pack_uint64(&q.pk, ids->via.array.ptr[b % 8].via.u64);
    test_pack_str(&q.pk, "actions");
    msgpack_pack_array(&q.pk, ROWS);
    for (int b = 0; b < ROWS; b++) {
        msgpack_pack_array(&q.pk, STEPS);
        for (int t = 0; t < STEPS; t++)
            test_pack_str(&q.pk, t % 2 ? "move the red circle left"
                                       : "move the red circle right");
    }
    test_pack_str(&q.pk, "frames");
    msgpack_pack_true(&q.pk);
    test_reply_free(&r);
    if (test_send_raw(&c, q.buf.data, q.buf.size, NULL, 0) != 0) return 1;
    /* A sessionless PING is answered by the I/O thread at once; its reply
     * proves the server has read (and queued) the ROLLOUT sent before. */
    if (test_op(&c, "PING", 0, &r) != 0) return 1;
    test_reply_free(&r);
    announce();
    return 0;
}

/* Reads exactly n bytes. */
static bool read_all(int fd, uint8_t *buf, size_t n) {
    for (size_t got = 0; got < n;) {
        ssize_t k = read(fd, buf + got, n - got);
        if (k <= 0) return false;
        got += (size_t)k;
    }
    return true;
}

/* ZMTP 3.0 by hand: greeting, READY as a DEALER, then `frames` message
 * frames of which the last has MORE set, or (cut) a frame that declares
 * more bytes than are sent. */
static int child_raw(const char *endpoint, bool cut) {
    const char *colon = strrchr(endpoint, ':');
    if (!colon) return 1;
    int port = atoi(colon + 1);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0)
        return 1;
    uint8_t greeting[64] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0};
    memcpy(greeting + 12, "NULL", 4); /* mechanism, 20 bytes; as-server 0 */
    uint8_t ready[2 + 28] = {0x04, 28, 5, 'R', 'E', 'A', 'D', 'Y', 11};
    memcpy(ready + 9, "Socket-Type", 11);
    const uint8_t type_len[4] = {0, 0, 0, 6};
    memcpy(ready + 20, type_len, 4);
    memcpy(ready + 24, "DEALER", 6);
    /* The header of a valid HELLO: {"v": [1, 0], "id": 1, "op": "HELLO"}. */
    const uint8_t hello[] = {0x83, 0xa1, 'v', 0x92, 1, 0, 0xa2, 'i', 'd', 1,
                             0xa2, 'o', 'p', 0xa5, 'H', 'E', 'L', 'L', 'O'};
    uint8_t msg[2 + sizeof hello + 2 + 4];
    size_t n = 0;
    if (!cut) { /* header frame with MORE, a blob frame with MORE, no end */
        msg[n++] = 0x01;
        msg[n++] = sizeof hello;
        memcpy(msg + n, hello, sizeof hello);
        n += sizeof hello;
        msg[n++] = 0x01;
        msg[n++] = 4;
        memcpy(msg + n, "blob", 4);
        n += 4;
    } else { /* a last frame declaring 200 bytes, 19 sent */
        msg[n++] = 0x00;
        msg[n++] = 200;
        memcpy(msg + n, hello, sizeof hello);
        n += sizeof hello;
    }
    /* Handshake, reading the server's greeting and READY, so that nothing
     * unread is left when we die (that would reset the connection before
     * our bytes arrive). */
    uint8_t in[64 + 2 + 255];
    if (write(fd, greeting, sizeof greeting) != sizeof greeting ||
        write(fd, ready, sizeof ready) != sizeof ready ||
        !read_all(fd, in, 64 + 2) || !read_all(fd, in + 66, in[65]))
        return 1;
    if (write(fd, msg, n) != (ssize_t)n) return 1;
    /* Half a message is on the wire; the server must not answer it. */
    struct timeval tv = {0, 200000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (read(fd, in, 1) > 0) return 1;
    announce();
    return 0;
}

/* Starts `self --child mode endpoint`, waits for "sent", SIGKILLs it. */
static int run_child(const char *self, const char *mode, const char *endpoint) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], STDOUT_FILENO);
        execl(self, self, "--child", mode, endpoint, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char buf[8] = {0};
    ssize_t got = read(fds[0], buf, 5); /* blocks until the child sent */
    close(fds[0]);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    bool killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    if (got != 5 || memcmp(buf, "sent\n", 5) != 0 || !killed) {
        fprintf(stderr, "child %s did not send its request (status 0x%x)\n",
                mode, status);
        return -1;
    }
    return 0;
}

/* ---- the served client ------------------------------------------------------ */

/* STEP `session` with the k-th actions; hash of its observation blobs. */
static uint64_t step_hash(test_client *c, uint64_t session, int k) {
    static const char *const acts[] = {"move the blue square down",
                                       "push the red circle up by 2", "wait",
                                       "dim the lights"};
    test_req q;
    test_req_begin(&q, "STEP", c->next_id++, session, 1);
    test_pack_str(&q.pk, "actions");
    msgpack_pack_array(&q.pk, 2);
    test_pack_str(&q.pk, acts[k % 4]);
    test_pack_str(&q.pk, acts[(k + 1) % 4]);
    test_reply r;
    uint64_t h = 0;
    /* Generous timeout: the worker may first finish a dead client's work. */
    if (test_send_raw(c, q.buf.data, q.buf.size, NULL, 0) == 0 &&
        test_recv(c, &r, 30000) == 0 && test_reply_ok(&r)) {
        for (int i = 0; i < r.n_blobs; i++)
            h = test_hash(r.blob[i], r.blob_size[i], h);
        h = test_hash("|", 1, h);
    }
    test_req_free(&q);
    test_reply_free(&r);
    return h;
}

static uint64_t make_reset(test_client *c) {
    uint64_t s = 0;
    if (test_make(c, "tabletop", 2, NULL, &s) != 0) return 0;
    test_req q;
    test_req_begin(&q, "RESET", c->next_id++, s, 1);
    test_pack_str(&q.pk, "seed");
    msgpack_pack_int(&q.pk, 21);
    test_reply r;
    bool ok = test_call(c, &q, NULL, 0, &r) == 0 && test_reply_ok(&r);
    test_reply_free(&r);
    return ok ? s : 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "--child") == 0) {
        if (strcmp(argv[2], "heavy") == 0) return child_heavy(argv[3]);
        if (strcmp(argv[2], "raw-more") == 0) return child_raw(argv[3], false);
        if (strcmp(argv[2], "raw-cut") == 0) return child_raw(argv[3], true);
        return 2;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: %s PATH/TO/pan-server\n", argv[0]);
        return 2;
    }
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) return 1;
    self[len] = '\0';
    test_server srv;
    if (test_server_start(&srv, argv[1], NULL) != 0) return 1;
    test_client c;
    CHECK(test_client_open(&c, srv.endpoint, ZMQ_DEALER) == 0);

    /* Reference: 12 steps of a session, before anything goes wrong. */
    enum { K = 12 };
    uint64_t ref[K], got[K];
    uint64_t s = make_reset(&c);
    CHECK(s != 0);
    for (int k = 0; k < K; k++) ref[k] = step_hash(&c, s, k);
    for (int k = 0; k < K; k++) CHECK(ref[k] != 0);
    uint64_t live = make_reset(&c);
    CHECK(live != 0);

    /* Each misbehaving client, then 4 steps of the live session. */
    const char *modes[] = {"heavy", "raw-more", "raw-cut"};
    int k = 0;
    for (int m = 0; m < 3; m++) {
        CHECK(run_child(self, modes[m], srv.endpoint) == 0);
        CHECK(test_server_alive(&srv));
        for (int i = 0; i < 4; i++, k++) got[k] = step_hash(&c, live, k);
    }
    for (int i = 0; i < K; i++) CHECK(got[i] == ref[i]);

    /* A slow peer: 3,000 RENDERs whose replies it never reads. */
    test_client slow;
    CHECK(test_client_open(&slow, srv.endpoint, ZMQ_DEALER) == 0);
    int one = 1;
    zmq_setsockopt(slow.sock, ZMQ_RCVHWM, &one, sizeof one);
    uint64_t ss = make_reset(&slow);
    CHECK(ss != 0);
    for (int i = 0; i < 3000; i++) {
        test_req q;
        test_req_begin(&q, "RENDER", slow.next_id++, ss, 0);
        zmq_send(slow.sock, q.buf.data, q.buf.size, ZMQ_DONTWAIT);
        test_req_free(&q);
    }
    /* The served client is answered while the slow one's replies pile up. */
    uint64_t again = make_reset(&c);
    CHECK(again != 0);
    CHECK(step_hash(&c, again, 0) == ref[0]);
    test_reply r;
    CHECK(test_op(&c, "STATS", 0, &r) == 0);
    printf("replies dropped (dead or slow peers): %llu\n",
           (unsigned long long)test_get_u64(r.root, "dropped_replies"));
    test_reply_free(&r);
    CHECK(test_server_alive(&srv));
    test_client_close(&slow);
    test_client_close(&c);
    CHECK(test_server_stop(&srv, SIGTERM) == 0);
    return test_exit_code("test_server_client_killed");
}
