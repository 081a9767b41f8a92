/* pa_ask.h - the producer's side of a question (docs/protocol.md §11): send
 * one Query to a worker over a DEALER (CURVE when keys are given), wait for
 * its receipt, resend on silence (Lazy Pirate), and hand back the answer.
 * One question per call; no state kept between calls. */
#ifndef PA_ASK_H
#define PA_ASK_H

#include <stddef.h>

#include "pa_err.h"
#include "pa_query.h"

typedef struct {
    const char *connect;    /* worker endpoint(s), comma-separated: the first that answers */
    const char *sender;     /* names the asker in the worker's log */
    const char *key;        /* CURVE secret key file; "" = no CURVE */
    const char *server_key; /* the worker's public key file; with key */
    int timeout_ms;         /* ask again after this long without a receipt */
    int retries;            /* times to ask again before giving up */
} pa_ask_config_t;

/* Asks q. PA_OK with *answer (caller destroys) when answered; PA_EREJECT
 * when the worker refused the question (*reason its reason code, err its
 * message); PA_ETIMEOUT when no worker answered; PA_EIO, PA_EINVAL (keys),
 * PA_ENOMEM. */
int pa_ask(const pa_ask_config_t *cfg, const pa_query_t *q, pa_answer_t **answer, int *reason,
           pa_err_t *err);

#endif
