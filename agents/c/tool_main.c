/* agents/c/tool_main.c: pan-client, a command-line tool to poke a
 * pan-server (docs/agents.md): main, usage, and the `shell` command that
 * reads commands line by line so one session lives across them. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/c/tool.h"

static const char usage_text[] =
    "usage: pan-client [--endpoint E] [--session ID] [--timeout MS] COMMAND [options]\n"
    "\n"
    "Talks protocol v1 to a pan-server (default endpoint tcp://127.0.0.1:5555,\n"
    "timeout 10000 ms). Global options may also follow the command.\n"
    "\n"
    "commands:\n"
    "  hello [--client NAME]                 server name, protocol, limits, worlds, ops\n"
    "  describe [--world W [--width N --height N --frames-per-step K --obs-mode M]]\n"
    "                                        spaces and metadata (of the session without --world)\n"
    "  make --world W [--num-envs N] [--obs-mode full|latent]\n"
    "       [--autoreset next_step|same_step|disabled] [--max-episode-steps N]\n"
    "       [--width N --height N --frames-per-step K]\n"
    "                                        new session; prints 'session ID' first\n"
    "  reset [--seed S | --seeds S0,S1,..] [--task T] [--mask 1,0,..]\n"
    "  step TEXT...                          one action text per env (quote each)\n"
    "  sample [--split train|heldout|any]    random actions from the world's sampler\n"
    "  render --out FILE.png [--env i]       current frame(s) as PNG (envs side by side)\n"
    "  fork [--envs 0,1,..]                  snapshot envs, prints state ids\n"
    "  restore --envs 0,1,.. --ids A,B,..    set envs to snapshots\n"
    "  rollout --ids A,B,.. [--frames] TEXT...   every row runs the TEXT sequence\n"
    "  release --ids A,B,..                  free snapshots\n"
    "  close                                 end the session\n"
    "  ping                                  (with --session: keep it alive)\n"
    "  stats                                 server statistics (and the session's)\n"
    "  shell                                 read these commands from stdin, one per\n"
    "                                        line (\"quotes\" for text); make sets the\n"
    "                                        session for the lines that follow\n"
    "\n"
    "Exit status: 0 ok, 1 the request failed (the server's code and message are\n"
    "printed), 2 usage error. In the shell a failed line is reported and the\n"
    "shell goes on; it exits 1 if any line failed.\n";

void tool_usage(FILE *out) { fputs(usage_text, out); }

/* Splits a line into words: blanks separate, "double" or 'single' quotes
 * group (backslash escapes \" and \\ inside double quotes). Returns the
 * count, or -1 for an unterminated quote. Words point into `buf`. */
static int split_line(const char *line, char *buf, char **words, int max) {
    int n = 0;
    const char *p = line;
    char *out = buf;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
        if (!*p || *p == '#') return n;
        if (n == max) return -1;
        words[n++] = out;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            if (*p == '"' || *p == '\'') {
                char q = *p++;
                while (*p && *p != q) {
                    if (q == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\')) p++;
                    *out++ = *p++;
                }
                if (*p != q) return -1;
                p++;
            } else {
                *out++ = *p++;
            }
        }
        *out++ = '\0';
    }
}

int tool_shell(tool_state *t, FILE *in) {
    char line[8192], buf[8192 + 256];
    char *words[256];
    int failed = 0, lineno = 0;
    t->in_shell = true;
    while (fgets(line, sizeof line, in)) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            fprintf(stderr, "pan-client shell: line %d is longer than %zu bytes\n", lineno,
                    sizeof line - 2);
            failed = 1;
            int ch;
            while ((ch = fgetc(in)) != EOF && ch != '\n') {}
            continue;
        }
        int n = split_line(line, buf, words, 255);
        if (n < 0) {
            fprintf(stderr, "pan-client shell: line %d: unterminated quote or too many words\n",
                    lineno);
            failed = 1;
            continue;
        }
        if (n == 0) continue;
        if (strcmp(words[0], "quit") == 0 || strcmp(words[0], "exit") == 0) break;
        words[n] = NULL;
        int rc = tool_run(t, n, words);
        if (rc != 0) failed = 1;
        fflush(stdout);
    }
    t->in_shell = false;
    return failed;
}

int main(int argc, char **argv) {
    tool_state t;
    memset(&t, 0, sizeof t);
    snprintf(t.endpoint, sizeof t.endpoint, "tcp://127.0.0.1:5555");
    t.timeout_ms = PAN_CLIENT_DEFAULT_TIMEOUT_MS;
    /* global options before the command: move them after it, where every
     * command's parser accepts them */
    int first = 1;
    while (first < argc && strncmp(argv[first], "--", 2) == 0) {
        if (strcmp(argv[first], "--help") == 0) {
            tool_usage(stdout);
            return 0;
        }
        if (strchr(argv[first], '=')) first += 1;
        else first += 2;
    }
    if (first >= argc) {
        tool_usage(stderr);
        return 2;
    }
    char **args = malloc(sizeof(char *) * (size_t)(argc + 1));
    if (!args) return 1;
    int n = 0;
    args[n++] = argv[first];
    for (int i = 1; i < first; i++) args[n++] = argv[i];
    for (int i = first + 1; i < argc; i++) args[n++] = argv[i];
    args[n] = NULL;
    int rc = tool_run(&t, n, args);
    free(args);
    pan_client_destroy(t.client);
    return rc;
}
