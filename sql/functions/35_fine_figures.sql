-- 35_fine_figures.sql - day and week figures, read from the current reports
-- rather than stored (they would only copy pingan.value). pingan.v_figure_fine
-- (sql/views/20_figures.sql) calls this once per period type asked for.

-- Day and week figures of the current revisions. A week is its own report
-- where one holds the indicator, else the sum (stocks: the latest) of its
-- day reports. first_* are the figures of the first revisions of the same
-- reports, without that derivation.
CREATE OR REPLACE FUNCTION pingan.fine_figures(p_type text)
RETURNS TABLE (indicator_code text, level text, area_code text, district_code text, period_type text,
               period_start date, period_end date, count_sum bigint, numerator_sum numeric,
               denominator_sum numeric, first_count_sum bigint, first_numerator_sum numeric,
               first_denominator_sum numeric, has_current boolean, has_first boolean, reports int,
               revised int, source_types text[], direct boolean)
LANGUAGE sql STABLE
-- Not inlined (the SET clause sees to it): inlined, its estimated cost made
-- the planner JIT-compile every query on v_figure, 1.6 s for a month's trend.
-- SECURITY DEFINER: an analyst (pingan_analyst, sql/015_roles.sql) reads it
-- through v_figure_fine without being granted the report and value tables.
SET jit = off ROWS 100000
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
WITH
rep AS (
    SELECT r.id, r.district_code, r.period_type, r.period_start, r.period_end,
           r.revision = max(r.revision) OVER w AS is_cur,
           r.revision = min(r.revision) OVER w AS is_first,
           r.revision > min(r.revision) OVER w AS revised
    FROM pingan.report AS r
    WHERE r.period_type IN ('day', p_type)
    WINDOW w AS (PARTITION BY r.district_code, r.period_type, r.period_start)),
val AS (
    SELECT rep.*, v.indicator_code, v.town_code, v.count, v.numerator::numeric AS num,
           v.denominator::numeric AS den
    FROM rep JOIN pingan.value AS v ON v.report_pk = rep.id
    WHERE rep.is_cur OR rep.is_first),
fig AS (
    SELECT x.id, x.district_code, x.period_type, x.period_start, x.is_cur, x.is_first, x.revised,
           'town'::text AS level, x.town_code AS area_code, x.indicator_code, x.count, x.num, x.den
    FROM val AS x WHERE x.town_code IS NOT NULL
    UNION ALL
    SELECT x.id, x.district_code, x.period_type, x.period_start, x.is_cur, x.is_first, x.revised,
           'district', x.district_code, x.indicator_code,
           CASE WHEN bool_or(x.town_code IS NULL) THEN sum(x.count) FILTER (WHERE x.town_code IS NULL)
                ELSE sum(x.count) END::bigint,
           CASE WHEN bool_or(x.town_code IS NULL) THEN sum(x.num) FILTER (WHERE x.town_code IS NULL)
                ELSE sum(x.num) END,
           CASE WHEN bool_or(x.town_code IS NULL) THEN sum(x.den) FILTER (WHERE x.town_code IS NULL)
                ELSE sum(x.den) END
    FROM val AS x
    GROUP BY x.id, x.district_code, x.period_type, x.period_start, x.is_cur, x.is_first, x.revised,
             x.indicator_code),
piece AS (
    SELECT f.*, f.period_type AS ptype, f.period_start AS pstart, true AS direct FROM fig AS f
    UNION ALL
    SELECT f.*, 'week', date_trunc('week', f.period_start)::date, false
    FROM fig AS f
    WHERE p_type = 'week' AND f.period_type = 'day' AND f.is_cur
      AND NOT EXISTS (SELECT 1 FROM fig AS w
                      WHERE w.period_type = 'week' AND w.is_cur AND w.district_code = f.district_code
                        AND w.period_start = date_trunc('week', f.period_start)::date
                        AND w.indicator_code = f.indicator_code)),
latest AS (
    SELECT p.*, i.aggregation,
           max(p.period_start) FILTER (WHERE p.is_cur)
               OVER (PARTITION BY p.ptype, p.pstart, p.level, p.area_code, p.indicator_code) AS last_start
    FROM piece AS p JOIN pingan.indicator AS i ON i.code = p.indicator_code
    WHERE p.direct OR p.is_cur)
SELECT l.indicator_code, l.level, l.area_code, l.district_code, l.ptype AS period_type,
       l.pstart AS period_start, pingan.period_end(l.ptype, l.pstart) AS period_end,
       sum(l.count) FILTER (WHERE l.is_cur AND (l.aggregation = 'flow' OR l.period_start = l.last_start))::bigint
           AS count_sum,
       sum(l.num) FILTER (WHERE l.is_cur AND (l.aggregation = 'flow' OR l.period_start = l.last_start))
           AS numerator_sum,
       sum(l.den) FILTER (WHERE l.is_cur AND (l.aggregation = 'flow' OR l.period_start = l.last_start))
           AS denominator_sum,
       sum(l.count) FILTER (WHERE l.is_first AND l.direct)::bigint AS first_count_sum,
       sum(l.num) FILTER (WHERE l.is_first AND l.direct) AS first_numerator_sum,
       sum(l.den) FILTER (WHERE l.is_first AND l.direct) AS first_denominator_sum,
       bool_or(l.is_cur) AS has_current, bool_or(l.is_first) AS has_first,
       count(DISTINCT l.id) FILTER (WHERE l.is_cur)::int AS reports,
       count(DISTINCT l.id) FILTER (WHERE l.is_cur AND l.revised)::int AS revised,
       array_agg(DISTINCT l.period_type) FILTER (WHERE l.is_cur) AS source_types,
       bool_or(l.direct AND l.is_cur) AS direct
FROM latest AS l
WHERE l.ptype = p_type
GROUP BY l.indicator_code, l.level, l.area_code, l.district_code, l.ptype, l.pstart
$$;

