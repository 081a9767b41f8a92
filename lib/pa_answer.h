/* pa_answer.h - the worker's reply to a question (Submission.query): judge
 * it, ask who may read what, answer it from PostgreSQL and encode the
 * receipt, an answer or a refusal (docs/protocol.md §11). Glue between
 * pa_query and pa_codec_query; the worker's loop only sends the bytes. */
#ifndef PA_ANSWER_H
#define PA_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include "pa_codec.h"
#include "pa_err.h"
#include "pa_pg.h"
#include "pa_query.h"

/* Encodes into *out (caller frees) the receipt for sub, which carries a
 * query: STORED with the answer, or REJECTED with *reason (QUERY_INVALID,
 * QUERY_UNAUTHORIZED), or RETRY_LATER with QUERY_UNAVAILABLE when the
 * database failed; why (size bytes) says what was refused or failed, ""
 * when answered. *rows counts the rows of the answer. Only encoding can
 * fail (PA_ENOMEM). */
int pa_answer_query(pa_pg_t *pg, const pa_submission_t *sub, pa_query_may_read_fn may_read,
                    void *arg, const char *worker, uint8_t **out, size_t *out_len, int *reason,
                    size_t *rows, char *why, size_t size, pa_err_t *err);

#endif
