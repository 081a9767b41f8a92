/* pa_pg.h - the one PostgreSQL boundary: connecting with timeouts and
 * keepalives, the one mapping from a failed result to pa_err_t, and the
 * abort sequences of COPY and pipeline mode that follow libpq's state
 * machine. Server notices become single pa_log lines. Knows no SQL of
 * pingan's; the modules above it (pa_store, pa_aggregator) do.
 * One pa_pg_t is one connection: not thread-safe, use one per thread. */
#ifndef PA_PG_H
#define PA_PG_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "pa_err.h"
#include "pa_log.h"

typedef struct {
    const char *conninfo;     /* libpq connection string or URI; NULL/"" = PG* environment */
    const char *application;  /* application_name ("pingan") */
    int connect_timeout_s;    /* libpq connect_timeout; 0 = wait forever; PGCONNECT_TIMEOUT wins */
    int statement_timeout_ms; /* server-side statement_timeout; 0 = none */
    int keepalives_idle_s;    /* TCP keepalive: idle time before the first probe */
    int keepalives_interval_s;
    int keepalives_count;    /* unanswered probes before the connection is declared dead */
    bool synchronous_commit; /* force it on: a receipt promises the commit is durable */
} pa_pg_options_t;

/* Defaults: connect_timeout 5 s, statement_timeout 60 s, keepalives
 * 30 s idle, 10 s apart, 3 probes (a dead peer is noticed in ~60 s), and
 * synchronous_commit on whatever the server's default (an acknowledged
 * commit must survive a server crash). */
void pa_pg_options_default(pa_pg_options_t *opt);

typedef struct pa_pg pa_pg_t;

/* Connects. Settings in conninfo override the options (so a DSN can say
 * connect_timeout=1). log receives server notices (NULL: dropped); opt and
 * log must outlive the connection. NULL + err (PA_ERETRY when the server
 * could not be reached) on failure. */
pa_pg_t *pa_pg_connect(const pa_pg_options_t *opt, const pa_log_t *log, pa_err_t *err);
/* Closes; accepts NULL and *NULL. */
void pa_pg_destroy(pa_pg_t **self_p);
/* Reconnects the same connection (PQreset); prepared statements are gone. */
int pa_pg_reset(pa_pg_t *self, pa_err_t *err);
/* Whether the connection is up (PQstatus is CONNECTION_OK). */
bool pa_pg_ok(const pa_pg_t *self);
/* The libpq connection, for modules not yet ported to pa_pg (migrations,
 * scorecard). Borrowed. */
PGconn *pa_pg_conn(pa_pg_t *self);

/* ---------------------------------------------------------------- errors */

/* What a failed result says, as plain values (any may be NULL). */
typedef struct {
    const char *sqlstate;   /* PG_DIAG_SQLSTATE */
    const char *constraint; /* PG_DIAG_CONSTRAINT_NAME */
    const char *primary;    /* PG_DIAG_MESSAGE_PRIMARY, or libpq's message */
    const char *detail;
    const char *hint;
    bool connection_bad; /* PQstatus was not CONNECTION_OK */
} pa_pg_diag_t;

/* Pure: classes d (see pa_err_class_sqlstate; a lost connection is always
 * PA_ERETRY) and fills err with one line "what: sqlstate=S primary (detail;
 * hint)" and err->sqlstate. dup_constraint names the idempotency key whose
 * 23505 means PA_EDUP (NULL: none). Returns the code. */
int pa_pg_err_from_diag(pa_err_t *err, const pa_pg_diag_t *d, const char *what,
                        const char *dup_constraint);

/* The same from a result (res may be NULL: the connection's message is
 * used). The one way every module turns a PGresult into a pa_err_t. */
int pa_pg_err(pa_err_t *err, const pa_pg_t *self, const PGresult *res, const char *what,
              const char *dup_constraint);

/* ---------------------------------------------------------------- queries */

/* Runs sql with text parameters (n may be 0) and checks the result has
 * status want. On success *out (may be NULL: the result is cleared) gets
 * the result, which the caller PQclears. */
int pa_pg_exec(pa_pg_t *self, const char *sql, int n, const char *const *params,
               ExecStatusType want, PGresult **out, pa_err_t *err);
/* Prepares a statement on this connection. */
int pa_pg_prepare(pa_pg_t *self, const char *name, const char *sql, int n, pa_err_t *err);
/* ROLLBACK if the connection is up, ignoring its outcome: after any
 * failure, so that advisory transaction locks are released. */
void pa_pg_rollback(pa_pg_t *self);

/* ---------------------------------------------------------------- pipeline */

int pa_pg_pipeline_enter(pa_pg_t *self, pa_err_t *err);
/* Queues a prepared statement (binary formats as in PQsendQueryPrepared);
 * in pipeline mode or not (then read it with pa_pg_result). */
int pa_pg_send_prepared(pa_pg_t *self, const char *name, int n, const char *const *params,
                        const int *lengths, const int *formats, pa_err_t *err);
int pa_pg_pipeline_sync(pa_pg_t *self, pa_err_t *err);
/* Reads the next sent statement's result, checks it has status want and
 * consumes the NULL that ends it. *out as in pa_pg_exec. */
int pa_pg_result(pa_pg_t *self, ExecStatusType want, PGresult **out, const char *what,
                 pa_err_t *err);
/* Reads the sync point and leaves pipeline mode. */
int pa_pg_pipeline_exit(pa_pg_t *self, pa_err_t *err);
/* After any failure inside pipeline mode (pgbench's discardUntilSync):
 * sends a sync, discards every result up to the last sync point, leaves
 * pipeline mode and rolls back. Bounded: stops at once when the
 * connection is lost. Afterwards the connection is idle or bad. */
void pa_pg_pipeline_abort(pa_pg_t *self);

/* ---------------------------------------------------------------- COPY */

/* Starts COPY ... FROM STDIN. */
int pa_pg_copy_begin(pa_pg_t *self, const char *sql, pa_err_t *err);
/* Sends data; on failure the COPY has been aborted (pa_pg_copy_abort). */
int pa_pg_copy_put(pa_pg_t *self, const void *data, size_t len, pa_err_t *err);
/* Ends the COPY and checks the server accepted it; on failure the
 * connection has been drained. */
int pa_pg_copy_end(pa_pg_t *self, pa_err_t *err);
/* Ends a COPY in progress with an error (PQputCopyEnd with reason) and
 * drains the results; never loops on repeated COPY_IN results. */
void pa_pg_copy_abort(pa_pg_t *self, const char *reason);

/* ---------------------------------------------------------------- notices */

/* Pure: formats a server message (severity, SQLSTATE, primary, detail,
 * hint, context; any may be NULL) as one log line without newlines into
 * out. Returns out. */
char *pa_pg_notice_line(char *out, size_t size, const char *severity, const char *sqlstate,
                        const char *primary, const char *detail, const char *hint,
                        const char *context);

#endif
