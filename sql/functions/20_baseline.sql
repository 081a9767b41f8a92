-- 20_baseline.sql - pingan.load_baseline: moves staged baseline CSV rows
-- (pingan.baseline_load) into pingan.baseline, checked, then re-judges every
-- period, since a baseline is the reference of the year after it.

-- Returns the number of rows loaded; raises, loading nothing, on the first
-- bad row.
CREATE OR REPLACE FUNCTION pingan.load_baseline() RETURNS int
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_row  record;
    v_n    int := 0;
    v_type text;
    v_start date;
    v_area text;
BEGIN
    FOR v_row IN SELECT * FROM pingan.baseline_load LOOP
        IF NOT EXISTS (SELECT 1 FROM pingan.indicator AS i WHERE i.code = v_row.indicator) THEN
            RAISE EXCEPTION 'baseline: unknown indicator "%"', v_row.indicator
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        v_area := coalesce(v_row.area, '');
        IF v_row.level = 'city' THEN
            v_area := pingan.city_code();
        ELSIF v_row.level = 'district' THEN
            IF NOT EXISTS (SELECT 1 FROM pingan.district AS d WHERE d.code = v_area) THEN
                RAISE EXCEPTION 'baseline: unknown district "%"', v_area USING ERRCODE = 'invalid_parameter_value';
            END IF;
        ELSIF v_row.level = 'town' THEN
            IF NOT EXISTS (SELECT 1 FROM pingan.town AS t WHERE t.code = v_area) THEN
                RAISE EXCEPTION 'baseline: unknown town "%"', v_area USING ERRCODE = 'invalid_parameter_value';
            END IF;
        ELSE
            RAISE EXCEPTION 'baseline: level "%" is not city, district or town', v_row.level
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT p.period_type, p.period_start INTO v_type, v_start FROM pingan.period_parse(v_row.period) AS p;
        INSERT INTO pingan.baseline AS b
            (indicator_code, level, area_code, period_type, period_start, count, numerator, denominator, note)
        VALUES (v_row.indicator, v_row.level, v_area, v_type, v_start,
                nullif(v_row.count, '')::bigint, nullif(v_row.numerator, '')::double precision,
                nullif(v_row.denominator, '')::double precision, coalesce(v_row.note, ''))
        ON CONFLICT (indicator_code, level, area_code, period_type, period_start) DO UPDATE
        SET count = excluded.count, numerator = excluded.numerator, denominator = excluded.denominator,
            note = excluded.note, loaded_at = now();
        v_n := v_n + 1;
    END LOOP;
    DELETE FROM pingan.baseline_load;
    PERFORM pingan.rejudge_all();
    RETURN v_n;
END
$$;
