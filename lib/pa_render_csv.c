/* pa_render_csv.c - one CSV record per judgement (libcsv quoting), numbers
 * as the shortest text that reads back as the same value, NULL as an empty
 * field, and on every record the as-of day and when the figures were last
 * brought up to date. Control characters in text (but newlines, which the
 * quoting carries) are written as \xNN. Column names are not translated. */
#include <csv.h>
#include <stdbool.h>
#include <string.h>

#include "pa_render_common.h"

static void s_str(FILE *out, const char *s, bool first)
{
    char clean[1024];
    pa_rc_clean(s, true, clean, sizeof clean);
    if (!first)
        fputc(',', out);
    csv_fwrite(out, clean, strlen(clean));
}

static void s_num(FILE *out, double v)
{
    char buf[40];
    pa_rc_num_exact(v, buf, sizeof buf);
    fputc(',', out);
    fputs(buf, out);
}

static void s_int(FILE *out, int v)
{
    if (v >= 0)
        fprintf(out, ",%d", v);
    else
        fputc(',', out);
}

int pa_render_csv(const pa_scorecard_t *sc, const pa_render_opts_t *o, FILE *out, pa_err_t *err)
{
    (void)o;
    const pa_period_t *period = pa_scorecard_period(sc);
    char id[PA_PERIOD_SIZE], start[PA_DATE_SIZE], end[PA_DATE_SIZE];
    pa_period_format(period, id);
    pa_date_format(period->start, start);
    fputs("period,period_type,period_start,target_id,indicator_code,level,area_code,area_name,"
          "status,actual,reference,threshold,margin,ytd_actual,ytd_reference,projection,"
          "verdict,reference_source,coverage,months_covered,months_expected,units_covered,"
          "units_expected,unit,in_progress,ytd_end,as_of,judged_at\n",
          out);
    for (size_t i = 0; i < pa_scorecard_row_count(sc); i++) {
        const pa_scorecard_row_t *r = pa_scorecard_row(sc, i);
        s_str(out, id, true);
        s_str(out, pa_period_type_name(period->type), false);
        s_str(out, start, false);
        s_str(out, r->target_id, false);
        s_str(out, r->indicator_code, false);
        s_str(out, r->level, false);
        s_str(out, r->area_code, false);
        s_str(out, r->area_name, false);
        s_str(out, r->status, false);
        s_num(out, r->actual);
        s_num(out, r->reference);
        s_num(out, r->threshold);
        s_num(out, r->margin);
        s_num(out, r->ytd_actual);
        s_num(out, r->ytd_reference);
        s_num(out, r->projection);
        s_str(out, r->verdict, false);
        s_str(out, r->reference_source, false);
        s_str(out, r->coverage, false);
        s_int(out, r->months_covered);
        s_int(out, r->months_expected);
        s_int(out, r->units_covered);
        s_int(out, r->units_expected);
        s_str(out, r->unit, false);
        fputs(r->in_progress ? ",true" : ",false", out);
        if (r->ytd_end) {
            pa_date_format(r->ytd_end, end);
            s_str(out, end, false);
        } else {
            fputc(',', out);
        }
        s_str(out, pa_scorecard_as_of(sc), false);
        s_str(out, pa_scorecard_judged_at(sc), false);
        fputc('\n', out);
    }
    return pa_rc_finish(out, err);
}
