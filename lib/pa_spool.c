/* pa_spool.c - records of (header, summaries, value lines, Submission
 * bytes) in a tmpfile (see pa_spool.h). */
#include "pa_spool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t len;
    uint64_t n_reports;
    uint64_t n_lines;
} s_rec_t;

struct pa_spool {
    FILE *f;
};

pa_spool_t *pa_spool_new(pa_err_t *err)
{
    pa_spool_t *self = calloc(1, sizeof *self);
    if (!self) {
        pa_err_set(err, PA_ENOMEM, "out of memory");
        return NULL;
    }
    if (!(self->f = tmpfile())) {
        pa_err_set(err, PA_EIO, "could not create a spool file: %s", strerror(errno));
        free(self);
        return NULL;
    }
    return self;
}

void pa_spool_destroy(pa_spool_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    if ((*self_p)->f)
        fclose((*self_p)->f); /* unlinked already: nothing to report */
    free(*self_p);
    *self_p = NULL;
}

int pa_spool_append(pa_spool_t *self, const uint8_t *body, size_t len, const pa_summary_t *reports,
                    size_t n_reports, const uint32_t *lines, size_t n_lines, pa_err_t *err)
{
    s_rec_t rec = {len, n_reports, n_lines};
    if (fwrite(&rec, sizeof rec, 1, self->f) != 1 ||
        fwrite(reports, sizeof *reports, n_reports, self->f) != n_reports ||
        (n_lines && fwrite(lines, sizeof *lines, n_lines, self->f) != n_lines) ||
        fwrite(body, 1, len, self->f) != len)
        return pa_err_set(err, PA_EIO, "could not write the spool: %s", strerror(errno));
    return PA_OK;
}

void pa_spool_rewind(pa_spool_t *self)
{
    rewind(self->f);
}

int pa_spool_next(pa_spool_t *self, uint8_t **body, size_t *len, pa_summary_t **reports,
                  size_t *n_reports, uint32_t **lines, size_t *n_lines, pa_err_t *err)
{
    s_rec_t rec;
    *body = NULL;
    *reports = NULL;
    *lines = NULL;
    if (fread(&rec, sizeof rec, 1, self->f) != 1) {
        if (ferror(self->f))
            return pa_err_set(err, PA_EIO, "could not read the spool: %s", strerror(errno));
        return PA_OK;
    }
    if (rec.n_reports > SIZE_MAX / sizeof **reports || rec.n_lines > SIZE_MAX / sizeof **lines ||
        rec.len > SIZE_MAX - 1)
        return pa_err_set(err, PA_EIO, "the spool is corrupt");
    pa_summary_t *r = calloc(rec.n_reports ? rec.n_reports : 1, sizeof *r);
    uint32_t *l = calloc(rec.n_lines ? rec.n_lines : 1, sizeof *l);
    uint8_t *b = malloc(rec.len ? rec.len : 1);
    int rc = PA_OK;
    if (!r || !l || !b) {
        rc = pa_err_set(err, PA_ENOMEM, "out of memory");
        goto fail;
    }
    if (fread(r, sizeof *r, rec.n_reports, self->f) != rec.n_reports ||
        fread(l, sizeof *l, rec.n_lines, self->f) != rec.n_lines ||
        fread(b, 1, rec.len, self->f) != rec.len) {
        rc = pa_err_set(err, PA_EIO, "could not read the spool back");
        goto fail;
    }
    *body = b;
    *len = rec.len;
    *reports = r;
    *n_reports = rec.n_reports;
    *lines = l;
    *n_lines = rec.n_lines;
    return PA_OK;
fail:
    free(r);
    free(l);
    free(b);
    return rc;
}
