-- 018_withdrawal.sql - a district's withdrawal of what it sent for a district
-- and period: a void revision (Report.withdraw, docs/protocol.md "Withdrawal")
-- that pingan.withdraw_report turns into pingan.void_report calls for every
-- revision stored, so that no figure or judgement counts them any more. One
-- row per withdrawal, for the audit: who sent it (sender text and CURVE key),
-- when, which reports it voided. Its revision stays the highest of the period:
-- a later report for it needs a higher one (put_report).

CREATE TABLE pingan.withdrawal (
    id             bigserial   PRIMARY KEY,
    report_id      text        NOT NULL UNIQUE,
    district_code  text        NOT NULL REFERENCES pingan.district,
    period_type    text        NOT NULL CHECK (period_type IN ('day', 'week', 'month', 'quarter', 'year')),
    period_start   date        NOT NULL,
    revision       int         NOT NULL CHECK (revision > 0),
    submitted_at   timestamptz NULL,
    received_at    timestamptz NOT NULL DEFAULT now(),
    sender         text        NOT NULL DEFAULT '',
    sender_key     text        NOT NULL DEFAULT '',
    worker         text        NOT NULL DEFAULT '',
    db_user        text        NOT NULL DEFAULT session_user,
    content_digest text        NOT NULL,
    voided         jsonb       NOT NULL
);

CREATE INDEX withdrawal_key_idx ON pingan.withdrawal (district_code, period_type, period_start);

COMMENT ON TABLE pingan.withdrawal IS
    'Withdrawals by a void revision (Report.withdraw): the reports of a district and period it moved to '
    'pingan.voided_report through void_report, and who asked. Its revision bounds later ones (put_report).';
COMMENT ON COLUMN pingan.withdrawal.report_id IS 'the void revision''s own report_id';
COMMENT ON COLUMN pingan.withdrawal.sender IS 'Submission.sender of the void revision';
COMMENT ON COLUMN pingan.withdrawal.sender_key IS
    'the CURVE public key (Z85) the void revision came with; empty when the worker runs without keys';
COMMENT ON COLUMN pingan.withdrawal.db_user IS 'the worker''s PostgreSQL login';
COMMENT ON COLUMN pingan.withdrawal.voided IS
    'the reports it voided, as a JSON array of {report_id, revision}, oldest first';

-- The worker reads it (put_report's revision rule); it writes it only through
-- withdraw_report, which runs as the owner (sql/functions/16_withdraw_report.sql).
GRANT SELECT ON pingan.withdrawal TO pingan_worker;
