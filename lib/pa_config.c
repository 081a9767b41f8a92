/* pa_config.c - fills a config struct from an option table. */
#include "pa_config.h"

#include "pa_log.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static int s_set(const pa_opt_t *o, void *cfg, const char *value, const char *origin, pa_err_t *err)
{
    char *field = (char *)cfg + o->offset;
    switch (o->type) {
    case PA_OPT_STR:
        *(const char **)field = value;
        return PA_OK;
    case PA_OPT_INT: {
        char *end = NULL;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end || v < INT_MIN || v > INT_MAX)
            return pa_err_set(err, PA_EINVAL, "%s: '%s' is not a whole number", origin, value);
        *(int *)field = (int)v;
        return PA_OK;
    }
    case PA_OPT_BOOL: {
        bool on = strcmp(value, "1") == 0 || strcmp(value, "true") == 0 ||
                  strcmp(value, "yes") == 0 || strcmp(value, "on") == 0;
        bool off = strcmp(value, "0") == 0 || strcmp(value, "false") == 0 ||
                   strcmp(value, "no") == 0 || strcmp(value, "off") == 0 || !*value;
        if (!on && !off)
            return pa_err_set(err, PA_EINVAL, "%s: '%s' is not a boolean", origin, value);
        *(bool *)field = on;
        return PA_OK;
    }
    }
    return pa_err_set(err, PA_EFATAL, "option %s has no type", o->name);
}

int pa_config_parse(const pa_opt_t *opts, void *cfg, int argc, char **argv, int *first_arg,
                    int *help, int *version, pa_err_t *err)
{
    *help = 0;
    *version = 0;
    for (const pa_opt_t *o = opts; o->name; o++) {
        if (o->def) {
            int rc = s_set(o, cfg, o->def, o->name, err);
            if (rc != PA_OK)
                return rc;
        }
        const char *env = o->env ? getenv(o->env) : NULL;
        if (env) {
            int rc = s_set(o, cfg, env, o->env, err);
            if (rc != PA_OK)
                return rc;
        }
    }
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            *help = 1;
            return PA_OK;
        }
        if (strcmp(a, "--version") == 0) {
            *version = 1;
            return PA_OK;
        }
        if (a[0] != '-' || strcmp(a, "-") == 0)
            break; /* first positional argument ("-" is stdin) */
        if (strncmp(a, "--", 2) != 0)
            return pa_err_set(err, PA_EINVAL, "unknown option '%s' (see --help)", a);
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const pa_opt_t *o = opts;
        while (o->name && (strlen(o->name) != len || strncmp(o->name, name, len) != 0))
            o++;
        if (!o->name)
            return pa_err_set(err, PA_EINVAL, "unknown option '%s' (see --help)", a);
        const char *value = eq ? eq + 1 : NULL;
        if (!value && o->type == PA_OPT_BOOL)
            value = "1";
        if (!value) {
            if (i + 1 >= argc)
                return pa_err_set(err, PA_EINVAL, "option --%s needs a value", o->name);
            value = argv[++i];
        }
        int rc = s_set(o, cfg, value, a, err);
        if (rc != PA_OK)
            return rc;
    }
    *first_arg = i;
    return PA_OK;
}

void pa_config_help(const pa_opt_t *opts, FILE *out)
{
    for (const pa_opt_t *o = opts; o->name; o++) {
        char flag[64];
        snprintf(flag, sizeof flag, "--%s%s", o->name,
                 o->type == PA_OPT_BOOL ? "" : (o->type == PA_OPT_INT ? " N" : " VALUE"));
        fprintf(out, "  %-28s %s", flag, o->help);
        if (o->env)
            fprintf(out, " [env %s]", o->env);
        if (o->def && *o->def)
            fprintf(out, " (default %s)", o->def);
        fputc('\n', out);
    }
    fprintf(out, "  %-28s %s\n  %-28s %s\n", "--help", "show this help and exit", "--version",
            "show the version and exit");
}

int pa_config_cli(const pa_cli_t *cli, const pa_opt_t *opts, void *cfg, int argc, char **argv,
                  int *first_arg, int *level)
{
    pa_err_t err;
    int help = 0, version = 0;
    if (pa_config_parse(opts, cfg, argc, argv, first_arg, &help, &version, &err) != PA_OK) {
        fprintf(stderr, "%s: %s\n", cli->prog, err.msg);
        return 2;
    }
    if (help) {
        printf("%s\n", cli->usage);
        pa_config_help(opts, stdout);
        if (cli->epilogue)
            printf("\n%s\n", cli->epilogue);
        return 0;
    }
    if (version) {
        printf("%s %s\n", cli->prog, PINGAN_VERSION);
        return 0;
    }
    if (!cli->positional && *first_arg < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", cli->prog, argv[*first_arg]);
        return 2;
    }
    const char *name = *(const char **)((const char *)cfg + cli->log_level_offset);
    *level = pa_log_level_parse(name);
    if (*level < 0) {
        fprintf(stderr, "%s: --log-level: '%s' is not error, warn, info or debug\n", cli->prog,
                name ? name : "");
        return 2;
    }
    return -1;
}
