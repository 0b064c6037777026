/* env/server/session.c: the session table (server_internal.h): random
 * ids, an open-addressing hash table keyed by id, reference counts and
 * TTL reaping. The caller holds srv->lock around every call. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "env/server/server_internal.h"

static size_t slot_of(const pan_session_table *t, uint64_t id) {
    uint64_t h = id * 0x9E3779B97F4A7C15ull; /* ids are random already */
    return (size_t)(h >> 17) & (t->cap - 1);
}

pan_status pan_session_table_init(pan_session_table *t, int max_sessions) {
    memset(t, 0, sizeof *t);
    size_t cap = 16;
    while (cap < 2 * (size_t)max_sessions) cap *= 2;
    t->slots = calloc(cap, sizeof *t->slots);
    if (!t->slots)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "server: cannot "
                             "allocate a session table of %zu slots", cap);
    t->cap = cap;
    t->max_sessions = max_sessions;
    return PAN_OK;
}

void pan_session_table_free(pan_session_table *t) {
    for (size_t i = 0; i < t->cap && t->slots; i++) {
        pan_session *s = t->slots[i];
        if (!s) continue;
        t->slots[i] = NULL;
        s->closed = true;
        pan_session_unref(s);
    }
    free(t->slots);
    memset(t, 0, sizeof *t);
}

pan_session *pan_session_find(const pan_session_table *t, uint64_t id) {
    if (id == 0 || !t->slots) return NULL;
    for (size_t i = slot_of(t, id);; i = (i + 1) & (t->cap - 1)) {
        pan_session *s = t->slots[i];
        if (!s) return NULL;
        if (s->id == id) return s;
    }
}

pan_status pan_session_new_id(const pan_session_table *t, uint64_t *id) {
    for (int attempt = 0; attempt < 16; attempt++) {
        uint64_t v = 0;
        ssize_t n = getrandom(&v, sizeof v, 0);
        if (n != (ssize_t)sizeof v) {
            if (n < 0 && errno == EINTR) continue;
            return pan_error_set(PAN_ERR_INTERNAL, "server: getrandom failed "
                                 "(%s)", n < 0 ? strerror(errno) : "short");
        }
        if (v != 0 && !pan_session_find(t, v)) {
            *id = v;
            return PAN_OK;
        }
    }
    return pan_error_set(PAN_ERR_INTERNAL, "server: no fresh session id");
}

pan_status pan_session_insert(pan_session_table *t, pan_session *s) {
    if (t->count >= t->max_sessions)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "server: %d sessions "
                             "live, max_sessions is %d", t->count,
                             t->max_sessions);
    size_t i = slot_of(t, s->id);
    while (t->slots[i]) i = (i + 1) & (t->cap - 1);
    t->slots[i] = s;
    t->count++;
    s->refs++;
    return PAN_OK;
}

void pan_session_remove(pan_session_table *t, pan_session *s) {
    size_t i = slot_of(t, s->id);
    while (t->slots[i] && t->slots[i] != s) i = (i + 1) & (t->cap - 1);
    if (!t->slots[i]) return;
    t->slots[i] = NULL;
    t->count--;
    s->closed = true;
    /* Backward-shift deletion keeps every probe chain unbroken. */
    size_t hole = i;
    for (size_t j = (i + 1) & (t->cap - 1); t->slots[j];
         j = (j + 1) & (t->cap - 1)) {
        size_t home = slot_of(t, t->slots[j]->id);
        /* Move j into the hole when its home is not in (hole, j]. */
        bool between = hole <= j ? (home > hole && home <= j)
                                 : (home > hole || home <= j);
        if (!between) {
            t->slots[hole] = t->slots[j];
            t->slots[j] = NULL;
            hole = j;
        }
    }
}

int pan_session_reap(pan_session_table *t, double now, double ttl_s,
                     pan_session **out, int max) {
    int n = 0;
    for (size_t i = 0; i < t->cap && n < max;) {
        pan_session *s = t->slots[i];
        if (s && !s->busy && s->queued == 0 && now - s->last_seen > ttl_s) {
            pan_session_remove(t, s);
            out[n++] = s;
            continue; /* slot i may now hold a shifted session */
        }
        i++;
    }
    return n;
}

bool pan_session_unref(pan_session *s) {
    if (!s || --s->refs > 0) return false;
    pan_vec_env_destroy(s->env);
    free(s);
    return true;
}
