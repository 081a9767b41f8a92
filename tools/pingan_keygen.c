/* pingan-keygen - write a CURVE key pair for a district office or a worker
 * (DIR/NAME.secret, mode 0600, and DIR/NAME.public; never overwrites) and
 * print the public key, or with --districts the worker's allow-list line
 * for it (format: lib/pa_allow.h, docs/security.md). Thin main over
 * pa_keys. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "pa_allow.h"
#include "pa_config.h"
#include "pa_keys.h"

typedef struct {
    const char *name;      /* office or worker name; file names and allow-list name */
    const char *out_dir;   /* where the two files go */
    const char *districts; /* "" = print only the public key */
    const char *log_level;
} s_config_t;

static const pa_opt_t s_opts[] = {
    {"name", NULL, "", PA_OPT_STR, offsetof(s_config_t, name),
     "office or worker name: [A-Za-z0-9._-], 1..63 characters (required)"},
    {"out-dir", "PINGAN_KEY_DIR", ".", PA_OPT_STR, offsetof(s_config_t, out_dir),
     "directory for NAME.secret and NAME.public"},
    {"districts", NULL, "", PA_OPT_STR, offsetof(s_config_t, districts),
     "districts the key may write (500101,500102 or *): print its allow-list line"},
    {"log-level", "PINGAN_LOG_LEVEL", "warn", PA_OPT_STR, offsetof(s_config_t, log_level),
     "error, warn, info or debug"},
    {NULL, NULL, NULL, 0, 0, NULL},
};

int main(int argc, char **argv)
{
    s_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    static const pa_cli_t cli = {
        "pingan-keygen",
        "usage: pingan-keygen --name NAME [--out-dir DIR] [--districts LIST]\n"
        "Writes a CURVE key pair DIR/NAME.secret (0600) and DIR/NAME.public.\n",
        "prints the allow-list line '<public-key> NAME LIST' with --districts, else the "
        "public key",
        false, offsetof(s_config_t, log_level)};
    int first = 0, level = 0;
    int done = pa_config_cli(&cli, s_opts, &cfg, argc, argv, &first, &level);
    if (done >= 0)
        return done;
    pa_err_t err;
    pa_err_clear(&err);
    if (!*cfg.name) {
        fprintf(stderr, "pingan-keygen: --name is required (see --help)\n");
        return 2;
    }
    /* The allow-list parser is the one judge of a name and districts: it
     * checks the line this program will print (40 '0's are a valid key). */
    char line[1024], pub[PA_KEY_Z85_SIZE] = "";
    snprintf(line, sizeof line, "%040d %s %s", 0, cfg.name, *cfg.districts ? cfg.districts : "*");
    pa_allow_t *check = NULL;
    if (pa_allow_parse(line, strlen(line), "--name/--districts", &check, &err) != PA_OK) {
        fprintf(stderr, "pingan-keygen: %s\n", err.msg);
        return 2;
    }
    pa_allow_destroy(&check);
    char secret_path[1024], public_path[1024];
    snprintf(secret_path, sizeof secret_path, "%s/%s.secret", cfg.out_dir, cfg.name);
    snprintf(public_path, sizeof public_path, "%s/%s.public", cfg.out_dir, cfg.name);
    if (pa_keys_write_pair(secret_path, public_path, cfg.name, pub, &err) != PA_OK) {
        fprintf(stderr, "pingan-keygen: %s\n", err.msg);
        return 1;
    }
    fprintf(stderr, "pingan-keygen: wrote %s (keep it private) and %s\n", secret_path, public_path);
    if (*cfg.districts)
        printf("%s %s %s\n", pub, cfg.name, cfg.districts);
    else
        printf("%s\n", pub);
    return fflush(stdout) == 0 ? 0 : 1;
}
