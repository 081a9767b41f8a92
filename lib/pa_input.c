/* pa_input.c - the reader front door: picks the format, strips a UTF-8 byte
 * order mark, hands the bytes to pa_csv or pa_json and reads whole files in
 * fixed chunks. It knows no format itself beyond the field helpers the two
 * readers share (numbers, revisions, quoting in messages). */
#include "pa_input.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pa_input_priv.h"

#define S_READ_CHUNK_BYTES (64 * 1024)
#define S_NUMBER_TEXT_SIZE 128

static const unsigned char s_bom[3] = {0xEF, 0xBB, 0xBF};

struct pa_input {
    pa_format_t format;    /* never AUTO once built */
    pa_csv_t *csv;         /* the reader when format is CSV */
    pa_json_t *json;       /* the reader when format is JSON */
    unsigned char head[3]; /* first bytes held back until the BOM is decided */
    size_t head_len;       /* bytes in head */
    bool head_done;        /* BOM stripped or ruled out */
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
    pa_input_t *self = NULL;
    const char *name = source ? source : "-";
    if (!cb) {
        pa_err_set(err, PA_EFATAL, "%s: no report callback given", name);
        goto fail;
    }
    if (format == PA_FORMAT_AUTO)
        format = pa_input_format_from_name(name);
    if (format != PA_FORMAT_CSV && format != PA_FORMAT_JSON) {
        pa_err_set(err, PA_EINVAL, "%s: cannot tell the format from the name; give csv or json",
                   name);
        goto fail;
    }
    self = calloc(1, sizeof *self);
    if (!self) {
        pa_err_set(err, PA_ENOMEM, "%s: out of memory for the reader", name);
        goto fail;
    }
    self->format = format;
    if (format == PA_FORMAT_CSV)
        self->csv = pa_csv_new(name, cb, arg, err);
    else
        self->json = pa_json_new(name, cb, arg, err);
    if (!self->csv && !self->json)
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
    pa_csv_destroy(&self->csv);
    pa_json_destroy(&self->json);
    free(self);
    *self_p = NULL;
}

static int s_pass(pa_input_t *self, const char *buf, size_t len, pa_err_t *err)
{
    if (len == 0)
        return PA_OK;
    if (self->csv)
        return pa_csv_feed(self->csv, buf, len, err);
    return pa_json_feed(self->json, buf, len, err);
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
    if (self->csv)
        return pa_csv_finish(self->csv, err);
    return pa_json_finish(self->json, err);
}

int pa_input_read_file(FILE *f, pa_format_t format, const char *source, pa_report_cb cb, void *arg,
                       pa_err_t *err)
{
    int rc = PA_OK;
    const char *name = source ? source : "-";
    char *buf = NULL;
    /* pa_input_new reports its failure only through err, which may be NULL. */
    pa_err_t local;
    pa_err_clear(&local);
    pa_input_t *input = pa_input_new(format, name, cb, arg, err ? err : &local);
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

/* ---------------------------------------------------------------- field helpers */

void pa_input_trim(const char **text, size_t *len)
{
    const char *s = *text;
    size_t n = *len;
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    *text = s;
    *len = n;
}

int pa_input_parse_number(const char *text, size_t len, double *out)
{
    int rc = PA_EINVAL;
    char small[S_NUMBER_TEXT_SIZE];
    char *copy = small;
    pa_input_trim(&text, &len);
    if (len == 0)
        goto cleanup;
    /* strtod needs a terminated string; the text is a slice of a parser's
     * buffer. Long numbers are legal JSON, so copy them rather than refuse. */
    if (len >= sizeof small) {
        copy = malloc(len + 1);
        if (!copy) {
            copy = small;
            goto cleanup;
        }
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    /* strtod would skip a leading newline or vertical tab: not a number. */
    if (copy[0] == '\n' || copy[0] == '\r' || copy[0] == '\v' || copy[0] == '\f')
        goto cleanup;
    char *end = NULL;
    errno = 0;
    double v = strtod(copy, &end);
    if (end != copy + len)
        goto cleanup;
    *out = v; /* ERANGE gives +-HUGE_VAL or 0: the worker judges magnitudes */
    rc = PA_OK;
cleanup:
    if (copy != small)
        free(copy);
    return rc;
}

int pa_input_parse_revision(const char *text, size_t len, uint32_t *out)
{
    pa_input_trim(&text, &len);
    if (len == 0)
        return PA_EINVAL;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return PA_EINVAL;
        v = v * 10 + (uint64_t)(text[i] - '0');
        if (v > UINT32_MAX)
            return PA_EINVAL;
    }
    if (v == 0)
        return PA_EINVAL;
    *out = (uint32_t)v;
    return PA_OK;
}

void pa_input_quote(char *out, size_t size, const char *text, size_t len)
{
    if (size == 0)
        return;
    if (len < size) {
        memcpy(out, text, len);
        out[len] = '\0';
    } else if (size > 4) {
        memcpy(out, text, size - 4);
        memcpy(out + size - 4, "...", 4);
    } else {
        out[0] = '\0';
    }
    /* Embedded NULs or control bytes would garble a log line. */
    for (char *p = out; *p; p++) {
        if ((unsigned char)*p < 0x20)
            *p = '?';
    }
}
