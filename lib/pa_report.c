/* pa_report.c - the in-memory report and its content-derived id. */
#include "pa_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "pa_vec.h"

pa_report_t *pa_report_new(void)
{
    return calloc(1, sizeof(pa_report_t));
}

void pa_report_destroy(pa_report_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->values);
    free(*self_p);
    *self_p = NULL;
}

void pa_report_reset(pa_report_t *self)
{
    pa_value_t *values = self->values;
    size_t cap = self->cap_values;
    memset(self, 0, sizeof *self);
    self->values = values;
    self->cap_values = cap;
}

int pa_report_add_value(pa_report_t *self, const pa_value_t *value, pa_err_t *err)
{
    if (self->n_values >= PA_MAX_VALUES)
        return pa_err_set(err, PA_EINVAL, "more than %d values in one report", PA_MAX_VALUES);
    void *values = self->values;
    pa_value_t *slot = pa_vec_push(&values, self->n_values, &self->cap_values, sizeof *slot, 32);
    self->values = values;
    if (!slot)
        return pa_err_set(err, PA_ENOMEM, "out of memory for %zu values", self->n_values + 1);
    *slot = *value;
    self->n_values++;
    return PA_OK;
}

int pa_report_copy(pa_report_t *dst, const pa_report_t *src, pa_err_t *err)
{
    pa_report_reset(dst);
    pa_value_t *values = dst->values;
    size_t cap = dst->cap_values;
    *dst = *src;
    dst->values = values;
    dst->cap_values = cap;
    dst->n_values = 0;
    for (size_t i = 0; i < src->n_values; i++) {
        int rc = pa_report_add_value(dst, &src->values[i], err);
        if (rc != PA_OK)
            return rc;
    }
    return PA_OK;
}

pa_report_t *pa_report_dup(const pa_report_t *src, pa_err_t *err)
{
    pa_report_t *copy = pa_report_new();
    if (!copy) {
        pa_err_set(err, PA_ENOMEM, "out of memory");
        return NULL;
    }
    if (pa_report_copy(copy, src, err) != PA_OK)
        pa_report_destroy(&copy);
    return copy;
}

/* A fixed namespace for pingan report ids (itself a random UUID). */
static const uuid_t s_namespace = {0x6b, 0x1c, 0x2f, 0x4e, 0x93, 0x0d, 0x4a, 0x57,
                                   0x8e, 0x21, 0x5d, 0x0f, 0x7a, 0x63, 0xc4, 0x19};

/* Canonical bytes of a report: strings with their NUL, integers and IEEE
 * doubles little-endian. Binary rather than text, because formatting doubles
 * was the worker's largest cost. */
static size_t s_put_str(uint8_t *p, const char *s)
{
    size_t n = strlen(s) + 1;
    memcpy(p, s, n);
    return n;
}

static size_t s_put_le(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    return (size_t)bytes;
}

static size_t s_put_double(uint8_t *p, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return s_put_le(p, bits, 8);
}

void pa_report_digest(const pa_report_t *self, char out_text[PA_REPORT_ID_SIZE])
{
    size_t cap = PA_DISTRICT_SIZE + 16 + self->n_values * (PA_INDICATOR_SIZE + PA_TOWN_SIZE + 32);
    uint8_t *buf = malloc(cap);
    uuid_t out;
    size_t len = 0;
    uint8_t key[PA_DISTRICT_SIZE + 16];
    /* Without memory, fall back to the key alone: still stable, less collision-proof. */
    uint8_t *p = buf ? buf : key;
    len += s_put_str(p + len, self->district);
    len += s_put_le(p + len, (uint64_t)self->period.type, 1);
    len += s_put_le(p + len, (uint64_t)(uint32_t)self->period.start, 4);
    len += s_put_le(p + len, self->revision, 4);
    if (self->withdraw) /* only then: the ids of ordinary reports stay as they were */
        len += s_put_le(p + len, 'W', 1);
    for (size_t i = 0; buf && i < self->n_values; i++) {
        const pa_value_t *v = &self->values[i];
        len += s_put_str(p + len, v->indicator);
        len += s_put_str(p + len, v->town);
        len += s_put_le(p + len, (uint64_t)v->kind, 1);
        len += s_put_double(p + len, v->count);
        len += s_put_double(p + len, v->numerator);
        len += s_put_double(p + len, v->denominator);
    }
    uuid_generate_sha1(out, s_namespace, (const char *)p, len);
    free(buf);
    uuid_unparse_lower(out, out_text);
}

void pa_report_assign_id(pa_report_t *self)
{
    pa_report_digest(self, self->report_id);
}

int pa_strlcpy_checked(char *dst, const char *src, size_t size)
{
    size_t n = strlen(src);
    if (n >= size) {
        memcpy(dst, src, size - 1);
        dst[size - 1] = '\0';
        return PA_EINVAL;
    }
    memcpy(dst, src, n + 1);
    return PA_OK;
}

bool pa_utf8_printable(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned char c = *p;
        size_t n;
        uint32_t cp;
        if (c < 0x20 || c == 0x7f)
            return false;
        if (c < 0x80) {
            p++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        /* Overlong forms, surrogates and values past U+10FFFF are invalid. */
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return false;
        p += n + 1;
    }
    return true;
}

void pa_utf8_copy_prefix(char *dst, const char *src, size_t size)
{
    size_t n = strlen(src);
    if (n >= size) {
        n = size - 1;
        /* Back up over continuation bytes to the start of the cut character. */
        while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}
