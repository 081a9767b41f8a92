/* pa_arena.c - chained blocks, bumped, freed together (see pa_arena.h). */
#include "pa_arena.h"

#include <stdint.h>
#include <stdlib.h>

typedef struct s_block {
    struct s_block *next;
    size_t used, size; /* bytes of data[] */
    max_align_t data[];
} s_block_t;

struct pa_arena {
    s_block_t *head;
    size_t block_bytes;
    size_t budget_bytes; /* 0 = unbounded */
    size_t held_bytes;   /* malloc'ed for blocks so far */
    bool over_budget;
};

pa_arena_t *pa_arena_new(size_t block_bytes)
{
    pa_arena_t *self = calloc(1, sizeof *self);
    if (self)
        self->block_bytes = block_bytes ? block_bytes : 65536;
    return self;
}

void pa_arena_destroy(pa_arena_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pa_arena_t *self = *self_p;
    while (self->head) {
        s_block_t *next = self->head->next;
        free(self->head);
        self->head = next;
    }
    free(self);
    *self_p = NULL;
}

void *pa_arena_alloc(pa_arena_t *self, size_t size)
{
    const size_t align = _Alignof(max_align_t); /* 16 on x86_64; sizeof is 32 */
    if (size > SIZE_MAX - align - sizeof(s_block_t))
        return NULL;
    size = (size + align - 1) / align * align;
    s_block_t *b = self->head;
    if (!b || b->size - b->used < size) {
        size_t cap = size > self->block_bytes ? size : self->block_bytes;
        if (self->budget_bytes &&
            (cap > self->budget_bytes || self->held_bytes > self->budget_bytes - cap)) {
            self->over_budget = true;
            return NULL;
        }
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->used = 0;
        b->size = cap;
        b->next = self->head;
        self->head = b;
        self->held_bytes += cap;
    }
    void *p = (char *)b->data + b->used;
    b->used += size;
    return p;
}

void pa_arena_set_budget(pa_arena_t *self, size_t max_bytes)
{
    self->budget_bytes = max_bytes;
}

bool pa_arena_over_budget(const pa_arena_t *self)
{
    return self->over_budget;
}
