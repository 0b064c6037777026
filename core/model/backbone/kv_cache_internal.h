/* core/model/backbone/kv_cache_internal.h: what the backbone needs from the KV
 * cache beyond the public contract (core/model/backbone/kv_cache.h).
 *
 * Contract
 * - pan_kv_cache_config: the configuration the cache was created with.
 * - pan_kv_cache_same_config: whether two configs give the same backbone
 *   (every backbone field, the tokenizer and the state tokens): caches
 *   copy between, and workspaces and models work with, such configs only.
 * - pan_kv_cache_check_round: whether pan_kv_cache_begin_round(slot,
 *   tokens) would succeed, without changing anything: INVALID_ARGUMENT for
 *   a slot out of range or tokens < 1, FAILED_PRECONDITION for a slot with
 *   a round in progress, RESOURCE_EXHAUSTED when the round does not fit
 *   after eviction and compaction. The backbone checks every env of a
 *   batch with it before beginning any, so that a batch that cannot run
 *   changes nothing at all. `env` (>= 0) prefixes messages ("env 3: ...").
 * - Slots are always compact (kv_cache.c, "Compaction policy"): during a
 *   round every key below the reservation's kv_len is live, so attention
 *   needs no key mask.
 * - Thread safety: as the cache (one owner).
 */
#ifndef PAN_CORE_MODEL_BACKBONE_KV_CACHE_INTERNAL_H
#define PAN_CORE_MODEL_BACKBONE_KV_CACHE_INTERNAL_H

#include <stdbool.h>

#include "core/model/backbone/kv_cache.h"

const pan_model_config *pan_kv_cache_config(const pan_kv_cache *cache);
bool pan_kv_cache_same_config(const pan_model_config *a,
                              const pan_model_config *b);
pan_status pan_kv_cache_check_round(const pan_kv_cache *cache, int slot,
                                    int64_t tokens, int env);

#endif
