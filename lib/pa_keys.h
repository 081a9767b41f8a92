/* pa_keys.h - CURVE key files: generate a key pair, write it (secret file
 * mode 0600, never overwritten), read it back. A key file holds one Z85 key
 * (40 characters) on a line of its own; lines starting with '#' are
 * comments. Knows nothing of sockets or allow-lists. */
#ifndef PA_KEYS_H
#define PA_KEYS_H

#include <stdbool.h>

#include "pa_err.h"

#define PA_KEY_Z85_LEN  40 /* a 32-byte CURVE key in Z85 */
#define PA_KEY_Z85_SIZE 41 /* ... and its NUL */

/* True when s is exactly 40 characters of valid Z85. */
bool pa_keys_z85_valid(const char *s);

/* Writes a new key pair: the secret key to secret_path (created with mode
 * 0600; PA_EINVAL when it exists: a key is never overwritten) and the
 * public key to public_path (0644), each with a comment naming `name`.
 * The public key is copied to public_z85. PA_EIO names the file. */
int pa_keys_write_pair(const char *secret_path, const char *public_path, const char *name,
                       char public_z85[PA_KEY_Z85_SIZE], pa_err_t *err);

/* Reads a secret key file; derives the public key from it. PA_EINVAL or
 * PA_EIO, the message naming the file. */
int pa_keys_read_secret(const char *path, char secret_z85[PA_KEY_Z85_SIZE],
                        char public_z85[PA_KEY_Z85_SIZE], pa_err_t *err);

/* Reads a public key file. PA_EINVAL or PA_EIO, naming the file. */
int pa_keys_read_public(const char *path, char public_z85[PA_KEY_Z85_SIZE], pa_err_t *err);

#endif
