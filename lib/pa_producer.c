/* pa_producer.c - the sending side. Lazy-Pirate reliability over a DEALER:
 * every submission carries a tag frame the receipt echoes; one without a
 * receipt after timeout_ms is resent as is (same report ids), up to retries
 * times. A window of submissions stays in flight so that throughput is not
 * capped by one round trip per submission. */
#include "pa_producer.h"

#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "pa_clock.h"
#include "pa_codec.h"
#include "pa_input.h"
#include "pa_problem.h"
#include "pa_report.h"

#define PA_CONNECT_WAIT_MS 1000 /* longest wait for every worker before the first send */

typedef struct {
    char report_id[PA_REPORT_ID_SIZE];
    char district[PA_DISTRICT_SIZE];
    char period[PA_PERIOD_SIZE];
    uint32_t revision;
    size_t n_values;
} s_summary_t;

typedef struct {
    bool used;
    uint64_t tag;  /* sequence number, sent big-endian in the tag frame */
    uint8_t *body; /* owned: encoded Submission, resent as is */
    size_t len;
    int64_t due_ms;       /* monotonic time of the next resend */
    int attempts;         /* sends so far */
    s_summary_t *reports; /* owned, n_reports */
    size_t n_reports;
} s_flight_t;

struct pa_producer {
    const pa_producer_config_t *cfg;
    const pa_log_t *log;
    FILE *out;
    FILE *errors; /* --errors CSV, or NULL */
    char sender[PA_SENDER_SIZE];
    void *ctx;
    void *sock;
    s_flight_t *flights; /* window slots */
    size_t n_flights;    /* in use */
    uint64_t next_tag;
    pa_report_t **batch; /* batch_reports reusable reports */
    size_t n_batch;
    pa_producer_stats_t stats;
    const volatile sig_atomic_t *stop;
};

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
    pa_format_t f;
    if (cfg->format && *cfg->format && pa_input_format_parse(cfg->format, &f) != PA_OK)
        return pa_err_set(err, PA_EINVAL, "--format: '%s' is not csv or json", cfg->format);
    return PA_OK;
}

static void s_flight_clear(s_flight_t *f)
{
    free(f->body);
    free(f->reports);
    memset(f, 0, sizeof *f);
}

void pa_producer_destroy(pa_producer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pa_producer_t *self = *self_p;
    for (int i = 0; self->flights && i < self->cfg->window; i++)
        s_flight_clear(&self->flights[i]);
    free(self->flights);
    for (int i = 0; self->batch && i < self->cfg->batch_reports; i++)
        pa_report_destroy(&self->batch[i]);
    free(self->batch);
    if (self->sock)
        zmq_close(self->sock);
    if (self->ctx)
        zmq_ctx_term(self->ctx);
    if (self->errors)
        fclose(self->errors);
    free(self);
    *self_p = NULL;
}

/* Waits up to wait_ms for the handshake with every endpoint, so that the
 * first window spreads over all workers instead of going to whichever
 * connected first (IMMEDIATE only queues to connected peers). A worker that
 * is down only delays the start by wait_ms. */
static void s_await_workers(void *monitor, int endpoints, int wait_ms)
{
    int ready = 0;
    int64_t deadline = pa_clock_mono_ms() + wait_ms;
    while (ready < endpoints) {
        int64_t left = deadline - pa_clock_mono_ms();
        zmq_pollitem_t item = {monitor, 0, ZMQ_POLLIN, 0};
        if (left <= 0 || zmq_poll(&item, 1, (long)left) <= 0)
            return;
        /* An event is two frames: 6 bytes (event, value), then the address. */
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, monitor, 0) < 0) {
            zmq_msg_close(&msg);
            return;
        }
        uint16_t event = 0;
        if (zmq_msg_size(&msg) >= sizeof event)
            memcpy(&event, zmq_msg_data(&msg), sizeof event);
        bool more = zmq_msg_more(&msg);
        zmq_msg_close(&msg);
        if (more) {
            zmq_msg_init(&msg);
            zmq_msg_recv(&msg, monitor, 0);
            zmq_msg_close(&msg);
        }
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
            ready++;
    }
}

static int s_connect(pa_producer_t *self, pa_err_t *err)
{
    int one = 1, zero = 0, timeout = self->cfg->timeout_ms;
    self->sock = zmq_socket(self->ctx, ZMQ_DEALER);
    if (!self->sock)
        return pa_err_set(err, PA_EIO, "zmq_socket: %s", zmq_strerror(zmq_errno()));
    /* IMMEDIATE: queue only to connected workers, so a dead endpoint does not
     * swallow submissions until its timeout. */
    if (zmq_setsockopt(self->sock, ZMQ_IMMEDIATE, &one, sizeof one) != 0 ||
        zmq_setsockopt(self->sock, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(self->sock, ZMQ_SNDTIMEO, &timeout, sizeof timeout) != 0)
        return pa_err_set(err, PA_EIO, "zmq_setsockopt: %s", zmq_strerror(zmq_errno()));
    char monitor_ep[64];
    snprintf(monitor_ep, sizeof monitor_ep, "inproc://pa-producer-monitor-%p", (void *)self);
    void *monitor = NULL;
    if (zmq_socket_monitor(self->sock, monitor_ep, ZMQ_EVENT_HANDSHAKE_SUCCEEDED) == 0 &&
        (monitor = zmq_socket(self->ctx, ZMQ_PAIR)) != NULL &&
        zmq_connect(monitor, monitor_ep) != 0) {
        zmq_close(monitor);
        monitor = NULL; /* no monitor: start without waiting */
    }
    int rc = PA_OK, endpoints = 0;
    char list[1024];
    snprintf(list, sizeof list, "%s", self->cfg->connect);
    char *save = NULL;
    for (char *ep = strtok_r(list, ",", &save); rc == PA_OK && ep;
         ep = strtok_r(NULL, ",", &save), endpoints++)
        if (zmq_connect(self->sock, ep) != 0)
            rc = pa_err_set(err, PA_EINVAL, "could not connect to %s: %s", ep,
                            zmq_strerror(zmq_errno()));
    if (rc == PA_OK && monitor && endpoints > 1)
        s_await_workers(monitor, endpoints, PA_CONNECT_WAIT_MS);
    zmq_socket_monitor(self->sock, NULL, 0);
    if (monitor)
        zmq_close(monitor);
    return rc;
}

pa_producer_t *pa_producer_new(const pa_producer_config_t *cfg, const pa_log_t *log, FILE *out,
                               pa_err_t *err)
{
    pa_producer_t *self = calloc(1, sizeof *self);
    if (!self) {
        pa_err_set(err, PA_ENOMEM, "out of memory");
        return NULL;
    }
    self->cfg = cfg;
    self->log = log;
    self->out = out;
    if (cfg->sender && *cfg->sender) {
        snprintf(self->sender, sizeof self->sender, "%s", cfg->sender);
    } else {
        char host[64] = "producer";
        gethostname(host, sizeof host - 1);
        snprintf(self->sender, sizeof self->sender, "%s:%d", host, (int)getpid());
    }
    self->flights = calloc((size_t)cfg->window, sizeof *self->flights);
    self->batch = calloc((size_t)cfg->batch_reports, sizeof *self->batch);
    if (!self->flights || !self->batch) {
        pa_err_set(err, PA_ENOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < cfg->batch_reports; i++) {
        if (!(self->batch[i] = pa_report_new())) {
            pa_err_set(err, PA_ENOMEM, "out of memory");
            goto fail;
        }
    }
    if (cfg->errors && *cfg->errors) {
        self->errors = fopen(cfg->errors, "w");
        if (!self->errors) {
            pa_err_set(err, PA_EIO, "could not write %s: %s", cfg->errors, strerror(errno));
            goto fail;
        }
        fputs("district,period,revision,report_id,field,reason,message\n", self->errors);
    }
    if (!cfg->dry_run) {
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

static void s_csv_field(FILE *f, const char *s, bool last)
{
    csv_fwrite(f, s, strlen(s));
    fputc(last ? '\n' : ',', f);
}

static void s_print_rejection(pa_producer_t *self, const s_summary_t *r, const pa_problem_t *p)
{
    fprintf(self->out, "rejected %s %s %s: %s: %s (%s)\n", r->district, r->period, r->report_id,
            p->field[0] ? p->field : "report", p->message, pa_reason_name(p->reason));
    if (self->errors) {
        char rev[16];
        snprintf(rev, sizeof rev, "%u", r->revision);
        s_csv_field(self->errors, r->district, false);
        s_csv_field(self->errors, r->period, false);
        s_csv_field(self->errors, rev, false);
        s_csv_field(self->errors, r->report_id, false);
        s_csv_field(self->errors, p->field, false);
        s_csv_field(self->errors, pa_reason_name(p->reason), false);
        s_csv_field(self->errors, p->message, true);
    }
}

static void s_settle(pa_producer_t *self, const s_summary_t *r, int status,
                     const pa_problems_t *problems)
{
    if (status == PA_STATUS_STORED || status == PA_STATUS_DUPLICATE) {
        if (status == PA_STATUS_STORED)
            self->stats.stored++;
        else
            self->stats.duplicate++;
        if (!self->cfg->quiet)
            fprintf(self->out, "%s %s %s r%u %s values=%zu\n", pa_status_name(status), r->district,
                    r->period, r->revision, r->report_id, r->n_values);
        return;
    }
    self->stats.rejected++;
    pa_problem_t none = {PA_REASON_NONE, "", "rejected without a stated reason"};
    if (!problems || !problems->n)
        s_print_rejection(self, r, &none);
    for (size_t i = 0; problems && i < problems->n; i++)
        s_print_rejection(self, r, &problems->items[i]);
}

static s_flight_t *s_find(pa_producer_t *self, uint64_t tag)
{
    for (int i = 0; i < self->cfg->window; i++)
        if (self->flights[i].used && self->flights[i].tag == tag)
            return &self->flights[i];
    return NULL;
}

static void s_done(pa_producer_t *self, s_flight_t *f)
{
    s_flight_clear(f);
    self->n_flights--;
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
    s_flight_t *f = s_find(self, tag);
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
        int64_t backoff = 100LL << (f->attempts < 6 ? f->attempts : 6);
        f->due_ms = pa_clock_mono_ms() +
                    (backoff < self->cfg->timeout_ms ? backoff : self->cfg->timeout_ms);
    } else if (rec->status == PA_STATUS_REJECTED || rec->n_entries != f->n_reports) {
        /* The whole submission was refused (or the receipt does not match it). */
        pa_problems_t pr = {0};
        if (rec->status == PA_STATUS_REJECTED)
            pa_problems_add(&pr, rec->reason, "submission", "%s", rec->message);
        else
            pa_problems_add(&pr, PA_REASON_NONE, "submission",
                            "the receipt answers %zu reports, %zu were sent", rec->n_entries,
                            f->n_reports);
        for (size_t i = 0; i < f->n_reports; i++)
            s_settle(self, &f->reports[i], PA_STATUS_REJECTED, &pr);
        pa_problems_clear(&pr);
        s_done(self, f);
    } else {
        bool again = false;
        for (size_t i = 0; i < rec->n_entries; i++)
            again |= rec->entries[i].status == PA_STATUS_RETRY_LATER;
        if (again) {
            /* Resend the whole submission: what was stored comes back "duplicate". */
            f->due_ms = pa_clock_mono_ms() + 200;
        } else {
            for (size_t i = 0; i < rec->n_entries; i++)
                s_settle(self, &f->reports[i], rec->entries[i].status, &rec->entries[i].problems);
            s_done(self, f);
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

static void s_transmit(pa_producer_t *self, s_flight_t *f)
{
    uint8_t tag[8];
    for (int i = 0; i < 8; i++)
        tag[i] = (uint8_t)(f->tag >> (56 - 8 * i));
    f->attempts++;
    f->due_ms = pa_clock_mono_ms() + self->cfg->timeout_ms;
    if (zmq_send(self->sock, "", 0, ZMQ_SNDMORE) < 0 ||
        zmq_send(self->sock, tag, sizeof tag, ZMQ_SNDMORE) < 0 ||
        zmq_send(self->sock, f->body, f->len, 0) < 0)
        pa_log_warn(self->log, "tag=%llu attempt=%d could not send (%s): will retry",
                    (unsigned long long)f->tag, f->attempts, zmq_strerror(zmq_errno()));
}

/* Resends what is overdue; gives up on what has used every retry. */
static void s_timers(pa_producer_t *self)
{
    int64_t now = pa_clock_mono_ms();
    for (int i = 0; i < self->cfg->window; i++) {
        s_flight_t *f = &self->flights[i];
        if (!f->used || f->due_ms > now)
            continue;
        if (f->attempts > self->cfg->retries) {
            pa_log_error(self->log, "tag=%llu attempts=%d no receipt: giving up %zu reports",
                         (unsigned long long)f->tag, f->attempts, f->n_reports);
            for (size_t j = 0; j < f->n_reports; j++)
                fprintf(self->out, "failed %s %s %s: no receipt after %d attempts\n",
                        f->reports[j].district, f->reports[j].period, f->reports[j].report_id,
                        f->attempts);
            self->stats.failed += f->n_reports;
            s_done(self, f);
            continue;
        }
        pa_log_info(self->log, "tag=%llu attempt=%d no receipt in time: resending",
                    (unsigned long long)f->tag, f->attempts + 1);
        s_transmit(self, f);
    }
}

/* One turn of the loop: wait for receipts up to the next timer. */
static int s_service(pa_producer_t *self, pa_err_t *err)
{
    int64_t now = pa_clock_mono_ms(), next = now + 1000;
    for (int i = 0; i < self->cfg->window; i++)
        if (self->flights[i].used && self->flights[i].due_ms < next)
            next = self->flights[i].due_ms;
    zmq_pollitem_t item = {self->sock, 0, ZMQ_POLLIN, 0};
    int rc = zmq_poll(&item, 1, next > now ? (long)(next - now) : 0);
    if (rc < 0 && zmq_errno() != EINTR)
        return pa_err_set(err, PA_EIO, "zmq_poll: %s", zmq_strerror(zmq_errno()));
    if (rc > 0)
        s_drain(self);
    s_timers(self);
    if (*self->stop)
        return pa_err_set(err, PA_ESTOP, "stopped with %zu submissions unacknowledged",
                          self->n_flights);
    return PA_OK;
}

/* Puts one encoded submission in flight, waiting for a free slot first.
 * Takes ownership of body and reports. */
static int s_launch(pa_producer_t *self, uint8_t *body, size_t len, s_summary_t *reports,
                    size_t n_reports, pa_err_t *err)
{
    int rc = PA_OK;
    while (self->n_flights >= (size_t)self->cfg->window) {
        if ((rc = s_service(self, err)) != PA_OK) {
            free(body);
            free(reports);
            return rc;
        }
    }
    s_flight_t *f = NULL;
    for (int i = 0; !f && i < self->cfg->window; i++)
        if (!self->flights[i].used)
            f = &self->flights[i];
    if (!f) { /* cannot happen: n_flights < window means a slot is free */
        free(body);
        free(reports);
        return pa_err_set(err, PA_EFATAL, "no free slot in the window");
    }
    f->body = body;
    f->len = len;
    f->reports = reports;
    f->n_reports = n_reports;
    f->used = true;
    f->tag = self->next_tag++;
    self->n_flights++;
    s_transmit(self, f);
    /* Pick up receipts already waiting without blocking. */
    s_drain(self);
    return PA_OK;
}

/* ---------------------------------------------------------------- files */

/* A file is parsed once, into a spool of encoded submissions (an unlinked
 * temporary file): nothing is sent until the whole file has parsed, and
 * sending then costs no second parse. Each record is this header, then
 * n_reports summaries, then len bytes of Submission. */
typedef struct {
    uint64_t len;
    uint64_t n_reports;
} s_spool_rec_t;

typedef struct {
    pa_producer_t *self;
    FILE *spool;      /* NULL on a dry run */
    uint64_t reports; /* counted while parsing, added to stats on success */
    uint64_t values;
} s_parse_t;

static int s_spool_batch(s_parse_t *ps, pa_err_t *err)
{
    pa_producer_t *self = ps->self;
    uint8_t *body = NULL;
    size_t len = 0;
    int rc = PA_OK;
    if (!self->n_batch || !ps->spool)
        goto cleanup;
    rc = pa_codec_encode_submission(self->sender, self->batch, self->n_batch, &body, &len, err);
    if (rc != PA_OK)
        goto cleanup;
    s_spool_rec_t rec = {len, self->n_batch};
    bool ok = fwrite(&rec, sizeof rec, 1, ps->spool) == 1;
    for (size_t i = 0; ok && i < self->n_batch; i++) {
        const pa_report_t *r = self->batch[i];
        s_summary_t sm;
        memset(&sm, 0, sizeof sm);
        snprintf(sm.report_id, sizeof sm.report_id, "%s", r->report_id);
        snprintf(sm.district, sizeof sm.district, "%s", r->district);
        pa_period_format(&r->period, sm.period);
        sm.revision = r->revision;
        sm.n_values = r->n_values;
        ok = fwrite(&sm, sizeof sm, 1, ps->spool) == 1;
    }
    if (!ok || fwrite(body, 1, len, ps->spool) != len)
        rc = pa_err_set(err, PA_EIO, "could not write the spool: %s", strerror(errno));
cleanup:
    self->n_batch = 0;
    free(body);
    return rc;
}

static int s_parse_cb(void *arg, pa_report_t *r, pa_err_t *err)
{
    s_parse_t *ps = arg;
    pa_producer_t *self = ps->self;
    ps->reports++;
    ps->values += r->n_values;
    if (!ps->spool)
        return PA_OK; /* dry run: parse and count only */
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

/* Sends every spooled submission, keeping the window full. */
static int s_send_spool(pa_producer_t *self, FILE *spool, pa_err_t *err)
{
    s_spool_rec_t rec;
    rewind(spool);
    while (fread(&rec, sizeof rec, 1, spool) == 1) {
        s_summary_t *reports = calloc(rec.n_reports ? rec.n_reports : 1, sizeof *reports);
        uint8_t *body = malloc(rec.len ? rec.len : 1);
        if (!reports || !body) {
            free(reports);
            free(body);
            return pa_err_set(err, PA_ENOMEM, "out of memory");
        }
        if (fread(reports, sizeof *reports, rec.n_reports, spool) != rec.n_reports ||
            fread(body, 1, rec.len, spool) != rec.len) {
            free(reports);
            free(body);
            return pa_err_set(err, PA_EIO, "could not read the spool back");
        }
        int rc = s_launch(self, body, rec.len, reports, rec.n_reports, err);
        if (rc != PA_OK)
            return rc;
    }
    if (ferror(spool))
        return pa_err_set(err, PA_EIO, "could not read the spool: %s", strerror(errno));
    return PA_OK;
}

int pa_producer_send_file(pa_producer_t *self, const char *path, const volatile sig_atomic_t *stop,
                          pa_err_t *err)
{
    int rc = PA_OK;
    FILE *f = NULL;
    s_parse_t ps = {self, NULL, 0, 0};
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
    if (!self->cfg->dry_run && !(ps.spool = tmpfile())) {
        rc = pa_err_set(err, PA_EIO, "could not create a spool file: %s", strerror(errno));
        goto cleanup;
    }
    rc = pa_input_read_file(is_stdin ? stdin : f, format, path, s_parse_cb, &ps, err);
    if (rc == PA_OK)
        rc = s_spool_batch(&ps, err);
    if (rc != PA_OK)
        goto cleanup; /* the whole file must parse before anything of it is sent */
    self->stats.reports += ps.reports;
    self->stats.values += ps.values;
    if (ps.spool)
        rc = s_send_spool(self, ps.spool, err);
cleanup:
    self->n_batch = 0;
    if (ps.spool)
        fclose(ps.spool);
    if (f)
        fclose(f);
    return rc;
}

int pa_producer_finish(pa_producer_t *self, const volatile sig_atomic_t *stop, pa_err_t *err)
{
    self->stop = stop;
    if (self->cfg->dry_run)
        return PA_OK;
    while (self->n_flights) {
        int rc = s_service(self, err);
        if (rc != PA_OK) {
            for (int i = 0; i < self->cfg->window; i++)
                if (self->flights[i].used)
                    self->stats.failed += self->flights[i].n_reports;
            return rc;
        }
    }
    if (self->errors)
        fflush(self->errors);
    fflush(self->out);
    return PA_OK;
}
