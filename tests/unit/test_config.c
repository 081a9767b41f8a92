/* test_config.c - unit tests for pa_config: defaults, then environment, then
 * flags (flags win); both flag forms, booleans, positional arguments, every
 * usage error, and the generated --help. The environment variables are
 * test-only names, cleared before each test. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* setenv, unsetenv, open_memstream */
#endif

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pa_config.h"

/* ---------------------------------------------------------------- fixture */

typedef struct {
    const char *endpoint;
    int batch_size;
    bool verbose;
    const char *name; /* no default, no environment variable */
    int batch;        /* a name that is a prefix of another ("batch-size") */
} s_cfg_t;

static const pa_opt_t s_opts[] = {
    {"endpoint", "PINGAN_UT_ENDPOINT", "tcp://127.0.0.1:5560", PA_OPT_STR,
     offsetof(s_cfg_t, endpoint), "worker endpoint"},
    {"batch-size", "PINGAN_UT_BATCH_SIZE", "500", PA_OPT_INT, offsetof(s_cfg_t, batch_size),
     "reports per transaction"},
    {"verbose", "PINGAN_UT_VERBOSE", "0", PA_OPT_BOOL, offsetof(s_cfg_t, verbose), "log more"},
    {"name", NULL, NULL, PA_OPT_STR, offsetof(s_cfg_t, name), "a name"},
    {"batch", "PINGAN_UT_BATCH", "7", PA_OPT_INT, offsetof(s_cfg_t, batch), "batches"},
    {NULL, NULL, NULL, 0, 0, NULL},
};

static void s_clean_env(void)
{
    unsetenv("PINGAN_UT_ENDPOINT");
    unsetenv("PINGAN_UT_BATCH_SIZE");
    unsetenv("PINGAN_UT_VERBOSE");
    unsetenv("PINGAN_UT_BATCH");
}

TestSuite(config, .init = s_clean_env, .fini = s_clean_env);

typedef struct {
    s_cfg_t cfg;
    int rc;
    int first_arg;
    int help;
    int version;
    pa_err_t err;
} s_result_t;

/* Runs pa_config_parse on a NULL-terminated argument list (argv[0] added). */
#define S_PARSE(res, ...)                                                                          \
    do {                                                                                           \
        char *s_argv_[] = {"prog", __VA_ARGS__, NULL};                                             \
        s_parse((res), (int)(sizeof s_argv_ / sizeof s_argv_[0]) - 1, s_argv_);                    \
    } while (0)

static void s_parse(s_result_t *res, int argc, char **argv)
{
    memset(res, 0, sizeof *res);
    res->cfg.name = "untouched";
    res->first_arg = -1;
    res->help = -1;
    res->version = -1;
    pa_err_clear(&res->err);
    res->rc = pa_config_parse(s_opts, &res->cfg, argc, argv, &res->first_arg, &res->help,
                              &res->version, &res->err);
}

static void s_expect_einval(const s_result_t *res, const char *needle)
{
    cr_expect_eq(res->rc, PA_EINVAL, "rc %d", res->rc);
    cr_expect_eq(res->err.code, PA_EINVAL);
    cr_expect_neq(strstr(res->err.msg, needle), NULL, "message '%s' does not name '%s'",
                  res->err.msg, needle);
}

/* ---------------------------------------------------------------- sources */

Test(config, defaults_apply_without_env_or_flags)
{
    s_result_t res;
    char *argv[] = {"prog", NULL};
    s_parse(&res, 1, argv);
    cr_assert_eq(res.rc, PA_OK, "%s", res.err.msg);
    cr_assert_str_eq(res.cfg.endpoint, "tcp://127.0.0.1:5560");
    cr_assert_eq(res.cfg.batch_size, 500);
    cr_assert_eq(res.cfg.verbose, false);
    cr_assert_eq(res.cfg.batch, 7);
    cr_assert_str_eq(res.cfg.name, "untouched", "an option without default was written");
    cr_assert_eq(res.first_arg, 1);
    cr_assert_eq(res.help, 0);
    cr_assert_eq(res.version, 0);
}

Test(config, env_overrides_defaults)
{
    setenv("PINGAN_UT_ENDPOINT", "tcp://10.0.0.1:7000", 1);
    setenv("PINGAN_UT_BATCH_SIZE", "20", 1);
    setenv("PINGAN_UT_VERBOSE", "yes", 1);
    s_result_t res;
    char *argv[] = {"prog", NULL};
    s_parse(&res, 1, argv);
    cr_assert_eq(res.rc, PA_OK, "%s", res.err.msg);
    cr_assert_str_eq(res.cfg.endpoint, "tcp://10.0.0.1:7000");
    cr_assert_eq(res.cfg.batch_size, 20);
    cr_assert_eq(res.cfg.verbose, true);
    cr_assert_eq(res.cfg.batch, 7, "an unset variable changed the default");
}

Test(config, env_booleans)
{
    static const struct {
        const char *text;
        bool on;
    } cases[] = {
        {"1", true},      {"true", true}, {"yes", true},  {"on", true}, {"0", false},
        {"false", false}, {"no", false},  {"off", false}, {"", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s_result_t res;
        char *argv[] = {"prog", NULL};
        /* Start from the opposite value so that a no-op cannot pass. */
        setenv("PINGAN_UT_VERBOSE", cases[i].on ? "0" : "1", 1);
        s_parse(&res, 1, argv);
        cr_assert_eq(res.cfg.verbose, !cases[i].on);
        setenv("PINGAN_UT_VERBOSE", cases[i].text, 1);
        s_parse(&res, 1, argv);
        cr_expect_eq(res.rc, PA_OK, "'%s': %s", cases[i].text, res.err.msg);
        cr_expect_eq(res.cfg.verbose, cases[i].on, "'%s'", cases[i].text);
    }
}

Test(config, bad_env_values_name_the_variable)
{
    s_result_t res;
    char *argv[] = {"prog", NULL};
    setenv("PINGAN_UT_BATCH_SIZE", "lots", 1);
    s_parse(&res, 1, argv);
    s_expect_einval(&res, "PINGAN_UT_BATCH_SIZE");
    cr_expect_neq(strstr(res.err.msg, "'lots'"), NULL, "%s", res.err.msg);
    unsetenv("PINGAN_UT_BATCH_SIZE");
    setenv("PINGAN_UT_VERBOSE", "maybe", 1);
    s_parse(&res, 1, argv);
    s_expect_einval(&res, "PINGAN_UT_VERBOSE");
}

Test(config, flags_override_env)
{
    setenv("PINGAN_UT_ENDPOINT", "tcp://10.0.0.1:7000", 1);
    setenv("PINGAN_UT_BATCH_SIZE", "20", 1);
    s_result_t res;
    S_PARSE(&res, "--batch-size", "30", "--endpoint", "ipc:///tmp/w");
    cr_assert_eq(res.rc, PA_OK, "%s", res.err.msg);
    cr_assert_eq(res.cfg.batch_size, 30);
    cr_assert_str_eq(res.cfg.endpoint, "ipc:///tmp/w");
    cr_assert_eq(res.first_arg, 5);
}

Test(config, later_flag_wins)
{
    s_result_t res;
    S_PARSE(&res, "--batch-size=1", "--batch-size", "2");
    cr_assert_eq(res.rc, PA_OK, "%s", res.err.msg);
    cr_assert_eq(res.cfg.batch_size, 2);
}

Test(config, equals_form)
{
    s_result_t res;
    S_PARSE(&res, "--batch-size=42", "--endpoint=tcp://h:1?a=b", "--name=");
    cr_assert_eq(res.rc, PA_OK, "%s", res.err.msg);
    cr_assert_eq(res.cfg.batch_size, 42);
    /* Only the first '=' separates: the value may hold more. */
    cr_assert_str_eq(res.cfg.endpoint, "tcp://h:1?a=b");
    cr_assert_str_eq(res.cfg.name, "");
    cr_assert_eq(res.first_arg, 4);
}

Test(config, string_values_are_borrowed_from_argv)
{
    char endpoint[] = "tcp://borrowed:1";
    char *argv[] = {"prog", "--endpoint", endpoint, NULL};
    s_result_t res;
    s_parse(&res, 3, argv);
    cr_assert_eq(res.rc, PA_OK, "%s", res.err.msg);
    cr_assert_eq(res.cfg.endpoint, endpoint, "header promises a borrowed pointer, not a copy");
}

Test(config, int_limits_and_signs)
{
    s_result_t res;
    S_PARSE(&res, "--batch-size=-3");
    cr_assert_eq(res.rc, PA_OK, "%s", res.err.msg);
    cr_assert_eq(res.cfg.batch_size, -3);
    S_PARSE(&res, "--batch-size", "2147483647");
    cr_assert_eq(res.rc, PA_OK, "%s", res.err.msg);
    cr_assert_eq(res.cfg.batch_size, 2147483647);
    S_PARSE(&res, "--batch-size=-2147483648");
    cr_assert_eq(res.rc, PA_OK, "%s", res.err.msg);
    cr_assert_eq(res.cfg.batch_size, -2147483647 - 1);
}

/* ---------------------------------------------------------------- booleans */

Test(config, bool_flag_without_value_sets_true)
{
    s_result_t res;
    S_PARSE(&res, "--verbose", "file.csv");
    cr_assert_eq(res.rc, PA_OK, "%s", res.err.msg);
    cr_assert_eq(res.cfg.verbose, true);
    /* The bool took no value: the next word is positional. */
    cr_assert_eq(res.first_arg, 2);
}

Test(config, bool_flag_with_value)
{
    setenv("PINGAN_UT_VERBOSE", "1", 1);
    s_result_t res;
    S_PARSE(&res, "--verbose=false");
    cr_assert_eq(res.rc, PA_OK, "%s", res.err.msg);
    cr_assert_eq(res.cfg.verbose, false, "--verbose=false did not override the environment");
    S_PARSE(&res, "--verbose=off");
    cr_assert_eq(res.cfg.verbose, false);
    unsetenv("PINGAN_UT_VERBOSE");
    S_PARSE(&res, "--verbose=on");
    cr_assert_eq(res.rc, PA_OK, "%s", res.err.msg);
    cr_assert_eq(res.cfg.verbose, true);
    S_PARSE(&res, "--verbose=maybe");
    s_expect_einval(&res, "maybe");
    cr_expect_neq(strstr(res.err.msg, "--verbose"), NULL, "%s", res.err.msg);
}

/* ---------------------------------------------------------------- errors */

Test(config, unknown_flag_is_an_error)
{
    static const char *const bad[] = {"--nope",      "--batch-siz", "--batch-size-x=1",
                                      "--endpointx", "--verbose2",  "--Endpoint=x",
                                      "--=x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_result_t res;
        char *argv[] = {"prog", (char *)bad[i], "value", NULL};
        s_parse(&res, 3, argv);
        cr_expect_eq(res.rc, PA_EINVAL, "'%s' accepted", bad[i]);
        cr_expect_neq(strstr(res.err.msg, bad[i]), NULL, "'%s': message '%s'", bad[i], res.err.msg);
        cr_expect_neq(strstr(res.err.msg, "unknown option"), NULL, "%s", res.err.msg);
    }
}

Test(config, prefix_names_match_exactly)
{
    /* "batch" is a prefix of "batch-size"; each flag sets only its own field. */
    s_result_t res;
    S_PARSE(&res, "--batch=3", "--batch-size=4");
    cr_assert_eq(res.rc, PA_OK, "%s", res.err.msg);
    cr_assert_eq(res.cfg.batch, 3);
    cr_assert_eq(res.cfg.batch_size, 4);
    S_PARSE(&res, "--batch-size", "5", "--batch", "6");
    cr_assert_eq(res.rc, PA_OK, "%s", res.err.msg);
    cr_assert_eq(res.cfg.batch_size, 5);
    cr_assert_eq(res.cfg.batch, 6);
}

Test(config, missing_value_is_an_error)
{
    s_result_t res;
    S_PARSE(&res, "--endpoint");
    s_expect_einval(&res, "--endpoint needs a value");
    S_PARSE(&res, "--verbose", "--batch-size");
    s_expect_einval(&res, "--batch-size needs a value");
}

Test(config, bad_int_is_an_error)
{
    static const char *const bad[] = {"12x",          "",    "abc", "1.5", "99999999999",
                                      "-99999999999", "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char flag[64];
        snprintf(flag, sizeof flag, "--batch-size=%s", bad[i]);
        s_result_t res;
        char *argv[] = {"prog", flag, NULL};
        s_parse(&res, 2, argv);
        cr_expect_eq(res.rc, PA_EINVAL, "'%s' accepted as %d", bad[i], res.cfg.batch_size);
        char quoted[64];
        snprintf(quoted, sizeof quoted, "'%s' is not a whole number", bad[i]);
        cr_expect_neq(strstr(res.err.msg, quoted), NULL, "'%s': message '%s'", bad[i], res.err.msg);
    }
    s_result_t res;
    S_PARSE(&res, "--batch-size", "many");
    s_expect_einval(&res, "'many'");
}

/* ---------------------------------------------------------------- positional */

Test(config, positional_arguments_are_left)
{
    s_result_t res;
    char *argv[] = {"prog", "--batch-size", "5", "a.csv", "b.csv", NULL};
    s_parse(&res, 5, argv);
    cr_assert_eq(res.rc, PA_OK, "%s", res.err.msg);
    cr_assert_eq(res.first_arg, 3);
    cr_assert_str_eq(argv[res.first_arg], "a.csv");
    cr_assert_eq(res.cfg.batch_size, 5);
}

Test(config, parsing_stops_at_the_first_positional)
{
    s_result_t res;
    S_PARSE(&res, "a.csv", "--verbose");
    cr_assert_eq(res.rc, PA_OK, "%s", res.err.msg);
    cr_assert_eq(res.first_arg, 1);
    cr_assert_eq(res.cfg.verbose, false);
}

Test(config, dash_is_stdin_and_double_dash_ends_flags)
{
    s_result_t res;
    S_PARSE(&res, "--verbose", "-", "x");
    cr_assert_eq(res.rc, PA_OK, "%s", res.err.msg);
    cr_assert_eq(res.first_arg, 2);
    S_PARSE(&res, "--", "--verbose", "--nope");
    cr_assert_eq(res.rc, PA_OK, "%s", res.err.msg);
    cr_assert_eq(res.first_arg, 2);
    cr_assert_eq(res.cfg.verbose, false, "a word after -- was taken as a flag");
    S_PARSE(&res, "--batch-size=9", "--");
    cr_assert_eq(res.rc, PA_OK, "%s", res.err.msg);
    cr_assert_eq(res.first_arg, 3); /* == argc: no positional argument */
}

/* ---------------------------------------------------------------- help */

Test(config, help_and_version_stop_parsing)
{
    s_result_t res;
    S_PARSE(&res, "--help", "--nope");
    cr_assert_eq(res.rc, PA_OK, "%s", res.err.msg);
    cr_assert_eq(res.help, 1);
    cr_assert_eq(res.version, 0);
    S_PARSE(&res, "--batch-size=3", "--version", "--nope");
    cr_assert_eq(res.rc, PA_OK, "%s", res.err.msg);
    cr_assert_eq(res.version, 1);
    cr_assert_eq(res.help, 0);
}

Test(config, short_h_is_help)
{
    /* pa_config.c compares the argument with "-h" to set help, but only after
     * an earlier test has already taken any single-dash word as positional. */
    s_result_t res;
    S_PARSE(&res, "-h");
    cr_assert_eq(res.rc, PA_OK, "%s", res.err.msg);
    cr_expect_eq(res.help, 1, "-h was not taken as --help (first_arg=%d)", res.first_arg);
}

Test(config, help_text_lists_every_option)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    cr_assert_not_null(out);
    pa_config_help(s_opts, out);
    cr_assert_eq(fclose(out), 0);
    cr_assert_not_null(text);
    static const char *const needles[] = {
        "--endpoint VALUE",
        "worker endpoint",
        "[env PINGAN_UT_ENDPOINT]",
        "(default tcp://127.0.0.1:5560)",
        "--batch-size N",
        "(default 500)",
        "--verbose ",
        "--name VALUE",
        "--help",
        "--version",
    };
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++)
        cr_expect_neq(strstr(text, needles[i]), NULL, "'%s' missing from:\n%s", needles[i], text);
    cr_expect_eq(strstr(text, "--verbose VALUE"), NULL, "a bool flag shown with a value");
    /* --name has neither default nor environment variable. */
    const char *name_line = strstr(text, "--name");
    cr_assert_not_null(name_line);
    const char *eol = strchr(name_line, '\n');
    cr_assert_not_null(eol);
    cr_expect_eq(memchr(name_line, '[', (size_t)(eol - name_line)), NULL);
    cr_expect_eq(memchr(name_line, '(', (size_t)(eol - name_line)), NULL);
    free(text);
}
