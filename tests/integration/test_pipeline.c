/* test_pipeline.c - the pipeline end to end: real pingan-worker and
 * pingan-produce processes, real ZeroMQ sockets, a real PostgreSQL. Checks
 * what landed row by row against the input files, read here independently
 * of the library's readers. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "pa_codec.h"
#include "pa_problem.h"
#include "pa_testenv.h"

static pa_testdb_t s_db;

static void s_setup(void)
{
    pa_testdb_create(&s_db);
}

static void s_teardown(void)
{
    pa_testdb_drop(&s_db);
}

TestSuite(pipeline, .init = s_setup, .fini = s_teardown, .timeout = 300);

/* Runs pingan-produce with args; returns its exit status. */
static int s_produce(const char *out_path, const char *err_path, char *const args[])
{
    return pa_testenv_produce(args, out_path, err_path, 120000);
}

/* Writes text to the temporary file name; returns its path (in buf). */
static char *s_write_tmp(const char *name, const char *text, char *buf, size_t size)
{
    FILE *f = fopen(pa_testenv_tmp(name, buf, size), "w");
    cr_assert(f, "could not write %s", buf);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
    return buf;
}

static int s_count_lines(const char *text, const char *prefix)
{
    int n = 0;
    for (const char *p = text; p && *p;) {
        if (strncmp(p, prefix, strlen(prefix)) == 0)
            n++;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return n;
}

/* Checks every data row of a simple example CSV (no quoted fields) against
 * pingan.v_value; returns the number of rows checked. */
static int s_check_csv_rows(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert(f, "cannot open %s", path);
    char line[1024];
    char *cols[16];
    int ncols = 0, idx_d = -1, idx_p = -1, idx_t = -1, idx_i = -1, idx_c = -1, idx_n = -1,
        idx_den = -1, rows = 0;
    cr_assert(fgets(line, sizeof line, f));
    line[strcspn(line, "\r\n")] = '\0';
    char *p = line + (strncmp(line, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0);
    for (char *tok = strsep(&p, ","); tok && ncols < 16; tok = strsep(&p, ",")) {
        if (!strcmp(tok, "district"))
            idx_d = ncols;
        if (!strcmp(tok, "period"))
            idx_p = ncols;
        if (!strcmp(tok, "town"))
            idx_t = ncols;
        if (!strcmp(tok, "indicator"))
            idx_i = ncols;
        if (!strcmp(tok, "count"))
            idx_c = ncols;
        if (!strcmp(tok, "numerator"))
            idx_n = ncols;
        if (!strcmp(tok, "denominator"))
            idx_den = ncols;
        ncols++;
    }
    cr_assert(idx_d >= 0 && idx_p >= 0 && idx_t >= 0 && idx_i >= 0 && idx_c >= 0 && idx_n >= 0 &&
                  idx_den >= 0,
              "%s: expected district,period,town,indicator,count,numerator,denominator", path);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0])
            continue;
        cr_assert(!strchr(line, '"'), "the row check reads only unquoted example files");
        int n = 0;
        p = line;
        for (char *tok = strsep(&p, ","); tok && n < 16; tok = strsep(&p, ","))
            cols[n++] = tok;
        cr_assert_eq(n, ncols, "%s: row %d has %d fields", path, rows + 2, n);
        char sql[1024];
        const char *town = cols[idx_t];
        char period_start[16];
        snprintf(period_start, sizeof period_start, "%s-01", cols[idx_p]);
        snprintf(sql, sizeof sql,
                 "SELECT coalesce(count::text, '') || '|' || coalesce(numerator::text, '') || '|' "
                 "|| coalesce(denominator::text, '') || '|' || (SELECT count(*) FROM "
                 "pingan.v_value w WHERE w.district_code = v.district_code AND w.period_start = "
                 "v.period_start AND w.indicator_code = v.indicator_code AND w.town_code IS NOT "
                 "DISTINCT FROM v.town_code) "
                 "FROM pingan.v_value v WHERE district_code = '%s' AND period_type = 'month' AND "
                 "period_start = '%s' AND indicator_code = '%s' AND town_code %s%s%s",
                 cols[idx_d], period_start, cols[idx_i], *town ? "= '" : "IS NULL",
                 *town ? town : "", *town ? "'" : "");
        char *got = pa_testdb_text(&s_db, sql);
        char want[256];
        snprintf(want, sizeof want, "%s|%s|%s|1", cols[idx_c], cols[idx_n], cols[idx_den]);
        cr_assert_str_eq(got, want, "%s row %d (%s %s %s %s): stored %s, file says %s", path,
                         rows + 2, cols[idx_d], cols[idx_p], town, cols[idx_i], got, want);
        free(got);
        rows++;
    }
    fclose(f);
    return rows;
}

Test(pipeline, example_month_lands_row_by_row_and_retry_stores_nothing_twice)
{
    char ep[64], werr[512], out[512], err[512], csv[512], json[512];
    pa_testenv_endpoint(ep, sizeof ep);
    pid_t w = pa_testenv_start_worker(&s_db, ep, pa_testenv_tmp("w1.err", werr, sizeof werr), NULL);
    pa_testenv_src("examples/2024-03.csv", csv, sizeof csv);
    pa_testenv_src("examples/2024-03.json", json, sizeof json);
    pa_testenv_tmp("p1.out", out, sizeof out);
    pa_testenv_tmp("p1.err", err, sizeof err);

    int status = s_produce(out, err, (char *[]){"--connect", ep, csv, json, NULL});
    char *text = pa_testenv_slurp(out);
    char *etext = pa_testenv_slurp(err);
    cr_assert_eq(status, 0, "first run exit %d\n%s\n%s", status, text, etext);
    long reports = pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report");
    long values = pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.value");
    cr_assert_gt(reports, 5);
    cr_assert_eq(s_count_lines(text, "stored "), reports, "one 'stored' line per report:\n%s",
                 text);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT sum(value_count) FROM pingan.report"), values);
    int rows = s_check_csv_rows(csv);
    cr_assert_gt(rows, 50);
    /* Raw bytes larger than a page's share go out of line, lz4-compressed
     * (sql/022_report_raw_lz4.sql; this server has lz4). */
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pg_attribute WHERE attrelid = "
                                       "'pingan.report'::regclass AND attname = 'raw' AND "
                                       "attstorage = 'x' AND attcompression = 'l'"),
                 1);
    free(text);
    free(etext);

    /* The same files again: every report a duplicate, no row added. */
    status = s_produce(out, err, (char *[]){"--connect", ep, csv, json, NULL});
    text = pa_testenv_slurp(out);
    cr_assert_eq(status, 0, "second run exit %d\n%s", status, text);
    cr_assert_eq(s_count_lines(text, "duplicate "), reports, "%s", text);
    cr_assert_eq(s_count_lines(text, "stored "), 0, "%s", text);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report"), reports);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.value"), values);
    free(text);
    pa_testenv_stop_worker(w);
}

/* Each file is sent while the next one is read: files still go in the
 * order given, and a file with a syntax error sends nothing while those
 * around it are sent whole. One report per submission and a window of one,
 * so that a file takes many turns of the window and the worker stores the
 * reports in the order sent (it orders a batch's reports by district). */
Test(pipeline, files_go_in_order_and_a_broken_one_between_sends_nothing)
{
    char ep[64], werr[512], out[512], err[512], csv[512], json[512], broken[512];
    pa_testenv_endpoint(ep, sizeof ep);
    pid_t w = pa_testenv_start_worker(&s_db, ep, pa_testenv_tmp("w5.err", werr, sizeof werr), NULL);
    pa_testenv_src("examples/2024-03.csv", csv, sizeof csv);
    pa_testenv_src("examples/2024-03.json", json, sizeof json);
    s_write_tmp("broken.csv",
                "district,period,town,indicator,count,numerator,denominator\n"
                "500104,2024-03,,ws_deaths,1,,\n"
                "500104,2024-03,,fire_incidents,two,,\n",
                broken, sizeof broken);
    pa_testenv_tmp("p5.out", out, sizeof out);
    pa_testenv_tmp("p5.err", err, sizeof err);
    int status = s_produce(out, err,
                           (char *[]){"--connect", ep, "--batch-reports", "1", "--window", "1", csv,
                                      broken, json, NULL});
    char *text = pa_testenv_slurp(out);
    char *etext = pa_testenv_slurp(err);
    cr_assert_eq(status, 2, "exit %d\n%s\n%s", status, text, etext);
    char where[700];
    snprintf(where, sizeof where, "%s:3:5: count:", broken);
    cr_assert(strstr(etext, where), "%s", etext);
    long from_csv = pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report WHERE district_code "
                                          "IN ('500101', '500103', '500112', '500229')");
    long from_json = pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report WHERE district_code "
                                           "IN ('500105', '500106', '500240')");
    cr_assert_gt(from_csv, 1);
    cr_assert_gt(from_json, 1);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report"), from_csv + from_json);
    cr_assert_eq(s_count_lines(text, "stored "), from_csv + from_json, "%s", text);
    /* Every report of the first file was stored before any of the last. */
    cr_assert_eq(pa_testdb_long(&s_db,
                                "SELECT ((SELECT max(id) FROM pingan.report WHERE district_code "
                                "IN ('500101', '500103', '500112', '500229')) < (SELECT min(id) "
                                "FROM pingan.report WHERE district_code IN ('500105', '500106', "
                                "'500240')))::int"),
                 1);
    free(text);
    free(etext);
    pa_testenv_stop_worker(w);
}

Test(pipeline, rejections_exit_one_and_land_in_quarantine)
{
    char ep[64], werr[512], out[512], err[512], bad[512], errs[512];
    pa_testenv_endpoint(ep, sizeof ep);
    pid_t w = pa_testenv_start_worker(&s_db, ep, pa_testenv_tmp("w2.err", werr, sizeof werr), NULL);
    s_write_tmp("bad.csv",
                "district,period,town,indicator,count,numerator,denominator\n"
                "500101,2024-02,500101001,ws_deaths,1,,\n"
                "500101,2024-02,500101001,event_closure,,9,10\n"
                "500102,2024-02,500101003,ws_deaths,2,,\n"
                "500102,2024-02,,event_closure,,12,10\n",
                bad, sizeof bad);
    pa_testenv_tmp("p2.out", out, sizeof out);
    pa_testenv_tmp("p2.err", err, sizeof err);
    pa_testenv_tmp("rejections.csv", errs, sizeof errs);
    int status = s_produce(out, err, (char *[]){"--connect", ep, "--errors", errs, bad, NULL});
    char *text = pa_testenv_slurp(out);
    cr_assert_eq(status, 1, "exit %d: %s", status, text);
    cr_assert(strstr(text, "stored 500101 2024-02 r1 "), "%s", text);
    cr_assert(strstr(text, "rejected 500102 2024-02 "), "%s", text);
    cr_assert(strstr(text, "values[0].town: town 500101003 belongs to district 500101"), "%s",
              text);
    cr_assert(strstr(text, "values[1].ratio.numerator: numerator 12 is above denominator 10"), "%s",
              text);
    /* Each rejection line starts with the file and line of the value, and
     * names its town and indicator (line 4 is the third report row). */
    char where[700];
    snprintf(where, sizeof where, "%s:4: rejected 500102 2024-02 ", bad);
    cr_assert(strstr(text, where), "%s", text);
    cr_assert(strstr(text, ": town 500101003 ws_deaths: values[0].town: "), "%s", text);
    snprintf(where, sizeof where, "%s:5: rejected 500102 2024-02 ", bad);
    cr_assert(strstr(text, where), "%s", text);
    cr_assert(strstr(text, ": event_closure: values[1].ratio.numerator: "), "%s", text);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report"), 1);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.value"), 2);
    /* One quarantine row for the submission of two reports, holding its
     * bytes, and one row for the refused report. */
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.quarantine"), 1);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.quarantine_report AS r "
                                       "JOIN pingan.quarantine AS q ON q.id = r.quarantine_id "
                                       "WHERE r.district_code = '500102' AND r.item = 1 "
                                       "AND r.problems = 2 AND q.reports = 2 AND q.raw IS NOT "
                                       "NULL AND q.reasons = '[]'"),
                 1);
    char *reasons = pa_testdb_text(
        &s_db, "SELECT string_agg(reason, ',' ORDER BY reason) FROM pingan.v_quarantine");
    cr_assert_str_eq(reasons, "numerator_above_denominator,town_not_in_district");
    char *csv = pa_testenv_slurp(errs);
    cr_assert(strstr(csv, "file,line,district,period,town,indicator,field,reason,message,"
                          "revision,report_id\n"),
              "%s", csv);
    cr_assert(strstr(csv, "\"4\",\"500102\",\"2024-02\",\"500101003\",\"ws_deaths\","
                          "\"values[0].town\",\"town_not_in_district\","),
              "%s", csv);
    cr_assert(strstr(csv, "\"5\",\"500102\",\"2024-02\",\"\",\"event_closure\","
                          "\"values[1].ratio.numerator\",\"numerator_above_denominator\","),
              "%s", csv);
    free(csv);
    free(reasons);
    free(text);

    /* A file with a syntax error sends nothing and exits 2 naming the line. */
    s_write_tmp("bad.csv",
                "district,period,town,indicator,count,numerator,denominator\n"
                "500103,2024-02,500103001,ws_deaths,1,,\n"
                "500103,2024-02,500103002,ws_deaths,x1,,\n",
                bad, sizeof bad);
    status = s_produce(out, err, (char *[]){"--connect", ep, "--errors", errs, bad, NULL});
    char *etext = pa_testenv_slurp(err);
    cr_assert_eq(status, 2, "exit %d: %s", status, etext);
    cr_assert(strstr(etext, ":3:"), "the error names line 3: %s", etext);
    /* --errors holds the syntax error too, with its file and line. */
    csv = pa_testenv_slurp(errs);
    char row[700];
    snprintf(row, sizeof row, "\"%s\",\"3\",\"\",\"\",\"\",\"\",\"\",\"syntax_error\",", bad);
    cr_assert(strstr(csv, row), "%s", csv);
    free(csv);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report WHERE district_code = "
                                       "'500103'"),
                 0, "nothing of a broken file is sent");
    free(etext);
    pa_testenv_stop_worker(w);
}

Test(pipeline, standard_input_and_dry_run)
{
    char ep[64], werr[512], out[512], err[512], csv[512], bin[512];
    pa_testenv_endpoint(ep, sizeof ep);
    pid_t w = pa_testenv_start_worker(&s_db, ep, pa_testenv_tmp("w7.err", werr, sizeof werr), NULL);
    pa_testenv_src("examples/2024-03.csv", csv, sizeof csv);
    pa_testenv_bin("pingan-produce", bin, sizeof bin);

    /* --dry-run with --connect: the worker judges every report, stores nothing. */
    char *dry[] = {bin, "--connect", ep, "--dry-run", csv, NULL};
    pid_t p = pa_testenv_spawn(dry, NULL, pa_testenv_tmp("p7.out", out, sizeof out),
                               pa_testenv_tmp("p7.err", err, sizeof err));
    cr_assert_eq(pa_testenv_wait(p, 60000), 0);
    char *text = pa_testenv_slurp(out);
    cr_assert_eq(s_count_lines(text, "would store "), 4, "%s", text);
    free(text);
    text = pa_testenv_slurp(err);
    cr_assert(strstr(text, "(dry run: nothing was stored)"), "%s", text);
    free(text);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report"), 0);
    /* Without --connect it checks only what it can offline, and says so. */
    char *offline[] = {bin, "--dry-run", csv, NULL};
    p = pa_testenv_spawn(offline, NULL, out, err);
    cr_assert_eq(pa_testenv_wait(p, 60000), 0);
    text = pa_testenv_slurp(out);
    char want[600];
    snprintf(want, sizeof want, "%s: ok (syntax only: no worker was asked)\n", csv);
    cr_assert_str_eq(text, want);
    free(text);

    /* An extra column is refused, naming the valid ones, unless it is ignored. */
    char extra[512];
    s_write_tmp("remarks.csv",
                "district,period,town,indicator,count,numerator,denominator,remarks\n"
                "500101,2024-03,500101001,ws_deaths,0,,,checked by phone\n",
                extra, sizeof extra);
    char *strict[] = {bin, "--connect", ep, "--dry-run", extra, NULL};
    p = pa_testenv_spawn(strict, NULL, out, err);
    cr_assert_eq(pa_testenv_wait(p, 60000), 2);
    text = pa_testenv_slurp(err);
    cr_assert(strstr(text, "remarks: unknown column (the columns are district,"), "%s", text);
    free(text);
    char *lenient[] = {bin,       "--connect", ep,  "--dry-run", "--ignore-columns",
                       "remarks", extra,       NULL};
    p = pa_testenv_spawn(lenient, NULL, out, err);
    cr_assert_eq(pa_testenv_wait(p, 60000), 0);

    /* "-" reads standard input (the format must then be named). */
    char *from_stdin[] = {bin, "--connect", ep, "--format", "csv", "-", NULL};
    p = pa_testenv_spawn_stdin(from_stdin, NULL, csv, out, err);
    cr_assert_eq(pa_testenv_wait(p, 60000), 0);
    text = pa_testenv_slurp(out);
    cr_assert_eq(s_count_lines(text, "stored "), 4, "%s", text);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report"), 4);
    free(text);

    /* Without --format, stdin is a usage error (exit 2), not a guess. */
    char *no_format[] = {bin, "--connect", ep, "-", NULL};
    p = pa_testenv_spawn_stdin(no_format, NULL, csv, out, err);
    cr_assert_eq(pa_testenv_wait(p, 60000), 2);
    pa_testenv_stop_worker(w);
}

Test(pipeline, two_workers_share_one_producer)
{
    char ep1[64], ep2[64], e1[512], e2[512], out[512], err[512], csv[512], json[512];
    pa_testenv_endpoint(ep1, sizeof ep1);
    pid_t w1 = pa_testenv_start_worker(&s_db, ep1, pa_testenv_tmp("w3a.err", e1, sizeof e1), NULL);
    pa_testenv_endpoint(ep2, sizeof ep2);
    pid_t w2 = pa_testenv_start_worker(&s_db, ep2, pa_testenv_tmp("w3b.err", e2, sizeof e2), NULL);
    char both[160];
    snprintf(both, sizeof both, "%s,%s", ep1, ep2);
    pa_testenv_src("examples/2024-03.csv", csv, sizeof csv);
    pa_testenv_src("examples/2024-03.json", json, sizeof json);
    int status = s_produce(
        pa_testenv_tmp("p3.out", out, sizeof out), pa_testenv_tmp("p3.err", err, sizeof err),
        /* One submission in flight at a time: the second worker's
         * connection is up long before the last of them. */
        (char *[]){"--connect", both, "--batch-reports", "1", "--window", "1", csv, json, NULL});
    char *text = pa_testenv_slurp(out);
    cr_assert_eq(status, 0, "%s", text);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(DISTINCT worker) FROM pingan.report"), 2,
                 "round robin reached both workers");
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report"),
                 s_count_lines(text, "stored "));
    free(text);
    pa_testenv_stop_worker(w1);
    pa_testenv_stop_worker(w2);
}

Test(pipeline, producer_waits_for_a_late_worker_and_resends)
{
    char ep[64], werr[512], out[512], err[512], csv[512];
    pa_testenv_endpoint(ep, sizeof ep);
    pa_testenv_src("examples/2024-03.csv", csv, sizeof csv);
    char bin[512];
    char *argv[] = {pa_testenv_bin("pingan-produce", bin, sizeof bin),
                    "--connect",
                    ep,
                    "--timeout-ms",
                    "300",
                    "--retries",
                    "100",
                    csv,
                    NULL};
    pid_t p = pa_testenv_spawn(argv, NULL, pa_testenv_tmp("p4.out", out, sizeof out),
                               pa_testenv_tmp("p4.err", err, sizeof err));
    /* No worker yet: the producer must hold on to its reports. */
    cr_assert_eq(waitpid(p, NULL, WNOHANG), 0, "producer gave up without a worker");
    pid_t w = pa_testenv_start_worker(&s_db, ep, pa_testenv_tmp("w4.err", werr, sizeof werr), NULL);
    int status = pa_testenv_wait(p, 60000);
    char *text = pa_testenv_slurp(out);
    cr_assert_eq(status, 0, "%s", text);
    cr_assert_gt(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report"), 0);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report"),
                 s_count_lines(text, "stored ") + s_count_lines(text, "duplicate "));
    free(text);
    pa_testenv_stop_worker(w);
}

Test(pipeline, worker_refuses_an_uninitialised_database)
{
    pa_testdb_t empty;
    memset(&empty, 0, sizeof empty);
    snprintf(empty.dbname, sizeof empty.dbname, "pingan_empty_%d", (int)getpid());
    char sql[128];
    PGconn *admin = PQconnectdb("dbname=postgres");
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", empty.dbname);
    PQclear(PQexec(admin, sql));
    PQfinish(admin);
    char bin[512], ep[64], err[512];
    char *argv[] = {pa_testenv_bin("pingan-worker", bin, sizeof bin), "--bind",
                    pa_testenv_endpoint(ep, sizeof ep), NULL};
    pid_t w = pa_testenv_spawn(argv, empty.dbname, NULL, pa_testenv_tmp("w5.err", err, sizeof err));
    int status = pa_testenv_wait(w, 20000);
    char *text = pa_testenv_slurp(err);
    cr_assert_eq(status, 1, "%s", text);
    cr_assert(strstr(text, "run pingan-worker --init-db"), "%s", text);
    free(text);
    pa_testdb_drop(&empty);
}

/* A raw DEALER, as a client in another language would be. */
static pa_receipt_t *s_raw_exchange(const char *ep, const void *tag, size_t tag_len,
                                    const void *body, size_t len, char *tag_back)
{
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0, timeout = 20000;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    cr_assert_eq(zmq_connect(s, ep), 0);
    cr_assert_eq(zmq_send(s, "", 0, ZMQ_SNDMORE), 0);
    cr_assert_eq(zmq_send(s, tag, tag_len, ZMQ_SNDMORE), (int)tag_len);
    cr_assert_eq(zmq_send(s, body, len, 0), (int)len);
    char empty[8], rec[65536];
    cr_assert_eq(zmq_recv(s, empty, sizeof empty, 0), 0, "no receipt: %s",
                 zmq_strerror(zmq_errno()));
    int n = zmq_recv(s, tag_back, 64, 0);
    cr_assert_eq(n, (int)tag_len);
    int m = zmq_recv(s, rec, sizeof rec, 0);
    cr_assert_gt(m, 0);
    pa_receipt_t *r = NULL;
    cr_assert_eq(pa_codec_decode_receipt(rec, (size_t)m, &r, NULL), PA_OK);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return r;
}

Test(pipeline, undecodable_and_empty_submissions_get_a_receipt_and_are_kept)
{
    char ep[64], werr[512], tag_back[64];
    pa_testenv_endpoint(ep, sizeof ep);
    pid_t w = pa_testenv_start_worker(&s_db, ep, pa_testenv_tmp("w6.err", werr, sizeof werr),
                                      "--max-submission-bytes=2048");
    const char garbage[] = "\xff\xff\xff\xff this is not protobuf";
    pa_receipt_t *r = s_raw_exchange(ep, "abc", 3, garbage, sizeof garbage - 1, tag_back);
    cr_assert_eq(memcmp(tag_back, "abc", 3), 0);
    cr_assert_eq(r->status, PA_STATUS_REJECTED);
    cr_assert_eq(r->reason, PA_REASON_UNDECODABLE);
    pa_receipt_destroy(&r);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.v_quarantine WHERE reason = "
                                       "'undecodable' AND raw_bytes = 25"),
                 1);

    uint8_t *body = NULL;
    size_t len = 0;
    cr_assert_eq(pa_codec_encode_submission("raw", NULL, 0, &body, &len, NULL), PA_OK);
    r = s_raw_exchange(ep, "t2", 2, body, len, tag_back);
    cr_assert_eq(r->status, PA_STATUS_REJECTED);
    cr_assert_eq(r->reason, PA_REASON_EMPTY_SUBMISSION);
    pa_receipt_destroy(&r);
    free(body);

    /* Above the limit: refused by a receipt, and its head kept. */
    char *big = calloc(1, 5000);
    r = s_raw_exchange(ep, "t3", 2, big, 5000, tag_back);
    cr_assert_eq(r->status, PA_STATUS_REJECTED);
    cr_assert_eq(r->reason, PA_REASON_OVERSIZE);
    pa_receipt_destroy(&r);
    free(big);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.v_quarantine WHERE reason = "
                                       "'oversize' AND raw_bytes = 5000"),
                 1);
    pa_testenv_stop_worker(w);
}
