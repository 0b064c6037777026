/* tests/server/server_harness.c: see server_harness.h. */
#define _GNU_SOURCE
#include "tests/server/server_harness.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int test_server_start(test_server *s, const char *exe, const char *const *extra) {
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "/tmp/pan-test-server-XXXXXX");
    if (!mkdtemp(s->dir)) {
        perror("mkdtemp");
        return -1;
    }
    snprintf(s->ready, sizeof s->ready, "%s/ready", s->dir);
    const char *argv[64];
    int n = 0;
    argv[n++] = exe;
    argv[n++] = "--bind";
    argv[n++] = "tcp://127.0.0.1:*";
    argv[n++] = "--ready-file";
    argv[n++] = s->ready;
    argv[n++] = "--quiet";
    for (int i = 0; extra && extra[i] && n < 63; i++) argv[n++] = extra[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return -1;
    }
    if (pid == 0) {
        execv(exe, (char *const *)argv);
        perror("execv pan-server");
        _exit(127);
    }
    s->pid = pid;
    for (int waited = 0; waited < 20000; waited += 10) {
        FILE *f = fopen(s->ready, "r");
        if (f) {
            bool ok = fgets(s->endpoint, sizeof s->endpoint, f) != NULL;
            fclose(f);
            size_t len = strlen(s->endpoint);
            if (ok && len > 1 && s->endpoint[len - 1] == '\n') {
                s->endpoint[len - 1] = '\0';
                return 0;
            }
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            fprintf(stderr, "pan-server exited before it was ready (status "
                    "0x%x)\n", status);
            s->pid = 0;
            return -1;
        }
        sleep_ms(10);
    }
    fprintf(stderr, "pan-server wrote no ready file in 20 s\n");
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    s->pid = 0;
    return -1;
}

bool test_server_alive(test_server *s) {
    if (s->pid <= 0) return false;
    int status;
    pid_t r = waitpid(s->pid, &status, WNOHANG);
    if (r == s->pid) {
        fprintf(stderr, "pan-server exited unexpectedly (status 0x%x)\n",
                status);
        s->pid = 0;
        return false;
    }
    return true;
}

int test_server_stop(test_server *s, int sig) {
    int result = -1;
    if (s->pid > 0) {
        kill(s->pid, sig);
        int status = 0;
        bool done = false;
        for (int waited = 0; waited < 20000 && !done; waited += 10) {
            if (waitpid(s->pid, &status, WNOHANG) == s->pid) done = true;
            else sleep_ms(10);
        }
        if (!done) {
            fprintf(stderr, "pan-server did not exit within 20 s of signal "
                    "%d\n", sig);
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &status, 0);
        } else if (WIFEXITED(status)) {
            result = WEXITSTATUS(status);
        } else {
            fprintf(stderr, "pan-server died of signal %d\n",
                    WIFSIGNALED(status) ? WTERMSIG(status) : -1);
        }
        s->pid = 0;
    }
    unlink(s->ready);
    rmdir(s->dir);
    return result;
}

int test_client_open(test_client *c, const char *endpoint, int type) {
    memset(c, 0, sizeof *c);
    c->type = type;
    c->next_id = 1;
    c->ctx = zmq_ctx_new();
    c->sock = c->ctx ? zmq_socket(c->ctx, type) : NULL;
    int linger = 0;
    if (!c->sock || zmq_setsockopt(c->sock, ZMQ_LINGER, &linger, sizeof linger) ||
        zmq_connect(c->sock, endpoint) != 0) {
        fprintf(stderr, "client: cannot connect to %s: %s\n", endpoint,
                zmq_strerror(zmq_errno()));
        test_client_close(c);
        return -1;
    }
    return 0;
}

void test_client_close(test_client *c) {
    if (c->sock) zmq_close(c->sock);
    if (c->ctx) zmq_ctx_term(c->ctx);
    c->sock = c->ctx = NULL;
}

int test_send_raw(test_client *c, const void *header, size_t size,
                  const test_blob *blobs, int n_blobs) {
    int flags = n_blobs > 0 ? ZMQ_SNDMORE : 0;
    if (zmq_send(c->sock, header, size, flags) < 0) return -1;
    for (int i = 0; i < n_blobs; i++)
        if (zmq_send(c->sock, blobs[i].data, blobs[i].size,
                     i + 1 < n_blobs ? ZMQ_SNDMORE : 0) < 0)
            return -1;
    return 0;
}

int test_recv(test_client *c, test_reply *r, int timeout_ms) {
    memset(r, 0, sizeof *r);
    msgpack_unpacked_init(&r->unpacked);
    zmq_pollitem_t item = {.socket = c->sock, .events = ZMQ_POLLIN};
    if (zmq_poll(&item, 1, timeout_ms > 0 ? timeout_ms : 5000) <= 0) {
        fprintf(stderr, "client: no reply within %d ms\n",
                timeout_ms > 0 ? timeout_ms : 5000);
        return -1;
    }
    bool more = true;
    int dropped = 0;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, c->sock, 0) < 0) {
            zmq_msg_close(&m);
            return -1;
        }
        more = zmq_msg_more(&m);
        if (r->n_parts < TEST_MAX_PARTS) {
            zmq_msg_init(&r->parts[r->n_parts]);
            zmq_msg_move(&r->parts[r->n_parts++], &m);
            zmq_msg_close(&m);
        } else {
            zmq_msg_close(&m);
            dropped++;
        }
    }
    if (dropped || r->n_parts < 1) {
        fprintf(stderr, "client: reply of %d parts\n", r->n_parts + dropped);
        return -1;
    }
    size_t off = 0;
    if (msgpack_unpack_next(&r->unpacked, zmq_msg_data(&r->parts[0]),
                            zmq_msg_size(&r->parts[0]), &off) !=
            MSGPACK_UNPACK_SUCCESS ||
        r->unpacked.data.type != MSGPACK_OBJECT_MAP) {
        fprintf(stderr, "client: reply header is not a msgpack map\n");
        return -1;
    }
    r->root = &r->unpacked.data;
    r->n_blobs = r->n_parts - 1;
    for (int i = 0; i < r->n_blobs; i++) {
        r->blob[i] = zmq_msg_data(&r->parts[i + 1]);
        r->blob_size[i] = zmq_msg_size(&r->parts[i + 1]);
    }
    return 0;
}

void test_reply_free(test_reply *r) {
    for (int i = 0; i < r->n_parts; i++) zmq_msg_close(&r->parts[i]);
    r->n_parts = 0;
    msgpack_unpacked_destroy(&r->unpacked);
    msgpack_unpacked_init(&r->unpacked);
    r->root = NULL;
}

int test_call_raw(test_client *c, const void *header, size_t size,
                  const test_blob *blobs, int n_blobs, test_reply *r) {
    if (test_send_raw(c, header, size, blobs, n_blobs) != 0) {
        memset(r, 0, sizeof *r);
        msgpack_unpacked_init(&r->unpacked);
        return -1;
    }
    return test_recv(c, r, 0);
}

void test_pack_str(msgpack_packer *pk, const char *s) {
    msgpack_pack_str_with_body(pk, s, strlen(s));
}

void test_req_begin(test_req *q, const char *op, uint64_t id, uint64_t session,
                    int n_fields) {
    msgpack_sbuffer_init(&q->buf);
    msgpack_packer_init(&q->pk, &q->buf, msgpack_sbuffer_write);
    msgpack_pack_map(&q->pk, (size_t)(3 + (session != 0) + n_fields));
    test_pack_str(&q->pk, "v");
    msgpack_pack_array(&q->pk, 2);
    msgpack_pack_int(&q->pk, 1);
    msgpack_pack_int(&q->pk, 0);
    test_pack_str(&q->pk, "id");
    msgpack_pack_uint64(&q->pk, id);
    test_pack_str(&q->pk, "op");
    test_pack_str(&q->pk, op);
    if (session) {
        test_pack_str(&q->pk, "session");
        msgpack_pack_uint64(&q->pk, session);
    }
}

void test_req_free(test_req *q) { msgpack_sbuffer_destroy(&q->buf); }

int test_call(test_client *c, test_req *q, const test_blob *blobs, int n_blobs,
              test_reply *r) {
    int rc = test_call_raw(c, q->buf.data, q->buf.size, blobs, n_blobs, r);
    test_req_free(q);
    return rc;
}

const msgpack_object *test_get(const msgpack_object *map, const char *key) {
    if (!map || map->type != MSGPACK_OBJECT_MAP) return NULL;
    size_t n = strlen(key);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
            memcmp(k->via.str.ptr, key, n) == 0)
            return &map->via.map.ptr[i].val;
    }
    return NULL;
}

bool test_reply_ok(const test_reply *r) {
    const msgpack_object *ok = test_get(r->root, "ok");
    return ok && ok->type == MSGPACK_OBJECT_BOOLEAN && ok->via.boolean;
}

static const char *error_text(const test_reply *r, const char *key,
                              char *buf, size_t size) {
    buf[0] = '\0';
    const msgpack_object *o = test_get(test_get(r->root, "error"), key);
    if (o && o->type == MSGPACK_OBJECT_STR) {
        size_t n = o->via.str.size < size - 1 ? o->via.str.size : size - 1;
        memcpy(buf, o->via.str.ptr, n);
        buf[n] = '\0';
    }
    return buf;
}

const char *test_reply_code(const test_reply *r) {
    static char buf[64];
    return error_text(r, "code", buf, sizeof buf);
}

const char *test_reply_message(const test_reply *r) {
    static char buf[600];
    return error_text(r, "message", buf, sizeof buf);
}

uint64_t test_get_u64(const msgpack_object *map, const char *key) {
    const msgpack_object *o = test_get(map, key);
    return o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? o->via.u64 : 0;
}

const uint8_t *test_tensor(const test_reply *r, const msgpack_object *map,
                           const char *key, size_t *size) {
    const msgpack_object *t = test_get(map, key);
    uint64_t frame = test_get_u64(t, "frame");
    if (frame < 1 || frame > (uint64_t)r->n_blobs) return NULL;
    *size = r->blob_size[frame - 1];
    return r->blob[frame - 1];
}

int test_make(test_client *c, const char *world, int num_envs,
              const char *autoreset, uint64_t *session) {
    test_req q;
    test_req_begin(&q, "MAKE", c->next_id++, 0, autoreset ? 3 : 2);
    test_pack_str(&q.pk, "world");
    test_pack_str(&q.pk, world);
    test_pack_str(&q.pk, "num_envs");
    msgpack_pack_int(&q.pk, num_envs);
    if (autoreset) {
        test_pack_str(&q.pk, "autoreset_mode");
        test_pack_str(&q.pk, autoreset);
    }
    test_reply r;
    int rc = test_call(c, &q, NULL, 0, &r);
    if (rc == 0 && test_reply_ok(&r)) *session = test_get_u64(r.root, "session");
    else {
        fprintf(stderr, "MAKE failed: %s %s\n", test_reply_code(&r),
                test_reply_message(&r));
        rc = -1;
    }
    test_reply_free(&r);
    return rc;
}

int test_op(test_client *c, const char *op, uint64_t session, test_reply *r) {
    test_req q;
    test_req_begin(&q, op, c->next_id++, session, 0);
    int rc = test_call(c, &q, NULL, 0, r);
    return rc == 0 && test_reply_ok(r) ? 0 : -1;
}

uint64_t test_hash(const void *data, size_t size, uint64_t h) {
    const uint8_t *p = data;
    if (h == 0) h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < size; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}
