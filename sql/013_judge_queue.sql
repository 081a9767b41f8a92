-- 013_judge_queue.sql - judgements are brought up to date in steps of their
-- own. A figure step (months, quarters, years, city) queues the district
-- periods whose judgements it made stale; a judgement step drains them. While
-- a backfill keeps figure keys coming, judging is deferred (up to a bound,
-- pingan.aggregate_pending), so a year of daily reports is judged a few times
-- rather than once per figure step.

CREATE TABLE pingan.judge_queue (
    district_code text        NOT NULL,
    period_type   text        NOT NULL CHECK (period_type IN ('month', 'quarter', 'year')),
    period_start  date        NOT NULL,
    queued_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (district_code, period_type, period_start)
);

COMMENT ON TABLE pingan.judge_queue IS
    'District periods whose figures changed since their judgements (district, town and city rows) were last '
    'computed; drained by the aggregation step.';
