-- 015_roles.sql: least-privilege roles (docs/security.md). Three NOLOGIN group
-- roles; login users are made members of them (docs say how):
--   pingan_owner    owns and migrates the schema (pingan-worker --init-db);
--   pingan_worker   what pingan-worker does and nothing more: read the schema,
--                   store reports (put_report, COPY values), quarantine, and keep
--                   the aggregation queue, figures and judgements; no DDL;
--   pingan_analyst  reads the views (granted by sql/views/99_analyst.sql, since
--                   --init-db re-creates the views) and the reference tables that
--                   label them (what pingan-report reads); no report, value,
--                   quarantine or other row a worker writes, and no write at all.
-- Roles belong to the cluster, not the database: this file may run in many
-- databases of one cluster, at once, and after an administrator created the
-- roles by hand (then the migrating user needs no CREATEROLE).
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['pingan_owner', 'pingan_worker', 'pingan_analyst'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL; -- another database's migration created it meanwhile
            END;
        END IF;
    END LOOP;
END
$$;

-- The owner may re-run migrations; the others get only what they use.
GRANT ALL ON SCHEMA pingan TO pingan_owner;
GRANT USAGE ON SCHEMA pingan TO pingan_worker, pingan_analyst;

-- Nobody but the owner creates objects in public either (PostgreSQL < 15).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- The worker reads reference data, the catalogue and what it stored.
GRANT SELECT ON ALL TABLES IN SCHEMA pingan TO pingan_worker;
-- Storing: put_report inserts the report, COPY the values, refusals the quarantine.
GRANT INSERT ON pingan.report, pingan.value, pingan.quarantine TO pingan_worker;
-- Aggregation: the queues, figures and judgements it keeps up to date.
GRANT INSERT, UPDATE, DELETE ON pingan.aggregate_queue, pingan.judge_queue, pingan.figure,
    pingan.judgement TO pingan_worker;
GRANT UPDATE (judged_as_of) ON pingan.settings TO pingan_worker;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA pingan TO pingan_worker;

-- Analysts: reference data and settings, read-only (views: sql/views/99_analyst.sql).
GRANT SELECT ON pingan.district, pingan.town, pingan.indicator, pingan.target, pingan.settings,
    pingan.reporting_schedule, pingan.district_schedule TO pingan_analyst;
