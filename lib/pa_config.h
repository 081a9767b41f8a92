/* pa_config.h - declarative command-line and environment options. A program
 * declares one table of pa_opt_t; defaults apply first, then PINGAN_* (or
 * other) environment variables, then flags, and --help is generated from the
 * same table. String values point into argv, environ or the table: they are
 * borrowed, not copied, and live as long as the process. */
#ifndef PA_CONFIG_H
#define PA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "pa_err.h"

typedef enum {
    PA_OPT_STR = 0,  /* const char * */
    PA_OPT_INT = 1,  /* int, decimal, must fit */
    PA_OPT_BOOL = 2, /* bool; a flag without value; env "1"/"true"/"yes" */
} pa_opt_type_t;

typedef struct {
    const char *name; /* long flag without dashes; NULL ends the table */
    const char *env;  /* environment variable, or NULL */
    const char *def;  /* default as text, or NULL (unset) */
    pa_opt_type_t type;
    size_t offset;    /* offsetof the field in the config struct */
    const char *help; /* one line */
} pa_opt_t;

/* Fills cfg from opts' defaults, the environment and argv. Positional
 * arguments are left in argv[*first_arg .. argc-1]. "--help" and "--version"
 * set *help / *version and stop parsing. PA_EINVAL names the bad flag. */
int pa_config_parse(const pa_opt_t *opts, void *cfg, int argc, char **argv, int *first_arg,
                    int *help, int *version, pa_err_t *err);

/* Prints usage lines for every option, with env names and defaults. */
void pa_config_help(const pa_opt_t *opts, FILE *out);

/* What a program's command line looks like, for pa_config_cli. */
typedef struct {
    const char *prog;        /* "pingan-worker", prefixes every message */
    const char *usage;       /* printed by --help before the options */
    const char *epilogue;    /* printed by --help after them, or NULL */
    bool positional;         /* whether arguments after the flags are allowed */
    size_t log_level_offset; /* offsetof the config's `const char *log_level` */
} pa_cli_t;

/* The start-up every program shares: fills cfg from opts and argv, handles
 * --help and --version, refuses stray arguments and parses the log level
 * into *level. Returns -1 to go on (positional arguments then start at
 * argv[*first_arg]), or the exit status to end with: 0 after --help or
 * --version, 2 after a usage error, already printed as "prog: message". */
int pa_config_cli(const pa_cli_t *cli, const pa_opt_t *opts, void *cfg, int argc, char **argv,
                  int *first_arg, int *level);

#endif
