/* test_scorecard.c - the scorecard model and its renderers from rows built
 * in memory (no database): HTML cells, escaping and freshness, no external
 * resources, CSV read back with libcsv, JSON read back with yajl, the
 * terminal table, incomplete and not_due, the number rule (a figure short of
 * its threshold never prints equal to it), the ranking, control characters,
 * --lang, the renderer table and write errors. */
#include <criterion/criterion.h>
#include <csv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "pa_render.h"
#include "pa_scorecard.h"

#define NDIST 38
#define NTARG 11

static const char *const s_codes[NDIST] = {
    "500101", "500102", "500103", "500104", "500105", "500106", "500107", "500108",
    "500109", "500110", "500111", "500112", "500113", "500114", "500115", "500116",
    "500117", "500118", "500119", "500120", "500151", "500152", "500153", "500154",
    "500155", "500156", "500229", "500230", "500231", "500233", "500235", "500236",
    "500237", "500238", "500240", "500241", "500242", "500243"};

#define TG(a_id, a_code, a_rule, a_th, a_level, a_quote, a_zh, a_en, a_kind, a_display, a_uzh,     \
           a_uen, a_share, a_rzh, a_ren, a_trend)                                                  \
    {                                                                                              \
        .id = a_id, .indicator_code = a_code, .rule = a_rule, .threshold = a_th, .level = a_level, \
        .quote_zh = a_quote, .name_zh = a_zh, .name_en = a_en, .kind = a_kind,                     \
        .display = a_display, .unit_zh = a_uzh, .unit_en = a_uen, .share_unit = a_share,           \
        .rule_text_zh = a_rzh, .rule_text_en = a_ren, .explain_zh = "说明",                        \
        .explain_en = "explained", .trend = a_trend                                                \
    }

static const pa_scorecard_target_t s_targets[NTARG] = {
    TG("T1", "ws_deaths", "yoy_decrease", 0.05, "city", "全年生产安全死亡人数同比下降5%",
       "生产安全死亡人数", "work-safety deaths", "count", "count", "人", "deaths", "",
       "同比下降 ≥ 5%", "down ≥ 5% y/y", true),
    TG("T2", "fire_incidents", "yoy_decrease", 0.10, "city", "q", "火灾起数", "fire incidents",
       "count", "count", "起", "fires", "", "同比下降 ≥ 10%", "down ≥ 10% y/y", true),
    TG("T3", "fire_deaths", "yoy_decrease", 0.10, "city", "q", "火灾死亡人数", "fire deaths",
       "count", "count", "人", "deaths", "", "同比下降 ≥ 10%", "down ≥ 10% y/y", false),
    TG("T4", "major_accidents", "max_count", 0, "city", "q", "重特大事故", "major accidents",
       "count", "count", "起", "accidents", "", "零发生", "none", false),
    TG("T5", "vuln_rectified", "min_ratio", 1.0, "city", "q", "高危漏洞隐患通报整改率",
       "vulnerabilities", "ratio", "percent", "", "", "", "整改率 100%", "100% rectified", false),
    TG("T6", "opinion_risk_assessed", "min_ratio", 0.9, "city", "q",
       "重大决策事项网络舆情风险评估率", "opinion risk", "ratio", "percent", "", "", "",
       "不低于 90%", "≥ 90%", false),
    TG("T7", "business_digitised", "min_ratio", 0.6, "town", "q", "镇街核心业务数字化管理率",
       "digitised", "ratio", "percent", "", "", "towns", "每个镇街不低于 60%", "every town ≥ 60%",
       false),
    TG("T8", "task_completion", "min_ratio", 0.95, "city", "q", "本级任务完成率", "tasks", "ratio",
       "percent", "", "", "", "不低于 95%", "≥ 95%", true),
    TG("T9", "event_closure", "min_ratio", 0.95, "city", "q", "事件办结率", "event closure",
       "ratio", "percent", "", "", "", "不低于 95%", "≥ 95%", true),
    TG("T10", "yibiaotong_online", "all_towns", 1031, "city", "q", "\"一表通\"组件上线",
       "yibiaotong", "count", "of_threshold", "个镇街", "towns", "", "镇街全部上线",
       "all towns online", false),
    TG("R1", "industrial_zones", "max_per_district", 1, "district", "q", "产业类开发区",
       "industrial zones", "count", "count", "个", "zones", "districts", "每区县不超过 1 个",
       "≤ 1 per district", false),
};

static const char *const s_status_cycle[] = {"met", "missed", "at_risk", "no_data", "no_baseline"};

static pa_scorecard_row_t s_row(const char *target, const char *area, const char *status,
                                double actual, double threshold, double margin)
{
    pa_scorecard_row_t r = {
        .target_id = target,
        .indicator_code = "x",
        .level = strcmp(area, PA_SCORECARD_CITY) == 0 ? "city" : "district",
        .area_code = area,
        .area_name = "某区",
        .status = status,
        .actual = actual,
        .reference = NAN,
        .threshold = threshold,
        .margin = margin,
        .ytd_actual = NAN,
        .ytd_reference = NAN,
        .projection = NAN,
        .months_covered = -1,
        .months_expected = -1,
        .units_covered = -1,
        .units_expected = -1,
        .share_total = NAN,
    };
    return r;
}

/* A 2024 scorecard: the city row and every district x target, except that
 * (500102, T3) has no row and the last four districts have none at all.
 * evil puts markup, CSV metacharacters and an ESC sequence into a district
 * name and a quote. */
static pa_scorecard_t *s_build(bool evil)
{
    pa_period_t p;
    cr_assert_eq(pa_period_parse("2024", &p, NULL), PA_OK);
    pa_scorecard_t *sc = pa_scorecard_new(&p, NULL, NULL);
    cr_assert(sc);
    cr_assert_eq(pa_scorecard_set_freshness(sc, "2024-12-31", "2025-01-02 08:30 Asia/Shanghai",
                                            "2025-01-03 09:00 Asia/Shanghai", NULL),
                 PA_OK);
    for (int j = 0; j < NTARG; j++) {
        pa_scorecard_target_t t = s_targets[j];
        if (evil && j == 0)
            t.quote_zh = "</title><script>alert('x')</script> & \"q\"";
        cr_assert_eq(pa_scorecard_add_target(sc, &t, NULL), PA_OK);
    }
    for (int i = 0; i < NDIST; i++) {
        pa_scorecard_district_t d = {
            s_codes[i], i == 0 && evil ? "万州<b>区</b> & \"x\"\x1b]0;pwned\x07" : "某区", "Some"};
        cr_assert_eq(pa_scorecard_add_district(sc, &d, NULL), PA_OK);
    }
    int n = 0;
    for (int i = -1; i < NDIST - 4; i++) {
        const char *code = i < 0 ? PA_SCORECARD_CITY : s_codes[i];
        for (int j = 0; j < NTARG; j++) {
            if (i == 1 && j == 2)
                continue;
            const char *name = i < 0 ? "重庆市" : "某区";
            if (evil && i == 0)
                name = "万州<b>区</b>, \"x\"\nline2\x1b[31m";
            bool ratio = strcmp(s_targets[j].kind, "ratio") == 0;
            pa_scorecard_row_t r = s_row(s_targets[j].id, code, s_status_cycle[n % 5],
                                         ratio ? 0.9 + (n % 10) / 100.0 : (double)(n % 7),
                                         s_targets[j].threshold, n % 4 ? 0.25 : NAN);
            r.indicator_code = s_targets[j].indicator_code;
            r.area_name = name;
            r.reference = n % 3 ? NAN : (n % 2 ? 180.0 : 12.0);
            r.ytd_actual = 1.0 / 3.0;
            r.coverage = "2/38 districts, 12/12 months";
            r.unit = "districts";
            r.units_covered = 2;
            r.units_expected = 38;
            r.months_covered = 12;
            r.months_expected = 12;
            if (strcmp(r.status, "no_data") == 0)
                r.actual = NAN;
            cr_assert_eq(pa_scorecard_add_row(sc, &r, NULL), PA_OK);
            n++;
        }
    }
    for (int y = 2023; y <= 2024; y++)
        for (int m = 1; m <= 12; m++) {
            pa_scorecard_point_t pt = {"ws_deaths", PA_SCORECARD_CITY, pa_date_from_ymd(y, m, 1),
                                       30.0 + m};
            cr_assert_eq(pa_scorecard_add_point(sc, &pt, NULL), PA_OK);
            pa_scorecard_point_t pr = {"event_closure", PA_SCORECARD_CITY,
                                       pa_date_from_ymd(y, m, 1), 0.94 + m / 1000.0};
            cr_assert_eq(pa_scorecard_add_point(sc, &pr, NULL), PA_OK);
        }
    return sc;
}

static char *s_render_o(const pa_scorecard_t *sc, pa_render_fn fn, pa_lang_t lang, size_t *len_out)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert(f);
    pa_err_t err;
    pa_err_clear(&err);
    pa_render_opts_t o = {lang};
    int rc = fn(sc, &o, f, &err);
    cr_assert_eq(rc, PA_OK, "render failed: %s", err.msg);
    cr_assert_eq(fclose(f), 0);
    if (len_out)
        *len_out = len;
    return buf;
}

static char *s_render(const pa_scorecard_t *sc, pa_render_fn fn, size_t *len_out)
{
    return s_render_o(sc, fn, PA_LANG_BOTH, len_out);
}

static int s_count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

Test(scorecard, renderers_are_found_by_name)
{
    const char *names[] = {"table", "csv", "json", "html"};
    pa_render_fn fns[] = {pa_render_table, pa_render_csv, pa_render_json, pa_render_html};
    for (size_t i = 0; i < 4; i++) {
        const pa_renderer_t *r = pa_render_find(names[i]);
        cr_assert(r, "%s", names[i]);
        cr_assert_eq(r->render, fns[i]);
    }
    cr_assert_null(pa_render_find("xml"));
    cr_assert_null(pa_render_find(NULL));
    pa_lang_t lang;
    cr_assert_eq(pa_render_lang_parse("zh", &lang, NULL), PA_OK);
    cr_assert_eq(lang, PA_LANG_ZH);
    cr_assert_eq(pa_render_lang_parse("fr", &lang, NULL), PA_EINVAL);
}

Test(scorecard, html_has_one_cell_per_district_and_target)
{
    pa_scorecard_t *sc = s_build(false);
    char *html = s_render(sc, pa_render_html, NULL);
    cr_assert_eq(s_count(html, "<rect class=\"cell\""), NDIST * NTARG);
    for (int i = 0; i < NDIST; i++)
        for (int j = 0; j < NTARG; j++) {
            char needle[128];
            snprintf(needle, sizeof needle, "data-area=\"%s\" data-target=\"%s\" ", s_codes[i],
                     s_targets[j].id);
            cr_assert_eq(s_count(html, needle), 1, "%s", needle);
        }
    /* The pair without a row is shown as no data. */
    cr_assert(strstr(html, "data-area=\"500102\" data-target=\"T3\" data-status=\"no_data\""));
    /* Legend: one swatch per status, with its symbol. */
    cr_assert_eq(s_count(html, "<rect class=\"legend\""), 7);
    const char *labels[] = {"达标 <tspan fill=\"#5a6372\">met</tspan>",
                            "数据不全 <tspan fill=\"#5a6372\">incomplete</tspan>",
                            "未到期 <tspan fill=\"#5a6372\">not due</tspan>"};
    for (size_t k = 0; k < 3; k++)
        cr_assert(strstr(html, labels[k]), "legend lacks %s", labels[k]);
    /* Freshness in the title and the subtitle; the coverage line. */
    cr_assert(strstr(html, "<title>平安重庆目标考核 2024年 截至 2024-12-31 Safe Chongqing"),
              "%.600s", html);
    cr_assert(strstr(html, "<b class=\"as-of\">2024-12-31</b>"));
    cr_assert(strstr(html, "<span class=\"judged-at\">2025-01-02 08:30 Asia/Shanghai</span>"));
    cr_assert(strstr(html, "<span class=\"generated-at\">2025-01-03 09:00 Asia/Shanghai</span>"));
    cr_assert(strstr(html, "<p class=\"coverage\">覆盖 <span class=\"en\">coverage</span>: 2/38 "
                           "districts, 12/12 months</p>"),
              "%.2000s", html);
    cr_assert_null(strstr(html, "pingan.v_"), "no view names for officials");
    /* Trend charts of the targets marked trend, with target lines. */
    cr_assert_eq(s_count(html, "class=\"trend\""), 4);
    cr_assert(strstr(html, "data-indicator=\"ws_deaths\""));
    cr_assert(strstr(html, "class=\"goal\""));
    cr_assert_null(strstr(html, ">62.5<"), "count axes in whole numbers");
    cr_assert(strstr(html, "@media print"));
    cr_assert(strstr(html, "</html>\n"));
    free(html);
    pa_scorecard_destroy(&sc);
    cr_assert_null(sc);
}

Test(scorecard, html_escapes_text_attributes_and_control_characters)
{
    pa_scorecard_t *sc = s_build(true);
    char *html = s_render(sc, pa_render_html, NULL);
    cr_assert_null(strstr(html, "<script"), "markup from the data must be escaped");
    cr_assert_null(strstr(html, "<b>区"));
    cr_assert(strstr(html, "&lt;/title&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; "
                           "&quot;q&quot;"));
    cr_assert(strstr(html, "万州&lt;b&gt;区&lt;/b&gt; &amp; &quot;x&quot;\\x1B]0;pwned\\x07"));
    cr_assert_null(strchr(html, '\x1b'));
    cr_assert_eq(s_count(html, "</title>"), s_count(html, "<title>"));
    free(html);
    pa_scorecard_destroy(&sc);
}

Test(scorecard, html_loads_nothing_from_outside)
{
    pa_scorecard_t *sc = s_build(false);
    char *html = s_render(sc, pa_render_html, NULL);
    const char *ns = "http://www.w3.org/2000/svg";
    for (char *p = strstr(html, ns); p; p = strstr(p, ns))
        memset(p, '_', strlen(ns));
    cr_assert_null(strstr(html, "http"), "an external URL in the page");
    cr_assert_null(strstr(html, "src="));
    cr_assert_null(strstr(html, "href"));
    cr_assert_null(strstr(html, "url("));
    cr_assert_null(strstr(html, "@import"));
    cr_assert_null(strstr(html, "<link"));
    cr_assert_null(strstr(html, "<script"));
    free(html);
    pa_scorecard_destroy(&sc);
}

Test(scorecard, heat_map_is_ranked_worst_first_no_data_last)
{
    pa_period_t p;
    pa_period_parse("2024-03", &p, NULL);
    pa_scorecard_t *sc = pa_scorecard_new(&p, NULL, NULL);
    for (int j = 0; j < 2; j++)
        pa_scorecard_add_target(sc, &s_targets[j], NULL);
    const char *codes[] = {"500101", "500102", "500103", "500104", "500105"};
    for (int i = 0; i < 5; i++) {
        pa_scorecard_district_t d = {codes[i], "某区", "Some"};
        pa_scorecard_add_district(sc, &d, NULL);
    }
    /* 500101 met+met (0), 500102 missed+missed (6), 500103 nothing, 500104
     * incomplete missed + at_risk (4), 500105 no_data + not_due. */
    const char *st[5][2] = {{"met", "met"},
                            {"missed", "missed"},
                            {NULL, NULL},
                            {"incomplete", "at_risk"},
                            {"no_data", "not_due"}};
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 2; j++) {
            if (!st[i][j])
                continue;
            pa_scorecard_row_t r = s_row(s_targets[j].id, codes[i], st[i][j], 1, 0, 0);
            r.verdict = strcmp(st[i][j], "incomplete") == 0 ? "missed" : "";
            pa_scorecard_add_row(sc, &r, NULL);
        }
    size_t order[5];
    pa_scorecard_rank(sc, order);
    const char *want[] = {"500102", "500104", "500101", "500103", "500105"};
    for (int i = 0; i < 5; i++)
        cr_assert_str_eq(pa_scorecard_district_at(sc, order[i])->code, want[i], "rank %d", i + 1);
    char *html = s_render(sc, pa_render_html, NULL);
    const char *a = strstr(html, "data-area=\"500102\" data-rank=\"1\"");
    const char *b = strstr(html, "data-area=\"500105\" data-rank=\"5\"");
    cr_assert(a && b && a < b, "%s", html);
    free(html);
    char *text = s_render(sc, pa_render_table, NULL);
    a = strstr(text, "\n500102 ");
    b = strstr(text, "\n500101 ");
    const char *c = strstr(text, "\n500105 ");
    cr_assert(a && b && c && a < b && b < c, "%s", text);
    free(text);
    pa_scorecard_destroy(&sc);
}

typedef struct {
    int records;
    int fields;      /* in the current record */
    int bad_records; /* records without 28 fields */
    char name_500101[128];
    char field8[128]; /* area_name of the current record */
} s_csv_read_t;

static void s_csv_field(void *data, size_t len, void *ctx)
{
    s_csv_read_t *r = ctx;
    if (r->fields == 7)
        snprintf(r->field8, sizeof r->field8, "%.*s", (int)len, (const char *)data);
    if (r->fields == 6 && len == 6 && memcmp(data, "500101", 6) == 0)
        snprintf(r->name_500101, sizeof r->name_500101, "pending");
    r->fields++;
}

static void s_csv_record(int c, void *ctx)
{
    (void)c;
    s_csv_read_t *r = ctx;
    if (r->fields != 28)
        r->bad_records++;
    if (strcmp(r->name_500101, "pending") == 0)
        snprintf(r->name_500101, sizeof r->name_500101, "%s", r->field8);
    r->records++;
    r->fields = 0;
}

Test(scorecard, csv_reads_back_with_libcsv)
{
    pa_scorecard_t *sc = s_build(true);
    size_t len = 0;
    char *text = s_render(sc, pa_render_csv, &len);
    const char *header = "period,period_type,period_start,target_id,indicator_code,level,"
                         "area_code,area_name,status,actual,reference,threshold,margin,"
                         "ytd_actual,ytd_reference,projection,verdict,reference_source,coverage,"
                         "months_covered,months_expected,units_covered,units_expected,unit,"
                         "in_progress,ytd_end,as_of,judged_at\n";
    cr_assert(len > strlen(header) && strncmp(text, header, strlen(header)) == 0, "%.300s", text);
    struct csv_parser p;
    cr_assert_eq(csv_init(&p, CSV_STRICT | CSV_STRICT_FINI), 0);
    s_csv_read_t r;
    memset(&r, 0, sizeof r);
    cr_assert_eq(csv_parse(&p, text, len, s_csv_field, s_csv_record, &r), len, "libcsv: %s",
                 csv_strerror(csv_error(&p)));
    cr_assert_eq(csv_fini(&p, s_csv_field, s_csv_record, &r), 0);
    csv_free(&p);
    cr_assert_eq(r.bad_records, 0, "every record has 28 fields");
    cr_assert_eq((size_t)r.records, 1 + pa_scorecard_row_count(sc));
    cr_assert_str_eq(r.name_500101, "万州<b>区</b>, \"x\"\nline2\\x1B[31m",
                     "comma, quotes and newline survive; ESC is written out");
    cr_assert(strstr(text, ",180,"), "%.2000s", text);
    cr_assert_null(strstr(text, "e+"), "%.2000s", text);
    cr_assert(strstr(text,
                     "\n\"2024\",\"year\",\"2024-01-01\",\"T1\",\"ws_deaths\",\"city\","
                     "\"500000\",\"重庆市\",\"met\",0,12,0.05,,0.3333333333333333,,,\"\",\"\","
                     "\"2/38 districts, 12/12 months\",12,12,2,38,\"districts\",false,,"
                     "\"2024-12-31\",\"2025-01-02 08:30 Asia/Shanghai\"\n"),
              "%.600s", text);
    free(text);
    pa_scorecard_destroy(&sc);
}

Test(scorecard, json_reads_back_with_yajl)
{
    pa_scorecard_t *sc = s_build(true);
    char *text = s_render(sc, pa_render_json, NULL);
    char errbuf[256];
    yajl_val root = yajl_tree_parse(text, errbuf, sizeof errbuf);
    cr_assert(root, "invalid JSON: %s", errbuf);
    const char *p_id[] = {"period", "id", NULL};
    const char *p_asof[] = {"as_of", NULL};
    const char *p_judged[] = {"judged_at", NULL};
    const char *p_rows[] = {"rows", NULL};
    const char *p_targets[] = {"targets", NULL};
    const char *p_trend[] = {"trend", NULL};
    const char *p_dist[] = {"district", NULL};
    cr_assert_str_eq(YAJL_GET_STRING(yajl_tree_get(root, p_id, yajl_t_string)), "2024");
    cr_assert_str_eq(YAJL_GET_STRING(yajl_tree_get(root, p_asof, yajl_t_string)), "2024-12-31");
    cr_assert_str_eq(YAJL_GET_STRING(yajl_tree_get(root, p_judged, yajl_t_string)),
                     "2025-01-02 08:30 Asia/Shanghai");
    cr_assert(YAJL_IS_NULL(yajl_tree_get(root, p_dist, yajl_t_any)));
    yajl_val rows = yajl_tree_get(root, p_rows, yajl_t_array);
    cr_assert(rows);
    cr_assert_eq(YAJL_GET_ARRAY(rows)->len, pa_scorecard_row_count(sc));
    cr_assert_eq(YAJL_GET_ARRAY(yajl_tree_get(root, p_targets, yajl_t_array))->len, NTARG);
    cr_assert_eq(YAJL_GET_ARRAY(yajl_tree_get(root, p_trend, yajl_t_array))->len, 48);
    yajl_val first = YAJL_GET_ARRAY(rows)->values[0];
    const char *k_ref[] = {"reference", NULL};
    const char *k_margin[] = {"margin", NULL};
    const char *k_ytd[] = {"ytd_actual", NULL};
    const char *k_cov[] = {"coverage", NULL};
    cr_assert_eq(YAJL_GET_DOUBLE(yajl_tree_get(first, k_ref, yajl_t_number)), 12.0);
    cr_assert(YAJL_IS_NULL(yajl_tree_get(first, k_margin, yajl_t_any)), "NaN is null");
    cr_assert_eq(YAJL_GET_DOUBLE(yajl_tree_get(first, k_ytd, yajl_t_number)), 1.0 / 3.0);
    cr_assert_str_eq(YAJL_GET_STRING(yajl_tree_get(first, k_cov, yajl_t_string)),
                     "2/38 districts, 12/12 months");
    yajl_val r500101 = YAJL_GET_ARRAY(rows)->values[NTARG];
    const char *k_name[] = {"area_name", NULL};
    cr_assert_str_eq(YAJL_GET_STRING(yajl_tree_get(r500101, k_name, yajl_t_string)),
                     "万州<b>区</b>, \"x\"\nline2\x1b[31m");
    cr_assert_null(strchr(text, '\x1b'), "yajl writes ESC as \\u001b");
    long total = 0;
    const char *statuses[] = {"met",     "at_risk",     "missed", "incomplete",
                              "not_due", "no_baseline", "no_data"};
    for (size_t k = 0; k < 7; k++) {
        const char *path[] = {"summary", statuses[k], NULL};
        yajl_val v = yajl_tree_get(root, path, yajl_t_number);
        cr_assert(v, "summary.%s", statuses[k]);
        total += YAJL_GET_INTEGER(v);
    }
    cr_assert_eq((size_t)total, pa_scorecard_row_count(sc));
    yajl_tree_free(root);
    free(text);
    pa_scorecard_destroy(&sc);
}

Test(scorecard, json_refuses_invalid_utf8)
{
    pa_period_t p;
    pa_period_parse("2024-03", &p, NULL);
    pa_scorecard_t *sc = pa_scorecard_new(&p, "500101", NULL);
    pa_scorecard_row_t r = s_row("T1", "500101", "met", 1, 0.05, NAN);
    r.area_name = "bad \xff name";
    cr_assert_eq(pa_scorecard_add_row(sc, &r, NULL), PA_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    pa_err_t err;
    pa_err_clear(&err);
    cr_assert_eq(pa_render_json(sc, NULL, f, &err), PA_EINVAL);
    cr_assert(strstr(err.msg, "UTF-8"), "%s", err.msg);
    fclose(f);
    free(buf);
    pa_scorecard_destroy(&sc);
}

Test(scorecard, table_header_city_block_matrix_and_totals)
{
    pa_scorecard_t *sc = s_build(true);
    char *text = s_render(sc, pa_render_table, NULL);
    cr_assert(strstr(text, "平安重庆 2024年 目标考核 · Safe Chongqing target scorecard, 2024 "
                           "(year, 2024-01-01 – 2024-12-31)\n"
                           "截至 as of 2024-12-31 · 数据更新于 figures up to date at 2025-01-02 "
                           "08:30 Asia/Shanghai · 覆盖 coverage 2/38 districts, 12/12 months\n"),
              "%.600s", text);
    cr_assert(strstr(text, "全市 City: 重庆市 (500000)"));
    cr_assert(strstr(text, "T1   生产安全死亡人数"), "%s", text);
    cr_assert(strstr(text, "down ≥ 5% y/y"));
    cr_assert(strstr(text, "✓ 达标 met\n"), "%s", text);
    cr_assert(strstr(text, "+25.0 pp"), "%s", text);
    cr_assert_null(strchr(text, '\x1b'), "no ESC reaches the terminal");
    cr_assert(strstr(text, "万州<b>区</b> & \"x\"\\x1B]0;pwned\\x07"), "%s", text);
    /* Totals over the district cells; missing pairs count as no data. */
    int counts[5] = {0}, n = 0;
    for (int i = -1; i < NDIST - 4; i++)
        for (int j = 0; j < NTARG; j++) {
            if (i == 1 && j == 2)
                continue;
            if (i >= 0)
                counts[n % 5]++;
            n++;
        }
    counts[3] += 1 + 4 * NTARG;
    char totals[200];
    snprintf(totals, sizeof totals,
             "合计 total: met %d, at risk %d, missed %d, incomplete 0, not due 0, no baseline %d, "
             "no data %d\n",
             counts[0], counts[2], counts[1], counts[4], counts[3]);
    cr_assert(strstr(text, totals), "want %s in\n%s", totals, text);
    free(text);
    pa_scorecard_destroy(&sc);
}

Test(scorecard, lang_en_and_zh_label_only_their_language)
{
    pa_scorecard_t *sc = s_build(false);
    char *en = s_render_o(sc, pa_render_table, PA_LANG_EN, NULL);
    cr_assert(strstr(en, "Safe Chongqing target scorecard, 2024"), "%s", en);
    cr_assert_null(strstr(en, "目标考核"));
    cr_assert_null(strstr(en, "达标"));
    free(en);
    char *zh = s_render_o(sc, pa_render_table, PA_LANG_ZH, NULL);
    cr_assert_null(strstr(zh, "Safe Chongqing"));
    cr_assert(strstr(zh, "达标"));
    free(zh);
    char *html = s_render_o(sc, pa_render_html, PA_LANG_EN, NULL);
    cr_assert(strstr(html, "<html lang=\"en\">"));
    cr_assert_null(strstr(html, "<span class=\"en\">"));
    free(html);
    pa_scorecard_destroy(&sc);
}

/* One city row rendered through the table. */
static char *s_one(const pa_scorecard_row_t *r, int target)
{
    pa_period_t p;
    pa_period_parse("2024", &p, NULL);
    pa_scorecard_t *sc = pa_scorecard_new(&p, "500101", NULL);
    pa_scorecard_add_target(sc, &s_targets[target], NULL);
    pa_scorecard_district_t d = {"500101", "万州区", "Wanzhou"};
    pa_scorecard_add_district(sc, &d, NULL);
    pa_scorecard_add_row(sc, r, NULL);
    char *text = s_render(sc, pa_render_table, NULL);
    pa_scorecard_destroy(&sc);
    return text;
}

Test(scorecard, a_figure_short_of_its_threshold_never_prints_equal_to_it)
{
    /* T5: 99.95% against 100%, margin with binary noise. */
    pa_scorecard_row_t r = s_row("T5", "500101", "missed", 0.9995, 1.0, -0.0004999999999999449);
    char *text = s_one(&r, 4);
    cr_assert(strstr(text, "99.95%"), "%s", text);
    cr_assert(strstr(text, "-0.05 pp"), "%s", text);
    cr_assert_null(strstr(text, "100.0%"), "%s", text);
    cr_assert_null(strstr(text, "-0.0 pp"), "%s", text);
    cr_assert_null(strstr(text, "49999"), "%s", text);
    free(text);
    /* 94.996% against 95%. */
    r = s_row("T9", "500101", "missed", 0.94996, 0.95, -0.00004);
    text = s_one(&r, 8);
    cr_assert(strstr(text, "94.996%"), "%s", text);
    cr_assert(strstr(text, "-0.004 pp"), "%s", text);
    free(text);
    /* A clear miss keeps one decimal; a met figure at the line shows +0.0. */
    r = s_row("T9", "500101", "met", 0.95, 0.95, 0);
    text = s_one(&r, 8);
    cr_assert(strstr(text, "95.0%") && strstr(text, "+0.0 pp"), "%s", text);
    free(text);
    /* A projection of 13.52 against a limit of 13.5 is not 13.5. */
    r = s_row("T3", "500101", "at_risk", 10, 13.5, -0.02);
    r.in_progress = true;
    r.projection = 13.52;
    text = s_one(&r, 2);
    cr_assert(strstr(text, "13.52"), "%s", text);
    cr_assert(strstr(text, "-0.02"), "%s", text);
    free(text);
}

Test(scorecard, incomplete_shows_verdict_and_coverage_and_not_due_is_named)
{
    pa_scorecard_row_t r = s_row("T1", "500101", "incomplete", 12, 391.4, 379.4);
    r.verdict = "missed";
    r.coverage = "12/38 districts, 11/12 months";
    r.unit = "districts";
    r.units_covered = 12;
    r.units_expected = 38;
    r.months_covered = 11;
    r.months_expected = 12;
    char *text = s_one(&r, 0);
    cr_assert(strstr(text, "◐ 数据不全 incomplete (missed so far) 12/38 districts, 11/12 months"),
              "%s", text);
    free(text);
    r = s_row("T1", "500101", "not_due", NAN, NAN, NAN);
    text = s_one(&r, 0);
    cr_assert(strstr(text, "– 未到期 not due"), "%s", text);
    free(text);
}

Test(scorecard, shares_and_counts_of_towns_read_as_towns)
{
    pa_scorecard_row_t r = s_row("T7", "500101", "missed", 164.0 / 1031.0, 1, -0.84);
    r.share = true;
    r.share_total = 1031;
    char *text = s_one(&r, 6);
    cr_assert(strstr(text, "164/1031 towns"), "%s", text);
    free(text);
    r = s_row("T10", "500101", "missed", 173, 1031, -858);
    text = s_one(&r, 9);
    cr_assert(strstr(text, "173/1031 towns"), "%s", text);
    free(text);
}

Test(scorecard, running_period_shows_ytd_last_year_and_projection)
{
    pa_scorecard_row_t r = s_row("T1", "500101", "at_risk", 12, 391.4, -3.6);
    r.in_progress = true;
    r.ytd_actual = 12;
    r.ytd_reference = 30;
    r.projection = 395;
    r.reference = 412;
    r.ytd_end = pa_date_from_ymd(2024, 3, 1);
    char *text = s_one(&r, 0);
    cr_assert(strstr(text, "至今 ytd") && strstr(text, "上年同期 last yr") &&
                  strstr(text, "预计 proj."),
              "%s", text);
    cr_assert(strstr(text, "   30 ") && strstr(text, "  395  "), "%s", text);
    free(text);
}

Test(scorecard, table_of_one_district)
{
    pa_period_t p;
    pa_period_parse("2024-Q1", &p, NULL);
    pa_scorecard_t *sc = pa_scorecard_new(&p, "500101", NULL);
    for (int j = 0; j < NTARG; j++)
        pa_scorecard_add_target(sc, &s_targets[j], NULL);
    pa_scorecard_district_t d = {"500101", "万州区", "Wanzhou"};
    pa_scorecard_add_district(sc, &d, NULL);
    pa_scorecard_row_t r = s_row("T9", "500101", "missed", 0.9, 0.95, -0.05);
    pa_scorecard_add_row(sc, &r, NULL);
    char *text = s_render(sc, pa_render_table, NULL);
    cr_assert(strstr(text, "2024年第1季度"), "%s", text);
    cr_assert(strstr(text, "万州区 Wanzhou (500101)"), "%s", text);
    cr_assert(strstr(text, "90.0%"), "%s", text);
    cr_assert(strstr(text, "-5.0 pp  ✗ 未达标 missed"), "%s", text);
    cr_assert(strstr(text, "· 无数据 no data"), "targets without a row");
    cr_assert_null(strstr(text, "区县 × 目标"), "no matrix for one district");
    free(text);
    /* The district page's heat map is its towns' (columns: the targets
     * judged for towns), and it says its rank among the districts. */
    pa_scorecard_district_t t1 = {"500101001", "高笋塘街道", "Gaosuntang"};
    pa_scorecard_district_t t2 = {"500101002", "太白街道", "Taibai"};
    cr_assert_eq(pa_scorecard_add_town(sc, &t1, NULL), PA_OK);
    cr_assert_eq(pa_scorecard_add_town(sc, &t2, NULL), PA_OK);
    pa_scorecard_row_t tr = s_row("T9", "500101002", "missed", 0.5, 0.95, -0.45);
    tr.level = "town";
    cr_assert_eq(pa_scorecard_add_town_row(sc, &tr, NULL), PA_OK);
    pa_scorecard_set_rank(sc, 3, 38);
    char *html = s_render(sc, pa_render_html, NULL);
    cr_assert_eq(s_count(html, "<rect class=\"cell\""), 2, "two towns x one target");
    cr_assert(strstr(html, "data-area=\"500101002\" data-rank=\"1\""), "the missing town first");
    cr_assert(strstr(html, "town × target heat map"));
    cr_assert(strstr(html, "data-rank=\"3\" data-of=\"38\""));
    cr_assert(strstr(html, "rank 3 of 38 districts"));
    cr_assert(strstr(html, "万州区 (500101)"), "%.800s", html);
    cr_assert(strstr(html, "区县目标"));
    free(html);
    size_t order[2];
    pa_scorecard_rank_towns(sc, order);
    cr_assert(order[0] == 1 && order[1] == 0, "the town with a miss ranks first");
    int of = 0;
    cr_assert_eq(pa_scorecard_rank_of(sc, &of), 3);
    cr_assert_eq(of, 38);
    pa_scorecard_destroy(&sc);
}

Test(scorecard, write_errors_are_reported)
{
    FILE *full = fopen("/dev/full", "w");
    cr_assert(full, "/dev/full is needed for this test");
    pa_scorecard_t *sc = s_build(false);
    pa_render_fn fns[] = {pa_render_table, pa_render_csv, pa_render_json, pa_render_html};
    for (size_t i = 0; i < 4; i++) {
        pa_err_t err;
        pa_err_clear(&err);
        cr_assert_eq(fns[i](sc, NULL, full, &err), PA_EIO, "renderer %zu", i);
        clearerr(full);
    }
    fclose(full);
    pa_scorecard_destroy(&sc);
    pa_scorecard_destroy(&sc); /* *NULL is fine */
    pa_scorecard_destroy(NULL);
}
