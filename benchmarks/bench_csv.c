/* benchmarks/bench_csv.c: the machine-readable rows of `--csv FILE`
 * (contract in bench.h), read by benchmarks/harness. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchmarks/bench.h"

struct bench_csv {
    FILE *f;
    char *path;
};

/* One field, quoted when it holds a comma, a quote or a line break. */
static void put_text(FILE *f, const char *s) {
    if (!s) s = "";
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void put_number(FILE *f, double v) {
    if (isfinite(v)) fprintf(f, "%.9g", v);
}

bench_csv *bench_csv_open(const char *path, bool *failed) {
    if (!path) return NULL;
    bench_csv *csv = calloc(1, sizeof *csv);
    if (csv) csv->path = malloc(strlen(path) + 1);
    if (csv && csv->path) {
        strcpy(csv->path, path);
        csv->f = fopen(path, "w");
    }
    if (!csv || !csv->path || !csv->f) {
        fprintf(stderr, "bench: cannot create the CSV file %s\n", path);
        if (csv) free(csv->path);
        free(csv);
        *failed = true;
        return NULL;
    }
    fputs("case,metric,value,unit,peer,peer_value,note\n", csv->f);
    return csv;
}

void bench_csv_row(bench_csv *csv, const char *case_name, const char *metric,
                   double value, const char *unit, double peer_value,
                   const char *note) {
    bench_csv_peer_row(csv, case_name, metric, value, unit, NULL, peer_value, note);
}

void bench_csv_peer_row(bench_csv *csv, const char *case_name, const char *metric,
                        double value, const char *unit, const char *peer,
                        double peer_value, const char *note) {
    if (!csv) return;
    put_text(csv->f, case_name);
    fputc(',', csv->f);
    put_text(csv->f, metric);
    fputc(',', csv->f);
    put_number(csv->f, value);
    fputc(',', csv->f);
    put_text(csv->f, unit);
    fputc(',', csv->f);
    put_text(csv->f, peer);
    fputc(',', csv->f);
    put_number(csv->f, peer_value);
    fputc(',', csv->f);
    put_text(csv->f, note);
    fputc('\n', csv->f);
}

bool bench_csv_close(bench_csv *csv) {
    if (!csv) return true;
    bool ok = !ferror(csv->f);
    if (fclose(csv->f) != 0) ok = false;
    if (!ok) fprintf(stderr, "bench: error writing the CSV file %s\n", csv->path);
    free(csv->path);
    free(csv);
    return ok;
}
