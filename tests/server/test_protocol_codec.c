/* tests/server/test_protocol_codec.c: the protocol v1 codec (env/protocol.h)
 * without a server: the declared-length pre-scan, the envelope, typed field
 * getters and their messages, tensor decoding errors, error code mapping
 * and reply encoding. */
#include <msgpack.h>
#include <string.h>

#include "env/msgpack_bounds.h"
#include "env/protocol.h"
#include "tests/test_util.h"

/* ---- building headers ---------------------------------------------------- */

typedef struct buf {
    msgpack_sbuffer sb;
    msgpack_packer pk;
} buf;

static void buf_init(buf *b) {
    msgpack_sbuffer_init(&b->sb);
    msgpack_packer_init(&b->pk, &b->sb, msgpack_sbuffer_write);
}

static void str(msgpack_packer *pk, const char *s) {
    msgpack_pack_str_with_body(pk, s, strlen(s));
}

/* {v: [major, 0], id: 7, op: op, session?: 42} + n more fields. */
static void envelope(buf *b, int major, const char *op, bool session, int n) {
    buf_init(b);
    msgpack_pack_map(&b->pk, (size_t)(3 + session + n));
    str(&b->pk, "v");
    msgpack_pack_array(&b->pk, 2);
    msgpack_pack_int(&b->pk, major);
    msgpack_pack_int(&b->pk, 0);
    str(&b->pk, "id");
    msgpack_pack_uint64(&b->pk, 7);
    str(&b->pk, "op");
    str(&b->pk, op);
    if (session) {
        str(&b->pk, "session");
        msgpack_pack_uint64(&b->pk, 42);
    }
}

static pan_proto_code decode(const pan_server_limits *lim, buf *b,
                             const pan_proto_blob *blobs, int n_blobs,
                             pan_proto_request *req) {
    return pan_proto_request_decode(lim, (const uint8_t *)b->sb.data,
                                    b->sb.size, blobs, n_blobs, req);
}

static bool message_has(const char *needle) {
    if (strstr(pan_error_message(), needle)) return true;
    fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", pan_error_message(),
            needle);
    return false;
}

/* ---- pre-scan -------------------------------------------------------------- */

static void test_bounds(void) {
    char err[160];
    const uint8_t ok[] = {0x82, 0xa1, 'a', 0x01, 0xa1, 'b', 0x92, 0xc0, 0xc3};
    CHECK(pan_msgpack_check_bounds(ok, sizeof ok, 32, err, sizeof err));
    /* str32 claiming 2 GiB with 3 bytes of body. */
    const uint8_t str32[] = {0xdb, 0x7f, 0xff, 0xff, 0xff, 'a', 'b', 'c'};
    CHECK(!pan_msgpack_check_bounds(str32, sizeof str32, 32, err, sizeof err));
    CHECK(strstr(err, "declares") != NULL);
    /* array32 / map32 with 4 billion elements in a few bytes. */
    const uint8_t arr32[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0};
    CHECK(!pan_msgpack_check_bounds(arr32, sizeof arr32, 32, err, sizeof err));
    const uint8_t map32[] = {0xdf, 0x80, 0x00, 0x00, 0x00, 0xc0, 0xc0};
    CHECK(!pan_msgpack_check_bounds(map32, sizeof map32, 32, err, sizeof err));
    const uint8_t bin32[] = {0xc6, 0x10, 0x00, 0x00, 0x00, 1, 2};
    CHECK(!pan_msgpack_check_bounds(bin32, sizeof bin32, 32, err, sizeof err));
    const uint8_t ext32[] = {0xc9, 0x00, 0x01, 0x00, 0x00, 5};
    CHECK(!pan_msgpack_check_bounds(ext32, sizeof ext32, 32, err, sizeof err));
    /* Truncated, trailing bytes, the never-used byte 0xc1. */
    CHECK(!pan_msgpack_check_bounds(ok, sizeof ok - 1, 32, err, sizeof err));
    const uint8_t trailing[] = {0xc0, 0xc0};
    CHECK(!pan_msgpack_check_bounds(trailing, 2, 32, err, sizeof err));
    CHECK(strstr(err, "trailing") != NULL);
    const uint8_t c1[] = {0x91, 0xc1};
    CHECK(!pan_msgpack_check_bounds(c1, 2, 32, err, sizeof err));
    CHECK(!pan_msgpack_check_bounds(ok, 0, 32, err, sizeof err));
    /* Depth: 32 nested arrays pass, 33 do not. */
    uint8_t deep[40];
    for (int d = 32; d <= 33; d++) {
        memset(deep, 0x91, (size_t)d);
        deep[d] = 0xc0;
        bool pass = pan_msgpack_check_bounds(deep, (size_t)d + 1, 32, err,
                                             sizeof err);
        CHECK(pass == (d == 32));
    }
    CHECK(strstr(err, "deeper than 32") != NULL);
}

/* ---- envelope -------------------------------------------------------------- */

static void test_envelope(void) {
    pan_server_limits lim = pan_server_limits_default();
    pan_proto_request req;
    buf b;

    envelope(&b, 1, "STEP", true, 0);
    CHECK(decode(&lim, &b, NULL, 0, &req) == PAN_PROTO_OK);
    CHECK(req.has_id && req.id == 7 && req.op == PAN_PROTO_OP_STEP);
    CHECK(req.has_session && req.session == 42);
    CHECK(strcmp(req.op_name, "STEP") == 0);
    pan_proto_request_free(&req);

    /* Another major version: VERSION_MISMATCH, the id still echoed. */
    msgpack_sbuffer_destroy(&b.sb);
    envelope(&b, 2, "STEP", true, 0);
    CHECK(decode(&lim, &b, NULL, 0, &req) == PAN_PROTO_VERSION_MISMATCH);
    CHECK(req.has_id && req.id == 7);
    pan_proto_request_free(&req);
    msgpack_sbuffer_destroy(&b.sb);

    /* Session missing for STEP; optional for PING; ignored for HELLO. */
    envelope(&b, 1, "STEP", false, 0);
    CHECK(decode(&lim, &b, NULL, 0, &req) == PAN_PROTO_INVALID_ARGUMENT);
    CHECK(message_has("'session'"));
    pan_proto_request_free(&req);
    msgpack_sbuffer_destroy(&b.sb);
    envelope(&b, 1, "PING", false, 0);
    CHECK(decode(&lim, &b, NULL, 0, &req) == PAN_PROTO_OK && !req.has_session);
    pan_proto_request_free(&req);
    msgpack_sbuffer_destroy(&b.sb);

    /* Unknown op (case matters). */
    envelope(&b, 1, "step", true, 0);
    CHECK(decode(&lim, &b, NULL, 0, &req) == PAN_PROTO_UNIMPLEMENTED);
    CHECK(message_has("unknown op 'step'"));
    pan_proto_request_free(&req);
    msgpack_sbuffer_destroy(&b.sb);

    /* Not a map; v missing; id missing or of the wrong type; op an int. */
    buf_init(&b);
    msgpack_pack_array(&b.pk, 1);
    msgpack_pack_int(&b.pk, 1);
    CHECK(decode(&lim, &b, NULL, 0, &req) == PAN_PROTO_INVALID_ARGUMENT);
    CHECK(message_has("must be a msgpack map, found an array of 1"));
    CHECK(!req.has_id);
    pan_proto_request_free(&req);
    msgpack_sbuffer_destroy(&b.sb);

    buf_init(&b);
    msgpack_pack_map(&b.pk, 2);
    str(&b.pk, "id");
    msgpack_pack_uint64(&b.pk, 9);
    str(&b.pk, "op");
    str(&b.pk, "HELLO");
    CHECK(decode(&lim, &b, NULL, 0, &req) == PAN_PROTO_VERSION_MISMATCH);
    CHECK(req.has_id && req.id == 9);
    pan_proto_request_free(&req);
    msgpack_sbuffer_destroy(&b.sb);

    buf_init(&b);
    msgpack_pack_map(&b.pk, 3);
    str(&b.pk, "v");
    msgpack_pack_array(&b.pk, 2);
    msgpack_pack_int(&b.pk, 1);
    msgpack_pack_int(&b.pk, 0);
    str(&b.pk, "id");
    str(&b.pk, "seven");
    str(&b.pk, "op");
    msgpack_pack_int(&b.pk, 3);
    CHECK(decode(&lim, &b, NULL, 0, &req) == PAN_PROTO_INVALID_ARGUMENT);
    CHECK(message_has("field 'id' must be an unsigned integer"));
    CHECK(!req.has_id);
    pan_proto_request_free(&req);
    msgpack_sbuffer_destroy(&b.sb);

    /* Limits before parsing: blob count, header size. */
    envelope(&b, 1, "RESET", true, 0);
    pan_proto_blob blobs[17];
    for (int i = 0; i < 17; i++) blobs[i] = (pan_proto_blob){(const uint8_t *)"x", 1};
    CHECK(decode(&lim, &b, blobs, 17, &req) == PAN_PROTO_RESOURCE_EXHAUSTED);
    CHECK(message_has("max_blobs is 16"));
    pan_proto_request_free(&req);
    lim.max_header_bytes = b.sb.size - 1;
    CHECK(decode(&lim, &b, NULL, 0, &req) == PAN_PROTO_RESOURCE_EXHAUSTED);
    CHECK(message_has("max_header_bytes"));
    pan_proto_request_free(&req);
    lim = pan_server_limits_default();
    /* A truncated header is refused by the pre-scan. */
    b.sb.size -= 3;
    CHECK(decode(&lim, &b, NULL, 0, &req) == PAN_PROTO_INVALID_ARGUMENT);
    CHECK(message_has("not valid msgpack"));
    pan_proto_request_free(&req);
    msgpack_sbuffer_destroy(&b.sb);
}

/* ---- field getters --------------------------------------------------------- */

static void test_getters(void) {
    pan_server_limits lim = pan_server_limits_default();
    pan_proto_request req;
    buf b;
    envelope(&b, 1, "STEP", true, 6);
    str(&b.pk, "actions");
    msgpack_pack_array(&b.pk, 3);
    str(&b.pk, "wait");
    str(&b.pk, "move the red circle left");
    str(&b.pk, "x");
    str(&b.pk, "num_envs");
    str(&b.pk, "four");
    str(&b.pk, "bad_utf8");
    msgpack_pack_str_with_body(&b.pk, "a\xc0\x80", 3); /* overlong NUL */
    str(&b.pk, "surrogate");
    msgpack_pack_str_with_body(&b.pk, "\xed\xa0\x80", 3);
    str(&b.pk, "nul");
    msgpack_pack_str_with_body(&b.pk, "a\0b", 3);
    str(&b.pk, "big");
    msgpack_pack_int(&b.pk, 300);
    CHECK(decode(&lim, &b, NULL, 0, &req) == PAN_PROTO_OK);

    const msgpack_object *o;
    pan_proto_str s[4];
    CHECK_STATUS(pan_proto_field(&req, "actions", true, &o), PAN_OK);
    CHECK_STATUS(pan_proto_obj_str_array(&req, "actions", o, 4, 256, s),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(message_has("STEP: field 'actions' must be an array of 4 strings, "
                      "found an array of 3"));
    CHECK_STATUS(pan_proto_obj_str_array(&req, "actions", o, 3, 256, s), PAN_OK);
    CHECK(pan_proto_str_eq(s[1], "move the red circle left"));
    CHECK_STATUS(pan_proto_obj_str_array(&req, "actions", o, 3, 8, s),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(message_has("field 'actions[1]' must be a string of at most 8 bytes"));

    int64_t v = 5;
    CHECK_STATUS(pan_proto_get_int(&req, "num_envs", false, 1, 8, &v),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(message_has("field 'num_envs' must be an integer in [1, 8], found a "
                      "string of 4 bytes"));
    CHECK(v == 5);
    CHECK_STATUS(pan_proto_get_int(&req, "big", false, 1, 256, &v),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(message_has("found the integer 300"));
    CHECK_STATUS(pan_proto_get_int(&req, "absent", false, 1, 8, &v), PAN_OK);
    CHECK(v == 5); /* untouched */
    CHECK_STATUS(pan_proto_get_int(&req, "absent", true, 1, 8, &v),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(message_has("STEP: field 'absent' is missing"));
    const char *bad_text[] = {"bad_utf8", "surrogate", "nul"};
    for (int i = 0; i < 3; i++) {
        pan_proto_str t;
        CHECK_STATUS(pan_proto_get_str(&req, bad_text[i], true, 64, &t, NULL),
                     PAN_ERR_INVALID_ARGUMENT);
        CHECK(message_has("UTF-8"));
    }
    bool flag;
    CHECK_STATUS(pan_proto_get_bool(&req, "big", true, &flag),
                 PAN_ERR_INVALID_ARGUMENT);
    uint64_t u;
    CHECK_STATUS(pan_proto_get_u64(&req, "actions", true, &u),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(message_has("found an array of 3"));
    pan_proto_request_free(&req);
    msgpack_sbuffer_destroy(&b.sb);

    /* A known key given twice. */
    envelope(&b, 1, "RENDER", true, 2);
    str(&b.pk, "env");
    msgpack_pack_int(&b.pk, 0);
    str(&b.pk, "env");
    msgpack_pack_int(&b.pk, 1);
    CHECK(decode(&lim, &b, NULL, 0, &req) == PAN_PROTO_OK);
    CHECK_STATUS(pan_proto_get_int(&req, "env", false, 0, 3, &v),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(message_has("given twice"));
    pan_proto_request_free(&req);
    msgpack_sbuffer_destroy(&b.sb);
}

/* ---- tensors ---------------------------------------------------------------- */

/* A RESET whose reset_mask is a tensor map {dtype, shape [n], frame|data}. */
static void mask_request(buf *b, const char *dtype, int n, int frame,
                         const void *data, size_t size) {
    envelope(b, 1, "RESET", true, 1);
    str(&b->pk, "mask");
    msgpack_pack_map(&b->pk, 3);
    str(&b->pk, "dtype");
    str(&b->pk, dtype);
    str(&b->pk, "shape");
    msgpack_pack_array(&b->pk, 1);
    msgpack_pack_int(&b->pk, n);
    if (frame) {
        str(&b->pk, "frame");
        msgpack_pack_int(&b->pk, frame);
    } else {
        str(&b->pk, "data");
        msgpack_pack_bin_with_body(&b->pk, data, size);
    }
}

static uint8_t kept[4];

static pan_status mask_decode(const char *dtype, int n, int frame,
                              const void *data, size_t size,
                              const pan_proto_blob *blobs, int n_blobs,
                              pan_proto_tensor *t, bool *blobs_ok) {
    pan_server_limits lim = pan_server_limits_default();
    pan_proto_request req;
    buf b;
    mask_request(&b, dtype, n, frame, data, size);
    pan_status st = PAN_ERR_INTERNAL;
    if (decode(&lim, &b, blobs, n_blobs, &req) == PAN_PROTO_OK) {
        const msgpack_object *o;
        st = pan_proto_field(&req, "mask", true, &o);
        if (st == PAN_OK) st = pan_proto_obj_tensor(&req, "mask", o, t);
        uint64_t shape[1] = {4};
        if (st == PAN_OK)
            st = pan_proto_tensor_expect(&req, "mask", t, PAN_PROTO_B1, 1, shape);
        /* The tensor's bytes live in the request: keep a copy. */
        if (st == PAN_OK) {
            memcpy(kept, t->data, t->bytes < 4 ? t->bytes : 4);
            t->data = kept;
        }
        /* As a handler does: the blob check after the fields. */
        *blobs_ok = false;
        if (st == PAN_OK) {
            st = pan_proto_request_check_blobs(&req);
            *blobs_ok = st == PAN_OK;
        }
    }
    pan_proto_request_free(&req);
    msgpack_sbuffer_destroy(&b.sb);
    return st;
}

static void test_tensors(void) {
    const uint8_t mask[8] = {1, 0, 0, 1, 0, 0, 0, 0}; /* 5 used by the size case */
    const uint8_t two[4] = {1, 2, 0, 1};
    const float f[4] = {1, 0, 0, 1};
    pan_proto_blob blob = {mask, 4}, fblob = {(const uint8_t *)f, 16};
    pan_proto_blob blobs2[2] = {blob, blob};
    pan_proto_tensor t;
    bool blobs_ok;
    /* Good: by frame and inline. */
    CHECK_STATUS(mask_decode("b1", 4, 1, NULL, 0, &blob, 1, &t, &blobs_ok), PAN_OK);
    CHECK(blobs_ok && t.frame == 1 && t.bytes == 4 && t.data[3] == 1);
    CHECK_STATUS(mask_decode("b1", 4, 0, mask, 4, NULL, 0, &t, &blobs_ok), PAN_OK);
    CHECK(t.frame == 0 && t.data[0] == 1);
    /* Wrong dtype (known and unknown). */
    CHECK_STATUS(mask_decode("f4", 4, 1, NULL, 0, &fblob, 1, &t, &blobs_ok),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(message_has("must be a tensor b1 (4), found f4 (4)"));
    CHECK_STATUS(mask_decode("q9", 4, 1, NULL, 0, &blob, 1, &t, &blobs_ok),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(message_has("unknown dtype 'q9'"));
    /* Wrong shape. */
    pan_proto_blob blob3 = {mask, 3};
    CHECK_STATUS(mask_decode("b1", 3, 1, NULL, 0, &blob3, 1, &t, &blobs_ok),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(message_has("found b1 (3)"));
    /* Frame index out of range: 0 is inline-less, 2 is missing. */
    CHECK_STATUS(mask_decode("b1", 4, 2, NULL, 0, &blob, 1, &t, &blobs_ok),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(message_has("field 'mask.frame' must be a blob frame number in [1, 1]"));
    /* Byte size: blob of 3 bytes for shape (4). */
    CHECK_STATUS(mask_decode("b1", 4, 1, NULL, 0, &blob3, 1, &t, &blobs_ok),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(message_has("holds 3 bytes, its dtype b1 and shape need 4"));
    CHECK_STATUS(mask_decode("b1", 4, 0, mask, 5, NULL, 0, &t, &blobs_ok),
                 PAN_ERR_INVALID_ARGUMENT);
    /* b1 values other than 0/1. */
    CHECK_STATUS(mask_decode("b1", 4, 0, two, 4, NULL, 0, &t, &blobs_ok),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(message_has("b1 element 1 is 2"));
    /* A blob nobody references. */
    CHECK_STATUS(mask_decode("b1", 4, 1, NULL, 0, blobs2, 2, &t, &blobs_ok),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(!blobs_ok);
    CHECK(message_has("blob frame 2 is not referenced"));

    /* Rank over 8, both frame and data, a non-map. */
    pan_server_limits lim = pan_server_limits_default();
    pan_proto_request req;
    buf b;
    envelope(&b, 1, "RESET", true, 3);
    str(&b.pk, "deep");
    msgpack_pack_map(&b.pk, 3);
    str(&b.pk, "dtype");
    str(&b.pk, "u1");
    str(&b.pk, "shape");
    msgpack_pack_array(&b.pk, 9);
    for (int i = 0; i < 9; i++) msgpack_pack_int(&b.pk, 1);
    str(&b.pk, "frame");
    msgpack_pack_int(&b.pk, 1);
    str(&b.pk, "both");
    msgpack_pack_map(&b.pk, 4);
    str(&b.pk, "dtype");
    str(&b.pk, "u1");
    str(&b.pk, "shape");
    msgpack_pack_array(&b.pk, 1);
    msgpack_pack_int(&b.pk, 4);
    str(&b.pk, "frame");
    msgpack_pack_int(&b.pk, 1);
    str(&b.pk, "data");
    msgpack_pack_bin_with_body(&b.pk, mask, 4);
    str(&b.pk, "flat");
    msgpack_pack_int(&b.pk, 1);
    CHECK(decode(&lim, &b, &blob, 1, &req) == PAN_PROTO_OK);
    const msgpack_object *o;
    CHECK_STATUS(pan_proto_field(&req, "deep", true, &o), PAN_OK);
    CHECK_STATUS(pan_proto_obj_tensor(&req, "deep", o, &t), PAN_ERR_INVALID_ARGUMENT);
    CHECK(message_has("at most 8"));
    CHECK_STATUS(pan_proto_field(&req, "both", true, &o), PAN_OK);
    CHECK_STATUS(pan_proto_obj_tensor(&req, "both", o, &t), PAN_ERR_INVALID_ARGUMENT);
    CHECK(message_has("exactly one of 'frame' and 'data', found both"));
    CHECK_STATUS(pan_proto_field(&req, "flat", true, &o), PAN_OK);
    CHECK_STATUS(pan_proto_obj_tensor(&req, "flat", o, &t), PAN_ERR_INVALID_ARGUMENT);
    CHECK(message_has("must be a tensor map"));
    pan_proto_request_free(&req);
    msgpack_sbuffer_destroy(&b.sb);
}

/* ---- codes, names, limits -------------------------------------------------- */

static void test_codes(void) {
    struct { pan_status st; const char *code; } map[] = {
        {PAN_OK, "OK"},
        {PAN_ERR_INVALID_ARGUMENT, "INVALID_ARGUMENT"},
        {PAN_ERR_FAILED_PRECONDITION, "FAILED_PRECONDITION"},
        {PAN_ERR_NOT_FOUND, "NOT_FOUND"},
        {PAN_ERR_RESOURCE_EXHAUSTED, "RESOURCE_EXHAUSTED"},
        {PAN_ERR_UNIMPLEMENTED, "UNIMPLEMENTED"},
        {PAN_ERR_IO, "INTERNAL"},
        {PAN_ERR_DATA_LOSS, "INTERNAL"},
        {PAN_ERR_INTERNAL, "INTERNAL"},
        {(pan_status)-99, "INTERNAL"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        CHECK(strcmp(pan_proto_code_name(pan_proto_code_from_status(map[i].st)),
                     map[i].code) == 0);
    for (int c = 0; c < PAN_PROTO_CODE_COUNT; c++) {
        const char *name = pan_proto_code_name((pan_proto_code)c);
        CHECK(pan_proto_code_parse(name, strlen(name)) == (pan_proto_code)c);
    }
    CHECK(strcmp(pan_proto_code_name(PAN_PROTO_VERSION_MISMATCH),
                 "VERSION_MISMATCH") == 0);
    CHECK(strcmp(pan_proto_code_name(PAN_PROTO_UNAVAILABLE), "UNAVAILABLE") == 0);
    for (int op = 0; op < PAN_PROTO_OP_COUNT; op++) {
        const char *name = pan_proto_op_name((pan_proto_op)op);
        CHECK(pan_proto_op_parse(name, strlen(name)) == (pan_proto_op)op);
    }
    CHECK(pan_proto_op_parse("PINGX", 5) == PAN_PROTO_OP_COUNT);
    for (int d = 0; d < PAN_PROTO_DTYPE_COUNT; d++) {
        const char *name = pan_proto_dtype_name((pan_proto_dtype)d);
        CHECK(pan_proto_dtype_parse(name, strlen(name)) == (pan_proto_dtype)d);
    }
    pan_server_limits lim = pan_server_limits_default();
    CHECK_STATUS(pan_server_limits_check(&lim), PAN_OK);
    lim.max_blobs = PAN_PROTO_BLOBS_LIMIT + 1;
    CHECK_STATUS(pan_server_limits_check(&lim), PAN_ERR_INVALID_ARGUMENT);
    CHECK(message_has("max_blobs"));
    lim = pan_server_limits_default();
    lim.max_batch = -1;
    CHECK_STATUS(pan_server_limits_check(&lim), PAN_ERR_INVALID_ARGUMENT);
}

/* ---- replies ------------------------------------------------------------------ */

static const msgpack_object *find(const msgpack_object *map, const char *key) {
    return pan_proto_map_find(map, key, NULL);
}

static void test_replies(void) {
    pan_proto_reply rep;
    uint64_t shape[2] = {2, 3};
    pan_proto_reply_init(&rep);
    msgpack_pack_int(pan_proto_reply_field(&rep, "released"), 3);
    pan_proto_reply_field(&rep, "latent");
    float *lat = pan_proto_reply_tensor(&rep, PAN_PROTO_F4, 2, shape); /* (2, 3) */
    CHECK(lat != NULL && rep.n_blobs == 1 && rep.blob_size[0] == 24);
    pan_env_info info;
    memset(&info, 0, sizeof info);
    info.seed = 99;
    info.action.understood = true;
    info.action.kind = PAN_ACTION_ENVIRONMENT;
    snprintf(info.action.canonical, sizeof info.action.canonical, "wait");
    pan_proto_pack_info(pan_proto_reply_field(&rep, "info"), &info, 0);
    CHECK_STATUS(pan_proto_reply_finish(&rep, true, 12345), PAN_OK);
    msgpack_unpacked un;
    msgpack_unpacked_init(&un);
    size_t off = 0;
    CHECK(msgpack_unpack_next(&un, rep.header.data, rep.header.size, &off) ==
          MSGPACK_UNPACK_SUCCESS);
    CHECK(off == rep.header.size);
    const msgpack_object *root = &un.data;
    CHECK(root->type == MSGPACK_OBJECT_MAP && root->via.map.size == 6);
    const msgpack_object *k0 = &root->via.map.ptr[0].key;
    CHECK(k0->type == MSGPACK_OBJECT_STR && k0->via.str.size == 1 &&
          k0->via.str.ptr[0] == 'v');
    CHECK(find(root, "id")->via.u64 == 12345);
    CHECK(find(root, "ok")->via.boolean);
    CHECK(find(root, "released")->via.u64 == 3);
    CHECK(find(find(root, "latent"), "frame")->via.u64 == 1);
    const msgpack_object *inf = find(root, "info");
    CHECK(inf && inf->via.map.size == 11);
    const char *order[11] = {"is_reset", "autoreset", "seed", "episode_step",
                             "understood", "action_kind", "canonical",
                             "message", "heldout", "task", "success"};
    for (int i = 0; i < 11 && inf && inf->via.map.size == 11; i++) {
        const msgpack_object *k = &inf->via.map.ptr[i].key;
        CHECK(k->via.str.size == strlen(order[i]) &&
              memcmp(k->via.str.ptr, order[i], k->via.str.size) == 0);
    }
    const msgpack_object *kind = find(inf, "action_kind");
    CHECK(kind && kind->via.str.size == 11 &&
          memcmp(kind->via.str.ptr, "environment", 11) == 0);
    CHECK(find(inf, "seed")->via.u64 == 99);
    msgpack_unpacked_destroy(&un);

    /* An error reply drops fields and blobs; a nil id. */
    CHECK_STATUS(pan_proto_reply_error(&rep, false, 0, PAN_PROTO_UNAVAILABLE,
                                       "shutting down"), PAN_OK);
    CHECK(rep.n_blobs == 0);
    msgpack_unpacked_init(&un);
    off = 0;
    CHECK(msgpack_unpack_next(&un, rep.header.data, rep.header.size, &off) ==
          MSGPACK_UNPACK_SUCCESS);
    root = &un.data;
    CHECK(root->via.map.size == 4);
    CHECK(find(root, "id")->type == MSGPACK_OBJECT_NIL);
    CHECK(!find(root, "ok")->via.boolean);
    const msgpack_object *code = find(find(root, "error"), "code");
    CHECK(code && code->via.str.size == 11 &&
          memcmp(code->via.str.ptr, "UNAVAILABLE", 11) == 0);
    msgpack_unpacked_destroy(&un);
    pan_proto_reply_free(&rep);

    /* A message cut inside a UTF-8 character is cut back to a boundary. */
    pan_proto_reply_init(&rep);
    CHECK_STATUS(pan_proto_reply_error(&rep, true, 1, PAN_PROTO_INTERNAL,
                                       "caf\xc3"), PAN_OK);
    msgpack_unpacked_init(&un);
    off = 0;
    CHECK(msgpack_unpack_next(&un, rep.header.data, rep.header.size, &off) ==
          MSGPACK_UNPACK_SUCCESS);
    const msgpack_object *msg = find(find(&un.data, "error"), "message");
    CHECK(msg && msg->via.str.size == 3);
    msgpack_unpacked_destroy(&un);
    pan_proto_reply_free(&rep);
}

int main(void) {
    test_bounds();
    test_envelope();
    test_getters();
    test_tensors();
    test_codes();
    test_replies();
    return test_exit_code("test_protocol_codec");
}
