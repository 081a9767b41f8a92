/* make_seeds.c - builds the fuzzers' starting corpora from examples/: each
 * .csv and .json file is read with pa_input and written as Submission
 * protobuf seeds (all reports in one, and one per report) for
 * fuzz_submission, and copied (whole and its first lines) behind the
 * two-byte header of fuzz/pa_fuzz.h for fuzz_input. Links libpingan; run by
 * fuzz/run.sh. Usage: make_seeds EXAMPLES_DIR SUBMISSION_DIR INPUT_DIR */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pa_codec.h"
#include "pa_input.h"

#define S_NOW_MS     1719792000000LL /* PA_FUZZ_NOW_MS - 1 s: the submissions are not early */
#define S_HEAD_BYTES 2048            /* the short input seed: about this much, whole lines */

typedef struct {
    pa_report_t **reports; /* owned copies */
    size_t n;
    size_t cap;
} s_reports_t;

static int s_collect(void *arg, pa_report_t *report, pa_err_t *err)
{
    s_reports_t *c = arg;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        pa_report_t **grown = realloc(c->reports, cap * sizeof *grown);
        if (!grown)
            return pa_err_set(err, PA_ENOMEM, "out of memory");
        c->reports = grown;
        c->cap = cap;
    }
    pa_report_t *copy = pa_report_dup(report, err);
    if (!copy)
        return err->code;
    pa_report_assign_id(copy);
    copy->submitted_at_ms = S_NOW_MS - 1000;
    c->reports[c->n++] = copy;
    return PA_OK;
}

static int s_write(const char *dir, const char *name, const char *suffix, const void *head,
                   size_t head_len, const void *buf, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s%s", dir, name, suffix);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        return -1;
    }
    int rc = 0;
    if ((head_len && fwrite(head, 1, head_len, f) != head_len) ||
        (len && fwrite(buf, 1, len, f) != len))
        rc = -1;
    if (fclose(f) != 0)
        rc = -1;
    if (rc != 0)
        perror(path);
    return rc;
}

static int s_submission_seed(const char *dir, const char *name, const char *suffix,
                             pa_report_t *const *reports, size_t n)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    pa_err_t err;
    if (pa_codec_encode_submission("make_seeds", reports, n, &buf, &len, &err) != PA_OK) {
        fprintf(stderr, "make_seeds: %s: %s\n", name, err.msg);
        return -1;
    }
    int rc = s_write(dir, name, suffix, NULL, 0, buf, len);
    free(buf);
    return rc;
}

static char *s_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;
    if (!f)
        return NULL;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            char *grown = realloc(buf, cap);
            if (!grown) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = grown;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    *len = n;
    return buf;
}

/* Writes the seeds of one example file. Returns the number of reports read
 * (0 for a file the reader refuses, which still seeds fuzz_input), or -1 on
 * an I/O failure. */
static long s_one_file(const char *dir, const char *name, const char *sub_dir,
                       const char *input_dir)
{
    long rc = 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    pa_format_t format = pa_input_format_from_name(name);
    s_reports_t c = {0};
    size_t len = 0;
    char *text = s_slurp(path, &len);
    pa_err_t err;
    pa_err_clear(&err);
    if (!text) {
        perror(path);
        rc = -1;
        goto cleanup;
    }
    /* Input seeds: the format byte, then a chunking byte (pa_fuzz.h). */
    char head[2] = {format == PA_FORMAT_CSV ? 'c' : 'j', '9'};
    size_t cut = len < S_HEAD_BYTES ? len : S_HEAD_BYTES;
    while (cut < len && text[cut - 1] != '\n')
        cut++;
    if (s_write(input_dir, name, ".whole", head, sizeof head, text, len) != 0)
        rc = -1;
    head[1] = '4';
    if (s_write(input_dir, name, ".head", head, sizeof head, text, cut) != 0)
        rc = -1;
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        rc = -1;
        goto cleanup;
    }
    int irc = pa_input_read_file(f, format, name, s_collect, &c, &err);
    fclose(f);
    if (irc != PA_OK) {
        /* Not every .csv in examples/ is a report file: keep it as an input seed only. */
        printf("make_seeds: %s: not a report file, input seed only (%s)\n", name, err.msg);
        goto cleanup;
    }
    if (s_submission_seed(sub_dir, name, ".all.pb", c.reports, c.n) != 0)
        rc = -1;
    for (size_t i = 0; i < c.n; i++) {
        char suffix[32];
        snprintf(suffix, sizeof suffix, ".%03zu.pb", i);
        if (s_submission_seed(sub_dir, name, suffix, &c.reports[i], 1) != 0)
            rc = -1;
    }
    printf("make_seeds: %s: %zu reports\n", name, c.n);
    if (rc == 0)
        rc = (long)c.n;
cleanup:
    for (size_t i = 0; i < c.n; i++)
        pa_report_destroy(&c.reports[i]);
    free(c.reports);
    free(text);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: make_seeds EXAMPLES_DIR SUBMISSION_DIR INPUT_DIR\n");
        return 2;
    }
    DIR *d = opendir(argv[1]);
    if (!d) {
        perror(argv[1]);
        return 1;
    }
    int rc = 0;
    long n_reports = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (pa_input_format_from_name(e->d_name) == PA_FORMAT_AUTO)
            continue;
        long n = s_one_file(argv[1], e->d_name, argv[2], argv[3]);
        if (n < 0)
            rc = 1;
        else
            n_reports += n;
    }
    closedir(d);
    if (n_reports == 0) {
        fprintf(stderr, "make_seeds: no report read from the files of %s\n", argv[1]);
        return 1;
    }
    return rc;
}
