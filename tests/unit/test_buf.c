/* test_buf.c - the shared leaves: vector growth (with its overflow check),
 * the growable buffer, the arena and the hash. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pa_arena.h"
#include "pa_buf.h"
#include "pa_err.h"
#include "pa_hash.h"
#include "pa_vec.h"

Test(vec, grows_by_doubling_from_first_capacity)
{
    void *items = NULL;
    size_t cap = 0;
    cr_assert_eq(pa_vec_reserve(&items, &cap, 1, sizeof(int), 8), PA_OK);
    cr_assert_eq(cap, 8);
    cr_assert_eq(pa_vec_reserve(&items, &cap, 9, sizeof(int), 8), PA_OK);
    cr_assert_eq(cap, 16);
    cr_assert_eq(pa_vec_reserve(&items, &cap, 5, sizeof(int), 8), PA_OK, "no shrink");
    cr_assert_eq(cap, 16);
    free(items);
}

Test(vec, refuses_overflowing_sizes_and_keeps_the_array)
{
    void *items = NULL;
    size_t cap = 0;
    cr_assert_eq(pa_vec_reserve(&items, &cap, 4, 16, 4), PA_OK);
    void *before = items;
    cr_assert_eq(pa_vec_reserve(&items, &cap, SIZE_MAX / 8, 16, 4), PA_ENOMEM);
    cr_assert_eq(items, before);
    cr_assert_eq(cap, 4);
    cr_assert_null(pa_vec_push(&items, SIZE_MAX, &cap, 16, 4));
    free(items);
}

Test(vec, push_returns_the_next_slot)
{
    int *items = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < 100; i++) {
        void *v = items;
        int *slot = pa_vec_push(&v, n, &cap, sizeof *slot, 2);
        items = v;
        cr_assert_not_null(slot);
        *slot = i;
        n++;
    }
    for (int i = 0; i < 100; i++)
        cr_assert_eq(items[i], i);
    free(items);
}

Test(buf, printf_put_and_big_endian)
{
    pa_buf_t b = {0};
    pa_buf_printf(&b, "{%d,%s}", 42, "x");
    cr_assert_str_eq(b.data, "{42,x}");
    pa_buf_reset(&b);
    pa_buf_be(&b, 0x0102, 2);
    pa_buf_put(&b, "ab", 2);
    cr_assert_eq(b.len, 4);
    cr_assert_eq(memcmp(b.data,
                        "\x01\x02"
                        "ab",
                        4),
                 0);
    for (int i = 0; i < 10000; i++)
        pa_buf_printf(&b, "%d,", i);
    cr_assert_not(b.failed);
    cr_assert_eq(b.data[b.len], '\0');
    pa_buf_be(&b, 1, 9);
    cr_assert(b.failed, "a width above 8 bytes is a failed append");
    pa_buf_free(&b);
    cr_assert_null(b.data);
}

Test(arena, aligned_allocations_freed_together)
{
    pa_arena_t *a = pa_arena_new(128);
    cr_assert_not_null(a);
    for (int i = 0; i < 1000; i++) {
        void *p = pa_arena_alloc(a, (size_t)(i % 300) + 1);
        cr_assert_not_null(p);
        cr_assert_eq((uintptr_t)p % _Alignof(max_align_t), 0);
        memset(p, 0xab, (size_t)(i % 300) + 1);
    }
    cr_assert_null(pa_arena_alloc(a, SIZE_MAX));
    pa_arena_destroy(&a);
    cr_assert_null(a);
    pa_arena_destroy(&a);
}

Test(hash, pairs_are_separated)
{
    cr_assert_neq(pa_hash_pair("ab", "c"), pa_hash_pair("a", "bc"));
    cr_assert_eq(pa_hash_str(PA_HASH_SEED, ""), PA_HASH_SEED);
    cr_assert_eq(pa_hash_str(PA_HASH_SEED, "a"), 0xaf63dc4c8601ec8cULL, "FNV-1a of \"a\"");
}
