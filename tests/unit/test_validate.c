/* test_validate.c - unit tests for pa_validate and pa_catalog. A small
 * catalogue built by hand mirrors sql/003_catalogue.sql; one GOOD report
 * yields no problem, and each table row breaks it in exactly one way and
 * expects exactly one problem with its reason and field path. The clock is
 * fixed (2024-06-01T00:00:00Z), so the tests do not depend on the date. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pa_catalog.h"
#include "pa_validate.h"

#define S_NOW_MS      1717200000000LL /* 2024-06-01T00:00:00Z = 08:00 UTC+8 */
#define S_DAY_MS      (86400LL * 1000)
#define S_ALL_PERIODS ((1u << PA_PERIOD_DAY) | (1u << PA_PERIOD_WEEK) | S_MONTH_UP)
#define S_MONTH_UP    ((1u << PA_PERIOD_MONTH) | S_QUARTER_UP)
#define S_QUARTER_UP  ((1u << PA_PERIOD_QUARTER) | (1u << PA_PERIOD_YEAR))

/* ---------------------------------------------------------------- catalogue */

static pa_catalog_t *s_catalog(void)
{
    static const pa_indicator_t inds[] = {
        /* code, is_ratio, level, period_mask, has_ceiling, ceiling, first_year */
        {"ws_deaths", false, PA_LEVEL_ANY, S_ALL_PERIODS, true, 10000, 2020},
        {"event_closure", true, PA_LEVEL_ANY, S_ALL_PERIODS, false, 0, 2020},
        {"business_digitised", true, PA_LEVEL_TOWN, S_MONTH_UP, false, 0, 2020},
        {"sense_of_security", true, PA_LEVEL_DISTRICT, S_QUARTER_UP, false, 0, 2020},
        {"yibiaotong_online", false, PA_LEVEL_TOWN, S_ALL_PERIODS, true, 1, 2020},
    };
    static const char *const districts[] = {"500103", "500101", "500102"};
    static const char *const towns[][2] = {
        {"500101002", "500101"},
        {"500101001", "500101"},
        {"500102001", "500102"},
        {"500103001", "500103"},
    };
    pa_catalog_t *cat = pa_catalog_new();
    cr_assert_not_null(cat);
    pa_err_t err;
    pa_err_clear(&err);
    /* Added out of order on purpose: seal must sort before lookups. */
    for (size_t i = sizeof inds / sizeof inds[0]; i-- > 0;)
        cr_assert_eq(pa_catalog_add_indicator(cat, &inds[i], &err), PA_OK, "%s", err.msg);
    for (size_t i = 0; i < sizeof districts / sizeof districts[0]; i++)
        cr_assert_eq(pa_catalog_add_district(cat, districts[i], &err), PA_OK, "%s", err.msg);
    for (size_t i = 0; i < sizeof towns / sizeof towns[0]; i++)
        cr_assert_eq(pa_catalog_add_town(cat, towns[i][0], towns[i][1], &err), PA_OK, "%s",
                     err.msg);
    pa_catalog_seal(cat);
    return cat;
}

/* ---------------------------------------------------------------- reports */

static void s_value(pa_report_t *r, const char *indicator, const char *town, pa_amount_t kind,
                    double a, double b)
{
    pa_value_t v;
    memset(&v, 0, sizeof v);
    snprintf(v.indicator, sizeof v.indicator, "%s", indicator);
    snprintf(v.town, sizeof v.town, "%s", town);
    v.kind = kind;
    if (kind == PA_AMOUNT_COUNT) {
        v.count = a;
    } else {
        v.numerator = a;
        v.denominator = b;
    }
    cr_assert_eq(pa_report_add_value(r, &v, NULL), PA_OK);
}

/* The GOOD report: district 500101, 2024-Q1, one value of each kind of rule.
 *   values[0] ws_deaths           district  count 3
 *   values[1] event_closure       district  ratio 8/10
 *   values[2] sense_of_security   district  ratio 980/1000   (district-only, quarter/year)
 *   values[3] ws_deaths           500101001 count 2
 *   values[4] business_digitised  500101001 ratio 3/5        (town-only, month/quarter/year)
 *   values[5] yibiaotong_online   500101002 count 1          (town-only, ceiling 1) */
static pa_report_t *s_good(void)
{
    pa_report_t *r = pa_report_new();
    cr_assert_not_null(r);
    strcpy(r->report_id, "r-1");
    strcpy(r->district, "500101");
    r->period.type = PA_PERIOD_QUARTER;
    r->period.start = pa_date_from_ymd(2024, 1, 1);
    r->submitted_at_ms = S_NOW_MS - S_DAY_MS;
    r->revision = 1;
    s_value(r, "ws_deaths", "", PA_AMOUNT_COUNT, 3, 0);
    s_value(r, "event_closure", "", PA_AMOUNT_RATIO, 8, 10);
    s_value(r, "sense_of_security", "", PA_AMOUNT_RATIO, 980, 1000);
    s_value(r, "ws_deaths", "500101001", PA_AMOUNT_COUNT, 2, 0);
    s_value(r, "business_digitised", "500101001", PA_AMOUNT_RATIO, 3, 5);
    s_value(r, "yibiaotong_online", "500101002", PA_AMOUNT_COUNT, 1, 0);
    return r;
}

/* Removes values[i], keeping the order of the rest. */
static void s_drop(pa_report_t *r, size_t i)
{
    cr_assert_lt(i, r->n_values);
    memmove(&r->values[i], &r->values[i + 1], (r->n_values - i - 1) * sizeof r->values[0]);
    r->n_values--;
}

static void s_set_period(pa_report_t *r, pa_period_type_t type, int y, int m, int d)
{
    r->period.type = type;
    r->period.start = pa_date_from_ymd(y, m, d);
}

/* Periods shorter than a quarter: sense_of_security (values[2]) is not
 * collected for them, so a report of one carries only the other values. */
static void s_monthly(pa_report_t *r, int y, int m, int d)
{
    s_set_period(r, PA_PERIOD_MONTH, y, m, d);
    s_drop(r, 2);
}

/* Weeks and days: business_digitised is not collected either. */
static void s_daily_or_weekly(pa_report_t *r, pa_period_type_t type, int y, int m, int d)
{
    s_set_period(r, type, y, m, d);
    s_drop(r, 4);
    s_drop(r, 2);
}

static void s_dump(const pa_problems_t *pr, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < pr->n && len < size; i++)
        len += (size_t)snprintf(out + len, size - len, " [%s %s: %s]",
                                pa_reason_name(pr->items[i].reason), pr->items[i].field,
                                pr->items[i].message);
}

static const pa_problem_t *s_find(const pa_problems_t *pr, int reason, const char *field)
{
    for (size_t i = 0; i < pr->n; i++)
        if (pr->items[i].reason == reason && strcmp(pr->items[i].field, field) == 0)
            return &pr->items[i];
    return NULL;
}

/* Validates r at S_NOW_MS into a fresh list (caller clears it). */
static pa_problems_t s_validate_at(const pa_report_t *r, int64_t now_ms)
{
    pa_catalog_t *cat = s_catalog();
    pa_problems_t pr;
    memset(&pr, 0, sizeof pr);
    pa_validate_report(cat, r, now_ms, &pr);
    pa_catalog_destroy(&cat);
    return pr;
}

static void s_expect_clean(const pa_report_t *r, int64_t now_ms, const char *what)
{
    pa_problems_t pr = s_validate_at(r, now_ms);
    char dump[2048];
    s_dump(&pr, dump, sizeof dump);
    cr_expect_eq(pr.n, 0, "%s: %zu problems:%s", what, pr.n, dump);
    cr_expect_eq(pr.dropped, 0, "%s", what);
    pa_problems_clear(&pr);
}

/* ---------------------------------------------------------------- good */

Test(validate, good_report_has_no_problems)
{
    pa_report_t *r = s_good();
    s_expect_clean(r, S_NOW_MS, "the GOOD report");
    pa_report_destroy(&r);
}

/* Boundary values that are still acceptable. */
typedef struct {
    const char *what;
    void (*edit)(pa_report_t *r);
} s_ok_case_t;

static void s_ok_zero_count(pa_report_t *r)
{
    r->values[0].count = 0;
}
static void s_ok_at_ceiling(pa_report_t *r)
{
    r->values[0].count = 10000;
}
static void s_ok_town_zero(pa_report_t *r)
{
    r->values[5].count = 0;
}
static void s_ok_full_ratio(pa_report_t *r)
{
    r->values[1].numerator = 10;
}
static void s_ok_zero_numerator(pa_report_t *r)
{
    r->values[1].numerator = 0;
}
static void s_ok_big_whole_count(pa_report_t *r)
{
    r->values[3].count = 9999;
}
static void s_ok_skew_limit(pa_report_t *r)
{
    r->submitted_at_ms = S_NOW_MS + PA_FUTURE_SKEW_MS;
}
static void s_ok_year_2020(pa_report_t *r)
{
    s_set_period(r, PA_PERIOD_YEAR, 2020, 1, 1);
}
static void s_ok_year_2023(pa_report_t *r)
{
    s_set_period(r, PA_PERIOD_YEAR, 2023, 1, 1);
}
static void s_ok_last_month(pa_report_t *r)
{
    s_monthly(r, 2024, 5, 1);
}
static void s_ok_yesterday(pa_report_t *r)
{
    s_daily_or_weekly(r, PA_PERIOD_DAY, 2024, 5, 31);
}
static void s_ok_last_week(pa_report_t *r)
{
    s_daily_or_weekly(r, PA_PERIOD_WEEK, 2024, 5, 20);
}
static void s_ok_2020_w53(pa_report_t *r)
{
    s_daily_or_weekly(r, PA_PERIOD_WEEK, 2020, 12, 28);
}
static void s_ok_leap_day(pa_report_t *r)
{
    s_daily_or_weekly(r, PA_PERIOD_DAY, 2024, 2, 29);
}
static void s_ok_same_town_other_ind(pa_report_t *r)
{
    s_value(r, "event_closure", "500101001", PA_AMOUNT_RATIO, 1, 1);
}
static void s_ok_same_ind_other_town(pa_report_t *r)
{
    s_value(r, "ws_deaths", "500101002", PA_AMOUNT_COUNT, 0, 0);
}

static const s_ok_case_t s_ok_cases[] = {
    {"count 0", s_ok_zero_count},
    {"count at the ceiling", s_ok_at_ceiling},
    {"yibiaotong_online 0", s_ok_town_zero},
    {"numerator equal to denominator", s_ok_full_ratio},
    {"numerator 0", s_ok_zero_numerator},
    {"count 9999 for a town", s_ok_big_whole_count},
    {"submitted exactly 5 minutes ahead", s_ok_skew_limit},
    {"year 2020, the first year", s_ok_year_2020},
    {"year 2023", s_ok_year_2023},
    {"month 2024-05, ended at 00:00 UTC+8 today", s_ok_last_month},
    {"day 2024-05-31", s_ok_yesterday},
    {"week 2024-W21", s_ok_last_week},
    {"week 2020-W53", s_ok_2020_w53},
    {"day 2024-02-29", s_ok_leap_day},
    {"one town, two indicators", s_ok_same_town_other_ind},
    {"one indicator, two towns", s_ok_same_ind_other_town},
};
#define S_N_OK_CASES (sizeof s_ok_cases / sizeof s_ok_cases[0])

ParameterizedTestParameters(validate, good_edges_have_no_problems)
{
    static size_t idx[S_N_OK_CASES];
    for (size_t i = 0; i < S_N_OK_CASES; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, S_N_OK_CASES);
}

ParameterizedTest(size_t *i, validate, good_edges_have_no_problems)
{
    pa_report_t *r = s_good();
    s_ok_cases[*i].edit(r);
    s_expect_clean(r, S_NOW_MS, s_ok_cases[*i].what);
    pa_report_destroy(&r);
}

/* ---------------------------------------------------------------- one rule broken */

typedef struct {
    const char *what;
    void (*breaks)(pa_report_t *r);
    int reason;
    const char *field;
} s_bad_case_t;

/* Only the district-level values: towns of 500101 would not match either. */
static void s_unknown_district(pa_report_t *r)
{
    strcpy(r->district, "500199");
    r->n_values = 3;
}
static void s_town_other_district(pa_report_t *r)
{
    strcpy(r->values[3].town, "500102001");
}
static void s_unknown_town(pa_report_t *r)
{
    strcpy(r->values[3].town, "500101999");
}
static void s_unknown_indicator(pa_report_t *r)
{
    strcpy(r->values[0].indicator, "ws_births");
}
static void s_not_collected_month(pa_report_t *r)
{
    s_set_period(r, PA_PERIOD_MONTH, 2024, 3, 1);
}
static void s_not_collected_week(pa_report_t *r)
{
    s_set_period(r, PA_PERIOD_WEEK, 2024, 2, 26);
    s_drop(r, 2);
}
static void s_town_for_district_level(pa_report_t *r)
{
    strcpy(r->values[2].town, "500101001");
}
static void s_no_town_for_town_level(pa_report_t *r)
{
    r->values[4].town[0] = '\0';
}
static void s_no_town_for_yibiaotong(pa_report_t *r)
{
    r->values[5].town[0] = '\0';
}
static void s_negative_count(pa_report_t *r)
{
    r->values[0].count = -1;
}
static void s_fractional_count(pa_report_t *r)
{
    r->values[3].count = 2.5;
}
static void s_tiny_fraction(pa_report_t *r)
{
    r->values[0].count = 3.0000001;
}
static void s_above_ceiling(pa_report_t *r)
{
    r->values[0].count = 10001;
}
static void s_above_ceiling_1(pa_report_t *r)
{
    r->values[5].count = 2;
}
static void s_negative_numerator(pa_report_t *r)
{
    r->values[1].numerator = -1;
}
static void s_zero_denominator(pa_report_t *r)
{
    r->values[1].numerator = 0;
    r->values[1].denominator = 0;
}
static void s_negative_denominator(pa_report_t *r)
{
    r->values[1].denominator = -10;
}
static void s_numerator_above(pa_report_t *r)
{
    r->values[4].numerator = 6;
}
static void s_count_for_ratio(pa_report_t *r)
{
    r->values[1].kind = PA_AMOUNT_COUNT;
    r->values[1].count = 8;
}
static void s_ratio_for_count(pa_report_t *r)
{
    r->values[0].kind = PA_AMOUNT_RATIO;
    r->values[0].numerator = 1;
    r->values[0].denominator = 2;
}
static void s_nan_count(pa_report_t *r)
{
    r->values[0].count = NAN;
}
static void s_inf_count(pa_report_t *r)
{
    r->values[3].count = INFINITY;
}
static void s_minus_inf_count(pa_report_t *r)
{
    r->values[3].count = -INFINITY;
}
static void s_nan_numerator(pa_report_t *r)
{
    r->values[1].numerator = NAN;
}
static void s_inf_denominator(pa_report_t *r)
{
    r->values[4].denominator = INFINITY;
}
static void s_duplicate_district(pa_report_t *r)
{
    s_value(r, "ws_deaths", "", PA_AMOUNT_COUNT, 4, 0);
}
static void s_duplicate_town(pa_report_t *r)
{
    s_value(r, "business_digitised", "500101001", PA_AMOUNT_RATIO, 1, 5);
}
static void s_misaligned_month(pa_report_t *r)
{
    s_monthly(r, 2024, 3, 2);
}
static void s_misaligned_week(pa_report_t *r)
{
    s_daily_or_weekly(r, PA_PERIOD_WEEK, 2024, 2, 27);
}
static void s_misaligned_week_sunday(pa_report_t *r)
{
    s_daily_or_weekly(r, PA_PERIOD_WEEK, 2024, 3, 3);
}
static void s_misaligned_quarter(pa_report_t *r)
{
    s_set_period(r, PA_PERIOD_QUARTER, 2024, 2, 1);
}
static void s_misaligned_year(pa_report_t *r)
{
    s_set_period(r, PA_PERIOD_YEAR, 2023, 7, 1);
}
static void s_not_ended_quarter(pa_report_t *r)
{
    s_set_period(r, PA_PERIOD_QUARTER, 2024, 4, 1);
}
static void s_not_ended_year(pa_report_t *r)
{
    s_set_period(r, PA_PERIOD_YEAR, 2024, 1, 1);
}
static void s_not_ended_month(pa_report_t *r)
{
    s_monthly(r, 2024, 6, 1);
}
static void s_not_ended_week(pa_report_t *r)
{
    s_daily_or_weekly(r, PA_PERIOD_WEEK, 2024, 5, 27);
}
static void s_not_ended_today(pa_report_t *r)
{
    s_daily_or_weekly(r, PA_PERIOD_DAY, 2024, 6, 1);
}
static void s_future_period(pa_report_t *r)
{
    s_set_period(r, PA_PERIOD_QUARTER, 2030, 1, 1);
}
static void s_too_early_year(pa_report_t *r)
{
    s_set_period(r, PA_PERIOD_YEAR, 2019, 1, 1);
}
static void s_too_early_quarter(pa_report_t *r)
{
    s_set_period(r, PA_PERIOD_QUARTER, 2019, 10, 1);
}
static void s_too_early_day(pa_report_t *r)
{
    s_daily_or_weekly(r, PA_PERIOD_DAY, 2019, 12, 31);
}
static void s_future_submission(pa_report_t *r)
{
    r->submitted_at_ms = S_NOW_MS + PA_FUTURE_SKEW_MS + 1;
}
static void s_far_future_submission(pa_report_t *r)
{
    r->submitted_at_ms = S_NOW_MS + 365 * S_DAY_MS;
}
static void s_no_values(pa_report_t *r)
{
    r->n_values = 0;
}

static const s_bad_case_t s_bad_cases[] = {
    {"unknown district", s_unknown_district, PA_REASON_UNKNOWN_DISTRICT, "district"},
    {"town of another district", s_town_other_district, PA_REASON_TOWN_NOT_IN_DISTRICT,
     "values[3].town"},
    {"unknown town", s_unknown_town, PA_REASON_TOWN_NOT_IN_DISTRICT, "values[3].town"},
    {"unknown indicator", s_unknown_indicator, PA_REASON_UNKNOWN_INDICATOR, "values[0].indicator"},
    {"district-only quarterly indicator in a month", s_not_collected_month,
     PA_REASON_PERIOD_TYPE_NOT_COLLECTED, "values[2].indicator"},
    {"town-only monthly indicator in a week", s_not_collected_week,
     PA_REASON_PERIOD_TYPE_NOT_COLLECTED, "values[3].indicator"},
    {"town for a district-level indicator", s_town_for_district_level, PA_REASON_LEVEL_MISMATCH,
     "values[2].town"},
    {"no town for a town-level ratio", s_no_town_for_town_level, PA_REASON_LEVEL_MISMATCH,
     "values[4].town"},
    {"no town for a town-level count", s_no_town_for_yibiaotong, PA_REASON_LEVEL_MISMATCH,
     "values[5].town"},
    {"negative count", s_negative_count, PA_REASON_NEGATIVE_COUNT, "values[0].count"},
    {"fractional count", s_fractional_count, PA_REASON_FRACTIONAL_COUNT, "values[3].count"},
    {"count 3.0000001", s_tiny_fraction, PA_REASON_FRACTIONAL_COUNT, "values[0].count"},
    {"count above ceiling 10000", s_above_ceiling, PA_REASON_COUNT_ABOVE_CEILING,
     "values[0].count"},
    {"count above ceiling 1", s_above_ceiling_1, PA_REASON_COUNT_ABOVE_CEILING, "values[5].count"},
    {"negative numerator", s_negative_numerator, PA_REASON_NEGATIVE_NUMERATOR,
     "values[1].ratio.numerator"},
    {"zero denominator", s_zero_denominator, PA_REASON_NONPOSITIVE_DENOMINATOR,
     "values[1].ratio.denominator"},
    {"negative denominator", s_negative_denominator, PA_REASON_NONPOSITIVE_DENOMINATOR,
     "values[1].ratio.denominator"},
    {"numerator above denominator", s_numerator_above, PA_REASON_NUMERATOR_ABOVE_DENOMINATOR,
     "values[4].ratio.numerator"},
    {"count for a ratio indicator", s_count_for_ratio, PA_REASON_KIND_MISMATCH, "values[1].count"},
    {"ratio for a count indicator", s_ratio_for_count, PA_REASON_KIND_MISMATCH, "values[0].ratio"},
    {"NaN count", s_nan_count, PA_REASON_NOT_FINITE, "values[0].count"},
    {"infinite count", s_inf_count, PA_REASON_NOT_FINITE, "values[3].count"},
    {"minus infinite count", s_minus_inf_count, PA_REASON_NOT_FINITE, "values[3].count"},
    {"NaN numerator", s_nan_numerator, PA_REASON_NOT_FINITE, "values[1].ratio.numerator"},
    {"infinite denominator", s_inf_denominator, PA_REASON_NOT_FINITE,
     "values[4].ratio.denominator"},
    {"duplicate district value", s_duplicate_district, PA_REASON_DUPLICATE_VALUE, "values[6]"},
    {"duplicate town value", s_duplicate_town, PA_REASON_DUPLICATE_VALUE, "values[6]"},
    {"month starting on the 2nd", s_misaligned_month, PA_REASON_PERIOD_MISALIGNED, "period_start"},
    {"week starting on a Tuesday", s_misaligned_week, PA_REASON_PERIOD_MISALIGNED, "period_start"},
    {"week starting on a Sunday", s_misaligned_week_sunday, PA_REASON_PERIOD_MISALIGNED,
     "period_start"},
    {"quarter starting 1 Feb", s_misaligned_quarter, PA_REASON_PERIOD_MISALIGNED, "period_start"},
    {"year starting 1 Jul", s_misaligned_year, PA_REASON_PERIOD_MISALIGNED, "period_start"},
    {"quarter 2024-Q2 not ended", s_not_ended_quarter, PA_REASON_PERIOD_NOT_ENDED, "period_start"},
    {"year 2024 not ended", s_not_ended_year, PA_REASON_PERIOD_NOT_ENDED, "period_start"},
    {"month 2024-06 not ended", s_not_ended_month, PA_REASON_PERIOD_NOT_ENDED, "period_start"},
    {"week 2024-W22 not ended", s_not_ended_week, PA_REASON_PERIOD_NOT_ENDED, "period_start"},
    {"today not ended", s_not_ended_today, PA_REASON_PERIOD_NOT_ENDED, "period_start"},
    {"quarter in 2030", s_future_period, PA_REASON_PERIOD_NOT_ENDED, "period_start"},
    {"year 2019", s_too_early_year, PA_REASON_PERIOD_TOO_EARLY, "period_start"},
    {"quarter 2019-Q4", s_too_early_quarter, PA_REASON_PERIOD_TOO_EARLY, "period_start"},
    {"day 2019-12-31", s_too_early_day, PA_REASON_PERIOD_TOO_EARLY, "period_start"},
    {"submitted 5 minutes and 1 ms ahead", s_future_submission, PA_REASON_SUBMITTED_IN_FUTURE,
     "submitted_at_ms"},
    {"submitted a year ahead", s_far_future_submission, PA_REASON_SUBMITTED_IN_FUTURE,
     "submitted_at_ms"},
    {"no values", s_no_values, PA_REASON_MISSING_FIELD, "values"},
};
#define S_N_BAD_CASES (sizeof s_bad_cases / sizeof s_bad_cases[0])

ParameterizedTestParameters(validate, one_rule_broken)
{
    static size_t idx[S_N_BAD_CASES];
    for (size_t i = 0; i < S_N_BAD_CASES; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, S_N_BAD_CASES);
}

ParameterizedTest(size_t *i, validate, one_rule_broken)
{
    const s_bad_case_t *c = &s_bad_cases[*i];
    pa_report_t *r = s_good();
    c->breaks(r);
    pa_problems_t pr = s_validate_at(r, S_NOW_MS);
    char dump[2048];
    s_dump(&pr, dump, sizeof dump);
    cr_expect_eq(pr.n, 1, "%s: %zu problems, expected one %s at %s:%s", c->what, pr.n,
                 pa_reason_name(c->reason), c->field, dump);
    cr_expect_not_null(s_find(&pr, c->reason, c->field), "%s: no %s at %s:%s", c->what,
                       pa_reason_name(c->reason), c->field, dump);
    for (size_t k = 0; k < pr.n; k++)
        cr_expect_neq(pr.items[k].message[0], '\0', "%s: empty message", c->what);
    pa_problems_clear(&pr);
    pa_report_destroy(&r);
}

/* ---------------------------------------------------------------- several */

Test(validate, several_bad_values_are_all_named)
{
    pa_report_t *r = s_good();
    r->values[0].count = -1;                /* negative */
    r->values[1].numerator = 11;            /* 11/10 */
    strcpy(r->values[3].town, "500102001"); /* of 500102 */
    r->values[5].count = 2;                 /* ceiling 1 */
    pa_problems_t pr = s_validate_at(r, S_NOW_MS);
    char dump[2048];
    s_dump(&pr, dump, sizeof dump);
    cr_expect_eq(pr.n, 4, "%zu problems:%s", pr.n, dump);
    cr_expect_not_null(s_find(&pr, PA_REASON_NEGATIVE_COUNT, "values[0].count"), "%s", dump);
    cr_expect_not_null(
        s_find(&pr, PA_REASON_NUMERATOR_ABOVE_DENOMINATOR, "values[1].ratio.numerator"), "%s",
        dump);
    cr_expect_not_null(s_find(&pr, PA_REASON_TOWN_NOT_IN_DISTRICT, "values[3].town"), "%s", dump);
    cr_expect_not_null(s_find(&pr, PA_REASON_COUNT_ABOVE_CEILING, "values[5].count"), "%s", dump);
    pa_problems_clear(&pr);
    pa_report_destroy(&r);
}

Test(validate, report_and_value_rules_are_all_named)
{
    pa_report_t *r = s_good();
    strcpy(r->district, "500199");               /* unknown district */
    s_set_period(r, PA_PERIOD_YEAR, 2019, 1, 1); /* before 2020 */
    r->submitted_at_ms = S_NOW_MS + S_DAY_MS;    /* in the future */
    strcpy(r->values[0].indicator, "nope");      /* unknown indicator */
    r->values[1].denominator = 0;                /* zero denominator */
    pa_problems_t pr = s_validate_at(r, S_NOW_MS);
    char dump[4096];
    s_dump(&pr, dump, sizeof dump);
    cr_expect_not_null(s_find(&pr, PA_REASON_UNKNOWN_DISTRICT, "district"), "%s", dump);
    cr_expect_not_null(s_find(&pr, PA_REASON_PERIOD_TOO_EARLY, "period_start"), "%s", dump);
    cr_expect_not_null(s_find(&pr, PA_REASON_SUBMITTED_IN_FUTURE, "submitted_at_ms"), "%s", dump);
    cr_expect_not_null(s_find(&pr, PA_REASON_UNKNOWN_INDICATOR, "values[0].indicator"), "%s", dump);
    cr_expect_not_null(
        s_find(&pr, PA_REASON_NONPOSITIVE_DENOMINATOR, "values[1].ratio.denominator"), "%s", dump);
    /* The two town values of 500101 no longer match the (unknown) district. */
    cr_expect_not_null(s_find(&pr, PA_REASON_TOWN_NOT_IN_DISTRICT, "values[3].town"), "%s", dump);
    cr_expect_not_null(s_find(&pr, PA_REASON_TOWN_NOT_IN_DISTRICT, "values[4].town"), "%s", dump);
    cr_expect_not_null(s_find(&pr, PA_REASON_TOWN_NOT_IN_DISTRICT, "values[5].town"), "%s", dump);
    cr_expect_eq(pr.n, 8, "%zu problems:%s", pr.n, dump);
    pa_problems_clear(&pr);
    pa_report_destroy(&r);
}

Test(validate, one_value_can_break_several_rules)
{
    pa_report_t *r = s_good();
    r->values[0].count = -2.5; /* negative and fractional */
    r->values[5].count = 1.5;  /* fractional and above the ceiling 1 */
    pa_problems_t pr = s_validate_at(r, S_NOW_MS);
    char dump[2048];
    s_dump(&pr, dump, sizeof dump);
    cr_expect_eq(pr.n, 4, "%zu problems:%s", pr.n, dump);
    cr_expect_not_null(s_find(&pr, PA_REASON_NEGATIVE_COUNT, "values[0].count"), "%s", dump);
    cr_expect_not_null(s_find(&pr, PA_REASON_FRACTIONAL_COUNT, "values[0].count"), "%s", dump);
    cr_expect_not_null(s_find(&pr, PA_REASON_FRACTIONAL_COUNT, "values[5].count"), "%s", dump);
    cr_expect_not_null(s_find(&pr, PA_REASON_COUNT_ABOVE_CEILING, "values[5].count"), "%s", dump);
    pa_problems_clear(&pr);
    pa_report_destroy(&r);
}

Test(validate, every_repeat_names_the_earlier_index)
{
    pa_report_t *r = s_good();
    s_value(r, "ws_deaths", "", PA_AMOUNT_COUNT, 1, 0); /* values[6] repeats [0] */
    s_value(r, "ws_deaths", "", PA_AMOUNT_COUNT, 2, 0); /* values[7] repeats [6] */
    pa_problems_t pr = s_validate_at(r, S_NOW_MS);
    char dump[2048];
    s_dump(&pr, dump, sizeof dump);
    cr_assert_eq(pr.n, 2, "%zu problems:%s", pr.n, dump);
    const pa_problem_t *p6 = s_find(&pr, PA_REASON_DUPLICATE_VALUE, "values[6]");
    const pa_problem_t *p7 = s_find(&pr, PA_REASON_DUPLICATE_VALUE, "values[7]");
    cr_assert_not_null(p6, "%s", dump);
    cr_assert_not_null(p7, "%s", dump);
    cr_expect_neq(strstr(p6->message, "values[0]"), NULL, "%s", p6->message);
    cr_expect_neq(strstr(p7->message, "values[6]"), NULL, "%s", p7->message);
    pa_problems_clear(&pr);
    pa_report_destroy(&r);
}

Test(validate, messages_name_the_value)
{
    pa_report_t *r = s_good();
    strcpy(r->values[3].town, "500102001");
    r->values[0].count = 10001;
    pa_problems_t pr = s_validate_at(r, S_NOW_MS);
    const pa_problem_t *town = s_find(&pr, PA_REASON_TOWN_NOT_IN_DISTRICT, "values[3].town");
    const pa_problem_t *ceil = s_find(&pr, PA_REASON_COUNT_ABOVE_CEILING, "values[0].count");
    cr_assert_not_null(town);
    cr_assert_not_null(ceil);
    cr_expect_neq(strstr(town->message, "500102001"), NULL, "%s", town->message);
    cr_expect_neq(strstr(town->message, "500102"), NULL, "%s", town->message);
    cr_expect_neq(strstr(ceil->message, "10001"), NULL, "%s", ceil->message);
    cr_expect_neq(strstr(ceil->message, "10000"), NULL, "%s", ceil->message);
    pa_problems_clear(&pr);
    pa_report_destroy(&r);
}

/* ---------------------------------------------------------------- the clock */

Test(validate, today_is_the_civil_date_in_utc_plus_8)
{
    int32_t june1 = pa_date_from_ymd(2024, 6, 1);
    cr_assert_eq(pa_validate_today(S_NOW_MS), june1);
    /* 2024-05-31T16:00:00Z is midnight in UTC+8. */
    cr_assert_eq(pa_validate_today(S_NOW_MS - 8 * 3600 * 1000LL), june1);
    cr_assert_eq(pa_validate_today(S_NOW_MS - 8 * 3600 * 1000LL - 1), june1 - 1);
    cr_assert_eq(pa_validate_today(S_NOW_MS + 16 * 3600 * 1000LL - 1), june1);
    cr_assert_eq(pa_validate_today(S_NOW_MS + 16 * 3600 * 1000LL), june1 + 1);
    cr_assert_eq(pa_validate_today(0), 0);
    cr_assert_eq(pa_validate_today(-8 * 3600 * 1000LL), 0);
    cr_assert_eq(pa_validate_today(-8 * 3600 * 1000LL - 1), -1);
}

Test(validate, a_period_ends_at_midnight_utc_plus_8)
{
    /* May 2024 is over from 2024-06-01 00:00 UTC+8 = 2024-05-31T16:00:00Z. */
    int64_t midnight_ms = S_NOW_MS - 8 * 3600 * 1000LL;
    pa_report_t *r = s_good();
    s_monthly(r, 2024, 5, 1);
    r->submitted_at_ms = midnight_ms - S_DAY_MS;
    s_expect_clean(r, midnight_ms, "May at 00:00 UTC+8 on 1 June");
    pa_problems_t pr = s_validate_at(r, midnight_ms - 1);
    cr_expect_eq(pr.n, 1);
    cr_expect_not_null(s_find(&pr, PA_REASON_PERIOD_NOT_ENDED, "period_start"));
    pa_problems_clear(&pr);
    pa_report_destroy(&r);
}

Test(validate, iso_week_2020_w01_starts_in_2019)
{
    /* docs/protocol.md: PERIOD_TOO_EARLY looks at the year of period_start,
     * so 2020-W01 (2019-12-30 .. 2020-01-05) is before 2020 and 2020-W02 is not. */
    pa_report_t *r = s_good();
    s_daily_or_weekly(r, PA_PERIOD_WEEK, 2019, 12, 30);
    pa_problems_t pr = s_validate_at(r, S_NOW_MS);
    cr_expect_eq(pr.n, 1);
    cr_expect_not_null(s_find(&pr, PA_REASON_PERIOD_TOO_EARLY, "period_start"));
    pa_problems_clear(&pr);
    s_set_period(r, PA_PERIOD_WEEK, 2020, 1, 6);
    s_expect_clean(r, S_NOW_MS, "2020-W02");
    pa_report_destroy(&r);
}

Test(validate, misaligned_period_is_not_also_not_ended)
{
    /* A misaligned period has no meaningful end: only the misalignment is named. */
    pa_report_t *r = s_good();
    s_monthly(r, 2024, 6, 15);
    pa_problems_t pr = s_validate_at(r, S_NOW_MS);
    cr_expect_eq(pr.n, 1);
    cr_expect_not_null(s_find(&pr, PA_REASON_PERIOD_MISALIGNED, "period_start"));
    pa_problems_clear(&pr);
    pa_report_destroy(&r);
}

/* ------------------------------------------------- after the decoder */

Test(validate, fields_the_decoder_flagged_are_not_judged_again)
{
    pa_report_t *r = s_good();
    r->n_values = 3; /* district-level values only: see the next test for towns */
    /* What the decoder leaves behind for a too-long district, a bad date,
     * a missing indicator and a value without amount. */
    r->district[0] = '\0';
    r->period.start = 0;
    r->values[0].indicator[0] = '\0';
    r->values[1].kind = PA_AMOUNT_NONE;
    pa_problems_t pr;
    memset(&pr, 0, sizeof pr);
    pa_problems_add(&pr, PA_REASON_INVALID_FIELD, "district", "district is too long");
    pa_problems_add(&pr, PA_REASON_INVALID_FIELD, "period_start", "not a date");
    pa_problems_add(&pr, PA_REASON_MISSING_FIELD, "values[0].indicator", "missing");
    pa_problems_add(&pr, PA_REASON_MISSING_AMOUNT, "values[1]", "no amount");
    pa_catalog_t *cat = s_catalog();
    pa_validate_report(cat, r, S_NOW_MS, &pr);
    char dump[2048];
    s_dump(&pr, dump, sizeof dump);
    cr_expect_eq(pr.n, 4, "%zu problems:%s", pr.n, dump);
    pa_problems_clear(&pr);
    pa_catalog_destroy(&cat);
    pa_report_destroy(&r);
}

Test(validate, towns_are_not_judged_against_a_malformed_district)
{
    /* docs/protocol.md section 7: "checks that depend on a field already found
     * malformed are skipped". Whether a town belongs to the district depends
     * on the district; with the district flagged (and left empty by the
     * decoder) every town value would otherwise be named TOWN_NOT_IN_DISTRICT
     * with a message ending "not " (no district). */
    static const int reasons[] = {PA_REASON_INVALID_FIELD, PA_REASON_MISSING_FIELD};
    for (size_t k = 0; k < 2; k++) {
        pa_report_t *r = s_good();
        r->district[0] = '\0';
        pa_problems_t pr;
        memset(&pr, 0, sizeof pr);
        pa_problems_add(&pr, reasons[k], "district", "district is broken");
        pa_catalog_t *cat = s_catalog();
        pa_validate_report(cat, r, S_NOW_MS, &pr);
        char dump[2048];
        s_dump(&pr, dump, sizeof dump);
        cr_expect_eq(pr.n, 1, "district %s: %zu problems:%s", pa_reason_name(reasons[k]), pr.n,
                     dump);
        cr_expect_null(s_find(&pr, PA_REASON_TOWN_NOT_IN_DISTRICT, "values[3].town"), "%s", dump);
        pa_problems_clear(&pr);
        pa_catalog_destroy(&cat);
        pa_report_destroy(&r);
    }
}

Test(validate, missing_period_type_skips_period_rules)
{
    pa_report_t *r = s_good();
    r->period.type = PA_PERIOD_NONE;
    r->period.start = pa_date_from_ymd(2019, 3, 7);
    pa_problems_t pr;
    memset(&pr, 0, sizeof pr);
    pa_problems_add(&pr, PA_REASON_MISSING_FIELD, "period_type", "period_type is missing");
    pa_catalog_t *cat = s_catalog();
    pa_validate_report(cat, r, S_NOW_MS, &pr);
    char dump[2048];
    s_dump(&pr, dump, sizeof dump);
    cr_expect_eq(pr.n, 1, "%zu problems:%s", pr.n, dump);
    pa_problems_clear(&pr);
    pa_catalog_destroy(&cat);
    pa_report_destroy(&r);
}

/* ---------------------------------------------------------------- catalogue */

Test(catalog, lookups)
{
    pa_catalog_t *cat = s_catalog();
    cr_assert(pa_catalog_has_district(cat, "500101"));
    cr_assert(pa_catalog_has_district(cat, "500103"));
    cr_assert_not(pa_catalog_has_district(cat, "500104"));
    cr_assert_not(pa_catalog_has_district(cat, ""));
    cr_assert_not(pa_catalog_has_district(cat, "50010"));
    cr_assert_str_eq(pa_catalog_town_district(cat, "500101002"), "500101");
    cr_assert_str_eq(pa_catalog_town_district(cat, "500102001"), "500102");
    cr_assert_null(pa_catalog_town_district(cat, "500101003"));
    cr_assert_null(pa_catalog_town_district(cat, "500101"));
    cr_assert_eq(pa_catalog_town_count(cat), 4);
    const pa_indicator_t *ind = pa_catalog_indicator(cat, "business_digitised");
    cr_assert_not_null(ind);
    cr_assert_str_eq(ind->code, "business_digitised");
    cr_assert(ind->is_ratio);
    cr_assert_eq(ind->level, PA_LEVEL_TOWN);
    cr_assert_eq(ind->period_mask, S_MONTH_UP);
    ind = pa_catalog_indicator(cat, "yibiaotong_online");
    cr_assert_not_null(ind);
    cr_assert(ind->has_ceiling);
    cr_assert_eq(ind->ceiling, 1);
    cr_assert_null(pa_catalog_indicator(cat, "ws_death"));
    cr_assert_null(pa_catalog_indicator(cat, "WS_DEATHS"));
    cr_assert_eq(pa_catalog_first_year(cat), 2020);
    pa_catalog_destroy(&cat);
    cr_assert_null(cat);
    pa_catalog_destroy(&cat);
    pa_catalog_destroy(NULL);
}

Test(catalog, empty_catalogue_knows_nothing)
{
    pa_catalog_t *cat = pa_catalog_new();
    cr_assert_not_null(cat);
    pa_catalog_seal(cat);
    cr_assert_not(pa_catalog_has_district(cat, "500101"));
    cr_assert_null(pa_catalog_town_district(cat, "500101001"));
    cr_assert_null(pa_catalog_indicator(cat, "ws_deaths"));
    cr_assert_eq(pa_catalog_first_year(cat), 0);
    cr_assert_eq(pa_catalog_town_count(cat), 0);
    pa_catalog_destroy(&cat);
}

Test(catalog, codes_that_do_not_fit_are_refused)
{
    pa_catalog_t *cat = pa_catalog_new();
    pa_err_t err;
    pa_err_clear(&err);
    cr_assert_eq(pa_catalog_add_district(cat, "50010100", &err), PA_EINVAL); /* 8 > 7 */
    cr_assert_eq(err.code, PA_EINVAL);
    cr_assert_neq(strstr(err.msg, "50010100"), NULL, "%s", err.msg);
    cr_assert_eq(pa_catalog_add_town(cat, "500101001001", "500101", &err), PA_EINVAL);
    cr_assert_eq(pa_catalog_add_town(cat, "500101001", "500101000", &err), PA_EINVAL);
    cr_assert_eq(pa_catalog_add_district(cat, "5001011", &err), PA_OK); /* 7 fits */
    cr_assert_eq(pa_catalog_add_town(cat, "50010100111", "5001011", &err), PA_OK);
    pa_catalog_seal(cat);
    cr_assert_eq(pa_catalog_town_count(cat), 1, "a refused town was kept");
    cr_assert(pa_catalog_has_district(cat, "5001011"));
    cr_assert_not(pa_catalog_has_district(cat, "5001010"), "a refused district was kept");
    pa_catalog_destroy(&cat);
}

Test(catalog, many_entries_grow_and_stay_searchable)
{
    pa_catalog_t *cat = pa_catalog_new();
    char code[PA_TOWN_SIZE];
    for (int i = 999; i >= 0; i--) {
        snprintf(code, sizeof code, "500%03d", i % 1000);
        if (i < 38)
            cr_assert_eq(pa_catalog_add_district(cat, code, NULL), PA_OK);
        snprintf(code, sizeof code, "500%03d%03d", i % 38, i);
        char district[PA_DISTRICT_SIZE];
        snprintf(district, sizeof district, "500%03d", i % 38);
        cr_assert_eq(pa_catalog_add_town(cat, code, district, NULL), PA_OK);
    }
    pa_catalog_seal(cat);
    cr_assert_eq(pa_catalog_town_count(cat), 1000);
    for (int i = 0; i < 1000; i++) {
        snprintf(code, sizeof code, "500%03d%03d", i % 38, i);
        const char *d = pa_catalog_town_district(cat, code);
        cr_assert_not_null(d, "town %s lost", code);
        char district[PA_DISTRICT_SIZE];
        snprintf(district, sizeof district, "500%03d", i % 38);
        cr_assert_str_eq(d, district);
    }
    cr_assert(pa_catalog_has_district(cat, "500037"));
    cr_assert_not(pa_catalog_has_district(cat, "500038"));
    pa_catalog_destroy(&cat);
}

Test(catalog, first_year_is_the_earliest)
{
    pa_catalog_t *cat = pa_catalog_new();
    pa_indicator_t ind;
    memset(&ind, 0, sizeof ind);
    static const struct {
        const char *code;
        int first_year;
    } inds[] = {{"b", 2021}, {"a", 2019}, {"c", 2022}};
    for (size_t i = 0; i < 3; i++) {
        snprintf(ind.code, sizeof ind.code, "%s", inds[i].code);
        ind.first_year = inds[i].first_year;
        cr_assert_eq(pa_catalog_add_indicator(cat, &ind, NULL), PA_OK);
    }
    pa_catalog_seal(cat);
    cr_assert_eq(pa_catalog_first_year(cat), 2019);
    pa_catalog_destroy(&cat);
}
