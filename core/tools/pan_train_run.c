/* core/tools/pan_train_run.c: `pan-train run` -- starts or resumes a
 * training run (core/tools/train_run.h), prints its progress, logs it,
 * checkpoints it every N steps and on SIGINT/SIGTERM.
 *
 *   pan-train run --config FILE [--set KEY=VALUE]... --out DIR
 *   pan-train run --set KEY=VALUE... --out DIR
 *   pan-train run --resume DIR|STATE
 *   (each also [--backend NAME] [--threads T] [--stop-after N]
 *    [--dump-actions FILE] [--quiet])
 *
 * Exit codes: 0 done (or stopped by a signal after checkpointing), 1
 * failure, 2 usage. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/tools/pan_train_commands.h"
#include "core/tools/text_file.h"
#include "core/tools/train_run.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

static const char usage[] =
    "usage: pan-train run --config FILE [--set KEY=VALUE]... --out DIR\n"
    "       pan-train run --resume DIR|STATE\n"
    "         [--backend NAME] [--threads T] [--stop-after N]\n"
    "         [--dump-actions FILE] [--quiet]\n"
    "\n"
    "Trains one stage (vae, decoder or glp; docs/training.md) as the run\n"
    "configuration says: the starting checkpoint, the data, the optimizer\n"
    "and the schedule. --print-config shows every key with its default;\n"
    "a file need only name what differs, and --set KEY=VALUE overrides one\n"
    "key (VALUE is JSON, or a bare word for a string).\n"
    "\n"
    "DIR receives state-<step>.safetensors every every.checkpoint steps, at\n"
    "the end and on SIGINT/SIGTERM (the newest two are kept), log.jsonl,\n"
    "run.json and model.safetensors (the EMA weights: a pan checkpoint that\n"
    "pan-server --model serves). --resume continues exactly where the state\n"
    "stopped, even after a kill: the same backend and thread count give\n"
    "the weights of an uninterrupted run, bit for bit.\n"
    "\n"
    "  --config FILE       run configuration JSON\n"
    "  --set KEY=VALUE     override one key (repeatable)\n"
    "  --out DIR           the run directory (created; must hold no state)\n"
    "  --resume PATH       a run directory (its newest state) or a state file\n"
    "  --print-config      print the merged configuration and exit\n"
    "  --backend NAME      ref | openblas | onednn | auto (default)\n"
    "  --threads T         threads, default: PAN_NUM_THREADS or the cores\n"
    "  --stop-after N      stop (with a checkpoint) after N steps of this\n"
    "                      invocation\n"
    "  --dump-actions FILE append every action of every batch to FILE, one\n"
    "                      per line: 1 if the world's parser calls it held\n"
    "                      out (or not understood), else 0, then the text\n"
    "  --quiet             no progress lines\n"
    "  --help              this text\n";

static volatile sig_atomic_t stop_signal = 0;

static void on_signal(int sig) { stop_signal = sig; }

typedef struct run_args {
    const char *config, *out, *resume, *backend, *dump;
    char **sets;
    int nsets, threads;
    int64_t stop_after;
    bool print_config, quiet;
} run_args;

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "pan-train run: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see pan-train run --help)\n");
    return EXIT_USAGE;
}

static bool parse_count(const char *s, int64_t lo, int64_t hi, int64_t *out) {
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || !end || *end || end == s || v < lo || v > hi) return false;
    *out = v;
    return true;
}

static int parse_args(int argc, char **argv, run_args *a) {
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'},   {"set", required_argument, 0, 'S'},
        {"out", required_argument, 0, 'o'},      {"resume", required_argument, 0, 'r'},
        {"backend", required_argument, 0, 'B'},  {"threads", required_argument, 0, 't'},
        {"stop-after", required_argument, 0, 'n'},
        {"dump-actions", required_argument, 0, 'd'},
        {"print-config", no_argument, 0, 'p'},   {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
    optind = 2;
    opterr = 0;
    int o;
    int64_t v;
    while ((o = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (o) {
        case 'c': a->config = optarg; break;
        case 'S': a->sets[a->nsets++] = optarg; break;
        case 'o': a->out = optarg; break;
        case 'r': a->resume = optarg; break;
        case 'B': a->backend = optarg; break;
        case 'd': a->dump = optarg; break;
        case 'p': a->print_config = true; break;
        case 'q': a->quiet = true; break;
        case 't':
            if (!parse_count(optarg, 1, 256, &v))
                return usage_error("--threads must be 1..256, got '%s'", optarg);
            a->threads = (int)v;
            break;
        case 'n':
            if (!parse_count(optarg, 1, INT64_MAX, &v))
                return usage_error("--stop-after must be a positive integer, got '%s'", optarg);
            a->stop_after = v;
            break;
        case 'h': fputs(usage, stdout); return -1;
        case ':': return usage_error("%s needs a value", argv[optind - 1]);
        default: return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return usage_error("unexpected argument '%s'", argv[optind]);
    if (a->print_config) return EXIT_OK;
    if (a->resume && (a->config || a->nsets || a->out))
        return usage_error("%s", "--resume takes the run's own configuration: "
                                 "no --config, --set or --out with it");
    if (!a->resume && !a->out)
        return usage_error("%s", "--out DIR (a new run) or --resume PATH is required");
    return EXIT_OK;
}


static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void clock_text(double s, char *buf, size_t size) {
    if (!(s >= 0.0) || s > 1e8) {
        snprintf(buf, size, "?");
        return;
    }
    long t = (long)(s + 0.5);
    snprintf(buf, size, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

/* The "elapsed_s" of the log's last line (0 without one): a resumed run
 * keeps counting. */
static double logged_elapsed(const char *log) {
    const char *end = log + strlen(log);
    while (end > log && end[-1] == '\n') end--;
    const char *start = end;
    while (start > log && start[-1] != '\n') start--;
    if (start == end) return 0.0;
    json_t *line = json_loadb(start, (size_t)(end - start), 0, NULL);
    double s = json_number_value(json_object_get(line, "elapsed_s"));
    json_decref(line);
    return s;
}

typedef struct interval {
    double loss, grad_norm, start_s;
    int64_t steps, samples;
} interval;

static pan_status log_interval(pan_trainer *t, const pan_train_report *r,
                               interval *iv, double elapsed, bool tty, bool quiet) {
    double dt = now_s() - iv->start_s;
    double rate = dt > 0 ? (double)iv->samples / dt : 0.0;
    double per_step = iv->steps ? dt / (double)iv->steps : 0.0;
    double loss = iv->loss / (double)iv->steps, gn = iv->grad_norm / (double)iv->steps;
    char line[512];
    snprintf(line, sizeof line,
             "{\"step\": %" PRId64 ", \"loss\": %.9g, \"grad_norm\": %.6g, "
             "\"lr\": %.6g, \"samples_per_s\": %.4g, \"elapsed_s\": %.1f, "
             "\"cursor\": %" PRIu64 "}",
             r->step, loss, gn, r->lr, rate, elapsed, r->cursor);
    pan_status st = pan_trainer_log_line(t, line);
    if (!quiet) {
        char el[32], eta[32];
        clock_text(elapsed, el, sizeof el);
        clock_text(per_step * (double)(r->total - r->step), eta, sizeof eta);
        fprintf(stderr, "%sstep %" PRId64 "/%" PRId64 "  loss %.5g  grad %.3g  "
                "lr %.3g  %.3g samples/s  elapsed %s  eta %s%s",
                tty ? "\r\033[K" : "", r->step, r->total, loss, gn, r->lr, rate,
                el, eta, tty ? "" : "\n");
        fflush(stderr);
    }
    *iv = (interval){.start_s = now_s()};
    return st;
}

/* every.eval: the evaluation's line goes into the log. */
static pan_status evaluate(pan_trainer *t, const pan_train_report *r,
                           const run_args *a, bool tty) {
    const pan_run_config *rc = pan_trainer_config(t);
    char line[1024];
    pan_status st = pan_train_eval_line(pan_trainer_compute(t), pan_trainer_dir(t),
                                        rc->world, rc->stage != PAN_STAGE_VAE,
                                        r->step, pan_compute_threads(pan_trainer_compute(t)),
                                        line, sizeof line);
    if (st != PAN_OK) return st;
    if (!a->quiet) {
        fprintf(stderr, "%seval %s\n", tty ? "\r\033[K" : "", line);
        fflush(stderr);
    }
    return pan_trainer_log_line(t, line);
}

static pan_status train(pan_trainer *t, const run_args *a, double elapsed0) {
    const pan_run_config *rc = pan_trainer_config(t);
    bool tty = isatty(fileno(stderr));
    FILE *dump = NULL;
    if (a->dump && !(dump = fopen(a->dump, "ab")))
        return pan_error_set(PAN_ERR_IO, "--dump-actions %s: %s", a->dump, strerror(errno));
    pan_trainer_set_action_sink(t, dump);
    double t0 = now_s();
    interval iv = {.start_s = t0};
    int64_t done_here = 0;
    pan_status st = PAN_OK;
    while (st == PAN_OK && pan_trainer_steps_done(t) < rc->steps && !stop_signal &&
           !(a->stop_after && done_here >= a->stop_after)) {
        pan_train_report r;
        st = pan_trainer_step(t, &r);
        if (st != PAN_OK) break;
        done_here++;
        iv.loss += r.loss;
        iv.grad_norm += r.grad_norm;
        iv.steps++;
        iv.samples += r.samples;
        if (!isfinite(r.loss)) {
            st = pan_error_set(PAN_ERR_INTERNAL,
                               "step %" PRId64 ": the loss is %g; stopping without "
                               "a checkpoint (the last state is intact)",
                               r.step, r.loss);
            break;
        }
        bool last = r.step == rc->steps;
        if (r.step % rc->log_every == 0 || last)
            st = log_interval(t, &r, &iv, elapsed0 + now_s() - t0, tty, a->quiet);
        /* an evaluation reads the exported model and its line goes into
         * the state written after it */
        if (st == PAN_OK && rc->eval_every && (r.step % rc->eval_every == 0 || last) &&
            rc->source == PAN_RUN_SOURCE_WORLD) {
            st = pan_trainer_export(t);
            if (st == PAN_OK) st = evaluate(t, &r, a, tty);
        }
        if (st == PAN_OK && (r.step % rc->checkpoint_every == 0 || last))
            st = pan_trainer_checkpoint(t);
    }
    if (st == PAN_OK && (stop_signal || a->stop_after) &&
        pan_trainer_steps_done(t) < rc->steps)
        st = pan_trainer_checkpoint(t);
    if (tty && !a->quiet) fputc('\n', stderr);
    pan_trainer_set_action_sink(t, NULL);
    if (dump && fclose(dump) != 0 && st == PAN_OK)
        st = pan_error_set(PAN_ERR_IO, "--dump-actions %s: %s", a->dump, strerror(errno));
    return st;
}

int pan_train_run_command(int argc, char **argv) {
    run_args a = {0};
    a.sets = calloc((size_t)argc + 1, sizeof *a.sets);
    if (!a.sets) return EXIT_FAIL;
    int rc = parse_args(argc, argv, &a);
    if (rc != EXIT_OK) {
        free(a.sets);
        return rc < 0 ? EXIT_OK : rc;
    }
    pan_run_config config;
    char *canonical = NULL, *file = NULL;
    pan_status st = PAN_OK;
    if (!a.resume) {
        if (a.config && !(file = pan_text_file_read(a.config))) st = PAN_ERR_NOT_FOUND;
        if (st == PAN_OK)
            st = pan_run_config_build(file, a.config ? a.config : "run configuration",
                                      a.sets, a.nsets, &config, &canonical);
        free(file);
        if (st == PAN_OK && a.print_config) {
            fputs(canonical, stdout);
            fputc('\n', stdout);
            free(canonical);
            free(a.sets);
            return EXIT_OK;
        }
        if (st != PAN_OK) {
            fprintf(stderr, "pan-train run: %s\n", pan_error_message());
            free(a.sets);
            return st == PAN_ERR_INVALID_ARGUMENT ? EXIT_USAGE : EXIT_FAIL;
        }
    }
    pan_compute *c = NULL;
    pan_trainer *t = NULL;
    st = pan_compute_create(&c, &(pan_compute_options){.backend = a.backend,
                                                       .n_threads = a.threads});
    if (st == PAN_OK)
        st = a.resume ? pan_trainer_resume(&t, c, a.resume)
                      : pan_trainer_start(&t, c, &config, canonical, a.out);
    free(canonical);
    if (st == PAN_OK) {
        const pan_run_config *r = pan_trainer_config(t);
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        if (!a.quiet) {
            fprintf(stderr, "pan-train run: stage %s, %s%s, batch %d x %d, %" PRId64
                    " steps, backend %s, %d threads, run %s\n",
                    pan_train_stage_name(r->stage),
                    r->source == PAN_RUN_SOURCE_WORLD ? "world " : "episodes ",
                    r->source == PAN_RUN_SOURCE_WORLD ? r->world : r->episodes,
                    r->batch, r->accumulate, r->steps, pan_compute_backend_name(c),
                    pan_compute_threads(c), pan_trainer_dir(t));
            if (a.resume)
                fprintf(stderr, "  resumed from %s at step %" PRId64 "\n",
                        pan_trainer_resumed_from(t), pan_trainer_steps_done(t));
        }
        st = train(t, &a, logged_elapsed(pan_trainer_log(t)));
    }
    if (st == PAN_OK && !a.quiet) {
        const pan_run_config *r = pan_trainer_config(t);
        if (pan_trainer_steps_done(t) < r->steps)
            fprintf(stderr, "pan-train run: stopped at step %" PRId64 " of %" PRId64
                    " with a checkpoint; continue with pan-train run --resume %s\n",
                    pan_trainer_steps_done(t), r->steps, pan_trainer_dir(t));
        else
            fprintf(stderr, "pan-train run: done, %" PRId64 " steps; model: %s/model.safetensors\n",
                    r->steps, pan_trainer_dir(t));
    }
    if (st != PAN_OK) fprintf(stderr, "pan-train run: %s\n", pan_error_message());
    pan_trainer_destroy(t);
    pan_compute_destroy(c);
    free(a.sets);
    return st == PAN_OK ? EXIT_OK : EXIT_FAIL;
}
