/* agents/c/tool_commands.c: the subcommands of pan-client: option parsing
 * (getopt_long, one table; each command names the options it accepts)
 * and one function per protocol op. */
#define _GNU_SOURCE /* getopt_long */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/c/tool.h"

#define MAX_LIST 1024

enum {
    O_ENDPOINT = 1, O_SESSION, O_TIMEOUT, O_WORLD, O_NUM_ENVS, O_OBS_MODE,
    O_AUTORESET, O_MAX_STEPS, O_WIDTH, O_HEIGHT, O_FPS, O_SEED, O_SEEDS, O_TASK,
    O_MASK, O_SPLIT, O_OUT, O_ENV, O_ENVS, O_IDS, O_FRAMES, O_CLIENT, O_HELP,
    O_COUNT
};

static const struct option longs[] = {
    {"endpoint", required_argument, NULL, O_ENDPOINT},
    {"session", required_argument, NULL, O_SESSION},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"world", required_argument, NULL, O_WORLD},
    {"num-envs", required_argument, NULL, O_NUM_ENVS},
    {"obs-mode", required_argument, NULL, O_OBS_MODE},
    {"autoreset", required_argument, NULL, O_AUTORESET},
    {"max-episode-steps", required_argument, NULL, O_MAX_STEPS},
    {"width", required_argument, NULL, O_WIDTH},
    {"height", required_argument, NULL, O_HEIGHT},
    {"frames-per-step", required_argument, NULL, O_FPS},
    {"seed", required_argument, NULL, O_SEED},
    {"seeds", required_argument, NULL, O_SEEDS},
    {"task", required_argument, NULL, O_TASK},
    {"mask", required_argument, NULL, O_MASK},
    {"split", required_argument, NULL, O_SPLIT},
    {"out", required_argument, NULL, O_OUT},
    {"env", required_argument, NULL, O_ENV},
    {"envs", required_argument, NULL, O_ENVS},
    {"ids", required_argument, NULL, O_IDS},
    {"frames", no_argument, NULL, O_FRAMES},
    {"client", required_argument, NULL, O_CLIENT},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0}};

typedef struct opts {
    bool set[O_COUNT];
    const char *val[O_COUNT];
    int n_pos;
    char **pos;                       /* positional arguments */
} opts;

#define BIT(o) (1ull << (o))
#define COMMON (BIT(O_ENDPOINT) | BIT(O_SESSION) | BIT(O_TIMEOUT) | BIT(O_HELP))

static int usage_error(const char *cmd, const char *fmt, const char *arg) {
    fprintf(stderr, "pan-client %s: ", cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(pan-client --help lists the commands and options)\n");
    return 2;
}

static int parse(int argc, char **argv, uint64_t allowed, int max_pos, opts *o) {
    memset(o, 0, sizeof *o);
    optind = 0; /* glibc: full re-initialisation (the shell parses many times) */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+", longs, NULL)) != -1) {
        if (c == '?' || c == ':')
            return usage_error(argv[0], "unknown option or missing value in '%s'",
                               argv[optind - 1]);
        if (!(allowed & BIT(c)))
            return usage_error(argv[0], "option --%s does not apply here", longs[c - 1].name);
        o->set[c] = true;
        o->val[c] = optarg;
    }
    o->pos = argv + optind;
    o->n_pos = argc - optind;
    if (max_pos >= 0 && o->n_pos > max_pos)
        return usage_error(argv[0], "unexpected argument '%s'", o->pos[max_pos]);
    return 0;
}

static bool parse_u64(const char *s, uint64_t *out) {
    char *end = NULL;
    errno = 0;
    if (!s || !*s || *s == '-') return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

static bool parse_int(const char *s, int lo, int hi, int *out) {
    char *end = NULL;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || !*s || errno || *end || v < lo || v > hi) return false;
    *out = (int)v;
    return true;
}

/* "1,2,3" -> values; false on a bad entry or more than MAX_LIST. */
static bool parse_list_u64(const char *s, uint64_t *v, int *n) {
    char buf[16384];
    if (!s || strlen(s) >= sizeof buf) return false;
    strcpy(buf, s);
    *n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (*n >= MAX_LIST || !parse_u64(tok, &v[*n])) return false;
        (*n)++;
    }
    return *n > 0;
}

/* ---- the client and the session ---- */

static int fail(tool_state *t, const char *what) {
    fprintf(stderr, "pan-client: %s failed: [%s] %s\n", what,
            t->client ? pan_client_error_code(t->client) : "",
            t->client ? pan_client_error_message(t->client) : pan_error_message());
    return 1;
}

static int apply_common(tool_state *t, const opts *o, const char *cmd) {
    if (o->set[O_ENDPOINT]) {
        if (strlen(o->val[O_ENDPOINT]) >= sizeof t->endpoint)
            return usage_error(cmd, "endpoint too long: %s", o->val[O_ENDPOINT]);
        if (t->client && strcmp(t->endpoint, o->val[O_ENDPOINT]) != 0) {
            pan_client_destroy(t->client);
            t->client = NULL;
        }
        snprintf(t->endpoint, sizeof t->endpoint, "%s", o->val[O_ENDPOINT]);
    }
    if (o->set[O_TIMEOUT] && !parse_int(o->val[O_TIMEOUT], 1, 86400000, &t->timeout_ms))
        return usage_error(cmd, "--timeout wants milliseconds > 0, found '%s'", o->val[O_TIMEOUT]);
    if (o->set[O_SESSION]) {
        uint64_t id;
        if (!parse_u64(o->val[O_SESSION], &id))
            return usage_error(cmd, "--session wants a uint64 id, found '%s'", o->val[O_SESSION]);
        if (!t->has_session || t->session != id) t->num_envs = 0;
        t->session = id;
        t->has_session = true;
    }
    if (!t->client) {
        if (pan_client_connect(t->endpoint, t->timeout_ms, &t->client) != PAN_OK) {
            fprintf(stderr, "pan-client: %s\n", pan_error_message());
            return 1;
        }
    } else {
        pan_client_set_timeout(t->client, t->timeout_ms);
    }
    return 0;
}

static int need_session(const tool_state *t, const char *cmd) {
    if (t->has_session) return 0;
    return usage_error(cmd, "%s", "no session: give --session ID (as printed by make)");
}

/* ---- commands ---- */

static int cmd_hello(tool_state *t, const opts *o) {
    pan_client_hello_result h;
    if (pan_client_hello(t->client, o->set[O_CLIENT] ? o->val[O_CLIENT] : "pan-client", &h))
        return fail(t, "HELLO");
    tool_print_hello(&h);
    return 0;
}

static int cmd_describe(tool_state *t, const opts *o) {
    pan_client_spaces s;
    pan_status st;
    int w = 0, h = 0, k = 0;
    if (o->set[O_WORLD]) {
        if ((o->set[O_WIDTH] && !parse_int(o->val[O_WIDTH], 1, 1 << 20, &w)) ||
            (o->set[O_HEIGHT] && !parse_int(o->val[O_HEIGHT], 1, 1 << 20, &h)) ||
            (o->set[O_FPS] && !parse_int(o->val[O_FPS], 1, 1 << 20, &k)))
            return usage_error("describe", "%s", "bad --width/--height/--frames-per-step");
        st = pan_client_describe_world(t->client, o->val[O_WORLD], w, h, k,
                                       o->set[O_OBS_MODE] ? o->val[O_OBS_MODE] : NULL, &s);
    } else {
        if (need_session(t, "describe")) return 2;
        st = pan_client_describe_session(t->client, t->session, &s);
    }
    if (st != PAN_OK) return fail(t, "DESCRIBE");
    tool_print_spaces(&s);
    return 0;
}

static int cmd_make(tool_state *t, const opts *o) {
    if (!o->set[O_WORLD]) return usage_error("make", "%s", "--world W is required");
    pan_client_make_args a = pan_client_make_args_default(o->val[O_WORLD]);
    a.obs_mode = o->set[O_OBS_MODE] ? o->val[O_OBS_MODE] : NULL;
    a.autoreset_mode = o->set[O_AUTORESET] ? o->val[O_AUTORESET] : NULL;
    if ((o->set[O_NUM_ENVS] && !parse_int(o->val[O_NUM_ENVS], 1, 1 << 20, &a.num_envs)) ||
        (o->set[O_MAX_STEPS] && !parse_int(o->val[O_MAX_STEPS], 0, 1 << 30, &a.max_episode_steps)) ||
        (o->set[O_WIDTH] && !parse_int(o->val[O_WIDTH], 1, 1 << 20, &a.width)) ||
        (o->set[O_HEIGHT] && !parse_int(o->val[O_HEIGHT], 1, 1 << 20, &a.height)) ||
        (o->set[O_FPS] && !parse_int(o->val[O_FPS], 1, 1 << 20, &a.frames_per_step)))
        return usage_error("make", "%s", "a numeric option has a bad value");
    uint64_t session;
    pan_client_spaces s;
    if (pan_client_make(t->client, &a, &session, &s) != PAN_OK) return fail(t, "MAKE");
    t->session = session;
    t->has_session = true;
    t->num_envs = s.num_envs;
    printf("session %" PRIu64 "\n", session);
    tool_print_spaces(&s);
    return 0;
}

static void print_obs_infos(const pan_client_obs *obs, const pan_client_info *infos) {
    tool_print_obs(obs);
    for (int i = 0; i < obs->n; i++) tool_print_info(i, &infos[i]);
}

static int cmd_reset(tool_state *t, const opts *o) {
    if (need_session(t, "reset")) return 2;
    static uint64_t seeds[MAX_LIST], mask_v[MAX_LIST];
    static bool mask[MAX_LIST];
    pan_client_reset_args a = {0};
    if (o->set[O_SEED]) {
        a.seed_kind = PAN_CLIENT_SEED_ONE;
        if (!parse_u64(o->val[O_SEED], &a.seed))
            return usage_error("reset", "--seed wants a uint64, found '%s'", o->val[O_SEED]);
    } else if (o->set[O_SEEDS]) {
        a.seed_kind = PAN_CLIENT_SEED_EACH;
        a.seeds = seeds;
        if (!parse_list_u64(o->val[O_SEEDS], seeds, &a.n_seeds))
            return usage_error("reset", "--seeds wants S0,S1,..., found '%s'", o->val[O_SEEDS]);
    }
    if (o->set[O_TASK]) a.task = o->val[O_TASK];
    if (o->set[O_MASK]) {
        if (!parse_list_u64(o->val[O_MASK], mask_v, &a.n_mask))
            return usage_error("reset", "--mask wants 1,0,..., found '%s'", o->val[O_MASK]);
        for (int i = 0; i < a.n_mask; i++) mask[i] = mask_v[i] != 0;
        a.mask = mask;
    }
    pan_client_obs_result r;
    if (pan_client_reset(t->client, t->session, &a, &r) != PAN_OK) return fail(t, "RESET");
    t->num_envs = r.obs.n;
    print_obs_infos(&r.obs, r.infos);
    return 0;
}

static int cmd_step(tool_state *t, const opts *o) {
    if (need_session(t, "step")) return 2;
    if (o->n_pos < 1) return usage_error("step", "%s", "give one action text per env");
    pan_client_step_result r;
    if (pan_client_step(t->client, t->session, o->n_pos, (const char *const *)o->pos, &r))
        return fail(t, "STEP");
    tool_print_obs(&r.obs);
    for (int i = 0; i < r.obs.n; i++) {
        printf("  env %d: reward %g%s%s\n", i, r.reward[i],
               r.terminated[i] ? " terminated" : "", r.truncated[i] ? " truncated" : "");
        tool_print_info(i, &r.infos[i]);
    }
    return 0;
}

static int cmd_sample(tool_state *t, const opts *o) {
    if (need_session(t, "sample")) return 2;
    int n = 0;
    const char *const *actions = NULL;
    if (pan_client_sample(t->client, t->session, o->set[O_SPLIT] ? o->val[O_SPLIT] : NULL,
                          &n, &actions))
        return fail(t, "SAMPLE");
    for (int i = 0; i < n; i++) printf("env %d: %s\n", i, actions[i]);
    return 0;
}

static int cmd_render(tool_state *t, const opts *o) {
    if (need_session(t, "render")) return 2;
    if (!o->set[O_OUT]) return usage_error("render", "%s", "--out FILE.png is required");
    int env = -1;
    if (o->set[O_ENV] && !parse_int(o->val[O_ENV], 0, 1 << 20, &env))
        return usage_error("render", "--env wants an index, found '%s'", o->val[O_ENV]);
    pan_client_tensor f;
    if (pan_client_render(t->client, t->session, env, &f) != PAN_OK) return fail(t, "RENDER");
    /* (H, W, 3), or (N, H, W, 3) laid side by side */
    int n = f.rank == 4 ? (int)f.shape[0] : 1;
    int h = (int)f.shape[f.rank - 3], w = (int)f.shape[f.rank - 2];
    const uint8_t *src = f.data;
    uint8_t *img = malloc((size_t)n * (size_t)h * (size_t)w * 3); /* (H, N * W, 3) */
    if (!img) {
        fprintf(stderr, "pan-client: out of memory\n");
        return 1;
    }
    for (int i = 0; i < n; i++)
        for (int y = 0; y < h; y++)
            memcpy(img + ((size_t)y * (size_t)n * (size_t)w + (size_t)i * (size_t)w) * 3,
                   src + (((size_t)i * (size_t)h + (size_t)y) * (size_t)w) * 3, (size_t)w * 3);
    char err[512];
    int rc = tool_write_png(o->val[O_OUT], img, n * w, h, err, sizeof err);
    free(img);
    if (rc != 0) {
        fprintf(stderr, "pan-client render: %s\n", err);
        return 1;
    }
    printf("wrote %s (%dx%d%s)\n", o->val[O_OUT], n * w, h, n > 1 ? ", envs side by side" : "");
    return 0;
}

static int cmd_fork(tool_state *t, const opts *o) {
    if (need_session(t, "fork")) return 2;
    static uint64_t v[MAX_LIST];
    static int envs[MAX_LIST];
    int n = 0;
    if (o->set[O_ENVS]) {
        if (!parse_list_u64(o->val[O_ENVS], v, &n))
            return usage_error("fork", "--envs wants 0,1,..., found '%s'", o->val[O_ENVS]);
        for (int i = 0; i < n; i++) envs[i] = v[i] > (1u << 30) ? -1 : (int)v[i];
    }
    int n_ids = 0;
    const uint64_t *ids = NULL;
    if (pan_client_fork(t->client, t->session, n, o->set[O_ENVS] ? envs : NULL, &n_ids, &ids))
        return fail(t, "FORK");
    printf("state_ids");
    for (int i = 0; i < n_ids; i++) printf("%s%" PRIu64, i ? "," : " ", ids[i]);
    printf("\n");
    return 0;
}

static int cmd_restore(tool_state *t, const opts *o) {
    if (need_session(t, "restore")) return 2;
    static uint64_t v[MAX_LIST], ids[MAX_LIST];
    static int envs[MAX_LIST];
    int n = 0, n_ids = 0;
    if (!o->set[O_ENVS] || !o->set[O_IDS] || !parse_list_u64(o->val[O_ENVS], v, &n) ||
        !parse_list_u64(o->val[O_IDS], ids, &n_ids) || n != n_ids)
        return usage_error("restore", "%s", "--envs 0,1,... and --ids A,B,... of the same length");
    for (int i = 0; i < n; i++) envs[i] = v[i] > (1u << 30) ? -1 : (int)v[i];
    pan_client_obs_result r;
    if (pan_client_restore(t->client, t->session, n, envs, ids, &r)) return fail(t, "RESTORE");
    print_obs_infos(&r.obs, r.infos);
    return 0;
}

static int cmd_rollout(tool_state *t, const opts *o) {
    if (need_session(t, "rollout")) return 2;
    static uint64_t ids[MAX_LIST];
    int b = 0;
    if (!o->set[O_IDS] || !parse_list_u64(o->val[O_IDS], ids, &b) || o->n_pos < 1)
        return usage_error("rollout", "%s", "--ids A,B,... and the actions every row runs");
    int T = o->n_pos;
    const char **actions = malloc(sizeof(char *) * (size_t)b * (size_t)T); /* (B, T) */
    if (!actions) return 1;
    for (int r = 0; r < b; r++)
        for (int s = 0; s < T; s++) actions[r * T + s] = o->pos[s];
    pan_client_rollout_result res;
    pan_status st = pan_client_rollout(t->client, t->session, b, ids, T, actions,
                                       o->set[O_FRAMES], &res);
    free(actions);
    if (st != PAN_OK) return fail(t, "ROLLOUT");
    tool_print_rollout(&res, ids);
    return 0;
}

static int cmd_release(tool_state *t, const opts *o) {
    if (need_session(t, "release")) return 2;
    static uint64_t ids[MAX_LIST];
    int n = 0;
    if (!o->set[O_IDS] || !parse_list_u64(o->val[O_IDS], ids, &n))
        return usage_error("release", "%s", "--ids A,B,... is required");
    int64_t released = 0;
    if (pan_client_release(t->client, t->session, n, ids, &released)) return fail(t, "RELEASE");
    printf("released %" PRId64 "\n", released);
    return 0;
}

static int cmd_close(tool_state *t, const opts *o) {
    if (need_session(t, "close")) return 2;
    if (pan_client_close(t->client, t->session) != PAN_OK) return fail(t, "CLOSE");
    printf("closed session %" PRIu64 "\n", t->session);
    t->has_session = false;
    t->num_envs = 0;
    return 0;
}

static int cmd_ping(tool_state *t, const opts *o) {
    if (pan_client_ping(t->client, o->set[O_SESSION] ? &t->session : NULL) != PAN_OK)
        return fail(t, "PING");
    printf("pong\n");
    return 0;
}

static int cmd_stats(tool_state *t, const opts *o) {
    pan_client_stats_result s;
    if (pan_client_stats(t->client, t->has_session ? &t->session : NULL, &s) != PAN_OK)
        return fail(t, "STATS");
    tool_print_stats(&s);
    return 0;
}

typedef struct command {
    const char *name;
    int (*run)(tool_state *t, const opts *o);
    uint64_t options;
    int max_pos;          /* -1: any number of positional arguments */
} command;

static const command commands[] = {
    {"hello", cmd_hello, BIT(O_CLIENT), 0},
    {"describe", cmd_describe, BIT(O_WORLD) | BIT(O_WIDTH) | BIT(O_HEIGHT) | BIT(O_FPS) |
                               BIT(O_OBS_MODE), 0},
    {"make", cmd_make, BIT(O_WORLD) | BIT(O_NUM_ENVS) | BIT(O_OBS_MODE) | BIT(O_AUTORESET) |
                       BIT(O_MAX_STEPS) | BIT(O_WIDTH) | BIT(O_HEIGHT) | BIT(O_FPS), 0},
    {"reset", cmd_reset, BIT(O_SEED) | BIT(O_SEEDS) | BIT(O_TASK) | BIT(O_MASK), 0},
    {"step", cmd_step, 0, -1},
    {"sample", cmd_sample, BIT(O_SPLIT), 0},
    {"render", cmd_render, BIT(O_OUT) | BIT(O_ENV), 0},
    {"fork", cmd_fork, BIT(O_ENVS), 0},
    {"restore", cmd_restore, BIT(O_ENVS) | BIT(O_IDS), 0},
    {"rollout", cmd_rollout, BIT(O_IDS) | BIT(O_FRAMES), -1},
    {"release", cmd_release, BIT(O_IDS), 0},
    {"close", cmd_close, 0, 0},
    {"ping", cmd_ping, 0, 0},
    {"stats", cmd_stats, 0, 0},
};

int tool_run(tool_state *t, int argc, char **argv) {
    if (argc < 1) {
        tool_usage(stderr);
        return 2;
    }
    if (strcmp(argv[0], "shell") == 0) {
        if (t->in_shell) return usage_error("shell", "%s", "already in the shell");
        opts o;
        int rc = parse(argc, argv, COMMON, 0, &o);
        if (rc) return rc;
        if ((rc = apply_common(t, &o, "shell")) != 0) return rc;
        return tool_shell(t, stdin);
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        const command *c = &commands[i];
        if (strcmp(argv[0], c->name) != 0) continue;
        opts o;
        int rc = parse(argc, argv, c->options | COMMON, c->max_pos, &o);
        if (rc) return rc;
        if (o.set[O_HELP]) {
            tool_usage(stdout);
            return 0;
        }
        if ((rc = apply_common(t, &o, c->name)) != 0) return rc;
        return c->run(t, &o);
    }
    return usage_error(argv[0], "unknown command '%s'", argv[0]);
}
