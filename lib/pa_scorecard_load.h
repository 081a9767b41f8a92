/* pa_scorecard_load.h - fills a pa_scorecard_t from PostgreSQL: the targets
 * with their display columns (pingan.target), the districts, the judgements
 * of one period (pingan.v_district_scorecard), the trend of the area the
 * report is about (pingan.v_trend) and the freshness (pingan.v_aggregate_lag),
 * in one read-only snapshot. The only module of the report that sees libpq. */
#ifndef PA_SCORECARD_LOAD_H
#define PA_SCORECARD_LOAD_H

#include <stddef.h>

#include "pa_err.h"
#include "pa_scorecard.h"

/* Connects with conninfo (a libpq connection string; NULL or "" = the PG*
 * environment), loads the scorecard's period (the district's rows only
 * when the scorecard has a district, else every district and the city) and
 * closes the connection. Returns PA_OK; PA_EINVAL for an unknown district
 * or a period without judgements (the message names the judged span);
 * else the class of the PostgreSQL failure (PA_ERETRY when the server
 * cannot be reached, PA_EFATAL e.g. when a view or column is missing). */
int pa_scorecard_load(pa_scorecard_t *self, const char *conninfo, pa_err_t *err);

/* Looks a district up by name (万州区, 万州, Wanzhou; case-insensitive for
 * Latin letters) and writes "500101 (万州区 Wanzhou)" for every match, comma
 * separated, into out (size bytes; "" when none). PA_OK or the class of the
 * PostgreSQL failure. */
int pa_scorecard_suggest_district(const char *conninfo, const char *name, char *out, size_t size,
                                  pa_err_t *err);

#endif
