/* benchmarks/eval/eval_subject_internal.h: what each subject kind provides
 * (internal to eval_subject*.c). eval_subject.c checks the public
 * arguments (n in range, n equal to the last reset's, NULL pointers)
 * before calling a kind. */
#ifndef PAN_BENCHMARKS_EVAL_EVAL_SUBJECT_INTERNAL_H
#define PAN_BENCHMARKS_EVAL_EVAL_SUBJECT_INTERNAL_H

#include "benchmarks/eval/eval_subject.h"

typedef struct pan_eval_subject_ops {
    void (*destroy)(pan_eval_subject *s);
    pan_status (*reset)(pan_eval_subject *s, int n, const uint64_t *seeds,
                        const pan_world_state *states, const uint8_t *frames);
    pan_status (*step)(pan_eval_subject *s, int n, const char *const *actions,
                       uint8_t *chunks);
} pan_eval_subject_ops;

struct pan_eval_subject {
    const pan_eval_subject_ops *ops;
    pan_eval_subject_kind kind;
    pan_world_config wc;
    int capacity;
    int n_reset;          /* n of the last successful reset, 0 = none */
    int64_t steps;
    char describe[256];
    char *config_json;    /* malloc'd, MODEL only */
    void *impl;
};

/* Kind constructors: fill s->ops, s->impl, s->wc, s->describe. */
pan_status pan_eval_subject_init_model(pan_eval_subject *s,
                                       const pan_eval_subject_config *cfg);
pan_status pan_eval_subject_init_server(pan_eval_subject *s,
                                        const pan_eval_subject_config *cfg);

/* An imaginer (eval_subject.h): resync restarts the imagining env from a
 * true frame; sim imagines in it. */
#include "agents/c/planner.h"
struct pan_eval_imaginer {
    pan_status (*resync)(pan_eval_imaginer *im, const uint8_t *frame, uint64_t seed,
                         const char *task);
    void (*destroy)(pan_eval_imaginer *im);
    pan_planner_sim sim;
    bool has_sim;
    void *impl;
};
pan_status pan_eval_imaginer_init_model(pan_eval_subject *s, pan_eval_imaginer *im);
pan_status pan_eval_imaginer_init_server(pan_eval_subject *s, pan_eval_imaginer *im);

/* Writes "crc32 XXXXXXXX, N bytes" of a file into buf (the report's model
 * hash); IO error when it cannot be read. */
pan_status pan_eval_file_crc32(const char *path, char *buf, size_t size);

#endif
