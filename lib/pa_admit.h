/* pa_admit.h - what a peer may make a worker spend before it is refused:
 * the limits on one submission (reports, values, decode memory, unknown
 * fields), on the ROUTER's queues (high-water marks, heartbeats) and on
 * descriptors. Holds the limits, checks them once, applies the socket ones
 * and turns them into the codec's; knows nothing of PostgreSQL.
 * docs/protocol.md §8 lists every limit with its default. */
#ifndef PA_ADMIT_H
#define PA_ADMIT_H

#include "pa_codec.h"
#include "pa_err.h"
#include "pa_peers.h"

#define PA_ADMIT_HARD_MAX_BYTES (256 * 1024 * 1024) /* ZMQ_MAXMSGSIZE ceiling */
#define PA_ADMIT_RCVBUF_BYTES   (256 * 1024)        /* SO_RCVBUF of each connection */

typedef struct {
    int max_submission_bytes; /* larger payloads get an OVERSIZE receipt */
    int max_reports;          /* reports per submission */
    int max_values;           /* values of all reports of one submission */
    int max_decode_bytes;     /* memory the protobuf-c unpack of one submission may take */
    int max_unknown_bytes;    /* unknown-field bytes a report may carry (they go into raw) */
    int send_hwm;             /* ZMQ_SNDHWM: receipts queued per peer before they are dropped */
    int recv_hwm;             /* ZMQ_RCVHWM: whole submissions queued per peer */
    int heartbeat_ms;         /* ZMTP PING interval; silent peers go after 3 intervals */
    int max_peers;            /* connections at once (lowered to fit RLIMIT_NOFILE) */
    int max_rss_mb;           /* above this RSS the peer holding most unfinished bytes goes */
} pa_admit_t;

/* Checks ranges once at start-up; PA_EINVAL names the flag. */
int pa_admit_validate(const pa_admit_t *lim, pa_err_t *err);

/* The codec's view of the limits. */
pa_codec_limits_t pa_admit_codec_limits(const pa_admit_t *lim);

/* Sets the high-water marks, heartbeats and the largest frame libzmq reads
 * (twice the submission limit, at least 1 MiB more: above it the peer is
 * dropped without a receipt, below it it is answered OVERSIZE) on a ROUTER before it binds.
 * PA_EIO names the option. */
int pa_admit_socket(void *sock, const pa_admit_t *lim, pa_err_t *err);

/* The pa_peers limits: a peer may hold one submission short of whole (the
 * limit, plus 1 MiB); max_peers is lowered to leave 64 descriptors of
 * nofile (-1 = unlimited) for everything else. */
pa_peers_limits_t pa_admit_peer_limits(const pa_admit_t *lim, long nofile);

/* Raises the soft RLIMIT_NOFILE to the hard limit so that many idle peers
 * do not leave the worker without a descriptor for PostgreSQL; *nofile gets
 * the limit in force. PA_EIO when it cannot be read. */
int pa_admit_descriptors(long *nofile, pa_err_t *err);

#endif
