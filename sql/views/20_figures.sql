-- 20_figures.sql - every figure at every level: the maintained month,
-- quarter and year figures of pingan.figure, and day and week figures read
-- from the current reports (they would only copy pingan.value). Trends and
-- restatements are views over it.

-- A filter on period_type reaches the VALUES list, so a query for months
-- never computes a day or a week.
CREATE VIEW pingan.v_figure_fine AS
SELECT x.indicator_code, x.level, x.area_code, x.district_code, t.period_type, x.period_start,
       x.period_end, x.count_sum, x.numerator_sum, x.denominator_sum, x.first_count_sum,
       x.first_numerator_sum, x.first_denominator_sum, x.has_current, x.has_first, x.reports,
       x.revised, x.source_types, x.direct
FROM (VALUES ('day'), ('week')) AS t(period_type)
CROSS JOIN LATERAL pingan.fine_figures(t.period_type) AS x;

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
