/* pa_maint.h - the operator's maintenance commands of pingan-worker: void a
 * bad report (pingan.void_report) and prune the quarantine
 * (pingan.prune_quarantine). Each opens its own session, runs one statement
 * with bound parameters and closes; the SQL decides, C only carries it. */
#ifndef PA_MAINT_H
#define PA_MAINT_H

#include <stddef.h>

#include "pa_err.h"
#include "pa_log.h"
#include "pa_pg.h"

/* What voiding did: the report's district and period, the revision voided
 * and the one current now (0 = none left). */
typedef struct {
    char district[16];
    char period_type[16];
    char period_start[16];
    int voided_revision;
    int current_revision;
} pa_maint_voided_t;

/* Voids the stored report report_id for reason (required, kept with it).
 * PA_EINVAL with the server's message when there is no such report or no
 * reason. */
int pa_maint_void(const pa_pg_options_t *opt, const pa_log_t *log, const char *report_id,
                  const char *reason, pa_maint_voided_t *out, pa_err_t *err);

/* Deletes quarantine rows older than days (<= 0: the schema's default
 * retention, 90); *rows: how many. */
int pa_maint_prune(const pa_pg_options_t *opt, const pa_log_t *log, int days, long long *rows,
                   pa_err_t *err);

#endif
