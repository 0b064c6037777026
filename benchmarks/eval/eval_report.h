/* benchmarks/eval/eval_report.h: pan-eval's reports: report.json (every
 * number, with the subject, its config, the commit and the machine) and
 * report.md (the table beside PAN's published numbers, which come from a
 * different setting: a VLM judge on real video).
 *
 * Contract
 * - pan_eval_report_meta says where and how a run was made; every string is
 *   borrowed. pan_eval_meta_fill fills commit (the build's, given by the
 *   caller: "<hash>[-dirty]" or "unknown"), machine (CPU model, cores,
 *   kernel, load average) and date (UTC).
 * - pan_eval_report_write writes DIR/report.json and DIR/report.md
 *   atomically (a temporary file renamed); DIR must exist. IO errors name
 *   the file. NaN statistics are JSON null and "-" in markdown.
 * - Thread safety: none needed (no shared state).
 */
#ifndef PAN_BENCHMARKS_EVAL_EVAL_REPORT_H
#define PAN_BENCHMARKS_EVAL_EVAL_REPORT_H

#include "benchmarks/eval/eval.h"

typedef struct pan_eval_report_meta {
    char commit[64];
    char machine[256];
    char date[32];
    const char *command;      /* the command line */
    const char *config_json;  /* the model's config, or NULL */
    const pan_eval_config *config; /* resolved */
    const char *pictures[16]; /* file names written beside the report */
    int n_pictures;
} pan_eval_report_meta;

void pan_eval_meta_fill(pan_eval_report_meta *meta, const char *commit);

pan_status pan_eval_report_write(const char *dir, const pan_eval_result *r,
                                 const pan_eval_report_meta *meta);

#endif
