/* pa_producer.h - district submission: read report files, batch reports into
 * submissions, keep a window of them in flight on a DEALER socket, and
 * forget a report only once a receipt says stored, duplicate or rejected
 * (resending on timeout: the store is idempotent on report ids). */
#ifndef PA_PRODUCER_H
#define PA_PRODUCER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "pa_err.h"
#include "pa_log.h"
#include "pa_problem.h"
#include "pa_window.h"

typedef struct {
    const char *connect;        /* comma-separated worker endpoints (round robin) */
    const char *sender;         /* names this producer in the audit trail; "" = host:pid */
    const char *format;         /* "", "csv" or "json"; "" = from the file name */
    int batch_reports;          /* reports per submission */
    int window;                 /* submissions in flight before waiting for receipts */
    int timeout_ms;             /* resend a submission with no receipt after this long */
    int retries;                /* resends before giving a submission up */
    int deadline_s;             /* bound of the whole run in seconds; 0 = none */
    bool dry_run;               /* with connect: the worker judges, stores nothing; without:
                                 * syntax only, nothing is sent */
    bool quiet;                 /* no line per report, only the summary (the program's business) */
    bool progress;              /* progress events, about once a second and at the end */
    const char *errors;         /* CSV file to write rejections to; "" = none (the program's) */
    const char *ignore_columns; /* CSV columns the reader skips, comma-separated; "" = none */
    const char *log_level;
    bool withdraw;          /* send a void revision instead of files (the program's business) */
    const char *district;   /* --district CODE: --withdraw, --status, --template */
    const char *period;     /* --period P (a period id): --withdraw, --template */
    int revision;           /* --withdraw: the void revision */
    const char *key;        /* CURVE secret key file of this office; "" = no CURVE */
    const char *server_key; /* the worker's public key file; with key */
    /* Questions instead of files (the program's; docs/protocol.md §11): */
    bool status;          /* --status: what --district submitted, its rejections */
    bool list_indicators; /* --list-indicators: the catalogue */
    bool template_csv;    /* --template: the CSV form of --district and --period */
    const char *since;    /* --since YYYY-MM-DD: status of what arrived since */
    const char *output;   /* --output FILE for --template; "" = stdout */
} pa_producer_config_t;

typedef struct {
    uint64_t reports; /* read from files */
    uint64_t values;
    uint64_t sent; /* put in flight (in the window, sent or about to be) */
    uint64_t stored;
    uint64_t duplicate;
    uint64_t superseded; /* already stored, but a higher revision is current */
    uint64_t rejected;
    uint64_t failed;   /* sent and given up: no receipt after every retry, stopped, deadline */
    uint64_t unsent;   /* read but never sent (stopped or out of time first) */
    uint64_t receipts; /* receipts received, late and repeated ones included */
} pa_producer_stats_t;

/* What became of each report, for the program to print; the library
 * prints nothing. Either callback may be NULL. */
/* Where a problem of a rejected report points: its file and line (the
 * value's, or the report's first when the problem is about the report),
 * and the value's town and indicator ("" when not about one value). */
typedef struct {
    const char *file; /* "" when unknown */
    size_t line;      /* 0 when unknown */
    char town[PA_TOWN_SIZE];
    char indicator[PA_INDICATOR_SIZE];
} pa_where_t;

/* What a receipt said of one report. */
typedef struct {
    int status;                    /* PA_STATUS_STORED, _DUPLICATE, _SUPERSEDED or _REJECTED */
    const pa_problems_t *problems; /* REJECTED: its problems (NULL or empty otherwise) */
    const pa_where_t *where;       /* where[i]: where problems->items[i] points in the input */
    uint32_t current_revision;     /* SUPERSEDED: the revision the city holds as current */
    bool dry_run;                  /* judged in a dry run: "would be", nothing was stored */
} pa_verdict_t;

typedef struct {
    void (*settled)(void *arg, const pa_summary_t *r, const pa_verdict_t *v);
    /* Sent, but given up (why: "no receipt after 6 attempts"...). */
    void (*failed)(void *arg, const pa_summary_t *r, const char *why);
    /* With cfg->progress: the counters so far, elapsed_ms since the start;
     * final on the last call, from pa_producer_finish. */
    void (*progress)(void *arg, const pa_producer_stats_t *st, int64_t elapsed_ms, bool final);
    /* A syntax error of file, as the reader found it: "FILE:LINE:COL: field:
     * reason" (up to PA_INPUT_MAX_ERRORS a file; nothing of it is sent). */
    void (*syntax)(void *arg, const char *file, const char *message);
    void *arg;
} pa_producer_events_t;

int pa_producer_config_validate(const pa_producer_config_t *cfg, pa_err_t *err);

typedef struct pa_producer pa_producer_t;

/* cfg and log must outlive the producer; ev is copied (NULL: no events). */
pa_producer_t *pa_producer_new(const pa_producer_config_t *cfg, const pa_log_t *log,
                               const pa_producer_events_t *ev, pa_err_t *err);
void pa_producer_destroy(pa_producer_t **self_p);

/* Whether this run only checks syntax: a dry run with no worker to ask. */
bool pa_producer_offline(const pa_producer_config_t *cfg);

/* Checks the whole file first (nothing is sent from a file with a syntax
 * error: PA_EINVAL with file, line and field), then sends it: while the next
 * regular file is read, or in pa_producer_finish. Files go in the order
 * given; before a pipe or terminal is read (it may wait), the previous file
 * is put in flight as a whole. "-" is stdin.
 * Returns PA_ESTOP when *stop was raised, PA_ETIMEOUT when the deadline
 * passed or no worker ever answered (the message names the endpoint). */
int pa_producer_send_file(pa_producer_t *self, const char *path, const volatile sig_atomic_t *stop,
                          pa_err_t *err);

/* Sends one void revision (Report.withdraw) that withdraws what is stored
 * for district and period (a period id, "2024-03"): revision must be above
 * the current one. Its verdict comes through the settled event like any
 * report's (STORED: withdrawn). PA_EINVAL for a bad district or period. */
int pa_producer_withdraw(pa_producer_t *self, const char *district, const char *period,
                         uint32_t revision, const volatile sig_atomic_t *stop, pa_err_t *err);

/* Waits for every receipt still due (resending on timeout), within the
 * deadline; whatever is still in flight at a stop or the deadline is given
 * up (failed event) before returning PA_ESTOP or PA_ETIMEOUT. */
int pa_producer_finish(pa_producer_t *self, const volatile sig_atomic_t *stop, pa_err_t *err);

void pa_producer_stats(const pa_producer_t *self, pa_producer_stats_t *out);

#endif
