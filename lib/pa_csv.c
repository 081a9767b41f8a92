/* pa_csv.c - the CSV report reader. libcsv splits fields; this file maps the
 * header to columns (case-insensitively, skipping the ignored ones), checks
 * each field's syntax and type, and groups runs of rows with the same
 * (district, period, revision, report_id) into one report, handed to the
 * callback when the key changes. It judges syntax only: catalogue, alignment
 * and range rules are the worker's. A bad row is reported and the next one
 * read, up to the error limit; after the first error no report is handed on.
 * Memory is one row plus one report, whatever the file size. */
#include "pa_csv.h"

#include <csv.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pa_field.h"
#include "pa_str.h"

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
/* Columns a header may have, ignored ones included. */
#define S_MAX_COLUMNS 64
/* Room for the --ignore-columns list. */
#define S_IGNORE_SIZE 512

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
    S_N_COLS,
    S_COL_IGNORED = S_N_COLS /* a column named in ignore_columns */
} s_col_t;

static const char *const s_col_names[S_N_COLS] = {
    "district", "period",    "period_type", "period_start", "revision",    "report_id",
    "town",     "indicator", "count",       "numerator",    "denominator",
};

/* One data row as it is read, field by field. */
typedef struct {
    char district[PA_DISTRICT_SIZE];
    char report_id[PA_REPORT_ID_SIZE];
    pa_period_t period;                /* from period, or from period_type + period_start */
    uint32_t revision;                 /* 0 until given; defaults to 1 */
    pa_value_t value;                  /* indicator, town and amount of this row */
    bool whole[S_N_COLS];              /* count/numerator/denominator written as an integer */
    bool has[S_N_COLS];                /* the column's field was present and not empty */
    char text[S_N_COLS][S_QUOTE_SIZE]; /* number fields as written, for messages */
    size_t n_fields;                   /* fields seen so far in this row */
    bool blank;                        /* every field so far was empty */
    bool failed;                       /* an error was reported for this row: skip the rest */
} s_row_t;

typedef struct pa_csv pa_csv_t;

struct pa_csv {
    struct csv_parser parser;       /* libcsv state; valid when parser_ready */
    bool parser_ready;              /* csv_init succeeded, so csv_free is due */
    char source[256];               /* input name for messages and reports */
    pa_report_cb cb;                /* receives each finished report */
    void *arg;                      /* passed to cb */
    pa_report_t *report;            /* the report being gathered; reused */
    bool have_report;               /* report holds at least one row */
    size_t line;                    /* 1-based line of the bytes being fed */
    size_t row_line;                /* line the current row started on */
    bool header_done;               /* the header row has been read */
    bool header_failed;             /* the header had an error: stop at its end */
    s_col_t columns[S_MAX_COLUMNS]; /* field position -> column */
    size_t n_columns;               /* columns in the header */
    bool has_column[S_N_COLS];      /* the header names this column */
    size_t col_pos[S_N_COLS];       /* 1-based position of each named column */
    char ignore[S_IGNORE_SIZE];     /* ignore_columns, as given */
    s_row_t row;                    /* the data row being read */
    size_t n_reports;               /* reports begun (handed on or not) */
    bool failed;                    /* a syntax error was found: hand nothing on */
    bool finished;                  /* pa_csv_finish ran */
    int rc;                         /* why reading stopped; sticky */
    pa_err_t err;                   /* its message, copied out to callers */
    pa_reader_errors_t errors;      /* syntax errors found so far */
};

/* ---------------------------------------------------------------- errors */

/* Stops reading with the syntax errors found so far as the result. */
static void s_stop(pa_csv_t *self, int code)
{
    if (self->rc != PA_OK)
        return;
    pa_reader_errors_result(&self->errors, &self->err);
    self->err.code = code;
    self->rc = code;
}

/* Records a syntax error as "<source>:<line>:<col>: <field>: <reason>" (no
 * ":<col>" when col is 0) and skips the rest of the row. Reading goes on
 * unless the error limit is reached or fatal is set. */
static void s_error_at(pa_csv_t *self, int code, bool fatal, size_t line, size_t col,
                       const char *field, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
static void s_error_at(pa_csv_t *self, int code, bool fatal, size_t line, size_t col,
                       const char *field, const char *fmt, ...)
{
    if (self->rc != PA_OK || self->row.failed)
        return;
    char reason[PA_ERR_MSG_SIZE];
    char where[32] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (col > 0)
        snprintf(where, sizeof where, ":%zu", col);
    bool full = pa_reader_errors_add(&self->errors, "%s:%zu%s: %s: %s", self->source, line, where,
                                     field, reason);
    self->row.failed = true;
    self->failed = true;
    if (!self->header_done)
        self->header_failed = true;
    if (full || fatal || code != PA_EINVAL)
        s_stop(self, code);
}

/* The common case: a syntax error in the current row, in column col. */
#define s_fail_at(self, line, col, field, ...)                                                     \
    s_error_at((self), PA_EINVAL, false, (line), (col), (field), __VA_ARGS__)

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
    if (self->row.n_fields < self->n_columns && self->columns[self->row.n_fields] != S_COL_IGNORED)
        return s_col_names[self->columns[self->row.n_fields]];
    snprintf(buf, size, "field %zu", self->row.n_fields + 1);
    return buf;
}

/* ---------------------------------------------------------------- fields */

/* Copies a text field into dst, or fails naming the column when too long.
 * Codes get a hint about what they look like: a name given for a code is the
 * usual reason a field does not fit. Lengths are in characters. */
static void s_copy_text(pa_csv_t *self, s_col_t col, size_t pos, char *dst, size_t size,
                        const char *text, size_t len)
{
    if (len >= size) {
        char quoted[S_QUOTE_SIZE];
        pa_str_quote(quoted, sizeof quoted, text, len);
        const char *name = s_col_names[col];
        if (col == S_COL_DISTRICT)
            s_fail_at(self, self->row_line, pos, name,
                      "'%s' is not a district code (6 digits, e.g. 500108)", quoted);
        else if (col == S_COL_TOWN)
            s_fail_at(self, self->row_line, pos, name,
                      "'%s' is not a town code (9 digits, e.g. 500108001)", quoted);
        else if (pa_str_is_ascii(text, len))
            s_fail_at(self, self->row_line, pos, name, "'%s' is longer than %zu characters", quoted,
                      size - 1);
        else
            s_fail_at(self, self->row_line, pos, name,
                      "'%s' is too long (%zu characters, %zu bytes in UTF-8; at most %zu bytes)",
                      quoted, pa_str_utf8_chars(text, len), len, size - 1);
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

/* True when text[0..len) is one of the comma-separated ignore_columns. */
static bool s_ignored(const pa_csv_t *self, const char *text, size_t len)
{
    const char *p = self->ignore;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        const char *name = p;
        pa_field_trim(&name, &n);
        char one[S_IGNORE_SIZE];
        memcpy(one, name, n);
        one[n] = '\0';
        if (n > 0 && pa_str_eq_ci(text, len, one))
            return true;
        if (!comma)
            break;
        p = comma + 1;
    }
    return false;
}

static void s_header_field(pa_csv_t *self, const char *text, size_t len)
{
    size_t pos = self->n_columns + 1;
    size_t line = self->row_line;
    char quoted[S_QUOTE_SIZE];
    pa_str_quote(quoted, sizeof quoted, text, len);
    if (self->n_columns >= S_MAX_COLUMNS) {
        s_error_at(self, PA_EINVAL, true, line, pos, "header", "more than %d columns",
                   S_MAX_COLUMNS);
        return;
    }
    /* Every position needs a column, even after an error, so that later
     * messages still name the right one. */
    self->columns[self->n_columns++] = S_COL_IGNORED;
    if (len == 0) {
        char name[32];
        snprintf(name, sizeof name, "column %zu", pos);
        s_fail_at(self, line, pos, name, "empty column name");
        self->row.failed = false; /* report every bad column of the header */
        return;
    }
    if (s_ignored(self, text, len))
        return;
    /* Spreadsheets capitalise headers ("District"): names match in any case. */
    for (int c = 0; c < S_N_COLS; c++) {
        if (!pa_str_eq_ci(text, len, s_col_names[c]))
            continue;
        if (self->has_column[c]) {
            s_fail_at(self, line, pos, quoted, "duplicate column (also column %zu)",
                      self->col_pos[c]);
            self->row.failed = false;
            return;
        }
        self->has_column[c] = true;
        self->col_pos[c] = pos;
        self->columns[pos - 1] = (s_col_t)c;
        return;
    }
    s_fail_at(self, line, pos, quoted,
              "unknown column (the columns are district, period, period_type, period_start, "
              "revision, report_id, town, indicator, count, numerator, denominator; "
              "--ignore-columns skips others)");
    self->row.failed = false;
}

static void s_header_end(pa_csv_t *self)
{
    const bool *has = self->has_column;
    size_t line = self->row_line;
    self->row.failed = false;
    if (!self->header_failed) {
        if (!has[S_COL_DISTRICT])
            s_fail_at(self, line, 0, "district", "missing column");
        else if (!has[S_COL_INDICATOR])
            s_fail_at(self, line, 0, "indicator", "missing column");
        else if (has[S_COL_PERIOD] && (has[S_COL_PERIOD_TYPE] || has[S_COL_PERIOD_START]))
            s_fail_at(
                self, line,
                self->col_pos[has[S_COL_PERIOD_TYPE] ? S_COL_PERIOD_TYPE : S_COL_PERIOD_START],
                has[S_COL_PERIOD_TYPE] ? "period_type" : "period_start",
                "cannot be given with column period");
        else if (!has[S_COL_PERIOD] && !has[S_COL_PERIOD_TYPE] && !has[S_COL_PERIOD_START])
            s_fail_at(self, line, 0, "period",
                      "missing column (or give period_type and period_start)");
        else if (!has[S_COL_PERIOD] && !has[S_COL_PERIOD_START])
            s_fail_at(self, line, 0, "period_start", "missing column");
        else if (!has[S_COL_PERIOD] && !has[S_COL_PERIOD_TYPE])
            s_fail_at(self, line, 0, "period_type", "missing column");
        else if (has[S_COL_NUMERATOR] && !has[S_COL_DENOMINATOR])
            s_fail_at(self, line, 0, "denominator", "missing column");
        else if (has[S_COL_DENOMINATOR] && !has[S_COL_NUMERATOR])
            s_fail_at(self, line, 0, "numerator", "missing column");
        else if (!has[S_COL_COUNT] && !has[S_COL_NUMERATOR])
            s_fail_at(self, line, 0, "count", "missing column (or give numerator and denominator)");
    }
    self->header_done = true;
    /* Rows cannot be read against a broken header. */
    if (self->header_failed)
        s_stop(self, PA_EINVAL);
}

/* Parses a short field (period, period type, date) that needs a terminated
 * copy; fails naming the column when it is too long to be valid. */
static bool s_short_copy(pa_csv_t *self, s_col_t col, size_t pos, char out[S_SHORT_FIELD_SIZE],
                         const char *text, size_t len)
{
    if (len >= S_SHORT_FIELD_SIZE) {
        char quoted[S_QUOTE_SIZE];
        pa_str_quote(quoted, sizeof quoted, text, len);
        s_fail_at(self, self->row_line, pos, s_col_names[col], "'%s' is too long", quoted);
        return false;
    }
    memcpy(out, text, len);
    out[len] = '\0';
    return true;
}

/* Fails unless text is valid UTF-8: a file saved in GBK (as Excel does for
 * "CSV" on a Chinese Windows) fails on its first Chinese character. */
static bool s_check_utf8(pa_csv_t *self, size_t pos, const char *text, size_t len)
{
    size_t bad = pa_str_utf8_invalid_at(text, len);
    if (bad == len)
        return true;
    s_error_at(self, PA_EINVAL, true, self->row_line, pos, "encoding",
               "the file is not UTF-8 (byte 0x%02X); it may be GBK: save it as \"CSV UTF-8\"",
               (unsigned)(unsigned char)text[bad]);
    return false;
}

static void s_row_field(pa_csv_t *self, const char *text, size_t len)
{
    s_row_t *row = &self->row;
    size_t pos = ++row->n_fields; /* 1-based, as a spreadsheet counts columns */
    if (len > 0)
        row->blank = false;
    /* Extra and empty fields are judged at the end of the row, once it is
     * known whether the whole row is blank. */
    if (row->failed || pos > self->n_columns || len == 0)
        return;
    s_col_t col = self->columns[pos - 1];
    if (col == S_COL_IGNORED)
        return;
    const char *name = s_col_names[col];
    /* The quoted copy of the field is only for messages: made on failure,
     * since this runs for every field of every row. */
    char quoted[S_QUOTE_SIZE];
#define S_QUOTED() (pa_str_quote(quoted, sizeof quoted, text, len), quoted)
    if (memchr(text, '\0', len)) {
        s_fail_at(self, self->row_line, pos, name, "contains a NUL byte");
        return;
    }
    char shortbuf[S_SHORT_FIELD_SIZE];
    pa_err_t perr;
    pa_err_clear(&perr);
    switch (col) {
    case S_COL_DISTRICT:
        s_copy_text(self, col, pos, row->district, sizeof row->district, text, len);
        break;
    case S_COL_REPORT_ID:
        s_copy_text(self, col, pos, row->report_id, sizeof row->report_id, text, len);
        break;
    case S_COL_TOWN:
        s_copy_text(self, col, pos, row->value.town, sizeof row->value.town, text, len);
        break;
    case S_COL_INDICATOR:
        s_copy_text(self, col, pos, row->value.indicator, sizeof row->value.indicator, text, len);
        break;
    case S_COL_PERIOD:
        if (s_short_copy(self, col, pos, shortbuf, text, len) &&
            pa_period_parse(shortbuf, &row->period, &perr) != PA_OK)
            s_fail_at(self, self->row_line, pos, name, "%s", perr.msg);
        break;
    case S_COL_PERIOD_TYPE:
        if (s_short_copy(self, col, pos, shortbuf, text, len) &&
            pa_period_type_parse(shortbuf, &row->period.type) != PA_OK)
            s_fail_at(self, self->row_line, pos, name,
                      "'%s' is not one of day, week, month, quarter, year", S_QUOTED());
        break;
    case S_COL_PERIOD_START:
        /* Alignment to the period type is the worker's judgement: keep the
         * start as given so that its message can name the wrong date. */
        if (s_short_copy(self, col, pos, shortbuf, text, len) &&
            pa_date_parse(shortbuf, &row->period.start, &perr) != PA_OK)
            s_fail_at(self, self->row_line, pos, name, "%s", perr.msg);
        break;
    case S_COL_REVISION:
        if (pa_field_parse_revision(text, len, &row->revision) != PA_OK)
            s_fail_at(self, self->row_line, pos, name, "'%s' is not a positive integer",
                      S_QUOTED());
        break;
    case S_COL_COUNT:
    case S_COL_NUMERATOR:
    case S_COL_DENOMINATOR: {
        double *dst = col == S_COL_COUNT       ? &row->value.count
                      : col == S_COL_NUMERATOR ? &row->value.numerator
                                               : &row->value.denominator;
        pa_field_number_t num;
        if (pa_field_parse_number(text, len, &num, &perr) != PA_OK) {
            s_error_at(self, perr.code, false, self->row_line, pos, name, "%s", perr.msg);
            break;
        }
        *dst = num.value;
        row->whole[col] = num.whole;
        pa_str_quote(row->text[col], sizeof row->text[col], text, len);
        break;
    }
    default:
        break;
    }
    row->has[col] = true;
#undef S_QUOTED
}

/* Checks that the row's counts are written as whole numbers: a fraction
 * there is a percentage or a share typed where counts belong. */
static void s_check_whole(pa_csv_t *self)
{
    s_row_t *row = &self->row;
    pa_err_t werr;
    pa_err_clear(&werr);
    if (row->has[S_COL_COUNT]) {
        pa_field_number_t c = {row->value.count, row->whole[S_COL_COUNT]};
        if (pa_field_check_count(&c, row->text[S_COL_COUNT], &werr) != PA_OK)
            s_fail_at(self, self->row_line, self->col_pos[S_COL_COUNT], "count", "%s", werr.msg);
        return;
    }
    pa_field_number_t n = {row->value.numerator, row->whole[S_COL_NUMERATOR]};
    pa_field_number_t d = {row->value.denominator, row->whole[S_COL_DENOMINATOR]};
    bool bad_den = false;
    if (pa_field_check_ratio(&n, row->text[S_COL_NUMERATOR], &d, row->text[S_COL_DENOMINATOR],
                             &bad_den, &werr) != PA_OK) {
        s_col_t col = bad_den ? S_COL_DENOMINATOR : S_COL_NUMERATOR;
        s_fail_at(self, self->row_line, self->col_pos[col], s_col_names[col], "%s", werr.msg);
    }
}

/* ---------------------------------------------------------------- reports */

static void s_emit(pa_csv_t *self)
{
    self->have_report = false;
    if (self->failed)
        return; /* nothing of a file with syntax errors goes on */
    pa_err_clear(&self->err);
    int rc = self->cb(self->arg, self->report, &self->err);
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
    if (row->blank || row->failed)
        return;
    if (row->n_fields > self->n_columns) {
        s_fail_at(self, line, self->n_columns + 1, "row",
                  "extra field (the header has %zu columns; a quoted number with a thousands "
                  "separator, \"1,234\", is one field, 1,234 is two)",
                  self->n_columns);
        return;
    }
    if (row->n_fields < self->n_columns) {
        s_col_t next = self->columns[row->n_fields];
        s_fail_at(self, line, row->n_fields + 1, next == S_COL_IGNORED ? "row" : s_col_names[next],
                  "missing field (the row has %zu fields, the header %zu)", row->n_fields,
                  self->n_columns);
        return;
    }
    const size_t *pos = self->col_pos;
    if (!has[S_COL_DISTRICT])
        s_fail_at(self, line, pos[S_COL_DISTRICT], "district", "missing");
    else if (self->has_column[S_COL_PERIOD] && !has[S_COL_PERIOD])
        s_fail_at(self, line, pos[S_COL_PERIOD], "period", "missing");
    else if (!self->has_column[S_COL_PERIOD] && !has[S_COL_PERIOD_TYPE])
        s_fail_at(self, line, pos[S_COL_PERIOD_TYPE], "period_type", "missing");
    else if (!self->has_column[S_COL_PERIOD] && !has[S_COL_PERIOD_START])
        s_fail_at(self, line, pos[S_COL_PERIOD_START], "period_start", "missing");
    else if (!has[S_COL_INDICATOR])
        s_fail_at(self, line, pos[S_COL_INDICATOR], "indicator", "missing");
    else if (has[S_COL_COUNT] && (has[S_COL_NUMERATOR] || has[S_COL_DENOMINATOR]))
        s_fail_at(self, line, pos[S_COL_COUNT], "count",
                  "both count and numerator/denominator given");
    else if (has[S_COL_NUMERATOR] && !has[S_COL_DENOMINATOR])
        s_fail_at(self, line, pos[S_COL_DENOMINATOR], "denominator", "missing (numerator given)");
    else if (has[S_COL_DENOMINATOR] && !has[S_COL_NUMERATOR])
        s_fail_at(self, line, pos[S_COL_NUMERATOR], "numerator", "missing (denominator given)");
    else if (!has[S_COL_COUNT] && !has[S_COL_NUMERATOR])
        s_fail_at(self, line,
                  self->has_column[S_COL_COUNT] ? pos[S_COL_COUNT] : pos[S_COL_NUMERATOR],
                  self->has_column[S_COL_COUNT] ? "count" : "numerator",
                  "neither count nor numerator and denominator given");
    else
        s_check_whole(self);
    if (row->failed || self->rc != PA_OK)
        return;
    row->value.kind = has[S_COL_COUNT] ? PA_AMOUNT_COUNT : PA_AMOUNT_RATIO;
    row->value.line = line;
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
        self->n_reports++;
    }
    /* After an error nothing is handed on: only the syntax is still checked. */
    if (self->failed)
        return;
    pa_err_t aerr;
    pa_err_clear(&aerr);
    if (pa_report_add_value(r, &row->value, &aerr) != PA_OK)
        s_error_at(self, aerr.code, true, line, pos[S_COL_INDICATOR], "indicator", "%s", aerr.msg);
}

/* ---------------------------------------------------------------- libcsv callbacks */

static void s_on_field(void *data, size_t len, void *ctx)
{
    pa_csv_t *self = ctx;
    if (self->rc != PA_OK)
        return;
    const char *text = data ? data : "";
    if (!s_check_utf8(self, (self->header_done ? self->row.n_fields : self->n_columns) + 1, text,
                      len))
        return;
    pa_field_trim(&text, &len);
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
    /* A row ended by a CR inside a segment: the next row starts on this
     * line (after a newline, s_feed sets it at the next segment). */
    self->row_line = self->line;
}

/* ---------------------------------------------------------------- public */

static void s_destroy(void **self_p);

static void *s_new(const char *source, const pa_input_opts_t *opts, pa_report_cb cb, void *arg,
                   pa_err_t *err)
{
    const char *name = source ? source : "-";
    pa_csv_t *self = calloc(1, sizeof *self);
    if (!self)
        goto nomem;
    if (opts && opts->ignore_columns &&
        snprintf(self->ignore, sizeof self->ignore, "%s", opts->ignore_columns) >=
            (int)sizeof self->ignore) {
        pa_err_set(err, PA_EINVAL, "%s: the list of columns to ignore is longer than %d bytes",
                   name, S_IGNORE_SIZE - 1);
        goto fail;
    }
    if (csv_init(&self->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        goto nomem;
    self->parser_ready = true;
    /* libcsv grows its field buffer by blk_size at a time (linearly): a
     * larger step keeps a long field from costing thousands of reallocs. */
    csv_set_blk_size(&self->parser, S_CSV_BLOCK_BYTES);
    self->report = pa_report_new();
    if (!self->report)
        goto nomem;
    snprintf(self->source, sizeof self->source, "%s", name);
    pa_reader_errors_init(&self->errors, name, opts);
    self->cb = cb;
    self->arg = arg;
    self->line = 1;
    self->row_line = 1;
    s_row_reset(self);
    return self;
nomem:
    pa_err_set(err, PA_ENOMEM, "%s: out of memory for the csv reader", name);
fail:
    s_destroy((void **)&self);
    return NULL;
}

static void s_destroy(void **self_p)
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

static int s_feed(void *handle, const char *buf, size_t len, pa_err_t *err)
{
    pa_csv_t *self = handle;
    if (self->rc == PA_OK && self->finished)
        s_error_at(self, PA_EFATAL, true, self->line, 0, "input", "fed after the end of input");
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
        size_t pos = (self->header_done ? self->row.n_fields : self->n_columns) + 1;
        if (used != seg) {
            /* libcsv cannot go on after a parse error: stop here. */
            int code = csv_error(&self->parser) == CSV_EPARSE ? PA_EINVAL : PA_ENOMEM;
            self->row.failed = false;
            s_error_at(self, code, true, self->line, pos, s_field_name(self, name, sizeof name),
                       code == PA_EINVAL
                           ? "misplaced quote (a quote inside an unquoted field or text "
                             "after a closing quote)"
                           : "out of memory for a field");
            break;
        }
        if (csv_get_buffer_size(&self->parser) > PA_INPUT_MAX_TOKEN_BYTES) {
            self->row.failed = false;
            s_error_at(self, PA_EINVAL, true, self->line, pos,
                       s_field_name(self, name, sizeof name), "field longer than %d bytes",
                       PA_INPUT_MAX_TOKEN_BYTES);
            break;
        }
        if (nl)
            self->line++;
        buf += seg;
        len -= seg;
    }
    return s_result(self, err);
}

static int s_finish(void *handle, pa_err_t *err)
{
    pa_csv_t *self = handle;
    if (self->rc != PA_OK || self->finished)
        return s_result(self, err);
    /* A last row without a newline is still a row: csv_fini submits it. */
    if (csv_fini(&self->parser, s_on_field, s_on_row, self) != 0 && self->rc == PA_OK) {
        char name[32];
        const char *field = s_field_name(self, name, sizeof name);
        size_t pos = (self->header_done ? self->row.n_fields : self->n_columns) + 1;
        self->row.failed = false;
        if (csv_error(&self->parser) == CSV_EPARSE)
            s_error_at(self, PA_EINVAL, true, self->row_line, pos, field,
                       "quoted field not closed at the end of input (truncated file?)");
        else
            s_error_at(self, PA_ENOMEM, true, self->row_line, pos, field,
                       "out of memory for a field");
    }
    /* A file that sends nothing is a mistake (the wrong file, an export of
     * the wrong sheet), not a success. */
    if (self->rc == PA_OK && !self->failed && self->n_reports == 0) {
        pa_reader_errors_add(&self->errors, "%s: no reports: %s", self->source,
                             self->header_done ? "the file has a header row but no data rows"
                                               : "the file is empty");
        self->failed = true;
    }
    if (self->rc == PA_OK && self->have_report)
        s_emit(self);
    if (self->rc == PA_OK && self->failed)
        s_stop(self, PA_EINVAL);
    self->finished = true;
    return s_result(self, err);
}

const pa_reader_t pa_csv_reader = {"csv", s_new, s_destroy, s_feed, s_finish};
