/* core/tools/text_file.c: a whole text file (contract in text_file.h). */
#include "core/tools/text_file.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"

char *pan_text_file_read(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        pan_error_set(PAN_ERR_NOT_FOUND, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t size = 0, cap = 4096;
    char *text = malloc(cap);
    while (text) {
        size_t n = fread(text + size, 1, cap - size - 1, f);
        size += n;
        if (n == 0) break;
        if (size + 1 == cap) {
            char *grown = realloc(text, cap *= 2);
            if (!grown) free(text);
            text = grown;
        }
    }
    bool failed = ferror(f) != 0;
    fclose(f);
    if (!text) {
        pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "cannot read %s: out of memory", path);
        return NULL;
    }
    if (failed) {
        free(text);
        pan_error_set(PAN_ERR_IO, "cannot read %s", path);
        return NULL;
    }
    text[size] = '\0';
    return text;
}
