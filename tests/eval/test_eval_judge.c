/* tests/eval/test_eval_judge.c: the judges of pan-eval on hand-built
 * scenes and frames: every branch of the 0-3 rubric (tabletop and rooms),
 * object matching, PSNR/SSIM, rooms registration, the clustered bootstrap,
 * and action groups. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "benchmarks/eval/eval.h"
#include "benchmarks/eval/eval_internal.h"
#include "benchmarks/eval/eval_judge.h"
#include "tests/test_util.h"

static pan_eval_scene scene(int n, const float (*xy)[2], float brightness) {
    pan_eval_scene s;
    memset(&s, 0, sizeof s);
    s.brightness = brightness;
    for (int i = 0; i < n; i++) {
        s.objects[i] = (pan_eval_object){.colour = i, .shape = i % 3, .x = xy[i][0], .y = xy[i][1]};
    }
    s.n = n;
    return s;
}

static int judge(const pan_eval_scene *tb, const pan_eval_scene *ta,
                 const pan_eval_scene *rb, const pan_eval_scene *ra) {
    return pan_eval_judge_step(false, tb, ta, rb, ra, 2.0f);
}

static void test_tabletop_rubric(void) {
    const float before[3][2] = {{10, 10}, {30, 30}, {50, 50}};
    const float after[3][2] = {{26, 10}, {30, 30}, {50, 50}}; /* object 0 right by 16 */
    pan_eval_scene tb = scene(3, before, 1), ta = scene(3, after, 1);
    /* 3: the reading equals the truth (within 2 px) */
    const float close[3][2] = {{27.5f, 11}, {30.5f, 30}, {50, 49}};
    pan_eval_scene r = scene(3, close, 1);
    CHECK(judge(&tb, &ta, &tb, &r) == 3);
    /* 2: right object, right direction, short of the target */
    const float short_[3][2] = {{20, 10}, {30, 30}, {50, 50}};
    r = scene(3, short_, 1);
    CHECK(judge(&tb, &ta, &tb, &r) == 2);
    /* 1: right object, wrong direction */
    const float wrong_dir[3][2] = {{10, 26}, {30, 30}, {50, 50}};
    r = scene(3, wrong_dir, 1);
    CHECK(judge(&tb, &ta, &tb, &r) == 1);
    /* 1: right object right way, but a bystander moved 3 px */
    const float bystander[3][2] = {{26, 10}, {33, 30}, {50, 50}};
    r = scene(3, bystander, 1);
    CHECK(judge(&tb, &ta, &tb, &r) == 1);
    /* 0: nothing changed when something should */
    CHECK(judge(&tb, &ta, &tb, &tb) == 0);
    /* 0: only the wrong object moved */
    const float wrong_obj[3][2] = {{10, 10}, {46, 30}, {50, 50}};
    r = scene(3, wrong_obj, 1);
    CHECK(judge(&tb, &ta, &tb, &r) == 0);
    /* extra object: never 3 */
    pan_eval_scene extra = scene(3, after, 1);
    extra.objects[3] = (pan_eval_object){.colour = 5, .shape = 2, .x = 40, .y = 12};
    extra.n = 4;
    CHECK(judge(&tb, &ta, &tb, &extra) < 3);
    /* a second reading of the same pair is an extra too */
    pan_eval_scene dup = scene(3, after, 1);
    dup.objects[3] = dup.objects[0];
    dup.objects[3].x += 20;
    dup.n = 4;
    CHECK(judge(&tb, &ta, &tb, &dup) < 3);
    /* a missing object: never 3 */
    pan_eval_scene missing = scene(2, after, 1);
    CHECK(judge(&tb, &ta, &tb, &missing) < 3);
    /* the tolerance boundary: 2.0 px passes, 2.1 px does not */
    const float at_tol[3][2] = {{28, 10}, {30, 30}, {50, 50}};
    const float over_tol[3][2] = {{28.1f, 10}, {30, 30}, {50, 50}};
    r = scene(3, at_tol, 1);
    CHECK(judge(&tb, &ta, &tb, &r) == 3);
    r = scene(3, over_tol, 1);
    CHECK(judge(&tb, &ta, &tb, &r) == 2);
    /* no true change, nothing changed in the reading but an earlier error
     * persists: 2; something changed: 0; all right: 3 */
    const float off[3][2] = {{14, 10}, {30, 30}, {50, 50}};
    pan_eval_scene rb = scene(3, off, 1);
    CHECK(judge(&tb, &tb, &rb, &rb) == 2);
    CHECK(judge(&tb, &tb, &tb, &r) == 0);
    CHECK(judge(&tb, &tb, &tb, &tb) == 3);
}

static void test_tabletop_environment_rubric(void) {
    const float xy[3][2] = {{10, 10}, {30, 30}, {50, 50}};
    pan_eval_scene lit = scene(3, xy, 1), dark = scene(3, xy, 0.25f);
    /* lights off */
    CHECK(judge(&lit, &dark, &lit, &dark) == 3);
    CHECK(judge(&lit, &dark, &lit, &lit) == 0);
    pan_eval_scene brighter = scene(3, xy, 0.25f), dim = scene(3, xy, 0.55f);
    CHECK(judge(&lit, &dark, &lit, &dim) == 2); /* right way, not far enough */
    (void)brighter;
    pan_eval_scene from_dim = scene(3, xy, 0.55f), to_lit = scene(3, xy, 1);
    CHECK(judge(&from_dim, &dark, &from_dim, &to_lit) == 1); /* wrong way */
    /* remove object 2 */
    pan_eval_scene removed = scene(2, xy, 1);
    CHECK(judge(&lit, &removed, &lit, &removed) == 3);
    CHECK(judge(&lit, &removed, &lit, &lit) == 0);
    /* appear: object 2 added */
    CHECK(judge(&removed, &lit, &removed, &lit) == 3);
    const float elsewhere[3][2] = {{10, 10}, {30, 30}, {20, 50}};
    pan_eval_scene placed_wrong = scene(3, elsewhere, 1);
    CHECK(judge(&removed, &lit, &removed, &placed_wrong) == 2);
}

static void test_rooms_rubric(void) {
    pan_eval_scene tb = {.has_camera = true, .camera_x = 8, .camera_y = 8};
    pan_eval_scene ta = tb;
    ta.camera_y = 5; /* north 3 */
    pan_eval_scene r = ta;
    CHECK(pan_eval_judge_step(true, &tb, &ta, &tb, &r, 2) == 3);
    r.camera_y = 6; /* north 2: right way, short */
    CHECK(pan_eval_judge_step(true, &tb, &ta, &tb, &r, 2) == 2);
    r.camera_y = 8;
    r.camera_x = 11; /* east */
    CHECK(pan_eval_judge_step(true, &tb, &ta, &tb, &r, 2) == 1);
    CHECK(pan_eval_judge_step(true, &tb, &ta, &tb, &tb, 2) == 0); /* did not move */
    r = ta;
    r.has_camera = false; /* unread */
    CHECK(pan_eval_judge_step(true, &tb, &ta, &tb, &r, 2) == 0);
    /* a turn: nothing should move */
    CHECK(pan_eval_judge_step(true, &tb, &tb, &tb, &tb, 2) == 3);
    CHECK(pan_eval_judge_step(true, &tb, &tb, &tb, &ta, 2) == 0);
}

static void test_match(void) {
    const float t[3][2] = {{10, 10}, {30, 30}, {50, 50}};
    const float rd[2][2] = {{11, 10}, {30, 34}};
    pan_eval_scene truth = scene(3, t, 1), read = scene(2, rd, 1);
    pan_eval_match m;
    pan_eval_match_scenes(&truth, &read, 2, 64, &m);
    CHECK(m.true_objects == 3 && m.read_objects == 2 && m.found == 2 && m.within == 1);
    CHECK(m.extra == 0);
    CHECK(fabs(m.error_sum - 5.0) < 1e-6);
    CHECK(fabs(m.error_missing - 32.0) < 1e-6);
}

static void test_frames(void) {
    int h = 32, w = 32;
    size_t n = (size_t)h * w * 3;
    uint8_t *a = malloc(n), *b = malloc(n);
    test_rng rng = {7};
    for (size_t i = 0; i < n; i++) a[i] = (uint8_t)(test_rng_next(&rng) >> 56);
    memcpy(b, a, n);
    CHECK(pan_eval_psnr(a, b, h, w) == 99.0);
    CHECK(fabs(pan_eval_ssim(a, b, h, w) - 1.0) < 1e-9);
    for (size_t i = 0; i < n; i++) b[i] = (uint8_t)(a[i] ^ 8); /* |d| = 8 everywhere */
    CHECK(fabs(pan_eval_psnr(a, b, h, w) - 10 * log10(255.0 * 255.0 / 64.0)) < 1e-9);
    double s = pan_eval_ssim(a, b, h, w);
    CHECK(s < 1.0 && s > 0.5);
    for (size_t i = 0; i < n; i++) b[i] = (uint8_t)(255 - a[i]);
    CHECK(pan_eval_ssim(a, b, h, w) < 0.0);
    free(a);
    free(b);
}

static void test_register(void) {
    pan_world_config wc = pan_world_config_default();
    pan_world *w = NULL, *judge = NULL;
    CHECK_STATUS(pan_world_create("rooms", &wc, &w), PAN_OK);
    CHECK_STATUS(pan_world_create("rooms", &wc, &judge), PAN_OK);
    size_t fb = (size_t)wc.width * wc.height * 3;
    uint8_t *frame = malloc(fb), *chunk = malloc(fb * wc.frames_per_step);
    int exact = 0, cases = 0, near_miss = 0;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        pan_world_state start, s;
        CHECK_STATUS(pan_world_reset(w, seed, frame), PAN_OK);
        CHECK_STATUS(pan_world_get_state(w, &start), PAN_OK);
        CHECK_STATUS(pan_world_step(w, "go east 3", chunk, NULL), PAN_OK);
        CHECK_STATUS(pan_world_get_state(w, &s), PAN_OK);
        uint8_t *last = malloc(fb);
        memcpy(last, chunk + fb * (wc.frames_per_step - 1), fb);
        bool found;
        int cx, cy;
        double rms;
        /* registered around the start (a 3-cell offset): still exact */
        CHECK_STATUS(pan_eval_register(judge, last, &start, &found, &cx, &cy, &rms), PAN_OK);
        cases++;
        if (found && cx == (int)s.camera_x && cy == (int)s.camera_y && rms == 0) exact++;
        /* the frame one cell off is a different view */
        pan_world_state moved;
        CHECK_STATUS(pan_world_step(w, "go south 1", chunk, NULL), PAN_OK);
        CHECK_STATUS(pan_world_get_state(w, &moved), PAN_OK);
        if (moved.camera_y != s.camera_y) {
            CHECK_STATUS(pan_eval_register(judge, last, &moved, &found, &cx, &cy, &rms), PAN_OK);
            if (found && cy == (int)moved.camera_y && cx == (int)moved.camera_x) near_miss++;
        }
        free(last);
    }
    CHECK(exact == cases);
    CHECK(near_miss == 0);
    /* noise is unread */
    test_rng rng = {3};
    for (size_t i = 0; i < fb; i++) frame[i] = (uint8_t)(test_rng_next(&rng) >> 56);
    pan_world_state s;
    CHECK_STATUS(pan_world_get_state(w, &s), PAN_OK);
    bool found = true;
    int cx, cy;
    double rms;
    CHECK_STATUS(pan_eval_register(judge, frame, &s, &found, &cx, &cy, &rms), PAN_OK);
    CHECK(!found && rms > PAN_EVAL_REGISTER_RMS);
    free(frame);
    free(chunk);
    pan_world_destroy(w);
    pan_world_destroy(judge);
}

static void test_stats(void) {
    pan_eval_acc a;
    pan_eval_acc_init(&a);
    for (int c = 0; c < 50; c++)
        for (int k = 0; k < 3; k++) CHECK_STATUS(pan_eval_acc_add(&a, c, c < 25 ? 1.0 : 0.0), PAN_OK);
    pan_eval_stat s = pan_eval_acc_stat(&a), s2 = pan_eval_acc_stat(&a);
    CHECK(s.n == 150 && s.clusters == 50 && fabs(s.mean - 0.5) < 1e-12);
    CHECK(s.lo < 0.5 && s.hi > 0.5 && s.lo > 0.25 && s.hi < 0.75);
    CHECK(s.lo == s2.lo && s.hi == s2.hi); /* deterministic */
    /* clustering widens the interval relative to 150 independent values */
    pan_eval_acc b;
    pan_eval_acc_init(&b);
    for (int i = 0; i < 150; i++) CHECK_STATUS(pan_eval_acc_add(&b, i, i % 2), PAN_OK);
    pan_eval_stat sb = pan_eval_acc_stat(&b);
    CHECK(sb.hi - sb.lo < s.hi - s.lo);
    pan_eval_acc_free(&a);
    pan_eval_acc_free(&b);
    pan_eval_acc_init(&a);
    s = pan_eval_acc_stat(&a);
    CHECK(s.n == 0 && isnan(s.mean) && isnan(s.lo));
    double v[5] = {5, 1, 4, 2, 3};
    CHECK(pan_eval_median(v, 5) == 3);
}

static void test_groups(void) {
    const struct { bool rooms; const char *canon; pan_eval_group g; } cases[] = {
        {false, "move red circle left 3", PAN_EVAL_GROUP_DIRECTION},
        {false, "move red circle all the way left", PAN_EVAL_GROUP_DIRECTION},
        {false, "move red circle to top left corner", PAN_EVAL_GROUP_PLACE},
        {false, "move red circle next to green triangle", PAN_EVAL_GROUP_RELATION},
        {false, "move red circle left of green triangle", PAN_EVAL_GROUP_RELATION},
        {false, "move red circle below green triangle", PAN_EVAL_GROUP_RELATION},
        {false, "lights off", PAN_EVAL_GROUP_LIGHTS},
        {false, "add blue square at centre", PAN_EVAL_GROUP_APPEAR},
        {false, "remove green triangle", PAN_EVAL_GROUP_REMOVE},
        {false, "wait", PAN_EVAL_GROUP_WAIT},
        {true, "go north 3", PAN_EVAL_GROUP_MOVE},
        {true, "move forward 2", PAN_EVAL_GROUP_MOVE},
        {true, "turn around", PAN_EVAL_GROUP_TURN},
        {true, "face west", PAN_EVAL_GROUP_TURN},
        {true, "wait", PAN_EVAL_GROUP_WAIT}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pan_action_result r = {.understood = true};
        snprintf(r.canonical, sizeof r.canonical, "%s", cases[i].canon);
        if (eval_action_group(cases[i].rooms, &r) != cases[i].g) {
            fprintf(stderr, "group of '%s': %s\n", cases[i].canon,
                    pan_eval_group_name(eval_action_group(cases[i].rooms, &r)));
            CHECK(!"action group");
        }
    }
}

int main(void) {
    test_tabletop_rubric();
    test_tabletop_environment_rubric();
    test_rooms_rubric();
    test_match();
    test_frames();
    test_register();
    test_stats();
    test_groups();
    return test_exit_code("test_eval_judge");
}
