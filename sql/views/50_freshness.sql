-- 50_freshness.sql - whether figures and judgements are current: what is
-- queued for the aggregation step, and when judgements last changed.

CREATE VIEW pingan.v_aggregate_lag AS
SELECT count(*) AS queued_keys,
       count(DISTINCT q.district_code) AS queued_districts,
       min(q.queued_at) AS oldest_queued_at,
       now() - min(q.queued_at) AS lag,
       now() - min(q.queued_at) AS oldest_age,
       (SELECT max(j.updated_at) FROM pingan.judgement AS j) AS judged_at,
       (SELECT s.judged_as_of FROM pingan.settings AS s) AS judged_as_of
FROM pingan.aggregate_queue AS q;

COMMENT ON VIEW pingan.v_aggregate_lag IS
    'How far aggregation is behind ingest: queued district periods, the age of the oldest change not yet '
    'in the figures (oldest_age; null when current), and when judgements were last brought up to date.';
