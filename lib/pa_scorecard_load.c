/* pa_scorecard_load.c - reads one scorecard from PostgreSQL into the model:
 * every statement from pa_scorecard_sql.h, values as $n parameters, columns
 * found by name, NULLs checked. It renders nothing and decides nothing: the
 * statuses, coverage and display rules are the database's. */
#include "pa_scorecard_load.h"

#include <libpq-fe.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pa_pg.h"
#include "pa_scorecard_sql.h"

/* Through pa_pg's one mapping from a result to pa_err_t (this reader keeps a
 * plain libpq connection of its own: no timeouts wanted for an analyst's
 * read, and its read-only snapshot), plus a hint for an old schema. */
static int s_pg_fail(PGconn *conn, PGresult *res, const char *what, pa_err_t *err)
{
    pa_pg_diag_t d = {0};
    d.connection_bad = PQstatus(conn) != CONNECTION_OK;
    if (res && PQresultStatus(res) == PGRES_FATAL_ERROR) {
        d.sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        d.primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        d.detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
        d.hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
    }
    if (!d.primary || !*d.primary)
        d.primary = PQerrorMessage(conn);
    char full[PA_ERR_MSG_SIZE];
    const bool old_schema =
        d.sqlstate && (strcmp(d.sqlstate, "42P01") == 0 || strcmp(d.sqlstate, "42703") == 0);
    snprintf(full, sizeof full, "%s%s", what,
             old_schema ? " (is the schema up to date? run pingan-worker --init-db)" : "");
    return pa_pg_err_from_diag(err, &d, full, NULL);
}

/* Runs sql; *res holds the result (caller clears) when PA_OK. */
static int s_exec(PGconn *conn, const char *sql, int nparams, const char *const *params,
                  const char *what, PGresult **res, pa_err_t *err)
{
    *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(*res);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
        return PA_OK;
    int rc = s_pg_fail(conn, *res, what, err);
    PQclear(*res);
    *res = NULL;
    return rc;
}

/* Finds the columns by name, so that a view with other columns fails here
 * and says which one is missing. */
static int s_columns(PGresult *res, const char *const *names, int *idx, int n, const char *what,
                     pa_err_t *err)
{
    for (int i = 0; i < n; i++) {
        idx[i] = PQfnumber(res, names[i]);
        if (idx[i] < 0)
            return pa_err_set(err, PA_EFATAL, "%s has no column %s", what, names[i]);
    }
    return PA_OK;
}

static const char *s_text(PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* numeric arrives as exact decimal text; the nearest double is kept. */
static double s_double(PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NAN : strtod(PQgetvalue(res, row, col), NULL);
}

static int s_int(PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? -1 : atoi(PQgetvalue(res, row, col));
}

static bool s_bool(PGresult *res, int row, int col)
{
    return !PQgetisnull(res, row, col) && PQgetvalue(res, row, col)[0] == 't';
}

static int s_open(const char *conninfo, PGconn **conn_out, pa_err_t *err)
{
    const char *keys[] = {"dbname", "application_name", "client_encoding", NULL};
    const char *vals[] = {conninfo && *conninfo ? conninfo : NULL, "pingan-report", "UTF8", NULL};
    PGconn *conn = PQconnectdbParams(keys, vals, 1);
    *conn_out = conn;
    if (!conn)
        return pa_err_set(err, PA_ENOMEM, "out of memory connecting to PostgreSQL");
    if (PQstatus(conn) != CONNECTION_OK)
        return s_pg_fail(conn, NULL, "could not connect to PostgreSQL", err);
    return PA_OK;
}

static int s_load_freshness(pa_scorecard_t *self, PGconn *conn, pa_err_t *err)
{
    static const char *const names[] = {"as_of", "judged_at", "generated_at"};
    int c[3] = {0};
    PGresult *res = NULL;
    int rc = s_exec(conn, PA_SQL_SC_FRESHNESS, 0, NULL, "pingan.v_aggregate_lag", &res, err);
    if (rc == PA_OK)
        rc = s_columns(res, names, c, 3, "pingan.v_aggregate_lag", err);
    if (rc == PA_OK && PQntuples(res) == 1)
        rc = pa_scorecard_set_freshness(self, s_text(res, 0, c[0]), s_text(res, 0, c[1]),
                                        s_text(res, 0, c[2]), err);
    PQclear(res);
    return rc;
}

static int s_load_targets(pa_scorecard_t *self, PGconn *conn, pa_err_t *err)
{
    static const char *const names[] = {
        "id",         "indicator_code", "rule",         "threshold",  "level",      "quote_zh",
        "name_zh",    "name_en",        "kind",         "display",    "unit_zh",    "unit_en",
        "share_unit", "rule_text_zh",   "rule_text_en", "explain_zh", "explain_en", "trend",
    };
    enum { N = sizeof names / sizeof names[0] };
    int c[N] = {0};
    PGresult *res = NULL;
    int rc = s_exec(conn, PA_SQL_SC_TARGETS, 0, NULL, "pingan.target", &res, err);
    if (rc == PA_OK)
        rc = s_columns(res, names, c, N, "pingan.target", err);
    for (int i = 0; rc == PA_OK && i < PQntuples(res); i++) {
        pa_scorecard_target_t t = {
            .id = s_text(res, i, c[0]),
            .indicator_code = s_text(res, i, c[1]),
            .rule = s_text(res, i, c[2]),
            .threshold = s_double(res, i, c[3]),
            .level = s_text(res, i, c[4]),
            .quote_zh = s_text(res, i, c[5]),
            .name_zh = s_text(res, i, c[6]),
            .name_en = s_text(res, i, c[7]),
            .kind = s_text(res, i, c[8]),
            .display = s_text(res, i, c[9]),
            .unit_zh = s_text(res, i, c[10]),
            .unit_en = s_text(res, i, c[11]),
            .share_unit = s_text(res, i, c[12]),
            .rule_text_zh = s_text(res, i, c[13]),
            .rule_text_en = s_text(res, i, c[14]),
            .explain_zh = s_text(res, i, c[15]),
            .explain_en = s_text(res, i, c[16]),
            .trend = s_bool(res, i, c[17]),
        };
        rc = pa_scorecard_add_target(self, &t, err);
    }
    PQclear(res);
    return rc;
}

/* Areas (code, name_zh, name_en) of sql, whose one parameter is the page's
 * district (NULL for the city), into the scorecard's districts or, with
 * towns, its towns. */
static int s_areas(pa_scorecard_t *self, PGconn *conn, const char *sql, bool towns,
                   const char *source, pa_err_t *err)
{
    static const char *const names[] = {"code", "name_zh", "name_en"};
    int c[3] = {0};
    const char *params[PA_SQL_SC_AREAS_NPARAMS] = {pa_scorecard_district(self)};
    PGresult *res = NULL;
    int rc = s_exec(conn, sql, PA_SQL_SC_AREAS_NPARAMS, params, source, &res, err);
    if (rc == PA_OK)
        rc = s_columns(res, names, c, 3, source, err);
    for (int i = 0; rc == PA_OK && i < PQntuples(res); i++) {
        pa_scorecard_district_t d = {s_text(res, i, c[0]), s_text(res, i, c[1]),
                                     s_text(res, i, c[2])};
        rc =
            towns ? pa_scorecard_add_town(self, &d, err) : pa_scorecard_add_district(self, &d, err);
    }
    PQclear(res);
    return rc;
}

static int s_load_districts(pa_scorecard_t *self, PGconn *conn, pa_err_t *err)
{
    int rc = s_areas(self, conn, PA_SQL_SC_DISTRICTS, false, "pingan.district", err);
    if (rc == PA_OK && pa_scorecard_district(self) && pa_scorecard_district_count(self) == 0)
        rc = pa_err_set(err, PA_EINVAL, "unknown district %s (not in pingan.district)",
                        pa_scorecard_district(self));
    return rc;
}

/* Judgement rows of sql (PA_SQL_SC_ROWS' columns; params: period type,
 * start, district) into the scorecard's district rows or, with towns, its
 * town rows. */
static int s_rows(pa_scorecard_t *self, PGconn *conn, const char *sql, bool towns,
                  const char *source, pa_err_t *err)
{
    static const char *const names[] = {
        "target_id",     "indicator_code",   "level",
        "area_code",     "area_name",        "status",
        "verdict",       "reference_source", "unit",
        "coverage",      "actual",           "reference",
        "threshold",     "margin",           "ytd_actual",
        "ytd_reference", "projection",       "in_progress",
        "ytd_end",       "months_covered",   "months_expected",
        "units_covered", "units_expected",   "share",
        "share_total",
    };
    enum { N = sizeof names / sizeof names[0] };
    int c[N] = {0};
    const pa_period_t *period = pa_scorecard_period(self);
    char start[PA_DATE_SIZE];
    pa_date_format(period->start, start);
    const char *params[PA_SQL_SC_ROWS_NPARAMS] = {pa_period_type_name(period->type), start,
                                                  pa_scorecard_district(self)};
    PGresult *res = NULL;
    int rc = s_exec(conn, sql, PA_SQL_SC_ROWS_NPARAMS, params, source, &res, err);
    if (rc == PA_OK)
        rc = s_columns(res, names, c, N, source, err);
    for (int i = 0; rc == PA_OK && i < PQntuples(res); i++) {
        pa_scorecard_row_t r = {
            .target_id = s_text(res, i, c[0]),
            .indicator_code = s_text(res, i, c[1]),
            .level = s_text(res, i, c[2]),
            .area_code = s_text(res, i, c[3]),
            .area_name = s_text(res, i, c[4]),
            .status = s_text(res, i, c[5]),
            .verdict = s_text(res, i, c[6]),
            .reference_source = s_text(res, i, c[7]),
            .unit = s_text(res, i, c[8]),
            .coverage = s_text(res, i, c[9]),
            .actual = s_double(res, i, c[10]),
            .reference = s_double(res, i, c[11]),
            .threshold = s_double(res, i, c[12]),
            .margin = s_double(res, i, c[13]),
            .ytd_actual = s_double(res, i, c[14]),
            .ytd_reference = s_double(res, i, c[15]),
            .projection = s_double(res, i, c[16]),
            .in_progress = s_bool(res, i, c[17]),
            .months_covered = s_int(res, i, c[19]),
            .months_expected = s_int(res, i, c[20]),
            .units_covered = s_int(res, i, c[21]),
            .units_expected = s_int(res, i, c[22]),
            .share = s_bool(res, i, c[23]),
            .share_total = s_double(res, i, c[24]),
        };
        const char *end = s_text(res, i, c[18]);
        if (end && pa_date_parse(end, &r.ytd_end, NULL) != PA_OK)
            r.ytd_end = 0;
        rc = towns ? pa_scorecard_add_town_row(self, &r, err) : pa_scorecard_add_row(self, &r, err);
    }
    PQclear(res);
    return rc;
}

static int s_load_rows(pa_scorecard_t *self, PGconn *conn, pa_err_t *err)
{
    return s_rows(self, conn, PA_SQL_SC_ROWS, false, "pingan.v_district_scorecard", err);
}

/* A district page: its towns and their rows, and its rank among all
 * districts, by the same ranking as the city's heat map (computed on a
 * scorecard of the whole city, so that the rule lives in one place). */
static int s_load_district_extras(pa_scorecard_t *self, PGconn *conn, pa_err_t *err)
{
    pa_scorecard_t *city = NULL;
    size_t *order = NULL;
    int rc = s_areas(self, conn, PA_SQL_SC_TOWNS, true, "pingan.town", err);
    if (rc == PA_OK)
        rc = s_rows(self, conn, PA_SQL_SC_TOWN_ROWS, true, "pingan.v_target_status", err);
    if (rc != PA_OK)
        goto cleanup;
    city = pa_scorecard_new(pa_scorecard_period(self), NULL, err);
    if (!city) {
        rc = PA_ENOMEM;
        goto cleanup;
    }
    /* The targets are the page's: copied, not read again. */
    for (size_t t = 0; rc == PA_OK && t < pa_scorecard_target_count(self); t++)
        rc = pa_scorecard_add_target(city, pa_scorecard_target(self, t), err);
    if (rc == PA_OK)
        rc = s_load_districts(city, conn, err);
    if (rc == PA_OK)
        rc = s_load_rows(city, conn, err);
    if (rc != PA_OK)
        goto cleanup;
    size_t n = pa_scorecard_district_count(city);
    order = calloc(n ? n : 1, sizeof *order);
    if (!order) {
        rc = pa_err_set(err, PA_ENOMEM, "out of memory ranking the districts");
        goto cleanup;
    }
    pa_scorecard_rank(city, order);
    for (size_t k = 0; k < n; k++)
        if (strcmp(pa_scorecard_district_at(city, order[k])->code, pa_scorecard_district(self)) ==
            0)
            pa_scorecard_set_rank(self, (int)k + 1, (int)n);
cleanup:
    free(order);
    pa_scorecard_destroy(&city);
    return rc;
}

/* No rows: say which periods of that type are judged. */
static int s_no_rows(pa_scorecard_t *self, PGconn *conn, pa_err_t *err)
{
    const pa_period_t *period = pa_scorecard_period(self);
    const char *type = pa_period_type_name(period->type);
    const char *params[PA_SQL_SC_JUDGED_NPARAMS] = {type};
    char id[PA_PERIOD_SIZE];
    pa_period_format(period, id);
    PGresult *res = NULL;
    int rc = s_exec(conn, PA_SQL_SC_JUDGED, PA_SQL_SC_JUDGED_NPARAMS, params,
                    "pingan.v_district_scorecard", &res, err);
    if (rc != PA_OK)
        return rc;
    const char *first = PQntuples(res) ? s_text(res, 0, 0) : NULL;
    const char *last = PQntuples(res) ? s_text(res, 0, 1) : NULL;
    if (first && last)
        rc = pa_err_set(err, PA_EINVAL,
                        "nothing is judged for period %s: judged %ss start from %s to %s", id, type,
                        first, last);
    else
        rc = pa_err_set(err, PA_EINVAL, "nothing is judged for period %s: no %s is judged yet", id,
                        type);
    PQclear(res);
    return rc;
}

static int s_load_trend(pa_scorecard_t *self, PGconn *conn, pa_err_t *err)
{
    static const char *const names[] = {"indicator_code", "area_code", "period_start", "value"};
    int c[4] = {0};
    int year, month, day;
    pa_date_to_ymd(pa_scorecard_period(self)->start, &year, &month, &day);
    char from[PA_DATE_SIZE], to[PA_DATE_SIZE];
    pa_date_format(pa_date_from_ymd(year - 1, 1, 1), from);
    pa_date_format(pa_date_from_ymd(year + 1, 1, 1), to);
    const char *area =
        pa_scorecard_district(self) ? pa_scorecard_district(self) : PA_SCORECARD_CITY;
    const char *params[PA_SQL_SC_TREND_NPARAMS] = {from, to, area};
    PGresult *res = NULL;
    int rc =
        s_exec(conn, PA_SQL_SC_TREND, PA_SQL_SC_TREND_NPARAMS, params, "pingan.v_trend", &res, err);
    if (rc == PA_OK)
        rc = s_columns(res, names, c, 4, "pingan.v_trend", err);
    for (int i = 0; rc == PA_OK && i < PQntuples(res); i++) {
        pa_scorecard_point_t p = {s_text(res, i, c[0]), s_text(res, i, c[1]), 0,
                                  s_double(res, i, c[3])};
        const char *date = s_text(res, i, c[2]);
        if (!date || pa_date_parse(date, &p.period_start, NULL) != PA_OK)
            continue;
        rc = pa_scorecard_add_point(self, &p, err);
    }
    PQclear(res);
    return rc;
}

int pa_scorecard_load(pa_scorecard_t *self, const char *conninfo, pa_err_t *err)
{
    PGresult *res = NULL;
    PGconn *conn = NULL;
    int rc = s_open(conninfo, &conn, err);
    if (rc != PA_OK)
        goto cleanup;
    rc = s_exec(conn, PA_SQL_SC_BEGIN, 0, NULL, "begin", &res, err);
    PQclear(res);
    res = NULL;
    if (rc == PA_OK)
        rc = s_load_freshness(self, conn, err);
    if (rc == PA_OK)
        rc = s_load_targets(self, conn, err);
    if (rc == PA_OK)
        rc = s_load_districts(self, conn, err);
    if (rc == PA_OK)
        rc = s_load_rows(self, conn, err);
    if (rc == PA_OK && pa_scorecard_row_count(self) == 0)
        rc = s_no_rows(self, conn, err);
    if (rc == PA_OK && pa_scorecard_district(self))
        rc = s_load_district_extras(self, conn, err);
    if (rc == PA_OK)
        rc = s_load_trend(self, conn, err);
    if (rc == PA_OK) {
        rc = s_exec(conn, PA_SQL_SC_COMMIT, 0, NULL, "commit", &res, err);
        PQclear(res);
    }
cleanup:
    PQfinish(conn); /* NULL-safe; an open transaction is rolled back */
    return rc;
}

int pa_scorecard_suggest_district(const char *conninfo, const char *name, char *out, size_t size,
                                  pa_err_t *err)
{
    PGresult *res = NULL;
    PGconn *conn = NULL;
    if (size)
        out[0] = '\0';
    int rc = s_open(conninfo, &conn, err);
    if (rc != PA_OK)
        goto cleanup;
    const char *params[PA_SQL_SC_SUGGEST_NPARAMS] = {name};
    rc = s_exec(conn, PA_SQL_SC_SUGGEST, PA_SQL_SC_SUGGEST_NPARAMS, params, "pingan.district", &res,
                err);
    if (rc != PA_OK)
        goto cleanup;
    size_t used = 0;
    for (int i = 0; i < PQntuples(res) && used < size; i++) {
        int n = snprintf(out + used, size - used, "%s%s (%s %s)", i ? ", " : "",
                         PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
        if (n < 0)
            break;
        used += (size_t)n;
    }
cleanup:
    PQclear(res);
    PQfinish(conn);
    return rc;
}
