/* pa_testenv.c - shared integration-test plumbing (see pa_testenv.h). */
#include "pa_testenv.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void s_nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

char *pa_testenv_bin(const char *name, char *buf, size_t size)
{
    const char *dir = getenv("PINGAN_BIN_DIR");
    cr_assert(dir, "PINGAN_BIN_DIR is not set (run the tests through ctest)");
    snprintf(buf, size, "%s/%s", dir, name);
    return buf;
}

char *pa_testenv_src(const char *rel, char *buf, size_t size)
{
    const char *dir = getenv("PINGAN_SOURCE_DIR");
    cr_assert(dir, "PINGAN_SOURCE_DIR is not set (run the tests through ctest)");
    snprintf(buf, size, "%s/%s", dir, rel);
    return buf;
}

char *pa_testenv_tmp(const char *name, char *buf, size_t size)
{
    const char *dir = getenv("TMPDIR");
    snprintf(buf, size, "%s/pingan-test-%d-%s", dir && *dir ? dir : "/tmp", (int)getpid(), name);
    return buf;
}

static PGconn *s_connect(const char *conninfo)
{
    PGconn *conn = PQconnectdb(conninfo);
    cr_assert(PQstatus(conn) == CONNECTION_OK,
              "PostgreSQL is not reachable (%s): integration tests need a server; set PGHOST, "
              "PGPORT, PGUSER or run scripts/test.sh, which starts one",
              PQerrorMessage(conn));
    return conn;
}

static void s_exec(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    cr_assert(PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK,
              "%s: %s", sql, PQerrorMessage(conn));
    PQclear(res);
}

void pa_testdb_create(pa_testdb_t *db)
{
    static int counter; /* test-process local: names stay unique per process */
    memset(db, 0, sizeof *db);
    snprintf(db->dbname, sizeof db->dbname, "pingan_test_%d_%d", (int)getpid(), counter++);
    snprintf(db->conninfo, sizeof db->conninfo, "dbname=%s", db->dbname);
    PGconn *admin = s_connect("dbname=postgres");
    char sql[256];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db->dbname);
    s_exec(admin, sql);
    PQfinish(admin);

    char bin[512], err_path[512];
    pa_testenv_bin("pingan-worker", bin, sizeof bin);
    pa_testenv_tmp("initdb.err", err_path, sizeof err_path);
    char *argv[] = {bin, "--init-db", NULL};
    pid_t pid = pa_testenv_spawn(argv, db->dbname, NULL, err_path);
    int status = pa_testenv_wait(pid, 60000);
    char *log = pa_testenv_slurp(err_path);
    cr_assert_eq(status, 0, "pingan-worker --init-db failed (%d): %s", status, log);
    free(log);
    db->conn = s_connect(db->conninfo);
    /* PINGAN_TEST_PARTITION=1 month|1 year: the suite runs on a partitioned
     * pingan.value (sql/functions/60_partition.sql), as an operator makes it. */
    const char *every = getenv("PINGAN_TEST_PARTITION");
    if (every && *every) {
        const char *params[] = {every};
        PGresult *res = PQexecParams(db->conn, "SELECT pingan.partition_value($1::interval)", 1,
                                     NULL, params, NULL, NULL, 0);
        cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "pingan.partition_value(%s): %s", every,
                     PQerrorMessage(db->conn));
        PQclear(res);
    }
}

void pa_testdb_drop(pa_testdb_t *db)
{
    if (db->conn)
        PQfinish(db->conn);
    db->conn = NULL;
    if (!db->dbname[0])
        return;
    PGconn *admin = s_connect("dbname=postgres");
    char sql[256];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db->dbname);
    s_exec(admin, sql);
    PQfinish(admin);
}

static PGresult *s_query(pa_testdb_t *db, const char *sql)
{
    PGresult *res = PQexec(db->conn, sql);
    cr_assert(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(db->conn));
    return res;
}

long pa_testdb_long(pa_testdb_t *db, const char *sql)
{
    PGresult *res = s_query(db, sql);
    long v = PQntuples(res) && !PQgetisnull(res, 0, 0) ? atol(PQgetvalue(res, 0, 0)) : 0;
    PQclear(res);
    return v;
}

char *pa_testdb_text(pa_testdb_t *db, const char *sql)
{
    PGresult *res = s_query(db, sql);
    char *v = strdup(PQntuples(res) && !PQgetisnull(res, 0, 0) ? PQgetvalue(res, 0, 0) : "");
    PQclear(res);
    return v;
}

void pa_testdb_wait_aggregated(pa_testdb_t *db, int timeout_ms)
{
    long deadline = s_now_ms() + timeout_ms;
    long queued;
    /* Both queues: figure keys, then the judgements they made stale. */
    while ((queued = pa_testdb_long(db, "SELECT queued_keys FROM pingan.v_aggregate_lag")) > 0 &&
           s_now_ms() < deadline)
        s_nap_ms(20);
    cr_assert_eq(queued, 0, "workers left %ld district periods unaggregated", queued);
}

char *pa_testenv_endpoint(char *buf, size_t size)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0, "socket: %s", strerror(errno));
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    cr_assert(bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0, "bind: %s", strerror(errno));
    cr_assert(getsockname(fd, (struct sockaddr *)&addr, &len) == 0);
    snprintf(buf, size, "tcp://127.0.0.1:%d", ntohs(addr.sin_port));
    close(fd);
    return buf;
}

pid_t pa_testenv_spawn(char *const argv[], const char *dbname, const char *out_path,
                       const char *err_path)
{
    return pa_testenv_spawn_stdin(argv, dbname, "/dev/null", out_path, err_path);
}

int pa_testenv_produce(char *const args[], const char *out_path, const char *err_path,
                       int timeout_ms)
{
    char bin[512];
    char *argv[32] = {pa_testenv_bin("pingan-produce", bin, sizeof bin)};
    int n = 1;
    for (int i = 0; args[i]; i++) {
        cr_assert_lt(n, 31, "too many arguments for pingan-produce");
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    return pa_testenv_wait(pa_testenv_spawn(argv, NULL, out_path, err_path), timeout_ms);
}

pid_t pa_testenv_spawn_stdin(char *const argv[], const char *dbname, const char *in_path,
                             const char *out_path, const char *err_path)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, in_path, O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_path ? out_path : "/dev/null",
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err_path ? err_path : "/dev/null",
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    /* Environment: ours, with PGDATABASE replaced. */
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 2, sizeof *env);
    cr_assert(env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "PGDATABASE=", 11) != 0)
            env[k++] = environ[i];
    char dbvar[128];
    if (dbname) {
        snprintf(dbvar, sizeof dbvar, "PGDATABASE=%s", dbname);
        env[k++] = dbvar;
    }
    env[k] = NULL;
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    cr_assert_eq(rc, 0, "could not start %s: %s", argv[0], strerror(rc));
    return pid;
}

int pa_testenv_wait(pid_t pid, int timeout_ms)
{
    long deadline = s_now_ms() + timeout_ms;
    int status;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (s_now_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        s_nap_ms(10);
    }
}

char *pa_testenv_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return strdup("");
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)len + 1);
    cr_assert(buf);
    size_t got = fread(buf, 1, (size_t)len, f);
    buf[got] = '\0';
    fclose(f);
    return buf;
}

bool pa_testenv_wait_for_text(const char *path, const char *needle, int timeout_ms)
{
    long deadline = s_now_ms() + timeout_ms;
    do {
        char *text = pa_testenv_slurp(path);
        bool found = strstr(text, needle) != NULL;
        free(text);
        if (found)
            return true;
        s_nap_ms(20);
    } while (s_now_ms() < deadline);
    return false;
}

pid_t pa_testenv_start_worker(pa_testdb_t *db, const char *endpoint, const char *err_path,
                              const char *extra_flag)
{
    char *const extra[] = {(char *)extra_flag, NULL};
    return pa_testenv_start_worker_args(db, endpoint, err_path, extra);
}

pid_t pa_testenv_start_worker_args(pa_testdb_t *db, const char *endpoint, const char *err_path,
                                   char *const extra[])
{
    char bin[512];
    pa_testenv_bin("pingan-worker", bin, sizeof bin);
    char *argv[32] = {bin, "--bind", (char *)endpoint, "--log-level", "debug"};
    size_t n = 5;
    for (size_t i = 0; extra[i] && n < 31; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    pid_t pid = pa_testenv_spawn(argv, db->dbname, NULL, err_path);
    if (!pa_testenv_wait_for_text(err_path, " ready", 20000)) {
        char *log = pa_testenv_slurp(err_path);
        kill(pid, SIGKILL);
        cr_assert_fail("worker did not become ready: %s", log);
    }
    return pid;
}

void pa_testenv_stop_worker(pid_t pid)
{
    kill(pid, SIGTERM);
    int status = pa_testenv_wait(pid, 20000);
    cr_assert_eq(status, 0, "worker did not stop cleanly on SIGTERM (status %d)", status);
}
