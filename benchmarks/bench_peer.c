/* benchmarks/bench_peer.c: the PyTorch peers of pan-bench-backbone and
 * pan-bench-glp (contract in bench.h): parsing NAME=PYTHON[:compile],
 * the default set, running a twin script and reading its line protocol
 * (benchmarks/torch_peer.py). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchmarks/bench.h"

#define COMPILE_SUFFIX ":compile"

static void copy_text(char *dst, size_t size, const char *src, size_t len) {
    if (len >= size) len = size - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

int bench_peers_add(bench_peers *peers, const char *spec) {
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1]) {
        fprintf(stderr, "bench: --peer %s: expected NAME=PYTHON or NAME=PYTHON:compile\n",
                spec);
        return -1;
    }
    if (peers->n == BENCH_MAX_PEERS) {
        fprintf(stderr, "bench: --peer %s: at most %d peers\n", spec, BENCH_MAX_PEERS);
        return -1;
    }
    bench_peer *p = &peers->p[peers->n];
    *p = (bench_peer){.exit_status = -1};
    size_t name_len = (size_t)(eq - spec), path_len = strlen(eq + 1);
    size_t suffix = strlen(COMPILE_SUFFIX);
    if (path_len > suffix && !strcmp(eq + 1 + path_len - suffix, COMPILE_SUFFIX)) {
        p->compile = true;
        path_len -= suffix;
    }
    if (name_len >= sizeof p->name || path_len >= sizeof p->python ||
        strcspn(spec, " \t,") < name_len) {
        fprintf(stderr, "bench: --peer %s: the name must be < %zu characters without "
                "spaces or commas, the path < %zu\n", spec, sizeof p->name,
                sizeof p->python);
        return -1;
    }
    copy_text(p->name, sizeof p->name, spec, name_len);
    copy_text(p->python, sizeof p->python, eq + 1, path_len);
    for (int i = 0; i < peers->n; i++)
        if (!strcmp(peers->p[i].name, p->name)) {
            fprintf(stderr, "bench: --peer %s: the name %s is taken\n", spec, p->name);
            return -1;
        }
    peers->n++;
    return 0;
}

void bench_peers_default(bench_peers *peers, const char *source_dir) {
    char venv[1024], spec[1200];
    const char *env = getenv("PAN_VENV");
    peers->n = 0;
    bench_peers_add(peers, "debian=/usr/bin/python3");
    if (env && *env)
        snprintf(venv, sizeof venv, "%s/bin/python", env);
    else
        snprintf(venv, sizeof venv, "%s/.venv/bin/python", source_dir);
    if (access(venv, X_OK) != 0) return;
    snprintf(spec, sizeof spec, "eager=%s", venv);
    bench_peers_add(peers, spec);
    snprintf(spec, sizeof spec, "compile=%s" COMPILE_SUFFIX, venv);
    bench_peers_add(peers, spec);
}

bool bench_shell_quote(char *buf, size_t size, const char *s) {
    size_t n = strlen(buf);
    if (n + 1 >= size) return false;
    buf[n++] = '\'';
    for (; *s; s++) {
        const char *piece = *s == '\'' ? "'\\''" : NULL;
        size_t len = piece ? 4 : 1;
        if (n + len + 3 > size) return false; /* closing quote, NUL, one spare */
        if (piece) memcpy(buf + n, piece, len);
        else buf[n] = *s;
        n += len;
    }
    buf[n++] = '\'';
    buf[n] = '\0';
    return true;
}

/* The value of "key=" in a line, up to the next space, into out. */
static void field(const char *line, const char *key, char *out, size_t size) {
    const char *v = strstr(line, key);
    if (!v) return;
    v += strlen(key);
    copy_text(out, size, v, strcspn(v, " \r\n"));
}

static void append(char *dst, size_t size, const char *sep, const char *text) {
    size_t n = strlen(dst), len = strcspn(text, "\r\n");
    if (n && n + strlen(sep) < size) {
        strcpy(dst + n, sep);
        n += strlen(sep);
    }
    copy_text(dst + n, size - n, text, len);
}

void bench_peer_run(bench_peers *peers, int i, const char *source_dir,
                    const char *script, const char *args, bench_peer_line_fn on_line,
                    void *ctx) {
    bench_peer *p = &peers->p[i];
    char cmd[8192] = "", path[2048];
    snprintf(path, sizeof path, "%s/benchmarks/%s", source_dir, script);
    bool fits = bench_shell_quote(cmd, sizeof cmd, p->python);
    if (fits) strcat(cmd, " "); /* bench_shell_quote leaves a spare byte */
    fits = fits && bench_shell_quote(cmd, sizeof cmd, path) &&
           strlen(cmd) + strlen(args) + 16 < sizeof cmd;
    if (!fits) {
        snprintf(p->error, sizeof p->error, "command line too long");
        return;
    }
    strcat(cmd, " ");
    strcat(cmd, args);
    if (p->compile) strcat(cmd, " --compile");
    fflush(stdout);
    fflush(stderr);
    FILE *f = popen(cmd, "r");
    if (!f) {
        snprintf(p->error, sizeof p->error, "cannot run %s", cmd);
        return;
    }
    char line[2048];
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "peer ", 5)) {
            field(line, "torch=", p->torch, sizeof p->torch);
            field(line, "omp_wait_policy=", p->policy, sizeof p->policy);
            field(line, "inductor_cache=", p->cache, sizeof p->cache);
        } else if (!strncmp(line, "check ", 6)) {
            append(p->check, sizeof p->check, "; ", line + 6);
        } else if (!strncmp(line, "fail ", 5)) {
            if (strstr(line, "case=check ")) p->checks_failed = true;
            append(p->error, sizeof p->error, "; ", line + 5);
        } else if (!on_line || !on_line(i, line, ctx)) {
            fputs(line, stderr);
        }
    }
    int status = pclose(f);
    p->exit_status = status == -1 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    if (p->exit_status == 0) return;
    char why[160];
    if (p->exit_status == 2 && !p->torch[0])
        snprintf(why, sizeof why, "cannot import torch with %s (exit status 2)", p->python);
    else if (p->exit_status == 127)
        snprintf(why, sizeof why, "%s not found (exit status 127)", p->python);
    else
        snprintf(why, sizeof why, "%s exited with status %d", script, p->exit_status);
    append(p->error, sizeof p->error, "; ", why);
}

const char *bench_peer_label(const bench_peer *p, char *buf, size_t size) {
    snprintf(buf, size, "%s (torch %s, %s)", p->name, p->torch[0] ? p->torch : "?",
             p->compile ? "torch.compile" : "eager");
    return buf;
}

void bench_peers_print(const bench_peers *peers) {
    if (peers->n == 0) return;
    printf("\nPyTorch peers (same checkpoint, same threads):\n");
    for (int i = 0; i < peers->n; i++) {
        const bench_peer *p = &peers->p[i];
        printf("  %-8s %s, torch %s, %s%s%s, OMP_WAIT_POLICY=%s\n", p->name, p->python,
               p->torch[0] ? p->torch : "-",
               p->compile ? "torch.compile (inductor)" : "eager",
               p->cache[0] ? ", inductor cache " : "", p->cache,
               p->policy[0] ? p->policy : "-");
        if (p->check[0]) printf("           checks: %s\n", p->check);
        if (p->error[0])
            printf("           %s: %s\n", p->checks_failed ? "FAILED, figures void"
                                                          : "failed", p->error);
    }
}

void bench_peers_csv(bench_csv *csv, const bench_peers *peers) {
    for (int i = 0; i < peers->n; i++) {
        const bench_peer *p = &peers->p[i];
        char note[1400], label[160];
        snprintf(note, sizeof note, "%s; %s; OMP_WAIT_POLICY=%s%s%s; checks: %s%s%s",
                 bench_peer_label(p, label, sizeof label), p->python,
                 p->policy[0] ? p->policy : "-", p->cache[0] ? "; inductor cache " : "",
                 p->cache, p->check[0] ? p->check : "none",
                 p->error[0] ? "; FAILED: " : "", p->error);
        bench_csv_peer_row(csv, "peer", "ok", p->error[0] ? 0.0 : 1.0, "", p->name, NAN,
                           note);
    }
}
