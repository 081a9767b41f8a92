/* pa_spool.h - a file parsed once into encoded submissions, kept in an
 * unlinked temporary file: nothing is sent until the whole file has
 * parsed, and sending then costs no second parse. The spool is what a
 * rerun resends; a producer reading standard input has no other copy. */
#ifndef PA_SPOOL_H
#define PA_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "pa_err.h"
#include "pa_window.h"

typedef struct pa_spool pa_spool_t;

/* NULL + err (PA_EIO) when no temporary file can be made. */
pa_spool_t *pa_spool_new(pa_err_t *err);
void pa_spool_destroy(pa_spool_t **self_p);

/* Appends one submission (body), the summaries of its reports and the
 * input line of each of their values. */
int pa_spool_append(pa_spool_t *self, const uint8_t *body, size_t len, const pa_summary_t *reports,
                    size_t n_reports, const uint32_t *lines, size_t n_lines, pa_err_t *err);
/* Starts reading from the first record. */
void pa_spool_rewind(pa_spool_t *self);
/* Reads the next record into new allocations (*body, *reports, *lines:
 * caller frees). PA_OK with *body NULL at the end. */
int pa_spool_next(pa_spool_t *self, uint8_t **body, size_t *len, pa_summary_t **reports,
                  size_t *n_reports, uint32_t **lines, size_t *n_lines, pa_err_t *err);

#endif
