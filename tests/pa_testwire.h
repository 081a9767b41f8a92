/* pa_testwire.h - protobuf wire bytes written by hand for the tests, as a
 * hostile or foreign peer would send them (no protobuf-c): varints,
 * length-delimited fields, a well-formed report header, a Submission of
 * copies of one report. Header-only, included by unit and integration
 * tests after criterion.h; buffers are malloc'ed, the caller frees p. */
#ifndef PA_TESTWIRE_H
#define PA_TESTWIRE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t *p;
    size_t n, cap;
} pa_tw_bytes_t;

static inline void pa_tw_put(pa_tw_bytes_t *b, const void *data, size_t len)
{
    if (b->n + len > b->cap) {
        b->cap = (b->n + len) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        cr_assert_not_null(b->p);
    }
    memcpy(b->p + b->n, data, len);
    b->n += len;
}

static inline void pa_tw_varint(pa_tw_bytes_t *b, uint64_t v)
{
    do {
        uint8_t c = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        pa_tw_put(b, &c, 1);
        v >>= 7;
    } while (v);
}

static inline void pa_tw_len_field(pa_tw_bytes_t *b, unsigned field, const void *data, size_t len)
{
    pa_tw_varint(b, (uint64_t)field << 3 | 2);
    pa_tw_varint(b, len);
    pa_tw_put(b, data, len);
}

/* A well-formed report header for 500101, month 2024-03, revision 1;
 * values and extra fields follow. */
static inline void pa_tw_report_head(pa_tw_bytes_t *r, const char *id)
{
    pa_tw_len_field(r, 1, id, strlen(id));
    pa_tw_len_field(r, 2, "500101", 6);
    pa_tw_varint(r, 3 << 3);
    pa_tw_varint(r, 3);
    pa_tw_len_field(r, 4, "2024-03-01", 10);
    pa_tw_varint(r, 5 << 3);
    pa_tw_varint(r, 1710000000000ULL);
    pa_tw_varint(r, 6 << 3);
    pa_tw_varint(r, 1);
}

/* n empty Values: 2 bytes each on the wire. */
static inline void pa_tw_empty_values(pa_tw_bytes_t *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pa_tw_len_field(r, 7, "", 0);
}

/* n unknown fields (varint field 15 = 0): 2 bytes each. */
static inline void pa_tw_unknown_fields(pa_tw_bytes_t *b, size_t n)
{
    static const uint8_t field15[2] = {15 << 3, 0};
    for (size_t i = 0; i < n; i++)
        pa_tw_put(b, field15, 2);
}

/* A version-1 Submission of n copies of the Report bytes r. */
static inline pa_tw_bytes_t pa_tw_submission(const pa_tw_bytes_t *r, size_t n)
{
    pa_tw_bytes_t sub = {0};
    pa_tw_varint(&sub, 1 << 3);
    pa_tw_varint(&sub, 1);
    for (size_t i = 0; i < n; i++)
        pa_tw_len_field(&sub, 3, r->p, r->n);
    return sub;
}

#endif
