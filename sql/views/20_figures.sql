-- 20_figures.sql - every figure at every level: the maintained month,
-- quarter and year figures of pingan.figure, and day and week figures read
-- from the current reports (they would only copy pingan.value). Trends and
-- restatements are views over it.

-- Day and week figures of the current revisions. A week is its own report
-- where one holds the indicator, else the sum (stocks: the latest) of its
-- day reports. first_* are the figures of the first revisions of the same
-- reports, without that derivation.
CREATE VIEW pingan.v_figure_fine AS
WITH
rep AS (
    SELECT r.id, r.district_code, r.period_type, r.period_start, r.period_end,
           r.revision = max(r.revision) OVER w AS is_cur,
           r.revision = min(r.revision) OVER w AS is_first,
           r.revision > min(r.revision) OVER w AS revised
    FROM pingan.report AS r
    WHERE r.period_type IN ('day', 'week')
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
    WHERE f.period_type = 'day' AND f.is_cur
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
GROUP BY l.indicator_code, l.level, l.area_code, l.district_code, l.ptype, l.pstart;

COMMENT ON VIEW pingan.v_figure_fine IS
    'Day and week figures per town and district, computed from the current reports (not stored).';

CREATE VIEW pingan.v_figure AS
SELECT f.indicator_code, f.level, f.area_code, f.district_code, f.period_type, f.period_start,
       f.period_end, f.count_sum::numeric AS count_sum, f.numerator_sum, f.denominator_sum,
       coalesce(f.count_sum::numeric, f.numerator_sum / nullif(f.denominator_sum, 0)) AS value,
       f.first_count_sum::numeric AS first_count_sum, f.first_numerator_sum, f.first_denominator_sum,
       coalesce(f.first_count_sum::numeric, f.first_numerator_sum / nullif(f.first_denominator_sum, 0))
           AS first_value,
       f.has_current, f.has_first, f.reports, f.revised, f.source_types, f.direct,
       f.covered_days, f.period_days, f.towns, f.towns_expected, f.districts, f.complete_districts
FROM pingan.figure AS f
UNION ALL
SELECT x.indicator_code, x.level, x.area_code, x.district_code, x.period_type, x.period_start,
       x.period_end, x.count_sum::numeric, x.numerator_sum, x.denominator_sum,
       coalesce(x.count_sum::numeric, x.numerator_sum / nullif(x.denominator_sum, 0)),
       x.first_count_sum::numeric, x.first_numerator_sum, x.first_denominator_sum,
       coalesce(x.first_count_sum::numeric, x.first_numerator_sum / nullif(x.first_denominator_sum, 0)),
       x.has_current, x.has_first, x.reports, x.revised, x.source_types, x.direct,
       NULL, x.period_end - x.period_start, NULL, NULL, NULL, NULL
FROM pingan.v_figure_fine AS x;

COMMENT ON VIEW pingan.v_figure IS
    'Every figure at town, district and city level (city = 500000, the sum of the districts; days and weeks '
    'for towns and districts only). value = count, or numerator_sum / denominator_sum; first_* as first '
    'reported; has_current false when a correction removed the figure; coverage columns from pingan.figure.';

CREATE VIEW pingan.v_trend AS
SELECT f.indicator_code, f.level, f.area_code, f.period_type, f.period_start,
       f.count_sum, f.numerator_sum, f.denominator_sum, f.value,
       f.period_end, f.first_value, f.value IS DISTINCT FROM f.first_value AS restated,
       f.reports, f.source_types, f.covered_days, f.period_days
FROM pingan.v_figure AS f
WHERE f.has_current;

COMMENT ON VIEW pingan.v_trend IS
    'Every current figure by indicator, level (town, district, city), area and period: count_sum, or '
    'numerator_sum / denominator_sum as value. first_value is the figure as first reported; restated when it differs.';

CREATE VIEW pingan.v_restatement AS
SELECT f.indicator_code, f.level, f.area_code, f.period_type, f.period_start,
       f.first_value, CASE WHEN f.has_current THEN f.value END AS current_value,
       CASE WHEN f.has_current THEN f.value END - f.first_value AS change,
       f.first_count_sum, f.first_numerator_sum, f.first_denominator_sum,
       f.count_sum, f.numerator_sum, f.denominator_sum, f.revised, f.source_types
FROM pingan.v_figure AS f
WHERE f.period_type IN ('month', 'quarter', 'year') AND ( f.has_current IS DISTINCT FROM f.has_first
   OR f.count_sum IS DISTINCT FROM f.first_count_sum
   OR f.numerator_sum IS DISTINCT FROM f.first_numerator_sum
   OR f.denominator_sum IS DISTINCT FROM f.first_denominator_sum);

COMMENT ON VIEW pingan.v_restatement IS
    'Month, quarter and year figures changed by corrections: as first reported and as corrected.';
