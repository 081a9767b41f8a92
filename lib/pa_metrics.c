/* pa_metrics.c - the worker's counters and their /metrics endpoint (see
 * pa_metrics.h). Every value is a relaxed atomic: writers never wait for a
 * scrape, and a scrape never stops the loop. The histogram keeps one count
 * per bucket, not cumulative ones, so that its _count (their sum) always
 * equals the +Inf bucket even when a commit lands mid-scrape. */
#include "pa_metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pa_clock.h"
#include "pa_problem.h"

#define PA_METRICS_REASONS        128 /* reason codes counted one by one; others as 0 */
#define PA_METRICS_FRAME_REASONS  10  /* codes below this refuse a whole frame (pingan.proto) */
#define PA_METRICS_REPORT_REASONS 60  /* codes 10..59 reject one report */
#define PA_METRICS_CONNECTIONS    16  /* scrapes served at once */
#define PA_METRICS_TIMEOUT_S      10  /* an idle scraper's connection is closed after */

/* Upper bounds of the commit-latency buckets: from a small batch on an idle
 * server (milliseconds) to the flush policy's ~30 s of retries. */
static const struct {
    int64_t ms;
    const char *le;
} s_buckets[] = {{5, "0.005"},  {10, "0.01"},  {25, "0.025"}, {50, "0.05"},  {100, "0.1"},
                 {250, "0.25"}, {500, "0.5"},  {1000, "1"},   {2500, "2.5"}, {5000, "5"},
                 {10000, "10"}, {30000, "30"}, {60000, "60"}};
#define PA_METRICS_BUCKETS (sizeof s_buckets / sizeof s_buckets[0])

/* The plain counters: family, its label (NULL for none), help (on the first
 * of a family), log key, and whether the periodic line carries it. Entries
 * of one family are adjacent, as the exposition format requires. */
static const struct {
    const char *family;
    const char *label;
    const char *help;
    const char *key;
    bool main;
} s_counters[PA_METRIC_COUNTERS_] = {
    [PA_METRIC_RECEIVED] = {"pingan_reports_received_total", NULL,
                            "Reports in submissions the worker accepted for judging.", "received",
                            true},
    [PA_METRIC_RECEIVED_BYTES] = {"pingan_received_bytes_total", NULL,
                                  "Bytes of submission frames read from producers.",
                                  "received_bytes", false},
    [PA_METRIC_STORED] = {"pingan_reports_stored_total", NULL, "Reports stored.", "stored", true},
    [PA_METRIC_DUPLICATE] = {"pingan_reports_duplicate_total", NULL,
                             "Reports that were already stored, acknowledged again.", "duplicate",
                             true},
    [PA_METRIC_SUPERSEDED] = {"pingan_reports_superseded_total", NULL,
                              "Reports sent again after a higher revision replaced them.",
                              "superseded", true},
    [PA_METRIC_WITHDRAWN] = {"pingan_withdrawals_total", NULL,
                             "Void revisions that withdrew what a district period held.",
                             "withdrawn", true},
    [PA_METRIC_REPORTS_RETRY_LATER] = {"pingan_reports_retry_later_total", NULL,
                                       "Reports of a committed batch answered retry-later.",
                                       "reports_retry_later", false},
    [PA_METRIC_SUBMISSIONS_RETRY_LATER] =
        {"pingan_submissions_retry_later_total", NULL,
         "Whole submissions answered retry-later (PostgreSQL away, stopping, out of memory).",
         "retry_later", true},
    [PA_METRIC_BATCHES] = {"pingan_batches_total", "outcome=\"committed\"",
                           "Batches by outcome: committed, or given up by the flush policy.",
                           "batches", true},
    [PA_METRIC_BATCHES_GIVEN_UP] = {"pingan_batches_total", "outcome=\"given_up\"", NULL,
                                    "batches_given_up", false},
    [PA_METRIC_RECONNECTS_STORE] = {"pingan_postgres_reconnects_total", "connection=\"store\"",
                                    "Successful reconnects to PostgreSQL, by session.",
                                    "reconnects_store", false},
    [PA_METRIC_RECONNECTS_AGGREGATION] = {"pingan_postgres_reconnects_total",
                                          "connection=\"aggregation\"", NULL,
                                          "reconnects_aggregation", false},
    [PA_METRIC_AGGREGATED] = {"pingan_aggregated_keys_total", NULL,
                              "District periods whose aggregates this worker recomputed.",
                              "aggregated", true},
    [PA_METRIC_RECEIPTS_DROPPED] =
        {"pingan_receipts_dropped_total", NULL,
         "Receipts dropped: the peer had gone or its send queue was full.", "receipts_dropped",
         false},
    [PA_METRIC_DRY_RUN_SUBMISSIONS] = {"pingan_dry_run_submissions_total", NULL,
                                       "Dry-run submissions judged; nothing of them was stored.",
                                       "dry_runs", true},
    [PA_METRIC_DRY_RUN_REPORTS] = {"pingan_dry_run_reports_total", NULL,
                                   "Reports judged in dry runs (not counted as received, stored "
                                   "or rejected).",
                                   "dry_run_reports", false},
    [PA_METRIC_DRY_RUN_REJECTED] = {"pingan_dry_run_rejected_total", NULL,
                                    "Reports judged in dry runs that a real submission would "
                                    "reject.",
                                    "dry_run_rejected", false},
};

struct pa_metrics {
    _Atomic uint64_t counters[PA_METRIC_COUNTERS_];
    _Atomic uint64_t rejected[PA_METRICS_REASONS];           /* reports, by reason code */
    _Atomic uint64_t refused[PA_METRICS_REASONS];            /* frames, by reason code */
    _Atomic uint64_t commit_buckets[PA_METRICS_BUCKETS + 1]; /* last: above every bound */
    _Atomic uint64_t commit_sum_ms;
    _Atomic int64_t pending;        /* reports held, not yet answered */
    _Atomic int64_t agg_keys;       /* queued district periods at the last pass */
    _Atomic int64_t agg_age_ms;     /* age of the oldest then; 0 when none */
    _Atomic int64_t agg_at_mono_ms; /* when that was read (monotonic) */
    _Atomic int64_t agg_at_wall_ms; /* the same, Unix ms; 0 before the first pass */
    struct MHD_Daemon *daemon;      /* NULL until pa_metrics_serve */
};

pa_metrics_t *pa_metrics_new(pa_err_t *err)
{
    /* calloc is all-bits-zero, which is 0 for these lock-free atomics. */
    pa_metrics_t *self = calloc(1, sizeof *self);
    if (!self)
        pa_err_set(err, PA_ENOMEM, "out of memory");
    return self;
}

void pa_metrics_destroy(pa_metrics_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pa_metrics_t *self = *self_p;
    if (self->daemon)
        MHD_stop_daemon(self->daemon); /* joins its thread */
    free(self);
    *self_p = NULL;
}

/* ---------------------------------------------------------------- updates */

static int s_reason_index(int reason)
{
    return reason > 0 && reason < PA_METRICS_REASONS ? reason : 0;
}

void pa_metrics_add(pa_metrics_t *self, pa_metric_t m, uint64_t n)
{
    if (self && (unsigned)m < PA_METRIC_COUNTERS_)
        atomic_fetch_add_explicit(&self->counters[m], n, memory_order_relaxed);
}

void pa_metrics_rejected(pa_metrics_t *self, int reason)
{
    if (self)
        atomic_fetch_add_explicit(&self->rejected[s_reason_index(reason)], 1, memory_order_relaxed);
}

void pa_metrics_refused(pa_metrics_t *self, int reason)
{
    if (self)
        atomic_fetch_add_explicit(&self->refused[s_reason_index(reason)], 1, memory_order_relaxed);
}

void pa_metrics_commit_ms(pa_metrics_t *self, int64_t ms)
{
    if (!self)
        return;
    if (ms < 0)
        ms = 0;
    size_t b = 0;
    while (b < PA_METRICS_BUCKETS && ms > s_buckets[b].ms)
        b++;
    atomic_fetch_add_explicit(&self->commit_buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&self->commit_sum_ms, (uint64_t)ms, memory_order_relaxed);
}

void pa_metrics_set_pending(pa_metrics_t *self, size_t reports)
{
    if (self)
        atomic_store_explicit(&self->pending, (int64_t)reports, memory_order_relaxed);
}

void pa_metrics_set_aggregation(pa_metrics_t *self, int64_t queued_keys, int64_t oldest_age_ms,
                                int64_t now_mono_ms)
{
    if (!self)
        return;
    atomic_store_explicit(&self->agg_keys, queued_keys, memory_order_relaxed);
    atomic_store_explicit(&self->agg_age_ms, queued_keys > 0 ? oldest_age_ms : 0,
                          memory_order_relaxed);
    atomic_store_explicit(&self->agg_at_mono_ms, now_mono_ms, memory_order_relaxed);
    atomic_store_explicit(&self->agg_at_wall_ms, pa_clock_wall_ms(), memory_order_relaxed);
}

/* ---------------------------------------------------------------- reads */

static uint64_t s_load(const _Atomic uint64_t *v)
{
    return atomic_load_explicit(v, memory_order_relaxed);
}

static int64_t s_load_i(const _Atomic int64_t *v)
{
    return atomic_load_explicit(v, memory_order_relaxed);
}

uint64_t pa_metrics_get(const pa_metrics_t *self, pa_metric_t m)
{
    return self && (unsigned)m < PA_METRIC_COUNTERS_ ? s_load(&self->counters[m]) : 0;
}

static uint64_t s_sum(const _Atomic uint64_t *v, size_t n)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += s_load(&v[i]);
    return sum;
}

uint64_t pa_metrics_rejected_total(const pa_metrics_t *self)
{
    return self ? s_sum(self->rejected, PA_METRICS_REASONS) : 0;
}

uint64_t pa_metrics_refused_total(const pa_metrics_t *self)
{
    return self ? s_sum(self->refused, PA_METRICS_REASONS) : 0;
}

/* Age of the oldest queued change now: what the last pass read, plus the
 * time since (a pass that takes minutes must not freeze the gauge). */
static double s_agg_age_s(const pa_metrics_t *self, int64_t now_mono_ms)
{
    int64_t age = s_load_i(&self->agg_age_ms);
    if (s_load_i(&self->agg_keys) <= 0)
        return 0;
    int64_t since = now_mono_ms - s_load_i(&self->agg_at_mono_ms);
    return (double)(age + (since > 0 ? since : 0)) / 1000.0;
}

/* ---------------------------------------------------------------- exposition */

static void s_family(pa_buf_t *out, const char *name, const char *type, const char *help)
{
    pa_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A reason counts in a family if it is one of the family's codes (listed
 * even at 0, so that rate() has a series from the start) or if it happened. */
static void s_reasons(pa_buf_t *out, const char *name, const char *help,
                      const _Atomic uint64_t *counts, int lo, int hi)
{
    s_family(out, name, "counter", help);
    for (int r = 0; r < PA_METRICS_REASONS; r++) {
        uint64_t n = s_load(&counts[r]);
        bool known = r > 0 && pa_reason_from_name(pa_reason_name(r)) == r;
        if (n > 0 || (known && r >= lo && r < hi))
            pa_buf_printf(out, "%s{reason=\"%s\"} %" PRIu64 "\n", name,
                          r > 0 ? pa_reason_name(r) : "unspecified", n);
    }
}

void pa_metrics_render(const pa_metrics_t *self, int64_t now_mono_ms, pa_buf_t *out)
{
    for (int m = 0; m < PA_METRIC_COUNTERS_; m++) {
        if (s_counters[m].help)
            s_family(out, s_counters[m].family, "counter", s_counters[m].help);
        pa_buf_printf(out, "%s%s%s%s %" PRIu64 "\n", s_counters[m].family,
                      s_counters[m].label ? "{" : "",
                      s_counters[m].label ? s_counters[m].label : "",
                      s_counters[m].label ? "}" : "", s_load(&self->counters[m]));
    }
    s_reasons(out, "pingan_reports_rejected_total", "Reports rejected, by first problem's reason.",
              self->rejected, PA_METRICS_FRAME_REASONS, PA_METRICS_REPORT_REASONS);
    s_reasons(out, "pingan_frames_refused_total",
              "Whole frames refused before their reports were judged, by reason.", self->refused, 1,
              PA_METRICS_FRAME_REASONS);

    const char *h = "pingan_batch_commit_duration_seconds";
    s_family(out, h, "histogram",
             "Time from a batch's first write to its COMMIT, retries and reconnects included.");
    uint64_t cumulative = 0;
    for (size_t b = 0; b < PA_METRICS_BUCKETS; b++) {
        cumulative += s_load(&self->commit_buckets[b]);
        pa_buf_printf(out, "%s_bucket{le=\"%s\"} %" PRIu64 "\n", h, s_buckets[b].le, cumulative);
    }
    cumulative += s_load(&self->commit_buckets[PA_METRICS_BUCKETS]);
    pa_buf_printf(out, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", h, cumulative);
    pa_buf_printf(out, "%s_sum %.3f\n%s_count %" PRIu64 "\n", h,
                  (double)s_load(&self->commit_sum_ms) / 1000.0, h, cumulative);

    s_family(out, "pingan_pending_reports", "gauge",
             "Reports (and refused frames) read and not yet answered: the batch being filled.");
    pa_buf_printf(out, "pingan_pending_reports %" PRId64 "\n", s_load_i(&self->pending));
    s_family(out, "pingan_aggregation_queued_keys", "gauge",
             "District periods queued for aggregation (pingan.v_aggregate_lag) at the last pass.");
    pa_buf_printf(out, "pingan_aggregation_queued_keys %" PRId64 "\n", s_load_i(&self->agg_keys));
    s_family(out, "pingan_aggregation_oldest_age_seconds", "gauge",
             "Age of the oldest change not yet in the figures; 0 when current.");
    pa_buf_printf(out, "pingan_aggregation_oldest_age_seconds %.3f\n",
                  s_agg_age_s(self, now_mono_ms));
    s_family(out, "pingan_aggregation_last_pass_timestamp_seconds", "gauge",
             "Unix time of this worker's last aggregation pass; 0 before the first.");
    pa_buf_printf(out, "pingan_aggregation_last_pass_timestamp_seconds %.3f\n",
                  (double)s_load_i(&self->agg_at_wall_ms) / 1000.0);
    s_family(out, "pingan_build_info", "gauge", "The worker's version; always 1.");
    pa_buf_printf(out, "pingan_build_info{version=\"%s\"} 1\n", PINGAN_VERSION);
}

/* ---------------------------------------------------------------- log lines */

static void s_log_reasons(pa_buf_t *line, const char *key, const _Atomic uint64_t *counts)
{
    for (int r = 0; r < PA_METRICS_REASONS; r++) {
        uint64_t n = s_load(&counts[r]);
        if (n > 0)
            pa_buf_printf(line, " %s.%s=%" PRIu64, key, r > 0 ? pa_reason_name(r) : "unspecified",
                          n);
    }
}

void pa_metrics_log(const pa_metrics_t *self, const pa_log_t *log, const char *worker, bool all,
                    const char *what)
{
    pa_buf_t line = {0};
    pa_buf_printf(&line, "worker=%s", worker);
    for (int m = 0; m < PA_METRIC_COUNTERS_; m++)
        if (all || s_counters[m].main)
            pa_buf_printf(&line, " %s=%" PRIu64, s_counters[m].key, s_load(&self->counters[m]));
    pa_buf_printf(&line, " rejected=%" PRIu64 " frames_rejected=%" PRIu64,
                  pa_metrics_rejected_total(self), pa_metrics_refused_total(self));
    if (all) {
        s_log_reasons(&line, "rejected", self->rejected);
        s_log_reasons(&line, "frames_rejected", self->refused);
        pa_buf_printf(&line, " commits=%" PRIu64 " commit_s=%.3f",
                      s_sum(self->commit_buckets, PA_METRICS_BUCKETS + 1),
                      (double)s_load(&self->commit_sum_ms) / 1000.0);
    }
    pa_buf_printf(
        &line, " pending=%" PRId64 " aggregation_queued=%" PRId64 " aggregation_age_s=%.3f",
        s_load_i(&self->pending), s_load_i(&self->agg_keys), s_agg_age_s(self, pa_clock_mono_ms()));
    pa_log_info(log, "%s %s", line.failed ? "worker=? counters=unavailable" : line.data, what);
    pa_buf_free(&line);
}

/* ---------------------------------------------------------------- server */

int pa_metrics_parse_addr(const char *addr, char *host, size_t host_size, int *port, pa_err_t *err)
{
    const char *colon = addr ? strrchr(addr, ':') : NULL;
    if (!colon)
        return pa_err_set(err, PA_EINVAL, "--metrics: '%s' is not HOST:PORT", addr ? addr : "");
    const char *h = addr;
    size_t len = (size_t)(colon - addr);
    if (len >= 2 && h[0] == '[' && h[len - 1] == ']') {
        h++; /* [::1]:9555 */
        len -= 2;
    } else if (memchr(h, ':', len)) {
        return pa_err_set(err, PA_EINVAL, "--metrics: '%s': write an IPv6 address in brackets",
                          addr);
    }
    if (len >= host_size)
        return pa_err_set(err, PA_EINVAL, "--metrics: '%s': host name too long", addr);
    char *end = NULL;
    long p = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || p < 0 || p > 65535)
        return pa_err_set(err, PA_EINVAL, "--metrics: '%s': port is not in 0..65535", addr);
    memcpy(host, h, len);
    host[len] = '\0';
    *port = (int)p;
    return PA_OK;
}

static enum MHD_Result s_reply(struct MHD_Connection *conn, unsigned int status, char *body,
                               size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, mode);
    if (!resp) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free(body);
        return MHD_NO; /* MHD closes the connection */
    }
    if (status == MHD_HTTP_OK)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                "text/plain; version=0.0.4; charset=utf-8");
    else if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* libmicrohttpd's request handler, on its thread: a request without a body
 * is answered on the first call. */
static enum MHD_Result s_answer(void *cls, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *version, const char *upload_data,
                                size_t *upload_data_size, void **req_cls)
{
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)req_cls;
    const pa_metrics_t *self = cls;
    static char not_found[] = "not found: the metrics are at /metrics\n";
    static char not_allowed[] = "only GET and HEAD\n";
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return s_reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, not_allowed, strlen(not_allowed),
                       MHD_RESPMEM_PERSISTENT);
    if (strcmp(url, "/metrics") != 0)
        return s_reply(conn, MHD_HTTP_NOT_FOUND, not_found, strlen(not_found),
                       MHD_RESPMEM_PERSISTENT);
    pa_buf_t text = {0};
    pa_metrics_render(self, pa_clock_mono_ms(), &text);
    if (text.failed) {
        pa_buf_free(&text);
        return MHD_NO;
    }
    /* The response takes the buffer and frees it with free(). */
    return s_reply(conn, MHD_HTTP_OK, text.data, text.len, MHD_RESPMEM_MUST_FREE);
}

int pa_metrics_serve(pa_metrics_t *self, const char *addr, char *bound, size_t bound_size,
                     pa_err_t *err)
{
    char host[256] = "", port_s[8];
    int port = 0;
    int rc = pa_metrics_parse_addr(addr, host, sizeof host, &port, err);
    if (rc != PA_OK)
        return rc;
    if (self->daemon)
        return pa_err_set(err, PA_EINVAL, "the metrics are already served");
    snprintf(port_s, sizeof port_s, "%d", port);
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int gai = getaddrinfo(*host ? host : NULL, port_s, &hints, &ai);
    if (gai != 0)
        return pa_err_set(err, PA_EINVAL, "--metrics: '%s': %s", addr, gai_strerror(gai));
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_DUAL_STACK; /* "[::]:PORT" takes IPv4 too */
    errno = 0;
    self->daemon = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, s_answer, self, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)PA_METRICS_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)PA_METRICS_TIMEOUT_S, MHD_OPTION_END);
    int saved = errno;
    char numeric[INET6_ADDRSTRLEN] = "";
    getnameinfo(ai->ai_addr, ai->ai_addrlen, numeric, sizeof numeric, NULL, 0, NI_NUMERICHOST);
    int family = ai->ai_family;
    freeaddrinfo(ai);
    if (!self->daemon)
        return pa_err_set(err, PA_EIO, "could not serve metrics on %s: %s", addr,
                          saved ? strerror(saved) : "libmicrohttpd refused to start");
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (bound)
        snprintf(bound, bound_size, "%s%s%s:%d", family == AF_INET6 ? "[" : "", numeric,
                 family == AF_INET6 ? "]" : "", info ? (int)info->port : port);
    return PA_OK;
}
