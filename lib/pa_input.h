/* pa_input.h - streaming readers for district report files (CSV via libcsv,
 * JSON via yajl). Each reader is push-style: feed it bytes in any chunk size
 * and it calls back once per complete report, so memory is bounded by the
 * largest report, not by the file. Formats are described in README.md. */
#ifndef PA_INPUT_H
#define PA_INPUT_H

#include <stddef.h>
#include <stdio.h>

#include "pa_err.h"
#include "pa_report.h"

typedef enum {
    PA_FORMAT_AUTO = 0, /* from the file name: .csv, .json or .ndjson; stdin needs a format */
    PA_FORMAT_CSV = 1,
    PA_FORMAT_JSON = 2,
} pa_format_t;

/* Called once per complete report. The report is borrowed: valid only during
 * the call (copy what you keep). Return PA_OK to go on; any other code stops
 * the reader, which then returns that code with err as the callback set it.
 * The reader fills district, period (start as given: alignment is the
 * worker's check), revision (1 when not given), report_id ("" when not given:
 * the producer assigns one), values (town "" = district as a whole), source
 * and first_line; submitted_at_ms stays 0. Values are checked for syntax and
 * type only ("nan", "inf" and fractions pass). err is never NULL. */
typedef int (*pa_report_cb)(void *arg, pa_report_t *report, pa_err_t *err);

typedef struct pa_input pa_input_t;

/* Creates a reader for one input. source names it in error messages ("-" for
 * stdin). Returns NULL and fills err on failure (bad format, out of memory).
 * A leading UTF-8 byte order mark is skipped in either format. Each reader is
 * independent (no shared state): one thread per reader at a time. */
pa_input_t *pa_input_new(pa_format_t format, const char *source, pa_report_cb cb, void *arg,
                         pa_err_t *err);
/* NULL-safe; sets *self_p to NULL. */
void pa_input_destroy(pa_input_t **self_p);
/* Feeds len bytes. Returns PA_OK, PA_EINVAL with err naming source, line,
 * column/field and reason ("march.csv:12: count: 'x' is not a number"), or
 * the callback's code. After an error the reader must not be fed again
 * (if it is, it returns the same error). */
int pa_input_feed(pa_input_t *self, const char *buf, size_t len, pa_err_t *err);
/* Ends the input: flushes the last report; PA_EINVAL on a truncated file
 * (an open CSV quote, an unclosed JSON value) or a CSV without a header row.
 * An empty JSON input is an empty stream: PA_OK with no reports. */
int pa_input_finish(pa_input_t *self, pa_err_t *err);

/* Convenience: reads the whole stream f in fixed-size chunks. */
int pa_input_read_file(FILE *f, pa_format_t format, const char *source, pa_report_cb cb, void *arg,
                       pa_err_t *err);

/* Format from a file name's extension; PA_FORMAT_AUTO when unknown. */
pa_format_t pa_input_format_from_name(const char *name);
/* "csv" / "json" -> format; PA_EINVAL otherwise. */
int pa_input_format_parse(const char *s, pa_format_t *out);

#endif
