/* test_year.c - a generated year through the whole pipeline: monthly
 * reports of 2024 from all 1031 towns, sent by one producer to two workers,
 * aggregated by idle workers. The city's figures for the year, its quarters
 * and its months are checked against an independent SQL computation over
 * the stored raw values (pingan.v_value), not against the aggregation code. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

TestSuite(year, .init = s_setup, .fini = s_teardown, .timeout = 600);

/* Writes 12 monthly reports per district, one value per town and indicator,
 * from a fixed linear congruential sequence (deterministic, no libc rand). */
static void s_generate(const char *path)
{
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs("district,period,town,indicator,count,numerator,denominator\n", f);
    PGresult *res = PQexec(s_db.conn, "SELECT district_code, code FROM pingan.town "
                                      "ORDER BY district_code, code");
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK);
    cr_assert_eq(PQntuples(res), 1031);
    unsigned long x = 20240101;
    for (int m = 1; m <= 12; m++) {
        for (int i = 0; i < PQntuples(res); i++) {
            const char *d = PQgetvalue(res, i, 0), *t = PQgetvalue(res, i, 1);
            x = x * 6364136223846793005UL + 1442695040888963407UL;
            unsigned r = (unsigned)(x >> 33);
            fprintf(f, "%s,2024-%02d,%s,ws_deaths,%u,,\n", d, m, t, r % 7 == 0 ? 1u : 0u);
            fprintf(f, "%s,2024-%02d,%s,fire_incidents,%u,,\n", d, m, t, r % 5);
            unsigned den = 40 + r % 60, num = den - (r >> 8) % 4;
            fprintf(f, "%s,2024-%02d,%s,event_closure,,%u,%u\n", d, m, t, num, den);
            /* Stocks: the latest month counts for a quarter and the year. */
            fprintf(f, "%s,2024-%02d,%s,yibiaotong_online,%u,,\n", d, m, t,
                    (r >> 4) % 10 < (unsigned)(m + 2) ? 1u : 0u);
            unsigned items = 20 + (r >> 12) % 20;
            fprintf(f, "%s,2024-%02d,%s,business_digitised,,%u,%u\n", d, m, t,
                    items * (unsigned)m / 12, items);
        }
    }
    PQclear(res);
    fclose(f);
}

/* Counts rows of a comparison query whose two sides differ (0 = all equal). */
static long s_mismatches(const char *sql)
{
    return pa_testdb_long(&s_db, sql);
}

Test(year, city_figures_match_an_independent_sum_of_raw_values)
{
    char csv[512], ep1[64], ep2[64], e1[512], e2[512], out[512], err[512], bin[512];
    pa_testenv_tmp("year.csv", csv, sizeof csv);
    s_generate(csv);
    pa_testenv_endpoint(ep1, sizeof ep1);
    pid_t w1 = pa_testenv_start_worker(&s_db, ep1, pa_testenv_tmp("y1.err", e1, sizeof e1), NULL);
    pa_testenv_endpoint(ep2, sizeof ep2);
    pid_t w2 = pa_testenv_start_worker(&s_db, ep2, pa_testenv_tmp("y2.err", e2, sizeof e2), NULL);
    char both[160];
    snprintf(both, sizeof both, "%s,%s", ep1, ep2);
    char *argv[] = {pa_testenv_bin("pingan-produce", bin, sizeof bin),
                    "--connect",
                    both,
                    "--quiet",
                    "--batch-reports",
                    "10",
                    csv,
                    NULL};
    pid_t p = pa_testenv_spawn(argv, NULL, pa_testenv_tmp("y.out", out, sizeof out),
                               pa_testenv_tmp("y.err", err, sizeof err));
    int status = pa_testenv_wait(p, 300000);
    char *etext = pa_testenv_slurp(err);
    cr_assert_eq(status, 0, "%s", etext);
    cr_assert(strstr(etext, "stored=456 "), "12 months x 38 districts: %s", etext);
    free(etext);
    pa_testdb_wait_aggregated(&s_db, 300000);
    pa_testenv_stop_worker(w1);
    pa_testenv_stop_worker(w2);
    cr_assert_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.value"), 12 * 1031 * 5);

    /* Flows: every city month, quarter and the year equal the sums of the
     * raw monthly values inside them. */
    cr_expect_eq(
        s_mismatches("WITH raw AS ("
                     "  SELECT p.type, p.start, v.indicator_code, sum(v.count) AS c, "
                     "         sum(v.numerator) AS n, sum(v.denominator) AS d "
                     "  FROM pingan.v_value v CROSS JOIN LATERAL (VALUES "
                     "    ('month', v.period_start), "
                     "    ('quarter', date_trunc('quarter', v.period_start)::date), "
                     "    ('year', date_trunc('year', v.period_start)::date)) AS p(type, start) "
                     "  WHERE v.indicator_code IN ('ws_deaths', 'fire_incidents', "
                     "'event_closure') "
                     "  GROUP BY 1, 2, 3) "
                     "SELECT count(*) FROM raw FULL JOIN (SELECT * FROM pingan.v_figure "
                     "  WHERE level = 'city' AND indicator_code IN ('ws_deaths', "
                     "'fire_incidents', 'event_closure') AND period_type <> 'week') f "
                     "  ON f.period_type = raw.type AND f.period_start = raw.start "
                     "  AND f.indicator_code = raw.indicator_code "
                     "WHERE raw.type IS NULL OR f.period_type IS NULL "
                     "   OR f.count_sum IS DISTINCT FROM raw.c::float8 "
                     "   OR f.numerator_sum IS DISTINCT FROM raw.n "
                     "   OR f.denominator_sum IS DISTINCT FROM raw.d"),
        0);
    /* 12 months + 4 quarters + 1 year for each of the three flows. */
    cr_expect_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM pingan.v_figure WHERE level = "
                                       "'city' AND indicator_code = 'event_closure' AND "
                                       "period_type <> 'week'"),
                 17);
    /* The rate is the ratio of the sums, not a mean of town rates. */
    cr_expect_eq(
        s_mismatches("SELECT count(*) FROM pingan.v_figure f, "
                     "(SELECT sum(numerator) / sum(denominator) AS r, "
                     "avg(numerator / denominator) AS mean FROM pingan.v_value "
                     "WHERE indicator_code = 'event_closure') raw "
                     "WHERE f.level = 'city' AND f.period_type = 'year' "
                     "AND f.indicator_code = 'event_closure' "
                     "AND (abs(f.value - raw.r) > 1e-12 OR abs(f.value - raw.mean) < 1e-9)"),
        0);
    /* Stocks: a quarter and the year take their latest month. */
    cr_expect_eq(
        s_mismatches("WITH latest AS ("
                     "  SELECT p.type, p.start, v.indicator_code, sum(v.count) AS c, "
                     "         sum(v.numerator) AS n, sum(v.denominator) AS d "
                     "  FROM pingan.v_value v JOIN (VALUES "
                     "    ('quarter', '2024-01-01'::date, '2024-03-01'::date), "
                     "    ('quarter', '2024-04-01', '2024-06-01'), "
                     "    ('quarter', '2024-07-01', '2024-09-01'), "
                     "    ('quarter', '2024-10-01', '2024-12-01'), "
                     "    ('year', '2024-01-01', '2024-12-01')) AS p(type, start, last) "
                     "    ON v.period_start = p.last "
                     "  WHERE v.indicator_code IN ('yibiaotong_online', 'business_digitised') "
                     "  GROUP BY 1, 2, 3) "
                     "SELECT count(*) FROM latest l LEFT JOIN pingan.v_figure f "
                     "  ON f.level = 'city' AND f.period_type = l.type "
                     "  AND f.period_start = l.start AND f.indicator_code = l.indicator_code "
                     "WHERE f.period_type IS NULL "
                     "   OR f.count_sum IS DISTINCT FROM l.c::float8 "
                     "   OR f.numerator_sum IS DISTINCT FROM l.n "
                     "   OR f.denominator_sum IS DISTINCT FROM l.d"),
        0);
    cr_expect_eq(pa_testdb_long(&s_db, "SELECT count(*) FROM (SELECT 1 FROM pingan.v_figure WHERE "
                                       "level = 'city' AND period_type IN ('quarter', 'year') AND "
                                       "indicator_code IN ('yibiaotong_online', "
                                       "'business_digitised')) x"),
                 10);
}
