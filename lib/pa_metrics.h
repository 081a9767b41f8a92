/* pa_metrics.h - the worker's counters: a registry the worker owns, updated
 * by its loop and its aggregation thread with relaxed C11 atomics (never a
 * lock, never a wait), read by a scrape of /metrics in Prometheus' text
 * exposition format (libmicrohttpd, on a thread of its own) and by the
 * summary log lines. Knows nothing of ZeroMQ or PostgreSQL: the worker
 * says what happened, this module counts and renders it. */
#ifndef PA_METRICS_H
#define PA_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pa_buf.h"
#include "pa_err.h"
#include "pa_log.h"

/* Plain counters (monotonic; reason-labelled ones have their own calls). */
typedef enum {
    PA_METRIC_RECEIVED,            /* reports in submissions accepted for judging */
    PA_METRIC_RECEIVED_BYTES,      /* bytes of submission frames read */
    PA_METRIC_STORED,              /* reports stored */
    PA_METRIC_DUPLICATE,           /* reports already stored (acknowledged again) */
    PA_METRIC_SUPERSEDED,          /* reports stored before, since replaced by a higher revision */
    PA_METRIC_WITHDRAWN,           /* void revisions that withdrew a district period */
    PA_METRIC_REPORTS_RETRY_LATER, /* reports answered RETRY_LATER after isolation */
    PA_METRIC_SUBMISSIONS_RETRY_LATER, /* submissions answered RETRY_LATER whole */
    PA_METRIC_BATCHES,                 /* batches committed */
    PA_METRIC_BATCHES_GIVEN_UP,        /* batches the flush policy gave up on */
    PA_METRIC_RECONNECTS_STORE,        /* successful reconnects of the store's session */
    PA_METRIC_RECONNECTS_AGGREGATION,  /* ... of the aggregation thread's session */
    PA_METRIC_AGGREGATED,              /* district periods recomputed */
    PA_METRIC_RECEIPTS_DROPPED,        /* receipts the ROUTER could not queue (peer gone, full) */
    PA_METRIC_DRY_RUN_SUBMISSIONS,     /* dry-run submissions judged (nothing stored) */
    PA_METRIC_DRY_RUN_REPORTS,         /* reports judged in dry runs */
    PA_METRIC_DRY_RUN_REJECTED,        /* ... of those, that a real submission would reject */
    PA_METRIC_COUNTERS_                /* how many; not a counter */
} pa_metric_t;

typedef struct pa_metrics pa_metrics_t;

/* An empty registry (every counter 0, no server). NULL + err when out of
 * memory. */
pa_metrics_t *pa_metrics_new(pa_err_t *err);
/* Stops the server (waiting for a scrape in progress) and frees. Accepts
 * NULL and *NULL. Whatever updates the registry must be gone first. */
void pa_metrics_destroy(pa_metrics_t **self_p);

/* Splits "HOST:PORT", "[IPv6]:PORT" or ":PORT" (every interface) into host
 * ("" for every interface) and port (0..65535; 0 picks a free one). Pure.
 * PA_EINVAL says what is wrong with addr. */
int pa_metrics_parse_addr(const char *addr, char *host, size_t host_size, int *port, pa_err_t *err);

/* Serves GET /metrics on addr (see pa_metrics_parse_addr) from a
 * libmicrohttpd thread; other paths get 404, other methods 405. bound (may
 * be NULL) gets the address actually listened on, "HOST:PORT", which tells
 * the port when addr asked for 0. PA_EINVAL for a bad address, PA_EIO when
 * it cannot listen there. Once only, before the registry is shared. */
int pa_metrics_serve(pa_metrics_t *self, const char *addr, char *bound, size_t bound_size,
                     pa_err_t *err);

/* Updates. All are thread-safe, lock-free and accept self == NULL (nothing
 * is counted), so a component can run without a registry. */
void pa_metrics_add(pa_metrics_t *self, pa_metric_t m, uint64_t n);
/* One report rejected (first problem's reason), one whole frame refused. */
void pa_metrics_rejected(pa_metrics_t *self, int reason);
void pa_metrics_refused(pa_metrics_t *self, int reason);
/* One committed batch took ms from its first write to COMMIT (retries included). */
void pa_metrics_commit_ms(pa_metrics_t *self, int64_t ms);
/* Reports (and refused frames) read and not yet answered. */
void pa_metrics_set_pending(pa_metrics_t *self, size_t reports);
/* What an aggregation pass saw: queued district periods and the age of
 * the oldest (ms; 0 when none), read at now_mono_ms. A scrape adds the time
 * since, so the age keeps growing while a long pass runs. */
void pa_metrics_set_aggregation(pa_metrics_t *self, int64_t queued_keys, int64_t oldest_age_ms,
                                int64_t now_mono_ms);

/* Reads. Thread-safe; 0 when self is NULL. */
uint64_t pa_metrics_get(const pa_metrics_t *self, pa_metric_t m);
uint64_t pa_metrics_rejected_total(const pa_metrics_t *self); /* every reason */
uint64_t pa_metrics_refused_total(const pa_metrics_t *self);

/* Appends the text exposition (version 0.0.4) of every metric, as of
 * now_mono_ms, to out (the caller checks out->failed). Thread-safe. */
void pa_metrics_render(const pa_metrics_t *self, int64_t now_mono_ms, pa_buf_t *out);

/* Logs the counters as one info line, `worker=NAME key=value... what`:
 * the main ones, or with all every sample that is not a histogram bucket
 * (each non-zero reason as rejected.REASON=N). Thread-safe. */
void pa_metrics_log(const pa_metrics_t *self, const pa_log_t *log, const char *worker, bool all,
                    const char *what);

#endif
