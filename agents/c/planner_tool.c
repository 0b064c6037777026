/* agents/c/planner_tool.c: pan-planner, planners over imagined rollouts
 * against a pan-server (docs/agents.md "Planners"). The command line,
 * then planner_run (planner_run.h). Exit status: 0 ok, 1 a call failed
 * or a live check failed, 2 a usage error. */
#define _GNU_SOURCE /* getopt_long */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/c/planner_run.h"

static const char usage[] =
    "usage: pan-planner [--endpoint E] [--world tabletop|rooms] [--model NAME]\n"
    "    [--planner random|nomodel|pick|cem] [--cost detector|latent]\n"
    "    [--tasks N] [--family random|place|relation|group|line|landmark]\n"
    "    [--seed S] [--samples N] [--topk N] [--iters N] [--horizon N]\n"
    "    [--smoothing F] [--k N] [--budget N] [--timeout MS] [--quiet]\n"
    "    [--check-live]\n"
    "Plays N structured tasks (\"structured: <family>\", seeds S..S+N-1) in\n"
    "the true world, imagining in the model NAME (re-synced to the true\n"
    "frame before every decision) or, without --model, in the true world\n"
    "itself (the oracle). Defaults: tabletop, cem, detector cost, 20 tasks,\n"
    "family random, seed 0, samples 100, topk 10, iters 3, horizon 2,\n"
    "smoothing 0.15, k 8, each goal's own budget (5..10 actions).\n";

static bool num(const char *s, long long lo, long long hi, long long *out) {
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || errno || *end || v < lo || v > hi) return false;
    *out = v;
    return true;
}

int main(int argc, char **argv) {
    static const struct option longs[] = {
        {"endpoint", required_argument, NULL, 'e'},
        {"world", required_argument, NULL, 'w'},
        {"model", required_argument, NULL, 'M'},
        {"planner", required_argument, NULL, 'p'},
        {"cost", required_argument, NULL, 'c'},
        {"tasks", required_argument, NULL, 'n'},
        {"family", required_argument, NULL, 'f'},
        {"seed", required_argument, NULL, 's'},
        {"samples", required_argument, NULL, 'S'},
        {"topk", required_argument, NULL, 'K'},
        {"iters", required_argument, NULL, 'i'},
        {"horizon", required_argument, NULL, 'H'},
        {"smoothing", required_argument, NULL, 'm'},
        {"k", required_argument, NULL, 'k'},
        {"budget", required_argument, NULL, 'b'},
        {"timeout", required_argument, NULL, 'T'},
        {"quiet", no_argument, NULL, 'q'},
        {"check-live", no_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    planner_run_config cfg = {.endpoint = "tcp://127.0.0.1:5555",
                              .timeout_ms = 60000, .world = "tabletop",
                              .family = "random", .tasks = 20,
                              .planner = pan_planner_config_default("tabletop")};
    opterr = 0;
    int c;
    long long v;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        const char *bad = NULL;
        char *end = NULL;
        switch (c) {
        case 'e': cfg.endpoint = optarg; break;
        case 'w': cfg.world = optarg; break;
        case 'M': cfg.model = optarg; break;
        case 'p':
            if (pan_planner_kind_parse(optarg, &cfg.planner.kind) != PAN_OK)
                bad = "--planner wants random, nomodel, pick or cem";
            break;
        case 'c':
            if (pan_planner_cost_parse(optarg, &cfg.planner.cost) != PAN_OK)
                bad = "--cost wants detector or latent";
            break;
        case 'n':
            if (!num(optarg, 1, 1000000, &v)) bad = "--tasks wants 1..1000000";
            else cfg.tasks = (int)v;
            break;
        case 'f': cfg.family = optarg; break;
        case 's':
            if (!num(optarg, 0, INT64_MAX, &v)) bad = "--seed wants an integer >= 0";
            else cfg.seed = (uint64_t)v, cfg.planner.seed = (uint64_t)v;
            break;
        case 'S':
            if (!num(optarg, 1, PAN_PLANNER_MAX_SAMPLES, &v)) bad = "--samples wants 1..1024";
            else cfg.planner.samples = (int)v;
            break;
        case 'K':
            if (!num(optarg, 1, PAN_PLANNER_MAX_SAMPLES, &v)) bad = "--topk wants 1..1024";
            else cfg.planner.topk = (int)v;
            break;
        case 'i':
            if (!num(optarg, 1, 100, &v)) bad = "--iters wants 1..100";
            else cfg.planner.iters = (int)v;
            break;
        case 'H':
            if (!num(optarg, 1, PAN_PLANNER_MAX_HORIZON, &v)) bad = "--horizon wants 1..16";
            else cfg.planner.horizon = (int)v;
            break;
        case 'm':
            errno = 0;
            cfg.planner.smoothing = strtof(optarg, &end);
            if (errno || !end || *end || !(cfg.planner.smoothing >= 0.0f &&
                                           cfg.planner.smoothing < 1.0f))
                bad = "--smoothing wants a number in [0, 1)";
            break;
        case 'k':
            if (!num(optarg, 1, PAN_PLANNER_MAX_SAMPLES, &v)) bad = "--k wants 1..1024";
            else cfg.planner.k = (int)v;
            break;
        case 'b':
            if (!num(optarg, 1, 1000, &v)) bad = "--budget wants 1..1000";
            else cfg.budget = (int)v;
            break;
        case 'T':
            if (!num(optarg, 1, 86400000, &v)) bad = "--timeout wants milliseconds > 0";
            else cfg.timeout_ms = (int)v;
            break;
        case 'q': cfg.quiet = true; break;
        case 'L': cfg.check_live = true; break;
        case 'h': fputs(usage, stdout); return 0;
        default: bad = "unknown option or missing value"; break;
        }
        if (bad) {
            fprintf(stderr, "pan-planner: %s\n%s", bad, usage);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pan-planner: unexpected argument '%s'\n%s",
                argv[optind], usage);
        return 2;
    }
    if (strcmp(cfg.world, "tabletop") && strcmp(cfg.world, "rooms")) {
        fprintf(stderr, "pan-planner: --world wants tabletop or rooms, found "
                "'%s'\n%s", cfg.world, usage);
        return 2;
    }
    if (cfg.model && strcmp(cfg.world, "tabletop")) {
        fprintf(stderr, "pan-planner: --model imagines tabletop only (a "
                "model env's frames and tasks come from tabletop)\n");
        return 2;
    }
    if (cfg.planner.topk > cfg.planner.samples) {
        fprintf(stderr, "pan-planner: --topk %d is more than --samples %d\n",
                cfg.planner.topk, cfg.planner.samples);
        return 2;
    }
    planner_run_summary sum;
    return planner_run(&cfg, &sum);
}
