-- 50_freshness.sql - whether figures and judgements are current: what is
-- queued for the aggregation steps, and when judgements last changed.

-- queued_keys counts every queue, so that 0 means figures and judgements are
-- all current; the parts are given too. Figure keys are those of batches
-- (aggregate_queue) and the quarters and years a backfill left to sum
-- (rollup_queue).
CREATE VIEW pingan.v_aggregate_lag AS
WITH f AS (
    SELECT count(*) AS n, count(DISTINCT u.district_code) AS districts, min(u.queued_at) AS oldest
    FROM (SELECT q.district_code, q.queued_at FROM pingan.aggregate_queue AS q
          UNION ALL
          SELECT r.district_code, r.queued_at FROM pingan.rollup_queue AS r) AS u),
j AS (
    SELECT count(*) AS n, min(q.queued_at) AS oldest FROM pingan.judge_queue AS q)
SELECT f.n + j.n AS queued_keys,
       f.districts AS queued_districts,
       f.n AS queued_figure_keys,
       j.n AS queued_judgement_keys,
       least(f.oldest, j.oldest) AS oldest_queued_at,
       now() - least(f.oldest, j.oldest) AS lag,
       now() - least(f.oldest, j.oldest) AS oldest_age,
       (SELECT max(jd.updated_at) FROM pingan.judgement AS jd) AS judged_at,
       (SELECT s.judged_as_of FROM pingan.settings AS s) AS judged_as_of
FROM f CROSS JOIN j;

COMMENT ON VIEW pingan.v_aggregate_lag IS
    'How far aggregation is behind ingest: queued district periods (figure keys plus judgement keys), the age '
    'of the oldest change not yet in the figures or judgements (oldest_age; null when current), and when '
    'judgements were last brought up to date.';
