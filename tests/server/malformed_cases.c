/* tests/server/malformed_cases.c: the malformed-request generator (see
 * malformed_cases.h): categories, the wrong-type table of every op's
 * fields, and the request builders. */
#include "tests/server/malformed_cases.h"

#include <stdio.h>
#include <string.h>

static void begin(mcase *m, const char *what, const char *code, bool readable) {
    msgpack_sbuffer_init(&m->sb);
    msgpack_packer_init(&m->pk, &m->sb, msgpack_sbuffer_write);
    m->n_blobs = 0;
    m->what = what;
    m->code = code;
    m->id_readable = readable;
}

/* {v, id, op, session?} + n fields. */
static void head(mcase *m, const char *op, uint64_t session, int n) {
    msgpack_packer *pk = &m->pk;
    msgpack_pack_map(pk, (size_t)(3 + (session != 0) + n));
    test_pack_str(pk, "v");
    msgpack_pack_array(pk, 2);
    msgpack_pack_int(pk, 1);
    msgpack_pack_int(pk, 0);
    test_pack_str(pk, "id");
    msgpack_pack_uint64(pk, m->id);
    test_pack_str(pk, "op");
    test_pack_str(pk, op);
    if (session) {
        test_pack_str(pk, "session");
        msgpack_pack_uint64(pk, session);
    }
}

static void add_blob(mcase *m, const void *data, size_t size) {
    memcpy(m->blob_bytes[m->n_blobs], data, size);
    m->blobs[m->n_blobs] = (test_blob){m->blob_bytes[m->n_blobs], size};
    m->n_blobs++;
}

/* Bad values for the wrong-type table. */
typedef enum bad {
    V_INT, V_NEG, V_ZERO, V_BIG, V_STR, V_BOOL, V_FLOAT, V_MAP, V_EMPTY,
    V_INTS, V_STRS1, V_STRS3, V_MIXED, V_NESTED, V_RAGGED, V_ROW_EMPTY,
    V_ROW_INT, V_BOOLS1, V_FALSES, V_INTS01, V_NEGS, V_STRIDS, V_IDX2,
    V_STRS2_ROWS
} bad;

static void pack_bad(msgpack_packer *pk, bad v) {
    switch (v) {
    case V_INT: msgpack_pack_int(pk, 5); break;
    case V_NEG: msgpack_pack_int(pk, -1); break;
    case V_ZERO: msgpack_pack_int(pk, 0); break;
    case V_BIG: msgpack_pack_int(pk, 1000); break;
    case V_STR: test_pack_str(pk, "bogus"); break;
    case V_BOOL: msgpack_pack_true(pk); break;
    case V_FLOAT: msgpack_pack_double(pk, 1.5); break;
    case V_MAP: msgpack_pack_map(pk, 0); break;
    case V_EMPTY: msgpack_pack_array(pk, 0); break;
    case V_INTS:
        msgpack_pack_array(pk, 2);
        msgpack_pack_int(pk, 1);
        msgpack_pack_int(pk, 2);
        break;
    case V_STRS1:
        msgpack_pack_array(pk, 1);
        test_pack_str(pk, "wait");
        break;
    case V_STRS3:
        msgpack_pack_array(pk, 3);
        for (int i = 0; i < 3; i++) test_pack_str(pk, "wait");
        break;
    case V_MIXED:
        msgpack_pack_array(pk, 2);
        test_pack_str(pk, "wait");
        msgpack_pack_int(pk, 5);
        break;
    case V_NESTED:
    case V_STRS2_ROWS:
        msgpack_pack_array(pk, 2);
        for (int i = 0; i < 2; i++) {
            msgpack_pack_array(pk, 1);
            test_pack_str(pk, "wait");
        }
        break;
    case V_RAGGED:
        msgpack_pack_array(pk, 1);
        msgpack_pack_array(pk, 2);
        test_pack_str(pk, "wait");
        msgpack_pack_int(pk, 3);
        break;
    case V_ROW_EMPTY:
        msgpack_pack_array(pk, 1);
        msgpack_pack_array(pk, 0);
        break;
    case V_ROW_INT:
        msgpack_pack_array(pk, 1);
        msgpack_pack_array(pk, 1);
        msgpack_pack_int(pk, 5);
        break;
    case V_BOOLS1:
        msgpack_pack_array(pk, 1);
        msgpack_pack_true(pk);
        break;
    case V_FALSES:
        msgpack_pack_array(pk, 2);
        msgpack_pack_false(pk);
        msgpack_pack_false(pk);
        break;
    case V_INTS01:
        msgpack_pack_array(pk, 2);
        msgpack_pack_int(pk, 1);
        msgpack_pack_int(pk, 0);
        break;
    case V_NEGS:
        msgpack_pack_array(pk, 1);
        msgpack_pack_int(pk, -1);
        break;
    case V_STRIDS:
        msgpack_pack_array(pk, 1);
        test_pack_str(pk, "x");
        break;
    case V_IDX2:
        msgpack_pack_array(pk, 1);
        msgpack_pack_int(pk, 2);
        break;
    }
}

/* One op's valid fields (for session B, num_envs 2); `skip` is left out. */
typedef struct field_case {
    const char *op;
    bool on_target;               /* session = B */
    const char *key;              /* the field made bad ("options.task") */
    bad value;
    const char *code;
} field_case;

static const field_case field_cases[] = {
    {"HELLO", false, "client", V_INT, "INVALID_ARGUMENT"},
    {"HELLO", false, "client", V_INTS, "INVALID_ARGUMENT"},
    {"DESCRIBE", false, "world", V_INT, "INVALID_ARGUMENT"},
    {"DESCRIBE", false, "world", V_STR, "NOT_FOUND"},
    {"DESCRIBE", false, "width", V_ZERO, "INVALID_ARGUMENT"},
    {"DESCRIBE", false, "width", V_STR, "INVALID_ARGUMENT"},
    {"DESCRIBE", false, "obs_mode", V_STR, "INVALID_ARGUMENT"},
    {"DESCRIBE", false, "obs_mode", V_INT, "INVALID_ARGUMENT"},
    {"DESCRIBE", false, "frames_per_step", V_BIG, "INVALID_ARGUMENT"},
    {"MAKE", false, "world", V_INT, "INVALID_ARGUMENT"},
    {"MAKE", false, "world", V_STR, "NOT_FOUND"},
    {"MAKE", false, "world", V_MAP, "INVALID_ARGUMENT"},
    {"MAKE", false, "num_envs", V_STR, "INVALID_ARGUMENT"},
    {"MAKE", false, "num_envs", V_ZERO, "INVALID_ARGUMENT"},
    {"MAKE", false, "num_envs", V_NEG, "INVALID_ARGUMENT"},
    {"MAKE", false, "num_envs", V_FLOAT, "INVALID_ARGUMENT"},
    {"MAKE", false, "obs_mode", V_STR, "INVALID_ARGUMENT"},
    {"MAKE", false, "obs_mode", V_BOOL, "INVALID_ARGUMENT"},
    {"MAKE", false, "autoreset_mode", V_STR, "INVALID_ARGUMENT"},
    {"MAKE", false, "autoreset_mode", V_EMPTY, "INVALID_ARGUMENT"},
    {"MAKE", false, "max_episode_steps", V_NEG, "INVALID_ARGUMENT"},
    {"MAKE", false, "max_episode_steps", V_STR, "INVALID_ARGUMENT"},
    {"MAKE", false, "width", V_BIG, "INVALID_ARGUMENT"},
    {"MAKE", false, "height", V_STR, "INVALID_ARGUMENT"},
    {"MAKE", false, "frames_per_step", V_ZERO, "INVALID_ARGUMENT"},
    {"MAKE", false, "model", V_STR, "INVALID_ARGUMENT"}, /* with world */
    {"RESET", true, "seed", V_STR, "INVALID_ARGUMENT"},
    {"RESET", true, "seed", V_NEG, "INVALID_ARGUMENT"},
    {"RESET", true, "seed", V_STRS1, "INVALID_ARGUMENT"},
    {"RESET", true, "seed", V_MIXED, "INVALID_ARGUMENT"},
    {"RESET", true, "seed", V_MAP, "INVALID_ARGUMENT"},
    {"RESET", true, "seed", V_FLOAT, "INVALID_ARGUMENT"},
    {"RESET", true, "options", V_EMPTY, "INVALID_ARGUMENT"},
    {"RESET", true, "options", V_STR, "INVALID_ARGUMENT"},
    {"RESET", true, "options.task", V_INT, "INVALID_ARGUMENT"},
    {"RESET", true, "options.task", V_STR, "INVALID_ARGUMENT"},
    {"RESET", true, "options.reset_mask", V_BOOLS1, "INVALID_ARGUMENT"},
    {"RESET", true, "options.reset_mask", V_INTS01, "INVALID_ARGUMENT"},
    {"RESET", true, "options.reset_mask", V_FALSES, "INVALID_ARGUMENT"},
    {"RESET", true, "options.reset_mask", V_STR, "INVALID_ARGUMENT"},
    {"STEP", true, "actions", V_STR, "INVALID_ARGUMENT"},
    {"STEP", true, "actions", V_STRS1, "INVALID_ARGUMENT"},
    {"STEP", true, "actions", V_STRS3, "INVALID_ARGUMENT"},
    {"STEP", true, "actions", V_MIXED, "INVALID_ARGUMENT"},
    {"STEP", true, "actions", V_MAP, "INVALID_ARGUMENT"},
    {"STEP", true, "actions", V_NESTED, "INVALID_ARGUMENT"},
    {"STEP", true, "actions", V_INTS, "INVALID_ARGUMENT"},
    {"SAMPLE", true, "split", V_INT, "INVALID_ARGUMENT"},
    {"SAMPLE", true, "split", V_STR, "INVALID_ARGUMENT"},
    {"RENDER", true, "env", V_NEG, "INVALID_ARGUMENT"},
    {"RENDER", true, "env", V_INT, "INVALID_ARGUMENT"},
    {"RENDER", true, "env", V_STR, "INVALID_ARGUMENT"},
    {"FORK", true, "envs", V_STR, "INVALID_ARGUMENT"},
    {"FORK", true, "envs", V_IDX2, "INVALID_ARGUMENT"},
    {"FORK", true, "envs", V_NEGS, "INVALID_ARGUMENT"},
    {"FORK", true, "envs", V_EMPTY, "INVALID_ARGUMENT"},
    {"FORK", true, "envs", V_STRIDS, "INVALID_ARGUMENT"},
    {"RESTORE", true, "envs", V_INTS01, "INVALID_ARGUMENT"}, /* 2 envs, 1 id */
    {"RESTORE", true, "envs", V_STR, "INVALID_ARGUMENT"},
    {"RESTORE", true, "state_ids", V_STRIDS, "INVALID_ARGUMENT"},
    {"RESTORE", true, "state_ids", V_NEG, "INVALID_ARGUMENT"},
    {"ROLLOUT", true, "state_ids", V_STR, "INVALID_ARGUMENT"},
    {"ROLLOUT", true, "state_ids", V_EMPTY, "INVALID_ARGUMENT"},
    {"ROLLOUT", true, "state_ids", V_NEGS, "INVALID_ARGUMENT"},
    {"ROLLOUT", true, "actions", V_STR, "INVALID_ARGUMENT"},
    {"ROLLOUT", true, "actions", V_EMPTY, "INVALID_ARGUMENT"},
    {"ROLLOUT", true, "actions", V_STRS1, "INVALID_ARGUMENT"},
    {"ROLLOUT", true, "actions", V_STRS2_ROWS, "INVALID_ARGUMENT"},
    {"ROLLOUT", true, "actions", V_RAGGED, "INVALID_ARGUMENT"},
    {"ROLLOUT", true, "actions", V_ROW_EMPTY, "INVALID_ARGUMENT"},
    {"ROLLOUT", true, "actions", V_ROW_INT, "INVALID_ARGUMENT"},
    {"ROLLOUT", true, "frames", V_INT, "INVALID_ARGUMENT"},
    {"ROLLOUT", true, "frames", V_STR, "INVALID_ARGUMENT"},
    {"RELEASE", true, "state_ids", V_STR, "INVALID_ARGUMENT"},
    {"RELEASE", true, "state_ids", V_EMPTY, "INVALID_ARGUMENT"},
    {"RELEASE", true, "state_ids", V_NEGS, "INVALID_ARGUMENT"},
    {"RELEASE", true, "state_ids", V_STRIDS, "INVALID_ARGUMENT"},
    {"STEP", true, "session", V_STR, "INVALID_ARGUMENT"},
    {"STEP", true, "session", V_NEG, "INVALID_ARGUMENT"},
    {"RESET", true, "session", V_INTS, "INVALID_ARGUMENT"},
    {"CLOSE", true, "session", V_STR, "INVALID_ARGUMENT"},
    {"CLOSE", true, "session", V_FLOAT, "INVALID_ARGUMENT"},
    {"PING", true, "session", V_STR, "INVALID_ARGUMENT"},
    {"STATS", true, "session", V_MAP, "INVALID_ARGUMENT"},
    {"FORK", true, "session", V_BOOL, "INVALID_ARGUMENT"},
};
#define N_FIELD_CASES (int)(sizeof field_cases / sizeof field_cases[0])

/* Packs `key: value` unless key is the bad one (then the bad value). */
static int put(msgpack_packer *pk, const field_case *fc, const char *key,
               void (*value)(msgpack_packer *, const ids *), const ids *id) {
    test_pack_str(pk, key);
    if (strcmp(fc->key, key) == 0) pack_bad(pk, fc->value);
    else value(pk, id);
    return 1;
}

static void v_tabletop(msgpack_packer *pk, const ids *id) { (void)id; test_pack_str(pk, "tabletop"); }
static void v_one(msgpack_packer *pk, const ids *id) { (void)id; msgpack_pack_int(pk, 1); }
static void v_zero(msgpack_packer *pk, const ids *id) { (void)id; msgpack_pack_int(pk, 0); }
static void v_seed(msgpack_packer *pk, const ids *id) { (void)id; msgpack_pack_int(pk, 5); }
static void v_train(msgpack_packer *pk, const ids *id) { (void)id; test_pack_str(pk, "train"); }
void malformed_pack_env0(msgpack_packer *pk, const ids *id) {
    (void)id;
    msgpack_pack_array(pk, 1);
    msgpack_pack_int(pk, 0);
}
static void v_waits(msgpack_packer *pk, const ids *id) {
    (void)id;
    msgpack_pack_array(pk, 2);
    test_pack_str(pk, "wait");
    test_pack_str(pk, "wait");
}
static void v_sid(msgpack_packer *pk, const ids *id) {
    msgpack_pack_array(pk, 1);
    msgpack_pack_uint64(pk, id->snapshot);
}
static void v_row(msgpack_packer *pk, const ids *id) {
    (void)id;
    msgpack_pack_array(pk, 1);
    msgpack_pack_array(pk, 1);
    test_pack_str(pk, "wait");
}
static void v_false(msgpack_packer *pk, const ids *id) { (void)id; msgpack_pack_false(pk); }

/* The request of one field case: the op's valid fields with one made bad. */
static void build_field_case(mcase *m, const field_case *fc, const ids *id) {
    msgpack_packer *pk = &m->pk;
    bool bad_session = strcmp(fc->key, "session") == 0;
    uint64_t session = fc->on_target && !bad_session ? id->target : 0;
    const char *op = fc->op;
    /* Field counts, the bad field included once. */
    int n = 0;
    if (!strcmp(op, "HELLO") || !strcmp(op, "RENDER") || !strcmp(op, "SAMPLE") ||
        !strcmp(op, "STEP") || !strcmp(op, "FORK") || !strcmp(op, "RELEASE"))
        n = 1;
    else if (!strcmp(op, "DESCRIBE")) n = 1 + (strcmp(fc->key, "world") != 0);
    else if (!strcmp(op, "MAKE")) n = 2 + (strcmp(fc->key, "world") != 0 &&
                                           strcmp(fc->key, "num_envs") != 0);
    else if (!strcmp(op, "RESET")) n = 1 + !strncmp(fc->key, "options", 7);
    else if (!strcmp(op, "RESTORE") || !strcmp(op, "ROLLOUT")) n = 2 +
        (strcmp(fc->key, "frames") == 0);
    if (bad_session) n = 0;
    head(m, op, session, n + bad_session);
    if (bad_session) {
        test_pack_str(pk, "session");
        pack_bad(pk, fc->value);
        return;
    }
    if (!strcmp(op, "HELLO")) {
        put(pk, fc, "client", v_tabletop, id);
    } else if (!strcmp(op, "DESCRIBE") || !strcmp(op, "MAKE")) {
        put(pk, fc, "world", v_tabletop, id);
        if (!strcmp(op, "MAKE")) put(pk, fc, "num_envs", v_one, id);
        if (strcmp(fc->key, "world") && strcmp(fc->key, "num_envs"))
            put(pk, fc, fc->key, v_one, id);
    } else if (!strcmp(op, "RESET")) {
        put(pk, fc, "seed", v_seed, id);
        if (!strcmp(fc->key, "options")) {
            test_pack_str(pk, "options");
            pack_bad(pk, fc->value);
        } else if (!strncmp(fc->key, "options.", 8)) {
            test_pack_str(pk, "options");
            msgpack_pack_map(pk, 1);
            test_pack_str(pk, fc->key + 8);
            pack_bad(pk, fc->value);
        }
    } else if (!strcmp(op, "STEP")) {
        put(pk, fc, "actions", v_waits, id);
    } else if (!strcmp(op, "SAMPLE")) {
        put(pk, fc, "split", v_train, id);
    } else if (!strcmp(op, "RENDER")) {
        put(pk, fc, "env", v_zero, id);
    } else if (!strcmp(op, "FORK")) {
        put(pk, fc, "envs", malformed_pack_env0, id);
    } else if (!strcmp(op, "RESTORE")) {
        put(pk, fc, "envs", malformed_pack_env0, id);
        put(pk, fc, "state_ids", v_sid, id);
    } else if (!strcmp(op, "ROLLOUT")) {
        put(pk, fc, "state_ids", v_sid, id);
        put(pk, fc, "actions", v_row, id);
        if (!strcmp(fc->key, "frames")) put(pk, fc, "frames", v_false, id);
    } else if (!strcmp(op, "RELEASE")) {
        put(pk, fc, "state_ids", v_sid, id);
    }
}

/* A session id that is none of the live ones. */
static uint64_t bogus_session(test_rng *rng, const ids *id) {
    for (;;) {
        uint64_t s = test_rng_next(rng);
        bool live = s == 0;
        for (int i = 0; i < 4; i++) live = live || s == id->live[i];
        if (!live) return s;
    }
}

static void pack_reset_mask(mcase *m, const ids *id, const char *dtype,
                            int dim, int frame) {
    head(m, "RESET", id->target, 1);
    test_pack_str(&m->pk, "options");
    msgpack_pack_map(&m->pk, 1);
    test_pack_str(&m->pk, "reset_mask");
    msgpack_pack_map(&m->pk, 3);
    test_pack_str(&m->pk, "dtype");
    test_pack_str(&m->pk, dtype);
    test_pack_str(&m->pk, "shape");
    msgpack_pack_array(&m->pk, 1);
    msgpack_pack_int(&m->pk, dim);
    test_pack_str(&m->pk, "frame");
    msgpack_pack_int(&m->pk, frame);
}


void malformed_build(mcase *m, test_rng *rng, const ids *id, int *counts) {
    int cat = (int)(test_rng_next(rng) % C_COUNT);
    /* Field cases are the largest family: give them extra weight. */
    if (test_rng_next(rng) % 4 == 0) cat = C_FIELD;
    counts[cat]++;
    msgpack_packer *pk = &m->pk;
    int variant = (int)(test_rng_next(rng) % 8);
    switch (cat) {
    case C_TRUNCATED: {
        begin(m, "truncated msgpack", "INVALID_ARGUMENT", false);
        head(m, "STEP", id->target, 1);
        test_pack_str(pk, "actions");
        v_waits(pk, id);
        m->sb.size = 1 + test_rng_next(rng) % (m->sb.size - 1);
        break;
    }
    case C_RANDOM: {
        begin(m, "random bytes", "INVALID_ARGUMENT", false);
        size_t len = 1 + test_rng_next(rng) % 64;
        for (size_t i = 0; i < len; i++) {
            uint8_t b = (uint8_t)test_rng_next(rng);
            /* The first byte never starts a map (a map could be valid). */
            if (i == 0 && ((b >= 0x80 && b <= 0x8f) || b == 0xde || b == 0xdf))
                b = 0xc1;
            msgpack_sbuffer_write(&m->sb, (const char *)&b, 1);
        }
        break;
    }
    case C_NONMAP:
        begin(m, "non-map header", "INVALID_ARGUMENT", false);
        switch (variant % 5) {
        case 0: msgpack_pack_array(pk, 3); msgpack_pack_int(pk, 1);
                msgpack_pack_int(pk, 0); test_pack_str(pk, "HELLO"); break;
        case 1: test_pack_str(pk, "HELLO"); break;
        case 2: msgpack_pack_int(pk, 42); break;
        case 3: msgpack_pack_nil(pk); break;
        default: msgpack_pack_bin_with_body(pk, "\x81\xa1v", 3); break;
        }
        break;
    case C_FIELD: {
        const field_case *fc = &field_cases[test_rng_next(rng) % N_FIELD_CASES];
        begin(m, "wrong field", fc->code, true);
        build_field_case(m, fc, id);
        m->what = fc->key;
        break;
    }
    case C_HUGE: {
        begin(m, "huge declared length", "INVALID_ARGUMENT", false);
        msgpack_pack_map(pk, 4);
        test_pack_str(pk, "v");
        msgpack_pack_array(pk, 2);
        msgpack_pack_int(pk, 1);
        msgpack_pack_int(pk, 0);
        test_pack_str(pk, "id");
        msgpack_pack_uint64(pk, m->id);
        test_pack_str(pk, "op");
        test_pack_str(pk, "HELLO");
        test_pack_str(pk, "client");
        static const uint8_t heads[5][5] = {
            {0xdb, 0x7f, 0xff, 0xff, 0xf0}, /* str32 */
            {0xc6, 0xff, 0xff, 0xff, 0x00}, /* bin32 */
            {0xdd, 0xff, 0xff, 0xff, 0xff}, /* array32 */
            {0xdf, 0x40, 0x00, 0x00, 0x00}, /* map32 */
            {0xc9, 0x10, 0x00, 0x00, 0x00}, /* ext32 */
        };
        msgpack_sbuffer_write(&m->sb, (const char *)heads[variant % 5], 5);
        msgpack_sbuffer_write(&m->sb, "tiny", 4);
        break;
    }
    case C_DEEP: {
        begin(m, "deep nesting", "INVALID_ARGUMENT", false);
        head(m, "HELLO", 0, 1);
        test_pack_str(pk, "client");
        int depth = 33 + variant * 5;
        for (int d = 0; d < depth; d++) msgpack_pack_array(pk, 1);
        msgpack_pack_int(pk, 1);
        break;
    }
    case C_MISSING:
        if (variant % 3 == 0) { /* no v */
            begin(m, "missing v", "VERSION_MISMATCH", true);
            msgpack_pack_map(pk, 2);
            test_pack_str(pk, "id");
            msgpack_pack_uint64(pk, m->id);
            test_pack_str(pk, "op");
            test_pack_str(pk, "HELLO");
        } else if (variant % 3 == 1) { /* no id */
            begin(m, "missing id", "INVALID_ARGUMENT", false);
            msgpack_pack_map(pk, 2);
            test_pack_str(pk, "v");
            msgpack_pack_array(pk, 2);
            msgpack_pack_int(pk, 1);
            msgpack_pack_int(pk, 0);
            test_pack_str(pk, "op");
            test_pack_str(pk, "HELLO");
        } else { /* no op */
            begin(m, "missing op", "INVALID_ARGUMENT", true);
            msgpack_pack_map(pk, 2);
            test_pack_str(pk, "v");
            msgpack_pack_array(pk, 2);
            msgpack_pack_int(pk, 1);
            msgpack_pack_int(pk, 0);
            test_pack_str(pk, "id");
            msgpack_pack_uint64(pk, m->id);
        }
        break;
    case C_VERSION: {
        begin(m, "other major version", "VERSION_MISMATCH", true);
        msgpack_pack_map(pk, 3);
        test_pack_str(pk, "v");
        msgpack_pack_array(pk, 2);
        msgpack_pack_int(pk, variant % 2 ? 2 : 0);
        msgpack_pack_int(pk, variant);
        test_pack_str(pk, "id");
        msgpack_pack_uint64(pk, m->id);
        test_pack_str(pk, "op");
        test_pack_str(pk, "STEP");
        break;
    }
    case C_UNKNOWN_OP: {
        static const char *const ops[] = {"FOO", "step", "", "HELLO2", "RESETS",
                                          "DROP TABLE", "\xc3\xa9t\xc3\xa9", "PIN"};
        begin(m, "unknown op", "UNIMPLEMENTED", true);
        head(m, ops[variant], id->target, 0);
        break;
    }
    case C_SESSION: {
        static const char *const ops[] = {"STEP", "RESET", "RENDER", "FORK",
                                          "CLOSE", "PING", "STATS", "DESCRIBE"};
        begin(m, "bad session id", "NOT_FOUND", true);
        head(m, ops[variant], bogus_session(rng, id), 0);
        break;
    }
    case C_TEXT: {
        begin(m, "oversized or bad text", "INVALID_ARGUMENT", true);
        char text[420];
        size_t len = 257 + test_rng_next(rng) % 150;
        memset(text, 'a', len);
        text[len] = '\0';
        if (variant % 4 == 0) { /* an action over max_text_bytes */
            head(m, "STEP", id->target, 1);
            test_pack_str(pk, "actions");
            msgpack_pack_array(pk, 2);
            test_pack_str(pk, "wait");
            test_pack_str(pk, text);
        } else if (variant % 4 == 1) { /* a task over the limit */
            head(m, "RESET", id->target, 1);
            test_pack_str(pk, "options");
            msgpack_pack_map(pk, 1);
            test_pack_str(pk, "task");
            test_pack_str(pk, text);
        } else { /* not UTF-8, or a NUL inside */
            static const char *const bad_text[] = {"wait\xff", "a\xc0\x80",
                                                   "x\xed\xa0\x80", "nul"};
            head(m, "STEP", id->target, 1);
            test_pack_str(pk, "actions");
            msgpack_pack_array(pk, 2);
            if (variant % 4 == 2)
                msgpack_pack_str_with_body(pk, bad_text[variant % 3],
                                           strlen(bad_text[variant % 3]));
            else
                msgpack_pack_str_with_body(pk, "wa\0it", 5);
            test_pack_str(pk, "wait");
        }
        break;
    }
    case C_LIMIT:
        begin(m, "limit", "RESOURCE_EXHAUSTED", true);
        switch (variant) {
        case 0: /* too many envs */
            head(m, "MAKE", 0, 2);
            test_pack_str(pk, "world");
            test_pack_str(pk, "tabletop");
            test_pack_str(pk, "num_envs");
            msgpack_pack_int(pk, 9 + (int)(test_rng_next(rng) % 200));
            break;
        case 1: /* batch: 9 state ids */
        case 2:
            head(m, variant == 1 ? "ROLLOUT" : "RELEASE", id->target,
                 variant == 1 ? 2 : 1);
            test_pack_str(pk, "state_ids");
            msgpack_pack_array(pk, 9);
            for (int i = 0; i < 9; i++) msgpack_pack_uint64(pk, id->snapshot);
            if (variant == 1) {
                test_pack_str(pk, "actions");
                msgpack_pack_array(pk, 9);
                for (int i = 0; i < 9; i++) v_row(pk, id);
            }
            break;
        case 3: /* horizon: rows of 9..20 steps */
        {
            int T = 9 + (int)(test_rng_next(rng) % 12);
            head(m, "ROLLOUT", id->target, 2);
            test_pack_str(pk, "state_ids");
            v_sid(pk, id);
            test_pack_str(pk, "actions");
            msgpack_pack_array(pk, 1);
            msgpack_pack_array(pk, (size_t)T);
            for (int t = 0; t < T; t++) test_pack_str(pk, "wait");
            break;
        }
        case 4: /* FORK of 9 envs */
            head(m, "FORK", id->target, 1);
            test_pack_str(pk, "envs");
            msgpack_pack_array(pk, 9);
            for (int i = 0; i < 9; i++) msgpack_pack_int(pk, 0);
            break;
        case 5: /* reply size: 8 x 8 steps with frames > max_reply_bytes */
            head(m, "ROLLOUT", id->target, 3);
            test_pack_str(pk, "state_ids");
            msgpack_pack_array(pk, 8);
            for (int i = 0; i < 8; i++) msgpack_pack_uint64(pk, id->snapshot);
            test_pack_str(pk, "actions");
            msgpack_pack_array(pk, 8);
            for (int b = 0; b < 8; b++) {
                msgpack_pack_array(pk, 8);
                for (int t = 0; t < 8; t++) test_pack_str(pk, "wait");
            }
            test_pack_str(pk, "frames");
            msgpack_pack_true(pk);
            break;
        default: { /* header over max_header_bytes: never parsed */
            static char pad[MAX_HEADER + 16];
            memset(pad, 'p', sizeof pad - 1);
            m->id_readable = false;
            head(m, "HELLO", 0, 1);
            test_pack_str(pk, "client");
            test_pack_str(pk, pad);
            break;
        }
        }
        break;
    case C_TENSOR: {
        begin(m, "tensor", "INVALID_ARGUMENT", true);
        static const uint8_t ones[8] = {1, 1, 1, 1, 1, 1, 1, 1};
        static const uint8_t two[2] = {1, 2};
        switch (variant) {
        case 0: pack_reset_mask(m, id, "f4", 2, 1); add_blob(m, ones, 8); break;
        case 1: pack_reset_mask(m, id, "b1", 3, 1); add_blob(m, ones, 3); break;
        case 2: pack_reset_mask(m, id, "b1", 2, 2); add_blob(m, ones, 2); break;
        case 3: pack_reset_mask(m, id, "b1", 2, 1); add_blob(m, ones, 3); break;
        case 4: pack_reset_mask(m, id, "b1", 2, 1); add_blob(m, two, 2); break;
        case 5: /* a blob no tensor references */
            pack_reset_mask(m, id, "b1", 2, 1);
            add_blob(m, ones, 2);
            add_blob(m, ones, 2);
            break;
        case 6: pack_reset_mask(m, id, "zz", 2, 1); add_blob(m, ones, 2); break;
        default: pack_reset_mask(m, id, "b1", 2, 0); add_blob(m, ones, 2); break;
        }
        break;
    }
    case C_BLOBS:
        if (variant < 5) { /* over max_blobs (16): before parsing */
            begin(m, "too many blobs", "RESOURCE_EXHAUSTED", false);
            head(m, "PING", 0, 0);
            int n = 17 + variant;
            for (int i = 0; i < n; i++) add_blob(m, "b", 1);
        } else { /* blobs on an op that takes none */
            begin(m, "unexpected blobs", "INVALID_ARGUMENT", true);
            head(m, "STEP", id->target, 1);
            test_pack_str(pk, "actions");
            v_waits(pk, id);
            add_blob(m, "xy", 2);
        }
        break;
    default: /* C_STATE: right request, wrong state */
        if (variant < 3) {
            begin(m, "step before reset", "FAILED_PRECONDITION", true);
            head(m, "STEP", id->unreset, 1);
            test_pack_str(pk, "actions");
            msgpack_pack_array(pk, 1);
            test_pack_str(pk, "wait");
        } else if (variant < 6) {
            begin(m, "unknown state id", "NOT_FOUND", true);
            head(m, variant == 3 ? "RELEASE" : "RESTORE", id->target,
                 variant == 3 ? 1 : 2);
            if (variant != 3) {
                test_pack_str(pk, "envs");
                malformed_pack_env0(pk, id);
            }
            test_pack_str(pk, "state_ids");
            msgpack_pack_array(pk, 1);
            msgpack_pack_uint64(pk, 1000000 + test_rng_next(rng) % 1000);
        } else {
            begin(m, "empty header frame", "INVALID_ARGUMENT", false);
        }
        break;
    }
}
