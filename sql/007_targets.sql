-- 007_targets.sql - judging the 2024 targets: settings (the "as of" day and
-- the on-time rule), baselines loaded from a file, figures at every level
-- (pingan.v_figure adds the city as the sum of districts) and the target
-- evaluation (pingan.v_target_status). Reads pingan.aggregate (006); writes
-- nothing but pingan.settings and pingan.baseline. Rules: docs/sql.md,
-- "Targets".

-- ---------------------------------------------------------------------------
-- Settings
-- ---------------------------------------------------------------------------

CREATE TABLE pingan.settings (
    id           boolean PRIMARY KEY DEFAULT true CHECK (id),
    on_time_days int     NOT NULL DEFAULT 7 CHECK (on_time_days >= 0),
    time_zone    text    NOT NULL DEFAULT 'Asia/Shanghai',
    as_of        date    NULL
);

INSERT INTO pingan.settings DEFAULT VALUES;

COMMENT ON TABLE pingan.settings IS 'One row: reporting rules used by the target and completeness views.';
COMMENT ON COLUMN pingan.settings.on_time_days IS
    'a report is on time when its first revision is received before the end of this many days after the period '
    '(local time): period_end + on_time_days at 00:00';
COMMENT ON COLUMN pingan.settings.time_zone IS 'the local time of the districts (China time)';
COMMENT ON COLUMN pingan.settings.as_of IS
    'last day the views consider elapsed; null = yesterday in time_zone. Periods ending after it are in progress';

-- The last elapsed day: settings.as_of, or yesterday in China time.
CREATE FUNCTION pingan.as_of() RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT coalesce(s.as_of, (now() AT TIME ZONE s.time_zone)::date - 1) FROM pingan.settings AS s
$$;

-- A period id as on the wire ('2023', '2023-Q1', '2023-03', '2023-W09',
-- '2023-03-05') as (period_type, period_start); raises on anything else.
CREATE FUNCTION pingan.period_parse(p_id text, OUT period_type text, OUT period_start date)
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF p_id ~ '^[0-9]{4}$' THEN
        period_type := 'year'; period_start := make_date(p_id::int, 1, 1);
    ELSIF p_id ~ '^[0-9]{4}-Q[1-4]$' THEN
        period_type := 'quarter';
        period_start := make_date(left(p_id, 4)::int, 3 * right(p_id, 1)::int - 2, 1);
    ELSIF p_id ~ '^[0-9]{4}-[0-9]{2}$' THEN
        period_type := 'month'; period_start := make_date(left(p_id, 4)::int, right(p_id, 2)::int, 1);
    ELSIF p_id ~ '^[0-9]{4}-W[0-9]{2}$' THEN
        period_type := 'week';
        period_start := to_date(left(p_id, 4) || '-' || right(p_id, 2) || '-1', 'IYYY-IW-ID');
    ELSIF p_id ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN
        period_type := 'day'; period_start := p_id::date;
    ELSE
        RAISE EXCEPTION 'period "%" is not YYYY, YYYY-Qn, YYYY-MM, YYYY-Www or YYYY-MM-DD', p_id
            USING ERRCODE = 'invalid_datetime_format';
    END IF;
END
$$;

-- ---------------------------------------------------------------------------
-- Baselines
-- ---------------------------------------------------------------------------

-- Figures of earlier periods from outside the reports (e.g. the official
-- 2023 statistics). Where a baseline row exists it is the reference of a
-- year-on-year target instead of the figure built from reports.
CREATE TABLE pingan.baseline (
    indicator_code text             NOT NULL REFERENCES pingan.indicator,
    level          text             NOT NULL CHECK (level IN ('city', 'district', 'town')),
    area_code      text             NOT NULL,
    period_type    text             NOT NULL
                                    CHECK (period_type IN ('day', 'week', 'month', 'quarter', 'year')),
    period_start   date             NOT NULL,
    count          bigint           NULL,
    numerator      double precision NULL,
    denominator    double precision NULL,
    note           text             NOT NULL DEFAULT '',
    loaded_at      timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (indicator_code, level, area_code, period_type, period_start),
    CONSTRAINT baseline_count_or_ratio CHECK (
        (count IS NOT NULL AND numerator IS NULL AND denominator IS NULL)
        OR (count IS NULL AND numerator IS NOT NULL AND denominator IS NOT NULL))
);

COMMENT ON TABLE pingan.baseline IS
    'Reference figures of earlier periods from outside the reports, loaded from CSV through '
    'pingan.baseline_load and pingan.load_baseline(). They take precedence over figures built from reports.';

-- The CSV as it comes: every column text, checked by load_baseline().
CREATE TABLE pingan.baseline_load (
    indicator   text NULL,
    level       text NULL,
    area        text NULL,
    period      text NULL,
    count       text NULL,
    numerator   text NULL,
    denominator text NULL,
    note        text NULL
);

COMMENT ON TABLE pingan.baseline_load IS
    'Staging for baseline CSV files: \copy pingan.baseline_load FROM ''file.csv'' WITH (FORMAT csv, HEADER true), '
    'then SELECT pingan.load_baseline().';

-- Moves the staged rows into pingan.baseline (replacing rows with the same
-- key) and empties the staging table. Returns the number of rows loaded.
-- Raises, loading nothing, on the first bad row.
CREATE FUNCTION pingan.load_baseline() RETURNS int
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_row  record;
    v_n    int := 0;
    v_type text;
    v_start date;
    v_area text;
BEGIN
    FOR v_row IN SELECT * FROM pingan.baseline_load LOOP
        IF NOT EXISTS (SELECT 1 FROM pingan.indicator AS i WHERE i.code = v_row.indicator) THEN
            RAISE EXCEPTION 'baseline: unknown indicator "%"', v_row.indicator
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        v_area := coalesce(v_row.area, '');
        IF v_row.level = 'city' THEN
            v_area := '500000';
        ELSIF v_row.level = 'district' THEN
            IF NOT EXISTS (SELECT 1 FROM pingan.district AS d WHERE d.code = v_area) THEN
                RAISE EXCEPTION 'baseline: unknown district "%"', v_area USING ERRCODE = 'invalid_parameter_value';
            END IF;
        ELSIF v_row.level = 'town' THEN
            IF NOT EXISTS (SELECT 1 FROM pingan.town AS t WHERE t.code = v_area) THEN
                RAISE EXCEPTION 'baseline: unknown town "%"', v_area USING ERRCODE = 'invalid_parameter_value';
            END IF;
        ELSE
            RAISE EXCEPTION 'baseline: level "%" is not city, district or town', v_row.level
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT p.period_type, p.period_start INTO v_type, v_start FROM pingan.period_parse(v_row.period) AS p;
        INSERT INTO pingan.baseline AS b
            (indicator_code, level, area_code, period_type, period_start, count, numerator, denominator, note)
        VALUES (v_row.indicator, v_row.level, v_area, v_type, v_start,
                nullif(v_row.count, '')::bigint, nullif(v_row.numerator, '')::double precision,
                nullif(v_row.denominator, '')::double precision, coalesce(v_row.note, ''))
        ON CONFLICT (indicator_code, level, area_code, period_type, period_start) DO UPDATE
        SET count = excluded.count, numerator = excluded.numerator, denominator = excluded.denominator,
            note = excluded.note, loaded_at = now();
        v_n := v_n + 1;
    END LOOP;
    DELETE FROM pingan.baseline_load;
    RETURN v_n;
END
$$;

-- ---------------------------------------------------------------------------
-- Figures at every level
-- ---------------------------------------------------------------------------

-- pingan.aggregate plus the city (code 500000) as the sum of its districts.
-- value is the count, or numerator_sum / denominator_sum; first_* are the
-- same figures as first reported (before corrections).
CREATE VIEW pingan.v_figure AS
SELECT a.indicator_code, a.level, a.area_code, a.district_code, a.period_type, a.period_start,
       a.period_end,
       a.count_sum::double precision AS count_sum, a.numerator_sum, a.denominator_sum,
       coalesce(a.count_sum::double precision, a.numerator_sum / nullif(a.denominator_sum, 0)) AS value,
       a.first_count_sum::double precision AS first_count_sum, a.first_numerator_sum,
       a.first_denominator_sum,
       coalesce(a.first_count_sum::double precision,
                a.first_numerator_sum / nullif(a.first_denominator_sum, 0)) AS first_value,
       a.has_current, a.has_first, a.reports, a.revised, a.source_types, a.direct
FROM pingan.aggregate AS a
UNION ALL
SELECT c.indicator_code, 'city', '500000', NULL, c.period_type, c.period_start, c.period_end,
       c.count_sum, c.numerator_sum, c.denominator_sum,
       coalesce(c.count_sum, c.numerator_sum / nullif(c.denominator_sum, 0)),
       c.first_count_sum, c.first_numerator_sum, c.first_denominator_sum,
       coalesce(c.first_count_sum, c.first_numerator_sum / nullif(c.first_denominator_sum, 0)),
       c.has_current, c.has_first, c.reports, c.revised, c.source_types, c.direct
FROM (SELECT a.indicator_code, a.period_type, a.period_start, a.period_end,
             sum(a.count_sum)::double precision AS count_sum,
             sum(a.numerator_sum::numeric)::double precision AS numerator_sum,
             sum(a.denominator_sum::numeric)::double precision AS denominator_sum,
             sum(a.first_count_sum)::double precision AS first_count_sum,
             sum(a.first_numerator_sum::numeric)::double precision AS first_numerator_sum,
             sum(a.first_denominator_sum::numeric)::double precision AS first_denominator_sum,
             bool_or(a.has_current) AS has_current, bool_or(a.has_first) AS has_first,
             sum(a.reports)::int AS reports, sum(a.revised)::int AS revised,
             pingan.mask_types(bit_or(pingan.types_mask(a.source_types))) AS source_types,
             bool_and(a.direct) AS direct
      FROM pingan.aggregate AS a
      WHERE a.level = 'district'
      GROUP BY a.indicator_code, a.period_type, a.period_start, a.period_end) AS c;

COMMENT ON VIEW pingan.v_figure IS
    'Every aggregate figure at town, district and city level (city = 500000, the sum of the districts). '
    'value = count, or numerator_sum / denominator_sum; first_* as first reported; has_current false when '
    'a correction removed the figure.';

-- The figures a reference is taken from: baselines first, then reports.
CREATE VIEW pingan.v_reference_figure AS
SELECT b.indicator_code, b.level, b.area_code, b.period_type, b.period_start,
       pingan.period_end(b.period_type, b.period_start) AS period_end,
       b.count::double precision AS count_sum, b.numerator AS numerator_sum,
       b.denominator AS denominator_sum, 'baseline'::text AS source
FROM pingan.baseline AS b
UNION ALL
SELECT f.indicator_code, f.level, f.area_code, f.period_type, f.period_start, f.period_end,
       f.count_sum, f.numerator_sum, f.denominator_sum, 'reports'
FROM pingan.v_figure AS f
WHERE f.has_current
  AND NOT EXISTS (SELECT 1 FROM pingan.baseline AS b
                  WHERE b.indicator_code = f.indicator_code AND b.level = f.level
                    AND b.area_code = f.area_code AND b.period_type = f.period_type
                    AND b.period_start = f.period_start);

COMMENT ON VIEW pingan.v_reference_figure IS
    'Figures usable as a reference: every baseline row, and every report figure without a baseline row for the same key.';

-- The figure of an area over [p_from, p_to), made of whole quarters and
-- whole months (a year to date: its complete quarters, then its complete
-- months). Flows sum the pieces; stocks take the latest piece. p_reference
-- reads v_reference_figure (baselines first) instead of v_figure.
CREATE FUNCTION pingan.span_figure(p_indicator text, p_level text, p_area text, p_from date, p_to date,
                                   p_reference boolean)
RETURNS TABLE (count_sum double precision, numerator_sum double precision,
               denominator_sum double precision, pieces int)
LANGUAGE sql STABLE AS $$
    WITH src AS (
        SELECT f.period_type, f.period_start, f.period_end, f.count_sum, f.numerator_sum, f.denominator_sum
        FROM pingan.v_figure AS f
        WHERE NOT p_reference AND f.has_current
          AND f.indicator_code = p_indicator AND f.level = p_level AND f.area_code = p_area
          AND f.period_type IN ('month', 'quarter') AND f.period_start >= p_from AND f.period_end <= p_to
        UNION ALL
        SELECT f.period_type, f.period_start, f.period_end, f.count_sum, f.numerator_sum, f.denominator_sum
        FROM pingan.v_reference_figure AS f
        WHERE p_reference
          AND f.indicator_code = p_indicator AND f.level = p_level AND f.area_code = p_area
          AND f.period_type IN ('month', 'quarter') AND f.period_start >= p_from AND f.period_end <= p_to),
    piece AS (
        SELECT s.* FROM src AS s WHERE s.period_type = 'quarter'
        UNION ALL
        SELECT s.* FROM src AS s
        WHERE s.period_type = 'month'
          AND NOT EXISTS (SELECT 1 FROM src AS q
                          WHERE q.period_type = 'quarter' AND q.period_start <= s.period_start
                            AND q.period_end > s.period_start)),
    stock AS (SELECT i.aggregation = 'stock' AS is_stock FROM pingan.indicator AS i WHERE i.code = p_indicator)
    SELECT CASE WHEN st.is_stock THEN l.count_sum ELSE sum(p.count_sum) END,
           CASE WHEN st.is_stock THEN l.numerator_sum ELSE sum(p.numerator_sum::numeric)::double precision END,
           CASE WHEN st.is_stock THEN l.denominator_sum ELSE sum(p.denominator_sum::numeric)::double precision END,
           count(*)::int
    FROM piece AS p
    CROSS JOIN stock AS st
    LEFT JOIN LATERAL (SELECT p2.count_sum, p2.numerator_sum, p2.denominator_sum FROM piece AS p2
                       ORDER BY p2.period_end DESC, pingan.period_rank(p2.period_type) LIMIT 1) AS l ON true
    GROUP BY st.is_stock, l.count_sum, l.numerator_sum, l.denominator_sum
    HAVING count(*) > 0
$$;

-- ---------------------------------------------------------------------------
-- Target evaluation
-- ---------------------------------------------------------------------------

-- Every target at the city, every district and every town with data (every
-- town for T7), for every year, quarter and ended month with data, as of
-- pingan.as_of(). A period still running (period_end > as_of + 1) is judged
-- on its complete months so far (ytd_*) and a projection. Rules, statuses
-- and the projection: docs/sql.md, "Targets".
CREATE VIEW pingan.v_target_status AS
WITH
cfg AS MATERIALIZED (SELECT pingan.as_of() AS as_of),
per AS (
    SELECT t.id AS target_id, t.indicator_code, t.rule, t.threshold AS t_threshold, t.level AS t_level,
           i.kind, i.aggregation, f.period_type, f.period_start, f.period_end, c.as_of,
           f.period_end > c.as_of + 1 AS in_progress,
           greatest(f.period_start,
                    least(f.period_end, date_trunc('month', (c.as_of + 1)::timestamp)::date)) AS ytd_end
    FROM pingan.target AS t
    JOIN pingan.indicator AS i ON i.code = t.indicator_code
    JOIN pingan.v_figure AS f ON f.indicator_code = t.indicator_code AND f.level = 'city'
    CROSS JOIN cfg AS c
    WHERE f.period_type IN ('month', 'quarter', 'year') AND f.period_start <= c.as_of
      AND (f.period_type <> 'month' OR f.period_end <= c.as_of + 1)),
area AS (
    SELECT 'city'::text AS level, '500000'::text AS area_code, '重庆市'::text AS area_name,
           NULL::text AS district_code, (SELECT count(*) FROM pingan.town)::int AS towns
    UNION ALL
    SELECT 'district', d.code, d.name_zh, d.code,
           (SELECT count(*) FROM pingan.town AS t WHERE t.district_code = d.code)::int
    FROM pingan.district AS d
    UNION ALL
    SELECT 'town', t.code, t.name_zh, t.district_code, 1 FROM pingan.town AS t),
pa AS (
    SELECT p.*, a.level, a.area_code, a.area_name, a.district_code, a.towns
    FROM per AS p
    JOIN area AS a
      ON a.level IN ('city', 'district')
      OR (a.level = 'town' AND p.rule <> 'max_per_district'
          AND (p.t_level = 'town'
               OR EXISTS (SELECT 1 FROM pingan.aggregate AS g
                          WHERE g.indicator_code = p.indicator_code AND g.period_type = p.period_type
                            AND g.period_start = p.period_start AND g.level = 'town'
                            AND g.area_code = a.area_code AND g.has_current)))),
fig AS (
    SELECT pa.*, x.count_sum, x.numerator_sum, x.denominator_sum, x.first_value, x.reports,
           x.source_types, r.count_sum AS r_count, r.numerator_sum AS r_num, r.denominator_sum AS r_den,
           y.count_sum AS y_count, y.numerator_sum AS y_num, y.denominator_sum AS y_den
    FROM pa
    LEFT JOIN LATERAL (
        SELECT f.count_sum, f.numerator_sum, f.denominator_sum, f.first_value, f.reports, f.source_types
        FROM pingan.v_figure AS f
        WHERE NOT pa.in_progress AND f.has_current
          AND f.indicator_code = pa.indicator_code AND f.level = pa.level AND f.area_code = pa.area_code
          AND f.period_type = pa.period_type AND f.period_start = pa.period_start
        UNION ALL
        SELECT s.count_sum, s.numerator_sum, s.denominator_sum, NULL, NULL, NULL
        FROM pingan.span_figure(pa.indicator_code, pa.level, pa.area_code, pa.period_start, pa.ytd_end,
                                false) AS s
        WHERE pa.in_progress) AS x ON true
    LEFT JOIN LATERAL (
        SELECT f.count_sum, f.numerator_sum, f.denominator_sum
        FROM pingan.v_reference_figure AS f
        WHERE pa.rule = 'yoy_decrease'
          AND f.indicator_code = pa.indicator_code AND f.level = pa.level AND f.area_code = pa.area_code
          AND f.period_type = pa.period_type
          AND f.period_start = (pa.period_start - interval '1 year')::date) AS r ON true
    LEFT JOIN LATERAL (
        SELECT s.count_sum, s.numerator_sum, s.denominator_sum
        FROM pingan.span_figure(pa.indicator_code, pa.level, pa.area_code,
                                (pa.period_start - interval '1 year')::date,
                                (pa.ytd_end - interval '1 year')::date, true) AS s
        WHERE pa.rule = 'yoy_decrease' AND pa.in_progress) AS y ON true),
val AS (
    SELECT fig.*,
           CASE WHEN kind = 'count' THEN count_sum ELSE numerator_sum / nullif(denominator_sum, 0) END AS x,
           CASE WHEN kind = 'count' THEN r_count ELSE r_num / nullif(r_den, 0) END AS ref,
           CASE WHEN kind = 'count' THEN y_count ELSE y_num / nullif(y_den, 0) END AS ytd_ref,
           CASE rule
               WHEN 'yoy_decrease' THEN
                   ((CASE WHEN kind = 'count' THEN r_count ELSE r_num / nullif(r_den, 0) END)::numeric
                    * (1 - t_threshold::numeric))::double precision
               WHEN 'all_towns' THEN CASE level WHEN 'city' THEN t_threshold ELSE towns END
               ELSE t_threshold
           END AS thr,
           (rule = 'max_count'
            AND EXISTS (SELECT 1 FROM pingan.aggregate AS g
                        WHERE g.indicator_code = fig.indicator_code AND g.count_sum > fig.t_threshold
                          AND g.period_start >= fig.period_start
                          AND g.period_end <= CASE WHEN fig.in_progress THEN fig.as_of + 1
                                                   ELSE fig.period_end END
                          AND (fig.level = 'city'
                               OR (fig.level = 'district' AND g.district_code = fig.area_code)
                               OR (fig.level = 'town' AND g.level = 'town'
                                   AND g.area_code = fig.area_code)))) AS occurred
    FROM fig),
proj AS (
    SELECT val.*,
           CASE WHEN NOT in_progress OR x IS NULL THEN NULL
                WHEN aggregation = 'stock' OR kind = 'ratio' THEN x
                WHEN rule = 'yoy_decrease' AND ytd_ref > 0 AND ref IS NOT NULL THEN x / ytd_ref * ref
                ELSE x * (period_end - period_start) / nullif(ytd_end - period_start, 0)
           END AS projection
    FROM val),
unit AS (
    SELECT proj.*,
           CASE
               WHEN x IS NULL THEN 'no_data'
               WHEN rule = 'yoy_decrease' AND ref IS NULL THEN 'no_baseline'
               WHEN rule = 'yoy_decrease' THEN
                   CASE WHEN NOT in_progress THEN CASE WHEN x <= thr THEN 'met' ELSE 'missed' END
                        WHEN aggregation = 'flow' AND x > thr THEN 'missed'
                        WHEN projection > thr THEN 'at_risk'
                        ELSE 'met' END
               WHEN rule = 'max_count' THEN CASE WHEN x > thr OR occurred THEN 'missed' ELSE 'met' END
               WHEN rule IN ('min_ratio', 'all_towns') THEN
                   CASE WHEN x >= thr THEN 'met' WHEN in_progress THEN 'at_risk' ELSE 'missed' END
               ELSE CASE WHEN x <= thr THEN 'met' WHEN in_progress THEN 'at_risk' ELSE 'missed' END
           END AS status,
           -- counts in numeric, so that 36.9 - 26 is 10.9 and not 10.899999999999999
           CASE WHEN kind = 'ratio' AND rule = 'min_ratio' THEN x - thr
                ELSE (CASE WHEN rule IN ('min_ratio', 'all_towns') THEN x::numeric - thr::numeric
                           WHEN rule = 'yoy_decrease' THEN thr::numeric - coalesce(projection, x)::numeric
                           ELSE thr::numeric - x::numeric END)::double precision
           END AS margin
    FROM proj),
-- T7 rolls up as towns meeting it / towns; R1 at the city as districts meeting it / districts.
rollup AS (
    SELECT u.target_id, u.indicator_code, a.level, a.area_code, a.area_name, u.period_type,
           u.period_start, u.in_progress, u.ytd_end, u.rule,
           count(*) FILTER (WHERE u.status = 'met')::double precision AS met,
           count(u.x) AS with_data,
           CASE WHEN u.rule = 'max_per_district' THEN (SELECT count(*) FROM pingan.district)
                ELSE a.towns END::double precision AS units
    FROM unit AS u
    JOIN area AS a
      ON (a.level = 'city' OR (a.level = 'district' AND a.area_code = u.district_code))
    WHERE (u.rule = 'min_ratio' AND u.t_level = 'town' AND u.level = 'town')
       OR (u.rule = 'max_per_district' AND u.level = 'district' AND a.level = 'city')
    GROUP BY u.target_id, u.indicator_code, a.level, a.area_code, a.area_name, a.towns, u.period_type,
             u.period_start, u.in_progress, u.ytd_end, u.rule)
SELECT u.target_id, u.indicator_code, u.level, u.area_code, u.area_name, u.period_type, u.period_start,
       u.x AS actual, u.ref AS reference, u.thr AS threshold, u.status, u.margin,
       CASE WHEN u.in_progress THEN u.x END AS ytd_actual,
       CASE WHEN u.in_progress THEN u.ytd_ref END AS ytd_reference,
       u.projection,
       -- additions beyond the contract
       u.rule, u.in_progress, CASE WHEN u.in_progress THEN u.ytd_end END AS ytd_end,
       CASE WHEN NOT u.in_progress THEN u.first_value END AS first_actual,
       u.reports, u.source_types
FROM unit AS u
WHERE NOT ((u.rule = 'min_ratio' AND u.t_level = 'town' AND u.level <> 'town')
           OR (u.rule = 'max_per_district' AND u.level = 'city'))
UNION ALL
SELECT r.target_id, r.indicator_code, r.level, r.area_code, r.area_name, r.period_type, r.period_start,
       CASE WHEN r.with_data > 0 THEN r.met / r.units END, NULL, 1.0,
       CASE WHEN r.with_data = 0 THEN 'no_data' WHEN r.met >= r.units THEN 'met'
            WHEN r.in_progress THEN 'at_risk' ELSE 'missed' END,
       CASE WHEN r.with_data > 0 THEN (r.met::numeric / r.units::numeric - 1)::double precision END,
       CASE WHEN r.in_progress AND r.with_data > 0 THEN r.met / r.units END, NULL, NULL,
       r.rule, r.in_progress, CASE WHEN r.in_progress THEN r.ytd_end END, NULL, NULL, NULL
FROM rollup AS r;

COMMENT ON VIEW pingan.v_target_status IS
    'Each target (T1..T10, R1) at the city (500000), every district and towns, for every year, quarter and '
    'ended month with data, as of pingan.as_of(): actual, reference (yoy: same period a year earlier, '
    'baseline first), threshold (the absolute value actual is compared with), status '
    '(met|missed|at_risk|no_data|no_baseline) and margin (>= 0 when met). Running periods: ytd_*, projection.';
