/* env/tools/pan_data_gen.c: `pan-data gen`, the multi-threaded, resumable
 * episode generator.
 *
 * - Episode i of a run with --seed S resets the world with
 *   pan_episode_seed(S, i) and is written to DIR/episode-<i>.pan, so the
 *   output depends only on the options, never on --threads or on how often
 *   the run was interrupted.
 * - One pan_world and one episode buffer per thread; threads claim episode
 *   indices from an atomic counter.
 * - Resume: an existing file is checked in full (pan_episode_check); a valid
 *   file of the same episode is skipped, a corrupt one is regenerated, a
 *   valid file of a DIFFERENT episode (other options) stops the run rather
 *   than being overwritten.
 * - Files are written atomically (pan_episode_write); stray temporaries of
 *   an earlier crash are removed at start and at the end. One gen per
 *   directory at a time (fcntl lock on DIR/.pan-data.lock).
 * - SIGINT/SIGTERM: threads finish the episode in hand and stop; exit 130.
 *   A second signal kills at once (temporaries are cleaned next run).
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/threadpool.h"
#include "env/dataset/dataset.h"
#include "env/tools/pan_data.h"

#define PATH_BYTES 4096

static const char gen_help[] =
    "usage: pan-data gen --world NAME --episodes N --steps T --out DIR\n"
    "                    [options]\n"
    "\n"
    "Generates N episodes of T random actions of a ground-truth world, one\n"
    "file per episode (DIR/episode-000000.pan, ...). Resumable: run the same\n"
    "command again and only missing or corrupt files are generated.\n"
    "\n"
    "  --world NAME            tabletop or rooms (required)\n"
    "  --episodes N            number of episodes, 1..100000000 (required)\n"
    "  --steps T               actions per episode, 1..65536 (required)\n"
    "  --out DIR               output directory, created if missing (required)\n"
    "  --split train|heldout|any  which actions the sampler draws (default train)\n"
    "  --seed S                base seed (default 0); episode i uses a seed\n"
    "                          derived from (S, i)\n"
    "  --threads N             worker threads (default: PAN_NUM_THREADS or the\n"
    "                          number of CPUs)\n"
    "  --size N                frame height and width, 32..256 (default 64)\n"
    "  --frames-per-step K     frames per action, 1..16 (default 4)\n"
    "  --quiet                 no progress line\n";

typedef struct gen_options {
    const char *world, *out;
    int64_t episodes, steps, threads, size, frames_per_step;
    pan_split split;
    uint64_t seed;
    bool quiet;
} gen_options;

typedef struct gen_run {
    gen_options opt;
    pan_episode_meta meta;      /* every episode's meta but the seed */
    bool tty;                   /* stderr is a terminal: redraw in place */
    atomic_llong next;          /* next episode index to claim */
    atomic_llong written, skipped, regenerated;
    atomic_int workers_left;
    atomic_int failed;
    pthread_mutex_t print_lock; /* stderr and `error` */
    char error[PAN_ERROR_MESSAGE_MAX + PATH_BYTES];
} gen_run;

static atomic_int stop_signal; /* set by SIGINT / SIGTERM */

static void on_signal(int sig) { atomic_store(&stop_signal, sig); }

static void gen_print(gen_run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void gen_print(gen_run *run, const char *fmt, ...) {
    pthread_mutex_lock(&run->print_lock);
    if (run->tty) fputs("\r\033[K", stderr);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    pthread_mutex_unlock(&run->print_lock);
}

/* Records the first failure; every worker stops at its next episode. */
static void gen_fail(gen_run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void gen_fail(gen_run *run, const char *fmt, ...) {
    pthread_mutex_lock(&run->print_lock);
    if (!atomic_load(&run->failed)) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(run->error, sizeof run->error, fmt, ap);
        va_end(ap);
        atomic_store(&run->failed, 1);
    }
    pthread_mutex_unlock(&run->print_lock);
}

static void describe_meta(const pan_episode_meta *m, char *out, size_t size) {
    snprintf(out, size, "%s %dx%d K=%d, %" PRId64 " steps, split %s, seed "
             "0x%016" PRIx64, m->world, m->config.height, m->config.width,
             m->config.frames_per_step, m->steps,
             pan_episode_split_name(m->split), m->seed);
}

static bool same_meta(const pan_episode_meta *a, const pan_episode_meta *b) {
    return strcmp(a->world, b->world) == 0 && a->seed == b->seed &&
           a->split == b->split && a->steps == b->steps &&
           a->config.height == b->config.height &&
           a->config.width == b->config.width &&
           a->config.frames_per_step == b->config.frames_per_step;
}

/* Skips, or generates and writes, episode i. False on a fatal error. */
static bool gen_episode(gen_run *run, pan_world *world, pan_episode *ep,
                        int64_t i) {
    char path[PATH_BYTES];
    pan_data_episode_path(path, sizeof path, run->opt.out, i);
    ep->meta.seed = pan_episode_seed(run->opt.seed, i);
    struct stat sb;
    if (stat(path, &sb) == 0) {
        pan_episode_meta found;
        pan_status st = pan_episode_check(path, &found, NULL);
        if (st == PAN_OK && same_meta(&found, &ep->meta)) {
            atomic_fetch_add(&run->skipped, 1);
            return true;
        }
        if (st == PAN_OK) {
            char have[160], want[160];
            describe_meta(&found, have, sizeof have);
            describe_meta(&ep->meta, want, sizeof want);
            gen_fail(run, "%s holds another episode (%s); this run would "
                     "write %s. Use another --out directory or the options "
                     "that made it.", path, have, want);
            return false;
        }
        if (st == PAN_ERR_IO || st == PAN_ERR_RESOURCE_EXHAUSTED) {
            gen_fail(run, "%s", pan_error_message());
            return false;
        }
        gen_print(run, "pan-data gen: %s; regenerating it",
                  pan_error_message());
        atomic_fetch_add(&run->regenerated, 1);
    } else if (errno != ENOENT) {
        gen_fail(run, "%s: stat: %s", path, strerror(errno));
        return false;
    }
    pan_status st = pan_episode_generate(world, ep);
    if (st == PAN_OK) st = pan_episode_write(ep, path);
    if (st != PAN_OK) {
        gen_fail(run, "episode %" PRId64 ": %s", i, pan_error_message());
        return false;
    }
    atomic_fetch_add(&run->written, 1);
    return true;
}

static void *gen_worker(void *arg) {
    gen_run *run = arg;
    pan_world *world = NULL;
    pan_episode ep = {0};
    pan_status st = pan_world_create(run->meta.world, &run->meta.config, &world);
    if (st == PAN_OK) st = pan_episode_alloc(&ep, &run->meta);
    if (st != PAN_OK) gen_fail(run, "%s", pan_error_message());
    while (st == PAN_OK && !atomic_load(&stop_signal) &&
           !atomic_load(&run->failed)) {
        int64_t i = atomic_fetch_add(&run->next, 1);
        if (i >= run->opt.episodes || !gen_episode(run, world, &ep, i)) break;
    }
    pan_episode_free(&ep);
    pan_world_destroy(world);
    atomic_fetch_sub(&run->workers_left, 1);
    return NULL;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void format_duration(double s, char *out, size_t size) {
    long long t = (long long)(s + 0.5);
    if (t >= 3600) snprintf(out, size, "%lldh%02lldm", t / 3600, t / 60 % 60);
    else if (t >= 60) snprintf(out, size, "%lldm%02llds", t / 60, t % 60);
    else snprintf(out, size, "%llds", t);
}

static void print_progress(gen_run *run, double elapsed, bool final) {
    long long written = atomic_load(&run->written);
    long long done = written + atomic_load(&run->skipped);
    long long total = run->opt.episodes;
    double per_episode = (double)pan_episode_frame_count(&run->meta);
    double eps = elapsed > 0 ? (double)written / elapsed : 0;
    char eta[32] = "?";
    if (final)
        snprintf(eta, sizeof eta, "%s %.1fs",
                 atomic_load(&stop_signal) ? "stopped after" : "done in",
                 elapsed);
    else if (eps > 0) {
        char d[24];
        format_duration((double)(total - done) / eps, d, sizeof d);
        snprintf(eta, sizeof eta, "ETA %s", d);
    }
    pthread_mutex_lock(&run->print_lock);
    fprintf(stderr, "%span-data gen: %lld/%lld episodes (%lld%%)  %.1f "
            "episodes/s  %.0f frames/s  %s%s",
            run->tty ? "\r\033[K" : "", done, total,
            total ? done * 100 / total : 100, eps, eps * per_episode, eta,
            run->tty && !final ? "" : "\n");
    fflush(stderr);
    pthread_mutex_unlock(&run->print_lock);
}

/* mkdir -p */
static bool make_dirs(const char *path) {
    char buf[PATH_BYTES];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return false;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) return false;
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) return false;
    struct stat sb;
    return stat(buf, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Removes temporaries of episode files (".episode-*.pan.tmpXXXXXX"). */
static long sweep_temporaries(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    long removed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, ".episode-", 9) != 0 ||
            !pan_episode_is_temporary_name(e->d_name))
            continue;
        char path[PATH_BYTES];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) == 0) removed++;
    }
    closedir(d);
    return removed;
}

/* Holds DIR/.pan-data.lock for the life of the process; -1 if another
 * process holds it or it cannot be made. */
static int lock_directory(const char *dir, char *err, size_t size) {
    char path[PATH_BYTES];
    snprintf(path, sizeof path, "%s/.pan-data.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0) {
        snprintf(err, size, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_SETLK, &fl) != 0) {
        snprintf(err, size, "%s is being written by another pan-data gen "
                 "(lock %s held)", dir, path);
        close(fd);
        return -1;
    }
    return fd;
}

static int parse_gen_options(int argc, char **argv, gen_options *o) {
    static const struct option longs[] = {
        {"world", required_argument, NULL, 'w'},
        {"episodes", required_argument, NULL, 'n'},
        {"steps", required_argument, NULL, 't'},
        {"split", required_argument, NULL, 'p'},
        {"seed", required_argument, NULL, 's'},
        {"out", required_argument, NULL, 'o'},
        {"threads", required_argument, NULL, 'j'},
        {"size", required_argument, NULL, 'z'},
        {"frames-per-step", required_argument, NULL, 'k'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    *o = (gen_options){.episodes = -1, .steps = -1, .size = 64,
                       .frames_per_step = 4, .split = PAN_SPLIT_TRAIN,
                       .threads = pan_threadpool_default_threads()};
    /* integer options: {flag, name, lo, hi, destination} */
    const struct { int flag; const char *name; int64_t lo, hi; int64_t *out; }
    ints[] = {{'n', "episodes", 1, 100000000, &o->episodes},
              {'t', "steps", 1, PAN_EPISODE_MAX_STEPS, &o->steps},
              {'j', "threads", 1, 256, &o->threads},
              {'z', "size", PAN_WORLD_MIN_SIZE, PAN_WORLD_MAX_SIZE, &o->size},
              {'k', "frames-per-step", 1, PAN_WORLD_MAX_FRAMES_PER_STEP,
               &o->frames_per_step}};
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":", longs, NULL)) != -1) {
        for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
            if (c == ints[i].flag &&
                !pan_data_parse_int(optarg, ints[i].lo, ints[i].hi, ints[i].out))
                return pan_data_usage_error("gen", "--%s '%s': expected an "
                                            "integer in %" PRId64 "..%" PRId64,
                                            ints[i].name, optarg, ints[i].lo,
                                            ints[i].hi);
        switch (c) {
        case 'w': o->world = optarg; break;
        case 'o': o->out = optarg; break;
        case 'n': case 't': case 'j': case 'z': case 'k': break;
        case 's':
            if (!pan_data_parse_u64(optarg, &o->seed))
                return pan_data_usage_error("gen", "--seed '%s': expected an "
                                            "unsigned 64-bit integer (decimal "
                                            "or 0x hexadecimal)", optarg);
            break;
        case 'p':
            if (pan_episode_split_parse(optarg, &o->split) != PAN_OK)
                return pan_data_usage_error("gen", "--split '%s': expected "
                                            "train, heldout or any", optarg);
            break;
        case 'q': o->quiet = true; break;
        case 'h': fputs(gen_help, stdout); return -1;
        case ':': return pan_data_usage_error("gen", "option %s needs a value",
                                              argv[optind - 1]);
        default: return pan_data_usage_error("gen", "unknown option '%s'",
                                             argv[optind - 1]);
        }
    }
    if (optind < argc)
        return pan_data_usage_error("gen", "unexpected argument '%s'",
                                    argv[optind]);
    bool known = false;
    for (const char *const *n = pan_world_names(); o->world && *n; n++)
        known = known || strcmp(*n, o->world) == 0;
    if (o->world && !known)
        return pan_data_usage_error("gen", "--world '%s': expected tabletop "
                                    "or rooms", o->world);
    if (!o->world) return pan_data_usage_error("gen", "--world is required");
    if (o->episodes < 0) return pan_data_usage_error("gen", "--episodes is required");
    if (o->steps < 0) return pan_data_usage_error("gen", "--steps is required");
    if (!o->out) return pan_data_usage_error("gen", "--out is required");
    return 0;
}

static int run_gen(gen_run *run) {
    gen_options *o = &run->opt;
    char err[PATH_BYTES + 128];
    if (!make_dirs(o->out)) {
        fprintf(stderr, "pan-data gen: cannot create directory %s: %s\n",
                o->out, strerror(errno));
        return PAN_DATA_EXIT_FAILED;
    }
    int lock = lock_directory(o->out, err, sizeof err);
    if (lock < 0) {
        fprintf(stderr, "pan-data gen: %s\n", err);
        return PAN_DATA_EXIT_FAILED;
    }
    long stray = sweep_temporaries(o->out);
    if (stray && !o->quiet)
        fprintf(stderr, "pan-data gen: removed %ld temporary file(s) left by "
                "an interrupted run\n", stray);
    struct sigaction sa = {.sa_handler = on_signal,
                           .sa_flags = SA_RESTART | SA_RESETHAND};
    sigemptyset(&sa.sa_mask);
    struct sigaction old_int, old_term;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    int n_threads = (int)(o->threads < o->episodes ? o->threads : o->episodes);
    pthread_t threads[256];
    atomic_store(&run->workers_left, n_threads);
    double start = now_seconds();
    int started = 0;
    for (; started < n_threads; started++)
        if (pthread_create(&threads[started], NULL, gen_worker, run) != 0) {
            atomic_fetch_sub(&run->workers_left, n_threads - started);
            if (started == 0) gen_fail(run, "cannot start a thread");
            break;
        }
    double last = start;
    bool announced = false;
    while (atomic_load(&run->workers_left) > 0) {
        nanosleep(&(struct timespec){.tv_nsec = 50 * 1000 * 1000}, NULL);
        double now = now_seconds();
        if (atomic_load(&stop_signal) && !announced) {
            announced = true;
            gen_print(run, "pan-data gen: interrupted; finishing the episodes "
                      "in hand");
        }
        if (!o->quiet && now - last >= (run->tty ? 0.2 : 10.0)) {
            print_progress(run, now - start, false);
            last = now;
        }
    }
    for (int i = 0; i < started; i++) pthread_join(threads[i], NULL);
    double elapsed = now_seconds() - start;
    sweep_temporaries(o->out);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    close(lock);

    if (!o->quiet) print_progress(run, elapsed, true);
    long long written = atomic_load(&run->written);
    long long skipped = atomic_load(&run->skipped);
    long long regenerated = atomic_load(&run->regenerated);
    if (atomic_load(&run->failed)) {
        fprintf(stderr, "pan-data gen: failed: %s\n", run->error);
        return PAN_DATA_EXIT_FAILED;
    }
    if (!o->quiet)
        fprintf(stderr, "pan-data gen: %s: %lld written (%lld of them "
                "replacing invalid files), %lld already complete\n", o->out,
                written, regenerated, skipped);
    if (atomic_load(&stop_signal)) {
        fprintf(stderr, "pan-data gen: interrupted after %lld of %lld "
                "episodes; run the same command again to resume\n",
                written + skipped, (long long)o->episodes);
        return PAN_DATA_EXIT_INTERRUPTED;
    }
    return PAN_DATA_EXIT_OK;
}

int pan_data_gen(int argc, char **argv) {
    static gen_run run; /* large; one per process */
    int rc = parse_gen_options(argc, argv, &run.opt);
    if (rc != 0) return rc < 0 ? PAN_DATA_EXIT_OK : rc;
    gen_options *o = &run.opt;
    snprintf(run.meta.world, sizeof run.meta.world, "%s", o->world);
    run.meta.truth = true; /* a ground-truth world: format version 1 */
    run.meta.split = o->split;
    run.meta.steps = o->steps;
    run.meta.config = (pan_world_config){.height = (int)o->size,
                                         .width = (int)o->size,
                                         .frames_per_step = (int)o->frames_per_step};
    if (pan_episode_meta_validate(&run.meta, "pan-data gen") != PAN_OK)
        return pan_data_usage_error("gen", "%s", pan_error_message());
    if (strlen(o->out) > PATH_BYTES - 64)
        return pan_data_usage_error("gen", "--out path is too long");
    run.tty = isatty(STDERR_FILENO);
    pthread_mutex_init(&run.print_lock, NULL);
    rc = run_gen(&run);
    pthread_mutex_destroy(&run.print_lock);
    return rc;
}
