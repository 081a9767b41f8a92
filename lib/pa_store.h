/* pa_store.h - persists judged submissions in PostgreSQL: one transaction per
 * batch, reports through pingan.put_report (idempotent on report_id and on
 * the natural key), values by COPY, rejected reports into the quarantine.
 * Knows nothing of ZeroMQ. One connection per store; not thread-safe. */
#ifndef PA_STORE_H
#define PA_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pa_catalog.h"
#include "pa_codec.h"
#include "pa_err.h"
#include "pa_log.h"
#include "pa_pg.h"
#include "pa_sink.h"

/* The quarantine keeps at most this head of what it files (a refused
 * submission's bytes, once, or a refused frame), so that a flood of large
 * refusals stays small. */
#define PA_QUARANTINE_RAW_MAX 65536
/* ...and at most this many problems of each refused report. */
#define PA_QUARANTINE_REPORT_PROBLEMS 8

typedef struct pa_store pa_store_t;

/* Connects through pa_pg with opt (timeouts, keepalives; opt and log must
 * outlive the store; log gets server notices). worker names this process
 * in stored rows. NULL + err on failure (PA_ERETRY: server unreachable). */
pa_store_t *pa_store_new(const pa_pg_options_t *opt, const pa_log_t *log, const char *worker,
                         pa_err_t *err);
void pa_store_destroy(pa_store_t **self_p);

/* Reconnects after a lost connection and prepares statements again. */
int pa_store_reconnect(pa_store_t *self, pa_err_t *err);
/* The store's connection, for read-only questions between batches
 * (pa_answer); borrowed, lives as the store. */
pa_pg_t *pa_store_pg(pa_store_t *self);
/* Whether the connection is up (false after a lost or abandoned one). */
bool pa_store_connected(const pa_store_t *self);

/* Creates or migrates the schema; *applied counts migrations run. */
int pa_store_migrate(pa_store_t *self, int *applied, pa_err_t *err);
/* PA_EFATAL, with a message saying to run --init-db, unless the database is
 * at exactly the version this build knows. */
int pa_store_check_schema(pa_store_t *self, pa_err_t *err);

/* Recomputes every aggregate from the stored reports in one transaction
 * (pingan.rebuild_aggregates); *rows gets the number of aggregate rows.
 * Checks the schema version first. PA_OK, or the class of the failure. */
int pa_store_rebuild(pa_store_t *self, long long *rows, pa_err_t *err);

/* Loads districts, towns and indicators into a new sealed catalogue (*out,
 * caller destroys). */
int pa_store_load_catalog(pa_store_t *self, pa_catalog_t **out, pa_err_t *err);

/* Writes n judged submissions and n_frames refused frames in one
 * transaction (frames become quarantine rows). Either may be empty. Items with problems are
 * quarantined as REJECTED (one pingan.quarantine row per submission, holding
 * sub->raw, and a pingan.quarantine_report row per refused item; the row's id
 * goes to sub->quarantine_id); the others go through put_report and end STORED,
 * DUPLICATE or REJECTED (stale revision, conflicts, with a problem added);
 * values of STORED items are copied. On success every item has a status and
 * the transaction has committed. On failure nothing is kept, item statuses
 * and problems are as they were before the call, and the code is PA_ERETRY
 * (connection or transient: try again), PA_EREJECT (a data error: write the
 * submissions one by one to isolate it) or PA_EFATAL. */
int pa_store_write(pa_store_t *self, pa_submission_t *const *subs, size_t n,
                   const pa_frame_t *frames, size_t n_frames, pa_err_t *err);

/* A dry run: judges sub exactly as pa_store_write would (put_report's
 * revision, duplicate and conflict rules, against what is stored, in one
 * transaction) and rolls back, so nothing is stored, quarantined or queued
 * for aggregation. PA_OK with every item's status set (STORED meaning
 * "would be stored"); otherwise statuses and problems are as before and the
 * code is PA_ERETRY, PA_EREJECT or PA_EFATAL. */
int pa_store_judge(pa_store_t *self, pa_submission_t *sub, pa_err_t *err);

/* Fills out with this store as a pa_sink_t (write, quarantine_item,
 * reconnect); the store must outlive its use. */
void pa_store_sink(pa_store_t *self, pa_sink_t *out);

/* Quarantines one item of sub in its own transaction (for a report the
 * database refused while being stored alone): adds it to sub's quarantine
 * row, or files one and sets sub->quarantine_id. */
int pa_store_quarantine_item(pa_store_t *self, pa_submission_t *sub, const pa_item_t *it,
                             pa_err_t *err);

#endif
