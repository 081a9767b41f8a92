/* pa_batch.h - the worker's pending batch: judged submissions and refused
 * frames waiting for one transaction, with their reply addresses, and the
 * byte, report and age accounting that says when to stop reading and when
 * to flush. Pure: no sockets, no database, time comes in as an argument. */
#ifndef PA_BATCH_H
#define PA_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pa_codec.h"
#include "pa_err.h"
#include "pa_sink.h"

#define PA_BATCH_ID_MAX  256 /* ROUTER routing ids are at most 255 bytes */
#define PA_BATCH_TAG_MAX 64  /* client tag frame, echoed in the receipt */

typedef struct {
    size_t max_reports; /* flush once this many reports (or refused frames) are pending */
    size_t max_bytes;   /* ... or they hold this many wire bytes */
    int max_wait_ms;    /* ... or the oldest has waited this long */
} pa_batch_limits_t;

/* One message awaiting the batch commit; owned by the batch. */
typedef struct {
    unsigned char id[PA_BATCH_ID_MAX];
    size_t id_len;
    unsigned char tag[PA_BATCH_TAG_MAX];
    size_t tag_len;
    pa_submission_t *sub; /* a judged submission; NULL for a refused frame */
    pa_frame_t frame;     /* refused frame (sub == NULL): strings and raw owned */
} pa_batch_entry_t;

typedef struct pa_batch pa_batch_t;

/* NULL when out of memory. lim is copied. */
pa_batch_t *pa_batch_new(const pa_batch_limits_t *lim);
void pa_batch_destroy(pa_batch_t **self_p);

/* Adds a submission; takes ownership of sub on PA_OK only (on PA_ENOMEM
 * the caller still owns it). id_len and tag_len must fit the limits
 * above (PA_EINVAL otherwise). bytes: its wire size. */
int pa_batch_add(pa_batch_t *self, const void *id, size_t id_len, const void *tag, size_t tag_len,
                 pa_submission_t *sub, size_t bytes, int64_t now_ms);
/* Adds a refused frame: copies sender, message and raw. */
int pa_batch_add_frame(pa_batch_t *self, const void *id, size_t id_len, const void *tag,
                       size_t tag_len, const char *sender, int reason, const char *message,
                       const void *raw, size_t raw_len, int64_t now_ms);

size_t pa_batch_count(const pa_batch_t *self);   /* entries */
size_t pa_batch_reports(const pa_batch_t *self); /* reports and refused frames */
size_t pa_batch_bytes(const pa_batch_t *self);
/* Entry i (0 <= i < count), borrowed until the next add or clear. */
pa_batch_entry_t *pa_batch_entry(pa_batch_t *self, size_t i);

/* Whether a report or byte budget is reached: stop reading, flush. */
bool pa_batch_full(const pa_batch_t *self);
/* Whether the batch should be flushed now (full, or the oldest is old). */
bool pa_batch_due(const pa_batch_t *self, int64_t now_ms);
/* Milliseconds until the batch is due: 0 when due, -1 when empty. */
int pa_batch_wait_ms(const pa_batch_t *self, int64_t now_ms);

/* The submissions and frames, in arrival order, as the sink takes them.
 * The arrays are the batch's, valid until the next add or clear. */
int pa_batch_views(pa_batch_t *self, pa_submission_t *const **subs, size_t *n_subs,
                   const pa_frame_t **frames, size_t *n_frames, pa_err_t *err);

/* Frees every entry; the batch is empty. */
void pa_batch_clear(pa_batch_t *self);

#endif
