/* pa_catalog.c - sorted arrays and binary search: the catalogue is small
 * (38 districts, ~1000 towns, a few dozen indicators) and read-only. */
#include "pa_catalog.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char code[PA_TOWN_SIZE];
    char district[PA_DISTRICT_SIZE];
} s_town_t;

typedef struct {
    char code[PA_DISTRICT_SIZE];
} s_district_t;

struct pa_catalog {
    s_district_t *districts;
    size_t n_districts, cap_districts;
    s_town_t *towns;
    size_t n_towns, cap_towns;
    pa_indicator_t *indicators;
    size_t n_indicators, cap_indicators;
};

pa_catalog_t *pa_catalog_new(void)
{
    return calloc(1, sizeof(pa_catalog_t));
}

void pa_catalog_destroy(pa_catalog_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->districts);
    free((*self_p)->towns);
    free((*self_p)->indicators);
    free(*self_p);
    *self_p = NULL;
}

/* Grows a dynamic array by doubling; returns the slot to fill or NULL. */
static void *s_push(void **items, size_t *n, size_t *cap, size_t size)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        void *grown = realloc(*items, c * size);
        if (!grown)
            return NULL;
        *items = grown;
        *cap = c;
    }
    return (char *)*items + (*n)++ * size;
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
}

bool pa_catalog_has_district(const pa_catalog_t *self, const char *code)
{
    return self->n_districts && bsearch(code, self->districts, self->n_districts,
                                        sizeof *self->districts, s_cmp_code) != NULL;
}

const char *pa_catalog_town_district(const pa_catalog_t *self, const char *town)
{
    const s_town_t *t =
        self->n_towns ? bsearch(town, self->towns, self->n_towns, sizeof *self->towns, s_cmp_code)
                      : NULL;
    return t ? t->district : NULL;
}

const pa_indicator_t *pa_catalog_indicator(const pa_catalog_t *self, const char *code)
{
    return self->n_indicators ? bsearch(code, self->indicators, self->n_indicators,
                                        sizeof *self->indicators, s_cmp_code)
                              : NULL;
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
