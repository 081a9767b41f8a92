/* pa_form.h - what a district office reads and fills from a worker's
 * answers (docs/protocol.md §11): the status table of its submissions and
 * rejections, the indicator catalogue, and the CSV template of every
 * expected town x indicator row of a district period. Pure formatting: no
 * sockets, no database. */
#ifndef PA_FORM_H
#define PA_FORM_H

#include <stdio.h>

#include "pa_err.h"
#include "pa_period.h"
#include "pa_query.h"

/* Times are printed in China Standard Time (UTC+8), the offices' clock. */
#define PA_FORM_TZ_OFFSET_S (8 * 3600)

/* Prints a status answer for district: a table of stored revisions
 * (period, revision, submitted, stored at, current/superseded, values,
 * report id), then the rejections. PA_EIO when a write failed. */
int pa_form_status(FILE *out, const pa_answer_t *a, const char *district, pa_err_t *err);

/* Prints the catalogue: code, kind, level, periods, names. */
int pa_form_catalogue(FILE *out, const pa_answer_t *a, pa_err_t *err);

/* Writes the CSV template for district and period p: the README's header,
 * then for each indicator collected for p's type, one row per town of the
 * district (level town or any) or one district row with an empty town
 * (level district); revision 1; amounts blank. *rows gets the number of
 * rows. PA_EINVAL when the answer holds no town of the district. */
int pa_form_template(FILE *out, const pa_answer_t *a, const char *district, const pa_period_t *p,
                     size_t *rows, pa_err_t *err);

/* "YYYY-MM-DD HH:MM:SS" in China time, or "-" for 0. */
void pa_form_time(int64_t ms, char out[24]);

#endif
