/* pa_testenv.h - what integration tests share: a throw-away database built
 * from sql/ by the real `pingan-worker --init-db`, real worker and producer
 * processes, and waiting on conditions with deadlines (never fixed sleeps).
 * PostgreSQL comes from the PG* environment; if it cannot be reached the
 * tests fail loudly rather than skip. */
#ifndef PA_TESTENV_H
#define PA_TESTENV_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <sys/types.h>

typedef struct {
    char dbname[64];
    char conninfo[256]; /* "dbname=<dbname>", the rest from PG* */
    PGconn *conn;
} pa_testdb_t;

/* Creates and migrates a fresh database; aborts the test on failure. */
void pa_testdb_create(pa_testdb_t *db);
/* Drops it (terminating leftover sessions). */
void pa_testdb_drop(pa_testdb_t *db);
/* Runs a query that must succeed and returns the first column of the first
 * row as a long (0 when NULL or no row). */
long pa_testdb_long(pa_testdb_t *db, const char *sql);
/* Same, returning a malloc'ed string (caller frees; "" for NULL). */
char *pa_testdb_text(pa_testdb_t *db, const char *sql);

/* Waits until the workers have drained the aggregation queue (aggregates
 * are computed by idle workers after the batch commits); fails the test
 * after timeout_ms. */
void pa_testdb_wait_aggregated(pa_testdb_t *db, int timeout_ms);

/* Path of a built program ("pingan-worker") or a source file ("examples/x"). */
char *pa_testenv_bin(const char *name, char *buf, size_t size);
char *pa_testenv_src(const char *rel, char *buf, size_t size);

/* A free TCP port on 127.0.0.1 ("tcp://127.0.0.1:PORT" into buf). */
char *pa_testenv_endpoint(char *buf, size_t size);

/* Starts argv with PGDATABASE=dbname (when dbname is not NULL); stdout and
 * stderr go to files (NULL = /dev/null). */
pid_t pa_testenv_spawn(char *const argv[], const char *dbname, const char *out_path,
                       const char *err_path);
/* Runs pingan-produce with args (NULL-terminated, after the program name; at
 * most 30), stdout and stderr into files as pa_testenv_spawn; waits up to
 * timeout_ms and returns its exit status. */
int pa_testenv_produce(char *const args[], const char *out_path, const char *err_path,
                       int timeout_ms);
/* The same, with standard input read from in_path. */
pid_t pa_testenv_spawn_stdin(char *const argv[], const char *dbname, const char *in_path,
                             const char *out_path, const char *err_path);
/* Waits for pid up to timeout_ms; returns its exit status, or -1 on timeout
 * (the process is then killed), or 128+signal. */
int pa_testenv_wait(pid_t pid, int timeout_ms);
/* Waits until file holds needle, up to timeout_ms. */
bool pa_testenv_wait_for_text(const char *path, const char *needle, int timeout_ms);
/* Reads a whole file (caller frees; "" when missing). */
char *pa_testenv_slurp(const char *path);

/* Starts a worker bound to endpoint on db and waits for it to be ready. */
pid_t pa_testenv_start_worker(pa_testdb_t *db, const char *endpoint, const char *err_path,
                              const char *extra_flag);
/* The same with any number of extra arguments (NULL-terminated). */
pid_t pa_testenv_start_worker_args(pa_testdb_t *db, const char *endpoint, const char *err_path,
                                   char *const extra[]);
/* SIGTERM, then wait (fails the test if it does not exit cleanly in time). */
void pa_testenv_stop_worker(pid_t pid);

/* A scratch file path unique to this process. */
char *pa_testenv_tmp(const char *name, char *buf, size_t size);

#endif
