/* test_aggregate.c - aggregation and target evaluation (sql/functions) end to
 * end: real pingan-produce and pingan-worker processes feed a throw-away
 * database, and every figure and status below was worked out by hand from
 * tests/data/agg-*.csv (see the comments next to each expectation). Also
 * checks that concurrent workers lose no update and that a rebuild gives
 * identical rows. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "pa_testenv.h"

#define NUL NAN /* an expected SQL NULL */

static pa_testdb_t s_db;

static void s_setup(void)
{
    pa_testdb_create(&s_db);
}

static void s_teardown(void)
{
    pa_testdb_drop(&s_db);
}

TestSuite(aggregate, .init = s_setup, .fini = s_teardown, .timeout = 300);

/* Runs pingan-produce on files (NULL-terminated) against endpoints; returns
 * its exit status. */
static int s_produce(const char *endpoints, const char *const files[], const char *tag)
{
    char bin[512], out[512], err[512];
    pa_testenv_bin("pingan-produce", bin, sizeof bin);
    char name[64];
    snprintf(name, sizeof name, "produce-%s.out", tag);
    pa_testenv_tmp(name, out, sizeof out);
    snprintf(name, sizeof name, "produce-%s.err", tag);
    pa_testenv_tmp(name, err, sizeof err);
    char *argv[40] = {bin,        "--connect", (char *)endpoints, "--batch-reports", "3",
                      "--window", "4",         "--timeout-ms",    "20000",           NULL};
    int n = 9;
    for (int i = 0; files[i] && n < 38; i++)
        argv[n++] = (char *)files[i];
    argv[n] = NULL;
    pid_t pid = pa_testenv_spawn(argv, NULL, out, err);
    int status = pa_testenv_wait(pid, 120000);
    if (status != 0) {
        char *o = pa_testenv_slurp(out), *e = pa_testenv_slurp(err);
        cr_log_error("pingan-produce %s exited %d:\n%s\n%s", tag, status, o, e);
        free(o);
        free(e);
    }
    return status;
}

/* Starts a producer of small submissions for the concurrency test; the
 * caller waits for it. */
static pid_t s_spawn_day_producer(const char *endpoints, char *path)
{
    char bin[512];
    char *argv[] = {pa_testenv_bin("pingan-produce", bin, sizeof bin),
                    "--connect",
                    (char *)endpoints,
                    "--batch-reports",
                    "2",
                    "--window",
                    "8",
                    "--timeout-ms",
                    "30000",
                    "--quiet",
                    path,
                    NULL};
    return pa_testenv_spawn(argv, NULL, NULL, NULL);
}

/* Sends data files from tests/data through one worker. */
static void s_send(const char *endpoint, const char *rel)
{
    char path[512];
    pa_testenv_src(rel, path, sizeof path);
    const char *files[] = {path, NULL};
    cr_assert_eq(s_produce(endpoint, files, "send"), 0, "could not store %s", rel);
    pa_testdb_wait_aggregated(&s_db, 60000);
}

static void s_exec(const char *sql)
{
    PGresult *res = PQexec(s_db.conn, sql);
    cr_assert(PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK,
              "%s: %s", sql, PQerrorMessage(s_db.conn));
    PQclear(res);
}

/* What psql's \copy does: COPY ... FROM STDIN fed with a client-side file. */
static void s_copy_in(const char *sql, const char *path)
{
    char *data = pa_testenv_slurp(path);
    cr_assert(*data, "%s is empty or missing", path);
    PGresult *res = PQexec(s_db.conn, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_COPY_IN, "%s: %s", sql, PQerrorMessage(s_db.conn));
    PQclear(res);
    cr_assert_eq(PQputCopyData(s_db.conn, data, (int)strlen(data)), 1);
    cr_assert_eq(PQputCopyEnd(s_db.conn, NULL), 1);
    res = PQgetResult(s_db.conn);
    cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(s_db.conn));
    PQclear(res);
    while ((res = PQgetResult(s_db.conn)))
        PQclear(res);
    free(data);
}

/* Runs a query that must return exactly one row; caller PQclears. */
static PGresult *s_one_row(const char *sql)
{
    PGresult *res = PQexec(s_db.conn, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(s_db.conn));
    cr_assert_eq(PQntuples(res), 1, "expected one row, got %d: %s", PQntuples(res), sql);
    return res;
}

/* Compares column col of row 0 with want (NUL = SQL NULL), to 1e-9. */
static void s_num(PGresult *res, int col, double want, const char *what)
{
    const char *name = PQfname(res, col);
    if (isnan(want)) {
        cr_expect(PQgetisnull(res, 0, col), "%s: %s is %s, expected NULL", what, name,
                  PQgetvalue(res, 0, col));
        return;
    }
    cr_expect(!PQgetisnull(res, 0, col), "%s: %s is NULL, expected %.10g", what, name, want);
    if (PQgetisnull(res, 0, col))
        return;
    double got = strtod(PQgetvalue(res, 0, col), NULL);
    cr_expect(fabs(got - want) <= 1e-9 * (1 + fabs(want)), "%s: %s is %.12g, expected %.12g", what,
              name, got, want);
}

/* A current figure from pingan.v_trend: count (counts) or numerator and
 * denominator (ratios); NUL where not applicable. */
static void s_figure(const char *ind, const char *level, const char *area, const char *ptype,
                     const char *start, double count, double num, double den)
{
    char sql[1024], what[256];
    snprintf(sql, sizeof sql,
             "SELECT count_sum, numerator_sum, denominator_sum, value FROM pingan.v_trend "
             "WHERE indicator_code = '%s' AND level = '%s' AND area_code = '%s' "
             "AND period_type = '%s' AND period_start = '%s'",
             ind, level, area, ptype, start);
    snprintf(what, sizeof what, "%s %s %s %s %s", ind, level, area, ptype, start);
    PGresult *res = s_one_row(sql);
    s_num(res, 0, count, what);
    s_num(res, 1, num, what);
    s_num(res, 2, den, what);
    s_num(res, 3, isnan(count) ? num / den : count, what);
    PQclear(res);
}

/* The figure as first reported (first revisions), from pingan.v_trend. */
static void s_first(const char *ind, const char *level, const char *area, const char *ptype,
                    const char *start, double first_value)
{
    char sql[1024], what[256];
    snprintf(sql, sizeof sql,
             "SELECT first_value FROM pingan.v_trend WHERE indicator_code = '%s' AND level = '%s' "
             "AND area_code = '%s' AND period_type = '%s' AND period_start = '%s'",
             ind, level, area, ptype, start);
    snprintf(what, sizeof what, "first %s %s %s %s %s", ind, level, area, ptype, start);
    PGresult *res = s_one_row(sql);
    s_num(res, 0, first_value, what);
    PQclear(res);
}

/* Where a figure came from: "reports|revised|{types}|direct". */
static void s_source(const char *ind, const char *level, const char *area, const char *ptype,
                     const char *start, const char *want)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT reports || '|' || revised || '|' || source_types::text || '|' || direct "
             "FROM pingan.figure WHERE indicator_code = '%s' AND level = '%s' "
             "AND area_code = '%s' AND period_type = '%s' AND period_start = '%s'",
             ind, level, area, ptype, start);
    char *got = pa_testdb_text(&s_db, sql);
    cr_expect_str_eq(got, want, "source of %s %s %s %s %s", ind, level, area, ptype, start);
    free(got);
}

/* One row of pingan.v_target_status; status may be "incomplete/missed" for
 * status incomplete with verdict missed. */
static void s_status(const char *target, const char *level, const char *area, const char *ptype,
                     const char *start, double actual, double reference, double threshold,
                     const char *status, double margin)
{
    char sql[1024], what[256];
    snprintf(sql, sizeof sql,
             "SELECT actual, reference, threshold, margin, status || coalesce('/' || verdict, '') "
             "FROM pingan.v_target_status "
             "WHERE target_id = '%s' AND level = '%s' AND area_code = '%s' "
             "AND period_type = '%s' AND period_start = '%s'",
             target, level, area, ptype, start);
    snprintf(what, sizeof what, "%s %s %s %s %s", target, level, area, ptype, start);
    PGresult *res = s_one_row(sql);
    s_num(res, 0, actual, what);
    s_num(res, 1, reference, what);
    s_num(res, 2, threshold, what);
    s_num(res, 3, margin, what);
    char want[64];
    /* "met" means status met with verdict met */
    if (strchr(status, '/') || !strcmp(status, "no_data") || !strcmp(status, "no_baseline") ||
        !strcmp(status, "not_due") || !strcmp(status, "incomplete"))
        snprintf(want, sizeof want, "%s", status);
    else
        snprintf(want, sizeof want, "%s/%s", status, status);
    cr_expect_str_eq(PQgetvalue(res, 0, 4), want, "%s: status", what);
    PQclear(res);
}

/* The coverage text of one row of pingan.v_target_status. */
static void s_coverage(const char *target, const char *level, const char *area, const char *ptype,
                       const char *start, const char *want)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT coverage FROM pingan.v_target_status WHERE target_id = '%s' AND level = '%s' "
             "AND area_code = '%s' AND period_type = '%s' AND period_start = '%s'",
             target, level, area, ptype, start);
    char *got = pa_testdb_text(&s_db, sql);
    cr_expect_str_eq(got, want, "coverage of %s %s %s %s %s: %s", target, level, area, ptype, start,
                     got);
    free(got);
}

/* A running year 2024: ytd_actual, ytd_reference, projection and
 * status/verdict. */
static void s_running_in(const char *target, const char *level, const char *area, const char *when,
                         double ytd_actual, double ytd_reference, double projection,
                         const char *status)
{
    char sql[1024], what[256];
    snprintf(sql, sizeof sql,
             "SELECT ytd_actual, ytd_reference, projection, status || coalesce('/' || verdict, '') "
             "FROM pingan.v_target_status "
             "WHERE target_id = '%s' AND level = '%s' AND area_code = '%s' "
             "AND period_type = 'year' AND period_start = '2024-01-01'",
             target, level, area);
    snprintf(what, sizeof what, "%s %s %s %s", target, level, area, when);
    PGresult *res = s_one_row(sql);
    s_num(res, 0, ytd_actual, what);
    s_num(res, 1, ytd_reference, what);
    s_num(res, 2, projection, what);
    cr_expect_str_eq(PQgetvalue(res, 0, 3), status, "%s: status", what);
    PQclear(res);
}

static void s_running(const char *target, const char *level, const char *area, double ytd_actual,
                      double ytd_reference, double projection, const char *status)
{
    s_running_in(target, level, area, "2024 as of 2024-04-15", ytd_actual, ytd_reference,
                 projection, status);
}

/* Rows of figures and judgements (but for when they were written) that
 * differ from the snapshots public.fig_snap and public.jdg_snap. */
static long s_differences(void)
{
    return pa_testdb_long(
        &s_db, "SELECT (SELECT count(*) FROM (SELECT * FROM pingan.figure EXCEPT "
               "SELECT * FROM public.fig_snap) AS a) + (SELECT count(*) FROM (SELECT * FROM "
               "public.fig_snap EXCEPT SELECT * FROM pingan.figure) AS b) + (SELECT count(*) FROM "
               "(SELECT * FROM public.jdg_view EXCEPT SELECT * FROM public.jdg_snap) AS c) + "
               "(SELECT count(*) FROM (SELECT * FROM public.jdg_snap EXCEPT SELECT * FROM "
               "public.jdg_view) AS d)");
}

/* Takes the snapshots s_differences compares with. */
static void s_snapshot(void)
{
    s_exec("CREATE OR REPLACE VIEW public.jdg_view AS SELECT target_id, level, area_code, "
           "period_type, period_start, status, verdict, actual, reference, threshold, margin, "
           "ytd_actual, ytd_reference, projection, months_covered, units_covered FROM "
           "pingan.judgement");
    s_exec("CREATE TABLE public.fig_snap AS SELECT * FROM pingan.figure");
    s_exec("CREATE TABLE public.jdg_snap AS SELECT * FROM public.jdg_view");
}

/* Runs `pingan-worker --rebuild` on the test database. */
static void s_rebuild_with_worker(void)
{
    char bin[512], err[512];
    pa_testenv_bin("pingan-worker", bin, sizeof bin);
    pa_testenv_tmp("rebuild.err", err, sizeof err);
    char *argv[] = {bin, "--rebuild", NULL};
    pid_t pid = pa_testenv_spawn(argv, s_db.dbname, NULL, err);
    int status = pa_testenv_wait(pid, 120000);
    char *log = pa_testenv_slurp(err);
    cr_assert_eq(status, 0, "pingan-worker --rebuild failed (%d): %s", status, log);
    cr_assert(strstr(log, "aggregates rebuilt"), "%s", log);
    free(log);
}

/* ------------------------------------------------------------------------ */

Test(aggregate, hand_computed)
{
    char ep[64], err_path[512];
    pa_testenv_endpoint(ep, sizeof ep);
    pid_t worker = pa_testenv_start_worker(&s_db, ep, pa_testenv_tmp("w.err", err_path, 512), NULL);
    s_send(ep, "tests/data/agg-2023.csv");
    s_send(ep, "tests/data/agg-2024.csv");

    /* Towns A1 500101001, A2 500101002 (district A = 500101, monthly) and
     * B1 500102001, B2 500102002 (district B = 500102: days, a quarter, a
     * month; a year report for 2023). */

    /* Space, counts: A March 2024 ws_deaths 1 + 1. */
    s_figure("ws_deaths", "town", "500101001", "month", "2024-03-01", 1, NUL, NUL);
    s_figure("ws_deaths", "district", "500101", "month", "2024-03-01", 2, NUL, NUL);
    /* The rate-of-sums trap: A1 1/2 (50 %), A2 99/100 (99 %). The district is
     * 100/102 = 98.04 %, not the mean of percentages 74.5 %. */
    s_figure("event_closure", "district", "500101", "month", "2024-03-01", NUL, 100, 102);
    cr_expect_eq(pa_testdb_long(&s_db,
                                "SELECT round(value * 10000) FROM pingan.v_trend WHERE "
                                "indicator_code = 'event_closure' AND level = 'district' AND "
                                "area_code = '500101' AND period_type = 'month' AND "
                                "period_start = '2024-03-01'"),
                 9804, "rate of sums 98.04 %, not the mean of rates 74.5 %");
    /* ...and T9 (>= 95 %) is met there, which a mean of rates would miss. */
    s_status("T9", "district", "500101", "month", "2024-03-01", 100.0 / 102, NUL, 0.95, "met",
             100.0 / 102 - 0.95);

    /* Time, flows. B days: 01-01 B1 1, 01-02 B2 1, 01-08 B1 0. ISO week
     * 2024-W01 (Mon 01-01) = 2, W02 = 0; January from days = 2. */
    s_figure("ws_deaths", "district", "500102", "week", "2024-01-01", 2, NUL, NUL);
    s_figure("ws_deaths", "district", "500102", "week", "2024-01-08", 0, NUL, NUL);
    s_figure("ws_deaths", "district", "500102", "month", "2024-01-01", 2, NUL, NUL);
    s_source("ws_deaths", "district", "500102", "month", "2024-01-01", "3|0|{day}|false");
    /* event_closure January from days: 3/4 + 5/5 + 2/2 = 10/11. */
    s_figure("event_closure", "district", "500102", "month", "2024-01-01", NUL, 10, 11);
    /* A direct Q1 report (B1 1, B2 2) wins over January built from days. */
    s_figure("ws_deaths", "district", "500102", "quarter", "2024-01-01", 3, NUL, NUL);
    s_source("ws_deaths", "district", "500102", "quarter", "2024-01-01", "1|0|{quarter}|true");
    /* Q2 from May (B1 1); the year = Q1 3 + Q2 1 = 4 (B1 1+1, B2 2). */
    s_figure("ws_deaths", "district", "500102", "quarter", "2024-04-01", 1, NUL, NUL);
    s_figure("ws_deaths", "district", "500102", "year", "2024-01-01", 4, NUL, NUL);
    s_figure("ws_deaths", "town", "500102001", "year", "2024-01-01", 2, NUL, NUL);
    s_figure("ws_deaths", "town", "500102002", "year", "2024-01-01", 2, NUL, NUL);
    s_source("ws_deaths", "district", "500102", "year", "2024-01-01", "2|0|{month,quarter}|false");
    /* B year 2024 event_closure: Q1 19/20 + May 1/1 = 20/21. */
    s_figure("event_closure", "district", "500102", "year", "2024-01-01", NUL, 20, 21);
    /* A 2023: March (A1 2, A2 1) + June (1, 0) = 4; B 2023 from its year report = 4. */
    s_figure("ws_deaths", "district", "500101", "year", "2023-01-01", 4, NUL, NUL);
    s_figure("ws_deaths", "district", "500102", "year", "2023-01-01", 4, NUL, NUL);
    s_figure("ws_deaths", "city", "500000", "year", "2023-01-01", 8, NUL, NUL);
    /* Stocks take the latest period, never a sum: business_digitised A 2023
     * is June's 6/10 + 6/10; B 2024 is May's 7/10 + 6/10 (Q2 is later than
     * the direct Q1 9/10 + 5/10). yibiaotong_online A 2023 = June 1 + 1. */
    s_figure("business_digitised", "district", "500101", "year", "2023-01-01", NUL, 12, 20);
    s_figure("business_digitised", "district", "500102", "year", "2024-01-01", NUL, 13, 20);
    s_figure("business_digitised", "district", "500102", "quarter", "2024-01-01", NUL, 14, 20);
    s_figure("yibiaotong_online", "district", "500101", "year", "2023-01-01", 2, NUL, NUL);
    s_figure("yibiaotong_online", "district", "500101", "quarter", "2023-01-01", 1, NUL, NUL);

    /* Before the correction: A June ws_deaths 0 + 0, the year 2 + 0 = 2. */
    s_figure("ws_deaths", "district", "500101", "month", "2024-06-01", 0, NUL, NUL);
    s_figure("ws_deaths", "district", "500101", "year", "2024-01-01", 2, NUL, NUL);
    s_status("T4", "city", "500000", "year", "2024-01-01", 0, NUL, 0, "incomplete/met", 0);

    /* Revision 2 of A June: ws A1 0 -> 2, event_closure A2 8/10 -> 9/10,
     * major_accidents 0 -> 1. */
    s_send(ep, "tests/data/agg-2024-r2.csv");
    s_figure("ws_deaths", "district", "500101", "month", "2024-06-01", 2, NUL, NUL);
    s_first("ws_deaths", "district", "500101", "month", "2024-06-01", 0);
    s_figure("ws_deaths", "district", "500101", "quarter", "2024-04-01", 2, NUL, NUL);
    s_figure("ws_deaths", "district", "500101", "year", "2024-01-01", 4, NUL, NUL);
    s_first("ws_deaths", "district", "500101", "year", "2024-01-01", 2);
    s_source("ws_deaths", "district", "500101", "year", "2024-01-01", "2|1|{month}|false");
    s_figure("ws_deaths", "city", "500000", "year", "2024-01-01", 8, NUL, NUL);
    s_first("ws_deaths", "city", "500000", "year", "2024-01-01", 6);
    /* A event_closure 2024: March 100/102 + June 19/20 = 119/122; the city
     * adds B's 20/21: 139/143. */
    s_figure("event_closure", "district", "500101", "year", "2024-01-01", NUL, 119, 122);
    s_figure("event_closure", "city", "500000", "year", "2024-01-01", NUL, 139, 143);
    s_figure("major_accidents", "city", "500000", "year", "2024-01-01", 1, NUL, NUL);
    cr_expect_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.v_restatement WHERE "
                                       "indicator_code = 'ws_deaths' AND level = 'district' AND "
                                       "area_code = '500101' AND change = 2"),
                 3, "June, Q2 and 2024 of A are restated by +2");

    /* Baseline: the official 2023 city figure of ws_deaths is 10 (the reports
     * add up to 8); loaded the documented way, staged and then moved. */
    char path[512];
    s_copy_in("COPY pingan.baseline_load FROM STDIN WITH (FORMAT csv, HEADER true)",
              pa_testenv_src("tests/data/agg-baseline.csv", path, sizeof path));
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT pingan.load_baseline()"), 1);

    /* Targets for 2024 (a complete year). Only A and B report, so every
     * city judgement is incomplete (0 of 38 districts complete), with the
     * verdict its figures give so far. T1, down 5 % on 2023, like for like:
     * A has March and June in both years: 2+2 = 4 against 3+1 = 4,
     * threshold 3.8, missed so far. B's 2024 (Q1 and May) has no month or
     * quarter in common with its 2023 (one year report): B is left out of
     * both sides, so the city is A's 4 against 4, not 8 against the official
     * 10 (which needs every district complete). */
    s_status("T1", "city", "500000", "year", "2024-01-01", 4, 4, 3.8, "incomplete/missed", -0.2);
    s_coverage("T1", "city", "500000", "year", "2024-01-01", "0/38 districts, 2/12 months");
    s_status("T1", "district", "500101", "year", "2024-01-01", 4, 4, 3.8, "incomplete/missed",
             -0.2);
    s_coverage("T1", "district", "500101", "year", "2024-01-01", "2/28 towns, 2/12 months");
    s_status("T1", "district", "500102", "year", "2024-01-01", NUL, NUL, NUL, "incomplete", NUL);
    s_status("T1", "town", "500102001", "year", "2024-01-01", NUL, NUL, NUL, "incomplete", NUL);
    s_status("T1", "district", "500103", "year", "2024-01-01", NUL, NUL, NUL, "no_data", NUL);
    /* 2023 has no earlier year: no_baseline. */
    s_status("T1", "city", "500000", "year", "2023-01-01", NUL, NUL, NUL, "no_baseline", NUL);
    /* T2 fire_incidents: 2024 only (A March 2 + 1), no 2023 figure anywhere. */
    s_status("T2", "city", "500000", "year", "2024-01-01", NUL, NUL, NUL, "no_baseline", NUL);
    s_status("T2", "district", "500102", "year", "2024-01-01", NUL, NUL, NUL, "no_data", NUL);
    /* T4 is a bottom line: the corrected June report of A has one major
     * accident, missed whatever the coverage. B's T4 so far: met, on Q1. */
    s_status("T4", "city", "500000", "year", "2024-01-01", 1, NUL, 0, "missed", -1);
    s_status("T4", "district", "500101", "year", "2024-01-01", 1, NUL, 0, "missed", -1);
    s_status("T4", "district", "500102", "year", "2024-01-01", 0, NUL, 0, "incomplete/met", 0);
    s_coverage("T4", "district", "500102", "year", "2024-01-01", "28/28 towns, 3/12 months");
    s_status("T4", "city", "500000", "quarter", "2024-01-01", 0, NUL, 0, "incomplete/met", 0);
    s_status("T4", "city", "500000", "month", "2024-06-01", 1, NUL, 0, "missed", -1);
    /* T9 >= 95 %: city 139/143, B 20/21 met so far (B: Q1 and May, 4 of
     * 12 months); A1 11/12 missed so far. */
    s_status("T9", "city", "500000", "year", "2024-01-01", 139.0 / 143, NUL, 0.95, "incomplete/met",
             139.0 / 143 - 0.95);
    s_status("T9", "district", "500102", "year", "2024-01-01", 20.0 / 21, NUL, 0.95,
             "incomplete/met", 20.0 / 21 - 0.95);
    s_coverage("T9", "district", "500102", "year", "2024-01-01", "2/28 towns, 4/12 months");
    s_status("T9", "town", "500101001", "year", "2024-01-01", 11.0 / 12, NUL, 0.95,
             "incomplete/missed", 11.0 / 12 - 0.95);
    /* B's 2023 is one complete year report: judged on it, complete. */
    s_status("T9", "district", "500102", "year", "2023-01-01", 28.0 / 30, NUL, 0.95, "missed",
             28.0 / 30 - 0.95);
    /* T7 per town, the year-end position >= 60 %: A2 6/10 (June), B2 6/10
     * (May) meet it so far, but a position of June or May is not the
     * year's end: incomplete. Every other town has no data. A: 2/28 towns
     * meet so far; the city 4/1031. */
    s_status("T7", "town", "500101002", "year", "2024-01-01", 0.6, NUL, 0.6, "incomplete/met", 0);
    s_status("T7", "town", "500102002", "year", "2024-01-01", 0.6, NUL, 0.6, "incomplete/met", 0);
    s_status("T7", "town", "500101003", "year", "2024-01-01", NUL, NUL, 0.6, "no_data", NUL);
    s_status("T7", "district", "500101", "year", "2024-01-01", 2.0 / 28, NUL, 1,
             "incomplete/missed", 2.0 / 28 - 1);
    s_coverage("T7", "district", "500101", "year", "2024-01-01", "2/28 towns");
    s_status("T7", "city", "500000", "year", "2024-01-01", 4.0 / 1031, NUL, 1, "incomplete/missed",
             4.0 / 1031 - 1);
    s_status("T7", "district", "500103", "year", "2024-01-01", NUL, NUL, 1, "no_data", NUL);
    s_status("T7", "town", "500101001", "year", "2023-01-01", 0.6, NUL, 0.6, "incomplete/met", 0);
    /* T10: towns online at the latest position, A 2 of 28, the city 4 of 1031. */
    s_status("T10", "city", "500000", "year", "2024-01-01", 4, NUL, 1031, "incomplete/missed",
             -1027);
    s_status("T10", "district", "500101", "year", "2024-01-01", 2, NUL, 28, "incomplete/missed",
             -26);
    s_status("T10", "town", "500101001", "year", "2024-01-01", 1, NUL, 1, "incomplete/met", 0);
    /* No data at all for T5, T6, T8 or R1: they are not listed. */
    cr_expect_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.v_target_status WHERE "
                                       "target_id IN ('T5', 'T6', 'T8', 'R1')"),
                 0);
    /* The scorecard: 38 districts + the city per target and period. */
    cr_expect_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.v_district_scorecard WHERE "
                                       "target_id = 'T1' AND period_type = 'year' AND "
                                       "period_start = '2024-01-01'"),
                 39);
    cr_expect_eq(pa_testdb_long(&s_db, "SELECT districts_incomplete FROM pingan.v_city_summary "
                                       "WHERE target_id = 'T1' AND period_type = 'year' AND "
                                       "period_start = '2024-01-01'"),
                 2);
    cr_expect_eq(pa_testdb_long(&s_db, "SELECT districts_missed FROM pingan.v_city_summary WHERE "
                                       "target_id = 'T1' AND period_type = 'year' AND "
                                       "period_start = '2024-01-01'"),
                 0);

    /* Part-way through 2024: as of 2024-04-15, the span is Q1. T1 city: A's
     * March 2 against March 2023 3 (Jan and Feb are missing on both sides);
     * B's Q1 has no 2023 counterpart. Projection: 2/3 of A's 2023 (4) =
     * 2.67 <= 3.8: met so far. */
    s_exec("UPDATE pingan.settings SET as_of = '2024-04-15'");
    s_running("T1", "city", "500000", 2, 3, 2.0 / 3 * 4, "incomplete/met");
    s_status("T1", "city", "500000", "year", "2024-01-01", 2, 4, 3.8, "incomplete/met",
             3.8 - 8.0 / 3);
    /* T9 city ytd: A March 100/102 + B Q1 19/20 = 119/122, on track. */
    s_running("T9", "city", "500000", 119.0 / 122, NUL, 119.0 / 122, "incomplete/met");
    /* T4: the June accident is after the as-of day. */
    s_running("T4", "city", "500000", 0, NUL, 0, "incomplete/met");
    /* T10: each district's latest position in the span, added up: A's March
     * 2 + B's Q1 1 = 3 of 1031. */
    s_running("T10", "city", "500000", 3, NUL, 3, "incomplete/at_risk");
    /* T7: A2 5/10 in March is the position at the span's end: at risk. */
    s_running("T7", "town", "500101002", 0.5, NUL, 0.5, "at_risk/at_risk");
    s_status("T7", "district", "500102", "year", "2024-01-01", 1.0 / 28, NUL, 1,
             "incomplete/at_risk", 1.0 / 28 - 1);
    s_exec("UPDATE pingan.settings SET as_of = NULL");

    /* Completeness (monthly schedule): A March 2024 expects 12 monthly
     * indicators x 28 towns = 336; it sent 5 per-town indicators for 2 towns
     * and major_accidents for the district as a whole (covering 28): 38.
     * All arrived long after the deadline, so they are late. */
    char *row = pa_testdb_text(&s_db, "SELECT expected || '|' || on_time || '|' || late || '|' || "
                                      "missing || '|' || complete FROM pingan.v_completeness "
                                      "WHERE period_type = 'month' AND period_start = "
                                      "'2024-03-01' AND district_code = '500101'");
    cr_expect_str_eq(row, "336|0|38|298|false");
    free(row);
    s_exec("UPDATE pingan.settings SET on_time_days = 100000");
    row = pa_testdb_text(&s_db, "SELECT expected || '|' || on_time || '|' || late || '|' || "
                                "missing FROM pingan.v_completeness WHERE period_type = 'month' "
                                "AND period_start = '2024-06-01' AND district_code = '500101'");
    /* June: ws, event_closure, business_digitised, yibiaotong 2 towns each + 28. */
    cr_expect_str_eq(row, "336|36|0|300");
    free(row);

    pa_testenv_stop_worker(worker);

    /* And a rebuild changes nothing. */
    s_snapshot();
    s_rebuild_with_worker();
    cr_expect_eq(s_differences(), 0);
}

/* Writes a CSV of daily reports (ws_deaths for 3 towns, event_closure for
 * 2) for 6 districts, for the days of Jan-Mar 2024 with day % 3 == part, at
 * revision rev. Returns the path in buf. */
static char *s_write_days(int part, int rev, int first_day, int days, char *buf, size_t size)
{
    char name[64];
    snprintf(name, sizeof name, "days-%d-r%d.csv", part, rev);
    pa_testenv_tmp(name, buf, size);
    FILE *f = fopen(buf, "w");
    cr_assert(f, "cannot write %s", buf);
    fprintf(f, "district,period,revision,town,indicator,count,numerator,denominator\n");
    static const char *districts[] = {"500101", "500102", "500103", "500104", "500105", "500106"};
    static const int mdays[] = {31, 29, 31, 30};
    for (int day = first_day; day < first_day + days; day++) {
        if (day % 3 != part)
            continue;
        int m = 0, d = day;
        while (d >= mdays[m])
            d -= mdays[m++];
        for (int k = 0; k < 6; k++) {
            for (int t = 1; t <= 3; t++)
                fprintf(f, "%s,2024-%02d-%02d,%d,%s%03d,ws_deaths,%d,,\n", districts[k], m + 1,
                        d + 1, rev, districts[k], t, (day + t + k + rev) % 3);
            for (int t = 1; t <= 2; t++)
                fprintf(f, "%s,2024-%02d-%02d,%d,%s%03d,event_closure,,%d,%d\n", districts[k],
                        m + 1, d + 1, rev, districts[k], t, 5 + (day + t) % 5, 10);
        }
    }
    fclose(f);
    return buf;
}

Test(aggregate, concurrent_workers_lose_nothing)
{
    enum { N = 3 };
    char eps[N][64], errs[N][512], all[256] = "";
    pid_t workers[N];
    for (int i = 0; i < N; i++) {
        pa_testenv_endpoint(eps[i], sizeof eps[i]);
        char name[32];
        snprintf(name, sizeof name, "cw%d.err", i);
        workers[i] = pa_testenv_start_worker(&s_db, eps[i],
                                             pa_testenv_tmp(name, errs[i], sizeof errs[i]), NULL);
        strcat(all, i ? "," : "");
        strcat(all, eps[i]);
    }
    /* Phase 1: three producers at once, each with a third of the days of
     * every district, round robin over the three workers: every month of
     * every district is aggregated by several workers at the same time. */
    char paths[N][512];
    pid_t producers[N];
    for (int p = 0; p < N; p++) {
        s_write_days(p, 1, 0, 91, paths[p], sizeof paths[p]);
        producers[p] = s_spawn_day_producer(all, paths[p]);
    }
    for (int p = 0; p < N; p++)
        cr_assert_eq(pa_testenv_wait(producers[p], 180000), 0, "producer %d failed", p);
    /* Phase 2: corrections of the days of part 0 in February, sent while
     * the other producers add April. */
    for (int p = 0; p < N; p++) {
        if (p == 0)
            s_write_days(0, 2, 31, 29, paths[p], sizeof paths[p]);
        else
            s_write_days(p, 1, 91, 30, paths[p], sizeof paths[p]);
        producers[p] = s_spawn_day_producer(all, paths[p]);
    }
    for (int p = 0; p < N; p++)
        cr_assert_eq(pa_testenv_wait(producers[p], 180000), 0, "phase 2 producer %d failed", p);
    pa_testdb_wait_aggregated(&s_db, 120000);
    for (int i = 0; i < N; i++)
        pa_testenv_stop_worker(workers[i]);

    /* 6 districts x (91 + 20 April days of parts 1 and 2) day reports, and
     * every worker stored some of them. */
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(DISTINCT (district_code, period_start)) "
                                       "FROM pingan.report"),
                 6 * (91 + 20));
    cr_expect_eq(pa_testdb_long(&s_db, "SELECT count(DISTINCT worker) FROM pingan.report"), N);
    /* Independently of the aggregation code: month totals straight from the
     * current values equal the aggregated months, per district. */
    cr_expect_eq(pa_testdb_long(&s_db,
                                "SELECT count(*) FROM (SELECT district_code, "
                                "date_trunc('month', period_start)::date AS m, sum(count) AS c "
                                "FROM pingan.v_value WHERE indicator_code = 'ws_deaths' "
                                "GROUP BY 1, 2) AS v FULL JOIN (SELECT area_code, period_start, "
                                "count_sum FROM pingan.figure WHERE level = 'district' AND "
                                "indicator_code = 'ws_deaths' AND period_type = 'month') AS a "
                                "ON a.area_code = v.district_code AND a.period_start = v.m "
                                "WHERE a.count_sum IS DISTINCT FROM v.c"),
                 0, "a month differs from the sum of its current day values");
    cr_expect_eq(pa_testdb_long(&s_db,
                                "SELECT count(*) FROM (SELECT sum(numerator) AS n, "
                                "sum(denominator) AS d FROM pingan.v_value WHERE indicator_code "
                                "= 'event_closure' AND period_start < '2024-04-01') AS v, "
                                "pingan.v_figure AS f WHERE f.indicator_code = 'event_closure' "
                                "AND f.level = 'city' AND f.period_type = 'quarter' AND "
                                "f.period_start = '2024-01-01' AND (f.numerator_sum <> v.n OR "
                                "f.denominator_sum <> v.d)"),
                 0, "the city Q1 differs from the sum of its day values");
    /* The corrections replaced their days in every aggregate. */
    cr_expect_gt(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.figure WHERE revised > 0 "
                                       "AND period_type = 'year'"),
                 0);
    /* And the concurrent result equals a rebuild from the stored reports. */
    s_snapshot();
    cr_assert_gt(pa_testdb_long(&s_db, "SELECT pingan.rebuild_aggregates()"), 0);
    cr_expect_eq(s_differences(), 0);
}

/* Stores the files (NULL-terminated, each in a submission of its own)
 * through one worker, waits for their aggregation, and stops the worker. */
static void s_store(const char *tag, const char *const rels[])
{
    char ep[64], err_name[32], err_path[512];
    pa_testenv_endpoint(ep, sizeof ep);
    snprintf(err_name, sizeof err_name, "%s.err", tag);
    pid_t worker =
        pa_testenv_start_worker(&s_db, ep, pa_testenv_tmp(err_name, err_path, 512), NULL);
    for (int i = 0; rels[i]; i++)
        s_send(ep, rels[i]);
    pa_testenv_stop_worker(worker);
}

Test(aggregate, rebuild_is_identical)
{
    /* The JSON example's districts differ from the fixture's. */
    s_store("rb",
            (const char *const[]){"examples/2024-03.json", "tests/data/agg-2023.csv",
                                  "tests/data/agg-2024.csv", "tests/data/agg-2024-r2.csv", NULL});

    long rows = pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.figure");
    cr_assert_gt(rows, 200);
    cr_assert_gt(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.judgement"), 1000);
    /* Day-level copies of the values are not stored. */
    cr_expect_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.figure WHERE period_type "
                                       "NOT IN ('month', 'quarter', 'year')"),
                 0);
    s_snapshot();
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT pingan.rebuild_aggregates()"), rows);
    cr_expect_eq(s_differences(), 0);
    /* From nothing, the same again. */
    s_exec("DELETE FROM pingan.figure");
    s_exec("DELETE FROM pingan.judgement");
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.v_target_status"), 0);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT pingan.rebuild_aggregates()"), rows);
    cr_expect_eq(s_differences(), 0);
}

/* Loads a baseline CSV from tests/data the documented way. */
static void s_baseline(const char *rel, long rows)
{
    char path[512];
    s_copy_in("COPY pingan.baseline_load FROM STDIN WITH (FORMAT csv, HEADER true)",
              pa_testenv_src(rel, path, sizeof path));
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT pingan.load_baseline()"), rows);
}

/* Sets the districts' rhythm (an UPDATE of pingan.district_schedule) and the
 * as-of day, then starts a worker; its endpoint in ep. */
static pid_t s_start_scheduled(const char *schedule_sql, const char *as_of, char *ep, size_t size,
                               const char *log_name)
{
    char err_path[512], sql[128];
    s_exec(schedule_sql);
    snprintf(sql, sizeof sql, "UPDATE pingan.settings SET as_of = '%s'", as_of);
    s_exec(sql);
    pa_testenv_endpoint(ep, size);
    return pa_testenv_start_worker(&s_db, ep, pa_testenv_tmp(log_name, err_path, 512), NULL);
}

/* Stops the worker; a rebuild from the stored reports must change nothing. */
static void s_stop_and_rebuild(pid_t worker)
{
    pa_testenv_stop_worker(worker);
    s_snapshot();
    s_rebuild_with_worker();
    cr_expect_eq(s_differences(), 0);
}

/* tests/data/cov-*.csv: districts C 500103, D 500104 and E 500105 report
 * monthly; every other district is set to report yearly, so for months only
 * these three are due. As of 2024-12-15. */
Test(aggregate, coverage_bottom_line_and_stock_positions)
{
    char ep[64];
    pid_t worker = s_start_scheduled("UPDATE pingan.district_schedule SET period_type = 'year' "
                                     "WHERE district_code NOT IN ('500103', '500104', '500105')",
                                     "2024-12-15", ep, sizeof ep, "cov.err");
    s_send(ep, "tests/data/cov-2023.csv");
    s_send(ep, "tests/data/cov-2024.csv");
    s_baseline("tests/data/cov-baseline.csv", 1);

    /* T1 March 2024 with E missing: C 2 against 3 and D 1 against 2 are
     * complete and met; E is due and has no data. The city compares the
     * same two districts on both sides, 3 against 5 (threshold 4.75), and
     * not against the official 20, which covers all three: incomplete,
     * met so far. */
    s_status("T1", "district", "500103", "month", "2024-03-01", 2, 3, 2.85, "met", 0.85);
    s_status("T1", "district", "500105", "month", "2024-03-01", NUL, NUL, NUL, "no_data", NUL);
    s_status("T1", "city", "500000", "month", "2024-03-01", 3, 5, 4.75, "incomplete/met", 1.75);
    s_coverage("T1", "city", "500000", "month", "2024-03-01", "2/3 districts, 1/1 months");
    /* The 35 yearly districts are not due for a month. */
    s_status("T1", "district", "500101", "month", "2024-03-01", NUL, NUL, NUL, "not_due", NUL);
    cr_expect_eq(pa_testdb_long(&s_db, "SELECT districts_not_due FROM pingan.v_city_summary "
                                       "WHERE target_id = 'T1' AND period_type = 'month' AND "
                                       "period_start = '2024-03-01'"),
                 35);

    /* E's March arrives (1 against 4): every due district is complete, so
     * the official March 2023 city figure is the reference: 4 against 20. */
    s_send(ep, "tests/data/cov-2024-late.csv");
    s_status("T1", "city", "500000", "month", "2024-03-01", 4, 20, 19, "met", 15);
    s_coverage("T1", "city", "500000", "month", "2024-03-01", "3/3 districts, 1/1 months");
    char *src = pa_testdb_text(&s_db, "SELECT reference_source FROM pingan.v_target_status WHERE "
                                      "target_id = 'T1' AND level = 'city' AND period_type = "
                                      "'month' AND period_start = '2024-03-01'");
    cr_expect_str_eq(src, "baseline");
    free(src);

    /* T4: C's January and February reports say 0, but its week 2024-W05
     * (Mon 29 Jan to Sun 4 Feb) holds a major accident. Weeks build no
     * month, so only the bottom line's own check sees it: both months,
     * the quarter and the year are missed, for C and for the city. March is
     * not touched by that week. */
    s_status("T4", "district", "500103", "month", "2024-01-01", 1, NUL, 0, "missed", -1);
    s_status("T4", "district", "500103", "month", "2024-02-01", 1, NUL, 0, "missed", -1);
    s_status("T4", "district", "500103", "month", "2024-03-01", 0, NUL, 0, "met", 0);
    s_status("T4", "city", "500000", "month", "2024-01-01", 1, NUL, 0, "missed", -1);
    s_status("T4", "city", "500000", "quarter", "2024-01-01", 1, NUL, 0, "missed", -1);

    /* T10 in the running year: C's latest position is November (2 towns
     * online), D's is June (1): the city adds each district's own latest
     * position, 3, not November's city figure, 2. */
    s_running_in("T10", "city", "500000", "2024 as of 2024-12-15", 3, NUL, 3, "incomplete/at_risk");

    /* T5, at least 100 %: E's 1999/2000 is 99.95 %, missed by exactly 0.05
     * percentage points, in numeric: no binary noise, never equal to the
     * threshold. */
    s_status("T5", "district", "500105", "month", "2024-03-01", 0.9995, NUL, 1, "missed", -0.0005);
    cr_expect_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.judgement WHERE target_id = "
                                       "'T5' AND area_code = '500105' AND period_type = 'month' "
                                       "AND actual = 0.9995 AND margin = -0.0005 AND actual < "
                                       "threshold"),
                 1);

    s_stop_and_rebuild(worker);
}

/* tests/data/lfl-*.csv: G 500107 reported quarterly in 2023 (3 deaths a
 * quarter) and monthly in 2024 (1 a month, January to November); F 500106
 * reports quarterly (2023: 2 a quarter; 2024: 1 a quarter, Q1 to Q3) and is
 * scheduled so. As of 2024-12-15. */
Test(aggregate, like_for_like_and_rhythm)
{
    char ep[64];
    pid_t worker = s_start_scheduled("UPDATE pingan.district_schedule SET period_type = 'quarter' "
                                     "WHERE district_code = '500106'",
                                     "2024-12-15", ep, sizeof ep, "lfl.err");
    s_send(ep, "tests/data/lfl-2023.csv");
    s_send(ep, "tests/data/lfl-2024.csv");

    /* G, 2024 so far: its span is January-November, but 2023 is known only
     * by quarters, so the like-for-like months are Q1-Q3: 9 against 9, not
     * January-November (11) against January-September (9). The projection
     * scales 2023's 12 by 9/9: 12 > 11.4, at risk so far; 9 of 11 months. */
    s_running_in("T1", "district", "500107", "2024 as of 2024-12-15", 9, 9, 12,
                 "incomplete/at_risk");
    s_status("T1", "district", "500107", "year", "2024-01-01", 9, 12, 11.4, "incomplete/at_risk",
             -0.6);
    s_coverage("T1", "district", "500107", "year", "2024-01-01", "27/27 towns, 9/11 months");
    /* G's Q3: its three months against 2023's Q3 report, as a whole. */
    s_status("T1", "district", "500107", "quarter", "2024-07-01", 3, 3, 2.85, "missed", -0.15);
    /* F reports quarterly: its span ends with the last elapsed quarter
     * (September), so Q1-Q3 is complete: 3 against 6, projected 4 against
     * 2023's 8 (threshold 7.6): met. Not due for months. */
    s_running_in("T1", "district", "500106", "2024 as of 2024-12-15", 3, 6, 4, "met/met");
    s_coverage("T1", "district", "500106", "year", "2024-01-01", "27/27 towns, 9/9 months");
    s_status("T1", "district", "500106", "month", "2024-03-01", NUL, NUL, NUL, "not_due", NUL);
    /* The city adds the two like-for-like pairs: 12 against 15, projected
     * 12/15 * 20 = 16 <= 19; 36 other districts have no data. */
    s_running_in("T1", "city", "500000", "2024 as of 2024-12-15", 12, 15, 16, "incomplete/met");
    s_status("T1", "city", "500000", "year", "2024-01-01", 12, 20, 19, "incomplete/met", 3);

    s_stop_and_rebuild(worker);
}

/* A step leaves the keys it read in the queue until its end and removes only
 * those not queued again since: a batch that re-queues a key while a step
 * runs (here: holds its row lock while the step ends) keeps it queued, so
 * the next step sees that batch's rows. Without such a batch the step
 * removes the key. */
Test(aggregate, key_queued_again_during_a_step_stays_queued)
{
    s_store("rq", (const char *const[]){"tests/data/agg-2024.csv", NULL});

    /* What a batch storing another revision of 500101's March does. */
    const char *queue = "SELECT pingan.aggregate_reports(ARRAY(SELECT r.id FROM pingan.report AS r "
                        "WHERE r.district_code = '500101' AND r.period_type = 'month' AND "
                        "r.period_start = '2024-03-01'))";
    const char *left = "SELECT count(*) FROM pingan.aggregate_queue";
    s_exec(queue);
    cr_assert_gt(pa_testdb_long(&s_db, "SELECT pingan.aggregate_pending(10)"), 0);
    cr_assert_eq(pa_testdb_long(&s_db, left), 0, "the step left its key queued");

    s_exec(queue);
    PGconn *batch = PQconnectdb(s_db.conninfo);
    cr_assert_eq(PQstatus(batch), CONNECTION_OK, "%s", PQerrorMessage(batch));
    PQclear(PQexec(batch, "BEGIN"));
    PGresult *res = PQexec(batch, queue);
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQerrorMessage(batch));
    PQclear(res);
    int step_pid = PQbackendPID(s_db.conn);
    cr_assert_eq(PQsendQuery(s_db.conn, "SELECT pingan.aggregate_pending(10)"), 1);
    /* The step has done its work and waits for the batch's row lock. */
    char waiting[160];
    snprintf(waiting, sizeof waiting,
             "SELECT count(*) FROM pg_stat_activity WHERE pid = %d AND wait_event_type = 'Lock'",
             step_pid);
    long waits = 0;
    for (int i = 0; i < 600 && waits == 0; i++) {
        res = PQexec(batch, waiting);
        waits = PQresultStatus(res) == PGRES_TUPLES_OK ? atol(PQgetvalue(res, 0, 0)) : -1;
        PQclear(res);
        if (waits == 0)
            usleep(50 * 1000);
    }
    cr_assert_eq(waits, 1, "the step did not wait for the batch's row lock");
    PQclear(PQexec(batch, "COMMIT"));
    PQfinish(batch);
    res = PQgetResult(s_db.conn);
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQerrorMessage(s_db.conn));
    cr_expect_gt(atol(PQgetvalue(res, 0, 0)), 0);
    PQclear(res);
    while ((res = PQgetResult(s_db.conn)))
        PQclear(res);
    cr_expect_eq(pa_testdb_long(&s_db, left), 1, "a key queued again during the step was removed");
    cr_assert_gt(pa_testdb_long(&s_db, "SELECT pingan.aggregate_pending(10)"), 0);
    cr_expect_eq(pa_testdb_long(&s_db, left), 0);
}

/* A step that finds every queued figure key taken by another step (the end
 * of a backfill, the other worker busy with its last districts) judges the
 * districts whose figures are done instead of returning with nothing. */
Test(aggregate, a_step_judges_done_districts_while_figures_are_taken)
{
    s_store("jd", (const char *const[]){"tests/data/agg-2024.csv", NULL});
    while (pa_testdb_long(&s_db, "SELECT pingan.aggregate_pending(10)") > 0)
        ;
    s_exec("SELECT pingan.aggregate_reports(ARRAY(SELECT r.id FROM pingan.report AS r "
           "WHERE r.district_code = '500101' AND r.period_type = 'month' AND "
           "r.period_start = '2024-03-01'))");
    s_exec("INSERT INTO pingan.judge_queue (district_code, period_type, period_start) "
           "VALUES ('500102', 'month', '2024-01-01')");
    /* Another step holds 500101, the only district with a figure key. */
    PGconn *other = PQconnectdb(s_db.conninfo);
    cr_assert_eq(PQstatus(other), CONNECTION_OK, "%s", PQerrorMessage(other));
    PQclear(PQexec(other, "BEGIN"));
    PGresult *res = PQexec(other, "SELECT pingan.try_lock_district('500101')");
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQerrorMessage(other));
    cr_assert_str_eq(PQgetvalue(res, 0, 0), "t");
    PQclear(res);

    cr_expect_eq(pa_testdb_long(&s_db, "SELECT pingan.aggregate_pending(10)"), 1,
                 "the step did not judge 500102's queued period");
    cr_expect_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.judge_queue "
                                       "WHERE district_code = '500102'"),
                 0);
    cr_expect_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.judge_queue "
                                       "WHERE district_code = pingan.city_code() "
                                       "AND period_type = 'month' AND period_start = '2024-01-01'"),
                 1, "the judged period was not queued for the city");
    cr_expect_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.aggregate_queue"), 1,
                 "the other step's figure key was touched");

    PQclear(PQexec(other, "COMMIT"));
    PQfinish(other);
    while (pa_testdb_long(&s_db, "SELECT pingan.aggregate_pending(10)") > 0)
        ;
    cr_expect_eq(pa_testdb_long(&s_db, "SELECT (SELECT count(*) FROM pingan.aggregate_queue) + "
                                       "(SELECT count(*) FROM pingan.judge_queue)"),
                 0);
}

/* While batches keep arriving, a figure step brings only months up to date
 * and leaves their quarters and years in rollup_queue, counted as queued in
 * v_aggregate_lag; the next step without batches sums them, and the result
 * equals a rebuild. */
Test(aggregate, a_backfill_step_leaves_quarters_and_years_for_its_end)
{
    s_store("ru", (const char *const[]){"tests/data/agg-2024.csv", NULL});
    s_snapshot();
    /* What a batch storing another revision of 500101's March queues. */
    s_exec("SELECT pingan.aggregate_reports(ARRAY(SELECT r.id FROM pingan.report AS r "
           "WHERE r.district_code = '500101' AND r.period_type = 'month' AND "
           "r.period_start = '2024-03-01'))");
    /* Gone, so that only summing them again brings them back. */
    s_exec("DELETE FROM pingan.figure WHERE district_code = '500101' AND period_type <> 'month' "
           "AND period_start = '2024-01-01'");

    cr_assert_gt(pa_testdb_long(&s_db, "SELECT pingan.figures_pending(10, true)"), 0);
    cr_expect_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.aggregate_queue"), 0);
    cr_expect_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.rollup_queue "
                                       "WHERE district_code = '500101'"),
                 2, "its quarter and year wait");
    cr_expect_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.figure WHERE "
                                       "district_code = '500101' AND period_type <> 'month' "
                                       "AND period_start = '2024-01-01'"),
                 0, "a busy step summed quarters or years");
    cr_expect_eq(pa_testdb_long(&s_db, "SELECT queued_figure_keys FROM pingan.v_aggregate_lag"), 2);

    /* No batch arriving: the step sums them (and judges, nothing else queued). */
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT pingan.batches_arriving()::int"), 0);
    cr_assert_gt(pa_testdb_long(&s_db, "SELECT pingan.aggregate_pending(10)"), 0);
    cr_expect_eq(pa_testdb_long(&s_db, "SELECT queued_keys FROM pingan.v_aggregate_lag"), 0);
    cr_expect_eq(s_differences(), 0);
}
