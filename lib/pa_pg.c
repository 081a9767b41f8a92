/* pa_pg.c - connecting, classifying failures and aborting COPY and pipeline
 * mode by libpq's rules (see pa_pg.h). Every loop that reads results here
 * has a bound: a connection in an unexpected state is marked broken and
 * reconnected by the caller, never waited on forever. */
#include "pa_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PA_PG_DRAIN_MAX 16 /* results read while ending a COPY before giving the connection up */

struct pa_pg {
    PGconn *conn;
    const pa_log_t *log; /* server notices; NULL = dropped */
    int syncs;           /* pipeline sync points sent and not yet read */
    bool broken;         /* left in an unknown state: only a reset helps */
};

void pa_pg_options_default(pa_pg_options_t *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->application = "pingan";
    opt->connect_timeout_s = 5;
    opt->statement_timeout_ms = 60000;
    opt->keepalives_idle_s = 30;
    opt->keepalives_interval_s = 10;
    opt->keepalives_count = 3;
    opt->synchronous_commit = true;
}

/* ---------------------------------------------------------------- notices */

/* Copies s into out at *at, turning line breaks and tabs into spaces. */
static void s_put_flat(char *out, size_t size, size_t *at, const char *s)
{
    for (; s && *s && *at + 1 < size; s++) {
        char c = *s == '\n' || *s == '\r' || *s == '\t' ? ' ' : *s;
        if (c == ' ' && (*at == 0 || out[*at - 1] == ' '))
            continue; /* no runs of spaces where lines were joined */
        out[(*at)++] = c;
    }
    out[*at] = '\0';
}

static void s_trim(char *out, size_t *at)
{
    while (*at && out[*at - 1] == ' ')
        out[--*at] = '\0';
}

/* Appends "primary (detail: ..; hint: ..; context: ..)" flattened. */
static void s_put_message(char *out, size_t size, size_t *at, const char *primary,
                          const char *detail, const char *hint, const char *context)
{
    s_put_flat(out, size, at, primary && *primary ? primary : "(no message)");
    const char *names[] = {"detail", "hint", "context"};
    const char *parts[] = {detail, hint, context};
    bool open = false;
    for (int i = 0; i < 3; i++) {
        if (!parts[i] || !*parts[i])
            continue;
        s_trim(out, at);
        s_put_flat(out, size, at, open ? "; " : " (");
        s_put_flat(out, size, at, names[i]);
        s_put_flat(out, size, at, ": ");
        s_put_flat(out, size, at, parts[i]);
        open = true;
    }
    s_trim(out, at);
    if (open)
        s_put_flat(out, size, at, ")");
}

char *pa_pg_notice_line(char *out, size_t size, const char *severity, const char *sqlstate,
                        const char *primary, const char *detail, const char *hint,
                        const char *context)
{
    size_t at = 0;
    if (!size)
        return out;
    out[0] = '\0';
    char head[64];
    snprintf(head, sizeof head, "severity=%s sqlstate=%s ", severity && *severity ? severity : "-",
             sqlstate && *sqlstate ? sqlstate : "none");
    s_put_flat(out, size, &at, head);
    s_put_message(out, size, &at, primary, detail, hint, context);
    return out;
}

static void s_on_notice(void *arg, const PGresult *res)
{
    const pa_pg_t *self = arg;
    if (!self->log)
        return;
    const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    pa_log_level_t level = PA_LOG_INFO;
    if (sev && (strcmp(sev, "WARNING") == 0 || strcmp(sev, "ERROR") == 0 ||
                strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0))
        level = PA_LOG_WARN; /* FATAL arrives as a notice when the server ends the session */
    else if (sev && strcmp(sev, "DEBUG") == 0)
        level = PA_LOG_DEBUG;
    char line[1024];
    pa_pg_notice_line(line, sizeof line, sev, PQresultErrorField(res, PG_DIAG_SQLSTATE),
                      PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY),
                      PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL),
                      PQresultErrorField(res, PG_DIAG_MESSAGE_HINT),
                      PQresultErrorField(res, PG_DIAG_CONTEXT));
    pa_log(self->log, level, "%s server message", line);
}

/* ---------------------------------------------------------------- errors */

int pa_pg_err_from_diag(pa_err_t *err, const pa_pg_diag_t *d, const char *what,
                        const char *dup_constraint)
{
    int code = d->connection_bad
                   ? PA_ERETRY
                   : pa_err_class_sqlstate(d->sqlstate, d->constraint, dup_constraint);
    if (!err)
        return code;
    char msg[PA_ERR_MSG_SIZE];
    size_t at = 0;
    msg[0] = '\0';
    s_put_message(msg, sizeof msg, &at, d->primary, d->detail, d->hint, NULL);
    pa_err_set(err, code, "%s: sqlstate=%s %s", what ? what : "PostgreSQL",
               d->sqlstate && *d->sqlstate ? d->sqlstate : "none", msg);
    snprintf(err->sqlstate, sizeof err->sqlstate, "%s", d->sqlstate ? d->sqlstate : "");
    return code;
}

int pa_pg_err(pa_err_t *err, const pa_pg_t *self, const PGresult *res, const char *what,
              const char *dup_constraint)
{
    pa_pg_diag_t d = {0};
    d.connection_bad = self->broken || PQstatus(self->conn) != CONNECTION_OK;
    if (res && PQresultStatus(res) == PGRES_FATAL_ERROR) {
        d.sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        d.constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
        d.primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        d.detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
        d.hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
        if (!d.primary)
            d.primary = PQresultErrorMessage(res);
    } else if (res && PQresultStatus(res) == PGRES_PIPELINE_ABORTED) {
        d.primary = "the pipeline was aborted by an earlier failure";
    } else if (res) {
        /* A success status, but not the one expected: a programming error
         * unless the connection went away meanwhile. */
        d.sqlstate = "XX000";
        d.primary = PQresStatus(PQresultStatus(res));
    }
    if (!d.primary || !*d.primary)
        d.primary = PQerrorMessage(self->conn);
    return pa_pg_err_from_diag(err, &d, what, dup_constraint);
}

/* ---------------------------------------------------------------- connect */

pa_pg_t *pa_pg_connect(const pa_pg_options_t *opt, const pa_log_t *log, pa_err_t *err)
{
    pa_pg_t *self = calloc(1, sizeof *self);
    if (!self) {
        pa_err_set(err, PA_ENOMEM, "out of memory");
        return NULL;
    }
    self->log = log;
    char timeout[16], idle[16], interval[16], count[16], options[512];
    snprintf(timeout, sizeof timeout, "%d", opt->connect_timeout_s);
    snprintf(idle, sizeof idle, "%d", opt->keepalives_idle_s);
    snprintf(interval, sizeof interval, "%d", opt->keepalives_interval_s);
    snprintf(count, sizeof count, "%d", opt->keepalives_count);
    /* A keyword value overrides libpq's environment variable: keep what
     * the operator set there. */
    const char *env_options = getenv("PGOPTIONS");
    snprintf(options, sizeof options, "%s%s-c statement_timeout=%d%s",
             env_options ? env_options : "", env_options && *env_options ? " " : "",
             opt->statement_timeout_ms, opt->synchronous_commit ? " -c synchronous_commit=on" : "");
    const char *keys[9], *vals[9];
    int k = 0;
    if (!getenv("PGCONNECT_TIMEOUT")) {
        keys[k] = "connect_timeout";
        vals[k++] = timeout;
    }
    keys[k] = "keepalives";
    vals[k++] = "1";
    keys[k] = "keepalives_idle";
    vals[k++] = idle;
    keys[k] = "keepalives_interval";
    vals[k++] = interval;
    keys[k] = "keepalives_count";
    vals[k++] = count;
    keys[k] = "options";
    vals[k++] = options;
    keys[k] = "application_name";
    vals[k++] = opt->application ? opt->application : "pingan";
    /* Last, so that what the connection string says wins over the above. */
    keys[k] = "dbname";
    vals[k++] = opt->conninfo && *opt->conninfo ? opt->conninfo : NULL;
    keys[k] = NULL;
    vals[k] = NULL;
    self->conn = PQconnectdbParams(keys, vals, 1);
    if (!self->conn) {
        pa_err_set(err, PA_ENOMEM, "out of memory connecting to PostgreSQL");
        goto fail;
    }
    PQsetNoticeReceiver(self->conn, s_on_notice, self);
    if (PQstatus(self->conn) != CONNECTION_OK) {
        pa_pg_err(err, self, NULL, "could not connect to PostgreSQL", NULL);
        goto fail;
    }
    return self;
fail:
    pa_pg_destroy(&self);
    return NULL;
}

void pa_pg_destroy(pa_pg_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    PQfinish((*self_p)->conn); /* NULL-safe */
    free(*self_p);
    *self_p = NULL;
}

int pa_pg_reset(pa_pg_t *self, pa_err_t *err)
{
    PQreset(self->conn);
    self->syncs = 0;
    self->broken = false;
    if (PQstatus(self->conn) != CONNECTION_OK)
        return pa_pg_err(err, self, NULL, "could not reconnect to PostgreSQL", NULL);
    return PA_OK;
}

bool pa_pg_ok(const pa_pg_t *self)
{
    return !self->broken && PQstatus(self->conn) == CONNECTION_OK;
}

PGconn *pa_pg_conn(pa_pg_t *self)
{
    return self->conn;
}

/* ---------------------------------------------------------------- queries */

static int s_check(pa_pg_t *self, PGresult *res, ExecStatusType want, PGresult **out,
                   const char *what, pa_err_t *err)
{
    if (out)
        *out = NULL;
    if (!res || PQresultStatus(res) != want) {
        int rc = pa_pg_err(err, self, res, what, NULL);
        PQclear(res);
        return rc;
    }
    if (out)
        *out = res;
    else
        PQclear(res);
    return PA_OK;
}

int pa_pg_exec(pa_pg_t *self, const char *sql, int n, const char *const *params,
               ExecStatusType want, PGresult **out, pa_err_t *err)
{
    PGresult *res =
        n ? PQexecParams(self->conn, sql, n, NULL, params, NULL, NULL, 0) : PQexec(self->conn, sql);
    return s_check(self, res, want, out, sql, err);
}

int pa_pg_prepare(pa_pg_t *self, const char *name, const char *sql, int n, pa_err_t *err)
{
    return s_check(self, PQprepare(self->conn, name, sql, n, NULL), PGRES_COMMAND_OK, NULL, name,
                   err);
}

void pa_pg_rollback(pa_pg_t *self)
{
    if (pa_pg_ok(self) && PQtransactionStatus(self->conn) != PQTRANS_IDLE)
        PQclear(PQexec(self->conn, "ROLLBACK"));
}

/* ---------------------------------------------------------------- pipeline */

int pa_pg_pipeline_enter(pa_pg_t *self, pa_err_t *err)
{
    self->syncs = 0;
    if (!PQenterPipelineMode(self->conn))
        return pa_pg_err(err, self, NULL, "could not enter pipeline mode", NULL);
    return PA_OK;
}

int pa_pg_send_prepared(pa_pg_t *self, const char *name, int n, const char *const *params,
                        const int *lengths, const int *formats, pa_err_t *err)
{
    if (!PQsendQueryPrepared(self->conn, name, n, params, lengths, formats, 0))
        return pa_pg_err(err, self, NULL, name, NULL);
    return PA_OK;
}

int pa_pg_pipeline_sync(pa_pg_t *self, pa_err_t *err)
{
    if (!PQpipelineSync(self->conn))
        return pa_pg_err(err, self, NULL, "could not sync the pipeline", NULL);
    self->syncs++;
    return PA_OK;
}

int pa_pg_result(pa_pg_t *self, ExecStatusType want, PGresult **out, const char *what,
                 pa_err_t *err)
{
    PGresult *res = PQgetResult(self->conn);
    if (!res)
        return s_check(self, NULL, want, out, what, err);
    if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
        /* Fewer results than statements sent: our bookkeeping is wrong. */
        self->syncs--;
        PQclear(res);
        self->broken = true;
        if (out)
            *out = NULL;
        return pa_err_set(err, PA_EFATAL, "%s: the pipeline ended before its result", what);
    }
    PQclear(PQgetResult(self->conn)); /* the NULL that ends each statement's results */
    return s_check(self, res, want, out, what, err);
}

int pa_pg_pipeline_exit(pa_pg_t *self, pa_err_t *err)
{
    PGresult *res = PQgetResult(self->conn);
    if (PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
        int rc = pa_pg_err(err, self, res, "the pipeline did not end with its sync", NULL);
        PQclear(res);
        return rc;
    }
    PQclear(res);
    self->syncs--;
    if (!PQexitPipelineMode(self->conn))
        return pa_pg_err(err, self, NULL, "could not leave pipeline mode", NULL);
    return PA_OK;
}

void pa_pg_pipeline_abort(pa_pg_t *self)
{
    if (PQpipelineStatus(self->conn) == PQ_PIPELINE_OFF) {
        pa_pg_rollback(self);
        return;
    }
    /* One more sync point, so that what the caller queued after the last
     * one (or without any) is flushed to the server and answered. */
    if (PQstatus(self->conn) == CONNECTION_OK && PQpipelineSync(self->conn))
        self->syncs++;
    int nulls = 0; /* consecutive: two in a row mean nothing more is coming */
    while (self->syncs > 0 && PQstatus(self->conn) == CONNECTION_OK) {
        PGresult *res = PQgetResult(self->conn);
        if (!res) {
            if (++nulls > 1)
                break;
            continue;
        }
        nulls = 0;
        if (PQresultStatus(res) == PGRES_PIPELINE_SYNC)
            self->syncs--;
        PQclear(res);
    }
    if (self->syncs > 0 || !PQexitPipelineMode(self->conn))
        self->broken = true; /* the caller resets the connection */
    self->syncs = 0;
    pa_pg_rollback(self);
}

/* ---------------------------------------------------------------- COPY */

int pa_pg_copy_begin(pa_pg_t *self, const char *sql, pa_err_t *err)
{
    return s_check(self, PQexec(self->conn, sql), PGRES_COPY_IN, NULL, sql, err);
}

/* Reads results until libpq has none; a COPY_IN result means the COPY is
 * still open, so it is ended again, a bounded number of times. */
static void s_copy_drain(pa_pg_t *self, const char *reason)
{
    for (int i = 0; i < PA_PG_DRAIN_MAX; i++) {
        PGresult *res = PQgetResult(self->conn);
        if (!res)
            return;
        ExecStatusType st = PQresultStatus(res);
        PQclear(res);
        if (st == PGRES_COPY_IN && PQputCopyEnd(self->conn, reason) < 0)
            break;
        if (st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH)
            break; /* not a COPY this module starts: give the connection up */
        if (PQstatus(self->conn) != CONNECTION_OK)
            return;
    }
    self->broken = true;
}

void pa_pg_copy_abort(pa_pg_t *self, const char *reason)
{
    if (PQputCopyEnd(self->conn, reason ? reason : "aborted by the client") < 0) {
        self->broken = PQstatus(self->conn) == CONNECTION_OK;
    }
    s_copy_drain(self, reason ? reason : "aborted by the client");
}

int pa_pg_copy_put(pa_pg_t *self, const void *data, size_t len, pa_err_t *err)
{
    if (len > (size_t)0x7fffffff)
        return pa_err_set(err, PA_EFATAL, "COPY chunk of %zu bytes is too large", len);
    if (!len || PQputCopyData(self->conn, data, (int)len) == 1)
        return PA_OK;
    int rc = pa_pg_err(err, self, NULL, "COPY failed", NULL);
    pa_pg_copy_abort(self, "the client could not send COPY data");
    return rc;
}

int pa_pg_copy_end(pa_pg_t *self, pa_err_t *err)
{
    if (PQputCopyEnd(self->conn, NULL) != 1) {
        int rc = pa_pg_err(err, self, NULL, "could not end COPY", NULL);
        s_copy_drain(self, "the client could not end COPY");
        return rc;
    }
    PGresult *res = PQgetResult(self->conn);
    int rc = PA_OK;
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = pa_pg_err(err, self, res, "COPY was refused", NULL);
    PQclear(res);
    s_copy_drain(self, "COPY already ended");
    return rc;
}
