-- 15_void_report.sql - the operator's ways out: void a bad report so that the
-- previous revision of its district and period is current again, and prune
-- the quarantine after its retention. Neither is called by the worker.

CREATE OR REPLACE FUNCTION pingan.void_report(p_report_id text, p_reason text)
RETURNS TABLE (district_code text, period_type text, period_start date, voided_revision int,
               current_revision int)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    r pingan.report%ROWTYPE;
BEGIN
    IF coalesce(btrim(p_reason), '') = '' THEN
        RAISE EXCEPTION 'void_report: give the reason for voiding %', p_report_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO r FROM pingan.report AS x WHERE x.report_id = p_report_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'void_report: no stored report has report_id %', p_report_id
            USING ERRCODE = 'no_data_found';
    END IF;
    -- The same lock as put_report: a correction arriving meanwhile is judged
    -- against what is left once this commits.
    PERFORM pingan.lock_report_key(r.district_code, r.period_type, r.period_start);
    INSERT INTO pingan.voided_report
        (id, report_id, district_code, period_type, period_start, revision, received_at, sender,
         worker, content_digest, value_count, values_json, void_reason)
    SELECT r.id, r.report_id, r.district_code, r.period_type, r.period_start, r.revision,
           r.received_at, r.sender, r.worker, r.content_digest, r.value_count,
           coalesce((SELECT jsonb_agg(jsonb_build_object(
                                'indicator_code', v.indicator_code, 'town_code', v.town_code,
                                'count', v.count, 'numerator', v.numerator,
                                'denominator', v.denominator))
                     FROM pingan.value AS v WHERE v.report_pk = r.id), '[]'::jsonb),
           p_reason;
    -- Figures and judgements follow through the aggregation queue, as after
    -- a stored batch: a worker's next step recomputes them. (Queued while
    -- the report row still exists, which is what aggregate_reports reads.)
    PERFORM pingan.aggregate_reports(ARRAY[r.id]);
    DELETE FROM pingan.value AS v WHERE v.report_pk = r.id;
    DELETE FROM pingan.report AS x WHERE x.id = r.id;
    district_code := r.district_code;
    period_type := r.period_type;
    period_start := r.period_start;
    voided_revision := r.revision;
    SELECT max(x.revision) INTO current_revision
    FROM pingan.report AS x
    WHERE x.district_code = r.district_code AND x.period_type = r.period_type
      AND x.period_start = r.period_start;
    RETURN NEXT;
END
$$;

COMMENT ON FUNCTION pingan.void_report(text, text) IS
    'Voids the stored report with this report_id: moves it and its values to pingan.voided_report, '
    'so that the previous revision (current_revision, null when none is left) is current again, '
    'and queues its district period for aggregation. The report_id is refused if sent again.';

-- How long the quarantine keeps a refusal, in days, unless told otherwise.
CREATE OR REPLACE FUNCTION pingan.quarantine_retention_days() RETURNS int
LANGUAGE sql IMMUTABLE AS $$ SELECT 90 $$;

CREATE OR REPLACE FUNCTION pingan.prune_quarantine(
    p_days int DEFAULT pingan.quarantine_retention_days())
RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_n bigint;
BEGIN
    IF p_days IS NULL OR p_days < 0 THEN
        RAISE EXCEPTION 'prune_quarantine: % days is not a retention', p_days
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    DELETE FROM pingan.quarantine AS q WHERE q.received_at < now() - make_interval(days => p_days);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;

COMMENT ON FUNCTION pingan.prune_quarantine(int) IS
    'Deletes quarantine rows received more than p_days days ago (default 90); returns how many.';
