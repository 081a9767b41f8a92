/* pa_peers.h - the worker's view of its connected peers, below ZeroMQ's
 * messages: which TCP connections the ROUTER holds (a socket monitor), how
 * many bytes each has sent that are not yet a complete message, and the
 * worker's resident memory. libzmq keeps an incomplete multipart message
 * out of the application's sight until it ends, so a peer that sets MORE
 * on every frame grows the worker unseen (64 bytes of memory per 2-byte
 * frame); this module finds such a peer and shuts its connection. It also
 * caps the number of connections. Knows nothing of submissions. */
#ifndef PA_PEERS_H
#define PA_PEERS_H

#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#include "pa_err.h"

typedef struct {
    int max_peers;            /* connections beyond are shut at once */
    size_t max_pending_bytes; /* a peer holding more not-yet-whole bytes is shut */
    size_t max_rss_bytes;     /* above this RSS the peer holding most is shut (0 = off) */
} pa_peers_limits_t;

typedef struct pa_peers pa_peers_t;

/* Monitors router (before it binds) through an inproc PAIR in ctx. lim is
 * copied. NULL + err on failure. */
pa_peers_t *pa_peers_new(void *ctx, void *router, const pa_peers_limits_t *lim, pa_err_t *err);
void pa_peers_destroy(pa_peers_t **self_p);

/* The monitor socket, to poll for ZMQ_POLLIN beside the router. */
void *pa_peers_socket(pa_peers_t *self);
/* Reads the pending monitor events: connections accepted and gone. Beyond
 * max_peers the oldest connection that never sent a whole message is shut
 * (idle peers must not lock producers out), else the newcomer. */
void pa_peers_on_events(pa_peers_t *self);
/* Counts a whole message received on the router: first is its first frame
 * after the routing id (its ZMQ_SRCFD names the connection), bytes its
 * size on the wire. */
void pa_peers_delivered(pa_peers_t *self, zmq_msg_t *first, size_t bytes);
/* Run when the router has no whole message waiting (now_ms: a monotonic
 * clock): shuts each connection holding more than max_pending_bytes not
 * yet delivered, or 1 MiB for 5 s without finishing a message, and, while
 * the worker's RSS is above max_rss_bytes, the one holding most. Returns
 * how many it shut now. */
int pa_peers_check(pa_peers_t *self, int64_t now_ms);

/* Counters since start. */
typedef struct {
    uint64_t accepted, refused_over_cap, shut_pending, shut_memory;
    int connected;
} pa_peers_stats_t;
void pa_peers_stats(const pa_peers_t *self, pa_peers_stats_t *out);

#endif
