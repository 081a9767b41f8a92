/* pa_scorecard_sql.h - the statements pa_scorecard_load sends: reads of the
 * reference tables and the analyst views, one macro each, $n parameters,
 * schema-qualified names. The views themselves are DDL and live in sql/. */
#ifndef PA_SCORECARD_SQL_H
#define PA_SCORECARD_SQL_H

/* All reads of one report see one snapshot. */
#define PA_SQL_SC_BEGIN  "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
#define PA_SQL_SC_COMMIT "COMMIT"

/* When the figures were last brought up to date, the as-of day and now, in
 * the districts' local time. */
#define PA_SQL_SC_FRESHNESS                                                                        \
    "SELECT to_char(pingan.as_of(), 'YYYY-MM-DD') AS as_of, "                                      \
    "to_char(l.judged_at AT TIME ZONE s.time_zone, 'YYYY-MM-DD HH24:MI') || ' ' || s.time_zone "   \
    "AS judged_at, "                                                                               \
    "to_char(now() AT TIME ZONE s.time_zone, 'YYYY-MM-DD HH24:MI') || ' ' || s.time_zone "         \
    "AS generated_at "                                                                             \
    "FROM pingan.v_aggregate_lag AS l CROSS JOIN pingan.settings AS s"

/* T1..T10 first, then R1 (id order with T before R, T2 before T10), with how
 * each is shown (sql/012_target_display.sql). */
#define PA_SQL_SC_TARGETS                                                                          \
    "SELECT t.id, t.indicator_code, t.rule, t.threshold, t.level, t.quote_zh, "                    \
    "i.name_zh, i.name_en, i.kind, t.display, t.unit_zh, t.unit_en, t.share_unit, "                \
    "t.rule_text_zh, t.rule_text_en, t.explain_zh, t.explain_en, t.trend "                         \
    "FROM pingan.target AS t JOIN pingan.indicator AS i ON i.code = t.indicator_code "             \
    "ORDER BY left(t.id, 1) DESC, length(t.id), t.id"

/* Areas, with one parameter each (PA_SQL_SC_AREAS_NPARAMS): code, name_zh,
 * name_en. Districts: $1 district code, or NULL for all 38. */
#define PA_SQL_SC_AREAS_NPARAMS 1
#define PA_SQL_SC_DISTRICTS                                                                        \
    "SELECT code, name_zh, name_en FROM pingan.district "                                          \
    "WHERE $1::text IS NULL OR code = $1::text ORDER BY code"

/* $1 period_type, $2 period_start, $3 district code or NULL (then every
 * district and the city). The city row first, then by district, then in
 * target order. share/share_total: the target says at which levels the
 * actual is a share, and of which units. */
#define PA_SQL_SC_ROWS_NPARAMS 3
#define PA_SQL_SC_ROWS                                                                             \
    "SELECT s.target_id, s.indicator_code, s.level, s.area_code, s.area_name, s.status, "          \
    "s.verdict, s.reference_source, s.unit, s.coverage, s.actual, s.reference, s.threshold, "      \
    "s.margin, s.ytd_actual, s.ytd_reference, s.projection, s.in_progress, "                       \
    "to_char(s.ytd_end, 'YYYY-MM-DD') AS ytd_end, s.months_covered, s.months_expected, "           \
    "s.units_covered, s.units_expected, s.level = ANY (t.share_levels) AS share, "                 \
    "CASE WHEN s.level = ANY (t.share_levels) THEN CASE t.share_unit "                             \
    "WHEN 'towns' THEN (SELECT count(*) FROM pingan.town AS w "                                    \
    "WHERE s.level = 'city' OR w.district_code = s.area_code) "                                    \
    "WHEN 'districts' THEN (SELECT count(*) FROM pingan.district) END END AS share_total "         \
    "FROM pingan.v_district_scorecard AS s JOIN pingan.target AS t ON t.id = s.target_id "         \
    "WHERE s.period_type = $1::text AND s.period_start = $2::date "                                \
    "AND ($3::text IS NULL OR s.area_code = $3::text) "                                            \
    "ORDER BY s.area_code = pingan.city_code() DESC, s.area_code, left(s.target_id, 1) DESC, "     \
    "length(s.target_id), s.target_id"

/* $1 district code: its towns. */
#define PA_SQL_SC_TOWNS                                                                            \
    "SELECT code, name_zh, name_en FROM pingan.town WHERE district_code = $1::text ORDER BY code"

/* $1 period_type, $2 period_start, $3 district code: the town rows of that
 * district, with PA_SQL_SC_ROWS' columns, by town then target. */
#define PA_SQL_SC_TOWN_ROWS                                                                        \
    "SELECT s.target_id, s.indicator_code, s.level, s.area_code, s.area_name, s.status, "          \
    "s.verdict, s.reference_source, s.unit, s.coverage, s.actual, s.reference, s.threshold, "      \
    "s.margin, s.ytd_actual, s.ytd_reference, s.projection, s.in_progress, "                       \
    "to_char(s.ytd_end, 'YYYY-MM-DD') AS ytd_end, s.months_covered, s.months_expected, "           \
    "s.units_covered, s.units_expected, false AS share, NULL::numeric AS share_total "             \
    "FROM pingan.v_target_status AS s JOIN pingan.town AS w ON w.code = s.area_code "              \
    "WHERE s.level = 'town' AND s.period_type = $1::text AND s.period_start = $2::date "           \
    "AND w.district_code = $3::text "                                                              \
    "ORDER BY s.area_code, left(s.target_id, 1) DESC, length(s.target_id), s.target_id"

/* $1 period_type: the first and last judged period of that type. */
#define PA_SQL_SC_JUDGED_NPARAMS 1
#define PA_SQL_SC_JUDGED                                                                           \
    "SELECT to_char(min(period_start), 'YYYY-MM-DD') AS first, "                                   \
    "to_char(max(period_start), 'YYYY-MM-DD') AS last "                                            \
    "FROM pingan.v_district_scorecard WHERE period_type = $1::text"

/* Monthly values of $3 (the city or a district), $1 <= period_start < $2,
 * of the indicators whose target has a trend chart. */
#define PA_SQL_SC_TREND_NPARAMS 3
#define PA_SQL_SC_TREND                                                                            \
    "SELECT v.indicator_code, v.area_code, to_char(v.period_start, 'YYYY-MM-DD') AS "              \
    "period_start, "                                                                               \
    "v.value FROM pingan.v_trend AS v "                                                            \
    "WHERE v.area_code = $3::text AND v.period_type = 'month' "                                    \
    "AND v.level = CASE WHEN $3::text = pingan.city_code() THEN 'city' ELSE 'district' END "       \
    "AND v.period_start >= $1::date AND v.period_start < $2::date "                                \
    "AND v.indicator_code IN (SELECT t.indicator_code FROM pingan.target AS t WHERE t.trend) "     \
    "ORDER BY v.indicator_code, v.period_start"

/* $1 a name: districts whose Chinese name starts with it or whose English
 * name equals it, ignoring case. */
#define PA_SQL_SC_SUGGEST_NPARAMS 1
#define PA_SQL_SC_SUGGEST                                                                          \
    "SELECT code, name_zh, name_en FROM pingan.district "                                          \
    "WHERE name_zh = $1::text OR left(name_zh, length($1::text)) = $1::text "                      \
    "OR lower(name_en) = lower($1::text) OR lower(name_en) LIKE lower($1::text) || ' %' "          \
    "ORDER BY code LIMIT 5"

#endif
