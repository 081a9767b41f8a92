/* pa_flush.h - the flush policy: write a batch to a sink, retry what is
 * transient with a doubling backoff (restarted after each successful
 * reconnect), isolate the report a data error comes
 * from (writing the batch item by item), and give up after a bounded
 * number of attempts or on a stop request. Knows nothing of PostgreSQL or
 * ZeroMQ: unit-tested against a fake sink, with a fake nap. */
#ifndef PA_FLUSH_H
#define PA_FLUSH_H

#include <signal.h>
#include <stdint.h>

#include "pa_batch.h"
#include "pa_log.h"
#include "pa_sink.h"

typedef struct {
    int backoff_first_ms; /* wait after the first transient failure */
    int backoff_max_ms;   /* cap of the doubling */
    int max_attempts;     /* writes of the whole batch before giving up (>= 1) */
    /* Sleeps ms, returning early when *stop is raised; NULL = nanosleep in
     * 10 ms steps. Tests pass a fake that only records. */
    void (*nap)(void *arg, int ms, const volatile sig_atomic_t *stop);
    void *nap_arg;
} pa_flush_policy_t;

typedef struct {
    int attempts;       /* writes of the whole batch */
    int reconnects;     /* successful reconnects */
    size_t isolated;    /* items written alone after a data error */
    size_t refused;     /* of those, refused by the database (now REJECTED) */
    size_t retry_later; /* of those, not stored for another reason (RETRY_LATER) */
    int64_t waited_ms;  /* total backoff */
    pa_err_t last;      /* the last failure seen, if any */
} pa_flush_report_t;

/* Writes the batch. PA_OK: committed, every item has its status (some
 * may be REJECTED or RETRY_LATER after isolation) and the receipts can go.
 * PA_ERETRY: given up (still failing after max_attempts, or *stop was
 * raised): nothing is stored, answer RETRY_LATER. PA_EFATAL/PA_ENOMEM:
 * nothing is stored; the caller answers RETRY_LATER and stops. log (may
 * be NULL) gets a warn line per retry. rep (may be NULL) gets counters. */
int pa_flush_run(const pa_flush_policy_t *policy, const pa_sink_t *sink, pa_batch_t *batch,
                 const volatile sig_atomic_t *stop, const pa_log_t *log, pa_flush_report_t *rep,
                 pa_err_t *err);

#endif
