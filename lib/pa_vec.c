/* pa_vec.c - checked doubling growth for dynamic arrays (see pa_vec.h). */
#include "pa_vec.h"

#include <stdint.h>
#include <stdlib.h>

#include "pa_err.h"

int pa_vec_reserve(void **items, size_t *cap, size_t need, size_t elem_size, size_t first_cap)
{
    if (need <= *cap)
        return PA_OK;
    if (elem_size == 0)
        return PA_ENOMEM;
    size_t c = *cap ? *cap : (first_cap ? first_cap : 1);
    while (c < need) {
        if (c > SIZE_MAX / 2)
            return PA_ENOMEM;
        c *= 2;
    }
    if (c > SIZE_MAX / elem_size)
        return PA_ENOMEM;
    void *grown = realloc(*items, c * elem_size);
    if (!grown)
        return PA_ENOMEM;
    *items = grown;
    *cap = c;
    return PA_OK;
}

void *pa_vec_push(void **items, size_t n, size_t *cap, size_t elem_size, size_t first_cap)
{
    if (n == SIZE_MAX || pa_vec_reserve(items, cap, n + 1, elem_size, first_cap) != PA_OK)
        return NULL;
    return (char *)*items + n * elem_size;
}
