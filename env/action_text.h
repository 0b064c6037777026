/* env/action_text.h: splitting free-text actions into normalised words.
 *
 * Contract
 * - pan_words_split lower-cases ASCII letters, treats every byte that is not
 *   an ASCII letter or digit (spaces, punctuation) as a separator, and keeps
 *   bytes >= 0x80 inside words (so UTF-8 text never splits mid-character;
 *   such words simply match nothing). Digits and letters adjacent to each
 *   other stay one word ("3px"). At most PAN_WORDS_MAX words of at most
 *   PAN_WORD_MAX-1 bytes are kept; longer words are truncated and extra
 *   words dropped, and `overflow` says so (a parser should then reject).
 * - pan_words_number reads "0".."999" and the English words zero..twenty,
 *   "a"/"an" are NOT numbers; returns -1 for anything else.
 * - Pure functions, no state, thread-safe.
 */
#ifndef PAN_ENV_ACTION_TEXT_H
#define PAN_ENV_ACTION_TEXT_H

#include <stdbool.h>

#define PAN_WORDS_MAX 48
#define PAN_WORD_MAX 24

typedef struct pan_words {
    int count;
    bool overflow;
    char word[PAN_WORDS_MAX][PAN_WORD_MAX];
} pan_words;

void pan_words_split(const char *text, pan_words *out);

int pan_words_number(const char *word);

/* True if word i exists and equals s. */
bool pan_words_is(const pan_words *w, int i, const char *s);

/* Index of the first word equal to s at or after `from`, or -1. */
int pan_words_find(const pan_words *w, int from, const char *s);

/* Removes word i, shifting the rest down. */
void pan_words_remove(pan_words *w, int i);

#endif
