/* test_scorecard.c - rendering the scorecard from rows built in memory (no
 * database): HTML cells and escaping, no external resources, CSV read back
 * with libcsv, JSON read back with yajl, the terminal table, write errors. */
#include <criterion/criterion.h>
#include <csv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "pa_scorecard.h"

#define NDIST 38
#define NTARG 11

static const char *const s_codes[NDIST] = {
    "500101", "500102", "500103", "500104", "500105", "500106", "500107", "500108",
    "500109", "500110", "500111", "500112", "500113", "500114", "500115", "500116",
    "500117", "500118", "500119", "500120", "500151", "500152", "500153", "500154",
    "500155", "500156", "500229", "500230", "500231", "500233", "500235", "500236",
    "500237", "500238", "500240", "500241", "500242", "500243"};

static const pa_scorecard_target_t s_targets[NTARG] = {
    {"T1", "ws_deaths", "yoy_decrease", 0.05, "city", "全年生产安全死亡人数同比下降5%",
     "生产安全死亡人数", "work-safety deaths", "count"},
    {"T2", "fire_incidents", "yoy_decrease", 0.10, "city", "q", "火灾起数", "fire incidents",
     "count"},
    {"T3", "fire_deaths", "yoy_decrease", 0.10, "city", "q", "火灾死亡人数", "fire deaths",
     "count"},
    {"T4", "major_accidents", "max_count", 0, "city", "q", "重特大事故", "major accidents",
     "count"},
    {"T5", "vuln_rectified", "min_ratio", 1.0, "city", "q", "高危漏洞隐患通报整改率",
     "vulnerabilities", "ratio"},
    {"T6", "opinion_risk_assessed", "min_ratio", 0.9, "city", "q", "重大决策事项网络舆情风险评估率",
     "opinion risk", "ratio"},
    {"T7", "business_digitised", "min_ratio", 0.6, "town", "q", "镇街核心业务数字化管理率",
     "digitised", "ratio"},
    {"T8", "task_completion", "min_ratio", 0.95, "city", "q", "本级任务完成率", "tasks", "ratio"},
    {"T9", "event_closure", "min_ratio", 0.95, "city", "q", "事件办结率", "event closure", "ratio"},
    {"T10", "yibiaotong_online", "all_towns", 1031, "city", "q", "\"一表通\"组件上线", "yibiaotong",
     "count"},
    {"R1", "industrial_zones", "max_per_district", 1, "district", "q", "产业类开发区",
     "industrial zones", "count"},
};

static const char *const s_status_cycle[] = {"met", "missed", "at_risk", "no_data", "no_baseline"};

/* A 2024 scorecard: the city row and every district x target, except that
 * (500102, T3) has no row. evil puts markup and CSV metacharacters into a
 * district name and a quote. */
static pa_scorecard_t *s_build(bool evil)
{
    pa_period_t p;
    cr_assert_eq(pa_period_parse("2024", &p, NULL), PA_OK);
    pa_scorecard_t *sc = pa_scorecard_new(&p, NULL, NULL);
    cr_assert(sc);
    for (int j = 0; j < NTARG; j++) {
        pa_scorecard_target_t t = s_targets[j];
        if (evil && j == 0)
            t.quote_zh = "</title><script>alert('x')</script> & \"q\"";
        cr_assert_eq(pa_scorecard_add_target(sc, &t, NULL), PA_OK);
    }
    for (int i = 0; i < NDIST; i++) {
        pa_scorecard_district_t d = {s_codes[i], i == 0 && evil ? "万州<b>区</b> & \"x\"" : "某区",
                                     "Some"};
        cr_assert_eq(pa_scorecard_add_district(sc, &d, NULL), PA_OK);
    }
    int n = 0;
    for (int i = -1; i < NDIST; i++) {
        const char *code = i < 0 ? PA_SCORECARD_CITY : s_codes[i];
        for (int j = 0; j < NTARG; j++) {
            if (i == 1 && j == 2)
                continue;
            const char *name = i < 0 ? "重庆市" : "某区";
            if (evil && i == 0)
                name = "万州<b>区</b>, \"x\"\nline2";
            bool ratio = strcmp(s_targets[j].kind, "ratio") == 0;
            pa_scorecard_row_t r = {
                s_targets[j].id,
                s_targets[j].indicator_code,
                i < 0 ? "city" : "district",
                code,
                name,
                s_status_cycle[n % 5],
                ratio ? 0.9 + (n % 10) / 100.0 : (double)(n % 7),
                n % 3 ? NAN : (n % 2 ? 180.0 : 12.0),
                s_targets[j].threshold,
                n % 4 ? 0.25 : NAN,
                1.0 / 3.0,
                NAN,
                NAN,
            };
            cr_assert_eq(pa_scorecard_add_row(sc, &r, NULL), PA_OK);
            n++;
        }
    }
    for (int y = 2023; y <= 2024; y++)
        for (int m = 1; m <= 12; m++) {
            pa_scorecard_point_t pt = {"ws_deaths", pa_date_from_ymd(y, m, 1), 30.0 + m};
            cr_assert_eq(pa_scorecard_add_point(sc, &pt, NULL), PA_OK);
            pa_scorecard_point_t pr = {"event_closure", pa_date_from_ymd(y, m, 1),
                                       0.94 + m / 1000.0};
            cr_assert_eq(pa_scorecard_add_point(sc, &pr, NULL), PA_OK);
        }
    return sc;
}

typedef int (*s_render_fn)(const pa_scorecard_t *, FILE *, pa_err_t *);

static char *s_render(const pa_scorecard_t *sc, s_render_fn fn, size_t *len_out)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert(f);
    pa_err_t err;
    pa_err_clear(&err);
    int rc = fn(sc, f, &err);
    cr_assert_eq(rc, PA_OK, "render failed: %s", err.msg);
    cr_assert_eq(fclose(f), 0);
    if (len_out)
        *len_out = len;
    return buf;
}

static int s_count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

Test(scorecard, html_has_one_cell_per_district_and_target)
{
    pa_scorecard_t *sc = s_build(false);
    char *html = s_render(sc, pa_scorecard_write_html, NULL);
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
    /* Legend (one swatch per status), titles, four trend charts. */
    cr_assert_eq(s_count(html, "<rect class=\"legend\""), 5);
    const char *labels[] = {"达标 met", "有风险 at risk", "未达标 missed", "无基期 no baseline",
                            "无数据 no data"};
    for (size_t k = 0; k < 5; k++)
        cr_assert(strstr(html, labels[k]), "legend lacks %s", labels[k]);
    cr_assert(strstr(html, "<title>平安重庆目标考核 2024年"));
    cr_assert(strstr(html, "区县目标达成情况"));
    cr_assert_eq(s_count(html, "<svg "), 5);
    cr_assert_eq(s_count(html, "class=\"trend\""), 4);
    cr_assert(strstr(html, "data-indicator=\"ws_deaths\""));
    cr_assert(strstr(html, "data-indicator=\"task_completion\""));
    cr_assert(strstr(html, "目标 target 95%"), "the event-closure chart draws its target line");
    cr_assert(strstr(html, "<title>2024-03: 33</title>"), "a point of the 2024 ws_deaths line");
    cr_assert(strstr(html, "</html>\n"));
    free(html);
    pa_scorecard_destroy(&sc);
    cr_assert_null(sc);
}

Test(scorecard, html_escapes_text_and_attributes)
{
    pa_scorecard_t *sc = s_build(true);
    char *html = s_render(sc, pa_scorecard_write_html, NULL);
    cr_assert_null(strstr(html, "<script"), "markup from the data must be escaped");
    cr_assert_null(strstr(html, "<b>区"));
    cr_assert(strstr(html, "&lt;/title&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; "
                           "&quot;q&quot;"));
    cr_assert(strstr(html, "万州&lt;b&gt;区&lt;/b&gt; &amp; &quot;x&quot;"));
    /* The only <title> elements are ours: the page and SVG tooltips. */
    cr_assert_eq(s_count(html, "</title>"), s_count(html, "<title>"));
    free(html);
    pa_scorecard_destroy(&sc);
}

Test(scorecard, html_loads_nothing_from_outside)
{
    pa_scorecard_t *sc = s_build(false);
    char *html = s_render(sc, pa_scorecard_write_html, NULL);
    /* Blank out the SVG namespace, which is a name, not a resource. */
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

typedef struct {
    int records;
    int fields;      /* in the current record */
    int bad_records; /* records without 16 fields */
    char name_500101[128];
    char field8[128]; /* area_name of the current record */
    int empty_actual;
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
    if (r->fields != 16)
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
    char *text = s_render(sc, pa_scorecard_write_csv, &len);
    const char *header = "period,period_type,period_start,target_id,indicator_code,level,"
                         "area_code,area_name,status,actual,reference,threshold,margin,"
                         "ytd_actual,ytd_reference,projection\n";
    cr_assert(len > strlen(header) && strncmp(text, header, strlen(header)) == 0, "%.300s", text);
    struct csv_parser p;
    cr_assert_eq(csv_init(&p, CSV_STRICT | CSV_STRICT_FINI), 0);
    s_csv_read_t r;
    memset(&r, 0, sizeof r);
    cr_assert_eq(csv_parse(&p, text, len, s_csv_field, s_csv_record, &r), len, "libcsv: %s",
                 csv_strerror(csv_error(&p)));
    cr_assert_eq(csv_fini(&p, s_csv_field, s_csv_record, &r), 0);
    csv_free(&p);
    cr_assert_eq(r.bad_records, 0, "every record has 16 fields");
    cr_assert_eq((size_t)r.records, 1 + pa_scorecard_row_count(sc));
    cr_assert_eq(pa_scorecard_row_count(sc), (NDIST + 1) * NTARG - 1);
    cr_assert_str_eq(r.name_500101, "万州<b>区</b>, \"x\"\nline2",
                     "a name with comma, quotes and newline survives");
    /* Plain notation: 180, not 1.8e+02. */
    cr_assert(strstr(text, ",180,"), "%.2000s", text);
    cr_assert_null(strstr(text, "e+"), "%.2000s", text);
    /* The first data row: the city's T1; null numbers are empty fields, the
     * others in their shortest exact form. */
    cr_assert(strstr(text, "\n\"2024\",\"year\",\"2024-01-01\",\"T1\",\"ws_deaths\",\"city\","
                           "\"500000\",\"重庆市\",\"met\",0,12,0.05,,0.3333333333333333,,\n"),
              "%.400s", text);
    free(text);
    pa_scorecard_destroy(&sc);
}

Test(scorecard, json_reads_back_with_yajl)
{
    pa_scorecard_t *sc = s_build(true);
    char *text = s_render(sc, pa_scorecard_write_json, NULL);
    char errbuf[256];
    yajl_val root = yajl_tree_parse(text, errbuf, sizeof errbuf);
    cr_assert(root, "invalid JSON: %s", errbuf);
    const char *p_id[] = {"period", "id", NULL};
    const char *p_end[] = {"period", "end", NULL};
    const char *p_rows[] = {"rows", NULL};
    const char *p_targets[] = {"targets", NULL};
    const char *p_trend[] = {"trend", NULL};
    const char *p_dist[] = {"district", NULL};
    cr_assert_str_eq(YAJL_GET_STRING(yajl_tree_get(root, p_id, yajl_t_string)), "2024");
    cr_assert_str_eq(YAJL_GET_STRING(yajl_tree_get(root, p_end, yajl_t_string)), "2025-01-01");
    cr_assert(YAJL_IS_NULL(yajl_tree_get(root, p_dist, yajl_t_any)));
    yajl_val rows = yajl_tree_get(root, p_rows, yajl_t_array);
    cr_assert(rows);
    cr_assert_eq(YAJL_GET_ARRAY(rows)->len, (NDIST + 1) * NTARG - 1);
    cr_assert_eq(YAJL_GET_ARRAY(yajl_tree_get(root, p_targets, yajl_t_array))->len, NTARG);
    cr_assert_eq(YAJL_GET_ARRAY(yajl_tree_get(root, p_trend, yajl_t_array))->len, 48);
    yajl_val first = YAJL_GET_ARRAY(rows)->values[0];
    const char *k_area[] = {"area_code", NULL};
    const char *k_ref[] = {"reference", NULL};
    const char *k_margin[] = {"margin", NULL};
    const char *k_ytd[] = {"ytd_actual", NULL};
    cr_assert_str_eq(YAJL_GET_STRING(yajl_tree_get(first, k_area, yajl_t_string)), "500000");
    cr_assert_eq(YAJL_GET_DOUBLE(yajl_tree_get(first, k_ref, yajl_t_number)), 12.0);
    cr_assert(YAJL_IS_NULL(yajl_tree_get(first, k_margin, yajl_t_any)), "NaN is null");
    cr_assert_eq(YAJL_GET_DOUBLE(yajl_tree_get(first, k_ytd, yajl_t_number)), 1.0 / 3.0,
                 "numbers round-trip exactly");
    /* The hostile name comes back unchanged. */
    yajl_val r500101 = YAJL_GET_ARRAY(rows)->values[NTARG];
    const char *k_name[] = {"area_name", NULL};
    cr_assert_str_eq(YAJL_GET_STRING(yajl_tree_get(r500101, k_name, yajl_t_string)),
                     "万州<b>区</b>, \"x\"\nline2");
    /* Summary counts add up to the rows. */
    const char *statuses[] = {"met", "at_risk", "missed", "no_baseline", "no_data"};
    long total = 0;
    for (size_t k = 0; k < 5; k++) {
        const char *path[] = {"summary", statuses[k], NULL};
        yajl_val v = yajl_tree_get(root, path, yajl_t_number);
        cr_assert(v, "summary.%s", statuses[k]);
        total += YAJL_GET_INTEGER(v);
    }
    cr_assert_eq(total, (NDIST + 1) * NTARG - 1);
    yajl_tree_free(root);
    free(text);
    pa_scorecard_destroy(&sc);
}

Test(scorecard, json_refuses_invalid_utf8)
{
    pa_period_t p;
    pa_period_parse("2024-03", &p, NULL);
    pa_scorecard_t *sc = pa_scorecard_new(&p, "500101", NULL);
    pa_scorecard_row_t r = {"T1",  "ws_deaths", "district", "500101", "bad \xff name",
                            "met", 1,           NAN,        0.05,     NAN,
                            NAN,   NAN,         NAN};
    cr_assert_eq(pa_scorecard_add_row(sc, &r, NULL), PA_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    pa_err_t err;
    pa_err_clear(&err);
    cr_assert_eq(pa_scorecard_write_json(sc, f, &err), PA_EINVAL);
    cr_assert(strstr(err.msg, "UTF-8"), "%s", err.msg);
    fclose(f);
    free(buf);
    pa_scorecard_destroy(&sc);
}

Test(scorecard, table_city_block_matrix_and_totals)
{
    pa_scorecard_t *sc = s_build(false);
    char *text = s_render(sc, pa_scorecard_write_table, NULL);
    cr_assert(strstr(text, "平安重庆 2024年 目标考核 · Safe Chongqing target scorecard, 2024 "
                           "(year, 2024-01-01 – 2024-12-31)"),
              "%.300s", text);
    cr_assert(strstr(text, "全市 City: 重庆市 (500000)"));
    /* City T1 row: count, reference, status in words. */
    cr_assert(strstr(text, "T1   生产安全死亡人数"), "%s", text);
    cr_assert(strstr(text, "down ≥ 5% y/y"));
    cr_assert(strstr(text, "✓ met 达标\n"));
    /* Ratios as percentages, margins of ratios in percentage points. */
    cr_assert(strstr(text, "≥ 95%"));
    cr_assert(strstr(text, "+25.0 pp"), "%s", text);
    /* One matrix line per district, all equally wide before the symbols. */
    for (int i = 0; i < NDIST; i++) {
        char needle[32];
        snprintf(needle, sizeof needle, "\n%s  某区", s_codes[i]);
        cr_assert(strstr(text, needle), "no line for %s", s_codes[i]);
    }
    /* Totals over the district cells, as s_build cycles the statuses; the
     * pair without a row counts as no data. */
    int counts[5] = {0}, n = 0;
    for (int i = -1; i < NDIST; i++)
        for (int j = 0; j < NTARG; j++) {
            if (i == 1 && j == 2)
                continue;
            if (i >= 0)
                counts[n % 5]++;
            n++;
        }
    counts[3]++;
    char totals[160];
    snprintf(totals, sizeof totals,
             "合计 total: met %d, at risk %d, missed %d, no baseline %d, no data %d\n", counts[0],
             counts[2], counts[1], counts[4], counts[3]);
    cr_assert(strstr(text, totals), "want %s in\n%s", totals, text);
    cr_assert_eq(counts[0] + counts[1] + counts[2] + counts[3] + counts[4], NDIST * NTARG);
    free(text);
    pa_scorecard_destroy(&sc);
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
    pa_scorecard_row_t r = {
        "T9", "event_closure", "district", "500101", "万州区", "missed", 0.9, NAN,
        0.95, -0.05,           0.9,        NAN,      0.91};
    pa_scorecard_add_row(sc, &r, NULL);
    char *text = s_render(sc, pa_scorecard_write_table, NULL);
    cr_assert(strstr(text, "2024年第1季度"), "%s", text);
    cr_assert(strstr(text, "万州区 Wanzhou (500101)"), "%s", text);
    cr_assert(strstr(text, "90.0%"), "%s", text);
    cr_assert(strstr(text, "-5.0 pp  ✗ missed 未达标"), "%s", text);
    cr_assert(strstr(text, "· no data 无数据"), "targets without a row");
    cr_assert_null(strstr(text, "区县 × 目标"), "no matrix for one district");
    free(text);
    char *html = s_render(sc, pa_scorecard_write_html, NULL);
    cr_assert_eq(s_count(html, "<rect class=\"cell\""), NTARG);
    cr_assert(strstr(html, "万州区 Wanzhou (500101)"));
    free(html);
    pa_scorecard_destroy(&sc);
}

Test(scorecard, write_errors_are_reported)
{
    FILE *full = fopen("/dev/full", "w");
    cr_assert(full, "/dev/full is needed for this test");
    pa_scorecard_t *sc = s_build(false);
    s_render_fn fns[] = {pa_scorecard_write_table, pa_scorecard_write_csv, pa_scorecard_write_json,
                         pa_scorecard_write_html};
    for (size_t i = 0; i < 4; i++) {
        pa_err_t err;
        pa_err_clear(&err);
        cr_assert_eq(fns[i](sc, full, &err), PA_EIO, "renderer %zu", i);
        clearerr(full);
    }
    fclose(full);
    pa_scorecard_destroy(&sc);
    pa_scorecard_destroy(&sc); /* *NULL is fine */
    pa_scorecard_destroy(NULL);
}
