/* agents/c/tool.h: the pieces of the pan-client tool (internal): the
 * shared state of one run (or one shell), the subcommands, the printers
 * and the PNG writer.
 *
 * Contract
 * - A tool_state holds the client (connected on first use) and the
 *   current session; in `shell` mode it lives across lines, so one
 *   session serves many commands.
 * - tool_run runs one subcommand from argv (argv[0] = its name) and
 *   returns 0, 1 (the call failed; the server's code and message are on
 *   stderr) or 2 (usage error). Nothing here exits the process.
 * - Printers write human-readable replies to stdout.
 */
#ifndef PAN_AGENTS_C_TOOL_H
#define PAN_AGENTS_C_TOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "agents/c/pan_client.h"

typedef struct tool_state {
    char endpoint[256];
    int timeout_ms;
    pan_client *client;   /* NULL until the first call needs it */
    bool has_session;
    uint64_t session;
    int num_envs;         /* of the session, 0 if unknown */
    bool in_shell;
} tool_state;

int tool_run(tool_state *t, int argc, char **argv);
/* The `shell` command: reads commands from `in`, one per line. */
int tool_shell(tool_state *t, FILE *in);
void tool_usage(FILE *out);

/* printers (tool_print.c) */
void tool_print_spaces(const pan_client_spaces *s);
void tool_print_obs(const pan_client_obs *obs);
void tool_print_info(int env, const pan_client_info *info);
void tool_print_hello(const pan_client_hello_result *h);
void tool_print_stats(const pan_client_stats_result *s);
void tool_print_rollout(const pan_client_rollout_result *r, const uint64_t *ids);

/* Writes an RGB image (H, W, 3) as an 8-bit PNG; 0 on success, else -1
 * with a message in err. */
int tool_write_png(const char *path, const uint8_t *rgb, int width, int height,
                   char *err, size_t err_size);

#endif
