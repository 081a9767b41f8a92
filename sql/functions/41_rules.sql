-- 41_rules.sql - one function per rule of pingan.target, each judging the
-- subjects of its rule in the temporary table judge_input (40) and writing
-- pingan.judgement rows for towns and districts. The city is judged from the
-- district rows (42). Statuses, coverage and worked examples: docs/sql.md,
-- "Targets".
--
-- A judgement is met / missed / at_risk only on complete coverage; otherwise
-- it is incomplete, and verdict holds what the figures so far say. A bottom
-- line (max_count) that has been crossed is missed whatever the coverage.

CREATE OR REPLACE FUNCTION pingan.judgement_status(p_verdict text, p_has_data boolean, p_due boolean,
                                                   p_complete boolean)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN NOT p_has_data THEN CASE WHEN p_due THEN 'no_data' ELSE 'not_due' END
                WHEN p_verdict IS NULL OR NOT p_complete THEN 'incomplete'
                ELSE p_verdict END
$$;

-- yoy_decrease (T1-T3): down at least threshold against the same months a
-- year earlier. A period that ran to its end with complete figures on both
-- sides compares the whole figures; otherwise the like-for-like months.
-- While the period runs, the projection scales last year's whole figure by
-- this year's like-for-like ratio.
CREATE OR REPLACE FUNCTION pingan.rule_yoy_decrease() RETURNS int
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_n int;
BEGIN
    INSERT INTO pingan.judgement
        (target_id, indicator_code, level, area_code, area_name, district_code, period_type, period_start,
         rule, status, verdict, actual, reference, reference_source, threshold, margin, ytd_actual,
         ytd_reference, projection, in_progress, span_end, months_covered, months_expected,
         units_covered, units_expected, unit, part_count, part_ref, part_ref_full, as_of)
    WITH
    a AS (
        SELECT j.*,
               CASE WHEN j.ref_baseline THEN j.rb_c ELSE j.rp_c END AS ref_full,
               NOT j.in_progress AND j.p_ok
               AND (CASE WHEN j.ref_baseline THEN j.rb_c IS NOT NULL ELSE j.rp_ok END) AS whole
        FROM pg_temp.judge_input AS j
        WHERE j.rule = 'yoy_decrease' AND j.level <> 'city'),
    b AS (
        SELECT a.*,
               CASE WHEN a.whole THEN a.p_c ELSE a.ll_a_c END::numeric AS x,
               CASE WHEN a.whole THEN a.ref_full ELSE a.ll_r_c END::numeric AS r,
               CASE WHEN a.whole THEN a.months_expected ELSE coalesce(a.ll_months, 0) END AS llm
        FROM a),
    c AS (
        SELECT b.*,
               CASE WHEN b.in_progress THEN b.ref_full * (1 - b.threshold) ELSE b.r * (1 - b.threshold) END AS thr,
               CASE WHEN b.in_progress AND b.r > 0 THEN b.x / b.r * b.ref_full END AS proj
        FROM b),
    d AS (
        SELECT c.*,
               CASE WHEN c.x IS NULL OR c.thr IS NULL OR c.llm = 0 THEN NULL
                    WHEN NOT c.in_progress THEN CASE WHEN c.x <= c.thr THEN 'met' ELSE 'missed' END
                    WHEN c.x > c.thr THEN 'missed'
                    WHEN coalesce(c.proj, c.x) > c.thr THEN 'at_risk'
                    ELSE 'met' END AS verdict
        FROM c)
    SELECT d.target_id, d.indicator_code, d.level, d.area_code, d.area_name, d.district_code,
           d.period_type, d.period_start, d.rule,
           CASE WHEN d.has_data AND NOT d.has_ref THEN 'no_baseline'
                ELSE pingan.judgement_status(d.verdict, d.has_data, d.due, d.llm = d.months_expected) END,
           d.verdict, d.x, CASE WHEN d.in_progress THEN d.ref_full ELSE d.r END,
           CASE WHEN d.has_ref THEN CASE WHEN d.ref_baseline THEN 'baseline' ELSE 'reports' END END,
           d.thr, d.thr - coalesce(d.proj, d.x),
           CASE WHEN d.in_progress THEN d.x END, CASE WHEN d.in_progress THEN d.r END, d.proj,
           d.in_progress, d.span_end, d.llm, d.months_expected,
           CASE WHEN d.level = 'district' THEN d.p_towns END, CASE WHEN d.level = 'district' THEN d.towns END,
           CASE WHEN d.level = 'district' THEN 'towns' END,
           d.x, d.r, d.ref_full, d.as_of
    FROM d;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;

-- max_count (T4, a bottom line): at most threshold. The figures over the
-- span, and any current week report of the area overlapping it with a count
-- above the threshold (weeks build no month, so one crossing the span's
-- boundary is in no figure), fail it. actual is at least that week's count.
CREATE OR REPLACE FUNCTION pingan.rule_max_count() RETURNS int
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_n int;
BEGIN
    INSERT INTO pingan.judgement
        (target_id, indicator_code, level, area_code, area_name, district_code, period_type, period_start,
         rule, status, verdict, actual, threshold, margin, ytd_actual, projection, in_progress, span_end,
         months_covered, months_expected, units_covered, units_expected, unit, part_count, part_occurred,
         as_of)
    WITH
    a AS (
        SELECT j.*,
               NOT j.in_progress AND (j.p_c IS NOT NULL) AS whole
        FROM pg_temp.judge_input AS j
        WHERE j.rule = 'max_count' AND j.level <> 'city'),
    b AS (
        SELECT a.*,
               greatest(CASE WHEN a.whole THEN a.p_c ELSE a.a_c END, a.occ_max)::numeric AS x,
               CASE WHEN a.whole AND a.p_ok THEN a.months_expected ELSE coalesce(a.a_months, 0) END AS covered,
               a.occ_max IS NOT NULL AS occurred
        FROM a),
    c AS (
        SELECT b.*,
               CASE WHEN b.occurred OR b.x > b.threshold THEN 'missed'
                    WHEN b.x IS NOT NULL THEN 'met' END AS verdict
        FROM b)
    SELECT c.target_id, c.indicator_code, c.level, c.area_code, c.area_name, c.district_code,
           c.period_type, c.period_start, c.rule,
           CASE WHEN c.verdict = 'missed' THEN 'missed'
                ELSE pingan.judgement_status(c.verdict, c.has_data, c.due, c.covered = c.months_expected) END,
           c.verdict, c.x, c.threshold, c.threshold - c.x, CASE WHEN c.in_progress THEN c.x END,
           CASE WHEN c.in_progress THEN c.x END, c.in_progress, c.span_end, c.covered, c.months_expected,
           CASE WHEN c.level = 'district' THEN c.p_towns END, CASE WHEN c.level = 'district' THEN c.towns END,
           CASE WHEN c.level = 'district' THEN 'towns' END, c.x, c.occurred, c.as_of
    FROM c
    WHERE c.has_data OR c.occurred OR c.level = 'district';
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;

-- min_ratio (T5, T6, T8, T9; T7 per town): sum(numerator) / sum(denominator)
-- at least threshold. A flow over the span's figures; a stock (T7) at its
-- latest position in the span, complete when that position is the span's end.
CREATE OR REPLACE FUNCTION pingan.rule_min_ratio() RETURNS int
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_n int;
BEGIN
    INSERT INTO pingan.judgement
        (target_id, indicator_code, level, area_code, area_name, district_code, period_type, period_start,
         rule, status, verdict, actual, threshold, margin, ytd_actual, projection, in_progress, span_end,
         months_covered, months_expected, units_covered, units_expected, unit, part_num, part_den, as_of)
    WITH
    a AS (
        SELECT j.*,
               CASE WHEN j.aggregation = 'stock' THEN j.l_n
                    WHEN NOT j.in_progress AND j.p_d IS NOT NULL THEN j.p_n ELSE j.a_n END AS num,
               CASE WHEN j.aggregation = 'stock' THEN j.l_d
                    WHEN NOT j.in_progress AND j.p_d IS NOT NULL THEN j.p_d ELSE j.a_d END AS den,
               CASE WHEN j.aggregation = 'stock' THEN NULL
                    WHEN NOT j.in_progress AND j.p_ok THEN j.months_expected
                    ELSE coalesce(j.a_months, 0) END AS covered,
               CASE WHEN j.aggregation = 'stock' THEN j.l_end = j.span_end
                    WHEN NOT j.in_progress AND j.p_ok THEN true
                    ELSE coalesce(j.a_months, 0) = j.months_expected END AS complete
        FROM pg_temp.judge_input AS j
        WHERE j.rule = 'min_ratio' AND j.level <> 'city'
          AND NOT (j.t_level = 'town' AND j.level <> 'town')),
    b AS (
        SELECT a.*, a.num / nullif(a.den, 0) AS x FROM a),
    c AS (
        SELECT b.*,
               CASE WHEN b.x IS NULL THEN NULL WHEN b.x >= b.threshold THEN 'met'
                    WHEN b.in_progress THEN 'at_risk' ELSE 'missed' END AS verdict
        FROM b)
    SELECT c.target_id, c.indicator_code, c.level, c.area_code, c.area_name, c.district_code,
           c.period_type, c.period_start, c.rule,
           pingan.judgement_status(c.verdict, c.x IS NOT NULL, c.due, coalesce(c.complete, false)),
           c.verdict, c.x, c.threshold, c.x - c.threshold, CASE WHEN c.in_progress THEN c.x END,
           CASE WHEN c.in_progress THEN c.x END, c.in_progress, c.span_end, c.covered,
           CASE WHEN c.aggregation = 'flow' THEN c.months_expected END,
           CASE WHEN c.level = 'district' THEN c.p_towns END, CASE WHEN c.level = 'district' THEN c.towns END,
           CASE WHEN c.level = 'district' THEN 'towns' END, c.num, c.den, c.as_of
    FROM c;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;

-- all_towns (T10): towns with the component online (count 1) at the latest
-- position in the span: every town of a district, or threshold towns of the
-- city. Complete when the position is the span's end and names every town.
CREATE OR REPLACE FUNCTION pingan.rule_all_towns() RETURNS int
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_n int;
BEGIN
    INSERT INTO pingan.judgement
        (target_id, indicator_code, level, area_code, area_name, district_code, period_type, period_start,
         rule, status, verdict, actual, threshold, margin, ytd_actual, projection, in_progress, span_end,
         units_covered, units_expected, unit, part_count, part_with_data, as_of)
    WITH
    a AS (
        SELECT j.*, j.l_c::numeric AS x, j.towns::numeric AS thr,
               coalesce(j.l_end = j.span_end AND j.l_towns >= j.towns, false) AS complete
        FROM pg_temp.judge_input AS j
        WHERE j.rule = 'all_towns' AND j.level <> 'city'),
    b AS (
        SELECT a.*,
               CASE WHEN a.x IS NULL THEN NULL WHEN a.x >= a.thr THEN 'met'
                    WHEN a.in_progress THEN 'at_risk' ELSE 'missed' END AS verdict
        FROM a)
    SELECT b.target_id, b.indicator_code, b.level, b.area_code, b.area_name, b.district_code,
           b.period_type, b.period_start, b.rule,
           pingan.judgement_status(b.verdict, b.x IS NOT NULL, b.due, b.complete),
           b.verdict, b.x, b.thr, b.x - b.thr, CASE WHEN b.in_progress THEN b.x END,
           CASE WHEN b.in_progress THEN b.x END, b.in_progress, b.span_end,
           CASE WHEN b.level = 'district' THEN coalesce(b.l_towns, 0) END,
           CASE WHEN b.level = 'district' THEN b.towns END, CASE WHEN b.level = 'district' THEN 'towns' END,
           b.x, coalesce(b.l_towns, 0), b.as_of
    FROM b;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;

-- max_per_district (R1): the district's latest position at most threshold.
CREATE OR REPLACE FUNCTION pingan.rule_max_per_district() RETURNS int
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_n int;
BEGIN
    INSERT INTO pingan.judgement
        (target_id, indicator_code, level, area_code, area_name, district_code, period_type, period_start,
         rule, status, verdict, actual, threshold, margin, ytd_actual, projection, in_progress, span_end,
         part_count, as_of)
    WITH
    a AS (
        SELECT j.*, j.l_c::numeric AS x, coalesce(j.l_end = j.span_end, false) AS complete
        FROM pg_temp.judge_input AS j
        WHERE j.rule = 'max_per_district' AND j.level = 'district'),
    b AS (
        SELECT a.*,
               CASE WHEN a.x IS NULL THEN NULL WHEN a.x <= a.threshold THEN 'met'
                    WHEN a.in_progress THEN 'at_risk' ELSE 'missed' END AS verdict
        FROM a)
    SELECT b.target_id, b.indicator_code, b.level, b.area_code, b.area_name, b.district_code,
           b.period_type, b.period_start, b.rule,
           pingan.judgement_status(b.verdict, b.x IS NOT NULL, b.due, b.complete),
           b.verdict, b.x, b.threshold, b.threshold - b.x, CASE WHEN b.in_progress THEN b.x END,
           CASE WHEN b.in_progress THEN b.x END, b.in_progress, b.span_end, b.x, b.as_of
    FROM b;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;

-- T7 above the towns: the share of a district's towns meeting it (their
-- provisional verdicts included), complete when every town's judgement is.
CREATE OR REPLACE FUNCTION pingan.rule_town_share(p_district text[], p_type text[], p_start date[])
RETURNS int
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_n int;
BEGIN
    INSERT INTO pingan.judgement
        (target_id, indicator_code, level, area_code, area_name, district_code, period_type, period_start,
         rule, status, verdict, actual, threshold, margin, ytd_actual, projection, in_progress, span_end,
         units_covered, units_expected, unit, part_met, part_with_data, as_of)
    WITH
    a AS (
        SELECT t.target_id, t.indicator_code, d.code AS district_code, d.name_zh, t.period_type,
               t.period_start, t.rule, bool_or(t.in_progress) AS in_progress, max(t.span_end) AS span_end,
               max(t.as_of) AS as_of,
               count(*) FILTER (WHERE t.verdict = 'met')::int AS met,
               count(*) FILTER (WHERE t.status NOT IN ('no_data', 'not_due'))::int AS with_data,
               count(*) FILTER (WHERE t.status IN ('met', 'missed', 'at_risk'))::int AS complete,
               count(*)::int AS towns,
               bool_and(t.status <> 'not_due') AS due
        FROM pingan.judgement AS t
        JOIN pingan.district AS d ON d.code = t.district_code
        JOIN pingan.target AS g ON g.id = t.target_id
        JOIN (SELECT DISTINCT u.t, u.s FROM unnest(p_type, p_start) AS u(t, s)) AS p
          ON p.t = t.period_type AND p.s = t.period_start
        WHERE t.level = 'town' AND g.level = 'town' AND t.district_code = ANY (p_district)
        GROUP BY t.target_id, t.indicator_code, d.code, d.name_zh, t.period_type, t.period_start, t.rule),
    b AS (
        SELECT a.*, CASE WHEN a.with_data > 0 THEN a.met::numeric / a.towns END AS x,
               CASE WHEN a.with_data = 0 THEN NULL WHEN a.met >= a.towns THEN 'met'
                    WHEN a.in_progress THEN 'at_risk' ELSE 'missed' END AS verdict
        FROM a)
    SELECT b.target_id, b.indicator_code, 'district', b.district_code, b.name_zh, b.district_code,
           b.period_type, b.period_start, b.rule,
           pingan.judgement_status(b.verdict, b.with_data > 0, b.due, b.complete = b.towns),
           b.verdict, b.x, 1, b.x - 1, CASE WHEN b.in_progress THEN b.x END,
           NULL, b.in_progress, b.span_end, b.with_data, b.towns, 'towns', b.met, b.with_data, b.as_of
    FROM b;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;
