/* pa_store_sql.h - every DML statement libpingan sends, one macro each, with
 * $n parameters and schema-qualified names. DDL lives in sql/ only. */
#ifndef PA_STORE_SQL_H
#define PA_STORE_SQL_H

/* Two statements: a query naming a missing table fails at parse time. */
#define PA_SQL_SCHEMA_EXISTS  "SELECT to_regclass('pingan.schema_migrations') IS NOT NULL"
#define PA_SQL_SCHEMA_VERSION "SELECT coalesce(max(version), 0) FROM pingan.schema_migrations"

#define PA_SQL_RECORD_MIGRATION                                                                    \
    "INSERT INTO pingan.schema_migrations (version, name) VALUES ($1, $2)"

#define PA_SQL_LOAD_DISTRICTS "SELECT code FROM pingan.district"
#define PA_SQL_LOAD_TOWNS     "SELECT code, district_code FROM pingan.town"
#define PA_SQL_LOAD_INDICATORS                                                                     \
    "SELECT code, kind, level, array_to_string(period_types, ','), ceiling, first_year "           \
    "FROM pingan.indicator"

#define PA_SQL_PUT_REPORT_NAME    "pa_put_report"
#define PA_SQL_PUT_REPORT_NPARAMS 12
#define PA_SQL_PUT_REPORT                                                                          \
    "SELECT status, report_pk, reason, detail, current_revision FROM pingan.put_report("           \
    "$1, $2, $3, $4::date, $5::date, $6::int, $7::timestamptz, $8, $9, $10, $11::int, $12::bytea)"

/* A void revision (Report.withdraw): the same row shape as put_report. */
#define PA_SQL_WITHDRAW_NAME    "pa_withdraw_report"
#define PA_SQL_WITHDRAW_NPARAMS 10
#define PA_SQL_WITHDRAW                                                                            \
    "SELECT status, report_pk, reason, detail, current_revision FROM pingan.withdraw_report("      \
    "$1, $2, $3, $4::date, $5::int, $6::timestamptz, $7, $8, $9, $10)"

/* Files a refused submission (or frame) and its refused reports in one call:
 * $1 the quarantine id to add to (NULL: a new row), $2 sender, $3 worker,
 * $4 peer key, $5 peer address, $6 reports in the submission, $7 whole-
 * submission reasons, $8 raw bytes, $9 the refused reports (JSON). */
#define PA_SQL_QUARANTINE_NAME    "pa_quarantine"
#define PA_SQL_QUARANTINE_NPARAMS 9
#define PA_SQL_QUARANTINE                                                                          \
    "SELECT pingan.quarantine_submission($1::bigint, $2, $3, $4, $5, $6::int, $7::jsonb, "         \
    "$8::bytea, $9::jsonb)"

/* Folds newly stored reports (their values are already copied) into the
 * aggregates, in the batch's transaction; $1 is a bigint[] text literal. */
#define PA_SQL_AGGREGATE "SELECT pingan.aggregate_reports($1::bigint[])"

/* Recomputes every aggregate from the stored reports; returns the row count. */
#define PA_SQL_REBUILD "SELECT pingan.rebuild_aggregates()"

/* Recomputes the queued aggregates of up to $1 districts; returns the keys done. */
#define PA_SQL_AGGREGATE_PENDING "SELECT pingan.aggregate_pending($1::int)"

/* Whether batches are still arriving: a rest between aggregation steps
 * ends once none is (lib/pa_aggregator.c). */
#define PA_SQL_BATCHES_ARRIVING "SELECT pingan.batches_arriving()"

/* The aggregation lag for the metrics, after each pass: queued keys and
 * the oldest one's age in seconds (NULL when none). */
#define PA_SQL_AGGREGATE_LAG                                                                       \
    "SELECT queued_keys, extract(epoch FROM oldest_age) FROM pingan.v_aggregate_lag"

#define PA_SQL_COPY_VALUES                                                                         \
    "COPY pingan.value (report_pk, indicator_code, town_code, count, numerator, denominator, "     \
    "period_start) "                                                                               \
    "FROM STDIN WITH (FORMAT binary)"

#endif
