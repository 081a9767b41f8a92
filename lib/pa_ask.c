/* pa_ask.c - one question, one answer (see pa_ask.h). The request carries a
 * tag frame echoed by the worker, so that a late receipt to an earlier
 * attempt is still the answer to this question. */
#include "pa_ask.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "pa_codec_query.h"
#include "pa_net.h"

/* Sends [empty, tag, body] on the DEALER; false when the send failed. */
static bool s_send(void *sock, const uint8_t *body, size_t len)
{
    return zmq_send(sock, "", 0, ZMQ_SNDMORE) == 0 && zmq_send(sock, "q", 1, ZMQ_SNDMORE) == 1 &&
           zmq_send(sock, body, len, 0) == (int)len;
}

/* Reads one reply [empty, tag, body] into *msg (initialised, caller closes). */
static bool s_recv(void *sock, zmq_msg_t *msg)
{
    bool ok = true;
    for (int part = 0; part < 3; part++) {
        if (part < 2) {
            zmq_msg_t skip;
            zmq_msg_init(&skip);
            ok = zmq_msg_recv(&skip, sock, 0) >= 0 && zmq_msg_more(&skip);
            zmq_msg_close(&skip);
        } else {
            ok = zmq_msg_recv(msg, sock, 0) >= 0;
        }
        if (!ok)
            break;
    }
    return ok;
}

int pa_ask(const pa_ask_config_t *cfg, const pa_query_t *q, pa_answer_t **answer, int *reason,
           pa_err_t *err)
{
    int rc = PA_OK, zero = 0;
    uint8_t *body = NULL;
    size_t len = 0;
    void *ctx = zmq_ctx_new(), *sock = NULL;
    zmq_msg_t reply;
    zmq_msg_init(&reply);
    *answer = NULL;
    *reason = PA_REASON_NONE;
    if (!ctx) {
        rc = pa_err_set(err, PA_EIO, "zmq_ctx_new: %s", zmq_strerror(zmq_errno()));
        goto cleanup;
    }
    rc = pa_codec_encode_query(cfg->sender, q, &body, &len, err);
    if (rc != PA_OK)
        goto cleanup;
    sock = zmq_socket(ctx, ZMQ_DEALER);
    if (!sock || zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero) != 0) {
        rc = pa_err_set(err, PA_EIO, "zmq_socket: %s", zmq_strerror(zmq_errno()));
        goto cleanup;
    }
    if (cfg->key && *cfg->key &&
        (rc = pa_net_curve_client(sock, cfg->key, cfg->server_key, err)) != PA_OK)
        goto cleanup;
    char list[1024];
    snprintf(list, sizeof list, "%s", cfg->connect);
    char *save = NULL;
    for (char *ep = strtok_r(list, ",", &save); ep; ep = strtok_r(NULL, ",", &save)) {
        if (zmq_connect(sock, ep) != 0) {
            rc = pa_err_set(err, PA_EINVAL, "could not connect to %s: %s", ep,
                            zmq_strerror(zmq_errno()));
            goto cleanup;
        }
    }
    bool got = false;
    for (int attempt = 0; !got && attempt <= cfg->retries; attempt++) {
        if (!s_send(sock, body, len)) {
            rc = pa_err_set(err, PA_EIO, "could not send the question: %s",
                            zmq_strerror(zmq_errno()));
            goto cleanup;
        }
        zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
        int n = zmq_poll(&item, 1, cfg->timeout_ms);
        if (n < 0) {
            rc = pa_err_set(err, PA_EIO, "zmq_poll: %s", zmq_strerror(zmq_errno()));
            goto cleanup;
        }
        got = n > 0 && s_recv(sock, &reply);
    }
    if (!got) {
        rc = pa_err_set(err, PA_ETIMEOUT,
                        "no worker answered at %s within %d s: is a worker running and bound "
                        "there?",
                        cfg->connect, (cfg->retries + 1) * cfg->timeout_ms / 1000);
        goto cleanup;
    }
    int status = 0;
    char message[256];
    rc = pa_codec_decode_answer(zmq_msg_data(&reply), zmq_msg_size(&reply), &status, reason,
                                message, sizeof message, answer, err);
    if (rc != PA_OK)
        goto cleanup;
    if (!*answer) {
        rc = pa_err_set(err, PA_EREJECT, "%s (%s)", message[0] ? message : "refused",
                        pa_reason_name(*reason));
        goto cleanup;
    }
cleanup:
    zmq_msg_close(&reply);
    if (sock)
        zmq_close(sock);
    if (ctx)
        zmq_ctx_term(ctx);
    free(body);
    return rc;
}
