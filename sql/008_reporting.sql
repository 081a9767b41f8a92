-- 008_reporting.sql - reporting views over the aggregates and the target
-- evaluation: district scorecard, city summary, trends, restatements
-- (first reported against corrected), and reporting completeness and
-- timeliness against a schedule of expected reports. Read-only views plus the
-- pingan.reporting_schedule table; docs/sql.md, "Reporting views".

ALTER TABLE pingan.settings ADD COLUMN completeness_from date NOT NULL DEFAULT DATE '2024-01-01';
COMMENT ON COLUMN pingan.settings.completeness_from IS
    'first day v_completeness expects reports for (periods starting earlier are not listed)';

-- Which indicators are expected at which period type. By default every
-- indicator monthly, or quarterly when it is not collected monthly (B1, R1).
CREATE TABLE pingan.reporting_schedule (
    indicator_code text NOT NULL REFERENCES pingan.indicator,
    period_type    text NOT NULL CHECK (period_type IN ('day', 'week', 'month', 'quarter', 'year')),
    PRIMARY KEY (indicator_code, period_type)
);

INSERT INTO pingan.reporting_schedule (indicator_code, period_type)
SELECT i.code, CASE WHEN 'month' = ANY (i.period_types) THEN 'month' ELSE 'quarter' END
FROM pingan.indicator AS i;

COMMENT ON TABLE pingan.reporting_schedule IS
    'Expected reporting: every district reports indicator_code for every period of period_type '
    '(per town, or once for the district when the indicator is district-level). Read by v_completeness.';

-- ---------------------------------------------------------------------------
-- Scorecards
-- ---------------------------------------------------------------------------

CREATE VIEW pingan.v_district_scorecard AS
SELECT s.*
FROM pingan.v_target_status AS s
WHERE s.level IN ('district', 'city');

COMMENT ON VIEW pingan.v_district_scorecard IS
    'v_target_status for every district, with the city row (area_code 500000) for comparison.';

CREATE VIEW pingan.v_city_summary AS
SELECT c.target_id, c.indicator_code, c.period_type, c.period_start, c.actual, c.reference, c.threshold,
       c.status, c.margin, c.ytd_actual, c.ytd_reference, c.projection,
       count(d.*) FILTER (WHERE d.status = 'met')::int AS districts_met,
       count(d.*) FILTER (WHERE d.status = 'missed')::int AS districts_missed,
       count(d.*) FILTER (WHERE d.status = 'at_risk')::int AS districts_at_risk,
       count(d.*) FILTER (WHERE d.status = 'no_data')::int AS districts_no_data,
       count(d.*) FILTER (WHERE d.status = 'no_baseline')::int AS districts_no_baseline
FROM pingan.v_target_status AS c
LEFT JOIN pingan.v_target_status AS d
  ON d.level = 'district' AND d.target_id = c.target_id
 AND d.period_type = c.period_type AND d.period_start = c.period_start
WHERE c.level = 'city'
GROUP BY c.target_id, c.indicator_code, c.period_type, c.period_start, c.actual, c.reference, c.threshold,
         c.status, c.margin, c.ytd_actual, c.ytd_reference, c.projection;

COMMENT ON VIEW pingan.v_city_summary IS
    'One row per target and period at the city, with how many districts met, missed, are at risk or lack data.';

-- ---------------------------------------------------------------------------
-- Trends and restatements
-- ---------------------------------------------------------------------------

CREATE VIEW pingan.v_trend AS
SELECT f.indicator_code, f.level, f.area_code, f.period_type, f.period_start,
       f.count_sum, f.numerator_sum, f.denominator_sum, f.value,
       -- additions beyond the contract
       f.period_end, f.first_value, f.value IS DISTINCT FROM f.first_value AS restated,
       f.reports, f.source_types
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
WHERE f.has_current IS DISTINCT FROM f.has_first
   OR f.count_sum IS DISTINCT FROM f.first_count_sum
   OR f.numerator_sum IS DISTINCT FROM f.first_numerator_sum
   OR f.denominator_sum IS DISTINCT FROM f.first_denominator_sum;

COMMENT ON VIEW pingan.v_restatement IS
    'Figures changed by corrections: as first reported (first revisions) and as corrected (current revisions).';

-- ---------------------------------------------------------------------------
-- Completeness and timeliness
-- ---------------------------------------------------------------------------

-- For every district and every ended period of a scheduled type since
-- settings.completeness_from: the expected (town or district) x indicator
-- values, and how many came on time, late or not at all. A value counts
-- from the first revision that held it; a district-level value (empty town)
-- covers every town of the district. On time: received before 00:00 local
-- time on period_end + on_time_days.
CREATE VIEW pingan.v_completeness AS
WITH
cfg AS MATERIALIZED (SELECT s.on_time_days, s.time_zone, s.completeness_from, pingan.as_of() AS as_of
        FROM pingan.settings AS s),
period AS (
    SELECT DISTINCT sc.period_type, g.d::date AS period_start,
           pingan.period_end(sc.period_type, g.d::date) AS period_end
    FROM pingan.reporting_schedule AS sc
    CROSS JOIN cfg AS c
    CROSS JOIN LATERAL generate_series(
        pingan.period_containing(sc.period_type, c.completeness_from)::timestamp, c.as_of::timestamp,
        CASE sc.period_type WHEN 'day' THEN interval '1 day' WHEN 'week' THEN interval '7 days'
                            WHEN 'month' THEN interval '1 month' WHEN 'quarter' THEN interval '3 months'
                            ELSE interval '1 year' END) AS g(d)
    WHERE pingan.period_end(sc.period_type, g.d::date) <= c.as_of + 1),
unit AS (
    SELECT p.period_type, p.period_start, p.period_end, d.code AS district_code, sc.indicator_code,
           CASE WHEN i.level = 'district' THEN NULL ELSE t.code END AS town_code
    FROM period AS p
    JOIN pingan.reporting_schedule AS sc ON sc.period_type = p.period_type
    JOIN pingan.indicator AS i ON i.code = sc.indicator_code
    CROSS JOIN pingan.district AS d
    LEFT JOIN pingan.town AS t ON t.district_code = d.code AND i.level <> 'district'),
recv AS (
    SELECT r.district_code, r.period_type, r.period_start, v.indicator_code, v.town_code,
           min(r.received_at) AS received_at
    FROM pingan.report AS r
    JOIN pingan.value AS v ON v.report_pk = r.id
    JOIN pingan.reporting_schedule AS sc ON sc.indicator_code = v.indicator_code AND sc.period_type = r.period_type
    CROSS JOIN cfg AS c
    WHERE r.period_start >= pingan.period_containing(r.period_type, c.completeness_from)
    GROUP BY r.district_code, r.period_type, r.period_start, v.indicator_code, v.town_code),
judged AS (
    SELECT u.*,
           (SELECT min(x.received_at) FROM recv AS x
            WHERE x.district_code = u.district_code AND x.period_type = u.period_type
              AND x.period_start = u.period_start AND x.indicator_code = u.indicator_code
              AND (x.town_code IS NULL OR x.town_code = u.town_code)) AS received_at,
           ((u.period_end + c.on_time_days)::timestamp AT TIME ZONE c.time_zone) AS deadline
    FROM unit AS u
    CROSS JOIN cfg AS c)
SELECT j.period_type, j.period_start, j.district_code,
       count(*)::int AS expected,
       count(*) FILTER (WHERE j.received_at < j.deadline)::int AS on_time,
       count(*) FILTER (WHERE j.received_at >= j.deadline)::int AS late,
       count(*) FILTER (WHERE j.received_at IS NULL)::int AS missing,
       count(*) FILTER (WHERE j.received_at IS NULL) = 0 AS complete,
       -- additions beyond the contract
       max(j.deadline) AS deadline, max(j.received_at) AS last_received_at
FROM judged AS j
GROUP BY j.period_type, j.period_start, j.district_code;

COMMENT ON VIEW pingan.v_completeness IS
    'Per district and ended scheduled period: expected town x indicator values (pingan.reporting_schedule), '
    'received on time (first revision before period_end + settings.on_time_days, local time), late, or missing.';
