/* tests/model/test_tokenizer.c: the byte-level tokenizer -- every byte
 * maps to its id (NUL and non-UTF-8 included), the length limit is
 * inclusive and a longer text fails naming both lengths without touching
 * the ids, and the special tokens' ids and names. */
#include <stdio.h>
#include <string.h>

#include "core/model/backbone/tokenizer.h"
#include "tests/test_util.h"

int main(void) {
    unsigned char all[256];
    for (int i = 0; i < 256; i++) all[i] = (unsigned char)i;
    int32_t ids[300];
    int count = -1;
    CHECK_STATUS(pan_tokenizer_encode(all, 256, 256, ids, &count), PAN_OK);
    CHECK(count == 256);
    int ok = 1;
    for (int i = 0; i < 256; i++) ok &= ids[i] == i;
    CHECK(ok);

    /* UTF-8 text is its bytes; an embedded NUL counts. */
    const char text[] = "pick \xc3\xa9\0x";
    CHECK_STATUS(pan_tokenizer_encode(text, 9, 256, ids, &count), PAN_OK);
    CHECK(count == 9 && ids[0] == 'p' && ids[5] == 0xC3 && ids[6] == 0xA9 &&
          ids[7] == 0 && ids[8] == 'x');

    /* Empty text. */
    count = -1;
    CHECK_STATUS(pan_tokenizer_encode("", 0, 256, NULL, &count), PAN_OK);
    CHECK(count == 0);

    /* Too long: INVALID_ARGUMENT naming both lengths, ids untouched. */
    for (int i = 0; i < 300; i++) ids[i] = -7;
    count = -1;
    CHECK_STATUS(pan_tokenizer_encode(all, 257 - 1, 255, ids, &count),
                 PAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pan_error_message(), "256 bytes") != NULL);
    CHECK(strstr(pan_error_message(), "255") != NULL);
    CHECK(ids[0] == -7 && count == -1);
    CHECK_STATUS(pan_tokenizer_encode(all, 10, 256, NULL, &count),
                 PAN_ERR_INVALID_ARGUMENT);

    /* Specials. */
    CHECK(PAN_TOKEN_PAD == 256 && PAN_TOKEN_USER == 257 &&
          PAN_TOKEN_ASSISTANT == 258 && PAN_TOKEN_STATE == 259 &&
          PAN_TOKEN_QUERY == 260 && PAN_TOKEN_END == 261 &&
          PAN_TOKEN_COUNT == 262);
    CHECK(strcmp(pan_token_name(PAN_TOKEN_USER), "<user>") == 0);
    CHECK(strcmp(pan_token_name(PAN_TOKEN_ASSISTANT), "<assistant>") == 0);
    CHECK(strcmp(pan_token_name(PAN_TOKEN_STATE), "<state>") == 0);
    CHECK(strcmp(pan_token_name(PAN_TOKEN_QUERY), "<query>") == 0);
    CHECK(strcmp(pan_token_name(PAN_TOKEN_END), "<end>") == 0);
    CHECK(strcmp(pan_token_name(PAN_TOKEN_PAD), "<pad>") == 0);
    CHECK(pan_token_name('a') == NULL && pan_token_name(0) == NULL);
    CHECK(pan_token_name(262) == NULL && pan_token_name(-1) == NULL);
    return test_exit_code("test_tokenizer");
}
