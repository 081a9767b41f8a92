/* pa_allow.c - allow-list parsing and lookup (format in pa_allow.h). A few
 * dozen offices at most: lookups are a linear scan. */
#include "pa_allow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PA_ALLOW_FILE_MAX (4 * 1024 * 1024) /* far beyond any real list */

struct pa_allow {
    pa_allow_entry_t *items; /* owned */
    size_t n, cap;
};

void pa_allow_destroy(pa_allow_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pa_allow_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++)
        free(self->items[i].districts);
    free(self->items);
    free(self);
    *self_p = NULL;
}

size_t pa_allow_count(const pa_allow_t *self)
{
    return self ? self->n : 0;
}

const pa_allow_entry_t *pa_allow_find(const pa_allow_t *self, const char *key_z85)
{
    for (size_t i = 0; self && key_z85 && i < self->n; i++)
        if (strcmp(self->items[i].key, key_z85) == 0)
            return &self->items[i];
    return NULL;
}

bool pa_allow_permits(const pa_allow_entry_t *entry, const char *district)
{
    if (!entry)
        return false;
    if (entry->any_district)
        return true;
    for (size_t i = 0; i < entry->n_districts; i++)
        if (strcmp(entry->districts[i], district) == 0)
            return true;
    return false;
}

static bool s_name_ok(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n < PA_ALLOW_NAME_SIZE &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* Fills e's districts from "500101,500102" or "*". */
static int s_parse_districts(pa_allow_entry_t *e, char *list, const char *where, pa_err_t *err)
{
    if (strcmp(list, "*") == 0) {
        e->any_district = true;
        return PA_OK;
    }
    size_t len = strlen(list);
    if (!len || list[0] == ',' || list[len - 1] == ',' || strstr(list, ",,"))
        return pa_err_set(err, PA_EINVAL, "%s: an empty district in '%s'", where, list);
    size_t n = 1;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    e->districts = calloc(n, sizeof *e->districts);
    if (!e->districts)
        return pa_err_set(err, PA_ENOMEM, "out of memory");
    char *save = NULL;
    for (char *d = strtok_r(list, ",", &save); d; d = strtok_r(NULL, ",", &save)) {
        if (strlen(d) != 6 || strspn(d, "0123456789") != 6)
            return pa_err_set(err, PA_EINVAL, "%s: '%s' is not a 6-digit district code or '*'",
                              where, d);
        memcpy(e->districts[e->n_districts++], d, 7);
    }
    return PA_OK;
}

/* One non-comment line (modified in place) into a new entry of self. */
static int s_parse_line(pa_allow_t *self, char *line, const char *where, pa_err_t *err)
{
    char *save = NULL, *field[3] = {NULL, NULL, NULL};
    int n = 0;
    for (char *tok = strtok_r(line, " \t\r", &save); tok; tok = strtok_r(NULL, " \t\r", &save)) {
        if (n == 3) {
            if (tok[0] == '#')
                break; /* a trailing comment */
            return pa_err_set(err, PA_EINVAL, "%s: more than 3 fields (key, name, districts)",
                              where);
        }
        field[n++] = tok;
    }
    if (n < 3)
        return pa_err_set(err, PA_EINVAL, "%s: expected <public-key-z85> <name> <districts>",
                          where);
    if (!pa_keys_z85_valid(field[0]))
        return pa_err_set(err, PA_EINVAL, "%s: '%.48s' is not a 40-character Z85 public key", where,
                          field[0]);
    if (!s_name_ok(field[1]))
        return pa_err_set(err, PA_EINVAL, "%s: name '%.64s' is not 1..63 of [A-Za-z0-9._-]", where,
                          field[1]);
    const pa_allow_entry_t *dup = pa_allow_find(self, field[0]);
    if (dup)
        return pa_err_set(err, PA_EINVAL, "%s: key already listed for '%s'", where, dup->name);
    if (self->n == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 16;
        pa_allow_entry_t *items = realloc(self->items, cap * sizeof *items);
        if (!items)
            return pa_err_set(err, PA_ENOMEM, "out of memory");
        self->items = items;
        self->cap = cap;
    }
    pa_allow_entry_t *e = &self->items[self->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->key, sizeof e->key, "%s", field[0]);
    snprintf(e->name, sizeof e->name, "%s", field[1]);
    return s_parse_districts(e, field[2], where, err);
}

int pa_allow_parse(const char *text, size_t len, const char *origin, pa_allow_t **out,
                   pa_err_t *err)
{
    int rc = PA_OK;
    *out = NULL;
    char *copy = malloc(len + 1);
    pa_allow_t *self = calloc(1, sizeof *self);
    if (!copy || !self) {
        rc = pa_err_set(err, PA_ENOMEM, "out of memory");
        goto cleanup;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    if (strlen(copy) != len) {
        rc = pa_err_set(err, PA_EINVAL, "%s: holds a NUL byte: not a text file", origin);
        goto cleanup;
    }
    int lineno = 0;
    for (char *line = copy, *next; line && rc == PA_OK; line = next) {
        lineno++;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        line += strspn(line, " \t\r");
        size_t first = strcspn(line, " \t\r");
        if (first == 0 || line[0] == '#')
            continue;
        char where[512];
        snprintf(where, sizeof where, "%s:%d", origin, lineno);
        rc = s_parse_line(self, line, where, err);
    }
cleanup:
    free(copy);
    if (rc == PA_OK)
        *out = self;
    else
        pa_allow_destroy(&self);
    return rc;
}

int pa_allow_load(const char *path, pa_allow_t **out, pa_err_t *err)
{
    int rc = PA_OK;
    char *buf = NULL;
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f)
        return pa_err_set(err, PA_EIO, "could not read allow-list %s: %s", path, strerror(errno));
    buf = malloc(PA_ALLOW_FILE_MAX + 1);
    if (!buf) {
        rc = pa_err_set(err, PA_ENOMEM, "out of memory");
        goto cleanup;
    }
    size_t len = fread(buf, 1, PA_ALLOW_FILE_MAX + 1, f);
    if (ferror(f))
        rc = pa_err_set(err, PA_EIO, "could not read allow-list %s: %s", path, strerror(errno));
    else if (len > PA_ALLOW_FILE_MAX)
        rc = pa_err_set(err, PA_EINVAL, "allow-list %s: larger than %d bytes", path,
                        PA_ALLOW_FILE_MAX);
    else
        rc = pa_allow_parse(buf, len, path, out, err);
cleanup:
    free(buf);
    fclose(f);
    return rc;
}

size_t pa_allow_check(const pa_allow_t *self, const char *user_id, pa_submission_t *sub)
{
    const pa_allow_entry_t *e = pa_allow_find(self, user_id);
    size_t refused = 0;
    for (size_t i = 0; i < sub->n_items; i++) {
        const char *district = sub->items[i].report->district;
        if (pa_allow_permits(e, district))
            continue;
        refused++;
        if (e)
            pa_problems_add(&sub->items[i].problems, PA_REASON_UNAUTHORIZED_DISTRICT, "district",
                            "key %s (%s) may not write district %s", e->name, e->key, district);
        else
            pa_problems_add(&sub->items[i].problems, PA_REASON_UNAUTHORIZED_DISTRICT, "district",
                            "key %s is not (or no longer) on the worker's allow-list: it may not "
                            "write district %s",
                            user_id && *user_id ? user_id : "(none)", district);
    }
    return refused;
}
