/* pa_producer.c - the sending side: parse a file into a spool (pa_spool),
 * then keep a window of submissions in flight (pa_window) on a DEALER. A
 * parsed file is sent while the next regular file is read (between its
 * chunks), so that the workers are not idle while a file parses.
 * Lazy-Pirate reliability: every submission carries a tag frame the
 * receipt echoes; one without a receipt after timeout_ms is resent as is
 * (same report ids), up to retries times. Sends never block: a send the
 * socket refuses stays queued until POLLOUT. A deadline bounds the whole
 * run. What happens to each report goes to the program's callbacks: the
 * library prints nothing. */
#include "pa_producer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "pa_clock.h"
#include "pa_codec.h"
#include "pa_input.h"
#include "pa_net.h"
#include "pa_problem.h"
#include "pa_report.h"
#include "pa_spool.h"
#include "pa_window.h"

#define PA_CONNECT_WAIT_MS 1000 /* longest wait for every worker before the first send */
#define PA_WAKE_MS         200  /* longest poll: bounds how late a stop is seen */
#define PA_PROGRESS_MS     1000 /* progress events at most this often */

struct pa_producer {
    const pa_producer_config_t *cfg;
    const pa_log_t *log;
    pa_producer_events_t ev;
    char sender[PA_SENDER_SIZE];
    void *ctx;
    void *sock;
    pa_net_watch_t *watch; /* handshake failures, to say why no worker answered */
    pa_window_t *window;
    pa_report_t **batch; /* batch_reports reusable reports */
    size_t n_batch;
    pa_producer_stats_t stats;
    int64_t started_ms;  /* monotonic start, for the deadline */
    int64_t deadline_ms; /* monotonic; INT64_MAX when none */
    int64_t progress_ms; /* monotonic time of the next progress event */
    const volatile sig_atomic_t *stop;
    char **files; /* every file sent, for the places problems point at */
    size_t n_files, cap_files;
    pa_spool_t *pending;   /* a parsed file still to put in flight, before any later one */
    uint64_t pending_left; /* its reports not yet in flight */
};

bool pa_producer_offline(const pa_producer_config_t *cfg)
{
    return cfg->dry_run && (!cfg->connect || !*cfg->connect);
}

int pa_producer_config_validate(const pa_producer_config_t *cfg, pa_err_t *err)
{
    if (!cfg->dry_run && (!cfg->connect || !*cfg->connect))
        return pa_err_set(err, PA_EINVAL, "--connect: no endpoint given");
    if (cfg->batch_reports < 1 || cfg->batch_reports > 10000)
        return pa_err_set(err, PA_EINVAL, "--batch-reports: %d is not in 1..10000",
                          cfg->batch_reports);
    if (cfg->window < 1 || cfg->window > 10000)
        return pa_err_set(err, PA_EINVAL, "--window: %d is not in 1..10000", cfg->window);
    if (cfg->timeout_ms < 10)
        return pa_err_set(err, PA_EINVAL, "--timeout-ms: %d is below 10", cfg->timeout_ms);
    if (cfg->retries < 0)
        return pa_err_set(err, PA_EINVAL, "--retries: %d is negative", cfg->retries);
    if (cfg->deadline_s < 0)
        return pa_err_set(err, PA_EINVAL, "--deadline: %d is negative", cfg->deadline_s);
    if ((cfg->key && *cfg->key) != (cfg->server_key && *cfg->server_key))
        return pa_err_set(err, PA_EINVAL, "%s: --key and --server-key go together",
                          cfg->key && *cfg->key ? "--server-key" : "--key");
    pa_format_t f;
    if (cfg->format && *cfg->format && pa_input_format_parse(cfg->format, &f) != PA_OK)
        return pa_err_set(err, PA_EINVAL, "--format: '%s' is not csv or json", cfg->format);
    return PA_OK;
}

void pa_producer_destroy(pa_producer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pa_producer_t *self = *self_p;
    pa_window_destroy(&self->window);
    pa_spool_destroy(&self->pending);
    for (int i = 0; self->batch && i < self->cfg->batch_reports; i++)
        pa_report_destroy(&self->batch[i]);
    free(self->batch);
    for (size_t i = 0; i < self->n_files; i++)
        free(self->files[i]);
    free(self->files);
    pa_net_watch_destroy(&self->watch);
    if (self->sock)
        zmq_close(self->sock);
    if (self->ctx)
        zmq_ctx_term(self->ctx);
    free(self);
    *self_p = NULL;
}

static int s_connect(pa_producer_t *self, pa_err_t *err)
{
    int one = 1, zero = 0;
    self->sock = zmq_socket(self->ctx, ZMQ_DEALER);
    if (!self->sock)
        return pa_err_set(err, PA_EIO, "zmq_socket: %s", zmq_strerror(zmq_errno()));
    /* IMMEDIATE: queue only to connected workers, so a dead endpoint does not
     * swallow submissions until its timeout. Sends use DONTWAIT: with no
     * worker connected a send fails at once and the flight waits, queued,
     * for POLLOUT instead of blocking the loop (and SIGTERM). */
    if (zmq_setsockopt(self->sock, ZMQ_IMMEDIATE, &one, sizeof one) != 0 ||
        zmq_setsockopt(self->sock, ZMQ_LINGER, &zero, sizeof zero) != 0)
        return pa_err_set(err, PA_EIO, "zmq_setsockopt: %s", zmq_strerror(zmq_errno()));
    if (self->cfg->key && *self->cfg->key &&
        pa_net_curve_client(self->sock, self->cfg->key, self->cfg->server_key, err) != PA_OK)
        return err ? err->code : PA_EINVAL;
    /* Watched from the start: to spread the first window over every worker,
     * and to say why none answered. Without a watch it starts at once. */
    self->watch = pa_net_watch_new(self->ctx, self->sock, self->cfg->key && *self->cfg->key);
    int rc = PA_OK, endpoints = 0;
    char list[1024];
    snprintf(list, sizeof list, "%s", self->cfg->connect);
    char *save = NULL;
    for (char *ep = strtok_r(list, ",", &save); rc == PA_OK && ep;
         ep = strtok_r(NULL, ",", &save), endpoints++)
        if (zmq_connect(self->sock, ep) != 0)
            rc = pa_err_set(err, PA_EINVAL, "could not connect to %s: %s", ep,
                            zmq_strerror(zmq_errno()));
    if (rc == PA_OK && endpoints > 1)
        pa_net_watch_handshakes(self->watch, endpoints, PA_CONNECT_WAIT_MS);
    return rc;
}

pa_producer_t *pa_producer_new(const pa_producer_config_t *cfg, const pa_log_t *log,
                               const pa_producer_events_t *ev, pa_err_t *err)
{
    pa_producer_t *self = calloc(1, sizeof *self);
    if (!self) {
        pa_err_set(err, PA_ENOMEM, "out of memory");
        return NULL;
    }
    self->cfg = cfg;
    self->log = log;
    if (ev)
        self->ev = *ev;
    self->started_ms = pa_clock_mono_ms();
    self->deadline_ms =
        cfg->deadline_s ? self->started_ms + (int64_t)cfg->deadline_s * 1000 : INT64_MAX;
    self->progress_ms = self->started_ms + PA_PROGRESS_MS;
    if (cfg->sender && *cfg->sender) {
        snprintf(self->sender, sizeof self->sender, "%s", cfg->sender);
    } else {
        char host[64] = "producer";
        gethostname(host, sizeof host - 1);
        snprintf(self->sender, sizeof self->sender, "%s:%d", host, (int)getpid());
    }
    self->window = pa_window_new((size_t)cfg->window, cfg->timeout_ms, cfg->retries);
    self->batch = calloc((size_t)cfg->batch_reports, sizeof *self->batch);
    if (!self->window || !self->batch) {
        pa_err_set(err, PA_ENOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < cfg->batch_reports; i++) {
        if (!(self->batch[i] = pa_report_new())) {
            pa_err_set(err, PA_ENOMEM, "out of memory");
            goto fail;
        }
    }
    if (!pa_producer_offline(cfg)) {
        self->ctx = zmq_ctx_new();
        if (!self->ctx) {
            pa_err_set(err, PA_EIO, "zmq_ctx_new: %s", zmq_strerror(zmq_errno()));
            goto fail;
        }
        if (s_connect(self, err) != PA_OK)
            goto fail;
    }
    return self;
fail:
    pa_producer_destroy(&self);
    return NULL;
}

void pa_producer_stats(const pa_producer_t *self, pa_producer_stats_t *out)
{
    *out = self->stats;
}

/* ---------------------------------------------------------------- receipts */

static void s_settle(pa_producer_t *self, const pa_summary_t *r, const pa_verdict_t *v)
{
    if (v->status == PA_STATUS_STORED)
        self->stats.stored++;
    else if (v->status == PA_STATUS_DUPLICATE)
        self->stats.duplicate++;
    else if (v->status == PA_STATUS_SUPERSEDED)
        self->stats.superseded++;
    else
        self->stats.rejected++;
    if (self->ev.settled)
        self->ev.settled(self->ev.arg, r, v);
}

/* The value a problem's field names ("values[33].indicator"), or -1. */
static long s_value_index(const char *field)
{
    if (strncmp(field, "values[", 7) != 0)
        return -1;
    char *end = NULL;
    long k = strtol(field + 7, &end, 10);
    return end && *end == ']' && k >= 0 ? k : -1;
}

/* Fills where[0..pr->n) for report i of flight f: the file and line of
 * the value each problem names (its town and indicator from the sent
 * bytes, decoded once into *sub), else the report's first line. */
static void s_locate(const pa_producer_t *self, const pa_flight_t *f, size_t i,
                     const pa_problems_t *pr, pa_submission_t **sub, pa_where_t *where)
{
    const pa_summary_t *r = &f->reports[i];
    for (size_t k = 0; k < pr->n; k++) {
        pa_where_t *w = &where[k];
        *w = (pa_where_t){.file = r->file < self->n_files ? self->files[r->file] : ""};
        long v = s_value_index(pr->items[k].field);
        size_t at = r->line0 + (v >= 0 && (size_t)v < r->n_values ? (size_t)v : 0);
        if (r->n_values && at < f->n_lines)
            w->line = f->lines[at];
        if (v < 0 || (size_t)v >= r->n_values)
            continue;
        if (!*sub) {
            pa_err_t err;
            if (pa_codec_decode_submission(f->body, f->len, sub, &err) != PA_OK)
                continue; /* no town and indicator: the line still says where */
        }
        if (i < (*sub)->n_items && (size_t)v < (*sub)->items[i].report->n_values) {
            const pa_value_t *val = &(*sub)->items[i].report->values[v];
            snprintf(w->town, sizeof w->town, "%s", val->town);
            snprintf(w->indicator, sizeof w->indicator, "%s", val->indicator);
        }
    }
}

/* Settles report i of f with v (its receipt entry's status and problems),
 * pointing each problem at its place in the input. */
static void s_settle_located(pa_producer_t *self, const pa_flight_t *f, size_t i, pa_verdict_t *v,
                             pa_submission_t **sub)
{
    const pa_problems_t *pr = v->problems;
    pa_where_t *where = pr && pr->n ? calloc(pr->n, sizeof *where) : NULL;
    if (where)
        s_locate(self, f, i, pr, sub, where);
    v->where = where;
    s_settle(self, &f->reports[i], v);
    free(where);
}

/* Gives up f's reports (failed, or unsent if the socket never took it)
 * and frees its slot. */
static void s_fail_flight(pa_producer_t *self, pa_flight_t *f, const char *why)
{
    if (f->attempts)
        self->stats.failed += f->n_reports;
    else
        self->stats.unsent += f->n_reports;
    for (size_t j = 0; self->ev.failed && j < f->n_reports; j++)
        self->ev.failed(self->ev.arg, &f->reports[j], why);
    pa_window_close(self->window, f);
}

static void s_on_receipt(pa_producer_t *self, const uint8_t *tagb, size_t tag_len, const void *body,
                         size_t len)
{
    if (tag_len != 8) {
        pa_log_warn(self->log, "tag_bytes=%zu ignoring a receipt with a foreign tag", tag_len);
        return;
    }
    uint64_t tag = 0;
    for (int i = 0; i < 8; i++)
        tag = tag << 8 | tagb[i];
    self->stats.receipts++;
    pa_flight_t *f = pa_window_find(self->window, tag);
    if (!f)
        return; /* a late receipt for a resent submission already settled */
    pa_receipt_t *rec = NULL;
    pa_err_t err;
    if (pa_codec_decode_receipt(body, len, &rec, &err) != PA_OK) {
        pa_log_warn(self->log, "tag=%llu could not read a receipt: %s", (unsigned long long)tag,
                    err.msg);
        return; /* resent on timeout */
    }
    if (rec->status == PA_STATUS_RETRY_LATER) {
        pa_log_info(self->log, "tag=%llu worker=%s asks to resend later: %s",
                    (unsigned long long)tag, rec->worker, rec->message);
        pa_window_retry_later(self->window, f, pa_clock_mono_ms());
    } else if (rec->status == PA_STATUS_REJECTED || rec->n_entries != f->n_reports) {
        /* The whole submission was refused (or the receipt does not match it). */
        pa_problems_t pr = {0};
        if (rec->status == PA_STATUS_REJECTED)
            pa_problems_add(&pr, rec->reason, "submission", "%s", rec->message);
        else
            pa_problems_add(&pr, PA_REASON_NONE, "submission",
                            "the receipt answers %zu reports, %zu were sent", rec->n_entries,
                            f->n_reports);
        pa_submission_t *sub = NULL;
        for (size_t i = 0; i < f->n_reports; i++) {
            pa_verdict_t v = {PA_STATUS_REJECTED, &pr, NULL, 0, self->cfg->dry_run};
            s_settle_located(self, f, i, &v, &sub);
        }
        pa_submission_destroy(&sub);
        pa_problems_clear(&pr);
        pa_window_close(self->window, f);
    } else {
        bool again = false;
        for (size_t i = 0; i < rec->n_entries; i++)
            again |= rec->entries[i].status == PA_STATUS_RETRY_LATER;
        if (again) {
            /* Resend the whole submission: what was stored comes back "duplicate". */
            pa_window_retry_later(self->window, f, pa_clock_mono_ms());
        } else {
            if (rec->dry_run != self->cfg->dry_run)
                pa_log_error(
                    self->log, "worker=%s dry_run=%d answered a %s", rec->worker, rec->dry_run,
                    self->cfg->dry_run ? "dry run as a real submission: it does not know dry runs"
                                       : "real submission as a dry run");
            pa_submission_t *sub = NULL;
            for (size_t i = 0; i < rec->n_entries; i++) {
                const pa_receipt_entry_t *e = &rec->entries[i];
                pa_verdict_t v = {e->status, &e->problems, NULL, e->current_revision, rec->dry_run};
                s_settle_located(self, f, i, &v, &sub);
            }
            pa_submission_destroy(&sub);
            pa_window_close(self->window, f);
        }
    }
    pa_receipt_destroy(&rec);
}

/* Reads every receipt that is ready. */
static void s_drain(pa_producer_t *self)
{
    for (;;) {
        zmq_msg_t frames[3];
        size_t n = 0;
        bool more = true;
        while (more) {
            zmq_msg_t scratch, *m = n < 3 ? &frames[n] : &scratch;
            zmq_msg_init(m);
            if (zmq_msg_recv(m, self->sock, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
                zmq_msg_close(m);
                break;
            }
            more = zmq_msg_more(m);
            if (n < 3)
                n++;
            else
                zmq_msg_close(m);
        }
        if (n == 0)
            return;
        if (n == 3 && zmq_msg_size(&frames[0]) == 0)
            s_on_receipt(self, zmq_msg_data(&frames[1]), zmq_msg_size(&frames[1]),
                         zmq_msg_data(&frames[2]), zmq_msg_size(&frames[2]));
        else
            pa_log_warn(self->log, "frames=%zu ignoring a malformed reply", n);
        for (size_t i = 0; i < n; i++)
            zmq_msg_close(&frames[i]);
    }
}

/* ---------------------------------------------------------------- sending */

/* Hands f to the socket without blocking; false when it would block. */
static bool s_transmit(pa_producer_t *self, pa_flight_t *f)
{
    uint8_t tag[8];
    for (int i = 0; i < 8; i++)
        tag[i] = (uint8_t)(f->tag >> (56 - 8 * i));
    int64_t now = pa_clock_mono_ms();
    if (zmq_send(self->sock, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        if (zmq_errno() == EAGAIN) {
            pa_window_blocked(self->window, f, now);
            return false;
        }
        pa_log_warn(self->log, "tag=%llu endpoint=%s could not send (%s): will retry",
                    (unsigned long long)f->tag, self->cfg->connect, zmq_strerror(zmq_errno()));
    } else if (zmq_send(self->sock, tag, sizeof tag, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
               zmq_send(self->sock, f->body, f->len, ZMQ_DONTWAIT) < 0) {
        /* The first frame was taken, so the rest is too (HWM counts whole
         * messages); anything else is resent on timeout. */
        pa_log_warn(self->log, "tag=%llu endpoint=%s could not send (%s): will retry",
                    (unsigned long long)f->tag, self->cfg->connect, zmq_strerror(zmq_errno()));
    }
    pa_window_sent(self->window, f, now);
    return true;
}

/* Sends what is due, gives up what has used every retry. */
static void s_timers(pa_producer_t *self)
{
    bool writable = true;
    size_t i = 0;
    pa_flight_t *f;
    while ((f = pa_window_at(self->window, i))) {
        int64_t now = pa_clock_mono_ms();
        pa_flight_verdict_t v = pa_window_verdict(self->window, f, now);
        if (v == PA_FLIGHT_GIVE_UP) {
            char why[96];
            if (f->attempts)
                snprintf(why, sizeof why, "no receipt after %d attempts", f->attempts);
            else
                snprintf(why, sizeof why, "never sent: no worker was connected");
            pa_log_error(self->log, "tag=%llu attempts=%d endpoint=%s giving up %zu reports: %s",
                         (unsigned long long)f->tag, f->attempts, self->cfg->connect, f->n_reports,
                         why);
            s_fail_flight(self, f, why);
            continue; /* the slot now holds another flight */
        }
        if (v == PA_FLIGHT_SEND && writable) {
            if (f->attempts)
                pa_log_info(self->log, "tag=%llu attempt=%d no receipt in time: resending",
                            (unsigned long long)f->tag, f->attempts + 1);
            writable = s_transmit(self, f);
        }
        i++;
    }
}

/* Tells the program how far the run is, when asked for and due (or final). */
static void s_progress(pa_producer_t *self, bool final)
{
    if (!self->cfg->progress || !self->ev.progress)
        return;
    int64_t now = pa_clock_mono_ms();
    if (!final && now < self->progress_ms)
        return;
    self->progress_ms = now + PA_PROGRESS_MS;
    self->ev.progress(self->ev.arg, &self->stats, now - self->started_ms, final);
}

/* Why the run cannot go on, or PA_OK: a stop request, the deadline, or
 * no worker ever answering while submissions gave up. */
static int s_check_end(pa_producer_t *self, pa_err_t *err)
{
    int64_t now = pa_clock_mono_ms();
    int elapsed_s = (int)((now - self->started_ms + 999) / 1000);
    if (*self->stop)
        return pa_err_set(err, PA_ESTOP, "stopped with %zu submissions unacknowledged",
                          pa_window_count(self->window));
    /* Read every turn: unread, the watch's events would pile up. */
    char why[200];
    pa_net_watch_why(self->watch, why, sizeof why);
    bool silent = self->stats.receipts == 0 && !pa_producer_offline(self->cfg);
    if (now >= self->deadline_ms || (silent && (self->stats.failed || self->stats.unsent))) {
        if (silent)
            return pa_err_set(err, PA_ETIMEOUT, "no worker answered at %s within %d s: %s",
                              self->cfg->connect, elapsed_s,
                              why[0] ? why : "is a worker running and bound there?");
        return pa_err_set(err, PA_ETIMEOUT,
                          "deadline of %d s reached with %zu submissions unacknowledged",
                          self->cfg->deadline_s, pa_window_count(self->window));
    }
    return PA_OK;
}

/* The end of every turn: resends and give-ups that are due, progress, and
 * whether the run can go on. */
static int s_end_turn(pa_producer_t *self, pa_err_t *err)
{
    s_timers(self);
    s_progress(self, false);
    return s_check_end(self, err);
}

/* One turn of the loop: wait for receipts (or room to send) up to the
 * next timer, then run the timers. */
static int s_service(pa_producer_t *self, pa_err_t *err)
{
    int64_t now = pa_clock_mono_ms();
    int64_t next = pa_window_next_due(self->window);
    if (next > now + PA_WAKE_MS)
        next = now + PA_WAKE_MS;
    if (next > self->deadline_ms)
        next = self->deadline_ms;
    short events = ZMQ_POLLIN;
    if (pa_window_wants_send(self->window, now))
        events |= ZMQ_POLLOUT;
    zmq_pollitem_t item = {self->sock, 0, events, 0};
    int rc = zmq_poll(&item, 1, next > now ? (long)(next - now) : 0);
    if (rc < 0 && zmq_errno() != EINTR)
        return pa_err_set(err, PA_EIO, "zmq_poll: %s", zmq_strerror(zmq_errno()));
    if (rc > 0 && (item.revents & ZMQ_POLLIN))
        s_drain(self);
    return s_end_turn(self, err);
}

/* Puts one encoded submission in flight, waiting for a free slot first.
 * Takes ownership of body and reports. */
static int s_launch(pa_producer_t *self, uint8_t *body, size_t len, pa_summary_t *reports,
                    size_t n_reports, uint32_t *lines, size_t n_lines, pa_err_t *err)
{
    int rc = PA_OK;
    pa_flight_t *f = NULL;
    while (!pa_window_has_room(self->window) && rc == PA_OK)
        rc = s_service(self, err);
    if (rc == PA_OK)
        f = pa_window_open(self->window, body, len, reports, n_reports, pa_clock_mono_ms());
    if (rc == PA_OK && !f)
        rc = pa_err_set(err, PA_EFATAL, "no free slot in the window");
    if (rc != PA_OK || !f) {
        free(body);
        free(reports);
        free(lines);
        return rc;
    }
    f->lines = lines; /* the flight owns them now */
    f->n_lines = n_lines;
    self->stats.sent += n_reports;
    s_drain(self); /* pick up receipts already waiting, without blocking */
    return s_end_turn(self, err);
}

/* ---------------------------------------------------------------- files */

typedef struct {
    pa_producer_t *self;
    pa_spool_t *spool; /* NULL when offline (a dry run without a worker) */
    uint64_t reports;  /* counted while parsing, added to stats on success */
    uint64_t values;
    const char *path;
} s_parse_t;

static void s_on_syntax(void *arg, const char *message)
{
    s_parse_t *ps = arg;
    if (ps->self->ev.syntax)
        ps->self->ev.syntax(ps->self->ev.arg, ps->path, message);
}

static int s_spool_batch(s_parse_t *ps, pa_err_t *err)
{
    pa_producer_t *self = ps->self;
    uint8_t *body = NULL;
    size_t len = 0;
    pa_summary_t *sums = NULL;
    uint32_t *lines = NULL;
    int rc = PA_OK;
    if (!self->n_batch || !ps->spool)
        goto cleanup;
    rc = pa_codec_encode_request(self->sender, self->cfg->dry_run, self->batch, self->n_batch,
                                 &body, &len, err);
    if (rc != PA_OK)
        goto cleanup;
    size_t n_lines = 0;
    for (size_t i = 0; i < self->n_batch; i++)
        n_lines += self->batch[i]->n_values;
    sums = calloc(self->n_batch, sizeof *sums);
    lines = calloc(n_lines ? n_lines : 1, sizeof *lines);
    if (!sums || !lines) {
        rc = pa_err_set(err, PA_ENOMEM, "out of memory");
        goto cleanup;
    }
    size_t at = 0;
    for (size_t i = 0; i < self->n_batch; i++) {
        const pa_report_t *r = self->batch[i];
        snprintf(sums[i].report_id, sizeof sums[i].report_id, "%s", r->report_id);
        snprintf(sums[i].district, sizeof sums[i].district, "%s", r->district);
        pa_period_format(&r->period, sums[i].period);
        sums[i].revision = r->revision;
        sums[i].n_values = r->n_values;
        sums[i].file = (uint32_t)(self->n_files - 1);
        sums[i].line0 = (uint32_t)at;
        for (size_t k = 0; k < r->n_values; k++)
            lines[at++] = r->values[k].line > UINT32_MAX ? 0 : (uint32_t)r->values[k].line;
    }
    rc = pa_spool_append(ps->spool, body, len, sums, self->n_batch, lines, n_lines, err);
cleanup:
    self->n_batch = 0;
    free(sums);
    free(lines);
    free(body);
    return rc;
}

static int s_parse_cb(void *arg, pa_report_t *r, pa_err_t *err)
{
    s_parse_t *ps = arg;
    pa_producer_t *self = ps->self;
    if (self->stop && *self->stop)
        return pa_err_set(err, PA_ESTOP, "stopped while reading");
    ps->reports++;
    ps->values += r->n_values;
    if (!ps->spool)
        return PA_OK; /* offline dry run: parse and count only */
    pa_report_t *slot = self->batch[self->n_batch];
    int rc = pa_report_copy(slot, r, err);
    if (rc != PA_OK)
        return rc;
    if (!slot->report_id[0])
        pa_report_assign_id(slot);
    if (!slot->submitted_at_ms)
        slot->submitted_at_ms = pa_clock_wall_ms();
    self->n_batch++;
    if (self->n_batch == (size_t)self->cfg->batch_reports)
        rc = s_spool_batch(ps, err);
    return rc;
}

/* Puts the next submission of the pending spool in flight (waiting for a
 * free slot); at its end the spool is dropped. */
static int s_launch_pending(pa_producer_t *self, pa_err_t *err)
{
    uint8_t *body = NULL;
    pa_summary_t *reports = NULL;
    uint32_t *lines = NULL;
    size_t len = 0, n = 0, n_lines = 0;
    int rc = pa_spool_next(self->pending, &body, &len, &reports, &n, &lines, &n_lines, err);
    if (rc != PA_OK)
        return rc;
    if (!body) {
        pa_spool_destroy(&self->pending);
        self->pending_left = 0;
        return PA_OK;
    }
    rc = s_launch(self, body, len, reports, n, lines, n_lines, err);
    if (rc == PA_OK)
        self->pending_left -= n;
    return rc;
}

/* Puts the rest of the pending spool in flight, keeping the window full. */
static int s_flush_pending(pa_producer_t *self, pa_err_t *err)
{
    int rc = PA_OK;
    while (rc == PA_OK && self->pending)
        rc = s_launch_pending(self, err);
    return rc;
}

/* Between two chunks of the next file: fills the window from the pending
 * spool and reads the receipts that came, without waiting for anything. */
static int s_on_chunk(void *arg, pa_err_t *err)
{
    pa_producer_t *self = arg;
    int rc = PA_OK;
    while (rc == PA_OK && self->pending && pa_window_has_room(self->window))
        rc = s_launch_pending(self, err);
    if (rc != PA_OK)
        return rc;
    s_drain(self);
    return s_end_turn(self, err);
}

/* Room for one more file name; false on out of memory. */
static bool s_grow_files(pa_producer_t *self)
{
    if (self->n_files < self->cap_files)
        return true;
    size_t cap = self->cap_files ? self->cap_files * 2 : 8;
    char **files = realloc(self->files, cap * sizeof *files);
    if (!files)
        return false;
    self->files = files;
    self->cap_files = cap;
    return true;
}

int pa_producer_send_file(pa_producer_t *self, const char *path, const volatile sig_atomic_t *stop,
                          pa_err_t *err)
{
    int rc = PA_OK;
    FILE *f = NULL;
    s_parse_t ps = {self, NULL, 0, 0, path};
    bool is_stdin = strcmp(path, "-") == 0;
    pa_format_t format = PA_FORMAT_AUTO;
    self->stop = stop;
    if (self->cfg->format && *self->cfg->format)
        pa_input_format_parse(self->cfg->format, &format);
    else
        format = pa_input_format_from_name(path);
    if (format == PA_FORMAT_AUTO) {
        rc = pa_err_set(err, PA_EINVAL, "%s: cannot tell the format from the name: use --format",
                        path);
        goto cleanup;
    }
    if (!is_stdin && !(f = fopen(path, "rb"))) {
        rc = pa_err_set(err, PA_EIO, "could not open %s: %s", path, strerror(errno));
        goto cleanup;
    }
    if (!s_grow_files(self) || !(self->files[self->n_files] = strdup(path))) {
        rc = pa_err_set(err, PA_ENOMEM, "out of memory");
        goto cleanup;
    }
    self->n_files++;
    if (!pa_producer_offline(self->cfg) && !(ps.spool = pa_spool_new(err))) {
        rc = err ? err->code : PA_EIO;
        goto cleanup;
    }
    /* A pipe or terminal may make reading wait: the previous file goes out
     * first, as a whole. A regular file is read while it goes. */
    struct stat st;
    bool regular = fstat(fileno(is_stdin ? stdin : f), &st) == 0 && S_ISREG(st.st_mode);
    if (!regular)
        rc = s_flush_pending(self, err);
    if (rc != PA_OK)
        goto cleanup;
    const pa_input_opts_t opts = {.ignore_columns = self->cfg->ignore_columns,
                                  .on_error = s_on_syntax,
                                  .error_arg = &ps,
                                  .on_chunk = ps.spool ? s_on_chunk : NULL,
                                  .chunk_arg = self};
    rc = pa_input_read_file_opts(is_stdin ? stdin : f, format, path, &opts, s_parse_cb, &ps, err);
    if (rc == PA_OK)
        rc = s_spool_batch(&ps, err);
    if (rc != PA_OK)
        goto cleanup; /* the whole file must parse before anything of it is sent */
    self->stats.reports += ps.reports;
    self->stats.values += ps.values;
    if (ps.spool) {
        /* Files go in order: what is left of the previous one first. This
         * one is sent while the next file is read, or by finish. */
        rc = s_flush_pending(self, err);
        if (rc != PA_OK) {
            self->stats.unsent += ps.reports; /* never entered the window */
            goto cleanup;
        }
        pa_spool_rewind(ps.spool);
        self->pending = ps.spool;
        self->pending_left = ps.reports;
        ps.spool = NULL;
        rc = s_on_chunk(self, err);
    }
cleanup:
    self->n_batch = 0;
    pa_spool_destroy(&ps.spool);
    if (f)
        fclose(f); /* read-only: nothing to lose */
    return rc;
}

int pa_producer_withdraw(pa_producer_t *self, const char *district, const char *period,
                         uint32_t revision, const volatile sig_atomic_t *stop, pa_err_t *err)
{
    int rc = PA_OK;
    uint8_t *body = NULL;
    size_t len = 0;
    pa_summary_t *sum = NULL;
    pa_report_t *r = pa_report_new();
    self->stop = stop;
    if (!r || !(sum = calloc(1, sizeof *sum))) {
        rc = pa_err_set(err, PA_ENOMEM, "out of memory");
        goto cleanup;
    }
    if (pa_producer_offline(self->cfg)) {
        rc = pa_err_set(err, PA_EINVAL, "--withdraw: give --connect (a dry run asks the worker)");
        goto cleanup;
    }
    if (!district || strlen(district) != 6 || strspn(district, "0123456789") != 6) {
        rc = pa_err_set(err, PA_EINVAL, "--district: '%s' is not a district code (6 digits)",
                        district ? district : "");
        goto cleanup;
    }
    if (pa_period_parse(period ? period : "", &r->period, err) != PA_OK) {
        pa_err_prefix(err, "--period");
        rc = PA_EINVAL;
        goto cleanup;
    }
    if (revision < 1) {
        rc =
            pa_err_set(err, PA_EINVAL, "--revision: give the void revision, above the current one");
        goto cleanup;
    }
    snprintf(r->district, sizeof r->district, "%s", district);
    r->revision = revision;
    r->withdraw = true;
    r->submitted_at_ms = pa_clock_wall_ms();
    pa_report_assign_id(r);
    rc = pa_codec_encode_request(self->sender, self->cfg->dry_run, &r, 1, &body, &len, err);
    if (rc != PA_OK)
        goto cleanup;
    snprintf(sum->report_id, sizeof sum->report_id, "%s", r->report_id);
    snprintf(sum->district, sizeof sum->district, "%s", r->district);
    pa_period_format(&r->period, sum->period);
    sum->revision = revision;
    sum->file = UINT32_MAX; /* from the command line, not a file */
    sum->withdraw = true;
    self->stats.reports++;
    rc = s_flush_pending(self, err); /* what came before it goes first */
    if (rc != PA_OK) {
        self->stats.unsent++;
        goto cleanup;
    }
    rc = s_launch(self, body, len, sum, 1, NULL, 0, err);
    body = NULL; /* s_launch owns them now */
    sum = NULL;
cleanup:
    free(body);
    free(sum);
    pa_report_destroy(&r);
    return rc;
}

int pa_producer_finish(pa_producer_t *self, const volatile sig_atomic_t *stop, pa_err_t *err)
{
    self->stop = stop;
    if (pa_producer_offline(self->cfg))
        return PA_OK;
    int rc = s_flush_pending(self, err);
    while (rc == PA_OK && pa_window_count(self->window))
        rc = s_service(self, err);
    /* What was read but never entered the window is unsettled too. */
    self->stats.unsent += self->pending_left;
    self->pending_left = 0;
    pa_spool_destroy(&self->pending);
    /* Stopped or out of time: what is still in flight is not settled. */
    pa_flight_t *f;
    while ((f = pa_window_at(self->window, 0)))
        s_fail_flight(self, f,
                      rc == PA_ESTOP ? "stopped before a receipt came"
                                     : "no receipt before the deadline");
    s_progress(self, true);
    return rc;
}
