/* pa_period.h - calendar arithmetic for reporting periods (day, ISO week,
 * month, quarter, year). Dates are whole days since 1970-01-01 (proleptic
 * Gregorian, no time zone): reporting periods are civil dates, not instants. */
#ifndef PA_PERIOD_H
#define PA_PERIOD_H

#include <stdbool.h>
#include <stdint.h>

#include "pa_err.h"

typedef enum {
    PA_PERIOD_NONE = 0,
    PA_PERIOD_DAY = 1,
    PA_PERIOD_WEEK = 2,
    PA_PERIOD_MONTH = 3,
    PA_PERIOD_QUARTER = 4,
    PA_PERIOD_YEAR = 5,
} pa_period_type_t;

typedef struct {
    pa_period_type_t type;
    int32_t start; /* first day, days since 1970-01-01 */
} pa_period_t;

#define PA_DATE_SIZE   11 /* "YYYY-MM-DD" + NUL */
#define PA_PERIOD_SIZE 16 /* longest period id + NUL */

/* "day", "week", "month", "quarter", "year" (case-sensitive); PA_EINVAL otherwise. */
int pa_period_type_parse(const char *s, pa_period_type_t *out);
/* The name above, or "none" for anything else. */
const char *pa_period_type_name(pa_period_type_t type);

/* Days since the epoch of a civil date; no validation of month/day ranges. */
int32_t pa_date_from_ymd(int year, int month, int day);
void pa_date_to_ymd(int32_t days, int *year, int *month, int *day);
/* Strict "YYYY-MM-DD" with a real calendar day, years 1900..9999. */
int pa_date_parse(const char *s, int32_t *out, pa_err_t *err);
void pa_date_format(int32_t days, char out[PA_DATE_SIZE]);
/* 1 = Monday ... 7 = Sunday. */
int pa_date_weekday(int32_t days);

/* Parses a period id: "2024-03-05" (day), "2024-W09" (ISO week), "2024-03"
 * (month), "2024-Q1" (quarter), "2024" (year). */
int pa_period_parse(const char *s, pa_period_t *out, pa_err_t *err);
/* Writes the period id in the form pa_period_parse reads. */
void pa_period_format(const pa_period_t *p, char out[PA_PERIOD_SIZE]);
/* True when start is the first day of a period of that type. */
bool pa_period_aligned(pa_period_type_t type, int32_t start);
/* First day after the period (exclusive end). */
int32_t pa_period_end(const pa_period_t *p);

#endif
