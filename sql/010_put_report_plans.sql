-- 010_put_report_plans.sql - put_report plans each call for the table as it
-- is now. plpgsql caches a generic plan after a few calls; cached while
-- pingan.report was empty (just analyzed), it kept scanning the whole table
-- for every report as the table grew: a year of daily reports took 18 s
-- instead of 7 s in the benchmark. Planning per call costs far less.
ALTER FUNCTION pingan.put_report(text, text, text, date, date, int, timestamptz, text, text, text,
                                 int, bytea)
    SET plan_cache_mode = force_custom_plan;
