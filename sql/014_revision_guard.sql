-- 014_revision_guard.sql - nothing a peer sends can lock a district out, and
-- what is kept is bounded. Reports an operator voids (pingan.void_report) move
-- here with their values, so that the previous revision of their district and
-- period becomes current again everywhere (every view and aggregate takes the
-- highest revision left in pingan.report), while the voided one stays on
-- record and its report_id cannot be stored again. The revision rule itself
-- (a new revision at most 1000 above the highest stored) is in put_report.

CREATE TABLE pingan.voided_report (
    id             bigint      PRIMARY KEY,
    report_id      text        NOT NULL UNIQUE,
    district_code  text        NOT NULL,
    period_type    text        NOT NULL,
    period_start   date        NOT NULL,
    revision       int         NOT NULL,
    received_at    timestamptz NOT NULL,
    sender         text        NOT NULL,
    worker         text        NOT NULL,
    content_digest text        NOT NULL,
    value_count    int         NOT NULL,
    values_json    jsonb       NOT NULL,
    voided_at      timestamptz NOT NULL DEFAULT now(),
    voided_by      text        NOT NULL DEFAULT current_user,
    void_reason    text        NOT NULL
);

COMMENT ON TABLE pingan.voided_report IS
    'Reports an operator voided with pingan.void_report: out of pingan.report (the previous revision is '
    'current again), kept here with their values for the record. A voided report_id is refused if sent again.';
COMMENT ON COLUMN pingan.voided_report.id IS 'the pingan.report.id it had';
COMMENT ON COLUMN pingan.voided_report.values_json IS
    'its pingan.value rows as a JSON array of {indicator_code, town_code, count, numerator, denominator}';
COMMENT ON COLUMN pingan.voided_report.void_reason IS 'why the operator voided it, as given';
