/* test_input.c - unit tests for the CSV and JSON report readers: expected
 * reports field by field, identical results for every chunk size, located
 * error messages, and memory bounded by the largest report on a big input.
 * No files, network or database: inputs are strings and memory streams. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* fmemopen, open_memstream */
#endif

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pa_input.h"

/* ---------------------------------------------------------------- helpers */

/* Collects deep copies of every report the reader hands on. */
typedef struct {
    pa_report_t **reports; /* owned copies */
    size_t n;
    size_t cap;
    int stop_rc;       /* returned from the callback once stop_after reports were seen */
    size_t stop_after; /* 0 = never stop */
} s_collect_t;

static int s_collect_cb(void *arg, pa_report_t *report, pa_err_t *err)
{
    s_collect_t *c = arg;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 8;
        c->reports = realloc(c->reports, c->cap * sizeof *c->reports);
        cr_assert_not_null(c->reports);
    }
    pa_report_t *copy = pa_report_new();
    cr_assert_not_null(copy);
    cr_assert_eq(pa_report_copy(copy, report, err), PA_OK);
    c->reports[c->n++] = copy;
    if (c->stop_after && c->n >= c->stop_after)
        return pa_err_set(err, c->stop_rc, "stopped by the test after %zu reports", c->n);
    return PA_OK;
}

static void s_collect_free(s_collect_t *c)
{
    for (size_t i = 0; i < c->n; i++)
        pa_report_destroy(&c->reports[i]);
    free(c->reports);
    memset(c, 0, sizeof *c);
}

/* Feeds text to a new reader with opts (may be NULL) in chunks of chunk
 * bytes (0 = all at once). */
static int s_run_opts(pa_format_t format, const char *source, const pa_input_opts_t *opts,
                      const char *text, size_t len, size_t chunk, s_collect_t *out, pa_err_t *err)
{
    pa_err_clear(err);
    pa_input_t *in = pa_input_new_opts(format, source, opts, s_collect_cb, out, err);
    cr_assert_not_null(in, "pa_input_new: %s", err->msg);
    int rc = PA_OK;
    if (chunk == 0)
        chunk = len ? len : 1;
    for (size_t off = 0; off < len && rc == PA_OK; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        rc = pa_input_feed(in, text + off, n, err);
    }
    if (rc == PA_OK)
        rc = pa_input_finish(in, err);
    pa_input_destroy(&in);
    cr_assert_null(in);
    return rc;
}

static int s_run(pa_format_t format, const char *source, const char *text, size_t len, size_t chunk,
                 s_collect_t *out, pa_err_t *err)
{
    return s_run_opts(format, source, NULL, text, len, chunk, out, err);
}

static bool s_same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

static void s_assert_same_report(const pa_report_t *a, const pa_report_t *b, const char *ctx)
{
    cr_assert_str_eq(a->report_id, b->report_id, "%s", ctx);
    cr_assert_str_eq(a->district, b->district, "%s", ctx);
    cr_assert_eq(a->period.type, b->period.type, "%s", ctx);
    cr_assert_eq(a->period.start, b->period.start, "%s", ctx);
    cr_assert_eq(a->revision, b->revision, "%s", ctx);
    cr_assert_eq(a->submitted_at_ms, b->submitted_at_ms, "%s", ctx);
    cr_assert_str_eq(a->source, b->source, "%s", ctx);
    cr_assert_eq(a->first_line, b->first_line, "%s", ctx);
    cr_assert_eq(a->n_values, b->n_values, "%s", ctx);
    for (size_t i = 0; i < a->n_values; i++) {
        const pa_value_t *x = &a->values[i], *y = &b->values[i];
        cr_assert_str_eq(x->indicator, y->indicator, "%s value %zu", ctx, i);
        cr_assert_str_eq(x->town, y->town, "%s value %zu", ctx, i);
        cr_assert_eq(x->kind, y->kind, "%s value %zu", ctx, i);
        cr_assert(s_same_double(x->count, y->count), "%s value %zu", ctx, i);
        cr_assert(s_same_double(x->numerator, y->numerator), "%s value %zu", ctx, i);
        cr_assert(s_same_double(x->denominator, y->denominator), "%s value %zu", ctx, i);
    }
}

/* Feeding in every chunk size from 1 to the whole length must give exactly
 * the reports and the rc/message of the one-chunk run. */
static void s_assert_chunk_invariant(pa_format_t format, const char *source, const char *text)
{
    size_t len = strlen(text);
    s_collect_t whole = {0};
    pa_err_t werr;
    int wrc = s_run(format, source, text, len, 0, &whole, &werr);
    for (size_t chunk = 1; chunk <= len; chunk++) {
        s_collect_t part = {0};
        pa_err_t perr;
        int prc = s_run(format, source, text, len, chunk, &part, &perr);
        char ctx[64];
        snprintf(ctx, sizeof ctx, "chunk size %zu", chunk);
        cr_assert_eq(prc, wrc, "%s: rc %d vs %d (%s)", ctx, prc, wrc, perr.msg);
        if (wrc != PA_OK)
            cr_assert_str_eq(perr.msg, werr.msg, "%s", ctx);
        cr_assert_eq(part.n, whole.n, "%s", ctx);
        for (size_t i = 0; i < whole.n; i++)
            s_assert_same_report(part.reports[i], whole.reports[i], ctx);
        s_collect_free(&part);
    }
    s_collect_free(&whole);
}

/* ---------------------------------------------------------------- expected reports */

typedef struct {
    const char *indicator;
    const char *town;
    pa_amount_t kind;
    double count;
    double numerator;
    double denominator;
} s_exp_value_t;

typedef struct {
    const char *report_id;
    const char *district;
    pa_period_type_t type;
    const char *start; /* YYYY-MM-DD */
    uint32_t revision;
    size_t first_line;
    size_t n_values;
    s_exp_value_t values[4];
} s_exp_report_t;

static void s_assert_expected(const s_collect_t *got, const char *source, const s_exp_report_t *exp,
                              size_t n_exp)
{
    cr_assert_eq(got->n, n_exp, "got %zu reports, expected %zu", got->n, n_exp);
    for (size_t i = 0; i < n_exp; i++) {
        const pa_report_t *r = got->reports[i];
        const s_exp_report_t *e = &exp[i];
        int32_t start;
        cr_assert_eq(pa_date_parse(e->start, &start, NULL), PA_OK);
        cr_assert_str_eq(r->report_id, e->report_id, "report %zu", i);
        cr_assert_str_eq(r->district, e->district, "report %zu", i);
        cr_assert_eq(r->period.type, e->type, "report %zu", i);
        cr_assert_eq(r->period.start, start, "report %zu", i);
        cr_assert_eq(r->revision, e->revision, "report %zu", i);
        cr_assert_eq(r->submitted_at_ms, 0, "report %zu", i);
        cr_assert_str_eq(r->source, source, "report %zu", i);
        cr_assert_eq(r->first_line, e->first_line, "report %zu: line %zu", i, r->first_line);
        cr_assert_eq(r->n_values, e->n_values, "report %zu", i);
        for (size_t j = 0; j < e->n_values; j++) {
            const pa_value_t *v = &r->values[j];
            const s_exp_value_t *ev = &e->values[j];
            cr_assert_str_eq(v->indicator, ev->indicator, "report %zu value %zu", i, j);
            cr_assert_str_eq(v->town, ev->town, "report %zu value %zu", i, j);
            cr_assert_eq(v->kind, ev->kind, "report %zu value %zu", i, j);
            if (v->kind == PA_AMOUNT_COUNT) {
                cr_assert(s_same_double(v->count, ev->count), "report %zu value %zu: %g", i, j,
                          v->count);
            } else {
                cr_assert(s_same_double(v->numerator, ev->numerator), "report %zu value %zu", i, j);
                cr_assert(s_same_double(v->denominator, ev->denominator), "report %zu value %zu", i,
                          j);
            }
        }
    }
}

/* Every column, blank lines, a revision change, a quoted report id with
 * commas, a quoted id spanning two lines, spaces around a number. */
static const char s_good_csv[] =
    "district,period,revision,report_id,town,indicator,count,numerator,denominator\n"
    "500101,2024-03,1,,500101001,ws_deaths,0,,\n"
    "500101,2024-03,1,,500101002,ws_deaths,1,,\n"
    "500101,2024-03,1,,,event_closure,,190,200\n"
    "\n"
    "500101,2024-03,2,,,vuln_rectified,,1,2\n"
    "500103,2024-Q1,,\"id,with,commas\",,criminal_cases_8,\" 12 \",,\n"
    "500103,2024-Q1,,\"id,with,commas\",500103001,fire_incidents,10,,\n"
    "500112,2024-W09,3,\"two\n"
    "lines\",500112001,ws_deaths,3,,\n"
    ",,,,,,,,\n"
    "500112,2024,1,,,industrial_zones,4,,";

static const s_exp_report_t s_good_csv_reports[] = {
    {"",
     "500101",
     PA_PERIOD_MONTH,
     "2024-03-01",
     1,
     2,
     3,
     {{"ws_deaths", "500101001", PA_AMOUNT_COUNT, 0, 0, 0},
      {"ws_deaths", "500101002", PA_AMOUNT_COUNT, 1, 0, 0},
      {"event_closure", "", PA_AMOUNT_RATIO, 0, 190, 200}}},
    {"",
     "500101",
     PA_PERIOD_MONTH,
     "2024-03-01",
     2,
     6,
     1,
     {{"vuln_rectified", "", PA_AMOUNT_RATIO, 0, 1, 2}}},
    {"id,with,commas",
     "500103",
     PA_PERIOD_QUARTER,
     "2024-01-01",
     1,
     7,
     2,
     {{"criminal_cases_8", "", PA_AMOUNT_COUNT, 12, 0, 0},
      {"fire_incidents", "500103001", PA_AMOUNT_COUNT, 10, 0, 0}}},
    {"two\nlines",
     "500112",
     PA_PERIOD_WEEK,
     "2024-02-26",
     3,
     9,
     1,
     {{"ws_deaths", "500112001", PA_AMOUNT_COUNT, 3, 0, 0}}},
    {"",
     "500112",
     PA_PERIOD_YEAR,
     "2024-01-01",
     1,
     12,
     1,
     {{"industrial_zones", "", PA_AMOUNT_COUNT, 4, 0, 0}}},
};

/* The other period form, columns in another order; an unaligned start is
 * kept as given (the worker judges alignment). */
static const char s_typed_csv[] = "indicator,count,period_start,period_type,district\n"
                                  "ws_deaths,2,2024-03-05,month,500101\n"
                                  "fire_deaths,0,2024-03-05,month,500101\n"
                                  "ws_deaths,1,2024-03-04,week,500102\n";

static const s_exp_report_t s_typed_csv_reports[] = {
    {"",
     "500101",
     PA_PERIOD_MONTH,
     "2024-03-05",
     1,
     2,
     2,
     {{"ws_deaths", "", PA_AMOUNT_COUNT, 2, 0, 0}, {"fire_deaths", "", PA_AMOUNT_COUNT, 0, 0, 0}}},
    {"",
     "500102",
     PA_PERIOD_WEEK,
     "2024-03-04",
     1,
     4,
     1,
     {{"ws_deaths", "", PA_AMOUNT_COUNT, 1, 0, 0}}},
};

static const char s_good_json[] =
    "{\"reports\": [\n"
    "  {\"report_id\": \"r-1\", \"district\": \"500101\", \"period\": \"2024-03\",\n"
    "   \"revision\": 2,\n"
    "   \"values\": [\n"
    "     {\"indicator\": \"ws_deaths\", \"town\": \"500101001\", \"count\": 0},\n"
    "     {\"indicator\": \"event_closure\", \"town\": null, \"numerator\": 190,\n"
    "      \"denominator\": 200},\n"
    "     {\"count\": 100, \"indicator\": \"fire_incidents\"},\n"
    "     {\"indicator\": \"big\", \"numerator\": 9007199254740993, \"denominator\": 3}\n"
    "   ]},\n"
    "  {\"values\": [], \"period_start\": \"2024-03-06\", \"district\": \"500105\",\n"
    "   \"period_type\": \"week\", \"revision\": null, \"report_id\": null}\n"
    "]}\n";

static const s_exp_report_t s_good_json_reports[] = {
    {"r-1",
     "500101",
     PA_PERIOD_MONTH,
     "2024-03-01",
     2,
     2,
     4,
     {{"ws_deaths", "500101001", PA_AMOUNT_COUNT, 0, 0, 0},
      {"event_closure", "", PA_AMOUNT_RATIO, 0, 190, 200},
      {"fire_incidents", "", PA_AMOUNT_COUNT, 100, 0, 0},
      /* strtod on the exact text: the nearest double, 2^53 */
      {"big", "", PA_AMOUNT_RATIO, 0, 9007199254740992.0, 3}}},
    {"", "500105", PA_PERIOD_WEEK, "2024-03-06", 1, 11, 0, {{0}}},
};

static const char s_ndjson[] =
    "{\"district\":\"500101\",\"period\":\"2024-03\",\"values\":[{\"indicator\":\"a\",\"count\":1}]"
    "}\n"
    "{\"district\":\"500102\",\"period\":\"2024\",\"revision\":4,\"values\":[]}\r\n"
    "\n"
    "{\"district\":\"500103\",\"period\":\"2024-03-05\",\"values\":["
    "{\"indicator\":\"b\",\"town\":\"500103001\",\"numerator\":1,\"denominator\":2}]}";

static const s_exp_report_t s_ndjson_reports[] = {
    {"", "500101", PA_PERIOD_MONTH, "2024-03-01", 1, 1, 1, {{"a", "", PA_AMOUNT_COUNT, 1, 0, 0}}},
    {"", "500102", PA_PERIOD_YEAR, "2024-01-01", 4, 2, 0, {{0}}},
    {"",
     "500103",
     PA_PERIOD_DAY,
     "2024-03-05",
     1,
     4,
     1,
     {{"b", "500103001", PA_AMOUNT_RATIO, 0, 1, 2}}},
};

static const char s_array_json[] =
    "[\n"
    " {\"district\":\"500101\",\"period\":\"2024-Q1\",\"values\":[{\"indicator\":\"a\",\"count\":3}"
    "]},\n"
    " {\"district\":\"500229\",\"period\":\"2024-W01\",\"values\":[]}\n"
    "]";

static const s_exp_report_t s_array_json_reports[] = {
    {"", "500101", PA_PERIOD_QUARTER, "2024-01-01", 1, 2, 1, {{"a", "", PA_AMOUNT_COUNT, 3, 0, 0}}},
    {"", "500229", PA_PERIOD_WEEK, "2024-01-01", 1, 3, 0, {{0}}},
};

#define S_N(a) (sizeof(a) / sizeof(a)[0])

/* ---------------------------------------------------------------- good inputs */

Test(input_csv, good_file_yields_expected_reports)
{
    s_collect_t got = {0};
    pa_err_t err;
    int rc = s_run(PA_FORMAT_CSV, "good.csv", s_good_csv, strlen(s_good_csv), 0, &got, &err);
    cr_assert_eq(rc, PA_OK, "%s", err.msg);
    s_assert_expected(&got, "good.csv", s_good_csv_reports, S_N(s_good_csv_reports));
    s_collect_free(&got);
}

Test(input_csv, every_chunk_size_gives_the_same_reports)
{
    s_assert_chunk_invariant(PA_FORMAT_CSV, "good.csv", s_good_csv);
    s_assert_chunk_invariant(PA_FORMAT_CSV, "typed.csv", s_typed_csv);
}

Test(input_csv, period_type_and_start_columns)
{
    s_collect_t got = {0};
    pa_err_t err;
    int rc = s_run(PA_FORMAT_CSV, "typed.csv", s_typed_csv, strlen(s_typed_csv), 0, &got, &err);
    cr_assert_eq(rc, PA_OK, "%s", err.msg);
    s_assert_expected(&got, "typed.csv", s_typed_csv_reports, S_N(s_typed_csv_reports));
    s_collect_free(&got);
}

/* Rewrites "\n" as "\r\n" into a new string (caller frees). */
static char *s_crlf(const char *text)
{
    size_t n = strlen(text), k = 0;
    char *out = malloc(2 * n + 1);
    cr_assert_not_null(out);
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\n')
            out[k++] = '\r';
        out[k++] = text[i];
    }
    out[k] = '\0';
    return out;
}

Test(input_csv, bom_and_crlf_give_the_same_reports)
{
    char *crlf = s_crlf(s_good_csv);
    size_t n = strlen(crlf);
    char *bom = malloc(n + 4);
    cr_assert_not_null(bom);
    memcpy(bom, "\xEF\xBB\xBF", 3);
    memcpy(bom + 3, crlf, n + 1);

    s_collect_t got = {0};
    pa_err_t err;
    cr_assert_eq(s_run(PA_FORMAT_CSV, "good.csv", bom, n + 3, 0, &got, &err), PA_OK, "%s", err.msg);
    /* The quoted "two\nlines" id keeps its CR: quoted fields are verbatim. */
    cr_assert_eq(got.n, S_N(s_good_csv_reports));
    cr_assert_str_eq(got.reports[3]->report_id, "two\r\nlines");
    strcpy(got.reports[3]->report_id, "two\nlines");
    s_assert_expected(&got, "good.csv", s_good_csv_reports, S_N(s_good_csv_reports));
    s_collect_free(&got);

    s_assert_chunk_invariant(PA_FORMAT_CSV, "good.csv", bom);
    free(bom);
    free(crlf);
}

Test(input_csv, bom_alone_or_partial)
{
    s_collect_t got = {0};
    pa_err_t err;
    /* A BOM split across chunks is still stripped. */
    const char text[] = "\xEF\xBB\xBF"
                        "district,period,indicator,count\n500101,2024,x,1\n";
    cr_assert_eq(s_run(PA_FORMAT_CSV, "b.csv", text, strlen(text), 1, &got, &err), PA_OK, "%s",
                 err.msg);
    cr_assert_eq(got.n, 1);
    s_collect_free(&got);
    /* Two bytes of a BOM and nothing else: not a header. */
    cr_assert_eq(s_run(PA_FORMAT_CSV, "b.csv", "\xEF\xBB", 2, 1, &got, &err), PA_EINVAL);
    s_collect_free(&got);
}

Test(input_json, wrapper_yields_expected_reports)
{
    s_collect_t got = {0};
    pa_err_t err;
    int rc = s_run(PA_FORMAT_JSON, "good.json", s_good_json, strlen(s_good_json), 0, &got, &err);
    cr_assert_eq(rc, PA_OK, "%s", err.msg);
    s_assert_expected(&got, "good.json", s_good_json_reports, S_N(s_good_json_reports));
    s_collect_free(&got);
}

Test(input_json, ndjson_stream)
{
    s_collect_t got = {0};
    pa_err_t err;
    int rc = s_run(PA_FORMAT_JSON, "s.ndjson", s_ndjson, strlen(s_ndjson), 0, &got, &err);
    cr_assert_eq(rc, PA_OK, "%s", err.msg);
    s_assert_expected(&got, "s.ndjson", s_ndjson_reports, S_N(s_ndjson_reports));
    s_collect_free(&got);
}

Test(input_json, top_level_array)
{
    s_collect_t got = {0};
    pa_err_t err;
    int rc = s_run(PA_FORMAT_JSON, "a.json", s_array_json, strlen(s_array_json), 0, &got, &err);
    cr_assert_eq(rc, PA_OK, "%s", err.msg);
    s_assert_expected(&got, "a.json", s_array_json_reports, S_N(s_array_json_reports));
    s_collect_free(&got);
}

Test(input_json, every_chunk_size_gives_the_same_reports)
{
    s_assert_chunk_invariant(PA_FORMAT_JSON, "good.json", s_good_json);
    s_assert_chunk_invariant(PA_FORMAT_JSON, "s.ndjson", s_ndjson);
    s_assert_chunk_invariant(PA_FORMAT_JSON, "a.json", s_array_json);
}

Test(input_json, bom_and_empty_stream)
{
    char text[sizeof s_array_json + 3];
    memcpy(text, "\xEF\xBB\xBF", 3);
    memcpy(text + 3, s_array_json, sizeof s_array_json);
    s_collect_t got = {0};
    pa_err_t err;
    cr_assert_eq(s_run(PA_FORMAT_JSON, "a.json", text, strlen(text), 0, &got, &err), PA_OK, "%s",
                 err.msg);
    s_assert_expected(&got, "a.json", s_array_json_reports, S_N(s_array_json_reports));
    s_collect_free(&got);
    /* An NDJSON stream with no lines has no reports: the wrong file. */
    cr_assert_eq(s_run(PA_FORMAT_JSON, "e.ndjson", " \n", 2, 0, &got, &err), PA_EINVAL);
    cr_assert_str_eq(err.msg, "e.ndjson: no reports: the input is empty");
    cr_assert_eq(got.n, 0);
    s_collect_free(&got);
}

/* Each report reaches the callback as soon as it is complete, before the
 * rest of the input has been fed. */
Test(input, reports_are_streamed)
{
    s_collect_t got = {0};
    pa_err_t err;
    pa_input_t *in = pa_input_new(PA_FORMAT_JSON, "s.ndjson", s_collect_cb, &got, &err);
    cr_assert_not_null(in);
    const char *second = strstr(s_ndjson, "{\"district\":\"500102\"");
    cr_assert_eq(pa_input_feed(in, s_ndjson, (size_t)(second - s_ndjson), &err), PA_OK);
    cr_assert_eq(got.n, 1);
    pa_input_destroy(&in);
    s_collect_free(&got);

    in = pa_input_new(PA_FORMAT_CSV, "good.csv", s_collect_cb, &got, &err);
    cr_assert_not_null(in);
    const char *rev2 = strstr(s_good_csv, "500101,2024-03,2");
    /* The first report ends when a row with another key is complete. */
    const char *after = strchr(rev2, '\n') + 1;
    cr_assert_eq(pa_input_feed(in, s_good_csv, (size_t)(rev2 - s_good_csv), &err), PA_OK);
    cr_assert_eq(got.n, 0);
    cr_assert_eq(pa_input_feed(in, rev2, (size_t)(after - rev2), &err), PA_OK);
    cr_assert_eq(got.n, 1);
    pa_input_destroy(&in); /* without finish: no leak, no further reports */
    cr_assert_eq(got.n, 1);
    s_collect_free(&got);
}

/* ---------------------------------------------------------------- errors */

typedef struct {
    const char *name;
    pa_format_t format;
    const char *text;
    const char *want[3]; /* substrings of the message; NULL ends the list */
} s_error_case_t;

#define S_CSV_HEAD "district,period,town,indicator,count,numerator,denominator\n"
#define S_CSV_ROW  "500101,2024-03,500101001,ws_deaths,0,,\n"
#define S_JSON_R0  "{\"district\":\"500101\",\"period\":\"2024-03\",\"values\":[]}"

static const s_error_case_t s_error_cases[] = {
    /* CSV header */
    {"unknown column",
     PA_FORMAT_CSV,
     "district,period,indicator,cuont\n",
     {"t.in:1:4: cuont: unknown column (the columns are district, period, period_type, "
      "period_start, revision, report_id, town, indicator, count, numerator, denominator; "
      "--ignore-columns skips others)"}},
    {"duplicate column",
     PA_FORMAT_CSV,
     "district,period,indicator,count,count\n",
     {"t.in:1:5: count: duplicate column (also column 4)"}},
    {"missing district column",
     PA_FORMAT_CSV,
     "\n\nperiod,indicator,count\n",
     {"t.in:3: district: missing column"}},
    {"missing indicator column",
     PA_FORMAT_CSV,
     "district,period,count\n",
     {"t.in:1: indicator: missing column"}},
    {"missing period column",
     PA_FORMAT_CSV,
     "district,indicator,count\n",
     {"t.in:1: period: missing column"}},
    {"period_start without type",
     PA_FORMAT_CSV,
     "district,period_start,indicator,count\n",
     {"t.in:1: period_type: missing column"}},
    {"period with period_type",
     PA_FORMAT_CSV,
     "district,period,period_type,indicator,count\n",
     {"t.in:1:3: period_type: cannot be given with column period"}},
    {"missing amount columns",
     PA_FORMAT_CSV,
     "district,period,indicator\n",
     {"t.in:1: count: missing column"}},
    {"numerator without denominator column",
     PA_FORMAT_CSV,
     "district,period,indicator,numerator\n",
     {"t.in:1: denominator: missing column"}},
    {"empty column name",
     PA_FORMAT_CSV,
     "district,,period,indicator,count\n",
     {"t.in:1:2: column 2: empty column name"}},
    {"empty input", PA_FORMAT_CSV, "", {"t.in: no reports: the file is empty"}},
    /* CSV rows */
    {"bad number",
     PA_FORMAT_CSV,
     S_CSV_HEAD S_CSV_ROW "500101,2024-03,500101002,ws_deaths,1x,,\n",
     {"t.in:3:5: count: '1x' is not a number"}},
    /* A CR ends the row that began on line 2 and spans to line 3; the next
     * row starts right after it, on line 3 (fuzz/regressions/input/
     * cr-after-multiline-row-csv: the line once depended on chunking). */
    {"row after a CR that ends a row spanning lines",
     PA_FORMAT_CSV,
     S_CSV_HEAD
     "500101,2024-03,\"500101\n001\",ws_deaths,0,,\r500101,2024-03,500101002,ws_deaths,1x,,\n",
     {"t.in:3:5: count: '1x' is not a number"}},
    {"bad numerator",
     PA_FORMAT_CSV,
     S_CSV_HEAD "500101,2024-03,,event_closure,,1 9,200\n",
     {"t.in:2:6: numerator: '1 9' is not a number"}},
    {"both count and ratio",
     PA_FORMAT_CSV,
     S_CSV_HEAD S_CSV_ROW S_CSV_ROW "500101,2024-03,,x,1,1,2\n",
     {"t.in:4:5: count: both"}},
    {"neither count nor ratio",
     PA_FORMAT_CSV,
     S_CSV_HEAD "500101,2024-03,,x,,,\n",
     {"t.in:2:5: count: neither"}},
    {"numerator only",
     PA_FORMAT_CSV,
     S_CSV_HEAD "500101,2024-03,,x,,1,\n",
     {"t.in:2:7: denominator: missing"}},
    {"denominator only",
     PA_FORMAT_CSV,
     S_CSV_HEAD "500101,2024-03,,x,,,2\n",
     {"t.in:2:6: numerator: missing"}},
    {"bad period",
     PA_FORMAT_CSV,
     S_CSV_HEAD "500101,2024-13,,x,1,,\n",
     {"t.in:2:2: period: '2024-13'"}},
    {"missing period", PA_FORMAT_CSV, S_CSV_HEAD "500101,,,x,1,,\n", {"t.in:2:2: period: missing"}},
    {"bad period_type",
     PA_FORMAT_CSV,
     "district,period_type,period_start,indicator,count\n500101,monthly,2024-03-01,x,1\n",
     {"t.in:2:2: period_type: 'monthly'"}},
    {"bad period_start",
     PA_FORMAT_CSV,
     "district,period_type,period_start,indicator,count\n500101,month,2024-02-30,x,1\n",
     {"t.in:2:3: period_start: '2024-02-30'"}},
    {"bad revision",
     PA_FORMAT_CSV,
     "district,period,revision,indicator,count\n500101,2024,0,x,1\n",
     {"t.in:2:3: revision: '0' is not a positive integer"}},
    {"missing district",
     PA_FORMAT_CSV,
     S_CSV_HEAD ",2024-03,,x,1,,\n",
     {"t.in:2:1: district: missing"}},
    {"missing indicator",
     PA_FORMAT_CSV,
     S_CSV_HEAD "500101,2024-03,,,1,,\n",
     {"t.in:2:4: indicator: missing"}},
    {"district too long",
     PA_FORMAT_CSV,
     S_CSV_HEAD "50010111,2024-03,,x,1,,\n",
     {"t.in:2:1: district: '50010111' is not a district code (6 digits, e.g. 500108)"}},
    {"town too long",
     PA_FORMAT_CSV,
     S_CSV_HEAD "500101,2024-03,500101001001,x,1,,\n",
     {"t.in:2:3: town: '500101001001' is not a town code (9 digits, e.g. 500108001)"}},
    {"indicator too long",
     PA_FORMAT_CSV,
     S_CSV_HEAD "500101,2024-03,,a_very_long_indicator_name_that_is_over_40,1,,\n",
     {"t.in:2:4: indicator:", "longer than 39 characters"}},
    {"report_id too long",
     PA_FORMAT_CSV,
     "district,period,report_id,indicator,count\n500101,2024,"
     "0123456789012345678901234567890123456789012345678901234567890123456789,x,1\n",
     {"t.in:2:3: report_id:", "longer than 64 characters"}},
    {"truncated quote",
     PA_FORMAT_CSV,
     S_CSV_HEAD S_CSV_ROW "500101,2024-03,\"500101002,ws_deaths,1,,\n",
     {"t.in:3:3: town: quoted field not closed"}},
    {"misplaced quote",
     PA_FORMAT_CSV,
     S_CSV_HEAD "500101,2024-03,50\"0101,x,1,,\n",
     {"t.in:2:3: town: misplaced quote"}},
    {"extra field",
     PA_FORMAT_CSV,
     S_CSV_HEAD "500101,2024-03,,x,1,,,9\n",
     {"t.in:2:8: row: extra field (the header has 7 columns; a quoted number with a "
      "thousands separator, \"1,234\", is one field, 1,234 is two)"}},
    {"missing field",
     PA_FORMAT_CSV,
     S_CSV_HEAD "500101,2024-03,,x,1\n",
     {"t.in:2:6: numerator: missing field"}},
    {"error after a multi-line row",
     PA_FORMAT_CSV,
     S_CSV_HEAD "500101,2024-03,\"5001\n01001\",x,1,,\n500101,2024-03,,x,z,,\n",
     {"t.in:4:5: count: 'z'"}},
    {"error in a multi-line row",
     PA_FORMAT_CSV,
     S_CSV_HEAD "500101,2024-03,\"5001\n01001\",x,z,,\n",
     {"t.in:2:5: count: 'z'"}},
    /* JSON */
    {"unknown key",
     PA_FORMAT_JSON,
     "{\"reports\":[" S_JSON_R0
     ",\n{\"district\":\"500101\",\"period\":\"2024-03\",\"values\":[\n{\"indicator\":\"a\","
     "\"count\":1},\n{\"indicator\":\"a\",\"cuont\":1}]}]}",
     {"t.in:4: reports[1].values[1].cuont: unknown key"}},
    {"unknown report key",
     PA_FORMAT_JSON,
     "[" S_JSON_R0 ",\n{\"district\":\"500101\",\"perod\":\"2024-03\"}]",
     {"t.in:2: [1].perod: unknown key"}},
    {"unknown wrapper key",
     PA_FORMAT_JSON,
     "{\"reports\":[],\n\"extra\":1}",
     {"t.in:2: extra: unknown key"}},
    {"duplicate key",
     PA_FORMAT_JSON,
     "{\"district\":\"500101\",\"district\":\"500102\"}",
     {"t.in:1: [0].district: duplicate key"}},
    {"wrong type count",
     PA_FORMAT_JSON,
     "{\"reports\":[{\"district\":\"500101\",\"period\":\"2024-03\",\"values\":[{\"indicator\":"
     "\"a\",\n\"count\":\"1\"}]}]}",
     {"t.in:2: reports[0].values[0].count: expected a number, got a string"}},
    {"wrong type district",
     PA_FORMAT_JSON,
     "{\"district\":500101}",
     {"t.in:1: [0].district: expected a string, got a number"}},
    {"wrong type values",
     PA_FORMAT_JSON,
     "{\"district\":\"500101\",\"values\":{}}",
     {"[0].values: expected an array, got an object"}},
    {"wrong type town",
     PA_FORMAT_JSON,
     "[{\"values\":[{\"town\":[]}]}]",
     {"t.in:1: [0].values[0].town: expected a string or null, got an array"}},
    {"wrong type revision",
     PA_FORMAT_JSON,
     "{\"revision\":\"2\"}",
     {"[0].revision: expected a number, got a string"}},
    {"fractional revision",
     PA_FORMAT_JSON,
     "{\"revision\":1.5}",
     {"[0].revision: '1.5' is not a positive integer"}},
    {"boolean count",
     PA_FORMAT_JSON,
     "[{\"values\":[{\"count\":true}]}]",
     {"[0].values[0].count: expected a number, got a boolean"}},
    {"scalar report",
     PA_FORMAT_JSON,
     "[" S_JSON_R0 ",\n 5]",
     {"t.in:2: [1]: expected a report object, got a number"}},
    {"scalar at top", PA_FORMAT_JSON, "\"x\"", {"t.in:1: top level: expected"}},
    {"reports not an array",
     PA_FORMAT_JSON,
     "{\"reports\":{}}",
     {"t.in:1: reports: expected an array, got an object"}},
    {"truncated json",
     PA_FORMAT_JSON,
     "{\"reports\":[" S_JSON_R0 ",\n{\"district\":\"500101\",\"period\":\"2024-03\",\"values\":[\n{"
     "\"indicator\":\"a\",\"count\":1",
     {"t.in:3: reports[1].values[0]: truncated"}},
    {"truncated ndjson",
     PA_FORMAT_JSON,
     S_JSON_R0 "\n{\"district\":",
     {"t.in:2: [1].district: truncated"}},
    {"syntax error",
     PA_FORMAT_JSON,
     S_JSON_R0 "\n\n{\"district\" \"500101\"}",
     {"t.in:3: [1]", "parse error"}},
    {"ndjson report error",
     PA_FORMAT_JSON,
     S_JSON_R0 "\n" S_JSON_R0 "\n{\"period\":\"2024-03\",\"values\":[]}\n",
     {"t.in:3: [2].district: missing"}},
    {"array report error",
     PA_FORMAT_JSON,
     "[\n" S_JSON_R0 ",\n{\"district\":\"500101\",\n\"period\":\"2024-13\"}]",
     {"t.in:4: [1].period: '2024-13'"}},
    {"missing values",
     PA_FORMAT_JSON,
     "{\"district\":\"500101\",\"period\":\"2024\"}",
     {"[0].values: missing"}},
    {"period and period_type",
     PA_FORMAT_JSON,
     "{\"district\":\"500101\",\"period\":\"2024\",\"period_type\":\"year\",\"values\":[]}",
     {"[0].period_type: cannot be given with period"}},
    {"period_type without start",
     PA_FORMAT_JSON,
     "{\"district\":\"500101\",\"period_type\":\"year\",\"values\":[]}",
     {"[0].period_start: missing"}},
    {"json both count and ratio",
     PA_FORMAT_JSON,
     "[{\"values\":[{\"indicator\":\"a\",\"count\":1,\"numerator\":1,\"denominator\":2}]}]",
     {"[0].values[0].count: both"}},
    {"json neither count nor ratio",
     PA_FORMAT_JSON,
     "[{\"values\":[{\"indicator\":\"a\",\"count\":null}]}]",
     {"[0].values[0].count: neither"}},
    {"json missing indicator",
     PA_FORMAT_JSON,
     "[{\"values\":[{\"count\":1}]}]",
     {"[0].values[0].indicator: missing"}},
    {"json town too long",
     PA_FORMAT_JSON,
     "[{\"values\":[{\"town\":\"500101001001\"}]}]",
     {"[0].values[0].town: '500101001001' is not a town code (9 digits, e.g. 500108001)"}},
    {"json NUL in string",
     PA_FORMAT_JSON,
     "[{\"district\":\"50\\u00001\"}]",
     {"[0].district: contains a NUL"}},
    {"empty top-level object", PA_FORMAT_JSON, "{}", {"[0].district: missing"}},
};

Test(input, errors_are_located_and_chunk_independent)
{
    for (size_t i = 0; i < S_N(s_error_cases); i++) {
        const s_error_case_t *c = &s_error_cases[i];
        s_collect_t got = {0};
        pa_err_t err;
        int rc = s_run(c->format, "t.in", c->text, strlen(c->text), 0, &got, &err);
        cr_assert_eq(rc, PA_EINVAL, "%s: rc %d (%s)", c->name, rc, err.msg);
        cr_assert_eq(err.code, PA_EINVAL, "%s", c->name);
        for (size_t k = 0; k < S_N(c->want) && c->want[k]; k++)
            cr_assert_not_null(strstr(err.msg, c->want[k]), "%s: '%s' lacks '%s'", c->name, err.msg,
                               c->want[k]);
        s_collect_free(&got);
        s_assert_chunk_invariant(c->format, "t.in", c->text);
    }
}

Test(input, error_lines_are_the_same_with_crlf)
{
    const char text[] = S_CSV_HEAD "\n" S_CSV_ROW "500101,2024-03,,x,1x,,\n";
    char *crlf = s_crlf(text);
    s_collect_t got = {0};
    pa_err_t err;
    cr_assert_eq(s_run(PA_FORMAT_CSV, "c.csv", crlf, strlen(crlf), 0, &got, &err), PA_EINVAL);
    cr_assert_str_eq(err.msg, "c.csv:4:5: count: '1x' is not a number");
    /* The report before the bad row's own report is not handed on. */
    cr_assert_eq(got.n, 0);
    s_collect_free(&got);
    free(crlf);
}

Test(input, errors_are_sticky)
{
    s_collect_t got = {0};
    pa_err_t err;
    pa_input_t *in = pa_input_new(PA_FORMAT_CSV, "s.csv", s_collect_cb, &got, &err);
    cr_assert_not_null(in);
    const char bad[] = "district,period,indicator,cuont\n";
    cr_assert_eq(pa_input_feed(in, bad, strlen(bad), &err), PA_EINVAL);
    char first[PA_ERR_MSG_SIZE];
    strcpy(first, err.msg);
    pa_err_clear(&err);
    cr_assert_eq(pa_input_feed(in, "x\n", 2, &err), PA_EINVAL);
    cr_assert_str_eq(err.msg, first);
    cr_assert_eq(pa_input_finish(in, NULL), PA_EINVAL);
    pa_input_destroy(&in);
    s_collect_free(&got);
}

Test(input, callback_code_stops_the_reader)
{
    const struct {
        pa_format_t format;
        const char *text;
    } inputs[] = {
        {PA_FORMAT_CSV, s_good_csv}, {PA_FORMAT_JSON, s_good_json}, {PA_FORMAT_JSON, s_ndjson}};
    for (size_t i = 0; i < S_N(inputs); i++) {
        s_collect_t got = {.stop_after = 1, .stop_rc = PA_EREJECT};
        pa_err_t err;
        int rc =
            s_run(inputs[i].format, "cb", inputs[i].text, strlen(inputs[i].text), 0, &got, &err);
        cr_assert_eq(rc, PA_EREJECT, "input %zu: %d", i, rc);
        cr_assert_eq(err.code, PA_EREJECT);
        cr_assert_str_eq(err.msg, "stopped by the test after 1 reports");
        cr_assert_eq(got.n, 1);
        s_collect_free(&got);
    }
}

/* A runaway quoted field or JSON string is refused once it passes the token
 * cap, instead of growing the parser's buffer with the file. */
Test(input, runaway_token_is_refused, .timeout = 60)
{
    const size_t n = 3 * 1024 * 1024;
    char *text = malloc(n + 1);
    cr_assert_not_null(text);
    const char head[] = "district,period,indicator,count\n500101,2024,\"";
    memcpy(text, head, strlen(head));
    for (size_t i = strlen(head); i < n; i++)
        text[i] = i % 100 == 0 ? '\n' : 'a';
    text[n] = '\0';
    s_collect_t got = {0};
    pa_err_t err;
    cr_assert_eq(s_run(PA_FORMAT_CSV, "r.csv", text, n, 65536, &got, &err), PA_EINVAL);
    cr_assert_not_null(strstr(err.msg, "indicator: field longer than"), "%s", err.msg);

    const char jhead[] = "[{\"district\":\"";
    memcpy(text, jhead, strlen(jhead));
    memset(text + strlen(jhead), 'a', n - strlen(jhead));
    cr_assert_eq(s_run(PA_FORMAT_JSON, "r.json", text, n, 65536, &got, &err), PA_EINVAL);
    cr_assert_not_null(strstr(err.msg, "r.json:1: [0].district: no json token ends within"), "%s",
                       err.msg);
    cr_assert_eq(got.n, 0);
    free(text);
}

/* ---------------------------------------------------------------- big input */

typedef struct {
    size_t n_reports;    /* reports seen */
    size_t n_rows;       /* values seen */
    size_t largest;      /* most values in one report so far */
    const size_t *sizes; /* expected values per report */
    size_t n_sizes;
} s_big_t;

static int s_big_cb(void *arg, pa_report_t *r, pa_err_t *err)
{
    (void)err;
    s_big_t *b = arg;
    cr_assert_lt(b->n_reports, b->n_sizes);
    cr_assert_eq(r->n_values, b->sizes[b->n_reports], "report %zu", b->n_reports);
    if (r->n_values > b->largest)
        b->largest = r->n_values;
    /* The reader reuses one value buffer: it never holds more than the
     * largest report so far needs (doubling from 32). */
    size_t bound = b->largest * 2 > 32 ? b->largest * 2 : 32;
    cr_assert_leq(r->cap_values, bound, "cap %zu, largest %zu", r->cap_values, b->largest);
    char district[PA_DISTRICT_SIZE];
    snprintf(district, sizeof district, "%06zu", 500000 + b->n_reports % 1000);
    cr_assert_str_eq(r->district, district);
    b->n_reports++;
    b->n_rows += r->n_values;
    return PA_OK;
}

Test(input_csv, big_file_is_streamed_with_bounded_memory, .timeout = 120)
{
    enum { N_ROWS = 200000 };
    size_t *sizes = calloc(N_ROWS, sizeof *sizes);
    cr_assert_not_null(sizes);
    char *text = NULL;
    size_t len = 0;
    FILE *w = open_memstream(&text, &len);
    cr_assert_not_null(w);
    fprintf(w, "district,period,revision,town,indicator,count,numerator,denominator\n");
    size_t rows = 0, n_sizes = 0;
    for (size_t k = 0; rows < N_ROWS; k++) {
        /* Sizes from 1 to 997 in a scrambled order, the largest early. */
        size_t size = k == 3 ? 997 : 1 + (k * 389) % 600;
        if (size > N_ROWS - rows)
            size = N_ROWS - rows;
        sizes[n_sizes++] = size;
        /* Consecutive reports differ in district (and revision, every so often). */
        for (size_t j = 0; j < size; j++, rows++) {
            if (j % 2)
                fprintf(w, "%06zu,2024-03,%zu,%06zu%03zu,event_closure,,%zu,%zu\n",
                        500000 + k % 1000, 1 + k / 1000, 500000 + k % 1000, j % 28 + 1, j, j + 1);
            else
                fprintf(w, "%06zu,2024-03,%zu,,ws_deaths,%zu,,\n", 500000 + k % 1000, 1 + k / 1000,
                        j % 3);
        }
    }
    cr_assert_eq(fclose(w), 0);

    FILE *r = fmemopen(text, len, "r");
    cr_assert_not_null(r);
    s_big_t big = {.sizes = sizes, .n_sizes = n_sizes};
    pa_err_t err;
    int rc = pa_input_read_file(r, PA_FORMAT_AUTO, "big.csv", s_big_cb, &big, &err);
    cr_assert_eq(rc, PA_OK, "%s", err.msg);
    cr_assert_eq(big.n_reports, n_sizes);
    cr_assert_eq(big.n_rows, N_ROWS);
    cr_assert_eq(big.largest, 997);
    fclose(r);
    free(text);
    free(sizes);
}

/* ---------------------------------------------------------------- files and formats */

Test(input, read_file_picks_the_format_from_the_name)
{
    FILE *f = fmemopen((void *)s_good_json, strlen(s_good_json), "r");
    cr_assert_not_null(f);
    s_collect_t got = {0};
    pa_err_t err;
    cr_assert_eq(pa_input_read_file(f, PA_FORMAT_AUTO, "dir/March.JSON", s_collect_cb, &got, &err),
                 PA_OK, "%s", err.msg);
    s_assert_expected(&got, "dir/March.JSON", s_good_json_reports, S_N(s_good_json_reports));
    s_collect_free(&got);
    fclose(f);

    /* stdin has no name to go by */
    f = fmemopen((void *)s_good_csv, strlen(s_good_csv), "r");
    cr_assert_not_null(f);
    cr_assert_eq(pa_input_read_file(f, PA_FORMAT_AUTO, "-", s_collect_cb, &got, &err), PA_EINVAL);
    cr_assert_not_null(strstr(err.msg, "csv or json"), "%s", err.msg);
    cr_assert_eq(got.n, 0);
    cr_assert_eq(pa_input_read_file(f, PA_FORMAT_CSV, "-", s_collect_cb, &got, &err), PA_OK, "%s",
                 err.msg);
    cr_assert_eq(got.n, S_N(s_good_csv_reports));
    cr_assert_str_eq(got.reports[0]->source, "-");
    s_collect_free(&got);
    fclose(f);
}

Test(input, format_helpers)
{
    cr_assert_eq(pa_input_format_from_name("a.csv"), PA_FORMAT_CSV);
    cr_assert_eq(pa_input_format_from_name("A.CSV"), PA_FORMAT_CSV);
    cr_assert_eq(pa_input_format_from_name("x/a.json"), PA_FORMAT_JSON);
    cr_assert_eq(pa_input_format_from_name("a.ndjson"), PA_FORMAT_JSON);
    cr_assert_eq(pa_input_format_from_name("a.txt"), PA_FORMAT_AUTO);
    cr_assert_eq(pa_input_format_from_name("csv"), PA_FORMAT_AUTO);
    cr_assert_eq(pa_input_format_from_name("-"), PA_FORMAT_AUTO);
    cr_assert_eq(pa_input_format_from_name(NULL), PA_FORMAT_AUTO);
    pa_format_t f = PA_FORMAT_AUTO;
    cr_assert_eq(pa_input_format_parse("csv", &f), PA_OK);
    cr_assert_eq(f, PA_FORMAT_CSV);
    cr_assert_eq(pa_input_format_parse("json", &f), PA_OK);
    cr_assert_eq(f, PA_FORMAT_JSON);
    cr_assert_eq(pa_input_format_parse("ndjson", &f), PA_OK);
    cr_assert_eq(f, PA_FORMAT_JSON);
    cr_assert_eq(pa_input_format_parse("CSV", &f), PA_EINVAL);
    cr_assert_eq(pa_input_format_parse("xml", &f), PA_EINVAL);
    cr_assert_eq(pa_input_format_parse(NULL, &f), PA_EINVAL);

    pa_err_t err;
    cr_assert_null(pa_input_new(PA_FORMAT_AUTO, "a.xml", s_collect_cb, NULL, &err));
    cr_assert_eq(err.code, PA_EINVAL);
    pa_input_destroy(NULL);
    pa_input_t *none = NULL;
    pa_input_destroy(&none);
}

/* ---------------------------------------------------------------- what people get wrong (issue 11)
 */

typedef struct {
    pa_format_t format;
    const char *text;
    const char *msg; /* the whole message, exactly */
} s_exact_t;

#define S_CNT_HEAD "district,period,indicator,count\n"
#define S_RAT_HEAD "district,period,indicator,count,numerator,denominator\n"
#define S_JV(v)                                                                                    \
    "[{\"district\":\"500101\",\"period\":\"2024-03\",\"values\":[\n{\"indicator\":\"x\"," v "}]}" \
    "]"

static const s_exact_t s_exact_cases[] = {
    /* Numbers follow JSON's grammar in CSV too. */
    {PA_FORMAT_CSV, S_CNT_HEAD "500101,2024-03,x,0x10\n",
     "t.csv:2:4: count: '0x10' is not a number (decimal digits only)"},
    {PA_FORMAT_CSV, S_CNT_HEAD "500101,2024-03,x,inf\n", "t.csv:2:4: count: 'inf' is not a number"},
    {PA_FORMAT_CSV, S_CNT_HEAD "500101,2024-03,x,nan\n", "t.csv:2:4: count: 'nan' is not a number"},
    {PA_FORMAT_CSV, S_CNT_HEAD "500101,2024-03,x,+1\n",
     "t.csv:2:4: count: '+1' is not a number (no leading +)"},
    {PA_FORMAT_CSV, S_CNT_HEAD "500101,2024-03,x,.5\n",
     "t.csv:2:4: count: '.5' is not a number (write 0.5, not .5)"},
    {PA_FORMAT_CSV, S_CNT_HEAD "500101,2024-03,x,1.\n", "t.csv:2:4: count: '1.' is not a number"},
    {PA_FORMAT_CSV, S_CNT_HEAD "500101,2024-03,x,012\n",
     "t.csv:2:4: count: '012' is not a number (no leading zeros)"},
    {PA_FORMAT_CSV, S_CNT_HEAD "500101,2024-03,x,\"1,234\"\n",
     "t.csv:2:4: count: '1,234' is not a number (no thousands separators: write 1234, not "
     "1,234)"},
    {PA_FORMAT_CSV, S_CNT_HEAD "500101,2024-03,x,1e400\n",
     "t.csv:2:4: count: '1e400' is too large"},
    {PA_FORMAT_CSV, S_CNT_HEAD "500101,2024-03,x,1e-400\n",
     "t.csv:2:4: count: '1e-400' is too small (it underflows to 0)"},
    {PA_FORMAT_CSV, S_RAT_HEAD "500101,2024-03,x,,97.9%,100\n",
     "t.csv:2:5: numerator: '97.9%' is not a number (no percent signs: rates are sent as numerator "
     "and denominator counts, e.g. 188,192)"},
    {PA_FORMAT_JSON, S_JV("\"count\":1e-400"),
     "t.json:2: [0].values[0].count: '1e-400' is too small (it underflows to 0)"},
    /* Counts are whole numbers, written as such. */
    {PA_FORMAT_CSV, S_RAT_HEAD "500101,2024-03,ws_deaths,1.0,,\n",
     "t.csv:2:4: count: '1.0' is not written as a whole number (write 1)"},
    {PA_FORMAT_CSV, S_RAT_HEAD "500101,2024-03,ws_deaths,1.5,,\n",
     "t.csv:2:4: count: '1.5' is not a whole number (counts are whole numbers)"},
    {PA_FORMAT_CSV, S_RAT_HEAD "500101,2024-03,event_closure,,97.9,100\n",
     "t.csv:2:5: numerator: '97.9' is not a whole number (it looks like a percentage: rates are "
     "sent as numerator and denominator counts, e.g. 188,192)"},
    {PA_FORMAT_CSV, S_RAT_HEAD "500101,2024-03,event_closure,,0.979,1\n",
     "t.csv:2:5: numerator: '0.979' is not a whole number (it looks like a share: rates are sent "
     "as numerator and denominator counts, e.g. 188,192)"},
    {PA_FORMAT_CSV, S_RAT_HEAD "500101,2024-03,event_closure,,188,192.5\n",
     "t.csv:2:6: denominator: '192.5' is not a whole number (rates are sent as numerator and "
     "denominator counts, e.g. 188,192)"},
    {PA_FORMAT_JSON, S_JV("\"count\":1.5"),
     "t.json:2: [0].values[0].count: '1.5' is not a whole number (counts are whole numbers)"},
    {PA_FORMAT_JSON, S_JV("\"numerator\":97.9,\"denominator\":100"),
     "t.json:2: [0].values[0].numerator: '97.9' is not a whole number (it looks like a "
     "percentage: rates are sent as numerator and denominator counts, e.g. 188,192)"},
    /* Characters, not bytes; codes say what they look like. */
    {PA_FORMAT_CSV, S_CNT_HEAD "南岸区,2024-03,x,1\n",
     "t.csv:2:1: district: '南岸区' is not a district code (6 digits, e.g. 500108)"},
    {PA_FORMAT_CSV,
     "district,period,report_id,indicator,count\n500101,2024-03,"
     "一二三四五六七八九十一二三四五六七八九十一二三,x,1\n",
     "t.csv:2:3: report_id: '一二三四五六七八九十一二三四...' is too long (23 characters, 69 "
     "bytes in UTF-8; at most 64 bytes)"},
    {PA_FORMAT_JSON, "[{\"district\":\"南岸区\"}]",
     "t.json: 2 syntax errors\n"
     "t.json:1: [0].district: '南岸区' is not a district code (6 digits, e.g. 500108)\n"
     "t.json:1: [0].period: missing (or give period_type and period_start)"},
    /* Not UTF-8: "区县" in GBK. */
    {PA_FORMAT_CSV, "\xC7\xF8\xCF\xD8,period,indicator,count\n",
     "t.csv:1:1: encoding: the file is not UTF-8 (byte 0xC7); it may be GBK: save it as \"CSV "
     "UTF-8\""},
    {PA_FORMAT_CSV, S_CNT_HEAD "500101,2024-03,\xC7\xF8,1\n",
     "t.csv:2:3: encoding: the file is not UTF-8 (byte 0xC7); it may be GBK: save it as \"CSV "
     "UTF-8\""},
    {PA_FORMAT_JSON, "[{\"district\":\"\xC7\xF8\"}]",
     "t.json:1: [0].district: the file is not UTF-8 (it may be GBK): save it as UTF-8"},
    /* Headers: an unknown column lists the valid ones. */
    {PA_FORMAT_CSV, "district,period,indicator,count,remarks\n500101,2024-03,x,1,ok\n",
     "t.csv:1:5: remarks: unknown column (the columns are district, period, period_type, "
     "period_start, revision, report_id, town, indicator, count, numerator, denominator; "
     "--ignore-columns skips others)"},
    /* No reports is an error. */
    {PA_FORMAT_CSV, S_CNT_HEAD, "t.csv: no reports: the file has a header row but no data rows"},
    {PA_FORMAT_CSV, S_CNT_HEAD "\n,,,\n",
     "t.csv: no reports: the file has a header row but no data rows"},
    {PA_FORMAT_CSV, "", "t.csv: no reports: the file is empty"},
    {PA_FORMAT_JSON, "[]", "t.json: no reports: the input holds no report object"},
    {PA_FORMAT_JSON, "{\"reports\": []}", "t.json: no reports: the input holds no report object"},
    /* Several errors in one run, in file order; nothing is handed on. */
    {PA_FORMAT_CSV,
     S_RAT_HEAD "500101,2024-03,a,1,,\n500101,2024-03,b,x,,\n500101,2024-03,c,1,,\n"
                "500101,2024-03,d,,97.9,100\n500101,2024-13,e,1,,\n",
     "t.csv: 3 syntax errors\n"
     "t.csv:3:4: count: 'x' is not a number\n"
     "t.csv:5:5: numerator: '97.9' is not a whole number (it looks like a percentage: rates are "
     "sent as numerator and denominator counts, e.g. 188,192)\n"
     "t.csv:6:2: period: '2024-13' is not a period (2024-03-05, 2024-W09, 2024-03, 2024-Q1 or "
     "2024)"},
    {PA_FORMAT_JSON,
     "[{\"district\":\"500101\",\"period\":\"2024-03\",\"values\":[\n"
     "{\"indicator\":\"a\",\"count\":1.5},\n{\"indicator\":\"b\",\"count\":\"2\"},\n"
     "{\"indicator\":\"c\",\"count\":3}]}]",
     "t.json: 2 syntax errors\n"
     "t.json:2: [0].values[0].count: '1.5' is not a whole number (counts are whole numbers)\n"
     "t.json:3: [0].values[1].count: expected a number, got a string"},
};

Test(input, messages_users_see_are_exact)
{
    for (size_t i = 0; i < S_N(s_exact_cases); i++) {
        const s_exact_t *c = &s_exact_cases[i];
        const char *source = c->format == PA_FORMAT_CSV ? "t.csv" : "t.json";
        s_collect_t got = {0};
        pa_err_t err;
        int rc = s_run(c->format, source, c->text, strlen(c->text), 0, &got, &err);
        cr_assert_eq(rc, PA_EINVAL, "case %zu: rc %d (%s)", i, rc, err.msg);
        cr_assert_str_eq(err.msg, c->msg, "case %zu: %s", i, err.msg);
        cr_assert_eq(got.n, 0, "case %zu: nothing of a file with errors is handed on", i);
        s_collect_free(&got);
        s_assert_chunk_invariant(c->format, source, c->text);
    }
}

Test(input_csv, headers_match_in_any_case_and_ignored_columns_are_skipped)
{
    const char text[] = " District ,PERIOD,Indicator,Count,Remarks,checked_by\n"
                        "500101,2024-03,ws_deaths,2,\"late, phoned\",王\n"
                        "500101,2024-03,fire_deaths,0,,\n";
    pa_input_opts_t opts = {.ignore_columns = "remarks, Checked_By"};
    s_collect_t got = {0};
    pa_err_t err;
    for (size_t chunk = 0; chunk <= strlen(text); chunk++) {
        cr_assert_eq(
            s_run_opts(PA_FORMAT_CSV, "i.csv", &opts, text, strlen(text), chunk, &got, &err), PA_OK,
            "chunk %zu: %s", chunk, err.msg);
        cr_assert_eq(got.n, 1);
        cr_assert_eq(got.reports[0]->n_values, 2);
        cr_assert_str_eq(got.reports[0]->values[0].indicator, "ws_deaths");
        cr_assert_eq(got.reports[0]->values[0].count, 2);
        s_collect_free(&got);
    }
    /* Without the option the first extra column is named, with the valid ones. */
    opts.ignore_columns = "checked_by";
    cr_assert_eq(s_run_opts(PA_FORMAT_CSV, "i.csv", &opts, text, strlen(text), 0, &got, &err),
                 PA_EINVAL);
    cr_assert_str_eq(err.msg, "i.csv:1:5: Remarks: unknown column (the columns are district, "
                              "period, period_type, period_start, revision, report_id, town, "
                              "indicator, count, numerator, denominator; --ignore-columns skips "
                              "others)");
    s_collect_free(&got);
}

static void s_count_error_cb(void *arg, const char *message)
{
    size_t *n = arg;
    cr_assert_not_null(strstr(message, "b.csv:"), "%s", message);
    (*n)++;
}

/* Up to PA_INPUT_MAX_ERRORS errors, each passed on as found; the message
 * holds what fits and counts the rest. */
Test(input_csv, errors_stop_at_the_limit)
{
    char *text = NULL;
    size_t len = 0;
    FILE *w = open_memstream(&text, &len);
    cr_assert_not_null(w);
    fprintf(w, S_CNT_HEAD);
    for (int i = 0; i < 30; i++)
        fprintf(w, "500101,2024-03,x,%d.5\n", i);
    cr_assert_eq(fclose(w), 0);
    size_t n_cb = 0;
    pa_input_opts_t opts = {.on_error = s_count_error_cb, .error_arg = &n_cb};
    s_collect_t got = {0};
    pa_err_t err;
    cr_assert_eq(s_run_opts(PA_FORMAT_CSV, "b.csv", &opts, text, len, 0, &got, &err), PA_EINVAL);
    cr_assert_eq(n_cb, PA_INPUT_MAX_ERRORS);
    const char *head = "b.csv: 20 syntax errors (stopped there)\n"
                       "b.csv:2:4: count: '0.5' is not a whole number (counts are whole numbers)\n"
                       "b.csv:3:4: count: '1.5' is not a whole number (counts are whole numbers)\n";
    cr_assert_eq(strncmp(err.msg, head, strlen(head)), 0, "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "\nb.csv: ... and 14 more"), "%s", err.msg);
    cr_assert_eq(got.n, 0);
    s_collect_free(&got);
    /* A lower limit is honoured. */
    n_cb = 0;
    opts.max_errors = 2;
    cr_assert_eq(s_run_opts(PA_FORMAT_CSV, "b.csv", &opts, text, len, 7, &got, &err), PA_EINVAL);
    cr_assert_eq(n_cb, 2);
    cr_assert_str_eq(err.msg,
                     "b.csv: 2 syntax errors (stopped there)\n"
                     "b.csv:2:4: count: '0.5' is not a whole number (counts are whole numbers)\n"
                     "b.csv:3:4: count: '1.5' is not a whole number (counts are whole numbers)");
    s_collect_free(&got);
    free(text);
}

/* Each value keeps the line it was read from, so that a rejection can be
 * mapped back to FILE:LINE. */
Test(input, values_keep_their_line)
{
    s_collect_t got = {0};
    pa_err_t err;
    cr_assert_eq(s_run(PA_FORMAT_CSV, "good.csv", s_good_csv, strlen(s_good_csv), 0, &got, &err),
                 PA_OK, "%s", err.msg);
    const size_t csv_lines[][3] = {{2, 3, 4}, {6}, {7, 8}, {9}, {12}};
    for (size_t i = 0; i < got.n; i++)
        for (size_t j = 0; j < got.reports[i]->n_values; j++)
            cr_assert_eq(got.reports[i]->values[j].line, csv_lines[i][j],
                         "report %zu value %zu: %zu", i, j, got.reports[i]->values[j].line);
    s_collect_free(&got);
    cr_assert_eq(
        s_run(PA_FORMAT_JSON, "good.json", s_good_json, strlen(s_good_json), 0, &got, &err), PA_OK,
        "%s", err.msg);
    const size_t json_lines[] = {5, 6, 8, 9};
    for (size_t j = 0; j < got.reports[0]->n_values; j++)
        cr_assert_eq(got.reports[0]->values[j].line, json_lines[j], "value %zu: %zu", j,
                     got.reports[0]->values[j].line);
    s_collect_free(&got);
}
