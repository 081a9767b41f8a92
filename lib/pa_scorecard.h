/* pa_scorecard.h - the target scorecard of one period: loaded from the
 * analyst views (pingan.v_district_scorecard, pingan.v_trend) with libpq, or
 * built in memory, and rendered as a terminal table, CSV, JSON or a
 * self-contained HTML page (inline SVG heat map and trend lines). It reads
 * only; judging targets is the views' job, not this module's. */
#ifndef PA_SCORECARD_H
#define PA_SCORECARD_H

#include <stdint.h>
#include <stdio.h>

#include "pa_err.h"
#include "pa_period.h"

/* The code of the city row in the views. */
#define PA_SCORECARD_CITY "500000"

typedef struct pa_scorecard pa_scorecard_t;

/* A target and its indicator (pingan.target joined with pingan.indicator).
 * Strings are borrowed by pa_scorecard_add_target, which copies them. */
typedef struct {
    const char *id;             /* "T1" .. "T10", "R1" */
    const char *indicator_code; /* "ws_deaths" */
    const char *rule;     /* yoy_decrease, max_count, min_ratio, all_towns, max_per_district */
    double threshold;     /* as in pingan.target: 0.05 = 5 %, 0.95 = 95 %, counts as is */
    const char *level;    /* where the rule is judged: city, district, town */
    const char *quote_zh; /* the sentence of the source; may be NULL */
    const char *name_zh;  /* indicator name; may be NULL */
    const char *name_en;  /* may be NULL */
    const char *kind;     /* count or ratio */
} pa_scorecard_target_t;

/* A district (pingan.district). Copied by pa_scorecard_add_district. */
typedef struct {
    const char *code;    /* "500101" */
    const char *name_zh; /* "万州区" */
    const char *name_en; /* "Wanzhou" */
} pa_scorecard_district_t;

/* One row of pingan.v_district_scorecard. NAN stands for SQL NULL. Strings
 * are copied by pa_scorecard_add_row. Ratios are fractions (0.95), counts
 * are counts. */
typedef struct {
    const char *target_id;
    const char *indicator_code;
    const char *level;     /* city or district */
    const char *area_code; /* PA_SCORECARD_CITY for the city row */
    const char *area_name;
    const char *status; /* met, missed, at_risk, no_data, no_baseline */
    double actual;
    double reference; /* the comparison value, e.g. the year before; NAN when none */
    double threshold;
    double margin;
    double ytd_actual;
    double ytd_reference;
    double projection;
} pa_scorecard_row_t;

/* One point of a trend line (pingan.v_trend). */
typedef struct {
    const char *indicator_code;
    int32_t period_start; /* days since 1970-01-01, first day of the month */
    double value;         /* count, or sum(numerator) / sum(denominator); NAN when none */
} pa_scorecard_point_t;

/* An empty scorecard for period; district is a district code or NULL for
 * the whole city (both copied). NULL on out of memory (err filled). */
pa_scorecard_t *pa_scorecard_new(const pa_period_t *period, const char *district, pa_err_t *err);

/* Frees the scorecard and everything it holds; NULL and *NULL are fine. */
void pa_scorecard_destroy(pa_scorecard_t **self_p);

/* Builders: append a copy. PA_OK or PA_ENOMEM. Rows, districts and targets
 * are rendered in the order given (the loader orders them by code / id). */
int pa_scorecard_add_target(pa_scorecard_t *self, const pa_scorecard_target_t *t, pa_err_t *err);
int pa_scorecard_add_district(pa_scorecard_t *self, const pa_scorecard_district_t *d,
                              pa_err_t *err);
int pa_scorecard_add_row(pa_scorecard_t *self, const pa_scorecard_row_t *r, pa_err_t *err);
int pa_scorecard_add_point(pa_scorecard_t *self, const pa_scorecard_point_t *p, pa_err_t *err);

/* Number of scorecard rows held. */
size_t pa_scorecard_row_count(const pa_scorecard_t *self);

/* Connects with conninfo (a libpq connection string; NULL or "" = the PG*
 * environment) and loads targets, districts, the scorecard rows of the
 * period (the district's rows only when a district was given, else every
 * district and the city) and the city's monthly trend of the period's year
 * and the year before, in one read-only snapshot. Returns PA_OK, PA_EINVAL
 * for an unknown district, or the class of the PostgreSQL failure
 * (PA_ERETRY when the server cannot be reached, PA_EFATAL e.g. when the
 * views do not exist). The connection is closed before returning. */
int pa_scorecard_load(pa_scorecard_t *self, const char *conninfo, pa_err_t *err);

/* Renderers. Each writes the whole document to out and returns PA_OK, or
 * PA_EIO when writing failed, PA_EINVAL when a string is not valid UTF-8
 * (JSON). None of them closes out.
 *
 * table: a city block (one line per target) and a district x target status
 * matrix, aligned for a terminal (CJK characters count as two columns);
 * with a district, one line per target of that district. */
int pa_scorecard_write_table(const pa_scorecard_t *self, FILE *out, pa_err_t *err);
/* csv: a header and one record per row, every field quoted (libcsv);
 * NULL numbers are empty fields; numbers in the shortest exact form. */
int pa_scorecard_write_csv(const pa_scorecard_t *self, FILE *out, pa_err_t *err);
/* json: {"period": {...}, "district": ..., "targets": [...], "rows": [...],
 * "summary": {...}, "trend": [...]}; NULL numbers are null (yajl). */
int pa_scorecard_write_json(const pa_scorecard_t *self, FILE *out, pa_err_t *err);
/* html: one page, no scripts and no external resources: a summary, the
 * district x target heat map (one <rect class="cell"> per district and
 * target, coloured by status, with a legend), trend lines of ws_deaths,
 * fire_incidents, event_closure and task_completion, and the target key. */
int pa_scorecard_write_html(const pa_scorecard_t *self, FILE *out, pa_err_t *err);

#endif
