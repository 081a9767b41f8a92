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
#include "../pa_testwire.h"

/* Decodes sub within lim and expects the whole submission refused for reason. */
static void s_expect_refused(const pa_tw_bytes_t *sub, const pa_codec_limits_t *lim, int reason,
                             pa_err_t *err)
{
    pa_submission_t *out = NULL;
    int why = 0;
    cr_assert_eq(pa_codec_decode_limited(sub->p, sub->n, lim, &out, &why, err), PA_EINVAL);
    cr_assert_null(out);
    cr_assert_eq(why, reason, "%s, not %s: %s", pa_reason_name(why), pa_reason_name(reason),
                 err->msg);
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
    pa_tw_bytes_t r = {0};
    pa_tw_report_head(&r, "r1");
    pa_tw_empty_values(&r, 100000); /* 200 KB on the wire, ~7 MB unpacked */
    pa_tw_bytes_t sub = pa_tw_submission(&r, 1);
    pa_codec_limits_t lim = {1024 * 1024, 0, 0};
    pa_err_t err;
    s_expect_refused(&sub, &lim, PA_REASON_DECODE_BUDGET, &err);
    cr_assert(strstr(err.msg, "1048576"), "%s", err.msg);
    free(r.p);
    free(sub.p);
}

Test(admit, the_unpack_itself_stops_at_the_budget)
{
    /* The census does not look inside values: 200 000 unknown fields in one
     * value are stopped by the arena's budget instead. */
    pa_tw_bytes_t r = {0}, v = {0};
    pa_tw_report_head(&r, "r1");
    pa_tw_unknown_fields(&v, 200000);
    pa_tw_len_field(&r, 7, v.p, v.n);
    pa_tw_bytes_t sub = pa_tw_submission(&r, 1);
    pa_codec_limits_t lim = {1024 * 1024, 0, 0};
    pa_err_t err;
    s_expect_refused(&sub, &lim, PA_REASON_DECODE_BUDGET, &err);
    lim.decode_bytes = 0; /* no budget: it decodes, and the report is refused */
    pa_submission_t *out = NULL;
    int reason = 0;
    cr_assert_eq(pa_codec_decode_limited(sub.p, sub.n, &lim, &out, &reason, &err), PA_OK);
    pa_submission_destroy(&out);
    free(r.p);
    free(v.p);
    free(sub.p);
}

Test(admit, values_of_all_reports_are_counted_before_they_are_converted)
{
    pa_tw_bytes_t r = {0};
    pa_tw_report_head(&r, "r1");
    pa_tw_empty_values(&r, 600);
    pa_tw_bytes_t sub = pa_tw_submission(&r, 5); /* 3000 values in all */
    pa_codec_limits_t lim = pa_codec_limits_default();
    lim.max_values = 2999;
    pa_err_t err;
    s_expect_refused(&sub, &lim, PA_REASON_TOO_MANY_VALUES, &err);
    lim.max_values = 3000;
    pa_submission_t *out = NULL;
    int reason = 0;
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
    pa_tw_bytes_t r = {0}, v = {0};
    pa_tw_report_head(&r, "r1");
    pa_tw_len_field(&v, 1, "ws_deaths", 9);
    uint8_t count[9] = {3 << 3 | 1, 0, 0, 0, 0, 0, 0, 0, 0}; /* fixed64 0.0 */
    pa_tw_put(&v, count, sizeof count);
    pa_tw_len_field(&r, 7, v.p, v.n);
    char *junk = calloc(1, pad + 1);
    pa_tw_len_field(&r, 99, junk, pad);
    pa_tw_bytes_t sub = pa_tw_submission(&r, 1);
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
    pa_tw_bytes_t r = {0};
    pa_tw_report_head(&r, "r1");
    pa_tw_empty_values(&r, 50000); /* two problems each */
    pa_tw_bytes_t sub = pa_tw_submission(&r, 1);
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
    pa_tw_bytes_t r = {0};
    pa_tw_empty_values(&r, 70);
    pa_tw_bytes_t sub = pa_tw_submission(&r, 1000);
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
    pa_admit_t ok = {16777216, 1000, 200000, 33554432, 4096, 64, 2, 10000, 1000, 160};
    pa_err_t err;
    cr_assert_eq(pa_admit_validate(&ok, &err), PA_OK, "%s", err.msg);
    pa_admit_t bad = ok;
    bad.send_hwm = 0;
    cr_assert_eq(pa_admit_validate(&bad, &err), PA_EINVAL);
    cr_assert(strstr(err.msg, "--send-hwm"), "%s", err.msg);
    /* Descriptors: 64 stay free for PostgreSQL and the rest. */
    cr_assert_eq(pa_admit_peer_limits(&ok, 100).max_peers, 36);
    cr_assert_eq(pa_admit_peer_limits(&ok, -1).max_peers, 1000);
    cr_assert_eq(pa_admit_peer_limits(&ok, -1).max_pending_bytes, 16777216u + 1048576u);
    bad = ok;
    bad.max_decode_bytes = 10;
    cr_assert_eq(pa_admit_validate(&bad, &err), PA_EINVAL);
    cr_assert(strstr(err.msg, "--max-decode-bytes"), "%s", err.msg);
}
