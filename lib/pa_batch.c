/* pa_batch.c - pending entries and their accounting (see pa_batch.h). */
#include "pa_batch.h"

#include <stdlib.h>
#include <string.h>

#include "pa_vec.h"

struct pa_batch {
    pa_batch_limits_t lim;
    pa_batch_entry_t *items;
    size_t n, cap;
    size_t reports;    /* reports, and refused frames, pending */
    size_t bytes;      /* wire bytes held */
    int64_t oldest_ms; /* arrival of the first entry */
    /* Views handed to the sink, rebuilt by pa_batch_views. */
    pa_submission_t **subs;
    size_t cap_subs;
    pa_frame_t *frames;
    size_t cap_frames;
};

pa_batch_t *pa_batch_new(const pa_batch_limits_t *lim)
{
    pa_batch_t *self = calloc(1, sizeof *self);
    if (self)
        self->lim = *lim;
    return self;
}

static void s_entry_clear(pa_batch_entry_t *e)
{
    pa_submission_destroy(&e->sub);
    free((char *)e->frame.sender);
    free((char *)e->frame.message);
    free((void *)e->frame.raw);
    memset(&e->frame, 0, sizeof e->frame);
}

void pa_batch_clear(pa_batch_t *self)
{
    for (size_t i = 0; i < self->n; i++)
        s_entry_clear(&self->items[i]);
    self->n = 0;
    self->reports = 0;
    self->bytes = 0;
}

void pa_batch_destroy(pa_batch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pa_batch_t *self = *self_p;
    pa_batch_clear(self);
    free(self->items);
    free(self->subs);
    free(self->frames);
    free(self);
    *self_p = NULL;
}

static pa_batch_entry_t *s_push(pa_batch_t *self, const void *id, size_t id_len, const void *tag,
                                size_t tag_len, int64_t now_ms)
{
    if (id_len > PA_BATCH_ID_MAX || tag_len > PA_BATCH_TAG_MAX)
        return NULL;
    void *items = self->items;
    pa_batch_entry_t *e = pa_vec_push(&items, self->n, &self->cap, sizeof *e, 64);
    self->items = items;
    if (!e)
        return NULL;
    memset(e, 0, sizeof *e);
    memcpy(e->id, id, id_len);
    e->id_len = id_len;
    if (tag_len)
        memcpy(e->tag, tag, tag_len);
    e->tag_len = tag_len;
    if (self->n == 0)
        self->oldest_ms = now_ms;
    return e;
}

int pa_batch_add(pa_batch_t *self, const void *id, size_t id_len, const void *tag, size_t tag_len,
                 pa_submission_t *sub, size_t bytes, int64_t now_ms)
{
    if (id_len > PA_BATCH_ID_MAX || tag_len > PA_BATCH_TAG_MAX)
        return PA_EINVAL;
    pa_batch_entry_t *e = s_push(self, id, id_len, tag, tag_len, now_ms);
    if (!e)
        return PA_ENOMEM;
    e->sub = sub;
    self->n++;
    self->reports += sub->n_items;
    self->bytes += bytes;
    return PA_OK;
}

int pa_batch_add_frame(pa_batch_t *self, const void *id, size_t id_len, const void *tag,
                       size_t tag_len, const char *sender, int reason, const char *message,
                       const void *raw, size_t raw_len, int64_t now_ms)
{
    if (id_len > PA_BATCH_ID_MAX || tag_len > PA_BATCH_TAG_MAX)
        return PA_EINVAL;
    pa_batch_entry_t *e = s_push(self, id, id_len, tag, tag_len, now_ms);
    if (!e)
        return PA_ENOMEM;
    char *s = strdup(sender ? sender : "");
    char *m = strdup(message ? message : "");
    void *r = malloc(raw_len ? raw_len : 1);
    if (!s || !m || !r) {
        free(s);
        free(m);
        free(r);
        return PA_ENOMEM;
    }
    if (raw_len)
        memcpy(r, raw, raw_len);
    e->frame = (pa_frame_t){s, reason, m, r, raw_len};
    self->n++;
    self->reports++;
    self->bytes += raw_len;
    return PA_OK;
}

size_t pa_batch_count(const pa_batch_t *self)
{
    return self->n;
}

size_t pa_batch_reports(const pa_batch_t *self)
{
    return self->reports;
}

size_t pa_batch_bytes(const pa_batch_t *self)
{
    return self->bytes;
}

pa_batch_entry_t *pa_batch_entry(pa_batch_t *self, size_t i)
{
    return i < self->n ? &self->items[i] : NULL;
}

bool pa_batch_full(const pa_batch_t *self)
{
    return self->reports >= self->lim.max_reports || self->bytes >= self->lim.max_bytes;
}

int pa_batch_wait_ms(const pa_batch_t *self, int64_t now_ms)
{
    if (!self->n)
        return -1;
    if (pa_batch_full(self))
        return 0;
    int64_t left = self->oldest_ms + self->lim.max_wait_ms - now_ms;
    return left > 0 ? (int)left : 0;
}

bool pa_batch_due(const pa_batch_t *self, int64_t now_ms)
{
    return self->n && pa_batch_wait_ms(self, now_ms) == 0;
}

int pa_batch_views(pa_batch_t *self, pa_submission_t *const **subs, size_t *n_subs,
                   const pa_frame_t **frames, size_t *n_frames, pa_err_t *err)
{
    void *s = self->subs, *f = self->frames;
    int rc = pa_vec_reserve(&s, &self->cap_subs, self->n ? self->n : 1, sizeof *self->subs, 16);
    self->subs = s;
    if (rc == PA_OK)
        rc = pa_vec_reserve(&f, &self->cap_frames, self->n ? self->n : 1, sizeof *self->frames, 16);
    self->frames = f;
    if (rc != PA_OK)
        return pa_err_set(err, PA_ENOMEM, "out of memory flushing a batch");
    *n_subs = 0;
    *n_frames = 0;
    for (size_t i = 0; i < self->n; i++) {
        if (self->items[i].sub)
            self->subs[(*n_subs)++] = self->items[i].sub;
        else
            self->frames[(*n_frames)++] = self->items[i].frame;
    }
    *subs = self->subs;
    *frames = self->frames;
    return PA_OK;
}
