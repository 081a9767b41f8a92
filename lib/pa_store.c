/* pa_store.c - the PostgreSQL side of the worker. Reports go through a
 * pipeline of prepared put_report calls (one round trip per batch, not per
 * report), values through one COPY, all in one transaction, so a receipt
 * can be sent only after COMMIT returned. */
#include "pa_store.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_gen.h>

#include "pa_buf.h"
#include "pa_migrate.h"
#include "pa_store_sql.h"

struct pa_store {
    pa_pg_t *pg;
    char worker[64];
};

static int s_prepare(pa_store_t *self, pa_err_t *err)
{
    static const struct {
        const char *name, *sql;
        int n;
    } stmts[] = {
        {PA_SQL_PUT_REPORT_NAME, PA_SQL_PUT_REPORT, PA_SQL_PUT_REPORT_NPARAMS},
        {PA_SQL_WITHDRAW_NAME, PA_SQL_WITHDRAW, PA_SQL_WITHDRAW_NPARAMS},
        {PA_SQL_QUARANTINE_NAME, PA_SQL_QUARANTINE, PA_SQL_QUARANTINE_NPARAMS},
    };
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++) {
        int rc = pa_pg_prepare(self->pg, stmts[i].name, stmts[i].sql, stmts[i].n, err);
        if (rc != PA_OK)
            return rc;
    }
    return PA_OK;
}

pa_store_t *pa_store_new(const pa_pg_options_t *opt, const pa_log_t *log, const char *worker,
                         pa_err_t *err)
{
    pa_store_t *self = calloc(1, sizeof *self);
    if (!self) {
        pa_err_set(err, PA_ENOMEM, "out of memory");
        return NULL;
    }
    snprintf(self->worker, sizeof self->worker, "%s", worker ? worker : "");
    self->pg = pa_pg_connect(opt, log, err);
    if (!self->pg)
        pa_store_destroy(&self);
    return self;
}

void pa_store_destroy(pa_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pa_pg_destroy(&(*self_p)->pg);
    free(*self_p);
    *self_p = NULL;
}

int pa_store_reconnect(pa_store_t *self, pa_err_t *err)
{
    int rc = pa_pg_reset(self->pg, err);
    if (rc == PA_OK)
        rc = s_prepare(self, err);
    return rc;
}

pa_pg_t *pa_store_pg(pa_store_t *self)
{
    return self->pg;
}

bool pa_store_connected(const pa_store_t *self)
{
    return pa_pg_ok(self->pg);
}

int pa_store_migrate(pa_store_t *self, int *applied, pa_err_t *err)
{
    return pa_migrate_apply(self->pg, applied, err);
}

int pa_store_check_schema(pa_store_t *self, pa_err_t *err)
{
    int current = 0, latest = pa_migrate_latest();
    int rc = pa_migrate_current(self->pg, &current, err);
    if (rc != PA_OK)
        return rc;
    if (current == 0)
        return pa_err_set(err, PA_EFATAL,
                          "the database has no pingan schema: run pingan-worker --init-db");
    if (current < latest)
        return pa_err_set(err, PA_EFATAL,
                          "the database schema is at version %d, this worker needs %d: run "
                          "pingan-worker --init-db",
                          current, latest);
    if (current > latest)
        return pa_err_set(err, PA_EFATAL,
                          "the database schema is at version %d, newer than this worker (%d): "
                          "upgrade the worker",
                          current, latest);
    return s_prepare(self, err);
}

int pa_store_rebuild(pa_store_t *self, long long *rows, pa_err_t *err)
{
    int rc = pa_store_check_schema(self, err);
    PGresult *res = NULL;
    if (rc != PA_OK)
        goto cleanup;
    rc = pa_pg_exec(self->pg, PA_SQL_REBUILD, 0, NULL, PGRES_TUPLES_OK, &res, err);
    if (rc != PA_OK) {
        pa_err_prefix(err, "could not rebuild the aggregates");
        goto cleanup;
    }
    if (PQntuples(res) != 1) {
        rc = pa_err_set(err, PA_EFATAL, "rebuild_aggregates returned %d rows", PQntuples(res));
        goto cleanup;
    }
    *rows = PQgetisnull(res, 0, 0) ? 0 : atoll(PQgetvalue(res, 0, 0));
cleanup:
    PQclear(res);
    return rc;
}

/* Runs a catalogue query and checks it returned rows with ncols columns. */
static int s_query(pa_store_t *self, const char *sql, int ncols, PGresult **res, pa_err_t *err)
{
    int rc = pa_pg_exec(self->pg, sql, 0, NULL, PGRES_TUPLES_OK, res, err);
    if (rc != PA_OK) {
        pa_err_prefix(err, "could not load the catalogue");
        return rc;
    }
    if (PQnfields(*res) != ncols)
        return pa_err_set(err, PA_EFATAL, "catalogue query returned %d columns", PQnfields(*res));
    return PA_OK;
}

int pa_store_load_catalog(pa_store_t *self, pa_catalog_t **out, pa_err_t *err)
{
    int rc = PA_OK;
    PGresult *res = NULL;
    pa_catalog_t *cat = pa_catalog_new();
    *out = NULL;
    if (!cat) {
        rc = pa_err_set(err, PA_ENOMEM, "out of memory");
        goto cleanup;
    }
    rc = s_query(self, PA_SQL_LOAD_DISTRICTS, 1, &res, err);
    for (int i = 0; rc == PA_OK && i < PQntuples(res); i++)
        rc = pa_catalog_add_district(cat, PQgetvalue(res, i, 0), err);
    PQclear(res);
    res = NULL;
    if (rc == PA_OK)
        rc = s_query(self, PA_SQL_LOAD_TOWNS, 2, &res, err);
    for (int i = 0; rc == PA_OK && i < PQntuples(res); i++)
        rc = pa_catalog_add_town(cat, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), err);
    PQclear(res);
    res = NULL;
    if (rc == PA_OK)
        rc = s_query(self, PA_SQL_LOAD_INDICATORS, 6, &res, err);
    for (int i = 0; rc == PA_OK && i < PQntuples(res); i++) {
        pa_indicator_t ind;
        memset(&ind, 0, sizeof ind);
        if (pa_strlcpy_checked(ind.code, PQgetvalue(res, i, 0), sizeof ind.code) != PA_OK) {
            rc = pa_err_set(err, PA_EFATAL, "indicator code '%s' is too long",
                            PQgetvalue(res, i, 0));
            break;
        }
        ind.is_ratio = strcmp(PQgetvalue(res, i, 1), "ratio") == 0;
        const char *level = PQgetvalue(res, i, 2);
        ind.level = strcmp(level, "town") == 0       ? PA_LEVEL_TOWN
                    : strcmp(level, "district") == 0 ? PA_LEVEL_DISTRICT
                                                     : PA_LEVEL_ANY;
        char types[128];
        snprintf(types, sizeof types, "%s", PQgetvalue(res, i, 3));
        char *save = NULL;
        for (char *t = strtok_r(types, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            pa_period_type_t pt;
            if (pa_period_type_parse(t, &pt) == PA_OK)
                ind.period_mask |= 1u << pt;
        }
        ind.has_ceiling = !PQgetisnull(res, i, 4);
        ind.ceiling = ind.has_ceiling ? strtod(PQgetvalue(res, i, 4), NULL) : 0;
        ind.first_year = PQgetisnull(res, i, 5) ? 0 : atoi(PQgetvalue(res, i, 5));
        rc = pa_catalog_add_indicator(cat, &ind, err);
    }
    if (rc != PA_OK)
        goto cleanup;
    pa_catalog_seal(cat);
    *out = cat;
    cat = NULL;
cleanup:
    PQclear(res);
    pa_catalog_destroy(&cat);
    return rc;
}

/* ---------------------------------------------------------------- write */

/* A string, or null when s is NULL. */
static void s_gen_str(yajl_gen g, const char *key, const char *s)
{
    yajl_gen_string(g, (const unsigned char *)key, strlen(key));
    if (s)
        yajl_gen_string(g, (const unsigned char *)s, strlen(s));
    else
        yajl_gen_null(g);
}

/* The first max problems as a JSON array of {reason, field, message}. */
static void s_gen_problems(yajl_gen g, const pa_problems_t *pr, size_t max)
{
    yajl_gen_array_open(g);
    for (size_t i = 0; i < pr->n && i < max; i++) {
        const pa_problem_t *p = &pr->items[i];
        yajl_gen_map_open(g);
        s_gen_str(g, "reason", pa_reason_name(p->reason));
        s_gen_str(g, "field", p->field);
        s_gen_str(g, "message", p->message);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
}

/* Takes the document built in g into *out (caller frees) and frees g. */
static int s_gen_take(yajl_gen g, char **out, pa_err_t *err)
{
    int rc = PA_OK;
    const unsigned char *buf;
    size_t len;
    if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok ||
        !(*out = strndup((const char *)buf, len)))
        rc = pa_err_set(err, PA_ENOMEM, "could not build a quarantine document");
    yajl_gen_free(g);
    return rc;
}

/* The problems of a refused frame as a JSON array, via yajl's generator (it escapes). */
static int s_reasons_json(const pa_problems_t *pr, char **out, pa_err_t *err)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return pa_err_set(err, PA_ENOMEM, "out of memory");
    s_gen_problems(g, pr, pr->n);
    return s_gen_take(g, out, err);
}

static bool s_has_problem_field(const pa_problems_t *pr, const char *field)
{
    for (size_t i = 0; i < pr->n; i++)
        if (strcmp(pr->items[i].field, field) == 0)
            return true;
    return false;
}

/* The refused items of sub as the JSON array quarantine_submission takes:
 * what each claimed (as far as it could be read) and its first problems. */
static int s_reports_json(const pa_submission_t *sub, pa_item_t *const *items, size_t n, char **out,
                          pa_err_t *err)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return pa_err_set(err, PA_ENOMEM, "out of memory");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < n; i++) {
        const pa_item_t *it = items[i];
        const pa_report_t *r = it->report;
        char start[PA_DATE_SIZE];
        bool period_ok =
            r->period.type != PA_PERIOD_NONE && !s_has_problem_field(&it->problems, "period_start");
        pa_date_format(r->period.start, start);
        yajl_gen_map_open(g);
        yajl_gen_string(g, (const unsigned char *)"item", 4);
        size_t index = sub->first_index + (size_t)(it - sub->items);
        yajl_gen_integer(g, (long long)index);
        s_gen_str(g, "report_id", r->report_id[0] ? r->report_id : NULL);
        s_gen_str(g, "district_code", r->district[0] ? r->district : NULL);
        s_gen_str(g, "period_type",
                  r->period.type != PA_PERIOD_NONE ? pa_period_type_name(r->period.type) : NULL);
        s_gen_str(g, "period_start", period_ok ? start : NULL);
        yajl_gen_string(g, (const unsigned char *)"revision", 8);
        if (r->revision && r->revision <= INT32_MAX)
            yajl_gen_integer(g, r->revision);
        else
            yajl_gen_null(g);
        yajl_gen_string(g, (const unsigned char *)"problems", 8);
        size_t problems = it->problems.n + it->problems.dropped;
        yajl_gen_integer(g, (long long)problems);
        yajl_gen_string(g, (const unsigned char *)"reasons", 7);
        s_gen_problems(g, &it->problems, PA_QUARANTINE_REPORT_PROBLEMS);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    return s_gen_take(g, out, err);
}

static void s_format_ts(int64_t ms, char out[40])
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(out, 40, "%04d-%02d-%02d %02d:%02d:%02d.%03d+00", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

/* Queues the quarantine call for the refused items of sub on the pipeline:
 * a new row holding sub's bytes, or more reports for sub's row. */
static int s_send_quarantine(pa_store_t *self, const pa_submission_t *sub, pa_item_t *const *items,
                             size_t n, pa_err_t *err)
{
    char *reports = NULL, id[24], nreports[24];
    int rc = s_reports_json(sub, items, n, &reports, err);
    if (rc != PA_OK)
        return rc;
    bool add = sub->quarantine_id > 0;
    snprintf(id, sizeof id, "%" PRId64, sub->quarantine_id);
    snprintf(nreports, sizeof nreports, "%zu", sub->first_index + sub->n_items);
    const char *params[PA_SQL_QUARANTINE_NPARAMS] = {
        add ? id : NULL,
        sub->sender,
        self->worker,
        sub->peer_key[0] ? sub->peer_key : NULL,
        sub->peer_address[0] ? sub->peer_address : NULL,
        add ? NULL : nreports,
        "[]",
        add ? NULL : (const char *)sub->raw,
        reports,
    };
    size_t keep = sub->raw_len < PA_QUARANTINE_RAW_MAX ? sub->raw_len : PA_QUARANTINE_RAW_MAX;
    int lengths[PA_SQL_QUARANTINE_NPARAMS] = {0, 0, 0, 0, 0, 0, 0, (int)keep, 0};
    int formats[PA_SQL_QUARANTINE_NPARAMS] = {0, 0, 0, 0, 0, 0, 0, 1, 0};
    rc = pa_pg_send_prepared(self->pg, PA_SQL_QUARANTINE_NAME, PA_SQL_QUARANTINE_NPARAMS, params,
                             lengths, formats, err);
    free(reports);
    return rc;
}

/* Queues the put_report call for a valid item on the pipeline. */
static int s_send_put(pa_store_t *self, const pa_submission_t *sub, const pa_item_t *it,
                      pa_err_t *err)
{
    const pa_report_t *r = it->report;
    char start[PA_DATE_SIZE], end[PA_DATE_SIZE], revision[16], submitted[40], nvalues[24];
    char digest[PA_REPORT_ID_SIZE];
    pa_date_format(r->period.start, start);
    pa_date_format(pa_period_end(&r->period), end);
    snprintf(revision, sizeof revision, "%u", r->revision);
    snprintf(nvalues, sizeof nvalues, "%zu", r->n_values);
    s_format_ts(r->submitted_at_ms, submitted);
    pa_report_digest(r, digest);
    const char *params[PA_SQL_PUT_REPORT_NPARAMS] = {
        r->report_id, r->district, pa_period_type_name(r->period.type),
        start,        end,         revision,
        submitted,    sub->sender, self->worker,
        digest,       nvalues,     (const char *)it->raw,
    };
    int lengths[PA_SQL_PUT_REPORT_NPARAMS] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (int)it->raw_len};
    int formats[PA_SQL_PUT_REPORT_NPARAMS] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return pa_pg_send_prepared(self->pg, PA_SQL_PUT_REPORT_NAME, PA_SQL_PUT_REPORT_NPARAMS, params,
                               lengths, formats, err);
}

/* Queues the withdraw_report call for a valid void revision: the sender
 * and its key are kept for the audit. */
static int s_send_withdraw(pa_store_t *self, const pa_submission_t *sub, const pa_item_t *it,
                           pa_err_t *err)
{
    const pa_report_t *r = it->report;
    char start[PA_DATE_SIZE], revision[16], submitted[40], digest[PA_REPORT_ID_SIZE];
    pa_date_format(r->period.start, start);
    snprintf(revision, sizeof revision, "%u", r->revision);
    s_format_ts(r->submitted_at_ms, submitted);
    pa_report_digest(r, digest);
    const char *params[PA_SQL_WITHDRAW_NPARAMS] = {
        r->report_id, r->district, pa_period_type_name(r->period.type),
        start,        revision,    submitted,
        sub->sender,  sub->key,    self->worker,
        digest,
    };
    return pa_pg_send_prepared(self->pg, PA_SQL_WITHDRAW_NAME, PA_SQL_WITHDRAW_NPARAMS, params,
                               NULL, NULL, err);
}

/* Reads one pipelined put_report result (and its NULL terminator) and applies it. */
static int s_read_put(pa_store_t *self, pa_item_t *it, pa_err_t *err)
{
    PGresult *res = NULL;
    int rc = pa_pg_result(self->pg, PGRES_TUPLES_OK, &res, "put_report failed", err);
    if (rc != PA_OK)
        goto cleanup;
    if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
        rc = pa_err_set(err, PA_EFATAL, "put_report returned no status");
        goto cleanup;
    }
    const char *status = PQgetvalue(res, 0, 0);
    it->pk = PQgetisnull(res, 0, 1) ? 0 : strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    if (strcmp(status, "stored") == 0) {
        it->status = PA_STATUS_STORED;
    } else if (strcmp(status, "duplicate") == 0) {
        it->status = PA_STATUS_DUPLICATE;
    } else if (strcmp(status, "superseded") == 0) {
        it->status = PA_STATUS_SUPERSEDED;
        it->current_revision =
            PQgetisnull(res, 0, 4) ? 0 : (uint32_t)strtoul(PQgetvalue(res, 0, 4), NULL, 10);
    } else {
        it->status = PA_STATUS_REJECTED;
        int reason = pa_reason_from_name(PQgetvalue(res, 0, 2));
        pa_problems_add(&it->problems, reason ? reason : PA_REASON_REVISION_CONFLICT,
                        reason == PA_REASON_REPORT_ID_CONFLICT ? "report_id" : "revision", "%s",
                        PQgetisnull(res, 0, 3) ? status : PQgetvalue(res, 0, 3));
    }
cleanup:
    PQclear(res);
    return rc;
}

/* Reads one quarantine_submission result: the row's id in *id (may be NULL). */
static int s_read_quarantine(pa_store_t *self, int64_t *id, pa_err_t *err)
{
    PGresult *res = NULL;
    int rc = pa_pg_result(self->pg, PGRES_TUPLES_OK, &res, "quarantine insert failed", err);
    if (rc != PA_OK)
        goto cleanup;
    if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
        rc = pa_err_set(err, PA_EFATAL, "quarantine_submission returned no id");
        goto cleanup;
    }
    if (id)
        *id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
cleanup:
    PQclear(res);
    return rc;
}

/* One COPY BINARY field: int32 length (-1 for NULL) and the bytes. */
static void s_field_text(pa_buf_t *b, const char *s)
{
    size_t len = strlen(s);
    pa_buf_be(b, len, 4);
    pa_buf_put(b, s, len);
}

static void s_field_int8(pa_buf_t *b, int64_t v)
{
    pa_buf_be(b, 8, 4);
    pa_buf_be(b, (uint64_t)v, 8);
}

static void s_field_float8(pa_buf_t *b, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    pa_buf_be(b, 8, 4);
    pa_buf_be(b, bits, 8);
}

/* A date: days since 1970-01-01 here, since 2000-01-01 in PostgreSQL. */
static void s_field_date(pa_buf_t *b, int32_t days)
{
    pa_buf_be(b, 4, 4);
    pa_buf_be(b, (uint32_t)(days - 10957), 4);
}

static void s_field_null(pa_buf_t *b)
{
    pa_buf_be(b, 0xffffffffu, 4);
}

/* Writes the values of stored items as COPY BINARY tuples: no number
 * formatting on our side and no parsing on the server's, which is where a
 * text COPY spends its time. */
static int s_copy_values(pa_store_t *self, pa_submission_t *const *subs, size_t n, pa_err_t *err)
{
    pa_buf_t b = {0};
    int rc = pa_pg_copy_begin(self->pg, PA_SQL_COPY_VALUES, err);
    if (rc != PA_OK)
        goto cleanup;
    static const char header[] = "PGCOPY\n\377\r\n";
    pa_buf_put(&b, header, 11); /* signature, including its NUL */
    pa_buf_be(&b, 0, 4);        /* flags */
    pa_buf_be(&b, 0, 4);        /* header extension length */
    for (size_t s = 0; rc == PA_OK && s < n; s++) {
        for (size_t i = 0; rc == PA_OK && i < subs[s]->n_items; i++) {
            const pa_item_t *it = &subs[s]->items[i];
            if (it->status != PA_STATUS_STORED)
                continue;
            for (size_t j = 0; j < it->report->n_values; j++) {
                const pa_value_t *v = &it->report->values[j];
                pa_buf_be(&b, 7, 2); /* fields per tuple */
                s_field_int8(&b, it->pk);
                s_field_text(&b, v->indicator);
                if (v->town[0])
                    s_field_text(&b, v->town);
                else
                    s_field_null(&b);
                if (v->kind == PA_AMOUNT_COUNT) {
                    s_field_int8(&b, (int64_t)v->count);
                    s_field_null(&b);
                    s_field_null(&b);
                } else {
                    s_field_null(&b);
                    s_field_float8(&b, v->numerator);
                    s_field_float8(&b, v->denominator);
                }
                s_field_date(&b, it->report->period.start); /* the partition key */
            }
            if (b.failed) {
                rc = pa_err_set(err, PA_ENOMEM, "out of memory building COPY data");
                pa_pg_copy_abort(self->pg, "out of memory");
            } else if (b.len >= 256 * 1024) {
                rc = pa_pg_copy_put(self->pg, b.data, b.len, err);
                pa_buf_reset(&b);
            }
        }
    }
    if (rc != PA_OK)
        goto cleanup;
    pa_buf_be(&b, 0xffff, 2); /* trailer */
    if (b.failed) {
        rc = pa_err_set(err, PA_ENOMEM, "out of memory building COPY data");
        pa_pg_copy_abort(self->pg, "out of memory");
        goto cleanup;
    }
    rc = pa_pg_copy_put(self->pg, b.data, b.len, err);
    if (rc == PA_OK)
        rc = pa_pg_copy_end(self->pg, err);
cleanup:
    pa_buf_free(&b);
    return rc;
}

/* Files refused items of sub outside the pipeline and waits for it. */
static int s_quarantine_sync(pa_store_t *self, pa_submission_t *sub, pa_item_t *const *items,
                             size_t n, pa_err_t *err)
{
    int rc = s_send_quarantine(self, sub, items, n, err);
    if (rc == PA_OK)
        rc = s_read_quarantine(self, &sub->quarantine_id, err);
    return rc;
}

int pa_store_quarantine_item(pa_store_t *self, pa_submission_t *sub, const pa_item_t *it,
                             pa_err_t *err)
{
    pa_item_t *one = (pa_item_t *)it; /* read only: the array type is the sender's */
    return s_quarantine_sync(self, sub, &one, 1, err);
}

static int s_exec_cmd(pa_store_t *self, const char *sql, pa_err_t *err)
{
    return pa_pg_exec(self->pg, sql, 0, NULL, PGRES_COMMAND_OK, NULL, err);
}

/* Hands the ids of the reports stored in this batch to the aggregation,
 * as one array literal ("{1,2,3}") so that it is one statement per batch. */
static int s_aggregate(pa_store_t *self, pa_submission_t *const *subs, size_t n, pa_err_t *err)
{
    int rc = PA_OK;
    pa_buf_t b = {0};
    pa_buf_printf(&b, "{");
    size_t count = 0;
    for (size_t s = 0; s < n; s++)
        for (size_t i = 0; i < subs[s]->n_items; i++)
            /* A withdrawal's pk is its pingan.withdrawal row: void_report
             * queued its period already. */
            if (subs[s]->items[i].status == PA_STATUS_STORED && !subs[s]->items[i].report->withdraw)
                pa_buf_printf(&b, "%s%" PRId64, count++ ? "," : "", subs[s]->items[i].pk);
    pa_buf_printf(&b, "}");
    if (b.failed) {
        rc = pa_err_set(err, PA_ENOMEM, "out of memory listing stored reports");
        goto cleanup;
    }
    if (!count)
        goto cleanup;
    const char *params[1] = {b.data};
    rc = pa_pg_exec(self->pg, PA_SQL_AGGREGATE, 1, params, PGRES_TUPLES_OK, NULL, err);
    if (rc != PA_OK)
        pa_err_prefix(err, "could not queue the aggregation");
cleanup:
    pa_buf_free(&b);
    return rc;
}

/* Queues the quarantine row of a refused frame on the pipeline. */
static int s_send_frame(pa_store_t *self, const pa_frame_t *f, pa_err_t *err)
{
    char *reasons = NULL;
    pa_problems_t pr = {0};
    pa_problems_add(&pr, f->reason, "", "%s", f->message ? f->message : "");
    int rc = s_reasons_json(&pr, &reasons, err);
    if (rc == PA_OK) {
        const char *params[PA_SQL_QUARANTINE_NPARAMS] = {
            NULL, f->sender ? f->sender : "", self->worker, NULL, NULL, NULL, reasons, f->raw, "[]",
        };
        size_t keep = f->raw_len < PA_QUARANTINE_RAW_MAX ? f->raw_len : PA_QUARANTINE_RAW_MAX;
        int lengths[PA_SQL_QUARANTINE_NPARAMS] = {0, 0, 0, 0, 0, 0, 0, (int)keep, 0};
        int formats[PA_SQL_QUARANTINE_NPARAMS] = {0, 0, 0, 0, 0, 0, 0, 1, 0};
        rc = pa_pg_send_prepared(self->pg, PA_SQL_QUARANTINE_NAME, PA_SQL_QUARANTINE_NPARAMS,
                                 params, lengths, formats, err);
    }
    free(reasons);
    pa_problems_clear(&pr);
    return rc;
}

static bool s_refused(const pa_item_t *it)
{
    return it->problems.n || it->problems.dropped;
}

/* The items of sub that validation refused, into out (room for n_items). */
static size_t s_collect_refused(pa_submission_t *sub, pa_item_t **out)
{
    size_t n = 0;
    for (size_t i = 0; i < sub->n_items; i++)
        if (s_refused(&sub->items[i]))
            out[n++] = &sub->items[i];
    return n;
}

/* Sends every item's statement on the pipeline, then reads them in order. */
/* An item with the submission it belongs to, in the order it is stored. */
typedef struct {
    pa_item_t *it;
    const pa_submission_t *sub;
    size_t seq; /* arrival order: keeps revisions of one key in the order sent */
} s_step_t;

/* Orders put_report calls by (district, period type, period start): each
 * takes that key's advisory lock until commit, and two workers taking the
 * same locks in different orders would deadlock (40P01). */
static int s_cmp_step(const void *a, const void *b)
{
    const pa_report_t *x = ((const s_step_t *)a)->it->report;
    const pa_report_t *y = ((const s_step_t *)b)->it->report;
    int c = strcmp(x->district, y->district);
    if (c == 0)
        c = (int)x->period.type - (int)y->period.type;
    if (c == 0)
        c = x->period.start < y->period.start ? -1 : x->period.start > y->period.start;
    if (c == 0)
        c = (((const s_step_t *)a)->seq > ((const s_step_t *)b)->seq) -
            (((const s_step_t *)a)->seq < ((const s_step_t *)b)->seq);
    return c;
}

/* dry: a judgement only, so refused items are not quarantined (nothing is
 * sent for them). */
static int s_pipeline(pa_store_t *self, pa_submission_t *const *subs, size_t n,
                      const pa_frame_t *frames, size_t n_frames, bool dry, pa_err_t *err)
{
    int rc = PA_OK;
    size_t total = 0, k = 0;
    for (size_t s = 0; s < n; s++)
        total += subs[s]->n_items;
    s_step_t *steps = malloc((total ? total : 1) * sizeof *steps);
    if (!steps)
        return pa_err_set(err, PA_ENOMEM, "out of memory ordering a batch");
    for (size_t s = 0; s < n; s++)
        for (size_t i = 0; i < subs[s]->n_items; i++) {
            steps[k] = (s_step_t){&subs[s]->items[i], subs[s], k};
            k++;
        }
    qsort(steps, total, sizeof *steps, s_cmp_step);
    pa_item_t **refused = malloc((total ? total : 1) * sizeof *refused);
    if (!refused) {
        free(steps);
        return pa_err_set(err, PA_ENOMEM, "out of memory ordering a batch");
    }
    rc = pa_pg_pipeline_enter(self->pg, err);
    /* One quarantine call per submission with refused reports (they take
     * no lock), then put_report for the others in lock order. */
    for (size_t s = 0; rc == PA_OK && !dry && s < n; s++) {
        size_t nr = s_collect_refused(subs[s], refused);
        if (nr)
            rc = s_send_quarantine(self, subs[s], refused, nr, err);
    }
    for (size_t j = 0; rc == PA_OK && j < total; j++) {
        pa_item_t *it = steps[j].it;
        if (!s_refused(it))
            rc = it->report->withdraw ? s_send_withdraw(self, steps[j].sub, it, err)
                                      : s_send_put(self, steps[j].sub, it, err);
    }
    for (size_t f = 0; rc == PA_OK && f < n_frames; f++)
        rc = s_send_frame(self, &frames[f], err);
    if (rc == PA_OK)
        rc = pa_pg_pipeline_sync(self->pg, err);
    /* Results in the order sent; the first failure aborts the rest (they
     * would only say PIPELINE_ABORTED). */
    for (size_t s = 0; rc == PA_OK && s < n; s++) {
        size_t nr = s_collect_refused(subs[s], refused);
        if (nr && !dry)
            rc = s_read_quarantine(self, &subs[s]->quarantine_id, err);
        for (size_t i = 0; rc == PA_OK && i < nr; i++)
            refused[i]->status = PA_STATUS_REJECTED;
    }
    for (size_t j = 0; rc == PA_OK && j < total; j++)
        if (!s_refused(steps[j].it))
            rc = s_read_put(self, steps[j].it, err);
    for (size_t f = 0; rc == PA_OK && f < n_frames; f++)
        rc = s_read_quarantine(self, NULL, err);
    if (rc == PA_OK)
        rc = pa_pg_pipeline_exit(self->pg, err);
    if (rc != PA_OK)
        pa_pg_pipeline_abort(self->pg); /* also rolls back: advisory locks go */
    free(refused);
    free(steps);
    return rc;
}

int pa_store_write(pa_store_t *self, pa_submission_t *const *subs, size_t n,
                   const pa_frame_t *frames, size_t n_frames, pa_err_t *err)
{
    int rc = PA_OK;
    size_t total = 0, k = 0;
    for (size_t s = 0; s < n; s++)
        total += subs[s]->n_items;
    /* Problems the store adds (stale, conflict) and quarantine rows it
     * files must vanish on rollback. */
    size_t *saved = calloc(total ? total : 1, sizeof *saved);
    int64_t *saved_qid = calloc(n ? n : 1, sizeof *saved_qid);
    pa_item_t **late = malloc((total ? total : 1) * sizeof *late);
    if (!saved || !saved_qid || !late) {
        rc = pa_err_set(err, PA_ENOMEM, "out of memory");
        goto cleanup;
    }
    for (size_t s = 0; s < n; s++) {
        saved_qid[s] = subs[s]->quarantine_id;
        for (size_t i = 0; i < subs[s]->n_items; i++)
            saved[k++] = subs[s]->items[i].problems.n;
    }

    rc = s_exec_cmd(self, "BEGIN", err);
    if (rc == PA_OK)
        rc = s_pipeline(self, subs, n, frames, n_frames, false, err);
    /* Reports put_report refused (stale, conflicts) are kept for inspection
     * too, in the same transaction, with their submission's quarantine row;
     * they are rare, so no pipeline. */
    k = 0;
    for (size_t s = 0; rc == PA_OK && s < n; s++) {
        size_t nl = 0;
        for (size_t i = 0; i < subs[s]->n_items; i++, k++) {
            pa_item_t *it = &subs[s]->items[i];
            if (it->status == PA_STATUS_REJECTED && it->problems.n > saved[k])
                late[nl++] = it;
        }
        if (nl)
            rc = s_quarantine_sync(self, subs[s], late, nl, err);
    }
    if (rc == PA_OK)
        rc = s_copy_values(self, subs, n, err);
    if (rc == PA_OK)
        rc = s_aggregate(self, subs, n, err);
    if (rc == PA_OK)
        rc = s_exec_cmd(self, "COMMIT", err);
    if (rc != PA_OK) {
        pa_pg_rollback(self->pg);
        k = 0;
        for (size_t s = 0; s < n; s++) {
            subs[s]->quarantine_id = saved_qid[s];
            for (size_t i = 0; i < subs[s]->n_items; i++) {
                pa_item_t *it = &subs[s]->items[i];
                it->problems.n = saved[k++];
                it->status = PA_STATUS_NONE;
                it->pk = 0;
            }
        }
    }
cleanup:
    free(late);
    free(saved_qid);
    free(saved);
    return rc;
}

int pa_store_judge(pa_store_t *self, pa_submission_t *sub, pa_err_t *err)
{
    size_t *saved = calloc(sub->n_items ? sub->n_items : 1, sizeof *saved);
    if (!saved)
        return pa_err_set(err, PA_ENOMEM, "out of memory");
    for (size_t i = 0; i < sub->n_items; i++)
        saved[i] = sub->items[i].problems.n;
    /* The same put_report calls, under the same locks, in a transaction that
     * is always rolled back: no row, no quarantine, no aggregation key. */
    int rc = s_exec_cmd(self, "BEGIN", err);
    if (rc == PA_OK)
        rc = s_pipeline(self, &sub, 1, NULL, 0, true, err);
    pa_pg_rollback(self->pg);
    for (size_t i = 0; rc != PA_OK && i < sub->n_items; i++) {
        pa_item_t *it = &sub->items[i];
        it->problems.n = saved[i];
        it->status = PA_STATUS_NONE;
        it->pk = 0;
    }
    free(saved);
    return rc;
}

/* ---------------------------------------------------------------- sink */

static int s_sink_write(void *ctx, pa_submission_t *const *subs, size_t n, const pa_frame_t *frames,
                        size_t n_frames, pa_err_t *err)
{
    return pa_store_write(ctx, subs, n, frames, n_frames, err);
}

static int s_sink_quarantine(void *ctx, pa_submission_t *sub, const pa_item_t *it, pa_err_t *err)
{
    return pa_store_quarantine_item(ctx, sub, it, err);
}

static int s_sink_reconnect(void *ctx, pa_err_t *err)
{
    return pa_store_reconnect(ctx, err);
}

void pa_store_sink(pa_store_t *self, pa_sink_t *out)
{
    *out = (pa_sink_t){self, s_sink_write, s_sink_quarantine, s_sink_reconnect};
}
