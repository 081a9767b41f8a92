/* test_field.c - unit tests for the leaf modules the readers share: pa_field
 * (number grammar, whole numbers, revisions) and pa_str (UTF-8, character
 * counts, quoting). Table-driven; no files. */
#include <criterion/criterion.h>
#include <string.h>

#include "pa_field.h"
#include "pa_str.h"

#define S_N(a) (sizeof(a) / sizeof(a)[0])

Test(field, json_number_grammar)
{
    static const struct {
        const char *text;
        double value;
        bool whole;
    } good[] = {
        {"0", 0, true},       {"-0", 0, true},       {"12", 12, true},
        {" 7\t", 7, true},    {"1.25", 1.25, false}, {"-3.5e2", -350, false},
        {"1E+2", 100, false}, {"0e-400", 0, false},  {"9007199254740993", 9007199254740992.0, true},
    };
    for (size_t i = 0; i < S_N(good); i++) {
        pa_field_number_t n;
        pa_err_t err;
        pa_err_clear(&err);
        cr_assert_eq(pa_field_parse_number(good[i].text, strlen(good[i].text), &n, &err), PA_OK,
                     "%s: %s", good[i].text, err.msg);
        cr_assert_eq(n.value, good[i].value, "%s", good[i].text);
        cr_assert_eq(n.whole, good[i].whole, "%s", good[i].text);
    }
    static const char *const bad[] = {"",    " ",  "0x10",  "inf",    "-inf",    "nan", "+1",
                                      ".5",  "1.", "1e",    "1e+",    "01",      "--1", "1,234",
                                      "1 2", "١",  "1e400", "1e-400", "-1e-310", "\n1"};
    for (size_t i = 0; i < S_N(bad); i++) {
        pa_field_number_t n;
        pa_err_t err;
        pa_err_clear(&err);
        cr_assert_eq(pa_field_parse_number(bad[i], strlen(bad[i]), &n, &err), PA_EINVAL, "%s",
                     bad[i]);
        cr_assert_eq(err.code, PA_EINVAL);
    }
    /* NULL err is allowed. */
    pa_field_number_t n;
    cr_assert_eq(pa_field_parse_number("x", 1, &n, NULL), PA_EINVAL);
}

Test(field, whole_numbers)
{
    pa_err_t err;
    pa_field_number_t one = {1, true}, one_point_zero = {1, false}, half = {0.5, false};
    cr_assert_eq(pa_field_check_count(&one, "1", &err), PA_OK);
    cr_assert_eq(pa_field_check_count(&one_point_zero, "1.0", &err), PA_EINVAL);
    cr_assert_str_eq(err.msg, "'1.0' is not written as a whole number (write 1)");
    cr_assert_eq(pa_field_check_count(&half, "0.5", &err), PA_EINVAL);
    cr_assert_str_eq(err.msg, "'0.5' is not a whole number (counts are whole numbers)");
    bool bad_den = true;
    pa_field_number_t n = {188, true}, d = {192, true}, pct = {97.9, false}, hundred = {100, true};
    cr_assert_eq(pa_field_check_ratio(&n, "188", &d, "192", &bad_den, &err), PA_OK);
    cr_assert_eq(pa_field_check_ratio(&pct, "97.9", &hundred, "100", &bad_den, &err), PA_EINVAL);
    cr_assert_not(bad_den);
    cr_assert_not_null(strstr(err.msg, "it looks like a percentage"), "%s", err.msg);
    pa_field_number_t d2 = {192.0, false};
    cr_assert_eq(pa_field_check_ratio(&n, "188", &d2, "192.0", &bad_den, &err), PA_EINVAL);
    cr_assert(bad_den);
    cr_assert_str_eq(err.msg, "'192.0' is not written as a whole number (write 192)");
}

Test(field, revisions)
{
    uint32_t r = 0;
    cr_assert_eq(pa_field_parse_revision(" 3 ", 3, &r), PA_OK);
    cr_assert_eq(r, 3);
    cr_assert_eq(pa_field_parse_revision("4294967295", 10, &r), PA_OK);
    cr_assert_eq(r, UINT32_MAX);
    static const char *const bad[] = {"", "0", "-1", "1.0", "4294967296", "1e2", "+2"};
    for (size_t i = 0; i < S_N(bad); i++)
        cr_assert_eq(pa_field_parse_revision(bad[i], strlen(bad[i]), &r), PA_EINVAL, "%s", bad[i]);
}

Test(str, utf8_and_characters)
{
    const char *nan_an = "南岸区";
    cr_assert(pa_str_utf8_valid(nan_an, strlen(nan_an)));
    cr_assert_eq(pa_str_utf8_chars(nan_an, strlen(nan_an)), 3);
    cr_assert_eq(pa_str_utf8_chars("abc", 3), 3);
    /* GBK, an overlong '/', a surrogate, past U+10FFFF, a cut sequence */
    static const char *const bad[] = {"\xC4\xCF", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                                      "a\xE5\x8D"};
    for (size_t i = 0; i < S_N(bad); i++)
        cr_assert_not(pa_str_utf8_valid(bad[i], strlen(bad[i])), "case %zu", i);
    cr_assert_eq(pa_str_utf8_invalid_at("ab\xC4\xCF", 4), 2);
    cr_assert(pa_str_is_ascii("abc", 3));
    cr_assert_not(pa_str_is_ascii(nan_an, strlen(nan_an)));
    cr_assert(pa_str_eq_ci("District", 8, "district"));
    cr_assert_not(pa_str_eq_ci("District", 7, "district"));
}

Test(str, quote_never_splits_a_character)
{
    char out[12];
    pa_str_quote(out, sizeof out, "南岸区", strlen("南岸区"));
    cr_assert_str_eq(out, "南岸区"); /* 9 bytes fit in 12 */
    pa_str_quote(out, sizeof out, "南岸区南岸区", strlen("南岸区南岸区"));
    cr_assert_str_eq(out, "南岸..."); /* 8 bytes of room: two characters and "..." */
    pa_str_quote(out, sizeof out, "a\tb\xC4", 4);
    cr_assert_str_eq(out, "a?b?");
    pa_str_quote(out, 4, "abcdef", 6);
    cr_assert_str_eq(out, "abc"); /* no room for "...": cut */
    pa_str_quote(out, 0, "x", 1); /* nothing written */
}
