/* core/tools/pan_init.c: the pan-init command -- writes an untrained,
 * randomly initialised GLP checkpoint (docs/model.md, "Initialisation").
 *
 *   pan-init --out FILE [--config JSON_FILE] [--seed N] [--set KEY=VALUE]...
 *   pan-init --print-config [--config JSON_FILE] [--set KEY=VALUE]...
 *
 * Exit codes: 0 ok, 1 failure, 2 usage. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/model.h"
#include "core/tools/text_file.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

static const char usage[] =
    "usage: pan-init --out FILE [--config JSON_FILE] [--seed N]\n"
    "                [--set KEY=VALUE]...\n"
    "       pan-init --print-config [--config JSON_FILE] [--set KEY=VALUE]...\n"
    "\n"
    "Writes an untrained GLP checkpoint with random weights (metadata\n"
    "pan.trained=false). The configuration is the default one\n"
    "(--print-config shows it), or the JSON file given with --config, with\n"
    "each --set applied, e.g. --set backbone.layers=2 --set\n"
    "vae.channel_mult=[1,2]. Values are JSON; KEY must name an existing field.\n"
    "\n"
    "  --out FILE          checkpoint to write (atomically)\n"
    "  --config JSON_FILE  full configuration JSON (docs/model.md)\n"
    "  --seed N            random seed, default 1\n"
    "  --set KEY=VALUE     override one field (repeatable)\n"
    "  --print-config      print the configuration JSON and exit\n"
    "  --help              this text\n";

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "pan-init: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see pan-init --help)\n");
    return EXIT_USAGE;
}


/* Applies "a.b.c=VALUE" to the JSON object `root`. */
static int apply_set(json_t *root, const char *assignment) {
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return usage_error("--set %s: expected KEY=VALUE", assignment);
    char key[256];
    snprintf(key, sizeof key, "%.*s", (int)(eq - assignment), assignment);
    json_t *value = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
    if (!value) value = json_string(eq + 1); /* bare word: a string */
    json_t *obj = root;
    char *save = NULL;
    char path[256];
    snprintf(path, sizeof path, "%s", key);
    char *part = strtok_r(path, ".", &save);
    while (part) {
        char *next = strtok_r(NULL, ".", &save);
        json_t *child = json_is_object(obj) ? json_object_get(obj, part) : NULL;
        if (!child) {
            json_decref(value);
            fprintf(stderr, "pan-init: --set %s: the configuration has no "
                            "field '%s'\n(see pan-init --print-config)\n",
                    assignment, key);
            return EXIT_USAGE;
        }
        if (!next) {
            json_object_set_new(obj, part, value);
            return EXIT_OK;
        }
        obj = child;
        part = next;
    }
    json_decref(value);
    return usage_error("--set %s: empty key", assignment);
}

/* The configuration from --config (or the defaults) with every --set. */
static int build_config(const char *config_path, char **sets, int nsets,
                        pan_model_config *cfg) {
    char *text = NULL;
    if (config_path) {
        text = pan_text_file_read(config_path);
        if (!text) fprintf(stderr, "pan-init: config file: %s\n", pan_error_message());
    } else {
        pan_model_config_default(cfg);
        text = pan_model_config_to_json(cfg);
    }
    if (!text) return EXIT_FAIL;
    char where[512];
    snprintf(where, sizeof where, "%s%s",
             config_path ? config_path : "default configuration",
             nsets ? " with --set" : "");
    json_error_t err;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    free(text);
    if (!root) {
        fprintf(stderr, "pan-init: %s: invalid JSON at line %d column %d: %s\n",
                where, err.line, err.column, err.text);
        return EXIT_FAIL;
    }
    for (int i = 0; i < nsets; i++) {
        int rc = apply_set(root, sets[i]);
        if (rc != EXIT_OK) {
            json_decref(root);
            return rc;
        }
    }
    char *merged = json_dumps(root, JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!merged) {
        fprintf(stderr, "pan-init: out of memory\n");
        return EXIT_FAIL;
    }
    pan_status st = pan_model_config_from_json(cfg, merged, strlen(merged),
                                               where);
    free(merged);
    if (st != PAN_OK) {
        fprintf(stderr, "pan-init: %s\n", pan_error_message());
        return nsets ? EXIT_USAGE : EXIT_FAIL;
    }
    return EXIT_OK;
}

int main(int argc, char **argv) {
    static const struct option options[] = {
        {"out", required_argument, NULL, 'o'},
        {"config", required_argument, NULL, 'c'},
        {"seed", required_argument, NULL, 's'},
        {"set", required_argument, NULL, 'S'},
        {"print-config", no_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *out = NULL, *config_path = NULL;
    uint64_t seed = 1;
    int print_config = 0, nsets = 0;
    char **sets = calloc((size_t)argc + 1, sizeof *sets);
    if (!sets) return EXIT_FAIL;
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":o:c:s:S:ph", options, NULL)) != -1) {
        char *end = NULL;
        switch (opt) {
        case 'o': out = optarg; break;
        case 'c': config_path = optarg; break;
        case 's':
            errno = 0;
            seed = strtoull(optarg, &end, 0);
            if (errno || end == optarg || *end || optarg[0] == '-') {
                free(sets);
                return usage_error("--seed %s: expected a non-negative "
                                   "integer", optarg);
            }
            break;
        case 'S': sets[nsets++] = optarg; break;
        case 'p': print_config = 1; break;
        case 'h': fputs(usage, stdout); free(sets); return EXIT_OK;
        case ':':
            free(sets);
            return usage_error("%s: missing its value", argv[optind - 1]);
        default:
            free(sets);
            return usage_error("unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc) {
        free(sets);
        return usage_error("unexpected argument %s", argv[optind]);
    }
    if (!out && !print_config) {
        free(sets);
        return usage_error("%s", "--out FILE is required");
    }

    pan_model_config cfg;
    int rc = build_config(config_path, sets, nsets, &cfg);
    free(sets);
    if (rc != EXIT_OK) return rc;
    if (print_config) {
        char *text = pan_model_config_to_json(&cfg);
        if (!text) return EXIT_FAIL;
        fputs(text, stdout);
        free(text);
        if (!out) return EXIT_OK;
    }

    pan_model *model = NULL;
    pan_status st = pan_model_create_random(&model, &cfg, seed);
    if (st != PAN_OK) {
        fprintf(stderr, "pan-init: %s\n", pan_error_message());
        return EXIT_FAIL;
    }
    char note[PAN_MODEL_NOTE_MAX];
    snprintf(note, sizeof note,
             "untrained: random initialisation by pan-init, seed %" PRIu64, seed);
    st = pan_model_save(model, out, note);
    long long params = (long long)model->params.total_params;
    int tensors = model->params.count;
    pan_model_destroy(model);
    if (st != PAN_OK) {
        fprintf(stderr, "pan-init: %s\n", pan_error_message());
        return EXIT_FAIL;
    }
    printf("pan-init: wrote %s: %lld parameters in %d tensors (f32, %.1f MB), "
           "seed %" PRIu64 ", UNTRAINED (random initialisation; "
           "pan.trained=false)\n",
           out, params, tensors, (double)params * 4.0 / 1e6, seed);
    return EXIT_OK;
}
