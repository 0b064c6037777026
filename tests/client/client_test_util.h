/* tests/client/client_test_util.h: what the client e2e suites share:
 * starting a real pan-server process on a free loopback port and stopping
 * it with SIGTERM (its exit status must be 0), and running a tool with
 * its stdout/stderr captured.
 *
 * Contract
 * - server_start runs `pan-server --bind tcp://127.0.0.1:* --ready-file F
 *   --quiet [extra...]` in a fresh temporary directory and waits (up to
 *   15 s) for the ready file, then reads the bound endpoint from it.
 * - server_stop sends SIGTERM, waits for the process and returns 1 when
 *   it exited normally with status 0, else 0. It removes the directory.
 * - run_capture runs argv (argv[0] a path) with stdin from `input` (or
 *   /dev/null), captures stdout and stderr into malloc'd strings and
 *   returns the exit status (or -1 if it did not exit normally).
 * Everything is static inline; include after tests/test_util.h.
 */
#ifndef PAN_TESTS_CLIENT_TEST_UTIL_H
#define PAN_TESTS_CLIENT_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct test_server {
    pid_t pid;
    char dir[256];
    char endpoint[256];
} test_server;

static inline void test_sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static inline char *test_read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *b = realloc(buf, cap * 2);
            if (!b) { free(buf); buf = NULL; break; }
            buf = b;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) buf[n] = '\0';
    return buf;
}

static inline void test_remove_dir(const char *dir) {
    char cmd[600];
    if (!dir[0] || strncmp(dir, "/tmp/pan-client-test.", 21) != 0) return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

/* 1 on success. extra: NULL-terminated, may be NULL. */
static inline int server_start(const char *binary, const char *const *extra,
                               test_server *s) {
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "/tmp/pan-client-test.XXXXXX");
    if (!mkdtemp(s->dir)) {
        fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
        return 0;
    }
    char ready[320];
    snprintf(ready, sizeof ready, "%s/ready", s->dir);
    const char *argv[32] = {binary, "--bind", "tcp://127.0.0.1:*", "--ready-file", ready,
                            "--quiet"};
    int argc = 6;
    for (int i = 0; extra && extra[i] && argc < 31; i++) argv[argc++] = extra[i];
    argv[argc] = NULL;
    fflush(NULL);
    s->pid = fork();
    if (s->pid < 0) return 0;
    if (s->pid == 0) {
        execv(binary, (char *const *)argv);
        fprintf(stderr, "execv %s: %s\n", binary, strerror(errno));
        _exit(127);
    }
    for (int i = 0; i < 1500; i++) {
        char *text = test_read_file(ready);
        if (text) {
            char *nl = strchr(text, '\n');
            if (nl) *nl = '\0';
            snprintf(s->endpoint, sizeof s->endpoint, "%s", text);
            free(text);
            if (s->endpoint[0]) return 1;
        }
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            fprintf(stderr, "pan-server exited before it was ready (status %d)\n", status);
            s->pid = 0;
            return 0;
        }
        test_sleep_ms(10);
    }
    fprintf(stderr, "pan-server did not write %s within 15 s\n", ready);
    return 0;
}

static inline int server_stop(test_server *s) {
    int ok = 0;
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        int status = 0;
        for (int i = 0; i < 1000; i++) { /* 10 s */
            pid_t r = waitpid(s->pid, &status, WNOHANG);
            if (r == s->pid) {
                ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
                if (!ok) fprintf(stderr, "pan-server ended with status 0x%x\n", status);
                break;
            }
            if (i == 999) {
                fprintf(stderr, "pan-server ignored SIGTERM for 10 s; killing it\n");
                kill(s->pid, SIGKILL);
                waitpid(s->pid, &status, 0);
            }
            test_sleep_ms(10);
        }
        s->pid = 0;
    }
    test_remove_dir(s->dir);
    return ok;
}

/* Runs argv; returns the exit status. *out / *err: captured text (free). */
static inline int run_capture(const char *dir, const char *const *argv, const char *input,
                              char **out, char **err) {
    char in_path[320], out_path[320], err_path[320];
    snprintf(in_path, sizeof in_path, "%s/stdin", dir);
    snprintf(out_path, sizeof out_path, "%s/stdout", dir);
    snprintf(err_path, sizeof err_path, "%s/stderr", dir);
    FILE *f = fopen(in_path, "wb");
    if (!f) return -1;
    if (input) fputs(input, f);
    fclose(f);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int fi = open(in_path, O_RDONLY);
        int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fi < 0 || fo < 0 || fe < 0) _exit(126);
        dup2(fi, 0);
        dup2(fo, 1);
        dup2(fe, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (out) *out = test_read_file(out_path);
    if (err) *err = test_read_file(err_path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#endif
