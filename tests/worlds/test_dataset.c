/* tests/worlds/test_dataset.c: the episode format's round trip and the
 * writer's rules.
 *
 * - Every world: record an episode from the real world, write, read back,
 *   compare everything byte for byte; write the read episode again and get
 *   the same file; a second recording gives the same file (determinism).
 * - A hand-made episode at the format's edges (0 and 16 objects, longest
 *   texts, extreme floats and integers) survives the round trip.
 * - The writer refuses invalid episodes (and leaves no file, no temporary).
 * - Seeds: pinned values, distinct over a run.
 * Usage: test_dataset SCRATCH_DIR
 */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <math.h>

#include "tests/worlds/test_dataset_util.h"

static char scratch[1024];

static void path_in(char *out, size_t size, const char *name) {
    snprintf(out, size, "%s/%s", scratch, name);
}

static long count_entries(const char *dir) {
    DIR *d = opendir(dir);
    long n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    if (d) closedir(d);
    return n;
}

static void test_world_round_trip(const char *world, int h, int w, int k,
                                  int64_t steps, pan_split split) {
    char a[1200], b[1200], c[1200];
    snprintf(a, sizeof a, "%s/%s-a.pan", scratch, world);
    snprintf(b, sizeof b, "%s/%s-b.pan", scratch, world);
    snprintf(c, sizeof c, "%s/%s-c.pan", scratch, world);
    pan_episode ep, back, again;
    CHECK_STATUS(test_make_episode(world, h, w, k, steps, 1234, split, &ep),
                 PAN_OK);
    CHECK_STATUS(pan_episode_write(&ep, a), PAN_OK);
    CHECK_STATUS(pan_episode_read(a, &back), PAN_OK);
    CHECK(test_episodes_equal(&ep, &back));
    CHECK(back.meta.config.height == h && back.meta.config.width == w);
    CHECK(back.meta.steps == steps && back.meta.split == split);
    /* the frames really hold the world's frames: frame 0 is the reset */
    pan_world *wd = NULL;
    CHECK_STATUS(pan_world_create(world, &back.meta.config, &wd), PAN_OK);
    uint8_t *frame = malloc((size_t)h * (size_t)w * 3);
    CHECK_STATUS(pan_world_reset(wd, back.meta.seed, frame), PAN_OK);
    CHECK(memcmp(frame, back.frames, (size_t)h * (size_t)w * 3) == 0);
    free(frame);
    pan_world_destroy(wd);
    /* writing what was read gives the same bytes */
    CHECK_STATUS(pan_episode_write(&back, b), PAN_OK);
    CHECK(test_files_equal(a, b));
    /* recording again from scratch gives the same bytes */
    CHECK_STATUS(test_make_episode(world, h, w, k, steps, 1234, split, &again),
                 PAN_OK);
    CHECK_STATUS(pan_episode_write(&again, c), PAN_OK);
    CHECK(test_files_equal(a, c));
    /* check gives the meta without the arrays */
    pan_episode_meta meta;
    uint64_t bytes = 0;
    size_t size = 0;
    free(test_read_file(a, &size));
    CHECK_STATUS(pan_episode_check(a, &meta, &bytes), PAN_OK);
    CHECK(bytes == size && strcmp(meta.world, world) == 0 &&
          meta.seed == 1234 && meta.steps == steps);
    pan_episode_free(&ep);
    pan_episode_free(&back);
    pan_episode_free(&again);
    pan_episode_free(&back); /* freeing twice is harmless */
}

/* An episode at the format's edges, made by hand. */
static void fill_edges(pan_episode *ep) {
    for (size_t i = 0; i < pan_episode_frame_bytes(&ep->meta); i++)
        ep->frames[i] = (uint8_t)(i * 7 + 3);
    memset(ep->actions[0], 'a', PAN_WORLD_ACTION_MAX);
    ep->actions[0][PAN_WORLD_ACTION_MAX] = '\0';
    strcpy(ep->actions[1], "");
    strcpy(ep->actions[2], "d\xc3\xa9placer le cercle \"rouge\"\t\\ \x01");
    pan_action_result *r = ep->results;
    r[0] = (pan_action_result){.understood = true, .kind = PAN_ACTION_AGENT,
                               .heldout = true, .template_id = 2147483647};
    memset(r[0].canonical, 'c', sizeof r[0].canonical - 1);
    memset(r[0].message, 'm', sizeof r[0].message - 1);
    r[1] = (pan_action_result){.kind = PAN_ACTION_NONE, .template_id = -1};
    r[2] = (pan_action_result){.understood = true,
                               .kind = PAN_ACTION_ENVIRONMENT, .template_id = 0};
    strcpy(r[2].message, "lights off");
    pan_world_state *s = ep->states;
    s[0].n_objects = 0;
    s[0].seed = UINT64_MAX;
    s[0].rng = 0;
    s[0].steps = INT64_MAX;
    s[0].brightness = -0.0f;
    s[0].camera_x = FLT_MAX;
    s[0].camera_y = -FLT_MAX;
    s[0].heading = 3;
    s[1].n_objects = PAN_WORLD_MAX_OBJECTS;
    for (int i = 0; i < PAN_WORLD_MAX_OBJECTS; i++)
        s[1].objects[i] = (pan_object_state){
            .colour = i % PAN_COLOUR_COUNT, .shape = i % PAN_SHAPE_COUNT,
            .x = (float)i * 0.1f, .y = FLT_MIN / 4, .size = 1e-30f,
            .visible = i % 2};
    s[2].n_objects = 1;
    s[2].objects[0] = (pan_object_state){.x = 63.999996f, .y = -3.5f,
                                         .size = 2.0f, .visible = true};
    s[3].brightness = 0.25f;
}

static void test_edges(void) {
    pan_episode_meta meta = {.world = "rooms", .seed = 42,
                             .split = PAN_SPLIT_HELDOUT, .steps = 3,
                             .config = {.width = 33, .height = 32,
                                        .frames_per_step = 1},
                             .truth = true};
    pan_episode ep, back;
    CHECK_STATUS(pan_episode_alloc(&ep, &meta), PAN_OK);
    fill_edges(&ep);
    char a[1200], b[1200];
    path_in(a, sizeof a, "edges.pan");
    path_in(b, sizeof b, "edges2.pan");
    CHECK_STATUS(pan_episode_write(&ep, a), PAN_OK);
    CHECK_STATUS(pan_episode_read(a, &back), PAN_OK);
    CHECK(test_episodes_equal(&ep, &back));
    CHECK(signbit(back.states[0].brightness)); /* -0.0 kept */
    CHECK_STATUS(pan_episode_write(&back, b), PAN_OK);
    CHECK(test_files_equal(a, b));
    pan_episode_free(&back);

    /* T = 0: only the reset frame and state */
    pan_episode empty;
    pan_episode_meta zero = meta;
    zero.steps = 0;
    CHECK_STATUS(pan_episode_alloc(&empty, &zero), PAN_OK);
    memset(empty.frames, 9, pan_episode_frame_bytes(&zero));
    empty.states[0] = ep.states[1];
    CHECK_STATUS(pan_episode_write(&empty, b), PAN_OK);
    CHECK_STATUS(pan_episode_read(b, &back), PAN_OK);
    CHECK(test_episodes_equal(&empty, &back));
    pan_episode_free(&back);
    pan_episode_free(&empty);

    /* Writing over an existing file replaces it. */
    ep.meta.seed = 43;
    CHECK_STATUS(pan_episode_write(&ep, a), PAN_OK);
    CHECK_STATUS(pan_episode_read(a, &back), PAN_OK);
    CHECK(back.meta.seed == 43);
    pan_episode_free(&back);
    pan_episode_free(&ep);
}

typedef void (*spoil_fn)(pan_episode *ep);
static void spoil_world(pan_episode *ep) { strcpy(ep->meta.world, "chess"); }
static void spoil_split(pan_episode *ep) { ep->meta.split = (pan_split)7; }
static void spoil_nan(pan_episode *ep) { ep->states[1].objects[0].x = NAN; }
static void spoil_inf(pan_episode *ep) { ep->states[0].brightness = INFINITY; }
static void spoil_colour(pan_episode *ep) { ep->states[1].objects[3].colour = 6; }
static void spoil_shape(pan_episode *ep) { ep->states[1].objects[3].shape = -1; }
static void spoil_count(pan_episode *ep) { ep->states[2].n_objects = 17; }
static void spoil_heading(pan_episode *ep) { ep->states[2].heading = 4; }
static void spoil_steps(pan_episode *ep) { ep->states[3].steps = -1; }
static void spoil_kind(pan_episode *ep) { ep->results[1].kind = (pan_action_kind)3; }
static void spoil_template(pan_episode *ep) { ep->results[2].template_id = -2; }
static void spoil_action(pan_episode *ep) {
    memset(ep->actions[1], 'x', sizeof ep->actions[1]); /* no NUL */
}
static void spoil_canonical(pan_episode *ep) {
    memset(ep->results[0].canonical, 'x', sizeof ep->results[0].canonical);
}

static void test_writer_refuses(void) {
    static const struct { const char *name; spoil_fn fn; const char *field; }
    cases[] = {{"world", spoil_world, "world"},
               {"split", spoil_split, "split"},
               {"nan", spoil_nan, "states[1].objects[0].x"},
               {"inf", spoil_inf, "states[0].brightness"},
               {"colour", spoil_colour, "states[1].objects[3].colour"},
               {"shape", spoil_shape, "states[1].objects[3].shape"},
               {"count", spoil_count, "states[2].objects"},
               {"heading", spoil_heading, "states[2].heading"},
               {"steps", spoil_steps, "states[3].steps"},
               {"kind", spoil_kind, "results[1].kind"},
               {"template", spoil_template, "results[2].template_id"},
               {"action", spoil_action, "actions[1]"},
               {"canonical", spoil_canonical, "results[0].canonical"}};
    pan_episode_meta meta = {.world = "tabletop", .steps = 3,
                             .config = {.width = 32, .height = 32,
                                        .frames_per_step = 2},
                             .truth = true};
    char dir[1200], path[1300];
    path_in(dir, sizeof dir, "refuse");
    test_scratch_dir(dir);
    snprintf(path, sizeof path, "%s/x.pan", dir);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pan_episode ep;
        CHECK_STATUS(pan_episode_alloc(&ep, &meta), PAN_OK);
        fill_edges(&ep);
        cases[i].fn(&ep);
        pan_error_clear();
        CHECK_STATUS(pan_episode_write(&ep, path), PAN_ERR_INVALID_ARGUMENT);
        if (!strstr(pan_error_message(), cases[i].field)) {
            fprintf(stderr, "case %s: message '%s' does not name '%s'\n",
                    cases[i].name, pan_error_message(), cases[i].field);
            CHECK(!"the message names the field");
        }
        pan_episode_free(&ep);
    }
    CHECK(count_entries(dir) == 0); /* no file, no temporary */

    /* Bad metas are refused by alloc. */
    pan_episode ep;
    pan_episode_meta bad = meta;
    bad.config.height = 31;
    CHECK_STATUS(pan_episode_alloc(&ep, &bad), PAN_ERR_INVALID_ARGUMENT);
    bad = meta;
    bad.config.frames_per_step = 17;
    CHECK_STATUS(pan_episode_alloc(&ep, &bad), PAN_ERR_INVALID_ARGUMENT);
    bad = meta;
    bad.steps = PAN_EPISODE_MAX_STEPS + 1;
    CHECK_STATUS(pan_episode_alloc(&ep, &bad), PAN_ERR_INVALID_ARGUMENT);
    bad = meta;
    bad.steps = 40000; /* 256x256, K=16: frames over 4 GiB */
    bad.config = (pan_world_config){.width = 256, .height = 256,
                                    .frames_per_step = 16};
    CHECK_STATUS(pan_episode_alloc(&ep, &bad), PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "frames") != NULL);
    CHECK(ep.block == NULL);

    /* A directory that does not exist: IO, nothing left behind. */
    CHECK_STATUS(pan_episode_alloc(&ep, &meta), PAN_OK);
    fill_edges(&ep);
    snprintf(path, sizeof path, "%s/missing/x.pan", dir);
    CHECK_STATUS(pan_episode_write(&ep, path), PAN_ERR_IO);
    CHECK(strstr(pan_error_message(), "missing/x.pan") != NULL);
    pan_episode_free(&ep);
}

static void test_read_errors(void) {
    char path[1200];
    pan_episode ep;
    path_in(path, sizeof path, "does-not-exist.pan");
    CHECK_STATUS(pan_episode_read(path, &ep), PAN_ERR_NOT_FOUND);
    CHECK(strstr(pan_error_message(), "does-not-exist.pan") != NULL);
    CHECK(ep.block == NULL && ep.frames == NULL);
    CHECK_STATUS(pan_episode_read(scratch, &ep), PAN_ERR_IO); /* a directory */
    CHECK_STATUS(pan_episode_read(NULL, &ep), PAN_ERR_INVALID_ARGUMENT);
}

static void test_seeds_and_names(void) {
    /* Pinned: changing these changes every dataset (docs/dataset.md). */
    CHECK(pan_episode_seed(0, 0) == 0xe220a8397b1dcdafull);
    CHECK(pan_episode_seed(7, 3) == pan_episode_seed(7, 3));
    CHECK(pan_episode_action_seed(0) == 0x8209b480faed1b10ull);
    for (int64_t i = 0; i < 1000; i++)
        for (int64_t j = i + 1; j < i + 4; j++)
            CHECK(pan_episode_seed(5, i) != pan_episode_seed(5, j));
    CHECK(pan_episode_seed(5, 0) != pan_episode_seed(6, 0));
    pan_split s;
    CHECK_STATUS(pan_episode_split_parse("heldout", &s), PAN_OK);
    CHECK(s == PAN_SPLIT_HELDOUT);
    CHECK_STATUS(pan_episode_split_parse("test", &s), PAN_ERR_INVALID_ARGUMENT);
    CHECK(strcmp(pan_episode_split_name(PAN_SPLIT_ANY), "any") == 0);
    CHECK(pan_episode_is_temporary_name(".episode-000001.pan.tmpAb3XyZ"));
    CHECK(!pan_episode_is_temporary_name("episode-000001.pan"));
    CHECK(!pan_episode_is_temporary_name(".pan-data.lock"));
}

int main(int argc, char **argv) {
    snprintf(scratch, sizeof scratch, "%s",
             argc > 1 ? argv[1] : "test_dataset.scratch");
    test_scratch_dir(scratch);
    test_world_round_trip("tabletop", 64, 64, 4, 12, PAN_SPLIT_TRAIN);
    test_world_round_trip("tabletop", 32, 48, 1, 5, PAN_SPLIT_HELDOUT);
    test_world_round_trip("rooms", 64, 64, 4, 12, PAN_SPLIT_ANY);
    test_world_round_trip("rooms", 40, 32, 2, 3, PAN_SPLIT_TRAIN);
    test_edges();
    test_writer_refuses();
    test_read_errors();
    test_seeds_and_names();
    CHECK(count_entries(scratch) > 0);
    return test_exit_code("test_dataset");
}
