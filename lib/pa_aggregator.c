/* pa_aggregator.c - the aggregation thread (see pa_aggregator.h). The
 * mutex guards kicked, last_kick_ms, stop and cancel; the connection is the
 * thread's alone once it runs. */
#include "pa_aggregator.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pa_clock.h"
#include "pa_store_sql.h"

#define PA_AGG_RETRY_FIRST_MS 100
#define PA_AGG_PAUSE_MAX_MS   2000 /* longest rest between steps of a backfill */
/* Rest three times as long as a step took while batches keep coming: fewer,
 * larger steps recompute each month fewer times, and ingest keeps most of
 * the cores. Twice was the rule while the tail after the last receipt had
 * no room (bench/README.md, 2026-12-02); once quarters and years were left
 * for the end of a backfill it had, and three times slowed ingest by a
 * median 19 % against 27 % over nine pairs (bench/README.md, 2026-12-03,
 * day). */
#define PA_AGG_REST_FACTOR 3
/* No batch of this worker's for this long: a rest or an idle wait asks
 * PostgreSQL whether any batch is still arriving (batches_arriving in
 * 50_refresh.sql, the test behind aggregate_pending's one step at a time),
 * then again every PA_AGG_POLL_MS, and ends once none is. A backfill's end
 * is so seen within a few tenths of a second, where a fixed second of quiet
 * left both cores idle (bench/README.md). */
#define PA_AGG_QUIET_MS 300
#define PA_AGG_POLL_MS  150

struct pa_aggregator {
    const pa_log_t *log;
    pa_metrics_t *metrics; /* may be NULL */
    pa_pg_t *pg;
    PGcancel *cancel; /* to interrupt a query from destroy */
    int districts, idle_ms, retry_max_ms;
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* signalled by kick and destroy */
    bool kicked, stop;
    int64_t last_kick_ms; /* pa_clock_mono_ms() of the last kick; 0 for none */
};

/* One aggregate_pending call: keys done, or a negative PA_E* code. */
static int s_step(pa_aggregator_t *self, int *keys, pa_err_t *err)
{
    char n[16];
    snprintf(n, sizeof n, "%d", self->districts);
    const char *params[1] = {n};
    PGresult *res = NULL;
    *keys = 0;
    int rc = pa_pg_exec(self->pg, PA_SQL_AGGREGATE_PENDING, 1, params, PGRES_TUPLES_OK, &res, err);
    if (rc == PA_OK && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
        *keys = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return rc;
}

/* Records the queue as this pass left it. Only two cheap columns of the
 * view are asked for (the planner drops the others); a failure is left
 * for the next step to meet and report. */
static void s_record_lag(pa_aggregator_t *self)
{
    PGresult *res = NULL;
    if (pa_pg_exec(self->pg, PA_SQL_AGGREGATE_LAG, 0, NULL, PGRES_TUPLES_OK, &res, NULL) == PA_OK &&
        PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
        double age_s = PQgetisnull(res, 0, 1) ? 0 : atof(PQgetvalue(res, 0, 1));
        pa_metrics_set_aggregation(self->metrics, atoll(PQgetvalue(res, 0, 0)),
                                   (int64_t)(age_s * 1000.0), pa_clock_mono_ms());
    }
    PQclear(res);
}

/* Waits up to ms for stop or, when kick, for a kick (which it consumes);
 * called with mu held. */
static void s_wait(pa_aggregator_t *self, int64_t ms, bool kick)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    while (!(kick && self->kicked) && !self->stop)
        if (pthread_cond_timedwait(&self->cv, &self->mu, &ts) == ETIMEDOUT)
            break;
    if (kick)
        self->kicked = false;
}

/* Whether PostgreSQL sees batches arriving; called with mu held, which it
 * releases around the query so that a kick does not wait for it. A failure
 * answers no: the next step meets it and reports it. */
static bool s_arriving(pa_aggregator_t *self)
{
    pthread_mutex_unlock(&self->mu);
    PGresult *res = NULL;
    bool yes = pa_pg_exec(self->pg, PA_SQL_BATCHES_ARRIVING, 0, NULL, PGRES_TUPLES_OK, &res,
                          NULL) == PA_OK &&
               PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    pthread_mutex_lock(&self->mu);
    return yes;
}

/* Rests until the monotonic time until, or earlier once no batch is arriving
 * (see PA_AGG_QUIET_MS); called with mu held. */
static void s_rest(pa_aggregator_t *self, int64_t until)
{
    int64_t ask = 0; /* when to ask PostgreSQL again */
    for (;;) {
        int64_t now = pa_clock_mono_ms();
        if (self->stop || now >= until)
            return;
        int64_t quiet = self->last_kick_ms + PA_AGG_QUIET_MS;
        int64_t next = quiet > ask ? quiet : ask;
        if (now >= next) {
            if (!s_arriving(self))
                return;
            ask = pa_clock_mono_ms() + PA_AGG_POLL_MS;
            continue;
        }
        s_wait(self, (until < next ? until : next) - now, false);
    }
}

/* How long an idle wait lasts: idle_ms, or PA_AGG_POLL_MS while batches came
 * until a moment ago (the wait after a step that found every key another
 * step's, or the one-step-at-a-time turn taken), so that the end of a
 * backfill is not met a whole idle_ms late. */
static int64_t s_idle_ms(const pa_aggregator_t *self)
{
    bool recent =
        self->last_kick_ms > 0 && pa_clock_mono_ms() - self->last_kick_ms < 10 * PA_AGG_QUIET_MS;
    return recent && PA_AGG_POLL_MS < self->idle_ms ? PA_AGG_POLL_MS : self->idle_ms;
}

static void *s_run(void *arg)
{
    pa_aggregator_t *self = arg;
    int backoff_ms = PA_AGG_RETRY_FIRST_MS;
    pthread_mutex_lock(&self->mu);
    while (!self->stop) {
        self->kicked = false;
        pthread_mutex_unlock(&self->mu);
        int keys = 0;
        pa_err_t err;
        pa_err_clear(&err);
        bool reset = !pa_pg_ok(self->pg);
        int64_t started = pa_clock_mono_ms();
        int rc = reset ? pa_pg_reset(self->pg, &err) : s_step(self, &keys, &err);
        int64_t took = pa_clock_mono_ms() - started;
        if (!reset && rc == PA_OK)
            s_record_lag(self);
        pthread_mutex_lock(&self->mu);
        if (reset && rc == PA_OK) {
            /* A new session has a new cancel key. */
            PQfreeCancel(self->cancel);
            self->cancel = PQgetCancel(pa_pg_conn(self->pg));
            pa_metrics_add(self->metrics, PA_METRIC_RECONNECTS_AGGREGATION, 1);
            pa_log_info(self->log, "aggregation reconnected to PostgreSQL");
        }
        if (self->stop)
            break;
        if (rc == PA_OK) {
            backoff_ms = PA_AGG_RETRY_FIRST_MS;
            pa_metrics_add(self->metrics, PA_METRIC_AGGREGATED, (uint64_t)keys);
            /* Batches kept committing during the step (a backfill): rest
             * (PA_AGG_REST_FACTOR times as long as it took), so that ingest
             * keeps the cores most of the time. Otherwise more may be
             * queued: no sleep. */
            if (keys > 0 && self->kicked) {
                int64_t rest = took * PA_AGG_REST_FACTOR;
                s_rest(self, pa_clock_mono_ms() +
                                 (rest < PA_AGG_PAUSE_MAX_MS ? rest : PA_AGG_PAUSE_MAX_MS));
            }
            if (keys > 0)
                continue;
            s_wait(self, s_idle_ms(self), true);
            continue;
        }
        pa_log_warn(self->log, "sqlstate=%s retry_in_ms=%d could not aggregate queued reports: %s",
                    err.sqlstate[0] ? err.sqlstate : "none", backoff_ms, err.msg);
        s_wait(self, backoff_ms, true);
        backoff_ms = backoff_ms > self->retry_max_ms / 2 ? self->retry_max_ms : backoff_ms * 2;
    }
    pthread_mutex_unlock(&self->mu);
    return NULL;
}

pa_aggregator_t *pa_aggregator_new(const pa_pg_options_t *opt, const pa_log_t *log, int districts,
                                   int idle_ms, int retry_max_ms, pa_metrics_t *metrics,
                                   pa_err_t *err)
{
    pa_aggregator_t *self = calloc(1, sizeof *self);
    if (!self) {
        pa_err_set(err, PA_ENOMEM, "out of memory");
        return NULL;
    }
    self->log = log;
    self->metrics = metrics;
    self->districts = districts > 0 ? districts : 1;
    self->idle_ms = idle_ms > 0 ? idle_ms : 1000;
    self->retry_max_ms = retry_max_ms > PA_AGG_RETRY_FIRST_MS ? retry_max_ms : 1000;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&self->mu, NULL);
    pthread_cond_init(&self->cv, &ca);
    pthread_condattr_destroy(&ca);
    self->pg = pa_pg_connect(opt, log, err);
    if (!self->pg)
        goto fail;
    self->cancel = PQgetCancel(pa_pg_conn(self->pg));
    if (pthread_create(&self->thread, NULL, s_run, self) != 0) {
        pa_err_set(err, PA_EFATAL, "could not start the aggregation thread: %s", strerror(errno));
        goto fail;
    }
    self->started = true;
    return self;
fail:
    pa_aggregator_destroy(&self);
    return NULL;
}

void pa_aggregator_destroy(pa_aggregator_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pa_aggregator_t *self = *self_p;
    if (self->started) {
        pthread_mutex_lock(&self->mu);
        self->stop = true;
        pthread_cond_signal(&self->cv);
        char buf[256];
        /* PQcancel is meant to be called from another thread: it interrupts
         * a long aggregate_pending so that shutdown does not wait for it. */
        if (self->cancel)
            PQcancel(self->cancel, buf, sizeof buf);
        pthread_mutex_unlock(&self->mu);
        pthread_join(self->thread, NULL);
    }
    if (self->cancel)
        PQfreeCancel(self->cancel);
    pa_pg_destroy(&self->pg);
    pthread_cond_destroy(&self->cv);
    pthread_mutex_destroy(&self->mu);
    free(self);
    *self_p = NULL;
}

void pa_aggregator_kick(pa_aggregator_t *self)
{
    if (!self)
        return;
    pthread_mutex_lock(&self->mu);
    self->kicked = true;
    self->last_kick_ms = pa_clock_mono_ms();
    pthread_cond_signal(&self->cv);
    pthread_mutex_unlock(&self->mu);
}
