/* pa_scorecard.h - the model of one period's target scorecard: targets with
 * their display rules, districts, judgement rows and trend points, plus the
 * freshness of the figures. Filled by pa_scorecard_load (pa_scorecard_load.h)
 * or by the builders below; read by the renderers (pa_render.h). It holds
 * what SQL decided and decides nothing itself: no I/O, no libpq. */
#ifndef PA_SCORECARD_H
#define PA_SCORECARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pa_err.h"
#include "pa_period.h"

/* The code of the city row in the views (pingan.city_code()). */
#define PA_SCORECARD_CITY "500000"

typedef struct pa_scorecard pa_scorecard_t;

/* A target, its indicator and how it is shown (pingan.target, 012). Strings
 * are copied by pa_scorecard_add_target; NULL reads back as "". */
typedef struct {
    const char *id;             /* "T1" .. "T10", "R1" */
    const char *indicator_code; /* "ws_deaths" */
    const char *rule;           /* yoy_decrease, max_count, min_ratio, all_towns, ... */
    double threshold;           /* as in pingan.target: 0.05 = 5 %, counts as is */
    const char *level;          /* where the rule is judged: city, district, town */
    const char *quote_zh;       /* the sentence of the source */
    const char *name_zh;        /* indicator name */
    const char *name_en;
    const char *kind;         /* count or ratio */
    const char *display;      /* count, percent or of_threshold */
    const char *unit_zh;      /* "人"; "" for percentages */
    const char *unit_en;      /* "deaths" */
    const char *share_unit;   /* towns or districts when some level shows a share, else "" */
    const char *rule_text_zh; /* "同比下降 ≥ 5%" */
    const char *rule_text_en; /* "down ≥ 5% y/y" */
    const char *explain_zh;   /* one plain sentence on the rule */
    const char *explain_en;
    bool trend; /* draw a monthly trend chart */
} pa_scorecard_target_t;

/* A district (pingan.district). Copied by pa_scorecard_add_district. */
typedef struct {
    const char *code;    /* "500101" */
    const char *name_zh; /* "万州区" */
    const char *name_en; /* "Wanzhou" */
} pa_scorecard_district_t;

/* One judgement (pingan.v_district_scorecard ⋈ pingan.target). NAN stands
 * for SQL NULL, -1 for a NULL count. Strings are copied by
 * pa_scorecard_add_row. Ratios are fractions (0.95). */
typedef struct {
    const char *target_id;
    const char *indicator_code;
    const char *level;     /* city or district */
    const char *area_code; /* PA_SCORECARD_CITY for the city row */
    const char *area_name;
    const char *status;  /* met, missed, at_risk, incomplete, not_due, no_data, no_baseline */
    const char *verdict; /* the provisional met/missed/at_risk when incomplete; "" */
    const char *reference_source; /* baseline, reports, mixed or "" */
    const char *unit;             /* unit of the coverage: towns or districts, or "" */
    const char *coverage;         /* "12/38 districts, 11/12 months", or "" */
    double actual;
    double reference; /* the comparison value, e.g. the same span a year earlier */
    double threshold;
    double margin; /* >= 0 when met: headroom; < 0: shortfall */
    double ytd_actual;
    double ytd_reference; /* last year's same span of a running period */
    double projection;    /* to the period's end */
    bool in_progress;     /* the period is still running */
    int32_t ytd_end;      /* days since 1970: first day after the span judged; 0 = none */
    int months_covered, months_expected, units_covered, units_expected; /* -1 = NULL */
    bool share;         /* actual is the share of share_total units meeting the rule */
    double share_total; /* towns or districts the share is taken of */
} pa_scorecard_row_t;

/* One point of a trend line (pingan.v_trend). */
typedef struct {
    const char *indicator_code;
    const char *area_code; /* the area the line is about */
    int32_t period_start;  /* days since 1970-01-01, first day of the month */
    double value;          /* count, or sum(numerator) / sum(denominator); NAN when none */
} pa_scorecard_point_t;

/* An empty scorecard for period; district is a district code or NULL for the
 * whole city (both copied). NULL on out of memory (err filled). */
pa_scorecard_t *pa_scorecard_new(const pa_period_t *period, const char *district, pa_err_t *err);

/* Frees the scorecard and everything it holds; NULL and *NULL are fine. */
void pa_scorecard_destroy(pa_scorecard_t **self_p);

/* Builders: append a copy. PA_OK or PA_ENOMEM. Rendered in the order given,
 * except where a renderer sorts (the heat map ranks districts). */
int pa_scorecard_add_target(pa_scorecard_t *self, const pa_scorecard_target_t *t, pa_err_t *err);
int pa_scorecard_add_district(pa_scorecard_t *self, const pa_scorecard_district_t *d,
                              pa_err_t *err);
int pa_scorecard_add_row(pa_scorecard_t *self, const pa_scorecard_row_t *r, pa_err_t *err);
int pa_scorecard_add_point(pa_scorecard_t *self, const pa_scorecard_point_t *p, pa_err_t *err);

/* Freshness: as_of is the last day the judgements consider elapsed
 * ("2024-06-30"), judged_at when they were last brought up to date (a
 * timestamp as PostgreSQL prints it), generated_at when this report was
 * made. Copied; NULL or "" = unknown. PA_OK or PA_ENOMEM. */
int pa_scorecard_set_freshness(pa_scorecard_t *self, const char *as_of, const char *judged_at,
                               const char *generated_at, pa_err_t *err);

/* Readers. Pointers stay valid until the scorecard is destroyed; strings are
 * never NULL. */
const pa_period_t *pa_scorecard_period(const pa_scorecard_t *self);
const char *pa_scorecard_district(const pa_scorecard_t *self); /* NULL = the city */
const char *pa_scorecard_as_of(const pa_scorecard_t *self);
const char *pa_scorecard_judged_at(const pa_scorecard_t *self);
const char *pa_scorecard_generated_at(const pa_scorecard_t *self);
size_t pa_scorecard_target_count(const pa_scorecard_t *self);
const pa_scorecard_target_t *pa_scorecard_target(const pa_scorecard_t *self, size_t i);
size_t pa_scorecard_district_count(const pa_scorecard_t *self);
const pa_scorecard_district_t *pa_scorecard_district_at(const pa_scorecard_t *self, size_t i);
size_t pa_scorecard_row_count(const pa_scorecard_t *self);
const pa_scorecard_row_t *pa_scorecard_row(const pa_scorecard_t *self, size_t i);
size_t pa_scorecard_point_count(const pa_scorecard_t *self);
const pa_scorecard_point_t *pa_scorecard_point(const pa_scorecard_t *self, size_t i);

/* The row of an area and target, or NULL when the views gave none. */
const pa_scorecard_row_t *pa_scorecard_find_row(const pa_scorecard_t *self, const char *area,
                                                const char *target_id);
/* The target with this id, or NULL. */
const pa_scorecard_target_t *pa_scorecard_find_target(const pa_scorecard_t *self, const char *id);

/* The ranking of the heat map, worst first, no data last (docs/report.md):
 * fills order[0..n) with district indexes, n = pa_scorecard_district_count.
 * A district whose rows all lack data (no_data, not_due or no row) comes
 * last; the others by falling badness, the sum over its rows of missed 3,
 * at_risk 2, incomplete with verdict missed 2 or at_risk 1, else 0; ties by
 * code. Pure. */
void pa_scorecard_rank(const pa_scorecard_t *self, size_t *order);

/* A district page's towns (pingan.town) and their judgement rows
 * (pingan.v_target_status, level town), kept apart from the district and
 * city rows that every format lists. Copied; PA_OK or PA_ENOMEM. */
int pa_scorecard_add_town(pa_scorecard_t *self, const pa_scorecard_district_t *t, pa_err_t *err);
int pa_scorecard_add_town_row(pa_scorecard_t *self, const pa_scorecard_row_t *r, pa_err_t *err);
size_t pa_scorecard_town_count(const pa_scorecard_t *self);
const pa_scorecard_district_t *pa_scorecard_town_at(const pa_scorecard_t *self, size_t i);
size_t pa_scorecard_town_row_count(const pa_scorecard_t *self);
const pa_scorecard_row_t *pa_scorecard_find_town_row(const pa_scorecard_t *self, const char *town,
                                                     const char *target_id);
/* The towns in the heat map's ranking (as pa_scorecard_rank; n =
 * pa_scorecard_town_count). */
void pa_scorecard_rank_towns(const pa_scorecard_t *self, size_t *order);

/* A district page's place among all districts by that ranking: 1 = worst of
 * `of`. 0 when unknown. */
void pa_scorecard_set_rank(pa_scorecard_t *self, int rank, int of);
int pa_scorecard_rank_of(const pa_scorecard_t *self, int *of);

#endif
