/* flood.c - sends malformed frames to a pingan worker from one DEALER with a
 * window of frames in flight, counts the receipts, and samples the worker's
 * VmRSS from /proc/PID/status as it goes. Used by bench/malformed.sh; needs
 * only libzmq (payloads are hand-made bytes, not protobuf-c messages).
 *
 * Frames cycle through five kinds, each one the worker must refuse whole:
 *   garbage   [empty, tag, bytes that are not a Submission]      UNDECODABLE
 *   framing   [empty, tag] / [tag, body] / [empty, tag, a, b]    BAD_FRAMING
 *   empty     [empty, tag, Submission{version 1, no reports}]    EMPTY_SUBMISSION
 *   version   [empty, tag, Submission{version 2, one report}]    UNSUPPORTED_VERSION
 *   oversize  [empty, tag, --oversize-bytes of payload]          OVERSIZE
 *
 * Usage: flood --connect EP --count N --pid PID [--window W] [--sample-every K]
 *              [--oversize-bytes B] [--timeout-ms T]
 * Prints one line per sample, then a summary; exits 1 when receipts went
 * missing (a receipt not seen within T ms of the last one counts as lost). */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define S_KINDS 5

static double s_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* VmRSS of pid in KiB, or -1 when the process is gone. */
static long s_rss_kib(long pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

/* Sends the frames of one message; returns 0 or -1 (errno in zmq_errno). */
static int s_send_parts(void *sock, const void *const *parts, const size_t *lens, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (zmq_send(sock, parts[i], lens[i], i + 1 < n ? ZMQ_SNDMORE : 0) < 0)
            return -1;
    return 0;
}

/* The i-th malformed message. */
static int s_send_malformed(void *sock, uint64_t i, const uint8_t *oversize, size_t oversize_len)
{
    /* A valid-looking Report (field 3 of Submission) so that "version" is the only fault. */
    static const uint8_t version2[] = {
        0x08, 0x02,                                 /* version 2 */
        0x1a, 0x15,                                 /* reports: one of 21 bytes */
        0x0a, 0x02, 'r',  '1',                      /* report_id */
        0x12, 0x06, '5',  '0',  '0', '1', '0', '1', /* district */
        0x18, 0x03,                                 /* period_type MONTH */
        0x30, 0x01,                                 /* revision 1 */
        0x3a, 0x03, 0x0a, 0x01, 'x',                /* values: one, indicator "x" */
    };
    static const uint8_t empty_sub[] = {0x08, 0x01}; /* version 1, no reports */
    /* Field 3 with a length far beyond the buffer, then a truncated varint. */
    static const uint8_t garbage[] = {0x1a, 0xff, 0xff, 0xff, 0x0f, 0xde, 0xad, 0x08, 0xff};
    uint8_t tag[8];
    for (int b = 0; b < 8; b++)
        tag[b] = (uint8_t)(i >> (56 - 8 * b));
    const void *parts[4];
    size_t lens[4];
    switch (i % S_KINDS) {
    case 0:
        parts[0] = "", lens[0] = 0, parts[1] = tag, lens[1] = sizeof tag;
        parts[2] = garbage, lens[2] = sizeof garbage;
        return s_send_parts(sock, parts, lens, 3);
    case 1:
        switch ((i / S_KINDS) % 3) {
        case 0: /* too few frames */
            parts[0] = "", lens[0] = 0, parts[1] = tag, lens[1] = sizeof tag;
            return s_send_parts(sock, parts, lens, 2);
        case 1: /* no empty delimiter */
            parts[0] = tag, lens[0] = sizeof tag, parts[1] = empty_sub, lens[1] = sizeof empty_sub;
            return s_send_parts(sock, parts, lens, 2);
        default: /* too many frames */
            parts[0] = "", lens[0] = 0, parts[1] = tag, lens[1] = sizeof tag;
            parts[2] = empty_sub, lens[2] = sizeof empty_sub;
            parts[3] = empty_sub, lens[3] = sizeof empty_sub;
            return s_send_parts(sock, parts, lens, 4);
        }
    case 2:
        parts[0] = "", lens[0] = 0, parts[1] = tag, lens[1] = sizeof tag;
        parts[2] = empty_sub, lens[2] = sizeof empty_sub;
        return s_send_parts(sock, parts, lens, 3);
    case 3:
        parts[0] = "", lens[0] = 0, parts[1] = tag, lens[1] = sizeof tag;
        parts[2] = version2, lens[2] = sizeof version2;
        return s_send_parts(sock, parts, lens, 3);
    default:
        parts[0] = "", lens[0] = 0, parts[1] = tag, lens[1] = sizeof tag;
        parts[2] = oversize, lens[2] = oversize_len;
        return s_send_parts(sock, parts, lens, 3);
    }
}

/* Reads one whole receipt message if one is waiting within timeout_ms. */
static int s_recv_receipt(void *sock, long timeout_ms)
{
    zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, timeout_ms) <= 0)
        return 0;
    int more = 1;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, 0) < 0) {
            zmq_msg_close(&m);
            return 0;
        }
        more = zmq_msg_more(&m);
        zmq_msg_close(&m);
    }
    return 1;
}

static void s_usage(void)
{
    fprintf(stderr, "usage: flood --connect EP --count N --pid PID [--window W] "
                    "[--sample-every K] [--oversize-bytes B] [--timeout-ms T]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *endpoint = NULL;
    long long count = 1000000, window = 1000, every = 50000, oversize_len = 5000, pid = 0;
    long long timeout_ms = 10000;
    for (int a = 1; a + 1 < argc; a += 2) {
        const char *k = argv[a], *v = argv[a + 1];
        if (strcmp(k, "--connect") == 0)
            endpoint = v;
        else if (strcmp(k, "--count") == 0)
            count = atoll(v);
        else if (strcmp(k, "--window") == 0)
            window = atoll(v);
        else if (strcmp(k, "--sample-every") == 0)
            every = atoll(v);
        else if (strcmp(k, "--oversize-bytes") == 0)
            oversize_len = atoll(v);
        else if (strcmp(k, "--pid") == 0)
            pid = atoll(v);
        else if (strcmp(k, "--timeout-ms") == 0)
            timeout_ms = atoll(v);
        else
            s_usage();
    }
    if (argc % 2 != 1 || !endpoint || count < 1 || window < 1 || every < 1 || pid < 1 ||
        oversize_len < 1)
        s_usage();

    uint8_t *oversize = malloc((size_t)oversize_len);
    void *ctx = zmq_ctx_new();
    void *sock = ctx ? zmq_socket(ctx, ZMQ_DEALER) : NULL;
    int zero = 0, hwm = (int)(window * 4 > 1000 ? window * 4 : 1000);
    if (!oversize || !sock || zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm) != 0 || zmq_connect(sock, endpoint)) {
        fprintf(stderr, "flood: cannot set up a DEALER to %s: %s\n", endpoint,
                zmq_strerror(zmq_errno()));
        return 1;
    }
    memset(oversize, 0xA5, (size_t)oversize_len);

    long long sent = 0, received = 0, lost = 0, next_sample = every;
    long long n_samples = 0;
    long rss[4096];
    long long at[4096];
    long rss0 = s_rss_kib(pid);
    printf("flood: %lld frames to %s, window %lld, worker pid %lld rss %ld KiB at start\n", count,
           endpoint, window, pid, rss0);
    double t0 = s_now_s(), t_last = t0;
    long long last_received = 0;
    while (received + lost < count) {
        while (sent < count && sent - received - lost < window) {
            if (s_send_malformed(sock, (uint64_t)sent, oversize, (size_t)oversize_len) != 0) {
                fprintf(stderr, "flood: send failed: %s\n", zmq_strerror(zmq_errno()));
                return 1;
            }
            sent++;
        }
        if (s_recv_receipt(sock, timeout_ms)) {
            received++;
            while (s_recv_receipt(sock, 0))
                received++;
        } else {
            /* Nothing for timeout_ms: what is still in flight will not come. */
            fprintf(stderr, "flood: no receipt for %lld ms: %lld in flight counted lost\n",
                    timeout_ms, sent - received - lost);
            lost = sent - received;
            if (s_rss_kib(pid) < 0) {
                fprintf(stderr, "flood: the worker (pid %lld) is gone\n", pid);
                return 1;
            }
        }
        while (received + lost >= next_sample && n_samples < 4096) {
            double t = s_now_s();
            rss[n_samples] = s_rss_kib(pid);
            at[n_samples] = next_sample;
            printf("frames=%-8lld rss_kib=%-7ld rate=%.0f/s\n", next_sample, rss[n_samples],
                   (double)(received - last_received) / (t - t_last));
            fflush(stdout);
            t_last = t;
            last_received = received;
            n_samples++;
            next_sample += every;
        }
    }
    double secs = s_now_s() - t0;
    printf("flood: sent %lld, receipts %lld, lost %lld in %.1f s: %.0f frames/s\n", sent, received,
           lost, secs, (double)received / secs);
    printf("rss_series_kib:");
    for (long long k = 0; k < n_samples; k++)
        printf(" %ld", rss[k]);
    printf("\n");
    /* Warm-up: the first tenth of the frames (caches, libpq buffers, allocator arenas). */
    long long warm = 0;
    while (warm < n_samples && at[warm] < count / 10)
        warm++;
    if (warm < n_samples && rss[warm] > 0)
        printf("rss: start %ld KiB, first after warm-up (%lld frames) %ld KiB, last %ld KiB, "
               "ratio last/first-after-warm-up %.3f\n",
               rss0, at[warm], rss[warm], rss[n_samples - 1],
               (double)rss[n_samples - 1] / (double)rss[warm]);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    free(oversize);
    return lost ? 1 : 0;
}
