/* pa_log.h - one-line structured logging to stderr for the programs:
 * `2024-03-01T10:00:00.123Z info worker key=value... message`. The library
 * itself does not log; it fills pa_err_t and the program logs once. */
#ifndef PA_LOG_H
#define PA_LOG_H

typedef enum {
    PA_LOG_ERROR = 0,
    PA_LOG_WARN = 1,
    PA_LOG_INFO = 2,
    PA_LOG_DEBUG = 3,
} pa_log_level_t;

typedef struct {
    pa_log_level_t level;  /* lines above this level are dropped */
    const char *component; /* "worker", "produce" */
} pa_log_t;

/* "error", "warn", "info", "debug" -> level; -1 when unknown. */
int pa_log_level_parse(const char *s);

/* Writes one line if level is enabled. fmt is the rest of the line
 * (key=value pairs, then the message). */
void pa_log(const pa_log_t *log, pa_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define pa_log_error(log, ...) pa_log((log), PA_LOG_ERROR, __VA_ARGS__)
#define pa_log_warn(log, ...)  pa_log((log), PA_LOG_WARN, __VA_ARGS__)
#define pa_log_info(log, ...)  pa_log((log), PA_LOG_INFO, __VA_ARGS__)
#define pa_log_debug(log, ...) pa_log((log), PA_LOG_DEBUG, __VA_ARGS__)

#endif
