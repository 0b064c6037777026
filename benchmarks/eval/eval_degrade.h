/* benchmarks/eval/eval_degrade.h: the detector measured on true frames
 * degraded the way a generative model degrades them, and on wrong frames
 * under the same degradations (docs/worlds.md, the Detector sections).
 *
 * Contract
 * - A pan_degrade is a degradation model of one predicted frame, applied in
 *   this order to a true (H, W, 3) uint8 frame, in float:
 *     1. blur: separable Gaussian of standard deviation `blur` px (kernel
 *        radius ceil(3 blur), weights normalised, edges clamped);
 *     2. shift: the frame resampled bilinearly at a random sub-pixel offset
 *        (dx, dy), each uniform in [-shift, shift] px (edges clamped): edges
 *        fall between pixels and soften, positions move by at most `shift`;
 *     3. colour: per channel v * (1 + gain u) + offset u', u and u'
 *        uniform in [-1, 1), drawn once per frame and channel;
 *     4. noise: per value, Gaussian of standard deviation `noise` levels
 *        (core/rng.h's Box-Muller normals) or, for PAN_NOISE_UNIFORM,
 *        uniform in [-noise, noise];
 *     5. round half up, clamp to 0..255.
 *   Every draw comes from a SplitMix64 stream (core/rng.h) started at the
 *   caller's uint64 state, in a fixed order (dx, dy, 3 gains, 3 offsets,
 *   then the noise in raster order R, G, B): the same state gives the same
 *   frame. A zero strength draws nothing for that stage; "none" returns
 *   the frame unchanged.
 * - Presets (pan_degrade_preset), strengths in levels (of 255) and pixels:
 *     name       noise         blur    shift   gain   offset
 *     none       0             0       0       0      0
 *     mild       gaussian 4    0.4     0.15    0.02   2
 *     moderate   gaussian 8    0.7     0.3     0.03   3
 *     strong     gaussian 16   1.0     0.5     0.06   6
 *     uniform8   uniform +-8   0       0       0      0
 *     uniform16  uniform +-16  0       0       0      0
 *   mild and moderate are "correct but imperfect" frames: the detector must
 *   read them as correct; strong is past that; uniform8/16 are the noise of
 *   the detector's earlier accuracy figures.
 * - pan_eval_detector_agreement measures a world's detector on n_frames
 *   true frames of random episodes (64x64, K = 4, 8 steps of PAN_SPLIT_ANY
 *   actions per episode, every frame of every step: mid-motion frames at
 *   their eased positions included). Tabletop episode e starts with the
 *   lights at level e mod 3 (on 1, dim 0.55, off 0.25); actions change
 *   them, and by_level tallies each frame under its true level. Rooms
 *   episodes start at the map's start cell; by_level[0] holds every frame.
 *   Each frame is degraded (rng from `seed`), detected and scored:
 *     a true object is found when a detection of its colour and shape lies
 *     within 2 px (Euclidean, centres in frame pixels; nearest unused
 *     detection); found_1px / found_2px count those within 1 / 2 px;
 *     every unmatched detection is a false detection; brightness
 *     (tabletop) is right within PAN_EVAL_BRIGHTNESS_TOL; the camera
 *     estimate (rooms, frames with a visible landmark) within
 *     PAN_EVAL_CAMERA_TOL cells on both axes (true camera = (ox + W/2) / 4,
 *     ox the frame's window origin, so mid-motion frames count too).
 *   A frame is correct when every visible object is found within 1 px,
 *   nothing false is detected and the brightness / camera is right;
 *   agreement = frames_correct / frames. with_objects tallies again the
 *   frames showing at least one object.
 * - pan_eval_detector_wrong builds, from the true frames of the same kind
 *   of episodes, wrong frames of each applicable pan_wrong_kind, degrades
 *   them with d and counts how many the detector reads as entirely correct
 *   against the truth (`passed`: should be 0) and as entirely correct
 *   against what was drawn (`as_drawn`: the detector reads the wrong
 *   frame for what it is). Truths without a visible object are skipped.
 * - Errors: INVALID_ARGUMENT (a NULL pointer, a strength out of range, n
 *   out of 1..PAN_EVAL_MAX_FRAMES), NOT_FOUND (unknown world or preset),
 *   RESOURCE_EXHAUSTED, or a world's own error; the message says what was
 *   expected and found. `out` is zeroed first.
 * - Thread safety: every call creates its own worlds; calls on different
 *   threads are independent.
 */
#ifndef PAN_BENCHMARKS_EVAL_EVAL_DEGRADE_H
#define PAN_BENCHMARKS_EVAL_EVAL_DEGRADE_H

#include <stdint.h>

#include "core/status.h"

#define PAN_EVAL_LEVELS 3             /* tabletop light levels: on, dim, off */
#define PAN_EVAL_BRIGHTNESS_TOL 0.05f /* brightness right within this */
#define PAN_EVAL_CAMERA_TOL 0.25f     /* cells (1 px) */
#define PAN_EVAL_MAX_FRAMES 10000000

typedef enum pan_noise_kind {
    PAN_NOISE_GAUSSIAN = 0, /* standard deviation `noise` levels */
    PAN_NOISE_UNIFORM       /* uniform in [-noise, noise] levels */
} pan_noise_kind;

typedef struct pan_degrade {
    int noise_kind; /* pan_noise_kind */
    float noise;    /* levels, 0..64 */
    float blur;     /* Gaussian standard deviation in px, 0..3 */
    float shift;    /* max sub-pixel offset in px per axis, 0..1 */
    float gain;     /* max relative per-channel gain change, 0..0.5 */
    float offset;   /* max per-channel offset in levels, 0..64 */
} pan_degrade;

/* NULL-terminated: {"none", "mild", "moderate", "strong", "uniform8",
 * "uniform16", NULL}. */
const char *const *pan_degrade_preset_names(void);

/* The preset `name`; NOT_FOUND (listing the names) otherwise. */
pan_status pan_degrade_preset(const char *name, pan_degrade *out);

/* INVALID_ARGUMENT naming the field when a strength is out of range. */
pan_status pan_degrade_check(const pan_degrade *d);

/* Degrades frame (height, width, 3) in place, drawing from *rng
 * (advanced). width, height 1..4096. */
pan_status pan_degrade_frame(const pan_degrade *d, uint64_t *rng, int width,
                             int height, uint8_t *frame);

/* Tallies of one set of frames. */
typedef struct pan_detector_tally {
    long frames;
    long frames_correct;     /* read entirely correctly */
    long objects;            /* visible true objects */
    long found_1px;          /* right colour and shape within 1 px */
    long found_2px;          /* ... within 2 px */
    long false_detections;   /* detections matching no true object */
    long brightness_checked; /* tabletop: every frame */
    long brightness_ok;      /* within PAN_EVAL_BRIGHTNESS_TOL */
    long camera_checked;     /* rooms: frames with a visible landmark */
    long camera_ok;          /* within PAN_EVAL_CAMERA_TOL on both axes */
} pan_detector_tally;

typedef struct pan_detector_agreement {
    pan_detector_tally all;
    /* tabletop: frames whose true brightness is on (1), dim (0.55), off
     * (0.25); rooms: by_level[0] = all */
    pan_detector_tally by_level[PAN_EVAL_LEVELS];
    /* the frames whose truth shows at least one object (rooms: about half
     * the frames show no landmark) */
    pan_detector_tally with_objects;
    double agreement;       /* all.frames_correct / all.frames */
    double detect_seconds;  /* wall time inside pan_world_detect */
} pan_detector_agreement;

pan_status pan_eval_detector_agreement(const char *world_name,
                                       const pan_degrade *d, int n_frames,
                                       uint64_t seed,
                                       pan_detector_agreement *out);

typedef enum pan_wrong_kind {
    PAN_WRONG_SHIFT = 0, /* one visible object drawn 3 px away (x or y) */
    PAN_WRONG_MISSING,   /* one visible object not drawn */
    PAN_WRONG_EXTRA,     /* an object drawn that the truth does not have */
    PAN_WRONG_COLOUR,    /* one visible object drawn in another colour */
    PAN_WRONG_LIGHTS,    /* tabletop: the frame at another light level */
    PAN_WRONG_CAMERA,    /* rooms: the window one cell (4 px) off */
    PAN_WRONG_KINDS
} pan_wrong_kind;

/* "shift", "missing", "extra", "colour", "lights", "camera"; "?" else. */
const char *pan_wrong_kind_name(int kind);

typedef struct pan_detector_wrong {
    long frames[PAN_WRONG_KINDS];   /* wrong frames built (0: kind n/a) */
    long passed[PAN_WRONG_KINDS];   /* read as correct for the truth */
    long as_drawn[PAN_WRONG_KINDS]; /* read as correct for what is drawn */
} pan_detector_wrong;

/* n_frames true frames, each giving one wrong frame of every applicable
 * kind (when one can be built: room on the table, a free pair...). */
pan_status pan_eval_detector_wrong(const char *world_name,
                                   const pan_degrade *d, int n_frames,
                                   uint64_t seed, pan_detector_wrong *out);

#endif
