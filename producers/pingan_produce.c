/* pingan-produce - send district report files to pingan workers.
 * Thin main: options, then pa_producer; this program prints what became of
 * each report (stdout, the --errors CSV) and checks every write. Exit 0
 * when every report was stored (or already was: duplicate, superseded), 1
 * when any was rejected,
 * 2 for usage, I/O or delivery failures, or when not everything was
 * settled (stopped, deadline, no worker). */
#include <csv.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include "pa_ask.h"
#include "pa_config.h"
#include "pa_form.h"
#include "pa_log.h"
#include "pa_producer.h"
#include "pa_tally.h"

#define PA_DEFAULT_CONNECT "tcp://127.0.0.1:5555"

static volatile sig_atomic_t s_stop = 0;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static const pa_opt_t s_opts[] = {
    {"connect", "PINGAN_CONNECT", "", PA_OPT_STR, offsetof(pa_producer_config_t, connect),
     "worker endpoints, comma-separated (default " PA_DEFAULT_CONNECT
     "; a --dry-run asks a worker only when given)"},
    {"sender", "PINGAN_SENDER", "", PA_OPT_STR, offsetof(pa_producer_config_t, sender),
     "name of this producer in the audit trail (default host:pid)"},
    {"format", "PINGAN_FORMAT", "", PA_OPT_STR, offsetof(pa_producer_config_t, format),
     "csv or json (default: from the file name; needed for stdin)"},
    {"batch-reports", "PINGAN_BATCH_REPORTS", "50", PA_OPT_INT,
     offsetof(pa_producer_config_t, batch_reports), "reports per submission"},
    {"window", "PINGAN_WINDOW", "32", PA_OPT_INT, offsetof(pa_producer_config_t, window),
     "submissions in flight before waiting for receipts"},
    {"timeout-ms", "PINGAN_TIMEOUT_MS", "10000", PA_OPT_INT,
     offsetof(pa_producer_config_t, timeout_ms), "resend a submission without receipt after"},
    {"retries", "PINGAN_RETRIES", "5", PA_OPT_INT, offsetof(pa_producer_config_t, retries),
     "resends before giving a submission up"},
    {"deadline", "PINGAN_DEADLINE", "0", PA_OPT_INT, offsetof(pa_producer_config_t, deadline_s),
     "seconds the whole run may take, then give up what is unsettled (0 = no bound)"},
    {"dry-run", "PINGAN_DRY_RUN", "0", PA_OPT_BOOL, offsetof(pa_producer_config_t, dry_run),
     "judge the files as a real submission would, store nothing (with --connect: the worker "
     "judges; without: syntax only)"},
    {"withdraw", NULL, "0", PA_OPT_BOOL, offsetof(pa_producer_config_t, withdraw),
     "instead of files, withdraw what is stored for --district and --period by a void revision "
     "--revision (above the current one)"},
    {"revision", NULL, "0", PA_OPT_INT, offsetof(pa_producer_config_t, revision),
     "with --withdraw: the void revision"},
    {"quiet", "PINGAN_QUIET", "0", PA_OPT_BOOL, offsetof(pa_producer_config_t, quiet),
     "print only rejections and the summary"},
    {"progress", "PINGAN_PROGRESS", "0", PA_OPT_BOOL, offsetof(pa_producer_config_t, progress),
     "a progress line on stderr every second: sent, acknowledged, rate, ETA"},
    {"errors", "PINGAN_ERRORS", "", PA_OPT_STR, offsetof(pa_producer_config_t, errors),
     "write rejections to this CSV file"},
    {"ignore-columns", "PINGAN_IGNORE_COLUMNS", "", PA_OPT_STR,
     offsetof(pa_producer_config_t, ignore_columns),
     "CSV columns to skip, comma-separated (e.g. remarks,checked_by)"},
    {"key", "PINGAN_KEY_FILE", "", PA_OPT_STR, offsetof(pa_producer_config_t, key),
     "CURVE secret key file of this office (pingan-keygen; docs/security.md)"},
    {"server-key", "PINGAN_SERVER_KEY_FILE", "", PA_OPT_STR,
     offsetof(pa_producer_config_t, server_key), "the worker's CURVE public key file"},
    {"log-level", "PINGAN_LOG_LEVEL", "warn", PA_OPT_STR, offsetof(pa_producer_config_t, log_level),
     "error, warn, info or debug"},
    {"status", "PINGAN_STATUS", "0", PA_OPT_BOOL, offsetof(pa_producer_config_t, status),
     "ask the worker what --district submitted and its recent rejections (needs --connect)"},
    {"list-indicators", "PINGAN_LIST_INDICATORS", "0", PA_OPT_BOOL,
     offsetof(pa_producer_config_t, list_indicators),
     "print the worker's indicator catalogue (needs --connect)"},
    {"template", "PINGAN_TEMPLATE", "0", PA_OPT_BOOL, offsetof(pa_producer_config_t, template_csv),
     "write the CSV form of --district for --period: every expected row, values blank (needs "
     "--connect)"},
    {"district", "PINGAN_DISTRICT", "", PA_OPT_STR, offsetof(pa_producer_config_t, district),
     "district code for --withdraw, --status and --template"},
    {"period", "PINGAN_PERIOD", "", PA_OPT_STR, offsetof(pa_producer_config_t, period),
     "period for --withdraw and --template, or to narrow --status (2024-03, 2024-Q1, ...)"},
    {"since", "PINGAN_SINCE", "", PA_OPT_STR, offsetof(pa_producer_config_t, since),
     "--status: only what the worker received since this day (YYYY-MM-DD, China time)"},
    {"output", "PINGAN_OUTPUT", "", PA_OPT_STR, offsetof(pa_producer_config_t, output),
     "--template: write the form to this file instead of standard output"},
    {NULL, NULL, NULL, 0, 0, NULL},
};

/* Where the program writes; a failed write is remembered, never ignored. */
typedef struct {
    const pa_producer_config_t *cfg;
    FILE *out;
    FILE *errors; /* --errors CSV, or NULL */
    int out_errno, errors_errno;
    pa_tally_t *tally; /* the summary table; NULL when out of memory */
    bool tally_failed;
} s_sink_t;

static void s_count(s_sink_t *s, const pa_summary_t *r, int status, const pa_problems_t *pr)
{
    if (s->tally && pa_tally_add(s->tally, r->district, r->period, status, pr, NULL) != PA_OK)
        s->tally_failed = true;
}

static void s_check(FILE *f, int rc, int *saved)
{
    if (rc < 0 && !*saved)
        *saved = errno ? errno : EIO;
    (void)f;
}

static void s_csv_field(s_sink_t *s, const char *v, bool last)
{
    if (csv_fwrite(s->errors, v, strlen(v)) != 0 && !s->errors_errno)
        s->errors_errno = errno ? errno : EIO;
    s_check(s->errors, fputc(last ? '\n' : ',', s->errors), &s->errors_errno);
}

/* "FILE:LINE: " when the place is known. */
static void s_place(char *buf, size_t size, const pa_where_t *w)
{
    buf[0] = '\0';
    if (w && w->file && *w->file && w->line)
        snprintf(buf, size, "%s:%zu: ", w->file, w->line);
    else if (w && w->file && *w->file)
        snprintf(buf, size, "%s: ", w->file);
}

static void s_print_rejection(s_sink_t *s, const pa_summary_t *r, const pa_problem_t *p,
                              const pa_where_t *w, bool dry_run)
{
    char place[600], value[80] = "";
    s_place(place, sizeof place, w);
    if (w && w->town[0] && w->indicator[0])
        snprintf(value, sizeof value, "town %s %s: ", w->town, w->indicator);
    else if (w && w->town[0])
        snprintf(value, sizeof value, "town %s: ", w->town);
    else if (w && w->indicator[0])
        snprintf(value, sizeof value, "%s: ", w->indicator);
    s_check(s->out,
            fprintf(s->out, "%s%s %s %s %s: %s%s: %s (%s)\n", place,
                    dry_run ? "would reject" : "rejected", r->district, r->period, r->report_id,
                    value, p->field[0] ? p->field : "report", p->message,
                    pa_reason_name(p->reason)),
            &s->out_errno);
    if (!s->errors)
        return;
    char rev[16], line[24] = "";
    snprintf(rev, sizeof rev, "%u", r->revision);
    if (w && w->line)
        snprintf(line, sizeof line, "%zu", w->line);
    s_csv_field(s, w && w->file ? w->file : "", false);
    s_csv_field(s, line, false);
    s_csv_field(s, r->district, false);
    s_csv_field(s, r->period, false);
    s_csv_field(s, w ? w->town : "", false);
    s_csv_field(s, w ? w->indicator : "", false);
    s_csv_field(s, p->field, false);
    s_csv_field(s, pa_reason_name(p->reason), false);
    s_csv_field(s, p->message, false);
    s_csv_field(s, rev, false);
    s_csv_field(s, r->report_id, true);
}

/* The verb of a settled line: "stored" or, in a dry run, "would store". */
static const char *s_verb(int status, bool dry_run)
{
    switch (status) {
    case PA_STATUS_STORED:
        return dry_run ? "would store" : "stored";
    case PA_STATUS_DUPLICATE:
        return dry_run ? "would be duplicate" : "duplicate";
    case PA_STATUS_SUPERSEDED:
        return dry_run ? "would be superseded" : "superseded";
    default:
        return dry_run ? "would reject" : "rejected";
    }
}

static void s_on_settled(void *arg, const pa_summary_t *r, const pa_verdict_t *v)
{
    s_sink_t *s = arg;
    const char *verb = s_verb(v->status, v->dry_run);
    s_count(s, r, v->status, v->problems);
    if (r->withdraw && (v->status == PA_STATUS_STORED || v->status == PA_STATUS_DUPLICATE)) {
        verb = v->status == PA_STATUS_DUPLICATE ? "already withdrawn"
               : v->dry_run                     ? "would withdraw"
                                                : "withdrawn";
        if (!s->cfg->quiet)
            s_check(s->out,
                    fprintf(s->out, "%s %s %s r%u %s\n", verb, r->district, r->period, r->revision,
                            r->report_id),
                    &s->out_errno);
        return;
    }
    if (v->status == PA_STATUS_STORED || v->status == PA_STATUS_DUPLICATE) {
        if (!s->cfg->quiet)
            s_check(s->out,
                    fprintf(s->out, "%s %s %s r%u %s values=%zu\n", verb, r->district, r->period,
                            r->revision, r->report_id, r->n_values),
                    &s->out_errno);
        return;
    }
    if (v->status == PA_STATUS_SUPERSEDED) {
        if (!s->cfg->quiet)
            s_check(s->out,
                    fprintf(s->out, "%s %s %s r%u %s: r%u is current\n", verb, r->district,
                            r->period, r->revision, r->report_id, v->current_revision),
                    &s->out_errno);
        return;
    }
    const pa_problems_t *problems = v->problems;
    pa_problem_t none = {PA_REASON_NONE, "", "rejected without a stated reason"};
    if (!problems || !problems->n)
        s_print_rejection(s, r, &none, NULL, v->dry_run);
    for (size_t i = 0; problems && i < problems->n; i++)
        s_print_rejection(s, r, &problems->items[i], v->where ? &v->where[i] : NULL, v->dry_run);
}

/* A syntax error as a row of --errors: "FILE:LINE:COL: field: reason"
 * split into its file, line and the rest. */
static void s_on_syntax(void *arg, const char *file, const char *message)
{
    s_sink_t *s = arg;
    if (!s->errors)
        return;
    size_t n = strlen(file);
    const char *rest = message;
    char line[24] = "";
    if (strncmp(message, file, n) == 0 && message[n] == ':') {
        rest = message + n + 1;
        size_t d = strspn(rest, "0123456789");
        if (d && d < sizeof line && rest[d] == ':') {
            memcpy(line, rest, d);
            line[d] = '\0';
            rest += d + 1;
            rest += strspn(rest, "0123456789"); /* the column, if any */
            if (*rest == ':')
                rest++;
        }
        rest += strspn(rest, " ");
    }
    s_csv_field(s, file, false);
    s_csv_field(s, line, false);
    for (int i = 0; i < 5; i++) /* district, period, town, indicator, field */
        s_csv_field(s, "", false);
    s_csv_field(s, "syntax_error", false);
    s_csv_field(s, rest, false);
    s_csv_field(s, "", false);
    s_csv_field(s, "", true);
}

static void s_on_failed(void *arg, const pa_summary_t *r, const char *why)
{
    s_sink_t *s = arg;
    s_count(s, r, PA_STATUS_NONE, NULL);
    s_check(s->out,
            fprintf(s->out, "failed %s %s %s: %s\n", r->district, r->period, r->report_id, why),
            &s->out_errno);
}

/* One stderr line: reports sent and acknowledged (settled) of those read so
 * far, the acknowledgement rate, and the time left at that rate. */
static void s_on_progress(void *arg, const pa_producer_stats_t *st, int64_t elapsed_ms, bool final)
{
    (void)arg;
    uint64_t acked = st->stored + st->duplicate + st->rejected;
    uint64_t done = acked + st->failed + st->unsent;
    uint64_t open = st->reports > done ? st->reports - done : 0;
    double rate = elapsed_ms > 0 ? (double)acked * 1000.0 / (double)elapsed_ms : 0;
    char eta[32] = "?";
    if (open == 0)
        snprintf(eta, sizeof eta, "0s");
    else if (rate > 0)
        snprintf(eta, sizeof eta, "%.0fs", (double)open / rate + 0.5);
    fprintf(stderr,
            "pingan-produce: progress sent=%llu/%llu acknowledged=%llu rate=%.0f/s eta=%s "
            "elapsed=%.1fs%s\n",
            (unsigned long long)st->sent, (unsigned long long)st->reports,
            (unsigned long long)acked, rate, eta, (double)elapsed_ms / 1000.0,
            final ? " done" : "");
}

/* The summary tables on stderr, after the per-report lines. */
static void s_print_tally(s_sink_t *s, bool dry_run)
{
    pa_buf_t b = {0};
    if (s->tally)
        pa_tally_render(s->tally,
                        dry_run ? "dry run: what a real submission would do (nothing was stored)"
                                : "summary: what became of the reports",
                        &b);
    if (b.failed || s->tally_failed || !s->tally)
        fprintf(stderr, "pingan-produce: out of memory: the summary table is incomplete\n");
    if (b.len)
        fwrite(b.data, 1, b.len, stderr);
    pa_buf_free(&b);
}

/* Flushes and closes what was written; false (after saying why) if any
 * write failed: the rejection list is then incomplete. */
static bool s_close_outputs(s_sink_t *s)
{
    bool ok = true;
    if (fflush(s->out) != 0 && !s->out_errno)
        s->out_errno = errno ? errno : EIO;
    if (s->out_errno) {
        fprintf(stderr, "pingan-produce: could not write standard output: %s\n",
                strerror(s->out_errno));
        ok = false;
    }
    if (s->errors) {
        if (fclose(s->errors) != 0 && !s->errors_errno)
            s->errors_errno = errno ? errno : EIO;
        s->errors = NULL;
        if (s->errors_errno) {
            fprintf(stderr,
                    "pingan-produce: could not write %s: %s: the rejection list is "
                    "incomplete\n",
                    s->cfg->errors, strerror(s->errors_errno));
            ok = false;
        }
    }
    return ok;
}

/* Whether --connect (or PINGAN_CONNECT) was given: a question needs a worker,
 * and the default endpoint is only a guess. */
static bool s_connect_given(int argc, char **argv)
{
    const char *env = getenv("PINGAN_CONNECT");
    if (env && *env)
        return true;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--connect") == 0 || strncmp(argv[i], "--connect=", 10) == 0)
            return true;
    return false;
}

/* --status, --list-indicators, --template: one question to a worker, its
 * answer printed (or written). Exit 0 answered, 1 refused by the worker, 2
 * usage, I/O or no worker. */
static int s_ask_main(const pa_producer_config_t *cfg, int argc, char **argv, int first)
{
    const char *what = cfg->status         ? "--status"
                       : cfg->template_csv ? "--template"
                                           : "--list-indicators";
    pa_err_t err;
    pa_err_clear(&err);
    if (cfg->status + cfg->list_indicators + cfg->template_csv > 1) {
        fprintf(stderr, "pingan-produce: --status, --list-indicators and --template go alone\n");
        return 2;
    }
    if (first < argc) {
        fprintf(stderr, "pingan-produce: %s takes no input file (%s)\n", what, argv[first]);
        return 2;
    }
    if (!s_connect_given(argc, argv)) {
        fprintf(stderr, "pingan-produce: %s asks a worker: give --connect EP (or PINGAN_CONNECT)\n",
                what);
        return 2;
    }
    if ((cfg->status || cfg->template_csv) && !*cfg->district) {
        fprintf(stderr, "pingan-produce: %s needs --district CODE\n", what);
        return 2;
    }
    pa_period_t period = {PA_PERIOD_NONE, 0};
    if (cfg->template_csv && pa_period_parse(cfg->period, &period, NULL) != PA_OK) {
        fprintf(stderr, "pingan-produce: --template needs --period P (2024-03, 2024-Q1, ...)%s%s\n",
                *cfg->period ? ": not a period: " : "", cfg->period);
        return 2;
    }
    if (cfg->status && *cfg->period && *cfg->since) {
        fprintf(stderr, "pingan-produce: --status takes --period or --since, not both\n");
        return 2;
    }
    pa_query_t q;
    if (pa_query_from_args(&q, cfg->status ? PA_QUERY_STATUS : PA_QUERY_CATALOGUE, cfg->district,
                           cfg->period, cfg->since, &err) != PA_OK) {
        fprintf(stderr, "pingan-produce: %s\n", err.msg);
        return 2;
    }
    char sender[128];
    snprintf(sender, sizeof sender, "%s", *cfg->sender ? cfg->sender : "pingan-produce");
    pa_ask_config_t ask = {cfg->connect,    sender,          cfg->key,
                           cfg->server_key, cfg->timeout_ms, cfg->retries};
    pa_answer_t *a = NULL;
    int reason = 0;
    int rc = pa_ask(&ask, &q, &a, &reason, &err);
    if (rc != PA_OK) {
        fprintf(stderr, "pingan-produce: %s: %s\n", what, err.msg);
        return rc == PA_EREJECT ? 1 : 2;
    }
    FILE *out = stdout;
    size_t rows = 0;
    if (cfg->template_csv && *cfg->output && !(out = fopen(cfg->output, "w"))) {
        fprintf(stderr, "pingan-produce: could not write %s: %s\n", cfg->output, strerror(errno));
        pa_answer_destroy(&a);
        return 2;
    }
    rc = cfg->status         ? pa_form_status(out, a, cfg->district, &err)
         : cfg->template_csv ? pa_form_template(out, a, cfg->district, &period, &rows, &err)
                             : pa_form_catalogue(out, a, &err);
    if (out != stdout && fclose(out) != 0 && rc == PA_OK)
        rc = pa_err_set(&err, PA_EIO, "%s", strerror(errno));
    pa_answer_destroy(&a);
    if (rc != PA_OK) {
        fprintf(stderr, "pingan-produce: %s: %s\n", what, err.msg);
        return 2;
    }
    if (cfg->template_csv)
        fprintf(stderr, "pingan-produce: wrote %zu rows for district %s, period %s%s%s\n", rows,
                cfg->district, cfg->period, *cfg->output ? " to " : "", cfg->output);
    return 0;
}

int main(int argc, char **argv)
{
    pa_producer_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    pa_err_t err;
    pa_err_clear(&err);
    static const pa_cli_t cli = {
        "pingan-produce",
        "usage: pingan-produce [OPTIONS] FILE... (FILE may be - for stdin)\n"
        "       pingan-produce --connect EP --status --district CODE [--period P|--since DATE]\n"
        "       pingan-produce --connect EP --list-indicators\n"
        "       pingan-produce [OPTIONS] --withdraw --district CODE --period P --revision N\n"
        "       pingan-produce --connect EP --template --district CODE --period P [--output "
        "FILE]\n"
        "Sends district report files (CSV or JSON) to pingan workers (--dry-run --connect EP: the\n"
        "worker judges them and stores nothing), or asks a worker what a\n"
        "district submitted, the indicator catalogue, or the CSV form to fill.\n",
        "exit status: 0 all stored (or already: duplicate, superseded; a question answered), 1 "
        "some rejected (a question refused), "
        "2 usage, I/O or delivery error, or not every report settled (stopped, --deadline, no "
        "worker). A --dry-run exits as the real run would.",
        true, offsetof(pa_producer_config_t, log_level)};
    int first = 0, level = 0;
    int done = pa_config_cli(&cli, s_opts, &cfg, argc, argv, &first, &level);
    if (done >= 0)
        return done;
    if (cfg.status || cfg.list_indicators || cfg.template_csv)
        return s_ask_main(&cfg, argc, argv, first);
    if (cfg.withdraw && first < argc) {
        fprintf(stderr, "pingan-produce: --withdraw takes no FILE: it sends one void revision for "
                        "--district, --period and --revision\n");
        return 2;
    }
    if (!cfg.withdraw && first >= argc) {
        fprintf(stderr, "pingan-produce: no input file (see --help)\n");
        return 2;
    }
    if (!cfg.dry_run && (!cfg.connect || !*cfg.connect))
        cfg.connect = PA_DEFAULT_CONNECT;
    bool offline = pa_producer_offline(&cfg);
    if (pa_producer_config_validate(&cfg, &err) != PA_OK) {
        fprintf(stderr, "pingan-produce: %s\n", err.msg);
        return 2;
    }
    pa_log_t log = {(pa_log_level_t)level, "produce"};
    pa_log_info(&log,
                "connect=%s batch_reports=%d window=%d timeout_ms=%d retries=%d deadline_s=%d "
                "starting",
                cfg.connect, cfg.batch_reports, cfg.window, cfg.timeout_ms, cfg.retries,
                cfg.deadline_s);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    s_sink_t sink = {&cfg, stdout, NULL, 0, 0, pa_tally_new(), false};
    if (cfg.errors && *cfg.errors) {
        sink.errors = fopen(cfg.errors, "w");
        if (!sink.errors) {
            fprintf(stderr, "pingan-produce: could not write %s: %s\n", cfg.errors,
                    strerror(errno));
            pa_tally_destroy(&sink.tally);
            return 2;
        }
        s_check(sink.errors,
                fputs("file,line,district,period,town,indicator,field,reason,message,revision,"
                      "report_id\n",
                      sink.errors),
                &sink.errors_errno);
    }
    int exit_code = 0;
    pa_producer_events_t ev = {s_on_settled, s_on_failed, s_on_progress, s_on_syntax, &sink};
    pa_producer_t *producer = pa_producer_new(&cfg, &log, &ev, &err);
    if (!producer) {
        fprintf(stderr, "pingan-produce: %s\n", err.msg);
        s_close_outputs(&sink);
        pa_tally_destroy(&sink.tally);
        return 2;
    }
    if (cfg.withdraw && pa_producer_withdraw(producer, cfg.district, cfg.period,
                                             cfg.revision > 0 ? (uint32_t)cfg.revision : 0, &s_stop,
                                             &err) != PA_OK) {
        fprintf(stderr, "pingan-produce: %s\n", err.msg);
        exit_code = 2;
    }
    for (int i = first; i < argc && !s_stop; i++) {
        if (pa_producer_send_file(producer, argv[i], &s_stop, &err) != PA_OK) {
            fprintf(stderr, "pingan-produce: %s\n", err.msg);
            exit_code = 2;
            if (err.code == PA_ESTOP || err.code == PA_ETIMEOUT)
                break;
        } else if (offline) {
            s_check(stdout, printf("%s: ok (syntax only: no worker was asked)\n", argv[i]),
                    &sink.out_errno);
        }
    }
    pa_err_t ferr;
    pa_err_clear(&ferr);
    int frc = pa_producer_finish(producer, &s_stop, &ferr);
    if (frc != PA_OK) {
        if (frc != err.code || strcmp(ferr.msg, err.msg) != 0)
            fprintf(stderr, "pingan-produce: %s\n", ferr.msg);
        exit_code = 2;
    }
    pa_producer_stats_t st;
    pa_producer_stats(producer, &st);
    pa_producer_destroy(&producer);
    if (!s_close_outputs(&sink))
        exit_code = 2;
    s_print_tally(&sink, cfg.dry_run);
    pa_tally_destroy(&sink.tally);
    uint64_t settled = st.stored + st.duplicate + st.superseded + st.rejected;
    uint64_t unsettled = st.failed + st.unsent;
    fprintf(stderr,
            "pingan-produce: reports=%llu values=%llu stored=%llu duplicate=%llu "
            "rejected=%llu failed=%llu unsent=%llu settled=%llu unsettled=%llu receipts=%llu "
            "superseded=%llu%s\n",
            (unsigned long long)st.reports, (unsigned long long)st.values,
            (unsigned long long)st.stored, (unsigned long long)st.duplicate,
            (unsigned long long)st.rejected, (unsigned long long)st.failed,
            (unsigned long long)st.unsent, (unsigned long long)settled,
            (unsigned long long)unsettled, (unsigned long long)st.receipts,
            (unsigned long long)st.superseded,
            offline       ? " (dry run, syntax only: no worker was asked, nothing was sent)"
            : cfg.dry_run ? " (dry run: nothing was stored)"
                          : "");
    if (exit_code == 0 && (unsettled || settled < st.reports) && !offline)
        exit_code = 2;
    if (exit_code == 0 && st.rejected)
        exit_code = 1;
    return exit_code;
}
