/* test_hostile.c - the hostile inputs of issue 10 replayed against a real
 * worker process: a 16 MiB submission of many reports of empty values from
 * four peers at once, 8 M unknown fields, a peer that never reads its
 * receipts, a report padded with 16 MiB of unknown fields, a quarantine
 * flood, a multipart message that never ends, and idle peers beyond the
 * connection cap; then the revision pin and voiding a report. Each asserts that the
 * worker's peak RSS (VmHWM) stays under 300 MB, that a normal producer is
 * answered within 3 s meanwhile, and that nothing hostile is stored. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "pa_codec.h"
#include "pa_problem.h"
#include "pa_testenv.h"
#include "../pa_testwire.h"

#define S_RSS_MAX_KB    (300L * 1024)
#define S_ANSWER_MAX_MS 3000

static pa_testdb_t s_db;
static pid_t s_worker;
static char s_ep[64], s_werr[512];
static int s_normal_sent;

static void s_setup(void)
{
    /* Under AddressSanitizer freed memory waits in a quarantine (256 MB by
     * default) that counts in RSS but is not the worker's: keep it small so
     * that the bound measures what the worker holds. */
    const char *asan = getenv("ASAN_OPTIONS");
    char opts[1024];
    snprintf(opts, sizeof opts, "%s%squarantine_size_mb=16", asan ? asan : "",
             asan && *asan ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
    pa_testdb_create(&s_db);
    pa_testenv_endpoint(s_ep, sizeof s_ep);
    s_worker = pa_testenv_start_worker(&s_db, s_ep, pa_testenv_tmp("wh.err", s_werr, sizeof s_werr),
                                       "--log-level=info");
}

static void s_teardown(void)
{
    pa_testenv_stop_worker(s_worker);
    pa_testdb_drop(&s_db);
}

TestSuite(hostile, .init = s_setup, .fini = s_teardown, .timeout = 300);

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The worker's peak resident set, from /proc (kB). */
static long s_worker_hwm_kb(void)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)s_worker);
    FILE *f = fopen(path, "r");
    cr_assert(f, "no %s", path);
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
            break;
    fclose(f);
    cr_assert_gt(kb, 0);
    return kb;
}

/* ---------------------------------------------------------------- peers */

static void *s_dealer(void *ctx, int rcvhwm)
{
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0, timeout = 30000, small = 4096;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
    if (rcvhwm) {
        zmq_setsockopt(s, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm);
        zmq_setsockopt(s, ZMQ_RCVBUF, &small, sizeof small);
    }
    cr_assert_eq(zmq_connect(s, s_ep), 0);
    return s;
}

static bool s_send_submission(void *s, const void *body, size_t len)
{
    return zmq_send(s, "", 0, ZMQ_SNDMORE) == 0 && zmq_send(s, "t", 1, ZMQ_SNDMORE) == 1 &&
           zmq_send(s, body, len, 0) == (int)len;
}

/* The receipt of the last submission sent on s (NULL on timeout). */
static pa_receipt_t *s_recv_receipt(void *s)
{
    zmq_msg_t m;
    pa_receipt_t *rec = NULL;
    for (int part = 0; part < 3; part++) {
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s, 0) < 0) {
            zmq_msg_close(&m);
            return NULL;
        }
        if (part == 2)
            pa_codec_decode_receipt(zmq_msg_data(&m), zmq_msg_size(&m), &rec, NULL);
        zmq_msg_close(&m);
    }
    return rec;
}

/* A hostile peer, on its own thread: sends body copies times on each of
 * peers DEALERs; reads the receipts (counting whole refusals of reason)
 * unless it is the peer that never reads. */
typedef struct {
    const pa_tw_bytes_t *body;
    int peers, copies;
    bool never_read;
    int reason;           /* the whole-submission reason expected, or 0 */
    int refused, answers; /* out */
    volatile int done;
} s_flood_t;

static void *s_flood_run(void *arg)
{
    s_flood_t *f = arg;
    void *ctx = zmq_ctx_new();
    void *socks[8];
    for (int p = 0; p < f->peers; p++)
        socks[p] = s_dealer(ctx, f->never_read ? 1 : 0);
    for (int c = 0; c < f->copies; c++)
        for (int p = 0; p < f->peers; p++)
            s_send_submission(socks[p], f->body->p, f->body->n);
    for (int c = 0; c < f->copies && !f->never_read; c++) {
        for (int p = 0; p < f->peers; p++) {
            pa_receipt_t *rec = s_recv_receipt(socks[p]);
            if (rec) {
                f->answers++;
                f->refused += rec->status == PA_STATUS_REJECTED && rec->reason == f->reason;
            }
            pa_receipt_destroy(&rec);
        }
    }
    for (int p = 0; p < f->peers; p++)
        zmq_close(socks[p]);
    zmq_ctx_term(ctx);
    f->done = 1;
    return NULL;
}

/* Sends one report of district 500101 (ws_deaths = count) and waits for its
 * receipt; returns the milliseconds that took, and the report's status and
 * first reason. */
static int64_t s_exchange(const char *id, const char *period, uint32_t revision, double count,
                          int *status, int *reason)
{
    pa_report_t *r = pa_report_new();
    snprintf(r->report_id, sizeof r->report_id, "%s", id);
    snprintf(r->district, sizeof r->district, "500101");
    cr_assert_eq(pa_period_parse(period, &r->period, NULL), PA_OK);
    r->revision = revision;
    r->submitted_at_ms = 1710000000000LL;
    pa_value_t v = {.kind = PA_AMOUNT_COUNT, .count = count};
    snprintf(v.indicator, sizeof v.indicator, "ws_deaths");
    cr_assert_eq(pa_report_add_value(r, &v, NULL), PA_OK);
    uint8_t *body = NULL;
    size_t len = 0;
    cr_assert_eq(pa_codec_encode_submission("normal", &r, 1, &body, &len, NULL), PA_OK);
    void *ctx = zmq_ctx_new();
    void *s = s_dealer(ctx, 0);
    int64_t t0 = s_now_ms();
    cr_assert(s_send_submission(s, body, len));
    pa_receipt_t *rec = s_recv_receipt(s);
    int64_t took = s_now_ms() - t0;
    cr_assert(rec, "the normal producer got no receipt in 30 s");
    cr_assert_eq(rec->status, PA_STATUS_STORED, "%s", rec->message);
    *status = rec->entries[0].status;
    *reason = rec->entries[0].problems.n ? rec->entries[0].problems.items[0].reason : 0;
    pa_receipt_destroy(&rec);
    zmq_close(s);
    zmq_ctx_term(ctx);
    free(body);
    pa_report_destroy(&r);
    return took;
}

/* One good report from a well-behaved producer; returns how long it took
 * to be answered STORED. */
static int64_t s_normal_exchange(void)
{
    char id[32], period[16];
    s_normal_sent++;
    snprintf(id, sizeof id, "normal-%d", s_normal_sent);
    snprintf(period, sizeof period, "2023-%02d", 1 + (s_normal_sent - 1) % 12);
    int status = 0, reason = 0;
    int64_t took =
        s_exchange(id, period, (uint32_t)(1 + (s_normal_sent - 1) / 12), 2, &status, &reason);
    cr_assert_eq(status, PA_STATUS_STORED, "normal report: %s", pa_reason_name(reason));
    return took;
}

/* Runs the flood on a thread while a normal producer keeps submitting;
 * asserts every normal answer came within S_ANSWER_MAX_MS and the worker's
 * peak RSS stayed under S_RSS_MAX_KB. */
static void s_survive(s_flood_t *f, const char *what)
{
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, s_flood_run, f), 0);
    int64_t worst = 0;
    int n = 0;
    while (!f->done || n < 2) {
        int64_t took = s_normal_exchange();
        worst = took > worst ? took : worst;
        n++;
    }
    pthread_join(t, NULL);
    long kb = s_worker_hwm_kb();
    cr_log_info("%s: worker peak RSS %ld MB, normal producer answered %d times, slowest %lld ms",
                what, kb / 1024, n, (long long)worst);
    fprintf(stderr, "hostile %s: peak_rss_mb=%ld normal_answers=%d slowest_ms=%lld\n", what,
            kb / 1024, n, (long long)worst);
    cr_assert_lt(kb, S_RSS_MAX_KB, "%s: worker peak RSS %ld kB", what, kb);
    cr_assert_leq(worst, S_ANSWER_MAX_MS, "%s: a normal producer waited %lld ms", what,
                  (long long)worst);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report"), n,
                 "only the normal reports are stored");
}

/* ---------------------------------------------------------------- cases */

Test(hostile, four_peers_send_16_MiB_of_empty_values)
{
    pa_tw_bytes_t r = {0};
    pa_tw_report_head(&r, "empty-values");
    pa_tw_empty_values(&r, 100000);
    pa_tw_bytes_t body = pa_tw_submission(&r, 83); /* just under 16 MiB */
    cr_assert_lt(body.n, 16u << 20);
    s_flood_t f = {&body, 4, 2, false, PA_REASON_TOO_MANY_VALUES, 0, 0, 0};
    s_survive(&f, "empty values");
    cr_assert_eq(f.answers, 8);
    cr_assert_eq(f.refused, 8, "refused whole as too_many_values, counted on the wire");
    free(r.p);
    free(body.p);
}

Test(hostile, eight_million_unknown_fields)
{
    pa_tw_bytes_t r = {0};
    pa_tw_report_head(&r, "unknown-fields");
    pa_tw_unknown_fields(&r, 8000000);
    pa_tw_bytes_t body = pa_tw_submission(&r, 1);
    s_flood_t f = {&body, 2, 1, false, PA_REASON_DECODE_BUDGET, 0, 0, 0};
    s_survive(&f, "unknown fields");
    cr_assert_eq(f.refused, 2);
    free(r.p);
    free(body.p);
}

Test(hostile, report_padded_with_16_MiB_is_refused_and_kept_bounded)
{
    pa_tw_bytes_t r = {0}, v = {0};
    pa_tw_report_head(&r, "padded");
    pa_tw_len_field(&v, 1, "ws_deaths", 9);
    pa_tw_len_field(&r, 7, v.p, v.n);
    size_t pad = (16u << 20) - 4096;
    char *junk = calloc(1, pad);
    pa_tw_len_field(&r, 99, junk, pad);
    pa_tw_bytes_t body = pa_tw_submission(&r, 1);
    s_flood_t f = {&body, 1, 3, false, 0, 0, 0, 0};
    s_survive(&f, "padded report");
    cr_assert_eq(f.answers, 3);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.v_quarantine "
                                       "WHERE reason = 'unknown_fields' AND raw_bytes <= 65536"),
                 3);
    free(junk);
    free(r.p);
    free(v.p);
    free(body.p);
}

Test(hostile, peer_that_never_reads_its_receipts)
{
    /* 1000 reports of 70 empty values: each answered by the largest receipt. */
    pa_tw_bytes_t r = {0};
    pa_tw_empty_values(&r, 70);
    pa_tw_bytes_t body = pa_tw_submission(&r, 1000);
    s_flood_t f = {&body, 1, 150, true, 0, 0, 0, 0};
    s_survive(&f, "non-reading peer");
    free(r.p);
    free(body.p);
}

Test(hostile, quarantine_flood_keeps_a_bounded_head_of_each_refusal)
{
    pa_tw_bytes_t body = {0};
    char *junk = malloc(1u << 20);
    memset(junk, 0xff, 1u << 20); /* not a Submission */
    pa_tw_put(&body, junk, 1u << 20);
    s_flood_t f = {&body, 4, 25, false, PA_REASON_UNDECODABLE, 0, 0, 0};
    s_survive(&f, "quarantine flood");
    cr_assert_eq(f.refused, 100);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT max(octet_length(raw)) FROM pingan.quarantine"),
                 65536, "each refusal keeps its first 64 KiB");
    free(junk);
    free(body.p);
}

Test(hostile, a_submission_of_refused_reports_is_one_quarantine_row)
{
    /* 1000 reports of 40 empty values each: every report refused with 40
     * problems. The quarantine keeps one row per submission (its first
     * 64 KiB, once) and one small row per report (its first 8 problems). */
    enum { N = 1000, COPIES = 5, PEERS = 2 };
    pa_tw_bytes_t r = {0};
    pa_tw_report_head(&r, "refused");
    pa_tw_empty_values(&r, 40);
    pa_tw_bytes_t body = pa_tw_submission(&r, N);
    cr_assert_gt(body.n, 65536u, "the submission is larger than what is kept of it");
    s_flood_t f = {&body, PEERS, COPIES, false, 0, 0, 0, 0};
    s_survive(&f, "refused reports");
    cr_assert_eq(f.answers, PEERS * COPIES);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.quarantine"), PEERS * COPIES,
                 "one row per refused submission");
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.quarantine WHERE reports = "
                                       "1000 AND octet_length(raw) = 65536 AND reasons = '[]'"),
                 PEERS * COPIES);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.quarantine_report"),
                 PEERS * COPIES * N, "one row per refused report");
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(DISTINCT item) FROM pingan.quarantine_report"),
                 N, "each report's index in its submission");
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.quarantine_report WHERE "
                                       "problems >= 40 AND jsonb_array_length(reasons) = 8 AND "
                                       "district_code = '500101' AND period_start = '2024-03-01'"),
                 PEERS * COPIES * N, "every report keeps its first 8 problems of 40 or more");
    /* All of it, rows and index included, in a few MB: bounded by the caps,
     * not by what was sent (the 10 submissions were about 1 MB each). */
    long bytes = pa_testdb_long(&s_db, "SELECT pg_total_relation_size('pingan.quarantine') + "
                                       "pg_total_relation_size('pingan.quarantine_report')");
    fprintf(stderr, "hostile refused reports: quarantine_bytes=%ld for %d submissions\n", bytes,
            PEERS * COPIES);
    cr_assert_lt(bytes, 16L << 20, "quarantine took %ld bytes", bytes);
    free(r.p);
    free(body.p);
}

/* ---------------------------------------------------------------- revisions */

static void s_expect(const char *id, const char *period, uint32_t revision, double count,
                     int status, int reason)
{
    int got = 0, why = 0;
    s_exchange(id, period, revision, count, &got, &why);
    cr_assert_eq(got, status, "%s revision %u: status %s (%s)", id, revision, pa_status_name(got),
                 pa_reason_name(why));
    cr_assert_eq(why, reason, "%s revision %u: reason %s", id, revision, pa_reason_name(why));
}

Test(hostile, a_huge_revision_cannot_pin_a_district_period)
{
    s_expect("pin", "2023-05", 2147483647u, 1, PA_STATUS_REJECTED, PA_REASON_REVISION_JUMP);
    s_expect("pin-first", "2023-05", 1001, 1, PA_STATUS_REJECTED, PA_REASON_REVISION_JUMP);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report"), 0);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.quarantine_report "
                                       "WHERE reasons @> '[{\"reason\": \"revision_jump\"}]'"),
                 2, "both refusals are quarantined");
    /* Normal corrections still work, within the step. */
    s_expect("r1", "2023-05", 1, 1, PA_STATUS_STORED, 0);
    s_expect("r2", "2023-05", 2, 2, PA_STATUS_STORED, 0);
    s_expect("r1003", "2023-05", 1003, 3, PA_STATUS_REJECTED, PA_REASON_REVISION_JUMP);
    s_expect("r1002", "2023-05", 1002, 4, PA_STATUS_STORED, 0);
    s_expect("r3", "2023-05", 3, 5, PA_STATUS_REJECTED, PA_REASON_STALE_REVISION);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT revision FROM pingan.current_report "
                                       "WHERE district_code = '500101'"),
                 1002);
}

static long s_month_figure(void)
{
    pa_testdb_wait_aggregated(&s_db, 30000);
    return pa_testdb_long(&s_db, "SELECT count_sum FROM pingan.figure WHERE indicator_code = "
                                 "'ws_deaths' AND level = 'district' AND area_code = '500101' "
                                 "AND period_type = 'month' AND period_start = '2023-05-01'");
}

Test(hostile, a_voided_report_gives_the_period_back_to_the_previous_revision)
{
    s_expect("good", "2023-05", 1, 2, PA_STATUS_STORED, 0);
    s_expect("bad", "2023-05", 900, 9000, PA_STATUS_STORED, 0);
    cr_assert_eq(s_month_figure(), 9000);
    char *row = pa_testdb_text(&s_db, "SELECT format('%s/%s/%s/%s/%s', district_code, period_type, "
                                      "period_start, voided_revision, current_revision) FROM "
                                      "pingan.void_report('bad', 'typed 9000 for 2')");
    cr_assert_str_eq(row, "500101/month/2023-05-01/900/1");
    free(row);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT revision FROM pingan.current_report "
                                       "WHERE district_code = '500101'"),
                 1);
    cr_assert_eq(s_month_figure(), 2, "the aggregates follow the void");
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT value_count FROM pingan.voided_report "
                                       "WHERE report_id = 'bad' AND void_reason <> ''"),
                 1, "the voided report is kept on record");
    /* Resent, it stays voided; a correction from the district is stored. */
    s_expect("bad", "2023-05", 900, 9000, PA_STATUS_REJECTED, PA_REASON_REPORT_ID_CONFLICT);
    s_expect("fix", "2023-05", 2, 3, PA_STATUS_STORED, 0);
    cr_assert_eq(s_month_figure(), 3);
}

/* Runs pingan-worker with args (NULL-terminated) on the test database;
 * returns its exit status, its stderr in *err_text (caller frees). */
static int s_worker_command(char *const args[], char **err_text)
{
    char bin[512], errp[512];
    char *argv[8] = {pa_testenv_bin("pingan-worker", bin, sizeof bin)};
    for (int i = 0; args[i] && i < 6; i++)
        argv[i + 1] = args[i];
    pid_t pid =
        pa_testenv_spawn(argv, s_db.dbname, NULL, pa_testenv_tmp("wcmd.err", errp, sizeof errp));
    int status = pa_testenv_wait(pid, 60000);
    *err_text = pa_testenv_slurp(errp);
    return status;
}

Test(hostile, the_operator_voids_and_prunes_with_worker_commands)
{
    s_expect("good", "2023-06", 1, 2, PA_STATUS_STORED, 0);
    s_expect("bad", "2023-06", 900, 9000, PA_STATUS_STORED, 0);
    char *text = NULL;
    /* A reason is required, and checked before anything is touched. */
    int status = s_worker_command((char *[]){"--void", "bad", NULL}, &text);
    cr_assert_eq(status, 2, "exit %d: %s", status, text);
    cr_assert(strstr(text, "--void-reason"), "%s", text);
    free(text);
    status =
        s_worker_command((char *[]){"--void", "no-such-id", "--void-reason", "test", NULL}, &text);
    cr_assert_eq(status, 1, "exit %d: %s", status, text);
    cr_assert(strstr(text, "no stored report has report_id no-such-id"), "%s", text);
    free(text);
    status = s_worker_command(
        (char *[]){"--void", "bad", "--void-reason", "typed 9000 for 2", NULL}, &text);
    cr_assert_eq(status, 0, "exit %d: %s", status, text);
    cr_assert(strstr(text, "report_id=bad district=500101 period_type=month "
                           "period_start=2023-06-01 revision=900 current_revision=1 voided"),
              "%s", text);
    free(text);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT revision FROM pingan.current_report "
                                       "WHERE district_code = '500101' AND period_start = "
                                       "'2023-06-01'"),
                 1);
    /* Pruning: rows older than the days given go, the others stay. */
    pa_testdb_long(&s_db, "WITH q AS (INSERT INTO pingan.quarantine (received_at, reasons) "
                          "SELECT now() - make_interval(days => d), '[]' "
                          "FROM generate_series(10, 100, 30) AS d RETURNING 1) "
                          "SELECT count(*) FROM q");
    long before = pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.quarantine");
    status = s_worker_command((char *[]){"--prune-quarantine", "50", NULL}, &text);
    cr_assert_eq(status, 0, "exit %d: %s", status, text);
    cr_assert(strstr(text, "rows=2 days=50"), "the rows 70 and 100 days old: %s", text);
    free(text);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.quarantine"), before - 2);
}

/* ---------------------------------------------------------------- connections */

/* A plain TCP connection to the worker that has done the ZMTP 3.0 NULL
 * handshake as a DEALER, as a peer not using libzmq would: libzmq itself
 * would keep an unfinished message in the sender. */
static int s_tcp_connect(void)
{
    int port = atoi(strrchr(s_ep, ':') + 1);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0, "%s", strerror(errno));
    return fd;
}

static int s_zmtp_connect(void)
{
    int fd = s_tcp_connect();
    uint8_t greeting[64] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0, 'N', 'U', 'L', 'L'};
    static const uint8_t ready[] = {0x04, 28,  5,   'R', 'E', 'A', 'D', 'Y', 11,  'S',
                                    'o',  'c', 'k', 'e', 't', '-', 'T', 'y', 'p', 'e',
                                    0,    0,   0,   6,   'D', 'E', 'A', 'L', 'E', 'R'};
    cr_assert_eq(write(fd, greeting, sizeof greeting), (ssize_t)sizeof greeting);
    uint8_t peer[64];
    size_t got = 0;
    while (got < sizeof peer) {
        ssize_t n = read(fd, peer + got, sizeof peer - got);
        cr_assert_gt(n, 0, "no ZMTP greeting from the worker");
        got += (size_t)n;
    }
    cr_assert_eq(write(fd, ready, sizeof ready), (ssize_t)sizeof ready);
    return fd;
}

typedef struct {
    long frames, sent;
    bool reset; /* the worker shut the connection */
    volatile int done;
} s_endless_t;

/* MORE on every frame, 2 bytes each: the message never ends. */
static void *s_endless_run(void *arg)
{
    s_endless_t *e = arg;
    int fd = s_zmtp_connect();
    static uint8_t chunk[65536];
    for (size_t i = 0; i < sizeof chunk; i += 2) {
        chunk[i] = 0x01; /* MORE, short frame */
        chunk[i + 1] = 0;
    }
    signal(SIGPIPE, SIG_IGN);
    while (e->sent < e->frames) {
        if (write(fd, chunk, sizeof chunk) != (ssize_t)sizeof chunk) {
            e->reset = true;
            break;
        }
        e->sent += (long)sizeof chunk / 2;
    }
    close(fd);
    e->done = 1;
    return NULL;
}

/* Restarts the worker with one more flag. */
static void s_restart_worker(const char *flag)
{
    char werr[512];
    pa_testenv_stop_worker(s_worker);
    s_worker =
        pa_testenv_start_worker(&s_db, s_ep, pa_testenv_tmp("wh2.err", werr, sizeof werr), flag);
}

Test(hostile, multipart_message_that_never_ends)
{
    /* The memory guard further below the bound this test asserts (default 160). */
    s_restart_worker("--max-rss-mb=128");
    s_endless_t e = {20000000, 0, false, 0}; /* up to 40 MB on the wire */
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, s_endless_run, &e), 0);
    int64_t worst = 0;
    int n = 0;
    while (!e.done || n < 2) {
        int64_t took = s_normal_exchange();
        worst = took > worst ? took : worst;
        n++;
    }
    pthread_join(t, NULL);
    long kb = s_worker_hwm_kb();
    fprintf(stderr,
            "hostile endless multipart: peak_rss_mb=%ld normal_answers=%d slowest_ms=%lld "
            "frames_sent=%ld shut=%d\n",
            kb / 1024, n, (long long)worst, e.sent, e.reset);
    cr_assert(e.reset, "the worker shut the connection (after %ld frames)", e.sent);
    cr_assert_lt(kb, S_RSS_MAX_KB, "worker peak RSS %ld kB", kb);
    cr_assert_leq(worst, S_ANSWER_MAX_MS);
}

Test(hostile, idle_peers_beyond_the_cap_are_shut_and_producers_still_get_in)
{
    s_restart_worker("--max-peers=50");
    int fds[120];
    for (int i = 0; i < 120; i++)
        fds[i] = s_tcp_connect();
    /* The 70 beyond the cap are shut by the worker: read() sees the end. */
    int shut = 0;
    for (int i = 0; i < 120; i++) {
        struct timeval tv = {0, 200000};
        setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        uint8_t buf[256];
        ssize_t r;
        while ((r = read(fds[i], buf, sizeof buf)) > 0)
            ;
        shut += r == 0 || (r < 0 && errno == ECONNRESET);
    }
    cr_assert_geq(shut, 70, "%d of 120 idle connections shut", shut);
    for (int k = 0; k < 3; k++)
        cr_assert_leq(s_normal_exchange(), S_ANSWER_MAX_MS);
    for (int i = 0; i < 120; i++)
        close(fds[i]);
}

static size_t s_log_size(const char *path)
{
    char *log = pa_testenv_slurp(path);
    size_t n = log ? strlen(log) : 0;
    free(log);
    return n;
}

/* Waits until the worker's log, after its first from bytes, holds want
 * (asking for its counters with SIGUSR1 every 100 ms); false after
 * deadline_ms. */
static bool s_log_says(const char *path, size_t from, const char *want, int deadline_ms)
{
    for (int64_t end = s_now_ms() + deadline_ms; s_now_ms() < end;) {
        kill(s_worker, SIGUSR1);
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
        char *log = pa_testenv_slurp(path);
        bool found = log && strlen(log) > from && strstr(log + from, want);
        free(log);
        if (found)
            return true;
    }
    return false;
}

Test(hostile, a_silent_peer_is_dropped_by_the_heartbeat)
{
    /* docs/protocol.md: a PING every --heartbeat-ms, and a peer that answers
     * nothing for 3 x that is disconnected. At 200 ms: PING at 200 ms, drop
     * at about 800 ms after the handshake. */
    enum { HB_MS = 200 };
    s_restart_worker("--heartbeat-ms=200");
    char log[512];
    pa_testenv_tmp("wh2.err", log, sizeof log);
    /* A well-behaved DEALER: libzmq answers the PINGs, so it stays. */
    void *ctx = zmq_ctx_new();
    void *good = s_dealer(ctx, 0);
    cr_assert_eq(zmq_socket_monitor(good, "inproc://good-monitor", ZMQ_EVENT_DISCONNECTED), 0);
    void *mon = zmq_socket(ctx, ZMQ_PAIR);
    cr_assert_eq(zmq_connect(mon, "inproc://good-monitor"), 0);
    cr_assert(s_log_says(log, 0, " peers=1 ", 10000), "the DEALER is counted");
    /* A peer that completes the ZMTP handshake and then says nothing. */
    size_t from = s_log_size(log);
    int fd = s_zmtp_connect();
    int64_t t0 = s_now_ms();
    bool counted = s_log_says(log, from, " peers=2 ", 500);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    uint8_t buf[256];
    ssize_t r;
    int pings = 0;
    while ((r = read(fd, buf, sizeof buf)) > 0)
        pings += memmem(buf, (size_t)r, "\x04PING", 5) != NULL;
    int64_t took = s_now_ms() - t0;
    fprintf(stderr, "hostile silent peer: dropped_after_ms=%lld pings_seen=%d\n", (long long)took,
            pings);
    cr_assert(r == 0 || (r < 0 && errno == ECONNRESET), "the worker closed the connection: %s",
              r < 0 ? strerror(errno) : "data");
    cr_assert_geq(pings, 1, "the worker sent a ZMTP PING before giving up");
    cr_assert_geq(took, 3 * HB_MS, "dropped by the heartbeat timeout, not at once (%lld ms)",
                  (long long)took);
    cr_assert_leq(took, 4 * HB_MS + 1000, "dropped within the documented timeout (%lld ms)",
                  (long long)took);
    close(fd);
    /* The worker counted both, and counts one peer again once the silent
     * one is gone: the DEALER, which stays connected through five more
     * heartbeat intervals and is answered on the same connection. */
    cr_assert(counted, "the silent peer was counted while connected");
    from = s_log_size(log);
    cr_assert(s_log_says(log, from, " peers=1 ", 10000), "the silent peer is no longer counted");
    struct timespec ts = {1, 0};
    nanosleep(&ts, NULL);
    cr_assert(s_send_submission(good, "\x08\x01", 2), "the DEALER can still send");
    pa_receipt_t *rec = s_recv_receipt(good);
    cr_assert(rec, "the DEALER that answers PINGs is still connected and answered");
    cr_assert_eq(rec->reason, PA_REASON_EMPTY_SUBMISSION);
    pa_receipt_destroy(&rec);
    zmq_msg_t ev;
    zmq_msg_init(&ev);
    cr_assert_eq(zmq_msg_recv(&ev, mon, ZMQ_DONTWAIT), -1, "the DEALER was never disconnected");
    zmq_msg_close(&ev);
    zmq_close(mon);
    zmq_close(good);
    zmq_ctx_term(ctx);
}

Test(hostile, the_quarantine_is_pruned_after_its_retention)
{
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT pingan.quarantine_retention_days()"), 90);
    pa_testdb_long(&s_db, "WITH q AS (INSERT INTO pingan.quarantine (received_at, reasons) "
                          "SELECT now() - make_interval(days => d), '[]' "
                          "FROM generate_series(5, 125, 10) AS d RETURNING 1) "
                          "SELECT count(*) FROM q");
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT pingan.prune_quarantine()"), 4,
                 "95 to 125 days old go");
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT pingan.prune_quarantine(30)"), 6);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.quarantine"), 3);
    /* Voiding what is not stored says so, and changes nothing. */
    PGresult *res = PQexec(s_db.conn, "SELECT * FROM pingan.void_report('no-such-id', 'test')");
    cr_assert_eq(PQresultStatus(res), PGRES_FATAL_ERROR);
    cr_assert_str_eq(PQresultErrorField(res, PG_DIAG_SQLSTATE), "P0002");
    PQclear(res);
}
