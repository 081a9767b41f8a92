/* pa_field.c - number grammar, revisions and trimming shared by the readers
 * (see pa_field.h). Judging values (negative, above a ceiling, numerator
 * above denominator) is the worker's; this only says what a text means. */
#include "pa_field.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pa_str.h"

#define S_NUMBER_TEXT_SIZE 128
#define S_QUOTE_SIZE       48

void pa_field_trim(const char **text, size_t *len)
{
    const char *s = *text;
    size_t n = *len;
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    *text = s;
    *len = n;
}

static bool s_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Length of the longest JSON number at the start of s[0..len), or 0; sets
 * *whole when it has neither fraction nor exponent. */
static size_t s_json_number(const char *s, size_t len, bool *whole)
{
    size_t i = 0;
    *whole = true;
    if (i < len && s[i] == '-')
        i++;
    if (i < len && s[i] == '0')
        i++;
    else if (i < len && s[i] >= '1' && s[i] <= '9')
        while (i < len && s_digit(s[i]))
            i++;
    else
        return 0;
    if (i < len && s[i] == '.') {
        if (i + 1 >= len || !s_digit(s[i + 1]))
            return i; /* "1." stops before the point */
        i++;
        while (i < len && s_digit(s[i]))
            i++;
        *whole = false;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < len && (s[j] == '+' || s[j] == '-'))
            j++;
        if (j >= len || !s_digit(s[j]))
            return i;
        while (j < len && s_digit(s[j]))
            j++;
        i = j;
        *whole = false;
    }
    return i;
}

/* Why text is not a number, for the common mistakes people make. */
static int s_not_a_number(const char *text, size_t len, pa_err_t *err)
{
    char q[S_QUOTE_SIZE];
    pa_str_quote(q, sizeof q, text, len);
    const char *hint = "";
    bool digits_commas = len > 0 && s_digit(text[0]);
    for (size_t i = 0; i < len && digits_commas; i++)
        digits_commas = s_digit(text[i]) || text[i] == ',' || text[i] == '.';
    if (digits_commas && memchr(text, ',', len))
        hint = " (no thousands separators: write 1234, not 1,234)";
    else if (len > 0 && text[len - 1] == '%')
        hint = " (no percent signs: rates are sent as numerator and denominator counts, "
               "e.g. 188,192)";
    else if (len > 0 && text[0] == '+')
        hint = " (no leading +)";
    else if (len > 0 && text[0] == '.')
        hint = " (write 0.5, not .5)";
    else if (len > 1 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
        hint = " (decimal digits only)";
    else if (len > 1 && text[0] == '0' && s_digit(text[1]))
        hint = " (no leading zeros)";
    return pa_err_set(err, PA_EINVAL, "'%s' is not a number%s", q, hint);
}

int pa_field_parse_number(const char *text, size_t len, pa_field_number_t *out, pa_err_t *err)
{
    int rc = PA_OK;
    char small[S_NUMBER_TEXT_SIZE];
    char *copy = small;
    pa_field_trim(&text, &len);
    bool whole = true;
    if (len == 0 || s_json_number(text, len, &whole) != len) {
        rc = s_not_a_number(text, len, err);
        goto cleanup;
    }
    /* strtod needs a terminated string; the text is a slice of a parser's
     * buffer. Long numbers are legal JSON, so copy them rather than refuse. */
    if (len >= sizeof small) {
        copy = malloc(len + 1);
        if (!copy) {
            copy = small;
            rc = pa_err_set(err, PA_ENOMEM, "out of memory for a number");
            goto cleanup;
        }
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    errno = 0;
    double v = strtod(copy, NULL);
    char q[S_QUOTE_SIZE];
    if (isinf(v)) {
        pa_str_quote(q, sizeof q, text, len);
        rc = pa_err_set(err, PA_EINVAL, "'%s' is too large", q);
        goto cleanup;
    }
    /* ERANGE with a result below DBL_MIN: the text is not zero but rounds to
     * zero or a subnormal, which no count or rate is. */
    if (errno == ERANGE && fabs(v) < DBL_MIN) {
        pa_str_quote(q, sizeof q, text, len);
        rc = pa_err_set(err, PA_EINVAL, "'%s' is too small (it underflows to 0)", q);
        goto cleanup;
    }
    out->value = v;
    out->whole = whole;
cleanup:
    if (copy != small)
        free(copy);
    return rc;
}

/* The reason one number is not a whole one; hint goes inside the brackets. */
static int s_not_whole(const pa_field_number_t *n, const char *text, const char *hint,
                       pa_err_t *err)
{
    char q[S_QUOTE_SIZE];
    pa_str_quote(q, sizeof q, text, strlen(text));
    double v = n->value;
    if (v == floor(v) && fabs(v) < 1e15)
        return pa_err_set(err, PA_EINVAL, "'%s' is not written as a whole number (write %.0f)", q,
                          v);
    return pa_err_set(err, PA_EINVAL, "'%s' is not a whole number (%s)", q, hint);
}

int pa_field_check_count(const pa_field_number_t *count, const char *text, pa_err_t *err)
{
    if (count->whole)
        return PA_OK;
    return s_not_whole(count, text, "counts are whole numbers", err);
}

int pa_field_check_ratio(const pa_field_number_t *num, const char *num_text,
                         const pa_field_number_t *den, const char *den_text,
                         bool *bad_is_denominator, pa_err_t *err)
{
    if (num->whole && den->whole)
        return PA_OK;
    *bad_is_denominator = num->whole;
    double n = num->value, d = den->value;
    const char *hint = "rates are sent as numerator and denominator counts, e.g. 188,192";
    if (d == 100 && n <= 100)
        hint = "it looks like a percentage: rates are sent as numerator and denominator "
               "counts, e.g. 188,192";
    else if (d <= 1 && n <= 1)
        hint = "it looks like a share: rates are sent as numerator and denominator counts, "
               "e.g. 188,192";
    return num->whole ? s_not_whole(den, den_text, hint, err)
                      : s_not_whole(num, num_text, hint, err);
}

int pa_field_parse_revision(const char *text, size_t len, uint32_t *out)
{
    pa_field_trim(&text, &len);
    if (len == 0)
        return PA_EINVAL;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!s_digit(text[i]))
            return PA_EINVAL;
        v = v * 10 + (uint64_t)(text[i] - '0');
        if (v > UINT32_MAX)
            return PA_EINVAL;
    }
    if (v == 0)
        return PA_EINVAL;
    *out = (uint32_t)v;
    return PA_OK;
}
