/* test_security.c - who may write what (docs/security.md), proved with real
 * pingan-worker, pingan-produce and pingan-keygen processes, CURVE over real
 * ZeroMQ sockets and a real PostgreSQL: every refusal stores nothing. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "pa_codec.h"
#include "pa_net.h"
#include "pa_problem.h"
#include "pa_testenv.h"

static pa_testdb_t s_db;

static void s_setup(void)
{
    pa_testdb_create(&s_db);
}

static void s_teardown(void)
{
    pa_testdb_drop(&s_db);
}

TestSuite(security, .init = s_setup, .fini = s_teardown, .timeout = 180);

/* Key files of one test: DIR/NAME.secret and DIR/NAME.public. */
typedef struct {
    char dir[512];
    char allow[600]; /* the worker's allow-list file */
} s_keys_t;

static void s_keys_init(s_keys_t *k, const char *test)
{
    pa_testenv_tmp(test, k->dir, sizeof k->dir);
    mkdir(k->dir, 0700);
    snprintf(k->allow, sizeof k->allow, "%s/allow-list", k->dir);
}

static char *s_path(const s_keys_t *k, const char *name, const char *ext, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s.%s", k->dir, name, ext);
    return buf;
}

/* Runs pingan-keygen; returns its stdout line (caller frees): the public
 * key, or the allow-list line with districts. */
static char *s_keygen(const s_keys_t *k, const char *name, const char *districts)
{
    char bin[512], out[600], err[600];
    snprintf(out, sizeof out, "%s/%s.out", k->dir, name);
    snprintf(err, sizeof err, "%s/%s.err", k->dir, name);
    char *argv[] = {pa_testenv_bin("pingan-keygen", bin, sizeof bin),
                    "--name",
                    (char *)name,
                    "--out-dir",
                    (char *)k->dir,
                    districts ? "--districts" : NULL,
                    (char *)districts,
                    NULL};
    int status = pa_testenv_wait(pa_testenv_spawn(argv, NULL, out, err), 20000);
    char *text = pa_testenv_slurp(out), *log = pa_testenv_slurp(err);
    cr_assert_eq(status, 0, "pingan-keygen %s: %s", name, log);
    free(log);
    text[strcspn(text, "\n")] = '\0';
    return text;
}

static void s_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert(f, "cannot write %s", path);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
}

/* Writes the allow-list from entry lines. */
static void s_allow(const s_keys_t *k, const char *line1, const char *line2)
{
    char text[1024];
    snprintf(text, sizeof text, "# test allow-list\n%s\n%s\n", line1, line2 ? line2 : "");
    s_write(k->allow, text);
}

static pid_t s_worker(const s_keys_t *k, const char *ep, const char *werr)
{
    char secret[600];
    char *const extra[] = {"--secret-key", s_path(k, "worker", "secret", secret, sizeof secret),
                           "--allow-list", (char *)k->allow, NULL};
    return pa_testenv_start_worker_args(&s_db, ep, werr, extra);
}

/* Runs pingan-produce on file with key NAME (NULL: no keys) against the
 * worker key server ("worker" normally); returns its exit status. */
static int s_produce(const s_keys_t *k, const char *ep, const char *name, const char *server,
                     const char *file, const char *out, const char *err)
{
    char bin[512], key[600], server_key[600];
    char *argv[16] = {pa_testenv_bin("pingan-produce", bin, sizeof bin),
                      "--connect",
                      (char *)ep,
                      "--timeout-ms",
                      "500",
                      "--retries",
                      "1",
                      "--deadline",
                      "4"};
    int n = 9;
    if (name) {
        argv[n++] = "--key";
        argv[n++] = s_path(k, name, "secret", key, sizeof key);
        argv[n++] = "--server-key";
        argv[n++] = s_path(k, server, "public", server_key, sizeof server_key);
    }
    argv[n++] = (char *)file;
    argv[n] = NULL;
    return pa_testenv_wait(pa_testenv_spawn(argv, NULL, out, err), 30000);
}

/* One report for each of two districts, both valid. */
static char *s_two_districts(char *buf, size_t size)
{
    pa_testenv_tmp("two.csv", buf, size);
    s_write(buf, "district,period,revision,town,indicator,count,numerator,denominator\n"
                 "500101,2024-03,1,,ws_deaths,1,,\n"
                 "500102,2024-03,1,,ws_deaths,2,,\n");
    return buf;
}

static long s_reports(void)
{
    return pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report");
}

static long s_values(void)
{
    return pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.value");
}

Test(security, a_district_key_writing_another_district_is_refused_and_quarantined)
{
    s_keys_t k;
    s_keys_init(&k, "keys-ab");
    free(s_keygen(&k, "worker", NULL));
    char *a = s_keygen(&k, "wanzhou", "500101");
    char *b = s_keygen(&k, "fuling", "500102");
    s_allow(&k, a, b);
    char ep[64], werr[512], out[512], err[512], csv[512];
    pa_testenv_endpoint(ep, sizeof ep);
    pid_t w = s_worker(&k, ep, pa_testenv_tmp("ab-w.err", werr, sizeof werr));
    int status = s_produce(&k, ep, "wanzhou", "worker", s_two_districts(csv, sizeof csv),
                           pa_testenv_tmp("ab.out", out, sizeof out),
                           pa_testenv_tmp("ab.err", err, sizeof err));
    char *text = pa_testenv_slurp(out), *log = pa_testenv_slurp(err);
    cr_assert_eq(status, 1, "exit %d: %s %s", status, text, log);
    cr_assert(strstr(text, "stored 500101 2024-03"), "%s", text);
    cr_assert(strstr(text, "rejected 500102 2024-03"), "%s", text);
    cr_assert(strstr(text, "(unauthorized_district)"), "%s", text);
    cr_assert(strstr(text, "may not write district 500102"), "%s", text);
    /* Only A's own district is stored; B's report is in the quarantine. */
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report "
                                       "WHERE district_code = '500102'"),
                 0);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.value v JOIN pingan.report r "
                                       "ON r.id = v.report_pk WHERE r.district_code = '500102'"),
                 0);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report "
                                       "WHERE district_code = '500101'"),
                 1);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.v_quarantine WHERE "
                                       "district_code = '500102' AND reason = "
                                       "'unauthorized_district'"),
                 1);
    pa_testenv_stop_worker(w);
    char *wlog = pa_testenv_slurp(werr);
    cr_assert(strstr(wlog, "name=wanzhou address=127.0.0.1 connection admitted"), "%s", wlog);
    cr_assert(strstr(wlog, "unauthorized=1"), "%s", wlog);
    free(wlog);
    free(text);
    free(log);
    free(a);
    free(b);
}

/* A refused producer: no receipt at all, exit 2, nothing stored. */
static void s_assert_refused(int status, const char *out, const char *err)
{
    char *text = pa_testenv_slurp(out), *log = pa_testenv_slurp(err);
    cr_assert_eq(status, 2, "exit %d: %s %s", status, text, log);
    cr_assert(strstr(log, "receipts=0"), "%s", log);
    cr_assert(!strstr(text, "stored"), "%s", text);
    cr_assert_eq(s_reports(), 0);
    cr_assert_eq(s_values(), 0);
    free(text);
    free(log);
}

Test(security, a_wrong_server_key_gets_no_receipt)
{
    s_keys_t k;
    s_keys_init(&k, "keys-wrong");
    free(s_keygen(&k, "worker", NULL));
    free(s_keygen(&k, "impostor", NULL));
    char *a = s_keygen(&k, "wanzhou", "500101");
    s_allow(&k, a, NULL);
    char ep[64], werr[512], out[512], err[512], csv[512];
    pa_testenv_endpoint(ep, sizeof ep);
    pid_t w = s_worker(&k, ep, pa_testenv_tmp("wrong-w.err", werr, sizeof werr));
    /* The producer trusts another key than the worker's: the handshake fails. */
    int status = s_produce(&k, ep, "wanzhou", "impostor", s_two_districts(csv, sizeof csv),
                           pa_testenv_tmp("wrong.out", out, sizeof out),
                           pa_testenv_tmp("wrong.err", err, sizeof err));
    s_assert_refused(status, out, err);
    pa_testenv_stop_worker(w);
    free(a);
}

Test(security, an_unknown_key_or_no_key_cannot_connect)
{
    s_keys_t k;
    s_keys_init(&k, "keys-unknown");
    free(s_keygen(&k, "worker", NULL));
    free(s_keygen(&k, "stranger", NULL));
    char *a = s_keygen(&k, "wanzhou", "500101");
    s_allow(&k, a, NULL);
    char ep[64], werr[512], out[512], err[512], csv[512];
    pa_testenv_endpoint(ep, sizeof ep);
    pid_t w = s_worker(&k, ep, pa_testenv_tmp("unk-w.err", werr, sizeof werr));
    int status = s_produce(&k, ep, "stranger", "worker", s_two_districts(csv, sizeof csv),
                           pa_testenv_tmp("unk.out", out, sizeof out),
                           pa_testenv_tmp("unk.err", err, sizeof err));
    s_assert_refused(status, out, err);
    /* The refusal is logged with the key (its fingerprint) and counted. */
    char stranger[600];
    char *pub = pa_testenv_slurp(s_path(&k, "stranger", "public", stranger, sizeof stranger));
    char needle[128];
    snprintf(needle, sizeof needle, "key=%.40s address=127.0.0.1", strchr(pub, '\n') + 1);
    cr_assert(pa_testenv_wait_for_text(werr, needle, 5000), "%s", needle);
    cr_assert(pa_testenv_wait_for_text(werr, "connection refused: key not on the allow-list", 1));
    /* Plain text (no CURVE at all) does not get through either. */
    status = s_produce(&k, ep, NULL, "worker", csv, out, err);
    s_assert_refused(status, out, err);
    pa_testenv_stop_worker(w);
    char *wlog = pa_testenv_slurp(werr);
    cr_assert(!strstr(wlog, "keys_refused=0 "), "%s", wlog);
    free(wlog);
    free(pub);
    free(a);
}

/* A DEALER with NAME's key, as a client in another language would be. */
static void *s_dealer(void *ctx, const s_keys_t *k, const char *name, const char *ep)
{
    char key[600], server[600];
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0, timeout = 3000;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    cr_assert_eq(pa_net_curve_client(s, s_path(k, name, "secret", key, sizeof key),
                                     s_path(k, "worker", "public", server, sizeof server), NULL),
                 PA_OK);
    cr_assert_eq(zmq_connect(s, ep), 0);
    return s;
}

/* Sends one report for district and period; returns the receipt. */
static pa_receipt_t *s_exchange(void *s, const char *id, const char *district, const char *period)
{
    pa_report_t *r = pa_report_new();
    cr_assert(r);
    snprintf(r->report_id, sizeof r->report_id, "%s", id);
    snprintf(r->district, sizeof r->district, "%s", district);
    cr_assert_eq(pa_period_parse(period, &r->period, NULL), PA_OK);
    r->revision = 1;
    r->submitted_at_ms = (int64_t)time(NULL) * 1000;
    pa_value_t v = {.kind = PA_AMOUNT_COUNT, .count = 1};
    snprintf(v.indicator, sizeof v.indicator, "ws_deaths");
    cr_assert_eq(pa_report_add_value(r, &v, NULL), PA_OK);
    uint8_t *body = NULL;
    size_t len = 0;
    cr_assert_eq(pa_codec_encode_submission("raw", &r, 1, &body, &len, NULL), PA_OK);
    pa_report_destroy(&r);
    cr_assert_eq(zmq_send(s, "", 0, ZMQ_SNDMORE), 0);
    cr_assert_eq(zmq_send(s, "t", 1, ZMQ_SNDMORE), 1);
    cr_assert_eq(zmq_send(s, body, len, 0), (int)len);
    free(body);
    char frame[1 << 16];
    cr_assert_eq(zmq_recv(s, frame, sizeof frame, 0), 0, "no receipt: %s",
                 zmq_strerror(zmq_errno()));
    cr_assert_eq(zmq_recv(s, frame, sizeof frame, 0), 1);
    int m = zmq_recv(s, frame, sizeof frame, 0);
    cr_assert_gt(m, 0);
    pa_receipt_t *rec = NULL;
    cr_assert_eq(pa_codec_decode_receipt(frame, (size_t)m, &rec, NULL), PA_OK);
    cr_assert_eq(rec->n_entries, 1, "whole submission: %s", rec->message);
    return rec;
}

/* Rewrites the allow-list, sends SIGHUP and waits for the n-th outcome. */
static void s_reload(pid_t w, const char *werr, int n, const char *outcome)
{
    kill(w, SIGHUP);
    for (int seen = 0; seen < n;) {
        cr_assert(pa_testenv_wait_for_text(werr, outcome, 5000), "no '%s' after SIGHUP", outcome);
        char *log = pa_testenv_slurp(werr);
        seen = 0;
        for (const char *p = log; (p = strstr(p, outcome)) != NULL; p++)
            seen++;
        free(log);
    }
}

Test(security, a_revoked_key_is_refused_after_sighup_even_on_an_open_connection)
{
    s_keys_t k;
    s_keys_init(&k, "keys-revoke");
    free(s_keygen(&k, "worker", NULL));
    char *a = s_keygen(&k, "wanzhou", "500101");
    char *b = s_keygen(&k, "fuling", "500102");
    s_allow(&k, a, b);
    char ep[64], werr[512], out[512], err[512], csv[512];
    pa_testenv_endpoint(ep, sizeof ep);
    pid_t w = s_worker(&k, ep, pa_testenv_tmp("rev-w.err", werr, sizeof werr));
    void *ctx = zmq_ctx_new();
    void *open_conn = s_dealer(ctx, &k, "wanzhou", ep);
    pa_receipt_t *rec = s_exchange(open_conn, "before-revocation", "500101", "2024-03");
    cr_assert_eq(rec->entries[0].status, PA_STATUS_STORED);
    pa_receipt_destroy(&rec);

    /* Wanzhou's key is revoked: the list no longer holds it. */
    s_allow(&k, b, NULL);
    s_reload(w, werr, 1, "keys=1 allow-list reloaded");
    rec = s_exchange(open_conn, "after-revocation", "500101", "2024-04");
    cr_assert_eq(rec->entries[0].status, PA_STATUS_REJECTED);
    cr_assert_eq(rec->entries[0].problems.items[0].reason, PA_REASON_UNAUTHORIZED_DISTRICT);
    cr_assert(strstr(rec->entries[0].problems.items[0].message, "no longer"), "%s",
              rec->entries[0].problems.items[0].message);
    pa_receipt_destroy(&rec);
    zmq_close(open_conn);
    zmq_ctx_term(ctx);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report "
                                       "WHERE report_id = 'after-revocation'"),
                 0);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.v_quarantine WHERE "
                                       "report_id = 'after-revocation' AND "
                                       "reason = 'unauthorized_district'"),
                 1);
    /* A new connection with the revoked key is refused at the handshake. */
    int status = s_produce(&k, ep, "wanzhou", "worker", s_two_districts(csv, sizeof csv),
                           pa_testenv_tmp("rev.out", out, sizeof out),
                           pa_testenv_tmp("rev.err", err, sizeof err));
    char *log = pa_testenv_slurp(err);
    cr_assert_eq(status, 2, "%s", log);
    cr_assert(strstr(log, "receipts=0"), "%s", log);
    free(log);
    cr_assert_eq(s_reports(), 1);

    /* A list that does not parse is refused; the one in force stays. */
    s_write(k.allow, "not an allow-list\n");
    s_reload(w, werr, 1, "could not reload: keeping the old list");
    status = s_produce(&k, ep, "fuling", "worker", csv, out, err);
    char *text = pa_testenv_slurp(out);
    cr_assert_eq(status, 1, "%s", text);
    cr_assert(strstr(text, "stored 500102 2024-03"), "%s", text);
    cr_assert(strstr(text, "rejected 500101 2024-03"), "%s", text);
    free(text);
    pa_testenv_stop_worker(w);
    free(a);
    free(b);
}

/* Runs pingan-worker with args expecting it to refuse; returns its stderr. */
static char *s_refused_start(char *const args[], int want_status)
{
    char bin[512], err[512];
    char *argv[16] = {pa_testenv_bin("pingan-worker", bin, sizeof bin)};
    int n = 1;
    for (int i = 0; args[i] && n < 15; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pa_testenv_tmp("refuse.err", err, sizeof err);
    int status = pa_testenv_wait(pa_testenv_spawn(argv, s_db.dbname, NULL, err), 20000);
    char *log = pa_testenv_slurp(err);
    cr_assert_eq(status, want_status, "exit %d: %s", status, log);
    return log;
}

Test(security, a_worker_reachable_from_other_hosts_needs_keys_or_insecure)
{
    char ep[64], any[64], werr[512];
    pa_testenv_endpoint(ep, sizeof ep);
    snprintf(any, sizeof any, "tcp://*:%s", strrchr(ep, ':') + 1);
    char *log = s_refused_start((char *[]){"--bind", any, NULL}, 2);
    cr_assert(strstr(log, "is reachable from other hosts"), "%s", log);
    cr_assert(strstr(log, "--insecure"), "%s", log);
    free(log);
    log = s_refused_start((char *[]){"--bind", "tcp://0.0.0.0:1", NULL}, 2);
    cr_assert(strstr(log, "--insecure"), "%s", log);
    free(log);
    log = s_refused_start((char *[]){"--bind", ep, "--secret-key", "/nonexistent", NULL}, 2);
    cr_assert(strstr(log, "--secret-key and --allow-list go together"), "%s", log);
    free(log);
    /* Start-up names the file it cannot use. */
    log = s_refused_start((char *[]){"--bind", any, "--secret-key", "/nonexistent/w.secret",
                                     "--allow-list", "/nonexistent/allow", NULL},
                          1);
    cr_assert(strstr(log, "/nonexistent/"), "%s", log);
    free(log);

    /* On loopback it runs without keys, and says so loudly. */
    pid_t w =
        pa_testenv_start_worker(&s_db, ep, pa_testenv_tmp("lo-w.err", werr, sizeof werr), NULL);
    pa_testenv_stop_worker(w);
    log = pa_testenv_slurp(werr);
    cr_assert(strstr(log, " warn worker bind=tcp://127.0.0.1:"), "%s", log);
    cr_assert(strstr(log, "INSECURE: no CURVE keys"), "%s", log);
    free(log);
    /* --insecure is the explicit way to accept any sender everywhere. */
    w = pa_testenv_start_worker(&s_db, any, werr, "--insecure");
    pa_testenv_stop_worker(w);
}
