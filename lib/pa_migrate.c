/* pa_migrate.c - versioned schema creation. DDL lives only in sql/; this file
 * only decides which files to run and records them. */
#include "pa_migrate.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pa_store_sql.h"

/* Arbitrary constant naming the "schema migration" advisory lock. */
#define PA_MIGRATE_LOCK_KEY "7428190311"

int pa_migrate_latest(void)
{
    int latest = 0;
    for (const pa_migration_t *m = pa_migrations; m->name; m++)
        if (m->version > latest)
            latest = m->version;
    return latest;
}

/* Runs a command and checks its status; fills err with the server message. */
static int s_exec(PGconn *conn, const char *sql, ExecStatusType want, const char *what,
                  pa_err_t *err)
{
    int rc = PA_OK;
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != want) {
        const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        rc = pa_err_set(err, pa_err_class_sqlstate(state, NULL, NULL), "%s: %s", what,
                        PQerrorMessage(conn));
        if (err && state)
            snprintf(err->sqlstate, sizeof err->sqlstate, "%s", state);
    }
    PQclear(res);
    return rc;
}

int pa_migrate_current(PGconn *conn, int *out, pa_err_t *err)
{
    int rc = PA_OK;
    *out = 0;
    PGresult *res = PQexec(conn, PA_SQL_SCHEMA_EXISTS);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = pa_err_set(err, PA_ERETRY, "could not look for the schema: %s", PQerrorMessage(conn));
        goto cleanup;
    }
    if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), "t") != 0)
        goto cleanup; /* never initialised */
    PQclear(res);
    res = PQexec(conn, PA_SQL_SCHEMA_VERSION);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = pa_err_set(err, PA_ERETRY, "could not read the schema version: %s",
                        PQerrorMessage(conn));
        goto cleanup;
    }
    if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
        *out = atoi(PQgetvalue(res, 0, 0));
cleanup:
    PQclear(res);
    return rc;
}

/* Drops what the definition files define, so that each file re-creates its
 * objects from scratch (a changed signature or view column list included).
 * Triggers go with their functions (CASCADE) and are re-created too. */
static const char s_drop_definitions[] =
    "DO $$ DECLARE v text; BEGIN "
    "FOREACH v IN ARRAY ARRAY(SELECT c.oid::regclass::text FROM pg_class AS c "
    "WHERE c.relnamespace = 'pingan'::regnamespace AND c.relkind = 'v') LOOP "
    "EXECUTE format('DROP VIEW IF EXISTS %s CASCADE', v); END LOOP; "
    "FOREACH v IN ARRAY ARRAY(SELECT p.oid::regprocedure::text FROM pg_proc AS p "
    "WHERE p.pronamespace = 'pingan'::regnamespace) LOOP "
    "EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', v); END LOOP; END $$";

/* True in *same when every definition file's md5 is the recorded one and
 * nothing else is recorded. */
static int s_definitions_same(PGconn *conn, bool *same, pa_err_t *err)
{
    int rc = PA_OK;
    int n = 0;
    PGresult *res = NULL;
    *same = true;
    for (const pa_definition_t *d = pa_definitions; d->name && *same; d++, n++) {
        const char *params[2] = {d->name, d->sql};
        res = PQexecParams(conn,
                           "SELECT coalesce((SELECT hash FROM pingan.schema_definitions "
                           "WHERE name = $1), '') = md5($2)",
                           2, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            rc = pa_err_set(err, PA_EFATAL, "could not read pingan.schema_definitions: %s",
                            PQerrorMessage(conn));
            goto cleanup;
        }
        *same = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
        PQclear(res);
        res = NULL;
    }
    if (*same) {
        res = PQexec(conn, "SELECT count(*) FROM pingan.schema_definitions");
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            rc = pa_err_set(err, PA_EFATAL, "could not count pingan.schema_definitions: %s",
                            PQerrorMessage(conn));
            goto cleanup;
        }
        *same = atoi(PQgetvalue(res, 0, 0)) == n;
    }
cleanup:
    PQclear(res);
    return rc;
}

/* Re-creates every function and view when a definition file changed. */
static int s_apply_definitions(PGconn *conn, int *applied, pa_err_t *err)
{
    int rc = s_exec(conn, "BEGIN", PGRES_COMMAND_OK, "begin", err);
    bool in_tx = rc == PA_OK, same = false;
    if (rc == PA_OK)
        rc = s_exec(conn, "SELECT pg_advisory_xact_lock(" PA_MIGRATE_LOCK_KEY ")", PGRES_TUPLES_OK,
                    "lock", err);
    if (rc == PA_OK)
        rc = s_definitions_same(conn, &same, err);
    if (rc != PA_OK || same)
        goto cleanup;
    /* Bodies refer to objects of later files (views, temporary tables). */
    rc = s_exec(conn,
                "SET LOCAL check_function_bodies = off; SET LOCAL client_min_messages = warning",
                PGRES_COMMAND_OK, "set", err);
    if (rc == PA_OK)
        rc = s_exec(conn, s_drop_definitions, PGRES_COMMAND_OK, "dropping old definitions", err);
    if (rc == PA_OK)
        rc = s_exec(conn, "DELETE FROM pingan.schema_definitions", PGRES_COMMAND_OK,
                    "schema_definitions", err);
    for (const pa_definition_t *d = pa_definitions; rc == PA_OK && d->name; d++) {
        rc = s_exec(conn, d->sql, PGRES_COMMAND_OK, d->name, err);
        if (rc != PA_OK)
            break;
        const char *params[2] = {d->name, d->sql};
        PGresult *res = PQexecParams(conn,
                                     "INSERT INTO pingan.schema_definitions (name, hash) "
                                     "VALUES ($1, md5($2))",
                                     2, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = pa_err_set(err, PA_EFATAL, "could not record %s: %s", d->name,
                            PQerrorMessage(conn));
        PQclear(res);
        if (rc == PA_OK)
            (*applied)++;
    }
cleanup:
    if (in_tx && rc == PA_OK) {
        rc = s_exec(conn, "COMMIT", PGRES_COMMAND_OK, "commit", err);
    } else if (in_tx) {
        PGresult *res = PQexec(conn, "ROLLBACK");
        PQclear(res);
    }
    return rc;
}

int pa_migrate_apply(PGconn *conn, int *applied, pa_err_t *err)
{
    int rc = PA_OK;
    *applied = 0;
    for (const pa_migration_t *m = pa_migrations; m->name; m++) {
        int current = 0;
        bool in_tx = false;
        rc = s_exec(conn, "BEGIN", PGRES_COMMAND_OK, "begin", err);
        if (rc != PA_OK)
            goto cleanup;
        in_tx = true;
        rc = s_exec(conn, "SELECT pg_advisory_xact_lock(" PA_MIGRATE_LOCK_KEY ")", PGRES_TUPLES_OK,
                    "lock", err);
        if (rc == PA_OK)
            rc = pa_migrate_current(conn, &current, err);
        if (rc == PA_OK && m->version > current) {
            rc = s_exec(conn, m->sql, PGRES_COMMAND_OK, m->name, err);
            if (rc == PA_OK) {
                const char *params[2];
                char version[16];
                snprintf(version, sizeof version, "%d", m->version);
                params[0] = version;
                params[1] = m->name;
                PGresult *res =
                    PQexecParams(conn, PA_SQL_RECORD_MIGRATION, 2, NULL, params, NULL, NULL, 0);
                if (PQresultStatus(res) != PGRES_COMMAND_OK)
                    rc = pa_err_set(err, PA_EFATAL, "could not record %s: %s", m->name,
                                    PQerrorMessage(conn));
                PQclear(res);
            }
            if (rc == PA_OK)
                (*applied)++;
        }
        if (rc == PA_OK) {
            rc = s_exec(conn, "COMMIT", PGRES_COMMAND_OK, "commit", err);
            in_tx = false;
        }
        if (rc != PA_OK) {
            if (in_tx) {
                PGresult *res = PQexec(conn, "ROLLBACK");
                PQclear(res);
            }
            goto cleanup;
        }
    }
    rc = s_apply_definitions(conn, applied, err);
cleanup:
    return rc;
}
