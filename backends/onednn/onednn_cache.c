/* backends/onednn/onednn_cache.c: a small LRU cache of oneDNN primitives. */
#include "backends/onednn/onednn_cache.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void onednn_key_init(onednn_key *key, int op) {
    memset(key, 0, sizeof *key);
    key->op = op;
}

void onednn_key_push(onednn_key *key, int64_t value) {
    assert(key->n < ONEDNN_KEY_MAX);
    if (key->n < ONEDNN_KEY_MAX) key->v[key->n++] = value;
}

void onednn_key_push_f32(onednn_key *key, float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    onednn_key_push(key, (int64_t)bits);
}

/* FNV-1a over the key's bytes. */
static uint64_t key_hash(const onednn_key *key) {
    const unsigned char *p = (const unsigned char *)key;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < sizeof *key; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

pan_status onednn_cache_init(onednn_cache *cache, int capacity) {
    memset(cache, 0, sizeof *cache);
    cache->entries = calloc((size_t)capacity, sizeof *cache->entries);
    if (!cache->entries)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "onednn: out of memory for a primitive cache of "
                             "%d entries",
                             capacity);
    cache->capacity = capacity;
    return PAN_OK;
}

static void entry_release(onednn_entry *e) {
    for (int i = 0; i < ONEDNN_ENTRY_PRIMS; i++) {
        if (e->prim[i]) dnnl_primitive_destroy(e->prim[i]);
        if (e->scratch[i]) dnnl_memory_destroy(e->scratch[i]);
    }
    for (int i = 0; i < ONEDNN_ENTRY_MEMS; i++)
        if (e->mem[i]) dnnl_memory_destroy(e->mem[i]);
    for (int i = 0; i < ONEDNN_ENTRY_BUFS; i++) free(e->buf[i]);
    memset(e, 0, sizeof *e);
}

void onednn_cache_free(onednn_cache *cache) {
    if (!cache->entries) return;
    for (int i = 0; i < cache->capacity; i++)
        if (cache->entries[i].last_use) entry_release(&cache->entries[i]);
    free(cache->entries);
    memset(cache, 0, sizeof *cache);
}

onednn_entry *onednn_cache_find(onednn_cache *cache, const onednn_key *key) {
    uint64_t h = key_hash(key);
    for (int i = 0; i < cache->capacity; i++) {
        onednn_entry *e = &cache->entries[i];
        if (e->last_use && e->hash == h &&
            memcmp(&e->key, key, sizeof *key) == 0) {
            e->last_use = ++cache->clock;
            return e;
        }
    }
    return NULL;
}

onednn_entry *onednn_cache_insert(onednn_cache *cache, const onednn_key *key) {
    onednn_entry *slot = NULL;
    for (int i = 0; i < cache->capacity && !slot; i++)
        if (!cache->entries[i].last_use) slot = &cache->entries[i];
    if (!slot) {
        slot = &cache->entries[0];
        for (int i = 1; i < cache->capacity; i++)
            if (cache->entries[i].last_use < slot->last_use)
                slot = &cache->entries[i];
        entry_release(slot);
    }
    slot->key = *key;
    slot->hash = key_hash(key);
    slot->last_use = ++cache->clock;
    cache->builds++;
    return slot;
}

void onednn_cache_drop(onednn_cache *cache, onednn_entry *entry) {
    (void)cache;
    entry_release(entry);
}
