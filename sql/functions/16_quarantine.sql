-- 16_quarantine.sql - files what the worker refused: one pingan.quarantine
-- row per submission (or unreadable frame) and one pingan.quarantine_report
-- row per refused report, in one call per submission rather than one per
-- report. Called by the worker in the batch's transaction.

-- p_id null: files a new submission row and returns its id; otherwise adds
-- p_reports to that row (reports the store refused after the first call).
-- p_reports is a JSON array of {"item", "report_id", "district_code",
-- "period_type", "period_start", "revision", "problems", "reasons"}.
CREATE OR REPLACE FUNCTION pingan.quarantine_submission(
    p_id bigint, p_sender text, p_worker text, p_peer_key text, p_peer_address text,
    p_reports_in int, p_reasons jsonb, p_raw bytea, p_reports jsonb)
RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_id bigint := p_id;
BEGIN
    IF v_id IS NULL THEN
        INSERT INTO pingan.quarantine (sender, worker, peer_key, peer_address, reports, reasons, raw)
        VALUES (coalesce(p_sender, ''), coalesce(p_worker, ''), p_peer_key, p_peer_address,
                p_reports_in, coalesce(p_reasons, '[]'), p_raw)
        RETURNING id INTO v_id;
    END IF;
    INSERT INTO pingan.quarantine_report
        (quarantine_id, item, report_id, district_code, period_type, period_start, revision,
         problems, reasons)
    SELECT v_id, r.item, r.report_id, r.district_code, r.period_type, r.period_start, r.revision,
           r.problems, coalesce(r.reasons, '[]')
    FROM jsonb_to_recordset(coalesce(p_reports, '[]')) AS r(
        item int, report_id text, district_code text, period_type text, period_start date,
        revision bigint, problems int, reasons jsonb);
    RETURN v_id;
END
$$;

COMMENT ON FUNCTION pingan.quarantine_submission(bigint, text, text, text, text, int, jsonb, bytea, jsonb) IS
    'Files a refused submission (p_id null: a new pingan.quarantine row) and its refused reports '
    '(pingan.quarantine_report rows); returns the quarantine id.';
