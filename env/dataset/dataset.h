/* env/dataset/dataset.h: episode files (one recorded episode per file):
 * episodes of a ground-truth world with their truth, external recordings
 * (frames and action texts only), and the recording of an episode from a
 * ground-truth world.
 *
 * Contract
 * - An episode is T actions with their frames: frames uint8
 *   (T*K+1, H, W, 3) (the first frame, then K frames per step) and the T
 *   action strings. An episode of a ground-truth world (meta.truth true,
 *   format version 1) also holds the T parse results and the T+1 true
 *   states (states[0] after reset, states[t+1] after action t). An
 *   external recording (meta.truth false, format version 2) holds neither:
 *   ep->results and ep->states are NULL, its world is the user's name for
 *   the recording (PAN_EPISODE_NAME_RULE, not a built-in world), its split
 *   is PAN_SPLIT_ANY and T >= 1. The on-disk layout (magic, version,
 *   msgpack body, CRC32) is specified in docs/dataset.md; this header is
 *   its C face.
 * - Ownership: pan_episode_alloc makes ONE allocation holding every array of
 *   an episode; pan_episode_free releases it (safe on a zeroed or freed
 *   episode). pan_episode_read allocates the same way.
 * - Writing is atomic: the file is written under a temporary name in the
 *   same directory ("." + name + ".tmp" + 6 characters), flushed, fsync'd
 *   and renamed over the final name; on failure the temporary is removed
 *   and nothing else changes. A reader never sees a half-written file.
 *   meta.truth selects the version written: 1 if true, 2 if false.
 * - Reading trusts nothing: file size against the header's declared body
 *   length (before any allocation), magic, CRC32, then every declared
 *   msgpack length against the bytes present, then every field's presence,
 *   type, range and shape. Versions 1 and 2 are read. Errors name the file
 *   and the field:
 *     PAN_ERR_NOT_FOUND / PAN_ERR_IO   the file cannot be opened / read;
 *     PAN_ERR_DATA_LOSS                truncated, corrupt (bad magic, size,
 *                                      checksum, malformed msgpack);
 *     PAN_ERR_UNIMPLEMENTED            intact file of another format version
 *                                      (0, 3 and later) or non-zero flags;
 *     PAN_ERR_INVALID_ARGUMENT         intact msgpack whose fields are
 *                                      missing, unknown, of the wrong type,
 *                                      out of range or of inconsistent shape
 *                                      (a version-2 file with `results` or
 *                                      `states`, or naming a built-in world,
 *                                      included).
 *   The writer applies the same value checks (pan_episode_validate) so it
 *   never writes a file the reader would refuse.
 * - Determinism: pan_episode_generate depends only on (world name, config,
 *   seed, split, T); the file bytes depend only on the episode.
 * - Thread safety: functions keep no global state; distinct episodes and
 *   worlds may be used from distinct threads at once.
 */
#ifndef PAN_ENV_DATASET_DATASET_H
#define PAN_ENV_DATASET_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "env/world.h"

#define PAN_EPISODE_VERSION 1          /* ground-truth world (truth) */
#define PAN_EPISODE_VERSION_EXTERNAL 2 /* external recording (no truth) */
#define PAN_EPISODE_MAGIC "\x89PANEPI\n" /* 8 bytes */
#define PAN_EPISODE_MAGIC_SIZE 8
#define PAN_EPISODE_HEADER_SIZE 24  /* magic, u32 version, u32 flags, u64 body length */
#define PAN_EPISODE_TRAILER_SIZE 4  /* u32 CRC32 of header + body */
#define PAN_EPISODE_WORLD_MAX 32    /* world name buffer, NUL included */
#define PAN_EPISODE_MAX_STEPS 65536
#define PAN_EPISODE_MAX_FRAME_BYTES 0xFFFFFFFFull /* one msgpack bin32 */
#define PAN_EPISODE_MAX_FILE_BYTES ((1ull << 32) + (1ull << 28))

/* The world name of an external recording: [a-z0-9][a-z0-9_-]{0,30},
 * and not the name of a built-in world (pan_world_names). */
#define PAN_EPISODE_NAME_RULE "[a-z0-9][a-z0-9_-]{0,30}"

/* What identifies an episode; everything else follows from it. */
typedef struct pan_episode_meta {
    char world[PAN_EPISODE_WORLD_MAX]; /* truth: "tabletop", "rooms";
                                          else PAN_EPISODE_NAME_RULE */
    uint64_t seed;                     /* truth: the world's reset seed;
                                          else free (not interpreted) */
    pan_split split;                   /* split the actions were drawn from;
                                          PAN_SPLIT_ANY without truth */
    pan_world_config config;           /* H = height, W = width, K */
    int64_t steps;                     /* T, 0..PAN_EPISODE_MAX_STEPS;
                                          1.. without truth */
    bool truth;                        /* results and states present
                                          (version 1) or not (version 2) */
} pan_episode_meta;

typedef struct pan_episode {
    pan_episode_meta meta;
    uint8_t *frames;                  /* (T*K+1, H, W, 3) */
    char (*actions)[PAN_WORLD_ACTION_MAX + 1]; /* (T) NUL-terminated text */
    pan_action_result *results;       /* (T) what the parser made of each;
                                         NULL without truth */
    pan_world_state *states;          /* (T+1) true states; NULL without
                                         truth */
    void *block;                      /* the one allocation (internal) */
} pan_episode;

/* The format version of a file holding an episode with `meta`:
 * PAN_EPISODE_VERSION (truth) or PAN_EPISODE_VERSION_EXTERNAL. */
uint32_t pan_episode_version(const pan_episode_meta *meta);

/* Number of frames (T*K+1) and bytes of frames of an episode with `meta`. */
int64_t pan_episode_frame_count(const pan_episode_meta *meta);
size_t pan_episode_frame_bytes(const pan_episode_meta *meta);

/* Checks meta alone: the world (truth: a built-in world; else
 * PAN_EPISODE_NAME_RULE and not a built-in world), split (any split with
 * truth, PAN_SPLIT_ANY without), config in range, T in range (0.. with
 * truth, 1.. without), frames fit one bin32. INVALID_ARGUMENT naming the
 * field; `where` prefixes the message. */
pan_status pan_episode_meta_validate(const pan_episode_meta *meta,
                                     const char *where);

/* Checks meta (pan_episode_meta_validate) and allocates zeroed arrays for
 * it: frames and actions, and results and states only if meta->truth
 * (else they are NULL). INVALID_ARGUMENT / RESOURCE_EXHAUSTED; on failure
 * *ep is zeroed. */
pan_status pan_episode_alloc(pan_episode *ep, const pan_episode_meta *meta);
void pan_episode_free(pan_episode *ep);

/* Checks every value of a filled episode against the format's rules
 * (meta as in alloc; each action NUL-terminated; with truth, results:
 * kind in range, template_id >= -1, texts NUL-terminated; states: 0..16
 * objects, colour, shape, heading in range, every float finite,
 * steps >= 0; without truth, results and states must be NULL). `where`
 * prefixes the message, e.g. the file name. INVALID_ARGUMENT naming the
 * field ("states[3].objects[1].colour") on the first violation. */
pan_status pan_episode_validate(const pan_episode *ep, const char *where);

/* Seeds of the generator (docs/dataset.md): the reset seed of episode
 * `index` of a run with base seed `base`, and the seed of the action
 * sampler's RNG of an episode whose reset seed is `seed`. */
uint64_t pan_episode_seed(uint64_t base, int64_t index);
uint64_t pan_episode_action_seed(uint64_t seed);

/* Records an episode: resets `world` with ep->meta.seed, then T times draws
 * an action with pan_world_sample_action(split = ep->meta.split) from an RNG
 * started at pan_episode_action_seed(seed) and steps. ep must have been
 * allocated for this world's name and config, with meta.truth true. */
pan_status pan_episode_generate(pan_world *world, pan_episode *ep);

/* Writes ep to `path` atomically (validates first): format version 1 if
 * ep->meta.truth, else version 2. INVALID_ARGUMENT, IO. */
pan_status pan_episode_write(const pan_episode *ep, const char *path);

/* Reads and validates a whole episode; on success *ep owns its arrays
 * (pan_episode_free), on failure *ep is zeroed. */
pan_status pan_episode_read(const char *path, pan_episode *ep);

/* Validates a file exactly as pan_episode_read does, without keeping the
 * arrays; fills *meta (may be NULL; meta->truth tells the version) and
 * *file_bytes (may be NULL). */
pan_status pan_episode_check(const char *path, pan_episode_meta *meta,
                             uint64_t *file_bytes);

/* "train", "heldout", "any"; NULL for an unknown split. And the inverse:
 * INVALID_ARGUMENT for an unknown name. */
const char *pan_episode_split_name(pan_split split);
pan_status pan_episode_split_parse(const char *name, pan_split *out);

/* True if `name` (a file name without directory) has the shape of
 * pan_episode_write's temporaries: "." + final name + ".tmp" + 6 chars. */
bool pan_episode_is_temporary_name(const char *name);

#endif
