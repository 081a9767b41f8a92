-- 021_queue_seq.sql - each queuing of an aggregation key gets a number of
-- its own, so that an aggregation step can leave the keys it read in the
-- queue until its end and then remove only those not queued again since
-- (sql/functions/50_refresh.sql, figures_pending). Before, the step took the
-- keys' row locks first and held them for the whole step: a batch that
-- re-queued one of those keys (another revision of the same district period)
-- waited for the step to commit, up to a second at idle.

CREATE SEQUENCE pingan.aggregate_queue_seq;

ALTER TABLE pingan.aggregate_queue
    ADD COLUMN seq bigint NOT NULL DEFAULT nextval('pingan.aggregate_queue_seq');

COMMENT ON COLUMN pingan.aggregate_queue.seq IS
    'set anew each time the key is queued: a step removes the key only if it is still the one it read';

GRANT USAGE ON SEQUENCE pingan.aggregate_queue_seq TO pingan_worker;
