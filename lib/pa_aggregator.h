/* pa_aggregator.h - recomputes queued aggregates on a thread of its own
 * with its own PostgreSQL connection, so that it never delays the poll
 * loop or a receipt. It runs pingan.aggregate_pending(N) while that
 * returns work done, then sleeps until kicked (after each batch commit)
 * or for idle_ms (to pick up keys other workers queued). Failures back
 * off and never stop it: the queue keeps the work. After each pass it
 * reads pingan.v_aggregate_lag into the metrics, so that a scrape never
 * waits for the database. */
#ifndef PA_AGGREGATOR_H
#define PA_AGGREGATOR_H

#include <stdint.h>

#include "pa_err.h"
#include "pa_log.h"
#include "pa_metrics.h"
#include "pa_pg.h"

typedef struct pa_aggregator pa_aggregator_t;

/* Connects (opt and log must outlive it) and starts the thread; NULL + err
 * on failure. districts: per aggregate_pending call; idle_ms: longest
 * sleep without a kick; retry_max_ms: cap of the backoff on failures;
 * metrics (may be NULL; must outlive it) gets keys done, reconnects and
 * the lag. */
pa_aggregator_t *pa_aggregator_new(const pa_pg_options_t *opt, const pa_log_t *log, int districts,
                                   int idle_ms, int retry_max_ms, pa_metrics_t *metrics,
                                   pa_err_t *err);
/* Stops the thread: a query in progress is cancelled (its transaction
 * rolls back; the queue keeps the keys), so this returns within about a
 * second. Accepts NULL and *NULL. */
void pa_aggregator_destroy(pa_aggregator_t **self_p);
/* Wakes the thread now: a batch committed and queued keys. Thread-safe,
 * cheap, never blocks on the database. */
void pa_aggregator_kick(pa_aggregator_t *self);

#endif
