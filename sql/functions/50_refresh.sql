-- 50_refresh.sql - keeping pingan.figure and pingan.judgement current.
--
-- A batch only queues the (district, period) keys of the reports it stored
-- (aggregate_reports, in the batch transaction). An aggregation step
-- (aggregate_pending, in a transaction of its own, run by each worker's
-- aggregation thread right after a commit) takes the aggregation lock and
-- does one of two things:
--   a figure step dequeues figure keys and brings up to date exactly what
--     they feed: the months, quarters and years of their districts and the
--     city for those periods; it queues the judgements of those periods and
--     of the year after them (whose reference they are) in judge_queue;
--   a judgement step dequeues judge_queue and re-judges those periods for
--     their districts, their towns and the city.
-- Judgements go first once no figure key is queued or the oldest queued
-- judgement is older than the bound given to aggregate_pending: a single
-- report is judged in the step after its figures, a backfill every few
-- seconds instead of after every figure step. Steps of several workers take
-- turns on the lock, and each recomputes from committed reports, so no update
-- is lost and the result does not depend on arrival order:
-- rebuild_aggregates() gives identical rows.
--
-- No lost keys: a batch queues with INSERT ... ON CONFLICT DO UPDATE, which
-- row-locks an existing key until the batch commits, so a step that deletes
-- that key waits for the batch and then sees its reports; a key inserted by a
-- batch that has not committed is invisible to the step and stays queued.

CREATE OR REPLACE FUNCTION pingan.aggregate_reports(p_report_pks bigint[])
RETURNS void
LANGUAGE sql VOLATILE AS $$
    INSERT INTO pingan.aggregate_queue AS q (district_code, period_type, period_start)
    SELECT DISTINCT r.district_code, r.period_type, r.period_start
    FROM pingan.report AS r
    WHERE r.id = ANY (p_report_pks)
    ORDER BY 1, 2, 3
    ON CONFLICT (district_code, period_type, period_start)
    DO UPDATE SET queued_at = excluded.queued_at;
$$;

COMMENT ON FUNCTION pingan.aggregate_reports(bigint[]) IS
    'Queues the district periods of newly stored reports for aggregation. Called by the worker in the batch transaction.';

-- Judges the given periods for the given districts (district and town rows).
CREATE OR REPLACE FUNCTION pingan.judge_districts(p_district text[], p_type text[], p_start date[])
RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    DELETE FROM pingan.judgement AS j
    USING (SELECT DISTINCT u.t, u.s FROM unnest(p_type, p_start) AS u(t, s)) AS p
    WHERE j.level IN ('district', 'town') AND j.district_code = ANY (p_district)
      AND j.period_type = p.t AND j.period_start = p.s;
    PERFORM pingan.judge_prepare(p_district, p_type, p_start);
    PERFORM pingan.rule_yoy_decrease();
    PERFORM pingan.rule_max_count();
    PERFORM pingan.rule_min_ratio();
    PERFORM pingan.rule_all_towns();
    PERFORM pingan.rule_max_per_district();
    PERFORM pingan.rule_town_share(p_district, p_type, p_start);
    IF to_regclass('pg_temp.judge_input') IS NOT NULL THEN
        DROP TABLE pg_temp.judge_input;
    END IF;
END
$$;

-- Brings the figures the keys (district, period type, period start) feed up
-- to date and queues their judgements. The caller holds the aggregation lock.
CREATE OR REPLACE FUNCTION pingan.refresh_keys(p_district text[], p_type text[], p_start date[])
RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_md text[]; v_ms date[];
    v_qd text[]; v_qs date[];
    v_yd text[]; v_ys date[];
    v_pt text[]; v_ps date[];
BEGIN
    -- days, weeks and months feed the months they touch (a week can touch two)
    SELECT array_agg(m.d), array_agg(m.s) INTO v_md, v_ms
    FROM (SELECT DISTINCT k.d, date_trunc('month', x.day)::date AS s
          FROM unnest(p_district, p_type, p_start) AS k(d, t, s)
          CROSS JOIN LATERAL (VALUES (k.s), (pingan.period_end(k.t, k.s) - 1)) AS x(day)
          WHERE k.t IN ('day', 'week', 'month')) AS m;
    SELECT array_agg(q.d), array_agg(q.s) INTO v_qd, v_qs
    FROM (SELECT DISTINCT u.d, date_trunc('quarter', u.s)::date AS s
          FROM (SELECT * FROM unnest(v_md, v_ms) UNION ALL
                SELECT k.d, k.s FROM unnest(p_district, p_type, p_start) AS k(d, t, s)
                WHERE k.t = 'quarter') AS u(d, s)) AS q;
    SELECT array_agg(y.d), array_agg(y.s) INTO v_yd, v_ys
    FROM (SELECT DISTINCT u.d, date_trunc('year', u.s)::date AS s
          FROM (SELECT * FROM unnest(v_qd, v_qs) UNION ALL
                SELECT k.d, k.s FROM unnest(p_district, p_type, p_start) AS k(d, t, s)
                WHERE k.t = 'year') AS u(d, s)) AS y;
    PERFORM pingan.refresh_figures('month', coalesce(v_md, '{}'), coalesce(v_ms, '{}'));
    PERFORM pingan.refresh_figures('quarter', coalesce(v_qd, '{}'), coalesce(v_qs, '{}'));
    PERFORM pingan.refresh_figures('year', coalesce(v_yd, '{}'), coalesce(v_ys, '{}'));

    SELECT array_agg(p.t), array_agg(p.s) INTO v_pt, v_ps
    FROM (SELECT DISTINCT 'month' AS t, s FROM unnest(v_ms) AS s
          UNION SELECT 'quarter', s FROM unnest(v_qs) AS s
          UNION SELECT 'year', s FROM unnest(v_ys) AS s) AS p;
    IF v_pt IS NULL THEN
        RETURN;
    END IF;
    PERFORM pingan.refresh_city(v_pt, v_ps);

    -- the periods themselves and the year after them, whose reference they are
    INSERT INTO pingan.judge_queue AS q (district_code, period_type, period_start)
    SELECT DISTINCT u.d, u.t, u.s
    FROM (SELECT d, 'month', s FROM unnest(v_md, v_ms) AS m(d, s)
          UNION ALL SELECT d, 'quarter', s FROM unnest(v_qd, v_qs) AS m(d, s)
          UNION ALL SELECT d, 'year', s FROM unnest(v_yd, v_ys) AS m(d, s)) AS x(d, t, s)
    CROSS JOIN LATERAL (VALUES (x.d, x.t, x.s), (x.d, x.t, (x.s + interval '1 year')::date)) AS u(d, t, s)
    ORDER BY 1, 2, 3
    ON CONFLICT (district_code, period_type, period_start) DO NOTHING;
END
$$;

-- Re-judges the given periods for the given districts, their towns and the
-- city. The caller holds the aggregation lock.
CREATE OR REPLACE FUNCTION pingan.judge_periods(p_district text[], p_type text[], p_start date[])
RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_missing text[];
BEGIN
    PERFORM pingan.judge_districts(p_district, p_type, p_start);
    -- a period judged for the first time gets a row for every district
    v_missing := ARRAY(
        SELECT DISTINCT d.code
        FROM pingan.district AS d
        CROSS JOIN pingan.judged_periods(p_type, p_start) AS e
        WHERE NOT EXISTS (SELECT 1 FROM pingan.judgement AS j
                          WHERE j.target_id = e.target_id AND j.period_type = e.period_type
                            AND j.period_start = e.period_start AND j.level = 'district'
                            AND j.area_code = d.code));
    IF cardinality(v_missing) > 0 THEN
        PERFORM pingan.judge_districts(v_missing, p_type, p_start);
    END IF;
    -- and one no longer judged (its figures were corrected away) loses its rows
    DELETE FROM pingan.judgement AS j
    USING (SELECT DISTINCT u.t, u.s FROM unnest(p_type, p_start) AS u(t, s)) AS p
    WHERE j.period_type = p.t AND j.period_start = p.s
      AND NOT EXISTS (SELECT 1 FROM pingan.judged_periods(p_type, p_start) AS e
                      WHERE e.target_id = j.target_id AND e.period_type = j.period_type
                        AND e.period_start = j.period_start);
    PERFORM pingan.judge_city(p_type, p_start);
END
$$;

-- One judgement step: drains judge_queue. The districts and the periods are
-- judged as a cross product (in a backfill they are the same for every
-- district; elsewhere judging a few more pairs is cheaper than one pass per
-- district). Returns the number of keys done. The caller holds the lock.
CREATE OR REPLACE FUNCTION pingan.judge_pending() RETURNS int
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_n int;
    v_d text[];
    v_t text[];
    v_s date[];
BEGIN
    WITH done AS (DELETE FROM pingan.judge_queue AS q RETURNING q.*)
    SELECT count(*), array_agg(done.district_code), array_agg(done.period_type), array_agg(done.period_start)
    INTO v_n, v_d, v_t, v_s
    FROM done;
    IF v_n = 0 THEN
        RETURN 0;
    END IF;
    SELECT array_agg(p.t), array_agg(p.s) INTO v_t, v_s
    FROM (SELECT DISTINCT u.t, u.s FROM unnest(v_t, v_s) AS u(t, s)) AS p;
    v_d := ARRAY(SELECT DISTINCT d FROM unnest(v_d) AS d);
    PERFORM pingan.judge_periods(v_d, v_t, v_s);
    RETURN v_n;
END
$$;

-- Re-judges every period (after the as-of day, a baseline or a district's
-- rhythm changed). Figures are unchanged.
CREATE OR REPLACE FUNCTION pingan.rejudge_all() RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_t text[];
    v_s date[];
BEGIN
    PERFORM pingan.lock_aggregation();
    DELETE FROM pingan.judgement;
    DELETE FROM pingan.judge_queue; -- every period is judged here
    SELECT array_agg(p.period_type), array_agg(p.period_start) INTO v_t, v_s
    FROM (SELECT DISTINCT f.period_type, f.period_start FROM pingan.figure AS f WHERE f.level = 'city') AS p;
    IF v_t IS NOT NULL THEN
        PERFORM pingan.judge_districts(ARRAY(SELECT d.code FROM pingan.district AS d), v_t, v_s);
        PERFORM pingan.judge_city(v_t, v_s);
    END IF;
    UPDATE pingan.settings SET judged_as_of = pingan.as_of();
END
$$;

-- One aggregation step: a judgement step when judgements are queued and
-- either no figure key is or the oldest queued judgement is older than
-- p_judge_after; else a figure step over the queued keys of up to
-- p_max_districts districts (oldest first). Returns the number of keys done,
-- 0 when nothing was queued.
CREATE OR REPLACE FUNCTION pingan.aggregate_pending(p_max_districts int,
                                                    p_judge_after interval DEFAULT '5 seconds')
RETURNS int
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_d text[];
    v_t text[];
    v_s date[];
    v_judge_since timestamptz;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pingan.aggregate_queue)
       AND NOT EXISTS (SELECT 1 FROM pingan.judge_queue)
       AND (SELECT s.judged_as_of FROM pingan.settings AS s) IS NOT DISTINCT FROM pingan.as_of() THEN
        RETURN 0; -- nothing to do: do not queue behind another step for the lock
    END IF;
    PERFORM pingan.lock_aggregation();
    -- Statements from here on see every report committed before the lock.
    IF (SELECT s.judged_as_of FROM pingan.settings AS s) IS DISTINCT FROM pingan.as_of() THEN
        PERFORM pingan.rejudge_all(); -- a new day: running periods moved on
    END IF;
    v_judge_since := (SELECT min(q.queued_at) FROM pingan.judge_queue AS q);
    IF v_judge_since IS NOT NULL
       AND (v_judge_since < clock_timestamp() - p_judge_after OR NOT EXISTS (SELECT 1 FROM pingan.aggregate_queue)) THEN
        RETURN pingan.judge_pending();
    END IF;
    WITH pick AS (
        SELECT q.district_code FROM pingan.aggregate_queue AS q
        GROUP BY q.district_code ORDER BY min(q.queued_at), q.district_code LIMIT p_max_districts),
    done AS (
        DELETE FROM pingan.aggregate_queue AS q USING pick
        WHERE q.district_code = pick.district_code
        RETURNING q.district_code, q.period_type, q.period_start)
    SELECT array_agg(done.district_code), array_agg(done.period_type), array_agg(done.period_start)
    INTO v_d, v_t, v_s
    FROM done;
    IF v_d IS NULL THEN
        RETURN pingan.judge_pending(); -- another step drained the figure keys first
    END IF;
    PERFORM pingan.refresh_keys(v_d, v_t, v_s);
    RETURN cardinality(v_d);
END
$$;

COMMENT ON FUNCTION pingan.aggregate_pending(int, interval) IS
    'One aggregation step: brings figures up to date for the queued keys of up to N districts, or judgements '
    'for the queued periods (first when no figure key is queued or the oldest queued judgement is older than '
    'the interval), and dequeues them; returns the number of keys done. Run it in a transaction of its own.';

-- Recomputes every figure and judgement from the stored reports. Returns the
-- number of figure rows.
CREATE OR REPLACE FUNCTION pingan.rebuild_aggregates() RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_d text[];
    v_t text[];
    v_s date[];
    v_n bigint;
BEGIN
    PERFORM pingan.lock_aggregation();
    DELETE FROM pingan.aggregate_queue;
    DELETE FROM pingan.judge_queue;
    DELETE FROM pingan.figure;
    DELETE FROM pingan.judgement;
    SELECT array_agg(k.district_code), array_agg(k.period_type), array_agg(k.period_start)
    INTO v_d, v_t, v_s
    FROM (SELECT DISTINCT r.district_code, r.period_type, r.period_start FROM pingan.report AS r) AS k;
    IF v_d IS NOT NULL THEN
        PERFORM pingan.refresh_keys(v_d, v_t, v_s);
        PERFORM pingan.judge_pending();
    END IF;
    UPDATE pingan.settings SET judged_as_of = pingan.as_of();
    SELECT count(*) INTO v_n FROM pingan.figure;
    RETURN v_n;
END
$$;

COMMENT ON FUNCTION pingan.rebuild_aggregates() IS
    'Deletes and recomputes every row of pingan.figure and pingan.judgement from pingan.report and pingan.value; '
    'the result equals what incremental aggregation produced. Returns the number of figure rows.';

-- Settings that move the judged span re-judge at once. (Re-applying this file
-- drops the function first, and the triggers with it.)
CREATE OR REPLACE FUNCTION pingan.settings_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pingan.rejudge_all();
    RETURN NULL;
END
$$;

CREATE TRIGGER settings_rejudge AFTER UPDATE ON pingan.settings
FOR EACH ROW WHEN (OLD.as_of IS DISTINCT FROM NEW.as_of OR OLD.time_zone IS DISTINCT FROM NEW.time_zone)
EXECUTE FUNCTION pingan.settings_changed();

CREATE TRIGGER schedule_rejudge AFTER INSERT OR UPDATE OR DELETE ON pingan.district_schedule
FOR EACH STATEMENT EXECUTE FUNCTION pingan.settings_changed();
