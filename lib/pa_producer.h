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

typedef struct {
    const char *connect; /* comma-separated worker endpoints (round robin) */
    const char *sender;  /* names this producer in the audit trail; "" = host:pid */
    const char *format;  /* "", "csv" or "json"; "" = from the file name */
    int batch_reports;   /* reports per submission */
    int window;          /* submissions in flight before waiting for receipts */
    int timeout_ms;      /* resend a submission with no receipt after this long */
    int retries;         /* resends before giving a submission up */
    bool dry_run;        /* check files, send nothing */
    bool quiet;          /* no line per report, only the summary */
    const char *errors;  /* CSV file to write rejections to; "" = none */
    const char *log_level;
} pa_producer_config_t;

typedef struct {
    uint64_t reports; /* read from files */
    uint64_t values;
    uint64_t stored;
    uint64_t duplicate;
    uint64_t rejected;
    uint64_t failed; /* given up: no receipt after every retry, or stopped */
} pa_producer_stats_t;

int pa_producer_config_validate(const pa_producer_config_t *cfg, pa_err_t *err);

typedef struct pa_producer pa_producer_t;

/* out receives one line per report (and rejections); cfg, log and out must
 * outlive the producer. */
pa_producer_t *pa_producer_new(const pa_producer_config_t *cfg, const pa_log_t *log, FILE *out,
                               pa_err_t *err);
void pa_producer_destroy(pa_producer_t **self_p);

/* Checks the whole file first (nothing is sent from a file with a syntax
 * error: PA_EINVAL with file, line and field), then sends it. "-" is stdin.
 * Returns PA_ESTOP when *stop was raised. */
int pa_producer_send_file(pa_producer_t *self, const char *path, const volatile sig_atomic_t *stop,
                          pa_err_t *err);

/* Waits for every receipt still due (resending on timeout). */
int pa_producer_finish(pa_producer_t *self, const volatile sig_atomic_t *stop, pa_err_t *err);

void pa_producer_stats(const pa_producer_t *self, pa_producer_stats_t *out);

#endif
