/* pa_query.c - judges a district office's question and answers it from
 * PostgreSQL through the functions of sql/functions/70_query.sql (see
 * pa_query.h). The worker decides which key may ask about what; this file
 * asks it through a callback and knows nothing of keys or sockets. */
#include "pa_query.h"

#include "pa_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PA_SQL_QUERY_REPORTS                                                                       \
    "SELECT report_id, district_code, period_type, period_start, revision, submitted_ms, "         \
    "received_ms, is_current, value_count FROM pingan.query_reports($1::text[], $2, $3::date, "    \
    "$4::date, to_timestamp($5::double precision / 1000), $6::int)"
#define PA_SQL_QUERY_REJECTIONS                                                                    \
    "SELECT received_ms, report_id, district_code, period_type, period_start, revision, reason, "  \
    "field, message, problems FROM pingan.query_rejections($1::text[], $2, $3::date, $4::date, "   \
    "to_timestamp($5::double precision / 1000), $6::int)"
#define PA_SQL_QUERY_INDICATORS                                                                    \
    "SELECT code, name_zh, name_en, kind, level, period_types FROM pingan.query_indicators()"
#define PA_SQL_QUERY_DISTRICTS                                                                     \
    "SELECT code, name_zh, name_en FROM pingan.query_districts($1::text[])"
#define PA_SQL_QUERY_TOWNS "SELECT code, district_code, name_zh FROM pingan.query_towns($1::text[])"

/* ---------------------------------------------------------------- answer */

pa_answer_t *pa_answer_new(int kind)
{
    pa_answer_t *self = calloc(1, sizeof *self);
    if (self)
        self->kind = kind;
    return self;
}

void pa_answer_destroy(pa_answer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pa_answer_t *self = *self_p;
    free(self->reports);
    free(self->rejections);
    free(self->indicators);
    free(self->districts);
    free(self->towns);
    free(self);
    *self_p = NULL;
}

/* Grows *items (of size bytes each) by one zeroed entry; NULL when out of memory. */
static void *s_grow(void **items, size_t *n, size_t size)
{
    void *p = realloc(*items, (*n + 1) * size);
    if (!p)
        return NULL;
    *items = p;
    void *slot = (char *)p + *n * size;
    memset(slot, 0, size);
    (*n)++;
    return slot;
}

pa_answer_report_t *pa_answer_add_report(pa_answer_t *self)
{
    return s_grow((void **)&self->reports, &self->n_reports, sizeof *self->reports);
}

pa_answer_rejection_t *pa_answer_add_rejection(pa_answer_t *self)
{
    return s_grow((void **)&self->rejections, &self->n_rejections, sizeof *self->rejections);
}

pa_answer_indicator_t *pa_answer_add_indicator(pa_answer_t *self)
{
    return s_grow((void **)&self->indicators, &self->n_indicators, sizeof *self->indicators);
}

pa_answer_district_t *pa_answer_add_district(pa_answer_t *self)
{
    return s_grow((void **)&self->districts, &self->n_districts, sizeof *self->districts);
}

pa_answer_town_t *pa_answer_add_town(pa_answer_t *self)
{
    return s_grow((void **)&self->towns, &self->n_towns, sizeof *self->towns);
}

/* ---------------------------------------------------------------- check */

static bool s_is_district(const char *s)
{
    return strlen(s) == 6 && strspn(s, "0123456789") == 6;
}

static int s_check_date(const char *s, const char *what, int *reason, pa_err_t *err)
{
    int32_t d;
    if (!*s || pa_date_parse(s, &d, NULL) == PA_OK)
        return PA_OK;
    *reason = PA_REASON_QUERY_INVALID;
    return pa_err_set(err, PA_EINVAL, "%s: '%s' is not a date (YYYY-MM-DD)", what, s);
}

int pa_query_from_args(pa_query_t *q, int kind, const char *district, const char *period,
                       const char *since, pa_err_t *err)
{
    memset(q, 0, sizeof *q);
    q->kind = kind;
    if (district && *district) {
        if (!s_is_district(district))
            return pa_err_set(err, PA_EINVAL, "--district: '%s' is not a 6-digit district code",
                              district);
        snprintf(q->districts[0], sizeof q->districts[0], "%s", district);
        q->n_districts = q->n_asked = 1;
    }
    if (period && *period && kind == PA_QUERY_STATUS) {
        pa_period_t p;
        if (pa_period_parse(period, &p, NULL) != PA_OK)
            return pa_err_set(err, PA_EINVAL,
                              "--period: '%s' is not a period (2024-03-05, 2024-W09, 2024-03, "
                              "2024-Q1 or 2024)",
                              period);
        q->period_type = p.type;
        pa_date_format(p.start, q->period_from);
        pa_date_format(p.start, q->period_to);
    }
    if (since && *since) {
        int32_t d;
        if (pa_date_parse(since, &d, NULL) != PA_OK)
            return pa_err_set(err, PA_EINVAL, "--since: '%s' is not a date (YYYY-MM-DD)", since);
        q->since_ms = ((int64_t)d * 86400 - 8 * 3600) * 1000; /* midnight, China time */
    }
    return PA_OK;
}

int pa_query_check(const pa_query_t *q, int *reason, pa_err_t *err)
{
    *reason = PA_REASON_QUERY_INVALID;
    if (q->garbled)
        return pa_err_set(err, PA_EINVAL, "the query holds a field that is too long or not UTF-8");
    if (q->kind != PA_QUERY_STATUS && q->kind != PA_QUERY_CATALOGUE)
        return pa_err_set(err, PA_EINVAL, "query kind %d is not status (1) or catalogue (2)",
                          q->kind);
    size_t max = q->kind == PA_QUERY_STATUS ? PA_QUERY_STATUS_MAX : PA_QUERY_DISTRICTS_MAX;
    if (q->n_asked > max)
        return pa_err_set(err, PA_EINVAL, "%zu districts asked about, more than the limit of %zu",
                          q->n_asked, max);
    if (q->kind == PA_QUERY_STATUS && q->n_districts == 0)
        return pa_err_set(err, PA_EINVAL, "a status query names at least one district");
    for (size_t i = 0; i < q->n_districts; i++)
        if (!s_is_district(q->districts[i]))
            return pa_err_set(err, PA_EINVAL, "district '%s' is not a 6-digit code",
                              q->districts[i]);
    if (q->limit > PA_QUERY_LIMIT_MAX)
        return pa_err_set(err, PA_EINVAL, "limit %u is above %d", q->limit, PA_QUERY_LIMIT_MAX);
    if (q->since_ms < 0)
        return pa_err_set(err, PA_EINVAL, "since_ms %lld is negative", (long long)q->since_ms);
    if (s_check_date(q->period_from, "period_from", reason, err) != PA_OK ||
        s_check_date(q->period_to, "period_to", reason, err) != PA_OK)
        return PA_EINVAL;
    *reason = PA_REASON_NONE;
    return PA_OK;
}

/* ---------------------------------------------------------------- run */

static void s_copy(char *dst, size_t size, PGresult *res, int row, int col)
{
    snprintf(dst, size, "%s", PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col));
}

static long long s_ll(PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static pa_period_type_t s_type(PGresult *res, int row, int col)
{
    pa_period_type_t t = PA_PERIOD_NONE;
    if (!PQgetisnull(res, row, col) && pa_period_type_parse(PQgetvalue(res, row, col), &t) != PA_OK)
        t = PA_PERIOD_NONE;
    return t;
}

/* The districts as a text[] literal ("{500101,500102}"; codes are digits). */
static void s_array(const pa_query_t *q, char *out, size_t size)
{
    size_t n = (size_t)snprintf(out, size, "{");
    for (size_t i = 0; i < q->n_districts && n < size; i++)
        n += (size_t)snprintf(out + n, size - n, "%s%s", i ? "," : "", q->districts[i]);
    if (n < size)
        snprintf(out + n, size - n, "}");
}

static int s_status(pa_pg_t *pg, const pa_query_t *q, pa_answer_t *a, pa_err_t *err)
{
    int rc = PA_OK;
    PGresult *res = NULL;
    char districts[PA_QUERY_DISTRICTS_MAX * 8 + 4], since[32], limit[16];
    s_array(q, districts, sizeof districts);
    snprintf(since, sizeof since, "%lld", (long long)q->since_ms);
    unsigned lim = q->limit ? q->limit : PA_QUERY_LIMIT_DEFAULT;
    snprintf(limit, sizeof limit, "%u", lim);
    const char *params[6] = {
        districts,
        q->period_type != PA_PERIOD_NONE ? pa_period_type_name(q->period_type) : NULL,
        q->period_from[0] ? q->period_from : NULL,
        q->period_to[0] ? q->period_to : NULL,
        q->since_ms ? since : NULL,
        limit,
    };
    rc = pa_pg_exec(pg, PA_SQL_QUERY_REPORTS, 6, params, PGRES_TUPLES_OK, &res, err);
    if (rc != PA_OK)
        goto cleanup;
    for (int i = 0; i < PQntuples(res); i++) {
        if ((unsigned)i >= lim) {
            a->truncated = true;
            break;
        }
        pa_answer_report_t *r = pa_answer_add_report(a);
        if (!r) {
            rc = pa_err_set(err, PA_ENOMEM, "out of memory");
            goto cleanup;
        }
        s_copy(r->report_id, sizeof r->report_id, res, i, 0);
        s_copy(r->district, sizeof r->district, res, i, 1);
        r->period_type = s_type(res, i, 2);
        s_copy(r->period_start, sizeof r->period_start, res, i, 3);
        r->revision = (unsigned)s_ll(res, i, 4);
        r->submitted_at_ms = s_ll(res, i, 5);
        r->received_at_ms = s_ll(res, i, 6);
        r->current = !PQgetisnull(res, i, 7) && PQgetvalue(res, i, 7)[0] == 't';
        r->values = (unsigned)s_ll(res, i, 8);
    }
    PQclear(res);
    res = NULL;
    rc = pa_pg_exec(pg, PA_SQL_QUERY_REJECTIONS, 6, params, PGRES_TUPLES_OK, &res, err);
    if (rc != PA_OK)
        goto cleanup;
    for (int i = 0; i < PQntuples(res); i++) {
        if ((unsigned)i >= lim) {
            a->truncated = true;
            break;
        }
        pa_answer_rejection_t *r = pa_answer_add_rejection(a);
        if (!r) {
            rc = pa_err_set(err, PA_ENOMEM, "out of memory");
            goto cleanup;
        }
        r->received_at_ms = s_ll(res, i, 0);
        s_copy(r->report_id, sizeof r->report_id, res, i, 1);
        s_copy(r->district, sizeof r->district, res, i, 2);
        r->period_type = s_type(res, i, 3);
        s_copy(r->period_start, sizeof r->period_start, res, i, 4);
        r->revision = (unsigned)s_ll(res, i, 5);
        s_copy(r->reason, sizeof r->reason, res, i, 6);
        s_copy(r->field, sizeof r->field, res, i, 7);
        s_copy(r->message, sizeof r->message, res, i, 8);
        r->problems = (unsigned)s_ll(res, i, 9);
    }
cleanup:
    PQclear(res);
    return rc;
}

static int s_catalogue(pa_pg_t *pg, const pa_query_t *q, pa_answer_t *a, pa_err_t *err)
{
    int rc = PA_OK;
    PGresult *res = NULL;
    char districts[PA_QUERY_DISTRICTS_MAX * 8 + 4];
    s_array(q, districts, sizeof districts);
    const char *params[1] = {q->n_districts ? districts : NULL};
    rc = pa_pg_exec(pg, PA_SQL_QUERY_INDICATORS, 0, NULL, PGRES_TUPLES_OK, &res, err);
    for (int i = 0; rc == PA_OK && i < PQntuples(res); i++) {
        pa_answer_indicator_t *ind = pa_answer_add_indicator(a);
        if (!ind) {
            rc = pa_err_set(err, PA_ENOMEM, "out of memory");
            break;
        }
        s_copy(ind->code, sizeof ind->code, res, i, 0);
        s_copy(ind->name_zh, sizeof ind->name_zh, res, i, 1);
        s_copy(ind->name_en, sizeof ind->name_en, res, i, 2);
        s_copy(ind->kind, sizeof ind->kind, res, i, 3);
        s_copy(ind->level, sizeof ind->level, res, i, 4);
        char types[64], *save = NULL;
        s_copy(types, sizeof types, res, i, 5);
        for (char *t = strtok_r(types, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            pa_period_type_t pt;
            if (pa_period_type_parse(t, &pt) == PA_OK)
                ind->period_mask |= 1u << pt;
        }
    }
    PQclear(res);
    res = NULL;
    if (rc == PA_OK)
        rc = pa_pg_exec(pg, PA_SQL_QUERY_DISTRICTS, 1, params, PGRES_TUPLES_OK, &res, err);
    for (int i = 0; rc == PA_OK && i < PQntuples(res); i++) {
        pa_answer_district_t *d = pa_answer_add_district(a);
        if (!d) {
            rc = pa_err_set(err, PA_ENOMEM, "out of memory");
            break;
        }
        s_copy(d->code, sizeof d->code, res, i, 0);
        s_copy(d->name_zh, sizeof d->name_zh, res, i, 1);
        s_copy(d->name_en, sizeof d->name_en, res, i, 2);
    }
    PQclear(res);
    res = NULL;
    if (rc == PA_OK)
        rc = pa_pg_exec(pg, PA_SQL_QUERY_TOWNS, 1, params, PGRES_TUPLES_OK, &res, err);
    for (int i = 0; rc == PA_OK && i < PQntuples(res); i++) {
        pa_answer_town_t *t = pa_answer_add_town(a);
        if (!t) {
            rc = pa_err_set(err, PA_ENOMEM, "out of memory");
            break;
        }
        s_copy(t->code, sizeof t->code, res, i, 0);
        s_copy(t->district, sizeof t->district, res, i, 1);
        s_copy(t->name_zh, sizeof t->name_zh, res, i, 2);
    }
    PQclear(res);
    return rc;
}

int pa_query_run(pa_pg_t *pg, const pa_query_t *q, pa_query_may_read_fn may_read, void *arg,
                 pa_answer_t **out, int *reason, pa_err_t *err)
{
    int rc = PA_OK;
    *out = NULL;
    *reason = PA_REASON_NONE;
    pa_answer_t *a = NULL;
    if (may_read) {
        for (size_t i = 0; i < q->n_districts; i++) {
            if (!may_read(arg, q->districts[i])) {
                *reason = PA_REASON_QUERY_UNAUTHORIZED;
                rc = pa_err_set(err, PA_EINVAL, "this key may not read district %s",
                                q->districts[i]);
                goto cleanup;
            }
        }
    }
    if (!(a = pa_answer_new(q->kind))) {
        rc = pa_err_set(err, PA_ENOMEM, "out of memory");
        goto cleanup;
    }
    rc = q->kind == PA_QUERY_STATUS ? s_status(pg, q, a, err) : s_catalogue(pg, q, a, err);
    if (rc != PA_OK) {
        *reason = PA_REASON_QUERY_UNAVAILABLE;
        goto cleanup;
    }
    /* A catalogue naming no district lists the towns of the districts the
     * key may read (all without keys); indicators are no secret. */
    if (may_read && q->kind == PA_QUERY_CATALOGUE && q->n_districts == 0) {
        size_t kept = 0;
        for (size_t i = 0; i < a->n_towns; i++)
            if (may_read(arg, a->towns[i].district))
                a->towns[kept++] = a->towns[i];
        a->n_towns = kept;
    }
    *out = a;
    a = NULL;
cleanup:
    pa_answer_destroy(&a);
    return rc;
}
