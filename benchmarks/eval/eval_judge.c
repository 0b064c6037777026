/* benchmarks/eval/eval_judge.c: scenes, object matching and the 0-3 rubric
 * (eval_judge.h). */
#include "benchmarks/eval/eval_judge.h"

#include <math.h>
#include <string.h>

/* Rooms draws every map cell as 4x4 pixels at any frame size
 * (docs/worlds.md, "Rooms: units and geometry"). */
#define ROOMS_PX_PER_CELL 4.0f
#define COS_45 0.70710678

bool pan_eval_world_is_rooms(const pan_world *world) {
    return !strcmp(pan_world_name(world), "rooms");
}

void pan_eval_scene_from_state(const pan_world *world, const pan_world_state *state,
                               pan_eval_scene *scene) {
    memset(scene, 0, sizeof *scene);
    pan_world_config wc = pan_world_get_config(world);
    bool rooms = pan_eval_world_is_rooms(world);
    scene->brightness = state->brightness;
    for (int i = 0; i < state->n_objects && i < PAN_WORLD_MAX_OBJECTS; i++) {
        const pan_object_state *o = &state->objects[i];
        if (!o->visible) continue;
        pan_eval_object *e = &scene->objects[scene->n++];
        e->colour = o->colour;
        e->shape = o->shape;
        if (rooms) {
            e->x = (o->x - state->camera_x) * ROOMS_PX_PER_CELL + (float)(wc.width / 2);
            e->y = (o->y - state->camera_y) * ROOMS_PX_PER_CELL + (float)(wc.height / 2);
        } else {
            e->x = o->x;
            e->y = o->y;
        }
    }
    if (rooms) {
        scene->has_camera = true;
        scene->camera_x = (int)state->camera_x;
        scene->camera_y = (int)state->camera_y;
    }
}

pan_status pan_eval_scene_detect(pan_world *world, const uint8_t *frame,
                                 const pan_world_state *truth, pan_eval_scene *scene) {
    pan_world_state det;
    pan_status st = pan_world_detect(world, frame, &det);
    if (st != PAN_OK) return st;
    memset(scene, 0, sizeof *scene);
    scene->brightness = det.brightness;
    for (int i = 0; i < det.n_objects && i < PAN_WORLD_MAX_OBJECTS; i++) {
        pan_eval_object *e = &scene->objects[scene->n++];
        e->colour = det.objects[i].colour;
        e->shape = det.objects[i].shape;
        e->x = det.objects[i].x;
        e->y = det.objects[i].y;
    }
    if (pan_eval_world_is_rooms(world)) {
        double rms;
        st = pan_eval_register(world, frame, truth, &scene->has_camera, &scene->camera_x,
                               &scene->camera_y, &rms);
        if (st != PAN_OK) return st;
    }
    return PAN_OK;
}

/* Index of the reading of pair (c, s) nearest to (x, y) among those not yet
 * used, or -1. */
static int nearest(const pan_eval_scene *read, const bool *used, int c, int s, float x,
                   float y) {
    int best = -1;
    float bd = 0;
    for (int j = 0; j < read->n; j++) {
        const pan_eval_object *r = &read->objects[j];
        if (used[j] || r->colour != c || r->shape != s) continue;
        float d = (r->x - x) * (r->x - x) + (r->y - y) * (r->y - y);
        if (best < 0 || d < bd) best = j, bd = d;
    }
    return best;
}

void pan_eval_match_scenes(const pan_eval_scene *truth, const pan_eval_scene *read,
                           float tol, int width, pan_eval_match *m) {
    memset(m, 0, sizeof *m);
    m->true_objects = truth->n;
    m->read_objects = read->n;
    bool used[PAN_WORLD_MAX_OBJECTS] = {false};
    for (int i = 0; i < truth->n; i++) {
        const pan_eval_object *t = &truth->objects[i];
        int j = nearest(read, used, t->colour, t->shape, t->x, t->y);
        if (j < 0) {
            m->error_missing += 0.5 * width;
            continue;
        }
        used[j] = true;
        double d = hypot(read->objects[j].x - t->x, read->objects[j].y - t->y);
        m->found++;
        m->error_sum += d;
        if (d <= tol) m->within++;
    }
    m->extra = read->n - m->found;
}

/* ---- the rubric --------------------------------------------------------- */

/* What happened to one pair between two scenes. */
typedef struct pair_change {
    bool before, after;    /* present */
    float dx, dy;          /* displacement when present in both */
} pair_change;

static const pan_eval_object *find_pair(const pan_eval_scene *s, int c, int sh,
                                        const pan_eval_object *near) {
    const pan_eval_object *best = NULL;
    float bd = 0;
    for (int j = 0; j < s->n; j++) {
        const pan_eval_object *o = &s->objects[j];
        if (o->colour != c || o->shape != sh) continue;
        float d = near ? (o->x - near->x) * (o->x - near->x) +
                             (o->y - near->y) * (o->y - near->y)
                       : 0;
        if (!best || d < bd) best = o, bd = d;
    }
    return best;
}

static pair_change change_of(const pan_eval_scene *a, const pan_eval_scene *b, int c,
                             int sh) {
    pair_change ch = {0};
    const pan_eval_object *oa = find_pair(a, c, sh, NULL);
    const pan_eval_object *ob = find_pair(b, c, sh, oa);
    ch.before = oa != NULL;
    ch.after = ob != NULL;
    if (oa && ob) {
        ch.dx = ob->x - oa->x;
        ch.dy = ob->y - oa->y;
    }
    return ch;
}

static bool changed(const pair_change *ch, float tol) {
    return ch->before != ch->after ||
           (ch->before && hypot(ch->dx, ch->dy) > tol);
}

/* The direction of a predicted change agrees with the true one. */
static bool same_way(const pair_change *t, const pair_change *p) {
    if (t->before != p->before || t->after != p->after) return false;
    if (!(t->before && t->after)) return true; /* appear / remove */
    double nt = hypot(t->dx, t->dy), np = hypot(p->dx, p->dy);
    if (nt == 0 || np == 0) return false;
    return (t->dx * p->dx + t->dy * p->dy) / (nt * np) >= COS_45;
}

static bool scenes_equal(const pan_eval_scene *truth, const pan_eval_scene *read, float tol) {
    pan_eval_match m;
    pan_eval_match_scenes(truth, read, tol, 0, &m);
    return m.within == truth->n && m.extra == 0 &&
           fabsf(truth->brightness - read->brightness) <= PAN_EVAL_LIGHTS_TOLERANCE;
}

bool pan_eval_scene_same(bool rooms, const pan_eval_scene *truth, const pan_eval_scene *read,
                         float tol) {
    if (rooms)
        return read->has_camera && truth->has_camera && read->camera_x == truth->camera_x &&
               read->camera_y == truth->camera_y;
    return scenes_equal(truth, read, tol);
}

static int judge_tabletop(const pan_eval_scene *tb, const pan_eval_scene *ta,
                          const pan_eval_scene *rb, const pan_eval_scene *ra, float tol) {
    if (scenes_equal(ta, ra, tol)) return 3;
    int targets = 0, hit = 0, bystanders = 0, wrong = 0;
    for (int c = 0; c < PAN_COLOUR_COUNT; c++) {
        for (int sh = 0; sh < PAN_SHAPE_COUNT; sh++) {
            pair_change t = change_of(tb, ta, c, sh), p = change_of(rb, ra, c, sh);
            bool tc = changed(&t, tol), pc = changed(&p, tol);
            if (tc) {
                targets++;
                if (pc) {
                    hit++;
                    if (!same_way(&t, &p)) wrong++;
                } else {
                    wrong++;
                }
            } else if (pc) {
                bystanders++;
            }
        }
    }
    float tl = ta->brightness - tb->brightness, pl = ra->brightness - rb->brightness;
    bool tlc = fabsf(tl) > PAN_EVAL_LIGHTS_TOLERANCE, plc = fabsf(pl) > PAN_EVAL_LIGHTS_TOLERANCE;
    if (tlc) {
        targets++;
        if (plc) {
            hit++;
            if ((tl > 0) != (pl > 0)) wrong++;
        } else {
            wrong++;
        }
    } else if (plc) {
        bystanders++;
    }
    if (targets == 0) return bystanders ? 0 : 2;
    if (hit == 0) return 0;
    if (bystanders || wrong) return 1;
    return 2;
}

static int judge_rooms(const pan_eval_scene *tb, const pan_eval_scene *ta,
                       const pan_eval_scene *rb, const pan_eval_scene *ra) {
    if (!ra->has_camera) return 0;
    if (ra->camera_x == ta->camera_x && ra->camera_y == ta->camera_y) return 3;
    const pan_eval_scene *base = rb->has_camera ? rb : tb;
    int tx = ta->camera_x - tb->camera_x, ty = ta->camera_y - tb->camera_y;
    int px = ra->camera_x - base->camera_x, py = ra->camera_y - base->camera_y;
    if (tx == 0 && ty == 0) return px == 0 && py == 0 ? 2 : 0;
    if (px == 0 && py == 0) return 0;
    double cosv = (tx * px + ty * py) / (hypot(tx, ty) * hypot(px, py));
    return cosv >= COS_45 ? 2 : 1;
}

int pan_eval_judge_step(bool rooms, const pan_eval_scene *true_before,
                        const pan_eval_scene *true_after, const pan_eval_scene *read_before,
                        const pan_eval_scene *read_after, float tol) {
    return rooms ? judge_rooms(true_before, true_after, read_before, read_after)
                 : judge_tabletop(true_before, true_after, read_before, read_after, tol);
}
