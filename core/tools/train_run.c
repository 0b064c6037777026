/* core/tools/train_run.c: a training run -- start, resume, step,
 * checkpoint (contract in train_run.h). */
#define _POSIX_C_SOURCE 200809L
#include "core/tools/train_run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/model/model.h"
#include "core/tools/train_data.h"
#include "core/train/grads.h"
#include "core/train/optim.h"
#include "core/train/stages.h"
#include "core/train/train_state.h"

#define TRY(expr)                                                              \
    do {                                                                       \
        pan_status s_ = (expr);                                                \
        if (s_ != PAN_OK) return s_;                                           \
    } while (0)

#define STATE_PREFIX "state-"
#define STATE_SUFFIX ".safetensors"
#define KEEP_STATES 2

struct pan_trainer {
    pan_run_config rc;
    char *canonical;               /* the run configuration JSON */
    char dir[PAN_RUN_PATH_MAX];
    char resumed_from[PAN_RUN_PATH_MAX + 64];
    pan_compute *c;                /* borrowed */
    pan_model *m;
    pan_grads *g;
    pan_adamw *opt;
    float *ema;                    /* (total_floats) */
    pan_vae_stage *vae;
    pan_decoder_stage *decoder;
    pan_glp_stage *glp;
    pan_episode_set *episodes;     /* data.source "episodes", else NULL */
    uint64_t cursor;
    pan_rng rng;
    FILE *action_sink;             /* or NULL */
    char *log;                     /* JSONL so far */
    size_t log_len, log_cap;
    int lock_fd;                   /* DIR/.lock, held while the run lives */
};

const pan_run_config *pan_trainer_config(const pan_trainer *t) { return &t->rc; }
pan_compute *pan_trainer_compute(const pan_trainer *t) { return t->c; }
int64_t pan_trainer_steps_done(const pan_trainer *t) { return t->opt->step; }
const char *pan_trainer_dir(const pan_trainer *t) { return t->dir; }
const char *pan_trainer_resumed_from(const pan_trainer *t) { return t->resumed_from; }
const char *pan_trainer_log(const pan_trainer *t) { return t->log ? t->log : ""; }
void pan_trainer_set_action_sink(pan_trainer *t, FILE *sink) { t->action_sink = sink; }

void pan_trainer_destroy(pan_trainer *t) {
    if (!t) return;
    pan_vae_stage_destroy(t->vae);
    pan_decoder_stage_destroy(t->decoder);
    pan_glp_stage_destroy(t->glp);
    pan_episode_set_close(t->episodes);
    pan_adamw_destroy(t->opt);
    pan_grads_destroy(t->g);
    free(t->ema);
    pan_model_destroy(t->m);
    free(t->canonical);
    free(t->log);
    if (t->lock_fd > 0) close(t->lock_fd);
    free(t);
}

/* Takes DIR/.lock (a POSIX record lock, released when the process ends,
 * however it ends): one process per run directory. */
static pan_status lock_dir(pan_trainer *t, const char *dir) {
    char path[PAN_RUN_PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return pan_error_set(PAN_ERR_IO, "run directory %s: cannot open %s: %s",
                             dir, path, strerror(errno));
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_SETLK, &fl) != 0) {
        int e = errno;
        close(fd);
        if (e == EACCES || e == EAGAIN)
            return pan_error_set(PAN_ERR_FAILED_PRECONDITION,
                                 "run directory %s is in use by another pan-train "
                                 "run (it holds %s)", dir, path);
        return pan_error_set(PAN_ERR_IO, "run directory %s: cannot lock %s: %s",
                             dir, path, strerror(e));
    }
    t->lock_fd = fd;
    return PAN_OK;
}

/* ---- files of a run directory ---- */

static void join(char *out, size_t size, const char *dir, const char *name) {
    snprintf(out, size, "%s/%s", dir, name);
}

/* The step of a state file name "state-<digits>.safetensors", or -1. */
static int64_t state_step(const char *name) {
    size_t np = strlen(STATE_PREFIX), ns = strlen(STATE_SUFFIX), n = strlen(name);
    if (n <= np + ns || strncmp(name, STATE_PREFIX, np) ||
        strcmp(name + n - ns, STATE_SUFFIX))
        return -1;
    int64_t step = 0;
    for (size_t i = np; i < n - ns; i++) {
        if (name[i] < '0' || name[i] > '9' || step > INT64_MAX / 10 - 10) return -1;
        step = step * 10 + (name[i] - '0');
    }
    return step;
}

static bool state_step_prefix(const char *name) {
    return strncmp(name, STATE_PREFIX, strlen(STATE_PREFIX)) == 0;
}

/* Steps of the states in dir, newest first (at most cap); count in *n. */
static pan_status list_states(const char *dir, int64_t *steps, int cap, int *n) {
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return pan_error_set(errno == ENOENT ? PAN_ERR_NOT_FOUND : PAN_ERR_IO,
                             "run directory %s: %s", dir, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int64_t s = state_step(e->d_name);
        if (s < 0) continue;
        /* insertion into the descending list, keeping the newest `cap` */
        if (*n == cap && steps[cap - 1] >= s) continue;
        int i = *n < cap ? (*n)++ : cap - 1;
        while (i > 0 && steps[i - 1] < s) {
            steps[i] = steps[i - 1];
            i--;
        }
        steps[i] = s;
    }
    closedir(d);
    return PAN_OK;
}

static void state_path(char *out, size_t size, const char *dir, int64_t step) {
    snprintf(out, size, "%s/" STATE_PREFIX "%09" PRId64 STATE_SUFFIX, dir, step);
}

/* Removes states older than the newest KEEP_STATES and temporaries left by
 * killed writers. */
static void prune(const char *dir) {
    int64_t steps[KEEP_STATES + 1];
    int n = 0;
    if (list_states(dir, steps, KEEP_STATES + 1, &n) != PAN_OK) return;
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[PAN_RUN_PATH_MAX + 300];
    while ((e = readdir(d)) != NULL) {
        int64_t s = state_step(e->d_name);
        bool old = s >= 0 && n > KEEP_STATES && s <= steps[KEEP_STATES];
        /* the run's files are written as NAME.tmp.<pid> and renamed; the
         * directory's lock means no other writer is alive */
        bool temp = strstr(e->d_name, ".tmp.") != NULL &&
                    (state_step_prefix(e->d_name) ||
                     !strncmp(e->d_name, "model.safetensors.tmp.", 22) ||
                     !strncmp(e->d_name, "log.jsonl.tmp.", 14) ||
                     !strncmp(e->d_name, "run.json.tmp.", 13));
        if (old || temp) {
            join(path, sizeof path, dir, e->d_name);
            unlink(path);
        }
    }
    closedir(d);
}

/* Writes `text` to dir/name whole (temporary + rename). */
static pan_status write_text(const char *dir, const char *name, const char *text) {
    char path[PAN_RUN_PATH_MAX + 64], tmp[PAN_RUN_PATH_MAX + 96];
    join(path, sizeof path, dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return pan_error_set(PAN_ERR_IO, "run: cannot write %s: %s", tmp, strerror(errno));
    size_t n = strlen(text);
    bool ok = fwrite(text, 1, n, f) == n;
    ok = fflush(f) == 0 && ok;
    ok = fsync(fileno(f)) == 0 && ok;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        pan_status st = pan_error_set(PAN_ERR_IO, "run: cannot write %s: %s",
                                      path, strerror(errno));
        unlink(tmp);
        return st;
    }
    return PAN_OK;
}

/* ---- setup shared by start and resume ---- */

static pan_status make_stage(pan_trainer *t) {
    const pan_model_config *cfg = &t->m->config;
    int n = 0;
    const char *const *prefixes = pan_train_stage_prefixes(t->rc.stage, &n);
    TRY(pan_adamw_freeze(t->opt, prefixes, n));
    switch (t->rc.stage) {
    case PAN_STAGE_VAE: return pan_vae_stage_create(&t->vae, cfg, t->rc.batch);
    case PAN_STAGE_DECODER: return pan_decoder_stage_create(&t->decoder, cfg, t->rc.batch);
    default: return pan_glp_stage_create(&t->glp, cfg, t->rc.batch, t->rc.rounds);
    }
}

static pan_status setup(pan_trainer *t) {
    const pan_param_table *table = &t->m->params;
    size_t bytes = ((size_t)table->total_floats * sizeof(float) + 63) / 64 * 64;
    t->ema = aligned_alloc(64, bytes ? bytes : 64);
    if (!t->ema)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "run: out of memory for the EMA (%zu bytes)", bytes);
    memcpy(t->ema, t->m->block, (size_t)table->total_floats * sizeof(float));
    TRY(pan_grads_create(&t->g, t->m));
    pan_adamw_config oc = {.beta1 = t->rc.beta1, .beta2 = t->rc.beta2,
                           .eps = t->rc.eps, .weight_decay = t->rc.weight_decay};
    TRY(pan_adamw_create(&t->opt, table, &oc));
    if (t->rc.source == PAN_RUN_SOURCE_EPISODES)
        TRY(pan_episode_set_open(&t->episodes, t->rc.episodes, &t->m->config,
                                 pan_train_data_clip_steps(&t->rc)));
    return make_stage(t);
}

static pan_status log_reserve(pan_trainer *t, size_t more) {
    if (t->log_len + more + 1 <= t->log_cap) return PAN_OK;
    size_t cap = t->log_cap ? t->log_cap : 4096;
    while (cap < t->log_len + more + 1) cap *= 2;
    char *grown = realloc(t->log, cap);
    if (!grown)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "run: out of memory for the log");
    t->log = grown;
    t->log_cap = cap;
    return PAN_OK;
}

pan_status pan_trainer_log_line(pan_trainer *t, const char *line) {
    size_t n = strlen(line);
    TRY(log_reserve(t, n + 1));
    memcpy(t->log + t->log_len, line, n);
    t->log_len += n;
    t->log[t->log_len++] = '\n';
    t->log[t->log_len] = '\0';
    char path[PAN_RUN_PATH_MAX + 16];
    join(path, sizeof path, t->dir, "log.jsonl");
    FILE *f = fopen(path, "ab");
    if (!f)
        return pan_error_set(PAN_ERR_IO, "run: cannot append to %s: %s", path,
                             strerror(errno));
    bool ok = fprintf(f, "%s\n", line) >= 0;
    ok = fclose(f) == 0 && ok;
    return ok ? PAN_OK
              : pan_error_set(PAN_ERR_IO, "run: cannot append to %s", path);
}

pan_status pan_trainer_start(pan_trainer **out, pan_compute *c,
                             const pan_run_config *config,
                             const char *canonical, const char *dir) {
    if (!out || !c || !config || !canonical || !dir || !dir[0] ||
        strlen(dir) >= PAN_RUN_PATH_MAX)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "run: expected a compute context, a configuration "
                             "and a run directory (shorter than %d bytes)",
                             PAN_RUN_PATH_MAX);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return pan_error_set(PAN_ERR_IO, "run directory %s: cannot create: %s",
                             dir, strerror(errno));
    pan_trainer *t = calloc(1, sizeof *t);
    if (!t) return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "run: out of memory");
    pan_status st = lock_dir(t, dir);
    int64_t steps[1];
    int n = 0;
    if (st == PAN_OK) st = list_states(dir, steps, 1, &n);
    if (st == PAN_OK && n > 0)
        st = pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                           "run directory %s already holds a training state "
                           "(step %" PRId64 "): resume it with pan-train run "
                           "--resume %s, or choose another directory",
                           dir, steps[0], dir);
    if (st != PAN_OK) {
        pan_trainer_destroy(t);
        return st;
    }
    t->rc = *config;
    t->c = c;
    snprintf(t->dir, sizeof t->dir, "%s", dir);
    t->canonical = strdup(canonical);
    t->rng = pan_rng_seed(config->seed);
    st = t->canonical ? pan_model_load(&t->m, config->checkpoint)
                                 : pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                                                 "run: out of memory");
    if (st == PAN_OK) st = setup(t);
    if (st == PAN_OK) st = log_reserve(t, 0);
    if (st == PAN_OK) {
        t->log[0] = '\0';
        st = write_text(dir, "run.json", canonical);
    }
    if (st == PAN_OK) st = write_text(dir, "log.jsonl", "");
    if (st != PAN_OK) {
        pan_trainer_destroy(t);
        return st;
    }
    *out = t;
    return PAN_OK;
}

/* dir of a state file path: everything before its last '/' ("." if none). */
static void dir_of(const char *path, char *out, size_t size) {
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(out, size, ".");
    else snprintf(out, size, "%.*s", (int)(slash - path), path);
}

/* The model and run configurations a state records, before loading it
 * whole; *run is malloc'd. */
static pan_status peek_state(const char *path, pan_model_config *cfg,
                             pan_run_config *rc, char **run) {
    pan_safetensors *st = NULL;
    TRY(pan_safetensors_open(&st, path));
    const char *format = pan_safetensors_meta(st, "pan.format");
    const char *config = pan_safetensors_meta(st, "pan.config");
    const char *text = pan_safetensors_meta(st, "pan.run");
    pan_status s = PAN_OK;
    if (!format || strcmp(format, "pan-train-state"))
        s = pan_error_set(PAN_ERR_DATA_LOSS,
                          "training state %s: metadata 'pan.format' is %s%s%s, "
                          "expected \"pan-train-state\"%s", path,
                          format ? "\"" : "", format ? format : "missing",
                          format ? "\"" : "",
                          config && !format ? " (a model checkpoint, not a "
                                              "training state)" : "");
    else if (!config)
        s = pan_error_set(PAN_ERR_DATA_LOSS,
                          "training state %s: metadata 'pan.config' missing", path);
    else if (!text)
        s = pan_error_set(PAN_ERR_DATA_LOSS,
                          "training state %s: metadata 'pan.run' missing", path);
    if (s == PAN_OK) s = pan_model_config_from_json(cfg, config, strlen(config), path);
    if (s == PAN_OK) s = pan_run_config_parse(text, "run configuration", rc);
    if (s == PAN_ERR_INVALID_ARGUMENT) {
        char msg[PAN_ERROR_MESSAGE_MAX];
        snprintf(msg, sizeof msg, "%s", pan_error_message());
        s = pan_error_set(PAN_ERR_DATA_LOSS, "training state %s: %s", path, msg);
    }
    if (s == PAN_OK && !(*run = strdup(text)))
        s = pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "resume: out of memory");
    pan_safetensors_close(st);
    return s;
}

/* A state of another run (its pan.run differs from the directory's
 * run.json) is refused. No run.json: nothing to compare. */
static pan_status check_same_run(const char *dir, const char *file, const char *run) {
    char path[PAN_RUN_PATH_MAX + 16];
    join(path, sizeof path, dir, "run.json");
    FILE *f = fopen(path, "rb");
    if (!f) return PAN_OK;
    size_t n = strlen(run);
    char *text = malloc(n + 2);
    size_t got = text ? fread(text, 1, n + 1, f) : 0;
    fclose(f);
    bool same = text && got == n && memcmp(text, run, n) == 0;
    free(text);
    if (same) return PAN_OK;
    return pan_error_set(PAN_ERR_DATA_LOSS,
                         "training state %s: metadata 'pan.run' is not this "
                         "run's configuration (%s): a state of another run",
                         file, path);
}

pan_status pan_trainer_resume(pan_trainer **out, pan_compute *c, const char *path) {
    if (!out || !c || !path || !path[0] || strlen(path) >= PAN_RUN_PATH_MAX)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "resume: expected a compute context and a state "
                             "file or run directory");
    char file[PAN_RUN_PATH_MAX + 64], dir[PAN_RUN_PATH_MAX], older[PAN_RUN_PATH_MAX + 64] = "";
    struct stat sb;
    if (stat(path, &sb) != 0)
        return pan_error_set(PAN_ERR_NOT_FOUND, "resume: %s: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode)) {
        int64_t steps[2];
        int n = 0;
        TRY(list_states(path, steps, 2, &n));
        if (n == 0)
            return pan_error_set(PAN_ERR_NOT_FOUND,
                                 "resume: run directory %s holds no training "
                                 "state (state-<step>.safetensors)", path);
        snprintf(dir, sizeof dir, "%s", path);
        state_path(file, sizeof file, dir, steps[0]);
        if (n > 1) state_path(older, sizeof older, dir, steps[1]);
    } else {
        snprintf(file, sizeof file, "%s", path);
        dir_of(path, dir, sizeof dir);
    }
    pan_trainer *t = calloc(1, sizeof *t);
    if (!t) return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "resume: out of memory");
    t->c = c;
    snprintf(t->dir, sizeof t->dir, "%s", dir);
    snprintf(t->resumed_from, sizeof t->resumed_from, "%s", file);
    pan_model_config cfg;
    pan_train_state_info info = {0};
    pan_status st = lock_dir(t, dir);
    /* the configurations first: they size the model and the optimizer that
     * the full load then fills (and checks tensor by tensor) */
    if (st == PAN_OK) st = peek_state(file, &cfg, &t->rc, &t->canonical);
    if (st == PAN_OK) st = check_same_run(dir, file, t->canonical);
    if (st == PAN_OK) st = pan_model_create_random(&t->m, &cfg, 0);
    if (st == PAN_OK) st = setup(t);
    if (st == PAN_OK) st = pan_train_state_load(file, t->m, t->opt, t->ema, &info);
    if (st == PAN_OK) {
        t->cursor = info.cursor;
        t->rng = info.rng;
        size_t n = strlen(info.log ? info.log : "");
        st = log_reserve(t, n);
        if (st == PAN_OK) {
            memcpy(t->log, info.log ? info.log : "", n + 1);
            t->log_len = n;
            st = write_text(dir, "log.jsonl", t->log);
        }
    }
    pan_train_state_info_free(&info);
    if (st == PAN_ERR_DATA_LOSS && older[0]) {
        char msg[PAN_ERROR_MESSAGE_MAX];
        snprintf(msg, sizeof msg, "%s", pan_error_message());
        st = pan_error_set(PAN_ERR_DATA_LOSS,
                           "%s -- the newest state is refused; the previous "
                           "one is %s: resume from it with pan-train run "
                           "--resume %s (the steps after it are redone)",
                           msg, older, older);
    }
    if (st != PAN_OK) {
        pan_trainer_destroy(t);
        return st;
    }
    /* a kill between a state's rename and the pruning leaves three */
    prune(dir);
    *out = t;
    return PAN_OK;
}

/* ---- one step ---- */

static pan_status micro_batch(pan_trainer *t, const pan_train_batch *b,
                              double *loss) {
    pan_model_weights *gw = &t->g->w;
    switch (t->rc.stage) {
    case PAN_STAGE_VAE:
        return pan_vae_stage_loss(t->c, t->m, t->vae, b->batch, b->images, b->eps,
                                  t->rc.kl_weight, NULL, gw, loss);
    case PAN_STAGE_DECODER:
        return pan_decoder_stage_loss(t->c, t->m, t->decoder, b->kind, b->batch,
                                      b->x1, b->x0, b->k, b->actions,
                                      b->state_latents, NULL, gw, loss);
    default:
        return pan_glp_stage_loss(t->c, t->m, t->glp, b->batch, b->rounds, b->z0,
                                  b->chunks, b->actions, b->prev, b->windows,
                                  NULL, gw, loss);
    }
}

static void scale(float *x, int64_t n, float k) {
    for (int64_t i = 0; i < n; i++) x[i] *= k;
}

pan_status pan_trainer_step(pan_trainer *t, pan_train_report *report) {
    if (!t || !report)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "step: expected a trainer and a report");
    const pan_param_table *table = &t->m->params;
    pan_grads_zero(t->g);
    double loss_sum = 0.0;
    for (int j = 0; j < t->rc.accumulate; j++) {
        pan_train_batch b = {0};
        double loss = 0.0;
        TRY(pan_train_data_draw(t->c, t->m, &t->rc, t->episodes, t->cursor, &b));
        for (int i = 0; t->action_sink && i < b.batch * b.rounds; i++)
            fprintf(t->action_sink, "%d %s\n", (int)b.heldout[i], b.texts[i]);
        pan_status st = micro_batch(t, &b, &loss);
        pan_train_batch_free(&b);
        TRY(st);
        loss_sum += loss;
        t->cursor++;
    }
    if (t->rc.accumulate > 1)
        scale(t->g->block, table->total_floats, 1.0f / (float)t->rc.accumulate);
    double norm = t->rc.clip > 0.0f ? pan_grads_clip(table, t->g->block, t->rc.clip)
                                    : pan_grads_global_norm(table, t->g->block);
    pan_lr_schedule sched = {.base = t->rc.lr, .min = t->rc.min_lr,
                             .warmup = t->rc.warmup, .total = t->rc.steps};
    double lr = pan_lr_at(&sched, t->opt->step);
    TRY(pan_adamw_step(t->opt, t->m->block, t->g->block, (float)lr));
    TRY(pan_ema_update(table, t->ema, t->m->block, t->rc.ema));
    *report = (pan_train_report){.step = t->opt->step, .total = t->rc.steps,
                                 .loss = loss_sum / t->rc.accumulate,
                                 .grad_norm = norm, .lr = lr,
                                 .samples = (int64_t)t->rc.batch * t->rc.accumulate,
                                 .cursor = t->cursor};
    return PAN_OK;
}

pan_status pan_trainer_checkpoint(pan_trainer *t) {
    char path[PAN_RUN_PATH_MAX + 64];
    state_path(path, sizeof path, t->dir, t->opt->step);
    pan_train_state_info info = {.cursor = t->cursor, .rng = t->rng,
                                 .run = t->canonical, .log = t->log ? t->log : ""};
    TRY(pan_train_state_save(path, t->m, t->opt, t->ema, &info));
    TRY(pan_trainer_export(t));
    prune(t->dir);
    return PAN_OK;
}

pan_status pan_trainer_export(pan_trainer *t) {
    char steps[32], source[PAN_RUN_PATH_MAX + 32];
    snprintf(steps, sizeof steps, "%" PRId64, t->opt->step);
    if (t->rc.source == PAN_RUN_SOURCE_WORLD)
        snprintf(source, sizeof source, "world %s, train split, seed %" PRIu64,
                 t->rc.world, t->rc.seed);
    else
        snprintf(source, sizeof source, "episodes %s, seed %" PRIu64,
                 t->rc.episodes, t->rc.seed);
    pan_st_meta meta[] = {{"pan.stage", pan_train_stage_name(t->rc.stage)},
                          {"pan.steps", steps},
                          {"pan.data", source},
                          {"pan.train_run", t->canonical}};
    char note[PAN_MODEL_NOTE_MAX];
    snprintf(note, sizeof note, "pan-train stage %s, %s steps, EMA weights",
             pan_train_stage_name(t->rc.stage), steps);
    char model[PAN_RUN_PATH_MAX + 32];
    join(model, sizeof model, t->dir, "model.safetensors");
    return pan_model_save_block(t->m, t->ema, true, model, note, meta, 4);
}
