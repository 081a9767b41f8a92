/* test_aggregate.c - aggregation and target evaluation (sql/006-008) end to
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
             "FROM pingan.aggregate WHERE indicator_code = '%s' AND level = '%s' "
             "AND area_code = '%s' AND period_type = '%s' AND period_start = '%s'",
             ind, level, area, ptype, start);
    char *got = pa_testdb_text(&s_db, sql);
    cr_expect_str_eq(got, want, "source of %s %s %s %s %s", ind, level, area, ptype, start);
    free(got);
}

/* One row of pingan.v_target_status. */
static void s_status(const char *target, const char *level, const char *area, const char *ptype,
                     const char *start, double actual, double reference, double threshold,
                     const char *status, double margin)
{
    char sql[1024], what[256];
    snprintf(sql, sizeof sql,
             "SELECT actual, reference, threshold, margin, status FROM pingan.v_target_status "
             "WHERE target_id = '%s' AND level = '%s' AND area_code = '%s' "
             "AND period_type = '%s' AND period_start = '%s'",
             target, level, area, ptype, start);
    snprintf(what, sizeof what, "%s %s %s %s %s", target, level, area, ptype, start);
    PGresult *res = s_one_row(sql);
    s_num(res, 0, actual, what);
    s_num(res, 1, reference, what);
    s_num(res, 2, threshold, what);
    s_num(res, 3, margin, what);
    cr_expect_str_eq(PQgetvalue(res, 0, 4), status, "%s: status", what);
    PQclear(res);
}

/* A running period: ytd_actual, ytd_reference, projection and status. */
static void s_running(const char *target, const char *level, const char *area, double ytd_actual,
                      double ytd_reference, double projection, const char *status)
{
    char sql[1024], what[256];
    snprintf(sql, sizeof sql,
             "SELECT ytd_actual, ytd_reference, projection, status FROM pingan.v_target_status "
             "WHERE target_id = '%s' AND level = '%s' AND area_code = '%s' "
             "AND period_type = 'year' AND period_start = '2024-01-01'",
             target, level, area);
    snprintf(what, sizeof what, "%s %s %s 2024 as of 2024-04-15", target, level, area);
    PGresult *res = s_one_row(sql);
    s_num(res, 0, ytd_actual, what);
    s_num(res, 1, ytd_reference, what);
    s_num(res, 2, projection, what);
    cr_expect_str_eq(PQgetvalue(res, 0, 3), status, "%s: status", what);
    PQclear(res);
}

/* Rows of pingan.aggregate missing from snapshot, plus rows of snapshot
 * missing from pingan.aggregate. */
static long s_differences(const char *snapshot)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT (SELECT count(*) FROM (SELECT * FROM pingan.aggregate EXCEPT "
             "SELECT * FROM %s) AS a) + (SELECT count(*) FROM (SELECT * FROM %s EXCEPT "
             "SELECT * FROM pingan.aggregate) AS b)",
             snapshot, snapshot);
    return pa_testdb_long(&s_db, sql);
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
    s_status("T4", "city", "500000", "year", "2024-01-01", 0, NUL, 0, "met", 0);

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

    /* Targets for 2024 (a complete year). T1, down 5 % on 2023: */
    /* city 8 against the baseline 10: threshold 9.5, met by 1.5. */
    s_status("T1", "city", "500000", "year", "2024-01-01", 8, 10, 9.5, "met", 1.5);
    /* A 4 against its 2023 reports 4: threshold 3.8, missed by 0.2; B likewise. */
    s_status("T1", "district", "500101", "year", "2024-01-01", 4, 4, 3.8, "missed", -0.2);
    s_status("T1", "district", "500102", "year", "2024-01-01", 4, 4, 3.8, "missed", -0.2);
    /* Towns: B1 2 against 3 (threshold 2.85) met; B2 2 against 1 missed. */
    s_status("T1", "town", "500102001", "year", "2024-01-01", 2, 3, 2.85, "met", 0.85);
    s_status("T1", "town", "500102002", "year", "2024-01-01", 2, 1, 0.95, "missed", -1.05);
    s_status("T1", "district", "500103", "year", "2024-01-01", NUL, NUL, NUL, "no_data", NUL);
    /* 2023 has no earlier year: no_baseline. */
    s_status("T1", "city", "500000", "year", "2023-01-01", 8, NUL, NUL, "no_baseline", NUL);
    /* T2 fire_incidents: 2024 only (A March 2 + 1), no 2023 figure anywhere. */
    s_status("T2", "city", "500000", "year", "2024-01-01", 3, NUL, NUL, "no_baseline", NUL);
    s_status("T2", "district", "500102", "year", "2024-01-01", NUL, NUL, NUL, "no_data", NUL);
    /* T4: the corrected June report of A has one major accident. */
    s_status("T4", "city", "500000", "year", "2024-01-01", 1, NUL, 0, "missed", -1);
    s_status("T4", "district", "500101", "year", "2024-01-01", 1, NUL, 0, "missed", -1);
    s_status("T4", "district", "500102", "year", "2024-01-01", 0, NUL, 0, "met", 0);
    s_status("T4", "city", "500000", "quarter", "2024-01-01", 0, NUL, 0, "met", 0);
    s_status("T4", "city", "500000", "month", "2024-06-01", 1, NUL, 0, "missed", -1);
    /* T9 >= 95 %: city 139/143, A 119/122, B 20/21 met; A1 11/12 missed. */
    s_status("T9", "city", "500000", "year", "2024-01-01", 139.0 / 143, NUL, 0.95, "met",
             139.0 / 143 - 0.95);
    s_status("T9", "district", "500102", "year", "2024-01-01", 20.0 / 21, NUL, 0.95, "met",
             20.0 / 21 - 0.95);
    s_status("T9", "town", "500101001", "year", "2024-01-01", 11.0 / 12, NUL, 0.95, "missed",
             11.0 / 12 - 0.95);
    /* T7 per town (year-end position >= 60 %): A1 8/10, A2 6/10 (June),
     * B1 7/10, B2 6/10 (May) all meet; every other town has no data. A has
     * 28 towns: 2/28; B 2/28; the city 4/1031. */
    s_status("T7", "town", "500101002", "year", "2024-01-01", 0.6, NUL, 0.6, "met", 0);
    s_status("T7", "town", "500102002", "year", "2024-01-01", 0.6, NUL, 0.6, "met", 0);
    s_status("T7", "town", "500101003", "year", "2024-01-01", NUL, NUL, 0.6, "no_data", NUL);
    s_status("T7", "district", "500101", "year", "2024-01-01", 2.0 / 28, NUL, 1, "missed",
             2.0 / 28 - 1);
    s_status("T7", "city", "500000", "year", "2024-01-01", 4.0 / 1031, NUL, 1, "missed",
             4.0 / 1031 - 1);
    s_status("T7", "district", "500103", "year", "2024-01-01", NUL, NUL, 1, "no_data", NUL);
    /* T7 in 2023: A2 was at 6/10 in June but A1 too: both meet. */
    s_status("T7", "town", "500101001", "year", "2023-01-01", 0.6, NUL, 0.6, "met", 0);
    /* T10: towns online at the year end, A 2 of 28, the city 4 of 1031. */
    s_status("T10", "city", "500000", "year", "2024-01-01", 4, NUL, 1031, "missed", -1027);
    s_status("T10", "district", "500101", "year", "2024-01-01", 2, NUL, 28, "missed", -26);
    s_status("T10", "town", "500101001", "year", "2024-01-01", 1, NUL, 1, "met", 0);
    /* No data at all for T5, T6, T8 or R1: they are not listed. */
    cr_expect_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.v_target_status WHERE "
                                       "target_id IN ('T5', 'T6', 'T8', 'R1')"),
                 0);
    /* The scorecard: 38 districts + the city per target and period. */
    cr_expect_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.v_district_scorecard WHERE "
                                       "target_id = 'T1' AND period_type = 'year' AND "
                                       "period_start = '2024-01-01'"),
                 39);
    cr_expect_eq(pa_testdb_long(&s_db, "SELECT districts_missed FROM pingan.v_city_summary WHERE "
                                       "target_id = 'T1' AND period_type = 'year' AND "
                                       "period_start = '2024-01-01'"),
                 2);

    /* Part-way through 2024: as of 2024-04-15, the year to date is Q1. */
    s_exec("UPDATE pingan.settings SET as_of = '2024-04-15'");
    /* T1 city: ytd 5 (A March 2 + B Q1 3) against 2023 Q1 3 (A March; B
     * reported 2023 only as a year): projection 5/3 * 10 = 16.67 > 9.5. */
    s_running("T1", "city", "500000", 5, 3, 5.0 / 3 * 10, "at_risk");
    s_status("T1", "city", "500000", "year", "2024-01-01", 5, 10, 9.5, "at_risk", 9.5 - 50.0 / 3);
    /* T9 city ytd: A March 100/102 + B Q1 19/20 = 119/122, on track. */
    s_running("T9", "city", "500000", 119.0 / 122, NUL, 119.0 / 122, "met");
    /* T4: the June accident is after the as-of day. */
    s_running("T4", "city", "500000", 0, NUL, 0, "met");
    /* T10: latest position Q1: A 2 + B 1 = 3 of 1031. */
    s_running("T10", "city", "500000", 3, NUL, 3, "at_risk");
    /* T7: A2 5/10 in March and B2 5/10 in Q1 are below 60 %. */
    s_running("T7", "town", "500101002", 0.5, NUL, 0.5, "at_risk");
    s_status("T7", "district", "500102", "year", "2024-01-01", 1.0 / 28, NUL, 1, "at_risk",
             1.0 / 28 - 1);
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
    s_exec("CREATE TABLE public.incremental AS SELECT * FROM pingan.aggregate");
    s_rebuild_with_worker();
    cr_expect_eq(s_differences("public.incremental"), 0);
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
                                "count_sum FROM pingan.aggregate WHERE level = 'district' AND "
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
    cr_expect_gt(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.aggregate WHERE revised > 0 "
                                       "AND period_type = 'year'"),
                 0);
    /* And the concurrent result equals a rebuild from the stored reports. */
    s_exec("CREATE TABLE public.incremental AS SELECT * FROM pingan.aggregate");
    cr_assert_gt(pa_testdb_long(&s_db, "SELECT pingan.rebuild_aggregates()"), 0);
    cr_expect_eq(s_differences("public.incremental"), 0);
}

Test(aggregate, rebuild_is_identical)
{
    char ep[64], err_path[512];
    pa_testenv_endpoint(ep, sizeof ep);
    pid_t worker =
        pa_testenv_start_worker(&s_db, ep, pa_testenv_tmp("rb.err", err_path, 512), NULL);
    /* The JSON example's districts differ from the fixture's. */
    s_send(ep, "examples/2024-03.json");
    s_send(ep, "tests/data/agg-2023.csv");
    s_send(ep, "tests/data/agg-2024.csv");
    s_send(ep, "tests/data/agg-2024-r2.csv");
    pa_testenv_stop_worker(worker);

    long rows = pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.aggregate");
    cr_assert_gt(rows, 500);
    s_exec("CREATE TABLE public.incremental AS SELECT * FROM pingan.aggregate");
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT pingan.rebuild_aggregates()"), rows);
    cr_expect_eq(s_differences("public.incremental"), 0);
    /* The evaluation built on it is the same too. */
    s_exec("CREATE TABLE public.status AS SELECT * FROM pingan.v_target_status");
    s_exec("DELETE FROM pingan.aggregate");
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.v_target_status"), 0);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT pingan.rebuild_aggregates()"), rows);
    cr_expect_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM (SELECT * FROM public.status EXCEPT "
                                       "SELECT * FROM pingan.v_target_status) AS a"),
                 0);
    cr_expect_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM (SELECT * FROM "
                                       "pingan.v_target_status EXCEPT SELECT * FROM "
                                       "public.status) AS a"),
                 0);
}
