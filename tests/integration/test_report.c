/* test_report.c - pingan-report end to end: tests/data/report_{2023,2024}.csv
 * go through the real pipeline (pingan-produce -> ZeroMQ -> pingan-worker ->
 * PostgreSQL, migrations from sql/), then the real pingan-report binary is
 * run against that database and its table, CSV and JSON are checked; the
 * HTML page is rendered by headless Chromium into a PNG.
 *
 * The fixture: 500101 (万州区) and 500102 (涪陵区) report every month of 2023
 * and 2024, 500103 (渝中区) only 2024, nobody else anything.
 *   500101: ws_deaths 24 -> 12 (T1 met), event_closure 2024 198/200 (T9 met),
 *           1 industrial zone (R1 met)
 *   500102: ws_deaths 12 -> 24 (T1 missed), event_closure 2024 170/200 (T9
 *           missed), one major accident in 2024-06 (T4 missed, also for the
 *           city), 3 industrial zones (R1 missed)
 *   500103: no 2023 data (T1 no_baseline)
 *   500104: nothing (no_data) */
#include <criterion/criterion.h>
#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

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

TestSuite(report, .init = s_setup, .fini = s_teardown, .timeout = 300);

/* Sends both fixture files through a real worker; every report must be stored. */
static void s_load_fixture(void)
{
    char ep[64], werr[512], out[512], err[512], y23[512], y24[512], bin[512];
    pa_testenv_endpoint(ep, sizeof ep);
    pid_t w = pa_testenv_start_worker(&s_db, ep, pa_testenv_tmp("rw.err", werr, sizeof werr), NULL);
    pa_testenv_src("tests/data/report_2023.csv", y23, sizeof y23);
    pa_testenv_src("tests/data/report_2024.csv", y24, sizeof y24);
    char *argv[] = {pa_testenv_bin("pingan-produce", bin, sizeof bin),
                    "--connect",
                    ep,
                    "--quiet",
                    y23,
                    y24,
                    NULL};
    pid_t pid = pa_testenv_spawn(argv, NULL, pa_testenv_tmp("rp.out", out, sizeof out),
                                 pa_testenv_tmp("rp.err", err, sizeof err));
    int status = pa_testenv_wait(pid, 120000);
    char *text = pa_testenv_slurp(out);
    char *etext = pa_testenv_slurp(err);
    char *wlog = pa_testenv_slurp(werr);
    cr_assert_eq(status, 0, "pingan-produce exit %d\n%s\n%s\nworker:\n%s", status, text, etext,
                 wlog);
    cr_assert(strstr(etext, "stored=64 "), "%s", etext);
    free(text);
    free(etext);
    free(wlog);
    pa_testdb_wait_aggregated(&s_db, 60000);
    pa_testenv_stop_worker(w);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report"), 64);
}

/* Runs pingan-report with args on the test database; returns its exit
 * status, stdout in *out and stderr in *err (caller frees both). */
static int s_report(char *const args[], char **out, char **err)
{
    char bin[512], out_path[512], err_path[512];
    char *argv[32] = {pa_testenv_bin("pingan-report", bin, sizeof bin)};
    int n = 1;
    for (int i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid =
        pa_testenv_spawn(argv, s_db.dbname, pa_testenv_tmp("rr.out", out_path, sizeof out_path),
                         pa_testenv_tmp("rr.err", err_path, sizeof err_path));
    int status = pa_testenv_wait(pid, 60000);
    *out = pa_testenv_slurp(out_path);
    *err = pa_testenv_slurp(err_path);
    return status;
}

/* ---- CSV read back with libcsv ---------------------------------------- */

#define S_MAX_RECORDS 2000
#define S_NFIELDS     28

typedef struct {
    char *f[S_MAX_RECORDS][S_NFIELDS];
    int nrec, nfield, bad;
} s_csv_t;

static void s_csv_field(void *data, size_t len, void *ctx)
{
    s_csv_t *c = ctx;
    if (c->nrec < S_MAX_RECORDS && c->nfield < S_NFIELDS)
        c->f[c->nrec][c->nfield] = strndup(data ? data : "", len);
    c->nfield++;
}

static void s_csv_record(int ch, void *ctx)
{
    (void)ch;
    s_csv_t *c = ctx;
    if (c->nfield != S_NFIELDS)
        c->bad++;
    c->nrec++;
    c->nfield = 0;
}

static s_csv_t *s_csv_parse(const char *text)
{
    s_csv_t *c = calloc(1, sizeof *c);
    cr_assert(c);
    struct csv_parser p;
    cr_assert_eq(csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL), 0);
    size_t len = strlen(text);
    cr_assert_eq(csv_parse(&p, text, len, s_csv_field, s_csv_record, c), len, "csv: %s",
                 csv_strerror(csv_error(&p)));
    cr_assert_eq(csv_fini(&p, s_csv_field, s_csv_record, c), 0);
    csv_free(&p);
    cr_assert_eq(c->bad, 0, "every record has %d fields", S_NFIELDS);
    cr_assert_lt(c->nrec, S_MAX_RECORDS);
    return c;
}

static void s_csv_free(s_csv_t *c)
{
    for (int r = 0; r < c->nrec && r < S_MAX_RECORDS; r++)
        for (int i = 0; i < S_NFIELDS; i++)
            free(c->f[r][i]);
    free(c);
}

/* Column numbers, from the header. */
enum { C_TARGET = 3, C_AREA = 6, C_NAME = 7, C_STATUS = 8, C_ACTUAL = 9, C_REF = 10 };

static char **s_csv_find(s_csv_t *c, const char *area, const char *target)
{
    char **found = NULL;
    for (int r = 1; r < c->nrec; r++)
        if (strcmp(c->f[r][C_AREA], area) == 0 && strcmp(c->f[r][C_TARGET], target) == 0) {
            cr_assert_null(found, "two rows for %s %s", area, target);
            found = c->f[r];
        }
    cr_assert(found, "no row for %s %s", area, target);
    return found;
}

static void s_expect(s_csv_t *c, const char *area, const char *target, const char *status,
                     double actual, double reference)
{
    char **row = s_csv_find(c, area, target);
    cr_assert_str_eq(row[C_STATUS], status, "%s %s: status %s, want %s", area, target,
                     row[C_STATUS], status);
    if (!isnan(actual))
        cr_assert(*row[C_ACTUAL] && fabs(strtod(row[C_ACTUAL], NULL) - actual) < 1e-9,
                  "%s %s: actual '%s', want %g", area, target, row[C_ACTUAL], actual);
    if (!isnan(reference))
        cr_assert(*row[C_REF] && fabs(strtod(row[C_REF], NULL) - reference) < 1e-9,
                  "%s %s: reference '%s', want %g", area, target, row[C_REF], reference);
}

/* A string member of a JSON object, "" when missing. */
static const char *s_jstr(yajl_val obj, const char *key)
{
    const char *path[] = {key, NULL};
    yajl_val v = yajl_tree_get(obj, path, yajl_t_string);
    const char *s = v ? YAJL_GET_STRING(v) : NULL;
    return s ? s : "";
}

Test(report, scorecard_of_2024_in_table_csv_and_json)
{
    s_load_fixture();
    char *out, *err;

    /* CSV: the figures and statuses that follow from the fixture. */
    int status = s_report((char *[]){"--period", "2024", "--format", "csv", NULL}, &out, &err);
    cr_assert_eq(status, 0, "exit %d: %s", status, err);
    const char *header = "period,period_type,period_start,target_id,indicator_code,level,"
                         "area_code,area_name,status,actual,reference,threshold,margin,"
                         "ytd_actual,ytd_reference,projection,verdict,reference_source,coverage,"
                         "months_covered,months_expected,units_covered,units_expected,unit,"
                         "in_progress,ytd_end,as_of,judged_at\n";
    cr_assert(strncmp(out, header, strlen(header)) == 0, "%.300s", out);
    s_csv_t *c = s_csv_parse(out);
    cr_assert_gt(c->nrec, 38 * 11 / 2, "rows for the districts and the city: %d", c->nrec);
    for (int r = 1; r < c->nrec; r++) {
        cr_assert_str_eq(c->f[r][0], "2024");
        cr_assert_str_eq(c->f[r][1], "year");
        const char *st = c->f[r][C_STATUS];
        cr_assert(!strcmp(st, "met") || !strcmp(st, "missed") || !strcmp(st, "at_risk") ||
                      !strcmp(st, "incomplete") || !strcmp(st, "not_due") ||
                      !strcmp(st, "no_data") || !strcmp(st, "no_baseline"),
                  "unknown status %s", st);
    }
    s_expect(c, "500101", "T1", "met", 12, 24);
    s_expect(c, "500102", "T1", "missed", 24, 12);
    s_expect(c, "500103", "T1", "no_baseline", NAN, NAN);
    s_expect(c, "500101", "T9", "met", 0.99, NAN);
    s_expect(c, "500102", "T9", "missed", 0.85, NAN);
    s_expect(c, "500104", "T9", "no_data", NAN, NAN);
    s_expect(c, "500102", "T4", "missed", 1, NAN);
    s_expect(c, "500101", "T4", "met", 0, NAN);
    s_expect(c, "500000", "T4", "missed", NAN, NAN);
    s_csv_find(c, "500101", "R1");
    s_csv_find(c, "500102", "R1");
    /* Incomplete coverage: the city is judged on 3 of 38 districts. */
    s_expect(c, "500000", "T9", "incomplete", NAN, NAN);
    cr_assert_str_eq(s_csv_find(c, "500101", "T1")[C_NAME], "万州区");
    s_csv_free(c);
    free(out);
    free(err);

    /* Table: the city block, one matrix line per district, the totals. */
    status = s_report((char *[]){"--period", "2024", NULL}, &out, &err);
    cr_assert_eq(status, 0, "exit %d: %s", status, err);
    cr_assert(strstr(out, "平安重庆 2024年 目标考核"), "%s", out);
    cr_assert(strstr(out, "(500000)\nID "), "%s", out);
    cr_assert(strstr(out, "\n500101    万州区 "), "%s", out);
    cr_assert(strstr(out, "\n500243    彭水苗族土家族自治县"), "%s", out);
    cr_assert(strstr(out, "合计 total: met "), "%s", out);
    cr_assert(strstr(out, "截至 as of 20") && strstr(out, "figures up to date at 20"), "%s", out);
    cr_assert(strstr(out, "覆盖 coverage 3/38 districts"), "%s", out);
    cr_assert(strstr(out, "◐ 数据不全 incomplete (missed so far) 3/38 districts"), "%s", out);
    /* Ranked worst first: 500102 misses most, districts without data last. */
    const char *worst = strstr(out, "\n500102 "), *best = strstr(out, "\n500101 ");
    const char *none = strstr(out, "\n500104 ");
    cr_assert(worst && best && none && worst < best && best < none, "%s", out);
    free(out);
    free(err);

    /* JSON of one district: valid, and only that district's rows. */
    status =
        s_report((char *[]){"--period", "2024", "--district", "500102", "--format", "json", NULL},
                 &out, &err);
    cr_assert_eq(status, 0, "exit %d: %s", status, err);
    char errbuf[256];
    yajl_val root = yajl_tree_parse(out, errbuf, sizeof errbuf);
    cr_assert(root, "invalid JSON (%s): %.500s", errbuf, out);
    const char *p_rows[] = {"rows", NULL};
    const char *p_targets[] = {"targets", NULL};
    cr_assert_str_eq(s_jstr(root, "district"), "500102");
    cr_assert_eq(YAJL_GET_ARRAY(yajl_tree_get(root, p_targets, yajl_t_array))->len, 11);
    yajl_val rows = yajl_tree_get(root, p_rows, yajl_t_array);
    cr_assert(rows && YAJL_GET_ARRAY(rows)->len > 0);
    bool t1_missed = false;
    for (size_t i = 0; i < YAJL_GET_ARRAY(rows)->len; i++) {
        yajl_val r = YAJL_GET_ARRAY(rows)->values[i];
        cr_assert_str_eq(s_jstr(r, "area_code"), "500102");
        if (strcmp(s_jstr(r, "target_id"), "T1") == 0)
            t1_missed = strcmp(s_jstr(r, "status"), "missed") == 0;
    }
    cr_assert(t1_missed);
    yajl_tree_free(root);
    free(out);
    free(err);
}

/* ---- HTML in a real browser ------------------------------------------- */

static const char *s_chromium(void)
{
    const char *env = getenv("PINGAN_CHROMIUM");
    if (env && *env)
        return env;
    static const char *const paths[] = {"/usr/bin/chromium", "/usr/bin/chromium-browser"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (access(paths[i], X_OK) == 0)
            return paths[i];
    cr_assert_fail("chromium is not installed (apt-get install chromium; scripts/lib.sh does it)");
    return NULL;
}

static int s_count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Runs headless Chromium on a page with one extra flag (--screenshot=F or
 * --print-to-pdf=F) and checks that F is there. */
static void s_chromium_run(const char *html, const char *flag, const char *file, const char *size)
{
    char profile[512], user_dir[600], url[600], cerr[512];
    pa_testenv_tmp("chromium-profile", profile, sizeof profile);
    mkdir(profile, 0700);
    snprintf(user_dir, sizeof user_dir, "--user-data-dir=%s", profile);
    snprintf(url, sizeof url, "file://%s", html);
    unlink(file);
    char *argv[] = {(char *)s_chromium(),
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-pdf-header-footer",
                    user_dir,
                    (char *)flag,
                    (char *)size,
                    url,
                    NULL};
    pid_t pid =
        pa_testenv_spawn(argv, NULL, NULL, pa_testenv_tmp("chromium.err", cerr, sizeof cerr));
    int status = pa_testenv_wait(pid, 120000);
    char *log = pa_testenv_slurp(cerr);
    cr_assert_eq(status, 0, "chromium exit %d: %s", status, log);
    free(log);
    struct stat st;
    cr_assert_eq(stat(file, &st), 0, "chromium wrote no %s", file);
    cr_assert_gt(st.st_size, 10 * 1024, "%s of %ld bytes is too small to show the page", file,
                 (long)st.st_size);
}

/* Pages of a PDF: its /Type /Page objects (not /Pages). */
static int s_pdf_pages(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f);
    int n = 0;
    char buf[1 << 16];
    size_t len, keep = 0;
    while ((len = fread(buf + keep, 1, sizeof buf - keep - 1, f)) > 0) {
        len += keep;
        buf[len] = '\0';
        for (size_t i = 0; i + 11 < len; i++) {
            if (memcmp(buf + i, "/Type", 5) != 0)
                continue;
            size_t j = i + 5;
            while (j < len && (buf[j] == ' ' || buf[j] == '/'))
                j++;
            if (j + 5 <= len && memcmp(buf + j, "Page", 4) == 0 && buf[j + 4] != 's')
                n++;
        }
        keep = len > 16 ? 16 : len;
        memmove(buf, buf + len - keep, keep);
        /* A match straddling the boundary is counted at most once more:
         * the 16 kept bytes start after any /Type already counted. */
        if (keep && memmem(buf, keep, "/Type", 5))
            keep = 0;
    }
    fclose(f);
    return n;
}

/* Where the screenshots stay for people to look at. */
static const char *s_shot_dir(char *buf, size_t size)
{
    const char *dir = getenv("PINGAN_REPORT_SHOTS");
    snprintf(buf, size, "%s", dir && *dir ? dir : "/tmp/pingan-report-shots");
    mkdir(buf, 0755);
    return buf;
}

static char *s_html(char *const args[], const char *html)
{
    char *out, *err;
    char *argv[16];
    int n = 0;
    for (; args[n]; n++)
        argv[n] = args[n];
    argv[n++] = "--html";
    argv[n++] = (char *)html;
    argv[n++] = "--format";
    argv[n++] = "csv";
    argv[n] = NULL;
    int status = s_report(argv, &out, &err);
    cr_assert_eq(status, 0, "exit %d: %s", status, err);
    free(out);
    free(err);
    return pa_testenv_slurp(html);
}

Test(report, html_pages_render_print_and_screenshot_in_chromium)
{
    s_load_fixture();
    /* A running year: judged as of the end of June 2024. */
    cr_assert_eq(pa_testdb_long(&s_db, "WITH u AS (UPDATE pingan.settings SET as_of = "
                                       "'2024-06-30' RETURNING 1) SELECT count(*) FROM u"),
                 1);
    pa_testdb_long(&s_db, "SELECT count(*) FROM (SELECT pingan.rejudge_all()) AS x");
    char dir[512], html[600], png[600], pdf[600], flag[700];
    s_shot_dir(dir, sizeof dir);

    /* The city, 2024 running: freshness, coverage, ytd, last year, projection. */
    snprintf(html, sizeof html, "%s/city-2024.html", dir);
    char *page = s_html((char *[]){"--period", "2024", NULL}, html);
    cr_assert_eq(s_count(page, "<rect class=\"cell\""), 38 * 11, "one cell per district x target");
    cr_assert(strstr(page, "data-area=\"500102\" data-target=\"T1\" data-status=\"missed\""));
    cr_assert(strstr(page, "data-area=\"500104\" data-target=\"T9\" data-status=\"no_data\""));
    cr_assert(strstr(page, "<title>平安重庆目标考核 2024年 截至 2024-06-30"), "%.600s", page);
    cr_assert(strstr(page, "<b class=\"as-of\">2024-06-30</b>"));
    cr_assert(strstr(page, "<span class=\"judged-at\">20"));
    cr_assert(strstr(page, "<span class=\"generated-at\">20"));
    cr_assert(strstr(page, "<p class=\"coverage\">覆盖 <span class=\"en\">coverage</span>: "
                           "3/38 districts, 6/1031 towns, 6/6 months</p>"),
              "%.3000s", page);
    /* T1 of the city: 18 so far against 18 a year earlier, projected to 36. */
    cr_assert(strstr(page, "<td class=\"n ytd\">18</td><td class=\"n last-year\">18</td>"
                           "<td class=\"n projection\">36</td>"),
              "%.5000s", page);
    cr_assert(strstr(page, "At the pace to 2024-06-30 the period ends near 36 against a limit "
                           "of 34.2: at risk of missing."),
              "%.5000s", page);
    cr_assert(strstr(page, "上报数据 <span class=\"en\">from reports</span>"));
    cr_assert(strstr(page, "data-area=\"500102\" data-rank=\"1\""), "500102 misses most");
    cr_assert(strstr(page, "data-area=\"500101\" data-rank=\"2\""));
    cr_assert(strstr(page, "data-area=\"500104\" data-rank=\"4\""), "no data after the data");
    cr_assert(strstr(page, "5/1031 towns"), "T7 of the city as towns meeting the rule");
    cr_assert_eq(s_count(page, "class=\"trend\""), 4);
    const char *ns = "http://www.w3.org/2000/svg";
    for (char *p = strstr(page, ns); p; p = strstr(p, ns))
        memset(p, '_', strlen(ns));
    cr_assert_null(strstr(page, "http"), "the page must load nothing from outside");
    free(page);
    snprintf(png, sizeof png, "%s/city-2024.png", dir);
    snprintf(flag, sizeof flag, "--screenshot=%s", png);
    s_chromium_run(html, flag, png, "--window-size=1300,2400");

    /* The city month prints on at most two A4 pages. */
    snprintf(html, sizeof html, "%s/city-2024-03.html", dir);
    page = s_html((char *[]){"--period", "2024-03", NULL}, html);
    free(page);
    snprintf(pdf, sizeof pdf, "%s/city-2024-03.pdf", dir);
    snprintf(flag, sizeof flag, "--print-to-pdf=%s", pdf);
    s_chromium_run(html, flag, pdf, "--window-size=1300,1000");
    int pages = s_pdf_pages(pdf);
    cr_assert(pages >= 1 && pages <= 2, "the city month prints on %d pages", pages);

    /* A district page: its own targets and trends, its towns' heat map (the
     * targets judged for towns) and its rank among the 38. */
    snprintf(html, sizeof html, "%s/district-500102.html", dir);
    page = s_html((char *[]){"--period", "2024", "--district", "500102", NULL}, html);
    cr_assert(strstr(page, "涪陵区 (500102)"), "%.600s", page);
    cr_assert(strstr(page, "区县目标"));
    long town_targets = pa_testdb_long(
        &s_db, "SELECT count(DISTINCT s.target_id) FROM pingan.v_target_status AS s "
               "JOIN pingan.town AS w ON w.code = s.area_code WHERE s.level = 'town' "
               "AND w.district_code = '500102' AND s.period_type = 'year' "
               "AND s.period_start = '2024-01-01'");
    cr_assert_geq(town_targets, 2, "T7 and T10 at least are judged for towns");
    cr_assert_eq(s_count(page, "<rect class=\"cell\""), 28 * town_targets,
                 "one cell per town x target judged for towns");
    cr_assert(strstr(page, "town × target heat map"));
    char *town = pa_testdb_text(&s_db, "SELECT min(code) FROM pingan.town "
                                       "WHERE district_code = '500102'");
    char cell[128];
    snprintf(cell, sizeof cell, "data-area=\"%s\" data-target=\"T10\"", town);
    cr_assert(strstr(page, cell), "a T10 cell for town %s", town);
    free(town);
    cr_assert(strstr(page, "<p class=\"rank\" data-rank=\"1\" data-of=\"38\">"),
              "500102 misses most of the 38: %.3000s", page);
    cr_assert(strstr(page, "rank 1 of 38 districts (worst first"));
    cr_assert(strstr(page, "本区县趋势"));
    cr_assert(strstr(page, "28/28 towns, 6/6 months"), "the district's coverage");
    free(page);
    snprintf(png, sizeof png, "%s/district-500102.png", dir);
    snprintf(flag, sizeof flag, "--screenshot=%s", png);
    s_chromium_run(html, flag, png, "--window-size=1300,1600");
}

Test(report, html_page_is_written_when_stdout_is_closed)
{
    s_load_fixture();
    char html[512], bin[512], err_path[512];
    pa_testenv_tmp("closed.html", html, sizeof html);
    unlink(html);
    char *argv[] = {
        pa_testenv_bin("pingan-report", bin, sizeof bin), "--period", "2024", "--html", html, NULL};
    /* /dev/full fails every write, as a pipe whose reader (head) is gone. */
    pid_t pid = pa_testenv_spawn(argv, s_db.dbname, "/dev/full",
                                 pa_testenv_tmp("closed.err", err_path, sizeof err_path));
    int status = pa_testenv_wait(pid, 60000);
    char *err = pa_testenv_slurp(err_path);
    cr_assert_eq(status, 1, "stdout failed: exit %d: %s", status, err);
    free(err);
    char *page = pa_testenv_slurp(html);
    cr_assert(strstr(page, "</html>\n"), "the whole page was written first");
    free(page);
    unlink(html);
}

/* `pingan-report | head`: once the reader has what it wants and goes away,
 * the program ends quietly (SIGPIPE, as cat does), with no error logged. */
Test(report, closed_pipe_ends_quietly)
{
    s_load_fixture();
    char fifo[512], bin[512], err_path[512];
    pa_testenv_tmp("head.fifo", fifo, sizeof fifo);
    unlink(fifo);
    cr_assert_eq(mkfifo(fifo, 0600), 0, "mkfifo %s: %s", fifo, strerror(errno));
    int rd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* not the child's */
    cr_assert_geq(rd, 0, "open %s: %s", fifo, strerror(errno));
    /* A small pipe, so that the page does not fit in it before we close. */
    fcntl(rd, F_SETPIPE_SZ, 4096);
    char *argv[] = {pa_testenv_bin("pingan-report", bin, sizeof bin),
                    "--period",
                    "2024",
                    "--format",
                    "html",
                    NULL};
    pid_t pid = pa_testenv_spawn(argv, s_db.dbname, fifo,
                                 pa_testenv_tmp("head.err", err_path, sizeof err_path));
    char buf[512];
    ssize_t got = 0;
    for (int i = 0; i < 600 && got <= 0; i++) {
        struct pollfd p = {rd, POLLIN, 0};
        poll(&p, 1, 100);
        got = read(rd, buf, sizeof buf);
    }
    cr_assert_gt(got, 0, "nothing came through the pipe");
    close(rd);
    int status = pa_testenv_wait(pid, 60000);
    char *err = pa_testenv_slurp(err_path);
    cr_expect_eq(status, 128 + SIGPIPE, "exit %d: %s", status, err);
    cr_expect_null(strstr(err, "could not write"), "%s", err);
    free(err);
    unlink(fifo);
}

/* ---- exit codes -------------------------------------------------------- */

Test(report, usage_errors_exit_two_and_database_errors_one)
{
    s_load_fixture();
    struct {
        char *args[10];
        int want;
        const char *say;
    } cases[] = {
        {{NULL}, 2, "--period is required"},
        {{"--period", "2024-13", NULL}, 2, "--period"},
        {{"--period", "2024", "--format", "xml", NULL}, 2, "is not table, csv, json or html"},
        {{"--period", "2024-W09", NULL}, 2, "judges months, quarters and years, not weeks"},
        {{"--period", "2024-03-05", NULL}, 2, "2024-Q1 (quarter)"},
        {{"--period", "9999", NULL}, 2, "not a year the scorecard judges"},
        {{"--period", "2031", NULL}, 2, "nothing is judged for period 2031"},
        {{"--period", "2024", "--district", "万州区", NULL},
         2,
         "did you mean 500101 (万州区 Wanzhou)"},
        {{"--period", "2024", "--district", "Wanzhou", NULL}, 2, "did you mean 500101"},
        {{"--period", "2024", "--lang", "fr", NULL}, 2, "is not zh, en or both"},
        {{"--period", "2024", "--district", "500000", "--format", "csv", NULL}, 0, ""},
        {{"--period", "2024", "--district", "12345", NULL}, 2, "is not a district code"},
        {{"--period", "2024", "--district", "500199", NULL}, 2, "unknown district 500199"},
        {{"--period", "2024", "--bogus", NULL}, 2, "bogus"},
        {{"--period", "2024", "extra", NULL}, 2, "unexpected argument"},
        {{"--period", "2024", "--dsn", "dbname=pingan_no_such_database_x", NULL},
         1,
         "could not read the scorecard"},
        {{"--help", NULL}, 0, ""},
        {{"--version", NULL}, 0, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out, *err;
        int status = s_report(cases[i].args, &out, &err);
        cr_assert_eq(status, cases[i].want, "case %zu: exit %d, want %d: %s", i, status,
                     cases[i].want, err);
        cr_assert(strstr(err, cases[i].say), "case %zu: stderr lacks '%s': %s", i, cases[i].say,
                  err);
        if (i == sizeof cases / sizeof cases[0] - 2)
            cr_assert(strstr(out, "--html") && strstr(out, "--district"), "%s", out);
        if (i == sizeof cases / sizeof cases[0] - 1)
            cr_assert(strstr(out, "pingan-report "), "%s", out);
        free(out);
        free(err);
    }
}
