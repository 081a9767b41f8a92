/* pa_render_common.h - what the four renderers share and nothing else uses:
 * the status vocabulary (words, symbols, colours), labels in the chosen
 * language, numbers for people (the rule that a figure missing its threshold
 * never prints equal to it, docs/report.md), escaping of control characters,
 * period titles. Pure functions over the model; no I/O except pa_rc_finish. */
#ifndef PA_RENDER_COMMON_H
#define PA_RENDER_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "pa_render.h"

typedef struct {
    const char *status;     /* as in the views */
    const char *zh, *en;    /* words */
    const char *symbol;     /* for terminals and black-and-white print */
    const char *fill, *ink; /* HTML cell colour and the text colour on it */
} pa_rc_status_t;

/* Every status in display order (best to worst, then what cannot be
 * judged); *n gets the count. */
const pa_rc_status_t *pa_rc_statuses(size_t *n);
/* The entry of status; NULL = no row (no data); unknown words get a grey
 * "unknown" entry. */
const pa_rc_status_t *pa_rc_status(const char *status);
/* Index of st in pa_rc_statuses, or the count for the unknown entry. */
size_t pa_rc_status_index(const pa_rc_status_t *st);

/* Label in the chosen language: "zh en", "zh" or "en" into buf. Returns buf. */
const char *pa_rc_label(const pa_render_opts_t *o, const char *zh, const char *en, char *buf,
                        size_t size);

/* The status of a row in words, e.g. "✗ missed 未达标" or, for incomplete,
 * "◐ incomplete (missed so far) 2/38 districts, 6/6 months". With symbol
 * false the symbol is left out. r NULL = no data. */
void pa_rc_status_text(const pa_render_opts_t *o, const pa_scorecard_row_t *r, bool symbol,
                       char *buf, size_t size);
/* The coverage of a row in the chosen language ("" when none). */
void pa_rc_coverage(const pa_render_opts_t *o, const pa_scorecard_row_t *r, char *buf, size_t size);

/* Numbers for people. actual: "95.3%", "36", "164/1031 towns", "—" for NULL;
 * a ratio or a fractional count that misses its threshold gets as many
 * digits as it takes not to print equal to (or past) it. margin: "-1.3 pp"
 * for ratios and shares, "+3.5" for counts, never "-0.0". value: another
 * figure of the row (reference, ytd, projection) in the unit of the actual. */
void pa_rc_actual(const pa_scorecard_target_t *t, const pa_scorecard_row_t *r, char *buf,
                  size_t size);
void pa_rc_margin(const pa_scorecard_target_t *t, const pa_scorecard_row_t *r, char *buf,
                  size_t size);
void pa_rc_value(const pa_scorecard_target_t *t, const pa_scorecard_row_t *r, double v, char *buf,
                 size_t size);
/* The shortest text that reads back as exactly v ("" for NULL/NaN), in
 * plain notation in the everyday range (180, not 1.8e+02). */
void pa_rc_num_exact(double v, char *buf, size_t size);

/* Copies s into buf with every control character (C0 but keep_newline's
 * '\n', DEL, C1) written as "\xNN", so data cannot drive a terminal. */
void pa_rc_clean(const char *s, bool keep_newline, char *buf, size_t size);

/* "2024年第1季度" and the like; "2024 (year, 2024-01-01 – 2024-12-31)". */
void pa_rc_period_zh(const pa_period_t *p, char *buf, size_t size);
void pa_rc_period_range(const pa_period_t *p, char *buf, size_t size);

/* The coverage of the page's area: "3/38 districts, 6/1031 towns, 6/6
 * months" from the largest figures of its rows (""). */
void pa_rc_area_coverage(const pa_scorecard_t *sc, const pa_render_opts_t *o, const char *area,
                         char *buf, size_t size);

/* True when any row of area is of a running period. */
bool pa_rc_in_progress(const pa_scorecard_t *sc, const char *area);

/* Flushes and checks out: PA_OK or PA_EIO. */
int pa_rc_finish(FILE *out, pa_err_t *err);

#endif
