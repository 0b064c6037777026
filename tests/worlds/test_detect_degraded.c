/* tests/worlds/test_detect_degraded.c: the detectors on true frames
 * degraded the way a model degrades them (benchmarks/eval/eval_degrade.h):
 * the agreement at the "mild" and "moderate" presets meets the bounds
 * measured for docs/worlds.md (tabletop per light level), wrong frames
 * (an object 3 px off, missing, extra, recoloured; the lights or the camera
 * wrong) are never read as the truth and are read as what they show; the
 * degradation is deterministic and validates its arguments (label "unit"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchmarks/eval/eval_degrade.h"
#include "env/world.h"
#include "tests/test_util.h"

#define FRAMES 1200      /* true frames per measurement */
#define WRONG_FRAMES 300 /* true frames turned wrong, every kind each */

static double rate(long num, long den) { return den ? (double)num / (double)den : 0.0; }

static void print_tally(const char *what, const pan_detector_tally *t) {
    printf("  %-6s frames %5ld correct %.4f | objects %5ld within 1 px %.4f, 2 px %.4f, "
           "false %ld | brightness %.4f camera %.4f\n", what, t->frames,
           rate(t->frames_correct, t->frames), t->objects, rate(t->found_1px, t->objects),
           rate(t->found_2px, t->objects), t->false_detections,
           rate(t->brightness_ok, t->brightness_checked), rate(t->camera_ok, t->camera_checked));
}

/* Agreement of `world` at `preset` >= `all`, and every tabletop light
 * level >= `level`. */
static void check_agreement(const char *world, const char *preset, double all, double level) {
    pan_degrade d;
    CHECK_STATUS(pan_degrade_preset(preset, &d), PAN_OK);
    pan_detector_agreement a;
    CHECK_STATUS(pan_eval_detector_agreement(world, &d, FRAMES, 11, &a), PAN_OK);
    printf("%s %s: agreement %.4f\n", world, preset, a.agreement);
    print_tally("all", &a.all);
    CHECK(a.all.frames == FRAMES);
    CHECK(a.all.objects > FRAMES / 4);
    CHECK(a.agreement >= all);
    if (strcmp(world, "tabletop") == 0) {
        static const char *const names[PAN_EVAL_LEVELS] = {"on", "dim", "off"};
        for (int l = 0; l < PAN_EVAL_LEVELS; l++) {
            const pan_detector_tally *t = &a.by_level[l];
            print_tally(names[l], t);
            CHECK(t->frames > FRAMES / 5);
            CHECK(rate(t->frames_correct, t->frames) >= level);
        }
        CHECK(a.all.brightness_checked == FRAMES);
    } else {
        CHECK(a.all.camera_checked > FRAMES / 4);
    }
}

/* Wrong frames at `preset`: none read as the truth, >= `drawn` read as
 * what they show. */
static void check_wrong(const char *world, const char *preset, double drawn) {
    pan_degrade d;
    CHECK_STATUS(pan_degrade_preset(preset, &d), PAN_OK);
    pan_detector_wrong r;
    CHECK_STATUS(pan_eval_detector_wrong(world, &d, WRONG_FRAMES, 12, &r), PAN_OK);
    bool rooms = strcmp(world, "rooms") == 0;
    for (int k = 0; k < PAN_WRONG_KINDS; k++) {
        bool applies = rooms ? k != PAN_WRONG_LIGHTS : k != PAN_WRONG_CAMERA;
        printf("  wrong %-8s %-8s %-7s frames %4ld passed %ld as drawn %.4f\n", world, preset,
               pan_wrong_kind_name(k), r.frames[k], r.passed[k], rate(r.as_drawn[k], r.frames[k]));
        if (!applies) {
            CHECK(r.frames[k] == 0);
            continue;
        }
        CHECK(r.frames[k] >= WRONG_FRAMES / (rooms ? 4 : 2));
        CHECK(r.passed[k] == 0);
        CHECK(rate(r.as_drawn[k], r.frames[k]) >= drawn);
    }
}

static void test_degrade_frame(void) {
    enum { W = 64, H = 48 };
    static uint8_t a[W * H * 3], b[W * H * 3], orig[W * H * 3];
    for (size_t i = 0; i < sizeof orig; i++) orig[i] = (uint8_t)(i * 37 % 251);
    pan_degrade d;
    /* none: unchanged, no draws */
    CHECK_STATUS(pan_degrade_preset("none", &d), PAN_OK);
    memcpy(a, orig, sizeof a);
    uint64_t rng = 5;
    CHECK_STATUS(pan_degrade_frame(&d, &rng, W, H, a), PAN_OK);
    CHECK(memcmp(a, orig, sizeof a) == 0 && rng == 5);
    /* every preset: deterministic from the state, which advances */
    for (const char *const *name = pan_degrade_preset_names(); *name; name++) {
        CHECK_STATUS(pan_degrade_preset(*name, &d), PAN_OK);
        uint64_t r1 = 99, r2 = 99;
        memcpy(a, orig, sizeof a);
        memcpy(b, orig, sizeof b);
        CHECK_STATUS(pan_degrade_frame(&d, &r1, W, H, a), PAN_OK);
        CHECK_STATUS(pan_degrade_frame(&d, &r2, W, H, b), PAN_OK);
        CHECK(memcmp(a, b, sizeof a) == 0 && r1 == r2);
        if (strcmp(*name, "none") != 0) CHECK(memcmp(a, orig, sizeof a) != 0 && r1 != 99);
    }
    /* strengths are measured: moderate Gaussian noise of 8 levels on a flat
     * mid-grey frame has a standard deviation near 8 */
    d = (pan_degrade){.noise_kind = PAN_NOISE_GAUSSIAN, .noise = 8.0f};
    memset(a, 128, sizeof a);
    rng = 1;
    CHECK_STATUS(pan_degrade_frame(&d, &rng, W, H, a), PAN_OK);
    double sum = 0.0, sq = 0.0;
    for (size_t i = 0; i < sizeof a; i++) sum += a[i], sq += (double)a[i] * a[i];
    double mean = sum / sizeof a, sd = sqrt(sq / sizeof a - mean * mean);
    printf("gaussian 8: mean %.2f sd %.2f\n", mean, sd);
    CHECK(mean > 127.5 && mean < 128.5 && sd > 7.7 && sd < 8.3);
    /* errors */
    pan_error_clear();
    CHECK_STATUS(pan_degrade_preset("heavy", &d), PAN_ERR_NOT_FOUND);
    CHECK(strstr(pan_error_message(), "moderate") != NULL);
    d = (pan_degrade){.noise = 65.0f};
    CHECK_STATUS(pan_degrade_check(&d), PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "noise") != NULL);
    d = (pan_degrade){.blur = -1.0f};
    CHECK_STATUS(pan_degrade_frame(&d, &rng, W, H, a), PAN_ERR_INVALID_ARGUMENT);
    d = (pan_degrade){.noise_kind = 7};
    CHECK_STATUS(pan_degrade_check(&d), PAN_ERR_INVALID_ARGUMENT);
    d = (pan_degrade){0};
    CHECK_STATUS(pan_degrade_frame(&d, NULL, W, H, a), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_degrade_frame(&d, &rng, 0, H, a), PAN_ERR_INVALID_ARGUMENT);
    pan_detector_agreement ag;
    CHECK_STATUS(pan_eval_detector_agreement("kitchen", &d, 10, 1, &ag), PAN_ERR_NOT_FOUND);
    CHECK_STATUS(pan_eval_detector_agreement("rooms", &d, 0, 1, &ag), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_eval_detector_agreement("rooms", NULL, 10, 1, &ag), PAN_ERR_INVALID_ARGUMENT);
    CHECK(ag.all.frames == 0);
}

/* The same seed gives the same tallies. */
static void test_repeatable(void) {
    pan_degrade d;
    CHECK_STATUS(pan_degrade_preset("moderate", &d), PAN_OK);
    pan_detector_agreement a, b;
    CHECK_STATUS(pan_eval_detector_agreement("tabletop", &d, 200, 3, &a), PAN_OK);
    CHECK_STATUS(pan_eval_detector_agreement("tabletop", &d, 200, 3, &b), PAN_OK);
    CHECK(memcmp(&a.all, &b.all, sizeof a.all) == 0);
    CHECK(memcmp(a.by_level, b.by_level, sizeof a.by_level) == 0);
}

int main(void) {
    test_degrade_frame();
    test_repeatable();
    /* clean frames: exact */
    check_agreement("tabletop", "none", 1.0, 1.0);
    check_agreement("rooms", "none", 1.0, 1.0);
    /* bounds set just under the agreement measured over 6,000 frames
     * (docs/worlds.md): tabletop mild 100% at every level, moderate 100% /
     * 100% / 99.6% (on / dim / off); rooms 100% at both */
    check_agreement("tabletop", "mild", 0.999, 0.998);
    check_agreement("tabletop", "moderate", 0.995, 0.985);
    check_agreement("rooms", "mild", 0.999, 0.0);
    check_agreement("rooms", "moderate", 0.998, 0.0);
    for (int p = 0; p < 3; p++) {
        const char *preset = p == 0 ? "none" : p == 1 ? "mild" : "moderate";
        check_wrong("tabletop", preset, p == 0 ? 1.0 : 0.99);
        check_wrong("rooms", preset, p == 0 ? 1.0 : 0.99);
    }
    return test_exit_code("test_detect_degraded");
}
