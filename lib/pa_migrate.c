/* pa_migrate.c - versioned schema creation. DDL lives only in sql/; this file
 * only decides which files to run and records them. */
#include "pa_migrate.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pa_pg.h"
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

/* Runs a command (a whole file, perhaps) and checks its status; the error
 * names what, not the text. */
static int s_exec(pa_pg_t *pg, const char *sql, ExecStatusType want, const char *what,
                  pa_err_t *err)
{
    int rc = PA_OK;
    PGresult *res = PQexec(pa_pg_conn(pg), sql);
    if (PQresultStatus(res) != want)
        rc = pa_pg_err(err, pg, res, what, NULL);
    PQclear(res);
    return rc;
}

/* A one-row query with text parameters; *out (caller PQclears) on success. */
static int s_query(pa_pg_t *pg, const char *sql, int n, const char *const *params, const char *what,
                   PGresult **out, pa_err_t *err)
{
    PGresult *res = n ? PQexecParams(pa_pg_conn(pg), sql, n, NULL, params, NULL, NULL, 0)
                      : PQexec(pa_pg_conn(pg), sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
        int rc = pa_pg_err(err, pg, res, what, NULL);
        PQclear(res);
        *out = NULL;
        return rc;
    }
    *out = res;
    return PA_OK;
}

int pa_migrate_current(pa_pg_t *pg, int *out, pa_err_t *err)
{
    int rc = PA_OK;
    *out = 0;
    PGresult *res = NULL;
    rc = s_query(pg, PA_SQL_SCHEMA_EXISTS, 0, NULL, "could not look for the schema", &res, err);
    if (rc != PA_OK)
        goto cleanup;
    if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), "t") != 0)
        goto cleanup; /* never initialised */
    PQclear(res);
    rc =
        s_query(pg, PA_SQL_SCHEMA_VERSION, 0, NULL, "could not read the schema version", &res, err);
    if (rc != PA_OK)
        goto cleanup;
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
static int s_definitions_same(pa_pg_t *pg, bool *same, pa_err_t *err)
{
    int rc = PA_OK;
    int n = 0;
    PGresult *res = NULL;
    *same = true;
    for (const pa_definition_t *d = pa_definitions; d->name && *same; d++, n++) {
        const char *params[2] = {d->name, d->sql};
        rc = s_query(pg,
                     "SELECT coalesce((SELECT hash FROM pingan.schema_definitions "
                     "WHERE name = $1), '') = md5($2)",
                     2, params, "could not read pingan.schema_definitions", &res, err);
        if (rc != PA_OK)
            goto cleanup;
        *same = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
        PQclear(res);
        res = NULL;
    }
    if (*same) {
        rc = s_query(pg, "SELECT count(*) FROM pingan.schema_definitions", 0, NULL,
                     "could not count pingan.schema_definitions", &res, err);
        if (rc != PA_OK)
            goto cleanup;
        *same = atoi(PQgetvalue(res, 0, 0)) == n;
    }
cleanup:
    PQclear(res);
    return rc;
}

/* Re-creates every function and view when a definition file changed. */
static int s_apply_definitions(pa_pg_t *pg, int *applied, pa_err_t *err)
{
    int rc = s_exec(pg, "BEGIN", PGRES_COMMAND_OK, "begin", err);
    bool in_tx = rc == PA_OK, same = false;
    if (rc == PA_OK)
        rc = s_exec(pg, "SELECT pg_advisory_xact_lock(" PA_MIGRATE_LOCK_KEY ")", PGRES_TUPLES_OK,
                    "lock", err);
    if (rc == PA_OK)
        rc = s_definitions_same(pg, &same, err);
    if (rc != PA_OK || same)
        goto cleanup;
    /* Bodies refer to objects of later files (views, temporary tables). */
    rc =
        s_exec(pg, "SET LOCAL check_function_bodies = off; SET LOCAL client_min_messages = warning",
               PGRES_COMMAND_OK, "set", err);
    if (rc == PA_OK)
        rc = s_exec(pg, s_drop_definitions, PGRES_COMMAND_OK, "dropping old definitions", err);
    if (rc == PA_OK)
        rc = s_exec(pg, "DELETE FROM pingan.schema_definitions", PGRES_COMMAND_OK,
                    "schema_definitions", err);
    for (const pa_definition_t *d = pa_definitions; rc == PA_OK && d->name; d++) {
        rc = s_exec(pg, d->sql, PGRES_COMMAND_OK, d->name, err);
        if (rc != PA_OK)
            break;
        const char *params[2] = {d->name, d->sql};
        PGresult *res = NULL;
        rc = s_query(pg, "INSERT INTO pingan.schema_definitions (name, hash) VALUES ($1, md5($2))",
                     2, params, d->name, &res, err);
        PQclear(res);
        if (rc == PA_OK)
            (*applied)++;
    }
cleanup:
    if (in_tx && rc == PA_OK) {
        rc = s_exec(pg, "COMMIT", PGRES_COMMAND_OK, "commit", err);
    } else if (in_tx) {
        pa_pg_rollback(pg);
    }
    return rc;
}

int pa_migrate_apply(pa_pg_t *pg, int *applied, pa_err_t *err)
{
    int rc = PA_OK;
    *applied = 0;
    for (const pa_migration_t *m = pa_migrations; m->name; m++) {
        int current = 0;
        bool in_tx = false;
        rc = s_exec(pg, "BEGIN", PGRES_COMMAND_OK, "begin", err);
        if (rc != PA_OK)
            goto cleanup;
        in_tx = true;
        rc = s_exec(pg, "SELECT pg_advisory_xact_lock(" PA_MIGRATE_LOCK_KEY ")", PGRES_TUPLES_OK,
                    "lock", err);
        if (rc == PA_OK)
            rc = pa_migrate_current(pg, &current, err);
        if (rc == PA_OK && m->version > current) {
            rc = s_exec(pg, m->sql, PGRES_COMMAND_OK, m->name, err);
            if (rc == PA_OK) {
                const char *params[2];
                char version[16];
                snprintf(version, sizeof version, "%d", m->version);
                params[0] = version;
                params[1] = m->name;
                PGresult *res = NULL;
                rc = s_query(pg, PA_SQL_RECORD_MIGRATION, 2, params, m->name, &res, err);
                PQclear(res);
            }
            if (rc == PA_OK)
                (*applied)++;
        }
        if (rc == PA_OK) {
            rc = s_exec(pg, "COMMIT", PGRES_COMMAND_OK, "commit", err);
            in_tx = false;
        }
        if (rc != PA_OK) {
            if (in_tx)
                pa_pg_rollback(pg);
            goto cleanup;
        }
    }
    rc = s_apply_definitions(pg, applied, err);
cleanup:
    return rc;
}
