/* pa_json.c - the JSON report reader on yajl's callback parser. It accepts
 * {"reports": [...]}, a top-level array of reports, or a stream of report
 * objects (NDJSON), and hands each report on as soon as its object closes, so
 * memory is one report whatever the document size. A small state machine
 * checks keys and types; catalogue and range rules are the worker's. A bad
 * scalar or value is reported and reading goes on, up to the error limit
 * (a structural error stops it); after the first error no report is handed
 * on. */
#include "pa_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "pa_field.h"
#include "pa_str.h"

#define S_KEY_TEXT_SIZE    48  /* how much of a key an error message quotes */
#define S_QUOTE_SIZE       48  /* how much of a bad value an error message quotes */
#define S_SHORT_FIELD_SIZE 32  /* room for a period, period type or date */
#define S_PATH_SIZE        160 /* > reports[20 digits].values[20 digits].47-char key */

/* Where the parser is; each state says what token may come next. */
typedef enum {
    S_TOP,         /* between top-level values: a report, an array or a wrapper */
    S_TOP_OBJECT,  /* just inside a top-level '{': its first key tells which */
    S_WRAPPER,     /* inside {"reports": ...}: a key or '}' */
    S_WRAPPER_VAL, /* after "reports": the array */
    S_REPORTS,     /* inside an array of reports: '{' or ']' */
    S_REPORT,      /* inside a report: a key or '}' */
    S_REPORT_VAL,  /* after a report key: its value */
    S_VALUES,      /* inside "values": '{' or ']' */
    S_VALUE,       /* inside a value object: a key or '}' */
    S_VALUE_VAL,   /* after a value key: its scalar */
} s_state_t;

/* What holds the current report; decides its path in messages. */
typedef enum {
    S_IN_STREAM,  /* a bare top-level object (NDJSON): "[n]" */
    S_IN_ARRAY,   /* a top-level array: "[n]" */
    S_IN_WRAPPER, /* {"reports": [...]}: "reports[n]" */
} s_container_t;

typedef enum {
    S_RK_REPORT_ID,
    S_RK_DISTRICT,
    S_RK_PERIOD,
    S_RK_PERIOD_TYPE,
    S_RK_PERIOD_START,
    S_RK_REVISION,
    S_RK_VALUES,
    S_N_RK
} s_report_key_t;

static const char *const s_report_keys[S_N_RK] = {
    "report_id", "district", "period", "period_type", "period_start", "revision", "values",
};

typedef enum {
    S_VK_INDICATOR,
    S_VK_TOWN,
    S_VK_COUNT,
    S_VK_NUMERATOR,
    S_VK_DENOMINATOR,
    S_N_VK
} s_value_key_t;

static const char *const s_value_keys[S_N_VK] = {
    "indicator", "town", "count", "numerator", "denominator",
};

typedef enum { S_T_NULL, S_T_BOOL, S_T_NUMBER, S_T_STRING, S_T_OBJECT, S_T_ARRAY } s_type_t;

static const char *const s_type_names[] = {
    "null", "a boolean", "a number", "a string", "an object", "an array",
};

typedef struct pa_json pa_json_t;

struct pa_json {
    yajl_handle yajl;                      /* the push parser */
    char source[256];                      /* input name for messages and reports */
    pa_report_cb cb;                       /* receives each finished report */
    void *arg;                             /* passed to cb */
    pa_report_t *report;                   /* the report being read; reused */
    s_state_t state;                       /* see s_state_t */
    s_container_t container;               /* what holds the current report */
    size_t report_index;                   /* the current report's index in its container */
    size_t stream_count;                   /* bare top-level reports seen so far */
    size_t value_index;                    /* the current value's index in "values" */
    size_t object_line;                    /* line of the last top-level '{' */
    int key;                               /* S_RK_* or S_VK_* whose value is awaited */
    char key_text[S_KEY_TEXT_SIZE];        /* the key as written, for messages */
    bool report_seen[S_N_RK];              /* keys given in the current report */
    bool value_seen[S_N_VK];               /* keys given in the current value */
    bool value_has[S_N_VK];                /* ... and not null */
    pa_period_t period;                    /* from "period" */
    pa_period_type_t period_type;          /* from "period_type" */
    int32_t period_start;                  /* from "period_start", days since the epoch */
    pa_value_t value;                      /* the value object being read */
    bool value_whole[S_N_VK];              /* count/numerator/denominator written as integers */
    char value_text[S_N_VK][S_QUOTE_SIZE]; /* ... as written, for messages */
    size_t value_line;                     /* line of the value's '{' */
    size_t n_reports;                      /* reports ended (handed on or not) */
    bool value_bad;                        /* an error was reported in this value */
    bool failed;                           /* a syntax error was found: hand nothing on */
    pa_reader_errors_t errors;             /* syntax errors found so far */
    const char *chunk;                     /* the bytes yajl is parsing now */
    size_t chunk_len;                      /* their length */
    size_t scanned;                        /* chunk bytes already counted for lines */
    size_t line;                           /* 1-based line of the parse position */
    size_t fed_bytes;                      /* bytes fed before the current chunk */
    size_t callback_bytes;                 /* input offset of the last callback */
    bool saw_text;                         /* a non-blank byte was fed */
    bool finished;                         /* pa_json_finish ran */
    int rc;                                /* why reading stopped; sticky */
    pa_err_t err;                          /* its message, copied out to callers */
};

/* ---------------------------------------------------------------- positions */

/* Brings the line count up to yajl's position in the current chunk. yajl
 * reports positions as bytes consumed, so lines are counted here, once. */
static void s_sync(pa_json_t *self)
{
    if (!self->chunk)
        return;
    size_t upto = yajl_get_bytes_consumed(self->yajl);
    if (upto > self->chunk_len)
        upto = self->chunk_len;
    for (size_t i = self->scanned; i < upto; i++) {
        if (self->chunk[i] == '\n')
            self->line++;
    }
    if (upto > self->scanned)
        self->scanned = upto;
    self->callback_bytes = self->fed_bytes + self->scanned;
}

/* Path of the current position, e.g. "reports[2].values[5].count". */
static void s_path(pa_json_t *self, const char *leaf, char *out, size_t size)
{
    int n = 0;
    switch (self->state) {
    case S_REPORTS:
    case S_REPORT:
    case S_REPORT_VAL:
    case S_VALUES:
    case S_VALUE:
    case S_VALUE_VAL:
        n = snprintf(out, size, "%s[%zu]", self->container == S_IN_WRAPPER ? "reports" : "",
                     self->report_index);
        break;
    default:
        out[0] = '\0';
        break;
    }
    if (self->state == S_VALUES || self->state == S_VALUE || self->state == S_VALUE_VAL)
        n += snprintf(out + n, size - (size_t)n, ".values[%zu]", self->value_index);
    if (n < 0 || (size_t)n >= size)
        return;
    if (leaf)
        snprintf(out + n, size - (size_t)n, "%s%s", n > 0 ? "." : "", leaf);
    else if (n == 0)
        snprintf(out, size, "top level");
}

/* Stops reading with the syntax errors found so far as the result. */
static void s_stop(pa_json_t *self, int code)
{
    if (self->rc != PA_OK)
        return;
    pa_reader_errors_result(&self->errors, &self->err);
    self->err.code = code;
    self->rc = code;
}

/* Records a syntax error as "<source>:<line>: <path>: <reason>", where path
 * is the current position plus leaf (a key; NULL for none). Reading goes on
 * (a scalar's or a value's error leaves the parser in step) unless fatal is
 * set or the error limit is reached. One error per value object. */
static void s_report(pa_json_t *self, bool fatal, int code, size_t line, const char *leaf,
                     const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));
static void s_report(pa_json_t *self, bool fatal, int code, size_t line, const char *leaf,
                     const char *fmt, va_list ap)
{
    if (self->rc != PA_OK)
        return;
    bool in_value = self->state == S_VALUE || self->state == S_VALUE_VAL;
    if (!fatal && in_value && self->value_bad)
        return;
    char reason[PA_ERR_MSG_SIZE];
    char path[S_PATH_SIZE];
    vsnprintf(reason, sizeof reason, fmt, ap);
    s_path(self, leaf, path, sizeof path);
    bool full =
        pa_reader_errors_add(&self->errors, "%s:%zu: %s: %s", self->source, line, path, reason);
    self->failed = true;
    if (in_value)
        self->value_bad = true;
    if (full || fatal || code != PA_EINVAL)
        s_stop(self, code);
}

/* A structural error: the parser cannot go on. */
static void s_fail(pa_json_t *self, int code, const char *leaf, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void s_fail(pa_json_t *self, int code, const char *leaf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_report(self, true, code, self->line, leaf, fmt, ap);
    va_end(ap);
}

/* An error in one scalar or value at line: reading goes on. */
static void s_error(pa_json_t *self, size_t line, const char *leaf, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void s_error(pa_json_t *self, size_t line, const char *leaf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_report(self, false, PA_EINVAL, line, leaf, fmt, ap);
    va_end(ap);
}

/* A scalar of the wrong type: the parser is still in step. */
static void s_wrong_type(pa_json_t *self, const char *expected, s_type_t got)
{
    if (got == S_T_OBJECT || got == S_T_ARRAY)
        s_fail(self, PA_EINVAL, self->key_text, "expected %s, got %s", expected, s_type_names[got]);
    else
        s_error(self, self->line, self->key_text, "expected %s, got %s", expected,
                s_type_names[got]);
}

/* What the awaited value of the current key must be, for messages. */
static const char *s_expected(const pa_json_t *self)
{
    if (self->state == S_REPORT_VAL) {
        if (self->key == S_RK_VALUES)
            return "an array";
        if (self->key == S_RK_REVISION)
            return "a number";
        return self->key == S_RK_REPORT_ID ? "a string or null" : "a string";
    }
    if (self->state == S_VALUE_VAL) {
        if (self->key == S_VK_INDICATOR)
            return "a string";
        if (self->key == S_VK_TOWN)
            return "a string or null";
        return "a number";
    }
    return "an array"; /* S_WRAPPER_VAL */
}

static int s_result(pa_json_t *self, pa_err_t *err)
{
    if (self->rc != PA_OK && err)
        *err = self->err;
    return self->rc;
}

/* ---------------------------------------------------------------- reports */

static void s_begin_report(pa_json_t *self, size_t first_line)
{
    pa_report_reset(self->report);
    memcpy(self->report->source, self->source, sizeof self->report->source);
    self->report->first_line = first_line;
    memset(self->report_seen, 0, sizeof self->report_seen);
    self->period = (pa_period_t){PA_PERIOD_NONE, 0};
    self->period_type = PA_PERIOD_NONE;
    self->period_start = 0;
    self->value_index = 0;
    self->state = S_REPORT;
}

static void s_emit(pa_json_t *self)
{
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

static void s_end_report(pa_json_t *self)
{
    const bool *seen = self->report_seen;
    pa_report_t *r = self->report;
    bool by_type = seen[S_RK_PERIOD_TYPE] || seen[S_RK_PERIOD_START];
    size_t line = self->line;
    bool ok = false;
    if (!seen[S_RK_DISTRICT])
        s_error(self, line, "district", "missing");
    else if (seen[S_RK_PERIOD] && by_type)
        s_error(self, line, seen[S_RK_PERIOD_TYPE] ? "period_type" : "period_start",
                "cannot be given with period");
    else if (!seen[S_RK_PERIOD] && !by_type)
        s_error(self, line, "period", "missing (or give period_type and period_start)");
    else if (by_type && !seen[S_RK_PERIOD_TYPE])
        s_error(self, line, "period_type", "missing");
    else if (by_type && !seen[S_RK_PERIOD_START])
        s_error(self, line, "period_start", "missing");
    else if (!seen[S_RK_VALUES])
        s_error(self, line, "values", "missing");
    else
        ok = true;
    if (self->rc != PA_OK)
        return;
    self->n_reports++;
    if (ok) {
        if (seen[S_RK_PERIOD])
            r->period = self->period;
        else
            r->period = (pa_period_t){self->period_type, self->period_start};
        if (r->revision == 0)
            r->revision = 1;
        s_emit(self);
    }
    if (self->container == S_IN_STREAM) {
        self->stream_count++;
        self->state = S_TOP;
    } else {
        self->report_index++;
        self->state = S_REPORTS;
    }
}

static void s_begin_value(pa_json_t *self)
{
    memset(&self->value, 0, sizeof self->value);
    memset(self->value_seen, 0, sizeof self->value_seen);
    memset(self->value_has, 0, sizeof self->value_has);
    memset(self->value_whole, 0, sizeof self->value_whole);
    self->value_bad = false;
    self->value_line = self->line;
    self->state = S_VALUE;
}

/* Counts, numerators and denominators are written as whole numbers. */
static void s_check_whole(pa_json_t *self)
{
    const pa_value_t *v = &self->value;
    pa_err_t werr;
    pa_err_clear(&werr);
    if (self->value_has[S_VK_COUNT]) {
        pa_field_number_t c = {v->count, self->value_whole[S_VK_COUNT]};
        if (pa_field_check_count(&c, self->value_text[S_VK_COUNT], &werr) != PA_OK)
            s_error(self, self->line, "count", "%s", werr.msg);
        return;
    }
    pa_field_number_t n = {v->numerator, self->value_whole[S_VK_NUMERATOR]};
    pa_field_number_t d = {v->denominator, self->value_whole[S_VK_DENOMINATOR]};
    bool bad_den = false;
    if (pa_field_check_ratio(&n, self->value_text[S_VK_NUMERATOR], &d,
                             self->value_text[S_VK_DENOMINATOR], &bad_den, &werr) != PA_OK)
        s_error(self, self->line, bad_den ? "denominator" : "numerator", "%s", werr.msg);
}

static void s_end_value(pa_json_t *self)
{
    const bool *has = self->value_has;
    size_t line = self->line;
    if (self->value_bad)
        ; /* reported already: one error per value */
    else if (!has[S_VK_INDICATOR])
        s_error(self, line, "indicator", "missing");
    else if (has[S_VK_COUNT] && (has[S_VK_NUMERATOR] || has[S_VK_DENOMINATOR]))
        s_error(self, line, "count", "both count and numerator/denominator given");
    else if (has[S_VK_NUMERATOR] && !has[S_VK_DENOMINATOR])
        s_error(self, line, "denominator", "missing (numerator given)");
    else if (has[S_VK_DENOMINATOR] && !has[S_VK_NUMERATOR])
        s_error(self, line, "numerator", "missing (denominator given)");
    else if (!has[S_VK_COUNT] && !has[S_VK_NUMERATOR])
        s_error(self, line, "count", "neither count nor numerator and denominator given");
    else
        s_check_whole(self);
    if (self->rc != PA_OK)
        return;
    if (!self->failed) {
        self->value.kind = has[S_VK_COUNT] ? PA_AMOUNT_COUNT : PA_AMOUNT_RATIO;
        self->value.line = self->value_line;
        pa_err_t aerr;
        pa_err_clear(&aerr);
        if (pa_report_add_value(self->report, &self->value, &aerr) != PA_OK) {
            s_fail(self, aerr.code, NULL, "%s", aerr.msg);
            return;
        }
    }
    self->value_index++;
    self->state = S_VALUES;
}

/* ---------------------------------------------------------------- scalars */

/* Copies a JSON string into dst, or fails naming the key. Lengths in
 * messages are characters; codes get a hint about what they look like. */
static bool s_copy_text(pa_json_t *self, char *dst, size_t size, const char *text, size_t len)
{
    char quoted[S_QUOTE_SIZE];
    pa_str_quote(quoted, sizeof quoted, text, len);
    if (memchr(text, '\0', len)) {
        s_error(self, self->line, self->key_text, "contains a NUL character");
        return false;
    }
    if (len >= size) {
        bool district = self->state == S_REPORT_VAL && self->key == S_RK_DISTRICT;
        bool town = self->state == S_VALUE_VAL && self->key == S_VK_TOWN;
        if (district)
            s_error(self, self->line, self->key_text,
                    "'%s' is not a district code (6 digits, e.g. 500108)", quoted);
        else if (town)
            s_error(self, self->line, self->key_text,
                    "'%s' is not a town code (9 digits, e.g. 500108001)", quoted);
        else if (pa_str_is_ascii(text, len))
            s_error(self, self->line, self->key_text, "'%s' is longer than %zu characters", quoted,
                    size - 1);
        else
            s_error(self, self->line, self->key_text,
                    "'%s' is too long (%zu characters, %zu bytes in UTF-8; at most %zu bytes)",
                    quoted, pa_str_utf8_chars(text, len), len, size - 1);
        return false;
    }
    memcpy(dst, text, len);
    dst[len] = '\0';
    return true;
}

static void s_report_scalar(pa_json_t *self, s_type_t type, const char *text, size_t len)
{
    pa_report_t *r = self->report;
    char shortbuf[S_SHORT_FIELD_SIZE];
    char quoted[S_QUOTE_SIZE];
    pa_err_t perr;
    pa_err_clear(&perr);
    size_t line = self->line;
    switch (self->key) {
    case S_RK_REPORT_ID:
        /* null: let the producer assign the content-derived id */
        if (type == S_T_STRING)
            s_copy_text(self, r->report_id, sizeof r->report_id, text, len);
        else if (type != S_T_NULL)
            s_wrong_type(self, s_expected(self), type);
        break;
    case S_RK_DISTRICT:
        if (type == S_T_STRING)
            s_copy_text(self, r->district, sizeof r->district, text, len);
        else
            s_wrong_type(self, "a string", type);
        break;
    case S_RK_PERIOD:
    case S_RK_PERIOD_TYPE:
    case S_RK_PERIOD_START:
        if (type != S_T_STRING) {
            s_wrong_type(self, "a string", type);
            break;
        }
        if (!s_copy_text(self, shortbuf, sizeof shortbuf, text, len))
            break;
        if (self->key == S_RK_PERIOD && pa_period_parse(shortbuf, &self->period, &perr) != PA_OK)
            s_error(self, line, self->key_text, "%s", perr.msg);
        if (self->key == S_RK_PERIOD_TYPE &&
            pa_period_type_parse(shortbuf, &self->period_type) != PA_OK)
            s_error(self, line, self->key_text,
                    "'%s' is not one of day, week, month, quarter, year", shortbuf);
        /* Alignment is the worker's judgement: keep the start as given. */
        if (self->key == S_RK_PERIOD_START &&
            pa_date_parse(shortbuf, &self->period_start, &perr) != PA_OK)
            s_error(self, line, self->key_text, "%s", perr.msg);
        break;
    case S_RK_REVISION:
        if (type == S_T_NUMBER) {
            if (pa_field_parse_revision(text, len, &r->revision) != PA_OK) {
                pa_str_quote(quoted, sizeof quoted, text, len);
                s_error(self, line, self->key_text, "'%s' is not a positive integer", quoted);
            }
        } else if (type != S_T_NULL) {
            s_wrong_type(self, "a number", type);
        }
        break;
    case S_RK_VALUES:
    default:
        s_wrong_type(self, "an array", type);
        break;
    }
    self->state = S_REPORT;
}

static void s_value_scalar(pa_json_t *self, s_type_t type, const char *text, size_t len)
{
    pa_value_t *v = &self->value;
    int key = self->key;
    bool ok = true;
    switch (key) {
    case S_VK_INDICATOR:
        if (type == S_T_STRING)
            ok = s_copy_text(self, v->indicator, sizeof v->indicator, text, len);
        else
            s_wrong_type(self, "a string", type), ok = false;
        break;
    case S_VK_TOWN:
        /* null or absent: the value is for the district as a whole */
        if (type == S_T_STRING)
            ok = s_copy_text(self, v->town, sizeof v->town, text, len);
        else if (type != S_T_NULL)
            s_wrong_type(self, "a string or null", type), ok = false;
        break;
    case S_VK_COUNT:
    case S_VK_NUMERATOR:
    case S_VK_DENOMINATOR: {
        double *dst = key == S_VK_COUNT       ? &v->count
                      : key == S_VK_NUMERATOR ? &v->numerator
                                              : &v->denominator;
        /* yajl has checked the grammar; pa_field adds range and whole-number
         * facts, and strtod on the exact text rounds correctly where yajl's
         * own double conversion may not. */
        if (type == S_T_NUMBER) {
            pa_field_number_t num;
            pa_err_t perr;
            pa_err_clear(&perr);
            if (pa_field_parse_number(text, len, &num, &perr) != PA_OK) {
                if (perr.code == PA_EINVAL)
                    s_error(self, self->line, self->key_text, "%s", perr.msg);
                else
                    s_fail(self, perr.code, self->key_text, "%s", perr.msg);
                ok = false;
            } else {
                *dst = num.value;
                self->value_whole[key] = num.whole;
                pa_str_quote(self->value_text[key], sizeof self->value_text[key], text, len);
            }
        } else if (type != S_T_NULL) {
            s_wrong_type(self, "a number", type);
            ok = false;
        }
        break;
    }
    default:
        break;
    }
    if (type != S_T_NULL && ok)
        self->value_has[key] = true;
    self->state = S_VALUE;
}

static int s_scalar(pa_json_t *self, s_type_t type, const char *text, size_t len)
{
    s_sync(self);
    switch (self->state) {
    case S_REPORT_VAL:
        s_report_scalar(self, type, text, len);
        break;
    case S_VALUE_VAL:
        s_value_scalar(self, type, text, len);
        break;
    case S_WRAPPER_VAL:
        /* No state to go on in: the reports are not where they should be. */
        s_fail(self, PA_EINVAL, self->key_text, "expected %s, got %s", s_expected(self),
               s_type_names[type]);
        break;
    case S_REPORTS:
        s_fail(self, PA_EINVAL, NULL, "expected a report object, got %s", s_type_names[type]);
        break;
    case S_VALUES:
        s_fail(self, PA_EINVAL, NULL, "expected a value object, got %s", s_type_names[type]);
        break;
    default:
        s_fail(self, PA_EINVAL, NULL, "expected a report object or an array, got %s",
               s_type_names[type]);
        break;
    }
    return self->rc == PA_OK;
}

/* ---------------------------------------------------------------- yajl callbacks */

static int s_on_null(void *ctx)
{
    return s_scalar(ctx, S_T_NULL, NULL, 0);
}

static int s_on_boolean(void *ctx, int value)
{
    (void)value;
    return s_scalar(ctx, S_T_BOOL, NULL, 0);
}

static int s_on_number(void *ctx, const char *text, size_t len)
{
    return s_scalar(ctx, S_T_NUMBER, text, len);
}

static int s_on_string(void *ctx, const unsigned char *text, size_t len)
{
    return s_scalar(ctx, S_T_STRING, (const char *)text, len);
}

static int s_on_start_map(void *ctx)
{
    pa_json_t *self = ctx;
    s_sync(self);
    switch (self->state) {
    case S_TOP:
        self->object_line = self->line;
        self->state = S_TOP_OBJECT;
        break;
    case S_REPORTS:
        s_begin_report(self, self->line);
        break;
    case S_VALUES:
        s_begin_value(self);
        break;
    case S_WRAPPER_VAL:
    case S_REPORT_VAL:
    case S_VALUE_VAL:
        s_wrong_type(self, s_expected(self), S_T_OBJECT);
        break;
    default:
        s_fail(self, PA_EFATAL, NULL, "unexpected '{' (reader state %d)", self->state);
    }
    return self->rc == PA_OK;
}

/* Index of key[0..len) in names, or -1. */
static int s_lookup(const char *const *names, int n, const char *key, size_t len)
{
    for (int i = 0; i < n; i++) {
        if (strlen(names[i]) == len && memcmp(names[i], key, len) == 0)
            return i;
    }
    return -1;
}

static int s_on_map_key(void *ctx, const unsigned char *ukey, size_t len)
{
    pa_json_t *self = ctx;
    const char *key = (const char *)ukey;
    s_sync(self);
    pa_str_quote(self->key_text, sizeof self->key_text, key, len);
    if (self->state == S_TOP_OBJECT) {
        /* A top-level object is the wrapper when its first key is "reports"
         * (no report has that key), and otherwise a report of a stream. */
        if (len == 7 && memcmp(key, "reports", 7) == 0) {
            self->container = S_IN_WRAPPER;
            self->report_index = 0;
            self->state = S_WRAPPER_VAL;
            return 1;
        }
        self->container = S_IN_STREAM;
        self->report_index = self->stream_count;
        s_begin_report(self, self->object_line);
    }
    switch (self->state) {
    case S_WRAPPER:
        s_fail(self, PA_EINVAL, self->key_text,
               strcmp(self->key_text, "reports") == 0 ? "duplicate key" : "unknown key");
        break;
    case S_REPORT: {
        int k = s_lookup(s_report_keys, S_N_RK, key, len);
        if (k < 0)
            s_fail(self, PA_EINVAL, self->key_text,
                   "unknown key (a report has report_id, district, period, period_type, "
                   "period_start, revision, values)");
        else if (self->report_seen[k])
            s_fail(self, PA_EINVAL, self->key_text, "duplicate key");
        else {
            self->report_seen[k] = true;
            self->key = k;
            self->state = S_REPORT_VAL;
        }
        break;
    }
    case S_VALUE: {
        int k = s_lookup(s_value_keys, S_N_VK, key, len);
        if (k < 0)
            s_fail(self, PA_EINVAL, self->key_text,
                   "unknown key (a value has indicator, town, count, numerator, denominator)");
        else if (self->value_seen[k])
            s_fail(self, PA_EINVAL, self->key_text, "duplicate key");
        else {
            self->value_seen[k] = true;
            self->key = k;
            self->state = S_VALUE_VAL;
        }
        break;
    }
    default:
        s_fail(self, PA_EFATAL, self->key_text, "unexpected key (reader state %d)", self->state);
    }
    return self->rc == PA_OK;
}

static int s_on_end_map(void *ctx)
{
    pa_json_t *self = ctx;
    s_sync(self);
    switch (self->state) {
    case S_TOP_OBJECT:
        /* {} at top level: an empty report, which s_end_report refuses. */
        self->container = S_IN_STREAM;
        self->report_index = self->stream_count;
        s_begin_report(self, self->object_line);
        s_end_report(self);
        break;
    case S_WRAPPER:
        self->state = S_TOP;
        break;
    case S_REPORT:
        s_end_report(self);
        break;
    case S_VALUE:
        s_end_value(self);
        break;
    default:
        s_fail(self, PA_EFATAL, NULL, "unexpected '}' (reader state %d)", self->state);
    }
    return self->rc == PA_OK;
}

static int s_on_start_array(void *ctx)
{
    pa_json_t *self = ctx;
    s_sync(self);
    switch (self->state) {
    case S_TOP:
        self->container = S_IN_ARRAY;
        self->report_index = 0;
        self->state = S_REPORTS;
        break;
    case S_WRAPPER_VAL:
        self->state = S_REPORTS;
        break;
    case S_REPORT_VAL:
        if (self->key == S_RK_VALUES) {
            self->value_index = 0;
            self->state = S_VALUES;
        } else {
            s_wrong_type(self, s_expected(self), S_T_ARRAY);
        }
        break;
    case S_VALUE_VAL:
        s_wrong_type(self, s_expected(self), S_T_ARRAY);
        break;
    case S_REPORTS:
        s_fail(self, PA_EINVAL, NULL, "expected a report object, got an array");
        break;
    case S_VALUES:
        s_fail(self, PA_EINVAL, NULL, "expected a value object, got an array");
        break;
    default:
        s_fail(self, PA_EFATAL, NULL, "unexpected '[' (reader state %d)", self->state);
    }
    return self->rc == PA_OK;
}

static int s_on_end_array(void *ctx)
{
    pa_json_t *self = ctx;
    s_sync(self);
    switch (self->state) {
    case S_REPORTS:
        self->state = self->container == S_IN_WRAPPER ? S_WRAPPER : S_TOP;
        break;
    case S_VALUES:
        self->state = S_REPORT;
        break;
    default:
        s_fail(self, PA_EFATAL, NULL, "unexpected ']' (reader state %d)", self->state);
    }
    return self->rc == PA_OK;
}

static const yajl_callbacks s_callbacks = {
    .yajl_null = s_on_null,
    .yajl_boolean = s_on_boolean,
    .yajl_number = s_on_number,
    .yajl_string = s_on_string,
    .yajl_start_map = s_on_start_map,
    .yajl_map_key = s_on_map_key,
    .yajl_end_map = s_on_end_map,
    .yajl_start_array = s_on_start_array,
    .yajl_end_array = s_on_end_array,
};

/* The key whose value is awaited, or NULL: the leaf of a position's path
 * when the parse stops between tokens. */
static const char *s_awaited_key(const pa_json_t *self)
{
    bool in_value =
        self->state == S_REPORT_VAL || self->state == S_VALUE_VAL || self->state == S_WRAPPER_VAL;
    return in_value ? self->key_text : NULL;
}

/* Turns a yajl syntax error into a located message. */
static void s_yajl_fail(pa_json_t *self)
{
    if (self->rc != PA_OK)
        return; /* a callback cancelled the parse and said why */
    unsigned char *msg = yajl_get_error(self->yajl, 0, NULL, 0);
    char reason[160];
    snprintf(reason, sizeof reason, "%s", msg ? (const char *)msg : "syntax error");
    if (msg)
        yajl_free_error(self->yajl, msg);
    /* yajl ends its messages with ".\n"; ours carry no trailing period. */
    size_t n = strlen(reason);
    while (n > 0 && (reason[n - 1] == '\n' || reason[n - 1] == '.' || reason[n - 1] == ' '))
        reason[--n] = '\0';
    const char *leaf = s_awaited_key(self);
    if (strstr(reason, "premature EOF"))
        s_fail(self, PA_EINVAL, leaf, "truncated input: the json ends inside a value");
    else if (strstr(reason, "invalid bytes in UTF8"))
        s_fail(self, PA_EINVAL, leaf, "the file is not UTF-8 (it may be GBK): save it as UTF-8");
    else
        s_fail(self, PA_EINVAL, leaf, "%s", reason);
}

/* ---------------------------------------------------------------- public */

static void s_destroy(void **self_p);

static void *s_new(const char *source, const pa_input_opts_t *opts, pa_report_cb cb, void *arg,
                   pa_err_t *err)
{
    pa_json_t *self = calloc(1, sizeof *self);
    if (!self)
        goto nomem;
    self->report = pa_report_new();
    if (!self->report)
        goto nomem;
    self->yajl = yajl_alloc(&s_callbacks, NULL, self);
    if (!self->yajl)
        goto nomem;
    /* NDJSON is a stream of values; comments and partial values are not JSON. */
    yajl_config(self->yajl, yajl_allow_multiple_values, 1);
    snprintf(self->source, sizeof self->source, "%s", source ? source : "-");
    pa_reader_errors_init(&self->errors, self->source, opts);
    self->cb = cb;
    self->arg = arg;
    self->line = 1;
    self->state = S_TOP;
    return self;
nomem:
    pa_err_set(err, PA_ENOMEM, "%s: out of memory for the json reader", source ? source : "-");
    s_destroy((void **)&self);
    return NULL;
}

static void s_destroy(void **self_p)
{
    if (!self_p || !*self_p)
        return;
    pa_json_t *self = *self_p;
    if (self->yajl)
        yajl_free(self->yajl);
    pa_report_destroy(&self->report);
    free(self);
    *self_p = NULL;
}

static int s_feed(void *handle, const char *buf, size_t len, pa_err_t *err)
{
    pa_json_t *self = handle;
    if (self->rc == PA_OK && self->finished)
        s_fail(self, PA_EFATAL, NULL, "fed after the end of input");
    if (self->rc != PA_OK)
        return s_result(self, err);
    for (size_t i = 0; !self->saw_text && i < len; i++) {
        if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r' && buf[i] != '\n')
            self->saw_text = true;
    }
    self->chunk = buf;
    self->chunk_len = len;
    self->scanned = 0;
    yajl_status st = yajl_parse(self->yajl, (const unsigned char *)buf, len);
    if (st != yajl_status_ok) {
        s_sync(self);
        s_yajl_fail(self);
    } else {
        /* Count the rest of the chunk's lines: the next callback may come in
         * a later chunk, and positions there are relative to that chunk. */
        for (size_t i = self->scanned; i < len; i++) {
            if (buf[i] == '\n')
                self->line++;
        }
        self->scanned = len;
        /* yajl buffers a token that spans chunks; bound that buffer. */
        if (self->fed_bytes + len - self->callback_bytes > PA_INPUT_MAX_TOKEN_BYTES)
            s_fail(self, PA_EINVAL, s_awaited_key(self), "no json token ends within %d bytes",
                   PA_INPUT_MAX_TOKEN_BYTES);
    }
    self->fed_bytes += len;
    self->chunk = NULL;
    self->chunk_len = 0;
    return s_result(self, err);
}

static int s_finish(void *handle, pa_err_t *err)
{
    pa_json_t *self = handle;
    if (self->rc != PA_OK || self->finished)
        return s_result(self, err);
    self->finished = true;
    /* yajl would call an empty input a premature end: it has no reports. */
    if (self->saw_text && yajl_complete_parse(self->yajl) != yajl_status_ok)
        s_yajl_fail(self);
    /* A file that sends nothing is a mistake, not a success. */
    if (self->rc == PA_OK && !self->failed && self->n_reports == 0) {
        pa_reader_errors_add(&self->errors, "%s: no reports: %s", self->source,
                             self->saw_text ? "the input holds no report object"
                                            : "the input is empty");
        self->failed = true;
    }
    if (self->rc == PA_OK && self->failed)
        s_stop(self, PA_EINVAL);
    return s_result(self, err);
}

const pa_reader_t pa_json_reader = {"json", s_new, s_destroy, s_feed, s_finish};
