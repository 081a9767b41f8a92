/* pingan-produce - send district report files to pingan workers.
 * Thin main: options, then pa_producer; exit 0 when every report was stored
 * (or already was), 1 when any was rejected, 2 for usage, I/O or delivery
 * failures. */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "pa_config.h"
#include "pa_log.h"
#include "pa_producer.h"

static volatile sig_atomic_t s_stop = 0;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static const pa_opt_t s_opts[] = {
    {"connect", "PINGAN_CONNECT", "tcp://127.0.0.1:5555", PA_OPT_STR,
     offsetof(pa_producer_config_t, connect), "worker endpoints, comma-separated"},
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
    {"dry-run", "PINGAN_DRY_RUN", "0", PA_OPT_BOOL, offsetof(pa_producer_config_t, dry_run),
     "check the files, send nothing"},
    {"quiet", "PINGAN_QUIET", "0", PA_OPT_BOOL, offsetof(pa_producer_config_t, quiet),
     "print only rejections and the summary"},
    {"errors", "PINGAN_ERRORS", "", PA_OPT_STR, offsetof(pa_producer_config_t, errors),
     "write rejections to this CSV file"},
    {"log-level", "PINGAN_LOG_LEVEL", "warn", PA_OPT_STR, offsetof(pa_producer_config_t, log_level),
     "error, warn, info or debug"},
    {NULL, NULL, NULL, 0, 0, NULL},
};

int main(int argc, char **argv)
{
    pa_producer_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    pa_err_t err;
    pa_err_clear(&err);
    static const pa_cli_t cli = {
        "pingan-produce",
        "usage: pingan-produce [OPTIONS] FILE... (FILE may be - for stdin)\n"
        "Sends district report files (CSV or JSON) to pingan workers.\n",
        "exit status: 0 all stored, 1 some rejected, 2 usage, I/O or delivery error", true,
        offsetof(pa_producer_config_t, log_level)};
    int first = 0, level = 0;
    int done = pa_config_cli(&cli, s_opts, &cfg, argc, argv, &first, &level);
    if (done >= 0)
        return done;
    if (first >= argc) {
        fprintf(stderr, "pingan-produce: no input file (see --help)\n");
        return 2;
    }
    if (pa_producer_config_validate(&cfg, &err) != PA_OK) {
        fprintf(stderr, "pingan-produce: %s\n", err.msg);
        return 2;
    }
    pa_log_t log = {(pa_log_level_t)level, "produce"};
    pa_log_info(&log, "connect=%s batch_reports=%d window=%d timeout_ms=%d retries=%d starting",
                cfg.connect, cfg.batch_reports, cfg.window, cfg.timeout_ms, cfg.retries);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int exit_code = 0;
    pa_producer_t *producer = pa_producer_new(&cfg, &log, stdout, &err);
    if (!producer) {
        fprintf(stderr, "pingan-produce: %s\n", err.msg);
        return 2;
    }
    for (int i = first; i < argc && !s_stop; i++) {
        if (pa_producer_send_file(producer, argv[i], &s_stop, &err) != PA_OK) {
            fprintf(stderr, "pingan-produce: %s\n", err.msg);
            exit_code = 2;
            if (err.code == PA_ESTOP)
                break;
        } else if (cfg.dry_run) {
            printf("%s: ok\n", argv[i]);
        }
    }
    if (pa_producer_finish(producer, &s_stop, &err) != PA_OK) {
        fprintf(stderr, "pingan-produce: %s\n", err.msg);
        exit_code = 2;
    }
    pa_producer_stats_t st;
    pa_producer_stats(producer, &st);
    fprintf(stderr,
            "pingan-produce: reports=%llu values=%llu stored=%llu duplicate=%llu "
            "rejected=%llu failed=%llu%s\n",
            (unsigned long long)st.reports, (unsigned long long)st.values,
            (unsigned long long)st.stored, (unsigned long long)st.duplicate,
            (unsigned long long)st.rejected, (unsigned long long)st.failed,
            cfg.dry_run ? " (dry run: nothing sent)" : "");
    pa_producer_destroy(&producer);
    if (exit_code == 0 && st.failed)
        exit_code = 2;
    if (exit_code == 0 && st.rejected)
        exit_code = 1;
    return exit_code;
}
