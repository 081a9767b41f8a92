/* pa_problem.h - reason codes and the list of problems found in one report.
 * Reason numbers are the wire enum's (proto/pingan.proto, Reason), so that
 * modules other than pa_codec never see generated types. */
#ifndef PA_PROBLEM_H
#define PA_PROBLEM_H

#include <stdbool.h>
#include <stddef.h>

#include "pa_err.h"

enum {
    PA_REASON_NONE = 0,
    PA_REASON_UNDECODABLE = 1,
    PA_REASON_OVERSIZE = 2,
    PA_REASON_UNSUPPORTED_VERSION = 3,
    PA_REASON_EMPTY_SUBMISSION = 4,
    PA_REASON_BAD_FRAMING = 5,
    PA_REASON_TOO_MANY_REPORTS = 6,
    PA_REASON_DECODE_BUDGET = 7,
    PA_REASON_MISSING_FIELD = 10,
    PA_REASON_INVALID_FIELD = 11,
    PA_REASON_TOO_MANY_VALUES = 12,
    PA_REASON_UNKNOWN_FIELDS = 13,
    PA_REASON_UNKNOWN_DISTRICT = 20,
    PA_REASON_TOWN_NOT_IN_DISTRICT = 21,
    PA_REASON_UNKNOWN_INDICATOR = 22,
    PA_REASON_PERIOD_TYPE_NOT_COLLECTED = 23,
    PA_REASON_LEVEL_MISMATCH = 24,
    PA_REASON_NEGATIVE_COUNT = 30,
    PA_REASON_FRACTIONAL_COUNT = 31,
    PA_REASON_COUNT_ABOVE_CEILING = 32,
    PA_REASON_NEGATIVE_NUMERATOR = 33,
    PA_REASON_NONPOSITIVE_DENOMINATOR = 34,
    PA_REASON_NUMERATOR_ABOVE_DENOMINATOR = 35,
    PA_REASON_KIND_MISMATCH = 36,
    PA_REASON_NOT_FINITE = 37,
    PA_REASON_DUPLICATE_VALUE = 38,
    PA_REASON_MISSING_AMOUNT = 39,
    PA_REASON_PERIOD_MISALIGNED = 40,
    PA_REASON_PERIOD_NOT_ENDED = 41,
    PA_REASON_PERIOD_TOO_EARLY = 42,
    PA_REASON_SUBMITTED_IN_FUTURE = 43,
    PA_REASON_STALE_REVISION = 50,
    PA_REASON_REVISION_CONFLICT = 51,
    PA_REASON_REPORT_ID_CONFLICT = 52,
    PA_REASON_REVISION_JUMP = 53,
    PA_REASON_NOTHING_TO_WITHDRAW = 54,
    PA_REASON_WITHDRAW_WITH_VALUES = 55,
    PA_REASON_STORE_UNAVAILABLE = 60,
    PA_REASON_UNAUTHORIZED_DISTRICT = 70,
    PA_REASON_QUERY_UNAUTHORIZED = 80,
    PA_REASON_QUERY_INVALID = 81,
    PA_REASON_QUERY_UNAVAILABLE = 82,
};

/* Report statuses, as on the wire (Status). */
enum {
    PA_STATUS_NONE = 0,
    PA_STATUS_STORED = 1,
    PA_STATUS_DUPLICATE = 2,
    PA_STATUS_REJECTED = 3,
    PA_STATUS_RETRY_LATER = 4,
    PA_STATUS_SUPERSEDED = 5, /* stored, but a higher revision is current */
};

#define PA_PROBLEM_FIELD_SIZE 64
#define PA_PROBLEM_MSG_SIZE   200
#define PA_PROBLEMS_MAX       64 /* beyond this, problems are counted, not kept */

typedef struct {
    int reason;                        /* PA_REASON_* */
    char field[PA_PROBLEM_FIELD_SIZE]; /* e.g. "values[3].ratio.numerator" */
    char message[PA_PROBLEM_MSG_SIZE];
} pa_problem_t;

typedef struct {
    pa_problem_t *items; /* owned; grown on demand, most reports have none */
    size_t n;            /* kept in items */
    size_t cap;
    size_t dropped; /* found beyond PA_PROBLEMS_MAX or when memory ran out; once full a
                     * report is not examined further, so a lower bound */
} pa_problems_t;

/* Frees the items and empties the list (the struct itself is the caller's). */
void pa_problems_clear(pa_problems_t *self);

/* Whether the list holds PA_PROBLEMS_MAX problems: a caller stops looking
 * for more (and formatting their paths) once it does. */
bool pa_problems_full(const pa_problems_t *self);

/* Appends a problem (printf-style message); counts it in dropped when full. */
void pa_problems_add(pa_problems_t *self, int reason, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Snake-case name of a reason ("numerator_above_denominator"), never NULL;
 * the same names the database uses in quarantine.reasons. */
const char *pa_reason_name(int reason);
/* Inverse of pa_reason_name; PA_REASON_NONE when unknown. */
int pa_reason_from_name(const char *name);
/* "stored", "duplicate", "rejected", "retry_later", "superseded" or "unspecified". */
const char *pa_status_name(int status);

#endif
