/* pa_worker.h - the worker's loop: receive submissions on a ROUTER socket,
 * judge them, store them in batches and answer each with a receipt only
 * after its batch has committed. Owns its socket and its store connection. */
#ifndef PA_WORKER_H
#define PA_WORKER_H

#include <signal.h>
#include <stdbool.h>

#include "pa_admit.h"
#include "pa_err.h"
#include "pa_log.h"
#include "pa_maint.h"

typedef struct {
    const char *bind;         /* comma-separated ZeroMQ endpoints to bind */
    const char *dsn;          /* libpq connection string; "" = PG* environment */
    const char *name;         /* identity in logs, receipts and stored rows; "" = host:pid */
    int batch_reports;        /* flush once this many reports are pending */
    int batch_wait_ms;        /* ... or this long after the oldest pending one arrived */
    pa_admit_t admit;         /* what one peer may make the worker spend */
    int retry_max_ms;         /* cap of the doubling backoff while PostgreSQL is away */
    int connect_timeout_s;    /* libpq connect_timeout of every session */
    int statement_timeout_ms; /* server-side bound of every statement (0 = none) */
    int linger_ms;            /* at exit, longest wait for queued receipts to leave */
    const char *metrics;      /* HOST:PORT serving /metrics; "" = none (pa_metrics) */
    int stats_interval_s;     /* counters logged at info this often; 0 = never */
    const char *log_level;
    const char *secret_key; /* CURVE secret key file; "" = no CURVE (docs/security.md) */
    const char *allow_list; /* keys and the districts each may write; with secret_key */
    bool insecure;          /* allow a non-local bind without keys */
    const volatile sig_atomic_t
        *reload;             /* set by the program: re-read allow_list when it changes */
    bool init_db;            /* create or migrate the schema, then exit */
    bool rebuild;            /* recompute every aggregate from the stored reports, then exit */
    const char *void_report; /* report_id to void, then exit; "" = none */
    const char *void_reason; /* why (required with void_report) */
    int prune_days; /* delete quarantine rows older than this many days, then exit; 0 = no */
} pa_worker_config_t;

/* Checks ranges once at start-up; PA_EINVAL names the setting. */
int pa_worker_config_validate(const pa_worker_config_t *cfg, pa_err_t *err);
/* The part of validation about keys (docs/security.md): --secret-key and
 * --allow-list together, and without them only a local --bind unless
 * --insecure. Pure. */
int pa_worker_config_security(const pa_worker_config_t *cfg, pa_err_t *err);

typedef struct pa_worker pa_worker_t;

/* Connects to PostgreSQL (refusing an uninitialised or outdated schema),
 * loads the catalogue and binds. cfg and log must outlive the worker. */
pa_worker_t *pa_worker_new(const pa_worker_config_t *cfg, const pa_log_t *log, pa_err_t *err);
void pa_worker_destroy(pa_worker_t **self_p);

/* Runs until *stop becomes non-zero or a fatal error. On a stop it reads
 * nothing more, stores the batch it holds (one attempt; RETRY_LATER if
 * that fails) and answers it; pa_worker_destroy then waits up to
 * cfg->linger_ms for the receipts to leave. Whenever *dump (may be NULL)
 * is non-zero it logs every counter and resets it to 0 (a SIGUSR1
 * handler raises it). Returns PA_OK on a clean stop. */
int pa_worker_run(pa_worker_t *self, const volatile sig_atomic_t *stop, volatile sig_atomic_t *dump,
                  pa_err_t *err);

/* Creates or migrates the schema of the database cfg->dsn names (no
 * statement timeout). log gets server notices. */
int pa_worker_init_db(const pa_worker_config_t *cfg, const pa_log_t *log, int *applied,
                      pa_err_t *err);

/* The operator's commands (pa_maint.h) on the database cfg->dsn names:
 * void cfg->void_report, or prune the quarantine to cfg->prune_days. */
int pa_worker_void(const pa_worker_config_t *cfg, const pa_log_t *log, pa_maint_voided_t *out,
                   pa_err_t *err);
int pa_worker_prune(const pa_worker_config_t *cfg, const pa_log_t *log, long long *rows,
                    pa_err_t *err);

/* Recomputes every aggregate of the database cfg->dsn names (*rows: how
 * many aggregate rows there are now; no statement timeout). */
int pa_worker_rebuild(const pa_worker_config_t *cfg, const pa_log_t *log, long long *rows,
                      pa_err_t *err);

#endif
