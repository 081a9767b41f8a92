-- 42_judge_city.sql - the city's judgements, from its districts' rows: the
-- city is like for like when each district is, and complete when every
-- district due for the period is. Year on year, an official city baseline
-- for the earlier period is the reference once every due district is
-- complete; until then the reference is the sum of the same districts' own
-- references, so a district missing this year is missing from both sides.

CREATE OR REPLACE FUNCTION pingan.judge_city(p_type text[], p_start date[]) RETURNS int
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_n int;
BEGIN
    DELETE FROM pingan.judgement AS j
    USING (SELECT DISTINCT u.t, u.s FROM unnest(p_type, p_start) AS u(t, s)) AS p
    WHERE j.level = 'city' AND j.period_type = p.t AND j.period_start = p.s;

    INSERT INTO pingan.judgement
        (target_id, indicator_code, level, area_code, area_name, district_code, period_type, period_start,
         rule, status, verdict, actual, reference, reference_source, threshold, margin, ytd_actual,
         ytd_reference, projection, in_progress, span_end, months_covered, months_expected,
         units_covered, units_expected, unit, part_count, part_num, part_den, part_ref, part_ref_full,
         part_met, part_with_data, part_occurred, as_of)
    WITH
    d AS (
        SELECT j.target_id, j.period_type, j.period_start,
               t.indicator_code, t.rule, t.threshold, t.level AS t_level,
               bool_or(j.in_progress) AS in_progress, max(j.span_end) AS span_end, max(j.as_of) AS as_of,
               count(*) FILTER (WHERE j.status <> 'not_due')::int AS due,
               count(*) FILTER (WHERE j.status IN ('met', 'missed', 'at_risk'))::int AS complete,
               count(*) FILTER (WHERE j.status NOT IN ('no_data', 'not_due'))::int AS with_data,
               count(*) FILTER (WHERE j.part_count IS NOT NULL AND j.part_ref IS NOT NULL)::int AS paired,
               sum(j.part_count) FILTER (WHERE j.part_ref IS NOT NULL OR t.rule <> 'yoy_decrease') AS x_count,
               sum(j.part_ref) FILTER (WHERE j.part_count IS NOT NULL) AS x_ref,
               sum(j.part_ref_full) FILTER (WHERE j.part_count IS NOT NULL AND j.part_ref IS NOT NULL) AS x_ref_full,
               sum(j.part_num) AS x_num, sum(j.part_den) AS x_den,
               sum(j.part_met) AS towns_met, sum(j.part_with_data) AS towns_with_data,
               count(*) FILTER (WHERE j.verdict = 'met')::int AS districts_met,
               bool_or(j.part_occurred) AS occurred,
               min(j.months_covered) FILTER (WHERE j.part_count IS NOT NULL) AS months_covered,
               max(j.months_expected) AS months_expected,
               sum(j.units_covered) AS towns_covered,
               bool_or(j.reference_source = 'baseline') AS any_baseline,
               bool_or(j.reference_source = 'reports') AS any_reports
        FROM pingan.judgement AS j
        JOIN pingan.target AS t ON t.id = j.target_id
        JOIN (SELECT DISTINCT u.t, u.s FROM unnest(p_type, p_start) AS u(t, s)) AS p
          ON p.t = j.period_type AND p.s = j.period_start
        WHERE j.level = 'district'
        GROUP BY j.target_id, j.period_type, j.period_start, t.indicator_code, t.rule, t.threshold, t.level),
    cb AS (
        SELECT d.*,
               (SELECT b.count FROM pingan.baseline AS b
                WHERE b.indicator_code = d.indicator_code AND b.level = 'city'
                  AND b.area_code = pingan.city_code() AND b.period_type = d.period_type
                  AND b.period_start = (d.period_start - interval '1 year')::date) AS city_ref,
               (SELECT count(*) FROM pingan.town)::int AS all_towns,
               (SELECT count(*) FROM pingan.district)::int AS all_districts
        FROM d),
    v AS (
        SELECT cb.*,
               cb.complete = cb.due AND cb.due > 0 AS is_complete,
               CASE cb.rule
                   WHEN 'yoy_decrease' THEN cb.x_count
                   WHEN 'max_count' THEN cb.x_count
                   WHEN 'all_towns' THEN cb.x_count
                   WHEN 'min_ratio' THEN CASE WHEN cb.t_level = 'town'
                                              THEN CASE WHEN cb.towns_with_data > 0
                                                        THEN cb.towns_met::numeric / cb.all_towns END
                                              ELSE cb.x_num / nullif(cb.x_den, 0) END
                   WHEN 'max_per_district' THEN CASE WHEN cb.with_data > 0
                                                     THEN cb.districts_met::numeric / cb.all_districts END
               END AS x,
               -- year on year: the official city figure once every due district is complete
               CASE WHEN cb.rule <> 'yoy_decrease' THEN NULL
                    WHEN cb.city_ref IS NOT NULL AND cb.complete = cb.due AND cb.due > 0 THEN 'baseline'
                    WHEN cb.any_baseline AND cb.any_reports THEN 'mixed'
                    WHEN cb.any_baseline THEN 'baseline'
                    WHEN cb.any_reports THEN 'reports' END AS ref_source,
               CASE WHEN cb.city_ref IS NOT NULL AND cb.complete = cb.due AND cb.due > 0
                    THEN cb.city_ref ELSE cb.x_ref_full END AS ref_full
        FROM cb),
    w AS (
        SELECT v.*,
               CASE WHEN v.rule <> 'yoy_decrease' THEN NULL
                    WHEN v.ref_source = 'baseline' AND v.city_ref IS NOT NULL AND NOT v.in_progress
                         AND v.is_complete THEN v.city_ref
                    ELSE v.x_ref END AS r,
               CASE v.rule
                   WHEN 'all_towns' THEN v.threshold
                   WHEN 'min_ratio' THEN CASE WHEN v.t_level = 'town' THEN 1 ELSE v.threshold END
                   WHEN 'max_per_district' THEN 1
                   ELSE v.threshold END AS base_thr
        FROM v),
    t AS (
        SELECT w.*,
               CASE WHEN w.rule <> 'yoy_decrease' THEN w.base_thr
                    WHEN w.in_progress THEN w.ref_full * (1 - w.threshold)
                    ELSE w.r * (1 - w.threshold) END AS thr,
               CASE WHEN w.rule = 'yoy_decrease' AND w.in_progress AND w.x_ref > 0
                    THEN w.x / w.x_ref * w.ref_full
                    WHEN w.in_progress AND w.rule IN ('max_count', 'min_ratio', 'all_towns') THEN w.x END AS proj
        FROM w),
    u AS (
        SELECT t.*,
               CASE WHEN t.x IS NULL OR t.thr IS NULL THEN
                        CASE WHEN t.rule = 'max_count' AND t.occurred THEN 'missed' END
                    WHEN t.rule = 'yoy_decrease' THEN
                        CASE WHEN NOT t.in_progress THEN CASE WHEN t.x <= t.thr THEN 'met' ELSE 'missed' END
                             WHEN t.x > t.thr THEN 'missed'
                             WHEN coalesce(t.proj, t.x) > t.thr THEN 'at_risk' ELSE 'met' END
                    WHEN t.rule = 'max_count' THEN
                        CASE WHEN coalesce(t.occurred, false) OR t.x > t.thr THEN 'missed' ELSE 'met' END
                    WHEN t.rule IN ('min_ratio', 'all_towns') THEN
                        CASE WHEN t.x >= t.thr THEN 'met' WHEN t.in_progress THEN 'at_risk' ELSE 'missed' END
                    ELSE CASE WHEN t.x >= t.thr THEN 'met' WHEN t.in_progress THEN 'at_risk' ELSE 'missed' END
               END AS verdict,
               CASE WHEN t.rule = 'min_ratio' AND t.t_level = 'town' THEN t.towns_with_data
                    WHEN t.rule = 'all_towns' THEN t.towns_covered
                    ELSE t.complete END AS ucov,
               CASE WHEN t.rule = 'min_ratio' AND t.t_level = 'town' THEN t.all_towns
                    WHEN t.rule = 'all_towns' THEN t.all_towns
                    ELSE t.due END AS uexp,
               CASE WHEN t.rule IN ('all_towns') OR (t.rule = 'min_ratio' AND t.t_level = 'town') THEN 'towns'
                    ELSE 'districts' END AS unit
        FROM t)
    SELECT u.target_id, u.indicator_code, 'city', pingan.city_code(), pingan.city_name(), NULL,
           u.period_type, u.period_start, u.rule,
           CASE WHEN u.rule = 'max_count' AND u.verdict = 'missed' THEN 'missed'
                WHEN u.rule = 'yoy_decrease' AND u.with_data > 0 AND u.ref_source IS NULL AND u.city_ref IS NULL
                     THEN 'no_baseline'
                ELSE pingan.judgement_status(u.verdict, u.with_data > 0 OR coalesce(u.occurred, false),
                                             u.due > 0, u.is_complete AND u.ucov = u.uexp) END,
           u.verdict, u.x, CASE WHEN u.in_progress THEN u.ref_full ELSE u.r END, u.ref_source, u.thr,
           CASE WHEN u.rule IN ('yoy_decrease', 'max_count') THEN u.thr - coalesce(u.proj, u.x)
                ELSE u.x - u.thr END,
           CASE WHEN u.in_progress THEN u.x END,
           CASE WHEN u.in_progress AND u.rule = 'yoy_decrease' THEN u.x_ref END, u.proj,
           u.in_progress, u.span_end, u.months_covered, u.months_expected, u.ucov, u.uexp, u.unit,
           u.x_count, u.x_num, u.x_den, u.x_ref, u.ref_full, u.towns_met, u.towns_with_data, u.occurred,
           u.as_of
    FROM u;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;
