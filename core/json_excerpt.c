/* core/json_excerpt.c: see json_excerpt.h. */
#include "core/json_excerpt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *pan_json_excerpt(const json_t *v, char *buf, size_t size) {
    char *dump = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    if (!dump) {
        snprintf(buf, size, "%s", v ? "(unprintable)" : "nothing");
        return buf;
    }
    if (strlen(dump) >= size && size > 4)
        snprintf(buf, size, "%.*s...", (int)(size - 4), dump);
    else
        snprintf(buf, size, "%s", dump);
    free(dump);
    return buf;
}
