/* pa_worker.c - the worker's loop: socket framing and dispatch. Loop shape
 * (zguide): poll with a timeout, drain what is readable into the pending
 * batch (pa_batch), flush on size or age through the flush policy
 * (pa_flush, over pa_store as its sink), then check for a stop request.
 * While a flush retries the worker reads nothing, so ZeroMQ's high-water
 * marks push back on producers instead of memory growing here.
 * Aggregation runs on its own thread (pa_aggregator), kicked per commit. */
#include "pa_worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "pa_aggregator.h"
#include "pa_answer.h"
#include "pa_batch.h"
#include "pa_catalog.h"
#include "pa_clock.h"
#include "pa_codec.h"
#include "pa_flush.h"
#include "pa_metrics.h"
#include "pa_net.h"
#include "pa_pg.h"
#include "pa_problem.h"
#include "pa_store.h"
#include "pa_validate.h"

#define PA_TAG_MAX             PA_BATCH_TAG_MAX
#define PA_IDLE_POLL_MS        50   /* poll timeout: also how often peers are checked */
#define PA_AGGREGATE_DISTRICTS 10   /* districts per step: workers share a backfill */
#define PA_AGGREGATE_IDLE_MS   1000 /* look for keys other workers queued this often */
#define PA_FLUSH_FIRST_MS      50   /* first backoff of a failing batch */
#define PA_FLUSH_ATTEMPTS      12   /* ~30 s at the default cap, then RETRY_LATER */
#define PA_BATCH_MAX_BYTES     (64 * 1024 * 1024) /* flush a batch holding this much decoded */

struct pa_worker {
    const pa_worker_config_t *cfg;
    const pa_log_t *log;
    char name[64];
    char endpoint[256];
    pa_pg_options_t pg_opt;
    void *ctx;
    void *sock;
    pa_store_t *store;
    pa_sink_t sink; /* over store */
    pa_catalog_t *cat;
    pa_batch_t *batch;
    pa_aggregator_t *agg;
    pa_peers_t *peers; /* connections under the ROUTER */
    long nofile;       /* descriptor limit in force */
    pa_zap_t *zap;     /* CURVE's ZAP handler and allow-list; NULL without keys */
    pa_flush_policy_t policy;
    pa_metrics_t *metrics;    /* counters for /metrics and the summary lines */
    char metrics_addr[96];    /* where /metrics is served; "off" */
    pa_codec_limits_t limits; /* from cfg->admit */
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
    if (pa_admit_validate(&cfg->admit, err) != PA_OK)
        return err ? err->code : PA_EINVAL;
    if (cfg->retry_max_ms < 10)
        return pa_err_set(err, PA_EINVAL, "--retry-max-ms: %d is below 10", cfg->retry_max_ms);
    if (cfg->connect_timeout_s < 0 || cfg->connect_timeout_s > 3600)
        return pa_err_set(err, PA_EINVAL, "--connect-timeout-s: %d is not in 0..3600",
                          cfg->connect_timeout_s);
    if (cfg->statement_timeout_ms < 0)
        return pa_err_set(err, PA_EINVAL, "--statement-timeout-ms: %d is negative",
                          cfg->statement_timeout_ms);
    if (cfg->void_report && *cfg->void_report && (!cfg->void_reason || !*cfg->void_reason))
        return pa_err_set(err, PA_EINVAL,
                          "--void %s: give --void-reason, which is kept with the voided report",
                          cfg->void_report);
    if (cfg->prune_days < 0 || cfg->prune_days > 36500)
        return pa_err_set(err, PA_EINVAL, "--prune-quarantine: %d is not in 1..36500 days",
                          cfg->prune_days);
    if (cfg->linger_ms < 0 || cfg->linger_ms > 600000)
        return pa_err_set(err, PA_EINVAL, "--linger-ms: %d is not in 0..600000", cfg->linger_ms);
    char host[256];
    int port;
    if (cfg->metrics && *cfg->metrics &&
        pa_metrics_parse_addr(cfg->metrics, host, sizeof host, &port, err) != PA_OK)
        return PA_EINVAL;
    if (cfg->stats_interval_s < 0 || cfg->stats_interval_s > 86400)
        return pa_err_set(err, PA_EINVAL, "--stats-interval-s: %d is not in 0..86400",
                          cfg->stats_interval_s);
    return pa_worker_config_security(cfg, err);
}

int pa_worker_config_security(const pa_worker_config_t *cfg, pa_err_t *err)
{
    bool has_key = cfg->secret_key && *cfg->secret_key;
    bool has_list = cfg->allow_list && *cfg->allow_list;
    if (cfg->init_db || cfg->rebuild || (cfg->void_report && *cfg->void_report) ||
        cfg->prune_days > 0)
        return PA_OK; /* commands that bind nothing */
    if (cfg->void_reason && *cfg->void_reason)
        return pa_err_set(err, PA_EINVAL, "--void-reason: goes with --void REPORT_ID");
    if (has_key != has_list)
        return pa_err_set(err, PA_EINVAL, "%s: --secret-key and --allow-list go together",
                          has_key ? "--allow-list" : "--secret-key");
    if (!has_key && !cfg->insecure && !pa_net_endpoints_local(cfg->bind))
        return pa_err_set(err, PA_EINVAL,
                          "--bind %s is reachable from other hosts: give --secret-key and "
                          "--allow-list (docs/security.md), or --insecure to accept any sender",
                          cfg->bind);
    return PA_OK;
}

/* The connection settings every session of this worker uses. */
static void s_pg_options(const pa_worker_config_t *cfg, pa_pg_options_t *opt)
{
    pa_pg_options_default(opt);
    opt->conninfo = cfg->dsn;
    opt->connect_timeout_s = cfg->connect_timeout_s;
    opt->statement_timeout_ms = cfg->statement_timeout_ms;
}

int pa_worker_init_db(const pa_worker_config_t *cfg, const pa_log_t *log, int *applied,
                      pa_err_t *err)
{
    pa_pg_options_t opt;
    s_pg_options(cfg, &opt);
    opt.statement_timeout_ms = 0; /* a migration may rewrite a large table */
    pa_store_t *store = pa_store_new(&opt, log, cfg->name, err);
    if (!store)
        return err ? err->code : PA_ERETRY;
    int rc = pa_store_migrate(store, applied, err);
    pa_store_destroy(&store);
    return rc;
}

int pa_worker_void(const pa_worker_config_t *cfg, const pa_log_t *log, pa_maint_voided_t *out,
                   pa_err_t *err)
{
    pa_pg_options_t opt;
    s_pg_options(cfg, &opt);
    return pa_maint_void(&opt, log, cfg->void_report, cfg->void_reason, out, err);
}

int pa_worker_prune(const pa_worker_config_t *cfg, const pa_log_t *log, long long *rows,
                    pa_err_t *err)
{
    pa_pg_options_t opt;
    s_pg_options(cfg, &opt);
    opt.statement_timeout_ms = 0; /* a large quarantine is deleted in one statement */
    return pa_maint_prune(&opt, log, cfg->prune_days, rows, err);
}

int pa_worker_rebuild(const pa_worker_config_t *cfg, const pa_log_t *log, long long *rows,
                      pa_err_t *err)
{
    pa_pg_options_t opt;
    s_pg_options(cfg, &opt);
    opt.statement_timeout_ms = 0; /* recomputes everything in one statement */
    pa_store_t *store = pa_store_new(&opt, log, cfg->name, err);
    if (!store)
        return err ? err->code : PA_ERETRY;
    int rc = pa_store_rebuild(store, rows, err);
    pa_store_destroy(&store);
    return rc;
}

void pa_worker_destroy(pa_worker_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pa_worker_t *self = *self_p;
    pa_aggregator_destroy(&self->agg);
    pa_batch_destroy(&self->batch);
    pa_peers_destroy(&self->peers);
    if (self->sock) {
        /* Receipts are queued with DONTWAIT: give them time to leave before
         * the socket goes (with LINGER 0 they were dropped at close). */
        int linger = self->cfg->linger_ms;
        zmq_setsockopt(self->sock, ZMQ_LINGER, &linger, sizeof linger);
        zmq_close(self->sock);
    }
    pa_zap_destroy(&self->zap); /* its socket must close before the context ends */
    if (self->ctx)
        zmq_ctx_term(self->ctx); /* waits up to linger_ms for queued receipts */
    pa_store_destroy(&self->store);
    pa_catalog_destroy(&self->cat);
    pa_metrics_destroy(&self->metrics); /* after the aggregator, which updates it */
    free(self);
    *self_p = NULL;
}

static int s_bind(pa_worker_t *self, pa_err_t *err)
{
    int one = 1, zero = 0;
    self->sock = zmq_socket(self->ctx, ZMQ_ROUTER);
    if (!self->sock)
        return pa_err_set(err, PA_EIO, "zmq_socket: %s", zmq_strerror(zmq_errno()));
    /* MANDATORY: a receipt for a vanished peer fails loudly instead of being
     * dropped in silence; the producer resends and gets "duplicate". LINGER
     * is raised at close, once the last receipts are queued. */
    if (zmq_setsockopt(self->sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one) != 0 ||
        zmq_setsockopt(self->sock, ZMQ_LINGER, &zero, sizeof zero) != 0)
        return pa_err_set(err, PA_EIO, "zmq_setsockopt: %s", zmq_strerror(zmq_errno()));
    if (pa_admit_socket(self->sock, &self->cfg->admit, err) != PA_OK)
        return err ? err->code : PA_EIO;
    if (self->zap && pa_net_curve_server(self->sock, self->cfg->secret_key, err) != PA_OK)
        return err ? err->code : PA_EINVAL;
    /* Before binding, so that every connection is seen. */
    pa_peers_limits_t plim = pa_admit_peer_limits(&self->cfg->admit, self->nofile);
    if (!(self->peers = pa_peers_new(self->ctx, self->sock, &plim, err)))
        return err ? err->code : PA_EIO;
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
    s_pg_options(cfg, &self->pg_opt);
    self->limits = pa_admit_codec_limits(&cfg->admit);
    pa_batch_limits_t lim = {(size_t)cfg->batch_reports, PA_BATCH_MAX_BYTES, cfg->batch_wait_ms};
    self->policy =
        (pa_flush_policy_t){PA_FLUSH_FIRST_MS, cfg->retry_max_ms, PA_FLUSH_ATTEMPTS, NULL, NULL};
    self->batch = pa_batch_new(&lim);
    if (!self->batch) {
        pa_err_set(err, PA_ENOMEM, "out of memory");
        goto fail;
    }
    self->metrics = pa_metrics_new(err);
    if (!self->metrics)
        goto fail;
    self->store = pa_store_new(&self->pg_opt, log, self->name, err);
    if (!self->store || pa_store_check_schema(self->store, err) != PA_OK ||
        pa_store_load_catalog(self->store, &self->cat, err) != PA_OK)
        goto fail;
    pa_store_sink(self->store, &self->sink);
    /* At start it drains what earlier workers left queued. A step after a
     * backfill recomputes a year of figures: no statement timeout (shutdown
     * cancels it instead). */
    pa_pg_options_t agg_opt = self->pg_opt;
    agg_opt.statement_timeout_ms = 0;
    self->agg = pa_aggregator_new(&agg_opt, log, PA_AGGREGATE_DISTRICTS, PA_AGGREGATE_IDLE_MS,
                                  cfg->retry_max_ms, self->metrics, err);
    if (!self->agg)
        goto fail;
    if (pa_admit_descriptors(&self->nofile, err) != PA_OK)
        goto fail;
    self->ctx = zmq_ctx_new();
    if (!self->ctx) {
        pa_err_set(err, PA_EIO, "zmq_ctx_new: %s", zmq_strerror(zmq_errno()));
        goto fail;
    }
    /* Two I/O threads: connections are spread over them, so one peer
     * keeping a thread busy (tiny frames) does not stall every other. */
    zmq_ctx_set(self->ctx, ZMQ_IO_THREADS, 2);
    /* The ZAP handler first: libzmq admits any key while none is bound. */
    if (cfg->secret_key && *cfg->secret_key &&
        !(self->zap = pa_zap_new(self->ctx, cfg->allow_list, cfg->reload, log, err)))
        goto fail;
    if (s_bind(self, err) != PA_OK)
        goto fail;
    snprintf(self->metrics_addr, sizeof self->metrics_addr, "off");
    if (cfg->metrics && *cfg->metrics &&
        pa_metrics_serve(self->metrics, cfg->metrics, self->metrics_addr, sizeof self->metrics_addr,
                         err) != PA_OK)
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
        zmq_send(self->sock, body, len, ZMQ_DONTWAIT) < 0) {
        /* Debug only: a peer that never reads fills its queue (--send-hwm)
         * and would turn every receipt into a log line; counted instead. */
        pa_metrics_add(self->metrics, PA_METRIC_RECEIPTS_DROPPED, 1);
        pa_log_debug(self->log, "error=%s could not send a receipt: the producer will resend",
                     zmq_strerror(zmq_errno()));
    }
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

/* A whole frame is refused: it is kept in the quarantine with the next batch
 * and answered after that commits, like any submission. */
static void s_reject_frame(pa_worker_t *self, const unsigned char *id, size_t id_len,
                           const unsigned char *tag, size_t tag_len, const char *sender,
                           const void *raw, size_t raw_len, int reason, const char *message)
{
    pa_metrics_refused(self->metrics, reason);
    if (raw_len > PA_QUARANTINE_RAW_MAX)
        raw_len = PA_QUARANTINE_RAW_MAX; /* all the quarantine keeps of it */
    /* Debug only: a flood of garbage must not become a flood of log lines;
     * the periodic summary counts them. */
    pa_log_debug(self->log, "reason=%s bytes=%zu submission rejected: %s", pa_reason_name(reason),
                 raw_len, message);
    if (pa_batch_add_frame(self->batch, id, id_len, tag, tag_len, sender, reason, message, raw,
                           raw_len, pa_clock_mono_ms()) == PA_OK)
        return;
    s_reply_failure(self, id, id_len, tag, tag_len, PA_STATUS_RETRY_LATER,
                    PA_REASON_STORE_UNAVAILABLE, "worker out of memory: resend later");
}

/* What the quarantine files with a refusal of sub: the head of its bytes,
 * the sender's key and address. */
static int s_keep_origin(pa_submission_t *sub, zmq_msg_t *frame, const void *body, size_t len)
{
    const char *key = pa_net_user_id(frame);
    const char *addr = zmq_msg_gets(frame, "Peer-Address");
    snprintf(sub->peer_key, sizeof sub->peer_key, "%s", key ? key : "");
    snprintf(sub->peer_address, sizeof sub->peer_address, "%s", addr ? addr : "");
    return pa_submission_keep_raw(sub, body, len, PA_QUARANTINE_RAW_MAX);
}

static bool s_may_read(void *arg, const char *district)
{
    void **ctx = arg; /* {zap, user id} */
    return pa_zap_may_write(ctx[0], ctx[1], district);
}

/* A question instead of reports: answered at once from the database, between
 * batches, limited to what the sender's key may write (docs/security.md). */
static void s_answer(pa_worker_t *self, const unsigned char *id, size_t id_len,
                     const unsigned char *tag, size_t tag_len, const pa_submission_t *sub,
                     zmq_msg_t *frame)
{
    void *ctx[2] = {self->zap, (void *)pa_net_user_id(frame)};
    uint8_t *body = NULL;
    size_t len = 0, rows = 0;
    int reason = 0;
    char why[256];
    pa_err_t err;
    if (pa_answer_query(pa_store_pg(self->store), sub, self->zap ? s_may_read : NULL, ctx,
                        self->name, &body, &len, &reason, &rows, why, sizeof why, &err) != PA_OK) {
        pa_log_error(self->log, "could not encode an answer: %s", err.msg);
    } else {
        s_send(self, id, id_len, tag, tag_len, body, len);
        if (reason)
            pa_log_info(self->log, "kind=%d key=%s sender=%s reason=%s query refused: %s",
                        sub->query->kind, (const char *)ctx[1], sub->sender, pa_reason_name(reason),
                        why);
        else
            pa_log_debug(self->log, "kind=%d rows=%zu sender=%s query answered", sub->query->kind,
                         rows, sub->sender);
    }
    free(body);
}

/* A dry run is judged at once, on its own, in a transaction that is rolled
 * back (pa_store_judge), and answered with a receipt marked dry_run. It is
 * counted apart: nothing of it is received, stored or rejected. */
static void s_dry_run(pa_worker_t *self, const unsigned char *id, size_t id_len,
                      const unsigned char *tag, size_t tag_len, pa_submission_t *sub)
{
    pa_err_t err;
    pa_err_clear(&err);
    uint8_t *body = NULL;
    size_t len = 0, rejected = 0;
    int rc = pa_store_judge(self->store, sub, &err);
    if (rc == PA_ERETRY && pa_store_reconnect(self->store, &err) == PA_OK)
        rc = pa_store_judge(self->store, sub, &err);
    pa_metrics_add(self->metrics, PA_METRIC_DRY_RUN_SUBMISSIONS, 1);
    if (rc != PA_OK) {
        pa_log_warn(self->log, "error=%s sender=%s could not judge a dry run: %s", pa_err_name(rc),
                    sub->sender, err.msg);
        bool transient = rc == PA_ERETRY;
        s_reply_failure(self, id, id_len, tag, tag_len,
                        transient ? PA_STATUS_RETRY_LATER : PA_STATUS_REJECTED,
                        transient ? PA_REASON_STORE_UNAVAILABLE : PA_REASON_INVALID_FIELD,
                        transient ? "the worker could not judge this dry run: resend later"
                                  : "the database refused to judge this dry run");
        return;
    }
    for (size_t i = 0; i < sub->n_items; i++)
        rejected += sub->items[i].status == PA_STATUS_REJECTED;
    pa_metrics_add(self->metrics, PA_METRIC_DRY_RUN_REPORTS, sub->n_items);
    pa_metrics_add(self->metrics, PA_METRIC_DRY_RUN_REJECTED, rejected);
    pa_log_info(self->log, "sender=%s reports=%zu would_reject=%zu dry run judged, nothing stored",
                sub->sender, sub->n_items, rejected);
    if (pa_codec_encode_receipt(sub, self->name, &body, &len, &err) == PA_OK)
        s_send(self, id, id_len, tag, tag_len, body, len);
    else
        pa_log_error(self->log, "could not encode a receipt: %s", err.msg);
    free(body);
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
        /* The last frame is kept, but only its head (s_reject_frame). */
        s_reject_frame(self, id, id_len, tagged ? zmq_msg_data(&frames[2]) : no_tag,
                       tagged ? zmq_msg_size(&frames[2]) : 0, "", zmq_msg_data(&frames[n - 1]),
                       zmq_msg_size(&frames[n - 1]), PA_REASON_BAD_FRAMING, msg);
        return;
    }
    const unsigned char *tag = zmq_msg_data(&frames[2]);
    size_t tag_len = zmq_msg_size(&frames[2]);
    const void *body = zmq_msg_data(&frames[3]);
    size_t len = zmq_msg_size(&frames[3]);
    pa_metrics_add(self->metrics, PA_METRIC_RECEIVED_BYTES, len);
    char msg[256];
    const pa_admit_t *adm = &self->cfg->admit;
    if (len > (size_t)adm->max_submission_bytes) {
        snprintf(msg, sizeof msg, "submission of %zu bytes is above the limit of %d bytes", len,
                 adm->max_submission_bytes);
        s_reject_frame(self, id, id_len, tag, tag_len, "", body, len, PA_REASON_OVERSIZE, msg);
        return;
    }
    pa_err_t err;
    pa_submission_t *sub = NULL;
    int why = PA_REASON_NONE;
    if (pa_codec_decode_limited(body, len, &self->limits, &sub, &why, &err) != PA_OK) {
        s_reject_frame(self, id, id_len, tag, tag_len, "", body, len,
                       why != PA_REASON_NONE ? why : PA_REASON_OVERSIZE, err.msg);
        return;
    }
    if (sub->version == 1 && sub->query) {
        s_answer(self, id, id_len, tag, tag_len, sub, &frames[3]);
        pa_submission_destroy(&sub);
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
    } else if (sub->n_items > (size_t)adm->max_reports) {
        reason = PA_REASON_TOO_MANY_REPORTS;
        snprintf(msg, sizeof msg, "%zu reports, more than the limit of %d", sub->n_items,
                 adm->max_reports);
    }
    if (reason != PA_REASON_NONE) {
        s_reject_frame(self, id, id_len, tag, tag_len, sub->sender, body, len, reason, msg);
        pa_submission_destroy(&sub);
        return;
    }
    if (s_keep_origin(sub, &frames[3], body, len) != PA_OK) {
        s_reply_failure(self, id, id_len, tag, tag_len, PA_STATUS_RETRY_LATER,
                        PA_REASON_STORE_UNAVAILABLE, "worker out of memory: resend later");
        pa_submission_destroy(&sub);
        return;
    }
    int64_t now = pa_clock_wall_ms();
    for (size_t i = 0; i < sub->n_items; i++)
        pa_validate_report(self->cat, sub->items[i].report, now, &sub->items[i].problems);
    if (self->zap) /* per frame, so that a revoked key on an open connection stops here */
        pa_zap_authorise(self->zap, pa_net_user_id(&frames[3]), sub);
    /* For the audit of a withdrawal: which key asked. */
    snprintf(sub->key, sizeof sub->key, "%s", pa_net_user_id(&frames[3]));
    pa_log_debug(self->log, "reports=%zu sender=%s submission received", sub->n_items, sub->sender);
    if (sub->dry_run) {
        s_dry_run(self, id, id_len, tag, tag_len, sub);
        pa_submission_destroy(&sub);
        return;
    }
    size_t n_items = sub->n_items;
    /* The batch is budgeted by what it holds in memory, not by wire bytes. */
    if (pa_batch_add(self->batch, id, id_len, tag, tag_len, sub, pa_submission_mem_bytes(sub),
                     pa_clock_mono_ms()) != PA_OK) {
        s_reply_failure(self, id, id_len, tag, tag_len, PA_STATUS_RETRY_LATER,
                        PA_REASON_STORE_UNAVAILABLE, "worker out of memory: resend later");
        pa_metrics_add(self->metrics, PA_METRIC_SUBMISSIONS_RETRY_LATER, 1);
        pa_submission_destroy(&sub);
        return;
    }
    pa_metrics_add(self->metrics, PA_METRIC_RECEIVED, n_items);
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
    if (got && n >= 2) {
        size_t bytes = 0;
        for (size_t i = 1; i < n; i++)
            bytes += zmq_msg_size(&frames[i]) + 9; /* 9: the longest ZMTP frame header */
        pa_peers_delivered(self->peers, &frames[1], bytes);
        s_handle(self, frames, n);
    }
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
    if (it->status == PA_STATUS_STORED && r->withdraw) {
        pa_metrics_add(self->metrics, PA_METRIC_WITHDRAWN, 1);
        pa_log_info(self->log,
                    "report=%s district=%s period=%s revision=%u sender=%s key=%s withdrawn",
                    r->report_id, r->district, period, r->revision, sub->sender, sub->key);
    } else if (it->status == PA_STATUS_STORED) {
        pa_metrics_add(self->metrics, PA_METRIC_STORED, 1);
        pa_log_debug(self->log, "report=%s district=%s period=%s revision=%u values=%zu stored",
                     r->report_id, r->district, period, r->revision, r->n_values);
    } else if (it->status == PA_STATUS_DUPLICATE || it->status == PA_STATUS_SUPERSEDED) {
        bool dup = it->status == PA_STATUS_DUPLICATE;
        pa_metrics_add(self->metrics, dup ? PA_METRIC_DUPLICATE : PA_METRIC_SUPERSEDED, 1);
        pa_log_debug(self->log, "report=%s district=%s period=%s revision=%u current=%u %s",
                     r->report_id, r->district, period, r->revision, it->current_revision,
                     dup ? "duplicate" : "superseded");
    } else {
        const pa_problem_t *p = it->problems.n ? &it->problems.items[0] : NULL;
        if (it->status == PA_STATUS_REJECTED)
            pa_metrics_rejected(self->metrics, p ? p->reason : PA_REASON_NONE);
        else
            pa_metrics_add(self->metrics, PA_METRIC_REPORTS_RETRY_LATER, 1);
        pa_log_info(self->log,
                    "report=%s district=%s period=%s sender=%s problems=%zu rejected: %s: %s",
                    r->report_id, r->district, period, sub->sender,
                    it->problems.n + it->problems.dropped, p ? p->field : "", p ? p->message : "");
    }
}

static void s_reply_pending(pa_worker_t *self, const pa_batch_entry_t *p)
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

static void s_reply_all_retry(pa_worker_t *self)
{
    for (size_t i = 0; i < pa_batch_count(self->batch); i++) {
        const pa_batch_entry_t *e = pa_batch_entry(self->batch, i);
        s_reply_failure(self, e->id, e->id_len, e->tag, e->tag_len, PA_STATUS_RETRY_LATER,
                        PA_REASON_STORE_UNAVAILABLE,
                        "the worker could not store this submission: resend later");
    }
    pa_metrics_add(self->metrics, PA_METRIC_SUBMISSIONS_RETRY_LATER, pa_batch_count(self->batch));
}

/* Stores the batch and answers every entry: receipts after the commit, or
 * RETRY_LATER when the flush policy gave up. Only a fatal error is
 * returned (after answering). */
static int s_flush(pa_worker_t *self, const volatile sig_atomic_t *stop, pa_err_t *err)
{
    if (!pa_batch_count(self->batch))
        return PA_OK;
    int64_t started_ms = pa_clock_mono_ms();
    pa_flush_report_t rep;
    int rc = pa_flush_run(&self->policy, &self->sink, self->batch, stop, self->log, &rep, err);
    pa_metrics_add(self->metrics, PA_METRIC_RECONNECTS_STORE, (uint64_t)rep.reconnects);
    if (rc == PA_OK) {
        pa_aggregator_kick(self->agg); /* the commit queued aggregation keys */
        int64_t store_ms = pa_clock_mono_ms() - started_ms;
        pa_metrics_add(self->metrics, PA_METRIC_BATCHES, 1);
        pa_metrics_commit_ms(self->metrics, store_ms);
        size_t n_frames = 0, n_reports = 0;
        for (size_t i = 0; i < pa_batch_count(self->batch); i++) {
            const pa_batch_entry_t *e = pa_batch_entry(self->batch, i);
            if (e->sub) {
                n_reports += e->sub->n_items;
                s_reply_pending(self, e);
            } else {
                n_frames++;
                s_reply_failure(self, e->id, e->id_len, e->tag, e->tag_len, PA_STATUS_REJECTED,
                                e->frame.reason, e->frame.message);
            }
        }
        pa_log_info(self->log,
                    "batch=%llu submissions=%zu reports=%zu refused_frames=%zu attempts=%d "
                    "store_ms=%lld committed and acknowledged",
                    (unsigned long long)pa_metrics_get(self->metrics, PA_METRIC_BATCHES),
                    pa_batch_count(self->batch) - n_frames, n_reports, n_frames, rep.attempts,
                    (long long)store_ms);
    } else {
        pa_metrics_add(self->metrics, PA_METRIC_BATCHES_GIVEN_UP, 1);
        /* Given up (PostgreSQL away too long, or stopping) or fatal: nothing
         * of this batch is stored, so every producer is told to resend. */
        pa_log_warn(self->log, "error=%s attempts=%d submissions=%zu answered retry-later: %s",
                    pa_err_name(rc), rep.attempts, pa_batch_count(self->batch), rep.last.msg);
        s_reply_all_retry(self);
    }
    pa_batch_clear(self->batch);
    pa_metrics_set_pending(self->metrics, 0);
    return rc == PA_ERETRY ? PA_OK : rc;
}

/* The peers' and keys' part of the summary lines (the counters are pa_metrics'). */
static void s_log_peers(pa_worker_t *self, const char *what)
{
    pa_peers_stats_t ps;
    pa_peers_stats(self->peers, &ps);
    pa_log_info(self->log, "worker=%s peers=%d peers_over_cap=%llu peers_shut=%llu %s", self->name,
                ps.connected, (unsigned long long)ps.refused_over_cap,
                (unsigned long long)(ps.shut_pending + ps.shut_memory), what);
    if (self->zap) {
        pa_zap_stats_t z;
        pa_zap_stats(self->zap, &z);
        pa_log_info(self->log,
                    "worker=%s keys_admitted=%llu keys_refused=%llu unauthorized=%llu "
                    "reloads=%llu %s",
                    self->name, (unsigned long long)z.admitted, (unsigned long long)z.refused,
                    (unsigned long long)z.unauthorized, (unsigned long long)z.reloads, what);
    }
}

int pa_worker_run(pa_worker_t *self, const volatile sig_atomic_t *stop, volatile sig_atomic_t *dump,
                  pa_err_t *err)
{
    int rc = PA_OK;
    int64_t every_ms = (int64_t)self->cfg->stats_interval_s * 1000;
    int64_t summary_due = pa_clock_mono_ms() + every_ms;
    pa_peers_limits_t plim = pa_admit_peer_limits(&self->cfg->admit, self->nofile);
    pa_log_info(self->log,
                "worker=%s endpoint=%s metrics=%s batch_reports=%d batch_wait_ms=%d nofile=%ld "
                "max_peers=%d ready",
                self->name, self->endpoint, self->metrics_addr, self->cfg->batch_reports,
                self->cfg->batch_wait_ms, self->nofile, plim.max_peers);
    while (!*stop) {
        int wait = pa_batch_wait_ms(self->batch, pa_clock_mono_ms());
        zmq_pollitem_t items[2] = {{self->sock, 0, ZMQ_POLLIN, 0},
                                   {pa_peers_socket(self->peers), 0, ZMQ_POLLIN, 0}};
        int n = zmq_poll(items, 2, wait < 0 ? PA_IDLE_POLL_MS : wait);
        if (n < 0) {
            if (zmq_errno() == EINTR)
                continue; /* the loop condition sees the stop request */
            rc = pa_err_set(err, PA_EIO, "zmq_poll: %s", zmq_strerror(zmq_errno()));
            break;
        }
        /* Drain what is ready, up to one batch (or a bounded number of
         * messages, for a flood of rejected frames), so that neither the
         * flush nor the stop check starves. */
        int i = 0;
        while (i < 1000 && !*stop && !pa_batch_full(self->batch) && s_recv_one(self))
            i++;
        pa_metrics_set_pending(self->metrics, pa_batch_reports(self->batch));
        /* Connections first seen, or gone; then, with nothing whole left to
         * read, whatever a peer still holds is an unfinished message. */
        pa_peers_on_events(self->peers);
        if (i < 1000 && !pa_batch_full(self->batch))
            pa_peers_check(self->peers, pa_clock_mono_ms());
        if (pa_batch_due(self->batch, pa_clock_mono_ms()) && (rc = s_flush(self, stop, err)))
            break;
        if (every_ms > 0 && pa_clock_mono_ms() >= summary_due) {
            pa_metrics_log(self->metrics, self->log, self->name, false, "running");
            s_log_peers(self, "running");
            summary_due = pa_clock_mono_ms() + every_ms;
        }
        if (dump && *dump) {
            *dump = 0;
            pa_metrics_log(self->metrics, self->log, self->name, true, "counters on request");
            s_log_peers(self, "counters on request");
        }
    }
    /* A stop request: read nothing more, store and answer what was read
     * (one attempt: a failing database gets RETRY_LATER, not a wait). */
    if (rc == PA_OK)
        rc = s_flush(self, stop, err);
    pa_metrics_log(self->metrics, self->log, self->name, false, "stopped");
    s_log_peers(self, "stopped");
    return rc;
}
