/* test_admit.c - admission limits on hand-made wire bytes: the decode
 * budget, the values of a whole submission, unknown fields, a report that
 * stops collecting problems at its maximum, receipts bounded in bytes, and
 * the flags' ranges. No sockets, no database. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pa_admit.h"
#include "pa_arena.h"
#include "pa_codec.h"
#include "pa_validate.h"

typedef struct {
    uint8_t *p;
    size_t n, cap;
} s_bytes_t;

static void s_put(s_bytes_t *b, const void *data, size_t len)
{
    if (b->n + len > b->cap) {
        b->cap = (b->n + len) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        cr_assert_not_null(b->p);
    }
    memcpy(b->p + b->n, data, len);
    b->n += len;
}

static void s_varint(s_bytes_t *b, uint64_t v)
{
    do {
        uint8_t c = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            c |= 0x80;
        s_put(b, &c, 1);
    } while (v);
}

static void s_len_field(s_bytes_t *b, unsigned field, const void *data, size_t len)
{
    s_varint(b, (uint64_t)field << 3 | 2);
    s_varint(b, len);
    s_put(b, data, len);
}

/* A well-formed monthly report header; values and extra fields follow. */
static void s_report_head(s_bytes_t *r, const char *id)
{
    s_len_field(r, 1, id, strlen(id));
    s_len_field(r, 2, "500101", 6);
    s_varint(r, 3 << 3);
    s_varint(r, 3);
    s_len_field(r, 4, "2024-03-01", 10);
    s_varint(r, 5 << 3);
    s_varint(r, 1710000000000ULL);
    s_varint(r, 6 << 3);
    s_varint(r, 1);
}

static void s_empty_values(s_bytes_t *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s_len_field(r, 7, "", 0);
}

/* A Submission holding n copies of report r. */
static s_bytes_t s_submission(const s_bytes_t *r, size_t n)
{
    s_bytes_t sub = {0};
    s_varint(&sub, 1 << 3);
    s_varint(&sub, 1);
    for (size_t i = 0; i < n; i++)
        s_len_field(&sub, 3, r->p, r->n);
    return sub;
}

Test(admit, arena_refuses_past_its_budget)
{
    pa_arena_t *a = pa_arena_new(1024);
    pa_arena_set_budget(a, 4096);
    int got = 0;
    while (pa_arena_alloc(a, 512))
        got++;
    cr_assert_eq(got, 8, "4 blocks of 1 KiB hold 8 allocations of 512 bytes, got %d", got);
    cr_assert(pa_arena_over_budget(a));
    pa_arena_destroy(&a);
}

Test(admit, empty_values_over_the_budget_refuse_the_submission_before_it_is_decoded)
{
    s_bytes_t r = {0};
    s_report_head(&r, "r1");
    s_empty_values(&r, 100000); /* 200 KB on the wire, ~7 MB unpacked */
    s_bytes_t sub = s_submission(&r, 1);
    pa_codec_limits_t lim = {1024 * 1024, 0, 0};
    pa_submission_t *out = NULL;
    int reason = 0;
    pa_err_t err;
    cr_assert_eq(pa_codec_decode_limited(sub.p, sub.n, &lim, &out, &reason, &err), PA_EINVAL);
    cr_assert_null(out);
    cr_assert_eq(reason, PA_REASON_DECODE_BUDGET, "%d: %s", reason, err.msg);
    cr_assert(strstr(err.msg, "1048576"), "%s", err.msg);
    free(r.p);
    free(sub.p);
}

Test(admit, the_unpack_itself_stops_at_the_budget)
{
    /* The census does not look inside values: 200 000 unknown fields in one
     * value are stopped by the arena's budget instead. */
    s_bytes_t r = {0}, v = {0};
    s_report_head(&r, "r1");
    static const uint8_t field15[2] = {15 << 3, 0};
    for (int i = 0; i < 200000; i++)
        s_put(&v, field15, 2);
    s_len_field(&r, 7, v.p, v.n);
    s_bytes_t sub = s_submission(&r, 1);
    pa_codec_limits_t lim = {1024 * 1024, 0, 0};
    pa_submission_t *out = NULL;
    int reason = 0;
    pa_err_t err;
    cr_assert_eq(pa_codec_decode_limited(sub.p, sub.n, &lim, &out, &reason, &err), PA_EINVAL);
    cr_assert_eq(reason, PA_REASON_DECODE_BUDGET, "%d: %s", reason, err.msg);
    lim.decode_bytes = 0; /* no budget: it decodes, and the report is refused */
    cr_assert_eq(pa_codec_decode_limited(sub.p, sub.n, &lim, &out, &reason, &err), PA_OK);
    pa_submission_destroy(&out);
    free(r.p);
    free(v.p);
    free(sub.p);
}

Test(admit, values_of_all_reports_are_counted_before_they_are_converted)
{
    s_bytes_t r = {0};
    s_report_head(&r, "r1");
    s_empty_values(&r, 600);
    s_bytes_t sub = s_submission(&r, 5); /* 3000 values in all */
    pa_codec_limits_t lim = pa_codec_limits_default();
    lim.max_values = 2999;
    pa_submission_t *out = NULL;
    int reason = 0;
    pa_err_t err;
    cr_assert_eq(pa_codec_decode_limited(sub.p, sub.n, &lim, &out, &reason, &err), PA_EINVAL);
    cr_assert_eq(reason, PA_REASON_TOO_MANY_VALUES, "%s", err.msg);
    lim.max_values = 3000;
    cr_assert_eq(pa_codec_decode_limited(sub.p, sub.n, &lim, &out, &reason, &err), PA_OK, "%s",
                 err.msg);
    cr_assert_eq(reason, PA_REASON_NONE);
    cr_assert_eq(out->n_items, 5);
    pa_submission_destroy(&out);
    free(r.p);
    free(sub.p);
}

/* Report r1 with one good value and `pad` bytes of an unknown field 99. */
static pa_submission_t *s_padded(size_t pad)
{
    s_bytes_t r = {0}, v = {0};
    s_report_head(&r, "r1");
    s_len_field(&v, 1, "ws_deaths", 9);
    uint8_t count[9] = {3 << 3 | 1, 0, 0, 0, 0, 0, 0, 0, 0}; /* fixed64 0.0 */
    s_put(&v, count, sizeof count);
    s_len_field(&r, 7, v.p, v.n);
    char *junk = calloc(1, pad + 1);
    s_len_field(&r, 99, junk, pad);
    s_bytes_t sub = s_submission(&r, 1);
    pa_submission_t *out = NULL;
    pa_err_t err;
    cr_assert_eq(pa_codec_decode_submission(sub.p, sub.n, &out, &err), PA_OK, "%s", err.msg);
    free(junk);
    free(r.p);
    free(v.p);
    free(sub.p);
    return out;
}

Test(admit, unknown_fields_above_the_limit_refuse_the_report)
{
    pa_submission_t *small = s_padded(100), *big = s_padded(PA_CODEC_MAX_UNKNOWN_BYTES);
    cr_assert_eq(small->items[0].problems.n, 0, "%s", small->items[0].problems.items[0].message);
    cr_assert_geq(big->items[0].problems.n, 1);
    cr_assert_eq(big->items[0].problems.items[0].reason, PA_REASON_UNKNOWN_FIELDS, "%s",
                 big->items[0].problems.items[0].message);
    pa_submission_destroy(&small);
    pa_submission_destroy(&big);
}

Test(admit, a_report_stops_collecting_problems_at_its_maximum)
{
    s_bytes_t r = {0};
    s_report_head(&r, "r1");
    s_empty_values(&r, 50000); /* two problems each */
    s_bytes_t sub = s_submission(&r, 1);
    pa_submission_t *out = NULL;
    pa_err_t err;
    cr_assert_eq(pa_codec_decode_submission(sub.p, sub.n, &out, &err), PA_OK, "%s", err.msg);
    const pa_item_t *it = &out->items[0];
    cr_assert_eq(it->problems.n, PA_PROBLEMS_MAX);
    cr_assert_geq(it->problems.dropped, 1);
    cr_assert_lt(it->report->n_values, 100, "values past the maximum are not kept: %zu",
                 it->report->n_values);
    size_t n = it->problems.n;
    pa_catalog_t *cat = pa_catalog_new();
    pa_catalog_seal(cat);
    pa_validate_report(cat, it->report, 1710000000000LL, &out->items[0].problems);
    cr_assert_eq(it->problems.n, n, "validation adds nothing to a full report");
    pa_catalog_destroy(&cat);
    pa_submission_destroy(&out);
    free(r.p);
    free(sub.p);
}

Test(admit, receipts_are_bounded_in_bytes)
{
    /* 1000 reports with every header field missing: 7+ problems each. */
    s_bytes_t r = {0};
    s_empty_values(&r, 70);
    s_bytes_t sub = s_submission(&r, 1000);
    pa_submission_t *out = NULL;
    pa_err_t err;
    cr_assert_eq(pa_codec_decode_submission(sub.p, sub.n, &out, &err), PA_OK, "%s", err.msg);
    for (size_t i = 0; i < out->n_items; i++)
        out->items[i].status = PA_STATUS_REJECTED;
    uint8_t *body = NULL;
    size_t len = 0;
    cr_assert_eq(pa_codec_encode_receipt(out, "w", &body, &len, &err), PA_OK);
    cr_assert_lt(len, 200 * 1024, "a receipt of %zu bytes", len);
    pa_receipt_t *rec = NULL;
    cr_assert_eq(pa_codec_decode_receipt(body, len, &rec, &err), PA_OK);
    size_t listed = 0;
    for (size_t i = 0; i < rec->n_entries; i++) {
        cr_assert_geq(rec->entries[i].problems.n, 1, "every rejected report names a reason");
        listed += rec->entries[i].problems.n;
    }
    cr_assert_eq(listed, PA_CODEC_RECEIPT_PROBLEMS + (1000 - PA_CODEC_RECEIPT_PROBLEMS / 64));
    pa_receipt_destroy(&rec);
    free(body);
    pa_submission_destroy(&out);
    free(r.p);
    free(sub.p);
}

Test(admit, limits_are_checked_once_and_name_the_flag)
{
    pa_admit_t ok = {16777216, 1000, 200000, 33554432, 4096, 64, 2, 10000};
    pa_err_t err;
    cr_assert_eq(pa_admit_validate(&ok, &err), PA_OK, "%s", err.msg);
    pa_admit_t bad = ok;
    bad.send_hwm = 0;
    cr_assert_eq(pa_admit_validate(&bad, &err), PA_EINVAL);
    cr_assert(strstr(err.msg, "--send-hwm"), "%s", err.msg);
    bad = ok;
    bad.max_decode_bytes = 10;
    cr_assert_eq(pa_admit_validate(&bad, &err), PA_EINVAL);
    cr_assert(strstr(err.msg, "--max-decode-bytes"), "%s", err.msg);
}
