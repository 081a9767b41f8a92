-- 30_targets.sql - the judgements as analysts read them: every target at
-- every level, the district scorecard and the city summary. All are lookups
-- on pingan.judgement, which the aggregation step keeps current; the rules
-- are in sql/functions/41_rules.sql and 42_judge_city.sql.

CREATE VIEW pingan.v_target_status AS
SELECT j.target_id, j.indicator_code, j.level, j.area_code, j.area_name, j.period_type, j.period_start,
       j.actual, j.reference, j.threshold, j.status, j.margin, j.ytd_actual, j.ytd_reference,
       j.projection, j.rule, j.in_progress, CASE WHEN j.in_progress THEN j.span_end END AS ytd_end,
       j.verdict, j.reference_source, j.months_covered, j.months_expected, j.units_covered,
       j.units_expected, j.unit,
       concat_ws(', ',
                 CASE WHEN j.units_expected IS NOT NULL
                      THEN j.units_covered || '/' || j.units_expected || ' ' || j.unit END,
                 CASE WHEN j.months_expected IS NOT NULL
                      THEN j.months_covered || '/' || j.months_expected || ' months' END) AS coverage,
       j.as_of, j.updated_at
FROM pingan.judgement AS j;

COMMENT ON VIEW pingan.v_target_status IS
    'Each target (T1..T10, R1) at the city (500000), every district and towns, for every judged period: '
    'actual, reference (year on year: the same months a year earlier, reference_source baseline or reports), '
    'threshold, status (met | missed | at_risk | incomplete | not_due | no_data | no_baseline), verdict '
    '(the provisional status when incomplete), margin (>= 0 when met), coverage, and for running periods '
    'ytd_*, projection. Stored: updated_at says when it was last brought up to date.';

CREATE VIEW pingan.v_district_scorecard AS
SELECT s.*
FROM pingan.v_target_status AS s
WHERE s.level IN ('district', 'city');

COMMENT ON VIEW pingan.v_district_scorecard IS
    'v_target_status for every district, with the city row (area_code 500000) for comparison.';

CREATE VIEW pingan.v_city_summary AS
SELECT c.target_id, c.indicator_code, c.period_type, c.period_start, c.actual, c.reference, c.threshold,
       c.status, c.margin, c.ytd_actual, c.ytd_reference, c.projection, c.verdict, c.coverage,
       count(d.*) FILTER (WHERE d.status = 'met')::int AS districts_met,
       count(d.*) FILTER (WHERE d.status = 'missed')::int AS districts_missed,
       count(d.*) FILTER (WHERE d.status = 'at_risk')::int AS districts_at_risk,
       count(d.*) FILTER (WHERE d.status = 'incomplete')::int AS districts_incomplete,
       count(d.*) FILTER (WHERE d.status = 'not_due')::int AS districts_not_due,
       count(d.*) FILTER (WHERE d.status = 'no_data')::int AS districts_no_data,
       count(d.*) FILTER (WHERE d.status = 'no_baseline')::int AS districts_no_baseline,
       c.updated_at
FROM pingan.v_target_status AS c
LEFT JOIN pingan.judgement AS d
  ON d.level = 'district' AND d.target_id = c.target_id
 AND d.period_type = c.period_type AND d.period_start = c.period_start
WHERE c.level = 'city'
GROUP BY c.target_id, c.indicator_code, c.period_type, c.period_start, c.actual, c.reference, c.threshold,
         c.status, c.margin, c.ytd_actual, c.ytd_reference, c.projection, c.verdict, c.coverage,
         c.updated_at;

COMMENT ON VIEW pingan.v_city_summary IS
    'One row per target and period at the city, with how many districts met, missed, are at risk, '
    'incomplete, not due or lack data.';
