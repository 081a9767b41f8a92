/* pa_catalog.h - the reference data a worker judges reports against:
 * districts, towns and the indicator catalogue. Filled once (from PostgreSQL
 * by pa_store, or by hand in tests), sealed, then read-only and shareable. */
#ifndef PA_CATALOG_H
#define PA_CATALOG_H

#include <stdbool.h>

#include "pa_err.h"
#include "pa_period.h"
#include "pa_report.h"

typedef enum {
    PA_LEVEL_ANY = 0,      /* a value may name a town or not */
    PA_LEVEL_TOWN = 1,     /* every value must name a town */
    PA_LEVEL_DISTRICT = 2, /* no value may name a town */
} pa_level_t;

typedef struct {
    char code[PA_INDICATOR_SIZE];
    bool is_ratio; /* ratio (numerator/denominator) rather than count */
    pa_level_t level;
    unsigned period_mask; /* bit (1 << pa_period_type_t) per collected period type */
    bool has_ceiling;
    double ceiling; /* largest acceptable count per value */
    int first_year; /* first reporting year */
} pa_indicator_t;

typedef struct pa_catalog pa_catalog_t;

pa_catalog_t *pa_catalog_new(void);
void pa_catalog_destroy(pa_catalog_t **self_p);

int pa_catalog_add_district(pa_catalog_t *self, const char *code, pa_err_t *err);
int pa_catalog_add_town(pa_catalog_t *self, const char *code, const char *district, pa_err_t *err);
int pa_catalog_add_indicator(pa_catalog_t *self, const pa_indicator_t *ind, pa_err_t *err);
/* Sorts for lookup; call once after adding, before any lookup. */
void pa_catalog_seal(pa_catalog_t *self);

bool pa_catalog_has_district(const pa_catalog_t *self, const char *code);
/* District code of a town, or NULL when the town is unknown. */
const char *pa_catalog_town_district(const pa_catalog_t *self, const char *town);
/* Indicator by code, or NULL. */
const pa_indicator_t *pa_catalog_indicator(const pa_catalog_t *self, const char *code);
/* Earliest first_year of any indicator (the catalogue's first reporting year). */
int pa_catalog_first_year(const pa_catalog_t *self);
size_t pa_catalog_town_count(const pa_catalog_t *self);

#endif
