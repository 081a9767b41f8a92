/* pa_allow.h - the worker's allow-list: which CURVE public key may write
 * which districts. Pure: parsed from text (or a file), looked up by key,
 * and applied to a decoded submission; no sockets, no locks (pa_net owns
 * the current list and its reloads).
 *
 * Format, one entry per line, fields separated by blanks:
 *     <public-key-z85> <name> <district>[,<district>...]   [# comment]
 * name is [A-Za-z0-9._-]{1,63} (it names the office in logs); a district
 * is a 6-digit code, or "*" for every district. Blank lines and lines
 * starting with '#' are comments (no valid Z85 key starts with '#': its
 * first group would exceed 2^32). A key listed twice is an error. */
#ifndef PA_ALLOW_H
#define PA_ALLOW_H

#include <stdbool.h>
#include <stddef.h>

#include "pa_codec.h"
#include "pa_err.h"
#include "pa_keys.h"

#define PA_ALLOW_NAME_SIZE 64

typedef struct {
    char key[PA_KEY_Z85_SIZE];     /* Z85 public key; also the ZAP User-Id */
    char name[PA_ALLOW_NAME_SIZE]; /* office name, for logs and messages */
    char (*districts)[7];          /* owned; n_districts 6-digit codes */
    size_t n_districts;
    bool any_district; /* "*": every district */
} pa_allow_entry_t;

typedef struct pa_allow pa_allow_t;

/* Parses text (len bytes; need not be NUL-terminated). origin names it in
 * messages ("FILE:LINE: ..."). PA_EINVAL, PA_ENOMEM; *out on PA_OK (caller
 * destroys). */
int pa_allow_parse(const char *text, size_t len, const char *origin, pa_allow_t **out,
                   pa_err_t *err);
/* Reads and parses a file (PA_EIO names it). */
int pa_allow_load(const char *path, pa_allow_t **out, pa_err_t *err);
void pa_allow_destroy(pa_allow_t **self_p);

size_t pa_allow_count(const pa_allow_t *self);
/* The entry of a Z85 public key, or NULL (borrowed: lives as self). */
const pa_allow_entry_t *pa_allow_find(const pa_allow_t *self, const char *key_z85);
/* Whether the entry may write district (a 6-digit code). */
bool pa_allow_permits(const pa_allow_entry_t *entry, const char *district);

/* Adds an UNAUTHORIZED_DISTRICT problem to every report of sub that the
 * key user_id may not write (all of them when the key is not, or no longer,
 * on the list); returns how many reports it refused. */
size_t pa_allow_check(const pa_allow_t *self, const char *user_id, pa_submission_t *sub);

#endif
