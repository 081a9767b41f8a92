/* test_window.c - the producer's window without sockets: tags, room,
 * resend timers, RETRY_LATER backoff and giving up, driven by hand-set
 * times. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>

#include "pa_window.h"

static pa_flight_t *s_open(pa_window_t *w, int64_t now)
{
    uint8_t *body = malloc(4);
    pa_summary_t *r = calloc(2, sizeof *r);
    cr_assert(body && r);
    pa_flight_t *f = pa_window_open(w, body, 4, r, 2, now);
    if (!f) {
        free(body);
        free(r);
    }
    return f;
}

Test(window, tags_are_sequential_and_room_is_bounded)
{
    pa_window_t *w = pa_window_new(2, 1000, 2);
    cr_assert_eq(s_open(w, 0)->tag, 0);
    cr_assert_eq(s_open(w, 0)->tag, 1);
    cr_assert_not(pa_window_has_room(w));
    cr_assert_null(s_open(w, 0), "no third flight in a window of two");
    cr_assert_eq(pa_window_find(w, 1)->tag, 1);
    pa_window_close(w, pa_window_find(w, 0));
    cr_assert_null(pa_window_find(w, 0), "a settled tag is forgotten");
    cr_assert_eq(pa_window_count(w), 1);
    cr_assert_eq(s_open(w, 0)->tag, 2, "tags are never reused");
    pa_window_destroy(&w);
    cr_assert_null(w);
}

Test(window, resends_after_timeout_then_gives_up)
{
    pa_window_t *w = pa_window_new(4, 1000, 2);
    pa_flight_t *f = s_open(w, 0);
    cr_assert_eq(pa_window_verdict(w, f, 0), PA_FLIGHT_SEND, "a new flight is sent at once");
    pa_window_sent(w, f, 0);
    cr_assert_eq(pa_window_verdict(w, f, 999), PA_FLIGHT_WAIT);
    cr_assert_eq(pa_window_next_due(w), 1000);
    cr_assert_eq(pa_window_verdict(w, f, 1000), PA_FLIGHT_SEND, "no receipt: resend");
    pa_window_sent(w, f, 1000);
    pa_window_sent(w, f, 2000);
    cr_assert_eq(f->attempts, 3);
    cr_assert_eq(pa_window_verdict(w, f, 2999), PA_FLIGHT_WAIT);
    cr_assert_eq(pa_window_verdict(w, f, 3000), PA_FLIGHT_GIVE_UP, "1 send + 2 retries used");
    pa_window_destroy(&w);
}

Test(window, a_blocked_send_waits_queued_within_the_same_total_time)
{
    pa_window_t *w = pa_window_new(4, 1000, 2);
    pa_flight_t *f = s_open(w, 0);
    pa_window_blocked(w, f, 10);
    cr_assert(pa_window_wants_send(w, 10), "queued: the sender polls for POLLOUT");
    cr_assert_eq(f->attempts, 0, "a refused send is not an attempt");
    cr_assert_eq(pa_window_verdict(w, f, 2999), PA_FLIGHT_SEND);
    cr_assert_eq(pa_window_verdict(w, f, 3000), PA_FLIGHT_GIVE_UP,
                 "never sent: given up after timeout * (retries + 1)");
    pa_window_sent(w, f, 2500);
    cr_assert_not(pa_window_wants_send(w, 2500));
    pa_window_destroy(&w);
}

Test(window, retry_later_backs_off_up_to_the_timeout)
{
    pa_window_t *w = pa_window_new(4, 500, 10);
    pa_flight_t *f = s_open(w, 0);
    pa_window_sent(w, f, 0);
    pa_window_retry_later(w, f, 100);
    cr_assert_eq(f->due_ms, 100 + 200, "100 ms doubled once per attempt");
    pa_window_sent(w, f, 300);
    pa_window_sent(w, f, 400);
    pa_window_retry_later(w, f, 400);
    cr_assert_eq(f->due_ms, 400 + 500, "capped at the timeout");
    cr_assert_eq(pa_window_verdict(w, f, 900), PA_FLIGHT_SEND);
    pa_window_destroy(&w);
}

Test(window, closing_keeps_the_other_flights)
{
    pa_window_t *w = pa_window_new(3, 1000, 1);
    s_open(w, 0);
    s_open(w, 5);
    s_open(w, 7);
    pa_window_close(w, pa_window_find(w, 0));
    cr_assert_eq(pa_window_count(w), 2);
    cr_assert_not_null(pa_window_find(w, 1));
    cr_assert_not_null(pa_window_find(w, 2));
    cr_assert_eq(pa_window_next_due(w), 5);
    cr_assert_null(pa_window_at(w, 2));
    pa_window_destroy(&w);
    pa_window_t *empty = pa_window_new(1, 10, 0);
    cr_assert_eq(pa_window_next_due(empty), INT64_MAX);
    pa_window_destroy(&empty);
}
