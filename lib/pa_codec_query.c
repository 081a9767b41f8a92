/* pa_codec_query.c - Submission.query and Receipt.answer on and off the
 * wire (see pa_codec_query.h). Strings are copied into fixed fields: one
 * that does not fit marks the question garbled rather than being cut. */
#include "pa_codec_query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pa_codec.h"
#include "pingan.pb-c.h"

static bool s_fits(char *dst, const char *src, size_t size)
{
    if (!src)
        src = "";
    return pa_strlcpy_checked(dst, src, size) == PA_OK && pa_utf8_printable(dst);
}

int pa_codec_query_from_pb(const void *pb, pa_query_t **out, pa_err_t *err)
{
    const Pingan__V1__Query *m = pb;
    pa_query_t *q = calloc(1, sizeof *q);
    *out = NULL;
    if (!q)
        return pa_err_set(err, PA_ENOMEM, "out of memory decoding a query");
    q->kind = (int)m->kind;
    q->n_asked = m->n_districts;
    for (size_t i = 0; i < m->n_districts && i < PA_QUERY_DISTRICTS_MAX; i++) {
        if (!s_fits(q->districts[i], m->districts[i], sizeof q->districts[i]))
            q->garbled = true;
        q->n_districts = i + 1;
    }
    q->period_type = m->period_type >= 1 && m->period_type <= 5 ? (pa_period_type_t)m->period_type
                                                                : PA_PERIOD_NONE;
    if (m->period_type > 5)
        q->garbled = true;
    if (!s_fits(q->period_from, m->period_from, sizeof q->period_from) ||
        !s_fits(q->period_to, m->period_to, sizeof q->period_to))
        q->garbled = true;
    q->since_ms = m->since_ms;
    q->limit = m->limit;
    *out = q;
    return PA_OK;
}

int pa_codec_encode_query(const char *sender, const pa_query_t *q, uint8_t **out, size_t *out_len,
                          pa_err_t *err)
{
    Pingan__V1__Submission sub = PINGAN__V1__SUBMISSION__INIT;
    Pingan__V1__Query query = PINGAN__V1__QUERY__INIT;
    char *districts[PA_QUERY_DISTRICTS_MAX];
    sub.version = PA_PROTOCOL_VERSION;
    sub.sender = (char *)(sender ? sender : "");
    sub.query = &query;
    query.kind = (Pingan__V1__QueryKind)q->kind;
    for (size_t i = 0; i < q->n_districts; i++)
        districts[i] = (char *)q->districts[i];
    query.n_districts = q->n_districts;
    query.districts = districts;
    query.period_type = (Pingan__V1__PeriodType)q->period_type;
    query.period_from = (char *)q->period_from;
    query.period_to = (char *)q->period_to;
    query.since_ms = q->since_ms;
    query.limit = q->limit;
    return pa_codec_pack(&sub.base, out, out_len, err);
}

/* Arrays of messages and of pointers to them, freed together. */
typedef struct {
    void *msgs, *ptrs;
} s_list_t;

static int s_list(s_list_t *l, size_t n, size_t size, pa_err_t *err)
{
    l->msgs = calloc(n ? n : 1, size);
    l->ptrs = calloc(n ? n : 1, sizeof(void *));
    if (!l->msgs || !l->ptrs)
        return pa_err_set(err, PA_ENOMEM, "out of memory encoding an answer");
    for (size_t i = 0; i < n; i++)
        ((void **)l->ptrs)[i] = (char *)l->msgs + i * size;
    return PA_OK;
}

static void s_list_free(s_list_t *l)
{
    free(l->msgs);
    free(l->ptrs);
}

int pa_codec_encode_answer(const pa_answer_t *a, const char *worker, uint8_t **out, size_t *out_len,
                           pa_err_t *err)
{
    Pingan__V1__Receipt rec = PINGAN__V1__RECEIPT__INIT;
    Pingan__V1__Answer ans = PINGAN__V1__ANSWER__INIT;
    s_list_t reps = {0}, rejs = {0}, inds = {0}, dists = {0}, towns = {0};
    Pingan__V1__PeriodType(*periods)[5] = NULL;
    int rc = s_list(&reps, a->n_reports, sizeof(Pingan__V1__AnswerReport), err);
    if (rc == PA_OK)
        rc = s_list(&rejs, a->n_rejections, sizeof(Pingan__V1__AnswerRejection), err);
    if (rc == PA_OK)
        rc = s_list(&inds, a->n_indicators, sizeof(Pingan__V1__CatalogueIndicator), err);
    if (rc == PA_OK)
        rc = s_list(&dists, a->n_districts, sizeof(Pingan__V1__CatalogueDistrict), err);
    if (rc == PA_OK)
        rc = s_list(&towns, a->n_towns, sizeof(Pingan__V1__CatalogueTown), err);
    periods = calloc(a->n_indicators ? a->n_indicators : 1, sizeof *periods);
    if (rc == PA_OK && !periods)
        rc = pa_err_set(err, PA_ENOMEM, "out of memory encoding an answer");
    if (rc != PA_OK || !periods)
        goto cleanup;
    rec.version = PA_PROTOCOL_VERSION;
    rec.status = PINGAN__V1__STATUS__STATUS_STORED;
    rec.message = (char *)"";
    rec.worker = (char *)(worker ? worker : "");
    rec.answer = &ans;
    ans.kind = (Pingan__V1__QueryKind)a->kind;
    ans.truncated = a->truncated;
    Pingan__V1__AnswerReport *r = reps.msgs;
    for (size_t i = 0; i < a->n_reports; i++) {
        const pa_answer_report_t *s = &a->reports[i];
        pingan__v1__answer_report__init(&r[i]);
        r[i].report_id = (char *)s->report_id;
        r[i].district = (char *)s->district;
        r[i].period_type = (Pingan__V1__PeriodType)s->period_type;
        r[i].period_start = (char *)s->period_start;
        r[i].revision = s->revision;
        r[i].submitted_at_ms = s->submitted_at_ms;
        r[i].received_at_ms = s->received_at_ms;
        r[i].current = s->current;
        r[i].values = s->values;
    }
    ans.n_reports = a->n_reports;
    ans.reports = reps.ptrs;
    Pingan__V1__AnswerRejection *j = rejs.msgs;
    for (size_t i = 0; i < a->n_rejections; i++) {
        const pa_answer_rejection_t *s = &a->rejections[i];
        pingan__v1__answer_rejection__init(&j[i]);
        j[i].received_at_ms = s->received_at_ms;
        j[i].report_id = (char *)s->report_id;
        j[i].district = (char *)s->district;
        j[i].period_type = (Pingan__V1__PeriodType)s->period_type;
        j[i].period_start = (char *)s->period_start;
        j[i].revision = s->revision;
        j[i].reason = (char *)s->reason;
        j[i].field = (char *)s->field;
        j[i].message = (char *)s->message;
        j[i].problems = s->problems;
    }
    ans.n_rejections = a->n_rejections;
    ans.rejections = rejs.ptrs;
    Pingan__V1__CatalogueIndicator *ind = inds.msgs;
    for (size_t i = 0; i < a->n_indicators; i++) {
        const pa_answer_indicator_t *s = &a->indicators[i];
        pingan__v1__catalogue_indicator__init(&ind[i]);
        ind[i].code = (char *)s->code;
        ind[i].name_zh = (char *)s->name_zh;
        ind[i].name_en = (char *)s->name_en;
        ind[i].kind = (char *)s->kind;
        ind[i].level = (char *)s->level;
        size_t n = 0;
        for (int t = PA_PERIOD_DAY; t <= PA_PERIOD_YEAR; t++)
            if (s->period_mask & (1u << t))
                periods[i][n++] = (Pingan__V1__PeriodType)t;
        ind[i].n_periods = n;
        ind[i].periods = periods[i];
    }
    ans.n_indicators = a->n_indicators;
    ans.indicators = inds.ptrs;
    Pingan__V1__CatalogueDistrict *d = dists.msgs;
    for (size_t i = 0; i < a->n_districts; i++) {
        pingan__v1__catalogue_district__init(&d[i]);
        d[i].code = (char *)a->districts[i].code;
        d[i].name_zh = (char *)a->districts[i].name_zh;
        d[i].name_en = (char *)a->districts[i].name_en;
    }
    ans.n_districts = a->n_districts;
    ans.districts = dists.ptrs;
    Pingan__V1__CatalogueTown *t = towns.msgs;
    for (size_t i = 0; i < a->n_towns; i++) {
        pingan__v1__catalogue_town__init(&t[i]);
        t[i].code = (char *)a->towns[i].code;
        t[i].district = (char *)a->towns[i].district;
        t[i].name_zh = (char *)a->towns[i].name_zh;
    }
    ans.n_towns = a->n_towns;
    ans.towns = towns.ptrs;
    rc = pa_codec_pack(&rec.base, out, out_len, err);
cleanup:
    s_list_free(&reps);
    s_list_free(&rejs);
    s_list_free(&inds);
    s_list_free(&dists);
    s_list_free(&towns);
    free(periods);
    return rc;
}

static void s_copy(char *dst, size_t size, const char *src)
{
    pa_utf8_copy_prefix(dst, src ? src : "", size);
}

static pa_period_type_t s_type(Pingan__V1__PeriodType t)
{
    return t >= 1 && t <= 5 ? (pa_period_type_t)t : PA_PERIOD_NONE;
}

static int s_answer_from_pb(const Pingan__V1__Answer *m, pa_answer_t *a, pa_err_t *err)
{
    for (size_t i = 0; i < m->n_reports; i++) {
        const Pingan__V1__AnswerReport *s = m->reports[i];
        pa_answer_report_t *r = pa_answer_add_report(a);
        if (!r)
            return pa_err_set(err, PA_ENOMEM, "out of memory decoding an answer");
        s_copy(r->report_id, sizeof r->report_id, s->report_id);
        s_copy(r->district, sizeof r->district, s->district);
        r->period_type = s_type(s->period_type);
        s_copy(r->period_start, sizeof r->period_start, s->period_start);
        r->revision = s->revision;
        r->submitted_at_ms = s->submitted_at_ms;
        r->received_at_ms = s->received_at_ms;
        r->current = s->current;
        r->values = s->values;
    }
    for (size_t i = 0; i < m->n_rejections; i++) {
        const Pingan__V1__AnswerRejection *s = m->rejections[i];
        pa_answer_rejection_t *r = pa_answer_add_rejection(a);
        if (!r)
            return pa_err_set(err, PA_ENOMEM, "out of memory decoding an answer");
        r->received_at_ms = s->received_at_ms;
        s_copy(r->report_id, sizeof r->report_id, s->report_id);
        s_copy(r->district, sizeof r->district, s->district);
        r->period_type = s_type(s->period_type);
        s_copy(r->period_start, sizeof r->period_start, s->period_start);
        r->revision = s->revision;
        s_copy(r->reason, sizeof r->reason, s->reason);
        s_copy(r->field, sizeof r->field, s->field);
        s_copy(r->message, sizeof r->message, s->message);
        r->problems = s->problems;
    }
    for (size_t i = 0; i < m->n_indicators; i++) {
        const Pingan__V1__CatalogueIndicator *s = m->indicators[i];
        pa_answer_indicator_t *r = pa_answer_add_indicator(a);
        if (!r)
            return pa_err_set(err, PA_ENOMEM, "out of memory decoding an answer");
        s_copy(r->code, sizeof r->code, s->code);
        s_copy(r->name_zh, sizeof r->name_zh, s->name_zh);
        s_copy(r->name_en, sizeof r->name_en, s->name_en);
        s_copy(r->kind, sizeof r->kind, s->kind);
        s_copy(r->level, sizeof r->level, s->level);
        for (size_t k = 0; k < s->n_periods; k++)
            if (s_type(s->periods[k]) != PA_PERIOD_NONE)
                r->period_mask |= 1u << s_type(s->periods[k]);
    }
    for (size_t i = 0; i < m->n_districts; i++) {
        pa_answer_district_t *r = pa_answer_add_district(a);
        if (!r)
            return pa_err_set(err, PA_ENOMEM, "out of memory decoding an answer");
        s_copy(r->code, sizeof r->code, m->districts[i]->code);
        s_copy(r->name_zh, sizeof r->name_zh, m->districts[i]->name_zh);
        s_copy(r->name_en, sizeof r->name_en, m->districts[i]->name_en);
    }
    for (size_t i = 0; i < m->n_towns; i++) {
        pa_answer_town_t *r = pa_answer_add_town(a);
        if (!r)
            return pa_err_set(err, PA_ENOMEM, "out of memory decoding an answer");
        s_copy(r->code, sizeof r->code, m->towns[i]->code);
        s_copy(r->district, sizeof r->district, m->towns[i]->district);
        s_copy(r->name_zh, sizeof r->name_zh, m->towns[i]->name_zh);
    }
    a->truncated = m->truncated;
    return PA_OK;
}

int pa_codec_decode_answer(const void *buf, size_t len, int *status, int *reason, char *message,
                           size_t size, pa_answer_t **answer, pa_err_t *err)
{
    int rc = PA_OK;
    pa_answer_t *a = NULL;
    Pingan__V1__Receipt *m = pingan__v1__receipt__unpack(NULL, len, buf);
    *answer = NULL;
    if (!m) {
        rc = pa_err_set(err, PA_EINVAL, "%zu bytes are not a pingan Receipt message", len);
        goto cleanup;
    }
    *status = (int)m->status;
    *reason = (int)m->reason;
    snprintf(message, size, "%s", m->message ? m->message : "");
    if (!m->answer)
        goto cleanup;
    if (!(a = pa_answer_new((int)m->answer->kind))) {
        rc = pa_err_set(err, PA_ENOMEM, "out of memory decoding an answer");
        goto cleanup;
    }
    rc = s_answer_from_pb(m->answer, a, err);
    if (rc != PA_OK)
        goto cleanup;
    *answer = a;
    a = NULL;
cleanup:
    pa_answer_destroy(&a);
    if (m)
        pingan__v1__receipt__free_unpacked(m, NULL);
    return rc;
}
