/* pa_err.h - error codes and the error out-parameter used across libpingan.
 * The library fills a pa_err_t and never logs; the program decides what to
 * do and logs once. pa_err_from_pg is the one place SQLSTATEs are classed. */
#ifndef PA_ERR_H
#define PA_ERR_H

#include <stdarg.h>

#define PA_OK       0
#define PA_EINVAL   (-1) /* bad input: name the field and the reason */
#define PA_ENOMEM   (-2)
#define PA_EIO      (-3) /* file or socket I/O */
#define PA_ERETRY   (-4) /* transient: reconnect, back off, redeliver */
#define PA_EDUP     (-5) /* already stored: acknowledge */
#define PA_EREJECT  (-6) /* permanent for this input: dead-letter, never retry */
#define PA_EFATAL   (-7) /* configuration or programming error: stop */
#define PA_ETIMEOUT (-8)
#define PA_ESTOP    (-9) /* a stop was requested (signal) */

#define PA_ERR_MSG_SIZE 512

typedef struct {
    int code;                  /* one of PA_E*, PA_OK when unset */
    char sqlstate[6];          /* five characters, or "" when not from PostgreSQL */
    char msg[PA_ERR_MSG_SIZE]; /* lower case, no trailing period */
} pa_err_t;

/* Clears err (NULL allowed). */
void pa_err_clear(pa_err_t *err);

/* Fills err (NULL allowed) with code and a printf-style message; returns code
 * so that callers can write `return pa_err_set (err, PA_EINVAL, ...)`. */
int pa_err_set(pa_err_t *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with a printf-style context, "ctx: msg". */
void pa_err_prefix(pa_err_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Short name of a code ("retry", "reject", ...), never NULL. */
const char *pa_err_name(int code);

/* Classes a PostgreSQL failure by SQLSTATE (see docs/operations.md):
 *   08xxx, 40001, 40P01, 53xxx, 57P01-57P03, 55P03, or no SQLSTATE -> PA_ERETRY
 *   23505 on constraint `dup_constraint` (may be NULL)                -> PA_EDUP
 *   other 22xxx / 23xxx                                                -> PA_EREJECT
 *   anything else                                                      -> PA_EFATAL
 * Pure: no I/O. sqlstate may be NULL (connection lost). */
int pa_err_class_sqlstate(const char *sqlstate, const char *constraint, const char *dup_constraint);

#endif
