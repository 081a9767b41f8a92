/* pa_input.c - the reader front door: picks the format, strips a UTF-8 byte
 * order mark, hands the bytes to the reader the table names and reads whole
 * files in fixed chunks. It knows no format itself; the readers know nothing
 * of it (they share pa_reader.h, pa_field and pa_str). */
#include "pa_input.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pa_csv.h"
#include "pa_json.h"

#define S_READ_CHUNK_BYTES (64 * 1024)

static const unsigned char s_bom[3] = {0xEF, 0xBB, 0xBF};

/* The readers, by format. */
static const struct {
    pa_format_t format;
    const pa_reader_t *reader;
} s_readers[] = {
    {PA_FORMAT_CSV, &pa_csv_reader},
    {PA_FORMAT_JSON, &pa_json_reader},
};

struct pa_input {
    const pa_reader_t *reader; /* from s_readers */
    void *impl;                /* the reader's own state */
    unsigned char head[3];     /* first bytes held back until the BOM is decided */
    size_t head_len;           /* bytes in head */
    bool head_done;            /* BOM stripped or ruled out */
};

/* ---------------------------------------------------------------- formats */

static bool s_ends_with_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    if (n < m)
        return false;
    for (size_t i = 0; i < m; i++) {
        char c = s[n - m + i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != suffix[i])
            return false;
    }
    return true;
}

pa_format_t pa_input_format_from_name(const char *name)
{
    if (!name)
        return PA_FORMAT_AUTO;
    if (s_ends_with_ci(name, ".csv"))
        return PA_FORMAT_CSV;
    if (s_ends_with_ci(name, ".json") || s_ends_with_ci(name, ".ndjson"))
        return PA_FORMAT_JSON;
    return PA_FORMAT_AUTO;
}

int pa_input_format_parse(const char *s, pa_format_t *out)
{
    if (!s)
        return PA_EINVAL;
    if (strcmp(s, "csv") == 0) {
        *out = PA_FORMAT_CSV;
        return PA_OK;
    }
    /* NDJSON is the same reader: it accepts a stream of report objects. */
    if (strcmp(s, "json") == 0 || strcmp(s, "ndjson") == 0) {
        *out = PA_FORMAT_JSON;
        return PA_OK;
    }
    return PA_EINVAL;
}

/* ---------------------------------------------------------------- reader */

pa_input_t *pa_input_new(pa_format_t format, const char *source, pa_report_cb cb, void *arg,
                         pa_err_t *err)
{
    return pa_input_new_opts(format, source, NULL, cb, arg, err);
}

pa_input_t *pa_input_new_opts(pa_format_t format, const char *source, const pa_input_opts_t *opts,
                              pa_report_cb cb, void *arg, pa_err_t *err)
{
    pa_input_t *self = NULL;
    const char *name = source ? source : "-";
    if (!cb) {
        pa_err_set(err, PA_EFATAL, "%s: no report callback given", name);
        goto fail;
    }
    if (format == PA_FORMAT_AUTO)
        format = pa_input_format_from_name(name);
    const pa_reader_t *reader = NULL;
    for (size_t i = 0; i < sizeof s_readers / sizeof s_readers[0]; i++) {
        if (s_readers[i].format == format)
            reader = s_readers[i].reader;
    }
    if (!reader) {
        pa_err_set(err, PA_EINVAL, "%s: cannot tell the format from the name; give csv or json",
                   name);
        goto fail;
    }
    self = calloc(1, sizeof *self);
    if (!self) {
        pa_err_set(err, PA_ENOMEM, "%s: out of memory for the reader", name);
        goto fail;
    }
    self->reader = reader;
    self->impl = reader->create(name, opts, cb, arg, err);
    if (!self->impl)
        goto fail;
    return self;
fail:
    pa_input_destroy(&self);
    return NULL;
}

void pa_input_destroy(pa_input_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pa_input_t *self = *self_p;
    if (self->reader)
        self->reader->destroy(&self->impl);
    free(self);
    *self_p = NULL;
}

static int s_pass(pa_input_t *self, const char *buf, size_t len, pa_err_t *err)
{
    if (len == 0)
        return PA_OK;
    return self->reader->feed(self->impl, buf, len, err);
}

int pa_input_feed(pa_input_t *self, const char *buf, size_t len, pa_err_t *err)
{
    /* Spreadsheet exports often start with a BOM; neither libcsv nor yajl
     * skips it. A chunk may end inside it, so hold up to three bytes back. */
    while (!self->head_done && len > 0) {
        unsigned char c = (unsigned char)*buf;
        if (c != s_bom[self->head_len]) {
            self->head_done = true;
            int rc = s_pass(self, (const char *)self->head, self->head_len, err);
            if (rc != PA_OK)
                return rc;
            break;
        }
        self->head[self->head_len++] = c;
        buf++;
        len--;
        if (self->head_len == sizeof s_bom)
            self->head_done = true; /* a whole BOM: drop it */
    }
    return s_pass(self, buf, len, err);
}

int pa_input_finish(pa_input_t *self, pa_err_t *err)
{
    if (!self->head_done) {
        /* The input was a proper prefix of a BOM: let the format judge it. */
        self->head_done = true;
        int rc = s_pass(self, (const char *)self->head, self->head_len, err);
        if (rc != PA_OK)
            return rc;
    }
    return self->reader->finish(self->impl, err);
}

int pa_input_read_file(FILE *f, pa_format_t format, const char *source, pa_report_cb cb, void *arg,
                       pa_err_t *err)
{
    return pa_input_read_file_opts(f, format, source, NULL, cb, arg, err);
}

int pa_input_read_file_opts(FILE *f, pa_format_t format, const char *source,
                            const pa_input_opts_t *opts, pa_report_cb cb, void *arg, pa_err_t *err)
{
    int rc = PA_OK;
    const char *name = source ? source : "-";
    char *buf = NULL;
    /* pa_input_new reports its failure only through err, which may be NULL. */
    pa_err_t local;
    pa_err_clear(&local);
    pa_input_t *input = pa_input_new_opts(format, name, opts, cb, arg, err ? err : &local);
    if (!input) {
        rc = err ? err->code : local.code;
        goto cleanup;
    }
    buf = malloc(S_READ_CHUNK_BYTES);
    if (!buf) {
        rc = pa_err_set(err, PA_ENOMEM, "%s: out of memory for the read buffer", name);
        goto cleanup;
    }
    for (;;) {
        size_t n = fread(buf, 1, S_READ_CHUNK_BYTES, f);
        if (n > 0) {
            rc = pa_input_feed(input, buf, n, err);
            if (rc == PA_OK && opts && opts->on_chunk)
                rc = opts->on_chunk(opts->chunk_arg, err);
            if (rc != PA_OK)
                goto cleanup;
        }
        if (n < S_READ_CHUNK_BYTES) {
            if (ferror(f)) {
                rc = pa_err_set(err, PA_EIO, "%s: read failed: %s", name, strerror(errno));
                goto cleanup;
            }
            if (feof(f))
                break;
        }
    }
    rc = pa_input_finish(input, err);
cleanup:
    free(buf);
    pa_input_destroy(&input);
    return rc;
}
