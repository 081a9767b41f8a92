/* pa_arena.h - a bump allocator: many small allocations (protobuf-c
 * unpacking allocates every Value message separately) freed all at once.
 * Not thread-safe; one arena per call that needs it. */
#ifndef PA_ARENA_H
#define PA_ARENA_H

#include <stddef.h>

typedef struct pa_arena pa_arena_t;

/* NULL when out of memory. block_bytes: size of each chunk (0 = 64 KiB). */
pa_arena_t *pa_arena_new(size_t block_bytes);
/* Frees every allocation at once; accepts NULL and *NULL. */
void pa_arena_destroy(pa_arena_t **self_p);
/* size bytes aligned for any type, valid until the arena is destroyed;
 * NULL when out of memory. */
void *pa_arena_alloc(pa_arena_t *self, size_t size);

#endif
