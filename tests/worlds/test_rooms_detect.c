/* tests/worlds/test_rooms_detect.c: the rooms detector reads the visible
 * landmarks back from rendered frames: over many seeds, camera positions
 * and frame sizes, >= 99% of the fully visible landmarks are found with the
 * right colour and shape within 1 pixel of the true centre (world cells
 * converted to frame pixels: u = (x - camera_x) * 4 + W / 2), with no
 * false detections, and the camera estimate matches. Also mid-motion frames
 * and frames with mild noise. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/rooms/rooms.h"
#include "env/world.h"
#include "env/world_internal.h"
#include "tests/test_util.h"

typedef struct tally {
    int visible, found, false_positive, camera_checked, camera_ok;
} tally;

/* Compares a detection with the true state of a frame whose window origin
 * is (ox, oy). */
static void score(const pan_world *w, const pan_world_state *truth,
                  const pan_world_state *det, int ox, int oy, tally *t) {
    const rooms_world *rw = w->impl;
    pan_world_config c = pan_world_get_config(w);
    bool used[PAN_WORLD_MAX_OBJECTS] = {false};
    for (int i = 0; i < truth->n_objects; i++) {
        const rooms_landmark *l = &rw->map.landmarks[i];
        if (!rooms_landmark_visible(l, c.width, c.height, ox, oy)) continue;
        t->visible++;
        /* True centre in frame pixels. */
        float u = truth->objects[i].x * ROOMS_CELL_PX - (float)ox;
        float v = truth->objects[i].y * ROOMS_CELL_PX - (float)oy;
        for (int j = 0; j < det->n_objects; j++) {
            const pan_object_state *d = &det->objects[j];
            if (used[j] || d->colour != truth->objects[i].colour ||
                d->shape != truth->objects[i].shape)
                continue;
            if (fabsf(d->x - u) <= 1.0f && fabsf(d->y - v) <= 1.0f &&
                d->visible && fabsf(d->size - 6.0f) <= 1.0f) {
                used[j] = true;
                t->found++;
            }
            break;
        }
    }
    for (int j = 0; j < det->n_objects; j++) t->false_positive += !used[j];
}

static void run_size(int width, int height, int seeds, tally *t) {
    pan_world *w = NULL;
    pan_world_config config = {width, height, 4};
    CHECK_STATUS(pan_world_create("rooms", &config, &w), PAN_OK);
    if (!w) return;
    uint8_t *frame = malloc((size_t)width * height * 3);
    test_rng rng = {(uint64_t)width * 1000 + (uint64_t)height};
    for (int seed = 0; seed < seeds; seed++) {
        CHECK_STATUS(pan_world_reset(w, (uint64_t)seed, frame), PAN_OK);
        const rooms_world *rw = w->impl;
        for (int p = 0; p < 25; p++) {
            pan_world_state truth, det;
            pan_world_get_state(w, &truth);
            int x, y;
            do {
                x = test_rng_int(&rng, 1, ROOMS_MAP_CELLS - 2);
                y = test_rng_int(&rng, 1, ROOMS_MAP_CELLS - 2);
            } while (!rooms_map_passable(&rw->map, x, y));
            truth.camera_x = (float)x + 0.5f;
            truth.camera_y = (float)y + 0.5f;
            CHECK_STATUS(pan_world_set_state(w, &truth), PAN_OK);
            pan_world_get_state(w, &truth);
            pan_world_render(w, frame);
            CHECK_STATUS(pan_world_detect(w, frame, &det), PAN_OK);
            int ox = rooms_view_origin(x, width);
            int oy = rooms_view_origin(y, height);
            int visible = 0;
            for (int i = 0; i < truth.n_objects; i++)
                visible += truth.objects[i].visible;
            CHECK(visible == det.n_objects);
            score(w, &truth, &det, ox, oy, t);
            if (det.n_objects > 0) {
                t->camera_checked++;
                t->camera_ok += fabsf(det.camera_x - truth.camera_x) <= 0.25f &&
                                fabsf(det.camera_y - truth.camera_y) <= 0.25f;
            } else {
                CHECK(det.camera_x == -1.0f && det.camera_y == -1.0f);
            }
            CHECK(det.brightness == 1.0f && det.heading == -1);
        }
    }
    free(frame);
    pan_world_destroy(w);
}

/* Frames in the middle of a move, against the intermediate window. */
static void run_motion(tally *t) {
    pan_world *w = NULL;
    pan_world_config config = {64, 64, 8};
    CHECK_STATUS(pan_world_create("rooms", &config, &w), PAN_OK);
    if (!w) return;
    static uint8_t chunk[8 * 64 * 64 * 3];
    uint8_t frame[64 * 64 * 3];
    for (uint64_t seed = 0; seed < 30; seed++) {
        pan_world_reset(w, seed, frame);
        uint64_t rng = seed;
        for (int step = 0; step < 30; step++) {
            char text[PAN_WORLD_ACTION_MAX + 1];
            pan_world_state before, truth, det;
            pan_world_get_state(w, &before);
            pan_world_sample_action(w, &rng, PAN_SPLIT_ANY, text, sizeof text);
            pan_world_step(w, text, chunk, NULL);
            pan_world_get_state(w, &truth);
            int x0 = (int)before.camera_x, y0 = (int)before.camera_y;
            int x1 = (int)truth.camera_x, y1 = (int)truth.camera_y;
            int ox0 = rooms_view_origin(x0, 64), oy0 = rooms_view_origin(y0, 64);
            int ox1 = rooms_view_origin(x1, 64), oy1 = rooms_view_origin(y1, 64);
            for (int k = 1; k <= 8; k++) {
                int ox = ox0 + (ox1 - ox0) * k / 8;
                int oy = oy0 + (oy1 - oy0) * k / 8;
                pan_world_detect(w, chunk + (size_t)(k - 1) * sizeof frame, &det);
                score(w, &truth, &det, ox, oy, t);
            }
        }
    }
    pan_world_destroy(w);
}

/* Uniform noise of +-amp on every channel. */
static void run_noise(int amp, tally *t) {
    pan_world *w = NULL;
    CHECK_STATUS(pan_world_create("rooms", NULL, &w), PAN_OK);
    if (!w) return;
    uint8_t frame[64 * 64 * 3];
    test_rng rng = {77};
    for (uint64_t seed = 0; seed < 300; seed++) {
        pan_world_reset(w, seed, frame);
        pan_world_state truth, det;
        pan_world_get_state(w, &truth);
        for (size_t i = 0; i < sizeof frame; i++) {
            int v = frame[i] + test_rng_int(&rng, -amp, amp);
            frame[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
        pan_world_detect(w, frame, &det);
        int cx = (int)truth.camera_x, cy = (int)truth.camera_y;
        score(w, &truth, &det, rooms_view_origin(cx, 64),
              rooms_view_origin(cy, 64), t);
    }
    pan_world_destroy(w);
}

static void report(const char *what, const tally *t) {
    double rate = t->visible ? (double)t->found / t->visible : 0.0;
    printf("%-18s visible %5d found %5d (%.2f%%) false %d camera %d/%d\n", what,
           t->visible, t->found, 100.0 * rate, t->false_positive, t->camera_ok,
           t->camera_checked);
    CHECK(t->visible > 100);
    CHECK(rate >= 0.99);
    CHECK(t->false_positive == 0);
    CHECK(t->camera_ok == t->camera_checked);
}

int main(void) {
    const int sizes[][2] = {{64, 64}, {32, 32}, {48, 80}, {101, 67},
                            {256, 256}};
    for (int s = 0; s < 5; s++) {
        tally t = {0};
        run_size(sizes[s][0], sizes[s][1], s == 0 ? 200 : s == 1 ? 100 : 40, &t);
        char what[32];
        snprintf(what, sizeof what, "rest %dx%d", sizes[s][0], sizes[s][1]);
        report(what, &t);
    }
    tally motion = {0};
    run_motion(&motion);
    report("mid-motion 64x64", &motion);
    tally noise = {0};
    run_noise(8, &noise);
    report("noise +-8", &noise);

    pan_world *w = NULL;
    CHECK_STATUS(pan_world_create("rooms", NULL, &w), PAN_OK);
    uint8_t frame[64 * 64 * 3];
    memset(frame, 0, sizeof frame); /* black: nothing, camera unknown */
    pan_world_state det;
    CHECK_STATUS(pan_world_detect(w, frame, &det), PAN_OK);
    CHECK(det.n_objects == 0 && det.camera_x == -1.0f);
    pan_world_destroy(w);
    return test_exit_code("test_rooms_detect");
}
