/* pa_report.h - the in-memory report: one district, one period, one revision,
 * and its values. Readers (pa_csv, pa_json) fill it, pa_codec moves it on and
 * off the wire, pa_validate judges it and pa_store persists it. It knows
 * nothing of files, sockets or PostgreSQL. */
#ifndef PA_REPORT_H
#define PA_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pa_err.h"
#include "pa_period.h"

#define PA_REPORT_ID_SIZE 65 /* 64 characters + NUL */
#define PA_DISTRICT_SIZE  8  /* 6 digits + NUL, room for one bad extra */
#define PA_TOWN_SIZE      12 /* 9 digits + NUL */
#define PA_INDICATOR_SIZE 40
#define PA_MAX_VALUES     100000 /* per report; more is refused as TOO_MANY_VALUES */

typedef enum {
    PA_AMOUNT_NONE = 0, /* neither count nor ratio given */
    PA_AMOUNT_COUNT = 1,
    PA_AMOUNT_RATIO = 2,
} pa_amount_t;

typedef struct {
    char indicator[PA_INDICATOR_SIZE]; /* catalogue code */
    char town[PA_TOWN_SIZE];           /* "" = district as a whole */
    pa_amount_t kind;
    double count;       /* when kind == PA_AMOUNT_COUNT */
    double numerator;   /* when kind == PA_AMOUNT_RATIO */
    double denominator; /* when kind == PA_AMOUNT_RATIO */
    size_t line;        /* input line it was read from, for messages; 0 = unknown (not sent) */
} pa_value_t;

typedef struct {
    char report_id[PA_REPORT_ID_SIZE]; /* idempotency key; "" until pa_report_assign_id */
    char district[PA_DISTRICT_SIZE];
    pa_period_t period;
    int64_t submitted_at_ms; /* Unix epoch milliseconds; 0 = not given */
    uint32_t revision;       /* >= 1 */
    bool withdraw;           /* a void revision: withdraws the period, carries no values */
    pa_value_t *values;      /* owned */
    size_t n_values;
    size_t cap_values;
    /* Where the report came from, for producer-side messages (not sent). */
    char source[256];  /* file name, "-" for stdin */
    size_t first_line; /* first input line of the report; 0 when unknown */
} pa_report_t;

/* Returns an empty report, or NULL when out of memory. Caller destroys. */
pa_report_t *pa_report_new(void);
/* Frees the report and its values; sets *self_p to NULL. NULL-safe. */
void pa_report_destroy(pa_report_t **self_p);
/* Empties the report for reuse, keeping its value buffer. */
void pa_report_reset(pa_report_t *self);
/* Appends a copy of value. PA_EINVAL past PA_MAX_VALUES, PA_ENOMEM. */
int pa_report_add_value(pa_report_t *self, const pa_value_t *value, pa_err_t *err);
/* Copies src into dst (deep). */
int pa_report_copy(pa_report_t *dst, const pa_report_t *src, pa_err_t *err);
/* A new deep copy of src (caller destroys), or NULL with err filled. */
pa_report_t *pa_report_dup(const pa_report_t *src, pa_err_t *err);

/* Sets report_id to a name-based UUID (RFC 4122 version 5) of the report's
 * canonical content (district, period, revision, values in order), so that a
 * re-run of the same file yields the same ids and the store sees duplicates. */
void pa_report_assign_id(pa_report_t *self);
/* The same UUID text into out (37 bytes at least), without changing self:
 * the store keeps it as content_digest to tell a retry from a conflict. */
void pa_report_digest(const pa_report_t *self, char out[PA_REPORT_ID_SIZE]);

/* Copies src into dst (size bytes). Returns PA_EINVAL when it does not fit,
 * leaving dst truncated but terminated. */
int pa_strlcpy_checked(char *dst, const char *src, size_t size);

/* Copies the longest prefix of the valid UTF-8 string src that fits in size
 * bytes (with its NUL) without splitting a character. */
void pa_utf8_copy_prefix(char *dst, const char *src, size_t size);

/* True when s is valid UTF-8 without control characters (tabs excluded too). */
bool pa_utf8_printable(const char *s);

#endif
