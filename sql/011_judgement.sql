-- 011_judgement.sql - the maintained layer of figures and judgements.
--
-- pingan.aggregate (006) held a day-level copy of every value and the target
-- status was computed at read time, so a scorecard over a year of daily data
-- did not answer. This migration replaces it with two maintained tables:
--   pingan.figure     month, quarter and year figures of every town, district
--                     and the city, each with its coverage (days, towns,
--                     districts); days and weeks are read from pingan.value;
--   pingan.judgement  every target's status at every area and judged period,
--                     with its coverage and like-for-like reference.
-- Both are brought up to date for the keys a batch touched (sql/functions/
-- 50_refresh.sql), so reading a scorecard is an indexed lookup.
--
-- From here on functions and views are not written by migrations: each has
-- one current definition in sql/functions/ or sql/views/, re-applied by
-- `pingan-worker --init-db` when a file's content changes (its md5 is kept in
-- pingan.schema_definitions); that step also drops everything 004-010
-- defined, so that no older definition survives. Tables only below.

SET LOCAL client_min_messages = warning; -- the drops below are not news

-- The views built on it go with it. What else 004-010 defined is dropped
-- by --init-db right after the migrations: schema_definitions starts empty,
-- so every function and view is dropped and re-created from the files
-- (pa_migrate.c), in one place rather than here and there.
DROP TABLE pingan.aggregate CASCADE;

CREATE TABLE pingan.schema_definitions (
    name       text        PRIMARY KEY,
    hash       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE pingan.schema_definitions IS
    'One row per sql/functions/*.sql and sql/views/*.sql file applied by --init-db, with the md5 of its text. '
    'When any file changes, every function and view is dropped and re-created from the files.';

-- Thresholds are compared in numeric, so that 0.95 is exactly 0.95.
ALTER TABLE pingan.target ALTER COLUMN threshold TYPE numeric;

ALTER TABLE pingan.settings ADD COLUMN judged_as_of date NULL;
COMMENT ON COLUMN pingan.settings.judged_as_of IS
    'the as-of day pingan.judgement was computed for; when pingan.as_of() moves past it, the next '
    'aggregation step re-judges every period';

-- Expected reporting rhythm per district: a district reporting quarterly is
-- judged on elapsed quarters and is not due for months.
CREATE TABLE pingan.district_schedule (
    district_code text PRIMARY KEY REFERENCES pingan.district,
    period_type   text NOT NULL DEFAULT 'month'
                  CHECK (period_type IN ('day', 'week', 'month', 'quarter', 'year'))
);

INSERT INTO pingan.district_schedule (district_code) SELECT d.code FROM pingan.district AS d;

COMMENT ON TABLE pingan.district_schedule IS
    'How often each district is expected to report (day, week, month: judged by the month; quarter; year). '
    'A district is due for a period when its rhythm is that period type or finer.';

CREATE TABLE pingan.figure (
    indicator_code        text        NOT NULL,
    level                 text        NOT NULL CHECK (level IN ('town', 'district', 'city')),
    area_code             text        NOT NULL,
    district_code         text        NULL,
    period_type           text        NOT NULL CHECK (period_type IN ('month', 'quarter', 'year')),
    period_start          date        NOT NULL,
    period_end            date        NOT NULL,
    count_sum             bigint      NULL,
    numerator_sum         numeric     NULL,
    denominator_sum       numeric     NULL,
    first_count_sum       bigint      NULL,
    first_numerator_sum   numeric     NULL,
    first_denominator_sum numeric     NULL,
    has_current           boolean     NOT NULL,
    has_first             boolean     NOT NULL,
    reports               int         NOT NULL,
    revised               int         NOT NULL,
    source_types          text[]      NOT NULL,
    direct                boolean     NOT NULL,
    covered_days          int         NOT NULL,
    period_days           int         NOT NULL,
    towns                 int         NULL,
    towns_expected        int         NULL,
    districts             int         NULL,
    complete_districts    int         NULL,
    PRIMARY KEY (indicator_code, period_type, period_start, level, area_code)
);

CREATE INDEX figure_district_period_idx ON pingan.figure (district_code, period_type, period_start);
CREATE INDEX figure_area_idx ON pingan.figure (area_code, indicator_code, period_start);

COMMENT ON TABLE pingan.figure IS
    'Month, quarter and year figures per town, district and the city (500000), as current (highest '
    'revisions) and as first reported, with their coverage. Written only by pingan.refresh_*; day and week '
    'figures are read from pingan.value through pingan.v_figure.';
COMMENT ON COLUMN pingan.figure.covered_days IS
    'days of the period covered by the reports the figure is built from (a month report covers its month); '
    'the city: the most any district covers';
COMMENT ON COLUMN pingan.figure.period_days IS 'days in the period: the figure is complete in time when covered_days = period_days';
COMMENT ON COLUMN pingan.figure.towns IS
    'towns with a value (a district-level value counts for all its towns); the city: the sum over districts';
COMMENT ON COLUMN pingan.figure.districts IS 'the city: districts with a figure';
COMMENT ON COLUMN pingan.figure.complete_districts IS 'the city: districts whose figure is complete in time';

CREATE TABLE pingan.judgement (
    target_id          text        NOT NULL,
    indicator_code     text        NOT NULL,
    level              text        NOT NULL CHECK (level IN ('town', 'district', 'city')),
    area_code          text        NOT NULL,
    area_name          text        NOT NULL,
    district_code      text        NULL,
    period_type        text        NOT NULL CHECK (period_type IN ('month', 'quarter', 'year')),
    period_start       date        NOT NULL,
    rule               text        NOT NULL,
    status             text        NOT NULL,
    verdict            text        NULL,
    actual             numeric     NULL,
    reference          numeric     NULL,
    reference_source   text        NULL,
    threshold          numeric     NULL,
    margin             numeric     NULL,
    ytd_actual         numeric     NULL,
    ytd_reference      numeric     NULL,
    projection         numeric     NULL,
    in_progress        boolean     NOT NULL,
    span_end           date        NOT NULL,
    months_covered     int         NULL,
    months_expected    int         NULL,
    units_covered      int         NULL,
    units_expected     int         NULL,
    unit               text        NULL,
    -- parts the city row is summed from (district rows only)
    part_count         numeric     NULL,
    part_num           numeric     NULL,
    part_den           numeric     NULL,
    part_ref           numeric     NULL,
    part_ref_full      numeric     NULL,
    part_met           int         NULL,
    part_with_data     int         NULL,
    part_occurred      boolean     NULL,
    as_of              date        NOT NULL,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (target_id, period_type, period_start, level, area_code)
);

CREATE INDEX judgement_period_idx ON pingan.judgement (period_type, period_start, level);
CREATE INDEX judgement_district_idx ON pingan.judgement (district_code, period_type, period_start);

COMMENT ON TABLE pingan.judgement IS
    'Every target at the city, every district and towns, for every judged period, kept current by the '
    'aggregation step. status is met | missed | at_risk on complete coverage, incomplete (verdict holds the '
    'provisional one), not_due, no_data or no_baseline. Rules: docs/sql.md, "Targets".';
