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

/* MODEL: a new vector env of one of the subject's model (eval_subject.h,
 * pan_eval_subject_imagination_env). */
struct pan_vec_env;
pan_status pan_eval_subject_model_env(const pan_eval_subject *s, int obs_mode,
                                      struct pan_vec_env **out);

/* Writes "crc32 XXXXXXXX, N bytes" of a file into buf (the report's model
 * hash); IO error when it cannot be read. */
pan_status pan_eval_file_crc32(const char *path, char *buf, size_t size);

#endif
