-- 023_rollup_queue.sql - quarters and years whose months changed during a
-- backfill and that are not yet summed again. While batches keep arriving, a
-- figure step brings only months up to date and leaves their quarters and
-- years here; they are summed once the backfill ends (or its oldest entry
-- is 20 s old), not after every step (sql/functions/50_refresh.sql). Only a
-- step holding the district's advisory lock writes a district's rows, so a
-- row needs no sequence number (compare aggregate_queue.seq).

CREATE TABLE pingan.rollup_queue (
    district_code text        NOT NULL,
    period_type   text        NOT NULL CHECK (period_type IN ('quarter', 'year')),
    period_start  date        NOT NULL,
    queued_at     timestamptz NOT NULL,
    PRIMARY KEY (district_code, period_type, period_start)
);

COMMENT ON TABLE pingan.rollup_queue IS
    'Quarters and years of a district whose months changed in a backfill and are not summed again yet; '
    'queued_at is when the oldest change behind them was queued.';

GRANT SELECT, INSERT, UPDATE, DELETE ON pingan.rollup_queue TO pingan_worker;
