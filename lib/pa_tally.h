/* pa_tally.h - the producer's end-of-run summary: what became of the reports
 * of each district and period (stored, duplicate, superseded, rejected,
 * failed) and how often each reason was given, rendered as plain-text
 * tables in the manner of pgloader's summary. Pure: it counts what it is
 * told and renders into a buffer; the program decides where it goes. */
#ifndef PA_TALLY_H
#define PA_TALLY_H

#include <stdbool.h>
#include <stddef.h>

#include "pa_buf.h"
#include "pa_err.h"
#include "pa_problem.h"

/* Beyond this many district-period rows the table shows one row per
 * district (its periods counted), so that a year of daily reports stays a
 * screenful; beyond this many districts, the first ones and a count. */
#define PA_TALLY_MAX_ROWS 50

typedef struct pa_tally pa_tally_t;

/* An empty tally; NULL when out of memory. */
pa_tally_t *pa_tally_new(void);
/* NULL-safe; sets *self_p to NULL. */
void pa_tally_destroy(pa_tally_t **self_p);

/* Counts one report of district and period (period id text). status:
 * PA_STATUS_STORED, _DUPLICATE, _SUPERSEDED or _REJECTED (then every
 * problem's reason is counted, and the report once per distinct reason),
 * or PA_STATUS_NONE for a report given up (no receipt). PA_ENOMEM. */
int pa_tally_add(pa_tally_t *self, const char *district, const char *period, int status,
                 const pa_problems_t *problems, pa_err_t *err);

/* Reports counted so far. */
size_t pa_tally_reports(const pa_tally_t *self);

/* Appends the tables to out: one row per district and period (or per
 * district, see PA_TALLY_MAX_ROWS) sorted by district then period, a
 * total row, then the reasons by how often they were given. title heads
 * the first table. Nothing when no report was counted. The caller checks
 * out->failed. */
void pa_tally_render(const pa_tally_t *self, const char *title, pa_buf_t *out);

#endif
