/* pa_render_json.c - the whole scorecard as one JSON document (yajl, UTF-8
 * checked): period, freshness, targets with their display rules, every row
 * with its coverage, a status summary and the trend points. yajl writes
 * control characters as \u00XX escapes. Keys are not translated. */
#include <math.h>
#include <stdbool.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "pa_render_common.h"

typedef struct {
    yajl_gen g;
    yajl_gen_status st; /* the first failure; later calls do nothing */
} s_json_t;

static void s_print(void *ctx, const char *str, size_t len)
{
    fwrite(str, 1, len, (FILE *)ctx);
}

static void s_str(s_json_t *j, const char *s)
{
    if (j->st == yajl_gen_status_ok)
        j->st =
            s ? yajl_gen_string(j->g, (const unsigned char *)s, strlen(s)) : yajl_gen_null(j->g);
}

static void s_num(s_json_t *j, double v)
{
    if (j->st != yajl_gen_status_ok)
        return;
    if (!isfinite(v)) {
        j->st = yajl_gen_null(j->g);
        return;
    }
    char buf[40];
    pa_rc_num_exact(v, buf, sizeof buf);
    j->st = yajl_gen_number(j->g, buf, strlen(buf));
}

static void s_kstr(s_json_t *j, const char *key, const char *s)
{
    s_str(j, key);
    s_str(j, s);
}

/* "" is written as null: the model keeps SQL NULL text as "". */
static void s_kopt(s_json_t *j, const char *key, const char *s)
{
    s_kstr(j, key, s && *s ? s : NULL);
}

static void s_knum(s_json_t *j, const char *key, double v)
{
    s_str(j, key);
    s_num(j, v);
}

static void s_kint(s_json_t *j, const char *key, int v)
{
    s_knum(j, key, v >= 0 ? (double)v : NAN);
}

static void s_kbool(s_json_t *j, const char *key, bool v)
{
    s_str(j, key);
    if (j->st == yajl_gen_status_ok)
        j->st = yajl_gen_bool(j->g, v);
}

static void s_open(s_json_t *j, bool map)
{
    if (j->st == yajl_gen_status_ok)
        j->st = map ? yajl_gen_map_open(j->g) : yajl_gen_array_open(j->g);
}

static void s_close(s_json_t *j, bool map)
{
    if (j->st == yajl_gen_status_ok)
        j->st = map ? yajl_gen_map_close(j->g) : yajl_gen_array_close(j->g);
}

static void s_targets(s_json_t *j, const pa_scorecard_t *sc)
{
    s_str(j, "targets");
    s_open(j, false);
    for (size_t i = 0; i < pa_scorecard_target_count(sc); i++) {
        const pa_scorecard_target_t *t = pa_scorecard_target(sc, i);
        s_open(j, true);
        s_kstr(j, "id", t->id);
        s_kstr(j, "indicator_code", t->indicator_code);
        s_kstr(j, "name_zh", t->name_zh);
        s_kstr(j, "name_en", t->name_en);
        s_kstr(j, "kind", t->kind);
        s_kstr(j, "rule", t->rule);
        s_knum(j, "threshold", t->threshold);
        s_kstr(j, "level", t->level);
        s_kstr(j, "quote_zh", t->quote_zh);
        s_kstr(j, "display", t->display);
        s_kopt(j, "unit_zh", t->unit_zh);
        s_kopt(j, "unit_en", t->unit_en);
        s_kopt(j, "share_unit", t->share_unit);
        s_kstr(j, "rule_text_zh", t->rule_text_zh);
        s_kstr(j, "rule_text_en", t->rule_text_en);
        s_kstr(j, "explain_zh", t->explain_zh);
        s_kstr(j, "explain_en", t->explain_en);
        s_close(j, true);
    }
    s_close(j, false);
}

static void s_rows(s_json_t *j, const pa_scorecard_t *sc, size_t *counts)
{
    char date[PA_DATE_SIZE];
    s_str(j, "rows");
    s_open(j, false);
    for (size_t i = 0; i < pa_scorecard_row_count(sc); i++) {
        const pa_scorecard_row_t *r = pa_scorecard_row(sc, i);
        counts[pa_rc_status_index(pa_rc_status(r->status))]++;
        s_open(j, true);
        s_kstr(j, "target_id", r->target_id);
        s_kstr(j, "indicator_code", r->indicator_code);
        s_kstr(j, "level", r->level);
        s_kstr(j, "area_code", r->area_code);
        s_kstr(j, "area_name", r->area_name);
        s_kstr(j, "status", r->status);
        s_kopt(j, "verdict", r->verdict);
        s_knum(j, "actual", r->actual);
        s_knum(j, "reference", r->reference);
        s_kopt(j, "reference_source", r->reference_source);
        s_knum(j, "threshold", r->threshold);
        s_knum(j, "margin", r->margin);
        s_knum(j, "ytd_actual", r->ytd_actual);
        s_knum(j, "ytd_reference", r->ytd_reference);
        s_knum(j, "projection", r->projection);
        s_kbool(j, "in_progress", r->in_progress);
        if (r->ytd_end)
            pa_date_format(r->ytd_end, date);
        s_kstr(j, "ytd_end", r->ytd_end ? date : NULL);
        s_kopt(j, "coverage", r->coverage);
        s_kint(j, "months_covered", r->months_covered);
        s_kint(j, "months_expected", r->months_expected);
        s_kint(j, "units_covered", r->units_covered);
        s_kint(j, "units_expected", r->units_expected);
        s_kopt(j, "unit", r->unit);
        s_close(j, true);
    }
    s_close(j, false);
}

int pa_render_json(const pa_scorecard_t *sc, const pa_render_opts_t *o, FILE *out, pa_err_t *err)
{
    (void)o;
    int rc = PA_OK;
    s_json_t j = {yajl_gen_alloc(NULL), yajl_gen_status_ok};
    if (!j.g) {
        rc = pa_err_set(err, PA_ENOMEM, "out of memory");
        goto cleanup;
    }
    yajl_gen_config(j.g, yajl_gen_beautify, 1);
    yajl_gen_config(j.g, yajl_gen_indent_string, "  ");
    yajl_gen_config(j.g, yajl_gen_validate_utf8, 1);
    yajl_gen_config(j.g, yajl_gen_print_callback, s_print, (void *)out);

    const pa_period_t *period = pa_scorecard_period(sc);
    char id[PA_PERIOD_SIZE], date[PA_DATE_SIZE];
    pa_period_format(period, id);
    s_open(&j, true);
    s_str(&j, "period");
    s_open(&j, true);
    s_kstr(&j, "id", id);
    s_kstr(&j, "type", pa_period_type_name(period->type));
    pa_date_format(period->start, date);
    s_kstr(&j, "start", date);
    pa_date_format(pa_period_end(period), date);
    s_kstr(&j, "end", date);
    s_close(&j, true);
    s_kopt(&j, "as_of", pa_scorecard_as_of(sc));
    s_kopt(&j, "judged_at", pa_scorecard_judged_at(sc));
    s_kopt(&j, "generated_at", pa_scorecard_generated_at(sc));
    s_kstr(&j, "district", pa_scorecard_district(sc));
    s_targets(&j, sc);

    size_t nstatus;
    const pa_rc_status_t *st = pa_rc_statuses(&nstatus);
    size_t counts[16] = {0};
    s_rows(&j, sc, counts);
    s_str(&j, "summary");
    s_open(&j, true);
    for (size_t k = 0; k < nstatus; k++)
        s_knum(&j, st[k].status, (double)counts[k]);
    if (counts[nstatus])
        s_knum(&j, "unknown", (double)counts[nstatus]);
    s_close(&j, true);

    s_str(&j, "trend");
    s_open(&j, false);
    for (size_t i = 0; i < pa_scorecard_point_count(sc); i++) {
        const pa_scorecard_point_t *p = pa_scorecard_point(sc, i);
        s_open(&j, true);
        s_kstr(&j, "indicator_code", p->indicator_code);
        s_kstr(&j, "area_code", p->area_code);
        pa_date_format(p->period_start, date);
        s_kstr(&j, "period_start", date);
        s_knum(&j, "value", p->value);
        s_close(&j, true);
    }
    s_close(&j, false);
    s_close(&j, true);

    if (j.st == yajl_gen_invalid_string) {
        rc = pa_err_set(err, PA_EINVAL, "a text in the scorecard is not valid UTF-8");
        goto cleanup;
    }
    if (j.st != yajl_gen_status_ok) {
        rc = pa_err_set(err, PA_EFATAL, "could not generate JSON (yajl status %d)", (int)j.st);
        goto cleanup;
    }
    fputc('\n', out);
    rc = pa_rc_finish(out, err);
cleanup:
    if (j.g)
        yajl_gen_free(j.g);
    return rc;
}
