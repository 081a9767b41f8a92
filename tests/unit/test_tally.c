/* test_tally.c - the producer's summary tables: exact text, totals, the
 * per-district view of a long run, and the reasons by frequency. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pa_tally.h"

static char *s_render(const pa_tally_t *t)
{
    pa_buf_t b = {0};
    pa_tally_render(t, "title", &b);
    cr_assert_not(b.failed);
    char *text = strdup(b.len ? b.data : "");
    pa_buf_free(&b);
    return text;
}

Test(tally, rows_totals_and_reasons)
{
    pa_tally_t *t = pa_tally_new();
    cr_assert(t);
    pa_problems_t pr = {0};
    pa_problems_add(&pr, PA_REASON_UNKNOWN_INDICATOR, "values[0].indicator", "x");
    pa_problems_add(&pr, PA_REASON_UNKNOWN_INDICATOR, "values[1].indicator", "y");
    pa_problems_add(&pr, PA_REASON_TOWN_NOT_IN_DISTRICT, "values[2].town", "z");
    cr_assert_eq(pa_tally_add(t, "500102", "2024-03", PA_STATUS_STORED, NULL, NULL), PA_OK);
    cr_assert_eq(pa_tally_add(t, "500101", "2024-03", PA_STATUS_REJECTED, &pr, NULL), PA_OK);
    cr_assert_eq(pa_tally_add(t, "500101", "2024-02", PA_STATUS_SUPERSEDED, NULL, NULL), PA_OK);
    cr_assert_eq(pa_tally_add(t, "500101", "2024-03", PA_STATUS_DUPLICATE, NULL, NULL), PA_OK);
    cr_assert_eq(pa_tally_reports(t), 4);
    char *text = s_render(t);
    cr_assert_str_eq(text, "title\n"
                           "district  period       stored  duplicate  superseded  rejected\n"
                           "--------  -----------  ------  ---------  ----------  --------\n"
                           "500101    2024-02           0          0           1         0\n"
                           "500101    2024-03           0          1           0         1\n"
                           "500102    2024-03           1          0           0         0\n"
                           "--------  -----------  ------  ---------  ----------  --------\n"
                           "total     2 districts       1          1           1         1\n"
                           "\n"
                           "reason                problems  reports\n"
                           "--------------------  --------  -------\n"
                           "unknown_indicator            2        1\n"
                           "town_not_in_district         1        1\n");
    free(text);
    pa_problems_clear(&pr);
    pa_tally_destroy(&t);
    cr_assert_null(t);
    pa_tally_destroy(&t);
}

Test(tally, a_long_run_shows_one_row_per_district_and_failed_when_any)
{
    pa_tally_t *t = pa_tally_new();
    char period[16];
    for (int d = 1; d <= 31; d++) {
        snprintf(period, sizeof period, "2024-01-%02d", d);
        cr_assert_eq(pa_tally_add(t, "500101", period, PA_STATUS_STORED, NULL, NULL), PA_OK);
        cr_assert_eq(pa_tally_add(t, "500102", period, PA_STATUS_STORED, NULL, NULL), PA_OK);
    }
    cr_assert_eq(pa_tally_add(t, "500102", "2024-02-01", PA_STATUS_NONE, NULL, NULL), PA_OK);
    char *text = s_render(t);
    cr_assert_str_eq(text,
                     "title\n"
                     "district  periods      stored  duplicate  superseded  rejected  failed\n"
                     "--------  -----------  ------  ---------  ----------  --------  ------\n"
                     "500101    31 periods       31          0           0         0       0\n"
                     "500102    32 periods       31          0           0         0       1\n"
                     "--------  -----------  ------  ---------  ----------  --------  ------\n"
                     "total     2 districts      62          0           0         0       1\n");
    free(text);
    pa_tally_destroy(&t);
}

Test(tally, nothing_counted_renders_nothing)
{
    pa_tally_t *t = pa_tally_new();
    char *text = s_render(t);
    cr_assert_str_eq(text, "");
    free(text);
    pa_tally_destroy(&t);
}
