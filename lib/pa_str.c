/* pa_str.c - UTF-8 validation, character counting and message quoting (see
 * pa_str.h). Knows nothing of reports or files. */
#include "pa_str.h"

#include <string.h>

/* Length of the well-formed sequence at s[0..len), or 0 when ill-formed
 * (Unicode 15, table 3-7). */
static size_t s_seq_len(const unsigned char *s, size_t len)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (len < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    }
    return n;
}

size_t pa_str_utf8_invalid_at(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t n = s_seq_len(u + i, len - i);
        if (n == 0)
            return i;
        i += n;
    }
    return len;
}

bool pa_str_utf8_valid(const char *s, size_t len)
{
    return pa_str_utf8_invalid_at(s, len) == len;
}

size_t pa_str_utf8_chars(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t chars = 0;
    for (size_t i = 0; i < len; chars++) {
        size_t n = s_seq_len(u + i, len - i);
        i += n ? n : 1;
    }
    return chars;
}

bool pa_str_is_ascii(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)s[i] >= 0x80)
            return false;
    }
    return true;
}

void pa_str_quote(char *out, size_t size, const char *text, size_t len)
{
    if (size == 0)
        return;
    const unsigned char *u = (const unsigned char *)text;
    /* When it does not all fit, keep room for "..." (if there is any). */
    size_t room = len < size ? len : (size > 4 ? size - 4 : size - 1);
    size_t o = 0, i = 0;
    while (i < len) {
        size_t n = s_seq_len(u + i, len - i);
        size_t in_n = n ? n : 1;
        if (o + in_n > room)
            break;
        if (n == 0 || u[i] < 0x20 || u[i] == 0x7F) {
            out[o++] = '?'; /* a control or stray byte would garble a log line */
        } else {
            memcpy(out + o, text + i, n);
            o += n;
        }
        i += in_n;
    }
    if (i < len && size > 4) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

bool pa_str_eq_ci(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}
