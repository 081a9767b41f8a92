/* pa_admit.c - admission limits: validation, ROUTER options, descriptors. */
#include "pa_admit.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <zmq.h>

/* One range check, named as the flag. */
static int s_range(const char *flag, int v, int lo, int hi, pa_err_t *err)
{
    if (v < lo || v > hi)
        return pa_err_set(err, PA_EINVAL, "--%s: %d is not in %d..%d", flag, v, lo, hi);
    return PA_OK;
}

int pa_admit_validate(const pa_admit_t *lim, pa_err_t *err)
{
    int rc = s_range("max-submission-bytes", lim->max_submission_bytes, 1024,
                     PA_ADMIT_HARD_MAX_BYTES / 2, err);
    if (rc == PA_OK)
        rc = s_range("max-reports", lim->max_reports, 1, 100000, err);
    if (rc == PA_OK)
        rc = s_range("max-values", lim->max_values, 1, 10000000, err);
    if (rc == PA_OK)
        rc = s_range("max-decode-bytes", lim->max_decode_bytes, 65536, 1024 * 1024 * 1024, err);
    if (rc == PA_OK)
        rc = s_range("max-unknown-bytes", lim->max_unknown_bytes, 0, 1024 * 1024, err);
    if (rc == PA_OK)
        rc = s_range("send-hwm", lim->send_hwm, 1, 100000, err);
    if (rc == PA_OK)
        rc = s_range("recv-hwm", lim->recv_hwm, 1, 1000, err);
    if (rc == PA_OK)
        rc = s_range("heartbeat-ms", lim->heartbeat_ms, 0, 3600000, err);
    if (rc == PA_OK)
        rc = s_range("max-peers", lim->max_peers, 1, 1000000, err);
    if (rc == PA_OK)
        rc = s_range("max-rss-mb", lim->max_rss_mb, 0, 1048576, err);
    return rc;
}

pa_codec_limits_t pa_admit_codec_limits(const pa_admit_t *lim)
{
    return (pa_codec_limits_t){(size_t)lim->max_decode_bytes, (size_t)lim->max_values,
                               (size_t)lim->max_unknown_bytes};
}

pa_peers_limits_t pa_admit_peer_limits(const pa_admit_t *lim, long nofile)
{
    int cap = lim->max_peers;
    if (nofile > 0 && nofile - 64 < cap)
        cap = nofile > 65 ? (int)(nofile - 64) : 1;
    return (pa_peers_limits_t){cap, (size_t)lim->max_submission_bytes + 1048576,
                               (size_t)lim->max_rss_mb * 1024 * 1024};
}

static int s_set(void *sock, int option, const char *name, const void *v, size_t len, pa_err_t *err)
{
    if (zmq_setsockopt(sock, option, v, len) != 0)
        return pa_err_set(err, PA_EIO, "zmq_setsockopt %s: %s", name, zmq_strerror(zmq_errno()));
    return PA_OK;
}

int pa_admit_socket(void *sock, const pa_admit_t *lim, pa_err_t *err)
{
    /* A frame above the submission limit is still read to answer OVERSIZE,
     * up to twice the limit (at least 1 MiB more): beyond, libzmq drops the
     * peer unread. */
    int64_t max = lim->max_submission_bytes;
    int64_t maxmsg = max + (max > 1048576 ? max : 1048576);
    /* ZMTP heartbeats: a peer that answers no PING for three intervals is
     * dropped, and so is the worker's pipe to it (TTL, sent to the peer). */
    int ivl = lim->heartbeat_ms, timeout = 3 * lim->heartbeat_ms;
    int ttl = timeout > 6553500 ? 6553500 : timeout; /* the TTL travels in deciseconds */
    int rc = s_set(sock, ZMQ_MAXMSGSIZE, "ZMQ_MAXMSGSIZE", &maxmsg, sizeof maxmsg, err);
    if (rc == PA_OK)
        rc = s_set(sock, ZMQ_SNDHWM, "ZMQ_SNDHWM", &lim->send_hwm, sizeof lim->send_hwm, err);
    if (rc == PA_OK)
        rc = s_set(sock, ZMQ_RCVHWM, "ZMQ_RCVHWM", &lim->recv_hwm, sizeof lim->recv_hwm, err);
    /* A small kernel buffer per connection: what a peer has sent but libzmq
     * not yet read is bounded, also after the worker shuts a peer. */
    int rcvbuf = PA_ADMIT_RCVBUF_BYTES;
    if (rc == PA_OK)
        rc = s_set(sock, ZMQ_RCVBUF, "ZMQ_RCVBUF", &rcvbuf, sizeof rcvbuf, err);
    if (rc == PA_OK && ivl > 0)
        rc = s_set(sock, ZMQ_HEARTBEAT_IVL, "ZMQ_HEARTBEAT_IVL", &ivl, sizeof ivl, err);
    if (rc == PA_OK && ivl > 0)
        rc = s_set(sock, ZMQ_HEARTBEAT_TIMEOUT, "ZMQ_HEARTBEAT_TIMEOUT", &timeout, sizeof timeout,
                   err);
    if (rc == PA_OK && ivl > 0)
        rc = s_set(sock, ZMQ_HEARTBEAT_TTL, "ZMQ_HEARTBEAT_TTL", &ttl, sizeof ttl, err);
    return rc;
}

int pa_admit_descriptors(long *nofile, pa_err_t *err)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return pa_err_set(err, PA_EIO, "getrlimit RLIMIT_NOFILE: %s", strerror(errno));
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit up = {rl.rlim_max, rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &up) == 0)
            rl = up;
    }
    *nofile = rl.rlim_cur == RLIM_INFINITY ? -1 : (long)rl.rlim_cur;
    return PA_OK;
}
