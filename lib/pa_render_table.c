/* pa_render_table.c - the scorecard as aligned text for a terminal: a header
 * with the as-of day, when the figures were last brought up to date and the
 * coverage, a block of the city's (or the district's) targets and the
 * district x target matrix ranked worst first. Every text from the data is
 * stripped of control characters; CJK characters count two columns. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pa_render_common.h"

/* Columns a UTF-8 string takes in a terminal: East Asian wide and
 * full-width characters take two. */
static int s_width(const char *s)
{
    int w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned cp;
        int n;
        if (*p < 0x80) {
            cp = *p;
            n = 1;
        } else if ((*p & 0xE0) == 0xC0) {
            cp = *p & 0x1F;
            n = 2;
        } else if ((*p & 0xF0) == 0xE0) {
            cp = *p & 0x0F;
            n = 3;
        } else {
            cp = *p & 0x07;
            n = 4;
        }
        for (int i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80) {
                n = i;
                break;
            }
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        p += n;
        bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                    (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                    (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                    (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
        w += wide ? 2 : 1;
    }
    return w;
}

/* Cuts s (UTF-8, in place) to at most width - 1 columns plus "…". */
static void s_cut(char *s, size_t size, int width)
{
    if (width <= 1 || s_width(s) <= width - 1)
        return;
    size_t i = 0;
    char one[8];
    int w = 0;
    while (s[i]) {
        size_t n = 1;
        while ((s[i + n] & 0xC0) == 0x80)
            n++;
        memcpy(one, s + i, n);
        one[n] = '\0';
        if (w + s_width(one) > width - 2)
            break;
        w += s_width(one);
        i += n;
    }
    if (i + 4 <= size)
        memcpy(s + i, "…", 4);
}

/* Prints s, cleaned of control characters, padded (or cut) to width
 * columns; width 0 = as is. */
static void s_cell(FILE *out, const char *s, int width, bool right)
{
    char clean[512];
    pa_rc_clean(s, false, clean, sizeof clean);
    s_cut(clean, sizeof clean, width);
    int pad = width - s_width(clean);
    if (right)
        for (int i = 0; i < pad; i++)
            fputc(' ', out);
    fputs(clean, out);
    if (!right)
        for (int i = 0; i < pad; i++)
            fputc(' ', out);
}

static const char *s_l(const pa_render_opts_t *o, const char *zh, const char *en, char *buf,
                       size_t size)
{
    return pa_rc_label(o, zh, en, buf, size);
}

static void s_block(const pa_scorecard_t *sc, const pa_render_opts_t *o, FILE *out,
                    const char *area, const char *title)
{
    bool running = pa_rc_in_progress(sc, area);
    char l[96];
    s_cell(out, title, 0, false);
    fputc('\n', out);
    s_cell(out, "ID", 5, false);
    s_cell(out, s_l(o, "指标", "indicator", l, sizeof l), 32, false);
    s_cell(out, s_l(o, "目标", "target", l, sizeof l), 22, false);
    s_cell(out, s_l(o, "实际", "actual", l, sizeof l), 16, true);
    s_cell(out, s_l(o, "参照", "ref", l, sizeof l), 10, true);
    s_cell(out, s_l(o, "差额", "margin", l, sizeof l), 13, true);
    if (running) {
        s_cell(out, s_l(o, "至今", "ytd", l, sizeof l), 10, true);
        s_cell(out, s_l(o, "上年同期", "last yr", l, sizeof l), 18, true);
        s_cell(out, s_l(o, "预计", "proj.", l, sizeof l), 12, true);
    }
    fprintf(out, "  %s\n", s_l(o, "状态", "status", l, sizeof l));
    for (size_t i = 0; i < pa_scorecard_target_count(sc); i++) {
        const pa_scorecard_target_t *t = pa_scorecard_target(sc, i);
        const pa_scorecard_row_t *r = pa_scorecard_find_row(sc, area, t->id);
        char rule[128], actual[64], ref[48], margin[48], status[256];
        s_l(o, t->rule_text_zh, t->rule_text_en, rule, sizeof rule);
        if (o && o->lang == PA_LANG_BOTH)
            snprintf(rule, sizeof rule, "%s", t->rule_text_en);
        pa_rc_actual(t, r, actual, sizeof actual);
        pa_rc_value(t, r, r ? r->reference : NAN, ref, sizeof ref);
        pa_rc_margin(t, r, margin, sizeof margin);
        pa_rc_status_text(o, r, true, status, sizeof status);
        const char *name = o && o->lang == PA_LANG_EN ? t->name_en : t->name_zh;
        s_cell(out, t->id, 5, false);
        s_cell(out, *name ? name : t->indicator_code, 32, false);
        s_cell(out, rule, 22, false);
        s_cell(out, actual, 16, true);
        s_cell(out, ref, 10, true);
        s_cell(out, margin, 13, true);
        if (running) {
            char ytd[48], last[48], proj[48];
            pa_rc_value(t, r, r ? r->ytd_actual : NAN, ytd, sizeof ytd);
            pa_rc_value(t, r, r ? r->ytd_reference : NAN, last, sizeof last);
            pa_rc_value(t, r, r ? r->projection : NAN, proj, sizeof proj);
            s_cell(out, ytd, 10, true);
            s_cell(out, last, 18, true);
            s_cell(out, proj, 12, true);
        }
        fputs("  ", out);
        s_cell(out, status, 0, false);
        fputc('\n', out);
    }
}

static void s_legend(const pa_render_opts_t *o, FILE *out)
{
    size_t n;
    const pa_rc_status_t *st = pa_rc_statuses(&n);
    char l[96];
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s%s %s", i ? "   " : "", st[i].symbol,
                pa_rc_label(o, st[i].zh, st[i].en, l, sizeof l));
    fputc('\n', out);
}

static void s_header(const pa_scorecard_t *sc, const pa_render_opts_t *o, FILE *out,
                     const char *area)
{
    char zh[64], range[96], l[160], cov[256];
    pa_rc_period_zh(pa_scorecard_period(sc), zh, sizeof zh);
    pa_rc_period_range(pa_scorecard_period(sc), range, sizeof range);
    if (!o || o->lang == PA_LANG_BOTH)
        fprintf(out, "平安重庆 %s 目标考核 · Safe Chongqing target scorecard, %s\n", zh, range);
    else if (o->lang == PA_LANG_ZH)
        fprintf(out, "平安重庆 %s 目标考核 %s\n", zh, range);
    else
        fprintf(out, "Safe Chongqing target scorecard, %s\n", range);
    const char *as_of = pa_scorecard_as_of(sc), *judged = pa_scorecard_judged_at(sc);
    fprintf(out, "%s %s · ", s_l(o, "截至", "as of", l, sizeof l), *as_of ? as_of : "—");
    fprintf(out, "%s %s · ", s_l(o, "数据更新于", "figures up to date at", l, sizeof l),
            *judged ? judged : "—");
    pa_rc_area_coverage(sc, o, area, cov, sizeof cov);
    fprintf(out, "%s %s\n\n", s_l(o, "覆盖", "coverage", l, sizeof l), cov);
}

int pa_render_table(const pa_scorecard_t *sc, const pa_render_opts_t *o, FILE *out, pa_err_t *err)
{
    int rc = PA_OK;
    size_t *order = NULL;
    char title[256], l[96];
    const char *district = pa_scorecard_district(sc);
    s_header(sc, o, out, district ? district : PA_SCORECARD_CITY);

    if (district) {
        const pa_scorecard_district_t *d = pa_scorecard_district_at(sc, 0);
        snprintf(title, sizeof title, "%s %s (%s)", d ? d->name_zh : "", d ? d->name_en : "",
                 district);
        s_block(sc, o, out, district, title);
        fputc('\n', out);
        s_legend(o, out);
        rc = pa_rc_finish(out, err);
        goto cleanup;
    }

    const pa_scorecard_row_t *city = pa_scorecard_find_row(
        sc, PA_SCORECARD_CITY, pa_scorecard_target_count(sc) ? pa_scorecard_target(sc, 0)->id : "");
    snprintf(title, sizeof title, "%s: %s (%s)", s_l(o, "全市", "City", l, sizeof l),
             city ? city->area_name : "重庆市", PA_SCORECARD_CITY);
    s_block(sc, o, out, PA_SCORECARD_CITY, title);

    size_t nd = pa_scorecard_district_count(sc), nt = pa_scorecard_target_count(sc);
    order = calloc(nd ? nd : 1, sizeof *order);
    if (!order) {
        rc = pa_err_set(err, PA_ENOMEM, "out of memory");
        goto cleanup;
    }
    pa_scorecard_rank(sc, order);
    char head[96];
    s_l(o, "区县", "district", head, sizeof head);
    int name_w = s_width(head) + 2;
    for (size_t i = 0; i < nd; i++) {
        char clean[256];
        pa_rc_clean(pa_scorecard_district_at(sc, i)->name_zh, false, clean, sizeof clean);
        int w = s_width(clean) + 2;
        name_w = w > name_w ? w : name_w;
    }
    fprintf(out, "\n%s\n",
            s_l(o, "区县 × 目标（最差在前，无数据在后）",
                "district × target, worst first, no data last", title, sizeof title));
    s_cell(out, s_l(o, "代码", "code", l, sizeof l), 10, false);
    s_cell(out, head, name_w, false);
    for (size_t j = 0; j < nt; j++)
        s_cell(out, pa_scorecard_target(sc, j)->id, j + 1 < nt ? 4 : 0, false);
    fputc('\n', out);
    size_t nstatus;
    pa_rc_statuses(&nstatus);
    size_t counts[16] = {0};
    for (size_t k = 0; k < nd; k++) {
        const pa_scorecard_district_t *d = pa_scorecard_district_at(sc, order[k]);
        s_cell(out, d->code, 10, false);
        s_cell(out, o && o->lang == PA_LANG_EN ? d->name_en : d->name_zh, name_w, false);
        for (size_t j = 0; j < nt; j++) {
            const pa_scorecard_row_t *r =
                pa_scorecard_find_row(sc, d->code, pa_scorecard_target(sc, j)->id);
            const pa_rc_status_t *st = pa_rc_status(r ? r->status : NULL);
            s_cell(out, st->symbol, j + 1 < nt ? 4 : 0, false);
            counts[pa_rc_status_index(st)]++;
        }
        fputc('\n', out);
    }
    fputc('\n', out);
    s_legend(o, out);
    const pa_rc_status_t *st = pa_rc_statuses(&nstatus);
    fprintf(out, "%s:", s_l(o, "合计", "total", l, sizeof l));
    for (size_t k = 0; k < nstatus; k++)
        fprintf(out, "%s %s %zu", k ? "," : "", st[k].en, counts[k]);
    if (counts[nstatus])
        fprintf(out, ", unknown %zu", counts[nstatus]);
    fputc('\n', out);
    rc = pa_rc_finish(out, err);
cleanup:
    free(order);
    return rc;
}
