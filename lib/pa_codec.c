/* pa_codec.c - protobuf-c encoding and decoding of submissions and receipts.
 * Field checks here are about shape (present, well-formed, fits); whether the
 * content is acceptable is pa_validate's business. */
#include "pa_codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pa_arena.h"
#include "pa_codec_query.h"
#include "pingan.pb-c.h"

/* ---------------------------------------------------------------- decode */

static void s_item_clear(pa_item_t *item)
{
    pa_report_destroy(&item->report);
    pa_problems_clear(&item->problems);
    free(item->raw);
    item->raw = NULL;
}

void pa_submission_destroy(pa_submission_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pa_submission_t *self = *self_p;
    for (size_t i = 0; i < self->n_items; i++)
        s_item_clear(&self->items[i]);
    free(self->items);
    free(self->raw);
    free(self->query);
    free(self);
    *self_p = NULL;
}

int pa_submission_keep_raw(pa_submission_t *sub, const void *buf, size_t len, size_t max)
{
    size_t keep = len < max ? len : max;
    uint8_t *copy = malloc(keep ? keep : 1);
    if (!copy)
        return PA_ENOMEM;
    if (keep)
        memcpy(copy, buf, keep);
    free(sub->raw);
    sub->raw = copy;
    sub->raw_len = keep;
    return PA_OK;
}

/* protobuf-c allocates every Value message separately, and a submission
 * holds tens of thousands of them: unpack into an arena, freed at once. */
static void *s_arena_alloc(void *arg, size_t size)
{
    return pa_arena_alloc(arg, size);
}

static void s_arena_free(void *arg, void *ptr)
{
    (void)arg; /* everything goes with the arena */
    (void)ptr;
}

static bool s_id_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
}

/* Copies a string field, recording a problem when missing, too long, or not
 * printable UTF-8 (such text would poison logs and database parameters). */
static void s_take_string(pa_problems_t *pr, const char *field, const char *src, char *dst,
                          size_t size, bool required)
{
    dst[0] = '\0';
    if (!src || !*src) {
        if (required)
            pa_problems_add(pr, PA_REASON_MISSING_FIELD, field, "%s is missing", field);
        return;
    }
    if (!pa_utf8_printable(src)) {
        pa_problems_add(pr, PA_REASON_INVALID_FIELD, field, "%s is not printable UTF-8 text",
                        field);
        return;
    }
    if (pa_strlcpy_checked(dst, src, size) != PA_OK) {
        pa_problems_add(pr, PA_REASON_INVALID_FIELD, field, "%s is longer than %zu bytes", field,
                        size - 1);
        dst[0] = '\0';
    }
}

/* The common case of s_take_string without a problem: copies src and
 * returns true when it is acceptable as is. */
static bool s_copy_if_ok(char *dst, const char *src, size_t size, bool required)
{
    if (!src || !*src) {
        dst[0] = '\0';
        return !required;
    }
    size_t n = strlen(src);
    if (n >= size || !pa_utf8_printable(src))
        return false;
    memcpy(dst, src, n + 1);
    return true;
}

/* Bytes of fields this schema does not know, as protobuf-c kept them (each
 * with at least its one-byte tag): they would be stored in raw. */
static size_t s_unknown_bytes(const ProtobufCMessage *m)
{
    size_t n = 0;
    for (unsigned k = 0; k < m->n_unknown_fields; k++)
        n += m->unknown_fields[k].len + 1;
    return n;
}

static size_t s_report_unknown_bytes(const Pingan__V1__Report *m)
{
    size_t n = s_unknown_bytes(&m->base);
    for (size_t i = 0; i < m->n_values; i++) {
        n += s_unknown_bytes(&m->values[i]->base);
        if (m->values[i]->amount_case == PINGAN__V1__VALUE__AMOUNT_RATIO && m->values[i]->ratio)
            n += s_unknown_bytes(&m->values[i]->ratio->base);
    }
    return n;
}

static int s_decode_report(const Pingan__V1__Report *m, const pa_codec_limits_t *lim,
                           pa_item_t *item, pa_err_t *err)
{
    pa_problems_t *pr = &item->problems;
    pa_report_t *r = pa_report_new();
    if (!r)
        return pa_err_set(err, PA_ENOMEM, "out of memory decoding a report");
    item->report = r;

    size_t raw_len = pingan__v1__report__get_packed_size(m);
    item->raw = malloc(raw_len ? raw_len : 1);
    if (!item->raw)
        return pa_err_set(err, PA_ENOMEM, "out of memory keeping report bytes");
    item->raw_len = pingan__v1__report__pack(m, item->raw);

    s_take_string(pr, "report_id", m->report_id, r->report_id, sizeof r->report_id, true);
    for (const char *c = r->report_id; *c; c++) {
        if (!s_id_char_ok(*c)) {
            pa_problems_add(pr, PA_REASON_INVALID_FIELD, "report_id",
                            "report_id may hold only letters, digits and . _ : -");
            break;
        }
    }
    s_take_string(pr, "district", m->district, r->district, sizeof r->district, true);
    if (m->period_type == PINGAN__V1__PERIOD_TYPE__PERIOD_TYPE_UNSPECIFIED)
        pa_problems_add(pr, PA_REASON_MISSING_FIELD, "period_type", "period_type is missing");
    else if ((int)m->period_type < 1 || (int)m->period_type > 5)
        pa_problems_add(pr, PA_REASON_INVALID_FIELD, "period_type", "period_type %d is unknown",
                        (int)m->period_type);
    else
        r->period.type = (pa_period_type_t)m->period_type;
    char start[PA_DATE_SIZE + 1];
    s_take_string(pr, "period_start", m->period_start, start, sizeof start, true);
    if (start[0]) {
        pa_err_t perr;
        if (pa_date_parse(start, &r->period.start, &perr) != PA_OK)
            pa_problems_add(pr, PA_REASON_INVALID_FIELD, "period_start", "%s", perr.msg);
    }
    r->submitted_at_ms = m->submitted_at_ms;
    if (m->submitted_at_ms <= 0)
        pa_problems_add(pr, PA_REASON_MISSING_FIELD, "submitted_at_ms",
                        "submitted_at_ms is missing");
    r->revision = m->revision;
    r->withdraw = m->withdraw;
    if (m->revision == 0)
        pa_problems_add(pr, PA_REASON_MISSING_FIELD, "revision",
                        "revision is missing (the first report is revision 1)");
    else if (m->revision > INT32_MAX)
        pa_problems_add(pr, PA_REASON_INVALID_FIELD, "revision",
                        "revision %u is above the largest allowed, %d", m->revision, INT32_MAX);
    size_t unknown = s_report_unknown_bytes(m);
    if (lim->max_unknown_bytes && unknown > lim->max_unknown_bytes)
        pa_problems_add(pr, PA_REASON_UNKNOWN_FIELDS, "",
                        "the report carries %zu bytes of fields this worker does not know, more "
                        "than the %zu it keeps",
                        unknown, lim->max_unknown_bytes);
    if (m->n_values > PA_MAX_VALUES) {
        pa_problems_add(pr, PA_REASON_TOO_MANY_VALUES, "values",
                        "%zu values, more than the limit of %d", m->n_values, PA_MAX_VALUES);
        return PA_OK;
    }
    for (size_t i = 0; i < m->n_values; i++) {
        const Pingan__V1__Value *mv = m->values[i];
        /* A report holding its maximum of problems is refused anyway: its
         * further values are neither judged nor kept (nor paths formatted). */
        if (pa_problems_full(pr)) {
            pr->dropped++;
            break;
        }
        pa_value_t v;
        memset(&v, 0, sizeof v);
        char field[PA_PROBLEM_FIELD_SIZE];
        /* Paths are formatted only for a bad field: this loop runs per value. */
        if (!s_copy_if_ok(v.indicator, mv->indicator, sizeof v.indicator, true)) {
            snprintf(field, sizeof field, "values[%zu].indicator", i);
            s_take_string(pr, field, mv->indicator, v.indicator, sizeof v.indicator, true);
        }
        if (!s_copy_if_ok(v.town, mv->town, sizeof v.town, false)) {
            snprintf(field, sizeof field, "values[%zu].town", i);
            s_take_string(pr, field, mv->town, v.town, sizeof v.town, false);
        }
        if (mv->amount_case == PINGAN__V1__VALUE__AMOUNT_COUNT) {
            v.kind = PA_AMOUNT_COUNT;
            v.count = mv->count;
        } else if (mv->amount_case == PINGAN__V1__VALUE__AMOUNT_RATIO && mv->ratio) {
            v.kind = PA_AMOUNT_RATIO;
            v.numerator = mv->ratio->numerator;
            v.denominator = mv->ratio->denominator;
        } else {
            snprintf(field, sizeof field, "values[%zu]", i);
            pa_problems_add(pr, PA_REASON_MISSING_AMOUNT, field,
                            "value has neither a count nor a ratio");
        }
        int rc = pa_report_add_value(r, &v, err);
        if (rc != PA_OK)
            return rc;
    }
    return PA_OK;
}

/* ---------------------------------------------------------------- census */

/* Reads a varint at *p (< end); false when truncated or longer than 10 bytes. */
static bool s_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 70 && *p < end; shift += 7) {
        uint8_t c = *(*p)++;
        *v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return true;
    }
    return false;
}

/* Steps over one field's payload of wire type wt; false when malformed. */
static bool s_skip(const uint8_t **p, const uint8_t *end, unsigned wt, uint64_t *len_out)
{
    uint64_t v = 0;
    *len_out = 0;
    switch (wt) {
    case 0:
        return s_varint(p, end, &v);
    case 1:
        v = 8;
        break;
    case 5:
        v = 4;
        break;
    case 2:
        if (!s_varint(p, end, &v))
            return false;
        *len_out = v;
        break;
    default:
        return false; /* groups and reserved types: protobuf-c refuses them too */
    }
    if (v > (uint64_t)(end - *p))
        return false;
    *p += v;
    return true;
}

/* Whether n values in all break lim (then *why and err say so). */
static bool s_too_many_values(size_t n, const pa_codec_limits_t *lim, int *why, pa_err_t *err)
{
    if (!lim->max_values || n <= lim->max_values)
        return false;
    *why = PA_REASON_TOO_MANY_VALUES;
    pa_err_set(err, PA_EINVAL, "%zu values in all, more than the limit of %zu", n, lim->max_values);
    return true;
}

/* What the census found: values of all reports, and fields of the
 * submission and its reports (each costs protobuf-c at least
 * PA_CODEC_FIELD_BYTES to unpack). */
typedef struct {
    size_t values, fields;
    bool malformed; /* the unpack then says why */
} s_census_t;

#define PA_CODEC_FIELD_BYTES 32 /* protobuf-c's ScannedMember per field, at the least */

/* Whether counting further is pointless: a limit is already broken. */
static bool s_census_over(const s_census_t *c, const pa_codec_limits_t *lim)
{
    return (lim->max_values && c->values > lim->max_values) ||
           (lim->decode_bytes && c->fields > lim->decode_bytes / PA_CODEC_FIELD_BYTES);
}

/* Walks one message's fields; for a Submission (is_sub) also each Report. */
static void s_census_walk(const uint8_t *p, const uint8_t *end, bool is_sub,
                          const pa_codec_limits_t *lim, s_census_t *c)
{
    while (p < end && !c->malformed && !s_census_over(c, lim)) {
        uint64_t tag, len;
        if (!s_varint(&p, end, &tag) || !s_skip(&p, end, (unsigned)(tag & 7), &len)) {
            c->malformed = true;
            return;
        }
        c->fields++;
        bool ld = (tag & 7) == 2;
        if (is_sub && ld && (tag >> 3) == 3)
            s_census_walk(p - len, p, false, lim, c);
        else if (!is_sub && ld && (tag >> 3) == 7)
            c->values++;
    }
}

/* Counts values and fields off the wire without unpacking anything, and
 * stops as soon as a limit is broken: a few bytes can stand for a value or
 * a field (an empty one is 2), and unpacking them is what costs. */
static int s_census(const void *buf, size_t len, const pa_codec_limits_t *lim, int *why,
                    pa_err_t *err)
{
    s_census_t c = {0, 0, false};
    s_census_walk(buf, (const uint8_t *)buf + len, true, lim, &c);
    if (c.malformed)
        return PA_OK; /* not ours to judge: the unpack says why */
    if (s_too_many_values(c.values, lim, why, err))
        return PA_EINVAL;
    if (lim->decode_bytes && c.fields > lim->decode_bytes / PA_CODEC_FIELD_BYTES) {
        *why = PA_REASON_DECODE_BUDGET;
        return pa_err_set(err, PA_EINVAL,
                          "decoding these %zu bytes would take more than %zu bytes of memory "
                          "(more than %zu fields)",
                          len, lim->decode_bytes, lim->decode_bytes / PA_CODEC_FIELD_BYTES);
    }
    return PA_OK;
}

pa_codec_limits_t pa_codec_limits_default(void)
{
    return (pa_codec_limits_t){PA_CODEC_DECODE_BYTES, PA_CODEC_MAX_VALUES,
                               PA_CODEC_MAX_UNKNOWN_BYTES};
}

int pa_codec_decode_limited(const void *buf, size_t len, const pa_codec_limits_t *lim,
                            pa_submission_t **out, int *reason, pa_err_t *err)
{
    int rc = PA_OK, why = PA_REASON_UNDECODABLE;
    pa_codec_limits_t def = pa_codec_limits_default();
    pa_submission_t *sub = NULL;
    pa_arena_t *arena = pa_arena_new(0);
    ProtobufCAllocator alloc = {s_arena_alloc, s_arena_free, arena};
    Pingan__V1__Submission *m = NULL;
    *out = NULL;
    if (!lim)
        lim = &def;
    if (!arena) {
        rc = pa_err_set(err, PA_ENOMEM, "out of memory decoding a submission");
        goto cleanup;
    }
    /* A few bytes on the wire can ask for many times their size in memory
     * (an empty Value is 2 bytes, 70 once unpacked): the budget makes the
     * unpack fail before that memory is taken. */
    pa_arena_set_budget(arena, lim->decode_bytes);
    rc = s_census(buf, len, lim, &why, err);
    if (rc != PA_OK)
        goto cleanup;
    m = pingan__v1__submission__unpack(&alloc, len, buf);
    if (!m && pa_arena_over_budget(arena)) {
        why = PA_REASON_DECODE_BUDGET;
        rc = pa_err_set(err, PA_EINVAL,
                        "decoding these %zu bytes would take more than %zu bytes of memory", len,
                        lim->decode_bytes);
        goto cleanup;
    }
    if (!m) {
        rc = pa_err_set(err, PA_EINVAL, "%zu bytes are not a pingan Submission message", len);
        goto cleanup;
    }
    size_t n_values = 0;
    for (size_t i = 0; i < m->n_reports; i++)
        n_values += m->reports[i]->n_values;
    /* Again after the unpack: the census gives up on bytes it cannot read. */
    if (s_too_many_values(n_values, lim, &why, err)) {
        rc = PA_EINVAL;
        goto cleanup;
    }
    sub = calloc(1, sizeof *sub);
    if (!sub || (m->n_reports && !(sub->items = calloc(m->n_reports, sizeof *sub->items)))) {
        rc = pa_err_set(err, PA_ENOMEM, "out of memory decoding %zu reports", m->n_reports);
        goto cleanup;
    }
    sub->version = m->version;
    sub->dry_run = m->dry_run;
    /* The sender is audit text, not judged: keep what fits, whole characters only. */
    if (m->sender && pa_utf8_printable(m->sender))
        pa_utf8_copy_prefix(sub->sender, m->sender, sizeof sub->sender);
    if (m->query && (rc = pa_codec_query_from_pb(m->query, &sub->query, err)) != PA_OK)
        goto cleanup;
    for (size_t i = 0; i < m->n_reports; i++) {
        sub->n_items = i + 1;
        rc = s_decode_report(m->reports[i], lim, &sub->items[i], err);
        if (rc != PA_OK)
            goto cleanup;
    }
    *out = sub;
    sub = NULL;
cleanup:
    if (reason)
        *reason = rc == PA_EINVAL ? why : PA_REASON_NONE;
    pa_submission_destroy(&sub);
    if (m)
        pingan__v1__submission__free_unpacked(m, &alloc);
    pa_arena_destroy(&arena);
    return rc;
}

int pa_codec_decode_submission(const void *buf, size_t len, pa_submission_t **out, pa_err_t *err)
{
    return pa_codec_decode_limited(buf, len, NULL, out, NULL, err);
}

size_t pa_submission_mem_bytes(const pa_submission_t *sub)
{
    size_t n = sizeof *sub + sub->n_items * sizeof *sub->items + sub->raw_len;
    for (size_t i = 0; i < sub->n_items; i++) {
        const pa_item_t *it = &sub->items[i];
        n += it->raw_len + it->problems.cap * sizeof *it->problems.items;
        if (it->report)
            n += sizeof *it->report + it->report->cap_values * sizeof *it->report->values;
    }
    return n;
}

/* ---------------------------------------------------------------- encode */

int pa_codec_pack(const void *msg, uint8_t **out, size_t *out_len, pa_err_t *err)
{
    const ProtobufCMessage *m = msg;
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return pa_err_set(err, PA_ENOMEM, "out of memory packing %zu bytes", len);
    *out_len = protobuf_c_message_pack(m, buf);
    *out = buf;
    return PA_OK;
}

int pa_codec_encode_submission(const char *sender, pa_report_t *const *reports, size_t n,
                               uint8_t **out, size_t *out_len, pa_err_t *err)
{
    return pa_codec_encode_request(sender, false, reports, n, out, out_len, err);
}

int pa_codec_encode_request(const char *sender, bool dry_run, pa_report_t *const *reports, size_t n,
                            uint8_t **out, size_t *out_len, pa_err_t *err)
{
    int rc = PA_OK;
    size_t n_values = 0;
    for (size_t i = 0; i < n; i++)
        n_values += reports[i]->n_values;

    Pingan__V1__Submission sub = PINGAN__V1__SUBMISSION__INIT;
    Pingan__V1__Report *rep = calloc(n ? n : 1, sizeof *rep);
    Pingan__V1__Report **rep_p = calloc(n ? n : 1, sizeof *rep_p);
    Pingan__V1__Value *val = calloc(n_values ? n_values : 1, sizeof *val);
    Pingan__V1__Value **val_p = calloc(n_values ? n_values : 1, sizeof *val_p);
    Pingan__V1__Ratio *ratio = calloc(n_values ? n_values : 1, sizeof *ratio);
    char(*starts)[PA_DATE_SIZE] = calloc(n ? n : 1, PA_DATE_SIZE);
    if (!rep || !rep_p || !val || !val_p || !ratio || !starts) {
        rc = pa_err_set(err, PA_ENOMEM, "out of memory encoding %zu reports", n);
        goto cleanup;
    }
    sub.version = PA_PROTOCOL_VERSION;
    sub.sender = (char *)(sender ? sender : "");
    sub.dry_run = dry_run;
    sub.n_reports = n;
    sub.reports = rep_p;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const pa_report_t *r = reports[i];
        Pingan__V1__Report init = PINGAN__V1__REPORT__INIT;
        rep[i] = init;
        rep_p[i] = &rep[i];
        pa_date_format(r->period.start, starts[i]);
        rep[i].report_id = (char *)r->report_id;
        rep[i].district = (char *)r->district;
        rep[i].period_type = (Pingan__V1__PeriodType)r->period.type;
        rep[i].period_start = starts[i];
        rep[i].submitted_at_ms = r->submitted_at_ms;
        rep[i].revision = r->revision;
        rep[i].withdraw = r->withdraw;
        rep[i].n_values = r->n_values;
        rep[i].values = &val_p[k];
        for (size_t j = 0; j < r->n_values; j++, k++) {
            const pa_value_t *v = &r->values[j];
            Pingan__V1__Value vinit = PINGAN__V1__VALUE__INIT;
            Pingan__V1__Ratio rinit = PINGAN__V1__RATIO__INIT;
            val[k] = vinit;
            val_p[k] = &val[k];
            val[k].indicator = (char *)v->indicator;
            val[k].town = (char *)v->town;
            if (v->kind == PA_AMOUNT_COUNT) {
                val[k].amount_case = PINGAN__V1__VALUE__AMOUNT_COUNT;
                val[k].count = v->count;
            } else if (v->kind == PA_AMOUNT_RATIO) {
                ratio[k] = rinit;
                ratio[k].numerator = v->numerator;
                ratio[k].denominator = v->denominator;
                val[k].amount_case = PINGAN__V1__VALUE__AMOUNT_RATIO;
                val[k].ratio = &ratio[k];
            }
        }
    }
    rc = pa_codec_pack(&sub.base, out, out_len, err);
cleanup:
    free(rep);
    free(rep_p);
    free(val);
    free(val_p);
    free(ratio);
    free(starts);
    return rc;
}

/* How many of an item's problems a receipt lists, from what is left of the
 * receipt's budget (*left); a rejected report always gets one. */
static size_t s_listed(const pa_problems_t *pr, size_t *left)
{
    size_t k = pr->n < *left ? pr->n : *left;
    *left -= k;
    return k ? k : (pr->n ? 1 : 0);
}

/* Fills a Problem array with the first k problems of a list (the arrays are
 * the caller's); brief: reason and field only, the receipt's budget is spent. */
static void s_fill_problems(const pa_problems_t *pr, size_t k, bool brief, Pingan__V1__Problem *pb,
                            Pingan__V1__Problem **pb_p)
{
    for (size_t j = 0; j < k; j++) {
        Pingan__V1__Problem init = PINGAN__V1__PROBLEM__INIT;
        pb[j] = init;
        pb[j].reason = (Pingan__V1__Reason)pr->items[j].reason;
        pb[j].field = (char *)pr->items[j].field;
        pb[j].message =
            brief ? (char *)"(not listed: receipt limit)" : (char *)pr->items[j].message;
        pb_p[j] = &pb[j];
    }
}

int pa_codec_encode_receipt(const pa_submission_t *sub, const char *worker, uint8_t **out,
                            size_t *out_len, pa_err_t *err)
{
    int rc = PA_OK;
    size_t n = sub->n_items, n_problems = 0, left = PA_CODEC_RECEIPT_PROBLEMS;
    for (size_t i = 0; i < n; i++)
        n_problems += s_listed(&sub->items[i].problems, &left);
    Pingan__V1__Receipt rec = PINGAN__V1__RECEIPT__INIT;
    Pingan__V1__ReportStatus *st = calloc(n ? n : 1, sizeof *st);
    Pingan__V1__ReportStatus **st_p = calloc(n ? n : 1, sizeof *st_p);
    Pingan__V1__Problem *pb = calloc(n_problems ? n_problems : 1, sizeof *pb);
    Pingan__V1__Problem **pb_p = calloc(n_problems ? n_problems : 1, sizeof *pb_p);
    if (!st || !st_p || !pb || !pb_p) {
        rc = pa_err_set(err, PA_ENOMEM, "out of memory encoding a receipt");
        goto cleanup;
    }
    rec.version = PA_PROTOCOL_VERSION;
    rec.status = PINGAN__V1__STATUS__STATUS_STORED;
    rec.worker = (char *)(worker ? worker : "");
    rec.dry_run = sub->dry_run;
    rec.n_statuses = n;
    rec.statuses = st_p;
    size_t k = 0;
    left = PA_CODEC_RECEIPT_PROBLEMS;
    for (size_t i = 0; i < n; i++) {
        const pa_item_t *item = &sub->items[i];
        bool brief = left == 0;
        size_t listed = s_listed(&item->problems, &left);
        Pingan__V1__ReportStatus init = PINGAN__V1__REPORT_STATUS__INIT;
        st[i] = init;
        st_p[i] = &st[i];
        st[i].report_id = (char *)(item->report ? item->report->report_id : "");
        st[i].status = (Pingan__V1__Status)item->status;
        st[i].current_revision = item->current_revision;
        st[i].n_problems = listed;
        st[i].problems = &pb_p[k];
        s_fill_problems(&item->problems, listed, brief, &pb[k], &pb_p[k]);
        k += listed;
    }
    rc = pa_codec_pack(&rec.base, out, out_len, err);
cleanup:
    free(st);
    free(st_p);
    free(pb);
    free(pb_p);
    return rc;
}

int pa_codec_encode_failure(int status, int reason, const char *message, const char *worker,
                            uint8_t **out, size_t *out_len, pa_err_t *err)
{
    Pingan__V1__Receipt rec = PINGAN__V1__RECEIPT__INIT;
    rec.version = PA_PROTOCOL_VERSION;
    rec.status = (Pingan__V1__Status)status;
    rec.reason = (Pingan__V1__Reason)reason;
    rec.message = (char *)(message ? message : "");
    rec.worker = (char *)(worker ? worker : "");
    return pa_codec_pack(&rec.base, out, out_len, err);
}

void pa_receipt_destroy(pa_receipt_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pa_receipt_t *self = *self_p;
    for (size_t i = 0; i < self->n_entries; i++)
        pa_problems_clear(&self->entries[i].problems);
    free(self->entries);
    free(self);
    *self_p = NULL;
}

int pa_codec_decode_receipt(const void *buf, size_t len, pa_receipt_t **out, pa_err_t *err)
{
    int rc = PA_OK;
    pa_receipt_t *rec = NULL;
    Pingan__V1__Receipt *m = pingan__v1__receipt__unpack(NULL, len, buf);
    *out = NULL;
    if (!m) {
        rc = pa_err_set(err, PA_EINVAL, "%zu bytes are not a pingan Receipt message", len);
        goto cleanup;
    }
    rec = calloc(1, sizeof *rec);
    if (!rec || (m->n_statuses && !(rec->entries = calloc(m->n_statuses, sizeof *rec->entries)))) {
        rc = pa_err_set(err, PA_ENOMEM, "out of memory decoding a receipt");
        goto cleanup;
    }
    rec->status = (int)m->status;
    rec->reason = (int)m->reason;
    snprintf(rec->message, sizeof rec->message, "%s", m->message ? m->message : "");
    snprintf(rec->worker, sizeof rec->worker, "%s", m->worker ? m->worker : "");
    rec->dry_run = m->dry_run;
    rec->n_entries = m->n_statuses;
    for (size_t i = 0; i < m->n_statuses; i++) {
        const Pingan__V1__ReportStatus *s = m->statuses[i];
        pa_receipt_entry_t *e = &rec->entries[i];
        snprintf(e->report_id, sizeof e->report_id, "%s", s->report_id ? s->report_id : "");
        e->status = (int)s->status;
        e->current_revision = s->current_revision;
        for (size_t j = 0; j < s->n_problems; j++)
            pa_problems_add(&e->problems, (int)s->problems[j]->reason, s->problems[j]->field, "%s",
                            s->problems[j]->message ? s->problems[j]->message : "");
    }
    *out = rec;
    rec = NULL;
cleanup:
    pa_receipt_destroy(&rec);
    if (m)
        pingan__v1__receipt__free_unpacked(m, NULL);
    return rc;
}
