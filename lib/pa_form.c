/* pa_form.c - status tables, the catalogue and CSV templates (see pa_form.h). */
#include "pa_form.h"

#include <errno.h>
#include <string.h>
#include <time.h>

void pa_form_time(int64_t ms, char out[24])
{
    if (ms <= 0) {
        snprintf(out, 24, "-");
        return;
    }
    time_t secs = (time_t)(ms / 1000) + PA_FORM_TZ_OFFSET_S;
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(out, 24, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The period id ("2024-03") of a type and start date, or "?" when unknown. */
static void s_period(pa_period_type_t type, const char *start, char out[PA_PERIOD_SIZE])
{
    pa_period_t p = {type, 0};
    if (type == PA_PERIOD_NONE || pa_date_parse(start, &p.start, NULL) != PA_OK) {
        snprintf(out, PA_PERIOD_SIZE, "?");
        return;
    }
    pa_period_format(&p, out);
}

static int s_done(FILE *out, pa_err_t *err)
{
    if (ferror(out) || fflush(out) != 0)
        return pa_err_set(err, PA_EIO, "could not write: %s", strerror(errno ? errno : EIO));
    return PA_OK;
}

int pa_form_status(FILE *out, const pa_answer_t *a, const char *district, pa_err_t *err)
{
    size_t current = 0;
    for (size_t i = 0; i < a->n_reports; i++)
        current += a->reports[i].current;
    fprintf(out,
            "district %s: %zu report%s stored (%zu current, %zu superseded), %zu rejection%s\n",
            district, a->n_reports, a->n_reports == 1 ? "" : "s", current, a->n_reports - current,
            a->n_rejections, a->n_rejections == 1 ? "" : "s");
    if (a->n_reports) {
        fprintf(out, "%-10s  %-8s  %-19s  %-19s  %-10s  %6s  %s\n", "period", "revision",
                "submitted", "stored at", "status", "values", "report");
        for (size_t i = 0; i < a->n_reports; i++) {
            const pa_answer_report_t *r = &a->reports[i];
            char period[PA_PERIOD_SIZE], sub[24], got[24];
            s_period(r->period_type, r->period_start, period);
            pa_form_time(r->submitted_at_ms, sub);
            pa_form_time(r->received_at_ms, got);
            fprintf(out, "%-10s  %-8u  %-19s  %-19s  %-10s  %6u  %s\n", period, r->revision, sub,
                    got, r->current ? "current" : "superseded", r->values, r->report_id);
        }
    }
    if (a->n_rejections) {
        fprintf(out, "recent rejections, newest first:\n");
        fprintf(out, "%-19s  %-10s  %-8s  %-28s  %s\n", "when", "period", "revision", "reason",
                "message");
        for (size_t i = 0; i < a->n_rejections; i++) {
            const pa_answer_rejection_t *r = &a->rejections[i];
            char period[PA_PERIOD_SIZE], when[24], rev[16] = "?";
            s_period(r->period_type, r->period_start, period);
            pa_form_time(r->received_at_ms, when);
            if (r->revision)
                snprintf(rev, sizeof rev, "%u", r->revision);
            fprintf(out, "%-19s  %-10s  %-8s  %-28s  %s%s%s", when, period, rev, r->reason,
                    r->field, r->field[0] ? ": " : "", r->message);
            if (r->problems > 1)
                fprintf(out, " (and %u more)", r->problems - 1);
            fputc('\n', out);
        }
    }
    if (a->truncated)
        fprintf(out, "(lists cut at the limit: narrow with --period or --since)\n");
    fprintf(out, "times are China Standard Time (UTC+8)\n");
    return s_done(out, err);
}

/* "day,week,month" from a period mask. */
static void s_periods(unsigned mask, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (int t = PA_PERIOD_DAY; t <= PA_PERIOD_YEAR; t++)
        if (mask & (1u << t) && n < size)
            n += (size_t)snprintf(out + n, size - n, "%s%s", n ? "," : "",
                                  pa_period_type_name((pa_period_type_t)t));
}

int pa_form_catalogue(FILE *out, const pa_answer_t *a, pa_err_t *err)
{
    fprintf(out, "%-22s  %-5s  %-8s  %-27s  %s\n", "code", "kind", "level", "periods", "name");
    for (size_t i = 0; i < a->n_indicators; i++) {
        const pa_answer_indicator_t *ind = &a->indicators[i];
        char periods[64];
        s_periods(ind->period_mask, periods, sizeof periods);
        fprintf(out, "%-22s  %-5s  %-8s  %-27s  %s (%s)\n", ind->code, ind->kind, ind->level,
                periods, ind->name_zh, ind->name_en);
    }
    fprintf(out,
            "%zu indicators; level town: one row per town, district: one row with an empty "
            "town, any: either\n",
            a->n_indicators);
    return s_done(out, err);
}

int pa_form_template(FILE *out, const pa_answer_t *a, const char *district, const pa_period_t *p,
                     size_t *rows, pa_err_t *err)
{
    size_t towns = 0;
    char period[PA_PERIOD_SIZE];
    *rows = 0;
    for (size_t i = 0; i < a->n_towns; i++)
        towns += strcmp(a->towns[i].district, district) == 0;
    if (!towns)
        return pa_err_set(err, PA_EINVAL, "district %s has no towns in the worker's catalogue",
                          district);
    pa_period_format(p, period);
    fprintf(out, "district,period,revision,town,indicator,count,numerator,denominator\n");
    /* Town rows first, town by town, so that an office fills one town at a time. */
    for (size_t t = 0; t < a->n_towns; t++) {
        if (strcmp(a->towns[t].district, district) != 0)
            continue;
        for (size_t i = 0; i < a->n_indicators; i++) {
            const pa_answer_indicator_t *ind = &a->indicators[i];
            if (!(ind->period_mask & (1u << p->type)) || strcmp(ind->level, "district") == 0)
                continue;
            fprintf(out, "%s,%s,1,%s,%s,,,\n", district, period, a->towns[t].code, ind->code);
            (*rows)++;
        }
    }
    for (size_t i = 0; i < a->n_indicators; i++) {
        const pa_answer_indicator_t *ind = &a->indicators[i];
        if (!(ind->period_mask & (1u << p->type)) || strcmp(ind->level, "district") != 0)
            continue;
        fprintf(out, "%s,%s,1,,%s,,,\n", district, period, ind->code);
        (*rows)++;
    }
    return s_done(out, err);
}
