/* tests/worlds/test_dataset_external.c: external recordings, format
 * version 2 (frames and actions, no ground truth).
 *
 * - Round trip: alloc without truth gives NULL results and states; write
 *   (version field 2), read back, compare; writing the read episode gives
 *   the same bytes; check fills meta.truth false. A body packed here by
 *   hand in the documented order is the writer's body byte for byte.
 * - Names: the world rule [a-z0-9][a-z0-9_-]{0,30} at its edges, built-in
 *   worlds refused; split must be any; T >= 1; truth arrays refused;
 *   pan_episode_generate refuses an episode without truth.
 * - Reader refusals with a valid checksum: results or states present, a
 *   built-in world, a bad name, another split, T = 0 (INVALID_ARGUMENT
 *   naming the field); version 3 (UNIMPLEMENTED); a version-2 body under
 *   a version-1 header (results missing).
 * Usage: test_dataset_external SCRATCH_DIR
 *        test_dataset_external --rewrite IN OUT   (read IN with
 *        pan_episode_read, write it to OUT with pan_episode_write: how the
 *        Python test holds its writer against the C writer; exit 1 with
 *        the reader's or writer's message on failure)
 */
#define _POSIX_C_SOURCE 200809L
#include <msgpack.h>

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

static pan_episode_meta recording_meta(const char *world, int64_t steps) {
    pan_episode_meta m = {.split = PAN_SPLIT_ANY, .steps = steps, .seed = 7,
                          .config = {.width = 40, .height = 32,
                                     .frames_per_step = 2},
                          .truth = false};
    snprintf(m.world, sizeof m.world, "%s", world);
    return m;
}

static void fill(pan_episode *ep) {
    for (size_t i = 0; i < pan_episode_frame_bytes(&ep->meta); i++)
        ep->frames[i] = (uint8_t)(i * 13 + 5);
    for (int64_t t = 0; t < ep->meta.steps; t++)
        snprintf(ep->actions[t], sizeof ep->actions[t], "step %lld: move "
                 "left \xc3\xa9", (long long)t);
}

/* ---- a body packed by hand: the documented key order ---- */

typedef struct body_opts {
    const char *world, *split;
    int64_t steps;
    bool results, states; /* add the truth's keys (must be refused) */
} body_opts;

static void pack_text(msgpack_packer *pk, const char *s) {
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}

/* The body of `ep` with the changes of `o`; frames of the real size only
 * when o->steps equals the episode's T. */
static void pack_body(const pan_episode *ep, const body_opts *o,
                      msgpack_sbuffer *sb) {
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    const pan_episode_meta *m = &ep->meta;
    msgpack_pack_map(&pk, 7u + o->results + o->states);
    pack_text(&pk, "world"); pack_text(&pk, o->world);
    pack_text(&pk, "seed"); msgpack_pack_uint64(&pk, m->seed);
    pack_text(&pk, "split"); pack_text(&pk, o->split);
    pack_text(&pk, "config");
    msgpack_pack_map(&pk, 3);
    pack_text(&pk, "height"); msgpack_pack_int32(&pk, m->config.height);
    pack_text(&pk, "width"); msgpack_pack_int32(&pk, m->config.width);
    pack_text(&pk, "frames_per_step");
    msgpack_pack_int32(&pk, m->config.frames_per_step);
    pack_text(&pk, "steps"); msgpack_pack_int64(&pk, o->steps);
    pack_text(&pk, "actions");
    int64_t n = o->steps < m->steps ? o->steps : m->steps;
    msgpack_pack_array(&pk, (size_t)o->steps);
    for (int64_t t = 0; t < o->steps; t++)
        pack_text(&pk, ep->actions[t < n ? t : 0]);
    if (o->results) {
        pack_text(&pk, "results");
        msgpack_pack_array(&pk, 0);
    }
    if (o->states) {
        pack_text(&pk, "states");
        msgpack_pack_array(&pk, 0);
    }
    pack_text(&pk, "frames");
    pan_episode_meta sized = *m;
    sized.steps = o->steps;
    size_t bytes = pan_episode_frame_bytes(&sized);
    uint8_t *frames = calloc(1, bytes ? bytes : 1);
    memcpy(frames, ep->frames,
           bytes < pan_episode_frame_bytes(m) ? bytes
                                              : pan_episode_frame_bytes(m));
    msgpack_pack_bin(&pk, bytes);
    msgpack_pack_bin_body(&pk, frames, bytes);
    free(frames);
}

/* Reads `path`: `want`, and a message naming the file and `field`. read
 * and check agree. */
static void expect(const char *path, pan_status want, const char *field,
                   const char *what) {
    pan_episode ep;
    pan_error_clear();
    pan_status got = pan_episode_read(path, &ep);
    const char *msg = pan_error_message();
    bool ok = got == want &&
              (want == PAN_OK || (strstr(msg, path) && strstr(msg, field)));
    if (!ok) {
        fprintf(stderr, "case '%s': got %s (%s), expected %s naming '%s'\n",
                what, pan_status_name(got), msg, pan_status_name(want),
                field ? field : "");
        CHECK(!"error as expected");
    }
    if (got == PAN_OK) pan_episode_free(&ep);
    CHECK(pan_episode_check(path, NULL, NULL) == got);
}

static void expect_body(const pan_episode *ep, const body_opts *o,
                        uint32_t version, pan_status want, const char *field,
                        const char *what) {
    char path[1200];
    path_in(path, sizeof path, "crafted.pan");
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    pack_body(ep, o, &sb);
    test_write_sealed(path, version, 0, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    expect(path, want, field, what);
}

/* ---- the cases ---- */

static void test_round_trip(void) {
    pan_episode_meta meta = recording_meta("kitchen-cam_0", 5);
    pan_episode ep, back;
    CHECK_STATUS(pan_episode_alloc(&ep, &meta), PAN_OK);
    CHECK(ep.results == NULL && ep.states == NULL && ep.frames && ep.actions);
    CHECK(pan_episode_version(&ep.meta) == PAN_EPISODE_VERSION_EXTERNAL);
    fill(&ep);
    char a[1200], b[1200];
    path_in(a, sizeof a, "recording.pan");
    path_in(b, sizeof b, "recording2.pan");
    CHECK_STATUS(pan_episode_write(&ep, a), PAN_OK);
    size_t size = 0;
    uint8_t *bytes = test_read_file(a, &size);
    CHECK(bytes && size > 28 && bytes[8] == 2 && bytes[9] == 0 &&
          bytes[10] == 0 && bytes[11] == 0);
    CHECK_STATUS(pan_episode_read(a, &back), PAN_OK);
    CHECK(!back.meta.truth && back.results == NULL && back.states == NULL);
    CHECK(test_episodes_equal(&ep, &back));
    CHECK_STATUS(pan_episode_write(&back, b), PAN_OK);
    CHECK(test_files_equal(a, b));
    pan_episode_meta m;
    memset(&m, 0xff, sizeof m);
    uint64_t file_bytes = 0;
    CHECK_STATUS(pan_episode_check(a, &m, &file_bytes), PAN_OK);
    CHECK(!m.truth && m.steps == 5 && m.split == PAN_SPLIT_ANY &&
          strcmp(m.world, "kitchen-cam_0") == 0 && file_bytes == size);

    /* the documented layout, packed by hand, is the writer's body */
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    pack_body(&ep, &(body_opts){"kitchen-cam_0", "any", 5, false, false}, &sb);
    CHECK(bytes && sb.size == size - 28 &&
          memcmp(sb.data, bytes + PAN_EPISODE_HEADER_SIZE, sb.size) == 0);
    msgpack_sbuffer_destroy(&sb);
    free(bytes);

    /* a version-1 episode still writes version 1 */
    pan_episode truth;
    CHECK_STATUS(test_make_episode("tabletop", 32, 32, 1, 2, 3,
                                   PAN_SPLIT_TRAIN, &truth), PAN_OK);
    CHECK(truth.meta.truth &&
          pan_episode_version(&truth.meta) == PAN_EPISODE_VERSION);
    CHECK_STATUS(pan_episode_write(&truth, b), PAN_OK);
    bytes = test_read_file(b, &size);
    CHECK(bytes && bytes[8] == 1);
    free(bytes);
    CHECK_STATUS(pan_episode_check(b, &m, NULL), PAN_OK);
    CHECK(m.truth);
    pan_episode_free(&truth);
    pan_episode_free(&back);
    pan_episode_free(&ep);
}

static void test_names_and_rules(void) {
    static const char *const good[] = {"a", "0", "cam-0_x", "kitchen",
                                       "abcdefghijklmnopqrstuvwxyz01234",
                                       "tabletop2", "room"};
    static const char *const bad[] = {"", "Kitchen", "-a", "_a", "a b",
                                      "a.b", "caf\xc3\xa9", "a/b"};
    char path[1200];
    path_in(path, sizeof path, "names.pan");
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        pan_episode_meta meta = recording_meta(good[i], 1);
        pan_episode ep;
        CHECK_STATUS(pan_episode_alloc(&ep, &meta), PAN_OK);
        fill(&ep);
        CHECK_STATUS(pan_episode_write(&ep, path), PAN_OK);
        pan_episode_meta m;
        CHECK_STATUS(pan_episode_check(path, &m, NULL), PAN_OK);
        CHECK(strcmp(m.world, good[i]) == 0);
        pan_episode_free(&ep);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pan_episode_meta meta = recording_meta(bad[i], 1);
        pan_episode ep;
        pan_error_clear();
        CHECK_STATUS(pan_episode_alloc(&ep, &meta), PAN_ERR_INVALID_ARGUMENT);
        CHECK(strstr(pan_error_message(), "world") != NULL);
        CHECK(ep.block == NULL);
    }
    /* 32 characters do not fit the rule (nor the buffer's NUL) */
    pan_episode_meta meta = recording_meta("x", 1);
    memset(meta.world, 'x', sizeof meta.world);
    pan_episode ep;
    CHECK_STATUS(pan_episode_alloc(&ep, &meta), PAN_ERR_INVALID_ARGUMENT);
    /* built-in worlds keep their truth */
    for (const char *const *n = pan_world_names(); *n; n++) {
        meta = recording_meta(*n, 1);
        pan_error_clear();
        CHECK_STATUS(pan_episode_alloc(&ep, &meta), PAN_ERR_INVALID_ARGUMENT);
        CHECK(strstr(pan_error_message(), "world") &&
              strstr(pan_error_message(), "built-in"));
    }
    /* split any only */
    meta = recording_meta("cam", 1);
    meta.split = PAN_SPLIT_TRAIN;
    CHECK_STATUS(pan_episode_alloc(&ep, &meta), PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "split") != NULL);
    meta.split = PAN_SPLIT_HELDOUT;
    CHECK_STATUS(pan_episode_alloc(&ep, &meta), PAN_ERR_INVALID_ARGUMENT);
    /* T >= 1 */
    meta = recording_meta("cam", 0);
    CHECK_STATUS(pan_episode_alloc(&ep, &meta), PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "steps") != NULL);
    meta.steps = PAN_EPISODE_MAX_STEPS + 1;
    CHECK_STATUS(pan_episode_alloc(&ep, &meta), PAN_ERR_INVALID_ARGUMENT);
    /* a valid episode spoiled after alloc: the writer refuses it and
     * leaves nothing */
    char dir[1200], file[1300];
    path_in(dir, sizeof dir, "refuse");
    test_scratch_dir(dir);
    snprintf(file, sizeof file, "%s/x.pan", dir);
    meta = recording_meta("cam", 2);
    CHECK_STATUS(pan_episode_alloc(&ep, &meta), PAN_OK);
    fill(&ep);
    strcpy(ep.meta.world, "rooms");
    CHECK_STATUS(pan_episode_write(&ep, file), PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "world") != NULL);
    strcpy(ep.meta.world, "cam");
    ep.meta.split = PAN_SPLIT_TRAIN;
    CHECK_STATUS(pan_episode_write(&ep, file), PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "split") != NULL);
    ep.meta.split = PAN_SPLIT_ANY;
    memset(ep.actions[1], 'x', sizeof ep.actions[1]); /* no NUL */
    CHECK_STATUS(pan_episode_write(&ep, file), PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "actions[1]") != NULL);
    strcpy(ep.actions[1], "ok");
    pan_world_state state = {0};
    ep.states = &state; /* truth arrays on an episode without truth */
    CHECK_STATUS(pan_episode_write(&ep, file), PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "states") != NULL);
    ep.states = NULL;
    /* a world cannot record into an episode without truth */
    pan_world_config cfg = ep.meta.config;
    pan_world *w = NULL;
    CHECK_STATUS(pan_world_create("tabletop", &cfg, &w), PAN_OK);
    CHECK_STATUS(pan_episode_generate(w, &ep), PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "truth") != NULL);
    pan_world_destroy(w);
    CHECK(count_entries(dir) == 0); /* no file, no temporary */
    CHECK_STATUS(pan_episode_write(&ep, file), PAN_OK);
    pan_episode_free(&ep);
}

static void test_reader_refuses(void) {
    pan_episode_meta meta = recording_meta("cam", 3);
    pan_episode ep;
    CHECK_STATUS(pan_episode_alloc(&ep, &meta), PAN_OK);
    fill(&ep);
    const uint32_t V2 = PAN_EPISODE_VERSION_EXTERNAL;
    const pan_status BAD = PAN_ERR_INVALID_ARGUMENT;
    expect_body(&ep, &(body_opts){"cam", "any", 3, false, false}, V2, PAN_OK,
                NULL, "the hand-packed body");
    expect_body(&ep, &(body_opts){"cam", "any", 3, true, false}, V2, BAD,
                "'results'", "results present");
    expect_body(&ep, &(body_opts){"cam", "any", 3, false, true}, V2, BAD,
                "'states'", "states present");
    expect_body(&ep, &(body_opts){"tabletop", "any", 3, false, false}, V2, BAD,
                "'world'", "built-in world tabletop");
    expect_body(&ep, &(body_opts){"rooms", "any", 3, false, false}, V2, BAD,
                "'world'", "built-in world rooms");
    expect_body(&ep, &(body_opts){"Cam", "any", 3, false, false}, V2, BAD,
                "'world'", "upper case name");
    expect_body(&ep, &(body_opts){"", "any", 3, false, false}, V2, BAD,
                "'world'", "empty name");
    expect_body(&ep, &(body_opts){"abcdefghijklmnopqrstuvwxyz012345", "any",
                                  3, false, false}, V2, BAD, "'world'",
                "32-byte name");
    expect_body(&ep, &(body_opts){"cam", "train", 3, false, false}, V2, BAD,
                "'split'", "split train");
    expect_body(&ep, &(body_opts){"cam", "heldout", 3, false, false}, V2, BAD,
                "'split'", "split heldout");
    expect_body(&ep, &(body_opts){"cam", "any", 0, false, false}, V2, BAD,
                "'steps'", "T = 0");
    expect_body(&ep, &(body_opts){"cam", "any", 2, false, false}, V2, PAN_OK,
                NULL, "T = 2");
    expect_body(&ep, &(body_opts){"cam", "any", 3, false, false}, 3,
                PAN_ERR_UNIMPLEMENTED, "'version'", "version 3");
    expect_body(&ep, &(body_opts){"cam", "any", 3, false, false}, 0,
                PAN_ERR_UNIMPLEMENTED, "'version'", "version 0");
    expect_body(&ep, &(body_opts){"cam", "any", 3, false, false},
                PAN_EPISODE_VERSION, BAD, "results", "version 1 without truth");
    /* flags are still refused */
    char path[1200];
    path_in(path, sizeof path, "flags.pan");
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    pack_body(&ep, &(body_opts){"cam", "any", 3, false, false}, &sb);
    test_write_sealed(path, V2, 1, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    expect(path, PAN_ERR_UNIMPLEMENTED, "'flags'", "flags 1");
    pan_episode_free(&ep);
}

static int rewrite(const char *in, const char *out) {
    pan_episode ep;
    pan_status st = pan_episode_read(in, &ep);
    if (st == PAN_OK) st = pan_episode_write(&ep, out);
    pan_episode_free(&ep);
    if (st == PAN_OK) return 0;
    fprintf(stderr, "test_dataset_external --rewrite: %s\n",
            pan_error_message());
    return 1;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "--rewrite") == 0)
        return rewrite(argv[2], argv[3]);
    snprintf(scratch, sizeof scratch, "%s",
             argc > 1 ? argv[1] : "test_dataset_external.scratch");
    test_scratch_dir(scratch);
    test_round_trip();
    test_names_and_rules();
    test_reader_refuses();
    return test_exit_code("test_dataset_external");
}
