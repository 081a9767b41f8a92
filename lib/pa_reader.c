/* pa_reader.c - the syntax error list both readers keep (see pa_reader.h):
 * up to a bound, in the order found, folded into one pa_err_t at the end. */
#include "pa_reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void pa_reader_errors_init(pa_reader_errors_t *self, const char *source,
                           const pa_input_opts_t *opts)
{
    memset(self, 0, sizeof *self);
    snprintf(self->source, sizeof self->source, "%s", source ? source : "-");
    self->max = PA_INPUT_MAX_ERRORS;
    if (opts && opts->max_errors > 0 && opts->max_errors < PA_INPUT_MAX_ERRORS)
        self->max = opts->max_errors;
    if (opts) {
        self->on_error = opts->on_error;
        self->error_arg = opts->error_arg;
    }
}

bool pa_reader_errors_add(pa_reader_errors_t *self, const char *fmt, ...)
{
    if (self->n >= self->max)
        return true;
    char *line = self->lines[self->n++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, PA_ERR_MSG_SIZE, fmt, ap);
    va_end(ap);
    if (self->on_error)
        self->on_error(self->error_arg, line);
    return self->n >= self->max;
}

int pa_reader_errors_result(const pa_reader_errors_t *self, pa_err_t *err)
{
    if (self->n == 0)
        return PA_OK;
    if (self->n == 1)
        return pa_err_set(err, PA_EINVAL, "%s", self->lines[0]);
    if (!err)
        return PA_EINVAL;
    char buf[PA_ERR_MSG_SIZE];
    char tail[PA_ERR_MSG_SIZE];
    int used = snprintf(buf, sizeof buf, "%s: %zu syntax errors%s", self->source, self->n,
                        self->n >= self->max ? " (stopped there)" : "");
    size_t shown = 0;
    for (; shown < self->n; shown++) {
        /* Keep room for the "... and K more" line unless this is the last. */
        size_t left = self->n - shown - 1;
        int tail_len =
            left ? snprintf(tail, sizeof tail, "\n%s: ... and %zu more", self->source, left) : 0;
        size_t need = 1 + strlen(self->lines[shown]) + (size_t)tail_len;
        if ((size_t)used + need >= sizeof buf)
            break;
        used += snprintf(buf + used, sizeof buf - (size_t)used, "\n%s", self->lines[shown]);
    }
    if (shown < self->n)
        snprintf(buf + used, sizeof buf - (size_t)used, "\n%s: ... and %zu more", self->source,
                 self->n - shown);
    return pa_err_set(err, PA_EINVAL, "%s", buf);
}
