/* test_faults.c - faults under a running pipeline, on loopback with real
 * processes: database sessions terminated again and again, PostgreSQL
 * stopped with -m immediate and started again, a worker SIGKILLed and
 * restarted, SIGTERMed mid-stream (every receipt must arrive), paused with
 * SIGSTOP past the producers' timeout, a producer SIGKILLed and rerun, two
 * producers sending the same file, and a producer with no worker at all.
 * Each sends a known set and counts afterwards, in PostgreSQL and in the
 * producers' summaries: nothing lost, nothing doubled, every acknowledged
 * report stored, and the producers' exit status true. Each is bounded in
 * time. The suite runs alone (RUN_SERIAL): it stops the shared cluster. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>

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

TestSuite(faults, .init = s_setup, .fini = s_teardown, .timeout = 600);

/* Monthly 2024 reports for the towns of the first six districts; returns
 * the sum of all counts written, to compare with what is stored. */
static long s_generate(const char *path)
{
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs("district,period,town,indicator,count,numerator,denominator\n", f);
    PGresult *res = PQexec(s_db.conn, "SELECT district_code, code FROM pingan.town WHERE "
                                      "district_code <= '500106' ORDER BY 1, 2");
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK);
    long total = 0;
    for (int m = 1; m <= 12; m++) {
        for (int i = 0; i < PQntuples(res); i++) {
            int c = (m * 7 + i * 3) % 5;
            fprintf(f, "%s,2024-%02d,%s,fire_incidents,%d,,\n", PQgetvalue(res, i, 0), m,
                    PQgetvalue(res, i, 1), c);
            total += c;
        }
    }
    PQclear(res);
    fclose(f);
    return total;
}

static void s_nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

Test(faults, killed_database_sessions_lose_and_double_nothing)
{
    char csv[512], ep[64], werr[512], out[512], err[512], bin[512];
    long total = s_generate(pa_testenv_tmp("faults.csv", csv, sizeof csv));
    pa_testenv_endpoint(ep, sizeof ep);
    pid_t w = pa_testenv_start_worker(&s_db, ep, pa_testenv_tmp("wf.err", werr, sizeof werr),
                                      "--batch-reports=2");
    char *argv[] = {pa_testenv_bin("pingan-produce", bin, sizeof bin),
                    "--connect",
                    ep,
                    "--quiet",
                    "--batch-reports",
                    "1",
                    "--window",
                    "4",
                    "--timeout-ms",
                    "2000",
                    "--retries",
                    "50",
                    csv,
                    NULL};
    pid_t p = pa_testenv_spawn(argv, NULL, pa_testenv_tmp("pf.out", out, sizeof out),
                               pa_testenv_tmp("pf.err", err, sizeof err));
    /* Terminate the worker's sessions every 30 ms while the producer runs. */
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
             "WHERE datname = '%s' AND application_name = 'pingan'",
             s_db.dbname);
    long kills = 0;
    int status;
    while (waitpid(p, &status, WNOHANG) == 0) {
        kills += pa_testdb_long(&s_db, sql);
        s_nap_ms(30);
    }
    cr_assert(WIFEXITED(status), "producer died of a signal");
    char *etext = pa_testenv_slurp(err);
    char *wlog = pa_testenv_slurp(werr);
    cr_assert_eq(WEXITSTATUS(status), 0, "producer exit %d:\n%s", WEXITSTATUS(status), etext);
    cr_assert_gt(kills, 3, "the test must actually have killed sessions (%ld)", kills);
    cr_assert(strstr(wlog, "reconnected to PostgreSQL") || strstr(wlog, "could not aggregate"),
              "the worker saw the lost connections:\n%s", wlog);
    long reports = 12 * 6;
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report"), reports);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(DISTINCT (district_code, period_start)) "
                                       "FROM pingan.report"),
                 reports);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT sum(value_count) FROM pingan.report"),
                 pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.value"),
                 "every stored report has exactly its values");
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT sum(count) FROM pingan.value"), total);
    free(etext);
    free(wlog);
    pa_testdb_wait_aggregated(&s_db, 60000);
    pa_testenv_stop_worker(w);
}

/* ---------------------------------------------------------------- helpers */

typedef struct {
    long reports, count_sum;
} s_set_t;

/* Monthly 2024 reports for the towns of districts in [lo, hi] (codes). */
static s_set_t s_generate_range(const char *path, const char *lo, const char *hi)
{
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs("district,period,town,indicator,count,numerator,denominator\n", f);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT district_code, code FROM pingan.town WHERE district_code BETWEEN '%s' AND "
             "'%s' ORDER BY 1, 2",
             lo, hi);
    PGresult *res = PQexec(s_db.conn, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK);
    s_set_t set = {0, 0};
    char last[16] = "";
    long districts = 0;
    for (int i = 0; i < PQntuples(res); i++)
        if (strcmp(last, PQgetvalue(res, i, 0)) != 0) {
            snprintf(last, sizeof last, "%s", PQgetvalue(res, i, 0));
            districts++;
        }
    for (int m = 1; m <= 12; m++) {
        for (int i = 0; i < PQntuples(res); i++) {
            int c = (m * 7 + i * 3) % 5;
            fprintf(f, "%s,2024-%02d,%s,fire_incidents,%d,,\n", PQgetvalue(res, i, 0), m,
                    PQgetvalue(res, i, 1), c);
            set.count_sum += c;
        }
    }
    set.reports = 12 * districts;
    PQclear(res);
    cr_assert_eq(fclose(f), 0);
    return set;
}

/* Nothing lost, nothing doubled: exactly the set is stored, once. */
static void s_assert_stored_once(long reports, long count_sum)
{
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report"), reports,
                 "every report stored");
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(DISTINCT (district_code, period_start)) "
                                       "FROM pingan.report"),
                 reports, "none stored twice");
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT sum(value_count) FROM pingan.report"),
                 pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.value"),
                 "every stored report has exactly its values");
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT coalesce(sum(count), 0) FROM pingan.value"),
                 count_sum, "no value lost or doubled");
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.quarantine"), 0,
                 "nothing quarantined");
}

typedef struct {
    long reports, stored, duplicate, rejected, failed, unsent, receipts;
} s_summary_t;

/* The producer's last line on stderr. */
static s_summary_t s_summary(const char *err_path)
{
    char *text = pa_testenv_slurp(err_path);
    s_summary_t st = {-1, -1, -1, -1, -1, -1, -1};
    const char *line = strstr(text, "pingan-produce: reports=");
    cr_assert(line, "no summary line in:\n%s", text);
    long values, settled, unsettled;
    int n = sscanf(line,
                   "pingan-produce: reports=%ld values=%ld stored=%ld duplicate=%ld rejected=%ld "
                   "failed=%ld unsent=%ld settled=%ld unsettled=%ld receipts=%ld",
                   &st.reports, &values, &st.stored, &st.duplicate, &st.rejected, &st.failed,
                   &st.unsent, &settled, &unsettled, &st.receipts);
    cr_assert_eq(n, 10, "unreadable summary: %s", line);
    free(text);
    return st;
}

/* A producer of path to ep: one report per submission so that a run is
 * many transactions, a short timeout so that lost ones come back soon. */
static pid_t s_producer(const char *ep, const char *path, const char *name, int timeout_ms,
                        char *err_path, size_t size)
{
    char bin[512], out[512], timeout[16], file[64];
    snprintf(timeout, sizeof timeout, "%d", timeout_ms);
    snprintf(file, sizeof file, "%s.out", name);
    pa_testenv_tmp(file, out, sizeof out);
    snprintf(file, sizeof file, "%s.err", name);
    pa_testenv_tmp(file, err_path, size);
    char *argv[] = {pa_testenv_bin("pingan-produce", bin, sizeof bin),
                    "--connect",
                    (char *)ep,
                    "--quiet",
                    "--batch-reports",
                    "1",
                    "--window",
                    "8",
                    "--timeout-ms",
                    timeout,
                    "--retries",
                    "60",
                    "--deadline",
                    "120",
                    (char *)path,
                    NULL};
    return pa_testenv_spawn(argv, NULL, out, err_path);
}

static void s_assert_exit0(pid_t p, const char *err_path, int timeout_ms)
{
    int status = pa_testenv_wait(p, timeout_ms);
    char *text = pa_testenv_slurp(err_path);
    cr_assert_eq(status, 0, "producer exit %d:\n%s", status, text);
    free(text);
}

static long s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* How many batches a worker's log says it committed. */
static int s_batches(const char *log_path)
{
    char *text = pa_testenv_slurp(log_path);
    int n = 0;
    for (const char *p = text; (p = strstr(p, "committed and acknowledged")); p++)
        n++;
    free(text);
    return n;
}

/* Waits until the worker has committed at least n batches. */
static void s_wait_batches(const char *log_path, int n, int timeout_ms)
{
    long deadline = s_now_ms() + timeout_ms;
    while (s_batches(log_path) < n && s_now_ms() < deadline)
        s_nap_ms(10);
    cr_assert_geq(s_batches(log_path), n, "the worker committed %d batches, not %d in time",
                  s_batches(log_path), n);
}

/* ---------------------------------------------------------------- tests */

/* A worker on a fresh endpoint and a file of the first twelve districts. */
typedef struct {
    char csv[512], ep[64], werr[512];
    s_set_t set;
    pid_t w;
} s_scene_t;

static void s_scene(s_scene_t *sc, const char *name)
{
    char file[64];
    snprintf(file, sizeof file, "%s.csv", name);
    sc->set = s_generate_range(pa_testenv_tmp(file, sc->csv, sizeof sc->csv), "500101", "500112");
    pa_testenv_endpoint(sc->ep, sizeof sc->ep);
    snprintf(file, sizeof file, "w%s.err", name);
    sc->w = pa_testenv_start_worker(&s_db, sc->ep, pa_testenv_tmp(file, sc->werr, sizeof sc->werr),
                                    "--batch-reports=2");
}

/* The producer whose summary is in err_path got a receipt for every report. */
static void s_assert_all_acked(const char *err_path, long reports)
{
    s_summary_t st = s_summary(err_path);
    cr_assert_eq(st.stored + st.duplicate, reports, "acknowledged: %ld of %ld",
                 st.stored + st.duplicate, reports);
}

Test(faults, worker_sigterm_mid_stream_delivers_every_receipt)
{
    char csv[512], ep[64], werr[3][512], perr[512];
    s_set_t set = s_generate_range(pa_testenv_tmp("term.csv", csv, sizeof csv), "500101", "500118");
    pa_testenv_endpoint(ep, sizeof ep);
    pid_t w = pa_testenv_start_worker(&s_db, ep, pa_testenv_tmp("wt0.err", werr[0], 512),
                                      "--batch-reports=2");
    pid_t p = s_producer(ep, csv, "pterm", 3000, perr, sizeof perr);
    long worst_ms = 0;
    for (int round = 1; round <= 2; round++) {
        s_wait_batches(werr[round - 1], 10, 30000);
        long t0 = s_now_ms();
        kill(w, SIGTERM);
        int status = pa_testenv_wait(w, 15000);
        long took = s_now_ms() - t0;
        worst_ms = took > worst_ms ? took : worst_ms;
        cr_assert_eq(status, 0, "worker did not stop cleanly on SIGTERM (%d)", status);
        char name[32];
        snprintf(name, sizeof name, "wt%d.err", round);
        w = pa_testenv_start_worker(&s_db, ep, pa_testenv_tmp(name, werr[round], 512),
                                    "--batch-reports=2");
    }
    s_assert_exit0(p, perr, 120000);
    s_summary_t st = s_summary(perr);
    cr_log_info("sigterm: worst exit %ld ms, receipts %ld, duplicates %ld", worst_ms, st.receipts,
                st.duplicate);
    /* A report the stopped worker committed but whose receipt was lost would
     * come back "duplicate" when resent to the next worker. */
    cr_assert_eq(st.duplicate, 0, "receipts lost at SIGTERM: %ld reports came back duplicate",
                 st.duplicate);
    cr_assert_eq(st.stored, set.reports);
    cr_assert_lt(worst_ms, 10000, "SIGTERM to exit took %ld ms", worst_ms);
    s_assert_stored_once(set.reports, set.count_sum);
    pa_testenv_stop_worker(w);
}

Test(faults, worker_sigkilled_and_restarted_with_two_producers)
{
    char a[512], b[512], ep[64], werr[512], werr2[512], pa[512], pb[512];
    s_set_t sa = s_generate_range(pa_testenv_tmp("kill-a.csv", a, sizeof a), "500101", "500109");
    s_set_t sb = s_generate_range(pa_testenv_tmp("kill-b.csv", b, sizeof b), "500110", "500118");
    pa_testenv_endpoint(ep, sizeof ep);
    pid_t w = pa_testenv_start_worker(&s_db, ep, pa_testenv_tmp("wk.err", werr, sizeof werr),
                                      "--batch-reports=2");
    pid_t p1 = s_producer(ep, a, "pka", 2000, pa, sizeof pa);
    pid_t p2 = s_producer(ep, b, "pkb", 2000, pb, sizeof pb);
    s_wait_batches(werr, 15, 30000);
    kill(w, SIGKILL);
    pa_testenv_wait(w, 5000);
    s_nap_ms(500); /* producers time out against nobody meanwhile */
    w = pa_testenv_start_worker(&s_db, ep, pa_testenv_tmp("wk2.err", werr2, sizeof werr2),
                                "--batch-reports=2");
    s_assert_exit0(p1, pa, 120000);
    s_assert_exit0(p2, pb, 120000);
    s_summary_t s1 = s_summary(pa), s2 = s_summary(pb);
    cr_assert_eq(s1.stored + s1.duplicate, sa.reports, "every report of A acknowledged");
    cr_assert_eq(s2.stored + s2.duplicate, sb.reports, "every report of B acknowledged");
    s_assert_stored_once(sa.reports + sb.reports, sa.count_sum + sb.count_sum);
    pa_testenv_stop_worker(w);
}

Test(faults, postgres_stopped_immediately_and_started_again)
{
    const char *stop = getenv("PINGAN_TEST_PG_STOP"), *start = getenv("PINGAN_TEST_PG_START");
    cr_assert(stop && start, "PINGAN_TEST_PG_STOP/START are not set: run scripts/test.sh, whose "
                             "cluster this test stops and starts");
    char perr[512];
    s_scene_t sc;
    s_scene(&sc, "pg");
    pid_t p = s_producer(sc.ep, sc.csv, "ppg", 2000, perr, sizeof perr);
    s_wait_batches(sc.werr, 10, 30000);
    cr_assert_eq(system(stop), 0, "%s", stop);
    s_nap_ms(4000); /* PostgreSQL is away for a while */
    cr_assert_eq(system(start), 0, "%s", start);
    PQreset(s_db.conn);
    s_assert_exit0(p, perr, 120000);
    s_assert_all_acked(perr, sc.set.reports);
    char *wlog = pa_testenv_slurp(sc.werr);
    cr_assert(strstr(wlog, "reconnected to PostgreSQL"), "the worker saw the outage:\n%s", wlog);
    free(wlog);
    s_assert_stored_once(sc.set.reports, sc.set.count_sum);
    pa_testdb_wait_aggregated(&s_db, 60000);
    pa_testenv_stop_worker(sc.w);
}

Test(faults, producer_sigkilled_and_rerun)
{
    char perr[512], perr2[512];
    s_scene_t sc;
    s_scene(&sc, "pk");
    pid_t p = s_producer(sc.ep, sc.csv, "ppk", 2000, perr, sizeof perr);
    s_wait_batches(sc.werr, 10, 30000);
    kill(p, SIGKILL);
    pa_testenv_wait(p, 5000);
    long before = pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.report");
    cr_assert_lt(before, sc.set.reports, "killed mid-stream");
    p = s_producer(sc.ep, sc.csv, "ppk2", 2000, perr2, sizeof perr2);
    s_assert_exit0(p, perr2, 120000);
    cr_assert_geq(s_summary(perr2).duplicate, before,
                  "what the first run stored comes back duplicate");
    s_assert_all_acked(perr2, sc.set.reports);
    s_assert_stored_once(sc.set.reports, sc.set.count_sum);
    pa_testenv_stop_worker(sc.w);
}

Test(faults, two_producers_send_the_same_file)
{
    char pa[512], pb[512];
    s_scene_t sc;
    s_scene(&sc, "same");
    pid_t p1 = s_producer(sc.ep, sc.csv, "psa", 5000, pa, sizeof pa);
    pid_t p2 = s_producer(sc.ep, sc.csv, "psb", 5000, pb, sizeof pb);
    s_assert_exit0(p1, pa, 120000);
    s_assert_exit0(p2, pb, 120000);
    s_assert_all_acked(pa, sc.set.reports);
    s_assert_all_acked(pb, sc.set.reports);
    cr_assert_eq(s_summary(pa).stored + s_summary(pb).stored, sc.set.reports,
                 "each report stored by exactly one of them");
    s_assert_stored_once(sc.set.reports, sc.set.count_sum);
    pa_testenv_stop_worker(sc.w);
}

Test(faults, worker_paused_past_the_producer_timeout)
{
    char perr[512];
    s_scene_t sc;
    s_scene(&sc, "stop");
    pid_t p = s_producer(sc.ep, sc.csv, "pst", 1000, perr, sizeof perr);
    s_wait_batches(sc.werr, 10, 30000);
    kill(sc.w, SIGSTOP);
    s_nap_ms(3000); /* three producer timeouts */
    kill(sc.w, SIGCONT);
    s_assert_exit0(p, perr, 120000);
    s_assert_all_acked(perr, sc.set.reports);
    s_assert_stored_once(sc.set.reports, sc.set.count_sum);
    pa_testenv_stop_worker(sc.w);
}

Test(faults, producer_without_a_worker_gives_up_in_time)
{
    char csv[512], ep[64], bin[512], perr[512], out[512];
    s_generate_range(pa_testenv_tmp("none.csv", csv, sizeof csv), "500101", "500103");
    pa_testenv_endpoint(ep, sizeof ep); /* nobody binds it */
    char *argv[] = {pa_testenv_bin("pingan-produce", bin, sizeof bin),
                    "--connect",
                    ep,
                    "--quiet",
                    "--deadline",
                    "2",
                    csv,
                    NULL};
    long t0 = s_now_ms();
    pid_t p = pa_testenv_spawn(argv, NULL, pa_testenv_tmp("none.out", out, sizeof out),
                               pa_testenv_tmp("none.err", perr, sizeof perr));
    int status = pa_testenv_wait(p, 10000);
    long took = s_now_ms() - t0;
    char *text = pa_testenv_slurp(perr);
    cr_log_info("no worker: exit %d after %ld ms with --deadline 2", status, took);
    cr_assert_eq(status, 2, "exit %d:\n%s", status, text);
    cr_assert_lt(took, 3500, "--deadline 2 took %ld ms", took);
    char want[128];
    snprintf(want, sizeof want, "no worker answered at %s", ep);
    cr_assert(strstr(text, want), "the message names the endpoint:\n%s", text);
    free(text);

    /* No deadline: SIGTERM stops it within a second, with a summary. */
    char *argv2[] = {bin, "--connect", ep, "--quiet", csv, NULL};
    p = pa_testenv_spawn(argv2, NULL, out, perr);
    s_nap_ms(700);
    t0 = s_now_ms();
    kill(p, SIGTERM);
    status = pa_testenv_wait(p, 5000);
    took = s_now_ms() - t0;
    cr_log_info("no worker: SIGTERM to exit %ld ms", took);
    cr_assert_eq(status, 2);
    cr_assert_lt(took, 1000, "SIGTERM to exit took %ld ms", took);
    s_summary_t st = s_summary(perr);
    cr_assert_gt(st.unsent + st.failed, 0, "the summary says what was not settled");
}
