/* tests/client/test_agents_c.c: the C agents against a real pan-server:
 * - pan-random-agent on tabletop (2 envs) and rooms runs, prints one line
 *   per episode and a summary, and is reproducible: the same seed prints
 *   the same bytes (the lines carry a hash of the episode's actions and
 *   latents), another seed prints other episodes;
 * - pan-scripted-agent solves >= 90% of 20 random tabletop goals with
 *   max_episode_steps 50 (the bar), using directional moves only.
 * Usage: test_agents_c PATH/TO/pan-server PATH/TO/pan-random-agent
 *                      PATH/TO/pan-scripted-agent */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/client/client_test_util.h"
#include "tests/test_util.h"

static int count_lines(const char *s, const char *prefix) {
    int n = 0;
    size_t len = strlen(prefix);
    for (const char *p = s; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        n += strncmp(p, prefix, len) == 0;
    return n;
}

static const char *random_agent;

static char *run_random(const test_server *srv, const char *world, const char *episodes,
                        const char *seed, const char *num_envs) {
    const char *argv[] = {random_agent, "--endpoint", srv->endpoint, "--world", world,
                          "--episodes", episodes, "--seed", seed, "--num-envs", num_envs, NULL};
    char *out = NULL, *err = NULL;
    int rc = run_capture(srv->dir, argv, NULL, &out, &err);
    if (rc != 0) fprintf(stderr, "pan-random-agent exited %d: %s\n", rc, err ? err : "");
    CHECK(rc == 0);
    free(err);
    return out;
}

static void test_random(const test_server *srv) {
    char *a = run_random(srv, "tabletop", "5", "11", "2");
    char *b = run_random(srv, "tabletop", "5", "11", "2");
    char *other = run_random(srv, "tabletop", "5", "12", "2");
    CHECK(a && b && other);
    if (a && b && other) {
        CHECK(strcmp(a, b) == 0);
        CHECK(strcmp(a, other) != 0);
        CHECK(count_lines(a, "episode ") == 5);
        CHECK(strstr(a, "summary: 5 episodes") != NULL);
        CHECK(strstr(a, "task 'put the ") != NULL);
    }
    free(a); free(b); free(other);
    a = run_random(srv, "rooms", "3", "4", "1");
    b = run_random(srv, "rooms", "3", "4", "1");
    CHECK(a && b && strcmp(a, b) == 0);
    CHECK(a && count_lines(a, "episode ") == 3 && strstr(a, "summary: 3 episodes"));
    CHECK(a && strstr(a, "length 50 trace") != NULL); /* rooms: truncated at 50 */
    free(a); free(b);
}

static void test_scripted(const test_server *srv, const char *path) {
    const char *argv[] = {path, "--endpoint", srv->endpoint, "--episodes", "20", "--seed", "2024",
                          "--max-episode-steps", "50", NULL};
    char *out = NULL, *err = NULL;
    int rc = run_capture(srv->dir, argv, NULL, &out, &err);
    if (rc != 0) fprintf(stderr, "pan-scripted-agent exited %d: %s\n", rc, err ? err : "");
    CHECK(rc == 0);
    const char *sum = out ? strstr(out, "summary: ") : NULL;
    int episodes = 0, wins = 0, total = 0;
    CHECK(sum && sscanf(sum, "summary: %d episodes, mean return %*f, mean length %*f, "
                             "success %d/%d", &episodes, &wins, &total) == 3);
    printf("scripted agent: %d/%d random goals solved\n", wins, total);
    CHECK(episodes == 20 && total == 20);
    CHECK(wins >= 18); /* >= 90% */
    CHECK(out && count_lines(out, "episode ") == 20);
    free(out); free(err);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s pan-server pan-random-agent pan-scripted-agent\n", argv[0]);
        return 2;
    }
    random_agent = argv[2];
    test_server srv;
    if (!server_start(argv[1], NULL, &srv)) {
        CHECK(0);
        return test_exit_code("test_agents_c");
    }
    test_random(&srv);
    test_scripted(&srv, argv[3]);
    CHECK(server_stop(&srv));
    return test_exit_code("test_agents_c");
}
