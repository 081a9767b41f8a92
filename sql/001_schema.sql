-- 001_schema.sql - the pingan schema: reference tables (district, town,
-- indicator, target), the report store (report, value) and the quarantine.
-- It holds DDL only; rows come in 002 (districts, towns) and 003 (catalogue),
-- the store function in 004 and the analyst views in 005.
-- Applied by `pingan-worker --init-db` inside one transaction; the worker itself
-- records each applied file in pingan.schema_migrations. Plain SQL only: no psql
-- meta-commands, no BEGIN/COMMIT.

CREATE SCHEMA pingan;

COMMENT ON SCHEMA pingan IS
    'Safe Chongqing (平安重庆) indicator reports: reference data, stored reports, quarantine.';

-- ---------------------------------------------------------------------------
-- Migrations
-- ---------------------------------------------------------------------------

CREATE TABLE pingan.schema_migrations (
    version    int         PRIMARY KEY,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE pingan.schema_migrations IS
    'One row per applied sql/NNN_name.sql file, inserted by the worker in the same transaction as the file.';
COMMENT ON COLUMN pingan.schema_migrations.version IS 'NNN of the file name';
COMMENT ON COLUMN pingan.schema_migrations.name IS 'file name, e.g. 001_schema.sql';

-- ---------------------------------------------------------------------------
-- Reference data
-- ---------------------------------------------------------------------------

CREATE TABLE pingan.district (
    code    text PRIMARY KEY CHECK (code ~ '^50[0-9]{4}$'),
    name_zh text NOT NULL,
    name_en text NOT NULL,
    kind    text NOT NULL CHECK (kind IN ('district', 'county'))
);

COMMENT ON TABLE pingan.district IS
    'The 38 districts and counties (区县) of Chongqing, GB/T 2260 codes.';
COMMENT ON COLUMN pingan.district.code IS '6-digit GB/T 2260 code, e.g. 500101';
COMMENT ON COLUMN pingan.district.kind IS 'district (区) or county (县)';

CREATE TABLE pingan.town (
    code          text    PRIMARY KEY CHECK (code ~ '^50[0-9]{7}$'),
    district_code text    NOT NULL REFERENCES pingan.district,
    name_zh       text    NOT NULL,
    name_en       text    NOT NULL,
    synthetic     boolean NOT NULL DEFAULT true,
    CONSTRAINT town_code_in_district CHECK (left(code, 6) = district_code)
);

CREATE INDEX town_district_code_idx ON pingan.town (district_code);

COMMENT ON TABLE pingan.town IS
    'The 1031 towns and streets (镇街). The source gives only the total, so the rows are synthetic until real lists replace them.';
COMMENT ON COLUMN pingan.town.code IS '9 digits: the district code and a 3-digit sequence';
COMMENT ON COLUMN pingan.town.synthetic IS 'true when the row was generated, not taken from an official list';

CREATE TABLE pingan.indicator (
    code         text             PRIMARY KEY,
    ref          text             NOT NULL UNIQUE,
    name_zh      text             NOT NULL,
    name_en      text             NOT NULL,
    area         text             NOT NULL,
    kind         text             NOT NULL CHECK (kind IN ('count', 'ratio')),
    aggregation  text             NOT NULL CHECK (aggregation IN ('flow', 'stock')),
    level        text             NOT NULL CHECK (level IN ('town', 'district', 'any')),
    period_types text[]           NOT NULL,
    ceiling      double precision NULL,
    first_year   int              NOT NULL,
    description  text             NULL,
    CONSTRAINT indicator_period_types_valid CHECK (
        cardinality(period_types) > 0
        AND period_types <@ ARRAY['day', 'week', 'month', 'quarter', 'year']::text[]),
    CONSTRAINT indicator_ceiling_for_counts CHECK (
        ceiling IS NULL OR (kind = 'count' AND ceiling >= 0))
);

COMMENT ON TABLE pingan.indicator IS
    'Indicator catalogue: what a report may contain and how the worker validates it.';
COMMENT ON COLUMN pingan.indicator.code IS 'catalogue code used on the wire (Value.indicator), e.g. ws_deaths';
COMMENT ON COLUMN pingan.indicator.ref IS 'id in targets.md: T1..T10, B1..B3, R1';
COMMENT ON COLUMN pingan.indicator.kind IS 'count: a whole number; ratio: numerator and denominator, never a percentage';
COMMENT ON COLUMN pingan.indicator.aggregation IS
    'flow: sums over time (events in the period); stock: a level at the end of the period, never summed over time';
COMMENT ON COLUMN pingan.indicator.level IS
    'town: each value must name a town; district: a value must not name a town; any: either';
COMMENT ON COLUMN pingan.indicator.period_types IS 'period types in which the indicator is collected';
COMMENT ON COLUMN pingan.indicator.ceiling IS 'largest count accepted in one value (plausibility bound); null = none';
COMMENT ON COLUMN pingan.indicator.first_year IS 'first year for which reports are accepted';

CREATE TABLE pingan.target (
    id             text             PRIMARY KEY,
    indicator_code text             NOT NULL REFERENCES pingan.indicator,
    rule           text             NOT NULL CHECK (rule IN ('yoy_decrease', 'max_count', 'min_ratio',
                                                             'all_towns', 'max_per_district')),
    threshold      double precision NOT NULL,
    level          text             NOT NULL CHECK (level IN ('city', 'district', 'town')),
    period_type    text             NOT NULL DEFAULT 'year'
                                    CHECK (period_type IN ('day', 'week', 'month', 'quarter', 'year')),
    quote_zh       text             NOT NULL,
    note           text             NULL
);

COMMENT ON TABLE pingan.target IS
    'The 2024 targets stated in the source (targets.md), one rule each.';
COMMENT ON COLUMN pingan.target.rule IS
    'yoy_decrease: down at least threshold (0.05 = 5%) against the same period a year earlier; '
    'max_count: total at most threshold; min_ratio: sum(numerator)/sum(denominator) at least threshold; '
    'all_towns: number of towns with the count 1 at least threshold; max_per_district: count at most threshold in every district';
COMMENT ON COLUMN pingan.target.level IS 'where the rule is judged: the city as a whole, every district or every town';
COMMENT ON COLUMN pingan.target.quote_zh IS 'the sentence of the source that states the target';

-- ---------------------------------------------------------------------------
-- Reports
-- ---------------------------------------------------------------------------

CREATE TABLE pingan.report (
    id             bigserial   PRIMARY KEY,
    report_id      text        NOT NULL,
    district_code  text        NOT NULL REFERENCES pingan.district,
    period_type    text        NOT NULL CHECK (period_type IN ('day', 'week', 'month', 'quarter', 'year')),
    period_start   date        NOT NULL,
    period_end     date        NOT NULL,
    revision       int         NOT NULL CHECK (revision > 0),
    submitted_at   timestamptz NULL,
    received_at    timestamptz NOT NULL DEFAULT now(),
    sender         text        NOT NULL DEFAULT '',
    worker         text        NOT NULL DEFAULT '',
    content_digest text        NOT NULL,
    value_count    int         NOT NULL CHECK (value_count >= 0),
    raw            bytea       NOT NULL,
    CONSTRAINT report_report_id_key UNIQUE (report_id),
    CONSTRAINT report_natural_key UNIQUE (district_code, period_type, period_start, revision),
    -- A safety net behind the worker's own period check: a period starts on its
    -- first day (ISO weeks on a Monday) and period_end is the first day after it.
    -- Dates are cast to timestamp (not timestamptz) so the check ignores TimeZone.
    CONSTRAINT report_period_aligned CHECK (
        CASE period_type
            WHEN 'day' THEN period_end = period_start + 1
            WHEN 'week' THEN extract(isodow FROM period_start::timestamp) = 1
                             AND period_end = period_start + 7
            WHEN 'month' THEN period_start = date_trunc('month', period_start::timestamp)::date
                              AND period_end = (period_start::timestamp + interval '1 month')::date
            WHEN 'quarter' THEN period_start = date_trunc('quarter', period_start::timestamp)::date
                                AND period_end = (period_start::timestamp + interval '3 months')::date
            WHEN 'year' THEN period_start = date_trunc('year', period_start::timestamp)::date
                             AND period_end = (period_start::timestamp + interval '1 year')::date
        END)
);

COMMENT ON TABLE pingan.report IS
    'One row per stored report: one district, one period, one revision. Written only through pingan.put_report.';
COMMENT ON COLUMN pingan.report.id IS 'surrogate key; pingan.value.report_pk points here';
COMMENT ON COLUMN pingan.report.report_id IS 'client-chosen idempotency key (Report.report_id)';
COMMENT ON COLUMN pingan.report.period_start IS 'first day of the period';
COMMENT ON COLUMN pingan.report.period_end IS 'first day after the period (exclusive)';
COMMENT ON COLUMN pingan.report.revision IS '1 for a first report; a correction carries a higher one. The highest revision is current';
COMMENT ON COLUMN pingan.report.submitted_at IS 'when the district says it submitted the report; null when not given';
COMMENT ON COLUMN pingan.report.received_at IS 'when the worker stored it';
COMMENT ON COLUMN pingan.report.sender IS 'Submission.sender, free text naming the producer';
COMMENT ON COLUMN pingan.report.worker IS 'identity of the worker that stored it';
COMMENT ON COLUMN pingan.report.content_digest IS
    'UUID computed by the worker from the canonical content; equal digests mean the same report';
COMMENT ON COLUMN pingan.report.value_count IS 'number of rows in pingan.value for this report';
-- Protobuf of counts and ratios compresses poorly and pglz on every insert
-- was a fifth of the store's time: keep raw bytes out of line, uncompressed.
ALTER TABLE pingan.report ALTER COLUMN raw SET STORAGE EXTERNAL;
COMMENT ON COLUMN pingan.report.raw IS 'protobuf bytes of the Report message, so every figure can be rebuilt';

-- The big table: about 5 million rows a year, loaded with COPY.
--
-- It deliberately has no foreign keys and no primary key. Each FK would cost an
-- index probe per row during COPY (report, indicator, town), and a primary key
-- another index to maintain. Neither buys anything here:
--   * the worker validates every value against the reference data (indicator,
--     town in district, level, kind, ceiling) before anything is stored, and
--     rejects the whole report otherwise;
--   * report_pk always comes from the pingan.put_report call made in the same
--     transaction as the COPY, so it names a report that exists;
--   * nothing updates or deletes values, and (report_pk, town_code,
--     indicator_code) is unique because the worker refuses duplicate values.
-- The only index is on report_pk, which every view joins on.
CREATE TABLE pingan.value (
    report_pk      bigint           NOT NULL,
    indicator_code text             NOT NULL,
    town_code      text             NULL,
    count          bigint           NULL,
    numerator      double precision NULL,
    denominator    double precision NULL,
    -- Either a count, or a ratio given as both its parts; never both, never neither.
    CONSTRAINT value_count_or_ratio CHECK (
        (count IS NOT NULL AND numerator IS NULL AND denominator IS NULL)
        OR (count IS NULL AND numerator IS NOT NULL AND denominator IS NOT NULL))
);

CREATE INDEX value_report_pk_idx ON pingan.value (report_pk);

COMMENT ON TABLE pingan.value IS
    'One figure of a stored report. No foreign keys on purpose (COPY speed; the worker validates first): see sql/001_schema.sql.';
COMMENT ON COLUMN pingan.value.report_pk IS 'pingan.report.id, as returned by pingan.put_report in the same transaction';
COMMENT ON COLUMN pingan.value.indicator_code IS 'pingan.indicator.code';
COMMENT ON COLUMN pingan.value.town_code IS 'pingan.town.code; null = the district as a whole';
COMMENT ON COLUMN pingan.value.count IS 'for count indicators; null for ratios';
COMMENT ON COLUMN pingan.value.numerator IS 'for ratio indicators; aggregate as sum(numerator)/sum(denominator)';
COMMENT ON COLUMN pingan.value.denominator IS 'for ratio indicators; > 0';

-- ---------------------------------------------------------------------------
-- Quarantine
-- ---------------------------------------------------------------------------

-- Whatever the worker refused for good, with every reason. Nothing here is
-- constrained beyond what is needed to file it: an unknown district, a bad
-- period type or a frame that does not decode must still land here.
CREATE TABLE pingan.quarantine (
    id            bigserial   PRIMARY KEY,
    received_at   timestamptz NOT NULL DEFAULT now(),
    sender        text        NOT NULL DEFAULT '',
    worker        text        NOT NULL DEFAULT '',
    report_id     text        NULL,
    district_code text        NULL,
    period_type   text        NULL,
    period_start  date        NULL,
    revision      bigint      NULL,
    reasons       jsonb       NOT NULL CHECK (jsonb_typeof(reasons) = 'array'),
    raw           bytea       NULL
);

CREATE INDEX quarantine_received_at_idx ON pingan.quarantine (received_at);

COMMENT ON TABLE pingan.quarantine IS
    'Reports and frames refused for good, with every reason. Inserted by the worker; never replayed automatically.';
COMMENT ON COLUMN pingan.quarantine.report_id IS 'Report.report_id as sent; null when the frame did not decode';
COMMENT ON COLUMN pingan.quarantine.district_code IS 'as sent; no foreign key, since unknown districts land here';
COMMENT ON COLUMN pingan.quarantine.period_type IS 'as understood by the worker (day..year); null when missing';
COMMENT ON COLUMN pingan.quarantine.period_start IS 'null when missing or not a valid date';
COMMENT ON COLUMN pingan.quarantine.revision IS 'as sent; bigint because Report.revision is a uint32 and may be out of range for report.revision';
COMMENT ON COLUMN pingan.quarantine.reasons IS
    'JSON array of {"reason": "...", "field": "...", "message": "..."}, one per problem found';
COMMENT ON COLUMN pingan.quarantine.raw IS 'the Report bytes, or the whole frame when it did not decode';
