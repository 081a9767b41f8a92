-- 70_query.sql - what a district office may ask a worker without SQL
-- (docs/protocol.md §11): the revisions it submitted, its recent rejections,
-- and the catalogue with its towns. Read-only; the worker decides which
-- districts a key may ask about before calling these, and bounds the rows.

-- Stored revisions of p_districts, newest period first, each period's
-- revisions from the highest; is_current marks the highest. Null filters
-- mean any. Returns at most p_limit + 1 rows, so that the caller can tell a
-- list was cut.
CREATE OR REPLACE FUNCTION pingan.query_reports(
    p_districts text[], p_period_type text, p_from date, p_to date, p_since timestamptz,
    p_limit int)
RETURNS TABLE (report_id text, district_code text, period_type text, period_start date,
               revision int, submitted_ms bigint, received_ms bigint, is_current boolean,
               value_count int)
LANGUAGE sql STABLE AS $$
    SELECT r.report_id, r.district_code, r.period_type, r.period_start, r.revision,
           (extract(epoch FROM r.submitted_at) * 1000)::bigint,
           (extract(epoch FROM r.received_at) * 1000)::bigint,
           r.revision = max(r.revision) OVER (PARTITION BY r.district_code, r.period_type,
                                                           r.period_start),
           r.value_count
    FROM pingan.report AS r
    WHERE r.district_code = ANY (p_districts)
      AND (p_period_type IS NULL OR r.period_type = p_period_type)
      AND (p_from IS NULL OR r.period_start >= p_from)
      AND (p_to IS NULL OR r.period_start <= p_to)
      AND (p_since IS NULL OR r.received_at >= p_since)
    ORDER BY r.period_start DESC, r.district_code, r.period_type, r.revision DESC
    LIMIT p_limit + 1
$$;

COMMENT ON FUNCTION pingan.query_reports(text[], text, date, date, timestamptz, int) IS
    'The status request''s stored revisions: newest period first, is_current for the highest '
    'revision of each district period; at most p_limit + 1 rows.';

-- Refused reports of p_districts from the quarantine, newest first, with
-- the first problem of each. A period filter drops rejections whose period
-- could not be read.
CREATE OR REPLACE FUNCTION pingan.query_rejections(
    p_districts text[], p_period_type text, p_from date, p_to date, p_since timestamptz,
    p_limit int)
RETURNS TABLE (received_ms bigint, report_id text, district_code text, period_type text,
               period_start date, revision bigint, reason text, field text, message text,
               problems int)
LANGUAGE sql STABLE AS $$
    SELECT (extract(epoch FROM q.received_at) * 1000)::bigint, r.report_id, r.district_code,
           r.period_type, r.period_start, r.revision, r.reasons -> 0 ->> 'reason',
           r.reasons -> 0 ->> 'field', r.reasons -> 0 ->> 'message', r.problems
    FROM pingan.quarantine_report AS r
    JOIN pingan.quarantine AS q ON q.id = r.quarantine_id
    WHERE r.district_code = ANY (p_districts)
      AND (p_period_type IS NULL OR r.period_type = p_period_type)
      AND (p_from IS NULL OR r.period_start >= p_from)
      AND (p_to IS NULL OR r.period_start <= p_to)
      AND (p_since IS NULL OR q.received_at >= p_since)
    ORDER BY q.received_at DESC, q.id DESC, r.item
    LIMIT p_limit + 1
$$;

COMMENT ON FUNCTION pingan.query_rejections(text[], text, date, date, timestamptz, int) IS
    'The status request''s recent rejections: refused reports of these districts, newest first, '
    'with their first problem; at most p_limit + 1 rows.';

-- The catalogue as a district office sees it: indicators in catalogue
-- order (targets T1..T10, then B and R), periods as a comma-separated list in period order.
CREATE OR REPLACE FUNCTION pingan.query_indicators()
RETURNS TABLE (code text, name_zh text, name_en text, kind text, level text, period_types text)
LANGUAGE sql STABLE AS $$
    SELECT i.code, i.name_zh, i.name_en, i.kind, i.level,
           (SELECT string_agg(t, ',' ORDER BY array_position(
                       ARRAY['day', 'week', 'month', 'quarter', 'year'], t))
            FROM unnest(i.period_types) AS t)
    FROM pingan.indicator AS i
    ORDER BY array_position(ARRAY['T', 'B', 'R'], left(i.ref, 1)), length(i.ref), i.ref
$$;

-- Districts (p_districts, or all when null) and their towns, by code.
CREATE OR REPLACE FUNCTION pingan.query_districts(p_districts text[])
RETURNS TABLE (code text, name_zh text, name_en text)
LANGUAGE sql STABLE AS $$
    SELECT d.code, d.name_zh, d.name_en FROM pingan.district AS d
    WHERE p_districts IS NULL OR d.code = ANY (p_districts)
    ORDER BY d.code
$$;

CREATE OR REPLACE FUNCTION pingan.query_towns(p_districts text[])
RETURNS TABLE (code text, district_code text, name_zh text)
LANGUAGE sql STABLE AS $$
    SELECT t.code, t.district_code, t.name_zh FROM pingan.town AS t
    WHERE p_districts IS NULL OR t.district_code = ANY (p_districts)
    ORDER BY t.code
$$;
