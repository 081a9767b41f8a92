/* latency.c - one report's time from send to receipt, at idle or while a
 * background load keeps the workers busy at a fixed rate. Used by
 * bench/run.sh; links the pingan library for the CSV reader and the codec.
 *
 * The probe sends a one-report submission (district --district, month
 * --period, one district-level ws_deaths count) every --interval-ms on a
 * DEALER of its own and waits for that receipt before the next; revisions
 * count up from --revision-from so every probe is a new, stored correction.
 * With --load FILE --load-rps R, a second DEALER sends FILE's reports in
 * submissions of --load-batch reports, at R reports per second, from the
 * start of the run until the last probe; their receipts are only counted.
 *
 * Usage: latency --connect EP [--load-connect EP,...] --samples N
 *                [--interval-ms MS] [--revision-from K] [--district D]
 *                [--period YYYY-MM] [--load FILE --load-rps R [--load-batch B]]
 * Prints "p50 X ms p99 Y ms max Z ms of N; load R reports/s sent S acked A";
 * exits 1 when a probe was not stored or a receipt did not come within 10 s. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "pa_codec.h"
#include "pa_input.h"
#include "pa_period.h"
#include "pa_problem.h"
#include "pa_report.h"

typedef struct {
    const char *connect, *load_connect, *load_file, *district, *period;
    long samples, interval_ms, revision_from, load_batch;
    double load_rps;
} s_opts_t;

typedef struct {
    uint8_t **frames; /* encoded load submissions */
    size_t *lens;
    size_t n, cap;
    pa_report_t **pending; /* reports of the submission being built */
    size_t n_pending;
    long batch;
} s_load_t;

static double s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* What the producer stamps: when the report was handed over. */
static int64_t s_epoch_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int s_flush_load(s_load_t *load, pa_err_t *err)
{
    if (load->n_pending == 0)
        return PA_OK;
    if (load->n == load->cap) {
        size_t cap = load->cap ? load->cap * 2 : 256;
        uint8_t **f = realloc(load->frames, cap * sizeof *f);
        if (!f)
            return pa_err_set(err, PA_ENOMEM, "out of memory");
        load->frames = f;
        size_t *l = realloc(load->lens, cap * sizeof *l);
        if (!l)
            return pa_err_set(err, PA_ENOMEM, "out of memory");
        load->lens = l;
        load->cap = cap;
    }
    int rc = pa_codec_encode_submission("bench-load", load->pending, load->n_pending,
                                        &load->frames[load->n], &load->lens[load->n], err);
    for (size_t i = 0; i < load->n_pending; i++)
        pa_report_destroy(&load->pending[i]);
    load->n_pending = 0;
    if (rc == PA_OK)
        load->n++;
    return rc;
}

static int s_on_load_report(void *arg, pa_report_t *report, pa_err_t *err)
{
    s_load_t *load = arg;
    pa_report_t *copy = pa_report_dup(report, err);
    if (!copy)
        return err->code;
    copy->submitted_at_ms = s_epoch_ms();
    pa_report_assign_id(copy);
    load->pending[load->n_pending++] = copy;
    return load->n_pending == (size_t)load->batch ? s_flush_load(load, err) : PA_OK;
}

static int s_read_load(const char *path, s_load_t *load, pa_err_t *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return pa_err_set(err, PA_EIO, "%s: cannot open", path);
    int rc = pa_input_read_file(f, PA_FORMAT_CSV, path, s_on_load_report, load, err);
    fclose(f);
    return rc == PA_OK ? s_flush_load(load, err) : rc;
}

static int s_send(void *sock, uint64_t tag, const uint8_t *buf, size_t len)
{
    uint8_t t[8];
    for (int i = 0; i < 8; i++)
        t[i] = (uint8_t)(tag >> (56 - 8 * i));
    if (zmq_send(sock, "", 0, ZMQ_SNDMORE) < 0 || zmq_send(sock, t, sizeof t, ZMQ_SNDMORE) < 0 ||
        zmq_send(sock, buf, len, 0) < 0)
        return -1;
    return 0;
}

/* Reads one reply; returns the receipt's whole status and the first
 * entry's, or -1 on a framing error. */
static int s_recv_receipt(void *sock, int *entry_status)
{
    zmq_msg_t part;
    int n = 0, status = -1;
    *entry_status = -1;
    zmq_msg_init(&part);
    for (;;) {
        if (zmq_msg_recv(&part, sock, 0) < 0)
            break;
        if (++n == 3) {
            pa_receipt_t *r = NULL;
            pa_err_t err = {0};
            if (pa_codec_decode_receipt(zmq_msg_data(&part), zmq_msg_size(&part), &r, &err) ==
                PA_OK) {
                status = r->status;
                if (r->n_entries > 0)
                    *entry_status = r->entries[0].status;
                pa_receipt_destroy(&r);
            }
        }
        if (!zmq_msg_more(&part))
            break;
    }
    zmq_msg_close(&part);
    return n == 3 ? status : -1;
}

static int s_probe_frame(const s_opts_t *o, long revision, uint8_t **buf, size_t *len,
                         pa_err_t *err)
{
    pa_report_t *r = pa_report_new();
    if (!r)
        return pa_err_set(err, PA_ENOMEM, "out of memory");
    int rc = PA_OK;
    snprintf(r->district, sizeof r->district, "%s", o->district);
    if ((rc = pa_period_parse(o->period, &r->period, err)) != PA_OK)
        goto cleanup;
    r->revision = (uint32_t)revision;
    r->submitted_at_ms = s_epoch_ms();
    pa_value_t v = {.kind = PA_AMOUNT_COUNT, .count = (double)(revision % 7)};
    snprintf(v.indicator, sizeof v.indicator, "ws_deaths");
    if ((rc = pa_report_add_value(r, &v, err)) != PA_OK)
        goto cleanup;
    pa_report_assign_id(r);
    rc = pa_codec_encode_submission("bench-probe", &r, 1, buf, len, err);
cleanup:
    pa_report_destroy(&r);
    return rc;
}

static void *s_dealer(void *ctx, const char *eps)
{
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    char *copy = strdup(eps);
    for (char *save = NULL, *ep = strtok_r(copy, ",", &save); ep; ep = strtok_r(NULL, ",", &save))
        zmq_connect(s, ep);
    free(copy);
    return s;
}

static int s_parse(int argc, char **argv, s_opts_t *o)
{
    *o = (s_opts_t){.samples = 100,
                    .interval_ms = 20,
                    .revision_from = 1,
                    .district = "500101",
                    .period = "2024-12",
                    .load_batch = 20};
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--connect"))
            o->connect = v;
        else if (!strcmp(k, "--load-connect"))
            o->load_connect = v;
        else if (!strcmp(k, "--samples"))
            o->samples = strtol(v, NULL, 10);
        else if (!strcmp(k, "--interval-ms"))
            o->interval_ms = strtol(v, NULL, 10);
        else if (!strcmp(k, "--revision-from"))
            o->revision_from = strtol(v, NULL, 10);
        else if (!strcmp(k, "--district"))
            o->district = v;
        else if (!strcmp(k, "--period"))
            o->period = v;
        else if (!strcmp(k, "--load"))
            o->load_file = v;
        else if (!strcmp(k, "--load-rps"))
            o->load_rps = strtod(v, NULL);
        else if (!strcmp(k, "--load-batch"))
            o->load_batch = strtol(v, NULL, 10);
        else
            return -1;
    }
    if (!o->load_connect)
        o->load_connect = o->connect;
    return o->connect && o->samples > 0 && o->load_batch > 0 && o->load_batch <= 500 ? 0 : -1;
}

int main(int argc, char **argv)
{
    s_opts_t o;
    if (s_parse(argc, argv, &o) != 0) {
        fprintf(stderr,
                "usage: latency --connect EP --samples N [--interval-ms MS] [--revision-from K]\n"
                "       [--district D] [--period YYYY-MM] [--load FILE --load-rps R]\n"
                "       [--load-connect EP,...] [--load-batch B]\n");
        return 2;
    }
    int code = 1;
    pa_err_t err = {0};
    s_load_t load = {.batch = o.load_batch};
    double *lat = calloc((size_t)o.samples, sizeof *lat);
    load.pending = calloc((size_t)o.load_batch, sizeof *load.pending);
    void *ctx = zmq_ctx_new(), *probe = NULL, *bg = NULL;
    if (!lat || !load.pending || !ctx)
        goto cleanup;
    if (o.load_file && o.load_rps > 0 && s_read_load(o.load_file, &load, &err) != PA_OK) {
        fprintf(stderr, "latency: %s\n", err.msg);
        goto cleanup;
    }
    probe = s_dealer(ctx, o.connect);
    if (load.n > 0)
        bg = s_dealer(ctx, o.load_connect);
    double start = s_now_ms(), next_probe = start + 200; /* let the connections settle */
    size_t load_sent = 0, load_acked = 0;
    long done = 0;
    double probe_sent_at = -1;
    while (done < o.samples) {
        double now = s_now_ms();
        /* Background load: as many submissions as the rate allows by now. */
        while (bg && load_sent < load.n &&
               (double)(load_sent * (size_t)o.load_batch) < (now - start) / 1e3 * o.load_rps) {
            if (s_send(bg, load_sent, load.frames[load_sent], load.lens[load_sent]) != 0)
                break;
            load_sent++;
        }
        if (probe_sent_at < 0 && now >= next_probe) {
            uint8_t *buf = NULL;
            size_t len = 0;
            if (s_probe_frame(&o, o.revision_from + done, &buf, &len, &err) != PA_OK) {
                fprintf(stderr, "latency: %s\n", err.msg);
                goto cleanup;
            }
            probe_sent_at = s_now_ms();
            int rc = s_send(probe, (uint64_t)done, buf, len);
            free(buf);
            if (rc != 0)
                goto cleanup;
        }
        zmq_pollitem_t items[2] = {{probe, 0, ZMQ_POLLIN, 0}, {bg, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, bg ? 2 : 1, 1) < 0)
            goto cleanup;
        if (items[0].revents & ZMQ_POLLIN) {
            int entry = -1, st = s_recv_receipt(probe, &entry);
            double ms = s_now_ms() - probe_sent_at;
            if (st != PA_STATUS_STORED || entry != PA_STATUS_STORED) {
                fprintf(stderr, "latency: probe %ld was not stored (receipt %d, report %d)\n", done,
                        st, entry);
                goto cleanup;
            }
            lat[done++] = ms;
            probe_sent_at = -1;
            next_probe = s_now_ms() + (double)o.interval_ms;
        } else if (probe_sent_at >= 0 && s_now_ms() - probe_sent_at > 10000) {
            fprintf(stderr, "latency: no receipt for probe %ld within 10 s\n", done);
            goto cleanup;
        }
        while (bg && (items[1].revents & ZMQ_POLLIN)) {
            int entry = -1;
            if (s_recv_receipt(bg, &entry) >= 0)
                load_acked++;
            int more = 0;
            size_t sz = sizeof more;
            zmq_getsockopt(bg, ZMQ_EVENTS, &more, &sz);
            if (!(more & ZMQ_POLLIN))
                break;
        }
    }
    double secs = (s_now_ms() - start) / 1e3;
    qsort(lat, (size_t)o.samples, sizeof *lat, s_cmp_double);
    size_t p50 = (size_t)(o.samples - 1) / 2, p99 = (size_t)((o.samples - 1) * 99 / 100);
    printf("p50 %.1f ms p99 %.1f ms max %.1f ms of %ld; load %.0f reports/s: %zu of %zu "
           "submissions sent, "
           "%zu acknowledged in %.1f s\n",
           lat[p50], lat[p99], lat[o.samples - 1], o.samples, o.load_rps, load_sent, load.n,
           load_acked, secs);
    code = 0;
cleanup:
    if (probe)
        zmq_close(probe);
    if (bg)
        zmq_close(bg);
    if (ctx)
        zmq_ctx_term(ctx);
    for (size_t i = 0; i < load.n; i++)
        free(load.frames[i]);
    for (size_t i = 0; i < load.n_pending; i++)
        pa_report_destroy(&load.pending[i]);
    free(load.frames);
    free(load.lens);
    free(load.pending);
    free(lat);
    return code;
}
