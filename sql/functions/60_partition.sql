-- 60_partition.sql - pingan.value partitioned by period, with PostgreSQL's
-- declarative partitioning, as an operator's opt-in (docs/scaling.md):
--   pingan.partition_value(every, ahead) turns the plain table into one
--     partitioned by range of period_start (a partition per month or per
--     year, from the catalogue's first year to `ahead` ranges past today, and
--     a default partition for anything outside them), moving every row;
--   pingan.add_value_partitions(ahead) is the maintenance step (cron, or
--     pg_cron) that creates the next ranges before they are needed.
-- Nothing else changes: put_report, the worker's COPY, the views, figures,
-- judgements, --rebuild and --void read and write pingan.value by name.
-- pingan.value has no unique key (sql/001_schema.sql), so none has to take
-- period_start in; pingan.report keeps its global report_id key and stays one
-- table (a partitioned table's unique keys must hold the partition key).

CREATE FUNCTION pingan.value_partition_name(p_every interval, p_start date)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT 'value_' || to_char(p_start, CASE WHEN p_every = interval '1 month' THEN 'YYYY_MM' ELSE 'YYYY' END)
$$;

COMMENT ON FUNCTION pingan.value_partition_name(interval, date) IS
    'Name of the pingan.value partition that starts on p_start: value_2024 (yearly) or value_2024_03 (monthly).';

CREATE FUNCTION pingan.add_value_partitions(p_ahead int DEFAULT 2)
RETURNS int
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_every interval;
    v_unit  text;
    v_lo    date;
    v_last  date;
    v_name  text;
    v_owner text;
    v_n     int := 0;
BEGIN
    SELECT s.value_partition_every INTO v_every FROM pingan.settings AS s;
    IF v_every IS NULL THEN
        RAISE EXCEPTION 'pingan.value is not partitioned'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'SELECT pingan.partition_value(''1 year'') converts it (docs/scaling.md)';
    END IF;
    IF p_ahead IS NULL OR p_ahead < 0 OR p_ahead > 120 THEN
        RAISE EXCEPTION 'p_ahead must be 0..120 ranges, not %', p_ahead USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_unit := CASE WHEN v_every = interval '1 month' THEN 'month' ELSE 'year' END;
    -- From the first year the catalogue accepts (or an earlier stored period)
    -- to p_ahead ranges past today.
    v_lo := date_trunc(v_unit, least(current_date,
                                     (SELECT make_date(min(i.first_year), 1, 1) FROM pingan.indicator AS i),
                                     (SELECT min(r.period_start) FROM pingan.report AS r)))::date;
    v_last := (date_trunc(v_unit, current_date) + v_every * p_ahead)::date;
    SELECT c.relowner::regrole::text INTO v_owner FROM pg_class AS c WHERE c.oid = 'pingan.value'::regclass;
    WHILE v_lo <= v_last LOOP
        v_name := pingan.value_partition_name(v_every, v_lo);
        IF to_regclass(format('pingan.%I', v_name)) IS NULL THEN
            -- Rows that reached the default partition for this range move into
            -- the new one before it is attached (ATTACH checks the default).
            EXECUTE format('CREATE TABLE pingan.%I (LIKE pingan.value INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
                           'INCLUDING STORAGE)', v_name);
            EXECUTE format('WITH moved AS (DELETE FROM pingan.value_default AS d '
                           'WHERE d.period_start >= $1 AND d.period_start < $2 RETURNING d.*) '
                           'INSERT INTO pingan.%I SELECT * FROM moved', v_name)
                USING v_lo, (v_lo + v_every)::date;
            EXECUTE format('ALTER TABLE pingan.value ATTACH PARTITION pingan.%I FOR VALUES FROM (%L) TO (%L)',
                           v_name, v_lo, (v_lo + v_every)::date);
            EXECUTE format('ALTER TABLE pingan.%I OWNER TO %I', v_name, v_owner);
            v_n := v_n + 1;
        END IF;
        v_lo := (v_lo + v_every)::date;
    END LOOP;
    RETURN v_n;
END
$$;

COMMENT ON FUNCTION pingan.add_value_partitions(int) IS
    'Creates the missing partitions of pingan.value from the catalogue''s first year (or the first stored period) '
    'to p_ahead ranges past today, '
    'moving any rows of their range out of pingan.value_default; returns how many it created. The maintenance '
    'step of a partitioned pingan.value: run it at least once per range (docs/scaling.md).';

CREATE FUNCTION pingan.partition_value(p_every interval DEFAULT interval '1 year', p_ahead int DEFAULT 2)
RETURNS int
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_current interval;
    v_owner   text;
    v_comment text;
    v_stmts   text[];
    v_grants  text[];
    v_s       text;
    v_n       int;
    v_rows    bigint;
BEGIN
    IF p_every IS NULL OR p_every NOT IN (interval '1 month', interval '1 year') THEN
        RAISE EXCEPTION 'partitions are per ''1 month'' or per ''1 year'', not %', p_every
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT s.value_partition_every INTO v_current FROM pingan.settings AS s FOR UPDATE;
    IF v_current IS NOT NULL THEN
        IF v_current <> p_every THEN
            RAISE EXCEPTION 'pingan.value is already partitioned per %', v_current
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        RETURN pingan.add_value_partitions(p_ahead);
    END IF;
    -- No writer or reader meanwhile: workers wait (or are stopped, as the
    -- docs ask), and nothing sees the table half moved.
    LOCK TABLE pingan.value IN ACCESS EXCLUSIVE MODE;

    -- The views read pingan.value by its identity, not its name: each is
    -- dropped and re-created from its own definition, owner, comment and
    -- grants. A view outside the schema would be lost with them: refuse.
    SELECT string_agg(DISTINCT v.oid::regclass::text, ', ') INTO v_s
    FROM pg_depend AS d
    JOIN pg_rewrite AS rw ON rw.oid = d.objid
    JOIN pg_class AS v ON v.oid = rw.ev_class
    WHERE d.refobjid IN (SELECT c.oid FROM pg_class AS c
                         WHERE c.relnamespace = 'pingan'::regnamespace AND c.relkind IN ('r', 'v'))
      AND v.relnamespace <> 'pingan'::regnamespace;
    IF v_s IS NOT NULL THEN
        RAISE EXCEPTION 'views outside schema pingan read it: %', v_s
            USING ERRCODE = 'dependent_objects_still_exist', HINT = 'drop them, partition, re-create them';
    END IF;
    SELECT coalesce(array_agg(s.stmt ORDER BY s.ord, s.sub), '{}') INTO v_stmts
    FROM (SELECT c.oid AS ord, 0 AS sub,
                 format('CREATE VIEW pingan.%I%s AS %s', c.relname,
                        CASE WHEN c.reloptions IS NULL THEN ''
                             ELSE ' WITH (' || array_to_string(c.reloptions, ', ') || ')' END,
                        pg_get_viewdef(c.oid)) AS stmt
          FROM pg_class AS c WHERE c.relnamespace = 'pingan'::regnamespace AND c.relkind = 'v'
          UNION ALL
          SELECT c.oid, 1, format('ALTER VIEW pingan.%I OWNER TO %I', c.relname, c.relowner::regrole::text)
          FROM pg_class AS c WHERE c.relnamespace = 'pingan'::regnamespace AND c.relkind = 'v'
          UNION ALL
          SELECT c.oid, 2, format('COMMENT ON VIEW pingan.%I IS %L', c.relname, d.description)
          FROM pg_class AS c
          JOIN pg_description AS d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
          WHERE c.relnamespace = 'pingan'::regnamespace AND c.relkind = 'v'
          UNION ALL
          SELECT c.oid, 3, format('GRANT %s ON pingan.%I TO %s', a.privilege_type, c.relname,
                                  CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(a.grantee::regrole::text) END)
          FROM pg_class AS c, aclexplode(c.relacl) AS a
          WHERE c.relnamespace = 'pingan'::regnamespace AND c.relkind = 'v' AND a.grantee <> c.relowner) AS s;
    SELECT coalesce(array_agg(format('GRANT %s ON pingan.value TO %s', a.privilege_type,
                                     CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                                          ELSE quote_ident(a.grantee::regrole::text) END)), '{}')
    INTO v_grants
    FROM pg_class AS c, aclexplode(c.relacl) AS a
    WHERE c.oid = 'pingan.value'::regclass AND a.grantee <> c.relowner;
    SELECT c.relowner::regrole::text, obj_description(c.oid, 'pg_class') INTO v_owner, v_comment
    FROM pg_class AS c WHERE c.oid = 'pingan.value'::regclass;
    FOR v_s IN SELECT c.relname FROM pg_class AS c
               WHERE c.relnamespace = 'pingan'::regnamespace AND c.relkind = 'v' ORDER BY c.oid DESC LOOP
        EXECUTE format('DROP VIEW IF EXISTS pingan.%I CASCADE', v_s);
    END LOOP;

    ALTER TABLE pingan.value RENAME TO value_unpartitioned;
    ALTER INDEX pingan.value_report_pk_idx RENAME TO value_unpartitioned_report_pk_idx;
    CREATE TABLE pingan.value (LIKE pingan.value_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS
                               INCLUDING STORAGE INCLUDING COMMENTS)
        PARTITION BY RANGE (period_start);
    CREATE INDEX value_report_pk_idx ON pingan.value (report_pk);
    CREATE TABLE pingan.value_default PARTITION OF pingan.value DEFAULT;
    EXECUTE format('ALTER TABLE pingan.value OWNER TO %I', v_owner);
    EXECUTE format('ALTER TABLE pingan.value_default OWNER TO %I', v_owner);
    EXECUTE format('COMMENT ON TABLE pingan.value IS %L', v_comment || ' Partitioned by period_start (pingan.partition_value).');
    FOREACH v_s IN ARRAY v_grants LOOP
        EXECUTE v_s;
    END LOOP;
    UPDATE pingan.settings SET value_partition_every = p_every;
    v_n := pingan.add_value_partitions(p_ahead);

    INSERT INTO pingan.value (report_pk, indicator_code, town_code, count, numerator, denominator, period_start)
    SELECT u.report_pk, u.indicator_code, u.town_code, u.count, u.numerator, u.denominator, u.period_start
    FROM pingan.value_unpartitioned AS u;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    DROP TABLE pingan.value_unpartitioned;
    FOREACH v_s IN ARRAY v_stmts LOOP
        EXECUTE v_s;
    END LOOP;
    RAISE NOTICE 'pingan.value: % rows in % partitions per %', v_rows, v_n, p_every;
    RETURN v_n;
END
$$;

COMMENT ON FUNCTION pingan.partition_value(interval, int) IS
    'Turns pingan.value into a table partitioned by period_start, one partition per p_every (1 month or 1 year) '
    'from the catalogue''s first year to p_ahead ranges past today, plus pingan.value_default; moves every row and '
    're-creates the schema''s views. Run as the owner with the workers stopped; returns the partitions created. '
    'On a partitioned table it only adds the missing partitions (pingan.add_value_partitions).';
