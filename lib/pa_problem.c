/* pa_problem.c - reason names and the per-report problem list. */
#include "pa_problem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pa_vec.h"

void pa_problems_clear(pa_problems_t *self)
{
    free(self->items);
    memset(self, 0, sizeof *self);
}

bool pa_problems_full(const pa_problems_t *self)
{
    return self->n >= PA_PROBLEMS_MAX;
}

void pa_problems_add(pa_problems_t *self, int reason, const char *field, const char *fmt, ...)
{
    if (self->n >= PA_PROBLEMS_MAX) {
        self->dropped++;
        return;
    }
    void *items = self->items;
    pa_problem_t *p = pa_vec_push(&items, self->n, &self->cap, sizeof *p, 4);
    self->items = items;
    if (!p) {
        self->dropped++;
        return;
    }
    self->n++;
    p->reason = reason;
    snprintf(p->field, sizeof p->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->message, sizeof p->message, fmt, ap);
    va_end(ap);
}

static const struct {
    int reason;
    const char *name;
} s_reasons[] = {
    {PA_REASON_UNDECODABLE, "undecodable"},
    {PA_REASON_OVERSIZE, "oversize"},
    {PA_REASON_UNSUPPORTED_VERSION, "unsupported_version"},
    {PA_REASON_EMPTY_SUBMISSION, "empty_submission"},
    {PA_REASON_BAD_FRAMING, "bad_framing"},
    {PA_REASON_TOO_MANY_REPORTS, "too_many_reports"},
    {PA_REASON_DECODE_BUDGET, "decode_budget"},
    {PA_REASON_MISSING_FIELD, "missing_field"},
    {PA_REASON_INVALID_FIELD, "invalid_field"},
    {PA_REASON_TOO_MANY_VALUES, "too_many_values"},
    {PA_REASON_UNKNOWN_FIELDS, "unknown_fields"},
    {PA_REASON_UNKNOWN_DISTRICT, "unknown_district"},
    {PA_REASON_TOWN_NOT_IN_DISTRICT, "town_not_in_district"},
    {PA_REASON_UNKNOWN_INDICATOR, "unknown_indicator"},
    {PA_REASON_PERIOD_TYPE_NOT_COLLECTED, "period_type_not_collected"},
    {PA_REASON_LEVEL_MISMATCH, "level_mismatch"},
    {PA_REASON_NEGATIVE_COUNT, "negative_count"},
    {PA_REASON_FRACTIONAL_COUNT, "fractional_count"},
    {PA_REASON_COUNT_ABOVE_CEILING, "count_above_ceiling"},
    {PA_REASON_NEGATIVE_NUMERATOR, "negative_numerator"},
    {PA_REASON_NONPOSITIVE_DENOMINATOR, "nonpositive_denominator"},
    {PA_REASON_NUMERATOR_ABOVE_DENOMINATOR, "numerator_above_denominator"},
    {PA_REASON_KIND_MISMATCH, "kind_mismatch"},
    {PA_REASON_NOT_FINITE, "not_finite"},
    {PA_REASON_DUPLICATE_VALUE, "duplicate_value"},
    {PA_REASON_MISSING_AMOUNT, "missing_amount"},
    {PA_REASON_PERIOD_MISALIGNED, "period_misaligned"},
    {PA_REASON_PERIOD_NOT_ENDED, "period_not_ended"},
    {PA_REASON_PERIOD_TOO_EARLY, "period_too_early"},
    {PA_REASON_SUBMITTED_IN_FUTURE, "submitted_in_future"},
    {PA_REASON_STALE_REVISION, "stale_revision"},
    {PA_REASON_REVISION_CONFLICT, "revision_conflict"},
    {PA_REASON_REPORT_ID_CONFLICT, "report_id_conflict"},
    {PA_REASON_REVISION_JUMP, "revision_jump"},
    {PA_REASON_NOTHING_TO_WITHDRAW, "nothing_to_withdraw"},
    {PA_REASON_WITHDRAW_WITH_VALUES, "withdraw_with_values"},
    {PA_REASON_STORE_UNAVAILABLE, "store_unavailable"},
    {PA_REASON_UNAUTHORIZED_DISTRICT, "unauthorized_district"},
    {PA_REASON_QUERY_UNAUTHORIZED, "query_unauthorized"},
    {PA_REASON_QUERY_INVALID, "query_invalid"},
    {PA_REASON_QUERY_UNAVAILABLE, "query_unavailable"},
};

const char *pa_reason_name(int reason)
{
    for (size_t i = 0; i < sizeof s_reasons / sizeof s_reasons[0]; i++)
        if (s_reasons[i].reason == reason)
            return s_reasons[i].name;
    return "unspecified";
}

int pa_reason_from_name(const char *name)
{
    for (size_t i = 0; name && i < sizeof s_reasons / sizeof s_reasons[0]; i++)
        if (strcmp(s_reasons[i].name, name) == 0)
            return s_reasons[i].reason;
    return PA_REASON_NONE;
}

const char *pa_status_name(int status)
{
    switch (status) {
    case PA_STATUS_STORED:
        return "stored";
    case PA_STATUS_DUPLICATE:
        return "duplicate";
    case PA_STATUS_REJECTED:
        return "rejected";
    case PA_STATUS_RETRY_LATER:
        return "retry_later";
    case PA_STATUS_SUPERSEDED:
        return "superseded";
    default:
        return "unspecified";
    }
}
