/* pa_peers.c - connection accounting under the ROUTER (see pa_peers.h). A
 * connection's held bytes are what its TCP socket has received, less what
 * is still unread in the kernel, less what came out as whole messages: the
 * rest sits inside libzmq as an incomplete message (plus a little ZMTP:
 * greeting, READY, heartbeats, frame headers, allowed for). */
#include "pa_peers.h"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pa_vec.h"

#define PA_PEERS_SLACK_BYTES 65536         /* ZMTP bytes that are not message payload */
#define PA_PEERS_MIN_SUSPECT (256 * 1024)  /* held below this, memory is not this peer's doing */
#define PA_PEERS_STALL_BYTES (1024 * 1024) /* a peer holding this much unfinished ... */
#define PA_PEERS_STALL_MS    5000          /* ... this long without finishing is shut */

typedef struct {
    int fd;
    uint64_t delivered;    /* wire bytes of whole messages received from it */
    uint64_t seq;          /* order of acceptance */
    int64_t held_since_ms; /* since when it has held PA_PEERS_STALL_BYTES or more; 0 = not */
    bool shut;
    /* Who the descriptor was when accepted: monitor events arrive late, and
     * by then libzmq or libpq may have reused the number for another socket
     * (a PostgreSQL connection must never be shut or measured). */
    struct sockaddr_storage local, remote;
    socklen_t local_len, remote_len;
} s_peer_t;

struct pa_peers {
    pa_peers_limits_t lim;
    void *mon; /* PAIR connected to the router's monitor */
    s_peer_t *peers;
    size_t n, cap;
    pa_peers_stats_t stats;
    uint64_t next_seq;
};

pa_peers_t *pa_peers_new(void *ctx, void *router, const pa_peers_limits_t *lim, pa_err_t *err)
{
    pa_peers_t *self = calloc(1, sizeof *self);
    char ep[64];
    if (!self) {
        pa_err_set(err, PA_ENOMEM, "out of memory");
        return NULL;
    }
    self->lim = *lim;
    snprintf(ep, sizeof ep, "inproc://pa-peers-%p", (void *)self);
    if (zmq_socket_monitor(router, ep, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) != 0 ||
        !(self->mon = zmq_socket(ctx, ZMQ_PAIR)) || zmq_connect(self->mon, ep) != 0) {
        pa_err_set(err, PA_EIO, "could not monitor the router: %s", zmq_strerror(zmq_errno()));
        pa_peers_destroy(&self);
    }
    return self;
}

void pa_peers_destroy(pa_peers_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pa_peers_t *self = *self_p;
    if (self->mon) {
        int zero = 0;
        zmq_setsockopt(self->mon, ZMQ_LINGER, &zero, sizeof zero);
        zmq_close(self->mon);
    }
    free(self->peers);
    free(self);
    *self_p = NULL;
}

void *pa_peers_socket(pa_peers_t *self)
{
    return self->mon;
}

static s_peer_t *s_find(pa_peers_t *self, int fd)
{
    for (size_t i = 0; i < self->n; i++)
        if (self->peers[i].fd == fd)
            return &self->peers[i];
    return NULL;
}

/* Whether p->fd is still the connection accepted as p. */
static bool s_same(const s_peer_t *p)
{
    struct sockaddr_storage a, b;
    socklen_t la = sizeof a, lb = sizeof b;
    return getsockname(p->fd, (struct sockaddr *)&a, &la) == 0 &&
           getpeername(p->fd, (struct sockaddr *)&b, &lb) == 0 && la == p->local_len &&
           lb == p->remote_len && memcmp(&a, &p->local, la) == 0 && memcmp(&b, &p->remote, lb) == 0;
}

/* Shuts a connection libzmq owns: its engine sees the error, drops the
 * pipe and with it the incomplete message. The descriptor stays libzmq's. */
static void s_shut(s_peer_t *p)
{
    if (!p->shut && s_same(p))
        shutdown(p->fd, SHUT_RDWR);
    p->shut = true;
}

static void s_accepted(pa_peers_t *self, int fd)
{
    self->stats.accepted++;
    void *items = self->peers;
    s_peer_t *p = pa_vec_push(&items, self->n, &self->cap, sizeof *p, 16);
    self->peers = items;
    if (!p) {
        shutdown(fd, SHUT_RDWR); /* not tracked: not kept */
        return;
    }
    self->n++;
    memset(p, 0, sizeof *p);
    p->fd = fd;
    p->seq = self->next_seq++;
    p->local_len = sizeof p->local;
    p->remote_len = sizeof p->remote;
    if (getsockname(fd, (struct sockaddr *)&p->local, &p->local_len) != 0 ||
        getpeername(fd, (struct sockaddr *)&p->remote, &p->remote_len) != 0)
        p->shut = true; /* already gone: nothing to watch */
    if ((int)self->n <= self->lim.max_peers)
        return;
    /* Over the cap: the oldest connection that never sent a whole message
     * goes (idle peers must not lock producers out), else the newcomer. */
    s_peer_t *victim = p;
    for (size_t i = 0; i + 1 < self->n; i++) {
        s_peer_t *q = &self->peers[i];
        if (!q->shut && q->delivered == 0 && (victim == p || q->seq < victim->seq))
            victim = q;
    }
    self->stats.refused_over_cap++;
    s_shut(victim);
}

static void s_gone(pa_peers_t *self, int fd)
{
    s_peer_t *p = s_find(self, fd);
    if (p)
        *p = self->peers[--self->n];
}

void pa_peers_on_events(pa_peers_t *self)
{
    for (;;) {
        zmq_msg_t ev, addr;
        zmq_msg_init(&ev);
        if (zmq_msg_recv(&ev, self->mon, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&ev);
            break;
        }
        /* Frame 1: event (uint16) and value (uint32, the fd); frame 2: address. */
        uint16_t event = 0;
        uint32_t value = 0;
        if (zmq_msg_size(&ev) >= 6) {
            memcpy(&event, zmq_msg_data(&ev), 2);
            memcpy(&value, (const char *)zmq_msg_data(&ev) + 2, 4);
        }
        bool more = zmq_msg_more(&ev);
        zmq_msg_close(&ev);
        while (more) {
            zmq_msg_init(&addr);
            if (zmq_msg_recv(&addr, self->mon, 0) < 0) {
                zmq_msg_close(&addr);
                break;
            }
            more = zmq_msg_more(&addr);
            zmq_msg_close(&addr);
        }
        if (event == ZMQ_EVENT_ACCEPTED)
            s_accepted(self, (int)value);
        else if (event == ZMQ_EVENT_DISCONNECTED)
            s_gone(self, (int)value);
    }
    self->stats.connected = (int)self->n;
}

void pa_peers_delivered(pa_peers_t *self, zmq_msg_t *first, size_t bytes)
{
    int fd = zmq_msg_get(first, ZMQ_SRCFD);
    s_peer_t *p = fd >= 0 ? s_find(self, fd) : NULL;
    if (p)
        p->delivered += bytes;
}

/* Bytes the connection sent that libzmq holds short of a whole message. */
static uint64_t s_held(const s_peer_t *p)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    int unread = 0;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(p->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
        len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof ti.tcpi_bytes_received ||
        ioctl(p->fd, FIONREAD, &unread) != 0 || unread < 0)
        return 0; /* gone, or a kernel that does not say: nothing to judge */
    if ((uint64_t)unread > ti.tcpi_bytes_received || !s_same(p))
        return 0; /* not the connection it was */
    uint64_t in = ti.tcpi_bytes_received - (uint64_t)unread;
    uint64_t out = p->delivered + PA_PEERS_SLACK_BYTES;
    return in > out ? in - out : 0;
}

static size_t s_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
        rss = 0;
    fclose(f);
    return (size_t)rss * (size_t)sysconf(_SC_PAGESIZE);
}

int pa_peers_check(pa_peers_t *self, int64_t now_ms)
{
    int shut = 0;
    s_peer_t *most = NULL;
    uint64_t most_held = 0;
    for (size_t i = 0; i < self->n; i++) {
        s_peer_t *p = &self->peers[i];
        if (p->shut)
            continue;
        uint64_t held = s_held(p);
        /* A message that stays unfinished while the peer keeps a megabyte
         * of it is not a submission on its way: no sender pauses that long
         * mid-message on a working link. */
        if (held < PA_PEERS_STALL_BYTES)
            p->held_since_ms = 0;
        else if (!p->held_since_ms)
            p->held_since_ms = now_ms;
        if (held > self->lim.max_pending_bytes ||
            (p->held_since_ms && now_ms - p->held_since_ms >= PA_PEERS_STALL_MS)) {
            self->stats.shut_pending++;
            s_shut(p);
            shut++;
        } else if (held > most_held) {
            most = p;
            most_held = held;
        }
    }
    /* Tiny frames cost libzmq 32 times their wire size: memory says so
     * before bytes do. Shut the peer holding most, one per check. */
    if (most && most_held >= PA_PEERS_MIN_SUSPECT && self->lim.max_rss_bytes &&
        s_rss_bytes() > self->lim.max_rss_bytes) {
        self->stats.shut_memory++;
        s_shut(most);
        shut++;
    }
    return shut;
}

void pa_peers_stats(const pa_peers_t *self, pa_peers_stats_t *out)
{
    *out = self->stats;
}
