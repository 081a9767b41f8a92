/* test_validation.c - one worker judging mixed submissions from a raw
 * DEALER, as a client in any language would send them: good, bad,
 * duplicate, conflicting and stale reports side by side. Checks each
 * receipt entry, the stored rows and the quarantine rows one by one. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "pa_codec.h"
#include "pa_problem.h"
#include "pa_testenv.h"

static pa_testdb_t s_db;
static pid_t s_worker;
static char s_ep[64];
static void *s_ctx, *s_sock;

static void s_setup(void)
{
    char err[512];
    pa_testdb_create(&s_db);
    pa_testenv_endpoint(s_ep, sizeof s_ep);
    s_worker =
        pa_testenv_start_worker(&s_db, s_ep, pa_testenv_tmp("wv.err", err, sizeof err), NULL);
    s_ctx = zmq_ctx_new();
    s_sock = zmq_socket(s_ctx, ZMQ_DEALER);
    int linger = 0, timeout = 20000;
    zmq_setsockopt(s_sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s_sock, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    cr_assert_eq(zmq_connect(s_sock, s_ep), 0);
}

static void s_teardown(void)
{
    zmq_close(s_sock);
    zmq_ctx_term(s_ctx);
    pa_testenv_stop_worker(s_worker);
    pa_testdb_drop(&s_db);
}

TestSuite(validation, .init = s_setup, .fini = s_teardown, .timeout = 120);

static pa_report_t *s_report(const char *id, const char *district, const char *period,
                             uint32_t revision)
{
    pa_report_t *r = pa_report_new();
    cr_assert(r);
    snprintf(r->report_id, sizeof r->report_id, "%s", id);
    snprintf(r->district, sizeof r->district, "%s", district);
    cr_assert_eq(pa_period_parse(period, &r->period, NULL), PA_OK);
    r->revision = revision;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    r->submitted_at_ms = (int64_t)ts.tv_sec * 1000;
    return r;
}

static void s_count(pa_report_t *r, const char *indicator, const char *town, double count)
{
    pa_value_t v = {.kind = PA_AMOUNT_COUNT, .count = count};
    snprintf(v.indicator, sizeof v.indicator, "%s", indicator);
    snprintf(v.town, sizeof v.town, "%s", town);
    cr_assert_eq(pa_report_add_value(r, &v, NULL), PA_OK);
}

static void s_ratio(pa_report_t *r, const char *indicator, const char *town, double num, double den)
{
    pa_value_t v = {.kind = PA_AMOUNT_RATIO, .numerator = num, .denominator = den};
    snprintf(v.indicator, sizeof v.indicator, "%s", indicator);
    snprintf(v.town, sizeof v.town, "%s", town);
    cr_assert_eq(pa_report_add_value(r, &v, NULL), PA_OK);
}

/* Sends the reports as one submission and returns the receipt. */
static pa_receipt_t *s_exchange(pa_report_t **reports, size_t n)
{
    uint8_t *body = NULL;
    size_t len = 0;
    cr_assert_eq(pa_codec_encode_submission("test", reports, n, &body, &len, NULL), PA_OK);
    cr_assert_eq(zmq_send(s_sock, "", 0, ZMQ_SNDMORE), 0);
    cr_assert_eq(zmq_send(s_sock, "tag", 3, ZMQ_SNDMORE), 3);
    cr_assert_eq(zmq_send(s_sock, body, len, 0), (int)len);
    free(body);
    char frame[1 << 16];
    cr_assert_eq(zmq_recv(s_sock, frame, sizeof frame, 0), 0, "no receipt: %s",
                 zmq_strerror(zmq_errno()));
    cr_assert_eq(zmq_recv(s_sock, frame, sizeof frame, 0), 3);
    int m = zmq_recv(s_sock, frame, sizeof frame, 0);
    cr_assert_gt(m, 0);
    pa_receipt_t *rec = NULL;
    cr_assert_eq(pa_codec_decode_receipt(frame, (size_t)m, &rec, NULL), PA_OK);
    cr_assert_eq(rec->status, PA_STATUS_STORED, "whole submission: %s", rec->message);
    cr_assert_eq(rec->n_entries, n);
    return rec;
}

static bool s_has(const pa_receipt_entry_t *e, int reason, const char *field)
{
    for (size_t i = 0; i < e->problems.n; i++)
        if (e->problems.items[i].reason == reason && strcmp(e->problems.items[i].field, field) == 0)
            return true;
    return false;
}

static void s_free(pa_report_t **reports, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pa_report_destroy(&reports[i]);
}

Test(validation, mixed_submission_is_judged_report_by_report)
{
    /* 1: good, bad in three ways, good. */
    pa_report_t *a = s_report("a-1", "500101", "2024-01", 1);
    s_count(a, "ws_deaths", "500101001", 1);
    s_ratio(a, "event_closure", "500101001", 95, 100);
    pa_report_t *b = s_report("b-1", "500102", "2024-01", 1);
    s_count(b, "ws_deaths", "500101002", 0);          /* town of 500101 */
    s_ratio(b, "event_closure", "500102001", 12, 10); /* numerator above denominator */
    s_count(b, "fire_deaths", "500102001", -1);       /* negative */
    s_count(b, "fire_incidents", "500102001", 2.5);   /* fractional */
    pa_report_t *c = s_report("c-1", "500103", "2024-01", 1);
    s_count(c, "major_accidents", "", 0);
    pa_report_t *first[] = {a, b, c};
    pa_receipt_t *rec = s_exchange(first, 3);
    cr_assert_eq(rec->entries[0].status, PA_STATUS_STORED);
    cr_assert_str_eq(rec->entries[0].report_id, "a-1");
    cr_assert_eq(rec->entries[1].status, PA_STATUS_REJECTED);
    cr_assert_eq(rec->entries[1].problems.n, 4, "every bad value is named");
    cr_assert(s_has(&rec->entries[1], PA_REASON_TOWN_NOT_IN_DISTRICT, "values[0].town"));
    cr_assert(s_has(&rec->entries[1], PA_REASON_NUMERATOR_ABOVE_DENOMINATOR,
                    "values[1].ratio.numerator"));
    cr_assert(s_has(&rec->entries[1], PA_REASON_NEGATIVE_COUNT, "values[2].count"));
    cr_assert(s_has(&rec->entries[1], PA_REASON_FRACTIONAL_COUNT, "values[3].count"));
    cr_assert_eq(rec->entries[2].status, PA_STATUS_STORED);
    pa_receipt_destroy(&rec);

    /* 2: duplicate, report_id reused for other content, same revision with
     * other content, a correction, and a stale revision after it. */
    pa_report_t *dup = s_report("a-1", "500101", "2024-01", 1);
    s_count(dup, "ws_deaths", "500101001", 1);
    s_ratio(dup, "event_closure", "500101001", 95, 100);
    pa_report_t *idc = s_report("a-1", "500101", "2024-01", 1);
    s_count(idc, "ws_deaths", "500101001", 2);
    pa_report_t *revc = s_report("a-other", "500101", "2024-01", 1);
    s_count(revc, "ws_deaths", "500101001", 3);
    pa_report_t *fix = s_report("a-2", "500101", "2024-01", 2);
    s_count(fix, "ws_deaths", "500101001", 0);
    s_ratio(fix, "event_closure", "500101001", 97, 100);
    pa_report_t *fix3 = s_report("c-3", "500103", "2024-01", 3);
    s_count(fix3, "major_accidents", "", 1);
    pa_report_t *stale = s_report("c-2", "500103", "2024-01", 2);
    s_count(stale, "major_accidents", "", 0);
    pa_report_t *second[] = {dup, idc, revc, fix, fix3, stale};
    rec = s_exchange(second, 6);
    cr_assert_eq(rec->entries[0].status, PA_STATUS_DUPLICATE);
    cr_assert_eq(rec->entries[1].status, PA_STATUS_REJECTED);
    cr_assert(s_has(&rec->entries[1], PA_REASON_REPORT_ID_CONFLICT, "report_id"));
    cr_assert_eq(rec->entries[2].status, PA_STATUS_REJECTED);
    cr_assert(s_has(&rec->entries[2], PA_REASON_REVISION_CONFLICT, "revision"));
    cr_assert_eq(rec->entries[3].status, PA_STATUS_STORED);
    cr_assert_eq(rec->entries[4].status, PA_STATUS_STORED);
    cr_assert_eq(rec->entries[5].status, PA_STATUS_REJECTED);
    cr_assert(s_has(&rec->entries[5], PA_REASON_STALE_REVISION, "revision"));
    pa_receipt_destroy(&rec);

    /* What is stored: a-1, c-1, a-2, c-3 and their values, nothing else. */
    char *ids = pa_testdb_text(&s_db, "SELECT string_agg(report_id, ',' ORDER BY report_id) "
                                      "FROM pingan.report");
    cr_assert_str_eq(ids, "a-1,a-2,c-1,c-3");
    free(ids);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.value"), 6);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT revision FROM pingan.current_report WHERE "
                                       "district_code = '500101'"),
                 2, "the correction is current");
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT numerator FROM pingan.v_value WHERE "
                                       "district_code = '500101' AND indicator_code = "
                                       "'event_closure'"),
                 97);
    /* Quarantine: one row per submission with refused reports, holding its
     * bytes, and one per refused report with its reasons. */
    char *subs = pa_testdb_text(&s_db, "SELECT string_agg(reports || ':' || (SELECT count(*) "
                                       "FROM pingan.quarantine_report AS r WHERE "
                                       "r.quarantine_id = q.id), ',' ORDER BY id) "
                                       "FROM pingan.quarantine AS q WHERE raw IS NOT NULL");
    cr_assert_str_eq(subs, "3:1,6:3", "first submission: b-1; second: a-1, a-other and c-2");
    free(subs);
    char *items = pa_testdb_text(&s_db, "SELECT string_agg(report_id || '@' || item, ',' ORDER "
                                        "BY quarantine_id, item) FROM pingan.quarantine_report");
    cr_assert_str_eq(items, "b-1@1,a-1@1,a-other@2,c-2@5");
    free(items);
    char *q =
        pa_testdb_text(&s_db, "SELECT string_agg(coalesce(report_id, '?') || ':' || reason, ',' "
                              "ORDER BY report_id, reason) FROM pingan.v_quarantine");
    cr_assert_str_eq(q, "a-1:report_id_conflict,a-other:revision_conflict,"
                        "b-1:fractional_count,b-1:negative_count,"
                        "b-1:numerator_above_denominator,b-1:town_not_in_district,"
                        "c-2:stale_revision");
    free(q);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.quarantine WHERE raw IS NULL"),
                 0);
    s_free(first, 3);
    s_free(second, 6);
}

/* One submission (one batch) with two revisions of one new district period,
 * one report_id for two new district periods, and plain first reports: the
 * first reports are stored in one statement (put_new_reports), the others
 * one by one in order, with the same answers as before. */
Test(validation, first_reports_repeats_and_revisions_in_one_batch)
{
    pa_report_t *p1 = s_report("p-1", "500104", "2024-03", 1);
    s_count(p1, "ws_deaths", "", 1);
    pa_report_t *p2 = s_report("p-2", "500104", "2024-03", 2);
    s_count(p2, "ws_deaths", "", 2);
    pa_report_t *q1 = s_report("q-1", "500105", "2024-03", 1);
    s_count(q1, "ws_deaths", "", 3);
    pa_report_t *q1b = s_report("q-1", "500106", "2024-03", 1);
    s_count(q1b, "ws_deaths", "", 4);
    pa_report_t *r1 = s_report("r-1", "500107", "2024-03", 1);
    s_count(r1, "ws_deaths", "", 5);
    pa_report_t *all[] = {p1, p2, q1, q1b, r1};
    pa_receipt_t *rec = s_exchange(all, 5);
    cr_assert_eq(rec->entries[0].status, PA_STATUS_STORED);
    cr_assert_eq(rec->entries[1].status, PA_STATUS_STORED);
    cr_assert_eq(rec->entries[2].status, PA_STATUS_STORED);
    cr_assert_eq(rec->entries[3].status, PA_STATUS_REJECTED);
    cr_assert(s_has(&rec->entries[3], PA_REASON_REPORT_ID_CONFLICT, "report_id"));
    cr_assert_eq(rec->entries[4].status, PA_STATUS_STORED);
    pa_receipt_destroy(&rec);
    char *ids = pa_testdb_text(&s_db, "SELECT string_agg(report_id || ':' || district_code || ':' "
                                      "|| revision, ',' ORDER BY report_id) FROM pingan.report");
    cr_assert_str_eq(ids, "p-1:500104:1,p-2:500104:2,q-1:500105:1,r-1:500107:1");
    free(ids);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT sum(v.count) FROM pingan.v_value AS v"), 2 + 3 + 5,
                 "the current revisions' values");
    /* The same batch again: every report answers as a repeat. */
    rec = s_exchange(all, 5);
    cr_assert_eq(rec->entries[0].status, PA_STATUS_SUPERSEDED);
    cr_assert_eq(rec->entries[1].status, PA_STATUS_DUPLICATE);
    cr_assert_eq(rec->entries[2].status, PA_STATUS_DUPLICATE);
    cr_assert_eq(rec->entries[3].status, PA_STATUS_REJECTED);
    cr_assert_eq(rec->entries[4].status, PA_STATUS_DUPLICATE);
    pa_receipt_destroy(&rec);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report"), 4);
    s_free(all, 5);
}

Test(validation, time_rules_use_china_time_and_the_catalogue)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char future_month[16];
    snprintf(future_month, sizeof future_month, "%04d-%02d", tm.tm_year + 1900 + 1, 1);
    pa_report_t *future = s_report("f-1", "500101", future_month, 1);
    s_count(future, "ws_deaths", "500101001", 0);
    pa_report_t *early = s_report("e-1", "500101", "2019-12", 1);
    s_count(early, "ws_deaths", "500101001", 0);
    pa_report_t *misaligned = s_report("m-1", "500101", "2024-03", 1);
    misaligned->period.start += 1; /* 2024-03-02 as a month start */
    s_count(misaligned, "ws_deaths", "500101001", 0);
    pa_report_t *weekly = s_report("w-1", "500101", "2024-W10", 1);
    s_ratio(weekly, "sense_of_security", "", 90, 100); /* collected per quarter and year */
    pa_report_t *all[] = {future, early, misaligned, weekly};
    pa_receipt_t *rec = s_exchange(all, 4);
    cr_assert(s_has(&rec->entries[0], PA_REASON_PERIOD_NOT_ENDED, "period_start"));
    cr_assert(s_has(&rec->entries[1], PA_REASON_PERIOD_TOO_EARLY, "period_start"));
    cr_assert(s_has(&rec->entries[2], PA_REASON_PERIOD_MISALIGNED, "period_start"));
    cr_assert(s_has(&rec->entries[3], PA_REASON_PERIOD_TYPE_NOT_COLLECTED, "values[0].indicator"));
    for (size_t i = 0; i < 4; i++)
        cr_assert_eq(rec->entries[i].status, PA_STATUS_REJECTED);
    pa_receipt_destroy(&rec);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report"), 0);
    cr_assert_eq(
        pa_testdb_long(&s_db, "SELECT count(DISTINCT report_id) FROM pingan.quarantine_report"), 4);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.quarantine"), 1,
                 "four refused reports of one submission: one quarantine row");
    s_free(all, 4);
}

Test(validation, sigterm_finishes_and_acknowledges_the_current_batch)
{
    /* A second worker that would hold a batch for a minute: SIGTERM must
     * commit it and answer, not drop it. */
    char ep[64], err[512];
    pa_testenv_endpoint(ep, sizeof ep);
    pid_t slow = pa_testenv_start_worker(&s_db, ep, pa_testenv_tmp("slow.err", err, sizeof err),
                                         "--batch-wait-ms=60000");
    void *sock = zmq_socket(s_ctx, ZMQ_DEALER);
    int linger = 0, timeout = 20000;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sock, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    cr_assert_eq(zmq_connect(sock, ep), 0);
    pa_report_t *r = s_report("t-1", "500104", "2024-02", 1);
    s_count(r, "ws_deaths", "500104001", 0);
    uint8_t *body = NULL;
    size_t len = 0;
    cr_assert_eq(pa_codec_encode_submission("test", &r, 1, &body, &len, NULL), PA_OK);
    cr_assert_eq(zmq_send(sock, "", 0, ZMQ_SNDMORE), 0);
    cr_assert_eq(zmq_send(sock, "t", 1, ZMQ_SNDMORE), 1);
    cr_assert_eq(zmq_send(sock, body, len, 0), (int)len);
    free(body);
    cr_assert(pa_testenv_wait_for_text(err, "submission received", 10000));
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report"), 0,
                 "still pending: nothing committed yet");
    kill(slow, SIGTERM);
    char frame[4096];
    cr_assert_eq(zmq_recv(sock, frame, sizeof frame, 0), 0, "no receipt after SIGTERM");
    cr_assert_eq(zmq_recv(sock, frame, sizeof frame, 0), 1);
    int m = zmq_recv(sock, frame, sizeof frame, 0);
    pa_receipt_t *rec = NULL;
    cr_assert_eq(pa_codec_decode_receipt(frame, (size_t)m, &rec, NULL), PA_OK);
    cr_assert_eq(rec->entries[0].status, PA_STATUS_STORED);
    pa_receipt_destroy(&rec);
    cr_assert_eq(pa_testenv_wait(slow, 20000), 0);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report"), 1);
    zmq_close(sock);
    pa_report_destroy(&r);
}
