-- 006_aggregate.sql - aggregation over space (town -> district; the city is a
-- sum of districts, computed in the views of 008) and over time (day -> week,
-- day -> month -> quarter -> year), kept in pingan.aggregate. It owns
-- pingan.aggregate, pingan.aggregate_reports (called by the worker inside each
-- batch transaction with the ids of the reports it stored) and
-- pingan.rebuild_aggregates. Targets are judged in 007, views are in 008.
--
-- The rule (docs/sql.md, "Aggregation"), for each district, indicator and
-- period P:
--   1. a report made directly at P that holds the indicator wins (its highest
--      revision; a correction replaces the earlier figures);
--   2. otherwise P is built from its child periods, each resolved by the same
--      rule: a week from its days, a month from its days, a quarter from its
--      months, a year from its quarters. ISO weeks do not nest into months,
--      so weeks never build anything. Flows sum the children; stocks take
--      the latest child that has the indicator.
-- Within one report, the district figure of an indicator is its district-level
-- value (town empty) when the report has one, else the sum of its towns.
-- Counts sum; ratios keep numerator and denominator sums, never a mean of rates.
--
-- Concurrency: all rows of a district are written only under the advisory
-- lock (5005, district code), taken in district order, so workers never
-- interleave on a district and never lose an update. A district is recomputed
-- from the committed reports once its lock is held, so the result does not
-- depend on arrival order, and rebuild_aggregates() gives identical rows.

CREATE TABLE pingan.aggregate (
    level                 text             NOT NULL CHECK (level IN ('town', 'district')),
    area_code             text             NOT NULL,
    district_code         text             NOT NULL,
    indicator_code        text             NOT NULL,
    period_type           text             NOT NULL
                                           CHECK (period_type IN ('day', 'week', 'month', 'quarter', 'year')),
    period_start          date             NOT NULL,
    period_end            date             NOT NULL,
    count_sum             bigint           NULL,
    numerator_sum         double precision NULL,
    denominator_sum       double precision NULL,
    first_count_sum       bigint           NULL,
    first_numerator_sum   double precision NULL,
    first_denominator_sum double precision NULL,
    has_current           boolean          NOT NULL,
    has_first             boolean          NOT NULL,
    reports               int              NOT NULL,
    revised               int              NOT NULL,
    source_types          text[]           NOT NULL,
    direct                boolean          NOT NULL,
    PRIMARY KEY (indicator_code, period_type, period_start, level, area_code)
);

CREATE INDEX aggregate_district_period_idx ON pingan.aggregate (district_code, period_type, period_start);

COMMENT ON TABLE pingan.aggregate IS
    'Figures per town and district, indicator and period (day, week, month, quarter, year), as current '
    '(highest revisions) and as first reported (first revisions). Written only by aggregate_reports and '
    'rebuild_aggregates; the city level is the sum of district rows (pingan.v_figure).';
COMMENT ON COLUMN pingan.aggregate.level IS 'town or district';
COMMENT ON COLUMN pingan.aggregate.area_code IS 'town code or district code';
COMMENT ON COLUMN pingan.aggregate.count_sum IS 'count indicators: the figure; null for ratios or when has_current is false';
COMMENT ON COLUMN pingan.aggregate.numerator_sum IS 'ratio indicators: sum of numerators (rate = numerator_sum / denominator_sum)';
COMMENT ON COLUMN pingan.aggregate.first_count_sum IS
    'the same figure built from the first revision of every report (as first reported, before corrections)';
COMMENT ON COLUMN pingan.aggregate.has_current IS 'false when only the first revisions had this area and indicator (a correction removed it)';
COMMENT ON COLUMN pingan.aggregate.has_first IS 'false when only corrections have this area and indicator';
COMMENT ON COLUMN pingan.aggregate.reports IS 'number of district reports (current revisions) the figure is built from';
COMMENT ON COLUMN pingan.aggregate.revised IS 'how many of those are corrections (revision above the first stored)';
COMMENT ON COLUMN pingan.aggregate.source_types IS 'period types of those reports, finest first: the source of the figure';
COMMENT ON COLUMN pingan.aggregate.direct IS 'true when a report made at this very period gave the figure';

-- ---------------------------------------------------------------------------
-- Periods
-- ---------------------------------------------------------------------------

CREATE FUNCTION pingan.period_rank(p_type text) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE p_type WHEN 'day' THEN 1 WHEN 'week' THEN 2 WHEN 'month' THEN 3
                       WHEN 'quarter' THEN 4 WHEN 'year' THEN 5 END
$$;

-- First day after the period starting at p_start.
CREATE FUNCTION pingan.period_end(p_type text, p_start date) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE p_type
        WHEN 'day' THEN p_start + 1
        WHEN 'week' THEN p_start + 7
        WHEN 'month' THEN (p_start + interval '1 month')::date
        WHEN 'quarter' THEN (p_start + interval '3 months')::date
        WHEN 'year' THEN (p_start + interval '1 year')::date
    END
$$;

-- The period of type p_type containing day p_day (weeks: ISO, Monday).
CREATE FUNCTION pingan.period_containing(p_type text, p_day date) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE p_type WHEN 'day' THEN p_day
                       ELSE date_trunc(p_type, p_day::timestamp)::date END
$$;

-- The child period type a period is built from; null for a day.
CREATE FUNCTION pingan.period_child(p_type text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE p_type WHEN 'week' THEN 'day' WHEN 'month' THEN 'day'
                       WHEN 'quarter' THEN 'month' WHEN 'year' THEN 'quarter' END
$$;

-- The coarser periods a report at (p_type, p_start) feeds, itself included.
CREATE FUNCTION pingan.period_ancestors(p_type text, p_start date)
RETURNS TABLE (period_type text, period_start date)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT t, pingan.period_containing(t, p_start)
    FROM unnest(CASE p_type
                    WHEN 'day' THEN ARRAY['day', 'week', 'month', 'quarter', 'year']
                    WHEN 'week' THEN ARRAY['week']
                    WHEN 'month' THEN ARRAY['month', 'quarter', 'year']
                    WHEN 'quarter' THEN ARRAY['quarter', 'year']
                    ELSE ARRAY['year'] END) AS t
$$;

-- source_types as a bit mask and back, to take unions inside GROUP BY. Plain
-- expressions, so that the planner inlines them (they run once per child row).
CREATE FUNCTION pingan.types_mask(p_types text[]) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (CASE WHEN 'day' = ANY (p_types) THEN 2 ELSE 0 END)
         | (CASE WHEN 'week' = ANY (p_types) THEN 4 ELSE 0 END)
         | (CASE WHEN 'month' = ANY (p_types) THEN 8 ELSE 0 END)
         | (CASE WHEN 'quarter' = ANY (p_types) THEN 16 ELSE 0 END)
         | (CASE WHEN 'year' = ANY (p_types) THEN 32 ELSE 0 END)
$$;

CREATE FUNCTION pingan.mask_types(p_mask int) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_remove(ARRAY[CASE WHEN p_mask & 2 <> 0 THEN 'day' END,
                              CASE WHEN p_mask & 4 <> 0 THEN 'week' END,
                              CASE WHEN p_mask & 8 <> 0 THEN 'month' END,
                              CASE WHEN p_mask & 16 <> 0 THEN 'quarter' END,
                              CASE WHEN p_mask & 32 <> 0 THEN 'year' END], NULL)
$$;

-- ---------------------------------------------------------------------------
-- Resolution
-- ---------------------------------------------------------------------------

-- What one report contributes: a row per town value, and a district row per
-- indicator (its district-level value, else the sum of its towns).
CREATE FUNCTION pingan.report_figures(p_report_pk bigint)
RETURNS TABLE (level text, area_code text, indicator_code text,
               count_sum bigint, numerator_sum double precision, denominator_sum double precision)
LANGUAGE sql STABLE AS $$
    SELECT 'town', v.town_code, v.indicator_code, v.count, v.numerator, v.denominator
    FROM pingan.value AS v
    WHERE v.report_pk = p_report_pk AND v.town_code IS NOT NULL
    UNION ALL
    SELECT 'district', r.district_code, v.indicator_code,
           CASE WHEN bool_or(v.town_code IS NULL)
                THEN sum(v.count) FILTER (WHERE v.town_code IS NULL)
                ELSE sum(v.count) END::bigint,
           CASE WHEN bool_or(v.town_code IS NULL)
                THEN sum(v.numerator::numeric) FILTER (WHERE v.town_code IS NULL)
                ELSE sum(v.numerator::numeric) END::double precision,
           CASE WHEN bool_or(v.town_code IS NULL)
                THEN sum(v.denominator::numeric) FILTER (WHERE v.town_code IS NULL)
                ELSE sum(v.denominator::numeric) END::double precision
    FROM pingan.value AS v
    JOIN pingan.report AS r ON r.id = v.report_pk
    WHERE v.report_pk = p_report_pk
    GROUP BY r.district_code, v.indicator_code
$$;

-- Recomputes every row of one district and period from the stored reports
-- and the (already recomputed) rows of the child periods. The caller holds
-- the district's lock and calls it children first. Sums go through numeric
-- so that the result does not depend on the order rows are read in.
CREATE FUNCTION pingan.recompute_period(p_district text, p_type text, p_start date)
RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_end   date := pingan.period_end(p_type, p_start);
    v_child text := pingan.period_child(p_type);
    v_cur   pingan.report;
    v_first pingan.report;
BEGIN
    DELETE FROM pingan.aggregate AS a
    WHERE a.district_code = p_district AND a.period_type = p_type AND a.period_start = p_start;

    SELECT * INTO v_cur FROM pingan.report AS r
    WHERE r.district_code = p_district AND r.period_type = p_type AND r.period_start = p_start
    ORDER BY r.revision DESC LIMIT 1;
    SELECT * INTO v_first FROM pingan.report AS r
    WHERE r.district_code = p_district AND r.period_type = p_type AND r.period_start = p_start
    ORDER BY r.revision ASC LIMIT 1;

    INSERT INTO pingan.aggregate
        (level, area_code, district_code, indicator_code, period_type, period_start, period_end,
         count_sum, numerator_sum, denominator_sum,
         first_count_sum, first_numerator_sum, first_denominator_sum,
         has_current, has_first, reports, revised, source_types, direct)
    WITH
    direct_cur AS (
        SELECT f.* FROM pingan.report_figures(v_cur.id) AS f WHERE v_cur.id IS NOT NULL),
    direct_first AS (
        SELECT f.* FROM pingan.report_figures(v_first.id) AS f WHERE v_first.id IS NOT NULL),
    child AS (
        SELECT c.*, i.aggregation
        FROM pingan.aggregate AS c
        JOIN pingan.indicator AS i ON i.code = c.indicator_code
        WHERE v_child IS NOT NULL
          AND c.district_code = p_district AND c.period_type = v_child
          AND c.period_start >= p_start AND c.period_start < v_end),
    -- Stocks: the latest child period holding the indicator, per variant.
    latest AS (
        SELECT c.indicator_code,
               max(c.period_start) FILTER (WHERE c.has_current) AS cur_start,
               max(c.period_start) FILTER (WHERE c.has_first) AS first_start
        FROM child AS c
        WHERE c.aggregation = 'stock' AND c.level = 'district'
        GROUP BY c.indicator_code),
    built_cur AS (
        SELECT c.level, c.area_code, c.indicator_code,
               sum(c.count_sum)::bigint AS count_sum,
               sum(c.numerator_sum::numeric)::double precision AS numerator_sum,
               sum(c.denominator_sum::numeric)::double precision AS denominator_sum,
               sum(c.reports)::int AS reports, sum(c.revised)::int AS revised,
               bit_or(pingan.types_mask(c.source_types)) AS mask
        FROM child AS c
        LEFT JOIN latest AS l ON l.indicator_code = c.indicator_code
        WHERE c.has_current
          AND (c.aggregation = 'flow' OR c.period_start = l.cur_start)
          AND NOT EXISTS (SELECT 1 FROM direct_cur AS d WHERE d.indicator_code = c.indicator_code)
        GROUP BY c.level, c.area_code, c.indicator_code),
    built_first AS (
        SELECT c.level, c.area_code, c.indicator_code,
               sum(c.first_count_sum)::bigint AS count_sum,
               sum(c.first_numerator_sum::numeric)::double precision AS numerator_sum,
               sum(c.first_denominator_sum::numeric)::double precision AS denominator_sum
        FROM child AS c
        LEFT JOIN latest AS l ON l.indicator_code = c.indicator_code
        WHERE c.has_first
          AND (c.aggregation = 'flow' OR c.period_start = l.first_start)
          AND NOT EXISTS (SELECT 1 FROM direct_first AS d WHERE d.indicator_code = c.indicator_code)
        GROUP BY c.level, c.area_code, c.indicator_code),
    cur AS (
        SELECT d.level, d.area_code, d.indicator_code, d.count_sum, d.numerator_sum,
               d.denominator_sum, 1 AS reports, (v_cur.id <> v_first.id)::int AS revised,
               pingan.types_mask(ARRAY[p_type]) AS mask, true AS direct
        FROM direct_cur AS d
        UNION ALL
        SELECT b.level, b.area_code, b.indicator_code, b.count_sum, b.numerator_sum,
               b.denominator_sum, b.reports, b.revised, b.mask, false
        FROM built_cur AS b),
    fst AS (
        SELECT d.level, d.area_code, d.indicator_code, d.count_sum, d.numerator_sum, d.denominator_sum
        FROM direct_first AS d
        UNION ALL
        SELECT b.level, b.area_code, b.indicator_code, b.count_sum, b.numerator_sum, b.denominator_sum
        FROM built_first AS b)
    SELECT coalesce(c.level, f.level), coalesce(c.area_code, f.area_code), p_district,
           coalesce(c.indicator_code, f.indicator_code), p_type, p_start, v_end,
           c.count_sum, c.numerator_sum, c.denominator_sum,
           f.count_sum, f.numerator_sum, f.denominator_sum,
           c.level IS NOT NULL, f.level IS NOT NULL,
           coalesce(c.reports, 0), coalesce(c.revised, 0),
           pingan.mask_types(coalesce(c.mask, 0)), coalesce(c.direct, false)
    FROM cur AS c
    FULL JOIN fst AS f
      ON f.level = c.level AND f.area_code = c.area_code AND f.indicator_code = c.indicator_code;
END
$$;

-- The same as recompute_period for many days at once (days have no
-- children, so each is its report's figures): one statement per batch
-- instead of one call per day report.
CREATE FUNCTION pingan.recompute_days(p_district text[], p_start date[])
RETURNS void
LANGUAGE sql VOLATILE AS $$
    DELETE FROM pingan.aggregate AS a
    USING unnest(p_district, p_start) AS k(district, period_start)
    WHERE a.district_code = k.district AND a.period_type = 'day' AND a.period_start = k.period_start;

    INSERT INTO pingan.aggregate
        (level, area_code, district_code, indicator_code, period_type, period_start, period_end,
         count_sum, numerator_sum, denominator_sum,
         first_count_sum, first_numerator_sum, first_denominator_sum,
         has_current, has_first, reports, revised, source_types, direct)
    WITH
    k AS (SELECT DISTINCT u.district, u.period_start FROM unnest(p_district, p_start) AS u(district, period_start)),
    cur AS (
        SELECT DISTINCT ON (r.district_code, r.period_start) r.id, r.district_code, r.period_start
        FROM pingan.report AS r
        JOIN k ON k.district = r.district_code AND k.period_start = r.period_start
        WHERE r.period_type = 'day'
        ORDER BY r.district_code, r.period_start, r.revision DESC),
    fst AS (
        SELECT DISTINCT ON (r.district_code, r.period_start) r.id, r.district_code, r.period_start
        FROM pingan.report AS r
        JOIN k ON k.district = r.district_code AND k.period_start = r.period_start
        WHERE r.period_type = 'day'
        ORDER BY r.district_code, r.period_start, r.revision ASC),
    c AS (
        SELECT cur.district_code, cur.period_start, (cur.id <> fst.id)::int AS revised, f.*
        FROM cur
        JOIN fst ON fst.district_code = cur.district_code AND fst.period_start = cur.period_start
        CROSS JOIN LATERAL pingan.report_figures(cur.id) AS f),
    fi AS (
        SELECT fst.district_code, fst.period_start, f.*
        FROM fst
        CROSS JOIN LATERAL pingan.report_figures(fst.id) AS f)
    SELECT coalesce(c.level, fi.level), coalesce(c.area_code, fi.area_code),
           coalesce(c.district_code, fi.district_code), coalesce(c.indicator_code, fi.indicator_code),
           'day', coalesce(c.period_start, fi.period_start), coalesce(c.period_start, fi.period_start) + 1,
           c.count_sum, c.numerator_sum, c.denominator_sum,
           fi.count_sum, fi.numerator_sum, fi.denominator_sum,
           c.level IS NOT NULL, fi.level IS NOT NULL,
           CASE WHEN c.level IS NOT NULL THEN 1 ELSE 0 END, coalesce(c.revised, 0),
           CASE WHEN c.level IS NOT NULL THEN ARRAY['day'] ELSE '{}'::text[] END, c.level IS NOT NULL
    FROM c
    FULL JOIN fi
      ON fi.district_code = c.district_code AND fi.period_start = c.period_start
     AND fi.level = c.level AND fi.area_code = c.area_code AND fi.indicator_code = c.indicator_code;
$$;

-- Takes the aggregation locks of the given districts, in code order.
CREATE FUNCTION pingan.lock_districts(p_districts text[]) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_d text;
BEGIN
    FOR v_d IN SELECT DISTINCT d FROM unnest(p_districts) AS d ORDER BY d LOOP
        PERFORM pg_catalog.pg_advisory_xact_lock(5005, v_d::int);
    END LOOP;
END
$$;

-- Recomputes the given district periods and everything they feed, children
-- first. Each district's lock must already be held.
CREATE FUNCTION pingan.recompute_periods(p_district text[], p_type text[], p_start date[])
RETURNS int
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_k record;
    v_n int := 0;
BEGIN
    -- Days first, all at once; then the rest, children before parents.
    PERFORM pingan.recompute_days(array_agg(k.district), array_agg(k.period_start))
    FROM unnest(p_district, p_type, p_start) AS k(district, period_type, period_start)
    WHERE k.period_type = 'day'
    HAVING count(*) > 0;
    FOR v_k IN
        SELECT DISTINCT pingan.period_rank(a.period_type) AS rank, k.district, a.period_type,
               a.period_start
        FROM unnest(p_district, p_type, p_start) AS k(district, period_type, period_start)
        CROSS JOIN LATERAL pingan.period_ancestors(k.period_type, k.period_start) AS a
        WHERE a.period_type <> 'day'
        ORDER BY 1, 2, 4
    LOOP
        PERFORM pingan.recompute_period(v_k.district, v_k.period_type, v_k.period_start);
        v_n := v_n + 1;
    END LOOP;
    RETURN v_n;
END
$$;

-- The worker's call: p_report_pks are the pingan.report ids stored in this
-- batch (their values already copied). Runs in the batch transaction.
CREATE OR REPLACE FUNCTION pingan.aggregate_reports(p_report_pks bigint[])
RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_d text[];
    v_t text[];
    v_s date[];
BEGIN
    SELECT array_agg(r.district_code), array_agg(r.period_type), array_agg(r.period_start)
    INTO v_d, v_t, v_s
    FROM pingan.report AS r
    WHERE r.id = ANY (p_report_pks);
    IF v_d IS NULL THEN
        RETURN;
    END IF;
    PERFORM pingan.lock_districts(v_d);
    -- Statements from here on see every report committed before the locks were granted.
    PERFORM pingan.recompute_periods(v_d, v_t, v_s);
END
$$;

COMMENT ON FUNCTION pingan.aggregate_reports(bigint[]) IS
    'Folds newly stored reports into pingan.aggregate: locks their districts (in code order) and '
    'recomputes their periods and every coarser period they feed. Called by the worker in the batch transaction.';

-- Recomputes every aggregate from the stored reports. Returns the number of
-- aggregate rows. Blocks aggregation by workers while it runs.
CREATE FUNCTION pingan.rebuild_aggregates() RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_d text[];
    v_t text[];
    v_s date[];
    v_n bigint;
BEGIN
    PERFORM pingan.lock_districts(ARRAY(SELECT code FROM pingan.district));
    DELETE FROM pingan.aggregate;
    SELECT array_agg(k.district_code), array_agg(k.period_type), array_agg(k.period_start)
    INTO v_d, v_t, v_s
    FROM (SELECT DISTINCT r.district_code, r.period_type, r.period_start FROM pingan.report AS r) AS k;
    IF v_d IS NOT NULL THEN
        PERFORM pingan.recompute_periods(v_d, v_t, v_s);
    END IF;
    SELECT count(*) INTO v_n FROM pingan.aggregate;
    RETURN v_n;
END
$$;

COMMENT ON FUNCTION pingan.rebuild_aggregates() IS
    'Deletes and recomputes every row of pingan.aggregate from pingan.report and pingan.value; '
    'the result equals what incremental aggregation produced. Returns the number of rows.';
