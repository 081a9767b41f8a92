-- 10_reports.sql - read-only views for analysts over the stored reports: the
-- current revision of each report, values with their names, every revision
-- side by side, the quarantine one reason per row, and a per-report summary.

-- The current revision of each (district, period): the highest one stored.
CREATE VIEW pingan.current_report AS
SELECT DISTINCT ON (r.district_code, r.period_type, r.period_start)
       r.id, r.report_id, r.district_code, r.period_type, r.period_start, r.period_end,
       r.revision, r.submitted_at, r.received_at, r.sender, r.worker, r.content_digest,
       r.value_count, r.raw
FROM pingan.report AS r
ORDER BY r.district_code, r.period_type, r.period_start, r.revision DESC;

COMMENT ON VIEW pingan.current_report IS
    'For each district, period type and period start, the stored report with the highest revision. '
    'Earlier revisions stay in pingan.report (see v_value_all_revisions).';

-- Values of current reports, with names. Town and indicator are LEFT JOINs so
-- that a value never disappears from the view, even though value has no FKs.
CREATE VIEW pingan.v_value AS
SELECT r.id                                 AS report_pk,
       r.report_id,
       r.revision,
       r.district_code,
       d.name_zh                            AS district_name_zh,
       d.name_en                            AS district_name_en,
       v.town_code,
       t.name_zh                            AS town_name_zh,
       r.period_type,
       r.period_start,
       r.period_end,
       v.indicator_code,
       i.ref                                AS indicator_ref,
       i.name_en                            AS indicator_name_en,
       i.kind,
       v.count,
       v.numerator,
       v.denominator,
       v.numerator / nullif(v.denominator, 0) AS ratio,
       r.received_at
FROM pingan.current_report AS r
JOIN pingan.value AS v ON v.report_pk = r.id
JOIN pingan.district AS d ON d.code = r.district_code
LEFT JOIN pingan.town AS t ON t.code = v.town_code
LEFT JOIN pingan.indicator AS i ON i.code = v.indicator_code;

COMMENT ON VIEW pingan.v_value IS
    'Every value of the current revision of each report, with district, town and indicator names. '
    'town_code null = the district as a whole. ratio is per value; aggregate ratios as '
    'sum(numerator) / sum(denominator), never avg(ratio).';

-- Same over every stored revision, to compare first reports with corrections.
CREATE VIEW pingan.v_value_all_revisions AS
SELECT r.id                                 AS report_pk,
       r.report_id,
       r.revision,
       NOT EXISTS (SELECT 1
                   FROM pingan.report AS newer
                   WHERE newer.district_code = r.district_code
                     AND newer.period_type = r.period_type
                     AND newer.period_start = r.period_start
                     AND newer.revision > r.revision) AS is_current,
       r.district_code,
       d.name_zh                            AS district_name_zh,
       d.name_en                            AS district_name_en,
       v.town_code,
       t.name_zh                            AS town_name_zh,
       r.period_type,
       r.period_start,
       r.period_end,
       v.indicator_code,
       i.ref                                AS indicator_ref,
       i.name_en                            AS indicator_name_en,
       i.kind,
       v.count,
       v.numerator,
       v.denominator,
       v.numerator / nullif(v.denominator, 0) AS ratio,
       r.received_at
FROM pingan.report AS r
JOIN pingan.value AS v ON v.report_pk = r.id
JOIN pingan.district AS d ON d.code = r.district_code
LEFT JOIN pingan.town AS t ON t.code = v.town_code
LEFT JOIN pingan.indicator AS i ON i.code = v.indicator_code;

COMMENT ON VIEW pingan.v_value_all_revisions IS
    'Every value of every stored revision (first reports and corrections); is_current marks the '
    'highest revision of its district and period, the one v_value shows.';

-- Quarantine, one row per reason: the reasons of each refused report
-- (pingan.quarantine_report, with its submission's sender and bytes) and
-- those of whole refused submissions and frames. A report or submission
-- whose reasons array is empty still appears once, with null reason.
CREATE VIEW pingan.v_quarantine AS
SELECT q.id                  AS quarantine_id,
       q.received_at,
       q.sender,
       q.worker,
       q.peer_key,
       r.item,
       r.report_id,
       r.district_code,
       r.period_type,
       r.period_start,
       r.revision,
       e.ord                 AS reason_no,
       e.item ->> 'reason'   AS reason,
       e.item ->> 'field'    AS field,
       e.item ->> 'message'  AS message,
       octet_length(q.raw)   AS raw_bytes
FROM pingan.quarantine AS q
JOIN pingan.quarantine_report AS r ON r.quarantine_id = q.id
LEFT JOIN LATERAL jsonb_array_elements(r.reasons) WITH ORDINALITY AS e(item, ord) ON true
UNION ALL
SELECT q.id, q.received_at, q.sender, q.worker, q.peer_key,
       NULL::int, NULL::text, NULL::text, NULL::text, NULL::date, NULL::bigint,
       e.ord, e.item ->> 'reason', e.item ->> 'field', e.item ->> 'message', octet_length(q.raw)
FROM pingan.quarantine AS q
LEFT JOIN LATERAL jsonb_array_elements(q.reasons) WITH ORDINALITY AS e(item, ord) ON true
WHERE jsonb_array_length(q.reasons) > 0
   OR NOT EXISTS (SELECT 1 FROM pingan.quarantine_report AS r WHERE r.quarantine_id = q.id)
ORDER BY received_at DESC, quarantine_id DESC, item NULLS FIRST, reason_no;

COMMENT ON VIEW pingan.v_quarantine IS
    'Refused reports, submissions and frames, one row per reason (reason, field, message), newest '
    'first; item is the report''s index in its submission (null for a whole-submission reason). '
    'raw_bytes is the size of the submission bytes kept; read pingan.quarantine.raw to replay.';

CREATE VIEW pingan.v_report_summary AS
SELECT r.id                  AS report_pk,
       r.report_id,
       r.district_code,
       d.name_zh             AS district_name_zh,
       d.name_en             AS district_name_en,
       r.period_type,
       r.period_start,
       r.period_end,
       r.revision,
       r.value_count,
       r.submitted_at,
       r.received_at,
       r.sender,
       r.worker
FROM pingan.current_report AS r
JOIN pingan.district AS d ON d.code = r.district_code;

COMMENT ON VIEW pingan.v_report_summary IS
    'One row per current report: district, period, revision, number of values, when and from whom it came.';
