/* core/json_excerpt.h: a JSON value as a short text for error messages.
 *
 * Contract: pan_json_excerpt writes the compact JSON of `v` into buf
 * (always NUL-terminated), cut with "..." when longer than the buffer;
 * "nothing" for NULL, "(unprintable)" when jansson cannot encode it.
 * Returns buf. Thread safety: pure.
 */
#ifndef PAN_CORE_JSON_EXCERPT_H
#define PAN_CORE_JSON_EXCERPT_H

#include <jansson.h>
#include <stddef.h>

const char *pan_json_excerpt(const json_t *v, char *buf, size_t size);

#endif
