-- 020_value_period.sql - pingan.value carries its report's period_start, so
-- that the table can be partitioned by period (PostgreSQL's declarative
-- partitioning: a partitioned table's rows are routed by a column of their
-- own, and every unique key must include it). The worker's COPY fills it from
-- the report it stores in the same transaction; existing rows take theirs
-- from pingan.report here. The table stays a plain one until an operator runs
-- pingan.partition_value() (sql/functions/60_partition.sql, docs/scaling.md);
-- pingan.settings.value_partition_every says which it is.

ALTER TABLE pingan.value ADD COLUMN period_start date;

UPDATE pingan.value AS v
SET period_start = r.period_start
FROM pingan.report AS r
WHERE r.id = v.report_pk;

ALTER TABLE pingan.value ALTER COLUMN period_start SET NOT NULL;

COMMENT ON COLUMN pingan.value.period_start IS
    'pingan.report.period_start of report_pk, written by the worker''s COPY: the partition key once '
    'pingan.partition_value() made the table partitioned';

ALTER TABLE pingan.settings
    ADD COLUMN value_partition_every interval NULL
        CHECK (value_partition_every IN (interval '1 month', interval '1 year'));

COMMENT ON COLUMN pingan.settings.value_partition_every IS
    'null: pingan.value is a plain table; 1 month or 1 year: it is partitioned by period_start in ranges '
    'of that length (pingan.partition_value), and pingan.add_value_partitions() creates the next ones';
