/* pa_reader.h - what the report readers (pa_csv, pa_json) share with the
 * front door (pa_input) without depending on it: the report callback, the
 * reader options, the table entry each reader exports and the list of syntax
 * errors a reader collects. pa_input dispatches through pa_reader_t; readers
 * include this, pa_field and pa_str, never pa_input.h. */
#ifndef PA_READER_H
#define PA_READER_H

#include <stdbool.h>
#include <stddef.h>

#include "pa_err.h"
#include "pa_report.h"

/* Longest single CSV field or JSON token the readers buffer, in bytes. Real
 * fields are at most PA_REPORT_ID_SIZE long; the cap keeps a corrupt file
 * (an unclosed quote, a runaway string) from growing memory without bound. */
#define PA_INPUT_MAX_TOKEN_BYTES (1024 * 1024)

/* Syntax errors reported per input before a reader stops looking: enough to
 * fix a file in one pass, few enough to read on a terminal. */
#define PA_INPUT_MAX_ERRORS 20

/* Called once per complete report; see pa_input.h. */
typedef int (*pa_report_cb)(void *arg, pa_report_t *report, pa_err_t *err);

/* Called once per syntax error with its whole line, "FILE:LINE:COL: field:
 * reason" (JSON: "FILE:LINE: path: reason"), as it is found. */
typedef void (*pa_input_error_cb)(void *arg, const char *message);

typedef struct {
    /* Comma-separated CSV column names the reader skips (case-insensitive,
     * trimmed), e.g. "remarks,checked_by"; NULL or "" = none. */
    const char *ignore_columns;
    /* Syntax errors reported before the reader stops, 1..PA_INPUT_MAX_ERRORS;
     * 0 = PA_INPUT_MAX_ERRORS. */
    size_t max_errors;
    pa_input_error_cb on_error; /* NULL = errors only come back in err */
    void *error_arg;            /* passed to on_error */
    /* pa_input_read_file_opts only: called after each chunk it fed, so that
     * a caller can do other work while a long file is read (the producer
     * sends the previous file). Any code but PA_OK stops the reading and is
     * returned. NULL = none. */
    int (*on_chunk)(void *arg, pa_err_t *err);
    void *chunk_arg; /* passed to on_chunk */
} pa_input_opts_t;

/* One entry of pa_input's table of readers. Each reader follows the pa_input
 * contract (pa_input.h): borrowed reports, located messages, sticky errors. */
typedef struct {
    const char *name; /* "csv", "json" */
    void *(*create)(const char *source, const pa_input_opts_t *opts, pa_report_cb cb, void *arg,
                    pa_err_t *err);
    void (*destroy)(void **self_p);
    int (*feed)(void *self, const char *buf, size_t len, pa_err_t *err);
    int (*finish)(void *self, pa_err_t *err);
} pa_reader_t;

/* The syntax errors of one input, kept as whole lines. Plain data inside the
 * reader's struct; no allocation. */
typedef struct {
    char source[256];
    size_t max;                 /* stop at this many */
    size_t n;                   /* found so far */
    pa_input_error_cb on_error; /* see pa_input_opts_t */
    void *error_arg;
    char lines[PA_INPUT_MAX_ERRORS][PA_ERR_MSG_SIZE];
} pa_reader_errors_t;

/* Empties the list for source with opts (NULL = defaults). */
void pa_reader_errors_init(pa_reader_errors_t *self, const char *source,
                           const pa_input_opts_t *opts);
/* Adds one error line (printf-style, already located) and passes it to
 * on_error. Returns true when the list is now full: the reader stops. */
bool pa_reader_errors_add(pa_reader_errors_t *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Fills err with the list: the one line when there is one; otherwise
 * "FILE: N syntax errors" and the lines that fit in a pa_err_t, then
 * "FILE: ... and K more". Returns PA_EINVAL, or PA_OK when the list is empty. */
int pa_reader_errors_result(const pa_reader_errors_t *self, pa_err_t *err);

#endif
