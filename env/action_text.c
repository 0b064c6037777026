/* env/action_text.c: word splitting and number words. */
#include "env/action_text.h"

#include <string.h>

static bool is_word_byte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c >= 0x80;
}

void pan_words_split(const char *text, pan_words *out) {
    memset(out, 0, sizeof *out);
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        while (*p && !is_word_byte(*p)) p++;
        if (!*p) break;
        if (out->count == PAN_WORDS_MAX) {
            out->overflow = true;
            break;
        }
        char *word = out->word[out->count++];
        int length = 0;
        for (; *p && is_word_byte(*p); p++) {
            if (length == PAN_WORD_MAX - 1) {
                out->overflow = true;
                continue;
            }
            unsigned char c = *p;
            word[length++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
        word[length] = '\0';
    }
}

int pan_words_number(const char *word) {
    static const char *const names[] = {
        "zero", "one", "two", "three", "four", "five", "six",
        "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen",
        "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
        "twenty"};
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
        if (strcmp(word, names[i]) == 0) return i;
    int value = 0, digits = 0;
    for (const char *c = word; *c; c++) {
        if (*c < '0' || *c > '9' || digits == 3) return -1;
        value = value * 10 + (*c - '0');
        digits++;
    }
    return digits ? value : -1;
}

bool pan_words_is(const pan_words *w, int i, const char *s) {
    return i >= 0 && i < w->count && strcmp(w->word[i], s) == 0;
}

int pan_words_find(const pan_words *w, int from, const char *s) {
    for (int i = from < 0 ? 0 : from; i < w->count; i++)
        if (strcmp(w->word[i], s) == 0) return i;
    return -1;
}

void pan_words_remove(pan_words *w, int i) {
    if (i < 0 || i >= w->count) return;
    memmove(w->word[i], w->word[i + 1],
            (size_t)(w->count - i - 1) * sizeof w->word[0]);
    w->count--;
}
