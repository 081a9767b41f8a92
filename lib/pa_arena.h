/* pa_arena.h - a bump allocator: many small allocations (protobuf-c
 * unpacking allocates every Value message separately) freed all at once.
 * Not thread-safe; one arena per call that needs it. */
#ifndef PA_ARENA_H
#define PA_ARENA_H

#include <stdbool.h>
#include <stddef.h>

typedef struct pa_arena pa_arena_t;

/* NULL when out of memory. block_bytes: size of each chunk (0 = 64 KiB). */
pa_arena_t *pa_arena_new(size_t block_bytes);
/* Frees every allocation at once; accepts NULL and *NULL. */
void pa_arena_destroy(pa_arena_t **self_p);
/* size bytes aligned for any type, valid until the arena is destroyed;
 * NULL when out of memory or over the budget. */
void *pa_arena_alloc(pa_arena_t *self, size_t size);
/* A byte budget (0 = none) over every block the arena mallocs: an
 * allocation that would pass it fails, so that a decoder working in the
 * arena (protobuf-c) gives up before committing memory a hostile input asks
 * for. pa_arena_over_budget says whether that happened. */
void pa_arena_set_budget(pa_arena_t *self, size_t max_bytes);
bool pa_arena_over_budget(const pa_arena_t *self);

#endif
