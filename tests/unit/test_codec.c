/* test_codec.c - unit tests for pa_codec: submission round trip field by
 * field, garbage bytes refused, malformed reports decoded with one named
 * problem per bad field (Submission bytes built with the generated
 * protobuf-c API, as a foreign producer would), and receipts, including
 * whole-submission failures, in both directions. No sockets, no database. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pa_codec.h"
#include "pingan.pb-c.h"

/* ---------------------------------------------------------------- helpers */

static pa_report_t *s_report(const char *id, const char *district, pa_period_type_t type,
                             const char *start, int64_t submitted_at_ms, uint32_t revision)
{
    pa_report_t *r = pa_report_new();
    cr_assert_not_null(r);
    snprintf(r->report_id, sizeof r->report_id, "%s", id);
    snprintf(r->district, sizeof r->district, "%s", district);
    r->period.type = type;
    cr_assert_eq(pa_date_parse(start, &r->period.start, NULL), PA_OK, "%s", start);
    r->submitted_at_ms = submitted_at_ms;
    r->revision = revision;
    return r;
}

static void s_add_count(pa_report_t *r, const char *indicator, const char *town, double count)
{
    pa_value_t v;
    memset(&v, 0, sizeof v);
    snprintf(v.indicator, sizeof v.indicator, "%s", indicator);
    snprintf(v.town, sizeof v.town, "%s", town);
    v.kind = PA_AMOUNT_COUNT;
    v.count = count;
    cr_assert_eq(pa_report_add_value(r, &v, NULL), PA_OK);
}

static void s_add_ratio(pa_report_t *r, const char *indicator, const char *town, double num,
                        double den)
{
    pa_value_t v;
    memset(&v, 0, sizeof v);
    snprintf(v.indicator, sizeof v.indicator, "%s", indicator);
    snprintf(v.town, sizeof v.town, "%s", town);
    v.kind = PA_AMOUNT_RATIO;
    v.numerator = num;
    v.denominator = den;
    cr_assert_eq(pa_report_add_value(r, &v, NULL), PA_OK);
}

/* Doubles compared bit for bit where they are numbers, and NaN as NaN. */
static bool s_same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

static void s_expect_same_report(const pa_report_t *got, const pa_report_t *want)
{
    cr_expect_str_eq(got->report_id, want->report_id);
    cr_expect_str_eq(got->district, want->district);
    cr_expect_eq(got->period.type, want->period.type);
    cr_expect_eq(got->period.start, want->period.start);
    cr_expect_eq(got->submitted_at_ms, want->submitted_at_ms);
    cr_expect_eq(got->revision, want->revision);
    cr_assert_eq(got->n_values, want->n_values);
    for (size_t i = 0; i < want->n_values; i++) {
        const pa_value_t *g = &got->values[i], *w = &want->values[i];
        cr_expect_str_eq(g->indicator, w->indicator, "values[%zu]", i);
        cr_expect_str_eq(g->town, w->town, "values[%zu]", i);
        cr_expect_eq(g->kind, w->kind, "values[%zu]", i);
        if (w->kind == PA_AMOUNT_COUNT) {
            cr_expect(s_same_double(g->count, w->count), "values[%zu].count %.17g != %.17g", i,
                      g->count, w->count);
        } else {
            cr_expect(s_same_double(g->numerator, w->numerator),
                      "values[%zu].numerator %.17g != %.17g", i, g->numerator, w->numerator);
            cr_expect(s_same_double(g->denominator, w->denominator),
                      "values[%zu].denominator %.17g != %.17g", i, g->denominator, w->denominator);
        }
    }
}

/* Packs any generated message into a malloc'ed buffer. */
static uint8_t *s_pack(const ProtobufCMessage *m, size_t *len)
{
    size_t size = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(size ? size : 1);
    cr_assert_not_null(buf);
    *len = protobuf_c_message_pack(m, buf);
    cr_assert_eq(*len, size);
    return buf;
}

/* Decodes bytes that must be a Submission. */
static pa_submission_t *s_decode(const uint8_t *buf, size_t len)
{
    pa_submission_t *sub = NULL;
    pa_err_t err;
    pa_err_clear(&err);
    cr_assert_eq(pa_codec_decode_submission(buf, len, &sub, &err), PA_OK, "%s", err.msg);
    cr_assert_not_null(sub);
    return sub;
}

static const pa_problem_t *s_find(const pa_problems_t *pr, int reason, const char *field)
{
    for (size_t i = 0; i < pr->n; i++)
        if (pr->items[i].reason == reason && strcmp(pr->items[i].field, field) == 0)
            return &pr->items[i];
    return NULL;
}

static void s_dump(const pa_problems_t *pr, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < pr->n && len < size; i++)
        len += (size_t)snprintf(out + len, size - len, " [%s %s: %s]",
                                pa_reason_name(pr->items[i].reason), pr->items[i].field,
                                pr->items[i].message);
}

/* ---------------------------------------------------------------- round trip */

Test(codec, submission_round_trip)
{
    pa_report_t *a =
        s_report("r-2024-q1.500101", "500101", PA_PERIOD_QUARTER, "2024-01-01", 1717113600123LL, 1);
    s_add_count(a, "ws_deaths", "", 3);
    s_add_count(a, "ws_deaths", "500101001", 0);
    s_add_ratio(a, "event_closure", "", 0.1, 0.30000000000000004);
    s_add_ratio(a, "business_digitised", "500101002", 9007199254740993.0, 9007199254740994.0);
    s_add_count(a, "fire_incidents", "500101003", 1e300);
    pa_report_t *b = s_report("b:2", "500102", PA_PERIOD_WEEK, "2020-12-28", 1, 2147483647u);
    s_add_ratio(b, "sense_of_security", "", 980, 1000);
    pa_report_t *c = s_report("c_3", "500103", PA_PERIOD_DAY, "2024-02-29", INT64_MAX, 2);
    pa_report_t *reports[] = {a, b, c};

    uint8_t *buf = NULL;
    size_t len = 0;
    pa_err_t err;
    pa_err_clear(&err);
    cr_assert_eq(pa_codec_encode_submission("渝中区 office", reports, 3, &buf, &len, &err), PA_OK,
                 "%s", err.msg);
    cr_assert_not_null(buf);
    cr_assert_gt(len, 0);

    pa_submission_t *sub = s_decode(buf, len);
    cr_assert_eq(sub->version, PA_PROTOCOL_VERSION);
    cr_assert_str_eq(sub->sender, "渝中区 office");
    cr_assert_eq(sub->n_items, 3);
    for (size_t i = 0; i < 3; i++) {
        const pa_item_t *item = &sub->items[i];
        char dump[1024];
        s_dump(&item->problems, dump, sizeof dump);
        cr_expect_eq(item->problems.n, 0, "report %zu has problems:%s", i, dump);
        cr_expect_eq(item->status, PA_STATUS_NONE);
        cr_expect_eq(item->pk, 0);
        cr_assert_not_null(item->report);
        s_expect_same_report(item->report, reports[i]);

        /* The kept bytes are that report alone, re-decodable as a Report. */
        cr_assert_not_null(item->raw);
        cr_assert_gt(item->raw_len, 0);
        Pingan__V1__Report *m = pingan__v1__report__unpack(NULL, item->raw_len, item->raw);
        cr_assert_not_null(m, "raw bytes of report %zu are not a Report", i);
        cr_expect_str_eq(m->report_id, reports[i]->report_id);
        cr_expect_eq(m->n_values, reports[i]->n_values);
        pingan__v1__report__free_unpacked(m, NULL);
    }
    pa_submission_destroy(&sub);
    cr_assert_null(sub);
    free(buf);
    for (size_t i = 0; i < 3; i++)
        pa_report_destroy(&reports[i]);
}

Test(codec, non_finite_and_negative_amounts_survive_the_wire)
{
    /* Judging them is pa_validate's business: the codec must carry them unchanged. */
    pa_report_t *r = s_report("nf", "500101", PA_PERIOD_MONTH, "2024-03-01", 1, 1);
    s_add_count(r, "ws_deaths", "", NAN);
    s_add_count(r, "fire_deaths", "", INFINITY);
    s_add_count(r, "fire_incidents", "", -2.5);
    s_add_ratio(r, "event_closure", "", -INFINITY, 0);
    s_add_ratio(r, "task_completion", "", 0.0, NAN);
    uint8_t *buf = NULL;
    size_t len = 0;
    cr_assert_eq(pa_codec_encode_submission("t", &r, 1, &buf, &len, NULL), PA_OK);
    pa_submission_t *sub = s_decode(buf, len);
    cr_assert_eq(sub->n_items, 1);
    cr_expect_eq(sub->items[0].problems.n, 0);
    s_expect_same_report(sub->items[0].report, r);
    pa_submission_destroy(&sub);
    free(buf);
    pa_report_destroy(&r);
}

Test(codec, empty_submission_round_trip)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    cr_assert_eq(pa_codec_encode_submission(NULL, NULL, 0, &buf, &len, NULL), PA_OK);
    pa_submission_t *sub = s_decode(buf, len);
    cr_expect_eq(sub->version, PA_PROTOCOL_VERSION);
    cr_expect_str_eq(sub->sender, "");
    cr_expect_eq(sub->n_items, 0);
    pa_submission_destroy(&sub);
    free(buf);
}

Test(codec, value_without_amount_is_named_after_the_round_trip)
{
    pa_report_t *r = s_report("na", "500101", PA_PERIOD_YEAR, "2023-01-01", 1, 1);
    s_add_count(r, "ws_deaths", "", 1);
    pa_value_t v;
    memset(&v, 0, sizeof v);
    strcpy(v.indicator, "fire_deaths");
    cr_assert_eq(pa_report_add_value(r, &v, NULL), PA_OK); /* kind PA_AMOUNT_NONE */
    uint8_t *buf = NULL;
    size_t len = 0;
    cr_assert_eq(pa_codec_encode_submission("t", &r, 1, &buf, &len, NULL), PA_OK);
    pa_submission_t *sub = s_decode(buf, len);
    const pa_problems_t *pr = &sub->items[0].problems;
    cr_assert_eq(pr->n, 1);
    cr_expect_eq(pr->items[0].reason, PA_REASON_MISSING_AMOUNT);
    cr_expect_str_eq(pr->items[0].field, "values[1]");
    cr_expect_eq(sub->items[0].report->values[1].kind, PA_AMOUNT_NONE);
    pa_submission_destroy(&sub);
    free(buf);
    pa_report_destroy(&r);
}

Test(codec, sender_that_is_not_printable_is_dropped)
{
    pa_report_t *r = s_report("s", "500101", PA_PERIOD_YEAR, "2023-01-01", 1, 1);
    uint8_t *buf = NULL;
    size_t len = 0;
    cr_assert_eq(pa_codec_encode_submission("bad\x1b[31m", &r, 1, &buf, &len, NULL), PA_OK);
    pa_submission_t *sub = s_decode(buf, len);
    cr_expect_str_eq(sub->sender, "");
    cr_expect_eq(sub->n_items, 1);
    pa_submission_destroy(&sub);
    free(buf);
    pa_report_destroy(&r);
}

Test(codec, long_sender_is_cut_on_a_character_boundary)
{
    /* 2 + 60 x 3 bytes: the 127-byte cut falls inside the 42nd character. A
     * cut character is invalid UTF-8, which PostgreSQL refuses (22021) for
     * report.sender, so the whole submission would be rejected for its
     * audit-trail text (docs/protocol.md section 8 documents this as a caution). */
    char sender[256] = "ab";
    for (int i = 0; i < 60; i++)
        strcat(sender, "\xe6\xb8\x9d"); /* U+6E1D */
    pa_report_t *r = s_report("s", "500101", PA_PERIOD_YEAR, "2023-01-01", 1, 1);
    uint8_t *buf = NULL;
    size_t len = 0;
    cr_assert_eq(pa_codec_encode_submission(sender, &r, 1, &buf, &len, NULL), PA_OK);
    pa_submission_t *sub = s_decode(buf, len);
    cr_expect_leq(strlen(sub->sender), PA_SENDER_SIZE - 1);
    cr_expect_eq(strncmp(sub->sender, sender, strlen(sub->sender)), 0, "not a prefix");
    cr_expect_geq(strlen(sub->sender), PA_SENDER_SIZE - 3, "cut more than one character");
    cr_expect(pa_utf8_printable(sub->sender), "sender cut inside a character (%zu bytes)",
              strlen(sub->sender));
    pa_submission_destroy(&sub);
    free(buf);
    pa_report_destroy(&r);
}

/* ---------------------------------------------------------------- garbage */

Test(codec, garbage_bytes_are_not_a_submission)
{
    static const struct {
        const char *what;
        const char *bytes;
        size_t len;
    } cases[] = {
        {"overlong varint", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11},
        {"wire type 7", "\x0f", 1},
        {"tag without value", "\x08", 1},
        {"length past the end",
         "\x1a\x05"
         "ab",
         4},
        {"nested report with wire type 7", "\x1a\x02\x0f\x00", 4},
        {"field number zero", "\x00\x01", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pa_submission_t *sub = (pa_submission_t *)0x1;
        pa_err_t err;
        pa_err_clear(&err);
        int rc = pa_codec_decode_submission(cases[i].bytes, cases[i].len, &sub, &err);
        cr_expect_eq(rc, PA_EINVAL, "%s: rc %d", cases[i].what, rc);
        cr_expect_eq(err.code, PA_EINVAL, "%s", cases[i].what);
        cr_expect_neq(strstr(err.msg, "not a pingan Submission"), NULL, "%s: '%s'", cases[i].what,
                      err.msg);
        cr_expect_null(sub, "%s: *out not reset", cases[i].what);
        if (rc == PA_OK)
            pa_submission_destroy(&sub);
    }
}

Test(codec, truncated_submission_is_refused)
{
    pa_report_t *r = s_report("t", "500101", PA_PERIOD_YEAR, "2023-01-01", 1, 1);
    s_add_count(r, "ws_deaths", "", 1);
    uint8_t *buf = NULL;
    size_t len = 0;
    cr_assert_eq(pa_codec_encode_submission("t", &r, 1, &buf, &len, NULL), PA_OK);
    /* Every cut inside the report (the last field) breaks its length prefix. */
    size_t report_at = len;
    for (size_t i = 0; i < len; i++)
        if (buf[i] == 0x1a) {
            report_at = i;
            break;
        }
    cr_assert_lt(report_at, len);
    for (size_t cut = report_at + 1; cut < len; cut++) {
        pa_submission_t *sub = NULL;
        int rc = pa_codec_decode_submission(buf, cut, &sub, NULL);
        cr_expect_eq(rc, PA_EINVAL, "%zu of %zu bytes decoded", cut, len);
        cr_expect_null(sub);
        pa_submission_destroy(&sub);
    }
    free(buf);
    pa_report_destroy(&r);
}

/* ------------------------------------------------- malformed report fields */

/* A Submission of one good report, as generated structs, ready to break. */
typedef struct {
    Pingan__V1__Submission sub;
    Pingan__V1__Report rep;
    Pingan__V1__Report *rep_p[1];
    Pingan__V1__Value val[3];
    Pingan__V1__Value *val_p[3];
    Pingan__V1__Ratio ratio;
} s_wire_t;

static void s_wire_init(s_wire_t *w)
{
    Pingan__V1__Submission sub = PINGAN__V1__SUBMISSION__INIT;
    Pingan__V1__Report rep = PINGAN__V1__REPORT__INIT;
    Pingan__V1__Value val = PINGAN__V1__VALUE__INIT;
    Pingan__V1__Ratio ratio = PINGAN__V1__RATIO__INIT;
    w->sub = sub;
    w->sub.version = 1;
    w->sub.sender = "unit-test";
    w->sub.n_reports = 1;
    w->sub.reports = w->rep_p;
    w->rep_p[0] = &w->rep;
    w->rep = rep;
    w->rep.report_id = "r-1";
    w->rep.district = "500101";
    w->rep.period_type = PINGAN__V1__PERIOD_TYPE__PERIOD_TYPE_QUARTER;
    w->rep.period_start = "2024-01-01";
    w->rep.submitted_at_ms = 1717113600000LL;
    w->rep.revision = 1;
    w->rep.n_values = 3;
    w->rep.values = w->val_p;
    for (size_t i = 0; i < 3; i++) {
        w->val[i] = val;
        w->val_p[i] = &w->val[i];
    }
    w->val[0].indicator = "ws_deaths";
    w->val[0].amount_case = PINGAN__V1__VALUE__AMOUNT_COUNT;
    w->val[0].count = 3;
    w->ratio = ratio;
    w->ratio.numerator = 8;
    w->ratio.denominator = 10;
    w->val[1].indicator = "event_closure";
    w->val[1].town = "500101001";
    w->val[1].amount_case = PINGAN__V1__VALUE__AMOUNT_RATIO;
    w->val[1].ratio = &w->ratio;
    w->val[2].indicator = "yibiaotong_online";
    w->val[2].town = "500101002";
    w->val[2].amount_case = PINGAN__V1__VALUE__AMOUNT_COUNT;
    w->val[2].count = 1;
}

static pa_submission_t *s_wire_decode(s_wire_t *w)
{
    size_t len = 0;
    uint8_t *buf = s_pack(&w->sub.base, &len);
    pa_submission_t *sub = s_decode(buf, len);
    free(buf);
    return sub;
}

Test(codec, hand_built_good_report_has_no_problems)
{
    s_wire_t w;
    s_wire_init(&w);
    pa_submission_t *sub = s_wire_decode(&w);
    cr_assert_eq(sub->n_items, 1);
    char dump[1024];
    s_dump(&sub->items[0].problems, dump, sizeof dump);
    cr_assert_eq(sub->items[0].problems.n, 0, "problems:%s", dump);
    const pa_report_t *r = sub->items[0].report;
    cr_expect_str_eq(r->report_id, "r-1");
    cr_expect_str_eq(r->district, "500101");
    cr_expect_eq(r->period.type, PA_PERIOD_QUARTER);
    cr_expect_eq(r->period.start, pa_date_from_ymd(2024, 1, 1));
    cr_expect_eq(r->submitted_at_ms, 1717113600000LL);
    cr_expect_eq(r->revision, 1);
    cr_assert_eq(r->n_values, 3);
    cr_expect_eq(r->values[1].kind, PA_AMOUNT_RATIO);
    cr_expect_eq(r->values[1].numerator, 8);
    cr_expect_eq(r->values[1].denominator, 10);
    cr_expect_str_eq(r->values[2].town, "500101002");
    pa_submission_destroy(&sub);
}

static char s_long_id[80];   /* 65 characters: one more than report_id allows */
static char s_long_ind[48];  /* 40 characters: one more than an indicator allows */
static char s_long_town[16]; /* 12 characters: one more than a town allows */

static void s_long_strings(void)
{
    memset(s_long_id, 'a', 65);
    s_long_id[65] = '\0';
    memset(s_long_ind, 'i', 40);
    s_long_ind[40] = '\0';
    memset(s_long_town, '5', 12);
    s_long_town[12] = '\0';
}

typedef struct {
    const char *what;
    void (*breaks)(s_wire_t *w);
    int reason; /* PA_REASON_* */
    const char *field;
} s_field_case_t;

static void s_id_empty(s_wire_t *w)
{
    w->rep.report_id = "";
}
static void s_id_space(s_wire_t *w)
{
    w->rep.report_id = "has space";
}
static void s_id_slash(s_wire_t *w)
{
    w->rep.report_id = "a/b";
}
static void s_id_unicode(s_wire_t *w)
{
    w->rep.report_id = "caf\xc3\xa9";
}
static void s_id_bad_utf8(s_wire_t *w)
{
    w->rep.report_id = "r\xff\xfe";
}
static void s_id_long(s_wire_t *w)
{
    w->rep.report_id = s_long_id;
}
static void s_district_empty(s_wire_t *w)
{
    w->rep.district = "";
}
static void s_district_control(s_wire_t *w)
{
    w->rep.district = "500101\n";
}
static void s_district_long(s_wire_t *w)
{
    w->rep.district = "50010100";
}
static void s_type_unset(s_wire_t *w)
{
    w->rep.period_type = 0;
}
static void s_type_six(s_wire_t *w)
{
    w->rep.period_type = 6;
}
static void s_type_negative(s_wire_t *w)
{
    w->rep.period_type = -1;
}
static void s_start_empty(s_wire_t *w)
{
    w->rep.period_start = "";
}
static void s_start_feb30(s_wire_t *w)
{
    w->rep.period_start = "2024-02-30";
}
static void s_start_period_id(s_wire_t *w)
{
    w->rep.period_start = "2024-Q1";
}
static void s_start_garbage(s_wire_t *w)
{
    w->rep.period_start = "yesterday";
}
static void s_ms_zero(s_wire_t *w)
{
    w->rep.submitted_at_ms = 0;
}
static void s_ms_negative(s_wire_t *w)
{
    w->rep.submitted_at_ms = -5;
}
static void s_revision_zero(s_wire_t *w)
{
    w->rep.revision = 0;
}
static void s_ind_empty(s_wire_t *w)
{
    w->val[1].indicator = "";
}
static void s_ind_long(s_wire_t *w)
{
    w->val[1].indicator = s_long_ind;
}
static void s_ind_control(s_wire_t *w)
{
    w->val[1].indicator = "event\tclosure";
}
static void s_town_long(s_wire_t *w)
{
    w->val[1].town = s_long_town;
}
static void s_town_bad_utf8(s_wire_t *w)
{
    w->val[2].town = "\xc0\x80";
}
static void s_no_amount(s_wire_t *w)
{
    w->val[1].amount_case = PINGAN__V1__VALUE__AMOUNT__NOT_SET;
}

static const s_field_case_t s_field_cases[] = {
    {"empty report_id", s_id_empty, PA_REASON_MISSING_FIELD, "report_id"},
    {"report_id with a space", s_id_space, PA_REASON_INVALID_FIELD, "report_id"},
    {"report_id with a slash", s_id_slash, PA_REASON_INVALID_FIELD, "report_id"},
    {"report_id with non-ASCII", s_id_unicode, PA_REASON_INVALID_FIELD, "report_id"},
    {"report_id not UTF-8", s_id_bad_utf8, PA_REASON_INVALID_FIELD, "report_id"},
    {"report_id of 65 characters", s_id_long, PA_REASON_INVALID_FIELD, "report_id"},
    {"empty district", s_district_empty, PA_REASON_MISSING_FIELD, "district"},
    {"district with a newline", s_district_control, PA_REASON_INVALID_FIELD, "district"},
    {"district too long", s_district_long, PA_REASON_INVALID_FIELD, "district"},
    {"period_type unset", s_type_unset, PA_REASON_MISSING_FIELD, "period_type"},
    {"period_type 6", s_type_six, PA_REASON_INVALID_FIELD, "period_type"},
    {"period_type -1", s_type_negative, PA_REASON_INVALID_FIELD, "period_type"},
    {"empty period_start", s_start_empty, PA_REASON_MISSING_FIELD, "period_start"},
    {"period_start 2024-02-30", s_start_feb30, PA_REASON_INVALID_FIELD, "period_start"},
    {"period_start as a period id", s_start_period_id, PA_REASON_INVALID_FIELD, "period_start"},
    {"period_start not a date", s_start_garbage, PA_REASON_INVALID_FIELD, "period_start"},
    {"submitted_at_ms zero", s_ms_zero, PA_REASON_MISSING_FIELD, "submitted_at_ms"},
    {"submitted_at_ms negative", s_ms_negative, PA_REASON_MISSING_FIELD, "submitted_at_ms"},
    {"revision zero", s_revision_zero, PA_REASON_MISSING_FIELD, "revision"},
    {"empty indicator", s_ind_empty, PA_REASON_MISSING_FIELD, "values[1].indicator"},
    {"indicator too long", s_ind_long, PA_REASON_INVALID_FIELD, "values[1].indicator"},
    {"indicator with a tab", s_ind_control, PA_REASON_INVALID_FIELD, "values[1].indicator"},
    {"town too long", s_town_long, PA_REASON_INVALID_FIELD, "values[1].town"},
    {"town overlong UTF-8", s_town_bad_utf8, PA_REASON_INVALID_FIELD, "values[2].town"},
    {"value without amount", s_no_amount, PA_REASON_MISSING_AMOUNT, "values[1]"},
};
#define S_N_FIELD_CASES (sizeof s_field_cases / sizeof s_field_cases[0])

ParameterizedTestParameters(codec, one_bad_field_one_problem)
{
    static size_t idx[S_N_FIELD_CASES];
    for (size_t i = 0; i < S_N_FIELD_CASES; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, S_N_FIELD_CASES);
}

ParameterizedTest(size_t *i, codec, one_bad_field_one_problem)
{
    const s_field_case_t *c = &s_field_cases[*i];
    s_long_strings();
    s_wire_t w;
    s_wire_init(&w);
    c->breaks(&w);
    pa_submission_t *sub = s_wire_decode(&w);
    cr_assert_eq(sub->n_items, 1, "%s", c->what);
    cr_assert_not_null(sub->items[0].report, "%s: no report kept", c->what);
    const pa_problems_t *pr = &sub->items[0].problems;
    char dump[1024];
    s_dump(pr, dump, sizeof dump);
    cr_expect_eq(pr->n, 1, "%s: %zu problems:%s", c->what, pr->n, dump);
    cr_assert_geq(pr->n, 1, "%s: no problem recorded", c->what);
    cr_expect_str_eq(pr->items[0].field, c->field, "%s:%s", c->what, dump);
    cr_expect_eq(pr->items[0].reason, c->reason, "%s: %s, expected %s", c->what,
                 pa_reason_name(pr->items[0].reason), pa_reason_name(c->reason));
    cr_expect_neq(pr->items[0].message[0], '\0', "%s: empty message", c->what);
    cr_expect_eq(sub->items[0].report->n_values, 3, "%s: values lost", c->what);
    pa_submission_destroy(&sub);
}

Test(codec, empty_report_names_every_missing_field)
{
    s_wire_t w;
    s_wire_init(&w);
    Pingan__V1__Report empty = PINGAN__V1__REPORT__INIT;
    w.rep = empty;
    pa_submission_t *sub = s_wire_decode(&w);
    cr_assert_eq(sub->n_items, 1);
    const pa_problems_t *pr = &sub->items[0].problems;
    static const char *const fields[] = {"report_id",    "district",        "period_type",
                                         "period_start", "submitted_at_ms", "revision"};
    char dump[2048];
    s_dump(pr, dump, sizeof dump);
    cr_expect_eq(pr->n, 6, "%zu problems:%s", pr->n, dump);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        cr_expect_not_null(s_find(pr, PA_REASON_MISSING_FIELD, fields[i]), "%s not named:%s",
                           fields[i], dump);
    cr_expect_eq(sub->items[0].report->n_values, 0);
    pa_submission_destroy(&sub);
}

Test(codec, problems_stay_with_their_report)
{
    /* Three reports; only the middle one is broken (twice). */
    s_wire_t w[3];
    for (size_t i = 0; i < 3; i++)
        s_wire_init(&w[i]);
    w[0].rep.report_id = "first";
    w[1].rep.report_id = "second";
    w[1].rep.district = "";
    w[1].val[2].amount_case = PINGAN__V1__VALUE__AMOUNT__NOT_SET;
    w[2].rep.report_id = "third";
    Pingan__V1__Report *reps[3] = {&w[0].rep, &w[1].rep, &w[2].rep};
    w[0].sub.n_reports = 3;
    w[0].sub.reports = reps;
    pa_submission_t *sub = s_wire_decode(&w[0]);
    cr_assert_eq(sub->n_items, 3);
    cr_expect_str_eq(sub->items[0].report->report_id, "first");
    cr_expect_str_eq(sub->items[1].report->report_id, "second");
    cr_expect_str_eq(sub->items[2].report->report_id, "third");
    cr_expect_eq(sub->items[0].problems.n, 0);
    cr_expect_eq(sub->items[2].problems.n, 0);
    const pa_problems_t *pr = &sub->items[1].problems;
    cr_expect_eq(pr->n, 2);
    cr_expect_not_null(s_find(pr, PA_REASON_MISSING_FIELD, "district"));
    cr_expect_not_null(s_find(pr, PA_REASON_MISSING_AMOUNT, "values[2]"));
    pa_submission_destroy(&sub);
}

Test(codec, too_many_values_is_one_problem)
{
    s_wire_t w;
    s_wire_init(&w);
    size_t n = PA_MAX_VALUES + 1;
    Pingan__V1__Value **many = malloc(n * sizeof *many);
    cr_assert_not_null(many);
    for (size_t i = 0; i < n; i++)
        many[i] = &w.val[0];
    w.rep.n_values = n;
    w.rep.values = many;
    pa_submission_t *sub = s_wire_decode(&w);
    free(many);
    const pa_problems_t *pr = &sub->items[0].problems;
    cr_assert_eq(pr->n, 1);
    cr_expect_eq(pr->items[0].reason, PA_REASON_TOO_MANY_VALUES);
    cr_expect_str_eq(pr->items[0].field, "values");
    cr_expect_eq(sub->items[0].report->n_values, 0);
    /* The rest of the report is still read. */
    cr_expect_str_eq(sub->items[0].report->report_id, "r-1");
    pa_submission_destroy(&sub);
}

Test(codec, problem_messages_are_printable_utf8)
{
    /* Problem messages go into receipts (proto3 strings must be UTF-8),
     * quarantine.reasons and logs. A malformed period_start is quoted in its
     * message, so its bytes must not reach the message raw. */
    static char long_start[512];
    strcpy(long_start, "a");
    for (int i = 0; i < 150; i++)
        strcat(long_start, "\xe6\xb8\x9d");
    static const struct {
        const char *what;
        const char *start;
    } cases[] = {
        {"invalid UTF-8", "20\xff\xfe-01-01"},
        {"a newline", "2024\n01-01"},
        {"an ANSI escape", "\x1b[2J2024-01-01"},
        {"a long multi-byte text cut in the message", long_start},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s_wire_t w;
        s_wire_init(&w);
        w.rep.period_start = (char *)cases[i].start;
        pa_submission_t *sub = s_wire_decode(&w);
        const pa_problems_t *pr = &sub->items[0].problems;
        cr_expect_eq(pr->n, 1, "%s: %zu problems", cases[i].what, pr->n);
        const pa_problem_t *p = s_find(pr, PA_REASON_INVALID_FIELD, "period_start");
        cr_expect_not_null(p, "%s: no invalid_field period_start", cases[i].what);
        if (p)
            cr_expect(pa_utf8_printable(p->message), "%s: message is not printable UTF-8",
                      cases[i].what);
        pa_submission_destroy(&sub);
    }
}

/* ---------------------------------------------------------------- receipts */

Test(codec, receipt_round_trip_with_problems)
{
    pa_report_t *r[3];
    r[0] = s_report("stored-1", "500101", PA_PERIOD_YEAR, "2023-01-01", 1, 1);
    r[1] = s_report("dup-2", "500101", PA_PERIOD_YEAR, "2022-01-01", 1, 1);
    r[2] = s_report("rejected-3", "500101", PA_PERIOD_YEAR, "2021-01-01", 1, 1);
    for (size_t i = 0; i < 3; i++)
        s_add_count(r[i], "ws_deaths", "", (double)i);
    uint8_t *buf = NULL;
    size_t len = 0;
    cr_assert_eq(pa_codec_encode_submission("p", r, 3, &buf, &len, NULL), PA_OK);
    pa_submission_t *sub = s_decode(buf, len);
    free(buf);
    sub->items[0].status = PA_STATUS_STORED;
    sub->items[1].status = PA_STATUS_DUPLICATE;
    sub->items[2].status = PA_STATUS_REJECTED;
    pa_problems_add(&sub->items[2].problems, PA_REASON_NEGATIVE_COUNT, "values[0].count",
                    "count %d is negative", -1);
    pa_problems_add(&sub->items[2].problems, PA_REASON_PERIOD_TOO_EARLY, "period_start",
                    "2019-01-01 is before the first reporting year 2020");
    pa_problems_add(&sub->items[2].problems, PA_REASON_UNKNOWN_DISTRICT, "district",
                    "district 渝 is unknown");

    pa_err_t err;
    pa_err_clear(&err);
    cr_assert_eq(pa_codec_encode_receipt(sub, "worker-7", &buf, &len, &err), PA_OK, "%s", err.msg);
    pa_receipt_t *rec = NULL;
    cr_assert_eq(pa_codec_decode_receipt(buf, len, &rec, &err), PA_OK, "%s", err.msg);
    free(buf);
    cr_assert_not_null(rec);
    cr_expect_eq(rec->status, PA_STATUS_STORED);
    cr_expect_eq(rec->reason, PA_REASON_NONE);
    cr_expect_str_eq(rec->message, "");
    cr_expect_str_eq(rec->worker, "worker-7");
    cr_assert_eq(rec->n_entries, 3);
    static const int statuses[] = {PA_STATUS_STORED, PA_STATUS_DUPLICATE, PA_STATUS_REJECTED};
    for (size_t i = 0; i < 3; i++) {
        cr_expect_str_eq(rec->entries[i].report_id, r[i]->report_id);
        cr_expect_eq(rec->entries[i].status, statuses[i]);
    }
    cr_expect_eq(rec->entries[0].problems.n, 0);
    cr_expect_eq(rec->entries[1].problems.n, 0);
    const pa_problems_t *got = &rec->entries[2].problems, *want = &sub->items[2].problems;
    cr_assert_eq(got->n, 3);
    for (size_t j = 0; j < 3; j++) {
        cr_expect_eq(got->items[j].reason, want->items[j].reason, "problem %zu", j);
        cr_expect_str_eq(got->items[j].field, want->items[j].field, "problem %zu", j);
        cr_expect_str_eq(got->items[j].message, want->items[j].message, "problem %zu", j);
    }
    cr_expect_str_eq(got->items[0].message, "count -1 is negative");
    pa_receipt_destroy(&rec);
    cr_assert_null(rec);
    pa_submission_destroy(&sub);
    for (size_t i = 0; i < 3; i++)
        pa_report_destroy(&r[i]);
}

Test(codec, receipt_for_an_item_without_report)
{
    /* An item whose report could not be built still answers, with an empty id. */
    pa_item_t items[2];
    memset(items, 0, sizeof items);
    items[0].status = PA_STATUS_REJECTED;
    pa_problems_add(&items[0].problems, PA_REASON_MISSING_FIELD, "report_id",
                    "report_id is missing");
    items[1].report = s_report("ok", "500101", PA_PERIOD_YEAR, "2023-01-01", 1, 1);
    items[1].status = PA_STATUS_RETRY_LATER;
    pa_submission_t sub = {
        .version = PA_PROTOCOL_VERSION, .sender = "p", .items = items, .n_items = 2};
    uint8_t *buf = NULL;
    size_t len = 0;
    cr_assert_eq(pa_codec_encode_receipt(&sub, NULL, &buf, &len, NULL), PA_OK);
    pa_receipt_t *rec = NULL;
    cr_assert_eq(pa_codec_decode_receipt(buf, len, &rec, NULL), PA_OK);
    free(buf);
    cr_assert_eq(rec->n_entries, 2);
    cr_expect_str_eq(rec->worker, "");
    cr_expect_str_eq(rec->entries[0].report_id, "");
    cr_expect_eq(rec->entries[0].status, PA_STATUS_REJECTED);
    cr_assert_eq(rec->entries[0].problems.n, 1);
    cr_expect_eq(rec->entries[0].problems.items[0].reason, PA_REASON_MISSING_FIELD);
    cr_expect_str_eq(rec->entries[0].problems.items[0].field, "report_id");
    cr_expect_str_eq(rec->entries[1].report_id, "ok");
    cr_expect_eq(rec->entries[1].status, PA_STATUS_RETRY_LATER);
    pa_receipt_destroy(&rec);
    pa_problems_clear(&items[0].problems);
    pa_report_destroy(&items[1].report);
}

Test(codec, failure_receipts)
{
    static const struct {
        int status;
        int reason;
        const char *message;
    } cases[] = {
        {PA_STATUS_REJECTED, PA_REASON_UNDECODABLE, "3 bytes are not a pingan Submission message"},
        {PA_STATUS_REJECTED, PA_REASON_OVERSIZE, "payload of 99999999 bytes is over the limit"},
        {PA_STATUS_REJECTED, PA_REASON_UNSUPPORTED_VERSION, "version 2 is not understood"},
        {PA_STATUS_REJECTED, PA_REASON_EMPTY_SUBMISSION, "no reports"},
        {PA_STATUS_RETRY_LATER, PA_REASON_STORE_UNAVAILABLE, "database unreachable"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *buf = NULL;
        size_t len = 0;
        pa_err_t err;
        pa_err_clear(&err);
        cr_assert_eq(pa_codec_encode_failure(cases[i].status, cases[i].reason, cases[i].message,
                                             "w-1", &buf, &len, &err),
                     PA_OK, "%s", err.msg);
        pa_receipt_t *rec = NULL;
        cr_assert_eq(pa_codec_decode_receipt(buf, len, &rec, &err), PA_OK, "%s", err.msg);
        free(buf);
        cr_expect_eq(rec->status, cases[i].status, "case %zu", i);
        cr_expect_eq(rec->reason, cases[i].reason, "case %zu", i);
        cr_expect_str_eq(rec->message, cases[i].message);
        cr_expect_str_eq(rec->worker, "w-1");
        cr_expect_eq(rec->n_entries, 0);
        cr_expect_null(rec->entries);
        pa_receipt_destroy(&rec);
    }
}

Test(codec, failure_receipt_without_texts_and_with_long_ones)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    cr_assert_eq(pa_codec_encode_failure(PA_STATUS_RETRY_LATER, PA_REASON_STORE_UNAVAILABLE, NULL,
                                         NULL, &buf, &len, NULL),
                 PA_OK);
    pa_receipt_t *rec = NULL;
    cr_assert_eq(pa_codec_decode_receipt(buf, len, &rec, NULL), PA_OK);
    free(buf);
    cr_expect_eq(rec->status, PA_STATUS_RETRY_LATER);
    cr_expect_str_eq(rec->message, "");
    cr_expect_str_eq(rec->worker, "");
    pa_receipt_destroy(&rec);

    char message[400], worker[100];
    memset(message, 'm', sizeof message - 1);
    message[sizeof message - 1] = '\0';
    memset(worker, 'w', sizeof worker - 1);
    worker[sizeof worker - 1] = '\0';
    cr_assert_eq(pa_codec_encode_failure(PA_STATUS_REJECTED, PA_REASON_OVERSIZE, message, worker,
                                         &buf, &len, NULL),
                 PA_OK);
    cr_assert_eq(pa_codec_decode_receipt(buf, len, &rec, NULL), PA_OK);
    free(buf);
    /* Bounded copies, truncated and terminated. */
    cr_expect_eq(strlen(rec->message), sizeof rec->message - 1);
    cr_expect_eq(strlen(rec->worker), sizeof rec->worker - 1);
    cr_expect_eq(rec->message[0], 'm');
    pa_receipt_destroy(&rec);
}

Test(codec, garbage_bytes_are_not_a_receipt)
{
    static const char bytes[] = "\x12\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80";
    pa_receipt_t *rec = (pa_receipt_t *)0x1;
    pa_err_t err;
    pa_err_clear(&err);
    cr_assert_eq(pa_codec_decode_receipt(bytes, sizeof bytes - 1, &rec, &err), PA_EINVAL);
    cr_expect_null(rec);
    cr_expect_eq(err.code, PA_EINVAL);
    cr_expect_neq(strstr(err.msg, "not a pingan Receipt"), NULL, "%s", err.msg);
    rec = (pa_receipt_t *)0x1;
    cr_assert_eq(pa_codec_decode_receipt("\x2a\x09", 2, &rec, NULL), PA_EINVAL);
    cr_expect_null(rec);
}

Test(codec, destroy_is_null_safe)
{
    pa_submission_t *sub = NULL;
    pa_submission_destroy(&sub);
    pa_submission_destroy(NULL);
    pa_receipt_t *rec = NULL;
    pa_receipt_destroy(&rec);
    pa_receipt_destroy(NULL);
    cr_assert_null(sub);
    cr_assert_null(rec);
}

Test(codec, dry_run_withdraw_and_superseded_travel_both_ways)
{
    pa_report_t *r[2];
    r[0] = s_report("old-r1", "500101", PA_PERIOD_YEAR, "2023-01-01", 1, 1);
    s_add_count(r[0], "ws_deaths", "", 1);
    r[1] = s_report("void-r3", "500101", PA_PERIOD_YEAR, "2022-01-01", 1, 3);
    r[1]->withdraw = true;
    uint8_t *buf = NULL;
    size_t len = 0;
    cr_assert_eq(pa_codec_encode_request("p", true, r, 2, &buf, &len, NULL), PA_OK);
    pa_submission_t *sub = s_decode(buf, len);
    free(buf);
    cr_expect(sub->dry_run);
    cr_expect_not(sub->items[0].report->withdraw);
    cr_expect(sub->items[1].report->withdraw);
    cr_expect_eq(sub->items[1].report->n_values, 0);
    sub->items[0].status = PA_STATUS_SUPERSEDED;
    sub->items[0].current_revision = 2;
    sub->items[1].status = PA_STATUS_STORED;
    cr_assert_eq(pa_codec_encode_receipt(sub, "w", &buf, &len, NULL), PA_OK);
    pa_receipt_t *rec = NULL;
    cr_assert_eq(pa_codec_decode_receipt(buf, len, &rec, NULL), PA_OK);
    free(buf);
    cr_expect(rec->dry_run);
    cr_assert_eq(rec->n_entries, 2);
    cr_expect_eq(rec->entries[0].status, PA_STATUS_SUPERSEDED);
    cr_expect_eq(rec->entries[0].current_revision, 2);
    cr_expect_eq(rec->entries[1].current_revision, 0);
    pa_receipt_destroy(&rec);
    pa_submission_destroy(&sub);
    /* A real submission says so too, and a void revision has its own id. */
    cr_assert_eq(pa_codec_encode_submission("p", r, 1, &buf, &len, NULL), PA_OK);
    sub = s_decode(buf, len);
    free(buf);
    cr_expect_not(sub->dry_run);
    pa_submission_destroy(&sub);
    char plain[PA_REPORT_ID_SIZE], withdrawn[PA_REPORT_ID_SIZE];
    r[1]->withdraw = false;
    pa_report_digest(r[1], plain);
    r[1]->withdraw = true;
    pa_report_digest(r[1], withdrawn);
    cr_expect_str_neq(plain, withdrawn);
    for (size_t i = 0; i < 2; i++)
        pa_report_destroy(&r[i]);
}
