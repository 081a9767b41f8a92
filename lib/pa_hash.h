/* pa_hash.h - the one string hash (64-bit FNV-1a) behind pingan's
 * open-addressing indexes (catalogue codes, repeated values). Pure. */
#ifndef PA_HASH_H
#define PA_HASH_H

#include <stdint.h>

/* FNV-1a offset basis (the two copies this replaces had lost its last digit) */
#define PA_HASH_SEED 14695981039346656037ULL

/* Folds the NUL-terminated s into h (start from PA_HASH_SEED). */
uint64_t pa_hash_str(uint64_t h, const char *s);
/* Hash of the pair (a, b), with a separator so that ("ab","c") differs
 * from ("a","bc"). */
uint64_t pa_hash_pair(const char *a, const char *b);

#endif
