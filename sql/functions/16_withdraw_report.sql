-- 16_withdraw_report.sql - pingan.withdraw_report, what a district's void
-- revision (Report.withdraw) does: it voids, with the operator's own
-- pingan.void_report, every revision stored for its district and period, so
-- that figures and judgements no longer count them (void_report queues the
-- period for aggregation), and records who asked in pingan.withdrawal. It
-- returns the same row shape as put_report, and the worker calls it in the
-- same pipeline and transaction (a dry run rolls it back).
--
-- It runs as its owner (SECURITY DEFINER): the worker role may not delete
-- reports, and gets exactly this way of doing it, for the districts its key
-- may write (the allow-list is checked before any call).

CREATE OR REPLACE FUNCTION pingan.withdraw_report(
    p_report_id    text,
    p_district     text,
    p_period_type  text,
    p_period_start date,
    p_revision     int,
    p_submitted_at timestamptz,
    p_sender       text,
    p_sender_key   text,
    p_worker       text,
    p_digest       text)
RETURNS TABLE (status text, report_pk bigint, reason text, detail text, current_revision int)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id      bigint;
    v_digest  text;
    v_rev     int;
    v_max_rev int;
    v_voided  jsonb := '[]'::jsonb;
    v_list    text := '';
    v_why     text;
    r         record;
BEGIN
    PERFORM pingan.lock_report_key(p_district, p_period_type, p_period_start);

    -- The same void revision again: already done (idempotent, like a report).
    SELECT w.id, w.content_digest, w.revision INTO v_id, v_digest, v_rev
    FROM pingan.withdrawal AS w
    WHERE w.report_id = p_report_id;
    IF FOUND THEN
        IF v_digest = p_digest THEN
            status := 'duplicate'; report_pk := v_id; reason := NULL; detail := NULL;
            current_revision := v_rev;
        ELSE
            status := 'rejected'; report_pk := NULL; reason := 'report_id_conflict';
            detail := 'report_id already used by another withdrawal';
        END IF;
        RETURN NEXT;
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM pingan.report AS x WHERE x.report_id = p_report_id)
       OR EXISTS (SELECT 1 FROM pingan.voided_report AS x WHERE x.report_id = p_report_id) THEN
        status := 'rejected'; report_pk := NULL; reason := 'report_id_conflict';
        detail := 'report_id already used by a report; a void revision needs its own';
        RETURN NEXT;
        RETURN;
    END IF;

    SELECT max(x.revision) INTO v_max_rev
    FROM pingan.report AS x
    WHERE x.district_code = p_district AND x.period_type = p_period_type
      AND x.period_start = p_period_start;
    IF v_max_rev IS NULL THEN
        status := 'rejected'; report_pk := NULL; reason := 'nothing_to_withdraw';
        detail := format('nothing is stored for district %s, %s starting %s', p_district,
                         p_period_type, p_period_start);
        RETURN NEXT;
        RETURN;
    END IF;
    IF p_revision <= v_max_rev THEN
        status := 'rejected'; report_pk := NULL; reason := 'stale_revision';
        detail := format('a void revision must be above the current revision %s, not %s', v_max_rev,
                         p_revision);
        RETURN NEXT;
        RETURN;
    END IF;
    IF p_revision::bigint - v_max_rev > pingan.revision_step() THEN
        status := 'rejected'; report_pk := NULL; reason := 'revision_jump';
        detail := format('revision %s is more than %s above the highest stored revision %s of this '
                         'district and period', p_revision, pingan.revision_step(), v_max_rev);
        RETURN NEXT;
        RETURN;
    END IF;

    v_why := format('withdrawn by void revision %s (report_id %s) from sender %s, key %s',
                    p_revision, p_report_id, coalesce(nullif(p_sender, ''), '(none)'),
                    coalesce(nullif(p_sender_key, ''), '(none)'));
    FOR r IN
        SELECT x.report_id, x.revision
        FROM pingan.report AS x
        WHERE x.district_code = p_district AND x.period_type = p_period_type
          AND x.period_start = p_period_start
        ORDER BY x.revision
    LOOP
        PERFORM pingan.void_report(r.report_id, v_why);
        v_voided := v_voided || jsonb_build_array(
            jsonb_build_object('report_id', r.report_id, 'revision', r.revision));
        v_list := v_list || CASE WHEN v_list = '' THEN '' ELSE ', ' END || 'r' || r.revision;
    END LOOP;

    INSERT INTO pingan.withdrawal AS w
        (report_id, district_code, period_type, period_start, revision, submitted_at, sender,
         sender_key, worker, content_digest, voided)
    VALUES
        (p_report_id, p_district, p_period_type, p_period_start, p_revision, p_submitted_at,
         coalesce(p_sender, ''), coalesce(p_sender_key, ''), coalesce(p_worker, ''), p_digest,
         v_voided)
    RETURNING w.id INTO v_id;
    status := 'stored'; report_pk := v_id; reason := NULL;
    detail := 'voided ' || v_list; current_revision := NULL;
    RETURN NEXT;
END
$$;

COMMENT ON FUNCTION pingan.withdraw_report(text, text, text, date, int, timestamptz, text, text, text,
                                           text) IS
    'A void revision: voids (pingan.void_report) every stored revision of the district and period, records '
    'the withdrawal with its sender and key, and returns put_report''s row shape: (stored, withdrawal id, '
    'detail "voided r1, r2") | (duplicate, id) for the same void revision again | (rejected, null, '
    'nothing_to_withdraw | stale_revision | revision_jump | report_id_conflict, detail).';

REVOKE ALL ON FUNCTION pingan.withdraw_report(text, text, text, date, int, timestamptz, text, text,
                                              text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pingan.withdraw_report(text, text, text, date, int, timestamptz, text, text,
                                                 text, text) TO pingan_worker;
