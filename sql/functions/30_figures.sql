-- 30_figures.sql - brings pingan.figure up to date for given district
-- periods (town and district rows) and for given periods of the city.
--
-- The rule (docs/sql.md, "Aggregation"), for each district, indicator and
-- period P (month, quarter or year):
--   1. a report made directly at P that holds the indicator wins (its highest
--      revision; a correction replaces the earlier figures everywhere);
--   2. otherwise P is built from its children: a month from its day reports,
--      a quarter from its month figures, a year from its quarter figures.
--      Flows sum the children; stocks take each area's latest child.
-- Within one report, the district figure of an indicator is its district-level
-- value (town empty) when the report has one, else the sum of its towns.
-- Sums are numeric, so that the result does not depend on reading order and
-- a rebuild gives identical rows. Callers hold pingan.lock_aggregation() and
-- refresh months, then quarters, then years, then the city.

CREATE OR REPLACE FUNCTION pingan.refresh_figures(p_type text, p_district text[], p_start date[])
RETURNS int
LANGUAGE plpgsql VOLATILE
-- One hash aggregation over the values: no sort, so enough memory to hash
-- a year's towns, and no JIT (it costs more than it saves on these plans).
SET work_mem = '256MB' SET jit = off
AS $$
DECLARE
    v_n int;
    -- read once, so that the value pass needs no join to the catalogue
    v_stock text[] := ARRAY(SELECT i.code FROM pingan.indicator AS i WHERE i.aggregation = 'stock');
BEGIN
    DELETE FROM pingan.figure AS f
    USING (SELECT DISTINCT u.d, u.s FROM unnest(p_district, p_start) AS u(d, s)) AS k
    WHERE f.district_code = k.d AND f.period_type = p_type AND f.period_start = k.s;

    INSERT INTO pingan.figure
        (indicator_code, level, area_code, district_code, period_type, period_start, period_end,
         count_sum, numerator_sum, denominator_sum,
         first_count_sum, first_numerator_sum, first_denominator_sum,
         has_current, has_first, reports, revised, source_types, direct,
         covered_days, period_days, towns, towns_expected, districts, complete_districts)
    WITH
    k AS (
        SELECT DISTINCT u.d, u.s, pingan.period_end(p_type, u.s) AS e,
               (SELECT count(*) FROM pingan.town AS t WHERE t.district_code = u.d)::int AS towns_all
        FROM unnest(p_district, p_start) AS u(d, s)),
    -- Reports at P (direct) and, for a month, its day reports, with their
    -- standing: current (highest revision) and first.
    rep AS (
        SELECT x.* FROM (
            SELECT r.id, k.d, k.s, r.period_type = p_type AS direct,
                   (r.period_start - DATE '2000-01-01')::numeric AS day_no,
                   r.period_end - r.period_start AS days,
                   pingan.types_mask(ARRAY[r.period_type]) AS mask,
                   r.revision = max(r.revision) OVER w AS is_cur,
                   r.revision = min(r.revision) OVER w AS is_first
            FROM k
            JOIN pingan.report AS r
              ON r.district_code = k.d AND r.period_start >= k.s AND r.period_start < k.e
             AND (r.period_type = p_type OR (p_type = 'month' AND r.period_type = 'day'))
            WINDOW w AS (PARTITION BY r.district_code, r.period_type, r.period_start)) AS x
        WHERE x.is_cur OR x.is_first),
    -- One pass over the values, two groupings: each town over the reports of
    -- one standing (its partial figure), and each report (its district figure:
    -- the district-level value when it has one, else the sum of its towns).
    -- Stocks keep their latest piece as [day, count, numerator, denominator].
    -- A ratio's whole-number parts (nearly all of them) are summed as bigint
    -- and its other parts as numeric: the same exact sum, at a third less
    -- than converting every double to numeric (bench/README.md).
    agg AS (
        SELECT g.*, coalesce(g.n_i + g.n_x, g.n_i, g.n_x) AS n,
               coalesce(g.dn_i + g.dn_x, g.dn_i, g.dn_x) AS dn
        FROM (
            SELECT rep.d, rep.s, rep.direct, rep.is_cur, rep.is_first, v.town_code, rep.id,
                   v.indicator_code, GROUPING(rep.id) = 1 AS by_town,
                   sum(v.count) AS c,
                   sum(v.numerator::bigint) FILTER (WHERE v.numerator = trunc(v.numerator)
                                                     AND abs(v.numerator) < 1e15) AS n_i,
                   sum(v.numerator::numeric) FILTER (WHERE v.numerator <> trunc(v.numerator)
                                                      OR abs(v.numerator) >= 1e15) AS n_x,
                   sum(v.denominator::bigint) FILTER (WHERE v.denominator = trunc(v.denominator)
                                                       AND abs(v.denominator) < 1e15) AS dn_i,
                   sum(v.denominator::numeric) FILTER (WHERE v.denominator <> trunc(v.denominator)
                                                        OR abs(v.denominator) >= 1e15) AS dn_x,
                   sum(v.count) FILTER (WHERE v.town_code IS NULL) AS wc,
                   sum(v.numerator::numeric) FILTER (WHERE v.town_code IS NULL) AS wn,
                   sum(v.denominator::numeric) FILTER (WHERE v.town_code IS NULL) AS wdn,
                   max(ARRAY[rep.day_no, v.count, v.numerator::numeric, v.denominator::numeric])
                       FILTER (WHERE v.indicator_code = ANY (v_stock)) AS latest,
                   sum(rep.days)::int AS days, count(*)::int AS pieces, bit_or(rep.mask) AS mask,
                   count(v.town_code)::int AS towns, bool_or(v.town_code IS NULL) AS whole
            FROM rep
            JOIN pingan.value AS v ON v.report_pk = rep.id
            GROUP BY GROUPING SETS ((rep.d, rep.s, rep.direct, rep.is_cur, rep.is_first, v.indicator_code,
                                     v.town_code),
                                    (rep.id, v.indicator_code))) AS g),
    piece AS (
        -- towns
        SELECT a.d, a.s, a.direct, a.is_cur, a.is_first, 'town'::text AS level, a.town_code AS area_code,
               a.indicator_code, a.c AS c_count, a.n AS c_num, a.dn AS c_den,
               a.c AS f_count, a.n AS f_num, a.dn AS f_den, a.latest AS c_latest, a.latest AS f_latest,
               a.days, 1 AS towns, false AS whole, a.pieces AS reports,
               CASE WHEN a.is_cur AND NOT a.is_first THEN a.pieces ELSE 0 END AS revised, a.mask
        FROM agg AS a
        WHERE a.by_town AND a.town_code IS NOT NULL
        UNION ALL
        -- the district figure of each report
        SELECT y.d, y.s, y.direct, y.is_cur, y.is_first, 'district', y.d, y.indicator_code,
               y.c, y.n, y.dn, y.c, y.n, y.dn,
               ARRAY[y.day_no, y.c, y.n, y.dn], ARRAY[y.day_no, y.c, y.n, y.dn],
               y.days, y.towns, y.whole, 1, (y.is_cur AND NOT y.is_first)::int, y.mask
        FROM (SELECT rep.d, rep.s, rep.direct, rep.is_cur, rep.is_first, rep.day_no, rep.days, rep.mask,
                     a.indicator_code, a.towns, a.whole,
                     (CASE WHEN a.whole THEN a.wc ELSE a.c END)::bigint AS c,
                     CASE WHEN a.whole THEN a.wn ELSE a.n END AS n,
                     CASE WHEN a.whole THEN a.wdn ELSE a.dn END AS dn
              FROM agg AS a JOIN rep ON rep.id = a.id
              WHERE NOT a.by_town) AS y
        UNION ALL
        -- quarters and years: the stored figures of the child periods
        SELECT k.d, k.s, false, c.has_current, c.has_first, c.level, c.area_code,
               c.indicator_code, c.count_sum, c.numerator_sum, c.denominator_sum,
               c.first_count_sum, c.first_numerator_sum, c.first_denominator_sum,
               ARRAY[(c.period_start - DATE '2000-01-01')::numeric, c.count_sum, c.numerator_sum, c.denominator_sum],
               ARRAY[(c.period_start - DATE '2000-01-01')::numeric, c.first_count_sum, c.first_numerator_sum,
                     c.first_denominator_sum],
               c.covered_days, c.towns, c.towns >= k.towns_all, c.reports, c.revised,
               pingan.types_mask(c.source_types)
        FROM k
        JOIN pingan.figure AS c
          ON c.district_code = k.d AND c.period_type = pingan.period_child(p_type)
         AND c.period_start >= k.s AND c.period_start < k.e AND c.level IN ('town', 'district')
        WHERE p_type <> 'month'),
    -- indicators a direct report holds: they are taken from it alone
    direct_ind AS (
        SELECT p.d, p.s, p.indicator_code, bool_or(p.is_cur) AS cur, bool_or(p.is_first) AS fst
        FROM piece AS p
        WHERE p.direct AND p.level = 'district'
        GROUP BY p.d, p.s, p.indicator_code),
    used AS (
        SELECT p.*, i.aggregation,
               p.is_cur AND (p.direct OR NOT coalesce(di.cur, false)) AS use_c,
               p.is_first AND (p.direct OR NOT coalesce(di.fst, false)) AS use_f
        FROM piece AS p
        JOIN pingan.indicator AS i ON i.code = p.indicator_code
        LEFT JOIN direct_ind AS di ON di.d = p.d AND di.s = p.s AND di.indicator_code = p.indicator_code),
    res AS (
        -- flows sum; a stock takes the latest piece: the max of [day, figure...]
        SELECT u.d, u.s, u.level, u.area_code, u.indicator_code,
               CASE WHEN u.aggregation = 'flow' THEN sum(u.c_count) FILTER (WHERE u.use_c)
                    ELSE (max(u.c_latest) FILTER (WHERE u.use_c))[2] END::bigint AS c_count,
               CASE WHEN u.aggregation = 'flow' THEN sum(u.c_num) FILTER (WHERE u.use_c)
                    ELSE (max(u.c_latest) FILTER (WHERE u.use_c))[3] END AS c_num,
               CASE WHEN u.aggregation = 'flow' THEN sum(u.c_den) FILTER (WHERE u.use_c)
                    ELSE (max(u.c_latest) FILTER (WHERE u.use_c))[4] END AS c_den,
               CASE WHEN u.aggregation = 'flow' THEN sum(u.f_count) FILTER (WHERE u.use_f)
                    ELSE (max(u.f_latest) FILTER (WHERE u.use_f))[2] END::bigint AS f_count,
               CASE WHEN u.aggregation = 'flow' THEN sum(u.f_num) FILTER (WHERE u.use_f)
                    ELSE (max(u.f_latest) FILTER (WHERE u.use_f))[3] END AS f_num,
               CASE WHEN u.aggregation = 'flow' THEN sum(u.f_den) FILTER (WHERE u.use_f)
                    ELSE (max(u.f_latest) FILTER (WHERE u.use_f))[4] END AS f_den,
               bool_or(u.use_c) AS has_current, bool_or(u.use_f) AS has_first,
               coalesce(sum(u.days) FILTER (WHERE u.use_c), 0)::int AS covered_days,
               max(u.towns) FILTER (WHERE u.use_c) AS towns,
               coalesce(bool_or(u.whole) FILTER (WHERE u.use_c), false) AS whole,
               coalesce(sum(u.reports) FILTER (WHERE u.use_c), 0)::int AS reports,
               coalesce(sum(u.revised) FILTER (WHERE u.use_c), 0)::int AS revised,
               coalesce(bit_or(u.mask) FILTER (WHERE u.use_c), 0) AS mask,
               coalesce(bool_or(u.direct) FILTER (WHERE u.use_c), false) AS direct
        FROM used AS u
        WHERE u.use_c OR u.use_f
        GROUP BY u.d, u.s, u.level, u.area_code, u.indicator_code, u.aggregation)
    SELECT r.indicator_code, r.level, r.area_code, k.d, p_type, k.s, k.e,
           r.c_count, r.c_num, r.c_den, r.f_count, r.f_num, r.f_den,
           r.has_current, r.has_first, r.reports, r.revised, pingan.mask_types(r.mask), r.direct,
           least(r.covered_days, k.e - k.s), k.e - k.s,
           CASE WHEN r.level = 'town' THEN 1
                WHEN r.whole THEN k.towns_all ELSE least(coalesce(r.towns, 0), k.towns_all) END,
           CASE WHEN r.level = 'town' THEN 1 ELSE k.towns_all END,
           NULL::int, NULL::int
    FROM res AS r
    JOIN k ON k.d = r.d AND k.s = r.s;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;

COMMENT ON FUNCTION pingan.refresh_figures(text, text[], date[]) IS
    'Recomputes the town and district rows of pingan.figure for the given period type and (district, start) '
    'pairs from the current reports (and, for quarters and years, the stored child figures). Returns the rows written.';

-- The city (500000) is the sum of its districts, period by period; a stock
-- is the sum of each district's own position.
CREATE OR REPLACE FUNCTION pingan.refresh_city(p_type text[], p_start date[])
RETURNS int
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_n int;
BEGIN
    DELETE FROM pingan.figure AS f
    USING (SELECT DISTINCT u.t, u.s FROM unnest(p_type, p_start) AS u(t, s)) AS k
    WHERE f.level = 'city' AND f.period_type = k.t AND f.period_start = k.s;

    INSERT INTO pingan.figure
        (indicator_code, level, area_code, district_code, period_type, period_start, period_end,
         count_sum, numerator_sum, denominator_sum,
         first_count_sum, first_numerator_sum, first_denominator_sum,
         has_current, has_first, reports, revised, source_types, direct,
         covered_days, period_days, towns, towns_expected, districts, complete_districts)
    SELECT a.indicator_code, 'city', pingan.city_code(), NULL, a.period_type, a.period_start, a.period_end,
           sum(a.count_sum)::bigint, sum(a.numerator_sum), sum(a.denominator_sum),
           sum(a.first_count_sum)::bigint, sum(a.first_numerator_sum), sum(a.first_denominator_sum),
           bool_or(a.has_current), bool_or(a.has_first), sum(a.reports)::int, sum(a.revised)::int,
           pingan.mask_types(bit_or(pingan.types_mask(a.source_types))), bool_and(a.direct),
           max(a.covered_days), max(a.period_days),
           sum(a.towns) FILTER (WHERE a.has_current)::int, (SELECT count(*) FROM pingan.town)::int,
           count(*) FILTER (WHERE a.has_current)::int,
           count(*) FILTER (WHERE a.has_current AND a.covered_days = a.period_days)::int
    FROM pingan.figure AS a
    JOIN (SELECT DISTINCT u.t, u.s FROM unnest(p_type, p_start) AS u(t, s)) AS k
      ON a.period_type = k.t AND a.period_start = k.s
    WHERE a.level = 'district'
    GROUP BY a.indicator_code, a.period_type, a.period_start, a.period_end;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;

COMMENT ON FUNCTION pingan.refresh_city(text[], date[]) IS
    'Recomputes the city rows of pingan.figure for the given (period type, start) pairs as sums of district rows.';
