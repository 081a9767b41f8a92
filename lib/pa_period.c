/* pa_period.c - civil-date arithmetic for reporting periods. The day-number
 * conversion is the well-known era-based algorithm (H. Hinnant, "chrono-
 * compatible low-level date algorithms"), exact for the whole Gregorian range. */
#include "pa_period.h"

#include <stdio.h>
#include <string.h>

int pa_period_type_parse(const char *s, pa_period_type_t *out)
{
    static const char *const names[] = {"day", "week", "month", "quarter", "year"};
    for (int i = 0; i < 5; i++) {
        if (s && strcmp(s, names[i]) == 0) {
            *out = (pa_period_type_t)(i + 1);
            return PA_OK;
        }
    }
    return PA_EINVAL;
}

const char *pa_period_type_name(pa_period_type_t type)
{
    switch (type) {
    case PA_PERIOD_DAY:
        return "day";
    case PA_PERIOD_WEEK:
        return "week";
    case PA_PERIOD_MONTH:
        return "month";
    case PA_PERIOD_QUARTER:
        return "quarter";
    case PA_PERIOD_YEAR:
        return "year";
    default:
        return "none";
    }
}

int32_t pa_date_from_ymd(int year, int month, int day)
{
    int y = year - (month <= 2);
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void pa_date_to_ymd(int32_t days, int *year, int *month, int *day)
{
    int z = days + 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int y = yoe + era * 400;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    int d = doy - (153 * mp + 2) / 5 + 1;
    int m = mp + (mp < 10 ? 3 : -9);
    *year = y + (m <= 2);
    *month = m;
    *day = d;
}

static int s_days_in_month(int year, int month)
{
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : dim[month - 1];
}

/* Reads exactly n digits from s; -1 if any is not a digit. */
static int s_digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int pa_date_parse(const char *s, int32_t *out, pa_err_t *err)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return pa_err_set(err, PA_EINVAL, "'%s' is not a date of the form YYYY-MM-DD", s ? s : "");
    int y = s_digits(s, 4), m = s_digits(s + 5, 2), d = s_digits(s + 8, 2);
    if (y < 1900 || m < 1 || m > 12 || d < 1 || d > s_days_in_month(y, m))
        return pa_err_set(err, PA_EINVAL, "'%s' is not a calendar date", s);
    *out = pa_date_from_ymd(y, m, d);
    return PA_OK;
}

void pa_date_format(int32_t days, char out[PA_DATE_SIZE])
{
    int y, m, d;
    pa_date_to_ymd(days, &y, &m, &d);
    snprintf(out, PA_DATE_SIZE, "%04d-%02d-%02d", y % 10000, m % 100, d % 100);
}

int pa_date_weekday(int32_t days)
{
    /* 1970-01-01 was a Thursday (4). */
    int w = (int)((days % 7 + 7) % 7); /* 0 = Thursday */
    return (w + 3) % 7 + 1;
}

/* Monday of ISO week 1 of an ISO year: the week holding 4 January. */
static int32_t s_iso_week1(int year)
{
    int32_t jan4 = pa_date_from_ymd(year, 1, 4);
    return jan4 - (pa_date_weekday(jan4) - 1);
}

int pa_period_parse(const char *s, pa_period_t *out, pa_err_t *err)
{
    size_t len = s ? strlen(s) : 0;
    int y = len >= 4 ? s_digits(s, 4) : -1;
    if (y < 1900)
        goto bad;
    if (len == 4) {
        *out = (pa_period_t){PA_PERIOD_YEAR, pa_date_from_ymd(y, 1, 1)};
        return PA_OK;
    }
    if (len == 7 && s[4] == '-' && s[5] == 'Q') {
        int q = s_digits(s + 6, 1);
        if (q < 1 || q > 4)
            goto bad;
        *out = (pa_period_t){PA_PERIOD_QUARTER, pa_date_from_ymd(y, 3 * q - 2, 1)};
        return PA_OK;
    }
    if (len == 8 && s[4] == '-' && s[5] == 'W') {
        int w = s_digits(s + 6, 2);
        int32_t w1 = s_iso_week1(y);
        int weeks = (int)((s_iso_week1(y + 1) - w1) / 7);
        if (w < 1 || w > weeks)
            goto bad;
        *out = (pa_period_t){PA_PERIOD_WEEK, w1 + 7 * (w - 1)};
        return PA_OK;
    }
    if (len == 7 && s[4] == '-') {
        int m = s_digits(s + 5, 2);
        if (m < 1 || m > 12)
            goto bad;
        *out = (pa_period_t){PA_PERIOD_MONTH, pa_date_from_ymd(y, m, 1)};
        return PA_OK;
    }
    if (len == 10) {
        int32_t d;
        if (pa_date_parse(s, &d, NULL) != PA_OK)
            goto bad;
        *out = (pa_period_t){PA_PERIOD_DAY, d};
        return PA_OK;
    }
bad:
    return pa_err_set(err, PA_EINVAL,
                      "'%s' is not a period (2024-03-05, 2024-W09, 2024-03, 2024-Q1 or 2024)",
                      s ? s : "");
}

void pa_period_format(const pa_period_t *p, char out[PA_PERIOD_SIZE])
{
    int y, m, d;
    pa_date_to_ymd(p->start, &y, &m, &d);
    y %= 10000; /* keeps the format bounded for any input */
    switch (p->type) {
    case PA_PERIOD_DAY:
        snprintf(out, PA_PERIOD_SIZE, "%04d-%02d-%02d", y, m, d);
        break;
    case PA_PERIOD_WEEK: {
        /* The ISO year is the year of the week's Thursday. */
        int ty, tm, td;
        pa_date_to_ymd(p->start + 3, &ty, &tm, &td);
        int w = (int)((p->start - s_iso_week1(ty)) / 7) + 1;
        snprintf(out, PA_PERIOD_SIZE, "%04d-W%02d", ty % 10000, w % 100);
        break;
    }
    case PA_PERIOD_MONTH:
        snprintf(out, PA_PERIOD_SIZE, "%04d-%02d", y, m);
        break;
    case PA_PERIOD_QUARTER:
        snprintf(out, PA_PERIOD_SIZE, "%04d-Q%d", y, (m - 1) / 3 + 1);
        break;
    case PA_PERIOD_YEAR:
        snprintf(out, PA_PERIOD_SIZE, "%04d", y);
        break;
    default:
        snprintf(out, PA_PERIOD_SIZE, "?");
        break;
    }
}

bool pa_period_aligned(pa_period_type_t type, int32_t start)
{
    int y, m, d;
    pa_date_to_ymd(start, &y, &m, &d);
    switch (type) {
    case PA_PERIOD_DAY:
        return true;
    case PA_PERIOD_WEEK:
        return pa_date_weekday(start) == 1;
    case PA_PERIOD_MONTH:
        return d == 1;
    case PA_PERIOD_QUARTER:
        return d == 1 && (m - 1) % 3 == 0;
    case PA_PERIOD_YEAR:
        return d == 1 && m == 1;
    default:
        return false;
    }
}

int32_t pa_period_end(const pa_period_t *p)
{
    int y, m, d;
    pa_date_to_ymd(p->start, &y, &m, &d);
    switch (p->type) {
    case PA_PERIOD_DAY:
        return p->start + 1;
    case PA_PERIOD_WEEK:
        return p->start + 7;
    case PA_PERIOD_MONTH:
        return m == 12 ? pa_date_from_ymd(y + 1, 1, 1) : pa_date_from_ymd(y, m + 1, 1);
    case PA_PERIOD_QUARTER:
        return m >= 10 ? pa_date_from_ymd(y + 1, 1, 1) : pa_date_from_ymd(y, m + 3, 1);
    case PA_PERIOD_YEAR:
        return pa_date_from_ymd(y + 1, 1, 1);
    default:
        return p->start;
    }
}
