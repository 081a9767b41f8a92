/* pa_render.h - the scorecard's output formats behind one table of
 * {name, render}: table (terminal), csv, json and html. pingan-report picks a
 * renderer by name; each writes one whole document from a pa_scorecard_t and
 * never closes the stream. Labels follow pa_render_opts_t.lang. */
#ifndef PA_RENDER_H
#define PA_RENDER_H

#include <stdio.h>

#include "pa_err.h"
#include "pa_scorecard.h"

typedef enum { PA_LANG_BOTH = 0, PA_LANG_ZH, PA_LANG_EN } pa_lang_t;

typedef struct {
    pa_lang_t lang; /* labels: Chinese, English or both (default) */
} pa_render_opts_t;

/* Writes the whole document to out. PA_OK, PA_EIO when writing failed,
 * PA_EINVAL when a text is not valid UTF-8 (json). opts may be NULL. */
typedef int (*pa_render_fn)(const pa_scorecard_t *sc, const pa_render_opts_t *opts, FILE *out,
                            pa_err_t *err);

typedef struct {
    const char *name; /* table, csv, json, html */
    pa_render_fn render;
    const char *summary; /* for --help */
} pa_renderer_t;

/* The renderer called name, or NULL. */
const pa_renderer_t *pa_render_find(const char *name);

/* Every renderer, ending with {NULL}. */
const pa_renderer_t *pa_render_all(void);

/* "zh", "en" or "both" into *out; PA_EINVAL otherwise. */
int pa_render_lang_parse(const char *s, pa_lang_t *out, pa_err_t *err);

/* table: the header (period, as-of, when the figures were last brought up
 * to date, coverage), a city block (one line per target, with year to date,
 * last year's same span and projection for a running period) and the
 * district x target matrix ranked worst first; with a district, its block. */
int pa_render_table(const pa_scorecard_t *sc, const pa_render_opts_t *opts, FILE *out,
                    pa_err_t *err);
/* csv: a header and one record per row (libcsv quoting), numbers in the
 * shortest text that reads back as the same double, NULL as empty. */
int pa_render_csv(const pa_scorecard_t *sc, const pa_render_opts_t *opts, FILE *out, pa_err_t *err);
/* json: {"period", "as_of", "judged_at", "generated_at", "district",
 * "targets", "rows", "summary", "trend"} (yajl, UTF-8 checked). */
int pa_render_json(const pa_scorecard_t *sc, const pa_render_opts_t *opts, FILE *out,
                   pa_err_t *err);
/* html: one self-contained page (inline SVG, no scripts, no external
 * resources, a print stylesheet); see docs/report.md. */
int pa_render_html(const pa_scorecard_t *sc, const pa_render_opts_t *opts, FILE *out,
                   pa_err_t *err);

#endif
