/* pa_net.h - the ZeroMQ security boundary: CURVE on the worker's ROUTER and
 * the producer's DEALER, and the worker's ZAP handler (RFC 27 over
 * inproc://zeromq.zap.01) that admits only keys on the allow-list. The
 * handler runs on a thread of its own, so handshakes are answered even while
 * the worker's loop is busy storing; it reloads the allow-list when the
 * program's reload counter changes (SIGHUP). Does not decode submissions
 * beyond handing them to pa_allow_check. */
#ifndef PA_NET_H
#define PA_NET_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <zmq.h>

#include "pa_codec.h"
#include "pa_err.h"
#include "pa_log.h"

/* True when every endpoint of a comma-separated list can be reached only
 * from this host: tcp:// on 127.x.y.z, [::1], localhost or lo; ipc://;
 * inproc://. tcp://\*:... and any other address are not. Pure. */
bool pa_net_endpoints_local(const char *list);

/* Makes sock a CURVE server with the secret key in secret_path (read
 * once; PA_EINVAL/PA_EIO name the file). Call before binding. */
int pa_net_curve_server(void *sock, const char *secret_path, pa_err_t *err);

/* Makes sock a CURVE client with the key pair in key_path (the secret key
 * file) and the worker's public key in server_key_path. Before connecting. */
int pa_net_curve_client(void *sock, const char *key_path, const char *server_key_path,
                        pa_err_t *err);

/* The ZAP User-Id libzmq attached to a received frame (the sender's Z85
 * public key under CURVE), or "" when there is none. */
const char *pa_net_user_id(zmq_msg_t *frame);

typedef struct pa_net_watch pa_net_watch_t;

/* Watches the handshakes of a client socket (zmq_socket_monitor into an
 * inproc PAIR of ctx), so that a client can say why no worker answered:
 * its key refused (ZAP 400), a CURVE handshake that failed (a wrong server
 * key) or a worker speaking another mechanism; curve: whether sock is a
 * CURVE client. NULL when the monitor could
 * not be set up: the caller goes on without. Destroy it before sock. */
pa_net_watch_t *pa_net_watch_new(void *ctx, void *sock, bool curve);
void pa_net_watch_destroy(pa_net_watch_t **self_p);
/* Waits up to wait_ms for n handshakes to succeed, so that a client with
 * n endpoints spreads its first sends over all of them (ZMQ_IMMEDIATE
 * queues only to connected peers); a peer that is down only delays the
 * start by wait_ms. NULL-safe (returns at once). */
void pa_net_watch_handshakes(pa_net_watch_t *self, int n, int wait_ms);
/* Reads the events so far; why gets a sentence on the last handshake
 * failure, or "" when there was none since the last success. */
void pa_net_watch_why(pa_net_watch_t *self, char *why, size_t size);

typedef struct pa_zap pa_zap_t;

/* Loads the allow-list at allow_path (PA_EINVAL/PA_EIO name it), binds the
 * ZAP handler in ctx and starts its thread. Bind it before any CURVE
 * socket binds: libzmq admits every key while no handler is bound. When
 * *reload (may be NULL) changes, the list is read again; a list that does
 * not parse is logged and the old one kept. allow_path, reload and log
 * must outlive the handler. */
pa_zap_t *pa_zap_new(void *ctx, const char *allow_path, const volatile sig_atomic_t *reload,
                     const pa_log_t *log, pa_err_t *err);
/* Stops the thread and closes its socket; before zmq_ctx_term. NULL-safe. */
void pa_zap_destroy(pa_zap_t **self_p);

/* Refuses (UNAUTHORIZED_DISTRICT problems) every report of sub that the key
 * user_id may not write under the current list, so that a key revoked on
 * an open connection stops writing at the next reload. Thread-safe. */
void pa_zap_authorise(pa_zap_t *self, const char *user_id, pa_submission_t *sub);

/* Whether the key user_id may write district under the current list ("*":
 * every district); what a key may write it may also read (status and
 * catalogue queries, docs/security.md). Thread-safe. */
bool pa_zap_may_write(pa_zap_t *self, const char *user_id, const char *district);

typedef struct {
    uint64_t admitted;     /* handshakes answered 200 */
    uint64_t refused;      /* handshakes answered 400: unknown key or mechanism */
    uint64_t unauthorized; /* reports refused for their district */
    uint64_t reloads;      /* successful reloads of the list */
} pa_zap_stats_t;

/* Counters so far. Thread-safe. */
void pa_zap_stats(pa_zap_t *self, pa_zap_stats_t *out);

#endif
