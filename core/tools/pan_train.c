/* core/tools/pan_train.c: the pan-train command: dispatches `run`
 * (pan_train_run.c) and `plot` (pan_train_plot.c), and holds `pan-train
 * loss`: the loss of one stage (docs/training.md) on a deterministic
 * batch drawn from a seed, and optionally every gradient.
 *
 *   pan-train loss --checkpoint FILE --stage vae|decoder|glp [--seed N]
 *                  [--batch B] [--rounds R] [--window first|pair]
 *                  [--world tabletop|rooms] [--kl-weight W] [--grads OUT]
 *                  [--data-checkpoint FILE] [--backend NAME] [--threads T]
 *
 * Exit codes: 0 ok, 1 failure, 2 usage. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/compute.h"
#include "core/model/model.h"
#include "core/safetensors.h"
#include "core/tools/pan_train_commands.h"
#include "core/tools/train_batch.h"
#include "core/train/grads.h"
#include "core/train/stages.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, HELP_SHOWN = -1 };

static const char usage[] =
    "usage: pan-train loss --checkpoint FILE --stage vae|decoder|glp\n"
    "                      [--seed N] [--batch B] [--rounds R]\n"
    "                      [--window first|pair] [--world tabletop|rooms]\n"
    "                      [--kl-weight W] [--grads OUT]\n"
    "                      [--data-checkpoint FILE] [--backend NAME]\n"
    "                      [--threads T]\n"
    "\n"
    "Computes the loss of one training stage (docs/training.md) on a batch\n"
    "drawn deterministically from --seed: episodes of the ground-truth\n"
    "world (train-split actions) at the model's frame size, encoded by the\n"
    "model's own VAE, every noise from the same seed. Prints the loss on\n"
    "stdout ('loss VALUE'); with --grads, writes the gradient of every\n"
    "parameter to a safetensors file (the parameter names of the\n"
    "checkpoint). The same arguments give the same loss and gradients.\n"
    "\n"
    "  --checkpoint FILE   a pan checkpoint (pan-init writes one)\n"
    "  --stage S           vae | decoder | glp\n"
    "  --seed N            batch seed, default 1\n"
    "  --batch B           items, default 2\n"
    "  --rounds R          glp: rounds per sequence, default 3\n"
    "  --window W          decoder: first | pair (default)\n"
    "  --world NAME        tabletop (default) | rooms\n"
    "  --kl-weight W       vae: the KL term's weight, default 0.001\n"
    "  --grads OUT         write every gradient to OUT (safetensors)\n"
    "  --data-checkpoint FILE  the model that makes the batch's data: its\n"
    "                      VAE encodes the frames and (glp) its backbone\n"
    "                      computes the previous predictions p_r, which the\n"
    "                      stage holds fixed; default the --checkpoint. Same\n"
    "                      configuration required. With it, perturbing a\n"
    "                      parameter of --checkpoint alone moves the loss by\n"
    "                      exactly the gradient's share.\n"
    "  --backend NAME      ref | openblas | onednn | auto (default)\n"
    "  --threads T         threads, default: PAN_NUM_THREADS or the cores\n"
    "  --help              this text\n";

typedef struct train_args {
    const char *checkpoint, *data_checkpoint, *grads, *world, *backend;
    pan_train_stage stage;
    bool have_stage;
    uint64_t seed;
    int batch, rounds, threads;
    pan_window_kind window;
    float kl_weight;
    bool have_kl;
} train_args;

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "pan-train: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see pan-train --help)\n");
    return EXIT_USAGE;
}

static bool parse_int(const char *s, long lo, long hi, long *out) {
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || !end || *end || end == s || v < lo || v > hi) return false;
    *out = v;
    return true;
}

static int parse_args(int argc, char **argv, train_args *a) {
    static const struct option opts[] = {
        {"checkpoint", required_argument, 0, 'c'}, {"stage", required_argument, 0, 's'},
        {"seed", required_argument, 0, 'S'},       {"batch", required_argument, 0, 'b'},
        {"rounds", required_argument, 0, 'r'},     {"window", required_argument, 0, 'w'},
        {"world", required_argument, 0, 'W'},      {"kl-weight", required_argument, 0, 'k'},
        {"grads", required_argument, 0, 'g'},      {"backend", required_argument, 0, 'B'},
        {"threads", required_argument, 0, 't'},    {"help", no_argument, 0, 'h'},
        {"data-checkpoint", required_argument, 0, 'd'},
        {0, 0, 0, 0}};
    *a = (train_args){.world = "tabletop", .seed = 1, .batch = 2, .rounds = 3,
                      .window = PAN_WINDOW_PAIR};
    optind = 2; /* argv[1] is the subcommand */
    int o;
    long v;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'c': a->checkpoint = optarg; break;
        case 'd': a->data_checkpoint = optarg; break;
        case 'g': a->grads = optarg; break;
        case 'W': a->world = optarg; break;
        case 'B': a->backend = optarg; break;
        case 's':
            a->have_stage = true;
            if (strcmp(optarg, "vae") == 0) a->stage = PAN_STAGE_VAE;
            else if (strcmp(optarg, "decoder") == 0) a->stage = PAN_STAGE_DECODER;
            else if (strcmp(optarg, "glp") == 0) a->stage = PAN_STAGE_GLP;
            else return usage_error("--stage must be vae, decoder or glp, got '%s'", optarg);
            break;
        case 'S': {
            char *end = NULL;
            errno = 0;
            unsigned long long s = strtoull(optarg, &end, 10);
            if (errno || !end || *end || end == optarg || optarg[0] == '-')
                return usage_error("--seed must be a non-negative integer, got '%s'", optarg);
            a->seed = (uint64_t)s;
            break;
        }
        case 'b':
            if (!parse_int(optarg, 1, 256, &v))
                return usage_error("--batch must be 1..256, got '%s'", optarg);
            a->batch = (int)v;
            break;
        case 'r':
            if (!parse_int(optarg, 1, PAN_TRAIN_BATCH_MAX_ROUNDS, &v))
                return usage_error("--rounds must be 1..64, got '%s'", optarg);
            a->rounds = (int)v;
            break;
        case 't':
            if (!parse_int(optarg, 1, 256, &v))
                return usage_error("--threads must be 1..256, got '%s'", optarg);
            a->threads = (int)v;
            break;
        case 'w':
            if (strcmp(optarg, "first") == 0) a->window = PAN_WINDOW_FIRST;
            else if (strcmp(optarg, "pair") == 0) a->window = PAN_WINDOW_PAIR;
            else return usage_error("--window must be first or pair, got '%s'", optarg);
            break;
        case 'k': {
            char *end = NULL;
            double k = strtod(optarg, &end);
            if (!end || *end || end == optarg || !(k >= 0.0) || !isfinite(k))
                return usage_error("--kl-weight must be a finite number >= 0, got '%s'", optarg);
            a->kl_weight = (float)k;
            a->have_kl = true;
            break;
        }
        case 'h': fputs(usage, stdout); return HELP_SHOWN;
        default: return usage_error("%s", "bad arguments");
        }
    }
    if (optind < argc) return usage_error("unexpected argument '%s'", argv[optind]);
    if (!a->checkpoint) return usage_error("%s", "--checkpoint FILE is required");
    if (!a->have_stage) return usage_error("%s", "--stage vae|decoder|glp is required");
    return EXIT_OK;
}

static pan_status evaluate(pan_compute *c, const pan_model *m,
                           const train_args *a, const pan_train_batch *b,
                           pan_grads *g, double *loss) {
    pan_model_weights *gw = g ? &g->w : NULL;
    pan_status st;
    if (a->stage == PAN_STAGE_VAE) {
        pan_vae_stage *s = NULL;
        st = pan_vae_stage_create(&s, &m->config, b->batch);
        if (st == PAN_OK)
            st = pan_vae_stage_loss(c, m, s, b->batch, b->images, b->eps,
                                    a->have_kl ? a->kl_weight : b->kl_weight,
                                    NULL, gw, loss);
        pan_vae_stage_destroy(s);
    } else if (a->stage == PAN_STAGE_DECODER) {
        pan_decoder_stage *s = NULL;
        st = pan_decoder_stage_create(&s, &m->config, b->batch);
        if (st == PAN_OK)
            st = pan_decoder_stage_loss(c, m, s, b->kind, b->batch, b->x1, b->x0,
                                        b->k, b->actions, b->state_latents, NULL,
                                        gw, loss);
        pan_decoder_stage_destroy(s);
    } else {
        pan_glp_stage *s = NULL;
        st = pan_glp_stage_create(&s, &m->config, b->batch, b->rounds);
        if (st == PAN_OK)
            st = pan_glp_stage_loss(c, m, s, b->batch, b->rounds, b->z0, b->chunks,
                                    b->actions, b->prev, b->windows, NULL, gw, loss);
        pan_glp_stage_destroy(s);
    }
    return st;
}

static pan_status write_grads(const char *path, const pan_model *m,
                              const pan_grads *g, const train_args *a,
                              double loss) {
    const pan_param_table *t = &m->params;
    pan_st_write_tensor *tensors = calloc((size_t)t->count, sizeof *tensors);
    if (!tensors)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "pan-train: out of memory for %d tensors", t->count);
    for (int i = 0; i < t->count; i++)
        tensors[i] = (pan_st_write_tensor){.name = t->entries[i].name,
                                           .ndim = t->entries[i].ndim,
                                           .shape = t->entries[i].shape,
                                           .data = g->block + t->entries[i].offset};
    static const char *stages[] = {"vae", "decoder", "glp"};
    char seed[32], value[64];
    snprintf(seed, sizeof seed, "%" PRIu64, a->seed);
    snprintf(value, sizeof value, "%.17g", loss);
    pan_st_meta meta[] = {{"pan.gradients_of", a->checkpoint},
                          {"pan.stage", stages[a->stage]},
                          {"pan.seed", seed},
                          {"pan.loss", value}};
    pan_status st = pan_safetensors_write(path, tensors, t->count, meta, 4);
    free(tensors);
    return st;
}

static int loss_command(int argc, char **argv) {
    train_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc == HELP_SHOWN) return EXIT_OK;
    if (rc != EXIT_OK) return rc;
    pan_model *m = NULL;
    pan_compute *c = NULL;
    pan_grads *g = NULL;
    pan_train_batch batch = {0};
    double loss = 0.0;
    pan_model *data = NULL;
    pan_status st = pan_model_load(&m, a.checkpoint);
    if (st == PAN_OK && a.data_checkpoint) {
        st = pan_model_load(&data, a.data_checkpoint);
        if (st == PAN_OK && memcmp(&data->config, &m->config, sizeof m->config))
            st = pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                               "--data-checkpoint %s has another configuration "
                               "than --checkpoint %s", a.data_checkpoint,
                               a.checkpoint);
    }
    if (st == PAN_OK)
        st = pan_compute_create(&c, &(pan_compute_options){.backend = a.backend,
                                                           .n_threads = a.threads});
    if (st == PAN_OK)
        st = pan_train_batch_draw(c, data ? data : m, a.world, a.stage, a.seed,
                                  a.batch, a.rounds, a.window, &batch);
    if (st == PAN_OK && a.grads) st = pan_grads_create(&g, m);
    if (st == PAN_OK) st = evaluate(c, m, &a, &batch, g, &loss);
    if (st == PAN_OK && a.grads) st = write_grads(a.grads, m, g, &a, loss);
    if (st == PAN_OK) {
        static const char *stages[] = {"vae", "decoder", "glp"};
        fprintf(stderr, "pan-train loss: stage %s, world %s, seed %" PRIu64
                ", batch %d, rounds %d, backend %s, %d threads\n",
                stages[a.stage], a.world, a.seed, batch.batch, batch.rounds,
                pan_compute_backend_name(c), pan_compute_threads(c));
        printf("loss %.17g\n", loss);
        if (a.grads) fprintf(stderr, "  gradients: %s\n", a.grads);
    } else {
        fprintf(stderr, "pan-train loss: %s\n", pan_error_message());
    }
    pan_train_batch_free(&batch);
    pan_grads_destroy(g);
    pan_compute_destroy(c);
    pan_model_destroy(data);
    pan_model_destroy(m);
    return st == PAN_OK ? EXIT_OK : EXIT_FAIL;
}

static const char overview[] =
    "usage: pan-train run  --config FILE [--set KEY=VALUE]... --out DIR\n"
    "       pan-train run  --resume DIR\n"
    "       pan-train plot DIR [--out FILE.png]\n"
    "       pan-train loss --checkpoint FILE --stage vae|decoder|glp ...\n"
    "\n"
    "Trains pan's world model in stages (docs/training.md): `run` trains\n"
    "one stage and resumes exactly after any interruption, `plot` draws a\n"
    "run's learning curves, `loss` computes one stage's loss and gradients\n"
    "on a batch drawn from a seed. `pan-train COMMAND --help` for more.\n";

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(overview, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (strcmp(argv[1], "loss") == 0) return loss_command(argc, argv);
    if (strcmp(argv[1], "run") == 0) return pan_train_run_command(argc, argv);
    if (strcmp(argv[1], "plot") == 0) return pan_train_plot_command(argc, argv);
    return usage_error("unknown command '%s' (commands: run, plot, loss)", argv[1]);
}
