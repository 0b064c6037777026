/* benchmarks/bench_worlds.c: pan-bench-worlds, generation throughput of the
 * ground-truth worlds on one thread (docs/worlds.md).
 *
 *   pan-bench-worlds [--world NAME] [--size S] [--frames K] [--runs R]
 *                    [--csv FILE]
 *
 * For each world (default: every world that can be created; tabletop at
 * 64x64, K = 4 is the target of >= 2,000 frames/s per core):
 *   generate  episodes of 16 steps as pan-data writes them: reset, then 16
 *             x (sample a PAN_SPLIT_TRAIN action + step); frames counted =
 *             1 + 16 K per episode
 *   sample    pan_world_sample_action alone
 *   parse     pan_world_parse of sampled actions
 *   render    pan_world_render of the current state
 *   detect    pan_world_detect of rendered frames
 * Each figure: one warm-up run sizes the work to ~0.25 s, then R timed runs
 * (default 7); median and [min, max] of the rates. Reports only; nothing
 * here fails on a slow result. --csv FILE also writes each figure as a
 * machine-readable row (bench.h, bench_csv); stdout is unchanged. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchmarks/bench.h"
#include "env/world.h"

#define EPISODE_STEPS 16
#define MAX_RUNS 32

static bench_csv *csv_out; /* the --csv rows, or NULL */

typedef struct bench_world {
    pan_world *w;
    pan_world_config c;
    uint8_t *frames; /* (K, H, W, 3) */
    uint64_t rng, seed;
    char actions[64][PAN_WORLD_ACTION_MAX + 1];
} bench_world;

/* One unit of each measured kind of work; returns the items it made. */
typedef long (*work_fn)(bench_world *b, long units);

static long work_generate(bench_world *b, long episodes) {
    long frames = 0;
    char text[PAN_WORLD_ACTION_MAX + 1];
    for (long e = 0; e < episodes; e++) {
        pan_world_reset(b->w, b->seed++, b->frames);
        frames++;
        for (int t = 0; t < EPISODE_STEPS; t++) {
            pan_world_sample_action(b->w, &b->rng, PAN_SPLIT_TRAIN, text, sizeof text);
            pan_world_step(b->w, text, b->frames, NULL);
            frames += b->c.frames_per_step;
        }
    }
    return frames;
}

static long work_sample(bench_world *b, long n) {
    char text[PAN_WORLD_ACTION_MAX + 1];
    for (long i = 0; i < n; i++)
        pan_world_sample_action(b->w, &b->rng, PAN_SPLIT_TRAIN, text, sizeof text);
    return n;
}

static long work_parse(bench_world *b, long n) {
    pan_action_result r;
    for (long i = 0; i < n; i++) pan_world_parse(b->w, b->actions[i % 64], &r);
    return n;
}

static long work_render(bench_world *b, long n) {
    for (long i = 0; i < n; i++) pan_world_render(b->w, b->frames);
    return n;
}

static long work_detect(bench_world *b, long n) {
    pan_world_state d;
    for (long i = 0; i < n; i++) pan_world_detect(b->w, b->frames, &d);
    return n;
}

/* Median, min and max of the rate (items / s) over `runs` timed runs. */
static void measure(bench_world *b, const char *name, const char *unit,
                    work_fn fn, int runs) {
    long units = 1;
    for (;;) { /* warm-up: grow until one run takes >= 0.25 s */
        double t0 = bench_now_us();
        fn(b, units);
        double us = bench_now_us() - t0;
        if (us >= 250000.0 || units > (1L << 40)) break;
        long next = us > 1000.0 ? (long)((double)units * 260000.0 / us) + 1 : units * 16;
        units = next > units ? next : units * 2;
    }
    double rates[MAX_RUNS];
    for (int r = 0; r < runs; r++) {
        double t0 = bench_now_us();
        long items = fn(b, units);
        double us = bench_now_us() - t0;
        rates[r] = (double)items / (us * 1e-6);
    }
    bench_stats s = bench_stats_of(rates, runs);
    printf("  %-9s %12.0f %-10s [%.0f, %.0f]\n", name, s.median, unit, s.min,
           s.max);
    char row[96], note[96];
    snprintf(row, sizeof row, "%s %dx%d K=%d: %s", pan_world_name(b->w), b->c.width,
             b->c.height, b->c.frames_per_step, name);
    snprintf(note, sizeof note, "1 thread; min %.0f, max %.0f over %d runs", s.min,
             s.max, runs);
    bench_csv_row(csv_out, row, "rate_median", s.median, unit, NAN, note);
}

static int bench_one(const char *name, pan_world_config c, int runs) {
    bench_world b = {.c = c, .rng = 0x5EED, .seed = 1};
    if (pan_world_create(name, &c, &b.w) != PAN_OK) {
        printf("%s: skipped (%s)\n", name, pan_error_message());
        bench_csv_row(csv_out, name, "rate_median", NAN, "", NAN, "skipped");
        return 0;
    }
    b.frames = malloc((size_t)c.frames_per_step * (size_t)c.width *
                      (size_t)c.height * 3);
    if (!b.frames) {
        fprintf(stderr, "pan-bench-worlds: out of memory\n");
        pan_world_destroy(b.w);
        return 1;
    }
    pan_world_reset(b.w, 1, b.frames);
    for (int i = 0; i < 64; i++)
        pan_world_sample_action(b.w, &b.rng, PAN_SPLIT_ANY, b.actions[i],
                                sizeof b.actions[i]);
    printf("%s %dx%d K=%d, 1 thread, %d runs: median [min, max]\n", name,
           c.width, c.height, c.frames_per_step, runs);
    measure(&b, "generate", "frames/s", work_generate, runs);
    pan_world_reset(b.w, 1, b.frames);
    measure(&b, "sample", "actions/s", work_sample, runs);
    measure(&b, "parse", "actions/s", work_parse, runs);
    measure(&b, "render", "frames/s", work_render, runs);
    pan_world_render(b.w, b.frames);
    measure(&b, "detect", "frames/s", work_detect, runs);
    free(b.frames);
    pan_world_destroy(b.w);
    return 0;
}

static int usage(void) {
    fprintf(stderr, "usage: pan-bench-worlds [--world NAME] [--size S] "
                    "[--frames K] [--runs R] [--csv FILE]\n");
    return 2;
}

int main(int argc, char **argv) {
    const char *only = NULL;
    pan_world_config c = pan_world_config_default();
    int runs = 7;
    const char *csv_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) return usage();
        if (strcmp(argv[i], "--world") == 0) only = argv[++i];
        else if (strcmp(argv[i], "--size") == 0) c.width = c.height = atoi(argv[++i]);
        else if (strcmp(argv[i], "--frames") == 0) c.frames_per_step = atoi(argv[++i]);
        else if (strcmp(argv[i], "--runs") == 0) runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--csv") == 0) csv_path = argv[++i];
        else return usage();
    }
    if (runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "pan-bench-worlds: --runs %d, expected 1..%d\n", runs,
                MAX_RUNS);
        return 2;
    }
    bool csv_failed = false;
    csv_out = bench_csv_open(csv_path, &csv_failed);
    if (csv_failed) return 2;
    int status = 0;
    for (const char *const *n = pan_world_names(); *n; n++)
        if (!only || strcmp(only, *n) == 0) status |= bench_one(*n, c, runs);
    if (!bench_csv_close(csv_out)) status = 1;
    return status;
}
