/* test_metrics.c - the metrics registry without a server: address parsing,
 * what the exposition says after known updates, histogram buckets, the
 * lag gauge growing between passes, and updates from several threads.
 * (tests/integration/test_operations.c scrapes a real worker and runs
 * promtool.) */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pa_metrics.h"
#include "pa_problem.h"

static pa_metrics_t *s_new(void)
{
    pa_metrics_t *m = pa_metrics_new(NULL);
    cr_assert(m);
    return m;
}

static char *s_render(const pa_metrics_t *m, int64_t now_ms)
{
    pa_buf_t b = {0};
    pa_metrics_render(m, now_ms, &b);
    cr_assert_not(b.failed);
    return b.data;
}

/* The line for one sample, e.g. "pingan_reports_stored_total 3". */
static bool s_has_line(const char *text, const char *line)
{
    size_t len = strlen(line);
    for (const char *p = text; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, line, len) == 0 && (p[len] == '\n' || p[len] == '\0'))
            return true;
    return false;
}

Test(metrics, addresses_are_host_and_port)
{
    static const struct {
        const char *addr;
        const char *host;
        int port;
    } ok[] = {
        {"127.0.0.1:9555", "127.0.0.1", 9555},
        {":9555", "", 9555},
        {"[::1]:0", "::1", 0},
        {"metrics.local:65535", "metrics.local", 65535},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char host[64];
        int port = -1;
        cr_assert_eq(pa_metrics_parse_addr(ok[i].addr, host, sizeof host, &port, NULL), PA_OK, "%s",
                     ok[i].addr);
        cr_assert_str_eq(host, ok[i].host, "%s", ok[i].addr);
        cr_assert_eq(port, ok[i].port, "%s", ok[i].addr);
    }
    static const char *const bad[] = {"9555",     "host:",    "host:65536", "host:-1",
                                      "host:95x", "::1:9555", NULL,         ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char host[64];
        int port;
        pa_err_t err;
        cr_assert_eq(pa_metrics_parse_addr(bad[i], host, sizeof host, &port, &err), PA_EINVAL, "%s",
                     bad[i] ? bad[i] : "NULL");
        cr_assert(strstr(err.msg, "--metrics"), "%s", err.msg);
    }
}

Test(metrics, the_text_says_what_was_counted)
{
    pa_metrics_t *m = s_new();
    pa_metrics_add(m, PA_METRIC_STORED, 3);
    pa_metrics_add(m, PA_METRIC_STORED, 2);
    pa_metrics_add(m, PA_METRIC_BATCHES_GIVEN_UP, 1);
    pa_metrics_add(m, PA_METRIC_RECONNECTS_AGGREGATION, 4);
    pa_metrics_rejected(m, PA_REASON_TOWN_NOT_IN_DISTRICT);
    pa_metrics_rejected(m, PA_REASON_TOWN_NOT_IN_DISTRICT);
    pa_metrics_rejected(m, 999); /* a code this build does not know */
    pa_metrics_refused(m, PA_REASON_OVERSIZE);
    pa_metrics_set_pending(m, 7);
    char *t = s_render(m, 0);
    cr_assert(s_has_line(t, "pingan_reports_stored_total 5"), "%s", t);
    cr_assert(s_has_line(t, "pingan_batches_total{outcome=\"committed\"} 0"), "%s", t);
    cr_assert(s_has_line(t, "pingan_batches_total{outcome=\"given_up\"} 1"), "%s", t);
    cr_assert(s_has_line(t, "pingan_postgres_reconnects_total{connection=\"aggregation\"} 4"));
    cr_assert(s_has_line(t, "pingan_reports_rejected_total{reason=\"town_not_in_district\"} 2"));
    cr_assert(s_has_line(t, "pingan_reports_rejected_total{reason=\"unspecified\"} 1"), "%s", t);
    cr_assert(s_has_line(t, "pingan_reports_rejected_total{reason=\"stale_revision\"} 0"),
              "a report's reasons are listed before they happen");
    cr_assert_not(strstr(t, "pingan_reports_rejected_total{reason=\"oversize\"}"),
                  "a frame's reason is not a report's");
    cr_assert(s_has_line(t, "pingan_frames_refused_total{reason=\"oversize\"} 1"), "%s", t);
    cr_assert(s_has_line(t, "pingan_frames_refused_total{reason=\"bad_framing\"} 0"), "%s", t);
    cr_assert(s_has_line(t, "pingan_pending_reports 7"), "%s", t);
    cr_assert(s_has_line(t, "pingan_build_info{version=\"" PINGAN_VERSION "\"} 1"), "%s", t);
    /* One HELP and TYPE per family, even for a family of several entries. */
    const char *first = strstr(t, "# TYPE pingan_batches_total counter");
    cr_assert(first && !strstr(first + 1, "# TYPE pingan_batches_total"), "%s", t);
    cr_assert_eq(pa_metrics_get(m, PA_METRIC_STORED), 5);
    cr_assert_eq(pa_metrics_rejected_total(m), 3);
    cr_assert_eq(pa_metrics_refused_total(m), 1);
    free(t);
    pa_metrics_destroy(&m);
    cr_assert_null(m);
    pa_metrics_destroy(&m);
    pa_metrics_destroy(NULL);
}

Test(metrics, commit_latency_buckets_are_cumulative_and_bounds_inclusive)
{
    pa_metrics_t *m = s_new();
    pa_metrics_commit_ms(m, 5);      /* le 0.005: the bound is inclusive */
    pa_metrics_commit_ms(m, 6);      /* le 0.01 */
    pa_metrics_commit_ms(m, 1000);   /* le 1 */
    pa_metrics_commit_ms(m, 120000); /* above every bound: +Inf only */
    char *t = s_render(m, 0);
    const char *h = "pingan_batch_commit_duration_seconds";
    char line[128];
    static const struct {
        const char *le;
        int n;
    } want[] = {{"0.005", 1}, {"0.01", 2}, {"0.5", 2}, {"1", 3}, {"60", 3}, {"+Inf", 4}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        snprintf(line, sizeof line, "%s_bucket{le=\"%s\"} %d", h, want[i].le, want[i].n);
        cr_assert(s_has_line(t, line), "%s in:\n%s", line, t);
    }
    snprintf(line, sizeof line, "%s_count 4", h);
    cr_assert(s_has_line(t, line), "%s", t);
    snprintf(line, sizeof line, "%s_sum 121.011", h);
    cr_assert(s_has_line(t, line), "%s", t);
    free(t);
    pa_metrics_destroy(&m);
}

Test(metrics, lag_age_grows_until_the_next_pass)
{
    pa_metrics_t *m = s_new();
    pa_metrics_set_aggregation(m, 3, 1500, 10000);
    char *t = s_render(m, 12000); /* 2 s after the pass read 1.5 s */
    cr_assert(s_has_line(t, "pingan_aggregation_queued_keys 3"), "%s", t);
    cr_assert(s_has_line(t, "pingan_aggregation_oldest_age_seconds 3.500"), "%s", t);
    free(t);
    pa_metrics_set_aggregation(m, 0, 0, 13000);
    t = s_render(m, 20000);
    cr_assert(s_has_line(t, "pingan_aggregation_oldest_age_seconds 0.000"), "current: %s", t);
    cr_assert_not(strstr(t, "pingan_aggregation_last_pass_timestamp_seconds 0.000"), "%s", t);
    free(t);
    pa_metrics_destroy(&m);
}

Test(metrics, a_missing_registry_counts_nothing)
{
    pa_metrics_add(NULL, PA_METRIC_STORED, 1);
    pa_metrics_rejected(NULL, PA_REASON_MISSING_FIELD);
    pa_metrics_refused(NULL, PA_REASON_OVERSIZE);
    pa_metrics_commit_ms(NULL, 1);
    pa_metrics_set_pending(NULL, 1);
    pa_metrics_set_aggregation(NULL, 1, 1, 1);
    cr_assert_eq(pa_metrics_get(NULL, PA_METRIC_STORED), 0);
    cr_assert_eq(pa_metrics_rejected_total(NULL), 0);
}

static void *s_hammer(void *arg)
{
    pa_metrics_t *m = arg;
    for (int i = 0; i < 100000; i++) {
        pa_metrics_add(m, PA_METRIC_RECEIVED, 1);
        pa_metrics_rejected(m, PA_REASON_NEGATIVE_COUNT);
        pa_metrics_commit_ms(m, i % 100);
    }
    return NULL;
}

Test(metrics, updates_from_several_threads_are_not_lost)
{
    pa_metrics_t *m = s_new();
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, s_hammer, m), 0);
    /* Scrapes meanwhile: _count always equals the +Inf bucket. */
    for (int k = 0; k < 50; k++) {
        char *t = s_render(m, 0);
        const char *inf = strstr(t, "_bucket{le=\"+Inf\"} ");
        const char *count = strstr(t, "_seconds_count ");
        cr_assert(inf && count);
        cr_assert_eq(strtoull(strchr(inf, '}') + 2, NULL, 10),
                     strtoull(count + strlen("_seconds_count "), NULL, 10));
        free(t);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    cr_assert_eq(pa_metrics_get(m, PA_METRIC_RECEIVED), 400000);
    cr_assert_eq(pa_metrics_rejected_total(m), 400000);
    pa_metrics_destroy(&m);
}
