/* tests/worlds/test_tabletop_detect.c: the tabletop detector finds >= 99% of
 * visible objects (colour, shape, centre within 1 px) on clean frames:
 * frames of random episodes (every frame of every step, mid-motion ones at
 * fractional positions included) and random states at several sizes and
 * brightness levels down to TT_DETECT_GUARANTEED; its brightness estimate;
 * the darkness rule; the overlap rules (label "unit"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/worlds/test_tabletop_util.h"

#define MAX_FRAME (256 * 256 * 3)

static uint8_t frames[PAN_WORLD_MAX_FRAMES_PER_STEP * MAX_FRAME];
static uint8_t frame[MAX_FRAME], frame2[MAX_FRAME];

typedef struct tally {
    long objects, found, spurious, brightness_off;
} tally;

/* Compares detection of `f` with the truth `s`. */
static void score(pan_world *w, const uint8_t *f, const pan_world_state *s,
                  tally *t) {
    pan_world_state d;
    CHECK_STATUS(pan_world_detect(w, f, &d), PAN_OK);
    bool used[PAN_WORLD_MAX_OBJECTS] = {false};
    for (int i = 0; i < s->n_objects; i++) {
        const pan_object_state *o = &s->objects[i];
        if (!o->visible) continue;
        t->objects++;
        for (int j = 0; j < d.n_objects; j++) {
            const pan_object_state *p = &d.objects[j];
            float dx = p->x - o->x, dy = p->y - o->y;
            if (used[j] || p->colour != o->colour || p->shape != o->shape ||
                dx * dx + dy * dy > 1.0f)
                continue;
            used[j] = true;
            t->found++;
            break;
        }
    }
    for (int j = 0; j < d.n_objects; j++) t->spurious += !used[j];
    float db = d.brightness - s->brightness;
    t->brightness_off += db > 0.02f || db < -0.02f;
}

static void report(const char *what, const tally *t) {
    double rate = t->objects ? (double)t->found / (double)t->objects : 0.0;
    printf("detector %-28s %6ld objects, %.4f found, %ld spurious, %ld "
           "brightness off\n", what, t->objects, rate, t->spurious,
           t->brightness_off);
    CHECK(t->objects > 500);
    CHECK(rate >= 0.99);
    CHECK(t->spurious * 100 <= t->objects);
    CHECK(t->brightness_off == 0);
}

/* Every frame of random episodes; a moving object is expected at its
 * eased position (tt_ease) in the frames before the last. */
static void test_episodes(int width, int height, int k) {
    pan_world *w = tt_test_world(width, height, k);
    if (!w) return;
    const size_t bytes = (size_t)width * (size_t)height * 3;
    tally t = {0};
    uint64_t rng = 4242;
    for (uint64_t seed = 0; seed < 150; seed++) {
        CHECK_STATUS(pan_world_reset(w, seed, frame), PAN_OK);
        pan_world_state prev, next;
        CHECK_STATUS(pan_world_get_state(w, &prev), PAN_OK);
        score(w, frame, &prev, &t);
        for (int step = 0; step < 8; step++) {
            char text[PAN_WORLD_ACTION_MAX + 1];
            CHECK_STATUS(pan_world_sample_action(w, &rng, PAN_SPLIT_ANY, text, sizeof text), PAN_OK);
            CHECK_STATUS(pan_world_step(w, text, frames, NULL), PAN_OK);
            CHECK_STATUS(pan_world_get_state(w, &next), PAN_OK);
            for (int f = 0; f < k; f++) {
                pan_world_state at = next;
                float e = tt_ease(f + 1, k);
                for (int i = 0; i < prev.n_objects; i++) {
                    pan_object_state *o = &at.objects[i];
                    const pan_object_state *p = &prev.objects[i];
                    if (!p->visible || !o->visible || f == k - 1) continue;
                    o->x = p->x + (o->x - p->x) * e;
                    o->y = p->y + (o->y - p->y) * e;
                }
                score(w, frames + (size_t)f * bytes, &at, &t);
            }
            prev = next;
        }
    }
    char what[64];
    snprintf(what, sizeof what, "episodes %dx%d K=%d", width, height, k);
    report(what, &t);
    pan_world_destroy(w);
}

/* Random valid states: 2..10 objects at float positions, sizes 0.75..1.5
 * of the default, brightness on / dim / off / the guaranteed minimum. */
static void test_random_states(int width, int height) {
    pan_world *w = tt_test_world(width, height, 1);
    if (!w) return;
    tt_geometry g = tt_geometry_of(width, height);
    static const float levels[] = {1.0f, TT_BRIGHTNESS_DIM, TT_BRIGHTNESS_OFF,
                                   TT_DETECT_GUARANTEED};
    test_rng r = {width * 1000u + (uint64_t)height};
    tally t = {0};
    for (int n = 0; n < 600; n++) {
        pan_world_state s = tt_test_empty();
        s.brightness = levels[n % 4];
        int want = test_rng_int(&r, 2, 10);
        for (int tries = 0; tries < 400 && s.n_objects < want; tries++) {
            int pair = test_rng_int(&r, 0, TT_PAIRS - 1);
            if (tt_test_find(&s, pair / 3, pair % 3) >= 0) continue;
            float size = g.size * (1.125f + 0.375f * test_rng_uniform(&r));
            if (size < TT_MIN_SIZE) size = TT_MIN_SIZE;
            float x = g.x0 + size + (g.x1 - g.x0 - 2 * size) * 0.5f * (1 + test_rng_uniform(&r));
            float y = g.y0 + size + (g.y1 - g.y0 - 2 * size) * 0.5f * (1 + test_rng_uniform(&r));
            if (!tt_is_free(&s, x, y, size, -1) || !tt_inside_table(&g, x, y, size))
                continue;
            tt_test_put(&s, pair / 3, pair % 3, x, y, size);
        }
        CHECK_STATUS(pan_world_set_state(w, &s), PAN_OK);
        CHECK_STATUS(pan_world_render(w, frame), PAN_OK);
        score(w, frame, &s, &t);
    }
    char what[64];
    snprintf(what, sizeof what, "random states %dx%d", width, height);
    report(what, &t);
    pan_world_destroy(w);
}

/* Below TT_DETECT_MIN nothing is reported; the brightness still is. */
static void test_darkness(void) {
    pan_world *w = tt_test_world(64, 64, 1);
    if (!w) return;
    pan_world_state s = tt_test_empty(), d;
    tt_test_put(&s, PAN_COLOUR_YELLOW, PAN_SHAPE_SQUARE, 20, 20, 6);
    tt_test_put(&s, PAN_COLOUR_BLUE, PAN_SHAPE_CIRCLE, 44, 44, 6);
    const float dark[] = {0.0f, 0.02f, 0.04f};
    for (int i = 0; i < 3; i++) {
        s.brightness = dark[i];
        CHECK_STATUS(pan_world_set_state(w, &s), PAN_OK);
        CHECK_STATUS(pan_world_render(w, frame), PAN_OK);
        CHECK_STATUS(pan_world_detect(w, frame, &d), PAN_OK);
        CHECK(d.n_objects == 0);
        CHECK(d.brightness < TT_DETECT_MIN);
    }
    /* an all-black frame (a model's prediction) is dark, not an error */
    memset(frame, 0, 64 * 64 * 3);
    CHECK_STATUS(pan_world_detect(w, frame, &d), PAN_OK);
    CHECK(d.n_objects == 0 && d.brightness == 0.0f);
    pan_world_destroy(w);
}

/* Composites the objects of state b (everything that is not table or rim)
 * over the frame of state a: a prediction where objects overlap. */
static void composite(pan_world *w, const pan_world_state *a,
                      const pan_world_state *b, uint8_t *out) {
    CHECK_STATUS(pan_world_set_state(w, a), PAN_OK);
    CHECK_STATUS(pan_world_render(w, out), PAN_OK);
    CHECK_STATUS(pan_world_set_state(w, b), PAN_OK);
    CHECK_STATUS(pan_world_render(w, frame2), PAN_OK);
    pan_world_state empty = tt_test_empty();
    uint8_t bare[64 * 64 * 3];
    CHECK_STATUS(pan_world_set_state(w, &empty), PAN_OK);
    CHECK_STATUS(pan_world_render(w, bare), PAN_OK);
    for (int p = 0; p < 64 * 64; p++)
        if (memcmp(frame2 + 3 * p, bare + 3 * p, 3) != 0)
            memcpy(out + 3 * p, frame2 + 3 * p, 3);
}

static void test_overlaps(void) {
    pan_world *w = tt_test_world(64, 64, 1);
    if (!w) return;
    pan_world_state a = tt_test_empty(), b = tt_test_empty(), d;
    /* same colour: one object at the centroid of the union */
    tt_test_put(&a, PAN_COLOUR_RED, PAN_SHAPE_SQUARE, 20, 32, 6);
    tt_test_put(&b, PAN_COLOUR_RED, PAN_SHAPE_SQUARE, 28, 32, 6);
    composite(w, &a, &b, frame);
    CHECK_STATUS(pan_world_detect(w, frame, &d), PAN_OK);
    CHECK(d.n_objects == 1);
    CHECK(d.objects[0].colour == PAN_COLOUR_RED && d.objects[0].x == 24.0f &&
          d.objects[0].y == 32.0f && d.objects[0].size == 8.0f);
    /* different colours: the top one exact, the hidden one from its visible
     * part (shifted away from the top one) */
    a = tt_test_empty(), b = tt_test_empty();
    tt_test_put(&a, PAN_COLOUR_BLUE, PAN_SHAPE_SQUARE, 20, 32, 6);
    tt_test_put(&b, PAN_COLOUR_YELLOW, PAN_SHAPE_CIRCLE, 28, 32, 6);
    composite(w, &a, &b, frame);
    CHECK_STATUS(pan_world_detect(w, frame, &d), PAN_OK);
    CHECK(d.n_objects == 2);
    int blue = -1, yellow = -1;
    for (int i = 0; i < d.n_objects; i++) {
        if (d.objects[i].colour == PAN_COLOUR_BLUE) blue = i;
        if (d.objects[i].colour == PAN_COLOUR_YELLOW) yellow = i;
    }
    CHECK(blue >= 0 && yellow >= 0);
    if (blue >= 0 && yellow >= 0) {
        CHECK(d.objects[yellow].shape == PAN_SHAPE_CIRCLE);
        CHECK(d.objects[yellow].x > 27.0f && d.objects[yellow].x < 29.0f);
        CHECK(d.objects[blue].x < 20.0f);
    }
    /* noise smaller than half an object's half-extent squared is ignored */
    a = tt_test_empty();
    tt_test_put(&a, PAN_COLOUR_GREEN, PAN_SHAPE_TRIANGLE, 32, 32, 6);
    CHECK_STATUS(pan_world_set_state(w, &a), PAN_OK);
    CHECK_STATUS(pan_world_render(w, frame), PAN_OK);
    for (int y = 10; y < 13; y++)
        for (int x = 10; x < 13; x++)
            memcpy(frame + (y * 64 + x) * 3, tt_palette[PAN_COLOUR_PURPLE], 3);
    CHECK_STATUS(pan_world_detect(w, frame, &d), PAN_OK);
    CHECK(d.n_objects == 1 && d.objects[0].colour == PAN_COLOUR_GREEN &&
          d.objects[0].shape == PAN_SHAPE_TRIANGLE);
    pan_world_destroy(w);
}

int main(void) {
    test_episodes(64, 64, 4);
    test_episodes(32, 32, 4);
    test_episodes(100, 60, 3);
    test_episodes(128, 128, 2);
    test_random_states(64, 64);
    test_random_states(32, 32);
    test_random_states(96, 160);
    test_random_states(256, 256);
    test_darkness();
    test_overlaps();
    return test_exit_code("test_tabletop_detect");
}
