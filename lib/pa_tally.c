/* pa_tally.c - the producer's end-of-run summary tables (see pa_tally.h). */
#include "pa_tally.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pa_hash.h"
#include "pa_period.h"
#include "pa_report.h"

enum { S_STORED, S_DUPLICATE, S_SUPERSEDED, S_REJECTED, S_FAILED, S_COLS };

static const char *const s_heads[S_COLS] = {"stored", "duplicate", "superseded", "rejected",
                                            "failed"};

typedef struct {
    char district[PA_DISTRICT_SIZE];
    char period[PA_PERIOD_SIZE];
    size_t n[S_COLS];
    size_t periods; /* a district's row when collapsed: how many periods it stands for */
} s_row_t;

typedef struct {
    int reason;
    size_t problems;
    size_t reports;
} s_reason_t;

struct pa_tally {
    s_row_t *rows;
    size_t n_rows, cap_rows;
    size_t *index; /* open addressing over rows: row + 1, 0 = empty; a power of two */
    size_t cap_index;
    s_reason_t *reasons;
    size_t n_reasons, cap_reasons;
    size_t reports;
};

pa_tally_t *pa_tally_new(void)
{
    return calloc(1, sizeof(pa_tally_t));
}

void pa_tally_destroy(pa_tally_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->rows);
    free((*self_p)->index);
    free((*self_p)->reasons);
    free(*self_p);
    *self_p = NULL;
}

size_t pa_tally_reports(const pa_tally_t *self)
{
    return self->reports;
}

static size_t s_slot(const pa_tally_t *self, const char *district, const char *period)
{
    size_t mask = self->cap_index - 1;
    size_t i = (size_t)pa_hash_pair(district, period) & mask;
    while (self->index[i]) {
        const s_row_t *r = &self->rows[self->index[i] - 1];
        if (strcmp(r->district, district) == 0 && strcmp(r->period, period) == 0)
            break;
        i = (i + 1) & mask;
    }
    return i;
}

/* Room for one more row in rows and the index (kept at most half full). */
static bool s_grow(pa_tally_t *self)
{
    if (self->n_rows == self->cap_rows) {
        size_t cap = self->cap_rows ? self->cap_rows * 2 : 64;
        s_row_t *rows = realloc(self->rows, cap * sizeof *rows);
        if (!rows)
            return false;
        self->rows = rows;
        self->cap_rows = cap;
    }
    if ((self->n_rows + 1) * 2 <= self->cap_index)
        return true;
    size_t cap = self->cap_index ? self->cap_index * 2 : 128;
    size_t *index = calloc(cap, sizeof *index);
    if (!index)
        return false;
    free(self->index);
    self->index = index;
    self->cap_index = cap;
    for (size_t k = 0; k < self->n_rows; k++)
        self->index[s_slot(self, self->rows[k].district, self->rows[k].period)] = k + 1;
    return true;
}

static s_row_t *s_row(pa_tally_t *self, const char *district, const char *period)
{
    if (self->cap_index) {
        size_t i = s_slot(self, district, period);
        if (self->index[i])
            return &self->rows[self->index[i] - 1];
    }
    if (!s_grow(self))
        return NULL;
    s_row_t *r = &self->rows[self->n_rows];
    memset(r, 0, sizeof *r);
    snprintf(r->district, sizeof r->district, "%s", district);
    snprintf(r->period, sizeof r->period, "%s", period);
    self->index[s_slot(self, r->district, r->period)] = ++self->n_rows;
    return r;
}

static s_reason_t *s_reason(pa_tally_t *self, int reason)
{
    for (size_t i = 0; i < self->n_reasons; i++)
        if (self->reasons[i].reason == reason)
            return &self->reasons[i];
    if (self->n_reasons == self->cap_reasons) {
        size_t cap = self->cap_reasons ? self->cap_reasons * 2 : 16;
        s_reason_t *r = realloc(self->reasons, cap * sizeof *r);
        if (!r)
            return NULL;
        self->reasons = r;
        self->cap_reasons = cap;
    }
    s_reason_t *r = &self->reasons[self->n_reasons++];
    *r = (s_reason_t){reason, 0, 0};
    return r;
}

int pa_tally_add(pa_tally_t *self, const char *district, const char *period, int status,
                 const pa_problems_t *problems, pa_err_t *err)
{
    s_row_t *row = s_row(self, district ? district : "", period ? period : "");
    if (!row)
        return pa_err_set(err, PA_ENOMEM, "out of memory counting reports");
    int col = status == PA_STATUS_STORED       ? S_STORED
              : status == PA_STATUS_DUPLICATE  ? S_DUPLICATE
              : status == PA_STATUS_SUPERSEDED ? S_SUPERSEDED
              : status == PA_STATUS_NONE       ? S_FAILED
                                               : S_REJECTED;
    row->n[col]++;
    self->reports++;
    for (size_t i = 0; col == S_REJECTED && problems && i < problems->n; i++) {
        int reason = problems->items[i].reason;
        s_reason_t *r = s_reason(self, reason);
        if (!r)
            return pa_err_set(err, PA_ENOMEM, "out of memory counting reasons");
        r->problems++;
        bool first = true; /* a report counts once per reason */
        for (size_t j = 0; j < i && first; j++)
            first = problems->items[j].reason != reason;
        r->reports += first;
    }
    return PA_OK;
}

/* ---------------------------------------------------------------- render */

static int s_cmp_row(const void *a, const void *b)
{
    const s_row_t *x = a, *y = b;
    int c = strcmp(x->district, y->district);
    return c ? c : strcmp(x->period, y->period);
}

static int s_cmp_reason(const void *a, const void *b)
{
    const s_reason_t *x = a, *y = b;
    if (x->problems != y->problems)
        return x->problems < y->problems ? 1 : -1;
    return strcmp(pa_reason_name(x->reason), pa_reason_name(y->reason));
}

static size_t s_digits(size_t v)
{
    size_t n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

static void s_rule(pa_buf_t *out, const size_t *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char dash[64];
        size_t k = w[i] < sizeof dash - 1 ? w[i] : sizeof dash - 1;
        memset(dash, '-', k);
        dash[k] = '\0';
        pa_buf_printf(out, "%s%s", i ? "  " : "", dash);
    }
    pa_buf_printf(out, "\n");
}

/* The rows to show: the tally's, sorted; per district when there are too
 * many. Caller frees *rows. */
static size_t s_view(const pa_tally_t *self, s_row_t **rows, bool *collapsed)
{
    size_t n = self->n_rows;
    *rows = malloc((n ? n : 1) * sizeof **rows);
    if (!*rows)
        return 0;
    memcpy(*rows, self->rows, n * sizeof **rows);
    qsort(*rows, n, sizeof **rows, s_cmp_row);
    for (size_t i = 0; i < n; i++)
        (*rows)[i].periods = 1;
    *collapsed = n > PA_TALLY_MAX_ROWS;
    if (!*collapsed)
        return n;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        s_row_t *r = &(*rows)[i];
        if (k && strcmp((*rows)[k - 1].district, r->district) == 0) {
            for (int c = 0; c < S_COLS; c++)
                (*rows)[k - 1].n[c] += r->n[c];
            (*rows)[k - 1].periods++;
        } else {
            (*rows)[k++] = *r;
        }
    }
    for (size_t i = 0; i < k; i++)
        snprintf((*rows)[i].period, sizeof(*rows)[i].period, "%zu %s", (*rows)[i].periods,
                 (*rows)[i].periods == 1 ? "period" : "periods");
    return k;
}

static void s_render_rows(const pa_tally_t *self, const char *title, pa_buf_t *out)
{
    s_row_t *rows = NULL;
    bool collapsed = false;
    size_t n = s_view(self, &rows, &collapsed);
    if (!rows) {
        out->failed = true;
        return;
    }
    size_t shown = n > PA_TALLY_MAX_ROWS ? PA_TALLY_MAX_ROWS : n;
    s_row_t total;
    memset(&total, 0, sizeof total);
    size_t districts = 0;
    for (size_t i = 0; i < n; i++) {
        for (int c = 0; c < S_COLS; c++)
            total.n[c] += rows[i].n[c];
        districts += i == 0 || strcmp(rows[i - 1].district, rows[i].district) != 0;
    }
    char total_period[32];
    snprintf(total_period, sizeof total_period, "%zu %s", districts,
             districts == 1 ? "district" : "districts");
    int cols = total.n[S_FAILED] ? S_COLS : S_FAILED; /* "failed" only when some did */
    size_t w[2 + S_COLS] = {strlen("district"), strlen(collapsed ? "periods" : "period")};
    if (w[0] < strlen("total"))
        w[0] = strlen("total");
    if (w[1] < strlen(total_period))
        w[1] = strlen(total_period);
    for (size_t i = 0; i < shown; i++) {
        size_t d = strlen(rows[i].district), p = strlen(rows[i].period);
        w[0] = d > w[0] ? d : w[0];
        w[1] = p > w[1] ? p : w[1];
    }
    for (int c = 0; c < cols; c++) {
        w[2 + c] = strlen(s_heads[c]);
        size_t d = s_digits(total.n[c]);
        w[2 + c] = d > w[2 + c] ? d : w[2 + c];
    }
    pa_buf_printf(out, "%s\n", title);
    pa_buf_printf(out, "%-*s  %-*s", (int)w[0], "district", (int)w[1],
                  collapsed ? "periods" : "period");
    for (int c = 0; c < cols; c++)
        pa_buf_printf(out, "  %*s", (int)w[2 + c], s_heads[c]);
    pa_buf_printf(out, "\n");
    s_rule(out, w, 2 + (size_t)cols);
    for (size_t i = 0; i <= shown; i++) {
        const s_row_t *r = i < shown ? &rows[i] : &total;
        if (i == shown) {
            if (n > shown)
                pa_buf_printf(out, "... and %zu more districts\n", n - shown);
            s_rule(out, w, 2 + (size_t)cols);
        }
        pa_buf_printf(out, "%-*s  %-*s", (int)w[0], i < shown ? r->district : "total", (int)w[1],
                      i < shown ? r->period : total_period);
        for (int c = 0; c < cols; c++)
            pa_buf_printf(out, "  %*zu", (int)w[2 + c], r->n[c]);
        pa_buf_printf(out, "\n");
    }
    free(rows);
}

static void s_render_reasons(const pa_tally_t *self, pa_buf_t *out)
{
    if (!self->n_reasons)
        return;
    s_reason_t *rs = malloc(self->n_reasons * sizeof *rs);
    if (!rs) {
        out->failed = true;
        return;
    }
    memcpy(rs, self->reasons, self->n_reasons * sizeof *rs);
    qsort(rs, self->n_reasons, sizeof *rs, s_cmp_reason);
    size_t w[3] = {strlen("reason"), strlen("problems"), strlen("reports")};
    for (size_t i = 0; i < self->n_reasons; i++) {
        size_t k = strlen(pa_reason_name(rs[i].reason));
        w[0] = k > w[0] ? k : w[0];
        w[1] = s_digits(rs[i].problems) > w[1] ? s_digits(rs[i].problems) : w[1];
        w[2] = s_digits(rs[i].reports) > w[2] ? s_digits(rs[i].reports) : w[2];
    }
    pa_buf_printf(out, "\n%-*s  %*s  %*s\n", (int)w[0], "reason", (int)w[1], "problems", (int)w[2],
                  "reports");
    s_rule(out, w, 3);
    for (size_t i = 0; i < self->n_reasons; i++)
        pa_buf_printf(out, "%-*s  %*zu  %*zu\n", (int)w[0], pa_reason_name(rs[i].reason), (int)w[1],
                      rs[i].problems, (int)w[2], rs[i].reports);
    free(rs);
}

void pa_tally_render(const pa_tally_t *self, const char *title, pa_buf_t *out)
{
    if (!self->reports)
        return;
    s_render_rows(self, title ? title : "", out);
    s_render_reasons(self, out);
}
