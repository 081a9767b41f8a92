/* pa_window.c - flights, tags and timers (see pa_window.h). */
#include "pa_window.h"

#include <stdlib.h>
#include <string.h>

struct pa_window {
    pa_flight_t *slots; /* capacity of them; used ones first, in no order */
    size_t n, capacity;
    int timeout_ms, retries;
    uint64_t next_tag;
};

pa_window_t *pa_window_new(size_t capacity, int timeout_ms, int retries)
{
    pa_window_t *self = calloc(1, sizeof *self);
    if (!self || !(self->slots = calloc(capacity ? capacity : 1, sizeof *self->slots))) {
        free(self);
        return NULL;
    }
    self->capacity = capacity ? capacity : 1;
    self->timeout_ms = timeout_ms;
    self->retries = retries;
    return self;
}

static void s_free_flight(pa_flight_t *f)
{
    free(f->body);
    free(f->reports);
    free(f->lines);
    memset(f, 0, sizeof *f);
}

void pa_window_destroy(pa_window_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pa_window_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++)
        s_free_flight(&self->slots[i]);
    free(self->slots);
    free(self);
    *self_p = NULL;
}

size_t pa_window_count(const pa_window_t *self)
{
    return self->n;
}

bool pa_window_has_room(const pa_window_t *self)
{
    return self->n < self->capacity;
}

pa_flight_t *pa_window_open(pa_window_t *self, uint8_t *body, size_t len, pa_summary_t *reports,
                            size_t n_reports, int64_t now_ms)
{
    if (!pa_window_has_room(self))
        return NULL;
    pa_flight_t *f = &self->slots[self->n++];
    *f = (pa_flight_t){.tag = self->next_tag++,
                       .body = body,
                       .len = len,
                       .reports = reports,
                       .n_reports = n_reports,
                       .queued = true,
                       .opened_ms = now_ms,
                       .due_ms = now_ms};
    return f;
}

pa_flight_t *pa_window_find(pa_window_t *self, uint64_t tag)
{
    for (size_t i = 0; i < self->n; i++)
        if (self->slots[i].tag == tag)
            return &self->slots[i];
    return NULL;
}

pa_flight_t *pa_window_at(pa_window_t *self, size_t i)
{
    return i < self->n ? &self->slots[i] : NULL;
}

pa_flight_verdict_t pa_window_verdict(const pa_window_t *self, const pa_flight_t *f, int64_t now_ms)
{
    if (f->due_ms > now_ms)
        return PA_FLIGHT_WAIT;
    if (f->queued) {
        /* Never taken by the socket: bounded by the same total time a sent
         * one gets (every attempt's timeout). */
        int64_t budget = (int64_t)self->timeout_ms * (self->retries + 1);
        return now_ms - f->opened_ms >= budget ? PA_FLIGHT_GIVE_UP : PA_FLIGHT_SEND;
    }
    return f->attempts > self->retries ? PA_FLIGHT_GIVE_UP : PA_FLIGHT_SEND;
}

int64_t pa_window_next_due(const pa_window_t *self)
{
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < self->n; i++)
        if (self->slots[i].due_ms < next)
            next = self->slots[i].due_ms;
    return next;
}

bool pa_window_wants_send(const pa_window_t *self, int64_t now_ms)
{
    for (size_t i = 0; i < self->n; i++)
        if (self->slots[i].queued && self->slots[i].due_ms <= now_ms)
            return true;
    return false;
}

void pa_window_sent(pa_window_t *self, pa_flight_t *f, int64_t now_ms)
{
    f->attempts++;
    f->queued = false;
    f->due_ms = now_ms + self->timeout_ms;
}

void pa_window_blocked(pa_window_t *self, pa_flight_t *f, int64_t now_ms)
{
    (void)self;
    f->queued = true;
    f->due_ms = now_ms;
}

void pa_window_retry_later(pa_window_t *self, pa_flight_t *f, int64_t now_ms)
{
    int64_t backoff = 100LL << (f->attempts < 6 ? f->attempts : 6);
    f->due_ms = now_ms + (backoff < self->timeout_ms ? backoff : self->timeout_ms);
    /* Still counted as sent: a worker that keeps answering RETRY_LATER
     * uses up the retries like one that does not answer. */
    f->queued = false;
}

void pa_window_close(pa_window_t *self, pa_flight_t *f)
{
    size_t i = (size_t)(f - self->slots);
    if (i >= self->n)
        return;
    s_free_flight(f);
    self->n--;
    if (i != self->n) {
        self->slots[i] = self->slots[self->n]; /* keep used slots first */
        memset(&self->slots[self->n], 0, sizeof self->slots[self->n]);
    }
}
