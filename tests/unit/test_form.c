/* test_form.c - the pure parts of a question: command-line arguments to a
 * query, the worker's check, the wire round trip of Query and Answer, and
 * the status table and CSV template rendered from an answer. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pa_codec.h"
#include "pa_codec_query.h"
#include "pa_form.h"
#include "pa_problem.h"
#include "pa_query.h"

Test(query, arguments_become_a_query)
{
    pa_query_t q;
    cr_assert_eq(pa_query_from_args(&q, PA_QUERY_STATUS, "500101", "2024-Q1", "", NULL), PA_OK);
    cr_assert_eq(q.n_districts, 1);
    cr_assert_str_eq(q.districts[0], "500101");
    cr_assert_eq(q.period_type, PA_PERIOD_QUARTER);
    cr_assert_str_eq(q.period_from, "2024-01-01");
    cr_assert_str_eq(q.period_to, "2024-01-01");
    cr_assert_eq(pa_query_from_args(&q, PA_QUERY_STATUS, "500101", "", "2024-04-01", NULL), PA_OK);
    /* Midnight in China is 16:00 UTC the day before. */
    cr_assert_eq(q.since_ms, 1711900800000LL);
    pa_err_t err;
    static const struct {
        const char *district, *period, *since, *msg;
    } bad[] = {
        {"5001", "", "", "--district: '5001' is not a 6-digit district code"},
        {"500101", "2024-13", "",
         "--period: '2024-13' is not a period (2024-03-05, 2024-W09, "
         "2024-03, 2024-Q1 or 2024)"},
        {"500101", "", "April", "--since: 'April' is not a date (YYYY-MM-DD)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(pa_query_from_args(&q, PA_QUERY_STATUS, bad[i].district, bad[i].period,
                                        bad[i].since, &err),
                     PA_EINVAL);
        cr_assert_str_eq(err.msg, bad[i].msg);
    }
}

Test(query, the_worker_checks_a_question)
{
    pa_query_t q;
    int reason = 0;
    pa_query_from_args(&q, PA_QUERY_CATALOGUE, "", "", "", NULL);
    cr_assert_eq(pa_query_check(&q, &reason, NULL), PA_OK, "a catalogue needs no district");
    cr_assert_eq(reason, PA_REASON_NONE);
    q.kind = PA_QUERY_STATUS;
    cr_assert_eq(pa_query_check(&q, &reason, NULL), PA_EINVAL);
    cr_assert_eq(reason, PA_REASON_QUERY_INVALID);
    pa_query_from_args(&q, PA_QUERY_STATUS, "500101", "", "", NULL);
    q.limit = 1000;
    cr_assert_eq(pa_query_check(&q, &reason, NULL), PA_OK);
    q.garbled = true;
    cr_assert_eq(pa_query_check(&q, &reason, NULL), PA_EINVAL);
}

Test(query, a_query_survives_the_wire)
{
    pa_query_t q;
    pa_query_from_args(&q, PA_QUERY_STATUS, "500101", "2024-03", "", NULL);
    q.limit = 7;
    uint8_t *buf = NULL;
    size_t len = 0;
    cr_assert_eq(pa_codec_encode_query("office", &q, &buf, &len, NULL), PA_OK);
    pa_submission_t *sub = NULL;
    cr_assert_eq(pa_codec_decode_submission(buf, len, &sub, NULL), PA_OK);
    cr_assert_eq(sub->n_items, 0);
    cr_assert_str_eq(sub->sender, "office");
    cr_assert(sub->query);
    cr_assert_eq(sub->query->kind, PA_QUERY_STATUS);
    cr_assert_eq(sub->query->n_districts, 1);
    cr_assert_str_eq(sub->query->districts[0], "500101");
    cr_assert_eq(sub->query->period_type, PA_PERIOD_MONTH);
    cr_assert_str_eq(sub->query->period_from, "2024-03-01");
    cr_assert_eq(sub->query->limit, 7);
    cr_assert(!sub->query->garbled);
    pa_submission_destroy(&sub);
    free(buf);
}

/* An answer of two revisions of one period, a rejection and a catalogue of
 * three indicators over two towns of 500101 and one of 500102. */
static pa_answer_t *s_answer(void)
{
    pa_answer_t *a = pa_answer_new(PA_QUERY_STATUS);
    pa_answer_report_t *r = pa_answer_add_report(a);
    snprintf(r->report_id, sizeof r->report_id, "r2");
    snprintf(r->district, sizeof r->district, "500101");
    r->period_type = PA_PERIOD_MONTH;
    snprintf(r->period_start, sizeof r->period_start, "2024-03-01");
    r->revision = 2;
    r->submitted_at_ms = 1711962000000LL; /* 2024-04-01 09:00:00 UTC */
    r->received_at_ms = 1711962001000LL;
    r->current = true;
    r->values = 3;
    r = pa_answer_add_report(a);
    snprintf(r->report_id, sizeof r->report_id, "r1");
    snprintf(r->district, sizeof r->district, "500101");
    r->period_type = PA_PERIOD_MONTH;
    snprintf(r->period_start, sizeof r->period_start, "2024-03-01");
    r->revision = 1;
    r->received_at_ms = 1711875600000LL;
    r->values = 4;
    pa_answer_rejection_t *j = pa_answer_add_rejection(a);
    j->received_at_ms = 1711962001000LL;
    snprintf(j->district, sizeof j->district, "500101");
    snprintf(j->reason, sizeof j->reason, "negative_count");
    snprintf(j->field, sizeof j->field, "values[0].count");
    snprintf(j->message, sizeof j->message, "count -1 is negative");
    j->problems = 1;
    static const char *const ind[][3] = {{"ws_deaths", "count", "any"},
                                         {"business_digitised", "ratio", "town"},
                                         {"industrial_zones", "count", "district"},
                                         {"sense_of_security", "ratio", "district"}};
    for (size_t i = 0; i < 4; i++) {
        pa_answer_indicator_t *x = pa_answer_add_indicator(a);
        snprintf(x->code, sizeof x->code, "%s", ind[i][0]);
        snprintf(x->kind, sizeof x->kind, "%s", ind[i][1]);
        snprintf(x->level, sizeof x->level, "%s", ind[i][2]);
        snprintf(x->name_zh, sizeof x->name_zh, "名%zu", i);
        snprintf(x->name_en, sizeof x->name_en, "name %zu", i);
        x->period_mask = i < 2 ? 0x3e : (1u << PA_PERIOD_QUARTER) | (1u << PA_PERIOD_YEAR);
    }
    static const char *const towns[][2] = {
        {"500101001", "500101"}, {"500101002", "500101"}, {"500102001", "500102"}};
    for (size_t i = 0; i < 3; i++) {
        pa_answer_town_t *t = pa_answer_add_town(a);
        snprintf(t->code, sizeof t->code, "%s", towns[i][0]);
        snprintf(t->district, sizeof t->district, "%s", towns[i][1]);
    }
    return a;
}

Test(query, an_answer_survives_the_wire)
{
    pa_answer_t *a = s_answer(), *b = NULL;
    a->truncated = true;
    uint8_t *buf = NULL;
    size_t len = 0;
    cr_assert_eq(pa_codec_encode_answer(a, "w1", &buf, &len, NULL), PA_OK);
    int status = 0, reason = -1;
    char message[64];
    cr_assert_eq(
        pa_codec_decode_answer(buf, len, &status, &reason, message, sizeof message, &b, NULL),
        PA_OK);
    cr_assert_eq(status, PA_STATUS_STORED);
    cr_assert_eq(reason, 0);
    cr_assert(b);
    cr_assert_eq(b->n_reports, 2);
    cr_assert_eq(memcmp(a->reports, b->reports, 2 * sizeof *a->reports), 0);
    cr_assert_eq(b->n_rejections, 1);
    cr_assert_eq(memcmp(a->rejections, b->rejections, sizeof *a->rejections), 0);
    cr_assert_eq(b->n_indicators, 4);
    cr_assert_eq(memcmp(a->indicators, b->indicators, 4 * sizeof *a->indicators), 0);
    cr_assert_eq(b->n_towns, 3);
    cr_assert(b->truncated);
    pa_answer_destroy(&b);
    free(buf);
    /* A refusal carries no answer. */
    cr_assert_eq(pa_codec_encode_failure(PA_STATUS_REJECTED, PA_REASON_QUERY_UNAUTHORIZED, "no",
                                         "w1", &buf, &len, NULL),
                 PA_OK);
    cr_assert_eq(
        pa_codec_decode_answer(buf, len, &status, &reason, message, sizeof message, &b, NULL),
        PA_OK);
    cr_assert_null(b);
    cr_assert_eq(reason, PA_REASON_QUERY_UNAUTHORIZED);
    cr_assert_str_eq(message, "no");
    free(buf);
    pa_answer_destroy(&a);
}

static char *s_render(int (*fn)(FILE *, const pa_answer_t *, void *), const pa_answer_t *a,
                      void *arg)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    cr_assert_eq(fn(f, a, arg), PA_OK);
    fclose(f);
    return text;
}

static int s_status(FILE *f, const pa_answer_t *a, void *arg)
{
    return pa_form_status(f, a, arg, NULL);
}

static int s_template(FILE *f, const pa_answer_t *a, void *arg)
{
    size_t rows = 0;
    int rc = pa_form_template(f, a, "500101", arg, &rows, NULL);
    cr_assert_eq(rows, 6);
    return rc;
}

Test(query, the_status_table)
{
    pa_answer_t *a = s_answer();
    char *text = s_render(s_status, a, "500101");
    cr_assert_str_eq(
        text,
        "district 500101: 2 reports stored (1 current, 1 superseded), 1 rejection\n"
        "period      revision  submitted            stored at            status      values  "
        "report\n"
        "2024-03     2         2024-04-01 17:00:00  2024-04-01 17:00:01  current          3  r2\n"
        "2024-03     1         -                    2024-03-31 17:00:00  superseded       4  r1\n"
        "recent rejections, newest first:\n"
        "when                 period      revision  reason                        message\n"
        "2024-04-01 17:00:01  ?           ?         negative_count                "
        "values[0].count: count -1 is negative\n"
        "times are China Standard Time (UTC+8)\n");
    free(text);
    pa_answer_destroy(&a);
}

Test(query, the_template_follows_level_and_period)
{
    pa_answer_t *a = s_answer();
    pa_period_t month = {PA_PERIOD_MONTH, 0}, quarter = {PA_PERIOD_QUARTER, 0};
    cr_assert_eq(pa_period_parse("2024-03", &month, NULL), PA_OK);
    cr_assert_eq(pa_period_parse("2024-Q1", &quarter, NULL), PA_OK);
    size_t rows = 0;
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    cr_assert_eq(pa_form_template(f, a, "500101", &month, &rows, NULL), PA_OK);
    fclose(f);
    cr_assert_eq(rows, 4, "two towns x the two monthly indicators; none per district");
    cr_assert_str_eq(text, "district,period,revision,town,indicator,count,numerator,denominator\n"
                           "500101,2024-03,1,500101001,ws_deaths,,,\n"
                           "500101,2024-03,1,500101001,business_digitised,,,\n"
                           "500101,2024-03,1,500101002,ws_deaths,,,\n"
                           "500101,2024-03,1,500101002,business_digitised,,,\n");
    free(text);
    text = s_render(s_template, a, &quarter);
    cr_assert(strstr(text, "500101,2024-Q1,1,,industrial_zones,,,\n"
                           "500101,2024-Q1,1,,sense_of_security,,,\n"),
              "district-level rows close the quarter's form: %s", text);
    free(text);
    pa_err_t err;
    f = open_memstream(&text, &size);
    cr_assert_eq(pa_form_template(f, a, "500199", &month, &rows, &err), PA_EINVAL);
    fclose(f);
    cr_assert_str_eq(err.msg, "district 500199 has no towns in the worker's catalogue");
    free(text);
    pa_answer_destroy(&a);
}
