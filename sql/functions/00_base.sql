-- 00_base.sql - constants and period arithmetic that every other definition
-- uses: the city's code, the aggregation lock, period ends, ranks and ids,
-- and the "as of" day. Pure functions; no table is written here.

-- The city as an area: the sum of its 38 districts.
CREATE OR REPLACE FUNCTION pingan.city_code() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT '500000'::text $$;

CREATE OR REPLACE FUNCTION pingan.city_name() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT '重庆市'::text $$;

-- Advisory lock held by whoever writes pingan.figure and pingan.judgement
-- (an aggregation step or a rebuild), for the rest of its transaction.
-- Reports take hashed keys of their own (lock_report_key).
CREATE OR REPLACE FUNCTION pingan.lock_aggregation() RETURNS void
LANGUAGE sql VOLATILE AS $$ SELECT pg_catalog.pg_advisory_xact_lock(5005, 0) $$;

-- The aggregation steps' locks (sql/functions/50_refresh.sql): every step
-- holds the aggregation lock shared, so that a rebuild waits for the steps;
-- a figure or district judgement step holds its districts' locks, the city
-- step the city's; while batches keep arriving a step needs the busy lock,
-- so that only one runs at a time.
CREATE OR REPLACE FUNCTION pingan.lock_step() RETURNS void
LANGUAGE sql VOLATILE AS $$ SELECT pg_catalog.pg_advisory_xact_lock_shared(5005, 0) $$;

CREATE OR REPLACE FUNCTION pingan.try_lock_district(p_district text) RETURNS boolean
LANGUAGE sql VOLATILE AS $$ SELECT pg_catalog.pg_try_advisory_xact_lock(5006, hashtext(p_district)) $$;

CREATE OR REPLACE FUNCTION pingan.try_lock_city() RETURNS boolean
LANGUAGE sql VOLATILE AS $$ SELECT pg_catalog.pg_try_advisory_xact_lock(5007, 0) $$;

CREATE OR REPLACE FUNCTION pingan.try_lock_busy_step() RETURNS boolean
LANGUAGE sql VOLATILE AS $$ SELECT pg_catalog.pg_try_advisory_xact_lock(5008, 0) $$;

-- Advisory lock of one district period, held until commit by whoever
-- writes its reports (pingan.put_report, pingan.void_report).
CREATE OR REPLACE FUNCTION pingan.lock_report_key(p_district text, p_type text, p_start date)
RETURNS void
LANGUAGE sql VOLATILE AS $$
    SELECT pg_catalog.pg_advisory_xact_lock(
        pg_catalog.hashtextextended(p_district || '|' || p_type || '|' || p_start::text, 0))
$$;

CREATE OR REPLACE FUNCTION pingan.period_rank(p_type text) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE p_type WHEN 'day' THEN 1 WHEN 'week' THEN 2 WHEN 'month' THEN 3
                       WHEN 'quarter' THEN 4 WHEN 'year' THEN 5 END
$$;

-- First day after the period starting at p_start.
CREATE OR REPLACE FUNCTION pingan.period_end(p_type text, p_start date) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE p_type
        WHEN 'day' THEN p_start + 1
        WHEN 'week' THEN p_start + 7
        WHEN 'month' THEN (p_start + interval '1 month')::date
        WHEN 'quarter' THEN (p_start + interval '3 months')::date
        WHEN 'year' THEN (p_start + interval '1 year')::date
    END
$$;

-- The period of type p_type containing day p_day (weeks: ISO, Monday).
CREATE OR REPLACE FUNCTION pingan.period_containing(p_type text, p_day date) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE p_type WHEN 'day' THEN p_day
                       ELSE date_trunc(p_type, p_day::timestamp)::date END
$$;

-- The child period type a stored figure is built from.
CREATE OR REPLACE FUNCTION pingan.period_child(p_type text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE p_type WHEN 'week' THEN 'day' WHEN 'month' THEN 'day'
                       WHEN 'quarter' THEN 'month' WHEN 'year' THEN 'quarter' END
$$;

-- source_types as a bit mask and back, to take unions inside GROUP BY.
CREATE OR REPLACE FUNCTION pingan.types_mask(p_types text[]) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (CASE WHEN 'day' = ANY (p_types) THEN 2 ELSE 0 END)
         | (CASE WHEN 'week' = ANY (p_types) THEN 4 ELSE 0 END)
         | (CASE WHEN 'month' = ANY (p_types) THEN 8 ELSE 0 END)
         | (CASE WHEN 'quarter' = ANY (p_types) THEN 16 ELSE 0 END)
         | (CASE WHEN 'year' = ANY (p_types) THEN 32 ELSE 0 END)
$$;

CREATE OR REPLACE FUNCTION pingan.mask_types(p_mask int) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_remove(ARRAY[CASE WHEN p_mask & 2 <> 0 THEN 'day' END,
                              CASE WHEN p_mask & 4 <> 0 THEN 'week' END,
                              CASE WHEN p_mask & 8 <> 0 THEN 'month' END,
                              CASE WHEN p_mask & 16 <> 0 THEN 'quarter' END,
                              CASE WHEN p_mask & 32 <> 0 THEN 'year' END], NULL)
$$;

-- The last elapsed day: settings.as_of, or yesterday in China time.
CREATE OR REPLACE FUNCTION pingan.as_of() RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT coalesce(s.as_of, (now() AT TIME ZONE s.time_zone)::date - 1) FROM pingan.settings AS s
$$;

-- A period id as on the wire ('2023', '2023-Q1', '2023-03', '2023-W09',
-- '2023-03-05') as (period_type, period_start); raises on anything else.
CREATE OR REPLACE FUNCTION pingan.period_parse(p_id text, OUT period_type text, OUT period_start date)
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF p_id ~ '^[0-9]{4}$' THEN
        period_type := 'year'; period_start := make_date(p_id::int, 1, 1);
    ELSIF p_id ~ '^[0-9]{4}-Q[1-4]$' THEN
        period_type := 'quarter';
        period_start := make_date(left(p_id, 4)::int, 3 * right(p_id, 1)::int - 2, 1);
    ELSIF p_id ~ '^[0-9]{4}-[0-9]{2}$' THEN
        period_type := 'month'; period_start := make_date(left(p_id, 4)::int, right(p_id, 2)::int, 1);
    ELSIF p_id ~ '^[0-9]{4}-W[0-9]{2}$' THEN
        period_type := 'week';
        period_start := to_date(left(p_id, 4) || '-' || right(p_id, 2) || '-1', 'IYYY-IW-ID');
    ELSIF p_id ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN
        period_type := 'day'; period_start := p_id::date;
    ELSE
        RAISE EXCEPTION 'period "%" is not YYYY, YYYY-Qn, YYYY-MM, YYYY-Www or YYYY-MM-DD', p_id
            USING ERRCODE = 'invalid_datetime_format';
    END IF;
END
$$;
