/* pa_store.h - persists judged submissions in PostgreSQL: one transaction per
 * batch, reports through pingan.put_report (idempotent on report_id and on
 * the natural key), values by COPY, rejected reports into the quarantine.
 * Knows nothing of ZeroMQ. One connection per store; not thread-safe. */
#ifndef PA_STORE_H
#define PA_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "pa_catalog.h"
#include "pa_codec.h"
#include "pa_err.h"

typedef struct pa_store pa_store_t;

/* Connects with a libpq connection string (NULL or "" = PG* environment).
 * worker names this process in stored rows. NULL + err on failure. */
pa_store_t *pa_store_new(const char *conninfo, const char *worker, pa_err_t *err);
void pa_store_destroy(pa_store_t **self_p);

/* Reconnects after a lost connection and prepares statements again. */
int pa_store_reconnect(pa_store_t *self, pa_err_t *err);

/* Creates or migrates the schema; *applied counts migrations run. */
int pa_store_migrate(pa_store_t *self, int *applied, pa_err_t *err);
/* PA_EFATAL, with a message saying to run --init-db, unless the database is
 * at exactly the version this build knows. */
int pa_store_check_schema(pa_store_t *self, pa_err_t *err);

/* Recomputes every aggregate from the stored reports in one transaction
 * (pingan.rebuild_aggregates); *rows gets the number of aggregate rows.
 * Checks the schema version first. PA_OK, or the class of the failure. */
int pa_store_rebuild(pa_store_t *self, long long *rows, pa_err_t *err);

/* Recomputes the aggregates queued by stored batches for up to
 * max_districts districts, in a transaction of its own; *keys gets the
 * number of district periods done (0: nothing was queued). */
int pa_store_aggregate_pending(pa_store_t *self, int max_districts, int *keys, pa_err_t *err);

/* Loads districts, towns and indicators into a new sealed catalogue (*out,
 * caller destroys). */
int pa_store_load_catalog(pa_store_t *self, pa_catalog_t **out, pa_err_t *err);

/* A whole frame the worker refused (undecodable, oversize, wrong version...),
 * kept in the quarantine. Fields are borrowed. */
typedef struct {
    const char *sender; /* "" when the frame could not be read */
    int reason;         /* PA_REASON_* */
    const char *message;
    const void *raw; /* what is kept of the frame (may be a head of it) */
    size_t raw_len;
} pa_frame_t;

/* Writes n judged submissions and n_frames refused frames in one
 * transaction (frames become quarantine rows). Either may be empty. Items with problems are
 * quarantined as REJECTED; the others go through put_report and end STORED,
 * DUPLICATE or REJECTED (stale revision, conflicts, with a problem added);
 * values of STORED items are copied. On success every item has a status and
 * the transaction has committed. On failure nothing is kept, item statuses
 * and problems are as they were before the call, and the code is PA_ERETRY
 * (connection or transient: try again), PA_EREJECT (a data error: write the
 * submissions one by one to isolate it) or PA_EFATAL. */
int pa_store_write(pa_store_t *self, pa_submission_t *const *subs, size_t n,
                   const pa_frame_t *frames, size_t n_frames, pa_err_t *err);

/* Quarantines one item in its own transaction (for a report the database
 * refused while being stored alone). */
int pa_store_quarantine_item(pa_store_t *self, const pa_submission_t *sub, const pa_item_t *it,
                             pa_err_t *err);

#endif
