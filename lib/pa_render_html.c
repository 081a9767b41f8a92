/* pa_render_html.c - the scorecard as one self-contained HTML page: title
 * with period, as-of day and generation time, the coverage line, a table of
 * the page's targets (actual, reference and its source, threshold, margin,
 * status; for a running period year to date, last year's same span, the
 * projection and a sentence on the rule), the district x target heat map
 * ranked worst first, trend lines of the page's area and the target key. A
 * print stylesheet fits the city month on two A4 pages; every status is a
 * symbol as well as a colour. No scripts, no external resources. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pa_render_common.h"

#define S_SVG_NS "http://www.w3.org/2000/svg"
#define S_FONT                                                                                     \
    "'Noto Sans CJK SC','Source Han Sans SC','WenQuanYi Micro Hei','PingFang SC',"                 \
    "'Microsoft YaHei','Liberation Sans',Arial,sans-serif"

/* Text and attribute values: control characters as \xNN, then the five
 * characters that matter in HTML. */
static void s_esc(FILE *out, const char *s)
{
    char clean[2048];
    pa_rc_clean(s, false, clean, sizeof clean);
    for (const char *p = clean; *p; p++) {
        switch (*p) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        default:
            fputc(*p, out);
        }
    }
}

typedef enum { S_HTML, S_SVG, S_PLAIN } s_mode_t;

/* A label in the chosen language; with both, the English set apart: in a
 * span (HTML), a tspan (SVG text) or after a space (plain, e.g. <title>). */
static void s_label_m(FILE *out, const pa_render_opts_t *o, const char *zh, const char *en,
                      s_mode_t mode)
{
    pa_lang_t lang = o ? o->lang : PA_LANG_BOTH;
    static const char *const open[] = {" <span class=\"en\">", " <tspan fill=\"#5a6372\">", " "};
    static const char *const close[] = {"</span>", "</tspan>", ""};
    if (lang != PA_LANG_EN)
        s_esc(out, zh);
    if (lang == PA_LANG_BOTH)
        fputs(open[mode], out);
    if (lang != PA_LANG_ZH)
        s_esc(out, en);
    if (lang == PA_LANG_BOTH)
        fputs(close[mode], out);
}

static void s_label(FILE *out, const pa_render_opts_t *o, const char *zh, const char *en)
{
    s_label_m(out, o, zh, en, S_HTML);
}

static void s_svg_label(FILE *out, const pa_render_opts_t *o, const char *zh, const char *en)
{
    s_label_m(out, o, zh, en, S_SVG);
}

static const char s_css[] =
    "body{margin:0;background:#f5f6f8;color:#1d2430;font-family:" S_FONT ";font-size:14px;"
    "line-height:1.4}\n"
    "main{max-width:1180px;margin:0 auto;padding:20px 28px 32px}\n"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:22px 0 8px;"
    "border-bottom:2px solid #c9ced6;padding-bottom:3px}\n"
    ".sub,.coverage{color:#3f4756;margin:2px 0}.en{color:#5a6372;font-weight:normal}\n"
    ".panel{background:#fff;border-radius:6px;padding:8px;box-shadow:0 1px 2px "
    "rgba(0,0,0,.08);overflow-x:auto}\n"
    "table.targets,table.key{border-collapse:collapse;width:100%;background:#fff;font-size:13px}\n"
    "table.targets th,table.targets td,table.key th,table.key td{border-bottom:1px solid #e1e4e8;"
    "padding:4px 6px;text-align:left;vertical-align:top}\n"
    "table.targets td.n{text-align:right;white-space:nowrap}\n"
    "table.targets th,table.key th{background:#eef0f3}\n"
    ".st{display:inline-block;padding:0 6px;border-radius:3px;white-space:nowrap}\n"
    ".why{font-size:12px;color:#3f4756}\n"
    ".trends{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:10px}\n"
    ".trends svg,.heatmap{width:100%;height:auto;display:block}\n"
    "footer{margin-top:20px;color:#5a6372;font-size:12px}\n"
    "@page{size:A4;margin:10mm}\n"
    "@media print{body{background:#fff;font-size:9.5px}main{max-width:none;padding:0}"
    "h1{font-size:15px}h2{font-size:12px;margin:8px 0 4px}.panel{box-shadow:none;padding:0}"
    "table.targets,table.key{font-size:9px}table.targets th,table.targets td{padding:1px 4px}"
    ".why{font-size:8.5px}.trends{grid-template-columns:repeat(4,minmax(0,1fr));gap:4px}"
    ".heatmap{max-height:175mm;width:auto;max-width:100%}"
    "section.key{display:none}section.heat{break-before:page}"
    ".st,rect{-webkit-print-color-adjust:exact;print-color-adjust:exact}footer{margin-top:6px}}\n";

static void s_head(const pa_scorecard_t *sc, const pa_render_opts_t *o, FILE *out)
{
    char zh[64], range[96];
    pa_rc_period_zh(pa_scorecard_period(sc), zh, sizeof zh);
    pa_rc_period_range(pa_scorecard_period(sc), range, sizeof range);
    const char *as_of = pa_scorecard_as_of(sc);
    const char *district = pa_scorecard_district(sc);
    const pa_scorecard_district_t *one = district ? pa_scorecard_district_at(sc, 0) : NULL;
    pa_lang_t lang = o ? o->lang : PA_LANG_BOTH;
    fprintf(out,
            "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
            lang == PA_LANG_EN ? "en" : "zh-CN");
    if (one) {
        s_esc(out, lang == PA_LANG_EN ? one->name_en : one->name_zh);
        fputs(" ", out);
    }
    char l[256];
    snprintf(l, sizeof l, "平安重庆目标考核 %s 截至 %s", zh, *as_of ? as_of : "—");
    char e[256];
    snprintf(e, sizeof e, "Safe Chongqing scorecard %s, as of %s", range, *as_of ? as_of : "—");
    s_esc(out, pa_rc_label(o, l, e, (char[512]){0}, 512));
    fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n<h1>", s_css);
    if (one) {
        s_esc(out, lang == PA_LANG_EN ? one->name_en : one->name_zh);
        fputs(" (", out);
        s_esc(out, district);
        fputs(") ", out);
    }
    snprintf(l, sizeof l, "平安重庆目标考核 %s", zh);
    s_label(out, o, l, "Safe Chongqing target scorecard");
    fputs("</h1>\n<p class=\"sub\">", out);
    s_esc(out, range);
    fputs(" · ", out);
    s_label(out, o, "截至", "as of");
    fputs(" <b class=\"as-of\">", out);
    s_esc(out, *as_of ? as_of : "—");
    fputs("</b> · ", out);
    s_label(out, o, "数据更新于", "figures up to date at");
    fputs(" <span class=\"judged-at\">", out);
    s_esc(out, *pa_scorecard_judged_at(sc) ? pa_scorecard_judged_at(sc) : "—");
    fputs("</span> · ", out);
    s_label(out, o, "生成于", "generated");
    fputs(" <span class=\"generated-at\">", out);
    s_esc(out, *pa_scorecard_generated_at(sc) ? pa_scorecard_generated_at(sc) : "—");
    fputs("</span></p>\n<p class=\"coverage\">", out);
    char cov[256];
    pa_rc_area_coverage(sc, o, district ? district : PA_SCORECARD_CITY, cov, sizeof cov);
    s_label(out, o, "覆盖", "coverage");
    fputs(": ", out);
    s_esc(out, cov);
    fputs("</p>\n", out);
    int of = 0, rank = pa_scorecard_rank_of(sc, &of);
    if (district && rank > 0) {
        char rz[128], re[128];
        snprintf(rz, sizeof rz, "全市排名：第 %d 名，共 %d 个区县（最差在前，与全市热力图同序）",
                 rank, of);
        snprintf(re, sizeof re, "rank %d of %d districts (worst first, as in the city's heat map)",
                 rank, of);
        fprintf(out, "<p class=\"rank\" data-rank=\"%d\" data-of=\"%d\">", rank, of);
        s_label(out, o, rz, re);
        fputs("</p>\n", out);
    }
}

/* "reports" / "baseline" / "mixed" in words. */
static void s_source(FILE *out, const pa_render_opts_t *o, const char *source)
{
    if (!*source)
        return;
    fputs("<br><span class=\"why\">", out);
    if (strcmp(source, "baseline") == 0)
        s_label(out, o, "官方基数", "official baseline");
    else if (strcmp(source, "reports") == 0)
        s_label(out, o, "上报数据", "from reports");
    else
        s_label(out, o, "基数与上报混合", "baseline and reports");
    fputs("</span>", out);
}

/* One plain sentence on a running period's row: where it stands now. */
static void s_running_sentence(FILE *out, const pa_render_opts_t *o, const pa_scorecard_target_t *t,
                               const pa_scorecard_row_t *r)
{
    char end[PA_DATE_SIZE] = "", proj[48], thr[48], zh[320], en[320];
    if (r->ytd_end)
        pa_date_format(r->ytd_end - 1, end);
    pa_rc_value(t, r, r->projection, proj, sizeof proj);
    pa_rc_value(t, r, r->threshold, thr, sizeof thr);
    const char *v = *r->verdict ? r->verdict : r->status;
    bool ok = strcmp(v, "met") == 0;
    if (!isfinite(r->projection)) {
        snprintf(zh, sizeof zh, "截至%s的数据，按现有进度%s。", end, ok ? "可达标" : "尚未达标");
        snprintf(en, sizeof en, "On figures to %s the target is %s.", end,
                 ok ? "on course" : "not on course");
    } else {
        snprintf(zh, sizeof zh, "按截至%s的进度，预计期末为%s，目标界限为%s，%s。", end, proj, thr,
                 ok                         ? "可达标"
                 : strcmp(v, "missed") == 0 ? "已未达标"
                                            : "有未达标风险");
        snprintf(en, sizeof en,
                 "At the pace to %s the period ends near %s against a limit of %s: %s.", end, proj,
                 thr, ok ? "on course" : "at risk of missing");
    }
    fputs("<div class=\"why running\">", out);
    s_label(out, o, zh, en);
    fputs("</div>", out);
}

static void s_targets_table(const pa_scorecard_t *sc, const pa_render_opts_t *o, FILE *out,
                            const char *area)
{
    bool running = pa_rc_in_progress(sc, area);
    fputs("<table class=\"targets\"><thead><tr><th>ID</th><th>", out);
    s_label(out, o, "指标与目标", "indicator and target");
    fputs("</th><th>", out);
    s_label(out, o, "实际", "actual");
    fputs("</th><th>", out);
    s_label(out, o, "参照", "reference");
    fputs("</th><th>", out);
    s_label(out, o, "界限", "threshold");
    fputs("</th><th>", out);
    s_label(out, o, "差额", "margin");
    if (running) {
        fputs("</th><th>", out);
        s_label(out, o, "至今", "year to date");
        fputs("</th><th>", out);
        s_label(out, o, "上年同期", "last year, same span");
        fputs("</th><th>", out);
        s_label(out, o, "预计", "projection");
    }
    fputs("</th><th>", out);
    s_label(out, o, "状态", "status");
    fputs("</th></tr></thead><tbody>\n", out);
    for (size_t i = 0; i < pa_scorecard_target_count(sc); i++) {
        const pa_scorecard_target_t *t = pa_scorecard_target(sc, i);
        const pa_scorecard_row_t *r = pa_scorecard_find_row(sc, area, t->id);
        const pa_rc_status_t *st = pa_rc_status(r ? r->status : NULL);
        char actual[64], ref[48], thr[48], margin[48], status[320];
        pa_rc_actual(t, r, actual, sizeof actual);
        pa_rc_value(t, r, r ? r->reference : NAN, ref, sizeof ref);
        pa_rc_value(t, r, r ? r->threshold : NAN, thr, sizeof thr);
        if (r && (r->share || strcmp(t->display, "of_threshold") == 0))
            snprintf(thr, sizeof thr, "%s", "—");
        pa_rc_margin(t, r, margin, sizeof margin);
        pa_rc_status_text(o, r, true, status, sizeof status);
        fprintf(out, "<tr class=\"target\" data-target=\"");
        s_esc(out, t->id);
        fputs("\" data-status=\"", out);
        s_esc(out, r ? r->status : "no_data");
        fputs("\"><td><b>", out);
        s_esc(out, t->id);
        fputs("</b></td><td>", out);
        s_label(out, o, t->name_zh, t->name_en);
        fputs("<br><span class=\"why\">", out);
        s_label(out, o, t->rule_text_zh, t->rule_text_en);
        fputs("</span>", out);
        if (r && r->in_progress)
            s_running_sentence(out, o, t, r);
        fputs("</td><td class=\"n\"><b>", out);
        s_esc(out, actual);
        fputs("</b></td><td class=\"n\">", out);
        s_esc(out, ref);
        if (r)
            s_source(out, o, r->reference_source);
        fputs("</td><td class=\"n\">", out);
        s_esc(out, thr);
        fputs("</td><td class=\"n\">", out);
        s_esc(out, margin);
        if (running) {
            char ytd[48], last[48], proj[48];
            pa_rc_value(t, r, r ? r->ytd_actual : NAN, ytd, sizeof ytd);
            pa_rc_value(t, r, r ? r->ytd_reference : NAN, last, sizeof last);
            pa_rc_value(t, r, r ? r->projection : NAN, proj, sizeof proj);
            fputs("</td><td class=\"n ytd\">", out);
            s_esc(out, ytd);
            fputs("</td><td class=\"n last-year\">", out);
            s_esc(out, last);
            fputs("</td><td class=\"n projection\">", out);
            s_esc(out, proj);
        }
        fprintf(out, "</td><td><span class=\"st\" style=\"background:%s;color:%s\">", st->fill,
                st->ink);
        s_esc(out, status);
        fputs("</span></td></tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
}

/* The heat map: one <rect class="cell"> per district and target, rows in
 * the ranking of pa_scorecard_rank, districts without data shorter. */
/* The rows of a heat map: the districts of the city page, or the towns of a
 * district page, with their lookups. */
typedef struct {
    size_t n;
    const pa_scorecard_district_t *(*at)(const pa_scorecard_t *, size_t);
    const pa_scorecard_row_t *(*find)(const pa_scorecard_t *, const char *, const char *);
    void (*rank)(const pa_scorecard_t *, size_t *);
    const char *title_zh, *title_en;
    bool coverage; /* a coverage column (districts) */
} s_areas_t;

/* Whether any area has a row for target t (a town map shows only those). */
static bool s_column(const pa_scorecard_t *sc, const s_areas_t *a, const pa_scorecard_target_t *t)
{
    for (size_t k = 0; k < a->n; k++)
        if (a->find(sc, a->at(sc, k)->code, t->id))
            return true;
    return false;
}

static int s_heatmap(const pa_scorecard_t *sc, const pa_render_opts_t *o, FILE *out,
                     const s_areas_t *a, pa_err_t *err)
{
    /* Town names are longer than district names; a town map has no coverage. */
    const int label_w = a->coverage ? 190 : 270, head_h = 120, cell_w = 62, cell_h = 21;
    const int empty_h = 13, gap = 2, cov_w = a->coverage ? 230 : 20;
    size_t nd = a->n, nt_all = pa_scorecard_target_count(sc), nt = 0;
    size_t *order = calloc(nd ? nd : 1, sizeof *order);
    bool *has = calloc(nd ? nd : 1, sizeof *has);
    const pa_scorecard_target_t **cols = calloc(nt_all ? nt_all : 1, sizeof *cols);
    if (!order || !has || !cols) {
        free(order);
        free(has);
        free(cols);
        return pa_err_set(err, PA_ENOMEM, "out of memory");
    }
    for (size_t j = 0; j < nt_all; j++)
        if (a->coverage || s_column(sc, a, pa_scorecard_target(sc, j)))
            cols[nt++] = pa_scorecard_target(sc, j);
    a->rank(sc, order);
    int height = head_h + 40;
    for (size_t k = 0; k < nd; k++) {
        const pa_scorecard_district_t *d = a->at(sc, order[k]);
        for (size_t j = 0; j < nt && !has[k]; j++) {
            const pa_scorecard_row_t *r = a->find(sc, d->code, cols[j]->id);
            has[k] = r && strcmp(r->status, "no_data") != 0 && strcmp(r->status, "not_due") != 0;
        }
        height += has[k] ? cell_h : empty_h;
    }
    size_t nstatus;
    pa_rc_statuses(&nstatus);
    const int legend_step = o && o->lang != PA_LANG_BOTH ? 110 : 150;
    int width = label_w + (int)nt * cell_w + cov_w;
    /* Room for the legend and the ranking note however few the columns. */
    if (width < 16 + (int)nstatus * legend_step)
        width = 16 + (int)nstatus * legend_step;
    fprintf(out,
            "<svg xmlns=\"" S_SVG_NS "\" class=\"heatmap\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" role=\"img\" font-family=\"%s\">\n<title>",
            width, height, width, height, S_FONT);
    s_label_m(out, o, a->title_zh, a->title_en, S_PLAIN);
    fputs("</title>\n<text x=\"8\" y=\"18\" font-size=\"12\" fill=\"#5a6372\">", out);
    s_svg_label(out, o, "排序：最差在前，无数据在后；符号与颜色均表示状态",
                "ranked worst first, no data last; symbol and colour both give the status");
    fputs("</text>\n", out);
    for (size_t j = 0; j < nt; j++) {
        const pa_scorecard_target_t *t = cols[j];
        int cx = label_w + (int)j * cell_w + cell_w / 2;
        fprintf(out,
                "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#3a4250\" "
                "transform=\"rotate(-35 %d %d)\">",
                cx, head_h - 24, cx, head_h - 24);
        s_esc(out, o && o->lang == PA_LANG_EN ? t->name_en : t->name_zh);
        fprintf(out,
                "</text>\n<text x=\"%d\" y=\"%d\" font-size=\"12\" font-weight=\"bold\" "
                "text-anchor=\"middle\">",
                cx, head_h - 6);
        s_esc(out, t->id);
        fputs("</text>\n", out);
    }
    if (a->coverage) {
        fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\" font-weight=\"bold\">",
                label_w + (int)nt * cell_w + 8, head_h - 6);
        s_svg_label(out, o, "覆盖", "coverage");
        fputs("</text>\n", out);
    }
    int y = head_h;
    for (size_t k = 0; k < nd; k++) {
        const pa_scorecard_district_t *d = a->at(sc, order[k]);
        int h = has[k] ? cell_h : empty_h;
        fprintf(out, "<g class=\"row\" data-area=\"");
        s_esc(out, d->code);
        fprintf(out, "\" data-rank=\"%zu\">", k + 1);
        if (k % 2 == 0)
            fprintf(out, "<rect x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#eef0f3\"/>", y,
                    label_w - 4, h);
        fprintf(out, "<text x=\"8\" y=\"%d\" font-size=\"%d\"%s>%zu. ", y + h - (has[k] ? 6 : 3),
                has[k] ? 12 : 9, has[k] ? "" : " fill=\"#8a919c\"", k + 1);
        s_esc(out, d->code);
        fputs(" ", out);
        s_esc(out, o && o->lang == PA_LANG_EN ? d->name_en : d->name_zh);
        fputs("</text>\n", out);
        for (size_t j = 0; j < nt; j++) {
            const pa_scorecard_target_t *t = cols[j];
            const pa_scorecard_row_t *r = a->find(sc, d->code, t->id);
            const pa_rc_status_t *st = pa_rc_status(r ? r->status : NULL);
            int x = label_w + (int)j * cell_w;
            char actual[64], status[320];
            pa_rc_actual(t, r, actual, sizeof actual);
            pa_rc_status_text(o, r, false, status, sizeof status);
            fputs("<g><rect class=\"cell\" data-area=\"", out);
            s_esc(out, d->code);
            fputs("\" data-target=\"", out);
            s_esc(out, t->id);
            fputs("\" data-status=\"", out);
            s_esc(out, r ? r->status : "no_data");
            fprintf(out, "\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"2\" fill=\"%s\"/>",
                    x + 1, y + 1, cell_w - gap, h - gap, st->fill);
            if (has[k]) {
                fprintf(out,
                        "<text x=\"%d\" y=\"%d\" font-size=\"10.5\" text-anchor=\"middle\" "
                        "fill=\"%s\">%s ",
                        x + cell_w / 2, y + 14, st->ink, st->symbol);
                s_esc(out, r && isfinite(r->actual) && !strchr(actual, '/') ? actual : "");
                fputs("</text>", out);
            }
            fputs("<title>", out);
            s_esc(out, d->name_zh);
            fputs(" ", out);
            s_esc(out, d->code);
            fputs(" · ", out);
            s_esc(out, t->id);
            fputs(": ", out);
            s_esc(out, status);
            if (r) {
                fputs(" (", out);
                s_esc(out, actual);
                fputs(")", out);
            }
            fputs("</title></g>\n", out);
        }
        if (a->coverage) {
            char cov[256];
            pa_rc_area_coverage(sc, o, d->code, cov, sizeof cov);
            fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"%d\" fill=\"#3f4756\">",
                    label_w + (int)nt * cell_w + 8, y + h - (has[k] ? 6 : 3), has[k] ? 11 : 9);
            s_esc(out, cov);
            fputs("</text>", out);
        }
        fputs("</g>\n", out);
        y += h;
    }
    /* Legend: swatch, symbol and words. */
    size_t ns;
    const pa_rc_status_t *st = pa_rc_statuses(&ns);
    int lx = 8, ly = y + 12;
    for (size_t k = 0; k < ns; k++) {
        fprintf(out,
                "<rect class=\"legend\" x=\"%d\" y=\"%d\" width=\"18\" height=\"14\" rx=\"3\" "
                "fill=\"%s\"/><text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" "
                "fill=\"%s\">%s</text><text x=\"%d\" y=\"%d\" font-size=\"11\">",
                lx, ly, st[k].fill, lx + 9, ly + 11, st[k].ink, st[k].symbol, lx + 22, ly + 11);
        s_svg_label(out, o, st[k].zh, st[k].en);
        fputs("</text>\n", out);
        lx += legend_step;
    }
    fputs("</svg>\n", out);
    free(order);
    free(has);
    free(cols);
    return PA_OK;
}

/* Values of one indicator by month (index 0..11) of year; NAN when absent. */
static int s_trend_year(const pa_scorecard_t *sc, const char *code, int year, double v[12])
{
    int n = 0;
    for (int m = 0; m < 12; m++)
        v[m] = NAN;
    for (size_t i = 0; i < pa_scorecard_point_count(sc); i++) {
        const pa_scorecard_point_t *p = pa_scorecard_point(sc, i);
        int y, m, d;
        pa_date_to_ymd(p->period_start, &y, &m, &d);
        if (y == year && d == 1 && strcmp(p->indicator_code, code) == 0 && isfinite(p->value)) {
            v[m - 1] = p->value;
            n++;
        }
    }
    return n;
}

typedef struct {
    double left, top, width, height, lo, hi;
} s_geo_t;

static double s_tx(const s_geo_t *g, int month_index)
{
    return g->left + g->width * month_index / 11.0;
}

static double s_ty(const s_geo_t *g, double v)
{
    return g->top + g->height * (1.0 - (v - g->lo) / (g->hi - g->lo));
}

/* A line through the months that have a value, and a dot on each (so a
 * series of one point is drawn too). */
static void s_series(FILE *out, const s_geo_t *g, const double v[12], const char *cls,
                     const char *style, const char *dot)
{
    bool pen = false;
    fprintf(out, "<path class=\"%s\" fill=\"none\" %s d=\"", cls, style);
    for (int m = 0; m < 12; m++) {
        if (!isfinite(v[m])) {
            pen = false;
            continue;
        }
        fprintf(out, "%s%.1f %.1f ", pen ? "L" : "M", s_tx(g, m), s_ty(g, v[m]));
        pen = true;
    }
    fputs("\"/>\n", out);
    for (int m = 0; m < 12; m++)
        if (isfinite(v[m]))
            fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.6\" fill=\"%s\"/>\n", s_tx(g, m),
                    s_ty(g, v[m]), dot);
}

static void s_trend(const pa_scorecard_t *sc, const pa_render_opts_t *o, FILE *out,
                    const pa_scorecard_target_t *t)
{
    const int w = 540, h = 230, left = 52, right = 16, top = 44, bottom = 26;
    int year, month, day;
    pa_date_to_ymd(pa_scorecard_period(sc)->start, &year, &month, &day);
    bool ratio = strcmp(t->kind, "ratio") == 0;
    double cur[12], prev[12], goal[12];
    int ncur = s_trend_year(sc, t->indicator_code, year, cur);
    int nprev = s_trend_year(sc, t->indicator_code, year - 1, prev);
    /* The target as a line: a rate's threshold, or last year's month less
     * the required decrease. */
    bool line = false;
    for (int m = 0; m < 12; m++) {
        goal[m] = NAN;
        if (strcmp(t->rule, "min_ratio") == 0)
            goal[m] = t->threshold;
        else if (strcmp(t->rule, "yoy_decrease") == 0 && isfinite(prev[m]))
            goal[m] = prev[m] * (1.0 - t->threshold);
        line = line || isfinite(goal[m]);
    }
    double hi = 0;
    for (int m = 0; m < 12; m++) {
        hi = isfinite(cur[m]) && cur[m] > hi ? cur[m] : hi;
        hi = isfinite(prev[m]) && prev[m] > hi ? prev[m] : hi;
    }
    /* Rates 0-100 %; counts in whole-number steps. */
    double step = 1;
    if (ratio) {
        hi = 1.0;
        step = 0.25;
    } else {
        double raw = hi / 4.0;
        double p = raw > 1 ? pow(10.0, floor(log10(raw))) : 1;
        static const double mult[] = {1, 2, 5, 10};
        step = 10 * p;
        for (size_t i = 0; i < 4; i++)
            if (mult[i] * p >= raw) {
                step = mult[i] * p;
                break;
            }
        hi = step * 4;
    }
    s_geo_t g = {left, top, w - left - right, h - top - bottom, 0, hi};
    fputs("<svg xmlns=\"" S_SVG_NS "\" class=\"trend\" data-indicator=\"", out);
    s_esc(out, t->indicator_code);
    fprintf(out,
            "\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
            "font-family=\"%s\">\n<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" "
            "fill=\"#ffffff\"/>\n<text x=\"8\" y=\"18\" font-size=\"14\" font-weight=\"bold\">",
            w, h, w, h, S_FONT, w, h);
    s_esc(out, t->id);
    fputs(" ", out);
    s_esc(out, o && o->lang == PA_LANG_EN ? t->name_en : t->name_zh);
    fputs("</text>\n<text x=\"8\" y=\"34\" font-size=\"11\" fill=\"#5a6372\">", out);
    s_svg_label(out, o, "月度", "monthly");
    fputs("</text>\n", out);
    for (int k = 0; k <= 4; k++) {
        double v = step * k, y = s_ty(&g, v);
        char label[32];
        if (ratio)
            snprintf(label, sizeof label, "%.0f%%", v * 100.0);
        else
            snprintf(label, sizeof label, "%.0f", v);
        fprintf(out,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e3e6ea\"/>"
                "<text class=\"tick\" x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\" "
                "fill=\"#5a6372\">%s</text>\n",
                left, y, w - right, y, left - 6, y + 3.5, label);
    }
    for (int m = 0; m < 12; m++)
        fprintf(out,
                "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\" "
                "fill=\"#5a6372\">%d</text>\n",
                s_tx(&g, m), h - bottom + 14, m + 1);
    if (line)
        s_series(out, &g, goal, "goal",
                 "stroke=\"#d64541\" stroke-width=\"1.2\" "
                 "stroke-dasharray=\"5 3\"",
                 "none");
    if (ncur == 0 && nprev == 0) {
        fprintf(out,
                "<text x=\"%d\" y=\"%d\" font-size=\"13\" text-anchor=\"middle\" "
                "fill=\"#8a919c\">",
                left + (w - left - right) / 2, top + (h - top - bottom) / 2);
        s_svg_label(out, o, "无数据", "no data");
        fputs("</text>\n", out);
    }
    s_series(out, &g, prev, "prev",
             "stroke=\"#8a939e\" stroke-width=\"1.5\" "
             "stroke-dasharray=\"4 3\"",
             "#8a939e");
    s_series(out, &g, cur, "cur", "stroke=\"#1f5fa8\" stroke-width=\"2.2\"", "#1f5fa8");
    fprintf(out,
            "<line x1=\"%d\" y1=\"10\" x2=\"%d\" y2=\"10\" stroke=\"#1f5fa8\" "
            "stroke-width=\"2.2\"/><text x=\"%d\" y=\"14\" font-size=\"10\">%d</text>\n"
            "<line x1=\"%d\" y1=\"24\" x2=\"%d\" y2=\"24\" stroke=\"#8a939e\" stroke-width=\"1.5\" "
            "stroke-dasharray=\"4 3\"/><text x=\"%d\" y=\"28\" font-size=\"10\">%d</text>\n",
            w - 150, w - 130, w - 126, year, w - 150, w - 130, w - 126, year - 1);
    if (line) {
        fprintf(out,
                "<line x1=\"%d\" y1=\"38\" x2=\"%d\" y2=\"38\" stroke=\"#d64541\" "
                "stroke-dasharray=\"5 3\"/><text x=\"%d\" y=\"42\" font-size=\"10\">",
                w - 150, w - 130, w - 126);
        s_svg_label(out, o, "目标", "target");
        fputs("</text>\n", out);
    }
    fputs("</svg>\n", out);
}

static void s_key(const pa_scorecard_t *sc, const pa_render_opts_t *o, FILE *out)
{
    fputs("<table class=\"key\"><thead><tr><th>ID</th><th>", out);
    s_label(out, o, "目标", "target");
    fputs("</th><th>", out);
    s_label(out, o, "说明", "how it is judged");
    fputs("</th><th>", out);
    s_label(out, o, "原文", "source");
    fputs("</th></tr></thead><tbody>\n", out);
    for (size_t i = 0; i < pa_scorecard_target_count(sc); i++) {
        const pa_scorecard_target_t *t = pa_scorecard_target(sc, i);
        fputs("<tr><td><b>", out);
        s_esc(out, t->id);
        fputs("</b></td><td>", out);
        s_label(out, o, t->rule_text_zh, t->rule_text_en);
        fputs("</td><td>", out);
        s_label(out, o, t->explain_zh, t->explain_en);
        fputs("</td><td>", out);
        s_esc(out, t->quote_zh);
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
}

int pa_render_html(const pa_scorecard_t *sc, const pa_render_opts_t *o, FILE *out, pa_err_t *err)
{
    const char *district = pa_scorecard_district(sc);
    const char *area = district ? district : PA_SCORECARD_CITY;
    s_head(sc, o, out);
    fputs("<section class=\"targets\"><h2>", out);
    if (district)
        s_label(out, o, "区县目标", "District targets");
    else
        s_label(out, o, "全市目标", "City targets");
    fputs("</h2>\n", out);
    s_targets_table(sc, o, out, area);
    fputs("</section>\n<section class=\"trend-charts\"><h2>", out);
    s_label(out, o, district ? "本区县趋势（本年与上年）" : "全市趋势（本年与上年）",
            district ? "The district's trends, this year and last"
                     : "City trends, this year and last");
    fputs("</h2>\n<div class=\"trends\">\n", out);
    for (size_t i = 0; i < pa_scorecard_target_count(sc); i++)
        if (pa_scorecard_target(sc, i)->trend) {
            fputs("<div class=\"panel\">\n", out);
            s_trend(sc, o, out, pa_scorecard_target(sc, i));
            fputs("</div>\n", out);
        }
    const s_areas_t districts = {pa_scorecard_district_count(sc),
                                 pa_scorecard_district_at,
                                 pa_scorecard_find_row,
                                 pa_scorecard_rank,
                                 "区县 × 目标 热力图",
                                 "district × target heat map",
                                 true};
    const s_areas_t towns = {pa_scorecard_town_count(sc),
                             pa_scorecard_town_at,
                             pa_scorecard_find_town_row,
                             pa_scorecard_rank_towns,
                             "镇街 × 目标 热力图",
                             "town × target heat map",
                             false};
    fputs("</div></section>\n<section class=\"heat\"><h2>", out);
    if (district)
        s_label(out, o, "本区县镇街 × 目标", "The district's towns × target");
    else
        s_label(out, o, "区县 × 目标", "District × target");
    fputs("</h2>\n<div class=\"panel\">\n", out);
    int rc = s_heatmap(sc, o, out, district ? &towns : &districts, err);
    if (rc != PA_OK)
        return rc;
    fputs("</div></section>\n<section class=\"key\"><h2>", out);
    s_label(out, o, "目标说明", "The targets");
    fputs("</h2>\n", out);
    s_key(sc, o, out);
    fputs("</section>\n<footer>", out);
    s_label(out, o, "比率按分子之和除以分母之和计算；低于界限的数字不会显示为等于界限。",
            "Rates are sum(numerator) / sum(denominator); a figure short of its threshold "
            "never prints equal to it.");
    fputs(" pingan-report</footer>\n</main>\n</body>\n</html>\n", out);
    return pa_rc_finish(out, err);
}
