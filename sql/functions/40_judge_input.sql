-- 40_judge_input.sql - what every rule judges from: one row per subject
-- (target x area x judged period) with the figures over its span, written to
-- the temporary table judge_input by pingan.judge_prepare. The rules
-- (41_rules.sql) read only this table, so each can be tested alone.
--
-- Definitions (docs/sql.md, "Targets"):
--   span      [period start, span_end): the whole period once it has ended;
--             while it runs, the periods of the district's rhythm that have
--             ended (months, or quarters for a quarterly district).
--   covered   a month is covered when its figure is complete in time (every
--             day reported, or a month report); a quarter when its figure is
--             (a quarter report, or three covered months).
--   like for like (year on year): the months covered in both the period and
--             the same months a year earlier; a quarter reported as a whole
--             on either side counts only as a whole. The reference comes
--             from baselines when any exists for the area and the earlier
--             period, else from reports, never from both.

-- Which of the given periods each target is judged for: months that have
-- ended, quarters and years that have begun, as of pingan.as_of(), where
-- some district has a figure of the target's indicator (so the city has one:
-- district steps need not wait for the city step to know what is judged).
CREATE OR REPLACE FUNCTION pingan.judged_periods(p_type text[], p_start date[])
RETURNS TABLE (target_id text, period_type text, period_start date)
LANGUAGE sql STABLE AS $$
    WITH c AS MATERIALIZED (SELECT pingan.as_of() AS as_of) -- once, not per row
    SELECT t.id, p.t, p.s
    FROM (SELECT DISTINCT u.t, u.s FROM unnest(p_type, p_start) AS u(t, s)) AS p
    CROSS JOIN pingan.target AS t
    CROSS JOIN c
    WHERE p.t IN ('month', 'quarter', 'year') AND p.s <= c.as_of
      AND (p.t <> 'month' OR pingan.period_end(p.t, p.s) <= c.as_of + 1)
      AND EXISTS (SELECT 1 FROM pingan.figure AS f
                  WHERE f.indicator_code = t.indicator_code AND f.period_type = p.t
                    AND f.period_start = p.s AND f.level = 'district' AND f.has_current)
$$;

CREATE OR REPLACE FUNCTION pingan.judge_prepare(p_district text[], p_type text[], p_start date[])
RETURNS int
LANGUAGE plpgsql VOLATILE
-- The CTEs are large and their estimates poor: nested loops over them were
-- quadratic in the number of subjects; hash joins are linear.
SET enable_nestloop = off SET enable_mergejoin = off SET jit = off SET work_mem = '256MB'
AS $$
DECLARE
    v_n int;
BEGIN
    IF to_regclass('pg_temp.judge_input') IS NOT NULL THEN
        DROP TABLE pg_temp.judge_input;
    END IF;
    CREATE TEMP TABLE judge_input ON COMMIT DROP AS
    WITH
    cfg AS MATERIALIZED (SELECT pingan.as_of() AS as_of), -- once, not per row
    -- the figures of these districts' towns and their own: all this reads,
    -- so that one district (a lone report) does not hash the whole table
    fx AS MATERIALIZED (
        SELECT f.indicator_code, f.level, f.area_code, f.period_type, f.period_start, f.period_end,
               f.count_sum, f.numerator_sum, f.denominator_sum, f.covered_days, f.period_days, f.towns,
               f.has_current
        FROM pingan.figure AS f
        WHERE f.district_code = ANY (p_district) AND f.level IN ('town', 'district')),
    per AS (
        SELECT t.id AS target_id, t.indicator_code, t.rule, t.threshold, t.level AS t_level,
               i.kind, i.aggregation, p.period_type, p.period_start,
               pingan.period_end(p.period_type, p.period_start) AS period_end, c.as_of
        FROM pingan.judged_periods(p_type, p_start) AS p
        JOIN pingan.target AS t ON t.id = p.target_id
        JOIN pingan.indicator AS i ON i.code = t.indicator_code
        CROSS JOIN cfg AS c),
    area AS (
        SELECT 'district'::text AS level, d.code AS area_code, d.name_zh AS area_name,
               d.code AS district_code, ds.period_type AS rhythm,
               (SELECT count(*) FROM pingan.town AS t WHERE t.district_code = d.code)::int AS towns
        FROM pingan.district AS d
        JOIN pingan.district_schedule AS ds ON ds.district_code = d.code
        WHERE d.code = ANY (p_district)
        UNION ALL
        SELECT 'town', t.code, t.name_zh, t.district_code, ds.period_type, 1
        FROM pingan.town AS t
        JOIN pingan.district_schedule AS ds ON ds.district_code = t.district_code
        WHERE t.district_code = ANY (p_district)),
    subj AS (
        SELECT p.*, a.level, a.area_code, a.area_name, a.district_code, a.towns,
               p.period_end > p.as_of + 1 AS in_progress,
               pingan.period_rank(a.rhythm) <= greatest(pingan.period_rank(p.period_type), 3) AS due,
               least(p.period_end,
                     greatest(p.period_start,
                              pingan.period_containing(
                                  CASE WHEN pingan.period_rank(a.rhythm) < 3 THEN 'month' ELSE a.rhythm END,
                                  p.as_of + 1))) AS span_end
        FROM per AS p
        JOIN area AS a
          ON a.level = 'district'
          OR (a.level = 'town' AND p.rule <> 'max_per_district'
              AND (p.t_level = 'town'
                   OR EXISTS (SELECT 1 FROM fx AS f
                              WHERE f.indicator_code = p.indicator_code AND f.period_type = p.period_type
                                AND f.period_start = p.period_start AND f.level = 'town'
                                AND f.area_code = a.area_code AND f.has_current)))),
    -- each subject gets an integer id: the joins and groupings below are on
    -- it rather than on five text columns (bench/README.md, 2026-12-03)
    s AS (
        SELECT subj.*, row_number() OVER () AS sid,
               (subj.rule = 'yoy_decrease'
                AND EXISTS (SELECT 1 FROM pingan.baseline AS b
                            WHERE b.indicator_code = subj.indicator_code AND b.level = subj.level
                              AND b.area_code = subj.area_code
                              AND b.period_type IN ('month', 'quarter', 'year')
                              AND b.period_start >= (subj.period_start - interval '1 year')::date
                              AND b.period_start < (subj.period_end - interval '1 year')::date)) AS ref_baseline,
               ((extract(year FROM age(subj.span_end, subj.period_start)) * 12
                 + extract(month FROM age(subj.span_end, subj.period_start))))::int AS months_expected
        FROM subj),
    -- the periods inside each judged period: itself, its quarters, its months
    -- (a year earlier: fs_ref), so that figures are found by equality rather
    -- than by testing every period of the area against every subject
    inner_p AS (
        SELECT DISTINCT p.period_type, p.period_start, x.ft, x.fs,
               (x.fs - interval '1 year')::date AS fs_ref
        FROM per AS p
        CROSS JOIN LATERAL (
            SELECT c.t AS ft, g.g::date AS fs
            FROM (VALUES ('month', interval '1 month'), ('quarter', interval '3 months'),
                         ('year', interval '1 year')) AS c(t, step)
            CROSS JOIN LATERAL generate_series(p.period_start::timestamp,
                                               p.period_end::timestamp - interval '1 day', c.step) AS g(g)
            WHERE pingan.period_rank(c.t) <= pingan.period_rank(p.period_type)) AS x),
    -- figures of the area: month, quarter, year; a year earlier likewise
    fig AS (
        SELECT s.sid, f.period_type AS ft,
               f.period_start AS fs, f.period_end AS fe, f.count_sum, f.numerator_sum, f.denominator_sum,
               f.covered_days = f.period_days AS complete, f.towns, false AS earlier
        FROM s
        JOIN inner_p AS ip ON ip.period_type = s.period_type AND ip.period_start = s.period_start
        JOIN fx AS f
          ON f.indicator_code = s.indicator_code AND f.level = s.level AND f.area_code = s.area_code
         AND f.period_type = ip.ft AND f.period_start = ip.fs AND f.has_current
        UNION ALL
        SELECT s.sid, f.period_type,
               (f.period_start + interval '1 year')::date, (f.period_end + interval '1 year')::date,
               f.count_sum, f.numerator_sum, f.denominator_sum, f.covered_days = f.period_days, f.towns, true
        FROM s
        JOIN inner_p AS ip ON ip.period_type = s.period_type AND ip.period_start = s.period_start
        JOIN fx AS f
          ON f.indicator_code = s.indicator_code AND f.level = s.level AND f.area_code = s.area_code
         AND f.period_type = ip.ft AND f.period_start = ip.fs_ref AND f.has_current
        WHERE s.rule = 'yoy_decrease' AND NOT s.ref_baseline
        UNION ALL
        SELECT s.sid, b.period_type,
               (b.period_start + interval '1 year')::date,
               (pingan.period_end(b.period_type, b.period_start) + interval '1 year')::date,
               b.count, b.numerator::numeric, b.denominator::numeric, true, NULL, true
        FROM s
        JOIN pingan.baseline AS b
          ON b.indicator_code = s.indicator_code AND b.level = s.level AND b.area_code = s.area_code
         AND b.period_start >= (s.period_start - interval '1 year')::date
         AND b.period_start < (s.period_end - interval '1 year')::date
         AND b.period_type IN ('month', 'quarter', 'year')
        WHERE s.ref_baseline),
    -- each month of the span, with the actual and the reference month
    grid AS (
        SELECT s.sid, m.m::date AS m_start, date_trunc('quarter', m.m)::date AS q_start,
               a.count_sum AS a_c, a.numerator_sum AS a_n, a.denominator_sum AS a_d,
               coalesce(a.complete, false) AS a_ok, a.fs IS NOT NULL AS a_has,
               r.count_sum AS r_c, r.numerator_sum AS r_n, r.denominator_sum AS r_d,
               coalesce(r.complete, false) AS r_ok
        FROM s
        CROSS JOIN LATERAL generate_series(s.period_start::timestamp, s.span_end::timestamp - interval '1 day',
                                           interval '1 month') AS m(m)
        LEFT JOIN fig AS a ON a.sid = s.sid AND NOT a.earlier AND a.ft = 'month' AND a.fs = m.m::date
        LEFT JOIN fig AS r ON r.sid = s.sid AND r.earlier AND r.ft = 'month' AND r.fs = m.m::date),
    qgrid AS (
        SELECT g.sid, g.q_start, count(*) AS n,
               bool_and(g.a_ok) AS all_a, bool_and(g.r_ok) AS all_r,
               count(*) FILTER (WHERE g.a_ok) AS a_months,
               count(*) FILTER (WHERE g.a_ok AND g.r_ok) AS both_months,
               sum(g.a_c) FILTER (WHERE g.a_ok AND g.r_ok) AS ll_a_c,
               sum(g.a_n) FILTER (WHERE g.a_ok AND g.r_ok) AS ll_a_n,
               sum(g.a_d) FILTER (WHERE g.a_ok AND g.r_ok) AS ll_a_d,
               sum(g.r_c) FILTER (WHERE g.a_ok AND g.r_ok) AS ll_r_c,
               sum(g.r_n) FILTER (WHERE g.a_ok AND g.r_ok) AS ll_r_n,
               sum(g.r_d) FILTER (WHERE g.a_ok AND g.r_ok) AS ll_r_d,
               sum(g.a_c) FILTER (WHERE g.a_has) AS a_c, sum(g.a_n) FILTER (WHERE g.a_has) AS a_n,
               sum(g.a_d) FILTER (WHERE g.a_has) AS a_d, bool_or(g.a_has) AS a_has,
               max(g.m_start) FILTER (WHERE g.a_has) AS a_last
        FROM grid AS g
        GROUP BY g.sid, g.q_start),
    q AS (
        SELECT qg.*, aq.count_sum AS aq_c, aq.numerator_sum AS aq_n, aq.denominator_sum AS aq_d,
               coalesce(aq.complete, false) AS aq_ok, aq.fs IS NOT NULL AS aq_has,
               rq.count_sum AS rq_c, rq.numerator_sum AS rq_n, rq.denominator_sum AS rq_d,
               coalesce(rq.complete, false) AS rq_ok,
               qg.n = 3 AND (qg.all_a OR coalesce(aq.complete, false))
                        AND (qg.all_r OR coalesce(rq.complete, false)) AS ll_block
        FROM qgrid AS qg
        LEFT JOIN fig AS aq
          ON qg.n = 3 AND aq.sid = qg.sid AND NOT aq.earlier AND aq.ft = 'quarter' AND aq.fs = qg.q_start
        LEFT JOIN fig AS rq
          ON qg.n = 3 AND rq.sid = qg.sid AND rq.earlier AND rq.ft = 'quarter' AND rq.fs = qg.q_start),
    span AS (
        SELECT q.sid,
               -- like for like
               sum(CASE WHEN q.ll_block THEN 3 ELSE q.both_months END)::int AS ll_months,
               sum(CASE WHEN q.ll_block THEN CASE WHEN q.aq_ok THEN q.aq_c ELSE q.a_c END ELSE q.ll_a_c END) AS ll_a_c,
               sum(CASE WHEN q.ll_block THEN CASE WHEN q.aq_ok THEN q.aq_n ELSE q.a_n END ELSE q.ll_a_n END) AS ll_a_n,
               sum(CASE WHEN q.ll_block THEN CASE WHEN q.aq_ok THEN q.aq_d ELSE q.a_d END ELSE q.ll_a_d END) AS ll_a_d,
               sum(CASE WHEN q.ll_block THEN CASE WHEN q.rq_ok THEN q.rq_c ELSE q.ll_r_c END ELSE q.ll_r_c END) AS ll_r_c,
               sum(CASE WHEN q.ll_block THEN CASE WHEN q.rq_ok THEN q.rq_n ELSE q.ll_r_n END ELSE q.ll_r_n END) AS ll_r_n,
               sum(CASE WHEN q.ll_block THEN CASE WHEN q.rq_ok THEN q.rq_d ELSE q.ll_r_d END ELSE q.ll_r_d END) AS ll_r_d,
               -- the actual over the span: whole quarters where reported, else months
               sum(CASE WHEN q.aq_has THEN q.aq_c ELSE q.a_c END) AS a_c,
               sum(CASE WHEN q.aq_has THEN q.aq_n ELSE q.a_n END) AS a_n,
               sum(CASE WHEN q.aq_has THEN q.aq_d ELSE q.a_d END) AS a_d,
               sum(CASE WHEN q.aq_ok OR (q.n = 3 AND q.all_a) THEN 3 ELSE q.a_months END)::int AS a_months,
               bool_or(q.a_has OR q.aq_has) AS a_has,
               max(CASE WHEN q.aq_has THEN (q.q_start + interval '3 months')::date
                        ELSE (q.a_last + interval '1 month')::date END) AS a_last_end
        FROM q
        GROUP BY q.sid),
    -- a period that ran to its end is judged on its own figure
    own AS (
        SELECT s.sid, a.count_sum AS p_c, a.numerator_sum AS p_n, a.denominator_sum AS p_d,
               a.complete AS p_ok, a.towns AS p_towns, r.count_sum AS rp_c, r.numerator_sum AS rp_n,
               r.denominator_sum AS rp_d, r.complete AS rp_ok
        FROM s
        LEFT JOIN fig AS a
          ON a.sid = s.sid AND NOT a.earlier AND a.ft = s.period_type AND a.fs = s.period_start
        LEFT JOIN fig AS r
          ON r.sid = s.sid AND r.earlier AND r.ft = s.period_type AND r.fs = s.period_start),
    -- the latest position of a stock within the span
    pos AS (
        SELECT DISTINCT ON (s.sid) s.sid, f.count_sum AS l_c, f.numerator_sum AS l_n,
               f.denominator_sum AS l_d, f.fe AS l_end, f.towns AS l_towns
        FROM s
        JOIN fig AS f
          ON f.sid = s.sid AND NOT f.earlier AND f.fe <= s.span_end AND f.ft IN ('month', 'quarter')
        WHERE s.aggregation = 'stock'
        ORDER BY s.sid, f.fe DESC, pingan.period_rank(f.ft)),
    -- bottom lines: a week report overlapping the span (weeks build no month,
    -- and may cross the span's boundary); every other report is in the figures
    wk AS (
        SELECT r.district_code, r.period_start, r.period_end, v.indicator_code, v.town_code, v.count
        FROM pingan.report AS r
        JOIN pingan.value AS v ON v.report_pk = r.id
        WHERE r.period_type = 'week' AND r.district_code = ANY (p_district) AND v.count > 0
          AND v.indicator_code IN (SELECT t.indicator_code FROM pingan.target AS t WHERE t.rule = 'max_count')
          AND NOT EXISTS (SELECT 1 FROM pingan.report AS n
                          WHERE n.district_code = r.district_code AND n.period_type = r.period_type
                            AND n.period_start = r.period_start AND n.revision > r.revision)),
    occ AS (
        SELECT s.sid, max(w.count) AS occ_max
        FROM s
        JOIN wk AS w
          ON w.district_code = s.district_code AND w.indicator_code = s.indicator_code
         AND w.count > s.threshold
         AND w.period_start < least(s.period_end, s.as_of + 1) AND w.period_end > s.period_start
         AND (s.level <> 'town' OR w.town_code = s.area_code)
        WHERE s.rule = 'max_count'
        GROUP BY s.sid)
    SELECT s.*, sp.ll_months, sp.ll_a_c, sp.ll_a_n, sp.ll_a_d, sp.ll_r_c, sp.ll_r_n, sp.ll_r_d,
           sp.a_c, sp.a_n, sp.a_d, sp.a_months, coalesce(sp.a_has, false) OR o.p_c IS NOT NULL
           OR o.p_d IS NOT NULL AS has_data, sp.a_last_end,
           o.p_c, o.p_n, o.p_d, coalesce(o.p_ok, false) AS p_ok, o.p_towns,
           o.rp_c, o.rp_n, o.rp_d, coalesce(o.rp_ok, false) AS rp_ok,
           (SELECT b.count FROM pingan.baseline AS b
            WHERE s.ref_baseline AND b.indicator_code = s.indicator_code AND b.level = s.level
              AND b.area_code = s.area_code AND b.period_type = s.period_type
              AND b.period_start = (s.period_start - interval '1 year')::date) AS rb_c,
           p.l_c, p.l_n, p.l_d, p.l_end, p.l_towns, oc.occ_max,
           EXISTS (SELECT 1 FROM fig AS f WHERE f.sid = s.sid AND f.earlier) AS has_ref
    FROM s
    LEFT JOIN span AS sp USING (sid)
    LEFT JOIN own AS o USING (sid)
    LEFT JOIN pos AS p USING (sid)
    LEFT JOIN occ AS oc USING (sid);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;

COMMENT ON FUNCTION pingan.judge_prepare(text[], text[], date[]) IS
    'Fills the temporary table judge_input with every subject (target x area x period) of the given districts '
    '(their district and town rows) and the figures over its span.';
