/* test_period.c - unit tests for pa_period: civil dates, the five period ids,
 * ISO weeks (53-week years, weeks that start in the previous year), leap
 * years, alignment and period ends. Pure arithmetic: no files, no network. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "pa_period.h"

/* ---------------------------------------------------------------- helpers */

/* Day number of a "YYYY-MM-DD" the test knows to be valid. */
static int32_t s_day(const char *ymd)
{
    int32_t d = 0;
    pa_err_t err;
    pa_err_clear(&err);
    cr_assert_eq(pa_date_parse(ymd, &d, &err), PA_OK, "pa_date_parse(%s): %s", ymd, err.msg);
    return d;
}

/* Parses id and checks its type and first day. */
static void s_expect_period(const char *id, pa_period_type_t type, const char *start)
{
    pa_period_t p = {PA_PERIOD_NONE, -1};
    pa_err_t err;
    pa_err_clear(&err);
    cr_assert_eq(pa_period_parse(id, &p, &err), PA_OK, "pa_period_parse(%s): %s", id, err.msg);
    cr_expect_eq(err.code, PA_OK, "%s: err filled on success", id);
    cr_expect_eq(p.type, type, "%s: type %d, expected %d", id, p.type, type);
    char got[PA_DATE_SIZE];
    pa_date_format(p.start, got);
    cr_expect_str_eq(got, start, "%s: starts %s, expected %s", id, got, start);
}

/* ------------------------------------------------------------ civil dates */

Test(dates, epoch_and_known_day_numbers)
{
    cr_assert_eq(pa_date_from_ymd(1970, 1, 1), 0);
    cr_assert_eq(pa_date_from_ymd(1969, 12, 31), -1);
    cr_assert_eq(pa_date_from_ymd(2000, 3, 1), 11017);
    cr_assert_eq(pa_date_from_ymd(2024, 1, 1), 19723);
    cr_assert_eq(pa_date_from_ymd(2024, 3, 5), 19787);
    cr_assert_eq(pa_date_from_ymd(2024, 6, 1), 19875);
    cr_assert_eq(pa_date_from_ymd(1900, 1, 1), -25567);
}

Test(dates, to_ymd_inverts_from_ymd_over_four_centuries)
{
    /* 1900-01-01 .. 2300-01-01 covers every leap-year rule (1900, 2000, 2100). */
    int32_t first = pa_date_from_ymd(1900, 1, 1), last = pa_date_from_ymd(2300, 1, 1);
    for (int32_t d = first; d <= last; d++) {
        int y, m, day;
        pa_date_to_ymd(d, &y, &m, &day);
        cr_assert_eq(pa_date_from_ymd(y, m, day), d, "day %d -> %04d-%02d-%02d", d, y, m, day);
        cr_assert(m >= 1 && m <= 12 && day >= 1 && day <= 31, "day %d -> month %d day %d", d, m,
                  day);
    }
}

Test(dates, format_and_parse)
{
    char out[PA_DATE_SIZE];
    pa_date_format(0, out);
    cr_assert_str_eq(out, "1970-01-01");
    pa_date_format(19787, out);
    cr_assert_str_eq(out, "2024-03-05");
    pa_date_format(-1, out);
    cr_assert_str_eq(out, "1969-12-31");
    cr_assert_eq(s_day("2024-03-05"), 19787);
    cr_assert_eq(s_day("1900-01-01"), -25567);
    cr_assert_eq(s_day("9999-12-31"), pa_date_from_ymd(9999, 12, 31));
}

Test(dates, leap_days)
{
    int32_t d;
    cr_assert_eq(pa_date_parse("2024-02-29", &d, NULL), PA_OK);
    cr_assert_eq(d, pa_date_from_ymd(2024, 3, 1) - 1);
    cr_assert_eq(pa_date_parse("2000-02-29", &d, NULL), PA_OK); /* divisible by 400 */
    cr_assert_eq(d, pa_date_from_ymd(2000, 3, 1) - 1);
    cr_assert_eq(pa_date_parse("2023-02-29", &d, NULL), PA_EINVAL);
    cr_assert_eq(pa_date_parse("1900-02-29", &d, NULL), PA_EINVAL); /* divisible by 100 */
    cr_assert_eq(pa_date_parse("2100-02-29", &d, NULL), PA_EINVAL);
    /* 366 days in a leap year, 365 otherwise. */
    cr_assert_eq(pa_date_from_ymd(2025, 1, 1) - pa_date_from_ymd(2024, 1, 1), 366);
    cr_assert_eq(pa_date_from_ymd(2024, 1, 1) - pa_date_from_ymd(2023, 1, 1), 365);
    cr_assert_eq(pa_date_from_ymd(2001, 1, 1) - pa_date_from_ymd(2000, 1, 1), 366);
    cr_assert_eq(pa_date_from_ymd(1901, 1, 1) - pa_date_from_ymd(1900, 1, 1), 365);
}

Test(dates, parse_rejects_malformed_and_impossible_dates)
{
    static const char *const bad[] = {
        "",
        "2024-3-05",
        "2024-03-5",
        "2024/03/05",
        "20240305",
        "2024-03-05x",
        " 2024-03-05",
        "2024-00-10",
        "2024-13-01",
        "2024-04-31",
        "2024-01-00",
        "2024-01-32",
        "1899-12-31",
        "abcd-ef-gh",
        "2024-0a-01",
        "+024-01-01",
        "2024-03-05T00:00",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int32_t d = 12345;
        pa_err_t err;
        pa_err_clear(&err);
        cr_expect_eq(pa_date_parse(bad[i], &d, &err), PA_EINVAL, "'%s' accepted", bad[i]);
        cr_expect_eq(err.code, PA_EINVAL, "'%s': err.code %d", bad[i], err.code);
        cr_expect_neq(strstr(err.msg, bad[i]), NULL, "'%s': message '%s' does not name it", bad[i],
                      err.msg);
        cr_expect_eq(d, 12345, "'%s': output written on failure", bad[i]);
    }
    int32_t d;
    cr_assert_eq(pa_date_parse(NULL, &d, NULL), PA_EINVAL);
}

Test(dates, weekday)
{
    cr_assert_eq(pa_date_weekday(0), 4);                             /* 1970-01-01 Thursday */
    cr_assert_eq(pa_date_weekday(-1), 3);                            /* 1969-12-31 Wednesday */
    cr_assert_eq(pa_date_weekday(-7), 4);                            /* 1969-12-25 Thursday */
    cr_assert_eq(pa_date_weekday(pa_date_from_ymd(2024, 1, 1)), 1);  /* Monday */
    cr_assert_eq(pa_date_weekday(pa_date_from_ymd(2024, 3, 10)), 7); /* Sunday */
    cr_assert_eq(pa_date_weekday(pa_date_from_ymd(1900, 1, 1)), 1);  /* Monday */
    cr_assert_eq(pa_date_weekday(pa_date_from_ymd(2025, 12, 29)), 1);
}

/* ------------------------------------------------------------ period types */

Test(period_types, parse_and_name)
{
    static const struct {
        const char *name;
        pa_period_type_t type;
    } cases[] = {
        {"day", PA_PERIOD_DAY},         {"week", PA_PERIOD_WEEK}, {"month", PA_PERIOD_MONTH},
        {"quarter", PA_PERIOD_QUARTER}, {"year", PA_PERIOD_YEAR},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pa_period_type_t t = PA_PERIOD_NONE;
        cr_expect_eq(pa_period_type_parse(cases[i].name, &t), PA_OK, "%s", cases[i].name);
        cr_expect_eq(t, cases[i].type, "%s", cases[i].name);
        cr_expect_str_eq(pa_period_type_name(cases[i].type), cases[i].name);
    }
    pa_period_type_t t = PA_PERIOD_MONTH;
    cr_expect_eq(pa_period_type_parse("Day", &t), PA_EINVAL);
    cr_expect_eq(pa_period_type_parse("days", &t), PA_EINVAL);
    cr_expect_eq(pa_period_type_parse("", &t), PA_EINVAL);
    cr_expect_eq(pa_period_type_parse(NULL, &t), PA_EINVAL);
    cr_expect_eq(t, PA_PERIOD_MONTH, "output written on failure");
    cr_expect_str_eq(pa_period_type_name(PA_PERIOD_NONE), "none");
    cr_expect_str_eq(pa_period_type_name((pa_period_type_t)9), "none");
}

/* ------------------------------------------------------------ period ids */

Test(periods, parse_each_form)
{
    s_expect_period("2024-03-05", PA_PERIOD_DAY, "2024-03-05");
    s_expect_period("2024-W09", PA_PERIOD_WEEK, "2024-02-26");
    s_expect_period("2024-03", PA_PERIOD_MONTH, "2024-03-01");
    s_expect_period("2024-Q1", PA_PERIOD_QUARTER, "2024-01-01");
    s_expect_period("2024-Q2", PA_PERIOD_QUARTER, "2024-04-01");
    s_expect_period("2024-Q3", PA_PERIOD_QUARTER, "2024-07-01");
    s_expect_period("2024-Q4", PA_PERIOD_QUARTER, "2024-10-01");
    s_expect_period("2024", PA_PERIOD_YEAR, "2024-01-01");
    s_expect_period("2024-12", PA_PERIOD_MONTH, "2024-12-01");
    s_expect_period("1900", PA_PERIOD_YEAR, "1900-01-01");
}

Test(periods, iso_week_starts_monday)
{
    s_expect_period("2024-W01", PA_PERIOD_WEEK, "2024-01-01");
    s_expect_period("2024-W52", PA_PERIOD_WEEK, "2024-12-23");
    /* Week 1 holds 4 January, so it may start in the previous calendar year. */
    s_expect_period("2020-W01", PA_PERIOD_WEEK, "2019-12-30");
    s_expect_period("2026-W01", PA_PERIOD_WEEK, "2025-12-29");
    s_expect_period("2021-W01", PA_PERIOD_WEEK, "2021-01-04");
    s_expect_period("2023-W01", PA_PERIOD_WEEK, "2023-01-02");
}

Test(periods, iso_years_with_53_weeks)
{
    s_expect_period("2020-W53", PA_PERIOD_WEEK, "2020-12-28");
    s_expect_period("2015-W53", PA_PERIOD_WEEK, "2015-12-28");
    s_expect_period("2026-W53", PA_PERIOD_WEEK, "2026-12-28");
    s_expect_period("2032-W53", PA_PERIOD_WEEK, "2032-12-27");
    /* 2021, 2024 and 2025 have 52 weeks. */
    static const char *const no_w53[] = {"2021-W53", "2024-W53", "2025-W53", "2024-W54"};
    pa_period_t p;
    for (size_t i = 0; i < sizeof no_w53 / sizeof no_w53[0]; i++)
        cr_expect_eq(pa_period_parse(no_w53[i], &p, NULL), PA_EINVAL, "%s accepted", no_w53[i]);
}

Test(periods, format_week_uses_iso_year)
{
    char out[PA_PERIOD_SIZE];
    pa_period_t p = {PA_PERIOD_WEEK, s_day("2025-12-29")};
    pa_period_format(&p, out);
    cr_assert_str_eq(out, "2026-W01");
    p.start = s_day("2020-12-28");
    pa_period_format(&p, out);
    cr_assert_str_eq(out, "2020-W53");
    p.start = s_day("2019-12-30");
    pa_period_format(&p, out);
    cr_assert_str_eq(out, "2020-W01");
    p.start = s_day("2024-02-26");
    pa_period_format(&p, out);
    cr_assert_str_eq(out, "2024-W09");
}

Test(periods, format_each_form)
{
    static const struct {
        pa_period_type_t type;
        const char *start;
        const char *id;
    } cases[] = {
        {PA_PERIOD_DAY, "2024-03-05", "2024-03-05"},  {PA_PERIOD_MONTH, "2024-03-01", "2024-03"},
        {PA_PERIOD_QUARTER, "2024-10-01", "2024-Q4"}, {PA_PERIOD_QUARTER, "2024-04-01", "2024-Q2"},
        {PA_PERIOD_YEAR, "2024-01-01", "2024"},       {PA_PERIOD_DAY, "1900-01-01", "1900-01-01"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pa_period_t p = {cases[i].type, s_day(cases[i].start)};
        char out[PA_PERIOD_SIZE];
        pa_period_format(&p, out);
        cr_expect_str_eq(out, cases[i].id, "%s %s", pa_period_type_name(cases[i].type),
                         cases[i].start);
    }
    pa_period_t none = {PA_PERIOD_NONE, 0};
    char out[PA_PERIOD_SIZE];
    pa_period_format(&none, out);
    cr_expect_str_eq(out, "?");
}

Test(periods, format_parse_round_trip_every_aligned_day)
{
    /* Every day of 2019..2027 (53-week years 2020 and 2026 included): each
     * aligned period formats to an id that parses back to the same period. */
    static const pa_period_type_t types[] = {PA_PERIOD_DAY, PA_PERIOD_WEEK, PA_PERIOD_MONTH,
                                             PA_PERIOD_QUARTER, PA_PERIOD_YEAR};
    int counts[6] = {0};
    for (int32_t d = pa_date_from_ymd(2019, 1, 1); d < pa_date_from_ymd(2028, 1, 1); d++) {
        for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
            if (!pa_period_aligned(types[t], d))
                continue;
            pa_period_t p = {types[t], d}, back = {PA_PERIOD_NONE, 0};
            char id[PA_PERIOD_SIZE];
            pa_period_format(&p, id);
            cr_assert_eq(pa_period_parse(id, &back, NULL), PA_OK, "'%s' (day %d) does not parse",
                         id, d);
            cr_assert_eq(back.type, p.type, "'%s'", id);
            cr_assert_eq(back.start, p.start, "'%s': day %d back as %d", id, d, back.start);
            counts[types[t]]++;
        }
    }
    cr_assert_eq(counts[PA_PERIOD_DAY], 365 * 9 + 2); /* 2020 and 2024 are leap */
    cr_assert_eq(counts[PA_PERIOD_MONTH], 12 * 9);
    cr_assert_eq(counts[PA_PERIOD_QUARTER], 4 * 9);
    cr_assert_eq(counts[PA_PERIOD_YEAR], 9);
    cr_assert_eq(counts[PA_PERIOD_WEEK], 469); /* Mondays from 2019-01-07 to 2027-12-27 */
}

Test(periods, rejects_invalid_ids)
{
    static const char *const bad[] = {
        "",         "24",          "202",      "12024",    "1899",       "abcd",       " 2024",
        "2024 ",    "2024-",       "2024-00",  "2024-13",  "2024-3",     "2024-1a",    "2024/03",
        "2024-Q0",  "2024-Q5",     "2024-Q",   "2024-q1",  "2024-QA",    "2024-Q12",   "2024-W00",
        "2024-W5",  "2024-w09",    "2024-W9a", "2024-W-1", "2023-02-29", "2024-02-30", "2024-03-5",
        "20240305", "2024-03-05x", "1899-W01", "1899-12",  "1899-Q4",    "2024-W1",    "2024-H1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pa_period_t p = {PA_PERIOD_NONE, 4242};
        pa_err_t err;
        pa_err_clear(&err);
        cr_expect_eq(pa_period_parse(bad[i], &p, &err), PA_EINVAL, "'%s' accepted as %d/%d", bad[i],
                     p.type, p.start);
        cr_expect_eq(err.code, PA_EINVAL, "'%s'", bad[i]);
        cr_expect_neq(strstr(err.msg, "is not a period"), NULL, "'%s': message '%s'", bad[i],
                      err.msg);
        cr_expect_eq(p.type, PA_PERIOD_NONE, "'%s': output written on failure", bad[i]);
        cr_expect_eq(p.start, 4242, "'%s': output written on failure", bad[i]);
    }
    pa_period_t p;
    cr_assert_eq(pa_period_parse(NULL, &p, NULL), PA_EINVAL);
}

/* ------------------------------------------------------------ alignment */

Test(periods, aligned)
{
    static const struct {
        pa_period_type_t type;
        const char *day;
        bool aligned;
    } cases[] = {
        {PA_PERIOD_DAY, "2024-03-05", true},      {PA_PERIOD_DAY, "2024-02-29", true},
        {PA_PERIOD_WEEK, "2024-02-26", true},     {PA_PERIOD_WEEK, "2024-02-27", false},
        {PA_PERIOD_WEEK, "2024-03-03", false},    {PA_PERIOD_WEEK, "2025-12-29", true},
        {PA_PERIOD_MONTH, "2024-03-01", true},    {PA_PERIOD_MONTH, "2024-03-02", false},
        {PA_PERIOD_MONTH, "2024-02-29", false},   {PA_PERIOD_QUARTER, "2024-01-01", true},
        {PA_PERIOD_QUARTER, "2024-04-01", true},  {PA_PERIOD_QUARTER, "2024-07-01", true},
        {PA_PERIOD_QUARTER, "2024-10-01", true},  {PA_PERIOD_QUARTER, "2024-02-01", false},
        {PA_PERIOD_QUARTER, "2024-12-01", false}, {PA_PERIOD_QUARTER, "2024-04-02", false},
        {PA_PERIOD_YEAR, "2024-01-01", true},     {PA_PERIOD_YEAR, "2024-02-01", false},
        {PA_PERIOD_YEAR, "2024-01-02", false},    {PA_PERIOD_NONE, "2024-01-01", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_eq(pa_period_aligned(cases[i].type, s_day(cases[i].day)), cases[i].aligned,
                     "%s starting %s", pa_period_type_name(cases[i].type), cases[i].day);
}

/* ------------------------------------------------------------ period end */

Test(periods, end_is_first_day_after)
{
    static const struct {
        const char *id;
        const char *end;
        int days;
    } cases[] = {
        {"2024-03-05", "2024-03-06", 1}, {"2024-12-31", "2025-01-01", 1},
        {"2024-02-28", "2024-02-29", 1}, {"2024-W09", "2024-03-04", 7},
        {"2020-W53", "2021-01-04", 7},   {"2026-W01", "2026-01-05", 7},
        {"2024-02", "2024-03-01", 29},   {"2023-02", "2023-03-01", 28},
        {"1900-02", "1900-03-01", 28},   {"2000-02", "2000-03-01", 29},
        {"2024-01", "2024-02-01", 31},   {"2024-04", "2024-05-01", 30},
        {"2024-12", "2025-01-01", 31},   {"2024-Q1", "2024-04-01", 91},
        {"2023-Q1", "2023-04-01", 90},   {"2024-Q3", "2024-10-01", 92},
        {"2024-Q4", "2025-01-01", 92},   {"2024", "2025-01-01", 366},
        {"2023", "2024-01-01", 365},     {"2100", "2101-01-01", 365},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pa_period_t p;
        cr_assert_eq(pa_period_parse(cases[i].id, &p, NULL), PA_OK, "%s", cases[i].id);
        int32_t end = pa_period_end(&p);
        char got[PA_DATE_SIZE];
        pa_date_format(end, got);
        cr_expect_str_eq(got, cases[i].end, "%s ends %s, expected %s", cases[i].id, got,
                         cases[i].end);
        cr_expect_eq(end - p.start, cases[i].days, "%s lasts %d days", cases[i].id, end - p.start);
    }
    pa_period_t none = {PA_PERIOD_NONE, 100};
    cr_expect_eq(pa_period_end(&none), 100);
}

Test(periods, consecutive_periods_tile_the_calendar)
{
    /* The end of each period is the start of the next one, with no gap or
     * overlap, across the 2020-W53 and 2026-W01 year boundaries. */
    static const char *const first[] = {"2019-W50", "2019-11", "2019-Q3", "2018", "2019-12-20"};
    for (size_t i = 0; i < sizeof first / sizeof first[0]; i++) {
        pa_period_t p;
        cr_assert_eq(pa_period_parse(first[i], &p, NULL), PA_OK);
        for (int n = 0; n < 400; n++) {
            int32_t end = pa_period_end(&p);
            cr_assert_gt(end, p.start);
            cr_assert(pa_period_aligned(p.type, end), "%s: period %d ends at unaligned day %d",
                      first[i], n, end);
            p.start = end;
        }
    }
}
