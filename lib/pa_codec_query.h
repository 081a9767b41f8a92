/* pa_codec_query.h - the query half of the wire (docs/protocol.md §11):
 * Submission.query and Receipt.answer, to and from pa_query.h's values.
 * Part of the codec: the only other file that sees protobuf-c types. */
#ifndef PA_CODEC_QUERY_H
#define PA_CODEC_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "pa_err.h"
#include "pa_query.h"

/* Encodes a Submission carrying only q (*out, caller frees). */
int pa_codec_encode_query(const char *sender, const pa_query_t *q, uint8_t **out, size_t *out_len,
                          pa_err_t *err);

/* Encodes the receipt answering a query: status STORED with the answer. */
int pa_codec_encode_answer(const pa_answer_t *a, const char *worker, uint8_t **out, size_t *out_len,
                           pa_err_t *err);

/* Decodes a receipt to a query: its status, reason and message always (for a
 * refusal, *answer stays NULL); the answer when there is one (*answer,
 * caller destroys). message has room for size bytes. PA_EINVAL when not a
 * Receipt. */
int pa_codec_decode_answer(const void *buf, size_t len, int *status, int *reason, char *message,
                           size_t size, pa_answer_t **answer, pa_err_t *err);

/* For pa_codec.c: a decoded Pingan__V1__Query (pb) into a new *out (caller
 * destroys with free). Never fails on contents (q->garbled says so);
 * PA_ENOMEM. */
/* Packs any protobuf-c message (a ProtobufCMessage *) into a fresh buffer
 * (*out, caller frees); the one packer of pa_codec and this module. */
int pa_codec_pack(const void *msg, uint8_t **out, size_t *out_len, pa_err_t *err);

int pa_codec_query_from_pb(const void *pb, pa_query_t **out, pa_err_t *err);

#endif
