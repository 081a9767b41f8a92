/* fuzz_input.c - libFuzzer target for the CSV and JSON readers (pa_input push
 * API). Byte 0 picks the format, byte 1 the chunk sizes (fuzz/pa_fuzz.h,
 * PA_FUZZ_INPUT_HEADER); the input is read in one chunk and in random-size
 * chunks, the two runs must agree, and every report goes on through the
 * worker's path. Aborts when an invariant breaks. Built by fuzz/run.sh. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "pa_fuzz.h"

static pa_catalog_t *s_cat;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    s_cat = pa_fuzz_catalog_new();
    if (!s_cat) {
        fprintf(stderr, "fuzz_input: out of memory building the catalogue\n");
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[PA_FUZZ_WHY_SIZE];
    if (pa_fuzz_input(s_cat, data, size, why) != 0) {
        fprintf(stderr, "fuzz_input: invariant broken: %s\n", why);
        abort();
    }
    return 0;
}
