/* pa_scorecard_sql.h - the statements pa_scorecard sends: reads of the
 * reference tables and the analyst views, one macro each, $n parameters,
 * schema-qualified names. The views themselves are DDL and live in sql/. */
#ifndef PA_SCORECARD_SQL_H
#define PA_SCORECARD_SQL_H

/* All reads of one report see one snapshot. */
#define PA_SQL_SC_BEGIN  "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
#define PA_SQL_SC_COMMIT "COMMIT"

/* T1..T10 first, then R1 (id order with T before R, T2 before T10). */
#define PA_SQL_SC_TARGETS                                                                          \
    "SELECT t.id, t.indicator_code, t.rule, t.threshold, t.level, t.quote_zh, "                    \
    "i.name_zh, i.name_en, i.kind "                                                                \
    "FROM pingan.target AS t JOIN pingan.indicator AS i ON i.code = t.indicator_code "             \
    "ORDER BY left(t.id, 1) DESC, length(t.id), t.id"

/* $1 district code, or NULL for all 38. */
#define PA_SQL_SC_DISTRICTS_NPARAMS 1
#define PA_SQL_SC_DISTRICTS                                                                        \
    "SELECT code, name_zh, name_en FROM pingan.district "                                          \
    "WHERE $1::text IS NULL OR code = $1::text ORDER BY code"

/* $1 period_type, $2 period_start, $3 district code or NULL (then every
 * district and the city). The city row first, then by district, then in
 * target order. */
#define PA_SQL_SC_ROWS_NPARAMS 3
#define PA_SQL_SC_ROWS                                                                             \
    "SELECT target_id, indicator_code, level, area_code, area_name, status, actual, reference, "   \
    "threshold, margin, ytd_actual, ytd_reference, projection "                                    \
    "FROM pingan.v_district_scorecard "                                                            \
    "WHERE period_type = $1::text AND period_start = $2::date "                                    \
    "AND ($3::text IS NULL OR area_code = $3::text) "                                              \
    "ORDER BY area_code = '500000' DESC, area_code, left(target_id, 1) DESC, length(target_id), "  \
    "target_id"

/* City-level monthly values, $1 <= period_start < $2. */
#define PA_SQL_SC_TREND_NPARAMS 2
#define PA_SQL_SC_TREND                                                                            \
    "SELECT indicator_code, to_char(period_start, 'YYYY-MM-DD') AS period_start, value "           \
    "FROM pingan.v_trend "                                                                         \
    "WHERE level = 'city' AND period_type = 'month' "                                              \
    "AND period_start >= $1::date AND period_start < $2::date "                                    \
    "ORDER BY indicator_code, period_start"

#endif
