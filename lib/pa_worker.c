/* pa_worker.c - receive, judge, store in batches, acknowledge after commit.
 * Loop shape (zguide): poll with a timeout, drain what is readable into the
 * pending batch, flush on size or age, then check for a stop request. While
 * PostgreSQL is away the worker stops reading, so ZeroMQ's high-water marks
 * push back on producers instead of memory growing here. */
#include "pa_worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "pa_catalog.h"
#include "pa_clock.h"
#include "pa_codec.h"
#include "pa_problem.h"
#include "pa_store.h"
#include "pa_validate.h"

#define PA_ID_MAX              256   /* ROUTER routing ids are at most 255 bytes */
#define PA_TAG_MAX             64    /* client tag frame, echoed in the receipt */
#define PA_OVERSIZE_KEEP_BYTES 65536 /* head of an oversize frame kept in the quarantine */
#define PA_SUMMARY_EVERY_MS    60000 /* counters logged at info this often */
#define PA_IDLE_POLL_MS        200   /* poll timeout with nothing else to do */
#define PA_AGGREGATE_QUIET_MS  250   /* aggregate only after this long without a submission */
#define PA_AGGREGATE_DISTRICTS 38    /* districts per idle aggregation step */
#define PA_AGGREGATE_CHECK_MS  1000  /* look at an empty aggregation queue this often */
#define PA_AGGREGATE_RETRY_MS  5000  /* back off after a failed aggregation step */
#define PA_BATCH_MAX_BYTES     (64 * 1024 * 1024) /* flush a batch holding this many bytes */
#define PA_HARD_MAX_BYTES      (256 * 1024 * 1024) /* ZMQ_MAXMSGSIZE: beyond, libzmq drops the peer */

/* One message awaiting the batch commit: a judged submission, or a frame
 * refused whole whose quarantine row goes into the same transaction (one
 * round trip per frame made a flood of garbage crawl). */
typedef struct {
    unsigned char id[PA_ID_MAX];
    size_t id_len;
    unsigned char tag[PA_TAG_MAX];
    size_t tag_len;
    pa_submission_t *sub; /* owned; NULL for a refused frame */
    int reason;           /* refused frame: PA_REASON_* */
    char *message;        /* refused frame: owned */
    uint8_t *raw;         /* refused frame: owned copy of what is kept */
    size_t raw_len;
    char sender[PA_SENDER_SIZE];
} s_pending_t;

struct pa_worker {
    const pa_worker_config_t *cfg;
    const pa_log_t *log;
    char name[64];
    char endpoint[256];
    void *ctx;
    void *sock;
    pa_store_t *store;
    pa_catalog_t *cat;
    s_pending_t *pending;
    size_t n_pending, cap_pending;
    size_t pending_reports; /* reports, and refused frames, waiting for the batch */
    size_t pending_bytes;   /* wire bytes held by the pending messages */
    int64_t oldest_ms;      /* monotonic arrival of the oldest pending submission */
    /* Counters for the periodic and final summary lines. */
    uint64_t n_stored, n_duplicate, n_rejected, n_frames_rejected, n_batches;
    uint64_t n_aggregated; /* district periods recomputed from the aggregation queue */
};

int pa_worker_config_validate(const pa_worker_config_t *cfg, pa_err_t *err)
{
    if (!cfg->init_db && (!cfg->bind || !*cfg->bind))
        return pa_err_set(err, PA_EINVAL, "--bind: no endpoint given");
    if (cfg->batch_reports < 1 || cfg->batch_reports > 100000)
        return pa_err_set(err, PA_EINVAL, "--batch-reports: %d is not in 1..100000",
                          cfg->batch_reports);
    if (cfg->batch_wait_ms < 0 || cfg->batch_wait_ms > 60000)
        return pa_err_set(err, PA_EINVAL, "--batch-wait-ms: %d is not in 0..60000",
                          cfg->batch_wait_ms);
    if (cfg->max_submission_bytes < 1024 || cfg->max_submission_bytes > PA_HARD_MAX_BYTES)
        return pa_err_set(err, PA_EINVAL, "--max-submission-bytes: %d is not in 1024..%d",
                          cfg->max_submission_bytes, PA_HARD_MAX_BYTES);
    if (cfg->max_reports < 1 || cfg->max_reports > 100000)
        return pa_err_set(err, PA_EINVAL, "--max-reports: %d is not in 1..100000",
                          cfg->max_reports);
    if (cfg->retry_max_ms < 10)
        return pa_err_set(err, PA_EINVAL, "--retry-max-ms: %d is below 10", cfg->retry_max_ms);
    return PA_OK;
}

int pa_worker_init_db(const pa_worker_config_t *cfg, int *applied, pa_err_t *err)
{
    pa_store_t *store = pa_store_new(cfg->dsn, cfg->name, err);
    if (!store)
        return err ? err->code : PA_ERETRY;
    int rc = pa_store_migrate(store, applied, err);
    pa_store_destroy(&store);
    return rc;
}

int pa_worker_rebuild(const pa_worker_config_t *cfg, long long *rows, pa_err_t *err)
{
    pa_store_t *store = pa_store_new(cfg->dsn, cfg->name, err);
    if (!store)
        return err ? err->code : PA_ERETRY;
    int rc = pa_store_rebuild(store, rows, err);
    pa_store_destroy(&store);
    return rc;
}

static void s_pending_clear(s_pending_t *p)
{
    pa_submission_destroy(&p->sub);
    free(p->message);
    free(p->raw);
    p->message = NULL;
    p->raw = NULL;
}

void pa_worker_destroy(pa_worker_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pa_worker_t *self = *self_p;
    for (size_t i = 0; i < self->n_pending; i++)
        s_pending_clear(&self->pending[i]);
    free(self->pending);
    if (self->sock)
        zmq_close(self->sock);
    if (self->ctx)
        zmq_ctx_term(self->ctx);
    pa_store_destroy(&self->store);
    pa_catalog_destroy(&self->cat);
    free(self);
    *self_p = NULL;
}

static int s_bind(pa_worker_t *self, pa_err_t *err)
{
    int one = 1, zero = 0;
    int64_t maxmsg = PA_HARD_MAX_BYTES;
    self->sock = zmq_socket(self->ctx, ZMQ_ROUTER);
    if (!self->sock)
        return pa_err_set(err, PA_EIO, "zmq_socket: %s", zmq_strerror(zmq_errno()));
    /* MANDATORY: a receipt for a vanished peer fails loudly instead of being
     * dropped in silence; the producer resends and gets "duplicate". */
    if (zmq_setsockopt(self->sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one) != 0 ||
        zmq_setsockopt(self->sock, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(self->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) != 0)
        return pa_err_set(err, PA_EIO, "zmq_setsockopt: %s", zmq_strerror(zmq_errno()));
    char list[1024];
    snprintf(list, sizeof list, "%s", self->cfg->bind);
    char *save = NULL;
    for (char *ep = strtok_r(list, ",", &save); ep; ep = strtok_r(NULL, ",", &save)) {
        if (zmq_bind(self->sock, ep) != 0)
            return pa_err_set(err, PA_EIO, "could not bind %s: %s", ep, zmq_strerror(zmq_errno()));
        size_t len = sizeof self->endpoint;
        if (zmq_getsockopt(self->sock, ZMQ_LAST_ENDPOINT, self->endpoint, &len) != 0)
            return pa_err_set(err, PA_EIO, "ZMQ_LAST_ENDPOINT: %s", zmq_strerror(zmq_errno()));
    }
    return PA_OK;
}

pa_worker_t *pa_worker_new(const pa_worker_config_t *cfg, const pa_log_t *log, pa_err_t *err)
{
    pa_worker_t *self = calloc(1, sizeof *self);
    if (!self) {
        pa_err_set(err, PA_ENOMEM, "out of memory");
        return NULL;
    }
    self->cfg = cfg;
    self->log = log;
    if (cfg->name && *cfg->name) {
        snprintf(self->name, sizeof self->name, "%s", cfg->name);
    } else {
        char host[48] = "worker";
        gethostname(host, sizeof host - 1);
        snprintf(self->name, sizeof self->name, "%s:%d", host, (int)getpid());
    }
    self->store = pa_store_new(cfg->dsn, self->name, err);
    if (!self->store || pa_store_check_schema(self->store, err) != PA_OK ||
        pa_store_load_catalog(self->store, &self->cat, err) != PA_OK)
        goto fail;
    self->ctx = zmq_ctx_new();
    if (!self->ctx) {
        pa_err_set(err, PA_EIO, "zmq_ctx_new: %s", zmq_strerror(zmq_errno()));
        goto fail;
    }
    if (s_bind(self, err) != PA_OK)
        goto fail;
    return self;
fail:
    pa_worker_destroy(&self);
    return NULL;
}

/* ---------------------------------------------------------------- replies */

static void s_send(pa_worker_t *self, const unsigned char *id, size_t id_len,
                   const unsigned char *tag, size_t tag_len, const uint8_t *body, size_t len)
{
    if (zmq_send(self->sock, id, id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(self->sock, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(self->sock, tag, tag_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(self->sock, body, len, ZMQ_DONTWAIT) < 0)
        pa_log_warn(self->log, "error=%s could not send a receipt: the producer will resend",
                    zmq_strerror(zmq_errno()));
}

static void s_reply_failure(pa_worker_t *self, const unsigned char *id, size_t id_len,
                            const unsigned char *tag, size_t tag_len, int status, int reason,
                            const char *message)
{
    uint8_t *body = NULL;
    size_t len = 0;
    if (pa_codec_encode_failure(status, reason, message, self->name, &body, &len, NULL) == PA_OK)
        s_send(self, id, id_len, tag, tag_len, body, len);
    free(body);
}

/* ---------------------------------------------------------------- receive */

/* Appends a pending slot for the sender (id, tag); NULL when out of memory. */
static s_pending_t *s_add_pending(pa_worker_t *self, const void *id, size_t id_len, const void *tag,
                                  size_t tag_len, size_t bytes)
{
    if (self->n_pending == self->cap_pending) {
        size_t cap = self->cap_pending ? self->cap_pending * 2 : 64;
        s_pending_t *grown = realloc(self->pending, cap * sizeof *grown);
        if (!grown)
            return NULL;
        self->pending = grown;
        self->cap_pending = cap;
    }
    s_pending_t *p = &self->pending[self->n_pending++];
    memset(p, 0, sizeof *p);
    p->id_len = id_len;
    memcpy(p->id, id, id_len);
    p->tag_len = tag_len;
    memcpy(p->tag, tag, tag_len);
    if (self->n_pending == 1)
        self->oldest_ms = pa_clock_mono_ms();
    self->pending_bytes += bytes;
    return p;
}

/* A whole frame is refused: it is kept in the quarantine with the next batch
 * and answered after that commits, like any submission. */
static void s_reject_frame(pa_worker_t *self, const unsigned char *id, size_t id_len,
                           const unsigned char *tag, size_t tag_len, const char *sender,
                           const void *raw, size_t raw_len, int reason, const char *message)
{
    self->n_frames_rejected++;
    /* Debug only: a flood of garbage must not become a flood of log lines;
     * the periodic summary counts them. */
    pa_log_debug(self->log, "reason=%s bytes=%zu submission rejected: %s", pa_reason_name(reason),
                 raw_len, message);
    s_pending_t *p = s_add_pending(self, id, id_len, tag, tag_len, raw_len);
    if (p) {
        p->reason = reason;
        p->message = strdup(message);
        p->raw = malloc(raw_len ? raw_len : 1);
        snprintf(p->sender, sizeof p->sender, "%s", sender ? sender : "");
        if (p->raw)
            memcpy(p->raw, raw, raw_len);
        p->raw_len = raw_len;
        if (p->message && p->raw) {
            self->pending_reports++;
            return;
        }
        s_pending_clear(p);
        self->n_pending--;
        self->pending_bytes -= raw_len;
    }
    s_reply_failure(self, id, id_len, tag, tag_len, PA_STATUS_RETRY_LATER,
                    PA_REASON_STORE_UNAVAILABLE, "worker out of memory: resend later");
}

/* Handles one complete message: frames[0] is the routing id. */
static void s_handle(pa_worker_t *self, zmq_msg_t *frames, size_t n)
{
    const unsigned char *id = zmq_msg_data(&frames[0]);
    size_t id_len = zmq_msg_size(&frames[0]);
    static const unsigned char no_tag[1] = {0};
    if (n != 4 || zmq_msg_size(&frames[1]) != 0 || zmq_msg_size(&frames[2]) > PA_TAG_MAX) {
        bool tagged =
            n >= 3 && zmq_msg_size(&frames[1]) == 0 && zmq_msg_size(&frames[2]) <= PA_TAG_MAX;
        char msg[160];
        snprintf(
            msg, sizeof msg,
            "expected 3 frames (empty delimiter, tag of at most %d bytes, submission), got %zu",
            PA_TAG_MAX, n - 1);
        /* The last frame is kept, but only its head: no size limit applies
         * to a message that is not a submission. */
        size_t last = zmq_msg_size(&frames[n - 1]);
        s_reject_frame(self, id, id_len, tagged ? zmq_msg_data(&frames[2]) : no_tag,
                       tagged ? zmq_msg_size(&frames[2]) : 0, "", zmq_msg_data(&frames[n - 1]),
                       last < PA_OVERSIZE_KEEP_BYTES ? last : PA_OVERSIZE_KEEP_BYTES,
                       PA_REASON_BAD_FRAMING, msg);
        return;
    }
    const unsigned char *tag = zmq_msg_data(&frames[2]);
    size_t tag_len = zmq_msg_size(&frames[2]);
    const void *body = zmq_msg_data(&frames[3]);
    size_t len = zmq_msg_size(&frames[3]);
    char msg[256];
    if (len > (size_t)self->cfg->max_submission_bytes) {
        snprintf(msg, sizeof msg, "submission of %zu bytes is above the limit of %d bytes", len,
                 self->cfg->max_submission_bytes);
        /* Keep the head of it: enough to see what it was, bounded in size. */
        s_reject_frame(self, id, id_len, tag, tag_len, "", body,
                       len < PA_OVERSIZE_KEEP_BYTES ? len : PA_OVERSIZE_KEEP_BYTES,
                       PA_REASON_OVERSIZE, msg);
        return;
    }
    pa_err_t err;
    pa_submission_t *sub = NULL;
    if (pa_codec_decode_submission(body, len, &sub, &err) != PA_OK) {
        s_reject_frame(self, id, id_len, tag, tag_len, "", body, len,
                       err.code == PA_EINVAL ? PA_REASON_UNDECODABLE : PA_REASON_OVERSIZE, err.msg);
        return;
    }
    int reason = PA_REASON_NONE;
    if (sub->version != 1) {
        reason = PA_REASON_UNSUPPORTED_VERSION;
        snprintf(msg, sizeof msg, "protocol version %u is not supported (this worker speaks 1)",
                 sub->version);
    } else if (sub->n_items == 0) {
        reason = PA_REASON_EMPTY_SUBMISSION;
        snprintf(msg, sizeof msg, "the submission holds no reports");
    } else if (sub->n_items > (size_t)self->cfg->max_reports) {
        reason = PA_REASON_TOO_MANY_REPORTS;
        snprintf(msg, sizeof msg, "%zu reports, more than the limit of %d", sub->n_items,
                 self->cfg->max_reports);
    }
    if (reason != PA_REASON_NONE) {
        s_reject_frame(self, id, id_len, tag, tag_len, sub->sender, body, len, reason, msg);
        pa_submission_destroy(&sub);
        return;
    }
    int64_t now = pa_clock_wall_ms();
    for (size_t i = 0; i < sub->n_items; i++)
        pa_validate_report(self->cat, sub->items[i].report, now, &sub->items[i].problems);
    pa_log_debug(self->log, "reports=%zu sender=%s submission received", sub->n_items, sub->sender);
    s_pending_t *p = s_add_pending(self, id, id_len, tag, tag_len, len);
    if (p) {
        p->sub = sub;
        self->pending_reports += sub->n_items;
    } else {
        s_reply_failure(self, id, id_len, tag, tag_len, PA_STATUS_RETRY_LATER,
                        PA_REASON_STORE_UNAVAILABLE, "worker out of memory: resend later");
        pa_submission_destroy(&sub);
    }
}

/* Reads one multipart message without blocking; returns false when none. */
static bool s_recv_one(pa_worker_t *self)
{
    enum { MAX_FRAMES = 8 };
    zmq_msg_t frames[MAX_FRAMES];
    size_t n = 0;
    bool more = true, got = false;
    while (more) {
        zmq_msg_t scratch;
        zmq_msg_t *m = n < MAX_FRAMES ? &frames[n] : &scratch;
        zmq_msg_init(m);
        if (zmq_msg_recv(m, self->sock, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(m);
            break;
        }
        got = true;
        more = zmq_msg_more(m);
        if (n < MAX_FRAMES)
            n++;
        else
            zmq_msg_close(m); /* extra frames: counted by the framing check below */
    }
    if (got && n >= 2)
        s_handle(self, frames, n);
    for (size_t i = 0; i < n; i++)
        zmq_msg_close(&frames[i]);
    return got;
}

/* ---------------------------------------------------------------- flush */

static void s_log_item(pa_worker_t *self, const pa_submission_t *sub, const pa_item_t *it)
{
    const pa_report_t *r = it->report;
    char period[PA_PERIOD_SIZE];
    pa_period_format(&r->period, period);
    if (it->status == PA_STATUS_STORED) {
        self->n_stored++;
        pa_log_debug(self->log, "report=%s district=%s period=%s revision=%u values=%zu stored",
                     r->report_id, r->district, period, r->revision, r->n_values);
    } else if (it->status == PA_STATUS_DUPLICATE) {
        self->n_duplicate++;
        pa_log_debug(self->log, "report=%s district=%s period=%s duplicate", r->report_id,
                     r->district, period);
    } else {
        self->n_rejected++;
        const pa_problem_t *p = it->problems.n ? &it->problems.items[0] : NULL;
        pa_log_info(self->log,
                    "report=%s district=%s period=%s sender=%s problems=%zu rejected: %s: %s",
                    r->report_id, r->district, period, sub->sender,
                    it->problems.n + it->problems.dropped, p ? p->field : "", p ? p->message : "");
    }
}

static void s_reply_pending(pa_worker_t *self, s_pending_t *p)
{
    uint8_t *body = NULL;
    size_t len = 0;
    pa_err_t err;
    for (size_t i = 0; i < p->sub->n_items; i++)
        s_log_item(self, p->sub, &p->sub->items[i]);
    if (pa_codec_encode_receipt(p->sub, self->name, &body, &len, &err) == PA_OK)
        s_send(self, p->id, p->id_len, p->tag, p->tag_len, body, len);
    else
        pa_log_error(self->log, "could not encode a receipt: %s", err.msg);
    free(body);
}

/* Sleeps up to ms, waking early on a stop request. */
static void s_nap(int ms, const volatile sig_atomic_t *stop)
{
    for (int slept = 0; slept < ms && !*stop; slept += 10) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* Writes one submission item by item when the batch held a data error, so
 * that only the culprit is refused. */
static void s_isolate(pa_worker_t *self, pa_submission_t *sub)
{
    for (size_t i = 0; i < sub->n_items; i++) {
        pa_submission_t one = *sub;
        pa_submission_t *onep = &one;
        one.items = &sub->items[i];
        one.n_items = 1;
        pa_err_t err;
        int rc = pa_store_write(self->store, &onep, 1, NULL, 0, &err);
        if (rc == PA_OK)
            continue;
        pa_item_t *it = &sub->items[i];
        pa_log_warn(self->log, "report=%s error=%s the database refused the report: %s",
                    it->report->report_id, pa_err_name(rc), err.msg);
        it->status = rc == PA_EREJECT ? PA_STATUS_REJECTED : PA_STATUS_RETRY_LATER;
        pa_problems_add(&it->problems,
                        rc == PA_EREJECT ? PA_REASON_INVALID_FIELD : PA_REASON_STORE_UNAVAILABLE,
                        "", "the database refused the report: sqlstate %s", err.sqlstate);
        pa_err_t qerr;
        if (rc == PA_EREJECT && pa_store_quarantine_item(self->store, sub, it, &qerr) != PA_OK)
            pa_log_error(self->log, "report=%s could not quarantine it: %s", it->report->report_id,
                         qerr.msg);
    }
}

static int s_flush(pa_worker_t *self, const volatile sig_atomic_t *stop, pa_err_t *err)
{
    if (!self->n_pending)
        return PA_OK;
    pa_submission_t **subs = malloc(self->n_pending * sizeof *subs);
    pa_frame_t *frames = malloc(self->n_pending * sizeof *frames);
    if (!subs || !frames) {
        free(subs);
        free(frames);
        return pa_err_set(err, PA_ENOMEM, "out of memory flushing a batch");
    }
    size_t n_subs = 0, n_frames = 0;
    for (size_t i = 0; i < self->n_pending; i++) {
        const s_pending_t *p = &self->pending[i];
        if (p->sub)
            subs[n_subs++] = p->sub;
        else
            frames[n_frames++] = (pa_frame_t){p->sender, p->reason, p->message, p->raw, p->raw_len};
    }
    int backoff_ms = 50, rc;
    int64_t started_ms = pa_clock_mono_ms();
    pa_err_t werr;
    for (;;) {
        rc = pa_store_write(self->store, subs, n_subs, frames, n_frames, &werr);
        if (rc != PA_ERETRY || *stop)
            break;
        pa_log_warn(self->log, "sqlstate=%s retry_in_ms=%d could not store a batch: %s",
                    werr.sqlstate[0] ? werr.sqlstate : "none", backoff_ms, werr.msg);
        s_nap(backoff_ms, stop);
        backoff_ms =
            backoff_ms * 2 > self->cfg->retry_max_ms ? self->cfg->retry_max_ms : backoff_ms * 2;
        pa_err_t cerr;
        if (pa_store_reconnect(self->store, &cerr) == PA_OK)
            pa_log_info(self->log, "reconnected to PostgreSQL");
    }
    if (rc == PA_EREJECT) {
        pa_log_warn(self->log, "sqlstate=%s isolating the report the database refused: %s",
                    werr.sqlstate, werr.msg);
        for (size_t i = 0; i < n_subs; i++)
            s_isolate(self, subs[i]);
        pa_err_t ferr;
        if (n_frames && pa_store_write(self->store, NULL, 0, frames, n_frames, &ferr) != PA_OK)
            pa_log_error(self->log, "frames=%zu could not quarantine refused frames: %s", n_frames,
                         ferr.msg);
        rc = PA_OK;
    }
    if (rc == PA_OK) {
        self->n_batches++;
        uint64_t before = self->n_stored + self->n_duplicate + self->n_rejected;
        for (size_t i = 0; i < self->n_pending; i++) {
            s_pending_t *p = &self->pending[i];
            if (p->sub)
                s_reply_pending(self, p);
            else
                s_reply_failure(self, p->id, p->id_len, p->tag, p->tag_len, PA_STATUS_REJECTED,
                                p->reason, p->message);
        }
        pa_log_info(
            self->log,
            "batch=%llu submissions=%zu reports=%llu refused_frames=%zu store_ms=%lld committed "
            "and acknowledged",
            (unsigned long long)self->n_batches, n_subs,
            (unsigned long long)(self->n_stored + self->n_duplicate + self->n_rejected - before),
            n_frames, (long long)(pa_clock_mono_ms() - started_ms));
    } else {
        /* Stopped while PostgreSQL was away, or a fatal error: nothing of this
         * batch is stored, so tell every producer to resend. */
        for (size_t i = 0; i < self->n_pending; i++)
            s_reply_failure(self, self->pending[i].id, self->pending[i].id_len,
                            self->pending[i].tag, self->pending[i].tag_len, PA_STATUS_RETRY_LATER,
                            PA_REASON_STORE_UNAVAILABLE,
                            "the worker could not store this submission: resend later");
        if (rc != PA_ERETRY)
            pa_err_set(err, rc, "%s", werr.msg);
    }
    for (size_t i = 0; i < self->n_pending; i++)
        s_pending_clear(&self->pending[i]);
    self->n_pending = 0;
    self->pending_reports = 0;
    self->pending_bytes = 0;
    free(subs);
    free(frames);
    return rc == PA_ERETRY ? PA_OK : rc;
}

static void s_log_summary(const pa_worker_t *self, const char *what)
{
    pa_log_info(self->log,
                "worker=%s batches=%llu stored=%llu duplicate=%llu rejected=%llu "
                "frames_rejected=%llu aggregated=%llu %s",
                self->name, (unsigned long long)self->n_batches, (unsigned long long)self->n_stored,
                (unsigned long long)self->n_duplicate, (unsigned long long)self->n_rejected,
                (unsigned long long)self->n_frames_rejected, (unsigned long long)self->n_aggregated,
                what);
}

/* One step of idle-time aggregation: recompute the queued periods of a few
 * districts, so that a submission arriving meanwhile waits for one step at
 * most. Returns when the next step is due: now while work remains, later
 * when the queue is empty (other workers' batches fill it too) or failing.
 * A failure here never stops the worker: ingest matters more, and the queue
 * keeps the work. */
static int64_t s_aggregate_step(pa_worker_t *self)
{
    int keys = 0;
    pa_err_t aerr;
    int rc = pa_store_aggregate_pending(self->store, PA_AGGREGATE_DISTRICTS, &keys, &aerr);
    if (rc != PA_OK) {
        pa_log_warn(self->log, "sqlstate=%s could not aggregate queued reports: %s",
                    aerr.sqlstate[0] ? aerr.sqlstate : "none", aerr.msg);
        if (rc == PA_ERETRY)
            pa_store_reconnect(self->store, NULL);
        return pa_clock_mono_ms() + PA_AGGREGATE_RETRY_MS;
    }
    self->n_aggregated += (uint64_t)keys;
    return keys ? pa_clock_mono_ms() : pa_clock_mono_ms() + PA_AGGREGATE_CHECK_MS;
}

int pa_worker_run(pa_worker_t *self, const volatile sig_atomic_t *stop, pa_err_t *err)
{
    int rc = PA_OK;
    int64_t summary_due = pa_clock_mono_ms() + PA_SUMMARY_EVERY_MS;
    int64_t aggregate_due = 0; /* at start: drain what earlier workers left queued */
    int64_t last_busy = 0;     /* when a message or a flush last kept the worker busy */
    pa_log_info(self->log, "worker=%s endpoint=%s batch_reports=%d batch_wait_ms=%d ready",
                self->name, self->endpoint, self->cfg->batch_reports, self->cfg->batch_wait_ms);
    while (!*stop) {
        /* Aggregation waits for a quiet moment: during a flood of
         * submissions it would only delay their receipts. */
        int64_t now = pa_clock_mono_ms();
        int64_t quiet_at = last_busy + PA_AGGREGATE_QUIET_MS;
        int64_t next_aggregate = aggregate_due > quiet_at ? aggregate_due : quiet_at;
        long timeout = next_aggregate <= now                    ? 0
                       : next_aggregate - now < PA_IDLE_POLL_MS ? (long)(next_aggregate - now)
                                                                : PA_IDLE_POLL_MS;
        if (self->n_pending) {
            int64_t left = self->oldest_ms + self->cfg->batch_wait_ms - pa_clock_mono_ms();
            timeout = left > 0 ? (long)left : 0;
        }
        zmq_pollitem_t item = {self->sock, 0, ZMQ_POLLIN, 0};
        int n = zmq_poll(&item, 1, timeout);
        if (n < 0) {
            if (zmq_errno() == EINTR)
                continue; /* the loop condition sees the stop request */
            rc = pa_err_set(err, PA_EIO, "zmq_poll: %s", zmq_strerror(zmq_errno()));
            break;
        }
        /* Drain what is ready, up to one batch (or a bounded number of
         * messages, for a flood of rejected frames), so that neither the
         * flush nor the stop check starves. */
        for (int i = 0; i < 1000 && self->pending_reports < (size_t)self->cfg->batch_reports &&
                        self->pending_bytes < PA_BATCH_MAX_BYTES && s_recv_one(self);
             i++)
            ;
        bool due =
            self->n_pending && (self->pending_reports >= (size_t)self->cfg->batch_reports ||
                                self->pending_bytes >= PA_BATCH_MAX_BYTES ||
                                pa_clock_mono_ms() - self->oldest_ms >= self->cfg->batch_wait_ms);
        if (due && (rc = s_flush(self, stop, err)) != PA_OK)
            break;
        if (n > 0 || due)
            last_busy = pa_clock_mono_ms();
        if (due)
            aggregate_due = 0; /* the batch queued aggregation work */
        else if (n == 0 && !self->n_pending && pa_clock_mono_ms() >= next_aggregate)
            aggregate_due = s_aggregate_step(self);
        if (pa_clock_mono_ms() >= summary_due) {
            s_log_summary(self, "running");
            summary_due = pa_clock_mono_ms() + PA_SUMMARY_EVERY_MS;
        }
    }
    /* A stop request: finish and acknowledge the current batch. */
    if (rc == PA_OK)
        rc = s_flush(self, stop, err);
    s_log_summary(self, "stopped");
    return rc;
}
