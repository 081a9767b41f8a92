/* test_faults.c - the database connection dies under a running pipeline:
 * every worker session is terminated again and again (57P01, as in a
 * PostgreSQL restart) while a producer sends a year of monthly reports in
 * many small transactions. Every report must end stored exactly once, no
 * value lost or doubled, and no process may crash. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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
