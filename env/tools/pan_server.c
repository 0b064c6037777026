/* env/tools/pan_server.c: the pan-server command: parses the flags, binds
 * the server (env/server.h), writes the ready file, serves until SIGINT or
 * SIGTERM, then shuts down cleanly and exits 0. Exit codes: 0 stopped by a
 * signal, 1 failure, 2 usage. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/model/model.h"
#include "env/server.h"

static const char usage[] =
    "usage: pan-server [options]\n"
    "\n"
    "Serves the ground-truth worlds, and the world models given with\n"
    "--model, over ZeroMQ, protocol v1 (docs/protocol.md). Stops cleanly on\n"
    "SIGINT or SIGTERM.\n"
    "\n"
    "options:\n"
    "  --model [NAME=]FILE      serve the GLP world model of checkpoint FILE\n"
    "                           (pan-init or training output) as MAKE model\n"
    "                           NAME (default: FILE's name without the\n"
    "                           .safetensors suffix); repeat for more (8)\n"
    "  --model-backend NAME     compute backend of model envs: auto (default),\n"
    "                           onednn, openblas, ref\n"
    "  --model-threads N        threads per model env (default 0: all cores)\n"
    "  --bind ENDPOINT          ZeroMQ endpoint (default tcp://127.0.0.1:5555;\n"
    "                           tcp://127.0.0.1:* picks a free port)\n"
    "  --ready-file PATH        once bound, write the endpoint + newline to\n"
    "                           PATH (atomically: temp file + rename)\n"
    "  --workers N              worker threads (default 1)\n"
    "  --session-ttl SECONDS    close sessions idle this long (default 600)\n"
    "  --max-sessions N         live sessions (default 64)\n"
    "  --max-envs N             envs per session, MAKE num_envs (default 256)\n"
    "  --max-batch N            ROLLOUT rows, FORK/RESTORE/RELEASE ids (256)\n"
    "  --max-horizon N          ROLLOUT steps (default 64)\n"
    "  --max-snapshots N        live FORK snapshots per session (4096)\n"
    "  --max-message-bytes N    largest frame, ZMQ_MAXMSGSIZE (64 MiB)\n"
    "  --max-header-bytes N     largest request header (1 MiB)\n"
    "  --max-blobs N            blob frames per request (16)\n"
    "  --max-text-bytes N       action and task text, bytes (256)\n"
    "  --max-reply-bytes N      largest reply, refused before work (256 MiB)\n"
    "  --quiet                  no log lines (sessions made, closed, expired)\n"
    "  --help                   this text\n"
    "  --version                the version\n";

static pan_server *g_server;

static void on_signal(int sig) {
    (void)sig;
    pan_server_stop(g_server); /* async-signal-safe */
}

static int usage_error(const char *fmt, const char *a, const char *b) {
    fprintf(stderr, "pan-server: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\n\n%s", usage);
    return 2;
}

static bool parse_u64(const char *text, unsigned long long lo,
                      unsigned long long hi, unsigned long long *out) {
    char *end = NULL;
    errno = 0;
    if (!text || !*text || text[0] == '-') return false;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end != '\0' || v < lo || v > hi) return false;
    *out = v;
    return true;
}

static int write_ready_file(const char *path, const char *endpoint) {
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp) {
        fprintf(stderr, "pan-server: --ready-file path too long\n");
        return -1;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "pan-server: cannot write %s: %s\n", tmp,
                strerror(errno));
        return -1;
    }
    bool ok = fprintf(f, "%s\n", endpoint) > 0;
    ok = (fflush(f) == 0) && ok;
    ok = (fsync(fileno(f)) == 0) && ok;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        fprintf(stderr, "pan-server: cannot write %s: %s\n", path,
                strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* --model [NAME=]FILE: loads the checkpoint into opt->models. */
static int add_model(pan_server_options *opt, pan_model **owned,
                     char names[][PAN_SERVER_MODEL_NAME_MAX], const char *value) {
    if (opt->n_models == PAN_SERVER_MAX_MODELS) {
        fprintf(stderr, "pan-server: at most %d --model\n", PAN_SERVER_MAX_MODELS);
        return 2;
    }
    int i = opt->n_models;
    const char *eq = strchr(value, '='), *path = eq ? eq + 1 : value;
    if (eq) {
        snprintf(names[i], PAN_SERVER_MODEL_NAME_MAX, "%.*s", (int)(eq - value),
                 value);
    } else {
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        size_t len = strlen(base), suffix = strlen(".safetensors");
        if (len > suffix && !strcmp(base + len - suffix, ".safetensors"))
            len -= suffix;
        snprintf(names[i], PAN_SERVER_MODEL_NAME_MAX, "%.*s", (int)len, base);
    }
    if (pan_model_load(&owned[i], path) != PAN_OK) {
        fprintf(stderr, "pan-server: --model %s: %s\n", value,
                pan_error_message());
        return 1;
    }
    opt->models[i] = (pan_server_model){.name = names[i], .model = owned[i]};
    opt->n_models++;
    fprintf(stderr, "pan-server: model '%s' from %s (%s)\n", names[i], path,
            owned[i]->trained ? "trained" : "UNTRAINED: random weights");
    return 0;
}

static void free_models(pan_model **owned, int n) {
    for (int i = 0; i < n; i++) pan_model_destroy(owned[i]);
}

/* Integer flags: name, range, where the value goes. */
typedef struct int_flag {
    const char *name;
    unsigned long long lo, hi;
    int *as_int;
    uint64_t *as_u64;
} int_flag;

int main(int argc, char **argv) {
    pan_server_options opt = pan_server_options_default();
    pan_server_limits *l = &opt.limits;
    const char *ready_file = NULL;
    bool header_given = false;
    pan_model *owned[PAN_SERVER_MAX_MODELS] = {0};
    char names[PAN_SERVER_MAX_MODELS][PAN_SERVER_MODEL_NAME_MAX];
    int_flag ints[] = {
        {"--workers", 1, PAN_SERVER_MAX_WORKERS, &opt.workers, NULL},
        {"--max-sessions", 1, 1 << 20, &l->max_sessions, NULL},
        {"--max-envs", 1, PAN_ENV_MAX_ENVS, &l->max_envs_per_session, NULL},
        {"--max-batch", 1, PAN_ENV_MAX_ENVS, &l->max_batch, NULL},
        {"--max-horizon", 1, 1 << 16, &l->max_horizon, NULL},
        {"--max-snapshots", 0, 1 << 24, &l->max_snapshots, NULL},
        {"--max-blobs", 0, PAN_PROTO_BLOBS_LIMIT, &l->max_blobs, NULL},
        {"--max-text-bytes", 1, PAN_ENV_ACTION_MAX, &l->max_text_bytes, NULL},
        {"--max-message-bytes", 1024, 1ull << 40, NULL, &l->max_message_bytes},
        {"--max-header-bytes", 256, 1ull << 40, NULL, &l->max_header_bytes},
        {"--max-reply-bytes", 1024, 1ull << 40, NULL, &l->max_reply_bytes},
        {"--model-threads", 0, 256, &opt.model_threads, NULL},
    };
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (strcmp(arg, "--version") == 0) {
            printf("pan-server (protocol %d.%d)\n", PAN_PROTO_MAJOR,
                   PAN_PROTO_MINOR);
            return 0;
        }
        if (strcmp(arg, "--quiet") == 0) {
            opt.quiet = true;
            continue;
        }
        /* --name VALUE or --name=VALUE */
        char name[64];
        const char *value = NULL;
        const char *eq = strchr(arg, '=');
        if (eq && (size_t)(eq - arg) < sizeof name) {
            memcpy(name, arg, (size_t)(eq - arg));
            name[eq - arg] = '\0';
            value = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", arg);
        }
        bool known = strcmp(name, "--bind") == 0 ||
                     strcmp(name, "--ready-file") == 0 ||
                     strcmp(name, "--session-ttl") == 0 ||
                     strcmp(name, "--model") == 0 ||
                     strcmp(name, "--model-backend") == 0;
        for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++)
            known = known || strcmp(name, ints[k].name) == 0;
        if (!known) return usage_error("unknown option '%s'%s", arg, "");
        if (!value) {
            if (i + 1 >= argc)
                return usage_error("option %s needs a value%s", name, "");
            value = argv[++i];
        }
        if (strcmp(name, "--bind") == 0) {
            opt.bind = value;
        } else if (strcmp(name, "--model") == 0) {
            int rc = add_model(&opt, owned, names, value);
            if (rc != 0) {
                free_models(owned, opt.n_models);
                return rc;
            }
        } else if (strcmp(name, "--model-backend") == 0) {
            opt.model_backend = value;
        } else if (strcmp(name, "--ready-file") == 0) {
            ready_file = value;
        } else if (strcmp(name, "--session-ttl") == 0) {
            char *end = NULL;
            errno = 0;
            double v = strtod(value, &end);
            if (errno || *end || !(v > 0) || v > 1e9)
                return usage_error("--session-ttl must be a number of seconds "
                                   "in (0, 1e9], found '%s'%s", value, "");
            opt.session_ttl_s = v;
        } else {
            for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++) {
                if (strcmp(name, ints[k].name) != 0) continue;
                unsigned long long v;
                if (!parse_u64(value, ints[k].lo, ints[k].hi, &v)) {
                    char range[96];
                    snprintf(range, sizeof range, "an integer in [%llu, %llu]",
                             ints[k].lo, ints[k].hi);
                    fprintf(stderr, "pan-server: %s must be %s, found '%s'\n\n%s",
                            name, range, value, usage);
                    return 2;
                }
                if (ints[k].as_int) *ints[k].as_int = (int)v;
                else *ints[k].as_u64 = v;
                if (ints[k].as_u64 == &l->max_header_bytes) header_given = true;
            }
        }
    }
    /* A smaller message limit lowers the header limit with it, unless the
     * header limit was given too. */
    if (!header_given && l->max_header_bytes > l->max_message_bytes)
        l->max_header_bytes = l->max_message_bytes;
    if (pan_server_limits_check(l) != PAN_OK)
        return usage_error("%s%s", pan_error_message(), "");

    pan_server *srv = NULL;
    if (pan_server_create(&opt, &srv) != PAN_OK) {
        fprintf(stderr, "pan-server: %s\n", pan_error_message());
        free_models(owned, opt.n_models);
        return 1;
    }
    g_server = srv;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    const char *endpoint = pan_server_endpoint(srv);
    if (ready_file && write_ready_file(ready_file, endpoint) != 0) {
        pan_server_destroy(srv);
        free_models(owned, opt.n_models);
        return 1;
    }
    fprintf(stderr, "pan-server: listening on %s\n", endpoint);
    pan_status st = pan_server_run(srv);
    if (st != PAN_OK) fprintf(stderr, "pan-server: %s\n", pan_error_message());
    else if (!opt.quiet) fprintf(stderr, "pan-server: stopped\n");
    signal(SIGINT, SIG_IGN); /* no handler may touch the server any more */
    signal(SIGTERM, SIG_IGN);
    g_server = NULL;
    pan_server_destroy(srv);
    free_models(owned, opt.n_models);
    return st == PAN_OK ? 0 : 1;
}
