/* pa_migrate.h - applies the sql/NNN_name.sql migrations (embedded at build
 * time) in order, each in its own transaction, recording each in
 * pingan.schema_migrations; then the definitions (every file of sql/functions
 * and sql/views): when any file's md5 differs from the one recorded in
 * pingan.schema_definitions, every function and view of the schema is dropped
 * and re-created from the files, in one transaction. Concurrent runs
 * serialize on an advisory lock. */
#ifndef PA_MIGRATE_H
#define PA_MIGRATE_H

#include "pa_pg.h"

#include "pa_err.h"

typedef struct {
    int version;      /* NNN of the file name; 0 ends the table */
    const char *name; /* file name without .sql */
    const char *sql;  /* the file's text */
} pa_migration_t;

typedef struct {
    const char *name; /* path under sql/, e.g. functions/00_base.sql; NULL ends the table */
    const char *sql;  /* the file's text */
} pa_definition_t;

/* Generated from sql/ by cmake/embed_sql.cmake; read-only. */
extern const pa_migration_t pa_migrations[];
extern const pa_definition_t pa_definitions[];

/* Highest version this build knows. */
int pa_migrate_latest(void);
/* The database's version into *out (0 when never initialised). */
int pa_migrate_current(pa_pg_t *pg, int *out, pa_err_t *err);
/* Applies every missing migration, then the definitions if any changed;
 * *applied counts the migrations and definition files applied. Errors carry
 * the file name and the server's message. */
int pa_migrate_apply(pa_pg_t *pg, int *applied, pa_err_t *err);

#endif
