/* pa_buf.c - growable byte buffer with a sticky failure flag. */
#include "pa_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pa_err.h"
#include "pa_vec.h"

#define PA_BUF_FIRST_BYTES 4096

static bool s_reserve(pa_buf_t *self, size_t extra)
{
    if (self->failed)
        return false;
    void *data = self->data;
    if (extra > SIZE_MAX - self->len - 1 ||
        pa_vec_reserve(&data, &self->cap, self->len + extra + 1, 1, PA_BUF_FIRST_BYTES) != PA_OK) {
        self->failed = true;
        return false;
    }
    self->data = data;
    return true;
}

void pa_buf_put(pa_buf_t *self, const void *data, size_t len)
{
    if (!len || !s_reserve(self, len))
        return;
    memcpy(self->data + self->len, data, len);
    self->len += len;
}

void pa_buf_printf(pa_buf_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        self->failed = true;
        return;
    }
    if (!s_reserve(self, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(self->data + self->len, self->cap - self->len, fmt, ap);
    va_end(ap);
    self->len += (size_t)n;
}

void pa_buf_be(pa_buf_t *self, uint64_t v, int bytes)
{
    unsigned char out[8];
    if (bytes < 1 || bytes > 8) {
        self->failed = true;
        return;
    }
    for (int i = 0; i < bytes; i++)
        out[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
    pa_buf_put(self, out, (size_t)bytes);
}

void pa_buf_reset(pa_buf_t *self)
{
    self->len = 0;
    self->failed = false;
}

void pa_buf_free(pa_buf_t *self)
{
    free(self->data);
    memset(self, 0, sizeof *self);
}
