/* pa_err.c - error out-parameter helpers and the SQLSTATE classifier. */
#include "pa_err.h"

#include <stdio.h>
#include <string.h>

void pa_err_clear(pa_err_t *err)
{
    if (!err)
        return;
    err->code = PA_OK;
    err->sqlstate[0] = '\0';
    err->msg[0] = '\0';
}

int pa_err_set(pa_err_t *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    err->sqlstate[0] = '\0';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

void pa_err_prefix(pa_err_t *err, const char *fmt, ...)
{
    if (!err)
        return;
    char prefix[PA_ERR_MSG_SIZE];
    char old[PA_ERR_MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
}

const char *pa_err_name(int code)
{
    switch (code) {
    case PA_OK:
        return "ok";
    case PA_EINVAL:
        return "invalid";
    case PA_ENOMEM:
        return "out-of-memory";
    case PA_EIO:
        return "io";
    case PA_ERETRY:
        return "retry";
    case PA_EDUP:
        return "duplicate";
    case PA_EREJECT:
        return "reject";
    case PA_EFATAL:
        return "fatal";
    case PA_ETIMEOUT:
        return "timeout";
    case PA_ESTOP:
        return "stopped";
    default:
        return "unknown";
    }
}

int pa_err_class_sqlstate(const char *sqlstate, const char *constraint, const char *dup_constraint)
{
    if (!sqlstate || strlen(sqlstate) != 5)
        return PA_ERETRY; /* no SQLSTATE: the connection went away */
    if (strncmp(sqlstate, "08", 2) == 0 || strncmp(sqlstate, "53", 2) == 0)
        return PA_ERETRY;
    if (strcmp(sqlstate, "40001") == 0 || strcmp(sqlstate, "40P01") == 0)
        return PA_ERETRY;
    if (strcmp(sqlstate, "57P01") == 0 || strcmp(sqlstate, "57P02") == 0 ||
        strcmp(sqlstate, "57P03") == 0 || strcmp(sqlstate, "55P03") == 0)
        return PA_ERETRY;
    if (strcmp(sqlstate, "23505") == 0 && dup_constraint && constraint &&
        strcmp(constraint, dup_constraint) == 0)
        return PA_EDUP;
    if (strncmp(sqlstate, "22", 2) == 0 || strncmp(sqlstate, "23", 2) == 0)
        return PA_EREJECT;
    return PA_EFATAL;
}
