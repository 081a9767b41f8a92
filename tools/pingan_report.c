/* pingan-report - print the target scorecard of a period (optionally of one
 * district) as a table, CSV or JSON, and write it as a self-contained HTML
 * page. Thin main: options, then pa_scorecard. Exit 0 when done, 2 on usage
 * errors, 1 when the database or the output failed. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "pa_config.h"
#include "pa_log.h"
#include "pa_period.h"
#include "pa_scorecard.h"

typedef struct {
    const char *period;    /* period id: 2024, 2024-Q1, 2024-03 */
    const char *district;  /* district code, "" = the whole city */
    const char *format;    /* table, csv or json */
    const char *html;      /* HTML output file, "" = none */
    const char *dsn;       /* libpq connection string, "" = PG* */
    const char *log_level; /* error, warn, info, debug */
} s_config_t;

static const pa_opt_t s_opts[] = {
    {"period", "PINGAN_REPORT_PERIOD", "", PA_OPT_STR, offsetof(s_config_t, period),
     "period id: 2024 (year), 2024-Q1 (quarter) or 2024-03 (month); required"},
    {"district", "PINGAN_REPORT_DISTRICT", "", PA_OPT_STR, offsetof(s_config_t, district),
     "only this district, e.g. 500101 (default: every district and the city)"},
    {"format", "PINGAN_REPORT_FORMAT", "table", PA_OPT_STR, offsetof(s_config_t, format),
     "standard output: table, csv or json"},
    {"html", "PINGAN_REPORT_HTML", "", PA_OPT_STR, offsetof(s_config_t, html),
     "also write a self-contained HTML page (heat map, trends) to this file"},
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

/* Writes the HTML page to a temporary name and renames it into place, so
 * that a failed run never leaves half a page behind. */
static int s_write_html(const pa_scorecard_t *sc, const char *path, pa_err_t *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return pa_err_set(err, PA_EINVAL, "--html: path too long");
    FILE *f = fopen(tmp, "w");
    if (!f)
        return pa_err_set(err, PA_EIO, "could not create %s: %s", tmp, strerror(errno));
    int rc = pa_scorecard_write_html(sc, f, err);
    if (fclose(f) != 0 && rc == PA_OK)
        rc = pa_err_set(err, PA_EIO, "could not write %s: %s", tmp, strerror(errno));
    if (rc == PA_OK && rename(tmp, path) != 0)
        rc = pa_err_set(err, PA_EIO, "could not rename %s to %s: %s", tmp, path, strerror(errno));
    if (rc != PA_OK)
        remove(tmp);
    return rc;
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
    if (!cfg.period || !*cfg.period) {
        fprintf(stderr, "pingan-report: --period is required (e.g. 2024, 2024-Q1, 2024-03)\n");
        return 2;
    }
    pa_period_t period;
    if (pa_period_parse(cfg.period, &period, &err) != PA_OK) {
        fprintf(stderr, "pingan-report: --period: %s\n", err.msg);
        return 2;
    }
    if (cfg.district && *cfg.district && !s_district_code(cfg.district)) {
        fprintf(stderr, "pingan-report: --district: '%s' is not a district code like 500101\n",
                cfg.district);
        return 2;
    }
    int (*render)(const pa_scorecard_t *, FILE *, pa_err_t *) = NULL;
    if (strcmp(cfg.format, "table") == 0)
        render = pa_scorecard_write_table;
    else if (strcmp(cfg.format, "csv") == 0)
        render = pa_scorecard_write_csv;
    else if (strcmp(cfg.format, "json") == 0)
        render = pa_scorecard_write_json;
    else {
        fprintf(stderr, "pingan-report: --format: '%s' is not table, csv or json\n", cfg.format);
        return 2;
    }
    pa_log_t log = {(pa_log_level_t)level, "report"};
    /* Never log the DSN: it may hold a password. */
    pa_log_info(&log, "period=%s district=%s format=%s html=%s starting", cfg.period,
                cfg.district && *cfg.district ? cfg.district : "all", cfg.format,
                cfg.html && *cfg.html ? cfg.html : "none");

    int status = 0;
    pa_scorecard_t *sc = pa_scorecard_new(&period, cfg.district, &err);
    if (!sc) {
        pa_log_error(&log, "error=%s %s", pa_err_name(err.code), err.msg);
        return 1;
    }
    int rc = pa_scorecard_load(sc, cfg.dsn, &err);
    if (rc == PA_EINVAL) {
        fprintf(stderr, "pingan-report: --district: %s\n", err.msg);
        status = 2;
        goto cleanup;
    }
    if (rc != PA_OK) {
        pa_log_error(&log, "error=%s could not read the scorecard: %s", pa_err_name(rc), err.msg);
        status = 1;
        goto cleanup;
    }
    if (pa_scorecard_row_count(sc) == 0)
        pa_log_warn(&log, "period=%s the views have no scorecard rows for this period", cfg.period);
    if (render(sc, stdout, &err) != PA_OK) {
        pa_log_error(&log, "error=%s could not write the %s output: %s", pa_err_name(err.code),
                     cfg.format, err.msg);
        status = 1;
        goto cleanup;
    }
    if (*cfg.html && s_write_html(sc, cfg.html, &err) != PA_OK) {
        pa_log_error(&log, "error=%s could not write the HTML page: %s", pa_err_name(err.code),
                     err.msg);
        status = 1;
        goto cleanup;
    }
    pa_log_info(&log, "rows=%zu done", pa_scorecard_row_count(sc));
cleanup:
    pa_scorecard_destroy(&sc);
    return status;
}
