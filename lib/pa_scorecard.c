/* pa_scorecard.c - loads the scorecard of one period from the analyst views
 * and renders it as a terminal table, CSV (libcsv), JSON (yajl) or one HTML
 * page with inline SVG. It judges nothing: statuses, margins and projections
 * come from the views, and a district x target pair without a row is shown
 * as "no data". */
#include "pa_scorecard.h"

#include <csv.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "pa_scorecard_sql.h"

/* ------------------------------------------------------------------------
 * The object
 * ------------------------------------------------------------------------ */

typedef struct {
    char *id, *indicator_code, *rule, *level, *quote_zh, *name_zh, *name_en, *kind;
    double threshold;
} s_target_t;

typedef struct {
    char *code, *name_zh, *name_en;
} s_district_t;

typedef struct {
    char *target_id, *indicator_code, *level, *area_code, *area_name, *status;
    double actual, reference, threshold, margin, ytd_actual, ytd_reference, projection;
} s_row_t;

typedef struct {
    char *indicator_code;
    int32_t period_start; /* days since 1970-01-01 */
    double value;
} s_point_t;

/* Every copied string lives in a chain of blocks freed at once. */
typedef struct s_block {
    struct s_block *next;
    size_t used; /* bytes of data in use */
    size_t size; /* bytes of data */
    char data[];
} s_block_t;

struct pa_scorecard {
    pa_period_t period;
    char *district; /* NULL = the whole city */
    s_block_t *strings;
    s_target_t *targets;
    size_t ntargets, cap_targets;
    s_district_t *districts;
    size_t ndistricts, cap_districts;
    s_row_t *rows;
    size_t nrows, cap_rows;
    s_point_t *points;
    size_t npoints, cap_points;
};

/* Copies s into the string blocks; NULL becomes "". NULL on out of memory. */
static char *s_copy(pa_scorecard_t *self, const char *s)
{
    if (!s)
        s = "";
    size_t len = strlen(s) + 1;
    s_block_t *b = self->strings;
    if (!b || b->size - b->used < len) {
        size_t size = len > 4096 ? len : 4096;
        b = malloc(sizeof *b + size);
        if (!b)
            return NULL;
        b->used = 0;
        b->size = size;
        b->next = self->strings;
        self->strings = b;
    }
    char *out = b->data + b->used;
    memcpy(out, s, len);
    b->used += len;
    return out;
}

/* Makes room for one more element; false on out of memory. */
static bool s_grow(void **array, size_t *cap, size_t n, size_t elem_size)
{
    if (n < *cap)
        return true;
    size_t cap2 = *cap ? *cap * 2 : 16;
    void *a = realloc(*array, cap2 * elem_size);
    if (!a)
        return false;
    *array = a;
    *cap = cap2;
    return true;
}

pa_scorecard_t *pa_scorecard_new(const pa_period_t *period, const char *district, pa_err_t *err)
{
    pa_scorecard_t *self = calloc(1, sizeof *self);
    if (!self) {
        pa_err_set(err, PA_ENOMEM, "out of memory");
        return NULL;
    }
    self->period = *period;
    if (district && *district) {
        self->district = s_copy(self, district);
        if (!self->district) {
            pa_err_set(err, PA_ENOMEM, "out of memory");
            pa_scorecard_destroy(&self);
            return NULL;
        }
    }
    return self;
}

void pa_scorecard_destroy(pa_scorecard_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pa_scorecard_t *self = *self_p;
    while (self->strings) {
        s_block_t *next = self->strings->next;
        free(self->strings);
        self->strings = next;
    }
    free(self->targets);
    free(self->districts);
    free(self->rows);
    free(self->points);
    free(self);
    *self_p = NULL;
}

static int s_nomem(pa_err_t *err)
{
    return pa_err_set(err, PA_ENOMEM, "out of memory building the scorecard");
}

int pa_scorecard_add_target(pa_scorecard_t *self, const pa_scorecard_target_t *t, pa_err_t *err)
{
    if (!s_grow((void **)&self->targets, &self->cap_targets, self->ntargets, sizeof *self->targets))
        return s_nomem(err);
    s_target_t *o = &self->targets[self->ntargets];
    o->id = s_copy(self, t->id);
    o->indicator_code = s_copy(self, t->indicator_code);
    o->rule = s_copy(self, t->rule);
    o->level = s_copy(self, t->level);
    o->quote_zh = s_copy(self, t->quote_zh);
    o->name_zh = s_copy(self, t->name_zh);
    o->name_en = s_copy(self, t->name_en);
    o->kind = s_copy(self, t->kind);
    o->threshold = t->threshold;
    if (!o->id || !o->indicator_code || !o->rule || !o->level || !o->quote_zh || !o->name_zh ||
        !o->name_en || !o->kind)
        return s_nomem(err);
    self->ntargets++;
    return PA_OK;
}

int pa_scorecard_add_district(pa_scorecard_t *self, const pa_scorecard_district_t *d, pa_err_t *err)
{
    if (!s_grow((void **)&self->districts, &self->cap_districts, self->ndistricts,
                sizeof *self->districts))
        return s_nomem(err);
    s_district_t *o = &self->districts[self->ndistricts];
    o->code = s_copy(self, d->code);
    o->name_zh = s_copy(self, d->name_zh);
    o->name_en = s_copy(self, d->name_en);
    if (!o->code || !o->name_zh || !o->name_en)
        return s_nomem(err);
    self->ndistricts++;
    return PA_OK;
}

int pa_scorecard_add_row(pa_scorecard_t *self, const pa_scorecard_row_t *r, pa_err_t *err)
{
    if (!s_grow((void **)&self->rows, &self->cap_rows, self->nrows, sizeof *self->rows))
        return s_nomem(err);
    s_row_t *o = &self->rows[self->nrows];
    o->target_id = s_copy(self, r->target_id);
    o->indicator_code = s_copy(self, r->indicator_code);
    o->level = s_copy(self, r->level);
    o->area_code = s_copy(self, r->area_code);
    o->area_name = s_copy(self, r->area_name);
    o->status = s_copy(self, r->status);
    if (!o->target_id || !o->indicator_code || !o->level || !o->area_code || !o->area_name ||
        !o->status)
        return s_nomem(err);
    o->actual = r->actual;
    o->reference = r->reference;
    o->threshold = r->threshold;
    o->margin = r->margin;
    o->ytd_actual = r->ytd_actual;
    o->ytd_reference = r->ytd_reference;
    o->projection = r->projection;
    self->nrows++;
    return PA_OK;
}

int pa_scorecard_add_point(pa_scorecard_t *self, const pa_scorecard_point_t *p, pa_err_t *err)
{
    if (!s_grow((void **)&self->points, &self->cap_points, self->npoints, sizeof *self->points))
        return s_nomem(err);
    s_point_t *o = &self->points[self->npoints];
    o->indicator_code = s_copy(self, p->indicator_code);
    if (!o->indicator_code)
        return s_nomem(err);
    o->period_start = p->period_start;
    o->value = p->value;
    self->npoints++;
    return PA_OK;
}

size_t pa_scorecard_row_count(const pa_scorecard_t *self)
{
    return self->nrows;
}

/* ------------------------------------------------------------------------
 * Loading from PostgreSQL
 * ------------------------------------------------------------------------ */

static int s_pg_fail(PGconn *conn, PGresult *res, const char *what, pa_err_t *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    int code = pa_err_class_sqlstate(state, NULL, NULL);
    if (PQstatus(conn) != CONNECTION_OK)
        code = PA_ERETRY;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!msg || !*msg)
        msg = PQerrorMessage(conn);
    char clean[PA_ERR_MSG_SIZE];
    snprintf(clean, sizeof clean, "%s", msg ? msg : "");
    /* One line: libpq's connection messages span several. */
    for (char *p = clean; *p; p++)
        if (*p == '\n' || *p == '\t')
            *p = ' ';
    size_t len = strlen(clean);
    while (len && clean[len - 1] == ' ')
        clean[--len] = '\0';
    const char *hint = "";
    if (state && strcmp(state, "42P01") == 0)
        hint = " (is the schema up to date? run pingan-worker --init-db)";
    pa_err_set(err, code, "%s: sqlstate=%s %s%s", what, state ? state : "none", clean, hint);
    if (err)
        snprintf(err->sqlstate, sizeof err->sqlstate, "%s", state ? state : "");
    return code;
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

static double s_double(PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NAN : strtod(PQgetvalue(res, row, col), NULL);
}

static int s_load_targets(pa_scorecard_t *self, PGconn *conn, pa_err_t *err)
{
    static const char *const names[] = {"id",        "indicator_code", "rule",
                                        "threshold", "level",          "quote_zh",
                                        "name_zh",   "name_en",        "kind"};
    int c[9] = {0};
    PGresult *res = NULL;
    int rc = s_exec(conn, PA_SQL_SC_TARGETS, 0, NULL, "pingan.target", &res, err);
    if (rc == PA_OK)
        rc = s_columns(res, names, c, 9, "pingan.target", err);
    for (int i = 0; rc == PA_OK && i < PQntuples(res); i++) {
        pa_scorecard_target_t t = {
            s_text(res, i, c[0]),   s_text(res, i, c[1]), s_text(res, i, c[2]),
            s_double(res, i, c[3]), s_text(res, i, c[4]), s_text(res, i, c[5]),
            s_text(res, i, c[6]),   s_text(res, i, c[7]), s_text(res, i, c[8]),
        };
        rc = pa_scorecard_add_target(self, &t, err);
    }
    PQclear(res);
    return rc;
}

static int s_load_districts(pa_scorecard_t *self, PGconn *conn, pa_err_t *err)
{
    static const char *const names[] = {"code", "name_zh", "name_en"};
    int c[3] = {0};
    const char *params[PA_SQL_SC_DISTRICTS_NPARAMS] = {self->district};
    PGresult *res = NULL;
    int rc = s_exec(conn, PA_SQL_SC_DISTRICTS, PA_SQL_SC_DISTRICTS_NPARAMS, params,
                    "pingan.district", &res, err);
    if (rc == PA_OK)
        rc = s_columns(res, names, c, 3, "pingan.district", err);
    for (int i = 0; rc == PA_OK && i < PQntuples(res); i++) {
        pa_scorecard_district_t d = {s_text(res, i, c[0]), s_text(res, i, c[1]),
                                     s_text(res, i, c[2])};
        rc = pa_scorecard_add_district(self, &d, err);
    }
    if (rc == PA_OK && self->district && self->ndistricts == 0)
        rc = pa_err_set(err, PA_EINVAL, "unknown district %s (not in pingan.district)",
                        self->district);
    PQclear(res);
    return rc;
}

static int s_load_rows(pa_scorecard_t *self, PGconn *conn, pa_err_t *err)
{
    static const char *const names[] = {
        "target_id",  "indicator_code", "level",      "area_code", "area_name",
        "status",     "actual",         "reference",  "threshold", "margin",
        "ytd_actual", "ytd_reference",  "projection",
    };
    int c[13] = {0};
    char start[PA_DATE_SIZE];
    pa_date_format(self->period.start, start);
    const char *params[PA_SQL_SC_ROWS_NPARAMS] = {pa_period_type_name(self->period.type), start,
                                                  self->district};
    PGresult *res = NULL;
    int rc = s_exec(conn, PA_SQL_SC_ROWS, PA_SQL_SC_ROWS_NPARAMS, params,
                    "pingan.v_district_scorecard", &res, err);
    if (rc == PA_OK)
        rc = s_columns(res, names, c, 13, "pingan.v_district_scorecard", err);
    for (int i = 0; rc == PA_OK && i < PQntuples(res); i++) {
        pa_scorecard_row_t r = {
            s_text(res, i, c[0]),    s_text(res, i, c[1]),    s_text(res, i, c[2]),
            s_text(res, i, c[3]),    s_text(res, i, c[4]),    s_text(res, i, c[5]),
            s_double(res, i, c[6]),  s_double(res, i, c[7]),  s_double(res, i, c[8]),
            s_double(res, i, c[9]),  s_double(res, i, c[10]), s_double(res, i, c[11]),
            s_double(res, i, c[12]),
        };
        rc = pa_scorecard_add_row(self, &r, err);
    }
    PQclear(res);
    return rc;
}

static int s_load_trend(pa_scorecard_t *self, PGconn *conn, pa_err_t *err)
{
    static const char *const names[] = {"indicator_code", "period_start", "value"};
    int c[3] = {0};
    int year, month, day;
    pa_date_to_ymd(self->period.start, &year, &month, &day);
    char from[PA_DATE_SIZE], to[PA_DATE_SIZE];
    pa_date_format(pa_date_from_ymd(year - 1, 1, 1), from);
    pa_date_format(pa_date_from_ymd(year + 1, 1, 1), to);
    const char *params[PA_SQL_SC_TREND_NPARAMS] = {from, to};
    PGresult *res = NULL;
    int rc =
        s_exec(conn, PA_SQL_SC_TREND, PA_SQL_SC_TREND_NPARAMS, params, "pingan.v_trend", &res, err);
    if (rc == PA_OK)
        rc = s_columns(res, names, c, 3, "pingan.v_trend", err);
    for (int i = 0; rc == PA_OK && i < PQntuples(res); i++) {
        pa_scorecard_point_t p = {s_text(res, i, c[0]), 0, s_double(res, i, c[2])};
        const char *date = s_text(res, i, c[1]);
        if (!date || pa_date_parse(date, &p.period_start, NULL) != PA_OK)
            continue;
        rc = pa_scorecard_add_point(self, &p, err);
    }
    PQclear(res);
    return rc;
}

int pa_scorecard_load(pa_scorecard_t *self, const char *conninfo, pa_err_t *err)
{
    int rc = PA_OK;
    PGresult *res = NULL;
    const char *keys[] = {"dbname", "application_name", "client_encoding", NULL};
    const char *vals[] = {conninfo && *conninfo ? conninfo : NULL, "pingan-report", "UTF8", NULL};
    PGconn *conn = PQconnectdbParams(keys, vals, 1);
    if (!conn) {
        rc = pa_err_set(err, PA_ENOMEM, "out of memory connecting to PostgreSQL");
        goto cleanup;
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        rc = s_pg_fail(conn, NULL, "could not connect to PostgreSQL", err);
        goto cleanup;
    }
    rc = s_exec(conn, PA_SQL_SC_BEGIN, 0, NULL, "begin", &res, err);
    PQclear(res);
    res = NULL;
    if (rc == PA_OK)
        rc = s_load_targets(self, conn, err);
    if (rc == PA_OK)
        rc = s_load_districts(self, conn, err);
    if (rc == PA_OK)
        rc = s_load_rows(self, conn, err);
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

/* ------------------------------------------------------------------------
 * Shared rendering helpers
 * ------------------------------------------------------------------------ */

typedef struct {
    const char *status;
    const char *zh, *en, *symbol;
    const char *fill, *ink; /* cell colour and the text colour on it */
} s_status_t;

/* Display order: best to worst, then what cannot be judged. */
static const s_status_t s_statuses[] = {
    {"met", "达标", "met", "✓", "#2e9d57", "#ffffff"},
    {"at_risk", "有风险", "at risk", "!", "#f2a93b", "#2b2100"},
    {"missed", "未达标", "missed", "✗", "#d64541", "#ffffff"},
    {"no_baseline", "无基期", "no baseline", "?", "#a9cde9", "#15324a"},
    {"no_data", "无数据", "no data", "·", "#cfd3d8", "#3a3f45"},
};
#define S_NSTATUS (sizeof s_statuses / sizeof s_statuses[0])
static const s_status_t s_status_unknown = {"", "未知", "unknown", "~", "#f4f4f4", "#333333"};

static const s_status_t *s_status(const char *status)
{
    for (size_t i = 0; status && i < S_NSTATUS; i++)
        if (strcmp(status, s_statuses[i].status) == 0)
            return &s_statuses[i];
    return status ? &s_status_unknown : &s_statuses[S_NSTATUS - 1];
}

static const s_row_t *s_find_row(const pa_scorecard_t *self, const char *area,
                                 const char *target_id)
{
    for (size_t i = 0; i < self->nrows; i++)
        if (strcmp(self->rows[i].area_code, area) == 0 &&
            strcmp(self->rows[i].target_id, target_id) == 0)
            return &self->rows[i];
    return NULL;
}

static const s_target_t *s_find_target(const pa_scorecard_t *self, const char *indicator_code)
{
    for (size_t i = 0; i < self->ntargets; i++)
        if (strcmp(self->targets[i].indicator_code, indicator_code) == 0)
            return &self->targets[i];
    return NULL;
}

/* The shortest text that reads back as exactly v ("" for NULL/NaN). */
static void s_num_exact(double v, char *buf, size_t size)
{
    if (!isfinite(v)) {
        snprintf(buf, size, "%s", "");
        return;
    }
    /* Plain notation in the everyday range: 180, not 1.8e+02. */
    bool plain = fabs(v) >= 1e-4 && fabs(v) < 1e15;
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v && (!plain || !strchr(buf, 'e')))
            return;
    }
}

static bool s_is_ratio(const char *kind)
{
    return kind && strcmp(kind, "ratio") == 0;
}

/* For people: ratios as percentages, counts as whole numbers. */
static void s_num_human(const char *kind, double v, char *buf, size_t size)
{
    if (!isfinite(v))
        snprintf(buf, size, "%s", "—");
    else if (s_is_ratio(kind))
        snprintf(buf, size, "%.1f%%", v * 100.0);
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(buf, size, "%.0f", v);
    else
        snprintf(buf, size, "%.2f", v);
}

/* A margin in the unit of its indicator: percentage points for ratios. */
static void s_margin_human(const char *kind, double v, char *buf, size_t size)
{
    if (!isfinite(v))
        snprintf(buf, size, "%s", "—");
    else if (s_is_ratio(kind))
        snprintf(buf, size, "%+.1f pp", v * 100.0);
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(buf, size, "%+.0f", v);
    else
        snprintf(buf, size, "%+.2f", v);
}

/* True when a row reports the share of units meeting the rule rather than
 * the indicator itself: T7 (judged per town) above the towns, and R1 (per
 * district) for the city. */
static bool s_is_share(const s_target_t *t, const s_row_t *r)
{
    if (!t || !r)
        return false;
    if (strcmp(t->level, "town") == 0 && strcmp(r->level, "town") != 0)
        return true;
    return strcmp(t->rule, "max_per_district") == 0 && strcmp(r->level, "city") == 0;
}

/* A row's actual value for people; NULL rows print a dash. */
static void s_actual_human(const s_target_t *t, const s_row_t *r, char *buf, size_t size)
{
    if (r && s_is_share(t, r) && isfinite(r->actual))
        snprintf(buf, size, "%.1f%% met", r->actual * 100.0);
    else
        s_num_human(t->kind, r ? r->actual : NAN, buf, size);
}

static void s_row_margin_human(const s_target_t *t, const s_row_t *r, char *buf, size_t size)
{
    s_margin_human(r && s_is_share(t, r) ? "ratio" : t->kind, r ? r->margin : NAN, buf, size);
}

/* The rule of a target in words; lang 'z' = Chinese, 'e' = English. */
static void s_rule_text(const s_target_t *t, char lang, char *buf, size_t size)
{
    double th = t->threshold;
    if (strcmp(t->rule, "yoy_decrease") == 0)
        snprintf(buf, size, lang == 'z' ? "同比下降 ≥ %.4g%%" : "down ≥ %.4g%% y/y", th * 100.0);
    else if (strcmp(t->rule, "max_count") == 0)
        snprintf(buf, size, lang == 'z' ? "不超过 %.4g 起" : "at most %.4g", th);
    else if (strcmp(t->rule, "min_ratio") == 0 && strcmp(t->level, "town") == 0)
        snprintf(buf, size, lang == 'z' ? "每个镇街不低于 %.4g%%" : "every town ≥ %.4g%%",
                 th * 100.0);
    else if (strcmp(t->rule, "min_ratio") == 0)
        snprintf(buf, size, lang == 'z' ? "不低于 %.4g%%" : "≥ %.4g%%", th * 100.0);
    else if (strcmp(t->rule, "all_towns") == 0)
        snprintf(buf, size, "%s", lang == 'z' ? "镇街全部上线" : "all towns online");
    else if (strcmp(t->rule, "max_per_district") == 0)
        snprintf(buf, size, lang == 'z' ? "每区县不超过 %.4g" : "≤ %.4g per district", th);
    else
        snprintf(buf, size, "%s %.4g", t->rule, th);
}

/* "2024年第1季度" and the like, and the inclusive last day. */
static void s_period_zh(const pa_period_t *p, char *buf, size_t size)
{
    int y, m, d;
    pa_date_to_ymd(p->start, &y, &m, &d);
    char id[PA_PERIOD_SIZE];
    pa_period_format(p, id);
    switch (p->type) {
    case PA_PERIOD_YEAR:
        snprintf(buf, size, "%d年", y);
        break;
    case PA_PERIOD_QUARTER:
        snprintf(buf, size, "%d年第%d季度", y, (m - 1) / 3 + 1);
        break;
    case PA_PERIOD_MONTH:
        snprintf(buf, size, "%d年%d月", y, m);
        break;
    case PA_PERIOD_DAY:
        snprintf(buf, size, "%d年%d月%d日", y, m, d);
        break;
    default:
        snprintf(buf, size, "%s", id);
        break;
    }
}

static void s_period_range(const pa_period_t *p, char *buf, size_t size)
{
    char id[PA_PERIOD_SIZE], first[PA_DATE_SIZE], last[PA_DATE_SIZE];
    pa_period_format(p, id);
    pa_date_format(p->start, first);
    pa_date_format(pa_period_end(p) - 1, last);
    snprintf(buf, size, "%s (%s, %s – %s)", id, pa_period_type_name(p->type), first, last);
}

static int s_finish(FILE *out, pa_err_t *err)
{
    if (fflush(out) != 0 || ferror(out))
        return pa_err_set(err, PA_EIO, "could not write the report");
    return PA_OK;
}

/* ------------------------------------------------------------------------
 * Terminal table
 * ------------------------------------------------------------------------ */

/* Columns a UTF-8 string takes in a terminal: East Asian wide and
 * full-width characters take two. */
static int s_width(const char *s)
{
    int w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned cp;
        int n;
        if (*p < 0x80) {
            cp = *p;
            n = 1;
        } else if ((*p & 0xE0) == 0xC0) {
            cp = *p & 0x1F;
            n = 2;
        } else if ((*p & 0xF0) == 0xE0) {
            cp = *p & 0x0F;
            n = 3;
        } else {
            cp = *p & 0x07;
            n = 4;
        }
        for (int i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80) {
                n = i;
                break;
            }
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        p += n;
        bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                    (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                    (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                    (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
        w += wide ? 2 : 1;
    }
    return w;
}

/* Prints s padded to width columns, left or right aligned. */
static void s_cell(FILE *out, const char *s, int width, bool right)
{
    int pad = width - s_width(s);
    if (right)
        for (int i = 0; i < pad; i++)
            fputc(' ', out);
    fputs(s, out);
    if (!right)
        for (int i = 0; i < pad; i++)
            fputc(' ', out);
}

static void s_table_block(const pa_scorecard_t *self, FILE *out, const char *area,
                          const char *title)
{
    fprintf(out, "%s\n", title);
    s_cell(out, "ID", 5, false);
    s_cell(out, "指标 indicator", 32, false);
    s_cell(out, "目标 target", 22, false);
    s_cell(out, "实际 actual", 12, true);
    s_cell(out, "参照 ref", 12, true);
    s_cell(out, "差额 margin", 13, true);
    fputs("  状态 status\n", out);
    for (size_t i = 0; i < self->ntargets; i++) {
        const s_target_t *t = &self->targets[i];
        const s_row_t *r = s_find_row(self, area, t->id);
        const s_status_t *st = s_status(r ? r->status : NULL);
        char rule[96], actual[48], ref[48], margin[48], status[96];
        s_rule_text(t, 'e', rule, sizeof rule);
        s_actual_human(t, r, actual, sizeof actual);
        s_num_human(t->kind, r ? r->reference : NAN, ref, sizeof ref);
        s_row_margin_human(t, r, margin, sizeof margin);
        snprintf(status, sizeof status, "%s %s %s", st->symbol, st->en, st->zh);
        s_cell(out, t->id, 5, false);
        s_cell(out, *t->name_zh ? t->name_zh : t->indicator_code, 32, false);
        s_cell(out, rule, 22, false);
        s_cell(out, actual, 12, true);
        s_cell(out, ref, 12, true);
        s_cell(out, margin, 13, true);
        fprintf(out, "  %s\n", status);
    }
}

static void s_legend_line(FILE *out)
{
    for (size_t i = 0; i < S_NSTATUS; i++)
        fprintf(out, "%s%s %s %s", i ? "   " : "", s_statuses[i].symbol, s_statuses[i].en,
                s_statuses[i].zh);
    fputc('\n', out);
}

int pa_scorecard_write_table(const pa_scorecard_t *self, FILE *out, pa_err_t *err)
{
    char zh[64], range[96], title[256];
    s_period_zh(&self->period, zh, sizeof zh);
    s_period_range(&self->period, range, sizeof range);
    fprintf(out, "平安重庆 %s 目标考核 · Safe Chongqing target scorecard, %s\n\n", zh, range);

    if (self->district) {
        const s_district_t *d = self->ndistricts ? &self->districts[0] : NULL;
        snprintf(title, sizeof title, "%s %s (%s)", d ? d->name_zh : "", d ? d->name_en : "",
                 self->district);
        s_table_block(self, out, self->district, title);
        fputc('\n', out);
        s_legend_line(out);
        return s_finish(out, err);
    }

    const s_row_t *city = NULL;
    for (size_t i = 0; i < self->nrows && !city; i++)
        if (strcmp(self->rows[i].area_code, PA_SCORECARD_CITY) == 0)
            city = &self->rows[i];
    snprintf(title, sizeof title, "全市 City: %s (%s)", city ? city->area_name : "重庆市",
             PA_SCORECARD_CITY);
    s_table_block(self, out, PA_SCORECARD_CITY, title);

    int name_w = s_width("区县 district") + 2;
    for (size_t i = 0; i < self->ndistricts; i++) {
        int w = s_width(self->districts[i].name_zh) + 2;
        name_w = w > name_w ? w : name_w;
    }
    fprintf(out, "\n区县 × 目标 · district × target\n");
    s_cell(out, "代码", 8, false);
    s_cell(out, "区县 district", name_w, false);
    for (size_t j = 0; j < self->ntargets; j++)
        s_cell(out, self->targets[j].id, j + 1 < self->ntargets ? 4 : 0, false);
    fputc('\n', out);
    size_t counts[S_NSTATUS + 1] = {0};
    for (size_t i = 0; i < self->ndistricts; i++) {
        const s_district_t *d = &self->districts[i];
        s_cell(out, d->code, 8, false);
        s_cell(out, d->name_zh, name_w, false);
        for (size_t j = 0; j < self->ntargets; j++) {
            const s_row_t *r = s_find_row(self, d->code, self->targets[j].id);
            const s_status_t *st = s_status(r ? r->status : NULL);
            s_cell(out, st->symbol, j + 1 < self->ntargets ? 4 : 0, false);
            size_t k = st == &s_status_unknown ? S_NSTATUS : (size_t)(st - s_statuses);
            counts[k]++;
        }
        fputc('\n', out);
    }
    fputc('\n', out);
    s_legend_line(out);
    fputs("合计 total:", out);
    for (size_t k = 0; k < S_NSTATUS; k++)
        fprintf(out, "%s %s %zu", k ? "," : "", s_statuses[k].en, counts[k]);
    if (counts[S_NSTATUS])
        fprintf(out, ", unknown %zu", counts[S_NSTATUS]);
    fputc('\n', out);
    return s_finish(out, err);
}

/* ------------------------------------------------------------------------
 * CSV
 * ------------------------------------------------------------------------ */

static void s_csv_str(FILE *out, const char *s, bool first)
{
    if (!first)
        fputc(',', out);
    csv_fwrite(out, s, strlen(s));
}

static void s_csv_num(FILE *out, double v)
{
    char buf[40];
    s_num_exact(v, buf, sizeof buf);
    fputc(',', out);
    fputs(buf, out);
}

int pa_scorecard_write_csv(const pa_scorecard_t *self, FILE *out, pa_err_t *err)
{
    char id[PA_PERIOD_SIZE], start[PA_DATE_SIZE];
    pa_period_format(&self->period, id);
    pa_date_format(self->period.start, start);
    fputs("period,period_type,period_start,target_id,indicator_code,level,area_code,area_name,"
          "status,actual,reference,threshold,margin,ytd_actual,ytd_reference,projection\n",
          out);
    for (size_t i = 0; i < self->nrows; i++) {
        const s_row_t *r = &self->rows[i];
        s_csv_str(out, id, true);
        s_csv_str(out, pa_period_type_name(self->period.type), false);
        s_csv_str(out, start, false);
        s_csv_str(out, r->target_id, false);
        s_csv_str(out, r->indicator_code, false);
        s_csv_str(out, r->level, false);
        s_csv_str(out, r->area_code, false);
        s_csv_str(out, r->area_name, false);
        s_csv_str(out, r->status, false);
        s_csv_num(out, r->actual);
        s_csv_num(out, r->reference);
        s_csv_num(out, r->threshold);
        s_csv_num(out, r->margin);
        s_csv_num(out, r->ytd_actual);
        s_csv_num(out, r->ytd_reference);
        s_csv_num(out, r->projection);
        fputc('\n', out);
    }
    return s_finish(out, err);
}

/* ------------------------------------------------------------------------
 * JSON
 * ------------------------------------------------------------------------ */

typedef struct {
    yajl_gen g;
    yajl_gen_status st; /* the first failure; later calls do nothing */
} s_json_t;

static void s_json_print(void *ctx, const char *str, size_t len)
{
    fwrite(str, 1, len, (FILE *)ctx);
}

static void s_js_str(s_json_t *j, const char *s)
{
    if (j->st != yajl_gen_status_ok)
        return;
    j->st = s ? yajl_gen_string(j->g, (const unsigned char *)s, strlen(s)) : yajl_gen_null(j->g);
}

static void s_js_num(s_json_t *j, double v)
{
    if (j->st != yajl_gen_status_ok)
        return;
    if (!isfinite(v)) {
        j->st = yajl_gen_null(j->g);
        return;
    }
    char buf[40];
    s_num_exact(v, buf, sizeof buf);
    j->st = yajl_gen_number(j->g, buf, strlen(buf));
}

static void s_js_kstr(s_json_t *j, const char *key, const char *s)
{
    s_js_str(j, key);
    s_js_str(j, s);
}

static void s_js_knum(s_json_t *j, const char *key, double v)
{
    s_js_str(j, key);
    s_js_num(j, v);
}

static void s_js_open(s_json_t *j, bool map)
{
    if (j->st == yajl_gen_status_ok)
        j->st = map ? yajl_gen_map_open(j->g) : yajl_gen_array_open(j->g);
}

static void s_js_close(s_json_t *j, bool map)
{
    if (j->st == yajl_gen_status_ok)
        j->st = map ? yajl_gen_map_close(j->g) : yajl_gen_array_close(j->g);
}

int pa_scorecard_write_json(const pa_scorecard_t *self, FILE *out, pa_err_t *err)
{
    int rc = PA_OK;
    s_json_t j = {yajl_gen_alloc(NULL), yajl_gen_status_ok};
    if (!j.g) {
        rc = pa_err_set(err, PA_ENOMEM, "out of memory");
        goto cleanup;
    }
    yajl_gen_config(j.g, yajl_gen_beautify, 1);
    yajl_gen_config(j.g, yajl_gen_indent_string, "  ");
    yajl_gen_config(j.g, yajl_gen_validate_utf8, 1);
    yajl_gen_config(j.g, yajl_gen_print_callback, s_json_print, (void *)out);

    char id[PA_PERIOD_SIZE], date[PA_DATE_SIZE];
    pa_period_format(&self->period, id);
    s_js_open(&j, true);
    s_js_str(&j, "period");
    s_js_open(&j, true);
    s_js_kstr(&j, "id", id);
    s_js_kstr(&j, "type", pa_period_type_name(self->period.type));
    pa_date_format(self->period.start, date);
    s_js_kstr(&j, "start", date);
    pa_date_format(pa_period_end(&self->period), date);
    s_js_kstr(&j, "end", date);
    s_js_close(&j, true);
    s_js_kstr(&j, "district", self->district);

    s_js_str(&j, "targets");
    s_js_open(&j, false);
    for (size_t i = 0; i < self->ntargets; i++) {
        const s_target_t *t = &self->targets[i];
        s_js_open(&j, true);
        s_js_kstr(&j, "id", t->id);
        s_js_kstr(&j, "indicator_code", t->indicator_code);
        s_js_kstr(&j, "name_zh", t->name_zh);
        s_js_kstr(&j, "name_en", t->name_en);
        s_js_kstr(&j, "kind", t->kind);
        s_js_kstr(&j, "rule", t->rule);
        s_js_knum(&j, "threshold", t->threshold);
        s_js_kstr(&j, "level", t->level);
        s_js_kstr(&j, "quote_zh", t->quote_zh);
        s_js_close(&j, true);
    }
    s_js_close(&j, false);

    s_js_str(&j, "rows");
    s_js_open(&j, false);
    size_t counts[S_NSTATUS] = {0}, unknown = 0;
    for (size_t i = 0; i < self->nrows; i++) {
        const s_row_t *r = &self->rows[i];
        const s_status_t *st = s_status(r->status);
        if (st == &s_status_unknown)
            unknown++;
        else
            counts[st - s_statuses]++;
        s_js_open(&j, true);
        s_js_kstr(&j, "target_id", r->target_id);
        s_js_kstr(&j, "indicator_code", r->indicator_code);
        s_js_kstr(&j, "level", r->level);
        s_js_kstr(&j, "area_code", r->area_code);
        s_js_kstr(&j, "area_name", r->area_name);
        s_js_kstr(&j, "status", r->status);
        s_js_knum(&j, "actual", r->actual);
        s_js_knum(&j, "reference", r->reference);
        s_js_knum(&j, "threshold", r->threshold);
        s_js_knum(&j, "margin", r->margin);
        s_js_knum(&j, "ytd_actual", r->ytd_actual);
        s_js_knum(&j, "ytd_reference", r->ytd_reference);
        s_js_knum(&j, "projection", r->projection);
        s_js_close(&j, true);
    }
    s_js_close(&j, false);

    s_js_str(&j, "summary");
    s_js_open(&j, true);
    for (size_t k = 0; k < S_NSTATUS; k++)
        s_js_knum(&j, s_statuses[k].status, (double)counts[k]);
    if (unknown)
        s_js_knum(&j, "unknown", (double)unknown);
    s_js_close(&j, true);

    s_js_str(&j, "trend");
    s_js_open(&j, false);
    for (size_t i = 0; i < self->npoints; i++) {
        const s_point_t *p = &self->points[i];
        s_js_open(&j, true);
        s_js_kstr(&j, "indicator_code", p->indicator_code);
        s_js_kstr(&j, "level", "city");
        pa_date_format(p->period_start, date);
        s_js_kstr(&j, "period_start", date);
        s_js_knum(&j, "value", p->value);
        s_js_close(&j, true);
    }
    s_js_close(&j, false);
    s_js_close(&j, true);

    if (j.st == yajl_gen_invalid_string) {
        rc = pa_err_set(err, PA_EINVAL, "a text in the scorecard is not valid UTF-8");
        goto cleanup;
    }
    if (j.st != yajl_gen_status_ok) {
        rc = pa_err_set(err, PA_EFATAL, "could not generate JSON (yajl status %d)", (int)j.st);
        goto cleanup;
    }
    fputc('\n', out);
    rc = s_finish(out, err);
cleanup:
    if (j.g)
        yajl_gen_free(j.g);
    return rc;
}

/* ------------------------------------------------------------------------
 * HTML and SVG
 * ------------------------------------------------------------------------ */

#define S_SVG_NS "http://www.w3.org/2000/svg"
#define S_FONT                                                                                     \
    "'Noto Sans CJK SC','Source Han Sans SC','WenQuanYi Micro Hei','PingFang SC',"                 \
    "'Microsoft YaHei','Liberation Sans',Arial,sans-serif"

/* Text and attribute values: the five characters that matter in HTML. */
static void s_esc(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        default:
            fputc(*s, out);
        }
    }
}

static const char s_css[] =
    "body{margin:0;background:#f5f6f8;color:#1d2430;font-family:" S_FONT ";font-size:14px;"
    "line-height:1.45}\n"
    "main{max-width:1180px;margin:0 auto;padding:24px 28px 40px}\n"
    "h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px;"
    "border-bottom:2px solid #c9ced6;padding-bottom:4px}\n"
    ".sub{color:#5a6372;margin:0}.en{color:#5a6372;font-weight:normal}\n"
    ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:10px}\n"
    ".card{background:#fff;border-radius:6px;padding:8px 10px;border-left:6px solid #cfd3d8;"
    "box-shadow:0 1px 2px rgba(0,0,0,.08)}\n"
    ".card .id{font-weight:bold}.card .st{float:right;font-size:12px;padding:0 6px;"
    "border-radius:3px}\n"
    ".card .nm{font-size:13px}.card .fig{font-size:12px;color:#5a6372}\n"
    ".panel{background:#fff;border-radius:6px;padding:10px;box-shadow:0 1px 2px "
    "rgba(0,0,0,.08);overflow-x:auto}\n"
    ".trends{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:12px}\n"
    ".trends svg{width:100%;height:auto;display:block}\n"
    "table.key{border-collapse:collapse;width:100%;background:#fff;font-size:13px}\n"
    "table.key th,table.key td{border-bottom:1px solid #e1e4e8;padding:5px 8px;text-align:left;"
    "vertical-align:top}\n"
    "table.key th{background:#eef0f3}\n"
    "footer{margin-top:24px;color:#5a6372;font-size:12px}\n";

static void s_html_cards(const pa_scorecard_t *self, FILE *out, const char *area)
{
    fputs("<div class=\"cards\">\n", out);
    for (size_t i = 0; i < self->ntargets; i++) {
        const s_target_t *t = &self->targets[i];
        const s_row_t *r = s_find_row(self, area, t->id);
        const s_status_t *st = s_status(r ? r->status : NULL);
        char actual[48], ref[48], rule[96];
        s_actual_human(t, r, actual, sizeof actual);
        s_num_human(t->kind, r ? r->reference : NAN, ref, sizeof ref);
        s_rule_text(t, 'z', rule, sizeof rule);
        fprintf(out, "<div class=\"card\" style=\"border-left-color:%s\">", st->fill);
        fputs("<span class=\"id\">", out);
        s_esc(out, t->id);
        fprintf(out, "</span> <span class=\"st\" style=\"background:%s;color:%s\">%s %s</span>",
                st->fill, st->ink, st->zh, st->en);
        fputs("<div class=\"nm\">", out);
        s_esc(out, t->name_zh);
        fputs("<br><span class=\"en\">", out);
        s_esc(out, t->name_en);
        fputs("</span></div><div class=\"fig\">实际 actual <b>", out);
        s_esc(out, actual);
        fputs("</b> · 参照 ref ", out);
        s_esc(out, ref);
        fputs("<br>目标 target: ", out);
        s_esc(out, rule);
        fputs("</div></div>\n", out);
    }
    fputs("</div>\n", out);
}

/* The district x target heat map: one <rect class="cell"> per pair. */
static void s_html_heatmap(const pa_scorecard_t *self, FILE *out)
{
    const int label_w = 200, head_h = 160, cell_w = 72, cell_h = 22, gap = 2, legend_h = 56;
    int ncols = (int)self->ntargets, nrows = self->districts ? (int)self->ndistricts : 0;
    int width = label_w + ncols * cell_w + 24;
    int height = head_h + nrows * cell_h + legend_h;
    fprintf(out,
            "<svg xmlns=\"" S_SVG_NS "\" class=\"heatmap\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" role=\"img\" font-family=\"%s\">\n",
            width, height, width, height, S_FONT);
    fputs("<title>区县 × 目标 热力图 · district × target heat map</title>\n", out);
    char zh[64];
    s_period_zh(&self->period, zh, sizeof zh);
    fprintf(out,
            "<text x=\"8\" y=\"22\" font-size=\"16\" font-weight=\"bold\">%s 区县目标达成情况"
            "</text><text x=\"8\" y=\"42\" font-size=\"12\" fill=\"#5a6372\">targets by "
            "district: colour = status, figure = actual value; hover for details</text>\n",
            zh);
    /* Column heads: the id under a slanted Chinese name. */
    for (int j = 0; j < ncols; j++) {
        const s_target_t *t = &self->targets[j];
        int cx = label_w + j * cell_w + cell_w / 2;
        fprintf(out,
                "<text x=\"%d\" y=\"%d\" font-size=\"13\" fill=\"#3a4250\" "
                "transform=\"rotate(-35 %d %d)\">",
                cx, head_h - 26, cx, head_h - 26);
        s_esc(out, *t->name_zh ? t->name_zh : t->indicator_code);
        fputs("</text>\n", out);
        fprintf(out,
                "<text x=\"%d\" y=\"%d\" font-size=\"13\" font-weight=\"bold\" "
                "text-anchor=\"middle\">",
                cx, head_h - 8);
        s_esc(out, t->id);
        fputs("</text>\n", out);
    }
    fprintf(out,
            "<text x=\"8\" y=\"%d\" font-size=\"13\" font-weight=\"bold\">区县 "
            "<tspan font-weight=\"normal\" fill=\"#5a6372\">district</tspan></text>\n",
            head_h - 8);
    for (int i = 0; i < nrows; i++) {
        const s_district_t *d = &self->districts[i];
        int y = head_h + i * cell_h;
        if (i % 2 == 0)
            fprintf(out, "<rect x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#eef0f3\"/>\n",
                    y, label_w - 4, cell_h);
        fprintf(out, "<text x=\"8\" y=\"%d\" font-size=\"12\"><tspan fill=\"#5a6372\">", y + 15);
        s_esc(out, d->code);
        fputs("</tspan> ", out);
        s_esc(out, d->name_zh);
        fputs("</text>\n", out);
        for (int j = 0; j < ncols; j++) {
            const s_target_t *t = &self->targets[j];
            const s_row_t *r = s_find_row(self, d->code, t->id);
            const s_status_t *st = s_status(r ? r->status : NULL);
            int x = label_w + j * cell_w;
            char actual[48];
            s_actual_human(t, r, actual, sizeof actual);
            fprintf(out, "<g><rect class=\"cell\" data-area=\"");
            s_esc(out, d->code);
            fputs("\" data-target=\"", out);
            s_esc(out, t->id);
            fputs("\" data-status=\"", out);
            s_esc(out, r ? r->status : "no_data");
            fprintf(out, "\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"3\" fill=\"%s\"/>",
                    x + gap / 2, y + gap / 2, cell_w - gap, cell_h - gap, st->fill);
            fprintf(out,
                    "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" "
                    "fill=\"%s\">",
                    x + cell_w / 2, y + 15, st->ink);
            s_esc(out, r ? actual : st->symbol);
            fputs("</text><title>", out);
            s_esc(out, d->name_zh);
            fputs(" ", out);
            s_esc(out, d->code);
            fputs(" · ", out);
            s_esc(out, t->id);
            fputs(" ", out);
            s_esc(out, t->name_zh);
            fprintf(out, ": %s %s", st->zh, st->en);
            if (r) {
                char ref[48], margin[48];
                s_num_human(t->kind, r->reference, ref, sizeof ref);
                s_row_margin_human(t, r, margin, sizeof margin);
                fputs(" (actual ", out);
                s_esc(out, actual);
                fputs(", reference ", out);
                s_esc(out, ref);
                fputs(", margin ", out);
                s_esc(out, margin);
                fputs(")", out);
            }
            fputs("</title></g>\n", out);
        }
    }
    /* Legend. */
    int ly = head_h + nrows * cell_h + 20;
    int lx = 8;
    fprintf(out,
            "<text x=\"%d\" y=\"%d\" font-size=\"12\" font-weight=\"bold\">图例 legend</text>\n",
            lx, ly + 12);
    lx += 90;
    for (size_t k = 0; k < S_NSTATUS; k++) {
        fprintf(out,
                "<rect class=\"legend\" x=\"%d\" y=\"%d\" width=\"18\" height=\"14\" rx=\"3\" "
                "fill=\"%s\"/><text x=\"%d\" y=\"%d\" font-size=\"12\">%s %s</text>\n",
                lx, ly + 1, s_statuses[k].fill, lx + 24, ly + 12, s_statuses[k].zh,
                s_statuses[k].en);
        lx += 150;
    }
    fputs("</svg>\n", out);
}

/* Rounds up to 1, 2, 2.5 or 5 times a power of ten. */
static double s_nice_ceil(double x)
{
    if (x <= 0)
        return 1;
    double p = pow(10.0, floor(log10(x)));
    static const double steps[] = {1, 2, 2.5, 5, 10};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (steps[i] * p >= x - 1e-12)
            return steps[i] * p;
    return 10 * p;
}

/* Values of one indicator by month (index 0..11) of year; NAN when absent. */
static int s_trend_year(const pa_scorecard_t *self, const char *code, int year, double v[12])
{
    int n = 0;
    for (int m = 0; m < 12; m++)
        v[m] = NAN;
    for (size_t i = 0; i < self->npoints; i++) {
        const s_point_t *p = &self->points[i];
        int y, m, d;
        pa_date_to_ymd(p->period_start, &y, &m, &d);
        if (y == year && d == 1 && strcmp(p->indicator_code, code) == 0 && isfinite(p->value)) {
            v[m - 1] = p->value;
            n++;
        }
    }
    return n;
}

static void s_polyline(FILE *out, const double v[12], double (*xf)(int, const double *),
                       double (*yf)(double, const double *), const double *geo, const char *style)
{
    bool pen = false;
    fprintf(out, "<path fill=\"none\" %s d=\"", style);
    for (int m = 0; m < 12; m++) {
        if (!isfinite(v[m])) {
            pen = false;
            continue;
        }
        fprintf(out, "%s%.1f %.1f ", pen ? "L" : "M", xf(m, geo), yf(v[m], geo));
        pen = true;
    }
    fputs("\"/>\n", out);
}

/* geo: left, top, plot width, plot height, lo, hi */
static double s_tx(int month_index, const double *geo)
{
    return geo[0] + geo[2] * month_index / 11.0;
}

static double s_ty(double v, const double *geo)
{
    return geo[1] + geo[3] * (1.0 - (v - geo[4]) / (geo[5] - geo[4]));
}

static void s_html_trend(const pa_scorecard_t *self, FILE *out, const char *code)
{
    const int w = 540, h = 250, left = 58, right = 16, top = 48, bottom = 30;
    int year, month, day;
    pa_date_to_ymd(self->period.start, &year, &month, &day);
    const s_target_t *t = s_find_target(self, code);
    const char *kind = t ? t->kind : "count";
    bool ratio = s_is_ratio(kind);
    double cur[12], prev[12];
    int ncur = s_trend_year(self, code, year, cur);
    int nprev = s_trend_year(self, code, year - 1, prev);
    bool line = t && strcmp(t->rule, "min_ratio") == 0;

    double lo = INFINITY, hi = -INFINITY;
    for (int m = 0; m < 12; m++) {
        if (isfinite(cur[m])) {
            lo = fmin(lo, cur[m]);
            hi = fmax(hi, cur[m]);
        }
        if (isfinite(prev[m])) {
            lo = fmin(lo, prev[m]);
            hi = fmax(hi, prev[m]);
        }
    }
    if (line) {
        lo = fmin(lo, t->threshold);
        hi = fmax(hi, t->threshold);
    }
    if (!isfinite(lo)) {
        lo = 0;
        hi = 1;
    }
    if (ratio) {
        hi = hi <= 1.0 ? 1.0 : hi;
        lo = floor((lo - 0.02) * 20.0) / 20.0;
        if (lo < 0)
            lo = 0;
        if (hi - lo < 0.05)
            lo = hi - 0.05;
    } else {
        lo = 0;
        hi = s_nice_ceil(hi * 1.1);
    }
    double geo[6] = {left, top, w - left - right, h - top - bottom, lo, hi};

    fprintf(out,
            "<svg xmlns=\"" S_SVG_NS "\" class=\"trend\" data-indicator=\"%s\" width=\"%d\" "
            "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" font-family=\"%s\">\n",
            code, w, h, w, h, S_FONT);
    fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", w, h);
    fputs("<text x=\"8\" y=\"18\" font-size=\"14\" font-weight=\"bold\">", out);
    if (t) {
        s_esc(out, t->id);
        fputs(" ", out);
        s_esc(out, t->name_zh);
    } else {
        s_esc(out, code);
    }
    fputs("</text>\n<text x=\"8\" y=\"34\" font-size=\"11\" fill=\"#5a6372\">", out);
    s_esc(out, t ? t->name_en : code);
    fputs(" · 全市月度 city, monthly</text>\n", out);
    /* Grid and y labels. */
    for (int k = 0; k <= 4; k++) {
        double v = lo + (hi - lo) * k / 4.0;
        double y = s_ty(v, geo);
        char label[32];
        if (ratio)
            snprintf(label, sizeof label, "%.0f%%", v * 100.0);
        else
            snprintf(label, sizeof label, "%.4g", v);
        fprintf(out,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e3e6ea\"/>"
                "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\" "
                "fill=\"#5a6372\">%s</text>\n",
                left, y, w - right, y, left - 6, y + 3.5, label);
    }
    for (int m = 0; m < 12; m++)
        fprintf(out,
                "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\" "
                "fill=\"#5a6372\">%d月</text>\n",
                s_tx(m, geo), h - bottom + 14, m + 1);
    if (line) {
        double y = s_ty(t->threshold, geo);
        fprintf(out,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#d64541\" "
                "stroke-dasharray=\"5 3\"/><text x=\"%d\" y=\"%.1f\" font-size=\"10\" "
                "text-anchor=\"end\" fill=\"#d64541\">目标 target %.4g%%</text>\n",
                left, y, w - right, y, w - right, y - 4, t->threshold * 100.0);
    }
    if (ncur == 0 && nprev == 0) {
        fprintf(out,
                "<text x=\"%d\" y=\"%d\" font-size=\"13\" text-anchor=\"middle\" "
                "fill=\"#8a919c\">无数据 · no data</text>\n",
                left + (w - left - right) / 2, top + (h - top - bottom) / 2);
    }
    s_polyline(out, prev, s_tx, s_ty, geo,
               "stroke=\"#9aa3ae\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"");
    s_polyline(out, cur, s_tx, s_ty, geo, "stroke=\"#1f5fa8\" stroke-width=\"2.2\"");
    for (int m = 0; m < 12; m++) {
        if (!isfinite(cur[m]))
            continue;
        char v[48];
        s_num_human(kind, cur[m], v, sizeof v);
        fprintf(out,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#1f5fa8\"><title>%d-%02d: %s"
                "</title></circle>\n",
                s_tx(m, geo), s_ty(cur[m], geo), year, m + 1, v);
    }
    /* Legend of the two years. */
    fprintf(out,
            "<line x1=\"%d\" y1=\"14\" x2=\"%d\" y2=\"14\" stroke=\"#1f5fa8\" "
            "stroke-width=\"2.2\"/><text x=\"%d\" y=\"18\" font-size=\"11\">%d</text>\n"
            "<line x1=\"%d\" y1=\"30\" x2=\"%d\" y2=\"30\" stroke=\"#9aa3ae\" stroke-width=\"1.5\" "
            "stroke-dasharray=\"4 3\"/><text x=\"%d\" y=\"34\" font-size=\"11\">%d</text>\n",
            w - 70, w - 48, w - 44, year, w - 70, w - 48, w - 44, year - 1);
    fputs("</svg>\n", out);
}

static void s_html_key(const pa_scorecard_t *self, FILE *out)
{
    fputs("<table class=\"key\"><thead><tr><th>ID</th><th>指标 indicator</th>"
          "<th>目标 target</th><th>考核层级 judged at</th><th>原文 source</th></tr></thead>"
          "<tbody>\n",
          out);
    for (size_t i = 0; i < self->ntargets; i++) {
        const s_target_t *t = &self->targets[i];
        char zh[96], en[96];
        s_rule_text(t, 'z', zh, sizeof zh);
        s_rule_text(t, 'e', en, sizeof en);
        fputs("<tr><td><b>", out);
        s_esc(out, t->id);
        fputs("</b></td><td>", out);
        s_esc(out, t->name_zh);
        fputs("<br><span class=\"en\">", out);
        s_esc(out, t->name_en);
        fputs("</span></td><td>", out);
        s_esc(out, zh);
        fputs("<br><span class=\"en\">", out);
        s_esc(out, en);
        fputs("</span></td><td>", out);
        s_esc(out, t->level);
        fputs("</td><td>", out);
        s_esc(out, t->quote_zh);
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
}

int pa_scorecard_write_html(const pa_scorecard_t *self, FILE *out, pa_err_t *err)
{
    static const char *const trend_codes[] = {"ws_deaths", "fire_incidents", "event_closure",
                                              "task_completion"};
    char zh[64], range[96];
    s_period_zh(&self->period, zh, sizeof zh);
    s_period_range(&self->period, range, sizeof range);
    const s_district_t *one = self->district && self->ndistricts ? &self->districts[0] : NULL;

    fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          out);
    fprintf(out, "平安重庆目标考核 %s · Safe Chongqing scorecard ", zh);
    s_esc(out, range);
    fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n", s_css);
    fprintf(out,
            "<h1>平安重庆目标考核 %s <span class=\"en\">Safe Chongqing target scorecard</span>"
            "</h1>\n<p class=\"sub\">",
            zh);
    s_esc(out, range);
    if (self->district) {
        fputs(" · ", out);
        s_esc(out, one ? one->name_zh : "");
        fputs(" ", out);
        s_esc(out, one ? one->name_en : "");
        fputs(" (", out);
        s_esc(out, self->district);
        fputs(")", out);
    }
    fputs(" · 来源 source: pingan.v_district_scorecard, pingan.v_trend</p>\n", out);

    const char *area = self->district ? self->district : PA_SCORECARD_CITY;
    fprintf(out, "<h2>%s <span class=\"en\">%s</span></h2>\n",
            self->district ? "区县目标" : "全市目标",
            self->district ? "District targets" : "City targets");
    s_html_cards(self, out, area);

    fputs("<h2>区县 × 目标 <span class=\"en\">District × target</span></h2>\n"
          "<div class=\"panel\">\n",
          out);
    s_html_heatmap(self, out);
    fputs("</div>\n", out);

    fprintf(out,
            "<h2>趋势 <span class=\"en\">Trends, %s and the year before (city, monthly)</span>"
            "</h2>\n<div class=\"trends\">\n",
            zh);
    for (size_t i = 0; i < sizeof trend_codes / sizeof trend_codes[0]; i++) {
        fputs("<div class=\"panel\">\n", out);
        s_html_trend(self, out, trend_codes[i]);
        fputs("</div>\n", out);
    }
    fputs("</div>\n<h2>目标说明 <span class=\"en\">The targets</span></h2>\n", out);
    s_html_key(self, out);
    fputs("<footer>状态 status: ", out);
    for (size_t k = 0; k < S_NSTATUS; k++)
        fprintf(out, "%s%s %s (%s)", k ? " · " : "", s_statuses[k].zh, s_statuses[k].en,
                s_statuses[k].status);
    fputs(". 比率按分子之和除以分母之和计算 · rates are sum(numerator) / sum(denominator). "
          "Generated by pingan-report.</footer>\n</main>\n</body>\n</html>\n",
          out);
    return s_finish(out, err);
}
