/* env/server/proto_names.c: the protocol's tables (env/protocol.h): error
 * codes, op names and their session use, dtypes, and the default limits. */
#include <string.h>

#include "env/protocol.h"

static const char *const code_names[PAN_PROTO_CODE_COUNT] = {
    "OK", "INVALID_ARGUMENT", "FAILED_PRECONDITION", "NOT_FOUND",
    "RESOURCE_EXHAUSTED", "UNIMPLEMENTED", "VERSION_MISMATCH", "UNAVAILABLE",
    "INTERNAL",
};

const char *pan_proto_code_name(pan_proto_code code) {
    if ((int)code < 0 || code >= PAN_PROTO_CODE_COUNT) return "INTERNAL";
    return code_names[code];
}

static bool same(const char *name, size_t len, const char *want) {
    return name && strlen(want) == len && memcmp(name, want, len) == 0;
}

pan_proto_code pan_proto_code_parse(const char *name, size_t len) {
    for (int i = 0; i < PAN_PROTO_CODE_COUNT; i++)
        if (same(name, len, code_names[i])) return (pan_proto_code)i;
    return PAN_PROTO_CODE_COUNT;
}

pan_proto_code pan_proto_code_from_status(pan_status status) {
    switch (status) {
    case PAN_OK: return PAN_PROTO_OK;
    case PAN_ERR_INVALID_ARGUMENT: return PAN_PROTO_INVALID_ARGUMENT;
    case PAN_ERR_FAILED_PRECONDITION: return PAN_PROTO_FAILED_PRECONDITION;
    case PAN_ERR_NOT_FOUND: return PAN_PROTO_NOT_FOUND;
    case PAN_ERR_RESOURCE_EXHAUSTED: return PAN_PROTO_RESOURCE_EXHAUSTED;
    case PAN_ERR_UNIMPLEMENTED: return PAN_PROTO_UNIMPLEMENTED;
    case PAN_ERR_IO:
    case PAN_ERR_DATA_LOSS:
    case PAN_ERR_INTERNAL:
        return PAN_PROTO_INTERNAL;
    }
    return PAN_PROTO_INTERNAL;
}

static const struct {
    const char *name;
    pan_proto_session_use session;
} ops[PAN_PROTO_OP_COUNT] = {
    [PAN_PROTO_OP_HELLO] = {"HELLO", PAN_SESSION_NONE},
    [PAN_PROTO_OP_DESCRIBE] = {"DESCRIBE", PAN_SESSION_OPTIONAL},
    [PAN_PROTO_OP_MAKE] = {"MAKE", PAN_SESSION_NONE},
    [PAN_PROTO_OP_RESET] = {"RESET", PAN_SESSION_REQUIRED},
    [PAN_PROTO_OP_STEP] = {"STEP", PAN_SESSION_REQUIRED},
    [PAN_PROTO_OP_SAMPLE] = {"SAMPLE", PAN_SESSION_REQUIRED},
    [PAN_PROTO_OP_RENDER] = {"RENDER", PAN_SESSION_REQUIRED},
    [PAN_PROTO_OP_FORK] = {"FORK", PAN_SESSION_REQUIRED},
    [PAN_PROTO_OP_RESTORE] = {"RESTORE", PAN_SESSION_REQUIRED},
    [PAN_PROTO_OP_ROLLOUT] = {"ROLLOUT", PAN_SESSION_REQUIRED},
    [PAN_PROTO_OP_RELEASE] = {"RELEASE", PAN_SESSION_REQUIRED},
    [PAN_PROTO_OP_CLOSE] = {"CLOSE", PAN_SESSION_REQUIRED},
    [PAN_PROTO_OP_PING] = {"PING", PAN_SESSION_OPTIONAL},
    [PAN_PROTO_OP_STATS] = {"STATS", PAN_SESSION_OPTIONAL},
};

const char *pan_proto_op_name(pan_proto_op op) {
    if ((int)op < 0 || op >= PAN_PROTO_OP_COUNT) return "?";
    return ops[op].name;
}

pan_proto_op pan_proto_op_parse(const char *name, size_t len) {
    for (int i = 0; i < PAN_PROTO_OP_COUNT; i++)
        if (same(name, len, ops[i].name)) return (pan_proto_op)i;
    return PAN_PROTO_OP_COUNT;
}

pan_proto_session_use pan_proto_op_session(pan_proto_op op) {
    if ((int)op < 0 || op >= PAN_PROTO_OP_COUNT) return PAN_SESSION_NONE;
    return ops[op].session;
}

static const struct {
    const char *name;
    size_t size;
} dtypes[PAN_PROTO_DTYPE_COUNT] = {
    [PAN_PROTO_U1] = {"u1", 1}, [PAN_PROTO_B1] = {"b1", 1},
    [PAN_PROTO_I4] = {"i4", 4}, [PAN_PROTO_U4] = {"u4", 4},
    [PAN_PROTO_I8] = {"i8", 8}, [PAN_PROTO_U8] = {"u8", 8},
    [PAN_PROTO_F4] = {"f4", 4}, [PAN_PROTO_F8] = {"f8", 8},
};

const char *pan_proto_dtype_name(pan_proto_dtype dtype) {
    if ((int)dtype < 0 || dtype >= PAN_PROTO_DTYPE_COUNT) return "?";
    return dtypes[dtype].name;
}

size_t pan_proto_dtype_size(pan_proto_dtype dtype) {
    if ((int)dtype < 0 || dtype >= PAN_PROTO_DTYPE_COUNT) return 0;
    return dtypes[dtype].size;
}

pan_proto_dtype pan_proto_dtype_parse(const char *name, size_t len) {
    for (int i = 0; i < PAN_PROTO_DTYPE_COUNT; i++)
        if (same(name, len, dtypes[i].name)) return (pan_proto_dtype)i;
    return PAN_PROTO_DTYPE_COUNT;
}

pan_server_limits pan_server_limits_default(void) {
    return (pan_server_limits){
        .max_message_bytes = 64ull << 20,
        .max_header_bytes = 1ull << 20,
        .max_blobs = 16,
        .max_text_bytes = 256,
        .max_sessions = 64,
        .max_envs_per_session = 256,
        .max_batch = 256,
        .max_horizon = 64,
        .max_snapshots = PAN_ENV_DEFAULT_MAX_SNAPSHOTS,
        .max_reply_bytes = 256ull << 20,
    };
}

#define LIMIT_RANGE(field, lo, hi)                                             \
    do {                                                                       \
        if ((uint64_t)(l->field) < (uint64_t)(lo) ||                           \
            (uint64_t)(l->field) > (uint64_t)(hi))                             \
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,                     \
                                 "server limits: %s must be in [%llu, %llu], " \
                                 "found %lld", #field,                         \
                                 (unsigned long long)(lo),                     \
                                 (unsigned long long)(hi),                     \
                                 (long long)(l->field));                       \
    } while (0)

pan_status pan_server_limits_check(const pan_server_limits *l) {
    if (!l)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "server limits: NULL pointer");
    /* Signed fields first: a negative value must not wrap into range. */
    if (l->max_blobs < 0 || l->max_text_bytes < 0 || l->max_sessions < 0 ||
        l->max_envs_per_session < 0 || l->max_batch < 0 ||
        l->max_horizon < 0 || l->max_snapshots < 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "server limits: a count limit is negative");
    LIMIT_RANGE(max_message_bytes, 1024, 1ull << 40);
    LIMIT_RANGE(max_header_bytes, 256, l->max_message_bytes);
    LIMIT_RANGE(max_blobs, 0, PAN_PROTO_BLOBS_LIMIT);
    LIMIT_RANGE(max_text_bytes, 1, PAN_ENV_ACTION_MAX);
    LIMIT_RANGE(max_sessions, 1, 1 << 20);
    LIMIT_RANGE(max_envs_per_session, 1, PAN_ENV_MAX_ENVS);
    LIMIT_RANGE(max_batch, 1, PAN_ENV_MAX_ENVS);
    LIMIT_RANGE(max_horizon, 1, 1 << 16);
    LIMIT_RANGE(max_snapshots, 0, 1 << 24);
    LIMIT_RANGE(max_reply_bytes, 1024, 1ull << 40);
    return PAN_OK;
}
