/* tests/worlds/test_dataset_corrupt.c: the reader never trusts a file.
 *
 * - Truncation at every cut point and single-byte corruption (three bit
 *   patterns) at every offset of a real episode: DATA_LOSS, naming the file.
 * - Header: bad magic, short files, appended bytes (DATA_LOSS); another
 *   version (0, 3) or flags with a valid checksum (UNIMPLEMENTED); a
 *   version-1 body under a version-2 header (INVALID_ARGUMENT).
 * - Bodies that pass the checksum but lie: huge declared lengths, depth
 *   bombs, invalid bytes, a body cut at every point (DATA_LOSS, without
 *   allocating for the lie).
 * - Schema: with a valid checksum, every node of the body replaced by nil
 *   and by a value of another type, every map key dropped, renamed,
 *   duplicated, an unknown key added, every array shortened and lengthened,
 *   and a table of out-of-range values: INVALID_ARGUMENT naming the field.
 *   The node sweep runs over a version-2 body (external recording) too.
 * Run it under AddressSanitizer too (the CI's sanitizer build does).
 * The ~70,000 small files of the byte cases go to a directory in /dev/shm
 * when there is one (ten times faster than ext4), else to SCRATCH_DIR.
 * Usage: test_dataset_corrupt SCRATCH_DIR
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <msgpack.h>

#include "tests/worlds/test_dataset_util.h"

static char scratch[1024]; /* SCRATCH_DIR, or a fresh dir in /dev/shm */
static char crafted[1200]; /* the file every crafted case is written to */
static uint8_t *body0;     /* the valid body */
static size_t body0_len;
static int64_t T0;         /* its steps */
static uint32_t version0 = PAN_EPISODE_VERSION; /* the header body0 needs */

/* Reads `path`, expects `want`, a message naming the file and, if field is
 * not NULL, naming the field. */
static void expect(const char *path, pan_status want, const char *field,
                   const char *what) {
    pan_episode ep;
    pan_error_clear();
    pan_status got = pan_episode_read(path, &ep);
    const char *msg = pan_error_message();
    bool ok = got == want && (want == PAN_OK || strstr(msg, path)) &&
              (!field || want == PAN_OK || strstr(msg, field));
    if (!ok) {
        fprintf(stderr, "case '%s': got %s (%s), expected %s naming '%s'\n",
                what, pan_status_name(got), msg, pan_status_name(want),
                field ? field : path);
        CHECK(!"error as expected");
    }
    CHECK(ep.block == NULL || got == PAN_OK);
    if (got == PAN_OK) pan_episode_free(&ep);
    /* check() walks the same path */
    pan_status again = pan_episode_check(path, NULL, NULL);
    if (again != got) {
        fprintf(stderr, "case '%s': check gave %s, read gave %s\n", what,
                pan_status_name(again), pan_status_name(got));
        CHECK(!"check agrees with read");
    }
}

static void expect_body(const void *body, size_t len, pan_status want,
                        const char *field, const char *what) {
    test_write_sealed(crafted, version0, 0, body, len);
    expect(crafted, want, field, what);
}

/* ---- bytes of a real file ---- */

static void test_truncation_and_flips(const char *good) {
    size_t size;
    uint8_t *bytes = test_read_file(good, &size);
    CHECK(bytes && size > 1000);
    if (!bytes) return;
    char path[1300];
    snprintf(path, sizeof path, "%s/cut.pan", scratch);
    long cases = 0;
    for (size_t cut = 0; cut < size; cut++, cases++) {
        test_write_file(path, bytes, cut);
        expect(path, PAN_ERR_DATA_LOSS, NULL, "truncated");
    }
    static const uint8_t patterns[] = {0x01, 0x80, 0xff};
    for (size_t p = 0; p < sizeof patterns; p++)
        for (size_t at = 0; at < size; at++, cases++) {
            bytes[at] ^= patterns[p];
            test_write_file(path, bytes, size);
            expect(path, PAN_ERR_DATA_LOSS, NULL, "flipped byte");
            bytes[at] ^= patterns[p];
        }
    /* one byte too many */
    uint8_t *longer = malloc(size + 1);
    memcpy(longer, bytes, size);
    longer[size] = 0;
    test_write_file(path, longer, size + 1);
    expect(path, PAN_ERR_DATA_LOSS, "body_length", "appended byte");
    free(longer);
    /* and the untouched bytes still read */
    test_write_file(path, bytes, size);
    expect(path, PAN_OK, NULL, "intact copy");
    printf("truncation and corruption: %ld cases of a %zu-byte file\n",
           cases, size);
    free(bytes);
}

static void test_header(void) {
    test_write_sealed(crafted, 3, 0, body0, body0_len);
    expect(crafted, PAN_ERR_UNIMPLEMENTED, "version", "version 3");
    test_write_sealed(crafted, PAN_EPISODE_VERSION_EXTERNAL, 0, body0,
                      body0_len);
    expect(crafted, PAN_ERR_INVALID_ARGUMENT, "results",
           "version-1 body under a version-2 header");
    test_write_sealed(crafted, 0, 0, body0, body0_len);
    expect(crafted, PAN_ERR_UNIMPLEMENTED, "version", "version 0");
    test_write_sealed(crafted, PAN_EPISODE_VERSION, 1, body0, body0_len);
    expect(crafted, PAN_ERR_UNIMPLEMENTED, "flags", "flags 1");
    test_write_sealed(crafted, PAN_EPISODE_VERSION, 0, body0, body0_len);
    expect(crafted, PAN_OK, NULL, "resealed original");
    size_t size;
    uint8_t *bytes = test_read_file(crafted, &size);
    bytes[3] = 'X';
    test_write_file(crafted, bytes, size);
    expect(crafted, PAN_ERR_DATA_LOSS, "magic", "bad magic");
    test_write_file(crafted, "hello", 5);
    expect(crafted, PAN_ERR_DATA_LOSS, "truncated", "tiny file");
    free(bytes);
}

/* ---- bodies that lie about lengths ---- */

static void test_malformed_bodies(void) {
    static const uint8_t map_huge[] = {0xdf, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t array_huge[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0};
    static const uint8_t str_huge[] = {0xdb, 0xff, 0xff, 0xff, 0xf0, 'a'};
    static const uint8_t frames_huge[] = {0x81, 0xa6, 'f', 'r', 'a', 'm', 'e',
                                          's', 0xc6, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t never_used[] = {0xc1};
    static const uint8_t trailing[] = {0x80, 0xc0};
    static const uint8_t ext[] = {0xd4, 0x01, 0x02};
    expect_body("", 0, PAN_ERR_DATA_LOSS, "body", "empty body");
    expect_body(map_huge, sizeof map_huge, PAN_ERR_DATA_LOSS, "body", "map32");
    expect_body(array_huge, sizeof array_huge, PAN_ERR_DATA_LOSS, "body",
                "array32");
    expect_body(str_huge, sizeof str_huge, PAN_ERR_DATA_LOSS, "body", "str32");
    expect_body(frames_huge, sizeof frames_huge, PAN_ERR_DATA_LOSS, "body",
                "bin32 frames");
    expect_body(never_used, 1, PAN_ERR_DATA_LOSS, "body", "0xc1");
    expect_body(trailing, sizeof trailing, PAN_ERR_DATA_LOSS, "body",
                "trailing byte");
    expect_body(ext, sizeof ext, PAN_ERR_INVALID_ARGUMENT, "map", "ext root");
    /* nesting: 16 levels pass the pre-scan (then fail the schema), 17 and a
     * depth bomb do not */
    uint8_t deep[100001];
    memset(deep, 0x91, sizeof deep);
    deep[16] = 0xc0;
    expect_body(deep, 17, PAN_ERR_INVALID_ARGUMENT, "map", "16 levels");
    deep[16] = 0x91;
    deep[17] = 0xc0;
    expect_body(deep, 18, PAN_ERR_DATA_LOSS, "nested", "17 levels");
    deep[sizeof deep - 1] = 0xc0;
    expect_body(deep, sizeof deep, PAN_ERR_DATA_LOSS, "nested", "depth bomb");
    /* the valid body cut at every point (checksum made to match) */
    for (size_t cut = 0; cut < body0_len; cut++)
        expect_body(body0, cut, PAN_ERR_DATA_LOSS, "body", "body cut");
}

/* ---- schema: a msgpack tree changed one node at a time ---- */

typedef struct tree {
    msgpack_unpacked root;
} tree;

static void tree_load(tree *t) {
    msgpack_unpacked_init(&t->root);
    size_t off = 0;
    msgpack_unpack_return r =
        msgpack_unpack_next(&t->root, (const char *)body0, body0_len, &off);
    CHECK(r == MSGPACK_UNPACK_SUCCESS && off == body0_len);
}

static void tree_expect(tree *t, pan_status want, const char *field,
                        const char *what) {
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_object(&pk, t->root.data);
    expect_body(sb.data, sb.size, want, field, what);
    msgpack_sbuffer_destroy(&sb);
    msgpack_unpacked_destroy(&t->root);
}

static void *tree_alloc(tree *t, size_t n) {
    return msgpack_zone_malloc(t->root.zone, n);
}

/* A path: child indices from the root (map: entry k's value). */
typedef struct node_path {
    int index[8];
    int depth;
    char name[192];  /* "states[1].objects[0].x" */
    bool objects;    /* an "objects" array (its length is free, 0..16) */
} node_path;

static node_path paths[4096];
static int n_paths;

static void collect(const msgpack_object *o, node_path *p) {
    if (n_paths < (int)(sizeof paths / sizeof paths[0])) paths[n_paths++] = *p;
    if (p->depth == 8) return;
    if (o->type == MSGPACK_OBJECT_MAP) {
        for (uint32_t k = 0; k < o->via.map.size; k++) {
            node_path c = *p;
            const msgpack_object_str *key = &o->via.map.ptr[k].key.via.str;
            c.index[c.depth++] = (int)k;
            char text[41] = {0};
            memcpy(text, key->ptr, key->size < 40 ? key->size : 40);
            snprintf(c.name, sizeof c.name, "%.120s%s%s", p->name,
                     p->depth ? "." : "", text);
            c.objects = key->size == 7 && !memcmp(key->ptr, "objects", 7);
            collect(&o->via.map.ptr[k].val, &c);
        }
    } else if (o->type == MSGPACK_OBJECT_ARRAY) {
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            node_path c = *p;
            c.index[c.depth++] = (int)i;
            snprintf(c.name, sizeof c.name, "%.120s[%u]", p->name, i);
            c.objects = false;
            collect(&o->via.array.ptr[i], &c);
        }
    }
}

static msgpack_object *walk(tree *t, const node_path *p) {
    msgpack_object *o = &t->root.data;
    for (int i = 0; i < p->depth; i++)
        o = o->type == MSGPACK_OBJECT_MAP ? &o->via.map.ptr[p->index[i]].val
                                          : &o->via.array.ptr[p->index[i]];
    return o;
}

static msgpack_object str_object(const char *s, size_t n) {
    return (msgpack_object){.type = MSGPACK_OBJECT_STR,
                            .via.str = {.size = (uint32_t)n, .ptr = s}};
}

static msgpack_object int_object(int64_t v) {
    if (v >= 0)
        return (msgpack_object){.type = MSGPACK_OBJECT_POSITIVE_INTEGER,
                                .via.u64 = (uint64_t)v};
    return (msgpack_object){.type = MSGPACK_OBJECT_NEGATIVE_INTEGER,
                            .via.i64 = v};
}

static msgpack_object float64_object(double v) {
    return (msgpack_object){.type = MSGPACK_OBJECT_FLOAT64, .via.f64 = v};
}

/* Another type than o's: what a wrong writer might have put there. */
static msgpack_object other_type(const msgpack_object *o) {
    switch (o->type) {
    case MSGPACK_OBJECT_STR: return int_object(7);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return str_object("7", 1);
    case MSGPACK_OBJECT_BIN: return str_object("frames", 6);
    case MSGPACK_OBJECT_ARRAY:
        return (msgpack_object){.type = MSGPACK_OBJECT_MAP};
    case MSGPACK_OBJECT_MAP:
        return (msgpack_object){.type = MSGPACK_OBJECT_ARRAY};
    default: return int_object(1); /* float, bool */
    }
}

static void test_every_node(void) {
    tree t;
    tree_load(&t);
    node_path root = {.depth = 0};
    n_paths = 0;
    collect(&t.root.data, &root);
    msgpack_unpacked_destroy(&t.root);
    long cases = 0;
    for (int i = 0; i < n_paths; i++) {
        const node_path *p = &paths[i];
        const char *field = p->depth ? p->name : "";
        char what[256];

        snprintf(what, sizeof what, "%.180s = nil", field);
        tree_load(&t);
        *walk(&t, p) = (msgpack_object){.type = MSGPACK_OBJECT_NIL};
        tree_expect(&t, PAN_ERR_INVALID_ARGUMENT, field, what);

        snprintf(what, sizeof what, "%.180s of another type", field);
        tree_load(&t);
        msgpack_object *o = walk(&t, p);
        *o = other_type(o);
        tree_expect(&t, PAN_ERR_INVALID_ARGUMENT, field, what);
        cases += 2;

        tree_load(&t);
        o = walk(&t, p);
        if (o->type == MSGPACK_OBJECT_MAP) {
            uint32_t n = o->via.map.size;
            msgpack_unpacked_destroy(&t.root);
            for (uint32_t k = 0; k < n; k++, cases += 3) {
                snprintf(what, sizeof what, "%.180s: key %u dropped", field, k);
                tree_load(&t);
                o = walk(&t, p);
                o->via.map.ptr[k] = o->via.map.ptr[n - 1];
                o->via.map.size--;
                tree_expect(&t, PAN_ERR_INVALID_ARGUMENT, "missing", what);

                snprintf(what, sizeof what, "%.180s: key %u renamed", field, k);
                tree_load(&t);
                o = walk(&t, p);
                o->via.map.ptr[k].key = str_object("zz_unknown", 10);
                tree_expect(&t, PAN_ERR_INVALID_ARGUMENT, "zz_unknown", what);

                snprintf(what, sizeof what, "%.180s: key %u twice", field, k);
                tree_load(&t);
                o = walk(&t, p);
                o->via.map.ptr[k].key = o->via.map.ptr[(k + 1) % n].key;
                tree_expect(&t, PAN_ERR_INVALID_ARGUMENT, "twice", what);
            }
            snprintf(what, sizeof what, "%.180s: unknown key added", field);
            tree_load(&t);
            o = walk(&t, p);
            msgpack_object_kv *kv = tree_alloc(&t, (n + 1) * sizeof *kv);
            memcpy(kv, o->via.map.ptr, n * sizeof *kv);
            kv[n].key = str_object("extra", 5);
            kv[n].val = int_object(1);
            o->via.map.ptr = kv;
            o->via.map.size = n + 1;
            tree_expect(&t, PAN_ERR_INVALID_ARGUMENT, "extra", what);
            cases++;
        } else if (o->type == MSGPACK_OBJECT_ARRAY && !p->objects) {
            uint32_t n = o->via.array.size;
            msgpack_unpacked_destroy(&t.root);
            if (n > 0) {
                snprintf(what, sizeof what, "%.180s: one element fewer", field);
                tree_load(&t);
                walk(&t, p)->via.array.size--;
                tree_expect(&t, PAN_ERR_INVALID_ARGUMENT, field, what);
                cases++;
            }
            snprintf(what, sizeof what, "%.180s: one element more", field);
            tree_load(&t);
            o = walk(&t, p);
            msgpack_object *e = tree_alloc(&t, (n + 1) * sizeof *e);
            memcpy(e, o->via.array.ptr, n * sizeof *e);
            e[n] = n ? e[n - 1] : int_object(0);
            o->via.array.ptr = e;
            o->via.array.size = n + 1;
            tree_expect(&t, PAN_ERR_INVALID_ARGUMENT, field, what);
            cases++;
        } else {
            msgpack_unpacked_destroy(&t.root);
        }
    }
    printf("schema: %d nodes, %ld mutated bodies\n", n_paths, cases);
}

/* ---- values out of range, one at a time ---- */

static msgpack_object *field_of(msgpack_object *map, const char *key) {
    for (uint32_t k = 0; map->type == MSGPACK_OBJECT_MAP &&
                         k < map->via.map.size; k++) {
        msgpack_object_str *s = &map->via.map.ptr[k].key.via.str;
        if (strlen(key) == s->size && !memcmp(key, s->ptr, s->size))
            return &map->via.map.ptr[k].val;
    }
    CHECK(!"field present in the valid body");
    return map;
}

static msgpack_object *element(msgpack_object *array, uint32_t i) {
    CHECK(array->type == MSGPACK_OBJECT_ARRAY && i < array->via.array.size);
    return &array->via.array.ptr[i];
}

static msgpack_object *object0(tree *t, int state) {
    return element(field_of(element(field_of(&t->root.data, "states"), (uint32_t)state),
                            "objects"), 0);
}

static void test_values(void) {
    static char long_text[300], nul_text[4] = {'a', 0, 'b', 0};
    memset(long_text, 'x', sizeof long_text);
    tree t;
    msgpack_object *r = NULL;
#define CASE(want, field, mutation)                                           \
    do {                                                                      \
        tree_load(&t);                                                        \
        r = &t.root.data;                                                     \
        mutation;                                                             \
        tree_expect(&t, (want), (field), #mutation);                          \
    } while (0)
    const pan_status BAD = PAN_ERR_INVALID_ARGUMENT;
    CASE(BAD, "world", *field_of(r, "world") = str_object("chess", 5));
    CASE(BAD, "split", *field_of(r, "split") = str_object("test", 4));
    CASE(BAD, "seed", *field_of(r, "seed") = int_object(-5));
    CASE(BAD, "config.height",
         *field_of(field_of(r, "config"), "height") = int_object(31));
    CASE(BAD, "config.width",
         *field_of(field_of(r, "config"), "width") = int_object(257));
    CASE(BAD, "config.height",
         *field_of(field_of(r, "config"), "height") = int_object(1ll << 40));
    CASE(BAD, "config.frames_per_step",
         *field_of(field_of(r, "config"), "frames_per_step") = int_object(0));
    CASE(BAD, "config.frames_per_step",
         *field_of(field_of(r, "config"), "frames_per_step") = int_object(17));
    CASE(BAD, "steps", *field_of(r, "steps") = int_object(-1));
    CASE(BAD, "steps", *field_of(r, "steps") = int_object(PAN_EPISODE_MAX_STEPS + 1));
    CASE(BAD, "frames", *field_of(r, "steps") = int_object(T0 + 1));
    CASE(BAD, "frames", field_of(r, "frames")->via.bin.size--);
    CASE(BAD, "actions[0]",
         *element(field_of(r, "actions"), 0) = str_object(long_text, 257));
    CASE(PAN_OK, NULL,
         *element(field_of(r, "actions"), 0) = str_object(long_text, 256));
    CASE(BAD, "actions[1]",
         *element(field_of(r, "actions"), 1) = str_object(nul_text, 3));
    CASE(BAD, "results[1].kind",
         *field_of(element(field_of(r, "results"), 1), "kind") =
             str_object("magic", 5));
    CASE(BAD, "results[0].template_id",
         *field_of(element(field_of(r, "results"), 0), "template_id") =
             int_object(-2));
    CASE(BAD, "results[0].canonical",
         *field_of(element(field_of(r, "results"), 0), "canonical") =
             str_object(long_text, 96));
    CASE(BAD, "results[2].message",
         *field_of(element(field_of(r, "results"), 2), "message") =
             str_object(long_text, 128));
    CASE(BAD, "states[0].heading",
         *field_of(element(field_of(r, "states"), 0), "heading") =
             int_object(4));
    CASE(BAD, "states[0].heading",
         *field_of(element(field_of(r, "states"), 0), "heading") =
             int_object(INT64_MIN));
    CASE(BAD, "states[1].steps",
         field_of(element(field_of(r, "states"), 1), "steps")->via.u64 =
             UINT64_MAX);
    CASE(BAD, "states[2].seed",
         *field_of(element(field_of(r, "states"), 2), "seed") =
             str_object("x", 1));
    CASE(BAD, "states[1].objects[0].colour",
         *field_of(object0(&t, 1), "colour") = int_object(6));
    CASE(BAD, "states[0].objects[0].shape",
         *field_of(object0(&t, 0), "shape") = int_object(-1));
    CASE(BAD, "states[0].objects[0].x",
         field_of(object0(&t, 0), "x")->via.f64 = NAN);
    CASE(BAD, "states[0].objects[0].y",
         field_of(object0(&t, 0), "y")->via.f64 = -INFINITY);
    CASE(BAD, "states[0].objects[0].x",
         *field_of(object0(&t, 0), "x") = float64_object(0.1));
    CASE(PAN_OK, NULL,
         *field_of(object0(&t, 0), "x") = float64_object(2.5));
    /* 17 objects: repeat object 0 */
    CASE(BAD, "states[0].objects", {
        msgpack_object *objs = field_of(element(field_of(r, "states"), 0),
                                        "objects");
        msgpack_object *e = tree_alloc(&t, 17 * sizeof *e);
        for (int i = 0; i < 17; i++) e[i] = objs->via.array.ptr[0];
        objs->via.array.ptr = e;
        objs->via.array.size = 17;
    });
    /* 0 objects is a valid state */
    CASE(PAN_OK, NULL,
         field_of(element(field_of(r, "states"), 0), "objects")->via.array.size = 0);
#undef CASE
}

int main(int argc, char **argv) {
    snprintf(scratch, sizeof scratch, "/dev/shm/pan_test_dataset_corrupt.%ld",
             (long)getpid());
    if (mkdir(scratch, 0700) != 0) {
        snprintf(scratch, sizeof scratch, "%s",
                 argc > 1 ? argv[1] : "test_dataset_corrupt.scratch");
        test_scratch_dir(scratch);
    }
    snprintf(crafted, sizeof crafted, "%s/crafted.pan", scratch);
    char good[1200];
    snprintf(good, sizeof good, "%s/good.pan", scratch);
    pan_episode ep;
    T0 = 4;
    CHECK_STATUS(test_make_episode("tabletop", 32, 32, 1, T0, 99,
                                   PAN_SPLIT_ANY, &ep), PAN_OK);
    CHECK_STATUS(pan_episode_write(&ep, good), PAN_OK);
    CHECK(ep.states[0].n_objects > 0 && ep.states[1].n_objects > 0);
    pan_episode_free(&ep);
    size_t size = 0;
    uint8_t *bytes = test_read_file(good, &size);
    CHECK(bytes != NULL);
    if (!bytes) return test_exit_code("test_dataset_corrupt");
    body0_len = size - PAN_EPISODE_HEADER_SIZE - PAN_EPISODE_TRAILER_SIZE;
    body0 = bytes + PAN_EPISODE_HEADER_SIZE;

    test_header();
    test_malformed_bodies();
    test_every_node();
    test_values();
    test_truncation_and_flips(good);
    free(bytes);

    /* the same sweep over an external recording (version 2) */
    CHECK_STATUS(test_make_episode("tabletop", 32, 32, 1, T0, 99,
                                   PAN_SPLIT_ANY, &ep), PAN_OK);
    pan_episode rec;
    pan_episode_meta meta = ep.meta;
    meta.truth = false;
    strcpy(meta.world, "cam-0");
    CHECK_STATUS(pan_episode_alloc(&rec, &meta), PAN_OK);
    memcpy(rec.frames, ep.frames, pan_episode_frame_bytes(&meta));
    memcpy(rec.actions, ep.actions, (size_t)T0 * sizeof rec.actions[0]);
    pan_episode_free(&ep);
    CHECK_STATUS(pan_episode_write(&rec, good), PAN_OK);
    pan_episode_free(&rec);
    bytes = test_read_file(good, &size);
    CHECK(bytes != NULL);
    if (!bytes) return test_exit_code("test_dataset_corrupt");
    body0_len = size - PAN_EPISODE_HEADER_SIZE - PAN_EPISODE_TRAILER_SIZE;
    body0 = bytes + PAN_EPISODE_HEADER_SIZE;
    version0 = PAN_EPISODE_VERSION_EXTERNAL;
    expect_body(body0, body0_len, PAN_OK, NULL, "version 2 resealed");
    test_every_node();
    test_write_sealed(crafted, PAN_EPISODE_VERSION, 0, body0, body0_len);
    expect(crafted, PAN_ERR_INVALID_ARGUMENT, "results",
           "version-2 body under a version-1 header");
    free(bytes);
    if (strncmp(scratch, "/dev/shm/", 9) == 0) test_remove_tree(scratch);
    return test_exit_code("test_dataset_corrupt");
}
