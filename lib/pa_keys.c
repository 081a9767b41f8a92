/* pa_keys.c - CURVE key files (see pa_keys.h). Keys come from libzmq
 * (zmq_curve_keypair, libsodium underneath); this file only writes and
 * reads them, refusing anything that is not one valid Z85 key. */
#include "pa_keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#define PA_KEY_FILE_MAX 4096 /* a key file is a comment and one line */

bool pa_keys_z85_valid(const char *s)
{
    uint8_t bin[32];
    return s && strlen(s) == PA_KEY_Z85_LEN && zmq_z85_decode(bin, s) != NULL;
}

/* Writes text to a new file (O_EXCL: never replaces one) with mode. */
static int s_write_new(const char *path, const char *text, mode_t mode, pa_err_t *err)
{
    int rc = PA_OK;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
    if (fd < 0) {
        if (errno == EEXIST)
            return pa_err_set(err, PA_EINVAL, "%s exists: a key is never overwritten", path);
        return pa_err_set(err, PA_EIO, "could not create %s: %s", path, strerror(errno));
    }
    size_t len = strlen(text), done = 0;
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = pa_err_set(err, PA_EIO, "could not write %s: %s", path, strerror(errno));
            goto cleanup;
        }
        done += (size_t)n;
    }
    /* A key that is not on disk is worse than none: check the sync. */
    if (fsync(fd) != 0)
        rc = pa_err_set(err, PA_EIO, "could not write %s: %s", path, strerror(errno));
cleanup:
    if (close(fd) != 0 && rc == PA_OK)
        rc = pa_err_set(err, PA_EIO, "could not write %s: %s", path, strerror(errno));
    return rc;
}

int pa_keys_write_pair(const char *secret_path, const char *public_path, const char *name,
                       char public_z85[PA_KEY_Z85_SIZE], pa_err_t *err)
{
    char secret[PA_KEY_Z85_SIZE], text[256];
    int rc = PA_OK;
    if (zmq_curve_keypair(public_z85, secret) != 0)
        return pa_err_set(err, PA_EIO, "zmq_curve_keypair: %s (is libzmq built with CURVE?)",
                          zmq_strerror(zmq_errno()));
    snprintf(text, sizeof text,
             "# pingan CURVE secret key of %s: keep it private (mode 0600)\n%s\n", name, secret);
    rc = s_write_new(secret_path, text, 0600, err);
    if (rc != PA_OK)
        goto cleanup;
    snprintf(text, sizeof text, "# pingan CURVE public key of %s\n%s\n", name, public_z85);
    rc = s_write_new(public_path, text, 0644, err);
cleanup:
    memset(secret, 0, sizeof secret);
    memset(text, 0, sizeof text);
    return rc;
}

/* The one key line of a key file into key. */
static int s_read_key(const char *path, char key[PA_KEY_Z85_SIZE], pa_err_t *err)
{
    char buf[PA_KEY_FILE_MAX + 1];
    int rc = PA_OK;
    FILE *f = fopen(path, "r");
    if (!f)
        return pa_err_set(err, PA_EIO, "could not read key file %s: %s", path, strerror(errno));
    size_t len = fread(buf, 1, PA_KEY_FILE_MAX + 1, f);
    if (ferror(f)) {
        rc = pa_err_set(err, PA_EIO, "could not read key file %s: %s", path, strerror(errno));
        goto cleanup;
    }
    if (len > PA_KEY_FILE_MAX) {
        rc = pa_err_set(err, PA_EINVAL, "key file %s: larger than %d bytes", path, PA_KEY_FILE_MAX);
        goto cleanup;
    }
    buf[len] = '\0';
    key[0] = '\0';
    int lineno = 0;
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        line += strspn(line, " \t");
        size_t tok = strcspn(line, " \t\r");
        if (tok == 0 || line[0] == '#')
            continue; /* no Z85 key starts with '#' (pa_allow.h) */
        line[tok] = '\0';
        if (key[0] || !pa_keys_z85_valid(line)) {
            rc = pa_err_set(err, PA_EINVAL, "key file %s:%d: %s", path, lineno,
                            key[0] ? "more than one key" : "not a 40-character Z85 CURVE key");
            goto cleanup;
        }
        snprintf(key, PA_KEY_Z85_SIZE, "%s", line);
    }
    if (!key[0])
        rc = pa_err_set(err, PA_EINVAL, "key file %s: no key in it", path);
cleanup:
    memset(buf, 0, sizeof buf);
    fclose(f);
    return rc;
}

int pa_keys_read_secret(const char *path, char secret_z85[PA_KEY_Z85_SIZE],
                        char public_z85[PA_KEY_Z85_SIZE], pa_err_t *err)
{
    int rc = s_read_key(path, secret_z85, err);
    if (rc == PA_OK && zmq_curve_public(public_z85, secret_z85) != 0)
        rc = pa_err_set(err, PA_EINVAL, "key file %s: not a CURVE secret key: %s", path,
                        zmq_strerror(zmq_errno()));
    return rc;
}

int pa_keys_read_public(const char *path, char public_z85[PA_KEY_Z85_SIZE], pa_err_t *err)
{
    return s_read_key(path, public_z85, err);
}
