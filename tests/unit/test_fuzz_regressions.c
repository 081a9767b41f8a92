/* test_fuzz_regressions.c - replays every file of fuzz/regressions/ (inputs
 * the fuzzers once crashed on, and hand-made nasty ones) through the same
 * paths as the fuzz targets (fuzz/pa_fuzz.h): no crash, no sanitizer report,
 * and every invariant holds. The directory is found through
 * PINGAN_SOURCE_DIR, which ctest sets. No network, no database. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../fuzz/pa_fuzz.h"

typedef int (*s_path_fn)(const pa_catalog_t *cat, const uint8_t *data, size_t len, char *why);

static uint8_t *s_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    cr_assert_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    cr_assert_geq(n, 0);
    rewind(f);
    uint8_t *buf = malloc(n ? (size_t)n : 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n, "short read of %s", path);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Runs every regular file of fuzz/regressions/<kind> through path; returns
 * how many there were. */
static size_t s_replay(const char *kind, s_path_fn path)
{
    const char *root = getenv("PINGAN_SOURCE_DIR");
    cr_assert_not_null(root, "PINGAN_SOURCE_DIR is not set (ctest sets it)");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/fuzz/regressions/%s", root, kind);
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot open %s", dir);
    pa_catalog_t *cat = pa_fuzz_catalog_new();
    cr_assert_not_null(cat);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char file[4096 + 256];
        snprintf(file, sizeof file, "%s/%s", dir, e->d_name);
        size_t len = 0;
        uint8_t *data = s_slurp(file, &len);
        char why[PA_FUZZ_WHY_SIZE] = "";
        int rc = path(cat, data, len, why);
        free(data);
        cr_expect_eq(rc, 0, "%s/%s: %s", kind, e->d_name, why);
        n++;
    }
    closedir(d);
    pa_catalog_destroy(&cat);
    return n;
}

Test(fuzz_regressions, catalogue_mirrors_sql)
{
    pa_catalog_t *cat = pa_fuzz_catalog_new();
    cr_assert_not_null(cat);
    const pa_indicator_t *ind = pa_catalog_indicator(cat, "sense_of_security");
    cr_assert_not_null(ind);
    cr_expect(ind->is_ratio);
    cr_expect_eq(ind->level, PA_LEVEL_DISTRICT);
    cr_expect_not_null(pa_catalog_indicator(cat, "industrial_zones"));
    cr_expect_str_eq(pa_catalog_town_district(cat, "500240028"), "500240");
    cr_expect_eq(pa_catalog_first_year(cat), 2020);
    pa_catalog_destroy(&cat);
}

Test(fuzz_regressions, submissions)
{
    cr_expect_gt(s_replay("submission", pa_fuzz_submission), 0, "no regression inputs found");
}

Test(fuzz_regressions, inputs)
{
    cr_expect_gt(s_replay("input", pa_fuzz_input), 0, "no regression inputs found");
}
