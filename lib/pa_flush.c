/* pa_flush.c - retry, isolate, give up (see pa_flush.h). */
#include "pa_flush.h"

#include <string.h>
#include <time.h>

#include "pa_problem.h"

static void s_nap(void *arg, int ms, const volatile sig_atomic_t *stop)
{
    (void)arg;
    for (int slept = 0; slept < ms && !(stop && *stop); slept += 10) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* Writes each item of sub alone, so that only the culprit is refused. */
static void s_isolate(const pa_sink_t *sink, pa_submission_t *sub, const pa_log_t *log,
                      pa_flush_report_t *rep)
{
    for (size_t i = 0; i < sub->n_items; i++) {
        pa_submission_t one = *sub;
        pa_submission_t *onep = &one;
        one.items = &sub->items[i];
        one.n_items = 1;
        one.first_index = sub->first_index + i;
        pa_err_t err;
        pa_err_clear(&err);
        rep->isolated++;
        int rc = sink->write(sink->ctx, &onep, 1, NULL, 0, &err);
        /* A refusal filed by this write joins the submission's quarantine row. */
        sub->quarantine_id = one.quarantine_id;
        if (rc == PA_OK)
            continue;
        pa_item_t *it = &sub->items[i];
        pa_log_warn(log, "report=%s error=%s the database refused the report: %s",
                    it->report ? it->report->report_id : "", pa_err_name(rc), err.msg);
        bool refused = rc == PA_EREJECT;
        it->status = refused ? PA_STATUS_REJECTED : PA_STATUS_RETRY_LATER;
        pa_problems_add(&it->problems,
                        refused ? PA_REASON_INVALID_FIELD : PA_REASON_STORE_UNAVAILABLE, "",
                        "the database refused the report: sqlstate %s",
                        err.sqlstate[0] ? err.sqlstate : "none");
        if (refused)
            rep->refused++;
        else
            rep->retry_later++;
        pa_err_t qerr;
        pa_err_clear(&qerr);
        if (refused && sink->quarantine_item(sink->ctx, sub, it, &qerr) != PA_OK)
            pa_log_error(log, "report=%s could not quarantine it: %s",
                         it->report ? it->report->report_id : "", qerr.msg);
    }
}

int pa_flush_run(const pa_flush_policy_t *policy, const pa_sink_t *sink, pa_batch_t *batch,
                 const volatile sig_atomic_t *stop, const pa_log_t *log, pa_flush_report_t *rep,
                 pa_err_t *err)
{
    pa_flush_report_t local;
    if (!rep)
        rep = &local;
    memset(rep, 0, sizeof *rep);
    pa_submission_t *const *subs = NULL;
    const pa_frame_t *frames = NULL;
    size_t n_subs = 0, n_frames = 0;
    int rc = pa_batch_views(batch, &subs, &n_subs, &frames, &n_frames, err);
    if (rc != PA_OK || !pa_batch_count(batch))
        return rc;
    void (*nap)(void *, int, const volatile sig_atomic_t *) = policy->nap ? policy->nap : s_nap;
    int max_attempts = policy->max_attempts > 0 ? policy->max_attempts : 1;
    int backoff_ms = policy->backoff_first_ms > 0 ? policy->backoff_first_ms : 1;
    for (;;) {
        pa_err_clear(&rep->last);
        rep->attempts++;
        rc = sink->write(sink->ctx, subs, n_subs, frames, n_frames, &rep->last);
        if (rc != PA_ERETRY || (stop && *stop) || rep->attempts >= max_attempts)
            break;
        pa_log_warn(log, "sqlstate=%s attempt=%d retry_in_ms=%d could not store a batch: %s",
                    rep->last.sqlstate[0] ? rep->last.sqlstate : "none", rep->attempts, backoff_ms,
                    rep->last.msg);
        nap(policy->nap_arg, backoff_ms, stop);
        rep->waited_ms += backoff_ms;
        backoff_ms =
            backoff_ms > policy->backoff_max_ms / 2 ? policy->backoff_max_ms : backoff_ms * 2;
        pa_err_t cerr;
        pa_err_clear(&cerr);
        if (sink->reconnect(sink->ctx, &cerr) == PA_OK) {
            /* The backoff measures how long the database has been away: it
             * is back, so a new failure starts short again. */
            rep->reconnects++;
            backoff_ms = policy->backoff_first_ms > 0 ? policy->backoff_first_ms : 1;
            pa_log_info(log, "reconnected to PostgreSQL");
        }
    }
    if (rc == PA_EREJECT) {
        pa_log_warn(log, "sqlstate=%s isolating the report the database refused: %s",
                    rep->last.sqlstate, rep->last.msg);
        for (size_t i = 0; i < n_subs; i++)
            s_isolate(sink, subs[i], log, rep);
        pa_err_t ferr;
        pa_err_clear(&ferr);
        if (n_frames && sink->write(sink->ctx, NULL, 0, frames, n_frames, &ferr) != PA_OK)
            pa_log_error(log, "frames=%zu could not quarantine refused frames: %s", n_frames,
                         ferr.msg);
        return PA_OK;
    }
    if (rc != PA_OK && err) {
        *err = rep->last;
        err->code = rc;
    }
    return rc;
}
