/* pingan-worker - receive district submissions, judge them, store them in
 * PostgreSQL and acknowledge each after commit. Thin main: options, then
 * pa_worker. SIGINT/SIGTERM: stop reading, store and acknowledge the batch
 * held, wait up to --linger-ms for the receipts to leave, exit (see
 * docs/reliability.md for the bound). SIGUSR1: log every counter. */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "pa_config.h"
#include "pa_log.h"
#include "pa_worker.h"

static volatile sig_atomic_t s_stop = 0;
static volatile sig_atomic_t s_dump = 0;   /* SIGUSR1: log every counter */
static volatile sig_atomic_t s_reload = 0; /* bumped by SIGHUP: re-read the allow-list */

static void s_on_signal(int sig)
{
    if (sig == SIGUSR1)
        s_dump = 1;
    else if (sig == SIGHUP)
        s_reload++;
    else
        s_stop = 1;
}

static const pa_opt_t s_opts[] = {
    {"bind", "PINGAN_BIND", "tcp://*:5555", PA_OPT_STR, offsetof(pa_worker_config_t, bind),
     "endpoints to bind, comma-separated"},
    {"dsn", "PINGAN_DSN", "", PA_OPT_STR, offsetof(pa_worker_config_t, dsn),
     "libpq connection string (default: PGHOST, PGPORT, PGDATABASE, PGUSER...)"},
    {"name", "PINGAN_NAME", "", PA_OPT_STR, offsetof(pa_worker_config_t, name),
     "worker name in logs and stored rows (default host:pid)"},
    {"batch-reports", "PINGAN_BATCH_REPORTS", "500", PA_OPT_INT,
     offsetof(pa_worker_config_t, batch_reports), "reports per database transaction"},
    {"batch-wait-ms", "PINGAN_BATCH_WAIT_MS", "5", PA_OPT_INT,
     offsetof(pa_worker_config_t, batch_wait_ms), "longest wait to fill a batch"},
    {"max-submission-bytes", "PINGAN_MAX_SUBMISSION_BYTES", "16777216", PA_OPT_INT,
     offsetof(pa_worker_config_t, admit.max_submission_bytes), "larger submissions are refused"},
    {"max-reports", "PINGAN_MAX_REPORTS", "1000", PA_OPT_INT,
     offsetof(pa_worker_config_t, admit.max_reports), "reports per submission"},
    {"max-values", "PINGAN_MAX_VALUES", "200000", PA_OPT_INT,
     offsetof(pa_worker_config_t, admit.max_values), "values per submission, all reports"},
    {"max-decode-bytes", "PINGAN_MAX_DECODE_BYTES", "33554432", PA_OPT_INT,
     offsetof(pa_worker_config_t, admit.max_decode_bytes),
     "memory decoding one submission may take; beyond it is refused (decode_budget)"},
    {"max-unknown-bytes", "PINGAN_MAX_UNKNOWN_BYTES", "4096", PA_OPT_INT,
     offsetof(pa_worker_config_t, admit.max_unknown_bytes),
     "unknown-field bytes a report may carry (unknown_fields beyond)"},
    {"send-hwm", "PINGAN_SEND_HWM", "64", PA_OPT_INT, offsetof(pa_worker_config_t, admit.send_hwm),
     "receipts queued per peer; beyond, receipts to it are dropped"},
    {"recv-hwm", "PINGAN_RECV_HWM", "2", PA_OPT_INT, offsetof(pa_worker_config_t, admit.recv_hwm),
     "submissions queued per peer before libzmq stops reading it"},
    {"heartbeat-ms", "PINGAN_HEARTBEAT_MS", "10000", PA_OPT_INT,
     offsetof(pa_worker_config_t, admit.heartbeat_ms),
     "ZMTP PING interval; a peer silent for 3 intervals is dropped (0 = off)"},
    {"max-peers", "PINGAN_MAX_PEERS", "1000", PA_OPT_INT,
     offsetof(pa_worker_config_t, admit.max_peers),
     "connections at once, lowered to leave 64 descriptors free; beyond, shut"},
    {"max-rss-mb", "PINGAN_MAX_RSS_MB", "160", PA_OPT_INT,
     offsetof(pa_worker_config_t, admit.max_rss_mb),
     "above this RSS the peer holding most of an unfinished message is shut (0 = off)"},
    {"retry-max-ms", "PINGAN_RETRY_MAX_MS", "5000", PA_OPT_INT,
     offsetof(pa_worker_config_t, retry_max_ms), "cap of the backoff while PostgreSQL is away"},
    {"connect-timeout-s", "PINGAN_CONNECT_TIMEOUT_S", "5", PA_OPT_INT,
     offsetof(pa_worker_config_t, connect_timeout_s),
     "give up connecting to PostgreSQL after (PGCONNECT_TIMEOUT wins)"},
    {"statement-timeout-ms", "PINGAN_STATEMENT_TIMEOUT_MS", "60000", PA_OPT_INT,
     offsetof(pa_worker_config_t, statement_timeout_ms),
     "server-side bound of each statement (0 = none)"},
    {"linger-ms", "PINGAN_LINGER_MS", "5000", PA_OPT_INT, offsetof(pa_worker_config_t, linger_ms),
     "at exit, longest wait for the last receipts to be sent"},
    {"metrics", "PINGAN_METRICS", "", PA_OPT_STR, offsetof(pa_worker_config_t, metrics),
     "serve Prometheus metrics on HOST:PORT at /metrics (:PORT = every interface)"},
    {"stats-interval-s", "PINGAN_STATS_INTERVAL_S", "60", PA_OPT_INT,
     offsetof(pa_worker_config_t, stats_interval_s),
     "log the main counters this often (0 = never)"},
    {"log-level", "PINGAN_LOG_LEVEL", "info", PA_OPT_STR, offsetof(pa_worker_config_t, log_level),
     "error, warn, info or debug"},
    {"secret-key", "PINGAN_SECRET_KEY_FILE", "", PA_OPT_STR,
     offsetof(pa_worker_config_t, secret_key), "CURVE secret key file (pingan-keygen)"},
    {"allow-list", "PINGAN_ALLOW_LIST", "", PA_OPT_STR, offsetof(pa_worker_config_t, allow_list),
     "allowed keys and their districts; re-read on SIGHUP (docs/security.md)"},
    {"insecure", "PINGAN_INSECURE", "0", PA_OPT_BOOL, offsetof(pa_worker_config_t, insecure),
     "allow a non-loopback --bind without keys: anyone reaching it writes any district"},
    {"init-db", NULL, "0", PA_OPT_BOOL, offsetof(pa_worker_config_t, init_db),
     "create or migrate the schema and reference data, then exit"},
    {"rebuild", NULL, "0", PA_OPT_BOOL, offsetof(pa_worker_config_t, rebuild),
     "recompute every aggregate from the stored reports, then exit"},
    {"void", NULL, "", PA_OPT_STR, offsetof(pa_worker_config_t, void_report),
     "void the stored report with this report_id (its previous revision is current again), "
     "then exit"},
    {"void-reason", NULL, "", PA_OPT_STR, offsetof(pa_worker_config_t, void_reason),
     "why, kept with the voided report (required with --void)"},
    {"prune-quarantine", NULL, "0", PA_OPT_INT, offsetof(pa_worker_config_t, prune_days),
     "delete quarantine rows older than DAYS, 1..36500 (retention: 90), then exit"},
    {NULL, NULL, NULL, 0, 0, NULL},
};

int main(int argc, char **argv)
{
    pa_worker_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    pa_err_t err;
    pa_err_clear(&err);
    static const pa_cli_t cli = {
        "pingan-worker",
        "usage: pingan-worker [OPTIONS]\n"
        "Receives pingan submissions over ZeroMQ and stores them in PostgreSQL.\n",
        NULL, false, offsetof(pa_worker_config_t, log_level)};
    int first = 0, level = 0;
    int done = pa_config_cli(&cli, s_opts, &cfg, argc, argv, &first, &level);
    if (done >= 0)
        return done;
    if (pa_worker_config_validate(&cfg, &err) != PA_OK) {
        fprintf(stderr, "pingan-worker: %s\n", err.msg);
        return 2;
    }
    pa_log_t log = {(pa_log_level_t)level, "worker"};
    if (cfg.init_db) {
        int applied = 0;
        if (pa_worker_init_db(&cfg, &log, &applied, &err) != PA_OK) {
            pa_log_error(&log, "error=%s could not initialise the database: %s",
                         pa_err_name(err.code), err.msg);
            return 1;
        }
        pa_log_info(&log, "applied=%d database schema is up to date", applied);
        return 0;
    }
    if (cfg.void_report && *cfg.void_report) {
        pa_maint_voided_t v;
        if (pa_worker_void(&cfg, &log, &v, &err) != PA_OK) {
            pa_log_error(&log, "error=%s report_id=%s could not void the report: %s",
                         pa_err_name(err.code), cfg.void_report, err.msg);
            return 1;
        }
        pa_log_info(&log,
                    "report_id=%s district=%s period_type=%s period_start=%s revision=%d "
                    "current_revision=%d voided; aggregation is queued",
                    cfg.void_report, v.district, v.period_type, v.period_start, v.voided_revision,
                    v.current_revision);
        return 0;
    }
    if (cfg.prune_days > 0) {
        long long rows = 0;
        if (pa_worker_prune(&cfg, &log, &rows, &err) != PA_OK) {
            pa_log_error(&log, "error=%s could not prune the quarantine: %s", pa_err_name(err.code),
                         err.msg);
            return 1;
        }
        pa_log_info(&log, "rows=%lld days=%d quarantine rows older than that deleted", rows,
                    cfg.prune_days);
        return 0;
    }
    if (cfg.rebuild) {
        long long rows = 0;
        if (pa_worker_rebuild(&cfg, &log, &rows, &err) != PA_OK) {
            pa_log_error(&log, "error=%s could not rebuild the aggregates: %s",
                         pa_err_name(err.code), err.msg);
            return 1;
        }
        pa_log_info(&log, "rows=%lld aggregates rebuilt from the stored reports", rows);
        return 0;
    }
    /* Never log the DSN: it may hold a password. */
    pa_log_info(&log,
                "bind=%s metrics=%s batch_reports=%d batch_wait_ms=%d max_submission_bytes=%d "
                "max_reports=%d max_values=%d max_decode_bytes=%d max_unknown_bytes=%d "
                "send_hwm=%d recv_hwm=%d heartbeat_ms=%d max_peers=%d max_rss_mb=%d "
                "stats_interval_s=%d starting",
                cfg.bind, *cfg.metrics ? cfg.metrics : "off", cfg.batch_reports, cfg.batch_wait_ms,
                cfg.admit.max_submission_bytes, cfg.admit.max_reports, cfg.admit.max_values,
                cfg.admit.max_decode_bytes, cfg.admit.max_unknown_bytes, cfg.admit.send_hwm,
                cfg.admit.recv_hwm, cfg.admit.heartbeat_ms, cfg.admit.max_peers,
                cfg.admit.max_rss_mb, cfg.stats_interval_s);
    if (cfg.secret_key && *cfg.secret_key)
        pa_log_info(&log, "secret_key=%s allow_list=%s CURVE on: only listed keys may connect",
                    cfg.secret_key, cfg.allow_list);
    else
        pa_log_warn(&log,
                    "bind=%s INSECURE: no CURVE keys, anyone who can reach this endpoint writes "
                    "any district's figures (--secret-key, --allow-list: docs/security.md)",
                    cfg.bind);
    cfg.reload = &s_reload;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    pa_worker_t *worker = pa_worker_new(&cfg, &log, &err);
    if (!worker) {
        pa_log_error(&log, "error=%s could not start: %s", pa_err_name(err.code), err.msg);
        return 1;
    }
    int rc = pa_worker_run(worker, &s_stop, &s_dump, &err);
    if (rc != PA_OK)
        pa_log_error(&log, "error=%s stopped: %s", pa_err_name(rc), err.msg);
    pa_worker_destroy(&worker);
    return rc == PA_OK ? 0 : 1;
}
