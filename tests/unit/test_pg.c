/* test_pg.c - the pure parts of pa_pg: the one mapping from a failed
 * result's fields to pa_err_t (table-driven), and server messages turned
 * into single log lines. No database. */
#include <criterion/criterion.h>
#include <string.h>

#include "pa_pg.h"

typedef struct {
    const char *sqlstate, *constraint;
    bool bad;
    int want;
} s_case_t;

Test(pg, classes_by_sqlstate_and_connection)
{
    static const s_case_t cases[] = {
        {"08006", NULL, false, PA_ERETRY},        {"40001", NULL, false, PA_ERETRY},
        {"40P01", NULL, false, PA_ERETRY},        {"53100", NULL, false, PA_ERETRY},
        {"57P01", NULL, false, PA_ERETRY},        {"57014", NULL, false, PA_EFATAL},
        {"22003", NULL, false, PA_EREJECT},       {"23514", NULL, false, PA_EREJECT},
        {"23505", "report_pkey", false, PA_EDUP}, {"23505", "other", false, PA_EREJECT},
        {"42P01", NULL, false, PA_EFATAL},        {NULL, NULL, false, PA_ERETRY},
        {"42P01", NULL, true, PA_ERETRY}, /* a lost connection wins over the code */
        {"22003", NULL, true, PA_ERETRY},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pa_pg_diag_t d = {cases[i].sqlstate, cases[i].constraint, "boom", NULL, NULL, cases[i].bad};
        pa_err_t err;
        int rc = pa_pg_err_from_diag(&err, &d, "step", "report_pkey");
        cr_assert_eq(rc, cases[i].want, "case %zu (%s): got %d", i,
                     cases[i].sqlstate ? cases[i].sqlstate : "none", rc);
        cr_assert_eq(err.code, rc);
        cr_assert_str_eq(err.sqlstate, cases[i].sqlstate ? cases[i].sqlstate : "");
    }
    cr_assert_eq(pa_pg_err_from_diag(NULL, &(pa_pg_diag_t){"22003", 0, 0, 0, 0, 0}, NULL, NULL),
                 PA_EREJECT, "err may be NULL");
}

Test(pg, error_message_is_one_line_with_detail_and_hint)
{
    pa_pg_diag_t d = {"23514",
                      NULL,
                      "new row violates check constraint \"c\"",
                      "Failing row contains\n(1, 2).",
                      "Fix it.\n",
                      false};
    pa_err_t err;
    pa_pg_err_from_diag(&err, &d, "put_report failed", NULL);
    cr_assert_str_eq(err.msg, "put_report failed: sqlstate=23514 new row violates check constraint "
                              "\"c\" (detail: Failing row contains (1, 2).; hint: Fix it.)");
    cr_assert_null(strchr(err.msg, '\n'));
}

Test(pg, notice_becomes_a_single_line)
{
    char line[256];
    pa_pg_notice_line(line, sizeof line, "WARNING", "01000", "there is no transaction\nin progress",
                      NULL, "Run BEGIN first.", "PL/pgSQL function f() line 3\nat RAISE");
    cr_assert_str_eq(line, "severity=WARNING sqlstate=01000 there is no transaction in progress "
                           "(hint: Run BEGIN first.; context: PL/pgSQL function f() line 3 at "
                           "RAISE)");
    pa_pg_notice_line(line, sizeof line, NULL, NULL, NULL, NULL, NULL, NULL);
    cr_assert_str_eq(line, "severity=- sqlstate=none (no message)");
    char small[16];
    pa_pg_notice_line(small, sizeof small, "NOTICE", "00000", "long message here", NULL, NULL,
                      NULL);
    cr_assert_eq(strlen(small), sizeof small - 1, "truncated, still terminated");
}

Test(pg, default_options_are_bounded)
{
    pa_pg_options_t o;
    pa_pg_options_default(&o);
    cr_assert_gt(o.connect_timeout_s, 0);
    cr_assert_gt(o.statement_timeout_ms, 0);
    cr_assert_gt(o.keepalives_idle_s, 0);
    cr_assert_gt(o.keepalives_count, 0);
}
