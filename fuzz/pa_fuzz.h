/* pa_fuzz.h - the two paths the fuzzers drive, shared by fuzz/fuzz_*.c and
 * tests/unit/test_fuzz_regressions.c so that a crasher replays through exactly
 * the code that found it. Header-only on purpose: the fuzzers are built by
 * fuzz/run.sh outside CMake and the unit tests are one source file each. It
 * checks invariants (round trips, sticky errors, chunk-size independence,
 * printable text on the wire) and says which one broke; it never aborts. */
#ifndef PA_FUZZ_H
#define PA_FUZZ_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pa_catalog.h"
#include "pa_codec.h"
#include "pa_input.h"
#include "pa_validate.h"

/* Every helper is static: each includer uses only some of them. */
#define PA_FUZZ_FN static __attribute__((unused))

/* The worker's clock in every run: 2024-07-01T00:00:00Z, so that the 2023 and
 * 2024-03 examples have ended and later periods have not. */
#define PA_FUZZ_NOW_MS 1719792000000LL

/* Reasons for a broken invariant are this long at most. */
#define PA_FUZZ_WHY_SIZE 512

/* Input-target header: byte 0 picks the format (odd: CSV, even: JSON, so 'c'
 * and 'j' read naturally), byte 1 the chunk sizes (low 4 bits: the largest
 * chunk is 2^bits bytes; '0' feeds byte by byte). The text follows. */
#define PA_FUZZ_INPUT_HEADER 2

/* ---------------------------------------------------------------- catalogue */

#define PA_FUZZ_ALL_PERIODS                                                                        \
    ((1u << PA_PERIOD_DAY) | (1u << PA_PERIOD_WEEK) | (1u << PA_PERIOD_MONTH) |                    \
     (1u << PA_PERIOD_QUARTER) | (1u << PA_PERIOD_YEAR))
#define PA_FUZZ_WEEK_UP    (PA_FUZZ_ALL_PERIODS & ~(1u << PA_PERIOD_DAY))
#define PA_FUZZ_MONTH_UP   (PA_FUZZ_WEEK_UP & ~(1u << PA_PERIOD_WEEK))
#define PA_FUZZ_QUARTER_UP (PA_FUZZ_MONTH_UP & ~(1u << PA_PERIOD_MONTH))

/* sql/003_catalogue.sql's 14 indicators, the districts of examples/ plus a
 * few, and towns 001..028 of each (examples/README.md). NULL when out of
 * memory. The caller destroys it. */
PA_FUZZ_FN pa_catalog_t *pa_fuzz_catalog_new(void)
{
    static const pa_indicator_t inds[] = {
        /* code, is_ratio, level, period_mask, has_ceiling, ceiling, first_year */
        {"ws_deaths", false, PA_LEVEL_ANY, PA_FUZZ_ALL_PERIODS, true, 10000, 2020},
        {"fire_incidents", false, PA_LEVEL_ANY, PA_FUZZ_ALL_PERIODS, true, 100000, 2020},
        {"fire_deaths", false, PA_LEVEL_ANY, PA_FUZZ_ALL_PERIODS, true, 10000, 2020},
        {"major_accidents", false, PA_LEVEL_ANY, PA_FUZZ_ALL_PERIODS, true, 1000, 2020},
        {"vuln_rectified", true, PA_LEVEL_ANY, PA_FUZZ_WEEK_UP, false, 0, 2020},
        {"opinion_risk_assessed", true, PA_LEVEL_ANY, PA_FUZZ_MONTH_UP, false, 0, 2020},
        {"business_digitised", true, PA_LEVEL_TOWN, PA_FUZZ_MONTH_UP, false, 0, 2020},
        {"task_completion", true, PA_LEVEL_ANY, PA_FUZZ_ALL_PERIODS, false, 0, 2020},
        {"event_closure", true, PA_LEVEL_ANY, PA_FUZZ_ALL_PERIODS, false, 0, 2020},
        {"yibiaotong_online", false, PA_LEVEL_TOWN, PA_FUZZ_ALL_PERIODS, true, 1, 2020},
        {"sense_of_security", true, PA_LEVEL_DISTRICT, PA_FUZZ_QUARTER_UP, false, 0, 2020},
        {"major_negative_events", false, PA_LEVEL_ANY, PA_FUZZ_ALL_PERIODS, true, 1000, 2020},
        {"criminal_cases_8", false, PA_LEVEL_ANY, PA_FUZZ_ALL_PERIODS, true, 100000, 2020},
        {"industrial_zones", false, PA_LEVEL_DISTRICT, PA_FUZZ_QUARTER_UP, true, 100, 2020},
    };
    static const char *const districts[] = {"500101", "500102", "500103", "500105",
                                            "500106", "500112", "500229", "500240"};
    pa_catalog_t *cat = pa_catalog_new();
    if (!cat)
        return NULL;
    for (size_t i = 0; i < sizeof inds / sizeof inds[0]; i++)
        if (pa_catalog_add_indicator(cat, &inds[i], NULL) != PA_OK)
            goto fail;
    for (size_t i = 0; i < sizeof districts / sizeof districts[0]; i++) {
        if (pa_catalog_add_district(cat, districts[i], NULL) != PA_OK)
            goto fail;
        for (int t = 1; t <= 28; t++) {
            char town[PA_TOWN_SIZE];
            snprintf(town, sizeof town, "%s%03d", districts[i], t);
            if (pa_catalog_add_town(cat, town, districts[i], NULL) != PA_OK)
                goto fail;
        }
    }
    pa_catalog_seal(cat);
    return cat;
fail:
    pa_catalog_destroy(&cat);
    return NULL;
}

/* ---------------------------------------------------------------- checks */

PA_FUZZ_FN int pa_fuzz_s_broken(char *why, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
PA_FUZZ_FN int pa_fuzz_s_broken(char *why, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, PA_FUZZ_WHY_SIZE, fmt, ap);
    va_end(ap);
    return -1;
}

/* True when the fixed-size field holds a terminated string. */
#define PA_FUZZ_TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

/* Well-formed UTF-8 (any code point, overlongs and surrogates refused): what a
 * strict protobuf runtime (Python, Go, Java) requires of a string field. */
PA_FUZZ_FN bool pa_fuzz_s_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned char c = *p;
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            p++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            n = 1, cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2, cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3, cp = c & 0x07;
        } else {
            return false;
        }
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        p += n + 1;
    }
    return true;
}

PA_FUZZ_FN bool pa_fuzz_s_same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* A ratio's numerator and denominator are plain proto3 doubles: a zero is
 * not written, so -0.0 comes back as 0.0. Any other value, NaN included,
 * must come back bit for bit. */
PA_FUZZ_FN bool pa_fuzz_s_same_ratio_part(double a, double b)
{
    return (a == 0 && b == 0) || pa_fuzz_s_same_double(a, b);
}

/* A report the codec decoded without a shape problem must survive
 * encode -> decode unchanged. */
PA_FUZZ_FN int pa_fuzz_s_same_report(const pa_report_t *a, const pa_report_t *b, size_t i,
                                     char *why)
{
    if (strcmp(a->report_id, b->report_id) != 0 || strcmp(a->district, b->district) != 0 ||
        a->period.type != b->period.type || a->period.start != b->period.start ||
        a->submitted_at_ms != b->submitted_at_ms || a->revision != b->revision ||
        a->n_values != b->n_values)
        return pa_fuzz_s_broken(why, "reports[%zu] changed in an encode/decode round trip", i);
    for (size_t j = 0; j < a->n_values; j++) {
        const pa_value_t *x = &a->values[j], *y = &b->values[j];
        if (strcmp(x->indicator, y->indicator) != 0 || strcmp(x->town, y->town) != 0 ||
            x->kind != y->kind || !pa_fuzz_s_same_double(x->count, y->count) ||
            !pa_fuzz_s_same_ratio_part(x->numerator, y->numerator) ||
            !pa_fuzz_s_same_ratio_part(x->denominator, y->denominator))
            return pa_fuzz_s_broken(why, "reports[%zu].values[%zu] changed in a round trip", i, j);
    }
    return 0;
}

/* The decoded report's fixed-size text is terminated and printable. */
PA_FUZZ_FN int pa_fuzz_s_check_report(const pa_report_t *r, size_t i, char *why)
{
    if (!r)
        return pa_fuzz_s_broken(why, "reports[%zu]: decoded item without a report", i);
    if (!PA_FUZZ_TERMINATED(r->report_id) || !PA_FUZZ_TERMINATED(r->district))
        return pa_fuzz_s_broken(why, "reports[%zu]: unterminated id or district", i);
    if ((r->report_id[0] && !pa_utf8_printable(r->report_id)) ||
        (r->district[0] && !pa_utf8_printable(r->district)))
        return pa_fuzz_s_broken(why, "reports[%zu]: unprintable id or district kept", i);
    if (r->n_values > PA_MAX_VALUES || r->n_values > r->cap_values)
        return pa_fuzz_s_broken(why, "reports[%zu]: %zu values", i, r->n_values);
    for (size_t j = 0; j < r->n_values; j++) {
        const pa_value_t *v = &r->values[j];
        if (!PA_FUZZ_TERMINATED(v->indicator) || !PA_FUZZ_TERMINATED(v->town))
            return pa_fuzz_s_broken(why, "reports[%zu].values[%zu]: unterminated text", i, j);
        if ((v->indicator[0] && !pa_utf8_printable(v->indicator)) ||
            (v->town[0] && !pa_utf8_printable(v->town)))
            return pa_fuzz_s_broken(why, "reports[%zu].values[%zu]: unprintable text kept", i, j);
        if (v->kind != PA_AMOUNT_NONE && v->kind != PA_AMOUNT_COUNT && v->kind != PA_AMOUNT_RATIO)
            return pa_fuzz_s_broken(why, "reports[%zu].values[%zu]: kind %d", i, j, (int)v->kind);
    }
    return 0;
}

/* Problems are bounded, named, and their text can go on the wire. */
PA_FUZZ_FN int pa_fuzz_s_check_problems(const pa_problems_t *pr, size_t i, char *why)
{
    if (pr->n > PA_PROBLEMS_MAX || pr->n > pr->cap)
        return pa_fuzz_s_broken(why, "reports[%zu]: %zu problems kept", i, pr->n);
    for (size_t k = 0; k < pr->n; k++) {
        const pa_problem_t *p = &pr->items[k];
        if (pa_reason_from_name(pa_reason_name(p->reason)) != p->reason)
            return pa_fuzz_s_broken(why, "reports[%zu]: problem with unnamed reason %d", i,
                                    p->reason);
        if (!PA_FUZZ_TERMINATED(p->field) || !PA_FUZZ_TERMINATED(p->message))
            return pa_fuzz_s_broken(why, "reports[%zu]: unterminated problem text", i);
        if (!pa_fuzz_s_utf8(p->field) || !pa_fuzz_s_utf8(p->message))
            return pa_fuzz_s_broken(why, "reports[%zu]: problem %s text is not UTF-8: '%s'", i,
                                    pa_reason_name(p->reason), p->message);
        if (!p->message[0])
            return pa_fuzz_s_broken(why, "reports[%zu]: problem %s without a message", i,
                                    pa_reason_name(p->reason));
    }
    return 0;
}

/* Decodes the receipt the worker would send and compares it with sub. */
PA_FUZZ_FN int pa_fuzz_s_receipt_round_trip(const pa_submission_t *sub, char *why)
{
    int rc = 0;
    uint8_t *buf = NULL;
    size_t len = 0;
    pa_receipt_t *rec = NULL;
    pa_err_t err;
    pa_err_clear(&err);
    if (pa_codec_encode_receipt(sub, "fuzz", &buf, &len, &err) != PA_OK) {
        rc = pa_fuzz_s_broken(why, "could not encode the receipt: %s", err.msg);
        goto cleanup;
    }
    if (pa_codec_decode_receipt(buf, len, &rec, &err) != PA_OK) {
        rc =
            pa_fuzz_s_broken(why, "could not decode our own receipt (%zu bytes): %s", len, err.msg);
        goto cleanup;
    }
    if (rec->status != PA_STATUS_STORED || rec->n_entries != sub->n_items ||
        strcmp(rec->worker, "fuzz") != 0) {
        rc = pa_fuzz_s_broken(why, "receipt: status %d, %zu statuses for %zu reports", rec->status,
                              rec->n_entries, sub->n_items);
        goto cleanup;
    }
    /* The receipt lists PA_CODEC_RECEIPT_PROBLEMS problems in full, then
     * each rejected report's first one, without its message. */
    size_t left = PA_CODEC_RECEIPT_PROBLEMS;
    for (size_t i = 0; i < sub->n_items; i++) {
        const pa_item_t *it = &sub->items[i];
        const pa_receipt_entry_t *e = &rec->entries[i];
        bool brief = left == 0;
        size_t listed = it->problems.n < left ? it->problems.n : left;
        left -= listed;
        if (!listed && it->problems.n)
            listed = 1;
        if (e->status != it->status || strcmp(e->report_id, it->report->report_id) != 0 ||
            e->problems.n != listed || !pa_fuzz_s_utf8(e->report_id)) {
            rc = pa_fuzz_s_broken(why, "receipt statuses[%zu] differs from the report", i);
            goto cleanup;
        }
        for (size_t k = 0; k < listed; k++) {
            const pa_problem_t *a = &it->problems.items[k], *b = &e->problems.items[k];
            if (a->reason != b->reason || strcmp(a->field, b->field) != 0 ||
                (!brief && strcmp(a->message, b->message) != 0)) {
                rc = pa_fuzz_s_broken(why, "receipt statuses[%zu].problems[%zu] differs", i, k);
                goto cleanup;
            }
        }
    }
cleanup:
    pa_receipt_destroy(&rec);
    free(buf);
    return rc;
}

/* Re-encodes the decoded reports (as a producer would) and decodes them again:
 * our own encoding always decodes, and clean reports come back unchanged. */
PA_FUZZ_FN int pa_fuzz_s_submission_round_trip(const pa_submission_t *sub, char *why)
{
    int rc = 0;
    uint8_t *buf = NULL;
    size_t len = 0;
    pa_submission_t *again = NULL;
    pa_err_t err;
    pa_err_clear(&err);
    pa_report_t **reports = calloc(sub->n_items ? sub->n_items : 1, sizeof *reports);
    if (!reports)
        goto cleanup; /* out of memory is not a finding */
    for (size_t i = 0; i < sub->n_items; i++)
        reports[i] = sub->items[i].report;
    if (pa_codec_encode_submission(sub->sender, reports, sub->n_items, &buf, &len, &err) != PA_OK) {
        rc = pa_fuzz_s_broken(why, "could not re-encode %zu reports: %s", sub->n_items, err.msg);
        goto cleanup;
    }
    int drc = pa_codec_decode_submission(buf, len, &again, &err);
    if (drc == PA_ENOMEM)
        goto cleanup;
    if (drc != PA_OK || again->n_items != sub->n_items || strcmp(again->sender, sub->sender) != 0) {
        rc = pa_fuzz_s_broken(why, "our own submission did not decode back (rc %d): %s", drc,
                              err.msg);
        goto cleanup;
    }
    for (size_t i = 0; i < sub->n_items && rc == 0; i++)
        if (sub->items[i].problems.n == 0 && sub->items[i].problems.dropped == 0)
            rc = pa_fuzz_s_same_report(sub->items[i].report, again->items[i].report, i, why);
cleanup:
    pa_submission_destroy(&again);
    free(buf);
    free(reports);
    return rc;
}

/* ---------------------------------------------------------------- paths */

/* The worker's path for one payload: decode; for a Submission validate every
 * report at PA_FUZZ_NOW_MS, settle it as the worker would (rejected when it
 * has problems, else stored), encode the receipt and decode it back. Returns
 * 0, or -1 with why (PA_FUZZ_WHY_SIZE bytes) naming the broken invariant. */
PA_FUZZ_FN int pa_fuzz_submission(const pa_catalog_t *cat, const uint8_t *data, size_t len,
                                  char *why)
{
    int rc = 0;
    pa_submission_t *sub = NULL;
    pa_err_t err;
    pa_err_clear(&err);
    int drc = pa_codec_decode_submission(data, len, &sub, &err);
    if (drc == PA_EINVAL || drc == PA_ENOMEM) {
        if (sub || !err.msg[0])
            rc = pa_fuzz_s_broken(why, "decode failed (rc %d) without a message or kept output",
                                  drc);
        goto cleanup;
    }
    if (drc != PA_OK || !sub) {
        rc = pa_fuzz_s_broken(why, "decode returned %d", drc);
        goto cleanup;
    }
    if (!PA_FUZZ_TERMINATED(sub->sender) || !pa_utf8_printable(sub->sender)) {
        rc = pa_fuzz_s_broken(why, "sender kept unterminated or unprintable");
        goto cleanup;
    }
    for (size_t i = 0; i < sub->n_items && rc == 0; i++)
        rc = pa_fuzz_s_check_report(sub->items[i].report, i, why);
    if (rc == 0)
        rc = pa_fuzz_s_submission_round_trip(sub, why);
    for (size_t i = 0; i < sub->n_items && rc == 0; i++) {
        pa_item_t *it = &sub->items[i];
        pa_validate_report(cat, it->report, PA_FUZZ_NOW_MS, &it->problems);
        rc = pa_fuzz_s_check_problems(&it->problems, i, why);
        it->status = it->problems.n || it->problems.dropped ? PA_STATUS_REJECTED : PA_STATUS_STORED;
    }
    if (rc == 0)
        rc = pa_fuzz_s_receipt_round_trip(sub, why);
cleanup:
    pa_submission_destroy(&sub);
    return rc;
}

/* What one pass of the reader produced, to compare chunkings. */
typedef struct {
    const pa_catalog_t *cat;
    size_t n_reports;
    uint64_t digest; /* FNV-1a over each report's content id and first line */
    int broken;      /* the callback found a broken invariant (why is set) */
    char *why;
} pa_fuzz_input_run_t;

#define PA_FUZZ_CB_BROKEN (-100) /* the callback's stop code: not a PA_E* */

PA_FUZZ_FN void pa_fuzz_s_fnv(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        *h ^= b[i];
        *h *= 1099511628211ULL;
    }
}

/* Per report: check it, then send it down the worker's path as a producer
 * would (content id, a submission time, one report per submission). */
PA_FUZZ_FN int pa_fuzz_s_input_cb(void *arg, pa_report_t *report, pa_err_t *err)
{
    pa_fuzz_input_run_t *run = arg;
    int rc = PA_OK;
    uint8_t *buf = NULL;
    size_t len = 0;
    pa_report_t *copy = pa_report_new();
    run->n_reports++;
    if (!copy)
        return pa_err_set(err, PA_ENOMEM, "out of memory in the fuzz callback");
    if (!PA_FUZZ_TERMINATED(report->district) || !PA_FUZZ_TERMINATED(report->report_id) ||
        !PA_FUZZ_TERMINATED(report->source) || report->n_values > PA_MAX_VALUES ||
        report->revision == 0 || report->submitted_at_ms != 0) {
        run->broken = pa_fuzz_s_broken(run->why, "report %zu handed on malformed", run->n_reports);
        goto cleanup;
    }
    for (size_t j = 0; j < report->n_values; j++)
        if (!PA_FUZZ_TERMINATED(report->values[j].indicator) ||
            !PA_FUZZ_TERMINATED(report->values[j].town) ||
            (report->values[j].kind != PA_AMOUNT_COUNT &&
             report->values[j].kind != PA_AMOUNT_RATIO)) {
            run->broken =
                pa_fuzz_s_broken(run->why, "report %zu value %zu malformed", run->n_reports, j);
            goto cleanup;
        }
    char id[PA_REPORT_ID_SIZE];
    pa_report_digest(report, id);
    pa_fuzz_s_fnv(&run->digest, id, strlen(id));
    pa_fuzz_s_fnv(&run->digest, &report->first_line, sizeof report->first_line);
    if (pa_report_copy(copy, report, err) != PA_OK) {
        rc = err->code;
        goto cleanup;
    }
    if (!copy->report_id[0])
        pa_report_assign_id(copy);
    copy->submitted_at_ms = PA_FUZZ_NOW_MS - 1000;
    pa_report_t *one[1] = {copy};
    if (pa_codec_encode_submission("fuzz", one, 1, &buf, &len, err) != PA_OK) {
        rc = err->code;
        goto cleanup;
    }
    run->broken = pa_fuzz_submission(run->cat, buf, len, run->why);
cleanup:
    free(buf);
    pa_report_destroy(&copy);
    if (run->broken && rc == PA_OK)
        rc = pa_err_set(err, PA_FUZZ_CB_BROKEN, "stopped by the fuzz callback");
    return rc;
}

/* Reads text[0..len) with a new reader, in chunks drawn from seed (0 = one
 * chunk). Returns the reader's code; err and run say the rest. */
PA_FUZZ_FN int pa_fuzz_s_read(pa_format_t format, const uint8_t *text, size_t len, unsigned seed,
                              pa_fuzz_input_run_t *run, pa_err_t *err)
{
    pa_err_clear(err);
    pa_input_t *in = pa_input_new(format, "fuzz", pa_fuzz_s_input_cb, run, err);
    if (!in)
        return err->code;
    uint32_t x = 0x9E3779B9u ^ (uint32_t)len ^ (seed << 8); /* xorshift32 state, never 0 */
    size_t max_chunk = (size_t)1 << (seed & 15);
    int rc = PA_OK;
    for (size_t off = 0; off < len && rc == PA_OK;) {
        size_t n = len - off;
        if (seed) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            size_t want = 1 + x % max_chunk;
            if (want < n)
                n = want;
        }
        rc = pa_input_feed(in, (const char *)text + off, n, err);
        off += n;
    }
    if (rc == PA_OK)
        rc = pa_input_finish(in, err);
    if (rc != PA_OK && rc != PA_FUZZ_CB_BROKEN) {
        /* After an error the reader keeps answering the same error. */
        pa_err_t again;
        pa_err_clear(&again);
        int rc2 = pa_input_feed(in, "x", 1, &again);
        int rc3 = pa_input_finish(in, &again);
        if (rc2 != rc || rc3 != rc || strcmp(again.msg, err->msg) != 0) {
            run->broken =
                pa_fuzz_s_broken(run->why, "error not sticky: %d then %d/%d ('%s' then '%s')", rc,
                                 rc2, rc3, err->msg, again.msg);
        }
    }
    pa_input_destroy(&in);
    return rc;
}

/* The producer's path for one input (see PA_FUZZ_INPUT_HEADER): read it in
 * one chunk and in the chunking the header asks for; both runs must agree on
 * the result, the error message and the reports. Every report also goes
 * through pa_fuzz_submission. Returns 0, or -1 with why. */
PA_FUZZ_FN int pa_fuzz_input(const pa_catalog_t *cat, const uint8_t *data, size_t len, char *why)
{
    pa_format_t format = len > 0 && (data[0] & 1) ? PA_FORMAT_CSV : PA_FORMAT_JSON;
    unsigned seed = len > 1 ? data[1] : 0;
    const uint8_t *text = data + (len < PA_FUZZ_INPUT_HEADER ? len : PA_FUZZ_INPUT_HEADER);
    size_t text_len = len < PA_FUZZ_INPUT_HEADER ? 0 : len - PA_FUZZ_INPUT_HEADER;
    pa_fuzz_input_run_t whole = {cat, 0, 14695981039346656037ULL, 0, why};
    pa_fuzz_input_run_t parts = whole;
    pa_err_t werr, perr;
    int wrc = pa_fuzz_s_read(format, text, text_len, 0, &whole, &werr);
    if (whole.broken)
        return -1;
    if (wrc != PA_OK && wrc != PA_EINVAL && wrc != PA_ENOMEM)
        return pa_fuzz_s_broken(why, "reader returned %d: %s", wrc, werr.msg);
    if (wrc != PA_OK && (!werr.msg[0] || strncmp(werr.msg, "fuzz:", 5) != 0))
        return pa_fuzz_s_broken(why, "reader error without a located message: '%s'", werr.msg);
    if (seed == 0)
        return 0; /* one chunk was the chunking asked for */
    int prc = pa_fuzz_s_read(format, text, text_len, seed, &parts, &perr);
    if (parts.broken)
        return -1;
    if (wrc == PA_ENOMEM || prc == PA_ENOMEM)
        return 0;
    if (prc != wrc || (wrc != PA_OK && strcmp(perr.msg, werr.msg) != 0))
        return pa_fuzz_s_broken(why, "chunked read (seed %u) gave %d '%s', one chunk %d '%s'", seed,
                                prc, perr.msg, wrc, werr.msg);
    if (parts.n_reports != whole.n_reports || parts.digest != whole.digest)
        return pa_fuzz_s_broken(why, "chunked read (seed %u) gave %zu reports, one chunk %zu", seed,
                                parts.n_reports, whole.n_reports);
    return 0;
}

#endif
