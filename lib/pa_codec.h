/* pa_codec.h - moves submissions and receipts on and off the wire
 * (proto/pingan.proto). The only module that sees protobuf-c types. Decoding
 * never fails on bad field contents: it records them as problems on the
 * report so that validation can name every one; it fails only when the bytes
 * are not a Submission at all. */
#ifndef PA_CODEC_H
#define PA_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pa_err.h"
#include "pa_problem.h"
#include "pa_query.h"
#include "pa_report.h"

#define PA_PROTOCOL_VERSION 1
#define PA_SENDER_SIZE      128

/* One report of a submission, as the worker judges and stores it. */
typedef struct {
    pa_report_t *report;    /* owned */
    pa_problems_t problems; /* owned; every problem found so far */
    uint8_t *raw;           /* owned; the Report message bytes, kept for rebuilds */
    size_t raw_len;
    int status;                /* PA_STATUS_*; PA_STATUS_NONE until judged */
    int64_t pk;                /* pingan.report.id once stored or found duplicate; 0 otherwise */
    uint32_t current_revision; /* PA_STATUS_SUPERSEDED: the revision that is current */
} pa_item_t;

#define PA_PEER_KEY_SIZE     41 /* a Z85 CURVE public key and its NUL */
#define PA_PEER_ADDRESS_SIZE 48 /* an IPv6 address and its NUL */

typedef struct {
    uint32_t version;
    char sender[PA_SENDER_SIZE];
    pa_item_t *items; /* owned, n_items of them */
    size_t n_items;
    /* What the quarantine files with a refusal, set by the worker: */
    uint8_t *raw;                            /* owned; the head of the Submission bytes */
    size_t raw_len;                          /* bytes in raw */
    char peer_key[PA_PEER_KEY_SIZE];         /* CURVE public key (Z85); "" without CURVE */
    char peer_address[PA_PEER_ADDRESS_SIZE]; /* sender's IP address; "" when unknown */
    int64_t quarantine_id; /* pingan.quarantine.id once filed in a committed write; 0 before */
    size_t first_index;    /* index of items[0] in the submission as sent (0 unless a part) */
    pa_query_t *query;     /* owned; Submission.query, a question instead of reports; or NULL */
    bool dry_run;          /* judge, store nothing (Submission.dry_run) */
    char key[48];          /* the sender's CURVE key (ZAP user id), set by the worker; "" without */
} pa_submission_t;

/* What a worker lets one submission cost before refusing it whole. Checked
 * before memory is committed: protobuf-c unpacks into an arena with a byte
 * budget, and values are counted before they are converted. */
typedef struct {
    size_t decode_bytes;      /* budget of the protobuf-c unpack (0 = none) */
    size_t max_values;        /* values of all reports together (0 = none) */
    size_t max_unknown_bytes; /* per report: unknown fields above refuse it (0 = none) */
} pa_codec_limits_t;

#define PA_CODEC_DECODE_BYTES      (32u * 1024 * 1024)
#define PA_CODEC_MAX_VALUES        200000
#define PA_CODEC_MAX_UNKNOWN_BYTES 4096
#define PA_CODEC_RECEIPT_PROBLEMS  256 /* problems listed in full per receipt */

/* The defaults above. */
pa_codec_limits_t pa_codec_limits_default(void);

/* Decodes a Submission within lim (NULL = the defaults). On PA_EINVAL *out
 * stays NULL, err says why and *reason (may be NULL) is the whole-submission
 * reason: PA_REASON_UNDECODABLE (not a Submission), PA_REASON_DECODE_BUDGET
 * or PA_REASON_TOO_MANY_VALUES; PA_ENOMEM. The caller destroys *out. */
int pa_codec_decode_limited(const void *buf, size_t len, const pa_codec_limits_t *lim,
                            pa_submission_t **out, int *reason, pa_err_t *err);
/* pa_codec_decode_limited with the default limits and no reason. */
int pa_codec_decode_submission(const void *buf, size_t len, pa_submission_t **out, pa_err_t *err);
/* Bytes of memory a decoded submission holds (reports, values, raw bytes,
 * problems): what the worker's batch budget counts. */
size_t pa_submission_mem_bytes(const pa_submission_t *sub);
/* Keeps a copy of the first max bytes of the submission's wire bytes in
 * sub->raw (replacing any kept before), for the quarantine. PA_ENOMEM. */
int pa_submission_keep_raw(pa_submission_t *sub, const void *buf, size_t len, size_t max);
/* NULL-safe; sets *self_p to NULL. */
void pa_submission_destroy(pa_submission_t **self_p);

/* Encodes reports as one Submission into a malloc'ed buffer (*out, caller
 * frees). Does not take ownership of the reports. */
int pa_codec_encode_submission(const char *sender, pa_report_t *const *reports, size_t n,
                               uint8_t **out, size_t *out_len, pa_err_t *err);
/* The same, asking for a dry run when dry_run (Submission.dry_run). */
int pa_codec_encode_request(const char *sender, bool dry_run, pa_report_t *const *reports, size_t n,
                            uint8_t **out, size_t *out_len, pa_err_t *err);

/* Encodes the receipt for a judged submission: one status per item, in
 * order. Bounded in bytes: the first PA_CODEC_RECEIPT_PROBLEMS problems are
 * listed in full; after that a report carries only its first problem's
 * reason and field, without message. */
int pa_codec_encode_receipt(const pa_submission_t *sub, const char *worker, uint8_t **out,
                            size_t *out_len, pa_err_t *err);
/* Encodes a receipt that answers a whole submission at once (undecodable,
 * oversize, store unavailable...): status PA_STATUS_REJECTED or RETRY_LATER. */
int pa_codec_encode_failure(int status, int reason, const char *message, const char *worker,
                            uint8_t **out, size_t *out_len, pa_err_t *err);

typedef struct {
    char report_id[PA_REPORT_ID_SIZE];
    int status;                /* PA_STATUS_* */
    pa_problems_t problems;    /* owned */
    uint32_t current_revision; /* SUPERSEDED: the current revision */
} pa_receipt_entry_t;

typedef struct {
    int status; /* whole submission: STORED (see entries), REJECTED or RETRY_LATER */
    int reason; /* PA_REASON_* for a whole-submission failure */
    char message[256];
    char worker[64];
    bool dry_run;                /* answers a dry run: nothing was stored */
    pa_receipt_entry_t *entries; /* owned */
    size_t n_entries;
} pa_receipt_t;

/* Decodes a Receipt; the caller destroys *out. PA_EINVAL when not a Receipt. */
int pa_codec_decode_receipt(const void *buf, size_t len, pa_receipt_t **out, pa_err_t *err);
void pa_receipt_destroy(pa_receipt_t **self_p);

#endif
