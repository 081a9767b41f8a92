/* pa_validate.h - judges one decoded report against the catalogue and the
 * clock. It names every problem (not only the first) and knows nothing of
 * the wire or the database; revision rules that need stored state (stale,
 * conflict) are the store's. */
#ifndef PA_VALIDATE_H
#define PA_VALIDATE_H

#include <stdint.h>

#include "pa_catalog.h"
#include "pa_problem.h"
#include "pa_report.h"

/* Reporting periods are civil dates in China Standard Time (UTC+8). */
#define PA_TZ_OFFSET_MS (8LL * 3600 * 1000)
/* Clock skew tolerated before a submission time counts as in the future. */
#define PA_FUTURE_SKEW_MS (5LL * 60 * 1000)

/* Appends to problems every rule r breaks. Fields already recorded as
 * problems by the decoder (shape) are not judged again. now_ms is the
 * worker's clock, Unix epoch milliseconds. Thread-safe for a sealed catalogue. */
void pa_validate_report(const pa_catalog_t *cat, const pa_report_t *r, int64_t now_ms,
                        pa_problems_t *problems);

/* Today's civil date (days since 1970-01-01) in UTC+8 for a Unix time. */
int32_t pa_validate_today(int64_t now_ms);

#endif
