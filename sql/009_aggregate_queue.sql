-- 009_aggregate_queue.sql - takes aggregation out of the ingest transaction.
-- Recomputing a district's periods inside every batch made storing a batch
-- about 14 times slower and repeated the work for each batch of a backfill.
-- Now the batch only queues the (district, period) keys it touched; workers
-- drain the queue when they are idle (pingan.aggregate_pending), recomputing
-- each key once however many batches touched it. Aggregates lag ingest by
-- at most the time a worker needs to become idle; the queue length says how
-- far behind they are (pingan.v_aggregate_lag).
--
-- No lost updates: a batch queues with INSERT ... ON CONFLICT DO UPDATE,
-- which row-locks an existing key until the batch commits, so a drain that
-- deletes that key waits for the batch and its recompute then sees it; a key
-- inserted by a batch that has not committed is invisible to the drain and
-- stays queued for the next one. Recomputation itself is unchanged (006):
-- under the district's advisory lock, from committed reports.

CREATE TABLE pingan.aggregate_queue (
    district_code text        NOT NULL,
    period_type   text        NOT NULL,
    period_start  date        NOT NULL,
    queued_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (district_code, period_type, period_start)
);

COMMENT ON TABLE pingan.aggregate_queue IS
    'District periods whose reports changed since their aggregates were last computed; drained by idle workers.';

-- The worker's call in the batch transaction: queue, do not compute.
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

-- Recomputes the queued keys of up to p_max_districts districts (oldest
-- first) and removes them from the queue. Returns the number of keys done,
-- 0 when the queue is empty. Meant to run in a transaction of its own.
CREATE FUNCTION pingan.aggregate_pending(p_max_districts int)
RETURNS int
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_districts text[];
    v_d text[];
    v_t text[];
    v_s date[];
BEGIN
    SELECT array_agg(d.district_code) INTO v_districts
    FROM (SELECT q.district_code, min(q.queued_at) AS since
          FROM pingan.aggregate_queue AS q
          GROUP BY q.district_code
          ORDER BY since, q.district_code
          LIMIT p_max_districts) AS d;
    IF v_districts IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM pingan.lock_districts(v_districts);
    -- Statements from here on see every report committed before the locks.
    WITH done AS (
        DELETE FROM pingan.aggregate_queue AS q
        WHERE q.district_code = ANY (v_districts)
        RETURNING q.district_code, q.period_type, q.period_start)
    SELECT array_agg(district_code), array_agg(period_type), array_agg(period_start)
    INTO v_d, v_t, v_s
    FROM done;
    IF v_d IS NULL THEN
        RETURN 0; /* another worker drained them first */
    END IF;
    PERFORM pingan.recompute_periods(v_d, v_t, v_s);
    RETURN cardinality(v_d);
END
$$;

COMMENT ON FUNCTION pingan.aggregate_pending(int) IS
    'Recomputes the aggregates of queued district periods for up to N districts and dequeues them; returns the number of keys done.';

-- A rebuild recomputes everything, so nothing stays queued.
CREATE OR REPLACE FUNCTION pingan.rebuild_aggregates() RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_d text[];
    v_t text[];
    v_s date[];
    v_n bigint;
BEGIN
    PERFORM pingan.lock_districts(ARRAY(SELECT code FROM pingan.district));
    DELETE FROM pingan.aggregate_queue;
    DELETE FROM pingan.aggregate;
    SELECT array_agg(k.district_code), array_agg(k.period_type), array_agg(k.period_start)
    INTO v_d, v_t, v_s
    FROM (SELECT DISTINCT r.district_code, r.period_type, r.period_start FROM pingan.report AS r) AS k;
    IF v_d IS NOT NULL THEN
        PERFORM pingan.recompute_periods(v_d, v_t, v_s);
    END IF;
    SELECT count(*) INTO v_n FROM pingan.aggregate;
    RETURN v_n;
END
$$;

CREATE VIEW pingan.v_aggregate_lag AS
SELECT count(*) AS queued_keys,
       count(DISTINCT district_code) AS queued_districts,
       min(queued_at) AS oldest_queued_at,
       now() - min(queued_at) AS lag
FROM pingan.aggregate_queue;

COMMENT ON VIEW pingan.v_aggregate_lag IS
    'How far aggregation is behind ingest: queued district periods and the age of the oldest.';
