/* env/tools/pan_data.h: the pan-data command's pieces (internal to the
 * tool): one function per subcommand, each taking the arguments after
 * "pan-data" (argv[0] is the subcommand's name) and returning the process
 * exit code, and the small helpers they share.
 *
 * Exit codes: 0 ok, 1 runtime failure (or invalid files for check),
 * 2 usage (bad or missing options), 130 interrupted (gen, by SIGINT or
 * SIGTERM; run it again to resume).
 */
#ifndef PAN_TOOLS_PAN_DATA_H
#define PAN_TOOLS_PAN_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    PAN_DATA_EXIT_OK = 0,
    PAN_DATA_EXIT_FAILED = 1,
    PAN_DATA_EXIT_USAGE = 2,
    PAN_DATA_EXIT_INTERRUPTED = 130
};

int pan_data_gen(int argc, char **argv);
int pan_data_check(int argc, char **argv);
int pan_data_info(int argc, char **argv);

/* Whole-string decimal integer in [lo, hi]; false otherwise. */
bool pan_data_parse_int(const char *text, int64_t lo, int64_t hi,
                        int64_t *out);
/* Whole-string decimal or 0x-hexadecimal unsigned 64-bit integer. */
bool pan_data_parse_u64(const char *text, uint64_t *out);

/* Prints "pan-data <sub>: <message>" and the hint to use --help; returns
 * PAN_DATA_EXIT_USAGE. */
int pan_data_usage_error(const char *sub, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The path of episode `index` in dir: "<dir>/episode-<index, 6+ digits>.pan". */
void pan_data_episode_path(char *out, size_t size, const char *dir,
                           int64_t index);

#endif
