/* agents/c/agent_args.c: the C agents' shared command line (agent_args.h). */
#define _GNU_SOURCE /* getopt_long */
#include "agents/c/agent_args.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool parse_num(const char *s, long long lo, long long hi, long long *out) {
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || errno || *end || v < lo || v > hi) return false;
    *out = v;
    return true;
}

int agent_args_parse(int argc, char **argv, const char *usage, agent_config *cfg,
                     agent_extra *extra) {
    static const struct option longs[] = {
        {"endpoint", required_argument, NULL, 'e'},
        {"episodes", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},
        {"num-envs", required_argument, NULL, 'N'},
        {"max-episode-steps", required_argument, NULL, 'm'},
        {"timeout", required_argument, NULL, 'T'},
        {"quiet", no_argument, NULL, 'q'},
        {"world", required_argument, NULL, 'w'},
        {"model", required_argument, NULL, 'M'},
        {"task", required_argument, NULL, 't'},
        {"split", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    *cfg = (agent_config){.endpoint = "tcp://127.0.0.1:5555", .timeout_ms = 10000,
                          .num_envs = 1, .max_episode_steps = -1, .episodes = 10,
                          .seed = 0};
    opterr = 0;
    int c;
    long long v;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        const char *bad = NULL;
        switch (c) {
        case 'e': cfg->endpoint = optarg; break;
        case 'n':
            if (!parse_num(optarg, 1, 1000000, &v)) bad = "--episodes wants 1..1000000";
            else cfg->episodes = (int)v;
            break;
        case 's':
            if (!parse_num(optarg, 0, INT64_MAX, &v)) bad = "--seed wants an integer >= 0";
            else cfg->seed = (uint64_t)v;
            break;
        case 'N':
            if (!parse_num(optarg, 1, 4096, &v)) bad = "--num-envs wants 1..4096";
            else cfg->num_envs = (int)v;
            break;
        case 'm':
            if (!parse_num(optarg, 0, 1000000, &v)) bad = "--max-episode-steps wants 0..1000000";
            else cfg->max_episode_steps = (int)v;
            break;
        case 'T':
            if (!parse_num(optarg, 1, 86400000, &v)) bad = "--timeout wants milliseconds > 0";
            else cfg->timeout_ms = (int)v;
            break;
        case 'q': cfg->quiet = true; break;
        case 'w':
            if (!extra->allow_world) bad = "--world does not apply to this agent";
            extra->world = optarg;
            break;
        case 'M':
            if (!extra->allow_world) bad = "--model does not apply to this agent";
            extra->model = optarg;
            break;
        case 't':
            if (!extra->allow_task) bad = "--task does not apply to this agent";
            extra->task = optarg;
            break;
        case 'p':
            if (!extra->allow_split) bad = "--split does not apply to this agent";
            extra->split = optarg;
            break;
        case 'h': fputs(usage, stdout); return -1;
        default: bad = "unknown option or missing value"; break;
        }
        if (bad) {
            fprintf(stderr, "%s: %s\n%s", argv[0], bad, usage);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n%s", argv[0], argv[optind], usage);
        return 2;
    }
    return 0;
}
