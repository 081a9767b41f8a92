/* pa_sink.h - where a batch goes: a small table of functions, so that the
 * flush policy (pa_flush) can be driven by pa_store in the worker and by a
 * fake in the unit tests. The sink owns nothing of what it is handed. */
#ifndef PA_SINK_H
#define PA_SINK_H

#include <stddef.h>

#include "pa_codec.h"
#include "pa_err.h"

/* A whole frame the worker refused (undecodable, oversize, wrong version...),
 * kept in the quarantine. Fields are borrowed. */
typedef struct {
    const char *sender; /* "" when the frame could not be read */
    int reason;         /* PA_REASON_* */
    const char *message;
    const void *raw; /* what is kept of the frame (may be a head of it) */
    size_t raw_len;
} pa_frame_t;

typedef struct {
    void *ctx; /* passed to every function */
    /* Writes n submissions and n_frames frames in one transaction (see
     * pa_store_write for the contract): PA_OK with every item's status set,
     * or nothing kept and PA_ERETRY, PA_EREJECT (a data error: isolate)
     * or PA_EFATAL. */
    int (*write)(void *ctx, pa_submission_t *const *subs, size_t n, const pa_frame_t *frames,
                 size_t n_frames, pa_err_t *err);
    /* Keeps one item of sub the database refused in the quarantine (with
     * sub's other refusals: it may set sub->quarantine_id). */
    int (*quarantine_item)(void *ctx, pa_submission_t *sub, const pa_item_t *it, pa_err_t *err);
    /* Re-establishes the connection after PA_ERETRY. */
    int (*reconnect)(void *ctx, pa_err_t *err);
} pa_sink_t;

#endif
