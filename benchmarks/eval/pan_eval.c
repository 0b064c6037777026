/* benchmarks/eval/pan_eval.c: the pan-eval command line (docs/eval.md).
 *
 *   pan-eval --model FILE | --server EP [--name NAME] | --truth | --frozen
 *            --world tabletop|rooms [--quick] --out DIR [options]
 *
 * Exit status: 0 the report was written; 1 the evaluation failed (the
 * message says why); 2 a usage error. */
#define _GNU_SOURCE /* getopt_long */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agents/c/pan_client.h"
#include "benchmarks/eval/eval.h"
#include "benchmarks/eval/eval_pictures.h"
#include "benchmarks/eval/eval_report.h"
#include "eval_build_commit.h" /* PAN_BUILD_COMMIT, generated */

static const char usage[] =
    "usage: pan-eval (--model FILE | --server EP [--name NAME] | --truth | --frozen)\n"
    "                --world tabletop|rooms [--quick] --out DIR [options]\n"
    "  --model FILE        a pan checkpoint, run in-process\n"
    "  --server EP         a model served by pan-server at EP (tcp://host:port)\n"
    "  --name NAME         the served model's name (default: the server's first)\n"
    "  --truth             the ground-truth world itself (validates the judges: 100%%)\n"
    "  --frozen            a model that repeats its first frame (the do-nothing baseline)\n"
    "  --world W           tabletop (default) or rooms\n"
    "  --quick             small case counts (CI; about a tenth of a full run)\n"
    "  --out DIR           writes DIR/report.json, DIR/report.md and pictures\n"
    "  --batch N           envs per model batch (default 16)\n"
    "  --backend B         compute backend of --model (auto, ref, openblas, onednn)\n"
    "  --threads N         its threads (default: all cores)\n"
    "  --fidelity-cases N  per split (default 300, quick 12)\n"
    "  --stepwise-cases N  per split (default 100, quick 12)\n"
    "  --rollout-cases N   consistency rollouts (default 8, quick 2)\n"
    "  --rollout-steps N   their length, 1..64 (default 64, quick 16)\n"
    "  --revisit-cases N   rooms (default 60, quick 8)\n"
    "  --planning-tasks N  structured tasks per planner (default 100, quick 4; 0: none)\n"
    "  --tolerance PX      fidelity tolerance (default 2 px at 64 px width)\n"
    "  --timeout MS        per request to --server (default 600000)\n"
    "  --no-pictures       skip the strips, GIFs and plots\n"
    "  --quiet             no progress lines\n";

static int parse_int(const char *s, const char *flag, int lo, int hi, int *out) {
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi) {
        fprintf(stderr, "pan-eval: %s wants an integer %d..%d, got '%s'\n", flag, lo, hi, s);
        return 2;
    }
    *out = (int)v;
    return 0;
}

/* The server's first model when --name is absent. */
static int first_served_model(const char *endpoint, int timeout, char *name, size_t size) {
    pan_client *c = NULL;
    pan_client_hello_result h;
    int rc = 0;
    if (pan_client_connect(endpoint, timeout, &c) != PAN_OK ||
        pan_client_hello(c, "pan-eval", &h) != PAN_OK) {
        fprintf(stderr, "pan-eval: --server %s: %s\n", endpoint,
                c ? pan_client_error_message(c) : pan_error_message());
        rc = 1;
    } else if (h.n_models == 0) {
        fprintf(stderr, "pan-eval: --server %s serves no models (start it with --model FILE)\n",
                endpoint);
        rc = 1;
    } else {
        snprintf(name, size, "%s", h.models[0]);
    }
    pan_client_destroy(c);
    return rc;
}

int main(int argc, char **argv) {
    static const struct option longs[] = {
        {"model", required_argument, NULL, 'm'},   {"server", required_argument, NULL, 'S'},
        {"name", required_argument, NULL, 'n'},    {"truth", no_argument, NULL, 't'},
        {"frozen", no_argument, NULL, 'f'},        {"world", required_argument, NULL, 'w'},
        {"quick", no_argument, NULL, 'q'},         {"out", required_argument, NULL, 'o'},
        {"batch", required_argument, NULL, 'b'},   {"backend", required_argument, NULL, 'B'},
        {"threads", required_argument, NULL, 'T'}, {"fidelity-cases", required_argument, NULL, 1},
        {"stepwise-cases", required_argument, NULL, 2}, {"rollout-cases", required_argument, NULL, 3},
        {"rollout-steps", required_argument, NULL, 4}, {"revisit-cases", required_argument, NULL, 5},
        {"tolerance", required_argument, NULL, 6}, {"timeout", required_argument, NULL, 7},
        {"no-pictures", no_argument, NULL, 8},     {"quiet", no_argument, NULL, 9},
        {"planning-tasks", required_argument, NULL, 10},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    pan_eval_subject_config sc = {.world = "tabletop", .world_config = pan_world_config_default()};
    pan_eval_config ec = {.world = "tabletop", .progress = stderr};
    const char *out = NULL, *name = NULL;
    int kinds = 0, rc = 0, pictures = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 'm': sc.kind = PAN_EVAL_SUBJECT_MODEL; sc.model_path = optarg; kinds++; break;
        case 'S': sc.kind = PAN_EVAL_SUBJECT_SERVER; sc.endpoint = optarg; kinds++; break;
        case 'n': name = optarg; break;
        case 't': sc.kind = PAN_EVAL_SUBJECT_WORLD; kinds++; break;
        case 'f': sc.kind = PAN_EVAL_SUBJECT_FROZEN; kinds++; break;
        case 'w': sc.world = ec.world = optarg; break;
        case 'q': ec.quick = true; break;
        case 'o': out = optarg; break;
        case 'b': rc = parse_int(optarg, "--batch", 1, 1024, &sc.capacity); break;
        case 'B': sc.backend = optarg; break;
        case 'T': rc = parse_int(optarg, "--threads", 1, 1024, &sc.threads); break;
        case 1: rc = parse_int(optarg, "--fidelity-cases", 1, 1 << 20, &ec.fidelity_cases); break;
        case 2: rc = parse_int(optarg, "--stepwise-cases", 1, 1 << 20, &ec.stepwise_cases); break;
        case 3: rc = parse_int(optarg, "--rollout-cases", 1, 1 << 20, &ec.rollout_cases); break;
        case 4: rc = parse_int(optarg, "--rollout-steps", 1, PAN_EVAL_MAX_ROLLOUT, &ec.rollout_steps); break;
        case 5: rc = parse_int(optarg, "--revisit-cases", 1, 1 << 20, &ec.revisit_cases); break;
        case 6: {
            char *end = NULL;
            ec.tolerance_px = strtof(optarg, &end);
            if (*end || !(ec.tolerance_px > 0 && ec.tolerance_px < 1000)) {
                fprintf(stderr, "pan-eval: --tolerance wants pixels > 0, got '%s'\n", optarg);
                rc = 2;
            }
            break;
        }
        case 7: rc = parse_int(optarg, "--timeout", 1, 1 << 30, &sc.timeout_ms); break;
        case 8: pictures = 0; break;
        case 9: ec.progress = NULL; break;
        case 10:
            rc = parse_int(optarg, "--planning-tasks", 0, 1 << 20, &ec.planning_tasks);
            if (!rc && ec.planning_tasks == 0) ec.planning_tasks = -1;
            break;
        case 'h': fputs(usage, stdout); return 0;
        default:
            fprintf(stderr, "pan-eval: unknown or incomplete option '%s'\n%s", argv[optind - 1],
                    usage);
            return 2;
        }
        if (rc) return rc;
    }
    if (optind < argc) {
        fprintf(stderr, "pan-eval: unexpected argument '%s'\n%s", argv[optind], usage);
        return 2;
    }
    if (kinds != 1 || !out) {
        fprintf(stderr, "pan-eval: give exactly one of --model, --server, --truth, --frozen, "
                        "and --out\n%s", usage);
        return 2;
    }
    if (name && sc.kind != PAN_EVAL_SUBJECT_SERVER) {
        fprintf(stderr, "pan-eval: --name names a served model; it needs --server\n");
        return 2;
    }
    if (strcmp(ec.world, "tabletop") && strcmp(ec.world, "rooms")) {
        fprintf(stderr, "pan-eval: --world wants tabletop or rooms, got '%s'\n", ec.world);
        return 2;
    }
    if (mkdir(out, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "pan-eval: --out %s: %s\n", out, strerror(errno));
        return 1;
    }
    char served[128];
    if (sc.kind == PAN_EVAL_SUBJECT_SERVER) {
        if (!name) {
            if ((rc = first_served_model(sc.endpoint, sc.timeout_ms > 0 ? sc.timeout_ms : 10000,
                                         served, sizeof served)))
                return rc;
            name = served;
        }
        sc.model_name = name;
    }
    char command[1024];
    size_t used = 0;
    command[0] = 0;
    for (int i = 0; i < argc && used < sizeof command; i++)
        used += (size_t)snprintf(command + used, sizeof command - used, "%s%s", i ? " " : "",
                                 argv[i]);

    pan_eval_subject *s = NULL;
    if (pan_eval_subject_create(&sc, &s) != PAN_OK) {
        fprintf(stderr, "pan-eval: %s\n", pan_error_message());
        return 1;
    }
    pan_eval_result *res = calloc(1, sizeof *res);
    pan_eval_capture cap;
    pan_eval_config resolved =
        pan_eval_config_resolve(&ec, pan_eval_subject_world_config(s).width);
    if (pictures && pan_eval_capture_init(&cap, &resolved, pan_eval_subject_world_config(s)) != PAN_OK)
        pictures = 0;
    if (pictures) resolved.capture = &cap;
    if (!res || pan_eval_run(&resolved, s, res) != PAN_OK) {
        fprintf(stderr, "\npan-eval: %s\n", res ? pan_error_message() : "out of memory");
        rc = 1;
        goto done;
    }
    pan_eval_report_meta meta = {.command = command,
                                 .config_json = pan_eval_subject_config_json(s),
                                 .config = &resolved};
    pan_eval_meta_fill(&meta, PAN_BUILD_COMMIT);
    if (pictures && pan_eval_pictures_write(out, &cap, res, &meta) != PAN_OK)
        fprintf(stderr, "pan-eval: pictures: %s (the report is written without them)\n",
                pan_error_message());
    if (pan_eval_report_write(out, res, &meta) != PAN_OK) {
        fprintf(stderr, "pan-eval: %s\n", pan_error_message());
        rc = 1;
        goto done;
    }
    /* the plots read report.json; then the report lists them */
    if (pictures) {
        if (pan_eval_plots_write(out, PAN_SOURCE_DIR, &meta) != PAN_OK)
            fprintf(stderr, "pan-eval: %s (the report has no plots)\n", pan_error_message());
        else if (pan_eval_report_write(out, res, &meta) != PAN_OK) {
            fprintf(stderr, "pan-eval: %s\n", pan_error_message());
            rc = 1;
            goto done;
        }
    }
    printf("pan-eval: %s on %s: fidelity pass train %.1f%% / held-out %.1f%%, step-wise "
           "%.1f%% / %.1f%%, consistency SSIM %.3f; wrote %s/report.md and report.json\n",
           pan_eval_subject_describe(s), res->world, 100 * res->fidelity[0].pass.mean,
           100 * res->fidelity[1].pass.mean, 100 * res->stepwise[0].mean,
           100 * res->stepwise[1].mean, res->consistency.w_ssim.mean, out);
done:
    if (pictures) pan_eval_capture_free(&cap);
    free(res);
    pan_eval_subject_destroy(s);
    return rc;
}
