/* benchmarks/eval/eval_report_internal.h: the two renderings of a result
 * (internal to eval_report*.c). */
#ifndef PAN_BENCHMARKS_EVAL_EVAL_REPORT_INTERNAL_H
#define PAN_BENCHMARKS_EVAL_EVAL_REPORT_INTERNAL_H

#include <stdio.h>

#include <jansson.h>

#include "benchmarks/eval/eval_report.h"

/* A new JSON object (caller owns the reference). */
json_t *pan_eval_report_json(const pan_eval_result *r, const pan_eval_report_meta *m);
void pan_eval_report_markdown(FILE *f, const pan_eval_result *r,
                              const pan_eval_report_meta *m);

#endif
