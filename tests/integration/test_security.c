/* test_security.c - who may write what (docs/security.md), proved with real
 * pingan-worker, pingan-produce and pingan-keygen processes, CURVE over real
 * ZeroMQ sockets and a real PostgreSQL: every refusal stores nothing. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdbool.h>
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

/* One test's world: keys for the worker, wanzhou (500101, listed), fuling
 * (500102, listed when list_fuling) and `extra` (made, never listed), and a
 * CURVE worker on them; files for the producer's output. */
typedef struct {
    s_keys_t k;
    char *wanzhou, *fuling; /* their allow-list lines */
    char ep[64], werr[512], out[512], err[512], csv[512];
    pid_t w;
} s_scene_t;

static void s_scene(s_scene_t *sc, const char *name, const char *extra, bool list_fuling)
{
    char path[128];
    s_keys_init(&sc->k, name);
    free(s_keygen(&sc->k, "worker", NULL));
    if (extra)
        free(s_keygen(&sc->k, extra, NULL));
    sc->wanzhou = s_keygen(&sc->k, "wanzhou", "500101");
    sc->fuling = s_keygen(&sc->k, "fuling", "500102");
    s_allow(&sc->k, sc->wanzhou, list_fuling ? sc->fuling : NULL);
    pa_testenv_endpoint(sc->ep, sizeof sc->ep);
    snprintf(path, sizeof path, "%s-w.err", name);
    sc->w = s_worker(&sc->k, sc->ep, pa_testenv_tmp(path, sc->werr, sizeof sc->werr));
    snprintf(path, sizeof path, "%s.out", name);
    pa_testenv_tmp(path, sc->out, sizeof sc->out);
    snprintf(path, sizeof path, "%s.err", name);
    pa_testenv_tmp(path, sc->err, sizeof sc->err);
    s_two_districts(sc->csv, sizeof sc->csv);
}

/* pingan-produce on the two-district file with key (NULL: none) trusting
 * server's public key; its exit status. */
static int s_scene_produce(s_scene_t *sc, const char *key, const char *server)
{
    return s_produce(&sc->k, sc->ep, key, server, sc->csv, sc->out, sc->err);
}

static void s_scene_end(s_scene_t *sc)
{
    pa_testenv_stop_worker(sc->w);
    free(sc->wanzhou);
    free(sc->fuling);
}

/* pingan-produce --connect EP --key NAME --server-key worker ARGS...: a
 * question; its exit status, stdout and stderr (caller frees). */
static int s_scene_ask(s_scene_t *sc, const char *name, char *const args[], char **out, char **err)
{
    char bin[512], key[600], server_key[600];
    char *argv[24] = {pa_testenv_bin("pingan-produce", bin, sizeof bin),
                      "--connect",
                      sc->ep,
                      "--timeout-ms",
                      "2000",
                      "--retries",
                      "0",
                      "--key",
                      s_path(&sc->k, name, "secret", key, sizeof key),
                      "--server-key",
                      s_path(&sc->k, "worker", "public", server_key, sizeof server_key)};
    int n = 11;
    for (int i = 0; args[i] && n < 23; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    int status = pa_testenv_wait(pa_testenv_spawn(argv, NULL, sc->out, sc->err), 30000);
    *out = pa_testenv_slurp(sc->out);
    *err = pa_testenv_slurp(sc->err);
    return status;
}

Test(security, a_key_reads_the_status_only_of_districts_it_may_write)
{
    s_scene_t sc;
    s_scene(&sc, "status", NULL, true);
    /* wanzhou writes 500101 and is refused 500102. */
    cr_assert_eq(s_scene_produce(&sc, "wanzhou", "worker"), 1);
    char *out, *err;
    int status = s_scene_ask(&sc, "wanzhou", (char *[]){"--status", "--district", "500101", NULL},
                             &out, &err);
    cr_assert_eq(status, 0, "exit %d: %s", status, err);
    cr_assert(strstr(out, "district 500101: 1 report stored (1 current, 0 superseded), 0 "
                          "rejections\n"),
              "%s", out);
    free(out);
    free(err);
    /* Its own refusal for 500102 is 500102's business, which it may not read. */
    status = s_scene_ask(&sc, "wanzhou", (char *[]){"--status", "--district", "500102", NULL}, &out,
                         &err);
    cr_assert_eq(status, 1, "refused by the worker: exit %d", status);
    cr_assert_str_eq(out, "");
    cr_assert_str_eq(err, "pingan-produce: --status: this key may not read district 500102 "
                          "(query_unauthorized)\n");
    free(out);
    free(err);
    /* fuling may read 500102: it sees the rejection of wanzhou's report. */
    status = s_scene_ask(&sc, "fuling", (char *[]){"--status", "--district", "500102", NULL}, &out,
                         &err);
    cr_assert_eq(status, 0, "exit %d: %s", status, err);
    cr_assert(strstr(out, "district 500102: 0 reports stored (0 current, 0 superseded), 1 "
                          "rejection\n"),
              "%s", out);
    cr_assert(strstr(out, "  2024-03     1         unauthorized_district         district: key "
                          "wanzhou ("),
              "%s", out);
    free(out);
    free(err);
    /* The template of another district is refused; the catalogue is not secret. */
    status = s_scene_ask(
        &sc, "wanzhou",
        (char *[]){"--template", "--district", "500102", "--period", "2024-03", NULL}, &out, &err);
    cr_assert_eq(status, 1);
    cr_assert_str_eq(err, "pingan-produce: --template: this key may not read district 500102 "
                          "(query_unauthorized)\n");
    free(out);
    free(err);
    status = s_scene_ask(&sc, "wanzhou", (char *[]){"--list-indicators", NULL}, &out, &err);
    cr_assert_eq(status, 0, "exit %d: %s", status, err);
    cr_assert(strstr(out, "\n14 indicators; "), "%s", out);
    free(out);
    free(err);
    char *log = pa_testenv_slurp(sc.werr);
    cr_assert(strstr(log, "reason=query_unauthorized query refused: this key may not read "
                          "district 500102"),
              "%s", log);
    free(log);
    s_scene_end(&sc);
}

Test(security, a_district_key_writing_another_district_is_refused_and_quarantined)
{
    s_scene_t sc;
    s_scene(&sc, "ab", NULL, true);
    int status = s_scene_produce(&sc, "wanzhou", "worker");
    char *text = pa_testenv_slurp(sc.out), *log = pa_testenv_slurp(sc.err);
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
    s_scene_end(&sc);
    char *wlog = pa_testenv_slurp(sc.werr);
    cr_assert(strstr(wlog, "name=wanzhou address=127.0.0.1 connection admitted"), "%s", wlog);
    cr_assert(strstr(wlog, "unauthorized=1"), "%s", wlog);
    free(wlog);
    free(text);
    free(log);
}

/* What a producer says when the worker ends its handshakes; for a key the
 * ZAP handler refused, libzmq sometimes delivers the 400 first. */
static const char s_ended[] = "the worker ended every CURVE handshake";
static const char s_refused_key[] = "the worker refused this producer's key (ZAP status 400)";

static bool s_says_refused(const char *log)
{
    return strstr(log, s_ended) || strstr(log, s_refused_key);
}

/* A refused producer: no receipt at all, exit 2, saying want (NULL: that
 * its key was refused); nothing stored. */
static void s_assert_refused(int status, const char *out, const char *err, const char *want)
{
    char *text = pa_testenv_slurp(out), *log = pa_testenv_slurp(err);
    cr_assert_eq(status, 2, "exit %d: %s %s", status, text, log);
    cr_assert(strstr(log, "receipts=0"), "%s", log);
    cr_assert(want ? strstr(log, want) != NULL : s_says_refused(log), "%s", log);
    cr_assert(!strstr(text, "stored"), "%s", text);
    cr_assert_eq(s_reports(), 0);
    cr_assert_eq(s_values(), 0);
    free(text);
    free(log);
}

Test(security, a_wrong_server_key_gets_no_receipt)
{
    s_scene_t sc;
    s_scene(&sc, "wrong", "impostor", false);
    /* The producer trusts another key than the worker's: the handshake fails. */
    s_assert_refused(s_scene_produce(&sc, "wanzhou", "impostor"), sc.out, sc.err, s_ended);
    /* A key file that is not there stops the producer before it sends. */
    int status = s_scene_produce(&sc, "nobody", "worker");
    char *log = pa_testenv_slurp(sc.err);
    cr_assert_eq(status, 2, "%s", log);
    cr_assert(strstr(log, "could not read key file ") && strstr(log, "nobody.secret"), "%s", log);
    free(log);
    s_scene_end(&sc);
}

Test(security, an_unknown_key_or_no_key_cannot_connect)
{
    s_scene_t sc;
    s_scene(&sc, "unknown", "stranger", false);
    s_assert_refused(s_scene_produce(&sc, "stranger", "worker"), sc.out, sc.err, NULL);
    /* The refusal is logged with the key (its fingerprint) and counted. */
    char stranger[600];
    char *pub = pa_testenv_slurp(s_path(&sc.k, "stranger", "public", stranger, sizeof stranger));
    char needle[128];
    snprintf(needle, sizeof needle, "key=%.40s address=127.0.0.1", strchr(pub, '\n') + 1);
    cr_assert(pa_testenv_wait_for_text(sc.werr, needle, 5000), "%s", needle);
    cr_assert(
        pa_testenv_wait_for_text(sc.werr, "connection refused: key not on the allow-list", 1));
    /* Plain text (no CURVE at all) does not get through either. */
    s_assert_refused(s_scene_produce(&sc, NULL, "worker"), sc.out, sc.err,
                     "--key and --server-key");
    s_scene_end(&sc);
    char *wlog = pa_testenv_slurp(sc.werr);
    cr_assert(!strstr(wlog, "keys_refused=0 "), "%s", wlog);
    free(wlog);
    free(pub);
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

/* Sends SIGHUP and waits for the worker to log outcome (each test's
 * outcomes differ, so the first one seen is this reload's). */
static void s_reload(pid_t w, const char *werr, const char *outcome)
{
    kill(w, SIGHUP);
    cr_assert(pa_testenv_wait_for_text(werr, outcome, 5000), "no '%s' after SIGHUP", outcome);
}

Test(security, a_revoked_key_is_refused_after_sighup_even_on_an_open_connection)
{
    s_scene_t sc;
    s_scene(&sc, "revoke", NULL, true);
    void *ctx = zmq_ctx_new();
    void *open_conn = s_dealer(ctx, &sc.k, "wanzhou", sc.ep);
    pa_receipt_t *rec = s_exchange(open_conn, "before-revocation", "500101", "2024-03");
    cr_assert_eq(rec->entries[0].status, PA_STATUS_STORED);
    pa_receipt_destroy(&rec);

    /* Wanzhou's key is revoked: the list no longer holds it. */
    s_allow(&sc.k, sc.fuling, NULL);
    s_reload(sc.w, sc.werr, "keys=1 allow-list reloaded");
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
    int status = s_scene_produce(&sc, "wanzhou", "worker");
    char *log = pa_testenv_slurp(sc.err);
    cr_assert_eq(status, 2, "%s", log);
    cr_assert(strstr(log, "receipts=0"), "%s", log);
    cr_assert(s_says_refused(log), "%s", log);
    free(log);
    cr_assert_eq(s_reports(), 1);

    /* A list that does not parse is refused; the one in force stays. */
    s_write(sc.k.allow, "not an allow-list\n");
    s_reload(sc.w, sc.werr, "could not reload: keeping the old list");
    status = s_scene_produce(&sc, "fuling", "worker");
    char *text = pa_testenv_slurp(sc.out);
    cr_assert_eq(status, 1, "%s", text);
    cr_assert(strstr(text, "stored 500102 2024-03"), "%s", text);
    cr_assert(strstr(text, "rejected 500101 2024-03"), "%s", text);
    free(text);
    s_scene_end(&sc);
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

/* ------------------------------------------------------------ roles */

/* A login user in one of the group roles of sql/015_roles.sql. Roles are
 * the cluster's: the name carries the test's pid, and it is dropped after. */
static char *s_login(const char *group, char *name, size_t size)
{
    snprintf(name, size, "pa_test_%s_%d", group, (int)getpid());
    char sql[256];
    snprintf(sql, sizeof sql,
             "SET client_min_messages = warning; DROP ROLE IF EXISTS %s; "
             "CREATE ROLE %s LOGIN IN ROLE pingan_%s",
             name, name, group);
    PGresult *res = PQexec(s_db.conn, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s", PQerrorMessage(s_db.conn));
    PQclear(res);
    return name;
}

static void s_drop_login(const char *name)
{
    char sql[128];
    snprintf(sql, sizeof sql, "DROP ROLE %s", name);
    PGresult *res = PQexec(s_db.conn, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s", PQerrorMessage(s_db.conn));
    PQclear(res);
}

static PGconn *s_connect_as(const char *user)
{
    char conninfo[256];
    snprintf(conninfo, sizeof conninfo, "dbname=%s user=%s", s_db.dbname, user);
    PGconn *c = PQconnectdb(conninfo);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    return c;
}

/* The SQLSTATE a statement failed with, or "" when it succeeded. */
static const char *s_sqlstate(PGconn *c, const char *sql, char out[6])
{
    PGresult *res = PQexec(c, sql);
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    snprintf(out, 6, "%s",
             PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK
                 ? ""
                 : (state ? state : "?"));
    PQclear(res);
    return out;
}

/* Each statement ends with SQLSTATE want ("" = succeeds). */
static void s_assert_states(PGconn *c, const char *const *sqls, size_t n, const char *want)
{
    char state[6];
    for (size_t i = 0; i < n; i++)
        cr_assert_str_eq(s_sqlstate(c, sqls[i], state), want, "%s: %s", sqls[i], PQerrorMessage(c));
}

Test(security, an_analyst_reads_the_views_and_cannot_write_or_read_raw_rows)
{
    char user[64];
    PGconn *c = s_connect_as(s_login("analyst", user, sizeof user));
    static const char *const readable[] = {
        "SELECT count(*) FROM pingan.v_value",
        "SELECT count(*) FROM pingan.v_quarantine",
        "SELECT count(*) FROM pingan.v_figure",
        "SELECT count(*) FROM pingan.v_figure_fine",
        "SELECT count(*) FROM pingan.v_district_scorecard",
        "SELECT count(*) FROM pingan.v_completeness",
        "SELECT count(*) FROM pingan.district",
    };
    s_assert_states(c, readable, sizeof readable / sizeof readable[0], "");
    /* 42501: insufficient_privilege, for every write and every raw table. */
    static const char *const refused[] = {
        "INSERT INTO pingan.quarantine (reasons) VALUES ('[]')",
        "INSERT INTO pingan.report (report_id) VALUES ('x')",
        "UPDATE pingan.settings SET judged_as_of = NULL",
        "DELETE FROM pingan.district",
        "SELECT count(*) FROM pingan.report",
        "SELECT count(*) FROM pingan.value",
        "SELECT count(*) FROM pingan.quarantine",
        "SELECT count(*) FROM pingan.quarantine_report",
        "CREATE TABLE pingan.mine (a int)",
    };
    s_assert_states(c, refused, sizeof refused / sizeof refused[0], "42501");
    PQfinish(c);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.quarantine"), 0);
    cr_assert_eq(s_reports(), 0);
    s_drop_login(user);
}

Test(security, the_worker_role_stores_and_aggregates_but_cannot_change_the_schema)
{
    char user[64], state[6], ep[64], werr[512], out[512], err[512], csv[512];
    s_login("worker", user, sizeof user);
    /* The real worker, as that user: every step it takes is granted. */
    const char *was = getenv("PGUSER");
    char saved[128];
    snprintf(saved, sizeof saved, "%s", was ? was : "");
    setenv("PGUSER", user, 1);
    pa_testenv_endpoint(ep, sizeof ep);
    pid_t w =
        pa_testenv_start_worker(&s_db, ep, pa_testenv_tmp("role-w.err", werr, sizeof werr), NULL);
    if (*saved)
        setenv("PGUSER", saved, 1);
    else
        unsetenv("PGUSER");
    char bin[512];
    char *argv[] = {pa_testenv_bin("pingan-produce", bin, sizeof bin), "--connect", ep,
                    s_two_districts(csv, sizeof csv), NULL};
    int status =
        pa_testenv_wait(pa_testenv_spawn(argv, NULL, pa_testenv_tmp("role.out", out, sizeof out),
                                         pa_testenv_tmp("role.err", err, sizeof err)),
                        30000);
    char *text = pa_testenv_slurp(out);
    cr_assert_eq(status, 0, "%s", text);
    free(text);
    pa_testdb_wait_aggregated(&s_db, 20000);
    pa_testenv_stop_worker(w);
    char *log = pa_testenv_slurp(werr);
    cr_assert(!strstr(log, "permission denied"), "%s", log);
    free(log);
    cr_assert_eq(s_reports(), 2);
    cr_assert_gt(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.figure"), 0);

    PGconn *c = s_connect_as(user);
    cr_assert_str_eq(s_sqlstate(c, "SELECT count(*) FROM pingan.value", state), "");
    static const char *const ddl[] = {
        "CREATE TABLE pingan.mine (a int)",
        "CREATE TABLE public.mine (a int)",
        "CREATE FUNCTION pingan.mine() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "CREATE SCHEMA mine",
        "ALTER TABLE pingan.report ADD COLUMN mine int",
        "DROP TABLE pingan.value",
        "TRUNCATE pingan.report CASCADE",
        "DELETE FROM pingan.report",
        "UPDATE pingan.value SET count = 0",
        "GRANT pingan_owner TO CURRENT_USER",
    };
    s_assert_states(c, ddl, sizeof ddl / sizeof ddl[0], "42501");
    PQfinish(c);
    cr_assert_eq(s_reports(), 2);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pg_class WHERE relname = 'mine'"), 0);
    s_drop_login(user);
}

/* pingan-produce --withdraw with key NAME for district; its exit status. */
static int s_withdraw(s_scene_t *sc, const char *name, const char *district)
{
    char bin[512], key[600], server_key[600];
    char *argv[] = {pa_testenv_bin("pingan-produce", bin, sizeof bin),
                    "--connect",
                    sc->ep,
                    "--deadline",
                    "10",
                    "--key",
                    s_path(&sc->k, name, "secret", key, sizeof key),
                    "--server-key",
                    s_path(&sc->k, "worker", "public", server_key, sizeof server_key),
                    "--withdraw",
                    "--district",
                    (char *)district,
                    "--period",
                    "2024-03",
                    "--revision",
                    "2",
                    NULL};
    return pa_testenv_wait(pa_testenv_spawn(argv, NULL, sc->out, sc->err), 30000);
}

Test(security, a_withdrawal_needs_a_key_that_may_write_the_district_and_records_it)
{
    s_scene_t sc;
    s_scene(&sc, "wd", NULL, true);
    cr_assert_eq(s_scene_produce(&sc, "wanzhou", "fuling"), 2, "a wrong server key: no receipt");
    int status = s_produce(&sc.k, sc.ep, "fuling", "worker", sc.csv, sc.out, sc.err);
    cr_assert_eq(status, 1, "fuling stores its own district only");
    status = s_scene_produce(&sc, "wanzhou", "worker");
    cr_assert_eq(status, 1);
    cr_assert_eq(s_reports(), 2);
    /* wanzhou may not withdraw fuling's report. */
    status = s_withdraw(&sc, "wanzhou", "500102");
    char *text = pa_testenv_slurp(sc.out);
    cr_assert_eq(status, 1, "%s", text);
    cr_assert(strstr(text, "rejected 500102 2024-03 "), "%s", text);
    cr_assert(strstr(text, "(unauthorized_district)"), "%s", text);
    free(text);
    cr_assert_eq(s_reports(), 2);
    /* Its own: withdrawn, with its key on record. */
    status = s_withdraw(&sc, "wanzhou", "500101");
    text = pa_testenv_slurp(sc.out);
    cr_assert_eq(status, 0, "%s", text);
    cr_assert(strstr(text, "withdrawn 500101 2024-03 r2 "), "%s", text);
    free(text);
    char path[600];
    char *pub = pa_testenv_slurp(s_path(&sc.k, "wanzhou", "public", path, sizeof path));
    char *end = pub + strlen(pub);
    while (end > pub && (end[-1] == '\n' || end[-1] == ' '))
        *--end = '\0';
    char *z85 = pub; /* the file's last word is the key */
    for (char *c = pub; *c; c++)
        if (*c == ' ' || *c == '\n')
            z85 = c + 1;
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM pingan.withdrawal WHERE district_code = '500101' AND "
             "sender_key = '%s'",
             z85);
    cr_assert_eq(pa_testdb_long(&s_db, sql), 1, "key %s", z85);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report WHERE district_code "
                                       "= '500101'"),
                 0);
    free(pub);
    s_scene_end(&sc);
}
