/* pa_render_common.c - the renderers' shared vocabulary and number rules, and
 * the {name, render} table pingan-report picks from. Nothing here reads the
 * database or decides a status: it words what the model holds. */
#include "pa_render_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * The renderer table
 * ------------------------------------------------------------------------ */

static const pa_renderer_t s_renderers[] = {
    {"table", pa_render_table, "aligned text for a terminal"},
    {"csv", pa_render_csv, "one record per judgement"},
    {"json", pa_render_json, "the whole scorecard as one document"},
    {"html", pa_render_html, "a self-contained page with heat map and trends"},
    {NULL, NULL, NULL},
};

const pa_renderer_t *pa_render_find(const char *name)
{
    for (const pa_renderer_t *r = s_renderers; name && r->name; r++)
        if (strcmp(r->name, name) == 0)
            return r;
    return NULL;
}

const pa_renderer_t *pa_render_all(void)
{
    return s_renderers;
}

int pa_render_lang_parse(const char *s, pa_lang_t *out, pa_err_t *err)
{
    if (s && strcmp(s, "both") == 0)
        *out = PA_LANG_BOTH;
    else if (s && strcmp(s, "zh") == 0)
        *out = PA_LANG_ZH;
    else if (s && strcmp(s, "en") == 0)
        *out = PA_LANG_EN;
    else
        return pa_err_set(err, PA_EINVAL, "'%s' is not zh, en or both", s ? s : "");
    return PA_OK;
}

/* ------------------------------------------------------------------------
 * Statuses and labels
 * ------------------------------------------------------------------------ */

static const pa_rc_status_t s_statuses[] = {
    {"met", "达标", "met", "✓", "#2e9d57", "#ffffff"},
    {"at_risk", "有风险", "at risk", "!", "#f2a93b", "#2b2100"},
    {"missed", "未达标", "missed", "✗", "#d64541", "#ffffff"},
    {"incomplete", "数据不全", "incomplete", "◐", "#e8e1f5", "#3b2a5c"},
    {"not_due", "未到期", "not due", "–", "#f0f0f0", "#555555"},
    {"no_baseline", "无基期", "no baseline", "?", "#a9cde9", "#15324a"},
    {"no_data", "无数据", "no data", "·", "#cfd3d8", "#3a3f45"},
};
#define S_NSTATUS (sizeof s_statuses / sizeof s_statuses[0])
static const pa_rc_status_t s_unknown = {"", "未知", "unknown", "~", "#f4f4f4", "#333333"};

const pa_rc_status_t *pa_rc_statuses(size_t *n)
{
    *n = S_NSTATUS;
    return s_statuses;
}

const pa_rc_status_t *pa_rc_status(const char *status)
{
    if (!status)
        return &s_statuses[S_NSTATUS - 1];
    for (size_t i = 0; i < S_NSTATUS; i++)
        if (strcmp(status, s_statuses[i].status) == 0)
            return &s_statuses[i];
    return &s_unknown;
}

size_t pa_rc_status_index(const pa_rc_status_t *st)
{
    return st == &s_unknown ? S_NSTATUS : (size_t)(st - s_statuses);
}

static pa_lang_t s_lang(const pa_render_opts_t *o)
{
    return o ? o->lang : PA_LANG_BOTH;
}

const char *pa_rc_label(const pa_render_opts_t *o, const char *zh, const char *en, char *buf,
                        size_t size)
{
    switch (s_lang(o)) {
    case PA_LANG_ZH:
        snprintf(buf, size, "%s", zh);
        break;
    case PA_LANG_EN:
        snprintf(buf, size, "%s", en);
        break;
    default:
        snprintf(buf, size, "%s %s", zh, en);
        break;
    }
    return buf;
}

void pa_rc_coverage(const pa_render_opts_t *o, const pa_scorecard_row_t *r, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!r)
        return;
    char zh[96] = "";
    size_t n = 0;
    if (r->units_expected >= 0)
        n += (size_t)snprintf(zh + n, sizeof zh - n, "%d/%d%s", r->units_covered, r->units_expected,
                              strcmp(r->unit, "towns") == 0 ? "镇街" : "区县");
    if (r->months_expected >= 0 && r->months_covered >= 0 && n < sizeof zh)
        snprintf(zh + n, sizeof zh - n, "%s%d/%d月", n ? "，" : "", r->months_covered,
                 r->months_expected);
    if (!*zh && !*r->coverage)
        return;
    /* Figures read the same in both languages: "both" takes the English. */
    snprintf(buf, size, "%s", s_lang(o) == PA_LANG_ZH ? zh : r->coverage);
}

void pa_rc_status_text(const pa_render_opts_t *o, const pa_scorecard_row_t *r, bool symbol,
                       char *buf, size_t size)
{
    const pa_rc_status_t *st = pa_rc_status(r ? r->status : NULL);
    char words[96];
    pa_rc_label(o, st->zh, st->en, words, sizeof words);
    bool incomplete = r && strcmp(r->status, "incomplete") == 0;
    char so_far[128] = "", cov[160] = "";
    if (incomplete && *r->verdict) {
        const pa_rc_status_t *v = pa_rc_status(r->verdict);
        char zh[64], en[64], l[128];
        snprintf(zh, sizeof zh, "（暂%s）", v->zh);
        snprintf(en, sizeof en, "(%s so far)", v->en);
        (void)l;
        snprintf(so_far, sizeof so_far, " %s", s_lang(o) == PA_LANG_ZH ? zh : en);
    }
    if (incomplete)
        pa_rc_coverage(o, r, cov, sizeof cov);
    snprintf(buf, size, "%s%s%s%s%s", symbol ? st->symbol : "", symbol ? " " : "", words, so_far,
             *cov ? " " : "");
    size_t len = strlen(buf);
    if (*cov && len < size)
        snprintf(buf + len, size - len, "%s", cov);
}

/* ------------------------------------------------------------------------
 * Numbers
 * ------------------------------------------------------------------------ */

void pa_rc_num_exact(double v, char *buf, size_t size)
{
    if (!isfinite(v)) {
        snprintf(buf, size, "%s", "");
        return;
    }
    bool plain = fabs(v) >= 1e-4 && fabs(v) < 1e15;
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v && (!plain || !strchr(buf, 'e')))
            return;
    }
}

#define S_MAX_DIGITS 6

static double s_round(double v, int digits)
{
    double p = pow(10.0, digits);
    return round(v * p) / p;
}

/* Digits after the point for v shown against th (both already scaled):
 * at least min, more while the rounded figures compare otherwise than the
 * true ones (99.95 against 100 must not read 100.0). */
static int s_digits(double v, double th, int min)
{
    if (!isfinite(th) || v == th)
        return min;
    for (int d = min; d < S_MAX_DIGITS; d++) {
        double a = s_round(v, d), b = s_round(th, d);
        if ((v < th && a < b) || (v > th && a > b))
            return d;
    }
    return S_MAX_DIGITS;
}

/* Digits of a margin: at least min, more until a non-zero margin shows. */
static int s_margin_digits(double m, int min)
{
    int d = min;
    while (m != 0 && s_round(m, d) == 0 && d < S_MAX_DIGITS)
        d++;
    return d;
}

static bool s_is_count_whole(double v)
{
    return v == floor(v) && fabs(v) < 1e15;
}

/* How a row's figures read: percent (ratios and shares) or count. */
static bool s_percent(const pa_scorecard_target_t *t, const pa_scorecard_row_t *r)
{
    return (r && r->share) || (t && strcmp(t->display, "percent") == 0) ||
           (t && !*t->display && strcmp(t->kind, "ratio") == 0);
}

/* The digits the row's figures are shown with, so that actual, threshold
 * and margin agree. */
static int s_row_digits(const pa_scorecard_target_t *t, const pa_scorecard_row_t *r)
{
    if (!r || !isfinite(r->actual))
        return s_percent(t, r) ? 1 : 0;
    if (s_percent(t, r))
        return s_digits(r->actual * 100.0, r->threshold * 100.0, 1);
    int min = s_is_count_whole(r->actual) ? 0 : 1;
    /* Counts are whole; only a fractional one near its threshold needs more. */
    return min ? s_digits(r->actual, r->threshold, 1) : 0;
}

static const char *s_share_unit(const pa_scorecard_target_t *t, bool zh)
{
    bool towns = t && strcmp(t->share_unit, "towns") == 0;
    return zh ? (towns ? "镇街" : "区县") : (towns ? "towns" : "districts");
}

void pa_rc_actual(const pa_scorecard_target_t *t, const pa_scorecard_row_t *r, char *buf,
                  size_t size)
{
    if (!r || !isfinite(r->actual)) {
        snprintf(buf, size, "%s", "—");
        return;
    }
    if (r->share && isfinite(r->share_total)) {
        snprintf(buf, size, "%.0f/%.0f %s", round(r->actual * r->share_total), r->share_total,
                 s_share_unit(t, false));
        return;
    }
    if (t && strcmp(t->display, "of_threshold") == 0 && isfinite(r->threshold)) {
        snprintf(buf, size, "%.0f/%.0f %s", r->actual, r->threshold, *t->unit_en ? t->unit_en : "");
        return;
    }
    pa_rc_value(t, r, r->actual, buf, size);
}

void pa_rc_value(const pa_scorecard_target_t *t, const pa_scorecard_row_t *r, double v, char *buf,
                 size_t size)
{
    if (!isfinite(v)) {
        snprintf(buf, size, "%s", "—");
        return;
    }
    double th = r ? r->threshold : NAN;
    if (s_percent(t, r))
        snprintf(buf, size, "%.*f%%", s_digits(v * 100.0, th * 100.0, 1), v * 100.0);
    else
        snprintf(buf, size, "%.*f", s_is_count_whole(v) ? 0 : s_digits(v, th, 1), v);
}

void pa_rc_margin(const pa_scorecard_target_t *t, const pa_scorecard_row_t *r, char *buf,
                  size_t size)
{
    if (!r || !isfinite(r->margin)) {
        snprintf(buf, size, "%s", "—");
        return;
    }
    bool pct = s_percent(t, r);
    double m = pct ? r->margin * 100.0 : r->margin;
    int min = pct ? s_row_digits(t, r) : (s_is_count_whole(m) ? 0 : 1);
    int d = s_margin_digits(m, min);
    double shown = s_round(m, d);
    if (shown == 0)
        shown = 0; /* no "-0" */
    snprintf(buf, size, pct ? "%+.*f pp" : "%+.*f", d, shown);
}

/* ------------------------------------------------------------------------
 * Text
 * ------------------------------------------------------------------------ */

void pa_rc_clean(const char *s, bool keep_newline, char *buf, size_t size)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    for (; *p && n + 1 < size; p++) {
        bool c0 = *p < 0x20 && !(keep_newline && *p == '\n');
        /* C1 controls are U+0080..U+009F: 0xC2 0x80..0x9F in UTF-8. */
        bool c1 = *p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F;
        if (c0 || *p == 0x7F || c1) {
            unsigned v = c1 ? p[1] : *p;
            if (n + 5 >= size)
                break;
            n += (size_t)snprintf(buf + n, size - n, "\\x%02X", v);
            if (c1)
                p++;
            continue;
        }
        buf[n++] = (char)*p;
    }
    buf[n] = '\0';
}

void pa_rc_period_zh(const pa_period_t *p, char *buf, size_t size)
{
    int y, m, d;
    pa_date_to_ymd(p->start, &y, &m, &d);
    switch (p->type) {
    case PA_PERIOD_YEAR:
        snprintf(buf, size, "%d年", y);
        break;
    case PA_PERIOD_QUARTER:
        snprintf(buf, size, "%d年第%d季度", y, (m - 1) / 3 + 1);
        break;
    case PA_PERIOD_MONTH:
        snprintf(buf, size, "%d年%d月", y, m);
        break;
    default: {
        char id[PA_PERIOD_SIZE];
        pa_period_format(p, id);
        snprintf(buf, size, "%s", id);
    } break;
    }
}

void pa_rc_period_range(const pa_period_t *p, char *buf, size_t size)
{
    char id[PA_PERIOD_SIZE], first[PA_DATE_SIZE], last[PA_DATE_SIZE];
    pa_period_format(p, id);
    pa_date_format(p->start, first);
    pa_date_format(pa_period_end(p) - 1, last);
    snprintf(buf, size, "%s (%s, %s – %s)", id, pa_period_type_name(p->type), first, last);
}

void pa_rc_area_coverage(const pa_scorecard_t *sc, const pa_render_opts_t *o, const char *area,
                         char *buf, size_t size)
{
    int dist_c = -1, dist_e = -1, town_c = -1, town_e = -1, mon_c = -1, mon_e = -1;
    for (size_t i = 0; i < pa_scorecard_row_count(sc); i++) {
        const pa_scorecard_row_t *r = pa_scorecard_row(sc, i);
        if (strcmp(r->area_code, area) != 0)
            continue;
        bool towns = strcmp(r->unit, "towns") == 0;
        if (r->units_expected >= 0 && towns && r->units_expected >= town_e) {
            town_c = r->units_covered > town_c ? r->units_covered : town_c;
            town_e = r->units_expected;
        } else if (r->units_expected >= 0 && !towns && r->units_expected >= dist_e) {
            dist_c = r->units_covered > dist_c ? r->units_covered : dist_c;
            dist_e = r->units_expected;
        }
        if (r->months_expected >= 0 && r->months_covered >= 0) {
            mon_c = r->months_covered > mon_c ? r->months_covered : mon_c;
            mon_e = r->months_expected > mon_e ? r->months_expected : mon_e;
        }
    }
    char zh[160] = "", en[160] = "";
    size_t nz = 0, ne = 0;
    if (dist_e >= 0) {
        nz += (size_t)snprintf(zh + nz, sizeof zh - nz, "%d/%d区县", dist_c, dist_e);
        ne += (size_t)snprintf(en + ne, sizeof en - ne, "%d/%d districts", dist_c, dist_e);
    }
    if (town_e >= 0 && nz < sizeof zh && ne < sizeof en) {
        nz += (size_t)snprintf(zh + nz, sizeof zh - nz, "%s%d/%d镇街", nz ? "，" : "", town_c,
                               town_e);
        ne += (size_t)snprintf(en + ne, sizeof en - ne, "%s%d/%d towns", ne ? ", " : "", town_c,
                               town_e);
    }
    if (mon_e >= 0 && nz < sizeof zh && ne < sizeof en) {
        snprintf(zh + nz, sizeof zh - nz, "%s%d/%d月", nz ? "，" : "", mon_c, mon_e);
        snprintf(en + ne, sizeof en - ne, "%s%d/%d months", ne ? ", " : "", mon_c, mon_e);
    }
    if (!*en) {
        snprintf(buf, size, "%s", "—");
        return;
    }
    snprintf(buf, size, "%s", s_lang(o) == PA_LANG_ZH ? zh : en);
}

bool pa_rc_in_progress(const pa_scorecard_t *sc, const char *area)
{
    for (size_t i = 0; i < pa_scorecard_row_count(sc); i++) {
        const pa_scorecard_row_t *r = pa_scorecard_row(sc, i);
        if (r->in_progress && strcmp(r->area_code, area) == 0)
            return true;
    }
    return false;
}

int pa_rc_finish(FILE *out, pa_err_t *err)
{
    if (fflush(out) != 0 || ferror(out))
        return pa_err_set(err, PA_EIO, "could not write the report");
    return PA_OK;
}
