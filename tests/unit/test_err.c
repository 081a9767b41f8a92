/* test_err.c - unit tests for pa_err: the SQLSTATE classifier (table-driven,
 * one row per documented code and a few neighbours that must not match), the
 * error out-parameter helpers and code names. No database: pure functions. */
#include <criterion/criterion.h>
#include <string.h>

#include "pa_err.h"

#define S_DUP "report_report_id_key" /* the idempotency-key constraint */

/* ---------------------------------------------------------------- sqlstate */

typedef struct {
    const char *sqlstate;   /* NULL = no SQLSTATE (connection lost) */
    const char *constraint; /* PG_DIAG_CONSTRAINT_NAME, or NULL */
    int expected;
} s_class_case_t;

static const s_class_case_t s_class_cases[] = {
    /* Transient: reconnect, back off, redeliver. */
    {"08006", NULL, PA_ERETRY}, /* connection_failure */
    {"08001", NULL, PA_ERETRY}, /* sqlclient_unable_to_establish_sqlconnection */
    {"08000", NULL, PA_ERETRY}, /* connection_exception */
    {"08003", NULL, PA_ERETRY}, /* connection_does_not_exist */
    {"08P01", NULL, PA_ERETRY}, /* protocol_violation: class 08 */
    {"40001", NULL, PA_ERETRY}, /* serialization_failure */
    {"40P01", NULL, PA_ERETRY}, /* deadlock_detected */
    {"53300", NULL, PA_ERETRY}, /* too_many_connections */
    {"53100", NULL, PA_ERETRY}, /* disk_full: class 53 */
    {"53200", NULL, PA_ERETRY}, /* out_of_memory: class 53 */
    {"57P01", NULL, PA_ERETRY}, /* admin_shutdown */
    {"57P02", NULL, PA_ERETRY}, /* crash_shutdown */
    {"57P03", NULL, PA_ERETRY}, /* cannot_connect_now */
    {"55P03", NULL, PA_ERETRY}, /* lock_not_available */
    {NULL, NULL, PA_ERETRY},    /* no SQLSTATE: the connection went away */
    {NULL, S_DUP, PA_ERETRY},
    /* Already stored: acknowledge. */
    {"23505", S_DUP, PA_EDUP},
    /* Permanent for this input: dead-letter. */
    {"23505", "report_natural_key", PA_EREJECT},
    {"23505", NULL, PA_EREJECT},
    {"23503", S_DUP, PA_EREJECT}, /* foreign_key_violation, even on the dup name */
    {"23503", NULL, PA_EREJECT},
    {"23502", NULL, PA_EREJECT}, /* not_null_violation */
    {"23514", NULL, PA_EREJECT}, /* check_violation */
    {"22P02", NULL, PA_EREJECT}, /* invalid_text_representation */
    {"22003", NULL, PA_EREJECT}, /* numeric_value_out_of_range */
    {"22007", NULL, PA_EREJECT}, /* invalid_datetime_format */
    /* Configuration or programming error: stop. */
    {"42P01", NULL, PA_EFATAL}, /* undefined_table */
    {"28P01", NULL, PA_EFATAL}, /* invalid_password */
    {"3D000", NULL, PA_EFATAL}, /* invalid_catalog_name */
    {"42601", NULL, PA_EFATAL}, /* syntax_error */
    {"42501", NULL, PA_EFATAL}, /* insufficient_privilege */
    {"25P02", NULL, PA_EFATAL}, /* in_failed_sql_transaction */
    {"57014", NULL, PA_EFATAL}, /* query_canceled: class 57 but not P01-P03 */
    {"57P04", NULL, PA_EFATAL}, /* database_dropped */
    {"55000", NULL, PA_EFATAL}, /* object_not_in_prerequisite_state: not 55P03 */
    {"40002", NULL, PA_EFATAL}, /* transaction_integrity_constraint_violation */
    {"XX000", NULL, PA_EFATAL}, /* internal_error */
};

Test(sqlstate, classes_every_documented_code)
{
    for (size_t i = 0; i < sizeof s_class_cases / sizeof s_class_cases[0]; i++) {
        const s_class_case_t *c = &s_class_cases[i];
        int got = pa_err_class_sqlstate(c->sqlstate, c->constraint, S_DUP);
        cr_expect_eq(got, c->expected, "sqlstate %s constraint %s: %s, expected %s",
                     c->sqlstate ? c->sqlstate : "(null)", c->constraint ? c->constraint : "(null)",
                     pa_err_name(got), pa_err_name(c->expected));
    }
}

Test(sqlstate, unique_violation_without_a_dup_constraint_is_a_reject)
{
    /* With no idempotency constraint configured nothing can be a duplicate. */
    cr_assert_eq(pa_err_class_sqlstate("23505", S_DUP, NULL), PA_EREJECT);
    cr_assert_eq(pa_err_class_sqlstate("23505", NULL, NULL), PA_EREJECT);
    /* The constraint name must match exactly, not by prefix. */
    cr_assert_eq(pa_err_class_sqlstate("23505", S_DUP "_2", S_DUP), PA_EREJECT);
    cr_assert_eq(pa_err_class_sqlstate("23505", "report_report_id", S_DUP), PA_EREJECT);
}

Test(sqlstate, empty_sqlstate_is_treated_as_missing)
{
    cr_assert_eq(pa_err_class_sqlstate("", NULL, S_DUP), PA_ERETRY);
}

/* ---------------------------------------------------------------- pa_err_t */

Test(err, set_fills_code_and_message_and_returns_code)
{
    pa_err_t err;
    memset(&err, 0x5a, sizeof err);
    strcpy(err.sqlstate, "40001");
    int rc = pa_err_set(&err, PA_EINVAL, "district %s is %d characters long", "5001011", 7);
    cr_assert_eq(rc, PA_EINVAL);
    cr_assert_eq(err.code, PA_EINVAL);
    cr_assert_str_eq(err.msg, "district 5001011 is 7 characters long");
    cr_assert_str_eq(err.sqlstate, "", "pa_err_set keeps a stale sqlstate");
}

Test(err, set_with_null_err_still_returns_code)
{
    cr_assert_eq(pa_err_set(NULL, PA_ERETRY, "lost %s", "connection"), PA_ERETRY);
    cr_assert_eq(pa_err_set(NULL, PA_OK, "nothing"), PA_OK);
}

Test(err, set_truncates_long_messages)
{
    char big[PA_ERR_MSG_SIZE * 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    pa_err_t err;
    pa_err_set(&err, PA_EIO, "%s", big);
    cr_assert_eq(strlen(err.msg), PA_ERR_MSG_SIZE - 1);
    cr_assert_eq(err.msg[0], 'x');
}

Test(err, clear)
{
    pa_err_t err;
    pa_err_set(&err, PA_EFATAL, "boom");
    strcpy(err.sqlstate, "42P01");
    pa_err_clear(&err);
    cr_assert_eq(err.code, PA_OK);
    cr_assert_str_eq(err.msg, "");
    cr_assert_str_eq(err.sqlstate, "");
    pa_err_clear(NULL); /* NULL-safe */
}

Test(err, prefix_adds_context)
{
    pa_err_t err;
    pa_err_set(&err, PA_EREJECT, "sqlstate=%s", "23503");
    pa_err_prefix(&err, "could not store batch %d", 7);
    cr_assert_str_eq(err.msg, "could not store batch 7: sqlstate=23503");
    cr_assert_eq(err.code, PA_EREJECT, "prefix changed the code");
    pa_err_prefix(&err, "worker");
    cr_assert_str_eq(err.msg, "worker: could not store batch 7: sqlstate=23503");
    pa_err_prefix(NULL, "ignored %d", 1); /* NULL-safe */
}

Test(err, prefix_keeps_the_message_bounded)
{
    char big[PA_ERR_MSG_SIZE];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    pa_err_t err;
    pa_err_set(&err, PA_EIO, "%s", big);
    pa_err_prefix(&err, "ctx");
    cr_assert_eq(strlen(err.msg), PA_ERR_MSG_SIZE - 1);
    cr_assert_eq(strncmp(err.msg, "ctx: yyy", 8), 0, "got '%.20s'", err.msg);
}

Test(err, names)
{
    static const struct {
        int code;
        const char *name;
    } cases[] = {
        {PA_OK, "ok"},          {PA_EINVAL, "invalid"}, {PA_ENOMEM, "out-of-memory"},
        {PA_EIO, "io"},         {PA_ERETRY, "retry"},   {PA_EDUP, "duplicate"},
        {PA_EREJECT, "reject"}, {PA_EFATAL, "fatal"},   {PA_ETIMEOUT, "timeout"},
        {PA_ESTOP, "stopped"},  {-100, "unknown"},      {1, "unknown"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_str_eq(pa_err_name(cases[i].code), cases[i].name, "code %d", cases[i].code);
}
