/* test_flush.c - the worker's policy without processes: pa_batch's budgets
 * and timing, and pa_flush against a fake sink that answers retryable,
 * reject and fatal errors from a script, with a nap that only records. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pa_batch.h"
#include "pa_flush.h"
#include "pa_problem.h"

/* ---------------------------------------------------------------- helpers */

static pa_submission_t *s_sub(size_t n_items, const char *first_id)
{
    pa_submission_t *sub = calloc(1, sizeof *sub);
    cr_assert_not_null(sub);
    sub->version = 1;
    snprintf(sub->sender, sizeof sub->sender, "test");
    sub->items = calloc(n_items, sizeof *sub->items);
    sub->n_items = n_items;
    for (size_t i = 0; i < n_items; i++) {
        sub->items[i].report = pa_report_new();
        snprintf(sub->items[i].report->report_id, sizeof sub->items[i].report->report_id, "%s-%zu",
                 first_id, i);
    }
    return sub;
}

static pa_batch_t *s_batch(size_t max_reports, int max_wait_ms)
{
    pa_batch_limits_t lim = {max_reports, 1 << 20, max_wait_ms};
    pa_batch_t *b = pa_batch_new(&lim);
    cr_assert_not_null(b);
    return b;
}

/* A scripted sink: whole-batch writes answer script[] in turn (then OK);
 * a single-item write (isolation: tests give every submission at least two
 * items) refuses the report whose id is `bad`. */
typedef struct {
    int script[16];
    int n_script, at;
    const char *bad;
    int writes, single_writes, quarantined, reconnects;
    bool reconnect_ok; /* false: the database stays away */
} s_fake_t;

static int s_fake_write(void *ctx, pa_submission_t *const *subs, size_t n, const pa_frame_t *frames,
                        size_t n_frames, pa_err_t *err)
{
    (void)frames;
    s_fake_t *f = ctx;
    if (n == 1 && subs[0]->n_items == 1 && !n_frames) {
        f->single_writes++;
        if (f->bad && strcmp(subs[0]->items[0].report->report_id, f->bad) == 0) {
            pa_err_set(err, PA_EREJECT, "check constraint");
            snprintf(err->sqlstate, sizeof err->sqlstate, "23514");
            return PA_EREJECT;
        }
        subs[0]->items[0].status = PA_STATUS_STORED;
        return PA_OK;
    }
    f->writes++;
    int rc = f->at < f->n_script ? f->script[f->at++] : PA_OK;
    if (rc != PA_OK)
        return pa_err_set(err, rc, "scripted failure %d", f->at);
    for (size_t s = 0; s < n; s++)
        for (size_t i = 0; i < subs[s]->n_items; i++)
            subs[s]->items[i].status = PA_STATUS_STORED;
    return PA_OK;
}

static int s_fake_quarantine(void *ctx, pa_submission_t *sub, const pa_item_t *it, pa_err_t *err)
{
    (void)sub, (void)it, (void)err;
    ((s_fake_t *)ctx)->quarantined++;
    return PA_OK;
}

static int s_fake_reconnect(void *ctx, pa_err_t *err)
{
    s_fake_t *f = ctx;
    f->reconnects++;
    return f->reconnect_ok ? PA_OK : pa_err_set(err, PA_ERETRY, "still away");
}

typedef struct {
    int naps[32];
    int n;
    volatile sig_atomic_t *stop_after; /* raised after this many naps, if set */
    int stop_at;
} s_naps_t;

static void s_fake_nap(void *arg, int ms, const volatile sig_atomic_t *stop)
{
    (void)stop;
    s_naps_t *n = arg;
    if (n->n < 32)
        n->naps[n->n] = ms;
    n->n++;
    if (n->stop_after && n->n >= n->stop_at)
        *n->stop_after = 1;
}

static pa_sink_t s_sink(s_fake_t *f)
{
    return (pa_sink_t){f, s_fake_write, s_fake_quarantine, s_fake_reconnect};
}

static pa_flush_policy_t s_policy(s_naps_t *naps, int attempts)
{
    return (pa_flush_policy_t){50, 400, attempts, s_fake_nap, naps};
}

/* ---------------------------------------------------------------- batch */

Test(batch, due_on_reports_or_age)
{
    pa_batch_t *b = s_batch(5, 100);
    cr_assert_eq(pa_batch_wait_ms(b, 0), -1, "empty: nothing is due");
    cr_assert_not(pa_batch_due(b, 1000000));
    cr_assert_eq(pa_batch_add(b, "id", 2, "t", 1, s_sub(3, "a"), 300, 1000), PA_OK);
    cr_assert_eq(pa_batch_wait_ms(b, 1040), 60);
    cr_assert_not(pa_batch_due(b, 1099));
    cr_assert(pa_batch_due(b, 1100), "the oldest waited max_wait_ms");
    cr_assert_not(pa_batch_full(b));
    cr_assert_eq(
        pa_batch_add_frame(b, "id", 2, "", 0, "s", PA_REASON_OVERSIZE, "too big", "xyz", 3, 1050),
        PA_OK);
    cr_assert_eq(pa_batch_reports(b), 4);
    cr_assert_eq(pa_batch_bytes(b), 303);
    cr_assert_eq(pa_batch_add(b, "id", 2, "t", 1, s_sub(1, "b"), 10, 1060), PA_OK);
    cr_assert(pa_batch_full(b));
    cr_assert(pa_batch_due(b, 1060), "full: due now");
    pa_submission_t *const *subs;
    const pa_frame_t *frames;
    size_t ns, nf;
    cr_assert_eq(pa_batch_views(b, &subs, &ns, &frames, &nf, NULL), PA_OK);
    cr_assert_eq(ns, 2);
    cr_assert_eq(nf, 1);
    cr_assert_str_eq(frames[0].message, "too big");
    cr_assert_eq(frames[0].raw_len, 3);
    pa_batch_clear(b);
    cr_assert_eq(pa_batch_count(b), 0);
    cr_assert_eq(pa_batch_bytes(b), 0);
    cr_assert_eq(pa_batch_wait_ms(b, 5000), -1);
    pa_batch_destroy(&b);
    cr_assert_null(b);
}

Test(batch, byte_budget_and_bad_sizes)
{
    pa_batch_limits_t lim = {1000, 100, 1000};
    pa_batch_t *b = pa_batch_new(&lim);
    pa_submission_t *sub = s_sub(1, "a");
    unsigned char big[PA_BATCH_ID_MAX + 1] = {0};
    cr_assert_eq(pa_batch_add(b, big, sizeof big, "", 0, sub, 1, 0), PA_EINVAL,
                 "an id longer than ROUTER allows is refused; the caller keeps sub");
    cr_assert_eq(pa_batch_add(b, "i", 1, "", 0, sub, 100, 0), PA_OK);
    cr_assert(pa_batch_full(b), "the byte budget is reached");
    pa_batch_destroy(&b);
}

/* ---------------------------------------------------------------- flush */

/* One flush under test: a scripted sink, recorded naps, a batch holding one
 * submission of two reports (a-0, a-1) unless a test adds more. */
typedef struct {
    s_fake_t f;
    s_naps_t naps;
    pa_sink_t sink;
    pa_flush_policy_t p;
    pa_batch_t *b;
    pa_flush_report_t rep;
} s_fix_t;

static void s_fix(s_fix_t *x, int attempts, const int *script, int n_script, bool with_sub)
{
    memset(x, 0, sizeof *x);
    for (int i = 0; i < n_script; i++)
        x->f.script[i] = script[i];
    x->f.n_script = n_script;
    x->sink = s_sink(&x->f);
    x->p = s_policy(&x->naps, attempts);
    x->b = s_batch(100, 5);
    if (with_sub)
        pa_batch_add(x->b, "i", 1, "", 0, s_sub(2, "a"), 1, 0);
}

static int s_flush(s_fix_t *x, const volatile sig_atomic_t *stop, pa_err_t *err)
{
    return pa_flush_run(&x->p, &x->sink, x->b, stop, NULL, &x->rep, err);
}

static const int s_retry4[] = {PA_ERETRY, PA_ERETRY, PA_ERETRY, PA_ERETRY};

Test(flush, commits_at_once_when_the_sink_works)
{
    s_fix_t x;
    s_fix(&x, 5, NULL, 0, true);
    cr_assert_eq(s_flush(&x, NULL, NULL), PA_OK);
    cr_assert_eq(x.rep.attempts, 1);
    cr_assert_eq(x.naps.n, 0);
    cr_assert_eq(pa_batch_entry(x.b, 0)->sub->items[1].status, PA_STATUS_STORED);
    pa_batch_destroy(&x.b);
}

Test(flush, retries_transient_failures_with_doubling_backoff)
{
    s_fix_t x;
    s_fix(&x, 10, s_retry4, 4, true);
    cr_assert_eq(s_flush(&x, NULL, NULL), PA_OK);
    cr_assert_eq(x.rep.attempts, 5);
    cr_assert_eq(x.naps.n, 4);
    int want[] = {50, 100, 200, 400};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(x.naps.naps[i], want[i], "nap %d: %d", i, x.naps.naps[i]);
    cr_assert_eq(x.f.reconnects, 4, "reconnects after every transient failure");
    cr_assert_eq(x.rep.waited_ms, 750);
    pa_batch_destroy(&x.b);
}

Test(flush, a_successful_reconnect_restarts_the_backoff)
{
    s_fix_t x;
    s_fix(&x, 10, s_retry4, 3, true);
    x.f.reconnect_ok = true;
    cr_assert_eq(s_flush(&x, NULL, NULL), PA_OK);
    cr_assert_eq(x.naps.n, 3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(x.naps.naps[i], 50, "the database came back each time");
    cr_assert_eq(x.rep.reconnects, 3);
    pa_batch_destroy(&x.b);
}

Test(flush, backoff_stays_at_its_cap_and_gives_up)
{
    int script[16];
    for (int i = 0; i < 16; i++)
        script[i] = PA_ERETRY;
    s_fix_t x;
    s_fix(&x, 7, script, 16, true);
    pa_err_t err;
    cr_assert_eq(s_flush(&x, NULL, &err), PA_ERETRY);
    cr_assert_eq(x.rep.attempts, 7);
    cr_assert_eq(x.naps.n, 6, "no nap after the last attempt");
    cr_assert_eq(x.naps.naps[5], 400);
    cr_assert_eq(err.code, PA_ERETRY);
    cr_assert_eq(pa_batch_entry(x.b, 0)->sub->items[0].status, PA_STATUS_NONE,
                 "nothing stored: the caller answers RETRY_LATER");
    pa_batch_destroy(&x.b);
}

Test(flush, a_stop_request_gives_up_after_the_current_attempt)
{
    volatile sig_atomic_t stop = 0;
    s_fix_t x;
    s_fix(&x, 50, s_retry4, 4, true);
    x.naps.stop_after = &stop;
    x.naps.stop_at = 2;
    cr_assert_eq(s_flush(&x, &stop, NULL), PA_ERETRY);
    cr_assert_eq(x.rep.attempts, 3);
    stop = 1;
    x.f.at = 0;
    cr_assert_eq(s_flush(&x, &stop, NULL), PA_ERETRY);
    cr_assert_eq(x.rep.attempts, 1, "stopping: one attempt only, then RETRY_LATER");
    pa_batch_destroy(&x.b);
}

Test(flush, a_data_error_isolates_the_offending_report)
{
    static const int script[] = {PA_EREJECT};
    s_fix_t x;
    s_fix(&x, 5, script, 1, true);
    x.f.bad = "b-1";
    pa_batch_add(x.b, "j", 1, "", 0, s_sub(3, "b"), 1, 0);
    pa_batch_add_frame(x.b, "k", 1, "", 0, "", PA_REASON_UNDECODABLE, "junk", "x", 1, 0);
    cr_assert_eq(s_flush(&x, NULL, NULL), PA_OK);
    cr_assert_eq(x.f.single_writes, 5, "every report written alone");
    cr_assert_eq(x.rep.isolated, 5);
    cr_assert_eq(x.rep.refused, 1);
    cr_assert_eq(x.f.quarantined, 1);
    cr_assert_eq(x.f.writes, 2, "the batch once, then the frames alone");
    const pa_submission_t *s2 = pa_batch_entry(x.b, 1)->sub;
    cr_assert_eq(s2->items[0].status, PA_STATUS_STORED);
    cr_assert_eq(s2->items[1].status, PA_STATUS_REJECTED);
    cr_assert_eq(s2->items[1].problems.n, 1);
    cr_assert(strstr(s2->items[1].problems.items[0].message, "23514"));
    cr_assert_eq(s2->items[2].status, PA_STATUS_STORED);
    cr_assert_eq(x.naps.n, 0, "a data error is not retried");
    pa_batch_destroy(&x.b);
}

Test(flush, fatal_errors_are_not_retried)
{
    static const int script[] = {PA_EFATAL};
    s_fix_t x;
    s_fix(&x, 5, script, 1, true);
    pa_err_t err;
    cr_assert_eq(s_flush(&x, NULL, &err), PA_EFATAL);
    cr_assert_eq(x.f.writes, 1);
    cr_assert_eq(x.naps.n, 0);
    cr_assert(strstr(err.msg, "scripted failure"));
    pa_batch_destroy(&x.b);
}

Test(flush, an_empty_batch_writes_nothing)
{
    s_fix_t x;
    s_fix(&x, 5, NULL, 0, false);
    cr_assert_eq(s_flush(&x, NULL, NULL), PA_OK);
    cr_assert_eq(x.f.writes, 0);
    pa_batch_destroy(&x.b);
}
