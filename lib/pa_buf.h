/* pa_buf.h - a growable byte buffer (COPY data, JSON, array literals).
 * Appends never fail loudly: the first allocation failure sets `failed`
 * and later appends do nothing, so a builder checks once at the end.
 * A plain struct, embedded by value (zero-initialised = empty), because
 * its users build one per call and read data/len directly. */
#ifndef PA_BUF_H
#define PA_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *data;  /* owned; NUL-terminated after pa_buf_printf, not after pa_buf_put */
    size_t len;  /* bytes in use */
    size_t cap;  /* bytes allocated */
    bool failed; /* an append ran out of memory: the content is incomplete */
} pa_buf_t;

/* Appends len bytes. */
void pa_buf_put(pa_buf_t *self, const void *data, size_t len);
/* Appends formatted text (and keeps a NUL after it). */
void pa_buf_printf(pa_buf_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends the low `bytes` bytes of v, most significant first (1..8). */
void pa_buf_be(pa_buf_t *self, uint64_t v, int bytes);
/* Empties the buffer, keeping its memory (and clearing failed). */
void pa_buf_reset(pa_buf_t *self);
/* Frees the memory; the buffer is empty and reusable afterwards. */
void pa_buf_free(pa_buf_t *self);

#endif
