/* core/model/backbone/tokenizer.h: the byte-level action tokenizer.
 *
 * Contract
 * - Token ids 0..255 are bytes; the specials below follow. Any byte
 *   string is accepted (UTF-8 or not, NUL included; the length is
 *   explicit) up to `max_bytes`; longer is INVALID_ARGUMENT naming both
 *   lengths, and `ids` is untouched.
 * - pan_tokenizer_encode writes `length` ids into `ids` (room for
 *   `length`) and returns the count in *count.
 * - pan_token_name gives "<user>" etc. for specials, NULL for bytes and
 *   invalid ids.
 * - Thread safety: pure functions.
 */
#ifndef PAN_CORE_MODEL_BACKBONE_TOKENIZER_H
#define PAN_CORE_MODEL_BACKBONE_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

enum {
    PAN_TOKEN_PAD = 256,
    PAN_TOKEN_USER = 257,
    PAN_TOKEN_ASSISTANT = 258,
    PAN_TOKEN_STATE = 259,
    PAN_TOKEN_QUERY = 260,
    PAN_TOKEN_END = 261,
    PAN_TOKEN_COUNT = 262 /* the smallest valid vocab_size */
};

pan_status pan_tokenizer_encode(const void *text, size_t length,
                                size_t max_bytes, int32_t *ids, int *count);
const char *pan_token_name(int32_t id);

#endif
