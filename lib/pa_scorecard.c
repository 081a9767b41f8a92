/* pa_scorecard.c - the scorecard model: copies of targets, districts,
 * judgement rows and trend points, with lookups and the heat-map ranking.
 * Knows nothing of PostgreSQL (pa_scorecard_load.c) or of output formats
 * (pa_render_*.c). */
#include "pa_scorecard.h"

#include <stdlib.h>
#include <string.h>

/* Every copied string lives in a chain of blocks freed at once. */
typedef struct s_block {
    struct s_block *next;
    size_t used; /* bytes of data in use */
    size_t size; /* bytes of data */
    char data[];
} s_block_t;

struct pa_scorecard {
    pa_period_t period;
    char *district;                         /* NULL = the whole city */
    char *as_of, *judged_at, *generated_at; /* "" = unknown */
    s_block_t *strings;
    pa_scorecard_target_t *targets;
    size_t ntargets, cap_targets;
    pa_scorecard_district_t *districts;
    size_t ndistricts, cap_districts;
    pa_scorecard_row_t *rows;
    size_t nrows, cap_rows;
    pa_scorecard_point_t *points;
    size_t npoints, cap_points;
    pa_scorecard_district_t *towns; /* a district page's towns */
    size_t ntowns, cap_towns;
    pa_scorecard_row_t *town_rows;
    size_t ntown_rows, cap_town_rows;
    int rank, rank_of; /* the district's place among the districts; 0 = unset */
};

/* Copies s into the string blocks; NULL becomes "". NULL on out of memory. */
static char *s_copy(pa_scorecard_t *self, const char *s)
{
    if (!s)
        s = "";
    size_t len = strlen(s) + 1;
    s_block_t *b = self->strings;
    if (!b || b->size - b->used < len) {
        size_t size = len > 4096 ? len : 4096;
        b = malloc(sizeof *b + size);
        if (!b)
            return NULL;
        b->used = 0;
        b->size = size;
        b->next = self->strings;
        self->strings = b;
    }
    char *out = b->data + b->used;
    memcpy(out, s, len);
    b->used += len;
    return out;
}

/* Copies *s in place; false on out of memory. */
static bool s_own(pa_scorecard_t *self, const char **s)
{
    *s = s_copy(self, *s);
    return *s != NULL;
}

/* Makes room for one more element; false on out of memory. */
static bool s_grow(void **array, size_t *cap, size_t n, size_t elem_size)
{
    if (n < *cap)
        return true;
    size_t cap2 = *cap ? *cap * 2 : 16;
    void *a = realloc(*array, cap2 * elem_size);
    if (!a)
        return false;
    *array = a;
    *cap = cap2;
    return true;
}

static int s_nomem(pa_err_t *err)
{
    return pa_err_set(err, PA_ENOMEM, "out of memory building the scorecard");
}

pa_scorecard_t *pa_scorecard_new(const pa_period_t *period, const char *district, pa_err_t *err)
{
    pa_scorecard_t *self = calloc(1, sizeof *self);
    if (!self) {
        s_nomem(err);
        return NULL;
    }
    self->period = *period;
    self->as_of = self->judged_at = self->generated_at = s_copy(self, "");
    if (self->as_of && district && *district)
        self->district = s_copy(self, district);
    if (!self->as_of || (district && *district && !self->district)) {
        s_nomem(err);
        pa_scorecard_destroy(&self);
    }
    return self;
}

void pa_scorecard_destroy(pa_scorecard_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pa_scorecard_t *self = *self_p;
    while (self->strings) {
        s_block_t *next = self->strings->next;
        free(self->strings);
        self->strings = next;
    }
    free(self->targets);
    free(self->districts);
    free(self->rows);
    free(self->points);
    free(self->towns);
    free(self->town_rows);
    free(self);
    *self_p = NULL;
}

int pa_scorecard_add_target(pa_scorecard_t *self, const pa_scorecard_target_t *t, pa_err_t *err)
{
    if (!s_grow((void **)&self->targets, &self->cap_targets, self->ntargets, sizeof *t))
        return s_nomem(err);
    pa_scorecard_target_t o = *t;
    if (!s_own(self, &o.id) || !s_own(self, &o.indicator_code) || !s_own(self, &o.rule) ||
        !s_own(self, &o.level) || !s_own(self, &o.quote_zh) || !s_own(self, &o.name_zh) ||
        !s_own(self, &o.name_en) || !s_own(self, &o.kind) || !s_own(self, &o.display) ||
        !s_own(self, &o.unit_zh) || !s_own(self, &o.unit_en) || !s_own(self, &o.share_unit) ||
        !s_own(self, &o.rule_text_zh) || !s_own(self, &o.rule_text_en) ||
        !s_own(self, &o.explain_zh) || !s_own(self, &o.explain_en))
        return s_nomem(err);
    self->targets[self->ntargets++] = o;
    return PA_OK;
}

/* Appends a copy of area d to *areas. */
static int s_add_area(pa_scorecard_t *self, pa_scorecard_district_t **areas, size_t *n, size_t *cap,
                      const pa_scorecard_district_t *d, pa_err_t *err)
{
    if (!s_grow((void **)areas, cap, *n, sizeof *d))
        return s_nomem(err);
    pa_scorecard_district_t o = *d;
    if (!s_own(self, &o.code) || !s_own(self, &o.name_zh) || !s_own(self, &o.name_en))
        return s_nomem(err);
    (*areas)[(*n)++] = o;
    return PA_OK;
}

/* Appends a copy of row r to *rows. */
static int s_add_row(pa_scorecard_t *self, pa_scorecard_row_t **rows, size_t *n, size_t *cap,
                     const pa_scorecard_row_t *r, pa_err_t *err)
{
    if (!s_grow((void **)rows, cap, *n, sizeof *r))
        return s_nomem(err);
    pa_scorecard_row_t o = *r;
    if (!s_own(self, &o.target_id) || !s_own(self, &o.indicator_code) || !s_own(self, &o.level) ||
        !s_own(self, &o.area_code) || !s_own(self, &o.area_name) || !s_own(self, &o.status) ||
        !s_own(self, &o.verdict) || !s_own(self, &o.reference_source) || !s_own(self, &o.unit) ||
        !s_own(self, &o.coverage))
        return s_nomem(err);
    (*rows)[(*n)++] = o;
    return PA_OK;
}

int pa_scorecard_add_district(pa_scorecard_t *self, const pa_scorecard_district_t *d, pa_err_t *err)
{
    return s_add_area(self, &self->districts, &self->ndistricts, &self->cap_districts, d, err);
}

int pa_scorecard_add_row(pa_scorecard_t *self, const pa_scorecard_row_t *r, pa_err_t *err)
{
    return s_add_row(self, &self->rows, &self->nrows, &self->cap_rows, r, err);
}

int pa_scorecard_add_town(pa_scorecard_t *self, const pa_scorecard_district_t *t, pa_err_t *err)
{
    return s_add_area(self, &self->towns, &self->ntowns, &self->cap_towns, t, err);
}

int pa_scorecard_add_town_row(pa_scorecard_t *self, const pa_scorecard_row_t *r, pa_err_t *err)
{
    return s_add_row(self, &self->town_rows, &self->ntown_rows, &self->cap_town_rows, r, err);
}

void pa_scorecard_set_rank(pa_scorecard_t *self, int rank, int of)
{
    self->rank = rank;
    self->rank_of = of;
}

int pa_scorecard_rank_of(const pa_scorecard_t *self, int *of)
{
    if (of)
        *of = self->rank_of;
    return self->rank;
}

int pa_scorecard_add_point(pa_scorecard_t *self, const pa_scorecard_point_t *p, pa_err_t *err)
{
    if (!s_grow((void **)&self->points, &self->cap_points, self->npoints, sizeof *p))
        return s_nomem(err);
    pa_scorecard_point_t o = *p;
    if (!s_own(self, &o.indicator_code) || !s_own(self, &o.area_code))
        return s_nomem(err);
    self->points[self->npoints++] = o;
    return PA_OK;
}

int pa_scorecard_set_freshness(pa_scorecard_t *self, const char *as_of, const char *judged_at,
                               const char *generated_at, pa_err_t *err)
{
    char *a = s_copy(self, as_of), *j = s_copy(self, judged_at), *g = s_copy(self, generated_at);
    if (!a || !j || !g)
        return s_nomem(err);
    self->as_of = a;
    self->judged_at = j;
    self->generated_at = g;
    return PA_OK;
}

const pa_period_t *pa_scorecard_period(const pa_scorecard_t *self)
{
    return &self->period;
}

const char *pa_scorecard_district(const pa_scorecard_t *self)
{
    return self->district;
}

const char *pa_scorecard_as_of(const pa_scorecard_t *self)
{
    return self->as_of;
}

const char *pa_scorecard_judged_at(const pa_scorecard_t *self)
{
    return self->judged_at;
}

const char *pa_scorecard_generated_at(const pa_scorecard_t *self)
{
    return self->generated_at;
}

size_t pa_scorecard_target_count(const pa_scorecard_t *self)
{
    return self->ntargets;
}

const pa_scorecard_target_t *pa_scorecard_target(const pa_scorecard_t *self, size_t i)
{
    return i < self->ntargets ? &self->targets[i] : NULL;
}

size_t pa_scorecard_district_count(const pa_scorecard_t *self)
{
    return self->ndistricts;
}

const pa_scorecard_district_t *pa_scorecard_district_at(const pa_scorecard_t *self, size_t i)
{
    return i < self->ndistricts ? &self->districts[i] : NULL;
}

size_t pa_scorecard_row_count(const pa_scorecard_t *self)
{
    return self->nrows;
}

const pa_scorecard_row_t *pa_scorecard_row(const pa_scorecard_t *self, size_t i)
{
    return i < self->nrows ? &self->rows[i] : NULL;
}

size_t pa_scorecard_point_count(const pa_scorecard_t *self)
{
    return self->npoints;
}

const pa_scorecard_point_t *pa_scorecard_point(const pa_scorecard_t *self, size_t i)
{
    return i < self->npoints ? &self->points[i] : NULL;
}

static const pa_scorecard_row_t *s_find(const pa_scorecard_row_t *rows, size_t n, const char *area,
                                        const char *target_id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].area_code, area) == 0 && strcmp(rows[i].target_id, target_id) == 0)
            return &rows[i];
    return NULL;
}

const pa_scorecard_row_t *pa_scorecard_find_row(const pa_scorecard_t *self, const char *area,
                                                const char *target_id)
{
    return s_find(self->rows, self->nrows, area, target_id);
}

size_t pa_scorecard_town_count(const pa_scorecard_t *self)
{
    return self->ntowns;
}

const pa_scorecard_district_t *pa_scorecard_town_at(const pa_scorecard_t *self, size_t i)
{
    return i < self->ntowns ? &self->towns[i] : NULL;
}

size_t pa_scorecard_town_row_count(const pa_scorecard_t *self)
{
    return self->ntown_rows;
}

const pa_scorecard_row_t *pa_scorecard_find_town_row(const pa_scorecard_t *self, const char *town,
                                                     const char *target_id)
{
    return s_find(self->town_rows, self->ntown_rows, town, target_id);
}

const pa_scorecard_target_t *pa_scorecard_find_target(const pa_scorecard_t *self, const char *id)
{
    for (size_t i = 0; i < self->ntargets; i++)
        if (strcmp(self->targets[i].id, id) == 0)
            return &self->targets[i];
    return NULL;
}

/* ------------------------------------------------------------------------
 * Ranking
 * ------------------------------------------------------------------------ */

static int s_badness(const pa_scorecard_row_t *r)
{
    if (strcmp(r->status, "missed") == 0)
        return 3;
    if (strcmp(r->status, "at_risk") == 0)
        return 2;
    if (strcmp(r->status, "incomplete") == 0)
        return strcmp(r->verdict, "missed") == 0 ? 2 : strcmp(r->verdict, "at_risk") == 0;
    return 0;
}

static bool s_has_data(const pa_scorecard_row_t *r)
{
    return strcmp(r->status, "no_data") != 0 && strcmp(r->status, "not_due") != 0;
}

typedef struct {
    size_t index;
    const char *code;
    int badness;
    bool data;
} s_rank_t;

static int s_rank_cmp(const void *a, const void *b)
{
    const s_rank_t *x = a, *y = b;
    if (x->data != y->data)
        return x->data ? -1 : 1;
    if (x->badness != y->badness)
        return x->badness > y->badness ? -1 : 1;
    return strcmp(x->code, y->code);
}

/* Ranks areas[0..n) by their rows (see pa_scorecard_rank). */
static void s_rank(const pa_scorecard_t *self, const pa_scorecard_district_t *areas, size_t n,
                   const pa_scorecard_row_t *rows, size_t nrows, size_t *order)
{
    s_rank_t *keys = n ? calloc(n, sizeof *keys) : NULL;
    if (!keys) {
        /* Out of memory: code order is still an order. */
        for (size_t i = 0; i < n; i++)
            order[i] = i;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        keys[i].index = i;
        keys[i].code = areas[i].code;
        for (size_t t = 0; t < self->ntargets; t++) {
            const pa_scorecard_row_t *r = s_find(rows, nrows, keys[i].code, self->targets[t].id);
            if (!r)
                continue;
            keys[i].badness += s_badness(r);
            keys[i].data = keys[i].data || s_has_data(r);
        }
    }
    qsort(keys, n, sizeof *keys, s_rank_cmp);
    for (size_t i = 0; i < n; i++)
        order[i] = keys[i].index;
    free(keys);
}

void pa_scorecard_rank(const pa_scorecard_t *self, size_t *order)
{
    s_rank(self, self->districts, self->ndistricts, self->rows, self->nrows, order);
}

void pa_scorecard_rank_towns(const pa_scorecard_t *self, size_t *order)
{
    s_rank(self, self->towns, self->ntowns, self->town_rows, self->ntown_rows, order);
}
