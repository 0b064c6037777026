/* tests/client/test_scripted_policy.c: the scripted tabletop policy
 * (agents/c/scripted_policy.h) in-process, against the real world and the
 * real vector env (no server):
 * - bad arguments are errors and write nothing;
 * - hand-built situations (free path, centre from an off-grid spot, a
 *   blocker on the path, the target corner occupied, a boxed-in object)
 *   are solved closed-loop with the real tabletop world within a few
 *   steps, every action a directional "move ... by N" the world
 *   understands, and the task's own evaluator agrees;
 * - random goals through pan_vec_env (task "random", 50 steps max): the
 *   success rate is printed and must be >= 95% over 200 episodes (argv[1]
 *   sets another count). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/c/scripted_policy.h"
#include "env/env.h"
#include "env/task.h"
#include "env/world.h"
#include "tests/test_util.h"

static const pan_scripted_view view64 = {64, 64};

/* "move the <colour> <shape> <dir> by <n>" with n in 1..20, or "wait". */
static int is_directional(const char *a) {
    static const char *const dirs[] = {"left", "right", "up", "down"};
    char colour[16], shape[16], dir[16];
    int n = 0, used = 0;
    if (strcmp(a, "wait") == 0) return 1;
    if (sscanf(a, "move the %15s %15s %15s by %d%n", colour, shape, dir, &n, &used) != 4)
        return 0;
    if (a[used] != '\0' || n < 1 || n > 20) return 0;
    for (int i = 0; i < 4; i++)
        if (strcmp(dir, dirs[i]) == 0) return 1;
    return 0;
}

static void test_errors(void) {
    float latent[PAN_SCRIPTED_LATENT_SIZE] = {0};
    latent[4 * 1] = 1.0f; /* red circle at (32, 32), size 6 */
    latent[4 * 1 + 1] = 0.5f;
    latent[4 * 1 + 2] = 0.5f;
    latent[4 * 1 + 3] = 0.75f;
    latent[72] = 1.0f;
    char action[PAN_SCRIPTED_ACTION_MAX];
    strcpy(action, "untouched");
    const char *goal = "put the red circle in the top left corner";
    CHECK_STATUS(pan_scripted_policy_act(NULL, latent, 73, goal, action, sizeof action),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_scripted_policy_act(&view64, latent, 72, goal, action, sizeof action),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_scripted_policy_act(&view64, latent, 73, goal, action, 8),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_scripted_policy_act(&view64, latent, 73, "move the red circle left",
                                         action, sizeof action),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(pan_scripted_policy_act(&view64, latent, 73,
                                         "put the blue square in the centre", action,
                                         sizeof action),
                 PAN_ERR_NOT_FOUND);
    pan_scripted_view tiny = {8, 8};
    CHECK_STATUS(pan_scripted_policy_act(&tiny, latent, 73, goal, action, sizeof action),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(strcmp(action, "untouched") == 0);
    CHECK_STATUS(pan_scripted_policy_act(&view64, latent, 73, goal, action, sizeof action),
                 PAN_OK);
    CHECK(is_directional(action) && strcmp(action, "wait") != 0);
    /* already there: wait */
    CHECK_STATUS(pan_scripted_policy_act(&view64, latent, 73,
                                         "put the red circle in the centre", action,
                                         sizeof action),
                 PAN_OK);
    CHECK(strcmp(action, "wait") == 0);
}

typedef struct obj { int colour, shape; float x, y; } obj;

/* Runs the policy closed-loop on the real world from a hand-built state;
 * returns the steps used, or -1 when max_steps did not suffice. */
static int solve(const char *name, const obj *objs, int n, const char *goal_text,
                 int max_steps) {
    pan_world_config cfg = pan_world_config_default();
    pan_world *world = NULL;
    CHECK_STATUS(pan_world_create("tabletop", &cfg, &world), PAN_OK);
    if (!world) return -1;
    pan_world_state st;
    memset(&st, 0, sizeof st);
    st.brightness = 1.0f;
    st.seed = 1;
    st.rng = 1;
    for (int i = 0; i < n; i++)
        st.objects[st.n_objects++] = (pan_object_state){
            objs[i].colour, objs[i].shape, objs[i].x, objs[i].y, 6.0f, true};
    CHECK_STATUS(pan_world_set_state(world, &st), PAN_OK);
    pan_goal goal;
    CHECK_STATUS(pan_task_parse_goal("tabletop", goal_text, &goal), PAN_OK);
    uint8_t *frames = malloc((size_t)cfg.frames_per_step * 64 * 64 * 3); /* (K, H, W, 3) */
    float latent[PAN_SCRIPTED_LATENT_SIZE];
    int used = -1;
    for (int t = 0; t <= max_steps; t++) {
        CHECK_STATUS(pan_world_get_state(world, &st), PAN_OK);
        float reward = 0.0f;
        bool success = false;
        pan_task_input in = {.state = &st};
        CHECK_STATUS(pan_task_evaluate(&goal, &cfg, &in, &reward, &success), PAN_OK);
        if (success) {
            used = t;
            break;
        }
        if (t == max_steps) break;
        CHECK(pan_world_state_vector(world, &st, latent) == PAN_SCRIPTED_LATENT_SIZE);
        char action[PAN_SCRIPTED_ACTION_MAX];
        CHECK_STATUS(pan_scripted_policy_act(&view64, latent, PAN_SCRIPTED_LATENT_SIZE,
                                             goal_text, action, sizeof action),
                     PAN_OK);
        if (!is_directional(action) || strcmp(action, "wait") == 0) {
            fprintf(stderr, "%s: step %d: not a directional move: '%s'\n", name, t, action);
            CHECK(0);
            break;
        }
        pan_action_result r;
        CHECK_STATUS(pan_world_step(world, action, frames, &r), PAN_OK);
        if (!r.understood) {
            fprintf(stderr, "%s: '%s' not understood: %s\n", name, action, r.message);
            CHECK(0);
        }
    }
    printf("  %-28s %s in %d steps\n", name, used >= 0 ? "solved" : "NOT solved", used);
    free(frames);
    pan_world_destroy(world);
    return used;
}

static void test_situations(void) {
    enum { R = PAN_COLOUR_RED, G = PAN_COLOUR_GREEN, B = PAN_COLOUR_BLUE,
           Y = PAN_COLOUR_YELLOW, P = PAN_COLOUR_PURPLE, O = PAN_COLOUR_ORANGE };
    enum { SQ = PAN_SHAPE_SQUARE, CI = PAN_SHAPE_CIRCLE, TR = PAN_SHAPE_TRIANGLE };
    /* free path: one move per wall */
    obj free_path[] = {{R, CI, 30, 35}, {G, SQ, 50, 12}};
    int s = solve("free path to a corner", free_path, 2,
                  "put the red circle in the bottom left corner", 4);
    CHECK(s >= 1 && s <= 2);
    /* the centre from an off-grid spot: needs walls as references */
    obj centre[] = {{B, TR, 29, 41}, {Y, CI, 50, 50}};
    s = solve("centre from off-grid", centre, 2, "put the blue triangle in the centre", 8);
    CHECK(s >= 1 && s <= 4);
    /* a blocker on the straight path to the left edge */
    obj blocked[] = {{R, SQ, 40, 30}, {G, CI, 20, 30}};
    s = solve("blocker on the path", blocked, 2, "put the red square in the left edge", 6);
    CHECK(s >= 1 && s <= 3);
    /* the target corner is occupied */
    obj occupied[] = {{P, CI, 30, 30}, {O, SQ, 8, 8}};
    s = solve("corner occupied", occupied, 2,
              "put the purple circle in the top left corner", 8);
    CHECK(s >= 1 && s <= 5);
    /* boxed in: walls left and up, objects right and below */
    obj boxed[] = {{Y, TR, 8, 8}, {R, CI, 21, 8}, {G, SQ, 8, 21}, {B, SQ, 21, 21}};
    s = solve("boxed in a corner", boxed, 4,
              "put the yellow triangle in the bottom right corner", 12);
    CHECK(s >= 1);
    /* a crowded table, centre goal with an object sitting at the centre */
    obj crowd[] = {{O, TR, 10, 50}, {R, SQ, 32, 32}, {G, TR, 50, 10},
                   {B, CI, 50, 50}, {P, SQ, 12, 12}};
    s = solve("crowded, centre taken", crowd, 5, "put the orange triangle in the centre", 12);
    CHECK(s >= 1);
}

/* Random goals through the real vector env; returns the success rate. */
static double run_random_goals(int episodes, int num_envs, uint64_t seed) {
    pan_env_config cfg = pan_env_config_default();
    cfg.num_envs = num_envs;
    cfg.obs_mode = PAN_OBS_LATENT;
    cfg.max_episode_steps = 50;
    pan_vec_env *env = NULL;
    CHECK_STATUS(pan_vec_env_create(&cfg, &env), PAN_OK);
    if (!env) return 0.0;
    int N = num_envs, D = PAN_SCRIPTED_LATENT_SIZE;
    float *latent = malloc(sizeof(float) * (size_t)N * (size_t)D); /* (N, 1, D) */
    pan_env_info *infos = calloc((size_t)N, sizeof *infos);
    float *rewards = malloc(sizeof(float) * (size_t)N);
    bool *term = malloc((size_t)N), *trunc = malloc((size_t)N);
    char (*actions)[PAN_SCRIPTED_ACTION_MAX] = malloc((size_t)N * PAN_SCRIPTED_ACTION_MAX);
    const char **ptrs = malloc(sizeof(char *) * (size_t)N);
    uint64_t *seeds = malloc(sizeof(uint64_t) * (size_t)N);
    for (int i = 0; i < N; i++) seeds[i] = seed + (uint64_t)i;
    pan_obs_batch obs = {.frames = NULL, .latent = latent};
    pan_reset_options opt = {.task = "random"};
    CHECK_STATUS(pan_vec_env_reset(env, seeds, &opt, &obs, infos), PAN_OK);
    int done = 0, solved = 0, steps = 0;
    while (done < episodes && steps < episodes * 60) {
        for (int i = 0; i < N; i++) {
            pan_status st = pan_scripted_policy_act(&view64, latent + (size_t)i * D, D,
                                                    infos[i].task, actions[i],
                                                    sizeof actions[i]);
            CHECK_STATUS(st, PAN_OK);
            if (st != PAN_OK) snprintf(actions[i], sizeof actions[i], "wait");
            ptrs[i] = actions[i];
        }
        CHECK_STATUS(pan_vec_env_step(env, ptrs, &obs, rewards, term, trunc, infos, NULL,
                                      NULL, NULL),
                     PAN_OK);
        steps++;
        for (int i = 0; i < N && done < episodes; i++) {
            if (!term[i] && !trunc[i]) continue;
            done++;
            solved += term[i] && rewards[i] > 0.0f;
            if (!term[i])
                printf("  not solved: env %d seed %llu task '%s' (last action '%s')\n", i,
                       (unsigned long long)infos[i].seed, infos[i].task, actions[i]);
        }
    }
    printf("  random goals: %d/%d solved (seed %llu, %d envs, %d batched steps)\n",
           solved, done, (unsigned long long)seed, N, steps);
    free(latent); free(infos); free(rewards); free(term); free(trunc);
    free(actions); free(ptrs); free(seeds);
    pan_vec_env_destroy(env);
    return done ? (double)solved / done : 0.0;
}

int main(int argc, char **argv) {
    int episodes = argc > 1 ? atoi(argv[1]) : 200; /* more for a longer check */
    if (episodes < 1) episodes = 200;
    test_errors();
    test_situations();
    double rate = run_random_goals(episodes, 4, 1000);
    CHECK(rate >= 0.95);
    return test_exit_code("test_scripted_policy");
}
