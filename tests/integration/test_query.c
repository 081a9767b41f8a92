/* test_query.c - a district office's questions (docs/protocol.md §11), asked
 * with the real pingan-produce of a real worker over real ZeroMQ sockets,
 * answered from a real PostgreSQL: the status table with current and
 * superseded revisions and recent rejections, the catalogue, the CSV
 * template filled in and accepted, and the questions a worker refuses. The
 * lines a user sees are checked whole. (Under CURVE: test_security.c.) */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "pa_codec.h"
#include "pa_codec_query.h"
#include "pa_problem.h"
#include "pa_testenv.h"

static pa_testdb_t s_db;
static pid_t s_worker;
static char s_ep[64], s_werr[512];

static void s_setup(void)
{
    pa_testdb_create(&s_db);
    pa_testenv_endpoint(s_ep, sizeof s_ep);
    s_worker =
        pa_testenv_start_worker(&s_db, s_ep, pa_testenv_tmp("wq.err", s_werr, sizeof s_werr), NULL);
}

static void s_teardown(void)
{
    pa_testenv_stop_worker(s_worker);
    pa_testdb_drop(&s_db);
}

TestSuite(query, .init = s_setup, .fini = s_teardown, .timeout = 180);

/* pingan-produce ARGS... (NULL-terminated); stdout and stderr into *out and
 * *err (caller frees); its exit status. */
static int s_produce(char **out, char **err, char *const args[])
{
    char outp[512], errp[512];
    pa_testenv_tmp("q.out", outp, sizeof outp);
    pa_testenv_tmp("q.err", errp, sizeof errp);
    int status = pa_testenv_produce(args, outp, errp, 60000);
    *out = pa_testenv_slurp(outp);
    *err = pa_testenv_slurp(errp);
    return status;
}

static bool s_starts(const char *text, const char *prefix)
{
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

static void s_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert(f, "cannot write %s", path);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
}

/* Sends file; asserts the exit status. */
static void s_send(const char *file, int want)
{
    char *out, *err;
    int status = s_produce(&out, &err, (char *[]){"--connect", s_ep, (char *)file, NULL});
    cr_assert_eq(status, want, "exit %d: %s %s", status, out, err);
    free(out);
    free(err);
}

/* The line the status table prints for the stored report of this revision,
 * built from what the database holds (times in China time). */
static char *s_report_line(const char *period, const char *start, int revision, const char *state,
                           int values)
{
    char sql[640];
    snprintf(sql, sizeof sql,
             "SELECT to_char(submitted_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') "
             "|| '|' || to_char(received_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') "
             "|| '|' || report_id FROM pingan.report WHERE district_code = '500101' AND revision "
             "= %d AND period_start = '%s'",
             revision, start);
    char *row = pa_testdb_text(&s_db, sql);
    char *sub = row, *got = strchr(row, '|'), *id;
    cr_assert(got, "no stored revision %d", revision);
    *got++ = '\0';
    id = strchr(got, '|');
    *id++ = '\0';
    char *line = malloc(256);
    snprintf(line, 256, "%-10s  %-8d  %-19s  %-19s  %-10s  %6d  %s\n", period, revision, sub, got,
             state, values, id);
    free(row);
    return line;
}

Test(query, status_lists_revisions_current_or_superseded_and_recent_rejections)
{
    char f1[512], f2[512];
    s_write(pa_testenv_tmp("s1.csv", f1, sizeof f1),
            "district,period,revision,town,indicator,count,numerator,denominator\n"
            "500101,2024-03,1,500101001,ws_deaths,0,,\n"
            "500101,2024-03,1,500101002,ws_deaths,0,,\n"
            "500101,2024-02,1,500101001,ws_deaths,4,,\n"
            "500102,2024-03,1,500102001,ws_deaths,1,,\n");
    s_send(f1, 0);
    s_write(pa_testenv_tmp("s2.csv", f2, sizeof f2),
            "district,period,revision,town,indicator,count,numerator,denominator\n"
            "500101,2024-03,2,500101001,ws_deaths,1,,\n"
            "500101,2024-03,3,500101001,ws_deaths,-1,,\n"
            "500101,2024-03,3,500101002,event_closure,,12,10\n");
    s_send(f2, 1);

    char *out, *err;
    int status = s_produce(&out, &err,
                           (char *[]){"--connect", s_ep, "--status", "--district", "500101", NULL});
    cr_assert_eq(status, 0, "exit %d: %s", status, err);
    char *r2 = s_report_line("2024-03", "2024-03-01", 2, "current", 1);
    char *r1 = s_report_line("2024-03", "2024-03-01", 1, "superseded", 2);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT to_char(received_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') "
             "FROM pingan.quarantine");
    char *when = pa_testdb_text(&s_db, sql);
    char expect[4096], rej[512];
    snprintf(rej, sizeof rej, "%-19s  %-10s  %-8s  %-28s  %s", when, "2024-03", "3",
             "negative_count", "values[0].count: count -1 is negative (and 1 more)\n");
    /* The February report is listed after March (newest period first). */
    char *r0 = s_report_line("2024-02", "2024-02-01", 1, "current", 1);
    snprintf(expect, sizeof expect,
             "district 500101: 3 reports stored (2 current, 1 superseded), 1 rejection\n"
             "period      revision  submitted            stored at            status      values  "
             "report\n"
             "%s%s%s"
             "recent rejections, newest first:\n"
             "when                 period      revision  reason                        message\n"
             "%s"
             "times are China Standard Time (UTC+8)\n",
             r2, r1, r0, rej);
    cr_assert_str_eq(out, expect);
    free(out);
    free(err);

    /* --period narrows to one period; another district's report is not listed. */
    status = s_produce(&out, &err,
                       (char *[]){"--connect", s_ep, "--status", "--district", "500101", "--period",
                                  "2024-02", NULL});
    cr_assert_eq(status, 0, "exit %d: %s", status, err);
    snprintf(expect, sizeof expect,
             "district 500101: 1 report stored (1 current, 0 superseded), 0 rejections\n"
             "period      revision  submitted            stored at            status      values  "
             "report\n"
             "%stimes are China Standard Time (UTC+8)\n",
             r0);
    cr_assert_str_eq(out, expect);
    free(out);
    free(err);

    /* --since tomorrow: nothing yet. */
    status = s_produce(&out, &err,
                       (char *[]){"--connect", s_ep, "--status", "--district", "500102", "--since",
                                  "2100-01-01", NULL});
    cr_assert_eq(status, 0, "exit %d: %s", status, err);
    cr_assert_str_eq(out, "district 500102: 0 reports stored (0 current, 0 superseded), 0 "
                          "rejections\ntimes are China Standard Time (UTC+8)\n");
    free(out);
    free(err);
    free(r0);
    free(r1);
    free(r2);
    free(when);
}

Test(query, list_indicators_prints_the_catalogue)
{
    char *out, *err;
    int status = s_produce(&out, &err, (char *[]){"--connect", s_ep, "--list-indicators", NULL});
    cr_assert_eq(status, 0, "exit %d: %s", status, err);
    cr_assert(
        s_starts(out, "code                    kind   level     periods                      name\n"
                      "ws_deaths               count  any       day,week,month,quarter,year  "
                      "生产安全死亡人数 (work-safety deaths)\n"),
        "%s", out);
    cr_assert(strstr(out, "\nsense_of_security       ratio  district  quarter,year                 "
                          "群众安全感 (public sense of security)\n"),
              "%s", out);
    cr_assert(strstr(out, "\nbusiness_digitised      ratio  town      month,quarter,year           "
                          "镇街核心业务数字化管理率 (core business of a town managed digitally)\n"),
              "%s", out);
    cr_assert(strstr(out, "\n14 indicators; level town: one row per town, district: one row with "
                          "an empty town, any: either\n"),
              "%s", out);
    int lines = 0;
    for (const char *p = out; *p; p++)
        lines += *p == '\n';
    cr_assert_eq(lines, 1 + 14 + 1, "header, 14 indicators, summary: %s", out);
    free(out);
    free(err);
}

Test(query, a_filled_template_is_accepted_whole)
{
    char tmpl[512], filled[512];
    pa_testenv_tmp("template.csv", tmpl, sizeof tmpl);
    char *out, *err;
    int status = s_produce(&out, &err,
                           (char *[]){"--connect", s_ep, "--template", "--district", "500101",
                                      "--period", "2024-03", "--output", tmpl, NULL});
    cr_assert_eq(status, 0, "exit %d: %s", status, err);
    cr_assert_str_eq(out, "");
    /* Every town of the district x every monthly indicator reported per
     * town (level town or any), and one district row per district-level one. */
    long towns = pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.town WHERE district_code = "
                                       "'500101'");
    long town_ind = pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.indicator WHERE level <> "
                                          "'district' AND 'month' = ANY (period_types)");
    long dist_ind = pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.indicator WHERE level = "
                                          "'district' AND 'month' = ANY (period_types)");
    long rows = towns * town_ind + dist_ind;
    char line[256];
    snprintf(line, sizeof line,
             "pingan-produce: wrote %ld rows for district 500101, period 2024-03 to %s\n", rows,
             tmpl);
    cr_assert_str_eq(err, line);
    free(out);
    free(err);
    char *text = pa_testenv_slurp(tmpl);
    cr_assert(s_starts(text, "district,period,revision,town,indicator,count,numerator,denominator\n"
                             "500101,2024-03,1,500101001,ws_deaths,,,\n"),
              "%s", text);
    /* Fill every blank as an office would: counts 0, ratios 0 of 1. */
    char *ratios = pa_testdb_text(&s_db, "SELECT ',' || string_agg(code, ',') || ',' FROM "
                                         "pingan.indicator WHERE kind = 'ratio'");
    FILE *f = fopen(pa_testenv_tmp("filled.csv", filled, sizeof filled), "w");
    cr_assert(f);
    long n = 0;
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        size_t len = strlen(l);
        if (n++ == 0) {
            fprintf(f, "%s\n", l);
            continue;
        }
        cr_assert(len > 3 && strcmp(l + len - 3, ",,,") == 0, "values are blank: %s", l);
        l[len - 3] = '\0';
        char *ind = strrchr(l, ',') + 1, key[64];
        snprintf(key, sizeof key, ",%s,", ind);
        fprintf(f, "%s,%s\n", l, strstr(ratios, key) ? ",0,1" : "0,,");
    }
    cr_assert_eq(fclose(f), 0);
    cr_assert_eq(n - 1, rows);
    status = s_produce(&out, &err, (char *[]){"--connect", s_ep, filled, NULL});
    cr_assert_eq(status, 0, "the filled template is accepted: exit %d: %s %s", status, out, err);
    cr_assert(strstr(out, "stored 500101 2024-03 r1 "), "%s", out);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.value"), rows,
                 "every row stored");
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.quarantine"), 0);
    free(out);
    free(err);
    free(ratios);
    free(text);
}

Test(query, questions_need_a_worker_and_their_arguments)
{
    char *out, *err;
    static const struct {
        char *args[8];
        const char *err;
    } cases[] = {
        {{"--status", "--district", "500101", NULL},
         "pingan-produce: --status asks a worker: give --connect EP (or PINGAN_CONNECT)\n"},
        {{"--list-indicators", NULL},
         "pingan-produce: --list-indicators asks a worker: give --connect EP (or "
         "PINGAN_CONNECT)\n"},
        {{"--template", "--district", "500101", "--period", "2024-03", NULL},
         "pingan-produce: --template asks a worker: give --connect EP (or PINGAN_CONNECT)\n"},
        {{"--connect", s_ep, "--status", NULL}, "pingan-produce: --status needs --district CODE\n"},
        {{"--connect", s_ep, "--status", "--district", "wanzhou", NULL},
         "pingan-produce: --district: 'wanzhou' is not a 6-digit district code\n"},
        {{"--connect", s_ep, "--template", "--district", "500101", NULL},
         "pingan-produce: --template needs --period P (2024-03, 2024-Q1, ...)\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int status = s_produce(&out, &err, (char *const *)cases[i].args);
        cr_assert_eq(status, 2, "case %zu: exit %d", i, status);
        cr_assert_str_eq(err, cases[i].err, "case %zu", i);
        cr_assert_str_eq(out, "");
        free(out);
        free(err);
    }
    /* No worker there: said so, exit 2. */
    char ep[64];
    pa_testenv_endpoint(ep, sizeof ep);
    int status = s_produce(&out, &err,
                           (char *[]){"--connect", ep, "--timeout-ms", "300", "--retries", "1",
                                      "--list-indicators", NULL});
    cr_assert_eq(status, 2);
    char line[256];
    snprintf(line, sizeof line,
             "pingan-produce: --list-indicators: no worker answered at %s within 0 s: is a worker "
             "running and bound there?\n",
             ep);
    cr_assert_str_eq(err, line);
    free(out);
    free(err);
}

/* One question straight on a DEALER; the decoded receipt's parts. */
static void s_ask_raw(const pa_query_t *q, size_t n_reports, int *status, int *reason,
                      char *message, pa_answer_t **a)
{
    uint8_t *body = NULL;
    size_t len = 0;
    cr_assert_eq(pa_codec_encode_query("raw", q, &body, &len, NULL), PA_OK);
    if (n_reports) /* a report beside the query: field 3, an empty Report */
    {
        uint8_t *more = malloc(len + 2);
        memcpy(more, body, len);
        more[len] = 3 << 3 | 2;
        more[len + 1] = 0;
        free(body);
        body = more;
        len += 2;
    }
    void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0, timeout = 10000;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    cr_assert_eq(zmq_connect(s, s_ep), 0);
    cr_assert_eq(zmq_send(s, "", 0, ZMQ_SNDMORE), 0);
    cr_assert_eq(zmq_send(s, "t", 1, ZMQ_SNDMORE), 1);
    cr_assert_eq(zmq_send(s, body, len, 0), (int)len);
    zmq_msg_t m;
    for (int part = 0; part < 3; part++) {
        zmq_msg_init(&m);
        cr_assert_geq(zmq_msg_recv(&m, s, 0), 0, "no answer");
        if (part == 2)
            cr_assert_eq(pa_codec_decode_answer(zmq_msg_data(&m), zmq_msg_size(&m), status, reason,
                                                message, 256, a, NULL),
                         PA_OK);
        zmq_msg_close(&m);
    }
    zmq_close(s);
    zmq_ctx_term(ctx);
    free(body);
}

Test(query, the_worker_refuses_bad_questions_and_bounds_its_answers)
{
    pa_query_t q;
    int status = 0, reason = 0;
    char message[256];
    pa_answer_t *a = NULL;
    static const struct {
        int kind;
        int districts;
        const char *district;
        const char *from;
        unsigned limit;
        size_t reports;
        const char *message;
    } cases[] = {
        {PA_QUERY_STATUS, 0, "", "", 0, 0, "a status query names at least one district"},
        {PA_QUERY_STATUS, 9, "500101", "", 0, 0,
         "9 districts asked about, more than the limit of 8"},
        {7, 1, "500101", "", 0, 0, "query kind 7 is not status (1) or catalogue (2)"},
        {PA_QUERY_STATUS, 1, "5001", "", 0, 0, "district '5001' is not a 6-digit code"},
        {PA_QUERY_STATUS, 1, "500101", "2024-13-01", 0, 0,
         "period_from: '2024-13-01' is not a date (YYYY-MM-DD)"},
        {PA_QUERY_STATUS, 1, "500101", "", 1001, 0, "limit 1001 is above 1000"},
        {PA_QUERY_STATUS, 1, "500101", "", 0, 1,
         "a submission carries reports or a query, not both (1 reports)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(&q, 0, sizeof q);
        q.kind = cases[i].kind;
        for (int d = 0; d < cases[i].districts; d++)
            snprintf(q.districts[d], sizeof q.districts[d], "%s", cases[i].district);
        q.n_districts = q.n_asked = (size_t)cases[i].districts;
        snprintf(q.period_from, sizeof q.period_from, "%s", cases[i].from);
        q.limit = cases[i].limit;
        s_ask_raw(&q, cases[i].reports, &status, &reason, message, &a);
        cr_assert_null(a, "case %zu", i);
        cr_assert_eq(status, PA_STATUS_REJECTED, "case %zu", i);
        cr_assert_eq(reason, PA_REASON_QUERY_INVALID, "case %zu: %s", i, pa_reason_name(reason));
        cr_assert_str_eq(message, cases[i].message, "case %zu", i);
    }
    /* 30 stored revisions, asked with a limit of 10: 10 listed, truncated. */
    pa_testdb_long(&s_db, "WITH r AS (INSERT INTO pingan.report (report_id, district_code, "
                          "period_type, period_start, period_end, revision, sender, worker, "
                          "content_digest, value_count, raw) SELECT 'day-' || d, '500101', 'day', "
                          "'2024-01-01'::date + d, '2024-01-02'::date + d, 1, 't', 't', "
                          "gen_random_uuid()::text, 0, '' FROM generate_series(0, 29) AS d "
                          "RETURNING 1) SELECT count(*) FROM r");
    memset(&q, 0, sizeof q);
    q.kind = PA_QUERY_STATUS;
    snprintf(q.districts[0], sizeof q.districts[0], "500101");
    q.n_districts = q.n_asked = 1;
    q.limit = 10;
    s_ask_raw(&q, 0, &status, &reason, message, &a);
    cr_assert(a);
    cr_assert_eq(status, PA_STATUS_STORED);
    cr_assert_eq(a->n_reports, 10);
    cr_assert(a->truncated);
    cr_assert_str_eq(a->reports[0].period_start, "2024-01-30", "newest first");
    pa_answer_destroy(&a);
    q.limit = 0; /* the default, 100: all 30 */
    s_ask_raw(&q, 0, &status, &reason, message, &a);
    cr_assert_eq(a->n_reports, 30);
    cr_assert(!a->truncated);
    pa_answer_destroy(&a);
}
