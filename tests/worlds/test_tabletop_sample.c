/* tests/worlds/test_tabletop_sample.c: the tabletop action sampler respects
 * the held-out split: 10k PAN_SPLIT_TRAIN actions contain no held-out
 * template or combination, PAN_SPLIT_HELDOUT ones are all held out, and
 * every sampled action is understood in the state it was sampled for; the
 * splits cover what they should; sampling is deterministic (label "unit"). */
#include <stdio.h>
#include <string.h>

#include "tests/worlds/test_tabletop_util.h"

#define N_ACTIONS 10000

static uint8_t frame[64 * 64 * 3], frames[4 * 64 * 64 * 3];

typedef struct coverage {
    int templates[64];
    int combos[16];
    int heldout, kinds[3];
} coverage;

/* Samples N_ACTIONS actions of `split` over episodes of 16 steps, parses
 * each before stepping it; returns the number of violations. */
static int run_split(pan_world *w, pan_split split, coverage *c) {
    memset(c, 0, sizeof *c);
    uint64_t rng = 1000 + (uint64_t)split;
    int violations = 0;
    for (int n = 0; n < N_ACTIONS; n++) {
        if (n % 16 == 0) CHECK_STATUS(pan_world_reset(w, (uint64_t)n, frame), PAN_OK);
        char text[PAN_WORLD_ACTION_MAX + 1];
        CHECK_STATUS(pan_world_sample_action(w, &rng, split, text, sizeof text), PAN_OK);
        pan_action_result r;
        CHECK_STATUS(pan_world_parse(w, text, &r), PAN_OK);
        bool ok = r.understood && strlen(text) < PAN_WORLD_ACTION_MAX;
        if (split == PAN_SPLIT_TRAIN) ok = ok && !r.heldout;
        if (split == PAN_SPLIT_HELDOUT) ok = ok && r.heldout;
        if (ok && split == PAN_SPLIT_TRAIN) ok = !tt_templates[r.template_id].heldout;
        if (!ok && violations++ < 10)
            fprintf(stderr, "split %d: \"%s\" -> understood=%d heldout=%d "
                    "template=%d (%s)\n", (int)split, text, r.understood,
                    r.heldout, r.template_id, r.message);
        if (r.understood) {
            c->templates[r.template_id]++;
            c->heldout += r.heldout;
            c->kinds[r.kind]++;
            /* which held-out combination, if any */
            pan_world_state s;
            CHECK_STATUS(pan_world_get_state(w, &s), PAN_OK);
            for (int k = 0; k < tt_heldout_combo_count; k++) {
                const tt_combo *cb = &tt_heldout_combos[k];
                char want[64];
                snprintf(want, sizeof want, "move %s %s %s",
                         tt_colour_names[cb->colour], tt_shape_names[cb->shape],
                         tt_direction_names[cb->direction]);
                char all_way[80];
                snprintf(all_way, sizeof all_way, "move %s %s all the way %s",
                         tt_colour_names[cb->colour], tt_shape_names[cb->shape],
                         tt_direction_names[cb->direction]);
                size_t len = strlen(want); /* "move ... left 3", not "left of" */
                if ((strncmp(r.canonical, want, len) == 0 &&
                     r.canonical[len] == ' ' && r.canonical[len + 1] >= '0' &&
                     r.canonical[len + 1] <= '9') ||
                    strcmp(r.canonical, all_way) == 0)
                    c->combos[k]++;
            }
        }
        pan_action_result stepped;
        CHECK_STATUS(pan_world_step(w, text, frames, &stepped), PAN_OK);
        CHECK(stepped.understood == r.understood &&
              strcmp(stepped.canonical, r.canonical) == 0);
    }
    return violations;
}

static void test_splits(void) {
    pan_world *w = tt_test_world(64, 64, 4);
    if (!w) return;
    coverage train, heldout, any;
    CHECK(run_split(w, PAN_SPLIT_TRAIN, &train) == 0);
    CHECK(run_split(w, PAN_SPLIT_HELDOUT, &heldout) == 0);
    CHECK(run_split(w, PAN_SPLIT_ANY, &any) == 0);
    /* train: every ordinary template, no combination */
    for (int t = 0; t < tt_template_count; t++) {
        if (tt_templates[t].heldout) {
            CHECK(train.templates[t] == 0);
            CHECK(heldout.templates[t] > 50);
            CHECK(any.templates[t] > 0);
        } else {
            CHECK(train.templates[t] > 20);
            CHECK(any.templates[t] > 0);
        }
    }
    for (int k = 0; k < tt_heldout_combo_count; k++) {
        CHECK(train.combos[k] == 0);
        CHECK(heldout.combos[k] > 20);
    }
    CHECK(train.heldout == 0 && heldout.heldout == N_ACTIONS);
    CHECK(any.heldout > 0 && any.heldout < N_ACTIONS / 4);
    /* agent and environment actions in every split */
    CHECK(train.kinds[PAN_ACTION_AGENT] > N_ACTIONS / 2);
    CHECK(train.kinds[PAN_ACTION_ENVIRONMENT] > N_ACTIONS / 10);
    CHECK(heldout.kinds[PAN_ACTION_AGENT] > 0 && heldout.kinds[PAN_ACTION_ENVIRONMENT] > 0);
    printf("sampler: train %d agent / %d env; heldout %d agent / %d env; "
           "any %d held out\n", train.kinds[PAN_ACTION_AGENT],
           train.kinds[PAN_ACTION_ENVIRONMENT], heldout.kinds[PAN_ACTION_AGENT],
           heldout.kinds[PAN_ACTION_ENVIRONMENT], any.heldout);
    pan_world_destroy(w);
}

/* With no object on the table the sampler still finds actions. */
static void test_empty_table(void) {
    pan_world *w = tt_test_world(64, 64, 4);
    if (!w) return;
    pan_world_state s = tt_test_empty();
    uint64_t rng = 3;
    for (int split = 0; split < 3; split++)
        for (int n = 0; n < 200; n++) {
            CHECK_STATUS(pan_world_set_state(w, &s), PAN_OK);
            char text[PAN_WORLD_ACTION_MAX + 1];
            CHECK_STATUS(pan_world_sample_action(w, &rng, (pan_split)split, text, sizeof text), PAN_OK);
            pan_action_result r;
            CHECK_STATUS(pan_world_parse(w, text, &r), PAN_OK);
            CHECK(r.understood && r.kind == PAN_ACTION_ENVIRONMENT);
            CHECK(split != PAN_SPLIT_HELDOUT || r.heldout);
            CHECK(split != PAN_SPLIT_TRAIN || !r.heldout);
        }
    pan_world_destroy(w);
}

/* Same state and RNG: same text; the RNG advances; the world does not. */
static void test_deterministic(void) {
    pan_world *w = tt_test_world(64, 64, 4);
    if (!w) return;
    pan_world_state before, after;
    CHECK_STATUS(pan_world_get_state(w, &before), PAN_OK);
    uint64_t r1 = 77, r2 = 77;
    for (int n = 0; n < 100; n++) {
        char a[PAN_WORLD_ACTION_MAX + 1], b[PAN_WORLD_ACTION_MAX + 1];
        CHECK_STATUS(pan_world_sample_action(w, &r1, PAN_SPLIT_ANY, a, sizeof a), PAN_OK);
        CHECK_STATUS(pan_world_sample_action(w, &r2, PAN_SPLIT_ANY, b, sizeof b), PAN_OK);
        CHECK(strcmp(a, b) == 0 && r1 == r2);
    }
    CHECK(r1 != 77);
    CHECK_STATUS(pan_world_get_state(w, &after), PAN_OK);
    CHECK(tt_test_same_state(&before, &after));
    pan_world_destroy(w);
}

int main(void) {
    test_splits();
    test_empty_table();
    test_deterministic();
    return test_exit_code("test_tabletop_sample");
}
