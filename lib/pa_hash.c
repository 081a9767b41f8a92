/* pa_hash.c - FNV-1a over strings (see pa_hash.h). */
#include "pa_hash.h"

#define PA_HASH_PRIME 1099511628211ULL

uint64_t pa_hash_str(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * PA_HASH_PRIME;
    return h;
}

uint64_t pa_hash_pair(const char *a, const char *b)
{
    uint64_t h = pa_hash_str(PA_HASH_SEED, a);
    h = (h ^ 0xff) * PA_HASH_PRIME;
    return pa_hash_str(h, b);
}
