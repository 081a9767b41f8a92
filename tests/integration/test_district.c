/* test_district.c - the district office's side of issue 11, through the real
 * programs: a dry run judged by a real worker against a real PostgreSQL
 * (and nothing stored or quarantined afterwards), a superseded revision,
 * a withdrawal by a void revision that takes a district's figures out of
 * every aggregate, and the summary table. Every check is on the exact
 * lines a user sees. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pa_testenv.h"

static pa_testdb_t s_db;
static pid_t s_worker;
static char s_ep[64];

static void s_setup(void)
{
    char err[512];
    pa_testdb_create(&s_db);
    pa_testenv_endpoint(s_ep, sizeof s_ep);
    s_worker =
        pa_testenv_start_worker(&s_db, s_ep, pa_testenv_tmp("wd.err", err, sizeof err), NULL);
}

static void s_teardown(void)
{
    pa_testenv_stop_worker(s_worker);
    pa_testdb_drop(&s_db);
}

TestSuite(district, .init = s_setup, .fini = s_teardown, .timeout = 180);

/* Writes text to a scratch file named name; its path into path. */
static void s_write(const char *name, const char *text, char *path, size_t size)
{
    FILE *f = fopen(pa_testenv_tmp(name, path, size), "w");
    cr_assert(f, "%s", path);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
}

typedef struct {
    int status;
    char *out; /* stdout, caller frees */
    char *err; /* stderr, caller frees */
} s_run_t;

/* Runs pingan-produce with args (NULL-terminated, after the program). */
static s_run_t s_produce(char *const args[])
{
    char out[512], err[512];
    s_run_t r = {pa_testenv_produce(args, pa_testenv_tmp("pd.out", out, sizeof out),
                                    pa_testenv_tmp("pd.err", err, sizeof err), 60000),
                 NULL, NULL};
    r.out = pa_testenv_slurp(out);
    r.err = pa_testenv_slurp(err);
    return r;
}

static void s_run_free(s_run_t *r)
{
    free(r->out);
    free(r->err);
}

/* The exact stdout expected, with every "%F" replaced by the file's path. */
static void s_assert_out(const s_run_t *r, const char *file, const char *want)
{
    char buf[8192];
    size_t k = 0, flen = strlen(file);
    for (const char *c = want; *c && k + flen + 1 < sizeof buf; c++) {
        if (c[0] == '%' && c[1] == 'F') {
            memcpy(buf + k, file, flen);
            k += flen;
            c++;
        } else {
            buf[k++] = *c;
        }
    }
    buf[k] = '\0';
    cr_assert_str_eq(r->out, buf, "got:\n%s\nstderr:\n%s", r->out, r->err);
}

static long s_count(const char *sql)
{
    return pa_testdb_long(&s_db, sql);
}

Test(district, dry_run_judges_as_a_real_submission_and_stores_nothing)
{
    /* Revision 2 of 500101 2024-03 is stored for real first, so that a
     * revision 1 in the dry run is stale, exactly as it would be for real. */
    char r2[512], bad[512];
    s_write("dr-r2.csv",
            "district,period,revision,town,indicator,count,numerator,denominator\n"
            "500101,2024-03,2,500101001,ws_deaths,1,,\n",
            r2, sizeof r2);
    s_run_t r = s_produce((char *[]){"--connect", s_ep, r2, NULL});
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    s_run_free(&r);
    cr_assert_eq(s_count("SELECT count(*) FROM pingan.report"), 1);
    pa_testdb_wait_aggregated(&s_db, 60000);

    s_write("dr-bad.csv",
            "district,period,revision,town,indicator,count,numerator,denominator\n"
            "500102,2024-03,1,500102001,ws_deaths,0,,\n"
            "500102,2024-03,1,500103001,ws_deaths,0,,\n"
            "500102,2024-03,1,500102001,ws_death,1,,\n"
            "500101,2024-03,1,500101001,ws_deaths,0,,\n"
            "500104,2024-03,1,500104001,event_closure,,188,192\n",
            bad, sizeof bad);
    r = s_produce((char *[]){"--connect", s_ep, "--dry-run", bad, NULL});
    cr_assert_eq(r.status, 1, "a dry run exits as the real run would: %s%s", r.out, r.err);
    s_assert_out(&r, bad,
                 "%F:3: would reject 500102 2024-03 7fa59835-27cf-5a39-ba63-b402d4e995b1: town "
                 "500103001 ws_deaths: values[1].town: town 500103001 belongs to district 500103, "
                 "not 500102 (town_not_in_district)\n"
                 "%F:4: would reject 500102 2024-03 7fa59835-27cf-5a39-ba63-b402d4e995b1: town "
                 "500102001 ws_death: values[2].indicator: indicator 'ws_death' is not in the "
                 "catalogue (unknown_indicator)\n"
                 "%F:5: would reject 500101 2024-03 261e09e8-6b59-5cbc-8a81-28e6d52fcbf0: "
                 "revision: revision 1 is older than stored revision 2 (stale_revision)\n"
                 "would store 500104 2024-03 r1 1e29a5c5-a67c-5ce9-beb5-8dcae3a0236a values=1\n");
    /* On stderr, the summary table per district and period, then per reason. */
    cr_assert(strstr(r.err, "dry run: what a real submission would do (nothing was stored)\n"
                            "district  period       stored  duplicate  superseded  rejected\n"
                            "--------  -----------  ------  ---------  ----------  --------\n"
                            "500101    2024-03           0          0           0         1\n"
                            "500102    2024-03           0          0           0         1\n"
                            "500104    2024-03           1          0           0         0\n"
                            "--------  -----------  ------  ---------  ----------  --------\n"
                            "total     3 districts       1          0           0         2\n"
                            "\n"
                            "reason                problems  reports\n"
                            "--------------------  --------  -------\n"
                            "stale_revision               1        1\n"
                            "town_not_in_district         1        1\n"
                            "unknown_indicator            1        1\n"
                            "pingan-produce: reports=3 values=5 stored=1 duplicate=0 rejected=2 "
                            "failed=0 unsent=0 settled=3 unsettled=0 receipts=1 superseded=0 (dry "
                            "run: nothing was stored)\n"),
              "%s", r.err);
    s_run_free(&r);
    /* Nothing stored, nothing quarantined, nothing queued for aggregation. */
    cr_assert_eq(s_count("SELECT count(*) FROM pingan.report"), 1);
    cr_assert_eq(s_count("SELECT count(*) FROM pingan.value"), 1);
    cr_assert_eq(s_count("SELECT count(*) FROM pingan.quarantine"), 0);
    cr_assert_eq(s_count("SELECT count(*) FROM pingan.aggregate_queue"), 0);

    /* The real run then judges exactly so. */
    r = s_produce((char *[]){"--connect", s_ep, bad, NULL});
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "stored 500104 2024-03 r1 "), "%s", r.out);
    cr_assert(strstr(r.out, ": rejected 500101 2024-03 "), "%s", r.out);
    s_run_free(&r);
    cr_assert_eq(s_count("SELECT count(*) FROM pingan.report"), 2);
    /* one quarantine row for the submission, one small row per refused report */
    cr_assert_eq(s_count("SELECT count(*) FROM pingan.quarantine"), 1);
    cr_assert_eq(s_count("SELECT count(*) FROM pingan.quarantine_report"), 2);
}

Test(district, fraction_is_refused_before_any_worker_is_asked)
{
    char frac[512];
    s_write("dr-frac.csv",
            "district,period,revision,town,indicator,count,numerator,denominator\n"
            "500103,2024-03,1,500103001,event_closure,,0.979,1\n",
            frac, sizeof frac);
    s_run_t r = s_produce((char *[]){"--connect", s_ep, "--dry-run", frac, NULL});
    cr_assert_eq(r.status, 2, "%s%s", r.out, r.err);
    cr_assert_str_eq(r.out, "");
    char want[1024];
    snprintf(want, sizeof want,
             "pingan-produce: %s:2:7: numerator: '0.979' is not a whole number (it looks like a "
             "share: rates are sent as numerator and denominator counts, e.g. 188,192)\n",
             frac);
    cr_assert(strstr(r.err, want), "%s", r.err);
    s_run_free(&r);
    /* Without --connect: the same check, and it says it asked no worker. */
    char ok[512];
    s_write("dr-ok.csv",
            "district,period,revision,town,indicator,count,numerator,denominator\n"
            "500103,2024-03,1,500103001,event_closure,,188,192\n",
            ok, sizeof ok);
    r = s_produce((char *[]){"--dry-run", ok, NULL});
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    s_assert_out(&r, ok, "%F: ok (syntax only: no worker was asked)\n");
    cr_assert(strstr(r.err, "(dry run, syntax only: no worker was asked, nothing was sent)\n"),
              "%s", r.err);
    s_run_free(&r);
    cr_assert_eq(s_count("SELECT count(*) FROM pingan.quarantine"), 0);
    cr_assert_eq(s_count("SELECT count(*) FROM pingan.report"), 0);
}

Test(district, resent_old_revision_is_superseded_not_duplicate)
{
    char r1[512], r2[512];
    s_write("sup-r1.csv",
            "district,period,revision,town,indicator,count,numerator,denominator\n"
            "500105,2024-03,1,500105001,ws_deaths,3,,\n",
            r1, sizeof r1);
    s_write("sup-r2.csv",
            "district,period,revision,town,indicator,count,numerator,denominator\n"
            "500105,2024-03,2,500105001,ws_deaths,2,,\n",
            r2, sizeof r2);
    s_run_t r = s_produce((char *[]){"--connect", s_ep, r1, r2, NULL});
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    s_run_free(&r);
    /* Revision 1 again: stored before, replaced since. Not an error of the file. */
    r = s_produce((char *[]){"--connect", s_ep, r1, NULL});
    cr_assert_eq(r.status, 0, "superseded exits 0: %s%s", r.out, r.err);
    s_assert_out(
        &r, r1,
        "superseded 500105 2024-03 r1 a7efd384-b175-519e-9cc4-6f7f91d64bb7: r2 is current\n");
    cr_assert(strstr(r.err, " superseded=1"), "%s", r.err);
    s_run_free(&r);
    /* The current revision again is a duplicate, as before. */
    r = s_produce((char *[]){"--connect", s_ep, r2, NULL});
    cr_assert_eq(r.status, 0);
    s_assert_out(&r, r2,
                 "duplicate 500105 2024-03 r2 d4dd51ba-9959-5b90-94ab-2e3ddcca06c8 values=1\n");
    s_run_free(&r);
    /* A dry run says the same, in the conditional. */
    r = s_produce((char *[]){"--connect", s_ep, "--dry-run", r1, NULL});
    cr_assert_eq(r.status, 0);
    s_assert_out(&r, r1,
                 "would be superseded 500105 2024-03 r1 a7efd384-b175-519e-9cc4-6f7f91d64bb7: r2 "
                 "is current\n");
    s_run_free(&r);
    cr_assert_eq(s_count("SELECT count(*) FROM pingan.report WHERE district_code = '500105'"), 2);
    cr_assert_eq(s_count("SELECT count(*) FROM pingan.quarantine"), 0);
}

/* The month figure of ws_deaths for an area ("500106", or "500000"... the
 * city's area code as the figures name it), -1 when there is none. */
static long s_month_deaths(const char *level, const char *area)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT coalesce((SELECT count_sum FROM pingan.figure WHERE indicator_code = "
             "'ws_deaths' AND level = '%s' AND area_code = '%s' AND period_type = 'month' AND "
             "period_start = '2024-03-01'), -1)",
             level, area);
    return s_count(sql);
}

Test(district, withdrawal_takes_the_figures_out_of_every_aggregate)
{
    char both[512];
    s_write("wd-both.csv",
            "district,period,revision,town,indicator,count,numerator,denominator\n"
            "500106,2024-03,1,500106001,ws_deaths,4,,\n"
            "500107,2024-03,1,500107001,ws_deaths,1,,\n",
            both, sizeof both);
    s_run_t r = s_produce((char *[]){"--connect", s_ep, both, NULL});
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    s_run_free(&r);
    pa_testdb_wait_aggregated(&s_db, 60000);
    char *city =
        pa_testdb_text(&s_db, "SELECT area_code FROM pingan.figure WHERE level = 'city' LIMIT 1");
    cr_assert_eq(s_month_deaths("district", "500106"), 4);
    cr_assert_eq(s_month_deaths("city", city), 5);
    static const char judged_sql[] =
        "SELECT count(*) FROM pingan.judgement WHERE area_code = '500106' AND period_type = "
        "'month' AND period_start = '2024-03-01' AND status <> 'no_data'";
    cr_assert_gt(s_count(judged_sql), 0, "the district's March is judged on its report");

    /* A void revision must be above the current one. */
    char *stale[] = {"--connect", s_ep,      "--withdraw", "--district", "500106",
                     "--period",  "2024-03", "--revision", "1",          NULL};
    r = s_produce(stale);
    cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
    cr_assert_str_eq(
        r.out, "rejected 500106 2024-03 c74fadaf-29c9-51e1-82ea-1c32ae329dff: revision: a void "
               "revision must be above the current revision 1, not 1 (stale_revision)\n");
    s_run_free(&r);
    /* A dry run says what it would do, and does nothing. */
    char *dry[] = {"--connect", s_ep,      "--dry-run",  "--withdraw", "--district", "500106",
                   "--period",  "2024-03", "--revision", "2",          NULL};
    r = s_produce(dry);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert_str_eq(r.out,
                     "would withdraw 500106 2024-03 r2 102236e4-0bef-55c5-83a8-0c7f2d68e7dd\n");
    s_run_free(&r);
    cr_assert_eq(s_count("SELECT count(*) FROM pingan.report WHERE district_code = '500106'"), 1);
    cr_assert_eq(s_count("SELECT count(*) FROM pingan.withdrawal"), 0);

    char *go[] = {"--connect", s_ep,       "--sender", "office-500106", "--withdraw", "--district",
                  "500106",    "--period", "2024-03",  "--revision",    "2",          NULL};
    r = s_produce(go);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert_str_eq(r.out, "withdrawn 500106 2024-03 r2 102236e4-0bef-55c5-83a8-0c7f2d68e7dd\n");
    s_run_free(&r);
    /* Audited: who, when, which report it voided; the report is out. */
    cr_assert_eq(s_count("SELECT count(*) FROM pingan.withdrawal WHERE sender = 'office-500106' "
                         "AND district_code = '500106' AND revision = 2 AND received_at > now() - "
                         "interval '5 minutes' AND voided->0->>'revision' = '1'"),
                 1);
    cr_assert_eq(s_count("SELECT count(*) FROM pingan.voided_report WHERE district_code = "
                         "'500106' AND void_reason LIKE 'withdrawn by void revision 2 %'"),
                 1);
    cr_assert_eq(s_count("SELECT count(*) FROM pingan.report WHERE district_code = '500106'"), 0);
    /* The district's month figure and the city's drop back. */
    pa_testdb_wait_aggregated(&s_db, 60000);
    cr_assert_eq(s_month_deaths("district", "500106"), -1);
    cr_assert_eq(s_month_deaths("city", city), 1);
    cr_assert_eq(s_count(judged_sql), 0, "judgements no longer count it");
    /* The same void revision again is settled; an old report cannot come back. */
    r = s_produce(go);
    cr_assert_eq(r.status, 0);
    cr_assert_str_eq(r.out,
                     "already withdrawn 500106 2024-03 r2 102236e4-0bef-55c5-83a8-0c7f2d68e7dd\n");
    s_run_free(&r);
    r = s_produce((char *[]){"--connect", s_ep, both, NULL});
    cr_assert_eq(r.status, 1);
    s_assert_out(&r, both,
                 "%F:2: rejected 500106 2024-03 ba8196e8-9f1b-5b3b-a124-929ada88ed2f: report_id: "
                 "report_id was withdrawn by void revision 2 (report_id "
                 "102236e4-0bef-55c5-83a8-0c7f2d68e7dd) from sender office-500106, key (none); "
                 "send a new report_id (report_id_conflict)\n"
                 "duplicate 500107 2024-03 r1 6b31e644-c3db-5d52-b9a5-6d33a573098c values=1\n");
    s_run_free(&r);
    cr_assert_eq(s_count("SELECT count(*) FROM pingan.report WHERE district_code = '500106'"), 0);
    free(city);
}
