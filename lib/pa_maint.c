/* pa_maint.c - the operator's maintenance commands (see pa_maint.h). */
#include "pa_maint.h"

#include <stdio.h>
#include <stdlib.h>

#define PA_SQL_VOID                                                                                \
    "SELECT district_code, period_type, period_start::text, voided_revision, "                     \
    "coalesce(current_revision, 0) FROM pingan.void_report($1, $2)"
#define PA_SQL_PRUNE         "SELECT pingan.prune_quarantine($1::int)"
#define PA_SQL_PRUNE_DEFAULT "SELECT pingan.prune_quarantine()"

int pa_maint_void(const pa_pg_options_t *opt, const pa_log_t *log, const char *report_id,
                  const char *reason, pa_maint_voided_t *out, pa_err_t *err)
{
    PGresult *res = NULL;
    pa_pg_t *pg = pa_pg_connect(opt, log, err);
    int rc = pg ? PA_OK : (err ? err->code : PA_ERETRY);
    if (rc != PA_OK)
        goto cleanup;
    const char *params[2] = {report_id, reason};
    rc = pa_pg_exec(pg, PA_SQL_VOID, 2, params, PGRES_TUPLES_OK, &res, err);
    if (rc != PA_OK)
        goto cleanup;
    if (PQntuples(res) != 1) {
        rc = pa_err_set(err, PA_EFATAL, "void_report gave %d rows, not one", PQntuples(res));
        goto cleanup;
    }
    snprintf(out->district, sizeof out->district, "%s", PQgetvalue(res, 0, 0));
    snprintf(out->period_type, sizeof out->period_type, "%s", PQgetvalue(res, 0, 1));
    snprintf(out->period_start, sizeof out->period_start, "%s", PQgetvalue(res, 0, 2));
    out->voided_revision = atoi(PQgetvalue(res, 0, 3));
    out->current_revision = atoi(PQgetvalue(res, 0, 4));
cleanup:
    PQclear(res);
    pa_pg_destroy(&pg);
    return rc;
}

int pa_maint_prune(const pa_pg_options_t *opt, const pa_log_t *log, int days, long long *rows,
                   pa_err_t *err)
{
    PGresult *res = NULL;
    pa_pg_t *pg = pa_pg_connect(opt, log, err);
    int rc = pg ? PA_OK : (err ? err->code : PA_ERETRY);
    if (rc != PA_OK)
        goto cleanup;
    char n[16];
    snprintf(n, sizeof n, "%d", days);
    const char *params[1] = {n};
    rc = days <= 0 ? pa_pg_exec(pg, PA_SQL_PRUNE_DEFAULT, 0, NULL, PGRES_TUPLES_OK, &res, err)
                   : pa_pg_exec(pg, PA_SQL_PRUNE, 1, params, PGRES_TUPLES_OK, &res, err);
    if (rc == PA_OK)
        *rows = PQntuples(res) == 1 ? atoll(PQgetvalue(res, 0, 0)) : 0;
cleanup:
    PQclear(res);
    pa_pg_destroy(&pg);
    return rc;
}
