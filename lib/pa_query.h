/* pa_query.h - a district office's questions to a worker (docs/protocol.md
 * §11) and their answers, as domain values: the status of what districts
 * submitted and their recent rejections, and the catalogue. pa_codec moves
 * them on and off the wire; pa_query_check judges a question (pure);
 * pa_query_run answers it from PostgreSQL. Knows nothing of ZeroMQ. */
#ifndef PA_QUERY_H
#define PA_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pa_err.h"
#include "pa_period.h"
#include "pa_problem.h"
#include "pa_report.h"

typedef struct pa_pg pa_pg_t; /* pa_pg.h: only pa_query_run needs it */

enum {
    PA_QUERY_NONE = 0,
    PA_QUERY_STATUS = 1,
    PA_QUERY_CATALOGUE = 2,
};

#define PA_QUERY_DISTRICTS_MAX 38   /* districts in one question (catalogue) */
#define PA_QUERY_STATUS_MAX    8    /* districts in one status question */
#define PA_QUERY_LIMIT_DEFAULT 100  /* rows per list when the question says 0 */
#define PA_QUERY_LIMIT_MAX     1000 /* rows per list at most */
#define PA_QUERY_NAME_SIZE     128
#define PA_QUERY_REASON_SIZE   48

typedef struct {
    int kind; /* PA_QUERY_* */
    char districts[PA_QUERY_DISTRICTS_MAX][PA_DISTRICT_SIZE];
    size_t n_districts;
    size_t n_asked;                 /* as sent, even beyond the max */
    pa_period_type_t period_type;   /* PA_PERIOD_NONE = any */
    char period_from[PA_DATE_SIZE]; /* "" = any; else "YYYY-MM-DD" as sent */
    char period_to[PA_DATE_SIZE];
    int64_t since_ms; /* Unix ms; 0 = any */
    unsigned limit;   /* rows per list; 0 = default */
    bool garbled;     /* a string field did not fit or was not UTF-8: refused */
} pa_query_t;

typedef struct {
    char report_id[PA_REPORT_ID_SIZE];
    char district[PA_DISTRICT_SIZE];
    pa_period_type_t period_type;
    char period_start[PA_DATE_SIZE];
    unsigned revision;
    int64_t submitted_at_ms; /* 0 when not given */
    int64_t received_at_ms;
    bool current;
    unsigned values;
} pa_answer_report_t;

typedef struct {
    int64_t received_at_ms;
    char report_id[PA_REPORT_ID_SIZE];
    char district[PA_DISTRICT_SIZE];
    pa_period_type_t period_type;    /* PA_PERIOD_NONE when unreadable */
    char period_start[PA_DATE_SIZE]; /* "" when unreadable */
    unsigned revision;
    char reason[PA_QUERY_REASON_SIZE];
    char field[PA_PROBLEM_FIELD_SIZE];
    char message[PA_PROBLEM_MSG_SIZE];
    unsigned problems;
} pa_answer_rejection_t;

typedef struct {
    char code[PA_INDICATOR_SIZE];
    char name_zh[PA_QUERY_NAME_SIZE];
    char name_en[PA_QUERY_NAME_SIZE];
    char kind[8];         /* "count" or "ratio" */
    char level[12];       /* "town", "district" or "any" */
    unsigned period_mask; /* bit (1 << pa_period_type_t) per period collected */
} pa_answer_indicator_t;

typedef struct {
    char code[PA_DISTRICT_SIZE];
    char name_zh[PA_QUERY_NAME_SIZE];
    char name_en[PA_QUERY_NAME_SIZE];
} pa_answer_district_t;

typedef struct {
    char code[PA_TOWN_SIZE];
    char district[PA_DISTRICT_SIZE];
    char name_zh[PA_QUERY_NAME_SIZE];
} pa_answer_town_t;

/* An answer; every array owned. */
typedef struct {
    int kind;
    pa_answer_report_t *reports;
    size_t n_reports;
    pa_answer_rejection_t *rejections;
    size_t n_rejections;
    bool truncated; /* a list was cut at the limit */
    pa_answer_indicator_t *indicators;
    size_t n_indicators;
    pa_answer_district_t *districts;
    size_t n_districts;
    pa_answer_town_t *towns;
    size_t n_towns;
} pa_answer_t;

/* NULL when out of memory. */
pa_answer_t *pa_answer_new(int kind);
void pa_answer_destroy(pa_answer_t **self_p);
/* Appends a zeroed entry to a list and returns it (NULL when out of memory). */
pa_answer_report_t *pa_answer_add_report(pa_answer_t *self);
pa_answer_rejection_t *pa_answer_add_rejection(pa_answer_t *self);
pa_answer_indicator_t *pa_answer_add_indicator(pa_answer_t *self);
pa_answer_district_t *pa_answer_add_district(pa_answer_t *self);
pa_answer_town_t *pa_answer_add_town(pa_answer_t *self);

/* Fills q for a producer's command line: kind, one district (may be "" for
 * the catalogue), a period id (status: that period; template: the
 * catalogue of its district) and a since date (China time midnight). Pure;
 * PA_EINVAL names the bad argument. */
int pa_query_from_args(pa_query_t *q, int kind, const char *district, const char *period,
                       const char *since, pa_err_t *err);

/* Judges a question before it is answered: PA_OK, or PA_EINVAL with the
 * reason (PA_REASON_QUERY_INVALID) in *reason and why in err. Pure. */
int pa_query_check(const pa_query_t *q, int *reason, pa_err_t *err);

/* Whether a key may read a district: the worker passes its allow-list. */
typedef bool (*pa_query_may_read_fn)(void *arg, const char *district);

/* Answers a checked question from PostgreSQL (*out, caller destroys).
 * may_read (NULL: any district) is asked for every district named (a
 * catalogue naming none lists only the towns of districts it allows); a refusal is PA_EINVAL with
 * *reason PA_REASON_QUERY_UNAUTHORIZED and the district in err. A database
 * failure is its class (PA_ERETRY...) with *reason PA_REASON_QUERY_UNAVAILABLE.
 * Not thread-safe (one connection). */
int pa_query_run(pa_pg_t *pg, const pa_query_t *q, pa_query_may_read_fn may_read, void *arg,
                 pa_answer_t **out, int *reason, pa_err_t *err);

#endif
