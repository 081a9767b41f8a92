/* pa_input_priv.h - private to the input readers (pa_input.c, pa_csv.c,
 * pa_json.c): the per-format push parsers that pa_input dispatches to, and the
 * field helpers both formats share so that a number or a revision means the
 * same in CSV and JSON. Nothing outside lib/pa_input*.c, pa_csv.c and
 * pa_json.c includes this. */
#ifndef PA_INPUT_PRIV_H
#define PA_INPUT_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pa_input.h"

/* Longest single CSV field or JSON token the readers buffer, in bytes. Real
 * fields are at most PA_REPORT_ID_SIZE long; the cap keeps a corrupt file
 * (an unclosed quote, a runaway string) from growing memory without bound. */
#define PA_INPUT_MAX_TOKEN_BYTES (1024 * 1024)

/* Each format reader follows the pa_input contract: the callback gets a
 * borrowed report, errors come back as PA_EINVAL with a located message (or
 * the callback's code), and after an error every further call returns the
 * same code and message. err may be NULL. */
typedef struct pa_csv pa_csv_t;
pa_csv_t *pa_csv_new(const char *source, pa_report_cb cb, void *arg, pa_err_t *err);
void pa_csv_destroy(pa_csv_t **self_p);
int pa_csv_feed(pa_csv_t *self, const char *buf, size_t len, pa_err_t *err);
int pa_csv_finish(pa_csv_t *self, pa_err_t *err);

typedef struct pa_json pa_json_t;
pa_json_t *pa_json_new(const char *source, pa_report_cb cb, void *arg, pa_err_t *err);
void pa_json_destroy(pa_json_t **self_p);
int pa_json_feed(pa_json_t *self, const char *buf, size_t len, pa_err_t *err);
int pa_json_finish(pa_json_t *self, pa_err_t *err);

/* Parses text[0..len) (not necessarily NUL-terminated) as a number with
 * strtod, ignoring surrounding spaces and tabs; the whole text must be
 * consumed. "nan" and "inf" are numbers here: judging values is the worker's
 * job. PA_EINVAL (err untouched) when it is not a number or is empty. */
int pa_input_parse_number(const char *text, size_t len, double *out);
/* Parses a revision: decimal digits only, 1..UINT32_MAX, surrounding spaces
 * and tabs ignored. PA_EINVAL (err untouched) otherwise. */
int pa_input_parse_revision(const char *text, size_t len, uint32_t *out);
/* Shortens text for quoting in an error message: copies at most size - 1
 * bytes of text[0..len), ending in "..." when cut, always terminated. */
void pa_input_quote(char *out, size_t size, const char *text, size_t len);

/* Narrows text/len to the field without leading and trailing spaces and tabs. */
void pa_input_trim(const char **text, size_t *len);

#endif
