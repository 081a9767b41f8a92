-- 016_quarantine_per_submission.sql - the quarantine keeps one row per refused
-- submission (or refused frame), holding its bytes once, and a small row per
-- refused report without bytes (docs/protocol.md §10). Before, every refused
-- report of a submission kept its own row and up to 64 KiB of bytes, so one
-- submission of 1000 bad reports cost 1000 rows and up to 64 MiB.

-- The view reads the columns that move; sql/views/10_reports.sql re-creates it.
DROP VIEW IF EXISTS pingan.v_quarantine;

CREATE TABLE pingan.quarantine_report (
    quarantine_id bigint  NOT NULL REFERENCES pingan.quarantine (id) ON DELETE CASCADE,
    item          int     NOT NULL CHECK (item >= 0),
    report_id     text    NULL,
    district_code text    NULL,
    period_type   text    NULL,
    period_start  date    NULL,
    revision      bigint  NULL,
    problems      int     NOT NULL CHECK (problems >= 0),
    reasons       jsonb   NOT NULL CHECK (jsonb_typeof(reasons) = 'array'),
    PRIMARY KEY (quarantine_id, item)
);

-- The status request lists a district's recent rejections.
CREATE INDEX quarantine_report_district_idx ON pingan.quarantine_report (district_code);

COMMENT ON TABLE pingan.quarantine_report IS
    'One refused report of a quarantined submission: what it claimed and why it was refused. '
    'Its bytes are in pingan.quarantine.raw, once per submission.';
COMMENT ON COLUMN pingan.quarantine_report.item IS 'index of the report in Submission.reports (from 0)';
COMMENT ON COLUMN pingan.quarantine_report.report_id IS 'Report.report_id as sent; null when empty';
COMMENT ON COLUMN pingan.quarantine_report.district_code IS 'as sent; no foreign key, since unknown districts land here';
COMMENT ON COLUMN pingan.quarantine_report.period_type IS 'as understood by the worker (day..year); null when missing';
COMMENT ON COLUMN pingan.quarantine_report.period_start IS 'null when missing or not a valid date';
COMMENT ON COLUMN pingan.quarantine_report.revision IS 'as sent; null when 0 or above 2147483647';
COMMENT ON COLUMN pingan.quarantine_report.problems IS 'how many problems the worker found (reasons keeps the first 8)';
COMMENT ON COLUMN pingan.quarantine_report.reasons IS
    'JSON array of {"reason": "...", "field": "...", "message": "..."}: the first 8 problems';

-- Existing rows were one per refused report: each becomes a submission row
-- of unknown size with one refused report (item 0). Frames (no report
-- fields at all) stay as they are.
INSERT INTO pingan.quarantine_report
    (quarantine_id, item, report_id, district_code, period_type, period_start, revision, problems,
     reasons)
SELECT q.id, 0, q.report_id, q.district_code, q.period_type, q.period_start, q.revision,
       jsonb_array_length(q.reasons),
       coalesce((SELECT jsonb_agg(e.item ORDER BY e.ord)
                 FROM jsonb_array_elements(q.reasons) WITH ORDINALITY AS e(item, ord)
                 WHERE e.ord <= 8), '[]'::jsonb)
FROM pingan.quarantine AS q
WHERE q.report_id IS NOT NULL OR q.district_code IS NOT NULL OR q.period_type IS NOT NULL
   OR q.period_start IS NOT NULL OR q.revision IS NOT NULL;
-- Their reasons now live with the report; the submission row keeps only
-- whole-submission reasons.
UPDATE pingan.quarantine AS q SET reasons = '[]'
WHERE EXISTS (SELECT 1 FROM pingan.quarantine_report AS r WHERE r.quarantine_id = q.id);

ALTER TABLE pingan.quarantine
    DROP COLUMN report_id,
    DROP COLUMN district_code,
    DROP COLUMN period_type,
    DROP COLUMN period_start,
    DROP COLUMN revision,
    ADD COLUMN peer_key text NULL,
    ADD COLUMN peer_address text NULL,
    ADD COLUMN reports int NULL CHECK (reports >= 0);

COMMENT ON TABLE pingan.quarantine IS
    'One row per submission the worker refused in whole or in part, or per frame it could not '
    'read: who sent it and its bytes (the first 64 KiB). Refused reports are in '
    'pingan.quarantine_report. Inserted by the worker; never replayed automatically.';
COMMENT ON COLUMN pingan.quarantine.reasons IS
    'JSON array of {"reason", "field", "message"} for a whole-submission refusal; [] when only '
    'reports were refused';
COMMENT ON COLUMN pingan.quarantine.raw IS
    'the first 64 KiB of the Submission bytes (or of the frame when it did not decode)';
COMMENT ON COLUMN pingan.quarantine.peer_key IS 'the sender''s CURVE public key (Z85); null without CURVE';
COMMENT ON COLUMN pingan.quarantine.peer_address IS 'the sender''s IP address as the worker saw it; null when unknown';
COMMENT ON COLUMN pingan.quarantine.reports IS
    'reports in the submission; null when it did not decode (and for rows from before 016)';

-- The worker files refused reports; nobody else writes here (sql/015_roles.sql).
GRANT INSERT ON pingan.quarantine_report TO pingan_worker;
GRANT SELECT ON pingan.quarantine_report TO pingan_worker;
