/* tests/worlds/test_rooms_world.c: rooms dynamics: walls block movement,
 * doors pass, smooth interpolation, heading, revisit consistency,
 * determinism, fork/restore, not-understood actions, bad arguments, the
 * state vector. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/rooms/rooms.h"
#include "env/world.h"
#include "env/world_internal.h"
#include "tests/test_util.h"

#define W 64
#define H 64
#define K 4
#define FRAME_BYTES ((size_t)W * H * 3)

static uint8_t frame_a[FRAME_BYTES], frame_b[FRAME_BYTES];
static uint8_t chunk_a[K * FRAME_BYTES], chunk_b[K * FRAME_BYTES];

static pan_world *make_world(void) {
    pan_world *w = NULL;
    pan_world_config config = {W, H, K};
    CHECK_STATUS(pan_world_create("rooms", &config, &w), PAN_OK);
    return w;
}

/* Puts the camera on cell (x, y) with heading h (keeps the seed). */
static pan_status teleport(pan_world *w, int x, int y, int heading) {
    pan_world_state s;
    pan_world_get_state(w, &s);
    s.camera_x = (float)x + 0.5f;
    s.camera_y = (float)y + 0.5f;
    s.heading = heading;
    return pan_world_set_state(w, &s);
}

static void camera(const pan_world *w, int *x, int *y, int *heading) {
    pan_world_state s;
    pan_world_get_state(w, &s);
    *x = (int)(s.camera_x - 0.5f);
    *y = (int)(s.camera_y - 0.5f);
    *heading = s.heading;
}

static bool states_equal(const pan_world_state *a, const pan_world_state *b) {
    return memcmp(a, b, sizeof *a) == 0;
}

static void test_walls_and_doors(void) {
    pan_world *w = make_world();
    pan_action_result r;
    int walls = 0, doors = 0;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        CHECK_STATUS(pan_world_reset(w, seed, frame_a), PAN_OK);
        rooms_map map;
        rooms_map_generate(seed, &map);
        /* North wall of room (1, ry): from y = 16 ry + 3, "go north 5"
         * stops on y = 16 ry + 1 unless a door is there. */
        for (int ry = 0; ry < ROOMS_GRID; ry++) {
            int x = 16 + 7, y = 16 * ry + 3;
            if (map.cell[16 * ry][x] == ROOMS_CELL_DOOR) continue;
            CHECK_STATUS(teleport(w, x, y, ROOMS_EAST), PAN_OK);
            CHECK_STATUS(pan_world_step(w, "go north 5", chunk_a, &r), PAN_OK);
            int cx, cy, h;
            camera(w, &cx, &cy, &h);
            CHECK(r.understood && cx == x && cy == 16 * ry + 1);
            CHECK(h == ROOMS_NORTH);
            CHECK(strstr(r.message, "wall") != NULL);
            /* Against the wall: a further move does not move at all. */
            CHECK_STATUS(pan_world_step(w, "go north", chunk_a, &r), PAN_OK);
            int cx2, cy2;
            camera(w, &cx2, &cy2, &h);
            CHECK(cx2 == cx && cy2 == cy && strstr(r.message, "wall"));
            pan_world_render(w, frame_b);
            for (int k = 0; k < K; k++)
                CHECK(memcmp(chunk_a + k * FRAME_BYTES, frame_b,
                             FRAME_BYTES) == 0);
            walls++;
        }
        /* Every door in a vertical wall line lets the camera through. */
        for (int x = 16; x < ROOMS_MAP_CELLS - 1; x += 16)
            for (int y = 1; y < ROOMS_MAP_CELLS - 1; y++) {
                if (map.cell[y][x] != ROOMS_CELL_DOOR) continue;
                CHECK_STATUS(teleport(w, x - 3, y, ROOMS_NORTH), PAN_OK);
                CHECK_STATUS(pan_world_step(w, "walk 6 cells east", chunk_a, &r),
                             PAN_OK);
                int cx, cy, h;
                camera(w, &cx, &cy, &h);
                CHECK(cx == x + 3 && cy == y && h == ROOMS_EAST);
                CHECK(strcmp(r.message, "moved east 6 cells") == 0);
                /* The camera may stand in a doorway. */
                CHECK_STATUS(teleport(w, x, y, ROOMS_WEST), PAN_OK);
                doors++;
            }
        /* The camera never stands in a wall. */
        CHECK_STATUS(teleport(w, 16, 16, 0), PAN_ERR_INVALID_ARGUMENT);
    }
    CHECK(walls > 40 && doors > 40);
    pan_world_destroy(w);
}

/* "go east 4" from an open spot: frame k shows the window k/K of the way. */
static void test_smooth_motion(void) {
    pan_world *w = make_world();
    const rooms_world *rw = w->impl;
    CHECK_STATUS(pan_world_reset(w, 7, frame_a), PAN_OK);
    CHECK_STATUS(teleport(w, 4, 8, ROOMS_NORTH), PAN_OK);
    pan_action_result r;
    CHECK_STATUS(pan_world_step(w, "go east 4", chunk_a, &r), PAN_OK);
    int ox0 = rooms_view_origin(4, W), oy = rooms_view_origin(8, H);
    for (int k = 1; k <= K; k++) {
        rooms_render_window(rw, W, H, ox0 + 16 * k / K, oy, frame_b);
        CHECK(memcmp(chunk_a + (k - 1) * FRAME_BYTES, frame_b, FRAME_BYTES) ==
              0);
    }
    for (int k = 1; k < K; k++)
        CHECK(memcmp(chunk_a + (k - 1) * FRAME_BYTES, chunk_a + k * FRAME_BYTES,
                     FRAME_BYTES) != 0);
    pan_world_render(w, frame_b);
    CHECK(memcmp(chunk_a + (K - 1) * FRAME_BYTES, frame_b, FRAME_BYTES) == 0);
    pan_world_destroy(w);
}

static void test_heading(void) {
    pan_world *w = make_world();
    pan_action_result r;
    int x, y, h;
    CHECK_STATUS(pan_world_reset(w, 3, frame_a), PAN_OK);
    CHECK_STATUS(teleport(w, 8, 8, ROOMS_NORTH), PAN_OK);
    CHECK_STATUS(pan_world_step(w, "turn right", chunk_a, &r), PAN_OK);
    camera(w, &x, &y, &h);
    CHECK(h == ROOMS_EAST && x == 8 && y == 8);
    CHECK(strcmp(r.message, "turned right, now facing east") == 0);
    CHECK_STATUS(pan_world_step(w, "move forward two", chunk_a, &r), PAN_OK);
    camera(w, &x, &y, &h);
    CHECK(x == 10 && y == 8 && h == ROOMS_EAST);
    CHECK_STATUS(pan_world_step(w, "go back", chunk_a, &r), PAN_OK);
    camera(w, &x, &y, &h);
    CHECK(x == 9 && y == 8 && h == ROOMS_EAST);
    CHECK_STATUS(pan_world_step(w, "turn left", chunk_a, &r), PAN_OK);
    CHECK_STATUS(pan_world_step(w, "turn left", chunk_a, &r), PAN_OK);
    camera(w, &x, &y, &h);
    CHECK(h == ROOMS_WEST);
    CHECK_STATUS(pan_world_step(w, "turn around", chunk_a, &r), PAN_OK);
    camera(w, &x, &y, &h);
    CHECK(h == ROOMS_EAST && x == 9);
    CHECK_STATUS(pan_world_step(w, "face south", chunk_a, &r), PAN_OK);
    CHECK_STATUS(pan_world_step(w, "take 3 steps forward", chunk_a, &r),
                 PAN_OK);
    camera(w, &x, &y, &h);
    CHECK(h == ROOMS_SOUTH && x == 9 && y == 11);
    CHECK_STATUS(pan_world_step(w, "go west 2", chunk_a, &r), PAN_OK);
    camera(w, &x, &y, &h);
    CHECK(h == ROOMS_WEST && x == 7 && y == 11);
    /* Turning and waiting do not change the picture. */
    pan_world_render(w, frame_a);
    const char *still[] = {"turn left", "turn around", "face north", "wait"};
    for (int i = 0; i < 4; i++) {
        CHECK_STATUS(pan_world_step(w, still[i], chunk_a, &r), PAN_OK);
        for (int k = 0; k < K; k++)
            CHECK(memcmp(chunk_a + k * FRAME_BYTES, frame_a, FRAME_BYTES) == 0);
    }
    pan_world_destroy(w);
}

/* go north 3 then south 3 gives the same bytes; and over long random walks
 * every revisited cell shows exactly the frame of its first visit. */
static void test_revisit(void) {
    pan_world *w = make_world();
    pan_action_result r;
    int checked = 0, revisits = 0;
    static uint64_t hash[ROOMS_MAP_CELLS][ROOMS_MAP_CELLS];
    for (uint64_t seed = 100; seed < 120; seed++) {
        CHECK_STATUS(pan_world_reset(w, seed, frame_a), PAN_OK);
        CHECK_STATUS(pan_world_step(w, "go north 3", chunk_a, &r), PAN_OK);
        int x, y, h;
        /* Start is a room centre (8 cells from the walls): no wall in 3. */
        CHECK_STATUS(pan_world_step(w, "go south 3", chunk_a, &r), PAN_OK);
        CHECK(memcmp(chunk_a + (K - 1) * FRAME_BYTES, frame_a, FRAME_BYTES) ==
              0);
        checked++;

        memset(hash, 0, sizeof hash);
        uint64_t rng = seed;
        char text[PAN_WORLD_ACTION_MAX + 1];
        for (int step = 0; step < 300; step++) {
            CHECK_STATUS(pan_world_sample_action(w, &rng, PAN_SPLIT_ANY, text,
                                                 sizeof text),
                         PAN_OK);
            CHECK_STATUS(pan_world_step(w, text, chunk_a, &r), PAN_OK);
            camera(w, &x, &y, &h);
            const uint8_t *last = chunk_a + (K - 1) * FRAME_BYTES;
            uint64_t fnv = 1469598103934665603ull;
            for (size_t i = 0; i < FRAME_BYTES; i++)
                fnv = (fnv ^ last[i]) * 1099511628211ull;
            /* 64-bit FNV-1a of the whole frame, per camera cell. */
            if (hash[y][x] == 0) {
                hash[y][x] = fnv;
            } else {
                CHECK(hash[y][x] == fnv);
                revisits++;
            }
        }
    }
    CHECK(checked == 20 && revisits > 500);
    printf("revisit: %d revisited cells checked\n", revisits);
    pan_world_destroy(w);
}

static void test_determinism(void) {
    pan_world *a = make_world(), *b = make_world();
    for (uint64_t seed = 0; seed < 10; seed++) {
        CHECK_STATUS(pan_world_reset(a, seed, frame_a), PAN_OK);
        CHECK_STATUS(pan_world_reset(b, seed, frame_b), PAN_OK);
        CHECK(memcmp(frame_a, frame_b, FRAME_BYTES) == 0);
        uint64_t rng_a = seed * 31 + 1, rng_b = seed * 31 + 1;
        for (int step = 0; step < 50; step++) {
            char ta[PAN_WORLD_ACTION_MAX + 1], tb[PAN_WORLD_ACTION_MAX + 1];
            pan_world_sample_action(a, &rng_a, PAN_SPLIT_TRAIN, ta, sizeof ta);
            pan_world_sample_action(b, &rng_b, PAN_SPLIT_TRAIN, tb, sizeof tb);
            CHECK(strcmp(ta, tb) == 0);
            pan_action_result ra, rb;
            CHECK_STATUS(pan_world_step(a, ta, chunk_a, &ra), PAN_OK);
            CHECK_STATUS(pan_world_step(b, tb, chunk_b, &rb), PAN_OK);
            CHECK(memcmp(chunk_a, chunk_b, sizeof chunk_a) == 0);
            CHECK(memcmp(&ra, &rb, sizeof ra) == 0);
            pan_world_state sa, sb;
            pan_world_get_state(a, &sa);
            pan_world_get_state(b, &sb);
            CHECK(states_equal(&sa, &sb));
        }
    }
    /* Different seeds give different maps and first frames. */
    int differ = 0;
    for (uint64_t seed = 0; seed < 20; seed++) {
        pan_world_reset(a, seed, frame_a);
        pan_world_reset(b, seed + 1000, frame_b);
        differ += memcmp(frame_a, frame_b, FRAME_BYTES) != 0;
        rooms_map ma, mb;
        rooms_map_generate(seed, &ma);
        rooms_map_generate(seed + 1000, &mb);
        CHECK(memcmp(ma.cell, mb.cell, sizeof ma.cell) != 0 ||
              memcmp(ma.landmarks, mb.landmarks, sizeof ma.landmarks) != 0);
    }
    CHECK(differ == 20);
    pan_world_destroy(a);
    pan_world_destroy(b);
}

static void test_fork_restore(void) {
    pan_world *w = make_world(), *fresh = make_world();
    pan_action_result r;
    uint64_t rng = 5;
    char text[PAN_WORLD_ACTION_MAX + 1];
    CHECK_STATUS(pan_world_reset(w, 42, frame_a), PAN_OK);
    for (int i = 0; i < 10; i++) {
        pan_world_sample_action(w, &rng, PAN_SPLIT_ANY, text, sizeof text);
        pan_world_step(w, text, chunk_a, &r);
    }
    pan_world_state saved, now;
    CHECK_STATUS(pan_world_get_state(w, &saved), PAN_OK);
    pan_world_render(w, frame_a);
    uint64_t rng_saved = rng;
    static uint8_t trace[20][K * FRAME_BYTES];
    for (int i = 0; i < 20; i++) {
        pan_world_sample_action(w, &rng, PAN_SPLIT_ANY, text, sizeof text);
        pan_world_step(w, text, trace[i], &r);
    }
    /* Restore in place, and into a world that was never reset. */
    pan_world *targets[2] = {w, fresh};
    for (int t = 0; t < 2; t++) {
        CHECK_STATUS(pan_world_set_state(targets[t], &saved), PAN_OK);
        CHECK_STATUS(pan_world_get_state(targets[t], &now), PAN_OK);
        CHECK(states_equal(&saved, &now));
        pan_world_render(targets[t], frame_b);
        CHECK(memcmp(frame_a, frame_b, FRAME_BYTES) == 0);
        rng = rng_saved;
        for (int i = 0; i < 20; i++) {
            pan_world_sample_action(targets[t], &rng, PAN_SPLIT_ANY, text,
                                    sizeof text);
            pan_world_step(targets[t], text, chunk_b, &r);
            CHECK(memcmp(trace[i], chunk_b, sizeof chunk_b) == 0);
        }
    }
    /* A state from another seed regenerates the map. */
    pan_world *other = make_world();
    pan_world_reset(other, 77, frame_b);
    pan_world_state s77;
    pan_world_get_state(other, &s77);
    CHECK_STATUS(pan_world_set_state(w, &s77), PAN_OK);
    pan_world_render(w, frame_a);
    CHECK(memcmp(frame_a, frame_b, FRAME_BYTES) == 0);

    /* Invalid states: INVALID_ARGUMENT and nothing changes. */
    pan_world_state before, bad;
    pan_world_get_state(w, &before);
    for (int kind = 0; kind < 10; kind++) {
        bad = saved;
        switch (kind) {
        case 0: bad.heading = 4; break;
        case 1: bad.heading = -1; break;
        case 2: bad.camera_x = 8.3f; break;
        case 3: bad.camera_x = 70.5f; break;
        case 4: bad.camera_x = 16.5f; bad.camera_y = 8.5f; break; /* wall */
        case 5: bad.objects[0].x += 1.0f; break;
        case 6: bad.n_objects -= 1; break;
        case 7: bad.brightness = 0.5f; break;
        case 8: bad.seed += 1; break; /* landmarks no longer match */
        case 9: bad.steps = -1; break;
        }
        pan_error_clear();
        CHECK_STATUS(pan_world_set_state(w, &bad), PAN_ERR_INVALID_ARGUMENT);
        CHECK(strncmp(pan_error_message(), "rooms set_state", 15) == 0);
        pan_world_get_state(w, &now);
        CHECK(states_equal(&before, &now));
        pan_world_render(w, frame_a);
        CHECK(memcmp(frame_a, frame_b, FRAME_BYTES) == 0);
    }
    /* visible flags are derived: changing them is accepted and recomputed. */
    bad = before;
    bad.objects[0].visible = !bad.objects[0].visible;
    CHECK_STATUS(pan_world_set_state(w, &bad), PAN_OK);
    pan_world_get_state(w, &now);
    CHECK(states_equal(&before, &now));
    pan_world_destroy(w);
    pan_world_destroy(fresh);
    pan_world_destroy(other);
}

static void test_not_understood(void) {
    pan_world *w = make_world();
    CHECK_STATUS(pan_world_reset(w, 9, frame_a), PAN_OK);
    const char *texts[] = {"fly to the moon", "", "go north 99", "go left",
                           "\xff\xfe garbage"};
    for (int i = 0; i < 5; i++) {
        pan_world_state before, after;
        pan_world_get_state(w, &before);
        pan_action_result r;
        memset(chunk_a, 0xAB, sizeof chunk_a);
        CHECK_STATUS(pan_world_step(w, texts[i], chunk_a, &r), PAN_OK);
        CHECK(!r.understood && r.message[0] != '\0' && r.template_id == -1);
        pan_world_get_state(w, &after);
        CHECK(after.steps == before.steps + 1);
        after.steps = before.steps;
        CHECK(states_equal(&before, &after));
        for (int k = 0; k < K; k++)
            CHECK(memcmp(chunk_a + k * FRAME_BYTES, frame_a, FRAME_BYTES) == 0);
    }
    /* A NULL result pointer is allowed. */
    CHECK_STATUS(pan_world_step(w, "wait", chunk_a, NULL), PAN_OK);
    pan_world_destroy(w);
}

static void test_bad_arguments(void) {
    pan_world *w = NULL;
    pan_world_config bad = {16, 64, 4};
    CHECK_STATUS(pan_world_create("rooms", &bad, &w), PAN_ERR_INVALID_ARGUMENT);
    bad = (pan_world_config){64, 64, 0};
    CHECK_STATUS(pan_world_create("rooms", &bad, &w), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_create("room", NULL, &w), PAN_ERR_NOT_FOUND);
    CHECK_STATUS(pan_world_create("rooms", NULL, NULL),
                 PAN_ERR_INVALID_ARGUMENT);
    w = make_world();
    pan_action_result r;
    char text[PAN_WORLD_ACTION_MAX + 1];
    uint64_t rng = 1;
    pan_world_state s;
    CHECK_STATUS(pan_world_step(w, "wait", chunk_a, &r),
                 PAN_ERR_FAILED_PRECONDITION);
    CHECK_STATUS(pan_world_render(w, frame_a), PAN_ERR_FAILED_PRECONDITION);
    CHECK_STATUS(pan_world_get_state(w, &s), PAN_ERR_FAILED_PRECONDITION);
    CHECK_STATUS(pan_world_sample_action(w, &rng, PAN_SPLIT_TRAIN, text,
                                         sizeof text),
                 PAN_ERR_FAILED_PRECONDITION);
    CHECK_STATUS(pan_world_reset(w, 1, NULL), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_reset(NULL, 1, frame_a), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_reset(w, 1, frame_a), PAN_OK);
    pan_world_get_state(w, &s);
    CHECK_STATUS(pan_world_step(w, NULL, chunk_a, &r), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_step(w, "wait", NULL, &r), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_step(NULL, "wait", chunk_a, &r),
                 PAN_ERR_INVALID_ARGUMENT);
    char longtext[PAN_WORLD_ACTION_MAX + 10];
    memset(longtext, 'x', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0';
    CHECK_STATUS(pan_world_step(w, longtext, chunk_a, &r),
                 PAN_ERR_INVALID_ARGUMENT);
    pan_world_state after;
    pan_world_get_state(w, &after);
    CHECK(states_equal(&s, &after)); /* errors change nothing */
    CHECK_STATUS(pan_world_render(w, NULL), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_get_state(w, NULL), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_set_state(w, NULL), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_sample_action(w, NULL, PAN_SPLIT_TRAIN, text,
                                         sizeof text),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_sample_action(w, &rng, PAN_SPLIT_TRAIN, text, 8),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_sample_action(w, &rng, (pan_split)7, text,
                                         sizeof text),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_detect(w, NULL, &s), PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_world_detect(w, frame_a, NULL), PAN_ERR_INVALID_ARGUMENT);
    CHECK(strcmp(pan_world_name(w), "rooms") == 0);
    pan_world_config c = pan_world_get_config(w);
    CHECK(c.width == W && c.height == H && c.frames_per_step == K);
    pan_world_destroy(w);
    pan_world_destroy(NULL);
}

static void test_state_vector(void) {
    pan_world *w = make_world();
    int n = pan_world_state_vector(w, NULL, NULL);
    CHECK(n == ROOMS_STATE_VECTOR_LENGTH && n == 103);
    pan_world_reset(w, 11, frame_a);
    pan_world_state s;
    pan_world_get_state(w, &s);
    float v[ROOMS_STATE_VECTOR_LENGTH + 1];
    v[n] = 12345.0f;
    CHECK(pan_world_state_vector(w, &s, v) == n);
    CHECK(v[n] == 12345.0f);
    CHECK(v[0] == s.camera_x && v[1] == s.camera_y);
    CHECK(v[2 + s.heading] == 1.0f && v[6] == (float)s.n_objects);
    CHECK(v[7 + 4] == s.objects[0].x && v[7 + 5] == s.objects[0].y);
    CHECK(v[7 + 2] == (float)s.objects[0].colour);
    float sum_present = 0.0f;
    for (int i = 0; i < ROOMS_MAX_LANDMARKS; i++) sum_present += v[7 + 6 * i];
    CHECK(sum_present == (float)s.n_objects);
    int visible = 0;
    for (int i = 0; i < s.n_objects; i++) visible += s.objects[i].visible;
    CHECK(visible >= 0 && s.n_objects >= ROOMS_MIN_LANDMARKS &&
          s.n_objects <= ROOMS_MAX_LANDMARKS);
    pan_world_destroy(w);
}

int main(void) {
    test_walls_and_doors();
    test_smooth_motion();
    test_heading();
    test_revisit();
    test_determinism();
    test_fork_restore();
    test_not_understood();
    test_bad_arguments();
    test_state_vector();
    return test_exit_code("test_rooms_world");
}
