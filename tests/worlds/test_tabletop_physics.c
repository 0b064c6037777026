/* tests/worlds/test_tabletop_physics.c: tabletop motion, walls and
 * collisions (the mover stops 1 px from the blocker's bounding square),
 * smooth motion over the K frames, named places and relations, appear /
 * remove / lights, not-understood actions changing nothing, and a long
 * random run that never breaks the layout (label "unit").
 * Geometry at 64x64: cell 8 px, rim 2 px, interior [2, 62), default
 * half-extent 6, so centres range over [8, 56]. */
#include <stdio.h>
#include <string.h>

#include "tests/worlds/test_tabletop_util.h"

#define W 64
#define H 64
#define K 4
#define FRAME (W * H * 3)

static uint8_t frames[PAN_WORLD_MAX_FRAMES_PER_STEP * 256 * 256 * 3];
static uint8_t frame[256 * 256 * 3];

/* Steps `text` and returns the result (a failed check if not understood
 * while `understood` is expected). */
static pan_action_result step(pan_world *w, const char *text, bool understood) {
    pan_action_result r;
    CHECK_STATUS(pan_world_step(w, text, frames, &r), PAN_OK);
    if (r.understood != understood) {
        fprintf(stderr, "\"%s\": understood=%d (%s)\n", text, r.understood,
                r.message);
        CHECK(r.understood == understood);
    }
    return r;
}

static pan_object_state object(pan_world *w, int colour, int shape) {
    pan_world_state s;
    CHECK_STATUS(pan_world_get_state(w, &s), PAN_OK);
    int i = tt_test_find(&s, colour, shape);
    CHECK(i >= 0);
    pan_object_state none = {0};
    return i >= 0 ? s.objects[i] : none;
}

static void set(pan_world *w, const pan_world_state *s) {
    CHECK_STATUS(pan_world_set_state(w, s), PAN_OK);
}

static void test_walls(pan_world *w) {
    pan_world_state s = tt_test_empty();
    tt_test_put(&s, PAN_COLOUR_RED, PAN_SHAPE_SQUARE, 20, 32, 6);
    set(w, &s);
    pan_action_result r = step(w, "move the red square left by 5", true);
    CHECK(object(w, PAN_COLOUR_RED, PAN_SHAPE_SQUARE).x == 8.0f);
    CHECK(strstr(r.message, "wall") != NULL);
    step(w, "push the red square all the way right", true);
    CHECK(object(w, PAN_COLOUR_RED, PAN_SHAPE_SQUARE).x == 56.0f);
    step(w, "push the red square all the way down", true);
    CHECK(object(w, PAN_COLOUR_RED, PAN_SHAPE_SQUARE).y == 56.0f);
    r = step(w, "move the red square down", true);
    CHECK(strstr(r.message, "did not move") != NULL);
    step(w, "move the red square up by 20", true);
    pan_object_state o = object(w, PAN_COLOUR_RED, PAN_SHAPE_SQUARE);
    CHECK(o.x == 56.0f && o.y == 8.0f);
    /* the wall is the rim: the object's pixels end at the interior */
    CHECK_STATUS(pan_world_render(w, frame), PAN_OK);
    const uint8_t *red = tt_palette[PAN_COLOUR_RED];
    CHECK(memcmp(frame + (2 * W + 61) * 3, red, 3) == 0); /* (61, 2) */
    CHECK(memcmp(frame + (2 * W + 62) * 3, red, 3) != 0); /* rim */
    CHECK(memcmp(frame + (1 * W + 61) * 3, red, 3) != 0); /* rim */
}

static void test_collisions(pan_world *w) {
    pan_world_state s = tt_test_empty();
    tt_test_put(&s, PAN_COLOUR_RED, PAN_SHAPE_SQUARE, 14, 32, 6);
    tt_test_put(&s, PAN_COLOUR_BLUE, PAN_SHAPE_SQUARE, 44, 32, 6);
    set(w, &s);
    pan_action_result r = step(w, "move the red square right by 5", true);
    CHECK(object(w, PAN_COLOUR_RED, PAN_SHAPE_SQUARE).x == 44.0f - 13.0f);
    CHECK(object(w, PAN_COLOUR_BLUE, PAN_SHAPE_SQUARE).x == 44.0f); /* never pushed */
    CHECK(strstr(r.message, "stopped by the blue square") != NULL);
    /* touching: cannot go further, can leave */
    r = step(w, "move the red square right", true);
    CHECK(strstr(r.message, "did not move") != NULL);
    CHECK(object(w, PAN_COLOUR_RED, PAN_SHAPE_SQUARE).x == 31.0f);
    step(w, "move the red square left by 1", true);
    CHECK(object(w, PAN_COLOUR_RED, PAN_SHAPE_SQUARE).x == 23.0f);
    /* one column of table between touching objects */
    step(w, "move the red square right", true);
    CHECK_STATUS(pan_world_render(w, frame), PAN_OK);
    const uint8_t *table = tt_palette[TT_PALETTE_TABLE];
    CHECK(memcmp(frame + (32 * W + 36) * 3, tt_palette[PAN_COLOUR_RED], 3) == 0);
    CHECK(memcmp(frame + (32 * W + 37) * 3, table, 3) == 0);
    CHECK(memcmp(frame + (32 * W + 38) * 3, tt_palette[PAN_COLOUR_BLUE], 3) == 0);

    /* different sizes, vertical */
    s = tt_test_empty();
    tt_test_put(&s, PAN_COLOUR_RED, PAN_SHAPE_CIRCLE, 32, 10, 4);
    tt_test_put(&s, PAN_COLOUR_GREEN, PAN_SHAPE_TRIANGLE, 32, 40, 9);
    set(w, &s);
    step(w, "move the red circle down by 4", true);
    CHECK(object(w, PAN_COLOUR_RED, PAN_SHAPE_CIRCLE).y == 40.0f - 14.0f);

    /* diagonal: to a corner with an object in the way */
    s = tt_test_empty();
    tt_test_put(&s, PAN_COLOUR_RED, PAN_SHAPE_SQUARE, 8, 8, 6);
    tt_test_put(&s, PAN_COLOUR_ORANGE, PAN_SHAPE_CIRCLE, 32, 32, 6);
    set(w, &s);
    r = step(w, "move the red square to the bottom right corner", true);
    pan_object_state o = object(w, PAN_COLOUR_RED, PAN_SHAPE_SQUARE);
    CHECK(o.x == 19.0f && o.y > 18.999f && o.y < 19.001f);
    CHECK(strstr(r.message, "orange circle") != NULL);

    /* passing beside an object is not a collision */
    s = tt_test_empty();
    tt_test_put(&s, PAN_COLOUR_RED, PAN_SHAPE_SQUARE, 8, 8, 6);
    tt_test_put(&s, PAN_COLOUR_ORANGE, PAN_SHAPE_CIRCLE, 32, 21, 6);
    set(w, &s);
    step(w, "move the red square right by 6", true);
    CHECK(object(w, PAN_COLOUR_RED, PAN_SHAPE_SQUARE).x == 56.0f);

    /* the nearest of several blockers stops it */
    s = tt_test_empty();
    tt_test_put(&s, PAN_COLOUR_RED, PAN_SHAPE_SQUARE, 8, 32, 6);
    tt_test_put(&s, PAN_COLOUR_BLUE, PAN_SHAPE_SQUARE, 50, 30, 6);
    tt_test_put(&s, PAN_COLOUR_GREEN, PAN_SHAPE_CIRCLE, 30, 40, 6);
    set(w, &s);
    r = step(w, "push the red square all the way right", true);
    CHECK(object(w, PAN_COLOUR_RED, PAN_SHAPE_SQUARE).x == 17.0f);
    CHECK(strstr(r.message, "green circle") != NULL);
}

static void test_places(pan_world *w) {
    pan_world_state s = tt_test_empty();
    tt_test_put(&s, PAN_COLOUR_RED, PAN_SHAPE_CIRCLE, 10, 10, 6);
    tt_test_put(&s, PAN_COLOUR_GREEN, PAN_SHAPE_TRIANGLE, 40, 40, 6);
    set(w, &s);
    step(w, "move the red circle next to the green triangle", true);
    pan_object_state o = object(w, PAN_COLOUR_RED, PAN_SHAPE_CIRCLE);
    CHECK(o.x == 27.0f && o.y == 40.0f); /* the side facing it: left */
    /* touching its left side, going round the corner is blocked */
    pan_action_result r = step(w, "put the red circle above the green triangle", true);
    CHECK(strstr(r.message, "did not move") != NULL);
    step(w, "move the red circle up by 3", true); /* sliding along is free */
    o = object(w, PAN_COLOUR_RED, PAN_SHAPE_CIRCLE);
    CHECK(o.x == 27.0f && o.y == 16.0f);
    step(w, "put the red circle above the green triangle", true);
    o = object(w, PAN_COLOUR_RED, PAN_SHAPE_CIRCLE);
    CHECK(o.x == 40.0f && o.y == 27.0f);
    step(w, "move the red circle to the top right corner", true);
    o = object(w, PAN_COLOUR_RED, PAN_SHAPE_CIRCLE);
    CHECK(o.x == 56.0f && o.y == 8.0f);
    step(w, "move the red circle to the left edge", true);
    o = object(w, PAN_COLOUR_RED, PAN_SHAPE_CIRCLE);
    CHECK(o.x == 8.0f && o.y == 8.0f);
    step(w, "move the red circle to the bottom edge", true);
    o = object(w, PAN_COLOUR_RED, PAN_SHAPE_CIRCLE);
    CHECK(o.x == 8.0f && o.y == 56.0f);
    step(w, "move the green triangle to the centre", true);
    o = object(w, PAN_COLOUR_GREEN, PAN_SHAPE_TRIANGLE);
    CHECK(o.x == 32.0f && o.y == 32.0f);
    /* next to an object at the right wall: its right side does not fit */
    s = tt_test_empty();
    tt_test_put(&s, PAN_COLOUR_RED, PAN_SHAPE_CIRCLE, 56, 8, 6);
    tt_test_put(&s, PAN_COLOUR_GREEN, PAN_SHAPE_TRIANGLE, 56, 40, 6);
    set(w, &s);
    step(w, "move the red circle next to the green triangle", true);
    o = object(w, PAN_COLOUR_RED, PAN_SHAPE_CIRCLE);
    CHECK(o.x == 56.0f && o.y == 27.0f); /* above: facing */
}

/* The mover's centre (from its pixels) across the K frames: strictly
 * monotonic, eased (smaller first and last steps), last frame = state. */
static void test_smooth_motion(void) {
    pan_world *w = tt_test_world(W, H, 8);
    if (!w) return;
    pan_world_state s = tt_test_empty();
    tt_test_put(&s, PAN_COLOUR_BLUE, PAN_SHAPE_SQUARE, 10, 32, 6);
    tt_test_put(&s, PAN_COLOUR_YELLOW, PAN_SHAPE_CIRCLE, 50, 10, 6);
    set(w, &s);
    step(w, "slide the blue square right by 5", true);
    float xs[8];
    for (int k = 0; k < 8; k++) {
        pan_world_state d;
        CHECK_STATUS(pan_world_detect(w, frames + (size_t)k * FRAME, &d), PAN_OK);
        int i = tt_test_find(&d, PAN_COLOUR_BLUE, PAN_SHAPE_SQUARE);
        CHECK(i >= 0 && d.n_objects == 2);
        xs[k] = i >= 0 ? d.objects[i].x : 0.0f;
    }
    float prev = 10.0f;
    for (int k = 0; k < 8; k++) {
        CHECK(xs[k] > prev);
        prev = xs[k];
    }
    CHECK(xs[7] == 50.0f);
    CHECK(xs[0] - 10.0f < xs[4] - xs[3]); /* eased start */
    CHECK(xs[7] - xs[6] < xs[4] - xs[3]); /* eased stop */
    CHECK_STATUS(pan_world_render(w, frame), PAN_OK);
    CHECK(memcmp(frame, frames + 7 * FRAME, FRAME) == 0);
    pan_world_destroy(w);
}

static void test_environment(pan_world *w) {
    pan_world_state s = tt_test_empty(), before, after;
    tt_test_put(&s, PAN_COLOUR_RED, PAN_SHAPE_SQUARE, 14, 14, 6);
    tt_test_put(&s, PAN_COLOUR_BLUE, PAN_SHAPE_CIRCLE, 50, 50, 6);
    set(w, &s);
    /* appear in the middle */
    pan_action_result r = step(w, "a green triangle appears in the middle", true);
    pan_object_state o = object(w, PAN_COLOUR_GREEN, PAN_SHAPE_TRIANGLE);
    CHECK(o.x == 32.0f && o.y == 32.0f && o.size == 6.0f);
    CHECK(strstr(r.message, "appeared") != NULL);
    /* the same pair again, or no room: understood, nothing changes */
    CHECK_STATUS(pan_world_get_state(w, &before), PAN_OK);
    r = step(w, "a green triangle appears in the top left corner", true);
    CHECK(strstr(r.message, "already") != NULL);
    r = step(w, "add a yellow circle in the centre", true);
    CHECK(strstr(r.message, "could not place") != NULL);
    r = step(w, "a purple circle appears in the top left corner", true);
    CHECK(strstr(r.message, "could not place") != NULL);
    CHECK_STATUS(pan_world_get_state(w, &after), PAN_OK);
    CHECK(after.steps == before.steps + 3);
    after.steps = before.steps;
    CHECK(tt_test_same_state(&before, &after));
    /* next to / anywhere */
    step(w, "a yellow circle appears next to the red square", true);
    o = object(w, PAN_COLOUR_YELLOW, PAN_SHAPE_CIRCLE);
    CHECK(o.x == 27.0f && o.y == 14.0f);
    /* remove: gone from the state and the frames; then not understood */
    step(w, "remove the blue circle", true);
    CHECK_STATUS(pan_world_get_state(w, &after), PAN_OK);
    CHECK(tt_test_find(&after, PAN_COLOUR_BLUE, PAN_SHAPE_CIRCLE) < 0);
    int blue = 0;
    for (int k = 0; k < K; k++)
        for (int p = 0; p < W * H; p++)
            blue += memcmp(frames + (size_t)k * FRAME + 3 * p,
                           tt_palette[PAN_COLOUR_BLUE], 3) == 0;
    CHECK(blue == 0);
    r = step(w, "remove the blue circle", false);
    CHECK(strstr(r.message, "no blue circle") != NULL);
    /* it can come back */
    step(w, "a blue circle appears in the bottom right corner", true);
    o = object(w, PAN_COLOUR_BLUE, PAN_SHAPE_CIRCLE);
    CHECK(o.x == 56.0f && o.y == 56.0f);
    /* lights */
    step(w, "turn off the lights", true);
    CHECK_STATUS(pan_world_get_state(w, &after), PAN_OK);
    CHECK(after.brightness == TT_BRIGHTNESS_OFF);
    uint8_t dark_table[3];
    for (int c = 0; c < 3; c++)
        dark_table[c] = (uint8_t)((float)tt_palette[TT_PALETTE_TABLE][c] * 0.25f + 0.5f);
    for (int k = 0; k < K; k++)
        CHECK(memcmp(frames + (size_t)k * FRAME + (40 * W + 8) * 3, dark_table, 3) == 0);
    r = step(w, "lights off", true);
    CHECK(strstr(r.message, "already") != NULL);
    step(w, "dim the lights", true);
    CHECK_STATUS(pan_world_get_state(w, &after), PAN_OK);
    CHECK(after.brightness == TT_BRIGHTNESS_DIM);
    step(w, "switch the lights on", true);
    CHECK_STATUS(pan_world_get_state(w, &after), PAN_OK);
    CHECK(after.brightness == 1.0f);
    CHECK(memcmp(frames + (40 * W + 8) * 3, tt_palette[TT_PALETTE_TABLE], 3) == 0);
    /* anywhere: a free place from the world's RNG */
    step(w, "add an orange triangle", true);
    CHECK_STATUS(pan_world_get_state(w, &after), PAN_OK);
    CHECK(tt_test_find(&after, PAN_COLOUR_ORANGE, PAN_SHAPE_TRIANGLE) >= 0);
    tt_geometry g = tt_geometry_of(W, H);
    CHECK(tt_test_valid_layout(&g, &after));
    /* wait: nothing moves, the frames repeat the current one */
    CHECK_STATUS(pan_world_get_state(w, &before), PAN_OK);
    step(w, "wait", true);
    CHECK_STATUS(pan_world_get_state(w, &after), PAN_OK);
    after.steps--;
    CHECK(tt_test_same_state(&before, &after));
}

static void test_not_understood(pan_world *w) {
    const char *texts[] = {"fly to the moon", "move the pink circle left",
                           "move the red square left by 99", "",
                           "remove the circle"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        pan_world_state before, after;
        CHECK_STATUS(pan_world_get_state(w, &before), PAN_OK);
        CHECK_STATUS(pan_world_render(w, frame), PAN_OK);
        memset(frames, 0xAB, (size_t)K * FRAME);
        pan_action_result r = step(w, texts[i], false);
        CHECK(r.kind == PAN_ACTION_NONE && r.template_id == -1);
        CHECK(r.message[0] != '\0' && r.canonical[0] == '\0');
        CHECK_STATUS(pan_world_get_state(w, &after), PAN_OK);
        CHECK(after.steps == before.steps + 1);
        after.steps = before.steps;
        CHECK(tt_test_same_state(&before, &after));
        for (int k = 0; k < K; k++)
            CHECK(memcmp(frames + (size_t)k * FRAME, frame, FRAME) == 0);
    }
}

/* Many random actions at several frame sizes: objects always inside the
 * table and apart, every step understood, frames end on the state. */
static void test_random_runs(void) {
    const int sizes[][3] = {{32, 32, 4}, {64, 64, 4}, {100, 60, 3},
                            {48, 160, 2}, {256, 256, 1}};
    for (size_t c = 0; c < sizeof sizes / sizeof sizes[0]; c++) {
        int w_ = sizes[c][0], h_ = sizes[c][1], k_ = sizes[c][2];
        pan_world *w = tt_test_world(w_, h_, k_);
        if (!w) continue;
        tt_geometry g = tt_geometry_of(w_, h_);
        uint64_t rng = 99 + c;
        int bad_layout = 0, not_understood = 0, bad_last = 0;
        for (int episode = 0; episode < 20; episode++) {
            CHECK_STATUS(pan_world_reset(w, (uint64_t)episode * 7 + c, frame), PAN_OK);
            for (int t = 0; t < 40; t++) {
                char text[PAN_WORLD_ACTION_MAX + 1];
                pan_action_result r;
                CHECK_STATUS(pan_world_sample_action(w, &rng, PAN_SPLIT_ANY, text, sizeof text), PAN_OK);
                CHECK_STATUS(pan_world_step(w, text, frames, &r), PAN_OK);
                not_understood += !r.understood;
                pan_world_state s;
                CHECK_STATUS(pan_world_get_state(w, &s), PAN_OK);
                bad_layout += !tt_test_valid_layout(&g, &s);
                CHECK_STATUS(pan_world_render(w, frame), PAN_OK);
                size_t bytes = (size_t)w_ * (size_t)h_ * 3;
                bad_last += memcmp(frame, frames + (size_t)(k_ - 1) * bytes, bytes) != 0;
            }
        }
        if (bad_layout || not_understood || bad_last)
            fprintf(stderr, "%dx%d: %d bad layouts, %d not understood, %d "
                    "last frames off the state\n", w_, h_, bad_layout,
                    not_understood, bad_last);
        CHECK(bad_layout == 0 && not_understood == 0 && bad_last == 0);
        pan_world_destroy(w);
    }
}

int main(void) {
    pan_world *w = tt_test_world(W, H, K);
    if (!w) return test_exit_code("test_tabletop_physics");
    test_walls(w);
    test_collisions(w);
    test_places(w);
    test_environment(w);
    test_not_understood(w);
    pan_world_destroy(w);
    test_smooth_motion();
    test_random_runs();
    return test_exit_code("test_tabletop_physics");
}
