/* test_operations.c - the operator's view (docs/operations.md): a real
 * pingan-worker serving /metrics, real producers and hand-made frames sent
 * to it, and a plain socket scraping the endpoint. The counters must say
 * what happened (as the database and the producers saw it), `promtool
 * check metrics` must accept the text, SIGUSR1 and --stats-interval-s must
 * log the same counters, and pingan-produce --progress must tell how far
 * it is. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

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

TestSuite(operations, .init = s_setup, .fini = s_teardown, .timeout = 300);

static long s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Starts a worker serving /metrics on a port it picks (set through the
 * environment, as a deployment would) and returns that port. */
static pid_t s_start_worker(const char *ep, const char *err_path, int *port)
{
    setenv("PINGAN_METRICS", "127.0.0.1:0", 1);
    setenv("PINGAN_STATS_INTERVAL_S", "1", 1);
    pid_t pid = pa_testenv_start_worker(&s_db, ep, err_path, NULL);
    unsetenv("PINGAN_METRICS");
    unsetenv("PINGAN_STATS_INTERVAL_S");
    char *log = pa_testenv_slurp(err_path);
    /* The start-up line echoes the setting (port 0); the ready line has the port. */
    const char *at = strstr(log, " endpoint=");
    at = at ? strstr(at, " metrics=127.0.0.1:") : NULL;
    *port = 0;
    if (at)
        sscanf(at, " metrics=127.0.0.1:%d", port);
    bool found = *port > 0;
    if (!found)
        kill(pid, SIGKILL);
    cr_assert(found, "the ready line names no metrics port:\n%s", log);
    free(log);
    return pid;
}

/* One HTTP/1.0 request over a plain socket; returns the status code and
 * the body in *body (caller frees), the headers in *head when not NULL. */
static int s_http(int port, const char *method, const char *path, char **body, char **head)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0, "socket: %s", strerror(errno));
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0, "connect to :%d: %s", port,
              strerror(errno));
    char req[256];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", method, path);
    cr_assert(write(fd, req, (size_t)n) == n);
    size_t len = 0, cap = 65536;
    char *buf = malloc(cap);
    cr_assert(buf);
    ssize_t got;
    while ((got = read(fd, buf + len, cap - len - 1)) > 0) {
        len += (size_t)got;
        if (cap - len < 4096) {
            cap *= 2;
            buf = realloc(buf, cap);
            cr_assert(buf);
        }
    }
    cr_assert(got == 0, "reading the response: %s", strerror(errno));
    close(fd);
    buf[len] = '\0';
    int status = 0;
    cr_assert(sscanf(buf, "HTTP/1.%*d %d", &status) == 1, "not an HTTP response: %s", buf);
    char *sep = strstr(buf, "\r\n\r\n");
    cr_assert(sep, "no end of headers: %s", buf);
    *sep = '\0';
    *body = strdup(sep + 4);
    if (head)
        *head = strdup(buf);
    free(buf);
    return status;
}

static char *s_scrape(int port)
{
    char *body = NULL, *head = NULL;
    int status = s_http(port, "GET", "/metrics", &body, &head);
    cr_assert_eq(status, 200, "GET /metrics: %d\n%s", status, body);
    cr_assert(strstr(head, "Content-Type: text/plain; version=0.0.4"), "%s", head);
    free(head);
    return body;
}

/* The value of one sample, written exactly as it appears before the value
 * ("name" or "name{label=\"v\"}"); fails when the sample is missing. */
static double s_value(const char *text, const char *sample)
{
    size_t len = strlen(sample);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, sample, len) == 0 && p[len] == ' ')
            return strtod(p + len + 1, NULL);
    cr_assert_fail("no sample %s in:\n%s", sample, text);
    return -1;
}

/* Pipes text to `promtool check metrics`; returns its exit status and its
 * complaints in *out (caller frees). */
static int s_promtool(const char *text, char **out)
{
    char path[512], cmd[700];
    pa_testenv_tmp("promtool.out", path, sizeof path);
    snprintf(cmd, sizeof cmd, "promtool check metrics >'%s' 2>&1", path);
    FILE *p = popen(cmd, "w");
    cr_assert(p, "could not run promtool: %s", strerror(errno));
    fputs(text, p);
    int status = pclose(p);
    *out = pa_testenv_slurp(path);
    cr_assert(WIFEXITED(status), "promtool did not exit normally");
    cr_assert_neq(WEXITSTATUS(status), 127, "promtool is not installed (Debian's prometheus)");
    return WEXITSTATUS(status);
}

static void s_assert_promtool_accepts(const char *text)
{
    char *complaints = NULL;
    int rc = s_promtool(text, &complaints);
    cr_assert_eq(rc, 0, "promtool check metrics exit %d:\n%s\n---\n%s", rc, complaints, text);
    free(complaints);
}

static int s_produce(const char *ep, const char *file, const char *out, const char *err)
{
    char bin[512];
    char *argv[] = {pa_testenv_bin("pingan-produce", bin, sizeof bin), "--connect", (char *)ep,
                    (char *)file, NULL};
    return pa_testenv_wait(pa_testenv_spawn(argv, NULL, out, err), 120000);
}

/* Sends frames the worker must refuse whole (one undecodable submission,
 * one message without the delimiter and tag) and waits for both answers. */
static void s_send_refused_frames(const char *ep)
{
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    cr_assert_eq(zmq_connect(s, ep), 0);
    cr_assert(zmq_send(s, "", 0, ZMQ_SNDMORE) == 0);
    cr_assert(zmq_send(s, "t1", 2, ZMQ_SNDMORE) == 2);
    cr_assert(zmq_send(s, "\xff\xff\xff garbage", 12, 0) == 12);
    cr_assert(zmq_send(s, "lonely", 6, 0) == 6);
    int answers = 0;
    long deadline = s_now_ms() + 20000;
    while (answers < 2 && s_now_ms() < deadline) {
        zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 200) <= 0)
            continue;
        int more = 1;
        while (more) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            cr_assert(zmq_msg_recv(&m, s, 0) >= 0);
            more = zmq_msg_more(&m);
            zmq_msg_close(&m);
        }
        answers++;
    }
    cr_assert_eq(answers, 2, "the worker answered %d of the 2 refused frames", answers);
    zmq_close(s);
    zmq_ctx_term(ctx);
}

/* Scrapes until sample reaches want (the aggregation thread runs on its
 * own time); returns the last text (caller frees). */
static char *s_scrape_until(int port, const char *sample, double want, int timeout_ms)
{
    long deadline = s_now_ms() + timeout_ms;
    char *text = s_scrape(port);
    while (s_value(text, sample) != want && s_now_ms() < deadline) {
        free(text);
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
        text = s_scrape(port);
    }
    cr_assert_eq(s_value(text, sample), want, "%s stayed at %g, not %g:\n%s", sample,
                 s_value(text, sample), want, text);
    return text;
}

/* Lines of text starting with prefix. */
static int s_count_prefix(const char *text, const char *prefix)
{
    int n = 0;
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        n += strncmp(p, prefix, strlen(prefix)) == 0;
    return n;
}

/* One worker serving /metrics on a port it picked, the files a test's
 * processes write to, and the example month. */
typedef struct {
    char ep[64];              /* the worker's endpoint */
    char werr[512];           /* its log */
    char out[512], err[512];  /* a producer's stdout and stderr */
    char csv[512], json[512]; /* examples/2024-03.* */
    int port;                 /* of /metrics */
    pid_t worker;
} s_scene_t;

static void s_scene_start(s_scene_t *sc, const char *name)
{
    char file[96];
    pa_testenv_endpoint(sc->ep, sizeof sc->ep);
    snprintf(file, sizeof file, "%s-worker.err", name);
    pa_testenv_tmp(file, sc->werr, sizeof sc->werr);
    snprintf(file, sizeof file, "%s-producer.out", name);
    pa_testenv_tmp(file, sc->out, sizeof sc->out);
    snprintf(file, sizeof file, "%s-producer.err", name);
    pa_testenv_tmp(file, sc->err, sizeof sc->err);
    pa_testenv_src("examples/2024-03.csv", sc->csv, sizeof sc->csv);
    pa_testenv_src("examples/2024-03.json", sc->json, sizeof sc->json);
    sc->worker = s_start_worker(sc->ep, sc->werr, &sc->port);
}

Test(operations, counters_say_what_happened_and_promtool_accepts_them)
{
    char bad[512];
    s_scene_t sc;
    s_scene_start(&sc, "counters");

    /* Before anything happened: every counter at 0, the reasons listed. */
    char *text = s_scrape(sc.port);
    cr_assert_eq(s_value(text, "pingan_reports_stored_total"), 0);
    cr_assert_eq(s_value(text, "pingan_reports_rejected_total{reason=\"stale_revision\"}"), 0);
    cr_assert_eq(s_value(text, "pingan_frames_refused_total{reason=\"undecodable\"}"), 0);
    char build[96];
    snprintf(build, sizeof build, "pingan_build_info{version=\"%s\"}", PINGAN_VERSION);
    cr_assert_eq(s_value(text, build), 1);
    s_assert_promtool_accepts(text);
    free(text);

    /* The example month, then three reports with one problem each. */
    cr_assert_eq(s_produce(sc.ep, sc.csv, sc.out, sc.err), 0);
    cr_assert_eq(s_produce(sc.ep, sc.json, sc.out, sc.err), 0);
    long examples = pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report");
    cr_assert_gt(examples, 5);
    FILE *f = fopen(pa_testenv_tmp("mbad.csv", bad, sizeof bad), "w");
    cr_assert(f);
    fputs("district,period,town,indicator,count,numerator,denominator\n"
          "500103,2024-02,500101003,ws_deaths,2,,\n"
          "500106,2024-02,500101001,ws_deaths,1,,\n"
          "500104,2024-02,,event_closure,,12,10\n"
          "500105,2024-02,,event_closure,,9,10\n",
          f);
    cr_assert_eq(fclose(f), 0);
    cr_assert_eq(s_produce(sc.ep, bad, sc.out, sc.err), 1, "rejections exit 1");
    long stored = pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report");
    cr_assert_eq(stored, examples + 1);
    /* The examples again: every report a duplicate. */
    cr_assert_eq(s_produce(sc.ep, sc.csv, sc.out, sc.err), 0);
    cr_assert_eq(s_produce(sc.ep, sc.json, sc.out, sc.err), 0);
    s_send_refused_frames(sc.ep);
    pa_testdb_wait_aggregated(&s_db, 60000);

    text = s_scrape_until(sc.port, "pingan_aggregation_queued_keys", 0, 20000);
    cr_assert_eq(s_value(text, "pingan_reports_stored_total"), stored);
    cr_assert_eq(s_value(text, "pingan_reports_duplicate_total"), examples);
    cr_assert_eq(s_value(text, "pingan_reports_rejected_total{reason=\"town_not_in_district\"}"),
                 2);
    cr_assert_eq(
        s_value(text, "pingan_reports_rejected_total{reason=\"numerator_above_denominator\"}"), 1);
    cr_assert_eq(s_value(text, "pingan_reports_rejected_total{reason=\"stale_revision\"}"), 0);
    cr_assert_eq(s_value(text, "pingan_reports_received_total"), stored + examples + 3,
                 "every received report was stored, a duplicate or rejected");
    cr_assert_eq(s_value(text, "pingan_frames_refused_total{reason=\"undecodable\"}"), 1);
    cr_assert_eq(s_value(text, "pingan_frames_refused_total{reason=\"bad_framing\"}"), 1);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.quarantine_report"), 3,
                 "the database quarantined the reports the counters say were refused");
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.quarantine"), 1 + 2,
                 "one row for the submission holding them, one per refused frame");
    cr_assert_gt(s_value(text, "pingan_received_bytes_total"), 0);
    double batches = s_value(text, "pingan_batches_total{outcome=\"committed\"}");
    cr_assert_geq(batches, 5, "at least one batch per producer run and one for the frames");
    cr_assert_eq(s_value(text, "pingan_batches_total{outcome=\"given_up\"}"), 0);
    cr_assert_eq(s_value(text, "pingan_batch_commit_duration_seconds_count"), batches);
    cr_assert_eq(s_value(text, "pingan_batch_commit_duration_seconds_bucket{le=\"+Inf\"}"),
                 batches);
    cr_assert_gt(s_value(text, "pingan_batch_commit_duration_seconds_sum"), 0);
    cr_assert_eq(s_value(text, "pingan_postgres_reconnects_total{connection=\"store\"}"), 0);
    cr_assert_eq(s_value(text, "pingan_submissions_retry_later_total"), 0);
    cr_assert_eq(s_value(text, "pingan_pending_reports"), 0);
    cr_assert_geq(s_value(text, "pingan_aggregated_keys_total"),
                  pa_testdb_long(&s_db, "SELECT count(DISTINCT (district_code, period_type, "
                                        "period_start)) FROM pingan.report"),
                  "every stored district period was aggregated");
    cr_assert_eq(s_value(text, "pingan_aggregation_oldest_age_seconds"), 0);
    cr_assert_gt(s_value(text, "pingan_aggregation_last_pass_timestamp_seconds"),
                 (double)time(NULL) - 60);
    s_assert_promtool_accepts(text);

    /* Only /metrics, only reads. */
    char *body = NULL;
    cr_assert_eq(s_http(sc.port, "GET", "/", &body, NULL), 404);
    free(body);
    cr_assert_eq(s_http(sc.port, "POST", "/metrics", &body, NULL), 405);
    free(body);

    /* SIGUSR1 logs the same counters, reasons included; the periodic line
     * (every second here) the main ones. */
    char want[160];
    snprintf(want, sizeof want, " stored=%ld ", stored);
    cr_assert(pa_testenv_wait_for_text(sc.werr, " running", 5000), "no periodic counters line");
    kill(sc.worker, SIGUSR1);
    cr_assert(pa_testenv_wait_for_text(sc.werr, "counters on request", 5000),
              "SIGUSR1 logged nothing");
    char *log = pa_testenv_slurp(sc.werr);
    const char *line = strstr(log, "counters on request");
    while (line > log && line[-1] != '\n')
        line--;
    char *end = strchr(line, '\n');
    if (end)
        *end = '\0';
    cr_assert(strstr(line, want), "%s in: %s", want, line);
    cr_assert(strstr(line, " rejected.town_not_in_district=2 "), "%s", line);
    cr_assert(strstr(line, " frames_rejected.undecodable=1 "), "%s", line);
    snprintf(want, sizeof want, " duplicate=%ld ", examples);
    cr_assert(strstr(line, want), "%s in: %s", want, line);
    free(log);
    free(text);
    pa_testenv_stop_worker(sc.worker);
}

Test(operations, reconnects_to_postgresql_are_counted)
{
    s_scene_t sc;
    s_scene_start(&sc, "reconnects");
    /* Both of the worker's sessions end, as when PostgreSQL restarts. */
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
             "WHERE datname = '%s' AND application_name = 'pingan'",
             s_db.dbname);
    cr_assert_eq(pa_testdb_long(&s_db, sql), 2, "the store's and the aggregation's sessions");
    cr_assert_eq(s_produce(sc.ep, sc.csv, sc.out, sc.err), 0);
    char *text = s_scrape_until(
        sc.port, "pingan_postgres_reconnects_total{connection=\"aggregation\"}", 1, 20000);
    cr_assert_eq(s_value(text, "pingan_postgres_reconnects_total{connection=\"store\"}"), 1);
    cr_assert_eq(s_value(text, "pingan_reports_stored_total"),
                 pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report"));
    s_assert_promtool_accepts(text);
    free(text);
    pa_testenv_stop_worker(sc.worker);
}

Test(operations, a_bad_or_taken_address_stops_the_worker)
{
    char ep2[64], werr2[512], bin[512];
    s_scene_t sc;
    s_scene_start(&sc, "taken");
    pa_testenv_bin("pingan-worker", bin, sizeof bin);
    pa_testenv_endpoint(ep2, sizeof ep2);
    char taken[64];
    snprintf(taken, sizeof taken, "127.0.0.1:%d", sc.port);
    char *argv[] = {bin, "--bind", ep2, "--metrics", taken, NULL};
    pid_t p =
        pa_testenv_spawn(argv, s_db.dbname, NULL, pa_testenv_tmp("mw3b.err", werr2, sizeof werr2));
    cr_assert_eq(pa_testenv_wait(p, 20000), 1, "a port in use is an error at start");
    char *log = pa_testenv_slurp(werr2);
    cr_assert(strstr(log, "could not serve metrics on 127.0.0.1:"), "%s", log);
    free(log);
    char *bad[] = {bin, "--bind", ep2, "--metrics", "9555", NULL};
    p = pa_testenv_spawn(bad, s_db.dbname, NULL, werr2);
    cr_assert_eq(pa_testenv_wait(p, 20000), 2, "an address without a port is a usage error");
    log = pa_testenv_slurp(werr2);
    cr_assert(strstr(log, "--metrics: '9555' is not HOST:PORT"), "%s", log);
    free(log);
    pa_testenv_stop_worker(sc.worker);
}

/* Runs `promtool VERB FILE` (FILE under the source tree); fails the test
 * with promtool's words unless it exits 0. */
static void s_promtool_file(const char *verb, const char *rel)
{
    char path[512], out[512], cmd[1200];
    pa_testenv_src(rel, path, sizeof path);
    pa_testenv_tmp("promtool-file.out", out, sizeof out);
    snprintf(cmd, sizeof cmd, "promtool %s '%s' >'%s' 2>&1", verb, path, out);
    int status = system(cmd);
    char *text = pa_testenv_slurp(out);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "promtool %s %s: %s", verb, rel, text);
    free(text);
}

/* The rules docs/operations.md recommends are rules Prometheus would load,
 * they fire (and stay silent) as their unit tests say, and they name only
 * metrics this worker serves. */
Test(operations, the_documented_alerting_rules_load_fire_and_name_served_metrics)
{
    char rules[512];
    pa_testenv_src("docs/alerts.yml", rules, sizeof rules);
    s_promtool_file("check rules", "docs/alerts.yml");
    s_promtool_file("test rules", "docs/alerts_test.yml");
    s_scene_t sc;
    s_scene_start(&sc, "rules");
    char *metrics = s_scrape(sc.port);
    char *yml = pa_testenv_slurp(rules);
    int named = 0;
    for (const char *p = strstr(yml, "pingan_"); p; p = strstr(p + 1, "pingan_")) {
        char name[96];
        size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
        snprintf(name, sizeof name, "# TYPE %.*s ", (int)n, p);
        /* Histogram series are served under the family's name. */
        char *suffix = strstr(name, "_bucket ");
        if (suffix)
            strcpy(suffix, " ");
        cr_assert(strstr(metrics, name), "alerts.yml names %.*s, which the worker does not serve",
                  (int)n, p);
        named++;
    }
    cr_assert_gt(named, 8);
    free(yml);
    free(metrics);
    pa_testenv_stop_worker(sc.worker);
}

Test(operations, producer_progress_is_off_by_default_then_once_a_second_and_at_the_end)
{
    char bin[512];
    s_scene_t sc;
    s_scene_start(&sc, "progress");
    cr_assert_eq(s_produce(sc.ep, sc.csv, sc.out, sc.err), 0);
    char *text = pa_testenv_slurp(sc.err);
    cr_assert_eq(s_count_prefix(text, "pingan-produce: progress"), 0, "%s", text);
    free(text);

    /* A year of one town per district, one report per submission and one
     * in flight: a run of a few seconds. */
    char year[512];
    FILE *f = fopen(pa_testenv_tmp("myear.csv", year, sizeof year), "w");
    cr_assert(f);
    fputs("district,period,town,indicator,count,numerator,denominator\n", f);
    PGresult *res = PQexec(s_db.conn, "SELECT district_code, min(code) FROM pingan.town "
                                      "GROUP BY 1 ORDER BY 1");
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK);
    for (int m = 1; m <= 12; m++)
        for (int i = 0; i < PQntuples(res); i++)
            fprintf(f, "%s,2023-%02d,%s,fire_incidents,%d,,\n", PQgetvalue(res, i, 0), m,
                    PQgetvalue(res, i, 1), m % 3);
    PQclear(res);
    cr_assert_eq(fclose(f), 0);
    char *argv[] = {pa_testenv_bin("pingan-produce", bin, sizeof bin),
                    "--connect",
                    sc.ep,
                    "--quiet",
                    "--progress",
                    "--batch-reports",
                    "1",
                    "--window",
                    "1",
                    year,
                    NULL};
    cr_assert_eq(pa_testenv_wait(pa_testenv_spawn(argv, NULL, sc.out, sc.err), 120000), 0);
    long reports = pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report WHERE "
                                         "period_start < '2024-01-01'");
    cr_assert_gt(reports, 300);
    text = pa_testenv_slurp(sc.err);
    char want[128];
    snprintf(want, sizeof want,
             "pingan-produce: progress sent=%ld/%ld acknowledged=%ld rate=", reports, reports,
             reports);
    const char *last = strstr(text, want);
    cr_assert(last, "no final progress line %s in:\n%s", want, text);
    double elapsed = 0;
    const char *e = strstr(last, " elapsed=");
    cr_assert(e && sscanf(e, " elapsed=%lfs", &elapsed) == 1, "%s", last);
    cr_assert(strstr(last, " eta=0s ") && strstr(last, "s done\n"), "%s", last);
    int lines = s_count_prefix(text, "pingan-produce: progress");
    cr_assert(lines >= 2 && lines <= (int)elapsed + 2,
              "%d progress lines in %.1f s: one a second and the last", lines, elapsed);
    /* Before the end, a line says what is left and when it will be done. */
    char *first = strstr(text, "pingan-produce: progress sent=");
    cr_assert(first != last, "%s", text);
    *strchr(first, '\n') = '\0';
    cr_assert(strstr(first, " eta=") && !strstr(first, " eta=0s ") && !strstr(first, " done"), "%s",
              first);
    free(text);
    pa_testenv_stop_worker(sc.worker);
}
