/* backends/onednn/onednn_cache.h: the oneDNN primitive cache.
 *
 * Contract
 * - Creating a oneDNN primitive costs from tens of microseconds to
 *   milliseconds (JIT code generation), so each op builds its primitives
 *   once per key -- the op plus every shape and attribute parameter that
 *   changes the primitive -- and reuses them on every later call.
 * - An entry holds everything an op needs to run one shape: primitives
 *   (the op, plus reorders), memory objects (created without data; the op
 *   points them at the caller's buffers with dnnl_memory_set_data_handle
 *   before every execution), internal buffers for blocked layouts, and a
 *   scratchpad memory object per primitive (pointed at the backend-wide
 *   scratchpad at execution).
 * - The cache holds at most `capacity` entries. When it is full, inserting
 *   evicts the least recently used entry and releases all its objects.
 * - onednn_cache_insert returns a cleared entry that the caller fills; if
 *   filling fails the caller calls onednn_cache_drop so the entry does not
 *   stay half-built. onednn_cache_free releases everything.
 * - Thread safety: none; the cache belongs to one backend instance, which
 *   is used by one thread at a time.
 */
#ifndef PAN_BACKENDS_ONEDNN_CACHE_H
#define PAN_BACKENDS_ONEDNN_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include <oneapi/dnnl/dnnl.h>

#include "core/status.h"

#define ONEDNN_KEY_MAX 16   /* int64 parameters per key */
#define ONEDNN_ENTRY_PRIMS 4
#define ONEDNN_ENTRY_MEMS 10
#define ONEDNN_ENTRY_BUFS 4

/* Build keys with onednn_key_init + onednn_key_push so that unused slots
 * stay zero and keys compare bytewise. */
typedef struct onednn_key {
    int64_t op;  /* pan_op */
    int64_t n;   /* parameters used */
    int64_t v[ONEDNN_KEY_MAX];
} onednn_key;

typedef struct onednn_entry {
    onednn_key key;
    uint64_t hash;
    uint64_t last_use;  /* 0: slot free */
    dnnl_primitive_t prim[ONEDNN_ENTRY_PRIMS];
    dnnl_memory_t scratch[ONEDNN_ENTRY_PRIMS]; /* per prim, NULL if none */
    dnnl_memory_t mem[ONEDNN_ENTRY_MEMS];      /* meaning set by the op */
    void *buf[ONEDNN_ENTRY_BUFS];              /* owned, 64-byte aligned */
    int variant; /* op-specific choice made at build time */
} onednn_entry;

typedef struct onednn_cache {
    onednn_entry *entries; /* (capacity) */
    int capacity;
    uint64_t clock;        /* use counter for LRU */
    int64_t builds;        /* entries built so far (for tests/benchmarks) */
} onednn_cache;

void onednn_key_init(onednn_key *key, int op);
/* Appends one parameter; keys longer than ONEDNN_KEY_MAX are an internal
 * bug (asserted). */
void onednn_key_push(onednn_key *key, int64_t value);
/* Appends a float by its bit pattern. */
void onednn_key_push_f32(onednn_key *key, float value);

pan_status onednn_cache_init(onednn_cache *cache, int capacity);
void onednn_cache_free(onednn_cache *cache);

/* The entry for `key`, marked most recently used, or NULL. */
onednn_entry *onednn_cache_find(onednn_cache *cache, const onednn_key *key);

/* A cleared entry carrying `key` (evicting the LRU entry when full). */
onednn_entry *onednn_cache_insert(onednn_cache *cache, const onednn_key *key);

/* Releases an entry's objects and frees its slot. */
void onednn_cache_drop(onednn_cache *cache, onednn_entry *entry);

#endif
