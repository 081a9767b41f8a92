-- 022_report_raw_lz4.sql - report.raw compressed with lz4. 001 kept it out of
-- line uncompressed, because pglz on every insert cost a fifth of the store's
-- time. lz4 is several times faster than pglz and a report's protobuf repeats
-- its indicator and town codes in every value: a year of daily reports keeps
-- 42 MB instead of 170 MB, writes 488 MB of WAL instead of 606 MB, and is
-- stored about 10 % sooner (bench/README.md). Rows already stored keep their
-- form; new rows are compressed. A server built without lz4 keeps 001's form.

DO $$
BEGIN
    ALTER TABLE pingan.report ALTER COLUMN raw SET COMPRESSION lz4;
    ALTER TABLE pingan.report ALTER COLUMN raw SET STORAGE EXTENDED;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not supported by this server: report.raw stays uncompressed';
END
$$;
