/* tests/test_threadpool.c: the persistent pool (core/threadpool.h): every
 * index visited exactly once for many n/grain/thread counts, ranges as the
 * contract describes, nested loops run serially without deadlock,
 * concurrent callers, creation errors and destroy (label "unit").
 * A deadlock shows up as the ctest timeout. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/threadpool.h"
#include "tests/test_util.h"

#define MAX_RANGES 64

typedef struct visit_ctx {
    atomic_int *hits;   /* (n) */
    atomic_int calls;
    int64_t begin[MAX_RANGES], end[MAX_RANGES]; /* ranges in call order */
    pthread_t thread[MAX_RANGES];
} visit_ctx;

static void visit(void *arg, int64_t begin, int64_t end) {
    visit_ctx *v = arg;
    int call = atomic_fetch_add(&v->calls, 1);
    if (call < MAX_RANGES) {
        v->begin[call] = begin;
        v->end[call] = end;
        v->thread[call] = pthread_self();
    }
    for (int64_t i = begin; i < end; i++) atomic_fetch_add(&v->hits[i], 1);
}

/* Runs one loop and checks it against the contract; returns 0 if fine. */
static int check_loop(pan_threadpool *pool, int64_t n, int64_t grain) {
    int threads = pan_threadpool_size(pool);
    visit_ctx v = {0};
    v.hits = calloc((size_t)(n > 0 ? n : 1), sizeof *v.hits);
    atomic_init(&v.calls, 0);
    pan_threadpool_for(pool, n, grain, visit, &v);
    int bad = 0;
    for (int64_t i = 0; i < n; i++)
        if (atomic_load(&v.hits[i]) != 1) bad = 1;
    int calls = atomic_load(&v.calls);
    int64_t g = grain < 1 ? 1 : grain;
    int64_t max_calls = n <= 0 ? 0 : (n + g - 1) / g;
    if (max_calls > threads) max_calls = threads;
    if (calls > max_calls || (n > 0 && calls < 1)) bad = 1;
    if (bad)
        fprintf(stderr, "  loop n=%lld grain=%lld threads=%d: %d calls, "
                "expected 1..%lld, each index once\n",
                (long long)n, (long long)grain, threads, calls,
                (long long)max_calls);
    for (int c = 0; c < calls && c < MAX_RANGES; c++) {
        int64_t size = v.end[c] - v.begin[c];
        /* "contiguous ranges of at least `grain` items" (all of n if less) */
        if (size < 1 || size < (g < n ? g : n)) {
            fprintf(stderr, "  loop n=%lld grain=%lld threads=%d: range "
                    "[%lld, %lld) has fewer than grain items\n",
                    (long long)n, (long long)grain, threads,
                    (long long)v.begin[c], (long long)v.end[c]);
            bad = 1;
        }
    }
    free(v.hits);
    return bad;
}

static void test_every_index_once(void) {
    static const int threads[] = {1, 2, 3, 4, 8};
    static const int64_t sizes[] = {0, 1, 2, 3, 7, 16, 100, 1000, 10007};
    static const int64_t grains[] = {0, 1, 3, 64, 1000, 100000};
    for (size_t t = 0; t < sizeof threads / sizeof *threads; t++) {
        pan_threadpool *pool = NULL;
        CHECK_STATUS(pan_threadpool_create(&pool, threads[t]), PAN_OK);
        if (!pool) continue;
        CHECK(pan_threadpool_size(pool) == threads[t]);
        for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
            for (size_t g = 0; g < sizeof grains / sizeof *grains; g++)
                for (int rep = 0; rep < 3; rep++)
                    CHECK(check_loop(pool, sizes[i], grains[g]) == 0);
        pan_threadpool_destroy(pool);
    }
    /* NULL pool: serial, one call */
    CHECK(check_loop(NULL, 1000, 1) == 0);
    CHECK(pan_threadpool_size(NULL) == 1);
}

static void test_split_is_deterministic_and_parallel(void) {
    pan_threadpool *pool = NULL;
    CHECK_STATUS(pan_threadpool_create(&pool, 2), PAN_OK);
    if (!pool) return;
    atomic_int hits[1000];
    visit_ctx first = {.hits = hits}, second = {.hits = hits};
    for (int i = 0; i < 1000; i++) atomic_init(&hits[i], 0);
    pan_threadpool_for(pool, 1000, 1, visit, &first);
    pan_threadpool_for(pool, 1000, 1, visit, &second);
    CHECK(atomic_load(&first.calls) == 2 && atomic_load(&second.calls) == 2);
    /* the same ranges both times, whatever the order they ran in */
    int64_t lo1 = first.begin[0] < first.begin[1] ? 0 : 1;
    int64_t lo2 = second.begin[0] < second.begin[1] ? 0 : 1;
    CHECK(first.begin[lo1] == second.begin[lo2] &&
          first.end[lo1] == second.end[lo2]);
    CHECK(first.begin[1 - lo1] == second.begin[1 - lo2] &&
          first.end[1 - lo1] == second.end[1 - lo2]);
    /* the two ranges really ran on two threads */
    CHECK(!pthread_equal(first.thread[0], first.thread[1]));
    for (int i = 0; i < 1000; i++) CHECK(atomic_load(&hits[i]) == 2);
    pan_threadpool_destroy(pool);
}

/* ---- nesting ---- */

typedef struct nested_ctx {
    pan_threadpool *pool;
    atomic_int *hits; /* (outer * inner) */
    int64_t inner;
    atomic_int not_serial; /* inner loops split or run on another thread */
} nested_ctx;

typedef struct inner_ctx {
    nested_ctx *outer;
    int64_t row;
    pthread_t caller; /* the thread running the outer range */
} inner_ctx;

static void inner_body(void *arg, int64_t begin, int64_t end) {
    inner_ctx *c = arg;
    if (begin != 0 || end != c->outer->inner ||
        !pthread_equal(pthread_self(), c->caller))
        atomic_store(&c->outer->not_serial, 1);
    for (int64_t j = begin; j < end; j++)
        atomic_fetch_add(&c->outer->hits[c->row * c->outer->inner + j], 1);
}

static void outer_body(void *arg, int64_t begin, int64_t end) {
    nested_ctx *n = arg;
    for (int64_t row = begin; row < end; row++) {
        inner_ctx c = {n, row, pthread_self()};
        pan_threadpool_for(n->pool, n->inner, 1, inner_body, &c);
    }
}

static void test_nested(void) {
    for (int threads = 1; threads <= 4; threads++) {
        pan_threadpool *pool = NULL;
        CHECK_STATUS(pan_threadpool_create(&pool, threads), PAN_OK);
        if (!pool) continue;
        enum { OUTER = 37, INNER = 53 };
        atomic_int hits[OUTER * INNER];
        for (int rep = 0; rep < 20; rep++) {
            for (int i = 0; i < OUTER * INNER; i++) atomic_init(&hits[i], 0);
            nested_ctx n = {.pool = pool, .hits = hits, .inner = INNER};
            atomic_init(&n.not_serial, 0);
            pan_threadpool_for(pool, OUTER, 1, outer_body, &n);
            int bad = 0;
            for (int i = 0; i < OUTER * INNER; i++)
                if (atomic_load(&hits[i]) != 1) bad = 1;
            CHECK(!bad);
            CHECK(atomic_load(&n.not_serial) == 0); /* one call, same thread */
        }
        pan_threadpool_destroy(pool);
    }
}

/* ---- two threads calling the same pool ---- */

typedef struct caller_ctx {
    pan_threadpool *pool;
    int failures;
} caller_ctx;

static void *caller_main(void *arg) {
    caller_ctx *c = arg;
    for (int rep = 0; rep < 300; rep++)
        c->failures += check_loop(c->pool, 1 + rep * 7 % 1001, 1 + rep % 5);
    return NULL;
}

static void test_concurrent_callers(void) {
    pan_threadpool *pool = NULL;
    CHECK_STATUS(pan_threadpool_create(&pool, 3), PAN_OK);
    if (!pool) return;
    caller_ctx a = {pool, 0}, b = {pool, 0};
    pthread_t ta, tb;
    CHECK(pthread_create(&ta, NULL, caller_main, &a) == 0);
    CHECK(pthread_create(&tb, NULL, caller_main, &b) == 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CHECK(a.failures == 0 && b.failures == 0);
    pan_threadpool_destroy(pool);
}

/* ---- creation, defaults, destroy ---- */

static void test_create_and_destroy(void) {
    pan_threadpool *sentinel = (pan_threadpool *)&sentinel;
    static const int bad[] = {0, -1, PAN_THREADPOOL_MAX_THREADS + 1};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        pan_threadpool *pool = sentinel;
        pan_error_clear();
        CHECK_STATUS(pan_threadpool_create(&pool, bad[i]),
                     PAN_ERR_INVALID_ARGUMENT);
        CHECK(pan_error_message()[0] != '\0');
        CHECK(pool == sentinel); /* untouched */
    }
    for (int rep = 0; rep < 20; rep++) { /* create/destroy with no loop */
        pan_threadpool *pool = NULL;
        CHECK_STATUS(pan_threadpool_create(&pool, 1 + rep % 4), PAN_OK);
        pan_threadpool_destroy(pool);
    }
    for (int rep = 0; rep < 20; rep++) { /* destroy right after a loop */
        pan_threadpool *pool = NULL;
        CHECK_STATUS(pan_threadpool_create(&pool, 2), PAN_OK);
        CHECK(check_loop(pool, 64, 1) == 0);
        pan_threadpool_destroy(pool);
    }
    pan_threadpool_destroy(NULL);

    setenv("PAN_NUM_THREADS", "3", 1);
    CHECK(pan_threadpool_default_threads() == 3);
    setenv("PAN_NUM_THREADS", "zero", 1);
    int fallback = pan_threadpool_default_threads();
    CHECK(fallback >= 1 && fallback <= PAN_THREADPOOL_MAX_THREADS);
    setenv("PAN_NUM_THREADS", "100000", 1);
    CHECK(pan_threadpool_default_threads() == fallback);
    unsetenv("PAN_NUM_THREADS");
    CHECK(pan_threadpool_default_threads() == fallback);
}

int main(void) {
    test_every_index_once();
    test_split_is_deterministic_and_parallel();
    test_nested();
    test_concurrent_callers();
    test_create_and_destroy();
    return test_exit_code("test_threadpool");
}
