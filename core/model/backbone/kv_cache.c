/* core/model/backbone/kv_cache.c: the per-env KV cache -- slots, eviction,
 * compaction, reservations and forks (docs/model.md, "History, KV cache
 * and eviction").
 *
 * Bookkeeping of one slot: its live rounds in time order (round 0 first,
 * then a run of consecutive rounds), each a [start, start+length) range of
 * the slot's tokens. Rounds are appended at the end and evicted from just
 * after round 0, so the live tokens are round 0 at [0, len0) plus one
 * contiguous run: compaction is one memmove per layer and K/V.
 *
 * The eviction window: a token of round r sees round 0 and rounds
 * max(1, r-N+2) .. r-1, so appending round r evicts every round i with
 * 1 <= i <= r-N+1. After the append the slot holds round 0 plus the N-1
 * rounds r-N+2 .. r, i.e. at most N live rounds (the first one included),
 * and the worst case capacity is N rounds of the longest length.
 *
 * Compaction policy: begin compacts whenever the new round evicts
 * something (and, trivially, whenever the round would not fit at the
 * end), so a slot never holds dead tokens and attention never spends time
 * on hidden keys. Measured on the default model at batch 1 (2 threads,
 * 60-round episode): 10.0 ms per step against 18.3 ms when dead tokens
 * were kept until they outnumbered the live ones -- attention over the
 * dead keys and the key-mask pass cost far more than the memmove (about
 * 3 MB per slot per step). The key mask is kept exact (ones on the live
 * tokens and the reserved range, zeros elsewhere) for the views and any
 * caller that wants it.
 *
 * Abort: begin changes nothing but the reserved range's mask unless it
 * evicts; then the evicted rounds are gone, and abort leaves the compacted
 * slot. That slot holds the same kept tokens with the same keys, values
 * and positions, and every later round behaves exactly as if the failed
 * round had never begun (the evicted rounds were invisible to round r and
 * every later round anyway); only live_rounds / live_tokens and the token
 * offsets show the difference.
 */
#include "core/model/backbone/kv_cache.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/backbone/kv_cache_internal.h"

typedef struct kv_round {
    int64_t index;  /* round number since reset */
    int64_t start;  /* first token in the slot */
    int64_t length; /* tokens */
} kv_round;

typedef struct kv_slot {
    int64_t rounds;        /* appended since reset */
    int64_t next_position; /* absolute position of the next token */
    int64_t live_tokens;   /* tokens [0, live_tokens) = the table's rounds */
    int n_live;            /* entries of table */
    kv_round *table;       /* (max_rounds + 2) live rounds, time order */
    /* round in progress: tokens [live_tokens, live_tokens + res_tokens) */
    bool pending;
    int64_t res_tokens;
} kv_slot;

struct pan_kv_cache {
    pan_model_config cfg;
    int slots;
    int64_t capacity;      /* tokens per slot */
    int layers, kv_heads, head_dim, max_rounds;
    size_t token_floats;   /* kv_heads * head_dim */
    size_t plane_floats;   /* capacity * token_floats: one layer's K or V */
    size_t slot_floats;    /* layers * 2 * plane_floats */
    void *block;           /* the one allocation of data + masks (calloc) */
    float *data;   /* (slots, layers, 2, capacity, kv_heads, head_dim) */
    uint8_t *mask;         /* (slots, capacity) key mask, 1 = visible */
    kv_slot *slot;         /* (slots) */
    kv_round *tables;      /* (slots, max_rounds + 2) */
    size_t total_bytes;
};

/* ---- helpers ------------------------------------------------------------ */

static float *plane(const pan_kv_cache *c, int slot, int layer, int kv) {
    return c->data + (size_t)slot * c->slot_floats +
           ((size_t)layer * 2 + (size_t)kv) * c->plane_floats;
}

static uint8_t *slot_mask(const pan_kv_cache *c, int slot) {
    return c->mask + (size_t)slot * (size_t)c->capacity;
}

/* Table entries 1..k are evicted by appending round `r` (index <= r-N+1). */
static int evicted_entries(const pan_kv_cache *c, const kv_slot *s,
                           int64_t r) {
    int k = 0;
    for (int i = 1; i < s->n_live; i++) {
        if (s->table[i].index > r - c->max_rounds + 1) break;
        k++;
    }
    return k;
}

static int64_t entries_tokens(const kv_slot *s, int from, int to) {
    int64_t n = 0;
    for (int i = from; i < to; i++) n += s->table[i].length;
    return n;
}

static pan_status check_slot(const pan_kv_cache *c, int slot, const char *fn,
                             int env) {
    if (slot >= 0 && slot < c->slots) return PAN_OK;
    if (env >= 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "env %d: kv cache slot %d out of range, expected "
                             "0..%d",
                             env, slot, c->slots - 1);
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                         "%s: slot %d out of range, expected 0..%d", fn, slot,
                         c->slots - 1);
}

/* Moves tokens [from, from+count) of every layer's K and V to `to`
 * (to < from; the ranges may overlap). The mask is the caller's. */
static void move_tokens(pan_kv_cache *c, int slot, int64_t to, int64_t from,
                        int64_t count) {
    if (count <= 0 || to == from) return;
    size_t tf = c->token_floats;
    for (int l = 0; l < c->layers; l++)
        for (int kv = 0; kv < 2; kv++) {
            float *p = plane(c, slot, l, kv); /* (capacity, Hkv, hd) */
            memmove(p + (size_t)to * tf, p + (size_t)from * tf,
                    (size_t)count * tf * sizeof *p);
        }
}

/* Drops table entries 1..k and moves the rest of the live run down to the
 * end of round 0: one memmove per layer and K/V. The mask becomes
 * [0, live) visible, the rest hidden. */
static void compact(pan_kv_cache *c, int slot, int k) {
    kv_slot *s = &c->slot[slot];
    if (k == 0) return;
    uint8_t *mask = slot_mask(c, slot);
    int64_t len0 = s->table[0].length, end = s->live_tokens;
    int64_t run_start = end, run_tokens = 0;
    if (s->n_live > 1 + k) {
        run_start = s->table[1 + k].start;
        run_tokens = end - run_start;
    }
    move_tokens(c, slot, len0, run_start, run_tokens);
    int64_t shift = run_start - len0;
    for (int i = 1 + k; i < s->n_live; i++) {
        s->table[i - k] = s->table[i];
        s->table[i - k].start -= shift;
    }
    s->n_live -= k;
    s->live_tokens = len0 + run_tokens;
    memset(mask + s->live_tokens, 0, (size_t)(end - s->live_tokens));
}

/* ---- create / destroy / sizes ------------------------------------------ */

pan_status pan_kv_cache_create(pan_kv_cache **out, const pan_model_config *cfg,
                               int slots, int64_t capacity_tokens) {
    if (!out || !cfg)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "kv cache: 'out' and 'cfg' must not be NULL");
    pan_status st = pan_model_config_validate(cfg);
    if (st != PAN_OK) return st;
    if (slots < 1 || slots > 1 << 20)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "kv cache: slots must be 1..%d, got %d", 1 << 20,
                             slots);
    int64_t round_max = pan_backbone_max_round_tokens(cfg);
    int64_t worst = (int64_t)cfg->backbone.max_rounds * round_max;
    if (capacity_tokens < 0 || capacity_tokens > ((int64_t)1 << 31) - 1)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "kv cache: capacity must be 0 (worst case, %lld "
                             "tokens) or 1..2^31-1 tokens, got %lld",
                             (long long)worst, (long long)capacity_tokens);
    int64_t capacity = capacity_tokens ? capacity_tokens : worst;

    pan_kv_cache *c = calloc(1, sizeof *c);
    if (!c)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "kv cache: out of memory for the cache struct");
    c->cfg = *cfg;
    c->slots = slots;
    c->capacity = capacity;
    c->layers = cfg->backbone.layers;
    c->kv_heads = cfg->backbone.kv_heads;
    c->head_dim = pan_backbone_head_dim(cfg);
    c->max_rounds = cfg->backbone.max_rounds;
    c->token_floats = (size_t)c->kv_heads * (size_t)c->head_dim;
    c->plane_floats = (size_t)capacity * c->token_floats;
    c->slot_floats = (size_t)c->layers * 2 * c->plane_floats;

    /* data (64-byte aligned) then masks, in one zeroed block */
    double want = (double)c->slot_floats * sizeof(float) * slots +
                  (double)capacity * slots;
    size_t data_bytes = c->slot_floats * sizeof(float) * (size_t)slots;
    size_t mask_bytes = (size_t)capacity * (size_t)slots;
    size_t table_n = (size_t)c->max_rounds + 2;
    if (want > (double)SIZE_MAX / 2) {
        free(c);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "kv cache: %d slots of %lld tokens need %.0f "
                             "bytes, too many",
                             slots, (long long)capacity, want);
    }
    c->block = calloc(1, data_bytes + mask_bytes + 64);
    c->slot = calloc((size_t)slots, sizeof *c->slot);
    c->tables = calloc((size_t)slots * table_n, sizeof *c->tables);
    if (!c->block || !c->slot || !c->tables) {
        pan_kv_cache_destroy(c);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "kv cache: cannot allocate %zu bytes for %d "
                             "slots of %lld tokens",
                             data_bytes + mask_bytes, slots,
                             (long long)capacity);
    }
    uintptr_t base = ((uintptr_t)c->block + 63) & ~(uintptr_t)63;
    c->data = (float *)base;
    c->mask = (uint8_t *)(base + data_bytes);
    for (int i = 0; i < slots; i++)
        c->slot[i].table = c->tables + (size_t)i * table_n;
    c->total_bytes = data_bytes + mask_bytes + sizeof *c +
                     (size_t)slots *
                         (sizeof *c->slot + table_n * sizeof *c->tables);
    *out = c;
    return PAN_OK;
}

void pan_kv_cache_destroy(pan_kv_cache *cache) {
    if (!cache) return;
    free(cache->block);
    free(cache->slot);
    free(cache->tables);
    free(cache);
}

int pan_kv_cache_slots(const pan_kv_cache *cache) { return cache->slots; }

int64_t pan_kv_cache_capacity(const pan_kv_cache *cache) {
    return cache->capacity;
}

size_t pan_kv_cache_bytes_per_slot(const pan_kv_cache *cache) {
    return cache->slot_floats * sizeof(float);
}

size_t pan_kv_cache_total_bytes(const pan_kv_cache *cache) {
    return cache->total_bytes;
}

const pan_model_config *pan_kv_cache_config(const pan_kv_cache *cache) {
    return &cache->cfg;
}

/* ---- introspection ------------------------------------------------------ */

int64_t pan_kv_cache_rounds(const pan_kv_cache *cache, int slot) {
    if (slot < 0 || slot >= cache->slots) return 0;
    return cache->slot[slot].rounds;
}

int pan_kv_cache_live_rounds(const pan_kv_cache *cache, int slot) {
    if (slot < 0 || slot >= cache->slots) return 0;
    return cache->slot[slot].n_live;
}

int64_t pan_kv_cache_live_tokens(const pan_kv_cache *cache, int slot) {
    if (slot < 0 || slot >= cache->slots) return 0;
    return cache->slot[slot].live_tokens;
}

int64_t pan_kv_cache_next_position(const pan_kv_cache *cache, int slot) {
    if (slot < 0 || slot >= cache->slots) return 0;
    return cache->slot[slot].next_position;
}

/* ---- reset / copy ------------------------------------------------------- */

void pan_kv_cache_reset(pan_kv_cache *cache, int slot) {
    if (!cache || slot < 0 || slot >= cache->slots) return;
    kv_slot *s = &cache->slot[slot];
    memset(slot_mask(cache, slot), 0, (size_t)cache->capacity);
    kv_round *table = s->table;
    *s = (kv_slot){.table = table};
}

bool pan_kv_cache_same_config(const pan_model_config *a,
                              const pan_model_config *b) {
    const pan_backbone_config *x = &a->backbone, *y = &b->backbone;
    return x->dim == y->dim && x->layers == y->layers &&
           x->heads == y->heads && x->kv_heads == y->kv_heads &&
           x->intermediate == y->intermediate &&
           x->rope_theta == y->rope_theta && x->norm_eps == y->norm_eps &&
           x->queries == y->queries && x->max_rounds == y->max_rounds &&
           a->tokenizer.vocab_size == b->tokenizer.vocab_size &&
           a->tokenizer.max_action_bytes == b->tokenizer.max_action_bytes &&
           pan_state_tokens(a) == pan_state_tokens(b);
}

pan_status pan_kv_cache_copy(pan_kv_cache *to, int dst,
                             const pan_kv_cache *from, int src) {
    const char *fn = "kv cache copy";
    if (!to || !from)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: caches must not be NULL", fn);
    pan_status st = check_slot(from, src, fn, -1);
    if (st == PAN_OK) st = check_slot(to, dst, fn, -1);
    if (st != PAN_OK) return st;
    if (!pan_kv_cache_same_config(&to->cfg, &from->cfg))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: the caches belong to different backbone "
                             "configurations (layers %d/%d, kv_heads %d/%d, "
                             "dim %d/%d, max_rounds %d/%d)",
                             fn, from->cfg.backbone.layers,
                             to->cfg.backbone.layers,
                             from->cfg.backbone.kv_heads,
                             to->cfg.backbone.kv_heads, from->cfg.backbone.dim,
                             to->cfg.backbone.dim,
                             from->cfg.backbone.max_rounds,
                             to->cfg.backbone.max_rounds);
    const kv_slot *s = &from->slot[src];
    kv_slot *d = &to->slot[dst];
    if (s->pending || d->pending)
        return pan_error_set(PAN_ERR_FAILED_PRECONDITION,
                             "%s: slot %d of the %s cache has a round in "
                             "progress",
                             fn, s->pending ? src : dst,
                             s->pending ? "source" : "destination");
    if (to == from && dst == src) return PAN_OK;
    if (s->live_tokens > to->capacity)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "%s: slot %d holds %lld live tokens, the "
                             "destination capacity is %lld",
                             fn, src, (long long)s->live_tokens,
                             (long long)to->capacity);
    /* a slot is always compact: its live tokens are [0, live_tokens) */
    size_t bytes = (size_t)s->live_tokens * from->token_floats * sizeof(float);
    for (int l = 0; l < from->layers; l++)
        for (int kv = 0; kv < 2; kv++)
            memcpy(plane(to, dst, l, kv), plane(from, src, l, kv), bytes);
    kv_round *table = d->table;
    *d = *s;
    d->table = table;
    memcpy(d->table, s->table, (size_t)s->n_live * sizeof *s->table);
    uint8_t *mask = slot_mask(to, dst);
    memset(mask, 1, (size_t)s->live_tokens);
    memset(mask + s->live_tokens, 0, (size_t)(to->capacity - s->live_tokens));
    return PAN_OK;
}

/* ---- rounds ------------------------------------------------------------- */

/* ---- snapshots ------------------------------------------------------------
 * Blob: kv_blob_header, n_live kv_round entries, then for every layer K
 * and V's live tokens (live_tokens * token_floats floats each). */

#define KV_BLOB_MAGIC 0x50414e4b56303031ull /* "PANKV001" */

typedef struct kv_blob_header {
    uint64_t magic;
    int64_t layers, token_floats, max_rounds;
    int64_t rounds, next_position, live_tokens, n_live;
} kv_blob_header;

static size_t blob_bytes(const pan_kv_cache *c, int64_t n_live,
                         int64_t live_tokens) {
    return sizeof(kv_blob_header) + (size_t)n_live * sizeof(kv_round) +
           (size_t)c->layers * 2 * (size_t)live_tokens * c->token_floats *
               sizeof(float);
}

size_t pan_kv_cache_save_bytes(const pan_kv_cache *cache, int slot) {
    if (!cache || slot < 0 || slot >= cache->slots) return 0;
    const kv_slot *s = &cache->slot[slot];
    return blob_bytes(cache, s->n_live, s->live_tokens);
}

pan_status pan_kv_cache_save(const pan_kv_cache *cache, int slot, void *blob) {
    const char *fn = "kv cache save";
    if (!cache || !blob)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: cache and blob must not be NULL", fn);
    pan_status st = check_slot(cache, slot, fn, -1);
    if (st != PAN_OK) return st;
    const kv_slot *s = &cache->slot[slot];
    if (s->pending)
        return pan_error_set(PAN_ERR_FAILED_PRECONDITION,
                             "%s: slot %d has a round in progress", fn, slot);
    kv_blob_header h = {KV_BLOB_MAGIC, cache->layers,
                        (int64_t)cache->token_floats, cache->max_rounds,
                        s->rounds, s->next_position, s->live_tokens,
                        s->n_live};
    unsigned char *p = blob;
    memcpy(p, &h, sizeof h);
    p += sizeof h;
    memcpy(p, s->table, (size_t)s->n_live * sizeof(kv_round));
    p += (size_t)s->n_live * sizeof(kv_round);
    size_t bytes = (size_t)s->live_tokens * cache->token_floats * sizeof(float);
    for (int l = 0; l < cache->layers; l++)
        for (int kv = 0; kv < 2; kv++, p += bytes)
            memcpy(p, plane(cache, slot, l, kv), bytes);
    return PAN_OK;
}

/* DATA_LOSS unless the blob of `bytes` bytes describes a history this
 * cache can hold: its config, counts within range, exactly its size, and
 * compact rounds in time order. */
static pan_status check_blob(const pan_kv_cache *c, const kv_blob_header *h,
                             const unsigned char *entries, size_t bytes) {
    const char *fn = "kv cache load";
#define BLOB_BAD(...) pan_error_set(PAN_ERR_DATA_LOSS, __VA_ARGS__)
    if (h->magic != KV_BLOB_MAGIC)
        return BLOB_BAD("%s: not a KV cache snapshot (magic)", fn);
    if (h->layers != c->layers || h->token_floats != (int64_t)c->token_floats ||
        h->max_rounds != c->max_rounds)
        return BLOB_BAD("%s: snapshot of another configuration (layers %lld, "
                        "K/V floats per token %lld, max_rounds %lld)",
                        fn, (long long)h->layers, (long long)h->token_floats,
                        (long long)h->max_rounds);
    if (h->n_live < 0 || h->n_live > c->max_rounds || h->live_tokens < 0 ||
        h->live_tokens > c->capacity || h->rounds < h->n_live ||
        h->next_position < h->live_tokens)
        return BLOB_BAD("%s: snapshot header out of range (%lld live rounds, "
                        "%lld live tokens, capacity %lld)",
                        fn, (long long)h->n_live, (long long)h->live_tokens,
                        (long long)c->capacity);
    size_t want = blob_bytes(c, h->n_live, h->live_tokens);
    if (bytes != want)
        return BLOB_BAD("%s: snapshot is %zu bytes, its header says %zu", fn,
                        bytes, want);
    int64_t at = 0, last = -1;
    for (int64_t i = 0; i < h->n_live; i++) {
        kv_round r;
        memcpy(&r, entries + (size_t)i * sizeof r, sizeof r);
        if (r.start != at || r.length < 1 || r.index <= last ||
            r.index >= h->rounds)
            return BLOB_BAD("%s: snapshot round table entry %lld is not "
                            "consistent", fn, (long long)i);
        at += r.length;
        last = r.index;
    }
    if (at != h->live_tokens)
        return BLOB_BAD("%s: snapshot rounds hold %lld tokens, header says "
                        "%lld", fn, (long long)at, (long long)h->live_tokens);
#undef BLOB_BAD
    return PAN_OK;
}

pan_status pan_kv_cache_load(pan_kv_cache *cache, int slot, const void *blob,
                             size_t bytes) {
    const char *fn = "kv cache load";
    if (!cache || !blob)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: cache and blob must not be NULL", fn);
    pan_status st = check_slot(cache, slot, fn, -1);
    if (st != PAN_OK) return st;
    kv_slot *s = &cache->slot[slot];
    if (s->pending)
        return pan_error_set(PAN_ERR_FAILED_PRECONDITION,
                             "%s: slot %d has a round in progress", fn, slot);
    kv_blob_header h;
    if (bytes < sizeof h)
        return pan_error_set(PAN_ERR_DATA_LOSS,
                             "%s: snapshot of %zu bytes is shorter than its "
                             "header", fn, bytes);
    memcpy(&h, blob, sizeof h);
    const unsigned char *p = (const unsigned char *)blob + sizeof h;
    st = check_blob(cache, &h, p, bytes);
    if (st != PAN_OK) return st;
    memcpy(s->table, p, (size_t)h.n_live * sizeof(kv_round));
    p += (size_t)h.n_live * sizeof(kv_round);
    size_t plane_bytes =
        (size_t)h.live_tokens * cache->token_floats * sizeof(float);
    for (int l = 0; l < cache->layers; l++)
        for (int kv = 0; kv < 2; kv++, p += plane_bytes)
            memcpy(plane(cache, slot, l, kv), p, plane_bytes);
    s->rounds = h.rounds;
    s->next_position = h.next_position;
    s->live_tokens = h.live_tokens;
    s->n_live = (int)h.n_live;
    s->res_tokens = 0;
    uint8_t *mask = slot_mask(cache, slot);
    memset(mask, 1, (size_t)h.live_tokens);
    memset(mask + h.live_tokens, 0, (size_t)(cache->capacity - h.live_tokens));
    return PAN_OK;
}

pan_status pan_kv_cache_check_round(const pan_kv_cache *cache, int slot,
                                    int64_t tokens, int env) {
    const char *fn = "kv cache begin_round";
    pan_status st = check_slot(cache, slot, fn, env);
    if (st != PAN_OK) return st;
    char who[48];
    if (env >= 0)
        snprintf(who, sizeof who, "env %d", env);
    else
        snprintf(who, sizeof who, "%s", fn);
    const kv_slot *s = &cache->slot[slot];
    if (tokens < 1)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: a round needs at least 1 token, got %lld",
                             who, (long long)tokens);
    if (s->pending)
        return pan_error_set(PAN_ERR_FAILED_PRECONDITION,
                             "%s: slot %d already has a round in progress",
                             who, slot);
    int k = evicted_entries(cache, s, s->rounds);
    int64_t live = s->live_tokens - entries_tokens(s, 1, 1 + k);
    if (live + tokens > cache->capacity)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "%s: round %lld of slot %d needs %lld tokens, "
                             "the cache holds %lld live tokens after eviction "
                             "and its capacity is %lld",
                             who, (long long)s->rounds, slot, (long long)tokens,
                             (long long)live, (long long)cache->capacity);
    return PAN_OK;
}

pan_status pan_kv_cache_begin_round(pan_kv_cache *cache, int slot,
                                    int64_t tokens, pan_kv_reservation *res) {
    if (!cache || !res)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "kv cache begin_round: 'cache' and 'res' must "
                             "not be NULL");
    pan_status st = pan_kv_cache_check_round(cache, slot, tokens, -1);
    if (st != PAN_OK) return st;
    kv_slot *s = &cache->slot[slot];
    compact(cache, slot, evicted_entries(cache, s, s->rounds));
    s->pending = true;
    s->res_tokens = tokens;
    memset(slot_mask(cache, slot) + s->live_tokens, 1, (size_t)tokens);
    res->start = s->live_tokens;
    res->position = s->next_position;
    res->kv_len = s->live_tokens + tokens;
    return PAN_OK;
}

void pan_kv_cache_commit_round(pan_kv_cache *cache, int slot) {
    if (!cache || slot < 0 || slot >= cache->slots) return;
    kv_slot *s = &cache->slot[slot];
    if (!s->pending) return;
    s->table[s->n_live++] = (kv_round){
        .index = s->rounds, .start = s->live_tokens, .length = s->res_tokens};
    s->live_tokens += s->res_tokens;
    s->next_position += s->res_tokens;
    s->rounds++;
    s->pending = false;
    s->res_tokens = 0;
}

void pan_kv_cache_abort_round(pan_kv_cache *cache, int slot) {
    if (!cache || slot < 0 || slot >= cache->slots) return;
    kv_slot *s = &cache->slot[slot];
    if (!s->pending) return;
    memset(slot_mask(cache, slot) + s->live_tokens, 0, (size_t)s->res_tokens);
    s->pending = false;
    s->res_tokens = 0;
}

/* ---- views -------------------------------------------------------------- */

static void plane_view(pan_kv_cache *c, int slot, int layer, int kv,
                       pan_tensor *t) {
    pan_tensor_init(t, plane(c, slot, layer, kv), PAN_DTYPE_F32, 4,
                    PAN_SHAPE(1, c->capacity, c->kv_heads, c->head_dim));
    t->name = kv ? "kv_cache.values" : "kv_cache.keys";
}

void pan_kv_cache_keys(pan_kv_cache *cache, int slot, int layer,
                       pan_tensor *k) {
    plane_view(cache, slot, layer, 0, k);
}

void pan_kv_cache_values(pan_kv_cache *cache, int slot, int layer,
                         pan_tensor *v) {
    plane_view(cache, slot, layer, 1, v);
}

void pan_kv_cache_key_mask(pan_kv_cache *cache, int slot, pan_tensor *mask) {
    pan_tensor_init(mask, slot_mask(cache, slot), PAN_DTYPE_U8, 2,
                    PAN_SHAPE(1, cache->capacity));
    mask->name = "kv_cache.key_mask";
}
