/* pa_csv.c - the CSV report reader. libcsv splits fields; this file maps the
 * header to columns, checks each field's syntax and type, and groups runs of
 * rows with the same (district, period, revision, report_id) into one report,
 * handed to the callback when the key changes. It judges syntax only:
 * catalogue, alignment and range rules are the worker's. Memory is one row
 * plus one report, whatever the file size. */
#include <csv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pa_input_priv.h"

/* libcsv's "no row begun" parser state (ROW_NOT_BEGUN in libcsv.c). csv.h
 * does not name it, but struct csv_parser is public and the value has not
 * changed since libcsv 1.0. Reading it between csv_parse calls is the only way
 * to learn on which line a row starts when a quoted field spans lines. */
#define S_CSV_ROW_NOT_BEGUN 0

/* Room for a period, period type or date field plus slack to say "too long". */
#define S_SHORT_FIELD_SIZE 32
/* Growth step of libcsv's field buffer. */
#define S_CSV_BLOCK_BYTES 4096
/* How much of an offending field an error message quotes. */
#define S_QUOTE_SIZE 48

typedef enum {
    S_COL_DISTRICT,
    S_COL_PERIOD,
    S_COL_PERIOD_TYPE,
    S_COL_PERIOD_START,
    S_COL_REVISION,
    S_COL_REPORT_ID,
    S_COL_TOWN,
    S_COL_INDICATOR,
    S_COL_COUNT,
    S_COL_NUMERATOR,
    S_COL_DENOMINATOR,
    S_N_COLS
} s_col_t;

static const char *const s_col_names[S_N_COLS] = {
    "district", "period",    "period_type", "period_start", "revision",    "report_id",
    "town",     "indicator", "count",       "numerator",    "denominator",
};

/* One data row as it is read, field by field. */
typedef struct {
    char district[PA_DISTRICT_SIZE];
    char report_id[PA_REPORT_ID_SIZE];
    pa_period_t period; /* from period, or from period_type + period_start */
    uint32_t revision;  /* 0 until given; defaults to 1 */
    pa_value_t value;   /* indicator, town and amount of this row */
    bool has[S_N_COLS]; /* the column's field was present and not empty */
    size_t n_fields;    /* fields seen so far in this row */
    bool blank;         /* every field so far was empty */
} s_row_t;

struct pa_csv {
    struct csv_parser parser;  /* libcsv state; valid when parser_ready */
    bool parser_ready;         /* csv_init succeeded, so csv_free is due */
    char source[256];          /* input name for messages and reports */
    pa_report_cb cb;           /* receives each finished report */
    void *arg;                 /* passed to cb */
    pa_report_t *report;       /* the report being gathered; reused */
    bool have_report;          /* report holds at least one row */
    size_t line;               /* 1-based line of the bytes being fed */
    size_t row_line;           /* line the current row started on */
    bool header_done;          /* the header row has been read */
    s_col_t columns[S_N_COLS]; /* field position -> column */
    size_t n_columns;          /* columns in the header */
    bool has_column[S_N_COLS]; /* the header names this column */
    s_row_t row;               /* the data row being read */
    bool finished;             /* pa_csv_finish ran */
    int rc;                    /* first failure; sticky */
    pa_err_t err;              /* its message, copied out to callers */
};

/* ---------------------------------------------------------------- errors */

/* Records the first failure as "<source>:<line>: <field>: <reason>". Later
 * failures (libcsv goes on calling back to the end of a segment) are dropped. */
static void s_fail_at(pa_csv_t *self, int code, size_t line, const char *field, const char *fmt,
                      ...) __attribute__((format(printf, 5, 6)));
static void s_fail_at(pa_csv_t *self, int code, size_t line, const char *field, const char *fmt,
                      ...)
{
    if (self->rc != PA_OK)
        return;
    char reason[PA_ERR_MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    self->rc = pa_err_set(&self->err, code, "%s:%zu: %s: %s", self->source, line, field, reason);
}

static int s_result(pa_csv_t *self, pa_err_t *err)
{
    if (self->rc != PA_OK && err)
        *err = self->err;
    return self->rc;
}

/* Name of the column at the current field position, for messages. */
static const char *s_field_name(pa_csv_t *self, char *buf, size_t size)
{
    if (!self->header_done)
        return "header";
    if (self->row.n_fields < self->n_columns)
        return s_col_names[self->columns[self->row.n_fields]];
    snprintf(buf, size, "field %zu", self->row.n_fields + 1);
    return buf;
}

/* ---------------------------------------------------------------- fields */

/* Copies a text field into dst, or fails naming the column when too long. */
static void s_copy_text(pa_csv_t *self, s_col_t col, char *dst, size_t size, const char *text,
                        size_t len)
{
    if (len >= size) {
        char quoted[S_QUOTE_SIZE];
        pa_input_quote(quoted, sizeof quoted, text, len);
        s_fail_at(self, PA_EINVAL, self->row_line, s_col_names[col],
                  "'%s' is longer than %zu characters", quoted, size - 1);
        return;
    }
    memcpy(dst, text, len);
    dst[len] = '\0';
}

static void s_row_reset(pa_csv_t *self)
{
    memset(&self->row, 0, sizeof self->row);
    self->row.blank = true;
}

static void s_header_field(pa_csv_t *self, const char *text, size_t len)
{
    size_t pos = self->n_columns + 1;
    char quoted[S_QUOTE_SIZE];
    pa_input_quote(quoted, sizeof quoted, text, len);
    if (len == 0) {
        char name[32];
        snprintf(name, sizeof name, "column %zu", pos);
        s_fail_at(self, PA_EINVAL, self->row_line, name, "empty column name");
        return;
    }
    for (int c = 0; c < S_N_COLS; c++) {
        if (strlen(s_col_names[c]) != len || memcmp(s_col_names[c], text, len) != 0)
            continue;
        if (self->has_column[c]) {
            s_fail_at(self, PA_EINVAL, self->row_line, quoted, "duplicate column");
            return;
        }
        /* Every name is known and distinct, so n_columns < S_N_COLS here. */
        self->has_column[c] = true;
        self->columns[self->n_columns++] = (s_col_t)c;
        return;
    }
    s_fail_at(self, PA_EINVAL, self->row_line, quoted, "unknown column");
}

static void s_header_end(pa_csv_t *self)
{
    const bool *has = self->has_column;
    size_t line = self->row_line;
    if (!has[S_COL_DISTRICT])
        s_fail_at(self, PA_EINVAL, line, "district", "missing column");
    else if (!has[S_COL_INDICATOR])
        s_fail_at(self, PA_EINVAL, line, "indicator", "missing column");
    else if (has[S_COL_PERIOD] && (has[S_COL_PERIOD_TYPE] || has[S_COL_PERIOD_START]))
        s_fail_at(self, PA_EINVAL, line, has[S_COL_PERIOD_TYPE] ? "period_type" : "period_start",
                  "cannot be given with column period");
    else if (!has[S_COL_PERIOD] && !has[S_COL_PERIOD_TYPE] && !has[S_COL_PERIOD_START])
        s_fail_at(self, PA_EINVAL, line, "period",
                  "missing column (or give period_type and period_start)");
    else if (!has[S_COL_PERIOD] && !has[S_COL_PERIOD_START])
        s_fail_at(self, PA_EINVAL, line, "period_start", "missing column");
    else if (!has[S_COL_PERIOD] && !has[S_COL_PERIOD_TYPE])
        s_fail_at(self, PA_EINVAL, line, "period_type", "missing column");
    else if (has[S_COL_NUMERATOR] && !has[S_COL_DENOMINATOR])
        s_fail_at(self, PA_EINVAL, line, "denominator", "missing column");
    else if (has[S_COL_DENOMINATOR] && !has[S_COL_NUMERATOR])
        s_fail_at(self, PA_EINVAL, line, "numerator", "missing column");
    else if (!has[S_COL_COUNT] && !has[S_COL_NUMERATOR])
        s_fail_at(self, PA_EINVAL, line, "count",
                  "missing column (or give numerator and denominator)");
    self->header_done = true;
}

/* Parses a short field (period, period type, date) that needs a terminated
 * copy; fails naming the column when it is too long to be valid. */
static bool s_short_copy(pa_csv_t *self, s_col_t col, char out[S_SHORT_FIELD_SIZE],
                         const char *text, size_t len)
{
    if (len >= S_SHORT_FIELD_SIZE) {
        char quoted[S_QUOTE_SIZE];
        pa_input_quote(quoted, sizeof quoted, text, len);
        s_fail_at(self, PA_EINVAL, self->row_line, s_col_names[col], "'%s' is too long", quoted);
        return false;
    }
    memcpy(out, text, len);
    out[len] = '\0';
    return true;
}

static void s_row_field(pa_csv_t *self, const char *text, size_t len)
{
    s_row_t *row = &self->row;
    size_t pos = row->n_fields++;
    if (len > 0)
        row->blank = false;
    /* Extra and empty fields are judged at the end of the row, once it is
     * known whether the whole row is blank. */
    if (pos >= self->n_columns || len == 0)
        return;
    s_col_t col = self->columns[pos];
    const char *name = s_col_names[col];
    /* The quoted copy of the field is only for messages: made on failure,
     * since this runs for every field of every row. */
    char quoted[S_QUOTE_SIZE];
#define S_QUOTED() (pa_input_quote(quoted, sizeof quoted, text, len), quoted)
    if (memchr(text, '\0', len)) {
        s_fail_at(self, PA_EINVAL, self->row_line, name, "contains a NUL byte");
        return;
    }
    char shortbuf[S_SHORT_FIELD_SIZE];
    pa_err_t perr;
    pa_err_clear(&perr);
    switch (col) {
    case S_COL_DISTRICT:
        s_copy_text(self, col, row->district, sizeof row->district, text, len);
        break;
    case S_COL_REPORT_ID:
        s_copy_text(self, col, row->report_id, sizeof row->report_id, text, len);
        break;
    case S_COL_TOWN:
        s_copy_text(self, col, row->value.town, sizeof row->value.town, text, len);
        break;
    case S_COL_INDICATOR:
        s_copy_text(self, col, row->value.indicator, sizeof row->value.indicator, text, len);
        break;
    case S_COL_PERIOD:
        if (s_short_copy(self, col, shortbuf, text, len) &&
            pa_period_parse(shortbuf, &row->period, &perr) != PA_OK)
            s_fail_at(self, PA_EINVAL, self->row_line, name, "%s", perr.msg);
        break;
    case S_COL_PERIOD_TYPE:
        if (s_short_copy(self, col, shortbuf, text, len) &&
            pa_period_type_parse(shortbuf, &row->period.type) != PA_OK)
            s_fail_at(self, PA_EINVAL, self->row_line, name,
                      "'%s' is not one of day, week, month, quarter, year", S_QUOTED());
        break;
    case S_COL_PERIOD_START:
        /* Alignment to the period type is the worker's judgement: keep the
         * start as given so that its message can name the wrong date. */
        if (s_short_copy(self, col, shortbuf, text, len) &&
            pa_date_parse(shortbuf, &row->period.start, &perr) != PA_OK)
            s_fail_at(self, PA_EINVAL, self->row_line, name, "%s", perr.msg);
        break;
    case S_COL_REVISION:
        if (pa_input_parse_revision(text, len, &row->revision) != PA_OK)
            s_fail_at(self, PA_EINVAL, self->row_line, name, "'%s' is not a positive integer",
                      S_QUOTED());
        break;
    case S_COL_COUNT:
    case S_COL_NUMERATOR:
    case S_COL_DENOMINATOR: {
        double *dst = col == S_COL_COUNT       ? &row->value.count
                      : col == S_COL_NUMERATOR ? &row->value.numerator
                                               : &row->value.denominator;
        if (pa_input_parse_number(text, len, dst) != PA_OK)
            s_fail_at(self, PA_EINVAL, self->row_line, name, "'%s' is not a number", S_QUOTED());
        break;
    }
    default:
        break;
    }
    row->has[col] = true;
#undef S_QUOTED
}

/* ---------------------------------------------------------------- reports */

static void s_emit(pa_csv_t *self)
{
    pa_err_clear(&self->err);
    int rc = self->cb(self->arg, self->report, &self->err);
    self->have_report = false;
    if (rc == PA_OK)
        return;
    if (self->err.code == PA_OK || self->err.msg[0] == '\0')
        pa_err_set(&self->err, rc, "%s: the report callback stopped the reader (%s)", self->source,
                   pa_err_name(rc));
    self->err.code = rc;
    self->rc = rc;
}

static bool s_same_report(const pa_report_t *r, const s_row_t *row)
{
    return r->period.type == row->period.type && r->period.start == row->period.start &&
           r->revision == row->revision && strcmp(r->district, row->district) == 0 &&
           strcmp(r->report_id, row->report_id) == 0;
}

/* Checks a complete data row and adds it to the current report, first
 * handing on the previous report when this row starts a new one. */
static void s_row_end(pa_csv_t *self)
{
    s_row_t *row = &self->row;
    const bool *has = row->has;
    size_t line = self->row_line;
    /* Spreadsheets export empty rows as ",,,": as blank as an empty line. */
    if (row->blank)
        return;
    if (row->n_fields > self->n_columns) {
        char name[32];
        snprintf(name, sizeof name, "field %zu", self->n_columns + 1);
        s_fail_at(self, PA_EINVAL, line, name, "extra field (the header has %zu columns)",
                  self->n_columns);
        return;
    }
    if (row->n_fields < self->n_columns) {
        s_fail_at(self, PA_EINVAL, line, s_col_names[self->columns[row->n_fields]],
                  "missing field (the row has %zu fields, the header %zu)", row->n_fields,
                  self->n_columns);
        return;
    }
    if (!has[S_COL_DISTRICT])
        s_fail_at(self, PA_EINVAL, line, "district", "missing");
    else if (self->has_column[S_COL_PERIOD] && !has[S_COL_PERIOD])
        s_fail_at(self, PA_EINVAL, line, "period", "missing");
    else if (!self->has_column[S_COL_PERIOD] && !has[S_COL_PERIOD_TYPE])
        s_fail_at(self, PA_EINVAL, line, "period_type", "missing");
    else if (!self->has_column[S_COL_PERIOD] && !has[S_COL_PERIOD_START])
        s_fail_at(self, PA_EINVAL, line, "period_start", "missing");
    else if (!has[S_COL_INDICATOR])
        s_fail_at(self, PA_EINVAL, line, "indicator", "missing");
    else if (has[S_COL_COUNT] && (has[S_COL_NUMERATOR] || has[S_COL_DENOMINATOR]))
        s_fail_at(self, PA_EINVAL, line, "count", "both count and numerator/denominator given");
    else if (has[S_COL_NUMERATOR] && !has[S_COL_DENOMINATOR])
        s_fail_at(self, PA_EINVAL, line, "denominator", "missing (numerator given)");
    else if (has[S_COL_DENOMINATOR] && !has[S_COL_NUMERATOR])
        s_fail_at(self, PA_EINVAL, line, "numerator", "missing (denominator given)");
    else if (!has[S_COL_COUNT] && !has[S_COL_NUMERATOR])
        s_fail_at(self, PA_EINVAL, line, self->has_column[S_COL_COUNT] ? "count" : "numerator",
                  "neither count nor numerator and denominator given");
    if (self->rc != PA_OK)
        return;
    row->value.kind = has[S_COL_COUNT] ? PA_AMOUNT_COUNT : PA_AMOUNT_RATIO;
    if (row->revision == 0)
        row->revision = 1;

    if (self->have_report && !s_same_report(self->report, row)) {
        s_emit(self);
        if (self->rc != PA_OK)
            return;
    }
    pa_report_t *r = self->report;
    if (!self->have_report) {
        pa_report_reset(r);
        memcpy(r->district, row->district, sizeof r->district);
        memcpy(r->report_id, row->report_id, sizeof r->report_id);
        r->period = row->period;
        r->revision = row->revision;
        memcpy(r->source, self->source, sizeof r->source);
        r->first_line = line;
        self->have_report = true;
    }
    pa_err_t aerr;
    pa_err_clear(&aerr);
    if (pa_report_add_value(r, &row->value, &aerr) != PA_OK)
        s_fail_at(self, aerr.code, line, "indicator", "%s", aerr.msg);
}

/* ---------------------------------------------------------------- libcsv callbacks */

static void s_on_field(void *data, size_t len, void *ctx)
{
    pa_csv_t *self = ctx;
    if (self->rc != PA_OK)
        return;
    const char *text = data ? data : "";
    pa_input_trim(&text, &len);
    if (self->header_done)
        s_row_field(self, text, len);
    else
        s_header_field(self, text, len);
}

static void s_on_row(int term, void *ctx)
{
    (void)term;
    pa_csv_t *self = ctx;
    if (self->rc == PA_OK) {
        if (self->header_done)
            s_row_end(self);
        else
            s_header_end(self);
    }
    s_row_reset(self);
}

/* ---------------------------------------------------------------- public */

pa_csv_t *pa_csv_new(const char *source, pa_report_cb cb, void *arg, pa_err_t *err)
{
    pa_csv_t *self = calloc(1, sizeof *self);
    if (!self)
        goto nomem;
    if (csv_init(&self->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        goto nomem;
    self->parser_ready = true;
    /* libcsv grows its field buffer by blk_size at a time (linearly): a
     * larger step keeps a long field from costing thousands of reallocs. */
    csv_set_blk_size(&self->parser, S_CSV_BLOCK_BYTES);
    self->report = pa_report_new();
    if (!self->report)
        goto nomem;
    snprintf(self->source, sizeof self->source, "%s", source ? source : "-");
    self->cb = cb;
    self->arg = arg;
    self->line = 1;
    self->row_line = 1;
    s_row_reset(self);
    return self;
nomem:
    pa_err_set(err, PA_ENOMEM, "%s: out of memory for the csv reader", source ? source : "-");
    pa_csv_destroy(&self);
    return NULL;
}

void pa_csv_destroy(pa_csv_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pa_csv_t *self = *self_p;
    if (self->parser_ready)
        csv_free(&self->parser);
    pa_report_destroy(&self->report);
    free(self);
    *self_p = NULL;
}

int pa_csv_feed(pa_csv_t *self, const char *buf, size_t len, pa_err_t *err)
{
    if (self->rc == PA_OK && self->finished)
        s_fail_at(self, PA_EFATAL, self->line, "input", "fed after the end of input");
    /* Feed libcsv one line at a time (a segment ends at '\n' or at the end of
     * the chunk): it has no notion of lines, so this is how each row learns
     * its line number. */
    while (self->rc == PA_OK && len > 0) {
        const char *nl = memchr(buf, '\n', len);
        size_t seg = nl ? (size_t)(nl - buf) + 1 : len;
        if (self->parser.pstate == S_CSV_ROW_NOT_BEGUN)
            self->row_line = self->line;
        size_t used = csv_parse(&self->parser, buf, seg, s_on_field, s_on_row, self);
        if (self->rc != PA_OK)
            break;
        char name[32];
        if (used != seg) {
            int code = csv_error(&self->parser) == CSV_EPARSE ? PA_EINVAL : PA_ENOMEM;
            s_fail_at(self, code, self->line, s_field_name(self, name, sizeof name),
                      code == PA_EINVAL
                          ? "misplaced quote (a quote inside an unquoted field or text "
                            "after a closing quote)"
                          : "out of memory for a field");
            break;
        }
        if (csv_get_buffer_size(&self->parser) > PA_INPUT_MAX_TOKEN_BYTES) {
            s_fail_at(self, PA_EINVAL, self->line, s_field_name(self, name, sizeof name),
                      "field longer than %d bytes", PA_INPUT_MAX_TOKEN_BYTES);
            break;
        }
        if (nl)
            self->line++;
        buf += seg;
        len -= seg;
    }
    return s_result(self, err);
}

int pa_csv_finish(pa_csv_t *self, pa_err_t *err)
{
    if (self->rc != PA_OK || self->finished)
        return s_result(self, err);
    /* A last row without a newline is still a row: csv_fini submits it. */
    if (csv_fini(&self->parser, s_on_field, s_on_row, self) != 0 && self->rc == PA_OK) {
        char name[32];
        const char *field = s_field_name(self, name, sizeof name);
        if (csv_error(&self->parser) == CSV_EPARSE)
            s_fail_at(self, PA_EINVAL, self->row_line, field,
                      "quoted field not closed at the end of input (truncated file?)");
        else
            s_fail_at(self, PA_ENOMEM, self->row_line, field, "out of memory for a field");
    }
    if (self->rc == PA_OK && !self->header_done)
        s_fail_at(self, PA_EINVAL, self->line, "header", "no header row (empty input)");
    if (self->rc == PA_OK && self->have_report)
        s_emit(self);
    self->finished = true;
    return s_result(self, err);
}
