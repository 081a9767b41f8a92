/* pa_vec.h - the one growth rule for dynamic arrays: double (from a first
 * capacity) until the need fits, refusing sizes whose byte count would
 * overflow size_t. Callers keep their own typed pointer, count and cap. */
#ifndef PA_VEC_H
#define PA_VEC_H

#include <stddef.h>

/* Makes *items (elem_size bytes each, *cap of them) hold at least need
 * elements, starting at first_cap when empty. On success *items and *cap
 * may have changed; on failure (PA_ENOMEM: out of memory or overflow)
 * both are untouched and the old array is still valid. Never logs. */
int pa_vec_reserve(void **items, size_t *cap, size_t need, size_t elem_size, size_t first_cap);

/* Reserves room for one more element after n and returns its slot (not
 * zeroed; n is not changed), or NULL when it cannot grow. */
void *pa_vec_push(void **items, size_t n, size_t *cap, size_t elem_size, size_t first_cap);

#endif
