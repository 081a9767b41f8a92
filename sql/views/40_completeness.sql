-- 40_completeness.sql - reporting completeness and timeliness against
-- pingan.reporting_schedule (which indicators are expected at which period
-- type): expected, on time, late and missing values per district and period.

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
