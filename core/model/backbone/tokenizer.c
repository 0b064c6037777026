/* core/model/backbone/tokenizer.c: the byte-level action tokenizer (docs/model.md,
 * "Tokenizer"): byte b is token b; specials follow at 256..261. */
#include "core/model/backbone/tokenizer.h"

#include <stdint.h>

pan_status pan_tokenizer_encode(const void *text, size_t length,
                                size_t max_bytes, int32_t *ids, int *count) {
    if (length > max_bytes)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "tokenizer: action text is %zu bytes, expected "
                             "at most max_action_bytes = %zu", length,
                             max_bytes);
    if ((length && (!text || !ids)) || !count || length > INT32_MAX)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "tokenizer: expected text, ids and count for "
                             "%zu bytes, found NULL", length);
    const unsigned char *bytes = text; /* (length) */
    for (size_t i = 0; i < length; i++) ids[i] = (int32_t)bytes[i];
    *count = (int)length;
    return PAN_OK;
}

const char *pan_token_name(int32_t id) {
    switch (id) {
    case PAN_TOKEN_PAD: return "<pad>";
    case PAN_TOKEN_USER: return "<user>";
    case PAN_TOKEN_ASSISTANT: return "<assistant>";
    case PAN_TOKEN_STATE: return "<state>";
    case PAN_TOKEN_QUERY: return "<query>";
    case PAN_TOKEN_END: return "<end>";
    default: return NULL;
    }
}
