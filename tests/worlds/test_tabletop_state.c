/* tests/worlds/test_tabletop_state.c: tabletop reset, determinism (same seed
 * and actions give byte-identical frames; different seeds differ), fork /
 * restore through get/set_state, set_state validation, the state vector,
 * and bad arguments that must fail and change nothing (label "unit"). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tests/worlds/test_tabletop_util.h"

#define W 64
#define H 64
#define K 4
#define FRAME (W * H * 3)
#define STEPS 48

static uint8_t frames_a[STEPS * K * FRAME], frames_b[STEPS * K * FRAME];
static uint8_t frame[FRAME], frame2[FRAME];

static void test_reset(void) {
    pan_world *w = tt_test_world(W, H, K);
    if (!w) return;
    tt_geometry g = tt_geometry_of(W, H);
    int counts[PAN_WORLD_MAX_OBJECTS + 1] = {0}, bad = 0;
    for (uint64_t seed = 0; seed < 2000; seed++) {
        CHECK_STATUS(pan_world_reset(w, seed, frame), PAN_OK);
        pan_world_state s;
        CHECK_STATUS(pan_world_get_state(w, &s), PAN_OK);
        counts[s.n_objects]++;
        bad += s.seed != seed || s.steps != 0 || s.brightness != 1.0f ||
               !tt_test_valid_layout(&g, &s);
        for (int i = 0; i < s.n_objects; i++) {
            bad += !s.objects[i].visible || s.objects[i].size != g.size;
            for (int j = 0; j < i; j++)
                bad += s.objects[i].colour == s.objects[j].colour &&
                       s.objects[i].shape == s.objects[j].shape;
        }
    }
    CHECK(bad == 0);
    for (int n = 0; n <= PAN_WORLD_MAX_OBJECTS; n++)
        CHECK((n >= 2 && n <= 5) ? counts[n] > 100 : counts[n] == 0);
    pan_world_destroy(w);
}

/* Runs STEPS sampled actions from `seed` into `out`; the action stream
 * depends only on `action_seed`. */
static void run(pan_world *w, uint64_t seed, uint64_t action_seed, uint8_t *out) {
    uint64_t rng = action_seed;
    CHECK_STATUS(pan_world_reset(w, seed, out), PAN_OK);
    for (int t = 0; t < STEPS; t++) {
        char text[PAN_WORLD_ACTION_MAX + 1];
        CHECK_STATUS(pan_world_sample_action(w, &rng, PAN_SPLIT_ANY, text, sizeof text), PAN_OK);
        CHECK_STATUS(pan_world_step(w, text, out + (size_t)t * K * FRAME, NULL), PAN_OK);
    }
}

static void test_determinism(void) {
    pan_world *a = tt_test_world(W, H, K), *b = tt_test_world(W, H, K);
    if (!a || !b) return;
    for (uint64_t seed = 1; seed < 6; seed++) {
        run(a, seed, 77, frames_a);
        run(b, seed, 77, frames_b);
        CHECK(memcmp(frames_a, frames_b, sizeof frames_a) == 0);
        pan_world_state sa, sb;
        CHECK_STATUS(pan_world_get_state(a, &sa), PAN_OK);
        CHECK_STATUS(pan_world_get_state(b, &sb), PAN_OK);
        CHECK(tt_test_same_state(&sa, &sb));
    }
    /* different seeds give different first frames */
    int differ = 0;
    for (uint64_t seed = 0; seed < 50; seed++) {
        CHECK_STATUS(pan_world_reset(a, seed, frame), PAN_OK);
        CHECK_STATUS(pan_world_reset(b, seed + 1000, frame2), PAN_OK);
        differ += memcmp(frame, frame2, FRAME) != 0;
    }
    CHECK(differ == 50);
    pan_world_destroy(a);
    pan_world_destroy(b);
}

/* Fork: save a state mid-episode, keep going, restore, replay the same
 * actions: identical frames; restoring into a fresh world too. */
static void test_fork_restore(void) {
    pan_world *w = tt_test_world(W, H, K), *fresh = NULL;
    pan_world_config c = {W, H, K};
    CHECK_STATUS(pan_world_create("tabletop", &c, &fresh), PAN_OK);
    if (!w || !fresh) return;
    uint64_t rng = 5;
    char texts[STEPS][PAN_WORLD_ACTION_MAX + 1];
    CHECK_STATUS(pan_world_reset(w, 9, frame), PAN_OK);
    for (int t = 0; t < 10; t++) {
        CHECK_STATUS(pan_world_sample_action(w, &rng, PAN_SPLIT_ANY, texts[0], sizeof texts[0]), PAN_OK);
        CHECK_STATUS(pan_world_step(w, texts[0], frames_a, NULL), PAN_OK);
    }
    pan_world_state fork;
    CHECK_STATUS(pan_world_get_state(w, &fork), PAN_OK);
    for (int t = 0; t < 20; t++) {
        CHECK_STATUS(pan_world_sample_action(w, &rng, PAN_SPLIT_ANY, texts[t], sizeof texts[t]), PAN_OK);
        CHECK_STATUS(pan_world_step(w, texts[t], frames_a + (size_t)t * K * FRAME, NULL), PAN_OK);
    }
    pan_world_state end_a, end_b;
    CHECK_STATUS(pan_world_get_state(w, &end_a), PAN_OK);
    pan_world *targets[2] = {w, fresh};
    for (int k = 0; k < 2; k++) {
        CHECK_STATUS(pan_world_set_state(targets[k], &fork), PAN_OK);
        pan_world_state back;
        CHECK_STATUS(pan_world_get_state(targets[k], &back), PAN_OK);
        CHECK(tt_test_same_state(&fork, &back));
        for (int t = 0; t < 20; t++)
            CHECK_STATUS(pan_world_step(targets[k], texts[t], frames_b + (size_t)t * K * FRAME, NULL), PAN_OK);
        CHECK(memcmp(frames_a, frames_b, (size_t)20 * K * FRAME) == 0);
        CHECK_STATUS(pan_world_get_state(targets[k], &end_b), PAN_OK);
        CHECK(tt_test_same_state(&end_a, &end_b));
    }
    pan_world_destroy(w);
    pan_world_destroy(fresh);
}

/* Each bad state is rejected with a message and the world stays as it
 * was (state and rendered frame). */
static void test_set_state_validation(void) {
    pan_world *w = tt_test_world(W, H, K);
    if (!w) return;
    pan_world_state good = tt_test_empty();
    tt_test_put(&good, PAN_COLOUR_RED, PAN_SHAPE_CIRCLE, 20, 20, 6);
    tt_test_put(&good, PAN_COLOUR_BLUE, PAN_SHAPE_SQUARE, 40, 40, 6);
    CHECK_STATUS(pan_world_set_state(w, &good), PAN_OK);
    pan_world_state before;
    CHECK_STATUS(pan_world_get_state(w, &before), PAN_OK);
    CHECK_STATUS(pan_world_render(w, frame), PAN_OK);

    pan_world_state bad[14];
    for (int i = 0; i < 14; i++) bad[i] = good;
    bad[0].n_objects = PAN_WORLD_MAX_OBJECTS + 1;
    bad[1].n_objects = -1;
    bad[2].objects[0].colour = PAN_COLOUR_COUNT;
    bad[3].objects[1].shape = -1;
    bad[4].objects[0].x = NAN;
    bad[5].objects[0].x = 5.0f;                   /* into the rim */
    bad[6].objects[1].y = 57.0f;                  /* bottom edge at 63 */
    bad[7].objects[1].x = 30.0f, bad[7].objects[1].y = 30.0f; /* overlap */
    bad[8].objects[1].colour = PAN_COLOUR_RED;    /* two red circles */
    bad[8].objects[1].shape = PAN_SHAPE_CIRCLE;
    bad[9].brightness = 1.5f;
    bad[10].brightness = NAN;
    bad[11].objects[0].size = 2.0f;
    bad[12].objects[0].size = INFINITY;
    bad[13].steps = -3;
    for (int i = 0; i < 14; i++) {
        pan_error_clear();
        CHECK_STATUS(pan_world_set_state(w, &bad[i]), PAN_ERR_INVALID_ARGUMENT);
        CHECK(strstr(pan_error_message(), "tabletop set_state") != NULL);
        pan_world_state now;
        CHECK_STATUS(pan_world_get_state(w, &now), PAN_OK);
        CHECK(tt_test_same_state(&before, &now));
        CHECK_STATUS(pan_world_render(w, frame2), PAN_OK);
        CHECK(memcmp(frame, frame2, FRAME) == 0);
    }
    /* touching (1 px apart) is valid; hidden objects may overlap anything */
    pan_world_state ok = good;
    ok.objects[1].x = 33.0f, ok.objects[1].y = 20.0f;
    CHECK_STATUS(pan_world_set_state(w, &ok), PAN_OK);
    ok.objects[1].x = 22.0f, ok.objects[1].visible = false;
    CHECK_STATUS(pan_world_set_state(w, &ok), PAN_OK);
    ok.n_objects = 0;
    CHECK_STATUS(pan_world_set_state(w, &ok), PAN_OK);
    pan_world_destroy(w);
}

static void test_state_vector(void) {
    pan_world *w = tt_test_world(W, H, K);
    if (!w) return;
    CHECK(pan_world_state_vector(w, NULL, NULL) == 73);
    pan_world_state s = tt_test_empty();
    tt_test_put(&s, PAN_COLOUR_BLUE, PAN_SHAPE_TRIANGLE, 16, 48, 6);
    tt_test_put(&s, PAN_COLOUR_RED, PAN_SHAPE_SQUARE, 40, 20, 6);
    s.objects[1].visible = false;
    s.brightness = 0.55f;
    float v[73];
    CHECK(pan_world_state_vector(w, &s, v) == 73);
    int p = (PAN_COLOUR_BLUE * 3 + PAN_SHAPE_TRIANGLE) * 4;
    CHECK(v[p] == 1.0f && v[p + 1] == 0.25f && v[p + 2] == 0.75f && v[p + 3] == 0.75f);
    int zeros = 0;
    for (int i = 0; i < 72; i++) zeros += (i < p || i >= p + 4) && v[i] == 0.0f;
    CHECK(zeros == 68);
    CHECK(v[72] == 0.55f);
    pan_world_destroy(w);
}

static void test_bad_arguments(void) {
    pan_world_config c = {W, H, K};
    pan_world *w = NULL;
    CHECK_STATUS(pan_world_create("tabletop", &c, &w), PAN_OK);
    if (!w) return;
    uint8_t frames[K * FRAME];
    pan_action_result r;
    char buf[PAN_WORLD_ACTION_MAX + 1];
    uint64_t rng = 1;
    /* never reset */
    CHECK_STATUS(pan_world_step(w, "wait", frames, &r), PAN_ERR_FAILED_PRECONDITION);
    CHECK_STATUS(pan_world_render(w, frame), PAN_ERR_FAILED_PRECONDITION);
    CHECK_STATUS(pan_world_sample_action(w, &rng, PAN_SPLIT_TRAIN, buf, sizeof buf),
                 PAN_ERR_FAILED_PRECONDITION);
    CHECK_STATUS(pan_world_reset(w, 3, frame), PAN_OK);
    pan_world_state before, after;
    CHECK_STATUS(pan_world_get_state(w, &before), PAN_OK);
    /* NULLs and over-long text */
    char long_text[PAN_WORLD_ACTION_MAX + 50];
    memset(long_text, 'a', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    CHECK_STATUS(pan_world_step(NULL, "wait", frames, &r), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_step(w, NULL, frames, &r), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_step(w, "wait", NULL, &r), PAN_ERR_INVALID_ARGUMENT);
    pan_error_clear();
    CHECK_STATUS(pan_world_step(w, long_text, frames, &r), PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "longer") != NULL);
    CHECK_STATUS(pan_world_parse(w, long_text, &r), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_parse(w, "wait", NULL), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_render(w, NULL), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_get_state(w, NULL), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_set_state(w, NULL), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_sample_action(w, NULL, PAN_SPLIT_TRAIN, buf, sizeof buf),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_sample_action(w, &rng, PAN_SPLIT_TRAIN, buf, 10),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_sample_action(w, &rng, (pan_split)7, buf, sizeof buf),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_detect(w, NULL, &after), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_detect(w, frame, NULL), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_reset(w, 1, NULL), PAN_ERR_INVALID_ARGUMENT);
    CHECK(rng == 1);
    CHECK_STATUS(pan_world_get_state(w, &after), PAN_OK);
    CHECK(tt_test_same_state(&before, &after));
    /* exactly the limit is fine (and not understood) */
    long_text[PAN_WORLD_ACTION_MAX] = '\0';
    CHECK_STATUS(pan_world_step(w, long_text, frames, &r), PAN_OK);
    CHECK(!r.understood);
    /* bad configs */
    pan_world *other = NULL;
    pan_world_config small = {16, 64, 4}, many = {64, 64, 17};
    CHECK_STATUS(pan_world_create("tabletop", &small, &other), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_create("tabletop", &many, &other), PAN_ERR_INVALID_ARGUMENT);
    CHECK(other == NULL);
    pan_world_destroy(w);
}

int main(void) {
    test_reset();
    test_determinism();
    test_fork_restore();
    test_set_state_validation();
    test_state_vector();
    test_bad_arguments();
    return test_exit_code("test_tabletop_state");
}
