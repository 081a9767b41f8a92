/* fuzz_submission.c - libFuzzer target for the worker's decode-and-validate
 * path: bytes -> pa_codec_decode_submission -> pa_validate_report on every
 * report -> receipt encode/decode round trip (fuzz/pa_fuzz.h). Aborts when an
 * invariant breaks so that libFuzzer keeps the input; sanitizers catch the
 * rest. Built by fuzz/run.sh, not by CMake. */
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
        fprintf(stderr, "fuzz_submission: out of memory building the catalogue\n");
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[PA_FUZZ_WHY_SIZE];
    if (pa_fuzz_submission(s_cat, data, size, why) != 0) {
        fprintf(stderr, "fuzz_submission: invariant broken: %s\n", why);
        abort();
    }
    return 0;
}
