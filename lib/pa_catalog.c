/* pa_catalog.c - sorted arrays and binary search: the catalogue is small
 * (38 districts, ~1000 towns, a few dozen indicators) and read-only. */
#include "pa_catalog.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pa_hash.h"
#include "pa_vec.h"

typedef struct {
    char code[PA_TOWN_SIZE];
    char district[PA_DISTRICT_SIZE];
} s_town_t;

typedef struct {
    char code[PA_DISTRICT_SIZE];
} s_district_t;

/* Hash index over an array whose elements start with their code: slots
 * hold element index + 1 (0 = empty), open addressing, size a power of two.
 * Lookups run for every value of every report. */
typedef struct {
    size_t *slots;
    size_t mask;
} s_index_t;

struct pa_catalog {
    s_district_t *districts;
    size_t n_districts, cap_districts;
    s_town_t *towns;
    size_t n_towns, cap_towns;
    pa_indicator_t *indicators;
    size_t n_indicators, cap_indicators;
    s_index_t district_index, town_index, indicator_index; /* built by pa_catalog_seal */
};

static size_t s_hash(const char *s)
{
    return (size_t)pa_hash_str(PA_HASH_SEED, s);
}

/* Builds the index; on allocation failure leaves it empty (lookups then
 * fall back to binary search). */
static void s_index_build(s_index_t *ix, const void *items, size_t n, size_t size)
{
    free(ix->slots);
    ix->slots = NULL;
    ix->mask = 0;
    size_t cap = 4;
    while (cap < n * 2)
        cap *= 2;
    if (!n || !(ix->slots = calloc(cap, sizeof *ix->slots)))
        return;
    ix->mask = cap - 1;
    for (size_t i = 0; i < n; i++) {
        size_t k = s_hash((const char *)items + i * size) & ix->mask;
        while (ix->slots[k])
            k = (k + 1) & ix->mask;
        ix->slots[k] = i + 1;
    }
}

/* The element with this code, NULL when absent; bsearch without an index. */
static const void *s_lookup(const s_index_t *ix, const void *items, size_t n, size_t size,
                            const char *code);

pa_catalog_t *pa_catalog_new(void)
{
    return calloc(1, sizeof(pa_catalog_t));
}

void pa_catalog_destroy(pa_catalog_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->district_index.slots);
    free((*self_p)->town_index.slots);
    free((*self_p)->indicator_index.slots);
    free((*self_p)->districts);
    free((*self_p)->towns);
    free((*self_p)->indicators);
    free(*self_p);
    *self_p = NULL;
}

/* Appends a slot to a dynamic array; returns it, or NULL out of memory. */
static void *s_push(void **items, size_t *n, size_t *cap, size_t size)
{
    void *slot = pa_vec_push(items, *n, cap, size, 64);
    if (slot)
        (*n)++;
    return slot;
}

int pa_catalog_add_district(pa_catalog_t *self, const char *code, pa_err_t *err)
{
    s_district_t *d =
        s_push((void **)&self->districts, &self->n_districts, &self->cap_districts, sizeof *d);
    if (!d)
        return pa_err_set(err, PA_ENOMEM, "out of memory adding district %s", code);
    if (pa_strlcpy_checked(d->code, code, sizeof d->code) != PA_OK) {
        self->n_districts--;
        return pa_err_set(err, PA_EINVAL, "district code '%s' is too long", code);
    }
    return PA_OK;
}

int pa_catalog_add_town(pa_catalog_t *self, const char *code, const char *district, pa_err_t *err)
{
    s_town_t *t = s_push((void **)&self->towns, &self->n_towns, &self->cap_towns, sizeof *t);
    if (!t)
        return pa_err_set(err, PA_ENOMEM, "out of memory adding town %s", code);
    if (pa_strlcpy_checked(t->code, code, sizeof t->code) != PA_OK ||
        pa_strlcpy_checked(t->district, district, sizeof t->district) != PA_OK) {
        self->n_towns--;
        return pa_err_set(err, PA_EINVAL, "town '%s' of district '%s' does not fit", code,
                          district);
    }
    return PA_OK;
}

int pa_catalog_add_indicator(pa_catalog_t *self, const pa_indicator_t *ind, pa_err_t *err)
{
    pa_indicator_t *i =
        s_push((void **)&self->indicators, &self->n_indicators, &self->cap_indicators, sizeof *i);
    if (!i)
        return pa_err_set(err, PA_ENOMEM, "out of memory adding indicator %s", ind->code);
    *i = *ind;
    return PA_OK;
}

/* Every element type starts with its NUL-terminated code. */
static int s_cmp_code(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

void pa_catalog_seal(pa_catalog_t *self)
{
    if (self->n_districts)
        qsort(self->districts, self->n_districts, sizeof *self->districts, s_cmp_code);
    if (self->n_towns)
        qsort(self->towns, self->n_towns, sizeof *self->towns, s_cmp_code);
    if (self->n_indicators)
        qsort(self->indicators, self->n_indicators, sizeof *self->indicators, s_cmp_code);
    s_index_build(&self->district_index, self->districts, self->n_districts,
                  sizeof *self->districts);
    s_index_build(&self->town_index, self->towns, self->n_towns, sizeof *self->towns);
    s_index_build(&self->indicator_index, self->indicators, self->n_indicators,
                  sizeof *self->indicators);
}

static const void *s_lookup(const s_index_t *ix, const void *items, size_t n, size_t size,
                            const char *code)
{
    if (!n)
        return NULL;
    if (!ix->slots)
        return bsearch(code, items, n, size, s_cmp_code);
    for (size_t k = s_hash(code) & ix->mask; ix->slots[k]; k = (k + 1) & ix->mask) {
        const char *item = (const char *)items + (ix->slots[k] - 1) * size;
        if (strcmp(item, code) == 0)
            return item;
    }
    return NULL;
}

bool pa_catalog_has_district(const pa_catalog_t *self, const char *code)
{
    return s_lookup(&self->district_index, self->districts, self->n_districts,
                    sizeof *self->districts, code) != NULL;
}

const char *pa_catalog_town_district(const pa_catalog_t *self, const char *town)
{
    const s_town_t *t =
        s_lookup(&self->town_index, self->towns, self->n_towns, sizeof *self->towns, town);
    return t ? t->district : NULL;
}

const pa_indicator_t *pa_catalog_indicator(const pa_catalog_t *self, const char *code)
{
    return s_lookup(&self->indicator_index, self->indicators, self->n_indicators,
                    sizeof *self->indicators, code);
}

int pa_catalog_first_year(const pa_catalog_t *self)
{
    int first = 0;
    for (size_t i = 0; i < self->n_indicators; i++)
        if (!first || self->indicators[i].first_year < first)
            first = self->indicators[i].first_year;
    return first;
}

size_t pa_catalog_town_count(const pa_catalog_t *self)
{
    return self->n_towns;
}
