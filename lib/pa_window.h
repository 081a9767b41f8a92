/* pa_window.h - the producer's window of submissions in flight: slots,
 * tags, resend timers, and the verdict on each flight (send it now, wait,
 * or give it up). Pure: no sockets; time comes in as an argument, so a
 * unit test drives every timer by hand. */
#ifndef PA_WINDOW_H
#define PA_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pa_period.h"
#include "pa_report.h"

/* What the producer remembers of each report it sent. */
typedef struct {
    char report_id[PA_REPORT_ID_SIZE];
    char district[PA_DISTRICT_SIZE];
    char period[PA_PERIOD_SIZE];
    uint32_t revision;
    size_t n_values;
    uint32_t file;  /* index of its file in the producer's list */
    uint32_t line0; /* its values' lines start at the flight's lines[line0] */
    bool withdraw;  /* a void revision (pa_producer_withdraw) */
} pa_summary_t;

typedef struct {
    uint64_t tag;  /* sequence number, echoed by the receipt */
    uint8_t *body; /* owned: encoded Submission, resent as is */
    size_t len;
    pa_summary_t *reports; /* owned, n_reports */
    size_t n_reports;
    uint32_t *lines; /* owned: the input line of every value, by report */
    size_t n_lines;
    int attempts;      /* sends that left the socket */
    bool queued;       /* waiting to be (re)sent: the socket took nothing yet */
    int64_t opened_ms; /* when it entered the window */
    int64_t due_ms;    /* sent: when to resend; queued: when to send */
} pa_flight_t;

typedef enum {
    PA_FLIGHT_WAIT = 0, /* nothing to do before its due time */
    PA_FLIGHT_SEND,     /* (re)send it now */
    PA_FLIGHT_GIVE_UP,  /* no receipt after every retry (or never sent in that time) */
} pa_flight_verdict_t;

typedef struct pa_window pa_window_t;

/* capacity: flights at once; timeout_ms: resend after; retries: resends
 * before giving up. A flight that could not even be sent gives up after
 * timeout_ms * (retries + 1). NULL when out of memory. */
pa_window_t *pa_window_new(size_t capacity, int timeout_ms, int retries);
void pa_window_destroy(pa_window_t **self_p);

size_t pa_window_count(const pa_window_t *self);
bool pa_window_has_room(const pa_window_t *self);

/* Opens a flight (queued for sending); takes ownership of body and
 * reports. NULL when there is no room (ownership stays with the caller). */
pa_flight_t *pa_window_open(pa_window_t *self, uint8_t *body, size_t len, pa_summary_t *reports,
                            size_t n_reports, int64_t now_ms);
/* The flight with this tag, or NULL (a late receipt already settled). */
pa_flight_t *pa_window_find(pa_window_t *self, uint64_t tag);
/* The i-th slot in use, for iteration (NULL past the end). */
pa_flight_t *pa_window_at(pa_window_t *self, size_t i);

/* What to do with f at now. */
pa_flight_verdict_t pa_window_verdict(const pa_window_t *self, const pa_flight_t *f,
                                      int64_t now_ms);
/* The earliest due time of any flight (INT64_MAX when empty). */
int64_t pa_window_next_due(const pa_window_t *self);
/* Whether any flight is queued and due (then the sender waits for POLLOUT). */
bool pa_window_wants_send(const pa_window_t *self, int64_t now_ms);

/* The socket took f: count the attempt, resend after timeout_ms. */
void pa_window_sent(pa_window_t *self, pa_flight_t *f, int64_t now_ms);
/* The socket would block: keep f queued, try again at once when writable. */
void pa_window_blocked(pa_window_t *self, pa_flight_t *f, int64_t now_ms);
/* The worker said RETRY_LATER: queue f again after a backoff doubling with
 * its attempts (100 ms, 200 ms... at most timeout_ms). */
void pa_window_retry_later(pa_window_t *self, pa_flight_t *f, int64_t now_ms);
/* Frees f's slot (settled or given up). */
void pa_window_close(pa_window_t *self, pa_flight_t *f);

#endif
