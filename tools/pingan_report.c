/* pingan-report - print the target scorecard of a period (optionally of one
 * district) in one of the pa_render formats, and write it as a
 * self-contained HTML page. Thin main: options, then pa_scorecard_load and a
 * renderer picked by name. Exit 0 when done, 2 on usage errors (including a
 * period or district the scorecard does not know), 1 when the database or
 * the output failed. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "pa_config.h"
#include "pa_log.h"
#include "pa_period.h"
#include "pa_render.h"
#include "pa_scorecard.h"
#include "pa_scorecard_load.h"

#define S_FORMS "2024 (year), 2024-Q1 (quarter) or 2024-03 (month)"

typedef struct {
    const char *period;    /* period id: 2024, 2024-Q1, 2024-03 */
    const char *district;  /* district code, "" or 500000 = the whole city */
    const char *format;    /* a pa_render name */
    const char *html;      /* HTML output file, "" = none */
    const char *lang;      /* zh, en or both */
    const char *dsn;       /* libpq connection string, "" = PG* */
    const char *log_level; /* error, warn, info, debug */
} s_config_t;

static const pa_opt_t s_opts[] = {
    {"period", "PINGAN_REPORT_PERIOD", "", PA_OPT_STR, offsetof(s_config_t, period),
     "period id: " S_FORMS "; required"},
    {"district", "PINGAN_REPORT_DISTRICT", "", PA_OPT_STR, offsetof(s_config_t, district),
     "only this district, e.g. 500101 (default or 500000: every district and the city)"},
    {"format", "PINGAN_REPORT_FORMAT", "table", PA_OPT_STR, offsetof(s_config_t, format),
     "standard output: table, csv, json or html"},
    {"html", "PINGAN_REPORT_HTML", "", PA_OPT_STR, offsetof(s_config_t, html),
     "also write a self-contained HTML page (heat map, trends) to this file"},
    {"lang", "PINGAN_REPORT_LANG", "both", PA_OPT_STR, offsetof(s_config_t, lang),
     "labels: zh, en or both"},
    {"dsn", "PINGAN_DSN", "", PA_OPT_STR, offsetof(s_config_t, dsn),
     "libpq connection string (default: PGHOST, PGPORT, PGDATABASE, PGUSER...)"},
    {"log-level", "PINGAN_LOG_LEVEL", "warn", PA_OPT_STR, offsetof(s_config_t, log_level),
     "error, warn, info or debug"},
    {NULL, NULL, NULL, 0, 0, NULL},
};

static bool s_district_code(const char *s)
{
    if (strlen(s) != 6 || strncmp(s, "50", 2) != 0)
        return false;
    for (int i = 2; i < 6; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool s_all_digits(const char *s)
{
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* Writes the HTML page to a temporary name and renames it into place, so
 * that a failed run never leaves half a page behind. */
static int s_write_html(const pa_scorecard_t *sc, const pa_render_opts_t *opts, const char *path,
                        pa_err_t *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return pa_err_set(err, PA_EINVAL, "--html: path too long");
    FILE *f = fopen(tmp, "w");
    if (!f)
        return pa_err_set(err, PA_EIO, "could not create %s: %s", tmp, strerror(errno));
    int rc = pa_render_html(sc, opts, f, err);
    if (fclose(f) != 0 && rc == PA_OK)
        rc = pa_err_set(err, PA_EIO, "could not write %s: %s", tmp, strerror(errno));
    if (rc == PA_OK && rename(tmp, path) != 0)
        rc = pa_err_set(err, PA_EIO, "could not rename %s to %s: %s", tmp, path, strerror(errno));
    if (rc != PA_OK)
        remove(tmp);
    return rc;
}

/* Checks --period: a month, quarter or year of a plausible year. 0 or 2. */
static int s_check_period(const char *text, pa_period_t *period)
{
    pa_err_t err;
    pa_err_clear(&err);
    if (pa_period_parse(text, period, &err) != PA_OK) {
        fprintf(stderr, "pingan-report: --period: '%s' is not a period: use %s\n", text, S_FORMS);
        return 2;
    }
    if (period->type != PA_PERIOD_YEAR && period->type != PA_PERIOD_QUARTER &&
        period->type != PA_PERIOD_MONTH) {
        fprintf(stderr,
                "pingan-report: --period: the scorecard judges months, quarters and years, not "
                "%ss like %s: use %s\n",
                pa_period_type_name(period->type), text, S_FORMS);
        return 2;
    }
    int y, m, d;
    pa_date_to_ymd(period->start, &y, &m, &d);
    if (y < 2000 || y > 2099) {
        fprintf(stderr, "pingan-report: --period: %s is not a year the scorecard judges (%s)\n",
                text, S_FORMS);
        return 2;
    }
    return 0;
}

/* Checks --district; *code is NULL for the city. 0, or 2 (told why). */
static int s_check_district(const s_config_t *cfg, const char **code)
{
    const char *s = cfg->district;
    *code = NULL;
    if (!s || !*s || strcmp(s, PA_SCORECARD_CITY) == 0)
        return 0;
    if (s_district_code(s)) {
        *code = s;
        return 0;
    }
    if (s_all_digits(s)) {
        fprintf(stderr, "pingan-report: --district: '%s' is not a district code like 500101\n", s);
        return 2;
    }
    char found[512] = "";
    pa_err_t err;
    pa_err_clear(&err);
    int rc = pa_scorecard_suggest_district(cfg->dsn, s, found, sizeof found, &err);
    if (rc == PA_OK && *found)
        fprintf(stderr, "pingan-report: --district takes a code, not a name: did you mean %s?\n",
                found);
    else
        fprintf(stderr, "pingan-report: --district: '%s' is not a district code like 500101%s%s\n",
                s, rc == PA_OK ? "" : " (could not look the name up: ", rc == PA_OK ? "" : err.msg);
    return 2;
}

int main(int argc, char **argv)
{
    s_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    pa_err_t err;
    pa_err_clear(&err);
    static const pa_cli_t cli = {
        "pingan-report",
        "usage: pingan-report --period PERIOD [OPTIONS]\n"
        "Prints the 2024 target scorecard of a period from PostgreSQL, and writes it\n"
        "as an HTML page with a district x target heat map and trend lines.\n",
        NULL, false, offsetof(s_config_t, log_level)};
    int first = 0, level = 0;
    int done = pa_config_cli(&cli, s_opts, &cfg, argc, argv, &first, &level);
    if (done >= 0)
        return done;
    /* Until the page is written, a closed stdout (| head) must fail a
     * write, not kill us mid-page. */
    signal(SIGPIPE, SIG_IGN);
    if (!cfg.period || !*cfg.period) {
        fprintf(stderr, "pingan-report: --period is required (%s)\n", S_FORMS);
        return 2;
    }
    pa_period_t period;
    int usage = s_check_period(cfg.period, &period);
    if (usage)
        return usage;
    const pa_renderer_t *renderer = pa_render_find(cfg.format);
    if (!renderer) {
        fprintf(stderr, "pingan-report: --format: '%s' is not table, csv, json or html\n",
                cfg.format);
        return 2;
    }
    pa_render_opts_t opts = {PA_LANG_BOTH};
    if (pa_render_lang_parse(cfg.lang, &opts.lang, &err) != PA_OK) {
        fprintf(stderr, "pingan-report: --lang: %s\n", err.msg);
        return 2;
    }
    const char *district = NULL;
    usage = s_check_district(&cfg, &district);
    if (usage)
        return usage;
    pa_log_t log = {(pa_log_level_t)level, "report"};
    /* Never log the DSN: it may hold a password. */
    pa_log_info(&log, "period=%s district=%s format=%s html=%s lang=%s starting", cfg.period,
                district ? district : "all", cfg.format, *cfg.html ? cfg.html : "none", cfg.lang);

    int status = 0;
    pa_scorecard_t *sc = pa_scorecard_new(&period, district, &err);
    if (!sc) {
        pa_log_error(&log, "error=%s %s", pa_err_name(err.code), err.msg);
        return 1;
    }
    int rc = pa_scorecard_load(sc, cfg.dsn, &err);
    if (rc == PA_EINVAL) {
        fprintf(stderr, "pingan-report: %s\n", err.msg);
        status = 2;
        goto cleanup;
    }
    if (rc != PA_OK) {
        pa_log_error(&log, "error=%s could not read the scorecard: %s", pa_err_name(rc), err.msg);
        status = 1;
        goto cleanup;
    }
    /* The page first: a reader of stdout that goes away cannot lose it. */
    if (*cfg.html && s_write_html(sc, &opts, cfg.html, &err) != PA_OK) {
        pa_log_error(&log, "error=%s could not write the HTML page: %s", pa_err_name(err.code),
                     err.msg);
        status = 1;
        goto cleanup;
    }
    /* The page is written: from here a reader of stdout that goes away
     * (| head) ends the program quietly, as it does cat or grep. */
    signal(SIGPIPE, SIG_DFL);
    if (renderer->render(sc, &opts, stdout, &err) != PA_OK) {
        pa_log_error(&log, "error=%s could not write the %s output: %s", pa_err_name(err.code),
                     cfg.format, err.msg);
        status = 1;
        goto cleanup;
    }
    pa_log_info(&log, "rows=%zu done", pa_scorecard_row_count(sc));
cleanup:
    pa_scorecard_destroy(&sc);
    return status;
}
