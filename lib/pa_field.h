/* pa_field.h - what a field of a report file means, the same in CSV and JSON:
 * the number grammar (JSON's), whole numbers for counts, revisions and
 * trimming. A leaf: it knows no file format and no location; callers prefix
 * the file, line and field to the reasons it gives. */
#ifndef PA_FIELD_H
#define PA_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pa_err.h"

/* A number as written in a file. */
typedef struct {
    double value; /* correctly rounded */
    bool whole;   /* written as an integer: no fraction, no exponent */
} pa_field_number_t;

/* Narrows text/len to the field without leading and trailing spaces and tabs. */
void pa_field_trim(const char **text, size_t *len);

/* Parses text[0..len) (not necessarily terminated; surrounding spaces and
 * tabs ignored) with JSON's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?
 * ([eE][+-]?[0-9]+)?. So "0x10", "inf", "nan", "+1", ".5", "1." and "1,234"
 * are not numbers. Overflow ("1e400") and underflow ("1e-400", anything
 * that is not 0 but rounds below DBL_MIN) are errors, not infinities or
 * zeros. Returns PA_OK, or PA_EINVAL with err's message the reason, quoting
 * the text ("'1,234' is not a number (no thousands separators: write 1234)"),
 * or PA_ENOMEM. err may be NULL. Thread-safe. */
int pa_field_parse_number(const char *text, size_t len, pa_field_number_t *out, pa_err_t *err);

/* Counts are whole numbers, written as such: "1.5" is refused as not whole,
 * "1.0" and "1e3" as not written as one (the text says the writer had a
 * fraction in mind). text is the field as written, for the message. Returns
 * PA_OK or PA_EINVAL with the reason in err (may be NULL). */
int pa_field_check_count(const pa_field_number_t *count, const char *text, pa_err_t *err);

/* The same for a ratio's numerator and denominator, with a hint when the
 * pair looks like a percentage (97.9 of 100) or a share (0.979 of 1): rates
 * are sent as two counts. On PA_EINVAL *bad_is_denominator says which of the
 * two the reason is about (the numerator when both are bad). */
int pa_field_check_ratio(const pa_field_number_t *num, const char *num_text,
                         const pa_field_number_t *den, const char *den_text,
                         bool *bad_is_denominator, pa_err_t *err);

/* Parses a revision: decimal digits only, 1..UINT32_MAX, surrounding spaces
 * and tabs ignored. PA_EINVAL (err untouched) otherwise. */
int pa_field_parse_revision(const char *text, size_t len, uint32_t *out);

#endif
