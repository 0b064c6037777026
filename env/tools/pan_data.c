/* env/tools/pan_data.c: the pan-data command: dispatch to gen, check and
 * info, and the option helpers they share. See docs/dataset.md. */
#define _POSIX_C_SOURCE 200809L
#include "env/tools/pan_data.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/dataset/dataset.h"

static const char usage[] =
    "usage: pan-data <command> [options]\n"
    "\n"
    "commands:\n"
    "  gen    generate episodes of a ground-truth world into a directory\n"
    "         pan-data gen --world tabletop --episodes N --steps T --out DIR\n"
    "           [--split train|heldout|any] [--seed S] [--threads N]\n"
    "           [--size 64] [--frames-per-step 4] [--quiet]\n"
    "  check  validate every episode file of directories or files\n"
    "         pan-data check DIR|FILE...\n"
    "  info   describe one episode file\n"
    "         pan-data info FILE [--json]\n"
    "\n"
    "`pan-data <command> --help` describes each command. Exit codes: 0 ok,\n"
    "1 failure, 2 usage, 130 interrupted (gen resumes when run again).\n";

bool pan_data_parse_int(const char *text, int64_t lo, int64_t hi,
                        int64_t *out) {
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end != '\0' || v < lo || v > hi) return false;
    *out = v;
    return true;
}

bool pan_data_parse_u64(const char *text, uint64_t *out) {
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 0);
    if (errno || end == text || *end != '\0' || text[0] == '-') return false;
    *out = v;
    return true;
}

int pan_data_usage_error(const char *sub, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "pan-data %s: ", sub);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see pan-data %s --help)\n", sub);
    return PAN_DATA_EXIT_USAGE;
}

void pan_data_episode_path(char *out, size_t size, const char *dir,
                           int64_t index) {
    snprintf(out, size, "%s/episode-%06" PRId64 ".pan", dir, index);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs(usage, stderr);
        return PAN_DATA_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
        strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return PAN_DATA_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("pan-data (episode format version %d)\n", PAN_EPISODE_VERSION);
        return PAN_DATA_EXIT_OK;
    }
    if (strcmp(cmd, "gen") == 0) return pan_data_gen(argc - 1, argv + 1);
    if (strcmp(cmd, "check") == 0) return pan_data_check(argc - 1, argv + 1);
    if (strcmp(cmd, "info") == 0) return pan_data_info(argc - 1, argv + 1);
    fprintf(stderr, "pan-data: unknown command '%s' (expected gen, check or "
            "info)\n\n%s", cmd, usage);
    return PAN_DATA_EXIT_USAGE;
}
