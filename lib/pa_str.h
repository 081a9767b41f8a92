/* pa_str.h - UTF-8 text as people read it: validation, counting characters
 * (not bytes) and quoting a field into a message without splitting a
 * character. A leaf: no allocation, no I/O, no other pingan module. */
#ifndef PA_STR_H
#define PA_STR_H

#include <stdbool.h>
#include <stddef.h>

/* Offset of the first byte of s[0..len) that does not belong to a well-formed
 * UTF-8 sequence (overlong forms, surrogates and code points above U+10FFFF
 * are ill-formed), or len when all of it is valid. */
size_t pa_str_utf8_invalid_at(const char *s, size_t len);

/* True when s[0..len) is valid UTF-8. */
bool pa_str_utf8_valid(const char *s, size_t len);

/* Characters (code points) in s[0..len); each ill-formed byte counts as one. */
size_t pa_str_utf8_chars(const char *s, size_t len);

/* True when every byte of s[0..len) is ASCII. */
bool pa_str_is_ascii(const char *s, size_t len);

/* Copies text[0..len) into out (size bytes, always terminated) for quoting in
 * a message: cut at a character boundary with "..." when it does not fit,
 * control characters and ill-formed bytes shown as '?'. */
void pa_str_quote(char *out, size_t size, const char *text, size_t len);

/* ASCII case-insensitive comparison of a[0..alen) with the string b. */
bool pa_str_eq_ci(const char *a, size_t alen, const char *b);

#endif
