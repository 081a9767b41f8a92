/* pa_validate.c - the report rules of docs/protocol.md, "Reason codes". */
#include "pa_validate.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pa_hash.h"

int32_t pa_validate_today(int64_t now_ms)
{
    int64_t local = now_ms + PA_TZ_OFFSET_MS;
    int64_t day_ms = 86400LL * 1000;
    return (int32_t)(local >= 0 ? local / day_ms : -((-local + day_ms - 1) / day_ms));
}

/* True when the decoder already flagged this field. */
static bool s_flagged(const pa_problems_t *pr, const char *field)
{
    for (size_t i = 0; i < pr->n; i++)
        if (strcmp(pr->items[i].field, field) == 0)
            return true;
    return false;
}

/* Field path of value i, built only when a problem is recorded: most values
 * have none, and formatting a path per value was a measurable cost. */
static const char *s_path(char buf[PA_PROBLEM_FIELD_SIZE], size_t i, const char *suffix)
{
    snprintf(buf, PA_PROBLEM_FIELD_SIZE, "values[%zu]%s", i, suffix);
    return buf;
}

static void s_check_count(const pa_indicator_t *ind, double c, size_t i, pa_problems_t *pr)
{
    char f[PA_PROBLEM_FIELD_SIZE];
    if (!isfinite(c)) {
        pa_problems_add(pr, PA_REASON_NOT_FINITE, s_path(f, i, ".count"), "count is %g", c);
        return;
    }
    if (c < 0)
        pa_problems_add(pr, PA_REASON_NEGATIVE_COUNT, s_path(f, i, ".count"),
                        "count %g is negative", c);
    if (c != floor(c))
        pa_problems_add(pr, PA_REASON_FRACTIONAL_COUNT, s_path(f, i, ".count"),
                        "count %g is not a whole number", c);
    if (ind->has_ceiling && c > ind->ceiling)
        pa_problems_add(pr, PA_REASON_COUNT_ABOVE_CEILING, s_path(f, i, ".count"),
                        "count %g is above the ceiling %g for %s", c, ind->ceiling, ind->code);
}

static void s_check_ratio(double num, double den, size_t i, pa_problems_t *pr)
{
    char f[PA_PROBLEM_FIELD_SIZE];
    if (!isfinite(num) || !isfinite(den)) {
        pa_problems_add(pr, PA_REASON_NOT_FINITE,
                        s_path(f, i, isfinite(num) ? ".ratio.denominator" : ".ratio.numerator"),
                        "ratio %g/%g is not finite", num, den);
        return;
    }
    if (num < 0)
        pa_problems_add(pr, PA_REASON_NEGATIVE_NUMERATOR, s_path(f, i, ".ratio.numerator"),
                        "numerator %g is negative", num);
    if (den <= 0)
        pa_problems_add(pr, PA_REASON_NONPOSITIVE_DENOMINATOR, s_path(f, i, ".ratio.denominator"),
                        "denominator %g is not positive", den);
    if (den > 0 && num > den)
        pa_problems_add(pr, PA_REASON_NUMERATOR_ABOVE_DENOMINATOR, s_path(f, i, ".ratio.numerator"),
                        "numerator %g is above denominator %g", num, den);
}

/* Walks the problems the decoder recorded (in value order) alongside the
 * values, so that telling whether value i was already named costs no
 * formatting and no search per value. */
typedef struct {
    const pa_problems_t *pr;
    size_t next, end; /* decoder problems still ahead: items[next .. end) */
} s_flags_t;

/* Index of a "values[N]" or "values[N].indicator" problem, or SIZE_MAX for
 * any other field (those do not stop a value from being judged). */
static size_t s_flag_index(const char *field)
{
    if (strncmp(field, "values[", 7) != 0)
        return SIZE_MAX;
    char *rest = NULL;
    unsigned long long i = strtoull(field + 7, &rest, 10);
    if (rest == field + 7 || *rest != ']' || (rest[1] && strcmp(rest + 1, ".indicator") != 0))
        return SIZE_MAX;
    return (size_t)i;
}

/* Whether the decoder already named value i's indicator or amount. */
static bool s_value_flagged(s_flags_t *fl, size_t i)
{
    bool hit = false;
    while (fl->next < fl->end) {
        size_t k = s_flag_index(fl->pr->items[fl->next].field);
        if (k != SIZE_MAX && k > i)
            break;
        hit = hit || k == i;
        fl->next++;
    }
    return hit;
}

static void s_check_value(const pa_catalog_t *cat, const pa_report_t *r, size_t i, bool district_ok,
                          s_flags_t *fl, pa_problems_t *pr)
{
    const pa_value_t *v = &r->values[i];
    char f[PA_PROBLEM_FIELD_SIZE];
    /* The decoder already named a broken indicator or amount: judge no further. */
    if (s_value_flagged(fl, i))
        return;
    const pa_indicator_t *ind = pa_catalog_indicator(cat, v->indicator);
    if (!ind) {
        pa_problems_add(pr, PA_REASON_UNKNOWN_INDICATOR, s_path(f, i, ".indicator"),
                        "indicator '%s' is not in the catalogue", v->indicator);
        return;
    }
    if (r->period.type != PA_PERIOD_NONE && !(ind->period_mask & (1u << r->period.type)))
        pa_problems_add(pr, PA_REASON_PERIOD_TYPE_NOT_COLLECTED, s_path(f, i, ".indicator"),
                        "%s is not collected per %s", ind->code,
                        pa_period_type_name(r->period.type));
    if (v->town[0]) {
        const char *owner = pa_catalog_town_district(cat, v->town);
        if (ind->level == PA_LEVEL_DISTRICT)
            pa_problems_add(pr, PA_REASON_LEVEL_MISMATCH, s_path(f, i, ".town"),
                            "%s is reported per district, not per town", ind->code);
        else if (!owner)
            pa_problems_add(pr, PA_REASON_TOWN_NOT_IN_DISTRICT, s_path(f, i, ".town"),
                            "town %s is unknown", v->town);
        else if (district_ok && strcmp(owner, r->district) != 0)
            pa_problems_add(pr, PA_REASON_TOWN_NOT_IN_DISTRICT, s_path(f, i, ".town"),
                            "town %s belongs to district %s, not %s", v->town, owner, r->district);
    } else if (ind->level == PA_LEVEL_TOWN) {
        pa_problems_add(pr, PA_REASON_LEVEL_MISMATCH, s_path(f, i, ".town"),
                        "%s is reported per town: town is missing", ind->code);
    }
    if (v->kind == PA_AMOUNT_COUNT && ind->is_ratio)
        pa_problems_add(pr, PA_REASON_KIND_MISMATCH, s_path(f, i, ".count"),
                        "%s is a ratio: send numerator and denominator, not a count", ind->code);
    else if (v->kind == PA_AMOUNT_RATIO && !ind->is_ratio)
        pa_problems_add(pr, PA_REASON_KIND_MISMATCH, s_path(f, i, ".ratio"),
                        "%s is a count, not a ratio", ind->code);
    else if (v->kind == PA_AMOUNT_COUNT)
        s_check_count(ind, v->count, i, pr);
    else if (v->kind == PA_AMOUNT_RATIO)
        s_check_ratio(v->numerator, v->denominator, i, pr);
}

/* Names every value whose (indicator, town) an earlier value already has
 * (naming the nearest such value),
 * with an open-addressing set of value indexes (O(n)). */
static void s_check_duplicates(const pa_report_t *r, pa_problems_t *pr)
{
    if (r->n_values < 2)
        return;
    size_t cap = 4;
    while (cap < r->n_values * 2)
        cap *= 2;
    size_t *slots = calloc(cap, sizeof *slots); /* value index + 1; 0 = empty */
    if (!slots) {
        pa_problems_add(pr, PA_REASON_TOO_MANY_VALUES, "values",
                        "out of memory checking %zu values for repeats", r->n_values);
        return;
    }
    for (size_t i = 0; i < r->n_values; i++) {
        const pa_value_t *v = &r->values[i];
        size_t k = (size_t)pa_hash_pair(v->indicator, v->town) & (cap - 1);
        while (slots[k]) {
            const pa_value_t *w = &r->values[slots[k] - 1];
            if (strcmp(w->indicator, v->indicator) == 0 && strcmp(w->town, v->town) == 0)
                break;
            k = (k + 1) & (cap - 1);
        }
        if (!slots[k]) {
            slots[k] = i + 1;
            continue;
        }
        if (pa_problems_full(pr)) {
            pr->dropped++; /* refused anyway: look no further */
            break;
        }
        char f[PA_PROBLEM_FIELD_SIZE];
        snprintf(f, sizeof f, "values[%zu]", i);
        pa_problems_add(pr, PA_REASON_DUPLICATE_VALUE, f, "%s for %s repeats values[%zu]",
                        v->indicator, v->town[0] ? v->town : "the district", slots[k] - 1);
        slots[k] = i + 1; /* a third repeat names the second: the nearest earlier one */
    }
    free(slots);
}

void pa_validate_report(const pa_catalog_t *cat, const pa_report_t *r, int64_t now_ms,
                        pa_problems_t *pr)
{
    /* Towns are judged against a district the decoder could read, known or not. */
    bool district_ok = r->district[0] && !s_flagged(pr, "district");
    if (district_ok && !pa_catalog_has_district(cat, r->district))
        pa_problems_add(pr, PA_REASON_UNKNOWN_DISTRICT, "district", "district %s is unknown",
                        r->district);
    bool period_ok = r->period.type != PA_PERIOD_NONE && !s_flagged(pr, "period_start") &&
                     !s_flagged(pr, "period_type");
    if (period_ok) {
        char start[PA_DATE_SIZE], end[PA_DATE_SIZE];
        int32_t end_day = pa_period_end(&r->period);
        pa_date_format(r->period.start, start);
        pa_date_format(end_day, end);
        int y, m, d;
        pa_date_to_ymd(r->period.start, &y, &m, &d);
        if (!pa_period_aligned(r->period.type, r->period.start))
            pa_problems_add(pr, PA_REASON_PERIOD_MISALIGNED, "period_start",
                            "%s does not start a %s%s", start, pa_period_type_name(r->period.type),
                            r->period.type == PA_PERIOD_WEEK ? " (ISO weeks start on Monday)" : "");
        else if (end_day > pa_validate_today(now_ms))
            pa_problems_add(pr, PA_REASON_PERIOD_NOT_ENDED, "period_start",
                            "the %s starting %s has not ended (it ends before %s)",
                            pa_period_type_name(r->period.type), start, end);
        int first = pa_catalog_first_year(cat);
        if (first && y < first)
            pa_problems_add(pr, PA_REASON_PERIOD_TOO_EARLY, "period_start",
                            "%s is before the first reporting year %d", start, first);
    }
    if (r->submitted_at_ms > now_ms + PA_FUTURE_SKEW_MS)
        pa_problems_add(pr, PA_REASON_SUBMITTED_IN_FUTURE, "submitted_at_ms",
                        "submitted_at_ms %lld is %lld s in the future",
                        (long long)r->submitted_at_ms,
                        (long long)((r->submitted_at_ms - now_ms) / 1000));
    /* A void revision withdraws its period: it carries nothing to count. */
    if (r->withdraw && r->n_values)
        pa_problems_add(pr, PA_REASON_WITHDRAW_WITH_VALUES, "values",
                        "a void revision (withdraw) carries no values, this one has %zu",
                        r->n_values);
    if (r->withdraw)
        return;
    if (r->n_values == 0 && !s_flagged(pr, "values"))
        pa_problems_add(pr, PA_REASON_MISSING_FIELD, "values", "the report has no values");
    s_flags_t fl = {pr, 0, pr->n};
    /* A report holding its maximum of problems is refused anyway: stop
     * looking (the receipt says more were found). */
    for (size_t i = 0; i < r->n_values; i++) {
        if (pa_problems_full(pr)) {
            pr->dropped++;
            return;
        }
        s_check_value(cat, r, i, district_ok, &fl, pr);
    }
    s_check_duplicates(r, pr);
}
