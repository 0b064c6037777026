/* tests/server/malformed_cases.h: the generator of test_server_malformed:
 * from a fixed-seed RNG, one malformed request at a time (header bytes and
 * blob frames) with the error code its category must get, and whether the
 * reply can echo its id.
 *
 * Contract
 * - malformed_build fills *m (m->id set by the caller first) and counts the
 *   category in counts[C_COUNT]; free m->sb with msgpack_sbuffer_destroy.
 * - Every request is malformed for a server started with --max-envs 8
 *   --max-batch 8 --max-horizon 8 --max-header-bytes 65536
 *   --max-reply-bytes 2000000, aimed at the sessions in `ids` (target: 2
 *   tabletop envs reset; unreset: 1 env never reset; snapshot: a live
 *   snapshot of target's env 0). None of them may succeed.
 * - Deterministic: the same RNG state gives the same requests.
 */
#ifndef PAN_TESTS_SERVER_MALFORMED_CASES_H
#define PAN_TESTS_SERVER_MALFORMED_CASES_H

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

#include "tests/server/server_harness.h"
#include "tests/test_util.h"

#define MAX_HEADER 65536

typedef struct ids {
    uint64_t target;              /* session B: the bad requests' target */
    uint64_t unreset;             /* session D: never reset */
    uint64_t snapshot;            /* a snapshot of B's env 0 */
    uint64_t live[4];             /* every live session (not "bad" ids) */
} ids;

typedef struct mcase {
    msgpack_sbuffer sb;
    msgpack_packer pk;
    uint8_t blob_bytes[24][8];
    test_blob blobs[24];
    int n_blobs;
    const char *code;             /* expected */
    bool id_readable;
    uint64_t id;
    const char *what;             /* category, for failure messages */
} mcase;

enum {
    C_TRUNCATED, C_RANDOM, C_NONMAP, C_FIELD, C_HUGE, C_DEEP, C_MISSING,
    C_VERSION, C_UNKNOWN_OP, C_SESSION, C_TEXT, C_LIMIT, C_TENSOR, C_BLOBS,
    C_STATE, C_COUNT
};

void malformed_build(mcase *m, test_rng *rng, const ids *id, int *counts);
/* Packs [0] (an env index list). */
void malformed_pack_env0(msgpack_packer *pk, const ids *id);

#endif
