/* pa_answer.c - a question in, a receipt out (see pa_answer.h). */
#include "pa_answer.h"

#include <stdio.h>

#include "pa_codec_query.h"

int pa_answer_query(pa_pg_t *pg, const pa_submission_t *sub, pa_query_may_read_fn may_read,
                    void *arg, const char *worker, uint8_t **out, size_t *out_len, int *reason,
                    size_t *rows, char *why, size_t size, pa_err_t *err)
{
    pa_answer_t *a = NULL;
    pa_err_t qerr;
    pa_err_clear(&qerr);
    int rc = PA_OK;
    *reason = PA_REASON_NONE;
    *rows = 0;
    why[0] = '\0';
    if (sub->n_items) {
        *reason = PA_REASON_QUERY_INVALID;
        pa_err_set(&qerr, PA_EINVAL,
                   "a submission carries reports or a query, not both (%zu reports)", sub->n_items);
    } else if (pa_query_check(sub->query, reason, &qerr) == PA_OK) {
        pa_query_run(pg, sub->query, may_read, arg, &a, reason, &qerr);
    }
    if (a) {
        *rows = a->n_reports + a->n_rejections + a->n_indicators + a->n_districts + a->n_towns;
        rc = pa_codec_encode_answer(a, worker, out, out_len, err);
    } else {
        snprintf(why, size, "%s", qerr.msg);
        int status =
            *reason == PA_REASON_QUERY_UNAVAILABLE ? PA_STATUS_RETRY_LATER : PA_STATUS_REJECTED;
        rc = pa_codec_encode_failure(status, *reason, qerr.msg, worker, out, out_len, err);
    }
    pa_answer_destroy(&a);
    return rc;
}
