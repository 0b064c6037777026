/* core/model/backbone/kv_cache.h: per-env backbone history -- the KV cache.
 *
 * Contract (docs/model.md, "History, KV cache and eviction")
 * - A pan_kv_cache is a pool of `slots` independent per-env histories in one
 *   allocation (the per-env-state lifetime class), apart from the weights.
 *   Slot s holds K (after RoPE) and V of every layer for its live tokens,
 *   layout (layers, 2, capacity, kv_heads, head_dim) f32, tokens in time
 *   order, plus: the number of rounds appended since reset, the next
 *   absolute position, each live round's [start, length) and round index,
 *   and a key mask (capacity) u8 (all live: a round that evicts compacts
 *   the slot at once, docs/model.md).
 * - capacity_tokens 0 means the worst case,
 *   max_rounds * pan_backbone_max_round_tokens(cfg), so every valid round
 *   fits; a smaller capacity makes a round that does not fit after
 *   eviction and compaction fail with RESOURCE_EXHAUSTED (nothing changed).
 * - pan_kv_cache_reset empties a slot (round 0 comes next).
 * - pan_kv_cache_copy copies slot `src` of `from` into slot `dst` of `to`
 *   (forks; `from` may equal `to`; the configs must match, the capacity of
 *   `to` must hold the live tokens). Only live data is copied.
 * - pan_kv_cache_save_bytes / save / load: a slot's live history as a
 *   self-describing blob (a header, the live rounds' table, then each
 *   layer's live K and V): save_bytes(slot) bytes, which grow with the live
 *   tokens (a fork snapshot holds only what is live). load checks the blob
 *   against this cache (DATA_LOSS naming the field when the header, the
 *   table or the size do not fit: another config, a larger history than
 *   the capacity, a truncated blob) and changes nothing on error. Saving
 *   or loading a slot with a round in progress is FAILED_PRECONDITION.
 * - pan_kv_cache_begin_round / pan_kv_cache_commit_round are the
 *   backbone's: begin evicts what the new round r pushes out of the
 *   window, compacts if needed, and reserves `tokens` slots at the end
 *   (returning where they start and the absolute position of the first);
 *   the backbone writes K/V there and commits on success, or calls
 *   pan_kv_cache_abort_round. Abort restores the slot byte for byte when
 *   the round evicted nothing; a round that evicted was compacted at
 *   begin, and abort leaves it compacted: the rounds it still holds and
 *   every later result are the same as if it had not begun, but the
 *   evicted rounds are gone (live counts shrink).
 * - Thread safety: none; one owner. Different slots may be used by one
 *   call of the backbone for a batch.
 */
#ifndef PAN_CORE_MODEL_BACKBONE_KV_CACHE_H
#define PAN_CORE_MODEL_BACKBONE_KV_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "core/model/config.h"
#include "core/status.h"
#include "core/tensor.h"

typedef struct pan_kv_cache pan_kv_cache;

pan_status pan_kv_cache_create(pan_kv_cache **out, const pan_model_config *cfg,
                               int slots, int64_t capacity_tokens);
void pan_kv_cache_destroy(pan_kv_cache *cache);

int pan_kv_cache_slots(const pan_kv_cache *cache);
int64_t pan_kv_cache_capacity(const pan_kv_cache *cache); /* tokens per slot */
size_t pan_kv_cache_bytes_per_slot(const pan_kv_cache *cache);
size_t pan_kv_cache_total_bytes(const pan_kv_cache *cache);

void pan_kv_cache_reset(pan_kv_cache *cache, int slot);
pan_status pan_kv_cache_copy(pan_kv_cache *to, int dst, const pan_kv_cache *from,
                             int src);

size_t pan_kv_cache_save_bytes(const pan_kv_cache *cache, int slot);
pan_status pan_kv_cache_save(const pan_kv_cache *cache, int slot, void *blob);
pan_status pan_kv_cache_load(pan_kv_cache *cache, int slot, const void *blob,
                             size_t bytes);

/* Introspection (tests, STATS). */
int64_t pan_kv_cache_rounds(const pan_kv_cache *cache, int slot);  /* appended since reset */
int pan_kv_cache_live_rounds(const pan_kv_cache *cache, int slot); /* <= max_rounds */
int64_t pan_kv_cache_live_tokens(const pan_kv_cache *cache, int slot);
int64_t pan_kv_cache_next_position(const pan_kv_cache *cache, int slot);

/* --- used by the backbone --------------------------------------------- */
typedef struct pan_kv_reservation {
    int64_t start;     /* first reserved token index in the slot */
    int64_t position;  /* absolute position of that token */
    int64_t kv_len;    /* start + tokens: keys that exist after the round */
} pan_kv_reservation;

pan_status pan_kv_cache_begin_round(pan_kv_cache *cache, int slot,
                                    int64_t tokens, pan_kv_reservation *res);
void pan_kv_cache_commit_round(pan_kv_cache *cache, int slot);
void pan_kv_cache_abort_round(pan_kv_cache *cache, int slot);

/* Views of layer `layer`'s K or V of `slot`: (1, capacity, kv_heads,
 * head_dim), and the key mask (1, capacity) u8. */
void pan_kv_cache_keys(pan_kv_cache *cache, int slot, int layer, pan_tensor *k);
void pan_kv_cache_values(pan_kv_cache *cache, int slot, int layer, pan_tensor *v);
void pan_kv_cache_key_mask(pan_kv_cache *cache, int slot, pan_tensor *mask);

#endif
