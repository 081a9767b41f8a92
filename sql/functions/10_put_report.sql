-- 10_put_report.sql - pingan.put_report, the one way a report row is written. It
-- decides stored / duplicate / rejected for one validated report and inserts
-- the report row; the values are COPYed into pingan.value by the worker in the
-- same transaction, using the report_pk returned here. Validation of the
-- content is the worker's job; quarantine rows are plain INSERTs by the worker.

-- Its statements are planned once per session, with index scans only: every
-- lookup below has an index, and planning them on every call was two thirds
-- of the function's time (3.2 s of a year's 13,908 calls, against 1.1 s).
-- Without enable_seqscan = off, a generic plan cached while pingan.report was
-- empty would keep scanning the whole table as it grew (18 s instead of 7 s
-- a year).

-- The largest step by which a new revision may exceed the highest stored one.
CREATE OR REPLACE FUNCTION pingan.revision_step() RETURNS int
LANGUAGE sql IMMUTABLE AS $$ SELECT 1000 $$;

COMMENT ON FUNCTION pingan.revision_step() IS
    'A new revision may exceed the highest stored revision of its district and period (0 when none) by at '
    'most this; beyond, put_report rejects it as revision_jump.';

CREATE OR REPLACE FUNCTION pingan.put_report(
    p_report_id    text,
    p_district     text,
    p_period_type  text,
    p_period_start date,
    p_period_end   date,
    p_revision     int,
    p_submitted_at timestamptz,
    p_sender       text,
    p_worker       text,
    p_digest       text,
    p_value_count  int,
    p_raw          bytea)
RETURNS TABLE (status text, report_pk bigint, reason text, detail text, current_revision int)
LANGUAGE plpgsql
VOLATILE
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
AS $$
DECLARE
    v_id        bigint;
    v_digest    text;
    v_report_id text;
    v_max_rev   int;
    v_district  text;
    v_ptype     text;
    v_pstart    date;
    v_rev       int;
BEGIN
    -- Serialize workers on the same district and period, so that the checks
    -- below and the insert see one consistent state (revision order, conflicts).
    PERFORM pingan.lock_report_key(p_district, p_period_type, p_period_start);
    -- The lock is held until the batch commits: one lock-table entry per report
    -- in the batch. The same report_id sent at once for another district or
    -- period takes another lock; the ON CONFLICT below covers that race.

    -- The common case, a report whose report_id and district period are
    -- found nowhere (stored, voided or withdrawn), goes straight to 4: one
    -- statement instead of the lookups of 0 to 3 (bench/README.md).
    IF EXISTS (SELECT 1 FROM pingan.report AS r WHERE r.report_id = p_report_id)
       OR EXISTS (SELECT 1 FROM pingan.report AS r
                  WHERE r.district_code = p_district AND r.period_type = p_period_type
                    AND r.period_start = p_period_start)
       OR EXISTS (SELECT 1 FROM pingan.voided_report AS x WHERE x.report_id = p_report_id)
       OR EXISTS (SELECT 1 FROM pingan.withdrawal AS w
                  WHERE w.district_code = p_district AND w.period_type = p_period_type
                    AND w.period_start = p_period_start)
       OR p_revision::bigint > pingan.revision_step() THEN
        -- 0. A report an operator voided, or its district withdrew, stays voided:
        -- sending it again must not bring it back (the producer may still be
        -- resending it).
        SELECT x.void_reason INTO v_report_id
        FROM pingan.voided_report AS x WHERE x.report_id = p_report_id;
        IF FOUND THEN
            status := 'rejected'; report_pk := NULL; reason := 'report_id_conflict';
            detail := CASE WHEN v_report_id LIKE 'withdrawn by void revision %'
                           THEN 'report_id was ' || v_report_id || '; send a new report_id'
                           ELSE 'report_id was voided by an operator (pingan.voided_report); '
                                || 'send a new report_id'
                      END;
            RETURN NEXT;
            RETURN;
        END IF;

        -- 1. The idempotency key. The same content again is a duplicate while it
        -- is current, and superseded once a higher revision replaced it.
        SELECT r.id, r.content_digest, r.district_code, r.period_type, r.period_start, r.revision
        INTO v_id, v_digest, v_district, v_ptype, v_pstart, v_rev
        FROM pingan.report AS r
        WHERE r.report_id = p_report_id;
        IF FOUND THEN
            IF v_digest = p_digest THEN
                SELECT max(r.revision) INTO v_max_rev
                FROM pingan.report AS r
                WHERE r.district_code = v_district AND r.period_type = v_ptype
                  AND r.period_start = v_pstart;
                status := CASE WHEN v_max_rev > v_rev THEN 'superseded' ELSE 'duplicate' END;
                report_pk := v_id; reason := NULL; detail := NULL; current_revision := v_max_rev;
            ELSE
                status := 'rejected'; report_pk := NULL; reason := 'report_id_conflict';
                detail := 'report_id already stored with other content';
            END IF;
            RETURN NEXT;
            RETURN;
        END IF;

        -- 2. The natural key: same district, period and revision.
        SELECT r.id, r.content_digest, r.report_id INTO v_id, v_digest, v_report_id
        FROM pingan.report AS r
        WHERE r.district_code = p_district
          AND r.period_type = p_period_type
          AND r.period_start = p_period_start
          AND r.revision = p_revision;
        IF FOUND THEN
            IF v_digest = p_digest THEN
                SELECT max(r.revision) INTO v_max_rev
                FROM pingan.report AS r
                WHERE r.district_code = p_district AND r.period_type = p_period_type
                  AND r.period_start = p_period_start;
                status := CASE WHEN v_max_rev > p_revision THEN 'superseded' ELSE 'duplicate' END;
                report_pk := v_id; reason := NULL; detail := NULL; current_revision := v_max_rev;
            ELSE
                status := 'rejected'; report_pk := NULL; reason := 'revision_conflict';
                detail := format('revision %s of this district and period is already stored with other '
                                 'content (report_id %s); send a higher revision', p_revision, v_report_id);
            END IF;
            RETURN NEXT;
            RETURN;
        END IF;

        -- 2b. A withdrawal (pingan.withdrawal) is a revision of its period too:
        -- what follows it must carry a higher one.
        SELECT max(w.revision) INTO v_rev
        FROM pingan.withdrawal AS w
        WHERE w.district_code = p_district
          AND w.period_type = p_period_type
          AND w.period_start = p_period_start;
        IF v_rev >= p_revision THEN
            status := 'rejected'; report_pk := NULL; reason := 'stale_revision';
            detail := format('revision %s is not above void revision %s, which withdrew this district '
                             'and period', p_revision, v_rev);
            RETURN NEXT;
            RETURN;
        END IF;

        -- 3. A correction must not be overtaken by an older revision.
        SELECT max(r.revision) INTO v_max_rev
        FROM pingan.report AS r
        WHERE r.district_code = p_district
          AND r.period_type = p_period_type
          AND r.period_start = p_period_start;
        IF v_max_rev > p_revision THEN
            status := 'rejected'; report_pk := NULL; reason := 'stale_revision';
            detail := format('revision %s is older than stored revision %s', p_revision, v_max_rev);
            RETURN NEXT;
            RETURN;
        END IF;

        -- 3b. No single message may pin the period: a revision may exceed the
        -- highest stored one (0 when none) by at most pingan.revision_step(), so
        -- that revision 2147483647 cannot make every later correction stale.
        v_max_rev := greatest(v_max_rev, v_rev);
        IF p_revision::bigint - coalesce(v_max_rev, 0) > pingan.revision_step() THEN
            status := 'rejected'; report_pk := NULL; reason := 'revision_jump';
            detail := format('revision %s is more than %s above the highest stored revision %s of this '
                             'district and period', p_revision, pingan.revision_step(),
                             coalesce(v_max_rev, 0));
            RETURN NEXT;
            RETURN;
        END IF;
    END IF;

    -- 4. New: store it.
    INSERT INTO pingan.report AS r
        (report_id, district_code, period_type, period_start, period_end, revision, submitted_at,
         sender, worker, content_digest, value_count, raw)
    VALUES
        (p_report_id, p_district, p_period_type, p_period_start, p_period_end, p_revision,
         p_submitted_at, coalesce(p_sender, ''), coalesce(p_worker, ''), p_digest, p_value_count, p_raw)
    ON CONFLICT ON CONSTRAINT report_report_id_key DO NOTHING
    RETURNING r.id INTO v_id;

    IF v_id IS NOT NULL THEN
        status := 'stored'; report_pk := v_id; reason := NULL; detail := NULL;
        RETURN NEXT;
        RETURN;
    END IF;

    -- Another transaction committed this report_id (for another district or
    -- period, so under another lock) after step 1 looked. Judge against it
    -- rather than fail the batch with a unique violation.
    SELECT r.id, r.content_digest INTO v_id, v_digest
    FROM pingan.report AS r
    WHERE r.report_id = p_report_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'report_id % conflicted but is not visible', p_report_id
            USING ERRCODE = 'serialization_failure';
    END IF;
    IF v_digest = p_digest THEN
        status := 'duplicate'; report_pk := v_id; reason := NULL; detail := NULL;
    ELSE
        status := 'rejected'; report_pk := NULL; reason := 'report_id_conflict';
        detail := 'report_id already stored with other content';
    END IF;
    RETURN NEXT;
    RETURN;
END
$$;

COMMENT ON FUNCTION pingan.put_report(text, text, text, date, date, int, timestamptz, text, text, text,
                                      int, bytea) IS
    'Stores one validated report row, idempotently. Returns one row: '
    '(stored, new id) | (duplicate, existing id) when report_id, or district+period+revision, is already '
    'stored with the same content_digest and is current | (superseded, existing id, current_revision) when '
    'it is stored but a higher revision replaced it | (rejected, null, report_id_conflict | revision_conflict | '
    'stale_revision | revision_jump, detail). On stored, the caller COPYs the values with report_pk = the id, in the same '
    'transaction. Call it under READ COMMITTED: each check must see reports committed while it waited on the lock.';
