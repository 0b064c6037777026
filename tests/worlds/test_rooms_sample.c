/* tests/worlds/test_rooms_sample.c: the rooms action sampler: 10k samples
 * per split (train: none held out; held-out: all held out; every sample
 * understood), the sampler and parser agree on every template, samples are
 * deterministic and varied. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/rooms/rooms.h"
#include "env/world.h"
#include "tests/test_util.h"

#define SAMPLES 10000

static int compare_strings(const void *a, const void *b) {
    return strcmp((const char *)a, (const char *)b);
}

int main(void) {
    pan_world *w = NULL;
    CHECK_STATUS(pan_world_create("rooms", NULL, &w), PAN_OK);
    if (!w) return test_exit_code("test_rooms_sample");
    uint8_t frame[64 * 64 * 3];
    CHECK_STATUS(pan_world_reset(w, 1, frame), PAN_OK);

    static char texts[SAMPLES][PAN_WORLD_ACTION_MAX + 1];
    const pan_split splits[3] = {PAN_SPLIT_TRAIN, PAN_SPLIT_HELDOUT,
                                 PAN_SPLIT_ANY};
    const char *names[3] = {"train", "heldout", "any"};
    for (int s = 0; s < 3; s++) {
        uint64_t rng = 12345 + (uint64_t)s;
        int per_template[ROOMS_TEMPLATE_COUNT] = {0};
        int heldout = 0, not_understood = 0;
        for (int i = 0; i < SAMPLES; i++) {
            CHECK_STATUS(pan_world_sample_action(w, &rng, splits[s], texts[i],
                                                 sizeof texts[i]),
                         PAN_OK);
            pan_action_result r;
            CHECK_STATUS(pan_world_parse(w, texts[i], &r), PAN_OK);
            if (!r.understood) {
                if (not_understood++ < 5)
                    fprintf(stderr, "%s sample not understood: '%s' (%s)\n",
                            names[s], texts[i], r.message);
                continue;
            }
            per_template[r.template_id]++;
            heldout += r.heldout;
        }
        CHECK(not_understood == 0);
        if (splits[s] == PAN_SPLIT_TRAIN) {
            CHECK(heldout == 0);
            CHECK(per_template[ROOMS_T_BARE_DIR] == 0 &&
                  per_template[ROOMS_T_DIR_FIRST] == 0);
            for (int t = 0; t < ROOMS_TEMPLATE_COUNT; t++)
                if (t != ROOMS_T_BARE_DIR && t != ROOMS_T_DIR_FIRST)
                    CHECK(per_template[t] > 100);
        } else if (splits[s] == PAN_SPLIT_HELDOUT) {
            CHECK(heldout == SAMPLES);
            CHECK(per_template[ROOMS_T_BARE_DIR] > 100 &&
                  per_template[ROOMS_T_DIR_FIRST] > 100);
            /* Held-out combinations inside ordinary templates too. */
            CHECK(per_template[ROOMS_T_GO_DIR] > 50 &&
                  per_template[ROOMS_T_FORWARD] > 20 &&
                  per_template[ROOMS_T_TURN_LR] > 20);
        } else {
            for (int t = 0; t < ROOMS_TEMPLATE_COUNT; t++)
                CHECK(per_template[t] > 100);
            CHECK(heldout > 500 && heldout < SAMPLES / 2);
        }
        qsort(texts, SAMPLES, sizeof texts[0], compare_strings);
        int distinct = 1;
        for (int i = 1; i < SAMPLES; i++)
            distinct += strcmp(texts[i], texts[i - 1]) != 0;
        printf("%s: %d samples, %d distinct, %d held out\n", names[s],
               SAMPLES, distinct, heldout);
        CHECK(distinct > SAMPLES / 5);
    }

    /* Sampler and parser agree on the template of every paraphrase. */
    uint64_t rng = 99;
    for (int t = 0; t < ROOMS_TEMPLATE_COUNT; t++)
        for (int i = 0; i < 2000; i++) {
            char text[PAN_WORLD_ACTION_MAX + 1];
            rooms_sample_template(t, &rng, text, sizeof text);
            pan_action_result r;
            pan_world_parse(w, text, &r);
            if (!r.understood || r.template_id != t) {
                fprintf(stderr, "template %d sample '%s' parsed as %d (%s)\n",
                        t, text, r.template_id, r.message);
                CHECK(false);
                break;
            }
        }

    /* Same rng, same texts; the rng advances. */
    uint64_t a = 7, b = 7;
    for (int i = 0; i < 100; i++) {
        char ta[PAN_WORLD_ACTION_MAX + 1], tb[PAN_WORLD_ACTION_MAX + 1];
        pan_world_sample_action(w, &a, PAN_SPLIT_ANY, ta, sizeof ta);
        pan_world_sample_action(w, &b, PAN_SPLIT_ANY, tb, sizeof tb);
        CHECK(strcmp(ta, tb) == 0);
    }
    CHECK(a == b && a != 7);

    pan_world_destroy(w);
    return test_exit_code("test_rooms_sample");
}
