/* pa_input.h - the front door to the district report readers (CSV via
 * libcsv, JSON via yajl, chosen from a table of readers). Each reader is
 * push-style: feed it bytes in any chunk size and it calls back once per
 * complete report, so memory is bounded by the largest report, not by the
 * file. Formats are described in README.md. */
#ifndef PA_INPUT_H
#define PA_INPUT_H

#include <stddef.h>
#include <stdio.h>

#include "pa_err.h"
#include "pa_reader.h" /* pa_report_cb, pa_input_opts_t, PA_INPUT_MAX_ERRORS */
#include "pa_report.h"

typedef enum {
    PA_FORMAT_AUTO = 0, /* from the file name: .csv, .json or .ndjson; stdin needs a format */
    PA_FORMAT_CSV = 1,
    PA_FORMAT_JSON = 2,
} pa_format_t;

/* pa_report_cb (pa_reader.h) is called once per complete report. The report
 * is borrowed: valid only during the call (copy what you keep). Return PA_OK
 * to go on; any other code stops the reader, which then returns that code
 * with err as the callback set it. The reader fills district, period (start
 * as given: alignment is the worker's check), revision (1 when not given),
 * report_id ("" when not given: the producer assigns one), values (town "" =
 * district as a whole, line = the value's input line), source and
 * first_line; submitted_at_ms stays 0. Values are checked for syntax and type
 * only, with JSON's number grammar in both formats; counts, numerators and
 * denominators must be written as whole numbers. err is never NULL. No
 * report is handed on once a syntax error has been found. */

typedef struct pa_input pa_input_t;

/* Creates a reader for one input. source names it in error messages ("-" for
 * stdin); opts may be NULL (defaults: no ignored columns, PA_INPUT_MAX_ERRORS
 * errors, no error callback) and is read only here. Returns NULL and fills
 * err on failure (bad format, out of memory). A leading UTF-8 byte order mark
 * is skipped in either format. Each reader is independent (no shared state):
 * one thread per reader at a time. */
pa_input_t *pa_input_new_opts(pa_format_t format, const char *source, const pa_input_opts_t *opts,
                              pa_report_cb cb, void *arg, pa_err_t *err);
/* pa_input_new_opts with default options. */
pa_input_t *pa_input_new(pa_format_t format, const char *source, pa_report_cb cb, void *arg,
                         pa_err_t *err);
/* NULL-safe; sets *self_p to NULL. */
void pa_input_destroy(pa_input_t **self_p);
/* Feeds len bytes. A syntax error in a row or value is recorded and reading
 * goes on (each error also goes to opts->on_error as it is found); feed
 * returns PA_EINVAL once reading stops: at the error limit, or at an error
 * that leaves the parser lost (a misplaced quote, a file that is not UTF-8,
 * a broken header, a JSON structure error). Errors are lines
 * "FILE:LINE:COL: field: reason" for CSV (COL counts fields from 1, as a
 * spreadsheet numbers columns) and "FILE:LINE: path: reason" for JSON; err
 * holds the one line, or "FILE: N syntax errors" and the lines that fit. The
 * callback's own code comes back as is. After an error the reader must not
 * be fed again (if it is, it returns the same error). */
int pa_input_feed(pa_input_t *self, const char *buf, size_t len, pa_err_t *err);
/* Ends the input: flushes the last report; PA_EINVAL with every syntax
 * error found, on a truncated file (an open CSV quote, an unclosed JSON
 * value), and on an input without reports (empty, a CSV header only, an
 * empty JSON array). */
int pa_input_finish(pa_input_t *self, pa_err_t *err);

/* Convenience: reads the whole stream f in fixed-size chunks (opts may be
 * NULL). */
int pa_input_read_file_opts(FILE *f, pa_format_t format, const char *source,
                            const pa_input_opts_t *opts, pa_report_cb cb, void *arg, pa_err_t *err);
/* pa_input_read_file_opts with default options. */
int pa_input_read_file(FILE *f, pa_format_t format, const char *source, pa_report_cb cb, void *arg,
                       pa_err_t *err);

/* Format from a file name's extension; PA_FORMAT_AUTO when unknown. */
pa_format_t pa_input_format_from_name(const char *name);
/* "csv" / "json" -> format; PA_EINVAL otherwise. */
int pa_input_format_parse(const char *s, pa_format_t *out);

#endif
