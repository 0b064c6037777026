/* core/tools/pan_train_plot.c: `pan-train plot RUN [--out PNG]` -- the
 * run's learning curves as a PNG, drawn by scripts/plot_training.py
 * (matplotlib) under /usr/bin/python3; the script can also be run alone.
 * Exit codes: 0 ok, 1 failure (the script's message on stderr), 2 usage. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "core/tools/pan_train_commands.h"

#ifndef PAN_SOURCE_DIR
#define PAN_SOURCE_DIR "."
#endif

extern char **environ;

static const char usage[] =
    "usage: pan-train plot RUN_DIR [--out FILE.png]\n"
    "\n"
    "Draws the run's learning curves (RUN_DIR/log.jsonl: loss, gradient\n"
    "norm, learning rate, samples/s and any logged evaluation) into\n"
    "FILE.png, default RUN_DIR/curves.png, with scripts/plot_training.py\n"
    "(needs matplotlib: Debian's python3-matplotlib). Works on a run that\n"
    "is still training.\n";

int pan_train_plot_command(int argc, char **argv) {
    const char *run = NULL, *out = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--out") && i + 1 < argc) {
            out = argv[++i];
        } else if (argv[i][0] != '-' && !run) {
            run = argv[i];
        } else {
            fprintf(stderr, "pan-train plot: unexpected argument '%s'\n%s", argv[i], usage);
            return 2;
        }
    }
    if (!run) {
        fprintf(stderr, "pan-train plot: RUN_DIR is required\n%s", usage);
        return 2;
    }
    char script[4096];
    snprintf(script, sizeof script, "%s/scripts/plot_training.py", PAN_SOURCE_DIR);
    struct stat sb;
    if (stat(script, &sb) != 0) {
        fprintf(stderr, "pan-train plot: the plotting script %s is missing (%s); "
                        "run it from a source checkout\n", script, strerror(errno));
        return 1;
    }
    char *args[] = {"/usr/bin/python3", script, (char *)run, (char *)out, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, args[0], NULL, NULL, args, environ);
    if (rc != 0) {
        fprintf(stderr, "pan-train plot: cannot run %s: %s\n", args[0], strerror(rc));
        return 1;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
